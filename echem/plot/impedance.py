"""Impedance figures: Nyquist, Bode, fit residuals, and the one-page fit report.

Each takes ``area_cm2=`` where impedance is drawn: given, the impedance is multiplied by the
electrode area and drawn in Ω·cm² (area-specific impedance); not given, in Ω. The style (colours,
markers, sizes, labels) is :mod:`echem.plot._style`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import DataError
from echem.plot._figure import clear_artists, new_axes, new_figure
from echem.plot._style import (
    ALERT_COLOUR,
    DATA_GID,
    DATA_STYLE,
    DOUBLE_COLUMN_IN,
    FIT_STYLE,
    MUTED_COLOUR,
    OKABE_ITO,
    SINGLE_COLUMN_IN,
    data_style,
    impedance_unit,
    style_axes,
    styled,
)

__all__ = ["spectrum", "nyquist", "bode", "residuals", "fit_report", "area_factor"]

FIT_POINTS = 300

#: Axis labels (IUPAC: quantity symbol in italics / unit).
FREQUENCY_LABEL = "frequency $f$ / Hz"
PHASE_LABEL = r"phase $-\varphi$ / °"

#: Phase points when they share an axes with |Z| (a twin y axis): another colour and marker.
PHASE_STYLE = {**DATA_STYLE, "marker": "s", "color": OKABE_ITO["bluish green"]}


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
    """Legend text of a spectrum: its file and sweep when the frame says them."""
    if isinstance(data, pd.DataFrame):
        sweep = data.attrs.get("sweep")
        source = data.attrs.get("source")
        if source is not None and sweep is not None:
            return _literal(f"{source}, sweep {sweep}")
        if source is not None:
            return _literal(str(source))
    return default


def _literal(text: str) -> str:
    """``text`` as matplotlib prints it literally (a ``$`` would start mathtext)."""
    return text.replace("$", r"\$")


def _fit_label(fit: Any) -> str:
    return f"fit, {_literal(str(fit.circuit))}"


def area_factor(area_cm2: float | None) -> float:
    """The factor from Ω to what is drawn: the area (cm²) for Ω·cm², else 1.

    Raises
    ------
    DataError
        When the area is not a finite positive number.
    """
    if area_cm2 is None:
        return 1.0
    area = float(area_cm2)
    if not (np.isfinite(area) and area > 0):
        raise DataError(f"area_cm2 must be a finite number > 0, not {area_cm2!r}")
    return area


@styled()
def nyquist(
    data_or_result: Any,
    ax: Any = None,
    fit: Any = None,
    *,
    label: str | None = None,
    annotate_decades: bool | None = None,
    area_cm2: float | None = None,
) -> Any:
    """Nyquist plot: -Z'' (up) against Z', equal scales on both axes, Ω or Ω·cm².

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
        Label the data point nearest to each decade of frequency (1 Hz, 10 Hz, ...) where
        the label covers nothing drawn. Default: when the spectrum is alone in the axes;
        drawing a second one into them removes the first one's labels (spectra drawn into
        the same axes take the next colour and marker, and a legend tells them apart).
    area_cm2
        Electrode area, cm²: the impedance is multiplied by it and drawn in Ω·cm².

    Returns
    -------
    matplotlib.axes.Axes
    """
    freq, z = spectrum(data_or_result)
    factor = area_factor(area_cm2)
    z = z * factor
    if fit is None and _is_result(data_or_result):
        fit = data_or_result
    ax = new_axes(ax, _nyquist_figsize(z))
    earlier = [line for line in ax.get_lines() if line.get_gid() == DATA_GID]
    if annotate_decades is None:
        annotate_decades = not earlier
        for text in [t for t in ax.texts if t.get_gid() == DECADE_GID] if earlier else ():
            text.remove()  # placed where nothing was drawn then; the new spectrum may cover it
    ax.plot(z.real, -z.imag, label=label or _label(data_or_result, "data"), **data_style(ax))
    drawn = z
    if fit is not None:
        _, model = _fit_curve(fit, freq)
        model = model * factor
        ax.plot(model.real, -model.imag, label=_fit_label(fit), **FIT_STYLE)
        drawn = np.concatenate([z, model])
    unit = impedance_unit(area_cm2)
    ax.set_xlabel(f"$Z'$ / {unit}")
    ax.set_ylabel(f"$-Z''$ / {unit}")
    shown = np.concatenate([z, *(_as_complex(line) for line in earlier)])
    _equal_limits(ax, shown)  # every spectrum of the axes in view
    if annotate_decades:
        others = [_as_complex(line) for line in ax.get_lines()]
        _annotate_decades(ax, freq, z, np.concatenate([drawn, *others]))
    ax.axhline(0.0, color=MUTED_COLOUR, linewidth=0.6, zorder=1)
    style_axes(ax)
    ax.legend(loc="best")
    return ax


#: Room above the highest point of a Nyquist plot for a two-line legend, points.
LEGEND_ROOM_PT = 28.0


def _as_complex(line: Any) -> np.ndarray:
    """The points of a line of a Nyquist plot as Z' - jZ'' (what was drawn as -Z'' up)."""
    xy = np.asarray(line.get_xydata(), dtype=float)
    return xy[:, 0] - 1j * xy[:, 1]


def _box_pt(ax: Any) -> tuple[float, float]:
    """Width and height of the axes' place in the layout (before an aspect shrinks it), points."""
    position = ax.get_position(original=True)
    return (
        position.width * ax.figure.get_figwidth() * 72.0,
        position.height * ax.figure.get_figheight() * 72.0,
    )


def _equal_limits(ax: Any, z: np.ndarray) -> None:
    """Limits hugging the data (with 0 on the -Z'' axis, room for the legend above) and a 1:1
    aspect (the box adapts)."""
    (x_low, x_high), (y_low, y_high) = _nyquist_limits(z, _box_pt(ax))
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_aspect("equal", adjustable="box")


def _data_limits(z: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """(x limits, y limits) around the points of ``z`` with a margin (and 0 on the y axis)."""
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return (0.0, 1.0), (0.0, 1.0)
    x_low, x_high = float(finite.real.min()), float(finite.real.max())
    y_low, y_high = min(0.0, float(-finite.imag.max())), max(0.0, float(-finite.imag.min()))
    span = max(x_high - x_low, y_high - y_low, 1e-12)
    pad = 0.05 * span
    x_pad = 0.12 * span  # room for a decade label beside the first or the last point
    return (x_low - x_pad, x_high + x_pad), (y_low - pad, y_high + pad)


def _nyquist_limits(
    z: np.ndarray, box_pt: tuple[float, float]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(x limits, y limits) of a Nyquist plot of ``z`` in a box of ``box_pt`` (points): the
    data's, and :data:`LEGEND_ROOM_PT` more at the top, at the scale equal axes will have."""
    (x_low, x_high), (y_low, y_high) = _data_limits(z)
    width, height = box_pt
    per_point = max((x_high - x_low) / width, (y_high - y_low + 0.0) / height)
    return (x_low, x_high), (y_low, y_high + LEGEND_ROOM_PT * per_point)


def _nyquist_figsize(z: np.ndarray) -> tuple[float, float]:
    """A single-column figure whose height fits the data's aspect (equal scales) and the
    legend above them, inches."""
    (x_low, x_high), (y_low, y_high) = _data_limits(z)
    plot_width = SINGLE_COLUMN_IN - 0.75  # less the y label and ticks
    height = plot_width * (y_high - y_low) / (x_high - x_low) + LEGEND_ROOM_PT / 72.0
    return SINGLE_COLUMN_IN, float(np.clip(height, 1.2, 3.2)) + 0.65


def _annotate_decades(ax: Any, freq: np.ndarray, z: np.ndarray, drawn: np.ndarray) -> None:
    """Label the points of ``z`` nearest to each decade of frequency, each on the side of its
    point where its label covers the fewest points ``drawn`` (data and model:
    :func:`_label_place`); a decade whose label finds no free place is left out. Call once the
    limits are set."""
    positive = freq > 0
    if not positive.any():
        return
    logf = np.log10(freq[positive])
    zp = z[positive]
    width, height = _box_pt(ax)
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    axis_line = np.linspace(x_low, x_high, 200) + 0j  # the Z' axis is drawn: keep off it too
    points = np.column_stack([np.r_[drawn, axis_line].real, -np.r_[drawn, axis_line].imag])
    points = points[np.isfinite(points).all(axis=1)]
    per_point = max((x_high - x_low) / width, (y_high - y_low) / height)
    limits = np.array([[x_low, y_low], [x_high, y_high]])
    boxes: list[np.ndarray] = []
    for decade in range(int(np.floor(logf.max())), int(np.ceil(logf.min())) - 1, -1):
        i = int(np.argmin(np.abs(logf - decade)))
        if abs(logf[i] - decade) > 0.06 or not np.isfinite(zp[i]):
            continue
        text = _hz(10.0**decade)
        point = np.array([zp.real[i], -zp.imag[i]])
        place = _label_place(points, point, text, per_point, limits, boxes)
        if place is None:
            continue
        (dx, dy), box = place
        boxes.append(box)
        ax.annotate(
            text,
            tuple(point),
            textcoords="offset points",
            xytext=(DECADE_OFFSET_PT * dx, DECADE_OFFSET_PT * dy),
            ha="left" if dx > 0.35 else "right" if dx < -0.35 else "center",
            va="bottom" if dy > 0.35 else "top" if dy < -0.35 else "center",
            fontsize=DECADE_FONT_PT,
            color=MUTED_COLOUR,
            gid=DECADE_GID,
        )


#: Marks the decade labels of a Nyquist plot (removed when another spectrum is drawn over).
DECADE_GID = "echem-decade"

#: Decade labels: font size and distance from their point, points (1/72 inch).
DECADE_FONT_PT, DECADE_OFFSET_PT = 6.5, 3.0

#: Half the size of a marker of the data, points: a label keeps this far from every point.
MARKER_RADIUS_PT = 2.0

#: Width of a character of a decade label, fraction of the font size (DejaVu Sans, ~0.6).
_CHARACTER_WIDTH = 0.62

#: The eight directions a decade label may take from its point (unit vectors), best first.
_DIRECTIONS = np.array(
    [(np.cos(a), np.sin(a)) for a in np.radians([90, 45, 135, 0, 180, -45, -135, -90])]
)


def _label_place(
    points: np.ndarray,
    point: np.ndarray,
    text: str,
    per_point: float,
    limits: np.ndarray,
    taken: list[np.ndarray],
) -> tuple[tuple[float, float], np.ndarray] | None:
    """Where the label ``text`` of ``point`` covers none of ``points`` (data units; the axes
    show ``per_point`` data units per typographic point on both axes): its direction from
    the point (the first such unit vector of :data:`_DIRECTIONS`) and its box
    ``[[x0, y0], [x1, y1]]``. Boxes that leave ``limits`` or overlap a box ``taken`` are not
    used; None when there is no free place (the decade is then not labelled)."""
    size = np.array([len(text) * _CHARACTER_WIDTH, 1.0]) * DECADE_FONT_PT * per_point
    offset = DECADE_OFFSET_PT * per_point
    best: tuple[int, int] | None = None
    for index, direction in enumerate(_DIRECTIONS):
        anchor = point + offset * direction
        # the box's lower-left corner, as the alignment rules of _annotate_decades put it
        corner = anchor - size * (0.5 - 0.5 * np.sign(np.round(direction / 0.7)))
        box = np.array([corner, corner + size])
        if (box[0] < limits[0]).any() or (box[1] > limits[1]).any():
            continue
        if any(_overlap(box, other) for other in taken):
            continue
        grown = box + np.array([[-1.0], [1.0]]) * MARKER_RADIUS_PT * per_point
        inside = int(((points >= grown[0]) & (points <= grown[1])).all(axis=1).sum())
        if inside == 0:
            best = (inside, index)
            break
    if best is None:
        return None
    direction = _DIRECTIONS[best[1]]
    anchor = point + offset * direction
    corner = anchor - size * (0.5 - 0.5 * np.sign(np.round(direction / 0.7)))
    return (float(direction[0]), float(direction[1])), np.array([corner, corner + size])


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two boxes ``[[x0, y0], [x1, y1]]`` overlap."""
    return bool((a[0] < b[1]).all() and (b[0] < a[1]).all())


def _hz(f: float) -> str:
    for factor, prefix in ((1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m")):
        if f >= factor:
            return f"{f / factor:g} {prefix}Hz"
    return f"{f:g} Hz"


@styled()
def bode(
    data_or_result: Any,
    ax: Any = None,
    fit: Any = None,
    *,
    label: str | None = None,
    area_cm2: float | None = None,
) -> tuple[Any, Any]:
    """Bode plot: |Z| (Ω or Ω·cm², log) and phase (degrees, -phase up) against frequency (Hz, log).

    Parameters
    ----------
    data_or_result
        A canonical frame, a FitResult (its data and its fit are drawn) or ``(freq_Hz, z)``.
    ax
        None (new figure with two stacked axes), a pair of Axes ``(modulus, phase)``, or a
        single Axes (the phase goes on a twin y axis).
    fit
        A FitResult whose model is drawn as lines.
    label
        Legend label of the data.
    area_cm2
        Electrode area, cm²: |Z| is multiplied by it and drawn in Ω·cm² (the phase is the same).

    Returns
    -------
    tuple of matplotlib.axes.Axes
        ``(modulus_axes, phase_axes)``.
    """
    freq, z = spectrum(data_or_result)
    factor = area_factor(area_cm2)
    if fit is None and _is_result(data_or_result):
        fit = data_or_result
    twin = False
    if ax is None:
        figure = new_figure((SINGLE_COLUMN_IN, 3.6))
        ax_mod, ax_phase = figure.subplots(2, 1, sharex=True)
    elif isinstance(ax, Sequence | np.ndarray):
        ax_mod, ax_phase = ax
    else:
        ax_mod, ax_phase, twin = ax, ax.twinx(), True
    data_label = label or _label(data_or_result, "data")
    # On one axes (twin), the entries say which quantity; the legend's title (a label given)
    # which data.
    labels = (
        {"modulus": "$|Z|$", "phase": r"$-\varphi$", "fit": "fit, "}
        if twin
        else {"modulus": data_label, "phase": data_label, "fit": ""}
    )
    ax_phase.semilogx(
        freq,
        -np.degrees(np.angle(z)),
        label=labels["phase"],
        **(PHASE_STYLE if twin else data_style(ax_phase)),
    )
    ax_mod.loglog(freq, np.abs(z) * factor, label=labels["modulus"], **data_style(ax_mod))
    if fit is not None:
        dense, model = _fit_curve(fit, freq)
        fit_label = _fit_label(fit)
        modulus_label = labels["fit"] + labels["modulus"] if twin else fit_label
        phase_label = labels["fit"] + labels["phase"] if twin else fit_label
        ax_mod.loglog(dense, np.abs(model) * factor, label=modulus_label, **FIT_STYLE)
        ax_phase.semilogx(
            dense,
            -np.degrees(np.angle(model)),
            label=phase_label,
            **({**FIT_STYLE, "linestyle": "--"} if twin else FIT_STYLE),
        )
    ax_mod.set_ylabel(f"$|Z|$ / {impedance_unit(area_cm2)}")
    ax_phase.set_ylabel(PHASE_LABEL)
    (ax_mod if twin else ax_phase).set_xlabel(FREQUENCY_LABEL)
    _plain_log_labels(ax_mod.yaxis)
    style_axes(ax_mod, right=not twin)
    style_axes(ax_phase, top=not twin, right=not twin, grid=not twin)
    handles = [*ax_mod.get_lines(), *(ax_phase.get_lines() if twin else ())]
    if twin:
        ax_phase.tick_params(axis="y", which="both", left=False, right=True)
    # Above the axes, outside them: a Bode plot has no corner free of data.
    ax_mod.legend(
        handles,
        [line.get_label() for line in handles],
        title=label if twin else None,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.02),
        ncols=2 if twin else 1,
        frameon=False,
        borderaxespad=0.0,
        alignment="left",
    )
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


@styled()
def residuals(result: Any, ax: Any = None, *, title: str | None = None) -> Any:
    """Relative residuals (% of |Z|) of the real and imaginary parts against frequency.

    Parameters
    ----------
    result
        A FitResult (``(z - model)/|z|``) or a Lin-KK result (``residuals_real``,
        ``residuals_imag``).
    ax
        Axes to draw into (a new figure when None).
    title
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    freq, real_pct, imag_pct = _relative_residuals(result)
    ax = new_axes(ax, (SINGLE_COLUMN_IN, 2.2))
    for values, label, style in (
        (real_pct, "real", RESIDUAL_STYLES[0]),
        (imag_pct, "imaginary", RESIDUAL_STYLES[1]),
    ):
        ax.semilogx(freq, values, label=label, **style)
    ax.axhline(0.0, color=MUTED_COLOUR, linewidth=0.6, zorder=1)
    ax.set_xlabel(FREQUENCY_LABEL)
    ax.set_ylabel("residual / % of $|Z|$")
    limit = max(1.0, 1.6 * float(np.nanmax(np.abs(np.concatenate([real_pct, imag_pct])))))
    ax.set_ylim(-limit, limit)  # symmetric about 0, with room for the legend at the top
    style_axes(ax)
    ax.legend(loc="upper left", ncol=2, handlelength=1.8, columnspacing=1.0)
    if title:
        ax.set_title(title)
    return ax


_RESIDUAL_LOOK = {"markersize": 2.8, "linewidth": 0.7, "markerfacecolor": "none"}

#: The real and the imaginary residuals: two colours, two markers, two line styles.
RESIDUAL_STYLES: tuple[dict[str, Any], dict[str, Any]] = (
    {"color": OKABE_ITO["blue"], "marker": "o", "linestyle": "-", **_RESIDUAL_LOOK},
    {"color": OKABE_ITO["vermillion"], "marker": "s", "linestyle": "--", **_RESIDUAL_LOOK},
)


#: Labels of the axes of :func:`fit_report`, by which a later call finds them to reuse.
REPORT_AXES: tuple[str, ...] = ("nyquist", "modulus", "phase", "residuals", "values")

#: Size (inches: a double journal column) and margins (figure fractions) of :func:`fit_report`.
REPORT_SIZE_IN = (DOUBLE_COLUMN_IN, 5.4)
REPORT_GRID: dict[str, Any] = {
    "height_ratios": (1.45, 1.0),
    "left": 0.075,
    "right": 0.985,
    "bottom": 0.085,
    "top": 0.895,
    "hspace": 0.3,
}
#: Top row: Nyquist and the values panel (widths); bottom row: |Z|, phase, residuals.
REPORT_TOP: dict[str, Any] = {"width_ratios": (1.7, 1.0), "wspace": 0.08}
REPORT_BOTTOM: dict[str, Any] = {"wspace": 0.42}

#: Text of the report's values panel: size (points) and the line height it takes (points).
PANEL_FONT_PT, PANEL_LINE_PT = 6.5, 8.2


def _report_axes(figure: Any) -> list[Any]:
    """The axes of a fit report (:data:`REPORT_AXES`): a new figure's, built here, or the axes
    of a figure an earlier :func:`fit_report` made, emptied of their artists (ticks and layout
    are kept)."""
    if figure is None:
        # Fixed margins instead of constrained layout: this figure is drawn once per spectrum
        # by ``echem fit``, and the layout solver would double its rendering time.
        figure = new_figure(REPORT_SIZE_IN, layout=None)
        rows = figure.add_gridspec(2, 1, **REPORT_GRID)
        top = rows[0].subgridspec(1, 2, **REPORT_TOP)
        bottom = rows[1].subgridspec(1, 3, **REPORT_BOTTOM)
        with styled():
            ax_nyq = figure.add_subplot(top[0, 0], label="nyquist")
            ax_mod = figure.add_subplot(bottom[0, 0], label="modulus")
            ax_phase = figure.add_subplot(bottom[0, 1], sharex=ax_mod, label="phase")
            ax_res = figure.add_subplot(bottom[0, 2], sharex=ax_mod, label="residuals")
            ax_values = figure.add_subplot(top[0, 1], label="values")
        ax_values.set_axis_off()
        return [ax_nyq, ax_mod, ax_phase, ax_res, ax_values]
    found = {ax.get_label(): ax for ax in figure.axes}
    if len(figure.axes) != len(REPORT_AXES) or set(found) != set(REPORT_AXES):
        raise DataError("figure= takes a figure made by fit_report (or None for a new one)")
    axes = [found[name] for name in REPORT_AXES]
    for ax in axes:
        clear_artists(ax)
    return axes


#: Problems of a fit shown in the report, their longest length, and the width they wrap at.
SHOWN_PROBLEMS, PROBLEM_CHARACTERS, PROBLEM_WRAP = 4, 95, 50


def _value_lines(result: Any, kk: Any) -> list[str]:
    """The report's values panel: each fitted value ± its standard error and unit (a ``?``
    marks one the data do not determine), χ², and the Lin-KK verdict."""
    lines = ["fitted values (± standard error)"]
    table = getattr(result, "parameters", None)
    if isinstance(table, pd.DataFrame) and len(table):
        width = max(len(str(name)) for name in table.index)
        for name, row in table.iterrows():
            stderr = f" ± {row['stderr']:.2g}" if np.isfinite(row["stderr"]) else ""
            unknown = "" if row["determined"] else "  ?"
            lines.append(f"{name:<{width}} = {row['value']:.4g}{stderr} {row['unit']}{unknown}")
    lines.append(f"χ² = {result.chisqr:.3g}")
    if kk is not None:
        verdict = "valid" if kk.valid else "NOT valid"
        lines.append(f"Lin-KK: {verdict}, pseudo χ² = {kk.pseudo_chisqr:.2g}")
    return lines


def _panel_text(ax: Any, lines: list[str], first_line: int, **style: Any) -> None:
    """``lines`` in the values panel ``ax``, starting ``first_line`` lines from its top."""
    ax.annotate(
        "\n".join(lines),
        (0.0, 1.0),
        xycoords="axes fraction",
        xytext=(0.0, -first_line * PANEL_LINE_PT),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=PANEL_FONT_PT,
        linespacing=1.2,
        annotation_clip=False,
        **style,
    )


def _annotate_verdict(ax: Any, result: Any, first_line: int = 0) -> None:
    """The fit's verdict, ``first_line`` lines below the top of ``ax``: "NOT ok" and its first
    problems (the undetermined values, arcs outside the band...; :mod:`echem.eis.verdict`)."""
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
        lines += textwrap.wrap(
            f"– {short}", PROBLEM_WRAP, subsequent_indent="   ", break_on_hyphens=False
        )
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"(and {len(problems) - SHOWN_PROBLEMS} more: FitResult.problems)")
    _panel_text(ax, [_literal(line) for line in lines], first_line, color=ALERT_COLOUR)


@styled()
def fit_report(
    result: Any,
    *,
    kk: Any = None,
    title: str | None = None,
    figure: Any = None,
    area_cm2: float | None = None,
) -> Any:
    """One figure for a fit: Nyquist with the fit, the fitted values and the verdict, Bode,
    and relative residuals.

    Parameters
    ----------
    result
        The FitResult.
    kk
        Optional Lin-KK result; its verdict and pseudo chi-square go into the title and the
        values panel.
    title
        Figure title (default: the circuit, the fit's verdict, ok or NOT ok, the time and the
        Lin-KK verdict; χ² is in the values panel). A fit that is not ok lists its first
        problems (undetermined values, arcs outside the band...) under its values.
    figure
        None for a new figure, or a figure an earlier call returned: its axes are kept and
        what they show is replaced, which draws a batch of reports about twice as fast as a
        new figure each time (the result looks the same).
    area_cm2
        Electrode area, cm²: Nyquist and |Z| in Ω·cm² (see :func:`nyquist`); the fitted
        values stay as fitted (Ω).

    Returns
    -------
    matplotlib.figure.Figure
    """
    ax_nyq, ax_mod, ax_phase, ax_res, ax_values = _report_axes(figure)
    figure = ax_nyq.figure
    nyquist(result, ax=ax_nyq, area_cm2=area_cm2)
    bode(result, ax=(ax_mod, ax_phase), area_cm2=area_cm2)
    ax_mod.set_xlabel(FREQUENCY_LABEL)
    ax_mod.get_legend().remove()  # the Nyquist panel's legend names the same two lines
    residuals(result, ax=ax_res)
    values = [_literal(line) for line in _value_lines(result, kk)]
    _panel_text(ax_values, values, 0, family="monospace")
    _annotate_verdict(ax_values, result, first_line=len(values) + 1)
    if title is None:
        title = _literal(str(result.circuit))
        problems = getattr(result, "problems", None)
        if problems is not None:
            title += "   ok" if not problems else "   NOT ok"
        time_s = getattr(result, "time_s", None)
        if time_s is not None and np.isfinite(time_s):
            title += f"   t = {time_s / 3600.0:.2f} h"
        if kk is not None:
            verdict = "valid" if kk.valid else "NOT valid"
            title += f"   Lin-KK: {verdict}"
    # wrapped at the figure's edges when long (echem fit puts the file's name in front)
    figure.suptitle(title, wrap=True)
    return figure
