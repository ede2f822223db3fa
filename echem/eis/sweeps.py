"""Split a frame into its EIS sweeps (one frame per impedance spectrum).

A file may hold several sweeps (BioLogic PEIS with several cycles, EIS between
galvanostatic steps, Parstat's galvanostatic record followed by a sweep...). A new
sweep starts where

* the rows with a finite positive frequency stop and start again (non-EIS rows between),
* the file's sweep index changes (``cycle``, or BioLogic's ``z cycle`` column), or
* the frequency reverses the direction the sweep was going in (a high-to-low sweep
  that jumps back to a high frequency, or the reverse).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from echem.errors import DataError

__all__ = ["spectra", "sweep_index"]

#: Columns that number sweeps, in order of preference (canonical first).
_SWEEP_COLUMNS: tuple[str, ...] = ("cycle", "z cycle")


def sweep_index(df: pd.DataFrame) -> np.ndarray:
    """The 0-based sweep number of every row, -1 for rows that are not EIS points.

    Parameters
    ----------
    df
        A frame with a ``freq_Hz`` column [Hz].

    Raises
    ------
    echem.DataError
        No ``freq_Hz`` column.
    """
    if "freq_Hz" not in df.columns:
        raise DataError(
            "the frame has no 'freq_Hz' column (frequency in Hz): it holds no EIS data"
            f" (columns: {', '.join(map(str, df.columns[:12]))})"
        )
    freq = pd.to_numeric(df["freq_Hz"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        is_eis = np.isfinite(freq) & (freq > 0)
    labels = np.full(len(freq), -1, dtype=np.int64)
    groups = [None] * len(freq)
    for column in _SWEEP_COLUMNS:
        if column in df.columns:
            groups = list(pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float))
            break
    sweep = -1
    previous = -2  # row index of the previous EIS row
    direction = 0.0
    for row in np.flatnonzero(is_eis):
        new = previous != row - 1
        if not new:
            same_group = groups[row] == groups[previous] or (
                groups[row] is not None and np.isnan(groups[row]) and np.isnan(groups[previous])
            )
            step = np.sign(freq[row] - freq[previous])
            if not same_group:
                new = True
            elif direction == 0.0:
                direction = step
            elif step != 0.0 and step != direction:
                new = True
        if new:
            sweep += 1
            direction = 0.0
        labels[row] = sweep
        previous = row
    return labels


def spectra(df: pd.DataFrame) -> list[pd.DataFrame]:
    """One frame per EIS sweep, in file order.

    Parameters
    ----------
    df
        A tidy frame from :func:`echem.read` (needs ``freq_Hz`` [Hz]; ``z_real_ohm``,
        ``z_imag_ohm`` [Ohm] and ``time_s`` [s] are carried along).

    Returns
    -------
    list of pandas.DataFrame
        Rows with a finite positive frequency only, index reset; ``attrs`` copied from
        ``df`` plus ``sweep`` (0-based) and ``time_s`` (the sweep's first finite time
        [s], None without a ``time_s`` column). Empty list when no row is an EIS point.

    Raises
    ------
    echem.DataError
        ``df`` has no ``freq_Hz`` column.

    Examples
    --------
    >>> import echem
    >>> for sweep in echem.eis.spectra(echem.read("peis.mpt")):  # doctest: +SKIP
    ...     print(sweep.attrs["sweep"], len(sweep), sweep.attrs["time_s"])
    """
    labels = sweep_index(df)
    count = int(labels.max()) + 1 if len(labels) else 0
    result = []
    for number in range(count):
        part = df.iloc[np.flatnonzero(labels == number)].reset_index(drop=True)
        attrs = dict(df.attrs)
        attrs["sweep"] = number
        start = None
        if "time_s" in part.columns:
            times = pd.to_numeric(part["time_s"], errors="coerce").to_numpy(dtype=float)
            finite = times[np.isfinite(times)]
            start = float(finite[0]) if finite.size else None
        attrs["time_s"] = start
        part.attrs = attrs
        result.append(part)
    return result
