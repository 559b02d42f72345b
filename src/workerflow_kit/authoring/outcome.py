"""What running one fixture gives: passed, failed with pointer-based differences, or skipped with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from workerflow_kit.authoring.diff import Difference

__all__ = ["Outcome", "Status"]

Status = Literal["passed", "failed", "skipped"]


@dataclass
class Outcome:
    """The result of one fixture against one target."""

    differences: list[Difference] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Why (part of) the fixture could not be checked on this target; a fixture with no difference but a
    reason here is skipped, so a missing capability never reads as a pass."""

    @property
    def status(self) -> Status:
        if self.differences:
            return "failed"
        return "skipped" if self.skipped else "passed"

    @property
    def reason(self) -> str:
        """The skip reasons, joined."""
        return "; ".join(self.skipped)

    @classmethod
    def skip(cls, reason: str) -> Outcome:
        return cls(skipped=[reason])
