"""Meta-tests: the schedules suite passes the reference (but for the Q1 finding) and catches each broken runtime.

Each run is a real ``pytest --pyargs workerflow_kit.suites.schedules`` (through ``pytester``, in this process)
against:

* the reference in process: every required check passes and nothing skips; the one failure is the
  recommended ``schedules.builtins-reachable``, the named finding for upstream defect Q1, which the reference
  keeps on purpose;
* one reference runtime per broken rule (:mod:`tests.suites.broken.schedules`, injected with
  ``--wf-runtime-factory``): exactly the expected checks fail (plus the Q1 finding), the rest pass, and the
  output names the broken rule's check id and level, in the test name and in the failure message;
* ``--wf-target=served`` (clock, drain and queries over its control door): the same outcome as in process, and
  a broken runtime served with ``--wf-runtime-factory`` is caught over HTTP.

Every run is pinned (:func:`tests.suites.pinned.run_pinned`), so the property checks draw the same examples in
any process.
"""

from __future__ import annotations

import pytest

from tests.suites.broken.schedules import ALWAYS_FAILS, BROKEN, RULE
from tests.suites.meta import checks_by_outcome, importable_by_the_server
from tests.suites.pinned import run_pinned

pytest_plugins = ["pytester"]

SUITE = "workerflow_kit.suites.schedules"
FACTORY_MODULE = "tests.suites.broken.schedules"
"""A check label in a test id (the fixture check's id puts the fixture id first: ``[<fixture>-<label>]``)."""
ALL_CHECKS = {
    "schedules.fixtures",
    "schedules.exact-string-match",
    "schedules.disabled-never-enqueued",
    "schedules.manifest-order",
    "schedules.fresh-trace-ids",
    "schedules.task-shape",
    "schedules.selection-property",
    "schedules.trigger-fire-times",
    "schedules.builtins-reachable",
    "schedules.dev-cron-accepted",
    "schedules.dev-cron-task-shape",
    "schedules.dev-cron-unknown-404",
    "schedules.dev-cron-disabled-404",
    "schedules.dev-cron-duplicate",
}
FIXTURE_CHECK = {"schedules.fixtures"}


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_pinned(pytester, "--pyargs", SUITE, "-p", "no:cacheprovider", "-rfEs", *args)


def failed_levels(result: pytest.RunResult) -> dict[str, str]:
    failed = result.reprec.listoutcomes()[2]  # type: ignore[attr-defined]
    return {dict(r.user_properties)["wf_check"]: dict(r.user_properties)["wf_level"] for r in failed}


def test_reference_fails_only_the_q1_finding(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "-v")
    by_outcome = checks_by_outcome(result)
    assert by_outcome["failed"] == set(ALWAYS_FAILS)
    assert by_outcome["skipped"] == set()
    assert by_outcome["passed"] == ALL_CHECKS - ALWAYS_FAILS
    assert failed_levels(result) == {"schedules.builtins-reachable": "recommended"}
    result.stdout.fnmatch_lines(
        [
            "*test_fixture_tasks?schedule/config/exact-string-match-schedules.fixtures | required? PASSED*",
            "*test_builtins_reachable?schedules.builtins-reachable | recommended? FAILED*",
            "E   *CheckFailed: [[]schedules.builtins-reachable | recommended[]] *heartbeat_hourly*cleanup_daily*Q1*",
        ],
        consecutive=False,
    )


@pytest.mark.parametrize("factory", sorted(BROKEN))
def test_broken_runtime_is_caught(pytester: pytest.Pytester, factory: str) -> None:
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:{factory}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_outcome = checks_by_outcome(result)
    must_fail = BROKEN[factory] | ALWAYS_FAILS
    assert by_outcome["failed"] == must_fail, f"{factory}: unexpected set of failing checks"
    assert by_outcome["skipped"] == set()
    # Every other check passes; only the fixture check has several items, which may pass and fail alike.
    assert by_outcome["passed"] - FIXTURE_CHECK == ALL_CHECKS - must_fail - FIXTURE_CHECK
    rule = RULE[factory]
    assert rule in BROKEN[factory]
    result.stdout.fnmatch_lines([f"FAILED *[[]{rule} | required[]]*"], consecutive=False)
    result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{rule} | required[]] *"], consecutive=False)


def test_served_target_fails_only_the_q1_finding(pytester: pytest.Pytester) -> None:
    """The control door gives the clock, drain and queries over HTTP: the served reference runs every check and
    answers as in process."""
    result = run_suite(pytester, "--wf-target=served")
    by_outcome = checks_by_outcome(result)
    assert by_outcome == {"passed": ALL_CHECKS - ALWAYS_FAILS, "skipped": set(), "failed": set(ALWAYS_FAILS)}
    assert failed_levels(result) == {"schedules.builtins-reachable": "recommended"}
    result.stdout.fnmatch_lines(
        ["E   *CheckFailed: [[]schedules.builtins-reachable | recommended[]] *heartbeat_hourly*cleanup_daily*Q1*"],
        consecutive=False,
    )


def test_served_target_catches_a_broken_scheduler_over_http(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POSIX weekday semantics, seen by advancing the served runtime's virtual clock (that check only)."""
    importable_by_the_server(monkeypatch)
    factory = "cron_weekdays_posix"
    result = run_suite(
        pytester, "--wf-target=served", f"--wf-runtime-factory={FACTORY_MODULE}:{factory}", "-k", "trigger_fire_times"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert checks_by_outcome(result) == {"passed": set(), "skipped": set(), "failed": set(BROKEN[factory])}
    result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{RULE[factory]} | required[]] *"], consecutive=False)
