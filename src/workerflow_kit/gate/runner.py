"""Run the gate's stages in order on one bus, judge results by the baseline, and decide the verdict.

Exit codes (the gate's, as ``check``'s): 0 pass; 1 a required check failed (with ``strict``, a recommended one
too); 2 a stage hit a usage or configuration error; 3 the target is unreachable; 130 interrupted (Ctrl-C), in
which case the reports are written from what ran and marked partial. A failing result accepted by the baseline
does not count; once its entry expires it counts again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final

from workerflow_kit.gate.baseline import Baseline
from workerflow_kit.gate.events import (
    BaselineChecked,
    Bus,
    CheckResult,
    Counts,
    Event,
    GateFinished,
    GateStarted,
    StageFinished,
    StageStarted,
    Verdict,
)
from workerflow_kit.gate.stages import Stage

__all__ = ["EXIT_INTERRUPTED", "GateRun", "run_gate"]

EXIT_INTERRUPTED: Final = 130


@dataclass
class GateRun:
    """What one run needs besides its stages."""

    target: str
    strict: bool = False
    baseline: Baseline = field(default_factory=Baseline)
    profile: str | None = None
    seed: int | None = None
    project: str | None = None
    covered: Callable[[str], Sequence[str]] = lambda stage: (stage,)
    """The suites a stage covers when it finishes ``ok`` (for stale baseline entries); the suites stage
    covers the suite modules it ran."""
    today: date | None = None
    results: list[CheckResult] = field(default_factory=list)
    covered_suites: list[str] = field(default_factory=list)
    """Filled by :func:`run_gate`: the suites that ran completely."""
    finished: GateFinished | None = None


def run_gate(stages: Sequence[Stage], bus: Bus, run: GateRun) -> GateFinished:
    """Run every stage (stopping at an interrupt), emit the baseline's stale entries and the verdict."""
    started = time.perf_counter()
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    bus.emit(
        GateStarted(run.target, tuple(s.name for s in stages), run.strict, run.profile, run.seed, run.project, now)
    )

    def emit(event: Event) -> None:
        if isinstance(event, CheckResult):
            event = run.baseline.judge(event, run.today)
            run.results.append(event)
        bus.emit(event)

    ended: list[StageFinished] = []
    for stage in stages:
        bus.emit(StageStarted(stage.name, stage.title))
        stage_started = time.perf_counter()
        try:
            outcome = stage.run(emit)
        except KeyboardInterrupt:
            outcome = StageFinished(stage.name, "interrupted", "interrupted")
        outcome = StageFinished(outcome.stage, outcome.status, outcome.message, time.perf_counter() - stage_started)
        ended.append(outcome)
        bus.emit(outcome)
        if outcome.status == "interrupted":
            break

    partial = any(s.status == "interrupted" for s in ended)
    run.covered_suites = [suite for s in ended if s.status == "ok" for suite in run.covered(s.stage)]
    stale = () if partial else run.baseline.stale(run.results, target=run.target, covered=run.covered_suites)
    path = str(run.baseline.path) if run.baseline.path is not None else None
    bus.emit(BaselineChecked(path, len(run.baseline.entries), stale))

    counts = Counts.of(run.results)
    verdict, code, reason = _verdict(ended, counts, strict=run.strict)
    run.finished = GateFinished(verdict, code, counts, time.perf_counter() - started, partial, reason)
    bus.emit(run.finished)
    return run.finished


def _verdict(ended: Sequence[StageFinished], counts: Counts, *, strict: bool) -> tuple[Verdict, int, str]:
    def first(status: str) -> StageFinished | None:
        return next((s for s in ended if s.status == status), None)

    if (stage := first("interrupted")) is not None:
        return "interrupted", EXIT_INTERRUPTED, f"interrupted during {stage.stage}; the reports are partial"
    if (stage := first("unreachable")) is not None:
        return "unreachable", 3, f"target unreachable: {stage.message}"
    if (stage := first("error")) is not None:
        return "error", 2, f"{stage.stage}: {stage.message}"
    failing = counts.required_failed + (counts.recommended_failed if strict else 0)
    return ("fail", 1, "") if failing else ("pass", 0, "")
