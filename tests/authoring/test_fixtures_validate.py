"""``workerflow-kit fixtures validate``: every fixture file against its kind's schema, one line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.authoring.support import run_cli, write


def test_the_bundled_fixtures_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    ran = run_cli(capsys, "fixtures", "validate", "-q")
    assert ran.code == 0, ran.out
    assert ran.out.strip().endswith("fixture file(s) valid")
    assert ran.out.count("\n") == 1  # -q: no ok lines


def test_malformed_fixture_names_file_and_pointer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    route = {"kind": "route", "id": "g", "request": {"path": "/api/x"}, "expect": {"status": 404}}
    good = write(tmp_path / "routes" / "good.json", route)
    # The kind comes from the folder: this file says nothing about it.
    bad = write(tmp_path / "routes" / "bad.json", {"id": "b", "request": {"path": "api/x"}, "expect": {"status": 404}})
    handler = {"kind": "handler", "id": "h", "task": {"kind": "http_route"}, "payload": {}, "traceId": "t"}
    by_content = write(tmp_path / "elsewhere.json", {**handler, "expect": {"output": 1}})
    ran = run_cli(capsys, "fixtures", "validate", str(tmp_path))
    assert ran.code == 1
    lines = ran.out.splitlines()
    assert f"{good}: ok (route)" in lines
    assert f'{bad}: /: missing required property "kind"' in lines
    assert f'{bad}: /request/path: expected a path starting with "/", e.g. "/api/webhook_echo", got "api/x"' in lines
    assert f'{by_content}: /task: missing required property "routePath"' in lines
    assert ran.err == "error: 2 of 3 fixture file(s) break their schema\n"


def test_unknown_kind_and_unreadable_files_are_problems_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = write(tmp_path / "odd.json", {"kind": "gadget"})
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    ran = run_cli(capsys, "fixtures", "validate", str(odd), str(broken))
    assert ran.code == 1
    assert (
        f'{odd}: /kind: expected one of "route", "schedule", "handler", "manifest", "runtime-config", got "gadget"'
        in ran.out
    )
    assert str(broken) in ran.out
    assert "Traceback" not in ran.out + ran.err


def test_a_missing_path_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ran = run_cli(capsys, "fixtures", "validate", str(tmp_path / "nope"))
    assert ran.code == 2
    assert ran.err == f"error: {tmp_path / 'nope'}: no such file or folder\n"


def test_every_fixtures_command_teaches_with_examples() -> None:
    from click.testing import CliRunner

    from workerflow_kit.cli import cli

    for command, example in (
        ("new", "workerflow-kit fixtures new --route webhook_echo --payload"),
        ("validate", "workerflow-kit fixtures validate my-fixtures/"),
        ("run", "--handlers my_pkg.handlers:register"),
    ):
        result = CliRunner().invoke(cli, ["fixtures", command, "--help"])
        assert result.exit_code == 0
        assert "Examples:" in result.output
        assert example in " ".join(result.output.split())
        assert "Exit codes:" in result.output
