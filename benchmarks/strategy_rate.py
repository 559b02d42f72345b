"""Examples per second for the main ``workerflow_kit.strategies`` strategies, against a target rate and a baseline.

Each strategy is drawn through ``@given`` with ``max_examples=N`` (generation phase only, no database, no
deadline), counting calls and timing the whole run, so the figure includes Hypothesis's own engine overhead,
as a property test would see it. The same run measures ``st.integers()`` (the cheapest strategy there is: what
Hypothesis costs per example on this machine right now) before and after the strategies, and prints each
strategy's rate as a ratio of that baseline.

Rates are per second of this process's CPU time: on a shared machine the wall clock also counts the time other
processes hold the CPU, which says nothing about a strategy (the wall-clock rate is printed beside it). The
target applies to the CPU rate; the ratio to the baseline is the figure to compare between machines and runs.

Run ``python benchmarks/strategy_rate.py [N]``; it prints one line per strategy and exits 1 when any rate is below
the target.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from workerflow_kit import strategies as wst

TARGET_PER_SECOND = 300

STRATEGIES: dict[str, Callable[[], SearchStrategy[Any]]] = {
    "route_paths()": wst.route_paths,
    "route_definitions()": wst.route_definitions,
    "schedule_definitions()": wst.schedule_definitions,
    "manifests()": wst.manifests,
    "manifest_env()": wst.manifest_env,
    "gating_env()": wst.gating_env,
    "queue_tasks()": wst.queue_tasks,
    "trace_ids()": wst.trace_ids,
    "json_payloads()": wst.json_payloads,
    "text_payloads()": wst.text_payloads,
    "auth_headers()": wst.auth_headers,
    "cloudflare_crons()": wst.cloudflare_crons,
    "cloudflare_crons(valid=False)": lambda: wst.cloudflare_crons(valid=False),
    "fault_plans()": wst.fault_plans,
}

BASELINE_NAME = "[baseline] st.integers()"


@dataclass(frozen=True)
class Rate:
    """One timed run: examples drawn, CPU seconds of this process and wall seconds."""

    calls: int
    cpu_seconds: float
    wall_seconds: float

    @property
    def per_second(self) -> float:
        """Examples per CPU second (what the target is about)."""
        return self.calls / self.cpu_seconds if self.cpu_seconds else float("inf")

    @property
    def per_wall_second(self) -> float:
        return self.calls / self.wall_seconds if self.wall_seconds else float("inf")


def measure(strategy: SearchStrategy[Any], examples: int) -> Rate:
    """Draw ``examples`` examples from ``strategy`` through ``@given`` and time it."""
    calls = 0

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(_: Any) -> None:
        nonlocal calls
        calls += 1

    wall, cpu = time.perf_counter(), time.process_time()
    draw()
    return Rate(calls, time.process_time() - cpu, time.perf_counter() - wall)


def rate(strategy: SearchStrategy[Any], examples: int) -> tuple[int, float]:
    """(examples drawn, CPU seconds) for one run of ``examples`` generated examples."""
    result = measure(strategy, examples)
    return result.calls, result.cpu_seconds


def baseline(examples: int) -> Rate:
    return measure(st.integers(), examples)


def measure_all(examples: int) -> tuple[Rate, Rate, dict[str, Rate]]:
    """The baseline before, the baseline after, and every strategy in :data:`STRATEGIES` in between."""
    measure(st.integers(), min(examples, 100))  # warm-up: imports and caches Hypothesis fills on first use
    before = baseline(examples)
    rates = {name: measure(factory(), examples) for name, factory in STRATEGIES.items()}
    return before, baseline(examples), rates


def report(before: Rate, after: Rate, rates: dict[str, Rate]) -> list[str]:
    """Print the table; return the names below the target."""
    reference = (before.per_second + after.per_second) / 2
    width = max(len(name) for name in [*rates, BASELINE_NAME])
    print(f"{'strategy':<{width}}  examples  cpu s  per cpu s  per wall s  x baseline  (target {TARGET_PER_SECOND}/s)")
    for label, measured in (("before", before), ("after", after)):
        name = f"{BASELINE_NAME} {label}"
        print(
            f"{name:<{width}}  {measured.calls:>8}  {measured.cpu_seconds:>5.2f}  {measured.per_second:>9.0f}"
            f"  {measured.per_wall_second:>10.0f}  {measured.per_second / reference:>10.2f}"
        )
    slow = []
    for name, measured in rates.items():
        ok = measured.per_second >= TARGET_PER_SECOND
        if not ok:
            slow.append(name)
        print(
            f"{name:<{width}}  {measured.calls:>8}  {measured.cpu_seconds:>5.2f}  {measured.per_second:>9.0f}"
            f"  {measured.per_wall_second:>10.0f}  {measured.per_second / reference:>10.2f}"
            f"  {'ok' if ok else 'BELOW TARGET'}"
        )
    slowest = min(rates, key=lambda name: rates[name].per_second)
    print(
        f"slowest: {slowest} at {rates[slowest].per_second:.0f}/s, {rates[slowest].per_second / reference:.2f} x the "
        f"baseline ({reference:.0f}/s; before {before.per_second:.0f}/s, after {after.per_second:.0f}/s)"
    )
    if slow:
        print(f"below {TARGET_PER_SECOND}/s: {', '.join(slow)}")
    return slow


def main(argv: list[str]) -> int:
    examples = int(argv[1]) if len(argv) > 1 else 1000
    before, after, rates = measure_all(examples)
    return 1 if report(before, after, rates) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
