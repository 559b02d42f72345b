"""The bundled JSON Schemas: well-formed, accepting the bundled data, rejecting a corpus of broken files with the
exact pointer and a clear message, and detecting document kinds from content."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from workerflow_kit.contracts import schemas
from workerflow_kit.contracts.schemas import KINDS, Finding, detect_kind, validate_document, validate_file
from workerflow_kit.errors import FileProblem
from workerflow_kit.resources import contracts_dir, schemas_dir

DATA = Path(__file__).resolve().parent.parent / "data"
VALID = DATA / "valid"
BROKEN = DATA / "broken"

# The upstream infra resource file (v0.1 baseline, spec 2.8), including its "$schema" key.
UPSTREAM_RESOURCES: dict[str, Any] = {
    "$schema": "./cloudflare.resources.schema.json",
    "account_id": "REPLACE_WITH_CLOUDFLARE_ACCOUNT_ID",
    "d1": {
        "name": "workerflow-runtime",
        "database_id": "REPLACE_WITH_D1_DATABASE_ID",
        "migrations_dir": "cloudflare/migrations/d1",
    },
    "queue": {"name": "workerflow-automation-queue"},
    "secrets_store": {"id": "REPLACE_WITH_SECRETS_STORE_ID"},
    "workers": [
        {"name": f"workerflow-runtime-{name}", "config_path": f"cloudflare/workers/{name}/wrangler.jsonc"}
        for name in ("api", "workflow", "queue-consumer", "scheduler", "ops-dashboard")
    ],
}


def _schema_files() -> list[Path]:
    return sorted(schemas_dir().glob("*.schema.json"))


# --------------------------------------------------------------------------- the schemas themselves


@pytest.mark.parametrize("path", _schema_files(), ids=lambda p: p.name)
def test_every_bundled_schema_is_valid_draft_2020_12(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://workerflow-kit.dev/schemas/{path.name}"
    assert schema["title"]
    assert schema["description"]


def test_every_kind_has_a_bundled_schema_and_every_schema_is_used() -> None:
    names = {p.name for p in _schema_files()}
    assert set(KINDS.values()) <= names
    assert names - set(KINDS.values()) == {"common.schema.json"}


@pytest.mark.parametrize("kind", [k for k in KINDS if k.endswith("-fixture")])
def test_fixture_schemas_are_strict_and_accept_the_common_keys(kind: str) -> None:
    schema = schemas.load_schema(kind)
    assert schema["additionalProperties"] is False
    for key in ("$schema", "kind", "id", "description", "tags", "level"):
        assert key in schema["properties"], key


def test_a_schema_check_catches_a_broken_schema() -> None:
    """Guard for the test above: check_schema really rejects nonsense."""
    with pytest.raises(Exception, match="is not valid"):
        Draft202012Validator.check_schema({"type": "strnig"})


# --------------------------------------------------------------------------- valid data


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (contracts_dir() / "routes.v1.json", "routes-config"),
        (contracts_dir() / "schedules.v1.json", "schedules-config"),
        (contracts_dir() / "examples" / "routes.config.example.json", "routes-config"),
        (contracts_dir() / "examples" / "schedules.config.example.json", "schedules-config"),
        (contracts_dir() / "examples" / "cloudflare.resources.example.json", "resources"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_bundled_contract_files_validate_and_are_detected(path: Path, kind: str) -> None:
    assert validate_file(path) == []
    assert validate_file(path, kind) == []
    assert detect_kind(json.loads(path.read_text(encoding="utf-8"))) == kind


def test_config_examples_hold_the_documented_entries() -> None:
    routes = json.loads((contracts_dir() / "examples" / "routes.config.example.json").read_text(encoding="utf-8"))
    schedules = json.loads((contracts_dir() / "examples" / "schedules.config.example.json").read_text(encoding="utf-8"))
    assert routes == [
        {"routePath": "example_ping", "requestType": "async", "flowPath": "f/example/ping", "wrapBody": False}
    ]
    assert schedules == [
        {"id": "example_daily", "cron": "0 0 * * *", "enabled": True, "target": "f/example/daily", "timeZone": "UTC"}
    ]


def test_upstream_resource_file_with_its_schema_key_validates() -> None:
    assert validate_document(UPSTREAM_RESOURCES, "resources") == []
    assert detect_kind(UPSTREAM_RESOURCES) == "resources"


def test_upstream_resource_file_at_the_baseline_commit_validates_when_available() -> None:
    """Same check against the real upstream file, when a checkout is reachable via WORKERFLOW_UPSTREAM."""
    repo = os.environ.get("WORKERFLOW_UPSTREAM")
    if not repo:
        pytest.skip("set WORKERFLOW_UPSTREAM to an upstream git directory to compare with the real file")
    shown = subprocess.run(
        ["git", "-C", repo, "show", "7d7e660:infra/cloudflare.resources.json"],
        capture_output=True,
        text=True,
        check=True,
    )
    document = json.loads(shown.stdout)
    assert document == UPSTREAM_RESOURCES
    assert validate_document(document, "resources") == []


def test_resources_schema_still_rejects_other_unknown_root_keys() -> None:
    document = dict(UPSTREAM_RESOURCES, region="eu")
    assert validate_document(document, "resources") == [Finding("", 'unexpected property "region"')]


VALID_FIXTURES = sorted(VALID.iterdir())


@pytest.mark.parametrize("path", VALID_FIXTURES, ids=lambda p: p.name)
def test_valid_examples_validate(path: Path) -> None:
    assert validate_file(path) == []


def test_there_is_a_valid_example_of_every_fixture_kind() -> None:
    detected = {schemas.check_file(path)[0] for path in VALID_FIXTURES}
    assert {k for k in KINDS if k.endswith("-fixture")} | {"queue-task"} <= detected


# --------------------------------------------------------------------------- the broken corpus

# file, kind (None = detected from content), exact pointer, message fragment
BROKEN_CASES: list[tuple[str, str | None, str, str]] = [
    ("routes-missing-wrapbody.json", None, "/0", 'missing required property "wrapBody"'),
    ("routes-bad-request-type.json", None, "/0/requestType", 'expected one of "sync", "async", got "both"'),
    ("routes-wrapbody-string.json", None, "/0/wrapBody", 'expected boolean, got string "yes"'),
    ("routes-extra-property.json", None, "/1", 'unexpected property "extra"'),
    ("routes-empty-flowpath.json", None, "/0/flowPath", "must not be empty"),
    ("schedules-enabled-string.json", None, "/0/enabled", 'expected boolean, got string "true"'),
    ("schedules-empty-cron.yaml", None, "/0/cron", "must not be empty"),
    ("schedules-not-a-list.json", "schedules-config", "", "expected array, got object"),
    ("queue-task-bad-enqueued-at.json", None, "/enqueuedAt", "expected an ISO timestamp"),
    ("queue-task-impossible-date.json", None, "/enqueuedAt", 'got "2026-02-30T12:00:00.000Z"'),
    ("queue-task-route-with-schedule-id.json", None, "", '"scheduleId" is only allowed when kind is "scheduled_job"'),
    (
        "queue-task-bad-kind.json",
        "queue-task",
        "/kind",
        'expected one of "http_route", "scheduled_job", got "cron_job"',
    ),
    ("resources-no-workers.json", None, "/workers", "must not be empty"),
    ("resources-d1-missing-id.json", None, "/d1", 'missing required property "database_id"'),
    ("route-fixture-status-string.json", None, "/expect/status", 'expected integer, got string "202"'),
    ("route-fixture-body-and-body-text.json", None, "/request", 'give either "body" or "bodyText", not both'),
    ("route-fixture-relative-path.json", None, "/request/path", 'expected a path starting with "/"'),
    ("route-fixture-env-not-string.json", None, "/env/API_INGRESS_TOKEN", "expected string, got integer 5"),
    ("route-fixture-repeat-zero.json", None, "/repeat/times", "must be at least 1, got 0"),
    ("schedule-fixture-bad-time.json", None, "/trigger/scheduledTime", 'got "2026-02-28T12:00:00Z"'),
    ("schedule-fixture-unquoted-time.yaml", None, "/trigger/scheduledTime", "quote it to keep it a string"),
    ("schedule-fixture-task-extra.json", None, "/expect/tasks/0", 'unexpected property "traceId"'),
    ("handler-fixture-output-and-error.json", None, "/expect", 'give exactly one of "output" or "error"'),
    ("handler-fixture-no-outcome.json", None, "/expect", 'give exactly one of "output" or "error"'),
    ("handler-fixture-task-missing-route-path.json", None, "/task", 'missing required property "routePath"'),
    ("handler-fixture-stub-json-and-text.json", None, "/outbound/0", 'give either "json" or "text"'),
    ("handler-fixture-lowercase-method.json", None, "/expect/outboundCalls/0/method", "upper-case HTTP method"),
    ("manifest-fixture-bad-mode.json", None, "/expect/mode", 'expected one of "legacy", "config", got "yaml"'),
    ("manifest-fixture-error-with-routes.json", None, "/expect", 'cannot be combined with "errorPrefix"'),
    ("manifest-fixture-missing-env.json", None, "", 'missing required property "env"'),
    ("runtime-config-two-expectations.json", None, "/expect", 'give exactly one of "errors", "errorsContain"'),
    ("runtime-config-task-scope-without-task.json", None, "", 'missing required property "task"'),
    ("runtime-config-bad-env-name.json", None, "/env", 'property name "1BAD": environment variable names'),
    ("fixture-bad-level.yaml", None, "/level", 'expected one of "required", "recommended", got "optional"'),
    ("fixture-id-with-space.json", None, "/id", 'got "has space"'),
]


def test_broken_corpus_is_large_and_fully_listed() -> None:
    on_disk = {p.name for p in BROKEN.iterdir()}
    listed = [case[0] for case in BROKEN_CASES]
    assert len(listed) == len(set(listed))
    assert on_disk == set(listed)
    assert len(on_disk) >= 15


@pytest.mark.parametrize(("name", "kind", "pointer", "fragment"), BROKEN_CASES, ids=[c[0] for c in BROKEN_CASES])
def test_broken_file_reports_exactly_one_finding_at_the_exact_pointer(
    name: str, kind: str | None, pointer: str, fragment: str
) -> None:
    findings = validate_file(BROKEN / name, kind)
    assert [f.pointer for f in findings] == [pointer], findings
    assert fragment in findings[0].message
    # jsonschema's own wording (Python reprs) never leaks through.
    assert not re.search(r"is not of type|is a required property|was unexpected|were unexpected", findings[0].message)


@pytest.mark.parametrize("name", ["schedules-not-a-list.json", "queue-task-bad-kind.json"])
def test_undetectable_broken_files_ask_for_a_kind(name: str) -> None:
    with pytest.raises(
        FileProblem, match=r"cannot detect the kind of this document; pass --kind \(one of: routes-config"
    ):
        validate_file(BROKEN / name)


# --------------------------------------------------------------------------- messages and ordering


def test_every_error_is_reported_sorted_by_pointer() -> None:
    document = [
        {"routePath": "", "requestType": "both", "flowPath": 3, "wrapBody": "yes", "extra": 1},
        {"routePath": "b", "requestType": "sync", "flowPath": "f", "wrapBody": True},
        {},
    ]
    document += [dict(document[1]) for _ in range(8)]
    document.append({"routePath": "x", "requestType": "sync", "flowPath": "f"})
    findings = validate_document(document, "routes-config")
    assert [(f.location, f.message) for f in findings] == [
        ("/0", 'unexpected property "extra"'),
        ("/0/flowPath", "expected string, got integer 3"),
        ("/0/requestType", 'expected one of "sync", "async", got "both"'),
        ("/0/routePath", "must not be empty"),
        ("/0/wrapBody", 'expected boolean, got string "yes"'),
        ("/2", 'missing required property "flowPath"'),
        ("/2", 'missing required property "requestType"'),
        ("/2", 'missing required property "routePath"'),
        ("/2", 'missing required property "wrapBody"'),
        ("/11", 'missing required property "wrapBody"'),
    ]


def test_root_pointer_renders_as_slash_and_pointers_escape_per_rfc_6901() -> None:
    (finding,) = validate_document({"a/b~c": 1}, "schedules-config")
    assert finding.pointer == ""
    assert finding.location == "/"
    assert str(finding) == "/: expected array, got object"
    env_finding = validate_document(
        {"kind": "manifest", "id": "m", "env": {"A": 1}, "expect": {"mode": "legacy"}}, "manifest-fixture"
    )
    assert [f.pointer for f in env_finding] == ["/env/A"]
    assert schemas.json_pointer(["a/b", "c~d", 0]) == "/a~1b/c~0d/0"


def test_task_kind_rules_apply_in_both_directions() -> None:
    task = {
        "kind": "scheduled_job",
        "traceId": "t",
        "routePath": "r",
        "payload": {},
        "enqueuedAt": "2026-02-28T12:00:00.000Z",
    }
    messages = [f.message for f in validate_document(task, "queue-task")]
    assert messages == [
        '"routePath" is only allowed when kind is "http_route"',
        'missing required property "scheduleId"',
    ]


@pytest.mark.parametrize(
    ("document", "kind"),
    [([], "queue-task"), ("x", "handler-fixture"), ([1], "runtime-config-fixture"), (None, "manifest-fixture")],
)
def test_conditional_rules_stay_quiet_on_non_objects(document: Any, kind: str) -> None:
    """if/then rules must not pile extra findings onto a plain type error."""
    findings = validate_document(document, kind)
    assert [f.pointer for f in findings] == [""]
    assert findings[0].message.startswith("expected object, got")


def test_queue_task_allows_unknown_fields_and_any_payload() -> None:
    for payload in (None, "", 3, [1, {"a": []}], {"body": {"x": 1}}):
        task = {
            "kind": "http_route",
            "traceId": "t",
            "routePath": "r",
            "payload": payload,
            "enqueuedAt": "2026-02-28T12:00:00.000Z",
            "extra": True,
        }
        assert validate_document(task, "queue-task") == []


def test_nan_is_reported_as_not_json() -> None:
    document = {
        "kind": "route",
        "id": "r",
        "request": {"path": "/api/x", "body": float("nan")},
        "expect": {"status": 202},
    }
    assert validate_document(document, "route-fixture") == [
        Finding("/request/body", "nan is not a JSON number (NaN and Infinity are not allowed)")
    ]


def test_route_fixture_task_null_means_nothing_queued_and_is_valid() -> None:
    base = {"kind": "route", "id": "r", "request": {"path": "/api/x"}}
    assert validate_document({**base, "expect": {"status": 202, "task": None}}, "route-fixture") == []
    findings = validate_document({**base, "expect": {"status": 202, "task": {"routepath": "x"}}}, "route-fixture")
    assert findings == [Finding("/expect/task", 'unexpected property "routepath"')]


def test_runtime_config_manifest_scope_forbids_a_task() -> None:
    document = {
        "kind": "runtime-config",
        "id": "c",
        "env": {},
        "scope": "manifest",
        "task": {"kind": "http_route", "routePath": "chat_notify"},
        "expect": {"errors": []},
    }
    assert validate_document(document, "runtime-config-fixture") == [
        Finding("", '"task" is not used when scope is "manifest"')
    ]


def test_manifest_fixture_expected_lists_are_as_loose_as_the_runtime() -> None:
    """The runtime keeps empty strings and unknown keys, so expected lists may contain them."""
    document = {
        "kind": "manifest",
        "id": "m",
        "env": {"MANIFEST_MODE": "config"},
        "expect": {
            "mode": "config",
            "routes": [{"routePath": "", "requestType": "sync", "flowPath": "", "wrapBody": True, "x": 1}],
        },
    }
    assert validate_document(document, "manifest-fixture") == []


def test_unknown_kind_is_a_file_problem() -> None:
    with pytest.raises(FileProblem, match="unknown kind 'nope'"):
        validate_file(VALID / "queue-task-route.json", "nope")


def test_recursive_yaml_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("&a [*a]\n", encoding="utf-8")
    findings = validate_file(path, "routes-config")
    assert findings == [Finding("/0", "expected object, got array")]


# --------------------------------------------------------------------------- kind detection


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([{"routePath": "a"}], "routes-config"),
        ([{"id": "a"}, {"cron": "0 0 * * *"}], "schedules-config"),
        ({"kind": "route"}, "route-fixture"),
        ({"kind": "schedule"}, "schedule-fixture"),
        ({"kind": "handler"}, "handler-fixture"),
        ({"kind": "manifest"}, "manifest-fixture"),
        ({"kind": "runtime-config"}, "runtime-config-fixture"),
        ({"kind": "http_route", "traceId": "t"}, "queue-task"),
        ({"kind": "scheduled_job", "traceId": "t"}, "queue-task"),
        ({"workers": []}, "resources"),
        ({"account_id": "x"}, "resources"),
        # ambiguous or unknown
        ([], None),
        ([{"routePath": "a"}, {"id": "b"}], None),
        ([1, 2], None),
        ({"kind": "http_route"}, None),
        ({"kind": "routes"}, None),
        ({"kind": "route", "d1": {}}, None),
        ({"kind": "http_route", "traceId": "t", "workers": []}, None),
        ({}, None),
        ("text", None),
        (3, None),
        (None, None),
    ],
)
def test_detect_kind(document: Any, expected: str | None) -> None:
    assert detect_kind(document) == expected


@pytest.mark.parametrize("path", VALID_FIXTURES, ids=lambda p: p.name)
def test_detect_kind_on_valid_examples_matches_their_content(path: Path) -> None:
    kind, _ = schemas.check_file(path)
    expected = path.name.split("-")[0]
    assert kind.startswith({"queue": "queue-task", "runtime": "runtime-config"}.get(expected, expected))


def test_compat_overrides_are_detected_and_validated() -> None:
    from workerflow_kit.contracts.schemas import detect_kind, validate_document

    document = {"overrides": [{"rule": "route-added", "level": "error", "reason": "new routes need review"}]}
    assert detect_kind(document) == "compat-overrides"
    assert validate_document(document, "compat-overrides") == []
    broken = {"overrides": [{"rule": "route-added", "level": "fatal", "reason": "x"}]}
    assert [f.pointer for f in validate_document(broken, "compat-overrides")] == ["/overrides/0/level"]
