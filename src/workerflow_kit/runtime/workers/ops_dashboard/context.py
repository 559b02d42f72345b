"""What an ``/api/*`` endpoint handler receives: the request, env, manifest, extensions, query and clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from workerflow_kit.contracts.models import Manifest
from workerflow_kit.jscompat.dates import to_iso_string
from workerflow_kit.jscompat.numbers import UNDEFINED
from workerflow_kit.runtime.bindings.clock import Clock
from workerflow_kit.runtime.bindings.d1 import D1Database
from workerflow_kit.runtime.bindings.queue import Queue
from workerflow_kit.runtime.http import Request
from workerflow_kit.runtime.workers.base import Env
from workerflow_kit.runtime.workers.ops_dashboard.deviations import StorageFault
from workerflow_kit.runtime.workers.ops_dashboard.params import QueryParams

__all__ = ["ApiCall", "env_name"]


def env_name(env: Env) -> object:
    """``env.ENV_NAME`` as JSON would carry it: absent → left out (JS ``undefined``)."""
    return env.get("ENV_NAME", UNDEFINED)


@dataclass(frozen=True)
class ApiCall:
    """One authorized ``/api/*`` request after manifest resolution (spec 9.1 row 7)."""

    request: Request
    env: Env
    manifest: Manifest
    extensions: list[Any]
    clock: Clock
    query: QueryParams = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "query", QueryParams(self.request.search))

    @property
    def db(self) -> D1Database:
        """The ``DB`` binding (a missing binding is a storage fault)."""
        db = self.env.get("DB")
        if db is None or not hasattr(db, "prepare"):
            raise StorageFault("database", "the DB binding is not configured on ops-dashboard")
        return cast(D1Database, db)

    @property
    def queue(self) -> Queue:
        """The ``AUTOMATION_QUEUE`` binding (a missing binding is a storage fault)."""
        queue = self.env.get("AUTOMATION_QUEUE")
        if queue is None or not hasattr(queue, "send"):
            raise StorageFault("queue", "the AUTOMATION_QUEUE binding is not configured on ops-dashboard")
        return cast(Queue, queue)

    def now_ms(self) -> int:
        """``Date.now()``."""
        return self.clock.now_ms()

    def now_iso(self) -> str:
        """``new Date().toISOString()``."""
        return to_iso_string(self.clock.now_ms())
