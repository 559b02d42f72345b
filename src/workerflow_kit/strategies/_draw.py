"""Cached building blocks for composite strategies.

Building a strategy costs far more than drawing from it (Hypothesis validates and analyses each new one), so
composite strategies here never build strategies while drawing: they pick from sequences through cached
integer strategies instead of calling ``st.sampled_from`` on the fly. Drawing is not free either: every nested
draw is a span Hypothesis records, replays and mutates, so the hot strategies fold several picks into one
integer choice and draw their default parts inline rather than through another composite.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TypeVar

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

__all__ = ["between", "chance", "compact", "pick"]

_T = TypeVar("_T")


@functools.cache
def between(low: int, high: int) -> SearchStrategy[int]:
    """``st.integers(low, high)``, built once per bounds."""
    return st.integers(low, high)


def pick(draw: st.DrawFn, options: Sequence[_T]) -> _T:
    """One element of a non-empty sequence (shrinks towards the first)."""
    return options[draw(between(0, len(options) - 1))]


def chance(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in ``one_in`` draws (shrinks towards False)."""
    return draw(between(0, one_in - 1)) == one_in - 1


def compact(strategy: SearchStrategy[_T], name: str) -> SearchStrategy[_T]:
    """The same strategy with ``name`` as its repr. The trees of the strategies here run to tens of kilobytes
    once nested, and Hypothesis warns when it has to print one."""

    def draw_from(draw: st.DrawFn) -> _T:
        return draw(strategy)

    draw_from.__name__ = draw_from.__qualname__ = name
    return st.composite(draw_from)()
