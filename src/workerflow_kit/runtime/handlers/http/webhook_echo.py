"""``webhook_echo`` (spec 7.1): echo the unwrapped payload back; no side effects.

The route does not wrap its body, yet the handler still unwraps, so a client body with its own ``body`` key
is echoed as that key's value (quirk Q12). An absent payload leaves ``received`` out of the JSON.
"""

from __future__ import annotations

from typing import Any

from workerflow_kit.runtime.handlers.context import HandlerContext
from workerflow_kit.runtime.handlers.payload import unwrap_body

ROUTE_PATH = "webhook_echo"


def handle(payload: Any, trace_id: str, ctx: HandlerContext) -> dict[str, Any]:
    """``{"ok": true, "route": "webhook_echo", "received": unwrapBody(payload)}``."""
    return {"ok": True, "route": ROUTE_PATH, "received": unwrap_body(payload)}
