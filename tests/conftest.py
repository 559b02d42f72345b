"""Shared test settings: Hypothesis profiles (derandomized in CI) and common fixtures."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# No deadlines anywhere: these machines are shared and noisy, and a timing limit is not a correctness check.
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
