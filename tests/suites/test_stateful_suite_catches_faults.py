"""Meta-tests: the stateful suite passes the reference and catches each deliberately broken runtime.

Each run is a real ``pytest --pyargs workerflow_kit.suites.stateful`` (through ``pytester``, in this process)
against the reference in process, against one reference runtime per broken rule
(:mod:`tests.suites.broken.stateful`, injected with ``--wf-runtime-factory``), and against a served runtime.
Every run is pinned (:func:`tests.suites.pinned.run_pinned`) to a derandomized Hypothesis profile without
shrinking, so it is repeatable and quick in any process; the failure output must name the broken rule's check
id and level. A fault may be seen by more than one stateful rule (an acked retryable failure also leaves the
wrong run status), so the named check must be among the failures, and the reference must pass every check. The
served runtime (drain, clock and set_env over its control door) runs every check but the fault-plan one, which
needs a handler installed in the runtime object, and catches a broken runtime served with
``--wf-runtime-factory``.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

from tests.suites.broken.stateful import BROKEN
from tests.suites.meta import checks_by_outcome, importable_by_the_server
from tests.suites.pinned import run_pinned
from workerflow_kit.suites.stateful import EXAMPLES_SHARE

pytest_plugins = ["pytester"]

FACTORY_MODULE = "tests.suites.broken.stateful"
ALL_CHECKS = {
    "stateful.responses-match-model",
    "stateful.nothing-lost",
    "stateful.attempts-match-plan",
    "stateful.ops-counts-equal-db",
    "stateful.lineage-consistent",
    "stateful.dead-letters-deduped",
}
QUICK = "wfk-stateful-meta"
SERVED = "wfk-stateful-meta-served"


def _machine_runs(runs: int) -> int:
    """The profile ``max_examples`` that gives the machine ``runs`` examples (it takes a share of the profile's)."""
    return round(runs / EXAMPLES_SHARE)


# More and longer runs than the suite's defaults: a fault such as an un-incremented lineage count shows only when
# one dead letter is retried twice, and the trace ids the runtime mints differ from run to run.
settings.register_profile(
    QUICK,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    max_examples=_machine_runs(40),
    stateful_step_count=30,
)
settings.register_profile(SERVED, settings.get_profile(QUICK), max_examples=_machine_runs(3), stateful_step_count=8)


def run_suite(pytester: pytest.Pytester, *args: str, profile: str = QUICK) -> pytest.RunResult:
    suite = ("--pyargs", "workerflow_kit.suites.stateful", "-rfEs", "-p", "no:cacheprovider")
    return run_pinned(pytester, *suite, *args, profile=profile)


def test_reference_passes_every_stateful_check(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "-v")
    result.assert_outcomes(passed=len(ALL_CHECKS))
    assert checks_by_outcome(result)["passed"] == ALL_CHECKS


@pytest.mark.parametrize("factory", sorted(BROKEN))
def test_broken_runtime_is_caught(pytester: pytest.Pytester, factory: str) -> None:
    rule = BROKEN[factory]
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:{factory}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_outcome = checks_by_outcome(result)
    assert rule in by_outcome["failed"], f"{factory}: {rule} did not fail ({by_outcome})"
    assert by_outcome["skipped"] == set()
    result.stdout.fnmatch_lines([f"FAILED *[[]{rule} | required[]]*"], consecutive=False)
    result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{rule} | required[]] *"], consecutive=False)


FAULT_PLAN = "stateful.attempts-match-plan"


def test_served_target_runs_all_but_the_fault_plan_check(pytester: pytest.Pytester) -> None:
    """Drain, clock and set_env come over the control door, so the machine runs as in process; only the fault-plan
    check skips: it installs a failing handler in the runtime object, which a served process does not expose."""
    result = run_suite(pytester, "--wf-target=served", profile=SERVED)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    by_outcome = checks_by_outcome(result)
    assert by_outcome == {"passed": ALL_CHECKS - {FAULT_PLAN}, "skipped": {FAULT_PLAN}, "failed": set()}
    skipped = result.reprec.listoutcomes()[1]  # type: ignore[attr-defined]
    assert [report.longrepr[2] for report in skipped] == [
        "Skipped: requires a runtime hook to install a fault handler, which target 'served' lacks"
    ]


def test_served_target_catches_a_broken_runtime_over_http(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    importable_by_the_server(monkeypatch)
    factory = "summary_off_by_one"
    rule = BROKEN[factory]
    result = run_suite(
        pytester,
        "--wf-target=served",
        f"--wf-runtime-factory={FACTORY_MODULE}:{factory}",
        "-k",
        "ops_counts_equal_db",
        profile=SERVED,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert checks_by_outcome(result) == {"passed": set(), "skipped": set(), "failed": {rule}}
    result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{rule} | required[]] *"], consecutive=False)
