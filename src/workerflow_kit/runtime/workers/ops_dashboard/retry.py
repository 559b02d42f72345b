"""``POST /api/retry/{traceId}``: replay a dead letter, and record its lineage (spec 9.5.8, 9.6).

Steps, each with upstream's failure answer: newest dead letter of the trace (404), its ``payload_json`` read
by ``JSON.parse`` (422), the queue-task shape check (422), replay enablement against the ops worker's
manifest and gating vars (409, reasons of spec 3.5). Then the stored task is sent again with a new trace id
and ``enqueuedAt``, every other key kept in its place, and only **after** the send is the lineage row
written: ``retry_count`` = 1 + the parent's current maximum. A failing lineage write (e.g. migration 0002 not
applied) leaves ``retryCount`` null and the retry accepted. Concurrent retries of one parent can compute the
same ``retry_count`` (quirk Q21); the child trace is not marked in ``idempotency_keys``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from workerflow_kit.contracts.models import parse_js_json
from workerflow_kit.contracts.replay import check_task_replay
from workerflow_kit.jscompat.json import JsSyntaxError
from workerflow_kit.runtime.bindings.d1 import D1Database, D1Error
from workerflow_kit.runtime.http import Response, json_response
from workerflow_kit.runtime.workers.ops_dashboard import queries
from workerflow_kit.runtime.workers.ops_dashboard.computations import to_count
from workerflow_kit.runtime.workers.ops_dashboard.context import ApiCall
from workerflow_kit.runtime.workers.ops_dashboard.deviations import StorageFault

__all__ = ["is_queue_task", "record_lineage", "retry"]


def is_queue_task(value: object) -> bool:
    """Upstream's shape check: an object; ``kind`` is ``http_route`` or ``scheduled_job``; ``traceId`` and
    ``enqueuedAt`` non-empty strings; ``routePath`` a string (maybe empty) for route tasks, ``scheduleId`` a
    string for schedule tasks."""
    if not isinstance(value, Mapping):
        return False
    kind = value.get("kind")
    if kind not in ("http_route", "scheduled_job") or not isinstance(kind, str):
        return False
    for key in ("traceId", "enqueuedAt"):
        text = value.get(key)
        if not isinstance(text, str) or not text:
            return False
    required = "routePath" if kind == "http_route" else "scheduleId"
    return isinstance(value.get(required), str)


async def record_lineage(db: D1Database, parent: str, child: str, dead_letter_id: object, now: str) -> int:
    """Write one lineage row and return its ``retry_count`` (raises :class:`D1Error` when it cannot)."""
    row = await queries.max_retry_count(db, parent)
    retry_count = to_count(None if row is None else row.get("retryCount")) + 1
    await queries.insert_lineage(db, parent, child, dead_letter_id=dead_letter_id, retry_count=retry_count, now=now)
    return retry_count


async def retry(call: ApiCall, trace_id: str) -> Response:
    """Replay the newest dead letter of ``trace_id``; 202 with the new trace id and the lineage counter."""
    db = call.db
    dead = await queries.latest_dead_letter(db, trace_id)
    if dead is None:
        return json_response({"error": "dead letter not found", "traceId": trace_id}, 404)
    try:
        task: Any = parse_js_json(dead["payloadJson"])
    except JsSyntaxError:
        return json_response({"error": "dead letter payload is invalid JSON", "traceId": trace_id}, 422)
    if not is_queue_task(task):
        return json_response({"error": "dead letter payload is not a queue task", "traceId": trace_id}, 422)
    decision = check_task_replay(task, call.env, call.manifest)
    if not decision.enabled:
        return json_response({"error": "retry blocked", "traceId": trace_id, "reason": decision.reason}, 409)
    queue = call.queue
    now = call.now_iso()
    child = str(uuid.uuid4())
    replayed = dict(task)
    replayed["traceId"] = child
    replayed["enqueuedAt"] = now
    try:
        await queue.send(replayed)
    except Exception as exc:
        raise StorageFault("queue", f"queue send failed: {exc}") from exc
    retry_count: int | None
    try:
        retry_count = await record_lineage(db, trace_id, child, dead["id"], now)
    except D1Error:
        retry_count = None
    return json_response(
        {
            "accepted": True,
            "retriedFromTraceId": trace_id,
            "deadLetterId": dead["id"],
            "originalCreatedAt": dead["createdAt"],
            "newTraceId": child,
            "retryCount": retry_count,
        },
        202,
    )
