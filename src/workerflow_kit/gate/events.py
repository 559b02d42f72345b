"""The gate's one event stream: what stages emit and what every reporter consumes.

A gate run is a sequence of events on a :class:`Bus`::

    GateStarted
      StageStarted(stage)  StageTotal(stage, n)?  CheckResult* ...  StageFinished(stage)     (per stage)
    BaselineChecked
    GateFinished

Stages (suites, preflight, the contract diff) only emit; reporters (progress, console, JUnit, JSON, Markdown)
only listen, and none of them reads another's output. This is Schemathesis's habit (one engine, one event
stream, every writer a consumer) scaled down to three stages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

__all__ = [
    "BaselineChecked",
    "BaselineEntry",
    "Bus",
    "CheckResult",
    "Counts",
    "Event",
    "GateFinished",
    "GateStarted",
    "Level",
    "Outcome",
    "Reporter",
    "StageFinished",
    "StageStarted",
    "StageStatus",
    "StageTotal",
    "Verdict",
]

Level = Literal["required", "recommended", "info"]
"""``info`` is for findings that never fail the gate (contract-diff changes of level info)."""
Outcome = Literal["passed", "failed", "skipped", "accepted"]
"""``accepted``: failed, but a baseline entry accepts it (until the entry expires)."""
StageStatus = Literal["ok", "error", "unreachable", "unavailable", "interrupted"]
Verdict = Literal["pass", "fail", "error", "unreachable", "interrupted"]


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted finding of a baseline file (``schemas/gate-baseline.schema.json``)."""

    check: str
    target: str
    reason: str
    expires: str | None = None
    """``YYYY-MM-DD``: from this day on the finding fails again."""


@dataclass(frozen=True)
class GateStarted:
    target: str
    """The target label findings carry: ``inprocess``, ``served`` or ``url:<api base URL>``."""
    stages: tuple[str, ...]
    strict: bool
    profile: str | None
    seed: int | None
    project: str | None
    started_at: str
    """ISO 8601 UTC."""


@dataclass(frozen=True)
class StageStarted:
    stage: str
    title: str


@dataclass(frozen=True)
class StageTotal:
    """How many results a stage expects (known after the suites' collection), for progress bars."""

    stage: str
    total: int


@dataclass(frozen=True)
class CheckResult:
    """One check's result or one finding, from any stage.

    ``suite`` groups results in reports (a suite module's name, ``preflight`` or ``diff``). ``reproduce`` is a
    command that replays just this check; ``curl`` an HTTP request that shows the failure, tokens redacted.
    ``baseline`` is the entry that accepted this result (or the expired entry that no longer does) and
    ``note`` says so in words.
    """

    stage: str
    suite: str
    check: str
    level: Level
    outcome: Outcome
    target: str
    message: str = ""
    name: str = ""
    """The test or finding name within the suite (a test node id, a rule with its subject)."""
    duration: float = 0.0
    cases: int = 0
    evidence: str = ""
    reproduce: str = ""
    curl: str = ""
    file: str = ""
    pointer: str = ""
    baseline: BaselineEntry | None = None
    note: str = ""


@dataclass(frozen=True)
class StageFinished:
    stage: str
    status: StageStatus
    message: str = ""
    """Why a stage did not finish ``ok``: an error line, what is unreachable, what is not installed."""
    seconds: float = 0.0


@dataclass(frozen=True)
class BaselineChecked:
    """Where the baseline came from and which of its entries matched nothing in this run."""

    path: str | None
    entries: int
    stale: tuple[BaselineEntry, ...] = ()


@dataclass(frozen=True)
class Counts:
    required_failed: int = 0
    recommended_failed: int = 0
    info: int = 0
    accepted: int = 0
    passed: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, results: Sequence[CheckResult]) -> Counts:
        tally = dict.fromkeys(("required", "recommended", "info", "accepted", "passed", "skipped"), 0)
        for result in results:
            tally[result.level if result.outcome == "failed" else result.outcome] += 1
        return cls(
            tally["required"], tally["recommended"], tally["info"], tally["accepted"], tally["passed"], tally["skipped"]
        )

    def line(self) -> str:
        """``0 required failed, 2 recommended failed, 1 accepted, 233 passed, 0 skipped``."""
        parts = [
            f"{self.required_failed} required failed",
            f"{self.recommended_failed} recommended failed",
            *([f"{self.info} info"] if self.info else []),
            *([f"{self.accepted} accepted"] if self.accepted else []),
            f"{self.passed} passed",
            f"{self.skipped} skipped",
        ]
        return ", ".join(parts)


@dataclass(frozen=True)
class GateFinished:
    verdict: Verdict
    exit_code: int
    counts: Counts
    seconds: float
    partial: bool = False
    """The run stopped early (Ctrl-C): reports hold what ran until then."""
    reason: str = ""
    """Why the verdict is not pass/fail, in one line."""


Event = GateStarted | StageStarted | StageTotal | CheckResult | StageFinished | BaselineChecked | GateFinished


class Reporter(Protocol):
    def handle(self, event: Event) -> None: ...


@dataclass
class Bus:
    """Delivers every event to every reporter, in subscription order."""

    reporters: list[Reporter] = field(default_factory=list)
    history: list[Event] = field(default_factory=list)

    def subscribe(self, reporter: Reporter) -> None:
        self.reporters.append(reporter)

    def emit(self, event: Event) -> None:
        self.history.append(event)
        for reporter in self.reporters:
            reporter.handle(event)
