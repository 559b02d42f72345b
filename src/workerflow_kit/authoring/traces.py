"""Fixture trace ids made unique per run, so a fixture can run again on the same runtime (or deployment).

A fixture names a trace id (``x-trace-id: fixture-webhook_echo``) and expects it back. Sent as is, the second
run on a long-lived target would be a duplicate. So the kit sends ``target.new_trace_id(<fixture id>)``
(``wfkit-<run id>-fixture-webhook_echo-000001``) and reads every expected string equal to the fixture's id
(and the fixture's id inside "contains" expectations) as the id it sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["TRACE_HEADER", "header", "swap"]

TRACE_HEADER: Final = "x-trace-id"
_CONTAINS_KEYS: Final = frozenset({"jsonFieldsContain", "errorContains", "messageContains"})


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value by case-insensitive name, or ``None``."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def swap(value: Any, old: str, new: str, *, inside: bool = False) -> Any:
    """``value`` with strings equal to ``old`` replaced by ``new`` (and ``old`` inside "contains" strings)."""
    if isinstance(value, str):
        if value == old:
            return new
        return value.replace(old, new) if inside else value
    if isinstance(value, list):
        return [swap(item, old, new, inside=inside) for item in value]
    if isinstance(value, dict):
        return {key: swap(item, old, new, inside=inside or key in _CONTAINS_KEYS) for key, item in value.items()}
    return value
