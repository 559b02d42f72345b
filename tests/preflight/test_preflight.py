"""run_preflight on the bundled baseline, on upstream-shaped checkouts, and on checkouts that break one rule each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.contracts.test_project import make_checkout
from tests.preflight.checkout import build_checkout, edit, ts_handlers, write
from workerflow_kit.contracts.project import ProjectError
from workerflow_kit.preflight import CHECKS, PreflightReport, PreflightResult, run_preflight

APP = Path("cloudflare")


def problems(report: PreflightReport, check_id: str | None = None) -> list[PreflightResult]:
    return [r for r in report.results if r.status != "ok" and (check_id is None or r.id == check_id)]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return build_checkout(tmp_path / "repo")


def test_baseline_warns_only_about_schedules_that_never_fire() -> None:
    report = run_preflight()
    assert not report.failed(strict=False)
    assert report.failed(strict=True)
    assert {r.id for r in problems(report)} == {"preflight.schedules-fire", "preflight.triggers-used"}
    assert all(r.status == "warn" for r in problems(report))
    never = problems(report, "preflight.schedules-fire")
    assert [(r.file, r.pointer) for r in never] == [
        ("contracts/schedules.v1.json", "/0/cron"),
        ("contracts/schedules.v1.json", "/1/cron"),
    ]
    assert '"heartbeat_hourly"' in never[0].message
    assert '"0 * * * *"' in never[0].message
    unused = problems(report, "preflight.triggers-used")
    assert ['"0 2 1 * *"' in r.message for r in unused] == [True, False, False, False]
    assert [r.pointer for r in unused] == [f"/workers/3/triggers/{i}" for i in range(4)]
    # The bundled infra file is the shipped example, a template: its placeholders are expected, and counted.
    [placeholders] = [r for r in report.results if r.id == "preflight.no-placeholders"]
    assert placeholders.status == "ok"
    assert "keeps its 3 placeholders on purpose" in placeholders.message


def test_every_check_reports_on_the_baseline() -> None:
    assert {r.id for r in run_preflight().results} == set(CHECKS)


def test_a_clean_checkout_passes_strict(repo: Path) -> None:
    report = run_preflight(repo)
    assert problems(report) == []
    assert not report.failed(strict=True)
    # The cloudflare/ folder itself works too; paths are then shown from there.
    inner = run_preflight(repo / APP)
    assert problems(inner) == []


def test_missing_handler_fails_and_names_the_route(repo: Path) -> None:
    index = repo / APP / "workers/workflow/src/handlers/http/index.ts"
    write(index, ts_handlers("HTTP_ROUTE_HANDLERS", ["webhook_echo", "lead_normalizer", "old_route"]))
    report = run_preflight(repo)
    found = problems(report, "preflight.handlers-registered")
    assert [(r.status, r.file, r.pointer) for r in found] == [
        ("fail", "cloudflare/shared/routes.ts", "/1/routePath"),
        ("warn", "cloudflare/workers/workflow/src/handlers/http/index.ts", "/HTTP_ROUTE_HANDLERS/old_route"),
    ]
    assert 'route "chat_notify" has no http handler' in found[0].message
    assert '"old_route"' in found[1].message
    assert report.failed(strict=False)


def test_unreadable_handler_table_fails(repo: Path) -> None:
    write(repo / APP / "workers/workflow/src/handlers/cron/index.ts", "export const OTHER = {};\n")
    found = problems(run_preflight(repo), "preflight.handlers-registered")
    assert found[0].status == "fail"
    assert "CRON_SCHEDULE_HANDLERS" in found[0].message


def test_manifest_differing_from_the_contract_fails(repo: Path) -> None:
    edit(repo / APP / "shared/routes.ts", '"requestType": "sync"', '"requestType": "async"')
    found = problems(run_preflight(repo), "preflight.manifest-matches-contract")
    assert len(found) == 1
    assert found[0].status == "fail"
    assert found[0].file == "cloudflare/shared/routes.ts"
    assert found[0].pointer == "/2/requestType"
    assert "route-request-type-changed" in found[0].message


def test_placeholders_are_warnings_with_pointer_and_line(repo: Path) -> None:
    config = repo / APP / "workers/api/wrangler.jsonc"
    edit(
        config,
        '"name": "workerflow-runtime-api",',
        '"name": "workerflow-runtime-api",\n  "account_id": "REPLACE_WITH_X",',
    )
    line = next(n for n, text in enumerate(config.read_text().splitlines(), 1) if "REPLACE_WITH_X" in text)
    report = run_preflight(repo)
    found = problems(report, "preflight.no-placeholders")
    assert [(r.status, r.file, r.pointer) for r in found] == [
        ("warn", "cloudflare/workers/api/wrangler.jsonc", "/account_id")
    ]
    assert f"(line {line})" in found[0].message
    assert '"REPLACE_WITH_X"' in found[0].message
    assert not report.failed(strict=False)
    assert report.failed(strict=True)


def test_schedule_without_trigger_warns_and_the_trigger_is_named(repo: Path) -> None:
    edit(repo / APP / "workers/scheduler/wrangler.jsonc", '"0 3 * * *"', '"0 4 * * *"')
    report = run_preflight(repo)
    never = problems(report, "preflight.schedules-fire")
    assert [(r.status, r.pointer) for r in never] == [("warn", "/1/cron")]
    assert '"cleanup_daily"' in never[0].message
    unused = problems(report, "preflight.triggers-used")
    assert [(r.status, r.file, r.pointer) for r in unused] == [
        ("warn", "cloudflare/workers/scheduler/wrangler.jsonc", "/triggers/crons/1")
    ]
    assert '"0 4 * * *"' in unused[0].message


def test_zero_as_weekday_fails_with_the_dialect_message(repo: Path) -> None:
    edit(repo / APP / "workers/scheduler/wrangler.jsonc", '"0 3 * * *"', '"0 3 * * 0"')
    report = run_preflight(repo)
    found = problems(report, "preflight.crons-valid")
    assert [(r.status, r.pointer) for r in found] == [("fail", "/triggers/crons/1")]
    assert "0 is not a weekday in Cloudflare's dialect" in found[0].message
    # The invalid trigger is not also reported as unused.
    assert problems(report, "preflight.triggers-used") == []


def test_mismatched_queue_name_fails(repo: Path) -> None:
    edit(repo / APP / "workers/scheduler/wrangler.jsonc", '"workerflow-automation-queue"', '"workerflow-automation-q"')
    found = problems(run_preflight(repo), "preflight.queue-names")
    assert [(r.status, r.file, r.pointer) for r in found] == [
        ("fail", "cloudflare/workers/scheduler/wrangler.jsonc", "/queues/producers/0/queue")
    ]
    assert '"workerflow-automation-q"' in found[0].message


def test_infra_queue_differing_from_the_workers_fails(repo: Path) -> None:
    edit(repo / "infra/cloudflare.resources.json", '"workerflow-automation-queue"', '"other-queue"')
    found = problems(run_preflight(repo), "preflight.queue-names")
    assert [(r.file, r.pointer) for r in found] == [("infra/cloudflare.resources.json", "/queue/name")]


def test_service_binding_to_unknown_worker_fails(repo: Path) -> None:
    edit(
        repo / APP / "workers/api/wrangler.jsonc",
        '"service": "workerflow-runtime-workflow"',
        '"service": "wf-workflow"',
    )
    found = problems(run_preflight(repo), "preflight.service-bindings")
    assert [(r.status, r.pointer) for r in found] == [("fail", "/services/0/service")]


def test_bad_migration_fails_naming_the_file(repo: Path) -> None:
    write(repo / APP / "migrations/d1/0003_broken.sql", "ALTER TABLE missing_table ADD COLUMN x TEXT;\n")
    found = problems(run_preflight(repo), "preflight.migrations-apply")
    assert [(r.status, r.file) for r in found] == [("fail", "cloudflare/migrations/d1/0003_broken.sql")]
    assert "after 0001_init.sql, 0002_replay_lineage.sql" in found[0].message
    assert "no such table: missing_table" in found[0].message


def test_bad_config_example_fails_with_pointer(repo: Path) -> None:
    path = repo / APP / "config/routes.config.example.json"
    routes = json.loads(path.read_text())
    routes[0]["wrapBody"] = "yes"
    path.write_text(json.dumps(routes))
    found = problems(run_preflight(repo), "preflight.config-examples-valid")
    assert [(r.status, r.pointer) for r in found] == [("fail", "/0/wrapBody")]
    assert 'expected boolean, got string "yes"' in found[0].message


def test_upstream_schema_rejecting_dollar_schema_is_reported_precisely(repo: Path) -> None:
    schema_path = repo / "infra/cloudflare.resources.schema.json"
    schema = json.loads(schema_path.read_text())
    del schema["properties"]["$schema"]  # upstream's schema: additionalProperties false, no "$schema"
    schema_path.write_text(json.dumps(schema))
    report = run_preflight(repo)
    found = problems(report, "preflight.infra-own-schema")
    assert [(r.status, r.file, r.pointer) for r in found] == [("warn", "infra/cloudflare.resources.json", "/$schema")]
    assert '"additionalProperties": false' in found[0].message
    assert "'$schema' was unexpected" in found[0].message
    # The kit's own schema accepts the key.
    assert problems(report, "preflight.infra-schema") == []


def test_dollar_schema_pointing_nowhere_fails(repo: Path) -> None:
    edit(repo / "infra/cloudflare.resources.json", "./cloudflare.resources.schema.json", "./missing.schema.json")
    found = problems(run_preflight(repo), "preflight.infra-own-schema")
    assert [(r.status, r.pointer) for r in found] == [("fail", "/$schema")]
    assert "does not exist" in found[0].message


def test_infra_file_breaking_the_kit_schema_fails(repo: Path) -> None:
    edit(repo / "infra/cloudflare.resources.json", '"migrations_dir"', '"migrations_folder"')
    found = problems(run_preflight(repo), "preflight.infra-schema")
    assert {r.status for r in found} == {"fail"}
    assert {r.pointer for r in found} == {"/d1"}


def test_undocumented_env_var_warns(repo: Path) -> None:
    write(repo / APP / "docs/ENVIRONMENT.md", "# Secrets\n\nNothing here yet.\n")
    report = run_preflight(repo)
    found = problems(report, "preflight.env-documented")
    assert [r.status for r in found] == ["warn"]
    assert 'schedule "cleanup_daily" needs CLEANUP_SIGNING_SECRET' in found[0].message
    assert not report.failed(strict=False)
    assert report.failed(strict=True)


def test_report_json_shape(repo: Path) -> None:
    edit(repo / APP / "workers/scheduler/wrangler.jsonc", '"0 3 * * *"', '"0 3 * * 0"')
    document = run_preflight(repo).to_json()
    assert set(document) == {"project", "strict", "failed", "counts", "results"}
    assert document["failed"] is True
    assert set(document["counts"]) == {"ok", "warn", "fail"}
    assert sum(document["counts"].values()) == len(document["results"])
    failing = [r for r in document["results"] if r["status"] == "fail"]
    assert failing == [
        {
            "id": "preflight.crons-valid",
            "status": "fail",
            "message": failing[0]["message"],
            "file": "cloudflare/workers/scheduler/wrangler.jsonc",
            "pointer": "/triggers/crons/1",
        }
    ]


def test_unloadable_project_raises_the_loader_error(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    with pytest.raises(ProjectError):
        run_preflight(tmp_path)


def test_contracts_only_checkout_uses_the_reference_registry(tmp_path: Path) -> None:
    report = run_preflight(make_checkout(tmp_path / "app"))
    handlers = [r for r in report.results if r.id == "preflight.handlers-registered"]
    assert [r.status for r in handlers] == ["ok"]
    assert "the reference runtime's handler registry (no workers/workflow/src/handlers" in handlers[0].message
    contract = [r for r in report.results if r.id == "preflight.manifest-matches-contract"]
    assert [r.status for r in contract] == ["ok"]
    assert [r.status for r in report.results if r.id == "preflight.infra-schema"] == ["warn"]  # no infra file


def test_only_the_schedulers_triggers_fire_schedules(repo: Path) -> None:
    # A trigger on another worker runs that worker's own scheduled handler: it neither fires a schedule nor is
    # reported as unused by the scheduler, but its cron is still checked.
    api = repo / APP / "workers/api/wrangler.jsonc"
    edit(
        api,
        '"name": "workerflow-runtime-api",',
        '"name": "workerflow-runtime-api",\n  "triggers": {"crons": ["0 9 * * *"]},',
    )
    report = run_preflight(repo)
    assert problems(report) == []
    crons = [r for r in report.results if r.id == "preflight.crons-valid"]
    assert crons[0].message.startswith("3 trigger crons")
