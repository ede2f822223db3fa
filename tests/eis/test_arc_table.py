"""Roles only where the spectrum pins an arc down (echem.eis.arc_table with the fit's verdict).

Synthetic spectra of known truth, 1 % noise proportional to |Z|.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from echem.eis import fit
from echem.eis.circuit import Circuit

TWO = "R0-p(R1,CPE1)-p(R2,CPE2)"
FREQ = np.logspace(6, -1, 71)  # 1 MHz - 0.1 Hz


def noisy(z: np.ndarray, seed: int, level: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return z + level * np.abs(z) * (rng.normal(size=len(z)) + 1j * rng.normal(size=len(z)))


def test_an_arc_above_the_band_gets_no_role_and_the_measured_one_keeps_its_own():
    """A 1 pF bulk arc (apex 16 MHz) measured to 1 MHz beside a 1 µF interface arc at 160 Hz."""
    values = {
        "R0": 5.0,
        "R1": 1e4,
        "CPE1_Q": 1e-12,
        "CPE1_n": 1.0,
        "R2": 1e3,
        "CPE2_Q": 1e-6,
        "CPE2_n": 1.0,
    }
    result = fit(FREQ, noisy(Circuit(TWO).impedance(FREQ, values), seed=5), TWO)
    arcs = result.arcs.set_index("element")
    outside = arcs.loc[arcs["f0_Hz"].idxmax()]
    assert not outside["in_window"] and outside["f0_Hz"] > 1e6
    assert pd.isna(outside["role"]) and "outside the measured" in outside["role_reason"]
    measured = arcs.loc[arcs["f0_Hz"].idxmin()]
    assert measured["in_window"] and measured["determined"]
    assert measured["role"] == "R_ct" and measured["role_reason"] == ""
    assert measured["R_ohm"] == pytest.approx(1e3, rel=0.05)


def test_a_blocking_tail_fitted_as_an_arc_is_a_blocking_capacitance_not_a_gigaohm_resistor():
    values = {"R0": 10.0, "R1": 200.0, "CPE1_Q": 1e-7, "CPE1_n": 0.9, "CPE2_Q": 1e-4, "CPE2_n": 0.9}
    z = noisy(Circuit("R0-p(R1,CPE1)-CPE2").impedance(FREQ, values), seed=6)
    result = fit(FREQ, z, TWO)
    arcs = result.arcs
    tail = arcs.iloc[-1]
    assert tail["f0_Hz"] < FREQ.min() and not tail["in_window"]
    assert pd.isna(tail["role"]) and tail["description"].startswith("blocking capacitance")
    assert "blocking capacitance" in tail["role_reason"]
    assert any("blocking capacitance" in p for p in result.problems)
    arc = arcs.iloc[0]
    assert arc["role"] == "R_int" and arc["R_ohm"] == pytest.approx(200.0, rel=0.05)


def test_an_undetermined_arc_in_the_window_gets_no_role():
    """One arc in the data, two identical blocks: the split is not determined, so no role."""
    z = noisy(Circuit("R0-p(R1,CPE1)").impedance(FREQ, [20.0, 1000.0, 1e-6, 0.9]), seed=3)
    result = fit(FREQ, z, TWO)
    arcs = result.arcs
    undetermined = arcs[~arcs["determined"]]
    assert len(undetermined) >= 1
    assert undetermined["role"].isna().all()
    assert all("not determined" in r or "outside" in r for r in undetermined["role_reason"])


def test_roles_without_a_verdict_follow_capacitance_as_before():
    """A duck-typed result without a verdict (values only) keeps the capacitance-only roles."""
    from types import SimpleNamespace

    from echem.eis.arc_table import arcs

    values = {"R0": 1.0, "R1": 100.0, "CPE1_Q": 1e-8, "CPE1_n": 1.0}
    table = arcs(SimpleNamespace(circuit=Circuit("R0-p(R1,CPE1)"), values=values, stderr={}))
    assert table["in_window"].all() and table["determined"].all()
    assert list(table["role"]) == ["R_int"]


def test_effective_capacitance_stderr_by_the_delta_method():
    """ln C = (ln Q + (1 - n) ln R)/n (Hsu-Mansfeld): the gradient in (ln R, ln Q, n) is
    ((1 - n)/n, 1/n, -ln(RQ)/n^2); C_stderr_F must equal C * sqrt(g' Σ_ln g)."""
    values = {"R0": 20.0, "R1": 500.0, "CPE1_Q": 1e-7, "CPE1_n": 0.85}
    circuit = Circuit("R0-p(R1,CPE1)")
    result = fit(FREQ, noisy(circuit.impedance(FREQ, values), seed=8), circuit)
    arc = result.arcs.iloc[0]
    R, Q, n = (result.values[k] for k in ("R1", "CPE1_Q", "CPE1_n"))
    names = ["R1", "CPE1_Q", "CPE1_n"]
    sd = np.array([result.stderr[k] for k in names])
    cov = result.correl.loc[names, names].to_numpy() * np.outer(sd, sd)
    to_log = np.diag([1 / R, 1 / Q, 1.0])  # (R, Q, n) -> (ln R, ln Q, n)
    g = np.array([(1 - n) / n, 1 / n, -np.log(R * Q) / n**2])
    expected = arc["C_F"] * np.sqrt(g @ to_log @ cov @ to_log @ g)
    assert arc["C_stderr_F"] == pytest.approx(expected, rel=1e-4)
    assert arc["determined"] and arc["C_stderr_F"] < 0.1 * arc["C_F"]


def test_a_result_saved_without_a_verdict_gives_its_arcs_no_role():
    """A FitResult read back from a JSON written before echem judged fits has an empty
    ``determined``: its arcs counted as determined and took R_int or R_ct unjudged."""
    import json

    from echem.eis import FitResult

    values = {"R0": 20.0, "R1": 500.0, "CPE1_Q": 1e-7, "CPE1_n": 0.85}
    circuit = Circuit("R0-p(R1,CPE1)")
    result = fit(FREQ, noisy(circuit.impedance(FREQ, values), seed=8), circuit)
    assert list(result.arcs["role"]) == ["R_int"]
    old = {
        key: value
        for key, value in json.loads(json.dumps(result.to_dict())).items()
        if key not in ("determined", "reasons", "referred", "problems", "ok")
    }
    arc = FitResult.from_dict(old).arcs.iloc[0]
    assert not arc["determined"] and pd.isna(arc["role"])
    assert arc["role_reason"].startswith("R1 has no verdict (the result was saved without one")
