"""The two OpenAPI documents: valid OpenAPI 3.1, complete, and strict enough to reject wrong bodies.

`openapi.json` describes the api worker (spec section 4), `contracts/ops-dashboard.openapi.json` the ops
dashboard (section 9). Body checks resolve `$ref` inside the document with `referencing` and validate with
JSON Schema draft 2020-12, the dialect OpenAPI 3.1 schemas use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
API_PATH = ROOT / "openapi.json"
OPS_PATH = ROOT / "contracts" / "ops-dashboard.openapi.json"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CORS_HEADERS = {
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "vary",
}
TS = "2026-02-27T14:03:07.512Z"
UUID = "9b2f0c1e-4d3a-4e5b-8c6d-7e8f9a0b1c2d"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def api() -> dict[str, Any]:
    return load(API_PATH)


@pytest.fixture(scope="module")
def ops() -> dict[str, Any]:
    return load(OPS_PATH)


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def resolve_local(doc: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Follow one local `$ref` (components); returns the target and its JSON pointer."""
    if "$ref" not in node:
        return node, None
    pointer = node["$ref"].removeprefix("#")
    target: Any = doc
    for part in pointer.lstrip("/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target, pointer


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def responses(doc: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any], str]]:
    """Every response of every operation, refs followed, with a JSON pointer to the response object."""
    for path, method, operation in operations(doc):
        for status, raw in operation["responses"].items():
            response, pointer = resolve_local(doc, raw)
            if pointer is None:
                pointer = f"/paths/{escape(path)}/{method}/responses/{escape(status)}"
            yield path, method, status, response, pointer


class BodyChecker:
    """Validates bodies against a response's JSON schema, resolving refs within one document."""

    def __init__(self, doc: dict[str, Any], uri: str) -> None:
        self.doc = doc
        self.uri = uri
        resource = Resource.from_contents(doc, default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource(uri, resource)

    def validator(self, path: str, method: str, status: str, media: str = "application/json"):
        raw = self.doc["paths"][path][method]["responses"][status]
        response, pointer = resolve_local(self.doc, raw)
        if pointer is None:
            pointer = f"/paths/{escape(path)}/{method}/responses/{escape(status)}"
        assert media in response["content"], f"{method.upper()} {path} {status} has no {media} body"
        schema = {"$ref": f"{self.uri}#{pointer}/content/{escape(media)}/schema"}
        return Draft202012Validator(schema, registry=self.registry, format_checker=FormatChecker())

    def component(self, name: str):
        schema = {"$ref": f"{self.uri}#/components/schemas/{name}"}
        return Draft202012Validator(schema, registry=self.registry, format_checker=FormatChecker())

    def errors(self, path: str, method: str, status: str, body: Any) -> list[str]:
        return [e.message for e in self.validator(path, method, status).iter_errors(body)]


@pytest.fixture(scope="module")
def api_bodies(api: dict[str, Any]) -> BodyChecker:
    return BodyChecker(api, "urn:workerflow:api")


@pytest.fixture(scope="module")
def ops_bodies(ops: dict[str, Any]) -> BodyChecker:
    return BodyChecker(ops, "urn:workerflow:ops")


# --- structure -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [API_PATH, OPS_PATH], ids=["api", "ops"])
def test_document_is_valid_openapi_31(path: Path) -> None:
    doc = load(path)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["version"] == "0.1.0"
    assert "v0.1 baseline" in doc["info"]["description"]
    validate_openapi(doc)


@pytest.mark.parametrize("path", [API_PATH, OPS_PATH], ids=["api", "ops"])
def test_file_uses_two_space_indent_and_trailing_newline(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("path", [API_PATH, OPS_PATH], ids=["api", "ops"])
def test_every_response_but_204_has_a_body_schema(path: Path) -> None:
    doc = load(path)
    missing = []
    for route, method, status, response, _ in responses(doc):
        if status == "204":
            assert "content" not in response, f"{method.upper()} {route} 204 must have no body"
            continue
        content = response.get("content") or {}
        if not content or not all("schema" in media for media in content.values()):
            missing.append(f"{method.upper()} {route} {status}")
    assert missing == []


@pytest.mark.parametrize("path", [API_PATH, OPS_PATH], ids=["api", "ops"])
def test_every_operation_has_unique_id_and_explicit_security(path: Path) -> None:
    doc = load(path)
    ids = [operation["operationId"] for _, _, operation in operations(doc)]
    assert len(ids) == len(set(ids))
    for route, method, operation in operations(doc):
        assert "security" in operation, f"{method.upper()} {route}"


def test_api_every_response_carries_the_cors_headers(api: dict[str, Any]) -> None:
    for name, header in api["components"]["headers"].items():
        assert header["required"] is True, name
    lacking = []
    for route, method, status, response, _ in responses(api):
        headers = response.get("headers", {})
        if set(headers) != CORS_HEADERS or any("$ref" not in h for h in headers.values()):
            lacking.append(f"{method.upper()} {route} {status}")
    assert lacking == []


def test_api_cors_header_values(api: dict[str, Any]) -> None:
    headers = api["components"]["headers"]
    assert headers["AccessControlAllowMethods"]["schema"]["const"] == "POST, OPTIONS"
    assert headers["AccessControlAllowHeaders"]["schema"]["const"] == (
        "content-type, authorization, x-api-token, x-api-key, x-webhook-token, x-trace-id"
    )
    assert headers["AccessControlMaxAge"]["schema"]["const"] == "86400"
    assert headers["Vary"]["schema"]["const"] == "origin"


def test_api_security_schemes_and_optional_security(api: dict[str, Any]) -> None:
    schemes = api["components"]["securitySchemes"]
    header_names = {s["name"] for s in schemes.values() if s["type"] == "apiKey"}
    assert header_names == {"x-api-token", "x-api-key", "x-webhook-token"}
    assert all(s["in"] == "header" for s in schemes.values() if s["type"] == "apiKey")
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    for path in ("/api/{routePath}", "/api/dev/cron/{scheduleId}"):
        security = api["paths"][path]["post"]["security"]
        assert {} in security, "an unset API_INGRESS_TOKEN lets every request through"
        assert {name for alt in security for name in alt} == set(schemes)
    # Health, preflight, legacy and non-POST methods are answered before the token check.
    for path in ("/api/health", "/api/r/{prefix}/{legacyRoute}"):
        assert all(op["security"] == [] for op in api["paths"][path].values() if isinstance(op, dict))
    assert api["paths"]["/api/{routePath}"]["get"]["security"] == []


def test_api_route_request_body_and_headers(api: dict[str, Any]) -> None:
    operation = api["paths"]["/api/{routePath}"]["post"]
    body, _ = resolve_local(api, operation["requestBody"])
    assert {"application/json", "text/plain"} <= set(body["content"])
    names = {resolve_local(api, p)[0]["name"].lower() for p in operation["parameters"]}
    assert {"x-trace-id", "origin"} <= names


def test_ops_security_and_auth_response(ops: dict[str, Any]) -> None:
    schemes = ops["components"]["securitySchemes"]
    assert {(s["type"], s.get("name"), s.get("scheme")) for s in schemes.values()} == {
        ("apiKey", "x-dashboard-token", None),
        ("http", None, "bearer"),
    }
    for path, method, operation in operations(ops):
        under_api = path.startswith("/api/")
        protected = under_api and (path != "/api/app.js" or method != "get")
        if protected:
            assert {} in operation["security"], f"{method} {path}"
            unauthorized, _ = resolve_local(ops, operation["responses"]["401"])
            header, _ = resolve_local(ops, unauthorized["headers"]["www-authenticate"])
            assert header["schema"]["const"] == "Bearer"
        else:
            assert operation["security"] == [], f"{method} {path}"
            assert "401" not in operation["responses"], f"{method} {path}"


def test_ops_query_parameters(ops: dict[str, Any]) -> None:
    def names(path: str) -> set[str]:
        params = ops["paths"][path]["get"].get("parameters", [])
        return {resolve_local(ops, p)[0]["name"] for p in params}

    assert names("/api/runs") == {"status", "routePath", "scheduleId", "kind", "limit"}
    for path in ("/api/dead-letters", "/api/replays", "/api/error-clusters"):
        assert names(path) == {"limit"}
    assert names("/api/timeline") == {"bucket"}
    assert names("/api/timeline-detail") == {"bucket", "resolution", "limit"}
    detail_bucket = next(resolve_local(ops, p)[0] for p in ops["paths"]["/api/timeline-detail"]["get"]["parameters"])
    assert detail_bucket["required"] is True


def test_ops_statuses_of_section_9_7(ops: dict[str, Any]) -> None:
    statuses = {status for _, _, status, _, _ in responses(ops)}
    assert {"200", "202", "400", "401", "404", "409", "422", "500"} <= statuses
    retry = ops["paths"]["/api/retry/{traceId}"]["post"]["responses"]
    assert {"202", "401", "404", "409", "422", "500"} <= set(retry)
    assert {"200", "400", "401", "500"} <= set(ops["paths"]["/api/timeline-detail"]["get"]["responses"])


# --- completeness ----------------------------------------------------------------------------------------

API_OPERATIONS = [
    ("/api/health", "get"),
    ("/api/health", "post"),
    ("/api/health", "options"),
    ("/api/{routePath}", "post"),
    ("/api/{routePath}", "options"),
    ("/api/{routePath}", "get"),
    ("/api/{routePath}", "put"),
    ("/api/{routePath}", "delete"),
    ("/api/dev/cron/{scheduleId}", "post"),
    ("/api/dev/cron/{scheduleId}", "get"),
    ("/api/dev/cron/{scheduleId}", "options"),
    ("/api/r/{prefix}/{legacyRoute}", "get"),
    ("/api/r/{prefix}/{legacyRoute}", "post"),
    ("/api/r/{prefix}/{legacyRoute}", "options"),
    ("/api/r/{prefix}", "get"),
]

OPS_OPERATIONS = [
    ("/health", "get"),
    ("/health", "post"),
    ("/", "get"),
    ("/app.js", "get"),
    ("/api/app.js", "get"),
    ("/favicon.svg", "get"),
    ("/favicon.ico", "get"),
    ("/api/meta", "get"),
    ("/api/extensions", "get"),
    ("/api/summary", "get"),
    ("/api/catalog", "get"),
    ("/api/runs", "get"),
    ("/api/run-detail/{traceId}", "get"),
    ("/api/dead-letters", "get"),
    ("/api/retry/{traceId}", "post"),
    ("/api/replays", "get"),
    ("/api/route-detail/{routePath}", "get"),
    ("/api/cron-detail/{scheduleId}", "get"),
    ("/api/cron-run/{scheduleId}", "post"),
    ("/api/timeline", "get"),
    ("/api/timeline-detail", "get"),
    ("/api/error-clusters", "get"),
    ("/api/secrets-health", "get"),
]


def test_api_lists_every_operation_of_section_4_9(api: dict[str, Any]) -> None:
    present = {(path, method) for path, method, _ in operations(api)}
    assert [op for op in API_OPERATIONS if op not in present] == []
    assert "any" in api["paths"]["/api/health"]["get"]["description"].lower()


def test_api_route_statuses(api: dict[str, Any]) -> None:
    post = api["paths"]["/api/{routePath}"]["post"]["responses"]
    assert set(post) == {"200", "202", "400", "401", "404", "500", "default"}
    for method in ("get", "put", "patch", "delete"):
        assert set(api["paths"]["/api/{routePath}"][method]["responses"]) == {"405", "500"}
    assert set(api["paths"]["/api/dev/cron/{scheduleId}"]["post"]["responses"]) == {"202", "401", "404", "500"}
    assert set(api["paths"]["/api/dev/cron/{scheduleId}"]["get"]["responses"]) == {"405", "500"}
    assert api["x-workerflow-unhandled"], "crash cases are listed"
    # Each upstream crash names the reference runtime's answer.
    assert all(entry["deviation"].startswith("api.") for entry in api["x-workerflow-unhandled"])


def test_api_reference_only_answers(api: dict[str, Any]) -> None:
    """The reference's JSON errors: the manifest error on every operation, the malformed legacy escape on every
    method of the legacy route path, each marked as reference-only with its deviation id."""
    for path, method, operation in operations(api):
        manifest, _ = resolve_local(api, operation["responses"]["500"])
        assert "api.manifest.invalid" in _ids(manifest.get("x-workerflow-deviation")), f"{method} {path}"
    for method, operation in api["paths"][LEGACY].items():
        if isinstance(operation, dict) and method in HTTP_METHODS:
            escape_400, _ = resolve_local(api, operation["responses"]["400"])
            assert escape_400["x-workerflow-reference-only"] is True
            assert escape_400["x-workerflow-deviation"] == "api.url.malformed-escape"
    body_400 = api["paths"][ROUTE]["post"]["responses"]["400"]
    assert (body_400["x-workerflow-reference-only"], body_400["x-workerflow-deviation"]) == (
        True,
        "api.body.invalid-json",
    )


def _ids(marker: Any) -> list[str]:
    if marker is None:
        return []
    return [marker] if isinstance(marker, str) else list(marker)


@pytest.mark.parametrize("path", [API_PATH, OPS_PATH], ids=["api", "ops"])
def test_reference_only_responses_name_their_deviation(path: Path) -> None:
    doc = load(path)
    unnamed = [
        f"{method.upper()} {route} {status}"
        for route, method, status, response, _ in responses(doc)
        if response.get("x-workerflow-reference-only") and not _ids(response.get("x-workerflow-deviation"))
    ]
    assert unnamed == []


def test_ops_lists_every_endpoint_of_section_9_5(ops: dict[str, Any]) -> None:
    present = {(path, method) for path, method, _ in operations(ops)}
    assert [op for op in OPS_OPERATIONS if op not in present] == []


def test_api_does_not_document_ops_endpoints(api: dict[str, Any]) -> None:
    assert "/api/summary" not in api["paths"]
    assert "/api/extensions" not in api["paths"]


# --- examples embedded in the documents -------------------------------------------------------------------


@pytest.mark.parametrize(("path", "uri"), [(API_PATH, "urn:workerflow:api"), (OPS_PATH, "urn:workerflow:ops")])
def test_embedded_examples_match_their_schemas(path: Path, uri: str) -> None:
    doc = load(path)
    checker = BodyChecker(doc, uri)
    seen = 0
    for route, method, status, response, _ in responses(doc):
        for media, content in response.get("content", {}).items():
            for name, example in content.get("examples", {}).items():
                validator = checker.validator(route, method, status, media)
                errors = [e.message for e in validator.iter_errors(example["value"])]
                assert errors == [], f"{method.upper()} {route} {status} example {name}: {errors}"
                seen += 1
    assert seen >= 10


# --- api bodies from the spec tables ---------------------------------------------------------------------

ROUTE = "/api/{routePath}"
DEV_CRON = "/api/dev/cron/{scheduleId}"
LEGACY = "/api/r/{prefix}/{legacyRoute}"

API_GOOD = [
    ("/api/health", "get", "200", {"ok": True, "env": "dev", "worker": "api"}),
    ("/api/health", "post", "200", {"ok": True, "worker": "api"}),
    (ROUTE, "post", "202", {"accepted": True, "duplicate": True, "traceId": "t"}),
    (ROUTE, "post", "202", {"accepted": True, "traceId": UUID, "routePath": "webhook_echo", "queuedAt": TS}),
    (ROUTE, "post", "200", {"traceId": "t", "result": {"ok": True}}),
    (ROUTE, "post", "200", {"traceId": "t", "result": None}),
    (ROUTE, "post", "401", {"error": "unauthorized"}),
    (ROUTE, "post", "404", {"error": "unknown route", "routePath": "nope"}),
    (ROUTE, "post", "404", {"error": "unknown route", "hint": "Use POST /api/{route}"}),
    (ROUTE, "post", "500", {"traceId": "t", "error": "sync execution failed", "details": "boom"}),
    (ROUTE, "get", "405", {"error": "method not allowed"}),
    (DEV_CRON, "post", "202", {"accepted": True, "duplicate": True, "traceId": "t", "scheduleId": "x"}),
    (
        DEV_CRON,
        "post",
        "202",
        {"accepted": True, "traceId": "t", "scheduleId": "x", "enqueuedAt": TS, "trigger": "manual_api"},
    ),
    (DEV_CRON, "post", "404", {"error": "unknown schedule", "scheduleId": "nope"}),
    (LEGACY, "post", "404", {"error": "legacy endpoint is disabled", "traceId": "t", "routePath": "a/b"}),
    (LEGACY, "get", "404", {"error": "legacy endpoint is disabled", "traceId": "t", "routePath": None}),
    # The reference runtime's answers where upstream crashes.
    (ROUTE, "post", "400", {"error": "invalid JSON body", "traceId": "t", "message": "Unexpected end of JSON input"}),
    (LEGACY, "options", "400", {"error": "malformed URL escape", "message": "URI malformed"}),
    (LEGACY, "get", "400", {"error": "malformed URL escape", "message": "URI malformed"}),
    (ROUTE, "post", "500", {"error": "internal error", "traceId": "t", "message": "D1_ERROR"}),
    (ROUTE, "post", "500", {"error": "internal error", "message": "D1_ERROR"}),
    (ROUTE, "post", "500", {"traceId": "t", "error": "invalid passthrough response", "message": "bad status"}),
    (
        ROUTE,
        "post",
        "500",
        {"error": "invalid configuration", "message": "API_INGRESS_TOKEN must be a string, got number"},
    ),
    (ROUTE, "post", "500", {"error": "invalid manifest configuration", "message": "bad ROUTES_CONFIG_JSON"}),
    (DEV_CRON, "post", "500", {"error": "internal error", "traceId": "t", "message": "queue is down"}),
    ("/api/health", "get", "500", {"error": "invalid manifest configuration", "message": "x"}),
    ("/api/health", "options", "500", {"error": "invalid manifest configuration", "message": "x"}),
    (ROUTE, "get", "500", {"error": "invalid manifest configuration", "message": "x"}),
]

API_BAD = [
    ("health wrong worker", "/api/health", "get", "200", {"ok": True, "worker": "ops-dashboard"}),
    ("health extra field", "/api/health", "get", "200", {"ok": True, "worker": "api", "x": 1}),
    ("duplicate missing traceId", ROUTE, "post", "202", {"accepted": True, "duplicate": True}),
    ("duplicate flag false", ROUTE, "post", "202", {"accepted": True, "duplicate": False, "traceId": "t"}),
    (
        "accepted with extra field",
        ROUTE,
        "post",
        "202",
        {"accepted": True, "traceId": "t", "routePath": "r", "queuedAt": TS, "extra": 1},
    ),
    (
        "queuedAt without milliseconds",
        ROUTE,
        "post",
        "202",
        {"accepted": True, "traceId": "t", "routePath": "r", "queuedAt": "2026-02-27T14:03:07Z"},
    ),
    ("sync ok missing result", ROUTE, "post", "200", {"traceId": "t"}),
    ("wrong unauthorized text", ROUTE, "post", "401", {"error": "forbidden"}),
    (
        "404 mixing both shapes",
        ROUTE,
        "post",
        "404",
        {"error": "unknown route", "routePath": "x", "hint": "Use POST /api/{route}"},
    ),
    ("404 wrong hint", ROUTE, "post", "404", {"error": "unknown route", "hint": "try again"}),
    (
        "500 details not text",
        ROUTE,
        "post",
        "500",
        {"traceId": "t", "error": "sync execution failed", "details": {}},
    ),
    ("405 wrong text", ROUTE, "get", "405", {"error": "Method Not Allowed"}),
    (
        "dev cron wrong trigger",
        DEV_CRON,
        "post",
        "202",
        {
            "accepted": True,
            "traceId": "t",
            "scheduleId": "x",
            "enqueuedAt": TS,
            "trigger": "manual_ops_dashboard",
        },
    ),
    (
        "dev cron duplicate without scheduleId",
        DEV_CRON,
        "post",
        "202",
        {"accepted": True, "duplicate": True, "traceId": "t"},
    ),
    (
        "legacy missing routePath",
        LEGACY,
        "get",
        "404",
        {"error": "legacy endpoint is disabled", "traceId": "t"},
    ),
    ("invalid JSON body without traceId", ROUTE, "post", "400", {"error": "invalid JSON body", "message": "x"}),
    ("escape with other message", LEGACY, "get", "400", {"error": "malformed URL escape", "message": "bad"}),
    ("internal error without message", ROUTE, "post", "500", {"error": "internal error", "traceId": "t"}),
    (
        "passthrough error without traceId",
        ROUTE,
        "post",
        "500",
        {"error": "invalid passthrough response", "message": "x"},
    ),
    (
        "dev cron sync failure",
        DEV_CRON,
        "post",
        "500",
        {"traceId": "t", "error": "sync execution failed", "details": ""},
    ),
    ("health internal error", "/api/health", "get", "500", {"error": "internal error", "message": "x"}),
    ("configuration other variable", ROUTE, "post", "500", {"error": "invalid configuration", "message": "X bad"}),
]


@pytest.mark.parametrize(("path", "method", "status", "body"), API_GOOD)
def test_api_accepts_spec_bodies(api_bodies: BodyChecker, path: str, method: str, status: str, body: Any) -> None:
    assert api_bodies.errors(path, method, status, body) == []


@pytest.mark.parametrize("case", API_BAD, ids=[b[0] for b in API_BAD])
def test_api_rejects_wrong_bodies(api_bodies: BodyChecker, case: tuple[str, str, str, str, Any]) -> None:
    label, path, method, status, body = case
    assert api_bodies.errors(path, method, status, body), label


def test_api_queue_task_schema(api_bodies: BodyChecker) -> None:
    task = api_bodies.component("QueueTask")
    route_task = {
        "kind": "http_route",
        "traceId": "t",
        "routePath": "r",
        "payload": {"body": "x"},
        "enqueuedAt": TS,
    }
    schedule_task = {
        "kind": "scheduled_job",
        "traceId": "t",
        "scheduleId": "heartbeat_hourly",
        "payload": {
            "target": "f/examples/heartbeat_hourly",
            "cron": "0 * * * *",
            "timeZone": "UTC",
            "scheduledTime": TS,
            "trigger": "manual_api",
        },
        "enqueuedAt": TS,
    }
    assert task.is_valid(route_task)
    assert task.is_valid(schedule_task)
    assert not task.is_valid({**route_task, "kind": "scheduled_job"})
    assert not task.is_valid({k: v for k, v in route_task.items() if k != "enqueuedAt"})


# --- ops bodies from the spec tables ---------------------------------------------------------------------

RUN = {
    "traceId": UUID,
    "kind": "http_route",
    "routePath": "webhook_echo",
    "scheduleId": None,
    "status": "failed",
    "startedAt": TS,
    "finishedAt": "2026-02-27T14:03:08.762Z",
    "duration": "1.3s",
    "output": None,
    "error": "workflow failed: 500 boom",
}
SUMMARY = {
    "windowHours": 24,
    "since": TS,
    "totalRuns": 2,
    "succeededRuns": 1,
    "failedRuns": 1,
    "startedRuns": 0,
    "deadLetters": 1,
    "topRoutes": [{"routePath": "webhook_echo", "count": 2}],
}
RUNS = {
    "limit": 10,
    "filters": {"status": "failed", "routePath": None, "scheduleId": None, "kind": None},
    "runs": [RUN],
}

OPS_GOOD = [
    ("/health", "get", "200", {"ok": True, "env": "dev", "worker": "ops-dashboard"}),
    ("/api/summary", "get", "200", SUMMARY),
    ("/api/summary", "get", "200", {**SUMMARY, "totalRuns": 0, "succeededRuns": 0, "topRoutes": []}),
    ("/api/runs", "get", "200", RUNS),
    ("/api/runs", "get", "200", {**RUNS, "runs": [{**RUN, "finishedAt": None, "duration": None}]}),
    (
        "/api/meta",
        "get",
        "200",
        {"worker": "ops-dashboard", "manifestMode": "config", "routes": 0, "schedules": 0, "extensions": 0},
    ),
    ("/api/extensions", "get", "200", {"extensions": [{"id": "a", "label": "A", "owner": "kept as is"}]}),
    (
        "/api/summary",
        "get",
        "401",
        {
            "error": "unauthorized",
            "message": "Provide Authorization: Bearer <OPS_DASHBOARD_TOKEN> or x-dashboard-token",
        },
    ),
    ("/api/meta", "post", "404", {"error": "not found"}),
    ("/api/run-detail/{traceId}", "get", "404", {"error": "run not found", "traceId": "t"}),
    (
        "/api/retry/{traceId}",
        "post",
        "202",
        {
            "accepted": True,
            "retriedFromTraceId": "t",
            "deadLetterId": 3,
            "originalCreatedAt": TS,
            "newTraceId": UUID,
            "retryCount": None,
        },
    ),
    (
        "/api/retry/{traceId}",
        "post",
        "409",
        {"error": "retry blocked", "traceId": "t", "reason": 'task kind "x" is not supported'},
    ),
    ("/api/retry/{traceId}", "post", "422", {"error": "dead letter payload is invalid JSON", "traceId": "t"}),
    (
        "/api/cron-run/{scheduleId}",
        "post",
        "404",
        {"error": "unknown or disabled schedule", "scheduleId": "x"},
    ),
    (
        "/api/replays",
        "get",
        "200",
        {"limit": 50, "chains": [], "warning": "Replay lineage unavailable: D1_ERROR"},
    ),
    ("/api/timeline-detail", "get", "400", {"error": "invalid bucket format", "bucket": "nope"}),
    ("/api/secrets-health", "get", "200", {"available": True, "ok": False, "errors": ["X is required"]}),
    (
        "/api/secrets-health",
        "get",
        "200",
        {"available": False, "reason": "workflow /health/config failed: 500 x"},
    ),
    ("/app.js", "get", "500", {"error": "dashboard script unavailable"}),
    # The reference runtime's answers where upstream crashes, and its extra cron-detail field.
    ("/api/run-detail/{traceId}", "get", "400", {"error": "malformed URL escape", "message": "x"}),
    ("/api/retry/{traceId}", "post", "400", {"error": "malformed URL escape", "message": "x"}),
    ("/api/cron-detail/{scheduleId}", "get", "400", {"error": "invalid time zone", "timeZone": "Nowhere/Zone"}),
    ("/api/cron-detail/{scheduleId}", "get", "400", {"error": "malformed URL escape", "message": "x"}),
    ("/api/summary", "get", "500", {"error": "invalid manifest configuration", "message": "x"}),
    ("/api/retry/{traceId}", "post", "500", {"error": "queue unavailable", "message": "x"}),
    ("/api/summary", "get", "500", {"error": "database unavailable", "message": "x"}),
    ("/api/summary", "get", "500", {"name": "Error", "message": "x", "stack": "at y"}),
]

OPS_BAD = [
    ("summary windowHours 48", "/api/summary", "get", "200", {**SUMMARY, "windowHours": 48}),
    (
        "summary missing deadLetters",
        "/api/summary",
        "get",
        "200",
        {k: v for k, v in SUMMARY.items() if k != "deadLetters"},
    ),
    ("summary extra field", "/api/summary", "get", "200", {**SUMMARY, "windowStart": TS}),
    ("summary negative count", "/api/summary", "get", "200", {**SUMMARY, "failedRuns": -1}),
    (
        "run without output",
        "/api/runs",
        "get",
        "200",
        {**RUNS, "runs": [{k: v for k, v in RUN.items() if k != "output"}]},
    ),
    ("run bad duration", "/api/runs", "get", "200", {**RUNS, "runs": [{**RUN, "duration": "1.25s"}]}),
    ("run null status", "/api/runs", "get", "200", {**RUNS, "runs": [{**RUN, "status": None}]}),
    ("runs limit above cap", "/api/runs", "get", "200", {**RUNS, "limit": 251}),
    (
        "filters missing kind",
        "/api/runs",
        "get",
        "200",
        {**RUNS, "filters": {"status": None, "routePath": None, "scheduleId": None}},
    ),
    ("401 without message", "/api/summary", "get", "401", {"error": "unauthorized"}),
    ("404 wrong text", "/api/meta", "post", "404", {"error": "Not Found"}),
    (
        "retry blocked without reason",
        "/api/retry/{traceId}",
        "post",
        "409",
        {"error": "retry blocked", "traceId": "t"},
    ),
    (
        "replays warning and chains",
        "/api/replays",
        "get",
        "200",
        {
            "limit": 50,
            "chains": [{"parentTraceId": "p", "parentStatus": None, "attempts": []}],
            "warning": "Replay lineage unavailable: x",
        },
    ),
    ("secrets-health mixed", "/api/secrets-health", "get", "200", {"available": True, "reason": "x"}),
    (
        "extension with blank id",
        "/api/extensions",
        "get",
        "200",
        {"extensions": [{"id": "  ", "label": "A"}]},
    ),
    (
        "time zone on run-detail",
        "/api/run-detail/{traceId}",
        "get",
        "400",
        {"error": "invalid time zone", "timeZone": "x"},
    ),
    ("escape without message", "/api/route-detail/{routePath}", "get", "400", {"error": "malformed URL escape"}),
    ("500 unknown storage", "/api/summary", "get", "500", {"error": "disk unavailable", "message": "x"}),
    ("500 extra field", "/api/summary", "get", "500", {"error": "database unavailable", "message": "x", "at": 1}),
]


CRON_METRICS = {
    "total": 0,
    "succeeded": 0,
    "failed": 0,
    "started": 0,
    "p95Duration": None,
    "lastRunAt": None,
    "lastSuccessAt": None,
    "lastFailureAt": None,
    "lastFailureError": None,
    "nextRunAt": None,
}
CRON_SCHEDULE = {"id": "h", "cron": "0 * * * *", "enabled": True, "target": "t", "timeZone": "UTC"}


@pytest.mark.parametrize("next_fire", [None, "2026-02-27T15:00:00.000Z", "absent"])
def test_ops_cron_detail_next_fire_at_is_optional_and_nullable(ops_bodies: BodyChecker, next_fire: Any) -> None:
    metrics = dict(CRON_METRICS)
    if next_fire != "absent":
        metrics["nextFireAt"] = next_fire
    body = {"schedule": CRON_SCHEDULE, "metrics": metrics, "recentRuns": []}
    assert ops_bodies.errors("/api/cron-detail/{scheduleId}", "get", "200", body) == []
    wrong = {**body, "metrics": {**metrics, "nextFireAt": "2026-02-27T15:00"}}
    assert ops_bodies.errors("/api/cron-detail/{scheduleId}", "get", "200", wrong)


@pytest.mark.parametrize(("path", "method", "status", "body"), OPS_GOOD)
def test_ops_accepts_spec_bodies(ops_bodies: BodyChecker, path: str, method: str, status: str, body: Any) -> None:
    assert ops_bodies.errors(path, method, status, body) == []


@pytest.mark.parametrize("case", OPS_BAD, ids=[b[0] for b in OPS_BAD])
def test_ops_rejects_wrong_bodies(ops_bodies: BodyChecker, case: tuple[str, str, str, str, Any]) -> None:
    label, path, method, status, body = case
    assert ops_bodies.errors(path, method, status, body), label
