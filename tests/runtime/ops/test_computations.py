"""Shared computations (spec 9.4, 9.3): durations, p95, counts, scopes, error keys, limits, next run."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.jscompat.dates import js_date_parse_ms
from workerflow_kit.jscompat.strings import JS_WHITESPACE
from workerflow_kit.runtime.workers.ops_dashboard.computations import (
    duration_ms,
    format_duration,
    normalize_error,
    p95_ms,
    scope_of,
    to_count,
)
from workerflow_kit.runtime.workers.ops_dashboard.deviations import InvalidTimeZoneError
from workerflow_kit.runtime.workers.ops_dashboard.next_run import estimate_next_run, next_fire_at
from workerflow_kit.runtime.workers.ops_dashboard.params import parse_limit, sanitize_filter, utf16_slice

NOW = "2026-02-27T14:07:07.512Z"


def ms(text: str) -> int:
    value = js_date_parse_ms(text)
    assert value is not None
    return value


# -- duration -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0ms"),
        (999, "999ms"),
        (1000, "1.0s"),
        (1250, "1.3s"),
        (4000, "4.0s"),
        (59_949, "59.9s"),
        (59_950, "60.0s"),
        (59_999, "60.0s"),
        (60_000, "1m 0s"),
        (61_999, "1m 1s"),
        (3_600_000, "60m 0s"),
        (None, None),
    ],
)
def test_format_duration_examples(value: int | None, shown: str | None) -> None:
    assert format_duration(value) == shown


def duration_oracle(value: int) -> str:
    if value < 1000:
        return f"{value}ms"
    if value < 60_000:
        tenths = Decimal(value / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{tenths}s"
    return f"{value // 60_000}m {value % 60_000 // 1000}s"


@given(st.integers(min_value=0, max_value=10**10))
def test_format_duration_matches_oracle(value: int) -> None:
    assert format_duration(value) == duration_oracle(value)


def test_duration_ms_rules() -> None:
    assert duration_ms("2026-02-27T14:00:00.000Z", None) is None
    assert duration_ms("2026-02-27T14:00:00.000Z", "") is None
    assert duration_ms("garbage", "2026-02-27T14:00:00.000Z") is None
    assert duration_ms("2026-02-27T14:00:00.000Z", "later") is None
    assert duration_ms("2026-02-27T14:00:01.000Z", "2026-02-27T14:00:00.000Z") == 0
    assert duration_ms("2026-02-27T14:00:00.000Z", "2026-02-27T14:00:01.250Z") == 1250


# -- p95 ------------------------------------------------------------------------------------------------------


def p95_oracle(values: list[int]) -> int:
    ordered = sorted(values)
    rank = -(-95 * len(ordered) // 100)  # exact ceil(0.95 n)
    return ordered[max(rank, 1) - 1]


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=200))
def test_p95_matches_nearest_rank_oracle(values: list[int]) -> None:
    assert p95_ms(values) == p95_oracle(values)


def test_p95_examples() -> None:
    assert p95_ms([]) is None
    assert p95_ms([5]) == 5
    assert p95_ms([3, 1, 2]) == 3
    assert p95_ms(list(range(1, 21))) == 19
    assert p95_ms([10, 9, 100, 2]) == 100  # numeric sort, not text sort


# -- counts and scopes ----------------------------------------------------------------------------------------


def test_to_count_and_scope() -> None:
    assert to_count(3) == 3
    assert to_count("12") == 12
    assert to_count("7abc") == 7
    assert to_count("abc") == 0
    assert to_count(None) == 0
    assert to_count(True) == 0
    assert scope_of("r", "s") == "r"
    assert scope_of("", "s") == "s"
    assert scope_of(None, "") == "unknown"


# -- error normalization ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Timeout after 30000ms", "timeout after 30000ms"),
        ("Timeout after 30000 ms", "timeout after {n} ms"),
        ("GET https://x.example/a?b=1 failed", "get {url} failed"),
        ("trace 123E4567-E89B-42D3-A456-426614174000 lost", "trace {uuid} lost"),
        ("trace 123e4567-e89b-62d3-a456-426614174000", "trace 123e4567-e89b-62d3-a456-{n}"),
        ('bad "abcdefgh" and "short"', 'bad "{str}" and "short"'),
        ("  many\t\n  spaces\u00a0here ", "many spaces here"),
        ("code 12 and 123 and a1234", "code 12 and {n} and a1234"),
    ],
)
def test_normalize_error_examples(raw: str, key: str) -> None:
    assert normalize_error(raw) == key


def test_normalize_error_cuts_at_260_utf16_units() -> None:
    key = normalize_error("\U0001f600" * 200)
    assert len(key.encode("utf-16-le")) // 2 == 260


_NO_QUOTES = st.text(alphabet=st.characters(blacklist_characters='"', blacklist_categories=("Cs",)), max_size=120)


@given(st.lists(st.one_of(_NO_QUOTES, st.sampled_from(["https://h.example/p", " 4242 ", "\t", "Ab1", "  "]))))
def test_normalize_error_is_idempotent_below_the_cut(parts: list[str]) -> None:
    key = normalize_error("".join(parts))
    if len(key.encode("utf-16-le", "surrogatepass")) < 250:
        assert normalize_error(key) == key


def test_normalize_error_known_fixed_point_failures_match_upstream() -> None:
    # The 260-unit cut can end a digit run at a new word boundary ...
    cut = normalize_error("x" * 255 + " 1234a")
    assert cut.endswith(" 1234")
    assert normalize_error(cut).endswith(" {n}")
    # ... and a replaced quoted string frees its closing quote to pair with a later one.
    text = 'x" "abcdefghij" yyyyyyyyy"'
    assert normalize_error(text) == 'x" "{str}" yyyyyyyyy"'
    assert normalize_error(normalize_error(text)) == 'x" "{str}"{str}"'


# -- limit and filters (12.8 #10) -------------------------------------------------------------------------------


def limit_oracle(raw: str | None) -> int:
    if not raw:
        return 50
    match = re.match(r"[+-]?[0-9]+", raw.lstrip(JS_WHITESPACE))
    if match is None:
        return 50
    value = int(match.group())
    return 50 if value < 1 else min(value, 250)


@given(st.one_of(st.none(), st.text(max_size=12), st.integers(-(10**30), 10**30).map(str)))
def test_parse_limit_matches_oracle(raw: str | None) -> None:
    assert parse_limit(raw) == limit_oracle(raw)
    assert 1 <= parse_limit(raw) <= 250


@pytest.mark.parametrize(
    ("raw", "limit"), [(None, 50), ("", 50), ("0", 50), ("-5", 50), ("10abc", 10), (" 7", 7), ("1e3", 1), ("999", 250)]
)
def test_parse_limit_examples(raw: str | None, limit: int) -> None:
    assert parse_limit(raw) == limit


def test_sanitize_filter() -> None:
    assert sanitize_filter(None) is None
    assert sanitize_filter("") is None
    assert sanitize_filter(" \ufeff ") is None
    assert sanitize_filter("  failed ") == "failed"
    assert sanitize_filter("x" * 200) == "x" * 120
    assert utf16_slice("ab\U0001f600c", 3) == "ab\ud83d"


# -- next run ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cron", "zone", "expected"),
    [
        ("0 * * * *", "UTC", "2026-02-27T15:00:07.512Z"),  # seconds and ms of now are kept
        ("7 14 * * *", "UTC", "2026-02-28T14:07:07.512Z"),  # the current minute is never a candidate
        ("0 0 * * *", "UTC", "2026-02-28T00:00:07.512Z"),  # midnight is hour 0 (h23)
        ("0 3 * * *", "America/New_York", "2026-02-28T08:00:07.512Z"),
        ("0 3 * * *", "america/new_york", "2026-02-28T08:00:07.512Z"),  # Intl matches zone names loosely
        ("0 0 * * 7", "UTC", "2026-03-01T00:00:07.512Z"),  # 7 is Sunday, as 0
        ("0 0 * * 0", "UTC", "2026-03-01T00:00:07.512Z"),
        ("0 0 2 * 1", "UTC", "2026-03-02T00:00:07.512Z"),  # day AND weekday: Monday the 2nd
        ("  30   1 * * *  ", "UTC", "2026-02-28T01:30:07.512Z"),
        ("0 2 29 3 *", "Asia/Kolkata", "2026-03-28T20:30:07.512Z"),
        ("05 * * * *", "UTC", "2026-02-27T15:05:07.512Z"),
    ],
)
def test_estimate_next_run(cron: str, zone: str, expected: str) -> None:
    assert estimate_next_run(cron, zone, ms(NOW)) == expected


@pytest.mark.parametrize(
    "cron",
    [
        "*/5 * * * *",
        "0 0-3 * * *",
        "0 1,2 * * *",
        "0 0 * * MON",
        "60 * * * *",
        "0 24 * * *",
        "0 0 0 * *",
        "0 0 * 13 *",
        "0 0 * * 8",
        "0 * * *",
        "0 * * * * *",
        "",
        "0 0 31 2 *",
        "0 0 1 * 1",
        "+1 * * * *",
        "\u0661 * * * *",
    ],
)
def test_estimate_next_run_none(cron: str) -> None:
    # Unsupported syntax, out of range, wrong field count, or no match within 45 days (Feb 31; the 1st of
    # March 2026 and of April 2026 are not Mondays, AND-ed).
    assert estimate_next_run(cron, "UTC", ms(NOW)) is None


def test_invalid_time_zone_only_matters_when_the_cron_parses() -> None:
    assert estimate_next_run("*/5 * * * *", "Not/AZone", ms(NOW)) is None
    with pytest.raises(InvalidTimeZoneError):
        estimate_next_run("0 * * * *", "Not/AZone", ms(NOW))
    with pytest.raises(InvalidTimeZoneError):
        estimate_next_run("0 * * * *", "", ms(NOW))


def test_next_fire_at_uses_cloudflares_dialect() -> None:
    now = ms(NOW)
    assert next_fire_at("0 * * * *", now) == "2026-02-27T15:00:00.000Z"  # aligned to the minute
    assert next_fire_at("*/5 * * * *", now) == "2026-02-27T14:10:00.000Z"  # steps are fine here
    # Weekday 1 is Sunday for Cloudflare, Monday for the estimate.
    assert next_fire_at("0 0 * * 1", now) == "2026-03-01T00:00:00.000Z"
    assert estimate_next_run("0 0 * * 1", "UTC", now) == "2026-03-02T00:00:07.512Z"
    # Day fields are OR-ed by Cloudflare: the 1st or any Sunday.
    assert next_fire_at("0 0 1 * 1", now) == "2026-03-01T00:00:00.000Z"
    assert next_fire_at("0 0 * * 0", now) is None  # 0 is not a Cloudflare weekday
    assert next_fire_at("0 0 31 2 *", now) is None
    assert next_fire_at("nonsense", now) is None


@given(
    st.integers(min_value=0, max_value=59),
    st.one_of(st.none(), st.integers(min_value=0, max_value=23)),
    st.integers(min_value=ms("2026-01-01T00:00:00.000Z"), max_value=ms("2027-01-01T00:00:00.000Z")),
)
def test_estimate_matches_utc_brute_force(minute: int, hour: int | None, now: int) -> None:
    cron = f"{minute} {'*' if hour is None else hour} * * *"
    found = estimate_next_run(cron, "UTC", now)
    assert found is not None
    when = ms(found)
    assert (when - now) % 60_000 == 0
    assert 0 < when - now <= (24 * 60 if hour is not None else 60) * 60_000
    moment = datetime.fromtimestamp(when / 1000, UTC)
    assert moment.minute == minute
    assert hour is None or moment.hour == hour
    assert not math.isnan(when)
