"""Edge cases of charge integration, Li equivalents and short-circuit detection.

Reference numbers are computed here from GUIDE §3-4 (F, M, rho), independently of echem,
or read from the instrument's own (Q-Qo) column of real EC-Lab files.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import real
from hypothesis import given, settings
from hypothesis import strategies as st

import echem
from echem import coulometry
from echem.coulometry import (
    charge,
    charge_at,
    cumulative_charge,
    detect_short_circuit,
    integrate,
    li_moles,
    li_thickness_um,
    li_volume,
)
from echem.errors import DataError, EchemWarning

F, M_LI, RHO_LI = 96485.33212, 6.94, 0.534


def frame(t, current, **columns):
    return pd.DataFrame({"time_s": np.asarray(t, float), "current_A": current, **columns})


# --- exact charges -----------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.01, 50.0), min_size=1, max_size=40),
    st.floats(-1.0, 1.0).filter(lambda x: abs(x) > 1e-9),
    st.sampled_from(["trapezoid", "interval_mean"]),
)
def test_constant_current_on_uneven_steps_is_exact(steps, current, rule):
    # steps up to 50x apart can look like gaps; max_interval_s keeps them all integrated
    t = np.concatenate([[0.0], np.cumsum(steps)])
    df = frame(t, np.full(t.size, current))
    q = charge(df, rule=rule, max_interval_s=1e9)
    assert q == pytest.approx(current * t[-1], rel=1e-12)


def test_current_changing_sign_splits_cathodic_and_anodic():
    # plating -1 mA for 10 s, a linear ramp through 0 over 2 s, stripping +2 mA for 5 s
    t = np.array([0.0, 5.0, 10.0, 12.0, 14.5, 17.0])
    current = np.array([-1e-3, -1e-3, -1e-3, 2e-3, 2e-3, 2e-3])
    result = integrate(frame(t, current))
    # the ramp interval (10 -> 12 s) nets (-1 + 2)/2 mA x 2 s = +1 mC as one increment
    assert result.cathodic_C == pytest.approx(-10e-3, rel=1e-12)
    assert result.anodic_C == pytest.approx(1e-3 + 10e-3, rel=1e-12)
    assert result.total_C == pytest.approx(1e-3, rel=1e-12)
    assert result.direction == "mixed"


def test_one_hour_at_0_8_mA_cm2_gives_the_thickness_from_the_constants():
    area_cm2 = 0.785  # a 10 mm disc
    t = np.arange(0.0, 3600.0 + 1, 10.0)
    current_A = -0.8e-3 * area_cm2  # 0.8 mA cm^-2, cathodic
    q = charge(frame(t, np.full(t.size, current_A)))
    expected_um = 0.8e-3 * 3600 / F * M_LI / RHO_LI * 1e4  # per cm^2: 3.879 um
    assert expected_um == pytest.approx(3.8793, abs=1e-4)
    assert li_thickness_um(q, area_cm2) == pytest.approx(expected_um, rel=1e-12)
    assert li_volume(q) == pytest.approx(expected_um * 1e-4 * area_cm2, rel=1e-12)
    assert li_moles(q) == pytest.approx(0.8e-3 * 3600 * area_cm2 / F, rel=1e-12)


def test_integer_dtypes_integrate_exactly():
    df = pd.DataFrame({"time_s": np.arange(6), "current_A": np.full(6, 2, dtype=np.int64)})
    assert charge(df) == 10.0
    assert cumulative_charge(df).tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]


def test_repeated_timestamps_add_nothing_and_reversals_are_reported():
    result = integrate(frame([0.0, 1.0, 1.0, 2.0], np.full(4, 1e-3)))
    assert result.total_C == pytest.approx(2e-3) and result.gaps.empty
    # a loop restarting the clock: the reversal is reported, never integrated
    result = integrate(frame([0.0, 1.0, 2.0, 0.0, 1.0, 2.0], np.full(6, 1e-3)))
    assert result.total_C == pytest.approx(4e-3)
    assert result.gaps["kind"].tolist() == ["time_reversal"]


# --- bad values and parameters ------------------------------------------------------------
@pytest.mark.parametrize("column", ["time_s", "current_A"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_rows_are_left_out_with_a_warning(column, bad):
    df = frame([0.0, 1.0, 2.0, 3.0], np.full(4, 1e-3))
    df.loc[1, column] = bad
    with pytest.warns(EchemWarning, match=r"1 row\(s\).*row positions 1"):
        q = charge(df)
    assert q == pytest.approx(3e-3)  # the neighbours are joined across the row
    with pytest.warns(EchemWarning):
        assert np.isnan(cumulative_charge(df).iloc[1])


def test_clean_frames_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        charge(frame([0.0, 1.0, 2.0], np.full(3, 1e-3)))


def test_empty_single_row_and_non_numeric_frames_raise():
    with pytest.raises(DataError, match="at least 2"):
        integrate(frame([], []))
    with pytest.raises(DataError, match="at least 2"):
        integrate(frame([0.0], [1e-3]))
    text = pd.DataFrame({"time_s": [0.0, 1.0, 2.0], "current_A": ["1", "1", "x"]})
    with pytest.raises(DataError, match="current_A is not numeric"):
        integrate(text)


@pytest.mark.parametrize(
    "options",
    [
        {"gap_factor": float("nan")},
        {"max_interval_s": -1.0},
        {"max_interval_s": 0.0},
        {"max_interval_s": float("nan")},
        {"until_s": float("nan")},
    ],
)
def test_impossible_integration_parameters_raise(options):
    # NaN disabled the gap criterion or the stop silently; a negative max_interval_s
    # made every interval a gap
    with pytest.raises(DataError):
        integrate(frame([0.0, 1.0, 2.0], np.full(3, 1e-3)), **options)


@pytest.mark.parametrize("area", [-1.0, 0.0, float("nan"), float("inf"), np.array([1.0, -1.0])])
def test_impossible_areas_raise(area):
    with pytest.raises(DataError, match="area_cm2"):
        li_thickness_um(1.0, area)


def test_area_arrays_give_one_thickness_each():
    expected = 3.6 / F * M_LI / RHO_LI * 1e4  # 1 mAh cm^-2: 4.849 um
    assert li_thickness_um(3.6, np.array([1.0, 2.0])) == pytest.approx(
        [expected, expected / 2], rel=1e-12
    )


@pytest.mark.parametrize("name", ["molar_mass", "density", "faraday"])
@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
def test_impossible_constants_raise(name, value):
    # density 0 raised ZeroDivisionError, a negative density gave a negative volume
    with pytest.raises(DataError, match=name):
        li_volume(1.0, **{name: value})


# --- the instrument's counter resets (cp.issue_149: (Q-Qo) restarts at every loop) --------
def test_instrument_counter_reset_is_not_counted_as_charge():
    df = echem.read(real("biologic/cp.issue_149.mpt"))
    result = integrate(df)
    assert result.instrument_resets == 3
    assert result.gaps["instrument_charge_C"].isna().all()
    # what is left skipped: three 1-s step changes at a constant 20 uA (the reset made
    # it -4.8e-4 C against a positive current)
    current = float(df["current_A"].median())
    assert current == pytest.approx(2e-5, rel=1e-3)
    assert result.instrument_skipped_C == pytest.approx(
        current * result.step_boundary_time_s, rel=1e-3
    )
    assert "3 counter reset(s) left out" in result.summary()


def test_synthetic_counter_reset_and_missing_instrument_value():
    t = np.arange(0.0, 10.0)
    current = np.full(t.size, -1e-3)
    q = -1e-3 * t
    q[6:] = -1e-3 * (t[6:] - 5.5)  # reset half way through the interval 5 -> 6 s
    result = integrate(frame(t, current, charge_C=q))
    assert result.instrument_resets == 1
    assert np.isnan(result.steps["instrument_charge_C"].iloc[0])  # unknown, not wrong
    # a missing instrument value is bridged, not counted as 0
    q = -1e-3 * t
    q[4] = np.nan
    result = integrate(frame(t, current, charge_C=q))
    assert result.instrument_total_C == pytest.approx(-9e-3, rel=1e-12)
    assert result.instrument_resets == 0


# --- short circuit ---------------------------------------------------------------------------
T = np.arange(0.0, 3600.0, 10.0)
PLATING = np.full(T.size, -1e-3)


def test_sudden_drop_clean_and_noisy():
    voltage = np.where(T >= 2000.0, -0.002, -0.1)
    assert detect_short_circuit(frame(T, PLATING, voltage_V=voltage)) == 2000.0
    noise = 1e-3 * np.random.default_rng(1).standard_normal(T.size)
    assert detect_short_circuit(frame(T, PLATING, voltage_V=voltage + noise)) == 2000.0


def test_no_short_says_none():
    noise = 2e-3 * np.random.default_rng(2).standard_normal(T.size)
    assert detect_short_circuit(frame(T, PLATING, voltage_V=-0.1 + noise)) is None


def test_short_at_the_first_or_last_points():
    shorted_from_start = np.full(T.size, -0.002)
    assert detect_short_circuit(frame(T, PLATING, voltage_V=shorted_from_start)) is None
    last = np.full(T.size, -0.1)
    last[-1] = -0.001  # one point: not a persistent collapse
    assert detect_short_circuit(frame(T, PLATING, voltage_V=last)) is None
    last[-5:] = -0.001  # window (5) points up to the end of the record
    assert detect_short_circuit(frame(T, PLATING, voltage_V=last)) == T[-5]


def test_short_in_a_record_that_mostly_rests():
    # 97 % of the points rest at 0 A: the 95th percentile of |I| was 0 and the detector
    # answered "no short" without looking
    t = np.arange(0.0, 40000.0, 10.0)
    current = np.where(t >= 39000.0, -1e-3, 0.0)
    voltage = np.where(t >= 39000.0, -0.1, 0.0)
    voltage[t >= 39500.0] = -0.002
    assert detect_short_circuit(frame(t, current, voltage_V=voltage)) == 39500.0
    result = integrate(frame(t, current, voltage_V=voltage), stop_at_short=True)
    # 500 s plating plus the trapezoid of the switch-on interval (0 -> -1 mA over 10 s)
    assert result.total_C == pytest.approx(-1e-3 * 500.0 - 0.5e-3 * 10.0, rel=1e-12)


@pytest.mark.parametrize(
    "override",
    [
        {"window": 4},
        {"window": 2.5},
        {"window": 0},
        {"threshold_V": float("nan")},
        {"threshold_V": -0.005},
        {"hold_s": float("nan")},
        {"collapse_ratio": float("nan")},
        {"collapse_ratio": 0.5},
        {"lookback_s": 0.0},
        {"min_current_fraction": float("nan")},
        {"min_current_fraction": 2.0},
        {"threshold": 0.005},
    ],
)
def test_impossible_criteria_raise(override):
    # NaN fields made every comparison false: "no short" whatever the data; an even
    # window moved the detected time by one sample (2010 s instead of 2000 s)
    voltage = np.where(T >= 2000.0, -0.002, -0.1)
    with pytest.raises(DataError):
        detect_short_circuit(frame(T, PLATING, voltage_V=voltage), **override)


def test_charge_at_and_until_stop_inside_an_interval():
    df = frame([0.0, 10.0, 20.0], [0.0, 1e-3, 1e-3])
    # trapezoid from 0 to 5 s on a ramp 0 -> 0.5 mA: 1.25 mC
    assert charge(df, until_s=5.0) == pytest.approx(1.25e-3, rel=1e-12)
    assert charge_at(df, [5.0, 20.0, 25.0, np.nan]) == pytest.approx(
        [1.25e-3, 15e-3, np.nan, np.nan], nan_ok=True
    )


def test_public_functions_state_units():
    units = {
        "integrate": ["s", "A"],
        "charge": ["C"],
        "cumulative_charge": ["C"],
        "charge_at": ["C"],
        "li_moles": ["mol", "C"],
        "li_volume": ["cm^3", "C"],
        "li_thickness_um": ["µm", "cm^2"],
        "direction_of": ["C"],
        "detect_short_circuit": ["time_s", ", s", "V"],
    }
    for name, tokens in units.items():
        doc = getattr(coulometry, name).__doc__ or ""
        for token in tokens:
            assert token in doc, (name, token)


def test_object_columns_with_missing_values_integrate_like_floats():
    """time and current in object columns holding pd.NA: the row is left out (with a
    warning) everywhere, not only where the record is built (integrate and
    cumulative_charge raised a bare TypeError from re-reading the columns)."""
    df = pd.DataFrame(
        {
            "time_s": pd.Series([0.0, 1.0, pd.NA, 3.0], dtype=object),
            "current_A": pd.Series([1e-3, 1e-3, 1e-3, 1e-3], dtype=object),
        }
    )
    with pytest.warns(EchemWarning, match="row positions 2"):
        assert integrate(df).total_C == pytest.approx(3e-3)
    with pytest.warns(EchemWarning, match="row positions 2"):
        values = cumulative_charge(df).to_numpy()
    np.testing.assert_allclose(values[[0, 1, 3]], [0.0, 1e-3, 3e-3])
    assert np.isnan(values[2])
