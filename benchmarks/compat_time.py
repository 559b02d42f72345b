"""Wall time of ``nox -s compat`` without deployment URLs: every suite against the served reference.

Runs the real noxfile with ``nox --no-venv --no-install`` (the session body as CI runs it, minus creating and
filling a virtualenv, which depends on the network and the cache, not on the kit) from the repository root,
with this interpreter's ``bin`` folder first on ``PATH`` and no ``WORKERFLOW_*_URL`` set. It prints the wall time
next to its target, the verdict line and the JUnit counts; the exit code is 1 when the session fails or the
target is missed.

    python benchmarks/compat_time.py                 # one run
    python benchmarks/compat_time.py --runs 3        # the median of three
    python benchmarks/compat_time.py -- --suite routes   # arguments after -- go to the session (and to check)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 180.0
URL_VARS = ("WORKERFLOW_API_URL", "WORKERFLOW_OPS_URL", "WORKERFLOW_WORKFLOW_URL", "WORKERFLOW_SCHEDULER_URL")


def run_once(posargs: list[str], junit: Path) -> tuple[float, int, str]:
    """One ``nox -s compat``: (seconds, exit code, the verdict line)."""
    env = {k: v for k, v in os.environ.items() if k not in URL_VARS}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["WORKERFLOW_COMPAT_JUNIT"] = str(junit)
    command = [sys.executable, "-m", "nox", "--no-venv", "--no-install", "-s", "compat"]
    started = time.perf_counter()
    result = subprocess.run([*command, "--", *posargs], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    lines = [line for line in result.stdout.splitlines() if "required failed" in line]
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
    return seconds, result.returncode, lines[-1] if lines else "(no verdict line)"


def junit_counts(junit: Path) -> dict[str, int]:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if not junit.is_file():
        return counts
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        for key in counts:
            counts[key] += int(suite.get(key, "0"))
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs to take the median of (default 1)")
    parser.add_argument("posargs", nargs="*", help="after --: arguments for the session")
    args = parser.parse_args(argv)
    times: list[float] = []
    worst = 0
    with tempfile.TemporaryDirectory(prefix="compat-time-") as folder:
        junit = Path(folder) / "junit.xml"
        for run in range(1, max(1, args.runs) + 1):
            seconds, code, verdict = run_once(list(args.posargs), junit)
            times.append(seconds)
            worst = max(worst, code)
            counts = junit_counts(junit)
            print(f"run {run}: {seconds:6.1f} s  exit {code}  {verdict}")
            print(
                f"        junit: {counts['tests']} tests, {counts['failures']} failures, {counts['errors']} errors, "
                f"{counts['skipped']} skipped"
            )
    median = statistics.median(times)
    ok = median <= TARGET_SECONDS and worst == 0
    print(f"nox -s compat (served reference, no virtualenv install): {median:.1f} s, target <= {TARGET_SECONDS:.0f} s")
    print("ok" if ok else "MISSED" if worst == 0 else "FAILED: the session did not pass")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
