"""Dead-letter retry and replay lineage (spec 9.5.8, 9.5.9, 9.6; 12.8 items 8 and 9)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workerflow_kit.runtime.bindings.queue import QueueError

from .support import JSON_TYPE, START_ISO, Stack, ops_stack, route_task, run, seed_dead_letter, seed_run


async def fail_chat(stack: Stack, trace: str) -> None:
    """chat_notify without a webhook: the runtime records a failed run and a dead letter."""
    assert (await stack.submit("chat_notify", {"text": "hello"}, trace)).status_code == 202
    await stack.runtime.drain()


def lineage(stack: Stack) -> list[dict[str, Any]]:
    return stack.db.query(
        "SELECT parent_trace_id, child_trace_id, source_dead_letter_id, retry_count, created_at, last_retry_at "
        "FROM replay_lineage ORDER BY id"
    )


def test_retry_replays_the_task_and_records_lineage() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            await fail_chat(stack, "trace-dead-1")
            stored = stack.db.query("SELECT id, payload_json, created_at FROM dead_letters")[0]
            await stack.clock.advance(30)
            response = await stack.ops.post("/api/retry/trace-dead-1", content=b"ignored body")
            assert response.status_code == 202
            assert response.headers["content-type"] == JSON_TYPE
            accepted = response.json()
            child = accepted["newTraceId"]
            assert accepted == {
                "accepted": True,
                "retriedFromTraceId": "trace-dead-1",
                "deadLetterId": stored["id"],
                "originalCreatedAt": stored["created_at"],
                "newTraceId": child,
                "retryCount": 1,
            }
            now = "2026-02-27T14:07:37.512Z"
            pending = stack.runtime.queue.pending()
            assert len(pending) == 1
            expected = json.loads(stored["payload_json"])
            expected.update(traceId=child, enqueuedAt=now)
            assert pending[0].body == expected
            assert list(pending[0].body) == list(json.loads(stored["payload_json"]))  # key order kept
            assert lineage(stack) == [
                {
                    "parent_trace_id": "trace-dead-1",
                    "child_trace_id": child,
                    "source_dead_letter_id": stored["id"],
                    "retry_count": 1,
                    "created_at": now,
                    "last_retry_at": now,
                }
            ]
            assert stack.db.query("SELECT * FROM idempotency_keys WHERE trace_id = ?", child) == []
            # The child runs like any task and fails again (still no webhook) with its own dead letter.
            await stack.runtime.drain()
            parent_run = stack.db.query("SELECT status FROM runs WHERE trace_id = 'trace-dead-1'")
            assert parent_run == [{"status": "failed"}]
            assert stack.db.query("SELECT COUNT(*) AS n FROM dead_letters WHERE trace_id = ?", child) == [{"n": 1}]
            replays = (await stack.ops.get("/api/replays")).json()
            assert replays["chains"] == [
                {
                    "parentTraceId": "trace-dead-1",
                    "parentStatus": "failed",
                    "attempts": [
                        {
                            "childTraceId": child,
                            "sourceDeadLetterId": stored["id"],
                            "retryCount": 1,
                            "createdAt": now,
                            "childStatus": "failed",
                            "childError": replays["chains"][0]["attempts"][0]["childError"],
                        }
                    ],
                }
            ]
            assert replays["chains"][0]["attempts"][0]["childError"].startswith("workflow failed: 500")
            detail = (await stack.ops.get(f"/api/run-detail/{child}")).json()
            assert detail["retries"]["parentTraceId"] == "trace-dead-1"
            assert [a["childTraceId"] for a in detail["retries"]["attempts"]] == [child]

    run(body())


def test_retry_succeeds_once_the_configuration_is_fixed() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            await fail_chat(stack, "trace-dead-2")
            stack.runtime.env_for("workflow")["CHAT_WEBHOOK_URL"] = "https://chat.example/in"
            import respx

            with respx.mock(assert_all_called=True) as mock:
                mock.post("https://chat.example/in").respond(200, json={})
                accepted = (await stack.ops.post("/api/retry/trace-dead-2")).json()
                await stack.runtime.drain()
            runs = (await stack.ops.get("/api/runs", params={"status": "succeeded"})).json()["runs"]
            assert [r["traceId"] for r in runs] == [accepted["newTraceId"]]
            chain = (await stack.ops.get("/api/replays")).json()["chains"][0]
            assert chain["attempts"][0]["childStatus"] == "succeeded"
            assert chain["attempts"][0]["childError"] is None

    run(body())


def test_chains_are_not_collapsed_and_retry_counts_grow_per_parent() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            await fail_chat(stack, "root")
            first = (await stack.ops.post("/api/retry/root")).json()
            await stack.clock.advance(1)
            second = (await stack.ops.post("/api/retry/root")).json()
            assert (first["retryCount"], second["retryCount"]) == (1, 2)
            await stack.runtime.drain()
            await stack.clock.advance(1)
            grandchild = (await stack.ops.post(f"/api/retry/{first['newTraceId']}")).json()
            assert grandchild["retryCount"] == 1  # a new parent: the child that was retried
            replays = (await stack.ops.get("/api/replays")).json()["chains"]
            assert [c["parentTraceId"] for c in replays] == [first["newTraceId"], "root"]
            assert [a["retryCount"] for a in replays[1]["attempts"]] == [1, 2]
            middle = (await stack.ops.get(f"/api/run-detail/{first['newTraceId']}")).json()["retries"]
            assert middle["parentTraceId"] == "root"  # first attempt by retry_count is the child row itself
            assert {a["childTraceId"] for a in middle["attempts"]} == {first["newTraceId"], grandchild["newTraceId"]}

    run(body())


@settings(max_examples=8, deadline=None)
@given(st.integers(min_value=1, max_value=6))
def test_retry_count_increases_by_one_per_retry_of_a_parent(times: int) -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            await seed_run(stack.db, "p", "http_route", "webhook_echo", None, "failed", START_ISO, START_ISO, error="x")
            await seed_dead_letter(stack.db, "p", route_task("p", "webhook_echo", {"a": 1}), "x", START_ISO)
            counts = []
            for _ in range(times):
                counts.append((await stack.ops.post("/api/retry/p")).json()["retryCount"])
                await stack.clock.advance(1)
            assert counts == list(range(1, times + 1))
            assert [row["retry_count"] for row in lineage(stack)] == counts
            assert len(stack.runtime.queue.pending()) == times

    run(body())


def test_newest_dead_letter_is_used() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            await seed_dead_letter(stack.db, "t", "{broken", "old", "2026-02-27T10:00:00.000Z")
            await seed_dead_letter(stack.db, "t", route_task("t", "webhook_echo"), "new", "2026-02-27T09:00:00.000Z")
            response = await stack.ops.post("/api/retry/t")
            assert response.status_code == 202
            assert response.json()["deadLetterId"] == 2
            assert response.json()["originalCreatedAt"] == "2026-02-27T09:00:00.000Z"

    run(body())


@pytest.mark.parametrize(
    ("stored", "status", "error"),
    [
        ("{not json", 422, "dead letter payload is invalid JSON"),
        ("", 422, "dead letter payload is invalid JSON"),
        ("[1]", 422, "dead letter payload is not a queue task"),
        ('"text"', 422, "dead letter payload is not a queue task"),
        (route_task("", "webhook_echo"), 422, "dead letter payload is not a queue task"),
        ({**route_task("t", "webhook_echo"), "enqueuedAt": ""}, 422, "dead letter payload is not a queue task"),
        ({**route_task("t", "webhook_echo"), "routePath": None}, 422, "dead letter payload is not a queue task"),
        ({**route_task("t", "x"), "kind": "other"}, 422, "dead letter payload is not a queue task"),
        (
            {"kind": "scheduled_job", "traceId": "t", "enqueuedAt": START_ISO},
            422,
            "dead letter payload is not a queue task",
        ),
    ],
)
def test_invalid_payloads_are_422(stored: Any, status: int, error: str) -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            await seed_dead_letter(stack.db, "t", stored, "x", START_ISO)
            response = await stack.ops.post("/api/retry/t")
            assert response.status_code == status
            assert response.json() == {"error": error, "traceId": "t"}
            assert stack.runtime.queue.pending() == []
            assert lineage(stack) == []

    run(body())


@pytest.mark.parametrize(
    ("task", "env", "reason"),
    [
        (route_task("t", ""), {}, "http_route task missing routePath"),
        (route_task("t", "nope"), {}, 'route "nope" is not registered'),
        (route_task("t", "webhook_echo"), {"DISABLED_HTTP_ROUTES": "webhook_echo"}, 'route "webhook_echo" is disabled'),
        (route_task("t", "webhook_echo"), {"ENABLED_HTTP_ROUTES": "chat_notify"}, 'route "webhook_echo" is disabled'),
        (
            {"kind": "scheduled_job", "traceId": "t", "scheduleId": "", "enqueuedAt": START_ISO},
            {},
            "scheduled_job task missing scheduleId",
        ),
        (
            {"kind": "scheduled_job", "traceId": "t", "scheduleId": "nope", "enqueuedAt": START_ISO},
            {},
            'schedule "nope" is not enabled',
        ),
        (
            {"kind": "scheduled_job", "traceId": "t", "scheduleId": "off", "enqueuedAt": START_ISO},
            {
                "MANIFEST_MODE": "config",
                "SCHEDULES_CONFIG_JSON": json.dumps(
                    [{"id": "off", "cron": "0 * * * *", "enabled": False, "target": "f", "timeZone": "UTC"}]
                ),
            },
            'schedule "off" is not enabled',
        ),
    ],
)
def test_blocked_retries_are_409(task: dict[str, Any], env: dict[str, object], reason: str) -> None:
    async def body() -> None:
        async with ops_stack(env=env) as stack:
            await seed_dead_letter(stack.db, "t", task, "x", START_ISO)
            response = await stack.ops.post("/api/retry/t")
            assert response.status_code == 409
            assert response.json() == {"error": "retry blocked", "traceId": "t", "reason": reason}
            assert stack.runtime.queue.pending() == []

    run(body())


def test_enabled_schedule_task_is_replayed() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            task = {
                "kind": "scheduled_job",
                "traceId": "t",
                "scheduleId": "heartbeat_hourly",
                "payload": {"target": "x"},
                "enqueuedAt": START_ISO,
                "extra": [1, 2],
            }
            await seed_dead_letter(stack.db, "t", task, "x", START_ISO)
            response = await stack.ops.post("/api/retry/t")
            assert response.status_code == 202
            body_sent = stack.runtime.queue.pending()[0].body
            assert body_sent["extra"] == [1, 2]
            assert body_sent["scheduleId"] == "heartbeat_hourly"

    run(body())


def test_unknown_dead_letter_is_404() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            response = await stack.ops.post("/api/retry/not-real")
            assert response.status_code == 404
            assert response.json() == {"error": "dead letter not found", "traceId": "not-real"}

    run(body())


def test_missing_lineage_table_still_accepts_with_null_count() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            await fail_chat(stack, "t")
            stack.db.query("DROP TABLE replay_lineage")
            response = await stack.ops.post("/api/retry/t")
            assert response.status_code == 202
            assert response.json()["retryCount"] is None
            assert len(stack.runtime.queue.pending()) == 1

    run(body())


class _FailingQueue:
    async def send(self, body: Any) -> None:
        raise QueueError("queue is full")


def test_lineage_is_written_only_after_a_successful_send() -> None:
    async def body() -> None:
        async with ops_stack(worker_env={"ops-dashboard": {"AUTOMATION_QUEUE": _FailingQueue()}}) as stack:
            await fail_chat(stack, "t")
            response = await stack.ops.post("/api/retry/t")
            assert response.status_code == 500
            assert response.headers["content-type"] == JSON_TYPE
            assert response.json() == {"error": "queue unavailable", "message": "queue send failed: queue is full"}
            assert lineage(stack) == []

    run(body())
