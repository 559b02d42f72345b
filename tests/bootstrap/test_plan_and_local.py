"""`bootstrap plan` (upstream's step list) and `bootstrap apply --local` (SQLite + queue, idempotent)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.bootstrap.conftest import Run
from tests.preflight.checkout import edit
from workerflow_kit.bootstrap import STEP_IDS, apply_local, load_spec, plan_document
from workerflow_kit.cli import cli
from workerflow_kit.runtime.bindings.queue import QueueRegistry


def test_plan_json_has_upstreams_shape_and_step_ids(spec_file: Path) -> None:
    result = CliRunner().invoke(cli, ["bootstrap", "plan", "--resources", str(spec_file), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert list(document) == ["specPath", "applyMode", "plan"]
    assert document["specPath"] == str(spec_file)
    assert document["applyMode"] is False
    assert [step["id"] for step in document["plan"]] == list(STEP_IDS)
    assert all(list(step) == ["id", "cmd"] for step in document["plan"])
    commands = {step["id"]: step["cmd"] for step in document["plan"]}
    assert commands["create_d1"] == "npx wrangler d1 create workerflow-runtime"
    assert commands["create_queue"] == "npx wrangler queues create workerflow-automation-queue"
    assert "--local --config workers/api/wrangler.jsonc" in commands["apply_d1_local_migrations"]
    assert "--remote --config workers/api/wrangler.jsonc" in commands["apply_d1_remote_migrations"]
    deploys = commands["deploy_workers"].split(" && ")
    assert deploys[0].endswith("workers/workflow/wrangler.jsonc")  # the service target goes first
    assert len(deploys) == 5
    assert (
        commands["notes"]
        == "d1_migrations_dir=cloudflare/migrations/d1; secrets_store_id=REPLACE_WITH_SECRETS_STORE_ID"
    )


def test_plan_follows_the_file(spec_file: Path) -> None:
    edit(spec_file, '"workerflow-runtime"', '"acme-runtime"')
    plan = {step["id"]: step["cmd"] for step in plan_document(load_spec(spec_file))["plan"]}
    assert plan["create_d1"] == "npx wrangler d1 create acme-runtime"


def test_plan_text_and_bundled_default() -> None:
    result = CliRunner().invoke(cli, ["bootstrap", "plan"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Bootstrap plan for <bundled>/contracts/examples/cloudflare.resources.example.json")
    assert [line.split(":")[0] for line in lines[1:]] == [f"{n}. {step}" for n, step in enumerate(STEP_IDS, 1)]


def test_plan_rejects_a_file_breaking_the_schema(spec_file: Path, run: Run) -> None:
    edit(spec_file, '"migrations_dir"', '"migrations_folder"')
    code, out, err = run("bootstrap", "plan", "--resources", str(spec_file))
    assert code == 1
    assert out == ""
    assert err.startswith(f"error: {spec_file}: /d1: ")
    assert len(err.splitlines()) == 1


def test_apply_local_creates_the_database_and_queue_then_finds_them(spec_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "local"
    first = CliRunner().invoke(cli, ["bootstrap", "apply", "--resources", str(spec_file), "--local", str(target)])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        f"d1 database workerflow-runtime: created ({target / 'workerflow-runtime.sqlite'})",
        "migrations workerflow-runtime: applied (0001_init.sql, 0002_replay_lineage.sql; "
        "the kit's bundled v0.1 migrations)",
        "queue workerflow-automation-queue: created (messages persist in table _wfkit_queue_messages of "
        "workerflow-runtime.sqlite)",
    ]
    db_file = target / "workerflow-runtime.sqlite"
    with sqlite3.connect(db_file) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        applied = [row[0] for row in connection.execute("SELECT name FROM d1_migrations ORDER BY id")]
    assert {"runs", "idempotency_keys", "dead_letters", "replay_lineage", "_wfkit_queue_messages"} <= tables
    assert applied == ["0001_init.sql", "0002_replay_lineage.sql"]

    # A message left in the queue survives, and a second apply finds everything.
    registry = QueueRegistry(path=db_file)
    asyncio.run(registry.get_or_create("workerflow-automation-queue").send({"hello": "world"}))
    registry.close()
    second = apply_local(load_spec(spec_file), target)
    assert [(a.resource, a.outcome) for a in second] == [
        ("d1 database", "found"),
        ("migrations", "up to date"),
        ("queue", "found"),
    ]
    assert second[1].detail == "2 applied earlier"
    assert second[2].detail.startswith("1 pending messages")


def test_apply_local_applies_only_new_migrations(spec_file: Path, tmp_path: Path) -> None:
    # The file's migrations_dir (relative to the repository root above infra/) is used when it exists.
    migrations = tmp_path / "cloudflare" / "migrations" / "d1"
    migrations.mkdir(parents=True)
    (migrations / "0001_init.sql").write_text("CREATE TABLE IF NOT EXISTS a (id INTEGER);\n")
    target = tmp_path / "local"
    assert [a.outcome for a in apply_local(load_spec(spec_file), target)][1] == "applied"
    (migrations / "0002_more.sql").write_text("CREATE TABLE IF NOT EXISTS b (id INTEGER);\n")
    again = apply_local(load_spec(spec_file), target)
    assert again[1].outcome == "applied"
    assert again[1].detail.startswith("0002_more.sql;")


def test_apply_local_reports_a_broken_migration_in_one_line(spec_file: Path, tmp_path: Path, run: Run) -> None:
    migrations = tmp_path / "bad"
    migrations.mkdir()
    (migrations / "0001_bad.sql").write_text("CREATE TABLE broken (;\n")
    local = str(tmp_path / "l")
    code, _, err = run(
        "bootstrap", "apply", "--resources", str(spec_file), "--local", local, "--migrations", str(migrations)
    )
    assert code == 2
    assert err == f'error: {migrations / "0001_bad.sql"}: migration 0001_bad.sql failed: near ";": syntax error\n'


def test_default_resources_file_is_upstreams_from_the_repository_root(
    spec_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_spec().shown == "infra/cloudflare.resources.json"
    (tmp_path / "cloudflare").mkdir()
    monkeypatch.chdir(tmp_path / "cloudflare")  # upstream runs its script from cloudflare/
    assert load_spec().shown == "../infra/cloudflare.resources.json"
