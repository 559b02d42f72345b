"""Manifest env cases agree with resolve_manifest; gating cases agree with is_route_enabled."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workerflow_kit import strategies as wst
from workerflow_kit.contracts.gating import is_route_enabled
from workerflow_kit.contracts.manifest import ManifestError, resolve_manifest
from workerflow_kit.contracts.models import Manifest


def _check(case: wst.ManifestEnvCase) -> None:
    if isinstance(case.expected, wst.ExpectedError):
        with pytest.raises(ManifestError) as info:
            resolve_manifest(case.env)
        assert case.expected.matches(str(info.value)), (case.note, str(info.value))
        assert info.value.variable == case.expected.variable
    else:
        assert resolve_manifest(case.env) == case.expected, case.note


@settings(max_examples=150)
@given(wst.manifest_env())
def test_manifest_env_cases_agree_with_resolution(case: wst.ManifestEnvCase) -> None:
    _check(case)


@given(wst.manifest_env(mode="config", valid=False))
def test_invalid_cases_are_errors(case: wst.ManifestEnvCase) -> None:
    assert not case.valid
    _check(case)


@given(wst.manifest_env(valid=True))
def test_valid_cases_are_manifests(case: wst.ManifestEnvCase) -> None:
    assert isinstance(case.expected, Manifest)
    _check(case)


@given(wst.manifest_env(mode="legacy"))
def test_legacy_cases_use_the_builtins(case: wst.ManifestEnvCase) -> None:
    assert isinstance(case.expected, Manifest)
    assert case.expected.mode == "legacy"
    _check(case)


@given(wst.manifest_env(manifests=wst.manifests(min_routes=2, max_routes=2, max_schedules=0)))
def test_manifest_source_can_be_replaced(case: wst.ManifestEnvCase) -> None:
    _check(case)


def test_expected_error_messages() -> None:
    assert wst.ExpectedError("ROUTES_CONFIG_JSON", "invalid_item", 2).matches(
        "ROUTES_CONFIG_JSON has invalid item at index 2"
    )
    assert not wst.ExpectedError("ROUTES_CONFIG_JSON", "invalid_item", 2).matches(
        "ROUTES_CONFIG_JSON has invalid item at index 3"
    )
    json_error = wst.ExpectedError("SCHEDULES_CONFIG_JSON", "invalid_json")
    assert json_error.matches("SCHEDULES_CONFIG_JSON is not valid JSON: Unexpected token")
    assert wst.ExpectedError("ROUTES_CONFIG_JSON", "not_array").matches("ROUTES_CONFIG_JSON must be a JSON array")


@settings(max_examples=150)
@given(wst.gating_env(), st.sampled_from(["webhook_echo", "chat_notify", "WEBHOOK_ECHO"]))
def test_gating_cases_agree_with_is_route_enabled(case: wst.GatingCase, other: str) -> None:
    for route in (*case.mentioned, other):
        assert is_route_enabled(route, case.env) == case.is_enabled(route), (route, case)


@given(wst.gating_env(route_paths=st.sampled_from(["a", "b", "lead_normalizer"])))
def test_gating_over_given_names(case: wst.GatingCase) -> None:
    for route in ("a", "A", "b", "lead_normalizer", "LEAD_NORMALIZER", "c"):
        assert is_route_enabled(route, case.env) == case.is_enabled(route)
    for entries in (case.enabled_routes, case.disabled_routes):
        assert entries is None or all(entry and "," not in entry for entry in entries)
