"""Fixture discovery: valid files load, and every broken one stops collection with its file and pointer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workerflow_kit.suites.fixtures import FixtureError, load_fixtures

VALID = Path(__file__).resolve().parent.parent / "data" / "valid"


def test_valid_fixtures_load_with_their_ids(tmp_path: Path) -> None:
    (tmp_path / "routes").mkdir()
    shutil.copy(VALID / "route-webhook-echo.json", tmp_path / "routes" / "a.json")
    (tmp_path / "schedules" / "nested").mkdir(parents=True)
    shutil.copy(VALID / "schedule-heartbeat.yaml", tmp_path / "schedules" / "nested" / "b.yaml")
    routes = load_fixtures("route", [tmp_path], bundled=False)
    schedules = load_fixtures("schedule", [tmp_path], bundled=False)
    assert [f.path.name for f in routes] == ["a.json"]
    assert [f.path.name for f in schedules] == ["b.yaml"]
    assert routes[0].kind == "route"
    assert routes[0].id


def test_a_malformed_fixture_names_file_and_pointer(tmp_path: Path) -> None:
    (tmp_path / "routes").mkdir()
    broken = tmp_path / "routes" / "broken.json"
    broken.write_text('{"kind": "route", "id": "x", "request": {"path": "/api/x"}, "expect": {"status": "200"}}')
    with pytest.raises(FixtureError) as caught:
        load_fixtures("route", [tmp_path], bundled=False)
    assert f"{broken}: /expect/status:" in caught.value.render()


def test_unreadable_duplicate_and_missing_folders_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "routes").mkdir()
    shutil.copy(VALID / "route-webhook-echo.json", tmp_path / "routes" / "a.json")
    shutil.copy(VALID / "route-webhook-echo.json", tmp_path / "routes" / "b.json")
    (tmp_path / "routes" / "c.json").write_text("{not json")
    with pytest.raises(FixtureError) as caught:
        load_fixtures("route", [tmp_path, tmp_path / "missing"], bundled=False)
    text = caught.value.render()
    assert "no such fixtures folder" in text
    assert "is already used by" in text
    assert "c.json: invalid JSON at line 1 column 2" in text
    assert len(caught.value.problems) == 3


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fixture kind"):
        load_fixtures("widget")
