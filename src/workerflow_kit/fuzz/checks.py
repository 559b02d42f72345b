"""The checks a fuzz run applies to every response, each with a stable id and level in the suites' style.

Two kinds, one table (:data:`FUZZ_CHECKS`):

* **WorkerFlow-aware checks**, registered with Schemathesis (``@schemathesis.check``) so a plain Schemathesis
  test can use them too. They read the WorkerFlow rules the documents cannot express: CORS with the Origin
  echoed (api), the ``x-trace-id`` echo (api), the error body per status, a repeated trace id answering the
  duplicate shape, 401 with the documented body when a token is configured and missing, and no 5xx.
* **Schemathesis's conformance checks**, mapped to kit ids (``response_schema_conformance`` ->
  ``openapi.response-schema``, ...). Their expected statuses come from the shipped ``schemathesis.toml``.

A check raises :class:`WorkerFlowFailure` (a Schemathesis ``Failure``) on a broken rule and returns ``True``
when the response is not its business (counted as "not applicable", not as a pass).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import schemathesis
from schemathesis.core.failures import Failure

from workerflow_kit.fuzz.session import active
from workerflow_kit.jscompat.strings import js_is_blank, js_trim
from workerflow_kit.suites.checks import Level, check_label
from workerflow_kit.targets.base import Capability

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

__all__ = ["FUZZ_CHECKS", "FuzzCheck", "WorkerFlowFailure", "builtin_check", "document_of"]

CheckFn = Callable[["CheckContext", "Response", "Case[Any]"], "bool | None"]

CORS_HEADERS: Final = (
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "vary",
)
API_UNAUTHORIZED: Final = {"error": "unauthorized"}
OPS_UNAUTHORIZED: Final = {
    "error": "unauthorized",
    "message": "Provide Authorization: Bearer <OPS_DASHBOARD_TOKEN> or x-dashboard-token",
}
_SHOWN = 300


class WorkerFlowFailure(Failure):
    """A WorkerFlow rule broken by a response; ``check_id`` names the kit check."""

    code = "ST990"
    kind_title = "WorkerFlow rule broken"

    def __init__(self, check_id: str, case: Case[Any], message: str) -> None:
        super().__init__(operation=case.operation.label, title=check_id, message=message, case_id=case.id)
        self.check_id = check_id

    @property
    def _unique_key(self) -> str:
        return f"{self.check_id}|{self.message}"


@dataclass(frozen=True)
class FuzzCheck:
    """One check of a fuzz run: kit id and level, the Schemathesis check name, and what it needs."""

    id: str
    level: Level
    name: str
    """The Schemathesis check name (its function's ``__name__``)."""
    title: str
    requires: tuple[Capability, ...] = ()

    @property
    def label(self) -> str:
        return check_label(self.id, self.level)


# ------------------------------------------------------------------------------------------ helpers


def document_of(case: Case[Any]) -> str:
    """``api`` or ``ops``: the active session's document, else read from the schema's title."""
    session = active()
    if session is not None:
        return session.document
    info = case.operation.schema.raw_schema.get("info", {})
    return "ops" if "ops-dashboard" in str(info.get("title", "")) else "api"


def _header(response: Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


def _request_header(response: Response, name: str) -> str | None:
    value = response.request.headers.get(name)
    return None if value is None else str(value)


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


def _shown(response_or_content: Response | bytes) -> str:
    content = response_or_content if isinstance(response_or_content, bytes) else response_or_content.content
    text = content.decode("utf-8", errors="replace")
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def _fail(check_id: str, case: Case[Any], message: str) -> Failure:
    return WorkerFlowFailure(check_id, case, message)


def _secured(case: Case[Any]) -> bool:
    """Whether the operation lists security requirements (then a configured token is enforced)."""
    security = case.operation.definition.raw.get("security")
    return bool(security)


# ------------------------------------------------------------------------------------------ WorkerFlow checks


@schemathesis.check
def workerflow_cors_origin_echoed(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every api answer carries the CORS headers, with the request's Origin echoed (``*`` without one)."""
    if document_of(case) != "api":
        return True
    missing = [name for name in CORS_HEADERS if _header(response, name) is None]
    if missing:
        raise _fail("openapi.cors-origin-echoed", case, f"{response.status_code} answer lacks {', '.join(missing)}")
    origin = _request_header(response, "origin")
    expected = origin if origin is not None and not js_is_blank(origin) else "*"
    actual = _header(response, "access-control-allow-origin") or ""
    # HTTP/1.1 strips optional whitespace around header values on the wire; compare what survives it.
    if actual.strip(" \t") != expected.strip(" \t"):
        raise _fail(
            "openapi.cors-origin-echoed",
            case,
            f"access-control-allow-origin is {actual!r}, expected {expected!r} (the request's Origin, else *)",
        )
    return None


@schemathesis.check
def workerflow_trace_id_echoed(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """An api answer that names a trace id names the request's ``x-trace-id`` (trimmed) when one was sent."""
    if document_of(case) != "api":
        return True
    sent = _request_header(response, "x-trace-id")
    body = _json(response.content)
    if sent is None or js_is_blank(sent) or not isinstance(body, dict) or "traceId" not in body:
        return True
    if body["traceId"] != js_trim(sent):
        raise _fail(
            "openapi.trace-id-echoed",
            case,
            f"traceId is {body['traceId']!r}, expected the request's x-trace-id {js_trim(sent)!r}",
        )
    return None


@schemathesis.check
def workerflow_error_shape(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every 4xx/5xx answer is a JSON object with a non-empty string ``error``; 401 and 405 have fixed bodies."""
    status = response.status_code
    if status < 400:
        return True
    document = document_of(case)
    body = _json(response.content)
    if not isinstance(body, dict) or not isinstance(body.get("error"), str) or not body["error"]:
        raise _fail(
            "openapi.error-shape",
            case,
            f"{status} answer is not a JSON object with a string 'error': {_shown(response)}",
        )
    fixed: dict[str, Any] | None = None
    if status == 401:
        fixed = API_UNAUTHORIZED if document == "api" else OPS_UNAUTHORIZED
    elif status == 405 and document == "api":
        fixed = {"error": "method not allowed"}
    if fixed is not None and body != fixed:
        raise _fail("openapi.error-shape", case, f"{status} body is {_shown(response)}, expected {json.dumps(fixed)}")
    if status == 401 and document == "ops" and (_header(response, "www-authenticate") or "").lower() != "bearer":
        raise _fail("openapi.error-shape", case, "ops 401 answer lacks 'www-authenticate: Bearer'")
    return None


@schemathesis.check
def workerflow_no_server_error(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """No generated input makes a worker answer 5xx (robustness beyond upstream).

    A sync route's ``sync execution failed`` answer is exempt: it relays the workflow's own non-2xx verdict (a
    handler error or missing configuration, as documented), not a crash on the input.
    """
    body = _json(response.content) if response.status_code >= 500 else None
    relayed = document_of(case) == "api" and isinstance(body, dict) and body.get("error") == "sync execution failed"
    if response.status_code >= 500 and not relayed:
        raise _fail(
            "openapi.no-server-error", case, f"{response.status_code} answer to a generated request: {_shown(response)}"
        )
    return None


@schemathesis.check
def workerflow_duplicate_is_202(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Sending an accepted api request again (same trace id) answers 202 with the duplicate shape, and starts nothing.

    Only a trace id the request chose is repeated: without one, or with a blank one ("blank means none"), the
    worker picks a fresh id, so the same request again is a new request, not a duplicate. Where the target can
    read D1, the id is stored once. Where it can drain the queue on a virtual clock (time moves only when told,
    so nothing else enqueues meanwhile), the queue is drained before the re-send and must have nothing to deliver
    after it: a duplicate that enqueued (or re-ran through the queue) a second task fails.
    """
    session = active()
    if session is None or session.document != "api" or case.method.upper() != "POST":
        return True
    if not session.target.has(Capability.WRITES_ALLOWED):
        return True
    body = _json(response.content)
    if not isinstance(body, dict) or body.get("duplicate") is True or not isinstance(body.get("traceId"), str):
        return True
    accepted = response.status_code == 202 and body.get("accepted") is True
    ran_sync = response.status_code == 200 and "result" in body
    sent = _request_header(response, "x-trace-id")
    # Without a client trace id the worker picks a fresh one, so sending the request again is a new request.
    chosen = sent is not None and not js_is_blank(sent) and js_trim(sent) == body["traceId"]
    if not (accepted or ran_sync) or not chosen or not session.take("duplicate", case.operation.label):
        return True
    trace_id = body["traceId"]
    expected: dict[str, Any] = {"accepted": True, "duplicate": True, "traceId": trace_id}
    if "scheduleId" in body:
        expected["scheduleId"] = body["scheduleId"]
    target = session.target
    counts_queue = target.has(Capability.DRAIN_QUEUE, Capability.CLOCK)
    if counts_queue:
        target.drain()  # the first request's task (and any other pending one) runs now
    again = session.resend()
    if again.status_code != 202 or _json(again.content) != expected:
        raise _fail(
            "openapi.duplicate-is-202",
            case,
            f"the same request again (trace id {trace_id!r}) answered {again.status_code} {_shown(again.content)}, "
            f"expected 202 {json.dumps(expected)}",
        )
    if target.has(Capability.INSPECT_DB):
        rows = target.query("SELECT COUNT(*) AS n FROM idempotency_keys WHERE trace_id = ?", trace_id)
        if rows and rows[0].get("n") != 1:
            raise _fail("openapi.duplicate-is-202", case, f"trace id {trace_id!r} stored {rows[0].get('n')} times")
    if counts_queue:
        batches = target.drain()
        if batches:
            raise _fail(
                "openapi.duplicate-is-202",
                case,
                f"the duplicate of trace id {trace_id!r} answered 202 duplicate but enqueued a second task: the queue, "
                f"empty before it was sent, delivered {batches} batch(es) after it",
            )
    return None


@schemathesis.check
def workerflow_auth_401(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """With a token configured, the same request without any credential answers 401 with the documented body."""
    session = active()
    if session is None or not session.token_configured or not _secured(case):
        return True
    if not session.take("auth", case.operation.label):
        return True
    again = session.resend(without_credentials=True)
    expected = API_UNAUTHORIZED if session.document == "api" else OPS_UNAUTHORIZED
    if again.status_code != 401 or _json(again.content) != expected:
        raise _fail(
            "openapi.auth-401",
            case,
            f"without credentials the request answered {again.status_code} {_shown(again.content)}, "
            f"expected 401 {json.dumps(expected)}",
        )
    return None


# ------------------------------------------------------------------------------------------ the table

_REQ = Level.REQUIRED

FUZZ_CHECKS: Final[tuple[FuzzCheck, ...]] = (
    FuzzCheck("openapi.response-schema", _REQ, "response_schema_conformance", "Bodies match the documented schema"),
    FuzzCheck("openapi.status-code", _REQ, "status_code_conformance", "Statuses are documented"),
    FuzzCheck("openapi.content-type", _REQ, "content_type_conformance", "Content types are documented"),
    FuzzCheck("openapi.response-headers", _REQ, "response_headers_conformance", "Documented headers are present"),
    FuzzCheck("openapi.positive-data-accepted", _REQ, "positive_data_acceptance", "Schema-valid requests are accepted"),
    FuzzCheck(
        "openapi.negative-data-rejected", _REQ, "negative_data_rejection", "Schema-invalid requests are rejected"
    ),
    FuzzCheck("openapi.cors-origin-echoed", _REQ, workerflow_cors_origin_echoed.__name__, "CORS, Origin echoed"),
    FuzzCheck("openapi.trace-id-echoed", _REQ, workerflow_trace_id_echoed.__name__, "x-trace-id echoed as traceId"),
    FuzzCheck("openapi.error-shape", _REQ, workerflow_error_shape.__name__, "Error bodies have their shape"),
    FuzzCheck(
        "openapi.duplicate-is-202",
        _REQ,
        workerflow_duplicate_is_202.__name__,
        "A repeated trace id answers the duplicate shape",
        (Capability.WRITES_ALLOWED,),
    ),
    FuzzCheck("openapi.auth-401", _REQ, workerflow_auth_401.__name__, "A missing token answers 401"),
    FuzzCheck(
        "openapi.no-server-error", Level.RECOMMENDED, workerflow_no_server_error.__name__, "No 5xx on generated input"
    ),
)
"""Every check of a fuzz run, in report order."""


def builtin_check(name: str) -> CheckFn:
    """The Schemathesis check function registered as ``name`` (built-in or one of the above)."""
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    for function in CHECKS.get_all():
        if getattr(function, "__name__", None) == name:
            found: CheckFn = function  # type: ignore[assignment]
            return found
    raise LookupError(f"Schemathesis has no check named {name!r}")
