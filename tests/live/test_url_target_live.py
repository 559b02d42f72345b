"""The URL target is live-safe by default: policy on every client, tokens registered, run id settable."""

from __future__ import annotations

import httpx
import pytest
import respx

from workerflow_kit.live import LivePolicy, RouteNotAllowed
from workerflow_kit.live.redact import REGISTRY
from workerflow_kit.targets import TargetError, UrlTarget

API = "http://127.0.0.1:8787"


def test_defaults_allow_no_route_and_set_budget_rate_and_timeout_on_every_client() -> None:
    with UrlTarget(api_url=API, ops_url="http://127.0.0.1:8789", environ={}) as target:
        assert target.policy == LivePolicy()
        assert target.policy.routes == ()
        assert (target.policy.rps, target.policy.request_budget, target.policy.timeout) == (10.0, 500, 30.0)
        assert target.api.timeout == httpx.Timeout(30.0)
        assert target.api._transport.session is target.ops._transport.session  # type: ignore[attr-defined]


def test_keywords_and_the_routes_variable_set_the_policy() -> None:
    environ = {"WORKERFLOW_API_URL": API, "WORKERFLOW_ROUTES": "webhook_echo, schedule:*"}
    with UrlTarget(environ=environ, rps=2.5, request_budget=40, timeout=5) as target:
        assert target.policy.routes == ("webhook_echo", "schedule:*")
        assert target.api.timeout == httpx.Timeout(5.0)
        assert target.describe() | {"workers": None} == {
            "target": "url",
            "capabilities": [],
            "workers": None,
            "run_id": target.run_id,
            "trace_prefix": f"wfkit-{target.run_id}-",
            "routes": ["webhook_echo", "schedule:*"],
            "rps": 2.5,
            "request_budget": 40,
            "timeout": 5.0,
        }
    with UrlTarget(environ=environ, routes=["chat_notify"]) as target:
        assert target.policy.routes == ("chat_notify",)  # the keyword beats the variable


def test_tokens_are_registered_for_redaction_and_never_described() -> None:
    with UrlTarget(
        api_url=API, api_token="url-target-api-token", environ={"WORKERFLOW_OPS_TOKEN": "env-ops-token"}
    ) as t:
        assert "url-target-api-token" in REGISTRY
        assert "env-ops-token" in REGISTRY
        assert "token" not in repr(t.describe())


def test_the_run_id_can_be_given() -> None:
    with UrlTarget(api_url=API, run_id="1a2b3c4d", environ={}) as target:
        assert target.trace_prefix == "wfkit-1a2b3c4d-"
        assert target.new_trace_id("echo").startswith("wfkit-1a2b3c4d-echo-")
    with pytest.raises(TargetError, match="run id must be 1-32 letters or digits"):
        UrlTarget(api_url=API, run_id="a b", environ={})


@respx.mock
def test_a_route_not_allowed_never_reaches_the_deployment() -> None:
    chat = respx.post(f"{API}/api/chat_notify").respond(202)
    echo = respx.post(f"{API}/api/webhook_echo").respond(202)
    with UrlTarget(api_url=API, routes=["webhook_echo"], rps=None, environ={}) as target:
        assert target.api.post("/api/webhook_echo", json={}).status_code == 202
        with pytest.raises(RouteNotAllowed, match="--routes chat_notify"):
            target.api.post("/api/chat_notify", json={"text": "hi"})
    assert echo.call_count == 1
    assert not chat.called
