"""Serving the runtime over loopback: env parsing, socket binding, and one real `serve` subprocess end to end."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from workerflow_kit.errors import FileProblem, KitError
from workerflow_kit.runtime.serve import (
    DEFAULT_PORTS,
    SERVED_WORKERS,
    ServeConfig,
    bind_socket,
    event_loop_factory,
    http_implementation,
    parse_env_assignment,
    parse_env_file,
    serve,
)

STARTUP_TIMEOUT = 60.0
POLL_TIMEOUT = 30.0
EXIT_TIMEOUT = 20.0


# ------------------------------------------------------------------------------------------ env input


def test_env_assignment() -> None:
    assert parse_env_assignment("A=1") == ("A", "1")
    assert parse_env_assignment("URL=https://x/?a=b") == ("URL", "https://x/?a=b")
    assert parse_env_assignment("EMPTY=") == ("EMPTY", "")


@pytest.mark.parametrize("bad", ["NOEQUALS", "=value", "1ABC=x", "A B=x", ""])
def test_bad_env_assignment(bad: str) -> None:
    with pytest.raises(KitError, match="KEY=VALUE"):
        parse_env_assignment(bad)


def test_env_file_format(tmp_path: Path) -> None:
    path = tmp_path / ".dev.vars"
    path.write_text(
        "\n".join(
            [
                "# a comment",
                "",
                "PLAIN=value",
                "export EXPORTED=yes",
                "SPACED = padded  ",
                "INLINE=abc # trailing comment",
                "HASH=a#b",
                "SINGLE='lit\\n # kept'",
                'DOUBLE="line1\\nline2 \\"q\\""',
                'JSON=[{"id":"x"}]',
                "EMPTY=",
                "PLAIN=later wins",
            ]
        ),
        encoding="utf-8",
    )
    assert parse_env_file(path) == {
        "PLAIN": "later wins",
        "EXPORTED": "yes",
        "SPACED": "padded",
        "INLINE": "abc",
        "HASH": "a#b",
        "SINGLE": "lit\\n # kept",
        "DOUBLE": 'line1\nline2 "q"',
        "JSON": '[{"id":"x"}]',
        "EMPTY": "",
    }


def test_env_file_problems_name_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="no such env file"):
        parse_env_file(tmp_path / "missing")
    bad = tmp_path / "bad.vars"
    bad.write_text("OK=1\njust words\n", encoding="utf-8")
    with pytest.raises(FileProblem, match="line 2: expected KEY=VALUE"):
        parse_env_file(bad)
    unterminated = tmp_path / "quote.vars"
    unterminated.write_text('A="open\n', encoding="utf-8")
    with pytest.raises(FileProblem, match="unterminated"):
        parse_env_file(unterminated)


# ------------------------------------------------------------------------------------------ sockets


def test_bind_socket_port_zero_and_port_in_use() -> None:
    first = bind_socket("127.0.0.1", 0)
    try:
        host, port = first.getsockname()[:2]
        assert host == "127.0.0.1"
        assert port > 0
        with pytest.raises(KitError, match="already in use"):
            bind_socket("127.0.0.1", port)
    finally:
        first.close()
    with pytest.raises(KitError, match="out of range"):
        bind_socket("127.0.0.1", 70000)


def test_defaults() -> None:
    assert SERVED_WORKERS == ("api", "workflow", "ops-dashboard", "scheduler")
    assert dict(DEFAULT_PORTS) == {"api": 8787, "workflow": 8788, "ops-dashboard": 8789, "scheduler": 8790}


def test_fast_http_stack_when_installed_else_the_pure_python_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    installed = {name: importlib.util.find_spec(name) is not None for name in ("httptools", "uvloop")}
    assert http_implementation() == ("httptools" if installed["httptools"] else "h11")
    factory = event_loop_factory()
    if installed["uvloop"] and sys.platform != "win32":
        assert factory is not None
        loop = factory()
        try:
            assert type(loop).__module__.startswith("uvloop")
        finally:
            loop.close()
    else:
        assert factory is None

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in ("httptools", "uvloop") else real_find_spec(name)
    )
    assert http_implementation() == "h11"
    assert event_loop_factory() is None


# ------------------------------------------------------------------------------------------ in process


def test_serve_in_process_prints_urls_then_ready_and_stops_on_event() -> None:
    async def scenario() -> tuple[list[str], dict[str, int]]:
        out = io.StringIO()
        stop = asyncio.Event()
        config = ServeConfig(ports=dict.fromkeys(SERVED_WORKERS, 0), log_level="warning")
        task = asyncio.create_task(serve(config, out=out, stop=stop))
        for _ in range(2000):
            if out.getvalue().endswith("ready\n") or task.done():
                break
            await asyncio.sleep(0.01)
        lines = out.getvalue().splitlines()
        statuses = {}
        async with httpx.AsyncClient(timeout=10) as client:
            for line in lines[:-1]:
                name, url = line.split()
                path = "/api/health" if name == "api" else "/health"
                statuses[name] = (await client.get(url + path)).status_code
        stop.set()
        await asyncio.wait_for(task, timeout=EXIT_TIMEOUT)
        return lines, statuses

    lines, statuses = run_async(scenario())
    assert lines[-1] == "ready"
    assert [line.split()[0] for line in lines[:-1]] == list(SERVED_WORKERS)
    assert all(line.split()[1].startswith("http://127.0.0.1:") for line in lines[:-1])
    assert statuses == dict.fromkeys(SERVED_WORKERS, 200)


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)


# ------------------------------------------------------------------------------------------ subprocess


class Served:
    """A `workerflow-kit serve` subprocess whose stdout is read by a thread."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workerflow_kit", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.strip() == "ready":
                self.ready.set()
        self.ready.set()

    def urls(self) -> dict[str, str]:
        assert self.ready.wait(STARTUP_TIMEOUT), "serve did not print 'ready' in time"
        assert self.lines[-1:] == ["ready"], self.finish_and_report()
        return dict(line.split() for line in self.lines[:-1])  # type: ignore[misc]

    def finish_and_report(self) -> str:
        self.stop(signal.SIGKILL)
        return f"stdout={self.lines!r} stderr={self.stderr[-3000:]}"

    def wait(self) -> int:
        """Wait for the process to exit by itself (killing it after the bound)."""
        try:
            _, self.stderr = self.process.communicate(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, self.stderr = self.process.communicate()
        return self.process.returncode

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            _, self.stderr = self.process.communicate(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()  # by pid: only the process this test started
            _, self.stderr = self.process.communicate()
        return self.process.returncode


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[[list[str]], Served]]:
    started: list[Served] = []

    def start(args: list[str]) -> Served:
        server = Served(args, tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate()


def poll(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + POLL_TIMEOUT
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db, timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


def test_serve_subprocess_end_to_end(tmp_path: Path, served: Callable[[list[str]], Served]) -> None:
    db = tmp_path / "state.sqlite"
    schedules = tmp_path / "schedules.json"
    schedules.write_text(
        json.dumps(
            [
                {
                    "id": "example_daily",
                    "cron": "0 0 * * *",
                    "enabled": True,
                    "target": "f/example/daily",
                    "timeZone": "UTC",
                }
            ]
        ),
        encoding="utf-8",
    )
    env_file = tmp_path / ".dev.vars"
    env_file.write_text("GOOGLEAI_API_KEY=from-file\n", encoding="utf-8")
    ports = ["--api-port", "0", "--workflow-port", "0", "--ops-port", "0", "--scheduler-port", "0"]
    server = served(
        [
            *ports,
            "--db",
            str(db),
            "--env-file",
            str(env_file),
            "--schedules-config",
            str(schedules),
            "--queue-profile",
            "miniflare",
        ]
    )
    urls = server.urls()
    assert list(urls) == ["api", "workflow", "ops-dashboard", "scheduler"]
    with httpx.Client(timeout=10) as client:
        assert client.get(urls["api"] + "/api/health").json()["worker"] == "api"
        for name in ("workflow", "ops-dashboard", "scheduler"):
            assert client.get(urls[name] + "/health").status_code == 200, name

        accepted = client.post(urls["api"] + "/api/webhook_echo", json={"n": 1}, headers={"x-trace-id": "loop-1"})
        assert accepted.status_code == 202
        status = poll(lambda: query(db, "SELECT status FROM runs WHERE trace_id = ?", "loop-1"), "the consumer run")
        assert status == [("succeeded",)]

        sync = client.post(urls["api"] + "/api/lead_normalizer", json={"firstName": "Ava", "email": "A@B.C"})
        assert sync.status_code == 200
        assert sync.json()["result"]["normalized"]["email"] == "a@b.c"

        scheduled = client.get(urls["scheduler"] + "/__scheduled?cron=0+0+*+*+*")
        assert (scheduled.status_code, scheduled.text) == (200, "Ran scheduled event")
        assert client.get(urls["scheduler"] + "/__scheduled").status_code == 400
        rows = poll(lambda: query(db, "SELECT schedule_id FROM runs WHERE kind = 'scheduled_job'"), "the cron run")
        assert rows[0] == ("example_daily",)

    assert server.stop(signal.SIGTERM) == 0, server.stderr[-3000:]
    assert "Traceback" not in server.stderr


def test_serve_port_in_use_is_one_error_line(tmp_path: Path, served: Callable[[list[str]], Served]) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    try:
        port = str(blocker.getsockname()[1])
        server = served(["--api-port", port, "--workflow-port", "0", "--ops-port", "0", "--scheduler-port", "0"])
        code = server.wait()
    finally:
        blocker.close()
    assert code == 2
    assert server.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use; pick another with the --*-port options"
    ]
    assert server.lines == []
