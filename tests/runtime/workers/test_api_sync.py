"""Api worker: sync routes through ``/run-sync`` (spec 4.6.2), passthrough responses (2.4) and their deviations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.runtime.workers.test_api_harness import START_ISO, ApiHarness, assert_cors, assert_json

pytestmark = pytest.mark.anyio

ORIGIN = "https://app.example"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def passthrough(status: Any, body: str, **extra: Any) -> dict[str, Any]:
    return {"responseType": "http_passthrough", "status": status, "body": body, **extra}


async def test_sync_ok_wraps_the_result_and_posts_the_task() -> None:
    async with ApiHarness() as h:
        h.workflow.answer_json({"fullName": "Ava Ng", "n": [1.5, None]})
        response = await h.post(
            "/api/lead_normalizer", headers={"x-trace-id": "s-1", "origin": ORIGIN}, json_body={"firstName": "Ava"}
        )
        assert_json(response, 200, {"traceId": "s-1", "result": {"fullName": "Ava Ng", "n": [1.5, None]}})
        assert_cors(response, ORIGIN)
        [call] = h.workflow.calls
        assert call["method"] == "POST"
        assert call["path"] == "/run-sync"
        assert call["content-type"] == "application/json"
        assert call["raw"] == (
            b'{"kind":"http_route","traceId":"s-1","routePath":"lead_normalizer",'
            b'"payload":{"body":{"firstName":"Ava"}},"enqueuedAt":"' + START_ISO.encode() + b'"}'
        )
        assert h.queued() == []
        assert h.trace_keys() == [{"trace_id": "s-1", "created_at": START_ISO}]


@pytest.mark.parametrize("result", [None, 0, "text", [], {"responseType": "http_passthrough", "status": 200}])
async def test_sync_non_passthrough_json_is_wrapped(result: Any) -> None:
    async with ApiHarness() as h:
        h.workflow.answer_json(result, status=201)
        assert_json(
            await h.post("/api/lead_normalizer", headers={"x-trace-id": "w"}), 200, {"traceId": "w", "result": result}
        )


@pytest.mark.parametrize(
    ("status", "text"), [(500, '{"error":"handler_error","message":"boom","details":null}'), (404, "no"), (302, "")]
)
async def test_sync_non_2xx_is_500_with_raw_details(status: int, text: str) -> None:
    async with ApiHarness() as h:
        h.workflow.answer(status, text, content_type="text/plain")
        response = await h.post("/api/lead_normalizer", headers={"x-trace-id": "f-1", "origin": ORIGIN})
        assert_json(response, 500, {"traceId": "f-1", "error": "sync execution failed", "details": text})
        assert_cors(response, ORIGIN)


async def test_failed_sync_consumes_the_trace_id() -> None:
    """Spec 13 Q4: the key is written before the workflow call, so a retry gets the duplicate answer."""
    async with ApiHarness() as h:
        h.workflow.answer(500, "boom")
        assert (await h.post("/api/lead_normalizer", headers={"x-trace-id": "once"})).status_code == 500
        h.workflow.answer_json({"ok": True})
        again = await h.post("/api/lead_normalizer", headers={"x-trace-id": "once"})
        assert_json(again, 202, {"accepted": True, "duplicate": True, "traceId": "once"})
        assert len(h.workflow.calls) == 1


async def test_passthrough_status_headers_body_with_cors_override() -> None:
    async with ApiHarness() as h:
        h.workflow.answer_json(
            passthrough(
                201.0,
                "<p>made</p>",
                headers={
                    "Content-Type": "text/html",
                    "X-Count": 3,
                    "Access-Control-Allow-Origin": "https://evil.example",
                    "Vary": "accept",
                    "x-padded": "  v  ",
                },
            )
        )
        response = await h.post("/api/lead_normalizer", headers={"origin": ORIGIN})
        assert response.status_code == 201
        assert response.text == "<p>made</p>"
        assert response.headers["content-type"] == "text/html"
        assert response.headers["x-count"] == "3"
        assert response.headers["x-padded"] == "v"
        assert_cors(response, ORIGIN)


async def test_passthrough_header_pairs_and_default_content_type() -> None:
    async with ApiHarness() as h:
        h.workflow.answer_json(passthrough(299, "plain \u00e9", headers=[["set-cookie", "a=1"], ["set-cookie", "b=2"]]))
        response = await h.post("/api/lead_normalizer")
        assert response.status_code == 299
        assert response.content == "plain \u00e9".encode()
        assert response.headers["content-type"] == "text/plain;charset=UTF-8"
        assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
        assert_cors(response)


@pytest.mark.parametrize("status", [204, 205, 304])
async def test_passthrough_null_body_status_with_empty_body(status: int) -> None:
    async with ApiHarness() as h:
        h.workflow.answer_json(passthrough(status, "", headers={}))
        response = await h.post("/api/lead_normalizer")
        assert response.status_code == status
        assert response.content == b""
        assert_cors(response)


# ------------------------------------------------------------------------------------------ deviations


@pytest.mark.parametrize("body", ["not json", "", "{'a':1}"])
async def test_sync_2xx_non_json_is_500(body: str) -> None:
    """Deviation api.sync.non-json: upstream crashes; the trace id stays consumed."""
    async with ApiHarness() as h:
        h.workflow.answer(200, body, content_type="text/plain")
        response = await h.post("/api/lead_normalizer", headers={"x-trace-id": "nj", "origin": ORIGIN})
        assert_json(response, 500, {"traceId": "nj", "error": "sync execution failed", "details": body})
        assert_cors(response, ORIGIN)
        assert h.trace_keys()[0]["trace_id"] == "nj"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (passthrough(199, "x"), "status 199 is outside 200-599"),
        (passthrough(600, "x"), "status 600 is outside 200-599"),
        (passthrough(204, "x"), "a response with status 204 cannot have a body"),
        (passthrough(304, " "), "a response with status 304 cannot have a body"),
        (passthrough(200, "x", headers=[["a", "1", "2"]]), "headers[0] is not a [name, value] pair"),
        (passthrough(200, "x", headers=["ab"]), "headers[0] is not a [name, value] pair"),
        (passthrough(200, "x", headers=[{"a": "b"}]), "headers[0] is not a [name, value] pair"),
        (passthrough(200, "x", headers={"bad name": "v"}), "invalid header name 'bad name'"),
        (passthrough(200, "x", headers={"": "v"}), "invalid header name ''"),
        (passthrough(200, "x", headers={"x-a": "line\nbreak"}), "invalid value for header 'x-a'"),
        (
            passthrough(200, "x", headers={"x-a": "\u20ac"}),
            "header value '\u20ac' is not a ByteString (characters above U+00FF)",
        ),
    ],
)
async def test_invalid_passthrough_is_500(value: dict[str, Any], reason: str) -> None:
    """Deviation api.sync.invalid-passthrough: the Response constructor throws upstream."""
    async with ApiHarness() as h:
        h.workflow.answer(200, json.dumps(value))
        response = await h.post("/api/lead_normalizer", headers={"x-trace-id": "ip", "origin": ORIGIN})
        assert_json(response, 500, {"traceId": "ip", "error": "invalid passthrough response", "message": reason})
        assert_cors(response, ORIGIN)
