"""Meta-tests: the manifest suite passes the reference and catches each deliberately broken runtime.

Each run is a real ``pytest --pyargs workerflow_kit.suites.manifest`` (through ``pytester``, in this process)
against the reference (every check passes) and against each runtime of :mod:`tests.suites.broken.manifest`
(exactly the checks mapped to it fail, and the output names each with its level), and against the served
target, whose control door sets the manifest env over HTTP (every check passes there, and a broken runtime
served with ``--wf-runtime-factory`` is caught).

The property checks run under :data:`META_PROFILE` through :func:`tests.suites.pinned.run_pinned`:
derandomized, without an example database, with every kit module imported first and the suite module imported
afresh, so they draw the same examples in every process and the set of failing checks is exact; without
shrinking (a failure is reported as found, which keeps a failing run to seconds).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings

from tests.suites.broken.manifest import BROKEN
from tests.suites.meta import importable_by_the_server
from tests.suites.pinned import META_PROFILE as FEW_EXAMPLES
from tests.suites.pinned import run_pinned

pytest_plugins = ["pytester"]

SUITE = "workerflow_kit.suites.manifest"
FACTORY_MODULE = "tests.suites.broken.manifest"
RECOMMENDED = {"manifest.error-is-json", "manifest.property-error-message"}
ALL_CHECK_IDS = {
    "manifest.fixture-resolves",
    "manifest.extra-keys-kept",
    "manifest.fixture-error-500",
    "manifest.error-is-json",
    "manifest.property-resolution",
    "manifest.property-error-message",
}

# What the pinned draws catch, where it differs from BROKEN's mapping (written against other draws). The draws are
# the same in every process (tests.suites.pinned), so a difference is a fact of the profile below, not luck: with
# 100 examples, property-resolution also meets a blank list variable and so catches blank_var_is_invalid_json.
MISSED_BY_PINNED_DRAWS: dict[str, frozenset[str]] = {}
ALSO_CAUGHT_BY_PINNED_DRAWS: dict[str, frozenset[str]] = {
    "blank_var_is_invalid_json": frozenset({"manifest.property-resolution"}),
}

META_PROFILE = "workerflow-kit-tests.manifest-meta"
settings.register_profile(
    META_PROFILE,
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def run_suite(pytester: pytest.Pytester, *args: str, profile: str = META_PROFILE) -> pytest.RunResult:
    return run_pinned(pytester, "--pyargs", SUITE, "-rfEs", "-p", "no:cacheprovider", *args, profile=profile)


def outcomes(result: pytest.RunResult) -> dict[str, list[str]]:
    """``{"passed": [...], "skipped": [...], "failed": [...]}``: the check id of every test, one per test."""
    passed, skipped, failed = result.reprec.listoutcomes()  # type: ignore[attr-defined]
    found: dict[str, list[str]] = {}
    for outcome, reports in (("passed", passed), ("skipped", skipped), ("failed", failed)):
        ids = []
        for report in reports:
            check_id = dict(report.user_properties).get("wf_check")
            assert check_id is not None, f"a suite test without a check id: {report.nodeid}"
            assert f"{check_id} | " in report.nodeid, f"the test name does not carry its check: {report.nodeid}"
            ids.append(check_id)
        found[outcome] = ids
    return found


def test_reference_passes_every_check(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "-v")
    by_outcome = outcomes(result)
    assert by_outcome["failed"] == []
    assert by_outcome["skipped"] == []
    assert set(by_outcome["passed"]) == ALL_CHECK_IDS
    assert by_outcome["passed"].count("manifest.fixture-resolves") >= 15  # one test per bundled fixture
    assert by_outcome["passed"].count("manifest.fixture-error-500") >= 8
    result.stdout.fnmatch_lines(
        [
            "*test_fixture_resolves?manifest/empty-env-is-legacy-manifest.fixture-resolves | required? PASSED*",
            "*test_error_is_json?manifest/config-routes-not-json-manifest.error-is-json | recommended? PASSED*",
        ],
        consecutive=False,
    )


@pytest.mark.parametrize("factory", sorted(BROKEN))
def test_broken_runtime_is_caught(pytester: pytest.Pytester, factory: str) -> None:
    must_fail = (BROKEN[factory] - MISSED_BY_PINNED_DRAWS.get(factory, frozenset())) | ALSO_CAUGHT_BY_PINNED_DRAWS.get(
        factory, frozenset()
    )
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:{factory}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_outcome = outcomes(result)
    failed = set(by_outcome["failed"])
    assert failed == must_fail, f"{factory}: missed {must_fail - failed}, unexpected {failed - must_fail}"
    assert by_outcome["skipped"] == []
    assert set(by_outcome["passed"]) | failed == ALL_CHECK_IDS
    for check_id in must_fail:
        level = "recommended" if check_id in RECOMMENDED else "required"
        result.stdout.fnmatch_lines([f"FAILED *{check_id} | {level}[]]*"], consecutive=False)
        result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{check_id} | {level}[]] *"], consecutive=False)


def test_upstream_crash_fails_only_the_recommended_level(pytester: pytest.Pytester) -> None:
    """Upstream's bare 500 on a bad manifest passes every required check and is named at the recommended level."""
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:manifest_error_crashes")
    failed = result.reprec.listoutcomes()[2]  # type: ignore[attr-defined]
    assert failed
    assert {dict(report.user_properties).get("wf_level") for report in failed} == {"recommended"}
    result.stdout.fnmatch_lines(
        ["*manifest.error-is-json | recommended*should answer the JSON error*not crash*"], consecutive=False
    )


def test_a_failure_names_the_fixture_and_the_difference(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:mode_not_trimmed", "-k", "padded")
    result.stdout.fnmatch_lines(
        [
            "*[[]manifest.fixture-resolves | required[]] fixture manifest/mode-config-padded-uppercase*"
            "/api/meta manifestMode: expected 'config', got 'legacy'*"
        ],
        consecutive=False,
    )


def test_served_target_passes_every_check(pytester: pytest.Pytester) -> None:
    """The manifest env is set over the served runtime's control door (set_env): every check runs there too
    (with the kit's few-example profile: each property example is a round trip to another process)."""
    result = run_suite(pytester, "--wf-target=served", profile=FEW_EXAMPLES)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    found = outcomes(result)
    assert found["failed"] == found["skipped"] == []
    assert set(found["passed"]) == ALL_CHECK_IDS


def test_served_target_catches_a_broken_runtime_over_http(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    importable_by_the_server(monkeypatch)
    factory = "extra_keys_dropped"
    result = run_suite(
        pytester, "--wf-target=served", f"--wf-runtime-factory={FACTORY_MODULE}:{factory}", "-k", "not property"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    found = outcomes(result)
    assert set(found["failed"]) == BROKEN[factory] == {"manifest.extra-keys-kept"}
    assert found["skipped"] == []
    assert set(found["passed"]) == {check for check in ALL_CHECK_IDS if "property" not in check} - BROKEN[factory]
    result.stdout.fnmatch_lines(["E   *CheckFailed: [[]manifest.extra-keys-kept | required[]] *"], consecutive=False)
