"""`workerflow-kit diff`: formats, --output, --overrides, --fail-on, exit codes 0/1/2, one-line errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.contracts.test_project import make_checkout
from workerflow_kit.cli.diff_cmd import diff
from workerflow_kit.contracts.compat import RULES
from workerflow_kit.resources import contracts_dir

DATA = Path(__file__).resolve().parent.parent / "data" / "compat"
V03 = DATA / "v0.3-contracts.json"
BUNDLED = "@bundled"
ROUTES = contracts_dir() / "routes.v1.json"
SCHEDULES = contracts_dir() / "schedules.v1.json"


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(diff, [str(a) for a in args])
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def assert_one_error_line(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def without_first_route(tmp_path: Path) -> Path:
    routes = json.loads(ROUTES.read_text(encoding="utf-8"))
    schedules = json.loads(SCHEDULES.read_text(encoding="utf-8"))
    return write(tmp_path / "new.json", json.dumps({"routes": routes[1:], "schedules": schedules}))


# --------------------------------------------------------------------------- exit codes


def test_same_sets_exit_0_with_a_pass_verdict() -> None:
    result = run(contracts_dir(), BUNDLED)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "verdict: PASS (no finding at or above error)"
    assert "no changes" in result.stdout


def test_additions_pass_by_default_and_fail_with_fail_on_info() -> None:
    assert run(BUNDLED, V03).exit_code == 0
    result = run(BUNDLED, V03, "--fail-on", "info")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "verdict: FAIL (32 findings at or above info)"


def test_a_breaking_change_exits_1(tmp_path: Path) -> None:
    result = run(BUNDLED, without_first_route(tmp_path))
    assert result.exit_code == 1
    assert 'route-removed  /routes  route "webhook_echo" removed' in result.stdout
    assert run(BUNDLED, without_first_route(tmp_path), "--fail-on", "never").exit_code == 0


def test_fail_on_warning_counts_warnings(tmp_path: Path) -> None:
    schedules = json.loads(SCHEDULES.read_text(encoding="utf-8"))
    schedules[0]["timeZone"] = "Europe/Berlin"
    new = write(tmp_path / "schedules.json", json.dumps(schedules))
    assert run(SCHEDULES, new).exit_code == 0
    result = run(SCHEDULES, new, "--fail-on", "warning")
    assert result.exit_code == 1
    assert "schedule-timezone-changed" in result.stdout


def test_a_checkout_is_a_side(tmp_path: Path) -> None:
    make_checkout(tmp_path / "workerflow" / "cloudflare")
    result = run(BUNDLED, tmp_path / "workerflow", "--fail-on", "info")
    assert result.exit_code == 0, result.output


def test_exit_codes_survive_non_standalone_mode(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The kit's entry point runs commands with standalone_mode=False; exit codes 1 and 2 must still come through."""
    assert diff.main([BUNDLED, str(V03)], standalone_mode=False) is None
    for args, code in (([BUNDLED, V03, "--fail-on", "info"], 1), ([BUNDLED, tmp_path / "nope"], 2)):
        with pytest.raises(SystemExit) as exited:
            diff.main([str(a) for a in args], standalone_mode=False)
        assert exited.value.code == code
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope'}: no such file or directory\n"


# --------------------------------------------------------------------------- formats and output


def test_json_format() -> None:
    result = run(BUNDLED, V03, "--format", "json")
    document = json.loads(result.stdout)
    assert document["verdict"] == "pass"
    assert document["counts"] == {"error": 0, "warning": 0, "info": 32, "ignored": 0}
    assert document["new"] == str(V03)


def test_junit_format_to_a_file(tmp_path: Path) -> None:
    report = tmp_path / "compat.xml"
    result = run(BUNDLED, without_first_route(tmp_path), "--format", "junit", "--output", report)
    assert result.exit_code == 1
    assert result.stdout == f"verdict: FAIL (1 finding at or above error); junit report written to {report}\n"
    root = ET.parse(report).getroot()
    assert len(root.findall("testcase")) == len(RULES)
    assert root.get("failures") == "1"


def test_text_to_a_file(tmp_path: Path) -> None:
    report = tmp_path / "compat.txt"
    result = run(BUNDLED, V03, "-o", report)
    assert result.exit_code == 0
    assert report.read_text(encoding="utf-8").splitlines()[-1] == "verdict: PASS (no finding at or above error)"


def test_an_unwritable_output_is_one_error_line(tmp_path: Path) -> None:
    assert_one_error_line(run(BUNDLED, V03, "-o", tmp_path / "missing" / "r.txt"), "cannot write report")


# --------------------------------------------------------------------------- overrides


def test_ignoring_route_added(tmp_path: Path) -> None:
    overrides = write(
        tmp_path / "o.yaml",
        "overrides:\n"
        "  - {rule: route-added, level: ignore, reason: v0.3 grew the catalogue}\n"
        "  - {rule: schedule-added, level: ignore, reason: same}\n"
        "  - {rule: trigger-added, level: ignore, reason: same}\n"
        "  - {rule: trigger-removed, level: ignore, reason: same}\n",
    )
    result = run(BUNDLED, V03, "--overrides", overrides, "--fail-on", "info", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["counts"] == {"error": 0, "warning": 0, "info": 0, "ignored": 32}


def test_raising_route_added_fails(tmp_path: Path) -> None:
    overrides = write(
        tmp_path / "o.json",
        json.dumps(
            {
                "overrides": [
                    {"rule": "route-added", "level": "error", "subjects": ["noop_ack"], "reason": "needs review"}
                ]
            }
        ),
    )
    result = run(BUNDLED, V03, "--overrides", overrides)
    assert result.exit_code == 1
    assert "error (1)" in result.stdout
    assert "[info → error: needs review]" in result.stdout


def test_an_invalid_overrides_file_exits_2_with_file_and_pointer(tmp_path: Path) -> None:
    overrides = write(tmp_path / "o.yaml", "overrides:\n  - rule: route-gone\n    level: error\n    reason: x\n")
    assert_one_error_line(
        run(BUNDLED, V03, "--overrides", overrides),
        f"{overrides}: /overrides/0/rule: unknown rule id",
    )


def test_an_unparseable_overrides_file_exits_2(tmp_path: Path) -> None:
    overrides = write(tmp_path / "o.yaml", "overrides: [\n")
    assert_one_error_line(run(BUNDLED, V03, "--overrides", overrides), str(overrides), "invalid YAML at line")


# --------------------------------------------------------------------------- bad input


def test_a_missing_path(tmp_path: Path) -> None:
    assert_one_error_line(run(tmp_path / "nope", V03), f"{tmp_path / 'nope'}: no such file or directory")


def test_a_binary_file(tmp_path: Path) -> None:
    blob = tmp_path / "blob.json"
    blob.write_bytes(b"PK\x03\x04\x00\x00")
    assert_one_error_line(run(BUNDLED, blob), str(blob), "binary content")


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.json", '{\n  "routes": [,]\n}')
    assert_one_error_line(run(BUNDLED, bad), str(bad), "invalid JSON at line 2 column 14")


def test_an_invalid_item_names_its_pointer(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.json", '[{"routePath": "a", "requestType": "x", "flowPath": "f", "wrapBody": true}]')
    assert_one_error_line(run(ROUTES, bad), f"{bad}: /0/requestType: ")


def test_sides_holding_different_lists_are_refused() -> None:
    assert_one_error_line(run(ROUTES, SCHEDULES), "cannot compare", "holds routes but NEW", "holds schedules")
    assert_one_error_line(run(ROUTES, BUNDLED), "holds routes and schedules")


def test_a_directory_that_is_not_a_contract_folder(tmp_path: Path) -> None:
    assert_one_error_line(run(tmp_path, BUNDLED), "not a contract folder")


@pytest.mark.parametrize(
    "args",
    [
        [BUNDLED],
        [BUNDLED, V03, "--format", "html"],
        [BUNDLED, V03, "--fail-on", "sometimes"],
    ],
)
def test_usage_errors_exit_2(args: list[str | Path]) -> None:
    assert run(*args).exit_code == 2


def test_help_teaches_with_examples_and_lists_the_rules() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "workerflow-kit diff contracts/ ../workerflow/cloudflare" in result.stdout
    for rule in RULES.values():
        assert rule.id in result.stdout
