"""JSON.parse / JSON.stringify as V8 runs them (spec Appendix A)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.jscompat.json import (
    JsSyntaxError,
    _stringify_slow,
    js_json_parse,
    js_json_string,
    js_json_stringify,
)
from workerflow_kit.jscompat.numbers import UNDEFINED


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e-7, "1e-7"),
        (1e21, "1e+21"),
        (1e16, "10000000000000000"),
        (0.00001, "0.00001"),
        (1.0, "1"),
        (-0.0, "0"),
        (2.5, "2.5"),
        (math.nan, "null"),
        (math.inf, "null"),
        (-math.inf, "null"),
        (10**400, "null"),
        (12345678901234567890, "12345678901234567000"),
        (True, "true"),
        (None, "null"),
        ("é\u2028", '"é\u2028"'),
    ],
)
def test_stringify_scalars(value: Any, expected: str) -> None:
    assert js_json_stringify(value) == expected


def test_stringify_compact_object_and_array() -> None:
    value = {"b": 1, "a": [1.5, None, "x", {"n": -0.0}], "é": "ü"}
    assert js_json_stringify(value) == '{"b":1,"a":[1.5,null,"x",{"n":0}],"é":"ü"}'


def test_big_integers_were_rounded_by_parse() -> None:
    parsed = js_json_parse('{"id":12345678901234567890}')
    assert js_json_stringify(parsed) == '{"id":12345678901234567000}'


def test_array_index_keys_come_first_like_js_objects() -> None:
    value = {"b": 1, "10": 2, "2": 3, "01": 4, "a": 5, "4294967295": 6, "-1": 7}
    assert js_json_stringify(value) == '{"2":3,"10":2,"b":1,"01":4,"a":5,"4294967295":6,"-1":7}'
    assert js_json_stringify({1: "a", None: "n"}) == '{"1":"a","null":"n"}'


def test_string_escapes() -> None:
    assert js_json_string('a"b\\c\n\t\r\b\f\x00\x1f\x7f') == '"a\\"b\\\\c\\n\\t\\r\\b\\f\\u0000\\u001f\x7f"'
    assert js_json_string("\ud800x") == '"\\ud800x"'
    assert js_json_string("😀") == '"😀"'


def test_undefined_members() -> None:
    assert js_json_stringify({"a": UNDEFINED, "b": 1}) == '{"b":1}'
    assert js_json_stringify([UNDEFINED, 1]) == "[null,1]"
    with pytest.raises(TypeError):
        js_json_stringify(UNDEFINED)


def test_unsupported_and_circular() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        js_json_stringify({"a": object()})
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(TypeError, match="circular"):
        js_json_stringify(loop)
    shared = [1]
    assert js_json_stringify([shared, shared]) == "[[1],[1]]"


def test_pretty_format_matches_js() -> None:
    value = {"a": [1, {"b": []}], "c": {}, "d": "x"}
    expected = '{\n  "a": [\n    1,\n    {\n      "b": []\n    }\n  ],\n  "c": {},\n  "d": "x"\n}'
    assert js_json_stringify(value, indent=2) == expected
    assert js_json_stringify([1], indent="\t") == "[\n\t1\n]"
    assert js_json_stringify([1], indent=0) == "[1]"
    assert js_json_stringify([1], indent=20) == "[\n" + " " * 10 + "1\n]"
    # Python's json agrees with JS on pretty output for these (non-numeric edge) values.
    assert js_json_stringify(value, indent=2) == json.dumps(value, indent=2, ensure_ascii=False)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_stringify_floats_round_trip(x: float) -> None:
    text = js_json_stringify(x)
    assert float(text) == x
    assert not text.endswith(".0")
    assert "e-0" not in text
    assert "e+0" not in text


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=15,
)


@given(json_values)
def test_parse_inverts_stringify(value: Any) -> None:
    text = js_json_stringify(value)
    again = js_json_stringify(js_json_parse(text))
    assert again == text
    assert json.loads(text) == json.loads(again)


def test_parse_numbers_as_doubles() -> None:
    assert js_json_parse("[1, 1.0, 1e3, 1.5, -0, 9007199254740993, 1e400]") == [
        1,
        1,
        1000,
        1.5,
        0,
        9007199254740992.0,
        math.inf,
    ]
    value = js_json_parse("1.0")
    assert type(value) is int
    assert type(js_json_parse("12345678901234567890")) is float
    assert js_json_parse('{"a":1,"a":2,"b":3}') == {"a": 2, "b": 3}
    assert js_json_parse(' \t\n"x"\r ') == "x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not-json}", "Expected property name or '}' in JSON at position 1"),
        ("NaN", "Unexpected token 'N', \"NaN\" is not valid JSON"),
        ("[1,Infinity]", "Unexpected token 'I'"),
        ("-Infinity", "Unexpected token '-'"),
        ("", "Unexpected end of JSON input"),
        ("[1,2", "Unexpected end of JSON input"),
        ("[1,]", "Unexpected token ']'"),
        ("[1 2]", "Expected ',' or ']' after array element in JSON at position 3"),
        ('{"a":1 "b":2}', "Expected ',' or '}' after property value in JSON at position 7"),
        ('{"a" 1}', "Expected ':' after property name in JSON at position 5"),
        ("1 2", "Unexpected non-whitespace character after JSON at position 2"),
        ('"abc', "Unterminated string in JSON"),
        ('"a\nb"', "Bad control character in string literal in JSON at position 2"),
        ('"\\x"', "Bad escaped character in JSON at position 1"),
        ("'a'", "Unexpected token '''"),
        ("\u00a01", "Unexpected token '\u00a0'"),
        ("// c\n1", "Unexpected token '/'"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(JsSyntaxError) as caught:
        js_json_parse(text)
    assert message in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_parse_error_snippet_for_long_input() -> None:
    with pytest.raises(JsSyntaxError, match=r'\.\.\."') as caught:
        js_json_parse('{"key": "value", "other": tru, "more": "padding padding"}')
    assert caught.value.position is not None


# ------------------------------------------------------------------- the fast path equals the general one

any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
any_text = st.one_of(
    st.text(any_char, max_size=8),
    st.sampled_from(["", "0", "7", "12", "007", "4294967294", "4294967295", "1e3", "-1", "\u0661", "a\u2028b", "\x7f"]),
)
odd_keys = st.one_of(
    any_text,
    st.integers(-5, 5),
    st.sampled_from([None, True, False, 1.5, 2.0]),
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from([2**53, -(2**53), 2**53 + 1, 10**400]),
    st.floats(),
    any_text,
    st.just(UNDEFINED),
)


class _Dict(dict):  # type: ignore[type-arg]
    pass


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(any_text, children, max_size=4),
        st.dictionaries(odd_keys, children, max_size=4),
        st.dictionaries(any_text, children, max_size=3).map(_Dict),
    )


stringify_inputs = st.recursive(leaves, _containers, max_leaves=25)


@given(stringify_inputs)
def test_fast_path_matches_the_general_serializer(value: Any) -> None:
    try:
        expected: str | type[Exception] = _stringify_slow(value, "")
    except TypeError:
        expected = TypeError
    if expected is TypeError:
        with pytest.raises(TypeError):
            js_json_stringify(value)
    else:
        assert js_json_stringify(value) == expected


def test_fast_path_edges() -> None:
    deep: Any = "leaf"
    for _ in range(200):
        deep = {"k": [deep]}
    assert js_json_stringify(deep) == _stringify_slow(deep, "")
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(TypeError, match="circular"):
        js_json_stringify({"a": loop})
    assert js_json_stringify({"b": 1, "2": 0, "a": "\ud800\x00\u2028"}) == '{"2":0,"b":1,"a":"\\ud800\\u0000\u2028"}'
    assert js_json_stringify([True, 2**53, 2**53 + 1, 1.0]) == "[true,9007199254740992,9007199254740992,1]"
