"""Manifest items: route paths, route and schedule definitions, whole manifests (spec 2.1, 2.2, 3.2)."""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from workerflow_kit.contracts.models import Manifest, RouteDefinition, ScheduleDefinition
from workerflow_kit.strategies._draw import between, chance, pick
from workerflow_kit.strategies._validation import check_bool, check_size_range, check_strategy

__all__ = ["manifests", "route_definitions", "route_paths", "schedule_definitions"]

# Characters a URL path segment carries verbatim (RFC 3986 pchar without "%", which only starts "%XX").
_PCHAR = string.ascii_letters + string.digits + "-._~" + "!$&'()*+,;=" + ":@"
_IDENT_FIRST = string.ascii_lowercase
_IDENT_REST = string.ascii_lowercase + string.digits + "_"
_KNOWN_NAMES = (
    "webhook_echo",
    "chat_notify",
    "lead_normalizer",
    "example_ping",
    "Webhook_Echo",
    "WEBHOOK_ECHO",
    "webhook-echo",
    "webhook_echo_",
    "r",
    "dev",
    "cron",
    "api",
    "health",
    "API",
    "run-sync",
    "a",
    "0",
    "_",
    "-",
    "~",
    "x.y",
    "webhook%5Fecho",
    "%41",
    "caf%C3%A9",
)
# Dot segments, including their percent-encoded spellings, are removed by URL normalisation.
_DOT_SEGMENTS = frozenset({".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"})
_REQUEST_TYPES = ("async", "sync")
_TIME_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Etc/GMT+12")


def _is_dot_segment(segment: str) -> bool:
    return segment.lower() in _DOT_SEGMENTS


def _with_escapes(segment: str, escapes: list[tuple[int, int]]) -> str:
    """Replace 3-character windows by ``%XX`` escapes, keeping the length."""
    for position, byte in escapes:
        if len(segment) >= 3:
            start = position % (len(segment) - 2)
            segment = f"{segment[:start]}%{byte:02X}{segment[start + 3 :]}"
    return segment


def _percent_segments(min_size: int, max_size: int) -> SearchStrategy[str]:
    """Segments mixing pchar with ``%XX`` escapes."""
    escapes = st.tuples(st.integers(0, 1000), st.integers(0, 255)).map(lambda escape: [escape])
    return st.builds(_with_escapes, st.text(_PCHAR, min_size=min_size, max_size=max_size), escapes)


def route_paths(*, min_size: int = 1, max_size: int | None = 40, url_safe: bool = False) -> SearchStrategy[str]:
    """Single path segments usable as a ``routePath`` (or a schedule id): never empty, never containing ``/``.

    Mostly identifier-like (``lead_normalizer``), sometimes the built-in names and their case variants, RFC 3986
    punctuation, ``%XX`` escapes (matched *without* decoding, spec 2.1) and, unless ``url_safe``, arbitrary
    Unicode, spaces, ``?``, ``#``, stray ``%`` and dot segments. ``health`` can come up: ``POST /api/health``
    is answered by the health check, so filter it out where a route must be reachable.

    With ``url_safe=True`` every segment travels verbatim in a URL path, so ``POST /api/<segment>`` reaches the
    API worker with exactly that segment: only RFC 3986 path characters and valid ``%XX`` escapes, and no dot
    segments (``.``, ``..``, ``%2e``) that URL normalisation would remove. Lengths count code points.
    """
    check_size_range("min_size", min_size, "max_size", max_size, floor=1)
    check_bool("url_safe", url_safe)
    upper = max(40, min_size) if max_size is None else max_size
    return st.composite(_segment_drawer(min_size, upper, url_safe))()


def _segment_drawer(low: int, upper: int, url_safe: bool) -> Callable[[st.DrawFn], str]:
    """The function that draws one :func:`route_paths` segment, for a composite or to call inline."""
    identifier = st.text(_IDENT_REST, min_size=low, max_size=upper)
    known = tuple(name for name in _KNOWN_NAMES if low <= len(name) <= upper)
    others: list[SearchStrategy[str]] = [st.text(_PCHAR, min_size=low, max_size=upper), _percent_segments(low, upper)]
    if not url_safe:
        unicode_text = st.text(
            st.characters(exclude_categories=["Cs"], exclude_characters="/"), min_size=low, max_size=upper
        )
        others.append(unicode_text)
        others.append(st.text("aZ0_ ?#%.\u00e9\u3000\U0001f600", min_size=low, max_size=upper))
    # Identifiers three times in 4 + len(others), a known name once (its index folded into the same choice),
    # each other kind once: one choice picks the kind (and the known name), where one_of over strategies cost
    # a nested draw more per segment.
    kinds = 3 + (1 if known else 0) + len(others)

    def draw_segment(draw: st.DrawFn) -> str:
        for _ in range(3):  # as .filter() does: a few tries, then the example is rejected
            choice = draw(between(0, kinds * max(1, len(known)) - 1))
            kind, index = divmod(choice, max(1, len(known)))
            if kind < 3:
                # A lower-case letter is put in front when the text does not start with one.
                text = draw(identifier)
                segment = text if text[:1] in _IDENT_FIRST or len(text) == upper else ("r" + text)[:upper]
            elif known and kind == 3:
                segment = known[index]
            else:
                segment = draw(others[kind - 3 - (1 if known else 0)])
            if not (url_safe and _is_dot_segment(segment)):
                return segment
        reject()

    draw_segment.__name__ = draw_segment.__qualname__ = "route_paths"
    return draw_segment


_FLOW_LABELS = ("f/examples/webhook_echo", "f/example/ping", "flows/a")
_FLOW_TEXT = st.text(_IDENT_REST + "/", min_size=1, max_size=24)
_ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=24)


def _draw_flow_path(draw: st.DrawFn) -> str:
    """``f/<identifier-ish path>``, a known label or any text, a third each (one choice picks the label too)."""
    kind, index = divmod(draw(between(0, 3 * len(_FLOW_LABELS) - 1)), len(_FLOW_LABELS))
    if kind == 0:
        return "f/" + draw(_FLOW_TEXT)
    return _FLOW_LABELS[index] if kind == 1 else draw(_ANY_TEXT)


def _flow_paths() -> SearchStrategy[str]:
    return st.composite(_draw_flow_path)()


_DEFAULT_SEGMENT = _segment_drawer(1, 40, False)


def _drawer(strategy: SearchStrategy[str] | None, default: Callable[[st.DrawFn], str]) -> Callable[[st.DrawFn], str]:
    """The default part is drawn inline, in the item's own composite (one nested draw less per part than
    drawing a composite strategy); a user's strategy is drawn as it is."""
    if strategy is None:
        return default
    return lambda draw: draw(strategy)


def _extra_fields(reserved: frozenset[str]) -> SearchStrategy[dict[str, Any]]:
    keys = st.text(string.ascii_letters + "_", min_size=1, max_size=12).filter(lambda key: key not in reserved)
    values = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=10))
    return st.dictionaries(keys, values, min_size=1, max_size=3)


def _check_drawn(name: str, value: object, expected: type | tuple[str, ...]) -> None:
    """A value drawn from a user's strategy must fit the field it fills."""
    if isinstance(expected, tuple):
        ok = isinstance(value, str) and value in expected
        wanted = " or ".join(repr(choice) for choice in expected)
    else:
        ok = isinstance(value, expected)
        wanted = f"a {expected.__name__}"
    if not ok:
        raise InvalidArgument(f"the {name} strategy produced {value!r}, expected {wanted}")


_ROUTE_KEYS = frozenset({"routePath", "requestType", "flowPath", "wrapBody"})
_SCHEDULE_KEYS = frozenset({"id", "cron", "enabled", "target", "timeZone"})


def route_definitions(
    *,
    route_paths: SearchStrategy[str] | None = None,
    request_types: SearchStrategy[str] | None = None,
    flow_paths: SearchStrategy[str] | None = None,
    wrap_body: SearchStrategy[bool] | None = None,
    extra_fields: bool = False,
) -> SearchStrategy[RouteDefinition]:
    """:class:`~workerflow_kit.contracts.models.RouteDefinition` items valid for ``routes.config.schema.json``.

    Every part is a strategy you may replace: ``route_paths`` (default :func:`route_paths`), ``request_types``
    (``"async"``/``"sync"``), ``flow_paths`` (non-empty labels such as ``f/examples/x``) and ``wrap_body``
    (booleans). ``extra_fields=True`` adds unknown keys, which the runtime keeps and echoes (spec 3.2) but the
    schema rejects. ``as_json()`` gives the item in the spec's key order.
    """
    paths = _route_paths_default() if route_paths is None else route_paths
    types = st.sampled_from(_REQUEST_TYPES) if request_types is None else request_types
    flows = _flow_paths() if flow_paths is None else flow_paths
    wraps = st.booleans() if wrap_body is None else wrap_body
    for name, value in (("route_paths", paths), ("request_types", types), ("flow_paths", flows), ("wrap_body", wraps)):
        check_strategy(name, value)
    check_bool("extra_fields", extra_fields)
    extras = _extra_fields(_ROUTE_KEYS)
    # The default type and wrapBody come from one choice (4 pairs): fewer draws per item, the same pairs.
    type_and_wrap = between(0, 3) if request_types is None and wrap_body is None else None

    draw_path = _drawer(route_paths, _DEFAULT_SEGMENT)
    draw_flow = _drawer(flow_paths, _draw_flow_path)

    # A named composite rather than builds() inside compact(): the same draws, fewer nested ones per item.
    def route_definitions(draw: st.DrawFn) -> RouteDefinition:
        route_path = draw_path(draw)
        if type_and_wrap is None:
            request_type, flow_path, wrap = draw(types), draw_flow(draw), draw(wraps)
        else:
            pair = draw(type_and_wrap)
            request_type, flow_path, wrap = _REQUEST_TYPES[pair // 2], draw_flow(draw), pair % 2 == 1
        _check_drawn("route_paths", route_path, str)
        _check_drawn("request_types", request_type, _REQUEST_TYPES)
        _check_drawn("flow_paths", flow_path, str)
        _check_drawn("wrap_body", wrap, bool)
        item = {"routePath": route_path, "requestType": request_type, "flowPath": flow_path, "wrapBody": wrap}
        return RouteDefinition.model_validate({**item, **draw(extras)} if extra_fields else item)

    return st.composite(route_definitions)()


def _route_paths_default() -> SearchStrategy[str]:
    return route_paths()


def schedule_definitions(
    *,
    schedule_ids: SearchStrategy[str] | None = None,
    crons: SearchStrategy[str] | None = None,
    enabled: SearchStrategy[bool] | None = None,
    targets: SearchStrategy[str] | None = None,
    time_zones: SearchStrategy[str] | None = None,
    extra_fields: bool = False,
) -> SearchStrategy[ScheduleDefinition]:
    """:class:`~workerflow_kit.contracts.models.ScheduleDefinition` items valid for
    ``schedules.config.schema.json``.

    Replaceable parts: ``schedule_ids`` (default :func:`route_paths`, since ids appear as a URL segment in
    ``/api/dev/cron/{id}``), ``crons`` (default :func:`~workerflow_kit.strategies.cloudflare_crons`; the
    runtime itself never parses cron strings, spec 3.2), ``enabled`` (booleans), ``targets`` and
    ``time_zones`` (IANA names). ``extra_fields`` as in :func:`route_definitions`.
    """
    from workerflow_kit.strategies.cron import _draw_valid, cloudflare_crons

    ids = _route_paths_default() if schedule_ids is None else schedule_ids
    cron_strings = cloudflare_crons() if crons is None else crons
    flags = st.booleans() if enabled is None else enabled
    target_labels = _flow_paths() if targets is None else targets
    zones = st.sampled_from(_TIME_ZONES) if time_zones is None else time_zones
    for name, value in (
        ("schedule_ids", ids),
        ("crons", cron_strings),
        ("enabled", flags),
        ("targets", target_labels),
        ("time_zones", zones),
    ):
        check_strategy(name, value)
    check_bool("extra_fields", extra_fields)
    extras = _extra_fields(_SCHEDULE_KEYS)
    # As in route_definitions: the default enabled flag and time zone come from one choice (12 pairs).
    flag_and_zone = between(0, 2 * len(_TIME_ZONES) - 1) if enabled is None and time_zones is None else None

    draw_id = _drawer(schedule_ids, _DEFAULT_SEGMENT)
    draw_cron = _drawer(crons, _draw_valid)
    draw_target = _drawer(targets, _draw_flow_path)

    def schedule_definitions(draw: st.DrawFn) -> ScheduleDefinition:
        schedule_id, cron = draw_id(draw), draw_cron(draw)
        if flag_and_zone is None:
            is_enabled, target, zone = draw(flags), draw_target(draw), draw(zones)
        else:
            pair = draw(flag_and_zone)
            is_enabled, target, zone = pair % 2 == 0, draw_target(draw), _TIME_ZONES[pair // 2]
        extra = draw(extras) if extra_fields else {}
        for name, value, kind in (
            ("schedule_ids", schedule_id, str),
            ("crons", cron, str),
            ("enabled", is_enabled, bool),
            ("targets", target, str),
            ("time_zones", zone, str),
        ):
            _check_drawn(name, value, kind)
        item = {"id": schedule_id, "cron": cron, "enabled": is_enabled, "target": target, "timeZone": zone}
        return ScheduleDefinition.model_validate({**item, **extra})

    return st.composite(schedule_definitions)()


def manifests(
    *,
    min_routes: int = 0,
    max_routes: int | None = 5,
    min_schedules: int = 0,
    max_schedules: int | None = 5,
    unique_ids: bool = True,
    routes: SearchStrategy[RouteDefinition] | None = None,
    schedules: SearchStrategy[ScheduleDefinition] | None = None,
) -> SearchStrategy[Manifest]:
    """Config-mode :class:`~workerflow_kit.contracts.models.Manifest` objects.

    ``unique_ids=True`` keeps route paths and schedule ids unique within their list. With ``unique_ids=False``
    repeats are deliberately common, to exercise "the first match wins" (spec 3.3). ``routes`` / ``schedules``
    replace the item strategies (:func:`route_definitions`, :func:`schedule_definitions`).
    """
    check_size_range("min_routes", min_routes, "max_routes", max_routes)
    check_size_range("min_schedules", min_schedules, "max_schedules", max_schedules)
    check_bool("unique_ids", unique_ids)
    route_items = route_definitions() if routes is None else routes
    schedule_items = schedule_definitions() if schedules is None else schedules
    check_strategy("routes", route_items)
    check_strategy("schedules", schedule_items)
    if unique_ids:
        route_lists = st.lists(route_items, min_size=min_routes, max_size=max_routes, unique_by=lambda r: r.routePath)
        schedule_lists = st.lists(
            schedule_items, min_size=min_schedules, max_size=max_schedules, unique_by=lambda s: s.id
        )
    else:
        route_lists = _with_repeats(route_items, min_routes, max_routes, "routePath")
        schedule_lists = _with_repeats(schedule_items, min_schedules, max_schedules, "id")

    def manifests(draw: st.DrawFn) -> Manifest:
        return Manifest(mode="config", routes=tuple(draw(route_lists)), schedules=tuple(draw(schedule_lists)))

    return st.composite(manifests)()


def _with_repeats(
    items: SearchStrategy[Any], min_size: int, max_size: int | None, key: str
) -> SearchStrategy[list[Any]]:
    """Lists where later items often reuse the key of an earlier one (same id, other fields differ)."""

    @st.composite
    def build(draw: st.DrawFn) -> list[Any]:
        drawn = draw(st.lists(items, min_size=min_size, max_size=max_size))
        out: list[Any] = []
        for drawn_item in drawn:
            item = drawn_item
            if out and chance(draw, 3):
                earlier = pick(draw, out)
                data = item.as_json()
                data[key] = getattr(earlier, key)
                item = type(item).model_validate(data)
            out.append(item)
        return out

    return build()
