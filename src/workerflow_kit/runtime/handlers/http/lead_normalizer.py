"""``lead_normalizer`` (spec 7.3): tidy a lead's name, email, phone and source; never fails.

Every field is read as a string field (JS-trimmed string, else ``""``) of the object view of the unwrapped
payload.
"""

from __future__ import annotations

import re
from typing import Any, Final

from workerflow_kit.jscompat.strings import js_lower
from workerflow_kit.runtime.handlers.context import HandlerContext
from workerflow_kit.runtime.handlers.payload import object_view, string_field, unwrap_body

ROUTE_PATH = "lead_normalizer"

# JS `/[^\d+]/g`: `\d` is ASCII-only in JavaScript, so every other digit (Arabic-Indic, full-width) goes too.
_NOT_PHONE_CHAR: Final = re.compile(r"[^0-9+]")


def normalize_phone(phone: str) -> str:
    """Keep only ASCII digits and ``+``."""
    return _NOT_PHONE_CHAR.sub("", phone)


def handle(payload: Any, trace_id: str, ctx: HandlerContext) -> dict[str, Any]:
    """``{"ok": true, "route": "lead_normalizer", "normalized": {fullName, email, phone, source}}``."""
    body = object_view(unwrap_body(payload))
    first_name = string_field(body, "firstName")
    last_name = string_field(body, "lastName")
    full_name = string_field(body, "fullName") or " ".join(p for p in (first_name, last_name) if p) or "Unknown"
    return {
        "ok": True,
        "route": ROUTE_PATH,
        "normalized": {
            "fullName": full_name,
            "email": js_lower(string_field(body, "email")) or "unknown@example.com",
            "phone": normalize_phone(string_field(body, "phone")),
            "source": string_field(body, "source") or "unspecified",
        },
    }
