"""The runtime clock: JS timestamp formatting, virtual time, timer ordering, guards, and the real clock."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.runtime.bindings.clock import (
    Clock,
    ClockError,
    SystemClock,
    VirtualClock,
    epoch_ms,
    iso_ms,
)

T = TypeVar("T")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


# -- formatting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dt", "expected"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05.000Z"),
        (datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=UTC), "2026-01-02T03:04:05.006Z"),
        (datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC), "2026-01-02T03:04:05.999Z"),
        (datetime(999, 12, 31, 23, 59, 59, 120_000, tzinfo=UTC), "0999-12-31T23:59:59.120Z"),
        # Converted to UTC, like toISOString().
        (datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))), "2025-12-31T23:30:00.000Z"),
    ],
)
def test_iso_ms_matches_js_to_iso_string(dt: datetime, expected: str) -> None:
    assert iso_ms(dt) == expected


@given(st.datetimes(timezones=st.just(UTC)))
def test_iso_ms_fast_path_matches_the_field_by_field_format(dt: datetime) -> None:
    expected = (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
        f".{dt.microsecond // 1000:03d}Z"
    )
    assert iso_ms(dt) == expected
    assert iso_ms(dt.astimezone(timezone(timedelta(hours=-3)))) == expected  # the general path


def test_virtual_clock_now_iso_follows_every_move() -> None:
    clock = VirtualClock(start=T0)
    assert clock.now_iso() == "2026-03-01T12:00:00.000Z"

    async def scenario() -> list[str]:
        seen = [clock.now_iso()]
        await clock.advance(0.0015)
        seen.append(clock.now_iso())
        await clock.advance(0.0005)
        seen.append(clock.now_iso())
        await clock.advance(86400)
        seen.append(clock.now_iso())
        return seen

    assert run(scenario()) == [
        "2026-03-01T12:00:00.000Z",
        "2026-03-01T12:00:00.001Z",
        "2026-03-01T12:00:00.002Z",
        "2026-03-02T12:00:00.002Z",
    ]
    assert clock.now_iso() == iso_ms(clock.now())

    class Shifted(VirtualClock):
        def now(self) -> datetime:
            return super().now() + timedelta(hours=1)

    assert Shifted(start=T0).now_iso() == "2026-03-01T13:00:00.000Z"


def test_iso_ms_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_ms(datetime(2026, 1, 1))


def test_now_helpers_on_virtual_clock() -> None:
    clock = VirtualClock(start=datetime(2026, 3, 1, 12, 0, 0, 250_500, tzinfo=UTC))
    assert clock.now() == datetime(2026, 3, 1, 12, 0, 0, 250_500, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.now_iso() == "2026-03-01T12:00:00.250Z"
    assert clock.now_ms() == epoch_ms(clock.now()) == 1772366400250
    assert isinstance(clock, Clock)
    assert isinstance(SystemClock(), Clock)


def test_virtual_clock_default_start_is_fixed() -> None:
    assert VirtualClock().now() == VirtualClock().now() == datetime(2026, 1, 1, tzinfo=UTC)


def test_start_in_another_zone_is_normalised_to_utc() -> None:
    clock = VirtualClock(start=datetime(2026, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)


# -- ordering --------------------------------------------------------------------------------------------


def test_timers_run_in_time_order_at_their_own_time() -> None:
    clock = VirtualClock(start=T0)
    seen: list[tuple[str, datetime]] = []
    for label, seconds in [("c", 3.0), ("a", 1.0), ("b", 2.0)]:
        clock.call_later(seconds, lambda label=label: seen.append((label, clock.now())))  # type: ignore[misc]
    run(clock.advance(5))
    assert seen == [
        ("a", T0 + timedelta(seconds=1)),
        ("b", T0 + timedelta(seconds=2)),
        ("c", T0 + timedelta(seconds=3)),
    ]
    assert clock.now() == T0 + timedelta(seconds=5)


def test_equal_times_run_fifo_by_scheduling_order() -> None:
    clock = VirtualClock(start=T0)
    seen: list[int] = []
    for n in [4, 1, 3, 0, 2]:
        clock.call_at(T0 + timedelta(seconds=7), lambda n=n: seen.append(n))  # type: ignore[misc]
    run(clock.advance(7))
    assert seen == [4, 1, 3, 0, 2]


def test_timer_not_run_before_due() -> None:
    clock = VirtualClock(start=T0)
    seen: list[datetime] = []
    clock.call_later(5, lambda: seen.append(clock.now()))

    async def scenario() -> None:
        await clock.advance(4.999)
        assert seen == []
        await clock.advance(0.001)
        assert seen == [T0 + timedelta(seconds=5)]

    run(scenario())


def test_cancel() -> None:
    clock = VirtualClock(start=T0)
    seen: list[str] = []
    keep = clock.call_later(1, lambda: seen.append("keep"))
    drop = clock.call_later(1, lambda: seen.append("drop"))
    drop.cancel()
    drop.cancel()  # harmless twice
    assert drop.cancelled
    assert not keep.cancelled
    assert clock.pending_timers() == 1
    run(clock.advance(2))
    assert seen == ["keep"]
    assert keep.when == T0 + timedelta(seconds=1)


def test_timers_scheduled_during_advance_run_if_due() -> None:
    clock = VirtualClock(start=T0)
    seen: list[tuple[str, float]] = []

    def first() -> None:
        seen.append(("first", (clock.now() - T0).total_seconds()))
        clock.call_later(2, lambda: seen.append(("inside", (clock.now() - T0).total_seconds())))
        clock.call_later(20, lambda: seen.append(("later", (clock.now() - T0).total_seconds())))

    clock.call_later(1, first)
    run(clock.advance(10))
    assert seen == [("first", 1.0), ("inside", 3.0)]
    assert clock.pending_timers() == 1


def test_async_callbacks_are_awaited_in_order() -> None:
    clock = VirtualClock(start=T0)
    seen: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        seen.append("async")

    clock.call_later(1, slow)
    clock.call_later(1, lambda: seen.append("sync"))
    run(clock.advance(1))
    assert seen == ["async", "sync"]


def test_past_call_at_runs_now_without_moving_time_back() -> None:
    clock = VirtualClock(start=T0)
    seen: list[datetime] = []
    clock.call_at(T0 - timedelta(hours=1), lambda: seen.append(clock.now()))
    run(clock.advance(0))
    assert seen == [T0]


def test_sleep_wakes_at_virtual_time_and_chains() -> None:
    clock = VirtualClock(start=T0)
    wakes: list[float] = []

    async def sleeper() -> None:
        for _ in range(3):
            await clock.sleep(10)
            wakes.append((clock.now() - T0).total_seconds())

    async def scenario() -> None:
        task = asyncio.create_task(sleeper())
        await clock.advance(9.999)
        assert wakes == []
        await clock.advance(0.001)
        assert wakes == [10.0]
        await clock.advance(25)
        assert wakes == [10.0, 20.0, 30.0]
        await task

    run(scenario())


def test_advance_to_next_event() -> None:
    clock = VirtualClock(start=T0)
    seen: list[str] = []
    clock.call_later(30, lambda: seen.append("b"))
    clock.call_later(10, lambda: seen.append("a1"))
    clock.call_later(10, lambda: seen.append("a2"))

    async def scenario() -> None:
        assert await clock.advance_to_next_event() == T0 + timedelta(seconds=10)
        assert seen == ["a1", "a2"]
        assert clock.next_event_time() == T0 + timedelta(seconds=30)
        assert await clock.advance_to_next_event() == T0 + timedelta(seconds=30)
        assert await clock.advance_to_next_event() is None
        assert clock.now() == T0 + timedelta(seconds=30)

    run(scenario())


def test_cancelled_timers_are_invisible() -> None:
    clock = VirtualClock(start=T0)
    clock.call_later(10, lambda: None).cancel()
    assert clock.next_event_time() is None
    assert run(clock.run_until_idle()) == 0
    assert clock.now() == T0
    clock.call_later(10, lambda: None).cancel()
    clock.call_later(20, lambda: None)
    assert run(clock.advance_to_next_event()) == T0 + timedelta(seconds=20)


# -- run_until_idle ----------------------------------------------------------------------------------------


def test_run_until_idle_runs_everything() -> None:
    clock = VirtualClock(start=T0)
    seen: list[int] = []

    def chain(n: int) -> None:
        seen.append(n)
        if n < 5:
            clock.call_later(3600, lambda: chain(n + 1))

    clock.call_later(1, lambda: chain(0))
    assert run(clock.run_until_idle()) == 6
    assert seen == [0, 1, 2, 3, 4, 5]
    assert clock.now() == T0 + timedelta(seconds=1 + 5 * 3600)


def _periodic(clock: VirtualClock, seconds: float, seen: list[datetime]) -> None:
    def tick() -> None:
        seen.append(clock.now())
        clock.call_later(seconds, tick)

    clock.call_later(seconds, tick)


def test_run_until_idle_guards_against_endless_periodic_timers() -> None:
    clock = VirtualClock(start=T0)
    seen: list[datetime] = []
    _periodic(clock, 60, seen)
    with pytest.raises(ClockError, match=r"still busy after 50 timer events.*horizon="):
        run(clock.run_until_idle(max_events=50))
    assert len(seen) == 50


def test_run_until_idle_horizon_stops_there() -> None:
    clock = VirtualClock(start=T0)
    seen: list[datetime] = []
    _periodic(clock, 3600, seen)
    ran = run(clock.run_until_idle(horizon=timedelta(days=1).total_seconds()))
    assert ran == 24
    assert seen[-1] == T0 + timedelta(days=1)
    assert clock.now() == T0 + timedelta(days=1)
    assert clock.pending_timers() == 1  # the periodic timer is still there
    ran = run(clock.run_until_idle(horizon=T0 + timedelta(days=2, minutes=30)))
    assert ran == 24
    assert clock.now() == T0 + timedelta(days=2, minutes=30)


def test_driving_from_a_callback_is_refused() -> None:
    clock = VirtualClock(start=T0)

    async def nested() -> None:
        await clock.advance(1)

    clock.call_later(1, nested)
    with pytest.raises(ClockError, match="already being driven"):
        run(clock.advance(1))


# -- validation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, -0.001, float("nan"), float("inf")])
def test_bad_seconds_are_rejected_eagerly(bad: float) -> None:
    clock = VirtualClock(start=T0)
    with pytest.raises(ValueError, match="seconds"):
        clock.call_later(bad, lambda: None)
    with pytest.raises(ValueError, match="seconds"):
        run(clock.advance(bad))
    with pytest.raises(ValueError, match="seconds"):
        run(clock.sleep(bad))


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        VirtualClock(start=datetime(2026, 1, 1))
    clock = VirtualClock(start=T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.call_at(datetime(2026, 3, 2), lambda: None)
    with pytest.raises(ValueError, match="timezone-aware"):
        run(clock.advance_to(datetime(2026, 3, 2)))


def test_other_argument_errors() -> None:
    clock = VirtualClock(start=T0)
    with pytest.raises(TypeError, match="callable"):
        clock.call_later(1, "not callable")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="number of seconds"):
        run(clock.advance("5"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backwards"):
        run(clock.advance_to(T0 - timedelta(seconds=1)))
    with pytest.raises(ValueError, match="max_events"):
        run(clock.run_until_idle(max_events=0))
    with pytest.raises(ValueError, match="before the current time"):
        run(clock.run_until_idle(horizon=T0 - timedelta(seconds=1)))


# -- system clock ------------------------------------------------------------------------------------------


def test_system_clock_reads_real_utc_time() -> None:
    clock = SystemClock()
    before = datetime.now(UTC)
    now = clock.now()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)
    assert clock.now_iso().endswith("Z")
    assert len(clock.now_iso()) == 24


def test_system_clock_timers() -> None:
    clock = SystemClock()

    async def scenario() -> list[str]:
        seen: list[str] = []
        done = asyncio.Event()

        async def async_cb() -> None:
            seen.append("async")
            done.set()

        clock.call_later(0.02, lambda: seen.append("sync"))
        cancelled = clock.call_later(0.01, lambda: seen.append("cancelled"))
        cancelled.cancel()
        clock.call_at(clock.now() + timedelta(seconds=0.04), async_cb)
        await asyncio.wait_for(done.wait(), timeout=2)
        await clock.sleep(0.01)
        return seen

    assert run(scenario()) == ["sync", "async"]


def test_system_clock_needs_a_running_loop() -> None:
    with pytest.raises(ClockError, match="running asyncio event loop"):
        SystemClock().call_later(1, lambda: None)
