"""Fit one circuit to many spectra, in parallel on any :class:`concurrent.futures.Executor`."""

from __future__ import annotations

import pickle
import sys
from collections.abc import Iterable
from concurrent.futures import Executor, as_completed
from typing import Any

import pandas as pd

from .circuit import Circuit
from .fitting import fit
from .interop import is_impedance_py, merged_inputs
from .table import failed_row, finish_table, result_row

__all__ = ["fit_many"]


def _fit_one(spectrum: Any, circuit: Circuit, options: dict[str, Any]) -> tuple[Any, str | None]:
    """Fit one spectrum; (result, None) or (None, "ErrorType: message"). Runs in workers."""
    try:
        if isinstance(spectrum, pd.DataFrame):
            result = fit(spectrum, circuit, **options)
        elif isinstance(spectrum, tuple | list) and len(spectrum) == 2:
            result = fit(spectrum[0], spectrum[1], circuit, **options)
        else:
            raise TypeError(
                f"a spectrum must be a DataFrame or a (freq_Hz, z) tuple, not {type(spectrum).__name__}"
            )
    except Exception as exc:  # noqa: BLE001 - one bad spectrum becomes a row with its error
        return None, f"{type(exc).__name__}: {exc}"
    try:
        pickle.dumps(result.lmfit_result)
    except Exception:  # noqa: BLE001 - the lmfit object is a convenience, the numbers stay
        result.lmfit_result = None
    return result, None


def _progress(total: int, enabled: bool):
    enabled = enabled and sys.stderr.isatty()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        enabled = False
    if not enabled:
        return None
    return tqdm(total=total, desc="fit", unit="spectrum")


def fit_many(
    spectra: Iterable[Any],
    circuit: str | Circuit,
    *,
    executor: Executor | None = None,
    progress: bool = True,
    **fit_options: Any,
) -> pd.DataFrame:
    """Fit ``circuit`` to every spectrum; one row per spectrum, in input order.

    Parameters
    ----------
    spectra
        Canonical frames (``freq_Hz``, ``z_real_ohm``, ``z_imag_ohm``) or ``(freq_Hz, z)``
        tuples (Hz, complex Ω).
    circuit
        Circuit text or :class:`~echem.eis.Circuit`, or ``"auto"`` (chosen per spectrum:
        :mod:`echem.eis.model_choice`).
    executor
        Any :class:`concurrent.futures.Executor` (e.g. ``ProcessPoolExecutor(2)``, or a
        dask.distributed ``Client.get_executor()``); None fits sequentially in this process.
    progress
        Show a tqdm progress bar (only when stderr is a terminal).
    **fit_options
        Passed to :func:`echem.eis.fit` (``weighting``, ``f_range``, ``initial``...).

    Returns
    -------
    DataFrame
        Index = position in ``spectra``; the columns of :func:`echem.eis.table.result_row`
        (each parameter and ``<name>_stderr``, ``chisqr``, ``redchi``, ``success``, the arcs
        with their capacitance and role), then ``error`` (str or None) and ``result`` (the
        :class:`~echem.eis.FitResult` or None). A failing spectrum is a row of NaN with its
        error.
    """
    if is_impedance_py(circuit):  # an impedance.py model: its circuit, values and constants
        model = circuit
        circuit, initial, fixed = merged_inputs(
            model, fit_options.pop("initial", None), fit_options.pop("fixed", None)
        )
        fit_options = {**fit_options, "initial": initial, "fixed": fixed}
    if not (isinstance(circuit, Circuit) or circuit == "auto"):  # "auto": chosen per spectrum
        circuit = Circuit(str(circuit))
    items = list(spectra)
    outcomes: list[tuple[Any, str | None]] = [(None, "not run")] * len(items)
    bar = _progress(len(items), progress)
    try:
        if executor is None:
            for i, spectrum in enumerate(items):
                outcomes[i] = _fit_one(spectrum, circuit, fit_options)
                if bar is not None:
                    bar.update()
        else:
            futures = {
                executor.submit(_fit_one, spectrum, circuit, fit_options): i
                for i, spectrum in enumerate(items)
            }
            for future in as_completed(futures):
                i = futures[future]
                try:
                    outcomes[i] = future.result()
                except Exception as exc:  # noqa: BLE001 - e.g. a worker died
                    outcomes[i] = (None, f"{type(exc).__name__}: {exc}")
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
    return _table(circuit, outcomes)


def _table(circuit: Circuit | str, outcomes: list[tuple[Any, str | None]]) -> pd.DataFrame:
    circuit = circuit if isinstance(circuit, Circuit) else None  # "auto": no columns known
    rows = []
    for result, error in outcomes:
        row = result_row(result) if result is not None else failed_row(circuit)
        row["error"] = error
        row["result"] = result
        rows.append(row)
    table = pd.DataFrame(rows, index=pd.RangeIndex(len(outcomes)))
    first = list(failed_row(circuit))
    rest = [c for c in table.columns if c not in first and c not in ("error", "result")]
    table = table[first + rest + ["error", "result"]]
    # keep None (not NaN) for spectra without error, whatever pandas infers
    table["error"] = pd.Series([e for _, e in outcomes], dtype=object, index=table.index)
    return finish_table(table)
