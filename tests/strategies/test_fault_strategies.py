"""Retry classification follows spec 5.3; fault plans and their expected final states are consistent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit import strategies as wst
from workerflow_kit.jscompat.json import js_json_stringify


@pytest.mark.parametrize(
    "message",
    [
        "CHAT_WEBHOOK_URL is required",
        'workflow failed: 500 {"error":"missing required configuration"}',
        "Unauthorized",
        "403 FORBIDDEN",
        "Invalid API credentials",
        "invalid credentials",
        "invalid_grant",
        "No lead found in payload",
        "no  found in payload",
    ],
)
def test_non_retryable_examples(message: str) -> None:
    assert not wst.is_retryable(message)


@pytest.mark.parametrize(
    "message",
    [
        "fetch failed",
        "Unauthorised",
        "invalidcredentials",
        "invalid\ncredentials",  # JS "." does not cross a line break
        "invalid \u2028credentials",
        "no lead\nfound in payload",
        "not found in payload",
        'No HTTP handler registered for route "x"',
        "",
    ],
)
def test_retryable_examples(message: str) -> None:
    assert wst.is_retryable(message)


def _wrapped(message: str) -> str:
    body = js_json_stringify({"error": "handler_error", "message": message, "details": None})
    return f"workflow failed: 500 {body}"


@given(wst.fault_plans(max_attempts=6), st.integers(0, 10))
def test_fault_plans_are_consistent(plan: wst.FaultPlan, max_retries: int) -> None:
    assert 1 <= len(plan) <= 5
    final = plan.expected_final_state(max_retries)
    assert set(final) == set(plan)
    for trace_id, outcomes in plan.items():
        assert 1 <= len(outcomes) <= 6
        assert not any(outcome.terminal for outcome in outcomes[:-1])  # a terminal outcome ends the plan
        for outcome in outcomes:
            if outcome.message is not None:
                assert wst.is_retryable(outcome.message) == (outcome.kind == "fail_retryable")
                assert wst.is_retryable(_wrapped(outcome.message)) == wst.is_retryable(outcome.message)
        state = final[trace_id]
        assert 1 <= state.attempts <= max_retries + 1
        last = plan.outcome_for(trace_id, state.attempts)
        if state.status == "succeeded":
            assert last.kind == "succeed"
            assert state.settlement == "ack"
        elif state.settlement == "ack":
            assert last.kind == "fail_non_retryable"
        else:
            assert state.attempts == max_retries + 1
            assert last.kind == "fail_retryable"
        failed = [plan.outcome_for(trace_id, n).message for n in range(1, state.attempts + 1)]
        assert state.failure_messages == tuple(dict.fromkeys(m for m in failed if m is not None))


def test_expected_final_state_examples() -> None:
    plan = wst.FaultPlan.from_mapping(
        {
            "a": [wst.succeed()],
            "b": [wst.fail_retryable("boom"), wst.fail_retryable("boom"), wst.succeed()],
            "c": [wst.fail_retryable("boom"), wst.fail_non_retryable("X is required")],
            "d": [wst.fail_retryable("boom")],
        }
    )
    final = plan.expected_final_state(max_retries=8)
    assert str(final["a"]) == "succeeded after 1 attempts"
    assert (final["b"].status, final["b"].attempts, final["b"].failure_messages) == ("succeeded", 3, ("boom",))
    assert (final["c"].status, final["c"].attempts, final["c"].settlement) == ("dead_lettered", 2, "ack")
    assert (final["d"].attempts, final["d"].settlement) == (9, "retries_exhausted")
    assert plan.expected_final_state(max_retries=1)["b"].status == "dead_lettered"
    assert plan.expected_final_state(max_retries=0)["b"].attempts == 1


def test_outcomes_are_checked() -> None:
    with pytest.raises(ValueError, match="patterns"):
        wst.fail_retryable("Forbidden")
    with pytest.raises(ValueError, match="patterns"):
        wst.fail_non_retryable("timeout")
    with pytest.raises(ValueError, match="only the last outcome"):
        wst.FaultPlan.from_mapping({"a": [wst.succeed(), wst.fail_retryable("x")]})
    with pytest.raises(ValueError, match="no attempt outcomes"):
        wst.FaultPlan.from_mapping({"a": []})
    with pytest.raises(ValueError, match="start at 1"):
        wst.FaultPlan.from_mapping({"a": [wst.succeed()]}).outcome_for("a", 0)


@given(wst.fault_plans(trace_ids=st.sampled_from(["t1", "t2", "t3"]), max_tasks=2, max_attempts=1))
def test_fault_plan_arguments(plan: wst.FaultPlan) -> None:
    assert 1 <= len(plan) <= 2
    assert set(plan) <= {"t1", "t2", "t3"}
    assert all(len(outcomes) == 1 for outcomes in plan.values())
