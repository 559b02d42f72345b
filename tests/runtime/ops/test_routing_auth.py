"""Ops dashboard routing precedence (spec 9.1), path parameters, authentication (9.2) and deviations."""

from __future__ import annotations

import pytest

from workerflow_kit.runtime.bindings.d1 import D1Database
from workerflow_kit.runtime.deviations import all_deviations
from workerflow_kit.runtime.workers.ops_dashboard import DEVIATIONS
from workerflow_kit.runtime.workers.ops_dashboard.deviations import MalformedEscapeError
from workerflow_kit.runtime.workers.ops_dashboard.routing import (
    Endpoint,
    decode_uri_component,
    fetch_method,
    match_api,
    normalize_path,
)

from .support import JSON_TYPE, TOKEN, ops_stack, run

UNAUTHORIZED = {
    "error": "unauthorized",
    "message": "Provide Authorization: Bearer <OPS_DASHBOARD_TOKEN> or x-dashboard-token",
}


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("/", "/"), ("", "/"), ("///", "/"), ("/api/", "/api"), ("/api/runs//", "/api/runs"), ("/health/", "/health")],
)
def test_normalize_path(raw: str, normalized: str) -> None:
    assert normalize_path(raw) == normalized


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [("abc", "abc"), ("a%20b", "a b"), ("%E2%9C%93", "\u2713"), ("a%2Fb", "a/b"), ("%F0%9F%98%80", "\U0001f600")],
)
def test_decode_uri_component(raw: str, decoded: str) -> None:
    assert decode_uri_component(raw) == decoded


@pytest.mark.parametrize("raw", ["%", "%2", "%zz", "a%E2%9C", "%80", "%C0%AF", "%ED%A0%80", "ok%E2x%9C%93"])
def test_decode_uri_component_rejects_what_js_rejects(raw: str) -> None:
    with pytest.raises(MalformedEscapeError):
        decode_uri_component(raw)


def test_fetch_method_normalizes_only_the_standard_six() -> None:
    assert fetch_method("get") == "GET"
    assert fetch_method("post") == "POST"
    assert fetch_method("patch") == "patch"


def test_match_api_table() -> None:
    assert match_api("GET", "/api/summary") == match_api("GET", "/api/summary")
    summary = match_api("GET", "/api/summary")
    assert summary is not None
    assert summary.endpoint is Endpoint.SUMMARY
    assert match_api("POST", "/api/summary") is None
    retry = match_api("POST", "/api/retry/a%20b")
    assert retry is not None
    assert retry.param == "a b"
    nested = match_api("POST", "/api/retry/a/b")
    assert nested is not None
    assert nested.invalid_error == "invalid retry path"
    assert match_api("GET", "/api/retry/x") is None


def test_health_any_method_no_auth_trailing_slash() -> None:
    async def body() -> None:
        async with ops_stack(env={"OPS_DASHBOARD_TOKEN": TOKEN}) as stack:
            for method in ("GET", "POST", "DELETE", "PATCH"):
                response = await stack.ops.request(method, "/health/")
                assert response.status_code == 200
                assert response.headers["content-type"] == JSON_TYPE
                assert response.text == '{"ok":true,"env":"dev","worker":"ops-dashboard"}'

    run(body())


def test_health_leaves_env_out_when_env_name_is_unset() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            del stack.runtime.env_for("ops")["ENV_NAME"]
            response = await stack.ops.get("/health")
            assert response.json() == {"ok": True, "worker": "ops-dashboard"}
            meta = await stack.get_json("/api/meta")
            assert "env" not in meta

    run(body())


def test_static_routes_precede_auth() -> None:
    async def body() -> None:
        async with ops_stack(env={"OPS_DASHBOARD_TOKEN": TOKEN}) as stack:
            for path in ("/favicon.svg", "/favicon.ico"):
                response = await stack.ops.get(path)
                assert response.status_code == 200
                assert response.headers["content-type"] == "image/svg+xml; charset=utf-8"
                assert response.headers["cache-control"] == "public, max-age=86400"
                assert b"<svg" in response.content
            for path in ("/app.js", "/api/app.js", "/api/app.js/"):
                response = await stack.ops.get(path)
                assert response.status_code == 200
                assert response.headers["content-type"] == "application/javascript; charset=utf-8"
                assert response.headers["cache-control"] == "no-store"
                assert response.content.strip()
            page = await stack.ops.get("/")
            assert page.status_code == 200
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            assert page.headers["cache-control"] == "no-store"
            assert "WorkerFlow Cloudflare Ops Deck" in page.text
            # Other methods on the same paths: outside /api/ a 404, under /api/ auth first.
            for method, path in (("POST", "/"), ("HEAD", "/"), ("POST", "/favicon.svg"), ("POST", "/app.js")):
                response = await stack.ops.request(method, path)
                assert response.status_code == 404
                if method != "HEAD":
                    assert response.json() == {"error": "not found"}
            assert (await stack.ops.post("/api/app.js")).status_code == 401
            headers = {"x-dashboard-token": TOKEN}
            assert (await stack.ops.post("/api/app.js", headers=headers)).json() == {"error": "not found"}

    run(body())


@pytest.mark.parametrize("path", ["/api", "/api/", "/nope", "/api-x/summary", "/health/x"])
def test_paths_outside_api_are_404_before_auth(path: str) -> None:
    async def body() -> None:
        async with ops_stack(env={"OPS_DASHBOARD_TOKEN": TOKEN}) as stack:
            response = await stack.ops.get(path)
            assert response.status_code == 404
            assert response.json() == {"error": "not found"}

    run(body())


@pytest.mark.parametrize(
    ("headers", "authorized"),
    [
        ({}, False),
        ({"x-dashboard-token": TOKEN}, True),
        ({"x-dashboard-token": f"  {TOKEN}\t"}, True),
        ({"authorization": f"Bearer {TOKEN}"}, True),
        ({"authorization": f"bEaReR   {TOKEN} "}, True),
        ({"authorization": TOKEN}, True),
        ({"authorization": f" {TOKEN} "}, True),
        ({"authorization": "Bearer nope"}, False),
        ({"authorization": f"Basic {TOKEN}"}, False),
        ({"x-dashboard-token": "   ", "authorization": f"Bearer {TOKEN}"}, True),
        ({"x-dashboard-token": "", "authorization": f"Bearer {TOKEN}"}, True),
        ({"x-dashboard-token": "wrong", "authorization": f"Bearer {TOKEN}"}, False),
        ({"x-dashboard-token": TOKEN.upper()}, False),
    ],
)
def test_token_sources(headers: dict[str, str], authorized: bool) -> None:
    async def body() -> None:
        async with ops_stack(env={"OPS_DASHBOARD_TOKEN": f" {TOKEN} "}) as stack:
            response = await stack.ops.get("/api/meta", headers=headers)
            if authorized:
                assert response.status_code == 200
            else:
                assert response.status_code == 401
                assert response.headers["www-authenticate"] == "Bearer"
                assert response.headers["content-type"] == JSON_TYPE
                assert response.json() == UNAUTHORIZED

    run(body())


def test_token_is_not_accepted_in_the_query_and_guards_unknown_paths() -> None:
    async def body() -> None:
        async with ops_stack(env={"OPS_DASHBOARD_TOKEN": TOKEN}) as stack:
            assert (await stack.ops.get("/api/meta", params={"token": TOKEN})).status_code == 401
            assert (await stack.ops.get("/api/not-a-real-route")).status_code == 401
            found = await stack.ops.get("/api/not-a-real-route", headers={"x-dashboard-token": TOKEN})
            assert found.status_code == 404
            assert found.json() == {"error": "not found"}

    run(body())


@pytest.mark.parametrize("token", [None, "", "   "])
def test_blank_token_is_fail_open(token: str | None) -> None:
    env = {} if token is None else {"OPS_DASHBOARD_TOKEN": token}

    async def body() -> None:
        async with ops_stack(env=env) as stack:
            assert (await stack.ops.get("/api/meta")).status_code == 200

    run(body())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/summary"),
        ("GET", "/api/retry/abc"),
        ("GET", "/api/cron-run/heartbeat_hourly"),
        ("POST", "/api/run-detail/abc"),
        ("PUT", "/api/runs"),
        ("DELETE", "/api/meta"),
        ("GET", "/api/retry"),
        ("POST", "/api/retry/"),
        ("GET", "/api/run-detail"),
    ],
)
def test_wrong_method_or_empty_parameter_is_generic_404(method: str, path: str) -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            response = await stack.ops.request(method, path)
            assert response.status_code == 404
            assert response.json() == {"error": "not found"}

    run(body())


@pytest.mark.parametrize(
    ("method", "path", "error"),
    [
        ("GET", "/api/run-detail/a/b", "invalid run detail path"),
        ("POST", "/api/retry/a/b", "invalid retry path"),
        ("GET", "/api/route-detail/a/b/c", "invalid route detail path"),
        ("GET", "/api/cron-detail//x", "invalid cron detail path"),
        ("POST", "/api/cron-run/a/b/", "invalid cron run path"),
    ],
)
def test_extra_segments_get_the_endpoint_404(method: str, path: str, error: str) -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            response = await stack.ops.request(method, path)
            assert response.status_code == 404
            assert response.json() == {"error": error}

    run(body())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/run-detail/%E0%A4%A"),
        ("POST", "/api/retry/%zz"),
        ("GET", "/api/route-detail/%"),
        ("GET", "/api/cron-detail/%C0%AF"),
        ("POST", "/api/cron-run/%FF"),
    ],
)
def test_malformed_escape_is_a_clean_400(method: str, path: str) -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            response = await stack.ops.request(method, path)
            assert response.status_code == 400
            assert response.headers["content-type"] == JSON_TYPE
            assert response.json()["error"] == "malformed URL escape"

    run(body())


def test_path_parameters_are_decoded() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            detail = await stack.get_json("/api/route-detail/webhook%5Fecho")
            assert detail["route"]["routePath"] == "webhook_echo"
            missing = await stack.ops.get("/api/run-detail/a%20b")
            assert missing.json() == {"error": "run not found", "traceId": "a b"}

    run(body())


def test_manifest_error_is_a_clean_500_only_under_api() -> None:
    env = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": "{not-json}"}

    async def body() -> None:
        async with ops_stack(env=env) as stack:
            response = await stack.ops.get("/api/meta")
            assert response.status_code == 500
            assert response.headers["content-type"] == JSON_TYPE
            payload = response.json()
            assert payload["error"] == "invalid manifest configuration"
            assert payload["message"].startswith("ROUTES_CONFIG_JSON is not valid JSON")
            # Unknown /api/ paths fail the same way (manifest resolution precedes the table).
            assert (await stack.ops.get("/api/nope")).status_code == 500
            for path in ("/health", "/", "/app.js", "/favicon.svg"):
                assert (await stack.ops.get(path)).status_code == 200
            assert (await stack.ops.get("/nope")).status_code == 404

    run(body())


def test_auth_precedes_manifest_resolution() -> None:
    env = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": "[1]", "OPS_DASHBOARD_TOKEN": TOKEN}

    async def body() -> None:
        async with ops_stack(env=env) as stack:
            assert (await stack.ops.get("/api/meta")).status_code == 401

    run(body())


def test_database_failure_is_a_clean_500() -> None:
    closed = D1Database.open()
    closed.close()

    async def body() -> None:
        async with ops_stack(worker_env={"ops-dashboard": {"DB": closed}}) as stack:
            response = await stack.ops.get("/api/summary")
            assert response.status_code == 500
            assert response.headers["content-type"] == JSON_TYPE
            assert response.json()["error"] == "database unavailable"
            # Endpoints that need no database still answer.
            assert (await stack.ops.get("/api/meta")).status_code == 200

    run(body())


def test_missing_db_binding_is_a_clean_500() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            del stack.runtime.env_for("ops")["DB"]
            response = await stack.ops.get("/api/runs")
            assert response.status_code == 500
            assert response.json()["error"] == "database unavailable"

    run(body())


def test_deviations_are_listed_for_the_docs() -> None:
    ids = {deviation.id for deviation in DEVIATIONS}
    assert {
        "ops.path-param.malformed-escape",
        "ops.cron-detail.invalid-time-zone",
        "ops.run-detail.missing-lineage-table",
        "ops.manifest.resolution-error",
    } <= ids
    assert all(deviation.worker == "ops-dashboard" for deviation in DEVIATIONS)
    assert set(DEVIATIONS) <= set(all_deviations())


def test_pages_do_not_need_env_name() -> None:
    async def body() -> None:
        async with ops_stack() as stack:
            del stack.runtime.env_for("ops")["ENV_NAME"]
            for path in ("/", "/app.js", "/api/app.js"):
                assert (await stack.ops.get(path)).status_code == 200

    run(body())
