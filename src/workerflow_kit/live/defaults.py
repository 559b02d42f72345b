"""The defaults of a live run, apart so the targets package can read them without importing the live package's
error classes (which build on it)."""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_REQUEST_BUDGET", "DEFAULT_RPS", "DEFAULT_TIMEOUT"]

DEFAULT_REQUEST_BUDGET: Final = 500
"""Requests one run may send, retries included."""
DEFAULT_RPS: Final = 10.0
"""Requests per second across all of a target's clients."""
DEFAULT_TIMEOUT: Final = 30.0
"""Seconds per request (connect, read, write)."""
