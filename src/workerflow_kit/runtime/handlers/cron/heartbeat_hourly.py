"""``heartbeat_hourly`` (spec 7.4): report the target and times; never fails."""

from __future__ import annotations

from typing import Any, Final

from workerflow_kit.runtime.handlers.context import HandlerContext
from workerflow_kit.runtime.handlers.payload import object_view

SCHEDULE_ID = "heartbeat_hourly"
DEFAULT_TARGET: Final = "f/examples/heartbeat_hourly"


def handle(payload: Any, trace_id: str, ctx: HandlerContext) -> dict[str, Any]:
    """``target`` and ``scheduledTime`` come from the payload when they are strings (taken as they are)."""
    record = object_view(payload)
    target = record.get("target")
    scheduled_time = record.get("scheduledTime")
    return {
        "ok": True,
        "schedule": SCHEDULE_ID,
        "target": target if isinstance(target, str) else DEFAULT_TARGET,
        "scheduledTime": scheduled_time if isinstance(scheduled_time, str) else ctx.now_iso(),
        "processedAt": ctx.now_iso(),
    }
