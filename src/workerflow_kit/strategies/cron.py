"""Cron expressions in Cloudflare's dialect (see :mod:`workerflow_kit.contracts.cron`), valid or near-miss."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from workerflow_kit.strategies._draw import compact, sampled
from workerflow_kit.strategies._validation import check_bool

__all__ = ["cloudflare_crons"]

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # 1-7 in Cloudflare's numbering


@dataclass(frozen=True)
class _Field:
    low: int
    high: int
    names: tuple[str, ...] = ()


_MINUTE = _Field(0, 59)
_HOUR = _Field(0, 23)
_DOM = _Field(1, 31)
_MONTH = _Field(1, 12, _MONTH_NAMES)
_DOW = _Field(1, 7, _WEEKDAY_NAMES)


def _name_spellings(names: tuple[str, ...]) -> SearchStrategy[str]:
    """Names are case-insensitive: ``MON``, ``mon``, ``Mon``."""
    return st.builds(
        lambda name, style: (name, name.lower(), name.title())[style], st.sampled_from(names), st.integers(0, 2)
    )


def _value(spec: _Field) -> SearchStrategy[str]:
    number = st.integers(spec.low, spec.high).map(str)
    return st.one_of(number, _name_spellings(spec.names)) if spec.names else number


def _step(spec: _Field) -> SearchStrategy[str]:
    return st.integers(1, spec.high - spec.low).map(str)


def _item(spec: _Field) -> SearchStrategy[str]:
    value = _value(spec)
    return st.one_of(
        value,
        value,
        st.builds("{}-{}".format, value, value),  # start after end wraps around (22-2, FRI-SUN)
        st.builds("{}-{}/{}".format, value, value, _step(spec)),
        st.builds("{}/{}".format, value, _step(spec)),
    )


def _simple_tokens(spec: _Field) -> tuple[str, ...]:
    """Whole-field forms drawn in one choice: ``*`` (weighted), each value and name, common steps."""
    numbers = tuple(str(n) for n in range(spec.low, spec.high + 1))
    names = tuple(spelling for name in spec.names for spelling in (name, name.lower(), name.title()))
    steps = tuple(f"*/{step}" for step in (1, 2, 3, 5, 10, 15) if step <= spec.high - spec.low)
    return ("*",) * max(4, len(numbers) // 2) + numbers + names + steps


def _field(spec: _Field) -> SearchStrategy[str]:
    item = _item(spec)
    # After the first list item, a bare * stands for the field minimum (5,* is valid; *,5 is not).
    later = st.one_of(item, item, item, st.just("*"))
    listed = st.builds(lambda first, rest: ",".join([first, *rest]), item, st.lists(later, min_size=1, max_size=2))
    star_step = st.builds("*/{}".format, _step(spec))
    return st.one_of(
        sampled(_simple_tokens(spec)),
        sampled(_simple_tokens(spec)),
        sampled(_simple_tokens(spec)),
        item,
        listed,
        st.builds(lambda head, rest: ",".join([head, *rest]), star_step, st.lists(later, min_size=1, max_size=2)),
    )


def _day_of_month() -> SearchStrategy[str]:
    offset = st.integers(1, 30)
    return st.one_of(
        _field(_DOM),
        _field(_DOM),
        _field(_DOM),
        st.sampled_from(["L", "LW"]),
        st.builds("L-{}".format, offset),
        st.builds("L-{}W".format, offset),
        st.builds("{}W".format, st.integers(1, 31)),
    )


def _day_of_week() -> SearchStrategy[str]:
    weekday = _value(_DOW)
    return st.one_of(
        _field(_DOW),
        _field(_DOW),
        _field(_DOW),
        st.just("L"),
        st.builds("{}L".format, weekday),
        st.builds("{}#{}".format, weekday, st.integers(1, 5)),
    )


_SEPARATOR_SETS = ((" ",) * 4,) * 12 + (
    ("  ", " ", " ", " "),
    (" ", " ", " ", "\t"),
    ("\t",) * 4,
    (" \t", " ", "  ", " "),
)


def _separators() -> SearchStrategy[tuple[str, ...]]:
    return st.sampled_from(_SEPARATOR_SETS)


def _join(fields: list[str], seps: tuple[str, ...]) -> str:
    out = [fields[0]]
    for sep, text in zip(seps, fields[1:], strict=True):
        out.extend((sep, text))
    return "".join(out)


def _valid_fields() -> SearchStrategy[list[str]]:
    return st.tuples(_field(_MINUTE), _field(_HOUR), _day_of_month(), _field(_MONTH), _day_of_week()).map(list)


# Everyday triggers (the built-in schedules and upstream's wrangler triggers among them), drawn half the time.
_COMMON = (
    "0 * * * *",
    "0 3 * * *",
    "0 0 * * *",
    "0 2 1 * *",
    "0 2 3 * *",
    "0 5 * * 5",
    "*/5 * * * *",
    "*/30 * * * *",
    "15 9 * * MON-FRI",
    "0 12 * * 2-6",
    "0 0 1 JAN *",
    "0 18 L * *",
    "0 9 LW * *",
    "0 9 15W * *",
    "0 8 * * 6L",
    "0 10 * * 2#1",
    "59 23 31 DEC *",
    "0 22-2 * * *",
    "0 0 * * FRI-SUN",
)


# One invalid replacement per field; each is rejected whatever the other four fields are.
_BAD_FIELDS: tuple[tuple[str, ...], ...] = (
    (
        "60",
        "*/60",
        "*/0",
        "61-5",
        "5-60",
        "L",
        "5W",
        "MON",
        "?",
        "1,",
        ",1",
        "1-",
        "-1",
        "1--2",
        "*,5",
        "1#2",
        "1.5",
        "0x1",
        "l",
    ),
    ("24", "*/24", "25", "0-24", "L", "W", "?", "*/0", "JAN", "*,1"),
    (
        "0",
        "32",
        "l",
        "lw",
        "L-0",
        "L-31",
        "32W",
        "0W",
        "L,5",
        "1W,15",
        "1L",
        "w",
        "15w",
        "*/31",
        "#2",
        "LW5",
        "L-",
        "?",
        "1-32",
        "*,1",
    ),
    ("0", "13", "JANUARY", "FOO", "*/12", "L", "JAN-FOO", "0-5", "?", "*/0", "DEC-13", "1W"),
    (
        "0",
        "8",
        "0-5",
        "0#2",
        "0L",
        "1#0",
        "1#6",
        "*/7",
        "SUN-0",
        "MONDAY",
        "l",
        "7l",
        "2#",
        "5L,1",
        "W",
        "1W",
        "?",
        "*,1",
        "0,1",
        "SUN-8",
    ),
)


def _invalid() -> SearchStrategy[str]:
    fields = _valid_fields()

    def bad_field(parts: list[str], index: int, choice: int) -> str:
        options = _BAD_FIELDS[index]
        parts = list(parts)
        parts[index] = options[choice % len(options)]
        return " ".join(parts)

    def whole(parts: list[str], form: int) -> str:
        text = " ".join(parts)
        forms = (
            "0 " + text,  # a seconds field
            text + " 2026",  # a year field
            " ".join(parts[:4]),  # four fields
            " ".join(parts[1:]),
            " " + text,
            text + " ",
            text.replace(" ", "\n", 1),
            text.replace(" ", "\u00a0", 1),
            "",
            "   ",
            "@daily",
            "@hourly",
        )
        return forms[form]

    return st.one_of(
        st.builds(bad_field, fields, st.integers(0, 4), st.integers(0, 1000)),
        st.builds(bad_field, fields, st.integers(0, 4), st.integers(0, 1000)),
        st.builds(whole, fields, st.integers(0, 11)),
    )


def cloudflare_crons(*, valid: bool = True) -> SearchStrategy[str]:
    """Cron expressions in Cloudflare's dialect (five fields, UTC, day-of-week ``1``-``7`` = ``SUN``-``SAT``).

    With ``valid=True`` (the default) every expression passes :func:`workerflow_kit.contracts.cron.validate`:
    numbers, month and weekday names in any case, ranges (including wrap-around ones such as ``22-2`` and
    ``FRI-SUN``), steps (``*/s``, ``a/s``, ``a-b/s``), lists, and the special day forms ``L``, ``LW``, ``L-n``,
    ``L-nW``, ``nW`` (day-of-month) and ``L``, ``nL``, ``n#k`` (day-of-week). Fields are mostly separated by
    one space, sometimes by several spaces or a tab, which Cloudflare also accepts.

    With ``valid=False`` every expression is a near miss that :func:`~workerflow_kit.contracts.cron.validate`
    rejects: weekday ``0``, values and steps out of range, lower-case ``l``/``w``, ``L``/``W``/``#`` in the
    wrong field or inside a list, ``?``, unknown names, a list starting with ``*``, six or four fields,
    surrounding or non-space whitespace, macros such as ``@daily``.
    """
    check_bool("valid", valid)
    if not valid:
        return compact(_invalid(), "cloudflare_crons")
    return compact(st.one_of(sampled(_COMMON), st.builds(_join, _valid_fields(), _separators())), "cloudflare_crons")
