"""``cleanup_daily`` (spec 7.5): a stub that checks its secret and echoes its options; deletes nothing."""

from __future__ import annotations

import math
from typing import Any, Final

from workerflow_kit.jscompat.strings import js_trim
from workerflow_kit.jscompat.values import js_to_number
from workerflow_kit.runtime.handlers.context import HandlerContext
from workerflow_kit.runtime.handlers.payload import get_field, object_view

SCHEDULE_ID = "cleanup_daily"
SECRET_VAR: Final = "CLEANUP_SIGNING_SECRET"
DEFAULT_RETENTION_DAYS: Final = 30


class CleanupDailyError(Exception):
    """A cleanup_daily failure; ``str(error)`` is upstream's message."""


def retention_days(value: object) -> int:
    """JS ``Number(value)``, floored when finite and > 0, else 30 (so ``0.5`` gives ``0``)."""
    number = js_to_number(value)
    if math.isfinite(number) and number > 0:
        return math.floor(number)
    return DEFAULT_RETENTION_DAYS


def handle(payload: Any, trace_id: str, ctx: HandlerContext) -> dict[str, Any]:
    """``{"ok": true, "schedule": "cleanup_daily", "dryRun", "retentionDays"}``."""
    env = ctx.env
    if env is None:
        raise CleanupDailyError("Cron execution context missing env")
    secret = env.get(SECRET_VAR)
    if not (isinstance(secret, str) and js_trim(secret)):
        raise CleanupDailyError(f"{SECRET_VAR} is required")
    record = object_view(payload)
    return {
        "ok": True,
        "schedule": SCHEDULE_ID,
        "dryRun": record.get("dryRun") is True,
        "retentionDays": retention_days(get_field(record, "retentionDays")),
    }
