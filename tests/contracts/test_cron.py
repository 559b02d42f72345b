"""Cloudflare's cron dialect: documented examples, saffron's edge rules, rejections, and a differential check.

Expected dates below were worked out by hand from a calendar (for instance 2028 is a leap year starting on a
Saturday; January 2026 ends on a Saturday, May 2026 on a Sunday, April 2028 on a Sunday, September 2028 on a
Saturday).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from cronsim import CronSim, CronSimError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workerflow_kit.contracts import cron
from workerflow_kit.contracts.cron import CloudflareCron, CronSyntaxError
from workerflow_kit.errors import ContractError


def at(text: str) -> datetime:
    """``2028-02-29 23:59`` as an aware UTC datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def fires(expression: str, after: str, n: int) -> list[str]:
    return [t.strftime("%Y-%m-%d %H:%M") for t in cron.next_fires(expression, at(after), n)]


# ----------------------------------------------------------------------- Cloudflare's documented examples


def test_every_minute_crosses_the_leap_day() -> None:
    assert fires("* * * * *", "2028-02-29 23:58", 2) == ["2028-02-29 23:59", "2028-03-01 00:00"]


def test_every_30_minutes() -> None:
    assert fires("*/30 * * * *", "2028-02-28 23:10", 3) == [
        "2028-02-28 23:30",
        "2028-02-29 00:00",
        "2028-02-29 00:30",
    ]
    assert fires("*/30 * * * *", "2027-02-28 23:45", 1) == ["2027-03-01 00:00"]


def test_every_third_minute() -> None:
    assert fires("*/3 * * * *", "2026-12-31 23:55", 3) == ["2026-12-31 23:57", "2027-01-01 00:00", "2027-01-01 00:03"]


def test_on_the_45th_minute_of_every_hour() -> None:
    assert fires("45 * * * *", "2028-12-31 22:50", 2) == ["2028-12-31 23:45", "2029-01-01 00:45"]


@pytest.mark.parametrize("expression", ["0 17 * * sun", "0 17 * * 1", "0 17 * * SUN", "0 17 * * Sun"])
def test_five_pm_on_sunday_by_name_or_by_1(expression: str) -> None:
    # 2028-02-01 is a Tuesday
    assert fires(expression, "2028-02-01 00:00", 5) == [
        "2028-02-06 17:00",
        "2028-02-13 17:00",
        "2028-02-20 17:00",
        "2028-02-27 17:00",
        "2028-03-05 17:00",
    ]


@pytest.mark.parametrize("expression", ["10 7 * * mon-fri", "10 7 * * 2-6", "10 7 * * MON-FRI"])
def test_seven_ten_on_weekdays(expression: str) -> None:
    # 2028-02-25 is a Friday; the leap day is a Tuesday
    assert fires(expression, "2028-02-25 12:00", 6) == [
        "2028-02-28 07:10",
        "2028-02-29 07:10",
        "2028-03-01 07:10",
        "2028-03-02 07:10",
        "2028-03-03 07:10",
        "2028-03-06 07:10",
    ]


def test_three_pm_on_the_first_of_the_month() -> None:
    assert fires("0 15 1 * *", "2027-12-15 00:00", 3) == ["2028-01-01 15:00", "2028-02-01 15:00", "2028-03-01 15:00"]


@pytest.mark.parametrize("expression", ["0 18 * * 6L", "0 18 * * friL", "0 18 * * FRIL"])
def test_six_pm_on_the_last_friday(expression: str) -> None:
    assert fires(expression, "2026-01-01 00:00", 2) == ["2026-01-30 18:00", "2026-02-27 18:00"]
    assert fires(expression, "2027-02-01 00:00", 1) == ["2027-02-26 18:00"]  # February ends on a Sunday
    assert fires(expression, "2028-02-01 00:00", 3) == [
        "2028-02-25 18:00",  # leap February ends on a Tuesday
        "2028-03-31 18:00",  # March ends on a Friday: the last day itself
        "2028-04-28 18:00",  # April ends on a Sunday
    ]


def test_last_weekday_of_the_month_at_2359() -> None:
    assert fires("59 23 LW * *", "2026-01-01 00:00", 5) == [
        "2026-01-30 23:59",  # the 31st is a Saturday
        "2026-02-27 23:59",  # the 28th is a Saturday
        "2026-03-31 23:59",  # a Tuesday
        "2026-04-30 23:59",  # a Thursday
        "2026-05-29 23:59",  # the 31st is a Sunday
    ]
    assert fires("59 23 LW * *", "2027-02-01 00:00", 1) == ["2027-02-26 23:59"]  # non-leap, ends on Sunday
    assert fires("59 23 LW 2 *", "2028-01-01 00:00", 1) == ["2028-02-29 23:59"]  # leap day is a Tuesday
    assert fires("59 23 LW * *", "2028-04-01 00:00", 1) == ["2028-04-28 23:59"]  # the 30th is a Sunday
    assert fires("59 23 LW * *", "2028-09-01 00:00", 1) == ["2028-09-29 23:59"]  # the 30th is a Saturday


def test_an_old_docs_example_with_minute_and_hour_swapped_is_rejected() -> None:
    # Earlier versions of the docs printed "23 59 LW * *"; 59 is not an hour.
    with pytest.raises(CronSyntaxError, match=r'^hour field "59": 59 is out of range 0-23$'):
        cron.validate("23 59 LW * *")


def test_first_monday_with_hash() -> None:
    # January 2028 starts on a Saturday, February on a Tuesday, March on a Wednesday
    assert fires("0 10 * * 2#1", "2028-01-01 00:00", 3) == ["2028-01-03 10:00", "2028-02-07 10:00", "2028-03-06 10:00"]
    assert fires("0 10 * * MON#2", "2028-01-01 00:00", 1) == ["2028-01-10 10:00"]


def test_fifth_weekday_fires_only_in_months_that_have_one() -> None:
    # Saturdays: January 2028 has five (1, 8, ..., 29); February 2028 has four; April 2028 has five
    assert fires("0 0 * * 7#5", "2028-01-02 00:00", 2) == ["2028-01-29 00:00", "2028-04-29 00:00"]


# ---------------------------------------------------------------------- saffron's day-of-month edge rules


def test_nearest_weekday_stays_inside_the_month() -> None:
    # 1W: a Saturday 1st moves forward to Monday the 3rd (not back into the previous month)
    assert fires("0 0 1W * *", "2026-07-31 00:00", 1) == ["2026-08-03 00:00"]
    # a Sunday 1st moves to Monday the 2nd
    assert fires("0 0 1W * *", "2026-10-31 00:00", 1) == ["2026-11-02 00:00"]
    # 15W: Saturday -> Friday 14th, Sunday -> Monday 16th, weekday -> itself
    assert fires("0 0 15W * *", "2026-08-01 00:00", 1) == ["2026-08-14 00:00"]
    assert fires("0 0 15W * *", "2026-02-01 00:00", 1) == ["2026-02-16 00:00"]
    assert fires("0 0 15W * *", "2028-02-01 00:00", 1) == ["2028-02-15 00:00"]
    # 31W: a Sunday last day moves back to Friday the 29th; a Saturday one to Friday the 30th
    assert fires("0 0 31W * *", "2027-01-01 00:00", 1) == ["2027-01-29 00:00"]
    assert fires("0 0 31W * *", "2026-10-01 00:00", 1) == ["2026-10-30 00:00"]
    # no 31st in April: nothing that month (not April 30th)
    assert fires("0 0 31W * *", "2026-03-31 01:00", 1) == ["2026-05-29 00:00"]


def test_last_day_and_offsets() -> None:
    assert fires("0 0 L * *", "2027-02-01 00:00", 1) == ["2027-02-28 00:00"]
    assert fires("0 0 L * *", "2028-02-01 00:00", 1) == ["2028-02-29 00:00"]
    assert fires("0 0 L-1 2 *", "2027-01-01 00:00", 2) == ["2027-02-27 00:00", "2028-02-28 00:00"]
    # L-30 exists only in 31-day months (the 1st)
    assert fires("0 0 L-30 * *", "2028-01-02 00:00", 2) == ["2028-03-01 00:00", "2028-05-01 00:00"]


def test_last_offset_nearest_weekday() -> None:
    assert fires("0 0 L-3W * *", "2028-02-01 00:00", 1) == ["2028-02-25 00:00"]  # the 26th is a Saturday
    assert fires("0 0 L-1W * *", "2028-01-01 00:00", 1) == ["2028-01-31 00:00"]  # the 30th is a Sunday
    # L-30W in a 31-day month targets the 1st; a Saturday 1st becomes Monday the 3rd
    assert fires("0 0 L-30W * *", "2028-01-01 00:00", 3) == ["2028-01-03 00:00", "2028-03-01 00:00", "2028-05-01 00:00"]


def test_leap_day_only_fires_in_leap_years() -> None:
    assert fires("0 0 29 2 *", "2028-03-01 00:00", 2) == ["2032-02-29 00:00", "2036-02-29 00:00"]
    assert fires("0 0 29 2 *", "2097-01-01 00:00", 1) == ["2104-02-29 00:00"]  # 2100 is not a leap year


def test_expressions_that_never_fire_are_valid_but_yield_nothing() -> None:
    for expression in ("0 0 31 4 *", "0 0 30 FEB *", "0 0 30W 2 *", "0 0 L-29 2 *", "0 0 31 4,6,9,11 *"):
        parsed = cron.parse(expression)
        assert not parsed.fires_ever, expression
        assert parsed.next_fires(at("2026-01-01 00:00"), 3) == []
    assert cron.parse("0 0 29 2 *").fires_ever
    assert cron.parse("0 0 31 4 MON").fires_ever  # OR with the weekday


# ------------------------------------------------------------- where Cloudflare differs from POSIX cron


def posix(expression: str, after: str, n: int) -> list[str]:
    it = CronSim(expression, at(after))
    return [next(it).strftime("%Y-%m-%d %H:%M") for _ in range(n)]


def test_weekday_numbers_are_shifted_by_one() -> None:
    # Tuesday 2028-02-01: Cloudflare's 1 is Sunday, POSIX's 1 is Monday; Cloudflare's 7 is Saturday
    assert fires("0 0 * * 1", "2028-02-01 00:00", 1) == ["2028-02-06 00:00"]
    assert posix("0 0 * * 1", "2028-02-01 00:00", 1) == ["2028-02-07 00:00"]
    assert fires("0 0 * * 7", "2028-02-01 00:00", 1) == ["2028-02-05 00:00"]
    assert posix("0 0 * * 7", "2028-02-01 00:00", 1) == ["2028-02-06 00:00"]


def test_star_step_day_of_month_with_weekday_is_or_not_and() -> None:
    # POSIX: a field starting with * makes the day fields AND; Cloudflare: only a bare * does
    assert fires("0 0 */10 * SUN", "2026-02-01 00:00", 5) == [
        "2026-02-08 00:00",  # Sunday
        "2026-02-11 00:00",  # day 11
        "2026-02-15 00:00",  # Sunday
        "2026-02-21 00:00",  # day 21
        "2026-02-22 00:00",  # Sunday
    ]
    assert posix("0 0 */10 * SUN", "2026-02-01 00:00", 1) == ["2026-03-01 00:00"]  # a Sunday that is a 1st


def test_both_day_fields_restricted_is_or() -> None:
    # the 13th, or any Friday (2026-02-01 is a Sunday; 2026-03-13 is a Friday)
    assert fires("0 0 13 * FRI", "2026-02-01 00:00", 6) == [
        "2026-02-06 00:00",
        "2026-02-13 00:00",
        "2026-02-20 00:00",
        "2026-02-27 00:00",
        "2026-03-06 00:00",
        "2026-03-13 00:00",
    ]
    # L with a weekday: the last day of the month or any Monday
    assert fires("0 0 L * 2", "2028-02-20 00:00", 3) == ["2028-02-21 00:00", "2028-02-28 00:00", "2028-02-29 00:00"]


def test_named_step_stops_at_saturday() -> None:
    # MON/2 is Monday, Wednesday, Friday; POSIX continues to 7 = Sunday
    assert fires("0 0 * * MON/2", "2028-02-04 12:00", 3) == ["2028-02-07 00:00", "2028-02-09 00:00", "2028-02-11 00:00"]
    assert posix("0 0 * * MON/2", "2028-02-04 12:00", 2) == ["2028-02-06 00:00", "2028-02-07 00:00"]


def test_reversed_ranges_wrap_around() -> None:
    assert cron.parse("0 22-2 * * *").hours == frozenset({22, 23, 0, 1, 2})
    assert cron.parse("0 0 * * FRI-SUN").day_of_week.weekdays == frozenset({6, 7, 1})
    assert cron.parse("0 0 * NOV-FEB *").months == frozenset({11, 12, 1, 2})
    assert cron.parse("50-10/15 * * * *").minutes == frozenset({50, 5})  # 50, then 15 steps on: 5
    assert fires("0 22-2 * * *", "2028-02-28 21:00", 6) == [
        "2028-02-28 22:00",
        "2028-02-28 23:00",
        "2028-02-29 00:00",
        "2028-02-29 01:00",
        "2028-02-29 02:00",
        "2028-02-29 22:00",
    ]
    with pytest.raises(CronSimError):
        CronSim("0 22-2 * * *", at("2028-01-01 00:00"))  # POSIX cron rejects them


def test_lone_l_in_day_of_week_is_saturday() -> None:
    assert fires("0 0 * * L", "2028-02-01 00:00", 2) == ["2028-02-05 00:00", "2028-02-12 00:00"]


def test_star_inside_a_list_is_the_minimum() -> None:
    assert cron.parse("5,* * * * *").minutes == frozenset({0, 5})
    assert cron.parse("0 0 * * 3,*").day_of_week.weekdays == frozenset({1, 3})
    assert cron.parse("0 0 1,*/10 * *").day_of_month.days == frozenset({1, 11, 21, 31})


def test_values_and_steps() -> None:
    assert cron.parse("7/20 * * * *").minutes == frozenset({7, 27, 47})
    assert cron.parse("0 1-10/3 * * *").hours == frozenset({1, 4, 7, 10})
    assert cron.parse("0 0 * * */2").day_of_week.weekdays == frozenset({1, 3, 5, 7})
    assert cron.parse("0 0 * */5 *").months == frozenset({1, 6, 11})
    assert cron.parse("05 007 * * *").minutes == frozenset({5})  # leading zeros are fine
    assert cron.parse("10-10/5 * * * *").minutes == frozenset({10})  # a one-value range stays one value
    assert cron.parse("0\t0  *\t* *").hours == frozenset({0})  # spaces and tabs separate fields


# ----------------------------------------------------------------------------------------- rejections

REJECTED = [
    (
        "0 17 * * 0",
        "day-of-week",
        "0 is not a weekday in Cloudflare's dialect (1-7 = SUN-SAT); use 1 or SUN for Sunday",
    ),
    ("0 0 * * 0-6", "day-of-week", "use 1 or SUN for Sunday"),
    ("0 0 * * 1,0", "day-of-week", "0 is not a weekday"),
    ("0 0 * * 8", "day-of-week", "8 is out of range 1-7 (SUN-SAT)"),
    ("60 * * * *", "minute", "60 is out of range 0-59"),
    ("0 24 * * *", "hour", "24 is out of range 0-23"),
    ("0 0 32 * *", "day-of-month", "32 is out of range 1-31"),
    ("0 0 0 * *", "day-of-month", "0 is out of range 1-31"),
    ("0 0 * 13 *", "month", "13 is out of range 1-12"),
    ("0 0 * 0 *", "month", "0 is out of range 1-12"),
    ("*/0 * * * *", "minute", "step 0 is out of range 1-59"),
    ("*/60 * * * *", "minute", "step 60 is out of range 1-59"),
    ("0 */24 * * *", "hour", "step 24 is out of range 1-23"),
    ("0 0 */31 * *", "day-of-month", "step 31 is out of range 1-30"),
    ("0 0 * */12 *", "month", "step 12 is out of range 1-11"),
    ("0 0 * * */7", "day-of-week", "step 7 is out of range 1-6"),
    ("L * * * *", "minute", "L is only allowed in the day-of-month and day-of-week fields"),
    ("0 L * * *", "hour", "L is only allowed"),
    ("0 0 * L *", "month", "L is only allowed"),
    ("0 0 5L * *", "day-of-month", "for the last Friday use 6L in day-of-week"),
    ("0 0 * * 5W", "day-of-week", "W is only allowed in the day-of-month field"),
    ("0 0 1#2 * *", "day-of-month", "# is only allowed in the day-of-week field"),
    ("0 0 lw * *", "day-of-month", "L and W must be upper-case"),
    ("0 0 * * fril", "day-of-week", "L and W must be upper-case"),
    ("0 0 L,15 * *", "day-of-month", "must stand alone"),
    ("0 0 1,15W * *", "day-of-month", 'unexpected "W"'),
    ("0 0 * * 6L,2", "day-of-week", "must stand alone"),
    ("0 0 * * 2#6", "day-of-week", "#6 is out of range #1-#5"),
    ("0 0 * * 2#0", "day-of-week", "#0 is out of range #1-#5"),
    ("0 0 L-31 * *", "day-of-month", "offset 31 in L-31 is out of range 1-30"),
    ("0 0 ? * MON", "day-of-month", "Cloudflare has no ?, use *"),
    ("*,5 * * * *", "minute", "a list cannot start with *"),
    ("*-5 * * * *", "minute", 'unexpected "-5"'),
    ("5- * * * *", "minute", "expected a value at the end"),
    ("1,,2 * * * *", "minute", 'expected a value at ",2"'),
    ("0 0 * * MONDAY", "day-of-week", 'unexpected "DAY"'),
    ("0 0 * * XYZ", "day-of-week", 'unknown weekday name "XYZ"; use SUN-SAT'),
    ("0 0 * JANUARY *", "month", 'unexpected "UARY"'),
    ("0 0 MON * *", "day-of-month", "names are only allowed in the month and day-of-week fields"),
    ("0 0 * * 9999999999", "day-of-week", "out of range"),
]


@pytest.mark.parametrize(("expression", "field", "reason"), REJECTED)
def test_rejections_name_the_field(expression: str, field: str, reason: str) -> None:
    with pytest.raises(CronSyntaxError) as info:
        cron.validate(expression)
    message = str(info.value)
    assert message.startswith(f"{field} field "), message
    assert reason in message
    assert info.value.field_name == field
    assert info.value.expression == expression
    assert not cron.is_valid(expression)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("", "empty expression; expected 5 fields"),
        ("   ", "empty expression"),
        ("garbage", "expected 5 fields: minute hour day-of-month month day-of-week, got 1"),
        ("* * * *", "got 4"),
        ("0 * * * * *", "got 6 (Cloudflare has no seconds or year field)"),
        ("0 0 * * * 2028", "got 6"),
        (" 0 * * * *", "leading or trailing whitespace"),
        ("0 * * * * ", "leading or trailing whitespace"),
        ("0 * * *\n*", "separated by spaces or tabs"),
    ],
)
def test_shape_rejections(expression: str, reason: str) -> None:
    with pytest.raises(CronSyntaxError, match=re.escape(reason)):
        cron.validate(expression)


def test_error_is_a_contract_error_with_exit_code_1() -> None:
    with pytest.raises(ContractError) as info:
        cron.validate("0 0 * * 0")
    assert info.value.exit_code == 1


def test_accepted_forms() -> None:
    for expression in (
        "* * * * *",
        "0 0 L * *",
        "0 0 LW * *",
        "0 0 L-5 * *",
        "0 0 L-5W * *",
        "0 0 15W * *",
        "0 0 * * 7L",
        "0 0 * * sat#5",
        "0 0 1-31 jan-DEC 1-7",
        "0-59/59 0-23/23 1-31/30 1-12/11 1-7/6",
        "0 0 */1 * */1",
    ):
        assert cron.is_valid(expression), expression


# ---------------------------------------------------------------------------------------------- API


def test_api_arguments_are_checked_eagerly() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cron.next_fires("* * * * *", datetime(2028, 1, 1), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cron.matches("* * * * *", datetime(2028, 1, 1))
    with pytest.raises(ValueError, match="at least 1"):
        cron.next_fires("* * * * *", at("2028-01-01 00:00"), 0)
    with pytest.raises(TypeError, match="int"):
        cron.next_fires("* * * * *", at("2028-01-01 00:00"), True)
    with pytest.raises(ValueError, match="at least 1"):  # n is checked even when the expression is bad
        cron.next_fires("0 0 * * 0", at("2028-01-01 00:00"), -1)
    with pytest.raises(TypeError, match="str"):
        cron.validate(None)  # type: ignore[arg-type]


def test_results_are_utc_strictly_after_and_other_zones_are_converted() -> None:
    plus_five = timezone(timedelta(hours=5))
    after = datetime(2028, 2, 1, 5, 0, tzinfo=plus_five)  # 2028-02-01 00:00 UTC, itself a fire time
    result = cron.next_fires("0 0 * * *", after, 1)
    assert result == [datetime(2028, 2, 2, tzinfo=UTC)]
    assert result[0].tzinfo is UTC
    assert cron.next_fires("0 0 * * *", at("2028-02-01 00:00") - timedelta(microseconds=1), 1) == [
        at("2028-02-01 00:00")
    ]
    assert cron.next_fires("* * * * *", at("2028-02-01 00:00") + timedelta(seconds=59, microseconds=999), 1) == [
        at("2028-02-01 00:01")
    ]


def test_matches_ignores_seconds_and_follows_the_dialect() -> None:
    assert cron.matches("0 17 * * 1", datetime(2028, 2, 6, 17, 0, 42, tzinfo=UTC))  # a Sunday
    assert not cron.matches("0 17 * * 1", datetime(2028, 2, 7, 17, 0, tzinfo=UTC))  # a Monday
    assert cron.matches("59 23 LW * *", at("2028-04-28 23:59"))
    assert not cron.matches("59 23 LW * *", at("2028-04-30 23:59"))


def test_parse_once_and_reuse() -> None:
    parsed = CloudflareCron.parse("0 18 * * 6L")
    assert parsed is cron.parse("0 18 * * 6L")
    assert str(parsed) == "0 18 * * 6L"
    assert parsed.next_fire(at("2028-02-01 00:00")) == at("2028-02-25 18:00")


def test_scheduler_helpers() -> None:
    triggers = ["0 2 1 * *", "0 2 3 * *", "0 0 * * *", "0 5 * * 5"]  # WorkerFlow's configured triggers
    # 2028-03-01 is a Wednesday; the next Thursday (5) is the 2nd
    assert cron.next_event(triggers, at("2028-03-01 00:00")) == (at("2028-03-01 02:00"), ["0 2 1 * *"])
    assert cron.next_event(triggers, at("2028-03-01 02:00")) == (at("2028-03-02 00:00"), ["0 0 * * *"])
    assert cron.next_event(["0 0 * * *", "0 0 1 * *"], at("2028-03-31 12:00")) == (
        at("2028-04-01 00:00"),
        ["0 0 * * *", "0 0 1 * *"],
    )
    assert cron.next_event(["0 0 31 4 *"], at("2028-03-31 12:00")) is None
    assert cron.firing(triggers, datetime(2028, 3, 2, 5, 0, 30, tzinfo=UTC)) == ["0 5 * * 5"]
    assert cron.firing(triggers, at("2028-03-03 02:00")) == ["0 2 3 * *"]


# ------------------------------------------------------------------------------------------ properties


def _values(low: int, high: int, names: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    numbers = st.integers(low, high).map(str)
    if not names:
        return numbers
    return numbers | st.sampled_from(names).map(lambda n: n if n[0] == "J" else n.lower())


def _items(low: int, high: int, names: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Values, non-wrapping ranges and steps, where POSIX and Cloudflare agree (given the same numbering)."""
    value = st.integers(low, high)
    step = st.integers(1, high - low)
    single = _values(low, high, names)
    ranged = st.tuples(value, value).map(sorted).map(lambda ab: f"{ab[0]}-{ab[1]}")
    # a-a/s is just a in Cloudflare, while cronsim stretches a one-value range with a step to the maximum
    ranged_step = (
        st.tuples(value, value, step).filter(lambda t: t[0] != t[1]).map(lambda t: f"{min(t[:2])}-{max(t[:2])}/{t[2]}")
    )
    return st.one_of(single, ranged, ranged_step)


def _field(low: int, high: int, names: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    items = st.lists(_items(low, high, names), min_size=1, max_size=3).map(",".join)
    star_step = st.integers(1, high - low).map(lambda s: f"*/{s}")
    start_step = st.tuples(st.integers(low, high), st.integers(1, high - low)).map(lambda t: f"{t[0]}/{t[1]}")
    return st.one_of(st.just("*"), items, star_step, start_step)


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@st.composite
def agreeing_expressions(draw: st.DrawFn) -> tuple[str, str]:
    """A Cloudflare expression and its POSIX translation (weekday numbers minus one, steps bounded at SAT)."""
    minute = draw(_field(0, 59))
    hour = draw(_field(0, 23))
    month = draw(_field(1, 12, _MONTHS))
    dom_plain = st.lists(_items(1, 31), min_size=1, max_size=3).map(",".join)
    dom_star = st.one_of(st.just("*"), st.integers(1, 30).map(lambda s: f"*/{s}"))
    dom_special = st.sampled_from(["L", "LW"])
    dow_number = st.integers(1, 7)
    dow_plain = st.lists(
        st.one_of(
            dow_number.map(lambda d: (str(d), str(d - 1))),
            st.sampled_from(_DAYS).map(lambda n: (n.lower(), n)),
            st.tuples(dow_number, dow_number)
            .map(sorted)
            .map(lambda ab: (f"{ab[0]}-{ab[1]}", f"{ab[0] - 1}-{ab[1] - 1}")),
            st.tuples(st.integers(1, 6), st.integers(1, 6)).map(lambda t: (f"{t[0]}/{t[1]}", f"{t[0] - 1}-6/{t[1]}")),
        ),
        min_size=1,
        max_size=3,
    ).map(lambda pairs: (",".join(p[0] for p in pairs), ",".join(p[1] for p in pairs)))
    dow_special = st.one_of(
        dow_number.map(lambda d: (f"{d}L", f"{d - 1}L")),
        st.tuples(dow_number, st.integers(1, 5)).map(lambda t: (f"{t[0]}#{t[1]}", f"{t[0] - 1}#{t[1]}")),
    )
    dow_star = st.integers(1, 6).map(lambda s: (f"*/{s}", f"0-6/{s}"))
    if draw(st.booleans()):
        # day-of-week unrestricted: any day-of-month form works in both dialects
        dom = draw(st.one_of(dom_plain, dom_star, dom_special))
        cf_dow, posix_dow = "*", "*"
    else:
        # day-of-week restricted: POSIX would AND with a star-prefixed day-of-month, so avoid */s there
        dom = draw(st.one_of(st.just("*"), dom_plain, dom_special))
        cf_dow, posix_dow = draw(st.one_of(dow_plain, dow_special, dow_star))
    cloudflare = f"{minute} {hour} {dom} {month} {cf_dow}"
    return cloudflare, f"{minute} {hour} {dom} {month} {posix_dow}"


moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@settings(deadline=None)
@given(pair=agreeing_expressions(), after=moments)
def test_next_fires_equal_cronsim_on_the_translated_expression(pair: tuple[str, str], after: datetime) -> None:
    cloudflare, translated = pair
    try:
        reference = CronSim(translated, after)
        expected = [next(reference) for _ in range(5)]
    except (CronSimError, StopIteration):
        assume(False)  # e.g. "0 0 30 2 *": cronsim refuses what can never fire
        return
    assert cron.next_fires(cloudflare, after, 5) == expected


_any_field_dom = st.one_of(
    st.sampled_from(["*", "L", "LW", "1W", "15W", "28W", "29W", "30W", "31W"]),
    st.integers(1, 30).map(lambda n: f"L-{n}"),
    st.integers(1, 30).map(lambda n: f"L-{n}W"),
    st.lists(st.integers(1, 31), min_size=1, max_size=3).map(lambda v: ",".join(map(str, v))),
)
_any_field_dow = st.one_of(
    st.just("*"),
    st.integers(1, 7).map(lambda d: f"{d}L"),
    st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda t: f"{t[0]}#{t[1]}"),
    st.lists(st.integers(1, 7), min_size=1, max_size=3).map(lambda v: ",".join(map(str, v))),
)


def _reference_next(parsed: CloudflareCron, after: datetime) -> datetime | None:
    """Walk day by day using only matches_day, independent of the cronsim translation."""
    day = after.date()
    for _ in range(366 * 9):
        if parsed.matches_day(day):
            for hour in sorted(parsed.hours):
                for minute in sorted(parsed.minutes):
                    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                    if moment > after:
                        return moment
        day += timedelta(days=1)
    return None


@settings(deadline=None, max_examples=200)
@given(
    dom=_any_field_dom,
    dow=_any_field_dow,
    months=st.sampled_from(["*", "2", "4,9", "1-3", "FEB,MAR"]),
    after=moments,
)
def test_special_day_forms_agree_with_a_day_by_day_walk(dom: str, dow: str, months: str, after: datetime) -> None:
    parsed = cron.parse(f"30 6,18 {dom} {months} {dow}")
    fire = parsed.next_fire(after)
    if not parsed.fires_ever:
        assert fire is None
        return
    expected = _reference_next(parsed, after)
    if expected is not None:  # rare forms (29W in February) can be more than nine years away
        assert fire == expected
    assert fire is not None
    assert fire > after
    assert parsed.matches(fire)


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), n=st.integers(1, 31))
def test_nearest_weekday_is_a_weekday_in_the_same_month_within_two_days(day: date, n: int) -> None:
    rule = cron.parse(f"0 0 {n}W * *").day_of_month
    picked = rule.day_in(day.year, day.month)
    last = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)).day
    if n > last:
        assert picked is None
        return
    assert picked is not None
    assert abs(picked - n) <= 2
    assert date(day.year, day.month, picked).weekday() < 5
    if date(day.year, day.month, n).weekday() < 5:
        assert picked == n
