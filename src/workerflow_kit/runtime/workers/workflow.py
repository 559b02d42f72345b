"""The workflow worker (spec 6): runs one task per ``POST /run-sync`` or ``/run-async`` and reports config health.

Per request, in upstream's order: resolve every Secrets-Store binding of the env (6.1), resolve the manifest
(3.3), then route by exact raw pathname (6.2). ``/health`` and ``/health/config`` answer any method; other
paths need ``POST``; only the two ``/run-*`` paths execute tasks, and both behave the same (6.4).

Dispatch goes through a :class:`~workerflow_kit.runtime.handlers.HandlerRegistry` (the five built-ins unless
another registry is given) and ignores the manifest and route gating, as upstream does: any id with a handler
runs, whatever the manifest says. Lookups use ``String(id)``, as a JS property access does, so a non-string
id such as ``["webhook_echo"]`` still finds its handler.

Where upstream throws without a catch (secrets, manifest, body parsing), the reference answers JSON errors
instead; :data:`DEVIATIONS` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from workerflow_kit.contracts.manifest import ManifestError, resolve_manifest
from workerflow_kit.contracts.models import Manifest, parse_js_json
from workerflow_kit.contracts.runtime_config import validate_manifest_config, validate_task_config
from workerflow_kit.jscompat.json import JsSyntaxError
from workerflow_kit.jscompat.numbers import UNDEFINED
from workerflow_kit.jscompat.values import js_string, js_truthy
from workerflow_kit.runtime.bindings.secrets import resolve_env
from workerflow_kit.runtime.deviations import Deviation
from workerflow_kit.runtime.handlers import (
    HandlerContext,
    HandlerRegistry,
    WorkflowHandlerError,
    builtin_registry,
    call_handler,
)
from workerflow_kit.runtime.http import JSON_CONTENT_TYPE, Headers, Request, Response, WorkerApp, json_response
from workerflow_kit.runtime.workers.base import Env, WorkerContext

__all__ = ["DEVIATIONS", "WORKER_NAME", "DispatchError", "WorkflowWorker", "dispatch_task"]

WORKER_NAME: Final = "workflow"
RUN_PATHS: Final = frozenset({"/run-sync", "/run-async"})

SECRET_RESOLUTION_ERROR: Final = "secret resolution failed"
INVALID_MANIFEST_ERROR: Final = "invalid manifest configuration"
INVALID_TASK_BODY_ERROR: Final = "invalid task body"
NULL_TASK_MESSAGE: Final = "task body must not be null"

_UNHANDLED = "unhandled exception: Cloudflare's bare 500 (not JSON, no CORS headers)"

DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        id="workflow.secret-resolution-rejected",
        worker=WORKER_NAME,
        situation="a Secrets-Store binding's get() rejects (on every request, /health included; quirk Q23)",
        upstream=_UNHANDLED,
        reference='500 {"error":"secret resolution failed","message":<the rejection\'s message>}',
    ),
    Deviation(
        id="workflow.invalid-manifest",
        worker=WORKER_NAME,
        situation="MANIFEST_MODE=config with an invalid ROUTES_CONFIG_JSON / SCHEDULES_CONFIG_JSON (every request)",
        upstream=_UNHANDLED,
        reference='500 {"error":"invalid manifest configuration","message":<the manifest error text>}',
    ),
    Deviation(
        id="workflow.task-body-not-json",
        worker=WORKER_NAME,
        situation="POST /run-sync or /run-async whose body is not valid JSON (an empty body included)",
        upstream=_UNHANDLED,
        reference='400 {"error":"invalid task body","message":<the JSON.parse message>}',
    ),
    Deviation(
        id="workflow.task-body-null",
        worker=WORKER_NAME,
        situation="POST /run-sync or /run-async whose body is the JSON literal null",
        upstream=_UNHANDLED + " (property access on null)",
        reference='400 {"error":"invalid task body","message":"task body must not be null"}',
    ),
    Deviation(
        id="workflow.inherited-handler-names",
        worker=WORKER_NAME,
        situation="a task whose routePath or scheduleId names an Object.prototype member (constructor, toString, "
        "valueOf, __proto__, ...)",
        upstream="the handler tables are plain JS objects, so the inherited member is found and called: a 200 with "
        "an odd body (constructor, toString) or a 500 handler_error carrying a JS TypeError",
        reference='500 handler_error "No HTTP handler registered for route ..." / "No cron handler registered '
        'for schedule ...", as for any id without a handler',
    ),
)


class DispatchError(Exception):
    """A task the registry cannot run; ``str(error)`` is upstream's message (spec 6.5)."""


def _prop(task: object, key: str) -> Any:
    """``task[key]`` as JS reads it: :data:`UNDEFINED` when absent or when the task is not an object."""
    return task.get(key, UNDEFINED) if isinstance(task, dict) else UNDEFINED


async def dispatch_task(
    task: object,
    env: Mapping[str, object],
    registry: HandlerRegistry,
    context: WorkerContext,
) -> Any:
    """Run ``task`` through ``registry`` (spec 6.5) and return the handler's result.

    Raises :class:`DispatchError` with upstream's message when the task cannot be dispatched; whatever the
    handler raises propagates.
    """
    kind = _prop(task, "kind")
    trace_id = js_string(_prop(task, "traceId"))
    payload = _prop(task, "payload")
    if isinstance(kind, str) and kind == "http_route":
        route_path = _prop(task, "routePath")
        if not js_truthy(route_path):
            raise DispatchError("http_route task missing routePath")
        key = js_string(route_path)
        handler = registry.http_handler(key)
        if handler is None:
            raise DispatchError(f'No HTTP handler registered for route "{key}"')
        ctx = HandlerContext(env=env, clock=context.clock, outbound=context.outbound)
        return await call_handler(handler, payload, trace_id, ctx)
    if isinstance(kind, str) and kind == "scheduled_job":
        schedule_id = _prop(task, "scheduleId")
        if not js_truthy(schedule_id):
            raise DispatchError("scheduled_job task missing scheduleId")
        key = js_string(schedule_id)
        handler = registry.cron_handler(key)
        if handler is None:
            raise DispatchError(f'No cron handler registered for schedule "{key}"')
        ctx = HandlerContext(env=env, clock=context.clock, outbound=context.outbound, schedule_id=key)
        return await call_handler(handler, payload, trace_id, ctx)
    raise DispatchError(f'Unsupported task kind "{js_string(kind)}"')


def _error_message(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _json_value(value: object) -> object:
    """A JSON-able stand-in for an env value echoed in a health body: a binding object (which
    ``JSON.stringify`` renders from its own enumerable fields, none for Workers bindings) becomes ``{}``."""
    if value is UNDEFINED or value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return {}


def _normalize_method(method: str) -> str:
    # The Fetch API upper-cases these six methods and keeps any other method as sent.
    upper = method.upper()
    return upper if upper in {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"} else method


class WorkflowWorker:
    """The workflow worker: ``await worker.fetch(request, env)``; serve it with :meth:`app`."""

    name = WORKER_NAME

    def __init__(self, context: WorkerContext, registry: HandlerRegistry | None = None) -> None:
        """``registry`` defaults to a fresh :func:`~workerflow_kit.runtime.handlers.builtin_registry`."""
        self.context = context
        self.registry = builtin_registry() if registry is None else registry

    def app(self, env: Env) -> WorkerApp:
        """This worker with ``env`` bound, as an ASGI app (for a service binding, a client or a server)."""

        async def fetch(request: Request) -> Response:
            return await self.fetch(request, env)

        return WorkerApp(fetch, self.name)

    async def fetch(self, request: Request, env: Env) -> Response:
        """Handle one request (spec 6.2)."""
        try:
            resolved = await resolve_env(env)
        except Exception as exc:
            return json_response({"error": SECRET_RESOLUTION_ERROR, "message": _error_message(exc)}, 500)
        try:
            manifest = resolve_manifest(
                resolved,
                builtin_routes=self.context.builtin_routes,
                builtin_schedules=self.context.builtin_schedules,
            )
        except ManifestError as exc:
            return json_response({"error": INVALID_MANIFEST_ERROR, "message": str(exc)}, 500)

        path = request.pathname
        env_name = _json_value(resolved.get("ENV_NAME", UNDEFINED))
        if path == "/health":
            return json_response({"ok": True, "env": env_name, "worker": WORKER_NAME})
        if path == "/health/config":
            return self._health_config(manifest, resolved, env_name)
        if _normalize_method(request.method) != "POST":
            return json_response({"error": "method not allowed"}, 405)
        if path not in RUN_PATHS:
            return json_response({"error": "not found"}, 404)
        return await self._run(request, resolved)

    @staticmethod
    def _health_config(manifest: Manifest, env: Mapping[str, object], env_name: object) -> Response:
        errors = validate_manifest_config(manifest, env)
        return json_response(
            {
                "ok": not errors,
                "env": env_name,
                "worker": WORKER_NAME,
                "manifestMode": manifest.mode,
                "errors": errors,
            }
        )

    async def _run(self, request: Request, env: Mapping[str, object]) -> Response:
        # request.json(): UTF-8 decode (a leading BOM dropped), then JSON.parse.
        text = request.body.decode("utf-8", errors="replace").removeprefix("\ufeff")
        try:
            task = parse_js_json(text)
        except JsSyntaxError as exc:
            return json_response({"error": INVALID_TASK_BODY_ERROR, "message": str(exc)}, 400)
        if task is None:
            return json_response({"error": INVALID_TASK_BODY_ERROR, "message": NULL_TASK_MESSAGE}, 400)

        config_errors = validate_task_config(task if isinstance(task, dict) else {}, env)
        if config_errors:
            body = {
                "error": "missing required configuration",
                "traceId": _prop(task, "traceId"),
                "details": config_errors,
            }
            return json_response(body, 500)

        try:
            result = await dispatch_task(task, env, self.registry, self.context)
            if result is UNDEFINED:
                # JSON.stringify(undefined) is undefined: the Response gets no body.
                return Response(200, Headers({"content-type": JSON_CONTENT_TYPE}), b"")
            return json_response(result)
        except WorkflowHandlerError as exc:
            body = {"error": exc.code, "message": exc.message, "details": exc.details}
            return json_response(body, exc.status)
        except Exception as exc:
            return json_response({"error": "handler_error", "message": str(exc), "details": None}, 500)
