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
3. it is not on a bound (e.g. a CPE exponent at 1: an ideal capacitor, for which C is the
   right element; a resistance at 0);
4. it is not fully correlated with another parameter: |r| < :data:`MAX_CORRELATION`.

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
  s²_KK = Σ|r_KK|²/(2N − M − 3);
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
  noise) is a problem too: the fitted values may be biased;
- a spectrum with a band of Z'' > 0 (more than 3 s_KK of |Z| above zero at 2 or more
  neighbouring frequencies) is *inductive* there; a circuit without an inductive element
  cannot describe that band, and the problem says so.

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
    "WINDOW_MARGIN_DECADES",
    "Covariance",
    "covariance",
    "Noise",
    "noise",
    "parameter_verdicts",
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
    """

    names: list[str]
    matrix: np.ndarray
    stderr: dict[str, float]
    why_nan: dict[str, str]
    degenerate: list[tuple[str, ...]] = field(default_factory=list)


def _on_bound(value: float, lower: float, upper: float) -> str | None:
    """ "lower"/"upper" when ``value`` sits on that bound (to 1e-12 relative), else None."""
    for side, bound in (("lower", lower), ("upper", upper)):
        if np.isfinite(bound) and abs(value - bound) <= 1e-12 * max(abs(value), abs(bound)):
            return side
    return None


def _and(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def covariance(
    jacobian: Callable[[np.ndarray], np.ndarray],
    names: Sequence[str],
    values: np.ndarray,
    free: Sequence[int],
    lower: np.ndarray,
    upper: np.ndarray,
    redchi: float,
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
    """
    why: dict[str, str] = {}
    inside = []
    for i in free:
        side = _on_bound(float(values[i]), float(lower[i]), float(upper[i]))
        if side is None:
            inside.append(int(i))
        else:
            bound = lower[i] if side == "lower" else upper[i]
            why[names[i]] = f"on its {side} bound {bound:g}"
    stderr = {names[i]: np.nan for i in free}
    if not inside or not np.isfinite(redchi):
        if not np.isfinite(redchi):
            for i in inside:
                why[names[i]] = "the fit's chi-square is not finite"
        return Covariance([], np.empty((0, 0)), stderr, why)
    idx = np.array(inside)
    with np.errstate(all="ignore"):
        jac = np.asarray(jacobian(idx), dtype=float)
    scale = np.where(values[idx] != 0, np.abs(values[idx]), 1.0)
    scaled = jac * scale  # derivative per relative change of each parameter
    norms = np.linalg.norm(scaled, axis=0)
    alive = np.isfinite(norms) & (norms > 0) & np.all(np.isfinite(scaled), axis=0)
    for j in np.flatnonzero(~alive):
        why[names[idx[j]]] = "the model does not depend on it at this value"
    degenerate: list[tuple[str, ...]] = []
    kept = idx[alive]
    if len(kept) == 0:
        return Covariance([], np.empty((0, 0)), stderr, why)
    unit = scaled[:, alive] / norms[alive]
    _, s, vt = np.linalg.svd(unit, full_matrices=False)
    null = s <= SINGULAR_RTOL * s[0]
    loading = np.zeros(len(kept))
    for k in np.flatnonzero(null):
        v = vt[k]
        members = tuple(names[kept[j]] for j in np.flatnonzero(np.abs(v) > 0.1 * np.abs(v).max()))
        degenerate.append(members)
        loading = np.maximum(loading, np.abs(v))
    rank = ~null
    inv_s2 = 1.0 / s[rank] ** 2
    cov_unit = (vt[rank].T * inv_s2) @ vt[rank] * redchi
    factor = scale[alive] / norms[alive]
    cov = cov_unit * np.outer(factor, factor)
    estimable = loading <= NULL_LOADING
    null_vectors = vt[null]
    for j in np.flatnonzero(~estimable):
        k = int(np.argmax(np.abs(null_vectors[:, j])))  # the null direction it loads most on
        group = degenerate[k]
        others = [n for n in group if n != names[kept[j]]]
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
    return Covariance(kept_names, matrix, stderr, why, degenerate)


@dataclass(frozen=True)
class Noise:
    """The noise of a spectrum as Lin-KK sees it, and how the fit's residuals compare.

    Attributes
    ----------
    kk
        The :class:`~echem.eis.kk.KKResult` (None when Lin-KK could not run).
    sigma
        s_KK: rms relative residual per real component of the Lin-KK model, corrected for
        its M + 3 parameters (NaN without Lin-KK).
    sigma_fit
        s_fit: the same for the fit (k free parameters).
    limit
        Largest s_fit/s_KK that passes the variance-ratio test.
    """

    kk: object | None
    sigma: float
    sigma_fit: float
    limit: float

    @property
    def describes_data(self) -> bool:
        """s_fit within the noise (variance-ratio test) or within :data:`NOISE_FLOOR`."""
        if self.sigma_fit <= NOISE_FLOOR:
            return True
        return bool(np.isfinite(self.sigma) and self.sigma_fit <= self.limit * self.sigma)


def noise(freq_Hz: np.ndarray, z: np.ndarray, z_fit: np.ndarray, n_free: int) -> Noise:
    """Lin-KK noise estimate of ``z`` and the fit's residual level (module docstring)."""
    from .kk import lin_kk

    relative = (z - z_fit) / np.abs(z)
    dof_fit = max(2 * len(z) - n_free, 1)
    sigma_fit = float(np.sqrt(np.sum(relative.real**2 + relative.imag**2) / dof_fit))
    try:
        kk = lin_kk(freq_Hz, z)
    except ValueError:
        return Noise(None, float("nan"), sigma_fit, float("nan"))
    dof_kk = max(2 * len(z) - (kk.M + 3), 1)
    sigma = float(np.sqrt(kk.pseudo_chisqr / dof_kk))
    limit = float(np.sqrt(f_distribution.ppf(MISFIT_QUANTILE, dof_fit, dof_kk)))
    return Noise(kk, sigma, sigma_fit, limit)


def parameter_verdicts(
    names: Sequence[str],
    values: dict[str, float],
    stderr: dict[str, float],
    correl: np.ndarray | None,
    correl_names: Sequence[str],
    why_nan: dict[str, str],
    fixed: Sequence[str],
) -> tuple[dict[str, bool], dict[str, str]]:
    """Per parameter: determined, and why not ("" when determined). Module docstring."""
    determined: dict[str, bool] = {}
    reasons: dict[str, str] = {}
    position = {n: i for i, n in enumerate(correl_names)}
    for name in names:
        value, err = values[name], stderr.get(name, np.nan)
        reason = ""
        if name in fixed:
            reason = "fixed (not fitted)"
        elif name in why_nan:
            reason = why_nan[name]
        elif not np.isfinite(err):
            reason = "no standard error"
        elif value == 0 or err > MAX_RELATIVE_STDERR * abs(value):
            relative = np.inf if value == 0 else err / abs(value)
            reason = f"stderr {100 * relative:.3g} % of its value"
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
    where = f"its apex at {f0_Hz:.3g} Hz, outside the measured {band}"
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


def _hz(f: float) -> str:
    for factor, prefix in ((1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m")):
        if f >= factor:
            return f"{f / factor:.3g} {prefix}Hz"
    return f"{f:.3g} Hz"


def _band(freq_Hz: np.ndarray) -> str:
    return f"{_hz(float(freq_Hz.min()))}–{_hz(float(freq_Hz.max()))}"


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
    """(f_low, f_high, points) of every run of >= 2 neighbouring points with Z'' > 0 beyond noise."""
    order = np.argsort(freq_Hz)
    f, zz = freq_Hz[order], z[order]
    level = INDUCTIVE_SIGMAS * (sigma if np.isfinite(sigma) else 0.0)
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
        if fit_noise.kk is None:
            problems.append(
                f"the noise level is unknown (Lin-KK could not run on {len(z)} points), so it "
                f"cannot be told whether residuals of {100 * fit_noise.sigma_fit:.2g} % are noise"
            )
        else:
            problems.append(
                f"the circuit does not describe the data: its residuals "
                f"({100 * fit_noise.sigma_fit:.2g} % of |Z|) exceed the noise Lin-KK finds "
                f"({100 * fit_noise.sigma:.2g} %) by {fit_noise.sigma_fit / fit_noise.sigma:.2g}×"
            )
    kk = fit_noise.kk
    if kk is not None and kk.trend > max(kk.threshold / 2, 4 * fit_noise.sigma / np.sqrt(5)):
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
                    f"the spectrum is inductive (Z'' > 0) from {_hz(low)} to {_hz(high)} "
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
            sentence = f"{name} = {value:.4g} is not determined: {reasons[name]}"
            parameter = circuit.parameter(name)
            if (
                reasons[name].startswith("on its upper bound")
                and parameter.kind == "capacitive"
                and parameter.quantity == "exponent"
            ):
                sentence += (
                    f" (an ideal capacitor: a C in place of {parameter.element} says the same "
                    "with one parameter less)"
                )
            problems.append(sentence)
    problems += arc_problems(circuit, values, freq_Hz)
    return problems
