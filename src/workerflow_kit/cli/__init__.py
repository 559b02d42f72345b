"""The ``workerflow-kit`` command line: a thin door into the contracts, runtime, suites and gate layers."""

from __future__ import annotations

import sys

import click

from workerflow_kit import __version__
from workerflow_kit.cli.bootstrap_cmd import bootstrap
from workerflow_kit.cli.check_cmd import check
from workerflow_kit.cli.contracts_cmd import contracts
from workerflow_kit.cli.cron_cmd import cron
from workerflow_kit.cli.diff_cmd import diff
from workerflow_kit.cli.fixtures_cmd import fixtures
from workerflow_kit.cli.fuzz_cmd import fuzz
from workerflow_kit.cli.gate_cmd import gate
from workerflow_kit.cli.preflight_cmd import preflight
from workerflow_kit.cli.serve_cmd import serve
from workerflow_kit.cli.validate_cmd import validate
from workerflow_kit.errors import KitError


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="workerflow-kit")
def cli() -> None:
    """Contract tests and a reference runtime for WorkerFlow's five Cloudflare Workers.

    \b
    Examples:
      workerflow-kit contracts show                 # the bundled v0.1 baseline
      workerflow-kit contracts show --project ../workerflow/cloudflare
      workerflow-kit validate routes.config.json    # kind detected from content
      workerflow-kit cron check "0 18 * * 6L"       # Cloudflare's cron dialect
      workerflow-kit diff @bundled ../workerflow     # breaking changes between contract sets
      workerflow-kit serve                          # the reference runtime on loopback
      workerflow-kit check --suite routes           # contract suites against the reference (or --target url)
      workerflow-kit fuzz --document api            # Schemathesis on the OpenAPI documents
      workerflow-kit fixtures new --route webhook_echo  # a fixture recorded from a real run; then 'fixtures run'
      workerflow-kit gate                           # release gate: suites, preflight, diff; reports + verdict
      workerflow-kit preflight ../workerflow --strict  # is a checkout ready to deploy?
      workerflow-kit bootstrap plan                 # the wrangler steps; 'bootstrap apply' creates D1 + queue
    """


cli.add_command(bootstrap)
cli.add_command(check)
cli.add_command(contracts)
cli.add_command(cron)
cli.add_command(diff)
cli.add_command(fixtures)
cli.add_command(fuzz)
cli.add_command(gate)
cli.add_command(preflight)
cli.add_command(serve)
cli.add_command(validate)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every KitError into one line on stderr and its exit code."""
    try:
        code = cli.main(args=argv, prog_name="workerflow-kit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KitError as exc:
        click.echo(f"error: {exc.render()}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    # Without standalone mode, click hands back ctx.exit(code) as the return value.
    sys.exit(code if isinstance(code, int) else 0)
