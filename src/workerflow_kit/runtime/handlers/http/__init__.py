"""The v0.1 HTTP route handlers, by route path (spec 6.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from workerflow_kit.runtime.handlers.context import Handler
from workerflow_kit.runtime.handlers.http import chat_notify, lead_normalizer, webhook_echo

__all__ = ["BUILTIN_HTTP_HANDLERS"]

BUILTIN_HTTP_HANDLERS: Final[Mapping[str, Handler]] = {
    webhook_echo.ROUTE_PATH: webhook_echo.handle,
    chat_notify.ROUTE_PATH: chat_notify.handle,
    lead_normalizer.ROUTE_PATH: lead_normalizer.handle,
}
