"""One clock for the whole runtime: timestamps, batch timeouts, retry delays and cron events.

Every part of the reference runtime that needs "now" or "later" asks a :class:`Clock`. Two
implementations exist:

* :class:`VirtualClock` -- time moves only when the caller says so (:meth:`VirtualClock.advance`,
  :meth:`VirtualClock.advance_to_next_event`, :meth:`VirtualClock.run_until_idle`). Timers run in time
  order, ties in scheduling order, so a year of cron events and queue retries replays in seconds and
  always the same way.
* :class:`SystemClock` -- wall-clock UTC time; timers go through the running asyncio event loop.

Timestamps follow JavaScript: :func:`iso_ms` renders ``Date.prototype.toISOString()`` output
(``YYYY-MM-DDTHH:MM:SS.sssZ``) and :meth:`Clock.now_ms` is ``Date.now()``.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = [
    "EPOCH",
    "Clock",
    "ClockError",
    "SystemClock",
    "TimerCallback",
    "TimerHandle",
    "VirtualClock",
    "epoch_ms",
    "epoch_us",
    "from_epoch_us",
    "iso_ms",
]

TimerCallback = Callable[[], Awaitable[None] | None]
"""A timer callback: a plain function, or one returning an awaitable (e.g. an ``async def``)."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The Unix epoch as an aware UTC datetime."""

_US = timedelta(microseconds=1)
_MS = timedelta(milliseconds=1)
_DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


class ClockError(RuntimeError):
    """A clock was driven in a way that cannot finish or is not possible (no event loop, endless timers)."""


# ---------------------------------------------------------------------------------------------------------
# Conversions and formatting
# ---------------------------------------------------------------------------------------------------------


def _require_aware(dt: datetime, what: str) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(
            f"{what} must be timezone-aware (got naive {dt.isoformat()}); use datetime(..., tzinfo=datetime.UTC)"
        )
    return dt.astimezone(UTC)


def _check_seconds(seconds: float, what: str = "seconds") -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(f"{what} must be a number of seconds, got {type(seconds).__name__}")
    if not math.isfinite(seconds):
        raise ValueError(f"{what} must be finite, got {seconds!r}")
    if seconds < 0:
        raise ValueError(f"{what} must not be negative, got {seconds!r}")
    return float(seconds)


def _seconds_to_us(seconds: float) -> int:
    # Round to the nearest microsecond, the datetime resolution (4.999 s -> 4_999_000 us exactly).
    return round(seconds * 1_000_000)


def epoch_us(dt: datetime) -> int:
    """Microseconds since the Unix epoch for an aware datetime (naive datetimes are rejected)."""
    return (_require_aware(dt, "datetime") - EPOCH) // _US


def epoch_ms(dt: datetime) -> int:
    """Milliseconds since the Unix epoch, floored like a JS ``Date`` built from this instant."""
    return (_require_aware(dt, "datetime") - EPOCH) // _MS


def from_epoch_us(us: int) -> datetime:
    """The aware UTC datetime ``us`` microseconds after the Unix epoch."""
    return EPOCH + timedelta(microseconds=us)


def iso_ms(dt: datetime) -> str:
    """Format ``dt`` like JS ``Date.prototype.toISOString()``: ``YYYY-MM-DDTHH:MM:SS.sssZ``.

    The instant is converted to UTC; sub-millisecond digits are truncated (a JS ``Date`` holds whole
    milliseconds). Naive datetimes are rejected rather than guessed.
    """
    if type(dt) is datetime and dt.tzinfo is UTC:
        # The common case (every clock's own datetimes): isoformat truncates to milliseconds as well and
        # prints the same four-digit year; only the "+00:00" suffix differs.
        return dt.isoformat(timespec="milliseconds")[:-6] + "Z"
    utc = _require_aware(dt, "iso_ms() argument")
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
        f".{utc.microsecond // 1000:03d}Z"
    )


# ---------------------------------------------------------------------------------------------------------
# Timer handles and the protocol
# ---------------------------------------------------------------------------------------------------------


class TimerHandle:
    """A scheduled callback. :meth:`cancel` stops it from running; cancelling twice is harmless."""

    __slots__ = ("_callback", "_cancelled", "_loop_handle", "_when_us")

    def __init__(self, when_us: int, callback: TimerCallback) -> None:
        self._when_us = when_us
        self._callback: TimerCallback | None = callback
        self._cancelled = False
        self._loop_handle: asyncio.TimerHandle | None = None

    @property
    def when(self) -> datetime:
        """The (aware UTC) time the callback is due."""
        return from_epoch_us(self._when_us)

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancelled

    def cancel(self) -> None:
        """Stop the callback from running. No effect if it already ran."""
        if self._cancelled:
            return
        self._cancelled = True
        self._callback = None
        if self._loop_handle is not None:
            self._loop_handle.cancel()
            self._loop_handle = None

    def __repr__(self) -> str:
        state = " cancelled" if self._cancelled else ""
        return f"<TimerHandle when={iso_ms(self.when)}{state}>"


@runtime_checkable
class Clock(Protocol):
    """What the runtime needs from a clock. Implemented by :class:`VirtualClock` and :class:`SystemClock`."""

    def now(self) -> datetime:
        """The current instant, an aware UTC datetime."""
        ...

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch (JS ``Date.now()``)."""
        ...

    def now_iso(self) -> str:
        """The current instant in JS ``toISOString()`` format."""
        ...

    def call_at(self, when: datetime, callback: TimerCallback) -> TimerHandle:
        """Run ``callback`` at ``when`` (aware). A past ``when`` runs as soon as possible."""
        ...

    def call_later(self, seconds: float, callback: TimerCallback) -> TimerHandle:
        """Run ``callback`` ``seconds`` (>= 0) from now."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds`` (>= 0) of this clock's time."""
        ...


class _ClockBase:
    """Shared helpers: everything derives from :meth:`now` and :meth:`call_at`."""

    def now(self) -> datetime:  # pragma: no cover - overridden
        raise NotImplementedError

    def call_at(self, when: datetime, callback: TimerCallback) -> TimerHandle:  # pragma: no cover
        raise NotImplementedError

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch (JS ``Date.now()``)."""
        return epoch_ms(self.now())

    def now_iso(self) -> str:
        """The current instant in JS ``toISOString()`` format, e.g. ``2026-01-01T00:00:00.000Z``."""
        return iso_ms(self.now())

    def call_later(self, seconds: float, callback: TimerCallback) -> TimerHandle:
        """Run ``callback`` ``seconds`` (>= 0, finite) from now; returns a cancellable handle."""
        delay = _check_seconds(seconds)
        return self.call_at(self.now() + timedelta(microseconds=_seconds_to_us(delay)), callback)


# ---------------------------------------------------------------------------------------------------------
# Virtual clock
# ---------------------------------------------------------------------------------------------------------


class VirtualClock(_ClockBase):
    """A clock whose time moves only when told to.

    >>> clock = VirtualClock(start=datetime(2026, 3, 1, tzinfo=UTC))
    >>> clock.now_iso()
    '2026-03-01T00:00:00.000Z'

    Timers (:meth:`call_at`, :meth:`call_later`, :meth:`sleep`) run while the clock is driven:

    * ``await clock.advance(seconds)`` moves forward, running every timer due up to the new time in time
      order; during a callback, :meth:`now` reads the timer's own due time.
    * ``await clock.advance_to_next_event()`` jumps to the earliest pending timer and runs every timer due
      at that instant.
    * ``await clock.run_until_idle()`` keeps jumping until no timer is left; a horizon or an event budget
      guards against periodic timers that would never let it finish.

    Timers due at the same instant run in the order they were scheduled (FIFO). Callbacks returning an
    awaitable are awaited before the next timer runs. Between timers the clock yields to the asyncio event
    loop a few times so tasks woken by a timer (e.g. :meth:`sleep`) get to schedule their next timer at the
    right virtual time. A callback must not itself wait on this clock (it would wait forever), and an
    exception raised by a callback propagates out of the driving call, with the clock left at that timer's
    time.
    """

    #: How many times the clock yields to the event loop after each timer (see class docstring).
    settle_rounds: int = 3

    def __init__(self, start: datetime | None = None) -> None:
        """Create a clock at ``start`` (aware; converted to UTC). Default: 2026-01-01T00:00:00Z."""
        self._now_us = epoch_us(_require_aware(_DEFAULT_START if start is None else start, "start"))
        self._heap: list[tuple[int, int, TimerHandle]] = []
        self._seq = itertools.count()
        self._driving = False
        self._iso_us: int | None = None
        self._iso = ""

    def __repr__(self) -> str:
        return f"<VirtualClock now={self.now_iso()} pending_timers={self.pending_timers()}>"

    # -- reading ------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The current virtual instant (aware UTC)."""
        return from_epoch_us(self._now_us)

    def now_iso(self) -> str:
        """The current virtual instant in JS ``toISOString()`` format (remembered until the clock moves)."""
        if type(self).now is not VirtualClock.now:  # a subclass decides what "now" is
            return iso_ms(self.now())
        now_us = self._now_us
        if self._iso_us != now_us:
            self._iso = iso_ms(from_epoch_us(now_us))
            self._iso_us = now_us
        return self._iso

    def now_us(self) -> int:
        """The current virtual instant in microseconds since the Unix epoch."""
        return self._now_us

    def pending_timers(self) -> int:
        """How many timers are scheduled and not cancelled."""
        return sum(1 for _, _, handle in self._heap if not handle._cancelled)

    def next_event_time(self) -> datetime | None:
        """When the earliest pending timer is due, or ``None`` if nothing is scheduled."""
        handle = self._peek()
        return None if handle is None else from_epoch_us(handle._when_us)

    # -- scheduling ---------------------------------------------------------------------------------------

    def call_at(self, when: datetime, callback: TimerCallback) -> TimerHandle:
        """Run ``callback`` when the clock reaches ``when`` (aware). A past time means "now".

        Returns a :class:`TimerHandle` whose :meth:`~TimerHandle.cancel` unschedules it.
        """
        if not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        when_us = max(epoch_us(_require_aware(when, "when")), self._now_us)
        handle = TimerHandle(when_us, callback)
        heapq.heappush(self._heap, (when_us, next(self._seq), handle))
        return handle

    async def sleep(self, seconds: float) -> None:
        """Suspend the calling task until the clock has advanced by ``seconds`` (>= 0).

        Something else (the test, the serving loop) must drive the clock for the task to wake up.
        """
        delay = _check_seconds(seconds)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        handle = self.call_at(from_epoch_us(self._now_us + _seconds_to_us(delay)), wake)
        try:
            await future
        finally:
            handle.cancel()

    # -- driving ------------------------------------------------------------------------------------------

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (>= 0), running every timer due up to the new time.

        Timers scheduled by callbacks during the advance also run if they fall due before the end.
        ``advance(0)`` runs the timers due right now.
        """
        delay = _check_seconds(seconds)
        await self._drive_to(self._now_us + _seconds_to_us(delay))

    async def advance_to(self, when: datetime) -> None:
        """Move time forward to ``when`` (aware, not in the past), running every timer due on the way."""
        target = epoch_us(_require_aware(when, "when"))
        if target < self._now_us:
            raise ValueError(f"cannot move a VirtualClock backwards: it is {self.now_iso()}, asked for {iso_ms(when)}")
        await self._drive_to(target)

    async def advance_to_next_event(self) -> datetime | None:
        """Jump to the earliest pending timer and run everything due at that instant.

        Returns the new current time, or ``None`` (time unchanged) when no timer is scheduled.
        """
        await self._settle()
        handle = self._peek()
        if handle is None:
            return None
        await self._drive_to(handle._when_us)
        return self.now()

    async def run_until_idle(self, *, max_events: int = 100_000, horizon: float | datetime | None = None) -> int:
        """Run timers, jumping time forward, until none is left. Returns how many timers ran.

        ``horizon`` bounds how far time may move: seconds from now, or an aware datetime. Timers due after
        it stay scheduled and the clock stops at the horizon. Without a horizon, a periodic timer (one that
        always schedules its next run) would never go idle: after ``max_events`` timers this raises
        :class:`ClockError` instead of looping forever.
        """
        if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 1:
            raise ValueError(f"max_events must be a positive integer, got {max_events!r}")
        horizon_us: int | None
        if horizon is None:
            horizon_us = None
        elif isinstance(horizon, datetime):
            horizon_us = epoch_us(_require_aware(horizon, "horizon"))
            if horizon_us < self._now_us:
                raise ValueError(f"horizon {iso_ms(horizon)} is before the current time {self.now_iso()}")
        else:
            horizon_us = self._now_us + _seconds_to_us(_check_seconds(horizon, "horizon"))
        events = 0
        self._enter()
        try:
            while True:
                await self._settle()
                handle = self._peek()
                if handle is None:
                    return events
                if horizon_us is not None and handle._when_us > horizon_us:
                    self._now_us = max(self._now_us, horizon_us)
                    await self._settle()
                    return events
                if events >= max_events:
                    raise ClockError(
                        f"run_until_idle: still busy after {max_events} timer events (now {self.now_iso()}, "
                        f"next timer at {iso_ms(handle.when)}); a periodic timer never lets the clock go "
                        "idle. Pass horizon= (seconds or a datetime) or a larger max_events="
                    )
                heapq.heappop(self._heap)
                await self._fire(handle)
                events += 1
        finally:
            self._driving = False

    # -- internals ----------------------------------------------------------------------------------------

    def _enter(self) -> None:
        if self._driving:
            raise ClockError(
                "this VirtualClock is already being driven (advance/run_until_idle called from a timer "
                "callback or from two tasks at once)"
            )
        self._driving = True

    def _peek(self) -> TimerHandle | None:
        heap = self._heap
        while heap:
            handle = heap[0][2]
            if not handle._cancelled:
                return handle
            heapq.heappop(heap)
        return None

    async def _drive_to(self, target_us: int) -> None:
        self._enter()
        try:
            await self._settle()
            while True:
                handle = self._peek()
                if handle is None or handle._when_us > target_us:
                    break
                heapq.heappop(self._heap)
                await self._fire(handle)
            self._now_us = max(self._now_us, target_us)
            await self._settle()
        finally:
            self._driving = False

    async def _fire(self, handle: TimerHandle) -> None:
        self._now_us = max(self._now_us, handle._when_us)
        callback = handle._callback
        handle._callback = None
        if callback is None:  # pragma: no cover - cancelled handles are skipped by _peek
            return
        result = callback()
        if result is not None and inspect.isawaitable(result):
            await result
        await self._settle()

    async def _settle(self) -> None:
        for _ in range(self.settle_rounds):
            await asyncio.sleep(0)


# ---------------------------------------------------------------------------------------------------------
# System clock
# ---------------------------------------------------------------------------------------------------------


class SystemClock(_ClockBase):
    """Real UTC time, for serving. Timers run on the running asyncio event loop.

    Callbacks returning an awaitable are run as tasks; their exceptions go to the loop's exception handler.
    """

    def __init__(self) -> None:
        """Create a wall-clock timer source (stateless apart from the tasks its timers started)."""
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"<SystemClock now={self.now_iso()}>"

    def now(self) -> datetime:
        """The current wall-clock instant (aware UTC)."""
        return datetime.now(UTC)

    def call_at(self, when: datetime, callback: TimerCallback) -> TimerHandle:
        """Run ``callback`` at wall-clock time ``when`` (aware) on the running event loop."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        when_us = epoch_us(_require_aware(when, "when"))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise ClockError("SystemClock timers need a running asyncio event loop (call from async code)") from None
        handle = TimerHandle(when_us, callback)
        delay = max(0.0, (when_us - epoch_us(self.now())) / 1_000_000)
        handle._loop_handle = loop.call_later(delay, self._run, handle, loop)
        return handle

    def _run(self, handle: TimerHandle, loop: asyncio.AbstractEventLoop) -> None:
        callback = handle._callback
        handle._callback = None
        handle._loop_handle = None
        if callback is None or handle._cancelled:
            return
        result = callback()
        if result is not None and inspect.isawaitable(result):
            task: asyncio.Task[None] = loop.create_task(_as_coroutine(result))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            task.get_loop().call_exception_handler(
                {"message": "SystemClock timer callback failed", "exception": exc, "task": task}
            )

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` (>= 0) of real time."""
        await asyncio.sleep(_check_seconds(seconds))


async def _as_coroutine(awaitable: Awaitable[None]) -> None:
    await awaitable
