"""`workerflow-kit contracts show`: tables, JSON, and clear errors for a bad --project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.contracts.test_project import make_checkout
from workerflow_kit.cli import cli


def test_show_prints_the_baseline_and_why_schedules_never_fire() -> None:
    result = CliRunner().invoke(cli, ["contracts", "show"])
    assert result.exit_code == 0, result.output
    for expected in ("webhook_echo", "lead_normalizer", "heartbeat_hourly", "0 5 * * 5", "0001_init.sql"):
        assert expected in result.output
    assert 'no (no trigger "0 * * * *")' in result.output
    assert "batch 10, timeout 5 s, max retries 8" in result.output


def test_show_json_is_machine_readable() -> None:
    result = CliRunner().invoke(cli, ["contracts", "show", "--json"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert [r["routePath"] for r in document["routes"]] == ["webhook_echo", "chat_notify", "lead_normalizer"]
    assert all(not s["firesAutomatically"] for s in document["schedules"])
    assert document["queue"]["max_retries"] == 8
    assert [t["schedules"] for t in document["triggers"]] == [[], [], [], []]


def test_show_reads_a_checkout_and_sees_a_fixed_trigger(tmp_path: Path) -> None:
    root = make_checkout(tmp_path)
    config = root / "workers" / "scheduler" / "wrangler.jsonc"
    config.write_text(config.read_text(encoding="utf-8").replace('"0 0 * * *"', '"0 3 * * *"'), encoding="utf-8")
    result = CliRunner().invoke(cli, ["contracts", "show", "--json", "--project", str(root)])
    assert result.exit_code == 0, result.output
    reach = {s["id"]: s["firesAutomatically"] for s in json.loads(result.output)["schedules"]}
    assert reach == {"heartbeat_hourly": False, "cleanup_daily": True}


def test_broken_project_is_one_clear_error_without_traceback(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "workerflow_kit", "contracts", "show", "--project", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.startswith(f"error: {tmp_path}: cannot load WorkerFlow project")
    assert "routes.v1.json: no such file" in completed.stderr


def test_show_names_a_trigger_that_cloudflare_would_reject(tmp_path: Path) -> None:
    root = make_checkout(tmp_path)
    config = root / "workers" / "scheduler" / "wrangler.jsonc"
    config.write_text(
        config.read_text(encoding="utf-8").replace('"0 5 * * 5"', '"0 5 * * 0"'),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["contracts", "show", "--project", str(root)])
    assert result.exit_code == 0, result.output
    assert "invalid:" in result.output
    assert "0 5 * * 0" in result.output
