"""``echem fit``: fit an equivalent circuit to every impedance sweep of every file.

Writes ``DIR/results.csv`` (one row per spectrum), ``DIR/results.json`` (full FitResults,
reloadable with ``FitResult.from_dict``) and ``DIR/plots/<file>_sweep<k>.png``.
A file that cannot be read is reported in one line on stderr; the others go on; the exit
code is 1 when any file or spectrum failed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem._atomic import atomic_paths
from echem.cli._command import Command, distinct_files, number_type, report_failure

__all__ = ["COMMAND", "Spectrum", "load_spectra", "results_table"]

#: The weightings of :mod:`echem.eis.weighting` (listed here so that --help stays cheap).
WEIGHTING_NAMES: tuple[str, ...] = ("modulus", "proportional", "unit")


@dataclass
class Spectrum:
    """One impedance sweep of one file, and what became of it."""

    path: Path
    sweep: int
    frame: pd.DataFrame
    result: Any = None
    error: str | None = None
    kk: Any = None
    arcs: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def time_s(self) -> float:
        from echem.eis.sweeps import first_time_s

        first = first_time_s(self.frame)
        return math.nan if first is None else first

    @property
    def label(self) -> str:
        return f"{self.path} (sweep {self.sweep})"


#: ``--f-min``/``--f-max``: a finite frequency > 0 Hz.
_frequency = number_type(
    lambda value: math.isfinite(value) and value > 0, "a finite frequency > 0 Hz"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="instrument files")
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument("--circuit", help='circuit text, e.g. "R0-p(R1,CPE1)-p(R2,CPE2)"')
    model.add_argument(
        "--preset",
        help="named circuit with its arc roles (e.g. li-sse-symmetric); see echem.eis.roles.PRESETS",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("echem-fit"), help="output folder (default echem-fit)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--weighting",
        default="modulus",
        choices=WEIGHTING_NAMES,
        help="residual weighting (default modulus)",
    )
    parser.add_argument("--kk", action="store_true", help="Lin-KK check every spectrum")
    parser.add_argument(
        "--f-min", type=_frequency, default=None, metavar="HZ", help="lowest frequency, Hz"
    )
    parser.add_argument(
        "--f-max", type=_frequency, default=None, metavar="HZ", help="highest frequency, Hz"
    )
    parser.add_argument(
        "--dask", default=None, metavar="ADDRESS", help="fit on a dask.distributed scheduler"
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG per spectrum")


def load_spectra(paths: Sequence[Path]) -> tuple[list[Spectrum], list[tuple[Path, Exception]]]:
    """Every EIS sweep of every file, and the files that failed (with their error)."""
    import echem
    from echem.eis import spectra

    found: list[Spectrum] = []
    failed: list[tuple[Path, Exception]] = []
    for path in paths:
        try:
            sweeps = spectra(echem.read(path))
            if not sweeps:
                raise echem.DataError("no impedance sweep in the file")
        except (ValueError, OSError) as error:
            failed.append((path, error))
            continue
        for k, frame in enumerate(sweeps):
            found.append(Spectrum(path, int(frame.attrs.get("sweep", k)), frame))
    return found, failed


def _restrict(frame: pd.DataFrame, f_min: float | None, f_max: float | None) -> pd.DataFrame:
    keep = frame["freq_Hz"].notna()
    if f_min is not None:
        keep &= frame["freq_Hz"] >= f_min
    if f_max is not None:
        keep &= frame["freq_Hz"] <= f_max
    return frame[keep]


@contextmanager
def _executor(args: argparse.Namespace) -> Iterator[Executor | None]:
    if args.dask:
        from dask.distributed import Client

        with Client(args.dask) as client:
            yield client.get_executor()
    elif args.jobs > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            yield pool
    else:
        yield None


def results_table(items: Sequence[Spectrum], preset: str | None = None) -> pd.DataFrame:
    """One row per spectrum: file, sweep, time, then :func:`echem.eis.table.result_row`
    (the columns of ``fit_many``/``fit_series``: parameters with stderr and verdict, KK, arcs,
    roles and the series roles of ``preset``), and ``error``. The sweeps of one file are a
    series: their arcs keep one label each (:func:`echem.eis.tracking.track_arcs`)."""
    from echem.eis.roles import PRESETS
    from echem.eis.table import finish_table, result_row
    from echem.eis.tracking import track_arcs

    series_roles = PRESETS[preset].series_roles if preset in PRESETS else None
    labels: dict[int, dict[str, str]] = {}
    for path in dict.fromkeys(item.path for item in items):
        in_file = [i for i, item in enumerate(items) if item.path == path]
        arcs = [items[i].arcs if items[i].result is not None else None for i in in_file]
        labels.update(zip(in_file, track_arcs(arcs), strict=True))
    rows = []
    for i, item in enumerate(items):
        row: dict[str, Any] = {"file": str(item.path), "sweep": item.sweep, "time_s": item.time_s}
        if item.result is not None:
            row.update(
                result_row(
                    item.result,
                    arcs=item.arcs,
                    kk=item.kk,
                    series_roles=series_roles,
                    labels=labels[i] if item.arcs is not None else None,
                )
            )
        row["error"] = item.error
        rows.append(row)
    return finish_table(pd.DataFrame(rows))


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _kk_dict(kk: Any) -> dict[str, Any] | None:
    if kk is None:
        return None
    return {
        "valid": bool(kk.valid),
        "M": int(kk.M),
        "mu": float(kk.mu),
        "pseudo_chisqr": float(kk.pseudo_chisqr),
        "max_residual": float(kk.max_residual),
        "threshold": float(kk.threshold),
    }


def _plot_name(item: Spectrum) -> str:
    return f"{item.path.name}_sweep{item.sweep}.png"


def _fit_all(
    items: list[Spectrum], args: argparse.Namespace, circuit: str, executor: Executor | None
) -> None:
    from echem.eis import fit_many

    frames = [_restrict(item.frame, args.f_min, args.f_max) for item in items]
    table = fit_many(
        frames,
        circuit,
        executor=executor,
        progress=sys.stderr.isatty(),
        weighting=args.weighting,
    )
    for position, item in enumerate(items):
        row = table.loc[position]
        item.result = row["result"]
        error = row["error"]
        item.error = (
            None
            if error is None or (isinstance(error, float) and math.isnan(error))
            else str(error)
        )
        if item.result is None and item.error is None:
            item.error = "fit failed"


def _interpret(items: list[Spectrum], args: argparse.Namespace, preset: Any) -> None:
    from echem.eis import lin_kk
    from echem.eis.sweeps import impedance_points

    arc_options: dict[str, Any] = {}
    if preset is not None:
        arc_options = {"roles": preset.roles, "symmetric": preset.symmetric}
    for item in items:
        if args.kk:
            freq, z, _ = impedance_points(_restrict(item.frame, args.f_min, args.f_max))
            try:
                item.kk = lin_kk(freq, z)
            except ValueError as error:
                report_failure(item.label, error)
        if item.result is not None:
            try:
                item.arcs = item.result.arcs if not arc_options else _arcs(item.result, arc_options)
            except ValueError as error:
                report_failure(item.label, error)


def _arcs(result: Any, options: dict[str, Any]) -> pd.DataFrame:
    from echem.eis.arc_table import arcs

    return arcs(result, **options)


def _write_outputs(
    items: list[Spectrum], args: argparse.Namespace, circuit: str, executor: Executor | None
) -> int:
    """Write results.csv, results.json and the plots; returns the number of failed plots."""
    out: Path = args.out
    table = results_table(items, args.preset)
    document = {
        "circuit": circuit,
        "weighting": args.weighting,
        "f_range_Hz": [args.f_min, args.f_max],
        "spectra": [
            {
                "file": str(item.path),
                "sweep": item.sweep,
                "time_s": item.time_s,
                "result": None if item.result is None else item.result.to_dict(),
                "kk": _kk_dict(item.kk),
                "error": item.error,
                "plot": None
                if args.no_plots or item.result is None
                else f"plots/{_plot_name(item)}",
            }
            for item in items
        ],
    }
    # results.csv and results.json describe the same fits: both are replaced, or neither.
    with atomic_paths([out / "results.csv", out / "results.json"]) as (csv, sidecar):
        table.to_csv(csv, index=False)
        sidecar.write_text(json.dumps(_json_safe(document), indent=1), encoding="utf-8")
    if args.no_plots:
        return 0
    jobs = [
        (
            item,
            (
                item.result,
                item.kk,
                f"{item.path.name} sweep {item.sweep}",
                out / "plots" / _plot_name(item),
            ),
        )
        for item in items
        if item.result is not None
    ]
    failures = 0
    if executor is None:
        outcomes = [_attempt(render_report, *job) for _, job in jobs]
    else:
        futures = [executor.submit(_attempt, render_report, *job) for _, job in jobs]
        outcomes = [future.result() for future in futures]
    for (item, _), error in zip(jobs, outcomes, strict=True):
        if error is not None:
            report_failure(f"{item.label} plot", ValueError(error))
            failures += 1
    return failures


def _attempt(function: Any, *args: Any) -> str | None:
    """Run ``function(*args)``; the error message instead of an exception (for pools)."""
    try:
        function(*args)
    except Exception as error:  # noqa: BLE001 - reported as one line by the caller
        return f"{type(error).__name__}: {error}"
    return None


def render_report(result: Any, kk: Any, title: str, path: Path) -> Path:
    """Draw :func:`echem.plot.fit_report` for one spectrum and write it to ``path`` (PNG).

    A module-level function so that process pools and dask workers can run it.
    """
    import matplotlib

    matplotlib.use("Agg")
    from echem import plot

    figure = plot.fit_report(result, kk=kk)
    figure.suptitle(f"{title}   {figure.get_suptitle()}", fontsize="medium")
    return plot.save(figure, path)


def _resolve_model(args: argparse.Namespace) -> tuple[str, Any]:
    if args.preset is None:
        return args.circuit, None
    from echem import DataError
    from echem.eis.roles import PRESETS

    if args.preset not in PRESETS:
        raise DataError(f"unknown preset {args.preset!r}; presets: {', '.join(sorted(PRESETS))}")
    preset = PRESETS[args.preset]
    return preset.circuit, preset


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        report_failure("--jobs", ValueError(f"must be at least 1, got {args.jobs}"))
        return 2
    if args.f_min is not None and args.f_max is not None and args.f_min > args.f_max:
        report_failure(
            "--f-min", ValueError(f"{args.f_min:g} Hz is above --f-max {args.f_max:g} Hz")
        )
        return 2
    try:
        circuit, preset = _resolve_model(args)
        if args.circuit is not None:
            from echem.eis import Circuit

            circuit = str(Circuit(args.circuit))
    except ValueError as error:
        report_failure("--circuit" if args.circuit is not None else "--preset", error)
        return 2
    files = distinct_files(args.files)  # a file named twice is fitted once
    items, failed = load_spectra(files)
    plot_failures = 0
    for path, error in failed:
        report_failure(path, error)
    if items:
        try:
            with _executor(args) as executor:
                _fit_all(items, args, circuit, executor)
                for item in items:
                    if item.error is not None:
                        report_failure(item.label, ValueError(item.error))
                _interpret(items, args, preset)
                try:
                    plot_failures = _write_outputs(items, args, circuit, executor)
                except OSError as error:  # output folder not writable, disk full...
                    report_failure(args.out, error)
                    return 1
        except (ImportError, OSError) as error:  # dask missing, scheduler unreachable
            report_failure("--dask" if args.dask else "--jobs", error)
            return 2
    fitted = sum(item.result is not None for item in items)
    print(
        f"echem fit: {fitted} of {len(items)} spectra fitted from "
        f"{len(files) - len(failed)} of {len(files)} files -> {args.out}"
    )
    if failed or plot_failures or any(item.error for item in items) or not items:
        return 1
    return 0


COMMAND = Command(
    name="fit",
    help="fit an equivalent circuit to every impedance sweep of every file",
    add_arguments=add_arguments,
    run=run,
    description=__doc__,
)
