"""Ops checks: the ops dashboard's HTTP contract (spec section 9), against any target.

Every check names the rule it holds (``ops.<rule>``) and its level. Read-only checks need nothing but the ops
worker. Checks that produce rows (a run, a dead letter, a retry) send requests that store or enqueue, so they
require ``writes_allowed`` and ``drain_queue``; those that need a dead letter also require ``set_env``: they
unset the workflow's chat webhook variables, so ``chat_notify`` fails and dead-letters (spec 7.2), and put them
back afterwards. Checks that compare the dashboard with the database require ``inspect_db``.

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
``ops.odd-input-no-5xx``            recommended  odd ``limit``, filters, buckets and path parameters never
                                                 answer 5xx (upstream crashes on malformed escapes)
==================================  ===========  ==============================================================

On a shared, long-lived target other checks create runs and dead letters too, so checks assert relations (the
new trace appears with these fields, counts grow by what this check produced, counts equal direct SQL counts)
rather than absolute totals. Each check uses fresh trace ids and restores every variable it changes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
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


def new_trace() -> str:
    """A trace id no other request used."""
    return f"wfk-ops-{uuid.uuid4()}"


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
    produced = [new_trace() for _ in range(traces)]
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
        ("GET", f"/api/retry/{new_trace()}"),
        ("GET", f"/api/cron-run/{HEARTBEAT}"),
        ("POST", f"/api/run-detail/{new_trace()}"),
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
    previous = wf_target.set_env("ops", TOKEN_VAR, token)
    try:
        yield token
    finally:
        wf_target.set_env("ops", TOKEN_VAR, previous)


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

    @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
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
    echo, failed = new_trace(), new_trace()
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
    echo = new_trace()
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

    unknown = new_trace()
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
    for trace in ("not-real", new_trace()):
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
    previous = wf_target.set_env("workflow", CLEANUP_SECRET_VAR, None)
    try:
        yield
    finally:
        wf_target.set_env("workflow", CLEANUP_SECRET_VAR, previous)


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

    @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
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
