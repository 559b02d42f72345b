"""The gate's stages: the contract suites, preflight and the contract diff, each turned into :class:`CheckResult` s.

A stage has a ``name``, a ``title`` and ``run(emit) -> StageFinished``: it emits its results (and, when it
knows one, a :class:`StageTotal`) and says how it ended. A stage that cannot run raises nothing: it ends with
status ``error`` (configuration, exit 2), ``unreachable`` (exit 3), ``unavailable`` (not in this installation,
no effect on the verdict) or ``interrupted``.

* :class:`SuiteStage` runs ``workerflow-kit check`` in this process, so every check option, its validation and
  the suites' pytest machinery are the same as ``check``'s, and listens to its :class:`CheckRecorder` events.
  pytest's own output goes to a log file instead of the terminal.
* :class:`PreflightStage` calls ``workerflow_kit.preflight.run_preflight`` (imported when it runs).
* :class:`CompatStage` diffs the bundled contract set against the project under test
  (:mod:`workerflow_kit.contracts.compat`): every rule is a check; each finding of it a failed result.
"""

from __future__ import annotations

import importlib.util
import io
import re
import shlex
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

from workerflow_kit.errors import KitError
from workerflow_kit.gate.events import CheckResult, Event, Level, StageFinished, StageStatus, StageTotal
from workerflow_kit.gate.reproduce import Redactor, ReplayContext, check_command, curl_line

if TYPE_CHECKING:
    from workerflow_kit.cli.check_cmd import CheckEvent

__all__ = [
    "CompatStage",
    "PreflightRunner",
    "PreflightStage",
    "Stage",
    "SuiteStage",
]

Emit = Callable[[Event], None]
_SUITE_OF_NODE: Final = re.compile(r"^suites/(\w+)\.py::")
_EXCEPTION: Final = re.compile(r"^[\w.]*(?:Error|Failed|Exception): ")
_LABEL: Final = re.compile(r"^\[[a-z0-9_.-]+ \| (?:required|recommended)\] ")
_DIFF_LEVELS: Final[dict[str, Level]] = {"error": "required", "warning": "recommended", "info": "info"}


class Stage(Protocol):
    name: str
    title: str

    def run(self, emit: Emit) -> StageFinished: ...


# ------------------------------------------------------------------------------------------------ suites


@dataclass
class SuiteStage:
    """``workerflow-kit check ARGS`` in process, its events turned into gate results."""

    check_args: Sequence[str]
    target: str
    replay: ReplayContext = field(default_factory=ReplayContext)
    redact: Redactor = field(default_factory=Redactor)
    log_path: Path | None = None
    name: str = "suites"
    title: str = "contract suites"

    def run(self, emit: Emit) -> StageFinished:
        import click

        from workerflow_kit.cli.check_cmd import (
            EXIT_CONFIG,
            EXIT_UNREACHABLE,
            CheckEvent,
            CheckListeners,
            ChecksCollected,
            RunFinished,
            check,
        )

        finished: list[RunFinished] = []

        def listen(event: CheckEvent | ChecksCollected | RunFinished) -> None:
            if isinstance(event, ChecksCollected):
                emit(StageTotal(self.name, event.count))
            elif isinstance(event, CheckEvent):
                emit(self.result(event))
            else:
                finished.append(event)

        log = io.StringIO()
        try:
            # pytest and check print to stdout/stderr; the gate's reporters own the terminal, the log keeps them.
            with redirect_stdout(log), redirect_stderr(log):
                code = check.main(
                    args=list(self.check_args),
                    prog_name="workerflow-kit check",
                    standalone_mode=False,
                    obj=CheckListeners([listen]),
                )
        except click.exceptions.Abort:  # click's form of a Ctrl-C that pytest did not catch itself
            return StageFinished(self.name, "interrupted", "interrupted")
        except click.ClickException as exc:
            return StageFinished(self.name, "error", self.redact(exc.format_message()))
        except KitError as exc:
            status: StageStatus = "unreachable" if exc.exit_code == EXIT_UNREACHABLE else "error"
            return StageFinished(self.name, status, self.redact(exc.render()))
        finally:
            self._write_log(log.getvalue())
        end = finished[-1] if finished else None
        exit_code = end.exit_code if end is not None else (code if isinstance(code, int) else EXIT_CONFIG)
        reason = self.redact(end.reason or "") if end is not None else ""
        if exit_code == 130:
            return StageFinished(self.name, "interrupted", "interrupted")
        if exit_code == EXIT_UNREACHABLE:
            reason = reason.removeprefix("target unavailable: ").removeprefix("target unreachable: ")
            return StageFinished(self.name, "unreachable", reason or "no answer")
        if exit_code not in (0, 1):
            return StageFinished(self.name, "error", reason or f"check exited with code {exit_code}")
        return StageFinished(self.name, "ok")

    def result(self, event: CheckEvent) -> CheckResult:
        found = _SUITE_OF_NODE.match(event.nodeid)
        suite = found.group(1) if found else event.id.split(".", 1)[0]
        level: Level = "recommended" if event.level == "recommended" else "required"
        outcome = event.outcome if event.outcome in ("passed", "failed", "skipped") else "failed"
        message, evidence = self.redact(_plain_message(event.message)), self.redact(event.evidence)
        failed = outcome == "failed"
        return CheckResult(
            stage=self.name,
            suite=suite,
            check=event.id,
            level=level,
            outcome=outcome,  # type: ignore[arg-type]  # narrowed by the membership test above
            target=self.target,
            message=message,
            name=event.nodeid,
            duration=event.duration,
            cases=event.cases,
            evidence=evidence,
            reproduce=check_command(suite, event.nodeid, event.profile, event.seed, self.replay) if failed else "",
            curl=curl_line([message, evidence], self.replay, self.redact) if failed else "",
        )

    def _write_log(self, text: str) -> None:
        if self.log_path is None:
            return
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self.log_path.write_text(self.redact(text), encoding="utf-8")
        except OSError:
            pass  # the log is a convenience; the reports carry the results


def _plain_message(message: str) -> str:
    """A failure message without the exception's class and the ``[id | level]`` label the report shows anyway."""
    return _LABEL.sub("", _EXCEPTION.sub("", message, count=1), count=1)


# ------------------------------------------------------------------------------------------------ preflight


class PreflightResultLike(Protocol):
    """``workerflow_kit.preflight.PreflightResult``, as far as the gate reads it."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def file(self) -> str | None: ...
    @property
    def pointer(self) -> str | None: ...


class PreflightReportLike(Protocol):
    @property
    def results(self) -> Sequence[PreflightResultLike]: ...


PreflightRunner = Callable[[Path | None], PreflightReportLike]


def _installed_preflight() -> PreflightRunner | None:
    try:
        from workerflow_kit.preflight import run_preflight  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return None
    runner: PreflightRunner = run_preflight
    return runner


@dataclass
class PreflightStage:
    """Static checks of the project (``run_preflight``): ``fail`` is a required failure, ``warn`` recommended."""

    project: Path | None
    target: str
    runner: PreflightRunner | None = None
    """Defaults to ``workerflow_kit.preflight.run_preflight``, looked up when the stage runs."""
    name: str = "preflight"
    title: str = "preflight"

    def run(self, emit: Emit) -> StageFinished:
        runner = self.runner or _installed_preflight()
        if runner is None:
            return StageFinished(self.name, "unavailable", "preflight is not part of this installation")
        try:
            report = runner(self.project)
        except KitError as exc:
            return StageFinished(self.name, "error", exc.render())
        emit(StageTotal(self.name, len(report.results)))
        for item in report.results:
            emit(self.result(item))
        return StageFinished(self.name, "ok")

    def result(self, item: PreflightResultLike) -> CheckResult:
        check_id = item.id if item.id.startswith("preflight.") else f"preflight.{item.id}"
        where = ": ".join(part for part in (item.file, item.pointer) if part)
        failed = item.status in ("warn", "fail")
        return CheckResult(
            stage=self.name,
            suite="preflight",
            check=check_id,
            level="recommended" if item.status == "warn" else "required",
            outcome="failed" if failed else "passed",
            target=self.target,
            message=item.message,
            name=check_id + (f"[{where}]" if where else ""),
            evidence=f"{where}: {item.message}" if failed and where else (item.message if failed else ""),
            reproduce=_preflight_command(self.project) if failed else "",
            file=item.file or "",
            pointer=item.pointer or "",
        )


def _preflight_command(project: Path | None) -> str:
    if importlib.util.find_spec("workerflow_kit.cli.preflight_cmd") is None:
        return ""
    return "workerflow-kit preflight" + (f" {shlex.quote(str(project))}" if project else "")


# ------------------------------------------------------------------------------------------------ contract diff


@dataclass
class CompatStage:
    """The contract diff: the bundled v0.1 contracts (OLD) against the project under test (NEW)."""

    project: Path | None
    target: str
    name: str = "diff"
    title: str = "contract diff"

    def run(self, emit: Emit) -> StageFinished:
        from workerflow_kit.contracts.compat import BUNDLED_SIDE, RULES, build_report, load_contract_set

        new_side = str(self.project) if self.project is not None else BUNDLED_SIDE
        try:
            old, new = load_contract_set(BUNDLED_SIDE), load_contract_set(new_side)
        except KitError as exc:
            return StageFinished(self.name, "error", exc.render())
        if old.holds != new.holds:
            return StageFinished(
                self.name,
                "error",
                f"{new_side} holds {' and '.join(new.holds) or 'nothing'}; expected routes and schedules",
            )
        report = build_report(old, new)
        emit(StageTotal(self.name, len(RULES)))
        reproduce = f"workerflow-kit diff {BUNDLED_SIDE} {shlex.quote(new_side)}"
        for rule in RULES.values():
            check_id = f"diff.{rule.id}"
            findings = [f for f in report.findings if f.rule == rule.id]
            if not findings:
                emit(
                    CheckResult(
                        self.name, "diff", check_id, _DIFF_LEVELS[rule.level], "passed", self.target, name=check_id
                    )
                )
            for finding in findings:
                subject = f"[{finding.subject}]" if finding.subject else ""
                emit(
                    CheckResult(
                        stage=self.name,
                        suite="diff",
                        check=check_id,
                        level=_DIFF_LEVELS[finding.level],
                        outcome="failed",
                        target=self.target,
                        message=finding.message,
                        name=check_id + subject,
                        evidence=f"{finding.pointer or '/'}: {finding.message}",
                        reproduce=reproduce,
                        pointer=finding.pointer,
                    )
                )
        return StageFinished(self.name, "ok")
