"""Contract models: built-ins, item checks, QueueTask key order, passthrough truth table, error bodies."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from workerflow_kit.contracts.models import (
    ConfigErrorBody,
    QueueTask,
    RouteDefinition,
    ScheduleDefinition,
    WorkflowErrorBody,
    builtin_routes,
    builtin_schedules,
    is_route_item,
    is_schedule_item,
    is_sync_passthrough,
    load_manifest_files,
    parse_js_json,
)
from workerflow_kit.errors import ContractError, FileProblem
from workerflow_kit.jscompat.json import JsSyntaxError

ROUTE = {"routePath": "r", "requestType": "async", "flowPath": "f/r", "wrapBody": False}
SCHEDULE = {"id": "s", "cron": "0 * * * *", "enabled": True, "target": "f/s", "timeZone": "UTC"}


def test_builtins_are_the_v01_manifest() -> None:
    assert [(r.routePath, r.requestType, r.flowPath, r.wrapBody) for r in builtin_routes()] == [
        ("webhook_echo", "async", "f/examples/webhook_echo", False),
        ("chat_notify", "async", "f/examples/chat_notify", True),
        ("lead_normalizer", "sync", "f/examples/lead_normalizer", True),
    ]
    assert [(s.id, s.cron, s.enabled, s.target, s.timeZone) for s in builtin_schedules()] == [
        ("heartbeat_hourly", "0 * * * *", True, "f/examples/heartbeat_hourly", "UTC"),
        ("cleanup_daily", "0 3 * * *", True, "f/examples/cleanup_daily", "UTC"),
    ]
    assert builtin_routes() is builtin_routes()  # cached


def test_definitions_keep_extras_and_echo_the_item_as_given() -> None:
    given = {"wrapBody": True, "note": {"x": [1]}, "routePath": "", "flowPath": "", "requestType": "sync"}
    route = RouteDefinition.model_validate(given)
    assert route.extras == {"note": {"x": [1]}}
    assert list(route.as_json()) == list(given)  # key order kept
    assert route.as_json() == given
    route.as_json()["note"]["x"].append(2)  # a copy: the definition is not changed
    assert route.as_json() == given
    schedule = ScheduleDefinition(**SCHEDULE, extra="kept")
    assert schedule.as_json() == {**SCHEDULE, "extra": "kept"}


@pytest.mark.parametrize(
    "change",
    [
        {"routePath": 1},
        {"routePath": None},
        {"requestType": "SYNC"},
        {"requestType": "Async"},
        {"requestType": None},
        {"flowPath": ["f"]},
        {"wrapBody": 0},
        {"wrapBody": "true"},
        {"wrapBody": None},
    ],
)
def test_route_item_check_rejects_wrong_types(change: dict[str, Any]) -> None:
    item = {**ROUTE, **change}
    assert not is_route_item(item)
    with pytest.raises(ValidationError):
        RouteDefinition.model_validate(item)


@pytest.mark.parametrize("missing", sorted(ROUTE))
def test_route_item_check_requires_each_field(missing: str) -> None:
    assert not is_route_item({k: v for k, v in ROUTE.items() if k != missing})


@pytest.mark.parametrize("missing", sorted(SCHEDULE))
def test_schedule_item_check_requires_each_field(missing: str) -> None:
    assert not is_schedule_item({k: v for k, v in SCHEDULE.items() if k != missing})


@pytest.mark.parametrize(
    "change", [{"id": 1}, {"cron": None}, {"target": True}, {"timeZone": {}}, {"enabled": 1}, {"enabled": "true"}]
)
def test_schedule_item_check_rejects_wrong_types(change: dict[str, Any]) -> None:
    assert not is_schedule_item({**SCHEDULE, **change})


@pytest.mark.parametrize("value", [None, [], [ROUTE], "x", 1, True])
def test_items_must_be_objects(value: object) -> None:
    assert not is_route_item(value)
    assert not is_schedule_item(value)


def test_item_check_accepts_empty_strings_and_extras() -> None:
    assert is_route_item({**dict.fromkeys(("routePath", "flowPath"), ""), "requestType": "sync", "wrapBody": True})
    assert is_schedule_item({**SCHEDULE, "id": "", "cron": "", "extra": None})


def test_route_queue_task_key_order() -> None:
    task = QueueTask(
        enqueuedAt="2026-01-01T00:00:00.000Z", payload={"b": 1}, routePath="r", traceId="t", kind="http_route"
    )
    dumped = task.model_dump()
    assert list(dumped) == ["kind", "traceId", "routePath", "payload", "enqueuedAt"]
    assert task.model_dump_json() == (
        '{"kind":"http_route","traceId":"t","routePath":"r","payload":{"b":1},"enqueuedAt":"2026-01-01T00:00:00.000Z"}'
    )


def test_schedule_queue_task_key_order_and_extras() -> None:
    task = QueueTask.model_validate(
        {
            "zz": 1,
            "enqueuedAt": "e",
            "payload": {"target": "x"},
            "scheduleId": "s",
            "traceId": "t",
            "kind": "scheduled_job",
        }
    )
    assert list(task.model_dump()) == ["kind", "traceId", "scheduleId", "payload", "enqueuedAt", "zz"]


def test_queue_task_omits_absent_fields_but_keeps_null_payload() -> None:
    assert "payload" not in QueueTask(kind="http_route", traceId="t", routePath="r", enqueuedAt="e").model_dump()
    assert QueueTask(kind="http_route", traceId="t", routePath="r", payload=None, enqueuedAt="e").model_dump() == {
        "kind": "http_route",
        "traceId": "t",
        "routePath": "r",
        "payload": None,
        "enqueuedAt": "e",
    }


@pytest.mark.parametrize("bad", [{"kind": "other"}, {"traceId": 5}, {"enqueuedAt": None}])
def test_queue_task_rejects_bad_fields(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        QueueTask.model_validate({"kind": "http_route", "traceId": "t", "enqueuedAt": "e", **bad})


PASSTHROUGH = {"responseType": "http_passthrough", "status": 200, "body": "ok", "headers": {"x-a": "1"}}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # object
        ({}, True),
        # responseType exactly "http_passthrough"
        ({"responseType": "HTTP_PASSTHROUGH"}, False),
        ({"responseType": None}, False),
        ({"responseType": "http_passthrough "}, False),
        # status: a JS number that is an integer
        ({"status": 599}, True),
        ({"status": 200.0}, True),
        ({"status": 0}, True),
        ({"status": -1}, True),
        ({"status": 200.5}, False),
        ({"status": "200"}, False),
        ({"status": True}, False),
        ({"status": None}, False),
        ({"status": math.nan}, False),
        ({"status": math.inf}, False),
        # body a string
        ({"body": ""}, True),
        ({"body": None}, False),
        ({"body": 1}, False),
        ({"body": {"a": 1}}, False),
        # headers absent, or a non-null object (arrays pass)
        ({"headers": {}}, True),
        ({"headers": [["x", "y"]]}, True),
        ({"headers": []}, True),
        ({"headers": None}, False),
        ({"headers": "x: y"}, False),
        ({"headers": 1}, False),
        ({"headers": False}, False),
    ],
)
def test_passthrough_truth_table(change: dict[str, Any], expected: bool) -> None:
    assert is_sync_passthrough({**PASSTHROUGH, **change}) is expected


@pytest.mark.parametrize("missing", ["responseType", "status", "body"])
def test_passthrough_requires_fields(missing: str) -> None:
    value = {k: v for k, v in PASSTHROUGH.items() if k != missing}
    assert not is_sync_passthrough(value)


def test_passthrough_headers_may_be_absent_and_value_must_be_an_object() -> None:
    assert is_sync_passthrough({k: v for k, v in PASSTHROUGH.items() if k != "headers"})
    for value in (None, [PASSTHROUGH], "http_passthrough", 200, True):
        assert not is_sync_passthrough(value)


def test_workflow_error_body() -> None:
    body = WorkflowErrorBody(message="boom")
    assert json.dumps(body.model_dump(), separators=(",", ":")) == (
        '{"error":"handler_error","message":"boom","details":null}'
    )
    assert list(WorkflowErrorBody(details=[1], message="m", error="e").model_dump()) == ["error", "message", "details"]


def test_config_error_body() -> None:
    body = ConfigErrorBody(details=["a", "b"], traceId="t")
    assert body.model_dump() == {"error": "missing required configuration", "traceId": "t", "details": ["a", "b"]}
    assert list(body.model_dump()) == ["error", "traceId", "details"]
    assert ConfigErrorBody(details=[]).model_dump() == {"error": "missing required configuration", "details": []}


def test_parse_js_json_rejects_what_json_parse_rejects() -> None:
    for text in ("NaN", "[Infinity]", '{"a": -Infinity}', "[1,]", "{'a':1}", "01", "\u00a0[]", "\ufeff[]", "[1\u0663]"):
        with pytest.raises(JsSyntaxError):
            parse_js_json(text)
    assert parse_js_json(" [1.5, -0] ") == [1.5, 0]
    assert parse_js_json("12345678901234567890") == 12345678901234567168  # rounded to a double, as in JS


def test_parse_js_json_reports_parser_limits_as_syntax_errors() -> None:
    with pytest.raises(JsSyntaxError, match="too long"):
        parse_js_json("1" * 5000)
    with pytest.raises(JsSyntaxError, match="nested too deeply"):
        parse_js_json("[" * 100_000 + "]" * 100_000)


def write(path: Path, value: object) -> Path:
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


def test_load_manifest_files(tmp_path: Path) -> None:
    routes = write(tmp_path / "routes.json", [ROUTE, {**ROUTE, "routePath": "r2", "x": 1}])
    schedules = write(tmp_path / "schedules.json", [SCHEDULE])
    manifest = load_manifest_files(routes, schedules)
    assert manifest.mode == "config"
    assert [r.routePath for r in manifest.routes] == ["r", "r2"]
    assert manifest.routes[1].extras == {"x": 1}
    assert [s.id for s in manifest.schedules] == ["s"]
    fallback = load_manifest_files(None, str(schedules))
    assert fallback.routes == builtin_routes()


def test_load_manifest_files_errors(tmp_path: Path) -> None:
    good = write(tmp_path / "s.json", [SCHEDULE])
    with pytest.raises(ContractError, match="invalid route item at index 1") as info:
        load_manifest_files(write(tmp_path / "a.json", [ROUTE, {**ROUTE, "wrapBody": 1}, 5]), good)
    assert info.value.pointer == "/1"
    with pytest.raises(ContractError, match="must be a JSON array"):
        load_manifest_files(write(tmp_path / "b.json", {"routes": []}), good)
    with pytest.raises(FileProblem, match="invalid JSON"):
        load_manifest_files(write(tmp_path / "c.json", "[NaN]"), good)
    with pytest.raises(FileProblem, match="empty"):
        load_manifest_files(write(tmp_path / "d.json", "  \n"), good)
    with pytest.raises(FileProblem, match="no such file"):
        load_manifest_files(tmp_path / "missing.json", good)
