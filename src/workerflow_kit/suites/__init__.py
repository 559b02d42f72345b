"""The contract suites, shipped in the package and run by pytest against any target.

::

    pytest --pyargs workerflow_kit.suites --wf-target=inprocess      # or served, or url (see .plugin)
    pytest --pyargs workerflow_kit.suites.routes -k duplicate          # one suite module, some checks

* :mod:`.plugin`: the pytest plugin (entry point ``pytest11``): ``--wf-*`` options, the ``wf_check`` and
  ``wf_requires`` markers, the ``wf_session_target``, ``wf_target`` and ``wf_check`` fixtures.
* :mod:`.checks`: check ids and levels, the ``@check`` decorator, :data:`~.checks.REGISTRY`.
* Suite modules, listed in :data:`SUITE_MODULES`: :mod:`.routes` (the api worker's routes, spec section 4).
  Their names do not start with ``test_``; this package's ``conftest.py`` collects them when the package
  is what pytest was asked to run.

Test names and failure messages carry ``[<check id> | <level>]``, e.g.
``test_duplicate_is_202[routes.duplicate-is-202 | required]``.
"""

from __future__ import annotations

from typing import Final

__all__ = ["SUITE_MODULES"]

SUITE_MODULES: Final = (
    "compat",
    "manifest",
    "schedules",
    "runtime_config",
    "routes",
    "handlers",
    "ops",
    "stateful",
    "openapi",
)
"""The suite modules of this package, by module name."""
