"""Reference runtimes with one compatibility rule broken, for the compat suite's meta-test.

Use with ``--wf-runtime-factory=tests.suites.broken.compat:<name>``. Each factory starts the reference
:class:`Runtime` and changes one thing from the outside: the project it deploys (its built-in lists), or one
worker replaced by a subclass. :data:`BROKEN` maps each factory to exactly the compat checks that must fail.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from workerflow_kit.contracts.models import RouteDefinition, ScheduleDefinition
from workerflow_kit.contracts.project import load_bundled
from workerflow_kit.jscompat.json import js_json_stringify
from workerflow_kit.runtime.http import Request, Response
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.runtime.workers.api import ApiWorker
from workerflow_kit.runtime.workers.base import Env
from workerflow_kit.runtime.workers.ops_dashboard import OpsDashboardWorker

BASELINE_FAILURES = frozenset({"compat.schedules-reachable"})
"""What the reference itself fails: the v0.1 built-in schedules match no trigger cron (quirk Q1, recommended)."""


def _route(route: RouteDefinition, **changes: Any) -> RouteDefinition:
    return RouteDefinition.model_validate({**route.as_json(), **changes})


def _schedule(schedule: ScheduleDefinition, **changes: Any) -> ScheduleDefinition:
    return ScheduleDefinition.model_validate({**schedule.as_json(), **changes})


async def _with_builtins(
    routes: tuple[RouteDefinition, ...] | None = None, schedules: tuple[ScheduleDefinition, ...] | None = None
) -> Runtime:
    """The reference deploying a project whose built-in lists differ from the contract."""
    project = load_bundled()
    changed = dataclasses.replace(
        project,
        routes=project.routes if routes is None else routes,
        schedules=project.schedules if schedules is None else schedules,
    )
    return await Runtime.start(project=changed)


# ------------------------------------------------------------------------------------------ built-in lists


async def builtin_route_missing() -> Runtime:
    """The built-in manifest lacks chat_notify (every worker): the contract's route is gone."""
    routes = load_bundled().routes
    return await _with_builtins(routes=tuple(r for r in routes if r.routePath != "chat_notify"))


async def builtin_schedule_cron_changed() -> Runtime:
    """heartbeat_hourly runs every 30 minutes instead of the contract's hourly cron."""
    schedules = load_bundled().schedules
    return await _with_builtins(
        schedules=tuple(_schedule(s, cron="*/30 * * * *") if s.id == "heartbeat_hourly" else s for s in schedules)
    )


async def builtin_flow_path_changed() -> Runtime:
    """webhook_echo's flowPath label differs from the contract: not breaking, but not the contract either."""
    routes = load_bundled().routes
    return await _with_builtins(
        routes=tuple(_route(r, flowPath="f/examples/echo") if r.routePath == "webhook_echo" else r for r in routes)
    )


# ------------------------------------------------------------------------------------------ workers


class WrapBodyFlippingOps(OpsDashboardWorker):
    """The reference ops dashboard whose catalog reports chat_notify with wrapBody flipped."""

    async def fetch(self, request: Request, env: Env) -> Response:
        response = await super().fetch(request, env)
        if request.pathname != "/api/catalog" or response.status != 200:
            return response
        body = json.loads(response.body)
        for route in body["routes"]:
            if route["routePath"] == "chat_notify":
                route["wrapBody"] = not route["wrapBody"]
        return Response(response.status, response.headers.copy(), js_json_stringify(body).encode("utf-8"))


async def catalog_wrap_body_flipped() -> Runtime:
    """The ops catalog (so the manifest a client reads) has chat_notify with wrapBody false: a breaking flip."""
    runtime = await Runtime.start()
    runtime.ops = WrapBodyFlippingOps(runtime.context)
    return runtime


async def api_route_missing() -> Runtime:
    """The api worker was deployed without lead_normalizer while the ops dashboard lists it."""
    runtime = await Runtime.start()
    context = dataclasses.replace(
        runtime.context,
        builtin_routes=tuple(r for r in runtime.context.builtin_routes if r.routePath != "lead_normalizer"),
    )
    runtime.api = ApiWorker(context)
    return runtime


BROKEN: dict[str, frozenset[str]] = {
    # factory: every compat check that must fail against it, beyond the reference's own BASELINE_FAILURES
    "builtin_route_missing": frozenset({"compat.routes-match-contract", "compat.no-breaking-changes"}),
    "builtin_schedule_cron_changed": frozenset({"compat.schedules-match-contract", "compat.no-breaking-changes"}),
    "builtin_flow_path_changed": frozenset({"compat.routes-match-contract"}),
    "catalog_wrap_body_flipped": frozenset({"compat.routes-match-contract", "compat.no-breaking-changes"}),
    "api_route_missing": frozenset({"compat.api-serves-catalog-routes"}),
}
"""Factory name -> exactly the compat checks that must fail (besides :data:`BASELINE_FAILURES`)."""
