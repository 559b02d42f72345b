"""The bootstrap plan: the wrangler commands that create and deploy a WorkerFlow environment, in order.

The output has the shape of upstream's ``scripts/bootstrap_cloudflare.mjs`` (``{specPath, applyMode, plan}``
with one ``{id, cmd}`` per step and the same step ids), so tooling written for one reads the other. Commands
run from the ``cloudflare/`` folder, as upstream's do, so worker config paths drop their ``cloudflare/``
prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workerflow_kit.bootstrap.spec import ResourceSpec

__all__ = ["STEP_IDS", "PlanStep", "build_plan", "plan_document"]

STEP_IDS = (
    "wrangler_login",
    "create_d1",
    "create_queue",
    "apply_d1_local_migrations",
    "apply_d1_remote_migrations",
    "set_workflow_secret_example",
    "deploy_workers",
    "notes",
)
#: Deploy order by worker role: the workflow first, since the others bind to it as a service.
_DEPLOY_ORDER = ("workflow", "queue-consumer", "api", "scheduler", "ops-dashboard")
_APP_FOLDER = "cloudflare/"


@dataclass(frozen=True)
class PlanStep:
    id: str
    cmd: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "cmd": self.cmd}


def _role(worker_name: str) -> str | None:
    return next((role for role in _DEPLOY_ORDER if worker_name.endswith(f"-{role}")), None)


def _config(spec: ResourceSpec, role: str) -> str:
    worker = next((w for w in spec.workers if _role(w.name) == role), None)
    path = worker.config_path if worker else f"workers/{role}/wrangler.jsonc"
    return path.removeprefix(_APP_FOLDER)


def _deploy_command(spec: ResourceSpec) -> str:
    def rank(index: int) -> tuple[int, int]:
        role = _role(spec.workers[index].name)
        return (_DEPLOY_ORDER.index(role) if role else len(_DEPLOY_ORDER), index)

    order = sorted(range(len(spec.workers)), key=rank)
    return " && ".join(
        f"npx wrangler deploy --config {spec.workers[i].config_path.removeprefix(_APP_FOLDER)}" for i in order
    )


def build_plan(spec: ResourceSpec) -> list[PlanStep]:
    """Every step, in the order an operator runs them."""
    d1 = spec.d1_name
    api_config = _config(spec, "api")
    return [
        PlanStep("wrangler_login", "npx wrangler login"),
        PlanStep("create_d1", f"npx wrangler d1 create {d1}"),
        PlanStep("create_queue", f"npx wrangler queues create {spec.queue_name}"),
        PlanStep("apply_d1_local_migrations", f"npx wrangler d1 migrations apply {d1} --local --config {api_config}"),
        PlanStep("apply_d1_remote_migrations", f"npx wrangler d1 migrations apply {d1} --remote --config {api_config}"),
        PlanStep(
            "set_workflow_secret_example",
            f"npx wrangler secret put GOOGLEAI_API_KEY --config {_config(spec, 'workflow')}",
        ),
        PlanStep("deploy_workers", _deploy_command(spec)),
        PlanStep("notes", f"d1_migrations_dir={spec.migrations_dir}; secrets_store_id={spec.secrets_store_id}"),
    ]


def plan_document(spec: ResourceSpec, *, apply_mode: bool = False) -> dict[str, Any]:
    """Upstream's machine-readable plan: ``{"specPath", "applyMode", "plan": [{"id", "cmd"}]}``."""
    return {"specPath": spec.shown, "applyMode": apply_mode, "plan": [step.as_json() for step in build_plan(spec)]}
