"""Eager argument checks shared by the strategies: every bad argument raises ``InvalidArgument`` at call time,
naming the argument, the value given and what would be accepted."""

from __future__ import annotations

from collections.abc import Collection

from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

__all__ = ["check_bool", "check_choice", "check_int", "check_size_range", "check_strategy"]


def check_strategy(name: str, value: object) -> None:
    """``value`` must be a Hypothesis strategy (to fix a value, pass ``st.just(value)``)."""
    if not isinstance(value, SearchStrategy):
        raise InvalidArgument(
            f"{name}={value!r} must be a Hypothesis strategy, not {type(value).__name__}; "
            f"to use one fixed value pass {name}=st.just(value)"
        )


def check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be True or False, not {type(value).__name__}")


def check_int(name: str, value: object, *, min_value: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        expected = "an int or None" if allow_none else "an int"
        raise InvalidArgument(f"{name}={value!r} must be {expected}, not {type(value).__name__}")
    if value < min_value:
        raise InvalidArgument(f"{name}={value!r} must be at least {min_value}")


def check_size_range(min_name: str, min_value: object, max_name: str, max_value: object, *, floor: int = 0) -> None:
    """``min_value`` an int >= ``floor``; ``max_value`` None (no bound) or an int >= ``min_value``."""
    check_int(min_name, min_value, min_value=floor)
    check_int(max_name, max_value, min_value=floor, allow_none=True)
    assert isinstance(min_value, int)
    if isinstance(max_value, int) and max_value < min_value:
        raise InvalidArgument(
            f"{min_name}={min_value} is greater than {max_name}={max_value}; "
            f"{min_name} must be less than or equal to {max_name}"
        )


def check_choice(name: str, value: object, choices: Collection[object]) -> None:
    if value not in choices:
        shown = ", ".join(repr(choice) for choice in choices)
        raise InvalidArgument(f"{name}={value!r} must be one of {shown}")
