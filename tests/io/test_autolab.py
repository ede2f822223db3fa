"""Autolab NOVA column exports (echem/io/autolab.py, format ``autolab-nova``), on the
fixtures made by fixtures/make_nova_exports.py: values against an independent parse of
the files and against the formulas they were computed from."""

from __future__ import annotations

import csv
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

import echem
from echem.io.autolab import read_nova

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NOVA = FIXTURES / "nova"


def _generator():
    spec = importlib.util.spec_from_file_location("make_nova", FIXTURES / "make_nova_exports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _independent(path: Path) -> dict[str, np.ndarray]:
    """Columns of a NOVA export parsed here with the csv module and float()."""
    text = path.read_bytes().decode("utf-8")
    separator = max((";", "\t", ","), key=text.splitlines()[0].count)
    rows = list(csv.reader(text.splitlines(), delimiter=separator))
    names, body = rows[0], rows[1:]
    comma = separator != ","
    return {
        name: np.array([float(row[i].replace(",", ".") if comma else row[i]) for row in body])
        for i, name in enumerate(names)
    }


def test_fixtures_are_what_the_generator_makes(tmp_path, monkeypatch):
    generator = _generator()
    monkeypatch.setattr(generator, "OUTPUT_DIR", tmp_path)
    generator.main()
    for made in sorted(tmp_path.iterdir()):
        assert made.read_bytes() == (NOVA / made.name).read_bytes(), made.name
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in NOVA.glob("*.txt")}


@pytest.mark.parametrize("name", ["nova_cv_comma.txt", "nova_cv_semicolon.txt"])
@pytest.mark.parametrize("suffix", [".txt", ".csv", ".dat"])
def test_cv_export_measured_potential_and_current(tmp_path, name, suffix):
    """A NOVA CV export read with time_s only and no warning: WE(1).Potential (V) and
    WE(1).Current (A) were not recognised. Potential applied (V) is the set point."""
    path = tmp_path / f"cv{suffix}"
    path.write_bytes((NOVA / name).read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = echem.read(path)
    assert frame.attrs["format"] == "autolab-nova"
    columns = _independent(NOVA / name)
    np.testing.assert_array_equal(frame["voltage_V"], columns["WE(1).Potential (V)"])
    np.testing.assert_array_equal(frame["current_A"], columns["WE(1).Current (A)"])
    np.testing.assert_array_equal(frame["time_s"], columns["Time (s)"])
    np.testing.assert_array_equal(frame["cycle"], columns["Scan"].astype(np.int64))
    assert frame["cycle"].dtype == np.int64
    for original in columns:  # every column kept under its NOVA name
        np.testing.assert_array_equal(frame[original], columns[original])
    # the set point is not the measured potential (2 mV iR drop and noise apart)
    assert not np.array_equal(frame["voltage_V"], frame["Potential applied (V)"])
    # against the formulas the file was computed from (15 significant digits written)
    names, rows = _generator().cv_table(np.random.default_rng(_generator().SEED))
    expected = dict(zip(names, rows.T, strict=True))
    np.testing.assert_allclose(frame["voltage_V"], expected["WE(1).Potential (V)"], rtol=1e-14)
    np.testing.assert_allclose(frame["current_A"], expected["WE(1).Current (A)"], rtol=1e-14)


def test_comma_and_semicolon_exports_read_the_same_numbers():
    comma = echem.read(NOVA / "nova_cv_comma.txt")
    semicolon = echem.read(NOVA / "nova_cv_semicolon.txt")
    assert comma.equals(semicolon)
    assert semicolon.attrs["metadata"]["decimal_comma"] is True
    assert semicolon.attrs["metadata"]["delimiter"] == ";"
    eis_comma = echem.read(NOVA / "nova_eis_comma.txt")
    assert eis_comma.equals(echem.read(NOVA / "nova_eis_semicolon.txt"))


@pytest.mark.parametrize("name", ["nova_eis_semicolon.txt", "nova_eis_comma.txt"])
def test_eis_export_signs_and_units(name):
    frame = echem.read(NOVA / name)
    assert frame.attrs["format"] == "autolab-nova"
    assert frame.attrs["technique"] == "eis"
    columns = _independent(NOVA / name)
    np.testing.assert_array_equal(frame["freq_Hz"], columns["Frequency (Hz)"])
    np.testing.assert_array_equal(frame["z_real_ohm"], columns["Z' (Ω)"])
    np.testing.assert_array_equal(frame["z_imag_ohm"], -columns["-Z'' (Ω)"])
    np.testing.assert_array_equal(frame["time_s"], columns["Time (s)"])
    # Z = R0 + R1 / (1 + R1 Q (j w)^n): Z'' < 0 on the capacitive arc
    g = _generator()
    omega = 2 * np.pi * frame["freq_Hz"].to_numpy()
    z = g.EIS_R0_OHM + g.EIS_R1_OHM / (1 + g.EIS_R1_OHM * g.EIS_Q * (1j * omega) ** g.EIS_N)
    np.testing.assert_allclose(frame["z_real_ohm"], z.real, rtol=1e-13)
    np.testing.assert_allclose(frame["z_imag_ohm"], z.imag, rtol=1e-13)
    assert (frame["z_imag_ohm"] < 0).all()
    # modulus and phase stay under their names, not canonical
    np.testing.assert_allclose(frame["Z (Ω)"], np.abs(z), rtol=1e-13)
    assert "-Phase (°)" in frame.columns
    sweeps = echem.eis.spectra(frame)
    assert len(sweeps) == 1 and len(sweeps[0]) == 61


def test_chrono_export_time_is_time_not_corrected_time():
    frame = echem.read(NOVA / "nova_chrono_tab.txt")
    columns = _independent(NOVA / "nova_chrono_tab.txt")
    np.testing.assert_array_equal(frame["time_s"], columns["Time (s)"])
    np.testing.assert_array_equal(frame["Corrected time (s)"], columns["Corrected time (s)"])
    np.testing.assert_array_equal(frame["current_A"], [1e-3] * 60 + [-1e-3] * 60)
    g = _generator()
    charge = np.cumsum(frame["current_A"].to_numpy())
    expected = g.CHRONO_V0 + g.CHRONO_V_PER_C * charge + g.CHRONO_OHMIC_V_PER_A * frame["current_A"]
    np.testing.assert_allclose(frame["voltage_V"], expected, rtol=1e-14)


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Time (s);WE(1).Current (A);WE(2).Current (A)", {"time_s", "current_A"}),
        ("Potential applied (V);Time (s);WE(1).Current (A)", {"time_s", "current_A"}),
        ("WE(1).Potential (V);WE(1).Charge (C)", {"voltage_V", "charge_C"}),
    ],
)
def test_second_electrode_and_set_point_are_not_canonical(tmp_path, header, canonical):
    width = header.count(";") + 1
    rows = [";".join(["1,5", "2,5", "3,5"][:width]), ";".join(["2,5", "3,5", "4,5"][:width])]
    path = tmp_path / "nova.txt"
    path.write_text("\r\n".join([header, *rows]) + "\r\n", encoding="utf-8")
    frame = echem.read(path)
    assert frame.attrs["format"] == "autolab-nova"
    assert set(frame.columns) & set(echem.io._schema.CANONICAL) == canonical
    if "WE(2).Current (A)" in frame.columns:
        np.testing.assert_array_equal(frame["WE(2).Current (A)"], [3.5, 4.5])
        np.testing.assert_array_equal(frame["current_A"], [2.5, 3.5])


def test_a_table_that_is_not_nova_is_refused_by_its_reader(tmp_path):
    path = tmp_path / "other.txt"
    path.write_text("time/s;Ewe/V\n1;2\n", encoding="utf-8")
    with pytest.raises(echem.ParseError, match="not an Autolab NOVA export") as caught:
        read_nova(path)
    assert caught.value.line == 1
    assert echem.read(path).attrs["format"] == "csv"
