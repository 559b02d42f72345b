"""``bootstrap apply --local``: a local reference environment, the offline twin of the Cloudflare resources.

One SQLite file per D1 database (``DIR/<d1 name>.sqlite``) with the migrations applied the way
``wrangler d1 migrations apply`` does, and the queue persisted in the same file (the reference queue keeps its
pending messages there), so ``workerflow-kit serve --db DIR/<name>.sqlite`` picks both up. Running it again
finds what exists and applies only new migrations.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from workerflow_kit.bootstrap.spec import ResourceSpec
from workerflow_kit.errors import FileProblem, KitError
from workerflow_kit.runtime.bindings.d1 import D1Database, D1MigrationError, default_migrations_dir
from workerflow_kit.runtime.bindings.queue import TABLE as QUEUE_TABLE
from workerflow_kit.runtime.bindings.queue import QueueRegistry

__all__ = ["LocalAction", "apply_local", "database_file", "resolve_migrations"]

Outcome = Literal["created", "found", "applied", "up to date"]


@dataclass(frozen=True)
class LocalAction:
    resource: str
    name: str
    outcome: Outcome
    detail: str

    def render(self) -> str:
        return f"{self.resource} {self.name}: {self.outcome} ({self.detail})"


def database_file(spec: ResourceSpec, directory: Path) -> Path:
    return directory / f"{spec.d1_name}.sqlite"


def resolve_migrations(spec: ResourceSpec, override: Path | None = None) -> tuple[Path, str]:
    """The migrations folder and how it was chosen: ``override``, else the file's ``d1.migrations_dir`` (relative
    to the repository root, i.e. the folder above ``infra/``), else the kit's bundled v0.1 migrations."""
    if override is not None:
        if not override.is_dir():
            raise FileProblem("no such migrations folder", path=override)
        return override, "--migrations"
    if not spec.bundled:
        for base in (spec.path.parent.parent, spec.path.parent):
            candidate = base / spec.migrations_dir
            if candidate.is_dir():
                return candidate, "d1.migrations_dir"
    return default_migrations_dir(), "the kit's bundled v0.1 migrations"


def _queue_table_exists(db_file: Path) -> bool:
    connection = sqlite3.connect(db_file)
    try:
        row = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (QUEUE_TABLE,)
        ).fetchone()
    finally:
        connection.close()
    return row is not None


def apply_local(spec: ResourceSpec, directory: Path, migrations: Path | None = None) -> list[LocalAction]:
    """Create (or find) the database file, apply pending migrations, and create (or find) the queue."""
    if directory.exists() and not directory.is_dir():
        raise FileProblem("expected a directory for the local environment, got a file", path=directory)
    migrations_dir, chosen_by = resolve_migrations(spec, migrations)
    directory.mkdir(parents=True, exist_ok=True)
    db_file = database_file(spec, directory)
    existed = db_file.is_file()
    actions = [
        LocalAction("d1 database", spec.d1_name, "found" if existed else "created", str(db_file)),
    ]
    try:
        with D1Database.open(db_file, migrations_dir) as db:
            applied_now = db.applied_migrations
            total = len(db.query("SELECT name FROM d1_migrations"))
    except D1MigrationError as exc:
        raise KitError(f"migration {exc.migration} failed: {exc.__cause__ or exc}", path=exc.path) from None
    if applied_now:
        source = chosen_by if chosen_by.startswith("the kit") else f"{migrations_dir}, from {chosen_by}"
        detail = f"{', '.join(applied_now)}; {source}"
        actions.append(LocalAction("migrations", spec.d1_name, "applied", detail))
    else:
        actions.append(LocalAction("migrations", spec.d1_name, "up to date", f"{total} applied earlier"))
    queue_existed = existed and _queue_table_exists(db_file)
    registry = QueueRegistry(path=db_file)
    try:
        queue = registry.get_or_create(spec.queue_name)
        pending = queue.pending_count()
    finally:
        registry.close()
    where = f"messages persist in table {QUEUE_TABLE} of {db_file.name}"
    if queue_existed:
        where = f"{pending} pending messages; {where}"
    actions.append(LocalAction("queue", spec.queue_name, "found" if queue_existed else "created", where))
    return actions
