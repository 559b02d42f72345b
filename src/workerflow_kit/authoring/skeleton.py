"""Fixture skeletons filled from a real run on the reference runtime (in process, on a virtual clock).

:func:`record_route` sends ``POST /api/<route>`` once and once more with the same trace id, and writes down what
came back: the status and body fields of both answers, the task the first one queued (or ``null``), whether the
workflow ran inline, and, for a queued task, the run it ended in. :func:`record_schedule` fires the schedule's
cron once at a given time and writes down the tasks the event enqueued, in order.

What depends on the moment or on chance is left out, so the skeleton passes again on the next run: strings that
are ISO timestamps or UUIDs (``queuedAt``, ``processedAt``, a generated trace id). The actual trace id sent is
written back as the fixture's own (see :mod:`.traces`). Review a skeleton before committing it: it records what
the runtime does, not what it should do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, Final

from workerflow_kit.authoring.observe import watch_workflow_calls
from workerflow_kit.authoring.traces import TRACE_HEADER, swap
from workerflow_kit.contracts.manifest import find_schedule, resolve_manifest
from workerflow_kit.contracts.schemas import validate_document
from workerflow_kit.errors import KitError
from workerflow_kit.jscompat.dates import to_iso_string
from workerflow_kit.live.errors import NotObserved
from workerflow_kit.live.polling import wait_for_run
from workerflow_kit.targets.inprocess import InProcessTarget, RuntimeFactory

__all__ = ["DEFAULT_EVENT_TIME", "record_route", "record_schedule"]

DEFAULT_EVENT_TIME: Final = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
_VOLATILE: Final = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
_RUN_TIMEOUT: Final = 10.0


def _steady(value: Any) -> Any:
    """``value`` without the object fields whose values are timestamps or UUIDs (they change every run)."""
    if isinstance(value, dict):
        return {k: _steady(v) for k, v in value.items() if not (isinstance(v, str) and _VOLATILE.match(v))}
    if isinstance(value, list):
        return [_steady(item) for item in value]
    return value


def _target(env: Mapping[str, str], factory: RuntimeFactory | None) -> InProcessTarget:
    return InProcessTarget(runtime_factory=factory) if factory is not None else InProcessTarget(env=env)


def _checked(document: dict[str, Any], kind: str) -> dict[str, Any]:
    findings = validate_document(document, f"{kind}-fixture")
    if findings:  # a recorded value the schema cannot hold (e.g. NaN); say where instead of writing a bad file
        raise KitError("the recorded fixture does not fit its schema: " + "; ".join(map(str, findings)))
    return document


def record_route(
    route: str, payload: Any, *, env: Mapping[str, str] | None = None, runtime_factory: RuntimeFactory | None = None
) -> dict[str, Any]:
    """A route fixture for ``POST /api/<route>`` with ``payload``, filled from the reference runtime."""
    env = dict(env or {})
    fixture_trace = f"fixture-{route}"
    with _target(env, runtime_factory) as target, watch_workflow_calls(target) as seen:
        trace = target.new_trace_id(fixture_trace)
        headers = {"content-type": "application/json", TRACE_HEADER: fixture_trace}
        blocks: list[dict[str, Any]] = []
        for _ in range(2):
            mark = seen.mark()
            response = target.api.post(f"/api/{route}", json=payload, headers={**headers, TRACE_HEADER: trace})
            target.drain()
            block: dict[str, Any] = {"status": response.status_code}
            with suppress(ValueError):  # a body that is not JSON gets no bodyFields
                block["bodyFields"] = _steady(response.json())
            queued = seen.queued(mark, trace)
            block["task"] = (
                {k: v for k, v in queued[0].items() if k in ("kind", "traceId", "routePath", "payload")}
                if queued and isinstance(queued[0], dict)
                else None
            )
            block["workflowCalled"] = bool(seen.since(mark, "api", trace))
            if queued and not blocks:
                block["run"] = _run(target, trace)
            blocks.append(block)
    document: dict[str, Any] = {
        "kind": "route",
        "id": f"route/{route}/recorded",
        "description": f"Recorded from the reference runtime: POST /api/{route}, then the same trace id again. "
        "Review the expectations before relying on them.",
        "tags": ["recorded"],
    }
    if env:
        document["env"] = env
    document["request"] = {"method": "POST", "path": f"/api/{route}", "headers": headers, "body": payload}
    document["expect"] = blocks[0]
    document["repeat"] = {"times": 1, "expect": blocks[1]}
    return _checked(swap(document, trace, fixture_trace), "route")


def _run(target: InProcessTarget, trace: str) -> dict[str, Any]:
    try:
        detail = wait_for_run(target.ops, trace, timeout=_RUN_TIMEOUT, step=target.drain)
    except NotObserved as exc:
        raise KitError(f"the queued task did not finish on the reference runtime: {exc}") from None
    run = detail["run"]
    recorded: dict[str, Any] = {"status": run["status"]}
    if run["status"] == "succeeded":
        try:
            recorded["output"] = _steady(json.loads(run["output"]))
        except (TypeError, ValueError):
            recorded["output"] = run["output"]
    elif run.get("error"):
        recorded["errorContains"] = str(run["error"])
    return recorded


def record_schedule(
    schedule_id: str,
    *,
    env: Mapping[str, str] | None = None,
    when: datetime = DEFAULT_EVENT_TIME,
    runtime_factory: RuntimeFactory | None = None,
) -> dict[str, Any]:
    """A schedule fixture: the schedule's cron fired once at ``when``, and the tasks that event enqueued."""
    env = dict(env or {})
    with _target(env, runtime_factory) as target, watch_workflow_calls(target) as seen:
        scheduler_env = target.runtime.env_for("scheduler")
        manifest = resolve_manifest(
            scheduler_env,
            builtin_routes=target.runtime.project.routes,
            builtin_schedules=target.runtime.project.schedules,
        )
        schedule = find_schedule(manifest, schedule_id)
        if schedule is None:
            known = ", ".join(s.id for s in manifest.schedules) or "none"
            raise KitError(f"no schedule {schedule_id!r} in the {manifest.mode} manifest (known: {known})")
        target.drain()
        mark = seen.mark()
        response = target.trigger_cron(schedule.cron, scheduled_time=when)
        if response.status_code != 200:
            raise KitError(f"the scheduler refused the event: {response.status_code} {response.text[:200]}")
        target.drain()
        tasks = [
            {"scheduleId": task.get("scheduleId"), "payload": task.get("payload")}
            for task in seen.queued(mark)
            if isinstance(task, dict) and task.get("kind") == "scheduled_job"
        ]
    document: dict[str, Any] = {
        "kind": "schedule",
        "id": f"schedule/{schedule_id}/recorded",
        "description": f'Recorded from the reference runtime: the cron event "{schedule.cron}" and the tasks it '
        "enqueued. Review the expectations before relying on them.",
        "tags": ["recorded"],
    }
    if env:
        document["env"] = env
    document["trigger"] = {"cron": schedule.cron, "scheduledTime": to_iso_string(when)}
    document["expect"] = {"tasks": tasks}
    return _checked(document, "schedule")
