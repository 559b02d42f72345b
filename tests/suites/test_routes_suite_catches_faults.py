"""Meta-tests: the routes suite passes the reference and catches each deliberately broken runtime.

A check is only as good as the faults it catches. Each run below is a real ``pytest --pyargs
workerflow_kit.suites.routes`` (through ``pytester``, in this process) against:

* the reference in process: every check passes, none is skipped;
* one reference runtime per broken rule (:mod:`tests.suites.broken_runtimes`, injected with
  ``--wf-runtime-factory``): the run fails, exactly the checks that observe the broken rule fail (the rest
  pass, so a check does not fail for unrelated reasons), and the failure output names the rule's check id
  and level;
* ``--wf-target=served`` (a real ``workerflow-kit serve``) and ``--wf-target=url`` pointed at a served
  runtime: the same suite passes, and the checks whose capability the target lacks skip, naming it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.suites.broken_runtimes import BROKEN
from tests.suites.meta import checks_by_outcome
from workerflow_kit.targets import ServedTarget

pytest_plugins = ["pytester"]

FACTORY_MODULE = "tests.suites.broken_runtimes"
ALL_CHECKS = 16
SYNC_KEY = ["--wf-serve-arg=--env", "--wf-serve-arg=GOOGLEAI_API_KEY=placeholder"]


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # The fixture-driven checks have their own meta-tests (tests/authoring/test_route_fixture_meta.py).
    return pytester.runpytest_inprocess(
        "--pyargs", "workerflow_kit.suites.routes", "-rfEs", "-k", "not route_fixture", *args
    )


def skip_reasons(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if line.startswith("SKIPPED")]


# ------------------------------------------------------------------------------------------ the reference


def test_reference_in_process_passes_every_check(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "-v")
    result.assert_outcomes(passed=ALL_CHECKS)
    by_outcome = checks_by_outcome(result)
    assert len(by_outcome["passed"]) == ALL_CHECKS
    result.stdout.fnmatch_lines(
        [
            "*test_duplicate_is_202?routes.duplicate-is-202 | required? PASSED*",
            "*test_malformed_json_no_5xx?routes.malformed-json-no-5xx | recommended? PASSED*",
        ],
        consecutive=False,
    )


# ------------------------------------------------------------------------------------------ broken runtimes


@pytest.mark.parametrize("factory", sorted(BROKEN))
def test_broken_runtime_is_caught(pytester: pytest.Pytester, factory: str) -> None:
    rule, must_fail = BROKEN[factory]
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:{factory}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_outcome = checks_by_outcome(result)
    assert by_outcome["failed"] == set(must_fail), f"{factory}: unexpected set of failing checks"
    assert by_outcome["skipped"] == set()
    assert len(by_outcome["passed"]) == ALL_CHECKS - len(must_fail)
    level = "recommended" if rule == "routes.malformed-json-no-5xx" else "required"
    # The id and level are in the test name (summary line) and in the failure message itself.
    result.stdout.fnmatch_lines([f"FAILED *[[]{rule} | {level}[]]*"], consecutive=False)
    result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{rule} | {level}[]] *"], consecutive=False)


def test_upstream_crash_fails_only_the_recommended_level(pytester: pytest.Pytester) -> None:
    """Upstream's bare 500 on malformed JSON is a named recommended finding; every required check passes."""
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:malformed_json_crashes")
    failed = result.reprec.listoutcomes()[2]  # type: ignore[attr-defined]
    assert [dict(report.user_properties).get("wf_level") for report in failed] == ["recommended"]
    assert [dict(report.user_properties).get("wf_check") for report in failed] == ["routes.malformed-json-no-5xx"]


def test_a_factory_that_is_not_a_runtime_is_refused(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, f"--wf-runtime-factory={FACTORY_MODULE}:not_a_runtime", "-x")
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*the runtime factory returned Headers, not a Runtime*"], consecutive=False)


# ------------------------------------------------------------------------------------------ other targets


@pytest.fixture(scope="module")
def served() -> Iterator[ServedTarget]:
    with ServedTarget(serve_args=["--env", "GOOGLEAI_API_KEY=placeholder"]) as target:
        yield target


def test_served_target_runs_the_same_suite(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "--wf-target=served", *SYNC_KEY)
    by_outcome = checks_by_outcome(result)
    assert by_outcome["failed"] == set()
    assert by_outcome["skipped"] == {"routes.async-task-runs", "routes.async-task-shape", "routes.async-wrapbody"}
    reasons = skip_reasons(result)
    assert len(reasons) == 3
    assert all("requires capability 'drain_queue' which target 'served' lacks" in line for line in reasons)


def test_url_target_is_read_only_unless_writes_are_allowed(pytester: pytest.Pytester, served: ServedTarget) -> None:
    urls = [f"--wf-{name}-url={url}" for name, url in served.urls.items()]
    read_only = run_suite(pytester, "--wf-target=url", *urls)
    by_outcome = checks_by_outcome(read_only)
    assert by_outcome["failed"] == set()
    assert by_outcome["passed"] == {
        "routes.health-shape",
        "routes.preflight-cors",
        "routes.unknown-route-404",
        "routes.malformed-path-404",
        "routes.non-post-405",
        "routes.cors-origin-echoed",
    }
    writing = ALL_CHECKS - len(by_outcome["passed"])
    assert (
        sum("requires capability 'writes_allowed' which target 'url' lacks" in line for line in skip_reasons(read_only))
        == writing
    )

    allowed = run_suite(pytester, "--wf-target=url", *urls, "--wf-allow-writes")
    by_outcome = checks_by_outcome(allowed)
    assert by_outcome["failed"] == set()
    assert by_outcome["skipped"] == {"routes.async-task-runs", "routes.async-task-shape", "routes.async-wrapbody"}
    assert all("requires capability 'drain_queue' which target 'url' lacks" in line for line in skip_reasons(allowed))
