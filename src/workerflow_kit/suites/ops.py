"""Ops checks: the ops dashboard's HTTP contract (spec section 9), against any target.

Every check names the rule it holds (``ops.<rule>``) and its level. Read-only checks need nothing but the ops
worker. Checks that produce rows (a run, a dead letter, a retry) send requests that store or enqueue, so they
require ``writes_allowed`` and ``drain_queue``; those that need a dead letter also require ``set_env``: they
unset the workflow's chat webhook variables, so ``chat_notify`` fails and dead-letters (spec 7.2), and put them
back afterwards. Checks that compare the dashboard with the database require ``inspect_db``.
``ops.retry-blocked-409`` also needs ``trigger_cron`` (a config-mode schedule with an empty id is fired to get a
task the replay rules refuse), and ``ops.retry-invalid-payload-422`` writes dead letters through
``inspect_db``: no producer of the runtime stores a payload that is not a queue task, so the check stores them
itself, and skips where the target's D1 is read-only.

==================================  ===========  ==============================================================
check                               level        rule
==================================  ===========  ==============================================================
``ops.health-shape``                required     ``/health`` (any method) is 200 ``{ok:true[, env], worker}``
``ops.ui-page``                     required     ``GET /`` is the HTML deck (``WorkerFlow Cloudflare Ops Deck``,
                                                 ``Summary``)
``ops.unknown-api-404``             required     an unknown ``/api/...`` path (or a path outside ``/api/``) is
                                                 404 ``{error:"not found"}``
``ops.wrong-method-404``            required     a known endpoint with the wrong method is 404, never 405 (Q20)
``ops.auth-unauthorized-shape``     required     with a token configured, no or a wrong token is 401
                                                 ``{error:"unauthorized", message}`` + ``www-authenticate: Bearer``
``ops.auth-before-404``             required     with a token configured, an unknown ``/api/...`` path is 401
``ops.auth-headers-accepted``       required     ``x-dashboard-token`` and ``Authorization: Bearer`` both pass
``ops.auth-no-query-token``         required     the token in the query string is not accepted
``ops.limit-handling``              required     absent/invalid/<1 -> 50, ``parseInt`` prefix, > 250 -> 250; the
                                                 echoed ``limit`` is the effective one; lists fit in it
``ops.summary-counts``              required     summary counts equal SQL counts over its 24 h window;
                                                 ``totalRuns >= succeeded + failed + started``
``ops.catalog-manifest``            required     catalog routes/schedules are the manifest lists, in order;
                                                 each flow's members and totals add up
``ops.catalog-counts``              required     catalog per-route and per-schedule counts equal SQL counts
``ops.runs-filters``                required     ``status``, ``routePath``, ``scheduleId`` and ``kind`` return
                                                 only matching runs, and are echoed trimmed
``ops.run-detail``                  required     run-detail shows a produced run, its dead letter and lineage;
                                                 an unknown trace is 404 ``run not found``
``ops.dead-letters-list``           required     a produced dead letter is listed (without its payload)
``ops.retry-replays-task``          required     retry is 202 with ``newTraceId``; the new task equals the
                                                 dead-lettered one but for ``traceId`` and ``enqueuedAt``
``ops.retry-lineage``               required     each retry of one parent has ``retry_count`` = previous max + 1
                                                 (answer, ``/api/replays``, run-detail)
``ops.retry-unknown-404``           required     ``POST /api/retry/<unknown>`` is 404 ``dead letter not found``
``ops.cron-run-enqueues``           required     cron-run of an enabled schedule is 202 and enqueues a task with
                                                 ``trigger:"manual_ops_dashboard"``; unknown ids are 404
``ops.error-clusters-group``        required     failures with one normalized error land in one cluster
``ops.retry-blocked-409``           required     retry is 409 ``{error:"retry blocked", traceId, reason}`` with
                                                 spec 3.5's reason exactly when replay is disabled (gating,
                                                 manifest, empty ``scheduleId``); nothing is recorded
``ops.retry-invalid-payload-422``   required     retry is 422 when the newest dead letter's payload is not JSON
                                                 or not a queue task (hand-written rows: needs a writable D1)
``ops.timeline-buckets``            required     ``/api/timeline`` buckets (hour, or trimmed ``minute``) equal
                                                 SQL over the window: labels, counts, top failing scope
``ops.timeline-detail-window``      required     ``/api/timeline-detail``: a 1 min / 1 h window from the bucket;
                                                 counts, scopes and runs from it; 400 without a usable bucket
``ops.secrets-health-shape``        required     ``/api/secrets-health`` is 200 ``{available:true, ok, ...,
                                                 errors}`` (``ok`` = no errors) or ``{available:false, reason}``
``ops.secrets-health-unavailable``  required     without the workflow binding, or when ``/health/config``
                                                 fails, it is still 200 and names the cause
``ops.odd-input-no-5xx``            recommended  odd ``limit``, filters, buckets and path parameters never
                                                 answer 5xx (upstream crashes on malformed escapes)
==================================  ===========  ==============================================================

On a shared, long-lived target other checks create runs and dead letters too, so checks assert relations (the
new trace appears with these fields, counts grow by what this check produced, counts equal direct SQL counts)
rather than absolute totals. Each check uses fresh trace ids from ``Target.new_trace_id`` (carrying the run's
prefix, so an operator can find what a run stored) and restores every variable it changes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any, Final
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workerflow_kit.suites.checks import CheckContext, check
from workerflow_kit.targets.base import Capability, Target

WRITES = Capability.WRITES_ALLOWED
DRAIN = Capability.DRAIN_QUEUE
DB = Capability.INSPECT_DB
SET_ENV = Capability.SET_ENV
TRIGGER = Capability.TRIGGER_CRON

TOKEN_VAR: Final = "OPS_DASHBOARD_TOKEN"
UNAUTHORIZED: Final = "unauthorized"
NOT_FOUND: Final = {"error": "not found"}
MANUAL_TRIGGER: Final = "manual_ops_dashboard"
CHAT_WEBHOOK_VARS: Final = ("CHAT_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK")
CLEANUP_SECRET_VAR: Final = "CLEANUP_SIGNING_SECRET"

ECHO_ROUTE: Final = "webhook_echo"
FAILING_ROUTE: Final = "chat_notify"
HEARTBEAT: Final = "heartbeat_hourly"
CLEANUP: Final = "cleanup_daily"

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 250
WIDE: Final = {"limit": str(MAX_LIMIT)}

LIMITED_LISTS: Final = (("/api/runs", "runs"), ("/api/dead-letters", "deadLetters"), ("/api/replays", "chains"))
"""Endpoints that echo ``limit``, with the key of their list."""

LIMIT_CASES: Final[tuple[tuple[str | None, int], ...]] = (
    (None, 50),
    ("", 50),
    ("abc", 50),
    ("0", 50),
    ("-3", 50),
    ("0x10", 50),
    ("1", 1),
    ("10abc", 10),
    ("7.9", 7),
    ("1e3", 1),
    (" 12", 12),
    ("+5", 5),
    ("250", 250),
    ("251", 250),
    ("99999", 250),
)
"""``limit`` text -> effective limit (spec 9.3: JS ``parseInt(value, 10)``, NaN or < 1 -> 50, > 250 -> 250)."""

EVERY_LIST_CASES: Final = (None, "0", "10abc", "251")
"""The ``limit`` values tried on every limited list (the others on ``/api/runs`` only)."""

_BEARER = re.compile(r"^Bearer\s+(.+)$", re.IGNORECASE)


def new_trace(target: Target) -> str:
    """A trace id no other request used, with the run's prefix (so operators can find what a run stored)."""
    return target.new_trace_id("ops")


def get_json(wf_check: CheckContext, target: Target, path: str, params: Mapping[str, str] | None = None) -> Any:
    """``GET path`` on the ops worker, which must answer 200 with a JSON object."""
    response = target.ops.get(path, params=params)
    wf_check.expect_status(response, 200)
    body = wf_check.json(response)
    wf_check.expect(isinstance(body, dict), f"expected a JSON object: {wf_check.show(response)}")
    return body


def bare(
    target: Target,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> httpx.Response:
    """An ops request without the credentials the target's client sends by default (only ``headers``)."""
    request = target.ops.build_request(method, path, params=params)
    for name in ("authorization", "x-dashboard-token"):
        request.headers.pop(name, None)
    request.headers.update(dict(headers or {}))
    return target.ops.send(request)


def list_field(wf_check: CheckContext, body: Mapping[str, Any], key: str) -> list[Any]:
    """``body[key]``, which must be a list."""
    value = body.get(key)
    if not isinstance(value, list):
        wf_check.fail(f"'{key}' is not a list: {value!r}")
    return value


# ---------------------------------------------------------------------------------------------------------
# Producing rows through the runtime
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def no_chat_webhook(wf_target: Target) -> Iterator[None]:
    """Unset the workflow's chat webhook variables for one test: ``chat_notify`` then fails and dead-letters."""
    with wf_target.env_changed("workflow", dict.fromkeys(CHAT_WEBHOOK_VARS)):
        yield


def submit(wf_check: CheckContext, target: Target, route: str, body: Any, trace: str) -> None:
    """POST an async route through the api worker; it must be accepted."""
    response = target.api.post(f"/api/{route}", json=body, headers={"x-trace-id": trace})
    wf_check.expect_status(response, 202)


def produce_dead_letter(wf_check: CheckContext, target: Target, *, traces: int = 1) -> list[str]:
    """``traces`` failed ``chat_notify`` runs, each with a dead letter (needs ``no_chat_webhook``)."""
    produced = [new_trace(target) for _ in range(traces)]
    for number, trace in enumerate(produced):
        submit(wf_check, target, FAILING_ROUTE, {"text": f"ops suite probe {number}"}, trace)
    target.drain()
    return produced


def run_detail(wf_check: CheckContext, target: Target, trace: str) -> dict[str, Any]:
    """The run-detail answer for a trace the check produced (it must exist)."""
    response = target.ops.get(f"/api/run-detail/{quote(trace, safe='')}")
    if response.status_code == 404:
        wf_check.fail(f"run-detail does not know the produced trace {trace}: {wf_check.show(response)}")
    body: dict[str, Any] = get_json(wf_check, target, f"/api/run-detail/{quote(trace, safe='')}")
    return body


def dead_letter_task(wf_check: CheckContext, detail: Mapping[str, Any]) -> dict[str, Any]:
    """The queue task stored in a run-detail's dead letter."""
    dead = detail.get("deadLetter")
    if not isinstance(dead, dict):
        wf_check.fail(f"run-detail of {detail.get('traceId')} has no dead letter: {detail!r}")
    try:
        task = json.loads(str(dead.get("payloadJson")))
    except ValueError:
        wf_check.fail(f"the dead letter's payloadJson is not JSON: {dead.get('payloadJson')!r}")
    wf_check.expect(isinstance(task, dict), f"the dead letter's payloadJson is not an object: {task!r}")
    result: dict[str, Any] = task
    return result


def enabled_schedule(wf_check: CheckContext, target: Target, schedule_id: str) -> dict[str, Any]:
    """The catalog entry of ``schedule_id``; skips the check when the manifest lacks it or it is disabled."""
    catalog = get_json(wf_check, target, "/api/catalog")
    for schedule in catalog.get("schedules") or []:
        if isinstance(schedule, dict) and schedule.get("id") == schedule_id and schedule.get("enabled") is True:
            return schedule
    pytest.skip(f"the target's manifest has no enabled schedule {schedule_id!r}")


# ---------------------------------------------------------------------------------------------------------
# Pages and routing
# ---------------------------------------------------------------------------------------------------------


@check("ops.health-shape", "required")
def test_health_shape(wf_target: Target, wf_check: CheckContext) -> None:
    """/health answers 200 {"ok":true[,"env":ENV_NAME],"worker":"ops-dashboard"} for any method, no auth."""
    for method, path in (("GET", "/health"), ("POST", "/health"), ("GET", "/health/")):
        response = bare(wf_target, method, path)
        wf_check.expect_status(response, 200)
        body = wf_check.json(response)
        wf_check.expect(isinstance(body, dict), f"the health body is not an object: {wf_check.show(response)}")
        wf_check.expect_equal(body.get("ok"), True, f"{method} {path} 'ok'")
        wf_check.expect_equal(body.get("worker"), "ops-dashboard", f"{method} {path} 'worker'")
        wf_check.expect(set(body) <= {"ok", "env", "worker"}, f"unexpected health keys: {sorted(body)}")
        if "env" in body:
            wf_check.expect(isinstance(body["env"], str), f"health 'env' is not a string: {body['env']!r}")


@check("ops.ui-page", "required")
def test_ui_page(wf_target: Target, wf_check: CheckContext) -> None:
    """GET / answers the HTML deck: WorkerFlow Cloudflare Ops Deck, with a Summary, no auth needed."""
    response = bare(wf_target, "GET", "/")
    wf_check.expect_status(response, 200)
    content_type = response.headers.get("content-type", "")
    wf_check.expect(content_type.startswith("text/html"), f"GET / content-type is {content_type!r}, not HTML")
    for text in ("WorkerFlow Cloudflare Ops Deck", "Summary"):
        wf_check.expect(text in response.text, f"GET / does not contain {text!r}")


@check("ops.unknown-api-404", "required")
def test_unknown_api_404(wf_target: Target, wf_check: CheckContext) -> None:
    """An unknown /api/... path (authorized), /api itself, or a path outside /api/ answers 404 {"error":"not found"}."""
    for method, path in (
        ("GET", "/api/not-a-real-route"),
        ("GET", f"/api/wfk-{uuid.uuid4().hex[:8]}"),
        ("GET", "/api/summary/extra"),
        ("GET", "/api/"),
        ("POST", "/"),
        ("GET", "/not-the-dashboard"),
    ):
        response = wf_target.ops.request(method, path)
        wf_check.expect_status(response, 404)
        wf_check.expect_equal(wf_check.json(response), NOT_FOUND, f"{method} {path} body")


@check("ops.wrong-method-404", "required")
def test_wrong_method_404(wf_target: Target, wf_check: CheckContext) -> None:
    """A known endpoint asked with another method answers 404 {"error":"not found"}, never 405 (quirk Q20)."""
    for method, path in (
        ("POST", "/api/summary"),
        ("DELETE", "/api/runs"),
        ("PUT", "/api/catalog"),
        ("GET", f"/api/retry/{new_trace(wf_target)}"),
        ("GET", f"/api/cron-run/{HEARTBEAT}"),
        ("POST", f"/api/run-detail/{new_trace(wf_target)}"),
    ):
        response = wf_target.ops.request(method, path)
        wf_check.expect_status(response, 404)
        wf_check.expect_equal(wf_check.json(response), NOT_FOUND, f"{method} {path} body")


# ---------------------------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def ops_token(wf_target: Target) -> Iterator[str]:
    """The ops token in force: the one the target's client sends, else a fresh one set with ``set_env``.

    Skips when the target has neither: the dashboard may then be open (fail-open, quirk Q2), and nothing says
    which token it expects.
    """
    configured = wf_target.ops.headers.get("authorization") if wf_target.has_worker("ops") else None
    if configured:
        match = _BEARER.match(configured)
        yield (match.group(1) if match else configured).strip()
        return
    if not wf_target.has(SET_ENV):
        pytest.skip("no ops dashboard token: give the target one (--wf-ops-token) or use a target with set_env")
    token = f"wfk-ops-token-{uuid.uuid4().hex}"
    with wf_target.env_changed("ops", {TOKEN_VAR: token}):
        yield token


def expect_unauthorized(wf_check: CheckContext, response: httpx.Response) -> None:
    """401 with ``www-authenticate: Bearer`` and ``{"error":"unauthorized","message":<text>}``."""
    wf_check.expect_status(response, 401)
    body = wf_check.json(response)
    wf_check.expect(isinstance(body, dict), f"the 401 body is not an object: {wf_check.show(response)}")
    wf_check.expect_equal(sorted(body), ["error", "message"], "401 body keys")
    wf_check.expect_equal(body["error"], UNAUTHORIZED, "401 'error'")
    wf_check.expect(isinstance(body["message"], str) and body["message"], f"401 'message': {body['message']!r}")
    wf_check.expect_equal(
        response.headers.get("www-authenticate"), "Bearer", f"www-authenticate on {wf_check.show(response)}"
    )


@check("ops.auth-unauthorized-shape", "required")
def test_auth_unauthorized_shape(wf_target: Target, wf_check: CheckContext, ops_token: str) -> None:
    """With a token configured, /api/summary without it, or with a wrong one, is 401 with www-authenticate."""
    wrong = f"{ops_token}-not"
    for headers in ({}, {"authorization": f"Bearer {wrong}"}, {"x-dashboard-token": wrong}, {"authorization": ""}):
        expect_unauthorized(wf_check, bare(wf_target, "GET", "/api/summary", headers=headers))


@check("ops.auth-before-404", "required")
def test_auth_before_404(wf_target: Target, wf_check: CheckContext, ops_token: str) -> None:
    """With a token configured, an unknown /api/... path without it is 401 (auth runs before the 404)."""
    for method, path in (("GET", "/api/not-a-real-route"), ("POST", "/api/summary"), ("GET", "/api/a/b/c")):
        response = bare(wf_target, method, path)
        wf_check.expect_status(response, 401)
        wf_check.expect_equal((wf_check.json(response) or {}).get("error"), UNAUTHORIZED, f"{method} {path} error")
    known = bare(wf_target, "GET", "/api/not-a-real-route", headers={"x-dashboard-token": ops_token})
    wf_check.expect_status(known, 404)


@check("ops.auth-headers-accepted", "required")
def test_auth_headers_accepted(wf_target: Target, wf_check: CheckContext, ops_token: str) -> None:
    """The token passes as x-dashboard-token or as Authorization: Bearer (any scheme case and spacing)."""
    for headers in (
        {"x-dashboard-token": ops_token},
        {"authorization": f"Bearer {ops_token}"},
        {"authorization": f"bearer   {ops_token}"},
        {"x-dashboard-token": "", "authorization": f"Bearer {ops_token}"},
    ):
        response = bare(wf_target, "GET", "/api/summary", headers=headers)
        shown = {name: "<token>" if ops_token in value else value for name, value in headers.items()}
        if response.status_code != 200:
            wf_check.fail(f"the token sent as {shown} was refused: {response.status_code} {response.text[:200]!r}")


@check("ops.auth-no-query-token", "required")
def test_auth_no_query_token(wf_target: Target, wf_check: CheckContext, ops_token: str) -> None:
    """The token in the query string (token=, OPS_DASHBOARD_TOKEN=, access_token=) is not accepted: 401."""
    for name in ("token", TOKEN_VAR, "access_token", "x-dashboard-token"):
        response = bare(wf_target, "GET", "/api/summary", params={name: ops_token})
        if response.status_code != 401:
            wf_check.fail(f"a token given as query parameter {name!r} answered {response.status_code}, not 401")
        expect_unauthorized(wf_check, response)


# ---------------------------------------------------------------------------------------------------------
# limit
# ---------------------------------------------------------------------------------------------------------


def expect_limit(
    wf_check: CheckContext, target: Target, raw: str | None, effective: int, *, every_list: bool = True
) -> None:
    """Limited lists (all, or ``/api/runs`` only) echo ``effective`` and return at most that many items."""
    params = {} if raw is None else {"limit": raw}
    for path, key in LIMITED_LISTS if every_list else LIMITED_LISTS[:1]:
        body = get_json(wf_check, target, path, params)
        wf_check.expect_equal(body.get("limit"), effective, f"{path} echoed limit for limit={raw!r}")
        items = body.get(key)
        wf_check.expect(isinstance(items, list), f"{path} '{key}' is not a list: {items!r}")
        count = sum(len(chain.get("attempts") or []) for chain in items) if key == "chains" else len(items)
        wf_check.expect(count <= effective, f"{path} returned {count} items for limit={raw!r} ({effective})")
    if not every_list:
        return
    clusters = get_json(wf_check, target, "/api/error-clusters", params).get("clusters")
    wf_check.expect(
        isinstance(clusters, list) and len(clusters) <= effective,
        f"/api/error-clusters returned more than {effective} clusters for limit={raw!r}",
    )


@check("ops.limit-handling", "required")
def test_limit_handling(wf_target: Target, wf_check: CheckContext) -> None:
    """limit: absent/invalid/<1 -> 50, JS parseInt prefix ("10abc" -> 10), > 250 -> 250; echoed; lists fit."""
    for raw, effective in LIMIT_CASES:
        expect_limit(wf_check, wf_target, raw, effective, every_list=raw in EVERY_LIST_CASES)

    @settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        number=st.integers(min_value=-1000, max_value=10**6),
        suffix=st.sampled_from(["", "abc", ".5", " x", "e2"]),
    )
    def effective_limit(number: int, suffix: str) -> None:
        expected = DEFAULT_LIMIT if number < 1 else min(number, MAX_LIMIT)
        body = get_json(wf_check, wf_target, "/api/runs", {"limit": f"{number}{suffix}"})
        wf_check.expect_equal(body.get("limit"), expected, f"/api/runs echoed limit for limit={number}{suffix!r}")
        wf_check.expect(len(body.get("runs") or []) <= expected, f"/api/runs returned more than {expected} runs")

    effective_limit()


# ---------------------------------------------------------------------------------------------------------
# Summary and catalog against the database
# ---------------------------------------------------------------------------------------------------------


def _status_counts(target: Target, since: str) -> dict[str, int]:
    rows = target.query("SELECT status, COUNT(*) AS n FROM runs WHERE started_at >= ? GROUP BY status", since)
    return {str(row["status"]): int(row["n"]) for row in rows}


def _expected_summary(target: Target, since: str) -> dict[str, Any]:
    by_status = _status_counts(target, since)
    dead = target.query("SELECT COUNT(*) AS n FROM dead_letters WHERE created_at >= ?", since)
    top = target.query(
        "SELECT route_path AS routePath, COUNT(*) AS count FROM runs "
        "WHERE started_at >= ? AND route_path IS NOT NULL AND route_path != '' "
        "GROUP BY route_path ORDER BY count DESC, route_path ASC LIMIT 8",
        since,
    )
    return {
        "totalRuns": sum(by_status.values()),
        "succeededRuns": by_status.get("succeeded", 0),
        "failedRuns": by_status.get("failed", 0),
        "startedRuns": by_status.get("started", 0) + by_status.get("running", 0),
        "deadLetters": int(dead[0]["n"]),
        "topRoutes": [{"routePath": row["routePath"], "count": int(row["count"])} for row in top],
    }


def stable(
    wf_check: CheckContext, target: Target, path: str, expected_for: Callable[[Target, str], Any]
) -> tuple[dict[str, Any], Any]:
    """An answer of ``path`` and ``expected_for(target, since)``, read while the answer did not change (on a
    served target the queue delivers in the background)."""
    for _ in range(3):
        body = get_json(wf_check, target, path)
        wf_check.iso_instant(body.get("since"), f"{path} 'since'")
        expected = expected_for(target, str(body["since"]))
        if get_json(wf_check, target, path) == body:
            break
    return body, expected


@check("ops.summary-counts", "required", requires=[DB])
def test_summary_counts(wf_target: Target, wf_check: CheckContext) -> None:
    """Summary counts equal direct SQL counts over its 24 h window; totalRuns >= succeeded + failed + started."""
    body, expected = stable(wf_check, wf_target, "/api/summary", _expected_summary)
    wf_check.expect_equal(body.get("windowHours"), 24, "summary windowHours")
    for key, value in expected.items():
        wf_check.expect_equal(body.get(key), value, f"summary {key} (SQL over started_at/created_at >= since)")
    parts = body["succeededRuns"] + body["failedRuns"] + body["startedRuns"]
    wf_check.expect(body["totalRuns"] >= parts, f"totalRuns {body['totalRuns']} < succeeded+failed+started {parts}")


def _catalog_counts(target: Target, since: str) -> dict[str, dict[str, dict[str, int]]]:
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for column in ("route_path", "schedule_id"):
        rows = target.query(
            f"SELECT {column} AS id, status, COUNT(*) AS n FROM runs "
            f"WHERE started_at >= ? AND {column} IS NOT NULL GROUP BY {column}, status",
            since,
        )
        table: dict[str, dict[str, int]] = {}
        for row in rows:
            entry = table.setdefault(str(row["id"]), {"succeeded": 0, "failed": 0, "started": 0, "total": 0})
            status, n = str(row["status"]), int(row["n"])
            entry["total"] += n
            if status in ("succeeded", "failed"):
                entry[status] += n
            elif status in ("started", "running"):
                entry["started"] += n
        counts[column] = table
    return counts


COUNT_KEYS: Final = ("succeeded", "failed", "started", "total")
ROUTE_FIELDS: Final = ("routePath", "requestType", "flowPath", "wrapBody")
SCHEDULE_FIELDS: Final = ("id", "cron", "target", "timeZone", "enabled")


def _manifest_lists(
    wf_check: CheckContext, target: Target, catalog: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """The manifest's routes and schedules (catalog fields) when the target runs the built-in (legacy) manifest."""
    meta = get_json(wf_check, target, "/api/meta")
    wf_check.expect_equal(len(catalog["routes"]), meta.get("routes"), "catalog routes vs /api/meta route count")
    wf_check.expect_equal(
        len(catalog["schedules"]), meta.get("schedules"), "catalog schedules vs /api/meta schedule count"
    )
    if meta.get("manifestMode") != "legacy":
        return None
    from workerflow_kit.contracts.models import builtin_routes, builtin_schedules

    routes = [{name: getattr(route, name) for name in ROUTE_FIELDS} for route in builtin_routes()]
    schedules = [{name: getattr(schedule, name) for name in SCHEDULE_FIELDS} for schedule in builtin_schedules()]
    return routes, schedules


@check("ops.catalog-manifest", "required")
def test_catalog_manifest(wf_target: Target, wf_check: CheckContext) -> None:
    """Catalog routes/schedules are the manifest lists in order; flows group them and their totals add up."""
    catalog = get_json(wf_check, wf_target, "/api/catalog")
    wf_check.expect_equal(catalog.get("windowHours"), 24, "catalog windowHours")
    routes, schedules, flows = (list_field(wf_check, catalog, name) for name in ("routes", "schedules", "flows"))
    manifest = _manifest_lists(wf_check, wf_target, catalog)
    if manifest is not None:
        wf_check.expect_equal(
            [{name: route.get(name) for name in ROUTE_FIELDS} for route in routes], manifest[0], "catalog routes"
        )
        wf_check.expect_equal(
            [{name: item.get(name) for name in SCHEDULE_FIELDS} for item in schedules], manifest[1], "catalog schedules"
        )
    for member in [*routes, *schedules]:
        parts = sum(int(member.get(key) or 0) for key in COUNT_KEYS[:3])
        wf_check.expect(
            isinstance(member.get("total"), int) and member["total"] >= parts,
            f"catalog entry total below succeeded+failed+started: {member!r}",
        )
    expected: dict[str, dict[str, Any]] = {}
    for members, key_field, id_field, list_name in (
        (routes, "flowPath", "routePath", "httpRoutes"),
        (schedules, "target", "id", "schedules"),
    ):
        for member in members:
            flow = expected.setdefault(
                str(member.get(key_field)),
                {"httpRoutes": [], "schedules": [], **dict.fromkeys(COUNT_KEYS, 0)},
            )
            flow[list_name].append(member.get(id_field))
            for key in COUNT_KEYS:
                flow[key] += int(member.get(key) or 0)
    actual = {str(flow.get("flowPath")): flow for flow in flows if isinstance(flow, dict)}
    wf_check.expect_equal(sorted(actual), sorted(expected), "flow keys (route flowPaths and schedule targets)")
    wf_check.expect_equal(len(flows), len(expected), "number of flows")
    for key, flow in expected.items():
        got = {name: actual[key].get(name) for name in flow}
        wf_check.expect_equal(got, flow, f"flow {key!r} members and totals (sums of its routes and schedules)")
    order = [(-int(flow["failed"]), -int(flow["total"])) for flow in flows]
    wf_check.expect(order == sorted(order), "flows are not ordered by failed desc, then total desc")


@check("ops.catalog-counts", "required", requires=[DB])
def test_catalog_counts(wf_target: Target, wf_check: CheckContext) -> None:
    """Catalog counts per route and per schedule equal SQL counts of runs in its 24 h window (zero when none)."""
    catalog, counts = stable(wf_check, wf_target, "/api/catalog", _catalog_counts)
    zero = dict.fromkeys(COUNT_KEYS, 0)
    for list_name, id_field, column in (("routes", "routePath", "route_path"), ("schedules", "id", "schedule_id")):
        for member in catalog.get(list_name) or []:
            expected = counts[column].get(str(member.get(id_field)), zero)
            got = {key: member.get(key) for key in COUNT_KEYS}
            wf_check.expect_equal(got, expected, f"catalog {list_name} {member.get(id_field)!r} counts")


# ---------------------------------------------------------------------------------------------------------
# Runs, run-detail, dead letters
# ---------------------------------------------------------------------------------------------------------


def run_traces(wf_check: CheckContext, target: Target, params: Mapping[str, str]) -> list[dict[str, Any]]:
    body = get_json(wf_check, target, "/api/runs", {**WIDE, **params})
    runs = body.get("runs")
    wf_check.expect(isinstance(runs, list), f"/api/runs 'runs' is not a list: {runs!r}")
    result: list[dict[str, Any]] = runs
    return result


@check("ops.runs-filters", "required", requires=[WRITES, DRAIN, SET_ENV])
def test_runs_filters(wf_target: Target, wf_check: CheckContext, no_chat_webhook: None) -> None:
    """status, routePath, scheduleId and kind filters return only matching runs (including the produced ones)."""
    schedule = enabled_schedule(wf_check, wf_target, HEARTBEAT)
    echo, failed = new_trace(wf_target), new_trace(wf_target)
    submit(wf_check, wf_target, ECHO_ROUTE, {"probe": "runs-filters"}, echo)
    submit(wf_check, wf_target, FAILING_ROUTE, {"text": "runs-filters"}, failed)
    cron = wf_target.ops.post(f"/api/cron-run/{schedule['id']}")
    wf_check.expect_status(cron, 202)
    scheduled = str(wf_check.json(cron).get("traceId"))
    wf_target.drain()
    cases: tuple[tuple[dict[str, str], dict[str, str], set[str], set[str]], ...] = (
        # (query, what every row must match, traces that must appear, traces that must not)
        ({"status": "failed"}, {"status": "failed"}, {failed}, {echo, scheduled}),
        ({"routePath": ECHO_ROUTE}, {"routePath": ECHO_ROUTE}, {echo}, {failed, scheduled}),
        ({"scheduleId": HEARTBEAT}, {"scheduleId": HEARTBEAT, "kind": "scheduled_job"}, {scheduled}, {echo}),
        ({"kind": "scheduled_job"}, {"kind": "scheduled_job"}, {scheduled}, {echo, failed}),
        (
            {"kind": "http_route", "status": "succeeded"},
            {"kind": "http_route", "status": "succeeded"},
            {echo},
            {failed, scheduled},
        ),
        ({"routePath": FAILING_ROUTE, "status": "succeeded"}, {"routePath": FAILING_ROUTE}, set(), {failed}),
    )
    for query, match, present, absent in cases:
        runs = run_traces(wf_check, wf_target, query)
        for run in runs:
            wrong = {key: run.get(key) for key, value in match.items() if run.get(key) != value}
            wf_check.expect(not wrong, f"/api/runs?{query} returned a run with {wrong} ({run.get('traceId')})")
        traces = {str(run.get("traceId")) for run in runs}
        wf_check.expect(present <= traces, f"/api/runs?{query} misses produced trace(s) {sorted(present - traces)}")
        wf_check.expect(not (absent & traces), f"/api/runs?{query} returned {sorted(absent & traces)}")
    body = get_json(wf_check, wf_target, "/api/runs", {"status": "  failed  ", "routePath": " ", "limit": "5"})
    expected = {"status": "failed", "routePath": None, "scheduleId": None, "kind": None}
    wf_check.expect_equal(body.get("filters"), expected, "echoed filters (trimmed; blank means none)")


@check("ops.run-detail", "required", requires=[WRITES, DRAIN, SET_ENV])
def test_run_detail(wf_target: Target, wf_check: CheckContext, no_chat_webhook: None) -> None:
    """run-detail shows a produced run with its newest dead letter and lineage; an unknown trace is 404."""
    echo = new_trace(wf_target)
    submit(wf_check, wf_target, ECHO_ROUTE, {"probe": "run-detail"}, echo)
    (failed,) = produce_dead_letter(wf_check, wf_target)
    ok = run_detail(wf_check, wf_target, echo)
    wf_check.expect_equal(ok.get("traceId"), echo, "run-detail traceId")
    run = ok.get("run") or {}
    for key, value in (("traceId", echo), ("kind", "http_route"), ("routePath", ECHO_ROUTE), ("status", "succeeded")):
        wf_check.expect_equal(run.get(key), value, f"run-detail run.{key}")
    wf_check.expect(isinstance(run.get("output"), str), f"run.output of a succeeded run: {run.get('output')!r}")
    wf_check.expect_equal(ok.get("deadLetter"), None, "deadLetter of a succeeded run")
    wf_check.expect_equal(ok.get("retries"), {"parentTraceId": echo, "attempts": []}, "retries without lineage")

    bad = run_detail(wf_check, wf_target, failed)
    run = bad.get("run") or {}
    wf_check.expect_equal(run.get("status"), "failed", "run.status of the failed run")
    wf_check.expect(isinstance(run.get("error"), str) and run["error"], f"run.error: {run.get('error')!r}")
    dead = bad.get("deadLetter") or {}
    wf_check.expect_equal(sorted(dead), ["createdAt", "error", "id", "payloadJson"], "deadLetter keys")
    wf_check.expect_equal(dead.get("error"), run.get("error"), "deadLetter.error (the run's error text)")
    task = dead_letter_task(wf_check, bad)
    wf_check.expect_equal((task.get("traceId"), task.get("routePath")), (failed, FAILING_ROUTE), "dead-lettered task")

    unknown = new_trace(wf_target)
    response = wf_target.ops.get(f"/api/run-detail/{unknown}")
    wf_check.expect_status(response, 404)
    wf_check.expect_equal(wf_check.json(response), {"error": "run not found", "traceId": unknown}, "404 body")


@check("ops.dead-letters-list", "required", requires=[WRITES, DRAIN, SET_ENV])
def test_dead_letters_list(wf_target: Target, wf_check: CheckContext, no_chat_webhook: None) -> None:
    """A produced dead letter appears in /api/dead-letters as {id, traceId, createdAt, error}, newest first."""
    (trace,) = produce_dead_letter(wf_check, wf_target)
    body = get_json(wf_check, wf_target, "/api/dead-letters", WIDE)
    items = [item for item in body.get("deadLetters") or [] if item.get("traceId") == trace]
    wf_check.expect(items, f"/api/dead-letters does not list the produced dead letter of {trace}")
    item = items[0]
    wf_check.expect_equal(sorted(item), ["createdAt", "error", "id", "traceId"], "dead letter item keys")
    wf_check.iso_instant(item["createdAt"], "createdAt")
    dead = run_detail(wf_check, wf_target, trace).get("deadLetter") or {}
    wf_check.expect_equal((item["id"], item["error"]), (dead.get("id"), dead.get("error")), "id and error")
    created = [entry.get("createdAt") for entry in body.get("deadLetters") or []]
    wf_check.expect(created == sorted(created, reverse=True), "dead letters are not ordered by createdAt desc")


# ---------------------------------------------------------------------------------------------------------
# Retry and lineage
# ---------------------------------------------------------------------------------------------------------


def retry(wf_check: CheckContext, target: Target, trace: str) -> dict[str, Any]:
    """``POST /api/retry/<trace>``: 202 with the accepted shape."""
    response = target.ops.post(f"/api/retry/{quote(trace, safe='')}")
    wf_check.expect_status(response, 202)
    body = wf_check.json(response)
    wf_check.expect(isinstance(body, dict), f"the retry body is not an object: {wf_check.show(response)}")
    wf_check.expect_equal(body.get("accepted"), True, "retry 'accepted'")
    wf_check.expect_equal(body.get("retriedFromTraceId"), trace, "retry 'retriedFromTraceId'")
    child = body.get("newTraceId")
    wf_check.expect(isinstance(child, str) and child and child != trace, f"retry 'newTraceId': {child!r}")
    result: dict[str, Any] = body
    return result


@check("ops.retry-replays-task", "required", requires=[WRITES, DRAIN, SET_ENV])
def test_retry_replays_task(wf_target: Target, wf_check: CheckContext, no_chat_webhook: None) -> None:
    """Retry answers 202 and enqueues the dead-lettered task unchanged but for traceId and enqueuedAt."""
    (parent,) = produce_dead_letter(wf_check, wf_target)
    detail = run_detail(wf_check, wf_target, parent)
    original = dead_letter_task(wf_check, detail)
    dead = detail["deadLetter"]
    accepted = retry(wf_check, wf_target, parent)
    wf_check.expect_equal(accepted.get("deadLetterId"), dead.get("id"), "retry 'deadLetterId'")
    wf_check.expect_equal(accepted.get("originalCreatedAt"), dead.get("createdAt"), "retry 'originalCreatedAt'")
    count = accepted.get("retryCount")
    wf_check.expect(count is None or isinstance(count, int), f"retry 'retryCount': {count!r}")
    child = str(accepted["newTraceId"])
    wf_target.drain()  # the child fails like its parent (still no webhook) and dead-letters its task
    replayed = dead_letter_task(wf_check, run_detail(wf_check, wf_target, child))
    wf_check.expect_equal(replayed.get("traceId"), child, "replayed task traceId (the newTraceId)")
    wf_check.iso_instant(replayed.get("enqueuedAt"), "replayed task enqueuedAt")
    expected = {**original, "traceId": child, "enqueuedAt": replayed.get("enqueuedAt")}
    wf_check.expect_equal(replayed, expected, "replayed task (must equal the dead-lettered one but traceId/enqueuedAt)")
    wf_check.expect_equal(list(replayed), list(original), "replayed task keys (and their order)")


def chain(wf_check: CheckContext, target: Target, parent: str) -> dict[str, Any]:
    body = get_json(wf_check, target, "/api/replays", WIDE)
    chains = [item for item in body.get("chains") or [] if item.get("parentTraceId") == parent]
    wf_check.expect_equal(len(chains), 1, f"/api/replays chains for parent {parent}")
    found: dict[str, Any] = chains[0]
    return found


@check("ops.retry-lineage", "required", requires=[WRITES, DRAIN, SET_ENV])
def test_retry_lineage(wf_target: Target, wf_check: CheckContext, no_chat_webhook: None) -> None:
    """Each retry of one parent records retry_count = previous max + 1; a retried child starts its own chain."""
    (parent,) = produce_dead_letter(wf_check, wf_target)
    answers = [retry(wf_check, wf_target, parent) for _ in range(3)]
    wf_check.expect_equal([answer.get("retryCount") for answer in answers], [1, 2, 3], "retryCount of 3 retries")
    children = [str(answer["newTraceId"]) for answer in answers]
    wf_check.expect_equal(len(set(children)), 3, "distinct newTraceIds")
    attempts = chain(wf_check, wf_target, parent).get("attempts") or []
    got = [(attempt.get("childTraceId"), attempt.get("retryCount")) for attempt in attempts]
    wf_check.expect_equal(got, list(zip(children, [1, 2, 3], strict=True)), "/api/replays attempts of the parent")
    wf_target.drain()
    nested = retry(wf_check, wf_target, children[0])
    wf_check.expect_equal(nested.get("retryCount"), 1, "retryCount of a retried child (its own parent)")
    attempts = chain(wf_check, wf_target, children[0]).get("attempts") or []
    wf_check.expect_equal(
        [(a.get("childTraceId"), a.get("retryCount")) for a in attempts],
        [(nested["newTraceId"], 1)],
        "/api/replays attempts of the child",
    )
    lineage = (run_detail(wf_check, wf_target, parent).get("retries") or {}).get("attempts") or []
    rows = [(a.get("parentTraceId"), a.get("childTraceId"), a.get("retryCount")) for a in lineage]
    expected = [(parent, child, count) for child, count in zip(children, [1, 2, 3], strict=True)]
    wf_check.expect_equal(rows, expected, "run-detail retries.attempts of the parent")


@check("ops.retry-unknown-404", "required", requires=[WRITES])
def test_retry_unknown_404(wf_target: Target, wf_check: CheckContext) -> None:
    """POST /api/retry/<a trace without dead letter> is 404 {"error":"dead letter not found","traceId"}."""
    for trace in ("not-real", new_trace(wf_target)):
        response = wf_target.ops.post(f"/api/retry/{trace}")
        wf_check.expect_status(response, 404)
        body = wf_check.json(response)
        wf_check.expect_equal(body, {"error": "dead letter not found", "traceId": trace}, "404 body")


# ---------------------------------------------------------------------------------------------------------
# Cron-run and error clusters
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def no_cleanup_secret(wf_target: Target) -> Iterator[None]:
    """Unset the workflow's cleanup secret for one test: ``cleanup_daily`` then fails and dead-letters its task."""
    with wf_target.env_changed("workflow", {CLEANUP_SECRET_VAR: None}):
        yield


@check("ops.cron-run-enqueues", "required", requires=[WRITES, DRAIN, SET_ENV])
def test_cron_run_enqueues(wf_target: Target, wf_check: CheckContext, no_cleanup_secret: None) -> None:
    """cron-run of an enabled schedule answers 202 and enqueues its task with trigger "manual_ops_dashboard".

    The task is seen through the dead letter cleanup_daily writes when its secret is unset.
    """
    schedule = enabled_schedule(wf_check, wf_target, CLEANUP)
    response = wf_target.ops.post(f"/api/cron-run/{CLEANUP}")
    wf_check.expect_status(response, 202)
    body = wf_check.json(response)
    wf_check.expect_equal(
        list(body), ["accepted", "traceId", "scheduleId", "enqueuedAt", "trigger"], "202 keys (and order)"
    )
    wf_check.expect_equal((body["accepted"], body["scheduleId"]), (True, CLEANUP), "accepted, scheduleId")
    wf_check.expect_equal(body["trigger"], MANUAL_TRIGGER, "202 trigger")
    wf_check.iso_instant(body["enqueuedAt"], "enqueuedAt")
    trace = str(body["traceId"])
    wf_target.drain()
    detail = run_detail(wf_check, wf_target, trace)
    run = detail.get("run") or {}
    wf_check.expect_equal((run.get("kind"), run.get("scheduleId")), ("scheduled_job", CLEANUP), "the run")
    task = dead_letter_task(wf_check, detail)
    wf_check.expect_equal(list(task), ["kind", "traceId", "scheduleId", "payload", "enqueuedAt"], "task keys")
    expected_task = {"kind": "scheduled_job", "traceId": trace, "scheduleId": CLEANUP, "enqueuedAt": body["enqueuedAt"]}
    wf_check.expect_equal({key: task[key] for key in expected_task}, expected_task, "enqueued task")
    payload = task.get("payload") or {}
    expected_payload = {
        "target": schedule["target"],
        "cron": schedule["cron"],
        "timeZone": schedule["timeZone"],
        "scheduledTime": body["enqueuedAt"],
        "trigger": MANUAL_TRIGGER,
    }
    wf_check.expect_equal(payload, expected_payload, "enqueued task payload")
    for schedule_id in (f"wfk_no_such_schedule_{uuid.uuid4().hex[:8]}",):
        missing = wf_target.ops.post(f"/api/cron-run/{schedule_id}")
        wf_check.expect_status(missing, 404)
        expected = {"error": "unknown or disabled schedule", "scheduleId": schedule_id}
        wf_check.expect_equal(wf_check.json(missing), expected, "404 body")


def cluster_counts(wf_check: CheckContext, target: Target) -> dict[str, dict[str, Any]]:
    body = get_json(wf_check, target, "/api/error-clusters", WIDE)
    clusters = body.get("clusters")
    wf_check.expect(isinstance(clusters, list), f"/api/error-clusters 'clusters' is not a list: {clusters!r}")
    return {str(item.get("key")): item for item in clusters}


@check("ops.error-clusters-group", "required", requires=[WRITES, DRAIN, SET_ENV])
def test_error_clusters_group(wf_target: Target, wf_check: CheckContext, no_chat_webhook: None) -> None:
    """Failures that differ only by trace id land in one cluster, whose count grows by their number."""
    wf_target.drain()  # tasks other checks left queued must not fail inside this check's window
    before = cluster_counts(wf_check, wf_target)
    traces = produce_dead_letter(wf_check, wf_target, traces=3)
    after = cluster_counts(wf_check, wf_target)
    grown = {
        key: int(item.get("count") or 0) - int((before.get(key) or {}).get("count") or 0) for key, item in after.items()
    }
    grown = {key: delta for key, delta in grown.items() if delta}
    wf_check.expect_equal(list(grown.values()), [len(traces)], f"clusters that grew after {len(traces)} failures")
    cluster = after[next(iter(grown))]
    wf_check.expect_equal(cluster.get("scope"), FAILING_ROUTE, "cluster scope")
    started = (run_detail(wf_check, wf_target, traces[-1]).get("run") or {}).get("startedAt")
    latest = wf_check.iso_instant(cluster.get("latestAt"), "cluster latestAt")
    wf_check.expect(latest >= wf_check.iso_instant(started, "startedAt"), "cluster latestAt before the newest failure")
    wf_check.expect(isinstance(cluster.get("sample"), str) and cluster["sample"], "cluster sample is empty")


# ---------------------------------------------------------------------------------------------------------
# Retry refusals: 409 (replay disabled) and 422 (the stored payload is not a task)
# ---------------------------------------------------------------------------------------------------------

ENABLED_VAR: Final = "ENABLED_HTTP_ROUTES"
DISABLED_VAR: Final = "DISABLED_HTTP_ROUTES"
OPS_UNGATED: Final[Mapping[str, object | None]] = dict.fromkeys(
    (ENABLED_VAR, DISABLED_VAR, "MANIFEST_MODE", "ROUTES_CONFIG_JSON", "SCHEDULES_CONFIG_JSON")
)
"""The ops worker's gating and manifest variables, all unset: the built-in manifest with every route enabled."""

EMPTY_ID_CRON: Final = "7 7 7 7 *"
"""A cron no built-in trigger or schedule uses, so an event for it fires only the check's own schedule."""

HAND_WRITTEN_ERROR: Final = "dead letter written by the ops suite"
TASK_TIME: Final = "2026-01-01T00:00:00.000Z"


def manifest_env(
    catalog: Mapping[str, Any], *, without_route: str | None = None, schedule: tuple[str, bool | None] | None = None
) -> dict[str, object | None]:
    """Config-mode variables for the catalog's manifest, less ``without_route``; ``schedule`` = (id, enabled)
    disables that schedule (``False``) or leaves it out (``None``)."""
    routes = [
        {name: route.get(name) for name in ROUTE_FIELDS}
        for route in catalog.get("routes") or []
        if route.get("routePath") != without_route
    ]
    schedules = []
    for item in catalog.get("schedules") or []:
        entry = {name: item.get(name) for name in SCHEDULE_FIELDS}
        if schedule is not None and entry["id"] == schedule[0]:
            if schedule[1] is None:
                continue
            entry["enabled"] = schedule[1]
        schedules.append(entry)
    return {
        **OPS_UNGATED,
        "MANIFEST_MODE": "config",
        "ROUTES_CONFIG_JSON": json.dumps(routes),
        "SCHEDULES_CONFIG_JSON": json.dumps(schedules),
    }


def retry_with(target: Target, trace: str, ops_env: Mapping[str, object | None]) -> httpx.Response:
    """``POST /api/retry/<trace>`` while the ops worker has ``ops_env`` over no gating and the built-in manifest."""
    with target.env_changed("ops", {**OPS_UNGATED, **ops_env}):
        return target.ops.post(f"/api/retry/{quote(trace, safe='')}")


def expect_answer(
    wf_check: CheckContext, response: httpx.Response, status: int, expected: Mapping[str, Any], what: str
) -> None:
    """``status`` with exactly the ``expected`` JSON body."""
    if response.status_code == 404 and status != 404:
        wf_check.fail(f"{what}: the dead letter was not found: {wf_check.show(response)}")
    wf_check.expect_status(response, status)
    wf_check.expect_equal(wf_check.json(response), expected, f"{what}: {status} body")


def expect_no_lineage(wf_check: CheckContext, target: Target, traces: Iterable[str]) -> None:
    """No ``/api/replays`` chain has one of ``traces`` as parent: a refused retry records no lineage."""
    refused = set(traces)
    chains = get_json(wf_check, target, "/api/replays", WIDE).get("chains") or []
    parents = {str(item.get("parentTraceId")) for item in chains if isinstance(item, dict)}
    wf_check.expect(not parents & refused, f"refused retries recorded lineage for {sorted(parents & refused)}")


def dead_letter_without_schedule_id(wf_check: CheckContext, target: Target) -> str:
    """The trace of a dead-lettered ``scheduled_job`` task whose ``scheduleId`` is ``""``.

    Config mode accepts empty strings (spec 3.2), so a scheduler whose manifest holds a schedule with id ``""``
    enqueues such a task; the workflow fails it and the consumer dead-letters it.
    """

    def failed_without_id() -> set[str]:
        runs = run_traces(wf_check, target, {"kind": "scheduled_job", "status": "failed"})
        return {str(run.get("traceId")) for run in runs if run.get("scheduleId") == ""}

    before = failed_without_id()
    item = {"id": "", "cron": EMPTY_ID_CRON, "enabled": True, "target": "f/wfkit/empty-id", "timeZone": "UTC"}
    with target.env_changed("scheduler", {"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": json.dumps([item])}):
        wf_check.expect_status(target.trigger_cron(EMPTY_ID_CRON), 200)
    target.drain()
    produced = failed_without_id() - before
    wf_check.expect_equal(len(produced), 1, "failed runs of the config-mode schedule whose id is empty")
    return produced.pop()


@check("ops.retry-blocked-409", "required", requires=[WRITES, DRAIN, SET_ENV, TRIGGER])
def test_retry_blocked_409(
    wf_target: Target, wf_check: CheckContext, no_chat_webhook: None, no_cleanup_secret: None
) -> None:
    """Retry is 409 {error:"retry blocked", traceId, reason} exactly when replay is disabled; it records nothing.

    The reasons are spec 3.5's, judged with the ops worker's own manifest and gating variables. Every reason but
    ``task kind "<k>" is not supported`` can be reached: a task of another kind is refused with 422 before
    replay enablement is asked (see ``ops.retry-invalid-payload-422``).
    """
    catalog = get_json(wf_check, wf_target, "/api/catalog")
    enabled_schedule(wf_check, wf_target, CLEANUP)
    (route_trace,) = produce_dead_letter(wf_check, wf_target)
    response = wf_target.ops.post(f"/api/cron-run/{CLEANUP}")
    wf_check.expect_status(response, 202)
    schedule_trace = str(wf_check.json(response).get("traceId"))
    wf_target.drain()
    blank_trace = dead_letter_without_schedule_id(wf_check, wf_target)
    disabled, unregistered = f'route "{FAILING_ROUTE}" is disabled', f'route "{FAILING_ROUTE}" is not registered'
    not_enabled = f'schedule "{CLEANUP}" is not enabled'
    cases: tuple[tuple[str, str, Mapping[str, object | None], str], ...] = (
        # (what, trace, the ops worker's env, reason)
        ("route not in ENABLED_HTTP_ROUTES", route_trace, {ENABLED_VAR: ECHO_ROUTE}, disabled),
        ("route in DISABLED_HTTP_ROUTES", route_trace, {DISABLED_VAR: f" {FAILING_ROUTE} "}, disabled),
        ("route in both sets", route_trace, {ENABLED_VAR: FAILING_ROUTE, DISABLED_VAR: FAILING_ROUTE}, disabled),
        ("route not in the manifest", route_trace, manifest_env(catalog, without_route=FAILING_ROUTE), unregistered),
        ("schedule disabled", schedule_trace, manifest_env(catalog, schedule=(CLEANUP, False)), not_enabled),
        ("schedule not in the manifest", schedule_trace, manifest_env(catalog, schedule=(CLEANUP, None)), not_enabled),
        ("task with an empty scheduleId", blank_trace, {}, "scheduled_job task missing scheduleId"),
    )
    for what, trace, ops_env, reason in cases:
        expected = {"error": "retry blocked", "traceId": trace, "reason": reason}
        expect_answer(wf_check, retry_with(wf_target, trace, ops_env), 409, expected, f"retry, {what}")
    expect_no_lineage(wf_check, wf_target, (route_trace, schedule_trace, blank_trace))
    # With replay enabled again the same dead letters replay, as the first retry of their parent: the 409s came
    # from enablement alone and counted nothing.
    for trace in (route_trace, schedule_trace):
        response = retry_with(wf_target, trace, {})
        wf_check.expect_status(response, 202)
        wf_check.expect_equal(wf_check.json(response).get("retryCount"), 1, f"retryCount after refusals of {trace}")
    wf_target.drain()  # the replayed tasks fail again (the variables are still unset) and dead-letter


def runtime_now(wf_check: CheckContext, target: Target) -> str:
    """The runtime's clock as ``toISOString`` text: the summary's 24 h window start plus 24 h."""
    since = wf_check.iso_instant(get_json(wf_check, target, "/api/summary").get("since"), "summary 'since'")
    now = since + timedelta(hours=24)
    return f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond // 1000:03d}Z"


def write_dead_letter(target: Target, trace: str, payload_json: str, created_at: str) -> None:
    """Store a dead letter as something other than the consumer would (an old producer, a hand edit, a restore).

    Skips on a target whose D1 is read-only through ``inspect_db`` (network targets open it query-only)."""
    try:
        target.query(
            "INSERT INTO dead_letters (trace_id, payload_json, error, created_at) VALUES (?, ?, ?, ?)",
            trace,
            payload_json,
            HAND_WRITTEN_ERROR,
            created_at,
        )
    except Exception as exc:  # each target's D1 raises its own error type for a refused write
        pytest.skip(f"writing a dead letter needs a D1 that accepts writes through inspect_db: {exc}")


def _task(kind: object = "http_route", **fields: object) -> dict[str, object]:
    """A queue task of ``kind`` (route ``webhook_echo`` or schedule ``heartbeat_hourly``), ``fields`` over it;
    a field set to ``...`` is left out."""
    key, value = ("routePath", ECHO_ROUTE) if kind == "http_route" else ("scheduleId", HEARTBEAT)
    task: dict[str, object] = {"kind": kind, "traceId": "t", key: value, "payload": {}, "enqueuedAt": TASK_TIME}
    task.update(fields)
    return {name: item for name, item in task.items() if item is not ...}


INVALID_JSON: Final = ("", "{", "{'kind': 'http_route'}", "NaN", "undefined", "[1,]", '{"kind":"http_route"} x')
"""``payload_json`` texts JavaScript's ``JSON.parse`` rejects."""

NOT_A_TASK: Final[tuple[tuple[str, object], ...]] = (
    ("null", None),
    ("an array", [_task()]),
    ("a string", "http_route"),
    ("a number", 42),
    ("an empty object", {}),
    ("another kind (422 before replay enablement)", _task(kind="cron")),
    ("no kind", _task(kind=...)),
    ("an empty traceId", _task(traceId="")),
    ("a numeric traceId", _task(traceId=7)),
    ("no enqueuedAt", _task(enqueuedAt=...)),
    ("an empty enqueuedAt", _task(enqueuedAt="")),
    ("a route task without routePath", _task(routePath=...)),
    ("a route task with a null routePath", _task(routePath=None)),
    ("a route task with a scheduleId instead", _task(routePath=..., scheduleId=HEARTBEAT)),
    ("a schedule task without scheduleId", _task("scheduled_job", scheduleId=...)),
    ("a schedule task with a numeric scheduleId", _task("scheduled_job", scheduleId=5)),
)
"""Parseable ``payload_json`` values that fail the queue-task shape check (spec 9.5.8)."""

SHAPED_BLOCKED: Final[tuple[tuple[str, str, str], ...]] = (
    # (what, payload_json, reason): the shape check accepts empty strings; replay enablement then refuses them
    ("a route task with an empty routePath", json.dumps(_task(routePath="")), "http_route task missing routePath"),
    (
        "a schedule task with an empty scheduleId, in whitespace",
        f" \n{json.dumps(_task('scheduled_job', scheduleId=''))}\t",
        "scheduled_job task missing scheduleId",
    ),
)


@check("ops.retry-invalid-payload-422", "required", requires=[WRITES, DB])
def test_retry_invalid_payload_422(wf_target: Target, wf_check: CheckContext) -> None:
    """Retry is 422 when the newest dead letter's payload is not JSON, or not a queue task; it records nothing.

    No producer of the runtime stores such a payload (the consumer stores ``JSON.stringify`` of a task every
    producer shaped), so the check writes the dead letters itself. A shaped task with an empty routePath or
    scheduleId passes the shape check and is refused with 409 instead.
    """
    now = runtime_now(wf_check, wf_target)
    written: list[str] = []

    def retry_of(*payloads: str) -> tuple[str, httpx.Response]:
        trace = wf_target.new_trace_id("ops-422")
        for payload in payloads:  # in id order: the last one is the newest
            write_dead_letter(wf_target, trace, payload, now)
        written.append(trace)
        return trace, wf_target.ops.post(f"/api/retry/{quote(trace, safe='')}")

    invalid = "dead letter payload is invalid JSON"
    for text in INVALID_JSON:
        trace, response = retry_of(text)
        expect_answer(wf_check, response, 422, {"error": invalid, "traceId": trace}, f"payload_json {text!r}")
    for what, value in NOT_A_TASK:
        trace, response = retry_of(json.dumps(value))
        expected = {"error": "dead letter payload is not a queue task", "traceId": trace}
        expect_answer(wf_check, response, 422, expected, f"payload_json of {what}")
    for what, text, reason in SHAPED_BLOCKED:
        trace, response = retry_of(text)
        expected = {"error": "retry blocked", "traceId": trace, "reason": reason}
        expect_answer(wf_check, response, 409, expected, f"payload_json of {what}")
    shaped = SHAPED_BLOCKED[0][1]
    trace, response = retry_of(shaped, "{")
    expect_answer(wf_check, response, 422, {"error": invalid, "traceId": trace}, "a newer unparseable dead letter")
    trace, response = retry_of("{", shaped)
    expected = {"error": "retry blocked", "traceId": trace, "reason": SHAPED_BLOCKED[0][2]}
    expect_answer(wf_check, response, 409, expected, "a newer shaped dead letter over an unparseable one")
    expect_no_lineage(wf_check, wf_target, written)


# ---------------------------------------------------------------------------------------------------------
# Timelines (spec 9.5.13, 9.5.14)
# ---------------------------------------------------------------------------------------------------------

BUCKET_SQL: Final = {"hour": "substr(started_at, 1, 13) || ':00:00Z'", "minute": "substr(started_at, 1, 16) || ':00Z'"}
SCOPE_SQL: Final = "COALESCE(NULLIF(route_path, ''), NULLIF(schedule_id, ''), 'unknown')"
STATUS_GROUPS: Final = (("succeeded", {"succeeded"}), ("failed", {"failed"}), ("running", {"started", "running"}))
BUCKET_LABEL: Final = {
    "hour": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$"),
    "minute": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$"),
}
RESOLUTIONS: Final[tuple[tuple[str | None, str], ...]] = (
    (None, "hour"),
    ("hour", "hour"),
    ("minute", "minute"),
    (" minute ", "minute"),
    ("MINUTE", "hour"),
    ("day", "hour"),
)
"""``bucket`` query value -> resolution (trimmed ``minute`` is minutes; anything else hours)."""


def produce_timeline_runs(wf_check: CheckContext, target: Target) -> tuple[str, str]:
    """One succeeded ``webhook_echo`` run and one failed ``chat_notify`` run (needs ``no_chat_webhook``)."""
    echo = new_trace(target)
    submit(wf_check, target, ECHO_ROUTE, {"probe": "timeline"}, echo)
    (failed,) = produce_dead_letter(wf_check, target)
    return echo, failed


def _expected_timeline(resolution: str) -> Callable[[Target, str], dict[str, Any]]:
    """Timeline buckets from SQL, keyed by label: counts, and the failing scopes with their counts."""

    def expected(target: Target, since: str) -> dict[str, Any]:
        label = BUCKET_SQL[resolution]
        buckets: dict[str, Any] = {}
        for row in target.query(
            f"SELECT {label} AS bucket, status, COUNT(*) AS n FROM runs WHERE started_at >= ? GROUP BY bucket, status",
            since,
        ):
            entry = buckets.setdefault(
                str(row["bucket"]), {"succeeded": 0, "failed": 0, "running": 0, "total": 0, "scopes": {}}
            )
            status, n = str(row["status"]), int(row["n"])
            entry["total"] += n
            if status in ("succeeded", "failed"):
                entry[status] += n
            elif status in ("started", "running"):
                entry["running"] += n
        for row in target.query(
            f"SELECT {label} AS bucket, {SCOPE_SQL} AS scope, COUNT(*) AS n FROM runs "
            "WHERE started_at >= ? AND status = 'failed' GROUP BY bucket, scope",
            since,
        ):
            buckets[str(row["bucket"])]["scopes"][str(row["scope"])] = int(row["n"])
        return buckets

    return expected


@check("ops.timeline-buckets", "required", requires=[WRITES, DRAIN, SET_ENV, DB])
def test_timeline_buckets(wf_target: Target, wf_check: CheckContext, no_chat_webhook: None) -> None:
    """/api/timeline buckets equal SQL over its 24 h window: labels, counts, the top failing scope, in order."""
    echo, failed = produce_timeline_runs(wf_check, wf_target)
    for raw, resolution in RESOLUTIONS:
        path = "/api/timeline" if raw is None else f"/api/timeline?bucket={quote(raw)}"
        body, expected = stable(wf_check, wf_target, path, _expected_timeline(resolution))
        wf_check.expect_equal(body.get("bucket"), resolution, f"{path} 'bucket' (the resolution)")
        buckets = list_field(wf_check, body, "buckets")
        labels = [str(item.get("bucket")) for item in buckets]
        wf_check.expect_equal(labels, sorted(expected), f"{path} bucket labels (ascending, only buckets with runs)")
        for item in buckets:
            label = str(item.get("bucket"))
            wf_check.expect(BUCKET_LABEL[resolution].match(label), f"{path} bucket label {label!r} ({resolution})")
            want = expected[label]
            got = {key: item.get(key) for key in ("succeeded", "failed", "running", "total")}
            counts = {key: want[key] for key in got}
            wf_check.expect_equal(got, counts, f"{path} bucket {label} counts (SQL)")
            scopes: dict[str, int] = want["scopes"]
            top = max(scopes.values(), default=0)
            wf_check.expect_equal(item.get("topFailureCount"), top, f"{path} bucket {label} topFailureCount")
            leaders = {scope for scope, count in scopes.items() if count == top} if scopes else {None}
            wf_check.expect(
                item.get("topFailureScope") in leaders,
                f"{path} bucket {label} topFailureScope {item.get('topFailureScope')!r}, not one of {leaders}",
            )
        for trace in (echo, failed):
            started = str((run_detail(wf_check, wf_target, trace).get("run") or {}).get("startedAt"))
            label = started[:13] + ":00:00Z" if resolution == "hour" else started[:16] + ":00Z"
            wf_check.expect(label in labels, f"{path} has no bucket {label} for the produced run {trace}")


@check("ops.timeline-detail-window", "required", requires=[WRITES, DRAIN, SET_ENV, DB])
def test_timeline_detail_window(wf_target: Target, wf_check: CheckContext, no_chat_webhook: None) -> None:
    """/api/timeline-detail: a 1 min or 1 h window from the bucket given; counts, scopes and runs from it; 400s."""
    echo, failed = produce_timeline_runs(wf_check, wf_target)
    starts = {
        trace: str((run_detail(wf_check, wf_target, trace).get("run") or {}).get("startedAt"))
        for trace in (echo, failed)
    }
    bucket = min(starts.values())
    begin = wf_check.iso_instant(bucket, "startedAt of a produced run")
    for resolution, width in ((None, 3600), ("minute", 60), ("hour", 3600), ("Minute", 3600)):
        params = {"bucket": f" {bucket} ", "limit": "250", **({} if resolution is None else {"resolution": resolution})}
        body = get_json(wf_check, wf_target, "/api/timeline-detail", params)
        what = f"timeline-detail resolution={resolution!r}"
        wf_check.expect_equal(body.get("bucket"), bucket, f"{what} 'bucket' (trimmed)")
        wf_check.expect_equal(body.get("resolution"), "minute" if width == 60 else "hour", f"{what} 'resolution'")
        window = body.get("window") or {}
        start, end = (wf_check.iso_instant(window.get(key), f"{what} window.{key}") for key in ("start", "end"))
        wf_check.expect_equal(window.get("start"), bucket, f"{what} window.start (the bucket as toISOString)")
        wf_check.expect_equal((start - begin, end - start), (timedelta(0), timedelta(seconds=width)), f"{what} window")
        rows = wf_target.query(
            f"SELECT trace_id, status, {SCOPE_SQL} AS scope FROM runs WHERE started_at >= ? AND started_at < ?",
            window["start"],
            window["end"],
        )
        counts = {key: sum(1 for row in rows if row["status"] in states) for key, states in STATUS_GROUPS}
        counts["total"] = counts["succeeded"] + counts["failed"] + counts["running"]
        wf_check.expect_equal(body.get("statusCounts"), counts, f"{what} statusCounts (SQL over the window)")
        failing: dict[str, int] = {}
        for row in rows:
            if row["status"] == "failed":
                failing[str(row["scope"])] = failing.get(str(row["scope"]), 0) + 1
        scopes = sorted(failing.items(), key=lambda pair: (-pair[1], pair[0]))[:10]
        wf_check.expect_equal(
            body.get("topScopes"), [{"scope": s, "count": n} for s, n in scopes], f"{what} topScopes (SQL)"
        )
        runs = list_field(wf_check, body, "runs")
        wf_check.expect_equal(len(runs), min(len(rows), 250), f"{what} number of runs")
        stamps = [str(run.get("startedAt")) for run in runs]
        wf_check.expect(stamps == sorted(stamps, reverse=True), f"{what} runs are not ordered by startedAt desc")
        traces = {str(run.get("traceId")) for run in runs}
        inside = {trace for trace, at in starts.items() if at < window["end"]}
        wf_check.expect(inside <= traces, f"{what} misses produced run(s) {sorted(inside - traces)}")
    for params, expected in (
        ({}, {"error": "bucket query param is required"}),
        ({"bucket": "  "}, {"error": "bucket query param is required"}),
        ({"bucket": "not-a-time"}, {"error": "invalid bucket format", "bucket": "not-a-time"}),
    ):
        response = wf_target.ops.get("/api/timeline-detail", params=params)
        expect_answer(wf_check, response, 400, expected, f"timeline-detail with {params}")


# ---------------------------------------------------------------------------------------------------------
# Secrets health (spec 9.5.16)
# ---------------------------------------------------------------------------------------------------------


def secrets_health(wf_check: CheckContext, target: Target) -> dict[str, Any]:
    """``GET /api/secrets-health``: always 200 with a JSON object."""
    body: dict[str, Any] = get_json(wf_check, target, "/api/secrets-health")
    return body


@check("ops.secrets-health-shape", "required")
def test_secrets_health_shape(wf_target: Target, wf_check: CheckContext) -> None:
    """/api/secrets-health is 200: {available:true, ok, env, worker, errors} with ok = no errors, or
    {available:false, reason}."""
    body = secrets_health(wf_check, wf_target)
    available = body.get("available")
    if available is False:
        wf_check.expect_equal(sorted(body), ["available", "reason"], "keys of an unavailable answer")
        wf_check.expect(isinstance(body["reason"], str) and body["reason"], f"empty reason: {body!r}")
        return
    wf_check.expect(available is True, f"'available' is not a boolean: {body!r}")
    wf_check.expect(
        {"available", "errors"} <= set(body) <= {"available", "ok", "env", "worker", "errors"}, f"keys: {sorted(body)}"
    )
    errors = body["errors"]
    wf_check.expect(
        isinstance(errors, list) and all(isinstance(error, str) for error in errors), f"'errors': {errors!r}"
    )
    if "ok" in body:
        wf_check.expect_equal(body["ok"], not errors, f"'ok' (true exactly when there are no errors) of {body!r}")
    if "worker" in body:
        wf_check.expect_equal(body["worker"], "workflow", "'worker' (the workflow's /health/config)")


@check("ops.secrets-health-unavailable", "required", requires=[SET_ENV])
def test_secrets_health_unavailable(wf_target: Target, wf_check: CheckContext) -> None:
    """Without the workflow binding, or when /health/config fails, secrets-health is still 200 and says why."""
    with wf_target.env_changed("ops", {"WORKFLOW_SERVICE": None}):
        body = secrets_health(wf_check, wf_target)
    expected = {"available": False, "reason": "workflow service binding is not configured on ops-dashboard"}
    wf_check.expect_equal(body, expected, "secrets-health without WORKFLOW_SERVICE")
    # A manifest the workflow cannot resolve fails every workflow request, /health/config included (spec 3.3).
    with wf_target.env_changed("workflow", {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": "{not-json}"}):
        config = wf_target.workflow.get("/health/config")
        body = secrets_health(wf_check, wf_target)
    wf_check.expect(not config.is_success, f"/health/config did not fail: {wf_check.show(config)}")
    reason = f"workflow /health/config failed: {config.status_code} {config.text}"
    wf_check.expect_equal(body, {"available": False, "reason": reason}, "secrets-health when /health/config fails")


# ---------------------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------------------

LIST_ENDPOINTS: Final = (
    "/api/meta",
    "/api/extensions",
    "/api/summary",
    "/api/catalog",
    "/api/runs",
    "/api/dead-letters",
    "/api/replays",
    "/api/timeline",
    "/api/timeline-detail",
    "/api/error-clusters",
    "/api/secrets-health",
)
PARAM_ENDPOINTS: Final = ("/api/run-detail", "/api/route-detail", "/api/cron-detail")
QUERY_NAMES: Final = ("limit", "status", "routePath", "scheduleId", "kind", "bucket", "resolution")

odd_text = st.one_of(
    st.sampled_from(["", " ", "%", "%zz", "%E0%A4%A", "-1", "1e309", "NaN", "0x1F", "..", "\u0000", "💥" * 3]),
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


@check("ops.odd-input-no-5xx", "recommended")
def test_odd_input_no_5xx(wf_target: Target, wf_check: CheckContext) -> None:
    """Odd limit, filter, bucket and path-parameter values never make a GET endpoint answer 5xx."""

    @settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        endpoint=st.sampled_from(LIST_ENDPOINTS + PARAM_ENDPOINTS),
        param=odd_text,
        query=st.dictionaries(st.sampled_from(QUERY_NAMES), odd_text, max_size=3),
    )
    @example(endpoint="/api/run-detail", param="%E0%A4%A", query={})
    @example(endpoint="/api/cron-detail", param="%zz", query={})
    @example(endpoint="/api/runs", param="", query={"limit": "1e309", "status": "💥"})
    @example(endpoint="/api/timeline-detail", param="", query={"bucket": "+275760-09-13T00:00:00.000Z"})
    def no_5xx(endpoint: str, param: str, query: dict[str, str]) -> None:
        path = endpoint
        if endpoint in PARAM_ENDPOINTS:
            path = f"{endpoint}/{quote(param, safe='%') or 'x'}"
        response = wf_target.ops.get(path, params={name: value.replace("\u0000", "") for name, value in query.items()})
        if response.status_code >= 500:
            wf_check.fail(f"odd input answered {response.status_code}: {wf_check.show(response)}")

    no_5xx()
