"""Request headers with their expected meaning: trace ids (spec 4.4) and ingress authentication (spec 4.3).

Header values are printable ASCII with inner spaces or tabs, the only text every HTTP client sends unchanged.
``wire_safe=True`` additionally avoids leading and trailing whitespace, which HTTP/1.1 libraries such as h11
refuse to send; the expected outcomes do not depend on it, since the runtime trims these values anyway.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from workerflow_kit.jscompat.strings import JS_WHITESPACE, js_trim
from workerflow_kit.strategies._draw import between, chance, compact, pick
from workerflow_kit.strategies._validation import check_bool, check_int, check_strategy

__all__ = [
    "TOKEN_HEADERS",
    "AuthCase",
    "auth_headers",
    "effective_trace_id",
    "expected_ingress_token",
    "is_ingress_authorized",
    "trace_ids",
]

#: The direct token headers in upstream's order of preference; ``authorization`` is consulted after them.
TOKEN_HEADERS: Final = ("x-api-token", "x-api-key", "x-webhook-token")
_PRINTABLE = string.ascii_letters + string.digits + string.punctuation
_PADDING = (" ", "\t", "  ", " \t ")
_VALUE_PADS = ("", "", "", *_PADDING)
_BLANKS = ("", " ", "\t")
# JS /^Bearer\s+(.+)$/i: ASCII case-insensitive "Bearer", JS whitespace, then anything but a line terminator.
_WS_CLASS = re.escape(JS_WHITESPACE)
_BEARER: Final = re.compile(rf"[Bb][Ee][Aa][Rr][Ee][Rr][{_WS_CLASS}]+([^\n\r\u2028\u2029]+)\Z")


def _token_text(min_size: int, max_size: int) -> SearchStrategy[str]:
    """Printable ASCII that neither starts nor ends with whitespace (inner spaces allowed)."""
    edge = st.sampled_from(_PRINTABLE)
    inner = st.text(_PRINTABLE + " ", max_size=max(0, max_size - 2))
    single = st.text(_PRINTABLE, min_size=max(1, min_size), max_size=max(1, min(max_size, 1)))
    if max_size < 2:
        return single
    longer = st.builds(lambda a, mid, b: a + mid + b, edge, inner, edge).filter(lambda t: len(t) >= min_size)
    return st.one_of(single, longer) if min_size <= 1 else longer


def _pad(text: SearchStrategy[str], wire_safe: bool) -> SearchStrategy[str]:
    if wire_safe:
        return text
    pad = st.sampled_from(("", "", "", *_PADDING))
    return st.builds(lambda a, t, b: a + t + b, pad, text, pad)


def effective_trace_id(header: str | None) -> str | None:
    """The trace id a request with this ``x-trace-id`` value gets (spec 4.4): the value JS-trimmed, or ``None``
    when absent or blank, meaning the runtime assigns a fresh UUID."""
    if header is None:
        return None
    return js_trim(header) or None


def trace_ids(*, max_size: int = 64, allow_blank: bool = True, wire_safe: bool = False) -> SearchStrategy[str]:
    """Raw ``x-trace-id`` header values (spec 4.4): UUIDs and printable text, sometimes with surrounding
    whitespace, and (``allow_blank``) sometimes ``""`` or blank.

    A blank value means "no trace id": the runtime then assigns a fresh UUID, so two requests with blank ids
    are never duplicates. Use :func:`effective_trace_id` for the id the runtime will use. ``max_size`` bounds
    the text before padding. ``wire_safe=True`` drops the padding and keeps ``""`` as the only blank value.
    """
    check_int("max_size", max_size, min_value=1)
    check_bool("allow_blank", allow_blank)
    check_bool("wire_safe", wire_safe)
    texts: list[SearchStrategy[str]] = [_token_text(1, max_size), _token_text(1, max_size)]
    if max_size >= 36:
        texts.append(st.uuids().map(str))
        texts.append(st.uuids().map(lambda u: str(u).upper()))
    strategy = _pad(st.one_of(texts), wire_safe)
    if allow_blank:
        blanks = st.just("") if wire_safe else st.sampled_from(("", " ", "\t", "  "))
        strategy = st.one_of(strategy, strategy, strategy, blanks)
    return strategy


# ------------------------------------------------------------------------------------------------ oracle


def _get(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def expected_ingress_token(headers: Mapping[str, str]) -> str:
    """The token a request presents (spec 4.3), computed independently of the runtime.

    The first *present* header among :data:`TOKEN_HEADERS` is the only one of them consulted, even when empty;
    its trimmed value is the token unless blank. Otherwise ``authorization``: the part after
    ``Bearer<whitespace>`` (any case) trimmed, else the whole value trimmed; otherwise ``""``. Header names
    compare case-insensitively; each name should appear once.
    """
    direct = next((value for name in TOKEN_HEADERS if (value := _get(headers, name)) is not None), None)
    if direct is not None and js_trim(direct):
        return js_trim(direct)
    authorization = _get(headers, "authorization")
    if not authorization:
        return ""
    match = _BEARER.match(authorization)
    return js_trim(match.group(1) if match else authorization)


def is_ingress_authorized(headers: Mapping[str, str], api_ingress_token: str | None) -> bool:
    """Whether the API lets the request through (v0.1): always when ``API_INGRESS_TOKEN`` is unset or blank
    (fail-open), else iff :func:`expected_ingress_token` equals the trimmed configured token exactly."""
    required = js_trim(api_ingress_token or "")
    return not required or expected_ingress_token(headers) == required


@dataclass(frozen=True)
class AuthCase:
    """Ingress headers, the configured ``API_INGRESS_TOKEN`` (``None`` = unset) and the expected outcome.

    ``provided_token`` is what the runtime must read from the headers, ``authorized`` whether it must let the
    request through (else 401 ``{"error":"unauthorized"}``); ``note`` names the rule the case exercises.
    """

    api_ingress_token: str | None
    headers: dict[str, str]
    provided_token: str
    authorized: bool
    note: str = field(default="", compare=False)

    @property
    def env(self) -> dict[str, str]:
        """The env fragment to give the api worker."""
        return {} if self.api_ingress_token is None else {"API_INGRESS_TOKEN": self.api_ingress_token}


def _header_name(name: str, style: int) -> str:
    return (name, name, name.upper(), name.title())[style]


def _note(headers: Mapping[str, str]) -> str:
    direct = next((name for name in TOKEN_HEADERS if _get(headers, name) is not None), None)
    if direct is not None and js_trim(_get(headers, direct) or ""):
        return f"token from {direct}"
    if direct is not None and _get(headers, "authorization") is not None:
        return f"blank {direct} hides later token headers; authorization used"
    if direct is not None:
        return f"blank {direct} and no authorization"
    if _get(headers, "authorization") is not None:
        return "authorization only"
    return "no token headers"


def auth_headers(
    *, token: SearchStrategy[str | None] | None = None, wire_safe: bool = False
) -> SearchStrategy[AuthCase]:
    """Combinations of ``x-api-token``, ``x-api-key``, ``x-webhook-token`` and ``authorization`` with absent,
    empty, blank, valid and invalid values, each with the outcome spec 4.3 demands (:class:`AuthCase`).

    ``token`` draws the configured ``API_INGRESS_TOKEN`` (default: mostly a token, sometimes unset or blank,
    which opens ingress to everyone). Valid values are that token (possibly padded, or as ``Bearer <token>``
    in any case); invalid ones are other tokens, case variants and prefixes of it, other schemes
    (``Basic ...``) and a bare ``Bearer``. Header names come in varied case. The quirk is covered: an empty
    ``x-api-token`` hides a valid ``x-api-key``, and only ``authorization`` is read next.
    """
    check_bool("wire_safe", wire_safe)
    if token is None:
        configured: SearchStrategy[str | None] = st.one_of(
            _token_text(1, 24),
            _token_text(1, 24),
            _pad(_token_text(1, 24), False),
            st.none(),
            st.sampled_from(("", " ")),
        )
    else:
        configured = token
    check_strategy("token", configured)

    other_tokens = _token_text(1, 24)

    def wrong_value(draw: st.DrawFn, secret: str) -> str:
        kind = draw(between(0, 4))
        candidate = (draw(other_tokens), secret.swapcase(), secret[:-1], secret + "x", "Bearer")[kind]
        candidate = candidate.strip(" \t")  # padding, if any, is added separately
        return candidate if candidate not in (secret, "") else secret + "-x"

    def padded(draw: st.DrawFn, text: str) -> str:
        if wire_safe:
            return text
        return pick(draw, _VALUE_PADS) + text + pick(draw, _VALUE_PADS)

    def header_value(draw: st.DrawFn, secret: str) -> str:
        kind = draw(between(0, 3))
        if kind == 0:
            return "" if wire_safe else pick(draw, _BLANKS)
        return padded(draw, wrong_value(draw, secret) if kind == 3 else secret)

    @st.composite
    def build(draw: st.DrawFn) -> AuthCase:
        api_token = draw(configured)
        secret = js_trim(api_token or "") or "s3cret"
        headers: dict[str, str] = {}
        for name in TOKEN_HEADERS:
            if chance(draw, 3):
                headers[_header_name(name, draw(between(0, 3)))] = header_value(draw, secret)
        if chance(draw, 2):
            form = draw(between(0, 5))
            credential = wrong_value(draw, secret) if chance(draw, 3) else padded(draw, secret)
            if form <= 2:
                scheme = pick(draw, ("Bearer", "bearer", "BEARER", "bEaReR", "Basic", "Token"))
                authorization = f"{scheme}{pick(draw, (' ', ' ', '  ', chr(9)))}{credential}"
            elif form == 3:
                authorization = credential
            elif form == 4:
                authorization = pick(draw, ("Bearer", "Bearer "))
            else:
                authorization = "" if wire_safe else pick(draw, _BLANKS)
            if wire_safe:
                authorization = authorization.strip(" \t")
            headers[_header_name("authorization", draw(between(0, 3)))] = authorization
        provided = expected_ingress_token(headers)
        return AuthCase(api_token, headers, provided, is_ingress_authorized(headers, api_token), _note(headers))

    return compact(build(), "auth_headers")
