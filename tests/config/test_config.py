"""The kit config file: where it is found, what it may hold, errors with file and pointer, targets resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from workerflow_kit.config import (
    KitConfigError,
    choose_target,
    find_kit_config,
    load_kit_config,
    resolve_target,
)
from workerflow_kit.contracts.schemas import detect_kind, validate_document
from workerflow_kit.errors import FileProblem, KitError

STAGING = """
default-target = "staging"
profile = "ci"
baseline = "gate/baseline.json"

[targets.staging]
kind = "url"
api-url = "https://api.staging.example.com"
ops-url = "https://ops.staging.example.com"
api-token-env = "STAGING_API_TOKEN"
allow-writes = true
routes = ["webhook_echo", "schedule:*"]
rps = 5
request-budget = 300
timeout = 12.5

[targets.local]
kind = "served"
project = "../workerflow/cloudflare"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_file_is_read_and_a_url_target_becomes_keywords(tmp_path: Path) -> None:
    write(tmp_path, "workerflow-kit.toml", STAGING)
    config = load_kit_config(cwd=tmp_path)
    assert config is not None
    assert config.default_target == "staging"
    assert config.profile == "ci"
    assert config.baseline_path == tmp_path / "gate/baseline.json"
    kind, options = config.target_options("staging", environ={"STAGING_API_TOKEN": "tok-1234"})
    assert kind == "url"
    assert options == {
        "api_url": "https://api.staging.example.com",
        "ops_url": "https://ops.staging.example.com",
        "allow_writes": True,
        "routes": ("webhook_echo", "schedule:*"),
        "rps": 5.0,
        "request_budget": 300,
        "timeout": 12.5,
        "api_token": "tok-1234",
    }
    assert config.target_options("local") == ("served", {"project": str(tmp_path / "../workerflow/cloudflare")})


def test_a_named_token_variable_that_is_unset_is_an_error_with_its_pointer(tmp_path: Path) -> None:
    config = load_kit_config(write(tmp_path, "kit.toml", STAGING))
    assert config is not None
    with pytest.raises(KitError) as caught:
        config.target_options("staging", environ={})
    assert caught.value.render() == (
        f"{tmp_path / 'kit.toml'}: /targets/staging/api-token-env: "
        "environment variable STAGING_API_TOKEN is not set (named by api-token-env)"
    )


def test_no_file_means_none_and_the_own_file_beats_pyproject(tmp_path: Path) -> None:
    assert load_kit_config(cwd=tmp_path) is None
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    assert find_kit_config(tmp_path) is None  # a pyproject without the table is not a config file
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.workerflow-kit]\ndefault-target = "a"\n[tool.workerflow-kit.targets.a]\nkind = "inprocess"\n',
    )
    assert find_kit_config(tmp_path) == tmp_path / "pyproject.toml"
    config = load_kit_config(cwd=tmp_path)
    assert config is not None
    assert config.default_target == "a"
    write(tmp_path, "workerflow-kit.toml", 'profile = "quick"\n')
    assert find_kit_config(tmp_path) == tmp_path / "workerflow-kit.toml"


def test_errors_name_the_file_and_the_json_pointer(tmp_path: Path) -> None:
    path = write(tmp_path, "workerflow-kit.toml", '[targets.staging]\nkind = "url"\nrps = -1\n')
    with pytest.raises(KitConfigError) as caught:
        load_kit_config(path)
    assert caught.value.render() == f"{path}: /targets/staging/rps: expected a number > 0, got -1"


def test_pointers_inside_pyproject_start_at_the_tool_table(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", '[tool.workerflow-kit.targets.s]\nkind = "url"\nrequest-budget = 0\n')
    with pytest.raises(KitConfigError) as caught:
        load_kit_config(cwd=tmp_path)
    assert caught.value.render() == (
        f"{path}: /tool/workerflow-kit/targets/s/request-budget: expected a whole number > 0, got 0"
    )


@pytest.mark.parametrize("key", ["api-token", "ops-token", "token"])
def test_a_token_in_the_file_is_refused_with_the_way_to_name_a_variable(tmp_path: Path, key: str) -> None:
    path = write(tmp_path, "workerflow-kit.toml", f'[targets.prod]\nkind = "url"\n{key} = "s3cret-value"\n')
    with pytest.raises(KitConfigError) as caught:
        load_kit_config(path)
    message = caught.value.render()
    assert message.startswith(f"{path}: /targets/prod/{key}: tokens do not belong in a config file; name the ")
    assert "-env = " in message
    assert "s3cret-value" not in message


def test_every_problem_is_kept_and_the_message_counts_the_rest(tmp_path: Path) -> None:
    text = (
        'default-target = "nowhere"\nprofile = "fast"\n[targets.a]\nkind = "served"\nrps = 3\n'
        '[targets.b]\nkind = "url"\napi-url = "ftp://x"\nproject = "p"\ncolour = "red"\n'
    )
    path = write(tmp_path, "workerflow-kit.toml", text)
    with pytest.raises(KitConfigError) as caught:
        load_kit_config(path)
    assert caught.value.lines() == [
        f'{path}: /profile: expected one of "quick", "ci", "thorough", got "fast"',
        f"{path}: /targets/a/rps: only a url target takes this setting",
        f'{path}: /targets/b: unexpected property "colour"',
        f'{path}: /targets/b/api-url: expected an http(s) URL such as http://127.0.0.1:8787, got "ftp://x"',
        f"{path}: /targets/b/project: only an inprocess or served target runs a project",
    ]
    assert caught.value.render().endswith("(and 4 more problem(s))")


def test_a_default_target_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path, "workerflow-kit.toml", 'default-target = "prod"\n[targets.staging]\nkind = "url"\n')
    with pytest.raises(
        KitConfigError, match=r'/default-target: no target named "prod" under targets \(known: "staging"\)'
    ):
        load_kit_config(path)


def test_unreadable_files_are_one_line_problems(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="no such file"):
        load_kit_config(tmp_path / "missing.toml")
    bad = write(tmp_path, "workerflow-kit.toml", 'profile = "ci"\nrps = = 3\n')
    with pytest.raises(FileProblem, match=r"workerflow-kit.toml: invalid TOML: .*line"):
        load_kit_config(bad)
    no_table = write(tmp_path, "pyproject.toml", "[project]\n")
    with pytest.raises(FileProblem, match=r"has no \[tool.workerflow-kit\] table"):
        load_kit_config(no_table)


def test_choosing_a_target_by_kind_by_name_or_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose_target(None, cwd=tmp_path).kind == "inprocess"
    with pytest.raises(KitError, match="unknown target 'staging': use one of inprocess, served, url, or a target name"):
        choose_target("staging", cwd=tmp_path)
    write(tmp_path, "workerflow-kit.toml", STAGING)
    monkeypatch.setenv("STAGING_API_TOKEN", "from-the-environment")
    chosen = choose_target(None, cwd=tmp_path)
    assert (chosen.kind, chosen.name, chosen.options["api_token"]) == ("url", "staging", "from-the-environment")
    assert choose_target("served", cwd=tmp_path).options == {}
    with pytest.raises(KitError, match=r"no target named 'prod': use one of inprocess, served, url or a target of"):
        choose_target("prod", cwd=tmp_path)
    assert resolve_target("url") == ("url", {})


def test_a_schema_key_for_editors_is_allowed(tmp_path: Path) -> None:
    uri = "https://workerflow-kit.dev/schemas/kit-config.schema.json"
    config = load_kit_config(write(tmp_path, "workerflow-kit.toml", f'"$schema" = "{uri}"\nprofile = "ci"\n'))
    assert config is not None
    assert config.profile == "ci"


def test_the_schema_is_a_validate_kind() -> None:
    document = {"targets": {"a": {"kind": "inprocess"}}}
    assert detect_kind(document) == "kit-config"
    assert validate_document(document, "kit-config") == []
