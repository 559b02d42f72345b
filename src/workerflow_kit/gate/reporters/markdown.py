"""``summary.md``: the verdict, a table per stage and per suite, and each finding with how to reproduce it.

Written for a pull request comment or a CI job summary: a finding shows its check id, level, outcome and
target in its suite's table, then a reproduction command (``workerflow-kit check ... --seed N``, or the diff
command), a curl line for HTTP findings (tokens redacted) and the first lines of its evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from workerflow_kit.gate.events import CheckResult, Counts
from workerflow_kit.gate.reporters.files import FileReporter

__all__ = ["MarkdownReporter"]

_EVIDENCE_LINES = 12
_FENCE = "```"


def _cell(text: str) -> str:
    """One table cell: a single line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(str(value)) for value in row) + " |" for row in rows]
    return lines


def _block(language: str, text: str) -> list[str]:
    fence = _FENCE + ("`" if _FENCE in text else "")  # a longer fence when the text holds one
    return [fence + language, *text.splitlines(), fence]


def _finding(result: CheckResult) -> list[str]:
    lines = ["", f"#### `{result.name if result.stage != 'suites' else result.check}`", ""]
    lines.append(
        f"{result.level}, {result.outcome}, target `{result.target}`" + (f": {result.note}" if result.note else "")
    )
    if result.reproduce:
        lines += ["", "Reproduce:", "", *_block("bash", result.reproduce)]
    if result.curl:
        lines += ["", "Over HTTP:", "", *_block("bash", result.curl)]
    evidence = (result.evidence or result.message).splitlines()[:_EVIDENCE_LINES]
    if evidence:
        lines += ["", "Evidence (first lines):", "", *_block("text", "\n".join(evidence))]
    return lines


class MarkdownReporter(FileReporter):
    file_name = "summary.md"

    def render(self) -> str:
        record, started, finished = self.record, self.record.started, self.record.finished
        verdict = finished.verdict.upper() if finished else "INTERRUPTED"
        lines = [f"# workerflow-kit gate: {verdict}", ""]
        if finished is not None:
            facts = [f"exit {finished.exit_code}", f"{finished.seconds:.1f} s"]
            if started is not None:
                facts.insert(0, f"target `{started.target}`")
                if started.profile:
                    seed = f", seed `{started.seed}`" if started.seed is not None else ""
                    facts.append(f"profile `{started.profile}`{seed}")
                if started.strict:
                    facts.append("strict")
            lines += [finished.counts.line(), "", " · ".join(facts)]
            if finished.reason:
                lines += ["", f"**{finished.reason}**"]
        if finished is None or finished.partial:
            lines += ["", "> **Partial report**: the run was interrupted; only what ran until then is here."]

        lines += ["", "## Stages", ""]
        lines += _table(
            ["Stage", "Status", "Results", "Seconds", "Note"],
            [
                (
                    record.stage_titles.get(name, name),
                    stage.status,
                    Counts.of([r for r in record.results if r.stage == name]).line(),
                    f"{stage.seconds:.1f}",
                    stage.message,
                )
                for name, stage in record.stages.items()
            ],
        )

        lines += ["", "## Suites"]
        for suite, results in record.suites().items():
            counts = Counts.of(results)
            lines += ["", f"### {suite}", "", f"{len(results)} checks: {counts.line()}"]
            findings = [r for r in results if r.outcome in ("failed", "accepted")]
            if not findings:
                continue
            lines.append("")
            lines += _table(
                ["Check", "Level", "Outcome", "Target", "Message"],
                [(f"`{r.check}`", r.level, r.outcome, r.target, r.note or r.message) for r in findings],
            )
            for result in findings:
                lines += _finding(result)

        baseline = record.baseline
        if baseline is not None and (baseline.path or baseline.stale):
            lines += ["", "## Baseline", "", f"`{baseline.path}`: {baseline.entries} entries"]
            if baseline.stale:
                lines += ["", "Stale entries (they match nothing in this run; remove them):", ""]
                lines += _table(
                    ["Check", "Target", "Reason"], [(f"`{e.check}`", e.target, e.reason) for e in baseline.stale]
                )
        return "\n".join(lines) + "\n"
