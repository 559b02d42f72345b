"""Meta-tests: the compat suite passes the reference's required checks and catches each broken runtime.

Each run is a real ``pytest --pyargs workerflow_kit.suites.compat`` (through ``pytester``, in this process):

* against the reference: every required check passes, and exactly ``compat.schedules-reachable``
  (recommended) fails, naming the two built-in schedules no trigger cron fires (upstream quirk Q1, kept);
* against each runtime of :mod:`tests.suites.broken.compat`: exactly the checks mapped to it fail as well,
  and the output names each of them with its level.
"""

from __future__ import annotations

import pytest

from tests.suites.broken.compat import BASELINE_FAILURES, BROKEN
from tests.suites.meta import checks_by_outcome

pytest_plugins = ["pytester"]

SUITE = "workerflow_kit.suites.compat"
FACTORY_MODULE = "tests.suites.broken.compat"
ALL_CHECKS = 5
RECOMMENDED = {"compat.schedules-reachable", "compat.api-serves-catalog-routes"}


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("--pyargs", SUITE, "-rfEs", "-p", "no:cacheprovider", *args)


def test_reference_passes_every_required_check(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "-v")
    result.assert_outcomes(passed=ALL_CHECKS - 1, failed=1)
    assert checks_by_outcome(result)["failed"] == BASELINE_FAILURES
    failed = result.reprec.listoutcomes()[2]  # type: ignore[attr-defined]
    assert [dict(report.user_properties).get("wf_level") for report in failed] == ["recommended"]
    result.stdout.fnmatch_lines(
        [
            "*test_routes_match_contract?compat.routes-match-contract | required? PASSED*",
            "*test_no_breaking_changes?compat.no-breaking-changes | required? PASSED*",
            "*CheckFailed: [[]compat.schedules-reachable | recommended[]] schedule-cron-unreachable: 2 enabled*"
            '*schedule "heartbeat_hourly": cron "0 [*] [*] [*] [*]" equals none of the scheduler*',
        ],
        consecutive=False,
    )


@pytest.mark.parametrize("factory", sorted(BROKEN))
def test_broken_runtime_is_caught(pytester: pytest.Pytester, factory: str) -> None:
    must_fail = BROKEN[factory]
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:{factory}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_outcome = checks_by_outcome(result)
    assert by_outcome["failed"] == must_fail | BASELINE_FAILURES, f"{factory}: unexpected set of failing checks"
    assert by_outcome["skipped"] == set()
    assert len(by_outcome["passed"]) == ALL_CHECKS - len(must_fail | BASELINE_FAILURES)
    for check_id in must_fail:
        level = "recommended" if check_id in RECOMMENDED else "required"
        result.stdout.fnmatch_lines([f"FAILED *[[]{check_id} | {level}[]]*"], consecutive=False)
        result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{check_id} | {level}[]] *"], consecutive=False)


def test_breaking_findings_are_named_by_rule(pytester: pytest.Pytester) -> None:
    """The no-breaking-changes failure names the compat rule and where it applies."""
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:catalog_wrap_body_flipped")
    result.stdout.fnmatch_lines(
        ["*compat.no-breaking-changes | required*route-wrap-body-changed at /routes/1/wrapBody*"], consecutive=False
    )
