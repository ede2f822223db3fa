"""Short-circuit detection: when the polarisation of a cell under current collapses.

A Li filament bridging the electrolyte shorts the cell: |voltage| collapses to a few mV
(I R of the filament) and stays there, and the current that flows afterwards deposits
no Li (GUIDE §4). :func:`detect_short_circuit` finds that moment robustly (rolling
median, persistence, a real collapse from a higher level, current-carrying points only);
every number of the criterion is a field of :class:`ShortCircuitCriterion`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from echem._checks import checked_number
from echem.errors import DataError

__all__ = ["ShortCircuitCriterion", "detect_short_circuit"]


@dataclass(frozen=True)
class ShortCircuitCriterion:
    """When the polarisation has collapsed: the criterion of :func:`detect_short_circuit`.

    Attributes
    ----------
    threshold_V
        |voltage| at or below which the cell counts as shorted, V ("a few mV").
    window
        Points in the centred rolling median of |voltage| (an odd integer; noise and
        single spikes are removed, a clean step stays at its sample).
    hold_s
        The smoothed |voltage| must stay below the threshold for at least this long, s,
        and for at least ``window`` points -- or until the end of the record, with at
        least ``window`` points.
    min_current_fraction
        Only points carrying current are examined: |I| >= this fraction of the 95th
        percentile of the non-zero |I| (rest periods of a symmetric Li|Li cell sit near
        0 V too). Ignored when the frame has no current.
    collapse_ratio, lookback_s
        A collapse, not a low polarisation all along: within ``lookback_s`` before the
        candidate, the smoothed |voltage| must have reached ``collapse_ratio`` times the
        median |voltage| after it (a cell polarising by 5 mV from the start is not shorted;
        a record that starts below the threshold has no detectable short).
    """

    threshold_V: float = 0.005
    window: int = 5
    hold_s: float = 60.0
    min_current_fraction: float = 0.05
    collapse_ratio: float = 5.0
    lookback_s: float = 600.0


def detect_short_circuit(
    df: pd.DataFrame, criterion: ShortCircuitCriterion | None = None, **overrides: Any
) -> float | None:
    """Time at which the polarisation collapses to a few mV and stays there (a short).

    Criterion (every number is a field of :class:`ShortCircuitCriterion`): among the points
    carrying current, the centred rolling median of |voltage| over ``window`` points
    falls to ``threshold_V`` or below and stays there for ``hold_s`` (and ``window``
    points, or to the end of the record), having been ``collapse_ratio`` times higher
    within the preceding ``lookback_s``. The short is the first sample of that run.

    Parameters
    ----------
    df
        Canonical frame with ``time_s`` and ``voltage_V`` (``current_A`` optional: when
        present, only points carrying current are examined).
    criterion
        The detection criterion (:class:`ShortCircuitCriterion`); keyword ``overrides``
        (``threshold_V=0.003``, ``hold_s=120``...) replace single fields.

    Returns
    -------
    float or None
        ``time_s`` of the first sample of the first persistent collapse, s; None when the
        cell never shorts.

    Raises
    ------
    DataError
        No ``time_s``/``voltage_V`` column, or a criterion field that is NaN, infinite or
        out of range (``threshold_V`` <= 0 V, an even ``window``...), or unknown.
    """
    crit = criterion or ShortCircuitCriterion()
    if overrides:
        unknown = sorted(set(overrides) - set(crit.__dict__))
        if unknown:
            raise DataError(
                f"unknown short-circuit criterion field(s) {unknown};"
                f" known: {sorted(crit.__dict__)}"
            )
        crit = ShortCircuitCriterion(**{**crit.__dict__, **overrides})
    _check_criterion(crit)
    missing = [c for c in ("time_s", "voltage_V") if c not in df.columns]
    if missing:
        source = df.attrs.get("source")
        raise DataError(
            f"{source + ': ' if source else ''}no {', '.join(missing)} column to detect a"
            f" short circuit (have {list(df.columns)})"
        )
    t = df["time_s"].to_numpy(dtype=float)
    v = df["voltage_V"].to_numpy(dtype=float)
    keep = np.isfinite(t) & np.isfinite(v)
    if "current_A" in df.columns:
        current = np.abs(df["current_A"].to_numpy(dtype=float))
        finite = np.isfinite(current)
        if not finite.any():
            return None
        # the reference is taken over the points that carry any current at all: a record
        # that rests for more than 95 % of its points still has its current-carrying part
        carrying = finite & (current > 0)
        if not carrying.any():
            return None
        reference = float(np.percentile(current[carrying], 95))
        keep &= finite & (current >= crit.min_current_fraction * reference)
    t, v = t[keep], v[keep]
    if t.size == 0:
        return None
    smooth = (
        pd.Series(np.abs(v)).rolling(crit.window, center=True, min_periods=1).median().to_numpy()
    )
    below = smooth <= crit.threshold_V
    for start, stop in _true_runs(below):
        n_points = stop - start
        duration = t[stop - 1] - t[start]
        reaches_end = stop == below.size
        if n_points < crit.window or not (duration >= crit.hold_s or reaches_end):
            continue
        before = (t < t[start]) & (t >= t[start] - crit.lookback_s)
        if not before.any():
            continue
        after_level = float(np.median(np.abs(v[start:stop])))
        if np.max(smooth[before]) >= crit.collapse_ratio * max(after_level, 1e-12):
            return float(t[start])
    return None


def _check_criterion(crit: ShortCircuitCriterion) -> None:
    """Raise DataError for a criterion that cannot describe a short (NaN, negative...).

    A NaN field would make every comparison false and the detector answer "no short"
    whatever the data; an even ``window`` shifts the centred median by half a sample.
    """
    window = crit.window
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)):
        raise DataError(f"window must be an odd integer >= 1 (points), got {window!r}")
    if window < 1 or window % 2 == 0:
        raise DataError(f"window must be an odd integer >= 1 (points), got {window}")
    checked_number(
        crit.threshold_V, "threshold_V", accept=lambda x: x > 0, must_be="finite and > 0", unit="V"
    )
    checked_number(
        crit.hold_s, "hold_s", accept=lambda x: x >= 0, must_be=">= 0", unit="s", infinite_ok=True
    )  # inf: to the end of the record
    checked_number(
        crit.lookback_s,
        "lookback_s",
        accept=lambda x: x > 0,
        must_be="> 0",
        unit="s",
        infinite_ok=True,
    )  # inf: the whole record
    checked_number(
        crit.collapse_ratio, "collapse_ratio", accept=lambda x: x >= 1, must_be="finite and >= 1"
    )
    checked_number(
        crit.min_current_fraction,
        "min_current_fraction",
        accept=lambda x: 0 <= x <= 1,
        must_be="finite and from 0 to 1",
    )


def _true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the runs of True in a boolean array."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
