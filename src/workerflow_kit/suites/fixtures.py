"""Fixture files for the fixture-driven checks: found, schema-checked, and turned into pytest parameters.

The bundled fixtures live in the kit's ``fixtures/`` folder, one sub-folder per kind; ``--wf-fixtures DIR``
(repeatable) adds a user's folders laid out the same way. Every file is validated against its kind's JSON Schema
before any check runs: a malformed fixture stops collection with ``FILE: /pointer: message`` lines, it is never
silently skipped. Fixture ids are unique across all folders, so a user's fixture cannot shadow a bundled one.

In a suite module::

    def pytest_generate_tests(metafunc):
        parametrize_fixtures(metafunc, "route_fixture", "route")
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from workerflow_kit import resources
from workerflow_kit.contracts.documents import load_document
from workerflow_kit.contracts.schemas import validate_document
from workerflow_kit.errors import FileProblem, KitError

__all__ = ["FOLDERS", "Fixture", "FixtureError", "load_fixtures", "parametrize_fixtures"]

FOLDERS: Final = {
    "route": "routes",
    "schedule": "schedules",
    "handler": "handlers",
    "manifest": "manifests",
    "runtime-config": "runtime-config",
}
"""Fixture kind -> its sub-folder under a fixtures root."""

_SUFFIXES: Final = (".json", ".yaml", ".yml")


class FixtureError(KitError):
    """Fixture files that cannot be used, one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} fixture problem(s):\n" + "\n".join(f"  {p}" for p in self.problems))

    def render(self) -> str:
        return self.message


@dataclass(frozen=True)
class Fixture:
    """One fixture: where it came from, its id and level, and its whole document."""

    path: Path
    kind: str
    id: str
    level: str
    data: dict[str, Any]

    @property
    def description(self) -> str:
        return str(self.data.get("description", ""))


def _files(root: Path, kind: str) -> list[Path]:
    folder = root / FOLDERS[kind]
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*") if path.is_file() and path.suffix.lower() in _SUFFIXES)


def load_fixtures(kind: str, extra_dirs: Iterable[Path | str] = (), *, bundled: bool = True) -> list[Fixture]:
    """Every fixture of ``kind``, bundled first, then each extra folder; raises FixtureError on any problem."""
    if kind not in FOLDERS:
        raise ValueError(f"unknown fixture kind {kind!r}; expected one of {', '.join(FOLDERS)}")
    roots = [resources.fixtures_dir()] if bundled else []
    problems: list[str] = []
    for extra in extra_dirs:
        path = Path(extra)
        if path.is_dir():
            roots.append(path)
        else:
            problems.append(f"{path}: no such fixtures folder")
    fixtures: list[Fixture] = []
    seen: dict[str, Path] = {}
    for root in roots:
        for path in _files(root, kind):
            try:
                document = load_document(path)
            except FileProblem as exc:
                problems.append(exc.render())
                continue
            findings = validate_document(document, f"{kind}-fixture")
            if findings:
                problems.extend(f"{path}: {finding.location}: {finding.message}" for finding in findings)
                continue
            fixture_id = str(document["id"])
            if fixture_id in seen:
                problems.append(f"{path}: /id: fixture id {fixture_id!r} is already used by {seen[fixture_id]}")
                continue
            seen[fixture_id] = path
            fixtures.append(Fixture(path, kind, fixture_id, str(document.get("level", "required")), document))
    if problems:
        raise FixtureError(problems)
    return fixtures


def parametrize_fixtures(metafunc: pytest.Metafunc, argname: str, kind: str) -> None:
    """Parametrize ``argname`` of the test with every fixture of ``kind`` (bundled plus ``--wf-fixtures``)."""
    if argname not in metafunc.fixturenames:
        return
    extra = metafunc.config.getoption("wf_fixtures", default=[]) or []
    fixtures = load_fixtures(kind, extra)
    metafunc.parametrize(argname, [pytest.param(f, id=f.id) for f in fixtures])
