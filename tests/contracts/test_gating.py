"""HTTP route gating (spec 3.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.contracts.gating import is_route_enabled, parse_route_set

JS_WS = "\t\v\f \u00a0\ufeff\u3000\n\r\u2028"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a", {"a"}),
        ("a,b", {"a", "b"}),
        (" a , b ,, a ", {"a", "b"}),
        ("\ufeffa\u2028,\u3000b", {"a", "b"}),
        ("a b", {"a b"}),
        ("A,a", {"A", "a"}),
        ("\u001ca", {"\u001ca"}),  # not JS whitespace, so kept
        ("", None),
        (" ", None),
        (" , ,\t,", None),
        (None, None),
        (5, None),
        (["a"], None),
        (True, None),
    ],
)
def test_parse_route_set(value: object, expected: set[str] | None) -> None:
    parsed = parse_route_set(value)
    assert parsed == (None if expected is None else frozenset(expected))


def test_examples() -> None:
    assert is_route_enabled("chat_notify", {})
    assert not is_route_enabled("chat_notify", {"ENABLED_HTTP_ROUTES": "lead_normalizer"})
    assert is_route_enabled("chat_notify", {"ENABLED_HTTP_ROUTES": "lead_normalizer, chat_notify"})
    assert not is_route_enabled("chat_notify", {"DISABLED_HTTP_ROUTES": " chat_notify "})
    assert not is_route_enabled("x", {"ENABLED_HTTP_ROUTES": "x", "DISABLED_HTTP_ROUTES": "x"})  # disabled wins
    assert is_route_enabled("x", {"ENABLED_HTTP_ROUTES": " , ", "DISABLED_HTTP_ROUTES": ",,"})  # no sets
    assert not is_route_enabled("X", {"ENABLED_HTTP_ROUTES": "x"})  # case-sensitive
    assert is_route_enabled("X", {"DISABLED_HTTP_ROUTES": "x"})
    assert is_route_enabled("x", {"ENABLED_HTTP_ROUTES": 0, "DISABLED_HTTP_ROUTES": ["x"]})  # non-strings


names = st.sampled_from(["a", "b", "A", "chat_notify", "a b", "\u00e9"])


@st.composite
def gate_value(draw: st.DrawFn) -> tuple[object, frozenset[str] | None]:
    """A gating variable and the set it denotes, built from entries padded with JS whitespace and blanks."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.one_of(st.none(), st.integers(), st.booleans(), st.lists(names))), None
    entries = draw(st.lists(st.one_of(names, st.just("")), max_size=5))
    padded = [draw(st.text(JS_WS, max_size=2)) + e + draw(st.text(JS_WS, max_size=2)) for e in entries]
    named = frozenset(e for e in entries if e)
    return ",".join(padded), (named or None)


@given(route=names, enabled=gate_value(), disabled=gate_value(), present=st.tuples(st.booleans(), st.booleans()))
def test_gating_matches_set_semantics(
    route: str,
    enabled: tuple[object, frozenset[str] | None],
    disabled: tuple[object, frozenset[str] | None],
    present: tuple[bool, bool],
) -> None:
    env: dict[str, object] = {}
    if present[0]:
        env["ENABLED_HTTP_ROUTES"] = enabled[0]
    if present[1]:
        env["DISABLED_HTTP_ROUTES"] = disabled[0]
    enabled_set = enabled[1] if present[0] else None
    disabled_set = disabled[1] if present[1] else None
    assert parse_route_set(env.get("ENABLED_HTTP_ROUTES")) == enabled_set
    expected = (enabled_set is None or route in enabled_set) and (disabled_set is None or route not in disabled_set)
    assert is_route_enabled(route, env) is expected
    if disabled_set is not None and route in disabled_set:
        assert not is_route_enabled(route, env)  # disabled wins, whatever the enabled set says
