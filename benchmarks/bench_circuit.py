"""Benchmark: evaluating an equivalent circuit, echem vs impedance.py 1.7.1 (same run).

Circuit ``R0-p(R1,CPE1)-p(R2,CPE2)`` (two arcs), 70 frequencies from 3 MHz to 0.1 Hz. Timed:

- echem: ``Circuit(text).compile()`` called as ``f(params, omega)`` (the fit's hot path);
- echem, k parameter sets at once: ``f(params_2d, omega)`` with params of shape (n_params, k),
  reported per parameter set;
- impedance.py: ``circuits.fitting.wrapCircuit(text, {})(freq, *params)`` (what its fitter calls)
  and ``CustomCircuit.predict(freq, use_initial=True)``.

The two results are checked to agree to 1e-10 relative before timing. Best of 5 repeats.

Usage: ``python benchmarks/bench_circuit.py [--k 50]``
"""

from __future__ import annotations

import argparse
import timeit
import warnings

import numpy as np
from impedance.models.circuits import CustomCircuit
from impedance.models.circuits.fitting import wrapCircuit

from echem.eis.circuit import Circuit

TEXT = "R0-p(R1,CPE1)-p(R2,CPE2)"
PARAMS = np.array([12.0, 150.0, 2e-8, 0.92, 900.0, 3e-5, 0.81])
FREQ_HZ = np.geomspace(3e6, 0.1, 70)


def best_time(fn, number: int) -> float:
    """Best mean time per call (s) over 5 repeats."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=50, help="parameter sets evaluated at once")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    omega = 2 * np.pi * FREQ_HZ
    f = Circuit(TEXT).compile()
    wrapped = wrapCircuit(TEXT, {})
    model = CustomCircuit(TEXT, initial_guess=list(PARAMS))

    z = f(PARAMS, omega)
    stacked = wrapped(FREQ_HZ, *PARAMS)
    reference = stacked[: FREQ_HZ.size] + 1j * stacked[FREQ_HZ.size :]
    error = np.max(np.abs(z - reference) / np.abs(reference))
    assert error < 1e-10, error

    sets = PARAMS[:, None] * np.linspace(0.8, 1.2, args.k)[None, :]
    t_echem = best_time(lambda: f(PARAMS, omega), 2000)
    t_batch = best_time(lambda: f(sets, omega), 50) / args.k
    t_wrap = best_time(lambda: wrapped(FREQ_HZ, *PARAMS), 50)
    t_predict = best_time(lambda: model.predict(FREQ_HZ, use_initial=True), 50)

    print(f"circuit {TEXT}, {FREQ_HZ.size} frequencies; max relative difference {error:.1e}")
    print(f"echem compiled f(params, omega)      {t_echem * 1e6:9.1f} µs")
    print(f"echem, {args.k} sets at once (per set)  {t_batch * 1e6:9.1f} µs")
    print(
        f"impedance.py wrapCircuit             {t_wrap * 1e6:9.1f} µs   ratio {t_wrap / t_echem:6.0f}x"
    )
    print(
        f"impedance.py CustomCircuit.predict   {t_predict * 1e6:9.1f} µs   ratio {t_predict / t_echem:6.0f}x"
    )


if __name__ == "__main__":
    main()
