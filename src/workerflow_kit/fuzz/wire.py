"""Cases onto the wire and back: a Schemathesis case as an ``httpx.Request`` for the target's client, the answer as
a Schemathesis ``Response`` for the checks, and a curl line that reproduces a request with its tokens redacted.

Requests go through the target's own client (one per worker, built once), so in-process, served and URL targets
share this path, and the credentials the target was configured with are sent without the kit handling them.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import httpx
from requests import PreparedRequest
from requests.structures import CaseInsensitiveDict

from workerflow_kit.fuzz.session import CREDENTIAL_HEADERS

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.core.transport import Response as StResponse

__all__ = ["REDACTED", "build_request", "curl_line", "redact", "to_schemathesis"]

REDACTED: Final = "[REDACTED]"
# Hop-by-hop or client-chosen headers Schemathesis adds for its own transport; the target's client sets its own.
_DROPPED: Final = frozenset({"connection", "user-agent", "accept-encoding", "content-length"})


def build_request(
    client: httpx.Client, case: Case[Any], *, extra_headers: Mapping[str, str] | None = None
) -> httpx.Request:
    """The request ``case`` describes, built by ``client`` (its base URL and default headers apply)."""
    kwargs: dict[str, Any] = case.as_transport_kwargs(base_url=str(client.base_url).rstrip("/"))
    headers = {
        str(name): str(value)
        for name, value in (kwargs.get("headers") or {}).items()
        if str(name).lower() not in _DROPPED
    }
    headers.update(extra_headers or {})
    cookies = kwargs.get("cookies") or {}
    if cookies:
        headers["cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["content"] = json.dumps(kwargs["json"]).encode("utf-8")
    elif "data" in kwargs:
        data = kwargs["data"]
        if isinstance(data, Mapping):
            body["data"] = data
        elif data is not None:
            body["content"] = data if isinstance(data, bytes) else str(data).encode("utf-8")
    files = _httpx_files(kwargs.get("files"))
    if files:
        body["files"] = files
    request = client.build_request(
        kwargs["method"], kwargs["url"], params=kwargs.get("params") or None, headers=headers, **body
    )
    request.read()  # multipart bodies stream; the checks, re-sends and reproductions need the bytes
    return request


def _httpx_files(files: Any) -> list[tuple[str, tuple[Any, ...]]]:
    """Schemathesis's multipart parts (shaped for ``requests``) as the file parts ``httpx`` encodes.

    ``requests`` sends a part's content as it is when it is text or bytes, reads it when it is file-like, leaves
    out a ``None`` part and writes any other value (an int from a loosely typed form, for instance) as its
    ``str()``; httpx takes text, bytes or a file-like object only, so the same parts are normalised here. A part
    given without a ``(filename, content, ...)`` tuple is named after its field, as ``requests`` names it.
    """
    if not files:
        return []
    pairs = files.items() if isinstance(files, Mapping) else files
    parts: list[tuple[str, tuple[Any, ...]]] = []
    for name, value in pairs:
        if isinstance(value, (tuple, list)):
            filename, content, *rest = value
        else:
            filename, content, rest = str(name), value, []
        if content is None:
            continue
        if not isinstance(content, (bytes, str)) and not hasattr(content, "read"):
            content = str(content)
        parts.append((str(name), (filename, content, *rest)))
    return parts


def to_schemathesis(response: httpx.Response) -> StResponse:
    """An httpx answer as the ``Response`` Schemathesis checks read (its request included)."""
    from schemathesis.core.transport import Response as StResponse

    request = response.request
    prepared = PreparedRequest()
    prepared.method = request.method
    prepared.url = str(request.url)
    prepared.headers = CaseInsensitiveDict(dict(request.headers.items()))
    prepared.body = request.content
    return StResponse(
        status_code=response.status_code,
        headers={name: response.headers.get_list(name) for name in response.headers.keys()},  # noqa: SIM118
        content=response.content,
        request=prepared,
        elapsed=0.0,
        message=response.reason_phrase,
        encoding=response.encoding,
        http_version="1.1",
        verify=True,
    )


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced by ``[REDACTED]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def curl_line(request: httpx.Request) -> str:
    """A curl command that sends ``request`` again, credential headers redacted."""
    parts = ["curl", "-X", request.method, shlex.quote(str(request.url))]
    for name, value in request.headers.items():
        if name.lower() in ("host", "content-length", "accept", "accept-encoding", "connection", "user-agent"):
            continue
        shown = REDACTED if name.lower() in CREDENTIAL_HEADERS else value
        parts += ["-H", shlex.quote(f"{name}: {shown}")]
    if request.content:
        parts += ["--data-binary", shlex.quote(request.content.decode("utf-8", errors="backslashreplace"))]
    return " ".join(parts)
