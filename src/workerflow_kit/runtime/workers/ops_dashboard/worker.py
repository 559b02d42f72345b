"""The ops dashboard worker's ``fetch``: spec 9.1's precedence, then the ``/api/*`` endpoint table.

1. any method ``/health``; 2. ``GET`` favicons; 3. ``GET /app.js`` and ``/api/app.js`` (no auth);
4. ``GET /``; 5. anything else outside ``/api/`` → 404; 6. auth (401); 7. manifest and extensions;
8. the endpoint table (:mod:`.routing`), no match → 404 ``{"error":"not found"}``.

Where upstream crashes, an :class:`~.deviations.OpsFault` becomes its clean JSON answer, and a D1 failure
becomes a 500 JSON body (deviation ``ops.storage.failure``) rather than the platform's error page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from workerflow_kit.contracts.manifest import ManifestError, resolve_manifest
from workerflow_kit.runtime.bindings.d1 import D1Error
from workerflow_kit.runtime.http import Headers, Request, Response, json_response
from workerflow_kit.runtime.workers.base import Env, WorkerContext
from workerflow_kit.runtime.workers.ops_dashboard import details, overview, retry, runs, timeline, ui
from workerflow_kit.runtime.workers.ops_dashboard.auth import is_authorized, unauthorized_response
from workerflow_kit.runtime.workers.ops_dashboard.context import ApiCall, env_name
from workerflow_kit.runtime.workers.ops_dashboard.deviations import ManifestFault, OpsFault, StorageFault
from workerflow_kit.runtime.workers.ops_dashboard.routing import Endpoint, fetch_method, match_api, normalize_path
from workerflow_kit.runtime.workers.ops_dashboard.secrets_health import secrets_health

__all__ = ["WORKER_NAME", "OpsDashboardWorker"]

log = logging.getLogger("workerflow_kit.runtime.ops_dashboard")

WORKER_NAME: Final = "ops-dashboard"
_NOT_FOUND: Final = {"error": "not found"}

Handler = Callable[[ApiCall], Awaitable[Response]]
ParamHandler = Callable[[ApiCall, str], Awaitable[Response]]

_HANDLERS: Final[dict[Endpoint, Handler]] = {
    Endpoint.META: overview.meta,
    Endpoint.EXTENSIONS: overview.extensions,
    Endpoint.SUMMARY: overview.summary,
    Endpoint.CATALOG: overview.catalog,
    Endpoint.RUNS: runs.runs,
    Endpoint.DEAD_LETTERS: runs.dead_letters,
    Endpoint.REPLAYS: runs.replays,
    Endpoint.TIMELINE: timeline.timeline,
    Endpoint.TIMELINE_DETAIL: timeline.timeline_detail,
    Endpoint.ERROR_CLUSTERS: timeline.error_clusters,
    Endpoint.SECRETS_HEALTH: secrets_health,
}
_PARAM_HANDLERS: Final[dict[Endpoint, ParamHandler]] = {
    Endpoint.RUN_DETAIL: runs.run_detail,
    Endpoint.RETRY: retry.retry,
    Endpoint.ROUTE_DETAIL: details.route_detail,
    Endpoint.CRON_DETAIL: details.cron_detail,
    Endpoint.CRON_RUN: details.cron_run,
}


def _static(body: bytes, content_type: str, cache_control: str) -> Response:
    return Response(200, Headers({"content-type": content_type, "cache-control": cache_control}), body)


class OpsDashboardWorker:
    """The ``workers/ops-dashboard`` worker: dashboard page, script, icon and the ``/api/*`` JSON API."""

    name = WORKER_NAME

    def __init__(self, context: WorkerContext) -> None:
        """Create the worker over the runtime's shared services (clock, built-in manifest)."""
        self.context = context

    async def fetch(self, request: Request, env: Env) -> Response:
        """Answer one request (spec 9.1)."""
        method = fetch_method(request.method)
        path = normalize_path(request.pathname)
        if path == "/health":
            return json_response({"ok": True, "env": env_name(env), "worker": WORKER_NAME})
        if method == "GET":
            page = self._page(path, env)
            if page is not None:
                return page
        if not path.startswith("/api/"):
            return json_response(_NOT_FOUND, 404)
        if not is_authorized(request.headers, env):
            return unauthorized_response()
        try:
            return await self._api(request, method, path, env)
        except OpsFault as fault:
            return json_response(fault.body(), fault.status)
        except D1Error as exc:
            log.warning("ops-dashboard: D1 failed on %s %s: %s", method, path, exc)
            storage = StorageFault("database", exc.message)
            return json_response(storage.body(), storage.status)

    def _page(self, path: str, env: Env) -> Response | None:
        if path in ("/favicon.svg", "/favicon.ico"):
            return _static(ui.favicon_svg(), ui.FAVICON_CONTENT_TYPE, ui.FAVICON_CACHE_CONTROL)
        if path in ("/app.js", "/api/app.js"):
            script = ui.app_js()
            if not script.strip():
                return json_response({"error": "dashboard script unavailable"}, 500)
            return _static(script, ui.APP_JS_CONTENT_TYPE, ui.NO_STORE)
        if path == "/":
            name = env.get("ENV_NAME")
            return _static(ui.index_html(name if isinstance(name, str) else None), ui.HTML_CONTENT_TYPE, ui.NO_STORE)
        return None

    async def _api(self, request: Request, method: str, path: str, env: Env) -> Response:
        try:
            manifest = resolve_manifest(
                env,
                builtin_routes=self.context.builtin_routes,
                builtin_schedules=self.context.builtin_schedules,
            )
        except ManifestError as exc:
            raise ManifestFault(str(exc)) from exc
        call = ApiCall(request, env, manifest, overview.read_extensions(env), self.context.clock)
        match = match_api(method, path)
        if match is None:
            return json_response(_NOT_FOUND, 404)
        if match.invalid_error is not None:
            return json_response({"error": match.invalid_error}, 404)
        if match.param is not None:
            return await _PARAM_HANDLERS[match.endpoint](call, match.param)
        return await _HANDLERS[match.endpoint](call)
