"""Task replay enablement (spec 3.5) against an oracle written from the table."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.contracts.manifest import resolve_manifest
from workerflow_kit.contracts.models import Manifest, RouteDefinition, ScheduleDefinition
from workerflow_kit.contracts.replay import ReplayDecision, check_task_replay

CUSTOM_ROUTE = {"routePath": "custom_ping", "requestType": "async", "flowPath": "f/custom/ping", "wrapBody": False}
CUSTOM_SCHEDULE = {
    "id": "custom_hourly",
    "cron": "0 * * * *",
    "enabled": True,
    "target": "f/custom/hourly",
    "timeZone": "UTC",
}


def test_custom_schedule_replay_in_config_mode() -> None:  # 12.2 #3
    import json

    manifest = resolve_manifest(
        {
            "MANIFEST_MODE": "config",
            "ROUTES_CONFIG_JSON": json.dumps([CUSTOM_ROUTE]),
            "SCHEDULES_CONFIG_JSON": json.dumps([CUSTOM_SCHEDULE]),
        }
    )
    task = {"kind": "scheduled_job", "traceId": "t", "scheduleId": "custom_hourly", "payload": {}, "enqueuedAt": "e"}
    assert check_task_replay(task, {}, manifest) == ReplayDecision(enabled=True, reason=None)


def test_gated_route_is_disabled() -> None:  # 12.4 #4
    decision = check_task_replay(
        {"kind": "http_route", "routePath": "chat_notify"}, {"ENABLED_HTTP_ROUTES": "lead_normalizer"}
    )
    assert not decision.enabled
    assert decision.reason == 'route "chat_notify" is disabled'


def test_unknown_schedule_is_not_enabled() -> None:  # 12.4 #5
    decision = check_task_replay({"kind": "scheduled_job", "scheduleId": "not_registered"}, {})
    assert decision == ReplayDecision(enabled=False, reason='schedule "not_registered" is not enabled')


@pytest.mark.parametrize(
    ("task", "reason"),
    [
        ({"kind": "http_route"}, "http_route task missing routePath"),
        ({"kind": "http_route", "routePath": ""}, "http_route task missing routePath"),
        ({"kind": "http_route", "routePath": 0}, "http_route task missing routePath"),
        ({"kind": "http_route", "routePath": " "}, 'route " " is not registered'),  # whitespace is not empty
        ({"kind": "http_route", "routePath": 5}, 'route "5" is not registered'),
        ({"kind": "http_route", "routePath": ["chat_notify"]}, 'route "chat_notify" is not registered'),
        ({"kind": "http_route", "routePath": "Chat_notify"}, 'route "Chat_notify" is not registered'),
        ({"kind": "scheduled_job", "scheduleId": None}, "scheduled_job task missing scheduleId"),
        ({"kind": "scheduled_job", "scheduleId": 1.5}, 'schedule "1.5" is not enabled'),
        ({"kind": "scheduled_job", "routePath": "chat_notify"}, "scheduled_job task missing scheduleId"),
        ({"kind": "HTTP_ROUTE", "routePath": "chat_notify"}, 'task kind "HTTP_ROUTE" is not supported'),
        ({"routePath": "chat_notify"}, 'task kind "undefined" is not supported'),
        ({"kind": None}, 'task kind "null" is not supported'),
        ({"kind": 3.0}, 'task kind "3" is not supported'),
        ({"kind": {"a": 1}}, 'task kind "[object Object]" is not supported'),
        ({"kind": ["http_route"]}, 'task kind "http_route" is not supported'),
    ],
)
def test_reasons(task: dict[str, object], reason: str) -> None:
    assert check_task_replay(task, {}) == ReplayDecision(enabled=False, reason=reason)


def test_disabled_schedule_reads_like_an_unknown_one() -> None:
    off = ScheduleDefinition(**{**CUSTOM_SCHEDULE, "enabled": False})
    on = ScheduleDefinition(**CUSTOM_SCHEDULE)
    task = {"kind": "scheduled_job", "scheduleId": "custom_hourly"}
    only_off = Manifest(mode="config", routes=(), schedules=(off,))
    assert check_task_replay(task, {}, only_off).reason == 'schedule "custom_hourly" is not enabled'
    assert check_task_replay(task, {}, only_off.model_copy(update={"schedules": (off, on)})).enabled
    # schedules are never gated by the HTTP route variables
    assert check_task_replay(
        task, {"DISABLED_HTTP_ROUTES": "custom_hourly"}, only_off.model_copy(update={"schedules": (on,)})
    ).enabled


def test_builtins_are_the_default_manifest() -> None:
    assert check_task_replay({"kind": "http_route", "routePath": "webhook_echo"}, {}).enabled
    assert check_task_replay({"kind": "scheduled_job", "scheduleId": "cleanup_daily"}, {}).enabled
    empty = Manifest(mode="config", routes=(), schedules=())
    assert not check_task_replay({"kind": "http_route", "routePath": "webhook_echo"}, {}, empty).enabled


# ----------------------------------------------------------------------------------------------- the property

MISSING = object()
NAMES = ["a", "b", "A", " a"]
# Values for routePath / scheduleId, with whether JS reads them as empty and how String() renders them.
ID_VALUES: list[tuple[object, bool, str]] = [
    (MISSING, True, ""),
    (None, True, ""),
    ("", True, ""),
    (0, True, ""),
    (False, True, ""),
    (math.nan, True, ""),
    (" ", False, " "),
    (5, False, "5"),
    (True, False, "true"),
    ([], False, ""),
    ({}, False, "[object Object]"),
    *[(n, False, n) for n in NAMES],
]
NAME_VALUES = [v for v in ID_VALUES if v[0] in NAMES]
KINDS: list[tuple[object, str]] = [
    ("http_route", ""),
    ("scheduled_job", ""),
    (MISSING, "undefined"),
    (None, "null"),
    ("other", "other"),
    (7, "7"),
    ("Scheduled_job", "Scheduled_job"),
]


def oracle(
    task: dict[str, Any], routes: list[str], schedules: list[tuple[str, bool]], gated_off: set[str]
) -> str | None:
    """Spec 3.5's table, row by row. Returns the reason, or None when enabled."""
    kind = task.get("kind", MISSING)
    if kind == "http_route":
        value, empty, shown = task["_route"]
        if empty:
            return "http_route task missing routePath"
        if value not in routes or not isinstance(value, str):
            return f'route "{shown}" is not registered'
        if value in gated_off:
            return f'route "{shown}" is disabled'
        return None
    if kind == "scheduled_job":
        value, empty, shown = task["_schedule"]
        if empty:
            return "scheduled_job task missing scheduleId"
        if not isinstance(value, str) or (value, True) not in schedules:
            return f'schedule "{shown}" is not enabled'
        return None
    return f'task kind "{task["_kind_shown"]}" is not supported'


@given(
    kind=st.sampled_from(KINDS[:2]) | st.sampled_from(KINDS),
    route=st.sampled_from(NAME_VALUES) | st.sampled_from(ID_VALUES),
    schedule=st.sampled_from(NAME_VALUES) | st.sampled_from(ID_VALUES),
    routes=st.lists(st.sampled_from(NAMES), max_size=4),
    schedules=st.lists(st.tuples(st.sampled_from(NAMES), st.booleans()), max_size=4),
    enabled=st.none() | st.lists(st.sampled_from(NAMES), max_size=3),
    disabled=st.none() | st.lists(st.sampled_from(NAMES), max_size=3),
)
def test_replay_matches_table(
    *,
    kind: tuple[object, str],
    route: tuple[object, bool, str],
    schedule: tuple[object, bool, str],
    routes: list[str],
    schedules: list[tuple[str, bool]],
    enabled: list[str] | None,
    disabled: list[str] | None,
) -> None:
    task: dict[str, object] = {"traceId": "t", "payload": None, "enqueuedAt": "e"}
    if kind[0] is not MISSING:
        task["kind"] = kind[0]
    if route[0] is not MISSING:
        task["routePath"] = route[0]
    if schedule[0] is not MISSING:
        task["scheduleId"] = schedule[0]
    env: dict[str, object] = {}
    if enabled is not None:
        env["ENABLED_HTTP_ROUTES"] = ",".join(f" {n.strip()} " for n in enabled)
    if disabled is not None:
        env["DISABLED_HTTP_ROUTES"] = ",".join(n.strip() for n in disabled)
    gated_off = {
        n
        for n in NAMES
        if (enabled and n not in {e.strip() for e in enabled}) or (disabled and n in {d.strip() for d in disabled})
    }
    manifest = Manifest(
        mode="config",
        routes=tuple(RouteDefinition(routePath=r, requestType="sync", flowPath="f", wrapBody=True) for r in routes),
        schedules=tuple(
            ScheduleDefinition(id=s, cron="c", enabled=on, target="t", timeZone="UTC") for s, on in schedules
        ),
    )
    expected = oracle(
        {**task, "_route": route, "_schedule": schedule, "_kind_shown": kind[1]}, routes, schedules, gated_off
    )
    decision = check_task_replay(task, env, manifest)
    assert decision.enabled is (expected is None)
    assert decision.reason == expected
