"""Shared fixtures of the fuzz tests: one reference target per module (starting a runtime costs a second)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from workerflow_kit.targets import InProcessTarget, load_runtime_factory


@pytest.fixture(scope="module")
def reference() -> Iterator[InProcessTarget]:
    """The reference in process, with a sync route that succeeds offline (so sync answers are fuzzed too)."""
    with InProcessTarget(runtime_factory=load_runtime_factory("tests.fuzz.broken:offline_reference")) as target:
        yield target
