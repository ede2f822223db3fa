"""echem/plot/_style.py: the Okabe–Ito palette everywhere, series that read in grey print,
labels with units and subscripts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgb
from plot._figures import FREQ, two_arcs

import echem
from echem import plot
from echem.plot._style import (
    LINESTYLES,
    MARKERS,
    OKABE_ITO,
    PALETTE,
    number,
    role_label,
    role_symbol,
    series_style,
)

#: Okabe & Ito (2008), "Color Universal Design", as published (RGB 0-255).
PUBLISHED = {
    "black": (0, 0, 0),
    "orange": (230, 159, 0),
    "sky blue": (86, 180, 233),
    "bluish green": (0, 158, 115),
    "yellow": (240, 228, 66),
    "blue": (0, 114, 178),
    "vermillion": (213, 94, 0),
    "reddish purple": (204, 121, 167),
}

#: matplotlib's default cycle ('tab10'), which is not safe for colour-blind readers.
TAB10 = {to_hex(f"C{i}") for i in range(10)}


def test_the_palette_is_okabe_ito():
    for name, rgb in PUBLISHED.items():
        assert np.allclose(np.array(to_rgb(OKABE_ITO[name])) * 255, rgb, atol=0.5), name
    assert set(PALETTE) <= set(OKABE_ITO.values())
    assert OKABE_ITO["yellow"] not in PALETTE  # too pale for lines on white paper
    assert not {c.lower() for c in PALETTE} & TAB10


def test_series_differ_in_colour_marker_and_line_style():
    styles = [series_style(i) for i in range(len(PALETTE))]
    for key in ("color", "marker", "linestyle"):
        values = [str(style[key]) for style in styles]
        assert len(set(values)) == len(values), key
    assert len(MARKERS) == len(LINESTYLES) == len(PALETTE)
    assert series_style(len(PALETTE)) == series_style(0)


def _is_grey(colour) -> bool:
    r, g, b = to_rgb(colour)
    return abs(r - g) < 1e-6 and abs(g - b) < 1e-6


def _colours(figure) -> set[str]:
    """Every colour a line, marker or text of ``figure`` is drawn in, except greys."""
    found = set()
    for ax in figure.axes:
        for line in ax.get_lines():
            for colour in (line.get_color(), line.get_markeredgecolor()):
                if colour not in ("none", "white") and not _is_grey(colour):
                    found.add(to_hex(colour))
        for text in ax.texts:
            if not _is_grey(text.get_color()):
                found.add(to_hex(text.get_color()))
    return found


def test_every_figure_draws_in_the_palette():
    z = two_arcs(FREQ)
    frame = pd.DataFrame({"freq_Hz": FREQ, "z_real_ohm": z.real, "z_imag_ohm": z.imag})
    result = echem.eis.fit(frame, "R0-p(R1,CPE1)-p(R2,CPE2)")
    drt = echem.eis.drt(FREQ, z)
    table = pd.DataFrame(
        {"time_s": [0, 3600], "R_int_ohm": [30.0, 40.0], "R_ct_ohm": [200.0, 100.0]}
    )
    ct = pd.DataFrame(
        {"time_h": [1.0, 2.0], "theory_volume_um3": [1e6, 2e6], "ct_volume_um3": [3e5, 1e6]}
    )
    operando = pd.DataFrame({"time_s": np.arange(0, 7200, 60.0), "voltage_V": -0.1})
    figures = [
        plot.nyquist(frame, fit=result).figure,
        plot.bode(frame, fit=result)[0].figure,
        plot.residuals(result).figure,
        plot.fit_report(result, kk=result.kk),
        plot.drt(drt).figure,
        plot.series(table).figure,
        plot.ct_comparison(ct).figure,
        plot.voltage(operando, short_circuit=3600.0).figure,
    ]
    allowed = {c.lower() for c in OKABE_ITO.values()}
    for figure in figures:
        colours = _colours(figure)
        assert colours, "nothing coloured drawn"
        assert colours <= allowed, colours - allowed


@pytest.mark.parametrize(
    ("name", "symbol", "label"),
    [
        ("R_int", r"$R_{\mathrm{int}}$", r"interphase, $R_{\mathrm{int}}$"),
        ("R_ct", r"$R_{\mathrm{ct}}$", r"charge transfer, $R_{\mathrm{ct}}$"),
        ("R_bulk", r"$R_{\mathrm{bulk}}$", r"bulk electrolyte, $R_{\mathrm{bulk}}$"),
        ("R_int_face", None, r"interphase, $R_{\mathrm{int}}$ per face"),
        ("R2", "$R_{2}$", "$R_{2}$"),
        ("R_sei", r"$R_{\mathrm{sei}}$", r"$R_{\mathrm{sei}}$"),
        ("bulk$", r"bulk\$", r"bulk\$"),
    ],
)
def test_role_symbols_and_legend_labels(name, symbol, label):
    if symbol is not None:
        assert role_symbol(name) == symbol
    assert role_label(name) == label


def test_role_symbols_render_as_subscripts():
    """mathtext parses them (a bad one would raise at draw time, losing the figure)."""
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    for name in ("R_int", "R_ct", "R_bulk", "R_gb", "R_reaction", "R0"):
        parser.parse(role_symbol(name))


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (4.8e-7, 2, r"$4.8\times10^{-7}$"),
        (0.0014, 2, "0.0014"),
        (143.2, 3, "143"),
        (143.2, 2, "140"),
        (9.996e-5, 3, r"$1\times10^{-4}$"),
        (2.5e5, 3, r"$2.5\times10^{5}$"),
        (-3.2e-9, 2, r"$-3.2\times10^{-9}$"),
        (0.0, 3, "0"),
    ],
)
def test_numbers_print_without_e_notation(value, digits, text):
    assert number(value, digits) == text
