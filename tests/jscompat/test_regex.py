"""ECMAScript regex flavour on Python's re (spec Appendix A)."""

from __future__ import annotations

import pytest

from workerflow_kit.jscompat.regex import JsRegexError, js_regex, translate_js_regex

JS_SPACES = "\t\n\x0b\x0c\r \xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def test_digit_word_boundary_are_ascii_only() -> None:
    assert js_regex(r"\d+").findall("12\u0663\uff14") == ["12"]
    assert js_regex(r"\w+").findall("caf\u00e9_1") == ["caf", "_1"]
    assert js_regex(r"\bcaf\b").search("caf\u00e9") is not None
    assert js_regex(r"\D").findall("1\u0663") == ["\u0663"]


def test_whitespace_is_the_js_set() -> None:
    pattern = js_regex(r"\s")
    assert all(pattern.fullmatch(ch) for ch in JS_SPACES)
    for ch in "\x1c\x1d\x1e\x1f\x85a":
        assert pattern.fullmatch(ch) is None
    assert js_regex(r"\S").fullmatch("\x1c") is not None
    assert js_regex(r"\S").fullmatch("\ufeff") is None


def test_whitespace_inside_classes() -> None:
    assert js_regex(r"[\s,]+").split("a,\u3000b") == ["a", "b"]
    assert js_regex(r"[\S]+").findall("ab\u00a0cd") == ["ab", "cd"]
    assert js_regex(r"[\Sx]").fullmatch(" ") is None
    assert js_regex(r"[^\s]+").findall("a\ufeffb") == ["a", "b"]
    assert js_regex(r"[^\S\n]+").sub("_", "a \n\tb") == "a_\n_b"
    assert js_regex(r"[^\S]").fullmatch("\u3000") is not None


def test_spec_patterns() -> None:
    bearer = js_regex(r"^Bearer\s+(.+)$", "i")
    match = bearer.match("bearer\u00a0token-1")
    assert match is not None
    assert match.group(1) == "token-1"
    assert bearer.match("Bearer token\n") is None  # JS $ without m: end of input only
    credentials = js_regex(r"invalid .*credentials")
    assert credentials.search("invalid api credentials") is not None
    assert credentials.search("invalid\u2028x credentials") is None
    assert credentials.search("invalid x\rcredentials") is None
    assert js_regex(r"is required").search("chat_webhook_url is required") is not None
    assert js_regex(r"[^0-9+]", "g").sub("", "(555) 111-2222") == "5551112222"


def test_flags() -> None:
    assert js_regex("a.b", "s").fullmatch("a\nb") is not None
    assert js_regex("a.b").fullmatch("a\nb") is None
    assert js_regex("^b$", "m").findall("a\r\nb\u2028b") == ["b", "b"]
    assert js_regex("^a", "m").findall("a\ra") == ["a", "a"]
    assert js_regex("ABC", "gi").findall("abc") == ["abc"]
    for flags in ("u", "y", "d", "v", "x", "ii"):
        with pytest.raises(JsRegexError):
            js_regex("a", flags)


def test_named_groups_and_special_classes() -> None:
    match = js_regex(r"(?<year>\d{4})-\k<year>").match("2026-2026")
    assert match is not None
    assert match.group("year") == "2026"
    assert js_regex(r"(?<=\$)\d+").findall("$12 and 3") == ["12"]
    assert js_regex("[^]").fullmatch("\n") is not None
    assert js_regex("a[]").search("a") is None
    assert js_regex(r"[\b]").fullmatch("\b") is not None
    assert js_regex(r"[]a]").fullmatch("a") is None  # [] then "a]" in JS


@pytest.mark.parametrize("pattern", [r"\p{L}", "(?i)a", r"\A", r"\z", "[abc", "(?P<n>a)", r"\cA", "a\\"])
def test_unsupported_or_invalid(pattern: str) -> None:
    with pytest.raises(JsRegexError):
        js_regex(pattern)


def test_translate_returns_python_pattern() -> None:
    text, flags = translate_js_regex(r"\s$")
    assert text.endswith("\\Z")
    assert flags & 256  # re.ASCII
