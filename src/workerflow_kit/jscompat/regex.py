"""ECMAScript regular expressions on Python's :mod:`re`.

:func:`js_regex` translates the JavaScript flavour (no ``u``/``v`` flag) into an equivalent Python pattern:

* ``\\d``, ``\\w``, ``\\b`` (and their negations) are ASCII-only, as in JavaScript: the pattern compiles with
  :data:`re.ASCII`;
* ``\\s``/``\\S`` still cover JavaScript's whitespace set (Unicode spaces, line terminators, U+FEFF): they are
  rewritten to explicit classes, inside character classes too;
* ``.`` excludes all four JS line terminators (``\\n``, ``\\r``, U+2028, U+2029) unless the ``s`` flag is set;
* ``$`` without ``m`` matches only at the very end (Python's also matches before a final newline); with ``m``,
  ``^``/``$`` match around every JS line terminator;
* ``(?<name>…)`` and ``\\k<name>`` become Python's named groups; ``[^]`` matches any character, ``[]`` none.

Flags: ``g`` (accepted; use ``finditer``/``sub`` for global behaviour), ``i``, ``m``, ``s``. Unsupported flags
(``u``, ``v``, ``y``, ``d``) and constructs (inline modifiers, ``\\p{…}``, identity escapes of letters such as
``\\A``) raise :class:`JsRegexError`. Known gap: with ``i``, case-insensitive matching of non-ASCII letters is
ASCII-only (a consequence of :data:`re.ASCII`), where JavaScript also folds letters such as ``é``/``É``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

__all__ = ["JsRegexError", "js_regex", "translate_js_regex"]


class JsRegexError(ValueError):
    """A pattern or flag :func:`js_regex` cannot translate faithfully, or an invalid pattern."""


#: The JavaScript ``\s`` set, written for use inside a Python character class.
_WS_CLASS_BODY: Final = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_LINE_TERMINATORS: Final = "\\n\\r\\u2028\\u2029"
_SUPPORTED_FLAGS: Final = frozenset("gims")
_ESCAPES_KEPT: Final = frozenset("dDwWbBfnrtv0123456789")
_ESCAPES_NEEDING_SUPPORT: Final = frozenset("cpPk")


def _class_end(pattern: str, start: int) -> int:
    """Index of the ``]`` closing the class opened at ``start`` (JS: ``]`` right after ``[`` or ``[^`` closes)."""
    index = start + 1
    if index < len(pattern) and pattern[index] == "^":
        index += 1
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "]":
            return index
        index += 1
    raise JsRegexError(f"Invalid regular expression: /{pattern}/: Unterminated character class")


def _translate_class(pattern: str, start: int, end: int) -> str:
    body = pattern[start + 1 : end]
    negated = body.startswith("^")
    if negated:
        body = body[1:]
    if not body:
        return "[\\s\\S]" if negated else "(?!)"
    items: list[str] = []
    has_not_space = False
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            if index + 1 >= len(body):
                raise JsRegexError(f"Invalid regular expression: /{pattern}/: \\ at end of pattern")
            escaped = body[index + 1]
            if escaped == "s":
                items.append(_WS_CLASS_BODY)
            elif escaped == "S":
                has_not_space = True
            elif escaped in ("p", "P"):
                raise JsRegexError(f"unsupported in /{pattern}/: \\{escaped}{{…}} needs the u flag")
            elif escaped == "c":
                raise JsRegexError(f"unsupported in /{pattern}/: \\c control escapes")
            elif escaped == "b":
                items.append("\\x08")  # [\b] is backspace in both flavours
            elif escaped.isascii() and escaped.isalpha() and escaped not in "dDwWfnrtvxu":
                raise JsRegexError(f"unsupported in /{pattern}/: identity escape \\{escaped}")
            else:
                items.append(char + escaped)
            index += 2
            continue
        if char == "[":
            items.append("\\[")
        else:
            items.append(char)
        index += 1
    rest = "".join(items)
    if not has_not_space:
        return f"[{'^' if negated else ''}{rest}]"
    if not negated:
        return f"(?:[{rest}]|[^{_WS_CLASS_BODY}])" if rest else f"[^{_WS_CLASS_BODY}]"
    # [^\S…] = whitespace that is not any of the other members.
    return f"(?:(?![{rest}])[{_WS_CLASS_BODY}])" if rest else f"[{_WS_CLASS_BODY}]"


def translate_js_regex(pattern: str, flags: str = "") -> tuple[str, int]:
    """Translate a JS pattern and flags into a Python pattern and :mod:`re` flags (see the module notes)."""
    unknown = sorted(set(flags) - _SUPPORTED_FLAGS)
    if unknown:
        raise JsRegexError(f"unsupported regular expression flag(s) {''.join(unknown)!r} in /{pattern}/{flags}")
    if len(set(flags)) != len(flags):
        raise JsRegexError(f"Invalid flags supplied to RegExp constructor '{flags}'")
    multiline = "m" in flags
    dotall = "s" in flags
    out: list[str] = []
    index = 0
    length = len(pattern)
    while index < length:
        char = pattern[index]
        if char == "\\":
            if index + 1 >= length:
                raise JsRegexError(f"Invalid regular expression: /{pattern}/: \\ at end of pattern")
            escaped = pattern[index + 1]
            if escaped == "s":
                out.append(f"[{_WS_CLASS_BODY}]")
            elif escaped == "S":
                out.append(f"[^{_WS_CLASS_BODY}]")
            elif escaped == "k":
                close = pattern.find(">", index)
                if not pattern.startswith("<", index + 2) or close < 0:
                    raise JsRegexError(f"unsupported in /{pattern}/: \\k without a group name")
                out.append(f"(?P={pattern[index + 3 : close]})")
                index = close + 1
                continue
            elif escaped in ("p", "P"):
                raise JsRegexError(f"unsupported in /{pattern}/: \\{escaped}{{…}} needs the u flag")
            elif escaped == "c":
                raise JsRegexError(f"unsupported in /{pattern}/: \\c control escapes")
            elif escaped.isascii() and escaped.isalpha() and escaped not in _ESCAPES_KEPT and escaped not in "xu":
                raise JsRegexError(f"unsupported in /{pattern}/: identity escape \\{escaped}")
            else:
                out.append(char + escaped)
            index += 2
            continue
        if char == "[":
            end = _class_end(pattern, index)
            out.append(_translate_class(pattern, index, end))
            index = end + 1
            continue
        if char == "(" and pattern.startswith("(?", index):
            if pattern.startswith("(?<", index) and not pattern.startswith(("(?<=", "(?<!"), index):
                out.append("(?P<")
                index += 3
                continue
            if not pattern.startswith(("(?:", "(?=", "(?!", "(?<=", "(?<!"), index):
                raise JsRegexError(f"unsupported group syntax in /{pattern}/ at position {index}")
            out.append(char)
            index += 1
            continue
        if char == ".":
            out.append("." if dotall else f"[^{_LINE_TERMINATORS}]")
        elif char == "$":
            out.append(f"(?![^{_LINE_TERMINATORS}])" if multiline else "\\Z")
        elif char == "^":
            out.append(f"(?<![^{_LINE_TERMINATORS}])" if multiline else "^")
        else:
            out.append(char)
        index += 1
    re_flags = re.ASCII
    if "i" in flags:
        re_flags |= re.IGNORECASE
    if dotall:
        re_flags |= re.DOTALL
    return "".join(out), re_flags


@lru_cache(maxsize=512)
def js_regex(pattern: str, flags: str = "") -> re.Pattern[str]:
    """Compile the JavaScript regular expression ``/pattern/flags`` for Python's :mod:`re`.

    Results are cached. Raises :class:`JsRegexError` for unsupported flags or constructs, and for patterns
    Python rejects.
    """
    translated, re_flags = translate_js_regex(pattern, flags)
    try:
        return re.compile(translated, re_flags)
    except re.error as exc:
        raise JsRegexError(f"Invalid regular expression: /{pattern}/{flags}: {exc}") from exc
