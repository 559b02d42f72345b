"""Meta-tests: the route fixture checks pass the reference and catch broken runtimes, naming the difference.

Each run is a real ``pytest --pyargs workerflow_kit.suites.routes -k route_fixture`` through ``pytester``, in
this process, against the reference or a runtime from :mod:`tests.authoring.broken`.
"""

from __future__ import annotations

import re

import pytest

from tests.authoring.broken import BROKEN
from workerflow_kit.suites.fixtures import load_fixtures

pytest_plugins = ["pytester"]

FACTORY_MODULE = "tests.authoring.broken"
LABEL = re.compile(r"\[(?P<fixture>.+)-(?P<id>routes\.fixture(?:-recommended)?) \| (?P<level>required|recommended)\]$")
FIXTURES = {fixture.id: fixture.level for fixture in load_fixtures("route")}


def run_fixtures(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "--pyargs", "workerflow_kit.suites.routes", "-k", "route_fixture", "-p", "no:cacheprovider", *args
    )


def outcomes(result: pytest.RunResult) -> dict[str, set[str]]:
    """``{"passed": {fixture ids}, "skipped": ..., "failed": ...}``, each id checked to carry its level's label."""
    found: dict[str, set[str]] = {}
    for name, reports in zip(("passed", "skipped", "failed"), result.reprec.listoutcomes(), strict=True):  # type: ignore[attr-defined]
        ids = set()
        for report in reports:
            match = LABEL.search(report.nodeid)
            assert match is not None, report.nodeid
            assert match["level"] == FIXTURES[match["fixture"]]
            ids.add(match["fixture"])
        found[name] = ids
    return found


def test_every_builtin_route_has_a_fixture_for_each_behaviour() -> None:
    from workerflow_kit.contracts.models import builtin_routes

    texts = {fixture.id: fixture.data for fixture in load_fixtures("route")}
    for route in builtin_routes():
        assert any(data["request"]["path"] == f"/api/{route.routePath}" for data in texts.values()), route.routePath
    assert {"recommended"} == {level for fid, level in FIXTURES.items() if "bad-json" in fid}
    repeats = [data for data in texts.values() if data.get("repeat")]
    assert any(data["repeat"]["expect"]["bodyExact"].get("duplicate") is True for data in repeats)


def test_reference_passes_every_route_fixture(pytester: pytest.Pytester) -> None:
    result = run_fixtures(pytester)
    found = outcomes(result)
    assert found == {"passed": set(FIXTURES), "skipped": set(), "failed": set()}


@pytest.mark.parametrize("factory", sorted(BROKEN))
def test_broken_runtime_is_caught_by_its_fixture(pytester: pytest.Pytester, factory: str) -> None:
    must_fail, line = BROKEN[factory]
    result = run_fixtures(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:{factory}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    found = outcomes(result)
    assert found["failed"] == must_fail
    assert found["passed"] == set(FIXTURES) - must_fail
    result.stdout.fnmatch_lines(["*CheckFailed: [[]routes.fixture | required[]] fixture * differs:*"])
    result.stdout.fnmatch_lines([f"*{line}*"])


def test_a_users_fixture_folder_joins_the_check(pytester: pytest.Pytester) -> None:
    routes = pytester.path / "mine" / "routes"
    routes.mkdir(parents=True)
    (routes / "wrong.json").write_text(
        '{"kind": "route", "id": "mine/health", "request": {"method": "GET", "path": "/api/health"},'
        ' "expect": {"status": 200, "bodyFields": {"worker": "workflow"}}}'
    )
    result = run_fixtures(pytester, f"--wf-fixtures={pytester.path / 'mine'}")
    found = result.reprec.listoutcomes()  # type: ignore[attr-defined]
    assert [report.nodeid.rsplit("[", 1)[1] for report in found[2]] == ["mine/health-routes.fixture | required]"]
    result.stdout.fnmatch_lines(['*/body/worker: expected "workflow", got "api"*'])
