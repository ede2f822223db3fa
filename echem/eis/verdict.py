"""What the data determine: a verdict on every parameter and on the fit as a whole.

:func:`echem.eis.fit` ends with :func:`judge`, which gives each free parameter a standard error,
a ``determined`` flag and, when it is not determined, the reason in words, and the fit a list of
``problems`` (plain sentences); ``ok`` is True exactly when there is none.

Parameters
----------
A free parameter is *determined* when all of these hold:

1. its standard error is finite: the covariance redχ² (JᵀJ)⁻¹ exists for it. The Jacobian J
   of the weighted residuals is taken in natural units at the optimum (analytic for resistors
   and R∥C/R∥CPE blocks); the parameters pinned on a bound are held (their stderr is NaN, with
   that reason). Where JᵀJ is singular (its condition number, after scaling every column to
   unit length in relative units, above 1/:data:`SINGULAR_RTOL`², beyond double precision),
   the parameters in its null space are *degenerate*: only a combination of them enters the
   model (two resistors in series, two identical arcs), their stderr is NaN and the problem
   names them. The others keep the stderr of the pseudo-inverse, which is exact for
   parameters orthogonal to the null space;
2. its relative standard error is at most :data:`MAX_RELATIVE_STDERR` (50 %): the value is at
   least two standard errors from zero, so a 95 % interval does not include "no such element"
   (the usual z ≥ 2 criterion; a linearised error beyond this is not reliable either);
3. it is not on a bound (a resistance or an exponent at 0: an element that is not there; any
   bound set with ``bounds=``). An exponent on its element's own limit 1 (a CPE's n: an
   ideal capacitor) is the exception (:func:`physical_limits`): the fit found the ideal
   element, a physical value and an estimate like any other, so n is kept in the covariance
   (the model goes on smoothly past 1) and judged by rules 1, 2 and 4 like the others, which
   then get their unconditional stderr. Counting it as not determined made ``ok`` False for
   every second fit of an ideal capacitor with a CPE (synthetic R-(R∥C) spectra, 0.1-1 %
   noise: 5 of 10; the three real dummy cells of ZPlot: 3 of 3);
4. it is not fully correlated with another parameter: |r| < :data:`MAX_CORRELATION`.

A CPE's Q (the admittance of Q (jω)ⁿ at 1 rad/s, a frequency set by the unit of time) is
judged in rules 2 and 4 by the CPE's admittance at the measured frequency where the spectrum
fixes it best (:func:`referred`), so that the verdict does not change with the unit of
frequency; its reported stderr stays the one at 1 rad/s. It is determined only with its
exponent n (:func:`couple_exponents`).

Fixed parameters are not fitted: their stderr is NaN (reason "fixed") and they do not count.

The fit
-------
``ok`` is True when every free parameter is determined, every arc has its apex inside the
measured band (:func:`arc_problems`, margin :data:`WINDOW_MARGIN_DECADES`) and the circuit
describes the data within their noise:

- the noise is estimated by Lin-KK (Schönleber, Klotz & Ivers-Tiffée, Electrochim. Acta 131
  (2014) 20; :mod:`echem.eis.kk`): a chain of M Voigt elements describes any KK-consistent
  spectrum, so what it leaves is noise (Boukamp, J. Electrochem. Soc. 142 (1995) 1885, uses
  the KK test's pseudo χ² as the noise estimate). With relative residuals (divided by |Z|),
  s²_KK = Σ|r_KK|²/(2N − M − 3). It is an estimate only with :data:`MIN_NOISE_DOF` (10) or
  more degrees of freedom 2N − M − 3 (its relative standard error √(2/d) in the variance is
  then at most 45 %): on fewer points the noise is unknown (s_KK NaN). On 5 points Lin-KK's
  M = 4 Voigt elements left 11 % of |Z| (the noise was 0.2 %) with 3 degrees of freedom, and
  the variance-ratio test, powerless there (a fit 5× the noise passed), called a one-arc fit
  of a two-arc spectrum, 33 % of |Z| off, a description of the data. The real sweeps have
  12 or more;
- the fit's relative residuals give s²_fit = Σ|r_fit|²/(2N − k) (k free parameters);
- the circuit describes the data when s²_fit/s²_KK is below the 99th percentile of the
  F distribution F(2N − k, 2N − M − 3) (the variance-ratio test), or when s_fit is within
  :data:`NOISE_FLOOR` (1 % of |Z|: the accuracy of impedance measurements over most of a
  potentiostat's range, the ±1 %/±1° contour of Gamry's and BioLogic's accuracy contour
  plots; Lin-KK's many Voigt elements follow the instrument's own systematic errors, so on a
  dummy cell it reaches 0.05 % where the exact circuit leaves 0.5 %). A residual with
  structure beyond that (a missing arc, a drift the circuit cannot follow) fails it;
- a spectrum whose Lin-KK residuals show a trend (drift, non-linearity: the running mean of 5
  residuals beyond both the Lin-KK test's limit and 4 standard deviations of such a mean of
  noise; not judged when the noise is unknown) is a problem too: the fitted values may be
  biased;
- a spectrum with a band of Z'' > 0 (above zero by more than 3 s_KK and more than
  :data:`NOISE_FLOOR` of |Z|, at 2 or more neighbouring frequencies) is *inductive* there; a
  circuit without an inductive element cannot describe that band, and the problem says so.
  The floor (1 % of |Z|, a phase of 0.57°) is the phase accuracy of impedance analysers: where
  Z'' is near zero (at the ends of a spectrum) a phase error of a few tenths of a degree turns
  it positive, and Lin-KK, which follows such smooth errors, does not count them as noise
  (synthetic one- and two-arc spectra, none inductive, with a smooth 0.3 % gain and phase
  error: 8 of 120 were called inductive at 3 s_KK alone, none with the floor; the inductive
  bands of the real test files reach 2.2-86 % of |Z| and are all still found).

``success`` is not part of the verdict: it keeps lmfit's meaning (the final
Levenberg-Marquardt stage converged), which says nothing about whether the circuit suits the
data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import f as f_distribution

from .capacitance import apex_frequency
from .circuit import Circuit

__all__ = [
    "MAX_RELATIVE_STDERR",
    "MAX_CORRELATION",
    "SINGULAR_RTOL",
    "NOISE_FLOOR",
    "MISFIT_QUANTILE",
    "MIN_NOISE_DOF",
    "WINDOW_MARGIN_DECADES",
    "Covariance",
    "covariance",
    "Noise",
    "noise",
    "parameter_verdicts",
    "physical_limits",
    "Referred",
    "referred",
    "couple_exponents",
    "format_hz",
    "arc_in_window",
    "arc_position",
    "arc_sentence",
    "judge",
]

#: Largest relative standard error of a determined parameter (z = value/stderr >= 2).
MAX_RELATIVE_STDERR: float = 0.5
#: Two parameters correlated beyond this (absolute) are not told apart by the data.
MAX_CORRELATION: float = 0.999
#: Singular values of the unit-column relative Jacobian below this share of the largest span
#: the null space of JᵀJ (its condition number then exceeds 1e16 ≈ 1/ε).
SINGULAR_RTOL: float = 1e-8
#: A parameter with more than this weight on a null vector is degenerate.
NULL_LOADING: float = 1e-6
#: Relative residual (rms of (Z - Ẑ)/|Z| per real component) below which a fit describes the
#: data whatever Lin-KK reaches: the accuracy of impedance measurements.
NOISE_FLOOR: float = 0.01
#: Fewest degrees of freedom (2N − M − 3) of the Lin-KK residuals that estimate the noise.
MIN_NOISE_DOF: int = 10
#: Quantile of the F distribution for the variance ratio of fit and Lin-KK residuals.
MISFIT_QUANTILE: float = 0.99
#: An arc's apex must lie this far (decades) inside the measured band to count as measured.
WINDOW_MARGIN_DECADES: float = 0.1
#: A point is inductive when Z''/|Z| exceeds this many noise standard deviations.
INDUCTIVE_SIGMAS: float = 3.0


@dataclass(frozen=True)
class Covariance:
    """Standard errors and correlations of the free parameters, with the reasons for NaN.

    Attributes
    ----------
    names
        The parameters with a finite standard error, in circuit order.
    matrix
        Their covariance (natural units).
    stderr
        Every free parameter -> standard error (NaN when not defined).
    why_nan
        Parameter -> why its stderr is NaN.
    degenerate
        Groups of parameters that only a combination of enters the model (null space of JᵀJ).
    at_limit
        Parameter -> the physical limit it sits on (:func:`physical_limits`; its stderr is
        finite, from the model continued past the limit).
    """

    names: list[str]
    matrix: np.ndarray
    stderr: dict[str, float]
    why_nan: dict[str, str]
    degenerate: list[tuple[str, ...]] = field(default_factory=list)
    at_limit: dict[str, str] = field(default_factory=dict)


def _on_bound(value: float, lower: float, upper: float) -> str | None:
    """ "lower"/"upper" when ``value`` sits on that bound (to 1e-12 relative), else None."""
    for side, bound in (("lower", lower), ("upper", upper)):
        if np.isfinite(bound) and abs(value - bound) <= 1e-12 * max(abs(value), abs(bound)):
            return side
    return None


def _and(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def physical_limits(
    circuit: Circuit, values: np.ndarray, free: Sequence[int], upper: np.ndarray
) -> list[int]:
    """Free parameters sitting on a limit of their element that is itself a physical value.

    An exponent on its element's own upper bound 1 (a CPE's n: an ideal capacitor; an La's
    α: an ideal inductor) is such a limit: the fit found the ideal element, the model goes on
    smoothly past it, and the value 1 is as much an estimate as 0.97 would be. Its stderr (and
    that of the others, now unconditional) come from the model continued past the limit. A
    bound the caller set (``bounds=``), or a resistance or exponent at 0 (an element that is
    not there), is not such a limit: it stays "on its bound", not determined.
    """
    out = []
    for i in free:
        parameter = circuit.parameters[i]
        if (
            parameter.quantity == "exponent"
            and upper[i] == parameter.upper
            and _on_bound(float(values[i]), -np.inf, float(upper[i])) == "upper"
        ):
            out.append(int(i))
    return out


def _degenerate_groups(null_vectors: np.ndarray, estimable: np.ndarray) -> list[list[int]]:
    """The parameters (column indices) of each degeneracy, every non-estimable one in one group.

    A null vector names the parameters that carry a tenth of its largest weight or more; a
    parameter with a smaller (but not negligible) weight joins the null vector it loads most
    on. Null vectors sharing a parameter are one degeneracy (three parameters of which only one
    combination enters the model give two null vectors of the same three names: once said).
    """
    groups: list[set[int]] = []
    home = {j: int(np.argmax(np.abs(null_vectors[:, j]))) for j in np.flatnonzero(~estimable)}
    for k, v in enumerate(null_vectors):
        members = {int(j) for j in np.flatnonzero(np.abs(v) > 0.1 * np.abs(v).max())}
        members |= {j for j, h in home.items() if h == k}
        overlapping = [g for g in groups if g & members]
        for g in overlapping:
            members |= g
            groups.remove(g)
        groups.append(members)
    return [sorted(g) for g in groups if g]


def covariance(
    jacobian: Callable[[np.ndarray], np.ndarray],
    names: Sequence[str],
    values: np.ndarray,
    free: Sequence[int],
    lower: np.ndarray,
    upper: np.ndarray,
    redchi: float,
    *,
    limits: Sequence[int] = (),
) -> Covariance:
    """Covariance redχ² (JᵀJ)⁻¹ of the free parameters not on a bound (module docstring).

    Parameters
    ----------
    jacobian
        ``jacobian(idx)``: the weighted residual Jacobian (2N, len(idx)) in natural units at
        the optimum with respect to the parameters ``idx``.
    names, values, lower, upper
        Every parameter's name, value and bounds (circuit order).
    free
        Indices of the free parameters.
    redchi
        Reduced χ² of the fit (the residual variance scale).
    limits
        Free parameters on a physical limit (:func:`physical_limits`): kept in the covariance
        like the parameters inside their bounds (``jacobian`` must step away from the bound).
    """
    why: dict[str, str] = {}
    at_limit: dict[str, str] = {}
    inside = []
    for i in free:
        side = _on_bound(float(values[i]), float(lower[i]), float(upper[i]))
        if side is None or i in limits:
            inside.append(int(i))
            if side is not None:
                at_limit[names[i]] = (
                    f"on its {side} bound {upper[i] if side == 'upper' else lower[i]:g}"
                )
        else:
            bound = lower[i] if side == "lower" else upper[i]
            why[names[i]] = f"on its {side} bound {bound:g}"
    stderr = {names[i]: np.nan for i in free}
    if not inside or not np.isfinite(redchi):
        if not np.isfinite(redchi):
            for i in inside:
                why[names[i]] = "the fit's chi-square is not finite"
        return Covariance([], np.empty((0, 0)), stderr, why, [], at_limit)
    idx = np.array(inside)
    with np.errstate(all="ignore"):
        jac = np.asarray(jacobian(idx), dtype=float)
    scale = np.where(values[idx] != 0, np.abs(values[idx]), 1.0)
    scaled = jac * scale  # derivative per relative change of each parameter
    norms = np.linalg.norm(scaled, axis=0)
    finite = np.all(np.isfinite(scaled), axis=0) & np.isfinite(norms)
    alive = finite & (norms > 0)
    for j in np.flatnonzero(~alive):
        why[names[idx[j]]] = (
            "the model does not depend on it at this value"
            if finite[j]
            else "the model's derivative in it is not a finite number at this value"
        )
    kept = idx[alive]
    if len(kept) == 0:
        return Covariance([], np.empty((0, 0)), stderr, why, [], at_limit)
    unit = scaled[:, alive] / norms[alive]
    _, s, vt = np.linalg.svd(unit, full_matrices=False)
    null = s <= SINGULAR_RTOL * s[0]
    null_vectors = vt[null]
    loading = np.max(np.abs(null_vectors), axis=0) if null.any() else np.zeros(len(kept))
    rank = ~null
    inv_s2 = 1.0 / s[rank] ** 2
    cov_unit = (vt[rank].T * inv_s2) @ vt[rank] * redchi
    factor = scale[alive] / norms[alive]
    cov = cov_unit * np.outer(factor, factor)
    estimable = loading <= NULL_LOADING
    groups = _degenerate_groups(null_vectors, estimable)
    degenerate = [tuple(names[kept[j]] for j in group) for group in groups]
    for group in groups:
        for j in group:
            others = [names[kept[i]] for i in group if i != j]
            why[names[kept[j]]] = (
                f"degenerate with {_and(others)}: only a combination of them enters the model"
                if others
                else "the covariance matrix is singular in it"
            )
    keep = np.flatnonzero(estimable)
    matrix = cov[np.ix_(keep, keep)]
    kept_names = [names[kept[j]] for j in keep]
    for j, name in zip(keep, kept_names, strict=True):
        stderr[name] = float(np.sqrt(max(cov[j, j], 0.0)))
    return Covariance(kept_names, matrix, stderr, why, degenerate, at_limit)


@dataclass(frozen=True)
class Noise:
    """The noise of a spectrum as Lin-KK sees it, and how the fit's residuals compare.

    Attributes
    ----------
    kk
        The :class:`~echem.eis.kk.KKResult` (None when Lin-KK could not run).
    sigma
        s_KK: rms relative residual per real component of the Lin-KK model, corrected for
        its M + 3 parameters (NaN without Lin-KK, or with fewer than :data:`MIN_NOISE_DOF`
        degrees of freedom left to estimate it).
    sigma_fit
        s_fit: the same for the fit (k free parameters).
    limit
        Largest s_fit/s_KK that passes the variance-ratio test.
    worst, worst_Hz
        The fit's largest relative residual |Z − Ẑ|/|Z| and its frequency (Hz): where the
        circuit misses the data most.
    """

    kk: object | None
    sigma: float
    sigma_fit: float
    limit: float
    worst: float = float("nan")
    worst_Hz: float = float("nan")

    @property
    def describes_data(self) -> bool:
        """s_fit within the noise (variance-ratio test) or within :data:`NOISE_FLOOR`."""
        if self.sigma_fit <= NOISE_FLOOR:
            return True
        return bool(np.isfinite(self.sigma) and self.sigma_fit <= self.limit * self.sigma)


def _worst(fit_noise: Noise) -> str:
    """ "; the largest, 4.2 % of |Z|, at 300 kHz" ("" when not known)."""
    if not (np.isfinite(fit_noise.worst) and np.isfinite(fit_noise.worst_Hz)):
        return ""
    return (
        f"; the largest, {100 * fit_noise.worst:.2g} % of |Z|, at {format_hz(fit_noise.worst_Hz)}"
    )


def noise(freq_Hz: np.ndarray, z: np.ndarray, z_fit: np.ndarray, n_free: int) -> Noise:
    """Lin-KK noise estimate of ``z`` and the fit's residual level (module docstring)."""
    from .kk import lin_kk

    relative = (z - z_fit) / np.abs(z)
    dof_fit = max(2 * len(z) - n_free, 1)
    sigma_fit = float(np.sqrt(np.sum(relative.real**2 + relative.imag**2) / dof_fit))
    i = int(np.argmax(np.abs(relative)))
    worst = (float(np.abs(relative[i])), float(freq_Hz[i]))
    try:
        kk = lin_kk(freq_Hz, z)
    except ValueError:
        return Noise(None, float("nan"), sigma_fit, float("nan"), *worst)
    dof_kk = 2 * len(z) - (kk.M + 3)
    if dof_kk < MIN_NOISE_DOF:
        return Noise(kk, float("nan"), sigma_fit, float("nan"), *worst)
    sigma = float(np.sqrt(kk.pseudo_chisqr / dof_kk))
    limit = float(np.sqrt(f_distribution.ppf(MISFIT_QUANTILE, dof_fit, dof_kk)))
    return Noise(kk, sigma, sigma_fit, limit, *worst)


@dataclass(frozen=True)
class Referred:
    """The uncertainties the verdict judges: a CPE's Q referred to a measured frequency.

    Attributes
    ----------
    stderr
        Parameter -> standard error; for a CPE's Q, |Q| times the relative standard error of
        the CPE's admittance Q ωᵣⁿ at its reference ωᵣ (every other one as fitted).
    correl
        Correlation matrix (circuit order) with the Q rows and columns referred likewise.
    frequency_Hz
        CPE Q -> its reference frequency ωᵣ/2π, Hz.
    """

    stderr: dict[str, float]
    correl: np.ndarray
    frequency_Hz: dict[str, float]


def referred(
    circuit: Circuit,
    values: dict[str, float],
    cov: Covariance,
    stderr: dict[str, float],
    correl: np.ndarray,
    freq_Hz: np.ndarray,
) -> Referred:
    """Judge a CPE's Q where the spectrum measures it, not at ω = 1 rad/s.

    Q is the admittance of Y = Q (jω)ⁿ at ω = 1 rad/s, a frequency set by the unit of time,
    usually outside the band: its stderr there carries n's, extrapolated over the decades
    between 1 rad/s and the band (δ ln Q = δ ln Q_ref − ln ω_ref · δn), and its correlation
    with n is close to 1 for the same reason. Both change with the unit of frequency (the same
    spectrum given in kHz moved CPE2_Q from 179 % to 351 % and made CPE2_n "fully correlated"
    with it: zplot/exampleDataZPlot_noComments.z). The verdict therefore judges Q through the
    CPE's admittance Q ωᵣⁿ at the measured frequency where it is best known: ln ωᵣ =
    −Cov(ln Q, n)/Var(n) (where the two are uncorrelated; the smallest relative stderr of
    |Y(ω)| over ω), kept inside the measured band. That is invariant under a change of the unit
    of frequency (and of impedance). Q's reported stderr stays the one at 1 rad/s.
    """
    position = {name: i for i, name in enumerate(cov.names)}
    transform = np.eye(len(cov.names))
    references: dict[str, float] = {}
    omega = 2 * np.pi * np.asarray(freq_Hz, dtype=float)
    low, high = float(np.log(omega.min())), float(np.log(omega.max()))
    names = circuit.param_names
    for arc_q, arc_n in _cpe_pairs(circuit):
        q_name, n_name = names[arc_q], names[arc_n]
        if q_name not in position or n_name not in position or values[q_name] == 0:
            continue
        q, m = position[q_name], position[n_name]
        q_value = values[q_name]
        var_n = cov.matrix[m, m]
        pivot = -cov.matrix[q, m] / q_value / var_n if var_n > 0 else 0.5 * (low + high)
        pivot = float(np.clip(pivot, low, high)) if np.isfinite(pivot) else 0.5 * (low + high)
        transform[q, m] = q_value * pivot  # dQ_ref/ω_ref^n = dQ + Q ln ω_ref dn
        references[q_name] = float(np.exp(pivot) / (2 * np.pi))
    out_stderr = dict(stderr)
    out_correl = np.array(correl, dtype=float, copy=True)
    if references:
        matrix = transform @ cov.matrix @ transform.T
        sd = np.sqrt(np.clip(np.diag(matrix), 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = matrix / np.outer(sd, sd)
        where = [names.index(name) for name in cov.names]
        out_correl[np.ix_(where, where)] = r
        for name in references:
            out_stderr[name] = float(sd[position[name]])
    return Referred(out_stderr, out_correl, references)


def couple_exponents(
    circuit: Circuit, determined: dict[str, bool], reasons: dict[str, str]
) -> None:
    """A CPE's Q is determined only with its exponent n; in place.

    Referred to its best frequency (:func:`referred`) Q can look pinned down while n is not,
    but only to first order: with n uncertain by 0.3 or more the linearisation fails, and refits
    of resampled data spread such a Q by more than 50 % (13 of 13 cases on
    vsp_peis_with.mpr, bench_verdicts); nor does a magnitude without its exponent give an
    effective capacitance.
    """
    names = circuit.param_names
    for q, n in _cpe_pairs(circuit):
        q_name, n_name = names[q], names[n]
        if determined.get(q_name) and not determined.get(n_name, True):
            if reasons.get(n_name) == "fixed (not fitted)":
                continue
            determined[q_name] = False
            reasons[q_name] = f"its exponent {n_name} is not determined"


def _cpe_pairs(circuit: Circuit) -> list[tuple[int, int]]:
    """(Q, n) parameter indices of every capacitive element with an exponent."""
    pairs = []
    parameters = circuit.parameters
    for i, parameter in enumerate(parameters):
        if parameter.kind == "capacitive" and parameter.quantity == "exponent":
            q = next(
                j
                for j, other in enumerate(parameters)
                if other.element == parameter.element and other.quantity == "capacitance"
            )
            pairs.append((q, i))
    return pairs


def parameter_verdicts(
    names: Sequence[str],
    values: dict[str, float],
    stderr: dict[str, float],
    correl: np.ndarray | None,
    correl_names: Sequence[str],
    why_nan: dict[str, str],
    fixed: Sequence[str],
    referred_Hz: dict[str, float] | None = None,
) -> tuple[dict[str, bool], dict[str, str]]:
    """Per parameter: determined, and why not ("" when determined). Module docstring.

    ``referred_Hz``: parameters whose ``stderr`` is referred to a frequency (:func:`referred`);
    the reason then says at which.
    """
    determined: dict[str, bool] = {}
    reasons: dict[str, str] = {}
    position = {n: i for i, n in enumerate(correl_names)}
    referred_Hz = referred_Hz or {}
    for name in names:
        value, err = values[name], stderr.get(name, np.nan)
        reason = ""
        if name in fixed:
            reason = "fixed (not fitted)"
        elif name in why_nan:
            reason = why_nan[name]
        elif not np.isfinite(value):
            reason = "its value is not a finite number"
        elif not np.isfinite(err) or err < 0:
            reason = "no standard error"
        elif value == 0 or err > MAX_RELATIVE_STDERR * abs(value):
            relative = np.inf if value == 0 else err / abs(value)
            reason = f"stderr {100 * relative:.3g} % of its value"
            if name in referred_Hz:
                reason += (
                    f" even at {format_hz(referred_Hz[name])}, where the spectrum fixes it best"
                )
        elif correl is not None and name in position:
            row = np.abs(correl[position[name]])
            row = np.where(np.arange(len(row)) == position[name], 0.0, row)
            j = int(np.nanargmax(row)) if np.isfinite(row).any() else -1
            if j >= 0 and row[j] >= MAX_CORRELATION:
                reason = (
                    f"fully correlated with {correl_names[j]} (r = {correl[position[name], j]:.4f})"
                )
        determined[name] = reason == ""
        reasons[name] = reason
    return determined, reasons


def arc_in_window(f0_Hz: float, freq_Hz: np.ndarray) -> bool:
    """Apex inside the measured band, :data:`WINDOW_MARGIN_DECADES` from either end."""
    return arc_position(f0_Hz, 1.0, freq_Hz) == "inside"


#: Below this CPE exponent an arc below the band is a diffusion tail rather than a capacitance
#: (the effective-capacitance limit of :mod:`echem.eis.capacitance`).
DIFFUSION_EXPONENT: float = 0.6


def arc_position(f0_Hz: float, n: float, freq_Hz: np.ndarray) -> str:
    """Where an arc's apex lies against the measured band.

    Returns
    -------
    str
        ``"inside"`` (:data:`WINDOW_MARGIN_DECADES` inside the band), ``"above"`` (it is part
        of the high-frequency intercept), ``"blocking"`` (below the band: the resistance in
        parallel is beyond what the spectrum can tell, the element acts as a series
        capacitance), ``"diffusion"`` (below the band with n < :data:`DIFFUSION_EXPONENT`: a
        diffusion tail), or ``"none"`` (no apex: R, Q or n not positive).
    """
    if not np.isfinite(f0_Hz) or f0_Hz <= 0:
        return "none"
    margin = 10.0**WINDOW_MARGIN_DECADES
    if f0_Hz > freq_Hz.max() / margin:
        return "above"
    if f0_Hz < freq_Hz.min() * margin:
        return "diffusion" if np.isfinite(n) and n < DIFFUSION_EXPONENT else "blocking"
    return "inside"


def arc_sentence(text: str, f0_Hz: float, n: float, freq_Hz: np.ndarray) -> str:
    """What an arc outside the band is, in words ("" for an arc inside)."""
    position = arc_position(f0_Hz, n, freq_Hz)
    band = _band(freq_Hz)
    if position == "inside":
        return ""
    if position == "none":
        return f"the arc {text} has no apex (R, Q or n not positive)"
    if freq_Hz.min() <= f0_Hz <= freq_Hz.max():  # inside, but within the margin of an end
        return (
            f"the arc {text} has its apex at {format_hz(f0_Hz)}, less than "
            f"{WINDOW_MARGIN_DECADES:g} decade from the end of the measured {band}: the top of "
            "the arc is not measured"
        )
    where = f"its apex at {format_hz(f0_Hz)}, outside the measured {band}"
    if position == "above":
        return f"the arc {text} has {where}: it is not measured, only its share of the high-frequency intercept"
    if position == "diffusion":
        return (
            f"the arc {text} has {where}: a diffusion tail (n = {n:.2g}), not a resistance; "
            "a Warburg element describes it"
        )
    return (
        f"the arc {text} has {where}: a blocking capacitance (its resistance is beyond what the "
        "spectrum can tell); a series C or CPE describes it"
    )


def format_hz(f: float) -> str:
    """A frequency in words: ``"3.16 kHz"``, ``"100 mHz"``, ``"3e-09 Hz"``.

    The prefix is chosen after rounding to 3 significant digits (999.96 Hz is "1 kHz", not
    "1e+03 Hz"); below 1 mHz and from 1000 GHz on, plain Hz.
    """
    rounded = float(f"{f:.3g}") if np.isfinite(f) else f
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m")):
        if rounded >= factor:
            if rounded / factor >= 1000:
                break
            return f"{f / factor:.3g} {prefix}Hz"
    return f"{f:.3g} Hz"


def _band(freq_Hz: np.ndarray) -> str:
    return f"{format_hz(float(freq_Hz.min()))}–{format_hz(float(freq_Hz.max()))}"


def arc_problems(circuit: Circuit, values: dict[str, float], freq_Hz: np.ndarray) -> list[str]:
    """A sentence for each arc whose apex lies outside the measured band."""
    problems = []
    names = circuit.param_names
    for arc in circuit.structure.arcs:
        r, q = values[arc.resistor], values[names[arc.capacitance]]
        n = 1.0 if arc.exponent is None else values[names[arc.exponent]]
        sentence = arc_sentence(arc.text, float(apex_frequency(r, q, n)), n, freq_Hz)
        if sentence:
            problems.append(sentence)
    return problems


def _inductive_bands(
    freq_Hz: np.ndarray, z: np.ndarray, sigma: float
) -> list[tuple[float, float, int]]:
    """(f_low, f_high, points) of every run of >= 2 neighbouring points with Z'' > 0 beyond
    the noise and the phase accuracy of the instrument (module docstring)."""
    order = np.argsort(freq_Hz)
    f, zz = freq_Hz[order], z[order]
    level = max(INDUCTIVE_SIGMAS * (sigma if np.isfinite(sigma) else 0.0), NOISE_FLOOR)
    inductive = zz.imag > level * np.abs(zz)
    bands = []
    start = None
    for i, flag in enumerate([*inductive.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= 2:
                bands.append((float(f[start]), float(f[i - 1]), i - start))
            start = None
    return bands


def judge(
    circuit: Circuit,
    freq_Hz: np.ndarray,
    z: np.ndarray,
    values: dict[str, float],
    stderr: dict[str, float],
    determined: dict[str, bool],
    reasons: dict[str, str],
    degenerate: Sequence[tuple[str, ...]],
    fit_noise: Noise,
) -> list[str]:
    """The problems of a fit, as plain sentences (empty: the fit is ok). Module docstring."""
    problems = []
    if not fit_noise.describes_data:
        if not np.isfinite(fit_noise.sigma):
            why = (
                f"Lin-KK could not run on {len(z)} points"
                if fit_noise.kk is None
                else f"Lin-KK's {fit_noise.kk.M} elements leave "
                f"{2 * len(z) - fit_noise.kk.M - 3} of the {2 * len(z)} values of {len(z)} points "
                f"to estimate it, fewer than {MIN_NOISE_DOF}"
            )
            problems.append(
                f"the noise level is unknown ({why}), so it cannot be told whether residuals "
                f"of {100 * fit_noise.sigma_fit:.3g} % of |Z| are noise" + _worst(fit_noise)
            )
        else:
            problems.append(
                f"the circuit does not describe the data: its residuals "
                f"({100 * fit_noise.sigma_fit:.3g} % of |Z|) are "
                f"{fit_noise.sigma_fit / fit_noise.sigma:.2g}× the noise Lin-KK finds "
                f"({100 * fit_noise.sigma:.2g} %) and above the {100 * NOISE_FLOOR:g} % accuracy "
                "of impedance measurements" + _worst(fit_noise)
            )
    kk = fit_noise.kk
    known = np.isfinite(fit_noise.sigma)  # a trend is told from the noise only when it is known
    if kk is not None and known and kk.trend > max(kk.threshold / 2, 4 * fit_noise.sigma / 5**0.5):
        problems.append(
            f"the spectrum fails the Lin-KK test: its residuals drift by {100 * kk.trend:.2g} % "
            f"of |Z| (noise {100 * fit_noise.sigma:.2g} %), a drift or non-linearity during "
            "the sweep; the values may be biased"
        )
    bands = _inductive_bands(freq_Hz, z, fit_noise.sigma)
    has_inductor = any(p.kind == "inductive" for p in circuit.parameters)
    if bands and not has_inductor:
        if sum(b[2] for b in bands) == len(z):
            problems.append(
                "the spectrum is inductive (Z'' > 0) at every frequency: a circuit without an "
                "inductive element cannot describe it"
            )
        else:
            for low, high, count in bands:
                problems.append(
                    f"the spectrum is inductive (Z'' > 0) from {format_hz(low)} to {format_hz(high)} "
                    f"({count} points), which the circuit has no inductive element for"
                )
    for group in degenerate:
        if len(group) > 1:
            problems.append(
                f"{_and(group)} are degenerate: the spectrum determines only a combination of "
                "them (the covariance matrix is singular)"
            )
    named = {n for g in degenerate if len(g) > 1 for n in g}
    for name, ok in determined.items():
        if not ok and reasons[name] != "fixed (not fitted)" and name not in named:
            value = values[name]
            parameter = circuit.parameter(name)
            unit = f" {parameter.unit}" if parameter.unit else ""
            sentence = f"{name} = {value:.4g}{unit} is not determined: {reasons[name]}"
            if (
                parameter.kind == "capacitive"
                and parameter.quantity == "exponent"
                and value == parameter.upper
            ):
                sentence += (
                    f" (an ideal capacitor: a C in place of {parameter.element} says the same "
                    "with one parameter less)"
                )
            problems.append(sentence)
    problems += arc_problems(circuit, values, freq_Hz)
    return problems
