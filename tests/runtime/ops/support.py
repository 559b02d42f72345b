"""Shared helpers for the ops dashboard tests: a whole runtime on a virtual clock, and the consumer's SQL.

Rows come from the real runtime wherever it can produce them (submit through the API, drain the queue,
retry through ops). Rows it cannot produce on demand (a run still ``started``, old or odd timestamps) are
written with the very statements the queue consumer uses.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from workerflow_kit.runtime.bindings.clock import VirtualClock
from workerflow_kit.runtime.bindings.d1 import D1Database
from workerflow_kit.runtime.stack import Runtime

T = TypeVar("T")

START = datetime(2026, 2, 27, 14, 7, 7, 512000, tzinfo=UTC)
START_ISO = "2026-02-27T14:07:07.512Z"
SINCE_ISO = "2026-02-26T14:07:07.512Z"
JSON_TYPE = "application/json; charset=utf-8"
TOKEN = "s3cret"

RUN_START_SQL = """
INSERT INTO runs (trace_id, kind, route_path, schedule_id, status, started_at)
VALUES (?1, ?2, ?3, ?4, 'started', ?5)
ON CONFLICT(trace_id) DO UPDATE SET
  kind = excluded.kind,
  route_path = COALESCE(excluded.route_path, runs.route_path),
  schedule_id = COALESCE(excluded.schedule_id, runs.schedule_id),
  status = 'started', finished_at = NULL, output = NULL, error = NULL
"""
RUN_SUCCESS_SQL = "UPDATE runs SET status = 'succeeded', finished_at = ?2, output = ?3 WHERE trace_id = ?1"
RUN_FAILURE_SQL = "UPDATE runs SET status = 'failed', finished_at = ?2, error = ?3 WHERE trace_id = ?1"
DEAD_LETTER_SQL = "INSERT INTO dead_letters (trace_id, payload_json, error, created_at) VALUES (?1, ?2, ?3, ?4)"


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion (the suite does not use an async pytest plugin)."""
    return asyncio.run(coro)


@dataclass
class Stack:
    """A started runtime with an API client and an ops client."""

    runtime: Runtime
    api: httpx.AsyncClient
    ops: httpx.AsyncClient

    @property
    def db(self) -> D1Database:
        return self.runtime.db

    @property
    def clock(self) -> VirtualClock:
        return self.runtime.virtual_clock

    async def submit(self, route: str, body: Any, trace: str) -> httpx.Response:
        """POST a route through the API worker with a fixed trace id."""
        return await self.api.post(f"/api/{route}", json=body, headers={"x-trace-id": trace})

    async def get_json(self, path: str, **params: Any) -> Any:
        response = await self.ops.get(path, params=params or None)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == JSON_TYPE
        return response.json()


@asynccontextmanager
async def ops_stack(
    env: Mapping[str, object] | None = None,
    worker_env: Mapping[str, Mapping[str, object]] | None = None,
    start: datetime = START,
) -> AsyncIterator[Stack]:
    """The five workers on a virtual clock at ``start`` (crons off: time only moves when a test says so)."""
    runtime = await Runtime.start(env=env, worker_env=worker_env, clock=VirtualClock(start), crons=False)
    api = httpx.AsyncClient(transport=httpx.ASGITransport(runtime.api_app), base_url="http://api.test")
    ops = httpx.AsyncClient(transport=httpx.ASGITransport(runtime.ops_app), base_url="http://ops.test")
    try:
        yield Stack(runtime, api, ops)
    finally:
        await api.aclose()
        await ops.aclose()
        await runtime.aclose()


async def seed_run(  # noqa: PLR0917 - mirrors the consumer's columns
    db: D1Database,
    trace: str,
    kind: str,
    route_path: str | None,
    schedule_id: str | None,
    status: str,
    started_at: str,
    finished_at: str | None = None,
    *,
    output: str | None = None,
    error: str | None = None,
) -> None:
    """A runs row written the consumer's way: start, then success or failure."""
    await db.prepare(RUN_START_SQL).bind(trace, kind, route_path, schedule_id, started_at).run()
    if status == "succeeded":
        await db.prepare(RUN_SUCCESS_SQL).bind(trace, finished_at, output).run()
    elif status == "failed":
        await db.prepare(RUN_FAILURE_SQL).bind(trace, finished_at, error).run()
    elif status != "started":
        await db.prepare("UPDATE runs SET status = ?2 WHERE trace_id = ?1").bind(trace, status).run()


async def seed_dead_letter(db: D1Database, trace: str, task: Any, error: str, created_at: str) -> None:
    """A dead letter as the consumer writes it (``task`` as JSON text unless already a string)."""
    payload = task if isinstance(task, str) else json.dumps(task, separators=(",", ":"))
    await db.prepare(DEAD_LETTER_SQL).bind(trace, payload, error, created_at).run()


def route_task(trace: str, route: str, payload: Any = None, **extra: Any) -> dict[str, Any]:
    """A queue task for a route, as the API would enqueue it."""
    task = {"kind": "http_route", "traceId": trace, "routePath": route, "payload": payload, "enqueuedAt": START_ISO}
    task.update(extra)
    return task


class DirectOps:
    """The ops worker alone over one reusable database, for property tests that need many quick examples.

    :meth:`reset` empties the tables between examples; :meth:`get_json` calls ``fetch`` directly.
    """

    def __init__(self, env: Mapping[str, object] | None = None) -> None:
        from workerflow_kit.contracts.models import builtin_routes, builtin_schedules
        from workerflow_kit.runtime.workers.base import WorkerContext
        from workerflow_kit.runtime.workers.ops_dashboard import OpsDashboardWorker

        self.db = D1Database.open()
        self.clock = VirtualClock(START)
        context = WorkerContext(
            clock=self.clock,
            outbound=httpx.AsyncClient(),
            builtin_routes=builtin_routes(),
            builtin_schedules=builtin_schedules(),
        )
        self.worker = OpsDashboardWorker(context)
        self.env: dict[str, object] = {"ENV_NAME": "dev", "DB": self.db, **(env or {})}

    def reset(self) -> None:
        for table in ("runs", "dead_letters", "replay_lineage"):
            self.db.query(f"DELETE FROM {table}")

    async def fetch(self, method: str, target: str) -> Any:
        from workerflow_kit.runtime.http import Request

        return await self.worker.fetch(Request(method, f"http://ops.test{target}"), self.env)

    async def get_json(self, path: str, **params: Any) -> Any:
        query = httpx.QueryParams(params)
        response = await self.fetch("GET", f"{path}?{query}" if params else path)
        assert response.status == 200, response.text()
        return json.loads(response.body)
