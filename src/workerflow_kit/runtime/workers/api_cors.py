"""CORS decoration of every api response (spec 4.2).

Every response the api worker produces, errors and handler passthroughs included, leaves through
:func:`with_cors`. Headers are *set*, so they replace any a passthrough handler chose (``vary`` too).
"""

from __future__ import annotations

from typing import Final

from workerflow_kit.jscompat.strings import js_is_blank
from workerflow_kit.runtime.http import Headers, Response

__all__ = ["ALLOWED_HEADERS", "ALLOWED_METHODS", "MAX_AGE", "allow_origin", "with_cors"]

ALLOWED_METHODS: Final = "POST, OPTIONS"
ALLOWED_HEADERS: Final = "content-type, authorization, x-api-token, x-api-key, x-webhook-token, x-trace-id"
MAX_AGE: Final = "86400"


def allow_origin(request_headers: Headers) -> str:
    """The request's ``Origin`` verbatim (untrimmed) when present and not blank, else ``*``."""
    origin = request_headers.get("origin")
    return origin if origin is not None and not js_is_blank(origin) else "*"


def with_cors(response: Response, request_headers: Headers) -> Response:
    """A copy of ``response`` (same status and body) with the five CORS headers set."""
    headers = response.headers.copy()
    headers.set("access-control-allow-origin", allow_origin(request_headers))
    headers.set("access-control-allow-methods", ALLOWED_METHODS)
    headers.set("access-control-allow-headers", ALLOWED_HEADERS)
    headers.set("access-control-max-age", MAX_AGE)
    headers.set("vary", "origin")
    return Response(response.status, headers, response.body)
