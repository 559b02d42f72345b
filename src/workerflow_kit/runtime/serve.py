"""Serve the reference runtime on loopback ports, like ``wrangler dev`` for all five workers at once.

One process, one asyncio event loop, one :class:`~workerflow_kit.runtime.stack.Runtime` on the real clock,
and one ``uvicorn.Server`` per served worker (api, workflow, ops-dashboard, scheduler). The queue consumer and
the cron triggers run in the background on the same loop. With ``uvicorn[standard]`` installed the loop is
uvloop's and HTTP/1.1 is parsed by httptools (several times cheaper per request than asyncio's loop and h11,
which remain the fallback); access logs are off. The scheduler port answers wrangler's
``--test-scheduled`` door, ``GET /__scheduled?cron=<url-encoded cron>``.

Sockets are bound before anything starts, so a port in use is one clear error and port 0 resolves to a free
port before the URLs are printed. Output on stdout, flushed, for people and for scripts alike::

    api            http://127.0.0.1:8787
    workflow       http://127.0.0.1:8788
    ops-dashboard  http://127.0.0.1:8789
    scheduler      http://127.0.0.1:8790
    ready

SIGINT (Ctrl-C) and SIGTERM stop the servers gracefully, then the runtime closes (D1 and the queue file are
closed cleanly; pending messages stay in a ``--db`` file for the next start).

Test mode (what the served target uses):

* ``control=True`` adds the control door (:mod:`workerflow_kit.runtime.control`) on one more port, printed as
  ``control <url>`` before ``ready``: drain the queue, move a virtual clock, set a worker's env, read D1, stub
  outbound HTTP, behind the secret of ``WORKERFLOW_CONTROL_SECRET`` (one is generated, and logged on stderr,
  when that variable is unset).
* ``virtual_clock`` (a start time) runs the runtime on a :class:`VirtualClock` exactly as the in-process
  target does: time moves only through the control door, and the queue delivers on ``/drain`` (no background
  delivery), so the suites see the same runtime over sockets that they see in process.
* ``runtime_factory`` serves a runtime built by a callable (a custom wiring, or a deliberately broken one);
  the factory chooses the project, clock and D1, and ``env`` is laid over every worker's env after it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib.util
import inspect
import logging
import os
import re
import secrets
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, TextIO

import uvicorn

from workerflow_kit.errors import FileProblem, KitError
from workerflow_kit.runtime.bindings.clock import Clock, SystemClock, VirtualClock
from workerflow_kit.runtime.control import SECRET_ENV, SECRET_HEADER, control_app
from workerflow_kit.runtime.http import WorkerApp
from workerflow_kit.runtime.stack import QueueProfile, Runtime

__all__ = [
    "CONTROL_NAME",
    "DEFAULT_CONTROL_PORT",
    "DEFAULT_PORTS",
    "SERVED_WORKERS",
    "ServeConfig",
    "bind_socket",
    "event_loop_factory",
    "http_implementation",
    "parse_env_assignment",
    "parse_env_file",
    "run_serve",
    "serve",
]

log = logging.getLogger("workerflow_kit.runtime.serve")

SERVED_WORKERS = ("api", "workflow", "ops-dashboard", "scheduler")
"""The workers with an HTTP port, in the order their URLs are printed."""

DEFAULT_PORTS: Mapping[str, int] = {"api": 8787, "workflow": 8788, "ops-dashboard": 8789, "scheduler": 8790}
"""wrangler dev's first port for the api, then one each for the others."""

CONTROL_NAME = "control"
"""The name the control door's URL line carries."""

DEFAULT_CONTROL_PORT = 8791

READY_LINE = "ready"
_NAME_WIDTH = 15
_ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_SHUTDOWN_GRACE_SECONDS = 5
_PARENT_POLL_SECONDS = 0.5


# ---------------------------------------------------------------------------------------------------------
# Input parsing: --env K=V and .dev.vars files
# ---------------------------------------------------------------------------------------------------------


def parse_env_assignment(text: str) -> tuple[str, str]:
    """``"KEY=VALUE"`` -> ``("KEY", "VALUE")`` (the value may be empty or hold ``=``); :class:`KitError`
    otherwise."""
    key, sep, value = text.partition("=")
    if not sep or not _ENV_KEY.fullmatch(key):
        raise KitError(f"--env expects KEY=VALUE with a name like API_TOKEN, got {text!r}")
    return key, value


_DOUBLE_QUOTE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(raw: str, path: Path, line_no: int) -> str:
    value = raw.strip()
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = value.find(quote, 1)
        while quote == '"' and end > 0 and value[end - 1] == "\\" and not value[:end].endswith("\\\\"):
            end = value.find(quote, end + 1)
        if end < 0:
            raise FileProblem(f"unterminated {quote} quote", path=path, pointer=f"line {line_no}")
        rest = value[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise FileProblem(
                f"unexpected text after the closing quote: {rest!r}", path=path, pointer=f"line {line_no}"
            )
        inner = value[1:end]
        if quote == "'":
            return inner
        return re.sub(r"\\(.)", lambda m: _DOUBLE_QUOTE_ESCAPES.get(m.group(1), "\\" + m.group(1)), inner)
    # Unquoted: an inline comment starts at " #".
    comment = re.search(r"\s#", value)
    return (value[: comment.start()] if comment else value).strip()


def parse_env_file(path: Path) -> dict[str, str]:
    """Read a dotenv file (wrangler's ``.dev.vars``): ``KEY=VALUE`` lines, ``export`` prefixes, ``#`` comments,
    blank lines, single-quoted (literal) and double-quoted (``\\n``-style escapes) values. Later keys win."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileProblem("no such env file", path=path) from None
    except IsADirectoryError:
        raise FileProblem("expected an env file, got a directory", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FileProblem(f"cannot read env file: {exc}", path=path) from None
    values: dict[str, str] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        key, sep, raw = stripped.partition("=")
        key = key.strip()
        if not sep or not _ENV_KEY.fullmatch(key):
            raise FileProblem(f"expected KEY=VALUE, got {line.strip()!r}", path=path, pointer=f"line {line_no}")
        values[key] = _unquote(raw, path, line_no)
    return values


# ---------------------------------------------------------------------------------------------------------
# Sockets and servers
# ---------------------------------------------------------------------------------------------------------


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0 = a free port); :class:`KitError` saying why if not."""
    if not 0 <= port <= 65535:
        raise KitError(f"port {port} is out of range (0-65535; 0 picks a free port)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise KitError(f"cannot resolve host {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise KitError(f"port {port} on {host} is already in use; pick another with the --*-port options") from None
        raise KitError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :func:`serve` (several servers share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29
        return None


def http_implementation() -> Literal["httptools", "h11"]:
    """uvicorn's HTTP/1.1 protocol: ``httptools`` (a C parser, several times cheaper per request) when it is
    installed, else the pure-Python ``h11``."""
    return "httptools" if importlib.util.find_spec("httptools") is not None else "h11"


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """``uvloop.new_event_loop`` when uvloop is installed (not on Windows), else ``None`` (asyncio's loop)."""
    if sys.platform == "win32" or importlib.util.find_spec("uvloop") is None:
        return None
    import uvloop

    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def _server(app: WorkerApp, log_level: str) -> _Server:
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level=log_level,
        access_log=False,
        http=http_implementation(),
        loop="none",  # the loop is the caller's: serve() runs inside it
        timeout_graceful_shutdown=_SHUTDOWN_GRACE_SECONDS,
    )
    return _Server(config)


# ---------------------------------------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------------------------------------


@dataclass
class ServeConfig:
    """Everything ``workerflow-kit serve`` needs, already validated."""

    host: str = "127.0.0.1"
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    env: Mapping[str, str] = field(default_factory=dict)
    project: Path | None = None
    db: Path | None = None
    queue_profile: QueueProfile | None = None
    log_level: str = "info"
    control: bool = False
    control_port: int = DEFAULT_CONTROL_PORT
    virtual_clock: datetime | None = None
    """Start time of a virtual clock; ``None`` runs on the real clock."""
    runtime_factory: Callable[[], Runtime | Awaitable[Runtime]] | None = None
    exit_with_parent: bool = False
    """Stop when the process that started this one goes away (a test runner killed without cleanup)."""


async def serve(config: ServeConfig, *, out: TextIO | None = None, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGINT/SIGTERM (or until ``stop`` is set), then shut down cleanly.

    Prints one ``<worker> <url>`` line per served worker and then ``ready`` to ``out`` (default stdout).
    """
    stream = sys.stdout if out is None else out
    sockets = _bind_all(config)
    runtime: Runtime | None = None
    close_control: Callable[[], None] | None = None
    try:
        runtime = await _start_runtime(config)
        apps = {
            "api": runtime.api_app,
            "workflow": runtime.workflow_app,
            "ops-dashboard": runtime.ops_app,
            "scheduler": runtime.scheduler_app,
        }
        if config.control:
            apps[CONTROL_NAME], close_control = control_app(runtime, _control_secret())
        server_log_level = "debug" if config.log_level == "debug" else "warning"
        servers = {name: _server(apps[name], server_log_level) for name in sockets}
        stop = stop or asyncio.Event()
        watcher = asyncio.get_running_loop().create_task(_watch_parent(stop)) if config.exit_with_parent else None
        try:
            await _run_servers(servers, sockets, runtime, stream, stop)
        finally:
            if watcher is not None:
                watcher.cancel()
    finally:
        if close_control is not None:
            close_control()
        for sock in sockets.values():
            sock.close()
        if runtime is not None:
            await runtime.aclose()


async def _watch_parent(stop: asyncio.Event) -> None:
    # An orphan is re-parented (to init or a subreaper): its parent pid changes. Polling is portable and cheap.
    parent = os.getppid()
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("the process that started serve is gone; stopping")
            stop.set()
            return
        await asyncio.sleep(_PARENT_POLL_SECONDS)


async def _start_runtime(config: ServeConfig) -> Runtime:
    if config.runtime_factory is not None:
        built = config.runtime_factory()
        runtime = await built if inspect.isawaitable(built) else built
        if not isinstance(runtime, Runtime):
            raise KitError(f"the runtime factory returned {type(runtime).__name__}, not a Runtime")
        for directory in ("api", "workflow", "queue-consumer", "scheduler", "ops-dashboard"):
            runtime.env_for(directory).update(config.env)
        return runtime
    virtual = config.virtual_clock is not None
    clock: Clock = VirtualClock(config.virtual_clock) if virtual else SystemClock()
    return await Runtime.start(
        env=dict(config.env),
        project=config.project,
        clock=clock,
        db_path=":memory:" if config.db is None else config.db,
        queue_profile=config.queue_profile,
        # On a virtual clock nothing moves unless told: delivery is the control door's /drain, as in process.
        auto_deliver=not virtual,
    )


def _control_secret() -> str:
    secret = os.environ.get(SECRET_ENV, "").strip()
    if not secret:
        # Whoever started serve by hand needs it to use the door; stderr, so scripts reading stdout are unaffected.
        secret = secrets.token_urlsafe(32)
        print(f"control secret (send it as {SECRET_HEADER}): {secret}", file=sys.stderr, flush=True)
    return secret


def _bind_all(config: ServeConfig) -> dict[str, socket.socket]:
    sockets: dict[str, socket.socket] = {}
    try:
        for name in SERVED_WORKERS:
            sockets[name] = bind_socket(config.host, config.ports.get(name, DEFAULT_PORTS[name]))
        if config.control:
            sockets[CONTROL_NAME] = bind_socket(config.host, config.control_port)
    except BaseException:
        for sock in sockets.values():
            sock.close()
        raise
    return sockets


async def _run_servers(
    servers: Mapping[str, _Server],
    sockets: Mapping[str, socket.socket],
    runtime: Runtime,
    stream: TextIO,
    stop: asyncio.Event,
) -> None:
    loop = asyncio.get_running_loop()
    installed = _install_signal_handlers(loop, stop, list(servers.values()))
    tasks = {name: loop.create_task(server.serve(sockets=[sockets[name]])) for name, server in servers.items()}
    try:
        while not all(server.started for server in servers.values()):
            failed = [name for name, task in tasks.items() if task.done()]
            if failed:
                raise KitError(f"the {failed[0]} server stopped while starting; see the log above")
            await asyncio.sleep(0.01)
        for name in sockets:
            stream.write(f"{name:<{_NAME_WIDTH}}{_url(sockets[name])}\n")
        stream.write(f"{READY_LINE}\n")
        stream.flush()
        settings = runtime.queue.settings
        log.info(
            "queue-consumer: batch %d, timeout %gs, max_retries %d; db %s; cron triggers %s",
            settings.max_batch_size,
            settings.max_batch_timeout,
            settings.max_retries,
            runtime.db.path,
            ", ".join(runtime.cron.triggers) or "none",
        )
        stopped = loop.create_task(stop.wait())
        await asyncio.wait([stopped, *tasks.values()], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
    finally:
        for server in servers.values():
            server.should_exit = True
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        for sig in installed:
            loop.remove_signal_handler(sig)


def _install_signal_handlers(
    loop: asyncio.AbstractEventLoop, stop: asyncio.Event, servers: Iterable[_Server]
) -> list[int]:
    def on_signal() -> None:
        if stop.is_set():  # a second Ctrl-C: stop waiting for open connections
            for server in servers:
                server.force_exit = True
        stop.set()

    installed: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signal support
            continue
        installed.append(sig)
    return installed


def run_serve(config: ServeConfig) -> None:
    """Blocking entry point: configure logging and serve until interrupted."""
    level = config.log_level.upper()
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("workerflow_kit").setLevel(level)
    for noisy in ("httpx", "httpcore"):  # one line per service-binding call otherwise
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger("workerflow_kit").level))
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(serve(config))
