"""Compare two WorkerFlow contract sets and classify every change by how much it can break callers.

A *contract set* is a route list, a schedule list and, when known, the scheduler's cron trigger strings. An
OLD and a NEW set are matched item by item on their ids (``routePath`` for routes, ``id`` for schedules; the
first occurrence wins, as it does upstream) and every difference becomes a :class:`Finding` with a stable
rule id, a level and a JSON pointer into the NEW set seen as one document
``{"routes": [...], "schedules": [...], "triggers": [...]}``. Levels:

* ``error``: breaking. A caller, a cron handler or an operator that worked against OLD stops working.
* ``warning``: probably harmless for callers but visible somewhere (ops grouping, payload labels, a
  schedule that no longer fires by itself).
* ``info``: additive or cosmetic.

Rules (``RULES`` holds the same table as data):

=================================  =======  ==========================================================
rule id                            level    fires when
=================================  =======  ==========================================================
route-removed                      error    a route of OLD is missing from NEW (its URL answers 404)
route-request-type-changed         error    ``requestType`` flips between sync (200 + result) and async
                                            (202 + trace id)
route-wrap-body-changed            error    ``wrapBody`` flips, so the handler's payload changes shape
route-duplicate-id                 error    NEW lists a ``routePath`` twice; the later entry is dead
route-flow-path-changed            warning  ``flowPath`` changes (a label: ops "flows" grouping, not dispatch)
route-extra-field-changed          warning  a key beyond the four contract fields is added, removed or
                                            changed (ignored at runtime, echoed by ops endpoints)
route-added                        info     NEW has a route OLD lacks
route-order-changed                info     routes present on both sides are listed in another order
schedule-removed                   error    a schedule of OLD is missing from NEW
schedule-cron-changed              error    ``cron`` changes (fire times, and trigger matching, change)
schedule-disabled                  error    ``enabled`` goes from true to false (no runs, no replays)
schedule-duplicate-id              error    NEW lists a schedule ``id`` twice; the later entry is dead
schedule-target-changed            warning  ``target`` changes (a label copied into the payload)
schedule-timezone-changed          warning  ``timeZone`` changes (payload and ops estimate only; triggers
                                            run in UTC)
schedule-extra-field-changed       warning  a key beyond the five contract fields is added, removed or
                                            changed
schedule-cron-unreachable          warning  an enabled NEW schedule's cron equals none of NEW's trigger
                                            strings (so it only runs by hand), and it was not already
                                            unreachable in OLD; needs NEW's triggers
schedule-added                     info     NEW has a schedule OLD lacks
schedule-enabled                   info     ``enabled`` goes from false to true
schedule-order-changed             info     schedules present on both sides are listed in another order
                                            (the scheduler enqueues matches in manifest order)
trigger-added                      info     NEW's scheduler has a cron trigger OLD's lacks
trigger-removed                    info     OLD's scheduler trigger is gone (a schedule it fed is reported
                                            by schedule-cron-unreachable)
=================================  =======  ==========================================================

Duplicates are a property of NEW alone and are reported whenever present. ``schedule-cron-unreachable``
reports only schedules that *become* unreachable, so a baseline that already ships schedules no trigger fires
(spec section 8) does not fail every later comparison. Trigger rules need the triggers of both sides.

An *overrides* file (``schemas/compat-overrides.schema.json``) changes a rule's level, or drops its findings
with ``ignore``, for every subject or only for the route/schedule ids (or cron strings) it lists, and says why.

The comparison (:func:`compare`, :func:`apply_overrides`, :func:`build_report`) is pure. The loaders at the end
of the module (:func:`load_contract_set`, :func:`load_overrides`) read the files and raise
:class:`~workerflow_kit.errors.FileProblem` naming the file and, where it helps, a JSON pointer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped, unused-ignore]
from pydantic import ValidationError as ModelError

from workerflow_kit.contracts.documents import load_document, parse_jsonc, read_text
from workerflow_kit.contracts.models import RouteDefinition, ScheduleDefinition
from workerflow_kit.contracts.schemas import bundled_schemas, detect_kind, json_pointer
from workerflow_kit.contracts.topology import load_topology_file, topology_from_workers, worker_from_wrangler
from workerflow_kit.errors import FileProblem

__all__ = [
    "BUNDLED_SIDE",
    "FAIL_ON",
    "LEVELS",
    "RULES",
    "ContractSet",
    "FailOn",
    "Finding",
    "Level",
    "Override",
    "OverrideLevel",
    "Report",
    "Rule",
    "apply_overrides",
    "build_report",
    "compare",
    "load_contract_set",
    "load_overrides",
    "overrides_from_document",
]

Level = Literal["error", "warning", "info"]
OverrideLevel = Literal["error", "warning", "info", "ignore"]
FailOn = Literal["error", "warning", "info", "never"]
SubjectKind = Literal["route", "schedule", "trigger"]

#: Most severe first.
LEVELS: tuple[Level, ...] = get_args(Level)
FAIL_ON: tuple[FailOn, ...] = get_args(FailOn)
_RANK: Mapping[str, int] = {"error": 3, "warning": 2, "info": 1, "never": 4}


@dataclass(frozen=True)
class Rule:
    """One kind of change: a stable id, the level it has unless overridden, and what it means."""

    id: str
    level: Level
    subject: SubjectKind
    description: str


def _rules(*rules: Rule) -> Mapping[str, Rule]:
    return {rule.id: rule for rule in rules}


RULES: Mapping[str, Rule] = _rules(
    Rule("route-removed", "error", "route", "A route of OLD is missing from NEW; calls to it answer 404."),
    Rule(
        "route-request-type-changed",
        "error",
        "route",
        "requestType flips between sync (200 with the result) and async (202 with a trace id).",
    ),
    Rule("route-wrap-body-changed", "error", "route", "wrapBody flips, so the handler's payload changes shape."),
    Rule("route-duplicate-id", "error", "route", "NEW lists a routePath twice; the first wins, the later is dead."),
    Rule(
        "route-flow-path-changed",
        "warning",
        "route",
        "flowPath changes; it is a label (ops flow grouping), not used for dispatch.",
    ),
    Rule(
        "route-extra-field-changed",
        "warning",
        "route",
        "A key beyond the contract fields is added, removed or changed; ops endpoints echo it.",
    ),
    Rule("route-added", "info", "route", "NEW has a route OLD lacks."),
    Rule("route-order-changed", "info", "route", "Routes present on both sides are listed in another order."),
    Rule("schedule-removed", "error", "schedule", "A schedule of OLD is missing from NEW."),
    Rule("schedule-cron-changed", "error", "schedule", "cron changes: fire times and trigger matching change."),
    Rule("schedule-disabled", "error", "schedule", "enabled goes from true to false: no runs, no replays."),
    Rule("schedule-duplicate-id", "error", "schedule", "NEW lists a schedule id twice; the later entry is dead."),
    Rule("schedule-target-changed", "warning", "schedule", "target changes; it is a label copied into the payload."),
    Rule(
        "schedule-timezone-changed",
        "warning",
        "schedule",
        "timeZone changes; only the payload and the ops estimate see it (triggers run in UTC).",
    ),
    Rule(
        "schedule-extra-field-changed",
        "warning",
        "schedule",
        "A key beyond the contract fields is added, removed or changed.",
    ),
    Rule(
        "schedule-cron-unreachable",
        "warning",
        "schedule",
        "An enabled schedule's cron equals none of NEW's trigger strings, so it only runs by hand.",
    ),
    Rule("schedule-added", "info", "schedule", "NEW has a schedule OLD lacks."),
    Rule("schedule-enabled", "info", "schedule", "enabled goes from false to true."),
    Rule(
        "schedule-order-changed",
        "info",
        "schedule",
        "Schedules present on both sides are listed in another order (matches enqueue in manifest order).",
    ),
    Rule("trigger-added", "info", "trigger", "NEW's scheduler has a cron trigger OLD's lacks."),
    Rule("trigger-removed", "info", "trigger", "A cron trigger of OLD's scheduler is gone."),
)


# ----------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractSet:
    """One side of a comparison. ``None`` means the side does not hold that list (or those triggers)."""

    label: str
    routes: tuple[RouteDefinition, ...] | None = None
    schedules: tuple[ScheduleDefinition, ...] | None = None
    triggers: tuple[str, ...] | None = None

    @property
    def holds(self) -> tuple[str, ...]:
        """Which lists the side holds: ``("routes", "schedules")``, ``("routes",)`` ..."""
        return tuple(name for name in ("routes", "schedules") if getattr(self, name) is not None)


@dataclass(frozen=True)
class Finding:
    """One classified change.

    ``subject`` is the route path, schedule id or trigger cron string the change is about (``None`` for a
    change to a whole list, such as its order). ``pointer`` points into the NEW set; for something that is
    gone, it points at the list it was removed from. ``default_level`` is the rule's own level; ``reason`` is
    the overrides file's reason when an override set ``level``.
    """

    rule: str
    level: Level
    message: str
    pointer: str
    subject: str | None
    default_level: Level
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level,
            "message": self.message,
            "pointer": self.pointer,
            "subject": self.subject,
            "defaultLevel": self.default_level,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Override:
    """Set ``rule``'s level (or ``ignore`` its findings), for every subject or only those in ``subjects``."""

    rule: str
    level: OverrideLevel
    reason: str
    subjects: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown rule id {self.rule!r}")
        if self.level not in get_args(OverrideLevel):
            raise ValueError(f"unknown level {self.level!r}")
        if not self.reason.strip():
            raise ValueError("an override needs a reason")

    def matches(self, finding: Finding) -> bool:
        return finding.rule == self.rule and (self.subjects is None or finding.subject in self.subjects)


@dataclass(frozen=True)
class Report:
    """The outcome of a comparison: kept findings (in discovery order), ignored ones, and the fail level."""

    old: str
    new: str
    findings: tuple[Finding, ...]
    ignored: tuple[Finding, ...] = ()
    fail_on: FailOn = "error"

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(LEVELS, 0)
        for finding in self.findings:
            counts[finding.level] += 1
        counts["ignored"] = len(self.ignored)
        return counts

    def fails(self, finding: Finding) -> bool:
        """Whether this finding is at or above the fail level."""
        return _RANK[finding.level] >= _RANK[self.fail_on]

    @property
    def failing(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if self.fails(f))

    @property
    def verdict(self) -> Literal["pass", "fail"]:
        return "fail" if self.failing else "pass"

    def by_level(self, level: Level) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == level)


# ----------------------------------------------------------------------------------------------------
# Comparison (pure)
# ----------------------------------------------------------------------------------------------------


def _show(value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _finding(rule_id: str, message: str, path: Iterable[str | int], subject: str | None) -> Finding:
    rule = RULES[rule_id]
    return Finding(
        rule=rule_id,
        level=rule.level,
        message=message,
        pointer=json_pointer(path),
        subject=subject,
        default_level=rule.level,
    )


def _first_index(ids: Sequence[str]) -> dict[str, int]:
    """Each id's first index: the entry upstream uses (``Array.find``)."""
    first: dict[str, int] = {}
    for index, item_id in enumerate(ids):
        first.setdefault(item_id, index)
    return first


def _duplicates(kind: str, list_name: str, ids: Sequence[str]) -> Iterator[Finding]:
    first = _first_index(ids)
    for index, item_id in enumerate(ids):
        if first[item_id] != index:
            yield _finding(
                f"{kind}-duplicate-id",
                f"{kind} {_show(item_id)} at index {index} repeats index {first[item_id]}; "
                "the first match wins, so this entry is never used",
                (list_name, index),
                item_id,
            )


def _same_json(a: object, b: object) -> bool:
    """JSON equality as JS sees it: ``true`` is not ``1`` (at any depth), ``1`` is ``1.0``, key order is ignored."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _extras_changes(
    kind: str, item_id: str, old: Mapping[str, Any], new: Mapping[str, Any], path: tuple[str | int, ...]
) -> Iterator[Finding]:
    rule = f"{kind}-extra-field-changed"
    for key in new:
        if key not in old:
            yield _finding(
                rule,
                f"{kind} {_show(item_id)}: extra field {_show(key)} added ({_show(new[key])})",
                (*path, key),
                item_id,
            )
        elif not _same_json(old[key], new[key]):
            yield _finding(
                rule,
                f"{kind} {_show(item_id)}: extra field {_show(key)} {_show(old[key])} → {_show(new[key])}",
                (*path, key),
                item_id,
            )
    for key in old:
        if key not in new:
            yield _finding(
                rule,
                f"{kind} {_show(item_id)}: extra field {_show(key)} removed (was {_show(old[key])})",
                path,
                item_id,
            )


def _order_change(kind: str, list_name: str, old_ids: Sequence[str], new_ids: Sequence[str]) -> Iterator[Finding]:
    common = set(old_ids) & set(new_ids)
    old_order = [i for i in _first_index(old_ids) if i in common]
    new_order = [i for i in _first_index(new_ids) if i in common]
    if old_order != new_order:
        yield _finding(
            f"{kind}-order-changed",
            f"{kind} order changed: {', '.join(old_order)} → {', '.join(new_order)}",
            (list_name,),
            None,
        )


FieldRules = tuple[tuple[str, str | Mapping[object, str]], ...]
"""Contract fields compared one by one, in finding order: the field, and the rule a change of it fires (or, by
the field's NEW value, which rule)."""

ROUTE_FIELD_RULES: FieldRules = (
    ("requestType", "route-request-type-changed"),
    ("wrapBody", "route-wrap-body-changed"),
    ("flowPath", "route-flow-path-changed"),
)
SCHEDULE_FIELD_RULES: FieldRules = (
    ("cron", "schedule-cron-changed"),
    ("enabled", {False: "schedule-disabled", True: "schedule-enabled"}),
    ("target", "schedule-target-changed"),
    ("timeZone", "schedule-timezone-changed"),
)


def _field_changes(
    table: FieldRules,
    before: RouteDefinition | ScheduleDefinition,
    after: RouteDefinition | ScheduleDefinition,
    *,
    item_id: str,
    path: tuple[str | int, ...],
) -> Iterator[Finding]:
    """One finding per field of ``table`` whose value differs between ``before`` and ``after``, in table order."""
    for name, rule in table:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            rule_id = rule if isinstance(rule, str) else rule[new]
            message = f"{RULES[rule_id].subject} {_show(item_id)}: {name} {_show(old)} → {_show(new)}"
            yield _finding(rule_id, message, (*path, name), item_id)


def _compare_routes(old: Sequence[RouteDefinition], new: Sequence[RouteDefinition]) -> Iterator[Finding]:
    old_ids = [r.routePath for r in old]
    new_ids = [r.routePath for r in new]
    yield from _duplicates("route", "routes", new_ids)
    old_first = _first_index(old_ids)
    for item_id, index in _first_index(new_ids).items():
        route = new[index]
        path: tuple[str | int, ...] = ("routes", index)
        if item_id not in old_first:
            yield _finding(
                "route-added",
                f"route {_show(item_id)} added ({route.requestType}, wrapBody {_show(route.wrapBody)}, "
                f"flowPath {_show(route.flowPath)})",
                path,
                item_id,
            )
            continue
        before = old[old_first[item_id]]
        yield from _field_changes(ROUTE_FIELD_RULES, before, route, item_id=item_id, path=path)
        yield from _extras_changes("route", item_id, before.extras, route.extras, path)
    new_first = _first_index(new_ids)
    for item_id, index in old_first.items():
        if item_id not in new_first:
            route = old[index]
            yield _finding(
                "route-removed",
                f"route {_show(item_id)} removed (was {route.requestType}, wrapBody {_show(route.wrapBody)}, "
                f"flowPath {_show(route.flowPath)})",
                ("routes",),
                item_id,
            )
    yield from _order_change("route", "routes", old_ids, new_ids)


def _unreachable(schedule: ScheduleDefinition, triggers: tuple[str, ...] | None) -> bool:
    return triggers is not None and schedule.enabled and schedule.cron not in triggers


def _compare_schedules(
    old: Sequence[ScheduleDefinition],
    new: Sequence[ScheduleDefinition],
    old_triggers: tuple[str, ...] | None,
    new_triggers: tuple[str, ...] | None,
) -> Iterator[Finding]:
    old_ids = [s.id for s in old]
    new_ids = [s.id for s in new]
    yield from _duplicates("schedule", "schedules", new_ids)
    old_first = _first_index(old_ids)
    for item_id, index in _first_index(new_ids).items():
        schedule = new[index]
        path: tuple[str | int, ...] = ("schedules", index)
        before = old[old_first[item_id]] if item_id in old_first else None
        if before is None:
            state = "enabled" if schedule.enabled else "disabled"
            yield _finding(
                "schedule-added",
                f"schedule {_show(item_id)} added ({_show(schedule.cron)}, {state}, target {_show(schedule.target)}, "
                f"timeZone {_show(schedule.timeZone)})",
                path,
                item_id,
            )
        else:
            yield from _field_changes(SCHEDULE_FIELD_RULES, before, schedule, item_id=item_id, path=path)
            yield from _extras_changes("schedule", item_id, before.extras, schedule.extras, path)
        already = before is not None and _unreachable(before, old_triggers)
        if _unreachable(schedule, new_triggers) and not already:
            yield _finding(
                "schedule-cron-unreachable",
                f"schedule {_show(item_id)}: cron {_show(schedule.cron)} equals none of the scheduler's trigger "
                "strings, so it never fires by itself (manual runs only)",
                (*path, "cron"),
                item_id,
            )
    new_first = _first_index(new_ids)
    for item_id, index in old_first.items():
        if item_id not in new_first:
            schedule = old[index]
            yield _finding(
                "schedule-removed",
                f"schedule {_show(item_id)} removed (was {_show(schedule.cron)}, target {_show(schedule.target)})",
                ("schedules",),
                item_id,
            )
    yield from _order_change("schedule", "schedules", old_ids, new_ids)


def _compare_triggers(old: Sequence[str], new: Sequence[str]) -> Iterator[Finding]:
    for index, cron in enumerate(new):
        if cron not in old and cron not in new[:index]:
            yield _finding("trigger-added", f"cron trigger {_show(cron)} added", ("triggers", index), cron)
    for index, cron in enumerate(old):
        if cron not in new and cron not in old[:index]:
            yield _finding("trigger-removed", f"cron trigger {_show(cron)} removed", ("triggers",), cron)


def compare(old: ContractSet, new: ContractSet) -> list[Finding]:
    """Every change from ``old`` to ``new``, each at its rule's default level, in a stable order: routes,
    then schedules, then triggers; within a list, NEW's entries in NEW order, then removals in OLD order.

    Only the lists both sides hold are compared; trigger rules need both sides' triggers, and
    ``schedule-cron-unreachable`` needs NEW's.
    """
    findings: list[Finding] = []
    if old.routes is not None and new.routes is not None:
        findings.extend(_compare_routes(old.routes, new.routes))
    if old.schedules is not None and new.schedules is not None:
        findings.extend(_compare_schedules(old.schedules, new.schedules, old.triggers, new.triggers))
    if old.triggers is not None and new.triggers is not None:
        findings.extend(_compare_triggers(old.triggers, new.triggers))
    return findings


def apply_overrides(
    findings: Iterable[Finding], overrides: Sequence[Override]
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """Apply overrides; returns ``(kept, ignored)``.

    For each finding, an override that names the finding's subject beats one that applies to every subject;
    between two equally specific overrides, the later one in the file wins.
    """
    kept: list[Finding] = []
    ignored: list[Finding] = []
    for finding in findings:
        matching = [o for o in overrides if o.matches(finding)]
        scoped = [o for o in matching if o.subjects is not None]
        chosen = (scoped or matching)[-1] if matching else None
        if chosen is None:
            kept.append(finding)
        elif chosen.level == "ignore":
            ignored.append(Finding(**{**finding.__dict__, "reason": chosen.reason}))
        else:
            kept.append(Finding(**{**finding.__dict__, "level": chosen.level, "reason": chosen.reason}))
    return tuple(kept), tuple(ignored)


def build_report(
    old: ContractSet, new: ContractSet, overrides: Sequence[Override] = (), fail_on: FailOn = "error"
) -> Report:
    """Compare, apply overrides and package the result with the fail level."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    kept, ignored = apply_overrides(compare(old, new), overrides)
    return Report(old=old.label, new=new.label, findings=kept, ignored=ignored, fail_on=fail_on)


# ----------------------------------------------------------------------------------------------------
# Loading contract sets
# ----------------------------------------------------------------------------------------------------

#: The side name that means "the baseline shipped inside the kit".
BUNDLED_SIDE = "@bundled"

_ROUTES_FILE = "routes.v1.json"
_SCHEDULES_FILE = "schedules.v1.json"
_TOPOLOGY_FILE = Path("wrangler") / "workers.v1.json"
_TOP_LEVEL_KEYS = ("routes", "schedules", "triggers")
_IGNORED_TOP_LEVEL_KEYS = ("$schema", "$comment")


def _items(
    document: Any, model: type[RouteDefinition] | type[ScheduleDefinition], path: Path, prefix: tuple[str, ...]
) -> tuple[Any, ...]:
    label = "route" if model is RouteDefinition else "schedule"
    if not isinstance(document, list):
        raise FileProblem(f"expected a JSON array of {label}s", path=path, pointer=json_pointer(prefix) or None)
    items = []
    for index, item in enumerate(document):
        where: tuple[str | int, ...] = (*prefix, index)
        if not isinstance(item, dict):
            raise FileProblem(f"expected a {label} object", path=path, pointer=json_pointer(where))
        try:
            items.append(model.model_validate(item))
        except ModelError as exc:
            first = exc.errors()[0]
            loc: tuple[str | int, ...] = tuple(part if isinstance(part, int) else str(part) for part in first["loc"])
            raise FileProblem(first["msg"], path=path, pointer=json_pointer((*where, *loc))) from None
    return tuple(items)


def _triggers(document: Any, path: Path) -> tuple[str, ...]:
    if not isinstance(document, list):
        raise FileProblem("expected a JSON array of cron strings", path=path, pointer="/triggers")
    for index, cron in enumerate(document):
        if not isinstance(cron, str):
            raise FileProblem("expected a cron string", path=path, pointer=f"/triggers/{index}")
    return tuple(document)


def _from_file(path: Path) -> ContractSet:
    document = load_document(path)
    label = str(path)
    if isinstance(document, dict):
        unknown = [k for k in document if k not in _TOP_LEVEL_KEYS and k not in _IGNORED_TOP_LEVEL_KEYS]
        if unknown:
            raise FileProblem(
                f"unexpected key {_show(unknown[0])}; a contract set file has routes, schedules and triggers",
                path=path,
            )
        if "routes" not in document and "schedules" not in document:
            raise FileProblem('expected "routes" and/or "schedules" in this object', path=path)
        return ContractSet(
            label=label,
            routes=_items(document["routes"], RouteDefinition, path, ("routes",)) if "routes" in document else None,
            schedules=(
                _items(document["schedules"], ScheduleDefinition, path, ("schedules",))
                if "schedules" in document
                else None
            ),
            triggers=_triggers(document["triggers"], path) if "triggers" in document else None,
        )
    if isinstance(document, list):
        kind = detect_kind(document)
        if kind == "routes-config":
            return ContractSet(label=label, routes=_items(document, RouteDefinition, path, ()))
        if kind == "schedules-config":
            return ContractSet(label=label, schedules=_items(document, ScheduleDefinition, path, ()))
        raise FileProblem(
            "cannot tell whether this array holds routes or schedules; "
            'write {"routes": [...]} or {"schedules": [...]} instead',
            path=path,
        )
    raise FileProblem(
        'expected a contract set: {"routes": [...], "schedules": [...]}, a route array or a schedule array',
        path=path,
    )


def _from_contract_folder(folder: Path, label: str, triggers: tuple[str, ...] | None = None) -> ContractSet:
    routes_path = folder / _ROUTES_FILE
    schedules_path = folder / _SCHEDULES_FILE
    topology_path = folder / _TOPOLOGY_FILE
    if triggers is None and topology_path.is_file():
        triggers = load_topology_file(topology_path).trigger_crons
    return ContractSet(
        label=label,
        routes=_items(load_document(routes_path), RouteDefinition, routes_path, ()) if routes_path.exists() else None,
        schedules=(
            _items(load_document(schedules_path), ScheduleDefinition, schedules_path, ())
            if schedules_path.exists()
            else None
        ),
        triggers=triggers,
    )


def _checkout_triggers(root: Path) -> tuple[str, ...]:
    workers = []
    for config_path in sorted((root / "workers").glob("*/wrangler.json*")):
        if config_path.suffix not in (".json", ".jsonc"):
            continue
        config = parse_jsonc(read_text(config_path), config_path)
        if not isinstance(config, dict):
            raise FileProblem("expected a JSON object", path=config_path)
        workers.append(worker_from_wrangler(config_path.parent.name, config, config_path))
    return topology_from_workers(workers).trigger_crons


def _from_directory(path: Path) -> ContractSet:
    label = str(path)
    if (path / _ROUTES_FILE).exists() or (path / _SCHEDULES_FILE).exists():
        return _from_contract_folder(path, label)
    root = path
    if not (root / "contracts").is_dir() and (root / "cloudflare" / "contracts").is_dir():
        root = root / "cloudflare"
    contracts = root / "contracts"
    if (contracts / _ROUTES_FILE).exists() or (contracts / _SCHEDULES_FILE).exists():
        triggers = _checkout_triggers(root) if (root / "workers").is_dir() else None
        return _from_contract_folder(contracts, label, triggers)
    raise FileProblem(
        f"not a contract folder: expected {_ROUTES_FILE} and {_SCHEDULES_FILE}, a contracts/ folder holding them, "
        "or a WorkerFlow checkout",
        path=path,
    )


def load_contract_set(side: str | Path) -> ContractSet:
    """Load one side of a comparison.

    * ``@bundled``: the v0.1 baseline shipped inside the kit, with its scheduler triggers;
    * a folder holding ``routes.v1.json`` and/or ``schedules.v1.json`` (triggers come from
      ``wrangler/workers.v1.json`` beside them, when present, as in the kit's own ``contracts/``);
    * a folder holding such a ``contracts/`` folder, or a WorkerFlow checkout (its ``cloudflare/`` folder or
      the repository root), whose triggers come from ``workers/*/wrangler.jsonc``;
    * a JSON/YAML file holding ``{"routes": [...], "schedules": [...], "triggers": [...]}`` (any of the three
      may be left out), or just a route array or a schedule array (told apart by their items).
    """
    if str(side) == BUNDLED_SIDE:
        from workerflow_kit.contracts.project import load_bundled

        project = load_bundled()
        return ContractSet(project.label, project.routes, project.schedules, project.topology.trigger_crons)
    path = Path(side)
    if not path.exists():
        raise FileProblem("no such file or directory", path=path)
    return _from_directory(path) if path.is_dir() else _from_file(path)


# ----------------------------------------------------------------------------------------------------
# Loading overrides
# ----------------------------------------------------------------------------------------------------

OVERRIDES_SCHEMA = "compat-overrides.schema.json"


@cache
def _overrides_validator() -> Draft202012Validator:
    return Draft202012Validator(bundled_schemas()[OVERRIDES_SCHEMA])


def _schema_message(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("x-message")
    if isinstance(custom, str):
        return custom.replace("{got}", _show(error.instance))
    validator, value, instance = error.validator, error.validator_value, error.instance
    if validator == "required" and isinstance(instance, dict):
        missing = [name for name in value if name not in instance]
        return f"missing required property {_show(missing[0])}" if missing else str(error.message)
    if validator == "additionalProperties" and isinstance(instance, dict):
        extras = [k for k in instance if k not in schema.get("properties", {})]
        return f"unexpected property {_show(extras[0])}" if extras else "unexpected property"
    if validator == "enum":
        return f"expected one of {', '.join(_show(v) for v in value)}, got {_show(instance)}"
    if validator == "type":
        return f"expected {value}, got {_show(instance)}"
    if validator == "minItems":
        return "must not be empty"
    if validator == "uniqueItems":
        return "items must be unique"
    if validator in ("minLength", "pattern"):
        return "must not be blank"
    return str(error.message)


def overrides_from_document(document: Any, path: Path | str = "<overrides>") -> tuple[Override, ...]:
    """Validate a parsed overrides document against its schema and build the overrides.

    The first problem (in document order) raises :class:`FileProblem` with its pointer; the message says how
    many more there are.
    """
    errors = sorted(
        _overrides_validator().iter_errors(document),
        key=lambda e: ([(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in e.absolute_path], e.message),
    )
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        raise FileProblem(_schema_message(first) + more, path=path, pointer=json_pointer(first.absolute_path) or "/")
    return tuple(
        Override(
            rule=entry["rule"],
            level=entry["level"],
            reason=entry["reason"],
            subjects=frozenset(entry["subjects"]) if "subjects" in entry else None,
        )
        for entry in document["overrides"]
    )


def load_overrides(path: Path | str) -> tuple[Override, ...]:
    """Read an overrides file (JSON or YAML by extension) and validate it."""
    path = Path(path)
    return overrides_from_document(load_document(path), path)
