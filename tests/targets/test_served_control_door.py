"""The served runtime's control door as an ASGI app, in process: the secret, errors, and the real-clock case."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from workerflow_kit.runtime.bindings.clock import SystemClock
from workerflow_kit.runtime.control import BINDING_REF, SECRET_HEADER, control_app
from workerflow_kit.runtime.stack import Runtime

SECRET = "s3cret-for-tests"


def call(runtime: Runtime, method: str, path: str, body: Any = None, secret: str = SECRET) -> httpx.Response:
    app, close = control_app(runtime, SECRET)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://control") as client:
            return await client.request(method, path, json=body, headers={SECRET_HEADER: secret})

    try:
        return asyncio.run(go())
    finally:
        close()


@pytest.fixture
def real_clock_runtime() -> Iterator[Runtime]:
    runtime = asyncio.run(Runtime.start(clock=SystemClock()))
    yield runtime
    asyncio.run(runtime.aclose())


def test_wrong_secret_unknown_endpoint_and_bad_bodies(real_clock_runtime: Runtime) -> None:
    assert call(real_clock_runtime, "POST", "/drain", secret="nope").status_code == 401
    assert call(real_clock_runtime, "POST", "/nowhere").status_code == 404
    assert call(real_clock_runtime, "POST", "/advance", {"seconds": -1}).status_code == 400
    assert call(real_clock_runtime, "POST", "/env", {"worker": "nobody", "name": "X", "value": "1"}).status_code == 400
    assert call(real_clock_runtime, "POST", "/env", {"worker": "api", "name": "X", "value": [1]}).status_code == 400
    assert call(real_clock_runtime, "POST", "/query", {"sql": 1}).status_code == 400


def test_a_real_clock_has_no_clock_capability_and_cannot_be_advanced(real_clock_runtime: Runtime) -> None:
    caps = call(real_clock_runtime, "GET", "/capabilities").json()["capabilities"]
    assert caps == ["drain_queue", "inspect_db", "set_env", "stub_outbound"]
    refused = call(real_clock_runtime, "POST", "/advance", {"seconds": 1})
    assert refused.status_code == 409
    assert "--virtual-clock" in refused.json()["error"]


def test_a_binding_reference_puts_the_same_object_back(real_clock_runtime: Runtime) -> None:
    binding = real_clock_runtime.env_for("api")["WORKFLOW_SERVICE"]
    app, close = control_app(real_clock_runtime, SECRET)

    async def go() -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app),  # type: ignore[arg-type]
            base_url="http://control",
            headers={SECRET_HEADER: SECRET},
        ) as client:
            taken = (await client.post("/env", json={"worker": "api", "name": "WORKFLOW_SERVICE"})).json()
            assert set(taken["previous"]) == {BINDING_REF}
            assert "WORKFLOW_SERVICE" not in real_clock_runtime.env_for("api")
            await client.post("/env", json={"worker": "api", "name": "WORKFLOW_SERVICE", "value": taken["previous"]})

    try:
        asyncio.run(go())
    finally:
        close()
    assert real_clock_runtime.env_for("api")["WORKFLOW_SERVICE"] is binding


def test_control_app_needs_a_secret(real_clock_runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="secret"):
        control_app(real_clock_runtime, "")
