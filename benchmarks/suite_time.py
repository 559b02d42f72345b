"""Wall time and generated cases of ``workerflow-kit check --profile ci``, and the strategies' examples per second.

Runs the whole set of suites in this process, exactly as the command does (the reference runtime in process,
the ``ci`` profile: derandomized, so every run generates the same cases), listening to the command's event
stream for the number of checks and of test cases Hypothesis ran. Then it measures the main
``workerflow_kit.strategies`` strategies with :func:`strategy_rate.measure_all` (``benchmarks/strategy_rate.py``:
examples per CPU second, and as a ratio of ``st.integers()`` measured in the same run). Each figure is printed
next to its target; the exit code is 1 when one is missed.

    python benchmarks/suite_time.py                      # all suites, profile ci, 500 examples per strategy
    python benchmarks/suite_time.py --suite routes --examples 200
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import strategy_rate  # benchmarks/ is a folder of scripts, not a package

from workerflow_kit.cli.check_cmd import CheckEvent, CheckListeners, RunFinished, check

TARGET_SECONDS = 90.0
TARGET_CASES = 1000  # "thousands of cases"
TARGET_PER_SECOND = strategy_rate.TARGET_PER_SECOND


def run_suites(profile: str, suites: list[str]) -> tuple[float, list[CheckEvent], RunFinished | None]:
    """Run the check command in process; (wall seconds, check events, the final event)."""
    events: list[CheckEvent] = []
    finished: list[RunFinished] = []

    def listen(event: CheckEvent | RunFinished) -> None:
        if isinstance(event, CheckEvent):
            events.append(event)
        else:
            finished.append(event)

    args = ["--profile", profile, *(part for name in suites for part in ("--suite", name)), "--", "-q"]
    start = time.perf_counter()
    check.main(args, prog_name="workerflow-kit check", standalone_mode=False, obj=CheckListeners([listen]))
    return time.perf_counter() - start, events, finished[-1] if finished else None


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci", choices=("quick", "ci", "thorough"))
    parser.add_argument("--suite", action="append", default=[], help="only this suite (repeatable; default all)")
    parser.add_argument("--examples", type=int, default=500, help="examples per strategy for the rate")
    options = parser.parse_args(argv[1:])

    seconds, events, finished = run_suites(options.profile, options.suite)
    cases = sum(event.cases for event in events)
    by_suite: dict[str, tuple[int, int, float]] = {}
    for event in events:
        suite = event.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        count, suite_cases, suite_seconds = by_suite.get(suite, (0, 0, 0.0))
        by_suite[suite] = (count + 1, suite_cases + event.cases, suite_seconds + event.duration)

    print()
    print(f"workerflow-kit check --profile {options.profile}, in process, on {os.cpu_count()} CPU(s)")
    print(f"{'suite':<16}  checks   cases  seconds")
    for suite, (count, suite_cases, suite_seconds) in sorted(by_suite.items()):
        print(f"{suite:<16}  {count:>6}  {suite_cases:>6}  {suite_seconds:>7.1f}")
    verdict = finished.verdict.line() if finished else "(no verdict: the command stopped early)"
    print(f"verdict: {verdict}")
    whole_set = not options.suite
    wall_ok, cases_ok = seconds <= TARGET_SECONDS, cases >= TARGET_CASES
    print(f"wall time        {seconds:>8.1f} s  target <= {TARGET_SECONDS:g} s for the whole set  {mark(wall_ok)}")
    print(f"checks           {len(events):>8}")
    print(f"generated cases  {cases:>8}    target >= {TARGET_CASES} (thousands)         {mark(cases_ok)}")

    print()
    slow = strategy_rate.report(*strategy_rate.measure_all(options.examples))

    missed = (whole_set and not (wall_ok and cases_ok)) or bool(slow)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
