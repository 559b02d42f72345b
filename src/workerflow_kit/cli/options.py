"""Option shapes several commands share: optional path options, the url target's flags, refusing flags a target
ignores, and importing a ``--runtime-factory``.

::

    @click.command()
    @url_target_options(workers=("api", "ops"), allow_writes_help="url target: ...")
    def fuzz(*, api_url, ops_url, api_token, ops_token, allow_writes, ...): ...

The flags keep each command's help where it says something of its own (``help={"--ops-url": ...}``); the
rest read the same everywhere.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

import click

if TYPE_CHECKING:
    from workerflow_kit.targets.inprocess import RuntimeFactory

__all__ = [
    "URL_FLAGS",
    "URL_WORKERS",
    "import_runtime_factory",
    "path_option",
    "refuse",
    "target_options",
    "url_flags_given",
    "url_target_options",
]

F = TypeVar("F", bound=Callable[..., object])

URL_WORKERS: Final = ("api", "ops", "workflow", "scheduler")
"""The workers a url target reaches by base URL, in the order their flags are declared."""

URL_FLAGS: Final = ("--api-url", "--ops-url", "--workflow-url", "--scheduler-url", "--allow-writes")
"""Flags that only mean something to ``--target url``."""

ALLOW_WRITES_HELP: Final = (
    "url target: run checks that store or enqueue (or WORKERFLOW_ALLOW_WRITES=1). Default: read-only."
)

_URL_HELP: Final[Mapping[str, str]] = {
    "--api-url": "url target: api worker base URL (or WORKERFLOW_API_URL).",
    "--ops-url": "url target: ops dashboard base URL (or WORKERFLOW_OPS_URL).",
    "--workflow-url": "url target: workflow worker base URL (or WORKERFLOW_WORKFLOW_URL).",
    "--scheduler-url": (
        "url target: scheduler base URL with wrangler's /__scheduled door (or WORKERFLOW_SCHEDULER_URL)."
    ),
    "--api-token": "Token sent to the api worker (or WORKERFLOW_API_TOKEN).",
    "--ops-token": "Token sent to the ops dashboard (or WORKERFLOW_OPS_TOKEN).",
}


def _stacked(options: Sequence[Callable[[F], F]]) -> Callable[[F], F]:
    """One decorator applying ``options`` so that ``--help`` lists them in the order given."""

    def decorate(function: F) -> F:
        for option in reversed(options):  # click lists options in the order the decorators are written
            function = option(function)
        return function

    return decorate


def path_option(
    *param_decls: str, help: str, metavar: str = "FILE", file_okay: bool = True, dir_okay: bool = True
) -> Callable[[F], F]:
    """An optional path option (``None`` when not given), handed to the command as a :class:`~pathlib.Path`."""
    kind = click.Path(path_type=Path, file_okay=file_okay, dir_okay=dir_okay)
    return click.option(*param_decls, type=kind, default=None, metavar=metavar, help=help)


def url_target_options(
    *,
    workers: Sequence[str] = URL_WORKERS,
    allow_writes_help: str = ALLOW_WRITES_HELP,
    help: Mapping[str, str] | None = None,
) -> Callable[[F], F]:
    """``--<worker>-url`` for each of ``workers``, ``--api-token``, ``--ops-token`` and ``--allow-writes``.

    In that order in ``--help``; the parameters are ``<worker>_url``, ``api_token``, ``ops_token`` (each
    ``str | None``) and ``allow_writes`` (``True`` or ``None``, so a config file's value can stand).
    ``help`` replaces a flag's standard help text (keys are flag names).
    """
    unknown = [worker for worker in workers if worker not in URL_WORKERS]
    if unknown:
        raise ValueError(f"url targets have no {', '.join(unknown)} worker")
    texts = {**_URL_HELP, **(help or {})}
    options = [click.option(f"--{w}-url", metavar="URL", help=texts[f"--{w}-url"]) for w in workers]
    options += [
        click.option("--api-token", metavar="TOKEN", help=texts["--api-token"]),
        click.option("--ops-token", metavar="TOKEN", help=texts["--ops-token"]),
        click.option("--allow-writes", is_flag=True, default=None, help=allow_writes_help),
    ]
    return _stacked(options)


def target_options() -> Callable[[F], F]:
    """``--target KIND|NAME``, ``--config FILE`` and the live-mode limits ``--routes``, ``--rps``,
    ``--request-budget`` and ``--timeout``: the parameters ``target``, ``config_file``, ``routes`` (a tuple),
    ``rps``, ``request_budget`` and ``timeout`` (``None`` when not given, so a config file's value can stand)."""
    options = [
        click.option(
            "--target",
            default=None,
            metavar="KIND|NAME",
            help="inprocess (the reference in process), served ('workerflow-kit serve' on loopback), url (a running "
            "deployment), or a target name of the config file. Default: the file's default-target, else inprocess.",
        ),
        path_option(
            "--config",
            "config_file",
            dir_okay=False,
            help="The kit config file (default: ./workerflow-kit.toml, else [tool.workerflow-kit] in "
            "./pyproject.toml).",
        ),
        click.option(
            "--routes",
            multiple=True,
            metavar="NAMES",
            help="url: route paths (and schedule:<id>) checks may invoke; comma-separated, repeatable, '*' for all. "
            "Default: none.",
        ),
        click.option(
            "--rps",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            metavar="N",
            help="url: at most N requests per second, all workers together (default 10).",
        ),
        click.option(
            "--request-budget",
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help="url: at most N requests in the run, retries included (default 500).",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            metavar="SECONDS",
            help="url: seconds per request (default 30).",
        ),
    ]
    return _stacked(options)


def url_flags_given(urls: Mapping[str, str | None], allow_writes: bool | None) -> list[str]:
    """The url-target flags given a value, by name: ``urls`` maps workers (see :data:`URL_WORKERS`) to URLs."""
    given = [f"--{worker}-url" for worker in URL_WORKERS if urls.get(worker)]
    return [*given, "--allow-writes"] if allow_writes else given


def refuse(target: str, flags: Iterable[str]) -> None:
    """A usage error naming ``flags`` when any is given: they do not apply to ``--target target``."""
    given = list(flags)
    if given:
        raise click.UsageError(f"{', '.join(given)} do(es) not apply to --target {target}")


def import_runtime_factory(spec: str) -> RuntimeFactory:
    """``MODULE:CALLABLE`` imported as ``--runtime-factory`` names it: from the current folder first, as with
    ``python -m``, then the installed packages (a :class:`~workerflow_kit.targets.TargetError` when it cannot be)."""
    from workerflow_kit.targets.inprocess import load_runtime_factory

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return load_runtime_factory(spec)
