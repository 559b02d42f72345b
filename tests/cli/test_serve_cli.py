"""`workerflow-kit serve` as a command: help, input handling, and one clear error line on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from workerflow_kit.cli import cli, main
from workerflow_kit.cli.serve_cmd import DEFAULT_PORTS, build_env
from workerflow_kit.errors import KitError
from workerflow_kit.runtime import serve as serve_module

ROUTES = [{"routePath": "custom_ping", "requestType": "async", "flowPath": "f/custom/ping", "wrapBody": False}]


def fail(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", *args])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert captured.out == ""
    return lines[0]


def test_help_teaches_with_examples() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for text in ["--api-port", "--env-file", "--db", "Examples:", "__scheduled?cron=", "--queue-profile"]:
        assert text in result.output


def test_serve_is_listed_in_the_main_help() -> None:
    assert "serve" in CliRunner().invoke(cli, ["--help"]).output


def test_default_ports_agree_with_the_runtime() -> None:
    assert dict(serve_module.DEFAULT_PORTS) == DEFAULT_PORTS


def test_missing_env_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = fail(capsys, "--env-file", str(tmp_path / "nope.vars"))
    assert "nope.vars" in line
    assert "no such env file" in line


def test_bad_env_syntax(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--env expects KEY=VALUE" in fail(capsys, "--env", "NOT_AN_ASSIGNMENT")


def test_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--ops-port 70000 is out of range" in fail(capsys, "--ops-port", "70000")


def test_db_in_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "does not exist" in fail(capsys, "--db", str(tmp_path / "no" / "state.sqlite"))


def test_invalid_routes_config_names_the_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    path.write_text(json.dumps([{"routePath": "x", "requestType": "sometimes"}]), encoding="utf-8")
    line = fail(capsys, "--routes-config", str(path))
    assert "routes.json" in line
    assert "not a valid routes-config file" in line


def test_missing_schedules_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "no such file" in fail(capsys, "--schedules-config", str(tmp_path / "s.json"))


def test_bad_project(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "serve",
                "--project",
                str(tmp_path / "nowhere"),
                "--api-port",
                "0",
                "--workflow-port",
                "0",
                "--ops-port",
                "0",
                "--scheduler-port",
                "0",
            ]
        )
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "Traceback" not in err


def test_build_env_precedence_and_implied_config_mode(tmp_path: Path) -> None:
    env_file = tmp_path / ".dev.vars"
    env_file.write_text("A=file\nB=file\n", encoding="utf-8")
    routes = tmp_path / "routes.json"
    routes.write_text(json.dumps(ROUTES), encoding="utf-8")
    env = build_env(("B=flag", "C=flag"), env_file, None, routes, None)
    assert env["A"] == "file"
    assert env["B"] == "flag"
    assert env["C"] == "flag"
    assert json.loads(env["ROUTES_CONFIG_JSON"]) == ROUTES
    assert env["MANIFEST_MODE"] == "config"
    assert "SCHEDULES_CONFIG_JSON" not in env


def test_build_env_explicit_mode_wins_and_yaml_becomes_json(tmp_path: Path) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text(
        "- routePath: custom_ping\n  requestType: async\n  flowPath: f/custom/ping\n  wrapBody: false\n",
        encoding="utf-8",
    )
    env = build_env((), None, "legacy", routes, None)
    assert env["MANIFEST_MODE"] == "legacy"
    assert json.loads(env["ROUTES_CONFIG_JSON"]) == ROUTES
    assert build_env(("MANIFEST_MODE=legacy",), None, None, routes, None)["MANIFEST_MODE"] == "legacy"


def test_build_env_raises_kit_errors() -> None:
    with pytest.raises(KitError):
        build_env(("=x",), None, None, None, None)
