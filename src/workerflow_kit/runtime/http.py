"""Fetch-API-shaped requests and responses for the workers, and the ASGI adapter that serves a worker.

Workers are written against these small types, the way upstream workers are written against the Fetch API:
``fetch(request) -> response``. The adapter keeps the raw (still percent-encoded) path, as Cloudflare hands
``request.url`` to a worker, and turns an exception escaping a worker into the platform's bare 500: no CORS
headers, not JSON (spec section 0, "unhandled failure").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from workerflow_kit.jscompat.json import js_json_stringify

log = logging.getLogger("workerflow_kit.runtime")

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain;charset=UTF-8"
UNHANDLED_BODY = b"Internal Server Error: the worker threw an exception"


class Headers:
    """Case-insensitive, order-keeping headers with Fetch semantics (``get`` joins repeats with ``", "``)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] | None = None) -> None:
        pairs = items.items() if isinstance(items, Mapping) else (items or ())
        self._items: list[tuple[str, str]] = [(name.lower(), value) for name, value in pairs]

    def get(self, name: str) -> str | None:
        key = name.lower()
        values = [value for item, value in self._items if item == key]
        return ", ".join(values) if values else None

    def has(self, name: str) -> bool:
        key = name.lower()
        return any(item == key for item, _ in self._items)

    def set(self, name: str, value: str) -> None:
        key = name.lower()
        self._items = [(item, v) for item, v in self._items if item != key]
        self._items.append((key, value))

    def append(self, name: str, value: str) -> None:
        self._items.append((name.lower(), value))

    def delete(self, name: str) -> None:
        key = name.lower()
        self._items = [(item, v) for item, v in self._items if item != key]

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def copy(self) -> Headers:
        return Headers(self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass
class Request:
    """An incoming request: method, full URL (path still percent-encoded), headers and the raw body."""

    method: str
    url: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    @property
    def pathname(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def search(self) -> str:
        """The query string with its leading ``?``, or ``""`` when there is none (as ``URL.search``)."""
        query = urlsplit(self.url).query
        return f"?{query}" if query else ""

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Response:
    """An outgoing response. ``body`` is bytes; helpers build the JSON and text shapes the workers use."""

    status: int = 200
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def json_response(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response serialized as JS ``JSON.stringify`` would, with WorkerFlow's exact content type."""
    response_headers = Headers({"content-type": JSON_CONTENT_TYPE})
    for name, header_value in (headers or {}).items():
        response_headers.set(name, header_value)
    return Response(status, response_headers, js_json_stringify(value).encode("utf-8"))


FetchHandler = Callable[[Request], Awaitable[Response]]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _request_from_scope(scope: Scope, body: bytes) -> Request:
    headers = Headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"])
    host = headers.get("host")
    if host is None:
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] in (None, 80, 443) else f"{server[0]}:{server[1]}"
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope["path"]
    query = scope.get("query_string", b"").decode("latin-1")
    url = f"{scope.get('scheme', 'http')}://{host}{path}" + (f"?{query}" if query else "")
    return Request(scope["method"], url, headers, body)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class WorkerApp:
    """Serve one worker's ``fetch`` as an ASGI application (used in process and by uvicorn)."""

    def __init__(self, fetch: FetchHandler, name: str) -> None:
        self._fetch = fetch
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        request = _request_from_scope(scope, await _read_body(receive))
        try:
            response = await self._fetch(request)
        except Exception:
            # Cloudflare answers an uncaught exception with a bare platform error page.
            log.exception("%s worker threw while handling %s %s", self.name, request.method, request.url)
            response = Response(500, Headers({"content-type": "text/plain; charset=utf-8"}), UNHANDLED_BODY)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(n.encode("latin-1"), v.encode("latin-1")) for n, v in response.headers],
            }
        )
        await send({"type": "http.response.body", "body": response.body})
