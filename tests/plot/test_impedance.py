"""echem.plot impedance figures (echem/plot/impedance.py): what is drawn is the data (values,
units, aspect, Ω·cm² with an area), labels say what it is, and nothing is clipped or covered."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from plot._figures import FREQ, clipped_texts, rc_parallel, two_arcs

from echem import DataError, plot
from echem.plot._style import DATA_COLOUR, FIT_COLOUR

AREA_CM2 = 0.785


class AnalyticFit:
    """The attributes of a FitResult that the plots read, from an analytic model."""

    circuit = "R0-p(R1,C1)"
    chisqr = 2.5e-4
    time_s = 5400.0

    def __init__(self, z: np.ndarray):
        self.freq_Hz = FREQ
        self.z = z

    def predict(self, freq: np.ndarray) -> np.ndarray:
        return rc_parallel(np.asarray(freq), 10.0, 100.0, 1e-6)

    @property
    def residuals(self) -> np.ndarray:
        return (self.z - self.predict(self.freq_Hz)) / np.abs(self.z)


@pytest.fixture
def frame() -> pd.DataFrame:
    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6)
    df = pd.DataFrame({"freq_Hz": FREQ, "z_real_ohm": z.real, "z_imag_ohm": z.imag})
    df.attrs.update(source="cell.mpr", sweep=2)
    return df


def test_nyquist_draws_minus_imaginary_up_with_equal_axes(frame):
    ax = plot.nyquist(frame)
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_xdata(), frame["z_real_ohm"])
    np.testing.assert_allclose(line.get_ydata(), -frame["z_imag_ohm"])
    assert line.get_ydata().max() == pytest.approx(50.0, rel=0.01)  # R1/2 apex
    assert ax.get_aspect() == 1.0
    assert ax.get_xlabel() == "$Z'$ / Ω" and ax.get_ylabel() == "$-Z''$ / Ω"
    assert ax.get_legend().get_texts()[0].get_text() == "cell.mpr, sweep 2"
    low, high = ax.get_ylim()
    assert low <= 0.0 <= high
    assert line.get_color() == DATA_COLOUR


def test_nyquist_has_equal_scales_once_drawn(frame):
    """Equal aspect means one Ω is as long on both axes in the rendered figure."""
    ax = plot.nyquist(frame)
    ax.figure.canvas.draw()
    (x0, y0), (x1, y1) = ax.transData.transform([[0.0, 0.0], [100.0, 100.0]])
    assert x1 - x0 == pytest.approx(y1 - y0, rel=1e-6)


def test_nyquist_with_an_area_draws_z_times_area_in_ohm_cm2(frame):
    result = AnalyticFit(rc_parallel(FREQ, 10.0, 100.0, 1e-6))
    ax = plot.nyquist(frame, fit=result, area_cm2=AREA_CM2)
    data, model = ax.lines[0], ax.lines[1]
    np.testing.assert_allclose(data.get_xdata(), frame["z_real_ohm"] * AREA_CM2)
    np.testing.assert_allclose(data.get_ydata(), -frame["z_imag_ohm"] * AREA_CM2)
    dense = np.logspace(-1, 6, 300)
    np.testing.assert_allclose(model.get_xdata(), result.predict(dense).real * AREA_CM2)
    assert ax.get_xlabel() == "$Z'$ / Ω·cm²" and ax.get_ylabel() == "$-Z''$ / Ω·cm²"
    assert ax.get_aspect() == 1.0
    with pytest.raises(DataError, match="area_cm2"):
        plot.nyquist(frame, area_cm2=0.0)


def test_nyquist_overlays_the_fit_over_the_data_range(frame):
    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6) * 1.01
    result = AnalyticFit(z)
    ax = plot.nyquist(frame, fit=result)
    fit_line = ax.lines[1]
    # The model's real part spans R0 .. R0 + R1 over 1e6 .. 0.1 Hz.
    assert fit_line.get_xdata().min() == pytest.approx(10.0, abs=0.1)
    assert fit_line.get_xdata().max() == pytest.approx(110.0, abs=0.1)
    assert fit_line.get_color() == FIT_COLOUR
    # A FitResult alone draws its data and its model.
    ax2 = plot.nyquist(result)
    assert [ln.get_label() for ln in ax2.lines if ln.get_label().startswith("fit")] == [
        "fit, R0-p(R1,C1)"
    ]
    np.testing.assert_allclose(ax2.lines[0].get_xdata(), z.real)


def test_spectra_drawn_into_one_axes_differ_in_colour_and_marker(frame):
    """An operando series overlaid: each sweep its own colour and marker, every fit one line
    style (vermillion), so sweeps are told apart in colour and in grey."""
    ax = plot.nyquist(frame, fit=AnalyticFit(rc_parallel(FREQ, 10.0, 100.0, 1e-6)))
    for scale in (1.2, 1.4):
        frame_k = frame.assign(z_real_ohm=frame["z_real_ohm"] * scale)
        plot.nyquist(frame_k, ax=ax, fit=AnalyticFit(rc_parallel(FREQ, 10.0, 100.0, 1e-6)))
    data = [ln for ln in ax.lines if ln.get_linestyle() == "None"]
    fits = [ln for ln in ax.lines if ln.get_label().startswith("fit")]
    assert len(data) == 3 and len(fits) == 3
    assert data[0].get_color() == DATA_COLOUR
    assert len({ln.get_color() for ln in data}) == 3
    assert len({ln.get_marker() for ln in data}) == 3
    assert {ln.get_color() for ln in fits} == {FIT_COLOUR}
    assert FIT_COLOUR not in {ln.get_color() for ln in data}
    assert not ax.texts  # the first one's frequency labels went: the others cover them
    x_low, x_high = ax.get_xlim()
    for line in data:  # every spectrum in view, not only the last
        assert x_low < line.get_xdata().min() and line.get_xdata().max() < x_high


def test_decade_labels_cover_no_point_no_line_and_no_other_label():
    """What a reviewer objects to first: frequency labels written over the data."""
    z = two_arcs(FREQ)
    result = AnalyticFit(z)
    result.predict = two_arcs
    ax = plot.nyquist((FREQ, z), fit=result)
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text().endswith("Hz")]
    assert len(labels) >= 3  # the spectrum is labelled, not left bare
    boxes = [t.get_window_extent(renderer) for t in labels]
    drawn = np.vstack([ln.get_xydata() for ln in ax.lines[:2]])
    pixels = ax.transData.transform(drawn)
    for text, box in zip(labels, boxes, strict=True):
        inside = (
            (pixels[:, 0] > box.x0)
            & (pixels[:, 0] < box.x1)
            & (pixels[:, 1] > box.y0)
            & (pixels[:, 1] < box.y1)
        )
        assert not inside.any(), f"{text.get_text()!r} covers the data"
        assert ax.bbox.contains(box.x0, box.y0) and ax.bbox.contains(box.x1, box.y1)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    assert not clipped_texts(figure)


def test_bode_modulus_and_phase(frame):
    ax_mod, ax_phase = plot.bode(frame)
    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6)
    np.testing.assert_allclose(ax_mod.lines[0].get_ydata(), np.abs(z))
    np.testing.assert_allclose(ax_phase.lines[0].get_ydata(), -np.degrees(np.angle(z)))
    assert ax_mod.get_xscale() == "log" and ax_mod.get_yscale() == "log"
    assert ax_phase.get_xlabel() == "frequency $f$ / Hz"
    assert ax_phase.get_ylabel() == r"phase $-\varphi$ / °"
    assert ax_mod.get_ylabel() == "$|Z|$ / Ω"
    assert not clipped_texts(ax_mod.figure)
    # One Axes in: the phase goes onto a twin axis, with its own marker and colour.
    fig = matplotlib.figure.Figure()
    single = fig.add_subplot()
    a, b = plot.bode(frame, ax=single)
    assert a is single and b is not single
    assert a.lines[0].get_marker() != b.lines[0].get_marker()
    assert a.lines[0].get_color() != b.lines[0].get_color()
    labels = [t.get_text() for t in a.get_legend().get_texts()]
    assert labels == ["$|Z|$", r"$-\varphi$"]


def test_bode_with_an_area_scales_the_modulus_only(frame):
    ax_mod, ax_phase = plot.bode(frame, area_cm2=AREA_CM2)
    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6)
    np.testing.assert_allclose(ax_mod.lines[0].get_ydata(), np.abs(z) * AREA_CM2)
    np.testing.assert_allclose(ax_phase.lines[0].get_ydata(), -np.degrees(np.angle(z)))
    assert ax_mod.get_ylabel() == "$|Z|$ / Ω·cm²"


def test_residuals_are_percent_of_modulus():
    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6)
    bumped = z + 0.02 * np.abs(z)  # +2 % of |Z| on the real part only
    ax = plot.residuals(AnalyticFit(bumped))
    expected = 100 * 0.02 * np.abs(z) / np.abs(bumped)  # relative to the data's |Z|
    np.testing.assert_allclose(ax.lines[0].get_ydata(), expected, rtol=1e-9)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), 0.0, atol=1e-9)
    assert ax.get_ylabel() == "residual / % of $|Z|$"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["real", "imaginary"]
    real, imaginary = ax.lines[:2]
    assert real.get_marker() != imaginary.get_marker()
    assert real.get_linestyle() != imaginary.get_linestyle()  # reads in grey print


def test_residuals_accepts_a_kk_result():
    class KK:
        freq_Hz = FREQ
        residuals_real = np.full(FREQ.size, 0.001)
        residuals_imag = np.full(FREQ.size, -0.003)

    ax = plot.residuals(KK())
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 0.1)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), -0.3)


def test_fit_report_has_its_panels_and_saves_png(tmp_path):
    result = AnalyticFit(rc_parallel(FREQ, 10.0, 100.0, 1e-6))
    figure = plot.fit_report(result)
    assert [ax.get_label() for ax in figure.axes] == [
        "nyquist",
        "modulus",
        "phase",
        "residuals",
        "values",
    ]
    assert "R0-p(R1,C1)" in figure.get_suptitle() and "1.50 h" in figure.get_suptitle()
    path = plot.save(figure, tmp_path / "out" / "fit.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_fit_report_of_a_real_fit(tmp_path):
    from echem.eis import fit

    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6)
    result = fit(FREQ, z, "R0-p(R1,C1)")
    figure = plot.fit_report(result, area_cm2=AREA_CM2)
    nyquist_axes = figure.axes[0]
    fit_line = next(ln for ln in nyquist_axes.lines if ln.get_label().startswith("fit"))
    model = result.predict(np.logspace(-1, 6, 300))
    np.testing.assert_allclose(fit_line.get_xdata(), model.real * AREA_CM2, rtol=1e-9)
    np.testing.assert_allclose(
        fit_line.get_xdata()[[0, -1]], [110 * AREA_CM2, 10 * AREA_CM2], rtol=1e-3
    )
    assert "Ω·cm²" in nyquist_axes.get_xlabel() and "Ω·cm²" in figure.axes[1].get_ylabel()
    residual_axes = figure.axes[3]
    assert np.abs(residual_axes.lines[0].get_ydata()).max() < 0.01  # exact data: < 0.01 %
    (values,) = figure.axes[4].texts
    assert "R1 = 100 ± " in " ".join(values.get_text().split())  # fitted values, in Ω
    assert not clipped_texts(figure)
    assert plot.save(figure, tmp_path / "fit.png", dpi=72).stat().st_size > 10_000


def _png_pixels(figure, path):
    from PIL import Image

    plot.save(figure, path, close=False, dpi=60)
    with Image.open(path) as image:
        return np.asarray(image).copy()


def test_fit_report_into_a_reused_figure_draws_the_same_pixels(tmp_path):
    """echem fit draws every report of a batch into one figure (its axes emptied, not
    rebuilt): what it draws must be what a new figure shows."""
    first = AnalyticFit(rc_parallel(FREQ, 10.0, 100.0, 1e-6))
    second = AnalyticFit(rc_parallel(FREQ, 2e3, 5e4, 3e-9) * (1 + 0.03 * np.sin(np.arange(50))))
    second.circuit, second.chisqr, second.time_s = "R0-p(R1,CPE1)", 0.37, float("nan")

    class KK:
        valid, pseudo_chisqr = False, 1.2e-3

    reused = plot.fit_report(first)
    _png_pixels(reused, tmp_path / "first.png")
    again = plot.fit_report(second, kk=KK(), figure=reused)
    assert again is reused and len(reused.axes) == 5
    fresh = plot.fit_report(second, kk=KK())
    assert reused.get_suptitle() == fresh.get_suptitle() and "NOT valid" in fresh.get_suptitle()
    for old, new in zip(reused.axes, fresh.axes, strict=True):
        assert [ln.get_label() for ln in old.lines] == [ln.get_label() for ln in new.lines]
        assert old.get_xlim() == new.get_xlim() and old.get_ylim() == new.get_ylim()
        assert [t.get_text() for t in old.texts] == [t.get_text() for t in new.texts]
        assert [ln.get_color() for ln in old.lines] == [ln.get_color() for ln in new.lines]
    np.testing.assert_array_equal(
        _png_pixels(reused, tmp_path / "reused.png"), _png_pixels(fresh, tmp_path / "fresh.png")
    )


def test_fit_report_refuses_a_figure_it_did_not_make():
    import matplotlib.pyplot as plt

    with pytest.raises(DataError, match="figure="):
        plot.fit_report(AnalyticFit(rc_parallel(FREQ, 10.0, 100.0, 1e-6)), figure=plt.figure())


def test_bad_input_is_a_data_error():
    with pytest.raises(DataError):
        plot.nyquist(pd.DataFrame({"time_s": [1.0]}))
