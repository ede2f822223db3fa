"""Residual weightings of a complex non-linear least-squares (CNLS) impedance fit.

The fit minimises

.. math:: \\chi^2 = \\sum_i \\left(\\frac{Z'_i - \\hat Z'_i}{\\sigma'_i}\\right)^2
                  + \\left(\\frac{Z''_i - \\hat Z''_i}{\\sigma''_i}\\right)^2

with :math:`Z` the data and :math:`\\hat Z` the model, and the weights :math:`\\sigma` given by
the weighting (Orazem & Tribollet, *Electrochemical Impedance Spectroscopy*, 2nd ed., Wiley
2017, ch. 19; Boukamp, Solid State Ionics 1986, 20, 31):

==============  =================================  ==========================================
name            :math:`\\sigma'_i`                  :math:`\\sigma''_i`
==============  =================================  ==========================================
unit            1                                  1
modulus         :math:`|Z_i|`                      :math:`|Z_i|`
proportional    :math:`\\max(|Z'_i|, \\epsilon|Z_i|)`  :math:`\\max(|Z''_i|, \\epsilon|Z_i|)`
==============  =================================  ==========================================

``modulus`` (the default) is right for noise proportional to |Z|, as potentiostats produce;
``unit`` is what impedance.py's ``CustomCircuit.fit`` minimises by default; ``proportional``
weights the real and imaginary parts each by their own magnitude, floored at
:math:`\\epsilon = 0.01` of the modulus so that points where one part crosses zero (the
high-frequency intercept) do not dominate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import FitError

__all__ = ["WEIGHTINGS", "PROPORTIONAL_FLOOR", "weights"]

#: Floor ε of the proportional weights, as a share of |Z|.
PROPORTIONAL_FLOOR = 0.01


def _unit(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    one = np.ones(len(z))
    return one, one


def _modulus(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = np.abs(z)
    return m, m


def _proportional(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    floor = PROPORTIONAL_FLOOR * np.abs(z)
    return np.maximum(np.abs(z.real), floor), np.maximum(np.abs(z.imag), floor)


#: Weighting name -> function of the data returning (σ', σ'').
WEIGHTINGS: dict[str, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "unit": _unit,
    "modulus": _modulus,
    "proportional": _proportional,
}


def weights(z: np.ndarray, weighting: str) -> tuple[np.ndarray, np.ndarray]:
    """The weights (σ', σ'') of the data ``z`` (Ω) for the named weighting (see module doc)."""
    try:
        func = WEIGHTINGS[weighting]
    except KeyError:
        raise FitError(
            f"unknown weighting {weighting!r}; choose one of {', '.join(WEIGHTINGS)}"
        ) from None
    sr, si = func(np.asarray(z, dtype=complex))
    if not (np.all(sr > 0) and np.all(si > 0)):
        raise FitError(f"weighting {weighting!r} gives a zero weight (a data point with Z = 0?)")
    return sr, si
