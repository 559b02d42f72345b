"""The compatibility diff: every rule on a minimal change, overrides, loading each kind of side, renderers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.contracts.test_project import make_checkout
from workerflow_kit.contracts.compat import (
    BUNDLED_SIDE,
    RULES,
    ContractSet,
    Finding,
    Override,
    apply_overrides,
    build_report,
    compare,
    load_contract_set,
    load_overrides,
    overrides_from_document,
)
from workerflow_kit.contracts.compat_report import render, render_json, render_junit, render_text, report_as_json
from workerflow_kit.contracts.models import RouteDefinition, ScheduleDefinition
from workerflow_kit.contracts.schemas import bundled_schemas
from workerflow_kit.errors import FileProblem
from workerflow_kit.resources import contracts_dir, data_root

DATA = Path(__file__).resolve().parent.parent / "data" / "compat"
V03 = DATA / "v0.3-contracts.json"

Doc = dict[str, Any]


def baseline() -> Doc:
    """The v0.1 lists as plain JSON, to mutate."""
    return {
        "routes": json.loads((contracts_dir() / "routes.v1.json").read_text(encoding="utf-8")),
        "schedules": json.loads((contracts_dir() / "schedules.v1.json").read_text(encoding="utf-8")),
        "triggers": None,
    }


def contract_set(doc: Doc, label: str) -> ContractSet:
    triggers = doc.get("triggers")
    return ContractSet(
        label=label,
        routes=tuple(RouteDefinition.model_validate(r) for r in doc["routes"]),
        schedules=tuple(ScheduleDefinition.model_validate(s) for s in doc["schedules"]),
        triggers=None if triggers is None else tuple(triggers),
    )


def diff(old: Doc, new: Doc) -> list[Finding]:
    return compare(contract_set(old, "old"), contract_set(new, "new"))


def keep(doc: Doc) -> None:
    """No change."""


# --------------------------------------------------------------------------- one rule per minimal change

Mutation = Callable[[Doc], None]


def _set(section: str, index: int, key: str, value: Any) -> Mutation:
    def mutate(doc: Doc) -> None:
        doc[section][index][key] = value

    return mutate


def _append(section: str, item: Doc) -> Mutation:
    return lambda doc: doc[section].append(item)


def _delete(section: str, index: int) -> Mutation:
    return lambda doc: doc[section].pop(index)


def _swap(section: str) -> Mutation:
    def mutate(doc: Doc) -> None:
        doc[section][0], doc[section][1] = doc[section][1], doc[section][0]

    return mutate


def _triggers(*crons: str) -> Mutation:
    def mutate(doc: Doc) -> None:
        doc["triggers"] = list(crons)

    return mutate


NEW_ROUTE = {"routePath": "noop_ack", "requestType": "async", "flowPath": "f/examples/noop_ack", "wrapBody": False}
NEW_SCHEDULE = {
    "id": "digest_daily",
    "cron": "30 8 * * *",
    "enabled": True,
    "target": "f/examples/digest_daily",
    "timeZone": "UTC",
}
BUILTIN_CRONS = ("0 * * * *", "0 3 * * *")

# (rule, change to OLD, change to NEW, pointer into NEW, subject)
CASES: list[tuple[str, Mutation, Mutation, str, str | None]] = [
    ("route-removed", keep, _delete("routes", 1), "/routes", "chat_notify"),
    ("route-request-type-changed", keep, _set("routes", 2, "requestType", "async"), "/routes/2/requestType",
     "lead_normalizer"),
    ("route-wrap-body-changed", keep, _set("routes", 0, "wrapBody", True), "/routes/0/wrapBody", "webhook_echo"),
    ("route-duplicate-id", keep, _append("routes", {**NEW_ROUTE, "routePath": "chat_notify"}), "/routes/3",
     "chat_notify"),
    ("route-flow-path-changed", keep, _set("routes", 1, "flowPath", "f/chat"), "/routes/1/flowPath", "chat_notify"),
    ("route-extra-field-changed", keep, _set("routes", 0, "owner", "team-a"), "/routes/0/owner", "webhook_echo"),
    ("route-added", keep, _append("routes", NEW_ROUTE), "/routes/3", "noop_ack"),
    ("route-order-changed", keep, _swap("routes"), "/routes", None),
    ("schedule-removed", keep, _delete("schedules", 0), "/schedules", "heartbeat_hourly"),
    ("schedule-cron-changed", keep, _set("schedules", 1, "cron", "0 4 * * *"), "/schedules/1/cron", "cleanup_daily"),
    ("schedule-disabled", keep, _set("schedules", 0, "enabled", False), "/schedules/0/enabled", "heartbeat_hourly"),
    ("schedule-duplicate-id", keep, _append("schedules", {**NEW_SCHEDULE, "id": "cleanup_daily"}), "/schedules/2",
     "cleanup_daily"),
    ("schedule-target-changed", keep, _set("schedules", 1, "target", "f/x"), "/schedules/1/target", "cleanup_daily"),
    ("schedule-timezone-changed", keep, _set("schedules", 1, "timeZone", "Europe/Paris"), "/schedules/1/timeZone",
     "cleanup_daily"),
    ("schedule-extra-field-changed", keep, _set("schedules", 0, "note", 1), "/schedules/0/note", "heartbeat_hourly"),
    ("schedule-cron-unreachable", keep, _triggers("0 3 * * *"), "/schedules/0/cron", "heartbeat_hourly"),
    ("schedule-added", keep, _append("schedules", NEW_SCHEDULE), "/schedules/2", "digest_daily"),
    ("schedule-enabled", _set("schedules", 0, "enabled", False), keep, "/schedules/0/enabled", "heartbeat_hourly"),
    ("schedule-order-changed", keep, _swap("schedules"), "/schedules", None),
    ("trigger-added", _triggers(*BUILTIN_CRONS), _triggers(*BUILTIN_CRONS, "5 * * * *"), "/triggers/2", "5 * * * *"),
    ("trigger-removed", _triggers(*BUILTIN_CRONS, "5 * * * *"), _triggers(*BUILTIN_CRONS), "/triggers", "5 * * * *"),
]  # fmt: skip


def test_the_table_covers_every_rule_once() -> None:
    assert sorted(case[0] for case in CASES) == sorted(RULES)


@pytest.mark.parametrize(("rule", "change_old", "change_new", "pointer", "subject"), CASES, ids=[c[0] for c in CASES])
def test_a_minimal_change_fires_exactly_its_rule(
    rule: str, change_old: Mutation, change_new: Mutation, pointer: str, subject: str | None
) -> None:
    old, new = baseline(), baseline()
    change_old(old)
    change_new(new)
    findings = diff(old, new)
    assert [(f.rule, f.pointer, f.subject) for f in findings] == [(rule, pointer, subject)]
    assert findings[0].level == findings[0].default_level == RULES[rule].level
    assert findings[0].reason is None
    if subject is not None:
        assert json.dumps(subject) in findings[0].message


def test_baseline_against_itself_has_no_findings() -> None:
    assert diff(baseline(), baseline()) == []
    bundled = load_contract_set(BUNDLED_SIDE)
    assert compare(bundled, bundled) == []
    assert compare(load_contract_set(contracts_dir()), bundled) == []
    assert compare(load_contract_set(data_root()), bundled) == []


def test_messages_name_the_old_and_new_values() -> None:
    new = baseline()
    new["routes"][2]["requestType"] = "async"
    new["schedules"][0]["cron"] = "5 * * * *"
    messages = [f.message for f in diff(baseline(), new)]
    assert messages == [
        'route "lead_normalizer": requestType "sync" → "async"',
        'schedule "heartbeat_hourly": cron "0 * * * *" → "5 * * * *"',
    ]


def test_rules_have_ids_levels_and_one_line_descriptions() -> None:
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id
        assert rule.level in ("error", "warning", "info")
        assert rule.subject in ("route", "schedule", "trigger")
        assert rule.description
        assert "\n" not in rule.description
        assert rule_id.startswith(rule.subject + "-")


def test_the_module_docstring_table_matches_the_rules() -> None:
    from workerflow_kit.contracts import compat

    rows = [line.split() for line in (compat.__doc__ or "").splitlines()]
    table = [(row[0], row[1]) for row in rows if len(row) >= 2 and row[0] in RULES]
    assert table == [(rule.id, rule.level) for rule in RULES.values()]


# --------------------------------------------------------------------------- details of the rules


def test_a_renamed_route_is_a_removal_and_an_addition() -> None:
    new = baseline()
    new["routes"][0]["routePath"] = "Webhook_Echo"  # ids are case-sensitive
    rules = [(f.rule, f.level) for f in diff(baseline(), new)]
    assert rules == [("route-added", "info"), ("route-removed", "error")]


def test_several_changes_to_one_route_each_get_a_finding() -> None:
    new = baseline()
    new["routes"][1].update(requestType="sync", wrapBody=False, flowPath="f/other")
    assert [f.rule for f in diff(baseline(), new)] == [
        "route-request-type-changed",
        "route-wrap-body-changed",
        "route-flow-path-changed",
    ]


def test_duplicates_compare_the_first_entry_and_report_the_dead_one() -> None:
    new = baseline()
    new["routes"].append({**new["routes"][0], "wrapBody": True})  # the changed copy is never used
    findings = diff(baseline(), new)
    assert [(f.rule, f.pointer) for f in findings] == [("route-duplicate-id", "/routes/3")]
    assert "repeats index 0" in findings[0].message


def test_extra_fields_added_changed_removed_and_retyped() -> None:
    old, new = baseline(), baseline()
    old["routes"][0].update(owner="a", gone=1, flag=True)
    new["routes"][0].update(owner="b", flag=1, fresh=None)
    findings = diff(old, new)
    assert [(f.rule, f.pointer) for f in findings] == [
        ("route-extra-field-changed", "/routes/0/owner"),
        ("route-extra-field-changed", "/routes/0/flag"),  # true → 1 is a change, though Python calls them equal
        ("route-extra-field-changed", "/routes/0/fresh"),
        ("route-extra-field-changed", "/routes/0"),
    ]
    assert [f.message for f in findings] == [
        'route "webhook_echo": extra field "owner" "a" → "b"',
        'route "webhook_echo": extra field "flag" true → 1',
        'route "webhook_echo": extra field "fresh" added (null)',
        'route "webhook_echo": extra field "gone" removed (was 1)',
    ]


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        ([1, {"a": True}], [1, {"a": 1}], True),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1.0}, False),
        (None, False, True),
        ("1", 1, True),
        ([1, 2], [1, 2, 3], True),
    ],
)
def test_extra_values_compare_as_json(before: Any, after: Any, changed: bool) -> None:
    old, new = baseline(), baseline()
    old["schedules"][0]["meta"] = before
    new["schedules"][0]["meta"] = after
    assert [f.rule for f in diff(old, new)] == (["schedule-extra-field-changed"] if changed else [])


def test_order_change_ignores_added_and_removed_items() -> None:
    new = baseline()
    new["routes"].insert(0, NEW_ROUTE)
    del new["routes"][2]
    assert [f.rule for f in diff(baseline(), new)] == ["route-added", "route-removed"]


def test_a_schedule_already_unreachable_in_old_is_not_reported_again() -> None:
    old, new = baseline(), baseline()
    old["triggers"] = new["triggers"] = ["0 0 * * *"]  # v0.1's defect: the built-ins match no trigger
    assert diff(old, new) == []


def test_unreachable_is_reported_when_it_becomes_so() -> None:
    old, new = baseline(), baseline()
    old["triggers"] = new["triggers"] = list(BUILTIN_CRONS)
    new["schedules"][0]["cron"] = "0 */2 * * *"
    findings = diff(old, new)
    assert [(f.rule, f.level) for f in findings] == [
        ("schedule-cron-changed", "error"),
        ("schedule-cron-unreachable", "warning"),
    ]


def test_removing_a_trigger_makes_its_schedule_unreachable() -> None:
    old, new = baseline(), baseline()
    old["triggers"] = list(BUILTIN_CRONS)
    new["triggers"] = ["0 3 * * *"]
    assert [(f.rule, f.subject) for f in diff(old, new)] == [
        ("schedule-cron-unreachable", "heartbeat_hourly"),
        ("trigger-removed", "0 * * * *"),
    ]


def test_disabled_or_newly_added_schedules() -> None:
    old, new = baseline(), baseline()
    old["triggers"] = new["triggers"] = list(BUILTIN_CRONS)
    new["schedules"].append({**NEW_SCHEDULE, "enabled": False})  # disabled: unreachable does not matter
    new["schedules"].append({**NEW_SCHEDULE, "id": "digest_2"})  # enabled, no trigger
    assert [(f.rule, f.subject) for f in diff(old, new)] == [
        ("schedule-added", "digest_daily"),
        ("schedule-added", "digest_2"),
        ("schedule-cron-unreachable", "digest_2"),
    ]


def test_sides_holding_one_list_compare_only_that_list() -> None:
    full = contract_set(baseline(), "full")
    routes_only = ContractSet("routes", routes=full.routes)
    assert routes_only.holds == ("routes",)
    assert compare(routes_only, ContractSet("r", routes=full.routes[:1])) != []
    assert compare(routes_only, full) == []


def test_v03_growth_is_all_additions() -> None:
    report = build_report(load_contract_set(BUNDLED_SIDE), load_contract_set(V03))
    rules = [f.rule for f in report.findings]
    assert rules.count("route-added") == 18
    assert rules.count("schedule-added") == 4
    assert rules.count("trigger-added") == 6
    assert rules.count("trigger-removed") == 4  # v0.1's four triggers that fired nothing
    assert len(rules) == 32
    assert report.counts == {"error": 0, "warning": 0, "info": 32, "ignored": 0}
    assert report.verdict == "pass"
    assert build_report(load_contract_set(BUNDLED_SIDE), load_contract_set(V03), fail_on="info").verdict == "fail"


def test_going_back_from_v03_breaks_everything_it_removes() -> None:
    report = build_report(load_contract_set(V03), load_contract_set(BUNDLED_SIDE))
    assert report.counts["error"] == 18 + 4
    # the two built-ins lose their triggers again
    assert [f.subject for f in report.findings if f.rule == "schedule-cron-unreachable"] == [
        "heartbeat_hourly",
        "cleanup_daily",
    ]
    assert report.verdict == "fail"


# --------------------------------------------------------------------------- overrides


def _route_added_twice() -> list[Finding]:
    new = baseline()
    new["routes"] += [NEW_ROUTE, {**NEW_ROUTE, "routePath": "health_note"}]
    return diff(baseline(), new)


def test_ignore_removes_findings_and_counts_them() -> None:
    kept, ignored = apply_overrides(_route_added_twice(), [Override("route-added", "ignore", "expected growth")])
    assert kept == ()
    assert [f.subject for f in ignored] == ["noop_ack", "health_note"]
    assert all(f.reason == "expected growth" for f in ignored)


def test_raising_a_level_makes_the_verdict_fail() -> None:
    old, new = contract_set(baseline(), "old"), baseline()
    new["routes"].append(NEW_ROUTE)
    assert build_report(old, contract_set(new, "new")).verdict == "pass"
    report = build_report(old, contract_set(new, "new"), [Override("route-added", "error", "freeze")])
    assert report.verdict == "fail"
    assert [(f.level, f.default_level, f.reason) for f in report.findings] == [("error", "info", "freeze")]


def test_lowering_a_level_makes_the_verdict_pass() -> None:
    old, new = baseline(), baseline()
    del new["routes"][0]
    override = Override("route-removed", "warning", "retired", frozenset({"webhook_echo"}))
    report = build_report(contract_set(old, "o"), contract_set(new, "n"), [override])
    assert (report.verdict, report.counts["warning"]) == ("pass", 1)


def test_scoped_overrides_touch_only_their_subjects() -> None:
    override = Override("route-added", "error", "review new routes", frozenset({"health_note"}))
    kept, ignored = apply_overrides(_route_added_twice(), [override])
    assert [(f.subject, f.level) for f in kept] == [("noop_ack", "info"), ("health_note", "error")]
    assert ignored == ()


def test_scoped_beats_unscoped_and_later_beats_earlier() -> None:
    scoped = Override("route-added", "warning", "scoped", frozenset({"noop_ack"}))
    everywhere = Override("route-added", "ignore", "everywhere")
    later = Override("route-added", "error", "later")
    kept, ignored = apply_overrides(_route_added_twice(), [scoped, everywhere])
    assert [(f.subject, f.level) for f in kept] == [("noop_ack", "warning")]
    assert [f.subject for f in ignored] == ["health_note"]
    kept, _ = apply_overrides(_route_added_twice(), [everywhere, later])
    assert [f.level for f in kept] == ["error", "error"]


def test_override_objects_check_their_fields() -> None:
    with pytest.raises(ValueError, match="unknown rule id"):
        Override("route-gone", "error", "x")
    with pytest.raises(ValueError, match="unknown level"):
        Override("route-added", "fatal", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reason"):
        Override("route-added", "error", "  ")


def test_the_overrides_schema_lists_exactly_the_rules() -> None:
    schema = bundled_schemas()["compat-overrides.schema.json"]
    assert schema["$defs"]["override"]["properties"]["rule"]["enum"] == list(RULES)


def test_overrides_load_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(
        "overrides:\n"
        "  - rule: route-added\n    level: ignore\n    reason: growth is fine\n"
        "  - rule: schedule-timezone-changed\n    level: error\n    subjects: [cleanup_daily]\n"
        "    reason: billing reads it\n",
        encoding="utf-8",
    )
    assert load_overrides(path) == (
        Override("route-added", "ignore", "growth is fine"),
        Override("schedule-timezone-changed", "error", "billing reads it", frozenset({"cleanup_daily"})),
    )


@pytest.mark.parametrize(
    ("document", "pointer", "message"),
    [
        ({}, "/", 'missing required property "overrides"'),
        ({"overrides": [], "extra": 1}, "/", 'unexpected property "extra"'),
        ({"overrides": [{"rule": "route-gone", "level": "error", "reason": "x"}]}, "/overrides/0/rule",
         'unknown rule id "route-gone"'),
        ({"overrides": [{"rule": "route-added", "level": "fatal", "reason": "x"}]}, "/overrides/0/level",
         'expected one of "error", "warning", "info", "ignore", got "fatal"'),
        ({"overrides": [{"rule": "route-added", "level": "info"}]}, "/overrides/0",
         'missing required property "reason"'),
        ({"overrides": [{"rule": "route-added", "level": "info", "reason": " "}]}, "/overrides/0/reason",
         "a reason is required and must not be blank"),
        ({"overrides": [{"rule": "route-added", "level": "info", "reason": "x", "subjects": []}]},
         "/overrides/0/subjects", "must not be empty"),
    ],
)  # fmt: skip
def test_invalid_overrides_name_the_file_and_pointer(document: Any, pointer: str, message: str) -> None:
    with pytest.raises(FileProblem) as raised:
        overrides_from_document(document, "o.json")
    assert raised.value.path == "o.json"
    assert raised.value.pointer == pointer
    assert raised.value.message.startswith(message)


def test_several_override_problems_are_counted() -> None:
    document = {"overrides": [{"rule": "x", "level": "y", "reason": ""}]}
    with pytest.raises(FileProblem, match=r"/overrides/0/level: .* \(and 2 more problems\)"):
        overrides_from_document(document)


# --------------------------------------------------------------------------- loading sides


def test_load_a_checkout_reads_its_triggers(tmp_path: Path) -> None:
    root = make_checkout(tmp_path / "cloudflare")
    bundled = load_contract_set(BUNDLED_SIDE)
    for side in (root, tmp_path):  # the cloudflare/ folder, or the repository root holding it
        loaded = load_contract_set(side)
        assert (loaded.routes, loaded.schedules, loaded.triggers) == (
            bundled.routes,
            bundled.schedules,
            bundled.triggers,
        )
        assert loaded.label == str(side)
    assert load_contract_set(root / "contracts").triggers is None  # a bare upstream contracts/ folder


def test_load_combined_files_and_single_arrays(tmp_path: Path) -> None:
    doc = baseline()
    combined = tmp_path / "set.yaml"
    combined.write_text(
        json.dumps({"routes": doc["routes"], "schedules": doc["schedules"], "triggers": ["0 * * * *"]}),
        encoding="utf-8",
    )  # JSON is YAML
    loaded = load_contract_set(combined)
    assert loaded.holds == ("routes", "schedules")
    assert loaded.triggers == ("0 * * * *",)
    routes = load_contract_set(contracts_dir() / "routes.v1.json")
    schedules = load_contract_set(contracts_dir() / "schedules.v1.json")
    assert (routes.holds, schedules.holds) == (("routes",), ("schedules",))
    assert routes.routes == loaded.routes
    assert schedules.schedules == loaded.schedules


@pytest.mark.parametrize(
    ("content", "pointer", "message"),
    [
        ("[]", None, "cannot tell whether this array holds routes or schedules"),
        ('"routes"', None, "expected a contract set"),
        ('{"routes": [], "paths": []}', None, 'unexpected key "paths"'),
        ('{"triggers": []}', None, 'expected "routes" and/or "schedules"'),
        ('{"routes": {}}', "/routes", "expected a JSON array of routes"),
        ('{"routes": [1]}', "/routes/0", "expected a route object"),
        ('{"schedules": [], "triggers": [5]}', "/triggers/0", "expected a cron string"),
        (
            '{"routes": [{"routePath": "a", "requestType": "later", "flowPath": "f", "wrapBody": true}]}',
            "/routes/0/requestType",
            "Input should be 'sync' or 'async'",
        ),
        ('[{"routePath": "a", "requestType": "sync", "flowPath": "f"}]', "/0/wrapBody", "Field required"),
        ('{"routes": [\n  1,,\n]}', None, "invalid JSON at line 2 column 5"),
    ],
)
def test_bad_files_raise_one_clear_problem(tmp_path: Path, content: str, pointer: str | None, message: str) -> None:
    path = tmp_path / "side.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FileProblem) as raised:
        load_contract_set(path)
    assert raised.value.path == str(path)
    assert raised.value.pointer == pointer
    assert message in raised.value.message


def test_bad_paths_raise_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="no such file or directory"):
        load_contract_set(tmp_path / "missing")
    with pytest.raises(FileProblem, match="not a contract folder"):
        load_contract_set(tmp_path)
    binary = tmp_path / "blob.json"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(FileProblem, match="binary content"):
        load_contract_set(binary)


def test_a_broken_wrangler_file_in_a_checkout_is_named(tmp_path: Path) -> None:
    root = make_checkout(tmp_path)
    config = root / "workers" / "scheduler" / "wrangler.jsonc"
    config.write_text("{ nope", encoding="utf-8")
    with pytest.raises(FileProblem) as raised:
        load_contract_set(root)
    assert raised.value.path == str(config)


# --------------------------------------------------------------------------- renderers


def _mixed_report(fail_on: Any = "error") -> Any:
    old, new = baseline(), baseline()
    del new["routes"][1]  # error
    new["schedules"][0]["target"] = "f/x"  # warning
    new["routes"].append(NEW_ROUTE)  # info
    new["schedules"].append(NEW_SCHEDULE)  # info, ignored below
    overrides = [Override("schedule-added", "ignore", "digests are fine")]
    return build_report(contract_set(old, "old"), contract_set(new, "new"), overrides, fail_on)


def test_json_report_has_the_stable_shape() -> None:
    document = json.loads(render_json(_mixed_report()))
    assert document == report_as_json(_mixed_report())
    assert set(document) == {"old", "new", "failOn", "findings", "ignored", "counts", "verdict"}
    assert (document["old"], document["new"], document["failOn"]) == ("old", "new", "error")
    for finding in document["findings"] + document["ignored"]:
        assert set(finding) == {"rule", "level", "message", "pointer", "subject", "defaultLevel", "reason"}
        assert finding["rule"] in RULES
        assert finding["pointer"].startswith("/")
    assert [f["rule"] for f in document["findings"]] == ["route-added", "route-removed", "schedule-target-changed"]
    assert document["ignored"][0]["reason"] == "digests are fine"
    assert document["counts"] == {"error": 1, "warning": 1, "info": 1, "ignored": 1}
    assert document["verdict"] == "fail"


def test_junit_has_a_case_per_rule_and_a_failure_per_failing_rule() -> None:
    root = ET.fromstring(render_junit(_mixed_report("warning")))
    assert root.tag == "testsuite"
    cases = root.findall("testcase")
    assert len(cases) == len(RULES) == int(root.get("tests", ""))
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {"route-removed", "schedule-target-changed"}
    assert root.get("failures") == "2"
    skipped = {c.get("name") for c in cases if c.find("skipped") is not None}
    assert skipped == {"schedule-added"}
    added = next(c for c in cases if c.get("name") == "route-added")
    assert "noop_ack" in (added.findtext("system-out") or "")
    failure = next(c for c in cases if c.get("name") == "route-removed").find("failure")
    assert failure is not None
    assert failure.get("type") == "error"
    assert "chat_notify" in (failure.text or "")


def test_junit_of_a_clean_run_has_no_failures() -> None:
    bundled = load_contract_set(BUNDLED_SIDE)
    root = ET.fromstring(render(build_report(bundled, bundled), "junit"))
    assert (root.get("tests"), root.get("failures")) == (str(len(RULES)), "0")


def test_text_groups_by_level_and_ends_with_the_verdict() -> None:
    text = render_text(_mixed_report())
    lines = text.splitlines()
    assert lines[0] == "compare old → new"
    assert [line for line in lines if line and not line.startswith(" ")][1:4] == [
        "error (1)",
        "warning (1)",
        "info (1)",
    ]
    assert "ignored by overrides (1)" in lines
    assert lines[-2] == "1 error, 1 warning, 1 info, 1 ignored"
    assert lines[-1] == "verdict: FAIL (1 finding at or above error)"
    assert render_text(_mixed_report("never")).splitlines()[-1] == "verdict: PASS (--fail-on never)"


def test_text_shows_an_override_next_to_the_finding() -> None:
    report = build_report(
        contract_set(baseline(), "o"),
        contract_set({**baseline(), "routes": [*baseline()["routes"], NEW_ROUTE]}, "n"),
        [Override("route-added", "warning", "watch growth")],
    )
    assert "[info → warning: watch growth]" in render_text(report)


def test_render_rejects_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render(_mixed_report(), "html")
