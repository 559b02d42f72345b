"""Run one schedule fixture against a target: fire its cron event and compare the tasks it enqueued.

The scheduler's env follows the schedules suite's rule: the manifest variables the fixture leaves out are unset
for it, the ones it names are set. The tasks are seen as the queue consumer hands them to the workflow
(:mod:`.observe`), so this runs in process; elsewhere the fixture is skipped, saying why (the schedules suite
observes the same events through D1 on the targets that allow it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from workerflow_kit.authoring.diff import Difference, pointer, show, subset
from workerflow_kit.authoring.observe import unwatchable, watch_workflow_calls
from workerflow_kit.authoring.outcome import Outcome
from workerflow_kit.targets.base import Capability, MissingCapability, Target

__all__ = ["MANIFEST_VARS", "run_schedule_fixture"]

MANIFEST_VARS: Final = ("MANIFEST_MODE", "ROUTES_CONFIG_JSON", "SCHEDULES_CONFIG_JSON")


def compare_tasks(queued: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]]) -> list[Difference]:
    """The enqueued tasks, in order, against the fixture's ``expect.tasks``."""
    found: list[Difference] = []
    if len(queued) != len(expected):
        ids = [task.get("scheduleId") for task in queued]
        found.append(Difference("/tasks", note=f"expected {len(expected)} task(s), got {len(queued)}: {show(ids)}"))
    for index, (task, wanted) in enumerate(zip(queued, expected, strict=False)):
        at = pointer("/tasks", index)
        if task.get("scheduleId") != wanted["scheduleId"]:
            found.append(Difference(f"{at}/scheduleId", expected=wanted["scheduleId"], actual=task.get("scheduleId")))
        if "payload" in wanted:
            found += subset(task.get("payload"), wanted["payload"], f"{at}/payload")
    return found


def run_schedule_fixture(target: Target, data: Mapping[str, Any]) -> Outcome:
    """Run the schedule fixture ``data`` (a schema-valid document) against ``target``."""
    lacking = target.missing(Capability.WRITES_ALLOWED, Capability.TRIGGER_CRON)
    if lacking:
        return Outcome.skip(str(MissingCapability(lacking[0], target.name)))
    reason = unwatchable(target, drain=True)
    if reason:
        return Outcome.skip(f"the enqueued tasks are not checked: {reason}")
    env: dict[str, object | None] = dict.fromkeys(MANIFEST_VARS)
    env.update(data.get("env") or {})
    trigger = data["trigger"]
    when = datetime.fromisoformat(trigger["scheduledTime"].replace("Z", "+00:00"))
    with watch_workflow_calls(target) as seen, target.env_changed("scheduler", env):
        target.drain()
        mark = seen.mark()
        response = target.trigger_cron(trigger["cron"], scheduled_time=when)
        target.drain()
        queued = [task for task in seen.queued(mark) if isinstance(task, dict) and task.get("kind") == "scheduled_job"]
    if response.status_code != 200:
        note = f"the scheduler answered {response.status_code} {show(response.text)} to the event"
        return Outcome([Difference("/trigger", note=note)])
    return Outcome(compare_tasks(queued, data["expect"]["tasks"]))
