"""Split a frame into its EIS sweeps (one frame per impedance spectrum).

A file may hold several sweeps (BioLogic PEIS with several cycles, EIS between
galvanostatic steps, Parstat's galvanostatic record followed by a sweep...). A new
sweep starts where

* the rows with a finite positive frequency stop and start again (non-EIS rows between),
* the file's sweep index changes (``cycle``, or BioLogic's ``z cycle`` column; a missing
  index value continues the sweep it is in), or
* the frequency reverses the direction the sweep was going in (a high-to-low sweep
  that jumps back to a high frequency, or the reverse).

Which rows are left out
-----------------------
A row whose frequency is not a finite positive number is not an EIS point. Most such
rows are records of another technique (a galvanostatic hold before the sweep, a rest
between sweeps): they have no impedance (``z_real_ohm`` and ``z_imag_ohm`` missing or
both exactly 0, as EC-Lab writes them) and are left out quietly; they separate sweeps.
A row that *has* an impedance but a missing, zero, negative or infinite frequency is a
damaged EIS point: it is left out with an :class:`echem.EchemWarning` that counts such
rows by reason and names their positions, and it does not split the sweep it sits in.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import DataError, EchemWarning

__all__ = ["spectra", "sweep_index", "impedance_points", "first_time_s"]

#: Columns that number sweeps, in order of preference (canonical first).
_SWEEP_COLUMNS: tuple[str, ...] = ("cycle", "z cycle")
#: Columns whose finite non-zero values make a row an impedance measurement.
_IMPEDANCE_COLUMNS: tuple[str, ...] = ("z_real_ohm", "z_imag_ohm")
#: How many row positions a warning names at most.
_SHOWN_ROWS: int = 5


def _numbers(column: pd.Series) -> np.ndarray:
    """A column as float64, NaN where a value is missing or not a number."""
    values = pd.to_numeric(column, errors="coerce")
    return values.to_numpy(dtype=float, na_value=np.nan)


def impedance_points(sweep: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """The points of a sweep that can be tested or fitted.

    Parameters
    ----------
    sweep
        A frame with ``freq_Hz`` [Hz], ``z_real_ohm`` and ``z_imag_ohm`` [Ohm] (one of
        :func:`spectra`'s sweeps).

    Returns
    -------
    freq_Hz, z, left_out
        Frequencies [Hz] and complex impedances [Ohm] of the rows where all three values
        are finite numbers, and how many rows were left out for not being so.
    """
    freq = _numbers(sweep["freq_Hz"])
    z = _numbers(sweep["z_real_ohm"]) + 1j * _numbers(sweep["z_imag_ohm"])
    usable = np.isfinite(freq) & np.isfinite(z)
    return freq[usable], z[usable], int(np.count_nonzero(~usable))


def checked_spectrum(freq_Hz: Any, z: Any) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (Hz, float64) and impedances (Ω, complex128) that a fit or a DRT can use.

    Raises
    ------
    echem.DataError
        Not numbers, complex frequencies, not 1-D of one length, NaN or infinite values,
        frequencies that are not positive, or one frequency twice (two sweeps in one
        frame would be fitted as one, unseen: :func:`spectra` splits them).
    """
    try:
        f = np.asarray(freq_Hz)
        if np.iscomplexobj(f):  # float() of it drops the imaginary part with a warning only
            raise TypeError("the frequencies are complex")
        f = f.astype(float)
        zz = np.asarray(z, dtype=complex)
    except (TypeError, ValueError) as exc:
        raise DataError(f"frequencies and impedance must be numeric arrays ({exc})") from None
    if f.ndim != 1 or zz.ndim != 1:
        raise DataError(
            f"frequencies and impedance must be 1-D of one length (got shapes {f.shape} and "
            f"{zz.shape})"
        )
    if len(f) != len(zz):
        raise DataError(
            f"{len(f)} frequencies but {len(zz)} impedance values: they must be of one length"
        )
    bad = ~np.isfinite(f) | ~np.isfinite(zz)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{int(bad.sum())} point(s) with NaN or infinite frequency or impedance "
            f"(first at index {i}: f={float(f[i])!r}, Z={complex(zz[i])!r}); drop them first"
        )
    if (f <= 0).any():
        i = int(np.flatnonzero(f <= 0)[0])
        raise DataError(f"frequencies must be positive (index {i}: {float(f[i])!r} Hz)")
    distinct, counts = np.unique(f, return_counts=True)
    if (counts > 1).any():
        twice = distinct[counts > 1]
        raise DataError(
            f"duplicate frequencies ({twice.size}, e.g. {float(twice[0])!r} Hz): a file with "
            "several sweeps? split it with echem.eis.spectra()"
        )
    return f, zz


def _frequencies(df: pd.DataFrame) -> np.ndarray:
    """``freq_Hz`` as float64 [Hz]; DataError when the column is absent."""
    if "freq_Hz" not in df.columns:
        raise DataError(
            "the frame has no 'freq_Hz' column (frequency in Hz): it holds no EIS data"
            f" (columns: {', '.join(map(str, df.columns[:12]))})"
        )
    return _numbers(df["freq_Hz"])


def _has_impedance(df: pd.DataFrame) -> np.ndarray:
    """True for rows with a finite, non-zero ``z_real_ohm`` or ``z_imag_ohm`` [Ohm]."""
    found = np.zeros(len(df), dtype=bool)
    for column in _IMPEDANCE_COLUMNS:
        if column in df.columns:
            values = _numbers(df[column])
            with np.errstate(invalid="ignore"):
                found |= np.isfinite(values) & (values != 0)
    return found


def _is_eis(freq: np.ndarray) -> np.ndarray:
    """True where the frequency is finite and positive."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(freq) & (freq > 0)


def _sweep_groups(df: pd.DataFrame, rows: np.ndarray) -> np.ndarray | None:
    """The file's sweep index at ``rows``, missing values carried forward; None if absent."""
    for column in _SWEEP_COLUMNS:
        if column in df.columns:
            groups = pd.Series(_numbers(df[column])[rows]).ffill()
            return groups.to_numpy(dtype=float)
    return None


def _reversals(freq: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Where the frequency turns back within the runs that begin at ``starts``.

    ``freq`` holds the EIS points in file order; ``starts`` marks the first point of
    each run (True). Returns the points where a new sweep starts because the
    frequency reverses the direction of the sweep so far.
    """
    steps = np.zeros(freq.size, dtype=np.int8)
    steps[1:] = np.sign(np.diff(freq))
    new = starts.copy()
    direction = 0
    # Only points with a non-zero step or a run start change the state: loop over those.
    for point in np.flatnonzero(starts | (steps != 0)).tolist():
        step = int(steps[point])
        if new[point]:
            direction = 0
        elif direction == 0:
            direction = step
        elif step != direction:
            new[point] = True
            direction = 0
    return new


def _warn_unusable_frequencies(df: pd.DataFrame, freq: np.ndarray, lost: np.ndarray) -> None:
    """EchemWarning for impedance rows left out because of their frequency."""
    positions = np.flatnonzero(lost)
    values = freq[positions]
    with np.errstate(invalid="ignore"):
        reasons = {
            "missing or not a number": int(np.isnan(values).sum()),
            "zero": int((values == 0).sum()),
            "negative": int((values < 0).sum()),
            "infinite": int(np.isposinf(values).sum()),
        }
    why = ", ".join(f"{count} {reason}" for reason, count in reasons.items() if count)
    shown = ", ".join(str(p) for p in positions[:_SHOWN_ROWS].tolist())
    more = f" and {positions.size - _SHOWN_ROWS} more" if positions.size > _SHOWN_ROWS else ""
    source = df.attrs.get("source")
    prefix = f"{source}: " if source else ""
    warnings.warn(
        f"{prefix}{positions.size} row(s) with an impedance but no usable frequency"
        f" ({why}) left out of the EIS sweeps (0-based row positions {shown}{more})",
        EchemWarning,
        stacklevel=4,
    )


def _labels(df: pd.DataFrame, *, warn: bool) -> np.ndarray:
    freq = _frequencies(df)
    is_eis = _is_eis(freq)
    lost = ~is_eis & _has_impedance(df)
    if warn and lost.any():
        _warn_unusable_frequencies(df, freq, lost)
    # Rows that separate sweeps: non-EIS records (a lost EIS point does not).
    separators = np.cumsum(~is_eis & ~lost)
    rows = np.flatnonzero(is_eis)
    labels = np.full(len(freq), -1, dtype=np.int64)
    if rows.size == 0:
        return labels
    starts = np.zeros(rows.size, dtype=bool)
    starts[0] = True
    starts[1:] = separators[rows[1:]] != separators[rows[:-1]]
    groups = _sweep_groups(df, rows)
    if groups is not None:
        with np.errstate(invalid="ignore"):
            changed = (
                np.isfinite(groups[1:]) & np.isfinite(groups[:-1]) & (groups[1:] != groups[:-1])
            )
        starts[1:] |= changed
    new = _reversals(freq[rows], starts)
    labels[rows] = np.cumsum(new) - 1
    return labels


def sweep_index(df: pd.DataFrame) -> np.ndarray:
    """The 0-based sweep number of every row, -1 for rows that are not EIS points.

    Parameters
    ----------
    df
        A frame with a ``freq_Hz`` column [Hz].

    Returns
    -------
    numpy.ndarray
        int64, one per row. Rows whose frequency is not finite and positive get -1
        (see the module docstring for which of them :func:`spectra` warns about).

    Raises
    ------
    echem.DataError
        No ``freq_Hz`` column.
    """
    return _labels(df, warn=False)


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
        ``df`` (a deep copy per sweep) plus ``sweep`` (0-based) and ``time_s`` (the
        sweep's first finite time [s], None without a ``time_s`` column). Empty list
        when no row is an EIS point.

    Raises
    ------
    echem.DataError
        ``df`` has no ``freq_Hz`` column.

    Warns
    -----
    echem.EchemWarning
        Rows that have an impedance but a missing, zero, negative or infinite frequency
        were left out (counted by reason, positions named).

    Examples
    --------
    >>> import echem
    >>> for sweep in echem.eis.spectra(echem.read("peis.mpt")):  # doctest: +SKIP
    ...     print(sweep.attrs["sweep"], len(sweep), sweep.attrs["time_s"])
    """
    labels = _labels(df, warn=True)
    rows = np.flatnonzero(labels >= 0)
    bounds = np.flatnonzero(np.diff(labels[rows])) + 1
    result = []
    for number, part_rows in enumerate(np.split(rows, bounds) if rows.size else []):
        part = df.iloc[part_rows].reset_index(drop=True)
        attrs = copy.deepcopy(df.attrs)
        attrs["sweep"] = number
        attrs["time_s"] = first_time_s(part)
        part.attrs = attrs
        result.append(part)
    return result


def first_time_s(part: pd.DataFrame) -> float | None:
    """The first finite ``time_s`` of a frame [s], None without one."""
    if "time_s" not in part.columns:
        return None
    times = _numbers(part["time_s"])
    finite = times[np.isfinite(times)]
    return float(finite[0]) if finite.size else None
