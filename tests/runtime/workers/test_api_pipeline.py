"""Api worker: the spec 4.1 pipeline in precedence order, the 4.9 response catalogue and CORS on each answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.runtime.workers.test_api_harness import START_ISO, ApiHarness, assert_cors, assert_json

pytestmark = pytest.mark.anyio

ORIGIN = "https://fixture-client.example"
TOKEN = {"API_INGRESS_TOKEN": "  s3cret "}
HINT = {"error": "unknown route", "hint": "Use POST /api/{route}"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# ------------------------------------------------------------------------------------------- steps 1-2


async def test_preflight_is_204_empty_with_cors() -> None:
    async with ApiHarness() as h:
        response = await h.request("OPTIONS", "/api/webhook_echo", headers={"origin": ORIGIN})
        assert response.status_code == 204
        assert response.content == b""
        assert "content-type" not in response.headers
        assert_cors(response, ORIGIN)


@pytest.mark.parametrize("path", ["/api/health", "/api/r/x/legacy_flow", "/api/anything/at/all", "/api/"])
async def test_preflight_precedes_health_and_legacy(path: str) -> None:
    async with ApiHarness({"LEGACY_ALERT_WEBHOOK_URL": "https://unused.example/hook"}) as h:
        response = await h.request("OPTIONS", path)
        assert response.status_code == 204
        assert_cors(response)


async def test_options_outside_api_prefix_is_405() -> None:
    async with ApiHarness() as h:
        for path in ("/", "/api", "/other/x"):
            response = await h.request("OPTIONS", path)
            assert_json(response, 405, {"error": "method not allowed"})
            assert_cors(response)


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PATCH"])
async def test_health_answers_any_method(method: str) -> None:
    async with ApiHarness({"API_INGRESS_TOKEN": "required"}) as h:
        response = await h.request(method, "/api/health", headers={"origin": ORIGIN})
        assert_json(response, 200, {"ok": True, "env": "dev", "worker": "api"})
        assert_cors(response, ORIGIN)


async def test_health_omits_env_when_env_name_unset() -> None:
    async with ApiHarness() as h:
        del h.env["ENV_NAME"]
        assert_json(await h.request("GET", "/api/health"), 200, {"ok": True, "worker": "api"})


async def test_health_needs_the_exact_path() -> None:
    async with ApiHarness() as h:
        assert_json(await h.request("GET", "/api/health/"), 405, {"error": "method not allowed"})
        assert_json(await h.post("/api/health/"), 404, {"error": "unknown route", "routePath": "health"})
        assert_json(await h.post("/api//health"), 404, {"error": "unknown route", "routePath": "health"})


# ------------------------------------------------------------------------------------------- steps 4-5


@pytest.mark.parametrize("path", ["/anything", "/api/webhook_echo", "/", "/api/dev/cron/heartbeat_hourly"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_non_post_is_405(method: str, path: str) -> None:
    async with ApiHarness() as h:
        response = await h.request(method, path)
        assert_json(response, 405, {"error": "method not allowed"})
        assert_cors(response)


async def test_legacy_precedes_405_and_405_precedes_401() -> None:
    async with ApiHarness(TOKEN) as h:
        legacy = await h.request("GET", "/api/r/x/flow", headers={"x-trace-id": "t-legacy"})
        assert_json(legacy, 404, {"error": "legacy endpoint is disabled", "traceId": "t-legacy", "routePath": "flow"})
        assert_json(await h.request("GET", "/api/webhook_echo"), 405, {"error": "method not allowed"})


@pytest.mark.parametrize(
    "path", ["/", "/api/dev/cron/heartbeat_hourly", "/api/not_a_real_route", "/api/webhook_echo", "/API/x"]
)
async def test_401_precedes_dev_cron_routes_and_hints(path: str) -> None:
    async with ApiHarness(TOKEN) as h:
        response = await h.post(path, headers={"origin": ORIGIN})
        assert_json(response, 401, {"error": "unauthorized"})
        assert_cors(response, ORIGIN)
        assert h.queued() == []
        assert h.trace_keys() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"x-api-token": "s3cret"},
        {"x-api-key": " s3cret "},
        {"x-webhook-token": "s3cret"},
        {"authorization": "Bearer s3cret"},
        {"authorization": "bEaReR \t s3cret  "},
        {"authorization": "BEARER\u00a0s3cret".encode("latin-1")},  # NBSP is JS whitespace (\s)
        {"authorization": "s3cret"},
        {"x-api-key": "s3cret", "x-webhook-token": "wrong", "authorization": "Bearer wrong"},
        {"x-api-token": "", "authorization": "Bearer s3cret"},
        {"x-api-token": "   ", "x-api-key": "wrong", "authorization": "s3cret"},
    ],
)
async def test_token_accepted(headers: dict[str, Any]) -> None:
    async with ApiHarness(TOKEN) as h:
        response = await h.post("/api/webhook_echo", headers=headers, content="x")
        assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-api-token": "S3CRET"},
        {"x-api-token": "s3cret2"},
        # Q13: an empty (present) x-api-token hides a valid x-api-key / x-webhook-token.
        {"x-api-token": "", "x-api-key": "s3cret"},
        {"x-api-key": "", "x-webhook-token": "s3cret"},
        {"x-api-key": "wrong", "authorization": "Bearer s3cret"},
        {"authorization": "Token s3cret"},
        {"authorization": "Bearer"},
        {"authorization": "Bearer  "},  # "\s+" takes one space, "(.+)" the other: the token is ""
        {"authorization": ""},
    ],
)
async def test_token_rejected(headers: dict[str, str]) -> None:
    async with ApiHarness(TOKEN) as h:
        response = await h.post("/api/webhook_echo", headers=headers, content="x")
        assert_json(response, 401, {"error": "unauthorized"})
        assert_cors(response)


@pytest.mark.parametrize("token", [None, "", "   ", "\ufeff\n"])
async def test_unset_or_blank_token_is_open(token: str | None) -> None:
    async with ApiHarness({} if token is None else {"API_INGRESS_TOKEN": token}) as h:
        assert (await h.post("/api/webhook_echo")).status_code == 202


# ------------------------------------------------------------------------------------------- step 6


async def test_dev_cron_enqueues_the_schedule() -> None:
    async with ApiHarness(TOKEN) as h:
        response = await h.post(
            "/api/dev/cron/heartbeat_hourly",
            headers={"x-api-key": "s3cret", "x-trace-id": " cron-1 ", "content-type": "application/json"},
            content="{not json: the body is never read",
        )
        assert_json(
            response,
            202,
            {
                "accepted": True,
                "traceId": "cron-1",
                "scheduleId": "heartbeat_hourly",
                "enqueuedAt": START_ISO,
                "trigger": "manual_api",
            },
        )
        assert_cors(response)
        [task] = h.queued()
        assert list(task) == ["kind", "traceId", "scheduleId", "payload", "enqueuedAt"]
        assert task == {
            "kind": "scheduled_job",
            "traceId": "cron-1",
            "scheduleId": "heartbeat_hourly",
            "payload": {
                "target": "f/examples/heartbeat_hourly",
                "cron": "0 * * * *",
                "timeZone": "UTC",
                "scheduledTime": START_ISO,
                "trigger": "manual_api",
            },
            "enqueuedAt": START_ISO,
        }
        assert h.trace_keys() == [{"trace_id": "cron-1", "created_at": START_ISO}]
        again = await h.post("/api/dev/cron/heartbeat_hourly", headers={"x-api-key": "s3cret", "x-trace-id": "cron-1"})
        assert_json(
            again, 202, {"accepted": True, "duplicate": True, "traceId": "cron-1", "scheduleId": "heartbeat_hourly"}
        )
        assert len(h.queued()) == 1


SCHEDULES = [
    {"id": "off", "cron": "* * * * *", "enabled": False, "target": "t/off", "timeZone": "UTC"},
    {"id": "twin", "cron": "1 * * * *", "enabled": False, "target": "t/first", "timeZone": "UTC"},
    {"id": "twin", "cron": "2 * * * *", "enabled": True, "target": "t/second", "timeZone": "Europe/Paris"},
]


async def test_dev_cron_unknown_or_disabled_schedule_is_404() -> None:
    env = {"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": json.dumps(SCHEDULES)}
    async with ApiHarness(env) as h:
        for schedule_id in ("off", "heartbeat_hourly", "nope", "%74win"):
            response = await h.post(f"/api/dev/cron/{schedule_id}")
            assert_json(response, 404, {"error": "unknown schedule", "scheduleId": schedule_id})
            assert_cors(response)
        # The first *enabled* schedule with the id wins.
        assert (await h.post("/api/dev/cron/twin")).status_code == 202
        [task] = h.queued()
        assert task["payload"]["target"] == "t/second"
        assert task["payload"]["timeZone"] == "Europe/Paris"
        assert task["traceId"] != ""


async def test_dev_cron_ignores_route_gating_and_env_name() -> None:
    env = {"ENV_NAME": "production", "DISABLED_HTTP_ROUTES": "cleanup_daily", "ENABLED_HTTP_ROUTES": "x"}
    async with ApiHarness(env) as h:
        assert (await h.post("/api/dev/cron/cleanup_daily")).status_code == 202
        assert (await h.post("/api//dev/cron//cleanup_daily/")).status_code == 202


# ------------------------------------------------------------------------------------------- steps 7-9


@pytest.mark.parametrize(
    "path", ["/", "/api", "/api/", "/API/x", "/Api/webhook_echo", "/api/a/b", "/api/dev/cron", "/x/webhook_echo"]
)
async def test_malformed_route_path_has_hint(path: str) -> None:
    async with ApiHarness() as h:
        response = await h.post(path)
        assert_json(response, 404, HINT)
        assert_cors(response)


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/not_a_real_route", "not_a_real_route"),
        ("/api/webhook%5Fecho", "webhook%5Fecho"),
        ("/api/r", "r"),
        ("/api/Webhook_Echo", "Webhook_Echo"),
        ("/api/caf\u00e9", "caf%C3%A9"),
    ],
)
async def test_unknown_route_names_the_raw_segment(path: str, route: str) -> None:
    async with ApiHarness() as h:
        response = await h.post(path)
        assert_json(response, 404, {"error": "unknown route", "routePath": route})
        assert_cors(response)


@pytest.mark.parametrize("path", ["/api//webhook_echo", "/api/webhook_echo//", "/api/x/../webhook_echo"])
async def test_empty_and_dot_segments_vanish(path: str) -> None:
    async with ApiHarness() as h:
        response = await h.post(path, headers={"x-trace-id": "t"})
        assert response.status_code == 202
        assert h.queued()[0]["routePath"] == "webhook_echo"


@pytest.mark.parametrize(
    "env",
    [
        {"ENABLED_HTTP_ROUTES": "chat_notify, lead_normalizer"},
        {"DISABLED_HTTP_ROUTES": " webhook_echo ,x"},
        {"ENABLED_HTTP_ROUTES": "webhook_echo", "DISABLED_HTTP_ROUTES": "webhook_echo"},
    ],
)
async def test_gated_route_is_indistinguishable_from_unknown(env: dict[str, str]) -> None:
    async with ApiHarness(env) as h:
        response = await h.post("/api/webhook_echo", headers={"x-trace-id": "gated"})
        assert_json(response, 404, {"error": "unknown route", "routePath": "webhook_echo"})
        assert_cors(response)
        assert h.trace_keys() == []
        assert h.queued() == []


async def test_gating_lets_listed_routes_through() -> None:
    async with ApiHarness({"ENABLED_HTTP_ROUTES": "chat_notify", "DISABLED_HTTP_ROUTES": " , "}) as h:
        assert (await h.post("/api/chat_notify")).status_code == 202
        assert (await h.post("/api/webhook_echo")).status_code == 404


async def test_config_mode_routes_replace_builtins() -> None:
    routes = [{"routePath": "custom", "requestType": "async", "flowPath": "f/c", "wrapBody": True, "extra": 1}]
    async with ApiHarness({"MANIFEST_MODE": " CONFIG ", "ROUTES_CONFIG_JSON": json.dumps(routes)}) as h:
        assert_json(await h.post("/api/webhook_echo"), 404, {"error": "unknown route", "routePath": "webhook_echo"})
        response = await h.post("/api/custom", json_body=[1, 2])
        assert response.status_code == 202
        assert h.queued()[0]["payload"] == {"body": [1, 2]}


# ------------------------------------------------------------------------------------------- steps 10-12


async def test_async_route_accepted_shape_and_task() -> None:
    async with ApiHarness() as h:
        response = await h.post(
            "/api/webhook_echo", headers={"x-trace-id": "\t trace-a \n", "origin": ORIGIN}, json_body={"b": 1, "a": [2]}
        )
        assert_json(
            response,
            202,
            {"accepted": True, "traceId": "trace-a", "routePath": "webhook_echo", "queuedAt": START_ISO},
        )
        assert_cors(response, ORIGIN)
        [task] = h.queued()
        assert list(task) == ["kind", "traceId", "routePath", "payload", "enqueuedAt"]
        assert task == {
            "kind": "http_route",
            "traceId": "trace-a",
            "routePath": "webhook_echo",
            "payload": {"b": 1, "a": [2]},
            "enqueuedAt": START_ISO,
        }
        assert h.workflow.calls == []


@pytest.mark.parametrize(
    ("route", "headers", "content", "payload"),
    [
        ("webhook_echo", {"content-type": "application/json"}, '{"x":1}', {"x": 1}),
        ("chat_notify", {"content-type": "application/json"}, '{"x":1}', {"body": {"x": 1}}),
        ("chat_notify", {"content-type": "text/json; x=application/json"}, '"s"', {"body": "s"}),
        ("chat_notify", {"content-type": "application/json; charset=utf-8"}, "null", {"body": None}),
        ("chat_notify", {"content-type": "Application/JSON"}, '{"x":1}', {"body": '{"x":1}'}),
        ("chat_notify", {}, "plain text", {"body": "plain text"}),
        ("chat_notify", {}, "", {"body": ""}),
        ("webhook_echo", {"content-type": "text/plain"}, "{bad", "{bad"),
        ("webhook_echo", {"content-type": "application/json"}, "\ufeff[1.0, 1e400]", [1, None]),
    ],
)
async def test_body_parsing_and_wrap_body(route: str, headers: dict[str, str], content: str, payload: Any) -> None:
    async with ApiHarness() as h:
        response = await h.post(f"/api/{route}", headers=headers, content=content.encode("utf-8"))
        assert response.status_code == 202, response.text
        [task] = h.queued()
        assert task["payload"] == payload


# ------------------------------------------------------------------------------------------- spec 12.5


async def test_upstream_route_fixtures() -> None:
    """Spec 12.5 items 1-4, 6 and 7 (item 5, the legacy alert, is in the legacy tests)."""
    async with ApiHarness() as h:
        health = await h.request("GET", "/api/health")
        assert health.status_code == 200
        assert health.json()["worker"] == "api"
        preflight = await h.request("OPTIONS", "/api/webhook_echo", headers={"origin": ORIGIN})
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-methods"] == "POST, OPTIONS"
        assert (await h.post("/api/not_a_real_route")).status_code == 404
        assert (await h.request("GET", "/api/webhook_echo")).status_code == 405

        h.workflow.answer_json({"fullName": "Ava Ng"})
        body = {"firstName": "Ava", "lastName": "Ng"}
        for route in ("webhook_echo", "chat_notify", "lead_normalizer"):
            queued_before, calls_before = len(h.queued()), len(h.workflow.calls)
            headers = {"x-trace-id": f"fixture-{route}", "origin": ORIGIN}
            response = await h.post(f"/api/{route}", headers=headers, json_body=body)
            assert response.headers["access-control-allow-origin"] == ORIGIN
            assert response.json()["traceId"] == f"fixture-{route}"
            if route == "lead_normalizer":
                assert response.status_code == 200
                assert len(h.workflow.calls) == calls_before + 1
                assert len(h.queued()) == queued_before
                task = h.workflow.calls[-1]["task"]
            else:
                assert response.status_code == 202
                assert len(h.queued()) == queued_before + 1
                assert len(h.workflow.calls) == calls_before
                task = h.queued()[-1]
            assert task["kind"] == "http_route"
            assert task["routePath"] == route
            assert task["payload"] == (body if route == "webhook_echo" else {"body": body})
            again = await h.post(f"/api/{route}", headers=headers, json_body=body)
            assert again.status_code == 202
            assert again.json()["duplicate"] is True
        assert len(h.queued()) == 2
        assert len(h.workflow.calls) == 1
