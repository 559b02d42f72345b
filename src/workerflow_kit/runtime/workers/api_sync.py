"""Sync route dispatch: call the workflow's ``/run-sync`` and shape its answer (spec 4.6.2, 2.4).

A 2xx answer is either data (wrapped as ``{"traceId", "result"}``) or, when it has the passthrough shape of
spec 2.4, a raw HTTP response the handler chose. The passthrough is built with the Workers ``Response``
constructor's rules: header names and values are checked and converted the way ``new Headers(init)`` does,
a string body brings ``content-type: text/plain;charset=UTF-8`` unless a content type is given, and the
statuses and shapes the constructor rejects raise :class:`PassthroughError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

import httpx

from workerflow_kit.contracts.models import is_sync_passthrough, parse_js_json
from workerflow_kit.jscompat.json import JsSyntaxError, js_json_stringify
from workerflow_kit.jscompat.values import js_string
from workerflow_kit.runtime.bindings.service import HeaderInput
from workerflow_kit.runtime.http import TEXT_CONTENT_TYPE, Headers, Response, json_response
from workerflow_kit.runtime.workers.api_body import body_text

__all__ = [
    "NULL_BODY_STATUSES",
    "RUN_SYNC_URL",
    "PassthroughError",
    "SyncService",
    "passthrough_response",
    "run_sync_task",
]

RUN_SYNC_URL: Final = "http://workflow.internal/run-sync"
NULL_BODY_STATUSES: Final = frozenset({204, 205, 304})
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HTTP_WHITESPACE: Final = "\t\n\r "
_FORBIDDEN_IN_VALUE: Final = re.compile(r"[\x00\r\n]")
_LONE_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")
# The server frames the body itself; a handler's own framing headers could only contradict it.
_FRAMING_HEADERS: Final = frozenset({"content-length", "transfer-encoding"})


class SyncService(Protocol):
    """What the api needs of ``env.WORKFLOW_SERVICE`` (a :class:`~..bindings.service.ServiceBinding`)."""

    async def fetch(
        self,
        method: str,
        url_or_path: str,
        *,
        headers: HeaderInput | None = None,
        content: bytes | str | None = None,
    ) -> httpx.Response: ...


class PassthroughError(ValueError):
    """A passthrough object the Workers ``Response`` constructor would reject (it throws upstream)."""


def _byte_string(value: object, what: str) -> str:
    text = js_string(value)
    if any(ord(char) > 0xFF for char in text):
        raise PassthroughError(f"{what} {text!r} is not a ByteString (characters above U+00FF)")
    return text


def _header_pair(name: object, value: object) -> tuple[str, str]:
    name_text = _byte_string(name, "header name")
    if not _TOKEN.fullmatch(name_text):
        raise PassthroughError(f"invalid header name {name_text!r}")
    value_text = _byte_string(value, "header value").strip(_HTTP_WHITESPACE)
    if _FORBIDDEN_IN_VALUE.search(value_text):
        raise PassthroughError(f"invalid value for header {name_text!r}")
    return name_text, value_text


def _passthrough_headers(init: object) -> Headers:
    headers = Headers()
    if isinstance(init, Mapping):
        pairs = [_header_pair(name, value) for name, value in init.items()]
    else:
        assert isinstance(init, Sequence)  # is_sync_passthrough admits only mappings and lists here
        pairs = []
        for index, entry in enumerate(init):
            if not isinstance(entry, list | tuple) or len(entry) != 2:
                raise PassthroughError(f"headers[{index}] is not a [name, value] pair")
            pairs.append(_header_pair(entry[0], entry[1]))
    for name, value in pairs:
        headers.append(name, value)
    return headers


def passthrough_response(value: Mapping[str, Any]) -> Response:
    """The response ``new Response(value.body, {status, headers})`` makes, for a spec 2.4 passthrough object.

    Raises :class:`PassthroughError` for a status outside 200-599, a non-empty body with a null-body status
    (204, 205, 304) and headers the ``Headers`` constructor rejects. A null-body status with ``""`` sends
    no body.
    """
    status = int(value["status"])
    headers = _passthrough_headers(value["headers"]) if "headers" in value else Headers()
    if not 200 <= status <= 599:
        raise PassthroughError(f"status {status} is outside 200-599")
    body: str = value["body"]
    if status in NULL_BODY_STATUSES and body:
        raise PassthroughError(f"a response with status {status} cannot have a body")
    if not headers.has("content-type"):
        headers.set("content-type", TEXT_CONTENT_TYPE)
    for name in _FRAMING_HEADERS:
        headers.delete(name)
    # A string body goes out as UTF-8, where a lone surrogate becomes U+FFFD.
    encoded = b"" if status in NULL_BODY_STATUSES else _LONE_SURROGATE.sub("\ufffd", body).encode("utf-8")
    return Response(status, headers, encoded)


async def run_sync_task(service: SyncService, task: Mapping[str, Any]) -> Response:
    """POST the task to ``/run-sync`` and answer per spec 4.6.2 (without CORS; the caller adds it).

    Non-2xx → 500 ``sync execution failed`` with the workflow's text as ``details``. 2xx that is not JSON →
    the same 500 (upstream crashes). A passthrough the ``Response`` constructor rejects → 500
    ``invalid passthrough response`` (upstream crashes).
    """
    trace_id = task["traceId"]
    response = await service.fetch(
        "POST",
        RUN_SYNC_URL,
        headers={"content-type": "application/json"},
        content=js_json_stringify(task).encode("utf-8"),
    )
    text = body_text(response.content)
    failed = {"traceId": trace_id, "error": "sync execution failed", "details": text}
    if not 200 <= response.status_code <= 299:
        return json_response(failed, status=500)
    try:
        payload = parse_js_json(text)
    except JsSyntaxError:
        return json_response(failed, status=500)
    if is_sync_passthrough(payload):
        try:
            return passthrough_response(payload)
        except PassthroughError as exc:
            body = {"traceId": trace_id, "error": "invalid passthrough response", "message": str(exc)}
            return json_response(body, status=500)
    return json_response({"traceId": trace_id, "result": payload})
