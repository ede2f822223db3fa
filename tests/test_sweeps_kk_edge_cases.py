"""Edge cases of echem.eis.spectra (sweep splitting) and echem.eis.kk.lin_kk (Lin-KK)."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from impedance.validation import fit_linKK, get_tc_distribution

import echem
from echem.eis import spectra
from echem.eis.kk import _solve, lin_kk
from echem.errors import DataError, EchemWarning
from tests.conftest import real, real_files

DOWN = np.logspace(5, -1, 13)  # one high-to-low sweep [Hz]


def _frame(freq, z_real=None, **columns) -> pd.DataFrame:
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


# --- spectra: rows left out ---------------------------------------------------------------


def test_impedance_rows_with_unusable_frequency_are_named_in_a_warning():
    freq = np.concatenate([DOWN[:4], [np.nan, 0.0, -5.0, np.inf], DOWN[8:]])
    df = _frame(freq)
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
        spectra(_frame(freq))


def test_unreadable_text_frequency_warns():
    df = _frame(np.zeros(4))
    df["freq_Hz"] = pd.Series(["1000", "100", "x", "1"], dtype=object)
    with pytest.warns(EchemWarning, match="1 missing or not a number"):
        assert [len(p) for p in spectra(df)] == [3]


def test_non_eis_records_are_left_out_quietly_and_separate_sweeps():
    # EC-Lab writes 0 for frequency and impedance outside EIS; Parstat leaves them empty
    freq = np.concatenate([[0.0] * 3, DOWN[:6], [np.nan] * 2, DOWN[6:]])
    z = np.concatenate([[0.0] * 3, np.ones(6), [np.nan] * 2, np.ones(7)])
    parts = _quiet_spectra(_frame(freq, z_real=z))
    # the records split a sweep even where the frequency keeps going down
    assert [len(p) for p in parts] == [6, 7]
    assert [p.attrs["time_s"] for p in parts] == [3.0, 11.0]
    # without impedance columns nothing can be judged: no warning, records separate
    bare = _frame(freq, z_real=z).drop(columns=["z_real_ohm", "z_imag_ohm"])
    assert [len(p) for p in _quiet_spectra(bare)] == [6, 7]


# --- spectra: splitting -----------------------------------------------------------------


def test_back_to_back_sweeps_and_direction_changes():
    up = DOWN[::-1]
    assert [len(p) for p in _quiet_spectra(_frame(np.concatenate([DOWN, DOWN])))] == [13, 13]
    assert [len(p) for p in _quiet_spectra(_frame(np.concatenate([up, up, up])))] == [13] * 3
    # up then down sharing the turning frequency: the repeated point stays with sweep 0
    parts = _quiet_spectra(_frame(np.concatenate([up, DOWN])))
    assert [len(p) for p in parts] == [14, 12]
    # repeated frequencies inside a sweep do not split it
    freq = np.repeat(DOWN, 2)
    assert [len(p) for p in _quiet_spectra(_frame(freq))] == [26]


def test_one_point_sweeps():
    assert [len(p) for p in _quiet_spectra(_frame([5.0]))] == [1]
    # one-point sweeps told apart by their cycle
    df = _frame([10.0, 10.0, 10.0], cycle=[1, 2, 3])
    assert [p["cycle"].tolist() for p in _quiet_spectra(df)] == [[1], [2], [3]]
    # one-point sweeps between records
    df = _frame([np.nan, 10.0, np.nan, 10.0], z_real=[np.nan, 1.0, np.nan, 1.0])
    assert [len(p) for p in _quiet_spectra(df)] == [1, 1]


def test_missing_cycle_value_continues_its_sweep():
    cycle = pd.array([1] * 12 + [None] + [2] * 13, dtype="Int64")
    df = _frame(np.concatenate([DOWN, DOWN]), cycle=cycle)
    parts = _quiet_spectra(df)
    assert [len(p) for p in parts] == [13, 13]
    # a missing value at a cycle change: the change still splits
    cycle = pd.array([1] * 6 + [None] + [2] * 6, dtype="Int64")
    assert [len(p) for p in _quiet_spectra(_frame(DOWN, cycle=cycle))] == [7, 6]


@pytest.mark.parametrize("dtype", ["int64", "Int64", "float32", "object"])
def test_frequency_dtypes(dtype):
    freq = pd.Series([100000, 1000, 10, 1, 100000, 10], dtype=dtype)
    df = _frame(np.zeros(6))
    df["freq_Hz"] = freq
    parts = _quiet_spectra(df)
    assert [p["freq_Hz"].tolist() for p in parts] == [[100000, 1000, 10, 1], [100000, 10]]


def test_nullable_integer_frequency_with_missing_values_warns_not_crashes():
    df = _frame(np.zeros(5))
    df["freq_Hz"] = pd.array([1000, 100, None, 10, 1], dtype="Int64")
    with pytest.warns(EchemWarning, match="1 row"):
        assert [len(p) for p in spectra(df)] == [4]


def test_frame_without_frequency_and_empty_frame():
    with pytest.raises(DataError, match="freq_Hz"):
        spectra(pd.DataFrame({"z_real_ohm": [1.0]}))
    assert _quiet_spectra(pd.DataFrame({"freq_Hz": pd.Series([], dtype=float)})) == []


def test_sweeps_do_not_share_attrs():
    df = _frame(np.concatenate([DOWN, DOWN]))
    first, second = _quiet_spectra(df)
    first.attrs["metadata"]["area_cm2"] = 2.0
    assert second.attrs["metadata"]["area_cm2"] == 1.0 == df.attrs["metadata"]["area_cm2"]


def test_many_sweeps_split_in_linear_time():
    df = _frame(np.tile(DOWN[:4], 3000))
    start = time.perf_counter()
    parts = _quiet_spectra(df)
    assert len(parts) == 3000 and parts[-1]["z_real_ohm"].iloc[0] == 11997.0
    assert time.perf_counter() - start < 10  # was quadratic in the number of sweeps


# --- spectra on every real file with a frequency -----------------------------------------

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


# --- Lin-KK ---------------------------------------------------------------------------------

FREQ = np.geomspace(1e5, 0.01, 71)
OMEGA = 2 * np.pi * FREQ
RANDLES = 10 + 1 / (1 / 100 + 1j * OMEGA * 1e-5)
R_RC_RC = 5 + 50 / (1 + 1j * OMEGA * 5e-6) + 200 / (1 + 1j * OMEGA * 0.2)


@pytest.mark.parametrize("z", [RANDLES, R_RC_RC], ids=["randles", "r-rc-rc"])
def test_analytic_spectra_are_valid_in_either_order(z):
    up = lin_kk(FREQ, z)
    down = lin_kk(FREQ[::-1], z[::-1])
    assert up.valid and down.valid
    # the tau grid never holds the circuit's tau exactly: residuals ~1e-4, not 1e-12
    assert up.rms_residual < 5e-4 and up.max_residual < 2e-3
    assert down.M == up.M and down.mu == pytest.approx(up.mu, abs=1e-12)
    np.testing.assert_allclose(down.residuals_real[::-1], up.residuals_real, atol=1e-12)
    np.testing.assert_allclose(down.residuals_imag[::-1], up.residuals_imag, atol=1e-12)
    # with enough time constants the residual of exact data goes to round-off
    assert lin_kk(FREQ, z, max_M=71).scan[-1, 2] < 1e-9


def test_tau_on_the_grid_fits_to_round_off():
    tau = np.geomspace(1 / (2 * np.pi * FREQ.max()), 1 / (2 * np.pi * FREQ.min()), 8)[3]
    z = 10 + 100 / (1 + 1j * OMEGA * tau)
    result = lin_kk(FREQ, z)
    assert result.scan[7, 2] < 1e-12  # M = 8 reproduces the data exactly
    assert result.valid


@pytest.mark.parametrize("factor, index", [(1.2, 30), (0.8, 50), (1.1j, 10)])
def test_a_non_kk_point_is_found(factor, index):
    z = RANDLES.copy()
    z[index] *= factor
    result = lin_kk(FREQ, z)
    worst = np.argmax(np.abs(result.residuals_real) + np.abs(result.residuals_imag))
    assert worst == index
    assert not result.valid
    assert result.max_residual > 0.05


def test_few_points():
    with pytest.raises(DataError, match="at least 5 points"):
        lin_kk(FREQ[::20][:4], RANDLES[::20][:4])
    freq = np.geomspace(1e5, 0.01, 8)
    z = 10 + 1 / (1 / 100 + 2j * np.pi * freq * 1e-5)
    result = lin_kk(freq, z)
    assert result.valid and result.M <= 8
    # the model never has more unknowns than equations
    assert lin_kk(freq, z, max_M=100).scan[-1, 0] == 2 * freq.size - 3


@pytest.mark.parametrize("c", [0.0, 1e-9, 0.5, 0.85, 1.0])
def test_mu_cut_off_edge_values(c):
    result = lin_kk(FREQ, RANDLES, c=c)
    below = [M for M, mu, _ in result.scan if mu < c]
    if below and result.mu < c:
        assert result.M in below
    assert result.valid


@pytest.mark.parametrize(
    "options",
    [
        {"c": np.nan},
        {"c": -0.1},
        {"c": 1.5},
        {"c": "0.85"},
        {"max_M": 0},
        {"max_M": -3},
        {"max_M": 2.5},
        {"max_M": True},
        {"threshold": 0.0},
        {"threshold": -0.02},
        {"threshold": np.nan},
        {"threshold": np.inf},
    ],
)
def test_options_out_of_range_are_data_errors(options):
    # they were clamped (max_M 0 -> 1, 2.5 -> 2) or disabled the test silently (c NaN,
    # a negative threshold rejects everything)
    with pytest.raises(DataError, match=next(iter(options))):
        lin_kk(FREQ, RANDLES, **options)


@pytest.mark.parametrize("M", [2, 3, 5, 10, 20])
@pytest.mark.parametrize("capacitance", [False, True])
@pytest.mark.parametrize("z", [RANDLES, R_RC_RC], ids=["randles", "r-rc-rc"])
def test_same_model_as_impedance_py(M, capacitance, z):
    """impedance.py 1.7's fit_linKK ('complex' fit, Schönleber's eq. 14) at the same M."""
    tau, coefficients, z_fit = _solve(FREQ, z, M, True, capacitance)
    np.testing.assert_allclose(tau, get_tc_distribution(FREQ, M), rtol=1e-12)
    elements, mu = fit_linKK(FREQ, tau, M, z, "complex", capacitance)
    ours = coefficients.real
    # impedance.py orders R0, R_k..., [1/C], L; ours R0, R_k..., L, [1/C]
    reference = np.concatenate([elements[: M + 1], elements[-1:], elements[M + 1 : -1]])
    scale = np.abs(reference).max()
    np.testing.assert_allclose(ours, reference, atol=1e-9 * scale)
    result = lin_kk(FREQ, z, max_M=M, c=1.0, capacitance=capacitance)
    assert result.scan[M - 1, 1] == pytest.approx(mu, abs=1e-9)
    # residuals of impedance.py's model, computed from its coefficients
    z_ref = (
        reference[0]
        + sum(r / (1 + 1j * OMEGA * t) for r, t in zip(reference[1 : M + 1], tau, strict=True))
        + 1j * OMEGA * reference[M + 1]
    )
    if capacitance:
        z_ref = z_ref + reference[M + 2] / (1j * OMEGA)
    np.testing.assert_allclose(z_fit, z_ref, rtol=1e-9)


def test_first_mu_below_c_matches_impedance_py_rule():
    """Schönleber's stopping rule as impedance.py runs it (M = 1, 2, ... until mu <= c)."""
    result = lin_kk(FREQ, R_RC_RC, max_M=40, capacitance=False)
    first = next(int(M) for M, mu, _ in result.scan if mu <= 0.85 and M > 1)
    for M in range(2, first + 1):
        _, mu = fit_linKK(FREQ, get_tc_distribution(FREQ, M), M, R_RC_RC, "complex")
        assert (mu <= 0.85) == (M == first)


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
