"""Throughput of the reference runtime: prints figures next to their targets (a script, not a test).

Three measurements, each in its own process so memory figures do not mix:

* **in-process**: POST an async route through the API worker's ASGI app on a virtual clock, drain the queue in
  batches, and count succeeded runs: end-to-end requests per second (accept -> consumer -> workflow -> D1).
* **loopback**: start ``workerflow-kit serve`` as a subprocess with a ``--db`` file, POST with a concurrent
  httpx client (32 in flight), and wait until every trace has a succeeded run in the file.
* **messages**: enqueue 100,000 route tasks, 10% of which fail deterministically with a non-retryable error,
  drain, and account for every trace id as a run (succeeded or failed, each failure with a dead letter).

Usage::

    python benchmarks/runtime_throughput.py            # full run
    python benchmarks/runtime_throughput.py --quick    # a short run
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

TARGETS = {
    "inprocess_rps": 2000.0,
    "loopback_rps": 700.0,
    "messages_seconds": 60.0,
    "messages_peak_mb": 500.0,
}
ROUTE = "webhook_echo"
CONCURRENCY = 32


def rss_mb() -> float:
    """Current resident set size of this process in MB."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------------------------------ in-process


async def inprocess(requests: int) -> dict[str, Any]:
    from workerflow_kit.runtime.stack import Runtime

    async with await Runtime.start() as runtime:
        transport = httpx.ASGITransport(runtime.api_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.bench") as client:
            started = time.perf_counter()
            chunk = 200
            for offset in range(0, requests, chunk):
                answers = await asyncio.gather(
                    *(client.post(f"/api/{ROUTE}", json={"n": i}) for i in range(offset, min(requests, offset + chunk)))
                )
                assert all(a.status_code == 202 for a in answers), {a.status_code for a in answers}
                await runtime.drain()
            elapsed = time.perf_counter() - started
        succeeded = runtime.db.query("SELECT COUNT(*) AS n FROM runs WHERE status = 'succeeded'")[0]["n"]
    return {
        "requests": requests,
        "seconds": elapsed,
        "rps": requests / elapsed,
        "succeeded": succeeded,
        "rss_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
    }


# ------------------------------------------------------------------------------------------ loopback


def start_server(db: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    args = [sys.executable, "-m", "workerflow_kit", "serve", "--db", str(db), "--log-level", "warning"]
    for option in ("--api-port", "--workflow-port", "--ops-port", "--scheduler-port"):
        args += [option, "0"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.strip())
            if line.strip() == "ready":
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60) or not lines or lines[-1] != "ready":
        process.kill()
        raise SystemExit(f"serve did not start: {lines} {process.stderr.read() if process.stderr else ''}")
    return process, dict(line.split() for line in lines[:-1])  # type: ignore[misc]


async def loopback(requests: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite"
        process, urls = start_server(db)
        try:
            api = urls["api"]
            limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
            semaphore = asyncio.Semaphore(CONCURRENCY)
            async with httpx.AsyncClient(base_url=api, limits=limits, timeout=60) as client:

                async def one(i: int) -> int:
                    async with semaphore:
                        return (await client.post(f"/api/{ROUTE}", json={"n": i})).status_code

                started = time.perf_counter()
                statuses = await asyncio.gather(*(one(i) for i in range(requests)))
                accepted_at = time.perf_counter() - started
            assert all(s == 202 for s in statuses), set(statuses)
            with sqlite3.connect(db, timeout=10) as conn:
                while True:
                    done = conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'succeeded'").fetchone()[0]
                    if done >= requests:
                        break
                    if time.perf_counter() - started > 600:
                        raise SystemExit(f"loopback: only {done}/{requests} runs after 600 s")
                    await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            rss = proc_status_mb(process.pid, "VmRSS")
            peak = proc_status_mb(process.pid, "VmHWM")
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
    return {
        "requests": requests,
        "seconds": elapsed,
        "accept_seconds": accepted_at,
        "rps": requests / elapsed,
        "accept_rps": requests / accepted_at,
        "succeeded": done,
        "server_rss_mb": rss,
        "server_peak_rss_mb": peak,
        "client_rss_mb": rss_mb(),
        "exit_code": code,
    }


# ------------------------------------------------------------------------------------------ 100k messages


def fails(trace_id: str) -> bool:
    """Deterministic 10%: the first byte of the trace id's hash."""
    return hashlib.blake2b(trace_id.encode(), digest_size=1).digest()[0] % 10 == 0


async def messages(count: int) -> dict[str, Any]:
    from workerflow_kit.runtime.handlers.registry import builtin_registry
    from workerflow_kit.runtime.stack import Runtime

    registry = builtin_registry()

    def flaky(payload: Any, trace_id: str, ctx: Any) -> dict[str, Any]:
        if fails(trace_id):
            raise ValueError(f"BENCH_SECRET is required (injected failure for {trace_id})")
        return {"ok": True}

    registry.add_http("bench_flaky", flaky)
    routes = [{"routePath": "bench_flaky", "requestType": "async", "flowPath": "f/bench", "wrapBody": False}]
    env = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": json.dumps(routes)}
    trace_ids = [f"bench-{i:07d}" for i in range(count)]
    expected_failures = sum(1 for t in trace_ids if fails(t))
    async with await Runtime.start(env=env, handlers=registry) as runtime:
        runtime.queue.acked_ids = None  # no per-message ledger: we account through D1
        now = runtime.clock.now_iso()
        for offset in range(0, count, 100):
            await runtime.queue.send_batch(
                {"body": {"kind": "http_route", "traceId": t, "routePath": "bench_flaky", "payload": {"i": offset},
                          "enqueuedAt": now}}
                for t in trace_ids[offset : offset + 100]
            )  # fmt: skip
        enqueued_rss = rss_mb()
        started = time.perf_counter()
        await runtime.drain(max_batches=10 * count)
        elapsed = time.perf_counter() - started
        rows = runtime.db.query("SELECT status, COUNT(*) AS n FROM runs GROUP BY status")
        by_status = {row["status"]: row["n"] for row in rows}
        traced = runtime.db.query("SELECT COUNT(DISTINCT trace_id) AS n FROM runs")[0]["n"]
        dead = runtime.db.query("SELECT COUNT(DISTINCT trace_id) AS n FROM dead_letters")[0]["n"]
        stats = runtime.queue.stats
        lost = count - traced
        ok = (
            lost == 0
            and by_status.get("failed", 0) == expected_failures == dead
            and by_status.get("succeeded", 0) == count - expected_failures
            and stats.retried == 0
        )
    return {
        "messages": count,
        "seconds": elapsed,
        "per_second": count / elapsed,
        "runs_by_status": by_status,
        "expected_failures": expected_failures,
        "dead_letters": dead,
        "lost": lost,
        "no_message_lost": ok,
        "rss_after_enqueue_mb": enqueued_rss,
        "peak_rss_mb": peak_rss_mb(),
    }


# ------------------------------------------------------------------------------------------ driver


def run_part(part: str, size: int) -> dict[str, Any]:
    """Run one part in a fresh interpreter and return its JSON figures."""
    output = subprocess.run(
        [sys.executable, __file__, "--part", part, "--size", str(size)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def line(label: str, value: float, unit: str, target: float, *, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    relation = ">=" if higher_is_better else "<="
    return f"  {label:<34}{value:>10.1f} {unit:<6} target {relation} {target:g} {unit:<6} {'ok' if ok else 'MISSED'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run (smaller sizes)")
    parser.add_argument("--part", choices=["inprocess", "loopback", "messages"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        runner = {"inprocess": inprocess, "loopback": loopback, "messages": messages}[args.part]
        print(json.dumps(asyncio.run(runner(args.size))))  # type: ignore[operator]
        return

    sizes = {"inprocess": 2_000, "loopback": 2_000, "messages": 10_000} if args.quick else {
        "inprocess": 10_000, "loopback": 10_000, "messages": 100_000}  # fmt: skip
    print(f"runtime throughput ({'quick' if args.quick else 'full'} run, {os.cpu_count()} CPUs)")
    figures = {part: run_part(part, size) for part, size in sizes.items()}

    inproc, loop, msgs = figures["inprocess"], figures["loopback"], figures["messages"]
    print(f"in-process: {inproc['requests']} async POSTs accepted, drained and succeeded ({inproc['succeeded']} runs)")
    print(line("end-to-end requests/s", inproc["rps"], "req/s", TARGETS["inprocess_rps"], higher_is_better=True))
    print(f"  RSS {inproc['rss_mb']:.0f} MB (peak {inproc['peak_rss_mb']:.0f} MB)")
    print(f"loopback: {loop['requests']} POSTs, {CONCURRENCY} in flight, against a serve subprocess")
    print(line("end-to-end requests/s", loop["rps"], "req/s", TARGETS["loopback_rps"], higher_is_better=True))
    print(f"  accept-only {loop['accept_rps']:.0f} req/s; server RSS {loop['server_rss_mb']:.0f} MB "
          f"(peak {loop['server_peak_rss_mb']:.0f} MB); client RSS {loop['client_rss_mb']:.0f} MB; "
          f"server exit {loop['exit_code']}")  # fmt: skip
    scale = 100_000 / msgs["messages"]
    print(f"messages: {msgs['messages']} queued, 10% injected non-retryable failures")
    projected = msgs["seconds"] * scale
    label = "time for 100,000 messages" + ("" if scale == 1 else " (projected)")
    print(line(label, projected, "s", TARGETS["messages_seconds"], higher_is_better=False))
    print(line("peak RSS", msgs["peak_rss_mb"], "MB", TARGETS["messages_peak_mb"], higher_is_better=False))
    print(f"  {msgs['per_second']:.0f} msg/s; runs {msgs['runs_by_status']}; dead letters {msgs['dead_letters']} "
          f"(expected failures {msgs['expected_failures']}); lost {msgs['lost']}; "
          f"no message lost: {'yes' if msgs['no_message_lost'] else 'NO'}")  # fmt: skip


if __name__ == "__main__":
    main()
