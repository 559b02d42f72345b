"""Find fixture files under the paths a user gives, and tell each one's kind.

A path is a file or a folder (searched recursively for ``.json``, ``.yaml``, ``.yml``). A file's kind comes
from the folder it sits in (``routes/`` -> route, ``handlers/`` -> handler, ...) and otherwise from its
``"kind"`` field; :func:`load` then validates it against that kind's schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from workerflow_kit import resources
from workerflow_kit.contracts.documents import load_document
from workerflow_kit.contracts.schemas import Finding, validate_document
from workerflow_kit.errors import FileProblem, KitError
from workerflow_kit.suites.fixtures import FOLDERS

__all__ = ["FixtureFile", "collect", "load"]

SUFFIXES: Final = (".json", ".yaml", ".yml")
_KIND_OF_FOLDER: Final = {folder: kind for kind, folder in FOLDERS.items()}


@dataclass(frozen=True)
class FixtureFile:
    """One fixture file: its path, its kind (``None`` when it cannot be told) and, once loaded, its document."""

    path: Path
    kind: str | None
    data: Any = None
    problems: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return str(self.data.get("id")) if isinstance(self.data, dict) else self.path.name


def collect(paths: Iterable[Path | str]) -> list[Path]:
    """Every fixture file under ``paths`` (the bundled fixtures when none is given), sorted per path."""
    chosen = [Path(p) for p in paths] or [resources.fixtures_dir()]
    found: list[Path] = []
    for path in chosen:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise KitError(f"{path}: no such file or folder")
    return found


def _kind_from_folder(path: Path) -> str | None:
    for parent in path.parents:
        if parent.name in _KIND_OF_FOLDER:
            return _KIND_OF_FOLDER[parent.name]
    return None


def load(path: Path) -> FixtureFile:
    """Read and validate one fixture file; its problems are ``FILE: /pointer: message`` lines."""
    try:
        document = load_document(path)
    except FileProblem as exc:
        return FixtureFile(path, None, None, (exc.render(),))
    kind = _kind_from_folder(path)
    declared = document.get("kind") if isinstance(document, dict) else None
    if kind is None:
        if declared not in FOLDERS:
            got = f'"{declared}"' if isinstance(declared, str) else "nothing"
            hint = ", ".join(f'"{k}"' for k in FOLDERS)
            return FixtureFile(path, None, document, (f"{path}: /kind: expected one of {hint}, got {got}",))
        kind = str(declared)
    findings: list[Finding] = validate_document(document, f"{kind}-fixture")
    return FixtureFile(path, kind, document, tuple(f"{path}: {f.location}: {f.message}" for f in findings))
