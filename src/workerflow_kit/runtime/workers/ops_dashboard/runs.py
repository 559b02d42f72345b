"""Run ledger endpoints: runs, run-detail, dead-letters and replays (spec 9.5.5-9.5.7, 9.5.9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workerflow_kit.runtime.bindings.d1 import D1Error
from workerflow_kit.runtime.http import Response, json_response
from workerflow_kit.runtime.workers.ops_dashboard import queries
from workerflow_kit.runtime.workers.ops_dashboard.computations import run_duration, to_count
from workerflow_kit.runtime.workers.ops_dashboard.context import ApiCall
from workerflow_kit.runtime.workers.ops_dashboard.params import parse_limit, sanitize_filter

__all__ = ["dead_letters", "replays", "run_detail", "run_item", "runs"]

_FILTERS = (("status", "status"), ("routePath", "route_path"), ("scheduleId", "schedule_id"), ("kind", "kind"))


def run_item(row: Mapping[str, Any]) -> dict[str, Any]:
    """One runs row as the runs list and run-detail show it."""
    return {
        "traceId": row["traceId"],
        "kind": row["kind"],
        "routePath": row["routePath"],
        "scheduleId": row["scheduleId"],
        "status": row["status"],
        "startedAt": row["startedAt"],
        "finishedAt": row["finishedAt"],
        "duration": run_duration(row["startedAt"], row["finishedAt"]),
        "output": row["output"],
        "error": row["error"],
    }


async def runs(call: ApiCall) -> Response:
    """``GET /api/runs``: newest runs, optionally filtered by status, route, schedule and kind (no window)."""
    values = {name: sanitize_filter(call.query.get(name)) for name, _ in _FILTERS}
    limit = parse_limit(call.query.get("limit"))
    active = [(column, value) for name, column in _FILTERS if (value := values[name]) is not None]
    rows = await queries.run_list(call.db, active, limit)
    return json_response({"limit": limit, "filters": values, "runs": [run_item(row) for row in rows]})


async def run_detail(call: ApiCall, trace_id: str) -> Response:
    """``GET /api/run-detail/{traceId}``: the run, its newest dead letter and its replay lineage.

    Deviation ``ops.run-detail.missing-lineage-table``: a failing lineage query reads as no lineage.
    """
    db = call.db
    run = await queries.run_by_trace(db, trace_id)
    if run is None:
        return json_response({"error": "run not found", "traceId": trace_id}, 404)
    dead = await queries.latest_dead_letter(db, trace_id)
    try:
        lineage = await queries.lineage_for_trace(db, trace_id)
    except D1Error:
        lineage = []
    attempts = [
        {
            "parentTraceId": row["parentTraceId"],
            "childTraceId": row["childTraceId"],
            "retryCount": to_count(row["retryCount"]),
            "createdAt": row["createdAt"],
            "childStatus": row["childStatus"],
        }
        for row in lineage
    ]
    return json_response(
        {
            "traceId": trace_id,
            "run": run_item(run),
            "deadLetter": None
            if dead is None
            else {
                "id": dead["id"],
                "payloadJson": dead["payloadJson"],
                "error": dead["error"],
                "createdAt": dead["createdAt"],
            },
            "retries": {
                "parentTraceId": attempts[0]["parentTraceId"] if attempts else trace_id,
                "attempts": attempts,
            },
        }
    )


async def dead_letters(call: ApiCall) -> Response:
    """``GET /api/dead-letters``: newest dead letters, payload left out."""
    limit = parse_limit(call.query.get("limit"))
    rows = await queries.dead_letter_list(call.db, limit)
    return json_response(
        {
            "limit": limit,
            "deadLetters": [
                {"id": row["id"], "traceId": row["traceId"], "createdAt": row["createdAt"], "error": row["error"]}
                for row in rows
            ],
        }
    )


async def replays(call: ApiCall) -> Response:
    """``GET /api/replays``: newest lineage rows grouped by parent; a failing query is a 200 warning."""
    limit = parse_limit(call.query.get("limit"))
    try:
        rows = await queries.replay_rows(call.db, limit)
    except D1Error as exc:
        return json_response({"limit": limit, "chains": [], "warning": f"Replay lineage unavailable: {exc.message}"})
    chains: dict[str, dict[str, Any]] = {}
    for row in rows:
        chain = chains.setdefault(
            row["parentTraceId"],
            {"parentTraceId": row["parentTraceId"], "parentStatus": row["parentStatus"], "attempts": []},
        )
        chain["attempts"].append(
            {
                "childTraceId": row["childTraceId"],
                "sourceDeadLetterId": row["sourceDeadLetterId"],
                "retryCount": to_count(row["retryCount"]),
                "createdAt": row["createdAt"],
                "childStatus": row["childStatus"],
                "childError": row["childError"],
            }
        )
    for chain in chains.values():
        chain["attempts"].sort(key=lambda attempt: attempt["retryCount"])
    return json_response({"limit": limit, "chains": list(chains.values())})
