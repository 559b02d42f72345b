"""Placeholder replaced by the contracts command module."""

import click


@click.group()
def contracts() -> None:
    """Contracts."""
