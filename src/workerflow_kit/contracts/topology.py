"""Deployment facts the runtime mirrors: each worker's entry points, bindings, queue settings and cron triggers.

The bundled baseline keeps them in ``contracts/wrangler/workers.v1.json``; a user's checkout is read from its
``workers/*/wrangler.jsonc`` files into the same models, so every later layer sees one shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workerflow_kit.contracts.documents import load_document
from workerflow_kit.errors import FileProblem

EntryPoint = Literal["fetch", "queue", "scheduled"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class D1Binding(_Frozen):
    binding: str
    database_name: str


class QueueProducer(_Frozen):
    binding: str
    queue: str


class QueueConsumer(_Frozen):
    queue: str
    max_batch_size: int = 10
    max_batch_timeout: float = 5
    max_retries: int = 3
    dead_letter_queue: str | None = None
    retry_delay: float | None = None


class ServiceBindingFacts(_Frozen):
    binding: str
    service: str


class SecretsStoreFacts(_Frozen):
    binding: str
    secret_name: str


class WorkerFacts(_Frozen):
    dir: str
    name: str
    entry_points: tuple[EntryPoint, ...]
    vars: dict[str, Any] = Field(default_factory=dict)
    d1_databases: tuple[D1Binding, ...] = ()
    queue_producers: tuple[QueueProducer, ...] = ()
    queue_consumers: tuple[QueueConsumer, ...] = ()
    services: tuple[ServiceBindingFacts, ...] = ()
    secrets_store: tuple[SecretsStoreFacts, ...] = ()
    triggers: tuple[str, ...] = ()


class Topology(_Frozen):
    """All five workers and the shared resource names."""

    queue: str
    d1_database: str
    workers: tuple[WorkerFacts, ...]

    def worker(self, dir_name: str) -> WorkerFacts:
        for worker in self.workers:
            if worker.dir == dir_name:
                return worker
        raise KeyError(dir_name)

    @property
    def trigger_crons(self) -> tuple[str, ...]:
        """Every cron trigger of every worker, in declaration order (upstream: the scheduler's four)."""
        return tuple(cron for worker in self.workers for cron in worker.triggers)

    @property
    def consumer_settings(self) -> QueueConsumer | None:
        """The consumer settings for the shared queue, if any worker consumes it."""
        for worker in self.workers:
            for consumer in worker.queue_consumers:
                if consumer.queue == self.queue:
                    return consumer
        return None


# Cloudflare's own default when a consumer omits max_retries; upstream sets 8 explicitly.
_CLOUDFLARE_DEFAULT_MAX_RETRIES = 3


def _describe_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    pointer = "/" + "/".join(str(part) for part in first["loc"])
    return f"{pointer}: {first['msg']}"


def load_topology_file(path: Path) -> Topology:
    """Read a topology file of ours (the bundled ``contracts/wrangler/workers.v1.json`` format)."""
    document = load_document(path)
    if not isinstance(document, dict):
        raise FileProblem("expected a JSON object with 'queue', 'd1_database' and 'workers'", path=path)
    data = {key: value for key, value in document.items() if key != "$comment"}
    try:
        return Topology.model_validate(data)
    except ValidationError as exc:
        raise FileProblem(_describe_validation_error(exc), path=path) from None


def _entry_points(config: Mapping[str, Any]) -> tuple[EntryPoint, ...]:
    # wrangler does not declare entry points; they follow from the bindings a worker consumes.
    queues = config.get("queues") or {}
    crons = (config.get("triggers") or {}).get("crons") or []
    points: list[EntryPoint] = []
    if isinstance(queues, dict) and queues.get("consumers"):
        points.append("queue")
    if crons:
        points.append("scheduled")
    return tuple(points) or ("fetch",)


def worker_from_wrangler(dir_name: str, config: Mapping[str, Any], path: Path) -> WorkerFacts:
    """Turn one parsed ``wrangler.jsonc`` into WorkerFacts, naming the file on any shape problem."""
    queues = config.get("queues") or {}
    if not isinstance(queues, dict):
        raise FileProblem("/queues: expected an object", path=path)
    data = {
        "dir": dir_name,
        "name": config.get("name", dir_name),
        "entry_points": _entry_points(config),
        "vars": config.get("vars") or {},
        "d1_databases": [
            {"binding": d["binding"], "database_name": d.get("database_name", "")}
            for d in config.get("d1_databases") or []
            if isinstance(d, dict) and "binding" in d
        ],
        "queue_producers": queues.get("producers") or [],
        "queue_consumers": [
            {"max_retries": _CLOUDFLARE_DEFAULT_MAX_RETRIES, **c} for c in queues.get("consumers") or []
        ],
        "services": [
            {"binding": s["binding"], "service": s["service"]}
            for s in config.get("services") or []
            if isinstance(s, dict) and "binding" in s and "service" in s
        ],
        "secrets_store": [
            {"binding": s["binding"], "secret_name": s.get("secret_name", s["binding"])}
            for s in config.get("secrets_store_secrets") or []
            if isinstance(s, dict) and "binding" in s
        ],
        "triggers": (config.get("triggers") or {}).get("crons") or [],
    }
    try:
        return WorkerFacts.model_validate(data)
    except ValidationError as exc:
        raise FileProblem(_describe_validation_error(exc), path=path) from None


def topology_from_workers(workers: list[WorkerFacts]) -> Topology:
    """Assemble a topology, taking the shared queue and database names from the bindings themselves."""
    queue = next(
        (c.queue for w in workers for c in w.queue_consumers),
        next((p.queue for w in workers for p in w.queue_producers), ""),
    )
    database = next((d.database_name for w in workers for d in w.d1_databases), "")
    return Topology(queue=queue, d1_database=database, workers=tuple(workers))
