"""Which requests invoke something on a live deployment, and whether the run may send them.

An *invocation* is a request that makes WorkerFlow run a handler or post somewhere. Each has a name, the
unit a user allows (``--routes``, ``routes = [...]`` in the config file):

=================================================  ==========================================================
request                                            name
=================================================  ==========================================================
api ``POST /api/<routePath>`` (two segments,       ``<routePath>``; the worker's own path rules apply
not ``/api/health``)                               (``/api/x/../chat_notify`` is ``chat_notify``)
api ``POST /api/dev/cron/<id>``                    ``schedule:<id>`` (enqueues the schedule's task)
ops ``POST /api/cron-run/<id>``                    ``schedule:<id>``
workflow ``POST /run-sync`` / ``/run-async``       the task's ``routePath`` (``http_route``) or
                                                   ``schedule:<scheduleId>`` (``scheduled_job``); a body
                                                   that names neither is ``workflow-task``
api, any method but ``OPTIONS``, ``/api/r/...``    ``legacy-alert`` (the disabled endpoint posts a chat
                                                   alert on every hit when a webhook is set)
=================================================  ==========================================================

Everything else (health, the dashboard's reads, preflights, a ``GET`` of a route path) is not an
invocation. Not covered, on purpose: the ops ``retry`` endpoint re-runs a run the deployment already holds
(the suites retry only their own runs), and the scheduler's ``/__scheduled`` door is reached only when the
user gives its URL.

Allowed names are shell-style patterns (:mod:`fnmatch`, case-sensitive): ``*`` allows everything,
``schedule:*`` every schedule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from fnmatch import fnmatchcase

import httpx

from workerflow_kit.runtime.workers.api_url import parse_url, segments

__all__ = [
    "LEGACY_ALERT",
    "PROBE_ROUTE_PREFIX",
    "WORKFLOW_TASK",
    "RouteAllowList",
    "invocation_name",
    "parse_route_list",
]

LEGACY_ALERT = "legacy-alert"
WORKFLOW_TASK = "workflow-task"
_RUN_PATHS = frozenset({"/run-sync", "/run-async"})


def parse_route_list(values: Iterable[str]) -> tuple[str, ...]:
    """``["a,b", "c"]`` -> ``("a", "b", "c")``: comma-separated and repeated values, blanks dropped, order kept."""
    names: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip()
            if name and name not in names:
                names.append(name)
    return tuple(names)


def _schedule(schedule_id: str) -> str:
    return f"schedule:{schedule_id}"


def invocation_name(worker: str, request: httpx.Request, *, base_path: str = "") -> str | None:
    """The name of what ``request`` to ``worker`` (``api``, ``ops``, ``workflow``, ``scheduler``) invokes,
    or ``None`` when it invokes nothing. ``base_path`` is the path of the worker's base URL, if any."""
    pathname = parse_url(str(request.url)).pathname
    prefix = base_path.rstrip("/")
    if prefix and (pathname == prefix or pathname.startswith(prefix + "/")):
        pathname = pathname[len(prefix) :] or "/"
    method = request.method.upper()
    parts = segments(pathname)
    if worker == "api":
        if method == "OPTIONS" and pathname.startswith("/api/"):
            return None
        if pathname == "/api/health":
            return None
        if pathname.startswith("/api/r/") or (len(parts) >= 4 and parts[:2] == ["api", "r"]):
            return LEGACY_ALERT
        if method != "POST":
            return None
        if len(parts) == 4 and parts[:3] == ["api", "dev", "cron"]:
            return _schedule(parts[3])
        if len(parts) == 2 and parts[0] == "api":
            return parts[1]
        return None
    if worker == "ops":
        if method == "POST" and len(parts) == 3 and parts[:2] == ["api", "cron-run"]:
            return _schedule(parts[2])
        return None
    if worker == "workflow" and method == "POST" and pathname in _RUN_PATHS:
        return _task_name(request)
    return None


def _task_name(request: httpx.Request) -> str:
    try:
        task = json.loads(request.read() or b"null")
    except (ValueError, UnicodeDecodeError):
        return WORKFLOW_TASK
    if isinstance(task, dict):
        route, schedule = task.get("routePath"), task.get("scheduleId")
        if task.get("kind") == "http_route" and isinstance(route, str) and route:
            return route
        if task.get("kind") == "scheduled_job" and isinstance(schedule, str) and schedule:
            return _schedule(schedule)
    return WORKFLOW_TASK


PROBE_ROUTE_PREFIX = "wfk_no_such_route_"
"""Route names the suites make up to see a 404: no deployment has one, so invoking them can change nothing."""


class RouteAllowList:
    """The names (patterns) a run may invoke; empty allows nothing, ``("*",)`` everything. The suites' made-up
    probe routes (:data:`PROBE_ROUTE_PREFIX`) are always allowed: their names change every run, and they exist
    nowhere."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self.patterns = tuple(patterns)

    def allows(self, name: str) -> bool:
        if name.startswith(PROBE_ROUTE_PREFIX):
            return True
        return any(fnmatchcase(name, pattern) for pattern in self.patterns)

    def __repr__(self) -> str:
        return f"RouteAllowList({list(self.patterns)!r})"
