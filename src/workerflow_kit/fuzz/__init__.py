"""Schemathesis on WorkerFlow's OpenAPI documents, through any target, with WorkerFlow-aware checks.

::

    from workerflow_kit.fuzz import FuzzOptions, fuzz
    from workerflow_kit.targets import InProcessTarget

    with InProcessTarget() as target:
        report = fuzz(target, FuzzOptions(max_examples=20, documents=("api", "ops")))
    for failure in report.failures:
        print(failure.render())                 # [openapi.cors-origin-echoed | required] api POST ...: ...

* :mod:`.documents`: the two documents and the shipped ``schemathesis.toml`` (the runtime's validation model).
* :mod:`.checks`: :data:`FUZZ_CHECKS`, the WorkerFlow-aware checks (registered with ``@schemathesis.check``)
  and Schemathesis's conformance checks, each with a kit id and level.
* :mod:`.runner`: :func:`fuzz`, :class:`FuzzOptions`, :class:`FuzzReport`.
* :mod:`.session` and :mod:`.wire`: the active run seen by checks; cases onto the target's clients and back.

The ``openapi`` suite (:mod:`workerflow_kit.suites.openapi`) and ``workerflow-kit fuzz`` are doors into this.
"""

from __future__ import annotations

from workerflow_kit.fuzz.checks import FUZZ_CHECKS, FuzzCheck, WorkerFlowFailure
from workerflow_kit.fuzz.documents import DOCUMENTS, load_config, load_schema
from workerflow_kit.fuzz.runner import CheckTally, FuzzFailure, FuzzOptions, FuzzReport, TargetUnreachable, fuzz

__all__ = [
    "DOCUMENTS",
    "FUZZ_CHECKS",
    "CheckTally",
    "FuzzCheck",
    "FuzzFailure",
    "FuzzOptions",
    "FuzzReport",
    "TargetUnreachable",
    "WorkerFlowFailure",
    "fuzz",
    "load_config",
    "load_schema",
]
