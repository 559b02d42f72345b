"""Request bodies and queue tasks: JSON values that survive a JavaScript round trip, raw texts, QueueTask dicts."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from workerflow_kit.strategies._draw import between, pick
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


_STRING_TEXT = st.text(_CHARS, max_size=20)
_KEY_TEXT = st.text(_CHARS, max_size=10)
_SAFE_INTEGERS = st.integers(-_MAX_SAFE, _MAX_SAFE)
_EDGE_INTEGERS = (0, -1, _MAX_SAFE, -_MAX_SAFE, 2**31, -(2**31) - 1)
_FINITE_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_MAX_DEPTH = 5
"""Containers nest at most this deep (``st.recursive`` with 20 leaves nested about as deep)."""
_MAX_ITEMS = 5


_LEAF_CONSTANTS: tuple[Any, ...] = (None, False, True, *_EDGE_INTEGERS, *_TRICKY_STRINGS)
_LEAF_DRAWN = (_SAFE_INTEGERS, _FINITE_FLOATS, _STRING_TEXT, _STRING_TEXT)
_LEAF_KINDS = len(_LEAF_CONSTANTS) + len(_LEAF_DRAWN) * -(-len(_LEAF_CONSTANTS) // len(_LEAF_DRAWN))
_KEYS = len(_TRICKY_KEYS) * 2


def _json_leaf(draw: st.DrawFn) -> Any:
    # One choice picks a constant (None first, the simplest leaf) or, past them, a strategy to draw from: fewer
    # choices per leaf than one_of over strategies. The drawn kinds take about half the weight.
    kind = draw(between(0, _LEAF_KINDS - 1))
    if kind < len(_LEAF_CONSTANTS):
        return _LEAF_CONSTANTS[kind]
    return draw(_LEAF_DRAWN[(kind - len(_LEAF_CONSTANTS)) % len(_LEAF_DRAWN)])


def _json_key(draw: st.DrawFn) -> str:
    index = draw(between(0, _KEYS - 1))  # a tricky key, or (the second half) any text
    return _TRICKY_KEYS[index] if index < len(_TRICKY_KEYS) else draw(_KEY_TEXT)


def _json_value(draw: st.DrawFn, leaves_left: list[int], depth: int) -> Any:
    """A leaf, list or object; ``leaves_left[0]`` is the budget of scalars, shared with the caller."""
    # 0 and anything above 2 is a leaf, so deeper levels hold more leaves; shrinks towards a leaf.
    shape = draw(between(0, 2 + depth)) if depth < _MAX_DEPTH else 0
    if shape == 0 or shape > 2:
        leaves_left[0] -= 1
        return _json_leaf(draw)
    size = draw(between(0, _MAX_ITEMS))
    if shape == 1:
        items: list[Any] = []
        while len(items) < size and leaves_left[0] > 0:
            items.append(_json_value(draw, leaves_left, depth + 1))
        return items
    fields: dict[str, Any] = {}
    for _ in range(size):
        if leaves_left[0] <= 0:
            break
        fields[_json_key(draw)] = _json_value(draw, leaves_left, depth + 1)
    return fields


_DEFAULT_LEAVES = 20


def json_payloads(*, max_leaves: int = _DEFAULT_LEAVES) -> SearchStrategy[Any]:
    """JSON values that come back equal after ``JSON.stringify`` then ``JSON.parse`` in JavaScript (and through
    :func:`~workerflow_kit.jscompat.json.js_json_stringify` / :func:`~workerflow_kit.jscompat.json.js_json_parse`).

    ``None``, booleans, integers within ``±2**53``, finite floats (``-0.0`` comes back as ``0`` and ``2.0`` as
    ``2``, which compare equal), strings with any code point except lone surrogates (astral characters, BOM,
    NUL and ``U+2028`` included), and lists and objects nesting them, with at most ``max_leaves`` scalars.
    Object keys include array-index keys such as ``"0"``, which JavaScript moves to the front: compare parsed
    objects as mappings, not by key order.
    """
    check_int("max_leaves", max_leaves, min_value=1)
    # One composite with a shared leaf budget rather than st.recursive: the recursive strategy's nested one_of
    # levels cost a span each per value and its leaf cap rejects whole examples, which made it the slowest part.

    def draw_json(draw: st.DrawFn) -> Any:
        return _json_value(draw, [max_leaves], 0)

    draw_json.__name__ = draw_json.__qualname__ = "json_payloads"
    return st.composite(draw_json)()


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
    return _ISO_TIMESTAMPS.map(_iso)


_TASK_KEYS = frozenset({"kind", "traceId", "routePath", "scheduleId", "payload", "enqueuedAt"})


def _is_array_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and (key == "0" or not key.startswith("0"))


def _extra_task_fields() -> SearchStrategy[dict[str, Any]]:
    keys = st.one_of(
        st.sampled_from(("workspace", "attempt", "source", "_meta", "replayOf")),
        st.text(string.ascii_letters + "_$\u00e9", min_size=1, max_size=10),
    ).filter(lambda key: key not in _TASK_KEYS and not _is_array_index(key))
    return st.dictionaries(keys, json_payloads(max_leaves=4), min_size=1, max_size=3)


_SCHEDULE_TARGETS = ("f/examples/heartbeat_hourly", "f/examples/cleanup_daily", "f/example/daily")
_SCHEDULE_ZONES = ("UTC", "Europe/Berlin")
_TRIGGERS = (None, "manual_api", "manual_ops_dashboard")
_ISO_TIMESTAMPS = st.integers(_EPOCH_2000_MS, _EPOCH_2100_MS)


def _draw_schedule_payload(draw: st.DrawFn) -> dict[str, Any]:
    """The ``{target, cron, timeZone, scheduledTime[, trigger]}`` object the producers build."""
    from workerflow_kit.strategies.cron import _draw_valid

    target, cron, zone = pick(draw, _SCHEDULE_TARGETS), _draw_valid(draw), pick(draw, _SCHEDULE_ZONES)
    payload: dict[str, Any] = {"target": target, "cron": cron, "timeZone": zone}
    payload["scheduledTime"] = _iso(draw(_ISO_TIMESTAMPS))
    trigger = pick(draw, _TRIGGERS)
    if trigger is not None:
        payload["trigger"] = trigger
    return payload


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
    from workerflow_kit.strategies.manifest import _DEFAULT_SEGMENT, _drawer
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
    extras = _extra_task_fields()
    kinds = ("http_route", "scheduled_job") if kind is None else (kind,)
    # One composite drawing the default parts inline (route and schedule names, JSON bodies, schedule payloads):
    # the builds/one_of tree it replaces cost a nested draw per part, which made tasks one of the slowest.
    draw_route = _drawer(route_paths, _DEFAULT_SEGMENT)
    draw_schedule = _drawer(schedule_ids, _DEFAULT_SEGMENT)

    def draw_body(draw: st.DrawFn) -> Any:
        return _json_value(draw, [_DEFAULT_LEAVES], 0) if payloads is None else draw(bodies)

    def queue_tasks(draw: st.DrawFn) -> dict[str, Any]:
        task_kind = pick(draw, kinds)
        trace_id = draw(ids)
        if task_kind == "http_route":
            key, name = "routePath", draw_route(draw)
            payload = draw_body(draw) if draw(between(0, 1)) == 0 else {"body": draw_body(draw)}
        else:
            key, name = "scheduleId", draw_schedule(draw)
            payload = _draw_schedule_payload(draw)
        for label, value in (("trace_ids", trace_id), (f"{task_kind} names", name)):
            if not isinstance(value, str) or value == "":
                raise InvalidArgument(f"the {label} strategy produced {value!r}, expected a non-empty string")
        task = {"kind": task_kind, "traceId": trace_id, key: name, "payload": payload}
        task["enqueuedAt"] = _iso(draw(_ISO_TIMESTAMPS))
        if extra_fields and draw(between(0, 1)) == 1:
            task.update(draw(extras))
        return task

    return st.composite(queue_tasks)()
