"""Find ``REPLACE_WITH_`` placeholders in JSON / JSONC documents, with a JSON pointer and a line number each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from workerflow_kit.contracts.schemas import json_pointer

__all__ = ["PLACEHOLDER_PREFIX", "Placeholder", "find_placeholders", "placeholder_values"]

PLACEHOLDER_PREFIX = "REPLACE_WITH_"


@dataclass(frozen=True)
class Placeholder:
    pointer: str
    value: str
    line: int | None


def placeholder_values(document: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, str]]:
    """(pointer, value) of every string holding a placeholder, in document order."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield from placeholder_values(value, (*path, str(key)))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from placeholder_values(value, (*path, index))
    elif isinstance(document, str) and PLACEHOLDER_PREFIX in document:
        yield json_pointer(path), document


def find_placeholders(document: Any, text: str) -> list[Placeholder]:
    """Placeholders of a parsed document; ``text`` (its source) gives each a 1-based line number.

    Values repeat (one store id in many bindings), so each is looked for from the line after the previous hit,
    which follows document order for the JSON that people and wrangler write.
    """
    lines = text.splitlines()
    found: list[Placeholder] = []
    cursor = 0
    for pointer, value in placeholder_values(document):
        needle = value if '"' in value else f'"{value}"'
        order = [*range(cursor, len(lines)), *range(cursor)]
        line = next((i for i in order if needle in lines[i]), None)
        if line is not None:
            cursor = line + 1
        found.append(Placeholder(pointer, value, None if line is None else line + 1))
    return found
