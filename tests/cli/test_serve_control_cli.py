"""`workerflow-kit serve --control/--virtual-clock/--runtime-factory`: the options a test runner uses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from workerflow_kit.cli import cli, main
from workerflow_kit.cli.serve_cmd import DEFAULT_CONTROL_PORT, _start_time
from workerflow_kit.runtime import serve as serve_module

FREE = ["--api-port", "0", "--workflow-port", "0", "--ops-port", "0", "--scheduler-port", "0"]


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", *FREE, *args])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err


def test_help_shows_the_test_options() -> None:
    text = CliRunner().invoke(cli, ["serve", "--help"]).output
    for option in ("--control", "--control-port", "--virtual-clock", "--runtime-factory", "--exit-with-parent"):
        assert option in text


def test_default_control_port_agrees_with_the_runtime() -> None:
    assert DEFAULT_CONTROL_PORT == serve_module.DEFAULT_CONTROL_PORT


def test_a_virtual_clock_needs_the_control_door(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--virtual-clock needs --control" in refused(capsys, "--virtual-clock")


def test_a_runtime_factory_refuses_what_it_chooses_itself(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, "--control", "--virtual-clock", "--runtime-factory", "tests.suites.broken_runtimes:x")
    assert "--virtual-clock do(es) not apply with --runtime-factory" in err


def test_an_unknown_runtime_factory_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert "cannot import runtime factory module" in refused(capsys, "--runtime-factory", "no_such_module_at_all:f")


def test_virtual_clock_start_times() -> None:
    assert _start_time("") == datetime(2026, 1, 1, tzinfo=UTC)
    assert _start_time("2026-03-01T12:00:00Z") == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert _start_time("2026-03-01T12:00:00") == datetime(2026, 3, 1, 12, tzinfo=UTC)  # naive means UTC
    assert _start_time("2026-03-01T14:00:00+02:00") == datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_a_bad_start_time_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "expected an ISO 8601 time" in refused(capsys, "--control", "--virtual-clock=yesterday")
