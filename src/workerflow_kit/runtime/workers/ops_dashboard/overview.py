"""Overview endpoints: meta, extensions, summary and catalog (spec 9.5.1-9.5.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workerflow_kit.contracts.models import parse_js_json
from workerflow_kit.jscompat.json import JsSyntaxError
from workerflow_kit.jscompat.strings import js_trim
from workerflow_kit.runtime.http import Response, json_response
from workerflow_kit.runtime.workers.base import Env
from workerflow_kit.runtime.workers.ops_dashboard import queries
from workerflow_kit.runtime.workers.ops_dashboard.computations import to_count
from workerflow_kit.runtime.workers.ops_dashboard.context import ApiCall, env_name
from workerflow_kit.runtime.workers.ops_dashboard.params import WINDOW_HOURS, window_since

__all__ = ["EXTENSIONS_VAR", "catalog", "extensions", "meta", "read_extensions", "summary"]

EXTENSIONS_VAR = "OPS_DASHBOARD_EXTENSIONS_JSON"
WORKER_NAME = "ops-dashboard"
_COUNT_KEYS = ("succeeded", "failed", "started", "total")


def _is_extension(value: object) -> bool:
    if not isinstance(value, Mapping):
        return False
    for key in ("id", "label"):
        text = value.get(key)
        if not isinstance(text, str) or not js_trim(text):
            return False
    return all(key not in value or isinstance(value[key], str) for key in ("description", "docsUrl"))


def read_extensions(env: Env) -> list[Any]:
    """Valid items of ``OPS_DASHBOARD_EXTENSIONS_JSON``, unmodified; blank, invalid or non-array → ``[]``."""
    raw = env.get(EXTENSIONS_VAR)
    if not raw or not isinstance(raw, str) or not js_trim(raw):
        return []
    try:
        parsed = parse_js_json(raw)
    except JsSyntaxError:
        return []
    if not isinstance(parsed, list):
        return []
    return [item for item in parsed if _is_extension(item)]


async def meta(call: ApiCall) -> Response:
    """``GET /api/meta``."""
    return json_response(
        {
            "env": env_name(call.env),
            "worker": WORKER_NAME,
            "manifestMode": call.manifest.mode,
            "routes": len(call.manifest.routes),
            "schedules": len(call.manifest.schedules),
            "extensions": len(call.extensions),
        }
    )


async def extensions(call: ApiCall) -> Response:
    """``GET /api/extensions``."""
    return json_response({"extensions": call.extensions})


async def summary(call: ApiCall) -> Response:
    """``GET /api/summary``: 24 h run counts by status, dead letters and the busiest routes."""
    db = call.db
    since = window_since(call.now_ms())
    status_rows = await queries.status_counts_since(db, since)
    top_rows = await queries.top_routes_since(db, since)
    dead_row = await queries.count_dead_letters_since(db, since)
    by_status: dict[str, int] = {}
    for row in status_rows:
        by_status[row["status"]] = to_count(row["count"])
    return json_response(
        {
            "windowHours": WINDOW_HOURS,
            "since": since,
            "totalRuns": sum(by_status.values()),
            "succeededRuns": by_status.get("succeeded", 0),
            "failedRuns": by_status.get("failed", 0),
            "startedRuns": by_status.get("started", 0) + by_status.get("running", 0),
            "deadLetters": to_count(None if dead_row is None else dead_row.get("count")),
            "topRoutes": [{"routePath": row["routePath"], "count": to_count(row["count"])} for row in top_rows],
        }
    )


def _counts(row: Mapping[str, Any] | None) -> dict[str, int]:
    if row is None:
        return dict.fromkeys(_COUNT_KEYS, 0)
    return {key: to_count(row[key]) for key in _COUNT_KEYS}


async def catalog(call: ApiCall) -> Response:
    """``GET /api/catalog``: manifest routes and schedules with 24 h counts, and their flows."""
    db = call.db
    since = window_since(call.now_ms())
    route_counts = {row["routePath"]: row for row in await queries.run_counts_by_route(db, since)}
    schedule_counts = {row["scheduleId"]: row for row in await queries.run_counts_by_schedule(db, since)}
    routes = [
        {
            "routePath": route.routePath,
            "requestType": route.requestType,
            "flowPath": route.flowPath,
            "wrapBody": route.wrapBody,
            **_counts(route_counts.get(route.routePath)),
        }
        for route in call.manifest.routes
    ]
    schedules = [
        {
            "id": schedule.id,
            "cron": schedule.cron,
            "target": schedule.target,
            "timeZone": schedule.timeZone,
            "enabled": schedule.enabled,
            **_counts(schedule_counts.get(schedule.id)),
        }
        for schedule in call.manifest.schedules
    ]
    flows: dict[str, dict[str, Any]] = {}
    members: list[dict[str, Any]]
    for members, key_field, id_field, list_name in (
        (routes, "flowPath", "routePath", "httpRoutes"),
        (schedules, "target", "id", "schedules"),
    ):
        for member in members:
            key = str(member[key_field])
            flow = flows.setdefault(
                key, {"flowPath": key, "httpRoutes": [], "schedules": [], **dict.fromkeys(_COUNT_KEYS, 0)}
            )
            flow[list_name].append(member[id_field])
            for count_key in _COUNT_KEYS:
                flow[count_key] += member[count_key]
    ordered = sorted(flows.values(), key=lambda flow: (-flow["failed"], -flow["total"]))
    return json_response(
        {"since": since, "windowHours": WINDOW_HOURS, "routes": routes, "schedules": schedules, "flows": ordered}
    )
