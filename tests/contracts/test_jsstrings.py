"""JS string behaviours: trim's whitespace set, UTF-16 length, String(), truthiness."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.jscompat.numbers import UNDEFINED
from workerflow_kit.jscompat.strings import (
    js_is_blank,
    js_lower,
    js_trim,
    utf16_length,
)
from workerflow_kit.jscompat.values import js_string, js_truthy

# Written out by hand from ECMAScript's WhiteSpace and LineTerminator productions (not imported).
JS_TRIMMED = {
    "TAB": "\t",
    "VT": "\v",
    "FF": "\f",
    "SP": " ",
    "NBSP": "\u00a0",
    "ZWNBSP": "\ufeff",
    "OGHAM": "\u1680",
    "EN QUAD": "\u2000",
    "EM SPACE": "\u2003",
    "HAIR SPACE": "\u200a",
    "NNBSP": "\u202f",
    "MMSP": "\u205f",
    "IDEOGRAPHIC": "\u3000",
    "LF": "\n",
    "CR": "\r",
    "LS": "\u2028",
    "PS": "\u2029",
}
JS_KEPT = {
    "FS": "\u001c",
    "GS": "\u001d",
    "RS": "\u001e",
    "US": "\u001f",
    "NEL": "\u0085",
    "MVS": "\u180e",
    "ZWSP": "\u200b",
    "WJ": "\u2060",
    "NUL": "\u0000",
}
ALL_ZS = [chr(c) for c in (0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)]


@pytest.mark.parametrize("ch", list(JS_TRIMMED.values()), ids=list(JS_TRIMMED))
def test_trims_every_js_whitespace_class(ch: str) -> None:
    assert js_trim(f"{ch}{ch}x {ch}y{ch}") == f"x {ch}y"
    assert js_is_blank(ch * 3)


@pytest.mark.parametrize("ch", ALL_ZS)
def test_trims_the_whole_zs_category(ch: str) -> None:
    assert js_trim(ch + "x" + ch) == "x"


@pytest.mark.parametrize("ch", list(JS_KEPT.values()), ids=list(JS_KEPT))
def test_keeps_characters_js_does_not_trim(ch: str) -> None:
    assert js_trim(f"{ch} x {ch}") == f"{ch} x {ch}"
    assert not js_is_blank(ch)


def test_examples_where_python_strip_differs() -> None:
    assert js_trim("\u001c x") == "\u001c x"
    assert "\u001c x".strip() == "x"  # the pitfall this module exists for
    assert js_trim("\ufeffx\u2028") == "x"
    assert js_trim("\u0085x") == "\u0085x"
    assert js_is_blank("")
    assert js_is_blank(" \ufeff\u3000\r\n")
    assert not js_is_blank("\u001f")


@given(st.text())
def test_trim_matches_a_set_oracle(s: str) -> None:
    ws = set(JS_TRIMMED.values()) | set(ALL_ZS)
    start, end = 0, len(s)
    while start < end and s[start] in ws:
        start += 1
    while end > start and s[end - 1] in ws:
        end -= 1
    assert js_trim(s) == s[start:end]
    assert js_is_blank(s) == (start == end)


@pytest.mark.parametrize(
    ("s", "n"), [("", 0), ("abc", 3), ("é", 1), ("\U0001f600", 2), ("a\U00010000b", 4), ("\ud800", 1)]
)
def test_utf16_length_examples(s: str, n: int) -> None:
    assert utf16_length(s) == n


@given(st.text())
def test_utf16_length_counts_code_units(s: str) -> None:
    assert utf16_length(s) == len(s.encode("utf-16-le", "surrogatepass")) // 2


def test_lower_matches_js_special_cases() -> None:
    assert js_lower("CONFIG") == "config"
    assert js_lower("\u0130") == "i\u0307"  # JS: "\u0130".toLowerCase() is two code units
    assert js_lower("\u03a3\u0391\u03a3") == "\u03c3\u03b1\u03c2"  # final sigma, as V8
    assert js_lower("\u212a") == "k"  # Kelvin sign


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        ("x y", "x y"),
        (5, "5"),
        (2.0, "2"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (12345678901234567890, "12345678901234567000"),
        (math.nan, "NaN"),
        (UNDEFINED, "undefined"),
        ([1, UNDEFINED, 2], "1,,2"),
        ([], ""),
        ([" "], " "),
        ([1, [2, None], "a"], "1,2,,a"),
        ({}, "[object Object]"),
        ({"a": 1}, "[object Object]"),
        (object(), "[object Object]"),
    ],
)
def test_js_string(value: object, text: str) -> None:
    assert js_string(value) == text


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        (None, False),
        (UNDEFINED, False),
        (False, False),
        (0, False),
        (0.0, False),
        (-0.0, False),
        (math.nan, False),
        ("", False),
        (True, True),
        (1, True),
        (-1.5, True),
        (" ", True),
        ("0", True),
        ([], True),
        ({}, True),
    ],
)
def test_js_truthy(value: object, truthy: bool) -> None:
    assert js_truthy(value) is truthy
