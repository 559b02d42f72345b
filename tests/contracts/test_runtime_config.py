"""Workflow configuration rules (spec 6.3) and the checks of upstream's test_runtime_config (12.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.contracts.models import Manifest, RouteDefinition, ScheduleDefinition
from workerflow_kit.contracts.runtime_config import (
    CONFIG_REQUIREMENTS,
    has_value,
    validate_manifest_config,
    validate_task_config,
)

CHAT = (
    'route "chat_notify": missing chat webhook URL. '
    "Checked: CHAT_WEBHOOK_URL, GCHAT_ALERTS_WEBHOOK_URL, GCHAT_ALERTS_WEBHOOK"
)
LEAD = 'route "lead_normalizer": missing Google AI key. Checked: GOOGLEAI_API_KEY, LEAD_NORMALIZER_API_KEY'
CLEANUP = 'schedule "cleanup_daily": missing cleanup signing secret. Checked: CLEANUP_SIGNING_SECRET'
MINIMAL_ENV = {"ENV_NAME": "test"}
ALL_SECRETS = {"CHAT_WEBHOOK_URL": "https://chat.example/x", "GOOGLEAI_API_KEY": "k", "CLEANUP_SIGNING_SECRET": "s"}


def route_task(route: object) -> dict[str, object]:
    return {"kind": "http_route", "traceId": "t", "routePath": route, "payload": {}, "enqueuedAt": "e"}


def schedule_task(schedule: object) -> dict[str, object]:
    return {"kind": "scheduled_job", "traceId": "t", "scheduleId": schedule, "payload": {}, "enqueuedAt": "e"}


def test_chat_notify() -> None:  # 12.4 #1
    assert validate_task_config(route_task("chat_notify"), MINIMAL_ENV) == [CHAT]
    assert validate_task_config(route_task("chat_notify"), {"CHAT_WEBHOOK_URL": "https://x"}) == []
    assert validate_task_config(route_task("chat_notify"), {"GCHAT_ALERTS_WEBHOOK": "https://x"}) == []
    assert validate_task_config(route_task("chat_notify"), {"GCHAT_ALERTS_WEBHOOK_URL": "https://x"}) == []


def test_lead_normalizer() -> None:  # 12.4 #2
    assert validate_task_config(route_task("lead_normalizer"), MINIMAL_ENV) == [LEAD]
    assert validate_task_config(route_task("lead_normalizer"), {"GOOGLEAI_API_KEY": "k"}) == []
    assert validate_task_config(route_task("lead_normalizer"), {"LEAD_NORMALIZER_API_KEY": "k"}) == []


def test_cleanup_daily() -> None:  # 12.4 #3
    assert validate_task_config(schedule_task("cleanup_daily"), MINIMAL_ENV) == [CLEANUP]
    assert validate_task_config(schedule_task("cleanup_daily"), {"CLEANUP_SIGNING_SECRET": "s"}) == []


def test_gated_route_is_not_validated_for_health() -> None:  # 12.4 #6
    errors = validate_manifest_config(None, {**ALL_SECRETS, "ENABLED_HTTP_ROUTES": "chat_notify"})
    assert not [e for e in errors if 'route "chat_notify"' in e]
    assert errors == []
    # with nothing set: chat_notify is checked, lead_normalizer is gated off
    assert validate_manifest_config(None, {"ENABLED_HTTP_ROUTES": "chat_notify"}) == [CHAT, CLEANUP]


def test_manifest_validation_order_and_filters() -> None:
    manifest = Manifest(
        mode="config",
        routes=tuple(
            RouteDefinition(routePath=p, requestType="async", flowPath="f", wrapBody=False)
            for p in ("lead_normalizer", "webhook_echo", "chat_notify", "lead_normalizer")
        ),
        schedules=(
            ScheduleDefinition(id="cleanup_daily", cron="c", enabled=False, target="t", timeZone="UTC"),
            ScheduleDefinition(id="cleanup_daily", cron="c", enabled=True, target="t", timeZone="UTC"),
        ),
    )
    assert validate_manifest_config(manifest, {}) == [LEAD, CHAT, LEAD, CLEANUP]
    assert validate_manifest_config(manifest, {"DISABLED_HTTP_ROUTES": "lead_normalizer"}) == [CHAT, CLEANUP]
    assert validate_manifest_config(None, {}) == [CHAT, LEAD, CLEANUP]  # built-ins, in manifest order


@pytest.mark.parametrize(
    ("value", "counts"),
    [
        ("x", True),
        (" x ", True),
        ("", False),
        ("   ", False),
        ("\ufeff\u2028\t", False),  # whitespace-only is missing, JS trim set
        ("\u001c", True),  # not JS whitespace
        (None, False),
        (0, True),  # String(0) is "0"
        (False, True),  # "false"
        ({}, True),  # "[object Object]", e.g. a binding
        ([], False),  # String([]) is ""
        ([" "], False),
        (["k"], True),
    ],
)
def test_has_value(value: object, counts: bool) -> None:
    assert has_value(value) is counts
    expected = [] if counts else [CLEANUP]
    assert validate_task_config(schedule_task("cleanup_daily"), {"CLEANUP_SIGNING_SECRET": value}) == expected


@pytest.mark.parametrize(
    "task",
    [
        route_task(""),
        route_task(None),
        route_task(0),
        {"kind": "http_route", "traceId": "t"},
        schedule_task(""),
        {"kind": "other", "routePath": "chat_notify"},
        {"routePath": "chat_notify"},
        {"kind": "scheduled_job", "routePath": "chat_notify", "scheduleId": "x"},
        {"kind": "http_route", "scheduleId": "cleanup_daily"},
        route_task("Chat_notify"),
        route_task(" chat_notify"),
        route_task("cleanup_daily"),  # a schedule id as a route needs nothing
        schedule_task("chat_notify"),
    ],
)
def test_tasks_without_requirements(task: dict[str, object]) -> None:
    assert validate_task_config(task, {}) == []


def test_requirement_table() -> None:
    assert {k: (v.variables, v.label) for k, v in CONFIG_REQUIREMENTS.items()} == {
        ("http_route", "chat_notify"): (
            ("CHAT_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK"),
            "chat webhook URL",
        ),
        ("http_route", "lead_normalizer"): (("GOOGLEAI_API_KEY", "LEAD_NORMALIZER_API_KEY"), "Google AI key"),
        ("scheduled_job", "cleanup_daily"): (("CLEANUP_SIGNING_SECRET",), "cleanup signing secret"),
    }


VARS = [
    "CHAT_WEBHOOK_URL",
    "GCHAT_ALERTS_WEBHOOK_URL",
    "GCHAT_ALERTS_WEBHOOK",
    "GOOGLEAI_API_KEY",
    "LEAD_NORMALIZER_API_KEY",
    "CLEANUP_SIGNING_SECRET",
]
env_values = st.one_of(st.sampled_from(["", " ", "\u3000", "v", " v "]), st.none())


@given(
    kind=st.sampled_from(["http_route", "scheduled_job"]),
    name=st.sampled_from(["chat_notify", "lead_normalizer", "cleanup_daily", "webhook_echo", "heartbeat_hourly"]),
    env=st.dictionaries(st.sampled_from(VARS), env_values),
)
def test_task_validation_matches_table(kind: str, name: str, env: dict[str, object]) -> None:
    def set_(var: str) -> bool:
        value = env.get(var)
        return isinstance(value, str) and value.strip(" \u3000") != ""

    expected: list[str] = []
    if kind == "http_route" and name == "chat_notify" and not any(map(set_, VARS[:3])):
        expected = [CHAT]
    if kind == "http_route" and name == "lead_normalizer" and not any(map(set_, VARS[3:5])):
        expected = [LEAD]
    if kind == "scheduled_job" and name == "cleanup_daily" and not set_(VARS[5]):
        expected = [CLEANUP]
    task = route_task(name) if kind == "http_route" else schedule_task(name)
    assert validate_task_config(task, env) == expected
