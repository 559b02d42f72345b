"""Cloudflare service bindings: one worker calling another in process.

Upstream calls ``env.WORKFLOW_SERVICE.fetch("http://workflow.internal/run-sync", init)``; only the path
(and query) reach the target worker, the host is decoration. :class:`ServiceBinding` does the same over an
ASGI app, through httpx's ASGI transport, so the caller gets the very request and response objects a
network call would carry, without a socket.

When the target app raises, the caller receives a 500 response (the platform's behaviour for an unhandled
exception in the called worker) rather than the exception itself; pass ``raise_app_exceptions=True`` to let
it propagate instead, which helps when debugging.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp

__all__ = ["DEFAULT_SERVICE_HOST", "HeaderInput", "ServiceBinding"]

DEFAULT_SERVICE_HOST = "workflow.internal"
"""The literal host upstream uses in its service-binding URLs."""

HeaderInput = Mapping[str, str] | Sequence[tuple[str, str]] | httpx.Headers
"""Headers as a mapping, a list of pairs (repeated names allowed) or :class:`httpx.Headers`."""


class ServiceBinding:
    """A service binding to an ASGI app, reached in process through one long-lived httpx client."""

    def __init__(self, app: ASGIApp, *, host: str = DEFAULT_SERVICE_HOST, raise_app_exceptions: bool = False) -> None:
        """Bind to ``app``; requests are addressed to ``http://{host}`` whatever URL the caller passes."""
        self.app = app
        self.host = host
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        self._client = httpx.AsyncClient(transport=transport, base_url=f"http://{host}")

    @staticmethod
    def target_path(url_or_path: str) -> str:
        """The path and query a URL or path addresses (``"https://x/run?a=1"`` → ``"/run?a=1"``)."""
        if url_or_path.startswith("/"):
            return url_or_path
        parts = urlsplit(url_or_path)
        if parts.scheme or parts.netloc:
            path = parts.path or "/"
            return f"{path}?{parts.query}" if parts.query else path
        return "/" + url_or_path

    async def fetch(
        self,
        method: str,
        url_or_path: str,
        *,
        headers: HeaderInput | None = None,
        content: bytes | str | None = None,
    ) -> httpx.Response:
        """Send one request to the bound app and return its full (already read) response.

        ``url_or_path`` may be an absolute URL (only its path and query are used) or a path.
        ``content`` is the request body; a ``str`` is sent as UTF-8.
        """
        return await self._client.request(
            method.upper(), self.target_path(url_or_path), headers=headers, content=content
        )

    async def aclose(self) -> None:
        """Close the underlying client."""
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"ServiceBinding(host={self.host!r}, app={self.app!r})"
