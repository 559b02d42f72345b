"""Outbound HTTP calls made while a fixture ran, compared with the fixture's ``outboundCalls``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from workerflow_kit.authoring.diff import Difference, contains, pointer, show, subset
from workerflow_kit.targets.base import OutboundCall

__all__ = ["compare_calls", "unmatched"]


def _same_url(actual: str, expected: str) -> bool:
    try:
        return httpx.URL(actual) == httpx.URL(expected)
    except httpx.InvalidURL:
        return actual == expected


def compare_calls(
    calls: Sequence[OutboundCall], expected: Sequence[Mapping[str, Any]], where: str = "/outboundCalls"
) -> list[Difference]:
    """Differences between the calls made and the calls expected (in order; the counts must match)."""
    found: list[Difference] = []
    if len(calls) != len(expected):
        made = [f"{call.method} {call.url}" for call in calls]
        found.append(Difference(where, note=f"expected {len(expected)} call(s), got {len(calls)}: {show(made)}"))
    for index, (call, wanted) in enumerate(zip(calls, expected, strict=False)):
        at = pointer(where, index)
        if "method" in wanted and call.method != wanted["method"]:
            found.append(Difference(pointer(at, "method"), expected=wanted["method"], actual=call.method))
        if not _same_url(call.url, wanted["url"]):
            found.append(Difference(pointer(at, "url"), expected=wanted["url"], actual=call.url))
        if "jsonFields" in wanted:
            found.extend(subset(call.json, wanted["jsonFields"], pointer(at, "json")))
        for key, part in wanted.get("jsonFieldsContain", {}).items():
            value = call.json.get(key) if isinstance(call.json, dict) else None
            found += contains(value, part, pointer(pointer(at, "json"), key))
    return found


def unmatched(calls: Sequence[OutboundCall], where: str = "/outbound") -> list[Difference]:
    """One difference naming the calls no stub answered (they never reached the network)."""
    if not calls:
        return []
    names = ", ".join(f"{call.method} {call.url}" for call in calls)
    return [Difference(where, note=f"outbound call(s) no stub answered: {names}")]
