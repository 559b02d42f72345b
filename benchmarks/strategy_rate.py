"""Examples per second for the main ``workerflow_kit.strategies`` strategies, against a target rate.

Each strategy is drawn through ``@given`` with ``max_examples=N`` (generation phase only, no database, no
deadline), counting calls and timing the whole run, so the figure includes Hypothesis's own engine overhead,
as a property test would see it. Run ``python benchmarks/strategy_rate.py [N]``; it prints one line per
strategy and exits 1 when any rate is below the target.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
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


def rate(strategy: SearchStrategy[Any], examples: int) -> tuple[int, float]:
    """(examples drawn, seconds) for one run of ``examples`` generated examples."""
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

    start = time.perf_counter()
    draw()
    return calls, time.perf_counter() - start


def main(argv: list[str]) -> int:
    examples = int(argv[1]) if len(argv) > 1 else 1000
    width = max(len(name) for name in [*STRATEGIES, "[baseline] st.lists(st.integers())"])
    print(f"{'strategy':<{width}}  examples  seconds  per second  (target {TARGET_PER_SECOND}/s)")
    # Engine overhead on this machine, for scale: the simplest strategies Hypothesis has (not held to the target).
    for name, baseline in (
        ("[baseline] st.integers()", st.integers()),
        ("[baseline] st.lists(st.integers())", st.lists(st.integers())),
    ):
        calls, seconds = rate(baseline, examples)
        print(f"{name:<{width}}  {calls:>8}  {seconds:>7.2f}  {calls / seconds:>10.0f}")
    slow = []
    for name, factory in STRATEGIES.items():
        calls, seconds = rate(factory(), examples)
        per_second = calls / seconds if seconds else float("inf")
        verdict = "ok" if per_second >= TARGET_PER_SECOND else "BELOW TARGET"
        if per_second < TARGET_PER_SECOND:
            slow.append(name)
        print(f"{name:<{width}}  {calls:>8}  {seconds:>7.2f}  {per_second:>10.0f}  {verdict}")
    if slow:
        print(f"below {TARGET_PER_SECOND}/s: {', '.join(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
