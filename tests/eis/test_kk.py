"""Lin-KK (echem.eis.kk): analytic spectra accepted, drift rejected, robust M, residuals checked.
Edge cases: options out of range, few points, the mu cut-off, the same model as impedance.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from impedance.validation import fit_linKK, get_tc_distribution

from echem.eis.kk import _solve, kk_design_matrix, lin_kk
from echem.errors import DataError

FREQ = np.geomspace(3e6, 0.1, 76)  # 3 MHz - 0.1 Hz, 10 points per decade


OMEGA = 2 * np.pi * FREQ


def rq(omega, R, C, n):
    """R∥CPE with Q designed from the Hsu-Mansfeld C_eff: Q = C^n R^(n-1)."""
    Q = C**n * R ** (n - 1)
    return R / (1 + R * Q * (1j * omega) ** n)


def one_arc(omega):
    return 25 + rq(omega, 1000, 1e-6, 0.9)


def two_arcs(omega, R_ct=1500.0):
    return 25 + rq(omega, 200, 1e-8, 0.9) + rq(omega, R_ct, 1e-5, 0.85)


def three_arcs(omega):
    return (
        10 + rq(omega, 300, 1e-10, 0.95) + rq(omega, 500, 1e-7, 0.85) + rq(omega, 2000, 1e-4, 0.8)
    )


def noisy(z, level, seed):
    rng = np.random.default_rng(seed)
    scatter = rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size)
    return z + level * np.abs(z) * scatter / np.sqrt(2)


@pytest.mark.parametrize("model", [one_arc, two_arcs, three_arcs])
@pytest.mark.parametrize("seed", [0, 1])
def test_valid_spectra_with_noise_are_accepted(model, seed):
    result = lin_kk(FREQ, noisy(model(OMEGA), 0.005, seed))
    assert result.valid, result.summary()
    assert result.max_residual < 0.02
    assert result.mu < 0.85
    # residuals are at the noise level (0.5 % per component -> rms ~0.5 %)
    rms = np.sqrt(np.mean(result.residuals_real**2 + result.residuals_imag**2))
    assert 0.002 < rms < 0.008


@pytest.mark.parametrize("model", [one_arc, two_arcs, three_arcs])
def test_one_percent_noise_is_still_accepted(model):
    for seed in range(3):
        result = lin_kk(FREQ, noisy(model(OMEGA), 0.01, seed))
        assert result.valid, result.summary()
        assert result.rms_residual == pytest.approx(0.01 / np.sqrt(2), rel=0.3)


@pytest.mark.parametrize("model", [one_arc, two_arcs, three_arcs])
def test_noise_free_spectra_fit_closely(model):
    result = lin_kk(FREQ, model(OMEGA))
    assert result.valid
    assert result.max_residual < 0.005


def test_noisy_two_arc_spectrum_does_not_stop_at_first_mu_below_c():
    """The warning case: the first M with mu < c (M ~ 6) leaves ~30 % residuals."""
    z = noisy(two_arcs(OMEGA), 0.005, 0)
    result = lin_kk(FREQ, z)
    first_below_c = int(next(M for M, mu, _ in result.scan if mu < 0.85))
    assert first_below_c < 10
    assert result.scan[first_below_c - 1, 2] > 0.05  # that M is a bad model
    assert result.M >= 15
    assert result.max_residual < 0.015
    assert result.mu < 0.85


def _drifting_two_arcs(rise: float) -> np.ndarray:
    """R_ct rising linearly in time by `rise` (fraction) while the sweep runs high -> low f."""
    seconds_per_point = np.maximum(1 / FREQ, 0.05)
    elapsed = np.cumsum(seconds_per_point)
    R_ct = 1500 * (1 + rise * elapsed / elapsed[-1])
    return np.array([two_arcs(w, r) for w, r in zip(OMEGA, R_ct, strict=True)])


@pytest.mark.parametrize("rise", [0.2, 0.5])
@pytest.mark.parametrize("noise", [0.0, 0.005])
def test_low_frequency_drift_is_rejected(noise, rise):
    z = noisy(_drifting_two_arcs(rise), noise, 3)
    result = lin_kk(FREQ, z)
    assert not result.valid, result.summary()
    # the misfit is at low frequency (where the drift happened), not at high frequency
    low = FREQ < 10
    magnitude = np.hypot(result.residuals_real, result.residuals_imag)
    assert magnitude[low].mean() > 2 * magnitude[FREQ > 1e4].mean()


def test_residuals_match_an_independent_least_squares():
    z = noisy(three_arcs(OMEGA), 0.005, 7)
    result = lin_kk(FREQ, z)
    # independent computation: plain real-valued matrix, unscaled, scipy's lstsq
    from scipy.linalg import lstsq

    tau = np.geomspace(1 / (2 * np.pi * FREQ.max()), 1 / (2 * np.pi * FREQ.min()), result.M)
    columns = [np.ones(FREQ.size, complex)]
    columns += [1 / (1 + 1j * OMEGA * t) for t in tau]
    columns += [1j * OMEGA, 1 / (1j * OMEGA)]
    design = np.array(columns).T
    weight = 1 / np.abs(z)
    a = np.concatenate([design.real * weight[:, None], design.imag * weight[:, None]])
    b = np.concatenate([z.real * weight, z.imag * weight])
    coefficients = lstsq(a, b)[0]
    z_fit = design @ coefficients
    assert np.allclose(result.tau_s, tau, rtol=1e-12)
    assert np.allclose(result.z_fit, z_fit, rtol=1e-6, atol=1e-6 * np.abs(z).max())
    assert np.allclose(result.residuals_real, ((z - z_fit) / np.abs(z)).real, atol=1e-7)
    assert np.allclose(result.residuals_imag, ((z - z_fit) / np.abs(z)).imag, atol=1e-7)
    # the model rebuilt from the reported parameters is the reported fit
    rebuilt = (
        result.R0_ohm
        + 1j * OMEGA * result.L_H
        + 1 / (1j * OMEGA * result.C_F)
        + sum(R / (1 + 1j * OMEGA * t) for R, t in zip(result.R_k_ohm, result.tau_s, strict=True))
    )
    assert np.allclose(rebuilt, result.z_fit, rtol=1e-9)
    assert result.pseudo_chisqr == pytest.approx(
        np.sum(result.residuals_real**2 + result.residuals_imag**2)
    )
    negative = -result.R_k_ohm[result.R_k_ohm < 0].sum()
    positive = result.R_k_ohm[result.R_k_ohm >= 0].sum()
    assert result.mu == pytest.approx(1 - negative / positive)


def test_blocking_spectrum_with_series_capacitance_and_inductance():
    L, C_block = 2e-7, 5e-6
    z = 1j * OMEGA * L + two_arcs(OMEGA) + 1 / (1j * OMEGA * C_block)
    result = lin_kk(FREQ, noisy(z, 0.003, 2))
    assert result.valid, result.summary()
    assert result.C_F == pytest.approx(C_block, rel=0.05)
    assert result.L_H == pytest.approx(L, rel=0.15)
    assert result.R0_ohm == pytest.approx(25, rel=0.1)


def test_design_matrix_columns():
    tau = np.array([1e-3])
    design = kk_design_matrix(np.array([1.0, 10.0]), tau)
    omega = 2 * np.pi * np.array([1.0, 10.0])
    assert design.shape == (2, 4)
    assert np.allclose(design[:, 1], 1 / (1 + 1j * omega * 1e-3))
    assert np.allclose(design[:, 2], 1j * omega)
    assert np.allclose(design[:, 3], 1 / (1j * omega))
    assert kk_design_matrix(omega, tau, inductance=False, capacitance=False).shape == (2, 2)


def test_frequency_order_does_not_matter():
    z = noisy(two_arcs(OMEGA), 0.005, 4)
    forward = lin_kk(FREQ, z)
    backward = lin_kk(FREQ[::-1], z[::-1])
    assert forward.M == backward.M
    assert np.allclose(forward.residuals_real, backward.residuals_real[::-1], atol=1e-9)


@pytest.mark.parametrize(
    "freq, z",
    [
        (np.array([1.0, 2.0, 3.0]), np.array([1, 2, 3], complex)),
        (np.array([1.0, 2.0, 3.0, 4.0, np.nan]), np.ones(5, complex)),
        (np.array([0.0, 1.0, 2.0, 3.0, 4.0]), np.ones(5, complex)),
        (np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.ones(4, complex)),
    ],
)
def test_bad_input_raises_data_error(freq, z):
    with pytest.raises(DataError):
        lin_kk(freq, z)


def test_threshold_controls_the_verdict():
    z = noisy(two_arcs(OMEGA), 0.005, 0)
    assert lin_kk(FREQ, z).valid
    strict = lin_kk(FREQ, z, threshold=0.002)
    assert not strict.valid and strict.threshold == 0.002


KK_FREQ = np.geomspace(1e5, 0.01, 71)


KK_OMEGA = 2 * np.pi * KK_FREQ


RANDLES = 10 + 1 / (1 / 100 + 1j * KK_OMEGA * 1e-5)


R_RC_RC = 5 + 50 / (1 + 1j * KK_OMEGA * 5e-6) + 200 / (1 + 1j * KK_OMEGA * 0.2)


@pytest.mark.parametrize("z", [RANDLES, R_RC_RC], ids=["randles", "r-rc-rc"])
def test_analytic_spectra_are_valid_in_either_order(z):
    up = lin_kk(KK_FREQ, z)
    down = lin_kk(KK_FREQ[::-1], z[::-1])
    assert up.valid and down.valid
    # the tau grid never holds the circuit's tau exactly: residuals ~1e-4, not 1e-12
    assert up.rms_residual < 5e-4 and up.max_residual < 2e-3
    assert down.M == up.M and down.mu == pytest.approx(up.mu, abs=1e-12)
    np.testing.assert_allclose(down.residuals_real[::-1], up.residuals_real, atol=1e-12)
    np.testing.assert_allclose(down.residuals_imag[::-1], up.residuals_imag, atol=1e-12)
    # with enough time constants the residual of exact data goes to round-off
    assert lin_kk(KK_FREQ, z, max_M=71).scan[-1, 2] < 1e-9


def test_tau_on_the_grid_fits_to_round_off():
    tau = np.geomspace(1 / (2 * np.pi * KK_FREQ.max()), 1 / (2 * np.pi * KK_FREQ.min()), 8)[3]
    z = 10 + 100 / (1 + 1j * KK_OMEGA * tau)
    result = lin_kk(KK_FREQ, z)
    assert result.scan[7, 2] < 1e-12  # M = 8 reproduces the data exactly
    assert result.valid


@pytest.mark.parametrize("factor, index", [(1.2, 30), (0.8, 50), (1.1j, 10)])
def test_a_non_kk_point_is_found(factor, index):
    z = RANDLES.copy()
    z[index] *= factor
    result = lin_kk(KK_FREQ, z)
    worst = np.argmax(np.abs(result.residuals_real) + np.abs(result.residuals_imag))
    assert worst == index
    assert not result.valid
    assert result.max_residual > 0.05


def test_few_points():
    with pytest.raises(DataError, match="at least 5 points"):
        lin_kk(KK_FREQ[::20][:4], RANDLES[::20][:4])
    freq = np.geomspace(1e5, 0.01, 8)
    z = 10 + 1 / (1 / 100 + 2j * np.pi * freq * 1e-5)
    result = lin_kk(freq, z)
    assert result.valid and result.M <= 8
    # the model never has more unknowns than equations
    assert lin_kk(freq, z, max_M=100).scan[-1, 0] == 2 * freq.size - 3


@pytest.mark.parametrize("c", [0.0, 1e-9, 0.5, 0.85, 1.0])
def test_mu_cut_off_edge_values(c):
    result = lin_kk(KK_FREQ, RANDLES, c=c)
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
        lin_kk(KK_FREQ, RANDLES, **options)


@pytest.mark.parametrize("M", [2, 3, 5, 10, 20])
@pytest.mark.parametrize("capacitance", [False, True])
@pytest.mark.parametrize("z", [RANDLES, R_RC_RC], ids=["randles", "r-rc-rc"])
def test_same_model_as_impedance_py(M, capacitance, z):
    """impedance.py 1.7's fit_linKK ('complex' fit, Schönleber's eq. 14) at the same M."""
    tau, coefficients, z_fit = _solve(KK_FREQ, z, M, True, capacitance)
    np.testing.assert_allclose(tau, get_tc_distribution(KK_FREQ, M), rtol=1e-12)
    elements, mu = fit_linKK(KK_FREQ, tau, M, z, "complex", capacitance)
    ours = coefficients.real
    # impedance.py orders R0, R_k..., [1/C], L; ours R0, R_k..., L, [1/C]
    reference = np.concatenate([elements[: M + 1], elements[-1:], elements[M + 1 : -1]])
    scale = np.abs(reference).max()
    np.testing.assert_allclose(ours, reference, atol=1e-9 * scale)
    result = lin_kk(KK_FREQ, z, max_M=M, c=1.0, capacitance=capacitance)
    assert result.scan[M - 1, 1] == pytest.approx(mu, abs=1e-9)
    # residuals of impedance.py's model, computed from its coefficients
    z_ref = (
        reference[0]
        + sum(r / (1 + 1j * KK_OMEGA * t) for r, t in zip(reference[1 : M + 1], tau, strict=True))
        + 1j * KK_OMEGA * reference[M + 1]
    )
    if capacitance:
        z_ref = z_ref + reference[M + 2] / (1j * KK_OMEGA)
    np.testing.assert_allclose(z_fit, z_ref, rtol=1e-9)


def test_first_mu_below_c_matches_impedance_py_rule():
    """Schönleber's stopping rule as impedance.py runs it (M = 1, 2, ... until mu <= c)."""
    result = lin_kk(KK_FREQ, R_RC_RC, max_M=40, capacitance=False)
    first = next(int(M) for M, mu, _ in result.scan if mu <= 0.85 and M > 1)
    for M in range(2, first + 1):
        _, mu = fit_linKK(KK_FREQ, get_tc_distribution(KK_FREQ, M), M, R_RC_RC, "complex")
        assert (mu <= 0.85) == (M == first)
