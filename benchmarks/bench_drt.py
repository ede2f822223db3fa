"""Benchmark: echem.eis.drt against pyimpspec's TR-RBF DRT (the DRTtools method) on the same spectra.

Spectra: seeded sums of R_inf and one to three ZARCs R/(1 + (jωτ)^n) (n 0.7–1, R 30–300 Ohm,
τ 1e-6–1e-1 s, at least ``--sep`` decades apart), 3 MHz–0.1 Hz, 10 points/decade, complex
Gaussian noise of ``--noise`` × |Z|. Every DRT (echem's and pyimpspec's, for each of its λ
criteria) goes through the same peak finder (echem.eis._drt_peaks.find_peaks), so only the
DRT differs. Reported per method: the share of spectra whose peaks (share of the polarisation
resistance > 2 %) are exactly the true arcs (each within 0.25 decade of a true τ), the median
and 90th percentile of the largest |τ error| and |R error| of the matched peaks (over the
spectra whose peaks are right), of the |R∞ error| (over all spectra; echem only: pyimpspec's
TR-RBF result does not give R∞), the median λ, and the
median time per spectrum (CPU time of this process, so that a busy machine does not count).
Then the peak tables of the first spectra side by side. ``--tail`` adds a blocking CPE
(Q = 1e-3, n = 0.85) in series to every spectrum; its area at the long-τ end of the window
(peaks above :data:`TAIL_TAU_S`) is then not counted as a peak.

pyimpspec (GPL-3.0) and cvxopt are not dependencies of echem: run this from a scratch venv
that has them, with echem on the path::

    python3 -m venv /tmp/drt-venv && /tmp/drt-venv/bin/pip install pyimpspec cvxopt
    PYTHONPATH=. /tmp/drt-venv/bin/python benchmarks/bench_drt.py --n 30 --noise 0.01
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyimpspec
from pyimpspec.analysis.drt import calculate_drt_tr_rbf

from echem.eis._drt_peaks import find_peaks
from echem.eis.relaxation import drt

FREQ_HZ = np.geomspace(3e6, 0.1, 76)
WINDOW_S = (1 / (2 * np.pi * FREQ_HZ.max()), 1 / (2 * np.pi * FREQ_HZ.min()))
#: A peak counts when it holds more than this share of the polarisation resistance.
MIN_SHARE = 0.02
#: With --tail, the tail's area piles up at the long-τ end of the window (its DRT grows
#: without bound beyond it): peaks above this τ (s; the arcs lie below 0.1 s) are the tail's.
TAIL_TAU_S = 0.5 * WINDOW_S[1]

Arc = tuple[float, float, float]  # R (Ohm), tau (s), n


def synthetic(rng: np.random.Generator, count: int, sep: float, noise: float, tail: bool):
    while True:
        centres = np.sort(rng.uniform(-6, -1, size=count))
        if count == 1 or np.min(np.diff(centres)) >= sep:
            break
    arcs = [(10 ** rng.uniform(1.5, 2.5), 10.0**c, rng.uniform(0.7, 1.0)) for c in centres]
    omega = 2 * np.pi * FREQ_HZ
    r_inf = 10 ** rng.uniform(0.5, 1.5)
    z = r_inf + sum(R / (1 + (1j * omega * t) ** n) for R, t, n in arcs)
    if tail:
        z = z + 1 / (1e-3 * (1j * omega) ** 0.85)
    e = rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size)
    return z + noise * np.abs(z) * e / np.sqrt(2), arcs, r_inf


def echem_method(lam: float | str | None) -> Callable[[np.ndarray], tuple]:
    def run(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
        result = drt(FREQ_HZ, z, lam=lam)
        return result.tau_s, result.gamma_ohm, result.lam, result.R_inf_ohm

    return run


def pyimpspec_method(criterion: str, lam: float = -1.0) -> Callable[[np.ndarray], tuple]:
    def run(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
        data = pyimpspec.DataSet(frequencies=FREQ_HZ, impedances=z)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = calculate_drt_tr_rbf(
                data, cross_validation=criterion, lambda_value=lam, num_procs=1
            )
        order = np.argsort(result.time_constants)
        tau, gamma = result.time_constants[order], result.gammas[order]
        return tau, gamma, float(result.lambda_value), math.nan

    return run


METHODS: dict[str, Callable[[np.ndarray], tuple]] = {
    "echem (default: discrepancy, lam <= 0.1)": echem_method(None),
    "echem lam='gcv'": echem_method("gcv"),
    "echem lam=1e-3": echem_method(1e-3),
    "pyimpspec TR-RBF mgcv (its default)": pyimpspec_method("mgcv"),
    "pyimpspec TR-RBF gcv": pyimpspec_method("gcv"),
    "pyimpspec TR-RBF re-im": pyimpspec_method("re-im"),
    "pyimpspec TR-RBF L-curve": pyimpspec_method("lc"),
    "pyimpspec TR-RBF lam=1e-3 fixed": pyimpspec_method("", 1e-3),
}


def counted(tau: np.ndarray, gamma: np.ndarray, tail: bool) -> pd.DataFrame:
    """The peaks that count: above MIN_SHARE, and with a tail below TAIL_TAU_S only."""
    peaks = find_peaks(tau, gamma, WINDOW_S)
    keep = peaks["share"] > MIN_SHARE
    if tail:
        keep &= peaks["tau_s"] < TAIL_TAU_S
    return peaks[keep]


def score(
    tau: np.ndarray, gamma: np.ndarray, arcs: list[Arc], tail: bool
) -> tuple[bool, float, float]:
    """(peaks are exactly the arcs, largest |τ error|, largest |R error|)."""
    peaks = counted(tau, gamma, tail)
    ln_tau = np.log(peaks["tau_s"].to_numpy())
    used, tau_err, r_err = set(), [], []
    for R, t, _n in arcs:
        distance = np.abs(ln_tau - math.log(t))
        j = int(np.argmin(distance)) if distance.size else -1
        if j < 0 or distance[j] > 0.25 * math.log(10) or j in used:
            return False, math.nan, math.nan
        used.add(j)
        tau_err.append(abs(peaks["tau_s"].iloc[j] / t - 1))
        r_err.append(abs(peaks["R_ohm"].iloc[j] / R - 1))
    return len(peaks) == len(arcs), max(tau_err), max(r_err)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30, help="spectra")
    parser.add_argument("--noise", type=float, default=0.01, help="noise, share of |Z|")
    parser.add_argument("--sep", type=float, default=1.0, help="least decades between arcs")
    parser.add_argument("--show", type=int, default=3, help="spectra shown peak by peak")
    parser.add_argument("--tail", action="store_true", help="a blocking CPE in series")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    spectra = [synthetic(rng, 1 + i % 3, args.sep, args.noise, args.tail) for i in range(args.n)]
    rows, shown = [], []
    for name, method in METHODS.items():
        results = []
        for index, (z, arcs, r_inf) in enumerate(spectra):
            start = time.process_time()
            tau, gamma, lam, r_inf_found = method(z)
            elapsed = time.process_time() - start
            results.append(
                (*score(tau, gamma, arcs, args.tail), lam, elapsed, abs(r_inf_found / r_inf - 1))
            )
            if index < args.show:
                for row in counted(tau, gamma, args.tail).itertuples():
                    shown.append((index, name, row.tau_s, row.R_ohm))
        table = np.array(results, dtype=float)
        ok = table[:, 0] == 1
        rows.append(
            {
                "method": name,
                "right peaks": f"{ok.mean():.0%}",
                "tau err med": np.nanmedian(table[ok, 1]) if ok.any() else math.nan,
                "tau err p90": np.nanpercentile(table[ok, 1], 90) if ok.any() else math.nan,
                "R err med": np.nanmedian(table[ok, 2]) if ok.any() else math.nan,
                "R err p90": np.nanpercentile(table[ok, 2], 90) if ok.any() else math.nan,
                "R_inf err med": np.median(table[:, 5]),
                "R_inf err p90": np.percentile(table[:, 5], 90),
                "lam med": np.median(table[:, 3]),
                "ms/spectrum": 1e3 * np.median(table[:, 4]),
            }
        )
    print(
        f"{args.n} spectra (1-3 ZARCs, >= {args.sep:g} decades apart"
        f"{', a blocking CPE in series' if args.tail else ''}), {FREQ_HZ.size} points "
        f"3 MHz-0.1 Hz, noise {100 * args.noise:g} % of |Z|; tau and R errors over the spectra "
        "whose peaks are right, R_inf errors over all"
    )
    summary = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.float_format", "{:.3g}".format):
        print(summary.to_string(index=False))
    reference = summary.set_index("method")["ms/spectrum"]
    ratio = reference["pyimpspec TR-RBF mgcv (its default)"] / reference.iloc[0]
    print(f"CPU time: echem default {reference.iloc[0]:.1f} ms, pyimpspec {ratio:.0f}x more\n")
    for index in range(min(args.show, len(spectra))):
        print(f"spectrum {index}: truth " + ", ".join(
            f"tau={t:.3g} s R={R:.4g} n={n:.2f}" for R, t, n in spectra[index][1]
        ))  # fmt: skip
        for name in METHODS:
            found = [(t, R) for i, m, t, R in shown if i == index and m == name]
            print(f"  {name:42s} " + ", ".join(f"tau={t:.3g} R={R:.4g}" for t, R in found))


if __name__ == "__main__":
    main()
