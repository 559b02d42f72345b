"""Hypothesis profiles of the suites: their settings, the default, and when the plugin loads (and unloads) one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import settings

from workerflow_kit.suites import profiles

pytest_plugins = ["pytester"]

# A test module that records, at import time (when @given takes its settings), what the profile gives it,
# and writes every example it is given, so two runs can be compared.
RECORDING_TEST = """
import json, os
from hypothesis import given, settings, strategies as st

IMPORTED_WITH = settings.default

@given(st.integers())
def test_property(n):
    with open(os.environ["EXAMPLES_FILE"], "a") as out:
        out.write(json.dumps(n) + "\\n")

def test_record():
    with open(os.environ["SETTINGS_FILE"], "w") as out:
        json.dump({"max_examples": IMPORTED_WITH.max_examples, "derandomize": IMPORTED_WITH.derandomize}, out)
"""


class ProfileSpy:
    """A pytest plugin object noting Hypothesis's profile once collection is done."""

    def __init__(self) -> None:
        self.profile: str | None = None

    def pytest_collection_finish(self) -> None:
        self.profile = settings.get_current_profile_name()


def run_recording(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[dict[str, object], list[int]]:
    examples = pytester.path / "examples.jsonl"
    recorded = pytester.path / "settings.json"
    examples.unlink(missing_ok=True)
    monkeypatch.setenv("EXAMPLES_FILE", str(examples))
    monkeypatch.setenv("SETTINGS_FILE", str(recorded))
    pytester.makepyfile(test_recording=RECORDING_TEST)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=2)
    values = [json.loads(line) for line in examples.read_text().splitlines()]
    return json.loads(recorded.read_text()), values


# ------------------------------------------------------------------------------------------ the settings


def test_quick_ci_and_thorough_differ_in_examples_and_randomness() -> None:
    quick, ci, thorough = (profiles.profile_settings(name) for name in ("quick", "ci", "thorough"))
    assert quick.max_examples < ci.max_examples < thorough.max_examples
    assert quick.max_examples <= 20
    assert thorough.max_examples >= 1000
    assert ci.derandomize
    assert ci.database is None
    assert not quick.derandomize
    assert not thorough.derandomize
    for each in (quick, ci, thorough):
        assert each.deadline is None
        assert each.print_blob


def test_scaled_is_a_share_of_the_loaded_profile() -> None:
    restore = profiles.activate("ci")
    try:
        ci = profiles.profile_settings("ci").max_examples
        assert profiles.scaled(0.5) == round(ci * 0.5)
        assert profiles.scaled(2) == ci * 2
        assert profiles.scaled(1e-9) == 1
        assert profiles.scaled(1e-9, minimum=3) == 3
    finally:
        restore()
    quick = profiles.activate("quick")
    try:
        assert profiles.scaled(0.5) == round(profiles.profile_settings("quick").max_examples * 0.5)
    finally:
        quick()
    with pytest.raises(ValueError, match="factor must be a positive number, got 0"):
        profiles.scaled(0)
    with pytest.raises(ValueError, match="minimum must be at least 1, got 0"):
        profiles.scaled(1, minimum=0)


def test_suite_modules_pin_no_number_of_examples() -> None:
    """A literal ``max_examples=N`` in a suite would ignore --wf-profile; a share goes through scaled()."""
    pinned = re.compile(r"max_examples\s*=\s*\d")
    suites = Path(profiles.__file__).parent
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(suites.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pinned.search(line) and path.name != "profiles.py"
    ]
    assert offenders == []


def test_profiles_are_registered_under_their_own_names_and_unknown_ones_are_refused() -> None:
    assert profiles.hypothesis_name("ci") == "workerflow-kit.ci"
    assert settings.get_profile("workerflow-kit.ci").derandomize
    with pytest.raises(ValueError, match="unknown profile 'fast'; use one of quick, ci, thorough"):
        profiles.hypothesis_name("fast")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, "quick"), ({"CI": "true"}, "ci"), ({"CI": "1"}, "ci"), ({"CI": ""}, "quick"), ({"CI": "false"}, "quick")],
)
def test_default_is_ci_in_ci_else_quick(environ: dict[str, str], expected: str) -> None:
    assert profiles.default_profile(environ) == expected


def test_activate_loads_and_restores() -> None:
    before = settings.get_current_profile_name()
    restore = profiles.activate("thorough")
    try:
        assert settings.get_current_profile_name() == "workerflow-kit.thorough"
        assert settings.default.max_examples == profiles.profile_settings("thorough").max_examples
    finally:
        restore()
    assert settings.get_current_profile_name() == before


# ------------------------------------------------------------------------------------------ the plugin


def test_wf_profile_sets_max_examples_of_the_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    before = settings.get_current_profile_name()
    quick, quick_values = run_recording(pytester, monkeypatch, "--wf-profile=quick")
    thorough, thorough_values = run_recording(pytester, monkeypatch, "--wf-profile=thorough")
    assert quick["max_examples"] == profiles.profile_settings("quick").max_examples
    assert thorough["max_examples"] == profiles.profile_settings("thorough").max_examples
    assert len(quick_values) <= quick["max_examples"] < len(thorough_values)  # type: ignore[operator]
    assert settings.get_current_profile_name() == before  # the outer run's profile is back


def test_ci_profile_is_derandomized(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    first_settings, first = run_recording(pytester, monkeypatch, "--wf-profile=ci")
    _, second = run_recording(pytester, monkeypatch, "--wf-profile=ci")
    assert first_settings["derandomize"] is True
    assert first == second
    assert len(set(first)) > 10


def test_a_run_of_other_tests_keeps_its_own_profile(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    outer = settings.get_current_profile_name()
    recorded, _ = run_recording(pytester, monkeypatch)
    assert recorded["max_examples"] == settings.default.max_examples
    spy = ProfileSpy()
    pytester.runpytest_inprocess("--collect-only", plugins=[spy])
    assert spy.profile == outer


@pytest.mark.parametrize(("ci", "expected"), [(None, "workerflow-kit.quick"), ("true", "workerflow-kit.ci")])
def test_running_the_suites_loads_the_default_profile(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None, expected: str
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    spy = ProfileSpy()
    result = pytester.runpytest_inprocess("--pyargs", "workerflow_kit.suites.routes", "--collect-only", plugins=[spy])
    assert result.ret == pytest.ExitCode.OK
    assert spy.profile == expected
    assert not settings.get_current_profile_name().startswith("workerflow-kit.")


def test_a_path_inside_the_suites_counts_and_hypothesis_profile_wins(pytester: pytest.Pytester) -> None:
    routes = Path(profiles.__file__).with_name("routes.py")
    spy = ProfileSpy()
    pytester.runpytest_inprocess(str(routes), "--collect-only", "--wf-profile=thorough", plugins=[spy])
    assert spy.profile == "workerflow-kit.thorough"
    own = ProfileSpy()
    pytester.runpytest_inprocess(
        "--pyargs", "workerflow_kit.suites.routes", "--collect-only", "--hypothesis-profile=default", plugins=[own]
    )
    assert own.profile == "default"
