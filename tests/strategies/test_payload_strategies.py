"""JSON payloads survive the JS round trip; queue tasks validate and keep upstream's key order."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from workerflow_kit import strategies as wst
from workerflow_kit.contracts import cron
from workerflow_kit.contracts.models import QueueTask
from workerflow_kit.contracts.schemas import validate_document
from workerflow_kit.jscompat.json import js_json_parse, js_json_stringify

_ORDER = {
    "http_route": ["kind", "traceId", "routePath", "payload", "enqueuedAt"],
    "scheduled_job": ["kind", "traceId", "scheduleId", "payload", "enqueuedAt"],
}


@settings(max_examples=300)
@given(wst.json_payloads())
def test_json_payloads_round_trip(value: Any) -> None:
    assert js_json_parse(js_json_stringify(value)) == value


def _leaves(value: Any) -> int:
    if isinstance(value, list):
        return sum(_leaves(item) for item in value)
    if isinstance(value, dict):
        return sum(_leaves(item) for item in value.values())
    return 1


@given(wst.json_payloads(max_leaves=3))
def test_max_leaves(value: Any) -> None:
    assert _leaves(value) <= 3


@given(wst.text_payloads(min_size=1, max_size=5))
def test_text_payloads(text: str) -> None:
    assert 1 <= len(text) <= 5
    text.encode("utf-8")  # no lone surrogates


@settings(max_examples=200)
@given(wst.queue_tasks())
def test_queue_tasks_validate_and_keep_key_order(task: dict[str, Any]) -> None:
    assert validate_document(task, "queue-task") == []
    keys = list(task)
    assert keys[:5] == _ORDER[task["kind"]]
    assert QueueTask.model_validate(task).model_dump() == task
    assert list(js_json_parse(js_json_stringify(task))) == keys


@given(wst.queue_tasks(kind="scheduled_job", extra_fields=False))
def test_schedule_tasks(task: dict[str, Any]) -> None:
    assert list(task) == _ORDER["scheduled_job"]
    payload = task["payload"]
    assert list(payload)[:4] == ["target", "cron", "timeZone", "scheduledTime"]
    assert payload.get("trigger", "manual_api") in {"manual_api", "manual_ops_dashboard"}
    cron.validate(payload["cron"])


@given(wst.queue_tasks(kind="http_route", trace_ids=st.just("t-1"), route_paths=st.just("webhook_echo")))
def test_route_task_parts_can_be_fixed(task: dict[str, Any]) -> None:
    assert (task["traceId"], task["routePath"]) == ("t-1", "webhook_echo")


@given(wst.iso_timestamps())
def test_iso_timestamps(value: str) -> None:
    assert (
        validate_document(
            {"kind": "http_route", "traceId": "t", "routePath": "r", "payload": None, "enqueuedAt": value}, "queue-task"
        )
        == []
    )
