"""The nox sessions ``compat`` and ``live``, run with the real ``nox`` on the real noxfile.

``--no-venv --no-install`` is nox's own way to run a session in the current environment: ``session.install``
becomes a no-op, so the session body (the command it builds, the report it writes, the exit status it passes on)
runs exactly as in CI, minus creating and filling a virtualenv (slow and network-bound). The kit is already
installed in this interpreter's environment, whose ``bin`` folder goes first on ``PATH``.

The full run of ``nox -s compat`` (every suite, the whole served reference) is measured by
``benchmarks/compat_time.py``; these tests keep to one suite each so they stay quick.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
URL_VARS = ("WORKERFLOW_API_URL", "WORKERFLOW_OPS_URL", "WORKERFLOW_WORKFLOW_URL", "WORKERFLOW_SCHEDULER_URL")

pytest.importorskip("nox")


@functools.cache  # once: importing a noxfile registers its sessions with nox
def _noxfile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("workerflow_noxfile", ROOT / "noxfile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nox(*args: str, junit: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``nox --no-venv --no-install ARGS`` from the repository root, without any deployment URL set."""
    environ = {k: v for k, v in os.environ.items() if k not in URL_VARS and k != "WORKERFLOW_COMPAT_JUNIT"}
    environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environ.get("PATH", "")])
    if junit is not None:
        environ["WORKERFLOW_COMPAT_JUNIT"] = str(junit)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "nox", "--no-venv", "--no-install", "--noxfile", str(ROOT / "noxfile.py"), *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def cases(junit: Path) -> dict[str, str]:
    """JUnit test cases by wf_check id -> ``failed``, ``skipped`` or ``passed``."""
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        ids = [p.get("value") for p in case.iter("property") if p.get("name") == "wf_check"]
        outcome = "failed" if case.find("failure") is not None or case.find("error") is not None else "passed"
        outcome = "skipped" if case.find("skipped") is not None else outcome
        for check_id in ids:
            if check_id is not None and outcomes.get(check_id) != "failed":
                outcomes[check_id] = outcome
    return outcomes


# ------------------------------------------------------------------------------------------ the command


def test_compat_runs_the_served_reference_without_urls_and_a_deployment_with_them() -> None:
    noxfile = _noxfile()
    served = noxfile.compat_command({}, [])
    assert served[-4:] == ["--target", "served", "--junit-xml", str(Path("compat-report") / "junit.xml")]
    url = noxfile.compat_command({"WORKERFLOW_API_URL": "https://api.example"}, ["--suite", "routes"])
    assert url[-6:] == ["--target", "url", "--junit-xml", str(Path("compat-report") / "junit.xml"), "--suite", "routes"]


def test_compat_arguments_override_the_report_and_the_target() -> None:
    noxfile = _noxfile()
    mine = noxfile.compat_command({"WORKERFLOW_COMPAT_JUNIT": "out/r.xml"}, ["--", "-x"])
    assert mine[-6:] == ["--target", "served", "--junit-xml", "out/r.xml", "--", "-x"]
    given = noxfile.compat_command({}, ["--junit-xml=a.xml", "--target", "inprocess"])
    assert given.count("--target") == 1
    assert "--junit-xml" not in given
    after_dashes = noxfile.compat_command({}, ["--", "--junit-xml=pytest-own.xml"])
    assert "--junit-xml" in after_dashes  # pytest's option after -- is not the command's


def test_live_refuses_without_urls_naming_the_variables() -> None:
    result = nox("-s", "live")
    assert result.returncode != 0
    assert "WORKERFLOW_API_URL" in result.stderr
    assert "WORKERFLOW_SCHEDULER_URL" in result.stderr
    assert "workerflow_kit check" not in result.stderr  # refused before running anything
    assert _noxfile().live_refusal({"WORKERFLOW_API_URL": "https://api.example"}) is None


# ------------------------------------------------------------------------------------------ real runs


def test_compat_against_the_served_reference_passes(tmp_path: Path) -> None:
    junit = tmp_path / "report" / "junit.xml"
    result = nox("-s", "compat", "--", "--suite", "compat", junit=junit)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "--target served" in result.stderr  # nox echoes the command it runs
    assert "0 required failed" in result.stdout
    outcomes = cases(junit)
    assert outcomes, "the JUnit report lists no check"
    failed = {check_id for check_id, outcome in outcomes.items() if outcome == "failed"}
    assert failed <= {"compat.schedules-reachable"}  # the known recommended finding (upstream defect Q1)
    assert "passed" in outcomes.values()


def test_compat_against_a_served_broken_runtime_fails_naming_the_rule(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    factory = "tests.suites.broken_runtimes:duplicate_answers_200"
    result = nox(
        "-s", "compat", "--", "--runtime-factory", factory, "--suite", "routes", "-k", "duplicate", junit=junit
    )
    assert result.returncode != 0
    assert "Session compat failed" in result.stderr
    assert "routes.duplicate-is-202" in result.stdout
    assert cases(junit)["routes.duplicate-is-202"] == "failed"
