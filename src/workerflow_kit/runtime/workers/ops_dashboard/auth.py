"""Dashboard token check for ``/api/*`` (spec 9.2).

The required token is ``OPS_DASHBOARD_TOKEN`` trimmed; unset or blank means every request passes
(fail-open, upstream quirk Q2). The presented token comes from ``x-dashboard-token`` (trimmed, when not
blank), else from ``authorization`` (``Bearer <x>`` with a case-insensitive scheme, or the whole header),
trimmed. No query-string token. Authorized iff the two are exactly equal.
"""

from __future__ import annotations

from typing import Final

from workerflow_kit.jscompat.regex import js_regex
from workerflow_kit.jscompat.strings import js_trim
from workerflow_kit.jscompat.values import js_string
from workerflow_kit.runtime.http import Headers, Response, json_response
from workerflow_kit.runtime.workers.base import Env

__all__ = ["TOKEN_VAR", "UNAUTHORIZED_MESSAGE", "is_authorized", "presented_token", "unauthorized_response"]

TOKEN_VAR: Final = "OPS_DASHBOARD_TOKEN"
UNAUTHORIZED_MESSAGE: Final = "Provide Authorization: Bearer <OPS_DASHBOARD_TOKEN> or x-dashboard-token"
_BEARER: Final = js_regex(r"^Bearer\s+(.+)$", "i")


def presented_token(headers: Headers) -> str | None:
    """The token a request presents, or ``None`` (an empty result counts as none)."""
    header = headers.get("x-dashboard-token")
    if header is not None and js_trim(header):
        return js_trim(header)
    authorization = headers.get("authorization")
    if not authorization:
        return None
    match = _BEARER.search(authorization)
    token = js_trim(match.group(1)) if match else js_trim(authorization)
    return token or None


def is_authorized(headers: Headers, env: Env) -> bool:
    """Whether a ``/api/*`` request with these headers may proceed.

    A non-string ``OPS_DASHBOARD_TOKEN`` (which upstream cannot ``trim``) is read as its JS string form.
    """
    raw = env.get(TOKEN_VAR)
    if raw is None:
        return True
    required = js_trim(raw if isinstance(raw, str) else js_string(raw))
    if not required:
        return True
    provided = presented_token(headers)
    return provided is not None and provided == required


def unauthorized_response() -> Response:
    """401 with ``www-authenticate: Bearer`` and upstream's fixed body."""
    return json_response(
        {"error": "unauthorized", "message": UNAUTHORIZED_MESSAGE},
        401,
        {"www-authenticate": "Bearer"},
    )
