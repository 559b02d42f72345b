from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bootstrap.cloudflare_api import ACCOUNT
from workerflow_kit import resources
from workerflow_kit.cli import main


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    """Upstream's resources file with a real account id; the database id is still a placeholder."""
    document = json.loads((resources.contracts_dir() / "examples" / "cloudflare.resources.example.json").read_text())
    document["account_id"] = ACCOUNT
    path = tmp_path / "infra" / "cloudflare.resources.json"
    path.parent.mkdir()
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the real entry point (``main``, which turns errors into one line and an exit code)."""

    def invoke(*argv: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            main(list(argv))
        captured = capsys.readouterr()
        code = exited.value.code
        return (code if isinstance(code, int) else 0), captured.out, captured.err

    return invoke
