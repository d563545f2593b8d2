"""Formatting for the chapters' glued prose: the helpers every ``prose(res)`` shares.

A chapter's ``prose(res) -> dict[str, str]`` turns the numbers of one run into the strings its
notebook glues. :func:`formatted` formats a group of values with one format specification,
exactly as the f-string ``f"{value:spec}"`` would; :func:`joined` writes a sequence as one
phrase; :func:`pow10` states a rounding-level number as the power of ten above it.
"""

from __future__ import annotations

import math

__all__ = ["formatted", "joined", "pow10"]


def formatted(spec: str, values: dict) -> dict[str, str]:
    """Each value formatted with ``spec``: ``{key: format(value, spec)}``.

    ``format(value, spec)`` is what ``f"{value:spec}"`` computes, so ``spec=""`` gives
    ``f"{value}"``.

    >>> formatted(".1e", {"a": 0.000123, "b": 2})
    {'a': '1.2e-04', 'b': '2.0e+00'}
    >>> formatted(",", {"n": 12000})
    {'n': '12,000'}
    """
    return {key: format(value, spec) for key, value in values.items()}


def joined(values, spec: str = "", sep: str = ", ") -> str:
    """The values formatted with ``spec`` and joined with ``sep``.

    >>> joined([0.1234, 0.5], ".2f")
    '0.12, 0.50'
    >>> joined([0.05, 0.1], ".0%", sep=" and ")
    '5% and 10%'
    """
    return sep.join(format(v, spec) for v in values)


def pow10(x: float) -> str:
    """An upper bound ``1e-k`` for a rounding-level number (its digits are noise).

    >>> pow10(3e-15)
    '1e-14'
    >>> pow10(0.0)
    '0'
    """
    return f"1e{math.ceil(math.log10(x)):d}" if x > 0 else "0"
