"""The workflow worker's configuration rules (spec 6.3): which env vars a task needs before it may run.

Used for one task by ``/run-*`` (spec 6.4) and for the whole manifest by ``/health/config``.
Upstream stringifies a non-string value before the blank test (JS ``String(v).trim()``), so ``0``, ``false``
and any object count as a value while ``[]`` and ``[" "]`` (which stringify blank) do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workerflow_kit.contracts import models
from workerflow_kit.contracts.gating import is_route_enabled
from workerflow_kit.contracts.models import Manifest, TaskKind
from workerflow_kit.jscompat.strings import js_is_blank
from workerflow_kit.jscompat.values import js_string, js_truthy

__all__ = [
    "CONFIG_REQUIREMENTS",
    "ConfigRequirement",
    "has_value",
    "requirement_for",
    "validate_manifest_config",
    "validate_task_config",
]


@dataclass(frozen=True)
class ConfigRequirement:
    """At least one of ``variables`` must have a value; ``label`` names the missing thing in the error."""

    variables: tuple[str, ...]
    label: str


#: Spec 6.3, keyed by (task kind, route path or schedule id). Anything not listed needs nothing.
CONFIG_REQUIREMENTS: Mapping[tuple[TaskKind, str], ConfigRequirement] = {
    ("http_route", "chat_notify"): ConfigRequirement(
        ("CHAT_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK"), "chat webhook URL"
    ),
    ("http_route", "lead_normalizer"): ConfigRequirement(
        ("GOOGLEAI_API_KEY", "LEAD_NORMALIZER_API_KEY"), "Google AI key"
    ),
    ("scheduled_job", "cleanup_daily"): ConfigRequirement(("CLEANUP_SIGNING_SECRET",), "cleanup signing secret"),
}

_CONTEXT = {"http_route": "route", "scheduled_job": "schedule"}


def has_value(value: object) -> bool:
    """Whether an env value counts as set: not ``None`` (pass ``env.get(name)``, so a missing key is ``None``)
    and its JS string form (``String(value)``) is not blank after JS trim."""
    return value is not None and not js_is_blank(js_string(value))


def requirement_for(kind: TaskKind, name: str) -> ConfigRequirement | None:
    """The requirement for a route (``kind="http_route"``) or schedule (``"scheduled_job"``), if any."""
    return CONFIG_REQUIREMENTS.get((kind, name))


def _check(kind: TaskKind, name: str, env: Mapping[str, object], errors: list[str]) -> None:
    requirement = requirement_for(kind, name)
    if requirement is None or any(has_value(env.get(var)) for var in requirement.variables):
        return
    errors.append(
        f'{_CONTEXT[kind]} "{name}": missing {requirement.label}. Checked: {", ".join(requirement.variables)}'
    )


def validate_task_config(task: Mapping[str, object], env: Mapping[str, object]) -> list[str]:
    """Configuration errors for running ``task`` (spec 6.4 step 2); empty when it may run.

    Only route tasks with a non-empty (JS-truthy) ``routePath`` and schedule tasks with a non-empty
    ``scheduleId`` are checked; gating and the manifest play no part.
    """
    errors: list[str] = []
    kind = task.get("kind")
    if kind == "http_route" and isinstance(kind, str):
        name = task.get("routePath")
    elif kind == "scheduled_job" and isinstance(kind, str):
        name = task.get("scheduleId")
    else:
        return errors
    if js_truthy(name) and isinstance(name, str):
        _check(kind, name, env, errors)
    return errors


def validate_manifest_config(manifest: Manifest | None, env: Mapping[str, object]) -> list[str]:
    """Configuration errors for everything the manifest serves, as ``/health/config`` reports them: every
    route that passes gating (spec 3.4), in manifest order, then every enabled schedule, in order.
    ``None`` means the built-in lists. Duplicated entries are reported as often as they appear."""
    routes = models.builtin_routes() if manifest is None else manifest.routes
    schedules = models.builtin_schedules() if manifest is None else manifest.schedules
    errors: list[str] = []
    for route in routes:
        if is_route_enabled(route.routePath, env):
            _check("http_route", route.routePath, env, errors)
    for schedule in schedules:
        if schedule.enabled:
            _check("scheduled_job", schedule.id, env, errors)
    return errors
