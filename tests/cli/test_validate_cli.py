"""`workerflow-kit validate`: output format, exit codes 0/1/2, and no traceback whatever the file holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workerflow_kit.cli import main
from workerflow_kit.contracts.documents import MAX_DOCUMENT_BYTES
from workerflow_kit.contracts.schemas import KINDS
from workerflow_kit.resources import contracts_dir

DATA = Path(__file__).resolve().parent.parent / "data"
VALID = DATA / "valid"
BROKEN = DATA / "broken"
ROUTES = contracts_dir() / "routes.v1.json"
SCHEDULES = contracts_dir() / "schedules.v1.json"


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run the real entry point; return (exit code, stdout, stderr) and check no traceback leaked."""
    with pytest.raises(SystemExit) as exited:
        main(["validate", *map(str, args)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    code = exited.value.code
    assert isinstance(code, int)
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- exit 0


def test_valid_files_exit_0_and_say_ok_with_their_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, ROUTES, SCHEDULES, VALID / "schedule-heartbeat.yaml")
    assert code == 0
    assert out.splitlines() == [
        f"{ROUTES}: ok (routes-config)",
        f"{SCHEDULES}: ok (schedules-config)",
        f"{VALID / 'schedule-heartbeat.yaml'}: ok (schedule-fixture)",
    ]
    assert err == ""


def test_quiet_prints_nothing_for_valid_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--quiet", ROUTES) == (0, "", "")


def test_explicit_kind_is_used_and_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--kind", "Routes-Config", ROUTES)
    assert (code, out) == (0, f"{ROUTES}: ok (routes-config)\n")


# --------------------------------------------------------------------------- exit 1


def test_invalid_content_exits_1_with_file_pointer_message_lines(capsys: pytest.CaptureFixture[str]) -> None:
    broken = BROKEN / "routes-missing-wrapbody.json"
    code, out, err = run(capsys, broken)
    assert code == 1
    assert out == f'{broken}: /0: missing required property "wrapBody"\n'
    assert err == "error: 1 of 1 file breaks its schema\n"


def test_every_error_of_a_file_is_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "routes.json"
    path.write_text('[{"routePath": "", "requestType": "x", "flowPath": "f", "wrapBody": "yes", "more": 1}]')
    code, out, _ = run(capsys, path)
    assert code == 1
    assert out.splitlines() == [
        f'{path}: /0: unexpected property "more"',
        f'{path}: /0/requestType: expected one of "sync", "async", got "x"',
        f"{path}: /0/routePath: must not be empty",
        f'{path}: /0/wrapBody: expected boolean, got string "yes"',
    ]


def test_root_errors_use_slash_as_pointer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scalar.json"
    path.write_text("3")
    code, out, _ = run(capsys, "--kind", "routes-config", path)
    assert (code, out) == (1, f"{path}: /: expected array, got integer 3\n")


def test_quiet_still_prints_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-q", ROUTES, BROKEN / "routes-extra-property.json")
    assert code == 1
    assert out == f'{BROKEN / "routes-extra-property.json"}: /1: unexpected property "extra"\n'


def test_nan_is_invalid_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nan.json"
    path.write_text(
        '{"kind": "route", "id": "r", "request": {"path": "/api/x", "body": NaN}, "expect": {"status": 202}}'
    )
    code, out, _ = run(capsys, path)
    assert code == 1
    assert f"{path}: /request/body: nan is not a JSON number" in out


# --------------------------------------------------------------------------- exit 2


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.json", b"", "empty document, expected JSON"),
        ("blank.json", b"  \n\t\n", "empty document, expected JSON"),
        ("binary.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary content"),
        ("latin1.json", '[{"routePath": "caf\u00e9"}]'.encode("latin-1"), "not valid UTF-8"),
        ("bad.json", b'[\n  {"routePath": "a",}\n]', "invalid JSON at line 2 column"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("deep-object.json", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
        ("bad.yaml", b"a: [1, 2\nb: 3\n", "invalid YAML at line"),
        ("scalar.json", b"42", "cannot detect the kind of this document; pass --kind (one of: routes-config,"),
        ("null.json", b"null", "cannot detect the kind"),
        ("unknown-fixture.json", b'{"kind": "routes"}', "cannot detect the kind"),
        ("empty-list.json", b"[]", "cannot detect the kind"),
    ],
)
def test_unreadable_or_undetectable_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, message: str
) -> None:
    path = _write(tmp_path, name, content)
    code, out, err = run(capsys, path)
    assert code == 2
    assert out == ""
    first = err.splitlines()[0]
    assert first.startswith(f"error: {path}: ")
    assert message in first


def test_missing_file_and_directory_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, tmp_path / "nope.json", tmp_path)
    assert code == 2
    assert f"error: {tmp_path / 'nope.json'}: no such file" in err
    assert f"error: {tmp_path}: is a directory" in err


def test_permission_denied_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "secret.json", b"[]")
    real_read_bytes = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    code, _, err = run(capsys, path)
    assert code == 2
    assert f"error: {path}: permission denied" in err


def test_huge_file_is_refused_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.write(b"[" + b" " * (MAX_DOCUMENT_BYTES + 10) + b"]")
    code, _, err = run(capsys, path)
    assert code == 2
    assert "larger than the" in err


def test_yaml_alias_bomb_does_not_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = _write(tmp_path, "bomb.yaml", "\n".join(lines).encode())
    code, _, err = run(capsys, path)
    assert code == 2
    assert "cannot detect the kind" in err
    code, out, _ = run(capsys, "--kind", "runtime-config-fixture", path)
    assert code == 1
    assert f'{path}: /: unexpected property "a0"' in out


def test_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--kind", "nope", ROUTES)
    assert code == 2
    assert out == ""
    assert "Invalid value for '--kind'" in err
    assert "routes-config" in err


def test_no_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2
    assert "Missing argument" in err


# --------------------------------------------------------------------------- mixed runs


def test_keeps_going_and_exits_with_the_worst_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = BROKEN / "routes-empty-flowpath.json"
    missing = tmp_path / "missing.json"
    code, out, err = run(capsys, missing, broken, ROUTES)
    assert code == 2
    assert out.splitlines() == [f"{broken}: /0/flowPath: must not be empty", f"{ROUTES}: ok (routes-config)"]
    assert err.splitlines() == [
        f"error: {missing}: no such file",
        "error: 1 of 3 files could not be checked; 1 file breaks its schema",
    ]


def test_invalid_beats_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, ROUTES, BROKEN / "routes-bad-request-type.json", BROKEN / "fixture-bad-level.yaml")
    assert code == 1
    assert err == "error: 2 of 3 files break their schemas\n"


def test_the_whole_broken_corpus_is_exit_1_with_the_right_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    detectable = [
        p for p in sorted(BROKEN.iterdir()) if p.name not in {"schedules-not-a-list.json", "queue-task-bad-kind.json"}
    ]
    code, out, _ = run(capsys, *detectable)
    assert code == 1
    files_reported = {line.split(": /", 1)[0] for line in out.splitlines()}
    assert files_reported == {str(p) for p in detectable}


# --------------------------------------------------------------------------- help and the real process


def test_help_teaches_with_examples_and_lists_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "Examples:" in out
    assert "workerflow-kit validate --kind schedules-config" in out
    assert "FILE: /json/pointer: message" in out
    for kind in KINDS:
        assert f"  {kind} " in out


def test_console_process_never_prints_a_traceback(tmp_path: Path) -> None:
    deep = _write(tmp_path, "deep.json", b"[" * 100_000 + b"]" * 100_000)
    binary = _write(tmp_path, "binary.json", bytes(range(256)))
    completed = subprocess.run(
        [sys.executable, "-m", "workerflow_kit", "validate", str(deep), str(binary), str(ROUTES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stdout + completed.stderr
    assert completed.stdout == f"{ROUTES}: ok (routes-config)\n"
    assert f"error: {deep}: JSON nested too deeply" in completed.stderr
    assert f"error: {binary}: binary content" in completed.stderr


def test_kit_config_toml_is_validated_with_pointers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "workerflow-kit.toml"
    config.write_text('[targets.staging]\nkind = "url"\napi-url = "https://example.com"\nrps = -1\n')
    code, out, _ = run(capsys, config)
    assert code == 1
    assert out == f"{config}: /targets/staging/rps: expected a number > 0, got -1\n"
    config.write_text('[targets.staging]\nkind = "url"\napi-url = "https://example.com"\n')
    code, out, _ = run(capsys, config)
    assert (code, out) == (0, f"{config}: ok (kit-config)\n")


def test_broken_toml_names_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "workerflow-kit.toml"
    config.write_text("[targets\n")
    code, _, err = run(capsys, "--kind", "kit-config", config)
    assert code == 2
    assert "invalid TOML" in err
    assert "line 1" in err
