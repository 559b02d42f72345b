"""Runtime manifest resolution (spec 3.1-3.3): which routes and schedules a worker serves, from its env.

Env values are whatever a Workers env holds, so they need not be strings. Upstream's handling, which this
module reproduces:

* ``MANIFEST_MODE``: unset or ``None`` means legacy; a string is trimmed (JS set) and lowercased; any other
  value (a number, ``False``, a binding object) makes upstream call a missing ``trim`` method and crash with
  a JS ``TypeError``. Here that is :class:`ManifestValueTypeError`.
* ``ROUTES_CONFIG_JSON`` / ``SCHEDULES_CONFIG_JSON`` (read in config mode only): a JS-falsy value (unset,
  ``None``, ``False``, ``0``, ``NaN``, ``""``) or a blank string falls back to the built-in list; another
  non-string value crashes upstream the same way (:class:`ManifestValueTypeError`); a string goes through
  ``JSON.parse`` and the item checks, giving one of the three upstream messages as a :class:`ManifestError`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Final, TypeVar

from workerflow_kit.contracts import models as _models
from workerflow_kit.contracts.models import (
    Manifest,
    ManifestMode,
    RouteDefinition,
    ScheduleDefinition,
    is_route_item,
    is_schedule_item,
    parse_js_json,
)
from workerflow_kit.errors import ContractError
from workerflow_kit.jscompat.json import JsSyntaxError
from workerflow_kit.jscompat.strings import js_is_blank, js_lower, js_trim
from workerflow_kit.jscompat.values import js_truthy

__all__ = [
    "MODE_VAR",
    "ROUTES_VAR",
    "SCHEDULES_VAR",
    "ManifestError",
    "ManifestValueTypeError",
    "clear_manifest_cache",
    "find_enabled_schedule",
    "find_route",
    "find_schedule",
    "manifest_mode",
    "resolve_manifest",
]

MODE_VAR = "MANIFEST_MODE"
ROUTES_VAR = "ROUTES_CONFIG_JSON"
SCHEDULES_VAR = "SCHEDULES_CONFIG_JSON"

_T = TypeVar("_T", RouteDefinition, ScheduleDefinition)


class ManifestError(ContractError):
    """Manifest resolution failed. ``str(error)`` is upstream's exact text, e.g.
    ``ROUTES_CONFIG_JSON has invalid item at index 2``; ``variable`` names the env var at fault."""

    def __init__(self, message: str, *, variable: str) -> None:
        self.variable = variable
        super().__init__(message)


class ManifestValueTypeError(ManifestError):
    """A manifest variable held a non-string value that upstream cannot ``trim`` (upstream throws a JS
    ``TypeError`` rather than one of its three messages; a worker answers 500 either way)."""


def _type_error(variable: str, value: object) -> ManifestValueTypeError:
    return ManifestValueTypeError(
        f"{variable} is not a string (got {type(value).__name__}); upstream fails with a TypeError",
        variable=variable,
    )


def manifest_mode(env: Mapping[str, object]) -> ManifestMode:
    """Spec 3.1: ``"config"`` when ``MANIFEST_MODE``, JS-trimmed and lowercased, is ``config``, else
    ``"legacy"``."""
    raw = env.get(MODE_VAR)
    if raw is None:
        return "legacy"
    if not isinstance(raw, str):
        raise _type_error(MODE_VAR, raw)
    return "config" if js_lower(js_trim(raw)) == "config" else "legacy"


def _parse_list(
    env: Mapping[str, object],
    variable: str,
    fallback: Sequence[_T],
    check: Callable[[object], bool],
    model: type[_T],
) -> tuple[_T, ...]:
    raw = env.get(variable)
    if not js_truthy(raw):
        return tuple(fallback)
    if not isinstance(raw, str):
        raise _type_error(variable, raw)
    if js_is_blank(raw):
        return tuple(fallback)
    try:
        parsed = parse_js_json(raw)
    except JsSyntaxError as exc:
        raise ManifestError(f"{variable} is not valid JSON: {exc}", variable=variable) from None
    if not isinstance(parsed, list):
        raise ManifestError(f"{variable} must be a JSON array", variable=variable)
    for index, item in enumerate(parsed):
        if not check(item):
            raise ManifestError(f"{variable} has invalid item at index {index}", variable=variable)
    return tuple(model.model_validate(item) for item in parsed)


def resolve_manifest(
    env: Mapping[str, object],
    *,
    builtin_routes: Sequence[RouteDefinition] | None = None,
    builtin_schedules: Sequence[ScheduleDefinition] | None = None,
) -> Manifest:
    """Resolve the manifest a worker with this ``env`` serves (spec 3.1-3.2).

    Legacy mode uses the built-in lists and ignores the ``*_CONFIG_JSON`` variables. Config mode parses
    ``ROUTES_CONFIG_JSON`` first, then ``SCHEDULES_CONFIG_JSON``, each falling back to its built-in list when
    unset or blank; so a broken routes variable hides a broken schedules variable. ``builtin_routes`` /
    ``builtin_schedules`` replace the bundled v0.1 lists (``None`` means the bundled ones).

    Raises :class:`ManifestError` with upstream's exact message for invalid JSON, a non-array, or the first
    invalid item, and :class:`ManifestValueTypeError` for non-string values upstream cannot handle.

    Workers resolve on every request, so successful resolutions are cached: a :class:`Manifest` is frozen
    (tuples of frozen definitions whose ``as_json`` hands out fresh copies), so sharing one is safe. The
    cache is keyed by the identity of the built-in lists when they are tuples (immutable) and, in config
    mode, by the exact variable strings; anything else (a list of built-ins, a non-string variable) is
    resolved afresh. Failures are never cached.
    """
    routes_fallback = _models.builtin_routes() if builtin_routes is None else builtin_routes
    schedules_fallback = _models.builtin_schedules() if builtin_schedules is None else builtin_schedules
    mode = manifest_mode(env)
    if type(routes_fallback) is not tuple or type(schedules_fallback) is not tuple:
        # Mutable (or unusual) built-in sequences: read them afresh every time.
        if mode == "legacy":
            return _build(mode, routes_fallback, schedules_fallback)
        return _resolve_config(env, routes_fallback, schedules_fallback)
    if mode == "legacy":
        return _cached((mode, None, None), routes_fallback, schedules_fallback, env)
    raw_routes = env.get(ROUTES_VAR)
    raw_schedules = env.get(SCHEDULES_VAR)
    if _is_cache_text(raw_routes) and _is_cache_text(raw_schedules):
        return _cached((mode, raw_routes, raw_schedules), routes_fallback, schedules_fallback, env)
    return _resolve_config(env, routes_fallback, schedules_fallback)


def _build(mode: ManifestMode, routes: Sequence[RouteDefinition], schedules: Sequence[ScheduleDefinition]) -> Manifest:
    return Manifest(mode=mode, routes=tuple(routes), schedules=tuple(schedules))


def _resolve_config(
    env: Mapping[str, object],
    routes_fallback: Sequence[RouteDefinition],
    schedules_fallback: Sequence[ScheduleDefinition],
) -> Manifest:
    routes = _parse_list(env, ROUTES_VAR, routes_fallback, is_route_item, RouteDefinition)
    schedules = _parse_list(env, SCHEDULES_VAR, schedules_fallback, is_schedule_item, ScheduleDefinition)
    return Manifest(mode="config", routes=routes, schedules=schedules)


# -- the resolution cache -----------------------------------------------------------------------------------

_CACHE_SIZE: Final = 32
_CacheKey = tuple[int, int, str, object, object]
_CacheEntry = tuple[tuple[RouteDefinition, ...], tuple[ScheduleDefinition, ...], Manifest]
_cache: OrderedDict[_CacheKey, _CacheEntry] = OrderedDict()
_cache_lock = threading.Lock()


def _is_cache_text(value: object) -> bool:
    """Whether a config variable's value can key the cache: unset (``None``) or exactly a ``str``."""
    return value is None or type(value) is str


def _cached(
    texts: tuple[ManifestMode, object, object],
    routes_fallback: tuple[RouteDefinition, ...],
    schedules_fallback: tuple[ScheduleDefinition, ...],
    env: Mapping[str, object],
) -> Manifest:
    """The manifest for ``texts`` (mode, routes text, schedules text) over these built-in tuples, from a small
    LRU cache. An entry keeps its built-in tuples alive, so their ids cannot be reused while it exists."""
    key: _CacheKey = (id(routes_fallback), id(schedules_fallback), *texts)
    with _cache_lock:
        entry = _cache.get(key)
        if entry is not None and entry[0] is routes_fallback and entry[1] is schedules_fallback:
            _cache.move_to_end(key)
            return entry[2]
    mode = texts[0]
    if mode == "legacy":
        manifest = _build(mode, routes_fallback, schedules_fallback)
    else:
        manifest = _resolve_config(env, routes_fallback, schedules_fallback)
    with _cache_lock:
        _cache[key] = (routes_fallback, schedules_fallback, manifest)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return manifest


def clear_manifest_cache() -> None:
    """Forget every cached resolution (tests; nothing else needs it)."""
    with _cache_lock:
        _cache.clear()


def find_route(manifest: Manifest, route_path: str) -> RouteDefinition | None:
    """The first route whose ``routePath`` equals ``route_path`` exactly (JS ``Array.find``), or ``None``."""
    return next((route for route in manifest.routes if route.routePath == route_path), None)


def find_schedule(manifest: Manifest, schedule_id: str) -> ScheduleDefinition | None:
    """The first schedule whose ``id`` equals ``schedule_id`` exactly, enabled or not, or ``None``."""
    return next((schedule for schedule in manifest.schedules if schedule.id == schedule_id), None)


def find_enabled_schedule(manifest: Manifest, schedule_id: str) -> ScheduleDefinition | None:
    """The first schedule with this ``id`` **and** ``enabled`` true (upstream's dev-cron / cron-run lookup:
    a disabled duplicate earlier in the list does not hide an enabled one later)."""
    return next((s for s in manifest.schedules if s.id == schedule_id and s.enabled), None)
