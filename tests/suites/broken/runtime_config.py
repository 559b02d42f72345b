"""Reference runtimes with one configuration rule broken, for the runtime-config meta-test.

``--wf-runtime-factory=tests.suites.broken.runtime_config:<name>``. Each factory starts the reference
:class:`Runtime` and breaks one rule from the outside: a subclass of the workflow, api or ops worker that hands
the reference code a rewritten env, or rewrites one kind of answer. The runtime's own code is never patched.
:data:`BROKEN` maps each factory to the check ids that must catch it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from tests.suites.broken.responses import json_body, with_body
from workerflow_kit.jscompat.strings import js_trim
from workerflow_kit.runtime.http import Request, Response
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.runtime.workers.api import ApiWorker
from workerflow_kit.runtime.workers.base import Env
from workerflow_kit.runtime.workers.ops_dashboard import OpsDashboardWorker
from workerflow_kit.runtime.workers.workflow import WorkflowWorker

ENABLED = "ENABLED_HTTP_ROUTES"
DISABLED = "DISABLED_HTTP_ROUTES"
SECRETS = (
    "CHAT_WEBHOOK_URL",
    "GCHAT_ALERTS_WEBHOOK_URL",
    "GCHAT_ALERTS_WEBHOOK",
    "GOOGLEAI_API_KEY",
    "LEAD_NORMALIZER_API_KEY",
    "CLEANUP_SIGNING_SECRET",
)
ROUTES = ("webhook_echo", "chat_notify", "lead_normalizer")

EnvRewrite = Callable[[Request, dict[str, object]], dict[str, object]]
AnswerRewrite = Callable[[Request, Response], Response]


def _keep(request: Request, response: Response) -> Response:
    return response


def _same(request: Request, env: dict[str, object]) -> dict[str, object]:
    return env


class _Broken:
    """Mixin: the reference ``fetch`` over a rewritten copy of the env, its answer rewritten too."""

    env_rewrite: EnvRewrite = staticmethod(_same)
    answer_rewrite: AnswerRewrite = staticmethod(_keep)

    async def _broken_fetch(self, fetch: Callable[[Request, Env], Any], request: Request, env: Env) -> Response:
        response: Response = await fetch(request, self.env_rewrite(request, dict(env)))
        return self.answer_rewrite(request, response)


class BrokenWorkflow(_Broken, WorkflowWorker):
    async def fetch(self, request: Request, env: Env) -> Response:
        return await self._broken_fetch(super().fetch, request, env)


class BrokenApi(_Broken, ApiWorker):
    async def fetch(self, request: Request, env: Env) -> Response:
        return await self._broken_fetch(super().fetch, request, env)


class BrokenOps(_Broken, OpsDashboardWorker):
    async def fetch(self, request: Request, env: Env) -> Response:
        return await self._broken_fetch(super().fetch, request, env)


async def _runtime(worker: str, *, env: EnvRewrite | None = None, answer: AnswerRewrite | None = None) -> Runtime:
    runtime = await Runtime.start()
    broken: Any
    if worker == "workflow":
        broken = BrokenWorkflow(runtime.context, registry=runtime.handlers)
    elif worker == "api":
        broken = BrokenApi(runtime.context)
    else:
        broken = BrokenOps(runtime.context)
    if env is not None:
        broken.env_rewrite = env
    if answer is not None:
        broken.answer_rewrite = answer
    setattr(runtime, worker, broken)
    return runtime


def _entries(value: object) -> list[str]:
    return [js_trim(part) for part in value.split(",")] if isinstance(value, str) else []


# ------------------------------------------------------------------------------------------ workflow: rules


async def whitespace_value_counts() -> Runtime:
    """A whitespace-only secret counts as set (the blank test forgets to trim)."""

    def env(request: Request, values: dict[str, object]) -> dict[str, object]:
        for name in SECRETS:
            value = values.get(name)
            if isinstance(value, str) and value and not js_trim(value):
                values[name] = "wfk-whitespace-counted"
        return values

    return await _runtime("workflow", env=env)


async def gchat_alerts_webhook_forgotten() -> Runtime:
    """chat_notify's third alternative, ``GCHAT_ALERTS_WEBHOOK``, is not looked at."""

    def env(request: Request, values: dict[str, object]) -> dict[str, object]:
        values.pop("GCHAT_ALERTS_WEBHOOK", None)
        return values

    return await _runtime("workflow", env=env)


async def gated_routes_validated() -> Runtime:
    """``/health/config`` validates every manifest route, gated off or not."""

    def env(request: Request, values: dict[str, object]) -> dict[str, object]:
        if request.pathname == "/health/config":
            values.pop(ENABLED, None)
            values.pop(DISABLED, None)
        return values

    return await _runtime("workflow", env=env)


CHECKED = re.compile(r"(?<=Checked: )(.*)$")


def _reorder(error: object) -> object:
    if not isinstance(error, str):
        return error
    return CHECKED.sub(lambda match: ", ".join(reversed(match.group(1).split(", "))), error)


async def checked_list_reordered() -> Runtime:
    """Error messages list the checked variables in another order (``Checked:`` reversed)."""

    def answer(request: Request, response: Response) -> Response:
        body = json_body(response)
        if isinstance(body, dict):
            for key in ("errors", "details"):
                if isinstance(body.get(key), list):
                    body[key] = [_reorder(error) for error in body[key]]
                    return with_body(response, body)
        return response

    return await _runtime("workflow", answer=answer)


async def health_config_not_200() -> Runtime:
    """``/health/config`` answers 503 when there are errors (spec: always 200, ``ok`` false)."""

    def answer(request: Request, response: Response) -> Response:
        body = json_body(response)
        if request.pathname == "/health/config" and isinstance(body, dict) and body.get("ok") is False:
            return with_body(response, body, status=503)
        return response

    return await _runtime("workflow", answer=answer)


# ------------------------------------------------------------------------------------------ api: gating


def _set(values: dict[str, object], name: str, entries: list[str]) -> None:
    values[name] = ",".join(entries)


async def disabled_loses_to_enabled() -> Runtime:
    """A route in both gating sets is served: the enabled set wins over the disabled one."""

    def env(request: Request, values: dict[str, object]) -> dict[str, object]:
        enabled = set(_entries(values.get(ENABLED))) - {""}
        if enabled and isinstance(values.get(DISABLED), str):
            _set(values, DISABLED, [entry for entry in _entries(values[DISABLED]) if entry not in enabled])
        return values

    return await _runtime("api", env=env)


async def gating_case_insensitive() -> Runtime:
    """Gating entries match route paths case-insensitively (``CHAT_NOTIFY`` gates ``chat_notify``)."""
    canonical = {route.lower(): route for route in ROUTES}

    def env(request: Request, values: dict[str, object]) -> dict[str, object]:
        for name in (ENABLED, DISABLED):
            if isinstance(values.get(name), str):
                _set(values, name, [canonical.get(entry.lower(), entry) for entry in _entries(values[name])])
        return values

    return await _runtime("api", env=env)


async def gating_entries_untrimmed() -> Runtime:
    """Gating entries are not trimmed: ``" chat_notify "`` names no route."""

    def env(request: Request, values: dict[str, object]) -> dict[str, object]:
        for name in (ENABLED, DISABLED):
            value = values.get(name)
            if isinstance(value, str):
                parts = value.split(",")
                values[name] = ",".join("\x00" + p if js_trim(p) and js_trim(p) != p else p for p in parts)
        return values

    return await _runtime("api", env=env)


# ------------------------------------------------------------------------------------------ ops: retry, health


def _on_retry(rewrite: Callable[[dict[str, object]], None]) -> EnvRewrite:
    def env(request: Request, values: dict[str, object]) -> dict[str, object]:
        if request.pathname.startswith("/api/retry/"):
            rewrite(values)
        return values

    return env


def _drop(*names: str) -> Callable[[dict[str, object]], None]:
    def rewrite(values: dict[str, object]) -> None:
        for name in names:
            values.pop(name, None)

    return rewrite


async def retry_ignores_gating() -> Runtime:
    """Ops retry replays a dead letter whose route is gated off (202 instead of 409)."""
    return await _runtime("ops", env=_on_retry(_drop(ENABLED, DISABLED)))


async def retry_uses_builtin_manifest() -> Runtime:
    """Ops retry checks the built-in manifest, not the ops worker's config-mode one."""
    return await _runtime("ops", env=_on_retry(_drop("MANIFEST_MODE")))


def _swap(values: dict[str, object]) -> None:
    enabled = values.pop(ENABLED, None)
    values.pop(DISABLED, None)
    if enabled is not None:
        values[DISABLED] = enabled


async def retry_enabled_set_inverted() -> Runtime:
    """Ops retry reads ``ENABLED_HTTP_ROUTES`` as a list of routes to block."""
    return await _runtime("ops", env=_on_retry(_swap))


async def secrets_health_drops_errors() -> Runtime:
    """``/api/secrets-health`` reports ``ok: true`` and no errors whatever the workflow says."""

    def answer(request: Request, response: Response) -> Response:
        body = json_body(response)
        if request.pathname == "/api/secrets-health" and isinstance(body, Mapping) and body.get("available"):
            return with_body(response, {**body, "ok": True, "errors": []})
        return response

    return await _runtime("ops", answer=answer)


P = "runtime-config."
BROKEN: dict[str, frozenset[str]] = {
    "whitespace_value_counts": frozenset({P + "health-config-errors", P + "run-config-errors"}),
    "gchat_alerts_webhook_forgotten": frozenset({P + "health-config-errors", P + "run-config-errors"}),
    "gated_routes_validated": frozenset({P + "health-config-errors"}),
    "checked_list_reordered": frozenset(
        {P + "health-config-errors", P + "run-config-errors", P + "secrets-health-agrees"}
    ),
    "health_config_not_200": frozenset(
        {P + "health-config-shape", P + "health-config-errors", P + "secrets-health-agrees"}
    ),
    "disabled_loses_to_enabled": frozenset({P + "gating-disabled-wins", P + "gating-property"}),
    "gating_case_insensitive": frozenset({P + "gating-case-sensitive", P + "gating-property"}),
    "gating_entries_untrimmed": frozenset({P + "gating-gated-route-is-unknown", P + "gating-property"}),
    "retry_ignores_gating": frozenset({P + "retry-gated-route-409"}),
    "retry_uses_builtin_manifest": frozenset(
        {P + "retry-unregistered-route-409", P + "retry-schedule-not-enabled-409"}
    ),
    "retry_enabled_set_inverted": frozenset({P + "retry-gated-route-409", P + "retry-enabled-202"}),
    "secrets_health_drops_errors": frozenset({P + "secrets-health-agrees"}),
}
"""Factory name -> exactly the checks that must fail against it (every other check passes)."""
