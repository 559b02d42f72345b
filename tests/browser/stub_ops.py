"""A scripted stand-in for the ops dashboard worker: the real page and script, canned ``/api/*`` answers.

It lets the browser test pin down the page's own behaviour (token prompt, escaping, retry from the page, keyboard
use) with data chosen to be hostile: run outputs, errors, route names and extension links carry markup and
``javascript:`` URLs. The answers follow the shapes of spec section 9.5; retry is stateful (a lineage row and a
new run appear), and every request is recorded with the credentials it carried. :class:`ThreadedServer` serves
it (or any ASGI app) on a loopback port for the browser.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workerflow_kit.runtime.workers.ops_dashboard import ui

TOKEN = "stub-token-42"
XSS_ERROR = 'CHAT_WEBHOOK_URL is required <img src=x onerror="window.__xss=1">'
XSS_OUTPUT = '{"ok":true,"echo":"</pre><script>window.__xss=2</script>"}'
XSS_ROUTE = "webhook_echo<svg onload=window.__xss=3>"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class StubOps:
    """State of the stub: runs, dead letters, lineage, and the log of requests it answered."""

    token: str = TOKEN
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    runs: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        started = self.now - timedelta(minutes=30)
        self.runs = [
            self._run("trace-ok-1", "http_route", XSS_ROUTE, None, "succeeded", started=started, output=XSS_OUTPUT),
            self._run("trace-bad-1", "http_route", "chat_notify", None, "failed", started=started, error=XSS_ERROR),
            self._run("trace-run-1", "scheduled_job", None, "heartbeat_hourly", "started", started=started),
        ]
        payload = {
            "kind": "http_route",
            "traceId": "trace-bad-1",
            "routePath": "chat_notify",
            "payload": {"body": {"text": "<b>hi</b>"}},
            "enqueuedAt": _iso(started),
        }
        self.dead_letters = [
            {
                "id": 1,
                "traceId": "trace-bad-1",
                "payloadJson": json.dumps(payload),
                "error": XSS_ERROR,
                "createdAt": _iso(started),
            },
        ]

    @staticmethod
    def _run(
        trace: str,
        kind: str,
        route: str | None,
        schedule: str | None,
        status: str,
        *,
        started: datetime,
        output: str | None = None,
        error: str | None = None,
    ) -> dict[str, Any]:
        finished = None if status == "started" else _iso(started + timedelta(milliseconds=1250))
        return {
            "traceId": trace,
            "kind": kind,
            "routePath": route,
            "scheduleId": schedule,
            "status": status,
            "startedAt": _iso(started),
            "finishedAt": finished,
            "duration": None if finished is None else "1.3s",
            "output": output,
            "error": error,
        }

    # ------------------------------------------------------------------ plumbing

    def app(self) -> Starlette:
        static = [
            Route("/", lambda _r: self._static(ui.index_html("stub<env>"), ui.HTML_CONTENT_TYPE, ui.NO_STORE)),
            Route("/app.js", lambda _r: self._static(ui.app_js(), ui.APP_JS_CONTENT_TYPE, ui.NO_STORE)),
            Route("/api/app.js", lambda _r: self._static(ui.app_js(), ui.APP_JS_CONTENT_TYPE, ui.NO_STORE)),
            Route("/favicon.svg", self._favicon),
            Route("/favicon.ico", self._favicon),
        ]
        return Starlette(routes=[*static, Route("/api/{rest:path}", self._api, methods=["GET", "POST"])])

    @staticmethod
    def _static(body: bytes, content_type: str, cache_control: str) -> Response:
        return Response(body, headers={"content-type": content_type, "cache-control": cache_control})

    def _favicon(self, _request: Request) -> Response:
        return self._static(ui.favicon_svg(), ui.FAVICON_CONTENT_TYPE, ui.FAVICON_CACHE_CONTROL)

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        provided = header[7:].strip() if header.lower().startswith("bearer ") else header.strip()
        return provided == self.token

    async def _api(self, request: Request) -> Response:
        path = request.url.path
        self.requests.append((request.method, path, request.headers.get("authorization")))
        if not self._authorized(request):
            return JSONResponse(
                {
                    "error": "unauthorized",
                    "message": "Provide Authorization: Bearer <OPS_DASHBOARD_TOKEN> or x-dashboard-token",
                },
                status_code=401,
                headers={"www-authenticate": "Bearer"},
            )
        name, _, param = path.removeprefix("/api/").partition("/")
        handler = getattr(self, f"api_{name.replace('-', '_')}", None)
        if handler is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        result = handler(request, param)
        status = 200
        if isinstance(result, tuple):
            result, status = result
        return JSONResponse(result, status_code=status)

    # ------------------------------------------------------------------ endpoints (spec 9.5 shapes)

    def _since(self) -> str:
        return _iso(self.now - timedelta(hours=24))

    def _count(self, status: str | None = None) -> int:
        return sum(1 for run in self.runs if status is None or run["status"] == status)

    def api_meta(self, _r: Request, _p: str) -> dict[str, Any]:
        return {
            "env": "stub<env>",
            "worker": "ops-dashboard",
            "manifestMode": "legacy",
            "routes": 3,
            "schedules": 1,
            "extensions": 1,
        }

    def api_extensions(self, _r: Request, _p: str) -> dict[str, Any]:
        return {
            "extensions": [
                {
                    "id": "x",
                    "label": "<b>Runbook</b>",
                    "description": "<i>desc</i>",
                    "docsUrl": "javascript:window.__xss=4",
                }
            ]
        }

    def api_summary(self, _r: Request, _p: str) -> dict[str, Any]:
        return {
            "windowHours": 24,
            "since": self._since(),
            "totalRuns": self._count(),
            "succeededRuns": self._count("succeeded"),
            "failedRuns": self._count("failed"),
            "startedRuns": self._count("started"),
            "deadLetters": len(self.dead_letters),
            "topRoutes": [{"routePath": XSS_ROUTE, "count": 1}, {"routePath": "chat_notify", "count": 1}],
        }

    def api_catalog(self, _r: Request, _p: str) -> dict[str, Any]:
        routes = [
            {
                "routePath": XSS_ROUTE,
                "requestType": "async",
                "flowPath": "flows/echo",
                "wrapBody": False,
                "succeeded": 1,
                "failed": 0,
                "started": 0,
                "total": 1,
            },
            {
                "routePath": "chat_notify",
                "requestType": "async",
                "flowPath": "flows/chat",
                "wrapBody": True,
                "succeeded": 0,
                "failed": 1,
                "started": 0,
                "total": 1,
            },
        ]
        schedules = [
            {
                "id": "heartbeat_hourly",
                "cron": "0 * * * *",
                "target": "flows/heartbeat",
                "timeZone": "UTC",
                "enabled": True,
                "succeeded": 0,
                "failed": 0,
                "started": 1,
                "total": 1,
            },
        ]
        flows = [
            {
                "flowPath": "flows/chat",
                "httpRoutes": ["chat_notify"],
                "schedules": [],
                "succeeded": 0,
                "failed": 1,
                "started": 0,
                "total": 1,
            },
        ]
        return {"since": self._since(), "windowHours": 24, "routes": routes, "schedules": schedules, "flows": flows}

    def api_runs(self, request: Request, _p: str) -> dict[str, Any]:
        query = request.query_params
        filters = {key: (query.get(key) or "").strip() or None for key in ("status", "routePath", "scheduleId", "kind")}
        runs = [
            run
            for run in reversed(self.runs)
            if all(value is None or run[key] == value for key, value in filters.items())
        ]
        limit = int(query.get("limit") or 50)
        return {"limit": limit, "filters": filters, "runs": runs[:limit]}

    def api_run_detail(self, _r: Request, trace: str) -> tuple[dict[str, Any], int]:
        run = next((run for run in self.runs if run["traceId"] == trace), None)
        if run is None:
            return {"error": "run not found", "traceId": trace}, 404
        letters = [dl for dl in self.dead_letters if dl["traceId"] == trace]
        attempts = [
            {
                "parentTraceId": row["parent"],
                "childTraceId": row["child"],
                "retryCount": row["retryCount"],
                "createdAt": row["createdAt"],
                "childStatus": "started",
            }
            for row in self.lineage
            if trace in (row["parent"], row["child"])
        ]
        dead = letters[-1] if letters else None
        return {
            "traceId": trace,
            "run": run,
            "deadLetter": None if dead is None else {k: dead[k] for k in ("id", "payloadJson", "error", "createdAt")},
            "retries": {"parentTraceId": attempts[0]["parentTraceId"] if attempts else trace, "attempts": attempts},
        }, 200

    def api_dead_letters(self, request: Request, _p: str) -> dict[str, Any]:
        items = [{k: dl[k] for k in ("id", "traceId", "createdAt", "error")} for dl in reversed(self.dead_letters)]
        return {"limit": int(request.query_params.get("limit") or 50), "deadLetters": items}

    def api_retry(self, _r: Request, trace: str) -> tuple[dict[str, Any], int]:
        letters = [dl for dl in self.dead_letters if dl["traceId"] == trace]
        if not letters:
            return {"error": "dead letter not found", "traceId": trace}, 404
        child = str(uuid.uuid4())
        count = 1 + max((row["retryCount"] for row in self.lineage if row["parent"] == trace), default=0)
        created = _iso(datetime.now(UTC))
        self.lineage.append(
            {
                "parent": trace,
                "child": child,
                "retryCount": count,
                "createdAt": created,
                "deadLetterId": letters[-1]["id"],
            }
        )
        self.runs.append(self._run(child, "http_route", "chat_notify", None, "started", started=datetime.now(UTC)))
        return {
            "accepted": True,
            "retriedFromTraceId": trace,
            "deadLetterId": letters[-1]["id"],
            "originalCreatedAt": letters[-1]["createdAt"],
            "newTraceId": child,
            "retryCount": count,
        }, 202

    def api_replays(self, request: Request, _p: str) -> dict[str, Any]:
        chains: dict[str, dict[str, Any]] = {}
        for row in reversed(self.lineage):
            chain = chains.setdefault(
                row["parent"], {"parentTraceId": row["parent"], "parentStatus": "failed", "attempts": []}
            )
            chain["attempts"].append(
                {
                    "childTraceId": row["child"],
                    "sourceDeadLetterId": row["deadLetterId"],
                    "retryCount": row["retryCount"],
                    "createdAt": row["createdAt"],
                    "childStatus": "started",
                    "childError": None,
                }
            )
        for chain in chains.values():
            chain["attempts"].sort(key=lambda attempt: attempt["retryCount"])
        return {"limit": int(request.query_params.get("limit") or 50), "chains": list(chains.values())}

    def api_route_detail(self, _r: Request, route: str) -> dict[str, Any]:
        return {
            "route": {"routePath": route, "requestType": "async", "flowPath": "flows/x", "wrapBody": True},
            "metrics": {
                "total": 1,
                "succeeded": 0,
                "failed": 1,
                "started": 0,
                "p95Duration": "1.3s",
                "lastSuccessAt": None,
                "lastFailureAt": self.runs[1]["startedAt"],
            },
            "errorClusters": [{"key": "chat_webhook_url is required", "count": 1, "sample": XSS_ERROR}],
            "recentRuns": [{k: self.runs[1][k] for k in ("traceId", "status", "startedAt", "duration")}],
        }

    def api_cron_detail(self, _r: Request, schedule: str) -> dict[str, Any]:
        return {
            "schedule": {
                "id": schedule,
                "cron": "0 * * * *",
                "enabled": True,
                "target": "flows/heartbeat",
                "timeZone": "UTC",
            },
            "metrics": {
                "total": 1,
                "succeeded": 0,
                "failed": 0,
                "started": 1,
                "p95Duration": None,
                "lastRunAt": None,
                "lastSuccessAt": None,
                "lastFailureAt": None,
                "lastFailureError": None,
                "nextRunAt": None,
            },
            "recentRuns": [],
        }

    def api_cron_run(self, _r: Request, schedule: str) -> tuple[dict[str, Any], int]:
        return {
            "accepted": True,
            "traceId": str(uuid.uuid4()),
            "scheduleId": schedule,
            "enqueuedAt": _iso(datetime.now(UTC)),
            "trigger": "manual_ops_dashboard",
        }, 202

    def api_timeline(self, request: Request, _p: str) -> dict[str, Any]:
        label = _iso(self.now - timedelta(minutes=30))[:13] + ":00:00Z"
        earlier = _iso(self.now - timedelta(hours=3))[:13] + ":00:00Z"
        return {
            "bucket": "minute" if request.query_params.get("bucket") == "minute" else "hour",
            "since": self._since(),
            "buckets": [
                {
                    "bucket": earlier,
                    "succeeded": 4,
                    "failed": 0,
                    "running": 0,
                    "total": 4,
                    "topFailureScope": None,
                    "topFailureCount": 0,
                },
                {
                    "bucket": label,
                    "succeeded": 1,
                    "failed": 1,
                    "running": 1,
                    "total": 3,
                    "topFailureScope": "chat_notify",
                    "topFailureCount": 1,
                },
            ],
        }

    def api_timeline_detail(self, request: Request, _p: str) -> dict[str, Any]:
        bucket = request.query_params.get("bucket", "")
        return {
            "bucket": bucket,
            "resolution": request.query_params.get("resolution", "hour"),
            "window": {"start": bucket, "end": bucket},
            "statusCounts": {"succeeded": 1, "failed": 1, "running": 1, "total": 3},
            "topScopes": [{"scope": "chat_notify", "count": 1}],
            "runs": [
                {
                    k: run[k]
                    for k in ("traceId", "kind", "routePath", "scheduleId", "status", "startedAt", "duration", "error")
                }
                for run in self.runs[:3]
            ],
        }

    def api_error_clusters(self, _r: Request, _p: str) -> dict[str, Any]:
        return {
            "since": self._since(),
            "clusters": [
                {
                    "key": 'chat_webhook_url is required <img src=x onerror="window.__xss=5">',
                    "count": 1,
                    "sample": XSS_ERROR,
                    "scope": "chat_notify",
                    "latestAt": self.runs[1]["startedAt"],
                }
            ],
        }

    def api_secrets_health(self, _r: Request, _p: str) -> dict[str, Any]:
        return {
            "available": True,
            "ok": False,
            "env": "stub",
            "worker": "workflow",
            "errors": ["GOOGLEAI_API_KEY <missing>"],
        }


class ThreadedServer:
    """Serve an ASGI app with uvicorn on an ephemeral loopback port, in a background thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="browser-test-server", daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the loopback test server did not start")
            time.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
