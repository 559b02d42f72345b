"""The pytest plugin and the check registry: options, markers, fixtures, skips, and staying out of the way."""

from __future__ import annotations

import pytest

from workerflow_kit.suites import checks
from workerflow_kit.suites.checks import REGISTRY, CheckContext, CheckFailed, CheckInfo, Level, check, check_label

pytest_plugins = ["pytester"]

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing answers, so any request would fail loudly


def test_the_plugin_is_registered_by_its_entry_point(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("workerflow_kit")
    assert pytestconfig.getoption("wf_target") == "inprocess"


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.wf_check(id, level):*", "@pytest.mark.wf_requires(*capabilities):*"])


def test_a_run_that_does_not_use_the_fixtures_builds_no_target(pytester: pytest.Pytester) -> None:
    """A url target without any URL would fail to build: the plain test passes because nothing builds it."""
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_inprocess("--wf-target=url")
    result.assert_outcomes(passed=1)


def test_wf_requires_skips_naming_the_capability(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.wf_requires("drain_queue", "inspect_db")
        def test_needs_the_queue(wf_target):
            raise AssertionError("must not run")

        @pytest.mark.wf_requires("trigger_cron")
        def test_needs_a_scheduler(wf_target):
            assert wf_target.name == "url"
        """
    )
    result = pytester.runpytest_inprocess(
        "--wf-target=url", f"--wf-api-url={NOWHERE}", f"--wf-scheduler-url={NOWHERE}", "-rs"
    )
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * requires capability 'drain_queue' which target 'url' lacks"])


def test_url_target_reads_variables_and_flags_beat_them(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKERFLOW_API_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("WORKERFLOW_OPS_URL", "http://127.0.0.1:2")
    monkeypatch.setenv("WORKERFLOW_API_TOKEN", "from-env")
    monkeypatch.setenv("WORKERFLOW_OPS_TOKEN", "ops-env")
    monkeypatch.setenv("WORKERFLOW_ALLOW_WRITES", "0")
    pytester.makepyfile(
        """
        def test_configured(wf_session_target):
            target = wf_session_target
            assert target.describe()["workers"] == {"api": "http://127.0.0.1:3", "ops": "http://127.0.0.1:2"}
            assert target.api.headers["authorization"] == "Bearer from-flag"
            assert target.ops.headers["authorization"] == "Bearer ops-env"
            assert sorted(target.capabilities) == ["writes_allowed"]
        """
    )
    result = pytester.runpytest_inprocess(
        "--wf-target=url", "--wf-api-url=http://127.0.0.1:3", "--wf-api-token=from-flag", "--wf-allow-writes"
    )
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wf-api-url=http://x"], "--wf-api-url do(es) not apply to --wf-target=inprocess"),
        (["--wf-target=url", f"--wf-api-url={NOWHERE}", "--wf-runtime-factory=a:b"], "--wf-runtime-factory do(es)"),
        (["--wf-target=url", f"--wf-api-url={NOWHERE}", "--wf-serve-arg=--db"], "--wf-serve-arg do(es) not apply"),
        (["--wf-runtime-factory=nomodule_here_at_all:f"], "cannot import runtime factory module"),
        (["--wf-target=url"], "the url target needs the api URL"),
    ],
)
def test_options_that_do_not_fit_are_refused(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    pytester.makepyfile("def test_uses(wf_target):\n    pass\n")
    result = pytester.runpytest_inprocess(*args)
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines([f"*{message}*"], consecutive=False)


def test_check_names_and_properties(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from workerflow_kit.suites.checks import check

        @check("demo.decorated-rule", "recommended")
        def test_decorated(wf_check):
            wf_check.expect_equal(1, 2, "one")

        @pytest.mark.wf_check("demo.marked-rule", "required")
        def test_marked(wf_check):
            assert wf_check.id == "demo.marked-rule"
        """
    )
    result = pytester.runpytest_inprocess("-v", "--junitxml=report.xml")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_decorated?demo.decorated-rule | recommended? FAILED*",
            "E   *CheckFailed: [[]demo.decorated-rule | recommended[]] one: expected 2, got 1",
        ],
        consecutive=False,
    )
    report = (pytester.path / "report.xml").read_text(encoding="utf-8")
    assert '<property name="wf_check" value="demo.decorated-rule" />' in report
    assert '<property name="wf_level" value="recommended" />' in report
    assert '<property name="wf_check" value="demo.marked-rule" />' in report


def test_check_validates_eagerly() -> None:
    with pytest.raises(ValueError, match=r"looks like 'routes\.duplicate-is-202'"):
        check("NoDots", "required")
    with pytest.raises(ValueError, match="looks like"):
        check("routes.Upper", "required")
    with pytest.raises(ValueError, match="'required' or 'recommended'"):
        check("routes.fine", "optional")
    with pytest.raises(ValueError, match="unknown capability 'teleport'"):
        check("routes.fine", "required", requires=["teleport"])


def test_the_registry_knows_the_routes_checks() -> None:
    from workerflow_kit.suites import routes  # noqa: F401 - registers on import

    ids = {check_id for check_id in REGISTRY if check_id.startswith("routes.")}
    assert len(ids) == 18  # 16 coded checks and the two fixture-driven ones
    duplicate = REGISTRY["routes.duplicate-is-202"]
    assert duplicate.level is Level.REQUIRED
    assert duplicate.label == "routes.duplicate-is-202 | required"
    assert duplicate.requires == ("writes_allowed",)
    assert duplicate.title.startswith("A trace id seen before answers 202")
    assert REGISTRY["routes.malformed-json-no-5xx"].level is Level.RECOMMENDED


def test_an_id_belongs_to_one_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "REGISTRY", {})

    @check("demo.once", "required")
    def first() -> None: ...

    with pytest.raises(ValueError, match="already used by"):

        @check("demo.once", "required")
        def second() -> None: ...


def test_check_context_messages() -> None:
    context = CheckContext(CheckInfo(id="demo.rule", level=Level.REQUIRED))
    assert check_label("demo.rule", "required") == "demo.rule | required"
    with pytest.raises(CheckFailed, match=r"^\[demo.rule \| required\] nope$"):
        context.expect(False, "nope")
    context.expect(True, "fine")
