"""echem.eis.spectra: one frame per EIS sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import echem
from echem.eis import spectra
from tests.conftest import real

DOWN = np.logspace(5, -1, 13)  # one high-to-low sweep [Hz]


def _frame(freq, **columns):
    freq = np.asarray(freq, dtype=float)
    data = {
        "time_s": np.arange(len(freq), dtype=float) * 2.0 + 5.0,
        "freq_Hz": freq,
        "z_real_ohm": np.arange(len(freq), dtype=float),
        "z_imag_ohm": -np.arange(len(freq), dtype=float),
    }
    data.update(columns)
    df = pd.DataFrame(data)
    df.attrs.update(
        format="test", technique="eis", source="x", start_time=None, metadata={"area_cm2": 1.0}
    )
    return df


def test_frequency_reset_starts_a_new_sweep():
    df = _frame(np.concatenate([DOWN, DOWN, DOWN[:5]]))
    parts = spectra(df)
    assert [len(p) for p in parts] == [13, 13, 5]
    assert [p.attrs["sweep"] for p in parts] == [0, 1, 2]
    assert [p.attrs["time_s"] for p in parts] == [5.0, 31.0, 57.0]
    for part in parts:
        np.testing.assert_array_equal(part["freq_Hz"], DOWN[: len(part)])
        assert part.index.tolist() == list(range(len(part)))
        assert part.attrs["metadata"] == {"area_cm2": 1.0} and part.attrs["format"] == "test"
    assert parts[1]["z_real_ohm"].iloc[0] == 13.0  # rows come from the right place


def test_low_to_high_sweeps_and_alternating_directions():
    up = DOWN[::-1]
    assert [len(p) for p in spectra(_frame(np.concatenate([up, up])))] == [13, 13]
    # down then up: the reversal is the boundary; the turning point belongs to sweep 0
    parts = spectra(_frame(np.concatenate([DOWN, up[1:]])))
    assert [len(p) for p in parts] == [13, 12]


def test_non_eis_rows_split_and_are_dropped():
    freq = np.concatenate([[np.nan] * 4, DOWN[:6], [0.0, 0.0, np.nan], DOWN[:6], [-1.0]])
    with pytest.warns(echem.EchemWarning, match=r"7 row\(s\) with an impedance but no usable"):
        parts = spectra(_frame(freq))  # rows with an impedance: their loss is told
    assert [len(p) for p in parts] == [6, 6]
    assert parts[0].attrs["time_s"] == 5.0 + 2 * 4
    assert parts[1].attrs["time_s"] == 5.0 + 2 * 13


def test_cycle_index_splits_even_without_frequency_reset():
    # two half sweeps continuing downwards but recorded as different cycles
    df = _frame(DOWN, cycle=np.array([1] * 7 + [2] * 6))
    assert [len(p) for p in spectra(df)] == [7, 6]


def test_no_time_column_gives_none_and_empty_when_no_eis_rows():
    df = _frame(DOWN).drop(columns="time_s")
    assert spectra(df)[0].attrs["time_s"] is None
    with pytest.warns(echem.EchemWarning, match=r"2 row\(s\) with an impedance"):
        assert spectra(_frame([0.0, np.nan, 0.0])) == []


def test_missing_frequency_column_is_a_data_error():
    with pytest.raises(echem.DataError, match="freq_Hz"):
        spectra(pd.DataFrame({"time_s": [1.0], "voltage_V": [3.0]}))


def test_parstat_mixed_file_gives_its_sweep():
    df = echem.read(real("parstat/exampleDataParstat.txt"))
    (sweep,) = spectra(df)
    assert len(sweep) == 31 and sweep.attrs["technique"] == "mixed"
    assert sweep["freq_Hz"].iloc[0] == 10000.0 and sweep["freq_Hz"].iloc[-1] == 10.0


@pytest.mark.parametrize("name", ["peis.issue_149.mpt", "geis.issue_149.mpt"])
def test_biologic_multi_sweep_files(name):
    df = echem.read(real(f"biologic/{name}"))
    parts = spectra(df)
    assert [len(p) for p in parts] == [21, 21, 21, 21]
    # each sweep is one BioLogic cycle, in order, high to low frequency
    assert [p["cycle"].unique().tolist() for p in parts] == [[1], [2], [3], [4]]
    for part in parts:
        assert np.all(np.diff(part["freq_Hz"].to_numpy()) < 0)
    times = [p.attrs["time_s"] for p in parts]
    assert times == sorted(times) and times[0] == df["time_s"].iloc[0]
    # the frequency reset alone finds the same sweeps
    without_cycle = df.drop(columns=["cycle", "cycle number"])
    assert [len(p) for p in spectra(without_cycle)] == [21, 21, 21, 21]


def test_biologic_binary_and_text_agree():
    text = spectra(echem.read(real("biologic/peis.issue_149.mpt")))
    binary = spectra(echem.read(real("biologic/peis.issue_149.mpr")))
    assert len(text) == len(binary) == 4
    for a, b in zip(text, binary, strict=True):
        np.testing.assert_allclose(a["freq_Hz"], b["freq_Hz"], rtol=1e-6)
        np.testing.assert_allclose(a["z_imag_ohm"], b["z_imag_ohm"], rtol=1e-5)
