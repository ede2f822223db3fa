"""Checks of numeric arguments: a value that cannot be meant is a :class:`DataError`.

A NaN compares False with everything, so ``if not x > 0`` style checks written one by
one tend to let it through (or to reject it with a misleading message); this is the one
place that turns an argument into a float and says what it must be.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from echem.errors import DataError

__all__ = ["checked_number"]


def checked_number(
    value: Any,
    name: str,
    *,
    accept: Callable[[float], bool] = lambda number: True,
    must_be: str = "finite",
    unit: str = "",
    infinite_ok: bool = False,
) -> float:
    """``value`` as a float, if it is a number (not a bool), finite (or +inf where
    ``infinite_ok``) and taken by ``accept``; else a :class:`DataError` saying that
    ``name`` must be ``must_be`` [``unit``].

    Examples
    --------
    >>> checked_number("2.5", "area_cm2", accept=lambda a: a > 0, must_be="finite and > 0")
    2.5
    """
    shown_unit = f" {unit}" if unit else ""
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a number{shown_unit}, got {value!r}") from None
    finite = math.isfinite(number) or (infinite_ok and number == math.inf)
    if not (finite and accept(number)):
        raise DataError(f"{name} must be {must_be}{shown_unit}, got {value!r}")
    return number
