"""Wait for an accepted trace to become a finished run, on any target.

A live deployment delivers queued tasks when it likes; a check that submitted a task polls the ops
dashboard's ``GET /api/run-detail/{traceId}`` until the run's ``status`` is terminal (``succeeded`` or
``failed``; a failed async run may still be retried by the queue later, which the caller can poll for again).
An in-process target has no background delivery, so the caller passes its ``drain`` as ``step``, called
before every poll.

::

    detail = wait_for_run(target.ops, trace, timeout=30, step=target.drain if target.has("drain_queue") else None)
    assert detail["run"]["status"] == "succeeded"
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, Final
from urllib.parse import quote

import httpx

from workerflow_kit.live.errors import NotObserved

__all__ = ["RUN_DETAIL_PATH", "TERMINAL_STATUSES", "wait_for_run"]

RUN_DETAIL_PATH: Final = "/api/run-detail/{trace}"
TERMINAL_STATUSES: Final = frozenset({"succeeded", "failed"})
_SHOWN: Final = 120


def wait_for_run(
    ops: httpx.Client,
    trace_id: str,
    *,
    timeout: float,
    interval: float = 0.25,
    step: Callable[[], object] | None = None,
    terminal: Collection[str] = TERMINAL_STATUSES,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the run detail of ``trace_id`` until its run's status is in ``terminal``; returns the detail body.

    ``step`` (say, an in-process target's ``drain``) runs before each poll. Between polls the wait is
    ``interval`` seconds, never past the deadline. When ``timeout`` seconds pass first, :class:`NotObserved`
    says what was seen last (``not found``, ``status started``, ``HTTP 503 ...``). A transport error while
    polling is what was seen, not the end of the wait.
    """
    if timeout <= 0 or interval <= 0:
        raise ValueError(f"timeout and interval must be > 0, got timeout={timeout!r}, interval={interval!r}")
    path = RUN_DETAIL_PATH.format(trace=quote(trace_id, safe=""))
    deadline = clock() + timeout
    last_seen = "nothing (no poll finished)"
    while True:
        if step is not None:
            step()
        detail, last_seen = _poll(ops, path)
        if detail is not None:
            run = detail.get("run")
            if isinstance(run, dict) and run.get("status") in terminal:
                return detail
        remaining = deadline - clock()
        if remaining <= 0:
            raise NotObserved(
                f"run {trace_id} not observed in a terminal state within {timeout:g} s (last seen: {last_seen})"
            )
        sleep(min(interval, remaining))


def _poll(ops: httpx.Client, path: str) -> tuple[dict[str, Any] | None, str]:
    """One look: the detail body when it is one, and a short description of what was seen."""
    try:
        response = ops.get(path)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc or 'no answer'}"
    if response.status_code == 404:
        return None, "not found"
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        return None, f"HTTP {response.status_code} {response.text[:_SHOWN]}".rstrip()
    run = body.get("run")
    status = run.get("status") if isinstance(run, dict) else None
    return body, f"status {status}" if status is not None else "a detail without a run status"
