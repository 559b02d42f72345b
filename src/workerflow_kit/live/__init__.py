"""Safe live mode: what keeps the kit gentle and discreet when it talks to a real deployment.

A URL target (:class:`~workerflow_kit.targets.UrlTarget`) installs all of it on its clients; the in-process
and served targets need none of it.

* :mod:`.policy`: :class:`LivePolicy` (request budget, requests per second, timeout, retries and backoff,
  allowed routes) and the shared meters that enforce it;
* :mod:`.transport`: :class:`LiveSession` and :class:`LiveTransport`, the policy as an httpx transport;
* :mod:`.allowlist`: which requests invoke a route or schedule, and the allow-list that lets them through;
* :mod:`.redact`: :class:`~.redact.Redactor` and the process-wide registry every report passes through;
* :mod:`.polling`: :func:`wait_for_run`, waiting for an accepted trace to finish;
* :mod:`.errors`: :class:`BudgetExhausted`, :class:`RouteNotAllowed`, :class:`RetriesExhausted`,
  :class:`NotObserved`, all :class:`~workerflow_kit.targets.TargetError`.
"""

from __future__ import annotations

from workerflow_kit.live.allowlist import RouteAllowList, invocation_name, parse_route_list
from workerflow_kit.live.errors import BudgetExhausted, LiveError, NotObserved, RetriesExhausted, RouteNotAllowed
from workerflow_kit.live.policy import LivePolicy, RateLimiter, RequestBudget
from workerflow_kit.live.polling import wait_for_run
from workerflow_kit.live.redact import Redactor
from workerflow_kit.live.transport import LiveSession, LiveTransport

__all__ = [
    "BudgetExhausted",
    "LiveError",
    "LivePolicy",
    "LiveSession",
    "LiveTransport",
    "NotObserved",
    "RateLimiter",
    "Redactor",
    "RequestBudget",
    "RetriesExhausted",
    "RouteAllowList",
    "RouteNotAllowed",
    "invocation_name",
    "parse_route_list",
    "wait_for_run",
]
