"""Placeholder replaced by the cron command module."""

import click


@click.group()
def cron() -> None:
    """Cloudflare cron dialect."""
