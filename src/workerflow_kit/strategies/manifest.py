"""Manifest items: route paths, route and schedule definitions, whole manifests (spec 2.1, 2.2, 3.2)."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from workerflow_kit.contracts.models import Manifest, RouteDefinition, ScheduleDefinition
from workerflow_kit.strategies._draw import chance, compact, pick
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
    low = min_size
    # One choice per identifier: a lower-case letter is put in front when the text does not start with one.
    identifier = st.text(_IDENT_REST, min_size=low, max_size=upper).map(
        lambda text: text if text[:1] in _IDENT_FIRST or len(text) == upper else ("r" + text)[:upper]
    )
    known = [name for name in _KNOWN_NAMES if min_size <= len(name) <= upper]
    choices: list[SearchStrategy[str]] = [identifier, identifier, identifier]
    if known:
        choices.append(st.sampled_from(known))
    choices.append(st.text(_PCHAR, min_size=low, max_size=upper))
    choices.append(_percent_segments(low, upper))
    if not url_safe:
        unicode_text = st.text(
            st.characters(exclude_categories=["Cs"], exclude_characters="/"), min_size=low, max_size=upper
        )
        choices.append(unicode_text)
        choices.append(st.text("aZ0_ ?#%.\u00e9\u3000\U0001f600", min_size=low, max_size=upper))
    strategy = st.one_of(choices)
    if url_safe:
        strategy = strategy.filter(lambda segment: not _is_dot_segment(segment))
    return compact(strategy, "route_paths")


def _flow_paths() -> SearchStrategy[str]:
    return st.one_of(
        st.text(_IDENT_REST + "/", min_size=1, max_size=24).map("f/{}".format),
        st.sampled_from(["f/examples/webhook_echo", "f/example/ping", "flows/a"]),
        st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=24),
    )


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
    extras = _extra_fields(_ROUTE_KEYS) if extra_fields else st.just({})

    def build(route_path: str, request_type: str, flow_path: str, wrap: bool, extra: dict[str, Any]) -> RouteDefinition:
        _check_drawn("route_paths", route_path, str)
        _check_drawn("request_types", request_type, _REQUEST_TYPES)
        _check_drawn("flow_paths", flow_path, str)
        _check_drawn("wrap_body", wrap, bool)
        item = {"routePath": route_path, "requestType": request_type, "flowPath": flow_path, "wrapBody": wrap}
        return RouteDefinition.model_validate({**item, **extra})

    return compact(st.builds(build, paths, types, flows, wraps, extras), "route_definitions")


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
    from workerflow_kit.strategies.cron import cloudflare_crons

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
    extras = _extra_fields(_SCHEDULE_KEYS) if extra_fields else st.just({})

    def build(
        *, schedule_id: str, cron: str, is_enabled: bool, target: str, zone: str, extra: dict[str, Any]
    ) -> ScheduleDefinition:
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

    return compact(
        st.builds(
            build, schedule_id=ids, cron=cron_strings, is_enabled=flags, target=target_labels, zone=zones, extra=extras
        ),
        "schedule_definitions",
    )


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
    return compact(
        st.builds(
            lambda rs, ss: Manifest(mode="config", routes=tuple(rs), schedules=tuple(ss)), route_lists, schedule_lists
        ),
        "manifests",
    )


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
