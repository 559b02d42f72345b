"""``workerflow-kit serve``: run the reference runtime's workers on loopback ports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workerflow_kit.cli.options import import_runtime_factory, path_option
from workerflow_kit.contracts.documents import load_document
from workerflow_kit.contracts.manifest import MODE_VAR, ROUTES_VAR, SCHEDULES_VAR
from workerflow_kit.contracts.schemas import validate_file
from workerflow_kit.errors import FileProblem, KitError

if TYPE_CHECKING:
    from workerflow_kit.targets.inprocess import RuntimeFactory

_MAX_FINDINGS_SHOWN = 5

# The same numbers as workerflow_kit.runtime.serve.DEFAULT_PORTS, repeated here so that `workerflow-kit --help`
# and the other commands do not pay for importing the runtime.
DEFAULT_PORTS = {"api": 8787, "workflow": 8788, "ops-dashboard": 8789, "scheduler": 8790}
DEFAULT_CONTROL_PORT = 8791
_DEFAULT_VIRTUAL_START = datetime(2026, 1, 1, tzinfo=UTC)  # VirtualClock's own default start


def _config_value(path: Path, kind: str) -> str:
    """Validate a routes/schedules config file with the kit's schema and return it as the env var's JSON text."""
    if not path.is_file():
        raise FileProblem("no such file" if not path.exists() else "expected a file", path=path)
    findings = validate_file(path, kind)
    if findings:
        shown = "; ".join(str(finding) for finding in findings[:_MAX_FINDINGS_SHOWN])
        more = f" (and {len(findings) - _MAX_FINDINGS_SHOWN} more)" if len(findings) > _MAX_FINDINGS_SHOWN else ""
        raise KitError(f"not a valid {kind} file: {shown}{more}", path=path)
    if path.suffix.lower() == ".json":
        return path.read_text(encoding="utf-8-sig")
    return json.dumps(load_document(path), ensure_ascii=False, separators=(",", ":"))


def build_env(
    env_items: tuple[str, ...],
    env_file: Path | None,
    manifest_mode: str | None,
    routes_config: Path | None,
    schedules_config: Path | None,
) -> dict[str, str]:
    """The user env, lowest precedence first: ``--env-file``, then ``--env``, then the manifest options."""
    from workerflow_kit.runtime.serve import parse_env_assignment, parse_env_file

    env: dict[str, str] = {}
    if env_file is not None:
        env.update(parse_env_file(env_file))
    for item in env_items:
        key, value = parse_env_assignment(item)
        env[key] = value
    if routes_config is not None:
        env[ROUTES_VAR] = _config_value(routes_config, "routes-config")
    if schedules_config is not None:
        env[SCHEDULES_VAR] = _config_value(schedules_config, "schedules-config")
    if manifest_mode is not None:
        env[MODE_VAR] = manifest_mode
    elif (routes_config or schedules_config) and MODE_VAR not in env:
        # The config variables are read in config mode only; asking for them implies it.
        env[MODE_VAR] = "config"
    return env


def _port(value: int, option: str) -> int:
    if not 0 <= value <= 65535:
        raise KitError(f"{option} {value} is out of range (0-65535; 0 picks a free port)")
    return value


@click.command(
    "serve",
    epilog="""\b
Examples:
  workerflow-kit serve                                  # api on :8787 ... scheduler on :8790
  workerflow-kit serve --env CHAT_WEBHOOK_URL=https://chat.example/in --env-file .dev.vars
  workerflow-kit serve --db state.sqlite                # runs, dead letters and queued messages survive
  workerflow-kit serve --routes-config routes.json --schedules-config schedules.json
  workerflow-kit serve --api-port 0 --workflow-port 0 --ops-port 0 --scheduler-port 0   # free ports
  WORKERFLOW_CONTROL_SECRET=s3cret workerflow-kit serve --control --virtual-clock   # for tests (see the kit docs)
  workerflow-kit serve --control --runtime-factory mypkg.runtimes:broken          # serve a custom runtime

\b
Then:
  curl -X POST localhost:8787/api/webhook_echo -H 'content-type: application/json' -d '{"hi":1}'
  curl "localhost:8790/__scheduled?cron=0+0+*+*+*"       # run a cron event now (wrangler --test-scheduled)
  curl localhost:8789/health
""",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--api-port", type=int, default=DEFAULT_PORTS["api"], show_default=True, help="API worker port.")
@click.option(
    "--workflow-port", type=int, default=DEFAULT_PORTS["workflow"], show_default=True, help="Workflow worker port."
)
@click.option(
    "--ops-port", type=int, default=DEFAULT_PORTS["ops-dashboard"], show_default=True, help="Ops dashboard port."
)
@click.option(
    "--scheduler-port",
    type=int,
    default=DEFAULT_PORTS["scheduler"],
    show_default=True,
    help="Scheduler port (GET /__scheduled?cron=...).",
)
@click.option(
    "--env",
    "env_items",
    multiple=True,
    metavar="KEY=VALUE",
    help="A var or secret every worker sees (repeatable; beats --env-file).",
)
@path_option("--env-file", help="Dotenv file of vars and secrets, like wrangler's .dev.vars.")
@click.option(
    "--manifest-mode",
    type=click.Choice(["legacy", "config"]),
    default=None,
    help="Sets MANIFEST_MODE (config is implied by --routes-config/--schedules-config).",
)
@path_option("--routes-config", help="Routes config (schema-checked), passed as ROUTES_CONFIG_JSON.")
@path_option("--schedules-config", help="Schedules config (schema-checked), passed as SCHEDULES_CONFIG_JSON.")
@path_option("--db", help="SQLite file for D1 and the queue, so state survives a restart (default: in memory).")
@path_option("--project", metavar="PATH", help="A WorkerFlow checkout to serve (default: the bundled v0.1 baseline).")
@click.option(
    "--queue-profile",
    type=click.Choice(["cloudflare", "miniflare"]),
    default=None,
    help="Queue consumer settings (default: the project's wrangler consumer settings).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="Log level of the workers' logs (stderr).",
)
@click.option(
    "--control",
    is_flag=True,
    help="Also serve the control door (drain, clock, env, read-only SQL, outbound stubs) for tests, behind "
    "the secret in WORKERFLOW_CONTROL_SECRET (generated and shown on stderr when unset).",
)
@click.option("--control-port", type=int, default=DEFAULT_CONTROL_PORT, show_default=True, help="Control door port.")
@click.option(
    "--virtual-clock",
    "virtual_clock",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[START_ISO]",
    help="Run on a virtual clock starting at START_ISO (UTC; default 2026-01-01T00:00:00Z) that moves only "
    "through the control door; the queue then delivers on the door's drain. Needs --control.",
)
@click.option(
    "--runtime-factory",
    metavar="MODULE:CALLABLE",
    default=None,
    help="Serve the runtime this callable builds (a Runtime or an awaitable of one), imported from the current "
    "folder or the installed packages; it chooses project, clock and D1, and --env is laid over its env.",
)
@click.option(
    "--exit-with-parent",
    is_flag=True,
    help="Stop when the process that started serve exits (for test runners and scripts).",
)
def serve(
    *,
    host: str,
    api_port: int,
    workflow_port: int,
    ops_port: int,
    scheduler_port: int,
    env_items: tuple[str, ...],
    env_file: Path | None,
    manifest_mode: str | None,
    routes_config: Path | None,
    schedules_config: Path | None,
    db: Path | None,
    project: Path | None,
    queue_profile: str | None,
    log_level: str,
    control: bool,
    control_port: int,
    virtual_clock: str | None,
    runtime_factory: str | None,
    exit_with_parent: bool,
) -> None:
    """Serve the api, workflow, ops-dashboard and scheduler workers on loopback, like `wrangler dev`.

    The queue consumer and the cron triggers run in the background on the real clock. Prints one
    "<worker> <url>" line per worker, then "ready". Ctrl-C or SIGTERM stops it cleanly.
    """
    from workerflow_kit.runtime.serve import ServeConfig, run_serve

    ports = {
        "api": _port(api_port, "--api-port"),
        "workflow": _port(workflow_port, "--workflow-port"),
        "ops-dashboard": _port(ops_port, "--ops-port"),
        "scheduler": _port(scheduler_port, "--scheduler-port"),
    }
    env = build_env(env_items, env_file, manifest_mode, routes_config, schedules_config)
    if db is not None and not db.parent.is_dir():
        raise FileProblem("the folder for the --db file does not exist", path=db.parent)
    if db is not None and db.is_dir():
        raise FileProblem("--db expects a file, got a directory", path=db)
    if virtual_clock is not None and not control:
        raise click.UsageError("--virtual-clock needs --control: only the control door moves a virtual clock")
    factory = _runtime_factory(runtime_factory, virtual_clock=virtual_clock, project=project, db=db)
    run_serve(
        ServeConfig(
            host=host,
            ports=ports,
            env=env,
            project=project,
            db=db,
            queue_profile=queue_profile,  # type: ignore[arg-type]
            log_level=log_level,
            control=control,
            control_port=_port(control_port, "--control-port"),
            virtual_clock=None if virtual_clock is None else _start_time(virtual_clock),
            runtime_factory=factory,
            exit_with_parent=exit_with_parent,
        )
    )


def _start_time(text: str) -> datetime:
    """``--virtual-clock``'s start: an ISO 8601 time (naive means UTC); empty means the clock's default start."""
    if not text.strip():
        return _DEFAULT_VIRTUAL_START
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"expected an ISO 8601 time such as 2026-01-01T00:00:00Z, got {text!r}", param_hint="'--virtual-clock'"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _runtime_factory(
    spec: str | None, *, virtual_clock: str | None, project: Path | None, db: Path | None
) -> RuntimeFactory | None:
    """Import ``MODULE:CALLABLE`` (the current folder first, as ``python -m`` does); refuse options it owns."""
    if spec is None:
        return None
    owned = [
        flag
        for flag, value in (("--virtual-clock", virtual_clock), ("--project", project), ("--db", db))
        if value is not None
    ]
    if owned:
        raise click.UsageError(f"{', '.join(owned)} do(es) not apply with --runtime-factory: the factory chooses them")
    return import_runtime_factory(spec)
