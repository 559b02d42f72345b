"""The URL target: configuration from WORKERFLOW_* variables or keywords, capabilities, token hygiene."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from workerflow_kit.targets import Capability, MissingCapability, TargetError, UrlTarget
from workerflow_kit.targets.base import strip_header_padding

ENV = {
    "WORKERFLOW_API_URL": "http://127.0.0.1:8787/",
    "WORKERFLOW_OPS_URL": "http://127.0.0.1:8789",
    "WORKERFLOW_WORKFLOW_URL": "http://127.0.0.1:8788",
    "WORKERFLOW_SCHEDULER_URL": "http://127.0.0.1:8790",
    "WORKERFLOW_API_TOKEN": "api-s3cret",
    "WORKERFLOW_OPS_TOKEN": "ops-s3cret",
}


def test_reads_every_variable() -> None:
    with UrlTarget.from_env(ENV) as target:
        assert target.urls == {
            "api": "http://127.0.0.1:8787",
            "ops": "http://127.0.0.1:8789",
            "workflow": "http://127.0.0.1:8788",
            "scheduler": "http://127.0.0.1:8790",
        }
        assert str(target.api.base_url) == "http://127.0.0.1:8787"
        assert target.api.headers["authorization"] == "Bearer api-s3cret"
        assert target.ops.headers["authorization"] == "Bearer ops-s3cret"
        assert "authorization" not in target.workflow.headers
        assert target.capabilities == frozenset({Capability.TRIGGER_CRON})


def test_keywords_beat_variables() -> None:
    with UrlTarget(api_url="https://api.example", api_token="flag-token", allow_writes=True, environ=ENV) as target:
        assert str(target.api.base_url) == "https://api.example"
        assert target.api.headers["authorization"] == "Bearer flag-token"
        assert target.urls["ops"] == "http://127.0.0.1:8789"  # not overridden: from the variable
        assert Capability.WRITES_ALLOWED in target.capabilities


@pytest.mark.parametrize(("text", "allowed"), [("1", True), ("yes", True), ("TRUE", True), ("0", False), ("", False)])
def test_writes_allowed_from_the_environment(text: str, allowed: bool) -> None:
    environ = {"WORKERFLOW_API_URL": "http://127.0.0.1:8787", "WORKERFLOW_ALLOW_WRITES": text}
    with UrlTarget.from_env(environ) as target:
        assert target.has(Capability.WRITES_ALLOWED) is allowed


def test_read_only_and_nothing_else_by_default() -> None:
    with UrlTarget(api_url="http://127.0.0.1:8787", environ={}) as target:
        assert target.capabilities == frozenset()
        for call, capability in (
            (target.drain, "drain_queue"),
            (lambda: target.query("SELECT 1"), "inspect_db"),
            (lambda: target.set_env("api", "A", "1"), "set_env"),
            (lambda: target.advance(1), "clock"),
            (lambda: target.trigger_cron("0 * * * *"), "trigger_cron"),
        ):
            with pytest.raises(MissingCapability, match=f"requires capability '{capability}' which target 'url' lacks"):
                call()
        with pytest.raises(TargetError, match=r"no ops worker configured \(set --wf-ops-url or WORKERFLOW_OPS_URL\)"):
            _ = target.ops


def test_trigger_cron_uses_the_scheduled_door() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, text="Ran scheduled event")

    with UrlTarget(api_url="http://127.0.0.1:8787", scheduler_url="http://127.0.0.1:8790", environ={}) as target:
        target._clients["scheduler"] = httpx.Client(
            base_url="http://127.0.0.1:8790", transport=httpx.MockTransport(handler)
        )
        assert target.trigger_cron("0 3 * * *").text == "Ran scheduled event"
    assert seen[0].path == "/__scheduled"
    assert seen[0].params["cron"] == "0 3 * * *"


def test_problems_are_named() -> None:
    with pytest.raises(TargetError, match="--wf-api-url or WORKERFLOW_API_URL"):
        UrlTarget(environ={})
    with pytest.raises(TargetError, match="--wf-api-url or WORKERFLOW_API_URL"):
        UrlTarget(environ={"WORKERFLOW_API_URL": "   "})
    with pytest.raises(TargetError, match="must be an http"):
        UrlTarget(api_url="127.0.0.1:8787", environ={})
    with pytest.raises(TargetError, match="WORKERFLOW_ALLOW_WRITES must be one of"):
        UrlTarget.from_env({"WORKERFLOW_API_URL": "http://x", "WORKERFLOW_ALLOW_WRITES": "maybe"})
    with pytest.raises(TargetError, match="timeout must be positive"):
        UrlTarget(api_url="http://x", timeout=0, environ={})


def test_tokens_never_shown() -> None:
    with UrlTarget.from_env(ENV) as target:
        shown = repr(target) + json.dumps(target.describe())
    assert "s3cret" not in shown
    assert "http://127.0.0.1:8787" in shown


def test_padded_header_values_are_sent_trimmed() -> None:
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(202, json={"accepted": True})

    mock = httpx.MockTransport(handler)
    with UrlTarget(api_url="http://127.0.0.1:8787", allow_writes=True, transport=mock, environ={}) as target:
        target.api.get("/api/health", headers={"x-trace-id": "  wfkit-t-1\t", "origin": "https://a.example"})
    assert seen[0]["x-trace-id"] == "wfkit-t-1"
    assert seen[0]["origin"] == "https://a.example"


def test_a_padded_trace_id_reaches_a_real_server() -> None:
    """h11 refuses to send a padded header value at all; over a socket the target sends it trimmed."""
    received: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append(self.headers.get("x-trace-id"))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with UrlTarget(api_url=url, environ={}) as target:
            response = target.api.get("/api/health", headers={"x-trace-id": " \tpadded-trace  "})
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 200
    assert received == ["padded-trace"]


def test_repeated_headers_keep_every_value_when_trimmed() -> None:
    headers = [("x-a", " one "), ("x-a", "two\t"), ("x-b", "plain"), ("x-c", " caf\u00e9 ")]
    request = httpx.Request("GET", "http://x/", headers=httpx.Headers(headers, encoding="latin-1"))
    strip_header_padding(request)
    assert request.headers.multi_items() == [
        ("host", "x"),
        ("x-a", "one"),
        ("x-a", "two"),
        ("x-b", "plain"),
        ("x-c", "caf\u00e9"),
    ]
    assert request.headers.raw[-1] == (b"x-c", "caf\u00e9".encode("latin-1"))
