"""The Runtime: five workers wired end to end in process, on a virtual clock."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.runtime import stack as stack_module
from workerflow_kit.runtime.bindings.clock import SystemClock, VirtualClock
from workerflow_kit.runtime.bindings.d1 import D1Database
from workerflow_kit.runtime.bindings.queue import Queue, QueueSettings
from workerflow_kit.runtime.bindings.service import ServiceBinding
from workerflow_kit.runtime.handlers.registry import builtin_registry
from workerflow_kit.runtime.http import Headers, Request, Response, WorkerApp
from workerflow_kit.runtime.stack import WORKER_DIRS, InProcessServiceBinding, Runtime, RuntimeUsageError

T = TypeVar("T")
START = datetime(2028, 1, 1, tzinfo=UTC)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def client(app: WorkerApp, host: str = "api.test") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=f"http://{host}")


async def post(runtime: Runtime, route: str, body: Any, trace: str | None = None) -> httpx.Response:
    headers = {"x-trace-id": trace} if trace else {}
    async with client(runtime.api_app) as c:
        return await c.post(f"/api/{route}", json=body, headers=headers)


def runs(runtime: Runtime) -> list[dict[str, Any]]:
    return runtime.db.query("SELECT trace_id, kind, route_path, schedule_id, status, output, error FROM runs")


# ------------------------------------------------------------------------------------------ wiring


def test_envs_follow_wrangler_vars_user_env_bindings_and_overrides() -> None:
    async def scenario() -> None:
        async with await Runtime.start(env={"FOO": "1", "ENV_NAME": "prod"}, worker_env={"api": {"FOO": "2"}}) as rt:
            api, consumer, workflow = rt.env_for("api"), rt.env_for("queue-consumer"), rt.env_for("workflow")
            scheduler, ops = rt.env_for("scheduler"), rt.env_for("ops")
            assert api["ENV_NAME"] == "prod"  # user env over wrangler vars
            assert api["FOO"] == "2"  # per-worker override over user env
            assert consumer["FOO"] == "1"
            assert api["DB"] is rt.db
            assert consumer["DB"] is rt.db
            assert ops["DB"] is rt.db
            assert workflow["DB"] is rt.db
            assert "DB" not in scheduler
            assert api["AUTOMATION_QUEUE"] is rt.queue
            assert scheduler["AUTOMATION_QUEUE"] is rt.queue
            assert ops["AUTOMATION_QUEUE"] is rt.queue
            assert "AUTOMATION_QUEUE" not in consumer
            assert "AUTOMATION_QUEUE" not in workflow
            service = api["WORKFLOW_SERVICE"]
            assert isinstance(service, ServiceBinding)
            assert service.app is rt.workflow_app
            # one long-lived binding shared by every caller
            assert consumer["WORKFLOW_SERVICE"] is service
            assert ops["WORKFLOW_SERVICE"] is service
            assert "WORKFLOW_SERVICE" not in workflow
            assert "WORKFLOW_SERVICE" not in scheduler

    run(scenario())


def test_worker_env_with_unknown_worker_is_rejected() -> None:
    with pytest.raises(RuntimeUsageError, match="unknown worker"):
        run(Runtime.start(worker_env={"apy": {}}))


def test_queue_settings_default_to_the_projects_consumer_and_profiles_apply() -> None:
    async def scenario() -> list[QueueSettings]:
        out = []
        for profile in (None, "miniflare", QueueSettings(max_batch_size=3)):
            async with await Runtime.start(queue_profile=profile) as rt:
                out.append(rt.queue.settings)
        return out

    default, miniflare, explicit = run(scenario())
    assert default == QueueSettings.cloudflare()
    assert miniflare == QueueSettings.miniflare()
    assert explicit.max_batch_size == 3


def test_default_clock_is_virtual_and_advance_needs_it() -> None:
    async def scenario() -> None:
        async with await Runtime.start() as rt:
            assert isinstance(rt.clock, VirtualClock)
        async with await Runtime.start(clock=SystemClock()) as rt:
            with pytest.raises(RuntimeUsageError, match="real clock"):
                await rt.advance(1)

    run(scenario())


def test_health_on_every_served_worker() -> None:
    async def scenario() -> dict[str, Any]:
        out = {}
        async with await Runtime.start() as rt:
            for name, app, path in [
                ("api", rt.api_app, "/api/health"),
                ("workflow", rt.workflow_app, "/health"),
                ("ops", rt.ops_app, "/health"),
                ("scheduler", rt.scheduler_app, "/health"),
            ]:
                async with client(app) as c:
                    response = await c.get(path)
                out[name] = (response.status_code, response.json())
        return out

    answers = run(scenario())
    assert all(status == 200 for status, _ in answers.values())
    assert answers["scheduler"][1] == {"ok": True, "worker": "scheduler"}
    assert answers["ops"][1]["worker"] == "ops-dashboard"


# ------------------------------------------------------------------------------------------ end to end


def test_async_route_accept_drain_succeeded_run() -> None:
    async def scenario() -> tuple[httpx.Response, list[dict[str, Any]], int]:
        async with await Runtime.start(clock=VirtualClock(start=START)) as rt:
            response = await post(rt, "webhook_echo", {"hello": "world"}, trace="trace-e2e-1")
            pending = rt.queue.pending_count()
            await rt.drain()
            return response, runs(rt), pending

    response, rows, pending = run(scenario())
    assert response.status_code == 202
    assert response.json()["traceId"] == "trace-e2e-1"
    assert pending == 1
    (row,) = rows
    assert row["trace_id"] == "trace-e2e-1"
    assert row["status"] == "succeeded"
    assert json.loads(row["output"])["received"] == {"hello": "world"}


def test_sync_route_answers_trace_and_result_and_leaves_no_run() -> None:
    async def scenario() -> tuple[httpx.Response, list[dict[str, Any]], int]:
        async with await Runtime.start(env={"GOOGLEAI_API_KEY": "k"}) as rt:
            body = {"firstName": "Ava", "lastName": "Ng", "email": "AVA@Example.COM", "phone": "(555) 111-2222"}
            response = await post(rt, "lead_normalizer", body, trace="trace-sync-1")
            return response, runs(rt), rt.queue.pending_count()

    response, rows, pending = run(scenario())
    assert response.status_code == 200
    payload = response.json()
    assert list(payload) == ["traceId", "result"]
    assert payload["traceId"] == "trace-sync-1"
    assert payload["result"]["normalized"]["email"] == "ava@example.com"
    assert rows == []
    assert pending == 0


def test_failing_chat_notify_is_a_failed_run_and_one_dead_letter_acked() -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any]:
        async with await Runtime.start() as rt:
            await post(rt, "chat_notify", {"text": "hi"}, trace="trace-chat-1")
            batches = await rt.drain()
            assert batches == 1  # acked on the first delivery: the error is not retryable
            return runs(rt), rt.db.query("SELECT trace_id, error FROM dead_letters"), rt.queue.stats

    rows, dead, stats = run(scenario())
    (row,) = rows
    assert row["status"] == "failed"
    assert "missing chat webhook URL" in row["error"]
    assert [d["trace_id"] for d in dead] == ["trace-chat-1"]
    assert stats.acked == 1
    assert stats.retried == 0


def test_chat_notify_with_webhook_env_succeeds_through_outbound() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    async def scenario() -> list[dict[str, Any]]:
        outbound = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with await Runtime.start(env={"CHAT_WEBHOOK_URL": "https://chat.example/in"}, outbound=outbound) as rt:
            await post(rt, "chat_notify", {"text": "hi"})
            await rt.drain()
            rows = runs(rt)
        assert not outbound.is_closed  # a client the caller passed is the caller's to close
        await outbound.aclose()
        return rows

    (row,) = run(scenario())
    assert row["status"] == "succeeded"
    assert [str(r.url) for r in seen] == ["https://chat.example/in"]


def test_custom_handler_registry_is_used_by_the_workflow() -> None:
    registry = builtin_registry()

    @registry.http("custom_ping")
    async def ping(payload: Any, trace_id: str, ctx: Any) -> dict[str, Any]:
        return {"pong": payload}

    routes = [{"routePath": "custom_ping", "requestType": "async", "flowPath": "f/c/ping", "wrapBody": False}]

    async def scenario() -> list[dict[str, Any]]:
        env = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": json.dumps(routes)}
        async with await Runtime.start(env=env, handlers=registry) as rt:
            response = await post(rt, "custom_ping", {"n": 1})
            assert response.status_code == 202
            await rt.drain()
            return runs(rt)

    (row,) = run(scenario())
    assert row["status"] == "succeeded"
    assert json.loads(row["output"]) == {"pong": {"n": 1}}


# ------------------------------------------------------------------------------------------ cron and clock


def test_scheduled_endpoint_triggers_the_scheduler_now() -> None:
    schedules = [
        {"id": "example_daily", "cron": "0 0 * * *", "enabled": True, "target": "f/example/daily", "timeZone": "UTC"}
    ]

    async def scenario() -> tuple[list[tuple[int, str]], list[Any]]:
        env = {"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": json.dumps(schedules)}
        clock = VirtualClock(start=datetime(2028, 1, 1, 12, 30, 15, 500_000, tzinfo=UTC))
        async with await Runtime.start(env=env, clock=clock) as rt:
            answers = []
            async with client(rt.scheduler_app, "scheduler.test") as c:
                for url in ["/__scheduled?cron=0+0+*+*+*", "/__scheduled?cron=*/5%20*%20*%20*%20*", "/__scheduled"]:
                    response = await c.get(url)
                    answers.append((response.status_code, response.text))
            bodies = [m.body for m in rt.queue.pending()]
            await rt.drain()
            assert [r["schedule_id"] for r in runs(rt)] == ["example_daily"]
            return answers, bodies

    answers, bodies = run(scenario())
    assert answers[0] == (200, "Ran scheduled event")
    assert answers[1] == (200, "Ran scheduled event")  # no schedule matches: nothing enqueued, still ran
    assert answers[2][0] == 400
    (task,) = bodies
    assert task["scheduleId"] == "example_daily"
    assert task["payload"]["scheduledTime"] == "2028-01-01T12:30:15.500Z"  # now, as wrangler's door


def test_scheduled_endpoint_with_a_broken_manifest_is_a_500() -> None:
    async def scenario() -> int:
        env = {"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": "{not-json}"}
        async with await Runtime.start(env=env) as rt, client(rt.scheduler_app) as c:
            return (await c.get("/__scheduled?cron=0+0+*+*+*")).status_code

    assert run(scenario()) == 500


def test_advancing_a_day_fires_config_schedule_and_auto_delivery_runs_it() -> None:
    schedules = [
        {"id": "example_daily", "cron": "0 0 * * *", "enabled": True, "target": "f/example/daily", "timeZone": "UTC"},
        {
            "id": "heartbeat_hourly",
            "cron": "0 * * * *",
            "enabled": True,
            "target": "f/examples/heartbeat_hourly",
            "timeZone": "UTC",
        },
    ]

    registry = builtin_registry()
    registry.add_cron("example_daily", lambda payload, trace_id, ctx: {"ok": True})

    async def scenario() -> list[dict[str, Any]]:
        env = {"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": json.dumps(schedules)}
        clock = VirtualClock(start=START)
        async with await Runtime.start(env=env, clock=clock, auto_deliver=True, handlers=registry) as rt:
            await rt.advance(3 * 86_400 + 60)  # batch timeout (5 s) passes after each midnight
            return runs(rt)

    rows = run(scenario())
    # heartbeat_hourly's "0 * * * *" is no trigger (Q1): only example_daily runs, once per midnight.
    assert [r["schedule_id"] for r in rows] == ["example_daily"] * 3
    assert all(r["status"] == "succeeded" for r in rows)


def test_builtins_never_enqueue_over_a_simulated_month() -> None:
    async def scenario() -> tuple[int, int]:
        async with await Runtime.start(clock=VirtualClock(start=START)) as rt:
            await rt.advance(31 * 86_400)
            return rt.queue.stats.sent, sum(rt.cron.fired.values())

    sent, fired = run(scenario())
    assert fired == 31 + 1 + 1 + 4  # daily, 1st, 3rd, Thursdays in January 2028 (after the start instant)
    assert sent == 0


def test_fire_due_crons_and_trigger_cron() -> None:
    schedules = [
        {"id": "example_daily", "cron": "0 0 * * *", "enabled": True, "target": "f/example/daily", "timeZone": "UTC"}
    ]

    async def scenario() -> tuple[int, int, str]:
        env = {"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": json.dumps(schedules)}
        async with await Runtime.start(env=env, clock=VirtualClock(start=START)) as rt:
            events = await rt.fire_due_crons()
            await rt.trigger_cron("0 0 * * *", datetime(2030, 5, 5, tzinfo=UTC))
            pending = rt.queue.pending()
            return len(events), len(pending), pending[1].body["payload"]["scheduledTime"]

    fired, pending, stamp = run(scenario())
    assert fired == 1
    assert pending == 2
    assert stamp == "2030-05-05T00:00:00.000Z"


# ------------------------------------------------------------------------------------------ persistence


def test_db_file_keeps_rows_and_pending_messages_across_restarts(tmp_path: Path) -> None:
    db_file = tmp_path / "state.sqlite"

    async def first() -> None:
        rt = await Runtime.start(db_path=db_file)
        await post(rt, "webhook_echo", {"n": 1}, trace="persist-done")
        await rt.drain()
        await post(rt, "webhook_echo", {"n": 2}, trace="persist-pending")
        assert rt.queue.pending_count() == 1
        await rt.aclose()
        assert rt.closed

    async def second() -> tuple[int, list[dict[str, Any]], httpx.Response]:
        async with await Runtime.start(db_path=db_file) as rt:
            pending = rt.queue.pending_count()
            await rt.drain()
            duplicate = await post(rt, "webhook_echo", {"n": 1}, trace="persist-done")
            return pending, runs(rt), duplicate

    run(first())
    pending, rows, duplicate = run(second())
    assert pending == 1
    assert {(r["trace_id"], r["status"]) for r in rows} == {
        ("persist-done", "succeeded"),
        ("persist-pending", "succeeded"),
    }
    assert duplicate.status_code == 202
    assert duplicate.json().get("duplicate") is True


def test_in_memory_runtime_does_not_persist_the_queue() -> None:
    async def scenario() -> tuple[str | None, str]:
        async with await Runtime.start() as rt:
            return rt.queue.registry.path, rt.db.path

    assert run(scenario()) == (None, ":memory:")


def test_aclose_is_idempotent_and_closes_d1() -> None:
    async def scenario() -> D1Database:
        rt = await Runtime.start()
        await rt.aclose()
        await rt.aclose()
        return rt.db

    db = run(scenario())
    with pytest.raises(Exception, match="closed"):
        db.query("SELECT 1")


def test_worker_dirs_and_repr() -> None:
    assert WORKER_DIRS == ("api", "queue-consumer", "workflow", "scheduler", "ops-dashboard")

    async def scenario() -> tuple[str, Queue]:
        async with await Runtime.start() as rt:
            return repr(rt), rt.queue

    text, queue = run(scenario())
    assert "Runtime" in text
    assert queue.name == "workerflow-automation-queue"


def test_in_process_binding_passes_the_request_and_turns_a_throw_into_a_bare_500() -> None:
    seen: list[Request] = []

    async def echo(request: Request) -> Response:
        seen.append(request)
        if request.pathname == "/boom":
            raise RuntimeError("worker threw")
        return Response(201, Headers({"x-a": "1"}), request.body[::-1])

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        binding = InProcessServiceBinding(WorkerApp(echo, "echo"), echo)
        ok = await binding.fetch("post", "https://ignored.example/run-async?x=1", headers={"X-T": "v"}, content="abc")
        boom = await binding.fetch("GET", "/boom")
        await binding.aclose()
        return ok, boom

    ok, boom = run(scenario())
    assert (ok.status_code, ok.headers["x-a"], ok.content) == (201, "1", b"cba")
    first = seen[0]
    assert (first.method, first.url, first.body) == ("POST", "http://workflow.internal/run-async?x=1", b"abc")
    assert first.headers.get("x-t") == "v"
    assert first.headers.get("content-length") == "3"
    assert boom.status_code == 500
    assert "json" not in boom.headers["content-type"]


header_names = st.sampled_from(["content-type", "x-a", "Content-Length", "content-length", "set-cookie", "X-B"])
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6)


@given(
    status=st.sampled_from([200, 201, 202, 204, 301, 400, 404, 500, 503]),
    headers=st.lists(st.tuples(header_names, header_values), max_size=5),
    body=st.binary(max_size=64),
)
def test_service_binding_response_equals_httpx_reading_it(
    status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    fast = stack_module.read_response(status, headers, body)
    slow = httpx.Response(status, headers=headers, content=body)
    assert stack_module.read_response is stack_module._read_response_fast
    assert fast.status_code == slow.status_code
    assert fast.headers.raw == slow.headers.raw
    assert (fast.content, fast.text) == (slow.content, slow.text)
    assert (fast.is_closed, fast.is_stream_consumed) == (slow.is_closed, slow.is_stream_consumed)
    assert fast.num_bytes_downloaded == slow.num_bytes_downloaded
    assert list(fast.iter_bytes()) == list(slow.iter_bytes())
    assert fast.encoding == slow.encoding


def test_service_binding_response_with_a_content_encoding_is_decoded_as_httpx_does() -> None:
    packed = gzip.compress(b'{"ok":true}')
    headers = [("content-type", "application/json"), ("content-encoding", "gzip")]
    fast = stack_module.read_response(200, headers, packed)
    assert fast.content == httpx.Response(200, headers=headers, content=packed).content == b'{"ok":true}'
