"""``workerflow-kit gate``: the release gate. Every suite, preflight and the contract diff, one verdict, reports.

The command wires :mod:`workerflow_kit.gate`: it builds the stages (the suites run through ``check`` itself,
so every check option means the same here), a bus with its reporters (live progress on a terminal, plain lines
at the end, ``junit.xml``, ``report.json`` and ``summary.md`` in ``--out``), the baseline, and runs them.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workerflow_kit.cli.check_cmd import PROFILES
from workerflow_kit.cli.options import target_options, url_target_options
from workerflow_kit.errors import FileProblem
from workerflow_kit.gate.baseline import DEFAULT_BASELINE, Baseline, load_baseline, write_baseline
from workerflow_kit.gate.events import Bus
from workerflow_kit.gate.reporters import (
    ConsoleReporter,
    JsonReporter,
    JUnitReporter,
    MarkdownReporter,
    ProgressReporter,
)
from workerflow_kit.gate.reproduce import Redactor, ReplayContext
from workerflow_kit.gate.runner import GateRun, run_gate
from workerflow_kit.gate.stages import CompatStage, PreflightStage, Stage, SuiteStage
from workerflow_kit.suites import SUITE_MODULES

if TYPE_CHECKING:
    from workerflow_kit.config import KitConfig

__all__ = ["gate"]

DEFAULT_OUT = "workerflow-kit-report"
_URL_ENV = "WORKERFLOW_API_URL"


def _baseline(given: Path | None, config: KitConfig | None, *, update: bool) -> Baseline:
    """``--baseline``, else the config's, else ``./workerflow-kit-baseline.json`` if it exists (or will be written)."""
    path = given
    if path is None and config is not None:
        path = config.baseline_path  # resolved against the config file's folder
    if path is None:
        default = Path(DEFAULT_BASELINE)
        if default.exists() or update:
            path = default
    if path is None:
        return Baseline()
    if not path.exists():
        if update:
            return Baseline((), path)
        raise FileProblem("no such baseline file", path=path)
    return load_baseline(path)


def _target_label(target: str, api_url: str | None) -> str:
    if target != "url":
        return target
    url = api_url or os.environ.get(_URL_ENV, "")
    return f"url:{url.rstrip('/')}" if url else "url"


@click.command(
    "gate",
    context_settings={"max_content_width": 110},
    epilog="""\b
Examples:
  workerflow-kit gate                                    # every suite, preflight and the contract diff
  workerflow-kit gate --project ../workerflow            # your checkout instead of the bundled baseline
  workerflow-kit gate --suite routes --suite ops --profile quick
  workerflow-kit gate --target url --api-url https://api.staging.example.com \\
      --ops-url https://ops.staging.example.com --ops-token "$OPS_TOKEN"   # gate a deployment
  workerflow-kit gate --strict --out reports/            # recommended failures fail the gate too
  workerflow-kit gate --baseline-update                  # accept today's failures (then edit the reasons)

\b
Output: a live progress display on a terminal (plain lines at the end otherwise), then
  contract suites: 0 required failed, 2 recommended failed, 266 passed, 1 skipped (30.4 s)
  preflight: 0 required failed, 9 recommended failed, 10 passed, 0 skipped (0.0 s)
  contract diff: 0 required failed, 0 recommended failed, 21 passed, 0 skipped (0.0 s)
  ... (each finding, then where the reports are)
  verdict: PASS (0 required failed, 11 recommended failed, 297 passed, 1 skipped)
The reports: junit.xml (a testsuite per suite, preflight, diff), report.json (schemas/gate-report.schema.json),
summary.md (tables per suite, each finding with a reproduction command and evidence), suites.log (pytest).

\b
Baseline: a JSON file of accepted findings {"entries": [{"check", "target", "reason", "expires"?}]}
(schemas/gate-baseline.schema.json). A failure it names is reported as accepted until "expires"
(YYYY-MM-DD), then fails again; entries that match nothing are reported as stale. Default:
./workerflow-kit-baseline.json when it exists, or the config file's "baseline".

\b
Exit codes: 0 pass (recommended failures are reported; --strict fails on them), 1 a required check failed,
  2 usage or configuration error, 3 target unreachable, 130 interrupted (the reports are written, partial).
""",
)
@click.option(
    "--suite",
    "suites",
    multiple=True,
    metavar="NAME",
    help=f"Run only this suite (repeatable; default: all). One of: {', '.join(SUITE_MODULES)}.",
)
@target_options()
@url_target_options(
    help={
        "--api-token": "Token sent to the api worker (or WORKERFLOW_API_TOKEN); redacted in every report.",
        "--ops-token": "Token sent to the ops dashboard (or WORKERFLOW_OPS_TOKEN); redacted in every report.",
    },
)
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default=None,
    help="Hypothesis profile. Default: the config file's, else ci (derandomized: the same cases on every run); "
    "quick for a url target.",
)
@click.option("--seed", type=int, default=None, help="Hypothesis seed (quick/thorough), to replay a run.")
@click.option(
    "--project",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    metavar="PATH",
    help="A WorkerFlow checkout to gate instead of the bundled v0.1 baseline (suites, preflight and diff).",
)
@click.option(
    "--fixtures",
    "fixture_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="A folder of your own fixtures (repeatable).",
)
@click.option("--runtime-factory", metavar="MODULE:CALLABLE", default=None, help="As check: a custom runtime.")
@click.option("-k", "keyword", metavar="EXPR", default=None, help="Only checks whose names match (pytest -k).")
@click.option("--strict", is_flag=True, help="Failing recommended checks fail the gate too (exit 1).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(DEFAULT_OUT),
    show_default=True,
    metavar="DIR",
    help="Where junit.xml, report.json, summary.md and suites.log go.",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help=f"Accepted findings (default: ./{DEFAULT_BASELINE} when it exists, or the config's).",
)
@click.option(
    "--baseline-update",
    is_flag=True,
    help="Write this run's failures into the baseline (existing reasons kept, new ones get a TODO reason).",
)
@click.pass_context
def gate(
    ctx: click.Context,
    *,
    suites: tuple[str, ...],
    target: str | None,
    api_url: str | None,
    ops_url: str | None,
    workflow_url: str | None,
    scheduler_url: str | None,
    api_token: str | None,
    ops_token: str | None,
    allow_writes: bool | None,
    routes: tuple[str, ...],
    rps: float | None,
    request_budget: int | None,
    timeout: float | None,
    profile: str | None,
    seed: int | None,
    project: Path | None,
    fixture_dirs: tuple[Path, ...],
    runtime_factory: str | None,
    keyword: str | None,
    strict: bool,
    out: Path,
    baseline_file: Path | None,
    baseline_update: bool,
    config_file: Path | None,
) -> None:
    """Gate a release: run every contract suite, preflight and the contract diff, and give one verdict.

    The suites run as 'workerflow-kit check' runs them (in this process, against the reference unless
    --target says otherwise); preflight checks the project's files; the contract diff compares the bundled
    v0.1 contracts with the project under test (--project, or the bundled baseline itself).
    """
    for name in suites:
        if name not in SUITE_MODULES:
            raise click.BadParameter(
                f"unknown suite {name!r}; the suites are: {', '.join(SUITE_MODULES)}", param_hint="'--suite'"
            )
    from workerflow_kit.config import choose_target
    from workerflow_kit.suites.profiles import profile_settings

    # One read of the config file (--config, else the current folder's) gives the target, baseline and profile.
    picked = choose_target(target, config_path=config_file)
    kind, config = picked.kind, picked.config
    baseline = _baseline(baseline_file, config, update=baseline_update)
    # A release gate generates the ci profile's thousands of cases, the same on every run; a live deployment gets
    # the quick profile's few, so the run stays inside its request budget.
    profile = profile or (config.profile if config is not None else None) or ("quick" if kind == "url" else "ci")
    if seed is None and not profile_settings(profile).derandomize:
        seed = random.SystemRandom().randrange(2**32)  # chosen here so every report can name it
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileProblem(f"cannot create the report folder ({exc.strerror or exc})", path=out) from None

    label = (
        _target_label(kind, api_url or picked.options.get("api_url"))
        if picked.name == kind
        else f"{picked.name} ({kind})"
    )
    urls = {"api": api_url, "ops": ops_url, "workflow": workflow_url, "scheduler": scheduler_url}
    tokens = {"api": api_token, "ops": ops_token}
    # Tokens check may take from the environment are masked too.
    secrets = [*tokens.values(), os.environ.get("WORKERFLOW_API_TOKEN"), os.environ.get("WORKERFLOW_OPS_TOKEN")]
    redact = Redactor(tuple(t for t in secrets if t))
    replay = ReplayContext(
        target=picked.name,
        urls={k: v for k, v in urls.items() if v},
        tokens=tuple(k for k, v in tokens.items() if v),
        project=str(project) if project else None,
        runtime_factory=runtime_factory,
        allow_writes=bool(allow_writes),
    )
    check_args = ["--target", picked.name, "--profile", profile]
    check_args += ["--config", str(config_file)] if config_file else []
    check_args += [arg for names in routes for arg in ("--routes", names)]
    check_args += ["--rps", str(rps)] if rps is not None else []
    check_args += ["--request-budget", str(request_budget)] if request_budget is not None else []
    check_args += ["--timeout", str(timeout)] if timeout is not None else []
    check_args += [arg for name in suites for arg in ("--suite", name)]
    check_args += [arg for worker, url in urls.items() if url for arg in (f"--{worker}-url", url)]
    check_args += [arg for worker, token in tokens.items() if token for arg in (f"--{worker}-token", token)]
    check_args += ["--allow-writes"] if allow_writes else []
    check_args += ["--seed", str(seed)] if seed is not None else []
    check_args += ["--project", str(project)] if project and kind != "url" else []  # a deployment has no checkout
    check_args += [arg for directory in fixture_dirs for arg in ("--fixtures", str(directory))]
    check_args += ["--runtime-factory", runtime_factory] if runtime_factory else []
    check_args += ["-k", keyword] if keyword else []

    stages: list[Stage] = [
        SuiteStage(check_args, label, replay, redact, log_path=out / "suites.log"),
        PreflightStage(project, label),
        CompatStage(project, label),
    ]
    reports = [JUnitReporter(out), JsonReporter(out), MarkdownReporter(out)]
    bus = Bus()
    progress = ProgressReporter(sys.stdout)
    if progress.live:
        bus.subscribe(progress)
    for reporter in reports:
        bus.subscribe(reporter)
    bus.subscribe(ConsoleReporter([r.path for r in reports]))

    ran = list(suites) or list(SUITE_MODULES)

    def covered(stage: str) -> list[str]:
        # Check ids start with their suite's name; a -k selection runs no suite completely.
        if stage == "suites":
            return [] if keyword else ran
        return [stage]

    run = GateRun(
        target=label,
        strict=strict,
        baseline=baseline,
        profile=profile,
        seed=seed,
        project=str(project) if project else None,
        covered=covered,
    )
    finished = run_gate(stages, bus, run)
    if baseline_update and baseline.path is not None and finished.verdict not in ("pass", "fail"):
        click.echo(f"baseline not written: the run did not complete ({finished.verdict})", err=True)
    elif baseline_update and baseline.path is not None:
        entries, added, dropped = baseline.updated(run.results, target=label, covered=run.covered_suites, strict=strict)
        write_baseline(baseline.path, entries)
        click.echo(f"baseline written: {baseline.path} ({len(entries)} entries: {added} new, {dropped} stale dropped)")
    ctx.exit(finished.exit_code)
