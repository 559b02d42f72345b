"""`workerflow-kit cron check|next`: output lines, exit codes 0/1/2, and no tracebacks on bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from workerflow_kit.cli import cli, main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["cron", *args])
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_check_prints_one_line_per_expression_and_exits_0() -> None:
    code, out, _ = run("check", "0 17 * * sun", "59 23 LW * *", "0 18 * * 6L")
    assert code == 0
    assert out.splitlines() == ["ok   0 17 * * sun", "ok   59 23 LW * *", "ok   0 18 * * 6L"]


def test_check_exits_1_if_any_is_invalid_and_still_checks_the_rest() -> None:
    code, out, _ = run("check", "0 17 * * 0", "*/30 * * * *", "60 * * * *")
    assert code == 1
    assert out.splitlines() == [
        'fail 0 17 * * 0: day-of-week field "0": 0 is not a weekday in Cloudflare\'s dialect (1-7 = SUN-SAT); '
        "use 1 or SUN for Sunday",
        "ok   */30 * * * *",
        'fail 60 * * * *: minute field "60": 60 is out of range 0-59',
    ]


def test_check_notes_expressions_that_never_fire() -> None:
    code, out, err = run("check", "0 0 31 4 *")
    assert code == 0
    assert out == "ok   0 0 31 4 *\n"
    assert "never fires" in err


def test_check_without_expressions_is_a_usage_error() -> None:
    code, _, err = run("check")
    assert code == 2
    assert "Missing argument" in err


def test_next_prints_iso_times_like_workers_do() -> None:
    code, out, _ = run("next", "0 18 * * 6L", "--after", "2028-02-01T00:00:00Z", "--count", "3")
    assert code == 0
    assert out.splitlines() == ["2028-02-25T18:00:00.000Z", "2028-03-31T18:00:00.000Z", "2028-04-28T18:00:00.000Z"]


def test_next_reads_offsets_and_treats_a_bare_date_as_utc() -> None:
    _, out, _ = run("next", "0 0 * * *", "--after", "2028-02-01T05:00:00+05:00", "-n", "1")
    assert out == "2028-02-02T00:00:00.000Z\n"  # 05:00+05:00 is midnight UTC, itself a fire time: strictly after
    _, out, _ = run("next", "59 23 LW * *", "--after", "2028-02-01", "-n", "2")
    assert out.splitlines() == ["2028-02-29T23:59:00.000Z", "2028-03-31T23:59:00.000Z"]


def test_next_defaults_to_now_and_five_times() -> None:
    before = datetime.now(UTC)
    code, out, _ = run("next", "* * * * *")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 5
    first = datetime.strptime(lines[0], "%Y-%m-%dT%H:%M:%S.000Z").replace(tzinfo=UTC)
    assert 0 < (first - before).total_seconds() <= 61


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["next", "* * * * *", "--after", "yesterday"], "is not an ISO 8601 date-time"),
        (["next", "* * * * *", "--after", "2028-13-01"], "is not an ISO 8601 date-time"),
        (["next", "* * * * *", "--count", "0"], "0 is not in the range"),
        (["next", "* * * * *", "--count", "many"], "is not a valid integer"),
        (["next"], "Missing argument"),
    ],
)
def test_next_usage_errors_exit_2(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert message in err


def test_next_with_an_invalid_expression_exits_1_with_one_error_line() -> None:
    code, out, err = run("next", "0 17 * * 0")
    assert code == 1
    assert out == ""
    assert err == (
        'error: day-of-week field "0": 0 is not a weekday in Cloudflare\'s dialect (1-7 = SUN-SAT); '
        "use 1 or SUN for Sunday\n"
    )


def test_next_for_an_expression_that_never_fires_says_so() -> None:
    code, out, err = run("next", "0 0 30 2 *", "--after", "2028-01-01T00:00:00Z")
    assert code == 0
    assert out == ""
    assert "never fires" in err


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["cron", "check", "0 17 * * 1"], 0),
        (["cron", "check", "0 17 * * 0"], 1),
        (["cron", "next", "0 17 * * 0"], 1),
        (["cron", "next", "* * * * *", "--count", "0"], 2),
        (["cron", "check"], 2),
    ],
)
def test_main_entry_point_exit_codes(argv: list[str], code: int, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


def test_help_teaches_with_examples() -> None:
    for args in (["--help"], ["check", "--help"], ["next", "--help"]):
        code, out, _ = run(*args)
        assert code == 0
        assert "Examples:" in out
    _, out, _ = run("--help")
    assert "1-7 = SUN-SAT" in out
    assert 'cron next "0 18 * * 6L"' in out
