"""Query parameters shared by the ops endpoints (spec 9.3): ``limit``, text filters and the 24 h window.

Values are read as ``URL.searchParams.get`` reads them: ``application/x-www-form-urlencoded`` rules (``+`` is a
space, bad escapes stay literal, undecodable bytes become U+FFFD), first occurrence wins.
"""

from __future__ import annotations

import math
from typing import Final
from urllib.parse import parse_qsl

from workerflow_kit.jscompat.dates import to_iso_string
from workerflow_kit.jscompat.numbers import js_parse_int
from workerflow_kit.jscompat.strings import js_trim

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_FILTER_LENGTH",
    "MAX_LIMIT",
    "WINDOW_HOURS",
    "WINDOW_MS",
    "QueryParams",
    "parse_limit",
    "sanitize_filter",
    "sql_text",
    "utf16_slice",
    "window_since",
]

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 250
MAX_FILTER_LENGTH: Final = 120
WINDOW_HOURS: Final = 24
WINDOW_MS: Final = WINDOW_HOURS * 60 * 60 * 1000


class QueryParams:
    """``URLSearchParams`` over a query string (with or without its leading ``?``)."""

    __slots__ = ("_pairs",)

    def __init__(self, search: str) -> None:
        query = search[1:] if search.startswith("?") else search
        self._pairs = parse_qsl(query, keep_blank_values=True, errors="replace")

    def get(self, name: str) -> str | None:
        """The first value for ``name``, or ``None`` when absent."""
        return next((value for key, value in self._pairs if key == name), None)


def parse_limit(raw: str | None) -> int:
    """Absent or empty → 50; else ``parseInt(raw, 10)``; NaN or < 1 → 50; above 250 → 250."""
    if not raw:
        return DEFAULT_LIMIT
    parsed = js_parse_int(raw, 10)
    if isinstance(parsed, float) and (math.isnan(parsed) or math.isinf(parsed)):
        return DEFAULT_LIMIT
    if parsed < 1:
        return DEFAULT_LIMIT
    return int(min(parsed, MAX_LIMIT))


def utf16_slice(text: str, length: int) -> str:
    """``text.slice(0, length)`` counted in UTF-16 units; a cut through a surrogate pair keeps the lone
    high surrogate, as JavaScript does."""
    units = 0
    for index, char in enumerate(text):
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > length:
            if width == 2 and units < length:
                return text[:index] + chr(0xD800 + ((ord(char) - 0x10000) >> 10))
            return text[:index]
        units += width
    return text


def sanitize_filter(raw: str | None) -> str | None:
    """A text filter: absent or blank → ``None``; else JS-trimmed and cut to 120 UTF-16 units."""
    if not raw:
        return None
    trimmed = js_trim(raw)
    if not trimmed:
        return None
    return utf16_slice(trimmed, MAX_FILTER_LENGTH)


def sql_text(text: str) -> str:
    """``text`` as it reaches SQLite: lone surrogates (possible after a UTF-16 cut) become U+FFFD, which is
    what converting a JS string to UTF-8 does."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def window_since(now_ms: int) -> str:
    """Start of the fixed 24 h window: ISO of ``now - 86 400 000 ms``."""
    return to_iso_string(now_ms - WINDOW_MS)
