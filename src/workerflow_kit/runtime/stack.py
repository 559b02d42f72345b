"""The whole reference runtime in one object: five workers over one D1, one queue, one clock.

::

    async with await Runtime.start() as runtime:          # virtual clock, in-memory D1
        async with httpx.AsyncClient(transport=httpx.ASGITransport(runtime.api_app), base_url="http://api") as c:
            response = await c.post("/api/webhook_echo", json={"hello": "world"})
        await runtime.drain()                             # the consumer runs the task through the workflow
        rows = runtime.db.query("SELECT status FROM runs")

What :meth:`Runtime.start` wires, mirroring the five ``wrangler.jsonc`` files of the project (spec 1.1):

* **D1**: one :class:`~.bindings.d1.D1Database` with the project's migrations; ``:memory:`` or a file.
* **Queue**: one :class:`~.bindings.queue.Queue` named after the project's queue, with the consumer's
  settings (or a named profile); persisted in the same SQLite file when ``db_path`` is a file, so pending
  messages survive a restart as the D1 rows do.
* **Workers** over one :class:`~.workers.base.WorkerContext`; each worker's env is, in this order: its
  wrangler ``vars`` (``ENV_NAME=dev``), the user's ``env``, its bindings as its wrangler facts declare
  (``DB`` for a D1 binding, ``AUTOMATION_QUEUE`` for a queue producer, ``WORKFLOW_SERVICE`` for a service
  binding, one long-lived :class:`~.bindings.service.ServiceBinding` per target worker), then the per-worker
  overrides of ``worker_env`` (which may replace a binding, e.g. with a failing fake).
  Secrets-Store bindings are not created: a secret the user does not provide is simply absent, as a plain
  ``wrangler secret`` that was never set would be (a bound but missing store secret would make the workflow
  fail every request, spec Q23). Pass a value (a string, or a ``SecretsStoreSecret``) in ``env`` or
  ``worker_env`` to provide one.
* **Cron**: a :class:`~.cron_engine.CronEngine` firing the project's trigger crons into the scheduler.

Envs are live dicts: ``runtime.env_for("api")["API_INGRESS_TOKEN"] = "t"`` takes effect on the next request.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, cast
from urllib.parse import parse_qs, urlsplit

import httpx

if TYPE_CHECKING:
    from starlette.types import ASGIApp

from workerflow_kit.contracts.project import Project, load_bundled, load_project
from workerflow_kit.contracts.topology import WorkerFacts
from workerflow_kit.errors import KitError
from workerflow_kit.runtime.bindings.clock import Clock, VirtualClock, from_epoch_us
from workerflow_kit.runtime.bindings.d1 import D1Database
from workerflow_kit.runtime.bindings.queue import BatchResult, Queue, QueueSettings
from workerflow_kit.runtime.bindings.service import DEFAULT_SERVICE_HOST, HeaderInput, ServiceBinding
from workerflow_kit.runtime.cron_engine import CronEngine, CronEvent
from workerflow_kit.runtime.handlers.registry import HandlerRegistry, builtin_registry, load_entry_point_handlers
from workerflow_kit.runtime.http import (
    UNHANDLED_BODY,
    FetchHandler,
    Headers,
    Request,
    Response,
    WorkerApp,
    json_response,
)
from workerflow_kit.runtime.workers.api import ApiWorker
from workerflow_kit.runtime.workers.base import Env, FetchWorker, ScheduledController, WorkerContext
from workerflow_kit.runtime.workers.queue_consumer import QueueConsumerWorker
from workerflow_kit.runtime.workers.scheduler import SchedulerWorker
from workerflow_kit.runtime.workers.workflow import WorkflowWorker

__all__ = ["WORKER_DIRS", "InProcessServiceBinding", "QueueProfile", "Runtime", "RuntimeUsageError", "load_ops_worker"]

log = logging.getLogger("workerflow_kit.runtime.stack")

WORKER_DIRS = ("api", "queue-consumer", "workflow", "scheduler", "ops-dashboard")
"""The five workers, by their upstream directory name (the keys of ``worker_env`` and :meth:`Runtime.env_for`)."""

QueueProfile = Literal["cloudflare", "miniflare"] | QueueSettings

SCHEDULED_PATH = "/__scheduled"
SCHEDULED_OK_BODY = "Ran scheduled event"
_TEXT = {"content-type": "text/plain;charset=UTF-8"}


class RuntimeUsageError(KitError):
    """The runtime cannot be built or driven as asked (unknown worker, virtual-clock call on a real clock)."""


# ---------------------------------------------------------------------------------------------------------
# The ops worker may not be built yet: fall back to a placeholder app
# ---------------------------------------------------------------------------------------------------------

OPS_MODULE = "workerflow_kit.runtime.workers.ops_dashboard"


class _OpsPlaceholder:
    """Stands in for the ops dashboard until its module exists: ``/health`` answers, the rest is 503."""

    name = "ops-dashboard"

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    async def fetch(self, request: Request, env: Env) -> Response:
        if request.pathname == "/health":
            return json_response({"ok": True, "worker": "ops-dashboard"})
        return json_response({"error": "ops dashboard is not available in this build", "worker": "ops-dashboard"}, 503)


def load_ops_worker(context: WorkerContext) -> FetchWorker:
    """The real ``OpsDashboardWorker`` when its module is importable, else a placeholder app."""
    try:
        module = importlib.import_module(OPS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != OPS_MODULE:
            raise
        return _OpsPlaceholder(context)
    worker_class = getattr(module, "OpsDashboardWorker", None)
    if worker_class is None:
        return _OpsPlaceholder(context)
    worker: FetchWorker = worker_class(context)
    return worker


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------


class InProcessServiceBinding(ServiceBinding):
    """A :class:`ServiceBinding` that calls the target worker's ``fetch`` directly instead of going through
    httpx and ASGI: the same request the ASGI adapter would build (method, ``http://<host><path>``, headers,
    body), the same bare 500 when the worker throws, and an already-read :class:`httpx.Response` back.

    The httpx round trip cost about two thirds of each queued message's processing time; this keeps the
    interface (``fetch(method, url_or_path, headers=, content=)``, ``app``, ``host``, ``aclose``) and drops it.
    """

    def __init__(self, app: WorkerApp, handler: FetchHandler, *, host: str = DEFAULT_SERVICE_HOST) -> None:
        """Bind to ``handler`` (the worker's fetch with its env); ``app`` is the same worker served over ASGI."""
        super().__init__(cast("ASGIApp", app), host=host)
        self._handler = handler

    async def fetch(
        self,
        method: str,
        url_or_path: str,
        *,
        headers: HeaderInput | None = None,
        content: bytes | str | None = None,
    ) -> httpx.Response:
        """Call the bound worker in process and return its response (status, headers, body)."""
        body = content.encode("utf-8") if isinstance(content, str) else (content or b"")
        pairs: list[tuple[str, str]] = [("host", self.host)]
        if headers is not None:
            items = headers.multi_items() if isinstance(headers, httpx.Headers) else (
                headers.items() if isinstance(headers, Mapping) else headers)  # fmt: skip
            pairs.extend((name, value) for name, value in items)
        if body:
            pairs.append(("content-length", str(len(body))))
        request = Request(method.upper(), f"http://{self.host}{self.target_path(url_or_path)}", Headers(pairs), body)
        try:
            response = await self._handler(request)
        except Exception:
            log.exception("%s threw while handling %s %s", self.host, request.method, request.url)
            response = Response(500, Headers({"content-type": "text/plain; charset=utf-8"}), UNHANDLED_BODY)
        return read_response(response.status, response.headers.items(), response.body)


def _read_response_slow(status: int, headers: list[tuple[str, str]], body: bytes) -> httpx.Response:
    return httpx.Response(status, headers=headers, content=body)


def _read_response_fast(status: int, headers: list[tuple[str, str]], body: bytes) -> httpx.Response:
    """:func:`_read_response_slow` without httpx's read loop, for bodies no content decoder touches."""
    if any(name.lower() == "content-encoding" for name, _ in headers):
        return _read_response_slow(status, headers, body)
    if body and not any(name.lower() == "content-length" for name, _ in headers):
        headers = [*headers, ("Content-Length", str(len(body)))]  # what Response(content=...) adds
    response = httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))
    # The state Response(content=...) leaves after reading the whole stream through the identity decoder.
    response._content = body
    response.is_stream_consumed = True
    response.is_closed = True
    return response


def _same_response(a: httpx.Response, b: httpx.Response) -> bool:
    return (
        a.status_code == b.status_code
        and a.headers.raw == b.headers.raw
        and a.content == b.content
        and a.is_closed == b.is_closed
        and a.is_stream_consumed == b.is_stream_consumed
        and a.num_bytes_downloaded == b.num_bytes_downloaded
    )


def _pick_read_response() -> Callable[[int, list[tuple[str, str]], bytes], httpx.Response]:
    """The fast builder if it still matches what this httpx version's ``Response(content=...)`` gives."""
    samples: list[tuple[int, list[tuple[str, str]], bytes]] = [
        (200, [("content-type", "application/json; charset=utf-8")], b'{"ok":true}'),
        (204, [], b""),
        (500, [("content-length", "2"), ("x-a", "1"), ("x-a", "2")], b"no"),
    ]
    try:
        if all(_same_response(_read_response_fast(*s), _read_response_slow(*s)) for s in samples):
            return _read_response_fast
    except Exception:  # pragma: no cover - a future httpx without these attributes
        log.debug("httpx.Response internals changed; service bindings use the plain constructor", exc_info=True)
    return _read_response_slow  # pragma: no cover


read_response = _pick_read_response()
"""``httpx.Response(status, headers=headers, content=body)``, already read: the response a service binding
returns. Built without httpx's streaming read when no ``content-encoding`` asks for decoding."""


def _queue_settings(profile: QueueProfile | None, project: Project) -> QueueSettings:
    if isinstance(profile, QueueSettings):
        return profile
    if profile is not None:
        return QueueSettings.profile(profile)
    consumer = project.topology.consumer_settings
    if consumer is None:
        return QueueSettings.cloudflare()
    return QueueSettings.from_wrangler(consumer.model_dump())


def _is_file_path(db_path: str | Path) -> bool:
    text = str(db_path)
    return text != ":memory:" and not text.startswith("file::memory:")


def _text(body: str, status: int = 200) -> Response:
    return Response(status, Headers(_TEXT), body.encode("utf-8"))


# ---------------------------------------------------------------------------------------------------------
# The runtime
# ---------------------------------------------------------------------------------------------------------


class Runtime:
    """Five workers, one D1, one queue, one clock. Create with ``await Runtime.start(...)``; close with
    :meth:`aclose` (or ``async with``)."""

    api_app: WorkerApp
    """The API worker as an ASGI app."""
    workflow_app: WorkerApp
    """The workflow worker as an ASGI app (what ``WORKFLOW_SERVICE`` reaches)."""
    ops_app: WorkerApp
    """The ops dashboard as an ASGI app (a placeholder until the ops worker exists)."""
    scheduler_app: WorkerApp
    """wrangler's ``--test-scheduled`` door: ``GET /__scheduled?cron=<cron>`` runs a cron event now; ``/health``."""

    def __init__(
        self,
        *,
        project: Project,
        clock: Clock,
        db: D1Database,
        queue: Queue,
        handlers: HandlerRegistry,
        outbound: httpx.AsyncClient,
        owns_outbound: bool,
        user_env: Mapping[str, object],
        worker_env: Mapping[str, Mapping[str, object]],
        auto_deliver: bool,
    ) -> None:
        """Wire an already opened D1 and queue; use :meth:`start` instead, which opens them."""
        self.project = project
        self.clock = clock
        self.db = db
        self.queue = queue
        self.handlers = handlers
        self.outbound = outbound
        self._owns_outbound = owns_outbound
        self.auto_deliver = auto_deliver
        self.context = WorkerContext(
            clock=clock,
            outbound=outbound,
            builtin_routes=project.routes,
            builtin_schedules=project.schedules,
        )
        self.api = ApiWorker(self.context)
        self.workflow = WorkflowWorker(self.context, registry=handlers)
        self.consumer = QueueConsumerWorker(self.context)
        self.scheduler = SchedulerWorker(self.context)
        self.ops = load_ops_worker(self.context)

        self.api_app = WorkerApp(lambda request: self.api.fetch(request, self._envs["api"]), "api")
        self.workflow_app = WorkerApp(lambda request: self.workflow.fetch(request, self._envs["workflow"]), "workflow")
        self.ops_app = WorkerApp(lambda request: self.ops.fetch(request, self._envs["ops-dashboard"]), "ops-dashboard")
        self.scheduler_app = WorkerApp(self._scheduler_fetch, "scheduler")

        self._services: dict[str, ServiceBinding] = {}
        self._envs: dict[str, dict[str, object]] = {
            directory: self._build_env(directory, user_env, worker_env.get(directory, {})) for directory in WORKER_DIRS
        }
        consumer_env = self._envs["queue-consumer"]
        queue.set_consumer(lambda batch: self.consumer.queue(batch, consumer_env))
        self.cron = CronEngine(clock, self._trigger_crons(), self._dispatch_cron)
        self._closed = False

    # -- construction -------------------------------------------------------------------------------------

    @classmethod
    async def start(
        cls,
        *,
        env: Mapping[str, object] | None = None,
        project: Project | str | Path | None = None,
        clock: Clock | None = None,
        db_path: str | Path = ":memory:",
        queue_profile: QueueProfile | None = None,
        handlers: HandlerRegistry | None = None,
        outbound: httpx.AsyncClient | None = None,
        worker_env: Mapping[str, Mapping[str, object]] | None = None,
        auto_deliver: bool = False,
        crons: bool | None = None,
    ) -> Runtime:
        """Open D1 and the queue, build the five workers and (optionally) start background delivery.

        ``env``: vars/secrets every worker sees (over its wrangler vars). ``project``: a loaded
        :class:`~workerflow_kit.contracts.project.Project` or a checkout path (default: the bundled baseline).
        ``clock``: default a fresh :class:`VirtualClock`. ``db_path``: ``":memory:"`` or a SQLite file that
        keeps D1 rows *and* pending queue messages across restarts. ``queue_profile``: ``"cloudflare"``,
        ``"miniflare"`` or explicit settings (default: the project's consumer settings). ``handlers``: the
        workflow's registry (default: the built-ins plus installed entry-point handlers). ``outbound``: the
        workers' global ``fetch`` (default: a new client, closed with the runtime). ``worker_env``: per-worker
        overrides keyed by directory (``"api"``, ``"workflow"``, ``"queue-consumer"``, ``"scheduler"``,
        ``"ops-dashboard"``). ``auto_deliver``: let the queue deliver by itself (batch size or timeout) as the
        clock moves. ``crons``: fire the trigger crons automatically (default: always on a virtual clock, where
        time only moves when told; with ``auto_deliver`` on a real clock).
        """
        loaded = _load(project)
        unknown = sorted(set(worker_env or {}) - set(WORKER_DIRS))
        if unknown:
            raise RuntimeUsageError(f"worker_env has unknown worker(s) {unknown}; use {list(WORKER_DIRS)}")
        the_clock: Clock = VirtualClock() if clock is None else clock
        settings = _queue_settings(queue_profile, loaded)
        registry = handlers
        if registry is None:
            registry = builtin_registry()
            load_entry_point_handlers(registry)
        db = D1Database.open(db_path, loaded.migrations_dir)
        try:
            queue = Queue(
                loaded.topology.queue or "workerflow-automation-queue",
                clock=the_clock,
                settings=settings,
                path=str(db_path) if _is_file_path(db_path) else None,
                ledger=isinstance(the_clock, VirtualClock),
            )
        except BaseException:
            db.close()
            raise
        client = outbound if outbound is not None else httpx.AsyncClient(timeout=30.0)
        runtime = cls(
            project=loaded,
            clock=the_clock,
            db=db,
            queue=queue,
            handlers=registry,
            outbound=client,
            owns_outbound=outbound is None,
            user_env=dict(env or {}),
            worker_env=worker_env or {},
            auto_deliver=auto_deliver,
        )
        if auto_deliver:
            queue.start()
        if crons if crons is not None else (isinstance(the_clock, VirtualClock) or auto_deliver):
            runtime.cron.start()
        return runtime

    def _facts(self, directory: str) -> WorkerFacts:
        try:
            return self.project.topology.worker(directory)
        except KeyError:
            log.warning("project %s has no workers/%s; using the baseline's wrangler facts", self.project, directory)
            return load_bundled().topology.worker(directory)

    def _service(self, service_name: str) -> ServiceBinding:
        binding = self._services.get(service_name)
        if binding is None:
            targets: dict[str, tuple[WorkerApp, FetchHandler]] = {
                self._facts("api").name: (self.api_app, lambda r: self.api.fetch(r, self._envs["api"])),
                self._facts("workflow").name: (
                    self.workflow_app,
                    lambda r: self.workflow.fetch(r, self._envs["workflow"]),
                ),
                self._facts("ops-dashboard").name: (
                    self.ops_app,
                    lambda r: self.ops.fetch(r, self._envs["ops-dashboard"]),
                ),
            }
            app, handler = targets.get(service_name, targets[self._facts("workflow").name])
            binding = self._services[service_name] = InProcessServiceBinding(app, handler)
        return binding

    def _build_env(
        self, directory: str, user_env: Mapping[str, object], overrides: Mapping[str, object]
    ) -> dict[str, object]:
        facts = self._facts(directory)
        env: dict[str, object] = dict(facts.vars)
        env.update(user_env)
        for d1 in facts.d1_databases:
            env[d1.binding] = self.db
        for producer in facts.queue_producers:
            env[producer.binding] = self.queue if producer.queue in (self.queue.name, "") else self._other(producer)
        for service in facts.services:
            env[service.binding] = self._service(service.service)
        env.update(overrides)
        return env

    def _other(self, producer: Any) -> Queue:
        return self.queue.registry.get_or_create(producer.queue)

    def _trigger_crons(self) -> tuple[str, ...]:
        return self._facts("scheduler").triggers or self.project.topology.trigger_crons

    # -- envs ---------------------------------------------------------------------------------------------

    def env_for(self, worker: str) -> dict[str, object]:
        """The live env of ``worker`` (directory name such as ``"queue-consumer"``, or ``"ops"``)."""
        key = {"ops": "ops-dashboard", "queue_consumer": "queue-consumer", "consumer": "queue-consumer"}.get(
            worker, worker
        )
        try:
            return self._envs[key]
        except KeyError:
            raise RuntimeUsageError(f"unknown worker {worker!r}; use one of {list(WORKER_DIRS)}") from None

    # -- queue --------------------------------------------------------------------------------------------

    async def deliver(self) -> BatchResult | None:
        """Deliver one batch of ready messages to the consumer now (``None`` when nothing is ready)."""
        return await self.queue.deliver_once()

    async def drain(self, *, max_batches: int = 1_000_000) -> int:
        """Deliver until the queue is empty (retries included; a virtual clock is moved to delayed ones).

        Returns the number of batches delivered.
        """
        return await self.queue.drain(max_batches=max_batches)

    # -- clock and cron -----------------------------------------------------------------------------------

    @property
    def virtual_clock(self) -> VirtualClock:
        """The clock as a :class:`VirtualClock`; :class:`RuntimeUsageError` on a real clock."""
        if not isinstance(self.clock, VirtualClock):
            raise RuntimeUsageError("this runtime runs on a real clock; time cannot be moved")
        return self.clock

    async def advance(self, seconds: float) -> None:
        """Move the virtual clock forward, running queue timeouts, retries and cron events on the way."""
        await self.virtual_clock.advance(seconds)

    async def fire_due_crons(self) -> list[CronEvent]:
        """Fire the trigger crons matching the current minute that have not fired for it yet."""
        return await self.cron.fire_due_crons()

    async def trigger_cron(self, cron: str, scheduled_time: datetime | None = None) -> None:
        """Run one scheduled event for ``cron`` now (any string, as ``wrangler dev --test-scheduled``).

        ``scheduled_time`` defaults to the clock's now. The scheduler's exceptions propagate.
        """
        when = self.clock.now() if scheduled_time is None else scheduled_time
        await self.scheduler.scheduled(ScheduledController(cron=cron, scheduled_time=when), self._envs["scheduler"])

    async def _dispatch_cron(self, controller: ScheduledController) -> None:
        await self.scheduler.scheduled(controller, self._envs["scheduler"])

    async def _scheduler_fetch(self, request: Request) -> Response:
        path = request.pathname
        if path == "/health":
            return json_response({"ok": True, "worker": "scheduler"})
        if path != SCHEDULED_PATH:
            return json_response(
                {"error": "not found", "hint": "the scheduler has no fetch handler; use GET /__scheduled?cron=..."},
                404,
            )
        query = parse_qs(urlsplit(request.url).query, keep_blank_values=True)
        crons = query.get("cron")
        if not crons:
            return _text("missing cron query parameter: /__scheduled?cron=<url-encoded cron>", 400)
        scheduled_time = None
        times = query.get("time")
        if times:
            try:
                scheduled_time = from_epoch_us(int(times[0]) * 1000)
            except (ValueError, OverflowError):
                return _text("time must be milliseconds since the Unix epoch", 400)
        await self.trigger_cron(crons[0], scheduled_time)
        return _text(SCHEDULED_OK_BODY)

    # -- lifecycle ----------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` ran."""
        return self._closed

    async def aclose(self) -> None:
        """Stop background delivery and crons, close service clients, the queue store and D1. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.cron.stop()
            await self.queue.stop()
        finally:
            for binding in self._services.values():
                await binding.aclose()
            if self._owns_outbound:
                await self.outbound.aclose()
            self.queue.registry.close()
            self.db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<Runtime project={self.project.label!r} db={self.db.path!r} clock={self.clock!r}>"


def _load(project: Project | str | Path | None) -> Project:
    if isinstance(project, Project):
        return project
    return load_project(project)
