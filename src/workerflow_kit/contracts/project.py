"""Load the contract set the kit works against: the bundled v0.1 baseline, or a user's WorkerFlow checkout.

A checkout is the folder holding ``contracts/``, ``migrations/d1/``, ``workers/*/wrangler.jsonc`` and usually
``schemas/`` and ``openapi.json`` (upstream's ``cloudflare/`` folder). Pointing at the repository root that
contains ``cloudflare/`` works too. Every missing or unreadable file is reported, not just the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from workerflow_kit import resources
from workerflow_kit.contracts.documents import load_document, parse_jsonc, read_text
from workerflow_kit.contracts.models import RouteDefinition, ScheduleDefinition
from workerflow_kit.contracts.topology import (
    Topology,
    WorkerFacts,
    load_topology_file,
    topology_from_workers,
    worker_from_wrangler,
)
from workerflow_kit.errors import FileProblem, KitError

ROUTES_FILE = Path("contracts/routes.v1.json")
SCHEDULES_FILE = Path("contracts/schedules.v1.json")
MIGRATIONS_DIR = Path("migrations/d1")
WORKERS_DIR = Path("workers")
BUNDLED_MIGRATIONS_DIR = Path("contracts/migrations/d1")
BUNDLED_TOPOLOGY_FILE = Path("contracts/wrangler/workers.v1.json")
BUNDLED_LABEL = "bundled WorkerFlow v0.1 baseline"


class ProjectError(KitError):
    """A checkout that cannot be loaded; lists every problem found, one line each."""

    def __init__(self, root: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"cannot load WorkerFlow project ({len(problems)} problem{'s' if len(problems) != 1 else ''})",
            path=root,
        )

    def render(self) -> str:
        return "\n".join([super().render(), *(f"  - {problem}" for problem in self.problems)])


@dataclass(frozen=True)
class Project:
    """One resolved contract set: manifest, migrations, deployment topology and API documents."""

    label: str
    root: Path
    bundled: bool
    routes: tuple[RouteDefinition, ...]
    schedules: tuple[ScheduleDefinition, ...]
    migrations: tuple[Path, ...]
    topology: Topology
    openapi_path: Path | None
    schemas_dir: Path | None

    @property
    def migrations_dir(self) -> Path:
        return self.migrations[0].parent if self.migrations else self.root / MIGRATIONS_DIR


def _read_items(path: Path, model: type[RouteDefinition] | type[ScheduleDefinition]) -> list[Any]:
    document = load_document(path)
    if not isinstance(document, list):
        raise FileProblem(f"expected a JSON array of {model.__name__} objects", path=path)
    items = []
    for index, item in enumerate(document):
        try:
            items.append(model.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = "/".join(str(part) for part in (index, *first["loc"]))
            raise FileProblem(first["msg"], path=path, pointer=f"/{where}") from None
    return items


def _migration_files(folder: Path) -> tuple[Path, ...]:
    if not folder.is_dir():
        raise FileProblem("no migrations folder (expected NNNN_name.sql files)", path=folder)
    files = tuple(sorted(folder.glob("*.sql")))
    if not files:
        raise FileProblem("migrations folder holds no .sql files", path=folder)
    return files


def load_bundled() -> Project:
    """The baseline shipped inside the kit."""
    root = resources.data_root()
    return Project(
        label=BUNDLED_LABEL,
        root=root,
        bundled=True,
        routes=tuple(_read_items(root / ROUTES_FILE, RouteDefinition)),
        schedules=tuple(_read_items(root / SCHEDULES_FILE, ScheduleDefinition)),
        migrations=_migration_files(root / BUNDLED_MIGRATIONS_DIR),
        topology=load_topology_file(root / BUNDLED_TOPOLOGY_FILE),
        openapi_path=resources.openapi_path(),
        schemas_dir=resources.schemas_dir(),
    )


def _checkout_root(path: Path) -> Path:
    if not path.exists():
        raise FileProblem("no such directory", path=path)
    if not path.is_dir():
        raise FileProblem("expected a directory (a WorkerFlow checkout), got a file", path=path)
    nested = path / "cloudflare"
    if not (path / "contracts").is_dir() and (nested / "contracts").is_dir():
        return nested
    return path


def _load_workers(root: Path, problems: list[str]) -> list[WorkerFacts]:
    folder = root / WORKERS_DIR
    configs = sorted(folder.glob("*/wrangler.jsonc")) + sorted(folder.glob("*/wrangler.json"))
    if not configs:
        problems.append(f"{folder}: no workers/*/wrangler.jsonc files")
        return []
    workers = []
    for config_path in configs:
        try:
            config = parse_jsonc(read_text(config_path), config_path)
            if not isinstance(config, dict):
                raise FileProblem("expected a JSON object", path=config_path)
            workers.append(worker_from_wrangler(config_path.parent.name, config, config_path))
        except FileProblem as exc:
            problems.append(exc.render())
    return workers


def load_checkout(path: Path) -> Project:
    """Load a user's WorkerFlow checkout, reporting every problem at once."""
    root = _checkout_root(path)
    problems: list[str] = []

    def attempt(loader: Any, *args: Any) -> Any:
        try:
            return loader(*args)
        except FileProblem as exc:
            problems.append(exc.render())
            return None

    routes = attempt(_read_items, root / ROUTES_FILE, RouteDefinition)
    schedules = attempt(_read_items, root / SCHEDULES_FILE, ScheduleDefinition)
    migrations = attempt(_migration_files, root / MIGRATIONS_DIR)
    workers = _load_workers(root, problems)
    if problems:
        raise ProjectError(root, problems)
    openapi = root / "openapi.json"
    schemas = root / "schemas"
    return Project(
        label=str(path),
        root=root,
        bundled=False,
        routes=tuple(routes),
        schedules=tuple(schedules),
        migrations=migrations,
        topology=topology_from_workers(workers),
        openapi_path=openapi if openapi.is_file() else None,
        schemas_dir=schemas if schemas.is_dir() else None,
    )


def load_project(path: Path | str | None = None) -> Project:
    """The bundled baseline when ``path`` is None, else the checkout at ``path``."""
    return load_bundled() if path is None else load_checkout(Path(path))
