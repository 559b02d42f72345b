"""Schedule checks: the scheduler's cron events and the dev-cron endpoint (spec 2.3, 4.7, 8, 12.3, 12.8 #14, Q1).

Every check names the rule it holds (``schedules.<rule>``) and its level. A cron event is sent through the
scheduler's ``/__scheduled?cron=<cron>&time=<ms>`` door (``trigger_cron``); what it enqueued is seen after the
queue drained, through D1 (``drain_queue`` and ``inspect_db``):

* each queued task leaves one ``runs`` row (``kind = 'scheduled_job'``, ``schedule_id``), in the order the
  tasks were queued, since the consumer records a run before it runs the task;
* a schedule without a handler (a config-mode id) fails in the workflow and leaves a dead letter whose
  ``payload_json`` is the task verbatim: the exact window on every field;
* ``heartbeat_hourly`` has a handler whose output echoes the payload's ``target`` and ``scheduledTime``, in
  one delivery: the cheap window the property checks use (config mode accepts any number of schedules with
  that id, spec 3.2, each told apart by its ``target``).

Config-mode manifests are given to the scheduler (or the api) with ``set_env`` and put back afterwards.

=====================================  ===========  ===========================================================
check                                  level        rule
=====================================  ===========  ===========================================================
``schedules.fixtures``                 required     each schedule fixture: the event enqueues exactly the
                                                    expected tasks, in order (spec 12.3 #1-#3)
``schedules.exact-string-match``       required     a schedule fires only for its exact cron string; a
                                                    spelling with the same meaning does not match (spec 8)
``schedules.disabled-never-enqueued``  required     ``enabled: false`` schedules are never enqueued
``schedules.manifest-order``           required     the matches of one event are enqueued in manifest order
``schedules.fresh-trace-ids``          required     every task gets a trace id no other task has
``schedules.task-shape``               required     the task is ``{kind, traceId, scheduleId, payload,
                                                    enqueuedAt}``, payload ``{target, cron, timeZone,
                                                    scheduledTime}`` (the event's time, no ``trigger``)
``schedules.selection-property``       required     property (spec 12.8 #14): an event enqueues exactly the
                                                    enabled schedules whose cron equals its own, in order
``schedules.trigger-fire-times``       required     property (``clock``): over simulated days each trigger
                                                    fires exactly at the times the kit's cron dialect gives
``schedules.dev-cron-accepted``        required     ``POST /api/dev/cron/{id}`` is 202 ``{accepted, traceId,
                                                    scheduleId, enqueuedAt, trigger:"manual_api"}``
``schedules.dev-cron-task-shape``      required     the dev-cron task's payload carries ``trigger:
                                                    "manual_api"`` and ``scheduledTime`` = ``enqueuedAt``
``schedules.dev-cron-unknown-404``     required     an unknown id is 404 ``{error:"unknown schedule",
                                                    scheduleId}``
``schedules.dev-cron-disabled-404``    required     so is a disabled schedule's id
``schedules.dev-cron-duplicate``       required     a repeated trace id is 202 ``{accepted, duplicate, traceId,
                                                    scheduleId}``
``schedules.builtins-reachable``       recommended  every enabled built-in schedule fires by itself within 31
                                                    simulated days (upstream defect Q1: none does)
=====================================  ===========  ===========================================================

The trigger crons the clock checks expect are the project's: the scheduler's ``triggers.crons`` in the kit's
bundled wrangler facts (the baseline's four). ``schedules.builtins-reachable`` fails against the reference,
which keeps Q1 on purpose (see the decisions table): it is the named finding, and every required check passes.

Schedule fixtures (``fixtures/schedules/``, ``--wf-fixtures DIR``) give the scheduler's manifest variables
(``MANIFEST_MODE``, ``ROUTES_CONFIG_JSON``, ``SCHEDULES_CONFIG_JSON``; the ones a fixture leaves out are unset
for it, other variables it names are set), one event and the tasks it must enqueue, in order. Each expected
``payload`` is a subset match, compared against the dead-lettered task when there is one, otherwise against
the fields the handler's output echoes under the same names. Every fixture runs under ``schedules.fixtures``
(required): the scheduler has no behaviour beyond upstream's, so a fixture's ``level`` is not consulted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workerflow_kit.contracts import cron as cron_dialect
from workerflow_kit.contracts.project import load_bundled
from workerflow_kit.jscompat.dates import to_iso_string
from workerflow_kit.suites.checks import CheckContext, check, subset_mismatches
from workerflow_kit.suites.fixtures import Fixture, load_fixtures
from workerflow_kit.suites.profiles import scaled
from workerflow_kit.targets.base import Capability, Target

WRITES = Capability.WRITES_ALLOWED
DRAIN = Capability.DRAIN_QUEUE
DB = Capability.INSPECT_DB
SET_ENV = Capability.SET_ENV
TRIGGER = Capability.TRIGGER_CRON
CLOCK = Capability.CLOCK

OBSERVE: Final = (WRITES, TRIGGER, DRAIN, DB, SET_ENV)
"""What a check needs to send an event with its own manifest and see the tasks it enqueued."""

MANIFEST_VARS: Final = ("MANIFEST_MODE", "ROUTES_CONFIG_JSON", "SCHEDULES_CONFIG_JSON")
ECHO_ID: Final = "heartbeat_hourly"
"""The schedule id whose handler echoes ``target`` and ``scheduledTime`` (spec 7.4)."""
TASK_KEYS: Final = ["kind", "traceId", "scheduleId", "payload", "enqueuedAt"]
PAYLOAD_KEYS: Final = ["target", "cron", "timeZone", "scheduledTime"]
EVENT_TIME: Final = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
"""The event time of the non-clock checks (spec 12.3); never the target's own now, so a copy of now shows."""
REACHABLE_DAYS: Final = 31
CLOCK_SHARE: Final = 0.5
"""The clock check's share of the profile's ``max_examples``: each of its examples simulates up to 35 days."""
NIGHTLY: Final = "0 0 * * *"
SAME_MEANING: Final = ("0 0 * * * ", " 0 0 * * *", "00 0 * * *", "0  0 * * *", "0\t0 * * *", "0 0 * * 1-7")
"""Spellings of :data:`NIGHTLY` that Cloudflare reads the same way but that are different strings."""

_PROPERTY_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_CLOCK_SETTINGS = settings(
    max_examples=scaled(CLOCK_SHARE),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def project_triggers() -> tuple[str, ...]:
    """The scheduler's trigger crons in the kit's project facts (the baseline: four)."""
    return load_bundled().topology.worker("scheduler").triggers


def new_trace(target: Target) -> str:
    """A trace id no other request used, with the run's prefix (so operators can find what a run stored)."""
    return target.new_trace_id("schedules")


def nonce() -> str:
    return uuid.uuid4().hex[:12]


def schedule(schedule_id: str, cron: str, target: str, *, enabled: bool = True, zone: str = "UTC") -> dict[str, Any]:
    """A config-mode schedule item (spec 2.2)."""
    return {"id": schedule_id, "cron": cron, "enabled": enabled, "target": target, "timeZone": zone}


def config_env(schedules: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """The manifest variables of config mode with these schedules (and the built-in routes)."""
    return {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": None, "SCHEDULES_CONFIG_JSON": json.dumps(schedules)}


# ---------------------------------------------------------------------------------------------------------
# Observing what an event enqueued
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeenTask:
    """One queued schedule task, seen through its ``runs`` row (and its dead letter, when it failed)."""

    trace_id: str
    schedule_id: str | None
    status: str
    task: dict[str, Any] | None
    """The task verbatim (a dead letter's ``payload_json``), when it failed."""
    output: Any
    """The handler's output (the run's ``output`` as JSON), when it succeeded."""

    @property
    def target(self) -> Any:
        """The payload ``target``, from the task or the echoing handler's output."""
        if self.task is not None:
            return (self.task.get("payload") or {}).get("target")
        return self.output.get("target") if isinstance(self.output, dict) else None

    @property
    def scheduled_time(self) -> Any:
        """The payload ``scheduledTime``, from the task or the echoing handler's output."""
        if self.task is not None:
            return (self.task.get("payload") or {}).get("scheduledTime")
        return self.output.get("scheduledTime") if isinstance(self.output, dict) else None


def mark(target: Target) -> int:
    """Deliver whatever is still queued, then return the newest ``runs`` id: later rows are ours."""
    target.drain()
    rows = target.query("SELECT COALESCE(MAX(id), 0) AS id FROM runs")
    return int(rows[0]["id"])


def seen_since(target: Target, watermark: int) -> list[SeenTask]:
    """Drain the queue; every schedule task queued since ``watermark``, in queue order."""
    target.drain()
    rows = target.query(
        "SELECT trace_id, schedule_id, status, output FROM runs WHERE id > ? AND kind = 'scheduled_job' ORDER BY id",
        watermark,
    )
    seen = []
    for row in rows:
        letters = target.query(
            "SELECT payload_json FROM dead_letters WHERE trace_id = ? ORDER BY id LIMIT 1", row["trace_id"]
        )
        task = _loads(letters[0]["payload_json"]) if letters else None
        seen.append(
            SeenTask(
                trace_id=row["trace_id"],
                schedule_id=row["schedule_id"],
                status=row["status"],
                task=task if isinstance(task, dict) else None,
                output=_loads(row["output"]),
            )
        )
    return seen


def _loads(text: object) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def fire(target: Target, wf_check: CheckContext, cron: str, when: datetime | None) -> None:
    """Send one cron event to the scheduler (``when``: its scheduled time; ``None``: the target's now)."""
    response = target.trigger_cron(cron, scheduled_time=when)
    wf_check.expect_status(response, 200)


def fire_with(
    target: Target, wf_check: CheckContext, schedules: Sequence[Mapping[str, Any]], cron: str, when: datetime
) -> list[SeenTask]:
    """Give the scheduler these config-mode schedules, send one event, and return what it enqueued."""
    watermark = mark(target)
    with target.env_changed("scheduler", config_env(schedules)):
        fire(target, wf_check, cron, when)
    return seen_since(target, watermark)


def describe(seen: Sequence[SeenTask]) -> list[str]:
    return [f"{task.schedule_id}:{task.target}" for task in seen]


# ---------------------------------------------------------------------------------------------------------
# Fixture-driven firing
# ---------------------------------------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize the fixture-driven check with every schedule fixture (bundled plus ``--wf-fixtures``)."""
    if "schedule_fixture" not in metafunc.fixturenames:
        return
    extra = metafunc.config.getoption("wf_fixtures", default=[]) or []
    metafunc.parametrize("schedule_fixture", [pytest.param(f, id=f.id) for f in load_fixtures("schedule", extra)])


@check("schedules.fixtures", "required", requires=OBSERVE)
def test_fixture_tasks(wf_target: Target, wf_check: CheckContext, schedule_fixture: Fixture) -> None:
    """A schedule fixture's event enqueues exactly its expected tasks, in order, with the expected fields."""
    data = schedule_fixture.data
    env: dict[str, str | None] = dict.fromkeys(MANIFEST_VARS)
    env.update(data.get("env") or {})
    trigger = data["trigger"]
    when = wf_check.iso_instant(trigger["scheduledTime"], "the fixture's trigger.scheduledTime")
    expected: list[dict[str, Any]] = data["expect"]["tasks"]
    event = f"event {trigger['cron']!r} at {to_iso_string(when)}"
    where = f"fixture {schedule_fixture.id} ({schedule_fixture.path.name}): {event}"

    watermark = mark(wf_target)
    with wf_target.env_changed("scheduler", env):
        fire(wf_target, wf_check, trigger["cron"], when)
    seen = seen_since(wf_target, watermark)

    wf_check.expect_equal(
        [task.schedule_id for task in seen],
        [item["scheduleId"] for item in expected],
        f"{where}: the scheduleIds of the enqueued tasks, in order (seen schedule:target {describe(seen)})",
    )
    traces = [task.trace_id for task in seen]
    wf_check.expect(all(traces) and len(set(traces)) == len(traces), f"{where}: trace ids not distinct: {traces}")
    for index, (task, item) in enumerate(zip(seen, expected, strict=True)):
        label = f"{where}: task {index} ({item['scheduleId']})"
        wanted = item.get("payload") or {}
        if task.task is not None:
            wf_check.expect_equal(task.task.get("kind"), "scheduled_job", f"{label} kind")
            wf_check.expect_equal(task.task.get("traceId"), task.trace_id, f"{label} traceId (its runs row's)")
            wf_check.expect_equal(task.task.get("scheduleId"), item["scheduleId"], f"{label} scheduleId")
            wf_check.iso_instant(task.task.get("enqueuedAt"), f"{label} enqueuedAt")
            problems = subset_mismatches(task.task.get("payload"), wanted, "/payload")
        elif isinstance(task.output, dict):
            echoed = {key: value for key, value in wanted.items() if key in task.output}
            problems = [
                f"{problem} (as the handler's output echoes the payload)"
                for problem in subset_mismatches(task.output, echoed)
            ]
        else:
            problems = [f"neither a dead letter nor a JSON handler output shows the task (run {task.status})"]
        wf_check.expect(not problems, f"{label}: " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------------------
# Matching rules
# ---------------------------------------------------------------------------------------------------------


@check("schedules.exact-string-match", "required", requires=OBSERVE)
def test_exact_string_match(wf_target: Target, wf_check: CheckContext) -> None:
    """A schedule fires only when the event's cron string is exactly its own; same-meaning spellings do not."""
    tag = nonce()
    spellings = (NIGHTLY, *SAME_MEANING)
    schedules = [schedule(ECHO_ID, cron, f"wfk/exact/{tag}/{i}") for i, cron in enumerate(spellings)]
    for index, cron in enumerate(spellings[:4]):
        seen = fire_with(wf_target, wf_check, schedules, cron, EVENT_TIME)
        wf_check.expect_equal(
            [task.target for task in seen],
            [f"wfk/exact/{tag}/{index}"],
            f"targets enqueued by event {cron!r} among schedules spelled {list(spellings)!r}",
        )


@check("schedules.disabled-never-enqueued", "required", requires=OBSERVE)
def test_disabled_never_enqueued(wf_target: Target, wf_check: CheckContext) -> None:
    """A schedule with enabled=false is never enqueued, even when its cron string is the event's."""
    tag = nonce()
    schedules = [
        schedule(ECHO_ID, NIGHTLY, f"wfk/disabled/{tag}/off-1", enabled=False),
        schedule(ECHO_ID, NIGHTLY, f"wfk/disabled/{tag}/on"),
        schedule(f"wfk_disabled_{tag}", NIGHTLY, f"wfk/disabled/{tag}/off-2", enabled=False),
    ]
    seen = fire_with(wf_target, wf_check, schedules, NIGHTLY, EVENT_TIME)
    wf_check.expect_equal([task.target for task in seen], [f"wfk/disabled/{tag}/on"], "targets enqueued")
    seen = fire_with(wf_target, wf_check, [item for item in schedules if not item["enabled"]], NIGHTLY, EVENT_TIME)
    wf_check.expect_equal(describe(seen), [], "tasks enqueued when every matching schedule is disabled")


@check("schedules.manifest-order", "required", requires=OBSERVE)
def test_manifest_order(wf_target: Target, wf_check: CheckContext) -> None:
    """The schedules one event selects are enqueued in manifest order."""
    tag = nonce()
    crons = [NIGHTLY, "0 3 * * *", NIGHTLY, NIGHTLY, "0 * * * *", NIGHTLY]
    schedules = [schedule(ECHO_ID, cron, f"wfk/order/{tag}/{i}") for i, cron in enumerate(crons)]
    seen = fire_with(wf_target, wf_check, schedules, NIGHTLY, EVENT_TIME)
    expected = [f"wfk/order/{tag}/{i}" for i, cron in enumerate(crons) if cron == NIGHTLY]
    wf_check.expect_equal([task.target for task in seen], expected, "targets in the order they were queued")


@check("schedules.fresh-trace-ids", "required", requires=OBSERVE)
def test_fresh_trace_ids(wf_target: Target, wf_check: CheckContext) -> None:
    """Every scheduled task gets its own trace id: across the schedules of one event and across repeated events."""
    tag = nonce()
    schedules = [schedule(ECHO_ID, NIGHTLY, f"wfk/trace/{tag}/{i}") for i in range(2)]
    watermark = mark(wf_target)
    with wf_target.env_changed("scheduler", config_env(schedules)):
        fire(wf_target, wf_check, NIGHTLY, EVENT_TIME)
        fire(wf_target, wf_check, NIGHTLY, EVENT_TIME)
    seen = seen_since(wf_target, watermark)
    traces = [task.trace_id for task in seen]
    wf_check.expect(
        len(seen) == 4,
        f"two identical events over two matching schedules should leave 4 runs (one per trace id), got "
        f"{len(seen)}: {traces} (a reused trace id folds two tasks into one run)",
    )
    wf_check.expect(all(traces), f"an empty trace id: {traces}")
    wf_check.expect_equal(len(set(traces)), len(traces), f"distinct trace ids among {traces}")


@check("schedules.task-shape", "required", requires=OBSERVE)
def test_task_shape(wf_target: Target, wf_check: CheckContext) -> None:
    """A scheduler task is {kind, traceId, scheduleId, payload, enqueuedAt}; its payload holds exactly
    target, cron, timeZone and the event's scheduledTime (no trigger), seen in the dead letter it leaves."""
    tag = nonce()
    cron = "30 6 * * 2"
    when = datetime(2026, 2, 24, 6, 30, tzinfo=UTC)
    schedules = [schedule(f"wfk_shape_{tag}", cron, f"f/wfk/shape/{tag}", zone="Europe/Berlin")]
    seen = fire_with(wf_target, wf_check, schedules, cron, when)
    wf_check.expect_equal(len(seen), 1, f"tasks enqueued ({describe(seen)})")
    task = seen[0].task
    if task is None:
        wf_check.fail(f"no dead letter shows the task of handler-less schedule wfk_shape_{tag} (run {seen[0].status})")
    wf_check.expect_equal(list(task), TASK_KEYS, "task keys (and their order)")
    wf_check.expect_equal(task["kind"], "scheduled_job", "task.kind")
    wf_check.expect_equal(task["traceId"], seen[0].trace_id, "task.traceId (its runs row's)")
    wf_check.expect(isinstance(task["traceId"], str) and task["traceId"], f"task.traceId is empty: {task!r}")
    wf_check.expect_equal(task["scheduleId"], f"wfk_shape_{tag}", "task.scheduleId")
    wf_check.iso_instant(task["enqueuedAt"], "task.enqueuedAt")
    payload = task["payload"]
    wf_check.expect(isinstance(payload, dict), f"task.payload is not an object: {payload!r}")
    wf_check.expect(
        "trigger" not in payload, f"a scheduler task's payload has no 'trigger' (only manual paths add one): {payload}"
    )
    wf_check.expect_equal(list(payload), PAYLOAD_KEYS, "payload keys (and their order)")
    expected = {
        "target": f"f/wfk/shape/{tag}",
        "cron": cron,
        "timeZone": "Europe/Berlin",
        "scheduledTime": to_iso_string(when),
    }
    wf_check.expect_equal(payload, expected, "payload (scheduledTime is the event's scheduled time)")


# ---------------------------------------------------------------------------------------------------------
# Property: the scheduler's selection (spec 12.8 #14)
# ---------------------------------------------------------------------------------------------------------

_SELECTION_CRONS: Final = (NIGHTLY, *SAME_MEANING, "0 * * * *", "0 3 * * *", "0 5 * * 5", "*/5 * * * *")

_selection_items = st.lists(st.tuples(st.sampled_from(_SELECTION_CRONS), st.booleans()), min_size=0, max_size=6)


@check("schedules.selection-property", "required", requires=OBSERVE)
def test_selection_property(wf_target: Target, wf_check: CheckContext) -> None:
    """Any config manifest and event: exactly the enabled schedules whose cron string equals the event's are
    enqueued, in manifest order, each with a fresh trace id and the event's scheduledTime."""
    seen_traces: set[str] = set()

    @_PROPERTY_SETTINGS
    @given(items=_selection_items, cron=st.sampled_from(_SELECTION_CRONS))
    @example(items=[(NIGHTLY, True), ("0 0 * * * ", True), ("00 0 * * *", True)], cron=NIGHTLY)
    @example(items=[(NIGHTLY, False), (NIGHTLY, True)], cron=NIGHTLY)
    @example(items=[(NIGHTLY, True), ("0 3 * * *", True), (NIGHTLY, True)], cron=NIGHTLY)
    def selects(items: list[tuple[str, bool]], cron: str) -> None:
        tag = nonce()
        schedules = [
            schedule(ECHO_ID, item_cron, f"wfk/select/{tag}/{i}", enabled=on) for i, (item_cron, on) in enumerate(items)
        ]
        seen = fire_with(wf_target, wf_check, schedules, cron, EVENT_TIME)
        expected = [f"wfk/select/{tag}/{i}" for i, (item_cron, on) in enumerate(items) if on and item_cron == cron]
        wf_check.expect_equal(
            [task.target for task in seen],
            expected,
            f"targets enqueued by event {cron!r} for schedules (cron, enabled) {items!r}",
        )
        wf_check.expect_equal(
            {task.scheduled_time for task in seen} - {to_iso_string(EVENT_TIME)},
            set(),
            "payload scheduledTime other than the event's",
        )
        traces = [task.trace_id for task in seen]
        wf_check.expect(
            all(traces) and len(set(traces)) == len(traces) and not seen_traces & set(traces),
            f"trace ids not fresh: {traces}",
        )
        seen_traces.update(traces)

    selects()


# ---------------------------------------------------------------------------------------------------------
# With a clock: the triggers fire when the dialect says (spec 12.8 #14 over time, Q1)
# ---------------------------------------------------------------------------------------------------------


def fires_between(cron: str, start: datetime, end: datetime) -> list[datetime]:
    """The fire times of ``cron`` in ``(start, end]`` per the kit's Cloudflare dialect."""
    times: list[datetime] = []
    after = start
    while True:
        batch = cron_dialect.next_fires(cron, after, 64)
        for moment in batch:
            if moment > end:
                return times
            times.append(moment)
        if len(batch) < 64:
            return times
        after = batch[-1]


def _non_trigger_crons() -> list[str]:
    triggers = set(project_triggers())
    return [cron for cron in ("0 * * * *", "0 3 * * *", "*/5 * * * *", "0 5 * * 6") if cron not in triggers]


@check("schedules.trigger-fire-times", "required", requires=(*OBSERVE, CLOCK))
def test_trigger_fire_times(wf_target: Target, wf_check: CheckContext) -> None:
    """Over simulated days, a schedule whose cron is a trigger cron is enqueued exactly at that trigger's fire
    times in Cloudflare's dialect (next_fires); a schedule whose cron is no trigger is never enqueued."""
    triggers = list(project_triggers())
    if not triggers:
        pytest.skip("the project's scheduler declares no trigger crons")
    crons = st.sampled_from(triggers + _non_trigger_crons())

    @_CLOCK_SETTINGS
    @given(chosen=st.lists(crons, min_size=1, max_size=5), days=st.integers(1, 35))
    @example(chosen=triggers, days=15)
    def fires(chosen: list[str], days: int) -> None:
        tag = nonce()
        probe = f"wfk-now-{tag}"
        schedules = [schedule(ECHO_ID, cron, f"wfk/clock/{tag}/{i}") for i, cron in enumerate(chosen)]
        schedules.append(schedule(ECHO_ID, probe, f"wfk/clock/{tag}/now"))
        watermark = mark(wf_target)
        with wf_target.env_changed("scheduler", config_env(schedules)):
            fire(wf_target, wf_check, probe, None)  # scheduledTime = the target's now: the window's start
            wf_target.advance(days * 86_400)
        seen = seen_since(wf_target, watermark)
        now_tasks = [task for task in seen if task.target == f"wfk/clock/{tag}/now"]
        wf_check.expect(len(now_tasks) == 1, f"the probe event enqueued {len(now_tasks)} tasks, expected 1")
        start = wf_check.iso_instant(now_tasks[0].scheduled_time, "the probe task's scheduledTime")
        end = start + timedelta(days=days)
        for index, cron in enumerate(chosen):
            got = sorted(
                wf_check.iso_instant(task.scheduled_time, "scheduledTime")
                for task in seen
                if task.target == f"wfk/clock/{tag}/{index}"
            )
            wanted = fires_between(cron, start, end) if cron in triggers else []
            if got != wanted:
                extra = [to_iso_string(m) for m in got if m not in wanted][:5]
                missing = [to_iso_string(m) for m in wanted if m not in got][:5]
                wf_check.fail(
                    f"schedule {index} with cron {cron!r} (triggers {triggers}) over {days} days "
                    f"from {to_iso_string(start)}: "
                    f"enqueued {len(got)} times, the dialect says {len(wanted)}; unexpected {extra}, missing {missing}"
                )

    fires()


@check("schedules.builtins-reachable", "recommended", requires=(DRAIN, DB, CLOCK))
def test_builtins_reachable(wf_target: Target, wf_check: CheckContext) -> None:
    """Every enabled built-in schedule fires by itself within 31 simulated days (upstream: none does, Q1)."""
    builtins = [item for item in load_bundled().schedules if item.enabled]
    env = dict.fromkeys(MANIFEST_VARS) if wf_target.has(SET_ENV) else {}
    watermark = mark(wf_target)
    with wf_target.env_changed("scheduler", env):
        wf_target.advance(REACHABLE_DAYS * 86_400)
    wf_target.drain()
    rows = wf_target.query("SELECT DISTINCT schedule_id FROM runs WHERE id > ? AND kind = 'scheduled_job'", watermark)
    fired = {row["schedule_id"] for row in rows}
    silent = [f"{item.id} ({item.cron!r})" for item in builtins if item.id not in fired]
    wf_check.expect(
        not silent,
        f"in {REACHABLE_DAYS} simulated days the scheduler never enqueued built-in schedule(s) {', '.join(silent)}: "
        f"no trigger cron {list(project_triggers())} equals their cron string (upstream defect Q1)",
    )


# ---------------------------------------------------------------------------------------------------------
# POST /api/dev/cron/{scheduleId} (spec 4.7)
# ---------------------------------------------------------------------------------------------------------


def dev_cron(target: Target, schedule_id: str, trace: str) -> Any:
    return target.api.post(f"/api/dev/cron/{schedule_id}", json={"ignored": True}, headers={"x-trace-id": trace})


@check("schedules.dev-cron-accepted", "required", requires=[WRITES])
def test_dev_cron_accepted(wf_target: Target, wf_check: CheckContext) -> None:
    """POST /api/dev/cron/heartbeat_hourly answers 202 {accepted, traceId, scheduleId, enqueuedAt,
    trigger:"manual_api"}; with a queue to drain, the task runs with scheduledTime = enqueuedAt."""
    trace = new_trace(wf_target)
    response = dev_cron(wf_target, ECHO_ID, trace)
    wf_check.expect_status(response, 202)
    body = wf_check.json(response)
    wf_check.expect_equal(
        list(body), ["accepted", "traceId", "scheduleId", "enqueuedAt", "trigger"], "202 keys (and their order)"
    )
    wf_check.expect_equal(body["accepted"], True, "accepted")
    wf_check.expect_equal(body["traceId"], trace, "traceId (the x-trace-id header)")
    wf_check.expect_equal(body["scheduleId"], ECHO_ID, "scheduleId")
    wf_check.expect_equal(body["trigger"], "manual_api", "trigger")
    wf_check.iso_instant(body["enqueuedAt"], "enqueuedAt")
    if not wf_target.has(DRAIN, DB):
        return
    wf_target.drain()
    rows = wf_target.query("SELECT kind, schedule_id, status, output FROM runs WHERE trace_id = ?", trace)
    wf_check.expect(rows, f"no runs row for the dev-cron trace {trace}: the task was not queued")
    row = rows[0]
    wf_check.expect_equal((row["kind"], row["schedule_id"]), ("scheduled_job", ECHO_ID), "the run's kind, schedule")
    output = _loads(row["output"])
    wf_check.expect(isinstance(output, dict), f"the heartbeat run has no JSON output: {row!r}")
    wf_check.expect_equal(output.get("scheduledTime"), body["enqueuedAt"], "payload scheduledTime (= enqueuedAt)")


@check("schedules.dev-cron-task-shape", "required", requires=[WRITES, SET_ENV, DRAIN, DB])
def test_dev_cron_task_shape(wf_target: Target, wf_check: CheckContext) -> None:
    """The dev-cron task is {kind, traceId, scheduleId, payload, enqueuedAt} with payload {target, cron,
    timeZone, scheduledTime: enqueuedAt, trigger: "manual_api"} (seen in the dead letter of a handler-less id)."""
    tag = nonce()
    item = schedule(f"wfk_dev_{tag}", "15 1 * * *", f"f/wfk/dev/{tag}", zone="Asia/Kolkata")
    trace = new_trace(wf_target)
    with wf_target.env_changed("api", config_env([item])):
        response = dev_cron(wf_target, item["id"], trace)
    wf_check.expect_status(response, 202)
    enqueued_at = wf_check.json(response).get("enqueuedAt")
    wf_target.drain()
    rows = wf_target.query("SELECT payload_json FROM dead_letters WHERE trace_id = ? ORDER BY id LIMIT 1", trace)
    wf_check.expect(rows, f"no dead letter for trace {trace}: the handler-less task did not reach the workflow")
    task = _loads(rows[0]["payload_json"])
    wf_check.expect(isinstance(task, dict), f"the dead letter's payload_json is not a task: {rows[0]!r}")
    wf_check.expect_equal(list(task), TASK_KEYS, "task keys (and their order)")
    expected = {
        "kind": "scheduled_job",
        "traceId": trace,
        "scheduleId": item["id"],
        "payload": {
            "target": item["target"],
            "cron": item["cron"],
            "timeZone": item["timeZone"],
            "scheduledTime": enqueued_at,
            "trigger": "manual_api",
        },
        "enqueuedAt": enqueued_at,
    }
    wf_check.expect_equal(task, expected, "the dev-cron task")
    wf_check.expect_equal(list(task["payload"]), [*PAYLOAD_KEYS, "trigger"], "payload keys (and their order)")


@check("schedules.dev-cron-unknown-404", "required")
def test_dev_cron_unknown_404(wf_target: Target, wf_check: CheckContext) -> None:
    """POST /api/dev/cron/<id the manifest lacks> answers 404 {"error":"unknown schedule","scheduleId":id}."""
    schedule_id = f"wfk_no_such_schedule_{nonce()}"
    response = dev_cron(wf_target, schedule_id, new_trace(wf_target))
    wf_check.expect_status(response, 404)
    expected = {"error": "unknown schedule", "scheduleId": schedule_id}
    wf_check.expect_equal(wf_check.json(response), expected, "404 body")


@check("schedules.dev-cron-disabled-404", "required", requires=[SET_ENV])
def test_dev_cron_disabled_404(wf_target: Target, wf_check: CheckContext) -> None:
    """POST /api/dev/cron/<disabled schedule> answers 404 {"error":"unknown schedule",...} and enqueues nothing."""
    tag = nonce()
    items = [
        schedule(f"wfk_off_{tag}", NIGHTLY, f"f/wfk/off/{tag}", enabled=False),
        schedule(ECHO_ID, NIGHTLY, f"f/wfk/off/{tag}/heartbeat", enabled=False),
    ]
    with wf_target.env_changed("api", config_env(items)):
        for item in items:
            response = dev_cron(wf_target, item["id"], new_trace(wf_target))
            wf_check.expect_status(response, 404)
            expected = {"error": "unknown schedule", "scheduleId": item["id"]}
            wf_check.expect_equal(wf_check.json(response), expected, f"404 body for disabled {item['id']!r}")


@check("schedules.dev-cron-duplicate", "required", requires=[WRITES])
def test_dev_cron_duplicate(wf_target: Target, wf_check: CheckContext) -> None:
    """A trace id seen before answers 202 {"accepted":true,"duplicate":true,"traceId":T,"scheduleId":id}."""
    trace = new_trace(wf_target)
    first = dev_cron(wf_target, ECHO_ID, trace)
    wf_check.expect_status(first, 202)
    again = dev_cron(wf_target, ECHO_ID, trace)
    wf_check.expect_status(again, 202)
    body = wf_check.json(again)
    expected = {"accepted": True, "duplicate": True, "traceId": trace, "scheduleId": ECHO_ID}
    wf_check.expect_equal(body, expected, "duplicate body")
    wf_check.expect_equal(list(body), list(expected), "duplicate body keys (and their order)")
