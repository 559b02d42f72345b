"""`workerflow-kit cron`: check expressions against Cloudflare's cron dialect and list next fire times."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from workerflow_kit.contracts.cron import CronSyntaxError, parse


def _parse_after(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """``--after``: an ISO 8601 date or date-time; ``Z`` or an offset is honoured, none means UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date-time; use e.g. 2028-02-01T00:00:00Z or 2028-02-01"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    """JavaScript's ``Date.prototype.toISOString`` shape, which is what Workers log: ``...T17:00:00.000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@click.group()
def cron() -> None:
    """Cloudflare's cron dialect (Cron Triggers): validate expressions and preview fire times.

    \b
    Cloudflare's rules differ from POSIX cron:
      - five fields, minute hour day-of-month month day-of-week, always UTC;
      - day-of-week is 1-7 = SUN-SAT (1 is Sunday, 7 Saturday, 0 is rejected);
      - day-of-month takes L, LW, L-3, L-3W, 15W (weekday nearest the 15th);
      - day-of-week takes 6L (last Friday), 2#1 (first Monday);
      - if both day fields are restricted, a day matching either one fires.

    \b
    Examples:
      workerflow-kit cron check "0 17 * * sun" "10 7 * * 2-6"
      workerflow-kit cron next "0 18 * * 6L" --count 3
      workerflow-kit cron next "59 23 LW * *" --after 2028-02-01T00:00:00Z
    """


@cron.command()
@click.argument("expressions", nargs=-1, required=True, metavar="EXPR...")
def check(expressions: tuple[str, ...]) -> None:
    """Check each EXPR against Cloudflare's dialect: one line each, exit 1 if any is invalid.

    Quote every expression so the shell passes it as one argument.

    \b
    Examples:
      workerflow-kit cron check "0 17 * * sun"
          ok   0 17 * * sun
      workerflow-kit cron check "0 17 * * 0" "*/30 * * * *"
          fail 0 17 * * 0: day-of-week field "0": 0 is not a weekday ... use 1 or SUN for Sunday
          ok   */30 * * * *
    """
    failed = False
    for expression in expressions:
        try:
            parsed = parse(expression)
        except CronSyntaxError as error:
            failed = True
            click.echo(f"fail {expression}: {error.message}")
            continue
        click.echo(f"ok   {expression}")
        if not parsed.fires_ever:
            click.echo(f"note: {expression!r} is valid but never fires (no such day in its months)", err=True)
    if failed:
        raise SystemExit(1)


@cron.command(name="next")
@click.argument("expression", metavar="EXPR")
@click.option(
    "--after",
    metavar="ISO-DATETIME",
    callback=_parse_after,
    help="List fire times strictly after this ISO 8601 moment (default: now). Without Z/offset it is UTC.",
)
@click.option(
    "--count",
    "-n",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="How many fire times to list.",
)
def next_(expression: str, after: datetime | None, count: int) -> None:
    """Print the next fire times of EXPR in UTC, one per line, as Workers log them.

    \b
    Examples:
      workerflow-kit cron next "0 17 * * sun" --after 2028-02-01T00:00:00Z --count 2
          2028-02-06T17:00:00.000Z
          2028-02-13T17:00:00.000Z
      workerflow-kit cron next "59 23 LW * *" --after 2028-02-01   # last weekday of each month
    """
    start = after if after is not None else datetime.now(UTC)
    try:
        fires = parse(expression).next_fires(start, count)
    except CronSyntaxError as error:
        click.echo(f"error: {error.message}", err=True)
        raise SystemExit(1) from None
    for fire in fires:
        click.echo(_iso(fire))
    if not fires:
        click.echo(f"note: {expression!r} never fires after {_iso(start)}", err=True)
    elif len(fires) < count:
        click.echo(f"note: {expression!r} fires only {len(fires)} more time(s) after {_iso(start)}", err=True)
