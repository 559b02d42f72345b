"""Stateful checks: a Hypothesis state machine drives the whole runtime and a small model predicts it.

The machine submits requests to async and sync routes (with and without ``x-trace-id``, and again with ids
already used, on any route), gates routes on and off, moves the clock, delivers one batch or drains the
queue, and replays dead letters from the ops dashboard. A plain Python model predicts every HTTP answer and
how every accepted trace ends; after every step the invariants below are checked against the database.

=====================================  ========  ==================================================================
check                                  level     rule
=====================================  ========  ==================================================================
``stateful.responses-match-model``     required  every answer is the one the model predicts: 202 accepted or 202
                                                 duplicate, 404 for a gated route, 200 ``{traceId, result}`` for
                                                 a sync route, and 404/409/202 from ``POST /api/retry/{traceId}``
``stateful.nothing-lost``              required  once the queue is drained, every accepted async trace has one
                                                 ``runs`` row (succeeded, or failed with at least one dead letter)
                                                 and no other trace has one: no run for duplicates, gated routes
                                                 or sync routes (quirk Q5)
``stateful.attempts-match-plan``       required  a handler following a fault plan runs exactly as often as the
                                                 plan predicts: a retryable failure is delivered again until
                                                 ``max_retries + 1`` deliveries, a non-retryable one is acked at
                                                 once (spec 5.2, 5.3)
``stateful.ops-counts-equal-db``       required  ``GET /api/summary`` counts equal SQL counts over the same window
``stateful.lineage-consistent``        required  each successful ops retry adds one ``replay_lineage`` row with
                                                 ``retry_count`` = previous maximum for the parent + 1, and the
                                                 child gets its own run (spec 9.6)
``stateful.dead-letters-deduped``      required  identical error texts leave one dead-letter row per trace (5.4)
=====================================  ========  ==================================================================

Each check is one pytest test that runs the whole machine (a third of the profile's ``max_examples``,
``stateful_step_count=20``: seconds in process) and enforces its own rule; the other rules are left to their
own tests, so a failure names the rule it broke and Hypothesis shrinks towards it. Failures raise through
``wf_check``: the message starts with ``[stateful.<rule> | required]`` and Hypothesis prints the shortest steps
that break it.

Routes: ``webhook_echo`` (async, succeeds), ``chat_notify`` (async; with no chat webhook configured it fails
with a non-retryable error and leaves one dead letter), ``lead_normalizer`` (sync) and, when the target lets
the suite install a handler (in process: ``set_env`` plus the runtime's handler registry), a config-mode
route ``wfk_stateful_fault`` whose handler fails or succeeds per delivery as a generated
:class:`~workerflow_kit.strategies.FaultPlan` says (the plan travels in the request body, so a replayed
task follows it too). The expected number of deliveries uses the consumer settings of the project's wrangler
files (upstream: ``max_retries`` 8), not the queue's live settings.

Targets: in process every rule runs. Without ``set_env`` (served, url) gating and the fault route are left
out, ``chat_notify`` and ``lead_normalizer`` are used only when the workflow's ``/health/config`` shows
they behave as the model expects, and without ``drain_queue`` the machine waits for the background queue by
polling ``runs`` (``inspect_db``) until each accepted trace settles or a deadline passes. Every check needs
``writes_allowed`` and ``inspect_db``; ``attempts-match-plan`` also needs ``set_env``, ``drain_queue`` and a
target that exposes its runtime, and skips naming what is missing.

While a check runs it changes the live env (config mode with the fault route, a placeholder Google AI key,
no chat webhook, the gating variables) and puts every value back afterwards.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from workerflow_kit.strategies.faults import AttemptOutcome, FaultPlan, FinalState, fault_plans
from workerflow_kit.strategies.payloads import json_payloads
from workerflow_kit.suites.checks import CheckContext, check
from workerflow_kit.suites.profiles import scaled
from workerflow_kit.targets.base import Capability, Target

if TYPE_CHECKING:
    from workerflow_kit.runtime.handlers.context import HandlerContext
    from workerflow_kit.runtime.stack import Runtime

WRITES = Capability.WRITES_ALLOWED
DB = Capability.INSPECT_DB

RESPONSES: Final = "stateful.responses-match-model"
NOTHING_LOST: Final = "stateful.nothing-lost"
ATTEMPTS: Final = "stateful.attempts-match-plan"
OPS_COUNTS: Final = "stateful.ops-counts-equal-db"
LINEAGE: Final = "stateful.lineage-consistent"
DEDUPED: Final = "stateful.dead-letters-deduped"

ECHO_ROUTE: Final = "webhook_echo"
CHAT_ROUTE: Final = "chat_notify"
SYNC_ROUTE: Final = "lead_normalizer"
FAULT_ROUTE: Final = "wfk_stateful_fault"
ASYNC_ROUTES: Final = (ECHO_ROUTE, CHAT_ROUTE, FAULT_ROUTE)
ALL_ROUTES: Final = (*ASYNC_ROUTES, SYNC_ROUTE)

CHAT_WEBHOOK_VARS: Final = ("CHAT_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK")
SYNC_KEY_VARS: Final = ("GOOGLEAI_API_KEY", "LEAD_NORMALIZER_API_KEY")
GATING_VARS: Final = ("ENABLED_HTTP_ROUTES", "DISABLED_HTTP_ROUTES")
MANIFEST_WORKERS: Final = ("api", "workflow", "ops", "queue-consumer")
GATING_WORKERS: Final = ("api", "ops")

EXAMPLES_SHARE: Final = 0.35
"""The machine's share of the profile's ``max_examples``: each of its examples is a run of up to 20 steps."""
STEP_COUNT: Final = 20


def stateful_settings() -> settings:
    """The machine's settings: the loaded Hypothesis profile, with a third of its ``max_examples``
    (:data:`EXAMPLES_SHARE`), ``stateful_step_count=20`` (a few seconds per check in process) and no deadline.

    A profile that sets ``stateful_step_count`` itself (``--hypothesis-profile=...``) keeps it; so do its other
    settings (``derandomize``, ``phases``, ``database``...).
    """
    loaded = settings.default or settings.get_profile("default")
    builtin = settings.get_profile("default")
    examples = scaled(EXAMPLES_SHARE)
    steps = loaded.stateful_step_count if loaded.stateful_step_count != builtin.stateful_step_count else STEP_COUNT
    return settings(
        loaded,
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[*loaded.suppress_health_check, HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


SETTLE_SECONDS: Final = 30.0
"""Without ``drain_queue``: how long to wait for the background queue to settle every accepted trace."""

ECHO_FINAL: Final = FinalState("succeeded", 1, "ack")
CHAT_FINAL: Final = FinalState("dead_lettered", 1, "ack", ("(the chat webhook is missing)",))


# ---------------------------------------------------------------------------------------------------------
# The harness: what the target allows, the check in force, the fault handler's counters
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Harness:
    """One check's view of the target while its machine runs."""

    target: Target
    check: CheckContext
    runtime: Runtime | None
    """The in-process runtime, when the target exposes it (fault handler, one-batch delivery)."""
    can_drain: bool
    can_advance: bool
    can_gate: bool
    faults: bool
    chat: bool
    sync: bool
    max_retries: int
    invocations: Counter[str] = field(default_factory=Counter)
    """Deliveries seen by the fault handler, per trace id."""

    def wants(self, check_id: str) -> bool:
        """Whether ``check_id`` is the rule this run enforces."""
        return self.check.id == check_id

    def expect(self, check_id: str, condition: object, message: str) -> None:
        """Fail the run with ``message`` when ``condition`` is false and ``check_id`` is the rule in force."""
        if not condition and self.wants(check_id):
            self.check.fail(message)

    def query(self, sql: str, *params: object) -> list[dict[str, Any]]:
        return self.target.query(sql, *params)


def _runtime_of(target: Target) -> Runtime | None:
    from workerflow_kit.runtime.stack import Runtime

    runtime = getattr(target, "runtime", None)
    return runtime if isinstance(runtime, Runtime) else None


def _contract_max_retries(runtime: Runtime | None) -> int:
    """``max_retries`` of the consumer the project's wrangler files declare (upstream: 8)."""
    from workerflow_kit.runtime.bindings.queue import QueueSettings

    if runtime is not None:
        consumer = runtime.project.topology.consumer_settings
        if consumer is not None:
            return QueueSettings.from_wrangler(consumer.model_dump()).max_retries
    return QueueSettings.cloudflare().max_retries


def _config_errors(target: Target) -> list[str]:
    """The workflow's ``/health/config`` errors (empty when it cannot be asked)."""
    if not target.has_worker("workflow"):
        return []
    try:
        response = target.workflow.get("/health/config")
        errors = response.json().get("errors", []) if response.status_code == 200 else []
    except (httpx.HTTPError, ValueError, AttributeError):
        return []
    return [error for error in errors if isinstance(error, str)]


def _fault_handler(harness: Harness) -> Any:
    """The fault route's handler: delivery ``n`` of a trace does what entry ``n`` of the body's plan says."""

    async def handle(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        harness.invocations[trace_id] += 1
        attempt = harness.invocations[trace_id]
        plan = payload.get("plan") if isinstance(payload, dict) else None
        if not isinstance(plan, list) or not plan:
            raise ValueError("no fault plan found in payload")
        kind, message = plan[min(attempt, len(plan)) - 1]
        if kind == "succeed":
            return {"ok": True, "route": FAULT_ROUTE, "attempt": attempt}
        raise RuntimeError(message)

    return handle


@contextmanager
def _prepared(target: Target, wf_check: CheckContext) -> Iterator[Harness]:
    """Set the env the machine needs (restored afterwards) and build the :class:`Harness`."""
    runtime = _runtime_of(target)
    can_env = target.has(Capability.SET_ENV)
    harness = Harness(
        target=target,
        check=wf_check,
        runtime=runtime,
        can_drain=target.has(Capability.DRAIN_QUEUE),
        can_advance=target.has(Capability.CLOCK),
        can_gate=can_env,
        faults=can_env and runtime is not None and target.has(Capability.DRAIN_QUEUE),
        chat=can_env,
        sync=can_env,
        max_retries=_contract_max_retries(runtime),
    )
    with ExitStack() as stack:  # each env change is undone on the way out, the last one first

        def put(worker: str, changes: Mapping[str, object | None]) -> None:
            stack.enter_context(target.env_changed(worker, changes))

        if can_env:
            put("workflow", dict.fromkeys(CHAT_WEBHOOK_VARS))
            if not any(_env_value(target, "workflow", name) for name in SYNC_KEY_VARS):
                put("workflow", {SYNC_KEY_VARS[0]: "wfk-placeholder-key"})
            for worker in GATING_WORKERS:
                put(worker, dict.fromkeys(GATING_VARS))
        else:
            errors = _config_errors(target)
            harness.chat = any(f'"{CHAT_ROUTE}"' in error for error in errors)
            harness.sync = not any(f'"{SYNC_ROUTE}"' in error for error in errors)
        if harness.faults and runtime is not None:
            routes = [route.model_dump(mode="json") for route in runtime.project.routes]
            routes = [route for route in routes if route.get("routePath") != FAULT_ROUTE]
            routes.append(
                {"routePath": FAULT_ROUTE, "requestType": "async", "flowPath": "wfk/stateful/fault", "wrapBody": False}
            )
            for worker in MANIFEST_WORKERS:
                put(worker, {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": json.dumps(routes)})
            runtime.handlers.add_http(FAULT_ROUTE, _fault_handler(harness), replace=True)
        yield harness


def _env_value(target: Target, worker: str, name: str) -> object | None:
    """The current non-blank value of ``name`` in ``worker``'s env (``set_env`` returns it; it is put back)."""
    value = target.set_env(worker, name, None)
    target.set_env(worker, name, value)
    return value if isinstance(value, str) and value.strip() else None


# ---------------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Accepted:
    """One accepted async trace: its route, how it must end, and (for the fault route) its plan."""

    route: str
    final: FinalState
    plan: tuple[AttemptOutcome, ...] | None = None
    parent: str | None = None


def _final_for(trace: str, plan: tuple[AttemptOutcome, ...], max_retries: int) -> FinalState:
    return FaultPlan(((trace, plan),)).expected_final_state(max_retries)[trace]


def _plan_body(plan: Sequence[AttemptOutcome]) -> dict[str, Any]:
    return {"plan": [[outcome.kind, outcome.message] for outcome in plan]}


def _in(values: Sequence[str]) -> str:
    return ",".join("?" for _ in values)


TRACE_MODES = st.sampled_from(("header", "header", "padded", "none"))
"""How a fresh request names its trace: an ``x-trace-id`` header, the same padded with blanks, or none."""

LEADS = st.fixed_dictionaries(
    {},
    optional={
        "firstName": st.sampled_from(("Ava", "Bo", "")),
        "lastName": st.sampled_from(("Ng", "Li")),
        "email": st.sampled_from(("AVA@Example.COM", "bo@example.org", "")),
        "phone": st.sampled_from(("(555) 111-2222", "+1 555 0100")),
    },
)


class WorkerFlowMachine(RuleBasedStateMachine):
    """Drives one target through submissions, deliveries, clock moves, gating and ops retries."""

    submitted = Bundle("submitted")
    """Trace ids the api stored as idempotency keys (async accepted or sync answered)."""
    replayed = Bundle("replayed")
    """Child trace ids created by ops retries (not idempotency keys: quirk Q21)."""

    def __init__(self, harness: Harness) -> None:
        super().__init__()
        self.h = harness
        self.accepted: dict[str, Accepted] = {}
        self.idempotent: set[str] = set()
        self.sync_traces: set[str] = set()
        self.unconsumed: set[str] = set()
        """Trace ids only ever sent to gated routes: they must not be stored, run or queued."""
        self.gated: set[str] = set()
        self.lineage: dict[str, list[str]] = {}
        """Per parent trace, the child trace ids of its successful retries, in order."""
        self.pending: set[str] = set()
        """Accepted traces enqueued since the last drain: their outcome is not known yet. Every other
        accepted trace has reached its final state, which later steps must not change."""

    # -- helpers ------------------------------------------------------------------------------------------

    def fresh_trace(self) -> str:
        """A trace id no request used, with the run's prefix (operators find what a run stored by it)."""
        return self.h.target.new_trace_id("stateful")

    def known_traces(self) -> list[str]:
        return sorted(set(self.accepted) | self.sync_traces | self.unconsumed)

    def post(self, route: str, body: Any, trace: str | None, mode: str) -> httpx.Response:
        headers = {}
        if trace is not None:
            headers["x-trace-id"] = f"  {trace}\t" if mode == "padded" else trace
        return self.h.target.api.post(f"/api/{route}", json=body, headers=headers)

    def expect_answer(self, response: httpx.Response, status: int, fields: dict[str, Any], what: str) -> Any:
        """Responses rule: ``status`` and the given body fields (``...`` means present, any value)."""
        shown = self.h.check.show(response)
        self.h.expect(RESPONSES, response.status_code == status, f"{what}: expected status {status}: {shown}")
        try:
            body = response.json()
        except ValueError:
            body = None
        self.h.expect(RESPONSES, isinstance(body, dict), f"{what}: expected a JSON object: {shown}")
        if not isinstance(body, dict):
            return {}
        for key, value in fields.items():
            if value is ...:
                self.h.expect(RESPONSES, key in body, f"{what}: {key!r} missing: {shown}")
            else:
                self.h.expect(RESPONSES, body.get(key) == value, f"{what}: {key!r} should be {value!r}: {shown}")
        return body

    def submit(self, route: str, body: Any, mode: str) -> tuple[str | None, bool]:
        """Send a fresh request; returns the trace id it consumed (or ``None``) and whether it was accepted."""
        trace = None if mode == "none" else self.fresh_trace()
        response = self.post(route, body, trace, mode)
        what = f"POST /api/{route} with {'no trace id' if trace is None else f'new trace id {trace!r}'}"
        if route in self.gated:
            self.expect_answer(response, 404, {"error": "unknown route", "routePath": route}, f"{what} (gated)")
            if trace is not None:
                self.unconsumed.add(trace)
            return None, False
        if route == SYNC_ROUTE:
            answer = self.expect_answer(response, 200, {"traceId": ... if trace is None else trace}, what)
            result = answer.get("result")
            self.h.expect(
                RESPONSES,
                isinstance(result, dict) and result.get("ok") is True and result.get("route") == SYNC_ROUTE,
                f"{what}: expected result {{ok: true, route: {SYNC_ROUTE!r}, ...}}: {self.h.check.show(response)}",
            )
        else:
            expected = {"accepted": True, "traceId": ... if trace is None else trace, "routePath": route}
            answer = self.expect_answer(response, 202, {**expected, "queuedAt": ...}, what)
            self.h.expect(RESPONSES, "duplicate" not in answer, f"{what}: a new trace id answered as a duplicate")
        if trace is None:
            given = answer.get("traceId")
            fresh = isinstance(given, str) and given and given not in self.idempotent and given not in self.accepted
            self.h.expect(RESPONSES, fresh, f"{what}: the assigned traceId {given!r} is not a new id")
            trace = given if fresh else None
        if trace is None:
            return None, False
        self.idempotent.add(trace)
        if route == SYNC_ROUTE:
            self.sync_traces.add(trace)
        else:
            self.pending.add(trace)
        return trace, True

    # -- setup --------------------------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        """No route gated; the queue holds nothing from earlier examples."""
        if self.h.can_gate:
            for worker in GATING_WORKERS:
                self.h.target.set_env(worker, "DISABLED_HTTP_ROUTES", None)
        self.settle()

    # -- submissions ----------------------------------------------------------------------------------------

    @rule(target=submitted, body=json_payloads(max_leaves=4), mode=TRACE_MODES)
    def submit_echo(self, body: Any, mode: str) -> Any:
        """webhook_echo: accepted, then succeeds on its first delivery."""
        trace, accepted = self.submit(ECHO_ROUTE, body, mode)
        if trace is None:
            return multiple()
        if accepted:
            self.accepted[trace] = Accepted(ECHO_ROUTE, ECHO_FINAL)
        return trace

    @precondition(lambda self: self.h.chat)
    @rule(target=submitted, text=st.sampled_from(("hello", "", "deploy finished")), mode=TRACE_MODES)
    def submit_chat(self, text: str, mode: str) -> Any:
        """chat_notify with no webhook configured: accepted, then one non-retryable failure."""
        trace, accepted = self.submit(CHAT_ROUTE, {"text": text}, mode)
        if trace is None:
            return multiple()
        if accepted:
            self.accepted[trace] = Accepted(CHAT_ROUTE, CHAT_FINAL)
        return trace

    @precondition(lambda self: self.h.faults)
    @rule(
        target=submitted,
        plan=fault_plans(trace_ids=st.just("planned"), min_tasks=1, max_tasks=1, max_attempts=10),
        mode=TRACE_MODES,
    )
    def submit_fault(self, plan: FaultPlan, mode: str) -> Any:
        """The fault route: each delivery succeeds or fails as the plan says."""
        outcomes = plan["planned"]
        trace, accepted = self.submit(FAULT_ROUTE, _plan_body(outcomes), mode)
        if trace is None:
            return multiple()
        if accepted:
            self.accepted[trace] = Accepted(FAULT_ROUTE, _final_for(trace, outcomes, self.h.max_retries), outcomes)
        return trace

    @precondition(lambda self: self.h.sync)
    @rule(target=submitted, lead=LEADS, mode=TRACE_MODES)
    def submit_sync(self, lead: dict[str, str], mode: str) -> Any:
        """lead_normalizer: 200 with the result; no run, no dead letter (Q5)."""
        trace, _ = self.submit(SYNC_ROUTE, lead, mode)
        return multiple() if trace is None else trace

    @rule(trace=submitted, route=st.sampled_from(ALL_ROUTES))
    def resubmit(self, trace: str, route: str) -> None:
        """A stored trace id again, on any route: 202 duplicate (sync routes too, Q4), 404 when gated."""
        if (route == CHAT_ROUTE and not self.h.chat) or (route == FAULT_ROUTE and not self.h.faults):
            route = ECHO_ROUTE
        if route == SYNC_ROUTE and not self.h.sync:
            route = ECHO_ROUTE
        body = _plan_body((AttemptOutcome("succeed"),)) if route == FAULT_ROUTE else {"again": True}
        response = self.post(route, body, trace, "header")
        what = f"POST /api/{route} with the stored trace id {trace!r}"
        if route in self.gated:
            self.expect_answer(response, 404, {"error": "unknown route", "routePath": route}, f"{what} (gated)")
            return
        answer = self.expect_answer(response, 202, {"accepted": True, "duplicate": True, "traceId": trace}, what)
        self.h.expect(RESPONSES, list(answer) == ["accepted", "duplicate", "traceId"], f"{what}: body {answer!r}")

    # -- gating, clock, queue -------------------------------------------------------------------------------

    @precondition(lambda self: self.h.can_gate)
    @rule(route=st.sampled_from(ALL_ROUTES))
    def toggle_gate(self, route: str) -> None:
        """Put ``route`` in or out of DISABLED_HTTP_ROUTES (api and ops-dashboard)."""
        self.gated ^= {route}
        value = ",".join(sorted(self.gated)) or None
        for worker in GATING_WORKERS:
            self.h.target.set_env(worker, "DISABLED_HTTP_ROUTES", value)

    @precondition(lambda self: self.h.can_advance)
    @rule(seconds=st.sampled_from((0.5, 5.0, 60.0)))
    def advance(self, seconds: float) -> None:
        """Move the virtual clock (batch timeouts, retry delays, crons)."""
        self.h.target.advance(seconds)

    @precondition(lambda self: self.h.runtime is not None)
    @rule()
    def deliver_one(self) -> None:
        """Deliver one batch of whatever is ready."""
        runtime = self.h.runtime
        assert runtime is not None
        run = getattr(self.h.target, "run", None)
        if callable(run):
            run(runtime.deliver())

    @rule()
    def drain(self) -> None:
        """Deliver until the queue is empty (or, without drain_queue, wait for the background queue)."""
        self.settle()

    def settle(self) -> None:
        if self.h.can_drain:
            self.h.target.drain()
            self.pending.clear()
            return
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            waiting = self.unsettled()
            if not waiting:
                break
            if time.monotonic() > deadline:
                self.h.expect(NOTHING_LOST, False, f"traces not settled after {SETTLE_SECONDS:g}s: {waiting[:5]}")
                break
            time.sleep(0.05)
        self.pending.clear()

    def unsettled(self) -> list[str]:
        traces = sorted(self.pending)
        if not traces:
            return []
        rows = self.h.query(
            f"SELECT r.trace_id AS trace_id, r.status AS status, "
            f"(SELECT COUNT(*) FROM dead_letters d WHERE d.trace_id = r.trace_id) AS dead "
            f"FROM runs r WHERE r.trace_id IN ({_in(traces)})",
            *traces,
        )
        done = {
            row["trace_id"]
            for row in rows
            if row["status"] == "succeeded" or (row["status"] == "failed" and row["dead"])
        }
        return [trace for trace in traces if trace not in done]

    # -- ops retry ------------------------------------------------------------------------------------------

    @rule(target=replayed, trace=st.one_of(submitted, replayed), times=st.sampled_from((1, 1, 2, 3)))
    def ops_retry(self, trace: str, times: int) -> Any:
        """POST /api/retry/{trace}, ``times`` in a row: 404 without a dead letter, 409 for a gated route, else
        202 and a new child each time.

        A trace still in the queue is left alone (whether it has a dead letter yet is not known)."""
        children = [self.retry(trace) for _ in range(times)]
        return multiple(*(child for child in children if child is not None))

    @precondition(lambda self: any(parent not in self.pending for parent in self.lineage))
    @rule(target=replayed, data=st.data())
    def ops_retry_again(self, data: st.DataObject) -> Any:
        """Retry a trace that was retried before (later, after other steps): its lineage grows by one row."""
        parents = [parent for parent in self.lineage if parent not in self.pending]
        child = self.retry(data.draw(st.sampled_from(parents), label="parent"))
        return multiple() if child is None else child

    def retry(self, trace: str) -> str | None:
        """One ops retry of ``trace`` checked against the model; the child trace id when one was created."""
        if trace in self.pending:
            return None
        response = self.h.target.ops.post(f"/api/retry/{trace}")
        what = f"POST /api/retry/{trace}"
        model = self.accepted.get(trace)
        if model is None or (model.final.status == "succeeded" and not model.final.failure_messages):
            self.expect_answer(response, 404, {"error": "dead letter not found", "traceId": trace}, what)
            return None
        if model.route in self.gated:
            reason = f'route "{model.route}" is disabled'
            self.expect_answer(response, 409, {"error": "retry blocked", "traceId": trace, "reason": reason}, what)
            return None
        newest = self.h.query("SELECT MAX(id) AS id FROM dead_letters WHERE trace_id = ?", trace)
        answer = self.expect_answer(
            response,
            202,
            {
                "accepted": True,
                "retriedFromTraceId": trace,
                "deadLetterId": newest[0]["id"] if newest else ...,
                "originalCreatedAt": ...,
                "newTraceId": ...,
            },
            what,
        )
        child = answer.get("newTraceId")
        if not isinstance(child, str) or not child or child in self.accepted or response.status_code != 202:
            self.h.expect(RESPONSES, False, f"{what}: newTraceId {child!r} is not a new trace id")
            return None
        children = self.lineage.setdefault(trace, [])
        children.append(child)
        self.check_lineage_after_retry(trace, child, answer)
        plan = model.plan
        final = _final_for(child, plan, self.h.max_retries) if plan is not None else model.final
        self.accepted[child] = Accepted(model.route, final, plan, parent=trace)
        self.pending.add(child)
        return child

    def check_lineage_after_retry(self, parent: str, child: str, answer: dict[str, Any]) -> None:
        if not self.h.wants(LINEAGE):
            return
        count = len(self.lineage[parent])
        self.h.expect(
            LINEAGE,
            answer.get("retryCount") == count,
            f"retry {count} of {parent}: the answer's retryCount is {answer.get('retryCount')!r}, expected {count} "
            f"(previous maximum for the parent + 1)",
        )
        rows = self.h.query(
            "SELECT child_trace_id, retry_count, source_dead_letter_id FROM replay_lineage "
            "WHERE parent_trace_id = ? ORDER BY id",
            parent,
        )
        self.h.expect(
            LINEAGE,
            [row["child_trace_id"] for row in rows] == self.lineage[parent],
            f"lineage rows of {parent}: children {[row['child_trace_id'] for row in rows]}, "
            f"expected one row per successful retry {self.lineage[parent]}",
        )
        self.h.expect(
            LINEAGE,
            [row["retry_count"] for row in rows] == list(range(1, count + 1)),
            f"lineage rows of {parent}: retry_count {[row['retry_count'] for row in rows]}, "
            f"expected {list(range(1, count + 1))} (each the previous maximum + 1)",
        )
        if rows:
            self.h.expect(
                LINEAGE,
                rows[-1]["source_dead_letter_id"] == answer.get("deadLetterId"),
                f"lineage row of {child}: source_dead_letter_id {rows[-1]['source_dead_letter_id']!r}, "
                f"the answer said deadLetterId {answer.get('deadLetterId')!r}",
            )

    # -- the end of every example ----------------------------------------------------------------------------

    def teardown(self) -> None:
        """Drain, then check every invariant once more, so each example ends with all its traces settled.

        Skipped while a step's failure is propagating (the example already failed)."""
        if sys.exception() is not None:
            return
        self.settle()
        self.nothing_lost()
        self.attempts_match_plan()
        self.dead_letters_deduped()
        self.ops_counts_equal_db()
        self.children_run()

    # -- invariants -----------------------------------------------------------------------------------------

    @invariant()
    def nothing_lost(self) -> None:
        if not self.h.wants(NOTHING_LOST):
            return
        known = self.known_traces()
        if not known:
            return
        runs = {
            row["trace_id"]: row
            for row in self.h.query(
                f"SELECT trace_id, route_path, status, error FROM runs WHERE trace_id IN ({_in(known)})", *known
            )
        }
        dead = Counter(
            row["trace_id"]
            for row in self.h.query(f"SELECT trace_id FROM dead_letters WHERE trace_id IN ({_in(known)})", *known)
        )
        for trace in sorted(self.sync_traces):
            self.h.expect(
                NOTHING_LOST, trace not in runs, f"sync trace {trace} has a runs row: {runs.get(trace)!r} (Q5)"
            )
            self.h.expect(NOTHING_LOST, not dead[trace], f"sync trace {trace} has {dead[trace]} dead letter(s) (Q5)")
        for trace in sorted(self.unconsumed):
            self.h.expect(NOTHING_LOST, trace not in runs, f"trace {trace} was only sent to gated routes, yet ran")
        for trace, model in sorted(self.accepted.items()):
            if trace in self.pending:
                continue
            row = runs.get(trace)
            if row is None:
                self.h.expect(
                    NOTHING_LOST, False, f"accepted {model.route} trace {trace} has no runs row after a drain"
                )
                continue
            status = "succeeded" if model.final.status == "succeeded" else "failed"
            self.h.expect(
                NOTHING_LOST,
                row["status"] == status and row["route_path"] == model.route,
                f"trace {trace} ({model.route}, expected: {model.final}): runs row {row!r}",
            )
            if status == "failed":
                self.h.expect(
                    NOTHING_LOST, dead[trace] >= 1, f"failed trace {trace} ({model.route}) has no dead letter"
                )
            elif not model.final.failure_messages:
                self.h.expect(
                    NOTHING_LOST, not dead[trace], f"trace {trace} never failed, yet has {dead[trace]} dead letter(s)"
                )

    @invariant()
    def attempts_match_plan(self) -> None:
        if not self.h.wants(ATTEMPTS):
            return
        for trace, model in sorted(self.accepted.items()):
            if model.plan is None:
                continue
            ran = self.h.invocations[trace]
            plan = [outcome.kind for outcome in model.plan]
            limit = f"max_retries {self.h.max_retries}"
            self.h.expect(
                ATTEMPTS,
                ran <= model.final.attempts,
                f"trace {trace}, plan {plan} ({limit}): expected {model.final}, the handler already ran {ran} times",
            )
            if trace not in self.pending:
                self.h.expect(
                    ATTEMPTS,
                    ran == model.final.attempts,
                    f"trace {trace}, plan {plan} ({limit}): expected {model.final}, the handler ran {ran} times",
                )

    @invariant()
    def dead_letters_deduped(self) -> None:
        if not self.h.wants(DEDUPED):
            return
        known = sorted(self.accepted)
        if not known:
            return
        rows = self.h.query(
            f"SELECT trace_id, error, COUNT(*) AS n FROM dead_letters WHERE trace_id IN ({_in(known)}) "
            "GROUP BY trace_id, error HAVING COUNT(*) > 1",
            *known,
        )
        for row in rows:
            self.h.expect(
                DEDUPED,
                False,
                f"trace {row['trace_id']} has {row['n']} dead letters with the identical error {row['error']!r}",
            )

    @invariant()
    def ops_counts_equal_db(self) -> None:
        if not self.h.wants(OPS_COUNTS):
            return
        for _ in range(5):  # a background queue may write between the two reads: retry until they agree
            response = self.h.target.ops.get("/api/summary")
            self.h.expect(OPS_COUNTS, response.status_code == 200, f"summary: {self.h.check.show(response)}")
            summary = response.json()
            since = summary.get("since")
            by_status = {
                row["status"]: row["n"]
                for row in self.h.query(
                    "SELECT status, COUNT(*) AS n FROM runs WHERE started_at >= ? GROUP BY status", since
                )
            }
            dead = self.h.query("SELECT COUNT(*) AS n FROM dead_letters WHERE created_at >= ?", since)[0]["n"]
            expected = {
                "totalRuns": sum(by_status.values()),
                "succeededRuns": by_status.get("succeeded", 0),
                "failedRuns": by_status.get("failed", 0),
                "startedRuns": by_status.get("started", 0) + by_status.get("running", 0),
                "deadLetters": dead,
            }
            actual = {key: summary.get(key) for key in expected}
            if actual == expected or self.h.can_drain:
                break
            time.sleep(0.05)
        self.h.expect(
            OPS_COUNTS, actual == expected, f"/api/summary since {since}: {actual!r}, the database: {expected!r}"
        )

    @invariant()
    def children_run(self) -> None:
        """Lineage: every child of a successful retry that left the queue has its own run."""
        children = [child for kids in self.lineage.values() for child in kids if child not in self.pending]
        if not self.h.wants(LINEAGE) or not children:
            return
        rows = self.h.query(f"SELECT trace_id FROM runs WHERE trace_id IN ({_in(children)})", *children)
        missing = sorted(set(children) - {row["trace_id"] for row in rows})
        self.h.expect(LINEAGE, not missing, f"retried children without a run after a drain: {missing}")


# ---------------------------------------------------------------------------------------------------------
# The checks: one machine run each, enforcing one rule
# ---------------------------------------------------------------------------------------------------------


def run_machine(wf_target: Target, wf_check: CheckContext, *, run_settings: settings | None = None) -> None:
    """Run :class:`WorkerFlowMachine` against ``wf_target``, enforcing ``wf_check``'s rule."""
    with _prepared(wf_target, wf_check) as harness:
        if wf_check.id == ATTEMPTS and not harness.faults:
            pytest.skip(f"requires a runtime hook to install a fault handler, which target '{wf_target.name}' lacks")
        factory: Any = lambda: WorkerFlowMachine(harness)  # noqa: E731 - the documented factory form
        run_state_machine_as_test(factory, settings=run_settings or stateful_settings())


@check(RESPONSES, "required", requires=[WRITES, DB])
def test_responses_match_model(wf_target: Target, wf_check: CheckContext) -> None:
    """Every answer (submit, duplicate, gated, sync, ops retry) is the one the model predicts."""
    run_machine(wf_target, wf_check)


@check(NOTHING_LOST, "required", requires=[WRITES, DB])
def test_nothing_lost(wf_target: Target, wf_check: CheckContext) -> None:
    """After a drain every accepted async trace has a run (and failed ones a dead letter); nothing else runs."""
    run_machine(wf_target, wf_check)


@check(ATTEMPTS, "required", requires=[WRITES, DB, Capability.SET_ENV, Capability.DRAIN_QUEUE])
def test_attempts_match_plan(wf_target: Target, wf_check: CheckContext) -> None:
    """A fault-plan handler runs as often as the plan and max_retries + 1 predict; non-retryable is acked."""
    run_machine(wf_target, wf_check)


@check(OPS_COUNTS, "required", requires=[WRITES, DB])
def test_ops_counts_equal_db(wf_target: Target, wf_check: CheckContext) -> None:
    """GET /api/summary totals equal SQL counts over the same window, after every step."""
    run_machine(wf_target, wf_check)


@check(LINEAGE, "required", requires=[WRITES, DB])
def test_lineage_consistent(wf_target: Target, wf_check: CheckContext) -> None:
    """Each ops retry adds one lineage row, retry_count = previous max + 1, and the child runs."""
    run_machine(wf_target, wf_check)


@check(DEDUPED, "required", requires=[WRITES, DB])
def test_dead_letters_deduped(wf_target: Target, wf_check: CheckContext) -> None:
    """Identical error texts leave one dead-letter row per trace."""
    run_machine(wf_target, wf_check)
