"""A pinned Hypothesis profile for the meta-tests, so a suite's property checks draw the same examples in every
process: alone, in the full run, on any xdist worker, and whatever the suite modules or the ``CI`` variable say.

Two things would otherwise make the draws depend on the process:

* the profile: without ``--hypothesis-profile`` the plugin loads ``quick`` (random) or, with ``CI`` set, ``ci``,
  and a suite module imported earlier in the process keeps the settings it was decorated with. So every run
  names :data:`META_PROFILE` (derandomized, no database, no shrinking) and the suite modules are imported
  afresh under it;
* Hypothesis's local constants: about one draw in twenty takes a constant found in the source of a *local*
  module the process has imported (the kit's, and the conftest files other pytester tests write), so the pool,
  and with it what a derandomized test draws, grows with whatever ran before in the process. Hypothesis has no
  setting for it, so :func:`run_pinned` empties the pool for the run, through the private function the
  provider reads it from; :func:`without_local_constants` fails loudly if a Hypothesis upgrade removes it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants

META_PROFILE = "workerflow-kit-tests.meta"
settings.register_profile(
    META_PROFILE,
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    # No shrinking: a failure is reported as found, which keeps a failing run to seconds.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_SUITES = "workerflow_kit.suites."
_KEEP = frozenset({"checks", "fixtures", "plugin", "profiles", "conftest"})
"""Helper modules of the suites package, which hold no property tests and may stay imported."""


@contextmanager
def without_local_constants() -> Iterator[None]:
    """Hypothesis draws no constants from local modules' source inside this block (its global pool stays)."""
    if not hasattr(providers, "_get_local_constants"):
        raise RuntimeError("hypothesis.internal.conjecture.providers._get_local_constants is gone: update pinned.py")
    original = providers._get_local_constants
    empty = Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()  # it holds the permitted local constants per kind of draw
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()


def forget_suite_modules() -> None:
    """Drop the suite modules from ``sys.modules``, so the next run imports (and decorates) them afresh."""
    for name in [name for name in sys.modules if name.startswith(_SUITES)]:
        if name.removeprefix(_SUITES) not in _KEEP:
            del sys.modules[name]


def run_pinned(pytester: pytest.Pytester, *args: str, profile: str = META_PROFILE) -> pytest.RunResult:
    """``pytester.runpytest_inprocess(*args)`` under ``profile``; the session's own profile is loaded again
    afterwards (``--hypothesis-profile`` loads one for the whole process)."""
    forget_suite_modules()
    previous = settings.get_current_profile_name()
    try:
        with without_local_constants():
            return pytester.runpytest_inprocess(*args, f"--hypothesis-profile={profile}")
    finally:
        settings.load_profile(previous)
