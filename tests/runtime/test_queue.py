"""The queue binding: Cloudflare Queues batching, ack/retry precedence, retries, dead letters, persistence."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workerflow_kit.resources import contracts_dir
from workerflow_kit.runtime.bindings.clock import SystemClock, VirtualClock
from workerflow_kit.runtime.bindings.queue import (
    Message,
    MessageBatch,
    MessageSendRequest,
    Queue,
    QueueDrainError,
    QueueError,
    QueueRegistry,
    QueueSettings,
)

T = TypeVar("T")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@dataclass
class Recorder:
    """A consumer that records every batch and applies an optional per-batch behaviour."""

    behaviour: Callable[[MessageBatch], None] | None = None
    batches: list[list[tuple[Any, int]]] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    clock: VirtualClock | SystemClock | None = None

    async def __call__(self, batch: MessageBatch) -> None:
        self.batches.append([(m.body, m.attempts) for m in batch.messages])
        if self.clock is not None:
            self.times.append(self.clock.now())
        if self.behaviour is not None:
            self.behaviour(batch)

    @property
    def bodies(self) -> list[Any]:
        return [body for batch in self.batches for body, _ in batch]


def make(
    settings: QueueSettings | None = None, behaviour: Callable[[MessageBatch], None] | None = None
) -> tuple[VirtualClock, Queue, Recorder]:
    clock = VirtualClock(start=T0)
    queue = Queue("jobs", clock=clock, settings=settings or QueueSettings.cloudflare())
    recorder = Recorder(behaviour, clock=clock)
    queue.set_consumer(recorder)
    return clock, queue, recorder


# -- settings ----------------------------------------------------------------------------------------------


def test_profiles() -> None:
    cf = QueueSettings.cloudflare()
    assert (cf.max_batch_size, cf.max_batch_timeout, cf.max_retries, cf.dead_letter_queue) == (10, 5, 8, None)
    assert cf.retry_delay == 0
    mf = QueueSettings.profile("miniflare")
    assert (mf.max_batch_size, mf.max_batch_timeout, mf.max_retries) == (5, 1, 2)
    with pytest.raises(QueueError, match="unknown queue profile"):
        QueueSettings.profile("aws")


def test_from_wrangler_reads_the_contract_consumer() -> None:
    doc = json.loads((contracts_dir() / "wrangler" / "workers.v1.json").read_text())
    (consumer,) = [c for w in doc["workers"] for c in w["queue_consumers"]]
    assert QueueSettings.from_wrangler(consumer) == QueueSettings.cloudflare()


def test_from_wrangler_defaults_are_cloudflare_platform_defaults() -> None:
    s = QueueSettings.from_wrangler({"queue": "q", "dead_letter_queue": "dlq", "retry_delay": 30})
    assert (s.max_batch_size, s.max_batch_timeout, s.max_retries) == (10, 5, 3)
    assert (s.dead_letter_queue, s.retry_delay) == ("dlq", 30)


@pytest.mark.parametrize(
    "bad",
    [
        {"max_batch_size": 0},
        {"max_batch_size": 101},
        {"max_batch_size": 2.5},
        {"max_batch_timeout": 61},
        {"max_retries": -1},
        {"max_retries": True},
        {"retry_delay": 43201},
        {"dead_letter_queue": ""},
    ],
)
def test_settings_are_validated(bad: dict[str, Any]) -> None:
    with pytest.raises(QueueError, match=next(iter(bad))):
        QueueSettings(**bad)


# -- producer ----------------------------------------------------------------------------------------------


def test_send_assigns_id_timestamp_and_first_attempt() -> None:
    clock, queue, _rec = make()
    seen: list[Message] = []
    queue.set_consumer(lambda batch: seen.extend(batch.messages))

    async def scenario() -> None:
        await clock.advance(0.0123456)
        await queue.send({"a": 1})
        await queue.send_batch([{"body": [1, 2]}, MessageSendRequest("three")])
        await queue.drain()

    run(scenario())
    assert [m.body for m in seen] == [{"a": 1}, [1, 2], "three"]
    assert [m.attempts for m in seen] == [1, 1, 1]
    assert len({m.id for m in seen}) == 3
    assert all(str(uuid.UUID(m.id)) == m.id and uuid.UUID(m.id).version == 4 for m in seen)
    assert seen[0].timestamp == T0 + timedelta(milliseconds=12)  # a JS Date: whole milliseconds
    assert queue.stats.sent == 3


def test_body_is_a_copy() -> None:
    _clock, queue, _ = make(QueueSettings(max_retries=1))
    original = {"n": [1]}
    seen: list[Any] = []

    def mutate_then_fail(batch: MessageBatch) -> None:
        for m in batch.messages:
            seen.append(json.dumps(m.body))
            m.body["n"].append(99)
        raise RuntimeError("boom")

    queue.set_consumer(mutate_then_fail)

    async def scenario() -> None:
        await queue.send(original)
        original["n"].append(2)
        await queue.drain()

    run(scenario())
    assert seen == ['{"n": [1]}', '{"n": [1]}']


def test_send_rejects_bad_bodies_and_limits() -> None:
    _, queue, _ = make()

    async def scenario() -> None:
        with pytest.raises(QueueError, match="JSON-serializable"):
            await queue.send({1, 2})
        with pytest.raises(QueueError, match="JSON-serializable"):
            await queue.send(float("nan"))
        with pytest.raises(QueueError, match="131072 bytes"):
            await queue.send("x" * (128 * 1024))
        with pytest.raises(QueueError, match="at most 100"):
            await queue.send_batch([{"body": n} for n in range(101)])
        with pytest.raises(QueueError, match="has no 'body'"):
            await queue.send_batch([{"body": 1}, {"value": 2}])
        with pytest.raises(ValueError, match="delay_seconds"):
            await queue.send(1, delay_seconds=-1)
        with pytest.raises(ValueError, match="12 hours"):
            await queue.send(1, delay_seconds=43201)

    run(scenario())
    assert queue.pending_count() == 0  # nothing half-sent


def test_send_delay_is_on_the_clock() -> None:
    clock, queue, rec = make()

    async def scenario() -> None:
        await queue.send("late", delay_seconds=60)
        await queue.send_batch([{"body": "later", "delaySeconds": 120}, {"body": "now", "delay_seconds": 0}])
        assert queue.ready_count() == 1
        assert queue.delayed_count() == 2
        assert await queue.deliver_once() is not None
        assert rec.bodies == ["now"]
        await clock.advance(59.999)
        assert await queue.deliver_once() is None
        await clock.advance(0.001)
        await queue.deliver_once()
        assert rec.bodies == ["now", "late"]
        assert await queue.drain() == 1
        assert rec.times[-1] == T0 + timedelta(seconds=120)

    run(scenario())


# -- batching ----------------------------------------------------------------------------------------------


def test_batch_closes_at_size() -> None:
    clock, queue, rec = make()
    queue.start()

    async def scenario() -> None:
        for n in range(9):
            await queue.send(n)
        await clock.advance(0)
        assert rec.batches == []
        await queue.send(9)
        await clock.advance(0)
        assert len(rec.batches) == 1
        assert [b for b, _ in rec.batches[0]] == list(range(10))
        assert rec.times == [T0]
        for n in range(25):
            await queue.send(n)
        await clock.advance(0)
        assert [len(b) for b in rec.batches] == [10, 10, 10]  # two full batches; 5 left forming
        await clock.advance(5)
        assert [len(b) for b in rec.batches] == [10, 10, 10, 5]

    run(scenario())


def test_batch_closes_at_timeout_not_before() -> None:
    clock, queue, rec = make()
    queue.start()

    async def scenario() -> None:
        await queue.send("first")
        await clock.advance(3)
        await queue.send("second")  # joins the forming batch; the timeout counts from "first"
        await clock.advance(1.999)
        assert rec.batches == []
        await clock.advance(0.001)
        assert rec.batches == [[("first", 1), ("second", 1)]]
        assert rec.times == [T0 + timedelta(seconds=5)]

    run(scenario())


def test_batch_timeout_exactly_4999_vs_5000_ms() -> None:
    clock, queue, rec = make()
    queue.start()

    async def scenario() -> None:
        await queue.send("x")
        await clock.advance(4.999)
        assert rec.batches == []
        await clock.advance(0.001)
        assert rec.batches == [[("x", 1)]]

    run(scenario())


def test_timeout_not_early_when_woken_for_another_reason() -> None:
    clock, queue, rec = make()
    queue.start()

    async def scenario() -> None:
        await queue.send("first")
        await queue.send("ripens", delay_seconds=4.999)  # wakes the queue at 4.999 s
        await clock.advance(4.999)
        assert rec.batches == []
        await clock.advance(0.001)
        assert rec.bodies == ["first", "ripens"]

    run(scenario())


def test_timeout_counts_from_when_a_delayed_message_became_ready() -> None:
    clock, queue, rec = make()

    async def scenario() -> None:
        await queue.send("x", delay_seconds=10)
        await clock.advance(12)  # ready since 10 s, but nobody is delivering yet
        queue.start()
        await clock.advance(2.999)
        assert rec.batches == []
        await clock.advance(0.001)
        assert rec.times == [T0 + timedelta(seconds=15)]

    run(scenario())


def test_stop_halts_automatic_delivery() -> None:
    clock, queue, rec = make()

    async def scenario() -> None:
        queue.start()
        assert queue.running
        await queue.send("x")
        await queue.stop()
        await clock.advance(60)
        assert rec.batches == []
        queue.start()
        await clock.advance(5)
        assert rec.bodies == ["x"]

    run(scenario())


def test_deliver_once_respects_size_and_needs_a_consumer() -> None:
    clock = VirtualClock(start=T0)
    queue = Queue("q", clock=clock, settings=QueueSettings(max_batch_size=3))

    async def scenario() -> None:
        await queue.send_batch([{"body": n} for n in range(7)])
        with pytest.raises(QueueError, match="no consumer"):
            await queue.deliver_once()
        rec = Recorder()
        queue.set_consumer(rec)
        sizes = []
        while (result := await queue.deliver_once()) is not None:
            sizes.append(len(result.message_ids))
        assert sizes == [3, 3, 1]
        assert rec.bodies == list(range(7))

    run(scenario())


# -- ack / retry precedence --------------------------------------------------------------------------------


def _outcome(queue: Queue, clock: VirtualClock, behaviour: Callable[[MessageBatch], None], n: int = 3) -> Any:
    queue.set_consumer(behaviour)

    async def scenario() -> Any:
        await queue.send_batch([{"body": i} for i in range(n)])
        result = await queue.deliver_once()
        assert result is not None
        return result

    return run(scenario())


def test_first_call_wins() -> None:
    clock, queue, _ = make()

    def behaviour(batch: MessageBatch) -> None:
        a, b, c = batch.messages
        a.ack()
        a.retry()
        b.retry()
        b.ack()
        c.retry(delay_seconds=30)
        c.retry(delay_seconds=0)
        batch.ack_all()
        batch.retry_all()

    result = _outcome(queue, clock, behaviour)
    assert result.acked == [result.message_ids[0]]
    assert result.retried == result.message_ids[1:]
    assert queue.ready_count() == 1  # b, no delay; c waits 30 s (its first delay)
    assert queue.pending()[-1].not_before == T0 + timedelta(seconds=30)


def test_per_message_call_beats_batch_call() -> None:
    clock, queue, _ = make()

    def ack_then_retry_all(batch: MessageBatch) -> None:
        batch.messages[0].ack()
        batch.retry_all()

    result = _outcome(queue, clock, ack_then_retry_all)
    assert result.acked == result.message_ids[:1]
    assert result.retried == result.message_ids[1:]

    clock, queue, _ = make()

    def retry_then_ack_all(batch: MessageBatch) -> None:
        batch.messages[0].retry()
        batch.ack_all()

    result = _outcome(queue, clock, retry_then_ack_all)
    assert result.retried == result.message_ids[:1]
    assert result.acked == result.message_ids[1:]


def test_implicit_ack_when_handler_returns() -> None:
    clock, queue, _ = make()
    result = _outcome(queue, clock, lambda batch: None)
    assert result.acked == result.message_ids
    assert queue.pending_count() == 0
    assert queue.stats.acked == 3
    assert queue.acked_ids == result.message_ids


def test_raise_redelivers_unacked_only() -> None:
    clock, queue, _ = make()

    def behaviour(batch: MessageBatch) -> None:
        a, b, _c = batch.messages
        a.ack()
        b.retry(delay_seconds=30)
        raise RuntimeError("boom")

    result = _outcome(queue, clock, behaviour)
    a, b, c = result.message_ids
    assert isinstance(result.error, RuntimeError)
    assert result.acked == [a]
    assert result.retried == [b, c]
    pending = {p.id: p for p in queue.pending()}
    assert set(pending) == {b, c}
    assert pending[b].not_before == T0 + timedelta(seconds=30)  # explicit retry keeps its delay
    assert pending[c].state == "ready"
    assert pending[c].attempts == 1


def test_ack_all_then_raise_keeps_the_acks() -> None:
    clock, queue, _ = make()

    def behaviour(batch: MessageBatch) -> None:
        batch.ack_all()
        raise RuntimeError("late failure")

    result = _outcome(queue, clock, behaviour)
    assert result.acked == result.message_ids


def test_calls_after_the_handler_returned_are_ignored() -> None:
    clock, queue, _ = make()
    kept: list[Message] = []
    result = _outcome(queue, clock, lambda batch: kept.extend(batch.messages))
    kept[0].retry()
    assert result.acked == result.message_ids
    assert queue.pending_count() == 0


# -- retries, drops, dead letters --------------------------------------------------------------------------


def _always_fail(batch: MessageBatch) -> None:
    raise RuntimeError("workflow failed: 500")


@pytest.mark.parametrize(
    ("settings", "deliveries"),
    [(QueueSettings.cloudflare(), 9), (QueueSettings.miniflare(), 3), (QueueSettings(max_retries=0), 1)],
)
def test_dropped_after_exactly_max_retries_plus_one(settings: QueueSettings, deliveries: int) -> None:
    _clock, queue, rec = make(settings, _always_fail)

    async def scenario() -> None:
        await queue.send({"trace": "t1"})
        await queue.drain()

    run(scenario())
    assert [attempts for batch in rec.batches for _, attempts in batch] == list(range(1, deliveries + 1))
    (dropped,) = queue.dropped
    assert dropped.attempts == deliveries
    assert dropped.body == {"trace": "t1"}
    assert dropped.dead_letter_queue is None
    assert "no dead-letter queue" in dropped.reason
    assert dropped.last_error == "RuntimeError: workflow failed: 500"
    s = queue.stats
    assert (s.delivered, s.retried, s.dropped, s.acked) == (deliveries, deliveries - 1, 1, 0)
    assert queue.pending_count() == 0


def test_explicit_retry_counts_towards_max_retries() -> None:
    _clock, queue, rec = make(QueueSettings.miniflare(), lambda batch: batch.retry_all())

    async def scenario() -> None:
        await queue.send("x")
        await queue.drain()

    run(scenario())
    assert [a for batch in rec.batches for _, a in batch] == [1, 2, 3]
    assert len(queue.dropped) == 1


def test_dead_letter_queue_receives_exhausted_messages() -> None:
    settings = QueueSettings(max_retries=2, dead_letter_queue="jobs-dlq")
    _clock, queue, _rec = make(settings, _always_fail)

    async def scenario() -> None:
        await queue.send({"trace": "t1"})
        await queue.send({"trace": "t2"})
        await queue.drain()

    run(scenario())
    assert queue.dropped == []
    assert [d.attempts for d in queue.dead_lettered] == [3, 3]
    dlq = queue.registry.get("jobs-dlq")
    assert [p.body for p in dlq.pending()] == [{"trace": "t1"}, {"trace": "t2"}]
    assert [p.id for p in dlq.pending()] == [d.id for d in queue.dead_lettered]
    assert queue.stats.dead_lettered == 2
    # The dead-letter queue is an ordinary queue: consume it.
    got: list[Any] = []
    dlq.set_consumer(lambda batch: got.extend((m.body, m.attempts) for m in batch.messages))
    run(dlq.drain())
    assert got == [({"trace": "t1"}, 1), ({"trace": "t2"}, 1)]


def test_dead_letter_queue_in_a_shared_registry() -> None:
    registry = QueueRegistry(clock=VirtualClock(start=T0))
    dlq = registry.create("dlq")
    main = registry.create("main", settings=QueueSettings(max_retries=0, dead_letter_queue="dlq"))
    main.set_consumer(_always_fail)
    run(main.send(1))
    run(main.drain())
    assert registry.get("dlq") is dlq
    assert [p.body for p in dlq.pending()] == [1]
    assert registry.names() == ["dlq", "main"]
    with pytest.raises(QueueError, match="already exists"):
        registry.create("dlq")
    with pytest.raises(KeyError, match="known"):
        registry.get("nope")
    with pytest.raises(QueueError, match="its own dead-letter queue"):
        registry.create("loop", settings=QueueSettings(dead_letter_queue="loop"))


def test_retry_delays_run_on_the_clock() -> None:
    settings = QueueSettings(max_retries=2, retry_delay=60)
    clock, queue, rec = make(settings, _always_fail)

    async def scenario() -> None:
        await queue.send("x")
        await queue.drain()

    run(scenario())
    assert rec.times == [T0, T0 + timedelta(seconds=60), T0 + timedelta(seconds=120)]
    assert clock.now() == T0 + timedelta(seconds=120)


def test_retry_delay_precedence() -> None:
    settings = QueueSettings(max_retries=1, retry_delay=60)

    def behaviour(batch: MessageBatch) -> None:
        a, b, _c = batch.messages
        a.retry(delay_seconds=10)  # per-message delay
        b.retry()  # no own delay: the batch delay applies
        batch.retry_all(delay_seconds=20)

    clock, queue, _ = make(settings)
    result = _outcome(queue, clock, behaviour)
    delays = {p.id: (p.not_before - T0).total_seconds() for p in queue.pending()}
    assert [delays[i] for i in result.message_ids] == [10, 20, 20]

    clock, queue, _ = make(settings)
    _outcome(queue, clock, _always_fail)
    assert {(p.not_before - T0).total_seconds() for p in queue.pending()} == {60}  # the setting


def test_automatic_mode_redelivers_after_retry_delay() -> None:
    settings = QueueSettings(max_batch_size=10, max_batch_timeout=5, max_retries=1, retry_delay=30)
    clock, queue, rec = make(settings, _always_fail)
    queue.start()

    async def scenario() -> None:
        await queue.send("x")
        await clock.run_until_idle()

    run(scenario())
    # first batch closes at the 5 s timeout; the retry is ready at 35 s, and its batch closes 5 s later
    assert rec.times == [T0 + timedelta(seconds=5), T0 + timedelta(seconds=40)]
    assert len(queue.dropped) == 1


def test_drain_is_bounded() -> None:
    _clock, queue, _ = make()

    async def forever(batch: MessageBatch) -> None:
        await queue.send("again")

    queue.set_consumer(forever)

    async def scenario() -> None:
        await queue.send("start")
        with pytest.raises(QueueDrainError, match="not drained after 20 batches"):
            await queue.drain(max_batches=20)

    run(scenario())
    assert queue.pending_count() == 1  # still usable, nothing lost


# -- persistence -------------------------------------------------------------------------------------------


def test_pending_messages_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    clock = VirtualClock(start=T0)

    def first_run(batch: MessageBatch) -> None:
        batch.messages[0].ack()
        batch.messages[1].retry(delay_seconds=30)
        # the third is implicitly acked; the fourth is not in this batch

    q1 = Queue("jobs", clock=clock, path=db, settings=QueueSettings(max_batch_size=3))
    q1.set_consumer(first_run)

    async def before() -> list[str]:
        await q1.send_batch([{"body": {"n": n}} for n in range(4)])
        result = await q1.deliver_once()
        assert result is not None
        return result.message_ids

    ids = run(before())
    q1.registry.close()

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, attempts FROM _wfkit_queue_messages ORDER BY seq").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert sorted(rows) == sorted([(ids[1], 1), (q1.pending()[0].id, 0)])

    q2 = Queue("jobs", clock=clock, path=db, settings=QueueSettings(max_batch_size=3))
    pending = {p.body["n"]: p for p in q2.pending()}
    assert set(pending) == {1, 3}
    assert pending[1].id == ids[1]
    assert pending[1].attempts == 1
    assert pending[1].not_before == T0 + timedelta(seconds=30)
    rec = Recorder()
    q2.set_consumer(rec)
    run(q2.drain())
    assert sorted(rec.bodies, key=lambda b: b["n"]) == [{"n": 1}, {"n": 3}]
    assert {(b["n"], a) for batch in rec.batches for b, a in batch} == {(1, 2), (3, 1)}
    q2.registry.close()

    q3 = Queue("jobs", clock=clock, path=db)
    assert q3.pending() == []
    q3.registry.close()


def test_a_delivery_is_recorded_before_the_consumer_runs(tmp_path: Path) -> None:
    """If the process dies mid-batch, the restarted queue still counts that delivery."""
    db = tmp_path / "state.sqlite"
    queue = Queue("jobs", clock=VirtualClock(start=T0), path=db)
    seen: list[tuple[int, int]] = []

    def consumer(batch: MessageBatch) -> None:
        with sqlite3.connect(db) as conn:
            (stored,) = conn.execute("SELECT attempts FROM _wfkit_queue_messages").fetchone()
        seen.append((batch.messages[0].attempts, stored))
        batch.retry_all()

    queue.set_consumer(consumer)
    run(queue.send("x"))
    run(queue.deliver_once())
    run(queue.deliver_once())
    queue.registry.close()
    assert seen == [(1, 1), (2, 2)]


def test_in_memory_by_default() -> None:
    clock = VirtualClock(start=T0)
    q1 = Queue("jobs", clock=clock)
    run(q1.send(1))
    assert q1.registry.path is None
    assert Queue("jobs", clock=clock).pending() == []


# -- serving with real time --------------------------------------------------------------------------------


def test_background_mode_with_a_system_clock() -> None:
    clock = SystemClock()
    queue = Queue("jobs", clock=clock, settings=QueueSettings(max_batch_size=4, max_batch_timeout=0.05))
    got: list[tuple[list[Any], float]] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        delivered = asyncio.Event()

        async def consumer(batch: MessageBatch) -> None:
            got.append(([m.body for m in batch.messages], loop.time()))
            delivered.set()

        queue.set_consumer(consumer)
        queue.start()
        await queue.send_batch([{"body": n} for n in range(4)])  # full: closes at once
        await asyncio.wait_for(delivered.wait(), timeout=5)
        delivered.clear()
        assert [bodies for bodies, _ in got] == [[0, 1, 2, 3]]
        sent = loop.time()
        await queue.send_batch([{"body": n} for n in range(4, 7)])  # partial: closes on the timeout
        await asyncio.wait_for(delivered.wait(), timeout=5)
        await queue.stop()
        assert [bodies for bodies, _ in got] == [[0, 1, 2, 3], [4, 5, 6]]
        assert got[1][1] - sent >= 0.045  # not before the 50 ms batch timeout
        assert queue.pending_count() == 0
        assert not queue.running

    run(scenario())


def test_drain_with_a_system_clock_sleeps_for_delays() -> None:
    queue = Queue("jobs", clock=SystemClock(), settings=QueueSettings(max_retries=1))
    rec = Recorder(_always_fail)
    queue.set_consumer(rec)

    async def scenario() -> None:
        await queue.send("x", delay_seconds=0.05)
        await queue.drain()

    run(scenario())
    assert [a for b in rec.batches for _, a in b] == [1, 2]


# -- the accounting property -------------------------------------------------------------------------------

ACTIONS = st.sampled_from(["ok", "ack", "retry", "raise", "retry_then_ack"])


@settings(deadline=None)
@given(
    plans=st.lists(st.lists(ACTIONS, max_size=6), min_size=1, max_size=25),
    max_retries=st.integers(0, 4),
    batch_size=st.integers(1, 10),
    with_dlq=st.booleans(),
    retry_delay=st.sampled_from([0, 0, 7.5]),
)
def test_nothing_lost_nothing_duplicated(
    plans: list[list[str]], max_retries: int, batch_size: int, with_dlq: bool, retry_delay: float
) -> None:
    """For any fault plan, every message ends acked exactly once or exhausted after max_retries + 1."""
    qs = QueueSettings(
        max_batch_size=batch_size,
        max_retries=max_retries,
        retry_delay=retry_delay,
        dead_letter_queue="dlq" if with_dlq else None,
    )
    clock = VirtualClock(start=T0)
    queue = Queue("jobs", clock=clock, settings=qs)
    seen_attempts: dict[int, list[int]] = {}

    def consumer(batch: MessageBatch) -> None:
        fail = False
        for m in batch.messages:
            n = m.body["n"]
            seen_attempts.setdefault(n, []).append(m.attempts)
            plan = plans[n]
            action = plan[m.attempts - 1] if m.attempts <= len(plan) else "ok"
            if action == "ack":
                m.ack()
            elif action == "retry":
                m.retry()
            elif action == "retry_then_ack":
                m.retry()
                m.ack()
            elif action == "raise":
                fail = True
        if fail:
            raise RuntimeError("injected")

    queue.set_consumer(consumer)

    async def scenario() -> None:
        await queue.send_batch([{"body": {"n": n}} for n in range(len(plans))])
        await queue.drain()

    run(scenario())

    assert queue.pending_count() == 0
    assert queue.acked_ids is not None
    acked = Counter(queue.acked_ids)
    exhausted = Counter(d.id for d in [*queue.dropped, *queue.dead_lettered])
    assert all(c == 1 for c in acked.values()), "a message was acked twice"
    assert all(c == 1 for c in exhausted.values()), "a message was exhausted twice"
    assert not set(acked) & set(exhausted)
    assert len(acked) + len(exhausted) == len(plans) == queue.stats.sent
    for record in [*queue.dropped, *queue.dead_lettered]:
        assert record.attempts == max_retries + 1
        assert seen_attempts[record.body["n"]] == list(range(1, max_retries + 2))
    for attempts in seen_attempts.values():
        assert attempts == list(range(1, len(attempts) + 1))
        assert len(attempts) <= max_retries + 1
    # A message whose own plan fails on every allowed delivery by retry() must be exhausted.
    for n, plan in enumerate(plans):
        if len(plan) >= max_retries + 1 and all(a == "retry" for a in plan[: max_retries + 1]):
            assert n in {d.body["n"] for d in [*queue.dropped, *queue.dead_lettered]}
    s = queue.stats
    assert s.delivered == s.acked + s.retried + s.dropped + s.dead_lettered
    if with_dlq:
        assert queue.dropped == []
        dlq_count = queue.registry.get("dlq").pending_count() if "dlq" in queue.registry else 0
        assert dlq_count == len(queue.dead_lettered)
    else:
        assert queue.dead_lettered == []
