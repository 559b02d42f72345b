"""Developer and CI sessions. ``nox -s tests`` runs the kit's own tests; ``lint`` and ``typecheck`` gate style.

``nox -s mutation`` (not a default session: it is long) measures how many mutants of the runtime and contracts
layers the contract suites kill.
"""

from __future__ import annotations

import json
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
