"""The workflow worker (spec 6), driven over ASGI: endpoints, config errors, dispatch, secrets, deviations."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
import respx

from workerflow_kit.contracts.models import builtin_routes, builtin_schedules
from workerflow_kit.jscompat.numbers import UNDEFINED
from workerflow_kit.runtime.bindings.clock import VirtualClock
from workerflow_kit.runtime.bindings.secrets import SecretsStoreSecret
from workerflow_kit.runtime.handlers import HandlerContext, HandlerRegistry, WorkflowHandlerError, builtin_registry
from workerflow_kit.runtime.http import Headers, Request
from workerflow_kit.runtime.workers.base import WorkerContext
from workerflow_kit.runtime.workers.workflow import DEVIATIONS, WorkflowWorker

T = TypeVar("T")
START = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
JSON_TYPE = "application/json; charset=utf-8"
WEBHOOK = "https://chat.example/incoming"
CHAT_ERROR = (
    'route "chat_notify": missing chat webhook URL. Checked: CHAT_WEBHOOK_URL, GCHAT_ALERTS_WEBHOOK_URL, '
    "GCHAT_ALERTS_WEBHOOK"
)
LEAD_ERROR = 'route "lead_normalizer": missing Google AI key. Checked: GOOGLEAI_API_KEY, LEAD_NORMALIZER_API_KEY'
CLEANUP_ERROR = 'schedule "cleanup_daily": missing cleanup signing secret. Checked: CLEANUP_SIGNING_SECRET'
ALL_SECRETS = {"CHAT_WEBHOOK_URL": WEBHOOK, "GOOGLEAI_API_KEY": "k", "CLEANUP_SIGNING_SECRET": "s"}


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def call(
    env: Mapping[str, object],
    method: str,
    path: str,
    *,
    task: Any = UNDEFINED,
    content: bytes | None = None,
    registry: HandlerRegistry | None = None,
) -> httpx.Response:
    async with httpx.AsyncClient(verify=False) as outbound:  # no real network: skip loading CA certificates
        context = WorkerContext(VirtualClock(start=START), outbound, builtin_routes(), builtin_schedules())
        worker = WorkflowWorker(context, registry)
        transport = httpx.ASGITransport(app=worker.app(env))
        async with httpx.AsyncClient(transport=transport, base_url="http://workflow.internal") as client:
            body = json.dumps(task).encode() if task is not UNDEFINED else content
            return await client.request(method, path, content=body)


def request(env: Mapping[str, object], method: str, path: str, **kwargs: Any) -> httpx.Response:
    return run(call(env, method, path, **kwargs))


def run_task(task: Any, env: Mapping[str, object] | None = None, **kwargs: Any) -> httpx.Response:
    return request({"ENV_NAME": "dev", **(env or {})}, "POST", "/run-async", task=task, **kwargs)


def assert_json(response: httpx.Response, status: int, body: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == JSON_TYPE
    assert response.text == body


def handler_error(message: str) -> str:
    return json.dumps({"error": "handler_error", "message": message, "details": None}, separators=(",", ":"))


# --------------------------------------------------------------------------------------------------------
# 6.2 endpoints
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PUT"])
def test_health_answers_any_method(method: str) -> None:
    assert_json(request({"ENV_NAME": "dev"}, method, "/health"), 200, '{"ok":true,"env":"dev","worker":"workflow"}')


def test_health_without_env_name_omits_env() -> None:
    assert_json(request({}, "GET", "/health"), 200, '{"ok":true,"worker":"workflow"}')


def test_health_echoes_a_binding_env_name_as_an_empty_object() -> None:
    assert request({"ENV_NAME": object()}, "GET", "/health").json()["env"] == {}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_health_config_lists_every_missing_secret_in_manifest_order(method: str) -> None:
    response = request({"ENV_NAME": "dev"}, method, "/health/config")
    assert response.status_code == 200  # even though ok is false
    assert response.headers["content-type"] == JSON_TYPE
    assert response.json() == {
        "ok": False,
        "env": "dev",
        "worker": "workflow",
        "manifestMode": "legacy",
        "errors": [CHAT_ERROR, LEAD_ERROR, CLEANUP_ERROR],
    }
    assert list(response.json()) == ["ok", "env", "worker", "manifestMode", "errors"]


def test_health_config_ok_with_all_secrets() -> None:
    body = request({"ENV_NAME": "dev", **ALL_SECRETS}, "GET", "/health/config").json()
    assert (body["ok"], body["errors"]) == (True, [])


def test_health_config_skips_gated_routes() -> None:
    # Spec 12.4 #6: chat_notify enabled, all secrets set: no chat_notify error.
    body = request({**ALL_SECRETS, "ENABLED_HTTP_ROUTES": "chat_notify"}, "GET", "/health/config").json()
    assert not [e for e in body["errors"] if 'route "chat_notify"' in e]
    assert body["ok"] is True
    # Without secrets, lead_normalizer (gated off) is not validated while chat_notify and cleanup are.
    body = request({"ENABLED_HTTP_ROUTES": "chat_notify"}, "GET", "/health/config").json()
    assert body["errors"] == [CHAT_ERROR, CLEANUP_ERROR]
    body = request({"DISABLED_HTTP_ROUTES": "chat_notify, lead_normalizer"}, "GET", "/health/config").json()
    assert body["errors"] == [CLEANUP_ERROR]


def test_health_config_in_config_mode() -> None:
    env = {
        "MANIFEST_MODE": " Config ",
        "ROUTES_CONFIG_JSON": json.dumps(
            [{"routePath": "lead_normalizer", "requestType": "sync", "flowPath": "f", "wrapBody": True}]
        ),
        "SCHEDULES_CONFIG_JSON": json.dumps(
            [{"id": "cleanup_daily", "cron": "0 0 * * *", "enabled": False, "target": "t", "timeZone": "UTC"}]
        ),
    }
    body = request(env, "GET", "/health/config").json()
    assert body["manifestMode"] == "config"
    assert body["errors"] == [LEAD_ERROR]  # the disabled schedule is not validated


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/run-sync"), ("GET", "/run-async"), ("PUT", "/run-async"), ("GET", "/"), ("DELETE", "/health/")],
)
def test_non_post_elsewhere_is_405(method: str, path: str) -> None:
    assert_json(request({}, method, path), 405, '{"error":"method not allowed"}')


@pytest.mark.parametrize("path", ["/", "/run", "/run-sync/", "/health/", "/Run-Sync", "/run%2Dsync", "/health/config/"])
def test_post_elsewhere_is_404(path: str) -> None:
    assert_json(request({}, "POST", path, task={"kind": "http_route"}), 404, '{"error":"not found"}')


def test_lowercase_post_method_counts_as_post() -> None:
    async def go() -> str:
        async with httpx.AsyncClient(verify=False) as outbound:  # no real network: skip loading CA certificates
            context = WorkerContext(VirtualClock(start=START), outbound, builtin_routes(), builtin_schedules())
            task = b'{"kind":"http_route","traceId":"t","routePath":"webhook_echo","payload":1}'
            response = await WorkflowWorker(context).fetch(
                Request("post", "http://workflow.internal/run-sync", Headers(), task), {}
            )
            return response.text()

    assert run(go()) == '{"ok":true,"route":"webhook_echo","received":1}'


@pytest.mark.parametrize("path", ["/run-sync", "/run-async"])
def test_both_run_paths_execute(path: str) -> None:
    task = {"kind": "http_route", "traceId": "t", "routePath": "webhook_echo", "payload": {"body": 5, "x": 1}}
    assert_json(request({}, "POST", path, task=task), 200, '{"ok":true,"route":"webhook_echo","received":5}')


# --------------------------------------------------------------------------------------------------------
# 6.4 pipeline: config errors (12.4 #1-#3)
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "message", "env_fix"),
    [
        ({"kind": "http_route", "routePath": "chat_notify"}, CHAT_ERROR, {"CHAT_WEBHOOK_URL": WEBHOOK}),
        ({"kind": "http_route", "routePath": "lead_normalizer"}, LEAD_ERROR, {"GOOGLEAI_API_KEY": "k"}),
        ({"kind": "scheduled_job", "scheduleId": "cleanup_daily"}, CLEANUP_ERROR, {"CLEANUP_SIGNING_SECRET": "s"}),
    ],
)
def test_config_errors_per_task(task: dict[str, Any], message: str, env_fix: dict[str, str]) -> None:
    full = {"traceId": "trace-1", **task, "payload": {}}
    expected = json.dumps(
        {"error": "missing required configuration", "traceId": "trace-1", "details": [message]},
        separators=(",", ":"),
    )
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        outbound = mock.route().mock(return_value=httpx.Response(200))
        assert_json(run_task(full), 500, expected)
        assert outbound.call_count == 0  # nothing ran
        fixed = run_task(full, env_fix)
    assert fixed.status_code == 200
    assert fixed.json()["ok"] is True


def test_config_error_omits_a_missing_trace_id_and_echoes_odd_ones() -> None:
    task: dict[str, Any] = {"kind": "http_route", "routePath": "chat_notify"}
    assert (
        run_task(task).text == '{"error":"missing required configuration","details":[' + json.dumps(CHAT_ERROR) + "]}"
    )
    assert run_task({**task, "traceId": None}).json()["traceId"] is None
    assert run_task({**task, "traceId": [1, {"a": 2}]}).json()["traceId"] == [1, {"a": 2}]


@pytest.mark.parametrize(
    "env",
    [
        {"CHAT_WEBHOOK_URL": "   "},
        {"CHAT_WEBHOOK_URL": None},
        {"CHAT_WEBHOOK_URL": []},
    ],
)
def test_blank_values_do_not_satisfy_config(env: dict[str, object]) -> None:
    assert run_task({"kind": "http_route", "traceId": "t", "routePath": "chat_notify"}, env).status_code == 500


def test_config_validation_ignores_gating_and_manifest() -> None:
    env = {"ENABLED_HTTP_ROUTES": "webhook_echo", "MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": "[]"}
    response = run_task({"kind": "http_route", "traceId": "t", "routePath": "chat_notify"}, env)
    assert response.json()["details"] == [CHAT_ERROR]


def test_dispatch_ignores_gating_and_manifest() -> None:
    env = {"DISABLED_HTTP_ROUTES": "webhook_echo", "MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": "[]"}
    response = run_task({"kind": "http_route", "traceId": "t", "routePath": "webhook_echo", "payload": 1}, env)
    assert_json(response, 200, '{"ok":true,"route":"webhook_echo","received":1}')


def test_non_string_ids_skip_config_validation() -> None:
    # Upstream's switch compares with ===, so ["chat_notify"] is never validated, yet the handler lookup
    # (a JS property access) stringifies it and finds chat_notify, which then fails on its own.
    response = run_task({"kind": "http_route", "traceId": "t", "routePath": ["chat_notify"]})
    assert_json(response, 500, handler_error("CHAT_WEBHOOK_URL is required"))


# --------------------------------------------------------------------------------------------------------
# 6.5 dispatch messages
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"kind": "other", "traceId": "t"}, 'Unsupported task kind "other"'),
        ({"kind": "HTTP_ROUTE", "traceId": "t"}, 'Unsupported task kind "HTTP_ROUTE"'),
        ({"traceId": "t"}, 'Unsupported task kind "undefined"'),
        ({"kind": None}, 'Unsupported task kind "null"'),
        ({"kind": 5}, 'Unsupported task kind "5"'),
        ({"kind": {"a": 1}}, 'Unsupported task kind "[object Object]"'),
        (5, 'Unsupported task kind "undefined"'),
        ("http_route", 'Unsupported task kind "undefined"'),
        ([{"kind": "http_route"}], 'Unsupported task kind "undefined"'),
        (True, 'Unsupported task kind "undefined"'),
        ({"kind": "http_route", "traceId": "t"}, "http_route task missing routePath"),
        ({"kind": "http_route", "routePath": ""}, "http_route task missing routePath"),
        ({"kind": "http_route", "routePath": 0}, "http_route task missing routePath"),
        ({"kind": "http_route", "routePath": None}, "http_route task missing routePath"),
        ({"kind": "http_route", "routePath": "nope"}, 'No HTTP handler registered for route "nope"'),
        (
            {"kind": "http_route", "routePath": "heartbeat_hourly"},
            'No HTTP handler registered for route "heartbeat_hourly"',
        ),
        ({"kind": "http_route", "routePath": 7}, 'No HTTP handler registered for route "7"'),
        ({"kind": "http_route", "scheduleId": "heartbeat_hourly"}, "http_route task missing routePath"),
        ({"kind": "scheduled_job", "traceId": "t"}, "scheduled_job task missing scheduleId"),
        ({"kind": "scheduled_job", "scheduleId": ""}, "scheduled_job task missing scheduleId"),
        ({"kind": "scheduled_job", "scheduleId": "nope"}, 'No cron handler registered for schedule "nope"'),
        (
            {"kind": "scheduled_job", "scheduleId": "webhook_echo"},
            'No cron handler registered for schedule "webhook_echo"',
        ),
    ],
)
def test_dispatch_errors(task: Any, message: str) -> None:
    assert_json(run_task(task), 500, handler_error(message))


def test_non_string_route_path_is_looked_up_by_its_string_form() -> None:
    response = run_task({"kind": "http_route", "traceId": "t", "routePath": ["webhook_echo"], "payload": 2})
    assert_json(response, 200, '{"ok":true,"route":"webhook_echo","received":2}')


def test_task_without_payload_echoes_without_received() -> None:
    assert_json(
        run_task({"kind": "http_route", "routePath": "webhook_echo"}), 200, '{"ok":true,"route":"webhook_echo"}'
    )


def test_cron_task_runs_heartbeat_with_runtime_clock() -> None:
    task = {"kind": "scheduled_job", "traceId": "t", "scheduleId": "heartbeat_hourly", "payload": {"target": "x"}}
    assert run_task(task).json() == {
        "ok": True,
        "schedule": "heartbeat_hourly",
        "target": "x",
        "scheduledTime": "2026-02-28T12:00:00.000Z",
        "processedAt": "2026-02-28T12:00:00.000Z",
    }


def test_handler_exception_becomes_handler_error() -> None:
    task = {"kind": "scheduled_job", "traceId": "t", "scheduleId": "cleanup_daily"}
    assert_json(run_task(task, {"CLEANUP_SIGNING_SECRET": 5}), 500, handler_error("CLEANUP_SIGNING_SECRET is required"))


def custom_registry() -> HandlerRegistry:
    registry = builtin_registry()

    @registry.http("ctx_probe")
    async def probe(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        assert ctx.env is not None
        return {"trace": trace_id, "secret": ctx.env.get("SECRET"), "schedule": ctx.schedule_id, "now": ctx.now_iso()}

    @registry.cron("cron_probe")
    def cron_probe(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        return {"schedule": ctx.schedule_id, "payload": payload}

    @registry.http("typed")
    def typed(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        raise WorkflowHandlerError("too many", code="rate_limited", status=429, details={"retryAfter": 3})

    @registry.http("typed_plain")
    def typed_plain(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        raise WorkflowHandlerError("bad input", code="bad_input", status=400)

    @registry.http("undefined")
    def undefined(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        return UNDEFINED

    @registry.http("none")
    def none(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        return None

    @registry.http("unserializable")
    def unserializable(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        return {"when": object()}

    @registry.http("keyerror")
    def keyerror(payload: Any, trace_id: str, ctx: HandlerContext) -> Any:
        return {}["missing"]

    return registry


def test_custom_handler_gets_resolved_env_trace_and_clock() -> None:
    env = {"SECRET": SecretsStoreSecret(" from-store ")}
    response = run_task(
        {"kind": "http_route", "traceId": "tr-9", "routePath": "ctx_probe"}, env, registry=custom_registry()
    )
    assert response.json() == {
        "trace": "tr-9",
        "secret": " from-store ",  # resolved, untrimmed
        "schedule": None,
        "now": "2026-02-28T12:00:00.000Z",
    }


def test_trace_id_reaches_handlers_as_its_string_form() -> None:
    response = run_task({"kind": "http_route", "routePath": "ctx_probe"}, registry=custom_registry())
    assert response.json()["trace"] == "undefined"


def test_cron_handler_gets_schedule_id() -> None:
    task = {"kind": "scheduled_job", "traceId": "t", "scheduleId": "cron_probe", "payload": [1]}
    assert run_task(task, registry=custom_registry()).json() == {"schedule": "cron_probe", "payload": [1]}


def test_typed_error_carries_status_code_and_details() -> None:
    response = run_task({"kind": "http_route", "traceId": "t", "routePath": "typed"}, registry=custom_registry())
    assert_json(response, 429, '{"error":"rate_limited","message":"too many","details":{"retryAfter":3}}')
    response = run_task({"kind": "http_route", "traceId": "t", "routePath": "typed_plain"}, registry=custom_registry())
    assert_json(response, 400, '{"error":"bad_input","message":"bad input","details":null}')


@pytest.mark.parametrize("status", [200, 399, 600, True])
def test_typed_error_rejects_non_error_statuses(status: Any) -> None:
    with pytest.raises(ValueError, match="between 400 and 599"):
        WorkflowHandlerError("x", status=status)


def test_undefined_result_gives_an_empty_json_response() -> None:
    response = run_task({"kind": "http_route", "traceId": "t", "routePath": "undefined"}, registry=custom_registry())
    assert_json(response, 200, "")
    response = run_task({"kind": "http_route", "traceId": "t", "routePath": "none"}, registry=custom_registry())
    assert_json(response, 200, "null")


def test_unserializable_result_is_a_handler_error() -> None:
    response = run_task(
        {"kind": "http_route", "traceId": "t", "routePath": "unserializable"}, registry=custom_registry()
    )
    assert response.status_code == 500
    assert response.json()["error"] == "handler_error"


def test_python_exception_message_is_str_of_the_exception() -> None:
    response = run_task({"kind": "http_route", "traceId": "t", "routePath": "keyerror"}, registry=custom_registry())
    assert_json(response, 500, handler_error("'missing'"))


# --------------------------------------------------------------------------------------------------------
# 6.1 Secrets-Store resolution
# --------------------------------------------------------------------------------------------------------


def test_secrets_store_webhook_binding_works_end_to_end() -> None:
    env = {"CHAT_WEBHOOK_URL": SecretsStoreSecret(WEBHOOK)}
    task = {"kind": "http_route", "traceId": "tr-s", "routePath": "chat_notify", "payload": {"body": {"text": "hi"}}}
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post(WEBHOOK).mock(return_value=httpx.Response(200))
        response = run_task(task, env)
    assert_json(response, 200, '{"ok":true,"route":"chat_notify","delivered":true,"endpointHost":"chat.example"}')
    assert route.calls.last.request.content == b'{"text":"[WorkerFlow:tr-s] hi"}'


def test_secrets_store_binding_satisfies_health_config() -> None:
    env = {"CHAT_WEBHOOK_URL": SecretsStoreSecret(WEBHOOK), "GOOGLEAI_API_KEY": SecretsStoreSecret("k")}
    assert request(env, "GET", "/health/config").json()["errors"] == [CLEANUP_ERROR]


def test_chat_notify_failure_reaches_the_client_as_handler_error() -> None:
    task = {"kind": "http_route", "traceId": "t", "routePath": "chat_notify"}
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(WEBHOOK).mock(return_value=httpx.Response(503, text="later"))
        response = run_task(task, {"CHAT_WEBHOOK_URL": WEBHOOK})
    assert_json(response, 500, handler_error("Chat webhook failed: 503 Service Unavailable later"))


# --------------------------------------------------------------------------------------------------------
# Deviations (each one answered as clean JSON where upstream crashes)
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health", "/health/config", "/run-sync"])
def test_deviation_secret_resolution_rejected(path: str) -> None:
    env = {"ENV_NAME": "dev", "GCHAT_FORMS_WEBHOOK_URL": SecretsStoreSecret(name="GCHAT_FORMS")}
    response = request(env, "POST", path, task={"kind": "http_route"})
    assert_json(
        response,
        500,
        '{"error":"secret resolution failed","message":"Secret \'GCHAT_FORMS\' not found in the Secrets Store"}',
    )


@pytest.mark.parametrize("path", ["/health", "/run-async"])
def test_deviation_invalid_manifest(path: str) -> None:
    env = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": "{not-json}"}
    response = request(env, "POST", path, task={"kind": "http_route"})
    assert response.status_code == 500
    assert response.headers["content-type"] == JSON_TYPE
    body = response.json()
    assert body["error"] == "invalid manifest configuration"
    assert body["message"].startswith("ROUTES_CONFIG_JSON is not valid JSON: ")


def test_deviation_invalid_manifest_item() -> None:
    env = {"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": "[1]"}
    response = request(env, "GET", "/health")
    assert_json(
        response,
        500,
        '{"error":"invalid manifest configuration","message":"SCHEDULES_CONFIG_JSON has invalid item at index 0"}',
    )


@pytest.mark.parametrize("body", [b"", b"{", b"{not json}", b"undefined", b"\xff\xfe"])
def test_deviation_task_body_not_json(body: bytes) -> None:
    response = request({}, "POST", "/run-sync", content=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_TYPE
    assert response.json()["error"] == "invalid task body"
    assert response.json()["message"]


def test_task_body_with_bom_parses() -> None:
    body = "\ufeff" + json.dumps({"kind": "http_route", "routePath": "webhook_echo", "payload": 1})
    assert request({}, "POST", "/run-sync", content=body.encode()).status_code == 200


def test_deviation_task_body_null() -> None:
    response = request({}, "POST", "/run-sync", content=b" null ")
    assert_json(response, 400, '{"error":"invalid task body","message":"task body must not be null"}')


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"kind": "http_route", "routePath": "constructor"}, 'No HTTP handler registered for route "constructor"'),
        ({"kind": "http_route", "routePath": "toString"}, 'No HTTP handler registered for route "toString"'),
        ({"kind": "http_route", "routePath": "__proto__"}, 'No HTTP handler registered for route "__proto__"'),
        ({"kind": "scheduled_job", "scheduleId": "valueOf"}, 'No cron handler registered for schedule "valueOf"'),
    ],
)
def test_deviation_inherited_handler_names(task: dict[str, Any], message: str) -> None:
    assert_json(run_task(task), 500, handler_error(message))


def test_every_deviation_is_listed_once_with_its_worker() -> None:
    ids = [d.id for d in DEVIATIONS]
    assert ids == [
        "workflow.secret-resolution-rejected",
        "workflow.invalid-manifest",
        "workflow.task-body-not-json",
        "workflow.task-body-null",
        "workflow.inherited-handler-names",
    ]
    assert {d.worker for d in DEVIATIONS} == {"workflow"}
    assert all(d.situation and d.upstream and d.reference for d in DEVIATIONS)
