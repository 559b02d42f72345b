"""A live rich display while the gate runs: one progress bar per stage, counting its checks and failures.

Only for terminals: on anything else (a CI log, a pipe) the gate prints plain lines at the end instead. The
console is bound to the stream the gate started with, because the suites stage redirects ``sys.stdout`` to
its log while pytest runs.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from workerflow_kit.gate.events import (
    CheckResult,
    Event,
    GateFinished,
    GateStarted,
    StageFinished,
    StageStarted,
    StageTotal,
)

__all__ = ["ProgressReporter"]


class ProgressReporter:
    def __init__(self, stream: IO[str]) -> None:
        self.console = Console(file=stream)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[title]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self.tasks: dict[str, TaskID] = {}
        self.failed: dict[str, int] = {}

    @property
    def live(self) -> bool:
        """Whether the display can run here (a terminal)."""
        return self.console.is_terminal

    def handle(self, event: Event) -> None:
        if isinstance(event, GateStarted):
            self.progress.start()
        elif isinstance(event, StageStarted):
            self.tasks[event.stage] = self.progress.add_task("", total=None, title=event.title, status="")
            self.failed[event.stage] = 0
        elif isinstance(event, StageTotal) and event.stage in self.tasks:
            self.progress.update(self.tasks[event.stage], total=event.total)
        elif isinstance(event, CheckResult) and event.stage in self.tasks:
            if event.outcome == "failed" and event.level != "info":
                self.failed[event.stage] += 1
            failed = self.failed[event.stage]
            status = f"[red]{failed} failed[/red] {event.check}" if failed else event.check
            self.progress.update(self.tasks[event.stage], advance=1, status=status)
        elif isinstance(event, StageFinished) and event.stage in self.tasks:
            task = self.tasks[event.stage]
            failed = self.failed.get(event.stage, 0)
            if event.status != "ok":
                self.progress.update(task, status=f"[yellow]{event.status}")
                return
            done = self.progress.tasks[task].completed
            self.progress.update(task, total=done, completed=done)  # a finished bar is full
            self.progress.update(task, status=f"[red]{failed} failed" if failed else "[green]ok")
        elif isinstance(event, GateFinished):
            self.progress.stop()
