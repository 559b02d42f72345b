"""The in-process target: sync clients over the reference runtime on one owned event loop, every capability."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from workerflow_kit.runtime.bindings.clock import SystemClock
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.targets import (
    Capability,
    InProcessTarget,
    MissingCapability,
    TargetError,
    create_target,
    load_runtime_factory,
)


@pytest.fixture(scope="module")
def target() -> Iterator[InProcessTarget]:
    with InProcessTarget() as the_target:
        yield the_target


def test_declares_every_capability(target: InProcessTarget) -> None:
    assert target.capabilities == frozenset(Capability)
    assert target.has("drain_queue", Capability.INSPECT_DB)
    assert target.missing(*Capability) == []
    target.require(*Capability)


def test_one_long_lived_client_per_worker(target: InProcessTarget) -> None:
    assert target.api is target.api
    assert len({id(target.api), id(target.ops), id(target.workflow), id(target.scheduler)}) == 4
    assert target.api.get("/api/health").json() == {"ok": True, "env": "dev", "worker": "api"}
    assert target.workflow.get("/health").json()["worker"] == "workflow"
    assert target.ops.get("/health").status_code == 200
    assert target.scheduler.get("/health").json() == {"ok": True, "worker": "scheduler"}


def test_drain_and_query_see_the_run(target: InProcessTarget) -> None:
    response = target.api.post("/api/webhook_echo", json={"a": 1}, headers={"x-trace-id": "target-drain-1"})
    assert response.status_code == 202
    assert target.query("SELECT status FROM runs WHERE trace_id = ?", "target-drain-1") == []
    assert target.drain() >= 1
    rows = target.query("SELECT status, output FROM runs WHERE trace_id = ?", "target-drain-1")
    assert rows[0]["status"] == "succeeded"
    assert json.loads(rows[0]["output"])["received"] == {"a": 1}


def test_state_survives_between_requests(target: InProcessTarget) -> None:
    """The same runtime serves every request: a trace id stays taken (one runtime per target, not per call)."""
    first = target.api.post("/api/webhook_echo", json={}, headers={"x-trace-id": "target-state-1"})
    again = target.api.post("/api/webhook_echo", json={}, headers={"x-trace-id": "target-state-1"})
    assert first.status_code == again.status_code == 202
    assert again.json()["duplicate"] is True


def test_set_env_is_live_and_returns_the_previous_value(target: InProcessTarget) -> None:
    assert target.set_env("api", "ENV_NAME", "staging") == "dev"
    try:
        assert target.api.get("/api/health").json()["env"] == "staging"
        assert target.set_env("api", "ENV_NAME", None) == "staging"
        assert "env" not in target.api.get("/api/health").json()
    finally:
        target.set_env("api", "ENV_NAME", "dev")


def test_clock_and_cron(target: InProcessTarget) -> None:
    before = target.runtime.clock.now()
    target.advance(90)
    assert (target.runtime.clock.now() - before).total_seconds() >= 90
    response = target.trigger_cron("0 * * * *")
    assert response.status_code == 200
    assert response.text == "Ran scheduled event"
    assert target.runtime.queue.ready_count() >= 1  # heartbeat_hourly was enqueued
    target.drain()


def test_runtime_factory_hook_and_token() -> None:
    async def factory() -> Runtime:
        return await Runtime.start(env={"ENV_NAME": "meta", "API_INGRESS_TOKEN": "s3cret"})

    with InProcessTarget(runtime_factory=factory) as target:
        assert target.api.get("/api/health").json()["env"] == "meta"
        # The configured client sends the ingress token; a request that overrides it is refused.
        assert target.api.post("/api/nope", json={}).status_code == 404
        assert target.api.post("/api/nope", json={}, headers={"authorization": ""}).status_code == 401
        assert "s3cret" not in repr(target) + json.dumps(target.describe())


def test_a_real_clock_has_no_clock_capability() -> None:
    created: list[Runtime] = []

    async def start() -> Runtime:
        runtime = await Runtime.start(clock=SystemClock())
        created.append(runtime)
        return runtime

    target = create_target("inprocess", runtime_factory=start)
    try:
        assert Capability.CLOCK not in target.capabilities
        with pytest.raises(MissingCapability, match="requires capability 'clock' which target 'inprocess' lacks"):
            target.advance(1)
    finally:
        target.close()
    assert created[0].closed
    target.close()  # idempotent
    with pytest.raises(TargetError, match="closed"):
        _ = target.api


def test_bad_factories_are_refused_clearly() -> None:
    with pytest.raises(TargetError, match="not a Runtime"):
        InProcessTarget(runtime_factory=lambda: 42)  # type: ignore[arg-type, return-value]
    with pytest.raises(TargetError, match="must be callable"):
        InProcessTarget(runtime_factory="module:thing")  # type: ignore[arg-type]
    with pytest.raises(TargetError, match="env to your runtime factory"):
        InProcessTarget(runtime_factory=Runtime.start, env={"A": "1"})


def test_load_runtime_factory() -> None:
    assert load_runtime_factory("workerflow_kit.runtime.stack:Runtime.start") == Runtime.start
    with pytest.raises(TargetError, match="'module:callable'"):
        load_runtime_factory("no_colon")
    with pytest.raises(TargetError, match="cannot import"):
        load_runtime_factory("workerflow_kit_no_such_module:f")
    with pytest.raises(TargetError, match="has no attribute"):
        load_runtime_factory("workerflow_kit.runtime.stack:nothing_here")
    with pytest.raises(TargetError, match="not callable"):
        load_runtime_factory("workerflow_kit.runtime.stack:WORKER_DIRS")


def test_unknown_target_kind() -> None:
    with pytest.raises(TargetError, match="unknown target 'cloud'; use one of inprocess, served, url"):
        create_target("cloud")


def test_env_changed_restores_every_value_even_on_error(target: InProcessTarget) -> None:
    target.set_env("workflow", "CHAT_WEBHOOK_URL", "https://chat.example/in")
    seen: list[object | None] = []

    def change_then_fail() -> None:
        with target.env_changed("workflow", {"CHAT_WEBHOOK_URL": None, "WFK_NEW_VAR": "x"}):
            seen.append(target.set_env("workflow", "WFK_NEW_VAR", "x"))
            seen.append(target.set_env("workflow", "CHAT_WEBHOOK_URL", None))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        change_then_fail()
    assert seen == ["x", None]
    assert target.set_env("workflow", "CHAT_WEBHOOK_URL", None) == "https://chat.example/in"
    assert target.set_env("workflow", "WFK_NEW_VAR", None) is None
