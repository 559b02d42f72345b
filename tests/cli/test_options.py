"""The option shapes the commands share (cli/options.py): url target flags, refusals, path options."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from workerflow_kit.cli.options import path_option, refuse, url_flags_given, url_target_options


def _command(**settings: object) -> click.Command:
    @click.command()
    @url_target_options(**settings)  # type: ignore[arg-type]
    @path_option("--out", "-o", dir_okay=False, help="Where to write.")
    def command(**values: object) -> None:
        click.echo(repr(sorted(values.items())))

    return command


def test_the_url_flags_are_declared_in_order_with_their_help() -> None:
    command = _command(workers=("api", "ops"), allow_writes_help="may write", help={"--ops-url": "ops here"})
    names = [param.opts[0] for param in command.params]
    assert names == ["--api-url", "--ops-url", "--api-token", "--ops-token", "--allow-writes", "--out"]
    helps = {param.opts[0]: getattr(param, "help", None) for param in command.params}
    assert helps["--api-url"] == "url target: api worker base URL (or WORKERFLOW_API_URL)."
    assert helps["--ops-url"] == "ops here"
    assert helps["--allow-writes"] == "may write"


def test_values_arrive_under_their_parameter_names() -> None:
    result = CliRunner().invoke(_command(allow_writes_help="w"), ["--workflow-url", "http://w", "-o", "r.txt"])
    assert result.exit_code == 0, result.output
    assert "('workflow_url', 'http://w')" in result.output
    assert "('allow_writes', None)" in result.output  # not given: None, so a config file's value can stand
    assert f"('out', {Path('r.txt')!r})" in result.output


def test_a_file_only_path_option_refuses_a_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(_command(allow_writes_help="w"), ["--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a directory" in result.output


def test_an_unknown_worker_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no db worker"):
        url_target_options(workers=("api", "db"), allow_writes_help="w")


def test_given_url_flags_are_named_in_declaration_order() -> None:
    urls = {"scheduler": "http://s", "api": "http://a", "ops": None}
    assert url_flags_given(urls, True) == ["--api-url", "--scheduler-url", "--allow-writes"]
    assert url_flags_given({"api": ""}, None) == []


def test_refuse_names_every_flag_or_passes() -> None:
    refuse("inprocess", [])
    with pytest.raises(click.UsageError, match=r"^--api-url, --rps do\(es\) not apply to --target inprocess$"):
        refuse("inprocess", iter(["--api-url", "--rps"]))
