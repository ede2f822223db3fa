"""echem.eis.fit_many: executors, input forms, one bad spectrum -> a row with its error."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

from echem.eis import FitResult, fit_many
from echem.eis.circuit import Circuit

FREQ = np.logspace(6, -1, 50)
TEXT = "R0-p(R1,CPE1)-p(R2,CPE2)"


def spectrum(r1: float, r2: float) -> tuple[dict, np.ndarray]:
    true = {
        "R0": 10.0,
        "R1": r1,
        "CPE1_Q": 1e-8,
        "CPE1_n": 0.9,
        "R2": r2,
        "CPE2_Q": 1e-5,
        "CPE2_n": 0.8,
    }
    return true, Circuit(TEXT).impedance(FREQ, true)


def inputs():
    (t1, z1), (t2, z2), (t3, z3) = spectrum(100, 1000), spectrum(300, 2000), spectrum(800, 500)
    frame = pd.DataFrame(
        {
            "time_s": 5.0 + np.arange(50),
            "freq_Hz": FREQ,
            "z_real_ohm": z3.real,
            "z_imag_ohm": z3.imag,
        }
    )
    bad = (FREQ, np.where(np.arange(50) == 7, np.nan, z2))
    return [(FREQ, z1), bad, (FREQ, z2), frame], [t1, None, t2, t3]


def check(table: pd.DataFrame, truths: list) -> None:
    names = list(Circuit(TEXT).param_names)
    assert list(table.index) == [0, 1, 2, 3]
    parameters = [c for n in names for c in (n, f"{n}_stderr", f"{n}_determined")]
    per_arc = ("C_F", "f0_Hz", "in_window", "determined", "role", "C_method")
    arcs = [f"CPE{k}_{c}" for k in (1, 2) for c in per_arc]
    assert list(table.columns[: len(parameters) + 3]) == [
        *parameters,
        "chisqr",
        "redchi",
        "success",
    ]
    assert set(arcs) <= set(table.columns) and list(table.columns[-2:]) == ["error", "result"]
    ok = [i for i, true in enumerate(truths) if true is not None]
    assert (
        table.loc[ok, "CPE1_role"] == table.loc[ok, "result"].map(lambda r: r.arcs["role"][0])
    ).all()
    for i, true in enumerate(truths):
        row = table.loc[i]
        if true is None:
            assert row["error"].startswith("DataError:") and "NaN" in row["error"]
            assert row["result"] is None and not row["success"] and np.isnan(row["R1"])
            continue
        assert row["error"] is None and row["success"]
        assert isinstance(row["result"], FitResult)
        for name, value in true.items():
            assert row[name] == pytest.approx(value, rel=1e-6)
            assert row["result"].values[name] == row[name]
    assert table.loc[3, "result"].time_s == 5.0


def test_sequential():
    spectra, truths = inputs()
    check(fit_many(spectra, TEXT, progress=False), truths)


def test_process_pool_with_a_failing_spectrum():
    spectra, truths = inputs()
    with ProcessPoolExecutor(2) as executor:
        table = fit_many(spectra, Circuit(TEXT), executor=executor, progress=True)
    check(table, truths)


def test_fit_options_are_passed():
    spectra, _ = inputs()
    table = fit_many(spectra[:1], TEXT, progress=False, fixed={"R0": 12.0}, weighting="unit")
    assert table.loc[0, "R0"] == 12.0 and table.loc[0, "result"].weighting == "unit"


def test_dask_executor():
    distributed = pytest.importorskip("distributed")
    spectra, truths = inputs()
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
    ) as client:
        table = fit_many(spectra, TEXT, executor=client.get_executor(), progress=False)
    check(table, truths)
