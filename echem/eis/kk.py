"""Lin-KK: Kramers-Kronig validation of an impedance spectrum.

Reference: B. Schönleber, D. Klotz, E. Ivers-Tiffée, "A Method for Improving the Robustness of
linear Kramers-Kronig Validity Tests", Electrochim. Acta 131 (2014) 20-27.

The spectrum is approximated by a chain of M Voigt (R∥C) elements whose time constants are fixed
and log-spaced between 1/(2π f_max) and 1/(2π f_min)::

    Ẑ(ω) = R0 + jωL + 1/(jωC_s) + Σ_k R_k / (1 + jωτ_k)

Every such model satisfies the Kramers-Kronig relations, so if it reproduces the data the data are
KK-consistent (linear, causal, stable, time-invariant). The coefficients (R0, L, 1/C_s, R_k) enter
linearly and are found in one weighted linear least-squares solve of the real and imaginary parts
together, each row divided by |Z| (a "complex" fit in Schönleber's terms).

Choosing M
----------
Schönleber's rule stops at the first M with μ = 1 − Σ|R_k<0| / Σ|R_k≥0| below c (0.85): μ
falls once the model starts over-fitting (R_k of alternating sign). With noisy data that first
M can come far too early (a two-arc spectrum with 0.5 % noise may reach μ < c at M = 6 with
30 % residuals). Here every M from 1 to ``max_M`` is solved (cheap: one small least-squares
each) and the chosen M is the smallest one that

1. has residuals that no longer improve: RMS residual ≤ ``1.1 ×`` the best RMS of the whole scan
   plus 0.05 % (absolute), and
2. has μ < c, or, if no such M exists among the converged ones, the smallest converged M.

So μ < c is honoured when it can be, but never at the price of a model that does not describe the
data yet. The scan stops at ``max_M``, by default 5 time constants per decade of frequency (and at
most the number of points): a finer spacing only fits noise, with RC elements of alternating sign,
and would also let the chain absorb a drift.

Validity
--------
``valid`` is True when both

* the residual level is small: the RMS of the residuals (real and imaginary parts together,
  relative to |Z|) is at most ``threshold / 2`` (default 1 %; so the residuals scatter within
  roughly ±``threshold`` = 2 %, Schönleber's "~1-2 %"), and
* there is no trend: the residuals smoothed over 5 neighbouring frequencies (running mean, which
  averages scatter down by √5 but keeps a drift) stay within ``threshold / 2``.

The largest single residual is reported (``max_residual``) but not used: one outlying point is
not a Kramers-Kronig violation. With these defaults, synthetic spectra with up to 1 % noise are
accepted, and a charge-transfer resistance drifting by 20 % during the sweep is rejected.

A drift during the sweep (e.g. a resistance that changes while the low frequencies are measured)
leaves a systematic, smooth residual at low frequency that fails the second test even when the
overall RMS stays under the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from echem.errors import DataError

__all__ = ["KKResult", "lin_kk", "kk_design_matrix", "DEFAULT_THRESHOLD"]

#: Default residual scale (2 %): the RMS and trend limits of ``valid`` are half of it.
DEFAULT_THRESHOLD: float = 0.02
#: Residuals "no longer improve" within this factor of the best RMS of the scan ...
_CONVERGED_FACTOR: float = 1.1
#: ... plus this absolute margin (relative residual units).
_CONVERGED_MARGIN: float = 5e-4
#: Default largest M: this many time constants per decade of frequency.
_PER_DECADE: float = 5.0
#: Number of neighbouring points in the running mean used for the trend test.
_TREND_WINDOW: int = 5


@dataclass(frozen=True)
class KKResult:
    """Outcome of :func:`lin_kk`.

    Attributes
    ----------
    M
        Number of RC elements of the chosen model.
    mu
        Schönleber's over-fitting measure μ at M.
    freq_Hz
        Frequencies, Hz (as given).
    z, z_fit
        Measured and KK-model impedance, Ω (complex).
    residuals_real, residuals_imag
        (Z − Ẑ)/|Z|, real and imaginary parts (relative, dimensionless).
    pseudo_chisqr
        Σ (residuals_real² + residuals_imag²) (Boukamp's pseudo χ²).
    valid
        Verdict from the residual level and trend (module docstring).
    threshold
        Residual scale used for ``valid`` (RMS and trend limits are threshold/2).
    max_residual
        Largest |relative residual| (real or imaginary).
    rms_residual
        RMS of the real and imaginary relative residuals together.
    trend
        Largest |running mean of 5 residuals|.
    R0_ohm, L_H, C_F
        Series resistance, inductance and capacitance of the model (C_F is inf when the series
        capacitor is not needed, nan when not included).
    tau_s, R_k_ohm
        Time constants and resistances of the RC elements.
    scan
        Per M tried: (M, mu, RMS of |residual|), as an (n, 3) array.
    """

    M: int
    mu: float
    freq_Hz: np.ndarray
    z: np.ndarray
    z_fit: np.ndarray
    residuals_real: np.ndarray
    residuals_imag: np.ndarray
    pseudo_chisqr: float
    valid: bool
    threshold: float
    max_residual: float
    rms_residual: float
    trend: float
    R0_ohm: float
    L_H: float
    C_F: float
    tau_s: np.ndarray = field(repr=False)
    R_k_ohm: np.ndarray = field(repr=False)
    scan: np.ndarray = field(repr=False)

    def summary(self) -> str:
        """One line: M, μ, largest residual, trend, verdict."""
        verdict = "valid" if self.valid else "NOT valid"
        return (
            f"Lin-KK: M={self.M}, mu={self.mu:.3f}, rms residual={100 * self.rms_residual:.2f} %, "
            f"max residual={100 * self.max_residual:.2f} %, trend={100 * self.trend:.2f} % "
            f"(limit {50 * self.threshold:.1f} %): {verdict}"
        )


def _time_constants(freq_Hz: np.ndarray, M: int) -> np.ndarray:
    """M time constants log-spaced from 1/(2π f_max) to 1/(2π f_min), s."""
    tau_min = 1.0 / (2 * np.pi * freq_Hz.max())
    tau_max = 1.0 / (2 * np.pi * freq_Hz.min())
    if M == 1:
        return np.array([tau_min])
    return np.geomspace(tau_min, tau_max, M)


def kk_design_matrix(
    freq_Hz: np.ndarray,
    tau_s: np.ndarray,
    *,
    inductance: bool = True,
    capacitance: bool = True,
) -> np.ndarray:
    """Complex design matrix of the Lin-KK model (unweighted).

    Columns: R0 (1), then 1/(1 + jωτ_k) for each τ, then jω (L) and 1/(jω) (1/C_s) if asked.
    """
    omega = 2 * np.pi * np.asarray(freq_Hz, dtype=float)
    columns = [np.ones_like(omega, dtype=complex)]
    columns.extend(1.0 / (1.0 + 1j * omega * tau) for tau in tau_s)
    if inductance:
        columns.append(1j * omega)
    if capacitance:
        columns.append(1.0 / (1j * omega))
    return np.column_stack(columns)


def _solve(
    freq_Hz: np.ndarray, z: np.ndarray, M: int, inductance: bool, capacitance: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted complex least squares for a given M: (tau, coefficients, z_fit)."""
    tau = _time_constants(freq_Hz, M)
    design = kk_design_matrix(freq_Hz, tau, inductance=inductance, capacitance=capacitance)
    weight = 1.0 / np.abs(z)
    a = np.vstack([design.real * weight[:, None], design.imag * weight[:, None]])
    b = np.concatenate([z.real * weight, z.imag * weight])
    # Scale columns to unit norm so that lstsq's rank cut-off treats them alike.
    norms = np.linalg.norm(a, axis=0)
    norms[norms == 0] = 1.0
    scaled, *_ = np.linalg.lstsq(a / norms, b, rcond=None)
    coefficients = scaled / norms
    return tau, coefficients, design @ coefficients


def _mu(R_k: np.ndarray) -> float:
    """Schönleber's μ = 1 − Σ|R_k<0| / Σ|R_k≥0|."""
    positive = np.abs(R_k[R_k >= 0]).sum()
    negative = np.abs(R_k[R_k < 0]).sum()
    if positive == 0:
        return -np.inf if negative > 0 else 1.0
    return float(1.0 - negative / positive)


def _running_mean(values: np.ndarray, window: int) -> np.ndarray:
    if values.size < window:
        return np.array([values.mean()]) if values.size else values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def _check_options(c: float, max_M: int | None, threshold: float | None) -> None:
    """DataError for a μ cut-off, largest M or residual scale that cannot be meant."""
    if (
        isinstance(c, bool)
        or not isinstance(c, (int, float, np.integer, np.floating))
        or not (0.0 <= float(c) <= 1.0)
    ):
        raise DataError(f"Lin-KK: c (the mu cut-off) must be a number from 0 to 1, got {c!r}")
    if max_M is not None and (
        isinstance(max_M, bool) or not isinstance(max_M, (int, np.integer)) or max_M < 1
    ):
        raise DataError(f"Lin-KK: max_M must be an integer of at least 1, got {max_M!r}")
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float, np.integer, np.floating))
        or not (np.isfinite(threshold) and threshold > 0)
    ):
        raise DataError(f"Lin-KK: threshold must be a positive number, got {threshold!r}")


def lin_kk(
    freq_Hz: np.ndarray,
    z: np.ndarray,
    *,
    c: float = 0.85,
    max_M: int | None = None,
    threshold: float | None = None,
    inductance: bool = True,
    capacitance: bool = True,
) -> KKResult:
    """Lin-KK validity test of an impedance spectrum (Schönleber et al. 2014).

    Parameters
    ----------
    freq_Hz
        Frequencies, Hz (any order; positive).
    z
        Complex impedance, Ω, Z'' with its sign (negative on capacitive arcs).
    c
        μ cut-off (Schönleber's 0.85), a number from 0 to 1.
    max_M
        Largest number of RC elements tried, an integer ≥ 1; default: 5 per decade of
        frequency (at least 5), at most the number of points (see the module docstring).
        Any value is capped at 2 × points − (number of series terms) so the fit stays
        determined.
    threshold
        Residual scale for ``valid`` (default 0.02), a positive number: the RMS residual and
        the smoothed residuals must both stay within threshold/2. See the module docstring.
    inductance, capacitance
        Include a series inductance / series capacitance in the model (both by default: the
        capacitance lets blocking spectra without a low-frequency intercept be tested; it comes
        out near 1/C = 0 when not needed).

    Returns
    -------
    KKResult

    Raises
    ------
    DataError
        Fewer than 5 points, non-finite values, non-positive frequencies, or ``c``,
        ``max_M`` or ``threshold`` out of range (NaN, ``max_M`` = 0 or 2.5, a negative
        threshold: they used to be clamped or silently disabled the test).
    """
    _check_options(c, max_M, threshold)
    freq = np.asarray(freq_Hz, dtype=float).ravel()
    zz = np.asarray(z, dtype=complex).ravel()
    if freq.shape != zz.shape:
        raise DataError(f"freq_Hz and z differ in length ({freq.size} vs {zz.size})")
    if freq.size < 5:
        raise DataError(f"Lin-KK needs at least 5 points, got {freq.size}")
    if not (np.all(np.isfinite(freq)) and np.all(np.isfinite(zz))):
        raise DataError("Lin-KK input contains NaN or infinite values")
    if np.any(freq <= 0):
        raise DataError("Lin-KK needs positive frequencies")
    if np.any(zz == 0):
        raise DataError("Lin-KK cannot weight by 1/|Z| when Z = 0")
    if threshold is None:
        threshold = DEFAULT_THRESHOLD
    n_extra = 1 + int(inductance) + int(capacitance)
    if max_M is None:
        decades = np.log10(freq.max() / freq.min())
        limit = min(freq.size, max(5, int(np.ceil(_PER_DECADE * decades))))
    else:
        limit = int(max_M)
    limit = max(1, min(limit, 2 * freq.size - n_extra))

    solutions = []
    scan = np.empty((limit, 3))
    for M in range(1, limit + 1):
        tau, coefficients, z_fit = _solve(freq, zz, M, inductance, capacitance)
        relative = (zz - z_fit) / np.abs(zz)
        rms = float(np.sqrt(np.mean(relative.real**2 + relative.imag**2)))
        mu = _mu(coefficients[1 : M + 1].real)
        scan[M - 1] = (M, mu, rms)
        solutions.append((tau, coefficients, z_fit))

    best_rms = scan[:, 2].min()
    converged = scan[:, 2] <= _CONVERGED_FACTOR * best_rms + _CONVERGED_MARGIN
    candidates = np.flatnonzero(converged & (scan[:, 1] < c))
    if candidates.size == 0:
        candidates = np.flatnonzero(converged)
    index = int(candidates[0])
    M = index + 1
    tau, coefficients, z_fit = solutions[index]
    coefficients = coefficients.real
    relative = (zz - z_fit) / np.abs(zz)
    res_re, res_im = relative.real, relative.imag

    order = np.argsort(freq)
    trend = float(
        max(
            np.abs(_running_mean(res_re[order], _TREND_WINDOW)).max(),
            np.abs(_running_mean(res_im[order], _TREND_WINDOW)).max(),
        )
    )
    max_residual = float(max(np.abs(res_re).max(), np.abs(res_im).max()))
    rms = float(np.sqrt(np.mean(np.concatenate([res_re, res_im]) ** 2)))
    valid = bool(rms <= threshold / 2 and trend <= threshold / 2)

    position = M + 1
    L_H = float(coefficients[position]) if inductance else np.nan
    position += int(inductance)
    if capacitance:
        inverse_c = float(coefficients[position])
        C_F = np.inf if inverse_c == 0 else 1.0 / inverse_c
    else:
        C_F = np.nan
    return KKResult(
        M=M,
        mu=float(scan[index, 1]),
        freq_Hz=freq,
        z=zz,
        z_fit=z_fit,
        residuals_real=res_re,
        residuals_imag=res_im,
        pseudo_chisqr=float(np.sum(res_re**2 + res_im**2)),
        valid=valid,
        threshold=float(threshold),
        max_residual=max_residual,
        rms_residual=rms,
        trend=trend,
        R0_ohm=float(coefficients[0]),
        L_H=L_H,
        C_F=C_F,
        tau_s=tau,
        R_k_ohm=coefficients[1 : M + 1].copy(),
        scan=scan,
    )
