"""``echem fit`` on a folder of spectra: wall time with and without plots, on 1 and 2 cores.

Makes N synthetic impedance spectra (two R||CPE arcs after a series resistor, 0.5 % noise,
parameters varied per file; impedance.py's headerless ``freq, Z', Z''`` CSV layout), then
runs ``echem fit`` on them as a user would (a fresh process each time), with and without
plots, with ``--jobs 1`` and ``--jobs 2``, each ``--repeat`` times, and prints the times side
by side with their spread (the machine may be shared: look at min and max, not only the
median), the CPU time the run took in all its processes, and the ratios that matter:

* plots / no plots (the cost of drawing),
* jobs 1 / jobs 2 (how far the second core is used; 2.0 is perfect).

``--baseline TREE`` runs the same commands with another echem source tree first on the
path (e.g. the code before a change: ``git archive <commit> | tar -x -C /tmp/old``), so that
before and after are measured in the same run on the same machine. ``--real FILE`` also
times a real file (e.g. ``../shared/data/real/biologic/geis.mpr``, 61 sweeps).

    python benchmarks/bench_cli_fit.py --n 1000
    python benchmarks/bench_cli_fit.py --n 200 --repeat 5 --baseline /tmp/old
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)"


def zarc(omega: np.ndarray, r: float, q: float, n: float) -> np.ndarray:
    """R || CPE, Ohm (CPE: Z = 1/(Q (j omega)^n))."""
    return r / (1.0 + r * q * (1j * omega) ** n)


def make_spectra(folder: Path, n: int, points: int, seed: int = 0) -> list[Path]:
    """``n`` spectra files ``spectrum_<k>.csv`` (Hz, Ohm, Ohm) in ``folder``."""
    rng = np.random.default_rng(seed)
    freq = np.logspace(6, -1, points)
    omega = 2 * np.pi * freq
    paths = []
    for k in range(n):
        z = (
            rng.uniform(20, 40)
            + zarc(omega, rng.uniform(30, 200), 10 ** rng.uniform(-9, -8), rng.uniform(0.85, 0.95))
            + zarc(omega, rng.uniform(100, 500), 10 ** rng.uniform(-6, -5), rng.uniform(0.75, 0.9))
        )
        z = z + 0.005 * np.abs(z) * (rng.standard_normal(points) + 1j * rng.standard_normal(points))
        path = folder / f"spectrum_{k + 1}.csv"
        np.savetxt(path, np.column_stack([freq, z.real, z.imag]), delimiter=",", fmt="%.10e")
        paths.append(path)
    return paths


def run_once(
    files: list[Path], out: Path, options: list[str], tree: Path | None
) -> tuple[float, float]:
    """One ``echem fit`` in a fresh process: (wall s, CPU s of it and its workers)."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    command = [sys.executable, "-m", "echem", "fit", *map(str, files), "--circuit", CIRCUIT]
    command += ["--out", str(out), *options]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"echem fit failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


Times = dict[tuple[bool, int], tuple[list[float], list[float]]]


def measure(
    files: list[Path],
    scratch: Path,
    repeat: int,
    trees: list[Path | None],
    configs: list[tuple[bool, int]],
    plot_options: str = "",
) -> list[Times]:
    """For each tree, (plots, jobs) -> (wall times, CPU times); trees and configurations
    interleaved within each repeat, so that a change in the machine's load touches all of
    them alike."""
    times: list[Times] = [{c: ([], []) for c in configs} for _ in trees]
    for _ in range(repeat):
        for plots, jobs in configs:
            for tree, tree_times in zip(trees, times, strict=True):
                options = ["--jobs", str(jobs)]
                options += plot_options.split() if plots else ["--no-plots"]
                out = Path(tempfile.mkdtemp(dir=scratch))
                wall, cpu = run_once(files, out, options, tree)
                tree_times[(plots, jobs)][0].append(wall)
                tree_times[(plots, jobs)][1].append(cpu)
    return times


def report(title: str, n: int, times: Times) -> None:
    print(f"\n{title}: {n} spectra")
    print(
        f"  {'':22s} {'median s':>9s} {'min s':>7s} {'max s':>7s} {'CPU s':>7s} {'ms/spectrum':>12s}"
    )
    for (plots, jobs), (walls, cpus) in times.items():
        label = f"{'plots' if plots else 'no plots'}, --jobs {jobs}"
        median = statistics.median(walls)
        print(
            f"  {label:22s} {median:9.2f} {min(walls):7.2f} {max(walls):7.2f}"
            f" {statistics.median(cpus):7.2f} {1000 * median / n:12.1f}"
        )
    med = {key: statistics.median(walls) for key, (walls, _) in times.items()}
    cpu = {key: statistics.median(cpus) for key, (_, cpus) in times.items()}
    for jobs in (1, 2):
        if (True, jobs) in med and (False, jobs) in med:
            print(
                f"  plots / no plots, jobs {jobs}: {med[(True, jobs)] / med[(False, jobs)]:.2f}"
                f" (wall), {cpu[(True, jobs)] / cpu[(False, jobs)]:.2f} (CPU)"
            )
    for plots in (False, True):
        if (plots, 1) in med and (plots, 2) in med:
            print(
                f"  jobs 1 / jobs 2 (2.0 = both cores used), {'plots' if plots else 'no plots'}:"
                f" {med[(plots, 1)] / med[(plots, 2)]:.2f} (wall)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="number of spectra (default 1000)")
    parser.add_argument("--points", type=int, default=50, help="points per spectrum (50)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration (3)")
    parser.add_argument("--baseline", type=Path, default=None, help="echem source tree to compare")
    parser.add_argument("--real", type=Path, default=None, help="also time this real file")
    parser.add_argument(
        "--plots", choices=("both", "yes", "no"), default="both", help="runs with plots (both)"
    )
    parser.add_argument("--jobs", default="1,2", help="--jobs values to run (default 1,2)")
    parser.add_argument(
        "--plot-options", default="", help="extra options of the runs with plots ('--dpi 300')"
    )
    args = parser.parse_args()
    plot_choices = {"both": (False, True), "yes": (True,), "no": (False,)}[args.plots]
    configs = [(p, int(j)) for p in plot_choices for j in args.jobs.split(",")]
    print(f"machine: {os.cpu_count()} cores, load averages {os.getloadavg()} at start")
    with tempfile.TemporaryDirectory(prefix="bench_cli_fit_") as scratch_name:
        scratch = Path(scratch_name)
        data = scratch / "spectra"
        data.mkdir()
        files = make_spectra(data, args.n, args.points)
        inputs = [("synthetic", files, args.n)]
        if args.real is not None:
            import echem
            from echem.eis import spectra

            inputs.append((args.real.name, [args.real], len(spectra(echem.read(args.real)))))
        trees: list[tuple[str, Path | None]] = [("this tree", None)]
        if args.baseline is not None:
            trees.insert(0, (f"baseline {args.baseline}", args.baseline))
        for name, paths, count in inputs:
            measured = measure(
                paths, scratch, args.repeat, [tree for _, tree in trees], configs, args.plot_options
            )
            for (tree_name, _), times in zip(trees, measured, strict=True):
                report(f"{name}, {tree_name}", count, times)
            if len(measured) == 2:
                before, after = (
                    {key: statistics.median(walls) for key, (walls, _) in t.items()}
                    for t in measured
                )
                print(f"  {name}: baseline / this tree (median wall):")
                for key in before:
                    label = f"{'plots' if key[0] else 'no plots'}, --jobs {key[1]}"
                    print(f"    {label:22s} {before[key] / after[key]:.2f}")
    print(f"\nload averages {os.getloadavg()} at the end")


if __name__ == "__main__":
    main()
