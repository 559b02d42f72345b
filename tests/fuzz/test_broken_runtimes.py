"""The fuzz checks catch deliberately broken runtimes, and the failure names the check id and level.

Factories come from the shared catalogue (:mod:`tests.suites.broken_runtimes`) where it has the fault, and from
:mod:`tests.fuzz.broken` otherwise. The ``openapi`` suite is also run through pytester, as ``check`` runs it.
"""

from __future__ import annotations

import pytest

from tests.fuzz.broken import BROKEN
from workerflow_kit.fuzz import FUZZ_CHECKS, FuzzOptions, fuzz
from workerflow_kit.targets import InProcessTarget, load_runtime_factory

pytest_plugins = ["pytester"]

LEVELS = {check.id: check.level.value for check in FUZZ_CHECKS}


@pytest.mark.parametrize("factory", sorted(BROKEN))
def test_broken_runtime_is_caught_by_its_check(factory: str) -> None:
    document, check_id = BROKEN[factory]
    with InProcessTarget(runtime_factory=load_runtime_factory(factory)) as target:
        report = fuzz(target, FuzzOptions(max_examples=2, documents=(document,)))
    failed = {failure.check_id for failure in report.failures}
    assert check_id in failed, f"{factory}: {check_id} did not fail (failed: {sorted(failed)})"
    rendered = next(f.render() for f in report.failures if f.check_id == check_id)
    assert rendered.startswith(f"[{check_id} | {LEVELS[check_id]}] {document} ")
    assert "\n  reproduce: curl -X " in rendered


def _run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.syspathinsert(str(pytester.path))  # nothing of ours there; the factories import from tests.*
    return pytester.runpytest_inprocess(
        "--pyargs", "workerflow_kit.suites.openapi", "-rfEs", "-p", "no:cacheprovider", *args
    )


def test_the_openapi_suite_passes_the_reference(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKERFLOW_FUZZ_MAX_EXAMPLES", "2")
    result = _run_suite(pytester, "-v", "--wf-runtime-factory=tests.fuzz.broken:offline_reference")
    result.assert_outcomes(passed=len(FUZZ_CHECKS) - 1, skipped=1)
    result.stdout.fnmatch_lines(["*test_cors_origin_echoed?openapi.cors-origin-echoed | required? PASSED*"])
    result.stdout.fnmatch_lines(["*SKIPPED*openapi.auth-401*sends no token*"])


def test_the_openapi_suite_names_the_broken_rule(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKERFLOW_FUZZ_MAX_EXAMPLES", "2")
    monkeypatch.setenv("WORKERFLOW_FUZZ_DOCUMENTS", "api")
    result = _run_suite(pytester, "--wf-runtime-factory=tests.suites.broken_runtimes:cors_origin_not_echoed")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAILED *[[]openapi.cors-origin-echoed | required[]]*"])
    result.stdout.fnmatch_lines(["E   *CheckFailed: [[]openapi.cors-origin-echoed | required[]] *"])
