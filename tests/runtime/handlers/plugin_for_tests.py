"""A stand-in for an installed package's handler module, loaded through an entry point in the tests."""

from __future__ import annotations

from typing import Any

from workerflow_kit.runtime.handlers import HandlerContext, HandlerRegistry

NOT_CALLABLE = {"just": "data"}


def register(registry: HandlerRegistry) -> None:
    """The entry point: register one route and one schedule."""

    @registry.http("custom_ping")
    async def ping(payload: Any, trace_id: str, ctx: HandlerContext) -> dict[str, Any]:
        return {"ok": True, "pong": payload, "traceId": trace_id}

    @registry.cron("custom_hourly")
    def hourly(payload: Any, trace_id: str, ctx: HandlerContext) -> dict[str, Any]:
        return {"ok": True, "schedule": ctx.schedule_id}


def register_conflicting(registry: HandlerRegistry) -> None:
    """An entry point that tries to take a built-in's route."""
    registry.add_http("webhook_echo", lambda payload, trace_id, ctx: None)


def register_broken(registry: HandlerRegistry) -> None:
    raise RuntimeError("plugin exploded")
