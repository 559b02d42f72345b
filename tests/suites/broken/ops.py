"""Reference runtimes with exactly one ops-dashboard rule broken (``--wf-runtime-factory=<this>:<name>``).

Each factory starts the reference :class:`Runtime` and installs, as ``runtime.ops``, a subclass of the ops
worker that rewrites one kind of answer (or wraps the ops worker's queue binding). The runtime's own code is
never patched. :data:`BROKEN` maps each factory to the check ids that must catch it.

``seeded_reference`` is the plain reference plus a few rows the runtime cannot produce on demand (runs still
``started``, written with the consumer's own statement, as upstream's smoke script seeds them): the suite must
pass it, and ``summary_started_as_failed`` starts from the same rows so the fault is visible.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tests.suites.broken.responses import json_body, with_body
from workerflow_kit.runtime.http import Request, Response
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.runtime.workers.base import Env
from workerflow_kit.runtime.workers.ops_dashboard import OpsDashboardWorker

RUN_START_SQL = """
INSERT INTO runs (trace_id, kind, route_path, schedule_id, status, started_at)
VALUES (?1, ?2, ?3, ?4, 'started', ?5)
ON CONFLICT(trace_id) DO UPDATE SET
  kind = excluded.kind,
  route_path = COALESCE(excluded.route_path, runs.route_path),
  schedule_id = COALESCE(excluded.schedule_id, runs.schedule_id),
  status = 'started', finished_at = NULL, output = NULL, error = NULL
"""

KNOWN_ENDPOINTS = {
    f"/api/{name}"
    for name in (
        "meta",
        "extensions",
        "summary",
        "catalog",
        "runs",
        "run-detail",
        "dead-letters",
        "retry",
        "replays",
        "route-detail",
        "cron-detail",
        "cron-run",
        "timeline",
        "timeline-detail",
        "error-clusters",
        "secrets-health",
    )
}

PARAM_ENDPOINTS = {f"/api/{name}" for name in ("run-detail", "retry", "route-detail", "cron-detail", "cron-run")}


def _query(request: Request) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))


def _endpoint(request: Request) -> str:
    """``/api/<name>`` of the request path (its first two segments), trailing slashes ignored."""
    parts = request.pathname.rstrip("/").split("/")
    return "/".join(parts[:3])


class BrokenOps(OpsDashboardWorker):
    """The reference ops worker whose answers pass through :meth:`rewrite` (identity here)."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime.context)
        self.runtime = runtime

    async def fetch(self, request: Request, env: Env) -> Response:
        return await self.rewrite(request, env, await super().fetch(request, env))

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        return response


async def _with_ops(worker: Callable[[Runtime], OpsDashboardWorker], *, seeded: bool = False) -> Runtime:
    runtime = await Runtime.start()
    if seeded:
        await _seed_started_runs(runtime)
    runtime.ops = worker(runtime)
    return runtime


async def _seed_started_runs(runtime: Runtime) -> None:
    """Two runs still ``started`` (one per kind), written with the consumer's run-start statement."""
    now = runtime.clock.now_iso()
    for kind, route, schedule in (("http_route", "webhook_echo", None), ("scheduled_job", None, "heartbeat_hourly")):
        trace = f"seeded-started-{uuid.uuid4()}"
        await runtime.db.prepare(RUN_START_SQL).bind(trace, kind, route, schedule, now).run()


# ------------------------------------------------------------------------------------------ the reference


async def seeded_reference() -> Runtime:
    """The reference, plus runs still ``started``: every check must pass."""
    return await _with_ops(BrokenOps, seeded=True)


# ------------------------------------------------------------------------------------------ broken rules


class LimitNotCapped(BrokenOps):
    """``limit`` above 250 is taken as given (echoed uncapped)."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        raw = _query(request).get("limit", "").strip()
        body = json_body(response)
        if raw.isdigit() and int(raw) > 250 and isinstance(body, dict) and "limit" in body:
            return with_body(response, {**body, "limit": int(raw)})
        return response


async def limit_not_capped() -> Runtime:
    return await _with_ops(LimitNotCapped)


class LineageNotIncremented(BrokenOps):
    """Every retry records ``retry_count`` 1, whatever the parent's previous retries."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        body = json_body(response)
        if response.status == 202 and isinstance(body, dict) and "newTraceId" in body:
            await (
                self.runtime.db.prepare("UPDATE replay_lineage SET retry_count = 1 WHERE child_trace_id = ?1")
                .bind(body["newTraceId"])
                .run()
            )
            return with_body(response, {**body, "retryCount": 1})
        return response


async def lineage_not_incremented() -> Runtime:
    return await _with_ops(LineageNotIncremented)


class SummaryStartedAsFailed(BrokenOps):
    """The summary counts runs still ``started`` as failed."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        body = json_body(response)
        if _endpoint(request) == "/api/summary" and isinstance(body, dict) and "startedRuns" in body:
            failed = body["failedRuns"] + body["startedRuns"]
            return with_body(response, {**body, "failedRuns": failed, "startedRuns": 0})
        return response


async def summary_started_as_failed() -> Runtime:
    return await _with_ops(SummaryStartedAsFailed, seeded=True)


class WrongMethod405(BrokenOps):
    """A known endpoint asked with the wrong method answers 405 instead of 404."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        if response.status == 404 and json_body(response) == {"error": "not found"}:
            segments = request.pathname.rstrip("/").split("/")
            parametric = _endpoint(request) in PARAM_ENDPOINTS and len(segments) == 4
            if request.pathname.rstrip("/") in KNOWN_ENDPOINTS or parametric:
                return with_body(response, {"error": "method not allowed"}, 405)
        return response


async def wrong_method_405() -> Runtime:
    return await _with_ops(WrongMethod405)


class UnauthorizedWithoutChallenge(BrokenOps):
    """The 401 answer leaves out ``www-authenticate: Bearer``."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        if response.status == 401:
            headers = response.headers.copy()
            headers.delete("www-authenticate")
            return Response(response.status, headers, response.body)
        return response


async def unauthorized_without_www_authenticate() -> Runtime:
    return await _with_ops(UnauthorizedWithoutChallenge)


class QueryTokenAccepted(BrokenOps):
    """A ``token`` query parameter is accepted as the dashboard token."""

    async def fetch(self, request: Request, env: Env) -> Response:
        token = _query(request).get("token")
        if token and not request.headers.has("authorization") and not request.headers.has("x-dashboard-token"):
            headers = request.headers.copy()
            headers.set("x-dashboard-token", token)
            request = Request(request.method, request.url, headers, request.body)
        return await super().fetch(request, env)


async def query_token_accepted() -> Runtime:
    return await _with_ops(QueryTokenAccepted)


class _ModifyingQueue:
    """Stands in for the ops worker's ``AUTOMATION_QUEUE``: route tasks get an extra payload key."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def send(self, body: Any, **options: Any) -> None:
        if isinstance(body, dict) and body.get("kind") == "http_route" and isinstance(body.get("payload"), dict):
            body = {**body, "payload": {**body["payload"], "replayed": True}}
        await self.inner.send(body, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def retry_modifies_payload() -> Runtime:
    """A retry enqueues the dead-lettered task with its payload changed."""
    runtime = await Runtime.start()
    env = runtime.env_for("ops")
    env["AUTOMATION_QUEUE"] = _ModifyingQueue(env["AUTOMATION_QUEUE"])
    return runtime


class CronRunWithoutTrigger(BrokenOps):
    """cron-run enqueues (and answers) ``trigger: "manual"`` instead of ``manual_ops_dashboard``."""

    async def fetch(self, request: Request, env: Env) -> Response:
        if _endpoint(request) != "/api/cron-run":
            return await super().fetch(request, env)
        queue = env["AUTOMATION_QUEUE"]

        class Relabel:
            async def send(self, body: Any, **options: Any) -> None:
                if isinstance(body, dict) and isinstance(body.get("payload"), dict):
                    body = {**body, "payload": {**body["payload"], "trigger": "manual"}}
                await queue.send(body, **options)  # type: ignore[attr-defined]

        response = await super().fetch(request, {**env, "AUTOMATION_QUEUE": Relabel()})
        body = json_body(response)
        if isinstance(body, dict) and "trigger" in body:
            return with_body(response, {**body, "trigger": "manual"})
        return response


async def cron_run_without_trigger() -> Runtime:
    return await _with_ops(CronRunWithoutTrigger)


class KindFilterIgnored(BrokenOps):
    """``/api/runs`` ignores its ``kind`` filter (still echoing it)."""

    async def fetch(self, request: Request, env: Env) -> Response:
        query = _query(request)
        if _endpoint(request) != "/api/runs" or not query.get("kind"):
            return await super().fetch(request, env)
        parts = urlsplit(request.url)
        rest = urlencode([(name, value) for name, value in parse_qsl(parts.query) if name != "kind"])
        unfiltered = Request(request.method, urlunsplit(parts._replace(query=rest)), request.headers, request.body)
        response = await super().fetch(unfiltered, env)
        body = json_body(response)
        if isinstance(body, dict) and isinstance(body.get("filters"), dict):
            return with_body(response, {**body, "filters": {**body["filters"], "kind": query["kind"].strip()}})
        return response


async def kind_filter_ignored() -> Runtime:
    return await _with_ops(KindFilterIgnored)


class FlowTotalsCountStartedTwice(BrokenOps):
    """Catalog flow totals add each member's ``started`` count on top of its ``total``."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        body = json_body(response)
        if _endpoint(request) == "/api/catalog" and isinstance(body, dict) and isinstance(body.get("flows"), list):
            flows = [{**flow, "total": flow["total"] + flow["started"] + 1} for flow in body["flows"]]
            return with_body(response, {**body, "flows": flows})
        return response


async def flow_totals_wrong() -> Runtime:
    return await _with_ops(FlowTotalsCountStartedTwice)


class MalformedEscapeCrashes(BrokenOps):
    """A malformed percent-escape in a path parameter crashes the worker (a bare 500): upstream's v0.1."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        body = json_body(response)
        if response.status == 400 and isinstance(body, dict) and body.get("error") == "malformed URL escape":
            raise ValueError("URIError: URI malformed")
        return response


async def malformed_escape_crashes() -> Runtime:
    return await _with_ops(MalformedEscapeCrashes)


class NewestDeadLetterMissing(BrokenOps):
    """``/api/dead-letters`` leaves out the newest dead letter."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        body = json_body(response)
        if _endpoint(request) == "/api/dead-letters" and isinstance(body, dict) and body.get("deadLetters"):
            return with_body(response, {**body, "deadLetters": body["deadLetters"][1:]})
        return response


async def newest_dead_letter_missing() -> Runtime:
    return await _with_ops(NewestDeadLetterMissing)


BROKEN: dict[str, tuple[str, frozenset[str]]] = {
    # factory: (the check that names the broken rule, every check that must fail against it)
    "limit_not_capped": ("ops.limit-handling", frozenset({"ops.limit-handling"})),
    "lineage_not_incremented": ("ops.retry-lineage", frozenset({"ops.retry-lineage"})),
    "summary_started_as_failed": ("ops.summary-counts", frozenset({"ops.summary-counts"})),
    "wrong_method_405": ("ops.wrong-method-404", frozenset({"ops.wrong-method-404"})),
    "unauthorized_without_www_authenticate": (
        "ops.auth-unauthorized-shape",
        frozenset({"ops.auth-unauthorized-shape", "ops.auth-no-query-token"}),
    ),
    "query_token_accepted": ("ops.auth-no-query-token", frozenset({"ops.auth-no-query-token"})),
    "retry_modifies_payload": ("ops.retry-replays-task", frozenset({"ops.retry-replays-task"})),
    "cron_run_without_trigger": ("ops.cron-run-enqueues", frozenset({"ops.cron-run-enqueues"})),
    "kind_filter_ignored": ("ops.runs-filters", frozenset({"ops.runs-filters"})),
    "flow_totals_wrong": ("ops.catalog-manifest", frozenset({"ops.catalog-manifest"})),
    "newest_dead_letter_missing": ("ops.dead-letters-list", frozenset({"ops.dead-letters-list"})),
    "malformed_escape_crashes": ("ops.odd-input-no-5xx", frozenset({"ops.odd-input-no-5xx"})),
}
"""Factory name -> (the check named after the broken rule, exactly the checks that must fail; the rest pass)."""
