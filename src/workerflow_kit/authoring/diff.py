"""Compare what a fixture expects with what came back, as pointer-based differences.

One comparison for every fixture kind the authoring tools and the route suite run, so a mismatch reads the
same everywhere::

    /body/result/ok: expected true, got false
    /body/queuedAt: missing (expected "2026-01-01T00:00:00.000Z")
    /body/extra: unexpected (got 1)

Two modes: :func:`subset` (objects: every expected key must be present and equal, recursively; other keys are
ignored) and :func:`exact` (objects must have the same keys). Arrays and scalars are always compared whole.
Values compare as JSON does: ``true`` is not ``1``, and ``1`` equals ``1.0`` (JavaScript numbers are doubles).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["Difference", "contains", "exact", "json_equal", "pointer", "render", "show", "subset"]

_SHOWN: Final = 120
"""Longest rendering of one value in a difference line; longer ones are cut with an ellipsis."""


@dataclass(frozen=True)
class Difference:
    """One place where the actual document differs from the expectation."""

    pointer: str
    """JSON pointer into the compared document (``/body/result/ok``); ``""`` is the whole document."""
    expected: Any = None
    actual: Any = None
    missing: bool = False
    """The expected key is absent."""
    unexpected: bool = False
    """The actual object has a key the (exact) expectation lacks."""
    note: str = ""
    """A free explanation replacing the expected/got wording (e.g. "expected JSON, got text")."""

    def __str__(self) -> str:
        where = self.pointer or "/"
        if self.note:
            return f"{where}: {self.note}"
        if self.missing:
            return f"{where}: missing (expected {show(self.expected)})"
        if self.unexpected:
            return f"{where}: unexpected (got {show(self.actual)})"
        return f"{where}: expected {show(self.expected)}, got {show(self.actual)}"


def show(value: Any) -> str:
    """A value as compact JSON (``true``, ``"text"``, ``{"a":1}``), cut to a readable length."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def pointer(base: str, key: str | int) -> str:
    """``base`` extended by one reference token, escaped as RFC 6901 asks (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return f"{base}/{str(key).replace('~', '~0').replace('/', '~1')}"


def json_equal(actual: Any, expected: Any) -> bool:
    """JSON equality: booleans are not numbers, numbers compare as doubles, containers element by element."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(actual) == float(expected)
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(json_equal(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(json_equal(actual[key], value) for key, value in expected.items())
        )
    return type(actual) is type(expected) and actual == expected


def _compare(actual: Any, expected: Any, where: str, *, whole: bool) -> list[Difference]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[Difference] = []
        for key, value in expected.items():
            if key not in actual:
                found.append(Difference(pointer(where, key), expected=value, missing=True))
            else:
                found.extend(_compare(actual[key], value, pointer(where, key), whole=whole))
        if whole:
            found.extend(
                Difference(pointer(where, key), actual=actual[key], unexpected=True)
                for key in actual
                if key not in expected
            )
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(actual) == len(expected):
        # Same length: point at the differing items instead of repeating both arrays.
        found = []
        for index, (item, wanted) in enumerate(zip(actual, expected, strict=True)):
            found.extend(_compare(item, wanted, pointer(where, index), whole=True))
        return found
    if json_equal(actual, expected):
        return []
    return [Difference(where, expected=expected, actual=actual)]


def subset(actual: Any, expected: Any, where: str = "") -> list[Difference]:
    """Differences of ``actual`` from the partial expectation ``expected`` (objects: listed keys only)."""
    return _compare(actual, expected, where, whole=False)


def exact(actual: Any, expected: Any, where: str = "") -> list[Difference]:
    """Differences of ``actual`` from ``expected``, compared whole (extra keys are differences too)."""
    return _compare(actual, expected, where, whole=True)


def contains(actual: Any, part: str, where: str) -> list[Difference]:
    """No difference when ``actual`` is a text holding ``part``, else one saying what was expected and found."""
    if isinstance(actual, str) and part in actual:
        return []
    return [Difference(where, note=f"expected a text containing {show(part)}, got {show(actual)}")]


def render(differences: list[Difference], *, indent: str = "  ") -> str:
    """One line per difference, indented, for a failure message."""
    return "\n".join(f"{indent}{difference}" for difference in differences)
