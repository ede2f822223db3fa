"""echem.eis.spectra: one frame per EIS sweep.
Edge cases: unusable frequencies warned about, non-EIS rows, dtypes, linear-time splitting,
every real file split without losing a point.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import real, real_files

import echem
from echem.eis import spectra
from echem.errors import DataError, EchemWarning

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


def _frame_z(freq, z_real=None, **columns) -> pd.DataFrame:
    freq = np.asarray(freq, dtype=float)
    n = freq.size
    z_real = np.arange(1, n + 1, dtype=float) if z_real is None else np.asarray(z_real, float)
    data = {
        "time_s": np.arange(n, dtype=float),
        "freq_Hz": freq,
        "z_real_ohm": z_real,
        "z_imag_ohm": -z_real,
    }
    data.update(columns)
    df = pd.DataFrame(data)
    df.attrs.update(format="test", source="x.txt", metadata={"area_cm2": 1.0})
    return df


def _quiet_spectra(df: pd.DataFrame) -> list[pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return spectra(df)


def test_impedance_rows_with_unusable_frequency_are_named_in_a_warning():
    freq = np.concatenate([DOWN[:4], [np.nan, 0.0, -5.0, np.inf], DOWN[8:]])
    df = _frame_z(freq)
    with pytest.warns(EchemWarning) as record:
        parts = spectra(df)
    (message,) = [str(w.message) for w in record]
    assert message.startswith("x.txt: 4 row(s) with an impedance but no usable frequency")
    for reason in ("1 missing or not a number", "1 zero", "1 negative", "1 infinite"):
        assert reason in message
    assert "positions 4, 5, 6, 7" in message
    # a damaged point does not cut the sweep in two
    assert [len(p) for p in parts] == [9]
    np.testing.assert_array_equal(parts[0]["freq_Hz"], np.concatenate([DOWN[:4], DOWN[8:]]))


def test_warning_lists_five_positions_and_counts_the_rest():
    freq = DOWN.copy()
    freq[1:9] = np.nan
    with pytest.warns(EchemWarning, match=r"8 row\(s\).*positions 1, 2, 3, 4, 5 and 3 more"):
        spectra(_frame_z(freq))


def test_unreadable_text_frequency_warns():
    df = _frame_z(np.zeros(4))
    df["freq_Hz"] = pd.Series(["1000", "100", "x", "1"], dtype=object)
    with pytest.warns(EchemWarning, match="1 missing or not a number"):
        assert [len(p) for p in spectra(df)] == [3]


def test_non_eis_records_are_left_out_quietly_and_separate_sweeps():
    # EC-Lab writes 0 for frequency and impedance outside EIS; Parstat leaves them empty
    freq = np.concatenate([[0.0] * 3, DOWN[:6], [np.nan] * 2, DOWN[6:]])
    z = np.concatenate([[0.0] * 3, np.ones(6), [np.nan] * 2, np.ones(7)])
    parts = _quiet_spectra(_frame_z(freq, z_real=z))
    # the records split a sweep even where the frequency keeps going down
    assert [len(p) for p in parts] == [6, 7]
    assert [p.attrs["time_s"] for p in parts] == [3.0, 11.0]
    # without impedance columns nothing can be judged: no warning, records separate
    bare = _frame_z(freq, z_real=z).drop(columns=["z_real_ohm", "z_imag_ohm"])
    assert [len(p) for p in _quiet_spectra(bare)] == [6, 7]


def test_back_to_back_sweeps_and_direction_changes():
    up = DOWN[::-1]
    assert [len(p) for p in _quiet_spectra(_frame_z(np.concatenate([DOWN, DOWN])))] == [13, 13]
    assert [len(p) for p in _quiet_spectra(_frame_z(np.concatenate([up, up, up])))] == [13] * 3
    # up then down sharing the turning frequency: the repeated point stays with sweep 0
    parts = _quiet_spectra(_frame_z(np.concatenate([up, DOWN])))
    assert [len(p) for p in parts] == [14, 12]
    # repeated frequencies inside a sweep do not split it
    freq = np.repeat(DOWN, 2)
    assert [len(p) for p in _quiet_spectra(_frame_z(freq))] == [26]


def test_one_point_sweeps():
    assert [len(p) for p in _quiet_spectra(_frame_z([5.0]))] == [1]
    # one-point sweeps told apart by their cycle
    df = _frame_z([10.0, 10.0, 10.0], cycle=[1, 2, 3])
    assert [p["cycle"].tolist() for p in _quiet_spectra(df)] == [[1], [2], [3]]
    # one-point sweeps between records
    df = _frame_z([np.nan, 10.0, np.nan, 10.0], z_real=[np.nan, 1.0, np.nan, 1.0])
    assert [len(p) for p in _quiet_spectra(df)] == [1, 1]


def test_missing_cycle_value_continues_its_sweep():
    cycle = pd.array([1] * 12 + [None] + [2] * 13, dtype="Int64")
    df = _frame_z(np.concatenate([DOWN, DOWN]), cycle=cycle)
    parts = _quiet_spectra(df)
    assert [len(p) for p in parts] == [13, 13]
    # a missing value at a cycle change: the change still splits
    cycle = pd.array([1] * 6 + [None] + [2] * 6, dtype="Int64")
    assert [len(p) for p in _quiet_spectra(_frame_z(DOWN, cycle=cycle))] == [7, 6]


@pytest.mark.parametrize("dtype", ["int64", "Int64", "float32", "object"])
def test_frequency_dtypes(dtype):
    freq = pd.Series([100000, 1000, 10, 1, 100000, 10], dtype=dtype)
    df = _frame_z(np.zeros(6))
    df["freq_Hz"] = freq
    parts = _quiet_spectra(df)
    assert [p["freq_Hz"].tolist() for p in parts] == [[100000, 1000, 10, 1], [100000, 10]]


def test_nullable_integer_frequency_with_missing_values_warns_not_crashes():
    df = _frame_z(np.zeros(5))
    df["freq_Hz"] = pd.array([1000, 100, None, 10, 1], dtype="Int64")
    with pytest.warns(EchemWarning, match="1 row"):
        assert [len(p) for p in spectra(df)] == [4]


def test_frame_without_frequency_and_empty_frame():
    with pytest.raises(DataError, match="freq_Hz"):
        spectra(pd.DataFrame({"z_real_ohm": [1.0]}))
    assert _quiet_spectra(pd.DataFrame({"freq_Hz": pd.Series([], dtype=float)})) == []


def test_sweeps_do_not_share_attrs():
    df = _frame_z(np.concatenate([DOWN, DOWN]))
    first, second = _quiet_spectra(df)
    first.attrs["metadata"]["area_cm2"] = 2.0
    assert second.attrs["metadata"]["area_cm2"] == 1.0 == df.attrs["metadata"]["area_cm2"]


def test_many_sweeps_split_in_linear_time():
    df = _frame_z(np.tile(DOWN[:4], 3000))
    start = time.perf_counter()
    parts = _quiet_spectra(df)
    assert len(parts) == 3000 and parts[-1]["z_real_ohm"].iloc[0] == 11997.0
    assert time.perf_counter() - start < 10  # was quadratic in the number of sweeps


#: name -> (sweep lengths, non-EIS records): counted in the files by hand (frequency column
#: 0 or empty; BioLogic 'cycle number' / 'z cycle' per sweep).
EXPECTED = {
    "parstat/exampleDataParstat.txt": ([31], 781),
    "biologic/geis.mpt": ([41] * 60 + [39], 29),
    "biologic/mb.issue_223.mpt": ([19] * 4, 32),
    "biologic/vsp_peis_with.mpt": ([70] * 32, 0),
    "biologic/peis.issue_149.mpt": ([21] * 4, 0),
    "biologic/zir.mpt": ([1], 0),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_files_sweep_and_point_counts(name):
    df = echem.read(real(name))
    lengths, records = EXPECTED[name]
    parts = _quiet_spectra(df)
    assert [len(p) for p in parts] == lengths
    assert len(df) - sum(lengths) == records
    freq = pd.to_numeric(df["freq_Hz"], errors="coerce")
    assert int((~(freq > 0)).sum()) == records
    for part in parts:
        # each sweep runs one way, within one cycle
        steps = np.diff(part["freq_Hz"].to_numpy())
        assert np.all(steps < 0) or np.all(steps > 0) or len(part) == 1
        for column in ("cycle", "z cycle"):
            if column in part:
                assert part[column].nunique() == 1


def _impedance_files() -> list:
    """Real files that hold impedance (BioLogic: by technique in the name)."""
    eis = ("peis", "geis", "mb.", "vsp_peis", "zir")
    return [
        p
        for p in real_files("**/*")
        if p.is_file()
        and p.suffix != ".md"
        and (p.parent.name != "biologic" or p.name.startswith(eis))
    ]


@pytest.mark.parametrize("path", _impedance_files(), ids=lambda p: p.name)
def test_every_real_file_splits_without_losing_an_impedance_point(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            df = echem.read(path)
        except echem.ParseError:
            pytest.skip("not readable (deliberately broken file)")
    if "freq_Hz" not in df.columns:
        pytest.skip("no frequency column")
    parts = _quiet_spectra(df)
    freq = pd.to_numeric(df["freq_Hz"], errors="coerce")
    assert sum(len(p) for p in parts) == int((freq > 0).sum())
    assert [p.attrs["sweep"] for p in parts] == list(range(len(parts)))
    for part in parts:
        steps = np.sign(np.diff(part["freq_Hz"].to_numpy()))
        assert len(set(steps[steps != 0].tolist())) <= 1


def test_impedance_points_keep_only_finite_rows():
    """One helper gives (freq, Z) to Lin-KK in echem kk, echem fit --kk and fit_series:
    a row with a NaN or infinite value is left out and counted, never passed on."""
    from echem.eis.sweeps import impedance_points

    sweep = pd.DataFrame(
        {
            "freq_Hz": [1e3, 1e2, 1e1, 1.0],
            "z_real_ohm": [10.0, np.inf, 12.0, 13.0],
            "z_imag_ohm": [-1.0, -2.0, np.nan, pd.NA],
        }
    )
    freq, z, left_out = impedance_points(sweep)
    np.testing.assert_array_equal(freq, [1e3])
    np.testing.assert_array_equal(z, [10.0 - 1.0j])
    assert left_out == 3
