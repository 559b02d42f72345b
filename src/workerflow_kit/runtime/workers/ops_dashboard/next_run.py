"""When a schedule runs next: upstream's estimate (``nextRunAt``) and the true fire time (``nextFireAt``).

``nextRunAt`` reproduces upstream's observable answer (spec 9.4, quirk Q19), quirks included:

* the cron is JS-trimmed and split on whitespace; exactly five fields, each ``*`` or plain ASCII digits in
  range (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-7 with 7 = Sunday); anything else → ``None``;
* candidates are ``now + k`` minutes for k = 1 … 64 800 (45 days), **not** aligned to the minute, so the
  answer keeps the seconds and milliseconds of "now";
* each candidate's wall-clock minute, hour, day, month and weekday are read in the schedule's ``timeZone``
  (``Intl.DateTimeFormat`` en-US with hour cycle h23, so midnight is hour 0), and every non-``*`` field must
  match: day-of-month and weekday are AND-ed, not OR-ed as in cron;
* an unknown time zone is an error (:class:`InvalidTimeZoneError`), but only once the cron has parsed.

``nextFireAt`` is the kit's extra: the first instant strictly after now at which Cloudflare would fire the
cron expression (its dialect: UTC only, weekday 1-7 = SUN-SAT, ranges, lists, steps, ``L``/``W``/``#``, day
fields OR-ed when both are restricted), aligned to the minute; ``None`` when the expression does not parse
in that dialect or never fires. It ignores ``timeZone`` (Cloudflare triggers are UTC) and ``enabled``, and it
does not mean a trigger with that cron string is configured (v0.1's scheduler fires a schedule only when a
trigger string equals its cron string).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, timedelta
from functools import cache
from typing import Final

from workerflow_kit.contracts.cron import CloudflareCron, CronSyntaxError
from workerflow_kit.jscompat.dates import from_epoch_ms, to_iso_string
from workerflow_kit.jscompat.regex import js_regex
from workerflow_kit.jscompat.strings import js_trim
from workerflow_kit.runtime.workers.ops_dashboard.deviations import InvalidTimeZoneError

__all__ = ["LOOKAHEAD_MINUTES", "estimate_next_run", "next_fire_at", "resolve_time_zone"]

LOOKAHEAD_MINUTES: Final = 60 * 24 * 45
_FIELDS: Final = js_regex(r"\s+")
_DIGITS: Final = re.compile(r"[0-9]+")
_RANGES: Final = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MINUTE: Final = timedelta(minutes=1)


@cache
def _zone_index() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def resolve_time_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone ``Intl.DateTimeFormat`` would use for ``name`` (IANA names, case-insensitive), or
    :class:`InvalidTimeZoneError`."""
    canonical = _zone_index().get(name.lower())
    if canonical is None:
        raise InvalidTimeZoneError(name)
    return zoneinfo.ZoneInfo(canonical)


def _field(text: str, low: int, high: int) -> int | bool | None:
    """``None`` for ``*``, the value for an in-range integer, ``False`` for anything else."""
    if text == "*":
        return None
    if not _DIGITS.fullmatch(text):
        return False
    value = int(text)
    return value if low <= value <= high else False


def estimate_next_run(cron: str, time_zone: str, now_ms: int) -> str | None:
    """Upstream's ``nextRunAt`` for a schedule at ``now_ms`` (see the module notes)."""
    fields = _FIELDS.split(js_trim(cron))
    if len(fields) != 5:
        return None
    parsed = [_field(text, low, high) for text, (low, high) in zip(fields, _RANGES, strict=True)]
    if any(value is False for value in parsed):
        return None
    minute, hour, day, month, weekday = parsed
    if weekday == 7:
        weekday = 0
    zone = resolve_time_zone(time_zone)
    start = from_epoch_ms(now_ms)
    for offset in range(1, LOOKAHEAD_MINUTES + 1):
        candidate = start + offset * _MINUTE
        wall = candidate.astimezone(zone)
        if minute is not None and wall.minute != minute:
            continue
        if hour is not None and wall.hour != hour:
            continue
        if day is not None and wall.day != day:
            continue
        if month is not None and wall.month != month:
            continue
        if weekday is not None and wall.isoweekday() % 7 != weekday:
            continue
        return to_iso_string(candidate)
    return None


def next_fire_at(cron: str, now_ms: int) -> str | None:
    """The first Cloudflare fire time of ``cron`` strictly after ``now_ms`` (ISO), or ``None``."""
    try:
        expression = CloudflareCron.parse(cron)
    except (CronSyntaxError, TypeError, ValueError):
        return None
    fire = expression.next_fire(from_epoch_ms(now_ms).astimezone(UTC))
    return None if fire is None else to_iso_string(fire)
