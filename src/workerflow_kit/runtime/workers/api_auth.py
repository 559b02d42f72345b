"""Ingress authentication and trace ids for the api worker (spec 4.3, 4.4).

The v0.1 rules are kept quirk for quirk, because clients can observe them:

* the first *present* header among ``x-api-token``, ``x-api-key``, ``x-webhook-token`` is the only one of the
  three consulted, so an empty ``x-api-token`` hides a valid ``x-api-key`` (spec 13 Q13);
* ``authorization`` is read as ``Bearer <token>`` (case-insensitive, JavaScript's ``\\s``) or else whole;
* an unset or blank ``API_INGRESS_TOKEN`` lets everyone in (fail-open, spec 13 Q2).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Final

from workerflow_kit.jscompat.regex import js_regex
from workerflow_kit.jscompat.strings import js_trim
from workerflow_kit.runtime.http import Headers

__all__ = [
    "DIRECT_TOKEN_HEADERS",
    "TOKEN_VAR",
    "IngressTokenTypeError",
    "is_ingress_authorized",
    "read_ingress_token",
    "read_trace_id",
    "required_token",
]

TOKEN_VAR: Final = "API_INGRESS_TOKEN"
DIRECT_TOKEN_HEADERS: Final = ("x-api-token", "x-api-key", "x-webhook-token")
_BEARER: Final = js_regex(r"^Bearer\s+(.+)$", "i")


class IngressTokenTypeError(TypeError):
    """``API_INGRESS_TOKEN`` holds a value that is not a string (upstream calls a missing ``trim`` and
    crashes; the reference reports a configuration fault)."""


def read_ingress_token(headers: Headers) -> str:
    """The token a request presents, by upstream's selection rules (see the module notes)."""
    direct = next((value for name in DIRECT_TOKEN_HEADERS if (value := headers.get(name)) is not None), None)
    if direct is not None and js_trim(direct):
        return js_trim(direct)
    authorization = headers.get("authorization")
    if not authorization:
        return ""
    match = _BEARER.search(authorization)
    if match is not None and match.group(1):
        return js_trim(match.group(1))
    return js_trim(authorization)


def required_token(env: Mapping[str, object]) -> str:
    """``API_INGRESS_TOKEN`` trimmed; ``""`` (open ingress) when unset, ``None`` or blank."""
    value = env.get(TOKEN_VAR)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise IngressTokenTypeError(f"{TOKEN_VAR} must be a string, got {type(value).__name__}")
    return js_trim(value)


def is_ingress_authorized(headers: Headers, env: Mapping[str, object]) -> bool:
    """Whether the request may pass: open when no token is required, else exact equality."""
    required = required_token(env)
    return not required or read_ingress_token(headers) == required


def read_trace_id(headers: Headers) -> str:
    """``x-trace-id`` trimmed when it is not blank, else a fresh lowercase UUID v4 (spec 4.4)."""
    header = headers.get("x-trace-id")
    if header is not None and js_trim(header):
        return js_trim(header)
    return str(uuid.uuid4())
