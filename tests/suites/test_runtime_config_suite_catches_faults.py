"""Meta-tests: the runtime-config suite passes the reference and catches each deliberately broken runtime.

Each run is a real ``pytest --pyargs workerflow_kit.suites.runtime_config`` (through ``pytester``, in this
process) against the reference in process (every check passes), against one reference runtime per broken
rule (:mod:`tests.suites.broken.runtime_config`: exactly the listed checks fail, the others pass, and the
output names each failing check with its level), and against the served target, whose control door sets the
env over HTTP (every check passes; a broken runtime served with ``--wf-runtime-factory`` is caught). Every run is pinned
(:func:`tests.suites.pinned.run_pinned`), so the property check draws the same examples in any process.
"""

from __future__ import annotations

import re

import pytest

from tests.suites.broken.runtime_config import BROKEN
from tests.suites.meta import importable_by_the_server
from tests.suites.pinned import run_pinned

pytest_plugins = ["pytester"]

SUITE = "workerflow_kit.suites.runtime_config"
FACTORY_MODULE = "tests.suites.broken.runtime_config"
LABEL = re.compile(r"\[(?:[^\]]*-)?(runtime-config\.[a-z0-9-]+) \| (required|recommended)\]")
CHECK_IDS = frozenset(
    {
        "runtime-config.health-config-shape",
        "runtime-config.health-config-errors",
        "runtime-config.run-config-errors",
        "runtime-config.gating-gated-route-is-unknown",
        "runtime-config.gating-disabled-wins",
        "runtime-config.gating-case-sensitive",
        "runtime-config.gating-property",
        "runtime-config.retry-gated-route-409",
        "runtime-config.retry-unregistered-route-409",
        "runtime-config.retry-schedule-not-enabled-409",
        "runtime-config.retry-enabled-202",
        "runtime-config.secrets-health-agrees",
    }
)
GATING = {check_id for check_id in CHECK_IDS if check_id.startswith("runtime-config.gating-")}


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_pinned(pytester, "--pyargs", SUITE, "-rfEs", "-p", "no:cacheprovider", *args)


def checks_by_outcome(result: pytest.RunResult) -> dict[str, set[str]]:
    """Check ids by outcome, read from the test ids: a fixture-driven check fails when any of its fixtures
    fails, and passes when all of them pass."""
    seen: dict[str, set[str]] = {"passed": set(), "skipped": set(), "failed": set()}
    for outcome, reports in zip(seen, result.reprec.listoutcomes(), strict=True):  # type: ignore[attr-defined]
        for report in reports:
            match = LABEL.search(report.nodeid)
            assert match is not None, f"a suite test without [id | level] in its name: {report.nodeid}"
            seen[outcome].add(match.group(1))
    return {
        "passed": seen["passed"] - seen["failed"] - seen["skipped"],
        "skipped": seen["skipped"] - seen["failed"],
        "failed": seen["failed"],
    }


def test_every_check_is_covered_by_a_broken_runtime() -> None:
    assert set().union(*BROKEN.values()) == CHECK_IDS
    assert len(BROKEN) >= 5


def test_reference_in_process_passes_every_check(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    by_outcome = checks_by_outcome(result)
    assert by_outcome == {"passed": set(CHECK_IDS), "skipped": set(), "failed": set()}


@pytest.mark.parametrize("factory", sorted(BROKEN))
def test_broken_runtime_is_caught(pytester: pytest.Pytester, factory: str) -> None:
    must_fail = BROKEN[factory]
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:{factory}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_outcome = checks_by_outcome(result)
    assert by_outcome["failed"] == set(must_fail), f"{factory}: unexpected set of failing checks"
    assert by_outcome["skipped"] == set()
    assert by_outcome["passed"] == CHECK_IDS - must_fail
    for check_id in sorted(must_fail):
        # The id and level are in the test name (summary line) and in the failure message itself.
        result.stdout.fnmatch_lines([f"FAILED *{check_id} | required[]]*"], consecutive=False)
        result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{check_id} | required[]] *"], consecutive=False)


def test_served_target_passes_every_check(pytester: pytest.Pytester) -> None:
    """The control door's set_env reaches the served workers: every check runs, none skips."""
    result = run_suite(pytester, "--wf-target=served")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert checks_by_outcome(result) == {"passed": set(CHECK_IDS), "skipped": set(), "failed": set()}


def test_served_target_catches_a_broken_runtime_over_http(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gating matched case-insensitively, seen with the gating env set over the control door (gating checks only)."""
    importable_by_the_server(monkeypatch)
    factory = "gating_case_insensitive"
    result = run_suite(
        pytester, "--wf-target=served", f"--wf-runtime-factory={FACTORY_MODULE}:{factory}", "-k", "test_gating_"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert checks_by_outcome(result) == {
        "passed": GATING - BROKEN[factory],
        "skipped": set(),
        "failed": set(BROKEN[factory]),
    }
    for check_id in sorted(BROKEN[factory]):
        result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{check_id} | required[]] *"], consecutive=False)
