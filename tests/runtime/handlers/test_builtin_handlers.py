"""The five built-in handlers, rule by rule (spec 7.1-7.5) and the upstream fixtures of spec 12.6."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
import respx

from workerflow_kit.jscompat.numbers import UNDEFINED
from workerflow_kit.runtime.bindings.clock import VirtualClock
from workerflow_kit.runtime.handlers import HandlerContext, call_handler
from workerflow_kit.runtime.handlers.cron import BUILTIN_CRON_HANDLERS, cleanup_daily, heartbeat_hourly
from workerflow_kit.runtime.handlers.http import BUILTIN_HTTP_HANDLERS, chat_notify, lead_normalizer, webhook_echo
from workerflow_kit.runtime.handlers.payload import object_view, string_field, unwrap_body

T = TypeVar("T")
NOW = datetime(2026, 2, 28, 12, 0, 0, 123000, tzinfo=UTC)
NOW_ISO = "2026-02-28T12:00:00.123Z"
WEBHOOK = "https://chat.example/incoming"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def ctx(env: Mapping[str, object] | None = None, *, schedule_id: str | None = None) -> HandlerContext:
    return HandlerContext(env=env, clock=VirtualClock(start=NOW), schedule_id=schedule_id)


async def chat(payload: Any, trace_id: str, env: Mapping[str, object] | None) -> Any:
    async with httpx.AsyncClient(verify=False) as client:  # no real network: skip loading CA certificates
        context = HandlerContext(env=env, clock=VirtualClock(start=NOW), outbound=client)
        return await chat_notify.handle(payload, trace_id, context)


# --------------------------------------------------------------------------------------------------------
# Spec 12.6: the upstream handler fixtures
# --------------------------------------------------------------------------------------------------------


def test_fixture_webhook_echo() -> None:
    assert webhook_echo.handle({"hello": "world"}, "t", ctx()) == {
        "ok": True,
        "route": "webhook_echo",
        "received": {"hello": "world"},
    }


def test_fixture_lead_normalizer() -> None:
    payload = {
        "body": {
            "firstName": "Ava",
            "lastName": "Ng",
            "email": "AVA@Example.COM",
            "phone": "(555) 111-2222",
            "source": "landing_page",
        }
    }
    assert lead_normalizer.handle(payload, "t", ctx()) == {
        "ok": True,
        "route": "lead_normalizer",
        "normalized": {
            "fullName": "Ava Ng",
            "email": "ava@example.com",
            "phone": "5551112222",
            "source": "landing_page",
        },
    }


@respx.mock(assert_all_called=True, assert_all_mocked=True)
def test_fixture_chat_notify(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(WEBHOOK).mock(return_value=httpx.Response(200, json={"ok": True}))
    result = run(chat({"body": {"text": "New event received"}}, "fixture-chat-notify", {"CHAT_WEBHOOK_URL": WEBHOOK}))
    assert result == {"ok": True, "route": "chat_notify", "delivered": True, "endpointHost": "chat.example"}
    assert route.call_count == 1
    request = route.calls.last.request
    assert str(request.url) == WEBHOOK
    assert request.headers["content-type"] == "application/json"
    assert request.content == b'{"text":"[WorkerFlow:fixture-chat-notify] New event received"}'


# --------------------------------------------------------------------------------------------------------
# Payload helpers (spec 7 preamble)
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"body": 5, "x": 1}, 5),
        ({"body": None}, None),
        ({"body": {"a": 1}}, {"a": 1}),
        ({"Body": 1}, {"Body": 1}),
        ([{"body": 1}], [{"body": 1}]),  # lists cannot carry a body key...
        (["body"], ["body"]),  # ...and JS `in` tests indices, not elements
        ("body", "body"),
        (None, None),
        (0, 0),
        ({}, {}),
    ],
)
def test_unwrap_body(value: Any, expected: Any) -> None:
    assert unwrap_body(value) == expected


def test_unwrap_body_absent_payload_stays_undefined() -> None:
    assert unwrap_body(UNDEFINED) is UNDEFINED


@pytest.mark.parametrize(
    ("value", "expected"),
    [({"a": 1}, {"a": 1}), ([1], {}), ("s", {}), (None, {}), (UNDEFINED, {}), (3, {}), (True, {})],
)
def test_object_view(value: Any, expected: Any) -> None:
    assert dict(object_view(value)) == expected


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"k": "  x  "}, "x"),
        ({"k": "\ufeff\u2028x\u3000"}, "x"),  # JS trim set: BOM and line/ideographic spaces go
        ({"k": "\x1cx"}, "\x1cx"),  # ...but the information separators stay (Python's strip() would drop them)
        ({"k": 5}, ""),
        ({"k": None}, ""),
        ({"k": ["x"]}, ""),
        ({}, ""),
    ],
)
def test_string_field(record: dict[str, Any], expected: str) -> None:
    assert string_field(record, "k") == expected


# --------------------------------------------------------------------------------------------------------
# webhook_echo (7.1)
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "received"),
    [
        ({"body": 5, "x": 1}, 5),  # quirk Q12: unwraps although the route does not wrap
        ("raw text body", "raw text body"),
        ([1, 2], [1, 2]),
        (None, None),
    ],
)
def test_webhook_echo_received(payload: Any, received: Any) -> None:
    assert webhook_echo.handle(payload, "t", ctx())["received"] == received


def test_webhook_echo_without_payload_leaves_received_undefined() -> None:
    assert webhook_echo.handle(UNDEFINED, "t", ctx())["received"] is UNDEFINED


# --------------------------------------------------------------------------------------------------------
# lead_normalizer (7.3)
# --------------------------------------------------------------------------------------------------------


def normalized(body: Any) -> dict[str, str]:
    result: dict[str, str] = lead_normalizer.handle(body, "t", ctx())["normalized"]
    return result


@pytest.mark.parametrize(
    ("body", "field", "expected"),
    [
        ({"fullName": "  Grace Hopper ", "firstName": "A", "lastName": "B"}, "fullName", "Grace Hopper"),
        ({"fullName": "   ", "firstName": "Ava", "lastName": "Ng"}, "fullName", "Ava Ng"),
        ({"firstName": " Ava "}, "fullName", "Ava"),
        ({"lastName": "Ng"}, "fullName", "Ng"),
        ({"firstName": 5, "lastName": "Ng"}, "fullName", "Ng"),
        ({}, "fullName", "Unknown"),
        ({"email": "  AVA@Example.COM "}, "email", "ava@example.com"),
        ({"email": ""}, "email", "unknown@example.com"),
        ({"email": ["a@b.c"]}, "email", "unknown@example.com"),
        ({"phone": "(555) 111-2222"}, "phone", "5551112222"),
        ({"phone": "+1 (555) 111-2222 ext. 7"}, "phone", "+155511122227"),
        ({"phone": "\u0661\u0662\uff13 4"}, "phone", "4"),  # JS \d is ASCII-only
        ({"phone": "n/a"}, "phone", ""),
        ({"phone": 5551112222}, "phone", ""),
        ({"source": " web "}, "source", "web"),
        ({"source": ""}, "source", "unspecified"),
    ],
)
def test_lead_normalizer_fields(body: dict[str, Any], field: str, expected: str) -> None:
    assert normalized({"body": body})[field] == expected


@pytest.mark.parametrize("payload", [None, UNDEFINED, "text", [{"firstName": "A"}], {"body": [1]}, {"body": None}])
def test_lead_normalizer_never_fails_and_defaults(payload: Any) -> None:
    assert normalized(payload) == {
        "fullName": "Unknown",
        "email": "unknown@example.com",
        "phone": "",
        "source": "unspecified",
    }


def test_lead_normalizer_reads_unwrapped_payload_too() -> None:
    assert normalized({"firstName": "Ava"})["fullName"] == "Ava"


# --------------------------------------------------------------------------------------------------------
# chat_notify (7.2)
# --------------------------------------------------------------------------------------------------------


def test_chat_notify_missing_env() -> None:
    with pytest.raises(chat_notify.ChatNotifyError, match=r"^Execution context missing env$"):
        run(chat({}, "t", None))


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"CHAT_WEBHOOK_URL": "   ", "GCHAT_ALERTS_WEBHOOK_URL": "", "GCHAT_ALERTS_WEBHOOK": "\ufeff"},
        {"CHAT_WEBHOOK_URL": 5, "GCHAT_ALERTS_WEBHOOK": ["https://x.example"]},  # only strings count
        {"OTHER_WEBHOOK": WEBHOOK},
    ],
)
def test_chat_notify_requires_a_webhook(env: dict[str, object]) -> None:
    with pytest.raises(chat_notify.ChatNotifyError, match=r"^CHAT_WEBHOOK_URL is required$"):
        run(chat({}, "t", env))


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CHAT_WEBHOOK_URL": " https://a.example/x ", "GCHAT_ALERTS_WEBHOOK_URL": "https://b.example/x"}, "a.example"),
        ({"CHAT_WEBHOOK_URL": " ", "GCHAT_ALERTS_WEBHOOK_URL": "https://b.example/x"}, "b.example"),
        (
            {"GCHAT_ALERTS_WEBHOOK": "https://c.example/x", "GCHAT_ALERTS_WEBHOOK_URL": "https://b.example/x"},
            "b.example",
        ),
        ({"GCHAT_ALERTS_WEBHOOK": "https://c.example/x"}, "c.example"),
        ({"CHAT_WEBHOOK_URL": 7, "GCHAT_ALERTS_WEBHOOK": "https://c.example/x"}, "c.example"),
    ],
)
def test_chat_notify_webhook_precedence(env: dict[str, object], expected: str) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post(url__regex=r"https://[abc]\.example/x").mock(return_value=httpx.Response(200))
        result = run(chat({}, "t", env))
    assert result["endpointHost"] == expected
    assert route.call_count == 1
    assert route.calls.last.request.url.host == expected


@pytest.mark.parametrize(
    ("payload", "text"),
    [
        ({"body": {"text": "  hi there  "}}, "hi there"),
        ({"text": "direct"}, "direct"),
        ({"body": {"text": "   "}}, "Automation event"),
        ({"body": {"text": 5}}, "Automation event"),
        ({"body": ["text"]}, "Automation event"),
        ({"body": "text"}, "Automation event"),
        (None, "Automation event"),
        (UNDEFINED, "Automation event"),
        ({"body": {"text": "ünïcode ✓"}}, "ünïcode ✓"),
    ],
)
def test_chat_notify_message_text(payload: Any, text: str) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post(WEBHOOK).mock(return_value=httpx.Response(204))
        run(chat(payload, "tr-1", {"CHAT_WEBHOOK_URL": WEBHOOK}))
    body = route.calls.last.request.content.decode("utf-8")
    assert json.loads(body) == {"text": f"[WorkerFlow:tr-1] {text}"}
    assert "\\u" not in body  # JSON.stringify leaves non-ASCII unescaped


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, "boom", "Chat webhook failed: 500 Internal Server Error boom"),
        (404, "", "Chat webhook failed: 404 Not Found "),
        (401, '{"error":"nope"}', 'Chat webhook failed: 401 Unauthorized {"error":"nope"}'),
        (302, "moved", "Chat webhook failed: 302 Found moved"),
        (199, "x", "Chat webhook failed: 199  x"),  # no reason phrase known: statusText is empty
    ],
)
def test_chat_notify_non_2xx(status: int, body: str, message: str) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(WEBHOOK).mock(return_value=httpx.Response(status, text=body))
        with pytest.raises(chat_notify.ChatNotifyError) as info:
            run(chat({}, "t", {"CHAT_WEBHOOK_URL": WEBHOOK}))
    assert str(info.value) == message


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_chat_notify_any_2xx_is_delivered(status: int) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(WEBHOOK).mock(return_value=httpx.Response(status))
        assert run(chat({}, "t", {"CHAT_WEBHOOK_URL": WEBHOOK}))["delivered"] is True


def test_chat_notify_network_error_message() -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(WEBHOOK).mock(side_effect=httpx.ConnectError("Network connection lost."))
        with pytest.raises(chat_notify.ChatNotifyError, match=r"^Network connection lost\.$"):
            run(chat({}, "t", {"CHAT_WEBHOOK_URL": WEBHOOK}))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "Invalid URL"),
        ("chat.example/incoming", "Invalid URL"),
        ("http://", "Invalid URL"),
        ("https://exa mple.com/x", "Invalid URL"),
        ("ftp://chat.example/x", "Fetch API cannot load: ftp://chat.example/x"),
    ],
)
def test_chat_notify_unusable_url(url: str, message: str) -> None:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        route = mock.route().mock(return_value=httpx.Response(200))
        with pytest.raises(chat_notify.ChatNotifyError) as info:
            run(chat({}, "t", {"CHAT_WEBHOOK_URL": url}))
    assert str(info.value) == message
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://chat.example/incoming", "chat.example"),
        ("https://chat.example:443/incoming", "chat.example"),
        ("https://chat.example:8443/incoming", "chat.example:8443"),
        ("http://chat.example:80/x", "chat.example"),
        ("http://chat.example:443/x", "chat.example:443"),
        ("https://user:pw@Chat.Example/x?q=1", "chat.example"),
        ("http://[::1]:8080/x", "[::1]:8080"),
        ("http://127.0.0.1/x", "127.0.0.1"),
    ],
)
def test_chat_notify_endpoint_host(url: str, host: str) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        mock.route().mock(return_value=httpx.Response(200))
        assert run(chat({}, "t", {"CHAT_WEBHOOK_URL": url}))["endpointHost"] == host


def test_chat_notify_without_outbound_client_uses_its_own() -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post(WEBHOOK).mock(return_value=httpx.Response(200))
        result = run(chat_notify.handle({}, "t", HandlerContext(env={"CHAT_WEBHOOK_URL": WEBHOOK})))
    assert result["delivered"] is True
    assert route.call_count == 1


# --------------------------------------------------------------------------------------------------------
# heartbeat_hourly (7.4)
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "target", "scheduled_time"),
    [
        ({"target": " f/x ", "scheduledTime": "whenever"}, " f/x ", "whenever"),  # strings taken untouched
        ({"target": "", "scheduledTime": ""}, "", ""),
        ({"target": 5, "scheduledTime": 1700000000000}, "f/examples/heartbeat_hourly", NOW_ISO),
        ({}, "f/examples/heartbeat_hourly", NOW_ISO),
        ([{"target": "x"}], "f/examples/heartbeat_hourly", NOW_ISO),
        (None, "f/examples/heartbeat_hourly", NOW_ISO),
        (UNDEFINED, "f/examples/heartbeat_hourly", NOW_ISO),
        ("target", "f/examples/heartbeat_hourly", NOW_ISO),
    ],
)
def test_heartbeat_hourly(payload: Any, target: str, scheduled_time: str) -> None:
    assert heartbeat_hourly.handle(payload, "t", ctx(None, schedule_id="heartbeat_hourly")) == {
        "ok": True,
        "schedule": "heartbeat_hourly",
        "target": target,
        "scheduledTime": scheduled_time,
        "processedAt": NOW_ISO,
    }


def test_heartbeat_processed_at_follows_the_clock() -> None:
    clock = VirtualClock(start=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    result = heartbeat_hourly.handle({}, "t", HandlerContext(env={}, clock=clock))
    assert result["processedAt"] == "2030-01-02T03:04:05.000Z"


# --------------------------------------------------------------------------------------------------------
# cleanup_daily (7.5)
# --------------------------------------------------------------------------------------------------------

SECRET_ENV = {"CLEANUP_SIGNING_SECRET": "s3cret"}


def test_cleanup_daily_missing_env() -> None:
    with pytest.raises(cleanup_daily.CleanupDailyError, match=r"^Cron execution context missing env$"):
        cleanup_daily.handle({}, "t", ctx(None))


@pytest.mark.parametrize("secret", [None, "", "   ", 5, ["x"], True])
def test_cleanup_daily_requires_a_string_secret(secret: object) -> None:
    env = {} if secret is None else {"CLEANUP_SIGNING_SECRET": secret}
    with pytest.raises(cleanup_daily.CleanupDailyError, match=r"^CLEANUP_SIGNING_SECRET is required$"):
        cleanup_daily.handle({}, "t", ctx(env))


@pytest.mark.parametrize(
    ("dry_run", "expected"),
    [(True, True), (False, False), ("true", False), (1, False), (None, False), (UNDEFINED, False)],
)
def test_cleanup_daily_dry_run_is_strictly_true(dry_run: Any, expected: bool) -> None:
    payload = {} if dry_run is UNDEFINED else {"dryRun": dry_run}
    assert cleanup_daily.handle(payload, "t", ctx(SECRET_ENV))["dryRun"] is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7", 7),
        (True, 1),
        ([5], 5),
        (0.5, 0),
        (14, 14),
        (14.9, 14),
        (" 3 ", 3),
        ("0x10", 16),
        (1e-9, 0),
        (None, 30),
        ("", 30),
        (False, 30),
        (0, 30),
        (-3, 30),
        (-0.5, 30),
        (math.nan, 30),
        (math.inf, 30),
        ("abc", 30),
        ([1, 2], 30),
        ({"n": 1}, 30),
        (UNDEFINED, 30),
    ],
)
def test_cleanup_daily_retention_days(raw: Any, expected: int) -> None:
    payload = {} if raw is UNDEFINED else {"retentionDays": raw}
    result = cleanup_daily.handle(payload, "t", ctx(SECRET_ENV))
    assert result == {"ok": True, "schedule": "cleanup_daily", "dryRun": False, "retentionDays": expected}
    assert type(result["retentionDays"]) is int


@pytest.mark.parametrize("payload", [None, UNDEFINED, [{"retentionDays": 5}], "x"])
def test_cleanup_daily_non_object_payload(payload: Any) -> None:
    result = cleanup_daily.handle(payload, "t", ctx(SECRET_ENV))
    assert (result["dryRun"], result["retentionDays"]) == (False, 30)


# --------------------------------------------------------------------------------------------------------
# Every built-in completes (the smoke script of spec 12.7), through call_handler
# --------------------------------------------------------------------------------------------------------

SMOKE_ENV = {
    "ENV_NAME": "smoke",
    "GOOGLEAI_API_KEY": "smoke-google-ai",
    "CHAT_WEBHOOK_URL": WEBHOOK,
    "CLEANUP_SIGNING_SECRET": "smoke-cleanup-secret",
}


def test_builtin_tables_hold_the_five_handlers() -> None:
    assert set(BUILTIN_HTTP_HANDLERS) == {"webhook_echo", "chat_notify", "lead_normalizer"}
    assert set(BUILTIN_CRON_HANDLERS) == {"heartbeat_hourly", "cleanup_daily"}


def test_cleanup_and_heartbeat_through_call_handler() -> None:
    async def go() -> list[Any]:
        out = []
        for schedule_id, handler in BUILTIN_CRON_HANDLERS.items():
            out.append(await call_handler(handler, {}, "t", ctx(SMOKE_ENV, schedule_id=schedule_id)))
        return out

    assert [r["schedule"] for r in run(go())] == ["heartbeat_hourly", "cleanup_daily"]
