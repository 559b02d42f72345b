"""JS number behaviours (spec Appendix A): String(n), parseInt, Number(x), Math.round, toFixed."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.jscompat.numbers import (
    UNDEFINED,
    js_number_to_string,
    js_parse_int,
    js_round,
    js_to_fixed,
)
from workerflow_kit.jscompat.values import js_to_number

# Outputs of String(x) in V8.
KNOWN_JS = [
    (0, "0"),
    (-0.0, "0"),
    (1, "1"),
    (-1, "-1"),
    (1.0, "1"),
    (100.0, "100"),
    (0.1, "0.1"),
    (0.1 + 0.2, "0.30000000000000004"),
    (123.456, "123.456"),
    (4.35, "4.35"),
    (1e21, "1e+21"),
    (1e20, "100000000000000000000"),
    (1.2345678901234568e20, "123456789012345680000"),
    (1.5e21, "1.5e+21"),
    (1e16, "10000000000000000"),
    (0.00001, "0.00001"),
    (1e-6, "0.000001"),
    (0.000001234, "0.000001234"),
    (1e-7, "1e-7"),
    (1.234e-7, "1.234e-7"),
    (-1.5e-10, "-1.5e-10"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (2**53, "9007199254740992"),
    (2**53 + 1, "9007199254740992"),
    (12345678901234567890, "12345678901234567000"),
    (10**400, "Infinity"),
    (math.inf, "Infinity"),
    (-math.inf, "-Infinity"),
    (math.nan, "NaN"),
]


@pytest.mark.parametrize(("value", "expected"), KNOWN_JS)
def test_number_to_string_known_outputs(value: float, expected: str) -> None:
    assert js_number_to_string(value) == expected


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_to_string_round_trips(x: float) -> None:
    text = js_number_to_string(x)
    assert float(text) == x
    assert "e" not in text or abs(x) < 1e-6 or abs(x) >= 1e21


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10abc", 10),
        ("  42", 42),
        ("\u3000\ufeff\n7", 7),
        ("-12px", -12),
        ("+5", 5),
        ("0x1f", 0),
        ("3.9", 3),
        ("1e3", 1),
        ("007", 7),
        ("12345678901234567890", 12345678901234567890.0),
    ],
)
def test_parse_int(text: str, expected: float) -> None:
    got = js_parse_int(text)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize("text", ["abc", "", "   ", "-", "+", "\u0663", "\u001c5", "Infinity", "_1"])
def test_parse_int_nan(text: str) -> None:
    assert math.isnan(js_parse_int(text))


def test_parse_int_radix_and_sign() -> None:
    assert js_parse_int("ff", 16) == 255
    assert js_parse_int("0xff", 16) == 255
    assert js_parse_int("0x10", 0) == 16
    assert js_parse_int("11", 2) == 3
    assert js_parse_int("z", 36) == 35
    assert math.isnan(js_parse_int("1", 37))
    assert math.isnan(js_parse_int("2", 2))
    negative_zero = js_parse_int("-0")
    assert negative_zero == 0
    assert math.copysign(1, negative_zero) == -1
    assert math.isnan(js_parse_int(None))
    assert js_parse_int(12.7) == 12


@given(st.integers(min_value=-(2**53), max_value=2**53), st.text(alphabet="abc .x", max_size=5))
def test_parse_int_reads_leading_integers(n: int, tail: str) -> None:
    assert js_parse_int(f"  {n}{tail}") == n


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", 0.0),
        (None, 0.0),
        (True, 1.0),
        (False, 0.0),
        ("7", 7.0),
        ([5], 5.0),
        ([], 0.0),
        ([None], 0.0),
        ([["3"]], 3.0),
        ("0x10", 16.0),
        ("0b101", 5.0),
        ("0o17", 8.0 + 7.0),
        (" 12 ", 12.0),
        ("\n\t 12\u3000", 12.0),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("-1.5", -1.5),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
        (42, 42.0),
        (2.5, 2.5),
    ],
)
def test_to_number(value: object, expected: float) -> None:
    got = js_to_number(value)
    assert isinstance(got, float)
    assert got == expected


@pytest.mark.parametrize(
    "value",
    [UNDEFINED, {}, {"a": 1}, [1, 2], "abc", "1,2", "12px", "-0x10", "0x", "inf", "nan", "1_000", "\u0661", object()],
)
def test_to_number_nan(value: object) -> None:
    assert math.isnan(js_to_number(value))


def test_undefined_sentinel() -> None:
    assert repr(UNDEFINED) == "UNDEFINED"
    assert not UNDEFINED
    assert type(UNDEFINED)() is UNDEFINED


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.5, 3),
        (-2.5, -2),
        (0.5, 1),
        (1.4999, 1),
        (0.49999999999999994, 0),
        (-1.5, -1),
        (-1.51, -2),
        (1234.5, 1235),
        (7, 7),
        (4503599627370495.5, 4503599627370496),
    ],
)
def test_round_half_toward_positive_infinity(value: float, expected: int) -> None:
    got = js_round(value)
    assert got == expected
    assert type(got) is int


def test_round_special_values() -> None:
    for value in (-0.5, -0.2, -0.0):
        got = js_round(value)
        assert got == 0
        assert math.copysign(1, got) == -1
    assert math.isnan(js_round(math.nan))
    assert js_round(math.inf) == math.inf
    assert js_round(1e300) == 1e300


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (1.25, 1, "1.3"),
        (0.25, 1, "0.3"),
        (59.95, 1, "60.0"),
        (1.005, 2, "1.00"),
        (1.45, 1, "1.4"),  # the double is 1.4499999999999999556
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),
        (-1.25, 1, "-1.3"),
        (-0.04, 1, "-0.0"),
        (-0.0, 1, "0.0"),
        (0, 2, "0.00"),
        (123.456, 0, "123"),
        (1e21, 2, "1e+21"),
        (math.nan, 1, "NaN"),
        (math.inf, 1, "Infinity"),
        (0.1, 20, "0.10000000000000000555"),
        (1234.5678, 2, "1234.57"),
    ],
)
def test_to_fixed(value: float, digits: int, expected: str) -> None:
    assert js_to_fixed(value, digits) == expected


@given(st.floats(min_value=-1e15, max_value=1e15), st.integers(min_value=0, max_value=6))
def test_to_fixed_matches_exact_half_up(value: float, digits: int) -> None:
    exact = Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    expected = format(exact, "f")
    if value == 0:
        expected = expected.lstrip("-")
    assert js_to_fixed(value, digits) == expected


def test_to_fixed_range() -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        js_to_fixed(1.0, 101)
