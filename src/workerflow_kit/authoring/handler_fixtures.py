"""Run one handler fixture against a target: its task on the workflow's ``/run-sync``, under its env and
outbound stubs, compared with pointer-based differences.

The task, env and capability rules are the handlers suite's own (:mod:`workerflow_kit.suites.handlers`: the
same task shape, the same "env present: the other handler variables are unset", the same needs); only the
comparison is :mod:`.diff`'s, so a mismatch lists every differing field instead of the first one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from workerflow_kit.authoring.diff import Difference, contains, exact, show, subset
from workerflow_kit.authoring.outbound import compare_calls, unmatched
from workerflow_kit.authoring.outcome import Outcome
from workerflow_kit.suites.handlers import MISSING_CONFIG, fixture_env, fixture_needs, fixture_outbound, fixture_task
from workerflow_kit.targets.base import Capability, MissingCapability, Target

__all__ = ["compare_outcome", "run_handler_fixture"]


def _body(response: httpx.Response) -> tuple[bool, Any]:
    try:
        return True, response.json()
    except (ValueError, UnicodeDecodeError):
        return False, None


def compare_outcome(response: httpx.Response, expect: Mapping[str, Any]) -> list[Difference]:
    """The workflow's answer against the fixture's ``output`` or ``error`` expectation."""
    ok, body = _body(response)
    if "output" in expect:
        found: list[Difference] = []
        if response.status_code != 200:
            found.append(
                Difference(
                    "/status", note=f"expected 200, got {response.status_code}: {show(body if ok else response.text)}"
                )
            )
            return found
        if not ok:
            return [Difference("/output", note=f"expected JSON, got {show(response.text)}")]
        wanted = expect["output"]
        return subset(body, wanted, "/output") if isinstance(wanted, dict) else exact(body, wanted, "/output")
    error = expect["error"]
    found = []
    if "status" in error and response.status_code != error["status"]:
        found.append(Difference("/status", expected=error["status"], actual=response.status_code))
    if not ok or not isinstance(body, dict):
        return [*found, Difference("/error", note=f"expected a JSON error object, got {show(response.text)}")]
    for key in ("error", "message"):
        if key in error and body.get(key) != error[key]:
            found.append(Difference(f"/error/{key}", expected=error[key], actual=body.get(key)))
    if "messageContains" in error:
        found += contains(body.get("message"), error["messageContains"], "/error/message")
    return found


def _unconfigured(response: httpx.Response) -> str | None:
    ok, body = _body(response)
    if response.status_code == 500 and ok and isinstance(body, dict) and body.get("error") == MISSING_CONFIG:
        return f"the target's workflow is not configured for this task: {show(body.get('details'))}"
    return None


def run_handler_fixture(target: Target, data: Mapping[str, Any]) -> Outcome:
    """Run the handler fixture ``data`` (a schema-valid document) against ``target``."""
    lacking = target.missing(*fixture_needs(data))
    if lacking:
        return Outcome.skip(str(MissingCapability(lacking[0], target.name)))
    if not target.has_worker("workflow"):
        return Outcome.skip(f"target '{target.name}' reaches no workflow worker (give its URL with --workflow-url)")
    expect = data["expect"]
    outcome = Outcome()
    with fixture_env(target, data.get("env")), fixture_outbound(target, data.get("outbound", [])) as recorder:
        response = target.workflow.post("/run-sync", json=fixture_task(data))
        expected_error = expect.get("error", {}).get("error")
        reason = _unconfigured(response)
        if reason and not target.has(Capability.SET_ENV) and expected_error != MISSING_CONFIG:
            outcome.skipped.append(reason)  # trusted to be configured, and it is not: not the handler's fault
        else:
            outcome.differences += compare_outcome(response, expect)
        if recorder is not None:
            if "outboundCalls" in expect and not outcome.skipped:
                outcome.differences += compare_calls(recorder.calls, expect["outboundCalls"])
            outcome.differences += unmatched(recorder.unmatched)
            recorder.unmatched.clear()  # reported above, as a difference rather than an exception on exit
    return outcome
