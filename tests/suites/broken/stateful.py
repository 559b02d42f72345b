"""Reference runtimes with one stateful rule broken, for the stateful meta-test.

``--wf-runtime-factory=tests.suites.broken.stateful:<name>``. Each factory starts the reference
:class:`Runtime` and breaks one rule from the outside: a subclass of one worker put in the runtime's place, a
wrapper around one binding in one worker's env, or other queue settings. The runtime's own code is never
patched, so nothing leaks into other tests. :data:`BROKEN` maps each factory to the check id that must name
it (the stateful checks may catch a fault through more than one rule; that one must be among them).
"""

from __future__ import annotations

import json
from typing import Any

from workerflow_kit.runtime.bindings.queue import MessageBatch, QueueSettings
from workerflow_kit.runtime.http import Request, Response
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.runtime.workers.api import ApiWorker
from workerflow_kit.runtime.workers.base import Env, FetchWorker
from workerflow_kit.runtime.workers.queue_consumer import QueueConsumerWorker

# ------------------------------------------------------------------------------------------ the consumer


class _NoDedupeConsumer(QueueConsumerWorker):
    """Writes a dead letter for every failure, even when the trace already has one with the same error."""

    async def _write_dead_letter(self, db: Any, trace_id: Any, task: object, error_text: str) -> None:
        payload_json = json.dumps({} if task is None else task, separators=(",", ":"), ensure_ascii=False)
        await (
            db.prepare("INSERT INTO dead_letters (trace_id, payload_json, error, created_at) VALUES (?1, ?2, ?3, ?4)")
            .bind(trace_id, payload_json, error_text, self._now())
            .run()
        )


async def dead_letters_not_deduped() -> Runtime:
    """Identical failures of one trace leave one dead-letter row each."""
    runtime = await Runtime.start()
    runtime.consumer = _NoDedupeConsumer(runtime.context)
    return runtime


class _AckingMessage:
    """A delivered message whose ``retry()`` acks instead."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.id = inner.id
        self.body = inner.body
        self.attempts = inner.attempts
        self.timestamp = inner.timestamp

    def ack(self) -> None:
        self.inner.ack()

    def retry(self, delay_seconds: float | None = None) -> None:
        self.inner.ack()


class _AckingBatch:
    def __init__(self, batch: MessageBatch) -> None:
        self.queue = batch.queue
        self.messages = tuple(_AckingMessage(message) for message in batch.messages)


class _RetryAckingConsumer(QueueConsumerWorker):
    """Acks a failed message whatever its error text: retryable failures are never delivered again."""

    async def queue(self, batch: MessageBatch, env: Env) -> None:
        await super().queue(_AckingBatch(batch), env)  # type: ignore[arg-type]


async def retryable_error_acked() -> Runtime:
    """The consumer acks a retryable failure instead of retrying it."""
    runtime = await Runtime.start()
    runtime.consumer = _RetryAckingConsumer(runtime.context)
    return runtime


async def attempts_off_by_one() -> Runtime:
    """The queue gives up after max_retries deliveries instead of max_retries + 1 (7 retries where 8 are declared)."""
    declared = QueueSettings.cloudflare()
    settings = QueueSettings(
        max_batch_size=declared.max_batch_size,
        max_batch_timeout=declared.max_batch_timeout,
        max_retries=declared.max_retries - 1,
        dead_letter_queue=None,
    )
    return await Runtime.start(queue_profile=settings)


# ------------------------------------------------------------------------------------------ the api


class _SyncForgetsApi(ApiWorker):
    """Forgets the trace id of a sync route before handling it, so a repeated id runs again."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime.context)
        self.runtime = runtime

    async def fetch(self, request: Request, env: Env) -> Response:
        trace = request.headers.get("x-trace-id")
        if request.method == "POST" and request.pathname == "/api/lead_normalizer" and trace and trace.strip():
            await self.runtime.db.prepare("DELETE FROM idempotency_keys WHERE trace_id = ?1").bind(trace.strip()).run()
        return await super().fetch(request, env)


async def sync_duplicates_not_detected() -> Runtime:
    """A repeated trace id on a sync route is executed again (200 with a result) instead of a 202 duplicate."""
    runtime = await Runtime.start()
    runtime.api = _SyncForgetsApi(runtime)
    return runtime


# ------------------------------------------------------------------------------------------ the ops dashboard


class _LineageDb:
    """The ops worker's D1 with the parent's maximum retry_count always read as 0."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def prepare(self, sql: str) -> Any:
        if "MAX(retry_count)" in sql:
            sql = sql.replace("COALESCE(MAX(retry_count), 0)", "0 * COALESCE(MAX(retry_count), 0)")
        return self.inner.prepare(sql)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def lineage_not_incremented() -> Runtime:
    """Every ops retry records retry_count 1, however often the parent was retried before."""
    runtime = await Runtime.start()
    env = runtime.env_for("ops")
    env["DB"] = _LineageDb(env["DB"])
    return runtime


class _SummaryOffByOne:
    """The ops worker with ``totalRuns`` of ``/api/summary`` one too high."""

    def __init__(self, inner: FetchWorker) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "ops-dashboard")

    async def fetch(self, request: Request, env: Env) -> Response:
        response = await self.inner.fetch(request, env)
        if request.pathname != "/api/summary" or response.status != 200:
            return response
        body = json.loads(response.body)
        body["totalRuns"] += 1
        return Response(response.status, response.headers.copy(), json.dumps(body).encode("utf-8"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def summary_off_by_one() -> Runtime:
    """GET /api/summary reports one run more than the database holds."""
    runtime = await Runtime.start()
    runtime.ops = _SummaryOffByOne(runtime.ops)
    return runtime


BROKEN: dict[str, str] = {
    # factory: the check that names the broken rule
    "dead_letters_not_deduped": "stateful.dead-letters-deduped",
    "retryable_error_acked": "stateful.attempts-match-plan",
    "attempts_off_by_one": "stateful.attempts-match-plan",
    "sync_duplicates_not_detected": "stateful.responses-match-model",
    "lineage_not_incremented": "stateful.lineage-consistent",
    "summary_off_by_one": "stateful.ops-counts-equal-db",
}
