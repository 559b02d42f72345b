"""Schemathesis cases per second through ``workerflow_kit.fuzz``: prints figures next to the target (a script).

Four measurements, each on both OpenAPI documents (api and ops-dashboard) and all with the same documents,
the same shipped ``schemathesis.toml`` and the same number of cases per operation:

* **kit, in process**: :func:`workerflow_kit.fuzz.fuzz` against :class:`InProcessTarget` (target: 150 cases/s);
* **kit, loopback**: the same against :class:`ServedTarget` (``workerflow-kit serve`` on free loopback ports);
* **baseline, in process**: a plain Schemathesis run, as its documentation shows it: ``@given(operation.as_strategy())``
  one case per Hypothesis example, ``case.call(app=...)`` (Schemathesis's ASGI transport) and
  ``case.validate_response``, against the same runtime's ASGI app;
* **baseline, loopback**: the same with ``case.call(base_url=..., session=requests.Session())``.

Each run is warmed up once first (imports, schema compilation); the rate is cases over wall-clock seconds, and
the process CPU-time rate is printed beside it (other work on a shared machine lowers the first, not the
second). The ratio is kit over baseline in the same run.

Last, it prints the wall time of ``nox -s compat`` without URLs (the served reference, no virtualenv install;
target: 3 minutes), measured by ``benchmarks/compat_time.py``.

Usage::

    python benchmarks/fuzz_rate.py                # 20 cases per operation and mode
    python benchmarks/fuzz_rate.py --quick        # 6
    python benchmarks/fuzz_rate.py --no-compat    # skip the nox -s compat run
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from typing import Any

TARGET_INPROCESS = 150.0


def timed(run: Callable[[], int]) -> tuple[int, float, float]:
    """(cases, wall seconds, CPU seconds) of one call of ``run``."""
    wall, cpu = time.perf_counter(), time.process_time()
    cases = run()
    return cases, time.perf_counter() - wall, time.process_time() - cpu


def kit_run(target: Any, max_examples: int) -> Callable[[], int]:
    from workerflow_kit.fuzz import FuzzOptions, fuzz

    def run() -> int:
        report = fuzz(target, FuzzOptions(max_examples=max_examples))
        if report.failures:
            print(f"  (kit run found {len(report.failures)} failures; the rate counts them all the same)")
        return report.cases

    return run


def baseline_run(max_examples: int, send: Callable[[Any, str], Any]) -> Callable[[], int]:
    """A plain Schemathesis loop: one case per Hypothesis example, Schemathesis's own transport and checks."""
    from hypothesis import HealthCheck, Phase, given, settings

    from workerflow_kit.fuzz.documents import DOCUMENTS, load_schema

    count = 0

    def make_test(operation: Any, document: str) -> Callable[[], None]:
        @given(operation.as_strategy())
        @settings(
            max_examples=max_examples,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def test(case: Any) -> None:
            nonlocal count
            count += 1
            response = send(case, document)
            with contextlib.suppress(BaseException):  # a baseline counts cases, not verdicts
                case.validate_response(response)

        return test  # type: ignore[no-any-return]

    def run() -> int:
        nonlocal count
        count = 0
        for document in DOCUMENTS:
            for result in load_schema(document).get_all_operations():
                make_test(result.ok(), document)()
        return count

    return run


def report(name: str, cases: int, wall: float, cpu: float, target: float | None = None) -> float:
    rate = cases / wall
    goal = f"  (target >= {target:.0f}/s: {'met' if rate >= target else 'NOT met'})" if target else ""
    print(f"{name:<28} {cases:>6} cases {wall:7.2f} s  {rate:7.1f}/s wall  {cases / cpu:7.1f}/s cpu{goal}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases per operation")
    parser.add_argument("--no-compat", action="store_true", help="do not time nox -s compat")
    args = parser.parse_args()
    examples = 6 if args.quick else 20

    import requests

    from workerflow_kit.targets import InProcessTarget, ServedTarget

    print(f"Schemathesis cases per second, api + ops documents, {examples} cases per operation and mode")
    with InProcessTarget() as target:
        kit_run(target, 2)()  # warm-up
        kit_in = report("kit, in process", *timed(kit_run(target, examples)), TARGET_INPROCESS)
        apps = {"api": target.runtime.api_app, "ops": target.runtime.ops_app}
        asgi = baseline_run(examples, lambda case, doc: case.call(app=apps[doc]))
        baseline_run(1, lambda case, doc: case.call(app=apps[doc]))()
        base_in = report("baseline, in process", *timed(asgi))
    with ServedTarget() as served:
        kit_run(served, 2)()
        kit_loop = report("kit, loopback", *timed(kit_run(served, examples)))
        urls = {"api": str(served.api.base_url).rstrip("/"), "ops": str(served.ops.base_url).rstrip("/")}
        session = requests.Session()
        loop = baseline_run(examples, lambda case, doc: case.call(base_url=urls[doc], session=session))
        base_loop = report("baseline, loopback", *timed(loop))
    print(f"ratio kit / baseline: in process {kit_in / base_in:.2f}x, loopback {kit_loop / base_loop:.2f}x")
    if not args.no_compat:
        import compat_time  # the sibling script: this folder is on sys.path when a script in it runs

        compat_time.main([])


if __name__ == "__main__":
    main()
