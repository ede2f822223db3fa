"""Choose the equivalent circuit of a spectrum: ``echem.eis.fit(spectrum, "auto")``.

The candidates
--------------
Every candidate is a series resistance ``R0``, an optional inductance ``L0`` in front, none to
:data:`MAX_ARCS` arcs ``p(Ri,CPEi)`` and an optional low-frequency tail from :data:`TAILS` (a
diffusion element ``W1``, ``Wo1``, ``Ws1``, or a blocking ``CPE`` in series). They are not all
fitted: the spectrum's distribution of relaxation times (:func:`echem.eis.drt`, at its
smoothest λ, :data:`echem.eis.relaxation.DEFAULT_LAMBDA`, which rarely splits a peak) says
where to look (:func:`read_evidence`):

- the number of arcs m: DRT peaks inside the measured window holding at least
  :data:`MIN_PEAK_SHARE` of the resistance inside it and standing out of the noise (R at least
  :data:`_PEAK_SIGMAS` times the DRT's rms relative residual times |Z| at the peak's frequency:
  the noise ripples of a flat spectrum hold about half that);
- whether the low-frequency end is open: more than
  :data:`echem.eis.relaxation.OUTSIDE_SHARE` of the DRT's area at τ beyond the window, or
  −Z'' rising towards the lowest frequencies by more than the noise (a diffusion tail or a
  blocking electrode, which have no DRT inside the window).

The search (:func:`fit_auto`) starts with m arcs (at most :data:`MAX_ARCS`),
without a tail and, when the end is open, with each tail. An inductance is added to a candidate
only where Rao's score test on its fit without one calls for it (:func:`inductance_score`: the
first-order gain of χ² an inductance would bring, at the cost of k + 1 model evaluations
instead of a fit), and kept for the next candidates once the best candidate has one. Then the
neighbours of the *leaders* are fitted until every leader's have been: the best candidate so
far (by the choice below); the one with the lowest BIC whatever its verdict (bigger structures
are found from it) while the best is not ok or has a BIC more than :data:`KEEP_MARGIN` higher;
and, when the end is open, the best with a tail. The neighbours of a candidate are one arc
fewer, for an arc whose apex lies below the band (:func:`echem.eis.verdict.arc_position`: a
tail in disguise) the circuit with that arc replaced by each tail, one arc more, its other
tails (for the first two leaders), and without its inductance where that is not determined;
tails are tried in the order the evidence suggests (:func:`_tail_order`: the kind an arc's
position or the low-frequency slope calls for first). New
candidates are fitted while fewer than :data:`MAX_FITS` have been (a step may add one with its
inductance twin, and the chosen one with an inductance is fitted without it at the end: at
most ``MAX_FITS + 2`` candidates; refits from an inherited start not counted);
benchmarks/bench_model_choice.py measures the CPU time of a choice at a median of 11 times that
of one fit of the true circuit (90th percentile 25, at most 17 candidates) on synthetic
spectra of 76 points.

Every candidate starts from the DRT: each peak's area is an arc's R, its τ gives
Q = τⁿ/R, its width the exponent n (:mod:`echem.eis._drt_peaks`); R∞ and L are the DRT's,
the tails' values are read off the lowest frequencies (:func:`drt_start`). The start is passed
as ``initial=``, which :func:`echem.eis.fit` refines *beside* its own data-driven multistart
and keeps only when it ends lower, so a candidate is never fitted worse than without it. A
neighbour also inherits the optimum of the candidate it comes from (the arcs kept, the arc
left out or the tail swapped: :func:`_inherit`); where that start is already better than the
neighbour's fit (one model evaluation to know), the neighbour is fitted again from it and the
lower χ² kept, so that nested circuits stay consistent (a circuit is not judged on a local
optimum worse than its bigger neighbour minus an arc).

The choice
----------
Each candidate is scored by the Bayesian information criterion of complex least squares
(GUIDE §9), BIC = 2N·ln(χ²/2N) + k·ln(2N), with N frequencies, χ² the weighted residual sum
and k the free parameters (:attr:`echem.eis.FitResult.bic`, lmfit's definition). BIC rather
than AIC: BIC is consistent (G. Schwarz, Ann. Statist. 6 (1978) 461: with the true circuit
among the candidates it is chosen with a probability that tends to 1 as the data grow), AIC
(H. Akaike, IEEE Trans. Autom. Control 19 (1974) 716) is not and keeps a fixed chance of
choosing a larger circuit: one more arc (3 parameters) passes AIC by noise alone with
probability P(χ²₃ > 6) ≈ 11 %, BIC at 2N = 150 values only with P(χ²₃ > 15) ≈ 0.2 %
(K. P. Burnham & D. R. Anderson, Model Selection and Multimodel Inference, Springer 2002,
ch. 6). "Never more arcs than the data hold" is the consistent criterion's promise.

The criterion alone rewards any lower χ²: real spectra whose systematic errors exceed their
noise would gain arcs without end. The verdicts of :mod:`echem.eis.verdict` therefore rank the
candidates first (:func:`choose`), the criterion decides within a rank:

0. ``ok`` (the circuit describes the data, every parameter determined, every arc inside the
   band, no spectrum-level problem);
1. describes the data within the noise Lin-KK finds (the variance-ratio test of
   :mod:`echem.eis.verdict`) and every parameter determined, every arc in the band;
2. describes the data though a parameter is not determined, and no circuit with fewer
   parameters describes the data: of these the one with fewest parameters;
3. does not describe the data (nothing does), every parameter determined;
4. the rest.

So a circuit whose parameters are not determined is never chosen when a smaller one describes
the data within the noise. Within rank 0, 1 or 3, of the candidates whose BIC is within
:data:`PARSIMONY` (2) of the lowest the one with the fewest parameters is chosen (a difference
below 2 is "not worth more than a bare mention", Kass & Raftery 1995, below). Ties go to fewer
parameters, then to the circuit text: the same spectrum gives the same choice run after run
(the fits are seeded).

Along a series (:func:`series_step`, used by :func:`echem.eis.fit_series` with ``"auto"``) the
previous sweep's circuit is kept while it is ``ok`` and its BIC is within :data:`KEEP_MARGIN`
of the best candidate's: a change needs "very strong" evidence on Kass & Raftery's scale
(R. E. Kass & A. E. Raftery, J. Am. Stat. Assoc. 90 (1995) 773: ΔBIC > 10), or the old circuit
failing its verdict. :func:`series_events` names the arcs that appear or vanish.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EchemError, FitError
from .capacitance import apex_frequency
from .circuit_fit import fit_circuit, prepare_data, spectrum_of_frame
from .result import FitResult

__all__ = [
    "AUTO",
    "MAX_ARCS",
    "MIN_PEAK_SHARE",
    "KEEP_MARGIN",
    "PARSIMONY",
    "SCORE_LIMIT",
    "TAILS",
    "Candidate",
    "Evidence",
    "Assessment",
    "read_evidence",
    "drt_start",
    "assess",
    "choose",
    "fit_auto",
    "inductance_score",
    "series_step",
    "series_events",
    "annotate_series",
    "CANDIDATE_COLUMNS",
]

#: The circuit name that asks for the automatic choice.
AUTO: str = "auto"
#: Most arcs a candidate has.
MAX_ARCS: int = 4
#: A DRT peak counts as an arc when it holds at least this share of the DRT's resistance
#: inside the measured window (smaller peaks are ripples of the regularisation).
MIN_PEAK_SHARE: float = 0.05
#: Along a series, the previous circuit is kept while ok and within this BIC of the best
#: (Kass & Raftery 1995: ΔBIC > 10 is "very strong" evidence).
KEEP_MARGIN: float = 10.0
#: Among candidates of the best rank, those whose BIC is within this of the lowest are told
#: apart by their number of parameters (the fewest wins): a BIC difference below 2 is "not
#: worth more than a bare mention" (Kass & Raftery 1995).
PARSIMONY: float = 2.0
#: An inductance is fitted where Rao's score statistic for adding one to the fit without it
#: exceeds this (:func:`inductance_score`; one-sided, χ²₁ under no inductance: BIC gains from
#: an inductance only beyond ln(2N) ≈ 5).
SCORE_LIMIT: float = 1.0
#: No new candidate is fitted once this many have been (at most two more: module docstring).
MAX_FITS: int = 16
#: A DRT peak counts as an arc only when its R exceeds this many noise levels (the DRT's rms
#: relative residual times |Z| at the peak's frequency).
_PEAK_SIGMAS: float = 1.0
#: −Z'' at the lowest frequencies counts as rising when it exceeds this many noise levels.
_TAIL_SIGMAS: float = 3.0
#: A low-frequency slope of −Z'' (log-log) below this suggests a blocking CPE (−n, n > 0.75)
#: before a diffusion tail (−0.5) in the order candidates are fitted.
_BLOCKING_SLOPE: float = -0.75
#: Lowest frequencies used for the low-frequency slope: this many decades, at least 3 points.
_LF_DECADES: float = 0.5
#: CPE exponents of a start are kept inside this range (the bounds 0 and 1 stall a search).
_N_RANGE: tuple[float, float] = (0.5, 0.98)


# ---------------------------------------------------------------------------------------
# what the spectrum shows


@dataclass(frozen=True)
class Evidence:
    """What the DRT and the lowest frequencies say about a spectrum (:func:`read_evidence`).

    Attributes
    ----------
    drt
        The :class:`~echem.eis.relaxation.DRTResult` (at λ = 0.1).
    peaks
        Its peaks inside the measured window, by decreasing R (the starts take them in
        this order).
    arcs
        How many of them count as arcs (share at least :data:`MIN_PEAK_SHARE`, R above
        :data:`_PEAK_SIGMAS` noise levels).
    tail_share
        Share of the DRT's area at τ beyond the window (longer than 1/(2π f_min)).
    lf_slope
        d ln(−Z'')/d ln f over the lowest :data:`_LF_DECADES` decades: about +n where an arc
        closes, −0.5 on a Warburg tail, −n on a blocking CPE (NaN where −Z'' is not positive).
    lf_rising
        −Z'' rises towards the lowest frequencies (``lf_slope`` < 0) and stands out of the
        noise there.
    noise
        The DRT's rms relative residual: the spectrum's noise level, roughly.
    """

    drt: Any
    peaks: pd.DataFrame
    arcs: int
    tail_share: float
    lf_slope: float
    lf_rising: bool
    noise: float

    @property
    def open_end(self) -> bool:
        """The low-frequency end may not close: tails are worth trying (a hint for the
        search, not a verdict: a DRT that is itself noise can put a share beyond the window)."""
        from .relaxation import OUTSIDE_SHARE

        return self.tail_share > OUTSIDE_SHARE or self.lf_rising

    def sentence(self) -> str:
        """What the evidence says, in words."""
        peaks = f"{self.arcs} peak{'s' if self.arcs != 1 else ''}"
        if self.open_end:
            slope = (
                f"-Z'' against f at the lowest frequencies: log-log slope {self.lf_slope:+.2f}"
                if np.isfinite(self.lf_slope)
                else "-Z'' is not positive at all the lowest frequencies"
            )
            end = (
                f"the low-frequency end may not close ({100 * self.tail_share:.0f} % of the "
                f"DRT beyond the window; {slope})"
            )
        else:
            end = "the low-frequency end closes"
        return f"the DRT has {peaks} above its noise inside the measured band; {end}"


def _lowest(freq: np.ndarray) -> np.ndarray:
    """Indices of the points within :data:`_LF_DECADES` of the lowest frequency (at least 3)."""
    order = np.argsort(freq)
    within = np.flatnonzero(np.log10(freq[order] / freq[order[0]]) <= _LF_DECADES)
    return order[: max(len(within), 3)]


def read_evidence(freq_Hz: np.ndarray, z: np.ndarray, weighting: str = "modulus") -> Evidence:
    """The DRT's arcs and what the lowest frequencies do (module docstring).

    Parameters
    ----------
    freq_Hz, z
        Frequencies (Hz) and complex impedance (Ω), validated (:func:`echem.eis.circuit_fit.
        prepare_data`).
    weighting
        Residual weighting of the DRT, as the fits' (:mod:`echem.eis.weighting`).
    """
    from .relaxation import DEFAULT_LAMBDA, drt

    result = drt(freq_Hz, z, lam=DEFAULT_LAMBDA, weighting=weighting)
    inside = result.peaks[result.peaks["in_window"]]
    noise = max(result.rms_residual, 1e-4)
    total = float(inside["R_ohm"].sum())
    order = np.argsort(freq_Hz)
    log_modulus = np.interp(
        np.log(inside["f_Hz"].to_numpy(float)),
        np.log(freq_Hz[order]),
        np.log(np.abs(z[order])),
    )
    big = inside["R_ohm"].to_numpy(float) >= MIN_PEAK_SHARE * total
    out_of_noise = inside["R_ohm"].to_numpy(float) >= _PEAK_SIGMAS * noise * np.exp(log_modulus)
    arcs = int((big & out_of_noise).sum()) if total > 0 else 0
    peaks = inside.sort_values(["R_ohm", "tau_s"], ascending=[False, True], kind="stable")
    tau_high = 1.0 / (2 * np.pi * float(np.min(freq_Hz)))
    ln_tau = np.log(result.tau_s)
    whole = float(np.trapezoid(result.gamma_ohm, ln_tau))
    beyond = result.tau_s > tau_high
    tail = float(np.trapezoid(result.gamma_ohm[beyond], ln_tau[beyond])) if beyond.sum() > 1 else 0
    tail_share = tail / whole if whole > 0 else 0.0
    low = _lowest(freq_Hz)
    minus_imag = -z.imag[low]
    slope = math.nan
    if np.all(minus_imag > 0):
        slope = float(np.polyfit(np.log(freq_Hz[low]), np.log(minus_imag), 1)[0])
    standing_out = bool(np.all(minus_imag > _TAIL_SIGMAS * noise * np.abs(z[low])))
    rising = bool(np.isfinite(slope) and slope < 0 and standing_out)
    return Evidence(result, peaks.reset_index(drop=True), arcs, tail_share, slope, rising, noise)


# ---------------------------------------------------------------------------------------
# the candidates


@dataclass(frozen=True)
class Tail:
    """A low-frequency tail of :data:`TAILS`.

    Attributes
    ----------
    kind
        ``"diffusion"`` or ``"blocking"``.
    element
        The element's name in a circuit with ``arcs`` arcs.
    start
        (element name, lowest-frequency point (f, Z), low-frequency slope) -> start values.
    """

    kind: str
    element: Callable[[int], str]
    start: Callable[[str, float, complex, float], dict[str, float]]


def _warburg_coefficient(f: float, z: complex) -> float:
    """A of Z = A(1 − j)/√ω from −Z'' at the lowest frequency (Ω s^-1/2)."""
    return max(-z.imag, 1e-6 * abs(z)) * math.sqrt(2 * math.pi * f)


def _finite_warburg(name: str, f: float, z: complex, _slope: float) -> dict[str, float]:
    """R and τ of Wo/Ws looking like W down to the lowest frequency: ωτ = 3 there and
    R/√(jωτ) = A(1 − j)/√ω, i.e. R = A√(2τ)."""
    tau = 3.0 / (2 * math.pi * f)
    return {f"{name}_R": _warburg_coefficient(f, z) * math.sqrt(2 * tau), f"{name}_tau": tau}


def _blocking(name: str, f: float, z: complex, slope: float) -> dict[str, float]:
    """Q and n of a series CPE, Z'' = −sin(nπ/2)/(Q ωⁿ), n from the slope of −Z''."""
    n = float(np.clip(-slope if np.isfinite(slope) else 0.9, *_N_RANGE))
    omega = 2 * math.pi * f
    q = math.sin(n * math.pi / 2) / (max(-z.imag, 1e-6 * abs(z)) * omega**n)
    return {f"{name}_Q": q, f"{name}_n": n}


#: Low-frequency tails a candidate may end with: key -> :class:`Tail`.
TAILS: dict[str, Tail] = {
    "W": Tail("diffusion", lambda arcs: "W1", lambda n, f, z, s: {n: _warburg_coefficient(f, z)}),
    "Wo": Tail("diffusion", lambda arcs: "Wo1", _finite_warburg),
    "Ws": Tail("diffusion", lambda arcs: "Ws1", _finite_warburg),
    "CPE": Tail("blocking", lambda arcs: f"CPE{arcs + 1}", _blocking),
}


@dataclass(frozen=True, order=True)
class Candidate:
    """One candidate circuit: ``[L0-]R0-p(R1,CPE1)-...-p(Rk,CPEk)[-tail]``.

    Attributes
    ----------
    arcs
        Number of R∥CPE arcs (0 to :data:`MAX_ARCS`: a resistor, a blocking electrode or a
        bare diffusion tail has none).
    tail
        Key of :data:`TAILS`, or ``""`` for none.
    inductance
        An inductance ``L0`` in series (a spectrum inductive at high frequency).
    """

    arcs: int
    tail: str = ""
    inductance: bool = False

    @property
    def circuit(self) -> str:
        """The circuit text."""
        parts = ["L0"] if self.inductance else []
        parts += ["R0"] + [f"p(R{i},CPE{i})" for i in range(1, self.arcs + 1)]
        if self.tail:
            parts.append(TAILS[self.tail].element(self.arcs))
        return "-".join(parts)

    @property
    def tail_kind(self) -> str:
        """``"diffusion"``, ``"blocking"`` or ``""``."""
        return TAILS[self.tail].kind if self.tail else ""


def _arc_starts(peaks: pd.DataFrame, count: int) -> list[tuple[float, float, float]]:
    """(R, τ, n) of ``count`` arcs from the DRT peaks (largest first), by increasing τ.

    Peaks left over give their resistance to the nearest arc kept (in ln τ); when there are
    too few, the largest arc is split in two (halves at τ/3 and 3τ) until there are enough.
    """
    rows = [(float(p.R_ohm), float(p.tau_s), float(p.n_est)) for p in peaks.itertuples()]
    kept = rows[:count]
    for r, tau, _n in rows[count:]:
        if not kept:
            break
        near = min(range(len(kept)), key=lambda i: abs(math.log(kept[i][1] / tau)))
        kept[near] = (kept[near][0] + r, kept[near][1], kept[near][2])
    while len(kept) < count:
        if not kept:
            return []
        big = max(range(len(kept)), key=lambda i: kept[i][0])
        r, tau, n = kept.pop(big)
        kept += [(r / 2, tau / 3, n), (r / 2, tau * 3, n)]
    return sorted(kept, key=lambda arc: arc[1])


def drt_start(candidate: Candidate, evidence: Evidence, freq_Hz: np.ndarray, z: np.ndarray) -> dict:
    """Start values of a candidate's parameters from the DRT (module docstring).

    Returns
    -------
    dict
        Parameter name -> value; empty when the DRT holds no peak to start the arcs from.
    """
    drt = evidence.drt
    arcs = _arc_starts(evidence.peaks, candidate.arcs)
    if candidate.arcs and not arcs:
        return {}
    high = int(np.argmax(freq_Hz))
    start = {"R0": max(float(drt.R_inf_ohm), 1e-3 * float(np.min(np.abs(z))))}
    if candidate.inductance:
        omega_max = 2 * math.pi * float(freq_Hz[high])
        start["L0"] = max(float(drt.L_H), 1e-3 * float(abs(z[high])) / omega_max)
    for i, (r, tau, n) in enumerate(arcs, start=1):
        n = float(np.clip(n if np.isfinite(n) else 0.9, *_N_RANGE))
        start |= {f"R{i}": r, f"CPE{i}_Q": tau**n / r, f"CPE{i}_n": n}
    if candidate.tail:
        low = int(np.argmin(freq_Hz))
        tail = TAILS[candidate.tail]
        name = tail.element(candidate.arcs)
        start |= tail.start(name, float(freq_Hz[low]), complex(z[low]), evidence.lf_slope)
    return start


# ---------------------------------------------------------------------------------------
# judging the candidates


@dataclass(frozen=True)
class Assessment:
    """A candidate's fit and what the choice reads of it (:func:`assess`).

    Attributes
    ----------
    candidate
        The candidate.
    result
        Its :class:`~echem.eis.FitResult` (None when the fit failed).
    error
        Why the fit failed, else "".
    k
        Free parameters.
    criterion
        BIC (inf for a failed fit; module docstring).
    describes
        The circuit describes the data within the noise Lin-KK finds (:mod:`echem.eis.verdict`).
    determined
        Every free parameter determined and every arc's apex inside the measured band.
    """

    candidate: Candidate
    result: FitResult | None
    error: str
    k: int
    criterion: float
    describes: bool
    determined: bool

    @property
    def ok(self) -> bool:
        """The fit's own verdict."""
        return self.result is not None and self.result.ok


def _describes(result: FitResult, k: int) -> bool:
    """The variance-ratio test of :func:`echem.eis.verdict.noise` on the fit's own numbers
    (its Lin-KK run is reused instead of run again)."""
    from scipy.stats import f as f_distribution

    from .verdict import MISFIT_QUANTILE, NOISE_FLOOR, Noise

    kk = result.kk
    if kk is None or not np.isfinite(result.noise):
        return bool(result.residual_level <= NOISE_FLOOR)
    values = 2 * len(result.freq_Hz)
    limit = math.sqrt(
        f_distribution.ppf(MISFIT_QUANTILE, max(values - k, 1), max(values - (kk.M + 3), 1))
    )
    return Noise(kk, result.noise, result.residual_level, limit).describes_data


def assess(candidate: Candidate, result: FitResult | None, error: str = "") -> Assessment:
    """What :func:`choose` reads of one candidate's fit."""
    from .verdict import arc_problems

    if result is None:
        return Assessment(candidate, None, error or "fit failed", 0, math.inf, False, False)
    free = [name for name in result.values if name not in result.fixed]
    k = len(free)
    bic = float(result.bic)
    criterion = bic if not math.isnan(bic) else math.inf
    determined = all(result.determined.get(name, False) for name in free) and not arc_problems(
        result.circuit, result.values, result.freq_Hz
    )
    return Assessment(candidate, result, "", k, criterion, _describes(result, k), determined)


#: Why the chosen candidate was chosen, by its rank (:func:`choose`).
RANKS: dict[int, str] = {
    0: "it is ok",
    1: "it describes the data within the noise and every parameter is determined (no circuit is ok)",
    2: (
        "it is the smallest circuit that describes the data within the noise (none of those "
        "has every parameter determined)"
    ),
    3: "no circuit describes the data within the noise, and every parameter of it is determined",
    4: "no circuit describes the data within the noise or has every parameter determined",
}


def _shortfalls(a: Assessment) -> list[str]:
    """What keeps a candidate from being ok, in words."""
    from .verdict import arc_problems

    result = a.result
    if result is None:
        return [f"fit failed: {a.error}"]
    out = []
    if not a.describes:
        out.append(
            f"does not describe the data (residuals {100 * result.residual_level:.2g} % of |Z|, "
            f"noise {100 * result.noise:.2g} %)"
        )
    undetermined = [
        f"{name} is not determined ({reason})"
        for name, reason in result.reasons.items()
        if reason and name not in result.fixed
    ]
    if undetermined:
        out.append(undetermined[0])
    out += arc_problems(result.circuit, result.values, result.freq_Hz)[:1]
    if not out and result.problems:
        out.append(result.problems[0])
    return out


def _ranks(assessments: Sequence[Assessment]) -> list[int]:
    """The rank of each candidate (module docstring; 5 for a failed fit)."""
    describing = [a.k for a in assessments if a.result is not None and a.describes]
    smallest = min(describing, default=math.inf)
    ranks = []
    for a in assessments:
        if a.result is None:
            ranks.append(5)
        elif a.ok:
            ranks.append(0)
        elif a.describes and a.determined:
            ranks.append(1)
        elif a.describes:
            ranks.append(2 if a.k <= smallest else 4)
        else:
            ranks.append(3 if a.determined else 4)
    return ranks


def _key(a: Assessment, rank: int) -> tuple:
    return (rank, a.k if rank == 2 else 0, a.criterion, a.k, a.candidate.circuit)


def choose(
    assessments: Sequence[Assessment], previous: str | None = None
) -> tuple[int, list[str], str]:
    """The chosen candidate, why each other one was not, and the choice in a sentence.

    Parameters
    ----------
    assessments
        The candidates tried (:func:`assess`).
    previous
        The circuit text chosen for the previous spectrum of a series: kept while it is ok
        and its BIC within :data:`KEEP_MARGIN` of the best.

    Returns
    -------
    (index, reasons, sentence)
        The position of the chosen candidate, a reason per candidate ("chosen: ..." for the
        chosen one), and a sentence for the result's ``choice``.
    """
    if not assessments:
        raise FitError("no candidate circuit to choose from")
    ranks = _ranks(assessments)
    order = sorted(range(len(assessments)), key=lambda i: _key(assessments[i], ranks[i]))
    best = order[0]
    if ranks[best] == 5:
        raise FitError(
            "no candidate circuit could be fitted: "
            + "; ".join(f"{a.candidate.circuit}: {a.error}" for a in assessments)
        )
    chosen, why = best, RANKS[ranks[best]]
    same_rank = [i for i in order[1:] if ranks[i] == ranks[best]]
    lowest = assessments[best]
    close = [i for i in same_rank if assessments[i].criterion <= lowest.criterion + PARSIMONY]
    smaller = min(close, key=lambda i: _key(assessments[i], 2), default=None)
    if ranks[best] != 2 and smaller is not None and assessments[smaller].k < lowest.k:
        chosen = smaller
        gap = lowest.criterion - assessments[smaller].criterion
        why += (
            f", and of those whose BIC is within {PARSIMONY:g} of the lowest "
            f"({lowest.candidate.circuit}, {-gap:.3g} lower) it has the fewest parameters"
        )
    elif ranks[best] != 2 and same_rank:
        runner = assessments[same_rank[0]]
        gap = runner.criterion - lowest.criterion
        why += (
            f", and its BIC is {gap:.3g} below the next such circuit ({runner.candidate.circuit})"
        )
    elif ranks[best] != 2:
        why += ", and the only such circuit"
    kept = [
        i
        for i, a in enumerate(assessments)
        if previous is not None and a.candidate.circuit == previous and a.ok
    ]
    if kept and kept[0] != chosen:
        gap = assessments[kept[0]].criterion - lowest.criterion
        if kept[0] == best:  # the parsimony rule would change it: not reason enough
            chosen = kept[0]
            why = (
                "it was the previous spectrum's circuit and is still ok with the lowest BIC: "
                f"a smaller circuit within {PARSIMONY:g} of it is not the very strong evidence "
                "a change needs"
            )
        elif gap <= KEEP_MARGIN:
            chosen = kept[0]
            why = (
                f"it was the previous spectrum's circuit and is still ok, with a BIC within "
                f"{KEEP_MARGIN:g} of the lowest ({lowest.candidate.circuit}, "
                f"{gap:.3g} lower): not the very strong evidence a change needs"
            )
    smallest = min((a.k for a in assessments if a.result is not None and a.describes), default=0)
    reasons = []
    for i, (a, rank) in enumerate(zip(assessments, ranks, strict=True)):
        gap = a.criterion - assessments[chosen].criterion
        if i == chosen:
            reasons.append(f"chosen: {why}")
        elif rank == ranks[chosen]:
            said = f"BIC {gap:+.3g} against the chosen circuit"
            if gap < 0:
                said += " (lower, but see why the chosen one was chosen)"
            reasons.append(said)
        else:
            said = "; ".join(_shortfalls(a)) or f"BIC {gap:+.3g} against the chosen circuit"
            if a.describes and not a.determined and a.k > smallest:
                said += " (a circuit with fewer parameters describes the data)"
            reasons.append(said)
    sentence = (
        f"{assessments[chosen].candidate.circuit} chosen from {len(assessments)} candidate "
        f"circuits by BIC and the fit verdicts: {why}"
    )
    return chosen, reasons, sentence


#: Columns of ``result.candidates`` -> what they hold.
CANDIDATE_COLUMNS: dict[str, str] = {
    "circuit": "the candidate circuit",
    "arcs": "its number of R||CPE arcs",
    "tail": 'its low-frequency tail (a key of TAILS: "W", "Wo", "Ws", "CPE"; "" for none)',
    "inductance": "whether it has a series inductance L0",
    "k": "free parameters",
    "chisqr": "weighted chi-square of its fit",
    "bic": "Bayesian information criterion, 2N ln(chisqr/2N) + k ln(2N)",
    "delta_bic": "bic minus the chosen circuit's",
    "ok": "the fit's verdict (FitResult.ok)",
    "describes_data": "residuals within the noise Lin-KK finds (variance-ratio test)",
    "determined": "every parameter determined and every arc's apex inside the band",
    "rank": "0 ok; 1 describes the data, determined; 2 smallest describing one; "
    "3 determined; 4 the rest; 5 fit failed (choose)",
    "chosen": "True for the chosen circuit",
    "start": '"previous spectrum" where its fit is the refinement from the previous spectrum\'s '
    'optimum (along a series, which ended lower than the data-driven start), else "data"',
    "reason": "why it was chosen, or not",
    "problems": "the fit's problems, joined by '; ' (or why the fit failed)",
}


def _table(
    assessments: Sequence[Assessment],
    chosen: int,
    reasons: Sequence[str],
    warm: set[Candidate] | frozenset[Candidate] = frozenset(),
) -> pd.DataFrame:
    from .table import PROBLEM_SEPARATOR

    ranks = _ranks(assessments)
    reference = assessments[chosen].criterion
    rows = []
    for i, (a, rank, reason) in enumerate(zip(assessments, ranks, reasons, strict=True)):
        result = a.result
        rows.append(
            {
                "circuit": a.candidate.circuit,
                "arcs": a.candidate.arcs,
                "tail": a.candidate.tail,
                "inductance": a.candidate.inductance,
                "k": a.k if result is not None else np.nan,
                "chisqr": result.chisqr if result is not None else np.nan,
                "bic": a.criterion if result is not None else np.nan,
                "delta_bic": a.criterion - reference if result is not None else np.nan,
                "ok": a.ok,
                "describes_data": a.describes,
                "determined": a.determined,
                "rank": rank,
                "chosen": i == chosen,
                "start": "previous spectrum" if a.candidate in warm else "data",
                "reason": reason,
                "problems": PROBLEM_SEPARATOR.join(result.problems) if result else a.error,
            }
        )
    return pd.DataFrame(rows, columns=list(CANDIDATE_COLUMNS))


# ---------------------------------------------------------------------------------------
# the search


class _Search:
    """Fits candidates with their DRT start and remembers them; a candidate is fitted again
    from another start (a neighbour's optimum) when that start is already better than the
    fit it has."""

    def __init__(
        self, freq: np.ndarray, z: np.ndarray, evidence: Evidence, options: Mapping[str, Any]
    ):
        from .weighting import weights

        self.freq, self.z, self.evidence, self.options = freq, z, evidence, dict(options)
        self.sigma = weights(z, self.options.get("weighting", "modulus"))
        self.tried: dict[Candidate, Assessment] = {}
        #: Candidates whose fit is the one refined from the previous spectrum's values.
        self.warm: set[Candidate] = set()

    def _fit(self, candidate: Candidate, start: Mapping[str, float]) -> Assessment:
        try:
            result = fit_circuit(
                self.freq, self.z, candidate.circuit, initial=dict(start) or None, **self.options
            )
        except EchemError as error:
            return assess(candidate, None, str(error))
        return assess(candidate, result)

    def _cost(self, candidate: Candidate, start: Mapping[str, float]) -> float:
        """χ² of the candidate at ``start`` (inf when it does not give every parameter)."""
        from .circuit import Circuit

        circuit = Circuit(candidate.circuit)
        if set(circuit.param_names) - set(start):
            return math.inf
        with np.errstate(all="ignore"):
            d = circuit.impedance(self.freq, dict(start)) - self.z
        cost = float(np.sum((d.real / self.sigma[0]) ** 2 + (d.imag / self.sigma[1]) ** 2))
        return cost if np.isfinite(cost) else math.inf

    def fit(
        self, candidate: Candidate, start: Mapping[str, float] | None = None, warm: bool = False
    ) -> Assessment:
        """The candidate's assessment: fitted from its DRT start the first time, and again
        from ``start`` when ``start`` is better than the fit so far (``warm``: ``start`` is
        the previous spectrum's optimum; :attr:`warm` remembers where it won)."""
        known = self.tried.get(candidate)
        if known is None:
            known = self._fit(candidate, drt_start(candidate, self.evidence, self.freq, self.z))
            self.tried[candidate] = known
        if start:
            so_far = known.result.chisqr if known.result is not None else math.inf
            if self._cost(candidate, start) < so_far * (1 - 1e-6):
                again = self._fit(candidate, start)
                if again.result is not None and again.result.chisqr < so_far:
                    self.tried[candidate] = known = again
                    (self.warm.add if warm else self.warm.discard)(candidate)
        return known

    def best(self, among: Callable[[Candidate], bool] = lambda c: True) -> Candidate | None:
        """The candidate :func:`choose` picks among those tried that ``among`` accepts."""
        items = [a for c, a in self.tried.items() if among(c)]
        if not items or all(a.result is None for a in items):
            return None
        return items[choose(items)[0]].candidate

    def leaders(self) -> list[tuple[Candidate, bool]]:
        """Where to look next: (candidate, whether to try its other tails there).

        The best candidate so far (:func:`choose`); the one with the lowest BIC whatever its
        verdict (the best description of the data, which bigger structures are found from)
        while the best is not ok or has a BIC more than :data:`KEEP_MARGIN` higher (both with
        their other tails); and where the end is open the best with a tail.
        """
        fitted = [(c, a) for c, a in self.tried.items() if a.result is not None]
        if not fitted:
            return []
        best = self.best()
        out = [(best, True)]
        lowest = min(fitted, key=lambda item: (item[1].criterion, item[1].k, item[0].circuit))
        if best is None or not (
            self.tried[best].ok and lowest[1].criterion >= self.tried[best].criterion - KEEP_MARGIN
        ):  # nothing ok yet, or far lower BIC: structure the best misses; looked at first
            out.insert(0, (lowest[0], True))
        if self.evidence.open_end:
            out.append((self.best(lambda c: bool(c.tail)), False))
        return [(c, tails) for c, tails in out if c is not None]


def inductance_score(result: FitResult) -> float:
    """Rao's score statistic for adding a series inductance L >= 0 to a fit without one.

    With r the weighted residuals of the fit, J their Jacobian in its free parameters and g
    the derivative of the weighted model with respect to L at L = 0 (jω on the imaginary rows),
    the statistic is (g⊥ᵀ r)² / (s² g⊥ᵀ g⊥), g⊥ being g with its projection on J's columns
    removed and s² = χ²/(2N − k): the first-order drop of χ²/s² that an inductance would
    bring, χ²₁ when there is none (C. R. Rao, Proc. Cambridge Philos. Soc. 44 (1948) 50;
    one-sided, 0 where the data ask for a negative L). It costs k + 1 model evaluations
    instead of a fit.
    """
    from .weighting import weights

    circuit, freq, z = result.circuit, result.freq_Hz, result.z
    sigma_re, sigma_im = weights(z, result.weighting)
    names = list(circuit.param_names)
    p = np.array([result.values[n] for n in names], dtype=float)
    model = circuit.impedance(freq, p)

    def weighted(dz: np.ndarray) -> np.ndarray:
        return np.concatenate([dz.real / sigma_re, dz.imag / sigma_im])

    residual = weighted(z - model)
    columns = []
    for i, name in enumerate(names):
        if name in result.fixed:
            continue
        step = 1e-6 * (abs(p[i]) or 1.0)
        moved = p.copy()
        moved[i] += step
        columns.append(weighted((circuit.impedance(freq, moved) - model) / step))
    g = weighted(1j * 2 * np.pi * freq)
    if columns:
        jac = np.array(columns).T
        norms = np.linalg.norm(jac, axis=0)
        jac = jac[:, norms > 0] / norms[norms > 0]
        g = g - jac @ np.linalg.lstsq(jac, g, rcond=None)[0]
    numerator = float(g @ residual)
    scale = result.chisqr / max(residual.size - len(columns), 1)
    if numerator <= 0 or not scale > 0 or not float(g @ g) > 0:
        return 0.0
    return numerator**2 / (scale * float(g @ g))


def _inherit(
    parent: Candidate,
    values: Mapping[str, float],
    child: Candidate,
    drop: int | None,
    search: _Search,
) -> dict[str, float]:
    """A start for ``child`` from the optimum ``values`` of ``parent``: its arcs (without arc
    number ``drop``), R0, L0 and tail where the child has them (a new tail or inductance from
    the DRT start). Empty when the arcs do not match."""
    arcs = [i for i in range(1, parent.arcs + 1) if i != drop]
    if len(arcs) != child.arcs:
        return {}
    fresh = drt_start(child, search.evidence, search.freq, search.z)
    out = {"R0": values["R0"]}
    if child.inductance:
        out["L0"] = values.get("L0", fresh.get("L0", 0.0))
    for new, old in enumerate(arcs, start=1):
        for symbol in ("R{}", "CPE{}_Q", "CPE{}_n"):
            out[symbol.format(new)] = values[symbol.format(old)]
    if child.tail:
        name = TAILS[child.tail].element(child.arcs)
        if child.tail == parent.tail:
            old = TAILS[parent.tail].element(parent.arcs)
            out |= {
                key.replace(old, name, 1): v for key, v in values.items() if key.startswith(old)
            }
        else:
            out |= {key: v for key, v in fresh.items() if key.startswith(name)}
    return out


def _visit(
    search: _Search,
    arcs: int,
    tail: str,
    start: Mapping[str, float] | None = None,
    inductance: bool | None = None,
) -> None:
    """Fit ``arcs`` arcs with ``tail``; ``start``: a neighbour's optimum, tried where it beats
    the DRT start. With ``inductance`` None: with an inductance once the best candidate has
    one (and without too where it is not determined there), else without, and with one too
    where the score test of that fit calls for it (:func:`inductance_score`,
    :data:`SCORE_LIMIT`)."""
    start = dict(start or {})
    with_l = start if "L0" in start else None
    without_l = {k: v for k, v in start.items() if k != "L0"}
    if inductance is not None:
        search.fit(Candidate(arcs, tail, inductance), with_l if inductance else without_l)
        return
    best = search.best()
    if best is not None and best.inductance:
        found = search.fit(Candidate(arcs, tail, True), with_l)
        if found.result is not None and found.result.determined.get("L0", False):
            return
    plain = search.fit(Candidate(arcs, tail, False), without_l)
    if plain.result is None or inductance_score(plain.result) > SCORE_LIMIT:
        search.fit(Candidate(arcs, tail, True), with_l)


def _arc_verdicts(result: FitResult) -> list[tuple[bool, str]]:
    """Per arc (circuit order): (all its parameters determined, its position against the band)."""
    from .verdict import arc_position

    names = result.circuit.param_names
    out = []
    for arc, f0 in zip(result.circuit.structure.arcs, _arc_apexes(result), strict=True):
        n = 1.0 if arc.exponent is None else result.values[names[arc.exponent]]
        determined = all(result.determined.get(names[i], False) for i in arc.slots)
        out.append((determined, arc_position(f0, n, result.freq_Hz)))
    return out


def _moves(
    search: _Search, candidate: Candidate, other_tails: bool
) -> list[tuple[int, str, dict[str, float], bool | None]]:
    """(arcs, tail, start, inductance) next to a candidate, in the order they are fitted (the
    likeliest first, before :data:`MAX_FITS` runs out): one arc fewer (the arc left out of the
    start: :func:`_weakest_arc`); an arc below the band replaced by each tail, the kind its
    position calls for first (:func:`_tail_order`); one arc more; its other tails (where asked
    and the end is open, or an arc sits below the band), and one arc fewer for those of them
    that describe the data; without its inductance where that is not determined.
    ``inductance`` None: as :func:`_visit` decides."""
    result = search.tried[candidate].result
    if result is None:
        return []
    verdicts = _arc_verdicts(result)
    below = [(i, where) for i, (_, where) in enumerate(verdicts, start=1) if where in BELOW_BAND]
    tails = _tail_order(search.evidence)

    def child(
        parent: Candidate,
        arcs: int,
        tail: str,
        gone: int | None,
        inductance: bool | None = None,
    ) -> tuple[int, str, dict[str, float], bool | None]:
        kid = Candidate(arcs, tail, parent.inductance if inductance is None else inductance)
        values = search.tried[parent].result.values
        return arcs, tail, _inherit(parent, values, kid, gone, search), inductance

    moves = [child(candidate, candidate.arcs - 1, candidate.tail, _weakest_arc(result))]
    for gone, where in below:  # an arc below the band: the tail its position calls for first
        order = _tail_order(search.evidence, where)
        moves += [child(candidate, candidate.arcs - 1, tail, gone) for tail in order]
    moves.append((candidate.arcs + 1, candidate.tail, {}, None))
    if other_tails and (search.evidence.open_end or below):
        moves += [child(candidate, candidate.arcs, tail, None) for tail in ("", *tails)]
        for tail in tails:  # a sibling with another tail that describes the data, one arc fewer
            sibling = Candidate(candidate.arcs, tail, candidate.inductance)
            known = search.tried.get(sibling)
            if tail != candidate.tail and known is not None and known.describes:
                moves.append(child(sibling, sibling.arcs - 1, tail, _weakest_arc(known.result)))
    if candidate.inductance and not result.determined.get("L0", False):
        moves.append(child(candidate, candidate.arcs, candidate.tail, None, False))
    return [move for move in moves if 0 <= move[0] <= MAX_ARCS]


def _tail_order(evidence: Evidence, kind: str = "") -> tuple[str, ...]:
    """The keys of :data:`TAILS`, those of ``kind`` first (default: the kind the slope of −Z''
    at the lowest frequencies suggests, blocking below :data:`_BLOCKING_SLOPE`), so that the
    likeliest tail is fitted before :data:`MAX_FITS` runs out."""
    if not kind:
        blocking = np.isfinite(evidence.lf_slope) and evidence.lf_slope < _BLOCKING_SLOPE
        kind = "blocking" if blocking else "diffusion"
    return tuple(sorted(TAILS, key=lambda key: TAILS[key].kind != kind))


def _weakest_arc(result: FitResult) -> int | None:
    """The arc (number, from 1) to leave out of one arc fewer: the first undetermined one,
    else the one with the smallest R (None without an arc)."""
    loose = [i for i, (ok, _) in enumerate(_arc_verdicts(result), start=1) if not ok]
    arcs = len(result.circuit.structure.arcs)
    if not arcs:
        return None
    return (loose or [min(range(1, arcs + 1), key=lambda i: result.values[f"R{i}"])])[0]


#: Positions of an arc's apex (:func:`echem.eis.verdict.arc_position`) that make it a tail.
BELOW_BAND: tuple[str, ...] = ("blocking", "diffusion")


def _search(search: _Search, previous: tuple[Candidate, Mapping[str, float]] | None) -> None:
    """Fit the candidates the evidence calls for, then the neighbours of the leaders
    (:meth:`_Search.leaders`, :func:`_moves`) until every leader's have been tried, at most
    :data:`MAX_FITS` candidates (module docstring)."""
    evidence = search.evidence
    k0 = min(evidence.arcs, MAX_ARCS)
    tails = ("", *_tail_order(evidence)) if evidence.open_end else ("",)
    for tail in tails:
        _visit(search, k0, tail)
    while k0 > 0 and all(a.result is None for a in search.tried.values()):
        k0 -= 1  # none could be fitted (too few points for their parameters): fewer arcs
        for tail in tails:
            _visit(search, k0, tail)
    if previous is not None:
        search.fit(*previous, warm=True)
    expanded: set[tuple[Candidate, bool]] = set()
    while len(search.tried) < MAX_FITS:
        leaders = [leader for leader in search.leaders() if leader not in expanded]
        if not leaders:
            break
        for leader in leaders:
            expanded.add(leader)
            for arcs, tail, start, inductance in _moves(search, *leader):
                if len(search.tried) < MAX_FITS:
                    _visit(search, arcs, tail, start, inductance)
    best = search.best()
    if best is not None and best.inductance:  # the same without it, to show L is needed
        search.fit(Candidate(best.arcs, best.tail, False))


def _candidate_of(result: FitResult | None) -> Candidate | None:
    """The candidate an automatic choice made for ``result`` (None if it was not one)."""
    table = getattr(result, "candidates", None)
    if table is None or not len(table) or not table["chosen"].any():
        return None
    row = table[table["chosen"]].iloc[0]
    tail = "" if pd.isna(row["tail"]) else str(row["tail"])
    return Candidate(int(row["arcs"]), tail, bool(row["inductance"]))


def fit_auto(
    freq_Hz: Any,
    z: Any,
    *,
    time_s: float | None = None,
    initial: Mapping[str, float] | None = None,
    fixed: Any = None,
    bounds: Any = None,
    weighting: str = "modulus",
    f_range: tuple[float | None, float | None] | None = None,
    previous: FitResult | None = None,
    **options: Any,
) -> FitResult:
    """Fit the candidate circuits of a spectrum and return the chosen fit (module docstring).

    Called by ``echem.eis.fit(spectrum, "auto")``; the arguments are those of
    :func:`echem.eis.fit`.

    Parameters
    ----------
    freq_Hz, z
        Frequencies (Hz) and complex impedance (Ω).
    time_s
        Time of the spectrum, kept on the result.
    initial, fixed, bounds
        Not allowed: they name parameters of a circuit that is not chosen yet.
    weighting, f_range, **options
        As for :func:`echem.eis.fit`, for every candidate.
    previous
        The previous spectrum's automatic fit in a series: its circuit is tried with its
        values as a start, and kept while ok and within :data:`KEEP_MARGIN` of the best.

    Returns
    -------
    FitResult
        The chosen fit, with ``candidates`` (a DataFrame of every candidate tried:
        :data:`CANDIDATE_COLUMNS`, ``reason`` saying why it was or was not chosen) and
        ``choice`` (the choice in a sentence).
    """
    for name, given in (("initial", initial), ("fixed", fixed), ("bounds", bounds)):
        if given:
            raise FitError(
                f'{name}= names parameters of a circuit, and "auto" has not chosen one yet: '
                "give the circuit, or leave out " + name
            )
    freq, zz = prepare_data(freq_Hz, z, f_range)
    evidence = read_evidence(freq, zz, weighting)
    before = _candidate_of(previous)
    warm = (before, previous.values) if before is not None and previous is not None else None
    search = _Search(freq, zz, evidence, {"weighting": weighting, **options})
    _search(search, warm)
    assessments = list(search.tried.values())
    chosen, reasons, sentence = choose(assessments, before.circuit if before else None)
    result = assessments[chosen].result
    assert result is not None  # choose() refuses failed fits
    result.time_s = time_s
    result.candidates = _table(assessments, chosen, reasons, search.warm)
    said = evidence.sentence()
    result.choice = f"{sentence}. {said[0].upper()}{said[1:]}."
    return result


# ---------------------------------------------------------------------------------------
# series


def series_step(
    frame: pd.DataFrame, previous: FitResult | None, fit_options: Mapping[str, Any]
) -> tuple[FitResult, str]:
    """The automatic fit of one spectrum of a series (:func:`echem.eis.fit_series`).

    Returns
    -------
    (FitResult, start)
        ``start`` is ``"warm"`` when the chosen fit is the refinement from the previous
        spectrum's values (the previous circuit kept, and that start ending lower than the
        data-driven one: the ``start`` column of ``result.candidates``), else ``"auto"``.
        Whether the circuit was kept is ``circuit_event`` (:func:`series_events`).
    """
    freq, z, time_s = spectrum_of_frame(frame)
    result = fit_auto(freq, z, time_s=time_s, previous=previous, **fit_options)
    table = result.candidates
    from_previous = bool((table["chosen"] & (table["start"] == "previous spectrum")).any())
    return result, "warm" if from_previous else "auto"


def _arc_apexes(result: FitResult) -> list[float]:
    """Apex frequencies (Hz) of the arcs of a fit."""
    names = result.circuit.param_names
    out = []
    for arc in result.circuit.structure.arcs:
        n = 1.0 if arc.exponent is None else result.values[names[arc.exponent]]
        q = result.values[names[arc.capacitance]]
        out.append(float(apex_frequency(result.values[arc.resistor], q, n)))
    return out


def _odd_ones(apexes: Sequence[float], others: Sequence[float], count: int) -> list[float]:
    """The ``count`` apexes of ``apexes`` farthest (in decades) from every apex of ``others``,
    by decreasing frequency (NaN for each that cannot be told: an apex not finite)."""

    def distance(f: float) -> float:
        return min((abs(math.log10(f / g)) for g in others if g > 0), default=math.inf)

    usable = [f for f in apexes if np.isfinite(f) and f > 0]
    farthest = sorted(usable, key=distance, reverse=True)[:count]
    return sorted(farthest, reverse=True) + [math.nan] * (count - len(farthest))


def _arcs_changed(old: Sequence[float], new: Sequence[float]) -> str:
    """Arcs appearing or vanishing between two fits, in words ("" when as many)."""
    change = len(new) - len(old)
    if not change:
        return ""
    counts = f"{len(old)} -> {len(new)} arcs"
    apexes = _odd_ones(new, old, change) if change > 0 else _odd_ones(old, new, -change)
    where = ", ".join(f"{f:.3g} Hz" for f in apexes)
    if change == 1:
        return f"an arc appeared ({counts}, new apex {where})"
    if change > 1:
        return f"{change} arcs appeared ({counts}, new apexes {where})"
    if change == -1:
        return f"an arc vanished ({counts}, it had its apex at {where})"
    return f"{-change} arcs vanished ({counts}, they had their apexes at {where})"


def series_events(results: Sequence[FitResult | None]) -> list[str]:
    """A sentence per spectrum where the chosen circuit changed from the previous fitted one
    ("" elsewhere): arcs appearing or vanishing (with the apexes of the arcs concerned), a tail
    or an inductance appearing or vanishing."""
    events = []
    before: FitResult | None = None
    for result in results:
        if result is None:
            events.append("")
            continue
        if before is None or str(before.circuit) == str(result.circuit):
            events.append("")
            before = result
            continue
        arcs = _arcs_changed(_arc_apexes(before), _arc_apexes(result))
        parts = [arcs] if arcs else []
        was, now = _candidate_of(before), _candidate_of(result)
        if was is not None and now is not None:
            if was.tail_kind != now.tail_kind:
                parts.append(
                    f"the low-frequency tail changed ({was.tail_kind or 'none'} -> "
                    f"{now.tail_kind or 'none'})"
                )
            if was.inductance != now.inductance:
                parts.append("an inductance " + ("appeared" if now.inductance else "vanished"))
        parts = parts or ["the circuit changed"]
        events.append(f"{'; '.join(parts)}: {before.circuit} -> {result.circuit}")
        before = result
    return events


def annotate_series(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``circuit``, ``arcs`` and ``circuit_event`` (:func:`series_events`) to the table
    of an automatic :func:`echem.eis.fit_series`, before its ``error`` column; in place."""
    results = [r if isinstance(r, FitResult) else None for r in table["result"]]
    position = (
        list(table.columns).index("error") if "error" in table.columns else len(table.columns)
    )
    columns = {
        "circuit": [str(r.circuit) if r is not None else None for r in results],
        "arcs": [len(r.circuit.structure.arcs) if r is not None else np.nan for r in results],
        "circuit_event": series_events(results),
    }
    for offset, (name, values) in enumerate(columns.items()):
        table.insert(position + offset, name, values)
    return table
