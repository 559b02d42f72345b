"""Shared computations of the ops endpoints (spec 9.4): durations, p95, counts, scopes, error cluster keys.

Each function reproduces upstream's observable answer, JavaScript number and string rules included
(``toFixed`` rounding, ``Date.parse``, UTF-16 lengths, ECMAScript regexes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from workerflow_kit.jscompat.dates import js_date_parse
from workerflow_kit.jscompat.numbers import js_parse_int, js_to_fixed
from workerflow_kit.jscompat.regex import js_regex
from workerflow_kit.jscompat.strings import js_lower, js_trim
from workerflow_kit.runtime.workers.ops_dashboard.params import utf16_slice

__all__ = [
    "CLUSTER_KEY_LENGTH",
    "STARTED_LIKE",
    "duration_ms",
    "format_duration",
    "normalize_error",
    "p95_ms",
    "percentile",
    "run_duration",
    "scope_of",
    "to_count",
]

STARTED_LIKE: Final = frozenset({"started", "running"})
"""Statuses counted as "started"/"running" (nothing writes ``running``, but it is counted)."""
CLUSTER_KEY_LENGTH: Final = 260

_URL: Final = js_regex(r"https?:\/\/\S+", "g")
_UUID: Final = js_regex(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", "gi")
_NUMBER: Final = js_regex(r"\b\d{3,}\b", "g")
_QUOTED: Final = js_regex(r'"[^"]{8,}"', "g")
_SPACES: Final = js_regex(r"\s+", "g")


def to_count(value: object) -> int:
    """Count coercion: a number as is, a numeric string through ``parseInt``, anything else 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    if isinstance(value, str):
        parsed = js_parse_int(value, 10)
        if isinstance(parsed, float) and not math.isfinite(parsed):
            return 0
        return int(parsed)
    return 0


def duration_ms(started_at: object, finished_at: object) -> int | None:
    """``max(0, finished - started)`` in ms; ``None`` when unfinished (falsy ``finished_at``) or when either
    timestamp does not parse with ``Date.parse``."""
    if not finished_at or not isinstance(finished_at, str):
        return None
    started = js_date_parse(started_at) if isinstance(started_at, str) else math.nan
    finished = js_date_parse(finished_at)
    if not (math.isfinite(started) and math.isfinite(finished)):
        return None
    return int(max(0.0, finished - started))


def format_duration(ms: int | None) -> str | None:
    """``"850ms"`` under a second, ``"4.0s"`` (JS ``toFixed(1)``) under a minute, else ``"1m 0s"``."""
    if ms is None:
        return None
    if ms < 1000:
        return f"{ms}ms"
    if ms < 60_000:
        return f"{js_to_fixed(ms / 1000, 1)}s"
    return f"{ms // 60_000}m {(ms % 60_000) // 1000}s"


def run_duration(started_at: object, finished_at: object) -> str | None:
    """The formatted duration of one runs row."""
    return format_duration(duration_ms(started_at, finished_at))


def percentile(values: Sequence[int], p: float) -> int | None:
    """Nearest-rank percentile: sorted ascending, index ``clamp(ceil(p/100 * n) - 1, 0, n - 1)`` computed in
    doubles as upstream does; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil((p / 100) * len(ordered)) - 1))
    return ordered[index]


def p95_ms(values: Sequence[int]) -> int | None:
    """The 95th percentile of ``values`` (see :func:`percentile`)."""
    return percentile(values, 95)


def scope_of(route_path: object, schedule_id: object) -> str:
    """SQL ``COALESCE(NULLIF(route_path, ''), NULLIF(schedule_id, ''), 'unknown')``."""
    if isinstance(route_path, str) and route_path:
        return route_path
    if isinstance(schedule_id, str) and schedule_id:
        return schedule_id
    return "unknown"


def normalize_error(error: str) -> str:
    """The error-cluster key: lowercase, then ``{url}``, ``{uuid}``, ``{n}`` (whole-word runs of 3+ digits)
    and ``"{str}"`` (quoted runs of 8+ non-quote characters) placeholders, whitespace collapsed, trimmed and
    cut to 260 UTF-16 units.

    Not strictly idempotent, exactly like upstream: the 260-unit cut can leave a trailing space or end a digit
    run at a new word boundary, and a replaced quoted string can free its closing quote to pair with a later
    one. Keys below 260 units without double quotes are fixed points.
    """
    text = js_lower(error)
    text = _URL.sub("{url}", text)
    text = _UUID.sub("{uuid}", text)
    text = _NUMBER.sub("{n}", text)
    text = _QUOTED.sub('"{str}"', text)
    text = _SPACES.sub(" ", text)
    return utf16_slice(js_trim(text), CLUSTER_KEY_LENGTH)
