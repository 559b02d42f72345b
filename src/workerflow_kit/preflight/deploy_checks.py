"""Checks on what gets deployed: placeholders, queue and service wiring, and the D1 migrations.

Levels: placeholders left in wrangler files or the infra file are a **warn**, as in upstream's own preflight
(a fresh clone legitimately has them; ``--strict`` turns them into failures before a real deploy). A producer
and a consumer naming different queues, a service binding to a worker that does not exist, and a migration
that does not apply are **fail**: the deployed system cannot work.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from workerflow_kit.contracts.documents import load_document, parse_jsonc, read_text
from workerflow_kit.errors import FileProblem
from workerflow_kit.preflight.context import PreflightContext
from workerflow_kit.preflight.placeholders import PLACEHOLDER_PREFIX, Placeholder, find_placeholders
from workerflow_kit.preflight.report import PreflightResult
from workerflow_kit.preflight.results import at, ok, worker_pointer
from workerflow_kit.runtime.bindings.d1 import D1Database, D1MigrationError

__all__ = ["check_migrations", "check_placeholders", "check_queues", "check_services"]

PLACEHOLDERS = "preflight.no-placeholders"
QUEUES = "preflight.queue-names"
SERVICES = "preflight.service-bindings"
MIGRATIONS = "preflight.migrations-apply"

_MIGRATION_NAME = re.compile(r"^(\d{4})_[A-Za-z0-9_-]+\.sql$")


def _parse(text: str, path: Path) -> Any:
    # Most wrangler files are plain JSON, which the standard library reads far faster than JSON5.
    try:
        return json.loads(text)
    except ValueError:
        return parse_jsonc(text, path)


def check_placeholders(ctx: PreflightContext) -> list[PreflightResult]:
    """``REPLACE_WITH_`` values left in the wrangler files and the infra resources file."""
    files = [*ctx.wrangler_files(), *([ctx.infra_file] if ctx.infra_file else [])]
    results: list[PreflightResult] = []
    for path in files:
        try:
            text = read_text(path)
            document = _parse(text, path)
        except FileProblem as exc:
            results.append(at(ctx, PLACEHOLDERS, "fail", exc.message, path))
            continue
        # One line per value and file: a store id repeats in every Secrets-Store binding.
        by_value: dict[str, list[Placeholder]] = {}
        for found in find_placeholders(document, text):
            by_value.setdefault(found.value, []).append(found)
        for value, places in by_value.items():
            first, rest = places[0], places[1:]
            message = f'placeholder "{value}" still to be replaced' + (f" (line {first.line})" if first.line else "")
            if rest:
                message += f", and {len(rest)} more: " + ", ".join(p.pointer for p in rest[:3])
                message += ", ..." if len(rest) > 3 else ""
            results.append(at(ctx, PLACEHOLDERS, "warn", message, path, first.pointer))
    if ctx.bundled and results and all(r.status == "warn" for r in results):
        # The bundled baseline's only infra file is the shipped example: a template whose placeholders are the
        # point. Warning about them would make every gate of the reference report findings nobody can fix.
        return [
            ok(
                PLACEHOLDERS,
                f"the bundled example infra file keeps its {len(results)} placeholders on purpose "
                "(a template); a checkout's wrangler and infra files are checked",
            )
        ]
    if not results:
        results.append(ok(PLACEHOLDERS, f"no {PLACEHOLDER_PREFIX} placeholders in {len(files)} files"))
    return results


def _infra_queue(ctx: PreflightContext) -> str | None:
    if ctx.infra_file is None:
        return None
    try:
        document = load_document(ctx.infra_file)
    except FileProblem:
        return None  # reported by the infra checks
    queue = document.get("queue") if isinstance(document, dict) else None
    name = queue.get("name") if isinstance(queue, dict) else None
    return name if isinstance(name, str) else None


def check_queues(ctx: PreflightContext) -> list[PreflightResult]:
    """Every producer writes to a queue the consumer reads, and the infra file creates that same queue."""
    workers = ctx.project.topology.workers
    consumed = {c.queue: w.name for w in workers for c in w.queue_consumers}
    results: list[PreflightResult] = []
    if not consumed:
        results.append(at(ctx, QUEUES, "fail", "no worker consumes a queue (no queues.consumers entry)", None))
    producers: set[str] = set()
    for worker in workers:
        for index, producer in enumerate(worker.queue_producers):
            producers.add(producer.queue)
            if producer.queue in consumed or not consumed:
                continue
            path, pointer = worker_pointer(
                ctx, worker.dir, f"/queues/producers/{index}/queue", f"/queue_producers/{index}/queue"
            )
            reads = ", ".join(f'"{q}" ({name})' for q, name in consumed.items())
            message = (
                f'{worker.name} sends to queue "{producer.queue}" through {producer.binding}, but the consumer '
                f"reads {reads}: those messages are never processed"
            )
            results.append(at(ctx, QUEUES, "fail", message, path, pointer))
    for worker in workers:
        for index, consumer in enumerate(worker.queue_consumers):
            if producers and consumer.queue not in producers:
                path, pointer = worker_pointer(
                    ctx, worker.dir, f"/queues/consumers/{index}/queue", f"/queue_consumers/{index}/queue"
                )
                message = f'{worker.name} consumes queue "{consumer.queue}", which no worker sends to'
                results.append(at(ctx, QUEUES, "fail", message, path, pointer))
    infra_queue = _infra_queue(ctx)
    if infra_queue is not None and consumed and infra_queue not in consumed:
        message = f'the infra file creates queue "{infra_queue}", but the workers use "{next(iter(consumed))}"'
        results.append(at(ctx, QUEUES, "fail", message, ctx.infra_file, "/queue/name"))
    if not results:
        names = ", ".join(f'"{q}"' for q in consumed)
        results.append(ok(QUEUES, f"producers, the consumer and the infra file all name queue {names}"))
    return results


def check_services(ctx: PreflightContext) -> list[PreflightResult]:
    """Every service binding names a worker of the project."""
    workers = ctx.project.topology.workers
    names = {w.name for w in workers}
    results: list[PreflightResult] = []
    count = 0
    for worker in workers:
        for index, service in enumerate(worker.services):
            count += 1
            if service.service in names:
                continue
            path, pointer = worker_pointer(ctx, worker.dir, f"/services/{index}/service", f"/services/{index}/service")
            message = (
                f'{worker.name} binds {service.binding} to service "{service.service}", which is none of the '
                f"project's workers ({', '.join(sorted(names))})"
            )
            results.append(at(ctx, SERVICES, "fail", message, path, pointer))
    if not results:
        results.append(ok(SERVICES, f"{count} service bindings name workers of the project"))
    return results


def _naming_problems(ctx: PreflightContext, files: tuple[Path, ...]) -> list[PreflightResult]:
    results: list[PreflightResult] = []
    seen: dict[str, Path] = {}
    for path in files:
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            message = "migration name should be NNNN_name.sql (wrangler applies files in name order)"
            results.append(at(ctx, MIGRATIONS, "warn", message, path))
        elif match.group(1) in seen:
            message = f"migration number {match.group(1)} is also used by {seen[match.group(1)].name}"
            results.append(at(ctx, MIGRATIONS, "warn", message, path))
        else:
            seen[match.group(1)] = path
    return results


def check_migrations(ctx: PreflightContext) -> list[PreflightResult]:
    """The D1 migrations apply, in name order, to a fresh SQLite database (as ``wrangler d1 migrations apply``)."""
    files = ctx.project.migrations
    results = _naming_problems(ctx, files)
    try:
        with D1Database.open(":memory:", ctx.project.migrations_dir) as db:
            applied = db.applied_migrations
    except D1MigrationError as exc:
        before = [p.name for p in files if p.name < exc.migration]
        after = f"after {', '.join(before)}" if before else "as the first migration"
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        message = f"does not apply to a fresh database {after}: {cause}"
        results.append(at(ctx, MIGRATIONS, "fail", message, exc.path))
        return results
    if not any(result.status != "ok" for result in results):
        results.append(
            ok(
                MIGRATIONS,
                f"{len(applied)} migrations apply in order to a fresh SQLite database ({', '.join(applied)})",
            )
        )
    return results
