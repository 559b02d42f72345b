"""What every target offers: httpx clients per worker and a declared set of capabilities.

A :class:`Target` reaches one WorkerFlow runtime, wherever it runs. Suites talk to it through

* ``target.api``, ``target.ops``, ``target.workflow`` (and ``target.scheduler`` when there is one): plain,
  synchronous :class:`httpx.Client` objects, long-lived (one per target, not one per test), with the base
  URL and the worker's credentials already set;
* ``target.capabilities``: a frozenset of :class:`Capability`, the things beyond plain HTTP this target can
  do for a test (move the clock, drain the queue, read D1, change a worker's env, fire a cron event, send
  requests that write). A capability method on a target that lacks it raises :class:`MissingCapability`,
  whose message is the skip reason the pytest plugin shows: ``requires capability 'drain_queue' which target
  'url' lacks``.

Why sync clients: suites are plain pytest functions (no async test runner is needed). The in-process target
gets there with a transport that runs the ASGI call on an event loop the target owns (see
:mod:`workerflow_kit.targets.inprocess`); the network targets simply use sockets.

Capability methods, each guarded by its capability:

=================  ===================================================================================
``advance(s)``      ``clock``: move the runtime's virtual clock (queue timeouts, retries, crons run)
``drain()``         ``drain_queue``: deliver every queued message now, retries included
``query(sql, *a)``  ``inspect_db``: read D1, rows as dicts (``SELECT`` only on network targets)
``set_env(w, k, v)`` ``set_env``: set (``None``: remove) a var in worker ``w``'s live env; returns the old value
``trigger_cron(c)`` ``trigger_cron``: ``GET /__scheduled?cron=<c>`` on the scheduler (wrangler's door)
``stub_outbound(s)`` ``stub_outbound``: answer the workers' outbound HTTP calls from stubs, record them
(none)              ``writes_allowed``: the suites may send requests that store or enqueue something
=================  ===================================================================================

Targets are context managers; :meth:`Target.close` is idempotent. Their ``repr`` and :meth:`Target.describe`
never show a token.
"""

from __future__ import annotations

import abc
import json
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Self

import httpx

from workerflow_kit.errors import KitError

__all__ = [
    "HEALTH_PATHS",
    "WORKERS",
    "Capability",
    "MissingCapability",
    "OutboundCall",
    "OutboundRecorder",
    "Target",
    "TargetError",
    "UnknownCapability",
    "auth_headers",
    "health_problem",
    "parse_capabilities",
    "strip_header_padding",
]

WORKERS = ("api", "ops", "workflow", "scheduler")
"""The HTTP workers a target may reach, by the attribute that holds their client."""


class Capability(StrEnum):
    """What a target can do for a test beyond sending HTTP requests."""

    CLOCK = "clock"
    DRAIN_QUEUE = "drain_queue"
    INSPECT_DB = "inspect_db"
    SET_ENV = "set_env"
    TRIGGER_CRON = "trigger_cron"
    WRITES_ALLOWED = "writes_allowed"
    STUB_OUTBOUND = "stub_outbound"


class TargetError(KitError):
    """A target cannot be built, started or used as asked (a missing URL, a server that did not start)."""


class UnknownCapability(TargetError, ValueError):
    """A capability name that is not one of :class:`Capability` (also a :class:`ValueError`)."""


def parse_capabilities(values: Iterable[Capability | str]) -> tuple[Capability, ...]:
    """Turn names (``"drain_queue"``) or members into :class:`Capability` members; a clear error otherwise."""
    parsed: list[Capability] = []
    for value in values:
        try:
            parsed.append(Capability(value))
        except ValueError:
            known = ", ".join(c.value for c in Capability)
            raise UnknownCapability(f"unknown capability {value!r}; known: {known}") from None
    return tuple(parsed)


class MissingCapability(TargetError):
    """A test asked a target for a capability the target does not declare."""

    def __init__(self, capability: Capability | str, target: str) -> None:
        self.capability = Capability(capability)
        self.target = target
        super().__init__(f"requires capability '{self.capability.value}' which target '{target}' lacks")


@dataclass(frozen=True)
class OutboundCall:
    """One outbound HTTP call a worker made while outbound calls were stubbed.

    ``json`` is the body parsed as JSON, or ``None`` when the body is empty or not JSON (``text`` has it)."""

    method: str
    url: str
    json: object = None
    text: str = ""

    @classmethod
    def of(cls, method: str, url: str, content: bytes) -> OutboundCall:
        text = content.decode("utf-8", errors="replace")
        try:
            parsed: object = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return cls(method=method.upper(), url=url, json=parsed, text=text)


@dataclass
class OutboundRecorder:
    """What :meth:`Target.stub_outbound` yields: every outbound call, in order, and those no stub matched.

    An unmatched call never reaches the network: it fails inside the worker as a connection error, and
    leaving the ``stub_outbound`` block with unmatched calls (and no other error) raises an
    :class:`AssertionError` naming them."""

    calls: list[OutboundCall] = field(default_factory=list)
    unmatched: list[OutboundCall] = field(default_factory=list)


OutboundStub = Mapping[str, object]
"""``{"method"?: "POST", "url": "https://...", "status"?: 200, "headers"?: {...}, "json"?: ... | "text"?: "..."}``:
answers calls to exactly ``url`` (and ``method`` when given) with that status (200 when omitted) and body."""


class Target(abc.ABC):
    """One reachable runtime: sync httpx clients per worker plus declared capabilities.

    Subclasses set :attr:`name`, declare :attr:`capabilities` and build the clients; they override the
    capability methods they declare. Everything else has a default here.
    """

    name: str = "target"
    """Short name shown in skip reasons and reports (``inprocess``, ``served``, ``url``)."""

    def __init__(self) -> None:
        self._clients: dict[str, httpx.Client] = {}
        self._closed = False
        self.run_id = secrets.token_hex(4)
        """Eight hex digits naming this run; every trace id the kit makes carries it (see :meth:`new_trace_id`)."""
        self._trace_serial = 0

    # -- trace ids ----------------------------------------------------------------------------------------

    @property
    def trace_prefix(self) -> str:
        """``wfkit-<run id>-``: operators find (and clean) what a run stored on a live deployment by it."""
        return f"wfkit-{self.run_id}-"

    def new_trace_id(self, label: str = "") -> str:
        """A fresh trace id for this run: the prefix, an optional label, and a serial unique within the run."""
        self._trace_serial += 1
        middle = f"{label}-" if label else ""
        return f"{self.trace_prefix}{middle}{self._trace_serial:06d}"

    # -- capabilities -------------------------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def capabilities(self) -> frozenset[Capability]:
        """What this target can do beyond HTTP."""

    def has(self, *capabilities: Capability | str) -> bool:
        """Whether every named capability is declared."""
        return not self.missing(*capabilities)

    def missing(self, *capabilities: Capability | str) -> list[Capability]:
        """The named capabilities this target lacks, in the order asked."""
        return [c for c in parse_capabilities(capabilities) if c not in self.capabilities]

    def require(self, *capabilities: Capability | str) -> None:
        """Raise :class:`MissingCapability` for the first named capability this target lacks."""
        lacking = self.missing(*capabilities)
        if lacking:
            raise MissingCapability(lacking[0], self.name)

    # -- clients ------------------------------------------------------------------------------------------

    def _client(self, worker: str) -> httpx.Client:
        if self._closed:
            raise TargetError(f"target '{self.name}' is closed")
        client = self._clients.get(worker)
        if client is None:
            raise TargetError(f"target '{self.name}' has no {worker} worker configured{self._hint(worker)}")
        return client

    def _hint(self, worker: str) -> str:
        """A suffix telling the user how to configure ``worker`` (network targets say which option)."""
        return ""

    def has_worker(self, worker: str) -> bool:
        """Whether a client for ``worker`` (``api``, ``ops``, ``workflow``, ``scheduler``) exists."""
        return worker in self._clients

    @property
    def api(self) -> httpx.Client:
        """Client for the api worker (base URL set, ingress token sent as ``authorization: Bearer`` if any)."""
        return self._client("api")

    @property
    def ops(self) -> httpx.Client:
        """Client for the ops dashboard (its token sent as ``authorization: Bearer`` if any)."""
        return self._client("ops")

    @property
    def workflow(self) -> httpx.Client:
        """Client for the workflow worker."""
        return self._client("workflow")

    @property
    def scheduler(self) -> httpx.Client:
        """Client for the scheduler's ``/__scheduled`` door."""
        return self._client("scheduler")

    # -- capability methods (defaults: lacking) -----------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """``clock``: move the virtual clock ``seconds`` forward, running what falls due."""
        self.require(Capability.CLOCK)
        raise NotImplementedError  # pragma: no cover - a target that declares it overrides this

    def drain(self) -> int:
        """``drain_queue``: deliver until the queue is empty; returns the number of batches delivered."""
        self.require(Capability.DRAIN_QUEUE)
        raise NotImplementedError  # pragma: no cover

    def query(self, sql: str, *params: object) -> list[dict[str, Any]]:
        """``inspect_db``: run ``sql`` against D1 and return the rows as dicts."""
        self.require(Capability.INSPECT_DB)
        raise NotImplementedError  # pragma: no cover

    def set_env(self, worker: str, name: str, value: object | None) -> object | None:
        """``set_env``: set ``name`` in ``worker``'s live env (``None`` removes it); the next request sees it.

        Returns the previous value (``None`` when unset), so a test can put it back."""
        self.require(Capability.SET_ENV)
        raise NotImplementedError  # pragma: no cover

    @contextmanager
    def env_changed(self, worker: str, changes: Mapping[str, object | None]) -> Iterator[None]:
        """``set_env`` for the block: set (``None``: unset) each of ``changes``, then put every old value back."""
        previous: list[tuple[str, object | None]] = []
        try:
            for name, value in changes.items():
                previous.append((name, self.set_env(worker, name, value)))
            yield
        finally:
            for name, value in reversed(previous):
                self.set_env(worker, name, value)

    def stub_outbound(self, stubs: Sequence[OutboundStub]) -> AbstractContextManager[OutboundRecorder]:
        """``stub_outbound``: within the block, the workers' outbound HTTP calls are answered by ``stubs``
        (see :data:`OutboundStub`; the first match wins) and recorded; a call no stub matches fails loudly
        and never reaches the network (see :class:`OutboundRecorder`)."""
        self.require(Capability.STUB_OUTBOUND)
        raise NotImplementedError  # pragma: no cover

    def trigger_cron(self, cron: str, *, scheduled_time: datetime | None = None) -> httpx.Response:
        """``trigger_cron``: ``GET /__scheduled?cron=<cron>[&time=<ms>]`` on the scheduler; its response."""
        self.require(Capability.TRIGGER_CRON)
        params: dict[str, str] = {"cron": cron}
        if scheduled_time is not None:
            params["time"] = str(int(scheduled_time.timestamp() * 1000))
        return self.scheduler.get("/__scheduled", params=params)

    # -- description and lifecycle ------------------------------------------------------------------------

    def describe(self) -> dict[str, object]:
        """A token-free summary for reports: name, capabilities and the base URL of each worker."""
        return {
            "target": self.name,
            "capabilities": sorted(c.value for c in self.capabilities),
            "workers": {worker: str(client.base_url) for worker, client in self._clients.items()},
        }

    def __repr__(self) -> str:
        caps = ",".join(sorted(c.value for c in self.capabilities)) if not self._closed else "closed"
        return f"<{type(self).__name__} {self.name!r} [{caps}]>"

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    def close(self) -> None:
        """Close the clients and whatever the target started. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for client in self._clients.values():
            client.close()
        self._close_resources()

    def _close_resources(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Subclass hook: stop what the target started (a runtime, a server). Called once, after the clients."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def strip_header_padding(request: httpx.Request) -> None:
    """A request event hook for network clients: header values go out without leading/trailing blanks.

    Every HTTP hop drops them (RFC 9110 5.5: they are not part of the value) and h11 refuses to send them at
    all, so a suite's padded ``x-trace-id`` reaches a served runtime or a deployment as any client's would.
    Repeated headers keep each of their values, in order.
    """
    items = request.headers.multi_items()
    if all(value == value.strip(" \t") for _, value in items):
        return
    encoding = request.headers.encoding  # values go back out as the bytes they came from, minus the blanks
    request.headers = httpx.Headers([(name, value.strip(" \t")) for name, value in items], encoding=encoding)


HEALTH_PATHS: Mapping[str, str] = {"api": "/api/health", "ops": "/health", "workflow": "/health", "scheduler": "/"}
"""The path each worker answers without side effects: what a reachability probe asks for."""


def health_problem(client: httpx.Client, worker: str) -> str | None:
    """``None`` when ``worker`` answers its health path through ``client`` (any HTTP status counts), else one line
    saying what did not answer: ``the api worker does not answer at <url> (ConnectError: ...)``."""
    path = HEALTH_PATHS.get(worker, "/")
    url = str(client.base_url).rstrip("/") + path  # httpx appends a request path to the base URL's own path
    try:
        client.get(path)
    except (httpx.HTTPError, TargetError) as exc:  # a live transport gives up with a TargetError of its own
        detail = " ".join(str(exc).split()) or "no answer"
        return f"the {worker} worker does not answer at {url} ({type(exc).__name__}: {detail})"
    return None


def auth_headers(token: str | None) -> dict[str, str]:
    """``{"authorization": "Bearer <token>"}`` for a non-blank token, else nothing."""
    if token is None or not token.strip():
        return {}
    return {"authorization": f"Bearer {token.strip()}"}
