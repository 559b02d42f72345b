"""Checks on the files around the code: config examples, the infra resources file, and the env var docs.

Levels: an example config or infra file that breaks the kit's schema is a **fail** (bootstrap and config mode
would read it). The infra file's ``$schema`` key rejected by the file's *own* schema is a **warn**: it is
upstream's v0.1 state (spec 2.8, Q10), harmless to the tools that read the file, but any strict validator
(an editor, CI) reports the file as invalid. A ``$schema`` that points at no file is a **fail**. Env vars that
runtime-config validation needs but no doc or ``.dev.vars.example`` mentions are a **warn**: operators will
not know to set them, and ``/health/config`` then reports the routes as misconfigured.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped, unused-ignore]
from referencing.exceptions import Unresolvable

from workerflow_kit.contracts.documents import load_document, read_text
from workerflow_kit.contracts.runtime_config import ConfigRequirement, requirement_for
from workerflow_kit.contracts.schemas import check_file, json_pointer, validate_document
from workerflow_kit.errors import FileProblem
from workerflow_kit.preflight.context import PreflightContext
from workerflow_kit.preflight.report import PreflightResult
from workerflow_kit.preflight.results import at, ok

__all__ = ["check_config_examples", "check_env_documented", "check_infra_own_schema", "check_infra_schema"]

EXAMPLES = "preflight.config-examples-valid"
INFRA = "preflight.infra-schema"
INFRA_OWN = "preflight.infra-own-schema"
ENV_DOCS = "preflight.env-documented"

_KIND_BY_NAME = {"routes.config": "routes-config", "schedules.config": "schedules-config"}


def check_config_examples(ctx: PreflightContext) -> list[PreflightResult]:
    """The example routes/schedules config files validate against the kit's schemas."""
    results: list[PreflightResult] = []
    for path in ctx.config_examples:
        kind = next((k for prefix, k in _KIND_BY_NAME.items() if path.name.startswith(prefix)), None)
        try:
            used, findings = check_file(path, kind)
        except FileProblem as exc:
            results.append(at(ctx, EXAMPLES, "fail", exc.message, path))
            continue
        for finding in findings:
            results.append(at(ctx, EXAMPLES, "fail", f"{finding.message} ({used} schema)", path, finding.location))
    if not results:
        names = ", ".join(path.name for path in ctx.config_examples) or "none found"
        results.append(ok(EXAMPLES, f"config examples validate against their schemas ({names})"))
    return results


def _shown_infra(ctx: PreflightContext) -> str:
    return "the infra file" if ctx.infra_file is None else ctx.show(ctx.infra_file)


def _load_infra(ctx: PreflightContext, check_id: str, results: list[PreflightResult]) -> Any:
    if ctx.infra_file is None:
        looked = ctx.show(ctx.repo_root / "infra" / "cloudflare.resources.json")
        results.append(at(ctx, check_id, "warn", f"no infra resources file (looked for {looked})", None))
        return None
    try:
        return load_document(ctx.infra_file)
    except FileProblem as exc:
        results.append(at(ctx, check_id, "fail", exc.message, ctx.infra_file))
        return None


def check_infra_schema(ctx: PreflightContext) -> list[PreflightResult]:
    """The infra resources file validates against the kit's resources schema."""
    results: list[PreflightResult] = []
    document = _load_infra(ctx, INFRA, results)
    if document is None:
        return results
    for finding in validate_document(document, "resources"):
        results.append(at(ctx, INFRA, "fail", finding.message, ctx.infra_file, finding.location))
    if not results:
        results.append(ok(INFRA, f"{_shown_infra(ctx)} validates against the kit's resources schema"))
    return results


def _own_schema(ctx: PreflightContext, document: Any, results: list[PreflightResult]) -> tuple[Path, Any] | None:
    infra = ctx.infra_file
    if infra is None:  # _load_infra reported it
        return None
    reference = document.get("$schema") if isinstance(document, dict) else None
    if reference is None:
        results.append(ok(INFRA_OWN, f"{_shown_infra(ctx)} names no schema of its own ($schema)"))
        return None
    if not isinstance(reference, str) or not reference.strip():
        results.append(at(ctx, INFRA_OWN, "fail", f"expected a schema path, got {reference!r}", infra, "/$schema"))
        return None
    if re.match(r"^[a-z][a-z0-9+.-]*://", reference):
        results.append(ok(INFRA_OWN, f"$schema is a URL ({reference}); not fetched"))
        return None
    schema_path = (infra.parent / reference).resolve()
    if not schema_path.is_file():
        message = f'"{reference}" points at {ctx.show(schema_path)}, which does not exist'
        results.append(at(ctx, INFRA_OWN, "fail", message, infra, "/$schema"))
        return None
    try:
        return schema_path, load_document(schema_path)
    except FileProblem as exc:
        results.append(at(ctx, INFRA_OWN, "fail", exc.message, schema_path))
        return None


def check_infra_own_schema(ctx: PreflightContext) -> list[PreflightResult]:
    """The infra file validates against the schema its ``$schema`` key names (upstream's does not: Q10)."""
    results: list[PreflightResult] = []
    document = _load_infra(ctx, INFRA_OWN, results)
    found = None if document is None else _own_schema(ctx, document, results)
    if found is None:
        return results
    schema_path, schema = found
    try:
        Draft202012Validator.check_schema(schema)
        errors = sorted(Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    except SchemaError as exc:
        results.append(at(ctx, INFRA_OWN, "fail", f"not a valid JSON Schema: {exc.message}", schema_path))
        return results
    except Unresolvable as exc:  # a $ref we will not fetch
        results.append(at(ctx, INFRA_OWN, "warn", f"cannot check: unresolvable $ref {exc.ref!r}", schema_path))
        return results
    shown = ctx.show(schema_path)
    for error in errors:
        pointer = json_pointer(error.absolute_path)
        extras = (
            set(error.instance) - set(error.schema.get("properties", {}))
            if error.validator == "additionalProperties"
            else set()
        )
        if not pointer and "$schema" in extras:
            message = (
                f'the file fails its own schema {shown}: that schema sets "additionalProperties": false at the top '
                'level and does not declare "$schema", so strict validators reject the key ("Additional properties '
                'are not allowed (\'$schema\' was unexpected)"); declare "$schema": {"type": "string"} in the '
                "schema's properties (the kit's resources schema does)"
            )
            results.append(at(ctx, INFRA_OWN, "warn", message, ctx.infra_file, "/$schema"))
            extras.discard("$schema")
            if not extras:
                continue
        message = f"fails its own schema {shown}: {error.message}"
        results.append(at(ctx, INFRA_OWN, "fail", message, ctx.infra_file, pointer or "/"))
    if not results:
        results.append(ok(INFRA_OWN, f"{_shown_infra(ctx)} validates against its own schema {shown}"))
    return results


def _requirements(ctx: PreflightContext) -> list[tuple[str, str, ConfigRequirement]]:
    """(route/schedule, id, requirement) for everything the manifest serves that needs configuration."""
    needed: list[tuple[str, str, ConfigRequirement]] = []
    for route in ctx.manifest.routes:
        requirement = requirement_for("http_route", route.routePath)
        if requirement is not None:
            needed.append(("route", route.routePath, requirement))
    for schedule in ctx.manifest.schedules:
        requirement = requirement_for("scheduled_job", schedule.id) if schedule.enabled else None
        if requirement is not None:
            needed.append(("schedule", schedule.id, requirement))
    return needed


def check_env_documented(ctx: PreflightContext) -> list[PreflightResult]:
    """Each env var runtime-config validation needs is named in ``.dev.vars.example`` or the docs."""
    needed = _requirements(ctx)
    variables = sorted({var for *_, requirement in needed for var in requirement.variables})
    if ctx.bundled:
        listed = ", ".join(variables) or "none"
        return [ok(ENV_DOCS, f"the bundled baseline ships no docs to check; runtime config needs: {listed}")]
    texts: dict[Path, str] = {}
    for path in ctx.doc_files:
        try:
            texts[path] = read_text(path)
        except FileProblem:
            continue
    if not texts:
        looked = ", ".join(sorted({ctx.show(ctx.root / ".dev.vars.example"), ctx.show(ctx.repo_root / "docs")}))
        return [at(ctx, ENV_DOCS, "warn", f"no .dev.vars.example or docs to check (looked for {looked})", None)]
    results: list[PreflightResult] = []
    documented: dict[str, str] = {}
    for label, item_id, requirement in needed:
        where = {
            var: next((ctx.show(path) for path, text in texts.items() if re.search(rf"\b{var}\b", text)), None)
            for var in requirement.variables
        }
        hits = {var: path for var, path in where.items() if path is not None}
        if hits:
            documented.update(hits)
            continue
        message = (
            f'{label} "{item_id}" needs {" or ".join(requirement.variables)} ({requirement.label}), but no '
            f"doc names it: add it to .dev.vars.example or the docs"
        )
        results.append(at(ctx, ENV_DOCS, "warn", message, None))
    if not results:
        listed = ", ".join(f"{var} ({path})" for var, path in documented.items()) or "none needed"
        results.append(ok(ENV_DOCS, f"runtime-config variables are documented: {listed}"))
    return results
