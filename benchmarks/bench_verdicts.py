"""Benchmark: do echem's verdicts claim only what the data determine? Every real sweep, three circuits.

Every impedance sweep of every file under ``../shared/data/real`` (``echem.read`` then
``echem.eis.spectra``; sweeps with fewer than 10 points left out; identical sweeps of an
``.mpr``/``.mpt`` twin counted once) is fitted with ``R0-p(R1,CPE1)``,
``R0-p(R1,CPE1)-p(R2,CPE2)`` and ``R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)``.

The independent check is a residual bootstrap (Efron & Tibshirani, *An Introduction to the
Bootstrap*, 1993, ch. 9): the relative residuals e = (Z - Ẑ)/|Z| of the fit are resampled with
replacement (real and imaginary parts together) onto the model, Z* = Ẑ + e*·|Ẑ|, and each such
spectrum is fitted again from scratch (the full multistart, its own seed); like blocks of a
refit are first matched to the original's arcs by (log τ, log C) (:func:`align`: two arcs
trading block numbers is not a spread). A CPE's Q is measured, as the verdict judges it, by
the CPE's admittance Q ωᵣⁿ at the fit's reference frequency (``result.referred``). A parameter is
*bootstrap-determined* when the half-width of the 16-84 % range of its refits is at most
``MAX_RELATIVE_STDERR`` (50 %) of its value, the same bar the verdict sets for the linearised
stderr; an arc is bootstrap-determined when its R and its effective capacitance both are. This
check knows nothing of the covariance matrix: multimodal or flat directions show up as a wide
spread whatever the curvature at the optimum says.

Per circuit the table gives, side by side, what echem said *before* the verdicts (lmfit's
``success``; a role for every arc from its capacitance alone) and *now* (``ok``; roles only for
arcs in the window and determined):

- the share of fits called good (success / ok), and how many of those have a parameter the
  bootstrap finds undetermined (the point: this must be 0 for ``ok``);
- the share of arcs with a role, and how many roles sit on bootstrap-undetermined arcs;
- parameters called determined that the bootstrap finds undetermined, and the reverse (the
  verdict being more careful than the bootstrap).

Usage: ``python benchmarks/bench_verdicts.py [--bootstrap 20] [--jobs 2] [--limit N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np

CIRCUITS = (
    "R0-p(R1,CPE1)",
    "R0-p(R1,CPE1)-p(R2,CPE2)",
    "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)",
)
REAL = Path(
    os.environ.get(
        "ECHEM_REAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
    )
)
MIN_POINTS = 10


def real_sweeps() -> list[tuple[str, int, np.ndarray, np.ndarray]]:
    """(file, sweep, freq_Hz, z) of every distinct real sweep with at least MIN_POINTS points."""
    import echem
    from echem.eis import spectra
    from echem.eis.sweeps import impedance_points

    found, seen = [], set()
    for path in sorted(REAL.rglob("*")):
        if not path.is_file() or path.suffix.lower() in (".md", ".json"):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sweeps = spectra(echem.read(path))
        except Exception:  # noqa: BLE001 - not an impedance file (or not readable): skip
            continue
        for k, sweep in enumerate(sweeps):
            freq, z, _ = impedance_points(sweep)
            _, first = np.unique(freq, return_index=True)  # duplicate frequencies: keep the first
            keep = np.sort(first)
            freq, z = freq[keep], z[keep]
            if len(freq) < MIN_POINTS:
                continue
            # an .mpt is the .mpr's table written as text: the same sweep to 4 significant digits
            digits = [f"{v:.4g}" for v in np.concatenate([freq, z.real, z.imag])]
            key = hashlib.sha1(" ".join(digits).encode()).hexdigest()
            if key in seen:
                continue
            seen.add(key)
            found.append((str(path.relative_to(REAL)), k, freq, z))
    return found


def _tau_c(values: np.ndarray, arc) -> tuple[float, float]:
    """(log10 tau, log10 C) of an arc: tau = (RQ)^(1/n), C = tau/R (Hsu-Mansfeld)."""
    r, q = values[arc.resistance], values[arc.capacitance]
    n = 1.0 if arc.exponent is None else values[arc.exponent]
    with np.errstate(all="ignore"):
        tau = (r * q) ** (1 / n)
        return float(np.log10(tau)), float(np.log10(tau / r))


def hsu_mansfeld(values: np.ndarray, arc) -> float:
    """Hsu-Mansfeld effective capacitance (RQ)^(1/n)/R of an arc, F (the arcs table's default)."""
    return float(10 ** _tau_c(values, arc)[1])


def align(circuit, original: np.ndarray, replica: np.ndarray) -> np.ndarray:
    """The replica with its like blocks permuted to match the original's arcs.

    Like p(R,CPE) blocks are interchangeable and numbered by time constant; when an arc of the
    replica lands on the other side of its neighbour, a block-by-name comparison would see a
    swap, not a spread. The blocks are matched to the original's arcs by the assignment that
    minimises the distance in (log tau, log C) (Hungarian method)."""
    from scipy.optimize import linear_sum_assignment

    arcs = circuit.structure.simple_arcs
    if len(arcs) < 2 or not np.all(np.isfinite(replica)):
        return replica
    a = np.array([_tau_c(original, arc) for arc in arcs])
    b = np.array([_tau_c(replica, arc) for arc in arcs])
    cost = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)
    cost = np.where(np.isfinite(cost), cost, 1e9)
    rows, cols = linear_sum_assignment(cost)
    out = replica.copy()
    for i, j in zip(rows, cols, strict=True):
        out[arcs[i].slots] = replica[arcs[j].slots]
    return out


def _spread(samples: np.ndarray, value: float) -> float:
    """Half-width of the 16-84 % range of ``samples`` relative to |value|."""
    finite = samples[np.isfinite(samples)]
    if len(finite) < 0.8 * len(samples) or value == 0 or not np.isfinite(value):
        return np.inf
    low, high = np.percentile(finite, [16, 84])
    return float((high - low) / 2 / abs(value))


def evaluate(job: tuple[str, int, np.ndarray, np.ndarray, str, int]) -> dict:
    """Fit one sweep with one circuit, then the bootstrap refits; the counts of the tables."""
    from echem.eis import fit
    from echem.eis.arc_table import arcs as arcs_table
    from echem.eis.verdict import MAX_RELATIVE_STDERR

    name, sweep, freq, z, circuit, n_boot = job
    warnings.simplefilter("ignore")
    try:
        result = fit(freq, z, circuit)
    except Exception as error:  # noqa: BLE001 - counted as a failed fit
        return {"circuit": circuit, "error": f"{type(error).__name__}: {error}"}
    start = time.perf_counter()
    model = result.predict(freq)
    relative = (z - model) / np.abs(z)
    rng = np.random.default_rng(abs(hash((name, sweep, circuit))) % 2**32)
    names = list(result.values)
    original = np.array([result.values[n] for n in names])
    replicas = []
    for b in range(n_boot):
        z_star = model + relative[rng.integers(0, len(z), len(z))] * np.abs(model)
        try:
            refit = fit(freq, z_star, circuit, seed=b + 1)
        except Exception:  # noqa: BLE001 - a replica that cannot be fitted counts as undetermined
            replicas.append(np.full(len(names), np.nan))
            continue
        replica = np.array([refit.values[n] for n in names])
        replicas.append(align(result.circuit, original, replica))
    replicas = np.array(replicas)
    samples = {n: replicas[:, i] for i, n in enumerate(names)}
    capacitance = {
        arc.capacitor: [hsu_mansfeld(row, arc) for row in replicas]
        for arc in result.circuit.structure.arcs
    }
    references = {}
    for q_name, (f_ref, _) in getattr(result, "referred", {}).items():
        # a CPE's Q is judged by its admittance Q w^n at the frequency where the spectrum
        # fixes it best (echem.eis.verdict.referred): the bootstrap measures the same quantity
        n_name = q_name[: -len("_Q")] + "_n"
        w = 2 * np.pi * f_ref
        samples[q_name] = samples[q_name] * w ** samples[n_name]
        references[q_name] = result.values[q_name] * w ** result.values[n_name]
    boot_ok = {
        n: _spread(np.array(samples[n]), references.get(n, result.values[n])) <= MAX_RELATIVE_STDERR
        for n in names
    }
    table = arcs_table(result)
    before = arcs_table(
        SimpleNamespace(circuit=result.circuit, values=result.values, stderr=result.stderr)
    )
    arcs = []
    for (_, arc), (_, old) in zip(table.iterrows(), before.iterrows(), strict=True):
        c_samples = np.array(capacitance.get(arc["element"], []), dtype=float)
        c_ok = len(c_samples) > 0 and _spread(c_samples, arc["C_F"]) <= MAX_RELATIVE_STDERR
        arcs.append(
            {
                "element": arc["element"],
                "role_now": arc["role"] is not None and arc["role"] == arc["role"],
                "role_before": old["role"] is not None and old["role"] == old["role"],
                "boot_ok": bool(boot_ok[arc["resistor"]] and c_ok),
                "R_spread": _spread(
                    np.array(samples[arc["resistor"]]), result.values[arc["resistor"]]
                ),
                "C_spread": _spread(c_samples, arc["C_F"]) if len(c_samples) else np.inf,
                "R_rel_stderr": arc["R_stderr_ohm"] / arc["R_ohm"],
            }
        )
    return {
        "circuit": circuit,
        "file": name,
        "sweep": sweep,
        "success": bool(result.success),
        "ok": bool(result.ok),
        "determined": {n: bool(result.determined[n]) for n in names},
        "boot_ok": boot_ok,
        "arcs": arcs,
        "problems": result.problems,
        "boot_s": time.perf_counter() - start,
    }


def _share(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / total:.0f} %)" if total else "0/0"


def report(circuit: str, outcomes: list[dict]) -> None:
    fits = [o for o in outcomes if "error" not in o]
    failed = len(outcomes) - len(fits)
    success = [o for o in fits if o["success"]]
    ok = [o for o in fits if o["ok"]]

    def wrongly_good(group: list[dict]) -> int:
        return sum(not all(o["boot_ok"].values()) for o in group)

    arcs = [a for o in fits for a in o["arcs"]]
    params = [(o["determined"][n], o["boot_ok"][n]) for o in fits for n in o["determined"]]
    print(
        f"\n{circuit}: {len(fits)} fits ({failed} failed), bootstrap median "
        f"{np.median([o['boot_s'] for o in fits]):.1f} s per fit"
    )
    rows = [
        ("fits called good", _share(len(success), len(fits)), _share(len(ok), len(fits))),
        (
            "  ... with a bootstrap-undetermined parameter",
            _share(wrongly_good(success), len(success)),
            _share(wrongly_good(ok), len(ok)),
        ),
        (
            "arcs with a role",
            _share(sum(a["role_before"] for a in arcs), len(arcs)),
            _share(sum(a["role_now"] for a in arcs), len(arcs)),
        ),
        (
            "  ... on a bootstrap-undetermined arc",
            _share(
                sum(a["role_before"] and not a["boot_ok"] for a in arcs),
                sum(a["role_before"] for a in arcs),
            ),
            _share(
                sum(a["role_now"] and not a["boot_ok"] for a in arcs),
                sum(a["role_now"] for a in arcs),
            ),
        ),
        (
            "parameters called determined",
            _share(len(params), len(params)),
            _share(sum(d for d, _ in params), len(params)),
        ),
        (
            "  ... bootstrap-undetermined",
            _share(sum(not b for _, b in params), len(params)),
            _share(sum(d and not b for d, b in params), sum(d for d, _ in params)),
        ),
        (
            "bootstrap-determined, called undetermined",
            "-",
            _share(sum(b and not d for d, b in params), sum(b for _, b in params)),
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"  {'':<{width}}  {'before (success, C roles)':>26}  {'now (ok, pinned roles)':>24}")
    for label, old, new in rows:
        print(f"  {label:<{width}}  {old:>26}  {new:>24}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", type=int, default=20, help="refits per fit (default 20)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--limit", type=int, default=None, help="first N sweeps only")
    parser.add_argument("--circuit", action="append", help="only this circuit (repeatable)")
    parser.add_argument("--save", type=Path, default=None, help="pickle the outcomes here")
    args = parser.parse_args()
    sweeps = real_sweeps()[: args.limit]
    files = len({s[0] for s in sweeps})
    print(
        f"{len(sweeps)} distinct sweeps from {files} files under {REAL}; "
        f"{args.bootstrap} bootstrap refits per fit"
    )
    circuits = tuple(args.circuit) if args.circuit else CIRCUITS
    jobs = [(*s, c, args.bootstrap) for c in circuits for s in sweeps]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(evaluate, jobs, chunksize=4))
    print(f"{time.perf_counter() - start:.0f} s on {args.jobs} processes")
    if args.save is not None:
        import pickle

        args.save.write_bytes(pickle.dumps(outcomes))
    for circuit in circuits:
        report(circuit, [o for o in outcomes if o["circuit"] == circuit])
    wrong = [o for o in outcomes if o.get("ok") and not all(o["boot_ok"].values())]
    for o in wrong:
        bad = [n for n, b in o["boot_ok"].items() if not b]
        print(f"ok but bootstrap-undetermined: {o['file']} #{o['sweep']} {o['circuit']}: {bad}")


if __name__ == "__main__":
    main()
