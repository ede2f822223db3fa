"""Initial parameter values for an equivalent circuit, read off the spectrum itself.

The spectrum is first decomposed into a *distribution of relaxation times* (DRT): a
non-negative, lightly regularised least-squares fit of

.. math:: Z(\\omega) \\approx R_\\infty + j\\omega L + \\frac{1}{j\\omega C_s}
          + \\sum_k \\frac{R_k}{1 + j\\omega\\tau_k}

on a fixed grid of time constants :math:`\\tau_k` (the Lin-KK / DRT basis of Schönleber et
al., Electrochim. Acta 2014, 131, 20; Wan et al., Electrochim. Acta 2015, 184, 483), each
residual divided by :math:`|Z|`. Peaks of :math:`R_k` versus :math:`\\log\\tau` are the arcs:
their area is the arc resistance, their centre the time constant
:math:`\\tau_0 = 1/(2\\pi f_0)` (the apex of :math:`-Z''` versus :math:`\\log f`), their width
the CPE exponent. :math:`R_\\infty` is the high-frequency intercept and :math:`C_s` the
low-frequency capacitive tail.

The arcs are matched to the circuit's parallel blocks in order of appearance, highest
frequency first, and the remaining elements get values from the intercept and the tail.
:func:`candidate_starts` builds a handful of alternative assignments (other peak choices,
split or merged arcs, other exponents, permutations) for the multi-start stage of
:func:`echem.eis.fit`; :func:`arc_moves` and :func:`refit_amplitudes` build structural
neighbours of an optimum (an arc relocated or split, amplitudes re-balanced).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import nnls
from scipy.signal import find_peaks

from .circuit import Circuit, ElementNode, Series
from .elements import ElementKind, Quantity

__all__ = [
    "Arc",
    "Relaxation",
    "relaxation_spectrum",
    "find_arcs",
    "initial_guess",
    "candidate_starts",
    "order_arcs",
    "like_block_permutations",
    "arc_moves",
    "refit_amplitudes",
]

#: CPE exponents tried for every arc in the multi-start stage.
_EXPONENTS = (0.9, 0.75)


@dataclass(frozen=True)
class Arc:
    """One relaxation seen in the data.

    Attributes
    ----------
    R_ohm
        Arc resistance (diameter on the real axis), Ω.
    tau_s
        Time constant at the apex, s (:math:`f_0 = 1/(2\\pi\\tau)`).
    n
        CPE exponent estimated from the width of the peak (1 = ideal capacitor).
    """

    R_ohm: float
    tau_s: float
    n: float

    @property
    def f0_Hz(self) -> float:
        """Apex frequency, Hz."""
        return 1.0 / (2.0 * np.pi * self.tau_s)


@dataclass(frozen=True)
class Relaxation:
    """Result of :func:`relaxation_spectrum`: the DRT and the series terms, in Ω, H and F."""

    tau_s: np.ndarray
    R_ohm: np.ndarray
    R_inf_ohm: float
    L_H: float
    C_series_F: float  # inf when there is no capacitive tail


def _sorted(freq_Hz: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(freq_Hz)[::-1]
    return np.asarray(freq_Hz, float)[order], np.asarray(z, complex)[order]


def relaxation_spectrum(
    freq_Hz: np.ndarray,
    z: np.ndarray,
    *,
    per_decade: int = 6,
    extend_decades: float = 1.0,
    regularisation: float = 1e-2,
) -> Relaxation:
    r"""Non-negative distribution of relaxation times of a spectrum.

    Parameters
    ----------
    freq_Hz, z
        Frequencies (Hz) and complex impedance (Ω, Z'' negative on capacitive arcs).
    per_decade
        Grid density of the time constants.
    extend_decades
        How far the τ grid extends beyond :math:`1/(2\\pi f)` of the data on each side.
    regularisation
        Weight λ of the smoothness penalty :math:`\lambda\sum_k (R_{k-1} - 2R_k + R_{k+1})^2`
        (second differences, in units of max |Z|; the residuals are divided by |Z|), which
        keeps one broad arc from splitting into several spikes.
    """
    f, zz = _sorted(freq_Hz, z)
    omega = 2 * np.pi * f
    lo = np.log10(1 / (2 * np.pi * f[0])) - extend_decades
    hi = np.log10(1 / (2 * np.pi * f[-1])) + extend_decades
    tau = np.logspace(lo, hi, max(int(round((hi - lo) * per_decade)) + 1, 3))
    w = 1.0 / np.abs(zz)
    scale = float(np.max(np.abs(zz)))
    basis = [np.ones_like(zz)]  # R_inf
    basis += list(1.0 / (1.0 + 1j * omega[None, :] * tau[:, None]))
    basis.append(1j * omega / omega[0])  # L, scaled so that its column is O(1)
    basis.append(-1j * omega[-1] / omega)  # 1/C_s, scaled likewise
    cols = np.array(basis).T * scale  # (F, M)
    a = np.vstack([(cols.real * w[:, None]), (cols.imag * w[:, None])])
    b = np.concatenate([zz.real * w, zz.imag * w])
    m, nt = a.shape[1], len(tau)
    smooth = np.zeros((nt - 2, m))
    rows = np.arange(nt - 2)
    for shift, weight in enumerate((1.0, -2.0, 1.0)):
        smooth[rows, 1 + rows + shift] = weight * np.sqrt(regularisation)
    coef, _ = nnls(np.vstack([a, smooth]), np.concatenate([b, np.zeros(nt - 2)]), maxiter=50 * m)
    coef = coef * scale
    inv_c = coef[-1] * omega[-1]
    return Relaxation(
        tau_s=tau,
        R_ohm=coef[1 : 1 + len(tau)],
        R_inf_ohm=float(coef[0]),
        L_H=float(coef[-2] / omega[0]),
        C_series_F=float(1.0 / inv_c) if inv_c > 0 else float("inf"),
    )


def _exponent_from_width(sigma_ln: float) -> float:
    """CPE exponent of a ZARC whose DRT has standard deviation ``sigma_ln`` in ln τ.

    For the Cole-Cole distribution the variance of ln τ is :math:`\\pi^2 (1/n^2 - 1)/3`;
    the small width added by the regularisation is ignored (clipped to [0.5, 1]).
    """
    n = 1.0 / np.sqrt(1.0 + 3.0 * sigma_ln**2 / np.pi**2)
    return float(np.clip(n, 0.5, 1.0))


def find_arcs(
    freq_Hz: np.ndarray,
    z: np.ndarray,
    *,
    min_share: float = 0.005,
    drt: Relaxation | None = None,
    merge_valley: float | None = None,
) -> list[Arc]:
    """Arcs of a spectrum, highest frequency first, from the peaks of its DRT.

    Parameters
    ----------
    freq_Hz, z
        Frequencies (Hz) and complex impedance (Ω).
    min_share
        Peaks holding less than this share of the total arc resistance are dropped.
    drt
        The spectrum's :func:`relaxation_spectrum`, when already computed.
    merge_valley
        Merge neighbouring peaks when the minimum between them is at least this share of the
        lower peak (a broad, low-n arc rippling into several peaks); None: never.
    """
    drt = relaxation_spectrum(freq_Hz, z) if drt is None else drt
    g = drt.R_ohm
    total = g.sum()
    if total <= 0:
        return []
    padded = np.concatenate([[0.0], g, [0.0]])
    peaks, _ = find_peaks(padded, prominence=min_share * total)
    peaks = peaks - 1
    if len(peaks) == 0:
        return []
    # Split the grid at the minima between neighbouring peaks (unless the valley is shallow).
    bounds = [0]
    kept = [peaks[0]]
    for b in peaks[1:]:
        a = kept[-1]
        valley = a + int(np.argmin(g[a : b + 1]))
        if merge_valley is not None and g[valley] >= merge_valley * min(g[a], g[b]):
            if g[b] > g[a]:
                kept[-1] = b
            continue
        bounds.append(valley)
        kept.append(b)
    peaks = np.array(kept)
    bounds.append(len(g))
    ln_tau = np.log(drt.tau_s)
    arcs = []
    for i in range(len(peaks)):
        sl = slice(bounds[i], bounds[i + 1] + (1 if i == len(peaks) - 1 else 0))
        gi, li = g[sl], ln_tau[sl]
        r = gi.sum()
        if r < min_share * total:
            continue
        mean = float(np.sum(gi * li) / r)
        sigma = float(np.sqrt(np.sum(gi * (li - mean) ** 2) / r))
        arcs.append(Arc(R_ohm=float(r), tau_s=float(np.exp(mean)), n=_exponent_from_width(sigma)))
    return sorted(arcs, key=lambda a: a.tau_s)


# ---------------------------------------------------------------------------------------
# Matching features to the circuit's elements


@dataclass(frozen=True)
class _Features:
    r_inf: float
    l_h: float
    c_series: float
    z_scale: float  # max |Z|
    tail_ohm: float  # low-frequency resistance not explained by R_inf + arcs
    tau_min: float  # 1/(2π f_max)
    tau_max: float  # 1/(2π f_min)
    omega_min: float
    z_lowest: complex


def _features(freq_Hz: np.ndarray, z: np.ndarray, arcs: list[Arc], drt: Relaxation) -> _Features:
    f, zz = _sorted(freq_Hz, z)
    tail = float(zz[-1].real) - drt.R_inf_ohm - sum(a.R_ohm for a in arcs)
    return _Features(
        r_inf=max(drt.R_inf_ohm, 1e-3 * float(np.min(np.abs(zz)))),
        l_h=drt.L_H,
        c_series=drt.C_series_F,
        z_scale=float(np.max(np.abs(zz))),
        tail_ohm=max(tail, 0.05 * float(np.abs(zz[-1]))),
        tau_min=1 / (2 * np.pi * f[0]),
        tau_max=1 / (2 * np.pi * f[-1]),
        omega_min=2 * np.pi * f[-1],
        z_lowest=complex(zz[-1]),
    )


def _elements(node) -> list[ElementNode]:
    if isinstance(node, ElementNode):
        return [node]
    return [e for child in node.children for e in _elements(child)]


class _Assigner:
    """Writes values into a parameter vector by element and by what a parameter measures."""

    def __init__(self, circuit: Circuit):
        self.values = np.array([p.default for p in circuit.parameters], dtype=float)
        self.params = circuit.parameters
        self.slots: dict[str, list[int]] = {}
        for i, p in enumerate(circuit.parameters):
            self.slots.setdefault(p.element, []).append(i)

    def kind(self, element: ElementNode) -> ElementKind:
        return self.params[self.slots[element.name][0]].kind

    def set(self, element: ElementNode, quantity: Quantity, value: float) -> None:
        """Set the parameter of ``element`` measuring ``quantity`` (if it has one)."""
        for i in self.slots[element.name]:
            p = self.params[i]
            if p.quantity is quantity and math.isfinite(value):
                self.values[i] = min(max(float(value), p.lower), p.upper)


def _set_capacitive(
    assign: _Assigner, e: ElementNode, r_ohm: float, tau_s: float, n: float
) -> None:
    """Q = τ^n/R and n (a C: C = τ/R, n = 1) of a capacitive element in parallel with R."""
    has_exponent = any(assign.params[i].quantity is Quantity.EXPONENT for i in assign.slots[e.name])
    n = n if has_exponent else 1.0
    assign.set(e, Quantity.CAPACITANCE, tau_s**n / r_ohm)
    assign.set(e, Quantity.EXPONENT, n)


def _set_tail(assign: _Assigner, e: ElementNode, feats: _Features) -> None:
    """A diffusive element: the low-frequency tail's resistance, time constant, coefficient."""
    # Warburg Z = A (1 - j)/sqrt(ω): A from the low-frequency imaginary part
    coefficient = max(abs(feats.z_lowest.imag), 1e-3 * feats.z_scale) * np.sqrt(feats.omega_min)
    assign.set(e, Quantity.WARBURG, coefficient)
    assign.set(e, Quantity.RESISTANCE, feats.tail_ohm)
    assign.set(e, Quantity.TIME_CONSTANT, feats.tau_max)


def _set_inductance(assign: _Assigner, e: ElementNode, feats: _Features) -> None:
    l_h = feats.l_h if feats.l_h > 0 else 1e-3 * feats.r_inf * feats.tau_min
    assign.set(e, Quantity.INDUCTANCE, l_h)
    assign.set(e, Quantity.EXPONENT, 1.0)


def _set_series_capacitance(assign: _Assigner, e: ElementNode, feats: _Features) -> None:
    """A capacitive element in series: the blocking low-frequency tail."""
    c = feats.c_series if np.isfinite(feats.c_series) else 10 * feats.tau_max / feats.z_scale
    assign.set(e, Quantity.CAPACITANCE, c)
    assign.set(e, Quantity.EXPONENT, 0.9)


def _set_arc(assign: _Assigner, block, arc: Arc, feats: _Features, n: float) -> None:
    """Values for the elements of a parallel block representing ``arc``."""
    elements = _elements(block)
    resistors = [e for e in elements if assign.kind(e) is ElementKind.RESISTIVE]
    for k, e in enumerate(resistors):
        assign.set(e, Quantity.RESISTANCE, arc.R_ohm if k == 0 else 0.1 * arc.R_ohm)
    for e in elements:
        kind = assign.kind(e)
        if kind is ElementKind.CAPACITIVE:
            _set_capacitive(assign, e, arc.R_ohm, arc.tau_s, n)
        elif kind is ElementKind.DIFFUSIVE:
            _set_tail(assign, e, feats)
        elif kind is ElementKind.INDUCTIVE:
            _set_inductance(assign, e, feats)


#: How a top-level element (in series with everything) gets its start, by kind.
_SERIES_SETTERS = {
    ElementKind.INDUCTIVE: _set_inductance,
    ElementKind.CAPACITIVE: _set_series_capacitance,
    ElementKind.DIFFUSIVE: _set_tail,
}


def _assign(
    circuit: Circuit, feats: _Features, arcs: list[Arc], exponents: list[float]
) -> np.ndarray:
    assign = _Assigner(circuit)
    structure = circuit.structure
    for name in structure.series_resistors:
        node = next(e for e in circuit.elements if e.name == name)
        assign.set(node, Quantity.RESISTANCE, feats.r_inf / len(structure.series_resistors))
    for node in structure.top:
        if isinstance(node, ElementNode):
            setter = _SERIES_SETTERS.get(assign.kind(node))
            if setter is not None:
                setter(assign, node, feats)
        elif isinstance(node, Series):  # nested series: its resistances like top-level ones
            for e in _elements(node):
                if assign.kind(e) is ElementKind.RESISTIVE:
                    assign.set(e, Quantity.RESISTANCE, feats.r_inf)
    for block, arc, n in zip(structure.blocks, arcs, exponents, strict=False):
        _set_arc(assign, block, arc, feats, n)
    return assign.values


def _assign_rc(
    base: np.ndarray,
    rc_slots: list[list[int]],
    arcs: list[Arc],
    exponents: list[float],
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray:
    """:func:`_assign` for circuits whose arc blocks are all p(R,C)/p(R,CPE): same values."""
    values = base.copy()
    for slots, arc, n in zip(rc_slots, arcs, exponents, strict=False):
        if len(slots) == 3:
            new = ((slots[0], arc.R_ohm), (slots[1], arc.tau_s**n / arc.R_ohm), (slots[2], n))
        else:
            new = ((slots[0], arc.R_ohm), (slots[1], arc.tau_s / arc.R_ohm))
        for i, v in new:
            if math.isfinite(v):
                values[i] = min(max(float(v), lower[i]), upper[i])
    return values


def _arc_sets(arcs: list[Arc], k: int, feats: _Features) -> list[list[Arc]]:
    """Several ways of choosing ``k`` arcs from the detected ones, each sorted by τ."""
    if k == 0:
        return [[]]
    total = sum(a.R_ohm for a in arcs) or feats.z_scale
    sets: list[list[Arc]] = []
    if len(arcs) >= k:
        for combo in itertools.combinations(range(len(arcs)), k):
            chosen = [arcs[i] for i in combo]
            # the resistance of dropped peaks goes to the nearest chosen arc (in ln τ)
            r = [a.R_ohm for a in chosen]
            for j, a in enumerate(arcs):
                if j not in combo:
                    near = int(np.argmin([abs(np.log(a.tau_s / c.tau_s)) for c in chosen]))
                    r[near] += a.R_ohm
            sets.append([Arc(ri, c.tau_s, c.n) for ri, c in zip(r, chosen, strict=True)])
        sets.sort(key=lambda s: -min(a.R_ohm for a in s))
        sets = sets[:6]
    # an arc hidden under a bigger one shows no peak: scan one small arc over the spectrum
    strongest = sorted(arcs, key=lambda a: -a.R_ohm)[: k - 1]
    if len(strongest) == k - 1:
        for t in np.geomspace(feats.tau_min, feats.tau_max, 9):
            for share in (0.01, 0.1):
                scan = strongest + [Arc(share * total, float(t), 0.9)]
                sets.append(sorted(scan, key=lambda a: a.tau_s))
    # ... or two hidden arcs (three or more blocks): scan pairs on a coarser grid
    strongest2 = sorted(arcs, key=lambda a: -a.R_ohm)[: k - 2] if k >= 3 else []
    if k >= 3 and len(strongest2) == k - 2:
        grid = np.geomspace(feats.tau_min, feats.tau_max, 7)
        for t1, t2 in itertools.combinations(grid, 2):
            pair = [Arc(0.02 * total, float(t1), 0.9), Arc(0.02 * total, float(t2), 0.9)]
            sets.append(sorted(strongest2 + pair, key=lambda a: a.tau_s))
    if len(strongest) == k - 1:
        # two overlapping arcs can look like one: split each of the strongest in two
        for a in strongest[:2]:
            others = [b for b in strongest if b is not a]
            for factor in (3.0, 10.0):
                halves = [
                    Arc(a.R_ohm / 2, a.tau_s / factor, min(1.0, a.n + 0.1)),
                    Arc(a.R_ohm / 2, a.tau_s * factor, min(1.0, a.n + 0.1)),
                ]
                sets.append(sorted(others + halves, key=lambda b: b.tau_s))
    base = list(arcs[:k])
    missing = k - len(base)
    if missing > 0:
        # split the widest arc, or add small arcs at the edges / between arcs
        if base:
            widest = min(base, key=lambda a: a.n)
            for factor in (10.0, 3.0):
                split = [a for a in base if a is not widest]
                split += [
                    Arc(widest.R_ohm / 2, widest.tau_s / factor, min(1.0, widest.n + 0.1)),
                    Arc(widest.R_ohm / 2, widest.tau_s * factor, min(1.0, widest.n + 0.1)),
                ]
                sets.append(sorted(split, key=lambda a: a.tau_s)[:k] if len(split) >= k else split)
        edges = np.geomspace(feats.tau_min * 3, feats.tau_max / 3, missing + 2)[1:-1]
        for r_share in (0.05, 0.3):
            extra = [Arc(r_share * total, float(t), 0.9) for t in edges]
            sets.append(sorted(base + extra, key=lambda a: a.tau_s))
        extra = [Arc(0.1 * total, feats.tau_min * 2 * 10**i, 0.9) for i in range(missing)]
        sets.append(sorted(base + extra, key=lambda a: a.tau_s))
        extra = [Arc(0.1 * total, feats.tau_max / 2 / 10**i, 0.9) for i in range(missing)]
        sets.append(sorted(base + extra, key=lambda a: a.tau_s))
    return [s for s in sets if len(s) == k]


def initial_guess(freq_Hz: np.ndarray, z: np.ndarray, circuit: Circuit | str) -> dict[str, float]:
    """Data-driven initial values for every parameter of ``circuit``.

    Parameters
    ----------
    freq_Hz, z
        Frequencies (Hz) and complex impedance (Ω, Z'' negative on capacitive arcs).
    circuit
        The equivalent circuit.

    Returns
    -------
    dict
        Parameter name -> value (the first of :func:`candidate_starts`).
    """
    circuit = circuit if isinstance(circuit, Circuit) else Circuit(circuit)
    starts = candidate_starts(freq_Hz, z, circuit)
    return dict(zip(circuit.param_names, map(float, starts[0]), strict=True))


def candidate_starts(
    freq_Hz: np.ndarray, z: np.ndarray, circuit: Circuit | str, *, _fast: bool = True
) -> np.ndarray:
    """Alternative data-driven starting points, most plausible first.

    (``_fast=False`` assigns every start element by element, for the test that the
    direct p(R,C)/p(R,CPE) assignment gives the same rows.)

    Returns
    -------
    ndarray, shape (n_candidates, n_parameters)
        Parameter values in ``circuit.param_names`` order.
    """
    circuit = circuit if isinstance(circuit, Circuit) else Circuit(circuit)
    drt = relaxation_spectrum(freq_Hz, z)
    arcs = find_arcs(freq_Hz, z, drt=drt)
    feats = _features(freq_Hz, z, arcs, drt)
    structure = circuit.structure
    blocks = structure.blocks
    k = len(blocks)
    # A peak beyond the highest measured frequency (τ < τ_min/3) is often noise on a large
    # series resistance: also try it as part of R_inf.
    inside = [a for a in arcs if a.tau_s >= feats.tau_min / 3]
    variants = [(arcs, feats)]
    merged = find_arcs(freq_Hz, z, drt=drt, merge_valley=0.3)
    if len(merged) < len(arcs):
        variants.append((merged, feats))
    if inside and len(inside) < len(arcs):
        extra_r = sum(a.R_ohm for a in arcs if a.tau_s < feats.tau_min / 3)
        variants.append((inside, replace(feats, r_inf=feats.r_inf + extra_r)))
    starts = []
    distinct_blocks = len({_signature(b) for b in blocks}) > 1
    # fast path: every arc block is p(R,C) or p(R,CPE), whose values _set_arc writes directly
    rc_slots = [arc.slots for arc in structure.simple_arcs]
    fast = _fast and len(rc_slots) == k
    lower = np.array([p.lower for p in circuit.parameters])
    upper = np.array([p.upper for p in circuit.parameters])
    for found, feat in variants:
        arc_sets = _arc_sets(found, k, feat) or [[]]
        base = _assign(circuit, feat, [], [])
        for arc_set in arc_sets:
            orders = [arc_set]
            if distinct_blocks and len(arc_set) <= 3:
                orders = [list(p) for p in itertools.permutations(arc_set)]
            for order in orders:
                for exponents in ([a.n for a in order], *([n] * len(order) for n in _EXPONENTS)):
                    if fast:
                        starts.append(_assign_rc(base, rc_slots, order, exponents, lower, upper))
                    else:
                        starts.append(_assign(circuit, feat, order, exponents))
    arr = np.array(starts)
    _, first = np.unique(arr, axis=0, return_index=True)
    return arr[np.sort(first)]  # distinct rows, in order of first appearance


def _signature(node) -> tuple:
    if isinstance(node, ElementNode):
        return (node.type,)
    return (type(node).__name__, tuple(_signature(c) for c in node.children))


def order_arcs(
    circuit: Circuit,
    values: np.ndarray,
    *,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    fixed: Collection[int] = (),
) -> np.ndarray:
    """Permute the values of like ``p(R,C)``/``p(R,CPE)`` blocks so that apex frequencies fall.

    Such blocks in series are interchangeable (the same impedance), so the fitted arcs are
    numbered in the conventional order: block 1 is the highest-frequency arc,
    :math:`f_0 = 1/(2\\pi (RQ)^{1/n})`. Blocks are interchangeable only under the same
    constraints: a block with a fixed parameter keeps its values (a swap would move the
    fixed value to another block), and only blocks with the same bounds are permuted among
    themselves (a swap could put a value outside its bounds).

    Parameters
    ----------
    circuit
        The circuit.
    values
        Parameter set (natural units, ``circuit.param_names`` order).
    lower, upper
        Bounds of every parameter (default: those of ``circuit.parameters``).
    fixed
        Indices of fixed parameters.

    Returns
    -------
    ndarray
        The permuted copy of ``values``.
    """
    values = np.array(values, dtype=float)
    if lower is None:
        lower = np.array([p.lower for p in circuit.parameters], dtype=float)
    if upper is None:
        upper = np.array([p.upper for p in circuit.parameters], dtype=float)
    fixed = set(fixed)
    groups: dict[tuple, list[list[int]]] = {}
    for arc in circuit.structure.simple_arcs:
        slots = arc.slots
        if fixed.isdisjoint(slots):
            key = (arc.signature, tuple(lower[slots]), tuple(upper[slots]))
            groups.setdefault(key, []).append(slots)
    for blocks in groups.values():
        if len(blocks) < 2:
            continue
        with np.errstate(all="ignore"):
            tau = []
            for slots in blocks:
                r, q = values[slots[0]], values[slots[1]]
                n = values[slots[2]] if len(slots) == 3 else 1.0
                t = (r * q) ** (1 / n)
                tau.append(t if np.isfinite(t) else np.inf)
        order = np.argsort(tau, kind="stable")
        original = values.copy()
        for dest, src in zip(blocks, [blocks[i] for i in order], strict=True):
            values[dest] = original[src]
    return values


def like_block_permutations(circuit: Circuit, starts: np.ndarray) -> np.ndarray:
    """``starts`` followed by copies with the values of like blocks permuted (every order).

    Like ``p(R,C)``/``p(R,CPE)`` blocks are interchangeable, so :func:`candidate_starts`
    tries one order of them. A fixed value or different bounds break the symmetry (fixing
    ``CPE1_n`` decides which arc block 1 must model); these copies give the search the
    other assignments. Groups of more than 3 like blocks are left in their order.

    Parameters
    ----------
    circuit
        The circuit.
    starts
        (K, n_parameters) natural parameter sets.

    Returns
    -------
    ndarray
        (K·m, n_parameters), the original rows first.
    """
    out = np.atleast_2d(np.asarray(starts, dtype=float))
    groups: dict[tuple[str, ...], list[list[int]]] = {}
    for arc in circuit.structure.simple_arcs:
        groups.setdefault(arc.signature, []).append(arc.slots)
    for blocks in groups.values():
        if not 2 <= len(blocks) <= 3:
            continue
        copies = [out]
        for order in list(itertools.permutations(range(len(blocks))))[1:]:
            moved = out.copy()
            for dest, src in zip(blocks, order, strict=True):
                moved[:, dest] = out[:, blocks[src]]
            copies.append(moved)
        out = np.vstack(copies)
    return out


#: Size of a relocated arc, as shares of |Z| at its apex frequency (see :func:`arc_moves`).
_RELOCATED_SHARES = (0.05, 0.3)

#: A relocated arc lands at least this far (decades) from where the block was.
_MIN_MOVE_DECADES = 1.0

#: An arc split in two: halves at τ/factor and τ·factor (see :func:`arc_moves`).
_SPLIT_FACTORS = (1.5, 4.0)


def _block_tau_n(values: np.ndarray, slots: list[int]) -> tuple[float, float]:
    """(τ, n) of a p(R,C)/p(R,CPE) block: τ = (RQ)^(1/n) (nan when undefined)."""
    n = float(values[slots[2]]) if len(slots) == 3 else 1.0
    with np.errstate(all="ignore"):
        tau = float((values[slots[0]] * values[slots[1]]) ** (1 / n)) if n > 0 else float("nan")
    return tau, n


def _set_block(row: np.ndarray, slots: list[int], r: float, tau: float, n: float) -> None:
    row[slots[0]] = r
    if len(slots) == 3:
        row[slots[1]] = tau**n / r
        row[slots[2]] = n
    else:
        row[slots[1]] = tau / r


def arc_moves(
    circuit: Circuit,
    freq_Hz: np.ndarray,
    z: np.ndarray,
    values: np.ndarray,
    *,
    per_decade: float = 2.0,
    n: float = 0.85,
) -> list[np.ndarray]:
    """Structural neighbours of a fitted parameter set: one arc moved elsewhere, or split.

    A local optimum of a multi-arc fit often wastes one ``p(R,CPE)`` block (apex far
    outside the measured range, exponent near 0 so that it acts as a resistor, or a sliver
    of a neighbour) while a small arc hidden between or under big ones is missed, or models
    two overlapping arcs as one. Local refinement cannot carry a block across the spectrum;
    these moves do:

    - *relocate* block b: replaced by a small arc (resistance :data:`_RELOCATED_SHARES` of
      the measured |Z| there, exponent ``n``) with its apex at each point of a grid of
      ``per_decade`` frequencies per decade over the data;
    - *split* arc a into blocks a and b: halves of its resistance at τ_a/f and τ_a·f
      (f in :data:`_SPLIT_FACTORS`), exponent raised by 0.1 (capped at 1).

    The other parameters are unchanged (see :func:`refit_amplitudes` to re-balance them).

    Parameters
    ----------
    circuit
        The circuit (only its top-level ``p(R,C)``/``p(R,CPE)`` blocks move).
    freq_Hz, z
        The data (Hz, Ω).
    values
        The fitted parameter set (natural units, ``circuit.param_names`` order).

    Returns
    -------
    list of ndarray
        One array (n_moves, n_parameters) per family of moves: one family per relocated
        block, then one with all the splits. Empty list when there is nothing to move.
    """
    values = np.asarray(values, dtype=float)
    f, zz = _sorted(freq_Hz, z)
    decades = np.log10(f[0] / f[-1])
    grid = np.geomspace(f[-1], f[0], max(int(round(decades * per_decade)) + 1, 2))
    # |Z| at the grid frequencies (interpolated in log f; f is decreasing)
    z_abs = np.exp(np.interp(np.log(grid), np.log(f[::-1]), np.log(np.abs(zz[::-1]))))
    blocks = [(arc.signature, arc.slots) for arc in circuit.structure.simple_arcs]
    families = []
    for _kinds, slots in blocks:
        rows = []
        tau_b, _n_b = _block_tau_n(values, slots)
        ln_tau_b = np.log(tau_b) if np.isfinite(tau_b) and tau_b > 0 else np.inf
        for f0, m in zip(grid, z_abs, strict=True):
            if abs(np.log(1 / (2 * np.pi * f0)) - ln_tau_b) < _MIN_MOVE_DECADES * np.log(10):
                continue  # a move, not a nudge: local refinement does those
            for share in _RELOCATED_SHARES:
                row = values.copy()
                _set_block(
                    row, slots, share * m, 1 / (2 * np.pi * f0), n if len(slots) == 3 else 1.0
                )
                rows.append(row)
        if rows:
            families.append(np.array(rows))
    splits = []
    for (kinds_a, a), (kinds_b, b) in itertools.permutations(blocks, 2):
        tau_a, n_a = _block_tau_n(values, a)
        r_a = float(values[a[0]])
        if kinds_a != kinds_b or not (np.isfinite(tau_a) and r_a > 0):
            continue
        n_new = min(1.0, n_a + 0.1) if len(a) == 3 else 1.0
        for factor in _SPLIT_FACTORS:
            row = values.copy()
            _set_block(row, a, r_a / 2, tau_a / factor, n_new)
            _set_block(row, b, r_a / 2, tau_a * factor, n_new)
            splits.append(row)
    if splits:
        families.append(np.array(splits))
    return families


def refit_amplitudes(
    circuit: Circuit,
    omega: np.ndarray,
    z: np.ndarray,
    sigma_re: np.ndarray,
    sigma_im: np.ndarray,
    model: Callable[[np.ndarray], np.ndarray],
    starts: np.ndarray,
) -> np.ndarray:
    r"""Starts with the best non-negative amplitudes for their arc shapes (variable projection).

    With every block's time constant τ and exponent n held, the impedance is linear in the
    resistances of the top-level resistors and of the ``p(R,C)``/``p(R,CPE)`` blocks
    (:math:`Z_b = R_b / (1 + (j\omega\tau_b)^{n_b})`), the other elements held as they are.
    Each start's resistances are scaled by the weighted non-negative least-squares solution
    (Lawson & Hanson, *Solving Least Squares Problems*, 1974, ch. 23; Golub & Pereyra,
    SIAM J. Numer. Anal. 1973, 10, 413), Q and C scaled inversely so that τ is kept. A
    start whose block was moved elsewhere is then judged with its neighbours re-balanced.

    Parameters
    ----------
    circuit
        The circuit.
    omega
        Angular frequencies (rad/s) of the data.
    z, sigma_re, sigma_im
        Data (Ω) and weights of the real and imaginary residuals.
    model
        ``model(P)``: (K, n_parameters) natural parameter sets -> (K, F) impedance.
    starts
        (K, n_parameters) natural parameter sets.

    Returns
    -------
    ndarray
        (K, n_parameters): the starts with resistances scaled (floor 1e-6 of the start's
        value, so that no element vanishes) and Q, C scaled inversely.
    """
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    names = circuit.param_names
    series_r = [names.index(name) for name in circuit.structure.series_resistors]
    blocks = [arc.slots for arc in circuit.structure.simple_arcs]
    if len(starts) == 0 or not (series_r or blocks):
        return starts
    jw = 1j * omega
    with np.errstate(all="ignore"):
        cols = [np.repeat(starts[:, i, None], len(omega), axis=1).astype(complex) for i in series_r]
        for slots in blocks:
            r = starts[:, slots[0], None]
            if len(slots) == 3:
                cols.append(
                    r / (1 + r * starts[:, slots[1], None] * jw ** starts[:, slots[2], None])
                )
            else:
                cols.append(r / (1 + jw * r * starts[:, slots[1], None]))
        basis = np.stack(cols, axis=1)  # (K, m, F)
        rest = model(starts) - basis.sum(axis=1)
    a = np.concatenate([basis.real / sigma_re, basis.imag / sigma_im], axis=-1)
    b = np.concatenate([(z - rest).real / sigma_re, (z - rest).imag / sigma_im], axis=-1)
    finite = np.all(np.isfinite(a), axis=(1, 2)) & np.all(np.isfinite(b), axis=1)
    scale = np.ones(a.shape[:2])
    # unconstrained solution of all starts at once (normal equations); NNLS where it is negative
    ata = np.einsum("kmi,kni->kmn", a[finite], a[finite])
    atb = np.einsum("kmi,ki->km", a[finite], b[finite])
    ridge = 1e-12 * np.einsum("kmm->k", ata)[:, None, None] * np.eye(a.shape[1])
    try:
        scale[finite] = np.linalg.solve(ata + ridge, atb[..., None])[..., 0]
    except np.linalg.LinAlgError:
        scale[finite] = -1.0  # all by NNLS below
    for k in np.flatnonzero(finite & ~np.all(scale > 0, axis=1)):
        scale[k], _ = nnls(a[k].T, b[k])
    scale = np.where(finite[:, None], np.maximum(scale, 1e-6), 1.0)  # keep every element alive
    out = starts.copy()
    out[:, series_r] *= scale[:, : len(series_r)]
    for j, slots in enumerate(blocks):
        out[:, slots[0]] *= scale[:, len(series_r) + j]
        out[:, slots[1]] /= scale[:, len(series_r) + j]
    return out
