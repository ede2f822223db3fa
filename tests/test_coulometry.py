"""Charge integration, short circuits, Li equivalents and decomposition bookkeeping.

Reference numbers are computed here from the formulas (GUIDE §3-4), independently of
echem, or read from the instrument's own charge column of real EC-Lab files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, real_files

import echem
from echem.coulometry import (
    ShortCircuitCriterion,
    charge,
    charge_at,
    cumulative_charge,
    detect_short_circuit,
    integrate,
    li_moles,
    li_thickness_um,
    li_volume,
)
from echem.decomposition import decomposition
from echem.errors import DataError, EchemWarning

F = 96485.33212
M_LI, RHO_LI = 6.94, 0.534
OPERANDO_CP = FIXTURES / "operando" / "li3ps4_plating_02_CP_C01.mpt"


def frame(t, current, **columns):
    return pd.DataFrame({"time_s": np.asarray(t, float), "current_A": current, **columns})


# --- the check values of GUIDE §4 ------------------------------------------------------
def test_seed_check_values():
    q = 0.8e-3 * 3.2 * 3600  # 0.8 mA cm^-2 for 3.2 h over 1 cm^2
    assert q == pytest.approx(9.216, rel=1e-12)
    assert li_moles(q) == pytest.approx(9.5517e-5, rel=5e-5)
    assert li_volume(q) == pytest.approx(1.2414e-3, rel=5e-5)
    assert li_thickness_um(q, 1.0) == pytest.approx(12.41, abs=0.005)
    assert li_thickness_um(-q, 1.0) == pytest.approx(12.41, abs=0.005)  # sign ignored
    # 1 mAh cm^-2 of Li is 4.849 um (GUIDE §3)
    assert li_thickness_um(3.6, 1.0) == pytest.approx(4.849, abs=5e-4)


def test_constants_are_parameters():
    assert li_volume(F, molar_mass=7.0, density=0.5) == pytest.approx(14.0)
    assert li_moles(2.0, faraday=2.0) == 1.0
    with pytest.raises(DataError):
        li_thickness_um(1.0, 0.0)


def test_constant_plating_current_integrates_to_the_check_charge():
    t = np.arange(0.0, 3.2 * 3600 + 1, 30.0)
    df = frame(t, np.full(t.size, -0.8e-3))
    result = integrate(df)
    assert result.total_C == pytest.approx(-9.216, rel=1e-12)
    assert result.direction == "cathodic"
    assert result.cathodic_C == pytest.approx(-9.216) and result.anodic_C == 0.0
    assert li_thickness_um(charge(df), 1.0) == pytest.approx(12.41, abs=0.005)
    assert not result.has_instrument_charge
    assert result.gaps.empty


# --- integration rules -----------------------------------------------------------------
def test_trapezoid_is_exact_for_a_linear_current_on_uneven_sampling():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.5, 1.5, 200))
    current = 1e-3 + 2e-6 * t
    expected = 1e-3 * (t[-1] - t[0]) + 1e-6 * (t[-1] ** 2 - t[0] ** 2)
    assert charge(frame(t, current)) == pytest.approx(expected, rel=1e-12)
    # stopping inside an interval integrates up to the stop exactly
    stop = 0.5 * (t[100] + t[101]) + 0.1
    partial = 1e-3 * (stop - t[0]) + 1e-6 * (stop**2 - t[0] ** 2)
    assert charge(frame(t, current), until_s=stop) == pytest.approx(partial, rel=1e-12)
    assert charge_at(frame(t, current), [stop])[0] == pytest.approx(partial, rel=1e-12)


def test_interval_mean_current_uses_the_right_point_rule():
    # EC-Lab's <I>: each sample is the mean over the interval that ends at it; the
    # point opening the step carries 0.
    t = np.array([0.0, 10.0, 20.0, 35.0])
    mean_current_ma = np.array([0.0, 0.12, 0.12, 0.2])
    df = frame(t, mean_current_ma * 1e-3, **{"<I>/mA": mean_current_ma})
    expected = (10 * 0.12 + 10 * 0.12 + 15 * 0.2) * 1e-3
    result = integrate(df)
    assert result.rule == "interval_mean"
    assert result.total_C == pytest.approx(expected, rel=1e-12)
    trapezoid = integrate(df, rule="trapezoid")
    assert trapezoid.total_C == pytest.approx(np.trapezoid(mean_current_ma * 1e-3, t))
    with pytest.raises(DataError):
        integrate(df, rule="simpson")


def test_step_boundaries_are_not_integrated_and_steps_are_tabulated():
    t = np.arange(0.0, 20.0)  # steps: rows 0-9 at -1 mA, rows 10-19 at +2 mA
    current = np.where(t < 10, -1e-3, 2e-3)
    step = np.where(t < 10, 0, 1)
    instrument = np.concatenate([[0.0], np.cumsum(np.diff(t) * current[1:])])  # right-point
    df = frame(t, current, step=step, charge_C=instrument)
    result = integrate(df)
    assert list(result.steps["step"]) == [0, 1]
    assert result.steps["charge_C"].tolist() == pytest.approx([-9e-3, 18e-3])
    assert result.steps["direction"].tolist() == ["cathodic", "anodic"]
    assert result.step_boundary_time_s == pytest.approx(1.0)
    assert result.total_C == pytest.approx(9e-3)
    assert result.direction == "mixed"
    # the instrument counted the boundary second at the new current: reported, not integrated
    assert result.instrument_skipped_C == pytest.approx(2e-3)
    assert result.steps["difference_C"].abs().max() < 1e-15
    assert charge(df, step=1) == pytest.approx(18e-3)
    with pytest.raises(DataError):
        charge(df, step=7)


def test_cycle_and_step_together_define_runs():
    t = np.arange(0.0, 12.0)
    df = frame(
        t, np.full(12, 1e-3), cycle=np.repeat([0, 1], 6), step=np.tile(np.repeat([0, 1], 3), 2)
    )
    result = integrate(df)
    assert len(result.steps) == 4
    assert result.steps["charge_C"].tolist() == pytest.approx([2e-3] * 4)
    assert charge(df, step=(1, 0)) == pytest.approx(2e-3)
    assert charge(df, step=1) == pytest.approx(4e-3)  # step 1 of both cycles


def test_logging_gap_is_flagged_and_not_integrated():
    t = np.concatenate([np.arange(0.0, 100.0), np.arange(600.0, 700.0)])
    current = np.full(t.size, -1e-3)
    instrument = -1e-3 * (t - t[0])  # the instrument kept counting through the gap
    df = frame(t, current, charge_C=instrument)
    result = integrate(df)
    assert len(result.gaps) == 1
    gap = result.gaps.iloc[0]
    assert (gap.t_start_s, gap.t_end_s, gap.duration_s, gap.kind) == (99.0, 600.0, 501.0, "gap")
    assert gap.instrument_charge_C == pytest.approx(-0.501)
    assert result.total_C == pytest.approx(-0.198)
    assert result.instrument_total_C == pytest.approx(-0.198)
    series = cumulative_charge(df)
    assert series.iloc[99] == series.iloc[100]  # flat across the gap
    assert series.iloc[-1] == pytest.approx(result.total_C)
    # an absolute threshold replaces the relative criterion
    assert integrate(df, max_interval_s=1000).total_C == pytest.approx(-0.699)
    with pytest.warns(UserWarning, match="1 logging gap"):
        assert charge(df) == pytest.approx(-0.198)


def test_burst_then_regular_sampling_is_not_a_gap():
    # EC-Lab: fast points after a change, then the regular interval (30 s) in one run.
    t = np.concatenate([[0.0, 0.05, 0.1, 0.2, 0.4], 0.4 + 30.0 * np.arange(1, 50)])
    df = frame(t, np.full(t.size, 1e-3))
    result = integrate(df)
    assert result.gaps.empty
    assert result.total_C == pytest.approx(1e-3 * t[-1])


def test_time_reversal_is_reported():
    df = frame([0.0, 1.0, 2.0, 1.5, 2.5, 3.5], np.full(6, 1e-3))
    result = integrate(df)
    assert result.gaps["t_start_s"].tolist() == [2.0]
    assert result.gaps["kind"].tolist() == ["time_reversal"]
    assert result.total_C == pytest.approx(4e-3)


def test_bad_frames_raise_data_errors():
    with pytest.raises(DataError, match="current_A"):
        integrate(pd.DataFrame({"time_s": [0.0, 1.0]}))
    with pytest.raises(DataError, match="at least 2"):
        integrate(frame([0.0], [1.0]))
    with pytest.raises(DataError):
        integrate(frame([0.0, 1.0], [1.0, 1.0]), gap_factor=0.5)
    nan_row = frame([0.0, 1.0, 2.0, 3.0], [1e-3, np.nan, 1e-3, 1e-3])
    with pytest.warns(EchemWarning, match="1 row"):  # the NaN row is dropped, and told
        assert charge(nan_row) == pytest.approx(3e-3)
    with pytest.warns(EchemWarning, match="row positions 1"):
        assert np.isnan(cumulative_charge(nan_row).iloc[1])


# --- short circuit ---------------------------------------------------------------------
def shorting_record(short_s=7200.0, dt=30.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 9000.0 + dt / 2, dt)
    polarisation = np.where(t >= short_s, -0.003, -0.1 + 2e-6 * t)
    voltage = polarisation + 3e-4 * rng.standard_normal(t.size)
    voltage[50] = 0.0  # a single spike to 0 V long before the short
    voltage[np.searchsorted(t, short_s) + 3] = -0.08  # and one after it
    return frame(t, np.full(t.size, -0.8e-3), voltage_V=voltage)


def test_short_circuit_detected_at_the_collapse_despite_noise_and_spikes():
    df = shorting_record()
    assert detect_short_circuit(df) == 7200.0
    assert charge(df, stop_at_short=True) == pytest.approx(-0.8e-3 * 7200.0, rel=1e-12)
    result = integrate(df, stop_at_short=True)
    assert result.short_circuit_s == 7200.0 and result.stopped_at_s == 7200.0
    assert result.steps["t_end_s"].iloc[-1] == 7200.0
    assert charge(df) == pytest.approx(-0.8e-3 * 9000.0)  # not stopped unless asked
    assert charge_at(df, [3600.0, 8000.0], stop_at_short=True) == pytest.approx(
        [-0.8e-3 * 3600.0, -0.8e-3 * 7200.0]
    )


def test_no_short_for_low_polarisation_rest_periods_or_brief_dips():
    t = np.arange(0.0, 3600.0, 10.0)
    low = frame(t, np.full(t.size, 1e-4), voltage_V=np.full(t.size, 0.004))
    assert detect_short_circuit(low) is None  # never collapsed: a well-behaved cell
    current = np.where((t > 1000) & (t < 2000), 0.0, -1e-3)  # rest at ~0 V
    voltage = np.where(current == 0, 1e-4, -0.1)
    assert detect_short_circuit(frame(t, current, voltage_V=voltage)) is None
    dip = np.where((t >= 1000) & (t < 1060), 0.001, -0.1)  # 6 points, 50 s < hold_s
    assert detect_short_circuit(frame(t, np.full(t.size, -1e-3), voltage_V=dip)) is None
    # the criterion is a parameter
    assert detect_short_circuit(
        frame(t, np.full(t.size, -1e-3), voltage_V=dip), hold_s=20.0
    ) == pytest.approx(1000.0)
    strict = ShortCircuitCriterion(threshold_V=0.002)
    assert detect_short_circuit(shorting_record(), strict) is None


def test_operando_fixture_shorts_at_3_2_h_and_plates_12_41_um():
    df = echem.read(OPERANDO_CP)
    result = integrate(df, stop_at_short=True)
    assert result.short_circuit_s == pytest.approx(3.2 * 3600)
    assert result.direction == "cathodic"
    # 0.8 mA cm^-2 for 3.2 h: 9.216 C cm^-2, 12.41 um (current noise 0.05 % in the file)
    area = df.attrs["metadata"]["electrode_area_cm2"]
    assert -result.total_C / area == pytest.approx(9.216, rel=1e-3)
    assert li_thickness_um(result.total_C, area) == pytest.approx(12.41, abs=0.02)
    # the generator's instrument column is the same trapezoid: agreement to print precision
    assert abs(result.total_C - result.instrument_total_C) < 1e-8


# --- real EC-Lab galvanostatic files ---------------------------------------------------
REAL_GALVANOSTATIC = [
    p
    for pattern in ("biologic/gcpl*.mp[rt]", "biologic/cp*.mp[rt]", "biologic/mb*.mp[rt]")
    for p in real_files(pattern)
]


@pytest.mark.skipif(not REAL_GALVANOSTATIC, reason="real BioLogic files absent")
@pytest.mark.parametrize("path", REAL_GALVANOSTATIC, ids=lambda p: p.name)
def test_each_step_agrees_with_the_instrument_charge(path):
    """Integrated charge per run vs EC-Lab's cumulative (Q-Qo) over the same intervals.

    Tolerance, per run: ``sampling_bound_C`` + 2 x 1.2e-7 x max|Q| of the run.
    * Sampling: EC-Lab integrates the current at its internal rate, the file holds one
      sample per recording interval. With an instantaneous current (``I``) the trapezoid
      can differ from the true integral by at most sum(dt |dI|)/2 when the current is
      monotonic between samples: the run's ``sampling_bound_C``. With the interval-mean
      current (``<I>``) the right-point rule is exact, the bound is 0.
    * Text/storage precision: (Q-Qo)/C is printed with 8 significant digits and stored as
      float32 in .mpr files (relative 6e-8 per value, two values per difference).
    Runs carrying a frequency (EIS inside a modulo bat) are left out: the instrument
    integrates the AC excitation between the one-per-frequency samples.
    """
    df = echem.read(path)
    result = integrate(df)
    assert result.has_instrument_charge
    steps = result.steps
    finite = np.isfinite(df["time_s"]) & np.isfinite(df["current_A"])
    if "freq_Hz" in df.columns:
        eis_runs = set()
        runs = pd.Series(df["freq_Hz"].to_numpy()[finite] > 0)
        keys = [c for c in ("cycle", "step") if c in df.columns]
        sub = df.loc[finite, keys].reset_index(drop=True)
        for key, _group in sub[runs].groupby(keys):
            eis_runs.add(key if isinstance(key, tuple) else (key,))
        keep = [tuple(row) not in eis_runs for row in steps[keys].itertuples(index=False)]
        steps = steps[keep]
    assert len(steps) >= 1
    q = df["charge_C"].abs()
    precision = 2 * 1.2e-7 * float(q.max()) + 1e-15
    if "<I>/mA" in df.columns and "I/mA" not in df.columns:
        # interval means: the right-point rule is exact, only precision is left
        assert result.rule == "interval_mean"
        tolerance = pd.Series(precision, index=steps.index)
    else:
        assert result.rule == "trapezoid"
        tolerance = steps["sampling_bound_C"] + precision
    excess = steps["difference_C"].abs() - tolerance
    assert (excess <= 0).all(), steps.assign(excess=excess).to_string()
    # and plainly: within 1 % on every run that carries a sizeable share of the charge
    sizeable = steps["instrument_charge_C"].abs() > 1e-3 * steps["instrument_charge_C"].abs().max()
    assert (steps.loc[sizeable, "relative_difference"].abs() < 0.01).all()


def test_real_logging_gaps_are_found_where_the_record_stops():
    paths = [p for p in REAL_GALVANOSTATIC if p.name == "cp.issue_149.mpt"]
    if not paths:
        pytest.skip("cp.issue_149.mpt absent")
    result = integrate(echem.read(paths[0]))
    # a loop whose other technique is not in this file: ~191 s without records, 1 s sampling
    assert len(result.gaps) == 3
    assert result.gaps["duration_s"].between(190, 192).all()
    assert result.sampling_interval_s == pytest.approx(1.0, abs=1e-6)


def test_real_files_have_no_short_circuit():
    for path in REAL_GALVANOSTATIC:
        assert detect_short_circuit(echem.read(path)) is None, path.name


# --- decomposition ---------------------------------------------------------------------
def test_decomposition_bookkeeping_matches_the_guide():
    d = decomposition(1.0)
    n_li = 1.0 * RHO_LI / M_LI
    assert d.li_mol == pytest.approx(n_li, rel=1e-12)
    assert d.charge_C == pytest.approx(n_li * F, rel=1e-12)
    assert d.electrolyte_consumed_mol == pytest.approx(n_li / 8, rel=1e-12)
    assert d.electrolyte_consumed_cm3 == pytest.approx(n_li / 8 * 180.03 / 1.87, rel=1e-12)
    li2s = n_li / 8 * 4 * 45.94 / 1.66
    li3p = n_li / 8 * 51.79 / 1.43
    assert d.product_volumes_cm3 == pytest.approx({"Li2S": li2s, "Li3P": li3p}, rel=1e-12)
    assert d.products_cm3 == pytest.approx(1.413, abs=5e-4)
    assert d.electrolyte_consumed_cm3 == pytest.approx(0.926, abs=5e-4)
    assert d.volume_ratio == pytest.approx(1.53, abs=0.005)
    assert d.equation == "Li3PS4 + 8 Li -> 4 Li2S + Li3P"
    species = d.parameters["species"]
    assert species["Li3PS4"]["density"] == 1.87 and species["Li"]["molar_mass"] == 6.94
    assert "100 %" in d.parameters["assumption"] and "Li3PS4" in d.summary()


def test_decomposition_parameters_arrays_and_bad_input():
    gamma = decomposition(1.0, densities={"Li3PS4": 1.93})
    assert gamma.electrolyte_consumed_cm3 == pytest.approx(0.926 * 1.87 / 1.93, abs=5e-4)
    assert gamma.parameters["species"]["Li3PS4"]["density"] == 1.93
    half = decomposition(2.0, fraction_reacted=0.5)
    assert half.products_cm3 == pytest.approx(decomposition(1.0).products_cm3)
    many = decomposition(np.array([-1.0, 0.0, 2.0]))
    assert many.products_cm3 == pytest.approx([0.0, 0.0, 2 * decomposition(1.0).products_cm3])
    with pytest.raises(DataError):
        decomposition(1.0, densities={"Unobtainium": 1.0})
    with pytest.raises(DataError):
        decomposition(1.0, fraction_reacted=2.0)
