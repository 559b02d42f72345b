"""Locate the contract data the kit ships.

The data lives at the top of the source tree (``contracts/``, ``schemas/``, ``fixtures/``, ``openapi.json``) so that
users can read and diff it. A built wheel carries a copy under ``workerflow_kit/_data``; a source checkout or an
editable install reads the top-level folders directly.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_MARKER = Path("contracts") / "routes.v1.json"


@cache
def data_root() -> Path:
    """The folder holding ``contracts/``, ``schemas/``, ``fixtures/`` and ``openapi.json``."""
    for candidate in (_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent.parent):
        if (candidate / _MARKER).is_file():
            return candidate
    raise RuntimeError(
        "workerflow-kit cannot find its bundled contract data; reinstall the package "
        f"(looked in {_PACKAGE_DIR / '_data'} and {_PACKAGE_DIR.parent.parent})"
    )


def contracts_dir() -> Path:
    return data_root() / "contracts"


def schemas_dir() -> Path:
    return data_root() / "schemas"


def fixtures_dir() -> Path:
    return data_root() / "fixtures"


def openapi_path() -> Path:
    return data_root() / "openapi.json"


def ops_openapi_path() -> Path:
    return contracts_dir() / "ops-dashboard.openapi.json"
