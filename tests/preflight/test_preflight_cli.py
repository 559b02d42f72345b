"""`workerflow-kit preflight`: text lines, --json, --strict and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.preflight.checkout import build_checkout, edit
from workerflow_kit.cli import cli, main


def test_baseline_text_output_and_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["preflight"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Preflight: bundled WorkerFlow v0.1 baseline"
    assert "[ok] preflight.handlers-registered: " in result.output
    assert (
        '[warn] preflight.schedules-fire: contracts/schedules.v1.json: /0/cron: enabled schedule "heartbeat_hourly"'
        in result.output
    )
    assert lines[-1] == "preflight passed: 11 ok, 6 warn, 0 fail"

    strict = CliRunner().invoke(cli, ["preflight", "--strict"])
    assert strict.exit_code == 1
    assert strict.output.splitlines()[-1] == "preflight failed (strict: warnings fail): 11 ok, 6 warn, 0 fail"


def test_json_output_shape() -> None:
    result = CliRunner().invoke(cli, ["preflight", "--json", "--strict"])
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["project"] == "bundled WorkerFlow v0.1 baseline"
    assert document["strict"] is True
    assert document["failed"] is True
    assert document["counts"] == {"ok": 11, "warn": 6, "fail": 0}
    assert all(set(r) == {"id", "status", "message", "file", "pointer"} for r in document["results"])
    assert all(r["id"].startswith("preflight.") for r in document["results"])


def test_failures_exit_1_on_a_checkout(tmp_path: Path) -> None:
    repo = build_checkout(tmp_path / "repo")
    assert CliRunner().invoke(cli, ["preflight", str(repo), "--strict"]).exit_code == 0
    edit(repo / "cloudflare/workers/scheduler/wrangler.jsonc", '"0 3 * * *"', '"0 3 * * 0"')
    result = CliRunner().invoke(cli, ["preflight", str(repo)])
    assert result.exit_code == 1
    assert (
        "[fail] preflight.crons-valid: cloudflare/workers/scheduler/wrangler.jsonc: /triggers/crons/1: "
        in result.output
    )


def test_unreadable_project_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["preflight", str(tmp_path / "nowhere")])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "no such directory" in err
    assert "Traceback" not in err


def test_help_teaches_with_examples() -> None:
    result = CliRunner().invoke(cli, ["preflight", "--help"])
    assert result.exit_code == 0
    assert "workerflow-kit preflight ../workerflow --strict" in result.output
    assert "Exit codes: 0 no failures, 1 failures" in result.output
