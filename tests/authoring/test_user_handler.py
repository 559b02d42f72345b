"""A handler author's flow: a Python handler for a config-mode route, its fixtures run in process, outbound
HTTP answered by stubs (respx underneath, so nothing reaches the network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.authoring.support import run_cli, write
from tests.authoring.user_handlers import BILLING_URL

HANDLERS = "tests.authoring.user_handlers:register"
ROUTES_CONFIG = [
    {"routePath": "invoice_created", "requestType": "sync", "flowPath": "f/billing/invoice", "wrapBody": True}
]
INVOICE = {"id": "in_1", "amount": 1200}
BILLING_STUB = {"method": "POST", "url": BILLING_URL, "status": 201, "json": {"id": "bill-42"}}


@pytest.fixture
def fixtures_dir(tmp_path: Path) -> Path:
    write(
        tmp_path / "handlers" / "invoice-created.json",
        {
            "kind": "handler",
            "id": "handler/invoice_created/files-the-invoice",
            "task": {"kind": "http_route", "routePath": "invoice_created"},
            "payload": {"body": INVOICE},
            "traceId": "fixture-invoice",
            "outbound": [BILLING_STUB],
            "expect": {
                "output": {"ok": True, "billingId": "bill-42"},
                "outboundCalls": [
                    {
                        "method": "POST",
                        "url": BILLING_URL,
                        "jsonFields": {"invoice": INVOICE, "trace": "fixture-invoice"},
                    }
                ],
            },
        },
    )
    write(
        tmp_path / "routes" / "invoice-created.json",
        {
            "kind": "route",
            "id": "route/invoice_created/sync-result",
            "description": "The config-mode route runs the user's handler inline and wraps its result.",
            "env": {"MANIFEST_MODE": "config", "ROUTES_CONFIG_JSON": json.dumps(ROUTES_CONFIG)},
            "outbound": [BILLING_STUB],
            "request": {
                "path": "/api/invoice_created",
                "headers": {"x-trace-id": "fixture-invoice-route"},
                "body": INVOICE,
            },
            "expect": {
                "status": 200,
                "bodyExact": {"traceId": "fixture-invoice-route", "result": {"ok": True, "billingId": "bill-42"}},
                "task": None,
                "workflowCalled": True,
                "outboundCalls": [
                    {"url": BILLING_URL, "jsonFields": {"invoice": INVOICE, "trace": "fixture-invoice-route"}}
                ],
            },
        },
    )
    return tmp_path


def test_the_users_handler_passes_its_fixtures_with_stubbed_outbound_calls(
    fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_cli(capsys, "fixtures", "run", str(fixtures_dir), "--handlers", HANDLERS)
    assert ran.code == 0, ran.out
    assert "PASS handler/invoice_created/files-the-invoice" in ran.out
    assert "PASS route/invoice_created/sync-result" in ran.out
    assert ran.last_line == "2 passed, 0 failed, 0 skipped"


def test_a_stub_answering_otherwise_shows_in_the_diff(fixtures_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = fixtures_dir / "handlers" / "invoice-created.json"
    document = json.loads(path.read_text())
    document["outbound"][0]["status"] = 500
    path.write_text(json.dumps(document))
    ran = run_cli(capsys, "fixtures", "run", str(path), "--handlers", HANDLERS)
    assert ran.code == 1
    assert "  /output/ok: expected true, got false" in ran.out.splitlines()


def test_without_the_handler_the_workflow_has_nothing_to_run(
    fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_cli(capsys, "fixtures", "run", str(fixtures_dir / "handlers"))
    assert ran.code == 1
    assert 'No HTTP handler registered for route \\"invoice_created\\"' in ran.out
    assert "  /outboundCalls: expected 1 call(s), got 0: []" in ran.out.splitlines()
