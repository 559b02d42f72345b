"""The served target: starts `workerflow-kit serve` on free loopback ports, drives it through the control door,
then stops exactly that process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from workerflow_kit.targets import Capability, ServedTarget, TargetError

FULL = frozenset(Capability)
CHAT_URL = "https://chat.example/in"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def served() -> Iterator[ServedTarget]:
    with ServedTarget(serve_args=["--env", "ENV_NAME=served-test"], stop_timeout=10) as target:
        yield target


def test_declares_every_capability_through_the_control_door(served: ServedTarget) -> None:
    assert served.capabilities == FULL
    assert set(served.urls) == {"api", "ops", "workflow", "scheduler"}
    assert all(url.startswith("http://127.0.0.1:") for url in served.urls.values())
    assert served.api.get("/api/health").json() == {"ok": True, "env": "served-test", "worker": "api"}


def test_drain_delivers_and_query_reads_the_servers_d1(served: ServedTarget) -> None:
    trace = served.new_trace_id("drain")
    assert served.api.post("/api/webhook_echo", json={"n": 1}, headers={"x-trace-id": trace}).status_code == 202
    assert served.query("SELECT status FROM runs WHERE trace_id = ?", trace) == []  # nothing delivers by itself
    assert served.drain() >= 1
    assert served.query("SELECT status FROM runs WHERE trace_id = ?", trace) == [{"status": "succeeded"}]


def test_query_is_read_only(served: ServedTarget) -> None:
    for sql in ("DELETE FROM idempotency_keys", "ATTACH DATABASE 'elsewhere.db' AS other", "PRAGMA query_only = ON"):
        with pytest.raises(TargetError, match=r"not authorized: SQLITE_AUTH"):
            served.query(sql)
    served.query("SELECT 1 AS one")  # the connection is usable (and writable for the workers) afterwards
    assert served.api.post("/api/webhook_echo", json={}).status_code == 202


def test_advance_moves_the_virtual_clock(served: ServedTarget) -> None:
    before = served.api.post("/api/webhook_echo", json={}).json()["queuedAt"]
    served.advance(3600)
    after = served.api.post("/api/webhook_echo", json={}).json()["queuedAt"]
    assert before[:13] != after[:13]  # one hour later, whatever minute the clock stood at
    served.drain()


def test_set_env_is_live_and_returns_the_previous_value(served: ServedTarget) -> None:
    assert served.set_env("api", "ENV_NAME", "changed") == "served-test"
    assert served.api.get("/api/health").json()["env"] == "changed"
    assert served.set_env("api", "ENV_NAME", None) == "changed"
    assert served.set_env("api", "ENV_NAME", "served-test") is None
    assert served.api.get("/api/health").json()["env"] == "served-test"


def test_a_binding_removed_through_the_door_is_put_back(served: ServedTarget) -> None:
    before = served.ops.get("/api/secrets-health").json()
    assert before.get("available") is not False
    with served.env_changed("ops", {"WORKFLOW_SERVICE": None}):
        assert served.ops.get("/api/secrets-health").json()["available"] is False
    assert served.ops.get("/api/secrets-health").json() == before
    with pytest.raises(TargetError, match=r"unknown binding reference"):
        served.set_env("ops", "WORKFLOW_SERVICE", {"$wfkitBinding": "nope"})


def test_stub_outbound_answers_and_records_calls(served: ServedTarget) -> None:
    with served.env_changed("workflow", {"CHAT_WEBHOOK_URL": CHAT_URL}):
        with served.stub_outbound([{"url": CHAT_URL, "json": {"ok": True}}]) as recorder:
            trace = served.new_trace_id("chat")
            served.api.post("/api/chat_notify", json={"text": "hi"}, headers={"x-trace-id": trace})
            served.drain()
            assert [(call.method, call.url) for call in recorder.calls] == [("POST", CHAT_URL)]
        assert served.query("SELECT status FROM runs WHERE trace_id = ?", trace) == [{"status": "succeeded"}]
        with pytest.raises(AssertionError, match=r"no stub matched.*chat\.example"):
            _chat_without_stubs(served)


def _chat_without_stubs(served: ServedTarget) -> None:
    with served.stub_outbound([]):
        served.api.post("/api/chat_notify", json={"text": "again"})
        served.drain()


def test_the_control_door_refuses_requests_without_the_secret(served: ServedTarget) -> None:
    control_url = served.control_url or ""
    assert control_url.startswith("http://127.0.0.1:")
    assert httpx.post(f"{control_url}/drain").status_code == 401
    wrong = httpx.post(
        f"{control_url}/env",
        json={"worker": "api", "name": "ENV_NAME", "value": "x"},
        headers={"x-workerflow-control-secret": "guess"},
    )
    assert wrong.status_code == 401
    assert served.api.get("/api/health").json()["env"] == "served-test"


def test_trigger_cron_and_describe(served: ServedTarget) -> None:
    cron = served.trigger_cron("0 * * * *")
    assert (cron.status_code, cron.text) == (200, "Ran scheduled event")
    assert served.describe()["pid"] == served.pid


def test_close_stops_the_process_and_removes_its_folder_even_on_ctrl_c() -> None:
    seen: list[ServedTarget] = []

    def run() -> None:
        with ServedTarget(stop_timeout=10) as target:
            seen.append(target)
            assert _alive(target.pid)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run()
    target = seen[0]
    assert target.process.returncode is not None
    assert not _alive(target.pid)
    assert not target._tmp.exists()
    target.close()  # idempotent


def test_without_the_control_door_it_is_a_plain_server_stopped_when_a_test_fails() -> None:
    pids: list[int] = []

    def run() -> None:
        with ServedTarget(control=False) as target:
            pids.append(target.pid)
            assert target.capabilities == frozenset({Capability.TRIGGER_CRON, Capability.WRITES_ALLOWED})
            target.drain()  # lacks drain_queue: a failing test

    with pytest.raises(TargetError, match=r"requires capability 'drain_queue' which target 'served' lacks"):
        run()
    assert not _alive(pids[0])


def test_a_runtime_factory_is_served() -> None:
    with ServedTarget(runtime_factory="tests.suites.broken_runtimes:duplicate_answers_200") as target:
        assert Capability.CLOCK in target.capabilities  # the factory's runtime runs on a virtual clock
        headers = {"x-trace-id": target.new_trace_id("dup")}
        assert target.api.post("/api/webhook_echo", json={}, headers=headers).status_code == 202
        assert target.api.post("/api/webhook_echo", json={}, headers=headers).status_code == 200  # the break


def test_a_server_that_cannot_start_is_reported_with_its_stderr() -> None:
    with pytest.raises(TargetError, match=r"exited with code 2 before 'ready'.*(?s:.*)--queue-profile"):
        ServedTarget(serve_args=["--queue-profile", "nonsense"], startup_timeout=30)
    with pytest.raises(TargetError, match=r"exited with code \d+ before 'ready'(?s:.*)not a Runtime"):
        ServedTarget(runtime_factory="tests.suites.broken_runtimes:not_a_runtime", startup_timeout=30)
