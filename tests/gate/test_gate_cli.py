"""`workerflow-kit gate` end to end: exit codes, report files, reproduction lines, the baseline, quiet output.

Real runs use the routes suite with a -k selection (a few seconds each); the broken runtime comes from
:mod:`tests.suites.broken_runtimes`. Each test runs in its own folder, so no baseline file is picked up by accident.
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.contracts.test_project import make_checkout
from workerflow_kit.cli import cli, main
from workerflow_kit.contracts.schemas import validate_document
from workerflow_kit.gate import stages as gate_stages

BROKEN = "tests.suites.broken_runtimes:duplicate_answers_200"
QUICK = ("--suite", "routes", "--profile", "quick")


@pytest.fixture(autouse=True)
def in_tmp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))  # `tests.` factories import from here
    return tmp_path


def gate(*args: str) -> Result:
    return CliRunner().invoke(cli, ["gate", *args])


def report(out: Path = Path("workerflow-kit-report")) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert validate_document(document, "gate-report") == []
    return document


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_help_teaches_with_examples_exit_codes_and_the_baseline() -> None:
    result = gate("--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for part in (
        "Examples:",
        "workerflow-kit gate --project ../workerflow",
        "--target url --api-url",
        "Exit codes: 0 pass",
        "3 target unreachable",
        "130 interrupted",
        "schemas/gate-baseline.schema.json",
        "summary.md",
    ):
        assert part in text, part
    assert "gate" in CliRunner().invoke(cli, ["--help"]).output


def test_a_passing_run_exits_0_prints_plain_lines_only_and_writes_every_report(tmp_path: Path) -> None:
    (tmp_path / "accepted.json").write_text(
        json.dumps({"entries": [{"check": "diff.route-removed", "target": "inprocess", "reason": "old removal"}]}),
        encoding="utf-8",
    )
    (tmp_path / "kit.toml").write_text('profile = "quick"\nbaseline = "accepted.json"\n', encoding="utf-8")
    result = gate("--suite", "routes", "-k", "health", "--config", "kit.toml", "--out", "reports")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("contract suites: 0 required failed, 0 recommended failed, ")
    assert lines[-1].startswith("verdict: PASS (0 required failed, ")
    assert "reports: reports/junit.xml, reports/report.json, reports/summary.md" in lines
    # quiet when not a terminal: no live display, no pytest output (that goes to suites.log)
    assert "\x1b" not in result.output
    assert "\r" not in result.output
    assert "test session starts" not in result.output
    assert "test session starts" in (tmp_path / "reports" / "suites.log").read_text(encoding="utf-8")
    # the diff stage ran completely and found no removed route: the entry is stale
    assert "stale baseline entries in accepted.json (they match nothing; remove them):" in lines
    assert "  diff.route-removed on inprocess: old removal" in lines

    document = report(tmp_path / "reports")
    assert (document["verdict"], document["exitCode"], document["profile"]) == ("pass", 0, "quick")
    assert document["baseline"]["stale"] == [
        {"check": "diff.route-removed", "target": "inprocess", "reason": "old removal"}
    ]
    assert {r["suite"] for r in document["results"]} >= {"routes", "preflight", "diff"}
    assert "routes.health-shape" in {r["check"] for r in document["results"] if r["suite"] == "routes"}
    suites = [s.get("name") for s in ET.parse(tmp_path / "reports" / "junit.xml").getroot().iter("testsuite")]
    assert suites == ["routes", "preflight", "diff"]


def test_a_broken_runtime_fails_with_reproduction_lines_then_the_baseline_accepts_it_until_it_expires(
    tmp_path: Path,
) -> None:
    args = (*QUICK, "-k", "test_duplicate_is_202", "--runtime-factory", BROKEN)
    first = gate(*args, "--baseline-update")
    assert first.exit_code == 1, first.output
    assert "routes.duplicate-is-202 (required): expected status 202, got 200" in first.stdout
    assert (
        first.stdout.splitlines()[-1]
        == "baseline written: workerflow-kit-baseline.json (1 entries: 1 new, 0 stale dropped)"
    )
    summary = (tmp_path / "workerflow-kit-report" / "summary.md").read_text(encoding="utf-8")
    assert "| `routes.duplicate-is-202` | required | failed | inprocess |" in summary
    seed = report()["seed"]
    assert (
        f"workerflow-kit check --suite routes -k test_duplicate_is_202 --profile quick --seed {seed} "
        f"--runtime-factory {BROKEN}"
    ) in summary
    assert "curl -i -X POST http://127.0.0.1:8787/api/webhook_echo" in summary
    assert "Evidence (first lines):" in summary

    baseline_file = tmp_path / "workerflow-kit-baseline.json"
    written = json.loads(baseline_file.read_text(encoding="utf-8"))
    assert written["entries"] == [
        {
            "check": "routes.duplicate-is-202",
            "target": "inprocess",
            "reason": "TODO: say why this finding is accepted (an issue link, a decision)",
        }
    ]
    written["entries"][0]["reason"] = "issue 42: fixed in the next release"
    baseline_file.write_text(json.dumps(written), encoding="utf-8")

    accepted = gate(*args)  # the baseline in the current folder is read by default
    assert accepted.exit_code == 0, accepted.output
    assert "  routes.duplicate-is-202: accepted by baseline: issue 42: fixed in the next release" in accepted.stdout
    results = {r["check"]: r for r in report()["results"]}
    assert results["routes.duplicate-is-202"]["outcome"] == "accepted"

    written["entries"][0]["expires"] = "2000-01-01"
    baseline_file.write_text(json.dumps(written), encoding="utf-8")
    expired = gate(*args)
    assert expired.exit_code == 1, expired.output
    assert "routes.duplicate-is-202 (required) [baseline entry expired on 2000-01-01]" in expired.stdout
    assert {r["check"]: r for r in report()["results"]}["routes.duplicate-is-202"]["note"] == (
        "baseline entry expired on 2000-01-01"
    )


def test_a_project_that_drops_a_route_fails_the_contract_diff(tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path / "cloudflare")
    routes_file = checkout / "contracts" / "routes.v1.json"
    routes = json.loads(routes_file.read_text(encoding="utf-8"))
    routes_file.write_text(json.dumps([r for r in routes if r["routePath"] != "chat_notify"]), encoding="utf-8")
    result = gate(*QUICK, "-k", "health", "--project", str(checkout))
    assert result.exit_code == 1, result.output
    assert "diff.route-removed (required)" in result.stdout
    summary = (tmp_path / "workerflow-kit-report" / "summary.md").read_text(encoding="utf-8")
    assert "#### `diff.route-removed[chat_notify]`" in summary
    assert f"workerflow-kit diff @bundled {checkout}" in summary


def test_a_bad_baseline_file_exits_2_with_file_and_pointer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "baseline.json"
    bad.write_text(json.dumps({"entries": [{"check": "routes.x", "target": "inprocess"}]}), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["gate", "--baseline", str(bad)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err == f'error: {bad}: /entries/0: missing required property "reason"\n'
    assert not (tmp_path / "workerflow-kit-report").exists()  # nothing ran


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["gate", "--suite", "nope"])
    assert exit_info.value.code == 2
    assert "unknown suite 'nope'; the suites are: compat, manifest" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["gate", "--baseline", "missing.json"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: missing.json: no such baseline file\n"


def test_an_unreachable_url_target_exits_3_and_the_other_stages_still_report() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    args = ("--target", "url", "--api-url", url, "--api-token", "s3cret-token", "--suite", "routes")
    result = gate(*args, "--baseline-update")
    assert result.exit_code == 3, result.output
    assert "baseline not written: the run did not complete (unreachable)" in result.stderr
    assert not Path("workerflow-kit-baseline.json").exists()
    assert f"error: target unreachable: the api worker does not answer at {url}/api/health" in result.stderr
    document = report()
    assert (document["verdict"], document["target"]) == ("unreachable", f"url:{url}")
    assert {s["name"]: s["status"] for s in document["stages"]} == {
        "suites": "unreachable",
        "preflight": "ok",
        "diff": "ok",
    }
    assert "s3cret-token" not in Path("workerflow-kit-report/report.json").read_text(encoding="utf-8")
    assert "s3cret-token" not in result.output


def test_an_interrupt_writes_a_partial_report_and_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(project: Path | None) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(gate_stages, "_installed_preflight", lambda: interrupted)
    result = gate(*QUICK, "-k", "health")
    assert result.exit_code == 130, result.output
    assert "reports (partial): " in result.stdout
    assert "error: interrupted during preflight; the reports are partial" in result.stderr
    document = report()
    assert (document["partial"], document["verdict"]) == (True, "interrupted")
    assert [s["name"] for s in document["stages"]] == ["suites", "preflight"]  # the diff never started
    assert any(r["suite"] == "routes" and r["outcome"] == "passed" for r in document["results"])
    assert "**Partial report**" in Path("workerflow-kit-report/summary.md").read_text(encoding="utf-8")


def test_a_ctrl_c_while_the_suites_run_stops_the_gate_with_a_partial_report() -> None:
    # pytest catches the interrupt itself (raised here from the runtime factory, inside a check's setup)
    result = gate(*QUICK, "-k", "health", "--runtime-factory", "tests.gate.interrupting_runtime:interrupt")
    assert result.exit_code == 130, result.output
    document = report()
    assert (document["partial"], document["verdict"]) == (True, "interrupted")
    assert [s["name"] for s in document["stages"]] == ["suites"]
    assert document["stages"][0]["status"] == "interrupted"


def test_a_ctrl_c_that_click_turns_into_abort_is_an_interrupt_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from workerflow_kit.cli import check_cmd

    def interrupted(args: Any, recorder: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(check_cmd, "run_pytest", interrupted)
    result = gate(*QUICK)
    assert result.exit_code == 130, result.output
    assert report()["partial"] is True


def test_a_target_of_the_config_file_is_gated_by_name_with_the_quick_profile(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    (tmp_path / "kit.toml").write_text(f'[targets.staging]\nkind = "url"\napi-url = "{url}"\n', encoding="utf-8")
    result = gate("--config", "kit.toml", "--target", "staging", "--suite", "routes")
    assert result.exit_code == 3, result.output  # the name resolved to the file's URL, which does not answer
    assert f"error: target unreachable: the api worker does not answer at {url}/api/health" in result.stderr
    document = report()
    assert (document["target"], document["profile"]) == ("staging (url)", "quick")


def test_an_unknown_target_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["gate", "--target", "staging"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("error: unknown target 'staging': use one of inprocess, served, url")
