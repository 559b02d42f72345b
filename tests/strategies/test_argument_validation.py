"""Bad arguments raise InvalidArgument at call time with a message naming the argument."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from workerflow_kit import strategies as wst

CASES: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
    (wst.manifests, {"min_routes": 5, "max_routes": 2}, "min_routes=5 is greater than max_routes=2"),
    (wst.manifests, {"min_schedules": -1}, "min_schedules=-1 must be at least 0"),
    (wst.manifests, {"max_routes": 2.5}, "max_routes=2.5 must be an int or None"),
    (wst.manifests, {"unique_ids": "yes"}, "unique_ids='yes' must be True or False"),
    (wst.manifests, {"routes": [1]}, "routes=\\[1\\] must be a Hypothesis strategy"),
    (wst.route_paths, {"min_size": 0}, "min_size=0 must be at least 1"),
    (wst.route_paths, {"min_size": 3, "max_size": 2}, "min_size=3 is greater than max_size=2"),
    (wst.route_definitions, {"request_types": "sync"}, "request_types='sync' must be a Hypothesis strategy.*st.just"),
    (wst.schedule_definitions, {"crons": "0 * * * *"}, "crons='0 \\* \\* \\* \\*' must be a Hypothesis strategy"),
    (wst.manifest_env, {"mode": "Config"}, "mode='Config' must be one of None, 'legacy', 'config'"),
    (wst.manifest_env, {"mode": "legacy", "valid": False}, "legacy mode ignores the list variables"),
    (wst.manifest_env, {"valid": 1}, "valid=1 must be True or False"),
    (wst.gating_env, {"route_paths": ["a"]}, "route_paths=\\['a'\\] must be a Hypothesis strategy"),
    (wst.queue_tasks, {"kind": "cron"}, "kind='cron' must be one of"),
    (wst.trace_ids, {"max_size": 0}, "max_size=0 must be at least 1"),
    (wst.json_payloads, {"max_leaves": 0}, "max_leaves=0 must be at least 1"),
    (wst.text_payloads, {"min_size": 4, "max_size": 1}, "min_size=4 is greater than max_size=1"),
    (wst.auth_headers, {"token": "s3cret"}, "token='s3cret' must be a Hypothesis strategy"),
    (wst.cloudflare_crons, {"valid": None}, "valid=None must be True or False"),
    (wst.fault_plans, {"max_attempts": 0}, "max_attempts=0 must be at least 1"),
    (wst.fault_plans, {"min_tasks": 3, "max_tasks": 1}, "min_tasks=3 is greater than max_tasks=1"),
]


@pytest.mark.parametrize(("function", "kwargs", "message"), CASES)
def test_bad_arguments_fail_eagerly(function: Callable[..., Any], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        function(**kwargs)


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        wst.manifests(0, 5)  # type: ignore[misc]


def test_bad_drawn_values_are_reported() -> None:
    @settings(max_examples=1, database=None)
    @given(wst.route_definitions(request_types=st.just("SYNC")))
    def draw(_: object) -> None:
        pass

    with pytest.raises(InvalidArgument, match="request_types strategy produced 'SYNC'"):
        draw()


def test_final_state_needs_a_valid_max_retries() -> None:
    plan = wst.FaultPlan.from_mapping({"a": [wst.succeed()]})
    with pytest.raises(InvalidArgument, match="max_retries=-1"):
        plan.expected_final_state(-1)
