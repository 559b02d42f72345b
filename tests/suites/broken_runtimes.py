"""Reference runtimes with exactly one rule broken, for the meta-tests (``--wf-runtime-factory=<this>:<name>``).

Each factory starts the reference :class:`Runtime`, then breaks one rule from the outside: a subclass of the
api worker that rewrites one kind of answer, or a wrapper around one binding in the api's live env. The
runtime's code is never patched, so nothing leaks into other tests. :data:`BROKEN` maps each factory to the
check ids that must catch it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from tests.suites.broken.responses import json_body
from workerflow_kit.jscompat.json import js_json_stringify
from workerflow_kit.runtime.http import Headers, Request, Response
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.runtime.workers.api import ApiWorker
from workerflow_kit.runtime.workers.base import Env

WRAPPED_ROUTES = {"chat_notify", "lead_normalizer"}

Rewrite = Callable[[Request, Response], Awaitable[Response]]


class RewritingApi(ApiWorker):
    """The reference api worker with its answers passed through ``rewrite``."""

    def __init__(self, runtime: Runtime, rewrite: Rewrite) -> None:
        super().__init__(runtime.context)
        self.rewrite = rewrite

    async def fetch(self, request: Request, env: Env) -> Response:
        return await self.rewrite(request, await super().fetch(request, env))


async def _with_api(rewrite: Rewrite) -> Runtime:
    runtime = await Runtime.start()
    runtime.api = RewritingApi(runtime, rewrite)
    return runtime


def _replace(response: Response, *, status: int | None = None, body: Any = None) -> Response:
    """A copy of ``response`` with another status and/or JSON body, its (CORS) headers kept."""
    content = response.body if body is None else js_json_stringify(body).encode("utf-8")
    return Response(response.status if status is None else status, response.headers.copy(), content)


# ------------------------------------------------------------------------------------------ answers


async def duplicate_answers_200() -> Runtime:
    """A duplicate trace id answers 200 instead of 202."""

    async def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if response.status == 202 and isinstance(body, dict) and body.get("duplicate") is True:
            return _replace(response, status=200)
        return response

    return await _with_api(rewrite)


async def cors_origin_not_echoed() -> Runtime:
    """Every answer says ``access-control-allow-origin: *``, whatever the request's Origin."""

    async def rewrite(request: Request, response: Response) -> Response:
        headers = response.headers.copy()
        headers.set("access-control-allow-origin", "*")
        return Response(response.status, headers, response.body)

    return await _with_api(rewrite)


async def unknown_route_405() -> Runtime:
    """An unknown route answers 405 (as if the method were wrong) instead of 404."""

    async def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if response.status == 404 and isinstance(body, dict) and "routePath" in body:
            return _replace(response, status=405, body={"error": "method not allowed"})
        return response

    return await _with_api(rewrite)


async def get_answers_404() -> Runtime:
    """A non-POST request answers 404 instead of 405."""

    async def rewrite(request: Request, response: Response) -> Response:
        if response.status == 405:
            return _replace(response, status=404, body={"error": "not found"})
        return response

    return await _with_api(rewrite)


async def health_without_worker() -> Runtime:
    """The health answer leaves out ``worker``."""

    async def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if request.pathname == "/api/health" and isinstance(body, dict):
            return _replace(response, body={key: value for key, value in body.items() if key != "worker"})
        return response

    return await _with_api(rewrite)


async def malformed_json_crashes() -> Runtime:
    """A body that fails to parse crashes the worker (a bare 500): upstream's v0.1 behaviour."""

    async def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if response.status == 400 and isinstance(body, dict) and body.get("error") == "invalid JSON body":
            raise ValueError("Unexpected end of JSON input")
        return response

    return await _with_api(rewrite)


async def bad_json_consumes_trace() -> Runtime:
    """A body that fails to parse still stores its trace id, so the retry is answered as a duplicate."""
    runtime = await Runtime.start()

    async def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if response.status == 400 and isinstance(body, dict) and body.get("error") == "invalid JSON body":
            await (
                runtime.db.prepare("INSERT OR IGNORE INTO idempotency_keys (trace_id, created_at) VALUES (?1, ?2)")
                .bind(body["traceId"], runtime.clock.now_iso())
                .run()
            )
        return response

    runtime.api = RewritingApi(runtime, rewrite)
    return runtime


# ------------------------------------------------------------------------------------------ bindings


class _QueueWrapper:
    """Stands in for the api's ``AUTOMATION_QUEUE``; ``transform`` returns the body to send, or None to drop it."""

    def __init__(self, inner: Any, transform: Callable[[Any], Any]) -> None:
        self.inner = inner
        self.transform = transform

    async def send(self, body: Any, **options: Any) -> None:
        changed = self.transform(body)
        if changed is not None:
            await self.inner.send(changed, **options)


class _ServiceWrapper:
    """Stands in for the api's ``WORKFLOW_SERVICE``, rewriting the task JSON it forwards."""

    def __init__(self, inner: Any, transform: Callable[[Any], Any]) -> None:
        self.inner = inner
        self.transform = transform

    async def fetch(self, method: str, url_or_path: str, *, headers: Any = None, content: Any = None) -> Any:
        if content:
            task = json.loads(content)
            content = js_json_stringify(self.transform(task))
        return await self.inner.fetch(method, url_or_path, headers=headers, content=content)


def _unwrap(task: Any) -> Any:
    if isinstance(task, dict) and task.get("routePath") in WRAPPED_ROUTES and isinstance(task.get("payload"), dict):
        return {**task, "payload": task["payload"].get("body")}
    return task


def _wrap(task: Any) -> Any:
    if isinstance(task, dict) and task.get("kind") == "http_route":
        return {**task, "payload": {"body": task.get("payload")}}
    return task


async def wrapbody_ignored() -> Runtime:
    """Routes with ``wrapBody: true`` get the bare body as payload (the flag is ignored)."""
    runtime = await Runtime.start()
    env = runtime.env_for("api")
    env["AUTOMATION_QUEUE"] = _QueueWrapper(env["AUTOMATION_QUEUE"], _unwrap)
    env["WORKFLOW_SERVICE"] = _ServiceWrapper(env["WORKFLOW_SERVICE"], _unwrap)
    return runtime


async def wrapbody_always() -> Runtime:
    """Every route wraps the body, ``wrapBody: false`` ones included."""
    runtime = await Runtime.start()
    env = runtime.env_for("api")
    env["AUTOMATION_QUEUE"] = _QueueWrapper(env["AUTOMATION_QUEUE"], _wrap)
    return runtime


async def accepted_task_dropped() -> Runtime:
    """Async routes answer 202 but the task never reaches the queue."""
    runtime = await Runtime.start()
    env = runtime.env_for("api")
    env["AUTOMATION_QUEUE"] = _QueueWrapper(env["AUTOMATION_QUEUE"], lambda body: None)
    return runtime


def not_a_runtime() -> object:
    """A factory that returns something else (the target must refuse it clearly)."""
    return Headers()


BROKEN: dict[str, tuple[str, frozenset[str]]] = {
    # factory: (the check that names the broken rule, every check that must fail against it)
    "duplicate_answers_200": (
        "routes.duplicate-is-202",
        frozenset({"routes.duplicate-is-202", "routes.sync-duplicate-is-202"}),
    ),
    "cors_origin_not_echoed": (
        "routes.cors-origin-echoed",
        frozenset(
            {
                "routes.cors-origin-echoed",
                "routes.preflight-cors",
                "routes.async-accepted-shape",
                "routes.duplicate-is-202",
                "routes.sync-result-shape",
                "routes.malformed-json-no-5xx",
            }
        ),
    ),
    "unknown_route_405": (
        "routes.unknown-route-404",
        frozenset({"routes.unknown-route-404", "routes.cors-origin-echoed"}),
    ),
    "get_answers_404": ("routes.non-post-405", frozenset({"routes.non-post-405", "routes.cors-origin-echoed"})),
    "health_without_worker": ("routes.health-shape", frozenset({"routes.health-shape"})),
    "malformed_json_crashes": ("routes.malformed-json-no-5xx", frozenset({"routes.malformed-json-no-5xx"})),
    "bad_json_consumes_trace": ("routes.malformed-json-keeps-trace", frozenset({"routes.malformed-json-keeps-trace"})),
    "wrapbody_ignored": ("routes.sync-wrapbody", frozenset({"routes.async-task-shape", "routes.sync-wrapbody"})),
    "wrapbody_always": ("routes.async-wrapbody", frozenset({"routes.async-task-shape", "routes.async-wrapbody"})),
    "accepted_task_dropped": (
        "routes.async-task-runs",
        frozenset({"routes.async-task-runs", "routes.async-task-shape", "routes.async-wrapbody"}),
    ),
}
"""Factory name -> (the check named after the broken rule, exactly the checks that must fail; the rest pass)."""
