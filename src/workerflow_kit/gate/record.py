"""What a file reporter remembers of the event stream: the run's facts, stages and results, in order.

Each reporter keeps its own :class:`Record` (fed by the same events), so no reporter depends on another's
output; the record only files events, it decides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workerflow_kit.gate.events import (
    BaselineChecked,
    CheckResult,
    Event,
    GateFinished,
    GateStarted,
    StageFinished,
    StageStarted,
)

__all__ = ["Record"]


@dataclass
class Record:
    started: GateStarted | None = None
    stage_titles: dict[str, str] = field(default_factory=dict)
    stages: dict[str, StageFinished] = field(default_factory=dict)
    results: list[CheckResult] = field(default_factory=list)
    baseline: BaselineChecked | None = None
    finished: GateFinished | None = None

    def add(self, event: Event) -> None:
        if isinstance(event, GateStarted):
            self.started = event
        elif isinstance(event, StageStarted):
            self.stage_titles[event.stage] = event.title
        elif isinstance(event, StageFinished):
            self.stages[event.stage] = event
        elif isinstance(event, CheckResult):
            self.results.append(event)
        elif isinstance(event, BaselineChecked):
            self.baseline = event
        elif isinstance(event, GateFinished):
            self.finished = event

    def suites(self) -> dict[str, list[CheckResult]]:
        """Results grouped by suite, in the order suites first appeared."""
        grouped: dict[str, list[CheckResult]] = {}
        for result in self.results:
            grouped.setdefault(result.suite, []).append(result)
        return grouped

    def findings(self) -> list[CheckResult]:
        """Results a person should look at: failed (any level) and accepted ones."""
        return [r for r in self.results if r.outcome in ("failed", "accepted")]
