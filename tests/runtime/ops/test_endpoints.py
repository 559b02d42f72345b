"""Every ops endpoint's answer (spec 9.5, 9.7), with rows produced by the real runtime where it can."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workerflow_kit.jscompat.dates import to_iso_string
from workerflow_kit.runtime.workers.ops_dashboard.params import parse_limit

from .support import (
    JSON_TYPE,
    START_ISO,
    DirectOps,
    Stack,
    ops_stack,
    route_task,
    run,
    seed_dead_letter,
    seed_run,
)

OLD = "2026-02-25T10:00:00.000Z"


@asynccontextmanager
async def seeded(env: dict[str, object] | None = None) -> AsyncIterator[Stack]:
    """The smoke script's data, made by the runtime: one success, one failure with a dead letter, one run
    still started, plus one run outside the 24 h window."""
    async with ops_stack(env=env) as stack:
        assert (await stack.submit("webhook_echo", {"hello": "world"}, "trace-success-1")).status_code == 202
        await stack.runtime.drain()
        await stack.clock.advance(1.25)
        assert (await stack.submit("chat_notify", {"text": "hi"}, "trace-failed-1")).status_code == 202
        await stack.runtime.drain()
        await seed_run(
            stack.db,
            "trace-started-1",
            "scheduled_job",
            None,
            "heartbeat_hourly",
            "started",
            "2026-02-27T14:07:08.000Z",
        )
        await seed_run(
            stack.db, "trace-old-1", "http_route", "webhook_echo", None, "failed", OLD, OLD, error="old failure"
        )
        yield stack


def test_meta_and_extensions() -> None:
    extensions = [
        {"id": "a", "label": "A", "extra": 1},
        {"id": " ", "label": "blank id"},
        {"id": "b", "label": "B", "description": None},
        {"id": "c", "label": " C ", "docsUrl": "https://docs.example", "description": "d"},
        "not an object",
        {"id": 3, "label": "number id"},
    ]
    env = {"OPS_DASHBOARD_EXTENSIONS_JSON": json.dumps(extensions), "ENV_NAME": "prod"}

    async def body() -> None:
        async with ops_stack(env=env) as stack:
            meta = await stack.ops.get("/api/meta")
            assert meta.text == (
                '{"env":"prod","worker":"ops-dashboard","manifestMode":"legacy","routes":3,"schedules":2,"extensions":2}'
            )
            listed = await stack.get_json("/api/extensions")
            assert listed == {"extensions": [extensions[0], extensions[3]]}

    run(body())


@pytest.mark.parametrize("raw", ["", "  ", "{bad", '{"id":"a","label":"A"}', "null"])
def test_extensions_fallback_to_empty(raw: str) -> None:
    async def body() -> None:
        async with ops_stack(env={"OPS_DASHBOARD_EXTENSIONS_JSON": raw}) as stack:
            assert await stack.get_json("/api/extensions") == {"extensions": []}

    run(body())


def test_summary_counts_the_window() -> None:
    async def body() -> None:
        async with seeded() as stack:
            summary = await stack.get_json("/api/summary")
            assert summary == {
                "windowHours": 24,
                "since": "2026-02-26T14:07:08.762Z",
                "totalRuns": 3,
                "succeededRuns": 1,
                "failedRuns": 1,
                "startedRuns": 1,
                "deadLetters": 1,
                "topRoutes": [{"routePath": "chat_notify", "count": 1}, {"routePath": "webhook_echo", "count": 1}],
            }

    run(body())


def test_catalog_routes_schedules_and_flows() -> None:
    routes = [
        {"routePath": "quiet", "requestType": "sync", "flowPath": "f/shared", "wrapBody": False, "extra": True},
        {"routePath": "webhook_echo", "requestType": "async", "flowPath": "f/echo", "wrapBody": False},
        {"routePath": "chat_notify", "requestType": "async", "flowPath": "f/chat", "wrapBody": True},
    ]
    schedules = [
        {"id": "heartbeat_hourly", "cron": "0 * * * *", "enabled": False, "target": "f/shared", "timeZone": "UTC"},
    ]
    env = {
        "MANIFEST_MODE": "config",
        "ROUTES_CONFIG_JSON": json.dumps(routes),
        "SCHEDULES_CONFIG_JSON": json.dumps(schedules),
    }

    async def body() -> None:
        async with seeded(env) as stack:
            await seed_run(
                stack.db, "unlisted", "http_route", "not_in_manifest", None, "failed", START_ISO, START_ISO, error="x"
            )
            catalog = await stack.get_json("/api/catalog")
            assert catalog["windowHours"] == 24
            assert [r["routePath"] for r in catalog["routes"]] == ["quiet", "webhook_echo", "chat_notify"]
            assert catalog["routes"][1] == {
                "routePath": "webhook_echo",
                "requestType": "async",
                "flowPath": "f/echo",
                "wrapBody": False,
                "succeeded": 1,
                "failed": 0,
                "started": 0,
                "total": 1,
            }
            assert catalog["schedules"] == [
                {
                    "id": "heartbeat_hourly",
                    "cron": "0 * * * *",
                    "target": "f/shared",
                    "timeZone": "UTC",
                    "enabled": False,
                    "succeeded": 0,
                    "failed": 0,
                    "started": 1,
                    "total": 1,
                }
            ]
            # failed desc, then total desc; ties keep insertion order (routes first, then schedules).
            assert [f["flowPath"] for f in catalog["flows"]] == ["f/chat", "f/shared", "f/echo"]
            shared = catalog["flows"][1]
            assert shared == {
                "flowPath": "f/shared",
                "httpRoutes": ["quiet"],
                "schedules": ["heartbeat_hourly"],
                "succeeded": 0,
                "failed": 0,
                "started": 1,
                "total": 1,
            }

    run(body())


def test_runs_filters_and_order() -> None:
    async def body() -> None:
        async with seeded() as stack:
            everything = await stack.get_json("/api/runs")
            assert everything["limit"] == 50
            assert everything["filters"] == {"status": None, "routePath": None, "scheduleId": None, "kind": None}
            assert [r["traceId"] for r in everything["runs"]] == [
                "trace-failed-1",
                "trace-started-1",
                "trace-success-1",
                "trace-old-1",
            ]
            success = everything["runs"][2]
            assert success["output"] == '{"ok":true,"route":"webhook_echo","received":{"hello":"world"}}'
            assert success["duration"] == "0ms"
            assert everything["runs"][1]["duration"] is None
            assert (await stack.get_json("/api/runs", limit="2"))["runs"].__len__() == 2
            failed = await stack.get_json("/api/runs", status=" failed ")
            assert failed["filters"]["status"] == "failed"
            assert [r["traceId"] for r in failed["runs"]] == ["trace-failed-1", "trace-old-1"]
            cron = await stack.get_json("/api/runs", scheduleId="heartbeat_hourly", kind="scheduled_job")
            assert [r["traceId"] for r in cron["runs"]] == ["trace-started-1"]
            route = await stack.get_json("/api/runs", routePath="webhook_echo", status="succeeded")
            assert [r["traceId"] for r in route["runs"]] == ["trace-success-1"]
            assert (await stack.get_json("/api/runs", status="   "))["filters"]["status"] is None

    run(body())


def test_run_detail_and_not_found() -> None:
    async def body() -> None:
        async with seeded() as stack:
            detail = await stack.get_json("/api/run-detail/trace-failed-1")
            assert detail["traceId"] == "trace-failed-1"
            assert detail["run"]["status"] == "failed"
            assert detail["run"]["error"].startswith("workflow failed: 500")
            dead = detail["deadLetter"]
            assert json.loads(dead["payloadJson"])["traceId"] == "trace-failed-1"
            assert detail["retries"] == {"parentTraceId": "trace-failed-1", "attempts": []}
            ok = await stack.get_json("/api/run-detail/trace-success-1")
            assert ok["deadLetter"] is None
            missing = await stack.ops.get("/api/run-detail/nope")
            assert missing.status_code == 404
            assert missing.json() == {"error": "run not found", "traceId": "nope"}

    run(body())


def test_run_detail_without_lineage_table_reads_as_no_lineage() -> None:
    async def body() -> None:
        async with seeded() as stack:
            stack.db.query("DROP TABLE replay_lineage")
            detail = await stack.get_json("/api/run-detail/trace-failed-1")
            assert detail["retries"] == {"parentTraceId": "trace-failed-1", "attempts": []}
            replays = await stack.get_json("/api/replays", limit="7")
            assert replays["limit"] == 7
            assert replays["chains"] == []
            assert replays["warning"].startswith("Replay lineage unavailable: ")
            assert "replay_lineage" in replays["warning"]

    run(body())


def test_dead_letters_list() -> None:
    async def body() -> None:
        async with seeded() as stack:
            await seed_dead_letter(stack.db, "trace-dead-1", route_task("trace-dead-1", "webhook_echo"), "boom", OLD)
            listed = await stack.get_json("/api/dead-letters", limit="5")
            assert listed["limit"] == 5
            assert [d["traceId"] for d in listed["deadLetters"]] == ["trace-failed-1", "trace-dead-1"]
            assert set(listed["deadLetters"][0]) == {"id", "traceId", "createdAt", "error"}
            assert len((await stack.get_json("/api/dead-letters", limit="1"))["deadLetters"]) == 1

    run(body())


def test_route_detail_metrics_and_clusters() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            for index in range(3):
                await stack.submit("chat_notify", {"text": str(index)}, f"00000000-0000-4000-8000-00000000000{index}")
                await stack.runtime.drain()
                await stack.clock.advance(60)
            await seed_run(
                stack.db,
                "chat-ok",
                "http_route",
                "chat_notify",
                None,
                "succeeded",
                "2026-02-27T14:20:00.000Z",
                "2026-02-27T14:20:01.250Z",
                output="{}",
            )
            await seed_run(
                stack.db,
                "chat-odd",
                "http_route",
                "chat_notify",
                None,
                "failed",
                "2026-02-27T14:21:00.000Z",
                "2026-02-27T14:21:00.010Z",
                error="Socket 12345 reset",
            )
            detail = await stack.get_json("/api/route-detail/chat_notify")
            assert detail["route"] == {
                "routePath": "chat_notify",
                "requestType": "async",
                "flowPath": "f/examples/chat_notify",
                "wrapBody": True,
            }
            assert detail["metrics"] == {
                "total": 5,
                "succeeded": 1,
                "failed": 4,
                "started": 0,
                "p95Duration": "1.3s",
                "lastSuccessAt": "2026-02-27T14:20:00.000Z",
                "lastFailureAt": "2026-02-27T14:21:00.000Z",
            }
            clusters = detail["errorClusters"]
            assert [c["count"] for c in clusters] == [3, 1]
            assert clusters[1] == {"key": "socket {n} reset", "count": 1, "sample": "Socket 12345 reset"}
            assert "00000000-0000-4000-8000-000000000002" in clusters[0]["sample"]  # most recent raw error
            assert [r["traceId"][-1] for r in detail["recentRuns"]] == ["d", "k", "2", "1", "0"]
            assert detail["recentRuns"][1] == {
                "traceId": "chat-ok",
                "status": "succeeded",
                "startedAt": "2026-02-27T14:20:00.000Z",
                "duration": "1.3s",
            }
            missing = await stack.ops.get("/api/route-detail/nope")
            assert missing.status_code == 404
            assert missing.json() == {"error": "route not found", "routePath": "nope"}

    run(body())


def test_route_detail_ignores_gating_and_caps_recent_runs() -> None:
    async def body() -> None:
        async with ops_stack(env={"DISABLED_HTTP_ROUTES": "webhook_echo"}) as stack:
            for index in range(60):
                stamp = f"2026-02-27T13:{index:02d}:00.000Z"
                await seed_run(stack.db, f"t{index}", "http_route", "webhook_echo", None, "succeeded", stamp, stamp)
            detail = await stack.get_json("/api/route-detail/webhook_echo")
            assert detail["metrics"]["total"] == 60
            assert len(detail["recentRuns"]) == 50
            assert detail["recentRuns"][0]["traceId"] == "t59"

    run(body())


def test_cron_detail() -> None:
    schedules = [
        {"id": "nightly", "cron": "0 0 * * *", "enabled": False, "target": "f/n", "timeZone": "UTC", "x": [1]},
        {"id": "odd_zone", "cron": "0 * * * *", "enabled": True, "target": "f/o", "timeZone": "Mars/Olympus"},
        {"id": "steps", "cron": "*/15 * * * *", "enabled": True, "target": "f/s", "timeZone": "Mars/Olympus"},
    ]
    env = {"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": json.dumps(schedules)}

    async def body() -> None:
        async with ops_stack(env=env) as stack:
            await seed_run(
                stack.db,
                "n1",
                "scheduled_job",
                None,
                "nightly",
                "failed",
                "2026-02-26T00:00:00.000Z",
                "2026-02-26T00:00:02.000Z",
                error="first",
            )
            await seed_run(
                stack.db,
                "n2",
                "scheduled_job",
                None,
                "nightly",
                "succeeded",
                "2026-02-27T00:00:00.000Z",
                "2026-02-27T00:01:00.000Z",
            )
            detail = await stack.get_json("/api/cron-detail/nightly")
            assert detail["schedule"] == schedules[0]  # as stored: own key order, extra keys
            assert detail["metrics"] == {
                "total": 2,
                "succeeded": 1,
                "failed": 1,
                "started": 0,
                "p95Duration": "1m 0s",
                "lastRunAt": "2026-02-27T00:00:00.000Z",
                "lastSuccessAt": "2026-02-27T00:00:00.000Z",
                "lastFailureAt": "2026-02-26T00:00:00.000Z",
                "lastFailureError": "first",
                "nextRunAt": "2026-02-28T00:00:07.512Z",
                "nextFireAt": "2026-02-28T00:00:00.000Z",
            }
            assert [r["traceId"] for r in detail["recentRuns"]] == ["n2", "n1"]
            bad_zone = await stack.ops.get("/api/cron-detail/odd_zone")
            assert bad_zone.status_code == 400
            assert bad_zone.json() == {"error": "invalid time zone", "timeZone": "Mars/Olympus"}
            steps = await stack.get_json("/api/cron-detail/steps")  # unparsed cron: no time zone lookup
            assert steps["metrics"]["nextRunAt"] is None
            assert steps["metrics"]["nextFireAt"] == "2026-02-27T14:15:00.000Z"
            missing = await stack.ops.get("/api/cron-detail/nope")
            assert missing.status_code == 404
            assert missing.json() == {"error": "schedule not found", "scheduleId": "nope"}

    run(body())


def test_builtin_cron_detail_serializes_in_manifest_order() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            response = await stack.ops.get("/api/cron-detail/heartbeat_hourly")
            assert response.text.startswith(
                '{"schedule":{"id":"heartbeat_hourly","cron":"0 * * * *","enabled":true,'
                '"target":"f/examples/heartbeat_hourly","timeZone":"UTC"}'
            )

    run(body())


def test_cron_run_enqueues_and_the_runtime_runs_it() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            response = await stack.ops.post("/api/cron-run/heartbeat_hourly")
            assert response.status_code == 202
            accepted = response.json()
            assert accepted["trigger"] == "manual_ops_dashboard"
            assert accepted["enqueuedAt"] == START_ISO
            assert accepted["scheduleId"] == "heartbeat_hourly"
            pending = stack.runtime.queue.pending()
            assert len(pending) == 1
            assert pending[0].body == {
                "kind": "scheduled_job",
                "traceId": accepted["traceId"],
                "scheduleId": "heartbeat_hourly",
                "payload": {
                    "target": "f/examples/heartbeat_hourly",
                    "cron": "0 * * * *",
                    "timeZone": "UTC",
                    "scheduledTime": START_ISO,
                    "trigger": "manual_ops_dashboard",
                },
                "enqueuedAt": START_ISO,
            }
            await stack.runtime.drain()
            runs = await stack.get_json("/api/runs", scheduleId="heartbeat_hourly")
            assert [(r["traceId"], r["status"]) for r in runs["runs"]] == [(accepted["traceId"], "succeeded")]
            for unknown in ("nope", "cleanup_daily_disabled"):
                missing = await stack.ops.post(f"/api/cron-run/{unknown}")
                assert missing.status_code == 404
                assert missing.json() == {"error": "unknown or disabled schedule", "scheduleId": unknown}

    run(body())


def test_cron_run_refuses_disabled_schedules() -> None:
    schedules = [{"id": "off", "cron": "0 * * * *", "enabled": False, "target": "f", "timeZone": "UTC"}]
    env = {"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": json.dumps(schedules)}

    async def body() -> None:
        async with ops_stack(env=env) as stack:
            response = await stack.ops.post("/api/cron-run/off")
            assert response.status_code == 404
            assert response.json() == {"error": "unknown or disabled schedule", "scheduleId": "off"}
            assert stack.runtime.queue.pending() == []

    run(body())


def test_timeline_hour_and_minute() -> None:
    async def body() -> None:
        async with seeded() as stack:
            await seed_run(
                stack.db,
                "other",
                "http_route",
                "",
                "",
                "failed",
                "2026-02-27T13:59:00.000Z",
                "2026-02-27T13:59:01.000Z",
                error="x",
            )
            await seed_run(stack.db, "weird", "http_route", "webhook_echo", None, "queued", "2026-02-27T13:58:00.000Z")
            await seed_run(stack.db, "busy", "http_route", "webhook_echo", None, "running", "2026-02-27T13:58:30.000Z")
            hourly = await stack.get_json("/api/timeline")
            assert hourly["bucket"] == "hour"
            assert hourly["since"] == "2026-02-26T14:07:08.762Z"
            assert hourly["buckets"] == [
                {
                    "bucket": "2026-02-27T13:00:00Z",
                    "succeeded": 0,
                    "failed": 1,
                    "running": 1,
                    "total": 3,
                    "topFailureScope": "unknown",
                    "topFailureCount": 1,
                },
                {
                    "bucket": "2026-02-27T14:00:00Z",
                    "succeeded": 1,
                    "failed": 1,
                    "running": 1,
                    "total": 3,
                    "topFailureScope": "chat_notify",
                    "topFailureCount": 1,
                },
            ]
            minute = await stack.get_json("/api/timeline", bucket=" minute ")
            assert minute["bucket"] == "minute"
            assert [b["bucket"] for b in minute["buckets"]] == [
                "2026-02-27T13:58:00Z",
                "2026-02-27T13:59:00Z",
                "2026-02-27T14:07:00Z",
            ]
            assert minute["buckets"][0]["topFailureScope"] is None
            assert (await stack.get_json("/api/timeline", bucket="Minute"))["bucket"] == "hour"

    run(body())


def test_timeline_detail() -> None:
    async def body() -> None:
        async with seeded() as stack:
            detail = await stack.get_json("/api/timeline-detail", bucket=" 2026-02-27T14:00:00Z ", limit="2")
            assert detail["bucket"] == "2026-02-27T14:00:00Z"
            assert detail["resolution"] == "hour"
            assert detail["window"] == {"start": "2026-02-27T14:00:00.000Z", "end": "2026-02-27T15:00:00.000Z"}
            assert detail["statusCounts"] == {"succeeded": 1, "failed": 1, "running": 1, "total": 3}
            assert detail["topScopes"] == [{"scope": "chat_notify", "count": 1}]
            assert [r["traceId"] for r in detail["runs"]] == ["trace-failed-1", "trace-started-1"]
            assert set(detail["runs"][0]) == {
                "traceId",
                "kind",
                "routePath",
                "scheduleId",
                "status",
                "startedAt",
                "duration",
                "error",
            }
            unaligned = await stack.get_json(
                "/api/timeline-detail", bucket="2026-02-27 14:07:07.600", resolution="minute"
            )
            assert unaligned["window"] == {"start": "2026-02-27T14:07:07.600Z", "end": "2026-02-27T14:08:07.600Z"}
            assert unaligned["resolution"] == "minute"
            assert [r["traceId"] for r in unaligned["runs"]] == ["trace-failed-1", "trace-started-1"]

    run(body())


@pytest.mark.parametrize(
    ("params", "payload"),
    [
        ({}, {"error": "bucket query param is required"}),
        ({"bucket": "  "}, {"error": "bucket query param is required"}),
        ({"bucket": "2026-02-27T14"}, {"error": "invalid bucket format", "bucket": "2026-02-27T14"}),
        ({"bucket": "x" * 130}, {"error": "invalid bucket format", "bucket": "x" * 120}),
        (
            {"bucket": "+275760-09-13T00:00:00.000Z"},
            {"error": "invalid bucket format", "bucket": "+275760-09-13T00:00:00.000Z"},
        ),
    ],
)
def test_timeline_detail_bad_requests(params: dict[str, str], payload: dict[str, str]) -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            response = await stack.ops.get("/api/timeline-detail", params=params)
            assert response.status_code == 400
            assert response.headers["content-type"] == JSON_TYPE
            assert response.json() == payload

    run(body())


def test_error_clusters() -> None:
    async def body() -> None:
        async with seeded() as stack:
            db = stack.db
            await seed_run(
                db,
                "e1",
                "http_route",
                "webhook_echo",
                None,
                "failed",
                "2026-02-27T12:00:00.000Z",
                "2026-02-27T12:00:01.000Z",
                error="Timeout after 1000 ms",
            )
            await seed_run(
                db,
                "e2",
                "http_route",
                "",
                None,
                "failed",
                "2026-02-27T13:00:00.000Z",
                "2026-02-27T13:00:01.000Z",
                error="timeout after 2000 ms",
            )
            await seed_run(
                db,
                "e3",
                "scheduled_job",
                None,
                "cleanup_daily",
                "failed",
                "2026-02-27T13:00:00.000Z",
                "2026-02-27T13:00:01.000Z",
                error="disk full",
            )
            await seed_run(
                db,
                "e4",
                "scheduled_job",
                None,
                None,
                "failed",
                "2026-02-27T13:00:00.000Z",
                "2026-02-27T13:00:01.000Z",
                error="no scope",
            )
            await seed_run(
                db,
                "e5",
                "scheduled_job",
                None,
                None,
                "failed",
                "2026-02-27T13:00:00.000Z",
                "2026-02-27T13:00:01.000Z",
                error="",
            )
            clusters = await stack.get_json("/api/error-clusters")
            assert clusters["since"] == "2026-02-26T14:07:08.762Z"
            by_key = {c["key"]: c for c in clusters["clusters"]}
            assert by_key["timeout after {n} ms"] == {
                "key": "timeout after {n} ms",
                "count": 2,
                "sample": "timeout after 2000 ms",
                "scope": "",
                "latestAt": "2026-02-27T13:00:00.000Z",
            }
            assert by_key["disk full"]["scope"] == "cleanup_daily"
            assert by_key["no scope"]["scope"] == "unknown"
            assert "old failure" not in by_key  # outside the window
            # latestAt desc, then count desc: the 13:00 ones, larger cluster first.
            keys = [c["key"] for c in clusters["clusters"]]
            assert keys[0].startswith("workflow failed")
            assert keys[1] == "timeout after {n} ms"
            assert keys[-1] == "timeout after {n} ms" or len(keys) == 4
            assert len((await stack.get_json("/api/error-clusters", limit="2"))["clusters"]) == 2

    run(body())


class _FakeService:
    def __init__(self, response: httpx.Response | Exception) -> None:
        self.response = response
        self.calls: list[tuple[str, str]] = []

    async def fetch(self, method: str, url_or_path: str) -> httpx.Response:
        self.calls.append((method, url_or_path))
        if isinstance(self.response, Exception):
            raise self.response
        return self.response


@pytest.mark.parametrize(
    ("service", "payload"),
    [
        (None, {"available": False, "reason": "workflow service binding is not configured on ops-dashboard"}),
        (
            _FakeService(httpx.Response(503, text="down")),
            {"available": False, "reason": "workflow /health/config failed: 503 down"},
        ),
        (
            _FakeService(RuntimeError("network is unreachable")),
            {"available": False, "reason": "network is unreachable"},
        ),
        (
            _FakeService(httpx.Response(200, text="null")),
            {"available": False, "reason": "Cannot read properties of null (reading 'ok')"},
        ),
        (_FakeService(httpx.Response(200, json={"ok": True})), {"available": True, "ok": True, "errors": []}),
        (
            _FakeService(httpx.Response(200, json={"ok": False, "errors": None, "worker": "w"})),
            {"available": True, "ok": False, "worker": "w", "errors": []},
        ),
    ],
)
def test_secrets_health_situations(service: _FakeService | None, payload: dict[str, Any]) -> None:
    async def body() -> None:
        async with ops_stack(worker_env={"ops-dashboard": {"WORKFLOW_SERVICE": service}}) as stack:
            assert await stack.get_json("/api/secrets-health") == payload
            if service is not None:
                assert service.calls == [("GET", "http://workflow.internal/health/config")]

    run(body())


def test_secrets_health_through_the_workflow_worker() -> None:
    async def body() -> None:
        async with ops_stack(env={"CHAT_WEBHOOK_URL": "https://chat.example/in"}) as stack:
            health = await stack.get_json("/api/secrets-health")
            assert health["available"] is True
            assert health["env"] == "dev"
            assert health["worker"] == "workflow"
            assert all("chat webhook" not in error for error in health["errors"])

    run(body())


def test_secrets_health_reports_non_json_bodies() -> None:
    async def body() -> None:
        service = _FakeService(httpx.Response(200, text="<html>"))
        async with ops_stack(worker_env={"ops-dashboard": {"WORKFLOW_SERVICE": service}}) as stack:
            health = await stack.get_json("/api/secrets-health")
            assert health["available"] is False
            assert health["reason"]

    run(body())


# -- properties ----------------------------------------------------------------------------------------------

_STATUS = st.sampled_from(["started", "succeeded", "failed", "running"])


def _iso(offset_seconds: int) -> str:
    return to_iso_string(1772201227512 + offset_seconds * 1000)


_ROW = st.tuples(
    st.sampled_from(["webhook_echo", "chat_notify", "", None]),
    st.sampled_from(["heartbeat_hourly", None]),
    _STATUS,
    st.integers(min_value=-40 * 3600, max_value=0),
)


_OPS = DirectOps()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ROW, max_size=25), st.lists(st.integers(min_value=-40 * 3600, max_value=0), max_size=5))
def test_summary_counts_equal_direct_sql(rows: list[tuple[Any, ...]], dead: list[int]) -> None:
    ops = _OPS
    ops.reset()

    async def body() -> None:
        for index, (route, schedule, status, offset) in enumerate(rows):
            kind = "http_route" if route is not None else "scheduled_job"
            stamp = _iso(offset)
            await seed_run(ops.db, f"t{index}", kind, route, schedule, status, stamp, stamp, error="e")
        for index, offset in enumerate(dead):
            await seed_dead_letter(ops.db, f"d{index}", "{}", "e", _iso(offset))
        summary = await ops.get_json("/api/summary")
        since = summary["since"]

        def count(sql: str) -> int:
            return int(ops.db.query(sql, since)[0]["n"])

        assert summary["totalRuns"] == count("SELECT COUNT(*) AS n FROM runs WHERE started_at >= ?")
        for field, status in (("succeededRuns", "'succeeded'"), ("failedRuns", "'failed'")):
            assert summary[field] == count(
                f"SELECT COUNT(*) AS n FROM runs WHERE started_at >= ? AND status = {status}"
            )
        assert summary["startedRuns"] == count(
            "SELECT COUNT(*) AS n FROM runs WHERE started_at >= ? AND status IN ('started', 'running')"
        )
        assert summary["deadLetters"] == count("SELECT COUNT(*) AS n FROM dead_letters WHERE created_at >= ?")
        assert summary["totalRuns"] == summary["succeededRuns"] + summary["failedRuns"] + summary["startedRuns"]
        top = [(t["routePath"], t["count"]) for t in summary["topRoutes"]]
        assert top == sorted(top, key=lambda item: (-item[1], item[0]))
        assert all(path for path, _ in top)
        assert len(top) <= 8

    run(body())


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["/api/runs", "/api/dead-letters", "/api/replays", "/api/error-clusters"]),
    st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 400).map(str)),
)
def test_limit_is_echoed_and_bounds_lists(path: str, raw: str | None) -> None:
    ops = _OPS
    ops.reset()

    async def body() -> None:
        for index in range(3):
            stamp = _iso(-index)
            await seed_run(
                ops.db,
                f"t{index}",
                "http_route",
                "webhook_echo",
                None,
                "failed",
                stamp,
                stamp,
                error=f"error {index} kind{index}",
            )
            await seed_dead_letter(ops.db, f"t{index}", "{}", "e", stamp)
            await (
                ops.db.prepare(
                    "INSERT INTO replay_lineage (parent_trace_id, child_trace_id, source_dead_letter_id, retry_count,"
                    " created_at, last_retry_at) VALUES (?1, ?2, 1, 1, ?3, ?3)"
                )
                .bind("p", f"c{index}", stamp)
                .run()
            )
        params = {} if raw is None else {"limit": raw}
        payload = await ops.get_json(path, **params)
        effective = parse_limit(raw)
        items = next(value for key, value in payload.items() if isinstance(value, list))
        if path == "/api/replays":
            items = [attempt for chain in items for attempt in chain["attempts"]]
        if path != "/api/error-clusters":
            assert payload["limit"] == effective
        assert len(items) == min(3, effective)

    run(body())
