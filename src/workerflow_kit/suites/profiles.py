"""Hypothesis profiles for the contract suites: ``quick``, ``ci`` and ``thorough``.

::

    pytest --pyargs workerflow_kit.suites --wf-profile=thorough
    workerflow-kit check --profile ci

=============  ============  ============  ==============================================================
profile        max_examples  derandomize   meant for
=============  ============  ============  ==============================================================
``quick``      10            no            a local edit-run loop; the default outside CI
``ci``         200           yes           CI (the default when ``CI`` is set): every run generates the
                                           same cases, so a red build is reproducible and never flaky
``thorough``   2000          no            a nightly or pre-release hunt for rare inputs
=============  ============  ============  ==============================================================

All three have no deadline (a shared machine's timing is not a contract), ``print_blob=True`` (a failure
prints the ``@reproduce_failure`` line that replays it) and suppress two health checks that do not fit the
suites: ``too_slow`` (a check drives a whole runtime per example) and ``function_scoped_fixture`` (the
``wf_target``/``wf_check`` fixtures hand out the session's one target and a stateless context, so sharing them
between examples is intended).

Suite modules take ``max_examples`` from the loaded profile and never pin a number of their own, so ``ci``
generates thousands of cases and ``thorough`` ten times more. A check whose single example is expensive (one
that advances a virtual clock through weeks, or runs a whole state machine) asks for a share of the profile's
number with :func:`scaled`, so it still grows and shrinks with the profile::

    @settings(max_examples=scaled(0.5), deadline=None)

The profiles are registered under prefixed Hypothesis names (``workerflow-kit.quick``, ...), so they never
replace a project's own ``ci`` or ``thorough`` profile; :func:`activate` loads one and returns what to call to
put the previous profile back. The pytest plugin (:mod:`.plugin`) loads one when ``--wf-profile`` is given or
when the run collects this package's suites, and restores the previous one when the run ends.

Seeds: the ``ci`` profile is derandomized (the seed is derived from each test). For ``quick`` and
``thorough``, ``workerflow-kit check`` chooses a seed, passes it to Hypothesis (``--hypothesis-seed``) and
prints it when a check fails, with the command line that replays the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Final

from hypothesis import HealthCheck, settings

__all__ = [
    "DEFAULT_IN_CI",
    "DEFAULT_OUTSIDE_CI",
    "PROFILES",
    "activate",
    "default_profile",
    "hypothesis_name",
    "profile_settings",
    "scaled",
]

PROFILES: Final = ("quick", "ci", "thorough")
"""The profile names ``--wf-profile`` and ``workerflow-kit check --profile`` accept."""

DEFAULT_IN_CI: Final = "ci"
DEFAULT_OUTSIDE_CI: Final = "quick"

_PREFIX: Final = "workerflow-kit."
_SUPPRESSED: Final = (HealthCheck.too_slow, HealthCheck.function_scoped_fixture)


def hypothesis_name(profile: str) -> str:
    """The name the profile is registered under in Hypothesis (``"workerflow-kit.ci"``)."""
    _check(profile)
    return _PREFIX + profile


def _check(profile: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}")


def _register(profile: str, *, max_examples: int, derandomize: bool = False) -> None:
    extra: dict[str, Any] = {}
    if derandomize:
        extra["database"] = None  # a derandomized run replays nothing: the same cases come back by construction
    settings.register_profile(
        _PREFIX + profile,
        # Hypothesis's own defaults as the base, whatever profile the host project has loaded by now.
        parent=settings.get_profile("default"),
        max_examples=max_examples,
        derandomize=derandomize,
        deadline=None,
        print_blob=True,
        suppress_health_check=_SUPPRESSED,
        **extra,
    )


# Registered at import time (module level), as Hypothesis asks profiles to be.
_register("quick", max_examples=10)
# ci: a few thousand cases in well under a minute and a half in process on two cores (benchmarks/suite_time.py).
_register("ci", max_examples=200, derandomize=True)
_register("thorough", max_examples=2000)


def profile_settings(profile: str) -> settings:
    """The Hypothesis :class:`~hypothesis.settings` of ``profile``."""
    return settings.get_profile(hypothesis_name(profile))


def scaled(factor: float, *, minimum: int = 1) -> int:
    """``factor`` times the loaded profile's ``max_examples``, rounded, and at least ``minimum``.

    Read when called: at import time for a module-level ``@settings``, at call time for a nested one. Both
    run after the plugin has loaded the run's profile (a ``--hypothesis-profile`` of the caller's counts too).
    """
    if not factor > 0:
        raise ValueError(f"factor must be a positive number, got {factor!r}")
    if minimum < 1:
        raise ValueError(f"minimum must be at least 1, got {minimum!r}")
    loaded = settings.default or settings.get_profile("default")
    return max(minimum, round(loaded.max_examples * factor))


def default_profile(environ: Mapping[str, str] | None = None) -> str:
    """``ci`` when the ``CI`` variable is set to something other than empty/``0``/``false``, else ``quick``."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return DEFAULT_IN_CI if value.strip().lower() not in ("", "0", "false", "no", "off") else DEFAULT_OUTSIDE_CI


def activate(profile: str) -> Callable[[], None]:
    """Load ``profile`` as Hypothesis's current profile; returns a function that loads the previous one again.

    Tests take their settings when they are decorated (when their module is imported), so activate a profile
    before the suite modules are imported, as the plugin does in ``pytest_configure``.
    """
    name = hypothesis_name(profile)
    previous = settings.get_current_profile_name()
    settings.load_profile(name)

    def restore() -> None:
        if settings.get_current_profile_name() == name:
            settings.load_profile(previous)

    return restore
