"""Ctrl-C during `workerflow-kit check --target served` stops the server it started (by the served target's
close, not by the signal reaching the server: only the check process is signalled here)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to see child pids")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


def _wait(predicate: object, what: str, limit: int = 600) -> None:
    """Poll (0.1 s steps, at most ``limit`` of them): a bound on a hang, not a timing assertion."""
    import time

    for _ in range(limit):
        if callable(predicate) and predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


@pytest.mark.parametrize("when", ["while-starting", "while-checking"])
def test_ctrl_c_during_a_served_check_stops_the_server(when: str) -> None:
    check = subprocess.Popen(
        [sys.executable, "-m", "workerflow_kit", "check", "--target", "served", "--suite", "routes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the signal goes to the check process only, never to the server directly
    )
    try:
        servers: list[int] = []
        _wait(lambda: servers.extend(_children(check.pid)) or bool(servers), "the server process")
        if when == "while-checking":
            assert check.stdout is not None
            _read_until_a_check_passed(check.stdout)
        os.kill(check.pid, signal.SIGINT)
        check.communicate(timeout=60)
    finally:
        if check.poll() is None:
            check.kill()
            check.wait()
    assert check.returncode != 0
    _wait(lambda: all(_gone(pid) for pid in servers), "the server to stop", limit=150)


def _read_until_a_check_passed(stdout: IO[bytes]) -> None:
    """pytest's progress line shows one ``.`` per passed check: then the session (and the server) is up.

    The line starts with the suite module's path relative to the current folder, which depends on where the kit
    is installed (``src/workerflow_kit/suites/...`` in a checkout, ``.venv/lib/.../suites/...`` from a wheel)."""
    line = b""
    while not line.partition(b" ")[0].endswith(b"suites/routes.py") or b"." not in line.partition(b" ")[2]:
        char = stdout.read(1)
        if not char:
            pytest.fail("check ended before any check passed")
        line = b"" if char == b"\n" else line + char


ORPHANING_PARENT = """
import subprocess, sys
options = ("--api-port", "--workflow-port", "--ops-port", "--scheduler-port")
ports = [part for option in options for part in (option, "0")]
server = subprocess.Popen(
    [sys.executable, "-m", "workerflow_kit", "serve", *ports, "--log-level", "warning", "--exit-with-parent"],
    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,  # holds none of the parent's pipes
)
for line in server.stdout:
    if line.strip() == "ready":
        break
print(server.pid, flush=True)
"""


def test_a_server_whose_parent_dies_without_cleanup_stops_itself() -> None:
    parent = subprocess.run(
        [sys.executable, "-c", ORPHANING_PARENT], capture_output=True, text=True, timeout=120, check=True
    )
    server = int(parent.stdout.split()[-1])  # the parent has exited without stopping it: an orphan
    try:
        _wait(lambda: _gone(server), "the orphaned server to stop", limit=150)
    finally:
        if not _gone(server):
            os.kill(server, signal.SIGKILL)
