"""The kit's JSON Schemas: loading them, telling which one a document needs, validating with clear messages.

Every schema under ``schemas/`` is JSON Schema draft 2020-12 with an ``$id`` under
``https://workerflow-kit.dev/schemas/``. They are loaded once into a :class:`referencing.Registry`, so a
``$ref`` from one file to another (``common.schema.json#/$defs/...``) resolves without any network access.

Validation reports *every* problem, not just the first, as :class:`Finding` objects: a JSON pointer into the
document plus a sentence written for the person who edits the file. jsonschema's own messages quote Python
reprs (``'yes' is not of type 'boolean'``); we rewrite them (``expected boolean, got string "yes"``). A schema
may carry an ``x-message`` keyword next to a constraint to replace the generated sentence entirely; ``{got}``
in it is replaced by a short rendering of the offending value. That keyword is how the schemas explain
mutually exclusive fields and timestamp formats in the user's terms.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    ValidationError,
    best_match,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from workerflow_kit.contracts.documents import load_document
from workerflow_kit.errors import FileProblem
from workerflow_kit.resources import schemas_dir

SCHEMA_BASE_URI = "https://workerflow-kit.dev/schemas/"

#: Document kind -> schema file under ``schemas/``.
KINDS: Mapping[str, str] = {
    "routes-config": "routes.config.schema.json",
    "schedules-config": "schedules.config.schema.json",
    "queue-task": "queue-task.schema.json",
    "resources": "resources.schema.json",
    "route-fixture": "route-fixture.schema.json",
    "schedule-fixture": "schedule-fixture.schema.json",
    "handler-fixture": "handler-fixture.schema.json",
    "manifest-fixture": "manifest-fixture.schema.json",
    "runtime-config-fixture": "runtime-config-fixture.schema.json",
    "compat-overrides": "compat-overrides.schema.json",
    "gate-baseline": "gate-baseline.schema.json",
    "gate-report": "gate-report.schema.json",
    "kit-config": "kit-config.schema.json",
}

#: The ``kind`` value inside a fixture file -> the document kind.
FIXTURE_KINDS: Mapping[str, str] = {
    "route": "route-fixture",
    "schedule": "schedule-fixture",
    "handler": "handler-fixture",
    "manifest": "manifest-fixture",
    "runtime-config": "runtime-config-fixture",
}

_TASK_KINDS = frozenset({"http_route", "scheduled_job"})
_RESOURCE_KEYS = frozenset({"d1", "workers", "account_id"})
_KIT_CONFIG_KEYS = frozenset({"targets", "default-target"})
_MESSAGE_KEYWORD = "x-message"
_MAX_SHOWN = 60


@dataclass(frozen=True)
class Finding:
    """One problem in a document.

    ``pointer`` is the RFC 6901 JSON pointer of the offending value (``""`` for the whole document);
    :attr:`location` renders the root as ``/`` for display. ``path`` holds the same location as keys and
    indexes.
    """

    pointer: str
    message: str
    path: tuple[str | int, ...] = field(default=(), compare=False, repr=False)

    @property
    def location(self) -> str:
        return self.pointer or "/"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    @classmethod
    def at(cls, path: Iterable[str | int], message: str) -> Finding:
        parts = tuple(path)
        return cls(pointer=json_pointer(parts), message=message, path=parts)


def json_pointer(path: Iterable[str | int]) -> str:
    """RFC 6901 pointer for a sequence of keys and indexes (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _finding_order(finding: Finding) -> tuple[tuple[tuple[int, int, str], ...], str]:
    """Document order: array indexes numerically, keys alphabetically, then the message."""
    key = tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in finding.path)
    return key, finding.message


# -------------------------------------------------------------------------------- loading


def schema_path(kind: str) -> Path:
    """The schema file for a document kind; a FileProblem naming the known kinds if the kind is unknown."""
    try:
        return schemas_dir() / KINDS[kind]
    except KeyError:
        raise FileProblem(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}") from None


@cache
def _load_all() -> tuple[Registry[Any], dict[str, dict[str, Any]]]:
    """Read every bundled schema once; returns the registry and the schemas by file name."""
    registry: Registry[Any] = Registry()
    by_name: dict[str, dict[str, Any]] = {}
    for path in sorted(schemas_dir().glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        uri = contents.get("$id", SCHEMA_BASE_URI + path.name)
        registry = registry.with_resource(uri, Resource.from_contents(contents, default_specification=DRAFT202012))
        by_name[path.name] = contents
    return registry.crawl(), by_name


def bundled_schemas() -> dict[str, dict[str, Any]]:
    """Every bundled schema, by file name (``routes.config.schema.json`` ...)."""
    return dict(_load_all()[1])


def load_schema(kind: str) -> dict[str, Any]:
    """The schema document for a kind."""
    name = schema_path(kind).name
    schemas = _load_all()[1]
    if name not in schemas:
        raise FileProblem(f"the bundled schema {name} is missing; reinstall workerflow-kit")
    return schemas[name]


@cache
def validator_for(kind: str) -> Draft202012Validator:
    """A cached validator for a kind, with cross-file references and ``date-time`` format checking."""
    registry, _ = _load_all()
    return Draft202012Validator(
        load_schema(kind),
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


# -------------------------------------------------------------------------------- detection


def detect_kind(document: Any) -> str | None:
    """Guess a document's kind from its content; ``None`` when it is unknown or ambiguous.

    * an object whose ``kind`` is a fixture kind (``route``, ``schedule``, ...) -> that fixture;
    * an object whose ``kind`` is ``http_route``/``scheduled_job``, with a ``traceId`` -> ``queue-task``;
    * an object with ``d1``, ``workers`` or ``account_id`` -> ``resources``;
    * an object with an ``overrides`` list -> ``compat-overrides``;
    * an object with an ``entries`` list -> ``gate-baseline``; one whose ``tool`` is the gate -> ``gate-report``;
    * an object with ``targets`` or ``default-target`` -> ``kit-config`` (the kit's own settings);
    * a non-empty list of objects that all have ``routePath`` -> ``routes-config``;
    * a non-empty list of objects all with ``cron`` or ``id`` (none ``routePath``) -> ``schedules-config``.

    When more than one rule matches, the answer is ``None``: guessing wrong would produce misleading errors.
    """
    candidates: set[str] = set()
    if isinstance(document, dict):
        kind = document.get("kind")
        if isinstance(kind, str) and kind in FIXTURE_KINDS:
            candidates.add(FIXTURE_KINDS[kind])
        if isinstance(kind, str) and kind in _TASK_KINDS and "traceId" in document:
            candidates.add("queue-task")
        if _RESOURCE_KEYS.intersection(k for k in document if isinstance(k, str)):
            candidates.add("resources")
        if isinstance(document.get("overrides"), list):
            candidates.add("compat-overrides")
        if isinstance(document.get("entries"), list):
            candidates.add("gate-baseline")
        if document.get("tool") == "workerflow-kit gate":
            candidates.add("gate-report")
        if _KIT_CONFIG_KEYS.intersection(k for k in document if isinstance(k, str)):
            candidates.add("kit-config")
    elif isinstance(document, list) and document and all(isinstance(item, dict) for item in document):
        if all("routePath" in item for item in document):
            candidates.add("routes-config")
        elif all(("cron" in item or "id" in item) and "routePath" not in item for item in document):
            candidates.add("schedules-config")
    return candidates.pop() if len(candidates) == 1 else None


# -------------------------------------------------------------------------------- validation


def validate_document(document: Any, kind: str) -> list[Finding]:
    """Every way ``document`` breaks the schema of ``kind``, sorted by location. Empty means valid."""
    validator = validator_for(kind)
    findings: set[Finding] = set()
    try:
        for finding in _non_json_values(document):
            findings.add(finding)
        for error in validator.iter_errors(document):
            findings.update(_explain(error))
    except RecursionError:
        raise FileProblem("document nested too deeply to validate") from None
    return sorted(findings, key=_finding_order)


def validate_file(path: Path, kind: str | None = None) -> list[Finding]:
    """Load a JSON (or, by extension, YAML) file and validate it.

    Without ``kind`` the kind is detected from the content. Unreadable or unparseable files, an unknown kind,
    or a kind that cannot be detected raise :class:`FileProblem` (exit code 2 in the CLI).
    """
    _, findings = check_file(path, kind)
    return findings


def check_file(path: Path, kind: str | None = None) -> tuple[str, list[Finding]]:
    """Like :func:`validate_file`, also returning the kind that was used."""
    if kind is not None:
        schema_path(kind)  # fail on an unknown kind before touching the file
    document = load_document(path)
    if kind is None:
        kind = detect_kind(document)
        if kind is None:
            raise FileProblem(
                f"cannot detect the kind of this document; pass --kind (one of: {', '.join(KINDS)})",
                path=path,
            )
    try:
        return kind, validate_document(document, kind)
    except FileProblem as exc:
        raise FileProblem(exc.message, path=path) from None


def _non_json_values(document: Any) -> Iterator[Finding]:
    """NaN/Infinity (accepted by Python's JSON reader and by YAML) are not JSON; report where they are.

    Walks iteratively and visits each container once, so deep nesting, YAML aliases and cycles are harmless.
    """
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            yield Finding.at(path, f"{value!r} is not a JSON number (NaN and Infinity are not allowed)")
        elif isinstance(value, dict | list):
            if id(value) in seen:
                continue
            seen.add(id(value))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((child, (*path, key)) for key, child in items)


# -------------------------------------------------------------------------------- messages


def _explain(error: ValidationError) -> Iterator[Finding]:
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get(_MESSAGE_KEYWORD)
    message = custom.replace("{got}", _show(error.instance)) if isinstance(custom, str) else None
    validator = error.validator
    value = error.validator_value
    instance = error.instance
    if "propertyNames" in error.relative_schema_path:
        # The instance is the offending key; the pointer is the object holding it.
        yield Finding.at(path, f"property name {_show(instance)}: {message or _simple_message(error)}")
        return
    if message is not None:
        yield Finding.at(path, message)
        return
    if validator == "required" and isinstance(instance, dict):
        for name in value:
            if name not in instance and error.message.startswith(repr(name)):
                yield Finding.at(path, f"missing required property {_quote(name)}")
        return
    if validator in {"additionalProperties", "unevaluatedProperties"} and isinstance(instance, dict):
        declared = schema.get("properties", {})
        patterns = list(schema.get("patternProperties", {}))
        extras = [k for k in instance if k not in declared and not _matches_any(k, patterns)]
        for name in extras or ["?"]:
            yield Finding.at(path, f"unexpected property {_quote(name)}")
        return
    if validator in {"oneOf", "anyOf"} and error.context:
        best = best_match(error.context)
        yield from _explain(best)
        return
    yield Finding.at(path, _simple_message(error))


def _simple_message(error: ValidationError) -> str:
    validator = error.validator
    value = error.validator_value
    instance = error.instance
    got = _show(instance)
    if validator is None or error.schema is False:
        return "not allowed here"
    if validator == "type":
        expected = value if isinstance(value, list) else [value]
        return f"expected {' or '.join(expected)}, got {_describe(instance)}"
    if validator == "enum":
        return f"expected one of {', '.join(_show(v) for v in value)}, got {got}"
    if validator == "const":
        return f"expected {_show(value)}, got {got}"
    if validator == "minLength":
        if instance == "":
            return "must not be empty"
        return f"must be at least {value} characters long, got {len(instance)}"
    if validator == "maxLength":
        return f"must be at most {value} characters long, got {len(instance)}"
    if validator == "pattern":
        return f"{got} does not match the pattern {value}"
    if validator == "format":
        return f"{got} is not a valid {value}"
    if validator == "minimum":
        return f"must be at least {value}, got {got}"
    if validator == "maximum":
        return f"must be at most {value}, got {got}"
    if validator == "minItems":
        if isinstance(instance, list) and not instance:
            return "must not be empty"
        return f"must have at least {value} items, got {len(instance)}"
    if validator == "maxItems":
        return f"must have at most {value} items, got {len(instance)}"
    if validator == "uniqueItems":
        return "items must be unique"
    if validator == "not":
        required = value.get("required") if isinstance(value, dict) else None
        if isinstance(required, list) and len(value) == 1:
            names = " and ".join(_quote(n) for n in required)
            return f"{names} cannot be given together" if len(required) > 1 else f"{names} is not allowed"
        return "matches a shape that is not allowed here"
    if validator == "oneOf":
        return "matches more than one of the allowed shapes; it must match exactly one"
    if validator == "anyOf":
        return "matches none of the allowed shapes"
    return str(error.message)


def _matches_any(name: object, patterns: list[str]) -> bool:
    return isinstance(name, str) and any(re.search(p, name) for p in patterns)


def _quote(name: object) -> str:
    return json.dumps(name) if isinstance(name, str) else str(name)


def _type_name(instance: object) -> str:
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return "boolean"
    if isinstance(instance, int):
        return "integer"
    if isinstance(instance, float):
        return "number"
    if isinstance(instance, str):
        return "string"
    if isinstance(instance, dict):
        return "object"
    if isinstance(instance, list):
        return "array"
    if isinstance(instance, datetime | date):
        return "a YAML date/time (quote it to keep it a string)"
    return type(instance).__name__


def _show(instance: object) -> str:
    """A short JSON-ish rendering of a value for messages."""
    if isinstance(instance, dict):
        return "an object"
    if isinstance(instance, list):
        return "an array"
    if isinstance(instance, datetime | date):
        return f"{instance.isoformat()} (a YAML date/time; quote it to keep it a string)"
    if isinstance(instance, float) and not math.isfinite(instance):
        return repr(instance)
    try:
        text = json.dumps(instance, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(instance)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _describe(instance: object) -> str:
    """``string "yes"``, ``integer 5``, ``null``, ``object``: the type, and the value when it is short."""
    name = _type_name(instance)
    if instance is None or isinstance(instance, dict | list | datetime | date):
        return name
    return f"{name} {_show(instance)}"
