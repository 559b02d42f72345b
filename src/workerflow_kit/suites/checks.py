"""Check ids, levels and the ``@check`` decorator that turns a pytest function into a named contract check.

::

    from workerflow_kit.suites.checks import CheckContext, check
    from workerflow_kit.targets import Capability, Target

    @check("routes.duplicate-is-202", "required", requires=[Capability.WRITES_ALLOWED])
    def test_duplicate_is_202(wf_target: Target, wf_check: CheckContext) -> None:
        \"\"\"A repeated trace id answers 202 with the duplicate shape.\"\"\"
        response = wf_target.api.post(...)
        wf_check.expect_status(response, 202)

Every check has a stable **id** (``<suite>.<rule>``, lowercase words joined by ``-``) and a **level**
(:class:`Level`): ``required`` is the observable v0.1 behaviour clients rely on (upstream passes);
``recommended`` is robustness demanded beyond upstream (no 5xx on malformed input, ...). :func:`check`

* validates both eagerly (a clear :class:`ValueError` at import time, not a confusing run);
* records the check in :data:`REGISTRY` (id -> :class:`CheckInfo`, with the docstring's first line as title);
* marks the function ``wf_check(id, level)`` and, with ``requires``, ``wf_requires(*capabilities)``;
* parametrizes the ``wf_check`` fixture with the :class:`CheckInfo`, so the test's name carries the label:
  ``test_duplicate_is_202[routes.duplicate-is-202 | required]``.

The ``wf_check`` fixture (from :mod:`workerflow_kit.suites.plugin`) hands the test a :class:`CheckContext`
whose :meth:`~CheckContext.fail`, :meth:`~CheckContext.expect` and :meth:`~CheckContext.expect_status`
raise :class:`CheckFailed`, an :class:`AssertionError` whose message starts with
``[routes.duplicate-is-202 | required]``, so the id and level are in the failure message as well as the
test name, whether or not pytest rewrote the suite module's asserts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, NoReturn, TypeVar

import httpx
import pytest

from workerflow_kit.authoring.diff import json_equal, subset
from workerflow_kit.targets.base import Capability, parse_capabilities

__all__ = [
    "REGISTRY",
    "CheckContext",
    "CheckFailed",
    "CheckInfo",
    "Level",
    "check",
    "check_label",
    "json_equal",
    "subset_mismatches",
]

F = TypeVar("F", bound=Callable[..., Any])

CHECK_ID: Final = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$")
"""``suite.rule`` (more dotted parts allowed): lowercase letters and digits, words joined by ``-``."""

_BODY_SHOWN = 600


class Level(StrEnum):
    """How binding a check is (DESIGN section 3)."""

    REQUIRED = "required"
    RECOMMENDED = "recommended"


def check_label(check_id: str, level: Level | str) -> str:
    """``"routes.duplicate-is-202 | required"``: how a check appears in test names and failure messages."""
    return f"{check_id} | {Level(level).value}"


@dataclass(frozen=True)
class CheckInfo:
    """One registered check."""

    id: str
    level: Level
    requires: tuple[Capability, ...] = ()
    title: str = ""
    function: str = ""
    """``module:qualname`` of the test function, so re-importing a suite module re-registers cleanly."""

    @property
    def label(self) -> str:
        """``"<id> | <level>"``."""
        return check_label(self.id, self.level)


REGISTRY: dict[str, CheckInfo] = {}
"""Every check defined so far (suite modules register on import), by id."""


def _validate(check_id: object, level: object) -> tuple[str, Level]:
    """The id and level, or a :class:`ValueError` saying what a valid one looks like."""
    if not isinstance(check_id, str) or not CHECK_ID.fullmatch(check_id):
        raise ValueError(
            f"a check id looks like 'routes.duplicate-is-202' (suite.rule, lowercase, '-'), got {check_id!r}"
        )
    try:
        return check_id, Level(str(level))
    except ValueError:
        raise ValueError(f"a check level is 'required' or 'recommended', got {level!r}") from None


def check(check_id: str, level: Level | str, *, requires: Iterable[Capability | str] = ()) -> Callable[[F], F]:
    """Declare the decorated pytest function as check ``check_id`` at ``level`` (see the module notes).

    ``requires``: capabilities the check needs; on a target that lacks one the test is skipped with
    ``requires capability '<name>' which target '<target>' lacks``.
    """
    the_id, the_level = _validate(check_id, level)
    capabilities = parse_capabilities(requires)

    def decorate(function: F) -> F:
        doc = (function.__doc__ or "").strip().splitlines()
        info = CheckInfo(
            id=the_id,
            level=the_level,
            requires=capabilities,
            title=doc[0].strip() if doc else "",
            function=f"{function.__module__}:{function.__qualname__}",
        )
        known = REGISTRY.get(the_id)
        if known is not None and known.function != info.function:
            raise ValueError(f"check id {the_id!r} is already used by {known.function}")
        REGISTRY[the_id] = info
        marked: Any = function
        if capabilities:
            marked = pytest.mark.wf_requires(*(c.value for c in capabilities))(marked)
        marked = pytest.mark.wf_check(the_id, the_level.value)(marked)
        marked = pytest.mark.usefixtures("wf_check")(marked)
        marked = pytest.mark.parametrize("wf_check", [pytest.param(info, id=info.label)], indirect=True)(marked)
        result: F = marked
        return result

    return decorate


class CheckFailed(AssertionError):
    """A check's rule is broken; the message starts with ``[<id> | <level>]``."""


def subset_mismatches(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Where ``actual`` differs from the partial expectation ``expected``: one ``<JSON pointer>: <what>`` line each
    (``/payload/target: expected "f/a", got "f/b"``; ``/`` is the whole value).

    Objects match as subsets (only the expected keys, recursively); arrays and scalars must be equal as JSON
    values in JavaScript (:func:`json_equal`: ``true`` is not ``1``, ``1`` equals ``1.0``), and arrays of equal
    length point at their differing items (``/items/0/id``). ``path`` is the pointer of ``actual`` itself. The
    comparison is the fixture authoring tools' (:func:`workerflow_kit.authoring.diff.subset`), so a mismatch reads
    the same in every suite and tool.
    """
    return [str(difference) for difference in subset(actual, expected, path)]


def _show(response: httpx.Response) -> str:
    request = response.request
    body = response.text
    if len(body) > _BODY_SHOWN:
        body = body[:_BODY_SHOWN] + f"... ({len(response.text)} chars)"
    query = request.url.query.decode("ascii", errors="replace")
    target = request.url.path + (f"?{query}" if query else "")
    return f"{request.method} {target} -> {response.status_code} {body!r}"


class CheckContext:
    """What a check test receives as ``wf_check``: its :class:`CheckInfo` and failure helpers."""

    def __init__(self, info: CheckInfo) -> None:
        self.info = info

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def level(self) -> Level:
        return self.info.level

    def fail(self, message: str) -> NoReturn:
        """Fail the check: :class:`CheckFailed` with ``[<id> | <level>] <message>``."""
        raise CheckFailed(f"[{self.info.label}] {message}")

    def expect(self, condition: object, message: str) -> None:
        """Fail with ``message`` unless ``condition`` is truthy."""
        if not condition:
            self.fail(message)

    def expect_status(self, response: httpx.Response, *expected: int) -> None:
        """Fail unless the response status is one of ``expected``; the message shows request and response."""
        if response.status_code not in expected:
            wanted = " or ".join(str(code) for code in expected)
            self.fail(f"expected status {wanted}, got {response.status_code}: {_show(response)}")

    def expect_equal(self, actual: object, expected: object, what: str) -> None:
        """Fail unless ``actual == expected``, naming ``what`` was compared."""
        if actual != expected:
            self.fail(f"{what}: expected {expected!r}, got {actual!r}")

    def iso_instant(self, value: object, what: str) -> datetime:
        """``value`` as an ISO-8601 UTC instant (``...Z``, as JavaScript's ``toISOString`` writes it), or a failure."""
        self.expect(
            isinstance(value, str) and value.endswith("Z"), f"{what} is not an ISO instant ending in Z: {value!r}"
        )
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{what} is not an ISO instant: {value!r}")

    def json(self, response: httpx.Response) -> Any:
        """The response body as JSON, or a failure saying it is not JSON."""
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            self.fail(f"expected a JSON body: {_show(response)}")

    def show(self, response: httpx.Response) -> str:
        """One line describing a request and its response (method, path, status, body start)."""
        return _show(response)
