"""The distribution of relaxation times: γ against τ, peaks marked (see :func:`echem.eis.drt`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from echem.errors import DataError
from echem.plot._figure import new_axes
from echem.plot.impedance import FIT_STYLE

__all__ = ["drt"]

#: Shading of the τ ranges outside the measured window.
OUTSIDE_STYLE = {"color": "0.9", "zorder": 0, "linewidth": 0}


def drt(result: Any, ax: Any = None, *, label: str | None = None, peaks: bool = True) -> Any:
    """γ (Ω) against τ (s, log axis), with the peaks and the measured window marked.

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

    Returns
    -------
    matplotlib.axes.Axes
        The axes; a secondary x axis on top gives f = 1/(2πτ) in Hz.
    """
    if not (hasattr(result, "tau_s") and hasattr(result, "gamma_ohm")):
        raise DataError(f"cannot plot {type(result).__name__} as a DRT (no tau_s/gamma_ohm)")
    tau = np.asarray(result.tau_s, dtype=float)
    gamma = np.asarray(result.gamma_ohm, dtype=float)
    ax = new_axes(ax, (6.0, 3.8))
    ax.semilogx(tau, gamma, label=label or _default_label(result), **FIT_STYLE)
    freq = np.asarray(result.freq_Hz, dtype=float)
    window = (1.0 / (2 * np.pi * freq.max()), 1.0 / (2 * np.pi * freq.min()))
    ax.axvspan(tau[0], window[0], **OUTSIDE_STYLE)
    ax.axvspan(window[1], tau[-1], **OUTSIDE_STYLE, label="outside the measured range")
    if peaks:
        _mark_peaks(ax, result)
    ax.set_xlim(tau[0], tau[-1])
    top = float(np.nanmax(gamma)) if gamma.size else 0.0
    ax.set_ylim(0.0, 1.25 * top if top > 0 else 1.0)  # room for the labels
    ax.set_xlabel("τ / s")
    ax.set_ylabel("γ / Ω")
    top = ax.secondary_xaxis(
        "top", functions=(_tau_to_frequency, _tau_to_frequency)
    )  # f = 1/(2πτ) is its own inverse up to the constant
    top.set_xlabel("f = 1/(2πτ) / Hz")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax


def _default_label(result: Any) -> str:
    parts = [f"λ = {result.lam:.3g}", f"R∞ = {result.R_inf_ohm:.4g} Ω"]
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


def _mark_peaks(ax: Any, result: Any) -> None:
    table = result.peaks
    if len(table) == 0:
        return
    heights = result.gamma(table["tau_s"].to_numpy())
    for row, height in zip(table.itertuples(), heights, strict=True):
        colour = "C3" if row.in_window else "0.5"
        ax.plot([row.tau_s], [height], "v", color=colour, markersize=6)
        ax.annotate(
            f"{row.tau_s:.2g} s\n{row.R_ohm:.3g} Ω",
            (row.tau_s, height),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize="x-small",
            color=colour,
        )
