"""The infra resources file (upstream's ``infra/cloudflare.resources.json``): find it, load it, check it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workerflow_kit import resources
from workerflow_kit.contracts.documents import load_document
from workerflow_kit.contracts.schemas import validate_document
from workerflow_kit.errors import ContractError, KitError

__all__ = [
    "BUNDLED_SPEC",
    "PLACEHOLDER_PREFIX",
    "PlaceholderError",
    "ResourceSpec",
    "Worker",
    "default_spec_path",
    "load_spec",
]

PLACEHOLDER_PREFIX = "REPLACE_WITH_"
BUNDLED_SPEC = Path("contracts/examples/cloudflare.resources.example.json")
_SPEC_NAME = Path("infra/cloudflare.resources.json")


class PlaceholderError(KitError):
    """A value bootstrap needs is still a ``REPLACE_WITH_`` placeholder."""


@dataclass(frozen=True)
class Worker:
    name: str
    config_path: str


@dataclass(frozen=True)
class ResourceSpec:
    """The parsed file. ``shown`` is how messages name it (as the user gave it, or the bundled example)."""

    path: Path
    shown: str
    bundled: bool
    account_id: str
    d1_name: str
    d1_database_id: str
    migrations_dir: str
    queue_name: str
    secrets_store_id: str
    workers: tuple[Worker, ...]

    def value(self, pointer: str) -> str:
        """The value at one of the pointers bootstrap reads (``/account_id``, ``/d1/name`` ...)."""
        return {
            "/account_id": self.account_id,
            "/d1/name": self.d1_name,
            "/d1/database_id": self.d1_database_id,
            "/d1/migrations_dir": self.migrations_dir,
            "/queue/name": self.queue_name,
            "/secrets_store/id": self.secrets_store_id,
        }[pointer]

    def require_real(self, *pointers: str, hint: str = "replace it with the real value first") -> None:
        """Refuse, naming the file and pointer, when one of these values is still a placeholder."""
        for pointer in pointers:
            value = self.value(pointer)
            if value.startswith(PLACEHOLDER_PREFIX):
                raise PlaceholderError(
                    f'still holds the placeholder "{value}"; {hint}', path=self.shown, pointer=pointer
                )


def default_spec_path() -> tuple[Path, bool]:
    """Upstream's file seen from the repository root or from ``cloudflare/``, else the kit's bundled example.
    Returns the path and whether it is the bundled example."""
    for candidate in (_SPEC_NAME, Path("..") / _SPEC_NAME):
        if candidate.is_file():
            return candidate, False
    return resources.data_root() / BUNDLED_SPEC, True


def load_spec(path: Path | None = None) -> ResourceSpec:
    """Load and schema-check the resources file (default: :func:`default_spec_path`)."""
    bundled = False
    if path is None:
        path, bundled = default_spec_path()
    shown = f"<bundled>/{BUNDLED_SPEC.as_posix()}" if bundled else str(path)
    document: Any = load_document(path)
    findings = validate_document(document, "resources")
    if findings:
        more = (
            f" (and {len(findings) - 1} more problems; run: workerflow-kit validate {shown})"
            if len(findings) > 1
            else ""
        )
        first = findings[0]
        raise ContractError(first.message + more, path=shown, pointer=first.location)
    d1 = document["d1"]
    return ResourceSpec(
        path=path,
        shown=shown,
        bundled=bundled,
        account_id=document["account_id"],
        d1_name=d1["name"],
        d1_database_id=d1["database_id"],
        migrations_dir=d1["migrations_dir"],
        queue_name=document["queue"]["name"],
        secrets_store_id=document["secrets_store"]["id"],
        workers=tuple(Worker(w["name"], w["config_path"]) for w in document["workers"]),
    )
