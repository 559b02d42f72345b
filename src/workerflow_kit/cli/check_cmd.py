"""``workerflow-kit check``: run the contract suites against a target and print a verdict.

The command is a thin door into :mod:`workerflow_kit.suites`: it turns its options into a ``pytest --pyargs
workerflow_kit.suites[.<suite>]`` run with the ``--wf-*`` options of the suites' plugin, runs it in this process
(:func:`pytest.main`) and reads the results through :class:`CheckRecorder`, a small plugin object that turns each
test into one :class:`CheckEvent` (check id, level, outcome, duration, message, generated cases). The events go
to any listeners given in a :class:`CheckListeners` context object (the seed of the gate's event stream), and the
recorder's :class:`Verdict` decides the exit code:

====  ===================================================================================================
code  meaning
====  ===================================================================================================
0     no required check failed (failed recommended checks are reported, not failing; ``--strict`` changes that)
1     a required check failed (or, with ``--strict``, a recommended one)
2     usage or configuration error: bad options, an unknown suite, pytest usage errors, collection errors,
      fixture files that do not validate, or a run that selected no check
3     the target is unreachable: a URL target whose health endpoints do not answer, or a target that could not
      be started (the ``served`` server)
====  ===================================================================================================

The run is isolated from the current folder's pytest configuration (``-c`` an empty file, no cache folder), so
the same command behaves the same in any checkout. The suite modules are imported afresh on every run, so a
property test takes the settings of the profile the run asked for (Hypothesis reads them at import time).
"""

from __future__ import annotations

import importlib.util
import os
import random
import sys
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import click
from pluggy import HookimplMarker

from workerflow_kit.cli.options import (
    URL_WORKERS,
    import_runtime_factory,
    path_option,
    refuse,
    target_options,
    url_flags_given,
    url_target_options,
)
from workerflow_kit.suites import SUITE_MODULES

if TYPE_CHECKING:
    import pytest

# pytest's own marker (what ``pytest.hookimpl`` is), so that ``workerflow-kit --help`` does not import pytest
# and Hypothesis; they are imported when a check runs.
hookimpl = HookimplMarker("pytest")

__all__ = [
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "CheckEvent",
    "CheckListeners",
    "CheckRecorder",
    "ChecksCollected",
    "RunFinished",
    "Verdict",
    "check",
    "pytest_arguments",
    "run_pytest",
]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_CONFIG: Final = 2
EXIT_UNREACHABLE: Final = 3

SUITES_PACKAGE: Final = "workerflow_kit.suites"
_PACKAGE_DIR: Final = Path(__file__).resolve().parent.parent
_PROBE_TIMEOUT: Final = 5.0
PROFILES: Final = ("quick", "ci", "thorough")
"""The names of :data:`workerflow_kit.suites.profiles.PROFILES`, repeated so that help does not import Hypothesis."""


# ------------------------------------------------------------------------------------------------ events


@dataclass(frozen=True)
class CheckEvent:
    """One check's result. ``outcome`` is ``passed``, ``failed`` or ``skipped`` (a setup error is ``failed``)."""

    id: str
    level: str
    outcome: str
    duration: float
    message: str
    nodeid: str
    cases: int = 0
    """Test cases Hypothesis ran for this check (0 for a check that is not a property)."""
    evidence: str = ""
    """A failure's first lines of explanation (pytest's ``E`` lines, else the head of its report), for reports."""
    profile: str = ""
    seed: int | None = None
    """The run's Hypothesis profile and seed, so a report can say how to replay this one check."""


@dataclass(frozen=True)
class ChecksCollected:
    """Sent once collection is done: how many checks the run will report (for progress bars)."""

    count: int


@dataclass(frozen=True)
class Verdict:
    """Counts of check results, and the exit code they make."""

    required_failed: int = 0
    recommended_failed: int = 0
    passed: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, events: Iterable[CheckEvent]) -> Verdict:
        counts = {"required": 0, "recommended": 0, "passed": 0, "skipped": 0}
        for event in events:
            if event.outcome == "failed":
                counts["recommended" if event.level == "recommended" else "required"] += 1
            elif event.outcome in ("passed", "skipped"):
                counts[event.outcome] += 1
        return cls(counts["required"], counts["recommended"], counts["passed"], counts["skipped"])

    @property
    def total(self) -> int:
        return self.required_failed + self.recommended_failed + self.passed + self.skipped

    def line(self) -> str:
        """``N required failed, M recommended failed, K passed, S skipped``."""
        return (
            f"{self.required_failed} required failed, {self.recommended_failed} recommended failed, "
            f"{self.passed} passed, {self.skipped} skipped"
        )

    def exit_code(self, *, strict: bool = False) -> int:
        failing = self.required_failed + (self.recommended_failed if strict else 0)
        return EXIT_FAILED if failing else EXIT_OK


@dataclass(frozen=True)
class RunFinished:
    """The last event of a run."""

    verdict: Verdict
    exit_code: int
    seconds: float
    cases: int
    profile: str
    seed: int | None
    reason: str | None = None
    """Why the exit code is not 0/1 (usage error, unreachable target, interrupt), as ``check`` prints it."""


Listener = Callable[[CheckEvent | ChecksCollected | RunFinished], None]


@dataclass
class CheckListeners:
    """Pass as click's ``obj`` to receive every event of a run.

    First :class:`ChecksCollected`, then each :class:`CheckEvent`, then one :class:`RunFinished`. The gate
    (:mod:`workerflow_kit.gate.stages`) listens this way.
    """

    listeners: list[Listener] = field(default_factory=list)

    def emit(self, event: CheckEvent | ChecksCollected | RunFinished) -> None:
        for listener in self.listeners:
            listener(event)


class CheckRecorder:
    """A pytest plugin object: one :class:`CheckEvent` per test, collection problems, and target failures.

    A test's check id and level come from its ``wf_check`` marker; a test without one counts as a
    ``required`` check named by its node id. ``cases`` counts the test cases Hypothesis ran, read from its
    statistics hook, whatever the test's kind (``@given`` or a state machine).
    """

    def __init__(
        self,
        on_event: Callable[[CheckEvent | ChecksCollected], None] | None = None,
        *,
        profile: str = "",
        seed: int | None = None,
    ) -> None:
        self.on_event = on_event
        self.profile = profile
        self.seed = seed
        self.events: list[CheckEvent] = []
        self.collection_errors: list[str] = []
        self.target_errors: list[str] = []
        self.interrupted = False
        self._labels: dict[str, tuple[str, str]] = {}
        self._reports: dict[str, list[pytest.TestReport]] = {}
        self._cases: dict[str, int] = {}

    @property
    def cases(self) -> int:
        return sum(event.cases for event in self.events)

    @property
    def verdict(self) -> Verdict:
        return Verdict.of(self.events)

    # -- hooks --------------------------------------------------------------------------------------------

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        marker = item.get_closest_marker("wf_check")
        if marker is not None and len(marker.args) == 2:
            self._labels[item.nodeid] = (str(marker.args[0]), str(marker.args[1]))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.on_event is not None:
            self.on_event(ChecksCollected(len(session.items)))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid or '(session)'}: {_last_line(report.longreprtext)}")

    @hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        from hypothesis.statistics import collector as statistics_collector

        collector: Any = statistics_collector  # typed for its default (None), it holds a callback here
        outer = collector.value  # Hypothesis's own pytest plugin sets one for --hypothesis-show-statistics

        def note(stats: Any) -> None:
            self._cases[item.nodeid] = self._cases.get(item.nodeid, 0) + _count_cases(stats)
            if outer is not None:
                outer(stats)

        with collector.with_value(note):
            return (yield)

    @hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "setup" and call.excinfo is not None:
            from workerflow_kit.targets.base import TargetError

            if isinstance(call.excinfo.value, TargetError):
                from workerflow_kit.live.redact import redact

                message = redact(_one_line(str(call.excinfo.value)))
                if message not in self.target_errors:
                    self.target_errors.append(message)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._reports.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        reports = self._reports.pop(nodeid, [])
        if not reports:
            return
        check_id, level = self._labels.get(nodeid, (nodeid, "required"))
        failed = [r for r in reports if r.failed]
        skipped = [r for r in reports if r.skipped]
        if failed:
            outcome, message = "failed", _failure_message(failed[0])
        elif skipped:
            outcome, message = "skipped", _skip_reason(skipped[0])
        else:
            outcome, message = "passed", ""
        event = CheckEvent(
            id=check_id,
            level=level,
            outcome=outcome,
            duration=sum(r.duration for r in reports),
            message=message,
            nodeid=nodeid,
            cases=self._cases.pop(nodeid, 0),
            evidence=_evidence(failed[0]) if failed else "",
            profile=self.profile,
            seed=self.seed,
        )
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True


def _count_cases(stats: Any) -> int:
    """Test cases in one Hypothesis statistics record (every phase: explicit, reuse, generate, shrink, ...)."""
    if not isinstance(stats, dict):
        return 0
    return sum(
        len(phase.get("test-cases", ()))
        for key, phase in stats.items()
        if key.endswith("-phase") and isinstance(phase, dict)
    )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _one_line(text: str) -> str:
    """A multi-line message as one line: its first line and, when there are more, its last."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ... ".join(lines[:1] + lines[-1:]) if len(lines) > 1 else "".join(lines)


def _failure_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    return str(message).strip() if message else _last_line(report.longreprtext)


def _evidence(report: pytest.TestReport, max_lines: int = 20) -> str:
    """The exception's explanation (pytest's ``E`` lines, Hypothesis's falsifying example included), else the head."""
    lines = report.longreprtext.splitlines()
    explained = [line[1:].strip() for line in lines if line.startswith("E ")]
    return "\n".join((explained or lines)[:max_lines])


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return _last_line(report.longreprtext)


# ------------------------------------------------------------------------------------------------ running


def pytest_arguments(
    *,
    suites: Sequence[str] = (),
    profile: str,
    seed: int | None = None,
    options: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> list[str]:
    """The ``pytest.main`` arguments of a check run: the suite modules, isolation, the profile and seed."""
    modules = [f"{SUITES_PACKAGE}.{name}" for name in suites] or [SUITES_PACKAGE]
    args = [
        "--pyargs",
        *modules,
        "-c",
        os.devnull,  # the current folder's pytest configuration (addopts, ...) is not the suites'
        "--rootdir",
        str(_PACKAGE_DIR),  # node ids read suites/routes.py::test_...
        "-p",
        "no:cacheprovider",  # write no .pytest_cache next to an installed package
        "-rfE",
        # The kit and Hypothesis are pytest plugins already imported by this command: nothing to warn about.
        "-W",
        "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning",
        f"--wf-profile={profile}",
        *options,
    ]
    if seed is not None:
        args.append(f"--hypothesis-seed={seed}")
    return [*args, *extra]


def run_pytest(args: Sequence[str], recorder: CheckRecorder) -> int:
    """Run pytest in this process with ``recorder`` as a plugin; returns pytest's exit code.

    The suite modules are dropped from ``sys.modules`` first so they are imported (and their property tests
    decorated) under the profile of this run, and Hypothesis's process-wide seed is put back afterwards.
    """
    import pytest
    from hypothesis import core

    for name in SUITE_MODULES:
        sys.modules.pop(f"{SUITES_PACKAGE}.{name}", None)
    seed_before = core.global_force_seed
    try:
        return int(pytest.main(list(args), plugins=[recorder]))
    finally:
        core.global_force_seed = seed_before


def _exit_code(pytest_code: int, recorder: CheckRecorder, *, strict: bool) -> tuple[int, str | None]:
    """The command's exit code from pytest's and the recorder's, with a line saying why when it is not 0/1."""
    import pytest

    if recorder.interrupted:
        return 130, "interrupted"
    if recorder.target_errors and not any(e.outcome == "passed" for e in recorder.events):
        return EXIT_UNREACHABLE, f"target unavailable: {recorder.target_errors[0]}"
    if pytest_code == pytest.ExitCode.USAGE_ERROR:
        return EXIT_CONFIG, "pytest refused the arguments (see above)"
    if recorder.collection_errors or pytest_code == pytest.ExitCode.INTERRUPTED:
        shown = "; ".join(recorder.collection_errors[:3]) or "see above"
        return EXIT_CONFIG, f"the suites could not be collected: {shown}"
    if pytest_code == pytest.ExitCode.INTERNAL_ERROR:
        return EXIT_CONFIG, "pytest stopped with an internal error (see above)"
    if not recorder.events:
        return EXIT_CONFIG, "no check ran: the --suite/-k selection matched nothing"
    return recorder.verdict.exit_code(strict=strict), None


# ------------------------------------------------------------------------------------------------ validation


def _suite_names(names: Sequence[str]) -> list[str]:
    known = ", ".join(SUITE_MODULES)
    chosen: list[str] = []
    for name in names:
        if name not in SUITE_MODULES:
            raise click.BadParameter(f"unknown suite {name!r}; the suites are: {known}", param_hint="'--suite'")
        if importlib.util.find_spec(f"{SUITES_PACKAGE}.{name}") is None:
            raise click.BadParameter(f"suite {name!r} is not in this installation", param_hint="'--suite'")
        if name not in chosen:
            chosen.append(name)
    return chosen


def _probe(urls: dict[str, str]) -> str | None:
    """``None`` when every worker URL answers its health path (any HTTP status), else what did not answer."""
    import httpx

    from workerflow_kit.targets.base import health_problem

    for worker, base in urls.items():
        # A plain client: the probe is one request each, before the live run's budget and retries apply.
        with httpx.Client(base_url=base, timeout=_PROBE_TIMEOUT) as client:
            problem = health_problem(client, worker)
        if problem is not None:
            return problem
    return None


# ------------------------------------------------------------------------------------------------ command


@click.command(
    "check",
    context_settings={"max_content_width": 110},
    epilog="""\b
Examples:
  workerflow-kit check                                   # every suite against the reference, in process
  workerflow-kit check --suite routes --suite schedules -v
  workerflow-kit check --project ../workerflow/cloudflare  # your checkout's routes, schedules and wrangler
  workerflow-kit check --target served --profile thorough  # 'workerflow-kit serve' on loopback, many examples
  workerflow-kit check --target url --api-url http://127.0.0.1:8787 \\
      --scheduler-url http://127.0.0.1:8790 --allow-writes  # wrangler dev (or WORKERFLOW_API_URL=... and friends)
  workerflow-kit check --target url --api-url https://api.example.com --routes webhook_echo \\
      --allow-writes --rps 2 --request-budget 200  # a deployment: only webhook_echo may be invoked
  workerflow-kit check --target staging                  # a target of workerflow-kit.toml (or --config FILE)
  workerflow-kit check --fixtures ./my-fixtures --junit-xml report.xml --strict
  workerflow-kit check --suite routes -k duplicate -- --tb=line   # pytest options after --

\b
Output: pytest's own (test names carry [check id | level]), then the verdict:
  0 required failed, 1 recommended failed, 15 passed, 0 skipped

\b
Exit codes: 0 no required check failed (recommended failures are reported; --strict fails on them),
  1 a required check failed, 2 usage or configuration error, 3 target unreachable.

\b
Live runs (--target url) are safe by default: read-only unless --allow-writes, no route invoked unless
--routes names it (a check that would invoke another is skipped, saying which route), at most --rps
requests per second (10) and --request-budget requests (500), --timeout seconds each (30), retried with
backoff on connection errors and 429s, tokens shown as ***. The run prints its trace prefix
(live run wfkit-1a2b3c4d-: ...): every trace id it sends starts with it, so you can find what it stored.

\b
Config file: workerflow-kit.toml (or [tool.workerflow-kit] in pyproject.toml) in the current folder:
  default-target = "staging"
  [targets.staging]
  kind = "url"
  api-url = "https://api.staging.example.com"
  api-token-env = "STAGING_API_TOKEN"     # the variable's name; tokens never go in the file
  routes = ["webhook_echo"]
  rps = 5
Profiles: quick (10 examples), ci (100, derandomized), thorough (1000); default ci when CI is set, else quick.
A failing run of quick or thorough prints its seed; --seed N replays it.
""",
)
@click.option(
    "--suite",
    "suites",
    multiple=True,
    metavar="NAME",
    help=f"Run this suite (repeatable; default: all). One of: {', '.join(SUITE_MODULES)}.",
)
@target_options()
@url_target_options()
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default=None,
    help="Hypothesis profile: quick, ci (derandomized) or thorough. Default: ci when CI is set, else quick.",
)
@click.option("--seed", type=int, default=None, help="Hypothesis seed (quick/thorough), to replay a failing run.")
@path_option(
    "--project",
    metavar="PATH",
    file_okay=False,
    help="inprocess/served: a WorkerFlow checkout (its cloudflare/ folder or the repository root) to run "
    "instead of the bundled v0.1 baseline.",
)
@click.option(
    "--fixtures",
    "fixture_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="A folder of your own fixtures, laid out like the bundled ones (repeatable).",
)
@click.option(
    "--runtime-factory",
    metavar="MODULE:CALLABLE",
    default=None,
    help="inprocess/served: build the runtime with this callable, imported from the current folder or the "
    "installed packages (custom wiring, or a deliberately broken runtime to prove the suites catch it); served "
    "passes it to 'workerflow-kit serve --runtime-factory'.",
)
@path_option(
    "--junit-xml",
    dir_okay=False,
    help="Also write a JUnit XML report (each test case carries wf_check and wf_level properties).",
)
@click.option("-k", "keyword", metavar="EXPR", default=None, help="Only checks whose names match (pytest -k).")
@click.option("-x", "--exitfirst", is_flag=True, help="Stop at the first failing check.")
@click.option("-v", "--verbose", count=True, help="One line per check (repeat for more).")
@click.option("-q", "--quiet", count=True, help="Less of pytest's output (the verdict line is always printed).")
@click.option("--strict", is_flag=True, help="Failing recommended checks fail the run too (exit 1).")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- PYTEST_ARGS...]")
@click.pass_context
def check(
    ctx: click.Context,
    *,
    suites: tuple[str, ...],
    target: str | None,
    config_file: Path | None,
    routes: tuple[str, ...],
    rps: float | None,
    request_budget: int | None,
    timeout: float | None,
    api_url: str | None,
    ops_url: str | None,
    workflow_url: str | None,
    scheduler_url: str | None,
    api_token: str | None,
    ops_token: str | None,
    allow_writes: bool | None,
    profile: str | None,
    seed: int | None,
    project: Path | None,
    fixture_dirs: tuple[Path, ...],
    runtime_factory: str | None,
    junit_xml: Path | None,
    keyword: str | None,
    exitfirst: bool,
    verbose: int,
    quiet: int,
    strict: bool,
    pytest_args: tuple[str, ...],
) -> None:
    """Run the contract suites against a target and print a verdict.

    Each check has an id and a level: required (the observable v0.1 behaviour clients rely on) or
    recommended (robustness beyond upstream). The suites run in this process under pytest.
    """
    chosen = _suite_names(suites)
    from workerflow_kit.config import choose_target

    # A target of the config file gives the defaults; every flag given beats it (and its WORKERFLOW_* variable).
    picked = choose_target(target, config_path=config_file)
    target = picked.kind
    if profile is None and picked.config is not None:
        profile = picked.config.profile
    live_flags = {"--routes": routes, "--rps": rps, "--request-budget": request_budget, "--timeout": timeout}
    setting = {
        **picked.options,
        **{
            name: value
            for name, value in (
                ("api_url", api_url),
                ("ops_url", ops_url),
                ("workflow_url", workflow_url),
                ("scheduler_url", scheduler_url),
                ("api_token", api_token),
                ("ops_token", ops_token),
                ("allow_writes", allow_writes),
                ("routes", routes or None),
                ("rps", rps),
                ("request_budget", request_budget),
                ("timeout", timeout),
            )
            if value is not None
        },
    }
    api_url, ops_url, workflow_url, scheduler_url = (setting.get(f"{w}_url") for w in URL_WORKERS)
    api_token, ops_token, allow_writes = setting.get("api_token"), setting.get("ops_token"), setting.get("allow_writes")
    if project is None and picked.options.get("project"):
        project = Path(picked.options["project"])
    options: list[str] = [f"--wf-target={target}"]
    urls = {"api": api_url, "ops": ops_url, "workflow": workflow_url, "scheduler": scheduler_url}
    url_flags = url_flags_given(urls, allow_writes)
    url_flags += [flag for flag, value in live_flags.items() if value]
    if target != "url":
        refuse(target, url_flags)
    if target == "url" and runtime_factory:
        refuse(target, ["--runtime-factory"])
    if target == "inprocess" and (api_token or ops_token):
        refuse(target, [f for f, v in (("--api-token", api_token), ("--ops-token", ops_token)) if v])
    if project is not None:
        if target == "url":
            refuse(target, ["--project"])
        if runtime_factory:
            raise click.UsageError("--project does not apply with --runtime-factory: give the factory the project")
        from workerflow_kit.contracts.project import load_project

        load_project(project)  # a KitError (exit 2) names what is wrong with the checkout
        options.append(f"--wf-project={project}")
    if runtime_factory:
        import_runtime_factory(runtime_factory)  # a TargetError (exit 2) names what cannot be imported
        options.append(f"--wf-runtime-factory={runtime_factory}")
    for directory in fixture_dirs:
        if not directory.is_dir():
            raise click.BadParameter(f"no such fixtures folder: {directory}", param_hint="'--fixtures'")
        options.append(f"--wf-fixtures={directory}")
    if target == "url":
        from workerflow_kit.targets.url import UrlTarget

        # Flags beat WORKERFLOW_* variables; a missing api URL or a malformed one is a TargetError (exit 2).
        with UrlTarget(**{k: v for k, v in setting.items() if k != "project"}) as probe_target:
            resolved = dict(probe_target.urls)
            run_id, prefix = probe_target.run_id, probe_target.trace_prefix
        click.echo(f"live run {prefix}: trace ids of this run start with it")
        problem = _probe(resolved)
        if problem is not None:
            click.echo(f"error: target unreachable: {problem}", err=True)
            unreachable = RunFinished(Verdict(), EXIT_UNREACHABLE, 0.0, 0, profile or "", seed, problem)
            (ctx.find_object(CheckListeners) or CheckListeners()).emit(unreachable)
            ctx.exit(EXIT_UNREACHABLE)
        options += [f"--wf-{worker}-url={url}" for worker, url in urls.items() if url]
        if allow_writes:
            options.append("--wf-allow-writes")
        options += [f"--wf-routes={name}" for name in setting.get("routes") or ()]
        options += [
            f"--wf-{key.replace('_', '-')}={setting[key]}"
            for key in ("rps", "request_budget", "timeout")
            if key in setting
        ]
        options.append(f"--wf-run-id={run_id}")
    options += [f"--wf-{name}-token={token}" for name, token in (("api", api_token), ("ops", ops_token)) if token]
    if junit_xml is not None:
        options.append(f"--junit-xml={junit_xml}")
    if keyword is not None:
        options += ["-k", keyword]
    if exitfirst:
        options.append("-x")
    if verbose:
        options.append("-" + "v" * verbose)
    if quiet:
        options.append("-" + "q" * quiet)

    from workerflow_kit.suites.profiles import default_profile, profile_settings

    chosen_profile = profile or default_profile()
    if seed is None and not profile_settings(chosen_profile).derandomize:
        seed = random.SystemRandom().randrange(2**32)
    args = pytest_arguments(suites=chosen, profile=chosen_profile, seed=seed, options=options, extra=pytest_args)

    listeners = ctx.find_object(CheckListeners) or CheckListeners()
    recorder = CheckRecorder(on_event=listeners.emit, profile=chosen_profile, seed=seed)
    started = time.perf_counter()
    code, reason = _exit_code(run_pytest(args, recorder), recorder, strict=strict)
    verdict = recorder.verdict
    seconds = time.perf_counter() - started
    listeners.emit(RunFinished(verdict, code, seconds, recorder.cases, chosen_profile, seed, reason))

    failed_recommended = sorted({e.id for e in recorder.events if e.outcome == "failed" and e.level == "recommended"})
    if failed_recommended and not strict:
        listed = ", ".join(failed_recommended)
        click.echo(f"recommended checks failed (reported, not failing; --strict fails on them): {listed}")
    if code == EXIT_FAILED or failed_recommended:
        click.echo(_replay_line(chosen_profile, seed))
    if reason is not None:
        click.echo(f"error: {reason}", err=True)
    click.echo(verdict.line())
    ctx.exit(code)


def _replay_line(profile: str, seed: int | None) -> str:
    if seed is None:
        return f"hypothesis: profile {profile} is derandomized; a rerun generates the same cases"
    return f"hypothesis: profile {profile}, seed {seed}; replay the same cases with --profile {profile} --seed {seed}"
