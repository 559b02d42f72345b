"""What live mode refuses or gives up on: each a :class:`~workerflow_kit.targets.base.TargetError` with one clear line.

None of these is an :class:`httpx.HTTPError`, on purpose: a suite that catches transport errors to judge a
worker's behaviour must not swallow a refusal of the kit's own safety rules.
"""

from __future__ import annotations

from workerflow_kit.targets.base import TargetError

__all__ = ["BudgetExhausted", "LiveError", "NotObserved", "RetriesExhausted", "RouteNotAllowed"]


class LiveError(TargetError):
    """A live-mode rule stopped a request, or a live observation did not come."""


class BudgetExhausted(LiveError):
    """Every request of the run's budget is spent; nothing more is sent to the deployment."""

    def __init__(self, budget: int, refused: str) -> None:
        self.budget = budget
        super().__init__(
            f"request budget of {budget} exhausted after {budget} requests ({refused} not sent); "
            "raise it with --request-budget N (pytest: --wf-request-budget) or request-budget in workerflow-kit.toml"
        )


class RetriesExhausted(LiveError):
    """A request still failed (connection error, timeout or 429) after every allowed retry."""


class RouteNotAllowed(LiveError):
    """A request that would invoke a route (or schedule) the allow-list does not name; refused before sending.

    The pytest plugin turns it into a skip whose reason is this message."""

    def __init__(self, name: str, request: str) -> None:
        self.name = name
        super().__init__(
            f"{request} invokes {name!r}, which this live target does not allow; allow it with "
            f'--routes {name} (pytest: --wf-routes {name}) or routes = ["{name}"] in workerflow-kit.toml'
        )


class NotObserved(LiveError):
    """What a live check waited for did not show within its deadline."""
