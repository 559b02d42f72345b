"""The fuzz run a WorkerFlow check is part of: the target, the document, and re-sending requests.

Schemathesis calls a check with ``(ctx, response, case)`` only. The WorkerFlow checks that must send a request
of their own (the duplicate and auth checks) find the run through :func:`active`, a context variable the runner
sets; outside a kit run (a check reused by a plain Schemathesis test) it is ``None`` and those checks skip.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Final

import httpx

from workerflow_kit.targets.base import Target

__all__ = ["CREDENTIAL_HEADERS", "FuzzSession", "activate", "active"]

CREDENTIAL_HEADERS: Final = ("authorization", "x-api-token", "x-api-key", "x-webhook-token", "x-dashboard-token")
"""Every header either worker reads a token from; stripped for the auth check, redacted in reproductions."""

_ACTIVE: ContextVar[FuzzSession | None] = ContextVar("workerflow_fuzz_session", default=None)


@dataclass
class FuzzSession:
    """One document fuzzed against one target; re-sends are budgeted per operation to keep the rate up."""

    target: Target
    document: str
    client: httpx.Client
    resend_budget: int = 3
    """Re-sending checks (duplicate, auth) act on the first few eligible cases of each operation only."""
    last_request: httpx.Request | None = None
    _spent: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def token_configured(self) -> bool:
        """Whether the target's client for this document sends a credential (the worker then requires one)."""
        return any(name in self.client.headers for name in CREDENTIAL_HEADERS)

    def take(self, check: str, operation: str) -> bool:
        """Spend one re-send of ``check`` on ``operation``; False once the budget is used."""
        key = (check, operation)
        if self._spent[key] >= self.resend_budget:
            return False
        self._spent[key] += 1
        return True

    def resend(self, *, without_credentials: bool = False) -> httpx.Response:
        """Send the last request again (the same trace id included), optionally stripped of every credential."""
        if self.last_request is None:
            raise RuntimeError("no request was sent in this fuzz session yet")
        request = self.last_request
        headers = httpx.Headers(request.headers)
        if without_credentials:
            for name in CREDENTIAL_HEADERS:
                headers.pop(name, None)
        again = httpx.Request(request.method, request.url, headers=headers, content=request.content)
        return self.client.send(again)


def active() -> FuzzSession | None:
    """The fuzz session of the running case, or ``None`` outside a kit run."""
    return _ACTIVE.get()


@contextmanager
def activate(session: FuzzSession) -> Iterator[FuzzSession]:
    """Make ``session`` the active one for the block."""
    token = _ACTIVE.set(session)
    try:
        yield session
    finally:
        _ACTIVE.reset(token)
