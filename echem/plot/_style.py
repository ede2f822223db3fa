"""The one look of every echem figure: colours, markers, line styles, sizes, labels, units.

Every plotting function draws with what is defined here, so that a Nyquist plot, a Bode plot,
a DRT and an operando series put side by side in a paper look like one set.

Colours are the Okabe–Ito palette (Okabe & Ito, *Color Universal Design*, 2008; recommended by
Wong, Nature Methods 8 (2011) 441), distinguishable with every common form of colour-vision
deficiency. Each series also gets its own marker and line style (:func:`series_style`), so that
a figure still reads when printed in grey.

Sizes follow journal columns: :data:`SINGLE_COLUMN_IN` (89 mm) and :data:`DOUBLE_COLUMN_IN`
(183 mm) wide, text 7–9 pt (:data:`RC`), which stays legible when the figure is printed at
that width.

Labels follow IUPAC (quantity symbol in italics, then ``/ unit``): ``Z′ / Ω``, ``−Z″ / Ω·cm²``,
``f / Hz``; role names become ``R_int`` -> :math:`R_\\mathrm{int}` (:func:`role_symbol`) with
a word for the phenomenon in legends (:func:`role_label`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "MARKERS",
    "LINESTYLES",
    "DATA_COLOUR",
    "FIT_COLOUR",
    "ALERT_COLOUR",
    "MUTED_COLOUR",
    "DATA_STYLE",
    "FIT_STYLE",
    "SINGLE_COLUMN_IN",
    "DOUBLE_COLUMN_IN",
    "RC",
    "SAVE_RC",
    "ROLE_WORDS",
    "series_style",
    "data_style",
    "DATA_GID",
    "style_axes",
    "styled",
    "impedance_unit",
    "number",
    "role_symbol",
    "role_label",
]

#: The Okabe–Ito palette (Okabe & Ito 2008), by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: Series colours in the order they are used (yellow left out: too pale on white paper).
PALETTE: tuple[str, ...] = tuple(
    OKABE_ITO[name]
    for name in ("blue", "vermillion", "bluish green", "orange", "reddish purple", "sky blue")
)

#: Series markers, one per colour of :data:`PALETTE` (filled shapes that differ in outline).
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P")

#: Series line styles, one per colour of :data:`PALETTE`.
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1.5, 1, 1.5, 1, 1.5)), (0, (8, 2)))

#: Measured points, a fitted model, a warning (short circuit, "NOT ok"), and context lines.
DATA_COLOUR = OKABE_ITO["blue"]
FIT_COLOUR = OKABE_ITO["vermillion"]
ALERT_COLOUR = OKABE_ITO["vermillion"]
MUTED_COLOUR = "0.45"

#: Measured impedance: open circles, no line.
DATA_STYLE: dict[str, Any] = {
    "marker": "o",
    "markersize": 3.5,
    "markeredgewidth": 0.8,
    "linestyle": "none",
    "markerfacecolor": "none",
    "color": DATA_COLOUR,
}

#: A model (fit, DRT): a solid line, in front of the data.
FIT_STYLE: dict[str, Any] = {"linestyle": "-", "linewidth": 1.3, "color": FIT_COLOUR, "zorder": 3}

#: Figure widths of journal columns, inches (89 mm and 183 mm).
SINGLE_COLUMN_IN = 3.5
DOUBLE_COLUMN_IN = 7.2

#: Text and line settings of every figure echem makes (matplotlib rcParams).
RC: dict[str, Any] = {
    "font.size": 8.5,
    "axes.labelsize": 8.5,
    "axes.titlesize": 8.5,
    "figure.titlesize": 9.0,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.2,
    "lines.markersize": 4.0,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "0.8",
    "legend.handlelength": 2.4,
    "mathtext.default": "regular",
    "axes.formatter.use_mathtext": True,
    "axes.formatter.limits": (-3, 4),
}

#: Settings in force while a figure is written: fonts embedded as TrueType (Type 42) in PDF
#: and PS, as journals ask (no Type 3 fonts), so text stays text there; in SVG, text drawn as
#: outlines (it looks the same without the font installed), each string kept in a comment
#: beside its outline (searchable).
SAVE_RC: dict[str, Any] = {"svg.fonttype": "path", "pdf.fonttype": 42, "ps.fonttype": 42}

#: Tick settings (inward ticks on all free sides, as most electrochemistry journals print).
_TICKS: dict[str, Any] = {"direction": "in", "length": 3.0, "width": 0.7, "labelsize": 8.0}
_MINOR_TICKS: dict[str, Any] = {"direction": "in", "length": 1.8, "width": 0.5}


#: Marks the measured points an echem plot drew, so that the next spectrum drawn into the same
#: axes takes the next colour and marker (:func:`data_style`).
DATA_GID = "echem-data"

#: Colours of measured spectra, one per spectrum drawn into the same axes: the palette less
#: :data:`FIT_COLOUR`, which every fitted model keeps.
_DATA_PALETTE: tuple[str, ...] = tuple(c for c in PALETTE if c != OKABE_ITO["vermillion"])


def data_style(ax: Any) -> dict[str, Any]:
    """:data:`DATA_STYLE` for the next spectrum drawn into ``ax``: the first in blue open
    circles, each further one in the next colour and marker (fits stay vermillion lines)."""
    index = sum(1 for line in ax.get_lines() if line.get_gid() == DATA_GID)
    i = index % len(_DATA_PALETTE)
    return {**DATA_STYLE, "color": _DATA_PALETTE[i], "marker": MARKERS[i], "gid": DATA_GID}


def series_style(index: int) -> dict[str, Any]:
    """Colour, marker and line style of the ``index``-th series (they repeat together)."""
    i = index % len(PALETTE)
    return {"color": PALETTE[i], "marker": MARKERS[i], "linestyle": LINESTYLES[i]}


def style_axes(ax: Any, *, top: bool = True, right: bool = True, grid: bool = True) -> None:
    """Ticks inward (also on the top and right sides unless another axis is there), a light
    grid, and the tick label size of :data:`RC`, fixed on ``ax`` (ticks matplotlib makes
    later, while drawing, follow it too)."""
    ax.tick_params(axis="both", which="major", top=top, right=right, **_TICKS)
    ax.tick_params(axis="both", which="minor", top=top, right=right, **_MINOR_TICKS)
    if grid:
        ax.grid(True, which="major", color="0.88", linewidth=0.5)
        ax.set_axisbelow(True)


@contextmanager
def styled() -> Iterator[None]:
    """Within: figures, axes, texts and legends are made with :data:`RC`."""
    import matplotlib

    with matplotlib.rc_context(RC):
        yield


def impedance_unit(area_cm2: float | None) -> str:
    """``Ω``, or ``Ω·cm²`` for an area-specific impedance (an area given)."""
    return "Ω" if area_cm2 is None else "Ω·cm²"


def number(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits as a figure prints it: plainly from 0.001
    to 10 000, else as mathtext ``$4.8\\times10^{-7}$`` (never ``4.8e-07``)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if 1e-3 <= abs(value) < 1e4:
        rounded = float(f"{value:.{digits}g}")
        decimals = max(digits - 1 - math.floor(math.log10(abs(rounded))), 0)
        return f"{rounded:.{decimals}f}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = float(f"{value / 10.0**exponent:.{digits}g}")
    if abs(mantissa) >= 10:  # rounded up to the next power of ten
        mantissa, exponent = mantissa / 10, exponent + 1
    return rf"${mantissa:.{digits}g}\times10^{{{exponent}}}$"


#: Role name -> the phenomenon in a word or two, for legends (roles of
#: :data:`echem.eis.roles.DEFAULT_ROLES` and the series roles of the presets).
ROLE_WORDS: dict[str, str] = {
    "R_bulk": "bulk electrolyte",
    "R_gb": "grain boundary",
    "R_int": "interphase",
    "R_ct": "charge transfer",
    "R_reaction": "reaction",
}

_ROLE = re.compile(r"^R_?([A-Za-z0-9]+)$")


def role_symbol(name: str) -> str:
    """The math symbol of a resistance name: ``R_int`` -> ``$R_\\mathrm{int}$``, ``R1`` ->
    ``$R_1$``; other names unchanged (any ``$`` escaped, so they print literally)."""
    match = _ROLE.match(name)
    if match is None:
        return name.replace("$", r"\$")
    subscript = match.group(1)
    if not subscript.isdigit():
        subscript = rf"\mathrm{{{subscript}}}"
    return f"$R_{{{subscript}}}$"


def role_label(name: str) -> str:
    """A legend entry for a resistance: ``R_ct`` -> "charge transfer, $R_\\mathrm{ct}$";
    ``R_int_face`` -> "interphase, $R_\\mathrm{int}$ per face"; ``R2`` -> "$R_2$"."""
    face = name.endswith("_face")
    base = name[: -len("_face")] if face else name
    words = ROLE_WORDS.get(base)
    text = role_symbol(base) if words is None else f"{words}, {role_symbol(base)}"
    return f"{text} per face" if face else text
