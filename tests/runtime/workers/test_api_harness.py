"""Shared harness for the api worker tests (a module without tests; the other ``test_api*`` modules import it).

The worker runs with real bindings: D1 on in-memory SQLite with the migrations, a real queue on a virtual
clock, and a stub workflow behind a real service binding. Requests travel through the ASGI adapter, so raw
paths, headers and bodies arrive as they would in production.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import httpx

from workerflow_kit.contracts.models import builtin_routes, builtin_schedules
from workerflow_kit.runtime.bindings.clock import VirtualClock
from workerflow_kit.runtime.bindings.d1 import D1Database
from workerflow_kit.runtime.bindings.queue import Queue
from workerflow_kit.runtime.bindings.service import ServiceBinding
from workerflow_kit.runtime.http import Headers, Request, Response, WorkerApp
from workerflow_kit.runtime.workers.api import ApiWorker
from workerflow_kit.runtime.workers.base import WorkerContext

START = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)
START_ISO = "2026-03-01T12:00:00.123Z"
CORS_HEADERS = {
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "content-type, authorization, x-api-token, x-api-key, x-webhook-token, x-trace-id",
    "access-control-max-age": "86400",
    "vary": "origin",
}
JSON_TYPE = "application/json; charset=utf-8"
# Building an SSL context costs ~60 ms; one shared context keeps a fresh outbound client per test cheap.
_SSL_CONTEXT = httpx.create_ssl_context()


@dataclass
class StubWorkflow:
    """Stands in for the workflow worker: records each call, answers with a configurable response."""

    status: int = 200
    body: bytes = b'{"ok":true}'
    content_type: str = "application/json"
    calls: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, status: int, body: str | bytes, content_type: str = "application/json") -> None:
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.content_type = content_type

    def answer_json(self, value: Any, status: int = 200) -> None:
        self.answer(status, json.dumps(value))

    async def fetch(self, request: Request) -> Response:
        self.calls.append(
            {
                "method": request.method,
                "path": request.pathname,
                "content-type": request.headers.get("content-type"),
                "task": json.loads(request.body),
                "raw": request.body,
            }
        )
        return Response(self.status, Headers({"content-type": self.content_type}), self.body)


class ApiHarness:
    """An api worker wired to real bindings; use as ``async with ApiHarness(vars) as h: await h.post(...)``."""

    def __init__(self, env_vars: Mapping[str, object] | None = None) -> None:
        self.clock = VirtualClock(START)
        self.db = D1Database.open()
        self.queue = Queue(clock=self.clock)
        self.workflow = StubWorkflow()
        self.service = ServiceBinding(WorkerApp(self.workflow.fetch, "workflow"))
        self.outbound = httpx.AsyncClient(verify=_SSL_CONTEXT)
        context = WorkerContext(self.clock, self.outbound, builtin_routes(), builtin_schedules())
        self.worker = ApiWorker(context)
        self.env: dict[str, object] = {}
        self.reset(env_vars)
        app = WorkerApp(lambda request: self.worker.fetch(request, self.env), "api")
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api.test")

    def reset(self, env_vars: Mapping[str, object] | None = None) -> None:
        """Start over with these vars: an empty ledger, a fresh queue, a fresh stub (for property tests)."""
        self.db.query("DELETE FROM idempotency_keys")
        self.queue = Queue(clock=self.clock)
        self.workflow.calls.clear()
        self.env.clear()
        self.env.update(
            {"ENV_NAME": "dev", "DB": self.db, "AUTOMATION_QUEUE": self.queue, "WORKFLOW_SERVICE": self.service}
        )
        self.env.update(env_vars or {})

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        content: bytes | str | None = None,
        json_body: Any = None,
    ) -> httpx.Response:
        if json_body is not None:
            content = json.dumps(json_body)
            extra = [("content-type", "application/json")]
            headers = extra + (list(headers.items()) if isinstance(headers, Mapping) else list(headers or []))
        return await self.client.request(method, path, headers=headers, content=content)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    def queued(self) -> list[Any]:
        """Bodies of the messages waiting in the queue, in send order."""
        return [message.body for message in self.queue.pending()]

    def trace_keys(self) -> list[dict[str, Any]]:
        return self.db.query("SELECT trace_id, created_at FROM idempotency_keys ORDER BY rowid")

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.client.aclose()
        await self.outbound.aclose()
        await self.service.aclose()
        self.db.close()


def assert_cors(response: httpx.Response, origin: str = "*") -> None:
    """The five CORS headers of spec 4.2, each exactly once."""
    assert response.headers.get_list("access-control-allow-origin") == [origin]
    for name, value in CORS_HEADERS.items():
        assert response.headers.get_list(name) == [value], name
    assert "access-control-allow-credentials" not in response.headers


def assert_json(response: httpx.Response, status: int, body: Any) -> None:
    """Exact status, exact content type and exact JSON text (key order included)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON_TYPE
    assert response.text == json.dumps(body, separators=(",", ":"), ensure_ascii=False)
