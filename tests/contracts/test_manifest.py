"""Manifest resolution (spec 3.1-3.2), its exact error texts, and first-match lookups."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerflow_kit.contracts import manifest as manifest_module
from workerflow_kit.contracts.manifest import (
    ManifestError,
    ManifestValueTypeError,
    clear_manifest_cache,
    find_enabled_schedule,
    find_route,
    find_schedule,
    manifest_mode,
    resolve_manifest,
)
from workerflow_kit.contracts.models import (
    Manifest,
    RouteDefinition,
    ScheduleDefinition,
    builtin_routes,
    builtin_schedules,
)
from workerflow_kit.errors import ContractError

JS_WS = "\t\v\f \u00a0\ufeff\u1680\u2000\u200a\u202f\u205f\u3000\n\r\u2028\u2029"
json_ws = st.text(alphabet=" \t\n\r", max_size=3)
js_blank = st.text(alphabet=JS_WS, max_size=5)

CUSTOM_ROUTE = {"routePath": "custom_ping", "requestType": "async", "flowPath": "f/custom/ping", "wrapBody": False}
CUSTOM_SCHEDULE = {
    "id": "custom_hourly",
    "cron": "0 * * * *",
    "enabled": True,
    "target": "f/custom/hourly",
    "timeZone": "UTC",
}


def test_empty_env_is_legacy_with_builtins() -> None:  # 12.2 #1
    manifest = resolve_manifest({})
    assert manifest.mode == "legacy"
    assert manifest.routes == builtin_routes()
    assert manifest.schedules == builtin_schedules()


def test_config_mode_uses_env_lists() -> None:  # 12.2 #2
    manifest = resolve_manifest(
        {
            "MANIFEST_MODE": "config",
            "ROUTES_CONFIG_JSON": json.dumps([CUSTOM_ROUTE]),
            "SCHEDULES_CONFIG_JSON": json.dumps([CUSTOM_SCHEDULE]),
        }
    )
    assert manifest.mode == "config"
    assert [r.as_json() for r in manifest.routes] == [CUSTOM_ROUTE]
    assert [s.as_json() for s in manifest.schedules] == [CUSTOM_SCHEDULE]


def test_invalid_routes_json_message() -> None:  # 12.2 #4
    with pytest.raises(ManifestError, match=r"^ROUTES_CONFIG_JSON is not valid JSON: ") as info:
        resolve_manifest({"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": "{not-json}"})
    assert isinstance(info.value, ContractError)
    assert info.value.variable == "ROUTES_CONFIG_JSON"
    assert "position 1" in str(info.value)


def test_legacy_ignores_broken_config_vars() -> None:
    env = {"MANIFEST_MODE": "legacy", "ROUTES_CONFIG_JSON": "{not-json}", "SCHEDULES_CONFIG_JSON": 5}
    assert resolve_manifest(env).routes == builtin_routes()


def test_extras_empty_strings_duplicates_and_empty_arrays_are_accepted() -> None:
    item = {**CUSTOM_ROUTE, "routePath": "", "extra": {"k": [1, None]}}
    manifest = resolve_manifest(
        {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": json.dumps([item, item]), "SCHEDULES_CONFIG_JSON": "[]"}
    )
    assert [r.as_json() for r in manifest.routes] == [item, item]
    assert manifest.schedules == ()


# ----------------------------------------------------------------------------------------- non-string env values


@pytest.mark.parametrize("value", [5, False, 0, True, ["config"], {"x": 1}, object()])
def test_non_string_mode_crashes_like_upstream(value: object) -> None:
    with pytest.raises(ManifestValueTypeError) as info:
        resolve_manifest({"MANIFEST_MODE": value})
    assert info.value.variable == "MANIFEST_MODE"


def test_none_mode_is_legacy() -> None:
    assert manifest_mode({"MANIFEST_MODE": None}) == "legacy"


@pytest.mark.parametrize("value", [None, False, 0, 0.0, float("nan"), ""])
def test_js_falsy_config_values_fall_back(value: object) -> None:
    env = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": value, "SCHEDULES_CONFIG_JSON": value}
    manifest = resolve_manifest(env)
    assert manifest.routes == builtin_routes()
    assert manifest.schedules == builtin_schedules()


@pytest.mark.parametrize("value", [True, 1, [], [CUSTOM_ROUTE], {}, object()])
def test_js_truthy_non_string_config_values_crash(value: object) -> None:
    with pytest.raises(ManifestValueTypeError) as info:
        resolve_manifest({"MANIFEST_MODE": "config", "SCHEDULES_CONFIG_JSON": value})
    assert info.value.variable == "SCHEDULES_CONFIG_JSON"


# ------------------------------------------------------------------------------------------------ the property

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
wrong_string = st.one_of(st.none(), st.booleans(), st.integers(), st.lists(st.text(max_size=2), max_size=2))
wrong_bool = st.one_of(st.none(), st.integers(min_value=0, max_value=1), st.sampled_from(["true", "false", ""]))

ROUTE_TYPES: dict[str, st.SearchStrategy[Any]] = {
    "routePath": st.text(max_size=8),
    "requestType": st.sampled_from(["sync", "async"]),
    "flowPath": st.text(max_size=8),
    "wrapBody": st.booleans(),
}
ROUTE_WRONG: dict[str, st.SearchStrategy[Any]] = {
    "routePath": wrong_string,
    "requestType": st.one_of(wrong_string, st.sampled_from(["SYNC", "Async", " sync", "", "other"])),
    "flowPath": wrong_string,
    "wrapBody": wrong_bool,
}
SCHEDULE_TYPES: dict[str, st.SearchStrategy[Any]] = {
    "id": st.text(max_size=8),
    "cron": st.sampled_from(["0 * * * *", "", "not cron"]),
    "enabled": st.booleans(),
    "target": st.text(max_size=8),
    "timeZone": st.sampled_from(["UTC", "", "Europe/Paris"]),
}
SCHEDULE_WRONG: dict[str, st.SearchStrategy[Any]] = {
    "id": wrong_string,
    "cron": wrong_string,
    "enabled": wrong_bool,
    "target": wrong_string,
    "timeZone": wrong_string,
}


def good_items(types: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(types, optional={"extra": json_values, "routePath ": st.text(max_size=2)})


@st.composite
def bad_items(draw: st.DrawFn, types: dict[str, st.SearchStrategy[Any]], wrong: dict[str, Any]) -> Any:
    how = draw(st.sampled_from(["not-object", "missing", "wrong-type"]))
    if how == "not-object":
        return draw(st.one_of(json_scalars, st.lists(json_scalars, max_size=2)))
    item = draw(good_items(types))
    key = draw(st.sampled_from(sorted(types)))
    if how == "missing":
        del item[key]
    else:
        item[key] = draw(wrong[key])
    return item


@dataclass(frozen=True)
class Case:
    """A generated value for one *_CONFIG_JSON variable and what resolution must make of it."""

    value: str | None  # None: leave the variable out of env
    outcome: str  # "fallback" | "list" | "error"
    items: tuple[dict[str, Any], ...] = ()
    message: str = ""  # exact message, or a prefix when outcome is "error" and message ends with ": "


def list_cases(var: str, types: dict[str, Any], wrong: dict[str, Any]) -> st.SearchStrategy[Case]:
    good = good_items(types)
    bad = bad_items(types, wrong)

    def dump(items: list[Any], pad: tuple[str, str]) -> str:
        return pad[0] + json.dumps(items) + pad[1]

    pads = st.tuples(json_ws, json_ws)
    unset = st.just(Case(None, "fallback"))
    blank = js_blank.map(lambda s: Case(s, "fallback"))
    invalid = st.sampled_from(
        [
            "{not-json}",
            "[NaN]",
            "[Infinity]",
            "-Infinity",
            "NaN",
            "[1,]",
            "'x'",
            "[",
            "\u00a0[]",
            "\ufeff []",
            "undefined",
            "[1] [2]",
            "[01]",
            '["\t"]',
            "{}x",
        ]
    ).map(lambda s: Case(s, "error", message=f"{var} is not valid JSON: "))
    non_array = st.tuples(st.one_of(json_scalars, st.dictionaries(st.text(max_size=3), json_scalars)), pads).map(
        lambda v: Case(v[1][0] + json.dumps(v[0]) + v[1][1], "error", message=f"{var} must be a JSON array")
    )
    good_list = st.tuples(st.lists(good, max_size=4), pads).map(
        lambda v: Case(dump(v[0], v[1]), "list", items=tuple(v[0]))
    )
    bad_list = st.tuples(st.lists(good, max_size=4), bad, st.lists(st.one_of(good, bad), max_size=3), pads).map(
        lambda v: Case(
            dump([*v[0], v[1], *v[2]], v[3]), "error", message=f"{var} has invalid item at index {len(v[0])}"
        )
    )
    return st.one_of(unset, blank, invalid, non_array, good_list, bad_list)


config_spellings = st.tuples(st.lists(st.booleans(), min_size=6, max_size=6), js_blank, js_blank).map(
    lambda v: v[1] + "".join(c.upper() if up else c for c, up in zip("config", v[0], strict=True)) + v[2]
)
other_spellings = st.tuples(
    st.sampled_from(
        ["", "legacy", "configx", "\u001cconfig", "config\u0085", "con fig", "c0nfig", "CONFIG.", "\u200bconfig"]
    ),
    js_blank,
).map(lambda v: v[0] + v[1])
modes = st.one_of(
    config_spellings.map(lambda s: (s, "config")),
    other_spellings.map(lambda s: (s, "legacy")),
    st.just((None, "legacy")),
)

ALT_ROUTES = (RouteDefinition(**{**CUSTOM_ROUTE, "routePath": "alt"}),)
ALT_SCHEDULES = (ScheduleDefinition(**{**CUSTOM_SCHEDULE, "id": "alt"}),)


def assert_list(actual: tuple[Any, ...], case: Case, fallback: tuple[Any, ...]) -> None:
    if case.outcome == "fallback":
        assert len(actual) == len(fallback)
        assert all(a is b for a, b in zip(actual, fallback, strict=True))  # entirely the built-ins
    else:
        assert [item.as_json() for item in actual] == list(case.items)  # entirely from env
        assert not any(any(a is b for b in fallback) for a in actual)


@given(
    mode=modes,
    routes=list_cases("ROUTES_CONFIG_JSON", ROUTE_TYPES, ROUTE_WRONG),
    schedules=list_cases("SCHEDULES_CONFIG_JSON", SCHEDULE_TYPES, SCHEDULE_WRONG),
    custom_builtins=st.booleans(),
)
def test_resolution_follows_the_rules(
    mode: tuple[str | None, str], routes: Case, schedules: Case, custom_builtins: bool
) -> None:
    env: dict[str, object] = {}
    for name, value in (
        ("MANIFEST_MODE", mode[0]),
        ("ROUTES_CONFIG_JSON", routes.value),
        ("SCHEDULES_CONFIG_JSON", schedules.value),
    ):
        if value is not None:
            env[name] = value
    route_fallback = ALT_ROUTES if custom_builtins else builtin_routes()
    schedule_fallback = ALT_SCHEDULES if custom_builtins else builtin_schedules()
    kwargs: dict[str, Any] = (
        {"builtin_routes": ALT_ROUTES, "builtin_schedules": ALT_SCHEDULES} if custom_builtins else {}
    )

    expected_error = next((c for c in (routes, schedules) if c.outcome == "error"), None)
    if mode[1] == "config" and expected_error is not None:
        with pytest.raises(ManifestError) as info:
            resolve_manifest(env, **kwargs)
        message = str(info.value)
        if expected_error.message.endswith(": "):
            assert message.startswith(expected_error.message)
            assert len(message) > len(expected_error.message)
        else:
            assert message == expected_error.message
        assert type(info.value) is ManifestError  # one of the three upstream messages, never a type error
        return

    manifest = resolve_manifest(env, **kwargs)
    assert manifest.mode == mode[1]
    if mode[1] == "legacy":
        assert_list(manifest.routes, Case(None, "fallback"), route_fallback)
        assert_list(manifest.schedules, Case(None, "fallback"), schedule_fallback)
    else:
        assert_list(manifest.routes, routes, route_fallback)
        assert_list(manifest.schedules, schedules, schedule_fallback)


# --------------------------------------------------------------------------------------------------- lookups


def _manifest() -> Manifest:
    first = RouteDefinition(**{**CUSTOM_ROUTE, "flowPath": "first"})
    second = RouteDefinition(**{**CUSTOM_ROUTE, "flowPath": "second", "requestType": "sync"})
    off = ScheduleDefinition(**{**CUSTOM_SCHEDULE, "enabled": False, "target": "off"})
    on = ScheduleDefinition(**{**CUSTOM_SCHEDULE, "target": "on"})
    return Manifest(mode="config", routes=(first, second), schedules=(off, on))


def test_first_match_wins() -> None:
    manifest = _manifest()
    route = find_route(manifest, "custom_ping")
    assert route is not None
    assert route.flowPath == "first"
    schedule = find_schedule(manifest, "custom_hourly")
    assert schedule is not None
    assert schedule.target == "off"
    enabled = find_enabled_schedule(manifest, "custom_hourly")
    assert enabled is not None
    assert enabled.target == "on"


def test_lookups_are_exact() -> None:
    manifest = _manifest()
    assert find_route(manifest, "Custom_ping") is None
    assert find_route(manifest, "custom_ping ") is None
    assert find_schedule(manifest, "nope") is None
    assert find_enabled_schedule(resolve_manifest({}), "not_registered") is None


# --------------------------------------------------------------------------------------------------- caching


@given(
    mode=modes,
    routes=list_cases("ROUTES_CONFIG_JSON", ROUTE_TYPES, ROUTE_WRONG),
    schedules=list_cases("SCHEDULES_CONFIG_JSON", SCHEDULE_TYPES, SCHEDULE_WRONG),
    custom_builtins=st.booleans(),
)
def test_cached_resolution_equals_a_fresh_one(
    mode: tuple[str | None, str], routes: Case, schedules: Case, custom_builtins: bool
) -> None:
    env = {
        name: value
        for name, value in (
            ("MANIFEST_MODE", mode[0]),
            ("ROUTES_CONFIG_JSON", routes.value),
            ("SCHEDULES_CONFIG_JSON", schedules.value),
        )
        if value is not None
    }
    route_fallback = ALT_ROUTES if custom_builtins else builtin_routes()
    schedule_fallback = ALT_SCHEDULES if custom_builtins else builtin_schedules()

    def outcome(**kwargs: Any) -> Manifest | str:
        try:
            return resolve_manifest(env, **kwargs)
        except ManifestError as exc:
            return f"{type(exc).__name__}: {exc}"

    # Lists of built-ins are never cached: the reference result.
    fresh = outcome(builtin_routes=list(route_fallback), builtin_schedules=list(schedule_fallback))
    first = outcome(builtin_routes=route_fallback, builtin_schedules=schedule_fallback)
    again = outcome(builtin_routes=route_fallback, builtin_schedules=schedule_fallback)
    assert first == fresh
    assert again == fresh
    if isinstance(first, Manifest):
        assert again is first
        for got, want in ((first.routes, fresh.routes), (first.schedules, fresh.schedules)):  # type: ignore[union-attr]
            assert [item.as_json() for item in got] == [item.as_json() for item in want]


def test_cached_manifest_hands_out_fresh_copies() -> None:
    env = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": json.dumps([{**CUSTOM_ROUTE, "extra": {"a": [1]}}])}
    first = resolve_manifest(env)
    data = first.routes[0].as_json()
    data["extra"]["a"].append(2)
    data["routePath"] = "changed"
    first.routes[0].extras["extra"]["a"].append(3)
    second = resolve_manifest(env)
    assert second is first
    assert second.routes[0].as_json() == {**CUSTOM_ROUTE, "extra": {"a": [1]}}
    assert second.routes[0].extras == {"extra": {"a": [1]}}


def test_builtins_are_told_apart_by_identity() -> None:
    twin_routes = tuple(RouteDefinition(**route.as_json()) for route in ALT_ROUTES)
    one = resolve_manifest({}, builtin_routes=ALT_ROUTES, builtin_schedules=ALT_SCHEDULES)
    two = resolve_manifest({}, builtin_routes=twin_routes, builtin_schedules=ALT_SCHEDULES)
    assert one == two
    assert one.routes[0] is ALT_ROUTES[0]
    assert two.routes[0] is twin_routes[0]


def test_mutable_builtin_lists_are_read_every_time() -> None:
    routes = list(ALT_ROUTES)
    assert resolve_manifest({}, builtin_routes=routes, builtin_schedules=ALT_SCHEDULES).routes == ALT_ROUTES
    routes.append(RouteDefinition(**CUSTOM_ROUTE))
    assert len(resolve_manifest({}, builtin_routes=routes, builtin_schedules=ALT_SCHEDULES).routes) == 2


def test_failures_and_non_string_values_are_not_cached() -> None:
    bad = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": "[1]"}
    errors = []
    for _ in range(2):
        with pytest.raises(ManifestError) as info:
            resolve_manifest(bad)
        errors.append(info.value)
    assert errors[0] is not errors[1]
    assert str(errors[0]) == str(errors[1]) == "ROUTES_CONFIG_JSON has invalid item at index 0"
    for value in (0, False, float("nan")):
        assert resolve_manifest({"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": value}).routes == builtin_routes()
    with pytest.raises(ManifestValueTypeError):
        resolve_manifest({"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": 1})


def test_the_cache_stays_small() -> None:
    clear_manifest_cache()
    for index in range(200):
        route = {**CUSTOM_ROUTE, "routePath": f"r{index}"}
        env = {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": json.dumps([route])}
        assert resolve_manifest(env).routes[0].routePath == f"r{index}"
    assert 0 < len(manifest_module._cache) <= 32
