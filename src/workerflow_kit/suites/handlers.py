"""Handler checks: the workflow worker runs tasks through the five v0.1 handlers (spec 2.5, 6.4, 6.5, 7), against
any target that reaches the workflow worker.

Every check POSTs a whole task (``{kind, traceId, routePath|scheduleId, payload, enqueuedAt}``) to the workflow's
``/run-sync`` and reads the answer: the handler's result (200) or the error contract (500 ``{error, message,
details}``). Checks that change the workflow's env require ``set_env`` (the old values are put back); checks
that answer or observe outbound HTTP (chat_notify's webhook) require ``stub_outbound``. A target without a
workflow worker (a ``url`` target without ``--wf-workflow-url``) skips every check, saying so.

=========================================  ===========  ======================================================
check                                      level        rule
=========================================  ===========  ======================================================
``handlers.fixture``                       required     each required handler fixture (``fixtures/handlers``,
                                                        plus ``--wf-fixtures DIR/handlers``) holds: output or
                                                        error contract, and the outbound calls made
``handlers.fixture-recommended``           recommended  the same for fixtures of level ``recommended``
``handlers.dispatch-unsupported-kind``     required     a kind other than the two: ``Unsupported task kind "K"``
``handlers.dispatch-missing-route-path``   required     ``http_route task missing routePath``
``handlers.dispatch-unknown-route``        required     ``No HTTP handler registered for route "R"``
``handlers.dispatch-missing-schedule-id``  required     ``scheduled_job task missing scheduleId``
``handlers.dispatch-unknown-schedule``     required     ``No cron handler registered for schedule "S"``
``handlers.error-contract``                required     a failing task answers 500 JSON ``{"error":"handler_error",
                                                        "message":M,"details":null}``, exactly those keys
``handlers.chat-notify-requires-webhook``  required     no webhook *string* (a number passes configuration
                                                        validation): ``CHAT_WEBHOOK_URL is required``
``handlers.cleanup-requires-secret``       required     no secret *string*: ``CLEANUP_SIGNING_SECRET is required``
``handlers.heartbeat-defaults``            required     no target / scheduledTime: the default target, now
``handlers.smoke-every-handler``           required     every built-in route and schedule has a handler that
                                                        answers 200 (secrets set, outbound answered 200)
``handlers.webhook-echo-property``         required     property: ``received`` is ``unwrapBody(payload)``
``handlers.lead-normalizer-property``      required     property: every field rule of spec 7.3
``handlers.cleanup-options-property``      required     property: ``dryRun`` and ``retentionDays`` (JS Number)
=========================================  ===========  ======================================================

**Fixtures** (schema ``handler-fixture``): ``task`` selects the handler, ``payload`` and ``traceId`` go into the
task, ``env`` is the workflow env for the fixture and ``outbound`` the stubbed answers. ``env`` absent: the
target's env as it is. ``env`` present: the listed variables are set and the other handler variables
(:data:`HANDLER_VARS`) unset, which requires ``set_env``; except that an ``env`` naming only configuration
keys whose value no handler reads (:data:`CONFIG_ONLY_VARS`) also runs on a target without ``set_env``, which
is then trusted to be configured (the fixture skips, quoting the workflow, when it is not). A fixture with
``outbound`` stubs or expected outbound calls requires ``stub_outbound``; on a target that has it every
fixture runs under stubs, so nothing reaches the network and ``outboundCalls: []`` is checked too. Expected
outputs are subset matches for objects (recursively), exact for anything else; ``true`` never equals ``1``.

Property checks run few Hypothesis examples with no deadline (the seed follows the active profile) and pin the
cases that matter most with ``@example``. Each check uses fresh trace ids (fixtures keep theirs: chat_notify's
message carries it).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workerflow_kit.contracts.models import builtin_routes, builtin_schedules
from workerflow_kit.jscompat.dates import to_iso_string
from workerflow_kit.jscompat.strings import js_trim
from workerflow_kit.strategies import json_payloads
from workerflow_kit.suites.checks import CheckContext, check, json_equal, subset_mismatches
from workerflow_kit.suites.fixtures import Fixture, load_fixtures
from workerflow_kit.targets.base import Capability, MissingCapability, OutboundRecorder, Target

SET_ENV = Capability.SET_ENV
STUB = Capability.STUB_OUTBOUND

WEBHOOK_VARS: Final = ("CHAT_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK")
CONFIG_ONLY_VARS: Final = frozenset({"GOOGLEAI_API_KEY", "LEAD_NORMALIZER_API_KEY", "CLEANUP_SIGNING_SECRET"})
"""Variables the workflow's configuration check demands but whose value no v0.1 handler output depends on."""
HANDLER_VARS: Final = (*WEBHOOK_VARS, "GOOGLEAI_API_KEY", "LEAD_NORMALIZER_API_KEY", "CLEANUP_SIGNING_SECRET")
"""Every variable a v0.1 handler or its configuration check reads (spec 6.3, 7)."""

MISSING_CONFIG: Final = "missing required configuration"
JSON_CONTENT_TYPE: Final = "application/json; charset=utf-8"
SMOKE_WEBHOOK: Final = "https://smoke.chat.example/hook"
SMOKE_DEADLINE_S: Final = 10.0
HEARTBEAT_DEFAULT_TARGET: Final = "f/examples/heartbeat_hourly"

PROPERTY_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
"""No deadline; the number of examples and the seed (derandomized or not) are the active profile's. The faults
that matter most are pinned with ``@example`` and checked on every run."""


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------


def new_trace(target: Target) -> str:
    """A trace id no other request used, with the run's prefix (so operators can find what a run sent)."""
    return target.new_trace_id("handlers")


def now_iso() -> str:
    return to_iso_string(datetime.now(UTC))


def route_task(route: str, payload: Any, trace: str) -> dict[str, Any]:
    return {"kind": "http_route", "traceId": trace, "routePath": route, "payload": payload, "enqueuedAt": now_iso()}


def schedule_task(schedule: str, payload: Any, trace: str) -> dict[str, Any]:
    return {
        "kind": "scheduled_job",
        "traceId": trace,
        "scheduleId": schedule,
        "payload": payload,
        "enqueuedAt": now_iso(),
    }


def workflow_client(target: Target) -> httpx.Client:
    """The target's workflow client; the test skips when the target does not reach a workflow worker."""
    if not target.has_worker("workflow"):
        pytest.skip(f"target '{target.name}' reaches no workflow worker (give its URL with --wf-workflow-url)")
    return target.workflow


def run_sync(target: Target, task: object) -> httpx.Response:
    return workflow_client(target).post("/run-sync", json=task)


def skip_unless(target: Target, *capabilities: Capability) -> None:
    lacking = target.missing(*capabilities)
    if lacking:
        pytest.skip(str(MissingCapability(lacking[0], target.name)))


def workflow_env(target: Target, values: Mapping[str, object | None]) -> AbstractContextManager[None]:
    """Set (``None``: remove) variables of the workflow's env for the block, then put the old values back."""
    return target.env_changed("workflow", values)


def only(values: Mapping[str, object]) -> dict[str, object | None]:
    """``values`` set, every other handler variable unset."""
    return {**dict.fromkeys(HANDLER_VARS), **values}


def skip_if_unconfigured(wf_check: CheckContext, response: httpx.Response) -> None:
    """Skip when the target's workflow refuses the task for missing configuration it was trusted to have."""
    if response.status_code == 500:
        body = wf_check.json(response)
        if isinstance(body, dict) and body.get("error") == MISSING_CONFIG:
            pytest.skip(f"the target's workflow is not configured for this task: {body.get('details')!r}")


@contextmanager
def configured(target: Target, values: Mapping[str, object | None]) -> Iterator[bool]:
    """Configuration-only variables for the block: set with ``set_env`` when the target can (yields True);
    otherwise the target is trusted to be configured (yields False; see :func:`skip_if_unconfigured`)."""
    if not target.has(SET_ENV):
        yield False
        return
    with workflow_env(target, values):
        yield True


def expect_handler_error(wf_check: CheckContext, response: httpx.Response, message: str) -> None:
    """A 500 ``handler_error`` whose message is exactly ``message`` (the rest of the body is not looked at)."""
    wf_check.expect_status(response, 500)
    body = wf_check.json(response)
    wf_check.expect(isinstance(body, dict), f"the error body is not an object: {wf_check.show(response)}")
    wf_check.expect_equal(body.get("error"), "handler_error", f"error code of {wf_check.show(response)}")
    wf_check.expect_equal(body.get("message"), message, "error message")


def expect_result(wf_check: CheckContext, response: httpx.Response, expected: Mapping[str, Any]) -> dict[str, Any]:
    """A 200 whose JSON body holds every field of ``expected``; returns the body."""
    wf_check.expect_status(response, 200)
    body = wf_check.json(response)
    problems = subset_mismatches(body, dict(expected))
    if problems:
        wf_check.fail(f"handler output differs: {'; '.join(problems)} (output {body!r})")
    result: dict[str, Any] = body
    return result


# ---------------------------------------------------------------------------------------------------------
# Fixture-driven checks
# ---------------------------------------------------------------------------------------------------------

_FIXTURE_ARGS: Final = {"handler_fixture": "required", "recommended_handler_fixture": "recommended"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for argname, level in _FIXTURE_ARGS.items():
        if argname in metafunc.fixturenames:
            extra = metafunc.config.getoption("wf_fixtures", default=[]) or []
            chosen = [fixture for fixture in load_fixtures("handler", extra) if fixture.level == level]
            metafunc.parametrize(argname, [pytest.param(fixture, id=fixture.id) for fixture in chosen])


def fixture_needs(data: Mapping[str, Any]) -> list[Capability]:
    """The capabilities a fixture needs (see the module notes)."""
    needs: list[Capability] = []
    env = data.get("env")
    if env is not None and (not env or not set(env) <= CONFIG_ONLY_VARS):
        needs.append(SET_ENV)
    expect = data.get("expect", {})
    if data.get("outbound") or expect.get("outboundCalls"):
        needs.append(STUB)
    return needs


def fixture_task(data: Mapping[str, Any]) -> dict[str, Any]:
    selector = data["task"]
    if selector["kind"] == "http_route":
        return route_task(selector["routePath"], data["payload"], data["traceId"])
    return schedule_task(selector["scheduleId"], data["payload"], data["traceId"])


def fixture_env(target: Target, env: Mapping[str, str] | None) -> AbstractContextManager[Any]:
    if env is None or not target.has(SET_ENV):
        return nullcontext()
    return workflow_env(target, only(env))


def fixture_outbound(target: Target, stubs: Sequence[Mapping[str, Any]]) -> AbstractContextManager[Any]:
    if not target.has(STUB):
        return nullcontext()
    return target.stub_outbound(stubs)


def expect_outcome(wf_check: CheckContext, response: httpx.Response, expect: Mapping[str, Any]) -> None:
    if "output" in expect:
        wf_check.expect_status(response, 200)
        output = wf_check.json(response)
        problems = subset_mismatches(output, expect["output"])
        if problems:
            wf_check.fail(f"handler output differs: {'; '.join(problems)} (output {output!r})")
        return
    error = expect["error"]
    if "status" in error:
        wf_check.expect_status(response, error["status"])
    body = wf_check.json(response)
    wf_check.expect(isinstance(body, dict), f"the error body is not an object: {wf_check.show(response)}")
    if "error" in error:
        wf_check.expect_equal(body.get("error"), error["error"], f"error code of {wf_check.show(response)}")
    if "message" in error:
        wf_check.expect_equal(body.get("message"), error["message"], "error message")
    if "messageContains" in error:
        message = body.get("message")
        wf_check.expect(
            isinstance(message, str) and error["messageContains"] in message,
            f"error message {message!r} does not contain {error['messageContains']!r}",
        )


def same_url(actual: str, expected: str) -> bool:
    try:
        return httpx.URL(actual) == httpx.URL(expected)
    except httpx.InvalidURL:
        return actual == expected


def expect_calls(wf_check: CheckContext, recorder: OutboundRecorder, expected: Sequence[Mapping[str, Any]]) -> None:
    made = [f"{call.method} {call.url} {call.text!r}" for call in recorder.calls]
    wf_check.expect_equal(len(recorder.calls), len(expected), f"number of outbound calls (made: {made})")
    for index, (call, wanted) in enumerate(zip(recorder.calls, expected, strict=True)):
        what = f"outbound call #{index + 1} ({call.method} {call.url})"
        if "method" in wanted:
            wf_check.expect_equal(call.method, wanted["method"], f"{what}: method")
        wf_check.expect(same_url(call.url, wanted["url"]), f"{what}: expected URL {wanted['url']!r}")
        if "jsonFields" in wanted:
            problems = subset_mismatches(call.json, wanted["jsonFields"])
            if problems:
                wf_check.fail(f"{what}: JSON body differs: {'; '.join(problems)} (body {call.text!r})")
        for key, part in wanted.get("jsonFieldsContain", {}).items():
            value = call.json.get(key) if isinstance(call.json, dict) else None
            wf_check.expect(
                isinstance(value, str) and part in value,
                f"{what}: JSON field {key!r} should contain {part!r}, body {call.text!r}",
            )


def run_fixture(target: Target, wf_check: CheckContext, fixture: Fixture) -> None:
    data = fixture.data
    skip_unless(target, *fixture_needs(data))
    workflow_client(target)
    expect = data["expect"]
    with fixture_env(target, data.get("env")), fixture_outbound(target, data.get("outbound", [])) as recorder:
        response = run_sync(target, fixture_task(data))
        if recorder is not None and recorder.unmatched:
            calls = ", ".join(f"{call.method} {call.url}" for call in recorder.unmatched)
            wf_check.fail(f"fixture {fixture.id}: outbound call(s) no stub answered: {calls}")
        expected_error = expect.get("error", {}).get("error")
        if not target.has(SET_ENV) and expected_error != MISSING_CONFIG:
            skip_if_unconfigured(wf_check, response)
        expect_outcome(wf_check, response, expect)
        if recorder is not None and "outboundCalls" in expect:
            expect_calls(wf_check, recorder, expect["outboundCalls"])


@check("handlers.fixture", "required")
def test_fixture(wf_target: Target, wf_check: CheckContext, handler_fixture: Fixture) -> None:
    """Each required handler fixture: the task's output or error contract, and the outbound calls it makes."""
    run_fixture(wf_target, wf_check, handler_fixture)


@check("handlers.fixture-recommended", "recommended")
def test_fixture_recommended(wf_target: Target, wf_check: CheckContext, recommended_handler_fixture: Fixture) -> None:
    """Each recommended handler fixture (robustness beyond upstream), checked the same way."""
    run_fixture(wf_target, wf_check, recommended_handler_fixture)


# ---------------------------------------------------------------------------------------------------------
# Dispatch (spec 6.5) and the error contract (spec 2.5)
# ---------------------------------------------------------------------------------------------------------


@check("handlers.dispatch-unsupported-kind", "required")
def test_dispatch_unsupported_kind(wf_target: Target, wf_check: CheckContext) -> None:
    """A task kind other than http_route / scheduled_job fails: 'Unsupported task kind "<String(kind)>"'."""
    trace = new_trace(wf_target)
    cases: list[tuple[object, str]] = [
        ({"kind": "cron_job", "traceId": trace, "scheduleId": "heartbeat_hourly", "payload": {}}, "cron_job"),
        ({"kind": "HTTP_ROUTE", "traceId": trace, "routePath": "webhook_echo", "payload": {}}, "HTTP_ROUTE"),
        ({"traceId": trace, "routePath": "webhook_echo", "payload": {}}, "undefined"),
        ({"kind": None, "traceId": trace, "payload": {}}, "null"),
        ([{"kind": "http_route"}], "undefined"),
        ("http_route", "undefined"),
    ]
    for task, shown in cases:
        expect_handler_error(wf_check, run_sync(wf_target, task), f'Unsupported task kind "{shown}"')


@check("handlers.dispatch-missing-route-path", "required")
def test_dispatch_missing_route_path(wf_target: Target, wf_check: CheckContext) -> None:
    """An http_route task without a (truthy) routePath fails: 'http_route task missing routePath'."""
    for route in (None, "", 0):
        task = route_task("x", {"a": 1}, new_trace(wf_target))
        if route is None:
            del task["routePath"]
        else:
            task["routePath"] = route
        expect_handler_error(wf_check, run_sync(wf_target, task), "http_route task missing routePath")


@check("handlers.dispatch-unknown-route", "required")
def test_dispatch_unknown_route(wf_target: Target, wf_check: CheckContext) -> None:
    """A route without an HTTP handler fails: 'No HTTP handler registered for route "<routePath>"'."""
    for route in (f"wfk_no_handler_{uuid.uuid4().hex[:12]}", "Webhook_Echo", "webhook_echo "):
        response = run_sync(wf_target, route_task(route, {}, new_trace(wf_target)))
        expect_handler_error(wf_check, response, f'No HTTP handler registered for route "{route}"')


@check("handlers.dispatch-missing-schedule-id", "required")
def test_dispatch_missing_schedule_id(wf_target: Target, wf_check: CheckContext) -> None:
    """A scheduled_job task without a (truthy) scheduleId fails: 'scheduled_job task missing scheduleId'."""
    for schedule in (None, "", False):
        task = schedule_task("x", {}, new_trace(wf_target))
        if schedule is None:
            del task["scheduleId"]
        else:
            task["scheduleId"] = schedule
        expect_handler_error(wf_check, run_sync(wf_target, task), "scheduled_job task missing scheduleId")


@check("handlers.dispatch-unknown-schedule", "required")
def test_dispatch_unknown_schedule(wf_target: Target, wf_check: CheckContext) -> None:
    """A schedule without a cron handler fails: 'No cron handler registered for schedule "<scheduleId>"'."""
    for schedule in (f"wfk_no_handler_{uuid.uuid4().hex[:12]}", "lead_normalizer", "HEARTBEAT_HOURLY"):
        response = run_sync(wf_target, schedule_task(schedule, {}, new_trace(wf_target)))
        expect_handler_error(wf_check, response, f'No cron handler registered for schedule "{schedule}"')


@check("handlers.error-contract", "required")
def test_error_contract(wf_target: Target, wf_check: CheckContext) -> None:
    """A task that fails answers 500 JSON {"error":"handler_error","message":M,"details":null}, nothing more."""
    trace = new_trace(wf_target)
    for task in (
        route_task(f"wfk_no_handler_{uuid.uuid4().hex[:12]}", {}, trace),
        schedule_task(f"wfk_no_handler_{uuid.uuid4().hex[:12]}", {}, trace),
        {"kind": "elsewhere", "traceId": trace, "payload": {}},
        {"kind": "http_route", "traceId": trace, "payload": {}},
    ):
        response = run_sync(wf_target, task)
        wf_check.expect_status(response, 500)
        wf_check.expect_equal(response.headers.get("content-type"), JSON_CONTENT_TYPE, "content-type")
        body = wf_check.json(response)
        wf_check.expect(isinstance(body, dict), f"the error body is not an object: {wf_check.show(response)}")
        wf_check.expect_equal(list(body), ["error", "message", "details"], "error body keys (and their order)")
        wf_check.expect_equal(body["error"], "handler_error", "error")
        wf_check.expect(isinstance(body["message"], str) and body["message"], f"message is not a text: {body!r}")
        wf_check.expect(body["details"] is None, f"details is not null: {body!r}")


# ---------------------------------------------------------------------------------------------------------
# Handler rules a fixture cannot express
# ---------------------------------------------------------------------------------------------------------


@check("handlers.chat-notify-requires-webhook", "required", requires=[SET_ENV, STUB])
def test_chat_notify_requires_webhook(wf_target: Target, wf_check: CheckContext) -> None:
    """A webhook variable that is not a string (a number var) passes the configuration check but not the
    handler: 500 'CHAT_WEBHOOK_URL is required', and nothing is posted."""
    for name in WEBHOOK_VARS:
        with workflow_env(wf_target, only({name: 8443})), wf_target.stub_outbound([]) as recorder:
            response = run_sync(wf_target, route_task("chat_notify", {"body": {"text": "hi"}}, new_trace(wf_target)))
            wf_check.expect_equal(recorder.calls, [], f"outbound calls with only {name}=8443")
        expect_handler_error(wf_check, response, "CHAT_WEBHOOK_URL is required")


@check("handlers.cleanup-requires-secret", "required", requires=[SET_ENV])
def test_cleanup_requires_secret(wf_target: Target, wf_check: CheckContext) -> None:
    """A CLEANUP_SIGNING_SECRET that is not a string passes the configuration check but not the handler:
    500 'CLEANUP_SIGNING_SECRET is required'."""
    for value in (12345, True):
        with workflow_env(wf_target, only({"CLEANUP_SIGNING_SECRET": value})):
            response = run_sync(wf_target, schedule_task("cleanup_daily", {"dryRun": True}, new_trace(wf_target)))
        expect_handler_error(wf_check, response, "CLEANUP_SIGNING_SECRET is required")


@check("handlers.heartbeat-defaults", "required")
def test_heartbeat_defaults(wf_target: Target, wf_check: CheckContext) -> None:
    """Without a string target / scheduledTime, heartbeat_hourly reports f/examples/heartbeat_hourly and now."""
    for payload in ({}, None, {"target": None, "scheduledTime": 1772280000000}, ["f/x"]):
        response = run_sync(wf_target, schedule_task("heartbeat_hourly", payload, new_trace(wf_target)))
        body = expect_result(wf_check, response, {"ok": True, "schedule": "heartbeat_hourly"})
        wf_check.expect_equal(body.get("target"), HEARTBEAT_DEFAULT_TARGET, f"default target for {payload!r}")
        scheduled, processed = body.get("scheduledTime"), body.get("processedAt")
        for what, value in (("scheduledTime", scheduled), ("processedAt", processed)):
            wf_check.expect(
                isinstance(value, str) and len(value) == 24 and value.endswith("Z"),
                f"{what} is not an ISO instant (toISOString): {value!r}",
            )
        wf_check.expect(
            str(scheduled) <= str(processed), f"the default scheduledTime {scheduled} is after processedAt {processed}"
        )


def builtin_tasks(target: Target) -> list[dict[str, Any]]:
    """One task per built-in route and schedule, shaped as the api and the scheduler would shape them."""
    tasks: list[dict[str, Any]] = []
    for route in builtin_routes():
        body = {"text": "smoke", "firstName": "Ava", "lastName": "Ng", "email": "ava@example.com"}
        tasks.append(route_task(route.routePath, {"body": body} if route.wrapBody else body, new_trace(target)))
    for schedule in builtin_schedules():
        payload = {
            "target": schedule.target,
            "cron": schedule.cron,
            "timeZone": schedule.timeZone,
            "scheduledTime": now_iso(),
            "trigger": "manual_api",
        }
        tasks.append(schedule_task(schedule.id, payload, new_trace(target)))
    return tasks


@check("handlers.smoke-every-handler", "required", requires=[SET_ENV, STUB])
def test_smoke_every_handler(wf_target: Target, wf_check: CheckContext) -> None:
    """Every built-in route and schedule has a handler that answers 200 {"ok":true,...} within 10 s, with the
    secrets set and every outbound call answered 200 (upstream's smoke_workflow_handlers)."""
    secrets = {
        "GOOGLEAI_API_KEY": "smoke-key",
        "CHAT_WEBHOOK_URL": SMOKE_WEBHOOK,
        "CLEANUP_SIGNING_SECRET": "smoke-secret",
    }
    with workflow_env(wf_target, only(secrets)), wf_target.stub_outbound([{"url": SMOKE_WEBHOOK}]) as recorder:
        for task in builtin_tasks(wf_target):
            name = task.get("routePath") or task.get("scheduleId")
            started = time.monotonic()
            response = run_sync(wf_target, task)
            elapsed = time.monotonic() - started
            wf_check.expect_status(response, 200)
            body = wf_check.json(response)
            wf_check.expect(
                isinstance(body, dict) and body.get("ok") is True, f"{name}: not ok: {wf_check.show(response)}"
            )
            wf_check.expect(elapsed <= SMOKE_DEADLINE_S, f"{name} took {elapsed:.1f} s (limit {SMOKE_DEADLINE_S} s)")
        wf_check.expect_equal(recorder.unmatched, [], "outbound calls no stub answered")


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------


def unwrap_body(value: Any) -> Any:
    """Spec 7 preamble: ``x.body`` when ``x`` is an object with a ``body`` key, else ``x``."""
    return value["body"] if isinstance(value, dict) and "body" in value else value


_echo_payloads = st.one_of(
    json_payloads(max_leaves=8),
    st.builds(
        lambda body, rest: {**rest, "body": body},
        json_payloads(max_leaves=4),
        st.dictionaries(st.text(max_size=4), st.integers(-(2**53), 2**53), max_size=3),
    ),
)


@check("handlers.webhook-echo-property", "required")
@PROPERTY_SETTINGS
@given(payload=_echo_payloads)
@example(payload={"body": 5, "x": 1})
@example(payload="a text body")
def test_webhook_echo_property(wf_target: Target, wf_check: CheckContext, payload: Any) -> None:
    """For any JSON payload, webhook_echo answers {"ok":true,"route":"webhook_echo","received":unwrapBody(payload)}."""
    response = run_sync(wf_target, route_task("webhook_echo", payload, new_trace(wf_target)))
    wf_check.expect_status(response, 200)
    body = wf_check.json(response)
    expected = {"ok": True, "route": "webhook_echo", "received": unwrap_body(payload)}
    wf_check.expect(json_equal(body, expected), f"for payload {payload!r}: expected {expected!r}, got {body!r}")


_LEAD_TEXT = st.text(alphabet=st.sampled_from("Aa Zz09+()-.@_\t\u00a0\u2028\ufeff\u0661"), max_size=12)
_LEAD_VALUE = st.one_of(_LEAD_TEXT, _LEAD_TEXT, st.none(), st.integers(-5, 5), st.booleans(), st.just(["x"]))
_LEAD_FIELDS = ("fullName", "firstName", "lastName", "email", "phone", "source")


def lead_oracle(record: Any) -> dict[str, str]:
    """Spec 7.3, written from the spec: the normalized lead for an (unwrapped) payload."""
    view = record if isinstance(record, dict) else {}

    def field(key: str) -> str:
        value = view.get(key)
        return js_trim(value) if isinstance(value, str) else ""

    joined = " ".join(part for part in (field("firstName"), field("lastName")) if part)
    return {
        "fullName": field("fullName") or joined or "Unknown",
        "email": field("email").lower() or "unknown@example.com",
        "phone": "".join(ch for ch in field("phone") if ch in "0123456789+"),
        "source": field("source") or "unspecified",
    }


@check("handlers.lead-normalizer-property", "required")
@PROPERTY_SETTINGS
@given(lead=st.fixed_dictionaries({}, optional=dict.fromkeys(_LEAD_FIELDS, _LEAD_VALUE)))
@example(lead={"firstName": "Ava", "lastName": "Ng", "email": "AVA@Example.COM", "phone": "(555) 111-2222"})
def test_lead_normalizer_property(wf_target: Target, wf_check: CheckContext, lead: dict[str, Any]) -> None:
    """For any lead record (wrapped in {"body": ...}), lead_normalizer applies every field rule of spec 7.3."""
    with configured(wf_target, only({"GOOGLEAI_API_KEY": "wfk-placeholder-key"})) as set_here:
        response = run_sync(wf_target, route_task("lead_normalizer", {"body": lead}, new_trace(wf_target)))
    if not set_here:
        skip_if_unconfigured(wf_check, response)
    wf_check.expect_status(response, 200)
    body = wf_check.json(response)
    expected = {"ok": True, "route": "lead_normalizer", "normalized": lead_oracle(lead)}
    wf_check.expect(json_equal(body, expected), f"for lead {lead!r}: expected {expected!r}, got {body!r}")


_DECIMAL = st.from_regex(r"\A-?[0-9]{1,4}(\.[0-9]{1,3})?\Z")
_RETENTION: st.SearchStrategy[Any] = st.one_of(
    st.integers(-40, 400),
    st.floats(-50, 50, allow_nan=False),
    st.builds(
        lambda pad, text, end: pad + text + end,
        st.sampled_from(["", " ", "\t"]),
        _DECIMAL,
        st.sampled_from(["", " ", "\n"]),
    ),
    st.sampled_from([True, False, None, "", " ", "abc", "7d", [], [5], ["8"], [1, 2], {}]),
    st.lists(st.integers(-3, 60), min_size=1, max_size=1),
)
_ABSENT: Final = object()


def js_number(value: Any) -> float:
    """JS ``Number(value)`` for the values the strategy draws."""
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip(" \t\n")
        if not text:
            return 0.0
        try:
            return float(text) if all(ch in "-.0123456789" for ch in text) else math.nan
        except ValueError:
            return math.nan
    if isinstance(value, list):
        if not value:
            return 0.0
        return js_number(str(value[0])) if len(value) == 1 else math.nan
    return math.nan


def retention_oracle(value: Any) -> int:
    """Spec 7.5: ``Number(retentionDays)`` floored when finite and > 0, else 30."""
    if value is _ABSENT:
        return 30
    number = js_number(value)
    return math.floor(number) if math.isfinite(number) and number > 0 else 30


@check("handlers.cleanup-options-property", "required")
@PROPERTY_SETTINGS
@given(
    retention=st.one_of(st.just(_ABSENT), _RETENTION),
    dry_run=st.sampled_from([_ABSENT, True, False, "true", 1, 0, None]),
)
@example(retention=0.5, dry_run=True)
@example(retention="7", dry_run="true")
def test_cleanup_options_property(wf_target: Target, wf_check: CheckContext, retention: Any, dry_run: Any) -> None:
    """For any options, cleanup_daily answers dryRun (true only for true) and retentionDays (JS Number rules)."""
    payload: dict[str, Any] = {"target": "f/examples/cleanup_daily", "cron": "0 3 * * *", "timeZone": "UTC"}
    if retention is not _ABSENT:
        payload["retentionDays"] = retention
    if dry_run is not _ABSENT:
        payload["dryRun"] = dry_run
    with configured(wf_target, only({"CLEANUP_SIGNING_SECRET": "wfk-placeholder-secret"})) as set_here:
        response = run_sync(wf_target, schedule_task("cleanup_daily", payload, new_trace(wf_target)))
    if not set_here:
        skip_if_unconfigured(wf_check, response)
    wf_check.expect_status(response, 200)
    body = wf_check.json(response)
    expected = {
        "ok": True,
        "schedule": "cleanup_daily",
        "dryRun": dry_run is True,
        "retentionDays": retention_oracle(retention),
    }
    wf_check.expect(json_equal(body, expected), f"for options {payload!r}: expected {expected!r}, got {body!r}")
