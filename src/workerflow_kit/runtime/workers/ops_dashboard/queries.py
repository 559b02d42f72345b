"""The SQL the ops dashboard runs against D1 (spec 10.3: it reads ``runs``, ``dead_letters``,
``replay_lineage`` and writes only ``replay_lineage``).

Every time comparison is a plain string comparison on ISO timestamps. Orderings follow upstream exactly;
where upstream leaves ties to SQLite, so does this module.
"""

from __future__ import annotations

from typing import Any, Final

from workerflow_kit.runtime.bindings.d1 import D1Database
from workerflow_kit.runtime.workers.ops_dashboard.params import sql_text

__all__ = [
    "Row",
    "count_dead_letters_since",
    "cron_detail_rows",
    "dead_letter_list",
    "error_rows_since",
    "insert_lineage",
    "latest_dead_letter",
    "lineage_for_trace",
    "max_retry_count",
    "replay_rows",
    "route_detail_rows",
    "run_by_trace",
    "run_counts_by_route",
    "run_counts_by_schedule",
    "run_list",
    "status_counts_since",
    "timeline_detail_runs",
    "timeline_detail_scopes",
    "timeline_detail_status",
    "timeline_scopes",
    "timeline_status",
    "top_routes_since",
]

Row = dict[str, Any]

_RUN_COLUMNS: Final = (
    "trace_id AS traceId, kind, route_path AS routePath, schedule_id AS scheduleId, status, "
    "started_at AS startedAt, finished_at AS finishedAt, output, error"
)
_COUNT_COLUMNS: Final = (
    "SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS succeeded, "
    "SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, "
    "SUM(CASE WHEN status IN ('started', 'running') THEN 1 ELSE 0 END) AS started, "
    "COUNT(*) AS total"
)
_SCOPE: Final = "COALESCE(NULLIF(route_path, ''), NULLIF(schedule_id, ''), 'unknown')"
_HOUR_BUCKET: Final = "substr(started_at, 1, 13) || ':00:00Z'"
_MINUTE_BUCKET: Final = "substr(started_at, 1, 16) || ':00Z'"


async def _rows(db: D1Database, sql: str, *params: object) -> list[Row]:
    result = await db.prepare(sql).bind(*params).all()
    return result.results


def _bucket_expr(resolution: str) -> str:
    return _MINUTE_BUCKET if resolution == "minute" else _HOUR_BUCKET


# -- summary and catalog ------------------------------------------------------------------------------------


async def status_counts_since(db: D1Database, since: str) -> list[Row]:
    """``{status, count}`` per status of runs started at or after ``since``."""
    return await _rows(db, "SELECT status, COUNT(*) AS count FROM runs WHERE started_at >= ?1 GROUP BY status", since)


async def top_routes_since(db: D1Database, since: str) -> list[Row]:
    """Up to 8 ``{routePath, count}``: busiest non-empty route paths, count desc then route path asc."""
    return await _rows(
        db,
        "SELECT route_path AS routePath, COUNT(*) AS count FROM runs "
        "WHERE started_at >= ?1 AND route_path IS NOT NULL AND route_path != '' "
        "GROUP BY route_path ORDER BY count DESC, route_path ASC LIMIT 8",
        since,
    )


async def count_dead_letters_since(db: D1Database, since: str) -> Row | None:
    """``{count}`` of dead letters created at or after ``since``."""
    row: Row | None = (
        await db.prepare("SELECT COUNT(*) AS count FROM dead_letters WHERE created_at >= ?1").bind(since).first()
    )
    return row


async def run_counts_by_route(db: D1Database, since: str) -> list[Row]:
    """Per non-empty route path: succeeded, failed, started-like and total runs in the window."""
    return await _rows(
        db,
        f"SELECT route_path AS routePath, {_COUNT_COLUMNS} FROM runs "
        "WHERE started_at >= ?1 AND route_path IS NOT NULL AND route_path != '' GROUP BY route_path",
        since,
    )


async def run_counts_by_schedule(db: D1Database, since: str) -> list[Row]:
    """Per non-empty schedule id: succeeded, failed, started-like and total runs in the window."""
    return await _rows(
        db,
        f"SELECT schedule_id AS scheduleId, {_COUNT_COLUMNS} FROM runs "
        "WHERE started_at >= ?1 AND schedule_id IS NOT NULL AND schedule_id != '' GROUP BY schedule_id",
        since,
    )


# -- runs, run detail, dead letters ---------------------------------------------------------------------------


async def run_list(db: D1Database, filters: list[tuple[str, str]], limit: int) -> list[Row]:
    """Runs matching every ``(column, value)`` filter (exact equality), newest ``started_at`` first."""
    clauses = [f"{column} = ?{index}" for index, (column, _) in enumerate(filters, start=1)]
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    params = [sql_text(value) for _, value in filters]
    sql = f"SELECT {_RUN_COLUMNS} FROM runs{where} ORDER BY started_at DESC LIMIT ?{len(params) + 1}"
    return await _rows(db, sql, *params, limit)


async def run_by_trace(db: D1Database, trace_id: str) -> Row | None:
    """The runs row of a trace, or ``None``."""
    row: Row | None = (
        await db.prepare(f"SELECT {_RUN_COLUMNS} FROM runs WHERE trace_id = ?1 LIMIT 1")
        .bind(sql_text(trace_id))
        .first()
    )
    return row


async def latest_dead_letter(db: D1Database, trace_id: str) -> Row | None:
    """The newest (highest id) dead letter of a trace: ``{id, payloadJson, error, createdAt}``."""
    row: Row | None = (
        await db.prepare(
            "SELECT id, payload_json AS payloadJson, error, created_at AS createdAt FROM dead_letters "
            "WHERE trace_id = ?1 ORDER BY id DESC LIMIT 1"
        )
        .bind(sql_text(trace_id))
        .first()
    )
    return row


async def lineage_for_trace(db: D1Database, trace_id: str) -> list[Row]:
    """Lineage rows where the trace is parent or child, with the child's run status (``childStatus``),
    by retry count then creation time. Raises when ``replay_lineage`` does not exist."""
    return await _rows(
        db,
        "SELECT rl.parent_trace_id AS parentTraceId, rl.child_trace_id AS childTraceId, "
        "rl.retry_count AS retryCount, rl.created_at AS createdAt, cr.status AS childStatus "
        "FROM replay_lineage rl LEFT JOIN runs cr ON cr.trace_id = rl.child_trace_id "
        "WHERE rl.parent_trace_id = ?1 OR rl.child_trace_id = ?1 "
        "ORDER BY rl.retry_count ASC, rl.created_at ASC",
        sql_text(trace_id),
    )


async def dead_letter_list(db: D1Database, limit: int) -> list[Row]:
    """Dead letters, newest ``created_at`` first: ``{id, traceId, createdAt, error}``."""
    return await _rows(
        db,
        "SELECT id, trace_id AS traceId, created_at AS createdAt, error FROM dead_letters "
        "ORDER BY created_at DESC LIMIT ?1",
        limit,
    )


# -- lineage ------------------------------------------------------------------------------------------------


async def max_retry_count(db: D1Database, parent_trace_id: str) -> Row | None:
    """``{retryCount}``: the highest ``retry_count`` recorded for a parent, or 0."""
    row: Row | None = (
        await db.prepare(
            "SELECT COALESCE(MAX(retry_count), 0) AS retryCount FROM replay_lineage WHERE parent_trace_id = ?1"
        )
        .bind(sql_text(parent_trace_id))
        .first()
    )
    return row


async def insert_lineage(
    db: D1Database,
    parent_trace_id: str,
    child_trace_id: str,
    *,
    dead_letter_id: object,
    retry_count: int,
    now: str,
) -> None:
    """Record one replay: ``created_at`` and ``last_retry_at`` are both ``now``."""
    await (
        db.prepare(
            "INSERT INTO replay_lineage (parent_trace_id, child_trace_id, source_dead_letter_id, retry_count, "
            "created_at, last_retry_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        )
        .bind(sql_text(parent_trace_id), child_trace_id, dead_letter_id, retry_count, now, now)
        .run()
    )


async def replay_rows(db: D1Database, limit: int) -> list[Row]:
    """Newest lineage rows with parent and child run status and the child's error."""
    return await _rows(
        db,
        "SELECT rl.parent_trace_id AS parentTraceId, rl.child_trace_id AS childTraceId, "
        "rl.source_dead_letter_id AS sourceDeadLetterId, rl.retry_count AS retryCount, "
        "rl.created_at AS createdAt, pr.status AS parentStatus, cr.status AS childStatus, cr.error AS childError "
        "FROM replay_lineage rl "
        "LEFT JOIN runs pr ON pr.trace_id = rl.parent_trace_id "
        "LEFT JOIN runs cr ON cr.trace_id = rl.child_trace_id "
        "ORDER BY rl.created_at DESC LIMIT ?1",
        limit,
    )


# -- route and cron detail -----------------------------------------------------------------------------------

_DETAIL_COLUMNS: Final = "trace_id AS traceId, status, started_at AS startedAt, finished_at AS finishedAt, error"


async def route_detail_rows(db: D1Database, route_path: str) -> list[Row]:
    """The 200 most recent runs of a route path."""
    return await _rows(
        db,
        f"SELECT {_DETAIL_COLUMNS} FROM runs WHERE route_path = ?1 ORDER BY started_at DESC LIMIT 200",
        sql_text(route_path),
    )


async def cron_detail_rows(db: D1Database, schedule_id: str) -> list[Row]:
    """The 200 most recent runs of a schedule id."""
    return await _rows(
        db,
        f"SELECT {_DETAIL_COLUMNS} FROM runs WHERE schedule_id = ?1 ORDER BY started_at DESC LIMIT 200",
        sql_text(schedule_id),
    )


# -- timeline and error clusters ------------------------------------------------------------------------------


async def timeline_status(db: D1Database, since: str, resolution: str) -> list[Row]:
    """``{bucket, status, count}`` for runs in the window, by bucket label ascending."""
    expr = _bucket_expr(resolution)
    return await _rows(
        db,
        f"SELECT {expr} AS bucket, status, COUNT(*) AS count FROM runs WHERE started_at >= ?1 "
        "GROUP BY bucket, status ORDER BY bucket ASC",
        since,
    )


async def timeline_scopes(db: D1Database, since: str, resolution: str) -> list[Row]:
    """``{bucket, scope, count}`` of failed runs in the window, by bucket ascending then count descending."""
    expr = _bucket_expr(resolution)
    return await _rows(
        db,
        f"SELECT {expr} AS bucket, {_SCOPE} AS scope, COUNT(*) AS count FROM runs "
        "WHERE started_at >= ?1 AND status = 'failed' GROUP BY bucket, scope ORDER BY bucket ASC, count DESC",
        since,
    )


async def timeline_detail_status(db: D1Database, start: str, end: str) -> list[Row]:
    """``{status, count}`` of runs started in ``[start, end)``."""
    return await _rows(
        db,
        "SELECT status, COUNT(*) AS count FROM runs WHERE started_at >= ?1 AND started_at < ?2 GROUP BY status",
        start,
        end,
    )


async def timeline_detail_scopes(db: D1Database, start: str, end: str) -> list[Row]:
    """Up to 10 ``{scope, count}`` of failed runs in ``[start, end)``, count desc then scope asc."""
    return await _rows(
        db,
        f"SELECT {_SCOPE} AS scope, COUNT(*) AS count FROM runs "
        "WHERE started_at >= ?1 AND started_at < ?2 AND status = 'failed' "
        "GROUP BY scope ORDER BY count DESC, scope ASC LIMIT 10",
        start,
        end,
    )


async def timeline_detail_runs(db: D1Database, start: str, end: str, limit: int) -> list[Row]:
    """Runs started in ``[start, end)``, newest first, at most ``limit``."""
    return await _rows(
        db,
        "SELECT trace_id AS traceId, kind, route_path AS routePath, schedule_id AS scheduleId, status, "
        "started_at AS startedAt, finished_at AS finishedAt, error FROM runs "
        "WHERE started_at >= ?1 AND started_at < ?2 ORDER BY started_at DESC LIMIT ?3",
        start,
        end,
        limit,
    )


async def error_rows_since(db: D1Database, since: str) -> list[Row]:
    """Up to 1000 most recent failed runs in the window with a non-empty error."""
    return await _rows(
        db,
        "SELECT route_path AS routePath, schedule_id AS scheduleId, error, started_at AS startedAt FROM runs "
        "WHERE started_at >= ?1 AND status = 'failed' AND error IS NOT NULL AND error != '' "
        "ORDER BY started_at DESC LIMIT 1000",
        since,
    )
