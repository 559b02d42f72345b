"""The v0.1 cron schedule handlers, by schedule id (spec 6.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from workerflow_kit.runtime.handlers.context import Handler
from workerflow_kit.runtime.handlers.cron import cleanup_daily, heartbeat_hourly

__all__ = ["BUILTIN_CRON_HANDLERS"]

BUILTIN_CRON_HANDLERS: Final[Mapping[str, Handler]] = {
    heartbeat_hourly.SCHEDULE_ID: heartbeat_hourly.handle,
    cleanup_daily.SCHEDULE_ID: cleanup_daily.handle,
}
