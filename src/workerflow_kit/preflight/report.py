"""What a preflight run produces: one result per finding (or one ``ok`` per clean check) and the verdict."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = ["STATUSES", "PreflightReport", "PreflightResult", "Status"]

Status = Literal["ok", "warn", "fail"]
STATUSES: tuple[Status, ...] = get_args(Status)


@dataclass(frozen=True)
class PreflightResult:
    """One line of the report.

    ``file`` is shown relative to the project the user named (or to the kit's data folder for the bundled
    baseline); ``pointer`` is a JSON pointer into that file when the finding has a place in it.
    """

    id: str
    status: Status
    message: str
    file: str | None = None
    pointer: str | None = None

    def render(self) -> str:
        where = ": ".join(part for part in (self.file, self.pointer) if part)
        return f"[{self.status}] {self.id}: " + (f"{where}: " if where else "") + self.message

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "message": self.message,
            "file": self.file,
            "pointer": self.pointer,
        }


@dataclass(frozen=True)
class PreflightReport:
    """Every result of one run, in check order. ``project`` labels what was checked."""

    project: str
    results: list[PreflightResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(result.status for result in self.results)
        return {status: counter.get(status, 0) for status in STATUSES}

    def failed(self, strict: bool = False) -> bool:
        """Whether the run fails: any ``fail`` result, or (``strict``) any ``warn`` result."""
        bad: set[Status] = {"fail", "warn"} if strict else {"fail"}
        return any(result.status in bad for result in self.results)

    def summary(self, strict: bool = False) -> str:
        counts = self.counts
        verdict = "failed" if self.failed(strict) else "passed"
        mode = " (strict: warnings fail)" if strict else ""
        return f"preflight {verdict}{mode}: {counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail"

    def to_json(self, strict: bool = False) -> dict[str, Any]:
        return {
            "project": self.project,
            "strict": strict,
            "failed": self.failed(strict),
            "counts": self.counts,
            "results": [result.as_json() for result in self.results],
        }
