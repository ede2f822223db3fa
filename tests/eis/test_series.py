"""fit_series on a synthetic operando series like the seed's (Li/Li3PS4/Li, 3 MHz - 0.1 Hz).

Design (GUIDE §8): R0 = 25 Ω; R_int rises from 200 Ω (C_eff 1e-8 F, n 0.9); R_ct falls from
1500 Ω to 80 Ω (C_eff 1e-5 F, n 0.85), slowly at first then sharply; 0.5 % noise. Q is generated
from C_eff by inverting Hsu-Mansfeld (Q = C^n R^(n-1)). The last spectra have R_int > R_ct, so
the arcs cross in size: roles must follow capacitance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from echem.eis.capacitance import cpe_q_from_capacitance
from echem.eis.series import fit_series

FREQ = np.geomspace(3e6, 0.1, 76)
TIMES_S = np.arange(7) * 1800.0
R0 = 25.0
R_INT = np.array([200.0, 260.0, 330.0, 420.0, 520.0, 640.0, 780.0])
R_CT = np.array([1500.0, 1400.0, 1250.0, 1000.0, 500.0, 200.0, 80.0])
C_INT, N_INT = 1e-8, 0.9
C_CT, N_CT = 1e-5, 0.85
CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)"


def rcpe(omega, R, C, n):
    Q = cpe_q_from_capacitance(C, n, R)
    return R / (1 + R * Q * (1j * omega) ** n)


def spectrum(k: int, seed: int) -> pd.DataFrame:
    omega = 2 * np.pi * FREQ
    z = R0 + rcpe(omega, R_INT[k], C_INT, N_INT) + rcpe(omega, R_CT[k], C_CT, N_CT)
    rng = np.random.default_rng(seed)
    z = z + 0.005 * np.abs(z) * (
        rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size)
    ) / np.sqrt(2)
    elapsed = np.concatenate([[0.0], np.cumsum(np.maximum(1 / FREQ, 0.05))[:-1]])
    frame = pd.DataFrame(
        {
            "time_s": TIMES_S[k] + elapsed,
            "freq_Hz": FREQ,
            "z_real_ohm": z.real,
            "z_imag_ohm": z.imag,
        }
    )
    frame.attrs["sweep"] = k
    return frame


@pytest.fixture(scope="module")
def frames() -> list[pd.DataFrame]:
    return [spectrum(k, seed=100 + k) for k in range(7)]


@pytest.fixture(scope="module")
def table(frames) -> pd.DataFrame:
    return fit_series(frames, CIRCUIT)


def test_one_row_per_spectrum_with_times_and_parameters(table):
    assert len(table) == 7
    assert np.allclose(table["time_s"], TIMES_S)
    assert list(table["sweep"]) == list(range(7))
    for name in ("R0", "R1", "CPE1_Q", "CPE1_n", "R2", "CPE2_Q", "CPE2_n"):
        assert name in table and f"{name}_stderr" in table
    assert table["error"].isna().all()
    assert set(table["start"]) <= {"auto", "warm"}
    assert (table["R0"] - R0).abs().max() < 0.05 * R0


def test_resistances_recovered_within_5_percent_and_named_right(table):
    assert np.all(np.abs(table["R_int_ohm"] / R_INT - 1) < 0.05), table["R_int_ohm"]
    assert np.all(np.abs(table["R_ct_ohm"] / R_CT - 1) < 0.05), table["R_ct_ohm"]
    assert table["R_int_stderr_ohm"].gt(0).all() and table["R_ct_stderr_ohm"].gt(0).all()


def test_capacitances_within_10_percent_of_design(table):
    assert np.all(np.abs(table["R_int_C_F"] / C_INT - 1) < 0.10), table["R_int_C_F"]
    assert np.all(np.abs(table["R_ct_C_F"] / C_CT - 1) < 0.10), table["R_ct_C_F"]
    # and per arc, whatever the element is called
    c_columns = [c for c in table.columns if c.startswith("CPE") and c.endswith("_C_F")]
    assert sorted(c_columns) == ["CPE1_C_F", "CPE2_C_F"]


def test_every_spectrum_passes_lin_kk(table):
    assert table["kk_valid"].all()
    assert (table["kk_M"] >= 10).all()


def test_roles_follow_capacitance_not_position(frames):
    """Swap the arcs' order in the circuit: the role columns must not change."""
    swapped = fit_series(frames[-3:], "R0-p(R2,CPE2)-p(R1,CPE1)", kk=False)
    assert np.all(np.abs(swapped["R_int_ohm"] / R_INT[-3:] - 1) < 0.05)
    assert np.all(np.abs(swapped["R_ct_ohm"] / R_CT[-3:] - 1) < 0.05)


def test_warm_start_is_never_worse_than_the_automatic_start(frames, table):
    cold = fit_series(frames[:3], CIRCUIT, kk=False, warm_start=False)
    assert (cold["start"] == "auto").all()
    assert np.all(table["chisqr"].iloc[:3].to_numpy() <= cold["chisqr"].to_numpy() * (1 + 1e-6))


def test_preset_adds_bulk_resistance_conductivity_and_per_face_values(frames):
    table = fit_series(frames[:2], "li-sse-symmetric", kk=False, thickness_cm=0.1, area_cm2=2.0)
    assert np.allclose(table["R_bulk_ohm"], R0, rtol=0.05)
    assert np.allclose(table["sigma_S_cm"], 0.1 / (R0 * 2.0), rtol=0.05)
    assert np.all(np.abs(table["R_int_ohm"] / R_INT[:2] - 1) < 0.05)
    assert np.allclose(table["R_ct_ohm_cm2"], table["R_ct_ohm"] * 2.0)
    assert np.allclose(table["R_int_face_ohm"], table["R_int_ohm"] / 2)
    assert np.allclose(table["R_ct_face_C_F"], 2 * table["R_ct_C_F"])
    arcs = table["result"].iloc[0].arcs
    assert list(arcs["role"]) == ["R_int", "R_ct"]  # FitResult.arcs: default ISW table


def test_a_failing_spectrum_is_a_row_with_its_error(frames):
    broken = frames[0].iloc[:3].copy()
    table = fit_series([frames[0], broken, frames[1]], CIRCUIT, kk=False)
    assert table["error"].iloc[1] is not None and isinstance(table["error"].iloc[1], str)
    assert table["result"].iloc[1] is None
    assert table["error"].iloc[[0, 2]].isna().all()
    assert np.isfinite(table["R_int_ohm"].iloc[2])


def test_one_frame_holding_several_sweeps_is_split(frames, table):
    combined = pd.concat(frames[:2], ignore_index=True)
    split = fit_series(combined, CIRCUIT, kk=False)
    assert len(split) == 2
    assert np.allclose(split["time_s"], TIMES_S[:2])
    assert np.allclose(split["R_int_ohm"], table["R_int_ohm"].iloc[:2], rtol=1e-3)


# --- arcs that cross in time constant keep their labels ----------------------------------------

#: Two interface arcs half a decade either side of R_ct's logarithmic centre (3.2e-6 F), so the
#: capacitance alone cannot rank them; arc A grows and arc B shrinks until their time constants
#: cross at sweep 3 (tau_A = R_A C_A = tau_B = R_B C_B) and part again.
C_A, C_B, N_AB = 1e-6, 1e-5, 0.9
R_A = np.geomspace(100.0, 3000.0, 7)
R_B = np.geomspace(300.0, 10.0, 7)
CROSS_FREQ = np.geomspace(1e6, 0.1, 71)


def crossing_spectrum(k: int) -> pd.DataFrame:
    omega = 2 * np.pi * CROSS_FREQ
    z = 15.0 + rcpe(omega, R_A[k], C_A, N_AB) + rcpe(omega, R_B[k], C_B, N_AB)
    rng = np.random.default_rng(200 + k)
    z = z + 0.002 * np.abs(z) * (rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size))
    return pd.DataFrame(
        {"time_s": TIMES_S[k], "freq_Hz": CROSS_FREQ, "z_real_ohm": z.real, "z_imag_ohm": z.imag}
    )


def test_arcs_crossing_in_time_constant_keep_their_labels():
    table = fit_series([crossing_spectrum(k) for k in range(7)], CIRCUIT, kk=False)
    labels = [
        c.removesuffix("_determined")
        for c in table.columns
        if c.startswith("R_ct") and c.endswith("_determined")
    ]
    assert {"R_ct", "R_ct_2"} <= set(labels)
    for passing in set(labels) - {"R_ct", "R_ct_2"}:  # a sliver fitted to noise, seen once
        assert table[f"{passing}_determined"].sum() == 1
    labels = ["R_ct", "R_ct_2"]
    truth = {}
    for label in labels:
        rows = table[table[f"{label}_determined"]]
        assert len(rows) >= 4, label  # labelled in most sweeps (not at the crossing itself)
        capacitance = rows[f"{label}_C_F"].to_numpy()
        # one label, one arc: its capacitance stays with A (1e-6 F) or with B (1e-5 F)
        near_a = np.abs(np.log10(capacitance / C_A)) < 0.3
        near_b = np.abs(np.log10(capacitance / C_B)) < 0.3
        assert near_a.all() or near_b.all(), (label, capacitance)
        truth[label] = R_A if near_a.all() else R_B
        # values where the fit is ok (near the crossing the spectrum shows one merged arc)
        good = rows[rows["ok"]]
        assert len(good) >= 3
        expected = truth[label][good.index]
        error = np.abs(good[f"{label}_ohm"] - expected)
        assert (error <= 4 * good[f"{label}_stderr_ohm"] + 0.02 * expected).all(), label
        assert rows[f"{label}_ohm"].notna().all()
        assert table.loc[~table[f"{label}_determined"], f"{label}_ohm"].isna().all()
    assert truth["R_ct"] is not truth["R_ct_2"]


def test_renamed_capacitance_columns_still_read_with_a_warning(table):
    """R_int_F held a capacitance under a resistance-like name: it is R_int_C_F now, and the
    old name reads for one release with a FutureWarning (echem.eis.table.ResultTable)."""
    import pickle

    from echem.eis.table import RenamedColumnWarning, ResultTable

    assert isinstance(table, ResultTable) and isinstance(table, pd.DataFrame)
    assert "R_int_F" not in table.columns and "R_int_C_F" in table.columns
    with pytest.warns(RenamedColumnWarning, match="'R_int_F' is now 'R_int_C_F'"):
        old = table["R_int_F"]
    pd.testing.assert_series_equal(old, table["R_int_C_F"])
    with pytest.warns(FutureWarning):
        both = table[["time_s", "R_ct_F"]]
    assert list(both.columns) == ["time_s", "R_ct_C_F"]
    with pytest.warns(FutureWarning):
        pd.testing.assert_series_equal(table.R_ct_F, table["R_ct_C_F"])
    with pytest.warns(FutureWarning):
        assert table.get("R_int_F") is not None
    # everything else is a DataFrame as usual, and stays one that reads old names
    subset = table.drop(columns=["result"]).iloc[:3].copy()
    assert isinstance(subset, ResultTable)
    with pytest.warns(FutureWarning):
        subset["R_int_F"]
    back = pickle.loads(pickle.dumps(subset))
    pd.testing.assert_frame_equal(back, subset)
    with pytest.raises(KeyError):
        table["R_nothing_F"]
    assert table.get("absent") is None
    assert "R_int_F" not in subset.to_csv()


def test_the_whole_table_pickles_with_its_fit_results(table):
    """The lmfit result kept the closure of its Jacobian (call_kws["Dfun"]): pickling a
    fit_series table (or any FitResult) raised "Can't pickle local object"."""
    import pickle

    back = pickle.loads(pickle.dumps(table))
    pd.testing.assert_frame_equal(back.drop(columns=["result"]), table.drop(columns=["result"]))
    for before, after in zip(table["result"], back["result"], strict=True):
        assert after.values == before.values and after.problems == before.problems
        assert after.lmfit_result is not None
        assert after.lmfit_result.params["R1"].value == before.values["R1"]
