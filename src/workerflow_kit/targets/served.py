"""The reference runtime served on loopback by a ``workerflow-kit serve`` child process.

::

    with ServedTarget() as target:                         # starts the server on free 127.0.0.1 ports
        target.api.post("/api/webhook_echo", json={"hi": 1})
        target.drain()                                     # over the control door
    # the server got SIGTERM (then SIGKILL after a bounded wait) and its temporary folder is gone

This is what a user's ``wrangler dev`` looks like from the outside: real sockets and a separate process.
:class:`ServedTarget` starts ``python -m workerflow_kit serve`` with every port 0 (free ports on 127.0.0.1),
``--log-level warning`` and, by default, ``--control --virtual-clock``: the control door
(:mod:`workerflow_kit.runtime.control`) on one more port, behind a random secret this target generates and
passes in ``WORKERFLOW_CONTROL_SECRET`` (never on the command line, where ``ps`` would show it). It reads the
``<worker> <url>`` lines and the ``ready`` line from the server's stdout (bounded by ``startup_timeout``), asks
the door what it can do, and builds one client per worker. :meth:`ServedTarget.close` stops exactly that
process, by its pid, and removes its temporary folder; so does an error while starting.

``serve_args`` are appended to the command (``["--env", "API_INGRESS_TOKEN=t"]``, ``["--queue-profile",
"miniflare"]``); ``api_token``/``ops_token`` are what the clients send. ``runtime_factory``
(``"module:callable"``) serves a custom or deliberately broken runtime (``serve --runtime-factory``).

Capabilities with the control door (``control=True``, the default): ``drain_queue``, ``inspect_db``
(``SELECT`` only: the server runs it with ``PRAGMA query_only``), ``set_env`` (plain values; the change is
live for the next request), ``stub_outbound`` (respx inside the server; the recorder is refreshed after every
request this target sends), ``clock`` when the served runtime runs on a virtual clock, plus ``trigger_cron``
(wrangler's ``/__scheduled`` door) and ``writes_allowed``. With ``control=False`` the server runs on the real
clock with background delivery, as a user's ``workerflow-kit serve``, and only ``trigger_cron`` and
``writes_allowed`` remain.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx

from workerflow_kit.targets.base import (
    Capability,
    OutboundCall,
    OutboundRecorder,
    OutboundStub,
    Target,
    TargetError,
    auth_headers,
    strip_header_padding,
)

__all__ = ["ServedTarget"]

_SERVED_NAMES = {"api": "api", "workflow": "workflow", "ops-dashboard": "ops", "scheduler": "scheduler"}
_CONTROL = "control"
_SECRET_ENV = "WORKERFLOW_CONTROL_SECRET"  # the names of workerflow_kit.runtime.control, not imported: the
_SECRET_HEADER = "x-workerflow-control-secret"  # target layer needs none of the runtime to reach a server
_BINDING_REF = "$wfkitBinding"  # a binding the door took out of an env (see runtime.control)
_BASE_CAPABILITIES = frozenset({Capability.TRIGGER_CRON, Capability.WRITES_ALLOWED})
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
        control: bool = True,
        virtual_clock: bool = True,
        runtime_factory: str | None = None,
        startup_timeout: float = 60.0,
        stop_timeout: float = 15.0,
        request_timeout: float = 30.0,
        python: str | None = None,
    ) -> None:
        super().__init__()
        if startup_timeout <= 0 or stop_timeout <= 0 or request_timeout <= 0:
            raise TargetError("startup_timeout, stop_timeout and request_timeout must be positive")
        self.stop_timeout = stop_timeout
        self._control: httpx.Client | None = None
        self._capabilities = _BASE_CAPABILITIES
        self._recorder: OutboundRecorder | None = None
        self._secret = secrets.token_urlsafe(32)
        self._tmp = Path(tempfile.mkdtemp(prefix="workerflow-served-"))
        self._stderr_path = self._tmp / "serve.stderr"
        command = [
            python or sys.executable,
            "-m",
            "workerflow_kit",
            "serve",
            "--host",
            "127.0.0.1",
            *(part for option in _PORT_OPTIONS for part in (option, "0")),
            "--log-level",
            "warning",
            "--exit-with-parent",  # should this process die without closing the target, the server follows
        ]
        if control:
            command += ["--control", "--control-port", "0"]
            # A factory chooses its own clock (the reference factories use a virtual one).
            if virtual_clock and runtime_factory is None:
                command.append("--virtual-clock")
        if runtime_factory is not None:
            command += ["--runtime-factory", runtime_factory]
        command += serve_args
        self._stderr: IO[str] = self._stderr_path.open("w", encoding="utf-8")
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader: threading.Thread | None = None
        started = False
        try:
            # Ctrl-C while Popen forks and execs would leave a server nobody knows the pid of: hold it until
            # self.process is set, so that the handler below stops that process.
            with _interrupts_deferred():
                try:
                    self.process: subprocess.Popen[str] = subprocess.Popen(
                        command,
                        stdout=subprocess.PIPE,
                        stderr=self._stderr,
                        stdin=subprocess.DEVNULL,
                        text=True,
                        # ``python -m`` puts the current folder first on the path: --runtime-factory finds
                        # local modules.
                        env={**os.environ, "PYTHONUNBUFFERED": "1", _SECRET_ENV: self._secret},
                    )
                except OSError as exc:
                    raise TargetError(f"cannot start workerflow-kit serve: {exc}") from None
                started = True
                self._reader = threading.Thread(target=self._read_stdout, name="served-target-stdout", daemon=True)
                self._reader.start()
            self.urls = self._wait_ready(startup_timeout)
            self.control_url: str | None = self.urls.pop(_CONTROL, None)
            """The control door's base URL (``None`` without it); every request needs the target's secret."""
            if self.control_url is not None:
                self._control = httpx.Client(
                    base_url=self.control_url, headers={_SECRET_HEADER: self._secret}, timeout=request_timeout
                )
                self._capabilities = _BASE_CAPABILITIES | _declared(self._call("GET", "/capabilities"))
        except BaseException:  # KeyboardInterrupt too: never leave the server behind
            if self._control is not None:
                self._control.close()
            if started:
                self._stop_process()
            self._cleanup_files()
            raise
        tokens = {"api": api_token, "ops": ops_token}
        hooks: dict[str, list[Callable[..., Any]]] = {
            "request": [strip_header_padding],
            "response": [self._after_response],
        }
        for worker, url in self.urls.items():
            self._clients[worker] = httpx.Client(
                base_url=url, headers=auth_headers(tokens.get(worker)), timeout=request_timeout, event_hooks=hooks
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
            elif len(parts) == 2 and parts[0] == _CONTROL:
                urls[_CONTROL] = parts[1]

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
        if self._reader is not None:
            self._reader.join(timeout=self.stop_timeout)  # the pipe is at EOF once the process is gone
        if self.process.stdout is not None and (self._reader is None or not self._reader.is_alive()):
            self.process.stdout.close()

    def _cleanup_files(self) -> None:
        self._stderr.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def _close_resources(self) -> None:
        try:
            if self._control is not None:
                self._control.close()
            self._stop_process()
        finally:
            self._cleanup_files()

    # -- the control door ---------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: object = None) -> Any:
        """One control-door request; its JSON answer, or a :class:`TargetError` carrying the door's error."""
        if self.closed:
            raise TargetError("target 'served' is closed")
        if self._control is None:  # pragma: no cover - guarded by require() in every caller
            raise TargetError("the served runtime has no control door")
        response = self._control.request(method, path, json=body)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code != 200 or not isinstance(answer, dict):
            error = answer.get("error") if isinstance(answer, dict) else response.text[:200]
            raise TargetError(f"control door {method} {path} answered {response.status_code}: {error}")
        return answer

    def _after_response(self, response: httpx.Response) -> None:
        self._sync_recorder()

    def _sync_recorder(self) -> None:
        """While outbound calls are stubbed, bring the recorder up to date (tests read it inside the block)."""
        if self._recorder is not None:
            _fill(self._recorder, self._call("GET", "/outbound/calls"))

    # -- capabilities -------------------------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self._capabilities

    def advance(self, seconds: float) -> None:
        self.require(Capability.CLOCK)
        self._call("POST", "/advance", {"seconds": seconds})
        self._sync_recorder()

    def drain(self) -> int:
        self.require(Capability.DRAIN_QUEUE)
        batches = int(self._call("POST", "/drain")["batches"])
        self._sync_recorder()
        return batches

    def query(self, sql: str, *params: object) -> list[dict[str, Any]]:
        self.require(Capability.INSPECT_DB)
        rows: list[dict[str, Any]] = self._call("POST", "/query", {"sql": sql, "params": list(params)})["rows"]
        return rows

    def set_env(self, worker: str, name: str, value: object | None) -> object | None:
        """As :meth:`Target.set_env`, for values JSON carries (and binding references this method returned):
        a Python object, such as a wrapper around a binding, cannot reach another process."""
        self.require(Capability.SET_ENV)
        if not _sendable(value):
            raise TargetError(
                f"set_env on target 'served' sends plain values (str, number, bool, None) or a binding reference it "
                f"returned, not a {type(value).__name__}: wrapping live bindings works in process only"
            )
        previous: object | None = self._call("POST", "/env", {"worker": worker, "name": name, "value": value})[
            "previous"
        ]
        return previous

    @contextmanager
    def stub_outbound(self, stubs: Sequence[OutboundStub]) -> Iterator[OutboundRecorder]:
        self.require(Capability.STUB_OUTBOUND)
        from workerflow_kit.targets.inprocess import _stub_answer  # the same stub rules as in process

        rendered = []
        for stub in stubs:
            method, url, make = _stub_answer(stub)
            answer = make()
            headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
            rendered.append(
                {
                    "method": method,
                    "url": str(url),
                    "status": answer.status_code,
                    "headers": headers,
                    "text": answer.text,
                }
            )
        recorder = OutboundRecorder()
        self._call("POST", "/outbound/start", {"stubs": rendered})
        self._recorder = recorder
        try:
            yield recorder
        finally:
            self._recorder = None
            report = self._call("POST", "/outbound/stop")
        _fill(recorder, report)
        if recorder.unmatched:
            names = ", ".join(f"{call.method} {call.url}" for call in recorder.unmatched)
            raise AssertionError(f"outbound call(s) no stub matched (none reached the network): {names}")

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "pid": self.pid}


def _declared(answer: dict[str, Any]) -> frozenset[Capability]:
    """The capabilities the control door says it has (names this kit does not know are ignored)."""
    known = {c.value: c for c in Capability}
    return frozenset(known[name] for name in answer.get("capabilities", []) if name in known)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT for the block and raise :class:`KeyboardInterrupt` at its end if one came (main thread only:
    elsewhere Python delivers no signal anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and previous is signal.default_int_handler:
        raise KeyboardInterrupt
    if caught and callable(previous):
        previous(signal.SIGINT, None)


def _sendable(value: object) -> bool:
    if isinstance(value, dict):
        return set(value) == {_BINDING_REF} and isinstance(value[_BINDING_REF], str)
    return value is None or isinstance(value, str | int | float | bool)


def _fill(recorder: OutboundRecorder, report: dict[str, Any]) -> None:
    recorder.calls[:] = [_call_of(call) for call in report.get("calls", [])]
    recorder.unmatched[:] = [_call_of(call) for call in report.get("unmatched", [])]


def _call_of(record: dict[str, Any]) -> OutboundCall:
    return OutboundCall.of(
        str(record.get("method", "")), str(record.get("url", "")), str(record.get("text", "")).encode()
    )
