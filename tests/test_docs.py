"""The decisions document lists every deviation the code declares, and nothing the code no longer declares."""

from __future__ import annotations

import re
from pathlib import Path

from workerflow_kit.runtime.deviations import all_deviations

ROOT = Path(__file__).resolve().parent.parent
DECISIONS = ROOT / "docs" / "decisions.md"


def test_every_deviation_is_documented_and_every_documented_one_exists() -> None:
    text = DECISIONS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9.-]+)` \|", text, flags=re.MULTILINE))
    declared = {deviation.id for deviation in all_deviations()}
    assert declared, "no deviations collected: the worker modules did not load"
    assert declared - documented == set(), "declared in code but missing from docs/decisions.md"
    assert documented - declared == set(), "documented in docs/decisions.md but no longer declared in code"


def test_deviation_ids_are_unique() -> None:
    ids = [deviation.id for deviation in all_deviations()]
    assert len(ids) == len(set(ids))
