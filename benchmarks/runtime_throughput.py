"""Throughput of the reference runtime: prints figures next to their targets (a script, not a test).

Three measurements (plus the in-process one again through httpx, for reference), each in its own process so
memory figures do not mix:

* **in-process**: POST an async route through the API worker's ASGI app on a virtual clock, drain the queue in
  batches, and count succeeded runs: end-to-end requests per second (accept -> consumer -> workflow -> D1).
  The requests are plain ASGI calls (scope, receive, send), so the figure is the runtime's, not an HTTP
  client's; the same run through ``httpx.ASGITransport`` is printed for reference (httpx's request building
  and cookie handling cost about as much per request as the whole runtime does).
* **loopback**: start ``workerflow-kit serve`` as a subprocess with a ``--db`` file, POST over 32 HTTP/1.1
  keep-alive connections (32 in flight, one small asyncio client: an httpx client's connection pool costs
  more CPU per request than the server), and wait until every trace has a succeeded run in the file.
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


def asgi_poster(app: Any) -> Any:
    """``post(path, body) -> status``: one HTTP/1.1 POST as a bare ASGI call (what a server hands the app)."""

    async def post(path: str, body: bytes) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode("ascii"),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"api.bench"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("api.bench", 80),
        }
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    return post


async def inprocess(requests: int, client: str = "asgi") -> dict[str, Any]:
    from workerflow_kit.runtime.stack import Runtime

    async with await Runtime.start() as runtime:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(runtime.api_app), base_url="http://api.bench"
        ) as http_client:
            if client == "httpx":

                async def post(path: str, body: bytes) -> int:
                    headers = {"content-type": "application/json"}
                    return (await http_client.post(path, content=body, headers=headers)).status_code

            else:
                post = asgi_poster(runtime.api_app)
            started = time.perf_counter()
            accept_seconds = 0.0
            chunk = 200
            for offset in range(0, requests, chunk):
                accept_started = time.perf_counter()
                statuses = await asyncio.gather(
                    *(post(f"/api/{ROUTE}", b'{"n":%d}' % i) for i in range(offset, min(requests, offset + chunk)))
                )
                accept_seconds += time.perf_counter() - accept_started
                assert all(code == 202 for code in statuses), set(statuses)
                await runtime.drain()
            elapsed = time.perf_counter() - started
        succeeded = runtime.db.query("SELECT COUNT(*) AS n FROM runs WHERE status = 'succeeded'")[0]["n"]
    return {
        "client": client,
        "requests": requests,
        "seconds": elapsed,
        "rps": requests / elapsed,
        "accept_seconds": accept_seconds,
        "drain_seconds": elapsed - accept_seconds,
        "succeeded": succeeded,
        "rss_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
    }


async def inprocess_httpx(requests: int) -> dict[str, Any]:
    return await inprocess(requests, client="httpx")


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


class HttpError(Exception):
    """The server answered something this small client does not understand."""


class KeepAliveConnection:
    """One HTTP/1.1 keep-alive connection: POST, read the status line, headers and the whole body
    (``Content-Length`` or chunked)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader = reader
        self.writer = writer
        self.host = host

    @classmethod
    async def open(cls, base_url: str) -> KeepAliveConnection:
        url = httpx.URL(base_url)
        reader, writer = await asyncio.open_connection(url.host, url.port)
        return cls(reader, writer, f"{url.host}:{url.port}")

    async def post(self, path: str, body: bytes) -> int:
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode("ascii") + body)
        reader = self.reader
        status_line = await reader.readline()
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError(f"bad status line {status_line!r}")
        status = int(parts[1])
        length: int | None = None
        chunked = False
        closing = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                closing = True
        if chunked:
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await reader.readexactly(length)
        if closing:
            raise HttpError("the server closed a keep-alive connection")
        return status

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def loopback(requests: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite"
        process, urls = start_server(db)
        try:
            api = urls["api"]
            connections = [await KeepAliveConnection.open(api) for _ in range(CONCURRENCY)]
            statuses: list[int] = []
            numbers = iter(range(requests))

            async def worker(connection: KeepAliveConnection) -> None:
                for i in numbers:
                    statuses.append(await connection.post(f"/api/{ROUTE}", b'{"n":%d}' % i))

            started = time.perf_counter()
            await asyncio.gather(*(worker(c) for c in connections))
            accepted_at = time.perf_counter() - started
            for connection in connections:
                await connection.close()
            assert len(statuses) == requests, len(statuses)
            assert all(s == 202 for s in statuses), set(statuses)
            with sqlite3.connect(db, timeout=10) as conn:
                while True:
                    done = conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'succeeded'").fetchone()[0]
                    if done >= requests:
                        break
                    if time.perf_counter() - started > 600:
                        raise SystemExit(f"loopback: only {done}/{requests} runs after 600 s")
                    await asyncio.sleep(0.02)
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
        "drain_seconds": elapsed - accepted_at,
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
        enqueue_started = time.perf_counter()
        for offset in range(0, count, 100):
            await runtime.queue.send_batch(
                {"body": {"kind": "http_route", "traceId": t, "routePath": "bench_flaky", "payload": {"i": offset},
                          "enqueuedAt": now}}
                for t in trace_ids[offset : offset + 100]
            )  # fmt: skip
        enqueued_rss = rss_mb()
        enqueue_seconds = time.perf_counter() - enqueue_started
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
        "enqueue_seconds": enqueue_seconds,
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
    ratio = value / target if higher_is_better else target / value if value else float("inf")
    return (
        f"  {label:<36}{value:>10.1f} {unit:<6} target {relation} {target:<6g} {unit:<6} "
        f"x{ratio:.2f} of target  {'ok' if ok else 'MISSED'}"
    )


def phase(label: str, seconds: float, count: int | None = None, unit: str = "") -> str:
    rate = "" if count is None or not seconds else f"  {count / seconds:>9.0f} {unit}/s"
    return f"    phase {label:<34}{seconds:>8.2f} s{rate}"


PARTS = {"inprocess": inprocess, "inprocess-httpx": inprocess_httpx, "loopback": loopback, "messages": messages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run (smaller sizes)")
    parser.add_argument("--part", choices=sorted(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        runner = PARTS[args.part]
        print(json.dumps(asyncio.run(runner(args.size))))  # type: ignore[operator]
        return

    sizes = {"inprocess": 2_000, "inprocess-httpx": 2_000, "loopback": 2_000, "messages": 10_000} if args.quick else {
        "inprocess": 10_000, "inprocess-httpx": 5_000, "loopback": 10_000, "messages": 100_000}  # fmt: skip
    print(f"runtime throughput ({'quick' if args.quick else 'full'} run, {os.cpu_count()} CPUs)")
    figures = {part: run_part(part, size) for part, size in sizes.items()}

    inproc, via_httpx = figures["inprocess"], figures["inprocess-httpx"]
    loop, msgs = figures["loopback"], figures["messages"]
    print(f"in-process: {inproc['requests']} async POSTs accepted, drained and succeeded ({inproc['succeeded']} runs)")
    print(line("end-to-end requests/s", inproc["rps"], "req/s", TARGETS["inprocess_rps"], higher_is_better=True))
    print(phase("accept (api worker)", inproc["accept_seconds"], inproc["requests"], "req"))
    print(phase("drain (consumer + workflow)", inproc["drain_seconds"], inproc["requests"], "msg"))
    print(f"  RSS {inproc['rss_mb']:.0f} MB (peak {inproc['peak_rss_mb']:.0f} MB)")
    print(f"  for reference, through httpx.ASGITransport ({via_httpx['requests']} POSTs): "
          f"{via_httpx['rps']:.0f} req/s end-to-end ({via_httpx['succeeded']} runs)")  # fmt: skip
    print(f"loopback: {loop['requests']} POSTs, {CONCURRENCY} keep-alive connections, against a serve subprocess")
    print(line("end-to-end requests/s", loop["rps"], "req/s", TARGETS["loopback_rps"], higher_is_better=True))
    print(phase("accept (HTTP, 202s)", loop["accept_seconds"], loop["requests"], "req"))
    print(phase("runs still pending after the last 202", loop["drain_seconds"]))
    print(f"  server RSS {loop['server_rss_mb']:.0f} MB (peak {loop['server_peak_rss_mb']:.0f} MB); "
          f"client RSS {loop['client_rss_mb']:.0f} MB; {loop['succeeded']} runs; "
          f"server exit {loop['exit_code']}")  # fmt: skip
    scale = 100_000 / msgs["messages"]
    print(f"messages: {msgs['messages']} queued, 10% injected non-retryable failures")
    projected = msgs["seconds"] * scale
    label = "time for 100,000 messages" + ("" if scale == 1 else " (projected)")
    print(line(label, projected, "s", TARGETS["messages_seconds"], higher_is_better=False))
    print(line("peak RSS", msgs["peak_rss_mb"], "MB", TARGETS["messages_peak_mb"], higher_is_better=False))
    print(phase("enqueue (send_batch of 100)", msgs["enqueue_seconds"], msgs["messages"], "msg"))
    print(phase("drain (consumer + workflow)", msgs["seconds"], msgs["messages"], "msg"))
    print(f"  runs {msgs['runs_by_status']}; dead letters {msgs['dead_letters']} "
          f"(expected failures {msgs['expected_failures']}); lost {msgs['lost']}; "
          f"no message lost: {'yes' if msgs['no_message_lost'] else 'NO'}")  # fmt: skip


if __name__ == "__main__":
    main()
