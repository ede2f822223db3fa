"""Benchmark: echem.eis.lin_kk against impedance.py's Lin-KK (Schönleber's first-M rule).

impedance 1.7.1's ``linKK`` raises NameError on numpy 2, so its building blocks
(``get_tc_distribution`` + ``fit_linKK(..., fit_type="complex")``) are looped the way ``linKK``
does: M = 1, 2, ... until μ < c (0.85). echem scans every M up to 5 per decade and keeps the
smallest with converged residuals and μ < c (see echem.eis.kk).

Spectra: seeded two- and three-arc R∥CPE spectra, 3 MHz–0.1 Hz, 10 points/decade, 0.5 % complex
noise (all KK-valid by construction). Reported: median time per spectrum, median chosen M, median
RMS relative residual at that M, and the share of spectra whose largest residual is below 2 %
(what a "valid" verdict needs).

Usage: ``python benchmarks/bench_kk.py --n 50``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from impedance.validation import fit_linKK, get_tc_distribution

from echem.eis.kk import lin_kk

FREQ_HZ = np.geomspace(3e6, 0.1, 76)


def synthetic(rng: np.random.Generator) -> np.ndarray:
    omega = 2 * np.pi * FREQ_HZ
    z = np.full(FREQ_HZ.size, 10 ** rng.uniform(0, 2), dtype=complex)
    for _ in range(rng.integers(2, 4)):
        R = 10 ** rng.uniform(1, 4)
        tau = 10 ** rng.uniform(-6, 0)
        n = rng.uniform(0.75, 1.0)
        z += R / (1 + (1j * omega * tau) ** n)
    noise = rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size)
    return z + 0.005 * np.abs(z) * noise / np.sqrt(2)


def impedance_py(z: np.ndarray, c: float = 0.85, max_M: int = 50) -> tuple[int, np.ndarray]:
    M, mu = 0, 1.0
    while mu > c and M < max_M:
        M += 1
        ts = get_tc_distribution(FREQ_HZ, M)
        elements, mu = fit_linKK(FREQ_HZ, ts, M, z, "complex", False)
    ts = get_tc_distribution(FREQ_HZ, M)
    omega = 2 * np.pi * FREQ_HZ
    z_fit = elements[0] + sum(
        R / (1 + 1j * omega * t) for R, t in zip(elements[1:-1], ts, strict=True)
    )
    z_fit = z_fit + 1j * omega * elements[-1]
    return M, (z - z_fit) / np.abs(z)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    spectra = [synthetic(rng) for _ in range(args.n)]
    rows = {"echem": [], "impedance.py": []}
    for z in spectra:
        t = time.perf_counter()
        result = lin_kk(FREQ_HZ, z)
        elapsed = time.perf_counter() - t
        residual = result.residuals_real + 1j * result.residuals_imag
        rows["echem"].append((elapsed, result.M, residual))
        t = time.perf_counter()
        M, residual = impedance_py(z)
        rows["impedance.py"].append((time.perf_counter() - t, M, residual))
    for name, data in rows.items():
        times = np.array([d[0] for d in data])
        Ms = np.array([d[1] for d in data])
        rms = np.array([np.sqrt(np.mean(np.abs(d[2]) ** 2)) for d in data])
        worst = np.array([max(np.abs(d[2].real).max(), np.abs(d[2].imag).max()) for d in data])
        print(
            f"{name:13s} median time {1e3 * np.median(times):6.1f} ms  median M {np.median(Ms):4.0f}  "
            f"median rms residual {100 * np.median(rms):5.2f} %  "
            f"max residual < 2 %: {100 * np.mean(worst < 0.02):5.1f} % of {args.n} valid spectra"
        )
    ratio = np.median([d[0] for d in rows["echem"]]) / np.median(
        [d[0] for d in rows["impedance.py"]]
    )
    print(f"time ratio echem / impedance.py: {ratio:.2f}")


if __name__ == "__main__":
    main()
