"""The api worker (``workers/api``): HTTP ingress for routes, the dev-cron endpoint and the legacy alert.

:class:`ApiWorker` follows spec 4.1 step by step, in its precedence order; helpers live beside it:
``api_url`` (URL parsing and path rules), ``api_cors``, ``api_auth`` (ingress token, trace ids),
``api_body`` (body parsing, ``wrapBody``), ``api_idempotency`` (the D1 ledger), ``api_legacy`` and
``api_sync`` (``/run-sync`` and passthrough responses).

Where upstream crashes, this worker answers a JSON error with the CORS headers instead; each such decision is
listed in :data:`DEVIATIONS`. Every other observable behaviour, quirks included, is upstream's.
"""

from __future__ import annotations

import logging
from typing import Any, Final, Protocol, cast

from workerflow_kit.contracts.gating import is_route_enabled
from workerflow_kit.contracts.manifest import ManifestError, find_enabled_schedule, find_route, resolve_manifest
from workerflow_kit.contracts.models import Manifest, RouteDefinition, parse_js_json
from workerflow_kit.jscompat.json import JsSyntaxError, js_json_stringify
from workerflow_kit.runtime.bindings.d1 import D1Database
from workerflow_kit.runtime.deviations import Deviation
from workerflow_kit.runtime.http import Headers, Request, Response, json_response
from workerflow_kit.runtime.workers.api_auth import IngressTokenTypeError, is_ingress_authorized, read_trace_id
from workerflow_kit.runtime.workers.api_body import parse_request_body, wrap_payload
from workerflow_kit.runtime.workers.api_cors import with_cors
from workerflow_kit.runtime.workers.api_idempotency import claim_trace_id, is_duplicate
from workerflow_kit.runtime.workers.api_legacy import legacy_response, notify_legacy_hit
from workerflow_kit.runtime.workers.api_sync import SyncService, run_sync_task
from workerflow_kit.runtime.workers.api_url import ApiUrl, UriError, legacy_route, parse_url, segments
from workerflow_kit.runtime.workers.base import Env, WorkerContext

__all__ = ["DEVIATIONS", "ApiWorker"]

log = logging.getLogger("workerflow_kit.runtime.api")

HINT_BODY: Final = {"error": "unknown route", "hint": "Use POST /api/{route}"}

DEVIATIONS: Final[tuple[Deviation, ...]] = (
    Deviation(
        id="api.body.invalid-json",
        worker="api",
        situation="POST to a route with a content type containing application/json and a body JSON.parse "
        "rejects (an empty body included)",
        upstream="request.json() throws: unhandled 500 without CORS; the trace id is not consumed",
        reference='400 {"error":"invalid JSON body","traceId":T,"message":<JSON.parse message>} with CORS; '
        "the trace id is not consumed (nothing is stored)",
    ),
    Deviation(
        id="api.url.malformed-escape",
        worker="api",
        situation="a path api/r/<x>/<rest...> whose rest holds a malformed percent-escape, any method "
        "(OPTIONS included)",
        upstream="decodeURIComponent throws URIError: unhandled 500 without CORS",
        reference='400 {"error":"malformed URL escape","message":"URI malformed"} with CORS',
    ),
    Deviation(
        id="api.manifest.invalid",
        worker="api",
        situation="manifest resolution fails (config mode with a bad ROUTES_CONFIG_JSON / "
        "SCHEDULES_CONFIG_JSON, or a non-string manifest variable); every request, health and preflight too",
        upstream="unhandled 500 without CORS",
        reference='500 {"error":"invalid manifest configuration","message":<resolution error text>} with CORS',
    ),
    Deviation(
        id="api.config.ingress-token-type",
        worker="api",
        situation="API_INGRESS_TOKEN holds a non-string value (a binding object, a number) and a POST reaches "
        "the auth step",
        upstream="calling trim on it throws TypeError: unhandled 500 without CORS",
        reference='500 {"error":"invalid configuration","message":"API_INGRESS_TOKEN must be a string, got '
        '<type>"} with CORS',
    ),
    Deviation(
        id="api.internal.storage-or-dispatch",
        worker="api",
        situation="a D1 statement, the queue send or a binding fails (or a binding is missing)",
        upstream="unhandled 500 without CORS (a key written before the failure stays written)",
        reference='500 {"error":"internal error","traceId":T,"message":<error text>} with CORS ("traceId" '
        "left out before one is assigned); a key written before the failure stays written, as upstream",
    ),
    Deviation(
        id="api.sync.non-json",
        worker="api",
        situation="the workflow answers /run-sync with a 2xx status and a body that is not JSON",
        upstream="response.json() throws: unhandled 500 without CORS (the trace id is consumed)",
        reference='500 {"traceId":T,"error":"sync execution failed","details":<workflow body text>} with '
        "CORS, the shape of the non-2xx case (the trace id is consumed, as upstream)",
    ),
    Deviation(
        id="api.sync.invalid-passthrough",
        worker="api",
        situation="a sync passthrough result the Response constructor rejects: status outside 200-599, a "
        "non-empty body with status 204/205/304, headers that are not [name, value] pairs or hold an invalid "
        "name or value",
        upstream="new Response throws: unhandled 500 without CORS",
        reference='500 {"traceId":T,"error":"invalid passthrough response","message":<reason>} with CORS',
    ),
    Deviation(
        id="api.idempotency.atomic",
        worker="api",
        situation="concurrent requests with one trace id that all pass the duplicate check",
        upstream="check-then-insert is not atomic: every such request dispatches",
        reference="the INSERT OR IGNORE decides: only the request whose insert created the row dispatches; the "
        'others answer the duplicate shape (202 {"accepted":true,"duplicate":true,"traceId":T}, plus '
        '"scheduleId" on the dev-cron endpoint). Serial behaviour is unchanged',
    ),
)


class _QueueProducer(Protocol):
    async def send(self, body: Any) -> None: ...


async def _send(env: Env, task: dict[str, Any]) -> None:
    """Send a task to ``AUTOMATION_QUEUE`` as JSON values.

    Everything downstream sees the task through ``JSON.stringify`` (the consumer's ``/run-async`` body, the
    stored payloads), so values JSON cannot hold are normalized first, as it would: a body number too large
    for a double (``1e400``, JS ``Infinity``) becomes ``null``.
    """
    await cast(_QueueProducer, env["AUTOMATION_QUEUE"]).send(parse_js_json(js_json_stringify(task)))


def _health_body(env: Env) -> dict[str, object]:
    body: dict[str, object] = {"ok": True}
    env_name = env.get("ENV_NAME")
    # An unset var is JS undefined, which JSON.stringify leaves out.
    if isinstance(env_name, str | bool | int | float):
        body["env"] = env_name
    body["worker"] = "api"
    return body


def _internal_error(exc: Exception, trace_id: str | None = None) -> Response:
    body: dict[str, object] = {"error": "internal error"}
    if trace_id is not None:
        body["traceId"] = trace_id
    body["message"] = str(exc) or type(exc).__name__
    return json_response(body, status=500)


def _duplicate(trace_id: str, schedule_id: str | None = None) -> Response:
    body: dict[str, object] = {"accepted": True, "duplicate": True, "traceId": trace_id}
    if schedule_id is not None:
        body["scheduleId"] = schedule_id
    return json_response(body, status=202)


class ApiWorker:
    """The api worker: ``await ApiWorker(context).fetch(request, env)``.

    ``env`` holds the user's vars plus the bindings ``DB`` (D1), ``AUTOMATION_QUEUE`` (queue producer),
    ``WORKFLOW_SERVICE`` (service binding to the workflow worker) and, optionally, Secrets-Store bindings for
    the legacy alert webhook. The manifest is resolved from ``env`` on every request.
    """

    name = "api"

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    async def fetch(self, request: Request, env: Env) -> Response:
        """Answer one request (spec 4.1); every response carries the CORS headers."""
        url = parse_url(request.url)
        try:
            manifest = resolve_manifest(
                env,
                builtin_routes=self.context.builtin_routes,
                builtin_schedules=self.context.builtin_schedules,
            )
        except ManifestError as exc:
            body = {"error": "invalid manifest configuration", "message": str(exc)}
            return with_cors(json_response(body, status=500), request.headers)
        parts = segments(url.pathname)
        try:
            legacy = legacy_route(parts)
        except UriError as exc:
            body = {"error": "malformed URL escape", "message": str(exc)}
            return with_cors(json_response(body, status=400), request.headers)
        try:
            response = await self._handle(request, env, url=url, parts=parts, legacy=legacy, manifest=manifest)
        except IngressTokenTypeError as exc:
            response = json_response({"error": "invalid configuration", "message": str(exc)}, status=500)
        except Exception as exc:
            log.exception("api failed on %s %s", request.method, url.href)
            response = _internal_error(exc)
        return with_cors(response, request.headers)

    async def _handle(
        self, request: Request, env: Env, *, url: ApiUrl, parts: list[str], legacy: str, manifest: Manifest
    ) -> Response:
        method = request.method
        if method == "OPTIONS" and url.pathname.startswith("/api/"):
            return Response(204, Headers(), b"")
        if url.pathname == "/api/health":
            return json_response(_health_body(env))
        if legacy or url.pathname.startswith("/api/r/"):
            trace_id = read_trace_id(request.headers)
            await notify_legacy_hit(
                request,
                url,
                env,
                client=self.context.outbound,
                clock=self.context.clock,
                trace_id=trace_id,
                route=legacy,
            )
            return legacy_response(trace_id, legacy)
        if method != "POST":
            return json_response({"error": "method not allowed"}, status=405)
        if not is_ingress_authorized(request.headers, env):
            return json_response({"error": "unauthorized"}, status=401)
        if len(parts) == 4 and parts[:3] == ["api", "dev", "cron"]:
            return await self._dev_cron(request, env, manifest, parts[3])
        if len(parts) != 2 or parts[0] != "api":
            return json_response(HINT_BODY, status=404)
        route = find_route(manifest, parts[1])
        if route is None or not is_route_enabled(parts[1], env):
            # A gated route is indistinguishable from an unknown one.
            return json_response({"error": "unknown route", "routePath": parts[1]}, status=404)
        return await self._route(request, env, route)

    async def _route(self, request: Request, env: Env, route: RouteDefinition) -> Response:
        """Steps 10-12: duplicate check, body parse, task, key insert, dispatch."""
        trace_id = read_trace_id(request.headers)
        try:
            db = cast(D1Database, env["DB"])
            if await is_duplicate(db, trace_id):
                return _duplicate(trace_id)
        except Exception as exc:
            log.exception("api idempotency check failed (trace %s)", trace_id)
            return _internal_error(exc, trace_id)
        try:
            parsed = parse_request_body(request.headers, request.body)
        except JsSyntaxError as exc:
            # Nothing is stored yet, so the client may retry with the same trace id.
            return json_response({"error": "invalid JSON body", "traceId": trace_id, "message": str(exc)}, 400)
        task: dict[str, Any] = {
            "kind": "http_route",
            "traceId": trace_id,
            "routePath": route.routePath,
            "payload": wrap_payload(parsed, route.wrapBody),
            "enqueuedAt": self.context.clock.now_iso(),
        }
        try:
            if not await claim_trace_id(db, trace_id, self.context.clock.now_iso()):
                return _duplicate(trace_id)  # a concurrent twin inserted first and dispatches
            if route.requestType == "async":
                await _send(env, task)
                body = {
                    "accepted": True,
                    "traceId": trace_id,
                    "routePath": route.routePath,
                    "queuedAt": task["enqueuedAt"],
                }
                return json_response(body, status=202)
            return await run_sync_task(cast(SyncService, env["WORKFLOW_SERVICE"]), task)
        except Exception as exc:
            log.exception("api dispatch failed (trace %s, route %s)", trace_id, route.routePath)
            return _internal_error(exc, trace_id)

    async def _dev_cron(self, request: Request, env: Env, manifest: Manifest, schedule_id: str) -> Response:
        """Spec 4.7: enqueue an enabled schedule by hand (any environment; the body is ignored)."""
        schedule = find_enabled_schedule(manifest, schedule_id)
        if schedule is None:
            return json_response({"error": "unknown schedule", "scheduleId": schedule_id}, status=404)
        trace_id = read_trace_id(request.headers)
        now = self.context.clock.now_iso()
        try:
            db = cast(D1Database, env["DB"])
            if await is_duplicate(db, trace_id):
                return _duplicate(trace_id, schedule_id)
            task: dict[str, Any] = {
                "kind": "scheduled_job",
                "traceId": trace_id,
                "scheduleId": schedule.id,
                "payload": {
                    "target": schedule.target,
                    "cron": schedule.cron,
                    "timeZone": schedule.timeZone,
                    "scheduledTime": now,
                    "trigger": "manual_api",
                },
                "enqueuedAt": now,
            }
            if not await claim_trace_id(db, trace_id, self.context.clock.now_iso()):
                return _duplicate(trace_id, schedule_id)
            await _send(env, task)
        except Exception as exc:
            log.exception("api dev-cron enqueue failed (trace %s, schedule %s)", trace_id, schedule_id)
            return _internal_error(exc, trace_id)
        body = {
            "accepted": True,
            "traceId": trace_id,
            "scheduleId": schedule.id,
            "enqueuedAt": now,
            "trigger": "manual_api",
        }
        return json_response(body, status=202)
