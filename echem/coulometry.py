"""Charge integration, short-circuit detection and the theoretical Li volume.

The charge passed is integrated from the canonical frame (``time_s``, ``current_A``;
see ``GUIDE.md`` §1 and §4):

* **within a run only**: a run is a maximal block of consecutive rows with the same
  ``cycle``/``step`` values (whichever of the two columns the frame has). The interval
  between the last point of one run and the first point of the next is never
  integrated (the current changes there in a way the samples do not describe);
* **never across a logging gap**: an interval longer than ``gap_factor`` (default 10)
  times the local sampling interval is a gap. The local sampling interval is the larger
  of the medians of the (up to :data:`GAP_NEIGHBOURS` = 3) neighbouring intervals on
  either side, each within its own run (the record's median for an isolated interval).
  A local criterion is needed because EC-Lab records a burst of fast points after every
  change and otherwise its regular interval (0.05 s, then 30 s or 600 s in one run): a
  record-wide median would flag every regular interval. ``max_interval_s`` replaces the criterion with an
  absolute threshold. Gaps (and time reversals) are reported in
  :attr:`ChargeResult.gaps`, never integrated;
* **with the rule the current column calls for**: the trapezoid rule for instantaneous
  samples; the right-point rule (``"interval_mean"``) when the current is the mean over
  the interval ending at each sample, as EC-Lab's ``<I>`` column is (the point that opens
  a step then carries 0 or the previous step's current). ``rule="auto"`` picks
  ``"interval_mean"`` when the frame's original columns hold an ``<I>`` column and no
  instantaneous ``I`` column;
* **up to a short circuit** when asked (current after it flows through the short and
  deposits no Li; :func:`detect_short_circuit`).

When the frame has the instrument's cumulative charge (``charge_C``, EC-Lab's
``(Q-Qo)``), its increments over exactly the integrated intervals are summed too, so each
run is cross-checked against the instrument on the same basis.

Sign: as the instrument reports it (IUPAC / EC-Lab: anodic positive), so plating Li on the
working electrode is cathodic, I < 0, Q < 0.

Electrode area (for :func:`li_thickness_um` and ``ChargeResult.summary``): the caller's,
else the one the file's header states with its unit, never a guess:
:func:`electrode_area` (``echem.io.area``), the rule ``echem info`` and ``echem
coulometry`` follow too.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from echem.constants import FARADAY_C_PER_MOL, LI_DENSITY_G_PER_CM3, LI_MOLAR_MASS_G_PER_MOL
from echem.decomposition import Decomposition, decomposition
from echem.errors import DataError, EchemWarning
from echem.io.area import ElectrodeArea, electrode_area
from echem.short_circuit import ShortCircuitCriterion, detect_short_circuit

__all__ = [
    "ChargeResult",
    "ShortCircuitCriterion",
    "integrate",
    "charge",
    "cumulative_charge",
    "detect_short_circuit",
    "li_moles",
    "li_volume",
    "li_thickness_um",
    "direction_of",
    "charge_at",
    "decomposition",
    "Decomposition",
    "electrode_area",
    "ElectrodeArea",
]

Rule = Literal["auto", "trapezoid", "interval_mean"]

#: Default gap criterion: an interval longer than this many typical intervals is a gap.
DEFAULT_GAP_FACTOR = 10.0
#: The local sampling interval on each side of an interval is the median of this many neighbours.
GAP_NEIGHBOURS = 3
#: Below this share of the charge throughput (|anodic| + |cathodic|), a direction is noise.
MIXED_DIRECTION_SHARE = 0.01

#: Original column names of an interval-mean current (EC-Lab ``<I>``) and of an
#: instantaneous one; used by ``rule="auto"``.
_INTERVAL_MEAN_CURRENT_COLUMNS = ("<I>/mA", "<I>/A", "<I>/uA", "<I>/µA", "<I>/nA")
_INSTANT_CURRENT_COLUMNS = ("I/mA", "I/A", "I/uA", "I/µA", "I/nA")

#: Interval kinds: integrated, or not (and why).
_INTEGRATED, _STEP, _GAP, _REVERSAL = 0, 1, 2, 3
_KIND_NAMES = {_STEP: "step", _GAP: "gap", _REVERSAL: "time_reversal"}


# --- integration --------------------------------------------------------------------------
@dataclass
class ChargeResult:
    """The charge passed in a record, with everything needed to trust it.

    Attributes
    ----------
    total_C
        Net charge integrated, C (sign as recorded: cathodic < 0).
    cathodic_C, anodic_C
        Sums of the negative and of the positive interval charges, C.
    direction
        ``"cathodic"`` (net reduction at the WE, e.g. Li plating), ``"anodic"``,
        ``"mixed"`` (both directions above 1 % of the throughput) or ``"none"``.
    steps
        One row per run: ``cycle``/``step`` (when present), ``t_start_s``, ``t_end_s``,
        ``n_points``, ``charge_C``, ``sampling_bound_C``, ``direction``,
        ``instrument_charge_C``, ``difference_C`` (integrated - instrument) and
        ``relative_difference``. ``sampling_bound_C`` is sum(dt |dI|)/2 over the run for the
        trapezoid rule: the largest error of the trapezoid if the current is monotonic
        between samples, i.e. how far an instrument integrating faster may disagree
        (0 for ``interval_mean``, exact given the interval means).
    gaps
        One row per interval left out other than step changes: ``t_start_s``,
        ``t_end_s``, ``duration_s``, ``kind`` (``gap`` or ``time_reversal``) and the
        ``instrument_charge_C`` the instrument counted over it.
    short_circuit_s
        Detected short-circuit time, s (None when none, or no voltage column).
    stopped_at_s
        Time the integration stopped at (``until_s`` or the short), s; None for the
        whole record.
    rule
        ``"trapezoid"`` or ``"interval_mean"``.
    sampling_interval_s, gap_threshold_s
        Median sampling interval of the record, and ``gap_factor`` times it (the actual
        threshold is local, see the module docstring; ``max_interval_s`` when given).
    step_boundary_time_s
        Total time of the intervals skipped at step changes, s.
    gap_criterion
        The gap criterion in words.
    instrument_total_C
        The instrument's own charge over the integrated intervals, C (NaN if absent).
    instrument_skipped_C
        Charge the instrument counted over the skipped intervals (gaps and step changes), C,
        leaving out the intervals where its counter reset.
    instrument_resets
        Intervals where the instrument's cumulative charge reset (it moved against the
        current, towards 0); their instrument charge is unknown (NaN in ``gaps`` and, for
        an integrated interval, in its run's ``instrument_charge_C``).
    """

    total_C: float
    cathodic_C: float
    anodic_C: float
    direction: str
    steps: pd.DataFrame
    gaps: pd.DataFrame
    short_circuit_s: float | None
    stopped_at_s: float | None
    rule: str
    sampling_interval_s: float
    gap_threshold_s: float
    step_boundary_time_s: float
    instrument_total_C: float = float("nan")
    instrument_skipped_C: float = float("nan")
    instrument_resets: int = 0
    gap_criterion: str = ""
    source: str | None = None

    @property
    def has_instrument_charge(self) -> bool:
        """True when the frame had the instrument's charge column."""
        return bool(np.isfinite(self.instrument_total_C))

    @property
    def max_step_difference_C(self) -> float:
        """Largest |integrated - instrument| over the runs, C (NaN without the column)."""
        if not self.has_instrument_charge or self.steps.empty:
            return float("nan")
        return float(np.nanmax(np.abs(self.steps["difference_C"].to_numpy(dtype=float))))

    def summary(self, area_cm2: float | None = None) -> str:
        """A few lines for people: charge, direction, short, Li equivalent, gaps, cross-check."""
        lines = [
            f"charge: {self.total_C:.6g} C ({self.total_C / 3.6:.6g} mAh), {self.direction}"
            f" (cathodic {self.cathodic_C:.6g} C, anodic {self.anodic_C:.6g} C);"
            f" rule {self.rule}, {len(self.steps)} run(s)",
        ]
        if self.short_circuit_s is None:
            lines.append("short circuit: none detected")
        else:
            lines.append(
                f"short circuit: at {self.short_circuit_s:.6g} s"
                f" ({self.short_circuit_s / 3600:.4g} h)"
            )
        if self.stopped_at_s is not None:
            lines.append(f"integrated up to: {self.stopped_at_s:.6g} s")
        volume = li_volume(self.total_C)
        li_line = f"Li equivalent of |charge|: {li_moles(self.total_C):.6g} mol, {volume:.6g} cm3"
        if area_cm2:
            li_line += f", {li_thickness_um(self.total_C, area_cm2):.6g} um over {area_cm2:g} cm2"
        lines.append(li_line)
        gap_time = float(self.gaps["duration_s"].abs().sum()) if len(self.gaps) else 0.0
        lines.append(
            f"gaps: {len(self.gaps)} (total {gap_time:.6g} s; criterion: {self.gap_criterion};"
            f" median sampling {self.sampling_interval_s:.6g} s); step changes skip"
            f" {self.step_boundary_time_s:.6g} s"
        )
        if self.has_instrument_charge:
            difference = self.total_C - self.instrument_total_C
            lines.append(
                f"instrument charge over the same intervals: {self.instrument_total_C:.6g} C"
                f" (difference {difference:.3g} C, largest per run"
                f" {self.max_step_difference_C:.3g} C); over skipped intervals"
                f" {self.instrument_skipped_C:.6g} C"
                + (
                    f" ({self.instrument_resets} counter reset(s) left out)"
                    if self.instrument_resets
                    else ""
                )
            )
        else:
            lines.append("instrument charge: no charge_C column to cross-check")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Record:
    """Arrays of one frame with its intervals classified (internal)."""

    finite: np.ndarray  # over the frame's rows: finite time and current (the rows used)
    t: np.ndarray
    current: np.ndarray
    instrument: np.ndarray | None
    runs: np.ndarray
    kind: np.ndarray  # per interval i (between rows i and i + 1)
    increments: np.ndarray  # charge of each interval, 0 where not integrated
    instrument_increments: np.ndarray | None
    rule: str
    sampling_interval_s: float
    gap_threshold_s: float


def _require(df: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        source = df.attrs.get("source") if hasattr(df, "attrs") else None
        where = f"{source}: " if source else ""
        raise DataError(
            f"{where}the frame has no {', '.join(missing)} column (have {list(df.columns)})"
        )


def _numbers(df: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64 (nullable <NA> -> NaN); DataError if it is not numeric."""
    try:
        return pd.to_numeric(df[column]).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        source = df.attrs.get("source") if hasattr(df, "attrs") else None
        raise DataError(
            f"{source + ': ' if source else ''}column {column} is not numeric ({error})"
        ) from None


def _warn_left_out(df: pd.DataFrame, finite: np.ndarray) -> None:
    """Warn about rows left out for a NaN or infinite time or current (nothing silently)."""
    bad = np.flatnonzero(~finite)
    if bad.size == 0:
        return
    source = df.attrs.get("source") if hasattr(df, "attrs") else None
    shown = ", ".join(str(i) for i in bad[:10]) + (", ..." if bad.size > 10 else "")
    warnings.warn(
        f"{source or 'record'}: {bad.size} row(s) with a NaN or infinite time_s or"
        f" current_A left out of the integration (row positions {shown}); the"
        " neighbouring samples are joined across them",
        EchemWarning,
        stacklevel=4,
    )


def _resolve_rule(df: pd.DataFrame, rule: Rule) -> str:
    if rule in ("trapezoid", "interval_mean"):
        return rule
    if rule != "auto":
        raise DataError(f"rule must be 'auto', 'trapezoid' or 'interval_mean', not {rule!r}")
    has_mean = any(c in df.columns for c in _INTERVAL_MEAN_CURRENT_COLUMNS)
    has_instant = any(c in df.columns for c in _INSTANT_CURRENT_COLUMNS)
    return "interval_mean" if has_mean and not has_instant else "trapezoid"


def _run_ids(df: pd.DataFrame) -> np.ndarray:
    """Run number of each row: it changes wherever ``cycle`` or ``step`` changes."""
    change = np.zeros(len(df), dtype=bool)
    for column in ("cycle", "step"):
        if column in df.columns:
            values = pd.Series(df[column].to_numpy()).astype("float64").fillna(-1.0).to_numpy()
            change[1:] |= values[1:] != values[:-1]
    return np.cumsum(change)


def _typical_intervals(dt: np.ndarray, runs: np.ndarray) -> tuple[float, np.ndarray]:
    """Record median interval and, per interval, the local sampling interval around it.

    The local interval of interval i (rows i, i + 1) is the larger of two medians: of the
    (up to) :data:`GAP_NEIGHBOURS` usable intervals before it in the run of row i, and of
    those after it in the run of row i + 1. Usable: within one run, positive. The larger
    side wins so that a step opening with a burst of fast points (EC-Lab records extra
    points after a change) does not make the next regular interval look like a gap.
    Intervals with no usable neighbour fall back on the record's median.
    """
    same_run = runs[1:] == runs[:-1]
    usable = same_run & (dt > 0)
    if not usable.any():
        return float("nan"), np.full(dt.shape, np.nan)
    record_median = float(np.median(dt[usable]))
    values = np.where(usable, dt, np.nan)
    n = dt.size
    index = np.arange(n)
    sides = []
    for sign, own_run in ((-1, runs[:-1]), (1, runs[1:])):
        picked = np.full((GAP_NEIGHBOURS, n), np.nan)
        for row, offset in enumerate(range(1, GAP_NEIGHBOURS + 1)):
            other = index + sign * offset
            inside = (other >= 0) & (other < n)
            taken = values[other[inside]]
            taken[runs[:-1][other[inside]] != own_run[inside]] = np.nan
            picked[row, inside] = taken
        side = np.full(n, np.nan)
        has_any = np.isfinite(picked).any(axis=0)
        side[has_any] = np.nanmedian(picked[:, has_any], axis=0)
        sides.append(side)
    typical = np.fmax(sides[0], sides[1])  # NaN only where both sides are empty
    typical = np.where(np.isfinite(typical), typical, record_median)
    return record_median, typical


def _record(
    df: pd.DataFrame, rule: Rule, gap_factor: float, max_interval_s: float | None
) -> _Record:
    _require(df, ("time_s", "current_A"))
    if not gap_factor > 1:  # also NaN, which would disable the gap criterion silently
        raise DataError(f"gap_factor must be > 1, got {gap_factor}")
    if max_interval_s is not None and not max_interval_s > 0:
        raise DataError(f"max_interval_s must be > 0 s, got {max_interval_s}")
    t_all = _numbers(df, "time_s")
    i_all = _numbers(df, "current_A")
    finite = np.isfinite(t_all) & np.isfinite(i_all)
    _warn_left_out(df, finite)
    runs = _run_ids(df)[finite]
    t, current = t_all[finite], i_all[finite]
    instrument = None
    if "charge_C" in df.columns:
        q = _numbers(df, "charge_C")[finite]
        if np.isfinite(q).any():
            instrument = q
    resolved = _resolve_rule(df, rule)
    if t.size < 2:
        raise DataError(
            f"{df.attrs.get('source') or 'frame'}: need at least 2 points with finite time and"
            f" current to integrate, got {t.size}"
        )
    dt = np.diff(t)
    same_run = runs[1:] == runs[:-1]
    record_median, typical = _typical_intervals(dt, runs)
    if max_interval_s is not None:
        threshold = np.full(dt.shape, float(max_interval_s))
        record_threshold = float(max_interval_s)
    else:
        threshold = gap_factor * typical
        record_threshold = gap_factor * record_median
    kind = np.full(dt.shape, _INTEGRATED, dtype=np.int8)
    kind[~same_run] = _STEP
    kind[dt > threshold] = _GAP  # a long interval is a logging gap, at a step change or not
    kind[dt < 0] = _REVERSAL
    if resolved == "trapezoid":
        increments = dt * (current[1:] + current[:-1]) / 2.0
    else:
        increments = dt * current[1:]
    increments = np.where(kind == _INTEGRATED, increments, 0.0)
    instrument_increments = None
    if instrument is not None:
        instrument_increments = _instrument_increments(instrument, current)
    return _Record(
        finite=finite,
        t=t,
        current=current,
        instrument=instrument,
        runs=runs,
        kind=kind,
        increments=increments,
        instrument_increments=instrument_increments,
        rule=resolved,
        sampling_interval_s=record_median,
        gap_threshold_s=record_threshold,
    )


def _instrument_increments(q: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Increments of the instrument's cumulative charge, C; NaN where its counter reset.

    A missing value is bridged (the next increment spans it, so no charge is lost). A
    reset (EC-Lab's ``(Q-Qo)`` restarts at every loop of ``cp.issue_149``) is an interval
    where the current has one sign at both ends, the counter moves the other way and
    towards 0: its increment is not a charge and is NaN (unknown) instead.
    """
    filled = pd.Series(q).ffill().to_numpy()
    increments = np.nan_to_num(np.diff(filled), nan=0.0)
    direction = np.sign(current)
    same = (direction[:-1] == direction[1:]) & (direction[1:] != 0)
    reset = (
        same & (np.sign(increments) == -direction[1:]) & (np.abs(filled[1:]) < np.abs(filled[:-1]))
    )
    return np.where(reset, np.nan, increments)


def _selected_rows(
    df: pd.DataFrame, step: int | tuple[int, int] | None, finite: np.ndarray
) -> np.ndarray:
    """Boolean mask (over the ``finite`` rows, those integrated) of the rows in the
    requested step."""
    if step is None:
        return np.ones(int(finite.sum()), dtype=bool)
    if isinstance(step, tuple):
        cycle_value, step_value = step
        _require(df, ("cycle", "step"))
        mask = (df["cycle"].to_numpy() == cycle_value) & (df["step"].to_numpy() == step_value)
    else:
        _require(df, ("step",))
        mask = df["step"].to_numpy() == step
    mask = mask[finite]
    if not mask.any():
        raise DataError(f"no rows with step {step!r} in {df.attrs.get('source') or 'the frame'}")
    return mask


def _cut(record: _Record, stop_s: float | None) -> tuple[np.ndarray, np.ndarray, int]:
    """Interval weights (1 full, fraction for the cut one, 0 after) and increments at a stop.

    Returns (weights of the instrument increments, increments, number of rows used).
    """
    n_intervals = record.t.size - 1
    increments = record.increments.copy()
    weights = np.ones(n_intervals)
    if stop_s is None:
        return weights, increments, record.t.size
    after = np.flatnonzero(record.t > stop_s)
    if after.size == 0:
        return weights, increments, record.t.size
    k = int(after[0])  # first row past the stop; rows [0, k) are kept whole
    weights[max(k - 1, 0) :] = 0.0
    increments[max(k - 1, 0) :] = 0.0
    if k >= 1 and record.kind[k - 1] == _INTEGRATED:
        t0, t1 = record.t[k - 1], record.t[k]
        i0, i1 = record.current[k - 1], record.current[k]
        fraction = (stop_s - t0) / (t1 - t0)
        if record.rule == "trapezoid":
            i_stop = i0 + (i1 - i0) * fraction
            increments[k - 1] = (stop_s - t0) * (i0 + i_stop) / 2.0
        else:
            increments[k - 1] = (stop_s - t0) * i1
        weights[k - 1] = fraction
    return weights, increments, k


def direction_of(net: float, cathodic: float = 0.0, anodic: float = 0.0) -> str:
    """``cathodic``/``anodic``/``mixed``/``none`` from a net charge and its two parts (C)."""
    throughput = abs(cathodic) + abs(anodic)
    if throughput > 0 and min(abs(cathodic), abs(anodic)) > MIXED_DIRECTION_SHARE * throughput:
        return "mixed"
    if net < 0:
        return "cathodic"
    if net > 0:
        return "anodic"
    return "none"


def integrate(
    df: pd.DataFrame,
    *,
    step: int | tuple[int, int] | None = None,
    until_s: float | None = None,
    stop_at_short: bool = False,
    rule: Rule = "auto",
    gap_factor: float = DEFAULT_GAP_FACTOR,
    max_interval_s: float | None = None,
    short_circuit: ShortCircuitCriterion | None = None,
) -> ChargeResult:
    """Integrate the current of a record into charge, run by run, with a full report.

    Parameters
    ----------
    df
        Canonical frame (``time_s`` in s, ``current_A`` in A; ``cycle``/``step``,
        ``voltage_V`` and ``charge_C`` used when present).
    step
        Only this step (``step`` value) or ``(cycle, step)`` pair; None for all rows.
    until_s
        Stop at this ``time_s``, s (the interval it falls in is integrated up to it).
    stop_at_short
        Stop at the detected short circuit (:func:`detect_short_circuit`).
    rule
        ``"trapezoid"``, ``"interval_mean"`` or ``"auto"`` (see the module docstring).
    gap_factor, max_interval_s
        The gap criterion: an interval longer than ``gap_factor`` typical intervals, or
        than ``max_interval_s`` seconds when given, is not integrated.
    short_circuit
        Criterion for the short-circuit detection (defaults of
        :class:`ShortCircuitCriterion`).

    Returns
    -------
    ChargeResult
    """
    if until_s is not None and np.isnan(until_s):
        raise DataError("until_s must be a time in s or None, got NaN")
    record = _record(df, rule, gap_factor, max_interval_s)
    selected = _selected_rows(df, step, record.finite)
    short = None
    if "voltage_V" in df.columns:
        short = detect_short_circuit(df, short_circuit)
    stops = [s for s in (until_s, short if stop_at_short else None) if s is not None]
    stop_s = min(stops) if stops else None
    weights, increments, n_rows = _cut(record, stop_s)
    in_selection = selected[:-1] & selected[1:]
    increments = np.where(in_selection, increments, 0.0)
    used = in_selection & (weights > 0)
    integrated = used & (record.kind == _INTEGRATED)

    instrument_total = float("nan")
    instrument_skipped = float("nan")
    instrument_resets = 0
    instrument_per_interval = None
    if record.instrument_increments is not None:
        instrument_per_interval = record.instrument_increments * weights
        instrument_total = float(np.nansum(instrument_per_interval[integrated]))
        instrument_skipped = float(np.nansum(instrument_per_interval[used & ~integrated]))
        instrument_resets = int(np.sum(np.isnan(instrument_per_interval[used])))

    rows = np.flatnonzero(selected[:n_rows])
    cut_end = None
    if n_rows < record.t.size and n_rows >= 1 and integrated[n_rows - 1]:
        cut_end = (n_rows - 1, float(stop_s))  # the run of row n_rows - 1 ends at the stop
    steps = _step_table(df, record, rows, integrated, increments, instrument_per_interval, cut_end)
    gaps = _gap_table(record, used, instrument_per_interval)
    boundary = used & (record.kind == _STEP)
    step_boundary_time = float(np.sum(np.diff(record.t)[boundary]))

    total = float(np.sum(increments))
    cathodic = float(np.sum(increments[increments < 0]))
    anodic = float(np.sum(increments[increments > 0]))
    return ChargeResult(
        total_C=total,
        cathodic_C=cathodic,
        anodic_C=anodic,
        direction=direction_of(total, cathodic, anodic),
        steps=steps,
        gaps=gaps,
        short_circuit_s=short,
        stopped_at_s=stop_s,
        rule=record.rule,
        sampling_interval_s=record.sampling_interval_s,
        gap_threshold_s=record.gap_threshold_s,
        step_boundary_time_s=step_boundary_time,
        instrument_total_C=instrument_total,
        instrument_skipped_C=instrument_skipped,
        instrument_resets=instrument_resets,
        gap_criterion=(
            f"interval > {max_interval_s:g} s"
            if max_interval_s is not None
            else f"interval > {gap_factor:g} x the local sampling interval"
        ),
        source=df.attrs.get("source"),
    )


def _step_table(
    df: pd.DataFrame,
    record: _Record,
    rows: np.ndarray,
    integrated: np.ndarray,
    increments: np.ndarray,
    instrument_per_interval: np.ndarray | None,
    cut_end: tuple[int, float] | None,
) -> pd.DataFrame:
    """One row per run among ``rows`` (indices of the finite rows used), vectorised."""
    finite = record.finite
    keys = [c for c in ("cycle", "step") if c in df.columns]
    columns = [
        *keys,
        "t_start_s",
        "t_end_s",
        "n_points",
        "charge_C",
        "sampling_bound_C",
        "direction",
        "instrument_charge_C",
        "difference_C",
        "relative_difference",
    ]
    if rows.size == 0:
        return pd.DataFrame(columns=columns)
    n_runs = int(record.runs.max()) + 1
    row_runs = record.runs[rows]
    runs, first, n_points = np.unique(row_runs, return_index=True, return_counts=True)
    last = first + n_points - 1  # rows are in order, runs are contiguous
    left_run = record.runs[:-1][integrated]

    def per_run(weights: np.ndarray) -> np.ndarray:
        return np.bincount(left_run, weights=weights[integrated], minlength=n_runs)[runs]

    charge_values = per_run(increments)
    cathodic = per_run(np.minimum(increments, 0.0))
    anodic = per_run(np.maximum(increments, 0.0))
    if record.rule == "trapezoid":
        bound = per_run(np.abs(np.diff(record.current)) * np.diff(record.t) / 2.0)
    else:
        bound = np.zeros(runs.size)
    t_end = record.t[rows[last]].astype(float)
    if cut_end is not None:
        t_end[runs == record.runs[cut_end[0]]] = cut_end[1]
    table: dict[str, Any] = {c: df[c].to_numpy()[finite][rows[first]] for c in keys}
    table.update(
        t_start_s=record.t[rows[first]].astype(float),
        t_end_s=t_end,
        n_points=n_points.astype(int),
        charge_C=charge_values,
        sampling_bound_C=bound,
        direction=[
            direction_of(q, c, a) for q, c, a in zip(charge_values, cathodic, anodic, strict=True)
        ],
    )
    if instrument_per_interval is not None:
        instrument = per_run(instrument_per_interval)
        difference = charge_values - instrument
        with np.errstate(invalid="ignore", divide="ignore"):
            relative = np.where(instrument != 0, difference / np.abs(instrument), np.nan)
    else:
        instrument = difference = relative = np.full(runs.size, np.nan)
    table.update(
        instrument_charge_C=instrument, difference_C=difference, relative_difference=relative
    )
    return pd.DataFrame(table, columns=columns)


def _gap_table(
    record: _Record, used: np.ndarray, instrument_per_interval: np.ndarray | None
) -> pd.DataFrame:
    index = np.flatnonzero(used & ((record.kind == _GAP) | (record.kind == _REVERSAL)))
    start, end = record.t[index], record.t[index + 1]
    instrument = (
        instrument_per_interval[index]
        if instrument_per_interval is not None
        else np.full(index.size, np.nan)
    )
    return pd.DataFrame(
        {
            "t_start_s": start,
            "t_end_s": end,
            "duration_s": end - start,
            "kind": [_KIND_NAMES[int(k)] for k in record.kind[index]],
            "instrument_charge_C": instrument,
        }
    )


def charge(
    df: pd.DataFrame,
    *,
    step: int | tuple[int, int] | None = None,
    until_s: float | None = None,
    stop_at_short: bool = False,
    **options: Any,
) -> float:
    """Net charge passed, C (the scalar of :func:`integrate`; same parameters).

    Warns (:class:`UserWarning`) when logging gaps were left out, since the scalar alone
    cannot say so; :func:`integrate` gives the full report.

    Examples
    --------
    >>> q = charge(df, stop_at_short=True)          # doctest: +SKIP
    >>> li_thickness_um(q, area_cm2=0.785)          # doctest: +SKIP
    """
    result = integrate(df, step=step, until_s=until_s, stop_at_short=stop_at_short, **options)
    if len(result.gaps):
        warnings.warn(
            f"{result.source or 'record'}: {len(result.gaps)} logging gap(s) totalling"
            f" {float(result.gaps['duration_s'].abs().sum()):.6g} s were not integrated"
            " (integrate(df).gaps lists them)",
            UserWarning,
            stacklevel=2,
        )
    return result.total_C


def cumulative_charge(
    df: pd.DataFrame,
    *,
    rule: Rule = "auto",
    gap_factor: float = DEFAULT_GAP_FACTOR,
    max_interval_s: float | None = None,
) -> pd.Series:
    """Charge passed since the start of the record at each row, C.

    Integrated as :func:`integrate` does (within runs, not across gaps), so the series is
    flat over step changes and gaps. Rows with a non-finite time or current get NaN.

    Returns
    -------
    pandas.Series
        Named ``cumulative_charge_C``, on the frame's index.
    """
    record = _record(df, rule, gap_factor, max_interval_s)
    values = np.full(len(df), np.nan)
    values[record.finite] = np.concatenate([[0.0], np.cumsum(record.increments)])
    return pd.Series(values, index=df.index, name="cumulative_charge_C")


def charge_at(
    df: pd.DataFrame,
    times_s: Any,
    *,
    stop_at_short: bool = False,
    rule: Rule = "auto",
    gap_factor: float = DEFAULT_GAP_FACTOR,
    max_interval_s: float | None = None,
    short_circuit: ShortCircuitCriterion | None = None,
) -> np.ndarray:
    """Net charge passed from the start of the record up to each of ``times_s``, C.

    Times before the first or after the last sample give NaN (the record does not say).
    With ``stop_at_short`` the charge stays at its value at the short afterwards.
    """
    record = _record(df, rule, gap_factor, max_interval_s)
    short = None
    if stop_at_short and "voltage_V" in df.columns:
        short = detect_short_circuit(df, short_circuit)
    times = np.atleast_1d(np.asarray(times_s, dtype=float))
    out = np.full(times.shape, np.nan)
    for index, time in enumerate(times):
        if not np.isfinite(time) or time < record.t[0] or time > record.t[-1]:
            continue
        stop = time if short is None else min(time, short)
        _, increments, _ = _cut(record, stop)
        out[index] = float(np.sum(increments))
    return out


# --- Faradaic Li equivalents --------------------------------------------------------------
def li_moles(charge_C: Any, *, faraday: float = FARADAY_C_PER_MOL) -> Any:
    """Moles of Li for a charge, one electron per Li: n = |Q|/F, mol.

    Parameters
    ----------
    charge_C
        Charge, C (scalar or array; the sign is ignored).
    faraday
        Faraday constant, C mol^-1 (CODATA 2018, exact).
    """
    _positive("faraday", faraday, "C mol^-1")
    try:
        charge = np.asarray(charge_C, dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            f"charge_C must be a number or an array of numbers (C), got {charge_C!r}"
        ) from None
    moles = np.abs(charge) / faraday
    return float(moles) if np.ndim(moles) == 0 else moles


def _positive(name: str, value: Any, unit: str) -> None:
    """DataError unless ``value`` (scalar or array) is finite and > 0 everywhere."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a positive number ({unit}), got {value!r}") from None
    if isinstance(value, bool) or array.size == 0 or not np.all(np.isfinite(array) & (array > 0)):
        raise DataError(f"{name} must be finite and positive ({unit}), got {value!r}")


def li_volume(
    charge_C: Any,
    *,
    molar_mass: float = LI_MOLAR_MASS_G_PER_MOL,
    density: float = LI_DENSITY_G_PER_CM3,
    faraday: float = FARADAY_C_PER_MOL,
) -> Any:
    """Volume of Li metal a charge deposits: V = |Q| M / (F rho), cm^3 (GUIDE §4).

    Parameters
    ----------
    charge_C
        Charge, C (scalar or array; the sign is ignored).
    molar_mass
        Li molar mass, g mol^-1 (IUPAC conventional 6.94).
    density
        Li density, g cm^-3 (0.534 at 20 degC, CRC Handbook).
    faraday
        C mol^-1.

    Examples
    --------
    >>> round(li_volume(9.216), 7)   # 0.8 mA cm^-2 for 3.2 h over 1 cm^2
    0.0012414
    """
    _positive("molar_mass", molar_mass, "g mol^-1")
    _positive("density", density, "g cm^-3")
    return li_moles(charge_C, faraday=faraday) * molar_mass / density


def li_thickness_um(charge_C: Any, area_cm2: float, **constants: float) -> Any:
    """Thickness of a dense, flat Li layer deposited by a charge over an area, µm.

    Parameters
    ----------
    charge_C
        Charge, C (scalar or array; the sign is ignored).
    area_cm2
        Electrode area, cm^2 (finite and > 0; scalar or array).
    constants
        ``molar_mass`` (g mol^-1), ``density`` (g cm^-3), ``faraday`` (C mol^-1),
        passed to :func:`li_volume`.

    Returns
    -------
    float or numpy.ndarray
        Thickness, µm. 1 mAh cm^-2 gives 4.849 µm.

    Raises
    ------
    DataError
        An area or constant that is not finite and positive.
    """
    _positive("area_cm2", area_cm2, "cm^2")
    return li_volume(charge_C, **constants) / np.asarray(area_cm2, dtype=float) * 1e4
