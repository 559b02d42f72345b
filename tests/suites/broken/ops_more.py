"""More ops dashboards with exactly one rule broken: retry refusals, timelines, secrets-health.

Same shape as :mod:`tests.suites.broken.ops` (whose helpers these reuse): each factory starts the reference
:class:`Runtime` and installs, as ``runtime.ops``, a subclass of the ops worker that changes one kind of answer.
:data:`BROKEN` maps each factory to the check ids that must catch it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tests.suites.broken.ops import BrokenOps, _endpoint, _query, _with_ops
from tests.suites.broken.responses import json_body, with_body
from workerflow_kit.runtime.http import Request, Response
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.runtime.workers.base import Env

GATING_VARS = ("ENABLED_HTTP_ROUTES", "DISABLED_HTTP_ROUTES")
TASK_KINDS = ("http_route", "scheduled_job")


class RetryIgnoresGating(BrokenOps):
    """Retry judges replay enablement without the ops worker's gating variables (only the manifest counts)."""

    async def fetch(self, request: Request, env: Env) -> Response:
        if _endpoint(request) == "/api/retry":
            env = {name: value for name, value in env.items() if name not in GATING_VARS}
        return await super().fetch(request, env)


async def retry_ignores_gating() -> Runtime:
    return await _with_ops(RetryIgnoresGating)


class RetryShapeIgnoresKind(BrokenOps):
    """The queue-task shape check lets any ``kind`` through: replay enablement then refuses it with 409."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        body = json_body(response)
        if response.status != 422 or not isinstance(body, dict):
            return response
        if body.get("error") != "dead letter payload is not a queue task":
            return response
        rows = self.runtime.db.query(
            "SELECT payload_json FROM dead_letters WHERE trace_id = ? ORDER BY id DESC LIMIT 1", body["traceId"]
        )
        task: Any = json.loads(rows[0]["payload_json"]) if rows else None
        if isinstance(task, dict) and isinstance(task.get("kind"), str) and task["kind"] not in TASK_KINDS:
            reason = f'task kind "{task["kind"]}" is not supported'
            return with_body(response, {"error": "retry blocked", "traceId": body["traceId"], "reason": reason}, 409)
        return response


async def retry_shape_ignores_kind() -> Runtime:
    return await _with_ops(RetryShapeIgnoresKind)


class TimelineFailedAsSucceeded(BrokenOps):
    """``/api/timeline`` counts failed runs as succeeded (and so names no failing scope)."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        body = json_body(response)
        if _endpoint(request) != "/api/timeline" or not isinstance(body, dict) or not body.get("buckets"):
            return response
        buckets = [
            {
                **item,
                "succeeded": item["succeeded"] + item["failed"],
                "failed": 0,
                "topFailureScope": None,
                "topFailureCount": 0,
            }
            for item in body["buckets"]
        ]
        return with_body(response, {**body, "buckets": buckets})


async def timeline_failed_as_succeeded() -> Runtime:
    return await _with_ops(TimelineFailedAsSucceeded)


class TimelineDetailMinuteIsHour(BrokenOps):
    """``/api/timeline-detail?resolution=minute`` answers the hour window (still saying ``minute``)."""

    async def fetch(self, request: Request, env: Env) -> Response:
        if _endpoint(request) != "/api/timeline-detail" or _query(request).get("resolution", "").strip() != "minute":
            return await super().fetch(request, env)
        parts = urlsplit(request.url)
        query = urlencode([(name, "hour" if name == "resolution" else value) for name, value in parse_qsl(parts.query)])
        hourly = Request(request.method, urlunsplit(parts._replace(query=query)), request.headers, request.body)
        response = await super().fetch(hourly, env)
        body = json_body(response)
        if isinstance(body, dict) and body.get("resolution") == "hour":
            return with_body(response, {**body, "resolution": "minute"})
        return response


async def timeline_detail_minute_is_hour() -> Runtime:
    return await _with_ops(TimelineDetailMinuteIsHour)


class SecretsHealthUnavailable503(BrokenOps):
    """``/api/secrets-health`` answers 503 when the workflow's health is unavailable (spec: always 200)."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        body = json_body(response)
        if _endpoint(request) == "/api/secrets-health" and isinstance(body, dict) and body.get("available") is False:
            return with_body(response, body, 503)
        return response


async def secrets_health_unavailable_503() -> Runtime:
    return await _with_ops(SecretsHealthUnavailable503)


class SecretsHealthAlwaysOk(BrokenOps):
    """``/api/secrets-health`` says ``ok: true`` whatever errors the workflow reports."""

    async def rewrite(self, request: Request, env: Env, response: Response) -> Response:
        body = json_body(response)
        if _endpoint(request) == "/api/secrets-health" and isinstance(body, dict) and body.get("available") is True:
            return with_body(response, {**body, "ok": True})
        return response


async def secrets_health_always_ok() -> Runtime:
    return await _with_ops(SecretsHealthAlwaysOk)


BROKEN: dict[str, tuple[str, frozenset[str]]] = {
    # factory: (the check that names the broken rule, every check that must fail against it)
    "retry_ignores_gating": ("ops.retry-blocked-409", frozenset({"ops.retry-blocked-409"})),
    "retry_shape_ignores_kind": ("ops.retry-invalid-payload-422", frozenset({"ops.retry-invalid-payload-422"})),
    "timeline_failed_as_succeeded": ("ops.timeline-buckets", frozenset({"ops.timeline-buckets"})),
    "timeline_detail_minute_is_hour": ("ops.timeline-detail-window", frozenset({"ops.timeline-detail-window"})),
    "secrets_health_unavailable_503": (
        "ops.secrets-health-unavailable",
        frozenset({"ops.secrets-health-unavailable"}),
    ),
    "secrets_health_always_ok": ("ops.secrets-health-shape", frozenset({"ops.secrets-health-shape"})),
}
"""Factory name -> (the check named after the broken rule, exactly the checks that must fail; the rest pass)."""
