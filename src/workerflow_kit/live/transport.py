"""The live HTTP policy as an httpx transport: one strict seam between the suites' clients and the network.

::

    session = LiveSession(LivePolicy(rps=5, request_budget=200, routes=("webhook_echo",)))
    client = httpx.Client(base_url=url, transport=session.transport("api"), timeout=session.policy.timeout)

Every request through :class:`LiveTransport`, in order:

1. is refused with :class:`RouteNotAllowed` when it invokes a route the policy does not allow (nothing is
   sent; see :mod:`workerflow_kit.live.allowlist`);
2. has its credential headers registered with the redactor (so they never show in a report);
3. spends one request of the shared budget (:class:`BudgetExhausted` when none is left) and waits for its
   slot of the shared rate, on every attempt;
4. is retried, after an exponential backoff with jitter: on an error that proves the request never left
   (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``), whatever the method; on any other transport error
   or timeout only for ``GET`` and ``HEAD`` (a ``POST`` that may have arrived is never sent twice); and on a
   ``429`` answer, waiting what its ``Retry-After`` asks (seconds or an HTTP-date, capped). When the retries
   run out, :class:`RetriesExhausted` says what failed and how often.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from workerflow_kit.live.allowlist import RouteAllowList, invocation_name
from workerflow_kit.live.errors import RetriesExhausted, RouteNotAllowed
from workerflow_kit.live.policy import (
    Clock,
    LivePolicy,
    RateLimiter,
    RequestBudget,
    Sleep,
    backoff_delay,
    retry_after_delay,
)
from workerflow_kit.live.redact import REGISTRY, Redactor

__all__ = ["LiveSession", "LiveTransport"]

_IDEMPOTENT_READS = frozenset({"GET", "HEAD"})
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TOO_MANY_REQUESTS = 429


class LiveSession:
    """The state one live target shares between its clients: budget, rate, allow-list, redactor, time."""

    def __init__(
        self,
        policy: LivePolicy | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        jitter: Callable[[], float] = random.random,
        redactor: Redactor = REGISTRY,
    ) -> None:
        self.policy = policy if policy is not None else LivePolicy()
        self.budget = RequestBudget(self.policy.request_budget)
        self.limiter = (
            RateLimiter(self.policy.rps, burst=self.policy.burst, clock=clock, sleep=sleep)
            if self.policy.rps is not None
            else None
        )
        self.allowed = RouteAllowList(self.policy.routes)
        self.redactor = redactor
        self.sleep = sleep
        self.now = now
        self.jitter = jitter

    def transport(self, worker: str, inner: httpx.BaseTransport | None = None, *, base_path: str = "") -> LiveTransport:
        """A transport for ``worker``'s client (``inner`` defaults to a plain :class:`httpx.HTTPTransport`)."""
        return LiveTransport(self, worker, inner if inner is not None else httpx.HTTPTransport(), base_path=base_path)

    @property
    def requests_sent(self) -> int:
        """Requests spent so far (retries included)."""
        return self.budget.spent


class LiveTransport(httpx.BaseTransport):
    """Applies the session's policy to every request of one worker's client (see the module notes)."""

    def __init__(self, session: LiveSession, worker: str, inner: httpx.BaseTransport, *, base_path: str = "") -> None:
        self.session = session
        self.worker = worker
        self.inner = inner
        self.base_path = base_path

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        session = self.session
        name = invocation_name(self.worker, request, base_path=self.base_path)
        if name is not None and not session.allowed.allows(name):
            raise RouteNotAllowed(name, f"{request.method} {request.url.path}")
        session.redactor.add_headers(request.headers)
        label = session.redactor.redact(f"{request.method} {request.url}")  # a token may ride in the query
        request.read()  # buffered, so a retry sends the same body
        retries = session.policy.retries
        attempt = 0
        while True:
            session.budget.spend(label)
            if session.limiter is not None:
                session.limiter.acquire()
            try:
                response = self.inner.handle_request(request)
            except httpx.TransportError as exc:
                if not self._retryable(exc, request.method):
                    raise
                if attempt >= retries:
                    raise RetriesExhausted(
                        f"{label} failed after {attempt + 1} attempts: {type(exc).__name__}: {exc or 'no answer'}"
                    ) from exc
                delay = self._backoff(attempt)
            else:
                if response.status_code != _TOO_MANY_REQUESTS:
                    return response
                asked = retry_after_delay(response.headers.get("retry-after"), now=session.now())
                response.read()
                response.close()
                if attempt >= retries:
                    raise RetriesExhausted(f"{label} still answered 429 Too Many Requests after {attempt + 1} attempts")
                delay = min(asked, session.policy.max_retry_after) if asked is not None else self._backoff(attempt)
            attempt += 1
            session.sleep(delay)

    @staticmethod
    def _retryable(exc: httpx.TransportError, method: str) -> bool:
        return isinstance(exc, _NEVER_SENT) or method.upper() in _IDEMPOTENT_READS

    def _backoff(self, attempt: int) -> float:
        policy = self.session.policy
        return backoff_delay(attempt, base=policy.backoff, cap=policy.max_backoff, jitter=self.session.jitter())

    def close(self) -> None:
        self.inner.close()
