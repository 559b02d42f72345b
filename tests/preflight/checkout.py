"""Build a WorkerFlow checkout in a temporary folder, laid out like upstream's repository, that passes preflight.

Each test then breaks one rule. The layout: ``<repo>/cloudflare/`` (contracts, migrations, workers/*/wrangler.jsonc,
shared/*.ts, the workflow's handler tables, config examples, .dev.vars.example) and ``<repo>/infra/`` (the
resources file and its schema).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import json5

from tests.contracts.test_project import wrangler_config
from workerflow_kit import resources
from workerflow_kit.contracts.project import load_project
from workerflow_kit.contracts.schemas import load_schema

REAL_IDS = {
    "REPLACE_WITH_D1_DATABASE_ID": "0f8e6a2c-1111-4c5e-9d0b-6a7b8c9d0e1f",
    "REPLACE_WITH_SECRETS_STORE_ID": "5e1d3a7b9c0f4e2d8a6b1c3d5e7f9a0b",
    "REPLACE_WITH_CLOUDFLARE_ACCOUNT_ID": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
}


def ts_array(name: str, type_name: str, items: list[Any]) -> str:
    body = json.dumps(items, indent=2)
    return f'import type {{ {type_name} }} from "./types";\n\nexport const {name}: {type_name}[] = {body};\n'


def ts_handlers(name: str, keys: list[str]) -> str:
    lines = "".join(f"  {key}: handle_{key},\n" for key in keys)
    return f"export const {name}: Record<string, Handler> = {{\n{lines}}};\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def build_checkout(repo: Path) -> Path:
    """A clean checkout under ``repo``; returns ``repo``."""
    app = repo / "cloudflare"
    (app / "contracts").mkdir(parents=True)
    for name in ("routes.v1.json", "schedules.v1.json"):
        shutil.copy(resources.contracts_dir() / name, app / "contracts" / name)
    shutil.copytree(resources.contracts_dir() / "migrations" / "d1", app / "migrations" / "d1")
    for worker in load_project().topology.workers:
        # Three Secrets-Store bindings are enough here (JSON5 parsing of upstream's 52 is slow).
        config = wrangler_config(worker.model_copy(update={"secrets_store": worker.secrets_store[:3]}))
        text = json.dumps(config, indent=2)  # plain JSON, as upstream writes its wrangler.jsonc files
        for placeholder, real in REAL_IDS.items():
            text = text.replace(placeholder, real)
        write(app / "workers" / worker.dir / "wrangler.jsonc", text)
    # Triggers that fire the two built-in schedules (upstream's v0.1 triggers fire neither).
    scheduler = app / "workers" / "scheduler" / "wrangler.jsonc"
    document = json5.loads(scheduler.read_text(encoding="utf-8"))
    document["triggers"]["crons"] = ["0 * * * *", "0 3 * * *"]
    scheduler.write_text(json.dumps(document, indent=2), encoding="utf-8")

    routes = json.loads((app / "contracts" / "routes.v1.json").read_text())
    schedules = json.loads((app / "contracts" / "schedules.v1.json").read_text())
    write(app / "shared" / "routes.ts", ts_array("ROUTES", "RouteDefinition", routes))
    write(app / "shared" / "schedules.ts", ts_array("SCHEDULES", "ScheduleDefinition", schedules))
    handlers = app / "workers" / "workflow" / "src" / "handlers"
    write(handlers / "http" / "index.ts", ts_handlers("HTTP_ROUTE_HANDLERS", [r["routePath"] for r in routes]))
    write(handlers / "cron" / "index.ts", ts_handlers("CRON_SCHEDULE_HANDLERS", [s["id"] for s in schedules]))
    for name in ("routes.config.example.json", "schedules.config.example.json"):
        (app / "config").mkdir(exist_ok=True)
        shutil.copy(resources.contracts_dir() / "examples" / name, app / "config" / name)
    write(app / ".dev.vars.example", "ENV_NAME=dev\nGOOGLEAI_API_KEY=replace-me\nCHAT_WEBHOOK_URL=replace-me\n")
    write(app / "docs" / "ENVIRONMENT.md", "# Secrets\n\n- `CLEANUP_SIGNING_SECRET` (cleanup_daily)\n")

    schema = load_schema("resources")
    write(repo / "infra" / "cloudflare.resources.schema.json", json.dumps(schema, indent=2))
    spec = json.loads((resources.contracts_dir() / "examples" / "cloudflare.resources.example.json").read_text())
    spec["$schema"] = "./cloudflare.resources.schema.json"
    text = json.dumps(spec, indent=2)
    for placeholder, real in REAL_IDS.items():
        text = text.replace(placeholder, real)
    write(repo / "infra" / "cloudflare.resources.json", text)
    return repo
