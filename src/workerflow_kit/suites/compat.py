"""Compatibility checks: the target's manifest against the kit's v0.1 contract (spec 2.7, 12.1), on any target.

The target's manifest is read where a client can see it: the ops dashboard's ``GET /api/meta`` (the manifest
mode) and ``GET /api/catalog`` (the route and schedule definitions, in manifest order; spec 9.5.4). The ops
client of the target carries its token when one is configured. The contract is the kit's bundled baseline
(``contracts/routes.v1.json``, ``contracts/schedules.v1.json`` and the scheduler's trigger crons), and the
comparison uses the rule ids and levels of :mod:`workerflow_kit.contracts.compat`.

=====================================  ===========  ============================================================
check                                  level        rule
=====================================  ===========  ============================================================
``compat.routes-match-contract``       required     the built-in routes, sorted by ``routePath``, equal the
                                                    contract's routes sorted the same way (12.1 #1)
``compat.schedules-match-contract``    required     the built-in schedules, sorted by ``id``, equal the
                                                    contract's schedules (12.1 #2)
``compat.no-breaking-changes``         required     the manifest the target serves now has no ``error``-level
                                                    change against the contract (a removed route, a flipped
                                                    ``requestType`` / ``wrapBody``, a changed cron, ...)
``compat.schedules-reachable``         recommended  every enabled schedule's cron is one of the scheduler's
                                                    trigger crons, so it fires by itself (quirk Q1: the v0.1
                                                    baseline fails this, by design of upstream)
``compat.api-serves-catalog-routes``   recommended  every route the ops catalog lists is served by the api
                                                    (not 404 ``unknown route``): both workers resolve one manifest
=====================================  ===========  ============================================================

The *built-in* lists are what a worker serves in legacy mode. When the target runs in config mode, the checks
that need the built-ins switch the ops worker to legacy mode for the read (``set_env``, restored after), and
skip, saying so, on a target that cannot. The trigger crons are the contract's (the v0.1 scheduler's
``wrangler.jsonc``): a deployment's cron triggers are not visible over HTTP.

``compat.api-serves-catalog-routes`` probes each route with a body that fails to parse and a fresh trace id:
the api looks the route up before it reads the body, and a body that does not parse stores and enqueues
nothing (spec 4.1 steps 8-11), so the probe answers 404 for an unknown route and 400 (or upstream's bare 500)
for a served one. It still sends POSTs, so it asks for ``writes_allowed``. Routes gated off with
``ENABLED_HTTP_ROUTES`` / ``DISABLED_HTTP_ROUTES`` answer 404 although the catalog lists them (spec 3.4); on
a target with ``set_env`` the check clears the api's gating variables for its duration.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from pydantic import ValidationError

from workerflow_kit.contracts.compat import BUNDLED_SIDE, ContractSet, build_report, compare, load_contract_set
from workerflow_kit.contracts.gating import DISABLED_VAR, ENABLED_VAR
from workerflow_kit.contracts.manifest import MODE_VAR
from workerflow_kit.contracts.models import RouteDefinition, ScheduleDefinition
from workerflow_kit.suites.checks import CheckContext, check
from workerflow_kit.targets.base import Capability, Target

ROUTE_FIELDS = ("routePath", "requestType", "flowPath", "wrapBody")
"""The contract fields of a route, as the catalog lists them (its run counts are left out)."""
SCHEDULE_FIELDS = ("id", "cron", "enabled", "target", "timeZone")
"""The contract fields of a schedule."""

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")
_BAD_JSON = b'{"wfk-compat-probe": '


@cache
def contract() -> ContractSet:
    """The kit's v0.1 contract: routes, schedules and the scheduler's trigger crons."""
    return load_contract_set(BUNDLED_SIDE)


@dataclass(frozen=True)
class ServedManifest:
    """What the target's ops API shows: the mode and the definitions, in manifest order."""

    mode: object
    routes: tuple[RouteDefinition, ...]
    schedules: tuple[ScheduleDefinition, ...]

    def as_contract_set(self, label: str) -> ContractSet:
        return ContractSet(label=label, routes=self.routes, schedules=self.schedules)


def _ops_get(wf_target: Target, wf_check: CheckContext, path: str) -> Any:
    if not wf_target.has_worker("ops"):
        pytest.skip(f"target '{wf_target.name}' has no ops dashboard configured; the manifest is read there")
    response = wf_target.ops.get(path)
    if response.status_code == 401:
        pytest.skip(f"the ops API refused the request (401): give the target its ops token ({path})")
    wf_check.expect_status(response, 200)
    body = wf_check.json(response)
    wf_check.expect(isinstance(body, dict), f"expected a JSON object: {wf_check.show(response)}")
    return body


def _definitions(
    wf_check: CheckContext,
    entries: object,
    model: type[RouteDefinition] | type[ScheduleDefinition],
    fields: tuple[str, ...],
) -> tuple[Any, ...]:
    what = "routes" if model is RouteDefinition else "schedules"
    wf_check.expect(isinstance(entries, list), f"catalog {what} is not a list: {entries!r}")
    assert isinstance(entries, list)
    items = []
    for index, entry in enumerate(entries):
        wf_check.expect(isinstance(entry, dict), f"catalog {what}[{index}] is not an object: {entry!r}")
        missing = [name for name in fields if name not in entry]
        wf_check.expect(not missing, f"catalog {what}[{index}] lacks {missing}: {entry!r}")
        try:
            items.append(model.model_validate({name: entry[name] for name in fields}))
        except ValidationError as exc:
            wf_check.fail(f"catalog {what}[{index}] is not a valid definition ({exc.errors()[0]['msg']}): {entry!r}")
    return tuple(items)


def read_served_manifest(wf_target: Target, wf_check: CheckContext) -> ServedManifest:
    """The manifest the target's ops worker serves now: ``/api/meta`` mode, ``/api/catalog`` definitions."""
    meta = _ops_get(wf_target, wf_check, "/api/meta")
    catalog = _ops_get(wf_target, wf_check, "/api/catalog")
    routes = _definitions(wf_check, catalog.get("routes"), RouteDefinition, ROUTE_FIELDS)
    schedules = _definitions(wf_check, catalog.get("schedules"), ScheduleDefinition, SCHEDULE_FIELDS)
    return ServedManifest(meta.get("manifestMode"), routes, schedules)


@pytest.fixture
def builtin_manifest(wf_target: Target, wf_check: CheckContext) -> ServedManifest:
    """The target's built-in lists: the catalog in legacy mode (switched to it for the read when possible)."""
    served = read_served_manifest(wf_target, wf_check)
    if served.mode == "legacy":
        return served
    if not wf_target.has(Capability.SET_ENV):
        pytest.skip(
            f"the target serves a {served.mode!r} manifest and cannot switch to legacy mode (requires capability "
            f"'set_env' which target '{wf_target.name}' lacks), so its built-in lists are not visible"
        )
    with wf_target.env_changed("ops", {MODE_VAR: None}):
        builtin = read_served_manifest(wf_target, wf_check)
    wf_check.expect_equal(builtin.mode, "legacy", "manifestMode with MANIFEST_MODE unset")
    return builtin


def _sorted_json(items: tuple[Any, ...], key: str) -> str:
    """The items as JSON, sorted by ``key``: strict equality (``true`` is not ``1``), key order ignored."""
    return json.dumps(sorted((item.as_json() for item in items), key=lambda item: item[key]), sort_keys=True)


def _listing(items: tuple[Any, ...]) -> str:
    return json.dumps([item.as_json() for item in items])


# ---------------------------------------------------------------------------------------------------------
# The contract (spec 12.1)
# ---------------------------------------------------------------------------------------------------------


@check("compat.routes-match-contract", "required")
def test_routes_match_contract(wf_check: CheckContext, builtin_manifest: ServedManifest) -> None:
    """The built-in routes, sorted by routePath, deep-equal contracts/routes.v1.json sorted the same way."""
    expected = contract().routes or ()
    wf_check.expect(
        _sorted_json(builtin_manifest.routes, "routePath") == _sorted_json(expected, "routePath"),
        f"built-in routes differ from the contract: served {_listing(builtin_manifest.routes)}, "
        f"contract {_listing(expected)}",
    )


@check("compat.schedules-match-contract", "required")
def test_schedules_match_contract(wf_check: CheckContext, builtin_manifest: ServedManifest) -> None:
    """The built-in schedules, sorted by id, deep-equal contracts/schedules.v1.json sorted the same way."""
    expected = contract().schedules or ()
    wf_check.expect(
        _sorted_json(builtin_manifest.schedules, "id") == _sorted_json(expected, "id"),
        f"built-in schedules differ from the contract: served {_listing(builtin_manifest.schedules)}, "
        f"contract {_listing(expected)}",
    )


@check("compat.no-breaking-changes", "required")
def test_no_breaking_changes(wf_target: Target, wf_check: CheckContext) -> None:
    """The manifest the target serves has no error-level change against the contract (removed, flipped, ...)."""
    served = read_served_manifest(wf_target, wf_check)
    baseline = contract()
    old = ContractSet(baseline.label, baseline.routes, baseline.schedules)
    report = build_report(old, served.as_contract_set(f"target '{wf_target.name}'"), fail_on="error")
    failing = report.failing
    wf_check.expect(
        not failing,
        f"{len(failing)} breaking change(s) in the {served.mode} manifest: "
        + "; ".join(f"{finding.rule} at {finding.pointer}: {finding.message}" for finding in failing),
    )


@check("compat.schedules-reachable", "recommended")
def test_schedules_reachable(wf_target: Target, wf_check: CheckContext) -> None:
    """Every enabled schedule's cron equals one of the scheduler's trigger crons, so it fires by itself (Q1)."""
    served = read_served_manifest(wf_target, wf_check)
    triggers = contract().triggers or ()
    now = ContractSet("served", schedules=served.schedules)
    with_triggers = ContractSet("served", schedules=served.schedules, triggers=tuple(triggers))
    unreachable = [f for f in compare(now, with_triggers) if f.rule == "schedule-cron-unreachable"]
    wf_check.expect(
        not unreachable,
        f"schedule-cron-unreachable: {len(unreachable)} enabled schedule(s) never fire by themselves "
        f"(trigger crons {list(triggers)}): " + "; ".join(finding.message for finding in unreachable),
    )


# ---------------------------------------------------------------------------------------------------------
# The api agrees with the catalog
# ---------------------------------------------------------------------------------------------------------


@contextmanager
def _no_gating(wf_target: Target) -> Iterator[None]:
    if not wf_target.has(Capability.SET_ENV):
        yield
        return
    with wf_target.env_changed("api", {ENABLED_VAR: None, DISABLED_VAR: None}):
        yield


@check("compat.api-serves-catalog-routes", "recommended", requires=[Capability.WRITES_ALLOWED])
def test_api_serves_catalog_routes(wf_target: Target, wf_check: CheckContext) -> None:
    """Every route the ops catalog lists is served by the api (not 404 unknown route); nothing is stored."""
    served = read_served_manifest(wf_target, wf_check)
    paths = list(dict.fromkeys(route.routePath for route in served.routes if _SAFE_SEGMENT.fullmatch(route.routePath)))
    missing: list[str] = []
    with _no_gating(wf_target):
        for route_path in paths:
            response = wf_target.api.post(
                f"/api/{route_path}",
                content=_BAD_JSON,
                headers={"content-type": "application/json", "x-trace-id": wf_target.new_trace_id("compat")},
            )
            if response.status_code == 401:
                pytest.skip("the api refused the probe (401): give the target its ingress token")
            if response.status_code == 404:
                missing.append(f"{route_path} ({wf_check.show(response)})")
    wf_check.expect(
        not missing,
        f"the ops catalog lists route(s) the api does not serve: {'; '.join(missing)} "
        "(the api and ops workers resolve different manifests, or the route is gated off)",
    )
