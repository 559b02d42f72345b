"""`workerflow-kit check` against a stubbed deployment: the run id line, skips naming not-allowed routes, config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import respx
from click.testing import CliRunner, Result

from workerflow_kit.cli import cli, main
from workerflow_kit.cli.check_cmd import EXIT_CONFIG, CheckEvent, CheckListeners

STUB = "http://deployment.test"


def run_check(*args: str) -> tuple[Result, list[CheckEvent]]:
    events: list[CheckEvent] = []
    listeners = CheckListeners([lambda event: events.append(event) if isinstance(event, CheckEvent) else None])
    with respx.mock(assert_all_called=False) as mock:
        mock.route().respond(200, json={"ok": True})
        result = CliRunner().invoke(cli, ["check", "--suite", "routes", *args], obj=listeners)
    return result, events


def test_a_live_run_prints_its_trace_prefix_and_skips_routes_it_may_not_invoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result, events = run_check("--target", "url", "--api-url", STUB, "--allow-writes", "--rps", "100000")
    first = result.stdout.splitlines()[0]
    assert re.fullmatch(r"live run wfkit-[0-9a-f]{8}-: trace ids of this run start with it", first)
    refused = [e for e in events if e.outcome == "skipped" and "which this live target does not allow" in e.message]
    assert refused, [e.message for e in events]
    assert all("allow it with --routes " in e.message for e in refused)


def test_a_config_target_supplies_the_url_and_routes_and_flags_beat_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "workerflow-kit.toml").write_text(
        f'[targets.stub]\nkind = "url"\napi-url = "{STUB}"\nallow-writes = true\nroutes = ["*"]\nrps = 100000\n',
        encoding="utf-8",
    )
    result, events = run_check("--target", "stub")
    assert result.stdout.startswith("live run wfkit-")
    assert events
    assert not any("does not allow" in e.message for e in events)  # "*" allows every route
    refused, _ = run_check("--target", "stub", "--rps", "0")
    assert refused.exit_code == EXIT_CONFIG


def test_an_unknown_target_name_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--target", "staging"])
    assert exit_info.value.code == EXIT_CONFIG
    assert capsys.readouterr().err == (
        "error: unknown target 'staging': use one of inprocess, served, url, or a target name of "
        "workerflow-kit.toml (none found in the current folder; --config FILE names one)\n"
    )
