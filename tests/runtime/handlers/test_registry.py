"""The handler registry: built-ins, user registration, entry-point loading, and the smoke run of spec 12.7."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from importlib.metadata import EntryPoint
from typing import Any, TypeVar

import httpx
import pytest
import respx

from workerflow_kit.contracts.models import builtin_routes, builtin_schedules
from workerflow_kit.runtime.bindings.clock import VirtualClock
from workerflow_kit.runtime.handlers import (
    ENTRY_POINT_GROUP,
    HandlerContext,
    HandlerRegistrationError,
    HandlerRegistry,
    builtin_registry,
    call_handler,
    load_entry_point_handlers,
)
from workerflow_kit.runtime.handlers import registry as registry_module

T = TypeVar("T")
PLUGIN = "tests.runtime.handlers.plugin_for_tests"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def noop(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
    return None


# --------------------------------------------------------------------------------------------------------
# Built-ins
# --------------------------------------------------------------------------------------------------------


def test_builtin_registry_holds_exactly_the_five_builtins() -> None:
    registry = builtin_registry()
    assert registry.http_routes == ("webhook_echo", "chat_notify", "lead_normalizer")
    assert registry.cron_schedules == ("heartbeat_hourly", "cleanup_daily")


def test_builtin_registry_is_fresh_each_time() -> None:
    first = builtin_registry()
    first.add_http("extra", noop)
    assert builtin_registry().http_handler("extra") is None


def test_smoke_every_builtin_route_and_schedule_completes() -> None:
    """Spec 12.7 smoke_workflow_handlers: secrets set, all outbound HTTP answered 200."""
    env = {
        "ENV_NAME": "smoke",
        "GOOGLEAI_API_KEY": "smoke-google-ai",
        "CHAT_WEBHOOK_URL": "https://chat.example/incoming",
        "CLEANUP_SIGNING_SECRET": "smoke-cleanup-secret",
    }
    route_payloads: dict[str, Any] = {
        "webhook_echo": {"source": "smoke", "sample": True},
        "chat_notify": {"body": {"text": "Smoke notification"}},
        "lead_normalizer": {"body": {"firstName": "Smoke", "lastName": "Lead", "email": "Lead@Example.com"}},
    }
    cron_payloads: dict[str, Any] = {
        "heartbeat_hourly": {"target": "f/examples/heartbeat_hourly"},
        "cleanup_daily": {"dryRun": True, "retentionDays": 14},
    }
    registry = builtin_registry()

    async def smoke() -> list[Any]:
        results = []
        async with httpx.AsyncClient(verify=False) as client:  # no real network: skip loading CA certificates
            for route in builtin_routes():
                handler = registry.http_handler(route.routePath)
                assert handler is not None, route.routePath
                ctx = HandlerContext(env=env, clock=VirtualClock(), outbound=client)
                payload = route_payloads.get(route.routePath, {"body": {}})
                results.append(await call_handler(handler, payload, f"smoke-http-{route.routePath}", ctx))
            for schedule in builtin_schedules():
                handler = registry.cron_handler(schedule.id)
                assert handler is not None, schedule.id
                ctx = HandlerContext(env=env, clock=VirtualClock(), outbound=client, schedule_id=schedule.id)
                payload = cron_payloads.get(schedule.id, {})
                results.append(await call_handler(handler, payload, f"smoke-cron-{schedule.id}", ctx))
        return results

    with respx.mock(assert_all_mocked=True) as mock:
        mock.route().mock(return_value=httpx.Response(200, json={"ok": True}))
        results = run(smoke())
    assert len(results) == len(builtin_routes()) + len(builtin_schedules())
    assert all(result["ok"] is True for result in results)


# --------------------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------------------


def test_decorators_register_and_return_the_function() -> None:
    registry = HandlerRegistry()

    @registry.http("custom_ping")
    async def ping(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        return {"pong": payload}

    @registry.cron("custom_hourly")
    def hourly(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        return ctx.schedule_id

    assert registry.http_handler("custom_ping") is ping
    assert registry.cron_handler("custom_hourly") is hourly
    assert registry.http_handler("custom_hourly") is None  # the two tables are separate
    assert registry.cron_handler("custom_ping") is None
    assert run(call_handler(ping, 5, "t", HandlerContext(env={}))) == {"pong": 5}
    assert run(call_handler(hourly, 5, "t", HandlerContext(env={}, schedule_id="custom_hourly"))) == "custom_hourly"


def test_lookup_is_exact_and_case_sensitive() -> None:
    registry = builtin_registry()
    assert registry.http_handler("Webhook_Echo") is None
    assert registry.http_handler("webhook_echo ") is None


def test_duplicate_registration_is_refused_unless_replace() -> None:
    registry = builtin_registry()
    with pytest.raises(HandlerRegistrationError, match="'webhook_echo' already has a http handler"):
        registry.add_http("webhook_echo", noop)
    registry.add_http("webhook_echo", noop, replace=True)
    assert registry.http_handler("webhook_echo") is noop
    registry.add_http("webhook_echo", noop)  # re-registering the very same function is harmless


@pytest.mark.parametrize("key", ["", None, 5])
def test_blank_or_non_string_ids_are_refused(key: Any) -> None:
    with pytest.raises(HandlerRegistrationError, match="non-empty string"):
        HandlerRegistry().add_cron(key, noop)


def test_non_callable_handler_is_refused() -> None:
    with pytest.raises(HandlerRegistrationError, match="must be callable"):
        HandlerRegistry().add_http("x", "not a function")  # type: ignore[arg-type]


def test_copy_is_independent() -> None:
    original = builtin_registry()
    clone = original.copy()
    clone.add_http("only_in_clone", noop)
    assert original.http_handler("only_in_clone") is None
    assert clone.http_handler("webhook_echo") is original.http_handler("webhook_echo")


# --------------------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------------------


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, *values: tuple[str, str]) -> list[str]:
    groups: list[str] = []

    def entry_points(group: str) -> list[EntryPoint]:
        groups.append(group)
        return [EntryPoint(name, value, group) for name, value in values]

    monkeypatch.setattr(registry_module, "entry_points", entry_points)
    return groups


def test_entry_point_registers_on_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    groups = fake_entry_points(monkeypatch, ("my_pkg", f"{PLUGIN}:register"))
    registry = builtin_registry()
    assert load_entry_point_handlers(registry) == ["my_pkg"]
    assert groups == [ENTRY_POINT_GROUP]
    ping = registry.http_handler("custom_ping")
    assert ping is not None
    assert run(call_handler(ping, {"a": 1}, "tr", HandlerContext(env={}))) == {
        "ok": True,
        "pong": {"a": 1},
        "traceId": "tr",
    }
    assert registry.cron_handler("custom_hourly") is not None
    assert registry.http_handler("webhook_echo") is not None  # built-ins untouched


def test_entry_points_apply_in_name_order_and_custom_group(monkeypatch: pytest.MonkeyPatch) -> None:
    groups = fake_entry_points(monkeypatch, ("zeta", f"{PLUGIN}:register"), ("alpha", f"{PLUGIN}:register"))
    # The second application re-registers the same names with new function objects: refused.
    with pytest.raises(HandlerRegistrationError) as info:
        load_entry_point_handlers(HandlerRegistry(), group="other.group")
    assert groups == ["other.group"]
    assert any("'zeta'" in note for note in info.value.__notes__)


def test_entry_point_must_name_a_callable(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, ("data", f"{PLUGIN}:NOT_CALLABLE"))
    with pytest.raises(HandlerRegistrationError, match="must name a callable that takes the handler registry"):
        load_entry_point_handlers(HandlerRegistry())


def test_entry_point_conflicting_with_a_builtin_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, ("greedy", f"{PLUGIN}:register_conflicting"))
    with pytest.raises(HandlerRegistrationError) as info:
        load_entry_point_handlers(builtin_registry())
    assert "greedy" in "".join(info.value.__notes__)


def test_failing_entry_point_propagates_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, ("broken", f"{PLUGIN}:register_broken"))
    with pytest.raises(RuntimeError, match="plugin exploded") as info:
        load_entry_point_handlers(HandlerRegistry())
    assert "workerflow_kit.handlers entry point 'broken'" in "".join(info.value.__notes__)


def test_missing_module_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, ("ghost", "no_such_module_for_workerflow:register"))
    with pytest.raises(ModuleNotFoundError):
        load_entry_point_handlers(HandlerRegistry())


def test_no_entry_points_loads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch)
    registry = builtin_registry()
    assert load_entry_point_handlers(registry) == []
    assert len(registry.http_routes) == 3
