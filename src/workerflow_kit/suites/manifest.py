"""Manifest resolution checks (spec 3.1-3.3, 12.2, 12.8 #12-#13): which manifest an env makes the workers serve.

Each check sets the manifest variables (``MANIFEST_MODE``, ``ROUTES_CONFIG_JSON``, ``SCHEDULES_CONFIG_JSON``)
in the live env of the api, ops and workflow workers (``set_env``; every value is put back afterwards), then
looks at what a client sees:

* a manifest: the ops dashboard's ``GET /api/meta`` (``manifestMode``, route and schedule counts) and
  ``GET /api/catalog`` (the definitions, in manifest order; the catalog lists the contract fields), the
  raw definition echoed by ``/api/route-detail/{R}`` and ``/api/cron-detail/{id}`` for items with extra keys,
  and a 200 from the api's ``/api/health``;
* an error: every request fails, ``/api/health`` included. Upstream crashes (a bare 500); the reference answers
  500 ``{"error":"invalid manifest configuration","message":...}``. The required checks accept either; the
  recommended ones want the JSON error and its message.

=====================================  ===========  ============================================================
check                                  level        rule
=====================================  ===========  ============================================================
``manifest.fixture-resolves``          required     a fixture's env serves its mode and lists (meta and catalog)
``manifest.extra-keys-kept``           required     items keep unknown keys: ops echoes the raw definition
``manifest.fixture-error-500``         required     a fixture's broken env fails every worker with a 500: api
                                                    ``/api/health``, ops ``/api/meta``, workflow ``/health``
``manifest.error-is-json``             recommended  ... as the JSON error whose message starts with the
                                                    fixture's ``errorPrefix`` (no crash)
``manifest.property-resolution``       required     Hypothesis: any generated env (spec 3.1-3.2, strategy
                                                    ``manifest_env``) serves the expected manifest, or fails
``manifest.property-error-message``    recommended  Hypothesis: a broken env's error is one of the three messages
                                                    of spec 3.2, for the variable parsed first (12.8 #13)
=====================================  ===========  ============================================================

Fixtures come from the kit's ``fixtures/manifests/`` (and ``--wf-fixtures`` folders); a fixture's ``expect``
holds either ``mode`` (with optional ``routes`` / ``schedules``, compared exactly and in order) or
``errorPrefix``. The property checks draw as many examples as the active profile says (``--wf-profile``,
see :mod:`workerflow_kit.suites.profiles`); ``--hypothesis-seed`` replays a run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from typing import Any, Final
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from workerflow_kit.contracts.manifest import MODE_VAR, ROUTES_VAR, SCHEDULES_VAR
from workerflow_kit.contracts.models import Manifest
from workerflow_kit.strategies import manifest_env
from workerflow_kit.strategies.env import ExpectedError, ManifestEnvCase
from workerflow_kit.suites.checks import CheckContext, check
from workerflow_kit.suites.fixtures import Fixture, load_fixtures
from workerflow_kit.targets.base import Capability, Target

SET_ENV = Capability.SET_ENV

MANIFEST_VARS: Final = (MODE_VAR, ROUTES_VAR, SCHEDULES_VAR)
WORKERS: Final = ("api", "ops", "workflow")
"""The workers whose env a check sets (each resolves its own manifest, spec 3.3)."""
ROUTE_FIELDS: Final = ("routePath", "requestType", "flowPath", "wrapBody")
SCHEDULE_FIELDS: Final = ("id", "cron", "enabled", "target", "timeZone")
ERROR_BODY: Final = "invalid manifest configuration"

_PROPERTY_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
"""No deadline, and the two health checks that do not fit a check driving a whole target; the number of
examples is the active profile's (``--wf-profile``: ``quick`` draws 10 per property)."""


# ---------------------------------------------------------------------------------------------------------
# Fixtures as parameters
# ---------------------------------------------------------------------------------------------------------


def _is_error(fixture: Fixture) -> bool:
    return "errorPrefix" in fixture.data["expect"]


def _has_extras(fixture: Fixture) -> bool:
    expect = fixture.data["expect"]
    return any(set(item) - set(ROUTE_FIELDS) for item in expect.get("routes", ())) or any(
        set(item) - set(SCHEDULE_FIELDS) for item in expect.get("schedules", ())
    )


_SELECT = {
    "test_fixture_resolves": lambda fixture: not _is_error(fixture),
    "test_extra_keys_kept": _has_extras,
    "test_fixture_error_500": _is_error,
    "test_error_is_json": _is_error,
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize each fixture-driven check with the manifest fixtures it applies to."""
    if "manifest_fixture" not in metafunc.fixturenames:
        return
    extra = metafunc.config.getoption("wf_fixtures", default=[]) or []
    select = _SELECT[metafunc.function.__name__]
    chosen = [fixture for fixture in load_fixtures("manifest", extra) if select(fixture)]
    metafunc.parametrize("manifest_fixture", [pytest.param(f, id=f.id) for f in chosen])


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------


@contextmanager
def manifest_vars(wf_target: Target, env: Mapping[str, str]) -> Iterator[None]:
    """Give the api, ops and workflow workers exactly these manifest variables (others unset); restore after.

    Other variables the env names (``ENV_NAME``, ...) are set too.
    """
    wanted: dict[str, str | None] = {name: env.get(name) for name in MANIFEST_VARS}
    wanted.update({name: value for name, value in env.items() if name not in wanted})
    with ExitStack() as stack:
        for worker in WORKERS:
            stack.enter_context(wf_target.env_changed(worker, wanted))
        yield


def _strict(value: object) -> str:
    """JSON text with sorted keys: equality on it is JSON equality (``true`` is not ``1``)."""
    return json.dumps(value, sort_keys=True)


def _project(items: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> list[dict[str, Any]]:
    return [{name: item.get(name) for name in fields} for item in items]


def _ops_json(wf_target: Target, wf_check: CheckContext, path: str) -> Any:
    response = wf_target.ops.get(path)
    if response.status_code == 401:
        pytest.skip(f"the ops API refused the request (401): give the target its ops token ({path})")
    wf_check.expect_status(response, 200)
    return wf_check.json(response)


def expect_manifest(
    wf_target: Target,
    wf_check: CheckContext,
    *,
    mode: str,
    routes: Sequence[Mapping[str, Any]] | None,
    schedules: Sequence[Mapping[str, Any]] | None,
    where: str,
) -> None:
    """The workers serve this manifest: ops meta and catalog agree with it, and the api's health is 200."""
    meta = _ops_json(wf_target, wf_check, "/api/meta")
    wf_check.expect_equal(meta.get("manifestMode"), mode, f"{where}: /api/meta manifestMode")
    catalog = _ops_json(wf_target, wf_check, "/api/catalog")
    for name, expected, fields in (("routes", routes, ROUTE_FIELDS), ("schedules", schedules, SCHEDULE_FIELDS)):
        if expected is None:
            continue
        wf_check.expect_equal(meta.get(name), len(expected), f"{where}: /api/meta {name} count")
        listed = catalog.get(name)
        wf_check.expect(isinstance(listed, list), f"{where}: /api/catalog {name} is not a list: {listed!r}")
        served, wanted = _project(listed, fields), _project(expected, fields)
        wf_check.expect(
            _strict(served) == _strict(wanted),
            f"{where}: /api/catalog {name} (in manifest order): expected {json.dumps(wanted)}, "
            f"got {json.dumps(served)}",
        )
    health = wf_target.api.get("/api/health")
    wf_check.expect(health.status_code == 200, f"{where}: the api does not serve it: {wf_check.show(health)}")


def _error_responses(wf_target: Target) -> list[tuple[str, httpx.Response]]:
    return [
        ("api /api/health", wf_target.api.get("/api/health")),
        ("ops /api/meta", wf_target.ops.get("/api/meta")),
        ("workflow /health", wf_target.workflow.get("/health")),
    ]


def expect_failure(wf_target: Target, wf_check: CheckContext, where: str) -> list[tuple[str, httpx.Response]]:
    """Every worker fails with a 500 (upstream's crash or the reference's JSON error); the responses."""
    responses = _error_responses(wf_target)
    for name, response in responses:
        wf_check.expect(
            response.status_code == 500,
            f"{where}: {name} should fail with 500 (the manifest does not resolve): {wf_check.show(response)}",
        )
    return responses


def expect_json_error(
    wf_check: CheckContext, responses: list[tuple[str, httpx.Response]], error: ExpectedError | str, where: str
) -> None:
    """Each response is 500 ``{"error":"invalid manifest configuration","message":M}`` with M the expected error."""
    for name, response in responses:
        body: Any = None
        with suppress(ValueError):
            body = response.json()
        if not isinstance(body, dict) or body.get("error") != ERROR_BODY:
            wf_check.fail(
                f'{where}: {name} should answer the JSON error {{"error":"{ERROR_BODY}","message":...}}, '
                f"not crash: {wf_check.show(response)}"
            )
        message = body.get("message")
        if isinstance(error, ExpectedError):
            ok = isinstance(message, str) and error.matches(message)
            wanted = error.message_prefix + ("..." if error.kind == "invalid_json" else "")
        else:
            ok = isinstance(message, str) and message.startswith(error)
            wanted = error + "..."
        wf_check.expect(ok, f"{where}: {name} error message: expected {wanted!r}, got {message!r}")


def _detail(wf_target: Target, wf_check: CheckContext, endpoint: str, item_id: str, key: str) -> Any:
    body = _ops_json(wf_target, wf_check, f"/api/{endpoint}/{quote(item_id, safe='')}")
    wf_check.expect(isinstance(body, dict) and key in body, f"/api/{endpoint}/{item_id} has no {key!r}: {body!r}")
    return body[key]


def _fixture_where(fixture: Fixture) -> str:
    return f"fixture {fixture.id} ({fixture.description or 'no description'})"


# ---------------------------------------------------------------------------------------------------------
# Fixture-driven checks
# ---------------------------------------------------------------------------------------------------------


@check("manifest.fixture-resolves", "required", requires=[SET_ENV])
def test_fixture_resolves(wf_target: Target, wf_check: CheckContext, manifest_fixture: Fixture) -> None:
    """A fixture's env makes the workers serve its mode and lists: ops /api/meta and /api/catalog, in order."""
    expect = manifest_fixture.data["expect"]
    with manifest_vars(wf_target, manifest_fixture.data["env"]):
        expect_manifest(
            wf_target,
            wf_check,
            mode=expect["mode"],
            routes=expect.get("routes"),
            schedules=expect.get("schedules"),
            where=_fixture_where(manifest_fixture),
        )


@check("manifest.extra-keys-kept", "required", requires=[SET_ENV])
def test_extra_keys_kept(wf_target: Target, wf_check: CheckContext, manifest_fixture: Fixture) -> None:
    """Unknown keys of a config item are kept: route-detail / cron-detail echo the raw definition."""
    expect = manifest_fixture.data["expect"]
    where = _fixture_where(manifest_fixture)
    with manifest_vars(wf_target, manifest_fixture.data["env"]):
        for items, id_key, endpoint, key in (
            (expect.get("routes", []), "routePath", "route-detail", "route"),
            (expect.get("schedules", []), "id", "cron-detail", "schedule"),
        ):
            seen: set[str] = set()
            for item in items:
                item_id = item[id_key]
                if item_id in seen or not item_id:
                    continue  # the first item with an id is the one served (Array.find)
                seen.add(item_id)
                echoed = _detail(wf_target, wf_check, endpoint, item_id, key)
                wf_check.expect(
                    _strict(echoed) == _strict(item),
                    f"{where}: /api/{endpoint}/{item_id} {key}: expected the raw item {json.dumps(item)}, "
                    f"got {json.dumps(echoed)}",
                )


@check("manifest.fixture-error-500", "required", requires=[SET_ENV])
def test_fixture_error_500(wf_target: Target, wf_check: CheckContext, manifest_fixture: Fixture) -> None:
    """A fixture's broken env fails every worker with a 500: api /api/health, ops /api/meta, workflow /health."""
    with manifest_vars(wf_target, manifest_fixture.data["env"]):
        expect_failure(wf_target, wf_check, _fixture_where(manifest_fixture))


@check("manifest.error-is-json", "recommended", requires=[SET_ENV])
def test_error_is_json(wf_target: Target, wf_check: CheckContext, manifest_fixture: Fixture) -> None:
    """A broken env is a JSON 500 {"error":"invalid manifest configuration","message":<errorPrefix...>}."""
    where = _fixture_where(manifest_fixture)
    with manifest_vars(wf_target, manifest_fixture.data["env"]):
        responses = _error_responses(wf_target)
    expect_json_error(wf_check, responses, manifest_fixture.data["expect"]["errorPrefix"], where)


# ---------------------------------------------------------------------------------------------------------
# Properties (spec 12.8 #12-#13)
# ---------------------------------------------------------------------------------------------------------


def _case_where(case: ManifestEnvCase) -> str:
    return f"generated env {case.env!r} ({case.note})"


def _observe(wf_target: Target, wf_check: CheckContext, case: ManifestEnvCase) -> None:
    where = _case_where(case)
    expected = case.expected
    with manifest_vars(wf_target, case.env):
        if isinstance(expected, Manifest):
            expect_manifest(
                wf_target,
                wf_check,
                mode=expected.mode,
                routes=[route.as_json() for route in expected.routes],
                schedules=[schedule.as_json() for schedule in expected.schedules],
                where=where,
            )
        else:
            expect_failure(wf_target, wf_check, where)


@check("manifest.property-resolution", "required", requires=[SET_ENV])
def test_property_resolution(wf_target: Target, wf_check: CheckContext) -> None:
    """Any env from manifest_env serves its expected manifest (each list from its variable or the built-ins)."""

    @_PROPERTY_SETTINGS
    @given(case=manifest_env())
    def resolves(case: ManifestEnvCase) -> None:
        _observe(wf_target, wf_check, case)

    resolves()


@check("manifest.property-error-message", "recommended", requires=[SET_ENV])
def test_property_error_message(wf_target: Target, wf_check: CheckContext) -> None:
    """A broken env's JSON error names the first variable parsed (routes) with one of the three 3.2 messages."""

    @_PROPERTY_SETTINGS
    @given(case=manifest_env(mode="config", valid=False))
    def names_the_error(case: ManifestEnvCase) -> None:
        assert isinstance(case.expected, ExpectedError)
        with manifest_vars(wf_target, case.env):
            responses = _error_responses(wf_target)
        expect_json_error(wf_check, responses, case.expected, _case_where(case))

    names_the_error()
