"""``workerflow-kit fixtures run`` and the runners behind it: pass, pointer diffs, async runs, handler fixtures."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.authoring.support import run_cli, write
from workerflow_kit import resources
from workerflow_kit.authoring.route_fixtures import run_route_fixture
from workerflow_kit.targets import Capability, InProcessTarget

ROUTES = resources.fixtures_dir() / "routes"


def bundled(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROUTES / name).read_text())
    return document


def test_the_bundled_route_fixtures_pass_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    count = len(list(ROUTES.glob("*.json")))
    ran = run_cli(capsys, "fixtures", "run", str(ROUTES))
    assert ran.code == 0, ran.out
    assert ran.last_line == f"{count} passed, 0 failed, 0 skipped"
    assert "PASS route/webhook_echo/accepted (" in ran.out


def test_a_mismatch_prints_a_pointer_diff_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixture = bundled("lead-normalizer.sync-result.json")
    fixture["id"] = "route/lead_normalizer/edited"
    normalized = fixture["expect"]["bodyExact"]["result"]["normalized"]
    normalized["email"] = "AVA@example.com"
    normalized["company"] = "Acme"
    del normalized["phone"]
    fixture["repeat"]["expect"]["workflowCalled"] = True
    path = write(tmp_path / "routes" / "edited.json", fixture)
    ran = run_cli(capsys, "fixtures", "run", str(path))
    assert ran.code == 1
    assert ran.out.splitlines() == [
        f"FAIL route/lead_normalizer/edited ({path})",
        '  /body/result/normalized/email: expected "AVA@example.com", got "ava@example.com"',
        '  /body/result/normalized/company: missing (expected "Acme")',
        '  /body/result/normalized/phone: unexpected (got "5551112222")',
        "  /repeat/1/workflowCalled: expected true, got false",
        "  /repeat/2/workflowCalled: expected true, got false",
        "0 passed, 1 failed, 0 skipped",
    ]


def test_async_runs_are_polled_until_they_finish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """In process the queue only moves when drained: the runner drains while it polls the ops run detail."""
    failing = {
        "kind": "route",
        "id": "route/chat_notify/no-webhook",
        "request": {"path": "/api/chat_notify", "headers": {"x-trace-id": "fixture-no-webhook"}, "body": {"text": "x"}},
        "expect": {"status": 202, "run": {"status": "failed", "errorContains": "missing required configuration"}},
    }
    wrong = bundled("webhook-echo.text-body.json")
    wrong["expect"]["run"]["output"]["received"] = "other words"
    write(tmp_path / "routes" / "a.json", failing)
    write(tmp_path / "routes" / "b.json", wrong)
    ran = run_cli(capsys, "fixtures", "run", str(tmp_path))
    assert ran.code == 1
    assert "PASS route/chat_notify/no-webhook" in ran.out
    assert '  /run/output/received: expected "other words", got "plain words"' in ran.out.splitlines()
    assert ran.last_line == "1 passed, 1 failed, 0 skipped"


def test_a_run_that_never_comes_is_reported_after_the_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = {
        "kind": "route",
        "id": "route/health/no-run",
        "request": {"method": "GET", "path": "/api/health", "headers": {"x-trace-id": "fixture-health"}},
        "expect": {"status": 200, "run": {"status": "succeeded"}},
    }
    path = write(tmp_path / "routes" / "never.json", fixture)
    ran = run_cli(capsys, "fixtures", "run", str(path), "--timeout", "0.2")
    assert ran.code == 1
    assert "  /run: run wfkit-" in ran.out
    assert "not observed in a terminal state within 0.2 s (last seen: not found)" in ran.out


def test_handler_fixtures_run_on_the_workflow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    handlers = resources.fixtures_dir() / "handlers"
    delivers = json.loads((handlers / "chat-notify.fixture-delivers.json").read_text())
    delivers["id"] = "handler/chat_notify/edited"
    delivers["expect"]["output"]["endpointHost"] = "elsewhere.example"
    delivers["expect"]["outboundCalls"][0]["jsonFieldsContain"]["text"] = "WorkerFlow:someone-else"
    edited = write(tmp_path / "handlers" / "edited.json", delivers)
    ran = run_cli(capsys, "fixtures", "run", str(handlers / "chat-notify.fixture-delivers.json"), str(edited))
    assert ran.code == 1
    assert "PASS handler/chat_notify/fixture-delivers" in ran.out
    assert '  /output/endpointHost: expected "elsewhere.example", got "chat.example"' in ran.out.splitlines()
    assert any(
        line.startswith('  /outboundCalls/0/json/text: expected a text containing "WorkerFlow:someone-else", got "[Wo')
        for line in ran.out.splitlines()
    )


class ReadOnlyInProcess(InProcessTarget):
    """The reference in process, declaring only ``writes_allowed`` (like a URL target with writes allowed)."""

    name = "limited"

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.WRITES_ALLOWED})


def test_without_the_capabilities_the_task_part_skips_naming_one_but_a_wrong_answer_fails() -> None:
    fixture = bundled("webhook-echo.text-body.json")
    del fixture["expect"]["run"]  # this target never delivers the queue, so the run would not come
    with ReadOnlyInProcess() as target:
        outcome = run_route_fixture(target, fixture)
        assert outcome.status == "skipped"
        lacking = "requires capability 'set_env' which target 'limited' lacks"
        assert outcome.reason == f"the queued task is not checked: {lacking}"
        fixture["expect"]["bodyFields"]["routePath"] = "chat_notify"
        failed = run_route_fixture(target, fixture)
        assert failed.status == "failed"
        assert [str(d) for d in failed.differences] == ['/body/routePath: expected "chat_notify", got "webhook_echo"']
        with_env = run_route_fixture(target, bundled("chat-notify.disabled-404.json"))
        assert with_env.reason == "requires capability 'set_env' which target 'limited' lacks"


def test_schedule_fixtures_fire_their_event_and_other_kinds_point_at_the_suites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixtures = resources.fixtures_dir()
    schedule = json.loads((fixtures / "schedules" / "builtin-cleanup-daily.json").read_text())
    schedule["id"] = "schedule/edited"
    schedule["expect"]["tasks"][0]["payload"]["timeZone"] = "Europe/Berlin"
    schedule["expect"]["tasks"].append({"scheduleId": "heartbeat_hourly"})
    edited = write(tmp_path / "schedules" / "edited.json", schedule)
    ran = run_cli(
        capsys,
        "fixtures",
        "run",
        str(fixtures / "schedules" / "builtin-cleanup-daily.json"),
        str(edited),
        str(fixtures / "manifests" / "empty-env-is-legacy.json"),
    )
    assert ran.code == 1
    lines = ran.out.splitlines()
    assert lines[0].startswith("PASS schedule/builtin/cleanup_daily")
    assert lines[2:4] == [
        '  /tasks: expected 2 task(s), got 1: ["cleanup_daily"]',
        '  /tasks/0/payload/timeZone: expected "Europe/Berlin", got "UTC"',
    ]
    assert "check --suite manifest --fixtures DIR" in lines[4]
    assert ran.last_line == "1 passed, 1 failed, 1 skipped"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("--target", "url", "--api-url", f"http://127.0.0.1:{closed_port()}"),
            3,
            "error: target unreachable: the api",
        ),
        (("--api-url", "http://127.0.0.1:1"), 2, "--api-url only appl(ies) to --target url"),
        (("--handlers", "no_colon_here"), 2, "--handlers takes MODULE:CALLABLE"),
    ],
)
def test_unreachable_target_and_usage_errors(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int, message: str
) -> None:
    ran = run_cli(capsys, "fixtures", "run", str(ROUTES / "health.json"), *args)
    assert ran.code == code
    assert message in ran.err
    assert "Traceback" not in ran.err


def test_invalid_fixture_files_stop_the_run_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path / "routes" / "bad.json", {"kind": "route", "id": "x", "request": {}, "expect": {"status": 1}})
    ran = run_cli(capsys, "fixtures", "run", str(bad))
    assert ran.code == 2
    assert f'{bad}: /request: missing required property "path"' in ran.err
    assert ran.out == ""
