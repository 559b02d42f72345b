"""``workerflow-kit fixtures new|validate|run``: write fixtures from real runs, check them, run them.

The command is a thin door into :mod:`workerflow_kit.authoring`: ``new`` records a skeleton on the reference
runtime in process (:mod:`~workerflow_kit.authoring.skeleton`), ``validate`` checks files against their kind's
schema (:mod:`~workerflow_kit.authoring.files`), ``run`` runs route, handler and schedule fixtures against a target
(:mod:`~workerflow_kit.authoring.runner`) and prints a pointer-based diff for each mismatch.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import click

from workerflow_kit.cli.options import url_flags_given, url_target_options
from workerflow_kit.errors import ContractError, FileProblem, KitError

if TYPE_CHECKING:
    from workerflow_kit.runtime.stack import Runtime
    from workerflow_kit.targets.base import Target

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_UNREACHABLE", "EXIT_USAGE", "fixtures"]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_UNREACHABLE: Final = 3


@click.group(short_help="Write fixtures from real runs, validate them, run them against a target.")
def fixtures() -> None:
    """Fixture tools for handler authors: record, validate and run route, schedule and handler fixtures.

    \b
    Examples:
      workerflow-kit fixtures new --route webhook_echo --payload '{"hello": "world"}'
      workerflow-kit fixtures validate my-fixtures/
      workerflow-kit fixtures run my-fixtures/routes/webhook_echo.recorded.json
    """


# ------------------------------------------------------------------------------------------------ shared


def _env(pairs: Sequence[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--env takes NAME=VALUE, got {pair!r}")
        env[name.strip()] = value
    return env


def _register(spec: str) -> Callable[[Any], object]:
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise click.UsageError(f"--handlers takes MODULE:CALLABLE, got {spec!r}")
    try:
        found: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        raise KitError(f"--handlers {spec}: cannot load it ({exc})") from None
    if not callable(found):
        raise KitError(f"--handlers {spec}: not callable")
    register: Callable[[Any], object] = found
    return register


def _factory(env: dict[str, str], handler_specs: Sequence[str]) -> Callable[[], Any] | None:
    """A runtime factory registering the user's handlers (``None``: the default runtime will do)."""
    if not handler_specs:
        return None
    registers = [_register(spec) for spec in handler_specs]

    async def build() -> Runtime:
        from workerflow_kit.runtime.handlers.registry import builtin_registry, load_entry_point_handlers
        from workerflow_kit.runtime.stack import Runtime

        registry = builtin_registry()
        load_entry_point_handlers(registry)
        for register in registers:
            register(registry)
        return await Runtime.start(env=env, handlers=registry)

    return build


_ENV_OPTION = click.option(
    "--env",
    "env_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A variable every worker of the in-process runtime sees (repeatable), e.g. MANIFEST_MODE=config.",
)
_HANDLERS_OPTION = click.option(
    "--handlers",
    "handler_specs",
    multiple=True,
    metavar="MODULE:CALLABLE",
    help="A callable that registers your Python handlers on the registry it is given (repeatable; in process).",
)


# ------------------------------------------------------------------------------------------------ new


def _payload(text: str) -> Any:
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise FileProblem(f"{path}: cannot read the payload ({exc.strerror or exc})") from None
        where = str(path)
    else:
        where = "--payload"
    try:
        return json.loads(text)
    except ValueError as exc:
        raise KitError(f"{where}: not valid JSON ({exc})") from None


@fixtures.command("new", short_help="Record a fixture from a real run on the reference runtime.")
@click.option("--route", metavar="ROUTE", help="Record POST /api/ROUTE (its payload from --payload).")
@click.option("--schedule", metavar="ID", help="Record the cron event of schedule ID and the tasks it enqueues.")
@click.option("--payload", default="{}", show_default=True, help="The request body as JSON, or @FILE to read it.")
@click.option(
    "--time", "when", metavar="ISO", help="The event's scheduled time (schedules; default 2026-02-28T12:00Z)."
)
@_ENV_OPTION
@_HANDLERS_OPTION
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Where to write the fixture.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def new(
    *,
    route: str | None,
    schedule: str | None,
    payload: str,
    when: str | None,
    env_pairs: tuple[str, ...],
    handler_specs: tuple[str, ...],
    out: Path | None,
    force: bool,
) -> None:
    """Write a fixture skeleton filled from a real run on the reference runtime (in process).

    For --route: the request, the answer's status and body fields, the task it queued (or null), whether
    the workflow ran inline, the run a queued task ended in, and the same request again (a duplicate).
    For --schedule: the schedule's cron fired once, and the tasks that event enqueued. Timestamps and
    UUIDs are left out, so the fixture passes on the next run. Review it: it records what the runtime
    does, not what it should do.

    \b
    Examples:
      workerflow-kit fixtures new --route webhook_echo --payload '{"hello": "world"}'
      workerflow-kit fixtures new --route lead_normalizer --payload @lead.json --env GOOGLEAI_API_KEY=x
      workerflow-kit fixtures new --schedule heartbeat_hourly --time 2026-03-01T00:00:00.000Z
      workerflow-kit fixtures new --route invoice_created --handlers my_pkg.handlers:register \\
          --env MANIFEST_MODE=config --env ROUTES_CONFIG_JSON=@routes.json --out fixtures/routes/invoice.json

    The default --out is fixtures/routes/ROUTE.recorded.json (or fixtures/schedules/ID.recorded.json);
    an existing file is kept unless --force is given. Exit codes: 0 written, 2 usage error.
    """
    from workerflow_kit.authoring.skeleton import DEFAULT_EVENT_TIME, record_route, record_schedule

    if (route is None) == (schedule is None):
        raise click.UsageError("give exactly one of --route ROUTE or --schedule ID")
    env = {name: _file_value(value) for name, value in _env(env_pairs).items()}
    factory = _factory(env, handler_specs)
    if route is not None:
        target = out or Path("fixtures") / "routes" / f"{route}.recorded.json"
        _refuse_overwrite(target, force)
        document = record_route(route, _payload(payload), env=env, runtime_factory=factory)
    else:
        assert schedule is not None
        target = out or Path("fixtures") / "schedules" / f"{schedule}.recorded.json"
        _refuse_overwrite(target, force)
        moment = _moment(when) if when else DEFAULT_EVENT_TIME
        document = record_schedule(schedule, env=env, when=moment, runtime_factory=factory)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"wrote {document['kind']} fixture {document['id']} to {target}")


def _file_value(value: str) -> str:
    """``@FILE`` values are read from the file (a config JSON is easier to keep in a file than on a line)."""
    if not value.startswith("@"):
        return value
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileProblem(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise KitError(f"{path} exists; pass --force to overwrite it")


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"expected an ISO time like 2026-02-28T12:00:00.000Z, got {text!r}") from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"give a UTC time ending in Z, got {text!r}")
    return moment


# ------------------------------------------------------------------------------------------------ validate


@fixtures.command("validate", short_help="Check fixture files against their schemas.")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems, not the ok lines.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(quiet: bool, paths: tuple[Path, ...]) -> None:
    """Check fixture files (or folders of them) against their kind's schema; default: the bundled fixtures.

    A file's kind comes from its folder (routes/, schedules/, handlers/, manifests/, runtime-config/) or
    else from its "kind" field. Each problem is one line, FILE: /json/pointer: message; each valid file
    is FILE: ok (KIND).

    \b
    Examples:
      workerflow-kit fixtures validate                      # the fixtures shipped with the kit
      workerflow-kit fixtures validate my-fixtures/ extra/lead.json
      workerflow-kit fixtures validate -q my-fixtures/      # problems only

    Exit codes: 0 all valid, 1 some fixture breaks its schema, 2 a path that does not exist.
    """
    from workerflow_kit.authoring.files import collect, load

    files = [load(path) for path in collect(paths)]
    broken = 0
    for file in files:
        if file.problems:
            broken += 1
            for problem in file.problems:
                click.echo(problem)
        elif not quiet:
            click.echo(f"{file.path}: ok ({file.kind})")
    if broken:
        raise ContractError(f"{broken} of {len(files)} fixture file(s) break their schema")
    click.echo(f"{len(files)} fixture file(s) valid")


# ------------------------------------------------------------------------------------------------ run


@fixtures.command("run", short_help="Run fixtures against a target; diff each mismatch.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--target",
    type=click.Choice(["inprocess", "served", "url"]),
    default="inprocess",
    show_default=True,
    help="Where to run: the reference in process, 'workerflow-kit serve' on loopback, or URLs.",
)
@url_target_options(
    allow_writes_help="url target: send requests that store or enqueue.",
    help={
        "--ops-url": "url target: ops dashboard base URL (async runs are read there).",
        "--workflow-url": "url target: workflow worker base URL (handler fixtures).",
        "--scheduler-url": "url target: scheduler base URL.",
    },
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds to wait for an async run to finish.")  # fmt: skip
@_ENV_OPTION
@_HANDLERS_OPTION
@click.pass_context
def run(
    ctx: click.Context,
    *,
    paths: tuple[Path, ...],
    target: str,
    api_url: str | None,
    ops_url: str | None,
    workflow_url: str | None,
    scheduler_url: str | None,
    api_token: str | None,
    ops_token: str | None,
    allow_writes: bool | None,
    timeout: float,
    env_pairs: tuple[str, ...],
    handler_specs: tuple[str, ...],
) -> None:
    """Run route, handler and schedule fixtures against a target; print a diff per mismatch and a summary.

    Sync route fixtures compare the answer. Async ones compare the 202, then poll the ops dashboard's
    run detail until the run finishes (or --timeout passes) and compare its stored output. Handler
    fixtures run their task on the workflow's /run-sync. Schedule fixtures fire their cron event and
    compare the tasks it enqueued. The queued tasks and whether the workflow ran are seen in process;
    elsewhere that part is skipped, saying why. Manifest and runtime-config fixtures run in the suites
    (workerflow-kit check --fixtures DIR).

    \b
    Examples:
      workerflow-kit fixtures run                                # the bundled fixtures, in process
      workerflow-kit fixtures run my-fixtures/ --handlers my_pkg.handlers:register
      workerflow-kit fixtures run my-fixtures/routes --target url --api-url http://127.0.0.1:8787 \\
          --ops-url http://127.0.0.1:8789 --allow-writes           # wrangler dev, or a deployment

    \b
    A mismatch reads:
      FAIL route/lead_normalizer/sync-result (fixtures/routes/lead.json)
        /body/result/normalized/email: expected "ava@example.com", got "AVA@Example.COM"

    Exit codes: 0 no fixture failed, 1 some fixture failed, 2 usage error or invalid fixture files,
    3 target unreachable.
    """
    from workerflow_kit.authoring.files import collect, load
    from workerflow_kit.authoring.runner import Report, run_files

    files = [load(path) for path in collect(paths)]
    problems = [problem for file in files for problem in file.problems]
    if problems:
        raise FileProblem("fixture files that cannot run:\n" + "\n".join(f"  {p}" for p in problems))
    env = _env(env_pairs)
    urls = {"api": api_url, "ops": ops_url, "workflow": workflow_url, "scheduler": scheduler_url}
    given = url_flags_given(urls, allow_writes)
    if target != "url" and given:
        raise click.UsageError(f"{', '.join(given)} only appl(ies) to --target url")
    if target == "url" and (env or handler_specs):
        raise click.UsageError("--env and --handlers apply to the in-process and served targets only")
    if target == "served" and handler_specs:
        raise click.UsageError("--handlers applies to --target inprocess only")
    if target == "inprocess" and (api_token or ops_token):
        raise click.UsageError("--api-token and --ops-token do not apply to --target inprocess")
    reached = _open(
        ctx,
        target,
        env=env,
        handler_specs=handler_specs,
        urls=(api_url, ops_url, workflow_url, scheduler_url),
        tokens=(api_token, ops_token),
        allow_writes=allow_writes,
    )
    report = Report()
    with reached:
        for result in run_files(reached, files, timeout=timeout):
            report.add(result)
            for line in result.lines():
                click.echo(line)
    click.echo(report.line)
    ctx.exit(report.exit_code)


def _open(
    ctx: click.Context,
    kind: str,
    *,
    env: dict[str, str],
    handler_specs: Sequence[str],
    urls: tuple[str | None, str | None, str | None, str | None],
    tokens: tuple[str | None, str | None],
    allow_writes: bool | None,
) -> Target:

    from workerflow_kit.targets import InProcessTarget, ServedTarget, TargetError, UrlTarget
    from workerflow_kit.targets.base import health_problem

    api_url, ops_url, workflow_url, scheduler_url = urls
    api_token, ops_token = tokens
    if kind == "inprocess":
        factory = _factory(env, handler_specs)
        return InProcessTarget(runtime_factory=factory) if factory is not None else InProcessTarget(env=env)
    try:
        if kind == "served":
            serve_args = [part for name, value in env.items() for part in ("--env", f"{name}={value}")]
            return ServedTarget(serve_args=serve_args, api_token=api_token, ops_token=ops_token)
    except TargetError as exc:
        click.echo(f"error: target unavailable: {exc.render()}", err=True)
        ctx.exit(EXIT_UNREACHABLE)
    reached = UrlTarget(
        api_url=api_url,
        ops_url=ops_url,
        workflow_url=workflow_url,
        scheduler_url=scheduler_url,
        api_token=api_token,
        ops_token=ops_token,
        allow_writes=allow_writes,
    )
    problem = health_problem(reached.api, "api")
    if problem is not None:
        reached.close()
        click.echo(f"error: target unreachable: {problem}", err=True)
        ctx.exit(EXIT_UNREACHABLE)
    return reached
