"""toISOString and Date.parse in the Workers runtime (UTC local zone), spec Appendix A."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.jscompat.dates import (
    from_epoch_ms,
    js_date_parse,
    js_date_parse_ms,
    to_epoch_ms,
    to_iso_string,
)

BASE = 1772150400000  # 2026-02-27T00:00:00.000Z
HOUR = 3_600_000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (BASE, "2026-02-27T00:00:00.000Z"),
        (BASE + 14 * HOUR + 5_123, "2026-02-27T14:00:05.123Z"),
        (1.7, "1970-01-01T00:00:00.001Z"),
        (-1.5, "1969-12-31T23:59:59.999Z"),
        (datetime(2026, 2, 27, 14, tzinfo=UTC), "2026-02-27T14:00:00.000Z"),
        (datetime(2026, 2, 27, 14, 0, 0, 999_999), "2026-02-27T14:00:00.999Z"),
        (datetime(2026, 2, 27, 16, tzinfo=timezone(timedelta(hours=2))), "2026-02-27T14:00:00.000Z"),
    ],
)
def test_to_iso_string(value: datetime | float, expected: str) -> None:
    assert to_iso_string(value) == expected


@pytest.mark.parametrize("value", [math.nan, math.inf, 8.64e15 + 1, 1e20])
def test_to_iso_string_invalid(value: float) -> None:
    with pytest.raises(ValueError, match="Invalid time value"):
        to_iso_string(value)


@given(st.integers(min_value=-62135596800000, max_value=253402300799999))
def test_iso_round_trip(ms: int) -> None:
    text = to_iso_string(ms)
    assert len(text) == 24
    assert js_date_parse(text) == ms
    assert to_epoch_ms(from_epoch_ms(ms)) == ms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-27", BASE),
        ("2026-02", BASE - 26 * 24 * HOUR),
        ("2026", 1767225600000),
        ("2026-02-27T14:00", BASE + 14 * HOUR),
        ("2026-02-27T14:00:05", BASE + 14 * HOUR + 5000),
        ("2026-02-27T14:00:05.1", BASE + 14 * HOUR + 5100),
        ("2026-02-27T14:00:05.123Z", BASE + 14 * HOUR + 5123),
        ("2026-02-27T14:00:05.123456789Z", BASE + 14 * HOUR + 5123),
        ("2026-02-27T14:00Z", BASE + 14 * HOUR),
        ("2026-02-27T14:00+02:00", BASE + 12 * HOUR),
        ("2026-02-27T14:00:00.000-05:30", BASE + 19 * HOUR + 30 * 60_000),
        ("2026-02-27T24:00", BASE + 24 * HOUR),
        ("2026-02-30", BASE + 3 * 24 * HOUR),
        ("+002026-02-27T00:00:00.000Z", BASE),
        # Legacy forms (local time = UTC in Workers).
        ("2026-02-27 14:00", BASE + 14 * HOUR),
        ("2026-02-27 14:00:30Z", BASE + 14 * HOUR + 30_000),
        ("2026/02/27", BASE),
        ("27 Feb 2026", BASE),
        ("Fri, 27 Feb 2026 14:00:00 GMT", BASE + 14 * HOUR),
        ("Feb 27, 2026", BASE),
        ("27 February 2026 14:00 +0100", BASE + 13 * HOUR),
    ],
)
def test_date_parse(text: str, expected: int) -> None:
    assert js_date_parse(text) == expected
    assert js_date_parse_ms(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-27T14",
        "2026-02-27T14:0",
        "2026-13-01",
        "2026-00-10",
        "2026-02-32",
        "2026-02-27T25:00",
        "2026-02-27T24:00:01",
        "2026-02-27T14:60",
        "2026-02-27T14:00+24:00",
        "-000000-01-01T00:00:00Z",
        "",
        "garbage",
        "27 Foo 2026",
    ],
)
def test_date_parse_nan(text: str) -> None:
    assert math.isnan(js_date_parse(text))
    assert js_date_parse_ms(text) is None
