"""Cloudflare's cron dialect: validation, matching and next fire times for Cron Triggers.

Cloudflare runs Cron Triggers with its open-source parser *saffron*. Its dialect looks like POSIX cron but
differs in ways that change when a trigger fires, so this module is a thin dialect layer over ``cronsim``:
we parse and validate with Cloudflare's rules, translate to an equivalent POSIX expression, and let cronsim
walk the calendar.

The dialect, as implemented here:

* exactly five fields ``minute hour day-of-month month day-of-week``, separated by spaces or tabs, with no
  leading or trailing whitespace; times are UTC; there is no seconds or year field and no ``?``;
* minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or ``JAN``-``DEC``, day-of-week **1-7 = SUN-SAT** or
  ``SUN``-``SAT`` (names are case-insensitive; ``0`` is *not* a weekday, ``7`` is Saturday);
* every field takes ``*``, values, ranges ``a-b``, steps ``*/s``, ``a/s`` (``a`` to the field maximum) and
  ``a-b/s``, and comma lists of those; a step must lie between 1 and (maximum - minimum) of its field
  (``*/60`` minutes, ``*/7`` weekdays are rejected); a range whose start is after its end wraps around
  (``22-2`` hours is 22, 23, 0, 1, 2; ``FRI-SUN`` is Friday, Saturday, Sunday);
* after the first item of a list, ``*`` stands for the field's minimum (``5,*`` minutes is 5 and 0), while a
  list may not start with a bare ``*`` (``*,5`` is rejected) -- both exactly as Cloudflare's parser does;
* day-of-month also takes, alone, ``L`` (last day), ``LW`` (last weekday), ``L-n`` (n days before the last,
  n 1-30), ``L-nW`` (weekday nearest to that) and ``nW`` (weekday nearest to day n, never leaving the
  month: a Saturday 1st moves to Monday the 3rd, a Sunday last day to Friday; if day n does not exist in a
  month, nothing fires that month);
* day-of-week also takes, alone, ``L`` (Saturday), ``dL`` (last weekday d of the month, e.g. ``6L`` or
  ``friL``) and ``d#n`` (n-th weekday d, n 1-5; nothing fires in a month without an n-th one);
* ``L``, ``W`` and ``#`` are upper-case only, as in Cloudflare's parser;
* when day-of-month **and** day-of-week are both restricted (anything but a bare ``*``), a day fires if it
  matches **either**; ``*/2`` counts as restricted (POSIX crons treat any field *starting* with ``*`` as
  unrestricted -- here they do not).

Expressions that parse but can never fire (``0 0 31 4 *``) are valid, as in Cloudflare's parser;
:attr:`CloudflareCron.fires_ever` says so and :meth:`CloudflareCron.next_fires` returns no times.

Datetimes: every function takes timezone-aware datetimes (any zone; they are converted to UTC) and rejects
naive ones with :class:`ValueError`, because a naive datetime is usually local time by accident. Results are
aware UTC datetimes with zero seconds.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import NoReturn

from cronsim import CronSim

from workerflow_kit.errors import ContractError

__all__ = [
    "FIELD_NAMES",
    "CloudflareCron",
    "CronSyntaxError",
    "DayOfMonthKind",
    "DayOfMonthRule",
    "DayOfWeekKind",
    "DayOfWeekRule",
    "firing",
    "is_valid",
    "matches",
    "next_event",
    "next_fires",
    "parse",
    "validate",
]

FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # Cloudflare numbers these 1-7
MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MAX_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# The Gregorian calendar repeats every 400 years (146 097 days, a whole number of weeks): a trigger that has
# not fired within one cycle never will. The margin covers the partial day we start in.
_SEARCH_HORIZON = timedelta(days=146_097 + 2)
_FIELD_SEPARATOR = re.compile(r"[ \t]+")


class CronSyntaxError(ContractError):
    """A cron expression Cloudflare would reject; the message names the field and says what to write."""

    def __init__(self, message: str, *, expression: str | None = None, field_name: str | None = None) -> None:
        self.expression = expression
        self.field_name = field_name
        super().__init__(message)


@dataclass(frozen=True)
class _Field:
    index: int
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()

    @property
    def max_step(self) -> int:
        return self.high - self.low


_MINUTE = _Field(0, "minute", 0, 59)
_HOUR = _Field(1, "hour", 0, 23)
_DOM = _Field(2, "day-of-month", 1, 31)
_MONTH = _Field(3, "month", 1, 12, MONTH_NAMES)
_DOW = _Field(4, "day-of-week", 1, 7, WEEKDAY_NAMES)
_FIELDS = (_MINUTE, _HOUR, _DOM, _MONTH, _DOW)


class DayOfMonthKind(Enum):
    """The shape of a day-of-month field."""

    ANY = "*"
    DAYS = "days"  # values, ranges, steps, lists
    LAST = "L"  # L and L-n (offset n)
    LAST_WEEKDAY = "LW"  # LW and L-nW (offset n)
    NEAREST_WEEKDAY = "nW"


class DayOfWeekKind(Enum):
    """The shape of a day-of-week field."""

    ANY = "*"
    DAYS = "days"  # values, ranges, steps, lists (and a lone L = Saturday)
    LAST = "dL"
    NTH = "d#n"


@dataclass(frozen=True)
class DayOfMonthRule:
    """A parsed day-of-month field. ``value`` is the offset for ``L``/``LW`` kinds and the day for ``nW``."""

    kind: DayOfMonthKind
    days: frozenset[int] = frozenset()
    value: int = 0

    def day_in(self, year: int, month: int) -> int | None:
        """The single day an ``L``/``LW``/``nW`` rule picks in a month, or None if it picks none there."""
        last = calendar.monthrange(year, month)[1]
        if self.kind is DayOfMonthKind.NEAREST_WEEKDAY:
            if self.value > last:
                return None
            return _nearest_weekday(year, month, self.value, last)
        target = last - self.value
        if self.kind is DayOfMonthKind.LAST:
            return target if target >= 1 else None
        if self.kind is DayOfMonthKind.LAST_WEEKDAY:
            return _nearest_weekday(year, month, target, last) if target >= 1 else None
        raise ValueError(f"{self.kind} does not pick a single day")

    def selects(self, day: date) -> bool:
        """Whether this field alone selects ``day``."""
        if self.kind is DayOfMonthKind.ANY:
            return True
        if self.kind is DayOfMonthKind.DAYS:
            return day.day in self.days
        return self.day_in(day.year, day.month) == day.day

    def can_select_in(self, month: int) -> bool:
        """Whether this field selects a day in ``month`` in at least one year."""
        longest = _MAX_DAYS_IN_MONTH[month]
        if self.kind in (DayOfMonthKind.ANY, DayOfMonthKind.LAST, DayOfMonthKind.LAST_WEEKDAY):
            return longest - self.value >= 1
        if self.kind is DayOfMonthKind.NEAREST_WEEKDAY:
            return self.value <= longest
        return min(self.days) <= longest


@dataclass(frozen=True)
class DayOfWeekRule:
    """A parsed day-of-week field, in Cloudflare numbering (1 = Sunday ... 7 = Saturday)."""

    kind: DayOfWeekKind
    weekdays: frozenset[int] = frozenset()
    weekday: int = 0
    nth: int = 0

    def selects(self, day: date) -> bool:
        """Whether this field alone selects ``day``."""
        if self.kind is DayOfWeekKind.ANY:
            return True
        weekday = cloudflare_weekday(day)
        if self.kind is DayOfWeekKind.DAYS:
            return weekday in self.weekdays
        if weekday != self.weekday:
            return False
        if self.kind is DayOfWeekKind.LAST:
            return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
        return (day.day - 1) // 7 + 1 == self.nth


def cloudflare_weekday(day: date) -> int:
    """Cloudflare's number for the weekday of ``day``: 1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, target: int, last: int) -> int:
    """The weekday (Mon-Fri) nearest to ``target`` without leaving the month."""
    weekday = calendar.weekday(year, month, target)  # Monday = 0
    if weekday == calendar.SATURDAY:
        return 3 if target == 1 else target - 1
    if weekday == calendar.SUNDAY:
        return target - 2 if target == last else target + 1
    return target


@dataclass(frozen=True)
class CloudflareCron:
    """A parsed Cloudflare cron expression: parse once with :meth:`parse`, then match and iterate cheaply.

    Example::

        >>> cron = CloudflareCron.parse("0 18 * * 6L")  # 18:00 on the last Friday of the month
        >>> [t.isoformat() for t in cron.next_fires(datetime(2028, 2, 1, tzinfo=UTC), 2)]
        ['2028-02-25T18:00:00+00:00', '2028-03-31T18:00:00+00:00']
    """

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    day_of_month: DayOfMonthRule
    day_of_week: DayOfWeekRule
    posix: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "posix", self._to_posix())

    @classmethod
    def parse(cls, expression: str) -> CloudflareCron:
        """Parse ``expression`` with Cloudflare's rules, raising :class:`CronSyntaxError` if it rejects it."""
        return _parse_cached(_require_str(expression))

    def __str__(self) -> str:
        return self.expression

    @property
    def fires_ever(self) -> bool:
        """False for expressions that parse but can never fire, such as ``0 0 31 4 *`` or ``0 0 30 FEB *``."""
        if self.day_of_week.kind is not DayOfWeekKind.ANY:
            return True  # every day-of-week form selects some day of every month in some year
        return any(self.day_of_month.can_select_in(month) for month in self.months)

    def matches_day(self, day: date) -> bool:
        """Whether the trigger fires at some time on ``day`` (UTC calendar date)."""
        if day.month not in self.months:
            return False
        dom_any = self.day_of_month.kind is DayOfMonthKind.ANY
        dow_any = self.day_of_week.kind is DayOfWeekKind.ANY
        if dom_any or dow_any:  # at most one restricted: it alone decides
            return self.day_of_month.selects(day) and self.day_of_week.selects(day)
        return self.day_of_month.selects(day) or self.day_of_week.selects(day)

    def matches(self, when: datetime) -> bool:
        """Whether the trigger fires in the UTC minute containing ``when`` (seconds are ignored)."""
        moment = _as_utc(when, "when")
        return moment.minute in self.minutes and moment.hour in self.hours and self.matches_day(moment.date())

    def next_fire(self, after: datetime) -> datetime | None:
        """The first fire time strictly after ``after``, or None if there is none."""
        fires = self.next_fires(after, 1)
        return fires[0] if fires else None

    def next_fires(self, after: datetime, n: int = 1) -> list[datetime]:
        """The next ``n`` fire times strictly after ``after``, as aware UTC datetimes, in order.

        Fewer than ``n`` come back only if the trigger never fires again (or the calendar runs out at
        year 9999). ``n`` must be a positive int; ``after`` must be timezone-aware.
        """
        _require_count(n)
        start = _as_utc(after, "after")
        if not self.fires_ever:
            return []
        latest_start = datetime.max.replace(tzinfo=UTC) - _SEARCH_HORIZON
        horizon = start + _SEARCH_HORIZON if start < latest_start else None
        found: list[datetime] = []
        candidates = CronSim(self.posix, start)
        while len(found) < n:
            try:
                candidate: datetime = next(candidates)
            except (StopIteration, OverflowError):
                break
            if horizon is not None and candidate > horizon:
                break
            if self.matches_day(candidate.date()):
                found.append(candidate)
                continue
            # The POSIX translation over-approximates nW, L-n and L-nW; skip the rest of a day we reject.
            try:
                restart = datetime.combine(candidate.date() + timedelta(days=1), time(), UTC)
            except OverflowError:
                break
            candidates = CronSim(self.posix, restart - timedelta(seconds=1))
        return found

    def _to_posix(self) -> str:
        """An expression cronsim reads with the same fire times, or (for nW, L-n, L-nW) a superset of days.

        Every restricted day field is written as something that does not start with ``*`` so that cronsim's
        "either field starts with * means AND" rule coincides with Cloudflare's "both restricted means OR".
        """

        def values(items: frozenset[int]) -> str:
            return ",".join(str(v) for v in sorted(items))

        dom = self.day_of_month
        if dom.kind is DayOfMonthKind.ANY:
            dom_text = "*"
        elif dom.kind is DayOfMonthKind.DAYS:
            dom_text = values(dom.days)
        elif dom.kind is DayOfMonthKind.LAST and dom.value == 0:
            dom_text = "L"
        elif dom.kind is DayOfMonthKind.LAST_WEEKDAY and dom.value == 0:
            dom_text = "LW"
        else:
            dom_text = values(_candidate_days(dom))
        dow = self.day_of_week
        if dow.kind is DayOfWeekKind.ANY:
            dow_text = "*"
        elif dow.kind is DayOfWeekKind.DAYS:
            dow_text = values(frozenset(d - 1 for d in dow.weekdays))
        elif dow.kind is DayOfWeekKind.LAST:
            dow_text = f"{dow.weekday - 1}L"
        else:
            dow_text = f"{dow.weekday - 1}#{dow.nth}"
        return " ".join((values(self.minutes), values(self.hours), dom_text, values(self.months), dow_text))


def _candidate_days(rule: DayOfMonthRule) -> frozenset[int]:
    """Every day of month an nW / L-n / L-nW rule can pick in any month (month lengths are 28-31)."""
    if rule.kind is DayOfMonthKind.NEAREST_WEEKDAY:
        # the day itself, Friday before a Saturday, Monday after a Sunday, Friday before a Sunday month end,
        # and Monday the 3rd for a Saturday 1st
        days = {rule.value - 2, rule.value - 1, rule.value, rule.value + 1}
        if rule.value == 1:
            days.add(3)
    else:
        targets = set(range(28 - rule.value, 32 - rule.value))  # months have 28-31 days
        days = set(targets)
        if rule.kind is DayOfMonthKind.LAST_WEEKDAY:
            days |= {t - 1 for t in targets} | {t + 1 for t in targets}
            if 1 in targets:
                days.add(3)
    return frozenset(d for d in days if 1 <= d <= 31)


# --------------------------------------------------------------------------------------------- parsing


class _Cursor:
    """Reads one field left to right and reports problems as ``<field> field "<text>": <reason>``."""

    def __init__(self, spec: _Field, text: str, expression: str) -> None:
        self.spec = spec
        self.text = text
        self.expression = expression
        self.pos = 0

    def fail(self, reason: str) -> NoReturn:
        raise CronSyntaxError(
            f'{self.spec.name} field "{self.text}": {reason}',
            expression=self.expression,
            field_name=self.spec.name,
        )

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def take(self, char: str) -> bool:
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def digits(self, what: str) -> int:
        start = self.pos
        while self.peek().isdigit() and self.peek().isascii():
            self.pos += 1
        if start == self.pos:
            self.fail(f"expected {what} {self._where()}")
        text = self.text[start : self.pos]
        if len(text) > 6:
            self.fail(f"{text} is out of range")
        return int(text)

    def value(self, *, star_is_minimum: bool = False) -> int:
        """A number or a name, range-checked; ``*`` means the minimum where Cloudflare allows it."""
        if star_is_minimum and self.take("*"):
            return self.spec.low
        word = self.text[self.pos : self.pos + 3]
        if self.spec.names and len(word) == 3 and word.isalpha():
            if word.upper() in self.spec.names:
                self.pos += 3
                return self.spec.names.index(word.upper()) + self.spec.low
            kinds = "weekday" if self.spec is _DOW else "month"
            self.fail(f'unknown {kinds} name "{word}"; use {self.spec.names[0]}-{self.spec.names[-1]}')
        if not self.peek().isdigit():
            self.fail(f"expected a value {self._where()}{self._char_hint()}")
        number = self.digits("a value")
        if self.spec is _DOW and number == 0:
            self.fail("0 is not a weekday in Cloudflare's dialect (1-7 = SUN-SAT); use 1 or SUN for Sunday")
        if not self.spec.low <= number <= self.spec.high:
            self.fail(f"{number} is out of range {self._range_text()}")
        return number

    def step(self) -> int:
        number = self.digits("a step after /")
        if not 1 <= number <= self.spec.max_step:
            self.fail(f"step {number} is out of range 1-{self.spec.max_step}")
        return number

    def expand(self, start: int, end: int, step: int) -> set[int]:
        """``start-end/step``; a range whose start is after its end wraps past the maximum."""
        if start <= end:
            return set(range(start, end + 1, step))
        sequence = [*range(start, self.spec.high + 1), *range(self.spec.low, end + 1)]
        return set(sequence[::step])

    def item(self, first: int) -> set[int]:
        """The rest of one list item whose first value is ``first``: ``/s``, ``-b``, ``-b/s`` or nothing."""
        if self.take("/"):
            return self.expand(first, self.spec.high, self.step())
        if self.take("-"):
            end = self.value()
            return self.expand(first, end, self.step() if self.take("/") else 1)
        return {first}

    def tail(self, items: set[int]) -> frozenset[int]:
        """``,item`` repeated, then the end of the field."""
        while self.take(","):
            items |= self.item(self.value(star_is_minimum=True))
        self.end()
        return frozenset(items)

    def star(self) -> frozenset[int] | None:
        """After a leading ``*``: None for a bare ``*``, else the values of ``*/s`` and its list."""
        if not self.take("/"):
            if self.peek() == ",":
                self.fail("a list cannot start with *; write the values, or */1")
            self.end()
            return None
        return self.tail(self.expand(self.spec.low, self.spec.high, self.step()))

    def end(self, hint: str = "") -> None:
        if self.pos < len(self.text):
            self.fail(f'unexpected "{self.text[self.pos :]}"{hint or self._char_hint()}')

    def _where(self) -> str:
        return "at the end" if self.pos >= len(self.text) else f'at "{self.text[self.pos :]}"'

    def _range_text(self) -> str:
        text = f"{self.spec.low}-{self.spec.high}"
        if self.spec is _DOW:
            return f"{text} (SUN-SAT)"
        if self.spec is _MONTH:
            return f"{text} (or JAN-DEC)"
        return text

    def _char_hint(self) -> str:
        char = self.peek()
        if char == "?":
            return "; Cloudflare has no ?, use *"
        if char in ("l", "w"):
            return "; L and W must be upper-case"
        if char == "L" and self.spec not in (_DOM, _DOW):
            return "; L is only allowed in the day-of-month and day-of-week fields"
        if char == "W" and self.spec is not _DOM:
            return "; W is only allowed in the day-of-month field"
        if char == "#" and self.spec is not _DOW:
            return "; # is only allowed in the day-of-week field"
        if char.isalpha() and not self.spec.names:
            return f"; names are only allowed in the month and day-of-week fields, {self.spec.name} is numeric"
        return ""


_ALONE = " (L, W and # forms must stand alone, not in a list or range)"


def _parse_plain(cursor: _Cursor) -> frozenset[int]:
    """minute, hour and month: ``*`` or a list of values, ranges and steps."""
    if cursor.take("*"):
        values = cursor.star()
        return frozenset(range(cursor.spec.low, cursor.spec.high + 1)) if values is None else values
    return cursor.tail(cursor.item(cursor.value()))


def _parse_day_of_month(cursor: _Cursor) -> DayOfMonthRule:
    if cursor.take("*"):
        values = cursor.star()
        return DayOfMonthRule(DayOfMonthKind.ANY) if values is None else DayOfMonthRule(DayOfMonthKind.DAYS, values)
    if cursor.take("L"):
        offset = 0
        if cursor.take("-"):
            offset = cursor.digits("a day offset after L-")
            if not 1 <= offset <= 30:
                cursor.fail(f"offset {offset} in L-{offset} is out of range 1-30")
        weekday = cursor.take("W")
        if offset == 0 and not weekday and cursor.peek() not in ("", ","):
            cursor.end("; after L only -n, W or -nW may follow (L, LW, L-3, L-3W)")
        cursor.end(_ALONE)
        return DayOfMonthRule(DayOfMonthKind.LAST_WEEKDAY if weekday else DayOfMonthKind.LAST, value=offset)
    first = cursor.value()
    if cursor.take("W"):
        cursor.end(_ALONE)
        return DayOfMonthRule(DayOfMonthKind.NEAREST_WEEKDAY, value=first)
    if cursor.peek() == "L":
        cursor.end("; L stands alone in day-of-month (L, LW, L-n, L-nW); for the last Friday use 6L in day-of-week")
    return DayOfMonthRule(DayOfMonthKind.DAYS, cursor.tail(cursor.item(first)))


def _parse_day_of_week(cursor: _Cursor) -> DayOfWeekRule:
    if cursor.take("*"):
        values = cursor.star()
        return DayOfWeekRule(DayOfWeekKind.ANY) if values is None else DayOfWeekRule(DayOfWeekKind.DAYS, values)
    if cursor.take("L"):
        cursor.end("; a lone L in day-of-week means Saturday; for the last Friday write 6L or FRIL")
        return DayOfWeekRule(DayOfWeekKind.DAYS, frozenset({7}))
    first = cursor.value()
    if cursor.take("L"):
        cursor.end(_ALONE)
        return DayOfWeekRule(DayOfWeekKind.LAST, weekday=first)
    if cursor.take("#"):
        nth = cursor.digits("a number 1-5 after #")
        if not 1 <= nth <= 5:
            cursor.fail(f"#{nth} is out of range #1-#5")
        cursor.end(_ALONE)
        return DayOfWeekRule(DayOfWeekKind.NTH, weekday=first, nth=nth)
    return DayOfWeekRule(DayOfWeekKind.DAYS, cursor.tail(cursor.item(first)))


def _split_fields(expression: str) -> list[str]:
    shape = "expected 5 fields: minute hour day-of-month month day-of-week"
    if not expression.strip():
        raise CronSyntaxError(f"empty expression; {shape}", expression=expression)
    if expression != expression.strip(" \t"):
        raise CronSyntaxError(
            "leading or trailing whitespace; Cloudflare compares cron strings exactly, remove it",
            expression=expression,
        )
    stray = next((c for c in expression if c.isspace() and c not in " \t"), None)
    if stray is not None:
        raise CronSyntaxError(
            f"fields must be separated by spaces or tabs, found {stray!r}; {shape}", expression=expression
        )
    fields = _FIELD_SEPARATOR.split(expression)
    if len(fields) != 5:
        extra = " (Cloudflare has no seconds or year field)" if len(fields) > 5 else ""
        raise CronSyntaxError(f"{shape}, got {len(fields)}{extra}", expression=expression)
    return fields


@functools.lru_cache(maxsize=1024)
def _parse_cached(expression: str) -> CloudflareCron:
    minute, hour, dom, month, dow = (
        _Cursor(spec, text, expression) for spec, text in zip(_FIELDS, _split_fields(expression), strict=True)
    )
    return CloudflareCron(
        expression=expression,
        minutes=_parse_plain(minute),
        hours=_parse_plain(hour),
        day_of_month=_parse_day_of_month(dom),
        months=_parse_plain(month),
        day_of_week=_parse_day_of_week(dow),
    )


# ---------------------------------------------------------------------------------------------- helpers


def _require_str(expression: object) -> str:
    if not isinstance(expression, str):
        raise TypeError(f"a cron expression must be a str, got {type(expression).__name__}")
    return expression


def _require_count(n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")


def _as_utc(moment: object, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (for example datetime.now(UTC)), got naive {moment}")
    return moment.astimezone(UTC)


# ------------------------------------------------------------------------------------------- public API


def parse(expression: str) -> CloudflareCron:
    """Parse a Cloudflare cron expression (cached); :class:`CronSyntaxError` if Cloudflare rejects it."""
    return CloudflareCron.parse(expression)


def validate(expression: str) -> None:
    """Raise :class:`CronSyntaxError`, naming the field and the fix, if Cloudflare rejects ``expression``."""
    parse(expression)


def is_valid(expression: str) -> bool:
    """Whether Cloudflare accepts ``expression`` as a Cron Trigger."""
    try:
        parse(expression)
    except CronSyntaxError:
        return False
    return True


def next_fires(expression: str, after: datetime, n: int = 1) -> list[datetime]:
    """The next ``n`` fire times of ``expression`` strictly after the aware datetime ``after``, in UTC."""
    _require_count(n)
    _as_utc(after, "after")
    return parse(expression).next_fires(after, n)


def matches(expression: str, when: datetime) -> bool:
    """Whether ``expression`` fires in the UTC minute containing the aware datetime ``when``."""
    _as_utc(when, "when")
    return parse(expression).matches(when)


def firing(expressions: Iterable[str], when: datetime) -> list[str]:
    """The expressions (in order, duplicates kept) that fire in the UTC minute containing ``when``."""
    _as_utc(when, "when")
    return [expression for expression in expressions if parse(expression).matches(when)]


def next_event(expressions: Sequence[str], after: datetime) -> tuple[datetime, list[str]] | None:
    """The earliest fire time strictly after ``after`` among ``expressions`` and which of them fire then.

    None if none of them ever fires again. This is what a scheduler's clock needs to jump straight to its
    next cron event.
    """
    _as_utc(after, "after")
    earliest: datetime | None = None
    due: list[str] = []
    for expression in expressions:
        fire = parse(expression).next_fire(after)
        if fire is None:
            continue
        if earliest is None or fire < earliest:
            earliest, due = fire, [expression]
        elif fire == earliest:
            due.append(expression)
    return None if earliest is None else (earliest, due)
