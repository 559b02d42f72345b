"""What every worker is handed, and the three Cloudflare entry-point shapes.

Cloudflare gives a worker more than its ``env``: a clock (``Date.now()``), a global ``fetch`` for outbound HTTP,
and the code it was deployed with (for WorkerFlow, the built-in manifest). :class:`WorkerContext` carries those,
so a worker is ``Worker(context)`` and its entry points take ``env`` exactly as upstream's do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx

from workerflow_kit.contracts.models import RouteDefinition, ScheduleDefinition
from workerflow_kit.runtime.bindings.clock import Clock
from workerflow_kit.runtime.bindings.queue import MessageBatch
from workerflow_kit.runtime.http import Request, Response

Env = Mapping[str, object]


@dataclass(frozen=True)
class WorkerContext:
    """Platform services shared by the workers of one runtime.

    ``outbound`` is the worker's global ``fetch``: one long-lived client, which tests mock with respx.
    ``builtin_routes``/``builtin_schedules`` are the manifest compiled into the workers (legacy mode, and the
    fallback of config mode): the bundled baseline or a user's checkout.
    """

    clock: Clock
    outbound: httpx.AsyncClient
    builtin_routes: tuple[RouteDefinition, ...]
    builtin_schedules: tuple[ScheduleDefinition, ...]


@dataclass(frozen=True)
class ScheduledController:
    """The event a ``scheduled`` handler receives: the trigger's cron string and the scheduled time."""

    cron: str
    scheduled_time: datetime


class FetchWorker(Protocol):
    name: str

    async def fetch(self, request: Request, env: Env) -> Response: ...


class QueueWorker(Protocol):
    name: str

    async def queue(self, batch: MessageBatch, env: Env) -> None: ...


class ScheduledWorker(Protocol):
    name: str

    async def scheduled(self, controller: ScheduledController, env: Env) -> None: ...
