"""A baseline of accepted findings: load and validate it, judge results by it, find stale entries, update it.

A baseline entry ``{check, target, reason, expires?}`` accepts a *failed* result of that check on that target
(``*`` for any target). Accepted means reported, not failing, until ``expires``: from that day (UTC) on the
result fails again and says ``baseline entry expired on <date>``. An entry is *stale* when its target is this
run's (or ``*``), its check belongs to a suite that ran completely, and no failure matched it: the finding
is fixed (or the check renamed) and the entry should go.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from workerflow_kit.contracts.documents import load_document
from workerflow_kit.contracts.schemas import validate_document
from workerflow_kit.errors import FileProblem
from workerflow_kit.gate.events import BaselineEntry, CheckResult

__all__ = [
    "DEFAULT_BASELINE",
    "PLACEHOLDER_REASON",
    "Baseline",
    "load_baseline",
    "write_baseline",
]

DEFAULT_BASELINE: Final = "workerflow-kit-baseline.json"
PLACEHOLDER_REASON: Final = "TODO: say why this finding is accepted (an issue link, a decision)"
KIND: Final = "gate-baseline"
SCHEMA_URI: Final = "https://workerflow-kit.dev/schemas/gate-baseline.schema.json"
ANY_TARGET: Final = "*"


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Baseline:
    """The entries of one baseline file (``path`` is ``None`` when no file is in use)."""

    entries: tuple[BaselineEntry, ...] = ()
    path: Path | None = None

    def match(self, result: CheckResult) -> BaselineEntry | None:
        for entry in self.entries:
            if entry.check == result.check and entry.target in (result.target, ANY_TARGET):
                return entry
        return None

    def judge(self, result: CheckResult, today: date | None = None) -> CheckResult:
        """``result`` as the baseline sees it: accepted, failing again (expired), or unchanged."""
        if result.outcome != "failed" or result.level == "info":
            return result
        entry = self.match(result)
        if entry is None:
            return result
        if entry.expires is not None and date.fromisoformat(entry.expires) <= (today or _today()):
            return replace(result, baseline=entry, note=f"baseline entry expired on {entry.expires}")
        until = f" until {entry.expires}" if entry.expires else ""
        return replace(result, outcome="accepted", baseline=entry, note=f"accepted by baseline{until}: {entry.reason}")

    def stale(
        self, results: Sequence[CheckResult], *, target: str, covered: Iterable[str]
    ) -> tuple[BaselineEntry, ...]:
        """Entries for this target whose check's suite ran completely (``covered``) and matched no failure."""
        suites = set(covered)
        used = {r.baseline for r in results if r.baseline is not None}
        return tuple(
            entry
            for entry in self.entries
            if entry not in used and entry.target in (target, ANY_TARGET) and _suite_of(entry.check) in suites
        )

    def updated(
        self, results: Sequence[CheckResult], *, target: str, covered: Iterable[str], strict: bool = False
    ) -> tuple[tuple[BaselineEntry, ...], int, int]:
        """Entries after accepting every current failure: (entries, added, dropped as stale).

        A failure is what fails the gate: a required check, or with ``strict`` a recommended one too (failed or
        already accepted). Existing entries keep their reason and expiry; new ones get
        :data:`PLACEHOLDER_REASON`. Entries for other targets, and for suites that did not run, are kept.
        """
        stale = set(self.stale(results, target=target, covered=covered))
        kept = [entry for entry in self.entries if entry not in stale]
        levels = ("required", "recommended") if strict else ("required",)
        added = 0
        for result in results:
            if result.outcome not in ("failed", "accepted") or result.level not in levels:
                continue
            if any(e.check == result.check and e.target in (result.target, ANY_TARGET) for e in kept):
                continue
            kept.append(BaselineEntry(result.check, result.target, PLACEHOLDER_REASON))
            added += 1
        return tuple(kept), added, len(stale)


def _suite_of(check_id: str) -> str:
    return check_id.split(".", 1)[0]


def _entry(item: dict[str, Any]) -> BaselineEntry:
    return BaselineEntry(str(item["check"]), str(item["target"]), str(item["reason"]), item.get("expires"))


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; a :class:`FileProblem` names the file, the JSON pointer and the rule."""
    document = load_document(path)
    problems = validate_document(document, KIND)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise FileProblem(first.message + more, path=path, pointer=first.location)
    return Baseline(tuple(_entry(item) for item in document["entries"]), path)


def _as_json(entry: BaselineEntry) -> dict[str, str]:
    item = {"check": entry.check, "target": entry.target, "reason": entry.reason}
    if entry.expires is not None:
        item["expires"] = entry.expires
    return item


def write_baseline(path: Path, entries: Sequence[BaselineEntry]) -> None:
    document = {"$schema": SCHEMA_URI, "entries": [_as_json(e) for e in entries]}
    try:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise FileProblem(f"cannot write the baseline ({exc.strerror or exc})", path=path) from None
