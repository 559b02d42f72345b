"""Run one route fixture against a target: send its request (and repeats), compare the answer, and, where the
target allows, the task it queued, whether the workflow ran, the outbound calls and the run it ended in.

The same code serves the ``routes.fixture`` checks and ``workerflow-kit fixtures run``, so a fixture means the
same thing in both. What each expectation needs from the target:

=====================  =====================================================================================
expectation            needs
=====================  =====================================================================================
status, headers, body  nothing (a POST expecting a 2xx also needs ``writes_allowed``)
``env``                ``set_env`` (set in the api and workflow workers, put back afterwards)
``task``               ``set_env`` and ``drain_queue``, in process (see :mod:`.observe`)
``workflowCalled``     ``set_env``, in process
``outbound*``          ``stub_outbound``
``run``                an ops worker (polled with :func:`~workerflow_kit.live.polling.wait_for_run`)
=====================  =====================================================================================

A lacking ``writes_allowed``, ``set_env`` for ``env`` or ``stub_outbound`` skips the fixture before anything is
sent. For ``task`` and ``workflowCalled`` the answer is still compared; the fixture then skips (naming the
capability) when the answer matched, so a wrong answer fails on every target.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any, Final

import httpx

from workerflow_kit.authoring.diff import Difference, contains, exact, pointer, show, subset
from workerflow_kit.authoring.observe import WorkflowCalls, unwatchable, watch_workflow_calls
from workerflow_kit.authoring.outbound import compare_calls, unmatched
from workerflow_kit.authoring.outcome import Outcome
from workerflow_kit.authoring.traces import TRACE_HEADER, header, swap
from workerflow_kit.live.errors import NotObserved
from workerflow_kit.live.polling import wait_for_run
from workerflow_kit.targets.base import Capability, MissingCapability, OutboundRecorder, Target

__all__ = ["DEFAULT_TIMEOUT", "build_request", "exchanges", "run_route_fixture"]

DEFAULT_TIMEOUT: Final = 30.0
"""Seconds to wait for an async run to finish (a served runtime delivers within its 5 s batch timeout)."""
ENV_WORKERS: Final = ("api", "workflow")


def exchanges(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """``(pointer prefix, expect)`` for the first exchange and each repetition."""
    found: list[tuple[str, Mapping[str, Any]]] = [("", data["expect"])]
    repeat = data.get("repeat")
    if repeat:
        found += [(f"/repeat/{n}", repeat["expect"]) for n in range(1, int(repeat["times"]) + 1)]
    return found


def build_request(request: Mapping[str, Any], trace: str | None) -> dict[str, Any]:
    """Keyword arguments for :meth:`httpx.Client.request` from a fixture's ``request`` (trace id swapped in)."""
    headers = dict(request.get("headers", {}))
    for name in list(headers):
        if name.lower() == TRACE_HEADER and trace is not None:
            headers[name] = trace
    options: dict[str, Any] = {"method": request.get("method", "POST"), "url": request["path"], "headers": headers}
    if "body" in request:
        if header(headers, "content-type") is None:
            headers["content-type"] = "application/json"
        options["content"] = json.dumps(request["body"], ensure_ascii=False).encode("utf-8")
    elif "bodyText" in request:
        options["content"] = request["bodyText"].encode("utf-8")
    return options


def _needs(data: Mapping[str, Any]) -> list[Capability]:
    """Capabilities without which nothing is sent."""
    needs: list[Capability] = []
    method = data["request"].get("method", "POST")
    if method == "POST" and any(200 <= expect["status"] < 300 for _, expect in exchanges(data)):
        needs.append(Capability.WRITES_ALLOWED)
    if data.get("env"):
        needs.append(Capability.SET_ENV)
    if data.get("outbound") or any("outboundCalls" in expect for _, expect in exchanges(data)):
        needs.append(Capability.STUB_OUTBOUND)
    return needs


@contextmanager
def _env(target: Target, env: Mapping[str, str] | None) -> Iterator[None]:
    with ExitStack() as stack:
        for worker in ENV_WORKERS if env else ():
            stack.enter_context(target.env_changed(worker, dict(env or {})))
        yield


def _json(response: httpx.Response) -> tuple[bool, Any]:
    try:
        return True, response.json()
    except (ValueError, UnicodeDecodeError):
        return False, None


def compare_response(response: httpx.Response, expect: Mapping[str, Any], at: str) -> list[Difference]:
    """Status, headers and body of one answer against one ``expect`` block."""
    found: list[Difference] = []
    if response.status_code != expect["status"]:
        found.append(Difference(f"{at}/status", expected=expect["status"], actual=response.status_code))
    for name, value in expect.get("headers", {}).items():
        actual = response.headers.get(name)
        where = pointer(f"{at}/headers", name.lower())
        if actual is None:
            found.append(Difference(where, expected=value, missing=True))
        elif actual != value:
            found.append(Difference(where, expected=value, actual=actual))
    if "bodyFields" in expect or "bodyExact" in expect:
        ok, body = _json(response)
        if not ok:
            found.append(Difference(f"{at}/body", note=f"expected a JSON body, got {show(response.text)}"))
        elif "bodyFields" in expect:
            found += subset(body, expect["bodyFields"], f"{at}/body")
        else:
            found += exact(body, expect["bodyExact"], f"{at}/body")
    return found


def compare_task(queued: list[Any], expected: Mapping[str, Any] | None, at: str) -> list[Difference]:
    """The tasks one exchange queued against its ``task`` expectation (``None``: nothing may be queued)."""
    where = f"{at}/task"
    if expected is None:
        return [Difference(where, note=f"expected nothing queued, got {show(task)}") for task in queued]
    if not queued:
        return [Difference(where, note="expected a queued task, got nothing")]
    if len(queued) > 1:
        return [Difference(where, note=f"expected one queued task, got {len(queued)}: {show(queued)}")]
    task = queued[0]
    fields = {key: value for key, value in expected.items() if key != "payload"}
    found = subset(task, fields, where)
    if "payload" in expected:
        if not isinstance(task, dict) or "payload" not in task:
            found.append(Difference(f"{where}/payload", expected=expected["payload"], missing=True))
        else:
            found += exact(task["payload"], expected["payload"], f"{where}/payload")
    return found


def compare_run(detail: Mapping[str, Any], expected: Mapping[str, Any]) -> list[Difference]:
    """A finished run (the ops run detail) against the fixture's ``run`` expectation."""
    run = detail.get("run") or {}
    found: list[Difference] = []
    if run.get("status") != expected["status"]:
        error = f" (error: {run.get('error')})" if run.get("error") else ""
        found.append(
            Difference("/run/status", note=f"expected {show(expected['status'])}, got {show(run.get('status'))}{error}")
        )
    if "output" in expected:
        text = run.get("output")
        try:
            output = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            output = text
        wanted = expected["output"]
        found += (
            subset(output, wanted, "/run/output") if isinstance(wanted, dict) else exact(output, wanted, "/run/output")
        )
    if "errorContains" in expected:
        found += contains(run.get("error"), expected["errorContains"], "/run/error")
    return found


def _missing(target: Target, *capabilities: Capability) -> str | None:
    lacking = target.missing(*capabilities)
    return str(MissingCapability(lacking[0], target.name)) if lacking else None


def run_route_fixture(target: Target, data: Mapping[str, Any], *, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Run the route fixture ``data`` (a schema-valid document) against ``target``; see the module notes."""
    blocked = _missing(target, *_needs(data))
    if blocked is not None:
        return Outcome.skip(blocked)
    fixture_trace = header(data["request"].get("headers", {}), TRACE_HEADER)
    trace = target.new_trace_id(fixture_trace) if fixture_trace else None
    steps = exchanges(data)
    if fixture_trace and trace:
        steps = [(at, swap(dict(expect), fixture_trace, trace)) for at, expect in steps]
    outcome = Outcome()
    wants_task = any("task" in expect for _, expect in steps)
    wants_called = any("workflowCalled" in expect for _, expect in steps)
    can_see_tasks = unwatchable(target, drain=True)
    can_see_calls = unwatchable(target, drain=False)
    unchecked = [what for what, wanted, why in (("the queued task", wants_task, can_see_tasks),
                 ("whether the workflow ran", wants_called, can_see_calls)) if wanted and why]  # fmt: skip
    if unchecked:
        verb = "are" if len(unchecked) > 1 else "is"
        outcome.skipped.append(f"{' and '.join(unchecked)} {verb} not checked: {can_see_tasks or can_see_calls}")
    watching = (wants_task and not can_see_tasks) or (wants_called and not can_see_calls)
    stubbing = bool(data.get("outbound")) or any("outboundCalls" in expect for _, expect in steps)
    with ExitStack() as stack:
        stack.enter_context(_env(target, data.get("env")))
        recorder: OutboundRecorder | None = (
            stack.enter_context(target.stub_outbound(data.get("outbound", []))) if stubbing else None
        )
        seen: WorkflowCalls | None = stack.enter_context(watch_workflow_calls(target)) if watching else None
        if seen is not None and target.has(Capability.DRAIN_QUEUE):
            target.drain()  # deliver what earlier requests left queued, so what follows is this fixture's
        sent_trace = trace
        for at, expect in steps:
            mark = seen.mark() if seen is not None else 0
            calls_before = len(recorder.calls) if recorder is not None else 0
            response = target.api.request(**build_request(data["request"], trace))
            outcome.differences += compare_response(response, expect, at)
            if sent_trace is None:
                ok, body = _json(response)
                sent_trace = body.get("traceId") if ok and isinstance(body, dict) else None
            if seen is not None:
                if target.has(Capability.DRAIN_QUEUE):
                    target.drain()
                if "task" in expect and not can_see_tasks:
                    queued = seen.queued(mark, sent_trace)
                    outcome.differences += compare_task(queued, expect["task"], at)
                if "workflowCalled" in expect and not can_see_calls:
                    called = bool(seen.since(mark, "api", sent_trace))
                    if called != expect["workflowCalled"]:
                        outcome.differences.append(
                            Difference(f"{at}/workflowCalled", expected=expect["workflowCalled"], actual=called)
                        )
            if "run" in expect:
                # First: where the queue delivers by itself, the run's outbound calls come only with the run.
                outcome.differences += _check_run(target, sent_trace, expect["run"], timeout, outcome)
            if recorder is not None and "outboundCalls" in expect:
                outcome.differences += compare_calls(
                    recorder.calls[calls_before:], expect["outboundCalls"], f"{at}/outboundCalls"
                )
        if recorder is not None:
            outcome.differences += unmatched(recorder.unmatched)
            recorder.unmatched.clear()  # reported above, as a difference rather than an exception on exit
    return outcome


def _check_run(
    target: Target, trace: str | None, expected: Mapping[str, Any], timeout: float, outcome: Outcome
) -> list[Difference]:
    if not target.has_worker("ops"):
        outcome.skipped.append(f"the run is not checked: target '{target.name}' reaches no ops worker")
        return []
    if trace is None:
        return [Difference("/run", note="no trace id to look the run up by (the answer carried none)")]
    step = target.drain if target.has(Capability.DRAIN_QUEUE) else None
    try:
        detail = wait_for_run(target.ops, trace, timeout=timeout, step=step)
    except NotObserved as exc:
        return [Difference("/run", note=str(exc))]
    return compare_run(detail, expected)
