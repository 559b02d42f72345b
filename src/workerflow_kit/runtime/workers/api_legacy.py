"""The disabled legacy endpoint ``/api/r/…`` and its chat alert (spec 4.8).

Every hit answers 404. When an alert webhook is configured, the worker first posts a plain-text report of
the request to it and waits for that post; a failing post is logged and otherwise ignored, so the answer
never depends on the webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

import httpx

from workerflow_kit.contracts.models import parse_js_json
from workerflow_kit.jscompat.json import JsSyntaxError, js_json_stringify
from workerflow_kit.jscompat.strings import utf16_length
from workerflow_kit.runtime.bindings.clock import Clock
from workerflow_kit.runtime.bindings.secrets import resolve_optional_string
from workerflow_kit.runtime.http import Headers, Request, Response, json_response
from workerflow_kit.runtime.workers.api_body import body_text, is_json_content
from workerflow_kit.runtime.workers.api_url import ApiUrl

__all__ = [
    "ALERT_BODY_LIMIT",
    "WEBHOOK_VARS",
    "alert_body_text",
    "alert_message",
    "legacy_response",
    "notify_legacy_hit",
    "resolve_alert_webhook",
    "truncate_for_alert",
]

log = logging.getLogger("workerflow_kit.runtime.api")

WEBHOOK_VARS: Final = ("LEGACY_ALERT_WEBHOOK_URL", "GCHAT_ALERTS_WEBHOOK", "GCHAT_ALERTS_WEBHOOK_URL")
"""Where the alert webhook is looked up, in precedence order (not the order ``chat_notify`` uses, Q25)."""
ALERT_BODY_LIMIT: Final = 4000
"""UTF-16 code units of request body the alert keeps."""


async def resolve_alert_webhook(env: Mapping[str, object]) -> str:
    """The first non-empty value among :data:`WEBHOOK_VARS` (plain strings or Secrets-Store bindings, trimmed;
    a rejected ``get()`` counts as empty), or ``""``. Bindings are read one at a time, in order, until one
    yields a value, as upstream does."""
    for name in WEBHOOK_VARS:
        resolved = await resolve_optional_string(env.get(name))
        if resolved:
            return resolved
    return ""


def truncate_for_alert(text: str, limit: int = ALERT_BODY_LIMIT) -> str:
    """Keep the first ``limit`` UTF-16 units and say how many were cut: ``\\n...[truncated <N> chars]``.

    Like JavaScript's ``slice``, the cut may split a surrogate pair; the lone half is kept (JSON then escapes
    it as ``\\udXXX``).
    """
    length = utf16_length(text)
    if length <= limit:
        return text
    units = text.encode("utf-16-le", "surrogatepass")
    head = units[: 2 * limit].decode("utf-16-le", "surrogatepass")
    return f"{head}\n...[truncated {length - limit} chars]"


def alert_body_text(method: str, headers: Headers, body: bytes) -> str:
    """Line 13 of the alert: a placeholder for GET/HEAD or an empty body, pretty-printed JSON when the body is
    JSON content that parses, else the raw text; then truncated."""
    if method in ("GET", "HEAD"):
        return "(no request body)"
    raw = body_text(body)
    if not raw:
        return "(empty request body)"
    if is_json_content(headers):
        try:
            return truncate_for_alert(js_json_stringify(parse_js_json(raw), indent=2))
        except JsSyntaxError:
            pass
    return truncate_for_alert(raw)


def alert_message(
    *,
    trace_id: str,
    now_iso: str,
    method: str,
    route: str,
    url: ApiUrl,
    headers: Headers,
    payload: str,
) -> str:
    """The 13-line alert text (spec 4.8), joined with ``\\n``."""
    return "\n".join(
        [
            "LEGACY ENDPOINT HIT",
            f"trace={trace_id}",
            f"time={now_iso}",
            f"method={method}",
            f"route={route or '(missing route path)'}",
            f"url={url.href}",
            f"path={url.pathname}",
            f"query={url.search or '(none)'}",
            f"host={url.host}",
            f"content-type={headers.get('content-type') or '(none)'}",
            f"user-agent={headers.get('user-agent') or '(none)'}",
            "payload:",
            payload,
        ]
    )


async def _post_alert(client: httpx.AsyncClient, webhook: str, message: str) -> None:
    content = js_json_stringify({"text": message}).encode("utf-8")
    await client.post(webhook, headers={"content-type": "application/json"}, content=content)


async def notify_legacy_hit(
    request: Request,
    url: ApiUrl,
    env: Mapping[str, object],
    *,
    client: httpx.AsyncClient,
    clock: Clock,
    trace_id: str,
    route: str,
) -> bool:
    """Post the alert when a webhook is configured; returns whether a post was attempted.

    The request body is read only when there is a webhook. Network errors (and a URL the client cannot use)
    are logged and swallowed; the webhook's status is ignored.
    """
    webhook = await resolve_alert_webhook(env)
    if not webhook:
        return False
    payload = alert_body_text(request.method, request.headers, request.body)
    message = alert_message(
        trace_id=trace_id,
        now_iso=clock.now_iso(),
        method=request.method,
        route=route,
        url=url,
        headers=request.headers,
        payload=payload,
    )
    try:
        await _post_alert(client, webhook, message)
    except Exception as exc:  # upstream catches everything fetch throws
        log.error("failed to send legacy endpoint alert: trace=%s route=%s error=%s", trace_id, route, exc)
    return True


def legacy_response(trace_id: str, route: str) -> Response:
    """404 ``{"error":"legacy endpoint is disabled","traceId":T,"routePath":<route or null>}``."""
    return json_response(
        {"error": "legacy endpoint is disabled", "traceId": trace_id, "routePath": route or None}, status=404
    )
