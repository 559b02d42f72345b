"""The rules of a live run, and the small shared meters that enforce them.

:class:`LivePolicy` is plain settings: the request budget, the request rate, the timeout, how retries back
off, and the allowed routes. :class:`RequestBudget` and :class:`RateLimiter` are the meters one live target
shares between all its clients (a run spends one budget and one rate, whichever worker it talks to).
:func:`backoff_delay` and :func:`retry_after_delay` compute how long to wait before a retry.

Time is injected everywhere (``clock``: monotonic seconds, ``sleep``, ``now``: aware wall-clock time), so the
kit's tests run a minute of pacing in no time at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from workerflow_kit.live.defaults import DEFAULT_REQUEST_BUDGET, DEFAULT_RPS, DEFAULT_TIMEOUT
from workerflow_kit.live.errors import BudgetExhausted
from workerflow_kit.targets.base import TargetError

__all__ = [
    "DEFAULT_REQUEST_BUDGET",
    "DEFAULT_RPS",
    "DEFAULT_TIMEOUT",
    "Clock",
    "LivePolicy",
    "RateLimiter",
    "RequestBudget",
    "Sleep",
    "backoff_delay",
    "retry_after_delay",
]

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class LivePolicy:
    """How a live target behaves toward a deployment. Every setting is checked when the policy is made.

    * ``request_budget``: requests a run may send, retries included (``None``: no limit);
    * ``rps``: requests per second across all the target's clients (``None``: no pacing); ``burst`` requests
      may go back to back after a pause;
    * ``timeout``: seconds for connecting, reading and writing, per request;
    * ``retries``: further attempts after a connection error, a timeout of a GET/HEAD, or a 429;
      ``backoff`` is the first wait, doubled per attempt up to ``max_backoff``, with jitter;
      a 429's ``Retry-After`` is honoured up to ``max_retry_after`` seconds;
    * ``routes``: route paths (and ``schedule:<id>``, ``legacy-alert``) the run may invoke; shell-style
      patterns, ``*`` allows everything (see :mod:`workerflow_kit.live.allowlist`).
    """

    request_budget: int | None = DEFAULT_REQUEST_BUDGET
    rps: float | None = DEFAULT_RPS
    burst: int = 1
    timeout: float = DEFAULT_TIMEOUT
    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    routes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        def positive(name: str, value: float | None, *, allow_none: bool = False) -> None:
            if value is None and allow_none:
                return
            if value is None or isinstance(value, bool) or not value > 0:
                raise TargetError(f"{name} must be positive, got {value!r}")

        positive("request_budget", self.request_budget, allow_none=True)
        positive("rps", self.rps, allow_none=True)
        positive("burst", self.burst)
        positive("timeout", self.timeout)
        positive("max_backoff", self.max_backoff)
        if self.retries < 0 or self.backoff < 0 or self.max_retry_after < 0:
            raise TargetError("retries, backoff and max_retry_after must not be negative")
        for pattern in self.routes:
            if not pattern.strip():
                raise TargetError("an allowed route must not be empty")


class RequestBudget:
    """Counts requests and refuses the one past ``limit`` with :class:`BudgetExhausted` (``None``: no limit)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        self._lock = threading.Lock()

    def spend(self, what: str) -> None:
        """Count one request (``what`` names it in the error)."""
        with self._lock:
            if self.limit is not None and self.spent >= self.limit:
                raise BudgetExhausted(self.limit, what)
            self.spent += 1


class RateLimiter:
    """A token bucket of ``burst`` tokens refilled at ``rps`` per second (kept as the next free instant, GCRA).

    :meth:`acquire` sleeps, outside the lock, until the caller's slot; callers in several threads get
    distinct slots, so the rate holds for all of them together.
    """

    def __init__(self, rps: float, *, burst: int = 1, clock: Clock = time.monotonic, sleep: Sleep = time.sleep):
        self.interval = 1.0 / rps
        self.tolerance = (burst - 1) * self.interval
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for the next slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            due = now if self._next is None else max(self._next, now)
            wait = max(0.0, due - self.tolerance - now)
            self._next = due + self.interval
        if wait > 0:
            self._sleep(wait)
        return wait


def backoff_delay(attempt: int, *, base: float, cap: float, jitter: float) -> float:
    """The wait before retry number ``attempt + 1``: ``base * 2**attempt`` capped at ``cap``, scaled into
    ``[half, whole]`` by ``jitter`` (a number in ``[0, 1)``), so clients that failed together spread out."""
    whole = min(cap, base * 2.0**attempt)
    return whole * (0.5 + jitter / 2)


def retry_after_delay(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for: delay-seconds or an HTTP-date; ``None`` when absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when: datetime = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
