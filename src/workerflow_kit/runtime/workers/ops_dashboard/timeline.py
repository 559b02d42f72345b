"""Time-bucketed endpoints: timeline, timeline-detail and error-clusters (spec 9.5.13-9.5.15)."""

from __future__ import annotations

import functools
import math
from typing import Any, Final

from workerflow_kit.jscompat.dates import MAX_TIME_MS, js_date_parse
from workerflow_kit.runtime.http import Response, json_response
from workerflow_kit.runtime.workers.ops_dashboard import queries
from workerflow_kit.runtime.workers.ops_dashboard.computations import (
    STARTED_LIKE,
    normalize_error,
    run_duration,
    to_count,
)
from workerflow_kit.runtime.workers.ops_dashboard.context import ApiCall
from workerflow_kit.runtime.workers.ops_dashboard.params import parse_limit, sanitize_filter, window_since

__all__ = ["error_clusters", "js_iso_string", "resolution_of", "timeline", "timeline_detail"]

_BUCKET_MS: Final = {"minute": 60_000, "hour": 3_600_000}
_MS_PER_DAY: Final = 86_400_000


def resolution_of(raw: str | None) -> str:
    """``minute`` when the trimmed value is exactly ``minute``, else ``hour``."""
    return "minute" if sanitize_filter(raw) == "minute" else "hour"


def _civil_from_days(days: int) -> tuple[int, int, int]:
    # Proleptic Gregorian date of a day count since 1970-01-01 (any year, unlike datetime).
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if month <= 2 else 0), month, day


def js_iso_string(ms: int) -> str | None:
    """``new Date(ms).toISOString()`` for any JS time value (extended years as ``±YYYYYY``), or ``None`` where
    JavaScript throws ``RangeError`` (beyond ±8.64e15 ms)."""
    if abs(ms) > MAX_TIME_MS:
        return None
    days, rest = divmod(ms, _MS_PER_DAY)
    year, month, day = _civil_from_days(days)
    seconds, millis = divmod(rest, 1000)
    clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{millis:03d}Z"
    shown = f"{year:04d}" if 0 <= year <= 9999 else f"{'-' if year < 0 else '+'}{abs(year):06d}"
    return f"{shown}-{month:02d}-{day:02d}T{clock}"


async def timeline(call: ApiCall) -> Response:
    """``GET /api/timeline``: per hour (or minute) bucket of the 24 h window, status counts and the scope
    with most failures. Only buckets holding runs appear."""
    resolution = resolution_of(call.query.get("bucket"))
    since = window_since(call.now_ms())
    db = call.db
    status_rows = await queries.timeline_status(db, since, resolution)
    scope_rows = await queries.timeline_scopes(db, since, resolution)
    buckets: dict[str, dict[str, Any]] = {}
    for row in status_rows:
        label = row["bucket"]
        bucket = buckets.setdefault(label, {"bucket": label, "succeeded": 0, "failed": 0, "running": 0, "total": 0})
        count = to_count(row["count"])
        status = row["status"]
        if status == "succeeded":
            bucket["succeeded"] += count
        elif status == "failed":
            bucket["failed"] += count
        elif status in STARTED_LIKE:
            bucket["running"] += count
        bucket["total"] += count
    top: dict[str, tuple[str, int]] = {}
    for row in scope_rows:
        top.setdefault(row["bucket"], (row["scope"], to_count(row["count"])))
    items = []
    for label, bucket in buckets.items():
        scope = top.get(label)
        items.append(
            {
                **bucket,
                "topFailureScope": None if scope is None else scope[0],
                "topFailureCount": scope[1] if scope else 0,
            }
        )
    return json_response({"bucket": resolution, "since": since, "buckets": items})


async def timeline_detail(call: ApiCall) -> Response:
    """``GET /api/timeline-detail?bucket=…``: counts, failing scopes and runs of one bucket window.

    Deviation ``ops.timeline-detail.out-of-range-bucket``: a window beyond the JS time range is a 400.
    """
    bucket = sanitize_filter(call.query.get("bucket"))
    if bucket is None:
        return json_response({"error": "bucket query param is required"}, 400)
    resolution = resolution_of(call.query.get("resolution"))
    limit = parse_limit(call.query.get("limit"))
    start_ms = js_date_parse(bucket)
    start = end = None
    if math.isfinite(start_ms):
        start = js_iso_string(int(start_ms))
        end = js_iso_string(int(start_ms) + _BUCKET_MS[resolution])
    if start is None or end is None:
        return json_response({"error": "invalid bucket format", "bucket": bucket}, 400)
    db = call.db
    status_rows = await queries.timeline_detail_status(db, start, end)
    scope_rows = await queries.timeline_detail_scopes(db, start, end)
    run_rows = await queries.timeline_detail_runs(db, start, end, limit)
    by_status = {row["status"]: to_count(row["count"]) for row in status_rows}
    succeeded = by_status.get("succeeded", 0)
    failed = by_status.get("failed", 0)
    running = by_status.get("started", 0) + by_status.get("running", 0)
    return json_response(
        {
            "bucket": bucket,
            "resolution": resolution,
            "window": {"start": start, "end": end},
            "statusCounts": {
                "succeeded": succeeded,
                "failed": failed,
                "running": running,
                "total": succeeded + failed + running,
            },
            "topScopes": [{"scope": row["scope"], "count": to_count(row["count"])} for row in scope_rows],
            "runs": [
                {
                    "traceId": row["traceId"],
                    "kind": row["kind"],
                    "routePath": row["routePath"],
                    "scheduleId": row["scheduleId"],
                    "status": row["status"],
                    "startedAt": row["startedAt"],
                    "duration": run_duration(row["startedAt"], row["finishedAt"]),
                    "error": row["error"],
                }
                for row in run_rows
            ],
        }
    )


def _parse(text: object) -> float:
    return js_date_parse(text) if isinstance(text, str) else math.nan


def _compare_clusters(a: dict[str, Any], b: dict[str, Any]) -> int:
    # Upstream's comparator: latestAt desc (parseable first), then count desc.
    a_ts, b_ts = _parse(a["latestAt"]), _parse(b["latestAt"])
    a_ok, b_ok = math.isfinite(a_ts), math.isfinite(b_ts)
    if a_ok and b_ok and a_ts != b_ts:
        return -1 if b_ts < a_ts else 1
    if b_ok and not a_ok:
        return 1
    if a_ok and not b_ok:
        return -1
    return int(b["count"]) - int(a["count"])


async def error_clusters(call: ApiCall) -> Response:
    """``GET /api/error-clusters``: failed runs of the 24 h window grouped by normalized error."""
    limit = parse_limit(call.query.get("limit"))
    since = window_since(call.now_ms())
    rows = await queries.error_rows_since(call.db, since)
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = groups.setdefault(
            normalize_error(row["error"]),
            {
                "count": 0,
                "sample": row["error"],
                "routePath": row["routePath"],
                "scheduleId": row["scheduleId"],
                "latestAt": row["startedAt"],
            },
        )
        group["count"] += 1
        if not group["latestAt"] or _parse(row["startedAt"]) > _parse(group["latestAt"]):
            group.update(
                latestAt=row["startedAt"], sample=row["error"], routePath=row["routePath"], scheduleId=row["scheduleId"]
            )
    clusters = [
        {
            "key": key,
            "count": group["count"],
            "sample": group["sample"],
            "scope": group["routePath"]
            if group["routePath"] is not None
            else group["scheduleId"]
            if group["scheduleId"] is not None
            else "unknown",
            "latestAt": group["latestAt"],
        }
        for key, group in groups.items()
    ]
    clusters.sort(key=functools.cmp_to_key(_compare_clusters))
    return json_response({"since": since, "clusters": clusters[:limit]})
