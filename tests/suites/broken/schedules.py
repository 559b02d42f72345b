"""Reference runtimes with one scheduling rule broken, for the schedules meta-test.

``--wf-runtime-factory=tests.suites.broken.schedules:<name>``. Each factory starts the reference
:class:`Runtime` and breaks one rule from the outside: a subclass of the scheduler or api worker put in the
runtime's place, a wrapper around the scheduler's queue binding, or a cron engine of another dialect in
place of the runtime's ``cron``. Runtime code is never patched. :data:`BROKEN` maps each factory to exactly
the checks that must fail against it.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from workerflow_kit.contracts import cron as cron_dialect
from workerflow_kit.contracts.manifest import resolve_manifest
from workerflow_kit.contracts.models import Manifest, ScheduleDefinition
from workerflow_kit.runtime.cron_engine import CronEngine
from workerflow_kit.runtime.http import Request, Response
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.runtime.workers.api import ApiWorker
from workerflow_kit.runtime.workers.base import Env, ScheduledController
from workerflow_kit.runtime.workers.scheduler import QUEUE_BINDING, SchedulerWorker

ALWAYS_FAILS = frozenset({"schedules.builtins-reachable"})
"""The recommended finding every runtime here shares with the reference (upstream defect Q1)."""


# ------------------------------------------------------------------------------------------ scheduler


class _Scheduler(SchedulerWorker):
    def manifest(self, env: Env) -> Manifest:
        return resolve_manifest(
            env, builtin_routes=self.context.builtin_routes, builtin_schedules=self.context.builtin_schedules
        )


class WhitespaceScheduler(_Scheduler):
    """Matches cron strings after collapsing whitespace, so ``0 0 * * * `` and ``0  0 * * *`` match ``0 0 * * *``."""

    def matching_schedules(self, cron: str, env: Env) -> list[ScheduleDefinition]:
        wanted = " ".join(cron.split())
        return [s for s in self.manifest(env).schedules if s.enabled is True and " ".join(s.cron.split()) == wanted]


class DisabledToo(_Scheduler):
    """Ignores ``enabled``: disabled schedules are enqueued as well."""

    def matching_schedules(self, cron: str, env: Env) -> list[ScheduleDefinition]:
        return [s for s in self.manifest(env).schedules if s.cron == cron]


class ReverseOrder(SchedulerWorker):
    """Enqueues the matches of one event in reverse manifest order."""

    def matching_schedules(self, cron: str, env: Env) -> list[ScheduleDefinition]:
        return list(reversed(super().matching_schedules(cron, env)))


class NowNotEventTime(SchedulerWorker):
    """Writes the clock's now, not the event's scheduled time, into ``payload.scheduledTime``."""

    async def scheduled(self, controller: ScheduledController, env: Env) -> None:
        now = ScheduledController(cron=controller.cron, scheduled_time=self.context.clock.now())
        await super().scheduled(now, env)


async def _with_scheduler(worker: type[SchedulerWorker]) -> Runtime:
    runtime = await Runtime.start()
    runtime.scheduler = worker(runtime.context)
    return runtime


async def scheduler_normalizes_whitespace() -> Runtime:
    return await _with_scheduler(WhitespaceScheduler)


async def disabled_schedules_enqueued() -> Runtime:
    return await _with_scheduler(DisabledToo)


async def manifest_order_reversed() -> Runtime:
    return await _with_scheduler(ReverseOrder)


async def scheduled_time_is_now() -> Runtime:
    return await _with_scheduler(NowNotEventTime)


# ------------------------------------------------------------------------------------------ the scheduler's queue


class _SchedulerQueue:
    """Stands in for the scheduler's ``AUTOMATION_QUEUE``, rewriting each task before it is sent."""

    def __init__(self, inner: Any, rewrite: Any) -> None:
        self.inner = inner
        self.rewrite = rewrite

    async def send(self, body: Any, **options: Any) -> None:
        await self.inner.send(self.rewrite(body), **options)


def _add_trigger(task: Any) -> Any:
    return {**task, "payload": {**task["payload"], "trigger": "cron"}}


def _stable_trace(task: Any) -> Any:
    payload = task["payload"]
    key = "|".join([task["scheduleId"], payload["target"], payload["cron"], payload["scheduledTime"]])
    return {**task, "traceId": str(uuid.uuid5(uuid.NAMESPACE_URL, key))}


async def _with_scheduler_queue(rewrite: Any) -> Runtime:
    runtime = await Runtime.start()
    env = runtime.env_for("scheduler")
    env[QUEUE_BINDING] = _SchedulerQueue(env[QUEUE_BINDING], rewrite)
    return runtime


async def scheduler_payload_has_trigger() -> Runtime:
    """Scheduler tasks carry ``payload.trigger = "cron"`` (only the manual paths add a trigger)."""
    return await _with_scheduler_queue(_add_trigger)


async def trace_ids_reused() -> Runtime:
    """The trace id is derived from the schedule and the event, so an identical event reuses it."""
    return await _with_scheduler_queue(_stable_trace)


# ------------------------------------------------------------------------------------------ dev-cron


class DevCronIgnoresEnabled(ApiWorker):
    """``POST /api/dev/cron/{id}`` finds disabled schedules too."""

    async def _dev_cron(self, request: Request, env: Env, manifest: Manifest, schedule_id: str) -> Response:
        every = tuple(s.model_copy(update={"enabled": True}) for s in manifest.schedules)
        return await super()._dev_cron(request, env, manifest.model_copy(update={"schedules": every}), schedule_id)


async def dev_cron_ignores_enabled() -> Runtime:
    runtime = await Runtime.start()
    runtime.api = DevCronIgnoresEnabled(runtime.context)
    return runtime


# ------------------------------------------------------------------------------------------ cron engine


def _posix_weekdays(expression: str) -> str:
    """Read the weekday field's numbers POSIX-style (0 or 7 = Sunday ... 6 = Saturday), in Cloudflare's terms."""
    fields = expression.split()
    fields[4] = re.sub(r"\d+", lambda m: str(int(m.group()) % 7 + 1), fields[4])
    return " ".join(fields)


class PosixWeekdayEngine(CronEngine):
    """Fires each trigger as if its weekday numbers were POSIX's: ``0 5 * * 5`` fires on Fridays, not Thursdays.

    The events still carry the trigger's own string."""

    def next_event(self) -> tuple[datetime, list[str]] | None:
        now = self.clock.now()
        best: tuple[datetime, list[str]] | None = None
        for trigger in self.triggers:
            fires = cron_dialect.next_fires(_posix_weekdays(trigger), now)
            if not fires:
                continue
            if best is None or fires[0] < best[0]:
                best = (fires[0], [trigger])
            elif fires[0] == best[0]:
                best[1].append(trigger)
        return best


async def cron_weekdays_posix() -> Runtime:
    runtime = await Runtime.start()
    await runtime.cron.stop()
    scheduler_env = runtime.env_for("scheduler")

    async def dispatch(controller: ScheduledController) -> None:
        await runtime.scheduler.scheduled(controller, scheduler_env)

    runtime.cron = PosixWeekdayEngine(runtime.clock, runtime.cron.triggers, dispatch)
    runtime.cron.start()
    return runtime


BROKEN: dict[str, frozenset[str]] = {
    # factory: every check that must fail against it, besides ALWAYS_FAILS (the rest pass)
    "scheduler_normalizes_whitespace": frozenset(
        {"schedules.exact-string-match", "schedules.fixtures", "schedules.selection-property"}
    ),
    "disabled_schedules_enqueued": frozenset(
        {"schedules.disabled-never-enqueued", "schedules.fixtures", "schedules.selection-property"}
    ),
    "manifest_order_reversed": frozenset(
        {"schedules.manifest-order", "schedules.fixtures", "schedules.selection-property"}
    ),
    "scheduled_time_is_now": frozenset({"schedules.task-shape", "schedules.fixtures", "schedules.selection-property"}),
    "scheduler_payload_has_trigger": frozenset({"schedules.task-shape"}),
    "trace_ids_reused": frozenset({"schedules.fresh-trace-ids"}),
    "dev_cron_ignores_enabled": frozenset({"schedules.dev-cron-disabled-404"}),
    "cron_weekdays_posix": frozenset({"schedules.trigger-fire-times"}),
}
"""Factory name -> the checks that must fail against it (plus :data:`ALWAYS_FAILS`); the rest must pass."""

RULE: dict[str, str] = {
    "scheduler_normalizes_whitespace": "schedules.exact-string-match",
    "disabled_schedules_enqueued": "schedules.disabled-never-enqueued",
    "manifest_order_reversed": "schedules.manifest-order",
    "scheduled_time_is_now": "schedules.task-shape",
    "scheduler_payload_has_trigger": "schedules.task-shape",
    "trace_ids_reused": "schedules.fresh-trace-ids",
    "dev_cron_ignores_enabled": "schedules.dev-cron-disabled-404",
    "cron_weekdays_posix": "schedules.trigger-fire-times",
}
"""Factory name -> the check named after the rule it breaks (its failure must name this id)."""
