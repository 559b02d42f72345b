"""The gate's runner on fake stages: verdicts and exit codes, the baseline's judgement, interrupts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.gate.fakes import TARGET, FakeStage, result
from workerflow_kit.gate.baseline import PLACEHOLDER_REASON, Baseline
from workerflow_kit.gate.events import (
    BaselineChecked,
    BaselineEntry,
    Bus,
    CheckResult,
    Event,
    GateFinished,
    GateStarted,
    StageFinished,
    StageStarted,
)
from workerflow_kit.gate.runner import GateRun, run_gate

TODAY = date(2026, 6, 1)


def gate(
    *stages: FakeStage, strict: bool = False, baseline: Baseline | None = None
) -> tuple[GateFinished, list[Event]]:
    bus = Bus()
    run = GateRun(target=TARGET, strict=strict, baseline=baseline or Baseline(), today=TODAY, covered=lambda s: [s])
    finished = run_gate(stages, bus, run)
    return finished, bus.history


def test_events_come_in_order_and_every_reporter_sees_the_same_stream() -> None:
    seen: list[Event] = []

    class Listener:
        def handle(self, event: Event) -> None:
            seen.append(event)

    bus = Bus()
    bus.subscribe(Listener())
    stage = FakeStage("routes", [result("routes.a"), result("routes.b", "failed", "recommended")])
    run_gate([stage], bus, GateRun(target=TARGET))
    kinds = [type(e).__name__ for e in seen]
    assert kinds == [
        "GateStarted",
        "StageStarted",
        "StageTotal",
        "CheckResult",
        "CheckResult",
        "StageFinished",
        "BaselineChecked",
        "GateFinished",
    ]
    assert seen == bus.history
    assert isinstance(seen[0], GateStarted)
    assert seen[0].stages == ("routes",)


@pytest.mark.parametrize(
    ("outcomes", "strict", "verdict", "code"),
    [
        ([("passed", "required"), ("skipped", "required")], False, "pass", 0),
        ([("failed", "recommended")], False, "pass", 0),
        ([("failed", "recommended")], True, "fail", 1),
        ([("failed", "required")], False, "fail", 1),
        ([("failed", "info")], True, "pass", 0),
    ],
)
def test_verdict_and_exit_code_from_results(
    outcomes: list[tuple[str, str]], strict: bool, verdict: str, code: int
) -> None:
    results = [result(f"routes.c{i}", o, lv) for i, (o, lv) in enumerate(outcomes)]  # type: ignore[arg-type]
    finished, _ = gate(FakeStage("routes", results), strict=strict)
    assert (finished.verdict, finished.exit_code) == (verdict, code)


@pytest.mark.parametrize(
    ("status", "verdict", "code"),
    # A stage that is not installed ("unavailable") decides nothing: the other stage's required failure does.
    [("error", "error", 2), ("unreachable", "unreachable", 3), ("unavailable", "fail", 1)],
)
def test_a_stage_that_cannot_run_decides_the_exit_code(status: str, verdict: str, code: int) -> None:
    broken = FakeStage("suites", [], status=status, message="what went wrong")  # type: ignore[arg-type]
    later = FakeStage("diff", [result("diff.route-removed", "failed")])
    finished, _ = gate(broken, later)
    assert (finished.verdict, finished.exit_code) == (verdict, code)
    assert later.ran == ["diff"]  # the other stages still run and report
    assert ("what went wrong" in finished.reason) == (status != "unavailable")


def test_an_interrupt_stops_the_run_and_marks_it_partial() -> None:
    first = FakeStage("routes", [result("routes.a"), result("routes.b"), result("routes.c")], interrupt_after=2)
    never = FakeStage("diff", [result("diff.route-removed")])
    finished, history = gate(first, never)
    assert finished.partial
    assert (finished.verdict, finished.exit_code) == ("interrupted", 130)
    assert never.ran == []  # later stages do not start
    assert [e.check for e in history if isinstance(e, CheckResult)] == ["routes.a", "routes.b"]
    stage_end = next(e for e in history if isinstance(e, StageFinished))
    assert stage_end.status == "interrupted"
    assert not any(isinstance(e, StageStarted) and e.stage == "diff" for e in history)


# ------------------------------------------------------------------------------------------ baseline


def test_a_baselined_failure_is_accepted_until_it_expires() -> None:
    failing = result("routes.duplicate-is-202", "failed", message="expected status 202, got 200")
    accepted_until_later = Baseline((BaselineEntry("routes.duplicate-is-202", TARGET, "issue 12", "2026-10-01"),))
    finished, history = gate(FakeStage("routes", [failing]), baseline=accepted_until_later)
    judged = next(e for e in history if isinstance(e, CheckResult))
    assert judged.outcome == "accepted"
    assert judged.note == "accepted by baseline until 2026-10-01: issue 12"
    assert (finished.exit_code, finished.counts.accepted, finished.counts.required_failed) == (0, 1, 0)

    expired = Baseline((BaselineEntry("routes.duplicate-is-202", TARGET, "issue 12", "2026-06-01"),))
    finished, history = gate(FakeStage("routes", [failing]), baseline=expired)
    judged = next(e for e in history if isinstance(e, CheckResult))
    assert judged.outcome == "failed"
    assert judged.note == "baseline entry expired on 2026-06-01"
    assert finished.exit_code == 1


def test_entries_match_on_check_and_target_or_any_target() -> None:
    failing = result("routes.x", "failed")
    other_target = Baseline((BaselineEntry("routes.x", "url:https://api.example", "prod only"),))
    assert other_target.judge(failing, TODAY).outcome == "failed"
    wildcard = Baseline((BaselineEntry("routes.x", "*", "everywhere"),))
    assert wildcard.judge(failing, TODAY).outcome == "accepted"
    assert wildcard.judge(result("routes.y", "failed"), TODAY).outcome == "failed"
    assert wildcard.judge(result("routes.x", "passed"), TODAY).outcome == "passed"


def test_stale_entries_are_those_of_suites_that_ran_and_matched_nothing() -> None:
    baseline = Baseline(
        (
            BaselineEntry("routes.fixed-now", TARGET, "was broken"),
            BaselineEntry("routes.still-broken", TARGET, "issue 3"),
            BaselineEntry("ops.not-run", TARGET, "the ops suite did not run"),
            BaselineEntry("routes.fixed-now", "served", "another target"),
        )
    )
    stage = FakeStage("routes", [result("routes.fixed-now"), result("routes.still-broken", "failed")])
    _, history = gate(stage, baseline=baseline)
    checked = next(e for e in history if isinstance(e, BaselineChecked))
    assert checked.stale == (BaselineEntry("routes.fixed-now", TARGET, "was broken"),)


def test_no_stale_entries_are_claimed_for_a_partial_run() -> None:
    baseline = Baseline((BaselineEntry("routes.fixed-now", TARGET, "was broken"),))
    _, history = gate(
        FakeStage("routes", [result("routes.a"), result("routes.b")], interrupt_after=1), baseline=baseline
    )
    assert next(e for e in history if isinstance(e, BaselineChecked)).stale == ()


def test_update_keeps_reasons_adds_placeholders_and_drops_stale_entries(tmp_path: Path) -> None:
    baseline = Baseline(
        (
            BaselineEntry("routes.still-broken", TARGET, "issue 3", "2027-01-01"),
            BaselineEntry("routes.fixed-now", TARGET, "was broken"),
            BaselineEntry("ops.elsewhere", "served", "kept: another target"),
        ),
        tmp_path / "b.json",
    )
    results = [
        baseline.judge(result("routes.still-broken", "failed"), TODAY),
        result("routes.fixed-now"),
        result("routes.new-failure", "failed", "recommended"),  # only with strict: it does not fail the gate otherwise
        result("routes.required-failure", "failed"),
        result("diff.route-added", "failed", "info"),  # info never needs accepting
    ]
    entries, added, dropped = baseline.updated(results, target=TARGET, covered=["routes"])
    assert entries == (
        BaselineEntry("routes.still-broken", TARGET, "issue 3", "2027-01-01"),
        BaselineEntry("ops.elsewhere", "served", "kept: another target"),
        BaselineEntry("routes.required-failure", TARGET, PLACEHOLDER_REASON),
    )
    assert (added, dropped) == (1, 1)
    with_strict, added, _ = baseline.updated(results, target=TARGET, covered=["routes"], strict=True)
    assert with_strict[2:] == (
        BaselineEntry("routes.new-failure", TARGET, PLACEHOLDER_REASON),
        BaselineEntry("routes.required-failure", TARGET, PLACEHOLDER_REASON),
    )
    assert added == 2
