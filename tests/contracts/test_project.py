"""The project loader: the bundled baseline, a user's checkout, and every way a checkout can be broken."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from workerflow_kit import resources
from workerflow_kit.contracts.project import ProjectError, load_checkout, load_project
from workerflow_kit.contracts.topology import Topology, WorkerFacts
from workerflow_kit.errors import FileProblem


def wrangler_config(worker: WorkerFacts) -> dict[str, Any]:
    """A wrangler.jsonc body equivalent to one worker's facts, in wrangler's own key names."""
    config: dict[str, Any] = {"name": worker.name, "main": "src/index.ts", "vars": dict(worker.vars)}
    if worker.d1_databases:
        config["d1_databases"] = [
            {**d.model_dump(), "database_id": "REPLACE_WITH_D1_DATABASE_ID"} for d in worker.d1_databases
        ]
    queues: dict[str, Any] = {}
    if worker.queue_producers:
        queues["producers"] = [p.model_dump() for p in worker.queue_producers]
    if worker.queue_consumers:
        queues["consumers"] = [c.model_dump(exclude_none=True) for c in worker.queue_consumers]
    if queues:
        config["queues"] = queues
    if worker.services:
        config["services"] = [s.model_dump() for s in worker.services]
    if worker.secrets_store:
        config["secrets_store_secrets"] = [
            {**s.model_dump(), "store_id": "REPLACE_WITH_SECRETS_STORE_ID"} for s in worker.secrets_store
        ]
    if worker.triggers:
        config["triggers"] = {"crons": list(worker.triggers)}
    return config


def make_checkout(root: Path) -> Path:
    """Lay out a checkout the way upstream's cloudflare/ folder is, from the bundled data."""
    bundled = load_project()
    (root / "contracts").mkdir(parents=True)
    for name in ("routes.v1.json", "schedules.v1.json"):
        shutil.copy(resources.contracts_dir() / name, root / "contracts" / name)
    shutil.copytree(resources.contracts_dir() / "migrations" / "d1", root / "migrations" / "d1")
    shutil.copy(resources.openapi_path(), root / "openapi.json")
    for worker in bundled.topology.workers:
        folder = root / "workers" / worker.dir
        folder.mkdir(parents=True)
        body = json.dumps(wrangler_config(worker), indent=2)
        # Comments and a trailing comma, as real wrangler.jsonc files have.
        text = "// generated for a test\n" + body[:-2] + ",\n  /* end */\n}\n"
        (folder / "wrangler.jsonc").write_text(text, encoding="utf-8")
    return root


def test_bundled_baseline_has_the_v01_manifest() -> None:
    project = load_project()
    assert project.bundled
    assert [r.routePath for r in project.routes] == ["webhook_echo", "chat_notify", "lead_normalizer"]
    assert [s.id for s in project.schedules] == ["heartbeat_hourly", "cleanup_daily"]
    assert [p.name for p in project.migrations] == ["0001_init.sql", "0002_replay_lineage.sql"]
    assert project.topology.trigger_crons == ("0 2 1 * *", "0 2 3 * *", "0 0 * * *", "0 5 * * 5")
    consumer = project.topology.consumer_settings
    assert consumer is not None
    assert (consumer.max_batch_size, consumer.max_batch_timeout, consumer.max_retries) == (10, 5, 8)
    assert consumer.dead_letter_queue is None
    assert {w.dir for w in project.topology.workers} == {
        "api",
        "queue-consumer",
        "workflow",
        "scheduler",
        "ops-dashboard",
    }
    assert len(project.topology.worker("workflow").secrets_store) == 52


def test_checkout_round_trips_to_the_bundled_topology(tmp_path: Path) -> None:
    root = make_checkout(tmp_path / "cloudflare")
    project = load_checkout(root)
    bundled = load_project()
    assert not project.bundled
    assert project.routes == bundled.routes
    assert project.schedules == bundled.schedules
    by_dir = {w.dir: w for w in bundled.topology.workers}
    for worker in project.topology.workers:
        assert worker == by_dir[worker.dir]
    assert project.topology.queue == bundled.topology.queue
    assert project.topology.d1_database == bundled.topology.d1_database
    assert project.openapi_path == root / "openapi.json"


def test_repository_root_is_accepted(tmp_path: Path) -> None:
    make_checkout(tmp_path / "cloudflare")
    assert load_checkout(tmp_path).root == tmp_path / "cloudflare"


def test_every_missing_piece_is_reported_at_once(tmp_path: Path) -> None:
    tmp_path.joinpath("contracts").mkdir()
    with pytest.raises(ProjectError) as caught:
        load_checkout(tmp_path)
    rendered = caught.value.render()
    assert "routes.v1.json: no such file" in rendered
    assert "schedules.v1.json: no such file" in rendered
    assert "no migrations folder" in rendered
    assert "no workers/*/wrangler.jsonc files" in rendered
    assert len(caught.value.problems) == 4


@pytest.mark.parametrize(
    ("relative", "content", "expected"),
    [
        ("contracts/routes.v1.json", "{not json", "invalid JSON at line 1 column 2"),
        ("contracts/routes.v1.json", '{"routePath": "x"}', "expected a JSON array"),
        ("contracts/routes.v1.json", '[{"routePath": "x", "requestType": "later"}]', "/0/requestType"),
        ("contracts/schedules.v1.json", "", "empty document"),
        ("workers/api/wrangler.jsonc", "{ // unterminated", "invalid JSON with comments"),
        ("workers/api/wrangler.jsonc", "[1, 2]", "expected a JSON object"),
    ],
)
def test_broken_files_are_named(tmp_path: Path, relative: str, content: str, expected: str) -> None:
    root = make_checkout(tmp_path)
    (root / relative).write_text(content, encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        load_checkout(root)
    assert relative.rsplit("/", maxsplit=1)[-1] in caught.value.render()
    assert expected in caught.value.render()


def test_binary_routes_file(tmp_path: Path) -> None:
    root = make_checkout(tmp_path)
    (root / "contracts" / "routes.v1.json").write_bytes(b"\x00\x01\x02")
    with pytest.raises(ProjectError, match="binary content"):
        load_checkout(root)


def test_path_that_is_a_file_or_missing(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(FileProblem, match="expected a directory"):
        load_checkout(target)
    with pytest.raises(FileProblem, match="no such directory"):
        load_checkout(tmp_path / "missing")


def test_consumer_without_max_retries_gets_cloudflares_default(tmp_path: Path) -> None:
    root = make_checkout(tmp_path)
    config_path = root / "workers" / "queue-consumer" / "wrangler.jsonc"
    config_path.write_text(
        '{"name": "c", "queues": {"consumers": [{"queue": "q"}]}}',
        encoding="utf-8",
    )
    topology: Topology = load_checkout(root).topology
    consumer = topology.worker("queue-consumer").queue_consumers[0]
    assert consumer.max_retries == 3
    assert topology.worker("queue-consumer").entry_points == ("queue",)
