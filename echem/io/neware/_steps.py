"""Neware step types, current ranges, and the columns derived from steps.

Facts (step-type codes and names, which steps charge and which discharge, the
current-range multipliers, BTSDA's "charge first" cycle count) are those documented by
the public parsers fastnda (Empa, BSD-3-Clause: ``fastnda/dicts.py``, ``fastnda/utils.py``)
and NewareNDA (SES AI: ``NewareNDA/dicts.py``), and by the step plans of the real files
(``Step.xml``: ``Step_Type`` codes of the plans match the codes in the records).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from echem.errors import EchemWarning

__all__ = [
    "STEP_TYPES",
    "StepType",
    "cycle_numbers",
    "range_multiplier",
    "step_numbers",
    "step_time",
    "step_type_column",
    "technique",
    "total_time",
]

#: What a step drives: the controlled quantity, or rest / a plan marker.
CURRENT, VOLTAGE, POWER, RESISTANCE, CURRENT_VOLTAGE, SWEEP = (
    "current",
    "voltage",
    "power",
    "resistance",
    "current+voltage",
    "sweep",
)
REST, MARKER, OTHER = "rest", "marker", "other"


@dataclass(frozen=True)
class StepType:
    """One Neware step type: BTSDA's name, the sign of the charge it passes (+1 charge,
    -1 discharge, 0 neither/either), and what it controls."""

    name: str
    direction: int
    control: str


#: Step-type code -> step type (codes 14, 15 are not documented).
STEP_TYPES: dict[int, StepType] = {
    0: StepType("Undefined", 0, OTHER),
    1: StepType("CC_Chg", 1, CURRENT),
    2: StepType("CC_DChg", -1, CURRENT),
    3: StepType("CV_Chg", 1, VOLTAGE),
    4: StepType("Rest", 0, REST),
    5: StepType("Cycle", 0, MARKER),
    6: StepType("End", 0, MARKER),
    7: StepType("CCCV_Chg", 1, CURRENT_VOLTAGE),
    8: StepType("CP_DChg", -1, POWER),
    9: StepType("CP_Chg", 1, POWER),
    10: StepType("CR_DChg", -1, RESISTANCE),
    11: StepType("CR_Chg", 1, RESISTANCE),
    12: StepType("IR", 0, OTHER),
    13: StepType("Pause", 0, REST),
    16: StepType("Pulse", 0, OTHER),
    17: StepType("SIM", 0, OTHER),
    18: StepType("PCCCV_Chg", 1, CURRENT_VOLTAGE),
    19: StepType("CV_DChg", -1, VOLTAGE),
    20: StepType("CCCV_DChg", -1, CURRENT_VOLTAGE),
    21: StepType("Control", 0, OTHER),
    22: StepType("OCV", 0, REST),
    23: StepType("SubStep", 0, OTHER),
    24: StepType("Follow", 0, OTHER),
    25: StepType("Ramp", 0, OTHER),
    26: StepType("CPCV_DChg", -1, POWER),
    27: StepType("CPCV_Chg", 1, POWER),
    28: StepType("CRCV_DChg", -1, RESISTANCE),
    29: StepType("CRCV_Chg", 1, RESISTANCE),
    30: StepType("CyclicVoltammetry", 0, SWEEP),
}

#: Lookup arrays over all 256 byte values: direction, and the code's category index.
_DIRECTION = np.zeros(256, dtype=np.int8)
for _code, _step in STEP_TYPES.items():
    _DIRECTION[_code] = _step.direction
_KNOWN = np.zeros(256, dtype=bool)
_KNOWN[list(STEP_TYPES)] = True

#: ``df.attrs["technique"]`` from the set of controls of the non-rest steps.
_TECHNIQUE_OF_CONTROLS: dict[frozenset[str], str] = {
    frozenset(): "ocv",
    frozenset({CURRENT}): "galvanostatic",
    frozenset({VOLTAGE}): "potentiostatic",
    frozenset({SWEEP}): "cyclic_voltammetry",
}


def present_codes(codes: np.ndarray) -> np.ndarray:
    """The distinct step-type codes, sorted."""
    codes = np.asarray(codes, dtype=np.int64)
    if codes.size and codes.min() >= 0 and codes.max() < 256:
        return np.flatnonzero(np.bincount(codes, minlength=256))
    return np.unique(codes)


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of a column that changes rarely (sorted)."""
    values = np.asarray(values)
    if values.ndim == 0 or values.size == 0:
        return np.unique(values)
    return np.unique(values[np.r_[True, values[1:] != values[:-1]]])


def step_type_column(codes: np.ndarray, present: np.ndarray, path: Path) -> pd.Categorical:
    """Step-type names (BTSDA's: ``CC_Chg``, ``Rest``...) as a categorical column;
    ``present`` the distinct codes (:func:`present_codes`).

    An undocumented code keeps its number (``"type 14"``) and is told once with an
    :class:`echem.EchemWarning`.
    """
    unknown = [int(c) for c in present if not (0 <= c < 256 and _KNOWN[c])]
    if unknown:
        warnings.warn(
            f"{path}: undocumented Neware step-type code(s) {unknown}; kept as 'type N'",
            EchemWarning,
            stacklevel=4,
        )
    names = [STEP_TYPES[int(c)].name if int(c) in STEP_TYPES else f"type {int(c)}" for c in present]
    if present.size and present[0] >= 0 and present[-1] < 256:
        position = np.zeros(256, dtype=np.int8 if present.size < 128 else np.int16)
        position[present] = np.arange(present.size)
        category = position[codes]
    else:
        category = np.searchsorted(present, codes)
    dtype = pd.CategoricalDtype(names)
    return pd.Categorical.from_codes(category, dtype=dtype, validate=False)


def directions(codes: np.ndarray) -> np.ndarray:
    """+1 (charge), -1 (discharge) or 0 per row, from step-type codes."""
    codes = np.asarray(codes, dtype=np.int64)
    inside = (codes >= 0) & (codes < 256)
    return np.where(inside, _DIRECTION[np.clip(codes, 0, 255)], 0).astype(np.int8)


def cycle_numbers(codes: np.ndarray, step: np.ndarray | None = None) -> np.ndarray:
    """BTSDA's "charge first" cycle count, 1-based: a new cycle starts with each charge
    step that follows a discharge (steps that neither charge nor discharge do not
    count). The rule of fastnda's and NewareNDA's default ``cycle_mode="chg"``.

    ``step``: the running step number of each row, when known (the type is constant
    within a step: the count is then made per step).
    """
    if step is not None and step.size:
        starts = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
        per_step = cycle_numbers(np.asarray(codes)[starts])
        return np.repeat(per_step, np.diff(np.r_[starts, step.size]))
    direction = directions(codes)
    signed = np.flatnonzero(direction)
    cycles = np.ones(direction.size, dtype=np.int64)
    if signed.size < 2:
        return cycles
    states = direction[signed]
    starts = signed[1:][(states[1:] == 1) & (states[:-1] == -1)]
    increments = np.zeros(direction.size, dtype=np.int64)
    increments[starts] = 1
    return cycles + np.cumsum(increments)


def step_numbers(*counters: np.ndarray) -> np.ndarray:
    """Running step number, 1-based: a new step wherever any of ``counters`` (step index
    of the plan, the file's cycle, a step counter) changes from one row to the next."""
    n = counters[0].size
    change = np.zeros(n, dtype=bool)
    for counter in counters:
        change[1:] |= counter[1:] != counter[:-1]
    numbers = np.cumsum(change, dtype=np.int64)
    return numbers + 1 if n else numbers


def total_time(step_time_s: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Test time, s: the time within each step plus the durations of the steps before it
    (the last step time of each), as BTSDA's "Total Time" and fastnda's ``total_time_s``.

    ``step`` is the running step number of each row (non-decreasing).
    """
    n = step.size
    if n == 0:
        return step_time_s.astype(np.float64)
    starts = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    lasts = np.r_[starts[1:] - 1, n - 1]
    durations = np.nan_to_num(step_time_s[lasts].astype(np.float64))
    before = np.r_[0.0, np.cumsum(durations[:-1])]
    return step_time_s + np.repeat(before, np.diff(np.r_[starts, n]))


def step_time(total_time_s: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Time within each step, s: the test time minus the test time of the last record of
    the step before (for files that store the test time but not the step time)."""
    n = step.size
    if n == 0:
        return total_time_s.astype(np.float64)
    starts = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    previous_end = np.r_[0.0, total_time_s[starts[1:] - 1]]
    return total_time_s - np.repeat(previous_end, np.diff(np.r_[starts, n]))


def range_multiplier(current_range: np.ndarray | int) -> np.ndarray:
    """Factor from a stored current (capacity, energy) integer to mA (mA s, mW s), from
    the channel's current range code (fastnda 1.3.1 ``utils._range_to_mult``)."""
    r = np.asarray(current_range, dtype=np.int64)
    if r.ndim and r.size and (r == r[0]).all():  # one range: one factor
        return range_multiplier(r[0])
    a = np.abs(r)
    negative = np.select(
        [a < 10, a < 100, a < 1000, a < 1_000_000, a < 10_000_000, a < 100_000_000],
        [1e-5, 1e-4, 1e-3, 1e-2, 1e-8, 1e-7],
        1e-6,
    )
    positive = np.select([a < 10, a < 100, a < 1000], [1e-4, 1e-3, 1e-2], 1e-1)
    out = np.where(r < 0, negative, positive)
    return np.where((r == 0) | (r < -2_000_000_000), 1e-1, out)


#: Current-range codes documented by the public parsers (NewareNDA ``multiplier_dict``,
#: fastnda ``MULTIPLIER_MAP``); 0 means "the channel's range" in a record.
DOCUMENTED_RANGES = frozenset(
    {0, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 6000, 10000, 12000, 20000, 30000}
    | {40000, 50000, 60000, 100000, 200000, -1, -2, -5, -10, -20, -25, -50, -100, -500}
    | {-1000, -2000, -3000, -5000, -6000, -10000, -12000, -20000, -30000, -40000, -50000}
    | {-60000, -100000, -200000, -100000000}
)


def check_ranges(ranges: np.ndarray | int, path: Path, where: str) -> None:
    """Warn when a current-range code is none of the documented ones: the currents,
    capacities and energies scaled by it may be off by powers of ten."""
    values = distinct(np.asarray(ranges, dtype=np.int64))
    odd = [int(v) for v in values.ravel() if int(v) not in DOCUMENTED_RANGES]
    if odd:
        warnings.warn(
            f"{path}: current-range code(s) {odd} ({where}) are not among the documented"
            " Neware ranges; currents, capacities and energies scaled by them may be wrong"
            " (a damaged file, or a range echem does not know)",
            EchemWarning,
            stacklevel=4,
        )


def technique(present: np.ndarray) -> str:
    """``df.attrs["technique"]`` from the distinct step types recorded: ``ocv`` (rest
    only), ``galvanostatic`` (constant-current steps and rests), ``potentiostatic``,
    ``cyclic_voltammetry``, else ``mixed``; ``unknown`` when no record is there."""
    if not len(present):
        return "unknown"
    controls = {STEP_TYPES[int(c)].control if int(c) in STEP_TYPES else OTHER for c in present}
    controls -= {REST, MARKER}
    return _TECHNIQUE_OF_CONTROLS.get(frozenset(controls), "mixed")
