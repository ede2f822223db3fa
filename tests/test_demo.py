"""The operando fixtures (generator, package copy, reading) and the seed workflow (`echem demo`)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import FIXTURES

import echem
from echem.cli import main
from echem.demo import DATA_FILES, FIGURES, data_dir, run_demo

sys.path.insert(0, str(FIXTURES))
import make_fixtures as truth  # noqa: E402  (the generator's analytic model: independent of echem)

OPERANDO = FIXTURES / "operando"


def test_generator_is_deterministic_and_fixtures_are_the_package_data(tmp_path):
    written = truth.write_dataset(tmp_path)
    assert sorted(p.name for p in written) == sorted(DATA_FILES.values())
    assert OPERANDO.resolve() == data_dir().resolve(), "fixtures/operando must link to echem/data"
    for path in written:
        committed = (OPERANDO / path.name).read_bytes()
        assert path.read_bytes() == committed, f"{path.name} differs from the committed fixture"
    assert sum(p.stat().st_size for p in OPERANDO.iterdir()) < 300_000


def test_plating_record_reads_as_written():
    df = echem.read(OPERANDO / DATA_FILES["plating"])
    assert df.attrs["format"] == "biologic-mpt" and df.attrs["technique"] == "galvanostatic"
    assert df.attrs["metadata"]["electrode_area_cm2"] == pytest.approx(truth.AREA_CM2)
    np.testing.assert_allclose(np.diff(df["time_s"]), truth.RECORD_DT_S)
    np.testing.assert_allclose(
        df["current_A"], truth.CURRENT_MA * 1e-3, rtol=5 * truth.CURRENT_NOISE_REL
    )
    before = df["time_s"] < truth.SHORT_TIME_S
    t_h = df.loc[before, "time_s"].to_numpy() / 3600
    expected = truth.CURRENT_MA * 1e-3 * truth.dc_resistance_ohm(t_h)
    np.testing.assert_allclose(df.loc[before, "voltage_V"], expected, atol=2e-3)
    assert df.loc[~before, "voltage_V"].abs().max() < 5e-3  # a few mV after the short


def test_impedance_sweeps_read_as_the_analytic_model():
    sweeps = echem.eis.spectra(echem.read(OPERANDO / DATA_FILES["impedance"]))
    assert len(sweeps) == len(truth.EIS_TIMES_H)
    for sweep, t_h in zip(sweeps, truth.EIS_TIMES_H, strict=True):
        freq = sweep["freq_Hz"].to_numpy()
        assert freq.max() == pytest.approx(3e6) and freq.min() == pytest.approx(0.1)
        assert sweep["time_s"].iloc[0] == pytest.approx(t_h * 3600)
        z = sweep["z_real_ohm"].to_numpy() + 1j * sweep["z_imag_ohm"].to_numpy()
        model = truth.cell_impedance(freq, t_h)
        relative = np.abs(z - model) / np.abs(model)
        assert np.sqrt(np.mean(relative**2)) == pytest.approx(
            truth.EIS_NOISE_REL * np.sqrt(2), rel=0.3
        )


@pytest.fixture(scope="module")
def demo():
    return run_demo(out=None)


def test_demo_detects_the_short_and_counts_the_charge(demo):
    assert demo.short_circuit_s == pytest.approx(truth.SHORT_TIME_S, abs=truth.RECORD_DT_S)
    expected_C = truth.CURRENT_MA * 1e-3 * truth.SHORT_TIME_S
    assert demo.charge_C == pytest.approx(expected_C, rel=2e-3)
    # GUIDE §4 check: 0.8 mA cm^-2 for 3.2 h is 12.41 um of Li.
    thickness_um = demo.theory_volume_um3 / (truth.AREA_CM2 * 1e8)
    assert thickness_um == pytest.approx(12.41, abs=0.03)


def test_demo_resistances_follow_the_generator(demo):
    table = demo.resistances
    hours = table["time_s"].to_numpy() / 3600
    np.testing.assert_allclose(hours, truth.EIS_TIMES_H, atol=1e-6)
    np.testing.assert_allclose(table["R_int_ohm"], truth.r_int_ohm(hours), rtol=0.03)
    np.testing.assert_allclose(table["R_ct_ohm"], truth.r_ct_ohm(hours), rtol=0.03)
    np.testing.assert_allclose(table["R_int_C_F"], truth.C_INT_F, rtol=0.15)
    np.testing.assert_allclose(table["R_ct_C_F"], truth.C_CT_F, rtol=0.15)
    assert table["kk_valid"].all()


def test_demo_ct_fraction_of_theory(demo):
    fractions = dict(zip(truth.CT_TIMES_H, truth.CT_FRACTION_OF_THEORY, strict=True))
    ct = demo.ct
    assert list(ct["time_h"].round(2)) == list(truth.CT_TIMES_H)
    for t_h, ratio in zip(ct["time_h"], ct["ct_to_theory"], strict=True):
        assert ratio == pytest.approx(fractions[round(float(t_h), 2)], abs=0.03)
    # Theory over the imaged area, computed by the generator from GUIDE §3 constants.
    expected = truth.theoretical_li_volume_um3(np.array(truth.CT_TIMES_H), truth.CT_IMAGED_AREA_CM2)
    np.testing.assert_allclose(ct["theory_volume_cm3"] * 1e12, expected, rtol=2e-3)


def test_demo_figures_are_titled_for_a_reader_and_in_ohm_cm2(demo):
    """No internal references ("cf. seed Fig. 2a") in titles, Li3PS4 with subscripts,
    legends in words, resistances area-specific (the demo knows the electrode area)."""
    from echem.demo import figures

    drawn = figures(demo)
    assert set(drawn) == set(FIGURES)
    for figure in drawn.values():
        (ax,) = figure.axes
        title = ax.get_title()
        assert title and "cf." not in title and "seed" not in title and "Fig" not in title
        assert "Li3PS4" not in title
        legend = ax.get_legend()
        if legend is not None:
            texts = [t.get_text() for t in legend.get_texts()]
            assert not [t for t in texts if "_ohm" in t or "_face" in t or "R_bulk" in t]
    assert "Li$_3$PS$_4$" in drawn["voltage"].axes[0].get_title()
    resistances = drawn["resistances"].axes[0]
    assert resistances.get_ylabel() == "resistance $R$ / Ω·cm²"
    r_int = resistances.containers[0].lines[0].get_ydata()
    np.testing.assert_allclose(r_int, demo.resistances["R_int_ohm"] * truth.AREA_CM2)
    np.testing.assert_allclose(r_int, demo.resistances["R_int_ohm_cm2"])
    import matplotlib.pyplot as plt

    plt.close("all")


def test_demo_writes_vector_figures_when_asked(tmp_path):
    import xml.etree.ElementTree as ET

    result = run_demo(tmp_path, figure_format="svg")
    for key, name in FIGURES.items():
        path = result.figures[key]
        assert path.name == name.replace(".png", ".svg")
        assert ET.parse(path).getroot().tag.endswith("svg")
    assert "time $t$ / h" in result.figures["voltage"].read_text(encoding="utf-8")


def test_echem_demo_writes_figures_and_tables(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "short circuit: at 3.20 h" in printed
    for name in FIGURES.values():
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    for name in ("resistances.csv", "ct_comparison.csv", "summary.txt"):
        assert (out / name).stat().st_size > 0
    assert not list(out.glob(".*.tmp"))
