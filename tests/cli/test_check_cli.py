"""`workerflow-kit check`: exit codes, the verdict line, the event stream, and how results are counted.

The command runs pytest in this process; these tests run it on the routes suite only (a few seconds each), against
the reference and against the deliberately broken runtimes of :mod:`tests.suites.broken_runtimes`.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.contracts.test_project import make_checkout
from tests.suites.broken_runtimes import BROKEN
from workerflow_kit.cli import cli, main
from workerflow_kit.cli.check_cmd import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    PROFILES,
    CheckEvent,
    CheckListeners,
    CheckRecorder,
    RunFinished,
    Verdict,
)
from workerflow_kit.suites import SUITE_MODULES, profiles

pytest_plugins = ["pytester"]

FACTORIES = "tests.suites.broken_runtimes"
ROUTES_CHECKS = 16


def check(*args: str, listeners: CheckListeners | None = None) -> Result:
    return CliRunner().invoke(cli, ["check", *args], obj=listeners)


def last_line(result: Result) -> str:
    return result.stdout.strip().splitlines()[-1]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# ------------------------------------------------------------------------------------------ help


def test_help_teaches_with_examples_exit_codes_and_suites() -> None:
    result = check("--help")
    assert result.exit_code == 0
    text_of_help = " ".join(result.output.split())
    for text in (
        "Examples:",
        "workerflow-kit check --suite routes",
        "--target url --api-url",
        "Exit codes:",
        "3 target unreachable",
        "--strict",
        "--profile",
        ", ".join(SUITE_MODULES),
        "required failed, 1 recommended failed",
    ):
        assert text in text_of_help, text
    assert "check" in CliRunner().invoke(cli, ["--help"]).output


def test_the_profile_names_match_the_profiles_module() -> None:
    assert PROFILES == profiles.PROFILES


# ------------------------------------------------------------------------------------------ runs


def test_passing_in_process_run_exits_0_and_streams_one_event_per_check() -> None:
    events: list[CheckEvent | RunFinished] = []
    result = check("--suite", "routes", "-v", "-k", "not route_fixture", listeners=CheckListeners([events.append]))
    assert result.exit_code == EXIT_OK, result.output
    assert last_line(result) == f"0 required failed, 0 recommended failed, {ROUTES_CHECKS} passed, 0 skipped"
    assert "test_duplicate_is_202[routes.duplicate-is-202 | required] PASSED" in result.stdout
    checks = [e for e in events if isinstance(e, CheckEvent)]
    assert len(checks) == ROUTES_CHECKS
    assert {e.outcome for e in checks} == {"passed"}
    by_id = {e.id: e for e in checks}
    assert by_id["routes.malformed-json-no-5xx"].level == "recommended"
    assert by_id["routes.health-shape"].level == "required"
    assert all(e.duration > 0 and e.nodeid.startswith("suites/routes.py::") for e in checks)
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.exit_code == EXIT_OK
    assert finished.verdict == Verdict(passed=ROUTES_CHECKS)


def test_broken_runtime_exits_1_and_the_verdict_counts_the_failures() -> None:
    _, must_fail = BROKEN["duplicate_answers_200"]
    result = check(
        "--suite",
        "routes",
        "--runtime-factory",
        f"{FACTORIES}:duplicate_answers_200",
        "--profile",
        "quick",
        "-k",
        "not route_fixture",
    )
    assert result.exit_code == EXIT_FAILED, result.output
    passed = ROUTES_CHECKS - len(must_fail)
    assert last_line(result) == f"{len(must_fail)} required failed, 0 recommended failed, {passed} passed, 0 skipped"
    assert "[routes.duplicate-is-202 | required] expected status 202, got 200" in result.stdout
    # quick is not derandomized: the run's seed is printed, with how to replay it
    assert "hypothesis: profile quick, seed " in result.stdout
    assert "--profile quick --seed " in result.stdout


def test_project_runs_a_checkout_instead_of_the_baseline(tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path / "cloudflare")
    result = check("--suite", "routes", "--project", str(checkout), "-k", "health_shape or unknown_route")
    assert result.exit_code == EXIT_OK, result.output
    assert last_line(result) == "0 required failed, 0 recommended failed, 2 passed, 0 skipped"


def test_a_project_that_is_not_a_checkout_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--suite", "routes", "--project", str(tmp_path)])
    assert exit_info.value.code == EXIT_CONFIG
    assert capsys.readouterr().err.startswith("error: ")


def test_recommended_failures_are_reported_not_failing_unless_strict() -> None:
    args = ("--suite", "routes", "--runtime-factory", f"{FACTORIES}:malformed_json_crashes", "--profile", "ci")
    result = check(*args, "-k", "not route_fixture")
    assert result.exit_code == EXIT_OK, result.output
    assert last_line(result) == f"0 required failed, 1 recommended failed, {ROUTES_CHECKS - 1} passed, 0 skipped"
    assert (
        "recommended checks failed (reported, not failing; --strict fails on them): routes.malformed-json-no-5xx"
        in result.stdout
    )
    assert "profile ci is derandomized" in result.stdout

    strict = check(*args, "--strict", "-k", "malformed_json_no_5xx")
    assert strict.exit_code == EXIT_FAILED, strict.output
    assert last_line(strict) == "0 required failed, 1 recommended failed, 0 passed, 0 skipped"


# ------------------------------------------------------------------------------------------ exit 2 and 3


def test_unknown_suite_is_a_usage_error_listing_the_suites() -> None:
    result = check("--suite", "nope")
    assert result.exit_code == EXIT_CONFIG
    assert "unknown suite 'nope'; the suites are: compat, manifest, schedules" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api-url", "http://127.0.0.1:8787"], "--api-url do(es) not apply to --target inprocess"),
        (["--target", "url", "--api-url", "http://127.0.0.1:1", "--project", "."], "--project do(es) not apply"),
        (["--target", "url", "--api-url", "http://127.0.0.1:1", "--runtime-factory", "x:y"], "--runtime-factory do"),
        (["--runtime-factory", "no_such_module_here:factory"], "cannot import runtime factory module"),
        (["--target", "url"], "the url target needs the api URL"),
        (["--fixtures", "/no/such/folder"], "no such fixtures folder"),
    ],
)
def test_options_that_do_not_fit_exit_2(
    args: Sequence[str], message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WORKERFLOW_API_URL", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", *args])
    assert exit_info.value.code == EXIT_CONFIG
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_pytest_usage_errors_and_empty_selections_exit_2() -> None:
    refused = check("--suite", "routes", "--", "--wf-target=nowhere")
    assert refused.exit_code == EXIT_CONFIG
    empty = check("--suite", "routes", "-k", "no_check_has_this_name")
    assert empty.exit_code == EXIT_CONFIG
    assert "no check ran" in empty.stderr
    assert last_line(empty) == "0 required failed, 0 recommended failed, 0 passed, 0 skipped"


def test_unreachable_url_target_exits_3_with_a_clear_line() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = check("--target", "url", "--api-url", url, "--suite", "routes")
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    assert f"error: target unreachable: the api worker does not answer at {url}/api/health" in result.stderr
    assert "test session starts" not in result.output  # nothing ran


def test_a_served_target_that_cannot_start_exits_3() -> None:
    result = check("--target", "served", "--suite", "routes", "-k", "health", "--", "--wf-serve-arg=--no-such-flag")
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    assert "error: target unavailable: workerflow-kit serve exited with code 2 before 'ready'" in result.stderr
    assert "No such option '--no-such-flag'" in result.stderr


# ------------------------------------------------------------------------------------------ counting


def event(check_id: str, level: str, outcome: str) -> CheckEvent:
    return CheckEvent(id=check_id, level=level, outcome=outcome, duration=0.1, message="", nodeid=check_id)


def test_verdict_counts_and_exit_codes() -> None:
    verdict = Verdict.of(
        [
            event("a.one", "required", "failed"),
            event("a.two", "recommended", "failed"),
            event("a.three", "recommended", "failed"),
            event("a.four", "required", "passed"),
            event("a.five", "recommended", "passed"),
            event("a.six", "required", "skipped"),
        ]
    )
    assert verdict == Verdict(required_failed=1, recommended_failed=2, passed=2, skipped=1)
    assert verdict.line() == "1 required failed, 2 recommended failed, 2 passed, 1 skipped"
    assert verdict.exit_code() == EXIT_FAILED
    only_recommended = Verdict(recommended_failed=2, passed=3)
    assert only_recommended.exit_code() == EXIT_OK
    assert only_recommended.exit_code(strict=True) == EXIT_FAILED


def test_recorder_turns_every_test_into_one_event(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from hypothesis import given, settings, strategies as st

        @pytest.mark.wf_check("demo.passes", "required")
        def test_passes():
            pass

        @pytest.mark.wf_check("demo.required-fails", "required")
        def test_required_fails():
            raise AssertionError("[demo.required-fails | required] the rule is broken")

        @pytest.mark.wf_check("demo.recommended-fails", "recommended")
        def test_recommended_fails():
            assert False, "not robust"

        @pytest.mark.wf_check("demo.skips", "required")
        def test_skips():
            pytest.skip("requires capability 'clock' which target 'url' lacks")

        @pytest.fixture
        def broken():
            raise RuntimeError("setup broke")

        @pytest.mark.wf_check("demo.setup-error", "recommended")
        def test_setup_error(broken):
            pass

        def test_unmarked_fails():
            raise AssertionError("plain")

        @pytest.mark.wf_check("demo.property", "required")
        @settings(max_examples=7, database=None, derandomize=True)
        @given(st.integers())
        def test_property(n):
            pass
        """
    )
    recorder = CheckRecorder()
    result = pytester.runpytest_inprocess(plugins=[recorder])
    result.assert_outcomes(passed=2, failed=3, skipped=1, errors=1)
    outcomes = {e.id: (e.level, e.outcome) for e in recorder.events}
    unmarked = next(e.id for e in recorder.events if e.id.endswith("test_unmarked_fails"))
    assert outcomes == {
        "demo.passes": ("required", "passed"),
        "demo.required-fails": ("required", "failed"),
        "demo.recommended-fails": ("recommended", "failed"),
        "demo.skips": ("required", "skipped"),
        "demo.setup-error": ("recommended", "failed"),
        unmarked: ("required", "failed"),
        "demo.property": ("required", "passed"),
    }
    messages = {e.id: e.message for e in recorder.events}
    assert "[demo.required-fails | required] the rule is broken" in messages["demo.required-fails"]
    assert messages["demo.skips"] == "requires capability 'clock' which target 'url' lacks"
    assert "setup broke" in messages["demo.setup-error"]
    assert recorder.verdict == Verdict(required_failed=2, recommended_failed=2, passed=2, skipped=1)
    cases = {e.id: e.cases for e in recorder.events}
    assert cases["demo.property"] >= 7  # every example Hypothesis ran, explicit/reuse/generate phases included
    assert cases["demo.passes"] == 0
    assert recorder.cases == cases["demo.property"]
