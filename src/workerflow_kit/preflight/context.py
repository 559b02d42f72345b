"""Everything the preflight checks read, located once: the project, its manifest, and the files around it.

Two layouts are supported. The **bundled baseline** is the kit's own data: contracts, the wrangler facts file,
the example config and infra files; its handlers are the reference runtime's registry. A **checkout** is
upstream's ``cloudflare/`` folder (or the repository root holding it): the manifest is read from
``shared/routes.ts`` / ``shared/schedules.ts`` when they exist (else the contract files stand in for it), the
handler tables from the workflow worker's ``handlers/*/index.ts``, and the infra file, docs and
``.dev.vars.example`` from the folder or the repository root above it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from workerflow_kit import resources
from workerflow_kit.contracts import models
from workerflow_kit.contracts.documents import read_text
from workerflow_kit.contracts.models import RouteDefinition, ScheduleDefinition
from workerflow_kit.contracts.project import ROUTES_FILE, SCHEDULES_FILE, Project, load_project
from workerflow_kit.errors import FileProblem
from workerflow_kit.preflight.typescript import TypeScriptLiteralError, array_literal

__all__ = ["HANDLER_INDEXES", "INFRA_FILE", "MANIFEST_SOURCES", "ManifestSource", "PreflightContext", "load_context"]

INFRA_FILE = Path("infra/cloudflare.resources.json")
BUNDLED_INFRA_FILE = Path("contracts/examples/cloudflare.resources.example.json")
BUNDLED_TOPOLOGY_FILE = Path("contracts/wrangler/workers.v1.json")
BUNDLED_EXAMPLES = Path("contracts/examples")
CONFIG_EXAMPLES = Path("config")
#: The TypeScript manifest: file and the exported array's name.
MANIFEST_SOURCES = {
    "routes": (Path("shared/routes.ts"), "ROUTES"),
    "schedules": (Path("shared/schedules.ts"), "SCHEDULES"),
}
#: The workflow worker's handler tables: file and the exported object's name.
HANDLER_INDEXES = {
    "http": (Path("workers/workflow/src/handlers/http/index.ts"), "HTTP_ROUTE_HANDLERS"),
    "cron": (Path("workers/workflow/src/handlers/cron/index.ts"), "CRON_SCHEDULE_HANDLERS"),
}


@dataclass(frozen=True)
class ManifestSource:
    """The built-in manifest the workers serve, where it came from, and why it could not be read (if so)."""

    routes: tuple[RouteDefinition, ...]
    schedules: tuple[ScheduleDefinition, ...]
    routes_file: Path
    schedules_file: Path
    source: str
    problems: tuple[tuple[Path, str], ...] = ()


@dataclass(frozen=True)
class PreflightContext:
    """What the checks read. ``base`` is what paths are shown relative to; ``repo_root`` holds ``infra/``."""

    project: Project
    base: Path
    repo_root: Path
    manifest: ManifestSource
    infra_file: Path | None
    config_examples: tuple[Path, ...]
    doc_files: tuple[Path, ...] = field(default=())

    @property
    def bundled(self) -> bool:
        return self.project.bundled

    @property
    def root(self) -> Path:
        return self.project.root

    def show(self, path: Path) -> str:
        """A path as the report prints it: relative to what the user pointed at (``../`` where needed)."""
        try:
            return os.path.relpath(path, self.base)
        except ValueError:  # another drive on Windows
            return str(path)

    def wrangler_file(self, worker_dir: str) -> Path | None:
        """The worker's wrangler file in a checkout (``None`` for the bundled baseline)."""
        if self.bundled:
            return None
        for name in ("wrangler.jsonc", "wrangler.json"):
            candidate = self.root / "workers" / worker_dir / name
            if candidate.is_file():
                return candidate
        return None

    def wrangler_files(self) -> list[Path]:
        files = [self.wrangler_file(worker.dir) for worker in self.project.topology.workers]
        return [path for path in files if path is not None]


def _models(items: list[Any], model: type[Any], path: Path, problems: list[tuple[Path, str]]) -> tuple[Any, ...]:
    parsed = []
    for index, item in enumerate(items):
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = "/".join(str(part) for part in (index, *first["loc"]))
            problems.append((path, f"item /{where}: {first['msg']}"))
    return tuple(parsed)


def _checkout_manifest(project: Project) -> ManifestSource:
    routes_ts, routes_name = MANIFEST_SOURCES["routes"]
    schedules_ts, schedules_name = MANIFEST_SOURCES["schedules"]
    root = project.root
    if not (root / routes_ts).is_file() and not (root / schedules_ts).is_file():
        # A contracts-only layout: the reference runtime serves the contract files as its manifest.
        return ManifestSource(
            project.routes, project.schedules, root / ROUTES_FILE, root / SCHEDULES_FILE, "contracts/*.v1.json"
        )
    problems: list[tuple[Path, str]] = []
    lists: dict[str, tuple[Any, ...]] = {}
    for key, (relative, name, model) in {
        "routes": (routes_ts, routes_name, RouteDefinition),
        "schedules": (schedules_ts, schedules_name, ScheduleDefinition),
    }.items():
        path = root / relative
        try:
            lists[key] = _models(array_literal(read_text(path), name), model, path, problems)
        except (FileProblem, TypeScriptLiteralError) as exc:
            problems.append((path, exc.message if isinstance(exc, FileProblem) else str(exc)))
            lists[key] = project.routes if key == "routes" else project.schedules
    return ManifestSource(
        lists["routes"], lists["schedules"], root / routes_ts, root / schedules_ts, "shared/*.ts", tuple(problems)
    )


def _bundled_context(project: Project) -> PreflightContext:
    data = resources.data_root()
    manifest = ManifestSource(
        models.builtin_routes(),
        models.builtin_schedules(),
        data / ROUTES_FILE,
        data / SCHEDULES_FILE,
        "the reference runtime's built-in manifest",
    )
    examples = tuple(sorted((data / BUNDLED_EXAMPLES).glob("*.config.example.json")))
    infra = data / BUNDLED_INFRA_FILE
    return PreflightContext(project, data, data, manifest, infra if infra.is_file() else None, examples)


def _doc_files(folders: list[Path]) -> tuple[Path, ...]:
    found: list[Path] = []
    for folder in dict.fromkeys(folders):
        for candidate in (folder / ".dev.vars.example", folder / "README.md"):
            if candidate.is_file():
                found.append(candidate)
        docs = folder / "docs"
        if docs.is_dir():
            found.extend(sorted(docs.rglob("*.md")))
    return tuple(found)


def load_context(path: Path | None) -> PreflightContext:
    """Load the project (raising the loader's one-line errors) and locate the files around it."""
    project = load_project(path)
    if project.bundled or path is None:
        return _bundled_context(project)
    root = project.root
    # Upstream keeps infra/ and most docs at the repository root, one level above cloudflare/.
    above = not (root / INFRA_FILE).is_file() and ((root.parent / INFRA_FILE).is_file() or root.name == "cloudflare")
    repo_root = root.parent if above else root
    infra = repo_root / INFRA_FILE
    examples = tuple(sorted((root / CONFIG_EXAMPLES).glob("*.example.json")))
    return PreflightContext(
        project=project,
        base=Path(path),
        repo_root=repo_root,
        manifest=_checkout_manifest(project),
        infra_file=infra if infra.is_file() else None,
        config_examples=examples,
        doc_files=_doc_files([root, repo_root]),
    )
