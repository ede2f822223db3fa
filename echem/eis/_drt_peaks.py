"""The peaks of a distribution of relaxation times: position, area, width, CPE exponent.

A peak is a local maximum of γ whose prominence (scipy.signal.find_peaks) is at least
:data:`MIN_PROMINENCE` of the largest γ within the measured window (so that a low-frequency
tail that does not close, whose γ grows without bound beyond the window, hides no peak). The τ axis is split among the peaks at the minima of
γ between neighbours; the first peak reaches down to the shortest τ of the grid and the last
up to the longest, so the areas add up to the polarisation resistance. Where the tails of two
peaks overlap (broad CPE arcs less than about two decades apart), the split at the minimum
gives each peak the other's tail on its side: areas are then approximate (a sharp ZARC 1.75
decades from a broad one, n 0.96 beside 0.72, came out 33 % high). :func:`exchanged_tails`
estimates that share from the peaks' widths, and :func:`echem.eis.drt` reports the peaks
where it is large (:data:`echem.eis.relaxation.TAIL_LIMIT`, with the errors measured).

The width is the full width at half maximum in decades of τ (half maximum found by linear
interpolation; when γ does not fall to half within the peak's bounds on one side, twice the
other side's half width). The CPE exponent n of a ZARC, Z = R/(1 + (jωτ0)^n), whose DRT

.. math:: \\gamma(\\ln\\tau) = \\frac{R}{2\\pi}\\,
          \\frac{\\sin((1-n)\\pi)}{\\cosh(n\\ln(\\tau/\\tau_0)) - \\cos((1-n)\\pi)}

(Fuoss-Kirkwood; Boukamp, Electrochim. Acta 154 (2015) 35) has a FWHM, in ln τ, of
:math:`w(n) = 2\\,\\mathrm{arccosh}(2 + \\cos(n\\pi))/n`, is found by inverting w(n) (``n_est``;
1 for a peak narrower than w(0.99)). The regularisation broadens every peak, so ``n_est`` is
a lower bound (an ideal RC comes out near 0.8 at the default λ).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "find_peaks",
    "zarc_fwhm_ln",
    "zarc_tail_share",
    "zarc_gamma",
    "exchanged_tails",
    "n_from_fwhm",
    "MIN_PROMINENCE",
    "COLUMNS",
]

#: Smallest prominence of a peak, as a share of the largest γ.
MIN_PROMINENCE: float = 0.05
#: Columns of the peaks table.
COLUMNS: tuple[str, ...] = (
    "tau_s",
    "f_Hz",
    "R_ohm",
    "share",
    "gamma_max_ohm",
    "width_decades",
    "n_est",
    "tau_low_s",
    "tau_high_s",
    "in_window",
)


def zarc_fwhm_ln(n: np.ndarray | float) -> np.ndarray:
    """FWHM (in ln τ) of the DRT of a ZARC with CPE exponent ``n`` (0 < n < 1)."""
    n = np.asarray(n, dtype=float)
    return 2.0 * np.arccosh(2.0 + np.cos(n * np.pi)) / n


def zarc_tail_share(n: float, distance_ln: float) -> float:
    """Share of the area of a ZARC's DRT beyond ``distance_ln`` (ln τ, ≥ 0) on one side.

    The Fuoss-Kirkwood distribution above integrates in closed form
    (∫ dx/(cosh(nx) − cos θ) = 2/(n sin θ) · arctan((e^(nx) − cos θ)/sin θ)):
    arctan(sin θ/(e^(n d) − cos θ))/(nπ) with θ = (1 − n)π; 1/2 at d = 0, 0 for n = 1.
    """
    n = min(max(float(n), 0.05), 1.0)
    theta = (1.0 - n) * math.pi
    return math.atan2(math.sin(theta), math.exp(n * distance_ln) - math.cos(theta)) / (n * math.pi)


def zarc_gamma(ln_tau: np.ndarray, R: float, ln_tau0: float, n: float) -> np.ndarray:
    """The DRT (Ω) of a ZARC R/(1 + (jωτ0)^n) at ln τ: the Fuoss-Kirkwood distribution above."""
    theta = (1.0 - n) * math.pi
    return R / (2 * math.pi) * math.sin(theta) / (np.cosh(n * (ln_tau - ln_tau0)) - math.cos(theta))


def exchanged_tails(tau_s: np.ndarray, gamma: np.ndarray, peaks: pd.DataFrame) -> np.ndarray:
    """Per peak of γ (Ω, on the grid ``tau_s``, s), the tails it exchanges with its neighbours
    across the minima between them, as a share of its area (Ω/Ω).

    Each peak is taken as a ZARC of its area, τ and ``n_est``; its tail beyond a bound it
    shares with a neighbour, never more than γ there, is counted out of it and into the
    neighbour (where γ falls to nothing between two peaks, nothing is exchanged). ``n_est``
    being a lower bound, the tails are overestimated. A large share means the split at the
    minimum leaves the area approximate (measured: :data:`echem.eis.relaxation.TAIL_LIMIT`).
    """
    ln_tau = np.log(tau_s)
    area = peaks["R_ohm"].to_numpy(dtype=float)
    exchanged = np.zeros(len(peaks))
    shapes = [
        zarc_gamma(ln_tau, row.R_ohm, math.log(row.tau_s), min(max(row.n_est, 0.05), 0.999))
        if math.isfinite(row.n_est)
        else np.zeros(ln_tau.size)
        for row in peaks.itertuples()
    ]
    for k in range(len(peaks) - 1):  # the bound between peaks k and k + 1
        above = ln_tau >= math.log(peaks["tau_low_s"].iloc[k + 1])
        out_of_left = np.minimum(shapes[k], gamma)[above]
        out_of_right = np.minimum(shapes[k + 1], gamma)[~above]
        both = float(np.trapezoid(out_of_left, ln_tau[above])) + float(
            np.trapezoid(out_of_right, ln_tau[~above])
        )
        exchanged[k] += both
        exchanged[k + 1] += both
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(area > 0, exchanged / area, np.inf)


#: w(n) tabulated for the inversion (decreasing in n).
_N_TABLE = np.linspace(0.05, 0.99, 400)
_W_TABLE = zarc_fwhm_ln(_N_TABLE)


def n_from_fwhm(width_ln: float) -> float:
    """The CPE exponent whose ZARC has a DRT of FWHM ``width_ln`` (ln τ); nan if unknown."""
    if not math.isfinite(width_ln):
        return math.nan
    if width_ln <= _W_TABLE[-1]:
        return 1.0
    if width_ln >= _W_TABLE[0]:
        return float(_N_TABLE[0])
    return float(np.interp(width_ln, _W_TABLE[::-1], _N_TABLE[::-1]))


def _half_width(ln_tau: np.ndarray, gamma: np.ndarray, top: int, step: int, end: int) -> float:
    """Distance in ln τ from the top to where γ falls to half, walking by ``step`` to ``end``."""
    half = 0.5 * gamma[top]
    i = top
    while i != end:
        j = i + step
        if gamma[j] <= half:
            fraction = (gamma[i] - half) / (gamma[i] - gamma[j])
            return abs(ln_tau[i] + fraction * (ln_tau[j] - ln_tau[i]) - ln_tau[top])
        i = j
    return math.nan


def _vertex(ln_tau: np.ndarray, gamma: np.ndarray, peak: int) -> float:
    """ln τ of the top of the parabola through the maximum and its neighbours."""
    if peak == 0 or peak == gamma.size - 1:
        return float(ln_tau[peak])
    below, top, above = gamma[peak - 1 : peak + 2]
    curvature = below - 2.0 * top + above
    if curvature >= 0:
        return float(ln_tau[peak])
    step = 0.5 * (below - above) / curvature
    return float(ln_tau[peak] + step * (ln_tau[peak + 1] - ln_tau[peak]))


def find_peaks(tau_s: np.ndarray, gamma: np.ndarray, window_s: tuple[float, float]) -> pd.DataFrame:
    """The peaks table of γ (Ω) on a log-spaced grid ``tau_s`` (s), by increasing τ.

    ``window_s`` is the measured window (1/(2π f_max), 1/(2π f_min)) in s.
    """
    from scipy.signal import find_peaks as local_maxima

    ln_tau = np.log(tau_s)
    inside = (tau_s >= window_s[0]) & (tau_s <= window_s[1])
    top = float(gamma[inside].max()) if inside.any() else 0.0
    top = top if top > 0 else float(gamma.max(initial=0.0))
    if top <= 0:
        return pd.DataFrame(
            {c: pd.Series(dtype=bool if c == "in_window" else float) for c in COLUMNS}
        )
    padded = np.concatenate([[0.0], gamma, [0.0]])
    tops, _ = local_maxima(padded, prominence=MIN_PROMINENCE * top)
    tops = tops - 1
    valleys = [
        i + int(np.argmin(gamma[i : j + 1])) for i, j in zip(tops[:-1], tops[1:], strict=True)
    ]
    edges = [0, *valleys, gamma.size - 1]
    total = float(np.trapezoid(gamma, ln_tau))
    rows = []
    for k, peak in enumerate(tops):
        low, high = edges[k], edges[k + 1]
        area = float(np.trapezoid(gamma[low : high + 1], ln_tau[low : high + 1]))
        left = _half_width(ln_tau, gamma, peak, -1, low)
        right = _half_width(ln_tau, gamma, peak, 1, high)
        if math.isnan(left):
            left = right
        if math.isnan(right):
            right = left
        width_ln = left + right
        tau = math.exp(_vertex(ln_tau, gamma, peak))
        rows.append(
            {
                "tau_s": tau,
                "f_Hz": 1.0 / (2 * math.pi * tau),
                "R_ohm": area,
                "share": area / total,
                "gamma_max_ohm": float(gamma[peak]),
                "width_decades": width_ln / math.log(10.0),
                "n_est": n_from_fwhm(width_ln),
                "tau_low_s": float(tau_s[low]),
                "tau_high_s": float(tau_s[high]),
                "in_window": bool(window_s[0] <= tau <= window_s[1]),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))
