"""The redactor: secrets masked in any text, the process-wide registry, and pytest reports walked whole."""

from __future__ import annotations

import pytest

from workerflow_kit.live import RouteNotAllowed
from workerflow_kit.live.redact import MASK, REGISTRY, Redactor, redact, register
from workerflow_kit.live.reports import route_refusal


def test_every_occurrence_is_masked_longest_first_and_url_encoded_too() -> None:
    redactor = Redactor(["s3cret-token", "s3cret-token-and-more", None, "  "])
    text = "a s3cret-token-and-more b s3cret-token c s3cret%2Dtoken"
    assert redactor.redact(text) == f"a {MASK} b {MASK} c s3cret%2Dtoken"
    encoded = Redactor(["tok/with+chars"])
    assert encoded.redact("?token=tok%2Fwith%2Bchars") == f"?token={MASK}"


def test_short_values_are_not_secrets_worth_garbling_a_report_for() -> None:
    redactor = Redactor(["abc"])
    assert redactor.redact("abc abc") == "abc abc"
    assert "abc" not in redactor


def test_the_repr_never_shows_a_value() -> None:
    redactor = Redactor(["super-secret-value"])
    assert "super-secret-value" not in repr(redactor)


def test_the_process_wide_registry() -> None:
    register("registry-token-42")
    assert "registry-token-42" in REGISTRY
    assert redact("x registry-token-42 y") == f"x {MASK} y"


def test_a_refusal_is_found_behind_causes_and_in_groups_of_refusals_only() -> None:
    refusal = RouteNotAllowed("chat_notify", "POST /api/chat_notify")
    assert route_refusal(refusal) is refusal
    chained = RuntimeError("wrapped")
    chained.__cause__ = refusal
    assert route_refusal(chained) is refusal
    handling = AssertionError("failed while handling it")
    handling.__context__ = refusal
    assert route_refusal(handling) is refusal
    hidden = AssertionError("raise ... from None")
    hidden.__context__ = refusal
    hidden.__suppress_context__ = True
    assert route_refusal(hidden) is None  # a real failure, as its traceback shows it
    assert route_refusal(ExceptionGroup("g", [refusal, RouteNotAllowed("b", "POST /api/b")])) is refusal
    assert route_refusal(ExceptionGroup("g", [refusal, ValueError("real")])) is None
    assert route_refusal(ValueError("plain")) is None


@pytest.mark.parametrize("value", ["Bearer abcd-1234", "abcd-1234"])
def test_headers_register_the_credential_not_the_scheme(value: str) -> None:
    redactor = Redactor()
    redactor.add_headers({"Authorization": value, "content-type": "application/json"})
    assert redactor.redact(f"authorization: {value}") == f"authorization: {value.replace('abcd-1234', MASK)}"
    assert redactor.redact("application/json") == "application/json"
