"""JavaScript number behaviours: ``String(n)``, ``parseInt``, ``Number(x)``, ``Math.round``, ``toFixed``.

JS numbers are IEEE doubles. Python callers hand these helpers ``int`` or ``float``; an ``int`` is first rounded
to the nearest double, as JS would have stored it. Where a helper returns a number it gives a Python ``int``
for integral results that a double holds exactly (``|n| <= 2**53``) so values read naturally, and a ``float``
otherwise (fractions, huge values, ``NaN``, infinities and ``-0``).

:data:`UNDEFINED` stands for JavaScript's ``undefined`` where Python's ``None`` already means ``null``.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Final

from workerflow_kit.jscompat.strings import JS_WHITESPACE

__all__ = [
    "MAX_SAFE_INTEGER",
    "UNDEFINED",
    "JsUndefined",
    "js_number_to_string",
    "js_parse_int",
    "js_round",
    "js_string_to_number",
    "js_to_fixed",
    "to_double",
]

MAX_SAFE_INTEGER: Final = 2**53 - 1
"""``Number.MAX_SAFE_INTEGER``."""

_TWO_53: Final = 2**53


class JsUndefined:
    """The type of :data:`UNDEFINED` (JavaScript's ``undefined``); there is one instance."""

    _instance: JsUndefined | None = None

    def __new__(cls) -> JsUndefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = JsUndefined()
"""JavaScript's ``undefined`` (``None`` stands for ``null``)."""


def to_double(value: float) -> float:
    """The double JS would hold for ``value`` (ints beyond the double range become ±infinity)."""
    if type(value) is float:
        return value
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _shortest_digits(x: float) -> tuple[str, int]:
    """For a finite ``x > 0``: the shortest round-trip digits ``d`` and ``n`` with ``x == 0.d * 10**n``."""
    text = repr(x)
    exponent = 0
    if "e" in text:
        text, exp_text = text.split("e")
        exponent = int(exp_text)
    integer, _, fraction = text.partition(".")
    all_digits = integer + fraction
    stripped = all_digits.lstrip("0")
    point = len(integer) + exponent - (len(all_digits) - len(stripped))
    return stripped.rstrip("0"), point


def js_number_to_string(x: float) -> str:
    """``Number::toString(x)`` (radix 10), as ``String(x)`` and template literals print numbers.

    Shortest round-trip digits; plain notation for magnitudes in ``[1e-6, 1e21)``, exponent notation otherwise
    (``1e-7``, ``1.5e+21``); ``-0`` prints ``"0"``; ``NaN``, ``Infinity``, ``-Infinity``.
    """
    value = to_double(x)
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    sign = "-" if value < 0 else ""
    digits, n = _shortest_digits(-value if value < 0 else value)
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{sign}{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return f"{sign}0.{'0' * -n}{digits}"
    e = n - 1
    mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _number_result(value: float) -> int | float:
    """An ``int`` for integral doubles within ±2**53 (except ``-0``), else the float itself."""
    if value.is_integer() and -_TWO_53 <= value <= _TWO_53 and not (value == 0 and math.copysign(1, value) < 0):
        return int(value)
    return value


def js_parse_int(s: object, radix: int = 10) -> int | float:
    """``parseInt(s, radix)``: skip leading JS whitespace, optional sign, then the longest run of digits.

    ``"10abc"`` → ``10``, ``"  -7"`` → ``-7``, ``"abc"`` / ``""`` → ``NaN`` (a float). Radix 0 means 10, and
    with radix 16 or 0 a ``0x``/``0X`` prefix is skipped; a radix outside 2..36 gives ``NaN``. Only ASCII
    digits count. Non-string input is converted as ``String(x)`` would (``None`` → ``"null"`` → ``NaN``).
    Results that are not exactly representable are rounded to the nearest double.
    """
    if not isinstance(s, str):
        from workerflow_kit.jscompat.values import js_string  # values builds on this module

        s = js_string(s)
    text = s
    text = text.lstrip(JS_WHITESPACE)
    negative = False
    if text[:1] in ("+", "-"):
        negative = text[0] == "-"
        text = text[1:]
    strip_prefix = True
    if radix != 0:
        if radix < 2 or radix > 36:
            return math.nan
        if radix != 16:
            strip_prefix = False
    else:
        radix = 10
    if strip_prefix and text[:2] in ("0x", "0X"):
        text = text[2:]
        radix = 16
    end = 0
    for char in text:
        code = ord(char)
        if 48 <= code <= 57:
            digit = code - 48
        elif 97 <= code <= 122:
            digit = code - 87
        elif 65 <= code <= 90:
            digit = code - 55
        else:
            break
        if digit >= radix:
            break
        end += 1
    if end == 0:
        return math.nan
    magnitude = int(text[:end], radix)
    if magnitude == 0:
        return -0.0 if negative else 0
    number = -magnitude if negative else magnitude
    if -_TWO_53 <= number <= _TWO_53:
        return number
    return to_double(number)


_DECIMAL_LITERAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_DECIMAL_LITERAL = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_RADIX_OF = {"x": 16, "o": 8, "b": 2}


def js_string_to_number(text: str) -> float:
    """``Number(text)`` for a string: trimmed; empty → ``0``; decimal, ``Infinity`` or ``0x``/``0o``/``0b``
    literals (unsigned); anything else → ``NaN``."""
    body = text.strip(JS_WHITESPACE)
    if not body:
        return 0.0
    if _DECIMAL_LITERAL.fullmatch(body):
        return float(body)
    if body in ("Infinity", "+Infinity"):
        return math.inf
    if body == "-Infinity":
        return -math.inf
    if _NON_DECIMAL_LITERAL.fullmatch(body):
        return to_double(int(body[2:], _RADIX_OF[body[1].lower()]))
    return math.nan


def js_round(x: float) -> int | float:
    """``Math.round(x)``: nearest integer, halves toward +∞ (``2.5`` → 3, ``-2.5`` → -2).

    Returns an ``int`` for ordinary results; ``-0.0`` when JS gives ``-0`` (inputs in ``[-0.5, 0)``), and
    ``NaN``/infinities unchanged, as floats.
    """
    value = to_double(x)
    if not math.isfinite(value):
        return value
    if value.is_integer():
        return _number_result(value)
    floor = math.floor(value)
    rounded = floor + 1 if value - floor >= 0.5 else floor
    if rounded == 0 and value < 0:
        return -0.0
    return rounded if -_TWO_53 <= rounded <= _TWO_53 else float(rounded)


_FIXED_CONTEXT: Final = Context(prec=400)


def js_to_fixed(x: float, digits: int = 0) -> str:
    """``x.toFixed(digits)``: round the exact binary value of ``x``, ties away from zero.

    ``(1.25).toFixed(1)`` → ``"1.3"``, ``(0.25).toFixed(1)`` → ``"0.3"``, ``(59.95).toFixed(1)`` → ``"60.0"``,
    ``(1.005).toFixed(2)`` → ``"1.00"`` (the double is just below the tie). ``NaN`` and magnitudes of 1e21
    and above print as ``String(x)``; ``-0`` prints unsigned, while negatives that round to zero keep their
    sign (``(-0.04).toFixed(1)`` → ``"-0.0"``). ``digits`` must be 0..100.
    """
    if not 0 <= digits <= 100:
        raise ValueError("toFixed() digits argument must be between 0 and 100")
    value = to_double(x)
    if not math.isfinite(value) or abs(value) >= 1e21:
        return js_number_to_string(value)
    if value == 0:
        value = 0.0
    exact = Decimal(value)
    quantum = Decimal(1).scaleb(-digits)
    rounded = exact.quantize(quantum, rounding=ROUND_HALF_UP, context=_FIXED_CONTEXT)
    return format(rounded, "f")
