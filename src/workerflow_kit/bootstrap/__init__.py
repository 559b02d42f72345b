"""``workerflow-kit bootstrap``: plan and create the Cloudflare resources a WorkerFlow deployment needs.

* :func:`build_plan` / :func:`plan_document`: upstream's step list (``wrangler_login`` ... ``notes``);
* :func:`apply_local`: a local reference environment (SQLite with the migrations, and the queue);
* :func:`apply_remote`: the D1 database and the queue through Cloudflare's REST API, idempotently.
"""

from __future__ import annotations

from workerflow_kit.bootstrap.cloudflare import (
    CloudflareApiError,
    CloudflareAuthError,
    CloudflareClient,
    CloudflareError,
    CloudflareRateLimited,
    CloudflareUnreachable,
)
from workerflow_kit.bootstrap.local import LocalAction, apply_local
from workerflow_kit.bootstrap.plan import STEP_IDS, PlanStep, build_plan, plan_document
from workerflow_kit.bootstrap.remote import RemoteAction, apply_remote, planned_calls, resolve_account
from workerflow_kit.bootstrap.spec import ResourceSpec, load_spec

__all__ = [
    "STEP_IDS",
    "CloudflareApiError",
    "CloudflareAuthError",
    "CloudflareClient",
    "CloudflareError",
    "CloudflareRateLimited",
    "CloudflareUnreachable",
    "LocalAction",
    "PlanStep",
    "RemoteAction",
    "ResourceSpec",
    "apply_local",
    "apply_remote",
    "build_plan",
    "load_spec",
    "plan_document",
    "planned_calls",
    "resolve_account",
]
