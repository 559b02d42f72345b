"""The scheduler worker (spec 8, 12.3, 12.8 #14): exact string matching, task shape, manifest errors."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workerflow_kit.contracts.manifest import ManifestError
from workerflow_kit.contracts.models import builtin_routes, builtin_schedules
from workerflow_kit.runtime.bindings.clock import VirtualClock
from workerflow_kit.runtime.workers.base import ScheduledController, WorkerContext
from workerflow_kit.runtime.workers.scheduler import SchedulerWorker

T = TypeVar("T")
SCHEDULED = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
SCHEDULED_ISO = "2026-02-28T12:00:00.000Z"
NOW = datetime(2026, 2, 28, 12, 0, 3, 250_000, tzinfo=UTC)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class RecordingQueue:
    """A producer binding that keeps what was sent, serialized as the real queue would."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.raw: list[str] = []

    async def send(self, body: Any) -> None:
        self.raw.append(json.dumps(body, separators=(",", ":")))
        self.sent.append(body)


def make_worker() -> SchedulerWorker:
    context = WorkerContext(
        clock=VirtualClock(start=NOW),
        outbound=httpx.AsyncClient(),
        builtin_routes=builtin_routes(),
        builtin_schedules=builtin_schedules(),
    )
    return SchedulerWorker(context)


def fire(worker: SchedulerWorker, cron: str, env: dict[str, object], when: datetime = SCHEDULED) -> None:
    run(worker.scheduled(ScheduledController(cron=cron, scheduled_time=when), env))


def schedule(id: str, cron: str, *, enabled: bool = True, target: str | None = None, tz: str = "UTC") -> dict[str, Any]:
    return {"id": id, "cron": cron, "enabled": enabled, "target": target or f"f/t/{id}", "timeZone": tz}


def config_env(schedules: list[dict[str, Any]], queue: RecordingQueue) -> dict[str, object]:
    return {"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": json.dumps(schedules), "AUTOMATION_QUEUE": queue}


def test_worker_identity() -> None:
    assert make_worker().name == "scheduler"


# ------------------------------------------------------------------------------------------ spec 12.3


def test_each_enabled_builtin_cron_enqueues_one_task_per_schedule() -> None:
    worker = make_worker()
    queue = RecordingQueue()
    enabled = [s for s in builtin_schedules() if s.enabled]
    for cron in dict.fromkeys(s.cron for s in enabled):
        fire(worker, cron, {"AUTOMATION_QUEUE": queue})
    assert [task["scheduleId"] for task in queue.sent] == [s.id for s in enabled]


def test_builtin_task_shape_and_key_order() -> None:
    worker = make_worker()
    queue = RecordingQueue()
    fire(worker, "0 * * * *", {"AUTOMATION_QUEUE": queue})
    (task,) = queue.sent
    assert list(task) == ["kind", "traceId", "scheduleId", "payload", "enqueuedAt"]
    assert task["kind"] == "scheduled_job"
    assert task["scheduleId"] == "heartbeat_hourly"
    assert uuid.UUID(task["traceId"]).version == 4
    assert task["traceId"] == task["traceId"].lower()
    assert list(task["payload"]) == ["target", "cron", "timeZone", "scheduledTime"]
    assert task["payload"] == {
        "target": "f/examples/heartbeat_hourly",
        "cron": "0 * * * *",
        "timeZone": "UTC",
        "scheduledTime": SCHEDULED_ISO,
    }
    assert "trigger" not in task["payload"]
    # enqueuedAt is the clock's now in toISOString form, not the scheduled time.
    assert task["enqueuedAt"] == "2026-02-28T12:00:03.250Z"


def test_scheduled_time_keeps_milliseconds() -> None:
    worker = make_worker()
    queue = RecordingQueue()
    fire(worker, "0 3 * * *", {"AUTOMATION_QUEUE": queue}, datetime(2026, 2, 28, 3, 0, 0, 123_999, tzinfo=UTC))
    assert queue.sent[0]["payload"]["scheduledTime"] == "2026-02-28T03:00:00.123Z"


@pytest.mark.parametrize("cron", ["*/5 * * * *", "0  * * * *", " 0 * * * *", "0 * * * * ", "0 2 1 * *", ""])
def test_unknown_or_not_string_equal_cron_enqueues_nothing(cron: str, caplog: pytest.LogCaptureFixture) -> None:
    worker = make_worker()
    queue = RecordingQueue()
    with caplog.at_level(logging.INFO, logger="workerflow_kit.runtime.scheduler"):
        fire(worker, cron, {"AUTOMATION_QUEUE": queue})
    assert queue.sent == []
    assert f"No enabled schedule found for cron {cron}" in caplog.messages


def test_logs_each_enqueued_schedule(caplog: pytest.LogCaptureFixture) -> None:
    worker = make_worker()
    queue = RecordingQueue()
    with caplog.at_level(logging.INFO, logger="workerflow_kit.runtime.scheduler"):
        fire(worker, "0 3 * * *", {"AUTOMATION_QUEUE": queue})
    assert caplog.messages == [f"Enqueued schedule cleanup_daily trace={queue.sent[0]['traceId']}"]


def test_legacy_mode_ignores_schedules_config() -> None:
    worker = make_worker()
    queue = RecordingQueue()
    env = config_env([schedule("example_daily", "0 0 * * *")], queue)
    env["MANIFEST_MODE"] = "legacy"
    fire(worker, "0 0 * * *", env)
    assert queue.sent == []


# ------------------------------------------------------------------------------------------ config mode


def test_config_mode_example_daily_matches_a_baseline_trigger() -> None:
    worker = make_worker()
    queue = RecordingQueue()
    env = config_env([schedule("example_daily", "0 0 * * *", target="f/example/daily")], queue)
    fire(worker, "0 0 * * *", env)
    (task,) = queue.sent
    assert task["scheduleId"] == "example_daily"
    assert task["payload"] == {
        "target": "f/example/daily",
        "cron": "0 0 * * *",
        "timeZone": "UTC",
        "scheduledTime": SCHEDULED_ISO,
    }


def test_time_zone_is_copied_not_used() -> None:
    worker = make_worker()
    queue = RecordingQueue()
    fire(worker, "0 9 * * *", config_env([schedule("tz", "0 9 * * *", tz="Europe/Berlin")], queue))
    assert queue.sent[0]["payload"]["timeZone"] == "Europe/Berlin"


def test_disabled_and_duplicate_schedules() -> None:
    worker = make_worker()
    queue = RecordingQueue()
    items = [
        schedule("a", "0 0 * * *"),
        schedule("b", "0 0 * * *", enabled=False),
        schedule("a", "0 0 * * *"),
        schedule("c", "0 1 * * *"),
    ]
    fire(worker, "0 0 * * *", config_env(items, queue))
    assert [t["scheduleId"] for t in queue.sent] == ["a", "a"]
    assert queue.sent[0]["traceId"] != queue.sent[1]["traceId"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SCHEDULES_CONFIG_JSON", "{not-json}"),
        ("SCHEDULES_CONFIG_JSON", '{"id": "x"}'),
        ("SCHEDULES_CONFIG_JSON", '[{"id": "x"}]'),
        ("ROUTES_CONFIG_JSON", "[1]"),
    ],
)
def test_manifest_error_fails_the_event_and_enqueues_nothing(
    variable: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    worker = make_worker()
    queue = RecordingQueue()
    env: dict[str, object] = {"MANIFEST_MODE": "config", variable: value, "AUTOMATION_QUEUE": queue}
    with caplog.at_level(logging.ERROR, logger="workerflow_kit.runtime.scheduler"), pytest.raises(ManifestError):
        fire(worker, "0 0 * * *", env)
    assert queue.sent == []
    assert any("manifest does not resolve" in message for message in caplog.messages)


# ------------------------------------------------------------------------------------------ spec 12.8 #14

CRON_POOL = ["0 0 * * *", "0 * * * *", "0 0  * * *", "*/5 * * * *", "0 5 * * 5", "0 5 * * FRI", "x"]

schedules_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.sampled_from(["a", "b", "c", "daily", "hourly"]),
            "cron": st.sampled_from(CRON_POOL),
            "enabled": st.booleans(),
            "target": st.sampled_from(["f/x", "f/y"]),
            "timeZone": st.sampled_from(["UTC", "America/New_York"]),
        }
    ),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(items=schedules_strategy, cron=st.sampled_from([*CRON_POOL, "0 0 * * * "]))
def test_property_enqueues_exactly_enabled_string_equal_schedules(items: list[dict[str, Any]], cron: str) -> None:
    worker = make_worker()
    queue = RecordingQueue()
    env = config_env(items, queue) if items else {"MANIFEST_MODE": "config", "AUTOMATION_QUEUE": queue}
    fire(worker, cron, env)
    source = items if items else [s.as_json() for s in builtin_schedules()]
    expected = [item for item in source if item["enabled"] is True and item["cron"] == cron]
    assert [t["scheduleId"] for t in queue.sent] == [item["id"] for item in expected]
    assert [(t["payload"]["target"], t["payload"]["cron"], t["payload"]["timeZone"]) for t in queue.sent] == [
        (item["target"], item["cron"], item["timeZone"]) for item in expected
    ]
    trace_ids = [t["traceId"] for t in queue.sent]
    assert len(set(trace_ids)) == len(trace_ids)
    assert all(t["payload"]["scheduledTime"] == SCHEDULED_ISO for t in queue.sent)
