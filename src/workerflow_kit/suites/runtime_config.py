"""Runtime configuration checks: the workflow's config validation, route gating and replay enablement.

Spec sections 3.4 (gating), 3.5 (replay enablement), 6.2 ``/health/config``, 6.3 (validation rules), 6.4 step 2
(the config error of ``/run-*``) and 9.5 (ops secrets-health, retry 409 reasons), against any target.

=================================================  ===========  ==========================================
check                                              level        rule
=================================================  ===========  ==========================================
``runtime-config.health-config-shape``             required     workflow ``/health/config`` (any method) is
                                                                200 ``{ok, env, worker, manifestMode,
                                                                errors}``, ``ok`` = no errors
``runtime-config.health-config-errors``            required     fixtures, scope ``manifest``: the exact
                                                                errors (gated-on routes, then enabled
                                                                schedules) under the fixture's env
``runtime-config.run-config-errors``               required     fixtures, scope ``task``: ``/run-sync`` is
                                                                the 500 ``missing required configuration``
                                                                body exactly when errors are expected
``runtime-config.gating-gated-route-is-unknown``   required     a route gated off (entries trimmed, empty
                                                                entries and lists ignored) answers as an
                                                                unknown route
``runtime-config.gating-disabled-wins``            required     a route in both gating sets is gated off
``runtime-config.gating-case-sensitive``           required     gating entries match route paths exactly
``runtime-config.gating-property``                 required     Hypothesis: for any gating env, a route is
                                                                served iff spec 3.4 enables it
``runtime-config.retry-gated-route-409``           required     ops retry of a dead letter whose route is
                                                                gated off: 409 ``route "<r>" is disabled``
``runtime-config.retry-unregistered-route-409``    required     ... whose route the ops manifest lacks: 409
                                                                ``route "<r>" is not registered``
``runtime-config.retry-schedule-not-enabled-409``  required     ... whose schedule is missing or disabled:
                                                                409 ``schedule "<s>" is not enabled``
``runtime-config.retry-enabled-202``               required     ... whose route is enabled: 202, a new
                                                                trace id
``runtime-config.secrets-health-agrees``           required     ops ``/api/secrets-health`` reports what
                                                                the workflow's ``/health/config`` reports
=================================================  ===========  ==========================================

The suite's ids start with ``runtime-config.`` (check ids are lowercase words joined by ``-``).

Every check that changes a worker's env needs ``set_env`` and puts each variable back afterwards; the gating
checks also need ``writes_allowed`` (one request stores a trace id), the retry checks ``drain_queue`` too (a
dead letter is produced by sending ``chat_notify`` while the workflow has no chat webhook, then draining).

Fixtures live in ``fixtures/runtime-config/`` (schema ``runtime-config-fixture``); ``--wf-fixtures DIR`` adds
a folder of your own. A fixture's ``env`` is the whole configuration the check sees: every variable the rules
read (the six secrets of spec 6.3, the gating and manifest variables) is unset unless the fixture names it.
Task fixtures run the task through ``/run-sync``, so a task whose configuration is complete really runs its
handler: give placeholder values that are not URLs, and no webhook is called.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workerflow_kit.jscompat.dates import to_iso_string
from workerflow_kit.jscompat.strings import js_lower, js_trim
from workerflow_kit.strategies import GatingCase, gating_env
from workerflow_kit.suites.checks import CheckContext, check
from workerflow_kit.suites.fixtures import Fixture, load_fixtures
from workerflow_kit.targets.base import Capability, Target

SET_ENV = Capability.SET_ENV
WRITES = Capability.WRITES_ALLOWED
DRAIN = Capability.DRAIN_QUEUE

ENABLED_VAR: Final = "ENABLED_HTTP_ROUTES"
DISABLED_VAR: Final = "DISABLED_HTTP_ROUTES"
MANIFEST_VARS: Final = ("MANIFEST_MODE", "ROUTES_CONFIG_JSON", "SCHEDULES_CONFIG_JSON")
CHAT_VARS: Final = ("CHAT_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK")
GOOGLE_AI_VARS: Final = ("GOOGLEAI_API_KEY", "LEAD_NORMALIZER_API_KEY")
CLEANUP_VARS: Final = ("CLEANUP_SIGNING_SECRET",)
SECRET_VARS: Final = (*CHAT_VARS, *GOOGLE_AI_VARS, *CLEANUP_VARS)
CONFIG_VARS: Final = (*SECRET_VARS, ENABLED_VAR, DISABLED_VAR, *MANIFEST_VARS)
"""Every variable the configuration rules read; a fixture's env leaves the ones it does not name unset."""

ROUTES: Final = ("webhook_echo", "chat_notify", "lead_normalizer")
"""The built-in routes, in manifest order (spec 2.7)."""
GATED_ROUTE: Final = "chat_notify"
CONFIG_ERROR: Final = "missing required configuration"
FIXTURE_KIND: Final = "runtime-config"

CHAT_ERROR: Final = (
    'route "chat_notify": missing chat webhook URL. '
    "Checked: CHAT_WEBHOOK_URL, GCHAT_ALERTS_WEBHOOK_URL, GCHAT_ALERTS_WEBHOOK"
)
CLEANUP_ERROR: Final = 'schedule "cleanup_daily": missing cleanup signing secret. Checked: CLEANUP_SIGNING_SECRET'
PLACEHOLDER: Final = "wfk-placeholder-not-a-url"


def new_trace(target: Target) -> str:
    """A trace id no other request used, with the run's prefix (so operators can find what a run sent)."""
    return target.new_trace_id("runtime-config")


def now_iso() -> str:
    return to_iso_string(datetime.now(UTC))


def only(env: Mapping[str, str]) -> dict[str, object | None]:
    """``env`` as the whole configuration: every variable of :data:`CONFIG_VARS` it does not name is unset."""
    changes: dict[str, object | None] = dict.fromkeys(CONFIG_VARS)
    changes.update(env)
    return changes


def expect_config_errors(wf_check: CheckContext, errors: list[str], expect: Mapping[str, Any], what: str) -> None:
    """``errors`` against a fixture's ``expect`` (exact list, substrings some error has, or none may have)."""
    if "errors" in expect:
        wf_check.expect_equal(errors, list(expect["errors"]), what)
    for needle in expect.get("errorsContain", []):
        wf_check.expect(any(needle in error for error in errors), f"{what}: no error contains {needle!r}: {errors!r}")
    for needle in expect.get("noErrorsMentioning", []):
        hits = [error for error in errors if needle in error]
        wf_check.expect(not hits, f"{what}: errors mention {needle!r}: {hits!r}")


def expects_errors(expect: Mapping[str, Any]) -> bool | None:
    """Whether the fixture says some error exists (True), none does (False), or leaves it open (None)."""
    if "errors" in expect:
        return bool(expect["errors"])
    if "errorsContain" in expect:
        return True
    return None


# ---------------------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------------------


def fixture_scope(fixture: Fixture) -> str:
    """``task`` or ``manifest``: the fixture's ``scope``, else ``task`` when it names a task."""
    scope = fixture.data.get("scope")
    if isinstance(scope, str):
        return scope
    return "task" if "task" in fixture.data else "manifest"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for argname, scope in (("manifest_fixture", "manifest"), ("task_fixture", "task")):
        if argname in metafunc.fixturenames:
            extra = metafunc.config.getoption("wf_fixtures", default=[]) or []
            chosen = [f for f in load_fixtures(FIXTURE_KIND, extra) if fixture_scope(f) == scope]
            metafunc.parametrize(argname, [pytest.param(f, id=f.id) for f in chosen])


# ---------------------------------------------------------------------------------------------------------
# /health/config
# ---------------------------------------------------------------------------------------------------------


def health_config(wf_check: CheckContext, target: Target, method: str = "GET") -> dict[str, Any]:
    """The workflow's ``/health/config`` body, after checking it is a 200 JSON object."""
    response = target.workflow.request(method, "/health/config")
    wf_check.expect_status(response, 200)
    body = wf_check.json(response)
    wf_check.expect(isinstance(body, dict), f"/health/config is not a JSON object: {wf_check.show(response)}")
    errors = body.get("errors")
    wf_check.expect(
        isinstance(errors, list) and all(isinstance(e, str) for e in errors),
        f"/health/config 'errors' is not a list of strings: {wf_check.show(response)}",
    )
    wf_check.expect_equal(body.get("ok"), not errors, f"/health/config 'ok' (errors: {errors!r})")
    return dict(body)


def expected_mode(env: Mapping[str, object]) -> str:
    """Spec 3.1: ``MANIFEST_MODE`` trimmed and lowercased equal to ``config`` selects config mode."""
    mode = env.get("MANIFEST_MODE")
    return "config" if isinstance(mode, str) and js_lower(js_trim(mode)) == "config" else "legacy"


@check("runtime-config.health-config-shape", "required")
def test_health_config_shape(wf_target: Target, wf_check: CheckContext) -> None:
    """GET/POST /health/config answer 200 {ok, env, worker:"workflow", manifestMode, errors}, ok = no errors.

    Always 200, even when ``ok`` is false: with ``set_env`` the check also runs under a minimal configuration
    (errors expected) and a complete one (none expected); otherwise under the target's configuration.
    """
    envs: list[tuple[str, dict[str, object | None] | None]] = [("the target's configuration", None)]
    if wf_target.has(SET_ENV):
        full = {CHAT_VARS[0]: PLACEHOLDER, GOOGLE_AI_VARS[0]: PLACEHOLDER, CLEANUP_VARS[0]: PLACEHOLDER}
        envs += [("a minimal configuration", only({})), ("a complete configuration", only(full))]
    for label, changes in envs:
        with wf_target.env_changed("workflow", changes or {}):
            for method in ("GET", "POST"):
                body = health_config(wf_check, wf_target, method)
                keys = [key for key in ("ok", "env", "worker", "manifestMode", "errors") if key in body]
                wf_check.expect_equal(list(body), keys, f"{method} /health/config keys under {label}")
                wf_check.expect_equal(body.get("worker"), "workflow", f"{method} /health/config 'worker'")
                wf_check.expect(
                    body.get("manifestMode") in ("legacy", "config"),
                    f"{method} /health/config 'manifestMode' under {label}: {body.get('manifestMode')!r}",
                )
                if changes is not None:
                    wf_check.expect_equal(body["ok"], label == "a complete configuration", f"'ok' under {label}")


@check("runtime-config.health-config-errors", "required", requires=[SET_ENV])
def test_health_config_errors(wf_target: Target, wf_check: CheckContext, manifest_fixture: Fixture) -> None:
    """Under a fixture's env, /health/config lists exactly its errors: gated-on routes, then enabled schedules."""
    env = manifest_fixture.data["env"]
    what = f"/health/config errors for fixture {manifest_fixture.id!r}"
    with wf_target.env_changed("workflow", only(env)):
        body = health_config(wf_check, wf_target)
    wf_check.expect_equal(body.get("manifestMode"), expected_mode(env), f"{what}: manifestMode")
    expect_config_errors(wf_check, body["errors"], manifest_fixture.data["expect"], what)


# ---------------------------------------------------------------------------------------------------------
# /run-sync config errors
# ---------------------------------------------------------------------------------------------------------


def full_task(selector: Mapping[str, Any], trace: str) -> dict[str, Any]:
    """A queue task (spec 2.3) for a fixture's task selector, with a fresh trace id."""
    task: dict[str, Any] = {"kind": selector["kind"], "traceId": trace}
    if selector["kind"] == "http_route":
        task["routePath"] = selector.get("routePath", "")
        task["payload"] = {"body": {"text": "runtime_config suite"}}
    else:
        task["scheduleId"] = selector.get("scheduleId", "")
        task["payload"] = {"trigger": "manual_api"}
    task["enqueuedAt"] = now_iso()
    return task


def is_config_error(body: object) -> bool:
    return isinstance(body, dict) and body.get("error") == CONFIG_ERROR


@check("runtime-config.run-config-errors", "required", requires=[SET_ENV])
def test_run_config_errors(wf_target: Target, wf_check: CheckContext, task_fixture: Fixture) -> None:
    """POST /run-sync answers 500 {"error":"missing required configuration","traceId","details"} iff errors.

    When the fixture expects no error the handler runs and may fail for its own reasons; only the absence of
    the configuration error is checked then.
    """
    trace = new_trace(wf_target)
    task = full_task(task_fixture.data["task"], trace)
    expect = task_fixture.data["expect"]
    what = f"/run-sync config errors for fixture {task_fixture.id!r}"
    with wf_target.env_changed("workflow", only(task_fixture.data["env"])):
        response = wf_target.workflow.post("/run-sync", json=task)
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not is_config_error(body):
        wf_check.expect(
            expects_errors(expect) is not True, f"{what}: expected the configuration error: {wf_check.show(response)}"
        )
        return
    wf_check.expect(expects_errors(expect) is not False, f"{what}: unexpected configuration error: {body!r}")
    wf_check.expect_status(response, 500)
    wf_check.expect_equal(list(body), ["error", "traceId", "details"], f"{what}: keys (and their order)")
    wf_check.expect_equal(body["traceId"], trace, f"{what}: traceId (the task's)")
    details = body["details"]
    wf_check.expect(
        isinstance(details, list) and all(isinstance(d, str) for d in details) and details,
        f"{what}: 'details' is not a non-empty list of strings: {details!r}",
    )
    expect_config_errors(wf_check, details, expect, what)


# ---------------------------------------------------------------------------------------------------------
# Route gating through the api (spec 3.4, 4.1 steps 8-10)
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def seen_trace(wf_target: Target) -> str:
    """A trace id the api has stored: an enabled route answers it with the duplicate 202, never dispatching.

    A route gated off answers 404 before the duplicate check (spec 4.1 steps 9-10), so probing with this
    trace id tells the two apart without queueing anything more.
    """
    trace = new_trace(wf_target)
    with wf_target.env_changed("api", {ENABLED_VAR: None, DISABLED_VAR: None, **dict.fromkeys(MANIFEST_VARS)}):
        response = wf_target.api.post("/api/webhook_echo", json={"probe": "gating"}, headers={"x-trace-id": trace})
    if response.status_code != 202:
        pytest.fail(f"could not store a trace id for the gating probes: {response.status_code} {response.text!r}")
    return trace


def probe(target: Target, route: str, trace: str) -> httpx.Response:
    return target.api.post(f"/api/{route}", json={"probe": "gating"}, headers={"x-trace-id": trace})


def expect_gating(
    wf_check: CheckContext, target: Target, trace: str, env: Mapping[str, str], *, route: str, enabled: bool
) -> None:
    """Under the api gating ``env``, ``route`` is served (the duplicate 202) or answers like an unknown route."""
    changes: dict[str, object | None] = {ENABLED_VAR: None, DISABLED_VAR: None, **dict.fromkeys(MANIFEST_VARS)}
    changes.update(env)
    with target.env_changed("api", changes):
        response = probe(target, route, trace)
    where = f"POST /api/{route} with {dict(env)!r}"
    if enabled:
        wf_check.expect(
            response.status_code == 202 and wf_check.json(response).get("duplicate") is True,
            f"{where}: the route is enabled (spec 3.4) and should be served: {wf_check.show(response)}",
        )
    else:
        wf_check.expect(
            response.status_code == 404,
            f"{where}: the route is gated off and should answer 404: {wf_check.show(response)}",
        )
        unknown = {"error": "unknown route", "routePath": route}
        wf_check.expect_equal(wf_check.json(response), unknown, f"{where}: body (as for an unknown route)")


GATING_CASES: Final[tuple[tuple[dict[str, str], bool], ...]] = (
    ({ENABLED_VAR: "lead_normalizer,webhook_echo"}, False),
    ({ENABLED_VAR: " lead_normalizer , chat_notify\t"}, True),
    ({ENABLED_VAR: "chat_notify"}, True),
    ({DISABLED_VAR: "\tchat_notify ,,"}, False),
    ({DISABLED_VAR: "webhook_echo, lead_normalizer"}, True),
    ({ENABLED_VAR: " , ,", DISABLED_VAR: ""}, True),
    ({ENABLED_VAR: ",,", DISABLED_VAR: " chat_notify"}, False),
)
"""(api gating env, whether ``chat_notify`` is enabled): trimmed entries, empty entries and empty lists."""


@check("runtime-config.gating-gated-route-is-unknown", "required", requires=[SET_ENV, WRITES])
def test_gating_gated_route_is_unknown(wf_target: Target, wf_check: CheckContext, seen_trace: str) -> None:
    """A route gated off answers 404 {"error":"unknown route","routePath":R}; entries are trimmed, empties ignored."""
    for env, enabled in GATING_CASES:
        expect_gating(wf_check, wf_target, seen_trace, env, route=GATED_ROUTE, enabled=enabled)


@check("runtime-config.gating-disabled-wins", "required", requires=[SET_ENV, WRITES])
def test_gating_disabled_wins(wf_target: Target, wf_check: CheckContext, seen_trace: str) -> None:
    """A route in both ENABLED_HTTP_ROUTES and DISABLED_HTTP_ROUTES is gated off: the disabled set wins."""
    env = {ENABLED_VAR: "chat_notify,lead_normalizer", DISABLED_VAR: "chat_notify"}
    expect_gating(wf_check, wf_target, seen_trace, env, route="chat_notify", enabled=False)
    expect_gating(wf_check, wf_target, seen_trace, env, route="lead_normalizer", enabled=True)
    expect_gating(wf_check, wf_target, seen_trace, env, route="webhook_echo", enabled=False)


@check("runtime-config.gating-case-sensitive", "required", requires=[SET_ENV, WRITES])
def test_gating_case_sensitive(wf_target: Target, wf_check: CheckContext, seen_trace: str) -> None:
    """Gating entries match route paths exactly: CHAT_NOTIFY neither enables nor disables chat_notify."""
    expect_gating(wf_check, wf_target, seen_trace, {ENABLED_VAR: "CHAT_NOTIFY"}, route="chat_notify", enabled=False)
    expect_gating(
        wf_check, wf_target, seen_trace, {ENABLED_VAR: "Chat_Notify,webhook_echo"}, route="chat_notify", enabled=False
    )
    expect_gating(wf_check, wf_target, seen_trace, {DISABLED_VAR: "Chat_Notify"}, route="chat_notify", enabled=True)
    expect_gating(wf_check, wf_target, seen_trace, {ENABLED_VAR: "chat_notify"}, route="CHAT_NOTIFY", enabled=False)


def _case(enabled: str | None, disabled: str | None, on: set[str] | None, off: set[str] | None) -> GatingCase:
    env = {name: value for name, value in ((ENABLED_VAR, enabled), (DISABLED_VAR, disabled)) if value is not None}
    return GatingCase(env, None if on is None else frozenset(on), None if off is None else frozenset(off))


def _probe_names(case: GatingCase) -> list[str]:
    """The built-in routes plus the plain names the env mentions (names a URL path carries as they are)."""
    extra = [name for name in case.mentioned if name.isascii() and name.replace("_", "").isalnum()]
    return list(dict.fromkeys([*ROUTES, *extra]))


@check("runtime-config.gating-property", "required", requires=[SET_ENV, WRITES])
@settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=gating_env(route_paths=st.sampled_from(ROUTES)))
@example(
    case=_case(" chat_notify ,lead_normalizer", "chat_notify", {"chat_notify", "lead_normalizer"}, {"chat_notify"})
)
@example(
    case=_case("CHAT_NOTIFY,webhook_echo", "Lead_Normalizer", {"CHAT_NOTIFY", "webhook_echo"}, {"Lead_Normalizer"})
)
@example(case=_case(" , ", "\tchat_notify ,", None, {"chat_notify"}))
def test_gating_property(wf_target: Target, wf_check: CheckContext, seen_trace: str, case: GatingCase) -> None:
    """For any gating env, a built-in route is served iff spec 3.4 enables it, else it answers as unknown."""
    for route in _probe_names(case):
        enabled = route in ROUTES and case.is_enabled(route)
        expect_gating(wf_check, wf_target, seen_trace, case.env, route=route, enabled=enabled)


# ---------------------------------------------------------------------------------------------------------
# Replay enablement through ops retry (spec 3.5, 9.5.8)
# ---------------------------------------------------------------------------------------------------------

UNGATED: Final[dict[str, object | None]] = {ENABLED_VAR: None, DISABLED_VAR: None, **dict.fromkeys(MANIFEST_VARS)}


@pytest.fixture
def unconfigured_workflow(wf_target: Target) -> Iterator[None]:
    """The workflow without chat webhook or cleanup secret (those tasks dead-letter), the api ungated."""
    with (
        wf_target.env_changed("workflow", dict.fromkeys((*CHAT_VARS, *CLEANUP_VARS))),
        wf_target.env_changed("api", UNGATED),
    ):
        yield


def dead_letter_route(wf_check: CheckContext, target: Target) -> str:
    """Send ``chat_notify`` while the workflow has no chat webhook and drain: its trace id is dead-lettered."""
    trace = new_trace(target)
    response = target.api.post(f"/api/{GATED_ROUTE}", json={"text": "dead letter"}, headers={"x-trace-id": trace})
    wf_check.expect_status(response, 202)
    target.drain()
    return trace


def retry(target: Target, trace: str, ops_env: Mapping[str, object | None]) -> httpx.Response:
    changes = dict(UNGATED)
    changes.update(ops_env)
    with target.env_changed("ops", changes):
        return target.ops.post(f"/api/retry/{trace}")


def expect_blocked(wf_check: CheckContext, response: httpx.Response, trace: str, reason: str, what: str) -> None:
    if response.status_code == 404:
        wf_check.fail(f"{what}: no dead letter for trace {trace}; expected one to retry: {wf_check.show(response)}")
    wf_check.expect_status(response, 409)
    expected = {"error": "retry blocked", "traceId": trace, "reason": reason}
    wf_check.expect_equal(wf_check.json(response), expected, f"{what}: 409 body")


def config_manifest(routes: list[str], schedules: list[tuple[str, bool]]) -> dict[str, str]:
    """Config-mode env vars for a manifest of these routes and (id, enabled) schedules."""
    route_items = [
        {"routePath": r, "requestType": "async", "flowPath": f"f/examples/{r}", "wrapBody": False} for r in routes
    ]
    schedule_items = [
        {"id": s, "cron": "0 3 * * *", "enabled": on, "target": f"f/examples/{s}", "timeZone": "UTC"}
        for s, on in schedules
    ]
    return {
        "MANIFEST_MODE": "config",
        "ROUTES_CONFIG_JSON": json.dumps(route_items),
        "SCHEDULES_CONFIG_JSON": json.dumps(schedule_items),
    }


@check("runtime-config.retry-gated-route-409", "required", requires=[SET_ENV, WRITES, DRAIN])
def test_retry_gated_route_409(wf_target: Target, wf_check: CheckContext, unconfigured_workflow: None) -> None:
    """Retrying a dead letter whose route the ops gating turns off is 409 'route "<r>" is disabled'."""
    trace = dead_letter_route(wf_check, wf_target)
    reason = f'route "{GATED_ROUTE}" is disabled'
    for ops_env in ({ENABLED_VAR: "lead_normalizer"}, {DISABLED_VAR: f" {GATED_ROUTE} "}):
        response = retry(wf_target, trace, ops_env)
        expect_blocked(wf_check, response, trace, reason, f"retry with ops {ops_env!r}")
        wf_check.expect("disabled" in str(wf_check.json(response).get("reason")), "the reason names 'disabled'")


@check("runtime-config.retry-unregistered-route-409", "required", requires=[SET_ENV, WRITES, DRAIN])
def test_retry_unregistered_route_409(wf_target: Target, wf_check: CheckContext, unconfigured_workflow: None) -> None:
    """Retrying a dead letter whose route the ops manifest no longer has is 409 'route "<r>" is not registered'."""
    trace = dead_letter_route(wf_check, wf_target)
    ops_env = config_manifest(["webhook_echo", "lead_normalizer"], [])
    response = retry(wf_target, trace, ops_env)
    expect_blocked(wf_check, response, trace, f'route "{GATED_ROUTE}" is not registered', "retry in config mode")


@check("runtime-config.retry-schedule-not-enabled-409", "required", requires=[SET_ENV, WRITES, DRAIN])
def test_retry_schedule_not_enabled_409(wf_target: Target, wf_check: CheckContext, unconfigured_workflow: None) -> None:
    """Retrying a scheduled_job dead letter whose schedule is missing or disabled is 409 '... is not enabled'."""
    trace = new_trace(wf_target)
    response = wf_target.api.post("/api/dev/cron/cleanup_daily", json={}, headers={"x-trace-id": trace})
    wf_check.expect_status(response, 202)
    wf_target.drain()
    reason = 'schedule "cleanup_daily" is not enabled'
    for label, schedules in (("disabled", [("cleanup_daily", False)]), ("missing", [("heartbeat_hourly", True)])):
        ops_env = config_manifest(list(ROUTES), schedules)
        expect_blocked(wf_check, retry(wf_target, trace, ops_env), trace, reason, f"retry, schedule {label}")


@check("runtime-config.retry-enabled-202", "required", requires=[SET_ENV, WRITES, DRAIN])
def test_retry_enabled_202(wf_target: Target, wf_check: CheckContext, unconfigured_workflow: None) -> None:
    """Retrying a dead letter whose route is registered and enabled is 202 with a new trace id."""
    trace = dead_letter_route(wf_check, wf_target)
    response = retry(wf_target, trace, {ENABLED_VAR: f"webhook_echo, {GATED_ROUTE}", DISABLED_VAR: "lead_normalizer"})
    wf_check.expect_status(response, 202)
    body = wf_check.json(response)
    wf_check.expect_equal(body.get("accepted"), True, "202 'accepted'")
    wf_check.expect_equal(body.get("retriedFromTraceId"), trace, "202 'retriedFromTraceId'")
    new = body.get("newTraceId")
    wf_check.expect(isinstance(new, str) and new and new != trace, f"202 'newTraceId' is not a new trace id: {new!r}")
    try:
        uuid.UUID(str(new))
    except ValueError:
        wf_check.fail(f"202 'newTraceId' is not a UUID: {new!r}")
    wf_target.drain()  # the replayed task dead-letters again while the workflow still lacks the webhook


# ---------------------------------------------------------------------------------------------------------
# Ops secrets-health (spec 9.5.16)
# ---------------------------------------------------------------------------------------------------------


@check("runtime-config.secrets-health-agrees", "required")
def test_secrets_health_agrees(wf_target: Target, wf_check: CheckContext) -> None:
    """GET /api/secrets-health is 200 {available:true, ok, env, worker, errors} as the workflow's /health/config.

    With ``set_env`` the workflow lacks the chat webhook and cleanup secret meanwhile, so there are errors to
    compare.
    """
    changes: dict[str, object | None] = {}
    if wf_target.has(SET_ENV):
        changes = dict.fromkeys((*CHAT_VARS, *CLEANUP_VARS))
    with wf_target.env_changed("workflow", changes):
        config = health_config(wf_check, wf_target)
        response = wf_target.ops.get("/api/secrets-health")
    wf_check.expect_status(response, 200)
    body = wf_check.json(response)
    wf_check.expect(
        isinstance(body, dict) and body.get("available") is True,
        f"secrets-health is not available: {wf_check.show(response)}",
    )
    expected = {"available": True, **{key: config.get(key) for key in ("ok", "env", "worker", "errors")}}
    if "env" not in config:
        expected.pop("env")
    wf_check.expect_equal(body, expected, "secrets-health body (the workflow's /health/config)")
    if changes:
        wf_check.expect(CHAT_ERROR in body["errors"], f"secrets-health errors lack the chat webhook error: {body!r}")
        wf_check.expect(CLEANUP_ERROR in body["errors"], f"secrets-health errors lack the cleanup error: {body!r}")
