"""``JSON.parse`` and ``JSON.stringify`` as V8 runs them.

Parsing: numbers are IEEE doubles, so integers beyond 2**53 lose precision exactly as in JavaScript
(``12345678901234567890`` becomes ``12345678901234567168``, printed back as ``12345678901234567000``). For
readability, integral values a double holds exactly (``|n| <= 2**53``) come back as Python ``int`` — including
``1.0`` and ``1e3`` — and every other number as ``float``; ``-0`` comes back as ``0`` (``JSON.stringify``
prints it as ``0`` anyway). ``NaN``/``Infinity`` literals, which Python's :mod:`json` accepts, are rejected.

Stringifying: compact output, non-ASCII left as is, numbers in JavaScript's shortest round-trip form, non-finite
numbers as ``null``, lone surrogates escaped (well-formed ``JSON.stringify``). Objects keep their key order,
except that array-index keys (``"0"``, ``"12"``, …) come first in ascending order, because that is the
property order of every JavaScript object. :data:`~workerflow_kit.jscompat.numbers.UNDEFINED` members are
left out of objects and print ``null`` in arrays.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from workerflow_kit.jscompat.numbers import UNDEFINED, js_number_to_string

__all__ = ["JsSyntaxError", "js_json_parse", "js_json_string", "js_json_stringify"]

_TWO_53: Final = 2**53
_ARRAY_INDEX_MAX: Final = 2**32 - 2


class JsSyntaxError(ValueError):
    """What ``JSON.parse`` throws (a JavaScript ``SyntaxError``); ``message`` reads like V8's."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class _ConstantRejected(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _parse_constant(name: str) -> Any:
    raise _ConstantRejected(name)


def _parse_int(text: str) -> int | float:
    value = int(text)
    if -_TWO_53 <= value <= _TWO_53:
        return value
    return float(value)


def _parse_float(text: str) -> int | float:
    value = float(text)
    if value.is_integer() and -_TWO_53 <= value <= _TWO_53:
        return int(value)
    return value


_DECODER: Final = json.JSONDecoder(
    parse_float=_parse_float, parse_int=_parse_int, parse_constant=_parse_constant, strict=True
)
_JSON_WS: Final = " \t\n\r"


def js_json_parse(text: str) -> Any:
    """``JSON.parse(text)``: objects become dicts, arrays lists, numbers ``int``/``float`` (see module notes).

    Raises :class:`JsSyntaxError` with a V8-like message for anything that is not strict JSON (including
    ``NaN``/``Infinity``, single quotes, trailing commas, comments and an empty text).
    """
    if not isinstance(text, str):
        raise TypeError(f"js_json_parse expects str, not {type(text).__name__}")
    try:
        value, end = _DECODER.raw_decode(text, _skip_ws(text, 0))
    except _ConstantRejected as exc:
        position = _find_constant(text, exc.name)
        raise _unexpected(text, position) from None
    except json.JSONDecodeError as exc:
        raise _translate(text, exc) from None
    end = _skip_ws(text, end)
    if end != len(text):
        raise JsSyntaxError(f"Unexpected non-whitespace character after JSON at position {end}", end)
    return value


def _skip_ws(text: str, index: int) -> int:
    length = len(text)
    while index < length and text[index] in _JSON_WS:
        index += 1
    return index


def _snippet(text: str, position: int) -> str:
    if len(text) <= 30:
        return f'"{text}"'
    start = max(0, position - 10)
    end = min(len(text), position + 10)
    head = "..." if start > 0 else ""
    tail = "..." if end < len(text) else ""
    return f'{head}"{text[start:end]}"{tail}'


def _unexpected(text: str, position: int) -> JsSyntaxError:
    if position >= len(text):
        return JsSyntaxError("Unexpected end of JSON input", position)
    token = text[position]
    return JsSyntaxError(f"Unexpected token '{token}', {_snippet(text, position)} is not valid JSON", position)


def _innermost_container(text: str, position: int) -> str | None:
    """``"{"`` or ``"["`` for the innermost container open at ``position`` (strings skipped)."""
    stack: list[str] = []
    in_string = False
    index = 0
    while index < position:
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append(char)
        elif char in "]}" and stack:
            stack.pop()
        index += 1
    return stack[-1] if stack else None


def _translate(text: str, error: json.JSONDecodeError) -> JsSyntaxError:
    position = error.pos
    message = error.msg
    if position >= len(text) and not message.startswith("Unterminated string"):
        return JsSyntaxError("Unexpected end of JSON input", position)
    where = f"in JSON at position {position}"
    if message.startswith("Expecting property name"):
        return JsSyntaxError(f"Expected property name or '}}' {where}", position)
    if message == "Expecting ':' delimiter":
        return JsSyntaxError(f"Expected ':' after property name {where}", position)
    if message == "Expecting ',' delimiter":
        if _innermost_container(text, position) == "[":
            return JsSyntaxError(f"Expected ',' or ']' after array element {where}", position)
        return JsSyntaxError(f"Expected ',' or '}}' after property value {where}", position)
    if message.startswith("Unterminated string"):
        return JsSyntaxError(f"Unterminated string {where}", position)
    if message.startswith("Invalid control character"):
        return JsSyntaxError(f"Bad control character in string literal {where}", position)
    if message.startswith("Invalid \\"):
        return JsSyntaxError(f"Bad escaped character {where}", position)
    if message == "Extra data":
        return JsSyntaxError(f"Unexpected non-whitespace character after JSON at position {position}", position)
    return _unexpected(text, position)


_CONSTANT_RE: Final = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


def _find_constant(text: str, name: str) -> int:
    for match in _CONSTANT_RE.finditer(text):
        if match.group(1) == name:
            return match.start(1)
    return 0


# ------------------------------------------------------------------------------------------- stringify

_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_NEEDS_ESCAPE: Final = re.compile('[\\x00-\\x1f"\\\\\ud800-\udfff]')


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def js_json_string(text: str) -> str:
    """A string as ``JSON.stringify`` quotes it (control characters and lone surrogates escaped)."""
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def _is_array_index(key: str) -> bool:
    if not key or not key.isascii() or not key.isdigit():
        return False
    if len(key) > 1 and key[0] == "0":
        return False
    return int(key) <= _ARRAY_INDEX_MAX


def _key_text(key: object) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float):
        return js_number_to_string(key)
    raise TypeError(f"object keys must be str, int, float, bool or None, not {type(key).__name__}")


def _ordered_items(mapping: Mapping[Any, Any]) -> list[tuple[str, Any]]:
    items: dict[str, Any] = {}
    for key, value in mapping.items():
        items[_key_text(key)] = value
    indexes = [k for k in items if k[:1].isdigit() and _is_array_index(k)]
    if not indexes:
        return list(items.items())
    indexes.sort(key=int)
    index_set = set(indexes)
    return [(k, items[k]) for k in indexes] + [(k, v) for k, v in items.items() if k not in index_set]


def _number_text(value: int | float) -> str:
    if type(value) is int and -_TWO_53 <= value <= _TWO_53:
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "null"
    text = js_number_to_string(value)
    return "null" if text in ("Infinity", "-Infinity", "NaN") else text


def js_json_stringify(value: Any, indent: int | str | None = None) -> str:
    """``JSON.stringify(value, null, indent)``.

    ``indent`` is a number of spaces (clamped to 10) or a string (its first 10 characters), as in JS; without
    it the output is compact. Accepts ``None``, ``bool``, ``int``, ``float``, ``str``, mappings, lists and
    tuples; :data:`UNDEFINED` members are skipped in objects and print ``null`` in arrays. Raises
    :class:`TypeError` for other types, for a circular structure and for a top-level :data:`UNDEFINED`
    (for which JavaScript returns ``undefined`` rather than a string).
    """
    if isinstance(indent, bool):
        raise TypeError("indent must be an int, a str or None")
    if isinstance(indent, int):
        gap = " " * max(0, min(10, indent))
    elif isinstance(indent, str):
        gap = indent[:10]
    else:
        gap = ""
    if value is UNDEFINED:
        raise TypeError("JSON.stringify(undefined) produces no string")
    if not gap and _is_plain(value, 0):
        text = _dumps_compact(value)
        if _SURROGATE.search(text) is None:
            return text
    return _stringify_slow(value, gap)


def _stringify_slow(value: Any, gap: str) -> str:
    """The general serializer (every value :func:`js_json_stringify` accepts, any ``gap``)."""
    parts: list[str] = []
    _write(value, parts.append, gap, "", set())
    return "".join(parts)


# The fast path: for "plain" values, Python's C encoder prints exactly what JS prints. Plain means only
# ``None``, ``bool``, ``str``, ``int`` a double holds exactly (``|n| <= 2**53``), and ``dict`` / ``list`` /
# ``tuple`` (exact types) of plain values, with ``str`` keys that do not start with a digit (so no key is an
# array index JS would move to the front), nested at most ``_PLAIN_DEPTH`` deep (a circular structure is never
# plain, so the slow path reports it). Floats are never plain (JS prints ``1.0`` as ``1`` and ``1e21`` as
# ``1e+21``). Both encoders escape ``"``, ``\\``, ``\b\f\n\r\t`` by name and other control characters as
# lowercase ``\u00XX``, and leave everything else as is, except lone surrogates, which JS escapes: output
# holding a surrogate goes to the slow path.
_PLAIN_DEPTH: Final = 64
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_dumps_compact: Final = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def _is_plain(value: Any, depth: int) -> bool:
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(-_TWO_53 <= value <= _TWO_53)
    if kind is dict:
        if depth >= _PLAIN_DEPTH:
            return False
        for key, member in value.items():
            if type(key) is not str or key[:1].isdigit() or not _is_plain(member, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        if depth >= _PLAIN_DEPTH:
            return False
        return all(_is_plain(item, depth + 1) for item in value)
    return False


def _write(value: Any, out: Callable[[str], None], gap: str, current: str, active: set[int]) -> None:
    if value is None:
        out("null")
    elif isinstance(value, str):
        out(js_json_string(value))
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, int | float):
        out(_number_text(value))
    elif isinstance(value, Mapping):
        _write_object(value, out, gap, current, active)
    elif isinstance(value, list | tuple):
        _write_array(value, out, gap, current, active)
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _enter(value: object, active: set[int]) -> int:
    marker = id(value)
    if marker in active:
        raise TypeError("Converting circular structure to JSON")
    active.add(marker)
    return marker


def _write_object(
    value: Mapping[Any, Any], out: Callable[[str], None], gap: str, current: str, active: set[int]
) -> None:
    marker = _enter(value, active)
    members = [(k, v) for k, v in _ordered_items(value) if v is not UNDEFINED]
    if not members:
        out("{}")
    elif not gap:
        out("{")
        first = True
        for key, member in members:
            if not first:
                out(",")
            first = False
            out(js_json_string(key))
            out(":")
            _write(member, out, gap, current, active)
        out("}")
    else:
        inner = current + gap
        out("{\n")
        first = True
        for key, member in members:
            if not first:
                out(",\n")
            first = False
            out(inner)
            out(js_json_string(key))
            out(": ")
            _write(member, out, gap, inner, active)
        out("\n" + current + "}")
    active.discard(marker)


def _write_array(
    value: list[Any] | tuple[Any, ...], out: Callable[[str], None], gap: str, current: str, active: set[int]
) -> None:
    marker = _enter(value, active)
    if not value:
        out("[]")
    elif not gap:
        out("[")
        first = True
        for item in value:
            if not first:
                out(",")
            first = False
            _write(None if item is UNDEFINED else item, out, gap, current, active)
        out("]")
    else:
        inner = current + gap
        out("[\n")
        first = True
        for item in value:
            if not first:
                out(",\n")
            first = False
            out(inner)
            _write(None if item is UNDEFINED else item, out, gap, inner, active)
        out("\n" + current + "]")
    active.discard(marker)
