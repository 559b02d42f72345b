"""``workerflow-kit fuzz``: output, exit codes 0/1/2/3, options and help."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner, Result

from tests.fuzz.broken import TOKEN
from workerflow_kit.cli import cli, main
from workerflow_kit.fuzz import FUZZ_CHECKS

OFFLINE = "tests.fuzz.broken:offline_reference"


def fuzz(*args: str) -> Result:
    return CliRunner().invoke(cli, ["fuzz", *args])


def test_reference_exits_0_with_counts_per_check_and_the_verdict() -> None:
    result = fuzz("--runtime-factory", OFFLINE, "--max-examples", "2", "--document", "api")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("fuzzing api against target 'inprocess': 2 cases per operation and mode")
    assert any(line.startswith("api POST /api/{routePath}: ") and line.endswith(" cases") for line in lines)
    for check in FUZZ_CHECKS:
        assert any(line.startswith(check.id) for line in lines), check.id
    assert any(line.startswith("openapi.response-schema") and "checked, 0 failed" in line for line in lines)
    assert lines[-1] == "0 required failed, 0 recommended failed, 11 passed, 1 skipped"


def test_max_examples_bounds_the_cases_sent() -> None:
    small = fuzz("-q", "--max-examples", "1", "--document", "ops")
    larger = fuzz("-q", "--max-examples", "3", "--document", "ops")
    assert small.exit_code == larger.exit_code == 0

    def cases(output: str) -> int:
        line = next(line for line in output.splitlines() if " cases over " in line)
        return int(line.split()[0])

    assert 0 < cases(small.output) < cases(larger.output)
    assert " cases per operation" not in small.output.split("\n", 1)[1]  # -q: no per-operation lines
    assert "ops GET /api/meta:" not in small.output


def test_a_broken_runtime_exits_1_and_prints_the_failure_with_a_redacted_reproduction() -> None:
    result = fuzz("--runtime-factory", "tests.fuzz.broken:token_not_enforced", "--max-examples", "2", "-q")
    assert result.exit_code == 1, result.output
    assert "[openapi.auth-401 | required] api POST /api/{routePath}: without credentials" in result.output
    assert "  reproduce: curl -X POST " in result.output
    assert "authorization: [REDACTED]" in result.output
    assert TOKEN not in result.output
    assert result.output.splitlines()[-1].startswith("1 required failed")


def test_recommended_failures_fail_only_with_strict() -> None:
    args = ("--runtime-factory", "tests.fuzz.broken:unknown_route_500", "--max-examples", "1", "--document", "api")
    plain = fuzz(*args, "-q")
    assert "[openapi.no-server-error | recommended]" in plain.output
    # The 500 answers are undocumented for those operations too, so required checks fail as well.
    assert plain.exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-examples", "0"], "Invalid value for '--max-examples'"),
        (["--max-time", "0"], "Invalid value for '--max-time'"),
        (["--document", "both-and-more"], "Invalid value for '--document'"),
        (["--api-url", "http://127.0.0.1:1"], "--api-url do(es) not apply to --target inprocess"),
        (["--target", "url", "--runtime-factory", "x:y"], "--runtime-factory do(es) not apply to --target url"),
        (["--api-token", "t"], "--api-token do(es) not apply to --target inprocess"),
    ],
)
def test_bad_options_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = fuzz(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_unimportable_runtime_factory_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fuzz", "--runtime-factory", "no_such_module_here:factory"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot import runtime factory module 'no_such_module_here'")
    assert "Traceback" not in err


def test_a_url_target_without_an_api_url_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKERFLOW_API_URL", raising=False)
    result = fuzz("--target", "url")
    assert result.exit_code == 2
    assert "error: " in result.output


def test_an_unreachable_url_target_exits_3() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    result = fuzz("--target", "url", "--api-url", f"http://127.0.0.1:{port}", "--document", "api")
    assert result.exit_code == 3
    assert "error: target unreachable: the api worker does not answer" in result.output


def test_help_teaches_with_examples_and_exit_codes() -> None:
    result = fuzz("--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for expected in (
        "Examples:",
        "workerflow-kit fuzz --target url --api-url",
        "--max-examples",
        "--max-time",
        "--document [api|ops|both]",
        "Exit codes: 0 no required check failed",
        "3 target unreachable",
        "reproduce: curl",
        "[REDACTED]",
    ):
        assert expected in text, expected
    assert "fuzz" in CliRunner().invoke(cli, ["--help"]).output
