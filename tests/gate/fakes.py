"""Fake stages for the gate's tests: they emit a fixed list of results, or fail in a given way, in no time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from workerflow_kit.gate.events import CheckResult, Event, Level, Outcome, StageFinished, StageStatus, StageTotal

TARGET = "inprocess"


def result(
    check: str,
    outcome: Outcome = "passed",
    level: Level = "required",
    *,
    stage: str = "suites",
    message: str = "",
    evidence: str = "",
    reproduce: str = "",
    curl: str = "",
    target: str = TARGET,
) -> CheckResult:
    suite = check.split(".", 1)[0]
    return CheckResult(
        stage=stage,
        suite=suite,
        check=check,
        level=level,
        outcome=outcome,
        target=target,
        message=message,
        name=f"suites/{suite}.py::test_{check.split('.', 1)[1].replace('-', '_')}[{check} | {level}]"
        if stage == "suites"
        else check,
        duration=0.01,
        evidence=evidence,
        reproduce=reproduce,
        curl=curl,
    )


@dataclass
class FakeStage:
    """Emits ``results`` then ends with ``status``; ``interrupt_after`` raises KeyboardInterrupt after N results."""

    name: str
    results: Sequence[CheckResult] = ()
    status: StageStatus = "ok"
    message: str = ""
    interrupt_after: int | None = None
    title: str = ""
    ran: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.title = self.title or self.name

    def run(self, emit: Callable[[Event], None]) -> StageFinished:
        self.ran.append(self.name)
        emit(StageTotal(self.name, len(self.results)))
        for index, item in enumerate(self.results):
            if self.interrupt_after is not None and index == self.interrupt_after:
                raise KeyboardInterrupt
            emit(item)
        return StageFinished(self.name, self.status, self.message)
