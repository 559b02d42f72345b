"""``workerflow-kit fuzz``: Schemathesis on the api and ops-dashboard OpenAPI documents, against any target.

A door into :mod:`workerflow_kit.fuzz` (the engine the ``openapi`` suite of ``check`` runs too): it builds the
target from its options, fuzzes the chosen documents, prints one line per operation (``-q`` hides them), one
line per check with its counts, and each distinct failure with a curl line that reproduces it (tokens
redacted), then the verdict line ``check`` prints. Exit codes are ``check``'s: 0 no required check failed
(``--strict``: no check at all), 1 a required check failed, 2 usage or configuration error, 3 the target is
unreachable or could not be started.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workerflow_kit.cli.check_cmd import EXIT_CONFIG, EXIT_UNREACHABLE, CheckEvent, Verdict
from workerflow_kit.cli.options import (
    import_runtime_factory,
    path_option,
    refuse,
    url_flags_given,
    url_target_options,
)

if TYPE_CHECKING:
    from workerflow_kit.fuzz import FuzzReport
    from workerflow_kit.targets import Target

__all__ = ["fuzz"]


def _target_options(
    target: str,
    *,
    api_url: str | None,
    ops_url: str | None,
    api_token: str | None,
    ops_token: str | None,
    allow_writes: bool | None,
    project: Path | None,
    runtime_factory: str | None,
) -> dict[str, Any]:
    """Keyword options of the chosen target, refusing flags that do not apply to it."""
    url_flags = url_flags_given({"api": api_url, "ops": ops_url}, allow_writes)
    if target == "url":
        refuse(target, [f for f, v in (("--project", project), ("--runtime-factory", runtime_factory)) if v])
        return {
            "api_url": api_url,
            "ops_url": ops_url,
            "api_token": api_token,
            "ops_token": ops_token,
            "allow_writes": allow_writes,
        }
    refuse(target, url_flags)
    if target == "served":
        refuse(target, ["--runtime-factory"] if runtime_factory else [])
        serve_args = ["--project", str(project)] if project is not None else []
        return {"serve_args": serve_args, "api_token": api_token, "ops_token": ops_token}
    refuse(target, [f for f, v in (("--api-token", api_token), ("--ops-token", ops_token)) if v])
    if runtime_factory and project is not None:
        raise click.UsageError("--project does not apply with --runtime-factory: give the factory the project")
    if runtime_factory:
        return {"runtime_factory": import_runtime_factory(runtime_factory)}
    return {"project": project}


def _unreachable(target: Target, documents: tuple[str, ...]) -> str | None:
    """What does not answer its health path, or ``None`` (a URL target is probed before fuzzing)."""
    from workerflow_kit.targets.base import health_problem

    for document in documents:  # the documents are named after their workers
        if target.has_worker(document):
            problem = health_problem(target.api if document == "api" else target.ops, document)
            if problem is not None:
                return problem
    return None


def _print_report(report: FuzzReport) -> list[CheckEvent]:
    """Per-check counts and every distinct failure; returns one event per check for the verdict."""
    events: list[CheckEvent] = []
    click.echo("")
    for tally in report.tallies.values():
        check = tally.check
        if tally.skipped:
            outcome, shown = "skipped", f"skipped: {tally.skipped}"
        elif tally.failed:
            distinct = sum(1 for f in report.failures if f.check_id == check.id)
            outcome, shown = "failed", f"{tally.checked} checked, {tally.failed} failed ({distinct} distinct)"
        elif tally.checked == 0:
            outcome, shown = "skipped", "skipped: no response in scope"
        else:
            outcome, shown = "passed", f"{tally.checked} checked, 0 failed"
        click.echo(f"{check.id:<34} {check.level.value:<12} {shown}")
        events.append(CheckEvent(check.id, check.level.value, outcome, 0.0, "", check.id))
    if report.failures:
        click.echo("\nFailures:")
        for failure in report.failures:
            times = f" (x{failure.occurrences})" if failure.occurrences > 1 else ""
            click.echo(failure.render() + times)
    for note in report.notes:
        click.echo(f"note: {note}")
    took = f"{report.seconds:.1f} s ({report.rate:.0f}/s)"
    click.echo(f"\n{report.cases} cases over {report.operations} operations in {took}")
    return events


@click.command(
    "fuzz",
    context_settings={"max_content_width": 110},
    epilog="""\b
Examples:
  workerflow-kit fuzz                                    # both documents against the reference, in process
  workerflow-kit fuzz --document api --max-examples 50 -q
  workerflow-kit fuzz --target served --max-time 60      # 'workerflow-kit serve' on loopback
  workerflow-kit fuzz --target url --api-url http://127.0.0.1:8787 --ops-url http://127.0.0.1:8789
                                                         # read-only: only GET/HEAD operations are fuzzed
  workerflow-kit fuzz --target url --api-url https://api.example.dev --api-token "$TOKEN" --allow-writes
  workerflow-kit check --suite openapi                   # the same checks as a pytest suite

\b
Output: one line per operation (cases sent), one per check (responses checked, failures), then each failure:
  [openapi.cors-origin-echoed | required] api POST /api/{routePath}: access-control-allow-origin is '*', ...
    reproduce: curl -X POST http://127.0.0.1:8787/api/webhook_echo -H 'origin: x' -H 'authorization: [REDACTED]'
  0 required failed, 0 recommended failed, 11 passed, 1 skipped

\b
Exit codes: 0 no required check failed (--strict: none failed), 1 a required check failed, 2 usage or
  configuration error, 3 target unreachable. The validation model (which answers the runtime legitimately
  gives to generated input) is the bundled schemathesis.toml.
""",
)
@click.option(
    "--target",
    type=click.Choice(["inprocess", "served", "url"]),
    default="inprocess",
    show_default=True,
    help="The reference in process, 'workerflow-kit serve' on loopback, or a running deployment by URL.",
)
@url_target_options(
    workers=("api", "ops"),
    allow_writes_help="url target: fuzz operations that store or enqueue too (or WORKERFLOW_ALLOW_WRITES=1). "
    "Default: GET/HEAD.",
)
@click.option(
    "--document",
    type=click.Choice(["api", "ops", "both"]),
    default="both",
    show_default=True,
    help="Which OpenAPI document: the api worker's, the ops dashboard's, or both.",
)
@click.option(
    "--max-examples",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Cases per operation and generation mode (examples, positive, negative).",
)
@click.option(
    "--max-time", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS", help="Stop after this."
)
@click.option("--seed", type=int, default=None, help="Hypothesis seed (default: derandomized, same cases each run).")
@path_option(
    "--project",
    metavar="PATH",
    file_okay=False,
    help="inprocess/served: a WorkerFlow checkout to run instead of the bundled v0.1 baseline.",
)
@click.option(
    "--runtime-factory",
    metavar="MODULE:CALLABLE",
    default=None,
    help="inprocess: build the runtime with this callable (custom wiring, or a deliberately broken runtime).",
)
@click.option("-q", "--quiet", is_flag=True, help="No per-operation progress lines.")
@click.option("--strict", is_flag=True, help="Failing recommended checks fail the run too (exit 1).")
@click.pass_context
def fuzz(
    ctx: click.Context,
    *,
    target: str,
    api_url: str | None,
    ops_url: str | None,
    api_token: str | None,
    ops_token: str | None,
    allow_writes: bool | None,
    document: str,
    max_examples: int,
    max_time: float | None,
    seed: int | None,
    project: Path | None,
    runtime_factory: str | None,
    quiet: bool,
    strict: bool,
) -> None:
    """Fuzz the api and ops-dashboard OpenAPI documents with Schemathesis and WorkerFlow-aware checks.

    Every response is checked against its document (schema, status, content type, headers, positive and
    negative data) and WorkerFlow's rules (CORS, trace id echo, error shape, duplicate trace id, auth, no 5xx).
    """
    from workerflow_kit.fuzz import FuzzOptions, TargetUnreachable
    from workerflow_kit.fuzz import fuzz as run_fuzz
    from workerflow_kit.targets import TargetError, create_target

    documents = ("api", "ops") if document == "both" else (document,)
    options = FuzzOptions(max_examples=max_examples, max_time=max_time, documents=documents, seed=seed)
    kwargs = _target_options(
        target,
        api_url=api_url,
        ops_url=ops_url,
        api_token=api_token,
        ops_token=ops_token,
        allow_writes=allow_writes,
        project=project,
        runtime_factory=runtime_factory,
    )
    if project is not None:
        from workerflow_kit.contracts.project import load_project

        load_project(project)  # a KitError (exit 2) names what is wrong with the checkout
    try:
        built = create_target(target, **kwargs)
    except TargetError as exc:
        # A server that did not start is unreachable; bad configuration (a missing URL) is a usage error.
        code = EXIT_UNREACHABLE if target == "served" else EXIT_CONFIG
        click.echo(f"error: {exc.render()}", err=True)
        ctx.exit(code)
    with built:
        problem = _unreachable(built, documents) if target == "url" else None
        if problem is not None:
            click.echo(f"error: target unreachable: {problem}", err=True)
            ctx.exit(EXIT_UNREACHABLE)
        click.echo(
            f"fuzzing {' and '.join(documents)} against target '{built.name}': {max_examples} cases per operation "
            f"and mode{f', at most {max_time:g} s' if max_time else ''}"
        )
        progress = None if quiet else click.echo
        try:
            report = run_fuzz(built, options, on_progress=progress)
        except TargetUnreachable as exc:
            click.echo(f"error: target unreachable: {exc.render()}", err=True)
            ctx.exit(EXIT_UNREACHABLE)
    verdict = Verdict.of(_print_report(report))
    click.echo(verdict.line())
    ctx.exit(verdict.exit_code(strict=strict))
