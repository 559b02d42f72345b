"""Errors the kit reports to people: one clear line each, never a traceback."""

from __future__ import annotations

from pathlib import Path


class KitError(Exception):
    """A problem the user can fix (bad input, missing file). The CLI prints it and exits with ``exit_code``."""

    exit_code = 2

    def __init__(self, message: str, *, path: Path | str | None = None, pointer: str | None = None) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.pointer = pointer
        super().__init__(self.render())

    def render(self) -> str:
        parts = [p for p in (self.path, self.pointer) if p is not None]
        parts.append(self.message)
        return ": ".join(parts)


class FileProblem(KitError):
    """A file that is missing, unreadable, or not in a format we can parse at all."""


class ContractError(KitError):
    """Content that parses but breaks a contract rule."""

    exit_code = 1
