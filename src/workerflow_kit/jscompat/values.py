"""JavaScript value coercions over JSON-shaped Python values: truthiness, ``String(value)`` and ``Number(value)``.

Values are ``None`` (null), ``bool``, ``int``, ``float``, ``str``, ``list``/``tuple``, mappings, or
:data:`~workerflow_kit.jscompat.numbers.UNDEFINED`; any other object is treated like a plain JS object, the way
a Workers binding is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from workerflow_kit.jscompat.numbers import UNDEFINED, js_number_to_string, js_string_to_number, to_double

__all__ = ["js_string", "js_to_number", "js_truthy"]


def js_truthy(value: object) -> bool:
    """JavaScript truthiness: ``null``, ``false``, ``0``, ``-0``, ``NaN`` and ``""`` are falsy; everything
    else (including empty arrays and empty objects, unlike Python) is truthy."""
    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def js_string(value: object) -> str:
    """``String(value)`` in JavaScript for a JSON-shaped value.

    ``None`` gives ``"null"``, :data:`~workerflow_kit.jscompat.numbers.UNDEFINED` ``"undefined"``, booleans
    ``"true"``/``"false"``; numbers print as ``Number::toString`` does; arrays join their elements' strings
    with ``","`` (``null`` and ``undefined`` elements become ``""``); mappings and any other object give
    ``"[object Object]"``.
    """
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number_to_string(value)
    if isinstance(value, list | tuple):
        return ",".join("" if item is None or item is UNDEFINED else js_string(item) for item in value)
    return "[object Object]"  # mappings, and any other object (a Workers binding, say)


def js_to_number(value: object) -> float:
    """``Number(value)``: the JS ToNumber conversion, always returning a float.

    ``None`` (null), ``""`` and ``[]`` → 0; ``True`` → 1; ``"7"``, ``" 12 "``, ``"1e3"``, ``"0x10"`` parse as
    JS numeric literals; arrays convert through their joined string (``[5]`` → 5, ``[1, 2]`` → NaN);
    :data:`UNDEFINED`, mappings and other objects → NaN.
    """
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return to_double(value)
    if isinstance(value, str):
        return js_string_to_number(value)
    if isinstance(value, list | tuple):
        return js_string_to_number(js_string(value))
    if value is UNDEFINED or isinstance(value, Mapping):
        return math.nan
    return math.nan
