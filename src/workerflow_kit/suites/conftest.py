"""Collect this package's suite modules (``routes.py``, ...) when pytest runs the package itself.

pytest collects ``test_*.py`` files from a directory; the suite modules are named after their contract
instead, so this conftest collects those listed in :data:`workerflow_kit.suites.SUITE_MODULES`, unless
pytest already collects the file (given explicitly, or matched by the project's ``python_files``).
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

from workerflow_kit.suites import SUITE_MODULES

_HERE = Path(__file__).resolve().parent


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    if file_path.suffix != ".py" or file_path.stem not in SUITE_MODULES or file_path.resolve().parent != _HERE:
        return None
    if parent.session.isinitpath(file_path):
        return None  # the python plugin collects explicitly given files
    patterns: list[str] = parent.config.getini("python_files")
    if any(fnmatch(file_path.name, pattern) for pattern in patterns):
        return None
    module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
    return module
