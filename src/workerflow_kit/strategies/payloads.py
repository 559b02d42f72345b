"""Request bodies and queue tasks: JSON values that survive a JavaScript round trip, raw texts, QueueTask dicts."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from workerflow_kit.strategies._draw import compact
from workerflow_kit.strategies._validation import check_bool, check_choice, check_int, check_size_range, check_strategy

__all__ = ["iso_timestamps", "json_payloads", "queue_tasks", "text_payloads"]

_MAX_SAFE = 2**53
# Strings a JSON body may hold: any code point but a lone surrogate (a UTF-8 body cannot carry one).
_CHARS = st.characters(exclude_categories=["Cs"])
_TRICKY_STRINGS = (
    "",
    " ",
    "\u00e9",
    "e\u0301",
    "\U0001f600",
    "\U0001d11e",
    "\u2028\u2029",
    "\ufeff",
    "\x00",
    "\\",
    '"',
    "</script>",
    "__proto__",
    "constructor",
    "null",
    "1e400",
)
_TRICKY_KEYS = ("", "0", "1", "10", "__proto__", "a b", "\U0001f600", "toString", "-1", "01")


def _json_strings() -> SearchStrategy[str]:
    return st.one_of(st.text(_CHARS, max_size=20), st.sampled_from(_TRICKY_STRINGS))


def _json_leaves() -> SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-_MAX_SAFE, _MAX_SAFE),
        st.sampled_from((0, -1, _MAX_SAFE, -_MAX_SAFE, 2**31, -(2**31) - 1)),
        st.floats(allow_nan=False, allow_infinity=False),
        _json_strings(),
    )


def json_payloads(*, max_leaves: int = 20) -> SearchStrategy[Any]:
    """JSON values that come back equal after ``JSON.stringify`` then ``JSON.parse`` in JavaScript (and through
    :func:`~workerflow_kit.jscompat.json.js_json_stringify` / :func:`~workerflow_kit.jscompat.json.js_json_parse`).

    ``None``, booleans, integers within ``±2**53``, finite floats (``-0.0`` comes back as ``0`` and ``2.0`` as
    ``2``, which compare equal), strings with any code point except lone surrogates (astral characters, BOM,
    NUL and ``U+2028`` included), and lists and objects nesting them, with at most ``max_leaves`` scalars.
    Object keys include array-index keys such as ``"0"``, which JavaScript moves to the front: compare parsed
    objects as mappings, not by key order.
    """
    check_int("max_leaves", max_leaves, min_value=1)
    keys = st.one_of(st.text(_CHARS, max_size=10), st.sampled_from(_TRICKY_KEYS))
    return compact(
        st.recursive(
            _json_leaves(),
            lambda children: st.one_of(
                st.lists(children, max_size=5),
                st.dictionaries(keys, children, max_size=5),
            ),
            max_leaves=max_leaves,
        ),
        "json_payloads",
    )


def text_payloads(*, min_size: int = 0, max_size: int | None = 200) -> SearchStrategy[str]:
    """Raw request bodies for a non-JSON ``content-type`` (spec 4.5: the body is used as text, possibly ``""``).

    Any text that UTF-8 can carry (no lone surrogates): empty, blank, line breaks, astral characters, and texts
    that look like JSON or almost do (``{"a":1}``, ``{not-json}``), which stay strings without a JSON type.
    """
    check_size_range("min_size", min_size, "max_size", max_size)
    looks_like_json = st.sampled_from(('{"a":1}', "[1,2]", "{not-json}", "null", '"x"', "", " ", "\r\n", "\ufeff{}"))
    sized = looks_like_json.filter(lambda t: min_size <= len(t) <= (max_size if max_size is not None else len(t)))
    return st.one_of(st.text(_CHARS, min_size=min_size, max_size=max_size), sized)


_EPOCH_2000_MS = 946_684_800_000
_EPOCH_2100_MS = 4_102_444_800_000


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def iso_timestamps() -> SearchStrategy[str]:
    """``Date.prototype.toISOString()`` strings (``2026-02-28T12:00:00.000Z``) between 2000 and 2100, UTC."""
    return st.integers(_EPOCH_2000_MS, _EPOCH_2100_MS).map(_iso)


_TASK_KEYS = frozenset({"kind", "traceId", "routePath", "scheduleId", "payload", "enqueuedAt"})


def _is_array_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and (key == "0" or not key.startswith("0"))


def _extra_task_fields() -> SearchStrategy[dict[str, Any]]:
    keys = st.one_of(
        st.sampled_from(("workspace", "attempt", "source", "_meta", "replayOf")),
        st.text(string.ascii_letters + "_$\u00e9", min_size=1, max_size=10),
    ).filter(lambda key: key not in _TASK_KEYS and not _is_array_index(key))
    return st.dictionaries(keys, json_payloads(max_leaves=4), min_size=1, max_size=3)


def _schedule_payloads() -> SearchStrategy[dict[str, Any]]:
    from workerflow_kit.strategies.cron import cloudflare_crons

    def build(target: str, cron: str, zone: str, when: str, trigger: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"target": target, "cron": cron, "timeZone": zone, "scheduledTime": when}
        if trigger is not None:
            payload["trigger"] = trigger
        return payload

    return st.builds(
        build,
        st.sampled_from(("f/examples/heartbeat_hourly", "f/examples/cleanup_daily", "f/example/daily")),
        cloudflare_crons(),
        st.sampled_from(("UTC", "Europe/Berlin")),
        iso_timestamps(),
        st.sampled_from((None, "manual_api", "manual_ops_dashboard")),
    )


def queue_tasks(
    *,
    kind: Literal["http_route", "scheduled_job"] | None = None,
    trace_ids: SearchStrategy[str] | None = None,
    route_paths: SearchStrategy[str] | None = None,
    schedule_ids: SearchStrategy[str] | None = None,
    payloads: SearchStrategy[Any] | None = None,
    extra_fields: bool = True,
) -> SearchStrategy[dict[str, Any]]:
    """QueueTask dicts (spec 2.3) that validate against ``queue-task.schema.json``, keys in upstream's order.

    Route tasks are ``{kind, traceId, routePath, payload, enqueuedAt}``, schedule tasks
    ``{kind, traceId, scheduleId, payload, enqueuedAt}``; ``kind=None`` gives both. Route payloads come from
    ``payloads`` (default :func:`json_payloads`), sometimes wrapped as ``{"body": ...}``; schedule payloads are
    the ``{target, cron, timeZone, scheduledTime[, trigger]}`` object the producers build. ``trace_ids`` are
    effective ids (non-blank, trimmed; default UUIDs and trimmed :func:`~workerflow_kit.strategies.trace_ids`).
    With ``extra_fields=True`` some tasks end with unknown fields, which replays copy verbatim; their names are
    never array indexes, so the key order survives a JavaScript round trip.
    """
    from workerflow_kit.strategies.http import trace_ids as raw_trace_ids
    from workerflow_kit.strategies.manifest import route_paths as segments

    check_choice("kind", kind, (None, "http_route", "scheduled_job"))
    check_bool("extra_fields", extra_fields)
    ids = (
        st.one_of(st.uuids().map(str), raw_trace_ids(allow_blank=False, wire_safe=True))
        if trace_ids is None
        else trace_ids
    )
    routes = segments() if route_paths is None else route_paths
    schedules = segments() if schedule_ids is None else schedule_ids
    bodies = json_payloads() if payloads is None else payloads
    for name, value in (("trace_ids", ids), ("route_paths", routes), ("schedule_ids", schedules), ("payloads", bodies)):
        check_strategy(name, value)
    extras = st.one_of(st.just({}), _extra_task_fields()) if extra_fields else st.just({})
    route_payloads = st.one_of(bodies, st.builds(lambda body: {"body": body}, bodies))

    def build(
        *, task_kind: str, trace_id: str, name: str, payload: Any, when: str, extra: dict[str, Any]
    ) -> dict[str, Any]:
        for label, value in (("trace_ids", trace_id), (f"{task_kind} names", name)):
            if not isinstance(value, str) or value == "":
                raise InvalidArgument(f"the {label} strategy produced {value!r}, expected a non-empty string")
        key = "routePath" if task_kind == "http_route" else "scheduleId"
        return {"kind": task_kind, "traceId": trace_id, key: name, "payload": payload, "enqueuedAt": when, **extra}

    def of_kind(task_kind: str, names: SearchStrategy[str], task_payloads: SearchStrategy[Any]) -> SearchStrategy[Any]:
        return st.builds(
            build,
            task_kind=st.just(task_kind),
            trace_id=ids,
            name=names,
            payload=task_payloads,
            when=iso_timestamps(),
            extra=extras,
        )

    strategies: list[SearchStrategy[dict[str, Any]]] = []
    if kind in (None, "http_route"):
        strategies.append(of_kind("http_route", routes, route_payloads))
    if kind in (None, "scheduled_job"):
        strategies.append(of_kind("scheduled_job", schedules, _schedule_payloads()))
    return compact(st.one_of(strategies), "queue_tasks")
