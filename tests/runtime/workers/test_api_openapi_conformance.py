"""Real api worker responses validated against ``openapi.json`` (status, headers and body; JSON Schema 2020-12).

A whole runtime on a virtual clock is driven through every situation the document describes (health,
preflight, each 404 shape, 405, 401, async and sync calls, duplicates, dev-cron, the legacy family) and
through each of the api worker's deviations, where the reference answers a JSON error with the CORS headers
instead of crashing. Each answer is checked against the operation found by path template and method; a
deviation's answer must also land on a response marked with that deviation's id. Finally the deviation
markers of both documents are checked against the runtime's deviation table, in both directions.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import httpx
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from workerflow_kit.resources import openapi_path, ops_openapi_path
from workerflow_kit.runtime.bindings.clock import VirtualClock
from workerflow_kit.runtime.bindings.d1 import D1Database
from workerflow_kit.runtime.deviations import all_deviations
from workerflow_kit.runtime.handlers.registry import HandlerRegistry, builtin_registry
from workerflow_kit.runtime.stack import Runtime

DOC_URI = "urn:workerflow:api-openapi"
START = datetime(2026, 2, 27, 14, 7, 7, 512000, tzinfo=UTC)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ORIGIN = "https://app.example"
DEVIATION = "x-workerflow-deviation"
JSON_HEADERS = {"content-type": "application/json"}


# -- the document ----------------------------------------------------------------------------------------------


@cache
def document() -> dict[str, Any]:
    return json.loads(openapi_path().read_text(encoding="utf-8"))


@cache
def ops_document() -> dict[str, Any]:
    return json.loads(ops_openapi_path().read_text(encoding="utf-8"))


@cache
def registry() -> Registry[Any]:
    return Registry().with_resource(DOC_URI, Resource.from_contents(document(), default_specification=DRAFT202012))


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _lookup(ref: str) -> Any:
    return registry().resolver().lookup(f"{DOC_URI}{ref}").contents


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """(pattern over the path's non-empty segments joined by '/', template), most literal segments first."""
    out = []
    for template in document()["paths"]:
        parts = [part for part in template.split("/") if part]
        regex = "/".join(
            ".+" if part == "{legacyRoute}" else "[^/]+" if part.startswith("{") else re.escape(part) for part in parts
        )
        out.append((re.compile(regex), template))
    return sorted(out, key=lambda item: -sum(not part.startswith("{") for part in item[1].split("/") if part))


def template_for(pathname: str) -> str:
    """The document's path for a request path: segments as the worker sees them (empty ones dropped; a
    template without parameters needs the exact path, as /api/health does). Paths outside the document follow
    the route pipeline (the document's description), so they map to /api/{routePath}."""
    joined = "/".join(part for part in pathname.split("/") if part)
    for pattern, template in _templates():
        literal = "{" not in template
        if (literal and pathname == template) or (not literal and pattern.fullmatch(joined)):
            return template
    return "/api/{routePath}"


def _ids(marker: Any) -> list[str]:
    if marker is None:
        return []
    return [marker] if isinstance(marker, str) else list(marker)


def _marked_schemas(node: Any, deviation: str, seen: set[str] | None = None) -> set[str]:
    """References to the schemas reachable from ``node`` that are marked with ``deviation``."""
    seen = set() if seen is None else seen
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                if value in seen:
                    continue
                seen.add(value)
                target = _lookup(value)
                if deviation in _ids(target.get(DEVIATION)):
                    found.add(value)
                found |= _marked_schemas(target, deviation, seen)
            else:
                found |= _marked_schemas(value, deviation, seen)
    elif isinstance(node, list):
        for item in node:
            found |= _marked_schemas(item, deviation, seen)
    return found


def _deviation_problem(response: dict[str, Any], instance: Any, deviation: str) -> str | None:
    """The answer to a deviation must be documented as that deviation: a body schema marked with the id accepts
    the body (or, for a response without marked schemas, the response itself names the id)."""
    marked = _marked_schemas(response, deviation)
    if not marked:
        if deviation in _ids(response.get(DEVIATION)):
            return None
        return f"the response does not mention deviation {deviation}"
    for ref in sorted(marked):
        if Draft202012Validator({"$ref": f"{DOC_URI}{ref}"}, registry=registry()).is_valid(instance):
            return None
    return f"no schema marked {deviation} ({sorted(marked)}) accepts the body"


@dataclass
class Answer:
    """One real exchange with the api worker."""

    label: str
    method: str
    path: str
    status: int
    headers: httpx.Headers
    body: bytes


def check(answer: Answer, deviation: str | None = None) -> list[str]:
    """Problems of one answer against its documented response; empty when it conforms."""
    template = template_for(answer.path)
    item = document()["paths"][template]
    operation = item.get(answer.method.lower())
    where = f"{answer.label}: {answer.method} {answer.path} → {template} {answer.status}"
    if operation is None:
        return [f"{where}: no operation for {answer.method}"]
    responses = operation["responses"]
    status = str(answer.status) if str(answer.status) in responses else "default"
    if status not in responses:
        return [f"{where}: status not documented for {operation['operationId']}"]
    pointer = f"#/paths/{_escape(template)}/{answer.method.lower()}/responses/{status}"
    response = responses[status]
    if "$ref" in response:
        pointer = response["$ref"]
        response = _lookup(pointer)
    problems = []
    for name, header in response.get("headers", {}).items():
        header_spec = _lookup(header["$ref"]) if "$ref" in header else header
        value = answer.headers.get(name)
        if value is None:
            if header_spec.get("required"):
                problems.append(f"{where}: header {name} missing")
            continue
        for error in Draft202012Validator(header_spec["schema"]).iter_errors(value):
            problems.append(f"{where}: header {name}: {error.message}")
    content = response.get("content")
    if not content:
        if answer.body:
            problems.append(f"{where}: a body where the document has none")
        return problems
    media = (answer.headers.get("content-type") or "").split(";", maxsplit=1)[0].strip().lower()
    key = media if media in content else "*/*" if "*/*" in content else None
    if key is None:
        return [*problems, f"{where}: content type {media!r} not documented"]
    instance: Any = json.loads(answer.body) if media.endswith("json") else answer.body.decode("utf-8")
    schema = {"$ref": f"{DOC_URI}{pointer}/content/{_escape(key)}/schema"}
    validator = Draft202012Validator(schema, registry=registry(), format_checker=FormatChecker())
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        problems.append(f"{where}: body {list(error.absolute_path)}: {error.message}")
    if deviation is not None:
        problem = _deviation_problem(response, instance, deviation)
        if problem is not None:
            problems.append(f"{where}: {problem}")
    return problems


# -- driving the runtime ---------------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    method: str
    path: str
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | str | None = None
    json_body: Any = None
    deviation: str | None = None


def handlers() -> HandlerRegistry:
    """The built-ins, with the sync route's handler switched by the request body's ``mode``."""
    registry_ = builtin_registry()

    async def lead_normalizer(payload: Any, trace_id: str, ctx: Any) -> Any:
        mode = payload["body"].get("mode") if isinstance(payload.get("body"), dict) else None
        if mode == "fail":
            raise RuntimeError("handler refused the lead")
        if mode == "passthrough":
            return {"responseType": "http_passthrough", "status": 201, "body": "made", "headers": {"x-made": "1"}}
        if mode == "bad-passthrough":
            return {"responseType": "http_passthrough", "status": 700, "body": "never"}
        return {"ok": True, "traceId": trace_id}

    registry_.add_http("lead_normalizer", lead_normalizer, replace=True)
    return registry_


class _FailingQueue:
    async def send(self, body: Any) -> None:
        raise RuntimeError("queue is down")


class _NonJsonWorkflow:
    """A workflow service binding that answers every sync call 200 with a body that is not JSON."""

    async def fetch(self, method: str, url_or_path: str, **_: Any) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/plain"}, text="<html>not json</html>")


async def _send(client: httpx.AsyncClient, case: Case) -> Answer:
    headers = dict(case.headers)
    content = case.content
    if case.json_body is not None:
        headers.update(JSON_HEADERS)
        content = json.dumps(case.json_body)
    response = await client.request(case.method, case.path, headers=headers, content=content)
    return Answer(case.label, case.method, case.path, response.status_code, response.headers, response.content)


async def _drive(
    cases: list[Case],
    *,
    env: Mapping[str, object] | None = None,
    api_env: Mapping[str, object] | None = None,
    twins: bool = False,
) -> list[str]:
    runtime = await Runtime.start(
        env={"GOOGLEAI_API_KEY": "test-key", **(env or {})},
        worker_env={"api": dict(api_env or {})},
        clock=VirtualClock(START),
        crons=False,
        handlers=handlers(),
    )
    problems: list[str] = []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(runtime.api_app), base_url="http://api.test") as c:
            for case in cases:
                answer = await _send(c, case)
                if answer.status != case.status:
                    problems.append(f"{case.label}: expected {case.status}, got {answer.status}: {answer.body!r}")
                    continue
                problems.extend(check(answer, case.deviation))
            if twins:
                problems.extend(await _concurrent_twins(c))
    finally:
        await runtime.aclose()
    return problems


async def _concurrent_twins(client: httpx.AsyncClient) -> list[str]:
    """Deviation api.idempotency.atomic: one trace id sent concurrently dispatches once; the rest are
    duplicates, all documented 202 answers."""
    for path in ("/api/webhook_echo", "/api/dev/cron/heartbeat_hourly"):
        trace = f"twin-{path.rsplit('/', 1)[-1]}"
        case = Case("concurrent twins", "POST", path, 202, headers={"x-trace-id": trace}, json_body={"n": 1})
        answers = await asyncio.gather(*(_send(client, case) for _ in range(6)))
        fresh = [a for a in answers if a.status == 202 and "duplicate" not in json.loads(a.body)]
        if len(fresh) != 1 or any(a.status != 202 for a in answers):
            return [f"concurrent twins on {path}: {[(a.status, a.body) for a in answers]}"]
        problems = [p for a in answers for p in check(a, None if a in fresh else "api.idempotency.atomic")]
        if problems:
            return problems
    return []


def _run(cases: list[Case], **kwargs: Any) -> None:
    problems = asyncio.run(_drive(cases, **kwargs))
    assert problems == [], "\n".join(problems)


# -- the situations --------------------------------------------------------------------------------------------


def test_documented_situations_conform() -> None:
    origin = {"origin": ORIGIN}
    cases = [
        Case("health", "GET", "/api/health", 200),
        Case("health any method", "DELETE", "/api/health", 200, headers=origin),
        Case("preflight route", "OPTIONS", "/api/webhook_echo", 204, headers=origin),
        Case("preflight health", "OPTIONS", "/api/health", 204),
        Case("preflight dev cron", "OPTIONS", "/api/dev/cron/heartbeat_hourly", 204),
        Case("preflight legacy", "OPTIONS", "/api/r/x/old/flow", 204),
        Case("preflight legacy no route", "OPTIONS", "/api/r/x", 204),
        Case("405 get", "GET", "/api/webhook_echo", 405),
        Case("405 put", "PUT", "/api/webhook_echo", 405, headers=origin),
        Case("405 patch", "PATCH", "/api/webhook_echo", 405),
        Case("405 delete", "DELETE", "/api/webhook_echo", 405),
        Case("405 dev cron", "GET", "/api/dev/cron/heartbeat_hourly", 405),
        Case("405 outside the document", "GET", "/anything", 405),
        Case("404 unknown route", "POST", "/api/nope", 404),
        Case("404 hint, two segments", "POST", "/api/a/b", 404),
        Case("404 hint, case-sensitive", "POST", "/API/x", 404),
        Case("404 hint, root", "POST", "/", 404),
        Case("404 escaped route name", "POST", "/api/webhook%5Fecho", 404),
        Case("async 202", "POST", "/api/webhook_echo", 202, headers={"x-trace-id": "a-1"}, json_body={"a": 1}),
        Case("async text body", "POST", "/api/chat_notify", 202, headers={"x-trace-id": "a-2"}, content="hi"),
        Case("duplicate 202", "POST", "/api/webhook_echo", 202, headers={"x-trace-id": "a-1"}, json_body={"a": 1}),
        Case("empty segments", "POST", "/api//webhook_echo", 202, headers={"x-trace-id": "a-3"}),
        Case("sync 200", "POST", "/api/lead_normalizer", 200, headers={"x-trace-id": "s-1"}, json_body={"mode": "ok"}),
        Case("sync duplicate", "POST", "/api/lead_normalizer", 202, headers={"x-trace-id": "s-1"}, json_body={}),
        Case(
            "sync 500, handler failed",
            "POST",
            "/api/lead_normalizer",
            500,
            headers={"x-trace-id": "s-2", **origin},
            json_body={"mode": "fail"},
        ),
        Case("sync passthrough", "POST", "/api/lead_normalizer", 201, json_body={"mode": "passthrough"}),
        Case(
            "sync invalid passthrough",
            "POST",
            "/api/lead_normalizer",
            500,
            json_body={"mode": "bad-passthrough"},
            deviation="api.sync.invalid-passthrough",
        ),
        Case("dev cron 202", "POST", "/api/dev/cron/heartbeat_hourly", 202, headers={"x-trace-id": "d-1"}),
        Case("dev cron duplicate", "POST", "/api/dev/cron/heartbeat_hourly", 202, headers={"x-trace-id": "d-1"}),
        Case(
            "dev cron shares the namespace", "POST", "/api/dev/cron/cleanup_daily", 202, headers={"x-trace-id": "a-1"}
        ),
        Case("dev cron 404", "POST", "/api/dev/cron/nope", 404),
        Case("legacy 404", "GET", "/api/r/x/old/flow", 404, headers={"x-trace-id": "l-1"}),
        Case("legacy 404, post", "POST", "/api/r/x/old%2Fflow", 404, content="{}"),
        Case("legacy 404, no route", "PUT", "/api/r/x", 404),
        Case(
            "invalid JSON body",
            "POST",
            "/api/webhook_echo",
            400,
            headers={**JSON_HEADERS, "x-trace-id": "j-1"},
            content="{",
            deviation="api.body.invalid-json",
        ),
        Case(
            "empty JSON body",
            "POST",
            "/api/lead_normalizer",
            400,
            headers=JSON_HEADERS,
            content="",
            deviation="api.body.invalid-json",
        ),
        Case("JSON body retried", "POST", "/api/webhook_echo", 202, headers={"x-trace-id": "j-1"}, json_body={}),
        Case("malformed escape", "GET", "/api/r/x/%E0%A4%A", 400, deviation="api.url.malformed-escape"),
        Case("malformed escape, post", "POST", "/api/r/x/a/%zz", 400, deviation="api.url.malformed-escape"),
        Case("malformed escape, preflight", "OPTIONS", "/api/r/x/%C0%AF", 400, deviation="api.url.malformed-escape"),
    ]
    _run(cases, twins=True)


def test_auth_and_gating_conform() -> None:
    env = {"API_INGRESS_TOKEN": "tok", "DISABLED_HTTP_ROUTES": "chat_notify"}
    token = {"x-api-token": "tok"}
    cases = [
        Case("401 route", "POST", "/api/webhook_echo", 401),
        Case("401 wrong token", "POST", "/api/webhook_echo", 401, headers={"authorization": "Bearer nope"}),
        Case("401 dev cron", "POST", "/api/dev/cron/heartbeat_hourly", 401),
        Case("401 outside the document", "POST", "/api/a/b", 401),
        Case("authorized", "POST", "/api/webhook_echo", 202, headers={**token, "x-trace-id": "t-1"}),
        Case("bearer", "POST", "/api/webhook_echo", 202, headers={"authorization": "Bearer tok"}),
        Case("gated route", "POST", "/api/chat_notify", 404, headers=token),
        Case("health needs no token", "GET", "/api/health", 200),
        Case("preflight needs no token", "OPTIONS", "/api/webhook_echo", 204),
        Case("405 needs no token", "GET", "/api/webhook_echo", 405),
        Case("legacy needs no token", "POST", "/api/r/x/y", 404),
    ]
    _run(cases, env=env)


def test_invalid_manifest_answers_on_every_path() -> None:
    env = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": "[]]"}
    deviation = "api.manifest.invalid"
    cases = [
        Case("health", "GET", "/api/health", 500, deviation=deviation),
        Case("preflight", "OPTIONS", "/api/webhook_echo", 500, deviation=deviation),
        Case("route", "POST", "/api/webhook_echo", 500, deviation=deviation),
        Case("405", "GET", "/api/webhook_echo", 500, deviation=deviation),
        Case("dev cron", "POST", "/api/dev/cron/heartbeat_hourly", 500, deviation=deviation),
        Case("legacy", "GET", "/api/r/x/y", 500, deviation=deviation),
        Case("legacy no route", "DELETE", "/api/r/x", 500, deviation=deviation),
    ]
    _run(cases, env=env)


def test_ingress_token_of_the_wrong_type() -> None:
    deviation = "api.config.ingress-token-type"
    cases = [
        Case("route", "POST", "/api/webhook_echo", 500, deviation=deviation),
        Case("dev cron", "POST", "/api/dev/cron/heartbeat_hourly", 500, deviation=deviation),
        Case("health is not checked", "GET", "/api/health", 200),
    ]
    _run(cases, api_env={"API_INGRESS_TOKEN": 1234})


def test_storage_and_dispatch_failures() -> None:
    closed = D1Database.open()
    closed.close()
    deviation = "api.internal.storage-or-dispatch"
    d1_cases = [
        Case("route, D1 down", "POST", "/api/webhook_echo", 500, headers={"x-trace-id": "f-1"}, deviation=deviation),
        Case("sync, D1 down", "POST", "/api/lead_normalizer", 500, json_body={}, deviation=deviation),
        Case("dev cron, D1 down", "POST", "/api/dev/cron/heartbeat_hourly", 500, deviation=deviation),
    ]
    _run(d1_cases, api_env={"DB": closed})
    queue_cases = [
        Case("route, queue down", "POST", "/api/webhook_echo", 500, deviation=deviation),
        Case("dev cron, queue down", "POST", "/api/dev/cron/heartbeat_hourly", 500, deviation=deviation),
    ]
    _run(queue_cases, api_env={"AUTOMATION_QUEUE": _FailingQueue()})


def test_sync_workflow_answer_that_is_not_json() -> None:
    cases = [
        Case("sync non-JSON", "POST", "/api/lead_normalizer", 500, json_body={}, deviation="api.sync.non-json"),
    ]
    _run(cases, api_env={"WORKFLOW_SERVICE": _NonJsonWorkflow()})


def test_checker_rejects_a_wrong_answer() -> None:
    headers = httpx.Headers({"content-type": "application/json"})
    wrong = Answer("wrong", "POST", "/api/webhook_echo", 202, headers, b'{"accepted":true}')
    problems = check(wrong)
    assert any("header access-control-allow-origin missing" in p for p in problems)
    assert any("body" in p for p in problems)
    undocumented = Answer("undocumented", "GET", "/api/health", 404, headers, b"{}")
    assert check(undocumented) != []
    cors = httpx.Headers(
        {
            "content-type": "application/json",
            "access-control-allow-origin": "*",
            "access-control-allow-methods": "POST, OPTIONS",
            "access-control-allow-headers": "content-type, authorization, x-api-token, x-api-key, x-webhook-token, "
            "x-trace-id",
            "access-control-max-age": "86400",
            "vary": "origin",
        }
    )
    manifest = Answer(
        "manifest", "POST", "/api/x", 500, cors, b'{"error":"invalid manifest configuration","message":"m"}'
    )
    assert check(manifest, "api.manifest.invalid") == []
    # A documented body, but not the one the named deviation describes.
    [problem] = check(manifest, "api.sync.invalid-passthrough")
    assert "no schema marked api.sync.invalid-passthrough" in problem


def test_template_lookup() -> None:
    assert template_for("/api/health") == "/api/health"
    assert template_for("/api/health/") == "/api/{routePath}"
    assert template_for("/api//webhook_echo") == "/api/{routePath}"
    assert template_for("/api/dev/cron/x") == "/api/dev/cron/{scheduleId}"
    assert template_for("/api/r/x") == "/api/r/{prefix}"
    assert template_for("/api/r/x/a/b/c") == "/api/r/{prefix}/{legacyRoute}"
    assert template_for("/api/r") == "/api/{routePath}"
    assert template_for("/api/a/b") == "/api/{routePath}"


# -- deviation markers -----------------------------------------------------------------------------------------


def _documented_ids(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == DEVIATION:
                yield from [value] if isinstance(value, str) else value
            else:
                yield from _documented_ids(value)
    elif isinstance(node, list):
        for item in node:
            yield from _documented_ids(item)


def test_every_documented_deviation_exists() -> None:
    known = {deviation.id for deviation in all_deviations()}
    for doc in (document(), ops_document()):
        assert set(_documented_ids(doc)) - known == set()
    crash_answers = {entry["deviation"] for entry in document()["x-workerflow-unhandled"]}
    assert crash_answers - known == set()


def test_every_api_and_ops_deviation_is_documented() -> None:
    """Every api and ops-dashboard deviation changes an answer, so each is marked in its worker's document."""
    by_worker = {"api": document(), "ops-dashboard": ops_document()}
    missing = [
        deviation.id
        for deviation in all_deviations()
        if deviation.worker in by_worker and deviation.id not in set(_documented_ids(by_worker[deviation.worker]))
    ]
    assert missing == []
