"""``Date.prototype.toISOString`` and ``Date.parse`` as the Workers runtime gives them.

The Workers local time zone is always UTC, so every form JavaScript reads as local time is read as UTC here.

:func:`js_date_parse` returns milliseconds since the epoch as a ``float`` and ``NaN`` (``float("nan")``) for
text it cannot read, exactly like ``Date.parse``; test with :func:`math.isnan`, or use
:func:`js_date_parse_ms`, which gives an ``int`` or ``None``.

Accepted: the ECMAScript date-time string format (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``±YYYYYY`` extended
years, then optionally ``THH:mm``, ``THH:mm:ss`` or ``THH:mm:ss.s…`` — fraction digits beyond milliseconds are
dropped — and ``Z`` or ``±HH:mm``); ``T24:00`` is the next midnight; ``2026-02-27T14`` is ``NaN``. Like V8, a day
of 29 to 31 past the month's end rolls into the next month. A few common legacy forms are accepted as well:
``2026-02-27 14:00[:ss[.sss]]`` (space instead of ``T``, optional ``Z``/``GMT``/``UTC``/offset),
``2026/02/27 [time]``, and ``[Fri, ]27 Feb 2026 [time] [GMT|UTC|Z|±hhmm]`` / ``Feb 27[,] 2026 [time] …``.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Final

__all__ = ["MAX_TIME_MS", "from_epoch_ms", "js_date_parse", "js_date_parse_ms", "to_epoch_ms", "to_iso_string"]

MAX_TIME_MS: Final = 8.64e15
"""The largest magnitude of a JS time value (``new Date(8.64e15)``)."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS_PER_DAY: Final = 86_400_000


def to_epoch_ms(dt: datetime) -> int:
    """Milliseconds since the epoch for ``dt`` (naive means UTC); sub-millisecond parts are truncated."""
    aware = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
    delta = aware - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_epoch_ms(ms: float) -> datetime:
    """The aware UTC datetime of a JS time value (fractions truncated toward zero, as ``new Date(ms)``)."""
    if isinstance(ms, float) and not math.isfinite(ms):
        raise ValueError("Invalid time value")
    whole = math.trunc(ms)
    if abs(whole) > MAX_TIME_MS:
        raise ValueError("Invalid time value")
    try:
        return _EPOCH + timedelta(milliseconds=whole)
    except OverflowError:
        raise ValueError("Invalid time value (outside the years Python's datetime holds)") from None


def to_iso_string(dt_or_ms: datetime | float) -> str:
    """``new Date(x).toISOString()``: ``YYYY-MM-DDTHH:MM:SS.sssZ``, always UTC and always milliseconds.

    Accepts a datetime (naive means UTC; microseconds are truncated to milliseconds) or a time value in ms.
    Raises :class:`ValueError` (JS ``RangeError: Invalid time value``) for NaN or out-of-range values, and for
    years outside 1..9999, which Python's datetime cannot hold.
    """
    if isinstance(dt_or_ms, datetime):
        dt = dt_or_ms.astimezone(UTC) if dt_or_ms.tzinfo is not None else dt_or_ms
    else:
        dt = from_epoch_ms(dt_or_ms)
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}."
        f"{dt.microsecond // 1000:03d}Z"
    )


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date; ``day`` may exceed the month (it rolls over)."""
    y = year - (1 if month <= 2 else 0)
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 + (day - 1)


def _compose(
    year: int, month: int, day: int, *, hour: int, minute: int, second: int, ms: int, offset_min: int
) -> float:
    if not (1 <= month <= 12 and 1 <= day <= 31 and 0 <= minute <= 59 and 0 <= second <= 59):
        return math.nan
    if hour > 24 or (hour == 24 and (minute or second or ms)):
        return math.nan
    days = _days_from_civil(year, month, day)
    value = days * _MS_PER_DAY + ((hour * 60 + minute - offset_min) * 60 + second) * 1000 + ms
    if abs(value) > MAX_TIME_MS:
        return math.nan
    return float(value)


_ISO: Final = re.compile(
    r"(?P<year>[0-9]{4}|[+-][0-9]{6})"
    r"(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)

_TIME: Final = r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?"
_ZONE: Final = r"(?:\s*(?P<zone>Z|GMT|UTC|UT|(?:GMT|UTC)?[+-][0-9]{2}:?[0-9]{2}))?"
_MONTHS: Final = {name.lower(): index for index, name in enumerate(calendar.month_abbr) if name}
_WEEKDAY: Final = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"

_LEGACY_NUMERIC: Final = re.compile(
    r"(?P<year>[0-9]{4})[-/](?P<month>[0-9]{1,2})[-/](?P<day>[0-9]{1,2})(?:[ T]+" + _TIME + r")?" + _ZONE,
    re.IGNORECASE,
)
_LEGACY_DAY_FIRST: Final = re.compile(
    _WEEKDAY + r"(?P<day>[0-9]{1,2})[\s-]+(?P<mon>[a-z]{3})[a-z]*[\s-]+(?P<year>[0-9]{4})"
    r"(?:\s+" + _TIME + r")?" + _ZONE,
    re.IGNORECASE,
)
_LEGACY_MONTH_FIRST: Final = re.compile(
    _WEEKDAY + r"(?P<mon>[a-z]{3})[a-z]*\s+(?P<day>[0-9]{1,2}),?\s+(?P<year>[0-9]{4})"
    r"(?:\s+" + _TIME + r")?" + _ZONE,
    re.IGNORECASE,
)


def _fraction_ms(fraction: str | None) -> int:
    return int((fraction or "0")[:3].ljust(3, "0"))


def _offset_minutes(zone: str | None) -> int | None:
    """Minutes east of UTC for a zone designator; ``None`` if it is malformed."""
    if zone is None:
        return 0
    text = zone.upper()
    for prefix in ("GMT", "UTC", "UT", "Z"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if not text:
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    if len(digits) != 4:
        return None
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        return None
    return sign * (hours * 60 + minutes)


def _parse_iso(text: str) -> float | None:
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    year_text = match["year"]
    if year_text == "-000000":
        return math.nan
    offset = _offset_minutes(match["zone"])
    if offset is None:
        return math.nan
    return _compose(
        int(year_text),
        int(match["month"] or 1),
        int(match["day"] or 1),
        hour=int(match["hour"] or 0),
        minute=int(match["minute"] or 0),
        second=int(match["second"] or 0),
        ms=_fraction_ms(match["fraction"]),
        offset_min=offset,
    )


def _parse_legacy(text: str) -> float:
    for pattern in (_LEGACY_NUMERIC, _LEGACY_DAY_FIRST, _LEGACY_MONTH_FIRST):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        groups = match.groupdict()
        if "mon" in groups:
            month = _MONTHS.get(groups["mon"].lower())
            if month is None:
                return math.nan
        else:
            month = int(groups["month"])
        offset = _offset_minutes(groups["zone"])
        if offset is None:
            return math.nan
        return _compose(
            int(groups["year"]),
            month,
            int(groups["day"]),
            hour=int(groups["hour"] or 0),
            minute=int(groups["minute"] or 0),
            second=int(groups["second"] or 0),
            ms=_fraction_ms(groups["fraction"]),
            offset_min=offset,
        )
    return math.nan


def js_date_parse(text: str) -> float:
    """``Date.parse(text)``: milliseconds since the epoch as a float, ``NaN`` when unreadable.

    See the module notes for the forms accepted. Offset-less forms are UTC (the Workers local zone).
    """
    if not isinstance(text, str):
        return math.nan
    iso = _parse_iso(text)
    if iso is not None:
        return iso
    return _parse_legacy(text.strip())


def js_date_parse_ms(text: str) -> int | None:
    """:func:`js_date_parse` as an ``int`` of milliseconds, or ``None`` where JavaScript gives ``NaN``."""
    value = js_date_parse(text)
    return None if math.isnan(value) else int(value)
