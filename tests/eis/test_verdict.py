"""The verdict of a fit: what the data determine, and the problems in words (echem.eis.verdict).

Synthetic spectra of known truth, 1 % noise proportional to |Z| (what potentiostats produce),
3 MHz-0.1 Hz at 10 points per decade unless said otherwise.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from echem.eis import FitResult, fit
from echem.eis.circuit import Circuit
from echem.eis.verdict import MAX_RELATIVE_STDERR

FREQ = np.logspace(np.log10(3e6), -1, 76)
TWO = "R0-p(R1,CPE1)-p(R2,CPE2)"
TRUE_TWO = {
    "R0": 20.0,
    "R1": 500.0,
    "CPE1_Q": 1e-8,
    "CPE1_n": 0.9,
    "R2": 2000.0,
    "CPE2_Q": 1e-5,
    "CPE2_n": 0.8,
}


def noisy(z: np.ndarray, seed: int = 1, level: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return z + level * np.abs(z) * (rng.normal(size=len(z)) + 1j * rng.normal(size=len(z)))


def two_arcs(seed: int = 1) -> np.ndarray:
    return noisy(Circuit(TWO).impedance(FREQ, TRUE_TWO), seed)


def assert_every_nan_stderr_has_a_reason(result: FitResult) -> None:
    for name, err in result.stderr.items():
        if not np.isfinite(err):
            assert result.reasons[name], name
            assert not result.determined[name], name


def test_a_fit_the_data_support_is_ok():
    result = fit(FREQ, two_arcs(), TWO)
    assert result.ok and result.problems == ()
    assert all(result.determined.values()) and set(result.reasons.values()) == {""}
    assert result.noise == pytest.approx(0.01, rel=0.3)  # Lin-KK sees the 1 % noise
    assert result.residual_level == pytest.approx(result.noise, rel=0.3)
    table = result.parameters
    assert table["determined"].all() and (table["rel_stderr"] < MAX_RELATIVE_STDERR).all()
    assert "ok: the circuit describes the data" in result.summary()


def test_resistors_in_series_are_degenerate_with_nan_stderr_and_a_reason():
    result = fit(FREQ, two_arcs(), "R0-R3-p(R1,CPE1)-p(R2,CPE2)")
    assert not result.ok and result.success  # lmfit converged; the verdict says why not ok
    for name in ("R0", "R3"):
        assert not result.determined[name] and np.isnan(result.stderr[name])
        assert "degenerate" in result.reasons[name]
    assert any("R0 and R3 are degenerate" in p for p in result.problems), result.problems
    for name in ("R1", "CPE1_Q", "R2", "CPE2_Q"):  # the rest keep their (estimable) stderr
        assert result.determined[name] and np.isfinite(result.stderr[name])
    assert_every_nan_stderr_has_a_reason(result)


def test_two_identical_arcs_are_not_determined():
    """One arc in the data, two identical blocks in the circuit: the split is unidentifiable."""
    one = noisy(Circuit("R0-p(R1,CPE1)").impedance(FREQ, [20.0, 1000.0, 1e-6, 0.9]), seed=3)
    result = fit(FREQ, one, TWO)
    assert not result.ok
    undetermined = [n for n, ok in result.determined.items() if not ok]
    assert {"R1", "R2"} & set(undetermined), result.summary()
    assert any("not determined" in p or "degenerate" in p for p in result.problems)
    assert_every_nan_stderr_has_a_reason(result)


def test_an_inductive_spectrum_is_named_as_such():
    """Z'' > 0 everywhere (a cable/coil): success as lmfit means it, but not ok, and said why."""
    freq = np.logspace(5, 3, 30)
    z = noisy(5.0 + 1j * 2 * np.pi * freq * 1e-3, seed=2)
    result = fit(freq, z, "R0-p(R1,CPE1)")
    assert result.success and not result.ok
    assert any("inductive (Z'' > 0) at every frequency" in p for p in result.problems)
    assert_every_nan_stderr_has_a_reason(result)


def test_an_inductive_band_without_an_inductor_is_a_problem_and_with_one_is_not():
    values = {"L0": 2e-6, "R0": 10.0, "R1": 100.0, "CPE1_Q": 1e-6, "CPE1_n": 0.9}
    freq = np.logspace(6, -1, 71)
    z = noisy(Circuit("L0-R0-p(R1,CPE1)").impedance(freq, values), seed=4, level=0.002)
    without = fit(freq, z, "R0-p(R1,CPE1)")
    band = [p for p in without.problems if "inductive (Z'' > 0) from" in p]
    assert band and "MHz" in band[0] and not without.ok
    with_inductor = fit(freq, z, "L0-R0-p(R1,CPE1)")
    assert with_inductor.ok, with_inductor.problems


def test_a_circuit_that_misses_an_arc_does_not_describe_the_data():
    result = fit(FREQ, two_arcs(), "R0-p(R1,CPE1)")
    assert not result.ok
    assert any("does not describe the data" in p for p in result.problems), result.problems
    assert result.residual_level > 3 * result.noise


def test_a_parameter_on_a_bound_is_not_determined_and_says_so():
    result = fit(FREQ, two_arcs(), TWO, bounds={"R0": (30.0, None)})
    assert result.values["R0"] == 30.0 and np.isnan(result.stderr["R0"])
    assert result.reasons["R0"] == "on its lower bound 30"
    assert any(
        p.startswith("R0 = 30 is not determined: on its lower bound") for p in result.problems
    )
    assert_every_nan_stderr_has_a_reason(result)


def test_fixed_parameters_do_not_count_against_ok():
    result = fit(FREQ, two_arcs(), TWO, fixed={"R0": 20.0})
    assert result.ok, result.problems
    assert result.reasons["R0"] == "fixed (not fitted)" and not result.determined["R0"]


def test_an_arc_beyond_the_highest_frequency_is_a_problem():
    """A 1 pF bulk arc (apex ~16 MHz) measured up to 1 MHz: the arc is outside the window."""
    values = {
        "R0": 5.0,
        "R1": 1e4,
        "CPE1_Q": 1e-12,
        "CPE1_n": 1.0,
        "R2": 2e4,
        "CPE2_Q": 1e-6,
        "CPE2_n": 0.9,
    }
    freq = np.logspace(6, -1, 71)
    result = fit(freq, noisy(Circuit(TWO).impedance(freq, values), seed=5), TWO)
    assert any("outside the measured 100 mHz–1 MHz" in p for p in result.problems), result.problems
    assert not result.ok


def test_the_verdict_survives_json():
    result = fit(FREQ, two_arcs(), "R0-R3-p(R1,CPE1)-p(R2,CPE2)")
    back = FitResult.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert back.problems == result.problems and back.ok == result.ok
    assert back.determined == result.determined and back.reasons == result.reasons
    assert back.noise == result.noise and back.residual_level == result.residual_level
