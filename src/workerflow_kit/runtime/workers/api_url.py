"""The api worker's view of a request URL: ``new URL(request.url)`` and the path rules built on it (spec 4.1).

Upstream reads ``url.pathname``, ``url.search``, ``url.host`` and ``url.toString()`` from a WHATWG URL. The
request URL a worker receives is the raw request target, so this module applies the parts of the WHATWG
parser that change what the worker sees:

* ``\\`` separates path segments like ``/`` (http and https are "special" schemes);
* dot segments (``.``, ``..`` and their ``%2e`` spellings) are resolved;
* characters outside the URL code points are percent-encoded (``"``, ``<``, ``>``, `````, ``{``, ``}``,
  space, controls and non-ASCII; a raw request target's bytes are encoded byte by byte);
* the host is lowercased and a default port (80 for http, 443 for https) dropped.

Path segments are **not** URL-decoded (``/api/webhook%5Fecho`` names route ``webhook%5Fecho``); only the
legacy route is, with :func:`decode_uri_component`, whose failure is JavaScript's ``URIError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

__all__ = ["ApiUrl", "UriError", "decode_uri_component", "legacy_route", "parse_url", "segments"]

_PATH_ENCODE: Final = frozenset('"<>`{} ')
_QUERY_ENCODE: Final = frozenset("\"<>' ")
_DEFAULT_PORTS: Final = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
_SINGLE_DOT: Final = frozenset({".", "%2e"})
_DOUBLE_DOT: Final = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})
_ESCAPE_RUN: Final = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


class UriError(ValueError):
    """What ``decodeURIComponent`` throws on a malformed escape (a JavaScript ``URIError``)."""

    def __init__(self) -> None:
        super().__init__("URI malformed")


@dataclass(frozen=True, slots=True)
class ApiUrl:
    """The parts of a parsed request URL the api worker reads (names follow the WHATWG ``URL`` getters)."""

    href: str
    pathname: str
    search: str
    host: str


def _percent_encode(text: str, encode_set: frozenset[str]) -> str:
    """Percent-encode what the WHATWG parser would, leaving existing escapes alone.

    A served request's target arrives decoded as latin-1 (one character per byte), so each character up to
    U+00FF stands for one byte; anything above can only come from a programmatic URL and is UTF-8 encoded.
    """
    out: list[str] = []
    for char in text:
        code = ord(char)
        if code < 0x21 or code > 0x7E or char in encode_set:
            raw = bytes([code]) if code <= 0xFF else char.encode("utf-8", "surrogatepass")
            out.append("".join(f"%{byte:02X}" for byte in raw))
        else:
            out.append(char)
    return "".join(out)


def _normalize_path(raw: str) -> str:
    path = raw.replace("\\", "/")
    parts = (path[1:] if path.startswith("/") else path).split("/")
    kept: list[str] = []
    for index, segment in enumerate(parts):
        last = index == len(parts) - 1
        lowered = segment.lower()
        if lowered in _DOUBLE_DOT:
            if kept:
                kept.pop()
            if last:
                kept.append("")
        elif lowered in _SINGLE_DOT:
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return "/" + "/".join(kept)


def _normalize_host(netloc: str, scheme: str) -> str:
    host, port = netloc, ""
    bracket = netloc.rfind("]")
    colon = netloc.rfind(":")
    if colon > bracket:
        host, port = netloc[:colon], netloc[colon + 1 :]
    host = host.lower()
    if port and port.isdigit():
        port = str(int(port))
    if port == "" or port == _DEFAULT_PORTS.get(scheme):
        return host
    return f"{host}:{port}"


def parse_url(url: str) -> ApiUrl:
    """Parse a request URL the way ``new URL(url)`` does for the parts the api worker uses."""
    split = urlsplit(url)
    scheme = split.scheme.lower() or "http"
    host = _normalize_host(split.netloc, scheme)
    pathname = _percent_encode(_normalize_path(split.path), _PATH_ENCODE)
    search = f"?{_percent_encode(split.query, _QUERY_ENCODE)}" if split.query else ""
    return ApiUrl(href=f"{scheme}://{host}{pathname}{search}", pathname=pathname, search=search, host=host)


def segments(pathname: str) -> list[str]:
    """``pathname.split("/").filter(Boolean)``: duplicate and trailing slashes vanish; nothing is decoded."""
    return [segment for segment in pathname.split("/") if segment]


def decode_uri_component(text: str) -> str:
    """``decodeURIComponent(text)``: every ``%XX`` run must be well-formed UTF-8, else :class:`UriError`.

    Decoding run by run is exact: JavaScript decodes one UTF-8 sequence at a time and needs each continuation
    byte as an escape right after its lead, which holds iff every maximal run of escapes decodes strictly
    (Python's strict codec rejects overlong forms, surrogates and values above U+10FFFF, as JavaScript does).
    """
    out: list[str] = []
    position = 0
    for match in _ESCAPE_RUN.finditer(text):
        literal = text[position : match.start()]
        if "%" in literal:
            raise UriError()
        out.append(literal)
        raw = bytes(int(match.group()[i + 1 : i + 3], 16) for i in range(0, len(match.group()), 3))
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise UriError() from None
        position = match.end()
    rest = text[position:]
    if "%" in rest:
        raise UriError()
    out.append(rest)
    return "".join(out)


def legacy_route(parts: list[str]) -> str:
    """Spec 4.1 step 0c: for ``api/r/<x>/<rest…>`` (at least 4 segments) the URL-decoded ``rest`` joined by
    ``/``, else ``""``. Raises :class:`UriError` for a malformed escape in ``rest``."""
    if len(parts) < 4 or parts[0] != "api" or parts[1] != "r":
        return ""
    return decode_uri_component("/".join(parts[3:]))
