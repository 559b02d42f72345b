"""The served target: starts `workerflow-kit serve` on free loopback ports, then stops exactly that process."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest

from workerflow_kit.targets import Capability, ServedTarget, TargetError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_starts_serves_and_stops() -> None:
    target = ServedTarget(serve_args=["--env", "ENV_NAME=served-test"], stop_timeout=10)
    try:
        pid = target.pid
        assert _alive(pid)
        assert set(target.urls) == {"api", "ops", "workflow", "scheduler"}
        assert all(url.startswith("http://127.0.0.1:") for url in target.urls.values())
        assert target.capabilities == frozenset(
            {Capability.INSPECT_DB, Capability.TRIGGER_CRON, Capability.WRITES_ALLOWED}
        )
        assert target.api.get("/api/health").json() == {"ok": True, "env": "served-test", "worker": "api"}
        assert target.workflow.get("/health").status_code == 200
        assert target.ops.get("/health").status_code == 200
        accepted = target.api.post("/api/webhook_echo", json={}, headers={"x-trace-id": "served-1"})
        assert accepted.status_code == 202
        assert target.query("SELECT trace_id FROM idempotency_keys WHERE trace_id = ?", "served-1") == [
            {"trace_id": "served-1"}
        ]
        cron = target.trigger_cron("0 * * * *")
        assert (cron.status_code, cron.text) == (200, "Ran scheduled event")
        assert target.describe()["pid"] == pid
        folder = target.db_path.parent
    finally:
        started = time.monotonic()
        target.close()
    assert time.monotonic() - started < 15
    assert target.process.returncode is not None
    assert not _alive(pid)
    assert not folder.exists()
    target.close()  # idempotent


def test_the_database_is_read_only_from_the_target() -> None:
    with ServedTarget() as target, pytest.raises(sqlite3.OperationalError, match=r"readonly"):
        target.query("DELETE FROM idempotency_keys")


def test_a_server_that_cannot_start_is_reported_with_its_stderr() -> None:
    with pytest.raises(TargetError, match=r"exited with code 2 before 'ready'.*(?s:.*)--queue-profile"):
        ServedTarget(serve_args=["--queue-profile", "nonsense"], startup_timeout=30)
