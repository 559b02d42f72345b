"""``workerflow-kit preflight``: is a WorkerFlow checkout (or the bundled baseline) ready to deploy?"""

from __future__ import annotations

import json
from pathlib import Path

import click

from workerflow_kit.preflight import run_preflight


@click.command(
    epilog="""\b
Examples:
  workerflow-kit preflight                       # the bundled v0.1 baseline
  workerflow-kit preflight ../workerflow          # a checkout (repository root or its cloudflare/ folder)
  workerflow-kit preflight ../workerflow --strict # warnings fail too (use before a real deploy)
  workerflow-kit preflight --json | jq '.results[] | select(.status != "ok")'

\b
Output: one line per finding, "[ok|warn|fail] CHECK-ID: FILE: /json/pointer: what is wrong", then
  preflight passed: 10 ok, 9 warn, 0 fail

\b
Checks: handlers-registered, manifest-matches-contract, crons-valid, schedules-fire, triggers-used,
  no-placeholders, queue-names, service-bindings, migrations-apply, config-examples-valid, infra-schema,
  infra-own-schema, env-documented (each id prefixed "preflight.").
Warnings are things a working deploy survives: placeholders in a fresh clone, schedules that never fire
  by themselves (upstream v0.1 ships two), the infra file's "$schema" key its own schema rejects.
Exit codes: 0 no failures, 1 failures (or warnings with --strict), 2 unreadable project or usage error.
""",
)
@click.argument("project", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
@click.option("--strict", is_flag=True, help="Count warnings as failures.")
@click.pass_context
def preflight(ctx: click.Context, project: Path | None, as_json: bool, strict: bool) -> None:
    """Check that a WorkerFlow checkout is ready to deploy: handlers, contract, crons, wiring, migrations, files.

    PROJECT is a checkout (the repository root or its cloudflare/ folder); without it, the bundled baseline.
    """
    report = run_preflight(project)
    if as_json:
        click.echo(json.dumps(report.to_json(strict), indent=2))
    else:
        click.echo(f"Preflight: {report.project}")
        for result in report.results:
            click.echo(result.render())
        click.echo(report.summary(strict))
    ctx.exit(1 if report.failed(strict) else 0)
