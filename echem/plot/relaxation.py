"""The distribution of relaxation times: γ against τ, peaks marked (see :func:`echem.eis.drt`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from echem.errors import DataError
from echem.plot._figure import new_axes
from echem.plot._style import (
    FIT_STYLE,
    MUTED_COLOUR,
    SINGLE_COLUMN_IN,
    impedance_unit,
    number,
    style_axes,
    styled,
)
from echem.plot.impedance import area_factor

__all__ = ["drt"]

#: Shading of the τ ranges outside the measured window.
OUTSIDE_STYLE = {"color": "0.92", "zorder": 0, "linewidth": 0}

#: Peak marks: inside the measured window in black, outside it in grey.
PEAK_COLOURS = {True: "black", False: MUTED_COLOUR}


@styled()
def drt(
    result: Any,
    ax: Any = None,
    *,
    label: str | None = None,
    peaks: bool = True,
    area_cm2: float | None = None,
) -> Any:
    """γ (Ω or Ω·cm²) against τ (s, log axis), with the peaks and the measured window marked.

    Parameters
    ----------
    result
        A :class:`echem.eis.DRTResult`.
    ax
        Axes to draw into (a new figure when None).
    label
        Legend label of the curve (default: λ and the series terms, which γ does not show:
        R∞, and L and C when they are in the model).
    peaks
        Mark each peak with its τ and R; peaks outside the measured window in grey.
    area_cm2
        Electrode area, cm²: γ, the peaks' R and R∞ are multiplied by it (Ω·cm²).

    Returns
    -------
    matplotlib.axes.Axes
        The axes; a secondary x axis on top gives f = 1/(2πτ) in Hz.
    """
    if not (hasattr(result, "tau_s") and hasattr(result, "gamma_ohm")):
        raise DataError(f"cannot plot {type(result).__name__} as a DRT (no tau_s/gamma_ohm)")
    factor = area_factor(area_cm2)
    unit = impedance_unit(area_cm2)
    tau = np.asarray(result.tau_s, dtype=float)
    gamma = np.asarray(result.gamma_ohm, dtype=float) * factor
    ax = new_axes(ax, (SINGLE_COLUMN_IN, 2.7))
    ax.semilogx(tau, gamma, label=label or _default_label(result, factor, unit), **FIT_STYLE)
    freq = np.asarray(result.freq_Hz, dtype=float)
    window = (1.0 / (2 * np.pi * freq.max()), 1.0 / (2 * np.pi * freq.min()))
    ax.axvspan(tau[0], window[0], **OUTSIDE_STYLE)
    ax.axvspan(window[1], tau[-1], **OUTSIDE_STYLE, label="outside the measured range")
    if peaks:
        _mark_peaks(ax, result, factor, unit)
    ax.set_xlim(tau[0], tau[-1])
    top = float(np.nanmax(gamma)) if gamma.size else 0.0
    ax.set_ylim(0.0, HEADROOM * top if top > 0 else 1.0)  # room for the labels and legend
    ax.set_xlabel(r"relaxation time $\tau$ / s")
    ax.set_ylabel(rf"$\gamma$ / {unit}")
    top = ax.secondary_xaxis(
        "top", functions=(_tau_to_frequency, _tau_to_frequency)
    )  # f = 1/(2πτ) is its own inverse up to the constant
    top.set_xlabel(r"frequency $f = 1/(2\pi\tau)$ / Hz")
    style_axes(ax, top=False)
    top.tick_params(axis="x", which="both", direction="in")
    ax.legend(loc=_legend_corner(tau, gamma))
    return ax


#: Top of the γ axis, times the highest γ: room for the peak labels and, above, the legend.
HEADROOM = 1.6


def _legend_corner(tau: np.ndarray, gamma: np.ndarray) -> str:
    """The upper corner away from the highest peak (its label reaches up towards the top)."""
    if gamma.size == 0 or not np.isfinite(gamma).any():
        return "upper left"
    log_tau = np.log(tau)
    middle = (log_tau[0] + log_tau[-1]) / 2
    return "upper left" if log_tau[int(np.nanargmax(gamma))] > middle else "upper right"


def _default_label(result: Any, factor: float = 1.0, unit: str = "Ω") -> str:
    r_inf = result.R_inf_ohm * factor
    parts = [f"λ = {result.lam:.3g}", rf"$R_\infty$ = {r_inf:.4g} {unit}"]
    L, C = getattr(result, "L_H", 0.0), getattr(result, "C_F", np.inf)
    if np.isfinite(L) and L > 0:
        parts.append(f"L = {L:.3g} H")
    if np.isfinite(C):
        parts.append(f"C = {C:.3g} F")
    return ", ".join(parts)


def _tau_to_frequency(value: np.ndarray) -> np.ndarray:
    value = np.asarray(value, dtype=float)
    with np.errstate(divide="ignore"):
        return 1.0 / (2 * np.pi * value)


def _mark_peaks(ax: Any, result: Any, factor: float, unit: str) -> None:
    table = result.peaks
    if len(table) == 0:
        return
    heights = result.gamma(table["tau_s"].to_numpy()) * factor
    for row, height in zip(table.itertuples(), heights, strict=True):
        colour = PEAK_COLOURS[bool(row.in_window)]
        ax.plot([row.tau_s], [height], "v", color=colour, markersize=4.5)
        ax.annotate(
            f"{number(row.tau_s, 2)} s\n{number(row.R_ohm * factor)} {unit}",
            (row.tau_s, height),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=6.5,
            color=colour,
        )
