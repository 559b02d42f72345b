"""Meta-tests: the routes suite passes the reference and catches each deliberately broken runtime.

A check is only as good as the faults it catches. Each run below is a real ``pytest --pyargs
workerflow_kit.suites.routes`` (through ``pytester``, in this process) against:

* the reference in process: every check passes, none is skipped;
* one reference runtime per broken rule (:mod:`tests.suites.broken_runtimes`, injected with
  ``--wf-runtime-factory``): the run fails, exactly the checks that observe the broken rule fail (the rest
  pass, so a check does not fail for unrelated reasons), and the failure output names the rule's check id
  and level;
* ``--wf-target=served`` (a real ``workerflow-kit serve`` with its control door): every check passes, and a
  broken runtime served with ``--wf-runtime-factory`` is caught over HTTP;
* ``--wf-target=url`` pointed at a served runtime (live mode): without ``--wf-allow-writes`` the writing checks
  skip, without ``--wf-routes`` every check whose request would invoke a route skips, its reason naming the
  route and the option; with both they run. The checks that drain the queue skip (no url target can).
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatch

import pytest

from tests.suites.broken_runtimes import BROKEN
from tests.suites.meta import LABEL, checks_by_outcome, importable_by_the_server
from workerflow_kit.targets import ServedTarget

pytest_plugins = ["pytester"]

FACTORY_MODULE = "tests.suites.broken_runtimes"
ALL_CHECKS = 16
ALL_CHECK_IDS = {
    "routes.health-shape",
    "routes.preflight-cors",
    "routes.unknown-route-404",
    "routes.malformed-path-404",
    "routes.non-post-405",
    "routes.cors-origin-echoed",
    "routes.async-accepted-shape",
    "routes.async-task-runs",
    "routes.async-task-shape",
    "routes.async-wrapbody",
    "routes.duplicate-is-202",
    "routes.sync-duplicate-is-202",
    "routes.sync-result-shape",
    "routes.sync-wrapbody",
    "routes.malformed-json-keeps-trace",
    "routes.malformed-json-no-5xx",
}
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
    assert by_outcome["passed"] == ALL_CHECK_IDS
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

ROUTE_INVOKING = {
    # check -> the route its first refused request invokes
    "routes.async-accepted-shape": "webhook_echo",
    "routes.duplicate-is-202": "webhook_echo",
    "routes.malformed-json-keeps-trace": "webhook_echo",
    "routes.malformed-json-no-5xx": "webhook_echo",
    "routes.sync-duplicate-is-202": "lead_normalizer",
    "routes.sync-result-shape": "lead_normalizer",
    "routes.sync-wrapbody": "lead_normalizer",
}
"""The checks a live target refuses (before sending) unless ``--wf-routes`` allows the route they invoke."""
NEEDS_DRAIN = {"routes.async-task-runs", "routes.async-task-shape", "routes.async-wrapbody"}
"""The checks that read the task a route enqueued: they need drain_queue and inspect_db, which no url target has."""
HTTP_READS = {
    "routes.health-shape",
    "routes.preflight-cors",
    "routes.malformed-path-404",
    "routes.non-post-405",
    "routes.unknown-route-404",
    "routes.cors-origin-echoed",
}
"""The checks that neither write nor invoke a real route: they run on any target. (The last two post to a made-up
route, ``wfk_no_such_route_<random>``, which every allow-list lets through: no deployment has it.)"""


def skip_reason_by_check(result: pytest.RunResult) -> dict[str, str]:
    """Check id -> the reason its test was skipped with."""
    reasons = {}
    for report in result.reprec.listoutcomes()[1]:  # type: ignore[attr-defined]
        match = LABEL.search(report.nodeid)
        assert match is not None, report.nodeid
        assert isinstance(report.longrepr, tuple), report.longrepr
        reasons[match.group(1)] = report.longrepr[2]
    return reasons


def route_refusal(route: str) -> str:
    """An fnmatch pattern of the skip reason for a request refused because it invokes ``route``."""
    return (
        f"Skipped: POST /api/{route} invokes '{route}', which this live target does not allow; "
        f"allow it with --routes {route} (pytest: --wf-routes {route})*"
    )


def lacks(capability: str, target: str) -> str:
    return f"Skipped: requires capability '{capability}' which target '{target}' lacks"


@pytest.fixture(scope="module")
def served() -> Iterator[ServedTarget]:
    with ServedTarget(serve_args=["--env", "GOOGLEAI_API_KEY=placeholder"]) as target:
        yield target


def test_served_target_passes_every_check(pytester: pytest.Pytester) -> None:
    """Over HTTP and the control door (drain_queue, inspect_db, set_env), nothing skips any more."""
    result = run_suite(pytester, "--wf-target=served", *SYNC_KEY)
    assert result.ret == pytest.ExitCode.OK
    by_outcome = checks_by_outcome(result)
    assert by_outcome == {"passed": set(ALL_CHECK_IDS), "skipped": set(), "failed": set()}


def test_served_target_catches_a_task_lost_after_the_202(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken runtime served in another process is caught through the control door (drain, then query)."""
    importable_by_the_server(monkeypatch)
    rule, must_fail = BROKEN["accepted_task_dropped"]
    result = run_suite(
        pytester, "--wf-target=served", *SYNC_KEY, f"--wf-runtime-factory={FACTORY_MODULE}:accepted_task_dropped"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_outcome = checks_by_outcome(result)
    assert by_outcome == {"passed": set(ALL_CHECK_IDS - must_fail), "skipped": set(), "failed": set(must_fail)}
    result.stdout.fnmatch_lines([f"E   *CheckFailed: [[]{rule} | required[]] *"], consecutive=False)


def test_url_target_writes_nothing_and_invokes_no_route_by_default(
    pytester: pytest.Pytester, served: ServedTarget
) -> None:
    urls = [f"--wf-{name}-url={url}" for name, url in served.urls.items()]
    result = run_suite(pytester, "--wf-target=url", *urls)
    assert checks_by_outcome(result) == {"passed": HTTP_READS, "skipped": ALL_CHECK_IDS - HTTP_READS, "failed": set()}
    assert skip_reason_by_check(result) == dict.fromkeys(ALL_CHECK_IDS - HTTP_READS, lacks("writes_allowed", "url"))


def test_url_target_with_writes_allowed_still_invokes_no_route(pytester: pytest.Pytester, served: ServedTarget) -> None:
    urls = [f"--wf-{name}-url={url}" for name, url in served.urls.items()]
    result = run_suite(pytester, "--wf-target=url", *urls, "--wf-allow-writes")
    assert checks_by_outcome(result) == {"passed": HTTP_READS, "skipped": ALL_CHECK_IDS - HTTP_READS, "failed": set()}
    reasons = skip_reason_by_check(result)
    for check_id, route in ROUTE_INVOKING.items():
        assert fnmatch(reasons.pop(check_id), route_refusal(route)), check_id
    assert reasons == dict.fromkeys(NEEDS_DRAIN, lacks("drain_queue", "url"))


def test_url_target_runs_the_routes_it_is_allowed_to_invoke(pytester: pytest.Pytester, served: ServedTarget) -> None:
    urls = [f"--wf-{name}-url={url}" for name, url in served.urls.items()]
    # Allowed by name; lead_normalizer is not allowed, so the sync checks stay refused.
    allowed = "--wf-routes=webhook_echo"
    result = run_suite(pytester, "--wf-target=url", *urls, "--wf-allow-writes", allowed)
    sync = {check_id for check_id, route in ROUTE_INVOKING.items() if route == "lead_normalizer"}
    assert checks_by_outcome(result) == {
        "passed": ALL_CHECK_IDS - NEEDS_DRAIN - sync,
        "skipped": NEEDS_DRAIN | sync,
        "failed": set(),
    }
    reasons = skip_reason_by_check(result)
    assert all(fnmatch(reasons.pop(check_id), route_refusal("lead_normalizer")) for check_id in sync)
    assert reasons == dict.fromkeys(NEEDS_DRAIN, lacks("drain_queue", "url"))

    everything = run_suite(pytester, "--wf-target=url", *urls, "--wf-allow-writes", "--wf-routes=*")
    assert checks_by_outcome(everything) == {
        "passed": ALL_CHECK_IDS - NEEDS_DRAIN,
        "skipped": NEEDS_DRAIN,
        "failed": set(),
    }
