"""echem.plot.drt (echem/plot/relaxation.py): the curve drawn is γ, peaks and window marked."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from plot._figures import clipped_texts

import echem
from echem import DataError

FREQ = np.geomspace(3e6, 0.1, 76)


@pytest.fixture(scope="module")
def result():
    omega = 2 * np.pi * FREQ
    z = 10 + 100 / (1 + (1j * omega * 1e-5) ** 0.9) + 200 / (1 + (1j * omega * 1e-2) ** 0.8)
    return echem.eis.drt(FREQ, z)


def test_draws_gamma_against_tau_on_a_log_axis(result, tmp_path):
    ax = echem.plot.drt(result)
    line = ax.get_lines()[0]
    assert np.array_equal(line.get_xdata(), result.tau_s)
    assert np.array_equal(line.get_ydata(), result.gamma_ohm)
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == r"relaxation time $\tau$ / s"
    assert ax.get_ylabel() == r"$\gamma$ / Ω"
    assert ax.get_ylim()[0] == 0.0
    assert not clipped_texts(ax.figure)
    path = echem.plot.save(ax.figure, tmp_path / "drt.png", dpi=72)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_with_an_area_gamma_and_the_peaks_are_in_ohm_cm2(result):
    ax = echem.plot.drt(result, area_cm2=0.785)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), result.gamma_ohm * 0.785)
    assert ax.get_ylabel() == r"$\gamma$ / Ω·cm²"
    texts = [t.get_text() for t in ax.texts]
    for R in result.peaks["R_ohm"]:
        assert any(f"{echem.plot._style.number(R * 0.785)} Ω·cm²" in text for text in texts)


def test_peak_labels_and_legend_do_not_overlap(result):
    ax = echem.plot.drt(result)
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    for text in ax.texts:
        assert not text.get_window_extent(renderer).overlaps(legend), text.get_text()


def test_marks_each_peak_with_its_tau_and_r(result):
    ax = echem.plot.drt(result)
    markers = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert len(markers) == len(result.peaks) == 2
    tops = sorted(float(m.get_xdata()[0]) for m in markers)
    assert np.allclose(tops, result.peaks["tau_s"])
    texts = [t.get_text() for t in ax.texts]
    for R in result.peaks["R_ohm"]:
        assert any(f"{echem.plot._style.number(R)} Ω" in text for text in texts)
    assert not echem.plot.drt(result, peaks=False).texts


def test_shades_what_lies_outside_the_measured_window(result):
    ax = echem.plot.drt(result)
    spans = [p for p in ax.patches]
    assert len(spans) == 2
    window_low, window_high = 1 / (2 * np.pi * FREQ.max()), 1 / (2 * np.pi * FREQ.min())
    edges = sorted(x for p in spans for x in (p.get_x(), p.get_x() + p.get_width()))
    assert edges[1] == pytest.approx(window_low)
    assert edges[2] == pytest.approx(window_high)


def test_draws_into_given_axes_and_rejects_other_objects(result):
    figure = matplotlib.figure.Figure()
    ax = figure.add_subplot()
    assert echem.plot.drt(result, ax=ax) is ax
    with pytest.raises(DataError, match="DRT"):
        echem.plot.drt(object())


def test_the_drt_model_draws_on_a_nyquist_plot(result):
    ax = echem.plot.nyquist((result.freq_Hz, result.z), fit=result)
    model = ax.get_lines()[1]
    assert "DRT" in model.get_label()
    assert np.max(-model.get_ydata()) < 0  # capacitive arcs above the axis: -Z'' > 0


def test_the_legend_gives_what_gamma_does_not_show():
    """R∞ (and C for a blocking tail) are not in γ: the default label gives them; a zero DRT
    (a resistor) gets a y axis from 0, not -0.05..0.05 as before."""
    omega = 2 * np.pi * FREQ
    z = 10 + 100 / (1 + (1j * omega * 1e-5) ** 0.9) + 1 / (1j * omega * 1e-4)
    result = echem.eis.drt(FREQ, z)
    label = echem.plot.drt(result).get_lines()[0].get_label()
    assert f"$R_\\infty$ = {result.R_inf_ohm:.4g} Ω" in label
    assert f"C = {result.C_F:.3g} F" in label
    flat = echem.eis.drt(FREQ, np.full(FREQ.size, 50.0 + 0j))
    assert echem.plot.drt(flat).get_ylim() == (0.0, 1.0)
