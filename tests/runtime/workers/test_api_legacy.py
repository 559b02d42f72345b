"""Api worker: the disabled legacy endpoint ``/api/r/…``, its chat alert and the malformed-escape deviation."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
import respx

from tests.runtime.workers.test_api_harness import START_ISO, ApiHarness, assert_cors, assert_json
from workerflow_kit.runtime.bindings.secrets import SecretsStoreSecret
from workerflow_kit.runtime.http import Headers, Request
from workerflow_kit.runtime.workers.api_legacy import alert_body_text, truncate_for_alert

pytestmark = pytest.mark.anyio

HOOK = "https://chat.example/v1/spaces/alerts"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def legacy(trace: str, route: str | None) -> dict[str, Any]:
    return {"error": "legacy endpoint is disabled", "traceId": trace, "routePath": route}


def alert_text(call: respx.models.Call) -> str:
    assert call.request.method == "POST"
    assert call.request.headers["content-type"] == "application/json"
    body = json.loads(call.request.content)
    assert list(body) == ["text"]
    text: str = body["text"]
    return text


async def test_upstream_legacy_fixture_with_secrets_store_webhook() -> None:
    """Spec 12.5 item 5."""
    async with ApiHarness({"GCHAT_ALERTS_WEBHOOK": SecretsStoreSecret(HOOK)}) as h:
        with respx.mock() as mock:
            route = mock.post(HOOK).mock(return_value=httpx.Response(200))
            response = await h.post(
                "/api/r/example/legacy_flow", headers={"x-trace-id": "fixture-legacy-trace"}, json_body={"a": 1}
            )
        assert_json(response, 404, legacy("fixture-legacy-trace", "legacy_flow"))
        assert_cors(response)
        assert route.call_count == 1
        text = alert_text(route.calls[0])
        assert "LEGACY ENDPOINT HIT" in text
        assert "route=legacy_flow" in text


async def test_alert_message_line_by_line() -> None:
    async with ApiHarness({"LEGACY_ALERT_WEBHOOK_URL": f"  {HOOK}\n"}) as h:
        with respx.mock() as mock:
            route = mock.post(HOOK).mock(return_value=httpx.Response(204))
            response = await h.client.request(
                "PUT",
                "http://API.test:80/api/r/v1/flows%2Fone/two?x=1&y=a%20b",
                headers={
                    "x-trace-id": "t-1",
                    "content-type": "application/json; charset=utf-8",
                    "user-agent": "fixture-agent/1.0",
                },
                content='{"b": 1, "a": [1, {"c": null}], "e": {}}',
            )
        assert_json(response, 404, legacy("t-1", "flows/one/two"))
        assert alert_text(route.calls[0]).split("\n") == [
            "LEGACY ENDPOINT HIT",
            "trace=t-1",
            f"time={START_ISO}",
            "method=PUT",
            "route=flows/one/two",
            "url=http://api.test/api/r/v1/flows%2Fone/two?x=1&y=a%20b",
            "path=/api/r/v1/flows%2Fone/two",
            "query=?x=1&y=a%20b",
            "host=api.test",
            "content-type=application/json; charset=utf-8",
            "user-agent=fixture-agent/1.0",
            "payload:",
            "{",
            '  "b": 1,',
            '  "a": [',
            "    1,",
            "    {",
            '      "c": null',
            "    }",
            "  ],",
            '  "e": {}',
            "}",
        ]


async def test_alert_fallbacks_for_missing_parts() -> None:
    async with ApiHarness({"GCHAT_ALERTS_WEBHOOK_URL": HOOK}) as h:
        with respx.mock() as mock:
            route = mock.post(HOOK).mock(return_value=httpx.Response(200))
            # Called directly: no user-agent or content-type header at all, a port kept in host.
            request = Request("DELETE", "http://api.test:8787/api/r/", Headers({"x-trace-id": "t-2"}), b"")
            response = await h.worker.fetch(request, h.env)
            assert response.status == 404
            assert json.loads(response.body) == legacy("t-2", None)
            empty = await h.post("/api/r/x", headers={"user-agent": "", "content-type": "", "x-trace-id": "t-3"})
            assert_json(empty, 404, legacy("t-3", None))
        first = alert_text(route.calls[0]).split("\n")
        assert first[4:] == [
            "route=(missing route path)",
            "url=http://api.test:8787/api/r/",
            "path=/api/r/",
            "query=(none)",
            "host=api.test:8787",
            "content-type=(none)",
            "user-agent=(none)",
            "payload:",
            "(empty request body)",
        ]
        second = alert_text(route.calls[1]).split("\n")
        assert second[9:11] == ["content-type=(none)", "user-agent=(none)"]


@pytest.mark.parametrize(
    ("method", "headers", "content", "payload"),
    [
        ("GET", {}, None, "(no request body)"),
        ("POST", {}, b"", "(empty request body)"),
        ("POST", {"content-type": "text/plain"}, b'{"a":1}', '{"a":1}'),
        ("POST", {"content-type": "application/json"}, b"{broken", "{broken"),
        ("POST", {"content-type": "APPLICATION/JSON"}, b'{"a":1}', '{"a":1}'),
        ("POST", {"content-type": "application/json"}, b'"\xc3\xa9"', '"\u00e9"'),
        ("PATCH", {}, b"\xef\xbb\xbfline1\nline2", "line1\nline2"),
    ],
)
async def test_alert_payload_text(method: str, headers: dict[str, str], content: bytes | None, payload: str) -> None:
    async with ApiHarness({"LEGACY_ALERT_WEBHOOK_URL": HOOK}) as h:
        with respx.mock() as mock:
            route = mock.post(HOOK).mock(return_value=httpx.Response(200))
            response = await h.request(method, "/api/r/x/flow", headers=headers, content=content)
        assert response.status_code == 404
        text = alert_text(route.calls[0])
        assert text.split("\npayload:\n", 1)[1] == payload


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("x" * 4000, "x" * 4000),
        ("x" * 4001, "x" * 4000 + "\n...[truncated 1 chars]"),
        ("y" * 9000, "y" * 4000 + "\n...[truncated 5000 chars]"),
        # Lengths are UTF-16 units: 2001 emoji are 4002 units.
        ("\U0001f600" * 2001, "\U0001f600" * 2000 + "\n...[truncated 2 chars]"),
        # A cut through a surrogate pair keeps the lone high half, as JavaScript's slice does.
        ("a" + "\U0001f600" * 2000, "a" + "\U0001f600" * 1999 + "\ud83d\n...[truncated 1 chars]"),
    ],
)
async def test_alert_truncation(body: str, expected: str) -> None:
    async with ApiHarness({"LEGACY_ALERT_WEBHOOK_URL": HOOK}) as h:
        with respx.mock() as mock:
            route = mock.post(HOOK).mock(return_value=httpx.Response(200))
            await h.post("/api/r/x/flow", content=body.encode("utf-8"))
        assert alert_text(route.calls[0]).split("\npayload:\n", 1)[1] == expected
        if "\ud83d\n" in expected:
            assert b"\\ud83d\\n...[truncated" in route.calls[0].request.content


async def test_pretty_json_is_truncated_after_re_serialization() -> None:
    value = {"k": "v" * 3990}
    pretty = '{\n  "k": "' + "v" * 3990 + '"\n}'
    assert alert_body_text("POST", Headers({"content-type": "application/json"}), json.dumps(value).encode()) == (
        pretty[:4000] + f"\n...[truncated {len(pretty) - 4000} chars]"
    )
    assert alert_body_text("HEAD", Headers(), b"ignored") == "(no request body)"
    assert truncate_for_alert("abc", limit=2) == "ab\n...[truncated 1 chars]"


async def test_webhook_precedence_and_rejected_secret() -> None:
    env = {
        "LEGACY_ALERT_WEBHOOK_URL": "  ",
        "GCHAT_ALERTS_WEBHOOK": SecretsStoreSecret(error=RuntimeError("store offline")),
        "GCHAT_ALERTS_WEBHOOK_URL": SecretsStoreSecret(f" {HOOK} "),
    }
    async with ApiHarness(env) as h:
        with respx.mock() as mock:
            route = mock.post(HOOK).mock(return_value=httpx.Response(200))
            assert (await h.post("/api/r/x/flow")).status_code == 404
        assert route.call_count == 1
    env = {"LEGACY_ALERT_WEBHOOK_URL": "https://first.example/", "GCHAT_ALERTS_WEBHOOK": HOOK}
    async with ApiHarness(env) as h:
        with respx.mock(assert_all_called=False) as mock:
            first = mock.post("https://first.example/").mock(return_value=httpx.Response(200))
            second = mock.post(HOOK).mock(return_value=httpx.Response(200))
            assert (await h.post("/api/r/x/flow")).status_code == 404
        assert (first.call_count, second.call_count) == (1, 0)


async def test_no_webhook_means_no_post() -> None:
    env = {"GCHAT_ALERTS_WEBHOOK": SecretsStoreSecret(), "GCHAT_ALERTS_WEBHOOK_URL": ""}
    async with ApiHarness(env) as h:
        with respx.mock() as mock:
            response = await h.post("/api/r/x/flow", headers={"x-trace-id": "quiet"})
            assert mock.calls.call_count == 0
        assert_json(response, 404, legacy("quiet", "flow"))


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("connection refused"), httpx.ReadTimeout("slow"), httpx.Response(500, text="down")],
)
async def test_webhook_failure_still_answers_404(failure: Any, caplog: pytest.LogCaptureFixture) -> None:
    async with ApiHarness({"LEGACY_ALERT_WEBHOOK_URL": HOOK}) as h:
        with respx.mock() as mock:
            if isinstance(failure, httpx.Response):
                mock.post(HOOK).mock(return_value=failure)
            else:
                mock.post(HOOK).mock(side_effect=failure)
            with caplog.at_level(logging.ERROR):
                response = await h.post("/api/r/x/flow", headers={"x-trace-id": "t-f", "origin": "https://o"})
        assert_json(response, 404, legacy("t-f", "flow"))
        assert_cors(response, "https://o")
        logged = "failed to send legacy endpoint alert" in caplog.text
        assert logged is not isinstance(failure, httpx.Response)


async def test_unusable_webhook_url_is_swallowed() -> None:
    async with ApiHarness({"LEGACY_ALERT_WEBHOOK_URL": "not a url"}) as h:
        assert_json(await h.post("/api/r/x/flow", headers={"x-trace-id": "u"}), 404, legacy("u", "flow"))


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/r/x/flow", "flow"),
        ("/api/r/x/a%2Fb/c%20d", "a/b/c d"),
        ("/api//r//x//deep//er/", "deep/er"),
        ("/api/r/%ZZ/ok", "ok"),  # segment X is ignored, never decoded
        ("/api/r/%ZZ", None),  # three segments: no legacy route, but the /api/r/ prefix
        ("/api/r/", None),
        ("/api/r/x/%C3%A9%F0%9F%98%80", "\u00e9\U0001f600"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_legacy_route_extraction(path: str, route: str | None, method: str) -> None:
    async with ApiHarness({"API_INGRESS_TOKEN": "needed-but-never-checked"}) as h:
        response = await h.request(method, path, headers={"x-trace-id": "lr"})
        assert_json(response, 404, legacy("lr", route))
        assert_cors(response)
        assert h.trace_keys() == []


async def test_legacy_trace_id_is_neither_checked_nor_stored() -> None:
    async with ApiHarness() as h:
        assert (await h.post("/api/webhook_echo", headers={"x-trace-id": "shared"})).status_code == 202
        assert_json(await h.post("/api/r/x/flow", headers={"x-trace-id": "shared"}), 404, legacy("shared", "flow"))
        fresh = (await h.post("/api/r/x/flow")).json()["traceId"]
        assert len(fresh) == 36
        assert h.trace_keys() == [{"trace_id": "shared", "created_at": START_ISO}]


# ------------------------------------------------------------------------------------- deviation


@pytest.mark.parametrize("escape", ["%ZZ", "%E0%A4%A", "%C0%AF", "%ED%A0%80", "%FF", "abc%", "%4", "%F4%90%80%80"])
@pytest.mark.parametrize("method", ["OPTIONS", "GET", "POST"])
async def test_malformed_escape_in_legacy_route_is_400(escape: str, method: str) -> None:
    """Deviation api.url.malformed-escape: upstream crashes (500 without CORS), even on preflight."""
    async with ApiHarness({"LEGACY_ALERT_WEBHOOK_URL": HOOK}) as h:
        with respx.mock() as mock:
            response = await h.request(method, f"/api/r/x/ok/{escape}", headers={"origin": "https://o"})
            assert mock.calls.call_count == 0
        assert_json(response, 400, {"error": "malformed URL escape", "message": "URI malformed"})
        assert_cors(response, "https://o")
