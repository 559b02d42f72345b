"""Where the reference runtime deliberately answers differently from upstream, and why.

Upstream crashes in a few places (an uncaught exception becomes Cloudflare's bare 500 without CORS headers).
The reference answers a clean JSON error there instead; the conformance suites accept either at the
*required* level and name the crash at the *recommended* level. Each worker module lists its own deviations
in a ``DEVIATIONS`` tuple; :func:`all_deviations` collects them for the docs and the tests.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

WORKER_MODULES = (
    "workerflow_kit.runtime.workers.api",
    "workerflow_kit.runtime.workers.queue_consumer",
    "workerflow_kit.runtime.workers.workflow",
    "workerflow_kit.runtime.workers.scheduler",
    "workerflow_kit.runtime.workers.ops_dashboard",
)


@dataclass(frozen=True)
class Deviation:
    """One decision: the situation, what upstream does, what the reference does instead."""

    id: str
    worker: str
    situation: str
    upstream: str
    reference: str


def all_deviations() -> list[Deviation]:
    """Every worker module's ``DEVIATIONS``, in worker order (modules not built yet are skipped)."""
    found: list[Deviation] = []
    for name in WORKER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        found.extend(getattr(module, "DEVIATIONS", ()))
    return found
