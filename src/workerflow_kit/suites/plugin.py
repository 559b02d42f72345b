"""The pytest plugin (entry point ``pytest11``: ``workerflow_kit``): options, markers and fixtures, nothing else.

Run the shipped suites against a target::

    pytest --pyargs workerflow_kit.suites                                   # the reference, in process
    pytest --pyargs workerflow_kit.suites --wf-target=served                # workerflow-kit serve on loopback
    pytest --pyargs workerflow_kit.suites --wf-target=url --wf-api-url=http://127.0.0.1:8787 \\
        --wf-scheduler-url=http://127.0.0.1:8790 --wf-allow-writes          # wrangler dev, or a deployment

Options (group "workerflow-kit"): ``--wf-target=inprocess|served|url`` (default ``inprocess``);
``--wf-api-url``, ``--wf-ops-url``, ``--wf-workflow-url``, ``--wf-scheduler-url``, ``--wf-api-token``,
``--wf-ops-token``, ``--wf-allow-writes`` (each beats its ``WORKERFLOW_*`` variable, see
:mod:`workerflow_kit.targets.url`; the tokens are sent by the served target too); ``--wf-serve-arg`` (repeatable,
appended to the served target's ``serve`` command); ``--wf-runtime-factory=module:callable`` (the in-process
target's runtime, see :mod:`workerflow_kit.targets.inprocess`; the served target passes it to ``serve
--runtime-factory``); ``--wf-project=PATH`` (a WorkerFlow checkout the
in-process and served targets run instead of the bundled baseline); ``--wf-profile=quick|ci|thorough`` (the
Hypothesis profile, see :mod:`workerflow_kit.suites.profiles`).

Live mode (url target, see :mod:`workerflow_kit.live`): ``--wf-routes=a,b`` (repeatable; route paths, and
``schedule:<id>``, the checks may invoke; none by default: a check whose request would invoke another route is
skipped, its reason naming the route and this option), ``--wf-rps``, ``--wf-request-budget``, ``--wf-timeout``,
``--wf-run-id`` (the ``wfkit-<run id>-`` trace prefix; shown in the report header when generated).
``--wf-target`` also takes a target name of the kit config file (``workerflow-kit.toml`` or
``[tool.workerflow-kit]`` in ``pyproject.toml`` of the current folder, or ``--wf-config=FILE``); flags beat
its settings. Every token (the ``--wf-*-token`` values, the URL target's, any credential header sent) is
masked as ``***`` in failure reports, captured output, JUnit XML and the check command's events.

Hypothesis profile: loaded in ``pytest_configure`` (before the suite modules are imported, which is when a
property test takes its settings) when ``--wf-profile`` is given, or when the run's arguments name this package
(``--pyargs workerflow_kit.suites[.<suite>]`` or a path inside it) and no ``--hypothesis-profile`` is given;
then the default is ``ci`` when the ``CI`` variable is set, else ``quick``. Any other run (a project's own
tests, the kit's included) keeps its own profile. The previous profile is loaded again when the run ends.

Markers: ``wf_check(id, level)`` names a contract check; ``wf_requires(*capabilities)`` skips a test, with
``requires capability 'drain_queue' which target 'url' lacks``, on a target that lacks one. The ``@check``
decorator of :mod:`workerflow_kit.suites.checks` sets both.

Fixtures:

* ``wf_session_target`` (session): the one :class:`~workerflow_kit.targets.Target` of the run, built from the
  options on first use and closed at the end of the session. For the in-process target that is one runtime,
  one event loop (an :class:`asyncio.Runner` the target owns) and one client per worker for the whole run.
* ``wf_target`` (function): the same target, after skipping the test if it lacks a capability named by the
  test's ``wf_requires`` markers. A per-test fixture is what can see the test's markers; the target behind it
  is still built once.
* ``wf_check`` (function): the test's :class:`~workerflow_kit.suites.checks.CheckContext` (from the ``@check``
  parametrization or the ``wf_check`` marker); it also records ``wf_check``/``wf_level`` in the test's
  ``user_properties`` (JUnit XML properties).

Nothing here runs unless a test asks for these fixtures: a pytest run that does not use them (the kit's
own test run included) only gains the ``--wf-*`` options and two registered markers. Option combinations that
do not fit the chosen target (``--wf-api-url`` with ``--wf-target=inprocess``) are refused with a usage error
when the target is first needed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from workerflow_kit.suites import profiles
from workerflow_kit.suites.checks import CheckContext, CheckInfo, Level
from workerflow_kit.targets.base import MissingCapability, Target, parse_capabilities

__all__ = ["pytest_addoption", "pytest_configure", "pytest_unconfigure", "wf_check", "wf_session_target", "wf_target"]

_URL_OPTIONS = ("wf_api_url", "wf_ops_url", "wf_workflow_url", "wf_scheduler_url")
_SUITES_PACKAGE = "workerflow_kit.suites"
_SUITES_DIR = Path(__file__).resolve().parent
_RESTORE_PROFILE = pytest.StashKey[Callable[[], None]]()
_NAMED_TARGET = pytest.StashKey[tuple[str, dict[str, Any]]]()
_RUN_ID = pytest.StashKey[str]()
_LIVE_OPTIONS = ("wf_rps", "wf_request_budget", "wf_timeout")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("workerflow-kit", "workerflow-kit contract suites")
    group.addoption(
        "--wf-target",
        default="inprocess",
        help="Where the suites run: the reference in process (inprocess, default), 'workerflow-kit serve' on "
        "loopback (served), URLs (url), or a target name of the kit config file.",
    )
    for worker, variable in (
        ("api", "WORKERFLOW_API_URL"),
        ("ops", "WORKERFLOW_OPS_URL"),
        ("workflow", "WORKERFLOW_WORKFLOW_URL"),
        ("scheduler", "WORKERFLOW_SCHEDULER_URL"),
    ):
        group.addoption(
            f"--wf-{worker}-url", default=None, metavar="URL", help=f"url target: {worker} base URL (or {variable})."
        )
    group.addoption(
        "--wf-api-token", default=None, metavar="TOKEN", help="API ingress token (or WORKERFLOW_API_TOKEN)."
    )
    group.addoption(
        "--wf-ops-token", default=None, metavar="TOKEN", help="Ops dashboard token (or WORKERFLOW_OPS_TOKEN)."
    )
    group.addoption(
        "--wf-allow-writes",
        action="store_true",
        default=None,
        help="url target: allow checks that store or enqueue (or WORKERFLOW_ALLOW_WRITES=1).",
    )
    group.addoption(
        "--wf-routes",
        action="append",
        default=None,
        metavar="NAMES",
        help="url target: route paths (and schedule:<id>) the checks may invoke, comma-separated, repeatable; "
        "'*' allows all. Default: none (or WORKERFLOW_ROUTES).",
    )
    group.addoption("--wf-rps", type=float, default=None, metavar="N", help="url target: requests per second (10).")
    group.addoption(
        "--wf-request-budget", type=int, default=None, metavar="N", help="url target: requests per run (500)."
    )
    group.addoption("--wf-timeout", type=float, default=None, metavar="S", help="url target: seconds per request (30).")
    group.addoption(
        "--wf-run-id", default=None, metavar="ID", help="url target: the run id of trace ids (wfkit-<ID>-)."
    )
    group.addoption(
        "--wf-config",
        default=None,
        metavar="FILE",
        help="The kit config file whose targets --wf-target may name (default: ./workerflow-kit.toml or "
        "[tool.workerflow-kit] in ./pyproject.toml).",
    )
    group.addoption(
        "--wf-serve-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="served target: one more argument for 'workerflow-kit serve' (repeatable).",
    )
    group.addoption(
        "--wf-runtime-factory",
        default=None,
        metavar="MODULE:CALLABLE",
        help="inprocess/served targets: build the runtime with this callable (returns a Runtime or an awaitable "
        "of one); the served target passes it to 'workerflow-kit serve --runtime-factory'.",
    )
    group.addoption(
        "--wf-fixtures",
        action="append",
        default=[],
        metavar="DIR",
        help="A folder of your own fixtures (routes/, schedules/, handlers/, manifests/, runtime-config/), "
        "checked with the bundled ones (repeatable).",
    )
    group.addoption(
        "--wf-project",
        default=None,
        metavar="PATH",
        help="inprocess/served targets: run this WorkerFlow checkout (its cloudflare/ folder or the repository "
        "root) instead of the bundled v0.1 baseline.",
    )
    group.addoption(
        "--wf-profile",
        choices=profiles.PROFILES,
        default=None,
        help="Hypothesis profile of the suites: quick (few examples), ci (derandomized) or thorough (many). "
        "Default when running the suites: ci if CI is set, else quick.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "wf_check(id, level): a workerflow-kit contract check and its level.")
    config.addinivalue_line(
        "markers", "wf_requires(*capabilities): skip unless the workerflow-kit target declares these capabilities."
    )
    profile: str | None = config.getoption("wf_profile", default=None)
    if profile is None and _runs_the_suites(config) and not config.getoption("hypothesis_profile", default=None):
        profile = profiles.default_profile()
    if profile is not None:
        config.stash[_RESTORE_PROFILE] = profiles.activate(profile)
    _configure_live(config)


def _configure_live(config: pytest.Config) -> None:
    """Register the tokens for redaction, fix the run id, and resolve a named target (a usage error if bad)."""
    from workerflow_kit.live.redact import register

    register(config.getoption("wf_api_token", default=None), config.getoption("wf_ops_token", default=None))
    config.stash[_RUN_ID] = config.getoption("wf_run_id", default=None) or secrets.token_hex(4)
    name: str = config.getoption("wf_target", default="inprocess")
    config_file: str | None = config.getoption("wf_config", default=None)
    if name in ("inprocess", "served", "url"):
        return
    from workerflow_kit.config import resolve_target
    from workerflow_kit.errors import KitError

    try:
        config.stash[_NAMED_TARGET] = resolve_target(name, config_path=Path(config_file) if config_file else None)
    except KitError as exc:
        raise pytest.UsageError(f"--wf-target={name}: {exc.render()}") from None


def pytest_report_header(config: pytest.Config) -> str | None:
    kind = config.stash.get(_NAMED_TARGET, (config.getoption("wf_target", default=None), {}))[0]
    if kind != "url" or config.getoption("wf_run_id", default=None):
        return None  # a caller that chose the run id (workerflow-kit check) has announced it already
    return f"live run wfkit-{config.stash[_RUN_ID]}-: trace ids of this run start with it"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    __tracebackhide__ = True  # not part of any test's failure
    from workerflow_kit.live.reports import refusals_as_skips

    with refusals_as_skips():  # a fixture's request to a route the live target does not allow
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    __tracebackhide__ = True  # not part of any test's failure
    from workerflow_kit.live.reports import refusals_as_skips

    with refusals_as_skips():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    from workerflow_kit.live.reports import redact_report

    report = yield
    redact_report(report)
    return report


def pytest_unconfigure(config: pytest.Config) -> None:
    restore = config.stash.get(_RESTORE_PROFILE, None)
    if restore is not None:
        restore()


def _runs_the_suites(config: pytest.Config) -> bool:
    """Whether the run's arguments name this package or one of its modules (dotted, or a path inside it)."""
    for arg in config.args:
        name = arg.split("::", 1)[0]
        if name == _SUITES_PACKAGE or name.startswith(_SUITES_PACKAGE + "."):
            return True
        try:
            path = (config.invocation_params.dir / name).resolve()
        except (OSError, ValueError):
            continue
        if path == _SUITES_DIR or _SUITES_DIR in path.parents:
            return True
    return False


def _target_options(config: pytest.Config) -> tuple[str, dict[str, Any]]:
    """The target kind and its keyword options, with a usage error for flags that do not fit the kind.

    A target named in the config file gives the starting options; every flag given beats its setting."""
    kind, from_config = config.stash.get(_NAMED_TARGET, (config.getoption("wf_target"), {}))
    given = {name: config.getoption(name) for name in _URL_OPTIONS}
    api_token = config.getoption("wf_api_token")
    ops_token = config.getoption("wf_ops_token")
    factory: str | None = config.getoption("wf_runtime_factory")
    project: str | None = config.getoption("wf_project") or from_config.get("project")
    serve_args: list[str] = config.getoption("wf_serve_arg")
    allow_writes: bool | None = config.getoption("wf_allow_writes")

    def refuse(flags: list[str]) -> None:
        if flags:
            raise pytest.UsageError(f"{', '.join(flags)} do(es) not apply to --wf-target={kind}")

    routes: list[str] | None = config.getoption("wf_routes")
    live = {name.removeprefix("wf_"): config.getoption(name) for name in _LIVE_OPTIONS}
    url_flags = [f"--{name.replace('_', '-')}" for name, value in given.items() if value is not None]
    url_flags += [f"--wf-{name.replace('_', '-')}" for name, value in live.items() if value is not None]
    url_flags += ["--wf-routes"] if routes else []
    if kind == "url":
        refuse(
            (["--wf-runtime-factory"] if factory else [])
            + (["--wf-serve-arg"] if serve_args else [])
            + (["--wf-project"] if project else [])
        )
        flags = {
            "api_url": given["wf_api_url"],
            "ops_url": given["wf_ops_url"],
            "workflow_url": given["wf_workflow_url"],
            "scheduler_url": given["wf_scheduler_url"],
            "api_token": api_token,
            "ops_token": ops_token,
            "allow_writes": allow_writes,
            "routes": routes,
            **live,
        }
        chosen = {**from_config, **{name: value for name, value in flags.items() if value is not None}}
        return kind, {**chosen, "run_id": config.stash[_RUN_ID]}
    refuse(url_flags + (["--wf-allow-writes"] if allow_writes else []))
    if kind == "served":
        if factory and project:
            raise pytest.UsageError(
                "--wf-project does not apply with --wf-runtime-factory: give the factory the project"
            )
        if project:
            serve_args = [*serve_args, "--project", project]
        # The factory is imported by the server process (serve --runtime-factory), not here.
        served: dict[str, Any] = {"runtime_factory": factory} if factory else {}
        return kind, {"serve_args": serve_args, "api_token": api_token, "ops_token": ops_token, **served}
    refuse(
        (["--wf-serve-arg"] if serve_args else [])
        + [flag for flag, value in (("--wf-api-token", api_token), ("--wf-ops-token", ops_token)) if value]
    )
    if factory and project:
        raise pytest.UsageError("--wf-project does not apply with --wf-runtime-factory: give the factory the project")
    from workerflow_kit.targets.inprocess import load_runtime_factory

    if factory:
        return kind, {"runtime_factory": load_runtime_factory(factory)}
    return kind, {"project": project}


@pytest.fixture(scope="session")
def wf_session_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The run's one target, built from the ``--wf-*`` options and closed at the end of the session."""
    from workerflow_kit.targets import create_target

    kind, options = _target_options(request.config)
    target = create_target(kind, **options)
    try:
        yield target
    finally:
        target.close()


@pytest.fixture
def wf_target(request: pytest.FixtureRequest, wf_session_target: Target) -> Target:
    """The session's target; skips the test when it lacks a capability its ``wf_requires`` markers name."""
    needed = [value for marker in request.node.iter_markers("wf_requires") for value in marker.args]
    lacking = wf_session_target.missing(*parse_capabilities(needed))
    if lacking:
        pytest.skip(str(MissingCapability(lacking[0], wf_session_target.name)))
    return wf_session_target


@pytest.fixture
def wf_check(request: pytest.FixtureRequest, wf_target: Target) -> CheckContext:
    """The test's check: id, level, and failure helpers whose messages carry ``[<id> | <level>]``."""
    info = getattr(request, "param", None)
    if not isinstance(info, CheckInfo):
        marker = request.node.get_closest_marker("wf_check")
        if marker is None or len(marker.args) != 2:
            raise pytest.UsageError(
                f"{request.node.nodeid} uses wf_check without @check(...) or a wf_check(id, level) mark"
            )
        info = CheckInfo(id=str(marker.args[0]), level=Level(marker.args[1]))
    request.node.user_properties.append(("wf_check", info.id))
    request.node.user_properties.append(("wf_level", info.level.value))
    return CheckContext(info)
