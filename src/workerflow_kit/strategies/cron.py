"""Cron expressions in Cloudflare's dialect (see :mod:`workerflow_kit.contracts.cron`), valid or near-miss."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from workerflow_kit.strategies._draw import between, chance, pick
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


def _value_tokens(spec: _Field) -> tuple[str, ...]:
    """A single value: a number, or a name in any case (``MON``, ``mon``, ``Mon``), numbers and names equally
    likely when the field has names."""
    numbers = tuple(str(n) for n in range(spec.low, spec.high + 1))
    if not spec.names:
        return numbers
    names = tuple(spelling for name in spec.names for spelling in (name, name.lower(), name.title()))
    return numbers * (len(names) // len(numbers)) + names


def _simple_tokens(spec: _Field) -> tuple[str, ...]:
    """Whole-field forms drawn in one choice: ``*`` (weighted), each value and name, common steps."""
    numbers = tuple(str(n) for n in range(spec.low, spec.high + 1))
    names = tuple(spelling for name in spec.names for spelling in (name, name.lower(), name.title()))
    steps = tuple(f"*/{step}" for step in (1, 2, 3, 5, 10, 15) if step <= spec.high - spec.low)
    return ("*",) * max(4, len(numbers) // 2) + numbers + names + steps


# The fields are drawn by hand in one composite, from tables built once: every part is one integer choice,
# where nested one_of/builds/map strategies cost a span per part and made crons the slowest strategy.


@dataclass(frozen=True)
class _Tables:
    values: tuple[str, ...]
    tokens: tuple[str, ...]
    step_max: int


_TABLES = {
    spec: _Tables(_value_tokens(spec), _simple_tokens(spec), spec.high - spec.low)
    for spec in (_MINUTE, _HOUR, _DOM, _MONTH, _DOW)
}


def _draw_item(draw: st.DrawFn, tables: _Tables) -> str:
    """``a``, ``a-b`` (start after end wraps around: ``22-2``, ``FRI-SUN``), ``a-b/s`` or ``a/s``."""
    form = draw(between(0, 4))
    first = pick(draw, tables.values)
    if form < 2:
        return first
    if form == 4:
        return f"{first}/{draw(between(1, tables.step_max))}"
    span = f"{first}-{pick(draw, tables.values)}"
    return span if form == 2 else f"{span}/{draw(between(1, tables.step_max))}"


def _draw_field(draw: st.DrawFn, spec: _Field) -> str:
    """Half the time a whole-field token (``*``, a value, ``*/5``); else an item, a list of items, or ``*/s``
    followed by items. After the first list item a bare ``*`` stands for the field minimum (``5,*`` is valid,
    ``*,5`` is not)."""
    tables = _TABLES[spec]
    count = len(tables.tokens)
    choice = draw(between(0, 2 * count - 1))
    if choice < count:
        return tables.tokens[choice]
    form = (choice - count) * 3 // count
    if form == 0:
        return _draw_item(draw, tables)
    head = _draw_item(draw, tables) if form == 1 else f"*/{draw(between(1, tables.step_max))}"
    parts = [head]
    for _ in range(draw(between(1, 2))):
        parts.append("*" if chance(draw, 4) else _draw_item(draw, tables))
    return ",".join(parts)


def _draw_day_of_month(draw: st.DrawFn) -> str:
    form = draw(between(0, 7))
    if form < 3:
        return _draw_field(draw, _DOM)
    if form == 3:
        return "L"
    if form == 4:
        return "LW"
    if form == 7:
        return f"{draw(between(1, 31))}W"
    offset = draw(between(1, 30))
    return f"L-{offset}" if form == 5 else f"L-{offset}W"


def _draw_day_of_week(draw: st.DrawFn) -> str:
    form = draw(between(0, 5))
    if form < 3:
        return _draw_field(draw, _DOW)
    if form == 3:
        return "L"
    weekday = pick(draw, _TABLES[_DOW].values)
    return f"{weekday}L" if form == 4 else f"{weekday}#{draw(between(1, 5))}"


_SEPARATOR_SETS = ((" ",) * 4,) * 12 + (
    ("  ", " ", " ", " "),
    (" ", " ", " ", "\t"),
    ("\t",) * 4,
    (" \t", " ", "  ", " "),
)


def _join(fields: list[str], seps: tuple[str, ...]) -> str:
    out = [fields[0]]
    for sep, text in zip(seps, fields[1:], strict=True):
        out.extend((sep, text))
    return "".join(out)


def _draw_valid_fields(draw: st.DrawFn) -> list[str]:
    return [
        _draw_field(draw, _MINUTE),
        _draw_field(draw, _HOUR),
        _draw_day_of_month(draw),
        _draw_field(draw, _MONTH),
        _draw_day_of_week(draw),
    ]


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


def _whole_forms(parts: list[str]) -> tuple[str, ...]:
    text = " ".join(parts)
    return (
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


_WHOLE_FORMS = 12


def _draw_invalid(draw: st.DrawFn) -> str:
    """Two thirds: one field replaced by a bad one; a third: the whole expression misshapen."""
    parts = _draw_valid_fields(draw)
    if draw(between(0, 2)) < 2:
        index = draw(between(0, 4))
        parts[index] = pick(draw, _BAD_FIELDS[index])
        return " ".join(parts)
    return _whole_forms(parts)[draw(between(0, _WHOLE_FORMS - 1))]


def _draw_valid(draw: st.DrawFn) -> str:
    """Half the time an everyday trigger, else five drawn fields with their separators."""
    choice = draw(between(0, 2 * len(_COMMON) - 1))
    if choice < len(_COMMON):
        return _COMMON[choice]
    return _join(_draw_valid_fields(draw), pick(draw, _SEPARATOR_SETS))


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
    chosen = _draw_valid if valid else _draw_invalid

    def draw_cron(draw: st.DrawFn) -> str:
        return chosen(draw)

    draw_cron.__name__ = draw_cron.__qualname__ = "cloudflare_crons"
    return st.composite(draw_cron)()
