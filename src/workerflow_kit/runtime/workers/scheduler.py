"""The scheduler worker (spec section 8): turn a Cloudflare cron event into queued ``scheduled_job`` tasks.

On each event the worker resolves its manifest from its own env (spec 3.3), picks the enabled schedules whose
``cron`` string is *exactly* the event's trigger string (no parsing, no whitespace normalisation, ``timeZone``
ignored) and sends one task per match, in manifest order, to ``env["AUTOMATION_QUEUE"]``.

Upstream keeps no state, takes no idempotency key and does not catch up missed events; neither does this.
A manifest resolution error fails the event (the exception escapes ``scheduled``, as upstream's unhandled
rejection does) and nothing is enqueued.

Because matching is by string, the baseline's triggers (``0 2 1 * *``, ``0 2 3 * *``, ``0 0 * * *``,
``0 5 * * 5``) never select the built-in schedules (``0 * * * *``, ``0 3 * * *``): upstream defect Q1, kept
faithfully here so the conformance suites can name it.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Protocol

from workerflow_kit.contracts.manifest import resolve_manifest
from workerflow_kit.contracts.models import ScheduleDefinition
from workerflow_kit.runtime.bindings.clock import iso_ms
from workerflow_kit.runtime.deviations import Deviation
from workerflow_kit.runtime.workers.base import Env, ScheduledController, WorkerContext

__all__ = ["DEVIATIONS", "QUEUE_BINDING", "SchedulerWorker", "schedule_task"]

log = logging.getLogger("workerflow_kit.runtime.scheduler")

QUEUE_BINDING = "AUTOMATION_QUEUE"
"""The env binding the scheduler sends its tasks to (a queue producer)."""

DEVIATIONS: tuple[Deviation, ...] = ()
"""The scheduler has no crash path that the reference answers differently: a manifest error fails the event
in both (the reference logs it first)."""


class _Producer(Protocol):
    async def send(self, body: Any) -> None: ...


def schedule_task(schedule: ScheduleDefinition, controller: ScheduledController, *, enqueued_at: str) -> dict[str, Any]:
    """The queue task for one matched schedule, keys in upstream's order (spec 2.3; no ``trigger`` key)."""
    return {
        "kind": "scheduled_job",
        "traceId": str(uuid.uuid4()),
        "scheduleId": schedule.id,
        "payload": {
            "target": schedule.target,
            "cron": schedule.cron,
            "timeZone": schedule.timeZone,
            "scheduledTime": iso_ms(controller.scheduled_time),
        },
        "enqueuedAt": enqueued_at,
    }


class SchedulerWorker:
    """``workers/scheduler``: the ``scheduled`` entry point. Build with ``SchedulerWorker(context)``."""

    name = "scheduler"

    def __init__(self, context: WorkerContext) -> None:
        """Bind the worker to the runtime's shared context (clock and built-in manifest)."""
        self.context = context

    def matching_schedules(self, cron: str, env: Env) -> list[ScheduleDefinition]:
        """Enabled schedules whose cron string equals ``cron`` exactly, in manifest order.

        Raises :class:`~workerflow_kit.contracts.manifest.ManifestError` when the env's manifest does not resolve.
        """
        manifest = resolve_manifest(
            env, builtin_routes=self.context.builtin_routes, builtin_schedules=self.context.builtin_schedules
        )
        return [schedule for schedule in manifest.schedules if schedule.enabled is True and schedule.cron == cron]

    async def scheduled(self, controller: ScheduledController, env: Env) -> None:
        """Handle one cron event: enqueue a ``scheduled_job`` task per matching schedule (spec 8)."""
        try:
            schedules = self.matching_schedules(controller.cron, env)
        except Exception:
            log.exception("scheduled event for cron %s failed: the manifest does not resolve", controller.cron)
            raise
        if not schedules:
            log.info("No enabled schedule found for cron %s", controller.cron)
            return
        queue: _Producer = env[QUEUE_BINDING]  # type: ignore[assignment]
        for schedule in schedules:
            task = schedule_task(schedule, controller, enqueued_at=self.context.clock.now_iso())
            await queue.send(task)
            log.info("Enqueued schedule %s trace=%s", schedule.id, task["traceId"])
