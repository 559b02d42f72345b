"""``workerflow-kit fixtures new``: skeletons filled from a real run on the reference runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.authoring.support import run_cli
from workerflow_kit.contracts.schemas import validate_document


def test_route_skeleton_records_answer_task_run_and_duplicate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "routes" / "echo.json"
    ran = run_cli(
        capsys, "fixtures", "new", "--route", "webhook_echo", "--payload", '{"hello": "world"}', "--out", str(out)
    )
    assert ran.code == 0, ran.err
    assert ran.out.strip() == f"wrote route fixture route/webhook_echo/recorded to {out}"
    document = json.loads(out.read_text())
    assert validate_document(document, "route-fixture") == []
    assert document["request"]["headers"]["x-trace-id"] == "fixture-webhook_echo"
    expect = document["expect"]
    assert expect["status"] == 202
    # the 202's queuedAt is a timestamp: left out, so the skeleton passes again tomorrow
    assert expect["bodyFields"] == {"accepted": True, "traceId": "fixture-webhook_echo", "routePath": "webhook_echo"}
    assert expect["task"] == {
        "kind": "http_route",
        "traceId": "fixture-webhook_echo",
        "routePath": "webhook_echo",
        "payload": {"hello": "world"},
    }
    assert expect["workflowCalled"] is False
    assert expect["run"] == {
        "status": "succeeded",
        "output": {"ok": True, "route": "webhook_echo", "received": {"hello": "world"}},
    }
    assert document["repeat"]["expect"]["bodyFields"]["duplicate"] is True
    assert document["repeat"]["expect"]["task"] is None


def test_sync_route_skeleton_from_a_payload_file_and_env(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text('{"email": "AVA@Example.COM"}')
    out = tmp_path / "lead-fixture.json"
    args = ("--route", "lead_normalizer", "--payload", f"@{lead}", "--env", "GOOGLEAI_API_KEY=k", "--out", str(out))
    ran = run_cli(capsys, "fixtures", "new", *args)
    assert ran.code == 0, ran.err
    document = json.loads(out.read_text())
    assert document["env"] == {"GOOGLEAI_API_KEY": "k"}
    assert document["expect"]["status"] == 200
    assert document["expect"]["bodyFields"]["result"]["normalized"]["email"] == "ava@example.com"
    assert document["expect"]["task"] is None
    assert document["expect"]["workflowCalled"] is True
    assert "run" not in document["expect"]


def test_schedule_skeleton_records_the_tasks_of_one_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cleanup.yaml.json"
    ran = run_cli(
        capsys,
        "fixtures",
        "new",
        "--schedule",
        "cleanup_daily",
        "--time",
        "2026-03-01T03:00:00.000Z",
        "--out",
        str(out),
    )
    assert ran.code == 0, ran.err
    document = json.loads(out.read_text())
    assert validate_document(document, "schedule-fixture") == []
    assert document["trigger"] == {"cron": "0 3 * * *", "scheduledTime": "2026-03-01T03:00:00.000Z"}
    assert document["expect"]["tasks"] == [
        {
            "scheduleId": "cleanup_daily",
            "payload": {
                "target": "f/examples/cleanup_daily",
                "cron": "0 3 * * *",
                "timeZone": "UTC",
                "scheduledTime": "2026-03-01T03:00:00.000Z",
            },
        }
    ]


def test_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.json"
    out.write_text("keep me")
    ran = run_cli(capsys, "fixtures", "new", "--route", "webhook_echo", "--out", str(out))
    assert ran.code == 2
    assert ran.err == f"error: {out} exists; pass --force to overwrite it\n"
    assert out.read_text() == "keep me"
    assert run_cli(capsys, "fixtures", "new", "--route", "webhook_echo", "--out", str(out), "--force").code == 0
    assert json.loads(out.read_text())["kind"] == "route"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of --route ROUTE or --schedule ID"),
        (("--route", "x", "--payload", "{nope"), "error: --payload: not valid JSON"),
        (("--schedule", "no_such_schedule"), "no schedule 'no_such_schedule' in the legacy manifest"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    ran = run_cli(capsys, "fixtures", "new", *args, "--out", str(tmp_path / "x.json"))
    assert ran.code == 2
    assert message in ran.err
    assert "Traceback" not in ran.err
    assert not (tmp_path / "x.json").exists()


def test_config_mode_schedule_from_an_env_file_counts_a_retried_task_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A config-mode schedule without a handler fails and is redelivered; it was still enqueued once."""
    schedules = tmp_path / "schedules.json"
    item = {"id": "nightly_report", "cron": "0 1 * * *", "enabled": True, "target": "f/reports", "timeZone": "UTC"}
    schedules.write_text(json.dumps([item]))
    out = tmp_path / "nightly.json"
    env = ("--env", "MANIFEST_MODE=config", "--env", f"SCHEDULES_CONFIG_JSON=@{schedules}")
    ran = run_cli(capsys, "fixtures", "new", "--schedule", "nightly_report", *env, "--out", str(out))
    assert ran.code == 0, ran.err
    document = json.loads(out.read_text())
    assert document["env"]["SCHEDULES_CONFIG_JSON"] == json.dumps([item])
    assert [task["scheduleId"] for task in document["expect"]["tasks"]] == ["nightly_report"]
    assert run_cli(capsys, "fixtures", "run", str(out)).last_line == "1 passed, 0 failed, 0 skipped"
