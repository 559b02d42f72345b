"""What a handler receives besides its payload, and the typed error a handler may raise.

Upstream hands a handler ``(payload, traceId, {env})`` (cron handlers also get ``scheduleId``) and lets it
call the global ``fetch``. Here the context also carries the runtime clock, so timestamps follow a
:class:`~workerflow_kit.runtime.bindings.clock.VirtualClock` in tests, and the outbound HTTP client that stands
for the global ``fetch``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import httpx
from pydantic import JsonValue

from workerflow_kit.runtime.bindings.clock import Clock, SystemClock

__all__ = [
    "Handler",
    "HandlerContext",
    "WorkflowHandlerError",
    "call_handler",
    "js_response_text",
]


@dataclass(frozen=True)
class HandlerContext:
    """The third argument of every handler.

    ``env`` is the workflow worker's env with Secrets-Store bindings already resolved; ``None`` stands for
    upstream's missing context (handlers that need the env then fail with their "missing env" message).
    ``schedule_id`` is set for cron handlers only. ``outbound`` is the global ``fetch``; when it is ``None``
    :meth:`post` uses a short-lived client of its own (handy in unit tests, which mock with respx anyway).
    """

    env: Mapping[str, object] | None
    clock: Clock = field(default_factory=SystemClock)
    outbound: httpx.AsyncClient | None = None
    schedule_id: str | None = None

    def now_iso(self) -> str:
        """``new Date().toISOString()`` on the runtime clock."""
        return self.clock.now_iso()

    async def post(self, url: str, *, headers: Mapping[str, str], content: bytes) -> httpx.Response:
        """``fetch(url, {method: "POST", headers, body})`` through the outbound client; the body is read."""
        if self.outbound is not None:
            return await self.outbound.post(url, headers=dict(headers), content=content)
        async with httpx.AsyncClient() as client:
            return await client.post(url, headers=dict(headers), content=content)


Handler: TypeAlias = Callable[[Any, str, HandlerContext], Any]
"""``handler(payload, trace_id, ctx)``, a coroutine function or a plain function.

``payload`` is the task's ``payload`` (:data:`~workerflow_kit.jscompat.numbers.UNDEFINED` when the task has
none); ``trace_id`` is ``String(task.traceId)``. The return value becomes the ``/run-*`` response body via JS
``JSON.stringify``: return :data:`~workerflow_kit.jscompat.numbers.UNDEFINED` for an empty body (a JS handler
returning ``undefined``); ``None`` is JSON ``null``. Raising fails the task (spec 2.5).
"""


async def call_handler(handler: Handler, payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
    """Call ``handler`` and await its result when it is awaitable (sync handlers are allowed)."""
    result = handler(payload, trace_id, ctx)
    if inspect.isawaitable(result):
        awaited: Any = await result
        return awaited
    return result


class WorkflowHandlerError(Exception):
    """A typed failure: the workflow answers ``status`` with ``{"error": code, "message", "details"}``.

    Upstream defines this type (spec 2.5) but no v0.1 handler raises it; user handlers may. ``status`` must be
    an error status (400-599), which keeps the response constructible.
    """

    def __init__(
        self, message: str, *, code: str = "handler_error", status: int = 500, details: JsonValue = None
    ) -> None:
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"status must be an integer between 400 and 599, got {status!r}")
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details


def js_response_text(response: httpx.Response) -> str:
    """``await response.text()``: the body decoded as UTF-8 whatever the charset, a leading BOM dropped and
    malformed bytes replaced, as the Fetch API's UTF-8 decode does."""
    text = response.content.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")
