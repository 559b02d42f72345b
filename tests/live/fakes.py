"""A fake clock whose sleep moves it, so pacing and backoff are checked without waiting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class FakeTime:
    now_seconds: float = 1000.0
    sleeps: list[float] = field(default_factory=list)
    wall_start: datetime = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

    def clock(self) -> float:
        return self.now_seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_seconds += seconds

    def now(self) -> datetime:
        return self.wall_start + timedelta(seconds=self.now_seconds - 1000.0)
