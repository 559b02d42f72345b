"""Workflow handlers: the five v0.1 built-ins, the registry the workflow worker dispatches through, and the
context every handler receives (spec sections 6.5 and 7)."""

from __future__ import annotations

from workerflow_kit.runtime.handlers.context import (
    Handler,
    HandlerContext,
    WorkflowHandlerError,
    call_handler,
)
from workerflow_kit.runtime.handlers.registry import (
    ENTRY_POINT_GROUP,
    HandlerRegistrationError,
    HandlerRegistry,
    builtin_registry,
    load_entry_point_handlers,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Handler",
    "HandlerContext",
    "HandlerRegistrationError",
    "HandlerRegistry",
    "WorkflowHandlerError",
    "builtin_registry",
    "call_handler",
    "load_entry_point_handlers",
]
