"""Impedance figures: Nyquist, Bode, fit residuals, and the one-page fit report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import DataError
from echem.plot._figure import clear_artists, new_axes, new_figure

__all__ = ["spectrum", "nyquist", "bode", "residuals", "fit_report"]

DATA_STYLE = {"marker": "o", "markersize": 4, "linestyle": "none", "markerfacecolor": "none"}
FIT_STYLE = {"linestyle": "-", "linewidth": 1.5, "color": "C3"}
FIT_POINTS = 300


def _is_result(obj: Any) -> bool:
    return hasattr(obj, "predict") and hasattr(obj, "freq_Hz") and hasattr(obj, "z")


def spectrum(data: Any) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (Hz) and complex impedance (Ohm, Z'' sign kept) of a spectrum-like object.

    Accepts a canonical frame (``freq_Hz``, ``z_real_ohm``, ``z_imag_ohm``; rows without a
    frequency are dropped), a FitResult (its data), or a ``(freq_Hz, z)`` pair.
    """
    if isinstance(data, pd.DataFrame):
        missing = {"freq_Hz", "z_real_ohm", "z_imag_ohm"} - set(data.columns)
        if missing:
            raise DataError(f"not an impedance spectrum: missing columns {sorted(missing)}")
        rows = data[data["freq_Hz"].notna()]
        freq = rows["freq_Hz"].to_numpy(dtype=float)
        z = rows["z_real_ohm"].to_numpy(dtype=float) + 1j * rows["z_imag_ohm"].to_numpy(dtype=float)
        return freq, z
    if _is_result(data):
        return np.asarray(data.freq_Hz, dtype=float), np.asarray(data.z, dtype=complex)
    if isinstance(data, Sequence) and len(data) == 2:
        freq, z = data
        return np.asarray(freq, dtype=float), np.asarray(z, dtype=complex)
    raise DataError(f"cannot plot {type(data).__name__} as an impedance spectrum")


def _fit_curve(fit: Any, freq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A smooth model curve over the data's frequency range."""
    positive = freq[freq > 0]
    dense = np.logspace(np.log10(positive.min()), np.log10(positive.max()), FIT_POINTS)
    return dense, np.asarray(fit.predict(dense), dtype=complex)


def _label(data: Any, default: str) -> str:
    if isinstance(data, pd.DataFrame):
        sweep = data.attrs.get("sweep")
        source = data.attrs.get("source")
        if source is not None and sweep is not None:
            return f"{source} #{sweep}"
        if source is not None:
            return str(source)
    return default


def nyquist(
    data_or_result: Any,
    ax: Any = None,
    fit: Any = None,
    *,
    label: str | None = None,
    annotate_decades: bool = True,
) -> Any:
    """Nyquist plot: -Z'' (up) against Z', equal axes, Ohm.

    Parameters
    ----------
    data_or_result
        A canonical frame, a FitResult (its data and its fit are drawn) or ``(freq_Hz, z)``.
    ax
        Axes to draw into (a new figure when None).
    fit
        A FitResult whose model is drawn as a line over the data's frequency range.
    label
        Legend label of the data.
    annotate_decades
        Mark the data point nearest to each decade of frequency (1 Hz, 10 Hz, ...).

    Returns
    -------
    matplotlib.axes.Axes
    """
    freq, z = spectrum(data_or_result)
    if fit is None and _is_result(data_or_result):
        fit = data_or_result
    ax = new_axes(ax, (5.5, 4.5))
    ax.plot(z.real, -z.imag, label=label or _label(data_or_result, "data"), **DATA_STYLE)
    if fit is not None:
        _, model = _fit_curve(fit, freq)
        ax.plot(model.real, -model.imag, label=f"fit {fit.circuit}", **FIT_STYLE)
    if annotate_decades:
        _annotate_decades(ax, freq, z)
    ax.set_xlabel("Z′ / Ω")
    ax.set_ylabel("−Z″ / Ω")
    _equal_limits(ax, z)
    ax.axhline(0.0, color="0.7", linewidth=0.8, zorder=0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax


def _equal_limits(ax: Any, z: np.ndarray) -> None:
    """Limits hugging the data (with 0 on the -Z'' axis) and a 1:1 aspect (the box adapts)."""
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return
    x_low, x_high = float(finite.real.min()), float(finite.real.max())
    y_low, y_high = min(0.0, float(-finite.imag.max())), max(0.0, float(-finite.imag.min()))
    pad = 0.05 * max(x_high - x_low, y_high - y_low, 1e-12)
    ax.set_xlim(x_low - pad, x_high + pad)
    ax.set_ylim(y_low - pad, y_high + pad)
    ax.set_aspect("equal", adjustable="box")


def _annotate_decades(ax: Any, freq: np.ndarray, z: np.ndarray) -> None:
    positive = freq > 0
    if not positive.any():
        return
    logf = np.log10(freq[positive])
    zp = z[positive]
    span = float(np.ptp(zp.real)) or 1.0
    last: complex | None = None
    for decade in range(int(np.floor(logf.max())), int(np.ceil(logf.min())) - 1, -1):
        i = int(np.argmin(np.abs(logf - decade)))
        if abs(logf[i] - decade) > 0.06:
            continue
        if last is not None and abs(zp[i] - last) < 0.06 * span:
            continue
        last = zp[i]
        ax.annotate(
            _hz(10.0**decade),
            (zp.real[i], -zp.imag[i]),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize="x-small",
            color="0.35",
        )


def _hz(f: float) -> str:
    for factor, prefix in ((1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m")):
        if f >= factor:
            return f"{f / factor:g} {prefix}Hz"
    return f"{f:g} Hz"


def bode(
    data_or_result: Any,
    ax: Any = None,
    fit: Any = None,
    *,
    label: str | None = None,
) -> tuple[Any, Any]:
    """Bode plot: |Z| (Ohm, log) and phase (degrees, -phase up) against frequency (Hz, log).

    Parameters
    ----------
    data_or_result
        A canonical frame, a FitResult (its data and its fit are drawn) or ``(freq_Hz, z)``.
    ax
        None (new figure with two stacked axes), a pair of Axes ``(modulus, phase)``, or a
        single Axes (the phase goes on a twin y axis).
    fit
        A FitResult whose model is drawn as lines.

    Returns
    -------
    tuple of matplotlib.axes.Axes
        ``(modulus_axes, phase_axes)``.
    """
    freq, z = spectrum(data_or_result)
    if fit is None and _is_result(data_or_result):
        fit = data_or_result
    twin = False
    if ax is None:
        figure = new_figure((5.5, 5.0))
        ax_mod, ax_phase = figure.subplots(2, 1, sharex=True)
    elif isinstance(ax, Sequence | np.ndarray):
        ax_mod, ax_phase = ax
    else:
        ax_mod, ax_phase, twin = ax, ax.twinx(), True
    data_label = label or _label(data_or_result, "data")
    ax_mod.loglog(freq, np.abs(z), label=data_label, **DATA_STYLE)
    ax_phase.semilogx(freq, -np.degrees(np.angle(z)), label=data_label, **DATA_STYLE)
    if fit is not None:
        dense, model = _fit_curve(fit, freq)
        ax_mod.loglog(dense, np.abs(model), label="fit", **FIT_STYLE)
        ax_phase.semilogx(dense, -np.degrees(np.angle(model)), label="fit", **FIT_STYLE)
    ax_mod.set_ylabel("|Z| / Ω")
    ax_phase.set_ylabel("−phase(Z) / °")
    (ax_mod if twin else ax_phase).set_xlabel("frequency / Hz")
    if twin:
        ax_phase.lines[-1 if fit is None else -2].set_marker("s")
    _plain_log_labels(ax_mod.yaxis)
    for axes in (ax_mod, ax_phase):
        axes.grid(True, which="both", alpha=0.3)
    ax_mod.legend(loc="best", fontsize="small")
    return ax_mod, ax_phase


def _plain_log_labels(axis: Any) -> None:
    """Label a log axis at 1, 2 and 5 times powers of ten, as plain numbers (no 10^x)."""
    from matplotlib.ticker import FuncFormatter

    def label(value: float, _position: int) -> str:
        if value <= 0:
            return ""
        mantissa = round(value / 10.0 ** np.floor(np.log10(value)), 6)
        return f"{value:g}" if mantissa in (1.0, 2.0, 5.0) else ""

    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_formatter(FuncFormatter(label))


def _relative_residuals(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(freq_Hz, real %, imaginary %) from a FitResult or a KKResult."""
    if hasattr(result, "residuals_real"):
        return (
            np.asarray(result.freq_Hz, dtype=float),
            100.0 * np.asarray(result.residuals_real, dtype=float),
            100.0 * np.asarray(result.residuals_imag, dtype=float),
        )
    if hasattr(result, "residuals"):
        r = np.asarray(result.residuals, dtype=complex)
        return np.asarray(result.freq_Hz, dtype=float), 100.0 * r.real, 100.0 * r.imag
    raise DataError(f"{type(result).__name__} has no residuals to plot")


def residuals(result: Any, ax: Any = None, *, title: str | None = None) -> Any:
    """Relative residuals (% of |Z|) of the real and imaginary parts against frequency.

    Parameters
    ----------
    result
        A FitResult (``(z - model)/|z|``) or a Lin-KK result (``residuals_real``,
        ``residuals_imag``).
    ax
        Axes to draw into (a new figure when None).

    Returns
    -------
    matplotlib.axes.Axes
    """
    freq, real_pct, imag_pct = _relative_residuals(result)
    ax = new_axes(ax, (5.5, 2.8))
    ax.semilogx(freq, real_pct, "o-", markersize=3, linewidth=0.8, label="Δ Z′ / |Z|")
    ax.semilogx(freq, imag_pct, "s-", markersize=3, linewidth=0.8, label="Δ Z″ / |Z|")
    ax.axhline(0.0, color="0.4", linewidth=0.8)
    ax.set_xlabel("frequency / Hz")
    ax.set_ylabel("residual / %")
    limit = max(1.0, 1.15 * float(np.nanmax(np.abs(np.concatenate([real_pct, imag_pct])))))
    ax.set_ylim(-limit, limit)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize="small", ncol=2)
    if title:
        ax.set_title(title, fontsize="medium")
    return ax


#: Labels of the four axes of :func:`fit_report`, by which a later call finds them to reuse.
REPORT_AXES: tuple[str, ...] = ("nyquist", "modulus", "phase", "residuals")


def _report_axes(figure: Any) -> list[Any]:
    """The four axes of a fit report: a new figure's, built here, or the axes of a figure an
    earlier :func:`fit_report` made, emptied of their artists (ticks and layout are kept)."""
    if figure is None:
        # Fixed margins instead of constrained layout: this figure is drawn once per spectrum
        # by ``echem fit``, and the layout solver would double its rendering time.
        figure = new_figure((12.0, 7.5), layout=None)
        grid = figure.add_gridspec(
            2,
            3,
            height_ratios=(1.4, 1.0),
            left=0.065,
            right=0.985,
            bottom=0.075,
            top=0.93,
            hspace=0.25,
            wspace=0.3,
        )
        ax_nyq = figure.add_subplot(grid[0, :], label="nyquist")
        ax_mod = figure.add_subplot(grid[1, 0], label="modulus")
        ax_phase = figure.add_subplot(grid[1, 1], sharex=ax_mod, label="phase")
        ax_res = figure.add_subplot(grid[1, 2], sharex=ax_mod, label="residuals")
        return [ax_nyq, ax_mod, ax_phase, ax_res]
    found = {ax.get_label(): ax for ax in figure.axes}
    if len(figure.axes) != len(REPORT_AXES) or set(found) != set(REPORT_AXES):
        raise DataError("figure= takes a figure made by fit_report (or None for a new one)")
    axes = [found[name] for name in REPORT_AXES]
    for ax in axes:
        clear_artists(ax)
    return axes


#: Problems of a fit shown in the report's Nyquist panel, and their longest length.
SHOWN_PROBLEMS, PROBLEM_CHARACTERS = 4, 95


def _annotate_verdict(ax: Any, result: Any) -> None:
    """The fit's verdict in the corner of ``ax``: "NOT ok" and its first problems (the
    undetermined values, arcs outside the band...; :mod:`echem.eis.verdict`)."""
    problems = getattr(result, "problems", None)
    if not problems:
        return
    lines = ["NOT ok:"]
    for problem in problems[:SHOWN_PROBLEMS]:
        short = (
            problem
            if len(problem) <= PROBLEM_CHARACTERS
            else problem[: PROBLEM_CHARACTERS - 1] + "…"
        )
        lines.append(f"– {short}")
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"(and {len(problems) - SHOWN_PROBLEMS} more: FitResult.problems)")
    ax.text(
        0.01,
        0.98,
        "\n".join(lines),
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize="x-small",
        color="C3",
        bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "C3", "boxstyle": "round"},
    )


def fit_report(result: Any, *, kk: Any = None, title: str | None = None, figure: Any = None) -> Any:
    """One figure for a fit: Nyquist with the fit, Bode, and relative residuals.

    Parameters
    ----------
    result
        The FitResult.
    kk
        Optional Lin-KK result; its verdict and pseudo chi-square go into the title.
    title
        Figure title (default: circuit, chi-square and the fit's verdict, ok or NOT ok). A fit
        that is not ok lists its first problems (undetermined values, arcs outside the band...)
        in the Nyquist panel.
    figure
        None for a new figure, or a figure an earlier call returned: its axes are kept and
        what they show is replaced, which draws a batch of reports about twice as fast as a
        new figure each time (the result looks the same).

    Returns
    -------
    matplotlib.figure.Figure
    """
    ax_nyq, ax_mod, ax_phase, ax_res = _report_axes(figure)
    figure = ax_nyq.figure
    nyquist(result, ax=ax_nyq)
    bode(result, ax=(ax_mod, ax_phase))
    ax_mod.set_xlabel("frequency / Hz")
    residuals(result, ax=ax_res)
    _annotate_verdict(ax_nyq, result)
    if title is None:
        title = f"{result.circuit}   χ² = {result.chisqr:.3g}"
        problems = getattr(result, "problems", None)
        if problems is not None:
            title += "   ok" if not problems else "   NOT ok"
        time_s = getattr(result, "time_s", None)
        if time_s is not None and np.isfinite(time_s):
            title += f"   t = {time_s / 3600.0:.2f} h"
        if kk is not None:
            verdict = "valid" if kk.valid else "NOT valid"
            title += f"   Lin-KK: {verdict} (χ²ps = {kk.pseudo_chisqr:.2g})"
    figure.suptitle(title, fontsize="medium")
    return figure
