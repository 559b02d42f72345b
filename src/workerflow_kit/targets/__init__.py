"""Targets: the ways a suite reaches a WorkerFlow runtime, each with declared capabilities.

Public API::

    from workerflow_kit.targets import Capability, InProcessTarget, ServedTarget, UrlTarget, create_target

    with create_target("inprocess") as target:             # or "served", or "url" (api_url=..., ...)
        target.api.get("/api/health")                      # sync httpx clients: api, ops, workflow, scheduler
        if target.has(Capability.DRAIN_QUEUE):
            target.drain()

* :class:`Target` (:mod:`.base`): the interface; :class:`Capability` (``clock``, ``drain_queue``,
  ``inspect_db``, ``set_env``, ``trigger_cron``, ``writes_allowed``); :class:`MissingCapability`, whose
  message is the skip reason (``requires capability 'drain_queue' which target 'url' lacks``).
* :class:`InProcessTarget` (:mod:`.inprocess`): the reference runtime in this process; every capability;
  ``runtime_factory=`` injects a custom (or deliberately broken) runtime.
* :class:`ServedTarget` (:mod:`.served`): ``workerflow-kit serve`` started on free loopback ports, stopped on
  close.
* :class:`UrlTarget` (:mod:`.url`): any running deployment, ``wrangler dev`` included, from ``WORKERFLOW_*``
  variables or keywords; read-only unless writes are allowed.
* :func:`create_target`: one of the three by name, the door the pytest plugin uses.
"""

from __future__ import annotations

from typing import Any, Final

from workerflow_kit.targets.base import (
    Capability,
    MissingCapability,
    Target,
    TargetError,
    UnknownCapability,
    parse_capabilities,
)
from workerflow_kit.targets.inprocess import InProcessTarget, RuntimeFactory, load_runtime_factory
from workerflow_kit.targets.served import ServedTarget
from workerflow_kit.targets.url import UrlTarget

__all__ = [
    "TARGET_KINDS",
    "Capability",
    "InProcessTarget",
    "MissingCapability",
    "RuntimeFactory",
    "ServedTarget",
    "Target",
    "TargetError",
    "UnknownCapability",
    "UrlTarget",
    "create_target",
    "load_runtime_factory",
    "parse_capabilities",
]

TARGET_KINDS: Final = ("inprocess", "served", "url")
"""The names :func:`create_target` (and ``--wf-target``) accepts."""


def create_target(kind: str, **options: Any) -> Target:
    """Build the target called ``kind`` with its keyword ``options`` (see each class for the keywords)."""
    if kind == "inprocess":
        return InProcessTarget(**options)
    if kind == "served":
        return ServedTarget(**options)
    if kind == "url":
        return UrlTarget(**options)
    raise TargetError(f"unknown target {kind!r}; use one of {', '.join(TARGET_KINDS)}")
