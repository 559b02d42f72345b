"""Request and response bodies as the Fetch API reads them (spec 4.5).

``text()`` decodes UTF-8 with replacement characters and drops one leading byte-order mark, as the Fetch
API's decoder does; ``json()`` is ``JSON.parse`` of that text.
"""

from __future__ import annotations

from typing import Any, Final

from workerflow_kit.contracts.models import parse_js_json
from workerflow_kit.runtime.http import Headers

__all__ = ["JSON_MARKER", "body_text", "is_json_content", "parse_request_body", "wrap_payload"]

JSON_MARKER: Final = "application/json"
_BOM: Final = "\ufeff"


def body_text(body: bytes) -> str:
    """``await body.text()``: UTF-8 with U+FFFD for bad bytes, one leading BOM removed."""
    text = body.decode("utf-8", errors="replace")
    return text[1:] if text.startswith(_BOM) else text


def is_json_content(headers: Headers) -> bool:
    """Whether ``content-type`` contains ``application/json`` (a case-sensitive substring test, spec 13 Q14)."""
    return JSON_MARKER in (headers.get("content-type") or "")


def parse_request_body(headers: Headers, body: bytes) -> Any:
    """Spec 4.5: JSON content → ``JSON.parse`` (raises :class:`~workerflow_kit.jscompat.json.JsSyntaxError`,
    also for an empty body), anything else → the raw text (possibly ``""``)."""
    text = body_text(body)
    return parse_js_json(text) if is_json_content(headers) else text


def wrap_payload(parsed: Any, wrap_body: bool) -> Any:
    """The task payload: ``{"body": parsed}`` when the route's ``wrapBody`` is true, else ``parsed``."""
    return {"body": parsed} if wrap_body else parsed
