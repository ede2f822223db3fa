"""The distribution of relaxation times (DRT) of an impedance spectrum, by Tikhonov regularisation.

The spectrum is described as

.. math:: Z(\\omega) = R_\\infty + j\\omega L + \\frac{1}{j\\omega C} + \\int_{-\\infty}^{\\infty}
          \\frac{\\gamma(\\ln\\tau)}{1 + j\\omega\\tau}\\, d\\ln\\tau, \\qquad \\gamma \\ge 0,

with γ in Ω: the area under a peak of γ is the resistance of that process, and a peak at τ
is a process with characteristic frequency f = 1/(2πτ). γ is a sum of Gaussians on a
log-spaced τ grid (:mod:`echem.eis._rbf`; Wan, Saccoccio, Chen, Ciucci, Electrochim. Acta
184 (2015) 483, the DRTtools paper), and its coefficients x ≥ 0, with R∞, L, 1/C ≥ 0 (L and C
when the data call for them, below), minimise

.. math:: \\frac{1}{\\rho^2}\\sum_i \\left(\\frac{Z'_i - \\hat Z'_i}{\\sigma'_i}\\right)^2
          + \\left(\\frac{Z''_i - \\hat Z''_i}{\\sigma''_i}\\right)^2
          + \\lambda \\int \\left(\\frac{d\\tilde\\gamma}{d\\ln\\tau}\\right)^2 d\\ln\\tau,
          \\qquad \\tilde\\gamma = \\gamma / \\max_i |Z'_i|,

σ from the weighting (:mod:`echem.eis.weighting`, modulus by default, as in
:func:`echem.eis.fit`) and ρ the RMS of the weighted data, Z_i/σ_i. max |Z'| is R∞ + R_pol
of a closed spectrum; unlike max |Z| it is not inflated by a capacitive tail (which left
arcs beside a blocking tail regularised less, and split). Both normalisations make λ free of
units: multiplying Z by k multiplies γ, R∞ and L by k, C by 1/k, and leaves everything else
unchanged. The penalty is written as extra rows of the least-squares system, so each λ costs
one non-negative least-squares solve (:func:`scipy.optimize.nnls`).

Choosing λ
----------
``lam=None`` (default) applies Morozov's discrepancy principle (V. A. Morozov, Soviet Math.
Dokl. 7 (1966) 414; P. C. Hansen, Rank-Deficient and Discrete Ill-Posed Problems, SIAM 1998,
sec. 7.2): the smoothest DRT that reproduces the spectrum within the noise, i.e. the largest λ
of :data:`DISCREPANCY_GRID` (0.1 down to 1e-5, two per decade) whose RMS residual, relative to
|Z|, is at most :data:`NOISE_LEVEL` = 1 %. Both numbers are measured
(benchmarks/bench_drt.py: synthetic ZARCs, n 0.7–1, 3 MHz–0.1 Hz, 10 points/decade):

* λ = 0.1 (:data:`DEFAULT_LAMBDA`, the largest λ tried) rarely splits a peak. The
  data-driven criteria choose λ for the fidelity of γ, one to four decades smaller, and
  split peaks or add spurious ones. Share of 30 spectra (one to three ZARCs at least one
  decade apart) whose peaks are exactly the true arcs, at 1 % / 0.1 % noise: this default
  87 % / 90 %; generalised cross-validation (Golub, Heath, Wahba, Technometrics 21 (1979)
  215; DRTtools' default) 67 % / 70 %; pyimpspec's TR-RBF with its criteria (modified GCV,
  GCV, the real-imaginary cross-validation of Saccoccio, Wan, Chen, Ciucci, Electrochim.
  Acta 147 (2014) 470, the L-curve) 50–70 % / 80–83 %. With two or three arcs only
  (prototype of this module, 30–45 spectra per case, 0.02–1 % noise, 0.7–2 decades apart)
  λ = 0.1 gave 80–100 %, GCV 10–35 %, the others 20–80 %.
* 1 % is the noise level of an ordinary potentiostat sweep; noisier spectra keep λ = 0.1
  (their residual at 0.1 is their noise), while a clean spectrum that λ = 0.1 smooths beyond
  1 % (an ideal RC, a short sweep of a dummy cell) gets the λ that fits it.

When no λ of the grid reaches 1 % (a noisier spectrum, or one the DRT cannot describe:
inductive loops, drift), the smallest residual found stands for the noise and the largest λ
whose residual is within :data:`FLOOR_FACTOR` (20 %) of it is used, so that a noisier spectrum
is never smoothed less; ``lam_method`` says so with the numbers. A residual above 2 % is
reported in ``problems``, as noise when it is scattered without a trend, as something the DRT
does not describe when it has one (lag-1 autocorrelation above :data:`TREND_LIMIT`). The price of the smoothing is broader peaks: widths are upper bounds and the CPE
exponents estimated from them lower bounds. ``lam="gcv"`` chooses λ by generalised
cross-validation of the unconstrained problem on :data:`GCV_GRID` (as DRTtools does), and
``lam=<number>`` uses that λ.

What the data do not determine
------------------------------
The τ grid reaches :data:`EXTEND_DECADES` beyond the measured window
[1/(2π f_max), 1/(2π f_min)]. A process whose τ lies outside the window is not determined
by the data: its peak is marked ``in_window = False`` and the result's ``problems`` say so.

Above f_max, R∞, L and γ are one and the same to first order in ωτ: R∞ − a, a resistance a
at τ ≪ 1/ω and L = aτ give the same impedance. With all three free the noise shares them
out (R∞ 15-27 % low on two ZARCs with 1 % noise, with an inductance the data did not show).
So L is kept only when it lowers the Bayesian information criterion (``inductance=None``,
:func:`_inductance_chosen`), and with L in the model γ starts at 1/(2π f_max). Whatever γ
holds above f_max (its area there, or its value at the edge when it starts there) is
resistance the data cannot tell from R∞: when it exceeds :data:`R_INF_SHARE` of the
high-frequency intercept, ``problems`` says so.

Below f_min, likewise, a series capacitance C and γ at τ ≫ 1/ω are one to first order. C is
there for the tails that never close (a blocking electrode: γ ∝ τⁿ grows without bound
and, cut one decade beyond the window, cannot describe them: λ then fell to 1e-3-1e-5 and
the DRT filled the window with spurious peaks), kept only when it lowers the BIC; γ keeps its
extension beyond f_min, so a tail still shows as area there, and a capacitance that carries
more than :data:`OUTSIDE_SHARE` of |Z| at f_min is reported as a tail that does not close.
A low-frequency tail that does not close (diffusion, a blocking electrode) has no DRT within
the window: it shows as area at the long-τ edge, which is reported as such rather than as a
peak with a resistance.

Accuracy
--------
Measured with the defaults on spectra drawn as in benchmarks/bench_drt.py (R∞ plus one to
three ZARCs, R 30–300 Ω, n 0.7–1, τ 1e-6–0.1 s; 3 MHz–0.1 Hz, 10 points per decade; 1 %
noise; a peak is an arc's when within 0.25 decade of its τ):

* the peaks are exactly the arcs for 88 % of 90 spectra with arcs at least one decade apart,
  95 % of 60 at least two decades apart;
* R of a peak (its area): arcs at least two decades apart, median error 1.5 %, 90th
  percentile 6 %, at most 13 % (97 % within 10 %); at least one decade apart, median 3 %,
  90th percentile 16 %, at most 36 % (81 % within 10 %). The large errors are the split at
  the minimum of γ between overlapping peaks (:mod:`echem.eis._drt_peaks`), not the noise
  (the same at 0.1 % noise), and such peaks are reported in ``problems``
  (:data:`TAIL_LIMIT`). For the resistances of close arcs, fit a circuit
  (:func:`echem.eis.fit`, ``"auto"``);
* τ of a peak (arcs at least two decades apart): median error 2 %; narrow arcs (n ≥ 0.9)
  within 3 % (90th percentile, at most 8 %), broad ones (n 0.7–0.8) median 6 %, 90th
  percentile 20 %, up to 0.25 decade for a small broad arc beside a large one;
* R∞, where no problem is reported about it: median error 0.8 %, 90th percentile 5 %, at
  most 11 %; where "R_inf and that process are not separated" is reported, median 7 %;
* with a blocking CPE in series (Q = 1e-3, n = 0.85; ``--tail``): the peaks below the tail's
  are exactly the arcs for 83 % of 30 spectra (pyimpspec's TR-RBF: 0–13 %); an arc within
  about two decades of f_min takes part of the tail's area (up to +73 %; of 89 arcs, the 40
  not reported by :data:`TAIL_LIMIT` within 10 % for 92 %, at most 34 % off).

Time: about 20 ms of CPU per 76-point spectrum (every λ and series model tried), 18–35 times
less than pyimpspec 5.1's TR-RBF with its default criterion on the same spectra
(benchmarks/bench_drt.py, same run).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import DataError, FitError

from . import _rbf
from ._drt_peaks import exchanged_tails, find_peaks
from .sweeps import checked_spectrum, impedance_points
from .weighting import weights

__all__ = [
    "drt",
    "DRTResult",
    "DEFAULT_LAMBDA",
    "NOISE_LEVEL",
    "DISCREPANCY_GRID",
    "GCV_GRID",
    "PARTS",
]

#: Largest λ of the default choice (module docstring: measured for the peak structure).
DEFAULT_LAMBDA: float = 0.1
#: Noise level of the default choice: RMS residual relative to |Z| (module docstring).
NOISE_LEVEL: float = 0.01
#: λ tried by the default choice, largest first: 0.1 down to 1e-5, two per decade.
DISCREPANCY_GRID: np.ndarray = DEFAULT_LAMBDA * 10.0 ** -np.arange(0.0, 4.0 + 1e-9, 0.5)
#: Candidate λ for ``lam="gcv"``: 10^-6 ... 10^1, four per decade.
GCV_GRID: np.ndarray = 10.0 ** np.arange(-6.0, 1.0 + 1e-9, 0.25)
#: Decades of τ beyond the measured window on each side.
EXTEND_DECADES: float = 1.0
#: Gaussians per decade of τ, and DRTtools' FWHM coefficient (FWHM = 2 grid steps).
PER_DECADE: int = 10
SHAPE: float = 0.5
#: Points per decade of the τ grid on which γ is returned.
EVAL_PER_DECADE: int = 50
#: Share of the polarisation resistance outside the window above which the result says so.
OUTSIDE_SHARE: float = 0.05
#: Share of the high-frequency intercept (R∞ plus what γ holds above f_max) above which the
#: resistance above f_max is reported: R∞ is then not determined. Measured on 120 synthetic
#: spectra (1 % noise, as benchmarks/bench_drt.py, with and without an inductance): the R∞ of
#: those not reported are within 5 % (90th percentile), those reported off by 8 % (median).
R_INF_SHARE: float = 0.10
#: Share of |Z| at f_max below which what γ holds above f_max is negligible beside R∞ (no
#: instrument resolves 0.1 % of the impedance it measures).
RESOLUTION: float = 1e-3
#: A Gaussian whose largest contribution to the weighted data (RMS 1) is below this is
#: rounding left by the NNLS (about 1e-16; a real one: above 0.01), and is set to 0.
DUST: float = 1e-12
#: Share of a peak's area exchanged with its neighbours' tails
#: (:func:`echem.eis._drt_peaks.exchanged_tails`) above which its R is reported approximate.
#: Measured on 240 spectra of two or three ZARCs 0.8-5 decades apart (n 0.7-1, 1 % noise,
#: drawn as in benchmarks/bench_drt.py; 431 peaks found right), |R error| by that share:
#: below 5 %: median 1 %, max 9 %; 5-15 %: 2-5 %, max 27 %; 15-20 %: 6 %, max 28 %; 20-40 %:
#: 10-11 %, max 45 %; above 40 %: 12 %, max 45 %. So below 15 % (240 peaks): 96 % within
#: 10 %, max 27 %; above (191): 54 %, median 9 %, max 45 %. (By the distance to the nearest
#: peak instead: 1-1.5 decades, median 10 %, max 45 %; 1.5-2, 4 %, 38 %; 2-3, 2-3 %, 19 %.)
TAIL_LIMIT: float = 0.15
#: When no λ reaches :data:`NOISE_LEVEL`: the largest λ whose residual is within this factor
#: of the smallest. Noise of 1.5-5 % of |Z| leaves the residual at λ = 0.1 up to 1.13 times
#: the smallest one (a smoother DRT fits less of the noise; measured on 30 spectra per noise
#: level, drawn as in benchmarks/bench_drt.py): 1.2 keeps noisy spectra at λ = 0.1.
FLOOR_FACTOR: float = 1.2
#: RMS relative residual above which the residuals are examined for a trend.
RESIDUAL_LIMIT: float = 0.02
#: Lag-1 autocorrelation of the residuals (by frequency) above which they show a trend
#: rather than noise (white noise: 0 ± 0.2 for 76 points; an inductive loop, a drift: > 0.9).
TREND_LIMIT: float = 0.5

#: Which parts of Z are fitted -> (real rows, imaginary rows).
PARTS: dict[str, tuple[bool, bool]] = {
    "complex": (True, True),
    "real": (True, False),
    "imag": (False, True),
}


@dataclass(frozen=True)
class SeriesTerm:
    """A term in series with the DRT (a row of :data:`SERIES`).

    Attributes
    ----------
    unit
        ω (rad/s) -> impedance (Ω, complex) of the term with coefficient 1 (Ω, H or 1/F).
    scale
        ω -> the coefficient whose impedance is about 1 Ω over the data (conditioning).
    """

    unit: Callable[[np.ndarray], np.ndarray]
    scale: Callable[[np.ndarray], float]


#: Terms in series with the DRT: R∞ (Ω), L (H) and C (coefficient 1/C, 1/F), all ≥ 0.
SERIES: dict[str, SeriesTerm] = {
    "R_inf": SeriesTerm(lambda w: np.ones(w.shape, dtype=complex), lambda w: 1.0),
    "L": SeriesTerm(lambda w: 1j * w, lambda w: 1.0 / float(w.max())),
    "C": SeriesTerm(lambda w: -1j / w, lambda w: float(w.min())),
}


@dataclass(frozen=True, eq=False)
class DRTResult:
    """A distribution of relaxation times (see :func:`drt`).

    Attributes
    ----------
    tau_s, gamma_ohm
        γ (Ω per unit of ln τ) on a log-spaced τ grid (s), :data:`EVAL_PER_DECADE` per
        decade, reaching until the outermost Gaussians have vanished;
        ``numpy.trapezoid(gamma_ohm, numpy.log(tau_s))`` is the polarisation resistance
        (Ω), and with R∞ it is the low-frequency limit of :meth:`predict`.
    R_inf_ohm, L_H
        Series resistance (Ω) and inductance (H); 0 when left out of the model. With
        ``part="imag"`` R∞ is fitted afterwards to the real part with γ held, with
        ``part="real"`` L and C to the imaginary part (each when it lowers the BIC).
    C_F
        Series capacitance (F); infinite when left out of the model or not needed.
    series_method
        Which series terms (:data:`SERIES`) are in the model and why (words).
    lam, lam_method
        The regularisation strength and how it was chosen (words).
    lam_scan
        The λ tried and their score (DataFrame ``lam``, ``score``): the RMS relative residual
        for the default choice, the GCV score for ``lam="gcv"``; empty for a given λ.
    freq_Hz, z, z_fit
        The data used, sorted by decreasing frequency (Hz, Ω complex), and the DRT's impedance
        at those frequencies.
    peaks
        One row per peak of γ, by increasing τ: ``tau_s``, ``f_Hz`` (1/(2πτ)), ``R_ohm``
        (area under the peak between its bounds; approximate where peaks overlap, and then
        reported in ``problems``: :data:`TAIL_LIMIT`), ``share`` (of the polarisation
        resistance),
        ``gamma_max_ohm``, ``width_decades`` (FWHM in log10 τ), ``n_est`` (CPE exponent of a
        ZARC of that width; a lower bound, the regularisation broadens peaks),
        ``tau_low_s``/``tau_high_s`` (bounds: the minima of γ between peaks, the grid ends
        outside), ``in_window`` (τ within [1/(2π f_max), 1/(2π f_min)]).
    problems
        What the data do not determine or the DRT does not describe, in words.
    weighting, part
        Residual weighting and fitted parts (``"complex"``, ``"real"``, ``"imag"``).
    rbf_ln_tau, rbf_epsilon, coefficients_ohm
        The Gaussians behind γ: centres (ln τ/s), shape factor, coefficients (Ω).
    """

    tau_s: np.ndarray = field(repr=False)
    gamma_ohm: np.ndarray = field(repr=False)
    R_inf_ohm: float
    L_H: float
    C_F: float
    series_method: str
    lam: float
    lam_method: str
    lam_scan: pd.DataFrame = field(repr=False)
    freq_Hz: np.ndarray = field(repr=False)
    z: np.ndarray = field(repr=False)
    z_fit: np.ndarray = field(repr=False)
    peaks: pd.DataFrame
    problems: tuple[str, ...]
    weighting: str
    part: str
    rbf_ln_tau: np.ndarray = field(repr=False)
    rbf_epsilon: float = field(repr=False)
    coefficients_ohm: np.ndarray = field(repr=False)

    @property
    def residuals(self) -> np.ndarray:
        """Relative residuals (Z − Ẑ)/|Z| at the data points (complex), as FitResult's."""
        return (self.z - self.z_fit) / np.abs(self.z)

    @property
    def rms_residual(self) -> float:
        """RMS of the real and imaginary relative residuals together."""
        r = self.residuals
        return float(np.sqrt(np.mean(np.concatenate([r.real, r.imag]) ** 2)))

    @property
    def R_pol_ohm(self) -> float:
        """Polarisation resistance: the whole area under γ (Ω)."""
        return float(np.trapezoid(self.gamma_ohm, np.log(self.tau_s)))

    @property
    def circuit(self) -> str:
        """A label for the model, used by :func:`echem.plot.nyquist` and :func:`echem.plot.bode`."""
        return f"DRT (λ = {self.lam:.3g})"

    def gamma(self, tau_s: np.ndarray | float) -> np.ndarray:
        """γ (Ω) at any τ (s)."""
        ln_tau = np.log(np.atleast_1d(np.asarray(tau_s, dtype=float)))
        return _rbf.basis(ln_tau, self.rbf_ln_tau, self.rbf_epsilon) @ self.coefficients_ohm

    def predict(self, freq_Hz: np.ndarray | float) -> np.ndarray:
        """The DRT's impedance (Ω, complex) at ``freq_Hz`` (Hz), R∞ and L included."""
        omega = 2 * np.pi * np.atleast_1d(np.asarray(freq_Hz, dtype=float))
        a_real, a_imag = _rbf.impedance_matrices(omega, self.rbf_ln_tau, self.rbf_epsilon)
        z = (a_real + 1j * a_imag) @ self.coefficients_ohm
        return self.R_inf_ohm + 1j * omega * self.L_H - 1j / (omega * self.C_F) + z

    def summary(self) -> str:
        """A few lines: λ, residual, R∞, L, the peaks and the problems."""
        lines = [
            f"DRT of {self.freq_Hz.size} points ({self.freq_Hz.min():.4g}–"
            f"{self.freq_Hz.max():.4g} Hz), {self.part} parts, {self.weighting} weighting",
            f"lambda = {self.lam:.3g} ({self.lam_method}); RMS residual "
            f"{100 * self.rms_residual:.2f} %",
            f"R_inf = {self.R_inf_ohm:.6g} Ohm, L = {self.L_H:.4g} H, C = {self.C_F:.4g} F, "
            f"R_pol = {self.R_pol_ohm:.6g} Ohm ({self.series_method})",
        ]
        for row in self.peaks.itertuples():
            where = "" if row.in_window else "  (outside the measured window)"
            lines.append(
                f"peak tau = {row.tau_s:.4g} s (f = {row.f_Hz:.4g} Hz): R = {row.R_ohm:.4g} Ohm "
                f"({100 * row.share:.1f} %), width {row.width_decades:.2f} decades, "
                f"n ~ {row.n_est:.2f}{where}"
            )
        lines.extend(f"problem: {text}" for text in self.problems)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------------------
# data


def _checked_points(data: Any, z: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Finite 1-D frequencies (Hz) and impedances (Ω), and notes on rows left out."""
    notes: list[str] = []
    if isinstance(data, pd.DataFrame):
        if z is not None:
            raise DataError("drt(df): give a frame alone, or drt(freq_Hz, z)")
        missing = {"freq_Hz", "z_real_ohm", "z_imag_ohm"} - set(data.columns)
        if missing:
            raise DataError(f"the frame has no column(s) {', '.join(sorted(missing))}")
        freq, zz, left_out = impedance_points(data)
        if left_out:
            notes.append(f"{left_out} row(s) without a finite frequency and impedance left out")
    elif z is None:
        raise DataError("drt(freq_Hz, z): the impedance array is missing")
    else:
        freq, zz = data, z
    freq, zz = checked_spectrum(freq, zz)
    if freq.size < 3:
        raise DataError(f"a DRT needs at least 3 distinct frequencies, got {freq.size}")
    order = np.argsort(-freq)  # decreasing frequency, whatever the input order
    return freq[order], zz[order], notes


# ---------------------------------------------------------------------------------------
# the linear system


@dataclass(frozen=True)
class _System:
    """The weighted, scaled least-squares problem: columns [series terms, x_1..x_M]."""

    a: np.ndarray  # (rows, k) dimensionless
    b: np.ndarray  # (rows,)
    root_penalty: np.ndarray  # (M, M): ‖root_penalty @ x̃‖² = x̃ᵀ M x̃
    penalty: np.ndarray  # (M, M)
    terms: tuple[str, ...]  # keys of SERIES, in column order
    column_scale: np.ndarray  # natural value = scaled value * column_scale
    relative_scale: np.ndarray  # (rows,): scaled residual * this = residual / |Z|
    # Solutions already found, by λ (a BIC comparison and the λ choice both start at 0.1).
    solved: dict[float, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def n_series(self) -> int:
        """Number of series-term columns before the Gaussians'."""
        return len(self.terms)

    def chi_square(self, solution: np.ndarray) -> float:
        """Sum of the squared weighted residuals (in units of the data's RMS) of a solution."""
        residual = self.a @ (solution / self.column_scale) - self.b
        return float(residual @ residual)

    def relative_rms(self, solution: np.ndarray) -> float:
        """RMS of the fitted parts' residuals relative to |Z| for a natural-unit solution."""
        residual = (self.a @ (solution / self.column_scale) - self.b) * self.relative_scale
        return float(np.sqrt(np.mean(residual**2)))

    def solve(self, lam: float) -> np.ndarray:
        """Non-negative solution (natural units: Ω, H, Ω...) for one λ."""
        from scipy.optimize import nnls

        if lam in self.solved:
            return self.solved[lam]
        k = self.a.shape[1]
        rows = np.zeros((self.root_penalty.shape[0], k))
        rows[:, self.n_series :] = math.sqrt(lam) * self.root_penalty
        augmented = np.vstack([self.a, rows])
        target = np.concatenate([self.b, np.zeros(rows.shape[0])])
        solution, _ = nnls(augmented, target, maxiter=50 * k)
        self.solved[lam] = solution * self.column_scale
        return self.solved[lam]

    def gcv(self, lam: float) -> float:
        """Generalised cross-validation score of the unconstrained problem at λ (GCV 1979)."""
        gram = self.a.T @ self.a
        full = np.zeros_like(gram)
        full[self.n_series :, self.n_series :] = self.penalty
        normal = gram + lam * full
        normal += 1e-13 * np.trace(gram) / len(gram) * np.eye(len(gram))
        solution = np.linalg.solve(normal, self.a.T @ self.b)
        residual = self.a @ solution - self.b
        n = self.b.size
        dof = n - float(np.trace(np.linalg.solve(normal, gram)))
        return n * float(residual @ residual) / dof**2 if dof > 0 else math.inf


def _without_dust(system: _System, solution: np.ndarray) -> np.ndarray:
    """The Gaussians' coefficients (Ω) of a solution, those below :data:`DUST` set to 0.

    The NNLS leaves rounding dust (a pure capacitor: 1e-13 Ohm, 1e-19 of |Z|) that made
    peaks holding "100 %" of a zero DRT. It is judged by what each Gaussian adds to the
    weighted data, not against the scale of γ, which one outlier can set.
    """
    k = system.n_series
    scaled = solution[k:] / system.column_scale[k:]
    contribution = (np.abs(system.a[:, k:]) * scaled).max(axis=0, initial=0.0)
    return np.where(contribution > DUST, solution[k:], 0.0)


def _tau_grid(freq: np.ndarray, per_decade: int, extend: float) -> np.ndarray:
    """ln τ of the Gaussians, 1/``per_decade`` decade apart from 1/(2π f_max) − ``extend``
    decades to (just beyond) 1/(2π f_min) + ``extend`` decades.

    The nodes are anchored at 1/(2π f_max), so that f → kf shifts them by exactly −ln k and
    the grid without the extension below the window is a subset of this one.
    """
    step = math.log(10.0) / per_decade
    start = -math.log(2 * math.pi * freq.max())
    window = -math.log(2 * math.pi * freq.min()) - start
    outside = int(round(extend * per_decade))
    last = int(math.ceil(window / step - 1e-9)) + outside
    return start + step * np.arange(-outside, last + 1)


def _system(
    freq: np.ndarray,
    z: np.ndarray,
    kernels: tuple[np.ndarray, np.ndarray],
    penalty: tuple[np.ndarray, np.ndarray],
    *,
    weighting: str,
    rows: tuple[bool, bool],
    terms: tuple[str, ...],
) -> _System:
    """The system of one model; ``penalty`` is the Gram matrix and its Cholesky factor."""
    omega = 2 * np.pi * freq
    a_real, a_imag = kernels
    try:
        sigma_real, sigma_imag = weights(z, weighting)
    except FitError as exc:
        raise DataError(str(exc)) from None
    # The scale of γ: the largest real part (R∞ + R_pol of a closed spectrum), which a
    # capacitive tail does not inflate as it does |Z| (arcs beside a blocking tail were
    # regularised less by the ratio of the two, squared, and split).
    scale = float(np.abs(z.real).max()) or float(np.abs(z).max())
    units = [SERIES[name].unit(omega) for name in terms]
    column_scale = np.concatenate(
        [[scale * SERIES[name].scale(omega) for name in terms], np.full(a_real.shape[1], scale)]
    )
    blocks, targets, relative = [], [], []
    for use, kernel, series, data, sigma in (
        (rows[0], a_real, [u.real for u in units], z.real, sigma_real),
        (rows[1], a_imag, [u.imag for u in units], z.imag, sigma_imag),
    ):
        if use:
            design = np.column_stack([*series, kernel])
            blocks.append(design * column_scale / sigma[:, None])
            targets.append(data / sigma)
            relative.append(sigma / np.abs(z))
    a = np.vstack(blocks)
    b = np.concatenate(targets)
    rho = float(np.sqrt(np.mean(b**2)))
    a, b = a / rho, b / rho
    gram, root = penalty
    return _System(a, b, root, gram, terms, column_scale, rho * np.concatenate(relative))


def _penalty_root(penalty: np.ndarray) -> np.ndarray:
    """R with RᵀR = the penalty's Gram matrix (positive definite for independent functions;
    the jitter keeps the order-0 one, whose smallest eigenvalue is small, factorisable)."""
    jitter = 1e-10 * float(np.trace(penalty)) / penalty.shape[0]
    return np.linalg.cholesky(penalty + jitter * np.eye(penalty.shape[0])).T


def _r_inf_afterwards(z: np.ndarray, z_drt: np.ndarray, weighting: str) -> float:
    """R∞ ≥ 0 fitted to the real part with γ held (``part="imag"``)."""
    w = 1.0 / weights(z, weighting)[0] ** 2
    return max(0.0, float(np.sum(w * (z.real - z_drt.real)) / np.sum(w)))


def _reactances_afterwards(
    z: np.ndarray, z_drt: np.ndarray, omega: np.ndarray, weighting: str, names: list[str]
) -> tuple[dict[str, float], str]:
    """L and 1/C (≥ 0, among ``names``) fitted to the imaginary part with γ held
    (``part="real"``), each kept only when it lowers the BIC, as in the complex fit; and
    words saying so."""
    from scipy.optimize import nnls

    sigma = weights(z, weighting)[1]
    target = (z.imag - z_drt.imag) / sigma
    n = target.size
    best: tuple[float, int, dict[str, float]] = (
        n * math.log(max(float(target @ target), 1e-300) / n),
        0,
        {},
    )
    for count in range(1, len(names) + 1):
        for chosen in itertools.combinations(names, count):
            design = np.column_stack([SERIES[name].unit(omega).imag for name in chosen])
            design = design / sigma[:, None]
            scale = np.abs(design).max(axis=0)
            x, norm = nnls(design / scale, target)
            bic = n * math.log(max(norm**2, 1e-300) / n) + count * math.log(n)
            if bic < best[0]:
                best = (bic, count, dict(zip(chosen, x / scale, strict=True)))
    kept = " and ".join(best[2]) or "neither L nor C (neither lowers the BIC)"
    return best[2], (
        f"{kept} fitted to the imaginary part afterwards (part='real' does not determine them)"
    )


def _series_chosen(
    model: Callable[[tuple[str, ...]], tuple[np.ndarray, _System]],
    options: list[tuple[str, ...]],
    lam: float | str | None,
) -> tuple[tuple[str, ...], str]:
    """The series terms the spectrum calls for among ``options``, and why (words).

    The DRT is solved with each set of terms at λ (:data:`DEFAULT_LAMBDA` unless a number is
    given), and the Bayesian information criterion BIC = n ln(χ²/n) + k ln n over the n
    weighted residuals with k series terms (G. Schwarz, Ann. Stat. 6 (1978) 461; GUIDE §9)
    decides; a term is kept only when it lowers the BIC. A term the data do not show is
    otherwise a free direction of the fit (module docstring).
    """
    at = lam if isinstance(lam, float) else DEFAULT_LAMBDA
    criteria = []
    for terms in options:
        _keep, system = model(terms)
        chi_square = max(system.chi_square(system.solve(at)), 1e-300)
        n = system.b.size
        criteria.append(n * math.log(chi_square / n) + len(terms) * math.log(n))
    # Fewest terms first, so that a tie keeps the smaller model.
    ranked = sorted(range(len(options)), key=lambda i: (criteria[i], len(options[i])))
    chosen = options[ranked[0]]
    listed = ", ".join(f"{' + '.join(options[i])} {criteria[i]:.1f}" for i in ranked)
    return chosen, f"BIC at lambda = {at:g}: {listed}"


# ---------------------------------------------------------------------------------------
# λ


def _checked_lambda(lam: Any) -> float | str | None:
    """``lam`` if it is None, ``"gcv"`` or a positive finite number (as float); else DataError."""
    if lam is None or (isinstance(lam, str) and lam == "gcv"):
        return lam
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)):
        raise DataError(f"lam must be a positive number, None or 'gcv', got {lam!r}")
    if not (math.isfinite(lam) and lam > 0):
        raise DataError(f"lam must be a positive finite number, got {lam!r}")
    return float(lam)


def _choose_lambda(
    system: _System, lam: float | str | None
) -> tuple[float, np.ndarray, str, pd.DataFrame]:
    """λ, the solution at λ, how λ was chosen, and the λ tried with their scores."""
    if lam is None:
        return _discrepancy(system)
    if lam == "gcv":
        scores = np.array([system.gcv(float(value)) for value in GCV_GRID])
        best = float(GCV_GRID[int(np.nanargmin(scores))])
        method = "generalised cross-validation (Golub, Heath, Wahba 1979)"
        if best in (GCV_GRID[0], GCV_GRID[-1]):
            method += ", at the end of the grid searched"
        scan = pd.DataFrame({"lam": GCV_GRID, "score": scores})
        return best, system.solve(best), method, scan
    return float(lam), system.solve(float(lam)), "given", _no_scan()


def _discrepancy(system: _System) -> tuple[float, np.ndarray, str, pd.DataFrame]:
    """The largest λ of :data:`DISCREPANCY_GRID` whose RMS residual is within the noise level.

    Morozov's discrepancy principle (V. A. Morozov, Soviet Math. Dokl. 7 (1966) 414; P. C.
    Hansen, Rank-Deficient and Discrete Ill-Posed Problems, SIAM 1998, sec. 7.2) with the
    noise level :data:`NOISE_LEVEL` and λ at most :data:`DEFAULT_LAMBDA` (module docstring).
    When no λ reaches that level, the smallest residual found estimates the noise (or what
    the DRT cannot describe), and the largest λ whose residual is within
    :data:`FLOOR_FACTOR` of it is used: a noisier spectrum is never smoothed less.
    """
    tried, scores, solutions = [], [], []
    for value in DISCREPANCY_GRID:
        solution = system.solve(float(value))
        tried.append(float(value))
        scores.append(system.relative_rms(solution))
        solutions.append(solution)
        if scores[-1] <= NOISE_LEVEL:
            break
    scan = pd.DataFrame({"lam": tried, "score": scores})
    if scores[-1] <= NOISE_LEVEL:
        method = (
            f"discrepancy principle: the largest lambda <= {DEFAULT_LAMBDA:g} whose RMS "
            f"residual ({100 * scores[-1]:.2g} %) is within {100 * NOISE_LEVEL:g} % of |Z|"
        )
        return tried[-1], solutions[-1], method, scan
    floor = min(scores)
    index = next(i for i, score in enumerate(scores) if score <= FLOOR_FACTOR * floor)
    method = (
        f"discrepancy principle: no lambda reaches an RMS residual of {100 * NOISE_LEVEL:g} % "
        f"of |Z| (it levels off at {100 * floor:.2g} %: the noise, or what the DRT cannot "
        f"describe); the largest lambda within {100 * (FLOOR_FACTOR - 1):.0f} % of that "
        f"({100 * scores[index]:.2g} %)"
    )
    return tried[index], solutions[index], method, scan


def _no_scan() -> pd.DataFrame:
    return pd.DataFrame({"lam": pd.Series(dtype=float), "score": pd.Series(dtype=float)})


# ---------------------------------------------------------------------------------------
# problems


def _window_problems(
    tau: np.ndarray,
    gamma: np.ndarray,
    freq: np.ndarray,
    peaks: pd.DataFrame,
    r_inf: float,
    extended_below: bool,
    capacitive_share: float,
    z_high: float,
) -> list[str]:
    """What the data do not determine (module docstring); ``z_high`` is |Z| at f_max (Ω)."""
    ln_tau = np.log(tau)
    total = float(np.trapezoid(gamma, ln_tau))
    if total <= 0:
        return [
            "the DRT is zero: the spectrum shows no relaxation (a resistor, or R_inf, L and C "
            "in series alone?)"
        ]
    tau_low = 1.0 / (2 * np.pi * freq.max())
    tau_high = 1.0 / (2 * np.pi * freq.min())
    problems = []
    long = tau > tau_high
    share_long = float(np.trapezoid(gamma[long], ln_tau[long])) / total if long.sum() > 1 else 0.0
    if share_long > OUTSIDE_SHARE or capacitive_share > OUTSIDE_SHARE:
        problems.append(
            f"{100 * share_long:.0f} % of the polarisation resistance lies at tau above "
            f"{tau_high:.3g} s (below the lowest frequency, {freq.min():.3g} Hz) and the "
            f"series capacitance makes {100 * capacitive_share:.0f} % of |Z| there: the "
            "spectrum does not close at low frequency (diffusion, a blocking electrode or an "
            "arc beyond the range); gamma there and the resistance of that process are not "
            "determined by the data"
        )
    # What may lie above f_max, where the data cannot tell it from R∞: the area of γ there,
    # or, when γ stops at the window (an inductance in the model), γ at its edge (a tail
    # decaying as exp(-|ln τ|) beyond it holds that much).
    if extended_below:
        short = tau < tau_low
        beyond = float(np.trapezoid(gamma[short], ln_tau[short])) if short.sum() > 1 else 0.0
    else:
        beyond = float(np.interp(math.log(tau_low), ln_tau, gamma))
    r_inf = r_inf if math.isfinite(r_inf) else 0.0
    # Against R∞ only what is not negligible against the impedance measured at f_max
    # (R∞ = 0 beside 1e-66 Ohm is fine; 1.2e4 Ohm beside R∞ = 1.3e3 Ohm is not, even when
    # R_pol is 1e9 Ohm).
    if beyond > OUTSIDE_SHARE * total or (
        beyond > R_INF_SHARE * (r_inf + beyond) and beyond > RESOLUTION * z_high
    ):
        problems.append(
            f"about {beyond:.3g} Ohm of the DRT ({100 * beyond / total:.0f} % of the "
            f"polarisation resistance) lies at or above the highest frequency "
            f"({freq.max():.3g} Hz, tau <= {tau_low:.3g} s), where the data cannot tell it "
            f"from R_inf ({r_inf:.4g} Ohm): R_inf and that process are not separated"
        )
    outside = peaks[~peaks["in_window"] & (peaks["share"] > OUTSIDE_SHARE)]
    if len(outside):
        listed = ", ".join(f"{t:.3g} s" for t in outside["tau_s"])
        problems.append(
            f"peak(s) at tau = {listed} lie outside the measured window "
            f"[{tau_low:.3g}, {tau_high:.3g}] s: their tau and R are not determined"
        )
    return problems


def _overlap_problems(tau: np.ndarray, gamma: np.ndarray, peaks: pd.DataFrame) -> list[str]:
    """Peaks (above :data:`OUTSIDE_SHARE` of R_pol) whose tails exchanged with their
    neighbours exceed :data:`TAIL_LIMIT` of their area: their R are approximate."""
    share = exchanged_tails(tau, gamma, peaks)
    shown = (share > TAIL_LIMIT) & (peaks["share"].to_numpy() > OUTSIDE_SHARE)
    if not shown.any():
        return []
    listed = ", ".join(
        f"{tau:.3g} s ({100 * value:.0f} %)"
        for tau, value in zip(peaks["tau_s"][shown], share[shown], strict=True)
    )
    return [
        f"the peaks at tau = {listed} exchange that much of their area with their neighbours' "
        "tails (estimated from ZARCs of their width): the split at the minima of gamma leaves "
        f"their R approximate (on synthetic ZARCs beyond {100 * TAIL_LIMIT:.0f} %: 54 % within "
        "10 %, up to 45 % off; below: 96 %, up to 27 %); fit a circuit for their resistances "
        "(echem.eis.fit(spectrum, 'auto'))"
    ]


def _lag_one(values: np.ndarray) -> float:
    """Lag-1 autocorrelation of a sequence (0 for white noise, near 1 for a trend)."""
    centred = values - values.mean()
    power = float(centred @ centred)
    return float(centred[1:] @ centred[:-1]) / power if power > 0 else 0.0


def _residual_problem(freq: np.ndarray, relative: np.ndarray, rms: float) -> str:
    """Words for a residual above :data:`RESIDUAL_LIMIT`: noise, or a trend the DRT misses."""
    order = np.argsort(freq)
    trend = max(_lag_one(relative.real[order]), _lag_one(relative.imag[order]))
    if trend > TREND_LIMIT:
        return (
            f"the DRT does not reproduce the spectrum (RMS residual {100 * rms:.1f} % of |Z|, "
            f"with a trend: lag-1 autocorrelation {trend:.2f}): an inductive loop, a drift "
            "during the sweep, a process with negative resistance or a tail without a DRT "
            "(see the residuals)"
        )
    return (
        f"the spectrum is noisy: the residual ({100 * rms:.1f} % of |Z|) is scattered without "
        f"a trend (lag-1 autocorrelation {trend:.2f}); peaks that change Z by less than that "
        "are lost in it"
    )


# ---------------------------------------------------------------------------------------
# the function


def drt(
    data: Any,
    z: Any = None,
    *,
    lam: float | str | None = None,
    part: str = "complex",
    weighting: str = "modulus",
    r_inf: bool = True,
    inductance: bool | None = None,
    capacitance: bool | None = None,
    order: int = 1,
    per_decade: int = PER_DECADE,
) -> DRTResult:
    """Distribution of relaxation times of a spectrum (Tikhonov regularisation, Gaussian basis).

    Parameters
    ----------
    data, z
        ``drt(freq_Hz, z)`` with frequencies (Hz, any order) and complex impedance (Ω, Z''
        negative on capacitive arcs), or ``drt(df)`` with a canonical frame (``freq_Hz``,
        ``z_real_ohm``, ``z_imag_ohm``: one sweep of :func:`echem.eis.spectra`; rows without
        finite values are left out and counted in ``problems``).
    lam
        Regularisation strength: None for the discrepancy principle (the largest λ ≤ 0.1
        whose RMS residual is ≤ 1 % of |Z|; module docstring), ``"gcv"`` for generalised
        cross-validation, or a positive number (scale-free: see the module docstring for
        the normalisation).
    part
        Fit ``"complex"`` (real and imaginary parts together), ``"real"`` or ``"imag"`` only.
    weighting
        ``"modulus"`` (default), ``"unit"`` or ``"proportional"`` (:mod:`echem.eis.weighting`).
    r_inf
        Include a series resistance R∞ ≥ 0.
    inductance, capacitance
        Include a series inductance L ≥ 0 (H) / a series capacitance C (F, 1/C ≥ 0): None
        (default) when it lowers the Bayesian information criterion (a spectrum that shows
        one), True always, False never. With L in the model, γ starts at 1/(2π f_max);
        C takes a low-frequency tail that γ, truncated one decade below f_min, cannot
        (module docstring).
    order
        Derivative of γ penalised: 0, 1 (default, as DRTtools) or 2.
    per_decade
        Gaussians per decade of τ (at least 3).

    Returns
    -------
    DRTResult

    Raises
    ------
    echem.DataError
        Unusable data (NaN/inf, non-positive or duplicate frequencies, fewer than 3
        frequencies, a zero impedance) or options (unknown part or weighting, λ not a
        positive number).

    Examples
    --------
    >>> import numpy as np
    >>> f = np.geomspace(1e5, 0.1, 61)
    >>> z = 10 + 100 / (1 + 1j * 2 * np.pi * f * 1e-3)
    >>> result = drt(f, z)
    >>> peak = result.peaks.iloc[0]
    >>> f"tau = {peak.tau_s:.1g} s, R = {peak.R_ohm:.0f} Ohm, R_inf = {result.R_inf_ohm:.0f} Ohm"
    'tau = 0.001 s, R = 100 Ohm, R_inf = 10 Ohm'
    """
    if part not in PARTS:
        raise DataError(f"part must be one of {', '.join(PARTS)}, got {part!r}")
    if (
        isinstance(order, bool)
        or not isinstance(order, (int, np.integer))
        or order not in (0, 1, 2)
    ):
        raise DataError(f"order must be 0, 1 or 2, got {order!r}")
    if (
        isinstance(per_decade, bool)
        or not isinstance(per_decade, (int, np.integer))
        or per_decade < 3
    ):
        raise DataError(f"per_decade must be an integer of at least 3, got {per_decade!r}")
    lam = _checked_lambda(lam)
    for name, value in (("inductance", inductance), ("capacitance", capacitance)):
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise DataError(f"{name} must be True, False or None (chosen), got {value!r}")
    freq, zz, notes = _checked_points(data, z)
    rows = PARTS[part]
    omega = 2 * np.pi * freq
    full_grid = _tau_grid(freq, int(per_decade), EXTEND_DECADES)
    eps = _rbf.epsilon(math.log(10.0) / int(per_decade), SHAPE)
    kernels = _rbf.impedance_matrices(omega, full_grid, eps)
    penalty = _rbf.penalty_matrix(full_grid, eps, order)
    grids = {
        False: np.ones(full_grid.size, dtype=bool),
        True: full_grid >= -math.log(2 * math.pi * freq.max()) - 1e-9,
    }
    penalties: dict[bool, tuple[np.ndarray, np.ndarray]] = {}
    models: dict[tuple[str, ...], tuple[np.ndarray, _System]] = {}

    def model(terms: tuple[str, ...]) -> tuple[np.ndarray, _System]:
        # With L in the model γ starts at 1/(2π f_max) (module docstring: R∞, L and γ
        # above f_max are one and the same to first order in ωτ).
        if terms not in models:
            cut = "L" in terms
            keep = grids[cut]
            if cut not in penalties:
                gram = penalty[np.ix_(keep, keep)]
                penalties[cut] = (gram, _penalty_root(gram))
            system = _system(
                freq,
                zz,
                (kernels[0][:, keep], kernels[1][:, keep]),
                penalties[cut],
                weighting=weighting,
                rows=rows,
                terms=terms,
            )
            models[terms] = (keep, system)
        return models[terms]

    # Which series terms each option allows: R∞ is determined by the real part, L and C by
    # the imaginary part; None tries both (BIC).
    allowed = {
        "R_inf": [r_inf and rows[0]],
        "L": [False, True] if inductance is None else [bool(inductance)],
        "C": [False, True] if capacitance is None else [bool(capacitance)],
    }
    if not rows[1]:
        allowed["L"] = allowed["C"] = [False]
    options = [
        tuple(name for name, use in zip(SERIES, uses, strict=True) if use)
        for uses in itertools.product(*(allowed[name] for name in SERIES))
    ]
    if len(options) > 1:
        terms, series_method = _series_chosen(model, options, lam)
    else:
        terms, series_method = options[0], "given"
    keep, system = model(terms)
    ln_tau = full_grid[keep]
    a_real, a_imag = kernels[0][:, keep], kernels[1][:, keep]
    lam_value, solution, lam_method, lam_scan = _choose_lambda(system, lam)
    coefficients = _without_dust(system, solution)
    series = dict(zip(terms, solution[: system.n_series], strict=True))
    R_inf = float(series.get("R_inf", 0.0))
    z_drt = (a_real + 1j * a_imag) @ coefficients
    if r_inf and not rows[0]:
        R_inf = _r_inf_afterwards(zz, z_drt, weighting)
        notes.append("R_inf fitted to the real part afterwards (part='imag' does not determine it)")
    wanted = [name for name, use in (("L", inductance), ("C", capacitance)) if use is not False]
    if not rows[1] and wanted:
        series, words = _reactances_afterwards(zz, z_drt, omega, weighting, wanted)
        notes.append(words)
    L = float(series.get("L", 0.0))
    inverse_c = float(series.get("C", 0.0))
    C = math.inf if inverse_c == 0 else 1.0 / inverse_c
    z_fit = R_inf + 1j * omega * L - 1j * inverse_c / omega + z_drt

    # γ is evaluated until the outer Gaussians have vanished, so that its area is the
    # model's: Σ peak areas + R∞ is the reconstructed spectrum's low-frequency limit.
    reach = _rbf.reach(eps)
    count = int(round((ln_tau[-1] - ln_tau[0] + 2 * reach) / math.log(10.0) * EVAL_PER_DECADE))
    ln_eval = np.linspace(ln_tau[0] - reach, ln_tau[-1] + reach, count + 1)
    tau = np.exp(ln_eval)
    gamma = _rbf.basis(ln_eval, ln_tau, eps) @ coefficients
    peaks = find_peaks(tau, gamma, (1 / (2 * np.pi * freq.max()), 1 / (2 * np.pi * freq.min())))

    extended_below = bool(ln_tau[0] < -math.log(2 * math.pi * freq.max()) - 1e-9)
    lowest = int(np.argmin(freq))
    capacitive_share = inverse_c / omega[lowest] / float(np.abs(zz[lowest]))
    problems = notes + _window_problems(
        tau, gamma, freq, peaks, R_inf, extended_below, capacitive_share, float(np.abs(zz[0]))
    )
    problems += _overlap_problems(tau, gamma, peaks)
    relative = (zz - z_fit) / np.abs(zz)
    rms = float(np.sqrt(np.mean(np.concatenate([relative.real, relative.imag]) ** 2)))
    if rms > RESIDUAL_LIMIT:
        problems.append(_residual_problem(freq, relative, rms))
    return DRTResult(
        tau_s=tau,
        gamma_ohm=gamma,
        R_inf_ohm=R_inf,
        L_H=L,
        C_F=C,
        series_method=series_method,
        lam=lam_value,
        lam_method=lam_method,
        lam_scan=lam_scan,
        freq_Hz=freq,
        z=zz,
        z_fit=z_fit,
        peaks=peaks,
        problems=tuple(problems),
        weighting=weighting,
        part=part,
        rbf_ln_tau=ln_tau,
        rbf_epsilon=eps,
        coefficients_ohm=coefficients,
    )
