"""echem.plot: what is drawn is the data (values, units, aspect), and figures save to PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from echem import DataError, plot

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

FREQ = np.logspace(6, -1, 50)


def rc_parallel(freq: np.ndarray, r0: float, r1: float, c1: float) -> np.ndarray:
    """Analytic R0 + R1 || C1, Ohm."""
    return r0 + r1 / (1 + 1j * 2 * np.pi * freq * r1 * c1)


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


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_nyquist_draws_minus_imaginary_up_with_equal_axes(frame):
    ax = plot.nyquist(frame)
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_xdata(), frame["z_real_ohm"])
    np.testing.assert_allclose(line.get_ydata(), -frame["z_imag_ohm"])
    assert line.get_ydata().max() == pytest.approx(50.0, rel=0.01)  # R1/2 apex
    assert ax.get_aspect() == 1.0
    assert "Ω" in ax.get_xlabel() and "Ω" in ax.get_ylabel()
    assert ax.get_legend().get_texts()[0].get_text() == "cell.mpr #2"
    low, high = ax.get_ylim()
    assert low <= 0.0 <= high


def test_nyquist_overlays_the_fit_over_the_data_range(frame):
    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6) * 1.01
    result = AnalyticFit(z)
    ax = plot.nyquist(frame, fit=result)
    fit_line = ax.lines[1]
    # The model's real part spans R0 .. R0 + R1 over 1e6 .. 0.1 Hz.
    assert fit_line.get_xdata().min() == pytest.approx(10.0, abs=0.1)
    assert fit_line.get_xdata().max() == pytest.approx(110.0, abs=0.1)
    # A FitResult alone draws its data and its model.
    ax2 = plot.nyquist(result)
    assert [ln.get_label() for ln in ax2.lines if ln.get_label().startswith("fit")] == [
        "fit R0-p(R1,C1)"
    ]
    np.testing.assert_allclose(ax2.lines[0].get_xdata(), z.real)


def test_bode_modulus_and_phase(frame):
    ax_mod, ax_phase = plot.bode(frame)
    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6)
    np.testing.assert_allclose(ax_mod.lines[0].get_ydata(), np.abs(z))
    np.testing.assert_allclose(ax_phase.lines[0].get_ydata(), -np.degrees(np.angle(z)))
    assert ax_mod.get_xscale() == "log" and ax_mod.get_yscale() == "log"
    assert "Hz" in ax_phase.get_xlabel() and "°" in ax_phase.get_ylabel()
    assert "Ω" in ax_mod.get_ylabel()
    # One Axes in: the phase goes onto a twin axis.
    fig = matplotlib.figure.Figure()
    single = fig.add_subplot()
    a, b = plot.bode(frame, ax=single)
    assert a is single and b is not single


def test_residuals_are_percent_of_modulus():
    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6)
    bumped = z + 0.02 * np.abs(z)  # +2 % of |Z| on the real part only
    ax = plot.residuals(AnalyticFit(bumped))
    expected = 100 * 0.02 * np.abs(z) / np.abs(bumped)  # relative to the data's |Z|
    np.testing.assert_allclose(ax.lines[0].get_ydata(), expected, rtol=1e-9)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), 0.0, atol=1e-9)
    assert "%" in ax.get_ylabel()


def test_residuals_accepts_a_kk_result():
    class KK:
        freq_Hz = FREQ
        residuals_real = np.full(FREQ.size, 0.001)
        residuals_imag = np.full(FREQ.size, -0.003)

    ax = plot.residuals(KK())
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 0.1)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), -0.3)


def test_fit_report_has_four_panels_and_saves_png(tmp_path):
    result = AnalyticFit(rc_parallel(FREQ, 10.0, 100.0, 1e-6))
    figure = plot.fit_report(result)
    assert len(figure.axes) == 4
    assert "R0-p(R1,C1)" in figure.get_suptitle() and "1.50 h" in figure.get_suptitle()
    path = plot.save(figure, tmp_path / "out" / "fit.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


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
    assert ax.get_xlabel() == "time / h" and "V" in ax.get_ylabel()
    ax_mv = plot.voltage(df, millivolts=True)
    assert ax_mv.lines[0].get_ydata()[0] == pytest.approx(-150.0)


def test_series_plots_named_roles_with_error_bars():
    table = pd.DataFrame(
        {
            "time_s": [0.0, 1800.0, 3600.0],
            "R1": [30.0, 36.0, 42.0],
            "R1_stderr": [1.0, 1.0, 2.0],
            "R2": [250.0, 240.0, 230.0],
        }
    )
    ax = plot.series(table, roles={"R_int": "R1", "R_ct": "R2"})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["R_int", "R_ct"]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [30.0, 36.0, 42.0])
    assert "Ω" in ax.get_ylabel()
    default = plot.series(table)  # every R<number> column
    assert [t.get_text() for t in default.get_legend().get_texts()] == ["R1", "R2"]
    with pytest.raises(DataError, match="R9"):
        plot.series(table, roles=["R9"])


def test_ct_comparison_annotates_fraction_of_theory():
    table = pd.DataFrame(
        {
            "time_h": [1.5, 3.2],
            "theory_volume_um3": [1.0e6, 3.0e6],
            "ct_volume_um3": [0.35e6, 2.4e6],
        }
    )
    ax = plot.ct_comparison(table)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["35 %", "80 %"]
    assert "µm³" in ax.get_ylabel() and "10$^{6}$" in ax.get_ylabel()
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.35, 2.4])


def test_bad_input_is_a_data_error():
    with pytest.raises(DataError):
        plot.nyquist(pd.DataFrame({"time_s": [1.0]}))
    with pytest.raises(DataError):
        plot.voltage(pd.DataFrame({"time_s": [1.0]}))


def test_series_defaults_to_fit_series_role_columns():
    table = pd.DataFrame(
        {
            "time_s": [0.0, 3600.0],
            "R0": [25.0, 25.0],
            "R_int_ohm": [30.0, 42.0],
            "R_int_stderr_ohm": [0.5, 0.7],
            "R_ct_ohm": [250.0, 230.0],
            "R_ct_stderr_ohm": [2.0, 3.0],
        }
    )
    ax = plot.series(table)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["R_int", "R_ct"]
    # error bars: the vertical segments span value +- stderr
    segments = ax.containers[0].lines[2][0].get_segments()
    np.testing.assert_allclose([s[:, 1] for s in segments], [[29.5, 30.5], [41.3, 42.7]])


def test_fit_report_of_a_real_fit(tmp_path):
    from echem.eis import fit

    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6)
    result = fit(FREQ, z, "R0-p(R1,C1)")
    figure = plot.fit_report(result)
    nyquist_axes = figure.axes[0]
    fit_line = next(ln for ln in nyquist_axes.lines if ln.get_label().startswith("fit"))
    model = result.predict(np.logspace(-1, 6, 300))
    np.testing.assert_allclose(fit_line.get_xdata(), model.real, rtol=1e-9)
    np.testing.assert_allclose(fit_line.get_xdata()[[0, -1]], [110.0, 10.0], rtol=1e-3)
    residual_axes = figure.axes[3]
    assert np.abs(residual_axes.lines[0].get_ydata()).max() < 0.01  # exact data: < 0.01 %
    assert plot.save(figure, tmp_path / "fit.png").stat().st_size > 10_000


def _png_pixels(figure, path):
    from PIL import Image

    plot.save(figure, path, close=False)
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
    assert again is reused and len(reused.axes) == 4
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
