"""Hypothesis strategies for WorkerFlow's contracts: manifests, env, tasks, payloads, headers, crons, faults.

Every strategy takes keyword arguments only, has defaults for all of them, checks them when called (a bad
argument raises :class:`hypothesis.errors.InvalidArgument` at once, naming it) and accepts strategies where you
may want to shape a part (``route_paths=``, ``crons=``, ``trace_ids=``...). Where a generated input has an
outcome the spec fixes, the strategy returns a small case object carrying that **expected** outcome, computed
by construction or by a small oracle in this package, never by the runtime under test:

* :func:`manifest_env` -> :class:`ManifestEnvCase` (``env``, ``expected``: a
  :class:`~workerflow_kit.contracts.models.Manifest` or an :class:`ExpectedError`);
* :func:`gating_env` -> :class:`GatingCase` (the enabled/disabled sets and :meth:`GatingCase.is_enabled`);
* :func:`auth_headers` -> :class:`AuthCase` (``provided_token``, ``authorized``);
* :func:`fault_plans` -> :class:`FaultPlan` (:meth:`FaultPlan.expected_final_state`).

Examples::

    from hypothesis import given
    from workerflow_kit import strategies as wst
    from workerflow_kit.contracts.manifest import ManifestError, resolve_manifest

    @given(wst.manifest_env())
    def test_resolution(case):
        if isinstance(case.expected, wst.ExpectedError):
            with pytest.raises(ManifestError) as info:
                resolve_manifest(case.env)
            assert case.expected.matches(str(info.value))
        else:
            assert resolve_manifest(case.env) == case.expected

    @given(wst.auth_headers(wire_safe=True))
    async def test_ingress(case):  # against a target
        response = await api.post("/api/webhook_echo", headers=case.headers, json={})
        assert (response.status_code != 401) == case.authorized

    @given(wst.fault_plans(max_attempts=12))
    def test_consumer(plan):
        for trace_id, final in plan.expected_final_state(max_retries=8).items():
            ...  # drive the consumer with plan.outcome_for(trace_id, attempt), then compare

    wst.manifests(min_routes=1, unique_ids=False)   # duplicates: the first match wins
    wst.cloudflare_crons(valid=False)               # near misses cron.validate rejects
    wst.route_paths(url_safe=True)                  # segments that travel verbatim in a URL

Generated values are plain data (dicts, strings, pydantic models, frozen dataclasses) so they print readably
when Hypothesis reports a failing example.
"""

from __future__ import annotations

from workerflow_kit.strategies.cron import cloudflare_crons
from workerflow_kit.strategies.env import ExpectedError, GatingCase, ManifestEnvCase, gating_env, manifest_env
from workerflow_kit.strategies.faults import (
    NON_RETRYABLE_PATTERNS,
    AttemptOutcome,
    FaultPlan,
    FinalState,
    fail_non_retryable,
    fail_retryable,
    fault_plans,
    is_retryable,
    succeed,
)
from workerflow_kit.strategies.http import (
    TOKEN_HEADERS,
    AuthCase,
    auth_headers,
    effective_trace_id,
    expected_ingress_token,
    is_ingress_authorized,
    trace_ids,
)
from workerflow_kit.strategies.manifest import manifests, route_definitions, route_paths, schedule_definitions
from workerflow_kit.strategies.payloads import iso_timestamps, json_payloads, queue_tasks, text_payloads

__all__ = [
    "NON_RETRYABLE_PATTERNS",
    "TOKEN_HEADERS",
    "AttemptOutcome",
    "AuthCase",
    "ExpectedError",
    "FaultPlan",
    "FinalState",
    "GatingCase",
    "ManifestEnvCase",
    "auth_headers",
    "cloudflare_crons",
    "effective_trace_id",
    "expected_ingress_token",
    "fail_non_retryable",
    "fail_retryable",
    "fault_plans",
    "gating_env",
    "is_ingress_authorized",
    "is_retryable",
    "iso_timestamps",
    "json_payloads",
    "manifest_env",
    "manifests",
    "queue_tasks",
    "route_definitions",
    "route_paths",
    "schedule_definitions",
    "succeed",
    "text_payloads",
    "trace_ids",
]
