"""More reference runtimes with one rule broken, for the fuzz meta-tests (``--runtime-factory=<this>:<name>``).

They extend the shared catalogue (:mod:`tests.suites.broken_runtimes`) with faults only Schemathesis-driven
checks see across every operation. Each wraps the reference api worker's answers (the runtime's code is never
patched). :data:`BROKEN` maps each factory, and the catalogue entries the fuzz checks catch too, to the check
that must name it.
"""

from __future__ import annotations

from typing import Any

from tests.suites.broken.responses import json_body, with_body
from tests.suites.broken_runtimes import Rewrite, RewritingApi
from workerflow_kit.runtime.handlers.context import HandlerContext
from workerflow_kit.runtime.handlers.registry import HandlerRegistry, builtin_registry
from workerflow_kit.runtime.http import Headers, Request, Response
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.runtime.workers.base import Env
from workerflow_kit.runtime.workers.ops_dashboard import OpsDashboardWorker

TOKEN = "fuzz-secret-token-0123"
OFFLINE_ENV = {"GOOGLEAI_API_KEY": "placeholder"}  # the route's config check passes; the handler never calls out


def _offline_handlers() -> HandlerRegistry:
    """The built-in handlers, with ``lead_normalizer`` answering without its AI provider (sync routes succeed)."""

    def normalize(payload: Any, trace_id: str, ctx: HandlerContext) -> dict[str, Any]:
        return {"ok": True, "lead": payload}

    registry = builtin_registry()
    registry.add_http("lead_normalizer", normalize, replace=True)
    return registry


async def _api(rewrite: Rewrite) -> Runtime:
    runtime = await Runtime.start(env=OFFLINE_ENV, handlers=_offline_handlers())
    runtime.api = RewritingApi(runtime, rewrite)
    return runtime


async def offline_reference() -> Runtime:
    """The reference whose sync route succeeds offline (so sync answers are fuzzed too); it must pass."""
    return await Runtime.start(env=OFFLINE_ENV, handlers=_offline_handlers())


async def sync_result_unwrapped() -> Runtime:
    """A sync route answers the workflow's result bare instead of ``{traceId, result}``."""

    async def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if response.status == 200 and isinstance(body, dict) and set(body) == {"traceId", "result"}:
            return with_body(response, body["result"] if isinstance(body["result"], dict) else {"value": 1})
        return response

    return await _api(rewrite)


async def error_shape_changed() -> Runtime:
    """Error answers say ``{"message": ...}`` instead of ``{"error": ...}``."""

    async def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if response.status >= 400 and isinstance(body, dict) and "error" in body:
            return with_body(response, {"message": body.pop("error"), **body})
        return response

    return await _api(rewrite)


async def trace_id_not_echoed() -> Runtime:
    """Answers name a fresh trace id instead of the request's ``x-trace-id``."""

    async def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if isinstance(body, dict) and "traceId" in body and request.headers.get("x-trace-id"):
            return with_body(response, {**body, "traceId": "server-chosen-id"})
        return response

    return await _api(rewrite)


async def unknown_route_500() -> Runtime:
    """An unknown route crashes into a JSON 500 instead of answering 404."""

    async def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if response.status == 404 and isinstance(body, dict) and "routePath" in body:
            return with_body(response, {"error": "internal error", "message": "lookup failed"}, status=500)
        return response

    return await _api(rewrite)


async def token_not_enforced() -> Runtime:
    """``API_INGRESS_TOKEN`` is configured (the client sends it) but requests without it pass too."""
    runtime = await Runtime.start(env={"API_INGRESS_TOKEN": TOKEN})

    class OpenApi(RewritingApi):
        async def fetch(self, request: Request, env: Env) -> Response:
            return await super().fetch(request, {**env, "API_INGRESS_TOKEN": ""})

    async def keep(request: Request, response: Response) -> Response:
        return response

    runtime.api = OpenApi(runtime, keep)
    return runtime


async def with_tokens() -> Runtime:
    """The plain reference with both tokens configured (the target's clients send them)."""
    return await Runtime.start(env={"API_INGRESS_TOKEN": TOKEN, "OPS_DASHBOARD_TOKEN": TOKEN + "-ops"})


async def ops_unauthorized_bare() -> Runtime:
    """The ops dashboard (token configured) answers 401 without its message and ``www-authenticate``."""
    runtime = await Runtime.start(env={"OPS_DASHBOARD_TOKEN": TOKEN})

    class BareOps(OpsDashboardWorker):
        async def fetch(self, request: Request, env: Env) -> Response:
            response = await super().fetch(request, env)
            if response.status == 401:
                return Response(401, Headers({"content-type": "application/json"}), b'{"error":"unauthorized"}')
            return response

    runtime.ops = BareOps(runtime.context)
    return runtime


async def duplicate_enqueues_again() -> Runtime:
    """A repeated trace id answers the documented 202 duplicate, but the request is dispatched again first.

    The ledger row is removed and the request handled afresh (so an async route enqueues a second task and the
    row is stored again, once), then the duplicate answer is returned: only a check that looks past the answer
    and the ``idempotency_keys`` row sees it.
    """
    runtime = await Runtime.start(env=OFFLINE_ENV, handlers=_offline_handlers())

    class Redispatching(RewritingApi):
        async def fetch(self, request: Request, env: Env) -> Response:
            response = await super().fetch(request, env)
            body = json_body(response)
            if response.status == 202 and isinstance(body, dict) and body.get("duplicate") is True:
                await env["DB"].prepare("DELETE FROM idempotency_keys WHERE trace_id = ?1").bind(body["traceId"]).run()
                await super().fetch(request, env)
            return response

    async def keep(request: Request, response: Response) -> Response:
        return response

    runtime.api = Redispatching(runtime, keep)
    return runtime


BROKEN: dict[str, tuple[str, str]] = {
    # factory (module:name): (the document to fuzz, the check that must name the broken rule)
    "tests.suites.broken_runtimes:cors_origin_not_echoed": ("api", "openapi.cors-origin-echoed"),
    "tests.suites.broken_runtimes:duplicate_answers_200": ("api", "openapi.duplicate-is-202"),
    "tests.suites.broken_runtimes:health_without_worker": ("api", "openapi.response-schema"),
    "tests.suites.broken_runtimes:get_answers_404": ("api", "openapi.status-code"),
    "tests.fuzz.broken:sync_result_unwrapped": ("api", "openapi.response-schema"),
    "tests.fuzz.broken:error_shape_changed": ("api", "openapi.error-shape"),
    "tests.fuzz.broken:trace_id_not_echoed": ("api", "openapi.trace-id-echoed"),
    "tests.fuzz.broken:unknown_route_500": ("api", "openapi.no-server-error"),
    "tests.fuzz.broken:token_not_enforced": ("api", "openapi.auth-401"),
    "tests.fuzz.broken:ops_unauthorized_bare": ("ops", "openapi.auth-401"),
    "tests.fuzz.broken:duplicate_enqueues_again": ("api", "openapi.duplicate-is-202"),
}
"""Factory -> (document, check id that must fail against it)."""
