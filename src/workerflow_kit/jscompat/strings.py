"""JavaScript string behaviours: ``trim``, ``toLowerCase``, ``length`` in UTF-16 units.

Python's ``str.strip()`` uses a different whitespace set from ``String.prototype.trim``: it strips the
information separators U+001C..U+001F and NEL (U+0085), which JS keeps, and it keeps U+FEFF, which JS strips.
Every rule in the spec that says "trim" means the JS set, so use :func:`js_trim` there.

``toLowerCase`` needs no port: CPython's ``str.lower`` applies the same locale-independent full Unicode
mapping as V8, including the special cases (U+0130 becomes ``"i\\u0307"``) and the final-sigma rule. The
two can only disagree where their Unicode databases are of different versions, which no contract in the
spec depends on. :func:`js_lower` exists so call sites state their intent.

"""

from __future__ import annotations

__all__ = [
    "JS_WHITESPACE",
    "js_is_blank",
    "js_lower",
    "js_trim",
    "utf16_length",
]

#: Characters ``String.prototype.trim`` removes: ECMAScript WhiteSpace (TAB, VT, FF, SP, NBSP, ZWNBSP and the
#: Unicode ``Zs`` category) plus LineTerminator (LF, CR, LS, PS).
JS_WHITESPACE: str = (
    "\u0009\u000b\u000c\u0020\u00a0\ufeff"  # TAB VT FF SP NBSP ZWNBSP(BOM)
    "\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"  # Zs
    "\u202f\u205f\u3000"  # Zs
    "\u000a\u000d\u2028\u2029"  # LF CR LS PS
)


def js_trim(s: str) -> str:
    """Return ``s`` without leading and trailing JS whitespace, exactly as ``s.trim()`` does in JavaScript."""
    return s.strip(JS_WHITESPACE)


def js_is_blank(s: str) -> bool:
    """True when ``s.trim()`` would be the empty string in JavaScript."""
    return not js_trim(s)


def js_lower(s: str) -> str:
    """``s.toLowerCase()``: Python's full Unicode lowercasing already matches V8 (see the module notes)."""
    return s.lower()


def utf16_length(s: str) -> int:
    """``s.length`` in JavaScript: the number of UTF-16 code units (astral characters count twice)."""
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)
