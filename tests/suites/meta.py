"""Shared helpers for the meta-tests that run a suite through ``pytester`` and read which checks failed."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# The check label pytest puts in a suite test's name: ``[routes.duplicate-is-202 | required]``. Fixture-driven
# checks carry the fixture id before it, joined by "-" (``[daily-schedules.fixtures | required]``), so the label
# is anchored on the suite names rather than on the bracket.
SUITE_PREFIXES = ("compat", "manifest", "schedules", "runtime-config", "routes", "handlers", "ops", "stateful")
ROOT = Path(__file__).resolve().parents[2]
"""The checkout that holds the ``tests`` package (and with it the broken runtimes)."""
LABEL = re.compile(rf"((?:{'|'.join(SUITE_PREFIXES)})\.[a-z0-9-]+) \| (required|recommended)\]")


def checks_by_outcome(result: pytest.RunResult) -> dict[str, set[str]]:
    """``{"passed": {...}, "skipped": {...}, "failed": {...}}`` of check ids, read from the test ids."""
    passed, skipped, failed = result.reprec.listoutcomes()  # type: ignore[attr-defined]
    found: dict[str, set[str]] = {}
    for outcome, reports in (("passed", passed), ("skipped", skipped), ("failed", failed)):
        ids = set()
        for report in reports:
            match = LABEL.search(report.nodeid)
            assert match is not None, f"a suite test without [id | level] in its name: {report.nodeid}"
            ids.add(match.group(1))
        found[outcome] = ids
    return found


def importable_by_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A served target's server runs in pytester's folder, where ``tests`` is not importable: put this checkout
    first on the path it inherits, so that ``--wf-runtime-factory=tests.suites.broken...`` is found there too."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
