"""Developer and CI sessions. ``nox -s tests`` runs the kit's own tests; ``lint`` and ``typecheck`` gate style.

``nox -s compat`` is the CI entry point of the contract suites: every suite against a deployment when
``WORKERFLOW_API_URL`` (and friends) are set, else against the reference served by ``workerflow-kit serve`` on
free loopback ports, with a JUnit XML report (``compat-report/junit.xml``; ``WORKERFLOW_COMPAT_JUNIT`` or
``--junit-xml`` after ``--`` moves it). Arguments after ``--`` go to ``workerflow-kit check``::

    nox -s compat                                                      # the served reference
    WORKERFLOW_API_URL=https://api.example nox -s compat               # a deployment (read-only by default)
    nox -s compat -- --runtime-factory tests.suites.broken_runtimes:duplicate_answers_200   # must fail

``nox -s live`` is ``compat`` that refuses to run without URLs. ``nox -s bench`` runs the scripts in
benchmarks/. ``nox -s mutation`` (not a default session: it is long) measures how many mutants of the runtime
and contracts layers the contract suites kill.

Each session body is a plain function of its session, and the kit's tests run the real ``nox`` with
``--no-venv --no-install`` (nox skips ``session.install`` then), so what they check is this file as CI runs it,
minus the virtualenv.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = ["3.11"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The kit's own test suite (pass extra pytest arguments after --)."""
    session.install(".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff lint and format check over sources, tests and this file."""
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over src/."""
    session.install(".[dev]")
    session.run("mypy", "--strict", "src")


URL_VARS = ("WORKERFLOW_API_URL", "WORKERFLOW_OPS_URL", "WORKERFLOW_WORKFLOW_URL", "WORKERFLOW_SCHEDULER_URL")
"""The deployment's worker URLs; ``WORKERFLOW_API_URL`` is the one that must be set (see workerflow_kit.targets.url)."""
JUNIT_VAR = "WORKERFLOW_COMPAT_JUNIT"
DEFAULT_JUNIT = Path("compat-report") / "junit.xml"


def compat_command(env: Mapping[str, str], posargs: Sequence[str]) -> list[str]:
    """The ``workerflow-kit check`` command of ``compat``/``live``: the url target when ``WORKERFLOW_API_URL``
    is set (the URLs, tokens and ``WORKERFLOW_ALLOW_WRITES`` are read from the environment by the command), else
    the served reference; a JUnit report unless the arguments name one; then the arguments after ``--``."""
    args = list(posargs)
    command = ["python", "-m", "workerflow_kit", "check"]
    if "--target" not in args and not any(arg.startswith("--target=") for arg in args):
        command += ["--target", "url" if env.get(URL_VARS[0], "").strip() else "served"]
    if not any(arg == "--junit-xml" or arg.startswith("--junit-xml=") for arg in _before_dashes(args)):
        command += ["--junit-xml", env.get(JUNIT_VAR) or str(DEFAULT_JUNIT)]
    return command + args


def _before_dashes(args: Sequence[str]) -> Sequence[str]:
    return args[: args.index("--")] if "--" in args else args


def live_refusal(env: Mapping[str, str]) -> str | None:
    """Why ``live`` cannot run (no deployment URL in the environment), or ``None``."""
    if env.get(URL_VARS[0], "").strip():
        return None
    return (
        f"nox -s live runs the suites against a deployment and needs its URLs: set {URL_VARS[0]} (and "
        f"{', '.join(URL_VARS[1:])}; tokens in WORKERFLOW_API_TOKEN and WORKERFLOW_OPS_TOKEN; "
        "WORKERFLOW_ALLOW_WRITES=1 to run the checks that write). Use nox -s compat for the served reference."
    )


def run_compat(session: nox.Session) -> None:
    """Install the kit, then run ``workerflow-kit check`` as :func:`compat_command` says."""
    session.install(".")
    command = compat_command(os.environ, session.posargs)
    report = Path(command[command.index("--junit-xml") + 1]) if "--junit-xml" in command else None
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
    session.log(f"target: {command[command.index('--target') + 1] if '--target' in command else 'from arguments'}")
    session.run(*command)


@nox.session(python=PYTHON)
def compat(session: nox.Session) -> None:
    """Every contract suite against WORKERFLOW_API_URL..., or the served reference when unset; JUnit XML."""
    run_compat(session)


@nox.session(python=PYTHON)
def live(session: nox.Session) -> None:
    """Like compat, against the deployment named by WORKERFLOW_API_URL... only; refuses to run without it."""
    refusal = live_refusal(os.environ)
    if refusal is not None:
        session.error(refusal)
    run_compat(session)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Every script in benchmarks/ (each prints its figures and exits 1 when it misses a target)."""
    session.install(".[test]")
    for script in sorted(Path("benchmarks").glob("*.py")):
        session.run("python", str(script))


MUTMUT_STATS = Path("mutants") / "mutmut-cicd-stats.json"


@nox.session(python=PYTHON)
def mutation(session: nox.Session) -> None:
    """mutmut over src/workerflow_kit/runtime and .../contracts, killed by the suites; prints the score.

    The settings are in pyproject.toml's [tool.mutmut]: the test command is ``pytest --pyargs
    workerflow_kit.suites -x -q`` (quick profile, fixed seed). A full run is long: thousands of mutants, each
    running the suite checks that reach the mutated function, two at a time (hours on a 2-core machine). mutmut
    keeps its results in mutants/ and resumes where it stopped. Narrow a run with mutant-name globs after --::

        nox -s mutation -- "workerflow_kit.contracts.cron.*"
        nox -s mutation -- "workerflow_kit.runtime.workers.api*"

    Then ``mutmut results`` lists the survivors and ``mutmut show <name>`` shows one (in this session's venv).
    """
    session.install(".", "mutmut>=3.3")
    session.run("mutmut", "run", "--max-children", "2", *session.posargs)
    session.run("mutmut", "export-cicd-stats")
    session.log(mutation_score(json.loads(MUTMUT_STATS.read_text(encoding="utf-8"))))


def mutation_score(stats: dict[str, int]) -> str:
    """One line: the score over the mutants that were tested, and the counts behind it."""
    killed = stats.get("killed", 0) + stats.get("timeout", 0)
    alive = stats.get("survived", 0) + stats.get("no_tests", 0) + stats.get("suspicious", 0)
    tested = killed + alive + stats.get("segfault", 0)
    score = 100.0 * killed / tested if tested else 0.0
    return (
        f"mutation score {score:.1f}% ({killed} killed of {tested} tested: {stats.get('survived', 0)} survived, "
        f"{stats.get('no_tests', 0)} reached by no check, {stats.get('timeout', 0)} timed out; "
        f"{stats.get('total', 0)} mutants in all)"
    )
