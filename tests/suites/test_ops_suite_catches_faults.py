"""Meta-tests: the ops suite passes the reference and catches each deliberately broken ops dashboard.

Each run below is a real ``pytest --pyargs workerflow_kit.suites.ops`` (through ``pytester``, in this process)
against the reference in process (every check passes, none skips), the reference with seeded ``started`` runs
(the same), and one runtime per broken rule from :mod:`tests.suites.broken.ops` and
:mod:`tests.suites.broken.ops_more`, injected with
``--wf-runtime-factory``: the run fails, exactly the checks that observe the broken rule fail (the rest pass),
and the output names the rule's check id and level; and against the served target (the control door gives
drain, set_env and read-only queries over HTTP): everything passes but the 422 check, which must write D1
itself and skips saying so, and a broken runtime served with ``--wf-runtime-factory`` is caught. Every run is
pinned (:func:`tests.suites.pinned.run_pinned`), so the property checks draw the same examples in any process.
"""

from __future__ import annotations

import pytest

from tests.suites.broken.ops import BROKEN
from tests.suites.broken.ops_more import BROKEN as BROKEN_MORE
from tests.suites.meta import checks_by_outcome, importable_by_the_server
from tests.suites.pinned import run_pinned

pytest_plugins = ["pytester"]

FACTORY_MODULE = "tests.suites.broken.ops"
MORE_MODULE = "tests.suites.broken.ops_more"
ALL_CHECKS = 27
FACTORIES = {
    **{f"{FACTORY_MODULE}:{name}": entry for name, entry in BROKEN.items()},
    **{f"{MORE_MODULE}:{name}": entry for name, entry in BROKEN_MORE.items()},
}
"""``module:factory`` -> (the check named after the broken rule, exactly the checks that must fail)."""
RECOMMENDED = {"ops.odd-input-no-5xx"}


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_pinned(pytester, "--pyargs", "workerflow_kit.suites.ops", "-rfEs", "-p", "no:randomly", *args)


@pytest.mark.parametrize("factory", [None, "seeded_reference"])
def test_reference_passes_every_check(pytester: pytest.Pytester, factory: str | None) -> None:
    args = [f"--wf-runtime-factory={FACTORY_MODULE}:{factory}"] if factory else []
    result = run_suite(pytester, "-v", *args)
    result.assert_outcomes(passed=ALL_CHECKS)
    assert len(checks_by_outcome(result)["passed"]) == ALL_CHECKS
    result.stdout.fnmatch_lines(
        [
            "*test_retry_lineage?ops.retry-lineage | required? PASSED*",
            "*test_odd_input_no_5xx?ops.odd-input-no-5xx | recommended? PASSED*",
        ],
        consecutive=False,
    )


def test_there_are_enough_broken_runtimes() -> None:
    assert len(BROKEN) >= 5
    named = {rule for rule, _ in FACTORIES.values()}
    assert len(named) == len(FACTORIES), "each broken runtime names a different rule"


@pytest.mark.parametrize("factory", sorted(FACTORIES))
def test_broken_runtime_is_caught(pytester: pytest.Pytester, factory: str) -> None:
    rule, must_fail = FACTORIES[factory]
    result = run_suite(pytester, f"--wf-runtime-factory={factory}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_outcome = checks_by_outcome(result)
    assert by_outcome["failed"] == set(must_fail), f"{factory}: unexpected set of failing checks"
    assert by_outcome["skipped"] == set()
    assert len(by_outcome["passed"]) == ALL_CHECKS - len(must_fail)
    level = "recommended" if rule in RECOMMENDED else "required"
    # The id and level are in the test name (summary line) and in the failure message itself.
    result.stdout.fnmatch_lines([f"FAILED *[[]{rule} | {level}[]]*"], consecutive=False)
    result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{rule} | {level}[]] *"], consecutive=False)


def test_upstream_crash_fails_only_the_recommended_level(pytester: pytest.Pytester) -> None:
    """Upstream's bare 500 on a malformed escape is a named recommended finding; every required check passes."""
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:malformed_escape_crashes")
    failed = result.reprec.listoutcomes()[2]  # type: ignore[attr-defined]
    assert [dict(report.user_properties).get("wf_level") for report in failed] == ["recommended"]


INVALID_PAYLOAD = "ops.retry-invalid-payload-422"
"""The one check that writes D1 itself (a dead letter with an unparsable payload), through ``inspect_db``."""


def read_only_skip(result: pytest.RunResult) -> None:
    """The 422 check is the only skip, and it says why: the control door lets a query read, nothing else."""
    skipped = result.reprec.listoutcomes()[1]  # type: ignore[attr-defined]
    assert [dict(report.user_properties).get("wf_check") for report in skipped] == [INVALID_PAYLOAD]
    reason = skipped[0].longrepr[2]
    assert reason.startswith("Skipped: writing a dead letter needs a D1 that accepts writes through inspect_db: ")
    assert "SQLITE_AUTH" in reason  # the door's authorizer lets a query read, nothing else


def test_served_target_skips_only_what_needs_writable_sql(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "--wf-target=served")
    assert result.ret == pytest.ExitCode.OK
    by_outcome = checks_by_outcome(result)
    assert by_outcome["failed"] == set()
    assert by_outcome["skipped"] == {INVALID_PAYLOAD}
    assert len(by_outcome["passed"]) == ALL_CHECKS - 1
    read_only_skip(result)


def test_served_target_catches_a_broken_dashboard_over_http(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    importable_by_the_server(monkeypatch)
    rule, must_fail = BROKEN["lineage_not_incremented"]
    result = run_suite(pytester, "--wf-target=served", f"--wf-runtime-factory={FACTORY_MODULE}:lineage_not_incremented")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_outcome = checks_by_outcome(result)
    assert by_outcome["failed"] == set(must_fail) == {rule}
    assert by_outcome["skipped"] == {INVALID_PAYLOAD}
    assert len(by_outcome["passed"]) == ALL_CHECKS - 1 - len(must_fail)
    read_only_skip(result)
    result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{rule} | required[]] *"], consecutive=False)
