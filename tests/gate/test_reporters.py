"""The reporters on a fake event stream: report.json against its schema, JUnit, Markdown, console, progress."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from tests.gate.fakes import TARGET, FakeStage, result
from workerflow_kit.contracts.schemas import validate_document
from workerflow_kit.gate.baseline import Baseline
from workerflow_kit.gate.events import BaselineEntry, Bus
from workerflow_kit.gate.reporters import (
    ConsoleReporter,
    JsonReporter,
    JUnitReporter,
    MarkdownReporter,
    ProgressReporter,
)
from workerflow_kit.gate.runner import GateRun, run_gate

REPRODUCE = "workerflow-kit check --suite routes -k test_duplicate_is_202 --profile quick --seed 7"
CURL = "curl -i -X POST http://127.0.0.1:8787/api/webhook_echo"
EVIDENCE = "\n".join(f"evidence line {n}" for n in range(1, 31))


def stages(*, interrupt: bool = False) -> list[FakeStage]:
    routes = [
        result("routes.health-shape"),
        result(
            "routes.duplicate-is-202",
            "failed",
            message="expected status 202, got 200: POST /api/webhook_echo -> 200 '{}'",
            evidence=EVIDENCE,
            reproduce=REPRODUCE,
            curl=CURL,
        ),
        result("routes.malformed-json-no-5xx", "failed", "recommended", message="500 on bad JSON", reproduce="r2"),
        result("routes.needs-clock", "skipped", message="requires capability 'clock'"),
        result("routes.accepted-one", "failed", message="known"),
    ]
    diff = [
        result("diff.route-added", "failed", "info", stage="diff", message="route x added", reproduce="wk diff"),
        result("diff.route-removed", stage="diff"),
    ]
    return [
        FakeStage("suites", routes, interrupt_after=2 if interrupt else None, title="contract suites"),
        FakeStage("preflight", [], status="unavailable", message="preflight is not part of this installation"),
        FakeStage("diff", diff, title="contract diff"),
    ]


def write_reports(out: Path, *, interrupt: bool = False) -> None:
    bus = Bus()
    for reporter in (JUnitReporter(out), JsonReporter(out), MarkdownReporter(out)):
        bus.subscribe(reporter)
    baseline = Baseline(
        (
            BaselineEntry("routes.accepted-one", TARGET, "issue 9", "2999-01-01"),
            BaselineEntry("routes.health-shape", TARGET, "fixed since"),
        ),
        out / "baseline.json",
    )
    run = GateRun(
        target=TARGET, baseline=baseline, profile="quick", seed=7, today=date(2026, 6, 1), covered=lambda s: ["routes"]
    )
    run_gate(stages(interrupt=interrupt), bus, run)


@pytest.mark.parametrize("interrupt", [False, True])
def test_report_json_is_valid_against_its_schema(tmp_path: Path, interrupt: bool) -> None:
    write_reports(tmp_path, interrupt=interrupt)
    document = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert validate_document(document, "gate-report") == []
    assert document["partial"] is interrupt
    if interrupt:
        assert (document["verdict"], document["exitCode"]) == ("interrupted", 130)
        assert [r["check"] for r in document["results"]] == ["routes.health-shape", "routes.duplicate-is-202"]
        assert document["baseline"]["stale"] == []
    else:
        assert (document["verdict"], document["exitCode"]) == ("fail", 1)
        assert document["counts"] == {
            "requiredFailed": 1,
            "recommendedFailed": 1,
            "info": 1,
            "accepted": 1,
            "passed": 2,
            "skipped": 1,
        }
        by_check = {r["check"]: r for r in document["results"]}
        assert by_check["routes.accepted-one"]["baseline"] == {
            "check": "routes.accepted-one",
            "target": TARGET,
            "reason": "issue 9",
            "expires": "2999-01-01",
        }
        assert by_check["routes.duplicate-is-202"]["reproduce"] == REPRODUCE
        assert document["baseline"]["stale"] == [
            {"check": "routes.health-shape", "target": TARGET, "reason": "fixed since"}
        ]
        assert [s["status"] for s in document["stages"]] == ["ok", "unavailable", "ok"]


def test_the_schema_refuses_a_report_with_a_wrong_shape(tmp_path: Path) -> None:
    write_reports(tmp_path)
    document = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    document["results"][0]["outcome"] = "maybe"
    del document["counts"]["passed"]
    problems = [str(p) for p in validate_document(document, "gate-report")]
    assert any(p.startswith("/results/0/outcome: expected one of") for p in problems), problems
    assert '/counts: missing required property "passed"' in problems


def test_junit_has_a_testsuite_per_suite_and_per_stage(tmp_path: Path) -> None:
    write_reports(tmp_path)
    root = ET.parse(tmp_path / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["routes", "diff", "preflight"]
    routes = suites["routes"]
    assert (routes.get("tests"), routes.get("failures"), routes.get("skipped")) == ("5", "2", "2")
    cases = {c.get("name"): c for c in routes.iter("testcase")}
    failure = cases["routes.duplicate-is-202"].find("failure")
    assert failure is not None
    assert failure.get("type") == "required"
    assert REPRODUCE in (failure.text or "")
    assert f"curl: {CURL}" in (failure.text or "")
    recommended = cases["routes.malformed-json-no-5xx"].find("failure")
    assert recommended is not None
    assert recommended.get("type") == "recommended"
    skipped = cases["routes.accepted-one"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "accepted by baseline until 2999-01-01: issue 9"
    info = {c.get("name"): c for c in suites["diff"].iter("testcase")}
    assert info["diff.route-added"].find("failure") is None
    preflight = suites["preflight"]
    assert preflight.get("skipped") == "1"
    props = {p.get("name"): p.get("value") for p in cases["routes.health-shape"].iter("property")}
    assert props["wf_check"] == "routes.health-shape"
    assert props["wf_level"] == "required"
    assert props["wf_target"] == TARGET


def test_markdown_shows_each_finding_with_reproduction_and_the_first_lines_of_evidence(tmp_path: Path) -> None:
    write_reports(tmp_path)
    text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("# workerflow-kit gate: FAIL\n")
    assert "| `routes.duplicate-is-202` | required | failed | inprocess |" in text
    assert "| `routes.malformed-json-no-5xx` | recommended | failed | inprocess |" in text
    assert (
        "| `routes.accepted-one` | required | accepted | inprocess | accepted by baseline until 2999-01-01: issue 9 |"
        in text
    )
    assert f"```bash\n{REPRODUCE}\n```" in text
    assert f"```bash\n{CURL}\n```" in text
    assert "evidence line 12\n```" in text
    assert "evidence line 13" not in text
    assert "profile `quick`, seed `7`" in text
    assert "| `routes.health-shape` | inprocess | fixed since |" in text  # stale entry
    assert "\\| required" not in text.split("## Suites")[0]
    assert "Partial report" not in text


def test_markdown_of_an_interrupted_run_says_it_is_partial(tmp_path: Path) -> None:
    write_reports(tmp_path, interrupt=True)
    text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("# workerflow-kit gate: INTERRUPTED\n")
    assert "**Partial report**" in text


def test_console_prints_plain_lines_ending_with_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    bus = Bus()
    bus.subscribe(ConsoleReporter([Path("out/junit.xml")]))
    run_gate(stages(), bus, GateRun(target=TARGET, today=date(2026, 6, 1)))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "contract suites: 2 required failed, 1 recommended failed, 1 passed, 1 skipped (0.0 s)"
    assert lines[1] == "preflight: unavailable (preflight is not part of this installation)"
    assert "failing:" in lines
    assert f"    {REPRODUCE}" in lines
    assert "  routes.malformed-json-no-5xx: 500 on bad JSON" in lines
    assert lines[-2] == "reports: out/junit.xml"
    assert lines[-1] == "verdict: FAIL (2 required failed, 1 recommended failed, 1 info, 2 passed, 1 skipped)"
    assert not any("\x1b" in line for line in lines)


def test_progress_counts_checks_per_stage() -> None:
    stream = io.StringIO()
    progress = ProgressReporter(stream)
    assert not progress.live  # not a terminal: the gate does not subscribe it
    bus = Bus()
    bus.subscribe(progress)
    run_gate(stages(), bus, GateRun(target=TARGET))
    tasks = {task.fields["title"]: task for task in progress.progress.tasks}
    assert (tasks["contract suites"].completed, tasks["contract suites"].total) == (5, 5)
    assert tasks["contract suites"].fields["status"] == "[red]3 failed"  # required and recommended
    assert tasks["contract diff"].fields["status"] == "[green]ok"
