"""``workerflow-kit contracts``: look at the contract set the kit works against."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from workerflow_kit.contracts.cron import CronSyntaxError
from workerflow_kit.contracts.cron import parse as parse_cron
from workerflow_kit.contracts.project import Project, load_project

PROJECT_OPTION = click.option(
    "--project",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    metavar="PATH",
    help="A WorkerFlow checkout (its cloudflare/ folder, or the repository root). Default: the bundled baseline.",
)


@click.group()
def contracts() -> None:
    """Inspect contract sets: routes, schedules, cron triggers, queue settings and migrations."""


def _schedule_reach(project: Project) -> dict[str, str]:
    """Why each schedule can or cannot fire: the scheduler matches cron strings exactly against its triggers."""
    triggers = set(project.topology.trigger_crons)
    reach = {}
    for schedule in project.schedules:
        if not schedule.enabled:
            reach[schedule.id] = "no (disabled)"
        elif schedule.cron in triggers:
            reach[schedule.id] = "yes"
        else:
            reach[schedule.id] = f'no (no trigger "{schedule.cron}")'
    return reach


def _next_fire(cron: str, now: datetime) -> str:
    """The next fire time in Cloudflare's dialect, or why there is none (an invalid trigger is shown, not fatal)."""
    try:
        fire = parse_cron(cron).next_fire(now)
    except CronSyntaxError as exc:
        return f"invalid: {exc.message}"
    return "never" if fire is None else fire.strftime("%Y-%m-%d %H:%M %a")


def _as_json(project: Project) -> dict[str, Any]:
    consumer = project.topology.consumer_settings
    reach = _schedule_reach(project)
    return {
        "label": project.label,
        "root": str(project.root),
        "routes": [route.model_dump(mode="json") for route in project.routes],
        "schedules": [
            {**schedule.model_dump(mode="json"), "firesAutomatically": reach[schedule.id] == "yes"}
            for schedule in project.schedules
        ],
        "triggers": [
            {"cron": cron, "schedules": [s.id for s in project.schedules if s.enabled and s.cron == cron]}
            for cron in project.topology.trigger_crons
        ],
        "queue": {"name": project.topology.queue, **(consumer.model_dump(mode="json") if consumer else {})},
        "migrations": [path.name for path in project.migrations],
        "workers": [
            {"dir": w.dir, "name": w.name, "entryPoints": list(w.entry_points)} for w in project.topology.workers
        ],
    }


def _print_tables(project: Project, console: Console) -> None:
    console.print(f"[bold]Contract set:[/bold] {project.label}  ({project.root})")

    routes = Table(title=f"Routes ({len(project.routes)})", title_justify="left")
    for column in ("routePath", "requestType", "wrapBody", "flowPath"):
        routes.add_column(column)
    for route in project.routes:
        routes.add_row(route.routePath, route.requestType, str(route.wrapBody).lower(), route.flowPath)
    console.print(routes)

    reach = _schedule_reach(project)
    schedules = Table(title=f"Schedules ({len(project.schedules)})", title_justify="left")
    for column in ("id", "cron", "enabled", "timeZone", "target", "fires automatically"):
        schedules.add_column(column)
    for schedule in project.schedules:
        schedules.add_row(
            schedule.id,
            schedule.cron,
            str(schedule.enabled).lower(),
            schedule.timeZone,
            schedule.target,
            reach[schedule.id],
        )
    console.print(schedules)

    triggers = Table(title=f"Cron triggers ({len(project.topology.trigger_crons)})", title_justify="left")
    triggers.add_column("cron")
    triggers.add_column("worker")
    triggers.add_column("schedules it fires")
    triggers.add_column("next fire (UTC)")
    now = datetime.now(UTC)
    for worker in project.topology.workers:
        for cron in worker.triggers:
            fired = [s.id for s in project.schedules if s.enabled and s.cron == cron]
            triggers.add_row(cron, worker.name, ", ".join(fired) or "none", _next_fire(cron, now))
    console.print(triggers)

    consumer = project.topology.consumer_settings
    if consumer is None:
        console.print(f"[bold]Queue:[/bold] {project.topology.queue or '(none)'} (no consumer)")
    else:
        console.print(
            f"[bold]Queue:[/bold] {consumer.queue}: batch {consumer.max_batch_size}, "
            f"timeout {consumer.max_batch_timeout:g} s, max retries {consumer.max_retries}, "
            f"dead-letter queue {consumer.dead_letter_queue or 'none'}"
        )
    console.print(f"[bold]Migrations:[/bold] {', '.join(path.name for path in project.migrations)}")
    console.print(f"[bold]Workers:[/bold] {', '.join(w.name for w in project.topology.workers)}")


@contracts.command("show")
@PROJECT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
def show(project: Path | None, as_json: bool) -> None:
    """Show the resolved routes, schedules, cron triggers, queue settings and migrations.

    Each schedule says whether it can fire by itself: Cloudflare's scheduler only enqueues schedules whose
    cron string equals one of the worker's trigger strings exactly.

    \b
    Examples:
      workerflow-kit contracts show
      workerflow-kit contracts show --project ../workerflow/cloudflare
      workerflow-kit contracts show --json | jq '.schedules'
    """
    loaded = load_project(project)
    if as_json:
        click.echo(json.dumps(_as_json(loaded), indent=2))
        return
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 120)
    _print_tables(loaded, console)
