"""The reference runtime served on loopback by a ``workerflow-kit serve`` child process.

::

    with ServedTarget() as target:                         # starts the server on free 127.0.0.1 ports
        target.api.get("/api/health")
    # the server got SIGTERM (then SIGKILL after a bounded wait) and its temporary folder is gone

This is what a user's ``wrangler dev`` looks like from the outside: real sockets, a real clock, the
queue delivering in the background. :class:`ServedTarget` starts ``python -m workerflow_kit serve`` with
``--api-port 0`` (and the other ports 0), a ``--db`` file in a temporary folder and ``--log-level warning``,
reads the ``<worker> <url>`` lines and the ``ready`` line from its stdout (bounded by ``startup_timeout``),
and builds one client per worker. :meth:`ServedTarget.close` stops exactly that process, by its pid.

``serve_args`` are appended to the command (``["--env", "API_INGRESS_TOKEN=t"]``, ``["--queue-profile",
"miniflare"]``); ``api_token``/``ops_token`` are what the clients send.

Capabilities: ``inspect_db`` (read-only, ``PRAGMA query_only``, on the ``--db`` file), ``trigger_cron``
(wrangler's ``/__scheduled`` door on the scheduler port) and ``writes_allowed``. Not ``clock`` (real time),
not ``drain_queue`` (delivery runs by itself, on batch size or timeout), not ``set_env`` (another process).
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import httpx

from workerflow_kit.targets.base import Capability, Target, TargetError, auth_headers

__all__ = ["ServedTarget"]

_SERVED_NAMES = {"api": "api", "workflow": "workflow", "ops-dashboard": "ops", "scheduler": "scheduler"}
_READY = "ready"
_PORT_OPTIONS = ("--api-port", "--workflow-port", "--ops-port", "--scheduler-port")
_STDERR_TAIL = 3000


class ServedTarget(Target):
    """A ``workerflow-kit serve`` subprocess on free loopback ports (see the module notes)."""

    name = "served"

    def __init__(
        self,
        *,
        serve_args: Sequence[str] = (),
        api_token: str | None = None,
        ops_token: str | None = None,
        startup_timeout: float = 60.0,
        stop_timeout: float = 15.0,
        request_timeout: float = 30.0,
        python: str | None = None,
    ) -> None:
        super().__init__()
        if startup_timeout <= 0 or stop_timeout <= 0 or request_timeout <= 0:
            raise TargetError("startup_timeout, stop_timeout and request_timeout must be positive")
        self.stop_timeout = stop_timeout
        self._tmp = Path(tempfile.mkdtemp(prefix="workerflow-served-"))
        self.db_path = self._tmp / "d1.sqlite"
        self._stderr_path = self._tmp / "serve.stderr"
        self._db: sqlite3.Connection | None = None
        command = [
            python or sys.executable,
            "-m",
            "workerflow_kit",
            "serve",
            "--host",
            "127.0.0.1",
            *(part for option in _PORT_OPTIONS for part in (option, "0")),
            "--db",
            str(self.db_path),
            "--log-level",
            "warning",
            *serve_args,
        ]
        self._stderr: IO[str] = self._stderr_path.open("w", encoding="utf-8")
        try:
            self.process: subprocess.Popen[str] = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                stdin=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        except OSError as exc:
            self._stderr.close()
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise TargetError(f"cannot start workerflow-kit serve: {exc}") from None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read_stdout, name="served-target-stdout", daemon=True)
        self._reader.start()
        try:
            self.urls = self._wait_ready(startup_timeout)
        except BaseException:
            self._stop_process()
            self._cleanup_files()
            raise
        tokens = {"api": api_token, "ops": ops_token}
        for worker, url in self.urls.items():
            self._clients[worker] = httpx.Client(
                base_url=url, headers=auth_headers(tokens.get(worker)), timeout=request_timeout
            )

    # -- start and stop -----------------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        stdout = self.process.stdout
        if stdout is None:  # pragma: no cover - always a pipe
            return
        for line in stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _wait_ready(self, timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        urls: dict[str, str] = {}
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TargetError(f"workerflow-kit serve did not print 'ready' within {timeout:g}s{self._tail()}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.process.wait(timeout=self.stop_timeout)
                raise TargetError(f"workerflow-kit serve exited with code {code} before 'ready'{self._tail()}")
            if line.strip() == _READY:
                missing = sorted(set(_SERVED_NAMES.values()) - set(urls))
                if missing:
                    raise TargetError(f"workerflow-kit serve printed no URL for {missing}{self._tail()}")
                return urls
            parts = line.split()
            if len(parts) == 2 and parts[0] in _SERVED_NAMES:
                urls[_SERVED_NAMES[parts[0]]] = parts[1]

    def _tail(self) -> str:
        self._stderr.flush()
        try:
            text = self._stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return f"; its stderr ends with:\n{text[-_STDERR_TAIL:]}" if text.strip() else ""

    @property
    def pid(self) -> int:
        """The server process id."""
        return self.process.pid

    def _stop_process(self) -> None:
        """SIGTERM the server (by its pid), wait ``stop_timeout``, then SIGKILL and reap it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                self.process.wait(timeout=self.stop_timeout)
        self._reader.join(timeout=self.stop_timeout)  # the pipe is at EOF once the process is gone
        if self.process.stdout is not None and not self._reader.is_alive():
            self.process.stdout.close()

    def _cleanup_files(self) -> None:
        self._stderr.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def _close_resources(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        try:
            self._stop_process()
        finally:
            self._cleanup_files()

    # -- capabilities -------------------------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.INSPECT_DB, Capability.TRIGGER_CRON, Capability.WRITES_ALLOWED})

    def query(self, sql: str, *params: object) -> list[dict[str, Any]]:
        self.require(Capability.INSPECT_DB)
        if self.closed:
            raise TargetError("target 'served' is closed")
        if self._db is None:
            self._db = sqlite3.connect(str(self.db_path), timeout=5.0, check_same_thread=False)
            self._db.execute("PRAGMA query_only = ON")
            self._db.row_factory = sqlite3.Row
        rows = self._db.execute(sql, params).fetchall()
        return [dict(row) for row in rows]

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "pid": self.pid}
