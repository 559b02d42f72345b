"""Service bindings: an in-process call carries the same request and response a network call would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workerflow_kit.runtime.bindings.service import ServiceBinding

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "host": request.headers.get("host"),
            "contentType": request.headers.get("content-type"),
            "trace": request.headers.getlist("x-trace"),
            "body": body.decode("utf-8"),
        },
        status_code=207,
        headers={"x-answer": "42"},
    )


async def fail(request: Request) -> Response:
    raise RuntimeError("handler exploded")


async def binary(request: Request) -> Response:
    return Response(b"\x00\xff", media_type="application/octet-stream", headers={"set-cookie": "a=1"})


def make_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/run-sync", echo, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/fail", fail),
            Route("/bin", binary),
        ]
    )


def test_request_arrives_and_response_returns() -> None:
    async def scenario() -> httpx.Response:
        async with ServiceBinding(make_app()) as binding:
            return await binding.fetch(
                "post",
                "http://workflow.internal/run-sync",
                headers=[("content-type", "application/json"), ("x-trace", "a"), ("x-trace", "b")],
                content=json.dumps({"routePath": "x", "payload": "é"}),
            )

    response = run(scenario())
    assert response.status_code == 207
    assert response.headers["x-answer"] == "42"
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert data["method"] == "POST"
    assert data["path"] == "/run-sync"
    assert data["host"] == "workflow.internal"
    assert data["contentType"] == "application/json"
    assert data["trace"] == ["a", "b"]
    assert json.loads(data["body"]) == {"routePath": "x", "payload": "é"}


def test_only_the_path_and_query_matter() -> None:
    async def scenario() -> list[dict[str, Any]]:
        binding = ServiceBinding(make_app())
        try:
            urls = ["https://elsewhere.example:8443/run-sync?a=1", "/run-sync?a=1", "run-sync?a=1"]
            return [(await binding.fetch("GET", url)).json() for url in urls]
        finally:
            await binding.aclose()

    for data in run(scenario()):
        assert data["path"] == "/run-sync"
        assert data["query"] == "a=1"
        assert data["host"] == "workflow.internal"


def test_custom_host_and_bytes_body() -> None:
    async def scenario() -> dict[str, Any]:
        async with ServiceBinding(make_app(), host="ops.internal") as binding:
            response = await binding.fetch("PUT", "/run-sync", content=b"raw-bytes")
            result: dict[str, Any] = response.json()
            return result

    data = run(scenario())
    assert data["host"] == "ops.internal"
    assert data["method"] == "PUT"
    assert data["body"] == "raw-bytes"


def test_binary_body_and_headers_return() -> None:
    async def scenario() -> httpx.Response:
        async with ServiceBinding(make_app()) as binding:
            return await binding.fetch("GET", "/bin")

    response = run(scenario())
    assert response.content == b"\x00\xff"
    assert response.headers["set-cookie"] == "a=1"


def test_unhandled_exception_in_the_target_is_a_500() -> None:
    async def scenario() -> httpx.Response:
        async with ServiceBinding(make_app()) as binding:
            return await binding.fetch("GET", "/fail")

    response = run(scenario())
    assert response.status_code == 500


def test_unhandled_exception_can_propagate_when_asked() -> None:
    async def scenario() -> None:
        async with ServiceBinding(make_app(), raise_app_exceptions=True) as binding:
            await binding.fetch("GET", "/fail")

    with pytest.raises(RuntimeError, match="handler exploded"):
        run(scenario())


def test_unknown_path_is_the_apps_404() -> None:
    async def scenario() -> int:
        async with ServiceBinding(make_app()) as binding:
            return (await binding.fetch("GET", "/run-sync/")).status_code

    assert run(scenario()) in (307, 404)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("http://workflow.internal/run-sync", "/run-sync"),
        ("http://workflow.internal", "/"),
        ("https://x/health/config?verbose=1", "/health/config?verbose=1"),
        ("/run-async", "/run-async"),
        ("health", "/health"),
    ],
)
def test_target_path(url: str, path: str) -> None:
    assert ServiceBinding.target_path(url) == path
