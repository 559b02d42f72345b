"""Reference runtimes with one route rule broken, which only a route fixture's task or body check sees.

``--wf-runtime-factory=tests.authoring.broken:<name>``. Each factory starts the reference :class:`Runtime` and
breaks one rule from the outside (a wrapper around the api's queue binding, or a rewriting api worker); the
runtime's code is never patched. :data:`BROKEN` maps each factory to the route fixtures that must catch it and
a line the failure must show.
"""

from __future__ import annotations

import json
from typing import Any

from tests.suites.broken_runtimes import RewritingApi
from workerflow_kit.jscompat.json import js_json_stringify
from workerflow_kit.runtime.http import Request, Response
from workerflow_kit.runtime.stack import Runtime


class _UnwrappingQueue:
    """The api's queue producer, except that a task payload ``{"body": B}`` is queued as ``B``."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def send(self, body: Any, **options: Any) -> None:
        payload = body.get("payload") if isinstance(body, dict) else None
        if isinstance(payload, dict) and set(payload) == {"body"}:
            body = {**body, "payload": payload["body"]}
        await self._inner.send(body, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def wrap_body_ignored() -> Runtime:
    """A wrapBody route queues the body itself instead of {"body": <body>} (spec 4.5)."""
    runtime = await Runtime.start()
    env = runtime.env_for("api")
    env["AUTOMATION_QUEUE"] = _UnwrappingQueue(env["AUTOMATION_QUEUE"])
    return runtime


async def sync_result_not_wrapped() -> Runtime:
    """A sync route answers the handler's result itself instead of {"traceId": T, "result": R} (spec 4.6.2)."""

    async def rewrite(request: Request, response: Response) -> Response:
        try:
            body = json.loads(response.body)
        except ValueError:
            return response
        if response.status == 200 and isinstance(body, dict) and set(body) == {"traceId", "result"}:
            content = js_json_stringify(body["result"]).encode("utf-8")
            return Response(response.status, response.headers.copy(), content)
        return response

    runtime = await Runtime.start()
    runtime.api = RewritingApi(runtime, rewrite)
    return runtime


BROKEN: dict[str, tuple[set[str], str]] = {
    "wrap_body_ignored": (
        {"route/chat_notify/accepted-wraps-body"},
        '/task/payload/text: unexpected (got "Fixture message")',
    ),
    "sync_result_not_wrapped": (
        {"route/lead_normalizer/sync-result"},
        '/body/traceId: missing (expected "wfkit-',
    ),
}
"""Factory -> (the route fixtures that must fail, a line their failure output must contain)."""
