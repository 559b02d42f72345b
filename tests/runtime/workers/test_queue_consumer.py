"""The queue consumer (spec 5, 10.2) over a real D1, a real queue on a virtual clock, and the real workflow
worker behind a service binding."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from workerflow_kit.contracts.models import builtin_routes, builtin_schedules
from workerflow_kit.jscompat.json import js_json_stringify
from workerflow_kit.runtime.bindings.clock import VirtualClock
from workerflow_kit.runtime.bindings.d1 import D1Database
from workerflow_kit.runtime.bindings.queue import BatchResult, Queue, QueueSettings
from workerflow_kit.runtime.bindings.service import ServiceBinding
from workerflow_kit.runtime.handlers import HandlerContext, HandlerRegistry, builtin_registry
from workerflow_kit.runtime.http import Headers, Request, Response, WorkerApp
from workerflow_kit.runtime.workers.base import WorkerContext
from workerflow_kit.runtime.workers.queue_consumer import (
    DEVIATIONS,
    NON_RETRYABLE_PATTERNS,
    QueueConsumerWorker,
    is_retryable,
)
from workerflow_kit.runtime.workers.workflow import WorkflowWorker

T = TypeVar("T")
START = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
START_ISO = "2026-02-28T12:00:00.000Z"
WEBHOOK = "https://chat.example/incoming"
CHAT_CONFIG_ERROR = (
    'route "chat_notify": missing chat webhook URL. Checked: CHAT_WEBHOOK_URL, GCHAT_ALERTS_WEBHOOK_URL, '
    "GCHAT_ALERTS_WEBHOOK"
)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def route_task(trace_id: str, route_path: str, payload: Any = None, **extra: Any) -> dict[str, Any]:
    task = {"kind": "http_route", "traceId": trace_id, "routePath": route_path, "payload": payload}
    return {**task, "enqueuedAt": START_ISO, **extra}


def schedule_task(trace_id: str, schedule_id: str, payload: Any = None) -> dict[str, Any]:
    task = {"kind": "scheduled_job", "traceId": trace_id, "scheduleId": schedule_id, "payload": payload}
    return {**task, "enqueuedAt": START_ISO}


@dataclass
class Runtime:
    """Consumer + workflow + D1 + queue, wired the way the deployment wires them."""

    settings: QueueSettings = field(default_factory=QueueSettings.miniflare)
    workflow_env: dict[str, object] = field(default_factory=lambda: {"ENV_NAME": "dev"})
    registry: HandlerRegistry = field(default_factory=builtin_registry)
    service: Any = None

    def __post_init__(self) -> None:
        self.clock = VirtualClock(start=START)
        self.outbound = httpx.AsyncClient(verify=False)  # no real network: skip loading CA certificates
        self.context = WorkerContext(self.clock, self.outbound, builtin_routes(), builtin_schedules())
        self.db = D1Database.open()
        self.workflow = WorkflowWorker(self.context, self.registry)
        if self.service is None:
            self.service = ServiceBinding(self.workflow.app(self.workflow_env))
        self.consumer = QueueConsumerWorker(self.context)
        self.env: dict[str, object] = {"ENV_NAME": "dev", "DB": self.db, "WORKFLOW_SERVICE": self.service}
        self.queue = Queue(clock=self.clock, settings=self.settings)
        self.queue.set_consumer(lambda batch: self.consumer.queue(batch, self.env))

    async def process(self, *tasks: Any) -> None:
        for task in tasks:
            await self.queue.send(task)
        await self.queue.drain()

    def runs(self) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM runs ORDER BY id")

    def run_row(self, trace_id: str) -> dict[str, Any]:
        rows = self.db.query("SELECT * FROM runs WHERE trace_id = ?", trace_id)
        assert len(rows) == 1
        return rows[0]

    def dead_letters(self, trace_id: str | None = None) -> list[dict[str, Any]]:
        if trace_id is None:
            return self.db.query("SELECT * FROM dead_letters ORDER BY id")
        return self.db.query("SELECT * FROM dead_letters WHERE trace_id = ? ORDER BY id", trace_id)


# --------------------------------------------------------------------------------------------------------
# Success (spec 12.8 #6)
# --------------------------------------------------------------------------------------------------------


def test_success_records_the_exact_workflow_text() -> None:
    rt = Runtime()
    task = route_task("tr-ok", "webhook_echo", {"hello": "wörld", "n": 1.0})
    run(rt.process(task))
    assert rt.runs() == [
        {
            "id": 1,
            "trace_id": "tr-ok",
            "kind": "http_route",
            "route_path": "webhook_echo",
            "schedule_id": None,
            "status": "succeeded",
            "started_at": START_ISO,
            "finished_at": START_ISO,
            "output": '{"ok":true,"route":"webhook_echo","received":{"hello":"wörld","n":1}}',
            "error": None,
        }
    ]
    assert rt.dead_letters() == []
    assert rt.queue.stats.acked == 1
    assert rt.queue.stats.retried == 0


def test_success_for_a_schedule_task() -> None:
    rt = Runtime()
    run(rt.process(schedule_task("tr-hb", "heartbeat_hourly", {"target": "x", "scheduledTime": "s"})))
    row = rt.run_row("tr-hb")
    assert (row["kind"], row["route_path"], row["schedule_id"], row["status"]) == (
        "scheduled_job",
        None,
        "heartbeat_hourly",
        "succeeded",
    )
    assert json.loads(row["output"])["processedAt"] == START_ISO


def test_any_2xx_counts_and_its_body_is_stored_verbatim() -> None:
    async def accepted(request: Request) -> Response:
        return Response(202, Headers({"content-type": "text/plain"}), b"\xef\xbb\xbfaccepted \xff")

    rt = Runtime(service=ServiceBinding(WorkerApp(accepted, "stub")))
    run(rt.process(route_task("tr-202", "anything")))
    row = rt.run_row("tr-202")
    assert (row["status"], row["output"]) == ("succeeded", "accepted \ufffd")  # UTF-8 decode, BOM dropped


def test_consumer_posts_the_task_json_to_run_async() -> None:
    seen: list[tuple[str, str, str | None, bytes]] = []

    async def record(request: Request) -> Response:
        seen.append((request.method, request.pathname, request.headers.get("content-type"), request.body))
        return Response(200, Headers(), b"{}")

    rt = Runtime(service=ServiceBinding(WorkerApp(record, "stub")))
    task = route_task("tr-x", "webhook_echo", {"a": [1, 2.5, "é"]}, extra={"keep": True})
    run(rt.process(task))
    assert seen == [("POST", "/run-async", "application/json", js_json_stringify(task).encode())]


# --------------------------------------------------------------------------------------------------------
# Failures (spec 12.8 #7)
# --------------------------------------------------------------------------------------------------------


def test_config_error_is_failed_dead_lettered_and_acked() -> None:
    rt = Runtime()
    task = route_task("tr-cfg", "chat_notify", {"body": {"text": "hi"}})
    run(rt.process(task))
    error = "workflow failed: 500 " + js_json_stringify(
        {"error": "missing required configuration", "traceId": "tr-cfg", "details": [CHAT_CONFIG_ERROR]}
    )
    row = rt.run_row("tr-cfg")
    assert (row["status"], row["error"], row["output"], row["finished_at"]) == ("failed", error, None, START_ISO)
    letters = rt.dead_letters("tr-cfg")
    assert [(d["error"], d["payload_json"], d["created_at"]) for d in letters] == [
        (error, js_json_stringify(task), START_ISO)
    ]
    assert (rt.queue.stats.delivered, rt.queue.stats.acked, rt.queue.stats.retried) == (1, 1, 0)


def test_retryable_error_is_retried_until_dropped_miniflare() -> None:
    rt = Runtime()
    run(rt.process(route_task("tr-retry", "not_registered")))
    error = (
        'workflow failed: 500 {"error":"handler_error","message":"No HTTP handler registered for route '
        '\\"not_registered\\"","details":null}'
    )
    assert rt.run_row("tr-retry")["error"] == error
    assert rt.run_row("tr-retry")["status"] == "failed"
    assert [d["error"] for d in rt.dead_letters()] == [error]  # identical text: one row for three attempts
    assert [m.attempts for m in rt.queue.dropped] == [3]  # max_retries (2) + 1
    assert (rt.queue.stats.delivered, rt.queue.stats.retried, rt.queue.stats.acked) == (3, 2, 0)


def test_retryable_error_is_retried_until_dropped_cloudflare() -> None:
    rt = Runtime(settings=QueueSettings.cloudflare())
    run(rt.process(route_task("tr-retry", "not_registered")))
    assert [m.attempts for m in rt.queue.dropped] == [9]  # max_retries (8) + 1
    assert rt.queue.stats.delivered == 9
    assert len(rt.dead_letters()) == 1


def test_handler_error_with_non_retryable_text_is_acked() -> None:
    rt = Runtime(workflow_env={"CLEANUP_SIGNING_SECRET": 5, "CHAT_WEBHOOK_URL": WEBHOOK})
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(WEBHOOK).mock(return_value=httpx.Response(403, text="nope"))
        run(rt.process(route_task("tr-403", "chat_notify")))
    row = rt.run_row("tr-403")
    assert "Chat webhook failed: 403 Forbidden nope" in row["error"]
    assert (rt.queue.stats.delivered, rt.queue.stats.acked) == (1, 1)


def test_differing_error_texts_each_get_a_dead_letter() -> None:
    registry = builtin_registry()
    calls = {"n": 0}

    @registry.http("flaky")
    def flaky(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        calls["n"] += 1
        raise RuntimeError(f"upstream timeout #{calls['n']}")

    rt = Runtime(registry=registry)
    run(rt.process(route_task("tr-flaky", "flaky")))
    assert [json.loads(d["error"].removeprefix("workflow failed: 500 "))["message"] for d in rt.dead_letters()] == [
        "upstream timeout #1",
        "upstream timeout #2",
        "upstream timeout #3",
    ]


def test_dead_letter_dedupe_is_per_trace() -> None:
    rt = Runtime()
    run(rt.process(route_task("a", "chat_notify"), route_task("b", "chat_notify")))
    assert [d["trace_id"] for d in rt.dead_letters()] == ["a", "b"]
    run(rt.process(route_task("a", "chat_notify")))  # a redelivered duplicate with the same text
    assert [d["trace_id"] for d in rt.dead_letters()] == ["a", "b"]


def test_started_at_is_kept_across_redelivery_and_failure_fields_cleared() -> None:
    registry = builtin_registry()
    calls = {"n": 0}

    @registry.http("second_time_lucky")
    def lucky(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("temporary glitch")
        return {"ok": True, "at": ctx.now_iso()}

    settings = QueueSettings(max_batch_size=10, max_batch_timeout=1, max_retries=3, retry_delay=90)
    rt = Runtime(settings=settings, registry=registry)
    run(rt.process(route_task("tr-lucky", "second_time_lucky")))
    row = rt.run_row("tr-lucky")
    assert row["started_at"] == START_ISO
    assert row["finished_at"] == "2026-02-28T12:01:30.000Z"
    assert (row["status"], row["error"]) == ("succeeded", None)
    assert row["output"] == '{"ok":true,"at":"2026-02-28T12:01:30.000Z"}'
    assert len(rt.dead_letters("tr-lucky")) == 1  # the first failure's letter stays


def test_run_start_upsert_coalesces_ids_and_resets_outcome() -> None:
    rt = Runtime()
    rt.db.query(
        "INSERT INTO runs (trace_id, kind, route_path, schedule_id, status, started_at, finished_at, output, error) "
        "VALUES ('tr-up', 'http_route', 'old_route', NULL, 'failed', '2020-01-01T00:00:00.000Z', 'f', 'o', 'e')"
    )
    run(rt.process(schedule_task("tr-up", "heartbeat_hourly", {})))
    row = rt.run_row("tr-up")
    assert (row["kind"], row["route_path"], row["schedule_id"]) == ("scheduled_job", "old_route", "heartbeat_hourly")
    assert (row["status"], row["started_at"], row["error"]) == ("succeeded", "2020-01-01T00:00:00.000Z", None)
    # ...and the other way round: a route task keeps an earlier schedule id.
    run(rt.process(route_task("tr-up", "webhook_echo")))
    row = rt.run_row("tr-up")
    assert (row["kind"], row["route_path"], row["schedule_id"]) == ("http_route", "webhook_echo", "heartbeat_hourly")


def test_run_start_marks_started_before_the_workflow_runs() -> None:
    rt_holder: list[Runtime] = []
    observed: list[dict[str, Any]] = []

    async def peek(request: Request) -> Response:
        observed.append(rt_holder[0].run_row("tr-peek"))
        return Response(200, Headers(), b"done")

    rt = Runtime(service=ServiceBinding(WorkerApp(peek, "stub")))
    rt_holder.append(rt)
    run(rt.process(route_task("tr-peek", "x")))
    assert [(r["status"], r["finished_at"], r["output"]) for r in observed] == [("started", None, None)]


def test_workflow_non_2xx_text_format() -> None:
    async def busy(request: Request) -> Response:
        return Response(503, Headers(), b"busy, come back later")

    rt = Runtime(service=ServiceBinding(WorkerApp(busy, "stub")))
    run(rt.process(route_task("tr-busy", "x")))
    assert rt.run_row("tr-busy")["error"] == "workflow failed: 503 busy, come back later"
    assert rt.queue.stats.delivered == 3  # retryable


def test_unhandled_workflow_crash_is_a_retryable_500() -> None:
    async def crash(request: Request) -> Response:
        raise RuntimeError("kaboom")

    rt = Runtime(service=ServiceBinding(WorkerApp(crash, "stub")))
    run(rt.process(route_task("tr-crash", "x")))
    assert rt.run_row("tr-crash")["error"].startswith("workflow failed: 500 ")
    assert rt.queue.stats.delivered == 3


def test_messages_are_processed_in_batch_order() -> None:
    rt = Runtime()
    run(rt.process(*(route_task(f"tr-{i}", "webhook_echo", i) for i in range(7))))
    assert [r["trace_id"] for r in rt.runs()] == [f"tr-{i}" for i in range(7)]
    assert rt.queue.stats.batches == 2  # miniflare batches of 5


# --------------------------------------------------------------------------------------------------------
# Failures inside the failure path escape queue() (upstream behaviour, kept)
# --------------------------------------------------------------------------------------------------------


def test_db_failure_in_failure_path_escapes_and_unacked_messages_are_retried() -> None:
    rt = Runtime(settings=QueueSettings(max_batch_size=10, max_batch_timeout=1, max_retries=0))

    async def scenario() -> BatchResult | None:
        await rt.db.exec("DROP TABLE dead_letters")
        for task in (
            route_task("ok-1", "webhook_echo", 1),
            route_task("bad", "nope"),
            route_task("ok-2", "webhook_echo"),
        ):
            await rt.queue.send(task)
        return await rt.queue.deliver_once()

    result = run(scenario())
    assert result is not None
    assert result.error is not None
    assert "no such table: dead_letters" in str(result.error)
    assert len(result.acked) == 1  # ok-1 was acked before the failure
    assert len(result.dropped) == 2  # bad and the never-processed ok-2 (no retries left)
    assert [(r["trace_id"], r["status"]) for r in rt.runs()] == [("ok-1", "succeeded"), ("bad", "failed")]


@pytest.mark.parametrize("task", [{"kind": "http_route", "routePath": "webhook_echo"}, {"traceId": {"a": 1}}, 5, None])
def test_task_without_bindable_trace_id_makes_queue_raise(task: Any) -> None:
    rt = Runtime()

    async def scenario() -> BatchResult | None:
        await rt.queue.send(task)
        return await rt.queue.deliver_once()

    result = run(scenario())
    assert result is not None
    assert result.error is not None
    assert result.retried  # the platform retries the message
    assert rt.dead_letters() == []


def test_missing_kind_fails_the_message_but_is_recorded() -> None:
    # D1 rejects binding undefined for `kind` in the start upsert; the failure path still works.
    rt = Runtime()
    run(rt.process({"traceId": "tr-nokind", "payload": 1}))
    assert rt.runs() == []  # the start insert failed, the failure update matched no row
    letters = rt.dead_letters("tr-nokind")
    assert len(letters) == 1
    assert letters[0]["payload_json"] == '{"traceId":"tr-nokind","payload":1}'
    assert rt.queue.stats.delivered == 3  # a D1 type error is retryable


def test_no_deviations_declared() -> None:
    assert DEVIATIONS == ()


# --------------------------------------------------------------------------------------------------------
# Retry classification (spec 5.3)
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "retryable"),
    [
        ("CHAT_WEBHOOK_URL is required", False),
        ('workflow failed: 500 {"error":"missing required configuration"}', False),
        ("401 Unauthorized", False),
        ("HTTP 403 FORBIDDEN", False),
        ("Invalid client credentials", False),
        ("invalid credentials", False),  # `.*` may be empty: "invalid " + "" + "credentials"
        ("invalidcredentials", True),  # the space after "invalid" is literal
        ("invalid x\ny credentials", True),  # `.` does not cross a newline
        ("invalid x\u2028y credentials", True),  # ... nor a JS line terminator
        ("invalid x\ty credentials", False),
        ("oauth: INVALID_GRANT", False),
        ("No email found in payload", False),
        ("no found in payload", True),  # needs "no " + anything + " found"
        ("no  found in payload", False),
        ('No HTTP handler registered for route "x"', True),
        ("Chat webhook failed: 503 Service Unavailable busy", True),
        ("\u0130S REQUIRED", True),  # JS lowercases İ to "i̇", which no longer spells "is"
        ("", True),
    ],
)
def test_is_retryable_table(text: str, retryable: bool) -> None:
    assert is_retryable(text) is retryable


def test_patterns_are_the_seven_of_the_spec() -> None:
    assert NON_RETRYABLE_PATTERNS == (
        "is required",
        "missing required",
        "unauthorized",
        "forbidden",
        "invalid .*credentials",
        "invalid_grant",
        "no .* found in payload",
    )


_NOT_LINE_TERMINATOR = "[^\n\r\u2028\u2029]"
_ORACLE = [
    re.compile(r"is required"),
    re.compile(r"missing required"),
    re.compile(r"unauthorized"),
    re.compile(r"forbidden"),
    re.compile(rf"invalid {_NOT_LINE_TERMINATOR}*credentials"),
    re.compile(r"invalid_grant"),
    re.compile(rf"no {_NOT_LINE_TERMINATOR}* found in payload"),
]

FRAGMENTS = st.sampled_from(
    [
        "is required", "IS REQUIRED", "is", " required", "missing", " required", "Unauthorized", "forbid", "den",
        "invalid ", "INVALID", "credentials", "Credentials", "invalid_grant", "_grant", "no ", "No",
        " found in payload", " found", " in payload", "\n", "\r", "\u2028", " ", "x", "é", "\u0130",
        "workflow failed: 500 ", "{", "}",
    ]
)  # fmt: skip


@given(st.lists(FRAGMENTS | st.text(max_size=4), max_size=8).map("".join))
def test_is_retryable_matches_a_direct_oracle(text: str) -> None:
    lowered = text.lower()
    assert is_retryable(text) is not any(pattern.search(lowered) for pattern in _ORACLE)


# --------------------------------------------------------------------------------------------------------
# Property: any fault plan ends every task as a succeeded run or a failed run with a dead letter
# --------------------------------------------------------------------------------------------------------

OUTCOMES = ("ok", "config", "retry")


class PlannedWebhook:
    """A Secrets-Store-like binding: blank (a config error) when the current attempt is planned as one."""

    def __init__(self, director: Director) -> None:
        self.director = director

    async def get(self) -> str:
        return "" if self.director.current == "config" else WEBHOOK


@dataclass
class Director:
    """Wraps the service binding: counts attempts per trace and publishes the planned outcome of each call."""

    plans: Mapping[str, list[str]]
    inner: Any = None
    attempts: dict[str, int] = field(default_factory=dict)
    current: str = "ok"

    def outcome(self, trace_id: str) -> str:
        plan = self.plans[trace_id]
        index = self.attempts[trace_id] - 1
        return plan[index] if index < len(plan) else "ok"

    async def fetch(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        trace_id = json.loads(kwargs["content"])["traceId"]
        self.attempts[trace_id] = self.attempts.get(trace_id, 0) + 1
        self.current = self.outcome(trace_id)
        response: httpx.Response = await self.inner.fetch(method, url, **kwargs)
        return response


def expected_end(plan: list[str], deliveries: int) -> tuple[str, int, set[str]]:
    """(final status, attempts, failure kinds seen) for one task's plan."""
    kinds: set[str] = set()
    for attempt in range(1, deliveries + 1):
        outcome = plan[attempt - 1] if attempt - 1 < len(plan) else "ok"
        if outcome == "ok":
            return "succeeded", attempt, kinds
        kinds.add(outcome)
        if outcome == "config" or attempt == deliveries:
            return "failed", attempt, kinds
    raise AssertionError("unreachable")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(OUTCOMES), max_size=4), min_size=1, max_size=4))
def test_fault_plans_end_in_a_run_or_a_dead_letter(plan_list: list[list[str]]) -> None:
    plans = {f"tr-{i}": plan for i, plan in enumerate(plan_list)}
    director = Director(plans)
    env: dict[str, object] = {"ENV_NAME": "dev", "CHAT_WEBHOOK_URL": PlannedWebhook(director)}
    rt = Runtime(workflow_env=env, service=director)
    director.inner = ServiceBinding(rt.workflow.app(env))

    def chat_answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503 if director.current == "retry" else 200, text="busy")

    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.post(WEBHOOK).mock(side_effect=chat_answer)
        run(rt.process(*(route_task(t, "chat_notify", {"body": {"text": t}}) for t in plans)))

    deliveries = rt.settings.max_retries + 1
    dropped = {m.body["traceId"] for m in rt.queue.dropped}
    for trace_id, plan in plans.items():
        status, attempts, kinds = expected_end(plan, deliveries)
        row = rt.run_row(trace_id)
        letters = rt.dead_letters(trace_id)
        assert director.attempts[trace_id] == attempts, (trace_id, plan)
        assert row["status"] == status, (trace_id, plan)
        # one dead letter per distinct failure text (config and retry texts are fixed per trace)
        assert len(letters) == len(kinds)
        if status == "failed":
            assert letters
            assert row["error"] == letters[-1]["error"]
            assert all(
                d["payload_json"]
                == js_json_stringify(route_task(trace_id, "chat_notify", {"body": {"text": trace_id}}))
                for d in letters
            )
        else:
            assert row["error"] is None
            assert json.loads(row["output"])["delivered"] is True
        assert (trace_id in dropped) == (
            status == "failed" and "retry" in kinds and attempts == deliveries and plan[attempts - 1] == "retry"
        )
    assert rt.queue.pending_count() == 0
