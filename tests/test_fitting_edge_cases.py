"""Edge cases of the fitting stack against impedance.py's CustomCircuit as independent generator."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from echem.eis import fit, fit_many, fit_series
from echem.errors import DataError

impedance_circuits = pytest.importorskip("impedance.models.circuits")

TWO_ARCS = "R0-p(R1,CPE1)-p(R2,CPE2)"
TRUE = {
    "R0": 10.0,
    "R1": 50.0,
    "CPE1_Q": 1e-5,
    "CPE1_n": 0.85,
    "R2": 200.0,
    "CPE2_Q": 1e-3,
    "CPE2_n": 0.8,
}
FREQ = np.logspace(5, -1, 40)


def _predict(circuit: str, values, freq=FREQ) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Simulating circuit based on initial parameters"
        return impedance_circuits.CustomCircuit(circuit, initial_guess=list(values)).predict(freq)


def _noisy(z0: np.ndarray, seed: int, level: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return z0 + level * np.abs(z0) * (rng.normal(size=len(z0)) + 1j * rng.normal(size=len(z0)))


@pytest.fixture(scope="module")
def z_two_arcs() -> np.ndarray:
    return _noisy(_predict(TWO_ARCS, TRUE.values()), seed=1)


def test_one_sigma_coverage_near_68_percent():
    z0 = _predict(TWO_ARCS, TRUE.values())
    truth = np.array(list(TRUE.values()))
    inside = []
    for seed in range(30):
        r = fit(FREQ, _noisy(z0, seed), TWO_ARCS)
        err = np.array(list(r.stderr.values()))
        assert np.all(np.isfinite(err)) and np.all(err > 0)
        inside.append(np.abs(np.array(list(r.values.values())) - truth) <= err)
    rate = np.mean(inside)
    # 210 (correlated) parameter draws: 0.68 +- ~0.05
    assert 0.55 <= rate <= 0.80, rate


@pytest.mark.parametrize(
    ("circuit", "values"),
    [
        (TWO_ARCS + "-W1", [*TRUE.values(), 30.0]),
        ("L1-" + TWO_ARCS, [1e-6, *TRUE.values()]),
    ],
)
def test_warburg_and_inductor_recovered_within_uncertainty(circuit, values):
    r = fit(FREQ, _noisy(_predict(circuit, values), seed=3), circuit)
    for (name, value), true in zip(r.values.items(), values, strict=True):
        assert abs(value - true) <= 4 * r.stderr[name], name


def test_order_of_points_does_not_change_the_result(z_two_arcs):
    desc = fit(FREQ, z_two_arcs, TWO_ARCS)
    asc = fit(FREQ[::-1], z_two_arcs[::-1], TWO_ARCS)
    perm = np.random.default_rng(0).permutation(len(FREQ))
    shuffled = fit(FREQ[perm], z_two_arcs[perm], TWO_ARCS)
    for other in (asc, shuffled):
        for name in desc.values:
            assert other.values[name] == pytest.approx(desc.values[name], rel=1e-7)
            assert other.stderr[name] == pytest.approx(desc.stderr[name], rel=1e-5)
        assert other.chisqr == pytest.approx(desc.chisqr, rel=1e-9)


def test_deterministic(z_two_arcs):
    a = fit(FREQ, z_two_arcs, TWO_ARCS)
    b = fit(FREQ, z_two_arcs, TWO_ARCS)
    assert a.values == b.values and a.stderr == b.stderr and a.chisqr == b.chisqr


def test_nan_point_and_too_few_points_are_clear_errors(z_two_arcs):
    z = z_two_arcs.copy()
    z[3] = np.nan
    with pytest.raises(DataError, match="index 3"):
        fit(FREQ, z, TWO_ARCS)
    with pytest.raises(DataError, match="6 points for 7 free parameters"):
        fit(FREQ[:6], z_two_arcs[:6], TWO_ARCS)


def test_units_of_parameters():
    units = {
        p.name: p.unit
        for p in fit(
            FREQ, _predict(TWO_ARCS + "-W1", [*TRUE.values(), 30.0]), TWO_ARCS + "-W1"
        ).circuit.parameters
    }
    assert units["R0"] == "Ω" and units["CPE1_Q"] == "F s^(n-1)" and units["CPE1_n"] == ""
    assert units["W1"] == "Ω s^-1/2"


def test_over_parametrised_series_resistors_reported_undetermined(z_two_arcs):
    r = fit(FREQ, z_two_arcs, "R0-R3-p(R1,CPE1)-p(R2,CPE2)")
    assert r.values["R0"] + r.values["R3"] == pytest.approx(
        fit(FREQ, z_two_arcs, TWO_ARCS).values["R0"], rel=1e-6
    )
    for name in ("R0", "R3"):  # only their sum is determined: no small uncertainty may be shown
        err = r.stderr[name]
        assert not np.isfinite(err) or err > 1e3 * r.values[name]


def test_parameter_on_a_bound_keeps_the_other_uncertainties(z_two_arcs):
    """R0 pinned at a lower bound above its true value (and CPE1_n driven to 1) used to give
    NaN stderr for *every* parameter (lmfit: "Could not estimate error-bars")."""
    r = fit(FREQ, z_two_arcs, TWO_ARCS, bounds={"R0": (20.0, None)})
    assert r.values["R0"] == 20.0 and r.values["CPE1_n"] == 1.0
    assert np.isnan(r.stderr["R0"]) and np.isnan(r.stderr["CPE1_n"])
    # independent: the same optimum with the pinned parameters fixed; stderr scaled to the
    # bounded fit's reduced chi-square (one more degree of freedom per fixed parameter)
    ref = fit(FREQ, z_two_arcs, TWO_ARCS, fixed={"R0": 20.0, "CPE1_n": 1.0})
    scale = np.sqrt(r.redchi / ref.redchi)
    for name in ("R1", "CPE1_Q", "R2", "CPE2_Q", "CPE2_n"):
        assert r.values[name] == pytest.approx(ref.values[name], rel=1e-5)
        assert r.stderr[name] == pytest.approx(ref.stderr[name] * scale, rel=1e-3), name
    assert r.correl.loc["R2", "CPE2_Q"] == pytest.approx(ref.correl.loc["R2", "CPE2_Q"], abs=1e-4)
    assert np.isnan(r.correl.loc["R0", "R1"])


def test_chisqr_not_worse_than_impedance_py(z_two_arcs):
    r = fit(FREQ, z_two_arcs, TWO_ARCS, weighting="unit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start in (list(r.values.values()), [1.0] * 7):
            ref = impedance_circuits.CustomCircuit(TWO_ARCS, initial_guess=start).fit(
                FREQ, z_two_arcs
            )
            d = ref.predict(FREQ) - z_two_arcs
            assert r.chisqr <= np.sum(d.real**2 + d.imag**2) * (1 + 1e-6)


def _frame(z: np.ndarray, t0: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time_s": t0 + np.arange(len(FREQ)),
            "freq_Hz": FREQ,
            "z_real_ohm": z.real,
            "z_imag_ohm": z.imag,
        }
    )


def test_fit_many_and_series_with_one_bad_spectrum():
    z0 = _predict(TWO_ARCS, TRUE.values())
    frames = [_frame(_noisy(z0, s), 100.0 * s) for s in range(3)]
    frames[1].loc[4, "z_real_ohm"] = np.nan
    with ThreadPoolExecutor(2) as ex:
        table = fit_many(frames, TWO_ARCS, executor=ex, progress=False)
    assert table["success"].tolist() == [True, False, True]
    assert "index 4" in table.loc[1, "error"] and table.loc[[0, 2], "error"].isna().all()
    assert np.isnan(table.loc[1, "R1"]) and abs(table.loc[2, "R1"] - 50) < 3
    series = fit_series(frames, TWO_ARCS, kk=False)
    assert "index 4" in series.loc[1, "error"]
    assert series["success"].tolist() == [True, False, True]  # as fit_many: False, not NaN
    assert series.loc[[0, 2], "R1"].notna().all() and series.loc[2, "time_s"] == 200.0


@pytest.mark.parametrize("factor", [1e-6, 1e8, 1e12])
def test_result_scales_with_the_impedance(z_two_arcs, factor):
    """Z -> k Z must give R -> k R, Q -> Q/k, same n, same chi-square. lmfit's bound transform
    kept only ~2e-16 absolute of each parameter: Q = 1e-13 F (k = 1e8) lost digits, and at
    k = 1e12 the polish wrecked the optimum (R0 1e13 -> 6.6e7, Q -> 0, chi-square x 1e30)."""
    ref = fit(FREQ, z_two_arcs, TWO_ARCS)
    r = fit(FREQ, factor * z_two_arcs, TWO_ARCS)
    for name, value in ref.values.items():
        power = {"R": 1, "C": -1}.get(name[0], 0) if not name.endswith("_n") else 0
        assert r.values[name] == pytest.approx(value * factor**power, rel=1e-6), name
        assert r.stderr[name] == pytest.approx(ref.stderr[name] * factor**power, rel=1e-3), name
    assert r.chisqr == pytest.approx(ref.chisqr, rel=1e-8)


def test_picofarad_bulk_arc_exact():
    """A solid electrolyte's bulk arc: 1 MOhm, 1 pF ideal; noise-free data give it to ~1e-12."""
    values = [100.0, 1e6, 1e-12, 1.0]
    freq = np.logspace(7, 1, 40)
    r = fit(freq, _predict("R0-p(R1,CPE1)", values, freq), "R0-p(R1,CPE1)")
    for (name, value), true in zip(r.values.items(), values, strict=True):
        assert value == pytest.approx(true, rel=1e-9), name
