"""Live mode inside pytest: refusals and an exhausted request budget become skips, reports lose their tokens.

The pytest plugin (:mod:`workerflow_kit.suites.plugin`) calls these from its hooks; they hold the logic so the
plugin stays a list of options, fixtures and one-line hooks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from workerflow_kit.live.errors import BudgetExhausted, RouteNotAllowed
from workerflow_kit.live.redact import REGISTRY, Redactor

__all__ = ["redact_report", "refusals_as_skips", "route_refusal"]


LiveLimit = RouteNotAllowed | BudgetExhausted
"""Live mode's own limits: hitting one says nothing about the deployment, so the check is not run, not failed."""


def route_refusal(exc: BaseException | None) -> LiveLimit | None:
    """The :class:`RouteNotAllowed` (or :class:`BudgetExhausted`) behind a test's error: the error itself, its
    cause or context (a suite that caught the refusal and failed while handling it), or the only kind of error in
    an exception group (Hypothesis reports distinct failures as one); else ``None``."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, RouteNotAllowed | BudgetExhausted):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            refusals = [route_refusal(inner) for inner in exc.exceptions]
            return refusals[0] if refusals and all(refusals) else None
        # As a traceback shows it: the explicit cause, else the context unless `raise ... from None` hid it.
        exc = exc.__cause__ if exc.__cause__ is not None else None if exc.__suppress_context__ else exc.__context__
    return None


@contextmanager
def refusals_as_skips() -> Iterator[None]:
    """Within the block, an error caused by a :class:`RouteNotAllowed` or :class:`BudgetExhausted` becomes a
    pytest skip with its message (naming the route and how to allow it, or the budget and how to raise it),
    reported at the test's own location."""
    __tracebackhide__ = True
    try:
        yield
    except Exception as exc:
        refusal = route_refusal(exc)
        if refusal is None:
            raise
        raise pytest.skip.Exception(str(refusal), _use_item_location=True) from None


def redact_report(report: pytest.TestReport | pytest.CollectReport, redactor: Redactor = REGISTRY) -> None:
    """Mask every registered secret in ``report``, in place: its long representation (traceback lines,
    crash message, Hypothesis notes), captured output sections and user properties. What pytest prints,
    what JUnit XML holds and what the check command's events say all come from these fields."""
    report.longrepr = _redact_value(report.longrepr, redactor, {})
    report.sections = [(title, redactor.redact(text)) for title, text in report.sections]
    if isinstance(report, pytest.TestReport):
        report.user_properties = [(name, _redact_value(value, redactor, {})) for name, value in report.user_properties]


def _redact_value(value: Any, redactor: Redactor, done: dict[int, Any]) -> Any:
    """Strings masked, containers and pytest's dataclass reprs walked; an object met twice (the chain and the
    last traceback of an exception repr are the same objects) gets the same result both times."""
    if isinstance(value, str):
        return redactor.redact(value)
    if id(value) in done:
        return done[id(value)]
    done[id(value)] = value  # a cycle back to this object meets it as is
    result = value
    if isinstance(value, list):
        result = [_redact_value(item, redactor, done) for item in value]
    elif isinstance(value, tuple):
        result = tuple(_redact_value(item, redactor, done) for item in value)
    elif isinstance(value, dict):
        result = {key: _redact_value(item, redactor, done) for key, item in value.items()}
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            # pytest's repr dataclasses are mutable; object.__setattr__ also reaches a frozen one.
            object.__setattr__(value, field.name, _redact_value(getattr(value, field.name), redactor, done))
    done[id(value)] = result
    return result
