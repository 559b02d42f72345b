"""Placeholder replaced by the validate command module."""

import click


@click.command()
def validate() -> None:
    """Validate files."""
