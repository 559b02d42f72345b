"""Run every preflight check over one project and collect the results, in a fixed order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workerflow_kit.errors import KitError
from workerflow_kit.preflight import deploy_checks, file_checks, manifest_checks
from workerflow_kit.preflight.context import PreflightContext, load_context
from workerflow_kit.preflight.report import PreflightReport, PreflightResult

__all__ = ["CHECKS", "run_preflight"]

Check = Callable[[PreflightContext], list[PreflightResult]]

#: Check id -> check, in report order.
CHECKS: dict[str, Check] = {
    manifest_checks.HANDLERS: manifest_checks.check_handlers,
    manifest_checks.CONTRACT: manifest_checks.check_contract,
    manifest_checks.CRONS: manifest_checks.check_crons,
    manifest_checks.SCHEDULES_FIRE: manifest_checks.check_schedules_fire,
    manifest_checks.TRIGGERS_USED: manifest_checks.check_triggers_used,
    deploy_checks.PLACEHOLDERS: deploy_checks.check_placeholders,
    deploy_checks.QUEUES: deploy_checks.check_queues,
    deploy_checks.SERVICES: deploy_checks.check_services,
    deploy_checks.MIGRATIONS: deploy_checks.check_migrations,
    file_checks.EXAMPLES: file_checks.check_config_examples,
    file_checks.INFRA: file_checks.check_infra_schema,
    file_checks.INFRA_OWN: file_checks.check_infra_own_schema,
    file_checks.ENV_DOCS: file_checks.check_env_documented,
}


def run_preflight(project: Path | None = None) -> PreflightReport:
    """Check a WorkerFlow checkout (its ``cloudflare/`` folder or the repository root), or the bundled baseline
    when ``project`` is ``None``.

    A project that cannot be loaded at all raises the loader's :class:`~workerflow_kit.errors.KitError` (the CLI's
    exit 2). Inside a check, a file that cannot be read becomes a ``fail`` result naming it, so one broken file
    does not hide the other checks.
    """
    ctx = load_context(project)
    results: list[PreflightResult] = []
    for check_id, check in CHECKS.items():
        try:
            results.extend(check(ctx))
        except KitError as exc:
            results.append(PreflightResult(check_id, "fail", exc.render()))
    return PreflightReport(project=ctx.project.label, results=results)
