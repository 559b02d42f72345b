"""The cron engine: Cloudflare's trigger semantics driven by the runtime clock."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Coroutine
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workerflow_kit.contracts import cron as cron_dialect
from workerflow_kit.contracts.cron import CronSyntaxError
from workerflow_kit.contracts.models import builtin_routes, builtin_schedules
from workerflow_kit.contracts.project import load_bundled
from workerflow_kit.runtime.bindings.clock import SystemClock, VirtualClock
from workerflow_kit.runtime.cron_engine import CronEngine
from workerflow_kit.runtime.workers.base import ScheduledController, WorkerContext
from workerflow_kit.runtime.workers.scheduler import SchedulerWorker

T = TypeVar("T")
BASELINE = load_bundled().topology.trigger_crons
YEAR_2028 = datetime(2028, 1, 1, tzinfo=UTC)  # a leap year
YEAR_SECONDS_2028 = 366 * 86_400


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Recorder:
    """A dispatch target that records every controller and the clock's time when it was called."""

    def __init__(self, clock: VirtualClock | SystemClock) -> None:
        self.clock = clock
        self.events: list[ScheduledController] = []
        self.called_at: list[datetime] = []

    async def __call__(self, controller: ScheduledController) -> None:
        self.events.append(controller)
        self.called_at.append(self.clock.now())


def expected_fires(expression: str, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time of ``expression`` in (start, end], from the dialect's own ``next_fires``."""
    fires: list[datetime] = []
    after = start
    while True:
        batch = cron_dialect.next_fires(expression, after, 500)
        fires.extend(t for t in batch if t <= end)
        if len(batch) < 500 or batch[-1] > end:
            return fires
        after = batch[-1]


async def simulate(triggers: tuple[str, ...], start: datetime, seconds: int) -> Recorder:
    clock = VirtualClock(start=start)
    recorder = Recorder(clock)
    engine = CronEngine(clock, triggers, recorder)
    engine.start()
    await clock.advance(seconds)
    await engine.stop()
    return recorder


def test_baseline_triggers_are_the_schedulers_four() -> None:
    assert BASELINE == ("0 2 1 * *", "0 2 3 * *", "0 0 * * *", "0 5 * * 5")


def test_a_year_of_baseline_triggers_matches_next_fires() -> None:
    recorder = run(simulate(BASELINE, YEAR_2028, YEAR_SECONDS_2028))
    end = YEAR_2028 + timedelta(seconds=YEAR_SECONDS_2028)
    counts = Counter(event.cron for event in recorder.events)
    for expression in BASELINE:
        fires = expected_fires(expression, YEAR_2028, end)
        assert counts[expression] == len(fires), expression
        assert [e.scheduled_time for e in recorder.events if e.cron == expression] == fires
    assert counts == {"0 2 1 * *": 12, "0 2 3 * *": 12, "0 0 * * *": 366, "0 5 * * 5": 52}
    # In time order, each delivered while the clock reads its scheduled minute.
    times = [event.scheduled_time for event in recorder.events]
    assert times == sorted(times)
    assert recorder.called_at == times


def test_dialect_details_weekday_month_start_and_leap_day() -> None:
    recorder = run(simulate(BASELINE, YEAR_2028, YEAR_SECONDS_2028))
    by_cron: dict[str, list[datetime]] = {}
    for event in recorder.events:
        by_cron.setdefault(event.cron, []).append(event.scheduled_time)
    # Cloudflare numbers weekdays 1-7 = SUN-SAT, so 5 is Thursday.
    assert {t.strftime("%a") for t in by_cron["0 5 * * 5"]} == {"Thu"}
    assert all(t.hour == 5 and t.minute == 0 for t in by_cron["0 5 * * 5"])
    assert date(2028, 2, 29) in {t.date() for t in by_cron["0 0 * * *"]}
    assert [t.date() for t in by_cron["0 2 1 * *"]] == [date(2028, month, 1) for month in range(1, 13)]
    assert [t.date() for t in by_cron["0 2 3 * *"]] == [date(2028, month, 3) for month in range(1, 13)]
    # Month ends: the daily trigger covers 31st, 30th and the 29th of February alike.
    days = {t.date() for t in by_cron["0 0 * * *"]}
    assert {date(2028, 1, 31), date(2028, 4, 30), date(2028, 12, 31)} <= days


def test_events_start_strictly_after_the_start_instant() -> None:
    # Starting exactly at midnight does not replay that midnight; the next one fires.
    recorder = run(simulate(("0 0 * * *",), YEAR_2028, 86_400))
    assert [e.scheduled_time for e in recorder.events] == [YEAR_2028 + timedelta(days=1)]


def test_scheduled_time_is_the_minute_even_mid_minute_start() -> None:
    recorder = run(simulate(("*/15 * * * *",), YEAR_2028 + timedelta(seconds=7.5), 3600))
    assert [e.scheduled_time.minute for e in recorder.events] == [15, 30, 45, 0]
    assert all(e.scheduled_time.second == 0 and e.scheduled_time.microsecond == 0 for e in recorder.events)


def test_triggers_sharing_a_minute_fire_in_declaration_order_once_each() -> None:
    recorder = run(simulate(("0 0 * * *", "0 0 1 * *", "0 0 * * *"), datetime(2028, 1, 31, tzinfo=UTC), 86_400))
    assert [e.cron for e in recorder.events] == ["0 0 * * *", "0 0 1 * *"]


def test_fire_due_crons_fires_the_current_minute_once() -> None:
    async def scenario() -> tuple[list[str], list[str], list[str]]:
        clock = VirtualClock(start=YEAR_2028 + timedelta(seconds=20))
        recorder = Recorder(clock)
        engine = CronEngine(clock, BASELINE, recorder)
        engine.start()
        first = [e.cron for e in await engine.fire_due_crons()]
        again = [e.cron for e in await engine.fire_due_crons()]
        await clock.advance(86_400)  # next midnight fires from the timer, once
        await engine.fire_due_crons()  # 00:00:20 next day: already fired this minute
        await engine.stop()
        return first, again, [e.cron for e in recorder.events]

    first, again, all_events = run(scenario())
    assert first == ["0 0 * * *"]
    assert again == []
    # Jan 1 00:00 on demand, Jan 1 02:00 (first of the month), Jan 2 00:00 from the timer; nothing twice.
    assert all_events == ["0 0 * * *", "0 2 1 * *", "0 0 * * *"]


def test_fire_due_crons_outside_any_trigger_minute_does_nothing() -> None:
    async def scenario() -> list[Any]:
        clock = VirtualClock(start=datetime(2028, 1, 1, 13, 7, tzinfo=UTC))
        engine = CronEngine(clock, BASELINE, Recorder(clock))
        return await engine.fire_due_crons()

    assert run(scenario()) == []


def test_a_failing_event_is_recorded_and_the_engine_keeps_going() -> None:
    async def scenario() -> CronEngine:
        clock = VirtualClock(start=YEAR_2028)
        calls = 0

        async def flaky(controller: ScheduledController) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise ValueError("boom")

        engine = CronEngine(clock, ("0 0 * * *",), flaky)
        engine.start()
        await clock.advance(3 * 86_400)
        await engine.stop()
        return engine

    engine = run(scenario())
    assert [event.outcome for event in engine.history] == ["exception", "ok", "ok"]
    assert engine.history[0].error == "ValueError: boom"
    assert engine.fired["0 0 * * *"] == 3


def test_stop_disarms_the_timer() -> None:
    async def scenario() -> int:
        clock = VirtualClock(start=YEAR_2028)
        recorder = Recorder(clock)
        engine = CronEngine(clock, ("0 * * * *",), recorder)
        engine.start()
        await clock.advance(3600)
        await engine.stop()
        await clock.advance(10 * 3600)
        return len(recorder.events)

    assert run(scenario()) == 1


def test_invalid_trigger_is_rejected_eagerly() -> None:
    with pytest.raises(CronSyntaxError):
        CronEngine(VirtualClock(), ("0 0 * * 0",), Recorder(VirtualClock()))


def test_no_triggers_means_no_events() -> None:
    recorder = run(simulate((), YEAR_2028, 86_400))
    assert recorder.events == []


def test_real_clock_background_task_fires_and_stops() -> None:
    async def scenario() -> list[ScheduledController]:
        clock = SystemClock()
        recorder = Recorder(clock)
        engine = CronEngine(clock, ("* * * * *",), recorder)
        due = clock.now() + timedelta(milliseconds=20)
        answers = iter([(due, ["* * * * *"])])
        engine.next_event = lambda: next(answers, None)  # type: ignore[method-assign]
        engine.start()
        assert engine._task is not None
        await asyncio.wait_for(engine._task, timeout=10)
        await engine.stop()
        return recorder.events

    (event,) = run(scenario())
    assert event.cron == "* * * * *"


def test_real_clock_stop_cancels_a_sleeping_engine() -> None:
    async def scenario() -> bool:
        engine = CronEngine(SystemClock(), ("0 0 1 1 *",), Recorder(SystemClock()))
        engine.start()
        await asyncio.sleep(0)
        task = engine._task
        await engine.stop()
        return task is not None and task.done() and not engine.running

    assert run(scenario())


# ------------------------------------------------------------------------------------ with the scheduler


def scheduler_dispatch(clock: VirtualClock, env: dict[str, object]) -> Any:
    context = WorkerContext(clock, httpx.AsyncClient(), builtin_routes(), builtin_schedules())
    worker = SchedulerWorker(context)
    return lambda controller: worker.scheduled(controller, env)


class Sink:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, body: dict[str, Any]) -> None:
        self.sent.append(body)


async def year_through_scheduler(env: dict[str, object]) -> Sink:
    sink = Sink()
    env["AUTOMATION_QUEUE"] = sink
    clock = VirtualClock(start=YEAR_2028)
    engine = CronEngine(clock, BASELINE, scheduler_dispatch(clock, env))
    engine.start()
    await clock.advance(YEAR_SECONDS_2028)
    await engine.stop()
    return sink


def test_builtin_schedules_never_fire_from_the_baseline_triggers() -> None:
    # Upstream defect Q1, kept faithfully: no trigger string equals "0 * * * *" or "0 3 * * *".
    sink = run(year_through_scheduler({}))
    assert sink.sent == []


def test_config_mode_example_daily_fires_once_a_day() -> None:
    schedules = [
        {"id": "example_daily", "cron": "0 0 * * *", "enabled": True, "target": "f/example/daily", "timeZone": "UTC"}
    ]
    sink = run(year_through_scheduler({"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": json.dumps(schedules)}))
    assert len(sink.sent) == 366
    assert {task["scheduleId"] for task in sink.sent} == {"example_daily"}
    stamps = [task["payload"]["scheduledTime"] for task in sink.sent]
    assert stamps[0] == "2028-01-02T00:00:00.000Z"
    assert "2028-02-29T00:00:00.000Z" in stamps
    assert len(set(stamps)) == 366


# ------------------------------------------------------------------------------------------ property

minute_field = st.sampled_from(["0", "30", "15,45", "*/20", "5-10/5"])
hour_field = st.sampled_from(["*", "0", "*/6", "9-17/4", "22-2", "3,15"])
dom_field = st.sampled_from(["*", "1", "15", "L", "LW", "15W", "1-7", "L-2", "*/10", "31"])
month_field = st.sampled_from(["*", "*", "2", "JAN,MAR", "2-4", "NOV-FEB"])
dow_field = st.sampled_from(["*", "*", "2", "MON-FRI", "6L", "2#1", "1,7", "L", "FRI-SUN"])
expressions = st.builds(lambda *parts: " ".join(parts), minute_field, hour_field, dom_field, month_field, dow_field)


@settings(max_examples=30, deadline=None)
@given(
    triggers=st.lists(expressions, min_size=1, max_size=3),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    days=st.integers(min_value=1, max_value=40),
)
def test_property_fire_counts_equal_the_dialects_next_fires(triggers: list[str], start: datetime, days: int) -> None:
    seconds = days * 86_400
    recorder = run(simulate(tuple(triggers), start, seconds))
    end = start + timedelta(seconds=seconds)
    counts = Counter(event.cron for event in recorder.events)
    for expression in dict.fromkeys(triggers):
        assert counts[expression] == len(expected_fires(expression, start, end)), expression
    assert [e.scheduled_time for e in recorder.events] == sorted(e.scheduled_time for e in recorder.events)
