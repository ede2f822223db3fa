"""The public fit: a spectrum given as arrays, a tuple or a canonical frame, and a circuit
given as text, a :class:`~echem.eis.Circuit`, an impedance.py model or ``"auto"``.

A given circuit is fitted by :func:`echem.eis.circuit_fit.fit_circuit`; ``"auto"`` is chosen
by :func:`echem.eis.model_choice.fit_auto`, which fits its candidates with the former.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import FitError
from .circuit import Circuit
from .circuit_fit import check_options, fit_circuit, spectrum_of_frame
from .interop import is_impedance_py
from .model_choice import AUTO, fit_auto
from .result import FitResult

__all__ = ["fit", "FitResult"]


def _split_call(
    data: Any, z: Any, circuit: Any
) -> tuple[np.ndarray, np.ndarray, Any, float | None]:
    """Resolve ``fit(freq, z, circuit)``, ``fit(df, circuit)`` and ``fit((freq, z), circuit)``
    (``circuit`` text, a :class:`Circuit` or an impedance.py model)."""
    given = isinstance(z, str | Circuit) or is_impedance_py(z)  # z is the circuit
    if isinstance(data, pd.DataFrame):
        if circuit is None and given:
            circuit, z = z, None
        if z is not None:
            raise FitError("fit(df, circuit): give the circuit second, not an impedance array")
        freq, zz, time_s = spectrum_of_frame(data)
        return freq, zz, circuit, time_s
    if isinstance(data, tuple) and len(data) == 2 and (z is None or given):
        if circuit is None and z is not None:
            circuit = z
        return data[0], data[1], circuit, None
    if z is None:
        raise FitError("fit(freq_Hz, z, circuit): the impedance array is missing")
    return data, z, circuit, None


def fit(
    data: Any,
    z: Any = None,
    circuit: str | Circuit | None = None,
    *,
    initial: Mapping[str, float] | None = None,
    fixed: Mapping[str, float] | Iterable[str] | None = None,
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    weighting: str = "modulus",
    f_range: tuple[float | None, float | None] | None = None,
    **options: Any,
) -> FitResult:
    r"""Fit ``circuit`` to a spectrum; initial values come from the data when not given.

    Parameters
    ----------
    data, z, circuit
        ``fit(freq_Hz, z, circuit)`` with frequencies in Hz and complex impedance in Ω
        (Z'' negative on capacitive arcs), or ``fit(df, circuit)`` with a canonical frame
        (``freq_Hz``, ``z_real_ohm``, ``z_imag_ohm``; ``time_s`` kept). ``circuit`` is a
        string such as ``"R0-p(R1,CPE1)-p(R2,CPE2)"`` or a :class:`~echem.eis.Circuit`;
        ``"auto"`` chooses it (:mod:`echem.eis.model_choice`; ``result.candidates``); an
        impedance.py ``CustomCircuit`` gives its circuit, its values as the start and its
        constants as fixed (:mod:`echem.eis.interop`).
    initial
        Parameter name -> starting value (aliases such as ``CPE1_0`` accepted); the others
        are read off the data. The data-driven search runs as it would without it, and the
        given start is refined beside it: the fit keeps whichever ends lower, so a start
        never makes the fit worse. With ``multistart=False`` only the given start is refined.
    fixed
        Parameters held constant: a mapping name -> value, or names fixed at their
        ``initial`` value.
    bounds
        Name -> (lower, upper) overriding the element defaults (None keeps a side).
    weighting
        The fit minimises :math:`\chi^2 = \sum_i ((Z'_i - \hat Z'_i)/\sigma'_i)^2
        + ((Z''_i - \hat Z''_i)/\sigma''_i)^2` with

        - ``"modulus"`` (default): :math:`\sigma'_i = \sigma''_i = |Z_i|`;
        - ``"unit"``: :math:`\sigma'_i = \sigma''_i = 1` (impedance.py's default);
        - ``"proportional"``: :math:`\sigma'_i = \max(|Z'_i|, 0.01|Z_i|)`,
          :math:`\sigma''_i = \max(|Z''_i|, 0.01|Z_i|)`.

        See :mod:`echem.eis.weighting`.
    f_range
        (f_min, f_max) in Hz: only points with f_min <= f <= f_max are fitted (None = open).
    **options
        ``seed`` (0), ``n_random`` (24), ``n_short`` (16), ``n_full`` (4), ``n_moves`` (1),
        ``n_hops`` (0), ``multistart`` (True); see :data:`OPTIONS`.

    Returns
    -------
    FitResult

    Raises
    ------
    echem.DataError
        Unusable data (NaN/inf, too few points, bad frequencies, mismatched lengths).
    echem.CircuitError
        Bad circuit text or unknown parameter name.
    echem.FitError
        Contradictory options (bad bounds, unknown weighting or option...).
    """
    check_options(options)
    freq, zz, circuit, time_s = _split_call(data, z, circuit)
    if circuit is None:
        raise FitError("no circuit given")
    given = dict(initial=initial, fixed=fixed, bounds=bounds, weighting=weighting, f_range=f_range)
    if isinstance(circuit, str) and circuit == AUTO:  # the choice of circuit
        return fit_auto(freq, zz, time_s=time_s, **given, **options)
    if isinstance(circuit, str) and circuit.strip().lower() == AUTO:
        raise FitError(
            f'circuit {circuit!r}: the automatic choice is asked for with "auto" exactly, as '
            "fit_many, fit_series and the command line know it"
        )
    return fit_circuit(freq, zz, circuit, time_s=time_s, **given, **options)
