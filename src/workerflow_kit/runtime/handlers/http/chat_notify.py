"""``chat_notify`` (spec 7.2): post the payload's text to a chat webhook.

The webhook is the first non-blank **string** among ``CHAT_WEBHOOK_URL``, ``GCHAT_ALERTS_WEBHOOK_URL`` and
``GCHAT_ALERTS_WEBHOOK`` (trimmed); a non-string value (an unresolved binding, a number) is skipped, as
upstream's ``typeof raw === "string"`` test does.

Failures raise with upstream's messages: a non-2xx answer gives
``Chat webhook failed: <status> <statusText> <response text>``; a transport failure gives that error's
message. Where upstream's ``fetch`` throws before any I/O, the reference uses workerd-like texts:
``Invalid URL`` for a string that is not an absolute URL, ``Fetch API cannot load: <url>`` for a scheme other
than http(s).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import httpx

from workerflow_kit.jscompat.json import js_json_stringify
from workerflow_kit.jscompat.strings import js_trim
from workerflow_kit.runtime.handlers.context import HandlerContext, js_response_text
from workerflow_kit.runtime.handlers.payload import object_view, unwrap_body

ROUTE_PATH = "chat_notify"
WEBHOOK_VARS: Final = ("CHAT_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK")
DEFAULT_MESSAGE: Final = "Automation event"
INVALID_URL_MESSAGE: Final = "Invalid URL"

# WHATWG URL "forbidden domain code points" that httpx lets through in a host name.
_FORBIDDEN_HOST_CHARS: Final = frozenset(" #%/:<>?@[\\]^|\x7f")


class ChatNotifyError(Exception):
    """A chat_notify failure; ``str(error)`` is the upstream message the workflow reports."""


def webhook_url(env: Mapping[str, object]) -> str:
    """The webhook chat_notify posts to, or ``""`` when none of the three variables holds a non-blank string."""
    for name in WEBHOOK_VARS:
        raw = env.get(name)
        if isinstance(raw, str) and js_trim(raw):
            return js_trim(raw)
    return ""


def message_text(payload: Any) -> str:
    """The payload's ``text`` (trimmed) when it is a non-blank string, else ``Automation event``."""
    text = object_view(unwrap_body(payload)).get("text")
    if isinstance(text, str) and js_trim(text):
        return js_trim(text)
    return DEFAULT_MESSAGE


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise ChatNotifyError(INVALID_URL_MESSAGE) from None
    if not parsed.scheme:
        raise ChatNotifyError(INVALID_URL_MESSAGE)
    if parsed.scheme not in ("http", "https"):
        raise ChatNotifyError(f"Fetch API cannot load: {url}")
    host = parsed.raw_host.decode("ascii", errors="replace")
    if not host or (":" not in host and any(ch in _FORBIDDEN_HOST_CHARS or ch < " " for ch in host)):
        raise ChatNotifyError(INVALID_URL_MESSAGE)
    return parsed


def endpoint_host(url: httpx.URL) -> str:
    """``new URL(url).host``: the host name, ``[...]`` around IPv6, and the port unless it is the default."""
    host = url.raw_host.decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    return host if url.port is None else f"{host}:{url.port}"


async def handle(payload: Any, trace_id: str, ctx: HandlerContext) -> dict[str, Any]:
    """Post ``[WorkerFlow:<traceId>] <message>`` and report the webhook's host."""
    env = ctx.env
    if env is None:
        raise ChatNotifyError("Execution context missing env")
    url = webhook_url(env)
    if not url:
        raise ChatNotifyError("CHAT_WEBHOOK_URL is required")
    body = js_json_stringify({"text": f"[WorkerFlow:{trace_id}] {message_text(payload)}"})
    parsed = _parse_url(url)
    try:
        response = await ctx.post(url, headers={"content-type": "application/json"}, content=body.encode("utf-8"))
    except httpx.HTTPError as exc:
        raise ChatNotifyError(str(exc) or type(exc).__name__) from exc
    if not 200 <= response.status_code <= 299:
        text = js_response_text(response)
        raise ChatNotifyError(f"Chat webhook failed: {response.status_code} {response.reason_phrase} {text}")
    return {"ok": True, "route": ROUTE_PATH, "delivered": True, "endpointHost": endpoint_host(parsed)}
