"""Run fixture files against a target and report each one: passed, failed (with its differences) or skipped.

Route fixtures run through :mod:`.route_fixtures` (sync: the answer; async: the 202, then the finished run
polled from the ops dashboard), handler fixtures through :mod:`.handler_fixtures` (the workflow's ``/run-sync``),
schedule fixtures through :mod:`.schedule_fixtures` (one cron event, the tasks it enqueued). Manifest and
runtime-config fixtures are rule checks the suites run (``workerflow-kit check --fixtures DIR``); here they are
reported as skipped, saying so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from workerflow_kit.authoring.diff import Difference, render
from workerflow_kit.authoring.files import FixtureFile
from workerflow_kit.authoring.handler_fixtures import run_handler_fixture
from workerflow_kit.authoring.outcome import Outcome
from workerflow_kit.authoring.route_fixtures import DEFAULT_TIMEOUT, run_route_fixture
from workerflow_kit.authoring.schedule_fixtures import run_schedule_fixture
from workerflow_kit.live.errors import BudgetExhausted, LiveError, RouteNotAllowed
from workerflow_kit.targets.base import Target

__all__ = ["Report", "Result", "run_files"]

_SUITE_OF: Final = {"manifest": "manifest", "runtime-config": "runtime_config"}
_LABEL: Final = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


@dataclass(frozen=True)
class Result:
    """One fixture file and what running it gave."""

    file: FixtureFile
    outcome: Outcome

    def lines(self) -> list[str]:
        """``PASS <id> (<file>)``, ``FAIL ...`` followed by its differences, or ``SKIP ...: <reason>``."""
        status = self.outcome.status
        head = f"{_LABEL[status]} {self.file.id} ({self.file.path})"
        if status == "failed":
            return [head, render(self.outcome.differences)]
        if status == "skipped":
            return [f"{head}: {self.outcome.reason}"]
        return [head]


@dataclass
class Report:
    """The counts of a run; :attr:`line` is its summary and :attr:`exit_code` its verdict (0 or 1)."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, result: Result) -> None:
        status = result.outcome.status
        setattr(self, status, getattr(self, status) + 1)

    @property
    def line(self) -> str:
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def run_one(target: Target, file: FixtureFile, *, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Run one (valid) fixture file against ``target``."""
    try:
        if file.kind == "route":
            return run_route_fixture(target, file.data, timeout=timeout)
        if file.kind == "handler":
            return run_handler_fixture(target, file.data)
        if file.kind == "schedule":
            return run_schedule_fixture(target, file.data)
    except (RouteNotAllowed, BudgetExhausted) as exc:  # live mode's own rules: not the fixture's verdict
        return Outcome.skip(exc.render())
    except LiveError as exc:
        return Outcome([Difference("", note=exc.render())])
    suite = _SUITE_OF.get(str(file.kind), str(file.kind))
    return Outcome.skip(f"{file.kind} fixtures run in the suites: workerflow-kit check --suite {suite} --fixtures DIR")


def run_files(target: Target, files: Iterable[FixtureFile], *, timeout: float = DEFAULT_TIMEOUT) -> Iterator[Result]:
    """Each file's result, in order (files must be valid: see :func:`.files.load`)."""
    for file in files:
        yield Result(file, run_one(target, file, timeout=timeout))
