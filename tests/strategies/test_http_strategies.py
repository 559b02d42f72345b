"""The ingress-auth oracle follows spec 4.3; auth cases and trace ids carry consistent expectations."""

from __future__ import annotations

import re

import pytest
from hypothesis import given

from workerflow_kit import strategies as wst

TOKEN = "s3cret"

# (headers, provided token) -- hand-picked from spec 4.3.
SELECTION = [
    ({}, ""),
    ({"x-api-token": TOKEN}, TOKEN),
    ({"x-api-key": f"  {TOKEN} "}, TOKEN),
    ({"x-webhook-token": TOKEN}, TOKEN),
    ({"X-Api-Key": TOKEN}, TOKEN),  # header names are case-insensitive
    ({"x-api-token": "first", "x-api-key": "second"}, "first"),
    ({"x-api-key": "second", "x-webhook-token": "third"}, "second"),
    # the quirk: an empty x-api-token is present and hides x-api-key; only authorization is read next
    ({"x-api-token": "", "x-api-key": TOKEN}, ""),
    ({"x-api-token": " ", "x-webhook-token": TOKEN}, ""),
    ({"x-api-token": "", "x-api-key": TOKEN, "authorization": f"Bearer {TOKEN}"}, TOKEN),
    ({"authorization": f"Bearer {TOKEN}"}, TOKEN),
    ({"authorization": f"bearer\t {TOKEN} "}, TOKEN),
    ({"authorization": f"BEARER {TOKEN}"}, TOKEN),
    ({"authorization": TOKEN}, TOKEN),
    ({"authorization": f"Basic {TOKEN}"}, f"Basic {TOKEN}"),
    ({"authorization": f"Bearer{TOKEN}"}, f"Bearer{TOKEN}"),  # no whitespace: not the Bearer form
    ({"authorization": "Bearer"}, "Bearer"),
    ({"authorization": "Bearer   "}, ""),
    ({"authorization": ""}, ""),
    ({"x-api-token": "tok", "authorization": f"Bearer {TOKEN}"}, "tok"),
    ({"authorization": f"Bearer\u00a0{TOKEN}"}, TOKEN),  # JS \s includes NBSP
]


@pytest.mark.parametrize(("headers", "provided"), SELECTION)
def test_token_selection(headers: dict[str, str], provided: str) -> None:
    assert wst.expected_ingress_token(headers) == provided


@pytest.mark.parametrize(
    ("headers", "configured", "authorized"),
    [
        ({}, None, True),  # fail-open when unset
        ({}, "  ", True),  # or blank
        ({"x-api-token": "wrong"}, None, True),
        ({}, TOKEN, False),
        ({"x-api-token": TOKEN}, f" {TOKEN}\n", True),  # the configured token is trimmed
        ({"x-api-token": TOKEN.upper()}, TOKEN, False),  # exact, case-sensitive
        ({"x-api-token": "", "x-api-key": TOKEN}, TOKEN, False),  # the quirk
        ({"authorization": f"Bearer {TOKEN}"}, TOKEN, True),
        ({"authorization": f"Token {TOKEN}"}, TOKEN, False),
    ],
)
def test_authorization(headers: dict[str, str], configured: str | None, authorized: bool) -> None:
    assert wst.is_ingress_authorized(headers, configured) is authorized


@given(wst.auth_headers())
def test_auth_cases_carry_the_oracle_outcome(case: wst.AuthCase) -> None:
    assert case.provided_token == wst.expected_ingress_token(case.headers)
    assert case.authorized == wst.is_ingress_authorized(case.headers, case.api_ingress_token)
    names = [name.lower() for name in case.headers]
    assert len(names) == len(set(names))
    assert set(names) <= {*wst.TOKEN_HEADERS, "authorization"}
    assert all(value.isascii() for value in case.headers.values())


_H11_VALUE = re.compile(r"(?:[\x21-\x7e](?:[ \t]*[\x21-\x7e])*)?")


@given(wst.auth_headers(wire_safe=True))
def test_wire_safe_headers_are_sendable(case: wst.AuthCase) -> None:
    assert all(_H11_VALUE.fullmatch(value) for value in case.headers.values()), case.headers


@given(wst.trace_ids())
def test_trace_ids(value: str) -> None:
    assert value.isascii()
    effective = wst.effective_trace_id(value)
    assert effective is None if not value.strip() else effective == value.strip(" \t")


@given(wst.trace_ids(allow_blank=False, wire_safe=True, max_size=8))
def test_wire_safe_trace_ids(value: str) -> None:
    assert _H11_VALUE.fullmatch(value)
    assert wst.effective_trace_id(value) == value
    assert len(value) <= 36


def test_blank_trace_id_means_none() -> None:
    assert wst.effective_trace_id(None) is None
    assert wst.effective_trace_id(" \t") is None
    assert wst.effective_trace_id(" abc ") == "abc"
