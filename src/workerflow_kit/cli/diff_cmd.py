"""``workerflow-kit diff``: compare two contract sets and classify every change as error, warning or info."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from workerflow_kit.cli.options import path_option
from workerflow_kit.contracts.compat import (
    FAIL_ON,
    RULES,
    FailOn,
    Override,
    build_report,
    load_contract_set,
    load_overrides,
)
from workerflow_kit.contracts.compat_report import FORMATS, render, verdict_line
from workerflow_kit.errors import FileProblem, KitError

USAGE_EXIT = 2


def _rules_epilog() -> str:
    width = max(len(rule_id) for rule_id in RULES)
    lines = ["\b", "Rules (id, default level):"]
    lines.extend(f"  {rule.id:<{width}}  {rule.level}" for rule in RULES.values())
    return "\n".join(lines)


def _fail(message: str) -> NoReturn:
    # SystemExit rather than click's Exit: the kit's entry point runs click with standalone_mode=False,
    # where click turns Exit into a return value and the exit code would be lost.
    click.echo(f"error: {message}", err=True)
    raise SystemExit(USAGE_EXIT)


@click.command(
    "diff",
    epilog=_rules_epilog(),
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: grouped by level with a verdict line; json: one document; junit: JUnit XML, a test case per rule.",
)
@path_option(
    "--output",
    "-o",
    dir_okay=False,
    help="Write the report to FILE instead of stdout (the verdict line still goes to stdout).",
)
@path_option(
    "--overrides",
    help="A YAML or JSON file that raises, lowers or ignores rules (schemas/compat-overrides.schema.json).",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at or above this level; never: always exit 0 after a comparison.",
)
def diff(*, old: str, new: str, fmt: str, output: Path | None, overrides: Path | None, fail_on: FailOn) -> None:
    """Compare an OLD and a NEW contract set and say which changes break callers.

    Routes are matched on routePath and schedules on id. Every change gets a rule id and a level: error
    (breaking: a route or schedule gone, requestType, wrapBody or cron changed, a schedule disabled, a dead
    duplicate), warning (labels such as flowPath, target or timeZone, extra keys, a schedule no trigger fires)
    or info (additions, order).

    \b
    Each side is one of:
      a folder with routes.v1.json and/or schedules.v1.json (a contracts/ folder)
      a folder holding contracts/, or a WorkerFlow checkout (cloudflare/ or the
        repository root; its workers/*/wrangler.jsonc give the cron triggers)
      a JSON or YAML file: {"routes": [...], "schedules": [...], "triggers": [...]}
        (each key optional), or just a route array or a schedule array
      @bundled: the WorkerFlow v0.1 baseline shipped inside the kit

    \b
    Exit codes: 0 nothing at or above --fail-on, 1 something is, 2 bad usage or unreadable input.

    \b
    Examples:
      workerflow-kit diff contracts/ ../workerflow/cloudflare
      workerflow-kit diff @bundled new-routes.json --fail-on warning
      workerflow-kit diff old.yaml new.yaml --overrides compat-overrides.yaml
      workerflow-kit diff contracts/ ../workerflow --format junit -o compat.xml
    """
    try:
        loaded_overrides: tuple[Override, ...] = () if overrides is None else load_overrides(overrides)
        old_set = load_contract_set(old)
        new_set = load_contract_set(new)
    except KitError as exc:
        _fail(exc.render())
    if old_set.holds != new_set.holds:
        _fail(
            f"cannot compare: OLD ({old}) holds {' and '.join(old_set.holds)} but NEW ({new}) holds "
            f"{' and '.join(new_set.holds)}; give both sides the same lists"
        )
    report = build_report(old_set, new_set, loaded_overrides, fail_on)
    text = render(report, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(FileProblem(f"cannot write report ({exc.strerror or exc})", path=output).render())
        click.echo(f"{verdict_line(report)}; {fmt} report written to {output}")
    if report.failing:
        raise SystemExit(1)


__all__ = ["diff"]
