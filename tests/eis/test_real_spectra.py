"""Real instrument spectra through Lin-KK, the fit and fit_series, and the ``echem kk`` command.

Files are read in place from ../shared/data/real (skipped when absent). The fitted values are
regression values recorded from this code (tolerances cover optimiser-level differences); the
independent checks are the .mpr/.mpt twins agreeing and the KK verdicts matching what the data
show (dummy-cell ZPlot spectra valid; the Gamry and GEIS spectra with a low-frequency drift not).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import real

import echem
from echem.cli import main
from echem.eis.kk import lin_kk
from echem.eis.series import fit_series
from echem.eis.sweeps import spectra


def _sweeps(relative: str) -> list[pd.DataFrame]:
    return spectra(echem.read(real(relative)))


def _series(relative: str, circuit: str, count: int | None = None) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # optimiser overflow probes
        return fit_series(_sweeps(relative)[:count], circuit)


def _z(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame["freq_Hz"].to_numpy(), frame["z_real_ohm"].to_numpy() + 1j * frame[
        "z_imag_ohm"
    ].to_numpy()


# file, circuit, number of sweeps fitted, recorded values (first sweep), KK verdict
CASES = [
    (
        "zplot/exampleDataZPlot.z",
        "R0-p(R1,CPE1)",
        1,
        {"R0": 149.62, "R1": 501.2, "CPE1_C_F": 3.1199e-8, "CPE1_n": 1.0},
        True,
    ),
    (
        "zplot/Circuit1_EIS_1.z",
        "R0-p(R1,CPE1)",
        1,
        {"R0": 29.129, "R1": 46.654, "CPE1_C_F": 1.0432e-5, "CPE1_n": 1.0},
        True,
    ),
    (
        "gamry-dta/exampleDataGamry.DTA",
        "R0-p(R1,CPE1)-p(R2,CPE2)",
        1,
        {"R1": 4113.2, "R2": 17549.0, "CPE1_n": 0.866, "CPE2_n": 0.697, "CPE2_C_F": 3.075e-4},
        False,
    ),
    (
        "biologic/peis.issue_149.mpr",
        "R0-p(R1,CPE1)",
        4,
        {"R0": 12.077, "R1": 89.054, "CPE1_n": 0.6622, "CPE1_C_F": 3.0951e-6},
        True,
    ),
    (
        "biologic/geis.issue_149.mpr",
        "R0-p(R1,CPE1)",
        2,
        {"R0": 6.76, "R1": 87.12, "CPE1_n": 0.665},
        False,
    ),
    (
        "biologic/geis.mpr",
        "R0-p(R1,CPE1)",
        3,
        {"R0": 8.44, "R1": 133.12, "CPE1_n": 0.905, "CPE1_C_F": 3.538e-6},
        False,
    ),
]


@pytest.mark.parametrize("relative, circuit, count, expected, kk_valid", CASES)
def test_real_spectra_fit_and_kk(relative, circuit, count, expected, kk_valid):
    table = _series(relative, circuit, count)
    assert len(table) == count
    assert table["error"].isna().all()
    assert table["success"].all()
    assert (table["kk_valid"] == kk_valid).all(), table[["kk_M", "kk_max_residual"]]
    first = table.iloc[0]
    for name, value in expected.items():
        if name.endswith("_n"):
            assert first[name] == pytest.approx(value, abs=0.02), name
        elif name.endswith("_C_F"):
            assert first[name] == pytest.approx(value, rel=0.10), name
        else:
            assert first[name] == pytest.approx(value, rel=0.03), name
    # every arc of every spectrum got a capacitance, and a role exactly where the spectrum
    # pins it down; a CPE at its limit n = 1 (the ideal capacitors of the ZPlot dummy cells)
    # is pinned down by an n with its own, finite stderr
    for result in table["result"]:
        arcs = result.arcs
        assert arcs["C_F"].notna().all()
        pinned = arcs["in_window"] & arcs["determined"]
        assert (arcs["role"].notna() == pinned).all()
        for element in arcs.loc[arcs["n"] == 1.0, "element"]:
            assert np.isfinite(result.stderr[f"{element}_n"])
        if relative.startswith("zplot/"):
            assert pinned.all(), result.problems


def test_consecutive_biologic_sweeps_stay_consistent():
    """peis.issue_149: four sweeps of one cell; the warm-started fits change smoothly."""
    table = _series("biologic/peis.issue_149.mpr", "R0-p(R1,CPE1)")
    assert np.allclose(table["R0"], [12.077, 12.012, 11.924, 11.87], rtol=0.02)
    assert np.allclose(table["R1"], [89.054, 87.97, 87.046, 86.377], rtol=0.02)
    assert np.all(np.diff(table["time_s"]) > 0)
    assert (table["R_ct_ohm"] == table["R1"]).all()


def test_mpr_and_mpt_twins_give_the_same_kk_and_fit():
    mpr = _sweeps("biologic/peis.issue_149.mpr")[0]
    mpt = _sweeps("biologic/peis.issue_149.mpt")[0]
    a, b = lin_kk(*_z(mpr)), lin_kk(*_z(mpt))
    assert a.M == b.M and a.valid == b.valid
    assert a.max_residual == pytest.approx(b.max_residual, rel=1e-3)
    fits = [
        _series(r, "R0-p(R1,CPE1)", 1).iloc[0]
        for r in ("biologic/peis.issue_149.mpr", "biologic/peis.issue_149.mpt")
    ]
    assert fits[0]["R1"] == pytest.approx(fits[1]["R1"], rel=1e-4)


def test_noise_only_spectrum_is_rejected_by_kk():
    """biologic/peis.mpr is a scattered, non-physical record: Lin-KK must say so."""
    result = lin_kk(*_z(_sweeps("biologic/peis.mpr")[0]))
    assert not result.valid and result.max_residual > 0.2


def test_kk_command_prints_each_sweep_and_writes_csv(tmp_path, capsys):
    good = real("biologic/peis.issue_149.mpr")
    code = main(["kk", str(good), "--out", str(tmp_path)])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    assert all("valid" in line and "M=" in line and "mu=" in line for line in lines)
    table = pd.read_csv(tmp_path / "peis.issue_149.mpr_kk.csv")
    assert list(table.columns) == [
        "sweep", "freq_Hz", "z_real_ohm", "z_imag_ohm",
        "z_fit_real_ohm", "z_fit_imag_ohm", "residual_real", "residual_imag",
    ]  # fmt: skip
    assert sorted(table["sweep"].unique()) == [0, 1, 2, 3]
    frame = _sweeps("biologic/peis.issue_149.mpr")[0]
    expected = lin_kk(*_z(frame))
    first = table[table["sweep"] == 0]
    assert np.allclose(first["residual_real"], expected.residuals_real)
    assert not list(tmp_path.glob(".*.tmp"))


def test_kk_command_reports_a_bad_file_and_goes_on(tmp_path, capsys):
    garbage = tmp_path / "garbage.mpt"
    garbage.write_bytes(b"\x00\x01 not an instrument file \xff" * 10)
    not_eis = real("biologic/cp.mpr")
    good = real("zplot/exampleDataZPlot.z")
    code = main(["kk", str(garbage), str(not_eis), str(good), "--out", str(tmp_path / "out")])
    assert code == 1
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert len(errors) == 2
    assert str(garbage) in errors[0] and str(not_eis) in errors[1]
    assert "exampleDataZPlot.z" in captured.out and "valid" in captured.out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["exampleDataZPlot.z_kk.csv"]
