"""Fit a time series of impedance spectra (operando EIS) and name the arcs at every time.

One row per spectrum (see :func:`fit_series`). Two things make a series more than a loop of fits:

* Warm start: each spectrum is refined from the previous spectrum's optimum *and* fitted from
  the automatic start of :func:`echem.eis.fit`; the fit with the lower χ² is kept (column
  ``start``).
  Neighbouring spectra change little, so the warm start keeps the fit on the same branch; the
  automatic start takes over when the cell changed too much (e.g. after a short circuit).
* Labels follow the arcs, not positions: each arc is followed from spectrum to spectrum by its
  time constant and capacitance (:mod:`echem.eis.tracking`) and keeps one label for the whole
  series, named after the role its capacitance gives it (:mod:`echem.eis.roles`), so the columns
  stay right when two arcs cross in size or in time constant or swap places in the circuit's
  parameter list; two arcs of the same role are numbered by time constant once for the series.
* Only what the data determine is labelled: a role column holds a value only where the
  spectrum pins that arc down (apex in the measured band, values determined;
  :mod:`echem.eis.arc_table`), and ``<role>_determined`` says so per row. Every parameter keeps
  its value, with ``<p>_determined``, and ``ok``/``problems`` give the fit's verdict
  (:mod:`echem.eis.verdict`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from echem.eis.arc_table import arcs as arcs_table
from echem.eis.fitting import fit
from echem.eis.kk import lin_kk
from echem.eis.roles import PRESETS, Preset, RolesLike
from echem.eis.sweeps import first_time_s, impedance_points, spectra
from echem.eis.table import ResultTable, finish_table, result_row
from echem.eis.tracking import track_arcs
from echem.errors import DataError, EchemError

__all__ = ["fit_series"]

_IMPEDANCE_COLUMNS = ("freq_Hz", "z_real_ohm", "z_imag_ohm")


def _frames(frames: pd.DataFrame | Iterable[pd.DataFrame]) -> list[pd.DataFrame]:
    if isinstance(frames, pd.DataFrame):
        return list(spectra(frames))
    result = list(frames)
    for position, frame in enumerate(result):
        if not isinstance(frame, pd.DataFrame):
            raise DataError(
                f"spectrum {position}: expected a DataFrame, got {type(frame).__name__}"
            )
        missing = [c for c in _IMPEDANCE_COLUMNS if c not in frame.columns]
        if missing:
            raise DataError(f"spectrum {position}: missing columns {missing}")
    return result


def _time_of(frame: pd.DataFrame, result: Any) -> float:
    time_s = getattr(result, "time_s", None)
    if time_s is not None and np.isfinite(time_s):
        return float(time_s)
    first = first_time_s(frame)
    return float("nan") if first is None else first


def _best_fit(
    frame: pd.DataFrame, circuit: Any, previous: Any, fit_options: dict
) -> tuple[Any, str]:
    """Fit from the automatic start and, if any, refine from the previous spectrum's values.

    The warm fit is a local refinement (``multistart=False``) from the neighbour's optimum; the
    automatic fit is :func:`echem.eis.fit` as usual. The lower χ² wins; on a tie (relative
    1e-9) the warm start is kept, for continuity along the series.
    """
    if isinstance(circuit, str) and circuit == "auto":  # a choice per sweep, kept stable
        from echem.eis.model_choice import series_step

        return series_step(frame, previous, fit_options)
    errors: list[EchemError] = []
    auto = warm = None
    try:
        auto = fit(frame, circuit, **fit_options)
    except EchemError as error:
        errors.append(error)
    if previous is not None:
        options = {**fit_options, "initial": dict(previous.values), "multistart": False}
        try:
            warm = fit(frame, circuit, **options)
        except EchemError as error:
            errors.append(error)
    if auto is None and warm is None:
        raise errors[0]
    if warm is None or not np.isfinite(warm.chisqr):
        return (auto, "auto") if auto is not None else (warm, "warm")
    if auto is None or not np.isfinite(auto.chisqr):
        return warm, "warm"
    if warm.chisqr <= auto.chisqr * (1 + 1e-9):
        return warm, "warm"
    return auto, "auto"


def fit_series(
    frames: pd.DataFrame | Iterable[pd.DataFrame],
    circuit: Any,
    *,
    kk: bool = True,
    method: str = "hsu-mansfeld",
    roles: RolesLike = None,
    area_cm2: float | None = None,
    thickness_cm: float | None = None,
    symmetric: bool | None = None,
    normalise_cell_constant: bool = False,
    warm_start: bool = True,
    **fit_options: Any,
) -> pd.DataFrame:
    """Fit every spectrum of an operando series and tabulate values, KK verdict and roles.

    Parameters
    ----------
    frames
        Spectra in time order: a list of canonical frames (``freq_Hz``, ``z_real_ohm``,
        ``z_imag_ohm``, optionally ``time_s``), or one frame holding several sweeps (split with
        :func:`echem.eis.spectra`).
    circuit
        Circuit text or :class:`~echem.eis.circuit.Circuit`, or a preset name from
        :data:`echem.eis.roles.PRESETS` (e.g. ``"li-sse-symmetric"``: its circuit, roles, series
        roles and symmetric flag are used unless given here), or ``"auto"``: a circuit chosen
        per sweep, kept from one sweep to the next unless the data demand a change
        (:func:`echem.eis.model_choice.series_step`), with the columns ``circuit``, ``arcs``
        and ``circuit_event`` (arcs appearing or vanishing, in words).
    kk
        Run :func:`echem.eis.kk.lin_kk` on each spectrum.
    method, roles, area_cm2, thickness_cm, symmetric, normalise_cell_constant
        Passed to :func:`echem.eis.arc_table.arcs` (effective capacitance method and role table).
    warm_start
        Also fit each spectrum from the previous one's values and keep the better fit.
    **fit_options
        Passed to :func:`echem.eis.fit` (weighting, f_range, fixed, bounds, ...).

    Returns
    -------
    ResultTable
        A :class:`pandas.DataFrame`, one row per spectrum: ``time_s``, ``sweep``, the columns of
        :func:`echem.eis.table.result_row` (every parameter and ``<p>_stderr``, ``chisqr``,
        ``redchi``, ``success``, the Lin-KK columns ``kk_*``, per arc ``<element>_C_F``,
        ``<element>_f0_Hz``, ``<element>_role``; per label of an arc tracked through the series
        ``<role>_determined``, ``<role>_ohm``, ``<role>_stderr_ohm``, ``<role>_C_F`` (the old
        ``<role>_F`` still reads, with a warning: :class:`echem.eis.table.ResultTable`), NaN
        where the spectrum does not pin that arc down; series roles
        of a preset, e.g. ``R_bulk_ohm``; ``sigma_S_cm`` from R_bulk when thickness and area
        are given), ``start`` (which start gave the fit kept: "warm", the refinement from the
        previous spectrum's values, where it ended lower (for a given circuit, also on a
        tie, for continuity); else "auto", the data-driven
        start of :func:`echem.eis.fit`), ``error`` (None or the message of a failed
        fit) and ``result`` (the FitResult). A spectrum whose fit fails gives a row with its
        error and the next spectrum starts afresh.
    """
    preset: Preset | None = None
    if isinstance(circuit, str) and circuit in PRESETS:
        preset = PRESETS[circuit]
    elif isinstance(circuit, Preset):
        preset = circuit
    if preset is not None:
        circuit = preset.circuit
        roles = preset.name if roles is None else roles
        symmetric = preset.symmetric if symmetric is None else symmetric
    series_roles = dict(preset.series_roles) if preset is not None else {}
    arc_options = dict(
        method=method,
        roles=roles,
        area_cm2=area_cm2,
        thickness_cm=thickness_cm,
        symmetric=symmetric,
        normalise_cell_constant=normalise_cell_constant,
    )

    fitted: list[tuple[dict[str, Any], Any, pd.DataFrame | None, Any]] = []
    previous = None
    for position, frame in enumerate(_frames(frames)):
        row: dict[str, Any] = {"sweep": frame.attrs.get("sweep", position)}
        try:
            result, start = _best_fit(frame, circuit, previous if warm_start else None, fit_options)
        except EchemError as error:
            row.update(time_s=_time_of(frame, None), success=False, ok=False, problems="")
            row.update(error=str(error), result=None)
            fitted.append((row, None, None, None))
            previous = None
            continue
        previous = result
        row["time_s"] = _time_of(frame, result)
        row["start"] = start
        kk_outcome = None
        freq, z, _ = impedance_points(frame)
        if kk and result.kk is not None and len(freq) == len(result.freq_Hz):
            kk_outcome = result.kk  # the fit's verdict ran Lin-KK on these very points
        elif kk:
            try:
                kk_outcome = lin_kk(freq, z)
            except DataError as error:
                kk_outcome = str(error)
        fitted.append((row, result, arcs_table(result, **arc_options), kk_outcome))

    labels = track_arcs([arcs for _, _, arcs, _ in fitted])
    rows: list[dict[str, Any]] = []
    for (row, result, arcs, kk_outcome), labelled in zip(fitted, labels, strict=True):
        if result is not None:
            start = row.pop("start")
            row.update(
                result_row(
                    result,
                    arcs=arcs,
                    kk=kk_outcome,
                    series_roles=series_roles,
                    area_cm2=area_cm2,
                    thickness_cm=thickness_cm,
                    labels=labelled,
                )
            )
            row.update(start=start, error=None, result=result)
        rows.append(row)

    frame_out = pd.DataFrame(rows)
    if isinstance(circuit, str) and circuit == "auto":  # the chosen circuits and their changes
        from echem.eis.model_choice import annotate_series

        annotate_series(frame_out)
    first = [c for c in ("time_s", "sweep") if c in frame_out.columns]
    last = [c for c in ("error", "result") if c in frame_out.columns]
    middle = [c for c in frame_out.columns if c not in first and c not in last]
    return ResultTable(finish_table(frame_out[first + middle + last]))
