"""Reference runtimes with one handler rule broken, for the handlers meta-test.

``--wf-runtime-factory=tests.suites.broken.handlers:<name>``. Each factory starts the reference :class:`Runtime`
with a copy of the built-in handler registry in which one handler is replaced by a subtly wrong one (wrapping
the reference handler), or one lookup answers wrongly; the error-contract fault wraps the workflow worker and
rewrites one kind of answer. The runtime's own code is never patched. :data:`BROKEN` maps each factory to
the checks that must catch it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from workerflow_kit.jscompat.json import js_json_stringify
from workerflow_kit.jscompat.strings import js_trim
from workerflow_kit.runtime.handlers import Handler, HandlerContext, HandlerRegistry, builtin_registry, call_handler
from workerflow_kit.runtime.http import Request, Response
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.runtime.workers.base import Env
from workerflow_kit.runtime.workers.workflow import WorkflowWorker

WEBHOOK_VARS = ("CHAT_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK")


def _replaced(kind: str, name: str, wrong: Handler) -> HandlerRegistry:
    registry = builtin_registry()
    if kind == "http":
        registry.add_http(name, wrong, replace=True)
    else:
        registry.add_cron(name, wrong, replace=True)
    return registry


def _builtin(kind: str, name: str) -> Handler:
    registry = builtin_registry()
    handler = registry.http_handler(name) if kind == "http" else registry.cron_handler(name)
    assert handler is not None
    return handler


# ------------------------------------------------------------------------------------------ handlers


async def webhook_echo_no_unwrap() -> Runtime:
    """webhook_echo echoes the payload itself: a client body's own ``body`` key is not unwrapped (quirk Q12 lost)."""

    def echo(payload: Any, trace_id: str, ctx: HandlerContext) -> dict[str, Any]:
        return {"ok": True, "route": "webhook_echo", "received": payload}

    return await Runtime.start(handlers=_replaced("http", "webhook_echo", echo))


async def lead_phone_keeps_spaces() -> Runtime:
    """lead_normalizer keeps the spaces of a phone number (every other non-digit is still removed)."""
    real = _builtin("http", "lead_normalizer")

    async def normalize(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        result = await call_handler(real, payload, trace_id, ctx)
        record = payload.get("body") if isinstance(payload, dict) and "body" in payload else payload
        phone = record.get("phone") if isinstance(record, dict) else None
        if isinstance(phone, str):
            result["normalized"]["phone"] = "".join(ch for ch in js_trim(phone) if ch in " +0123456789")
        return result

    return await Runtime.start(handlers=_replaced("http", "lead_normalizer", normalize))


async def chat_precedence_swapped() -> Runtime:
    """chat_notify reads its webhook variables in the reverse order (GCHAT_ALERTS_WEBHOOK first)."""
    real = _builtin("http", "chat_notify")

    async def notify(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        env: Mapping[str, object] = ctx.env or {}
        chosen = next(
            (value for name in reversed(WEBHOOK_VARS) if isinstance(value := env.get(name), str) and js_trim(value)),
            None,
        )
        swapped = {key: value for key, value in env.items() if key not in WEBHOOK_VARS}
        if chosen is not None:
            swapped["CHAT_WEBHOOK_URL"] = chosen
        reordered = HandlerContext(env=swapped, clock=ctx.clock, outbound=ctx.outbound, schedule_id=ctx.schedule_id)
        return await call_handler(real, payload, trace_id, reordered)

    return await Runtime.start(handlers=_replaced("http", "chat_notify", notify))


async def cleanup_fraction_is_30() -> Runtime:
    """cleanup_daily answers the default 30 for a retentionDays between 0 and 1 (JS floors 0.5 to 0)."""
    real = _builtin("cron", "cleanup_daily")

    async def cleanup(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        result = await call_handler(real, payload, trace_id, ctx)
        if result.get("retentionDays") == 0:
            result["retentionDays"] = 30
        return result

    return await Runtime.start(handlers=_replaced("cron", "cleanup_daily", cleanup))


class _RewordedRegistry(HandlerRegistry):
    """A registry that 'finds' a handler for every unknown route, one that fails with reworded text."""

    def http_handler(self, route_path: str) -> Handler | None:
        found = super().http_handler(route_path)
        if found is not None:
            return found

        def missing(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
            raise LookupError(f'No HTTP handler found for route "{route_path}"')

        return missing


async def unknown_route_message_changed() -> Runtime:
    """The unknown-route dispatch error says 'found' instead of 'registered'."""
    registry = _RewordedRegistry()
    reference = builtin_registry()
    for route in reference.http_routes:
        handler = reference.http_handler(route)
        assert handler is not None
        registry.add_http(route, handler)
    for schedule in reference.cron_schedules:
        handler = reference.cron_handler(schedule)
        assert handler is not None
        registry.add_cron(schedule, handler)
    return await Runtime.start(handlers=registry)


# ------------------------------------------------------------------------------------------ the worker


class _NoDetailsWorkflow(WorkflowWorker):
    """The reference workflow worker whose handler_error answers leave out ``details``."""

    async def fetch(self, request: Request, env: Env) -> Response:
        response = await super().fetch(request, env)
        try:
            body = json.loads(response.body)
        except ValueError:
            return response
        if response.status == 500 and isinstance(body, dict) and body.get("error") == "handler_error":
            body.pop("details", None)
            return Response(response.status, response.headers.copy(), js_json_stringify(body).encode("utf-8"))
        return response


async def error_details_missing() -> Runtime:
    """The error contract loses its ``details: null`` field."""
    runtime = await Runtime.start()
    runtime.workflow = _NoDetailsWorkflow(runtime.context, registry=runtime.handlers)
    return runtime


FIXTURE = "handlers.fixture"

BROKEN: dict[str, frozenset[str]] = {
    # factory: every check that must fail against it ("<check id>" or "<check id>::<fixture id>"); the rest pass
    "webhook_echo_no_unwrap": frozenset(
        {
            f"{FIXTURE}::handler/webhook_echo/unwraps-client-body-key",
            f"{FIXTURE}::handler/webhook_echo/unwraps-body-null",
            f"{FIXTURE}::handler/webhook_echo/unwraps-nested-object",
            "handlers.webhook-echo-property",
        }
    ),
    "lead_phone_keeps_spaces": frozenset(
        {
            f"{FIXTURE}::handler/lead_normalizer/fixture-ava",
            f"{FIXTURE}::handler/lead_normalizer/spec-example",
            f"{FIXTURE}::handler/lead_normalizer/phone-spaces-removed",
            f"{FIXTURE}::handler/lead_normalizer/phone-keeps-plus-and-digits-only",
            "handlers.lead-normalizer-property",
        }
    ),
    "chat_precedence_swapped": frozenset(
        {
            f"{FIXTURE}::handler/chat_notify/precedence-chat-webhook-url-first",
            f"{FIXTURE}::handler/chat_notify/precedence-gchat-url-second",
        }
    ),
    "cleanup_fraction_is_30": frozenset(
        {
            f"{FIXTURE}::handler/cleanup_daily/retention-half-is-0",
            "handlers.cleanup-options-property",
        }
    ),
    "unknown_route_message_changed": frozenset(
        {
            "handlers.dispatch-unknown-route",
            f"{FIXTURE}::handler/dispatch/unknown-route",
            f"{FIXTURE}::handler/dispatch/config-example-route",
            "handlers.fixture-recommended::handler/dispatch/inherited-name-route",
        }
    ),
    "error_details_missing": frozenset({"handlers.error-contract"}),
}
"""Factory name -> exactly the checks (and fixtures) that must fail against it."""

NAMED_BY: dict[str, str] = {
    "webhook_echo_no_unwrap": "handlers.webhook-echo-property",
    "lead_phone_keeps_spaces": "handlers.lead-normalizer-property",
    "chat_precedence_swapped": FIXTURE,
    "cleanup_fraction_is_30": "handlers.cleanup-options-property",
    "unknown_route_message_changed": "handlers.dispatch-unknown-route",
    "error_details_missing": "handlers.error-contract",
}
"""Factory name -> the check whose id names the broken rule (it must appear, with its level, in the output)."""
