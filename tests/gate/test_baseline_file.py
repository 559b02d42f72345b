"""Baseline files: validated against schemas/gate-baseline.schema.json with file and JSON pointer, written back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workerflow_kit.contracts.schemas import check_file
from workerflow_kit.errors import FileProblem
from workerflow_kit.gate.baseline import Baseline, load_baseline, write_baseline
from workerflow_kit.gate.events import BaselineEntry


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_valid_file_loads_its_entries(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "entries": [
                {"check": "schedules.builtins-reachable", "target": "inprocess", "reason": "upstream Q1"},
                {"check": "diff.route-removed", "target": "*", "reason": "planned", "expires": "2026-10-01"},
            ]
        },
    )
    assert load_baseline(path) == Baseline(
        (
            BaselineEntry("schedules.builtins-reachable", "inprocess", "upstream Q1"),
            BaselineEntry("diff.route-removed", "*", "planned", "2026-10-01"),
        ),
        path,
    )


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"entries": [{"check": "routes.x", "target": "inprocess"}]}, '/entries/0: missing required property "reason"'),
        (
            {"entries": [{"check": "routes.x", "target": "inprocess", "reason": "r", "expires": "01/10/2026"}]},
            '/entries/0/expires: expected a date like 2026-10-01 (YYYY-MM-DD; quote it in YAML), got "01/10/2026"',
        ),
        (
            {"entries": [{"check": "Routes X", "target": "inprocess", "reason": "r"}]},
            '/entries/0/check: expected a check id like "routes.duplicate-is-202"',
        ),
        (
            {"entries": [{"check": "routes.x", "target": "inprocess", "reason": " "}]},
            "/entries/0/reason: a baseline entry needs a reason",
        ),
        ({"entries": [], "extra": 1}, '/: unexpected property "extra"'),
        ([], "/: expected object, got array"),
    ],
)
def test_a_broken_file_is_one_line_with_file_and_pointer(tmp_path: Path, document: Any, expected: str) -> None:
    path = write(tmp_path, document)
    with pytest.raises(FileProblem) as problem:
        load_baseline(path)
    assert problem.value.render().startswith(f"{path}: {expected}")


def test_write_then_load_round_trips_and_validate_detects_the_kind(tmp_path: Path) -> None:
    path = tmp_path / "written.json"
    entries = (BaselineEntry("routes.x", "inprocess", "why", "2027-01-01"), BaselineEntry("ops.y", "*", "because"))
    write_baseline(path, entries)
    assert load_baseline(path).entries == entries
    assert check_file(path) == ("gate-baseline", [])
