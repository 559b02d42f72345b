"""Reading task payloads the way the built-in handlers do (spec 7, preamble).

Payloads are JSON-shaped Python values: ``dict``, ``list``, ``str``, numbers, ``bool``, ``None`` (JS ``null``)
and :data:`~workerflow_kit.jscompat.numbers.UNDEFINED` (the task had no ``payload``).

* :func:`unwrap_body` is upstream's ``unwrapBody``: JS tests ``"body" in x`` on any truthy object, arrays
  included, but only a JSON object can carry a ``body`` key, so in Python only mappings unwrap.
* :func:`object_view` is the "object view": the value when it is a non-null, non-array object, else ``{}``.
* :func:`string_field` is a "string field": the JS-trimmed value when it is a string, else ``""``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workerflow_kit.jscompat.numbers import UNDEFINED
from workerflow_kit.jscompat.strings import js_trim

__all__ = ["get_field", "object_view", "string_field", "unwrap_body"]

_EMPTY: Mapping[str, Any] = {}


def unwrap_body(value: Any) -> Any:
    """``value["body"]`` when ``value`` is an object with a ``body`` key, else ``value`` unchanged."""
    if isinstance(value, Mapping) and "body" in value:
        return value["body"]
    return value


def object_view(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object (mapping), else an empty mapping (arrays, strings, null, ...)."""
    return value if isinstance(value, Mapping) else _EMPTY


def get_field(record: Mapping[str, Any], key: str) -> Any:
    """``record[key]``, or :data:`UNDEFINED` when the key is absent (JS property read)."""
    return record.get(key, UNDEFINED)


def string_field(record: Mapping[str, Any], key: str) -> str:
    """``record[key]`` JS-trimmed when it is a string; ``""`` for any other value or an absent key."""
    raw = record.get(key)
    return js_trim(raw) if isinstance(raw, str) else ""
