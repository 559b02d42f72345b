"""The kit's configuration file: named targets and run defaults, so a team writes them down once.

Where it is read from, first match wins:

1. ``--config FILE`` (a ``workerflow-kit.toml``-style file, or a ``pyproject.toml`` whose
   ``[tool.workerflow-kit]`` table holds the settings);
2. ``workerflow-kit.toml`` in the current folder;
3. the ``[tool.workerflow-kit]`` table of ``pyproject.toml`` in the current folder.

::

    default-target = "staging"
    profile = "ci"
    baseline = "gate-baseline.json"       # accepted findings the release gate reads (relative to this file)

    [targets.staging]
    kind = "url"
    api-url = "https://api.staging.example.com"
    ops-url = "https://ops.staging.example.com"
    api-token-env = "STAGING_API_TOKEN"   # the NAME of the variable holding the token, never the token
    ops-token-env = "STAGING_OPS_TOKEN"
    allow-writes = true
    routes = ["webhook_echo", "schedule:cleanup_daily"]
    rps = 5
    request-budget = 300
    timeout = 20

    [targets.local]
    kind = "served"

The content is checked against ``schemas/kit-config.schema.json`` (``workerflow-kit validate --kind
kit-config`` knows it too); a problem is reported with the file and the JSON pointer of the value:
``workerflow-kit.toml: /targets/staging/rps: expected a number > 0, got -1``. A token written into the file
(``api-token = "..."``) is refused with a pointer to the ``-env`` key that replaces it.

:func:`load_kit_config` reads it; :meth:`KitConfig.target_options` turns a named target into the kind and
keyword arguments :func:`workerflow_kit.targets.create_target` takes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from workerflow_kit.contracts.documents import parse_toml, read_text
from workerflow_kit.contracts.schemas import Finding, json_pointer, validate_document
from workerflow_kit.errors import FileProblem, KitError

__all__ = [
    "CONFIG_FILE",
    "PYPROJECT_TABLE",
    "TARGET_KINDS",
    "ChosenTarget",
    "KitConfig",
    "KitConfigError",
    "TargetConfig",
    "choose_target",
    "find_kit_config",
    "load_kit_config",
    "parse_kit_config",
    "resolve_target",
]

TARGET_KINDS: Final = ("inprocess", "served", "url")
CONFIG_FILE: Final = "workerflow-kit.toml"
PYPROJECT: Final = "pyproject.toml"
PYPROJECT_TABLE: Final = ("tool", "workerflow-kit")
KIND: Final = "kit-config"


class KitConfigError(KitError):
    """The config file breaks its schema or names something that does not exist. Every finding is kept in
    :attr:`findings`; the message is the first one, and says how many more there are."""

    def __init__(self, path: str, findings: list[Finding], *, prefix: tuple[str, ...] = ()) -> None:
        self.findings = findings
        self.prefix = prefix
        first = findings[0]
        more = f" (and {len(findings) - 1} more problem(s))" if len(findings) > 1 else ""
        super().__init__(first.message + more, path=path, pointer=self._pointer(first))

    def _pointer(self, finding: Finding) -> str:
        return json_pointer((*self.prefix, *finding.path)) or "/"

    def lines(self) -> list[str]:
        """Every finding as ``FILE: /pointer: message``."""
        return [f"{self.path}: {self._pointer(f)}: {f.message}" for f in self.findings]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=lambda name: name.replace("_", "-"), populate_by_name=True, extra="forbid", frozen=True
    )


class TargetConfig(_Model):
    """One named target of the file (keys as in the file, with ``-`` for ``_``)."""

    kind: Literal["url", "served", "inprocess"]
    api_url: str | None = None
    ops_url: str | None = None
    workflow_url: str | None = None
    scheduler_url: str | None = None
    api_token_env: str | None = None
    ops_token_env: str | None = None
    allow_writes: bool | None = None
    routes: tuple[str, ...] | None = None
    rps: float | None = None
    request_budget: int | None = None
    timeout: float | None = None
    project: str | None = None


class KitConfig(_Model):
    """The whole file. ``path`` is where it was read from; relative paths in it are relative to its folder."""

    path: Path = Field(exclude=True)
    default_target: str | None = None
    profile: Literal["quick", "ci", "thorough"] | None = None
    baseline: str | None = None
    targets: dict[str, TargetConfig] = Field(default_factory=dict)

    @property
    def baseline_path(self) -> Path | None:
        """The baseline file, resolved against the config file's folder (``None`` when not set)."""
        return None if self.baseline is None else self.path.parent / self.baseline

    def target(self, name: str) -> TargetConfig:
        """The target called ``name``; a :class:`KitError` naming the known ones otherwise."""
        try:
            return self.targets[name]
        except KeyError:
            known = ", ".join(sorted(self.targets)) or "none"
            raise KitError(
                f"no target named {name!r}: use one of {', '.join(TARGET_KINDS)} or a target of this file ({known})",
                path=self.path,
            ) from None

    def target_options(self, name: str, *, environ: Mapping[str, str] | None = None) -> tuple[str, dict[str, Any]]:
        """``(kind, keyword arguments)`` for target ``name``: for a url target, the keywords of
        :class:`~workerflow_kit.targets.UrlTarget`; for the others, ``project`` when the file sets one.

        Only the settings the file gives are included, so an absent one keeps its default (or its
        ``WORKERFLOW_*`` variable). Tokens are read from the variables the file names; a named variable that
        is unset is an error, not a silent anonymous run."""
        target = self.target(name)
        env = os.environ if environ is None else environ
        if target.kind != "url":
            # The served target takes a project through its serve arguments; callers map "project" for it.
            project = None if target.project is None else str(self.path.parent / target.project)
            return target.kind, {} if project is None else {"project": project}
        options = {
            key: value
            for key, value in (
                ("api_url", target.api_url),
                ("ops_url", target.ops_url),
                ("workflow_url", target.workflow_url),
                ("scheduler_url", target.scheduler_url),
                ("allow_writes", target.allow_writes),
                ("routes", target.routes),
                ("rps", target.rps),
                ("request_budget", target.request_budget),
                ("timeout", target.timeout),
            )
            if value is not None
        }
        for keyword, variable, key in (
            ("api_token", target.api_token_env, "api-token-env"),
            ("ops_token", target.ops_token_env, "ops-token-env"),
        ):
            if variable is None:
                continue
            token = env.get(variable)
            if token is None or not token.strip():
                raise KitError(
                    f"environment variable {variable} is not set (named by {key})",
                    path=self.path,
                    pointer=json_pointer(("targets", name, key)),
                )
            options[keyword] = token
        return "url", options


def find_kit_config(cwd: Path | None = None) -> Path | None:
    """The config file of folder ``cwd`` (default: the current one), or ``None``: ``workerflow-kit.toml``,
    else a ``pyproject.toml`` that has a ``[tool.workerflow-kit]`` table."""
    folder = Path.cwd() if cwd is None else cwd
    own = folder / CONFIG_FILE
    if own.is_file():
        return own
    pyproject = folder / PYPROJECT
    if pyproject.is_file() and _pyproject_table(_read_toml(pyproject), pyproject, required=False) is not None:
        return pyproject
    return None


def load_kit_config(path: Path | None = None, *, cwd: Path | None = None) -> KitConfig | None:
    """Read and check the config file: ``path`` when given (it must exist), else the one :func:`find_kit_config`
    finds in ``cwd``; ``None`` when there is none. Problems raise :class:`KitConfigError` or
    :class:`~workerflow_kit.errors.FileProblem` (exit code 2 in the CLI), naming the file and JSON pointer."""
    chosen = path if path is not None else find_kit_config(cwd)
    if chosen is None:
        return None
    document = _read_toml(chosen)
    prefix: tuple[str, ...] = ()
    if chosen.name == PYPROJECT:
        table = _pyproject_table(document, chosen, required=True)
        assert table is not None  # required=True raises instead
        document, prefix = table, PYPROJECT_TABLE
    return parse_kit_config(document, chosen, prefix=prefix)


def parse_kit_config(document: Any, path: Path, *, prefix: tuple[str, ...] = ()) -> KitConfig:
    """Check a parsed config document (``prefix``: where it sits in its file, for the pointers) and model it."""
    findings = validate_document(document, KIND)
    if not findings and isinstance(document, dict):
        default = document.get("default-target")
        targets = document.get("targets", {})
        if default is not None and default not in targets:
            known = ", ".join(f'"{name}"' for name in sorted(targets)) or "none"
            findings = [Finding.at(("default-target",), f'no target named "{default}" under targets (known: {known})')]
    if findings:
        raise KitConfigError(str(path), findings, prefix=prefix)
    settings = {key: value for key, value in document.items() if key != "$schema"}  # for editors only
    return KitConfig.model_validate({**settings, "path": path})


@dataclass(frozen=True)
class ChosenTarget:
    """What a ``--target`` choice resolved to: the kind, its keyword options from the config file (empty for a
    bare kind), the config file read (``None`` when there is none) and the name asked for."""

    kind: str
    options: dict[str, Any]
    config: KitConfig | None
    name: str


def choose_target(
    name: str | None,
    *,
    config_path: Path | None = None,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ChosenTarget:
    """Resolve ``--target NAME`` against the config file (``config_path``, else the one found in ``cwd``).

    ``None`` is the file's ``default-target``, else ``inprocess``. A kind (``inprocess``, ``served``, ``url``)
    is itself with no options; any other name is a target of the file, resolved with
    :meth:`KitConfig.target_options`. An unknown name is a :class:`KitError` that lists the choices."""
    config = load_kit_config(config_path, cwd=cwd)
    chosen = name if name is not None else (config.default_target if config is not None else None) or "inprocess"
    if chosen in TARGET_KINDS:
        return ChosenTarget(chosen, {}, config, chosen)
    if config is None:
        raise KitError(
            f"unknown target {chosen!r}: use one of {', '.join(TARGET_KINDS)}, or a target name of {CONFIG_FILE} "
            "(none found in the current folder; --config FILE names one)"
        )
    kind, options = config.target_options(chosen, environ=environ)
    return ChosenTarget(kind, options, config, chosen)


def resolve_target(
    name: str,
    *,
    config_path: Path | None = None,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """``(kind, options)`` of :func:`choose_target` for an explicit name. A bare kind reads no file."""
    if name in TARGET_KINDS:
        return name, {}
    chosen = choose_target(name, config_path=config_path, cwd=cwd, environ=environ)
    return chosen.kind, chosen.options


def _read_toml(path: Path) -> dict[str, Any]:
    return parse_toml(read_text(path), path)


def _pyproject_table(document: dict[str, Any], path: Path, *, required: bool) -> dict[str, Any] | None:
    table: Any = document
    for key in PYPROJECT_TABLE:
        table = table.get(key) if isinstance(table, dict) else None
    if table is None and required:
        raise FileProblem("has no [tool.workerflow-kit] table", path=path)
    if table is not None and not isinstance(table, dict):
        raise FileProblem("[tool.workerflow-kit] must be a table", path=path, pointer="/tool/workerflow-kit")
    return table
