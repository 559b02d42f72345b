"""The gate's plain-text ending: a line per stage, the findings with their reproduction, the reports, the verdict.

Plain lines only (``click.echo``), printed when the run finishes, so a CI log reads the same as a terminal;
the live display is :class:`~workerflow_kit.gate.reporters.progress.ProgressReporter`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from workerflow_kit.gate.events import CheckResult, Counts, Event, GateFinished
from workerflow_kit.gate.record import Record

__all__ = ["ConsoleReporter"]


class ConsoleReporter:
    def __init__(self, reports: Sequence[Path] = ()) -> None:
        self.reports = list(reports)
        self.record = Record()

    def handle(self, event: Event) -> None:
        self.record.add(event)
        if isinstance(event, GateFinished):
            for line in self.lines(event):
                click.echo(line)
            if event.reason and event.verdict != "fail":
                click.echo(f"error: {event.reason}", err=True)

    def lines(self, finished: GateFinished) -> list[str]:
        record = self.record
        strict = record.started.strict if record.started else False
        lines: list[str] = []
        for name, stage in record.stages.items():
            title = record.stage_titles.get(name, name)
            if stage.status == "ok":
                counts = Counts.of([r for r in record.results if r.stage == name])
                lines.append(f"{title}: {counts.line()} ({stage.seconds:.1f} s)")
            else:
                lines.append(f"{title}: {stage.status}" + (f" ({stage.message})" if stage.message else ""))
        failed = [r for r in record.results if r.outcome == "failed" and r.level != "info"]
        failing = [r for r in failed if r.level == "required" or strict]
        reported = [r for r in failed if r not in failing]
        if failing:
            lines.append("failing:")
            for result in failing:
                note = f" [{result.note}]" if result.note else ""
                lines.append(f"  {result.check} ({result.level}){note}: {_first_line(result.message)}")
                if result.reproduce:
                    lines.append(f"    {result.reproduce}")
        if reported:
            # One line per check: the details (every finding, its reproduction, evidence) are in summary.md.
            lines.append("recommended checks failed (reported, not failing; --strict fails on them):")
            by_check: dict[str, list[CheckResult]] = {}
            for result in reported:
                by_check.setdefault(result.check, []).append(result)
            for check_id, group in by_check.items():
                times = f" (x{len(group)})" if len(group) > 1 else ""
                lines.append(f"  {check_id}{times}: {_first_line(group[0].message)}")
        accepted = [r for r in record.results if r.outcome == "accepted"]
        if accepted:
            lines.append(f"accepted by the baseline ({len(accepted)}):")
            lines += [f"  {r.check}: {r.note}" for r in accepted]
        baseline = record.baseline
        if baseline is not None and baseline.stale:
            lines.append(f"stale baseline entries in {baseline.path} (they match nothing; remove them):")
            lines += [f"  {e.check} on {e.target}: {e.reason}" for e in baseline.stale]
        if self.reports:
            partial = " (partial)" if finished.partial else ""
            lines.append(f"reports{partial}: " + ", ".join(str(p) for p in self.reports))
        lines.append(f"verdict: {finished.verdict.upper()} ({finished.counts.line()})")
        return lines


def _first_line(text: str, width: int = 160) -> str:
    """A message's first line, cut to ``width``: the console names findings, summary.md explains them."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."
