"""Manifest item endpoints: route-detail, cron-detail and cron-run (spec 9.5.10-9.5.12)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from workerflow_kit.contracts.manifest import find_enabled_schedule, find_route, find_schedule
from workerflow_kit.runtime.http import Response, json_response
from workerflow_kit.runtime.workers.ops_dashboard import queries
from workerflow_kit.runtime.workers.ops_dashboard.computations import (
    STARTED_LIKE,
    duration_ms,
    format_duration,
    normalize_error,
    p95_ms,
    run_duration,
)
from workerflow_kit.runtime.workers.ops_dashboard.context import ApiCall
from workerflow_kit.runtime.workers.ops_dashboard.deviations import StorageFault
from workerflow_kit.runtime.workers.ops_dashboard.next_run import estimate_next_run, next_fire_at

__all__ = ["MANUAL_TRIGGER", "cron_detail", "cron_run", "route_detail"]

MANUAL_TRIGGER = "manual_ops_dashboard"
_RECENT = 50
_CLUSTERS = 8


def _first_with(rows: Sequence[Mapping[str, Any]], status: str) -> Mapping[str, Any] | None:
    return next((row for row in rows if row["status"] == status), None)


def _metrics(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    durations = [ms for row in rows if (ms := duration_ms(row["startedAt"], row["finishedAt"])) is not None]
    return {
        "total": len(rows),
        "succeeded": sum(1 for row in rows if row["status"] == "succeeded"),
        "failed": sum(1 for row in rows if row["status"] == "failed"),
        "started": sum(1 for row in rows if row["status"] in STARTED_LIKE),
        "p95Duration": format_duration(p95_ms(durations)),
    }


def _recent(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "traceId": row["traceId"],
            "status": row["status"],
            "startedAt": row["startedAt"],
            "duration": run_duration(row["startedAt"], row["finishedAt"]),
        }
        for row in rows[:_RECENT]
    ]


def _clusters(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        error = row["error"]
        if row["status"] != "failed" or not error:
            continue
        group = groups.setdefault(normalize_error(error), {"count": 0, "sample": error})
        group["count"] += 1
    ordered = sorted(groups.items(), key=lambda item: -item[1]["count"])
    return [{"key": key, "count": group["count"], "sample": group["sample"]} for key, group in ordered[:_CLUSTERS]]


async def route_detail(call: ApiCall, route_path: str) -> Response:
    """``GET /api/route-detail/{routePath}``: the manifest route (gating ignored) with metrics over its 200
    most recent runs, error clusters and the 50 most recent runs."""
    route = find_route(call.manifest, route_path)
    if route is None:
        return json_response({"error": "route not found", "routePath": route_path}, 404)
    rows = await queries.route_detail_rows(call.db, route_path)
    last_success = _first_with(rows, "succeeded")
    last_failure = _first_with(rows, "failed")
    metrics = _metrics(rows)
    metrics["lastSuccessAt"] = None if last_success is None else last_success["startedAt"]
    metrics["lastFailureAt"] = None if last_failure is None else last_failure["startedAt"]
    return json_response(
        {"route": route.as_json(), "metrics": metrics, "errorClusters": _clusters(rows), "recentRuns": _recent(rows)}
    )


async def cron_detail(call: ApiCall, schedule_id: str) -> Response:
    """``GET /api/cron-detail/{scheduleId}``: the manifest schedule (disabled ones too) with metrics over
    its 200 most recent runs, upstream's ``nextRunAt`` estimate and the kit's ``nextFireAt``.

    Deviation ``ops.cron-detail.invalid-time-zone``: an unknown time zone raises
    :class:`~.deviations.InvalidTimeZoneError` (400) where upstream crashes.
    """
    schedule = find_schedule(call.manifest, schedule_id)
    if schedule is None:
        return json_response({"error": "schedule not found", "scheduleId": schedule_id}, 404)
    rows = await queries.cron_detail_rows(call.db, schedule_id)
    now_ms = call.now_ms()
    next_run = estimate_next_run(schedule.cron, schedule.timeZone, now_ms)
    last_success = _first_with(rows, "succeeded")
    last_failure = _first_with(rows, "failed")
    metrics = _metrics(rows)
    metrics["lastRunAt"] = rows[0]["startedAt"] if rows else None
    metrics["lastSuccessAt"] = None if last_success is None else last_success["startedAt"]
    metrics["lastFailureAt"] = None if last_failure is None else last_failure["startedAt"]
    metrics["lastFailureError"] = None if last_failure is None else last_failure["error"]
    metrics["nextRunAt"] = next_run
    metrics["nextFireAt"] = next_fire_at(schedule.cron, now_ms)
    return json_response({"schedule": schedule.as_json(), "metrics": metrics, "recentRuns": _recent(rows)})


async def cron_run(call: ApiCall, schedule_id: str) -> Response:
    """``POST /api/cron-run/{scheduleId}``: enqueue one run of an enabled schedule now (202)."""
    schedule = find_enabled_schedule(call.manifest, schedule_id)
    if schedule is None:
        return json_response({"error": "unknown or disabled schedule", "scheduleId": schedule_id}, 404)
    queue = call.queue
    now = call.now_iso()
    trace_id = str(uuid.uuid4())
    task = {
        "kind": "scheduled_job",
        "traceId": trace_id,
        "scheduleId": schedule.id,
        "payload": {
            "target": schedule.target,
            "cron": schedule.cron,
            "timeZone": schedule.timeZone,
            "scheduledTime": now,
            "trigger": MANUAL_TRIGGER,
        },
        "enqueuedAt": now,
    }
    try:
        await queue.send(task)
    except Exception as exc:
        raise StorageFault("queue", f"queue send failed: {exc}") from exc
    return json_response(
        {
            "accepted": True,
            "traceId": trace_id,
            "scheduleId": schedule.id,
            "enqueuedAt": now,
            "trigger": MANUAL_TRIGGER,
        },
        202,
    )
