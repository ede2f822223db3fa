"""Canonical column names and units, and the helper that builds a tidy frame.

Every reader returns a :class:`pandas.DataFrame` whose first columns are the
canonical ones the file provides (in the order of :data:`CANONICAL`), followed by
every original column under its original name. ``df.attrs`` carries ``format``,
``technique``, ``source``, ``start_time`` and ``metadata`` (see ``../shared/GUIDE.md`` §1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CANONICAL",
    "CANONICAL_COLUMNS",
    "TECHNIQUES",
    "Alias",
    "build_frame",
]

#: Canonical column name -> unit, in output order.
CANONICAL: dict[str, str] = {
    "time_s": "s",
    "voltage_V": "V",
    "current_A": "A",
    "charge_C": "C",
    "cycle": "",
    "step": "",
    "freq_Hz": "Hz",
    "z_real_ohm": "Ohm",
    "z_imag_ohm": "Ohm",
}
CANONICAL_COLUMNS: tuple[str, ...] = tuple(CANONICAL)

#: The values ``df.attrs["technique"]`` may take.
TECHNIQUES: tuple[str, ...] = (
    "eis",
    "galvanostatic",
    "potentiostatic",
    "ocv",
    "cyclic_voltammetry",
    "linear_sweep",
    "mixed",
    "unknown",
)

#: One way to obtain a canonical column: (original column name, factor to multiply by).
Alias = tuple[str, float]


def build_frame(
    raw: pd.DataFrame | Mapping[str, Any],
    aliases: Mapping[str, Sequence[Alias]],
    *,
    format: str,
    technique: str,
    source: str,
    start_time: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Assemble the tidy frame from the original columns of a file.

    Parameters
    ----------
    raw
        The file's table, columns under their original names (already numeric where
        the file's values are numbers): a DataFrame, or a mapping of name to 1-D
        array of equal lengths (the fast path for binary readers: arrays are used
        without copying).
    aliases
        For each canonical column, the original columns it may come from, in order of
        preference, each with the factor that converts it to the canonical unit
        (e.g. ``{"current_A": [("I/mA", 1e-3)], "z_imag_ohm": [("-Im(Z)/Ohm", -1.0)]}``).
        The first alias present in ``raw`` wins; canonical columns with no alias
        present are left out (never filled with NaN).
    format, technique, source, start_time, metadata
        Stored in ``df.attrs``.

    Returns
    -------
    pandas.DataFrame
        Canonical columns first (float64; ``cycle`` and ``step`` int64 when whole
        numbers), then every original column (a column already named canonically is
        not repeated).
    """
    originals: dict[str, Any] = dict(raw.items())
    n_rows = len(raw) if isinstance(raw, pd.DataFrame) else _common_length(originals)
    columns: dict[str, Any] = {}
    for name in CANONICAL_COLUMNS:
        for original, factor in aliases.get(name, ()):
            if original in originals:
                values = _as_float(originals[original])
                if factor != 1.0:
                    values = values * factor
                elif name in ("cycle", "step"):
                    values = _as_index(values)
                columns[name] = values
                break
    for original, values in originals.items():
        if original not in columns:
            columns[original] = values
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n_rows), copy=False)
    frame.attrs.update(
        format=format,
        technique=technique,
        source=source,
        start_time=start_time,
        metadata=dict(metadata or {}),
    )
    return frame


def _common_length(columns: Mapping[str, Any]) -> int:
    """The length shared by every column of a mapping (0 when there is none)."""
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of unequal lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _as_float(values: Any) -> np.ndarray:
    """float64 array of a column; text that is not a number becomes NaN."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64)


def _as_index(array: np.ndarray) -> np.ndarray:
    """Integer cycle/step indices where the values are exactly representable whole
    numbers (|x| < 2**53), else the floats unchanged."""
    if (
        np.all(np.isfinite(array))
        and np.all(np.abs(array) < 2.0**53)
        and np.all(array == np.round(array))
    ):
        return array.astype(np.int64)
    return array
