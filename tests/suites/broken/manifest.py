"""Reference runtimes with one manifest-resolution rule broken, for the manifest suite's meta-test.

Use with ``--wf-runtime-factory=tests.suites.broken.manifest:<name>``. Each factory starts the reference
:class:`Runtime` and replaces its api, ops and workflow workers (or only the ops worker) by subclasses that
rewrite the env a request sees, or the answer it gets. The runtime's code is never patched. :data:`BROKEN`
maps each factory to exactly the manifest checks that must fail against it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from tests.suites.broken.responses import json_body, with_body
from workerflow_kit.contracts.manifest import MODE_VAR, ROUTES_VAR, SCHEDULES_VAR, ManifestError, resolve_manifest
from workerflow_kit.jscompat.strings import js_is_blank, js_lower, js_trim
from workerflow_kit.runtime.http import Request, Response
from workerflow_kit.runtime.stack import Runtime
from workerflow_kit.runtime.workers.api import ApiWorker
from workerflow_kit.runtime.workers.base import Env
from workerflow_kit.runtime.workers.ops_dashboard import OpsDashboardWorker
from workerflow_kit.runtime.workers.workflow import WorkflowWorker

EnvRewrite = Callable[[Env], Env]
AnswerRewrite = Callable[[Request, Response], Response]

ERROR_BODY = "invalid manifest configuration"
ROUTE_FIELDS = ("routePath", "requestType", "flowPath", "wrapBody")
SCHEDULE_FIELDS = ("id", "cron", "enabled", "target", "timeZone")


def _identity_env(env: Env) -> Env:
    return env


def _identity_answer(request: Request, response: Response) -> Response:
    return response


class _Rewriting:
    """Mixin for a worker class: the env goes through ``env_rewrite``, the answer through ``answer_rewrite``."""

    env_rewrite: EnvRewrite = staticmethod(_identity_env)
    answer_rewrite: AnswerRewrite = staticmethod(_identity_answer)

    async def fetch(self, request: Request, env: Env) -> Response:
        response: Response = await super().fetch(request, self.env_rewrite(env))  # type: ignore[misc]
        return self.answer_rewrite(request, response)


class RewritingApi(_Rewriting, ApiWorker):
    pass


class RewritingOps(_Rewriting, OpsDashboardWorker):
    pass


class RewritingWorkflow(_Rewriting, WorkflowWorker):
    pass


async def _with(
    *,
    env_rewrite: EnvRewrite = _identity_env,
    answer_rewrite: AnswerRewrite = _identity_answer,
    workers: Iterable[str] = ("api", "ops", "workflow"),
) -> Runtime:
    runtime = await Runtime.start()
    chosen = set(workers)
    if "api" in chosen:
        runtime.api = RewritingApi(runtime.context)
        runtime.api.env_rewrite, runtime.api.answer_rewrite = env_rewrite, answer_rewrite
    if "ops" in chosen:
        ops = RewritingOps(runtime.context)
        ops.env_rewrite, ops.answer_rewrite = env_rewrite, answer_rewrite
        runtime.ops = ops
    if "workflow" in chosen:
        runtime.workflow = RewritingWorkflow(runtime.context, registry=runtime.handlers)
        runtime.workflow.env_rewrite, runtime.workflow.answer_rewrite = env_rewrite, answer_rewrite
    return runtime


def _config_mode(env: Env) -> bool:
    mode = env.get(MODE_VAR)
    return isinstance(mode, str) and js_lower(js_trim(mode)) == "config"


# ------------------------------------------------------------------------------------------ env rewrites


async def mode_not_trimmed() -> Runtime:
    """MANIFEST_MODE is lowercased but not trimmed: ' CONFIG ' selects legacy mode."""

    def rewrite(env: Env) -> Env:
        mode = env.get(MODE_VAR)
        if isinstance(mode, str) and _config_mode(env) and js_lower(mode) != "config":
            return {**env, MODE_VAR: "legacy"}
        return env

    return await _with(env_rewrite=rewrite)


async def blank_var_is_invalid_json() -> Runtime:
    """A whitespace-only *_CONFIG_JSON goes to the JSON parser (and fails) instead of falling back."""

    def rewrite(env: Env) -> Env:
        if not _config_mode(env):
            return env
        changed = dict(env)
        for name in (ROUTES_VAR, SCHEDULES_VAR):
            value = env.get(name)
            if isinstance(value, str) and value and js_is_blank(value):
                changed[name] = value + "\u200b"  # still nothing but layout to a reader, not to JSON.parse
        return changed

    return await _with(env_rewrite=rewrite)


async def schedules_parsed_first() -> Runtime:
    """SCHEDULES_CONFIG_JSON is parsed before ROUTES_CONFIG_JSON: a schedules error masks a routes error."""

    def rewrite(env: Env) -> Env:
        if not _config_mode(env):
            return env
        try:
            resolve_manifest({MODE_VAR: "config", SCHEDULES_VAR: env.get(SCHEDULES_VAR)})
        except ManifestError:
            return {name: value for name, value in env.items() if name != ROUTES_VAR}
        return env

    return await _with(env_rewrite=rewrite)


async def empty_array_falls_back() -> Runtime:
    """An empty JSON array is treated like a blank variable: the built-in list is served instead of none."""

    def rewrite(env: Env) -> Env:
        if not _config_mode(env):
            return env
        changed = dict(env)
        for name in (ROUTES_VAR, SCHEDULES_VAR):
            value = env.get(name)
            if isinstance(value, str) and re.fullmatch(r"\s*\[\s*\]\s*", value):
                changed.pop(name)
        return changed

    return await _with(env_rewrite=rewrite)


# ------------------------------------------------------------------------------------------ answer rewrites


async def invalid_item_index_off_by_one() -> Runtime:
    """The invalid-item message counts from 1, not 0 ('has invalid item at index 1' for the first item)."""

    def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if response.status == 500 and isinstance(body, dict) and body.get("error") == ERROR_BODY:
            message = re.sub(r"(invalid item at index )(\d+)", lambda m: f"{m[1]}{int(m[2]) + 1}", body["message"])
            return with_body(response, {**body, "message": message})
        return response

    return await _with(answer_rewrite=rewrite)


async def manifest_error_crashes() -> Runtime:
    """A manifest error crashes every worker (a bare 500): upstream's v0.1 behaviour."""

    def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if response.status == 500 and isinstance(body, dict) and body.get("error") == ERROR_BODY:
            raise ValueError(body["message"])
        return response

    return await _with(answer_rewrite=rewrite)


async def catalog_not_in_manifest_order() -> Runtime:
    """The ops catalog lists routes and schedules in reverse manifest order."""

    def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if request.pathname == "/api/catalog" and response.status == 200 and isinstance(body, dict):
            return with_body(response, {**body, "routes": body["routes"][::-1], "schedules": body["schedules"][::-1]})
        return response

    return await _with(answer_rewrite=rewrite, workers=["ops"])


async def extra_keys_dropped() -> Runtime:
    """Ops route-detail / cron-detail echo only the contract fields of a definition, not its extra keys."""

    def rewrite(request: Request, response: Response) -> Response:
        body = json_body(response)
        if response.status != 200 or not isinstance(body, dict):
            return response
        for key, fields in (("route", ROUTE_FIELDS), ("schedule", SCHEDULE_FIELDS)):
            if isinstance(body.get(key), dict):
                body[key] = {name: body[key][name] for name in fields if name in body[key]}
                return with_body(response, body)
        return response

    return await _with(answer_rewrite=rewrite, workers=["ops"])


PROPERTY = "manifest.property-resolution"
PROPERTY_MESSAGE = "manifest.property-error-message"

BROKEN: dict[str, frozenset[str]] = {
    # factory: every manifest check that must fail against it (the rest pass)
    "mode_not_trimmed": frozenset({"manifest.fixture-resolves", PROPERTY, PROPERTY_MESSAGE}),
    "blank_var_is_invalid_json": frozenset({"manifest.fixture-resolves", PROPERTY_MESSAGE}),
    "schedules_parsed_first": frozenset({"manifest.error-is-json", PROPERTY_MESSAGE}),
    "empty_array_falls_back": frozenset({"manifest.fixture-resolves", PROPERTY}),
    "invalid_item_index_off_by_one": frozenset({"manifest.error-is-json", PROPERTY_MESSAGE}),
    "manifest_error_crashes": frozenset({"manifest.error-is-json", PROPERTY_MESSAGE}),
    "catalog_not_in_manifest_order": frozenset({"manifest.fixture-resolves", PROPERTY}),
    "extra_keys_dropped": frozenset({"manifest.extra-keys-kept"}),
}
"""Factory name -> exactly the manifest checks that must fail; the property checks under the meta-test's derandomized
Hypothesis profile (there, none of the 25 examples of ``property-resolution`` meets ``blank_var_is_invalid_json``)."""
