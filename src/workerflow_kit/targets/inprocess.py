"""The reference runtime in this process, behind sync httpx clients: the fastest target, with every capability.

::

    with InProcessTarget() as target:                      # Runtime.start() on a virtual clock, in-memory D1
        response = target.api.post("/api/webhook_echo", json={"hi": 1})
        target.drain()                                     # the consumer runs the task through the workflow
        rows = target.query("SELECT status FROM runs WHERE trace_id = ?", response.json()["traceId"])

The target owns one :class:`asyncio.Runner` (one event loop) for its whole life: the runtime is started on
it, and every request goes through :class:`LoopTransport`, an :class:`httpx.BaseTransport` whose
``handle_request`` runs :class:`httpx.ASGITransport` on that loop and returns a fully read response. So the
clients are plain sync ``httpx.Client`` objects, created once per target (not once per test), and state
such as queued messages or the clock survives between calls as it would in a long-running worker.

``runtime_factory`` is the hook for meta-tests and custom wiring: a callable returning a
:class:`~workerflow_kit.runtime.stack.Runtime` (or an awaitable of one), called on the target's loop. The
default is ``Runtime.start(env=env)``. A factory may break one rule on purpose (replace a worker with a
subclass, wrap a binding) to prove a suite catches it. :func:`load_runtime_factory` resolves the
``module:callable`` text that ``--wf-runtime-factory`` takes.

Capabilities: ``drain_queue``, ``inspect_db``, ``set_env``, ``stub_outbound``, ``trigger_cron``,
``writes_allowed``, and ``clock`` when the runtime runs on a
:class:`~workerflow_kit.runtime.bindings.clock.VirtualClock`. ``stub_outbound`` mocks httpx with respx for the
length of the block (the runtime's outbound client included, as long as it uses httpx's own transport).
When the runtime's api env holds ``API_INGRESS_TOKEN`` (or the ops env ``OPS_DASHBOARD_TOKEN``) at start,
the client sends it, as a deployment's configured client would.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpx

from workerflow_kit.targets.base import (
    Capability,
    OutboundCall,
    OutboundRecorder,
    OutboundStub,
    Target,
    TargetError,
    auth_headers,
)

if TYPE_CHECKING:
    from workerflow_kit.runtime.stack import Runtime

__all__ = ["InProcessTarget", "LoopTransport", "RuntimeFactory", "load_runtime_factory"]

T = TypeVar("T")

RuntimeFactory = Callable[[], "Runtime | Awaitable[Runtime]"]
"""Builds the runtime a target drives; called on the target's event loop."""

_HOSTS = {"api": "api.internal", "ops": "ops.internal", "workflow": "workflow.internal", "scheduler": "scheduler"}


class LoopTransport(httpx.BaseTransport):
    """A sync transport that runs an async transport on a given :class:`asyncio.Runner`'s loop.

    The response body is read on the loop, so the caller gets an ordinary, already-read response.
    """

    def __init__(self, runner: asyncio.Runner, inner: httpx.AsyncBaseTransport) -> None:
        self._runner = runner
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._runner.run(self._handle(request))

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        try:
            content = await response.aread()
        finally:
            await response.aclose()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, extensions=response.extensions
        )

    def close(self) -> None:
        return None  # ASGITransport holds nothing to close


def load_runtime_factory(spec: str) -> RuntimeFactory:
    """Resolve ``"package.module:callable"`` (attributes may be dotted) to a runtime factory."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise TargetError(f"a runtime factory is given as 'module:callable', got {spec!r}")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetError(f"cannot import runtime factory module {module_name!r}: {exc}") from None
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not callable(obj):
        raise TargetError(f"runtime factory {spec!r} is not callable")
    return cast(RuntimeFactory, obj)


async def _default_runtime(env: Mapping[str, object], project: str | Path | None) -> Runtime:
    from workerflow_kit.contracts.project import load_project
    from workerflow_kit.runtime.stack import Runtime

    return await Runtime.start(env=env, project=load_project(project))


class InProcessTarget(Target):
    """The reference :class:`~workerflow_kit.runtime.stack.Runtime` driven in process on its own loop.

    ``runtime_factory``: see the module notes (default ``Runtime.start(env=env)``). ``env``: vars every
    worker sees, and ``project``: a WorkerFlow checkout to run instead of the bundled baseline (its routes,
    schedules, wrangler settings and migrations), both for the default factory only. The runtime starts in the
    constructor and closes with :meth:`close`.
    """

    name = "inprocess"

    def __init__(
        self,
        *,
        runtime_factory: RuntimeFactory | None = None,
        env: Mapping[str, object] | None = None,
        project: str | Path | None = None,
    ) -> None:
        super().__init__()
        if runtime_factory is not None and env is not None:
            raise TargetError("pass env to your runtime factory, not to InProcessTarget, when you give both")
        if runtime_factory is not None and project is not None:
            raise TargetError("pass the project to your runtime factory, not to InProcessTarget, when you give both")
        if runtime_factory is not None and not callable(runtime_factory):
            raise TargetError(f"runtime_factory must be callable, got {type(runtime_factory).__name__}")
        self._runner = asyncio.Runner()
        try:
            self.runtime: Runtime = self._runner.run(self._start(runtime_factory, dict(env or {}), project))
        except BaseException:
            self._runner.close()
            raise
        apps = {
            "api": self.runtime.api_app,
            "ops": self.runtime.ops_app,
            "workflow": self.runtime.workflow_app,
            "scheduler": self.runtime.scheduler_app,
        }
        self._capabilities = self._declare()
        tokens = {
            "api": self.runtime.env_for("api").get("API_INGRESS_TOKEN"),
            "ops": self.runtime.env_for("ops-dashboard").get("OPS_DASHBOARD_TOKEN"),
        }
        for worker, app in apps.items():
            token = tokens.get(worker)
            self._clients[worker] = httpx.Client(
                transport=LoopTransport(self._runner, httpx.ASGITransport(cast(Any, app))),
                base_url=f"http://{_HOSTS[worker]}",
                headers=auth_headers(token if isinstance(token, str) else None),
            )

    async def _start(
        self, factory: RuntimeFactory | None, env: dict[str, object], project: str | Path | None
    ) -> Runtime:
        from workerflow_kit.runtime.stack import Runtime

        if factory is None:
            return await _default_runtime(env, project)
        built = factory()
        runtime = await built if inspect.isawaitable(built) else built
        if not isinstance(runtime, Runtime):
            raise TargetError(f"the runtime factory returned {type(runtime).__name__}, not a Runtime")
        return runtime

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the target's loop (for tests that need the runtime's async API directly)."""
        return self._runner.run(coro)

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self._capabilities

    def _declare(self) -> frozenset[Capability]:
        from workerflow_kit.runtime.bindings.clock import VirtualClock

        caps = {
            Capability.DRAIN_QUEUE,
            Capability.INSPECT_DB,
            Capability.SET_ENV,
            Capability.STUB_OUTBOUND,
            Capability.TRIGGER_CRON,
            Capability.WRITES_ALLOWED,
        }
        if isinstance(self.runtime.clock, VirtualClock):
            caps.add(Capability.CLOCK)
        return frozenset(caps)

    def advance(self, seconds: float) -> None:
        self.require(Capability.CLOCK)
        self._runner.run(self.runtime.advance(seconds))

    def drain(self) -> int:
        self.require(Capability.DRAIN_QUEUE)
        return self._runner.run(self.runtime.drain())

    def query(self, sql: str, *params: object) -> list[dict[str, Any]]:
        self.require(Capability.INSPECT_DB)
        return self.runtime.db.query(sql, *params)

    def set_env(self, worker: str, name: str, value: object | None) -> object | None:
        self.require(Capability.SET_ENV)
        env = self.runtime.env_for(worker)
        previous = env.get(name)
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
        return previous

    @contextmanager
    def stub_outbound(self, stubs: Sequence[OutboundStub]) -> Iterator[OutboundRecorder]:
        self.require(Capability.STUB_OUTBOUND)
        import respx

        answers = [_stub_answer(stub) for stub in stubs]
        recorder = OutboundRecorder()

        def answer(request: httpx.Request) -> httpx.Response:
            call = OutboundCall.of(request.method, str(request.url), request.read())
            recorder.calls.append(call)
            for method, url, response in answers:
                if (method is None or method == call.method) and url == request.url:
                    return response()
            recorder.unmatched.append(call)
            raise httpx.ConnectError(f"outbound call not stubbed: {call.method} {call.url}", request=request)

        with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
            router.route().mock(side_effect=answer)
            yield recorder
        if recorder.unmatched:
            names = ", ".join(f"{call.method} {call.url}" for call in recorder.unmatched)
            raise AssertionError(f"outbound call(s) no stub matched (none reached the network): {names}")

    def _close_resources(self) -> None:
        try:
            self._runner.run(self.runtime.aclose())
        finally:
            self._runner.close()


def _stub_answer(stub: OutboundStub) -> tuple[str | None, httpx.URL, Callable[[], httpx.Response]]:
    """``(method or None, url, a maker of the stubbed response)`` for one stub."""
    if "json" in stub and "text" in stub:
        raise TargetError(f"an outbound stub gives either 'json' or 'text', not both: {dict(stub)!r}")
    method = stub.get("method")
    status = stub.get("status", 200)
    headers = stub.get("headers") or {}
    if not isinstance(status, int) or not isinstance(headers, Mapping):
        raise TargetError(f"an outbound stub's status is an integer and its headers a mapping: {dict(stub)!r}")
    try:
        url = httpx.URL(str(stub["url"]))
    except (KeyError, httpx.InvalidURL) as exc:
        raise TargetError(f"an outbound stub needs an absolute 'url': {dict(stub)!r} ({exc})") from None

    def make() -> httpx.Response:
        pairs = {str(name): str(value) for name, value in headers.items()}
        if "json" in stub:
            return httpx.Response(status, headers=pairs, json=stub["json"])
        return httpx.Response(status, headers=pairs, text=str(stub.get("text", "")))

    return (str(method).upper() if method is not None else None), url, make
