"""The queue consumer (spec 5): runs each queued task through the workflow worker and records the outcome.

For every message of a batch, in order (spec 5.2):

1. upsert the ``runs`` row as ``started`` (spec 10.2; a redelivery keeps the first ``started_at``);
2. ``POST /run-async`` with the task JSON through ``env["WORKFLOW_SERVICE"]``;
3. a 2xx answer: store its body text verbatim as ``output``, mark ``succeeded``, ``ack()``;
4. anything else (a non-2xx answer becomes ``workflow failed: <status> <body>``, and any exception of steps
   1-3): mark the run ``failed``, write a dead letter unless the same trace already has one with the same
   error text (spec 5.4), then ``retry()`` when :func:`is_retryable` says so, else ``ack()``.

No idempotency check happens here, so a redelivery runs the handler again. A database failure inside step 4
is not caught: it escapes :meth:`QueueConsumerWorker.queue` and the queue retries every message of the batch
not yet acked, as Cloudflare does; the same happens for a message without a ``traceId`` (D1 rejects binding
``undefined``). Both are upstream behaviour and kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from workerflow_kit.jscompat.json import js_json_stringify
from workerflow_kit.jscompat.numbers import UNDEFINED
from workerflow_kit.jscompat.regex import js_regex
from workerflow_kit.jscompat.strings import js_lower
from workerflow_kit.runtime.bindings.queue import MessageBatch
from workerflow_kit.runtime.deviations import Deviation
from workerflow_kit.runtime.handlers.context import js_response_text
from workerflow_kit.runtime.workers.base import Env, WorkerContext

__all__ = [
    "DEVIATIONS",
    "NON_RETRYABLE_PATTERNS",
    "RUN_ASYNC_URL",
    "WORKER_NAME",
    "QueueConsumerWorker",
    "WorkflowCallError",
    "is_retryable",
]

WORKER_NAME: Final = "queue-consumer"
RUN_ASYNC_URL: Final = "http://workflow.internal/run-async"

NON_RETRYABLE_PATTERNS: Final[tuple[str, ...]] = (
    "is required",
    "missing required",
    "unauthorized",
    "forbidden",
    "invalid .*credentials",
    "invalid_grant",
    "no .* found in payload",
)
"""Spec 5.3: ECMAScript patterns (no flags) tested against the lowercased error text; a match means the
failure is permanent. Note ``.`` does not cross line terminators."""

DEVIATIONS: tuple[Deviation, ...] = ()
"""The consumer keeps upstream's behaviour everywhere, including its uncaught failure-path errors."""


def is_retryable(error_text: str) -> bool:
    """Whether a failed task should be retried: no pattern of :data:`NON_RETRYABLE_PATTERNS` matches the
    JS-lowercased ``error_text``."""
    normalized = js_lower(error_text)
    return not any(js_regex(pattern).search(normalized) for pattern in NON_RETRYABLE_PATTERNS)


class WorkflowCallError(Exception):
    """The workflow answered a non-2xx status: ``workflow failed: <status> <response body text>``."""


def _prop(task: object, key: str) -> Any:
    """``task[key]`` as JS reads it; reading a property of ``null`` throws, as in JS."""
    if task is None:
        raise TypeError(f"Cannot read properties of null (reading '{key}')")
    return task.get(key, UNDEFINED) if isinstance(task, Mapping) else UNDEFINED


def _nullish(value: Any) -> Any:
    """JS ``value ?? null``."""
    return None if value is UNDEFINED else value


_RUN_START_SQL: Final = """
INSERT INTO runs (trace_id, kind, route_path, schedule_id, status, started_at)
VALUES (?1, ?2, ?3, ?4, 'started', ?5)
ON CONFLICT(trace_id) DO UPDATE SET
  kind = excluded.kind,
  route_path = COALESCE(excluded.route_path, runs.route_path),
  schedule_id = COALESCE(excluded.schedule_id, runs.schedule_id),
  status = 'started',
  finished_at = NULL,
  output = NULL,
  error = NULL
"""
_RUN_SUCCESS_SQL: Final = "UPDATE runs SET status = 'succeeded', finished_at = ?2, output = ?3 WHERE trace_id = ?1"
_RUN_FAILURE_SQL: Final = "UPDATE runs SET status = 'failed', finished_at = ?2, error = ?3 WHERE trace_id = ?1"
_DEAD_LETTER_FIND_SQL: Final = "SELECT id FROM dead_letters WHERE trace_id = ?1 AND error = ?2 LIMIT 1"
_DEAD_LETTER_INSERT_SQL: Final = (
    "INSERT INTO dead_letters (trace_id, payload_json, error, created_at) VALUES (?1, ?2, ?3, ?4)"
)


class QueueConsumerWorker:
    """The consumer of the automation queue: ``await worker.queue(batch, env)``.

    ``env`` needs ``DB`` (a D1 database) and ``WORKFLOW_SERVICE`` (a service binding to the workflow worker).
    Hand it to a queue as ``queue.set_consumer(lambda batch: worker.queue(batch, env))``.
    """

    name = WORKER_NAME

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    def _now(self) -> str:
        return self.context.clock.now_iso()

    async def queue(self, batch: MessageBatch, env: Env) -> None:
        """Process the batch's messages one after another (spec 5.2)."""
        for message in batch.messages:
            task = message.body
            db: Any = env.get("DB")
            try:
                await self._record_start(db, task)
                service: Any = env.get("WORKFLOW_SERVICE")
                response = await service.fetch(
                    "POST",
                    RUN_ASYNC_URL,
                    headers={"content-type": "application/json"},
                    content=js_json_stringify(task),
                )
                text = js_response_text(response)
                if not 200 <= response.status_code <= 299:
                    raise WorkflowCallError(f"workflow failed: {response.status_code} {text}")
                await db.prepare(_RUN_SUCCESS_SQL).bind(_prop(task, "traceId"), self._now(), text).run()
                message.ack()
            except Exception as exc:
                # Deliberately not guarded: a failure here escapes queue() (upstream behaviour, spec 5.2).
                error_text = str(exc)
                trace_id = _prop(task, "traceId")
                await db.prepare(_RUN_FAILURE_SQL).bind(trace_id, self._now(), error_text).run()
                await self._write_dead_letter(db, trace_id, task, error_text)
                if is_retryable(error_text):
                    message.retry()
                else:
                    message.ack()

    async def _record_start(self, db: Any, task: object) -> None:
        await (
            db.prepare(_RUN_START_SQL)
            .bind(
                _prop(task, "traceId"),
                _prop(task, "kind"),
                _nullish(_prop(task, "routePath")),
                _nullish(_prop(task, "scheduleId")),
                self._now(),
            )
            .run()
        )

    async def _write_dead_letter(self, db: Any, trace_id: Any, task: object, error_text: str) -> None:
        existing = await db.prepare(_DEAD_LETTER_FIND_SQL).bind(trace_id, error_text).first()
        if existing and existing.get("id"):
            return
        payload_json = js_json_stringify({} if task is None else task)
        await db.prepare(_DEAD_LETTER_INSERT_SQL).bind(trace_id, payload_json, error_text, self._now()).run()
