"""Route checks: the api worker's HTTP contract (spec section 4), against any target.

Every check names the rule it holds (``routes.<rule>``) and its level. Checks that send a request which
stores or enqueues something require ``writes_allowed``; checks that look behind the HTTP answer (the queued
task, the run it produced) also require ``drain_queue`` and ``inspect_db``, and skip where those are lacking.

=====================================  ===========  ===========================================================
check                                  level        rule
=====================================  ===========  ===========================================================
``routes.health-shape``                required     ``GET /api/health`` is 200 ``{ok:true[, env], worker:"api"}``
``routes.preflight-cors``              required     ``OPTIONS /api/...`` is 204, empty, with the five CORS headers
``routes.unknown-route-404``           required     an unknown route is 404 ``{error:"unknown route", routePath}``
``routes.malformed-path-404``          required     ``/api/a/b`` is 404 with the ``Use POST /api/{route}`` hint
``routes.non-post-405``                required     any other method is 405 ``{error:"method not allowed"}``
``routes.cors-origin-echoed``          required     404/405 answers echo ``Origin`` (``*`` without one)
``routes.async-accepted-shape``        required     an async route is 202 ``{accepted, traceId, routePath, queuedAt}``
``routes.async-task-runs``             required     the accepted task runs: a ``runs`` row, succeeded, with output
``routes.async-task-shape``            required     the queued task is ``{kind, traceId, routePath, payload,
                                                    enqueuedAt}`` with ``payload`` = ``{"body": body}`` (wrapBody)
``routes.async-wrapbody``              required     a ``wrapBody: false`` route passes the body itself
``routes.duplicate-is-202``            required     a repeated trace id is 202 ``{accepted, duplicate, traceId}``
``routes.sync-duplicate-is-202``       required     the same on a sync route (the result is not replayed)
``routes.sync-result-shape``           required     a sync route is 200 ``{traceId, result}``
``routes.sync-wrapbody``               required     a ``wrapBody: true`` sync route wraps the body
``routes.malformed-json-keeps-trace``  required     a body that fails to parse does not consume its trace id
``routes.malformed-json-no-5xx``       recommended  a body that fails to parse is a 4xx, not a crash
``routes.fixture``                     required     each required route fixture (``fixtures/routes``, plus
                                                    ``--wf-fixtures DIR/routes``): answer, queued task, run
``routes.fixture-recommended``         recommended  the same for fixtures of level ``recommended``
=====================================  ===========  ===========================================================

The built-in v0.1 routes are used (spec 2.7): ``webhook_echo`` (async, no wrap), ``chat_notify`` (async,
wrap) and ``lead_normalizer`` (sync, wrap). Each check uses fresh trace ids (``Target.new_trace_id``, with the
run's prefix), so checks are independent of each other and of their order, and can share one long-lived target.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from workerflow_kit.authoring.diff import render
from workerflow_kit.authoring.route_fixtures import run_route_fixture
from workerflow_kit.live.allowlist import PROBE_ROUTE_PREFIX
from workerflow_kit.suites.checks import CheckContext, check
from workerflow_kit.suites.fixtures import Fixture, load_fixtures
from workerflow_kit.targets.base import Capability, Target

WRITES = Capability.WRITES_ALLOWED
DRAIN = Capability.DRAIN_QUEUE
DB = Capability.INSPECT_DB

ORIGIN = "https://client.example"
ALLOW_METHODS = "POST, OPTIONS"
ALLOW_HEADERS = "content-type, authorization, x-api-token, x-api-key, x-webhook-token, x-trace-id"
MAX_AGE = "86400"
CHAT_WEBHOOK_VARS = ("CHAT_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK")
SYNC_ROUTE_KEY_VARS = ("GOOGLEAI_API_KEY", "LEAD_NORMALIZER_API_KEY")

ASYNC_ROUTE = "webhook_echo"
WRAPPED_ASYNC_ROUTE = "chat_notify"
SYNC_ROUTE = "lead_normalizer"


def new_trace(target: Target) -> str:
    """A trace id no other request used, with the run's prefix (so operators can find what a run sent)."""
    return target.new_trace_id("routes")


def post(target: Target, route: str, body: Any, *, trace: str, origin: str | None = None) -> httpx.Response:
    headers = {"x-trace-id": trace}
    if origin is not None:
        headers["origin"] = origin
    return target.api.post(f"/api/{route}", json=body, headers=headers)


def expect_cors(wf_check: CheckContext, response: httpx.Response, origin: str) -> None:
    headers = response.headers
    where = f"on {wf_check.show(response)}"
    wf_check.expect_equal(headers.get("access-control-allow-origin"), origin, f"access-control-allow-origin {where}")
    wf_check.expect_equal(headers.get("vary"), "origin", f"vary {where}")


def run_row(wf_target: Target, trace: str) -> dict[str, Any] | None:
    rows = wf_target.query("SELECT kind, route_path, status, output, error FROM runs WHERE trace_id = ?", trace)
    return rows[0] if rows else None


# ---------------------------------------------------------------------------------------------------------
# Read-only checks
# ---------------------------------------------------------------------------------------------------------


@check("routes.health-shape", "required")
def test_health_shape(wf_target: Target, wf_check: CheckContext) -> None:
    """GET /api/health answers 200 {"ok":true[,"env":ENV_NAME],"worker":"api"}."""
    response = wf_target.api.get("/api/health")
    wf_check.expect_status(response, 200)
    body = wf_check.json(response)
    wf_check.expect(isinstance(body, dict), f"the health body is not an object: {wf_check.show(response)}")
    wf_check.expect_equal(body.get("ok"), True, "health 'ok'")
    wf_check.expect_equal(body.get("worker"), "api", "health 'worker'")
    wf_check.expect("env" not in body or isinstance(body["env"], str), f"health 'env' is not a string: {body!r}")
    order = [key for key in ("ok", "env", "worker") if key in body]
    wf_check.expect_equal(list(body), order, "health keys (and their order)")


@check("routes.preflight-cors", "required")
def test_preflight_cors(wf_target: Target, wf_check: CheckContext) -> None:
    """OPTIONS on /api/... answers 204 with an empty body and the five CORS headers, the origin echoed."""
    response = wf_target.api.options(
        f"/api/{ASYNC_ROUTE}",
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-trace-id",
        },
    )
    wf_check.expect_status(response, 204)
    wf_check.expect_equal(response.content, b"", "preflight body")
    expect_cors(wf_check, response, ORIGIN)
    wf_check.expect_equal(response.headers.get("access-control-allow-methods"), ALLOW_METHODS, "allow-methods")
    wf_check.expect_equal(response.headers.get("access-control-allow-headers"), ALLOW_HEADERS, "allow-headers")
    wf_check.expect_equal(response.headers.get("access-control-max-age"), MAX_AGE, "max-age")
    wf_check.expect(
        "access-control-allow-credentials" not in response.headers,
        "the preflight sends access-control-allow-credentials",
    )


@check("routes.unknown-route-404", "required")
def test_unknown_route_404(wf_target: Target, wf_check: CheckContext) -> None:
    """POST to a route the manifest lacks answers 404 {"error":"unknown route","routePath":R} exactly."""
    route = f"{PROBE_ROUTE_PREFIX}{uuid.uuid4().hex[:12]}"
    response = post(wf_target, route, {"probe": True}, trace=new_trace(wf_target))
    wf_check.expect_status(response, 404)
    wf_check.expect_equal(wf_check.json(response), {"error": "unknown route", "routePath": route}, "404 body")


@check("routes.malformed-path-404", "required")
def test_malformed_path_404(wf_target: Target, wf_check: CheckContext) -> None:
    """POST to /api/a/b (not exactly /api/{route}) answers 404 with the usage hint."""
    response = wf_target.api.post(f"/api/{ASYNC_ROUTE}/extra", json={}, headers={"x-trace-id": new_trace(wf_target)})
    wf_check.expect_status(response, 404)
    expected = {"error": "unknown route", "hint": "Use POST /api/{route}"}
    wf_check.expect_equal(wf_check.json(response), expected, "404 body")


@check("routes.non-post-405", "required")
def test_non_post_405(wf_target: Target, wf_check: CheckContext) -> None:
    """GET, PUT and DELETE on a route (or on any path outside /api/) answer 405 {"error":"method not allowed"}."""
    for method, path in (("GET", f"/api/{ASYNC_ROUTE}"), ("PUT", f"/api/{SYNC_ROUTE}"), ("DELETE", "/elsewhere")):
        response = wf_target.api.request(method, path)
        wf_check.expect_status(response, 405)
        wf_check.expect_equal(wf_check.json(response), {"error": "method not allowed"}, f"{method} {path} body")


@check("routes.cors-origin-echoed", "required")
def test_cors_origin_echoed(wf_target: Target, wf_check: CheckContext) -> None:
    """Error answers carry CORS too: the request's Origin echoed verbatim, '*' without one; vary: origin."""
    unknown = f"{PROBE_ROUTE_PREFIX}{uuid.uuid4().hex[:12]}"
    for origin in (ORIGIN, "http://127.0.0.1:5173"):
        not_found = post(wf_target, unknown, {}, trace=new_trace(wf_target), origin=origin)
        wf_check.expect_status(not_found, 404)
        expect_cors(wf_check, not_found, origin)
        not_allowed = wf_target.api.get(f"/api/{ASYNC_ROUTE}", headers={"origin": origin})
        wf_check.expect_status(not_allowed, 405)
        expect_cors(wf_check, not_allowed, origin)
    without = wf_target.api.get(f"/api/{ASYNC_ROUTE}")
    expect_cors(wf_check, without, "*")


# ---------------------------------------------------------------------------------------------------------
# Async routes
# ---------------------------------------------------------------------------------------------------------


@check("routes.async-accepted-shape", "required", requires=[WRITES])
def test_async_accepted_shape(wf_target: Target, wf_check: CheckContext) -> None:
    """An async route answers 202 {"accepted":true,"traceId":T,"routePath":R,"queuedAt":ISO}, CORS included."""
    trace = new_trace(wf_target)
    response = post(wf_target, ASYNC_ROUTE, {"hello": "world"}, trace=trace, origin=ORIGIN)
    wf_check.expect_status(response, 202)
    body = wf_check.json(response)
    wf_check.expect_equal(list(body), ["accepted", "traceId", "routePath", "queuedAt"], "202 keys (and their order)")
    wf_check.expect_equal(body["accepted"], True, "accepted")
    wf_check.expect_equal(body["traceId"], trace, "traceId (the x-trace-id header)")
    wf_check.expect_equal(body["routePath"], ASYNC_ROUTE, "routePath")
    wf_check.iso_instant(body["queuedAt"], "queuedAt")
    expect_cors(wf_check, response, ORIGIN)


@check("routes.async-task-runs", "required", requires=[WRITES, DRAIN, DB])
def test_async_task_runs(wf_target: Target, wf_check: CheckContext) -> None:
    """The accepted task is queued and runs: a succeeded http_route run whose output is the handler's result."""
    trace = new_trace(wf_target)
    response = post(wf_target, ASYNC_ROUTE, {"hello": "world"}, trace=trace)
    wf_check.expect_status(response, 202)
    wf_target.drain()
    row = run_row(wf_target, trace)
    if row is None:
        wf_check.fail(f"no runs row for trace {trace} after the queue drained: the accepted task was not queued")
    wf_check.expect_equal(row["kind"], "http_route", "runs.kind")
    wf_check.expect_equal(row["route_path"], ASYNC_ROUTE, "runs.route_path")
    wf_check.expect_equal(row["status"], "succeeded", f"runs.status (error: {row['error']!r})")
    output = json.loads(row["output"] or "null")
    expected = {"ok": True, "route": ASYNC_ROUTE, "received": {"hello": "world"}}
    wf_check.expect(
        expected in _values(output), f"runs.output does not hold the handler result {expected!r}: {output!r}"
    )


@pytest.fixture
def no_chat_webhook(wf_target: Target) -> Iterator[None]:
    """Unset the chat webhook variables of the workflow worker for one test (chat_notify then dead-letters)."""
    with wf_target.env_changed("workflow", dict.fromkeys(CHAT_WEBHOOK_VARS)):
        yield


@check("routes.async-task-shape", "required", requires=[WRITES, DRAIN, DB, Capability.SET_ENV])
def test_async_task_shape(wf_target: Target, wf_check: CheckContext, no_chat_webhook: None) -> None:
    """The queued task of a wrapBody route is {kind, traceId, routePath, payload: {"body": B}, enqueuedAt}.

    Seen through the dead letter chat_notify writes when no chat webhook is configured: it stores the task
    verbatim (spec 5.2, 7.2).
    """
    trace = new_trace(wf_target)
    body = {"text": "hello from the routes suite", "n": 1}
    response = post(wf_target, WRAPPED_ASYNC_ROUTE, body, trace=trace)
    wf_check.expect_status(response, 202)
    queued_at = wf_check.json(response).get("queuedAt")
    wf_target.drain()
    rows = wf_target.query("SELECT payload_json FROM dead_letters WHERE trace_id = ?", trace)
    if not rows:
        wf_check.fail(f"no dead letter for trace {trace}: the task did not reach the workflow as expected")
    task = json.loads(rows[0]["payload_json"])
    wf_check.expect_equal(
        list(task), ["kind", "traceId", "routePath", "payload", "enqueuedAt"], "task keys (and order)"
    )
    wf_check.expect_equal(task["kind"], "http_route", "task.kind")
    wf_check.expect_equal(task["traceId"], trace, "task.traceId")
    wf_check.expect_equal(task["routePath"], WRAPPED_ASYNC_ROUTE, "task.routePath")
    wf_check.expect_equal(task["payload"], {"body": body}, "task.payload of a wrapBody route")
    wf_check.expect_equal(task["enqueuedAt"], queued_at, "task.enqueuedAt (the 202's queuedAt)")


@check("routes.async-wrapbody", "required", requires=[WRITES, DRAIN, DB])
def test_async_wrapbody(wf_target: Target, wf_check: CheckContext) -> None:
    """A wrapBody=false route passes the body itself: webhook_echo receives body.body ({"body":5,"x":1} -> 5)."""
    trace = new_trace(wf_target)
    response = post(wf_target, ASYNC_ROUTE, {"body": 5, "x": 1}, trace=trace)
    wf_check.expect_status(response, 202)
    wf_target.drain()
    row = run_row(wf_target, trace)
    if row is None or row["status"] != "succeeded":
        wf_check.fail(f"the webhook_echo run for trace {trace} did not succeed: {row!r}")
    output = json.loads(row["output"] or "null")
    received = [value["received"] for value in _values(output) if isinstance(value, dict) and "received" in value]
    wf_check.expect_equal(received[:1], [5], "what webhook_echo received (the payload must be the body, unwrapped)")


def _values(document: Any) -> Iterator[Any]:
    """The document and every value nested in it (the run output may wrap the handler result)."""
    yield document
    if isinstance(document, dict):
        for value in document.values():
            yield from _values(value)
    elif isinstance(document, list):
        for value in document:
            yield from _values(value)


# ---------------------------------------------------------------------------------------------------------
# Idempotency
# ---------------------------------------------------------------------------------------------------------


@check("routes.duplicate-is-202", "required", requires=[WRITES])
def test_duplicate_is_202(wf_target: Target, wf_check: CheckContext) -> None:
    """A trace id seen before answers 202 {"accepted":true,"duplicate":true,"traceId":T}, with CORS."""
    trace = new_trace(wf_target)
    first = post(wf_target, ASYNC_ROUTE, {"n": 1}, trace=trace)
    wf_check.expect_status(first, 202)
    again = post(wf_target, ASYNC_ROUTE, {"n": 2}, trace=trace, origin=ORIGIN)
    wf_check.expect_status(again, 202)
    expected = {"accepted": True, "duplicate": True, "traceId": trace}
    wf_check.expect_equal(wf_check.json(again), expected, "duplicate body")
    expect_cors(wf_check, again, ORIGIN)


@check("routes.sync-duplicate-is-202", "required", requires=[WRITES])
def test_sync_duplicate_is_202(wf_target: Target, wf_check: CheckContext, sync_route_ready: None) -> None:
    """On a sync route too, a repeated trace id answers the 202 duplicate body, never the result again."""
    trace = new_trace(wf_target)
    first = post(wf_target, SYNC_ROUTE, {"fullName": "Ada"}, trace=trace)
    wf_check.expect_status(first, 200)
    again = post(wf_target, SYNC_ROUTE, {"fullName": "Ada"}, trace=trace)
    wf_check.expect_status(again, 202)
    wf_check.expect_equal(
        wf_check.json(again), {"accepted": True, "duplicate": True, "traceId": trace}, "sync duplicate body"
    )


# ---------------------------------------------------------------------------------------------------------
# Sync routes
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def sync_route_ready(wf_target: Target) -> Iterator[None]:
    """Make sure the workflow may run lead_normalizer, which demands a Google AI key it never uses (spec 6.3).

    With ``set_env`` a placeholder key is set for the test when none is configured. Without it, the target's
    workflow ``/health/config`` (when reachable) is asked, and the test skips, naming the missing
    configuration, when the route is not configured there: a misconfigured deployment is not a broken rule.
    """
    if wf_target.has(Capability.SET_ENV):
        previous = {name: wf_target.set_env("workflow", name, None) for name in SYNC_ROUTE_KEY_VARS}
        configured = {name: value for name, value in previous.items() if value is not None}
        for name, value in (configured or {SYNC_ROUTE_KEY_VARS[0]: "wfk-placeholder-key"}).items():
            wf_target.set_env("workflow", name, value)
        try:
            yield
        finally:
            for name, value in previous.items():
                wf_target.set_env("workflow", name, value)
        return
    if wf_target.has_worker("workflow"):
        response = wf_target.workflow.get("/health/config")
        errors = response.json().get("errors", []) if response.status_code == 200 else []
        missing = [error for error in errors if isinstance(error, str) and f'"{SYNC_ROUTE}"' in error]
        if missing:
            pytest.skip(f"the target's workflow is not configured for {SYNC_ROUTE}: {missing[0]}")
    yield


@check("routes.sync-result-shape", "required", requires=[WRITES])
def test_sync_result_shape(wf_target: Target, wf_check: CheckContext, sync_route_ready: None) -> None:
    """A sync route answers 200 {"traceId":T,"result":<the handler result>} (lead_normalizer, spec 7.3)."""
    trace = new_trace(wf_target)
    lead = {"firstName": "Ava", "lastName": "Ng", "email": "AVA@Example.COM", "phone": "(555) 111-2222"}
    response = post(wf_target, SYNC_ROUTE, lead, trace=trace, origin=ORIGIN)
    wf_check.expect_status(response, 200)
    normalized = {"fullName": "Ava Ng", "email": "ava@example.com", "phone": "5551112222", "source": "unspecified"}
    expected = {"traceId": trace, "result": {"ok": True, "route": SYNC_ROUTE, "normalized": normalized}}
    wf_check.expect_equal(wf_check.json(response), expected, "sync body")
    expect_cors(wf_check, response, ORIGIN)


@check("routes.sync-wrapbody", "required", requires=[WRITES])
def test_sync_wrapbody(wf_target: Target, wf_check: CheckContext, sync_route_ready: None) -> None:
    """A wrapBody=true route wraps the body: lead_normalizer reads the outer object, not its "body" key."""
    trace = new_trace(wf_target)
    response = post(wf_target, SYNC_ROUTE, {"body": {"fullName": "Inner"}, "fullName": "Outer"}, trace=trace)
    wf_check.expect_status(response, 200)
    result = wf_check.json(response).get("result") or {}
    full_name = (result.get("normalized") or {}).get("fullName")
    wf_check.expect_equal(full_name, "Outer", "fullName the handler saw (the payload must be {'body': <body>})")


# ---------------------------------------------------------------------------------------------------------
# Malformed bodies
# ---------------------------------------------------------------------------------------------------------

BAD_JSON = b'{"unterminated": '


def post_bad_json(target: Target, trace: str) -> httpx.Response:
    headers = {"x-trace-id": trace, "content-type": "application/json", "origin": ORIGIN}
    return target.api.post(f"/api/{ASYNC_ROUTE}", content=BAD_JSON, headers=headers)


@check("routes.malformed-json-keeps-trace", "required", requires=[WRITES])
def test_malformed_json_keeps_trace(wf_target: Target, wf_check: CheckContext) -> None:
    """A JSON body that fails to parse stores nothing: the same trace id is then accepted, not a duplicate."""
    trace = new_trace(wf_target)
    bad = post_bad_json(wf_target, trace)
    wf_check.expect(bad.status_code != 202, f"a malformed JSON body was accepted: {wf_check.show(bad)}")
    good = post(wf_target, ASYNC_ROUTE, {"ok": 1}, trace=trace)
    wf_check.expect_status(good, 202)
    wf_check.expect("duplicate" not in wf_check.json(good), f"the failed parse consumed the trace id: {good.text}")


@check("routes.malformed-json-no-5xx", "recommended", requires=[WRITES])
def test_malformed_json_no_5xx(wf_target: Target, wf_check: CheckContext) -> None:
    """A JSON body that fails to parse is a client error (4xx, with CORS), not a crash (upstream: bare 500)."""
    response = post_bad_json(wf_target, new_trace(wf_target))
    wf_check.expect(
        400 <= response.status_code < 500, f"a malformed JSON body should be a 4xx: {wf_check.show(response)}"
    )
    expect_cors(wf_check, response, ORIGIN)


# ---------------------------------------------------------------------------------------------------------
# Fixture-driven checks (the runner is shared with ``workerflow-kit fixtures run``)
# ---------------------------------------------------------------------------------------------------------

_FIXTURE_ARGS = {"route_fixture": "required", "recommended_route_fixture": "recommended"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for argname, level in _FIXTURE_ARGS.items():
        if argname in metafunc.fixturenames:
            extra = metafunc.config.getoption("wf_fixtures", default=[]) or []
            chosen = [fixture for fixture in load_fixtures("route", extra) if fixture.level == level]
            metafunc.parametrize(argname, [pytest.param(fixture, id=fixture.id) for fixture in chosen])


def check_route_fixture(wf_target: Target, wf_check: CheckContext, fixture: Fixture) -> None:
    outcome = run_route_fixture(wf_target, fixture.data)
    if outcome.status == "failed":
        wf_check.fail(f"fixture {fixture.id} ({fixture.path.name}) differs:\n{render(outcome.differences)}")
    if outcome.status == "skipped":
        pytest.skip(outcome.reason)


@check("routes.fixture", "required")
def test_route_fixture(wf_target: Target, wf_check: CheckContext, route_fixture: Fixture) -> None:
    """Each required route fixture: the answer, and where the target shows them the queued task and the run."""
    check_route_fixture(wf_target, wf_check, route_fixture)


@check("routes.fixture-recommended", "recommended")
def test_route_fixture_recommended(
    wf_target: Target, wf_check: CheckContext, recommended_route_fixture: Fixture
) -> None:
    """Each recommended route fixture (robustness beyond upstream), checked the same way."""
    check_route_fixture(wf_target, wf_check, recommended_route_fixture)
