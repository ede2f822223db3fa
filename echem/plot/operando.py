"""Operando figures: voltage record (seed Fig. 2a), CT vs theory (Fig. 2d), arc resistances (Fig. 3c)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import DataError
from echem.plot._figure import new_axes

__all__ = ["voltage", "series", "ct_comparison", "time_hours"]

SECONDS_PER_HOUR = 3600.0


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
    ax = new_axes(ax, (6.0, 3.8))
    ax.plot(t_h, rows["voltage_V"].to_numpy(dtype=float) * scale, linewidth=1.2, label=label)
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
    short_s = _short_time_s(short_circuit)
    if short_s is not None:
        short_h = short_s / SECONDS_PER_HOUR
        ax.axvline(short_h, color="C3", linestyle="--", linewidth=1.0)
        ax.annotate(
            f"short circuit\n{short_h:.2f} h",
            (short_h, 0.5),
            xycoords=("data", "axes fraction"),
            xytext=(-6, 0),
            textcoords="offset points",
            ha="right",
            color="C3",
            fontsize="small",
        )
    ax.set_xlabel("time / h")
    ax.set_ylabel(f"voltage / {unit}")
    ax.grid(True, alpha=0.3)
    if label:
        ax.legend(loc="best", fontsize="small")
    return ax


_RESISTANCE = re.compile(r"^R\d+$")
_ROLE_RESISTANCE = re.compile(r"^(R_\w+?)_ohm$")


def _role_columns(
    table: pd.DataFrame, roles: Mapping[str, str] | Sequence[str] | None
) -> dict[str, str]:
    """Legend label -> column of the resistances to plot.

    Default: the role columns of :func:`echem.eis.fit_series` (``R_int_ohm`` -> "R_int"), or
    else every ``R<number>`` parameter column.
    """
    if roles is None:
        chosen = {}
        for column in table.columns:
            match = _ROLE_RESISTANCE.match(str(column))
            if match and not str(column).endswith("_stderr_ohm"):
                chosen[match.group(1)] = column
        if not chosen:
            chosen = {c: c for c in table.columns if _RESISTANCE.match(str(c))}
    elif isinstance(roles, Mapping):
        chosen = dict(roles)
    else:
        chosen = {c: c for c in roles}
    missing = [c for c in chosen.values() if c not in table.columns]
    if missing:
        raise DataError(f"columns {missing} not in the table (have {list(table.columns)})")
    if not chosen:
        raise DataError("no resistance columns to plot; pass roles={label: column}")
    return chosen


def _stderr_column(table: pd.DataFrame, column: str) -> str | None:
    """``R1`` -> ``R1_stderr``; ``R_int_ohm`` -> ``R_int_stderr_ohm``."""
    candidates = [f"{column}_stderr"]
    if column.endswith("_ohm"):
        candidates.append(column[: -len("_ohm")] + "_stderr_ohm")
    return next((c for c in candidates if c in table.columns), None)


def series(
    table: pd.DataFrame,
    roles: Mapping[str, str] | Sequence[str] | None = None,
    ax: Any = None,
    *,
    errorbars: bool = True,
) -> Any:
    """Resistances of named arcs against time in hours (the seed's Fig. 3c).

    Parameters
    ----------
    table
        One row per spectrum with a time column (``time_s`` or ``time_h``) and resistance
        columns in Ohm (e.g. the table of :func:`echem.eis.fit_series`); ``<column>_stderr``
        (or ``R_x_stderr_ohm`` for ``R_x_ohm``) columns, when present, become error bars.
    roles
        ``{legend label: column}`` (e.g. ``{"R_int": "R1", "R_ct": "R2"}``), or a list of
        columns; default: the role columns ``R_<role>_ohm`` of :func:`echem.eis.fit_series`,
        or else every ``R<number>`` column.
    ax
        Axes to draw into (a new figure when None).

    Returns
    -------
    matplotlib.axes.Axes
    """
    chosen = _role_columns(table, roles)
    t_h = time_hours(table)
    ax = new_axes(ax, (6.0, 3.8))
    markers = "osD^v<>ph"
    for i, (label, column) in enumerate(chosen.items()):
        values = table[column].to_numpy(dtype=float)
        stderr_column = _stderr_column(table, column)
        error = (
            table[stderr_column].to_numpy(dtype=float)
            if errorbars and stderr_column is not None
            else None
        )
        ax.errorbar(
            t_h,
            values,
            yerr=error,
            marker=markers[i % len(markers)],
            markersize=5,
            linewidth=1.2,
            capsize=3,
            label=label,
        )
    ax.set_xlabel("time / h")
    ax.set_ylabel("resistance / Ω")
    ax.set_ylim(bottom=0.0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
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
    ax = new_axes(ax, (6.0, 3.8))
    ax.plot(
        t_h,
        theory_values / scale,
        "-",
        marker="o",
        markersize=4,
        color="0.3",
        label="theory (Faraday)",
    )
    ax.plot(t_h, measured_values / scale, "-", marker="s", markersize=6, color="C0", label="CT")
    for t, v_theory, v_ct in zip(t_h, theory_values, measured_values, strict=True):
        if np.isfinite(v_ct) and v_theory > 0:
            ax.annotate(
                f"{100.0 * v_ct / v_theory:.0f} %",
                (t, v_ct / scale),
                textcoords="offset points",
                xytext=(7, -3),
                ha="left",
                va="top",
                fontsize="x-small",
                color="C0",
            )
    ax.set_xlabel("time / h")
    ax.set_ylabel(f"Li volume / {prefix}µm³")
    ax.set_ylim(bottom=0.0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    return ax


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
