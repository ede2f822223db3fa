"""echem.plot operando figures (echem/plot/operando.py): voltage, arc resistances over time
(in words, Ω·cm² with an area) and CT against theory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from plot._figures import clipped_texts

from echem import DataError, plot
from echem.plot._style import PALETTE

AREA_CM2 = 0.785


def test_voltage_in_hours_with_short_circuit_marker():
    t = np.arange(0.0, 4 * 3600.0, 60.0)
    v = np.where(t < 11520.0, -0.15, -0.003)
    df = pd.DataFrame({"time_s": t, "voltage_V": v})
    ax = plot.voltage(df, short_circuit={"time_s": 11520.0})
    np.testing.assert_allclose(ax.lines[0].get_xdata(), t / 3600.0)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), v)
    marks = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert marks and marks[0].get_xdata()[0] == pytest.approx(3.2)
    assert any("3.20 h" in text.get_text() for text in ax.texts)
    assert ax.get_xlabel() == "time $t$ / h" and ax.get_ylabel() == "voltage $U$ / V"
    assert not clipped_texts(ax.figure)
    ax_mv = plot.voltage(df, millivolts=True)
    assert ax_mv.lines[0].get_ydata()[0] == pytest.approx(-150.0)
    assert ax_mv.get_ylabel() == "voltage $U$ / mV"


def _lines(ax):
    """The data line of each series drawn with error bars (not their caps)."""
    return [container.lines[0] for container in ax.containers]


@pytest.fixture
def fitted() -> pd.DataFrame:
    """The columns of a fit_series table of a symmetric cell, made with an area."""
    r_int, r_ct = np.array([30.0, 42.0]), np.array([250.0, 230.0])
    return pd.DataFrame(
        {
            "time_s": [0.0, 3600.0],
            "R0": [25.0, 25.0],
            "R_int_ohm": r_int,
            "R_int_stderr_ohm": [0.5, 0.7],
            "R_int_ohm_cm2": r_int * AREA_CM2,
            "R_int_face_ohm": r_int / 2,
            "R_ct_ohm": r_ct,
            "R_ct_stderr_ohm": [2.0, 3.0],
            "R_ct_ohm_cm2": r_ct * AREA_CM2,
            "R_ct_face_ohm": r_ct / 2,
            "R_bulk_ohm": [25.0, 25.0],
            "R_bulk_stderr_ohm": [0.1, 0.1],
            "R_bulk_ohm_cm2": [25.0 * AREA_CM2] * 2,
        }
    )


def test_series_legend_says_what_each_resistance_is(fitted):
    ax = plot.series(fitted)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        r"interphase, $R_{\mathrm{int}}$",
        r"charge transfer, $R_{\mathrm{ct}}$",
        r"bulk electrolyte, $R_{\mathrm{bulk}}$",
    ]
    assert not any("_" in label.replace("R_{", "") for label in labels)  # no column names
    faces = plot.series(fitted, per_face=True)
    assert [t.get_text() for t in faces.get_legend().get_texts()] == [
        r"interphase, $R_{\mathrm{int}}$ per face",
        r"charge transfer, $R_{\mathrm{ct}}$ per face",
        r"bulk electrolyte, $R_{\mathrm{bulk}}$",
    ]
    np.testing.assert_allclose(_lines(faces)[0].get_ydata(), [15 * AREA_CM2, 21 * AREA_CM2])


def test_series_in_ohm_cm2_from_the_table_or_an_explicit_area(fitted):
    """A fit_series table made with an area gives Ω·cm² by itself; values and error bars
    are the resistances times the area."""
    ax = plot.series(fitted)
    assert ax.get_ylabel() == "resistance $R$ / Ω·cm²"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), fitted["R_int_ohm_cm2"])
    segments = ax.containers[0].lines[2][0].get_segments()
    expected = [[29.5 * AREA_CM2, 30.5 * AREA_CM2], [41.3 * AREA_CM2, 42.7 * AREA_CM2]]
    np.testing.assert_allclose([s[:, 1] for s in segments], expected)
    ohm_only = fitted.drop(columns=[c for c in fitted if c.endswith("_cm2")])
    in_ohm = plot.series(ohm_only)
    assert in_ohm.get_ylabel() == "resistance $R$ / Ω"
    np.testing.assert_allclose(in_ohm.lines[0].get_ydata(), [30.0, 42.0])
    given = plot.series(ohm_only, area_cm2=2.0)
    np.testing.assert_allclose(_lines(given)[1].get_ydata(), [500.0, 460.0])
    assert given.get_ylabel() == "resistance $R$ / Ω·cm²"


def test_series_series_differ_in_colour_marker_and_line_style(fitted):
    ax = plot.series(fitted)
    lines = _lines(ax)
    assert [ln.get_color() for ln in lines] == list(PALETTE[: len(lines)])
    assert len({ln.get_marker() for ln in lines}) == len(lines)
    assert len({str(ln.get_linestyle()) for ln in lines}) == len(lines)
    assert not clipped_texts(ax.figure)


def test_series_plots_named_roles_with_error_bars():
    table = pd.DataFrame(
        {
            "time_s": [0.0, 1800.0, 3600.0],
            "R1": [30.0, 36.0, 42.0],
            "R1_stderr": [1.0, 1.0, 2.0],
            "R2": [250.0, 240.0, 230.0],
        }
    )
    ax = plot.series(table, roles={"interphase": "R1", "charge transfer": "R2"})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["interphase", "charge transfer"]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [30.0, 36.0, 42.0])
    assert "Ω" in ax.get_ylabel()
    default = plot.series(table)  # every R<number> column
    assert [t.get_text() for t in default.get_legend().get_texts()] == ["$R_{1}$", "$R_{2}$"]
    with pytest.raises(DataError, match="R9"):
        plot.series(table, roles=["R9"])


def test_ct_comparison_annotates_fraction_of_theory():
    table = pd.DataFrame(
        {
            "time_h": [0.5, 1.5, 3.2],
            "theory_volume_um3": [0.5e6, 1.0e6, 3.0e6],
            "ct_volume_um3": [0.15e6, 0.35e6, 2.4e6],
        }
    )
    ax = plot.ct_comparison(table)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["30 %", "35 %", "80 %"]
    assert ax.get_ylabel() == "Li volume $V$ / 10$^{6}$ µm³"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.15, 0.35, 2.4])
    assert "X-ray CT" in ax.get_legend().get_texts()[1].get_text()
    assert not clipped_texts(ax.figure)
    # the percentages stay inside the axes (the first scan's too)
    figure = ax.figure
    renderer = figure.canvas.get_renderer()
    for text in ax.texts:
        box = text.get_window_extent(renderer)
        assert ax.bbox.x0 <= box.x0 and box.x1 <= ax.bbox.x1
        assert ax.bbox.y0 <= box.y0 and box.y1 <= ax.bbox.y1


def test_bad_input_is_a_data_error():
    with pytest.raises(DataError):
        plot.voltage(pd.DataFrame({"time_s": [1.0]}))
