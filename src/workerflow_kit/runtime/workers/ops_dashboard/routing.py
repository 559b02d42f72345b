"""Request routing of the ops dashboard (spec 9.1): the normalized path, the endpoint table, path parameters.

Matching is on the *normalized* path: the raw pathname with every trailing ``/`` removed (``""`` becomes
``/``). The ``/api/*`` endpoints form an ordered table; the first row whose method and path match wins, and
no match is a 404 (a wrong method never yields 405). Parameterized rows match by prefix and then take the
parameter from ``^/api/<name>/([^/]+)$``: extra segments make the endpoint's own "invalid … path" 404, and
the parameter is URL-decoded with ``decodeURIComponent`` rules (:func:`decode_uri_component`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from workerflow_kit.runtime.workers.ops_dashboard.deviations import MalformedEscapeError

__all__ = [
    "ApiMatch",
    "Endpoint",
    "decode_uri_component",
    "fetch_method",
    "match_api",
    "normalize_path",
]

_FETCH_NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
_ESCAPE_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


class Endpoint(Enum):
    """The sixteen ``/api/*`` endpoints of spec 9.5."""

    META = "meta"
    EXTENSIONS = "extensions"
    SUMMARY = "summary"
    CATALOG = "catalog"
    RUNS = "runs"
    RUN_DETAIL = "run-detail"
    DEAD_LETTERS = "dead-letters"
    RETRY = "retry"
    REPLAYS = "replays"
    ROUTE_DETAIL = "route-detail"
    CRON_DETAIL = "cron-detail"
    CRON_RUN = "cron-run"
    TIMELINE = "timeline"
    TIMELINE_DETAIL = "timeline-detail"
    ERROR_CLUSTERS = "error-clusters"
    SECRETS_HEALTH = "secrets-health"


@dataclass(frozen=True)
class _Row:
    method: str
    endpoint: Endpoint
    invalid_error: str | None = None
    """For parameterized rows: the 404 error text when the path has extra segments."""

    @property
    def path(self) -> str:
        return f"/api/{self.endpoint.value}"


# Upstream's order (spec 9.1 row 8+): the first matching row wins.
_TABLE: tuple[_Row, ...] = (
    _Row("GET", Endpoint.META),
    _Row("GET", Endpoint.EXTENSIONS),
    _Row("GET", Endpoint.SUMMARY),
    _Row("GET", Endpoint.CATALOG),
    _Row("GET", Endpoint.RUNS),
    _Row("GET", Endpoint.RUN_DETAIL, "invalid run detail path"),
    _Row("GET", Endpoint.DEAD_LETTERS),
    _Row("POST", Endpoint.RETRY, "invalid retry path"),
    _Row("GET", Endpoint.REPLAYS),
    _Row("GET", Endpoint.ROUTE_DETAIL, "invalid route detail path"),
    _Row("GET", Endpoint.CRON_DETAIL, "invalid cron detail path"),
    _Row("POST", Endpoint.CRON_RUN, "invalid cron run path"),
    _Row("GET", Endpoint.TIMELINE),
    _Row("GET", Endpoint.TIMELINE_DETAIL),
    _Row("GET", Endpoint.ERROR_CLUSTERS),
    _Row("GET", Endpoint.SECRETS_HEALTH),
)


@dataclass(frozen=True)
class ApiMatch:
    """A matched ``/api/*`` row: the endpoint, its decoded path parameter (parameterized rows), or the
    endpoint-specific 404 text when the parameter part has extra segments."""

    endpoint: Endpoint
    param: str | None = None
    invalid_error: str | None = None


def normalize_path(pathname: str) -> str:
    """The pathname with all trailing ``/`` removed; ``""`` becomes ``/`` (so ``/api/`` is ``/api``)."""
    stripped = pathname.rstrip("/")
    return stripped or "/"


def fetch_method(method: str) -> str:
    """The method as a Fetch ``Request`` reports it: the six standard methods upper-cased, others as sent."""
    upper = method.upper()
    return upper if upper in _FETCH_NORMALIZED_METHODS else method


def decode_uri_component(raw: str) -> str:
    """JS ``decodeURIComponent``: every ``%XX`` run must decode as UTF-8, else :class:`MalformedEscapeError`.

    A ``%`` not followed by two hex digits, a lone continuation byte, a truncated or overlong sequence and an
    encoded surrogate are all rejected, as in JavaScript. Characters other than escapes are kept as given.
    """
    out: list[str] = []
    position = 0
    for match in _ESCAPE_RUN.finditer(raw):
        literal = raw[position : match.start()]
        if "%" in literal:
            raise MalformedEscapeError(raw)
        out.append(literal)
        data = bytes.fromhex(match.group().replace("%", ""))
        try:
            out.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise MalformedEscapeError(raw) from None
        position = match.end()
    tail = raw[position:]
    if "%" in tail:
        raise MalformedEscapeError(raw)
    out.append(tail)
    return "".join(out)


def match_api(method: str, path: str) -> ApiMatch | None:
    """The first table row matching ``method`` and the normalized ``path``, or ``None`` (generic 404).

    Raises :class:`MalformedEscapeError` when a parameter does not decode.
    """
    for row in _TABLE:
        if row.method != method:
            continue
        if row.invalid_error is None:
            if path == row.path:
                return ApiMatch(row.endpoint)
            continue
        prefix = row.path + "/"
        if not path.startswith(prefix):
            continue
        raw = path[len(prefix) :]
        if not raw or "/" in raw:
            return ApiMatch(row.endpoint, invalid_error=row.invalid_error)
        return ApiMatch(row.endpoint, param=decode_uri_component(raw))
    return None
