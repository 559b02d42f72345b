"""``workerflow-kit bootstrap plan|apply``: the Cloudflare resources of a WorkerFlow deployment."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from workerflow_kit.bootstrap import (
    CloudflareClient,
    apply_local,
    apply_remote,
    build_plan,
    load_spec,
    plan_document,
    planned_calls,
    resolve_account,
)
from workerflow_kit.bootstrap.remote import ACCOUNT_ENV, TOKEN_ENV, follow_up
from workerflow_kit.errors import KitError

RESOURCES_OPTION = click.option(
    "--resources",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="The infra resources file. Default: infra/cloudflare.resources.json here or one folder up "
    "(upstream's layout), else the kit's bundled example.",
)


@click.group()
def bootstrap() -> None:
    """Plan and create the Cloudflare resources (D1 database, queue) a WorkerFlow deployment needs."""


@bootstrap.command(
    epilog="""\b
Examples:
  workerflow-kit bootstrap plan                              # from infra/cloudflare.resources.json
  workerflow-kit bootstrap plan --resources infra/cloudflare.resources.json --json

\b
--json prints {"specPath", "applyMode", "plan": [{"id", "cmd"}]} with the step ids wrangler_login, create_d1,
create_queue, apply_d1_local_migrations, apply_d1_remote_migrations, set_workflow_secret_example,
deploy_workers, notes (the shape of upstream's bootstrap script). Commands run from the cloudflare/ folder.
""",
)
@RESOURCES_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan(resources: Path | None, as_json: bool) -> None:
    """Print the steps that create and deploy a WorkerFlow environment."""
    spec = load_spec(resources)
    if as_json:
        click.echo(json.dumps(plan_document(spec), indent=2))
        return
    click.echo(f"Bootstrap plan for {spec.shown} (run from the cloudflare/ folder):")
    for number, step in enumerate(build_plan(spec), start=1):
        click.echo(f"{number}. {step.id}: {step.cmd}")


@bootstrap.command(
    epilog=f"""\b
Examples:
  workerflow-kit bootstrap apply --local .wf-local           # SQLite + queue, then: serve --db .wf-local/<d1>.sqlite
  {ACCOUNT_ENV}=... workerflow-kit bootstrap apply --dry-run   # the API calls, none made
  {ACCOUNT_ENV}=... {TOKEN_ENV}=... workerflow-kit bootstrap apply

\b
Remote apply lists before it creates, so running it twice is safe: an existing database or queue is reported
as "found". The account id comes from {ACCOUNT_ENV} (else the file's account_id); the token only from
{TOKEN_ENV}, and it is never printed. Values still holding REPLACE_WITH_ placeholders are refused.
Rate limits (HTTP 429) are retried up to 3 times, waiting what Retry-After asks (at most 60 s each).
Exit codes: 0 done, 1 Cloudflare refused (credentials, rate limit, API error), 2 bad input, 3 unreachable.
""",
)
@RESOURCES_OPTION
@click.option(
    "--local",
    "local_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    metavar="DIR",
    help="Create a local reference environment in DIR instead of calling Cloudflare.",
)
@click.option(
    "--migrations",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    metavar="DIR",
    help="--local: the D1 migrations to apply (default: the file's d1.migrations_dir, else the bundled ones).",
)
@click.option("--dry-run", is_flag=True, help="Show the Cloudflare API calls without making them.")
def apply(resources: Path | None, local_dir: Path | None, migrations: Path | None, dry_run: bool) -> None:
    """Create the D1 database and the queue (on Cloudflare, or locally with --local), idempotently."""
    spec = load_spec(resources)
    if local_dir is not None:
        if dry_run:
            raise click.UsageError("--dry-run applies to the Cloudflare apply, not to --local")
        for local in apply_local(spec, local_dir, migrations):
            click.echo(local.render())
        return
    if migrations is not None:
        raise click.UsageError("--migrations only applies with --local (remote migrations: see 'bootstrap plan')")
    account = resolve_account(spec, os.environ)
    spec.require_real("/d1/name", "/queue/name")
    if dry_run:
        click.echo(f"Would call (token from {TOKEN_ENV}, not shown):")
        for call in planned_calls(spec, account):
            click.echo(f"  {call.render()}")
        return
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise KitError(f"{TOKEN_ENV} is not set; create an API token with D1 Edit and Queues Edit and export it")
    with CloudflareClient(token) as client:
        actions = apply_remote(spec, client, account)
    for action in actions:
        click.echo(action.render())
    for note in follow_up(spec, actions):
        click.echo(f"next: {note}")
