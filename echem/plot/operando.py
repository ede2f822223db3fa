"""Operando figures: the voltage record, CT vs Faradaic Li volume, arc resistances over time.

They are the analogues of the seed paper's Fig. 2a, 2d and 3c; the style (colours, markers,
sizes, labels) is :mod:`echem.plot._style`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import DataError
from echem.plot._figure import new_axes
from echem.plot._style import (
    ALERT_COLOUR,
    DATA_COLOUR,
    MUTED_COLOUR,
    OKABE_ITO,
    SINGLE_COLUMN_IN,
    impedance_unit,
    role_label,
    series_style,
    style_axes,
    styled,
)
from echem.plot.impedance import area_factor

__all__ = ["voltage", "series", "ct_comparison", "time_hours"]

SECONDS_PER_HOUR = 3600.0

#: Size of the operando figures, inches (a single journal column).
FIGSIZE_IN = (SINGLE_COLUMN_IN, 2.5)

TIME_LABEL = "time $t$ / h"

#: Height (axes fraction) of the short-circuit label, left of its line: low, where a plating
#: record (a polarisation that falls towards the short) leaves room.
SHORT_LABEL_HEIGHT = 0.2


def time_hours(table: pd.DataFrame) -> np.ndarray:
    """The time axis of a table in hours, from ``time_h``, ``time_s`` or ``time_min``."""
    for column, factor in (
        ("time_h", 1.0),
        ("time_s", 1.0 / SECONDS_PER_HOUR),
        ("time_min", 1.0 / 60.0),
    ):
        if column in table.columns:
            return table[column].to_numpy(dtype=float) * factor
    raise DataError(f"no time column (time_h, time_s or time_min) among {list(table.columns)}")


def _short_time_s(short_circuit: Any) -> float | None:
    """Time (s) of a short circuit given as seconds, a mapping or an object with ``time_s``."""
    if short_circuit is None:
        return None
    if isinstance(short_circuit, int | float | np.floating | np.integer):
        return float(short_circuit)
    if isinstance(short_circuit, Mapping):
        value = short_circuit.get("time_s")
    else:
        value = getattr(short_circuit, "time_s", None)
    return None if value is None or not np.isfinite(value) else float(value)


@styled()
def voltage(
    df: pd.DataFrame,
    ax: Any = None,
    *,
    short_circuit: Any = None,
    label: str | None = None,
    millivolts: bool = False,
) -> Any:
    """Voltage against time in hours (the seed's Fig. 2a), marking a short circuit.

    Parameters
    ----------
    df
        Canonical frame with ``time_s`` (s) and ``voltage_V`` (V).
    ax
        Axes to draw into (a new figure when None).
    short_circuit
        Time of the short circuit: seconds, a mapping or an object with ``time_s``
        (e.g. the result of :func:`echem.coulometry.detect_short_circuit`); None for none.
    label
        Legend label of the record (no legend when None).
    millivolts
        Plot in mV instead of V.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if "voltage_V" not in df.columns:
        raise DataError(f"no voltage_V column among {list(df.columns)}")
    rows = df[df["voltage_V"].notna()]
    t_h = time_hours(rows)
    scale, unit = (1e3, "mV") if millivolts else (1.0, "V")
    ax = new_axes(ax, FIGSIZE_IN)
    ax.plot(t_h, rows["voltage_V"].to_numpy(dtype=float) * scale, color=DATA_COLOUR, label=label)
    ax.axhline(0.0, color=MUTED_COLOUR, linewidth=0.6, zorder=1)
    short_s = _short_time_s(short_circuit)
    if short_s is not None:
        short_h = short_s / SECONDS_PER_HOUR
        ax.axvline(short_h, color=ALERT_COLOUR, linestyle="--", linewidth=1.0)
        ax.annotate(
            f"short circuit\n{short_h:.2f} h",
            (short_h, SHORT_LABEL_HEIGHT),
            xycoords=("data", "axes fraction"),
            xytext=(-4, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            color=ALERT_COLOUR,
            fontsize=7.5,
        )
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel(f"voltage $U$ / {unit}")
    style_axes(ax)
    if label:
        ax.legend(loc="best")
    return ax


_RESISTANCE = re.compile(r"^R\d+$")
_ROLE_RESISTANCE = re.compile(r"^(R_\w+?)_ohm$")


def _role_columns(
    table: pd.DataFrame, roles: Mapping[str, str] | Sequence[str] | None, per_face: bool = False
) -> dict[str, str]:
    """Legend label -> column of the resistances to plot.

    Default: the role columns of :func:`echem.eis.fit_series` (``R_int_ohm`` -> "interphase,
    $R_\\mathrm{int}$"; with ``per_face`` the per-face columns ``R_int_face_ohm`` where there
    are some), or else every ``R<number>`` parameter column. A list of columns is labelled
    the same way (:func:`echem.plot._style.role_label`).
    """
    if roles is None:
        found = {}
        for column in table.columns:
            match = _ROLE_RESISTANCE.match(str(column))
            if match and not str(column).endswith("_stderr_ohm"):
                found[match.group(1)] = column
        faces = {name for name in found if name.endswith("_face")}
        if per_face:  # a role's face column where it has one (bulk has none: the cell's)
            names = [n for n in found if n in faces or f"{n}_face" not in faces]
        else:
            names = [n for n in found if n not in faces]
        chosen = {role_label(name): found[name] for name in names}
        if not chosen:
            chosen = {role_label(c): c for c in table.columns if _RESISTANCE.match(str(c))}
    elif isinstance(roles, Mapping):
        chosen = dict(roles)
    else:
        chosen = {role_label(_role_name(c)): c for c in roles}
    missing = [c for c in chosen.values() if c not in table.columns]
    if missing:
        raise DataError(f"columns {missing} not in the table (have {list(table.columns)})")
    if not chosen:
        raise DataError("no resistance columns to plot; pass roles={label: column}")
    return chosen


def _role_name(column: str) -> str:
    """``R_int_ohm`` -> ``R_int``; other names unchanged."""
    match = _ROLE_RESISTANCE.match(column)
    return match.group(1) if match else column


def _stderr_column(table: pd.DataFrame, column: str) -> str | None:
    """``R1`` -> ``R1_stderr``; ``R_int_ohm`` -> ``R_int_stderr_ohm``."""
    candidates = [f"{column}_stderr"]
    if column.endswith("_ohm"):
        candidates.append(column[: -len("_ohm")] + "_stderr_ohm")
    return next((c for c in candidates if c in table.columns), None)


def _table_area_cm2(table: pd.DataFrame, columns: Sequence[str]) -> float | None:
    """The electrode area a table of :func:`echem.eis.fit_series` was made with: the ratio of
    its area-specific columns (``R_x_ohm_cm2`` = ``R_x_ohm`` × area) to the resistances, when
    every plotted role has one and the ratio is one number; else None."""
    ratios = []
    for column in columns:
        if not column.endswith("_ohm") or f"{column}_cm2" not in table.columns:
            return None
        ohm = table[column].to_numpy(dtype=float)
        specific = table[f"{column}_cm2"].to_numpy(dtype=float)
        both = np.isfinite(ohm) & np.isfinite(specific) & (ohm != 0)
        ratios.append(specific[both] / ohm[both])
    ratios_all = np.concatenate(ratios) if ratios else np.array([])
    if ratios_all.size == 0 or not np.allclose(ratios_all, ratios_all[0], rtol=1e-9):
        return None
    return float(ratios_all[0])


@styled()
def series(
    table: pd.DataFrame,
    roles: Mapping[str, str] | Sequence[str] | None = None,
    ax: Any = None,
    *,
    errorbars: bool = True,
    area_cm2: float | None = None,
    per_face: bool = False,
) -> Any:
    """Resistances of named arcs against time in hours (the seed's Fig. 3c), in Ω, or in
    Ω·cm² when the electrode area is known.

    Parameters
    ----------
    table
        One row per spectrum with a time column (``time_s`` or ``time_h``) and resistance
        columns in Ω (e.g. the table of :func:`echem.eis.fit_series`); ``<column>_stderr``
        (or ``R_x_stderr_ohm`` for ``R_x_ohm``) columns, when present, become error bars.
    roles
        ``{legend label: column}`` (e.g. ``{"interphase": "R1", "charge transfer": "R2"}``),
        or a list of columns (labelled by role: ``R_ct_ohm`` -> "charge transfer,
        $R_\\mathrm{ct}$"); default: the role columns ``R_<role>_ohm`` of
        :func:`echem.eis.fit_series` (the whole cell's), or else every ``R<number>`` column.
    ax
        Axes to draw into (a new figure when None).
    errorbars
        Draw the standard errors as error bars.
    area_cm2
        Electrode area, cm²: resistances and their errors are multiplied by it and drawn
        in Ω·cm² (area-specific resistance). Default: the area of a :func:`fit_series` table
        made with ``area_cm2=`` (its ``R_x_ohm_cm2`` columns), else none (Ω).
    per_face
        With the default roles of a symmetric cell, the resistance of each electrode face
        (``R_x_face_ohm``: half the cell's) instead of the whole cell's.

    Returns
    -------
    matplotlib.axes.Axes
    """
    chosen = _role_columns(table, roles, per_face)
    if area_cm2 is None and roles is None:
        whole_cell = [c.replace("_face_ohm", "_ohm") for c in chosen.values()]
        area_cm2 = _table_area_cm2(table, whole_cell)
    factor = area_factor(area_cm2)
    t_h = time_hours(table)
    ax = new_axes(ax, FIGSIZE_IN)
    for i, (label, column) in enumerate(chosen.items()):
        values = table[column].to_numpy(dtype=float) * factor
        stderr_column = _stderr_column(table, column)
        error = (
            table[stderr_column].to_numpy(dtype=float) * factor
            if errorbars and stderr_column is not None
            else None
        )
        ax.errorbar(
            t_h,
            values,
            yerr=error,
            markersize=4,
            markerfacecolor="white",
            markeredgewidth=1.0,
            linewidth=1.1,
            capsize=2,
            elinewidth=0.8,
            label=label,
            **series_style(i),
        )
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel(f"resistance $R$ / {impedance_unit(area_cm2)}")
    ax.set_ylim(bottom=0.0)
    style_axes(ax)
    ax.legend(loc="best")
    return ax


def _find_column(
    table: pd.DataFrame, explicit: str | None, patterns: Sequence[str], what: str
) -> str:
    if explicit is not None:
        if explicit not in table.columns:
            raise DataError(f"column {explicit!r} not in the table (have {list(table.columns)})")
        return explicit
    for pattern in patterns:
        for column in table.columns:
            if isinstance(column, str) and re.search(pattern, column, flags=re.IGNORECASE):
                return column
    raise DataError(
        f"no {what} column in the table (have {list(table.columns)}); name it explicitly"
    )


#: Column-name suffix -> factor to µm³.
_TO_UM3 = {"um3": 1.0, "mm3": 1e9, "cm3": 1e12}


@styled()
def ct_comparison(
    table: pd.DataFrame,
    ax: Any = None,
    *,
    theory: str | None = None,
    measured: str | None = None,
) -> Any:
    """Theoretical (Faradaic) and CT-measured Li volume against time (the seed's Fig. 2d).

    Parameters
    ----------
    table
        One row per CT scan with a time column (``time_h`` or ``time_s``), a theoretical
        volume column and a CT volume column (units from a ``_um3``/``_mm3``/``_cm3``
        suffix; drawn in µm³), e.g. the table of :func:`echem.ct.compare_ct`.
    ax
        Axes to draw into (a new figure when None).
    theory, measured
        Column names, when the defaults (a column containing "theor", a column containing
        "ct" or "measured") do not fit.

    Returns
    -------
    matplotlib.axes.Axes
    """
    theory_column = _find_column(table, theory, (r"theor",), "theoretical volume")
    measured_column = _find_column(
        table, measured, (r"^ct.*vol", r"ct_", r"measured", r"^ct"), "CT volume"
    )
    t_h = time_hours(table)
    theory_values = table[theory_column].to_numpy(dtype=float) * _um3_factor(theory_column)
    measured_values = table[measured_column].to_numpy(dtype=float) * _um3_factor(measured_column)
    scale, prefix = _volume_scale(np.nanmax(np.abs(theory_values)))
    ax = new_axes(ax, FIGSIZE_IN)
    ax.plot(
        t_h,
        theory_values / scale,
        color=THEORY_COLOUR,
        linestyle="--",
        marker="o",
        markersize=3.5,
        label="expected (Faraday's law)",
    )
    ax.plot(
        t_h,
        measured_values / scale,
        color=CT_COLOUR,
        linestyle="-",
        marker="s",
        markersize=4.5,
        markerfacecolor="white",
        markeredgewidth=1.0,
        label="X-ray CT (% of expected)",
    )
    for t, v_theory, v_ct in zip(t_h, theory_values, measured_values, strict=True):
        if np.isfinite(v_ct) and v_theory > 0:
            ax.annotate(
                f"{100.0 * v_ct / v_theory:.0f} %",
                (t, v_ct / scale),
                textcoords="offset points",
                xytext=(-3, 3),
                ha="right",
                va="bottom",
                fontsize=6.5,
                color=CT_COLOUR,
            )
    ax.margins(x=0.12)  # room for the first label, left of the first scan
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel(f"Li volume $V$ / {prefix}µm³")
    top = np.nanmax(np.r_[theory_values, measured_values]) / scale
    ax.set_ylim(0.0, CT_HEADROOM * top if np.isfinite(top) and top > 0 else None)
    style_axes(ax)
    ax.legend(loc="upper left")
    return ax


#: Top of the volume axis, times the largest volume: room for the legend above the lines.
CT_HEADROOM = 1.3

#: Lines of :func:`ct_comparison`: the Faradaic expectation in black, CT in blue.
THEORY_COLOUR = OKABE_ITO["black"]
CT_COLOUR = OKABE_ITO["blue"]


def _um3_factor(column: str) -> float:
    """Factor from the column's unit (``_um3``, ``_mm3``, ``_cm3`` suffix) to µm³."""
    for suffix, factor in _TO_UM3.items():
        if column.endswith(suffix):
            return factor
    raise DataError(f"column {column!r}: no volume unit suffix (_um3, _mm3 or _cm3)")


def _volume_scale(largest: float) -> tuple[float, str]:
    """A power-of-1000 factor that keeps the tick labels short, and its text."""
    if not np.isfinite(largest) or largest <= 0:
        return 1.0, ""
    exponent = int(np.floor(np.log10(largest) / 3.0) * 3)
    if exponent == 0:
        return 1.0, ""
    return 10.0**exponent, f"10$^{{{exponent}}}$ "
