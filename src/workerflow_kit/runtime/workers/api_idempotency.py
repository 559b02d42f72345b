"""The api worker's trace-id ledger in D1 (``idempotency_keys``, spec 4.4 and 10.2).

Upstream checks for the key before reading the body and inserts it (``INSERT OR IGNORE``) just before
dispatch; between the two, a concurrent request with the same id also passes the check, so both dispatch.
The reference keeps the check where it is (so every serial outcome is upstream's) and makes the insert the
arbiter: :func:`claim_trace_id` reports whether this request's insert created the row, and a request whose
insert changed nothing lost the race and answers as a duplicate.
"""

from __future__ import annotations

from typing import Final

from workerflow_kit.runtime.bindings.d1 import D1Database

__all__ = ["CHECK_SQL", "INSERT_SQL", "claim_trace_id", "is_duplicate"]

CHECK_SQL: Final = "SELECT trace_id FROM idempotency_keys WHERE trace_id = ?1 LIMIT 1"
INSERT_SQL: Final = "INSERT OR IGNORE INTO idempotency_keys (trace_id, created_at) VALUES (?1, ?2)"


async def is_duplicate(db: D1Database, trace_id: str) -> bool:
    """Whether ``trace_id`` is already recorded (upstream's check: a row with a truthy ``trace_id``)."""
    row = await db.prepare(CHECK_SQL).bind(trace_id).first()
    return isinstance(row, dict) and bool(row.get("trace_id"))


async def claim_trace_id(db: D1Database, trace_id: str, now_iso: str) -> bool:
    """Record ``trace_id`` with ``created_at`` = ``now_iso``; ``True`` iff this call inserted the row."""
    result = await db.prepare(INSERT_SQL).bind(trace_id, now_iso).run()
    return result.meta.changes > 0
