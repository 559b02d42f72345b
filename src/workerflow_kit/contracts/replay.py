"""Whether a dead-lettered task may be replayed (spec 3.5), as the ops dashboard's retry decides it.

Tasks are plain mappings here because dead letters hold whatever was queued. Upstream's facts kept:

* kinds compare by strict equality with ``"http_route"`` / ``"scheduled_job"``;
* "missing/empty" ``routePath`` / ``scheduleId`` means JS-falsy (absent, ``null``, ``""``, ``0``, ``false``,
  ``NaN``); a whitespace-only id is *not* empty and is looked up as given;
* a truthy non-string id never matches a manifest entry and renders with JS ``String()`` in the reason
  (``route "5" is not registered``), as does an unsupported kind (absent renders ``undefined``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workerflow_kit.contracts import models
from workerflow_kit.contracts.gating import is_route_enabled
from workerflow_kit.contracts.models import Manifest, RouteDefinition, ScheduleDefinition
from workerflow_kit.jscompat.values import js_string, js_truthy

__all__ = ["ReplayDecision", "check_task_replay"]


@dataclass(frozen=True)
class ReplayDecision:
    """The outcome of :func:`check_task_replay`; ``reason`` is upstream's text when disabled, else None."""

    enabled: bool
    reason: str | None = None


_ENABLED = ReplayDecision(enabled=True)


def _disabled(reason: str) -> ReplayDecision:
    return ReplayDecision(enabled=False, reason=reason)


def _check_route(route_path: object, routes: tuple[RouteDefinition, ...], env: Mapping[str, object]) -> ReplayDecision:
    if not js_truthy(route_path):
        return _disabled("http_route task missing routePath")
    shown = js_string(route_path)
    if not isinstance(route_path, str) or not any(r.routePath == route_path for r in routes):
        return _disabled(f'route "{shown}" is not registered')
    if not is_route_enabled(route_path, env):
        return _disabled(f'route "{shown}" is disabled')
    return _ENABLED


def _check_schedule(schedule_id: object, schedules: tuple[ScheduleDefinition, ...]) -> ReplayDecision:
    if not js_truthy(schedule_id):
        return _disabled("scheduled_job task missing scheduleId")
    if not isinstance(schedule_id, str) or not any(s.id == schedule_id and s.enabled for s in schedules):
        return _disabled(f'schedule "{js_string(schedule_id)}" is not enabled')
    return _ENABLED


def check_task_replay(
    task: Mapping[str, object], env: Mapping[str, object], manifest: Manifest | None = None
) -> ReplayDecision:
    """Decide whether ``task`` may be replayed, given the gating ``env`` and the ops worker's ``manifest``
    (``None`` means the built-in lists). The first matching row of spec 3.5 decides:

    route task: missing ``routePath`` / not in the manifest / gated off (spec 3.4) / enabled; schedule task:
    missing ``scheduleId`` / no *enabled* manifest schedule with that id (unknown and disabled read the same)
    / enabled; any other kind: not supported.
    """
    routes = models.builtin_routes() if manifest is None else manifest.routes
    schedules = models.builtin_schedules() if manifest is None else manifest.schedules
    kind = task.get("kind")
    if kind == "http_route" and isinstance(kind, str):
        return _check_route(task.get("routePath"), routes, env)
    if kind == "scheduled_job" and isinstance(kind, str):
        return _check_schedule(task.get("scheduleId"), schedules)
    shown = "undefined" if "kind" not in task else js_string(kind)
    return _disabled(f'task kind "{shown}" is not supported')
