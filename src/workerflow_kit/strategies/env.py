"""Worker env dicts with their expected outcomes: manifest resolution (spec 3.1-3.2) and route gating (3.4)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from workerflow_kit.contracts.gating import DISABLED_VAR, ENABLED_VAR
from workerflow_kit.contracts.manifest import MODE_VAR, ROUTES_VAR, SCHEDULES_VAR
from workerflow_kit.contracts.models import (
    Manifest,
    ManifestMode,
    RouteDefinition,
    ScheduleDefinition,
    builtin_routes,
    builtin_schedules,
)
from workerflow_kit.jscompat.json import js_json_stringify
from workerflow_kit.jscompat.strings import js_lower, js_trim
from workerflow_kit.strategies._draw import between, chance, compact, pick
from workerflow_kit.strategies._validation import check_bool, check_choice, check_strategy
from workerflow_kit.strategies.manifest import manifests as _manifests
from workerflow_kit.strategies.manifest import route_paths as _route_paths
from workerflow_kit.strategies.payloads import json_payloads

__all__ = ["ExpectedError", "GatingCase", "ManifestEnvCase", "gating_env", "manifest_env"]

ErrorKind = Literal["invalid_json", "not_array", "invalid_item"]

# Whitespace JS trim removes (a sample of spec 0's set), and look-alikes it keeps (Python strips the first three).
_JS_SPACES = (" ", "\t", "\n", "\r\n", "\u00a0", "\ufeff", "\u3000", "\u2028", "\u000b")
_NOT_JS_SPACES = ("\u001c", "\u001f", "\u0085", "\u200b")
_JSON_SPACES = ("", "", "", " ", "\n", "\t", "\r\n  ")


@dataclass(frozen=True)
class ExpectedError:
    """The manifest error an env must produce: which variable and which of upstream's three messages.

    ``invalid_json`` messages continue with an engine-specific parser message, so only :attr:`message_prefix`
    is fixed; the other two are exact. ``index`` is the first invalid item (``invalid_item`` only).
    """

    variable: str
    kind: ErrorKind
    index: int | None = None

    @property
    def message_prefix(self) -> str:
        """The fixed start of the message (for ``not_array``/``invalid_item``, the whole message)."""
        if self.kind == "invalid_json":
            return f"{self.variable} is not valid JSON: "
        if self.kind == "not_array":
            return f"{self.variable} must be a JSON array"
        return f"{self.variable} has invalid item at index {self.index}"

    def matches(self, message: str) -> bool:
        """Whether an actual error message is this error (prefix match for ``invalid_json``, else exact)."""
        if self.kind == "invalid_json":
            return message.startswith(self.message_prefix)
        return message == self.message_prefix


@dataclass(frozen=True)
class ManifestEnvCase:
    """An env for manifest resolution and what :func:`~workerflow_kit.contracts.manifest.resolve_manifest` (or
    any worker) must make of it: a :class:`~workerflow_kit.contracts.models.Manifest` or an
    :class:`ExpectedError`. ``note`` says in words what the case exercises."""

    env: dict[str, str]
    expected: Manifest | ExpectedError
    note: str = field(default="", compare=False)

    @property
    def valid(self) -> bool:
        return isinstance(self.expected, Manifest)


# -------------------------------------------------------------------------------------------- mode values


def _config_mode_values() -> SearchStrategy[str]:
    pad = st.sampled_from(("", "", *_JS_SPACES))
    spellings = st.sampled_from(("config", "CONFIG", "Config", "cOnFiG"))
    return st.builds(lambda before, text, after: before + text + after, pad, spellings, pad)


def _legacy_mode_values() -> SearchStrategy[str | None]:
    near_misses = st.sampled_from(
        (
            "legacy",
            "",
            " ",
            "configs",
            "conf ig",
            "config,",
            '"config"',
            "CONF\u0130G",  # dotted capital I lowercases to "i" + combining dot
            *(space + "config" for space in _NOT_JS_SPACES),
            *("config" + space for space in _NOT_JS_SPACES),
        )
    )
    garbage = st.text(max_size=12).filter(lambda text: js_lower(js_trim(text)) != "config")
    return st.one_of(st.none(), st.none(), st.just("legacy"), near_misses, garbage)


# --------------------------------------------------------------------------------------- list values


def _loosen(item: dict[str, Any], draw: st.DrawFn, string_keys: tuple[str, ...]) -> dict[str, Any]:
    """Runtime-valid changes the schema would reject: empty strings and unknown keys (spec 3.2)."""
    choice = draw(between(0, 5))
    if choice == 1:
        item[pick(draw, string_keys)] = ""
    elif choice == 2:
        item[pick(draw, ("note", "owner", "_comment", "tags"))] = draw(_SMALL_JSON)
    return item


def _bad_route_item(draw: st.DrawFn) -> object:
    base: dict[str, Any] = {"routePath": "r", "requestType": "async", "flowPath": "f/x", "wrapBody": False}
    return _break_item(draw, base, {"requestType": ("SYNC", "Async", "", "batch")})


def _bad_schedule_item(draw: st.DrawFn) -> object:
    base: dict[str, Any] = {"id": "s", "cron": "0 0 * * *", "enabled": True, "target": "f/x", "timeZone": "UTC"}
    return _break_item(draw, base, {})


def _break_item(draw: st.DrawFn, base: dict[str, Any], bad_strings: Mapping[str, tuple[str, ...]]) -> object:
    choice = draw(between(0, 3))
    if choice == 0:  # not an object at all
        return pick(draw, (None, 0, 1, "route", [], [base], True))
    key = pick(draw, sorted(base))
    item = dict(base)
    if choice == 1:
        del item[key]
    elif choice == 2 and key in bad_strings:
        item[key] = pick(draw, bad_strings[key])
    elif isinstance(base[key], bool):  # wrong JS type: a string or number where a boolean belongs
        item[key] = pick(draw, ("true", 1, 0, None))
    else:  # and anything but a string where a string belongs
        item[key] = pick(draw, (None, 1, True, ["x"], {"x": 1}))
    return item


def _json_text(value: object, draw: st.DrawFn) -> str:
    text = js_json_stringify(value, pick(draw, (None, None, None, 2, "\t")))
    before, after = pick(draw, _JSON_SPACES), pick(draw, _JSON_SPACES)
    return before + text + after


_INVALID_JSON_TEXTS = (
    "{not-json}",
    "[",
    "[1,]",
    "[{}",
    "NaN",
    "Infinity",
    "undefined",
    "tru",
    "'[]'",
    "[] []",
    "[]x",
    "// comment\n[]",
    "\ufeff[]",  # JSON.parse rejects a BOM, though trim would strip it
    "\u00a0[]",  # not blank after trim, and not JSON whitespace either
    '["a"',
    "{'routePath': 'x'}",
    "0x10",
    "01",
    "[1e]",
    '"\\x41"',
)


def _list_value(
    draw: st.DrawFn,
    *,
    variable: str,
    items: list[dict[str, Any]],
    fallback: tuple[RouteDefinition, ...] | tuple[ScheduleDefinition, ...],
    outcome: str,
    bad_item: Any,
    model: type[RouteDefinition] | type[ScheduleDefinition],
    string_keys: tuple[str, ...],
) -> tuple[str | None, tuple[Any, ...] | ExpectedError, str]:
    """One ``*_CONFIG_JSON`` value: (env value or None for unset, resulting list or error, note)."""
    if outcome == "unset":
        return None, tuple(fallback), f"{variable} unset"
    if outcome == "blank":
        blank = "".join(pick(draw, _JS_SPACES) for _ in range(draw(between(0, 3))))
        return blank, tuple(fallback), f"{variable} blank {blank!r}"
    if outcome == "valid":
        loose = [_loosen(copy.deepcopy(item), draw, string_keys) for item in items]
        parsed = tuple(model.model_validate(item) for item in loose)
        return _json_text(loose, draw), parsed, f"{variable} with {len(loose)} items"
    if outcome == "invalid_json":
        truncated = chance(draw, 4)  # a truncated array, else a fixed broken text
        text = js_json_stringify(items or [{}])[:-1] if truncated else pick(draw, _INVALID_JSON_TEXTS)
        return text, ExpectedError(variable, "invalid_json"), f"{variable} not JSON"
    if outcome == "not_array":
        value: Any = draw(_NOT_ARRAYS)
        return _json_text(value, draw), ExpectedError(variable, "not_array"), f"{variable} not an array"
    # a bad item at a known index, maybe followed by anything
    index = draw(between(0, len(items)))
    tail = [pick(draw, [*items, None]) for _ in range(draw(between(0, 2)))]
    value = [*items[:index], bad_item(draw), *tail]
    return _json_text(value, draw), ExpectedError(variable, "invalid_item", index), f"{variable} bad item at {index}"


_ERRORS = ("invalid_json", "not_array", "invalid_item")
_SMALL_JSON = json_payloads(max_leaves=3)
_NOT_ARRAYS: SearchStrategy[Any] = st.one_of(
    st.sampled_from(({}, {"routes": []}, "[]", 0, False, None, 1.5, "")),
    _SMALL_JSON.filter(lambda v: not isinstance(v, list)),
)
_CONFIG_MODES = _config_mode_values()
_LEGACY_MODES = _legacy_mode_values()
_OK_OUTCOMES = ("unset", "blank", "valid", "valid", "valid")
_USES_ITEMS = frozenset({"valid", "invalid_json", "invalid_item"})
"""The outcomes whose value :func:`_list_value` builds from the manifest's items."""
_LEGACY_LIST_VALUES = ("{not-json}", "{}", "[1]")


def manifest_env(
    *,
    mode: ManifestMode | None = None,
    valid: bool | None = None,
    manifests: SearchStrategy[Manifest] | None = None,
) -> SearchStrategy[ManifestEnvCase]:
    """Env dicts for manifest resolution, each with its expected outcome (:class:`ManifestEnvCase`).

    ``mode`` picks the ``MANIFEST_MODE`` family: ``"config"`` (``config`` in any case, surrounded by JS
    whitespace), ``"legacy"`` (unset, ``legacy``, garbage and near misses such as ``\\x85config``, which Python's
    ``strip`` would accept but JS ``trim`` does not) or ``None`` for both. ``valid`` picks successful
    resolutions (``True``), errors (``False``) or both (``None``). Legacy mode ignores the list variables, so it
    never fails: ``mode="legacy", valid=False`` is rejected.

    Each list variable is unset, blank (falls back to the built-in list), a JSON array drawn from ``manifests``
    (default :func:`~workerflow_kit.strategies.manifests`; items sometimes carry empty strings or unknown keys,
    which the runtime accepts), or broken: not JSON, JSON but not an array, or an array whose first invalid item
    is at a known index. A broken routes variable hides a broken schedules variable, as upstream parses routes
    first. Env values are always strings.
    """
    check_choice("mode", mode, (None, "legacy", "config"))
    if valid is not None:
        check_bool("valid", valid)
    if mode == "legacy" and valid is False:
        raise InvalidArgument("mode='legacy' with valid=False is impossible: legacy mode ignores the list variables")
    source = _manifests() if manifests is None else manifests
    check_strategy("manifests", source)
    modes: tuple[str, ...] = ("legacy", "config") if mode is None else (mode,)

    @st.composite
    def build(draw: st.DrawFn) -> ManifestEnvCase:
        chosen = pick(draw, modes)
        if valid is False:
            chosen = "config"
        drawn: list[Manifest] = []

        def items(variable: str) -> list[dict[str, Any]]:
            # The manifest is drawn only when a value is built from its items (about half the cases): a whole
            # manifest is most of the cost of a case, and legacy mode or an unset, blank or non-array value
            # never shows it.
            if not drawn:
                manifest = draw(source)
                if not isinstance(manifest, Manifest):
                    raise InvalidArgument(f"the manifests strategy produced {manifest!r}, expected a Manifest")
                drawn.append(manifest)
            listed = drawn[0].routes if variable == ROUTES_VAR else drawn[0].schedules
            return [item.as_json() for item in listed]

        env: dict[str, str] = {}
        if chance(draw, 5):
            env["ENV_NAME"] = pick(draw, ("dev", "production"))
        if chosen == "legacy":
            mode_value = draw(_LEGACY_MODES)
            if mode_value is not None:
                env[MODE_VAR] = mode_value
            for variable in (ROUTES_VAR, SCHEDULES_VAR):
                if chance(draw, 2):  # ignored in legacy mode, however broken
                    choice = draw(between(0, len(_LEGACY_LIST_VALUES)))
                    listed = _LEGACY_LIST_VALUES[choice] if choice < len(_LEGACY_LIST_VALUES) else None
                    env[variable] = js_json_stringify(items(variable)) if listed is None else listed
            expected = Manifest(mode="legacy", routes=builtin_routes(), schedules=builtin_schedules())
            return ManifestEnvCase(env, expected, f"legacy mode, {MODE_VAR}={mode_value!r}")
        env[MODE_VAR] = draw(_CONFIG_MODES)
        if valid is None:
            routes_outcome = pick(draw, _OK_OUTCOMES + _ERRORS)
        elif valid:
            routes_outcome = pick(draw, _OK_OUTCOMES)
        else:  # at least one variable broken; when routes are broken, schedules may be broken too (masked)
            routes_outcome = pick(draw, _OK_OUTCOMES + _ERRORS * 2)
        if valid is False and routes_outcome not in _ERRORS:
            schedules_outcome = pick(draw, _ERRORS)
        elif valid is True:
            schedules_outcome = pick(draw, _OK_OUTCOMES)
        else:
            schedules_outcome = pick(draw, _OK_OUTCOMES + _ERRORS)
        route_value, route_result, route_note = _list_value(
            draw,
            variable=ROUTES_VAR,
            items=items(ROUTES_VAR) if routes_outcome in _USES_ITEMS else [],
            fallback=builtin_routes(),
            outcome=routes_outcome,
            bad_item=_bad_route_item,
            model=RouteDefinition,
            string_keys=("routePath", "flowPath"),
        )
        schedule_value, schedule_result, schedule_note = _list_value(
            draw,
            variable=SCHEDULES_VAR,
            items=items(SCHEDULES_VAR) if schedules_outcome in _USES_ITEMS else [],
            fallback=builtin_schedules(),
            outcome=schedules_outcome,
            bad_item=_bad_schedule_item,
            model=ScheduleDefinition,
            string_keys=("id", "cron", "target", "timeZone"),
        )
        if route_value is not None:
            env[ROUTES_VAR] = route_value
        if schedule_value is not None:
            env[SCHEDULES_VAR] = schedule_value
        note = f"config mode; {route_note}; {schedule_note}"
        if isinstance(route_result, ExpectedError):
            return ManifestEnvCase(env, route_result, note)
        if isinstance(schedule_result, ExpectedError):
            return ManifestEnvCase(env, schedule_result, note)
        return ManifestEnvCase(env, Manifest(mode="config", routes=route_result, schedules=schedule_result), note)

    return compact(build(), "manifest_env")


# ------------------------------------------------------------------------------------------------ gating


@dataclass(frozen=True)
class GatingCase:
    """A gating env and the route sets it must produce (``None`` means "no set", so nothing is filtered).

    :meth:`is_enabled` is the expected answer of spec 3.4 for any route path; ``mentioned`` lists every entry
    the env names (case variants included), handy as routes to probe.
    """

    env: dict[str, str]
    enabled_routes: frozenset[str] | None
    disabled_routes: frozenset[str] | None
    mentioned: tuple[str, ...] = ()

    def is_enabled(self, route_path: str) -> bool:
        if self.enabled_routes is not None and route_path not in self.enabled_routes:
            return False
        return not (self.disabled_routes is not None and route_path in self.disabled_routes)


def _case_variant(name: str, style: int) -> str:
    return (name, name.upper(), name.lower(), name.swapcase(), name.title(), name + "_")[style]


def _gating_value(draw: st.DrawFn, names: SearchStrategy[str]) -> tuple[str | None, frozenset[str] | None, list[str]]:
    shape = draw(between(0, 5))
    if shape == 0:
        return None, None, []
    if shape == 1:  # empty or only separators and whitespace: no set
        return "".join(pick(draw, _SEPARATORS) for _ in range(draw(between(0, 4)))), None, []
    entries: list[str] = []
    pieces: list[str] = []
    for _ in range(draw(between(1, 4))):
        kind = draw(between(0, 9))
        if kind == 1:
            pieces.append(pick(draw, ("", " ", "\t")))  # an empty entry
            continue
        if kind == 2 and entries:
            entry = pick(draw, entries)  # a duplicate
        elif kind == 3 and entries:
            entry = _case_variant(pick(draw, entries), draw(between(1, 5)))
        elif kind == 4:
            entry = pick(draw, _NOT_JS_SPACES) + draw(names)  # kept by JS trim: a different entry
        else:
            entry = draw(names)
        entries.append(entry)
        pieces.append(pick(draw, _ENTRY_PADS) + entry + pick(draw, _ENTRY_PADS))
    return ",".join(pieces), frozenset(entries) or None, entries


_SEPARATORS = (",", *_JS_SPACES)
_ENTRY_PADS = ("", "", "", *_JS_SPACES)


def _gateable(name: str) -> bool:
    return name != "" and "," not in name and js_trim(name) == name


def gating_env(*, route_paths: SearchStrategy[str] | None = None) -> SearchStrategy[GatingCase]:
    """``ENABLED_HTTP_ROUTES`` / ``DISABLED_HTTP_ROUTES`` envs with the sets they must produce (spec 3.4).

    Each variable is unset, blank or only commas (no set), or a comma list of names from ``route_paths``
    (default :func:`~workerflow_kit.strategies.route_paths`) with JS whitespace around entries, empty entries,
    duplicates, case variants (a different route: matching is case-sensitive) and entries prefixed by a
    character Python strips but JS ``trim`` keeps. Names containing ``,`` or surrounded by whitespace cannot be
    written in a gating list and are skipped. To gate a manifest's own routes, pass
    ``route_paths=st.sampled_from([r.routePath for r in manifest.routes])``.
    """
    names = _route_paths() if route_paths is None else route_paths
    check_strategy("route_paths", names)
    usable = names.filter(_gateable)

    @st.composite
    def build(draw: st.DrawFn) -> GatingCase:
        env: dict[str, str] = {}
        enabled_value, enabled_set, enabled_entries = _gating_value(draw, usable)
        disabled_value, disabled_set, disabled_entries = _gating_value(draw, usable)
        if enabled_value is not None:
            env[ENABLED_VAR] = enabled_value
        if disabled_value is not None:
            env[DISABLED_VAR] = disabled_value
        mentioned = tuple(dict.fromkeys([*enabled_entries, *disabled_entries]))
        return GatingCase(env, enabled_set, disabled_set, mentioned)

    return compact(build(), "gating_env")
