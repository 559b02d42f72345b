"""See what a request made the runtime do behind its HTTP answer: the workflow calls and the queued tasks.

On a target with ``set_env``, :func:`watch_workflow_calls` puts a recording stand-in in front of the
``WORKFLOW_SERVICE`` binding of the api worker (its ``/run-sync`` calls: a sync route ran) and of the queue
consumer (its ``/run-async`` calls: the task a queued message carried, verbatim). Each stand-in passes the call
on unchanged, so the runs happen as usual; the real bindings are put back when the block ends. With
``drain_queue`` too, draining after a request shows exactly the tasks that request enqueued.

This only works where the worker env holds live binding objects: the in-process reference. Ask
:func:`unwatchable` first; it names the lacking capability, or says the target is not in process (a served
runtime's env holds strings only, and its real binding must never be taken out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from workerflow_kit.targets.base import Capability, MissingCapability, Target
from workerflow_kit.targets.inprocess import InProcessTarget

__all__ = ["WorkflowCall", "WorkflowCalls", "unwatchable", "watch_workflow_calls"]

BINDING = "WORKFLOW_SERVICE"


@dataclass(frozen=True)
class WorkflowCall:
    """One call a worker made to the workflow: who made it, the path, and the task it sent (parsed JSON)."""

    caller: str
    path: str
    task: Any


@dataclass
class WorkflowCalls:
    """Every workflow call seen in the block, in order."""

    calls: list[WorkflowCall] = field(default_factory=list)

    def mark(self) -> int:
        """A position; :meth:`since` returns what came after it."""
        return len(self.calls)

    def since(self, mark: int, caller: str, trace_id: str | None = None) -> list[WorkflowCall]:
        """The calls ``caller`` made after ``mark`` (for ``trace_id`` only, when given)."""
        return [
            call
            for call in self.calls[mark:]
            if call.caller == caller
            and (trace_id is None or (isinstance(call.task, dict) and call.task.get("traceId") == trace_id))
        ]

    def queued(self, mark: int, trace_id: str | None = None) -> list[Any]:
        """The tasks the queue consumer received after ``mark``, each trace id once: a failed task is delivered
        again (retries), and a redelivery is the same queued message, not another one."""
        tasks: dict[object, Any] = {}
        for call in self.since(mark, "queue-consumer", trace_id):
            key = call.task.get("traceId") if isinstance(call.task, dict) else id(call)
            tasks.setdefault(key, call.task)
        return list(tasks.values())


class _RecordingBinding:
    """Duck-types a service binding: records each ``fetch`` and forwards it to the real binding."""

    def __init__(self, inner: Any, caller: str, seen: WorkflowCalls) -> None:
        self._inner = inner
        self._caller = caller
        self._seen = seen

    async def fetch(self, method: str, url_or_path: str, **options: Any) -> Any:
        content = options.get("content")
        text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else str(content or "")
        try:
            task: Any = json.loads(text) if text else None
        except ValueError:
            task = text
        self._seen.calls.append(WorkflowCall(self._caller, str(url_or_path), task))
        return await self._inner.fetch(method, url_or_path, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def unwatchable(target: Target, *, drain: bool) -> str | None:
    """Why :func:`watch_workflow_calls` cannot run on ``target`` (``drain``: the queue must be drained too),
    or ``None`` when it can."""
    needs = (Capability.SET_ENV, Capability.DRAIN_QUEUE) if drain else (Capability.SET_ENV,)
    lacking = target.missing(*needs)
    if lacking:
        return str(MissingCapability(lacking[0], target.name))
    if not isinstance(target, InProcessTarget):
        return f"workflow calls are only recorded in process, not on target '{target.name}'"
    return None


@contextmanager
def watch_workflow_calls(target: Target) -> Iterator[WorkflowCalls]:
    """Record the api's and the queue consumer's workflow calls for the block (see :func:`unwatchable`)."""
    seen = WorkflowCalls()
    installed: list[tuple[str, object | None]] = []
    try:
        for worker in ("api", "queue-consumer"):
            # set_env hands back the real binding; read it by setting a placeholder first, then wrap it.
            real = target.set_env(worker, BINDING, None)
            installed.append((worker, real))
            target.set_env(worker, BINDING, _RecordingBinding(real, worker, seen))
        yield seen
    finally:
        for worker, real in reversed(installed):
            target.set_env(worker, BINDING, real)
