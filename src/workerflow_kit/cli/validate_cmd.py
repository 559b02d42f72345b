"""``workerflow-kit validate``: check config files, queue tasks and fixtures against the kit's JSON Schemas.

Output is one line per problem, ``FILE: /json/pointer: message``, so editors and CI annotate it easily. Every
file is checked even after a failure; the exit code is the worst seen: 0 all valid, 1 some content breaks its
schema, 2 a usage problem or a file that cannot be read or parsed.
"""

from __future__ import annotations

from pathlib import Path

import click

from workerflow_kit.contracts.schemas import KINDS, check_file
from workerflow_kit.errors import ContractError, FileProblem, KitError

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2

_KIND_HELP = {
    "routes-config": "ROUTES_CONFIG_JSON: a list of routes",
    "schedules-config": "SCHEDULES_CONFIG_JSON: a list of schedules",
    "queue-task": "a queue message / workflow /run-* body",
    "resources": "the Cloudflare infrastructure resource file",
    "route-fixture": 'fixture with "kind": "route"',
    "schedule-fixture": 'fixture with "kind": "schedule"',
    "handler-fixture": 'fixture with "kind": "handler"',
    "manifest-fixture": 'fixture with "kind": "manifest"',
    "runtime-config-fixture": 'fixture with "kind": "runtime-config"',
}

_HELP = """Check FILE... against the kit's JSON Schemas and report every problem.

JSON files are read as JSON; files ending in .yaml or .yml as YAML. The kind of each file is detected from its
content; pass --kind when detection cannot decide (the same kind then applies to every FILE).

Each problem is printed as FILE: /json/pointer: message, and each valid file as FILE: ok (KIND).
Exit status: 0 all files valid, 1 some file breaks its schema, 2 a usage error or a file that cannot be
read or parsed. All files are checked; the worst status wins.

\b
Examples:
  workerflow-kit validate routes.config.json
  workerflow-kit validate --kind schedules-config schedules.json
  workerflow-kit validate -q fixtures/*/*.json      # print problems only

\b
Kinds:
""" + "\n".join(f"  {name:<24}{_KIND_HELP.get(name, KINDS[name])}" for name in KINDS)


@click.command(help=_HELP, short_help="Check files against the kit's JSON Schemas.")
@click.option(
    "--kind",
    "-k",
    type=click.Choice(list(KINDS), case_sensitive=False),
    default=None,
    metavar="KIND",
    help="Validate every FILE as this kind (see Kinds above) instead of detecting it.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems, not the ok lines.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=True))
def validate(kind: str | None, quiet: bool, files: tuple[Path, ...]) -> None:
    worst = EXIT_OK
    invalid = unreadable = 0
    for path in files:
        try:
            used_kind, findings = check_file(path, kind.lower() if kind else None)
        except KitError as exc:
            click.echo(f"error: {exc.render()}", err=True)
            unreadable += 1
            worst = max(worst, EXIT_UNREADABLE)
            continue
        except (RecursionError, MemoryError):
            click.echo(f"error: {path}: document too large or nested too deeply to check", err=True)
            unreadable += 1
            worst = max(worst, EXIT_UNREADABLE)
            continue
        except Exception as exc:  # never a traceback: report and move on to the next file
            click.echo(f"error: {path}: unexpected failure while checking ({type(exc).__name__}: {exc})", err=True)
            unreadable += 1
            worst = max(worst, EXIT_UNREADABLE)
            continue
        if findings:
            invalid += 1
            worst = max(worst, EXIT_INVALID)
            for finding in findings:
                click.echo(f"{path}: {finding.location}: {finding.message}")
        elif not quiet:
            click.echo(f"{path}: ok ({used_kind})")

    total = len(files)
    if worst == EXIT_UNREADABLE:
        parts = [f"{unreadable} of {total} {_files(total)} could not be checked"]
        if invalid:
            parts.append(f"{invalid} {_files(invalid)} {_break(invalid)} {_schema(invalid)}")
        raise FileProblem("; ".join(parts))
    if worst == EXIT_INVALID:
        raise ContractError(f"{invalid} of {total} {_files(total)} {_break(invalid)} {_schema(invalid)}")


def _files(count: int) -> str:
    return "file" if count == 1 else "files"


def _break(count: int) -> str:
    return "breaks" if count == 1 else "break"


def _schema(count: int) -> str:
    return "its schema" if count == 1 else "their schemas"
