"""Api worker: spec 12.8 invariants #1, #3, #4 and #5 as Hypothesis properties, driven through ASGI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.runtime.workers.test_api_harness import CORS_HEADERS, ApiHarness
from workerflow_kit.contracts.models import builtin_routes

ROUTE_NAMES = [route.routePath for route in builtin_routes()]
WORDS = ["api", "r", "health", "dev", "cron", "x", "", "%ZZ", "%41", "..", ".", *ROUTE_NAMES]
SEGMENT_CHARS = st.characters(codec="ascii", categories=["L", "N"], include_characters="-_.~%!$&'()*+,;=:@")

segment = st.one_of(st.sampled_from(WORDS), st.text(SEGMENT_CHARS, min_size=1, max_size=8))
paths = st.lists(segment, max_size=5).map(lambda parts: "/" + "/".join(parts)) | st.sampled_from(
    ["/api/health", "/api/r/x/y", "/api/dev/cron/heartbeat_hourly", "/api/webhook_echo"]
)
origins = st.none() | st.text(st.characters(codec="ascii", min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(st.characters(codec="utf-8"), max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
route_sets = st.none() | st.lists(st.sampled_from(ROUTE_NAMES), max_size=3).map(", ".join)


class Shared:
    """One event loop and one harness for all examples of a module; each example resets the harness."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.harness = self.runner.run(self._open())

    @staticmethod
    async def _open() -> ApiHarness:
        return ApiHarness()

    def run(self, env: dict[str, object], scenario: Callable[[ApiHarness], Awaitable[None]]) -> None:
        self.harness.reset(env)
        self.runner.run(scenario(self.harness))

    def close(self) -> None:
        self.runner.run(self.harness.__aexit__(None, None, None))
        self.runner.close()


@pytest.fixture(scope="module")
def shared() -> Iterator[Shared]:
    runtime = Shared()
    yield runtime
    runtime.close()


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    path=paths,
    origin=origins,
    token=st.sampled_from([None, "tok"]),
    send_token=st.booleans(),
    body=st.binary(max_size=20),
    json_type=st.booleans(),
)
def test_every_response_carries_cors(
    shared: Shared,
    *,
    method: str,
    path: str,
    origin: str | None,
    token: str | None,
    send_token: bool,
    body: bytes,
    json_type: bool,
) -> None:
    """12.8 #1: every answer (the reference has no unhandled failures) carries the five CORS headers."""
    headers: dict[str, str] = {}
    if origin is not None:
        headers["origin"] = origin
    if send_token:
        headers["x-api-token"] = "tok"
    if json_type:
        headers["content-type"] = "application/json"
    env: dict[str, object] = {} if token is None else {"API_INGRESS_TOKEN": token}

    async def scenario(h: ApiHarness) -> None:
        response = await h.request(method, path, headers=headers, content=body)
        sent = response.request.headers.get("origin")
        expected = sent if sent is not None and sent.strip() else "*"
        assert response.headers.get_list("access-control-allow-origin") == [expected]
        for name, value in CORS_HEADERS.items():
            assert response.headers.get_list(name) == [value]
        if response.status_code != 204:
            assert response.headers["content-type"].startswith("application/json")
            json.loads(response.text)

    shared.run(env, scenario)


@given(route=st.sampled_from(ROUTE_NAMES), body=json_values)
def test_without_trace_id_requests_are_never_duplicates(shared: Shared, route: str, body: Any) -> None:
    """12.8 #3."""

    async def scenario(h: ApiHarness) -> None:
        first = await h.post(f"/api/{route}", json_body=body)
        second = await h.post(f"/api/{route}", json_body=body)
        assert first.status_code == second.status_code
        assert first.status_code in (200, 202)
        assert "duplicate" not in first.json()
        assert "duplicate" not in second.json()
        assert first.json()["traceId"] != second.json()["traceId"]

    shared.run({}, scenario)


@given(
    name=st.sampled_from(ROUTE_NAMES) | st.text(SEGMENT_CHARS, min_size=1, max_size=12),
    enabled=route_sets,
    disabled=route_sets,
)
def test_single_segment_served_iff_registered_and_enabled(
    shared: Shared, name: str, enabled: str | None, disabled: str | None
) -> None:
    """12.8 #4 (dot segments, which URL parsing resolves, and the health path are excluded)."""
    if name in (".", "..", "health") or name.lower() in ("%2e", ".%2e", "%2e.", "%2e%2e"):
        return
    env: dict[str, object] = {}
    if enabled is not None:
        env["ENABLED_HTTP_ROUTES"] = enabled
    if disabled is not None:
        env["DISABLED_HTTP_ROUTES"] = disabled
    enabled_set = {e.strip() for e in (enabled or "").split(",") if e.strip()}
    disabled_set = {e.strip() for e in (disabled or "").split(",") if e.strip()}
    served = (
        name in ROUTE_NAMES
        and (not enabled_set or name in enabled_set)
        and (not disabled_set or name not in disabled_set)
    )

    async def scenario(h: ApiHarness) -> None:
        response = await h.post(f"/api/{name}")
        if served:
            assert response.status_code in (200, 202)
            assert response.json()["traceId"]
        else:
            assert response.status_code == 404
            assert response.text == json.dumps({"error": "unknown route", "routePath": name}, separators=(",", ":"))

    shared.run(env, scenario)


@given(wrap=st.booleans(), body=json_values, as_json=st.booleans())
def test_payload_is_wrapped_iff_wrap_body(shared: Shared, wrap: bool, body: Any, as_json: bool) -> None:
    """12.8 #5, over a config-mode route whose wrapBody is drawn."""
    routes = [{"routePath": "p", "requestType": "async", "flowPath": "f/p", "wrapBody": wrap}]
    env: dict[str, object] = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": json.dumps(routes)}
    text = json.dumps(body, ensure_ascii=False)

    async def scenario(h: ApiHarness) -> None:
        headers = {"content-type": "application/json"} if as_json else {"content-type": "text/plain"}
        response = await h.post("/api/p", headers=headers, content=text.encode("utf-8"))
        assert response.status_code == 202
        parsed = body if as_json else text
        [task] = h.queued()
        assert task["payload"] == ({"body": parsed} if wrap else parsed)

    shared.run(env, scenario)
