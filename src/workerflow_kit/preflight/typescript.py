"""Read the few TypeScript literals preflight needs, without a TypeScript parser.

Upstream's own preflight script finds the handler tables by name and collects the keys written at the start of
a line inside their braces; we read them the same way. The built-in manifest arrays (``ROUTES`` in
``shared/routes.ts``, ``SCHEDULES`` in ``shared/schedules.ts``) are plain object literals, which JSON5 reads
as they stand (unquoted keys, trailing commas, comments).
"""

from __future__ import annotations

import json
import re
from typing import Any

import json5

__all__ = ["TypeScriptLiteralError", "array_literal", "object_keys"]

_KEY = re.compile(r"""^\s*(?:([A-Za-z_$][\w$]*)|"([^"]+)"|'([^']+)')\s*:""", re.MULTILINE)
_CLOSERS = {"[": "]", "{": "}"}


class TypeScriptLiteralError(ValueError):
    """The literal is missing or not something we can read statically (a spread, a function call ...)."""


def _literal_span(text: str, name: str, opener: str) -> tuple[int, int]:
    """Start and end (exclusive) of the ``opener`` literal assigned to ``name``: ``name ... = <literal>``."""
    match = re.search(rf"\b{re.escape(name)}\b[^=;]*=\s*\{opener}", text)
    if match is None:
        raise TypeScriptLiteralError(f"cannot find `{name} = {opener} ... {_CLOSERS[opener]}`")
    start = match.end() - 1
    depth = 0
    quote: str | None = None
    index = start
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return start, index + 1
        index += 1
    raise TypeScriptLiteralError(f"the literal assigned to `{name}` is never closed")


def array_literal(text: str, name: str) -> list[Any]:
    """The array literal assigned to ``name`` (``export const ROUTES: RouteDefinition[] = [...]``)."""
    start, end = _literal_span(text, name, "[")
    literal = text[start:end]
    try:
        # JSON is a subset JSON5 reads too; the standard library is far faster when it applies.
        value = json.loads(literal)
    except ValueError:
        value = _json5(literal, name)
    if not isinstance(value, list):
        raise TypeScriptLiteralError(f"`{name}` is not an array")
    return value


def _json5(literal: str, name: str) -> Any:
    try:
        return json5.loads(literal)
    except ValueError as exc:
        raise TypeScriptLiteralError(f"`{name}` is not a plain array literal ({exc})") from None


def object_keys(text: str, name: str) -> list[str]:
    """The keys of the object literal assigned to ``name``, in source order (each key starts a line)."""
    start, end = _literal_span(text, name, "{")
    return [next(group for group in match.groups() if group) for match in _KEY.finditer(text[start + 1 : end - 1])]
