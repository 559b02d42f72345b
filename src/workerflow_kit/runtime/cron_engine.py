"""Cron Triggers as Cloudflare runs them: one ``scheduled`` event per trigger per matching UTC minute.

The engine owns a list of trigger strings (a worker's ``triggers.crons``; for WorkerFlow the scheduler's four)
and a ``dispatch`` coroutine (the scheduler's ``scheduled`` with its env bound). Times follow Cloudflare's
dialect (:mod:`workerflow_kit.contracts.cron`); each event's ``scheduled_time`` is the start of its minute.

* On a :class:`~workerflow_kit.runtime.bindings.clock.VirtualClock` the engine arms one clock timer at the
  next event (:func:`~workerflow_kit.contracts.cron.next_event`) and re-arms after firing, so
  ``await clock.advance(days)`` fires every event in between, in time order, interleaved with the queue's own
  timers. (A periodic timer never lets ``clock.run_until_idle()`` finish: pass it a ``horizon``.)
* On a :class:`~workerflow_kit.runtime.bindings.clock.SystemClock` it runs as one background asyncio task
  that sleeps until the next event.

Events fire strictly after the moment the engine starts (a trigger whose minute has already begun is not
caught up, as on Cloudflare); :meth:`CronEngine.fire_due_crons` fires the current minute's events on demand.
A trigger fires at most once per minute however it is asked to. When several triggers share a minute they
fire in declaration order (duplicates in the list count once). An event whose handler raises is logged and
recorded as ``"exception"`` in :attr:`CronEngine.history` (Cloudflare's Cron Events log); the engine keeps
going.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from workerflow_kit.contracts import cron as cron_dialect
from workerflow_kit.runtime.bindings.clock import Clock, TimerHandle, VirtualClock, iso_ms
from workerflow_kit.runtime.workers.base import ScheduledController

__all__ = ["CronDispatch", "CronEngine", "CronEvent"]

log = logging.getLogger("workerflow_kit.runtime.cron")

CronDispatch = Callable[[ScheduledController], Awaitable[None]]
"""What an event is handed to: usually ``lambda c: scheduler.scheduled(c, env)``."""

HISTORY_SIZE = 10_000
"""How many past events :attr:`CronEngine.history` keeps (oldest dropped first)."""


@dataclass(frozen=True, slots=True)
class CronEvent:
    """One dispatched event: the trigger, its scheduled minute, and how the handler ended."""

    cron: str
    scheduled_time: datetime
    outcome: Literal["ok", "exception"]
    error: str | None = None

    def __str__(self) -> str:
        tail = f" ({self.error})" if self.error else ""
        return f"{iso_ms(self.scheduled_time)} {self.cron!r} {self.outcome}{tail}"


def _minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class CronEngine:
    """Fire ``scheduled`` events for ``triggers`` from ``clock``. Call :meth:`start`, later :meth:`stop`.

    Trigger strings are validated eagerly (:class:`~workerflow_kit.contracts.cron.CronSyntaxError` names the
    bad one), as ``wrangler deploy`` rejects a config with an invalid trigger.
    """

    def __init__(self, clock: Clock, triggers: Iterable[str], dispatch: CronDispatch) -> None:
        """Prepare (not start) an engine for ``triggers`` on ``clock`` handing events to ``dispatch``."""
        unique = list(dict.fromkeys(triggers))
        for expression in unique:
            cron_dialect.validate(expression)
        self.clock = clock
        self.triggers: tuple[str, ...] = tuple(unique)
        self._dispatch = dispatch
        self.fired: Counter[str] = Counter()
        """How many events each trigger fired (automatic and on-demand alike)."""
        self.history: deque[CronEvent] = deque(maxlen=HISTORY_SIZE)
        """The most recent events, oldest first."""
        self._last_minute: dict[str, datetime] = {}
        self._timer: TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = False

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return f"<CronEngine {state} triggers={list(self.triggers)!r} fired={sum(self.fired.values())}>"

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._running

    def next_event(self) -> tuple[datetime, list[str]] | None:
        """When the next automatic event is due after the clock's current time, and which triggers fire then."""
        if not self.triggers:
            return None
        return cron_dialect.next_event(self.triggers, self.clock.now())

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin firing automatically. On a real clock, call from async code (it starts a task)."""
        if self._running:
            return
        self._running = True
        if not self.triggers:
            return
        if isinstance(self.clock, VirtualClock):
            self._arm()
        else:
            self._task = asyncio.get_running_loop().create_task(self._run_real_time(), name="workerflow-cron")

    async def stop(self) -> None:
        """Stop firing; waits for a background task to finish cancelling."""
        self._running = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- firing -------------------------------------------------------------------------------------------

    async def fire_due_crons(self) -> list[CronEvent]:
        """Fire the triggers matching the clock's current minute that have not fired for it yet."""
        minute = _minute_floor(self.clock.now())
        return await self._fire_minute(minute, cron_dialect.firing(self.triggers, minute))

    async def _fire_minute(self, minute: datetime, due: Iterable[str]) -> list[CronEvent]:
        events: list[CronEvent] = []
        for expression in due:
            if self._last_minute.get(expression) == minute:
                continue  # already fired for this minute (timer and fire_due_crons both asked)
            self._last_minute[expression] = minute
            events.append(await self._fire_one(expression, minute))
        return events

    async def _fire_one(self, expression: str, minute: datetime) -> CronEvent:
        self.fired[expression] += 1
        try:
            await self._dispatch(ScheduledController(cron=expression, scheduled_time=minute))
        except Exception as exc:
            log.exception("cron event %r at %s failed", expression, iso_ms(minute))
            event = CronEvent(expression, minute, "exception", f"{type(exc).__name__}: {exc}")
        else:
            event = CronEvent(expression, minute, "ok")
        self.history.append(event)
        return event

    # -- virtual clock ------------------------------------------------------------------------------------

    def _arm(self) -> None:
        upcoming = self.next_event()
        if upcoming is None:
            self._timer = None
            return
        when, due = upcoming
        self._timer = self.clock.call_at(when, lambda: self._on_timer(when, due))

    async def _on_timer(self, when: datetime, due: list[str]) -> None:
        self._timer = None
        if not self._running:
            return
        try:
            await self._fire_minute(when, due)
        finally:
            if self._running and self._timer is None:
                self._arm()

    # -- real clock ---------------------------------------------------------------------------------------

    async def _run_real_time(self) -> None:
        while self._running:
            upcoming = self.next_event()
            if upcoming is None:
                return
            when, due = upcoming
            # Sleep in slices so a wall-clock jump (suspend, NTP) cannot make us oversleep for long.
            while (remaining := (when - self.clock.now()).total_seconds()) > 0:
                await asyncio.sleep(min(remaining, 30.0))
            await self._fire_minute(when, due)
