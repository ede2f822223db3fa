"""Benchmark: the automatic choice of circuit, ``echem.eis.fit(spectrum, "auto")``.

Synthetic spectra of known structure
------------------------------------
3 MHz–0.1 Hz, 10 points per decade. Every combination of 1, 2 or 3 R∥CPE arcs, a
low-frequency tail (none, a diffusion tail ``Wo``, a blocking ``CPE``) and an inductance
(without, with) gets ``--n`` spectra (18 combinations), and so do the six without an arc (a
resistor, a bare diffusion tail, a blocking electrode, each with and without L: the choice must
not invent an arc); the line "1-3 arcs" is the issue's set. The generator:

- R0 and every arc's R log-uniform in 10–1e4 Ω, n uniform in 0.7–1;
- neighbouring apexes 1–3 decades apart (uniform), the whole set placed log-uniformly inside
  1 Hz–1 MHz;
- diffusion: Wo with R log-uniform in 10–1e4 Ω and τ log-uniform in 1–100 s (its bend to a
  capacitive line at or below the lowest frequency);
- blocking: a series CPE, n uniform in 0.8–0.95, with |Z| at 0.1 Hz log-uniform in 10–1e4 Ω;
- inductance: L with ω_max·L log-uniform in 5–100 % of |Z| at 3 MHz;
- noise: σ = s·|Z| on Z' and on Z'', s uniform in 0.5–2 %.

A choice is *right* when the chosen circuit has the true number of arcs, the true kind of tail
(a Warburg W, Wo or Ws counts as the diffusion tail: a Wo whose τ lies beyond the window is a W
to the data) and an inductance exactly when the truth has one. The recovered R are right when,
in addition, R0 and every arc's R (arcs matched by apex frequency) are within 5 % of the truth.

*Identifiable* is defined as echem's benchmarks/bench_fit.py does it, by the Cramér–Rao bound
at the true values with the generator's noise (:func:`bench_fit.cramer_rao_rel_sigma`): here
the magnitude of every element must be identifiable, i.e. σ/p <= 5 %/3 for every resistance,
the inductance, and the tail's first parameter (Wo R, CPE Q). A spectrum where, say, a 10 Ω
arc sits beside 1e4 Ω under 1 % noise holds no evidence of that arc, and no choice can be
asked to find it: the shares are given for all spectra and for the identifiable ones.

Real spectra
------------
Every distinct sweep under ``../shared/data/real`` (benchmarks/bench_verdicts.py's
``real_sweeps``) is fitted with ``"auto"`` and with the fixed circuits ``R0-p(R1,CPE1)``,
two and three arcs, and two arcs with a ``Wo`` tail; the table shows the chosen circuit, its
``ok``, and its χ² and BIC against the best of the fixed circuits (ratio of χ², difference of
BIC), with the CPU time of the automatic choice.

Times are CPU times of the process (``time.process_time``), with ``OPENBLAS_NUM_THREADS=1``
(multithreaded BLAS on small matrices can be hundreds of times slower on a loaded machine);
the wall-clock time is printed beside them.

Usage: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_model_choice.py [--n 10] [--jobs 2]
[--no-real] [--limit N]``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

FREQ_HZ = np.logspace(np.log10(3e6), -1, int(round(10 * np.log10(3e6 / 0.1))) + 1)
ARCS = (1, 2, 3, 0)  # 0 last: the spectra of 1-3 arcs are drawn as before
TAILS = ("", "diffusion", "blocking")
INDUCTANCE = (False, True)
#: An element is detectable when the Cramér–Rao σ of its magnitude is at most this (4 σ).
DETECTABLE = 0.25
#: Fixed circuits compared on the real spectra.
FIXED = (
    "R0-p(R1,CPE1)",
    "R0-p(R1,CPE1)-p(R2,CPE2)",
    "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)",
    "R0-p(R1,CPE1)-p(R2,CPE2)-Wo1",
)


def truth_circuit(arcs: int, tail: str, inductance: bool) -> str:
    parts = (["L0"] if inductance else []) + ["R0"]
    parts += [f"p(R{i},CPE{i})" for i in range(1, arcs + 1)]
    parts += {"": [], "diffusion": ["Wo1"], "blocking": [f"CPE{arcs + 1}"]}[tail]
    return "-".join(parts)


def draw(arcs: int, tail: str, inductance: bool, rng: np.random.Generator) -> dict:
    """A synthetic spectrum: its truth (circuit, values, apexes) and noisy z."""
    from echem.eis import Circuit

    def log_uniform(low: float, high: float) -> float:
        return float(10 ** rng.uniform(np.log10(low), np.log10(high)))

    gaps = rng.uniform(1.0, 3.0, max(arcs - 1, 0))
    span = float(gaps.sum())
    top = rng.uniform(span, 6.0)  # log10 of the highest apex (Hz), lowest >= 1 Hz
    apexes = 10.0 ** (top - np.concatenate([[0.0], np.cumsum(gaps)]))[:arcs]
    values = {"R0": log_uniform(10, 1e4)}
    for i, f0 in enumerate(apexes, start=1):
        r, n = log_uniform(10, 1e4), float(rng.uniform(0.7, 1.0))
        values |= {f"R{i}": r, f"CPE{i}_Q": (1 / (2 * np.pi * f0)) ** n / r, f"CPE{i}_n": n}
    if tail == "diffusion":
        values |= {"Wo1_R": log_uniform(10, 1e4), "Wo1_tau": log_uniform(1, 100)}
    elif tail == "blocking":
        n = float(rng.uniform(0.8, 0.95))
        size = log_uniform(10, 1e4)
        values |= {f"CPE{arcs + 1}_Q": 1 / (size * (2 * np.pi * 0.1) ** n), f"CPE{arcs + 1}_n": n}
    circuit = truth_circuit(arcs, tail, inductance)
    if inductance:
        without = {k: v for k, v in values.items()}
        z_top = abs(Circuit(truth_circuit(arcs, tail, False)).impedance(FREQ_HZ[:1], without)[0])
        values["L0"] = log_uniform(0.05, 1.0) * z_top / (2 * np.pi * FREQ_HZ[0])
    z0 = Circuit(circuit).impedance(FREQ_HZ, values)
    level = float(rng.uniform(0.005, 0.02))
    noise = level * np.abs(z0) * (rng.normal(size=len(z0)) + 1j * rng.normal(size=len(z0)))
    return {
        "arcs": arcs,
        "tail": tail,
        "inductance": inductance,
        "circuit": circuit,
        "values": values,
        "apexes": apexes,
        "level": level,
        "z": z0 + noise,
    }


def magnitude_parameters(circuit) -> list[str]:
    """The first parameter of every element (R, L, Wo R, CPE Q of the tail, arcs' R)."""
    seen, names = set(), []
    for p in circuit.parameters:
        if p.element in seen:
            continue
        seen.add(p.element)
        if p.type in ("R", "L", "Wo") or (p.type == "CPE" and p.symbol == "Q"):
            if p.type == "CPE" and any(
                arc.capacitor == p.element for arc in circuit.structure.arcs
            ):
                continue  # an arc's CPE: its R stands for the arc
            names.append(p.name)
    return names


def cramer_rao_log_covariance(circuit, freq_Hz, true: dict, noise: float) -> np.ndarray:
    """Cramér–Rao bound on the covariance of ln p at the true values: F⁻¹ with F = JᵀJ.

    The method of benchmarks/bench_fit.py (:func:`bench_fit.cramer_rao_rel_sigma`: σ = noise·|Z|
    on Z' and Z'', central differences in ln p, step 1e-6), returning the whole matrix, so
    that the bound of a combination of parameters can be read too. inf where F is singular.
    """
    names = list(circuit.param_names)
    theta = np.log(np.array([true[n] for n in names], dtype=float))
    sigma = noise * np.abs(circuit.impedance(freq_Hz, true))
    h = 1e-6
    columns = []
    for j in range(len(names)):
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        dz = (circuit.impedance(freq_Hz, np.exp(up)) - circuit.impedance(freq_Hz, np.exp(down))) / (
            2 * h
        )
        columns.append(np.concatenate([dz.real / sigma, dz.imag / sigma]))
    jac = np.array(columns).T
    try:
        return np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return np.full((len(names), len(names)), np.inf)


def element_rel_sigma(spectrum: dict) -> dict[str, float]:
    """Cramér–Rao relative σ of every element's magnitude (:func:`magnitude_parameters`).

    A Wo whose τ lies beyond the window shows only R/√τ (its Warburg coefficient): its
    magnitude's σ is the smaller of those of ln R and ln R − ½ ln τ.
    """
    from echem.eis import Circuit

    circuit = Circuit(spectrum["circuit"])
    cov = cramer_rao_log_covariance(circuit, FREQ_HZ, spectrum["values"], spectrum["level"])
    names = list(circuit.param_names)
    out = {}
    for name in magnitude_parameters(circuit):
        j = names.index(name)
        variance = cov[j, j]
        if name == "Wo1_R":
            t = names.index("Wo1_tau")
            variance = min(variance, cov[j, j] - cov[j, t] + cov[t, t] / 4)
        out[name] = float(np.sqrt(variance)) if np.isfinite(variance) and variance >= 0 else np.inf
    return out


def identifiable(spectrum: dict) -> bool:
    """Every element's magnitude has a Cramér–Rao relative σ within bench_fit's
    :data:`bench_fit.IDENTIFIABLE_REL_SIGMA` (5 %/3)."""
    from bench_fit import IDENTIFIABLE_REL_SIGMA

    return all(v <= IDENTIFIABLE_REL_SIGMA for v in element_rel_sigma(spectrum).values())


def identifiable_sample(key: tuple, count: int, rng: np.random.Generator, max_draws: int):
    """``count`` spectra of the generator for ``key`` that are :func:`identifiable`
    (rejection sampling; fewer when ``max_draws`` is reached). Returns (spectra, draws)."""
    out, draws = [], 0
    while len(out) < count and draws < max_draws:
        draws += 1
        spectrum = draw(*key, rng)
        if identifiable(spectrum):
            out.append(spectrum)
    return out, draws


def resistances(values: dict, circuit) -> np.ndarray:
    """[R0, R of the arcs by decreasing apex frequency]."""
    from echem.eis.capacitance import apex_frequency

    names = circuit.param_names
    arcs = []
    for arc in circuit.structure.arcs:
        n = values[names[arc.exponent]] if arc.exponent is not None else 1.0
        f0 = apex_frequency(values[arc.resistor], values[names[arc.capacitance]], n)
        arcs.append((f0 if np.isfinite(f0) else 0.0, values[arc.resistor]))
    return np.array([values["R0"]] + [r for _, r in sorted(arcs, key=lambda t: -t[0])])


def evaluate_synthetic(spectrum: dict) -> dict:
    from echem.eis import Circuit, fit
    from echem.eis.model_choice import Candidate

    warnings.simplefilter("ignore")
    cpu, wall = time.process_time(), time.perf_counter()
    result = fit(FREQ_HZ, spectrum["z"], "auto")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    one = time.process_time()
    fit(FREQ_HZ, spectrum["z"], spectrum["circuit"])  # the cost of one fit, in the same run
    one = time.process_time() - one
    row = result.candidates[result.candidates["chosen"]].iloc[0]
    chosen = Candidate(int(row["arcs"]), str(row["tail"] or ""), bool(row["inductance"]))
    structure = (
        chosen.arcs == spectrum["arcs"]
        and chosen.tail_kind == spectrum["tail"]
        and chosen.inductance == spectrum["inductance"]
    )
    r_ok = False
    if structure:
        truth = resistances(spectrum["values"], Circuit(spectrum["circuit"]))
        found = resistances(result.values, result.circuit)
        r_ok = bool(np.all(np.abs(found / truth - 1) <= 0.05))
    return {
        "key": (spectrum["arcs"], spectrum["tail"], spectrum["inductance"]),
        "chosen": (chosen.arcs, chosen.tail_kind, chosen.inductance),
        "circuit": str(result.circuit),
        "structure": structure,
        "r_ok": r_ok,
        "ok": result.ok,
        "rel_sigma": element_rel_sigma(spectrum),
        "fits": len(result.candidates),
        "cpu": cpu,
        "wall": wall,
        "one_fit": one,
    }


def _share(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100 * hits / total:.0f} %)" if total else "-"


def _label(key: tuple) -> str:
    arcs, tail, inductance = key
    return f"{arcs} arc{'s' if arcs != 1 else ''}, {tail or 'no tail'}{', L' if inductance else ''}"


def report_synthetic(everything: list[dict], sample: list[dict], draws: dict) -> None:
    print(
        "\nSynthetic spectra: the right structure (arcs, tail kind, inductance); R0 and the arcs' "
        "R within 5 %\n(all: the generator as it is; identifiable: rejection-sampled, every "
        "element's magnitude with a Cramer-Rao sigma <= 5 %/3)"
    )
    print(
        f"{'truth':<26}{'all: structure':>17}{'identifiable: structure':>25}{'R within 5 %':>15}"
        f"{'accepted':>16}"
    )

    def line(label: str, group: list[dict], ident: list[dict], accepted: str) -> None:
        print(
            f"{label:<26}{_share(sum(o['structure'] for o in group), len(group)):>17}"
            f"{_share(sum(o['structure'] for o in ident), len(ident)):>25}"
            f"{_share(sum(o['r_ok'] for o in ident), len(ident)):>15}{accepted:>16}"
        )

    for key in itertools.product(ARCS, TAILS, INDUCTANCE):
        group = [o for o in everything if o["key"] == key]
        ident = [o for o in sample if o["key"] == key]
        line(_label(key), group, ident, f"1 in {draws[key] / max(len(ident), 1):.0f}")
    line("ALL", everything, sample, "")
    line(
        "1-3 arcs",
        [o for o in everything if o["key"][0]],
        [o for o in sample if o["key"][0]],
        "",
    )
    brief = [o for o in everything if o["key"][1] != "blocking"]
    brief_ident = [o for o in sample if o["key"][1] != "blocking"]
    line("no tail or diffusion", brief, brief_ident, "")
    wrong = [o for o in sample if not o["structure"]]
    if wrong:
        print("\nidentifiable spectra with a wrong structure (truth -> chosen):")
        for o in wrong:
            print(f"  {_label(o['key'])} -> {_label(o['chosen'])}  ({o['circuit']})")
    unfound = [o for o in everything if not o["structure"]]
    if unfound:
        sigma = [max(o["rel_sigma"].values()) for o in unfound]
        print(
            f"\nall: {len(unfound)} wrong structures; the least identifiable element of their "
            f"truth has a Cramer-Rao sigma of median {100 * np.median(sigma):.0f} % "
            f"({sum(s > DETECTABLE for s in sigma)} of them above {100 * DETECTABLE:.0f} %: "
            "not even a 4-sigma detection)"
        )
    detectable = [o for o in everything if max(o["rel_sigma"].values()) <= DETECTABLE]
    print(
        f"all, every element detectable (Cramer-Rao sigma <= {100 * DETECTABLE:.0f} %): right "
        f"structure {_share(sum(o['structure'] for o in detectable), len(detectable))}"
    )
    for o in detectable:
        if not o["structure"]:
            print(f"  {_label(o['key'])} -> {_label(o['chosen'])}  ({o['circuit']})")
    outcomes = everything + sample
    cpu = np.array([o["cpu"] for o in outcomes])
    wall = np.array([o["wall"] for o in outcomes])
    fits = np.array([o["fits"] for o in outcomes])
    ratio = cpu / np.array([o["one_fit"] for o in outcomes])
    print(
        f"\ntime per spectrum: CPU median {np.median(cpu):.2f} s, 90th percentile "
        f"{np.percentile(cpu, 90):.2f} s, max {cpu.max():.2f} s; wall median "
        f"{np.median(wall):.2f} s; candidates fitted: median {np.median(fits):.0f}, "
        f"max {fits.max()}; in units of one fit of the true circuit (same run, same load): "
        f"median {np.median(ratio):.1f}, 90th percentile {np.percentile(ratio, 90):.1f}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    slowest = outcomes[int(np.argmax(cpu))]
    print(
        f"slowest: {_label(slowest['key'])} -> {slowest['circuit']}, {slowest['fits']} "
        f"candidates, {slowest['cpu']:.2f} s ({slowest['cpu'] / slowest['one_fit']:.0f} fits)"
    )


def evaluate_real(sweep: tuple) -> dict:
    from echem.eis import fit

    name, number, freq, z = sweep
    warnings.simplefilter("ignore")
    out = {"file": name, "sweep": number, "points": len(freq)}
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        result = fit(freq, z, "auto")
    except Exception as error:  # noqa: BLE001 - reported in the table
        out["error"] = f"{type(error).__name__}: {error}"
        return out
    out |= {
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
        "circuit": str(result.circuit),
        "ok": result.ok,
        "chisqr": result.chisqr,
        "bic": result.bic,
        "fits": len(result.candidates),
    }
    fixed = {}
    for text in FIXED:
        try:
            other = fit(freq, z, text)
        except Exception:  # noqa: BLE001 - a fixed circuit that cannot be fitted (too few points)
            continue
        fixed[text] = (other.chisqr, other.bic, other.ok)
    out["fixed"] = fixed
    return out


def report_real(outcomes: list[dict]) -> None:
    print("\nReal sweeps: auto vs the best of the fixed circuits")
    print("  fixed: " + ", ".join(FIXED))
    print(
        f"{'file':<44}{'#':>3}{'N':>4}  {'chosen':<46}{'ok':>6}{'chi2/best':>10}"
        f"{'dBIC':>9}{'best fixed (BIC)':>40}{'ok':>6}{'cpu s':>7}"
    )
    ratios, dbic, oks, fixed_oks, cpu = [], [], [], [], []
    for o in outcomes:
        if "error" in o:
            print(f"{o['file']:<44}{o['sweep']:>3}{o['points']:>4}  error: {o['error']}")
            continue
        fixed = o["fixed"]
        best_chi = min(v[0] for v in fixed.values()) if fixed else np.nan
        best_name = min(fixed, key=lambda k: fixed[k][1]) if fixed else "-"
        best_bic = fixed[best_name][1] if fixed else np.nan
        best_ok = fixed[best_name][2] if fixed else False
        ratio = o["chisqr"] / best_chi if best_chi > 0 else np.nan
        ratios.append(ratio)
        dbic.append(o["bic"] - best_bic)
        oks.append(o["ok"])
        fixed_oks.append(any(v[2] for v in fixed.values()))
        cpu.append(o["cpu"])
        print(
            f"{o['file'][-44:]:<44}{o['sweep']:>3}{o['points']:>4}  {o['circuit']:<46}"
            f"{str(o['ok']):>6}{ratio:>10.3g}{o['bic'] - best_bic:>9.1f}{best_name:>40}"
            f"{str(best_ok):>6}{o['cpu']:>7.2f}"
        )
    ratios, dbic = np.array(ratios), np.array(dbic)
    print(
        f"\n{len(ratios)} sweeps: auto ok {sum(oks)} ({100 * np.mean(oks):.0f} %), some fixed "
        f"circuit ok {sum(fixed_oks)} ({100 * np.mean(fixed_oks):.0f} %); chi2 ratio to the best "
        f"fixed: median {np.nanmedian(ratios):.3g}, <= 1.02 on {np.sum(ratios <= 1.02)}; BIC at "
        f"most the best fixed circuit's on {np.sum(dbic <= 1e-9)}; CPU per sweep median "
        f"{np.median(cpu):.2f} s, max {np.max(cpu):.2f} s"
    )


def _sample(job: tuple) -> tuple:
    key, count, seed, max_draws = job
    return key, *identifiable_sample(key, count, np.random.default_rng(seed), max_draws)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="spectra per combination (all)")
    parser.add_argument(
        "--n-identifiable", type=int, default=10, help="identifiable spectra per combination"
    )
    parser.add_argument(
        "--max-draws", type=int, default=20000, help="draws per combination to find them"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--no-real", action="store_true", help="skip the real sweeps")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the synthetic spectra")
    parser.add_argument("--limit", type=int, default=None, help="first N real sweeps only")
    args = parser.parse_args()
    keys = list(itertools.product(ARCS, TAILS, INDUCTANCE))
    with ProcessPoolExecutor(args.jobs) as pool:
        if not args.no_synthetic:
            start = time.perf_counter()
            rng = np.random.default_rng(args.seed)
            spectra = [draw(*key, rng) for key in keys for _ in range(args.n)]
            jobs = [
                (key, args.n_identifiable, 1000 + args.seed + i, args.max_draws)
                for i, key in enumerate(keys)
            ]
            found = list(pool.map(_sample, jobs))
            draws = {key: count for key, _, count in found}
            sample = [spectrum for _, spectra_of_key, _ in found for spectrum in spectra_of_key]
            everything = list(pool.map(evaluate_synthetic, spectra, chunksize=2))
            identified = list(pool.map(evaluate_synthetic, sample, chunksize=2))
            print(
                f"{len(spectra)} + {len(sample)} synthetic spectra in "
                f"{time.perf_counter() - start:.0f} s on {args.jobs} processes"
            )
            report_synthetic(everything, identified, draws)
        if not args.no_real:
            from bench_verdicts import REAL, real_sweeps

            sweeps = real_sweeps()[: args.limit]
            print(f"\n{len(sweeps)} distinct real sweeps under {REAL}")
            report_real(list(pool.map(evaluate_real, sweeps, chunksize=1)))


if __name__ == "__main__":
    main()
