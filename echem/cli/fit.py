"""``echem fit``: fit an equivalent circuit to every impedance sweep of every file.

Writes ``DIR/results.csv`` (one row per spectrum), ``DIR/results.json`` (full FitResults,
reloadable with ``FitResult.from_dict``) and ``DIR/plots/<name>_sweep<k>.png`` (Nyquist, Bode
and residuals; ``--plot-format svg`` or ``pdf`` for vector files, ``--dpi`` for the resolution
of PNGs), where ``<name>`` is the file name, or for a file found in a folder its path
relative to that folder (``cell1/peis.mpr``), so that files of the same name in different
subfolders keep their own plots.

Inputs are files and folders: a folder stands for every file in it (``-r``: in its
subfolders too; hidden files, documents, images, JSON and EC-Lab settings/log files are left
out quietly). A file that cannot be read is reported in one line on stderr and the others go
on; in a folder, a file that no format reads or that holds no impedance sweep is named in
one line as skipped, without counting as a failure. The exit code is 1 when any file,
spectrum or plot failed. When no spectrum is found, nothing is written (and no output folder
is announced).

Each spectrum is fitted, tested (``--kk``), interpreted and drawn in one go, by chunks on the
worker processes (``--jobs N``) or in this process; the plots reuse one figure per chunk
(:mod:`echem.cli._batch`). Workers end with the command (Ctrl-C, SIGTERM), and temporaries
left by a run killed outright are removed by the next run. A progress bar (on a terminal)
covers reading, fitting and plotting, and writing the results.
"""

from __future__ import annotations

import argparse
import json
import math
import textwrap
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd

from echem._atomic import atomic_paths, remove_stale_temporaries
from echem.cli._command import (
    Input,
    add_format_option,
    add_inputs_argument,
    collect_inputs,
    impedance_sweeps,
    number_type,
    out_folder_problem,
    progress,
    report_failure,
    report_input_error,
    report_skipped,
    shown_path,
)

__all__ = [
    "DESCRIPTION",
    "Spectrum",
    "add_arguments",
    "load_spectra",
    "plot_name",
    "results_table",
    "candidates_table",
    "run",
]

#: ``--plot-format``: the file types of the plots (vector SVG and PDF, raster PNG).
PLOT_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

#: ``--dpi`` default: PNG resolution, dots per inch (a batch's quick-look plots; ask for 300,
#: or for SVG/PDF, for print).
DEFAULT_DPI = 120

#: Largest ``--dpi``: matplotlib refuses images wider than 2**16 pixels, and a fit report
#: several inches wide at more than this would be hundreds of megabytes per plot.
MAX_DPI = 1200

#: The weightings of :mod:`echem.eis.weighting` (listed here so that --help stays cheap).
WEIGHTING_NAMES: tuple[str, ...] = ("modulus", "proportional", "unit")

#: The text of ``echem fit --help`` (the presets follow it).
DESCRIPTION = """\
Fit an equivalent circuit to every impedance sweep of every file. Writes
DIR/results.csv (one row per spectrum), DIR/results.json (full results, reloadable)
and DIR/plots/<name>_sweep<k>.png (Nyquist, Bode, residuals; --plot-format svg or pdf
for vector files). Without --circuit or --preset the circuit is chosen per spectrum
from its DRT by BIC and the fit verdicts, and DIR/candidates.csv lists every circuit
tried, its cost and why it was or was not chosen.

A folder stands for every file in it (-r: in its subfolders too); there, a file that
no format reads or that holds no impedance sweep is named as skipped, without failing.
Other failures are one line each on stderr; exit code 1 if any file, spectrum or plot
failed, 2 for a usage error."""

#: ``echem fit --help`` keeps the line breaks of the description and the preset table.
FORMATTER = argparse.RawDescriptionHelpFormatter


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
    name: PurePath | None = None
    plot: Path | None = None

    @property
    def time_s(self) -> float:
        from echem.eis.sweeps import first_time_s

        first = first_time_s(self.frame)
        return math.nan if first is None else first

    @property
    def label(self) -> str:
        return f"{self.path} (sweep {self.sweep})"


#: ``--dpi``: a whole number of dots per inch from 1 to :data:`MAX_DPI`.
_dpi = number_type(lambda value: 1 <= value <= MAX_DPI, f"from 1 to {MAX_DPI}", int)

#: ``--f-min``/``--f-max``: a finite frequency > 0 Hz.
_frequency = number_type(
    lambda value: math.isfinite(value) and value > 0, "a finite frequency > 0 Hz"
)


def _presets_text() -> str:
    """The presets, by name, with their circuit and what they model (for ``--help``)."""
    from echem.eis.roles import PRESETS

    lines = ["presets (--preset NAME):"]
    for name, preset in sorted(PRESETS.items()):
        lines.append(f"  {name}: {preset.circuit}")
        lines += textwrap.wrap(
            preset.description, width=88, initial_indent="      ", subsequent_indent="      "
        )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from echem.eis.roles import PRESETS

    add_inputs_argument(parser)
    model = parser.add_mutually_exclusive_group()  # neither: the automatic choice
    model.add_argument(
        "--circuit",
        help='circuit text, e.g. "R0-p(R1,CPE1)-p(R2,CPE2)" (default: chosen per spectrum)',
    )
    model.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        metavar="NAME",
        help="a named circuit with the roles of its arcs (presets listed below)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("echem-fit"),
        metavar="DIR",
        help="output folder (default echem-fit)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (default 1; at most the cores and the spectra)",
    )
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
    parser.add_argument("--no-plots", action="store_true", help="skip the plot per spectrum")
    parser.add_argument(
        "--plot-format",
        choices=PLOT_FORMATS,
        default="png",
        help="file type of the plots (default png; svg and pdf are vector files)",
    )
    parser.add_argument(
        "--dpi",
        type=_dpi,
        default=DEFAULT_DPI,
        metavar="N",
        help=f"resolution of PNG plots, dots per inch (default {DEFAULT_DPI})",
    )
    add_format_option(parser)
    parser.epilog = _presets_text()


def load_spectra(
    inputs: Sequence[Input | Path],
    format: str | None = None,
    done: Callable[[int], None] = lambda n: None,
) -> tuple[list[Spectrum], list[tuple[Input, Exception]]]:
    """Every EIS sweep of every input, and the inputs that gave none, with the error
    (:class:`~echem.cli._command.NoImpedanceSweep` for a file read without a sweep).

    Parameters
    ----------
    inputs
        Files (:func:`~echem.cli._command.collect_inputs`, or plain paths).
    format
        Force the input format.
    done
        Called with 1 after each input (a progress bar).
    """
    found: list[Spectrum] = []
    failed: list[tuple[Input, Exception]] = []
    for given in inputs:
        item = given if isinstance(given, Input) else Input(Path(given), PurePath(given.name))
        try:
            sweeps = impedance_sweeps(item.path, format)
        except (ValueError, OSError) as error:
            failed.append((item, error))
            done(1)
            continue
        for k, frame in enumerate(sweeps):
            sweep = int(frame.attrs.get("sweep", k))
            found.append(Spectrum(item.path, sweep, frame, name=item.name))
        done(1)
    return found, failed


def _restrict(frame: pd.DataFrame, f_min: float | None, f_max: float | None) -> pd.DataFrame:
    keep = frame["freq_Hz"].notna()
    if f_min is not None:
        keep &= frame["freq_Hz"] >= f_min
    if f_max is not None:
        keep &= frame["freq_Hz"] <= f_max
    return frame[keep]


@contextmanager
def _executor(args: argparse.Namespace, settings: Any, workers: int) -> Iterator[Executor | None]:
    if args.dask:
        from dask.distributed import Client

        with Client(args.dask) as client:
            yield client.get_executor()
    elif workers > 1:
        from echem.cli._batch import local_pool

        with local_pool(workers, settings, plots=not args.no_plots) as pool:
            yield pool
    else:
        yield None


def results_table(
    items: Sequence[Spectrum], preset: str | None = None, circuit: str | None = None
) -> pd.DataFrame:
    """One row per spectrum: file, sweep, time, then :func:`echem.eis.table.result_row`
    (the columns of ``fit_many``/``fit_series``: parameters with stderr and verdict, KK, arcs,
    roles and the series roles of ``preset``), and ``error``. The sweeps of one file are a
    series: their arcs keep one label each (:func:`echem.eis.tracking.track_arcs`). A
    spectrum that could not be fitted has the row :func:`echem.eis.table.failed_row` gives
    (NaN parameters of ``circuit``, ``success`` and ``ok`` False), as in ``fit_many``."""
    from echem.eis import Circuit
    from echem.eis.roles import PRESETS
    from echem.eis.table import failed_row, finish_table, result_row
    from echem.eis.tracking import track_arcs

    series_roles = PRESETS[preset].series_roles if preset in PRESETS else None
    failed_circuit = Circuit(circuit) if circuit not in (None, "auto") else None
    labels: dict[int, dict[str, str]] = {}
    for path in dict.fromkeys(item.path for item in items):
        in_file = [i for i, item in enumerate(items) if item.path == path]
        arcs = [items[i].arcs if items[i].result is not None else None for i in in_file]
        labels.update(zip(in_file, track_arcs(arcs), strict=True))
    rows = []
    for i, item in enumerate(items):
        row: dict[str, Any] = {
            "file": shown_path(item.path),
            "sweep": item.sweep,
            "time_s": item.time_s,
        }
        if item.result is not None:
            row["circuit"] = str(item.result.circuit)
            row.update(
                result_row(
                    item.result,
                    arcs=item.arcs,
                    kk=item.kk,
                    series_roles=series_roles,
                    labels=labels[i] if item.arcs is not None else None,
                )
            )
        else:  # NaN parameters, success and ok False: as fit_many gives a failed fit
            row.update(failed_row(failed_circuit))
            if failed_circuit is not None:
                row["circuit"] = str(failed_circuit)
        row["error"] = item.error
        rows.append(row)
    return finish_table(pd.DataFrame(rows))


def candidates_table(items: Sequence[Spectrum]) -> pd.DataFrame:
    """Every circuit tried by the automatic choice, for every spectrum: ``file``, ``sweep``,
    then the columns of ``FitResult.candidates`` (:mod:`echem.eis.model_choice`)."""
    from echem.eis.model_choice import CANDIDATE_COLUMNS

    frames = [
        item.result.candidates.assign(file=shown_path(item.path), sweep=item.sweep)
        for item in items
        if item.result is not None and item.result.candidates is not None
    ]
    columns = ["file", "sweep", *CANDIDATE_COLUMNS]
    return (
        pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    )


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


def plot_name(item: Spectrum, plot_format: str = "png") -> PurePath:
    """The plot of a spectrum, relative to ``DIR/plots``: ``<name>_sweep<k>.<plot_format>``."""
    name = item.name if item.name is not None else PurePath(item.path.name)
    return name.with_name(f"{name.name}_sweep{item.sweep}.{plot_format}")


def _plan_plots(
    items: Sequence[Spectrum], out: Path, plot_format: str = "png"
) -> list[tuple[Spectrum, str]]:
    """Set each spectrum's plot path; (spectrum, why not) for the plots two inputs of the
    same name (from folders named themselves) would both write: the second has none."""
    claimed: set[Path] = set()
    clashes = []
    for item in items:
        target = out / "plots" / plot_name(item, plot_format)
        if target.resolve() in claimed:
            clashes.append((item, f"output {target} was already written for another input"))
            continue
        claimed.add(target.resolve())
        item.plot = target
    return clashes


def _process(items: list[Spectrum], args: argparse.Namespace, preset: Any, circuit: str) -> int:
    """Fit, test, interpret and draw every spectrum; reports the failures and returns the
    number of plots that failed."""
    from echem.cli._batch import Settings, Task, run_tasks, task_frame, usable_cores

    arc_options: dict[str, Any] = {}
    if preset is not None:
        arc_options = {"roles": preset.roles, "symmetric": preset.symmetric}
    settings = Settings(circuit, args.weighting, args.kk, arc_options, args.dpi)
    tasks = [
        Task(
            task_frame(_restrict(item.frame, args.f_min, args.f_max)),
            f"{shown_path(item.name or item.path.name)} sweep {item.sweep}",
            item.plot,
        )
        for item in items
    ]
    # Local workers: no more than the spectra, nor than the cores this process may use (more
    # would only share them, each with its own interpreter and figure in memory).
    workers = args.jobs if args.dask else max(1, min(args.jobs, len(tasks), usable_cores()))
    stage = "fit" if args.no_plots else "fit + plot"
    with (
        _executor(args, settings, workers) as executor,
        progress(len(tasks), stage, "spectrum") as bar,
    ):
        outcomes = run_tasks(tasks, settings, executor, workers=workers, done=bar.update)
    plot_failures = 0
    for item, outcome in zip(items, outcomes, strict=True):
        item.result, item.error = outcome.result, outcome.error
        item.kk, item.arcs = outcome.kk, outcome.arcs
        if item.error is not None:
            report_failure(item.label, ValueError(item.error))
        for _step, message in outcome.problems:
            report_failure(item.label, ValueError(message))
        if item.result is None or outcome.plot_error is not None:
            item.plot = None
        if outcome.plot_error is not None:
            report_failure(f"{item.label} plot", ValueError(outcome.plot_error))
            plot_failures += 1
    return plot_failures


def _write_outputs(
    items: list[Spectrum],
    args: argparse.Namespace,
    circuit: str,
    done: Callable[[int], None] = lambda n: None,
) -> None:
    """Write results.csv and results.json (both, or neither), and candidates.csv for the
    automatic choice; ``done(1)`` after each table is made (a progress bar)."""
    out: Path = args.out
    table = results_table(items, args.preset, circuit)
    done(1)
    document = {
        "circuit": circuit,
        "weighting": args.weighting,
        "f_range_Hz": [args.f_min, args.f_max],
        "spectra": [
            {
                "file": shown_path(item.path),
                "sweep": item.sweep,
                "time_s": item.time_s,
                "result": None if item.result is None else item.result.to_dict(),
                "kk": _kk_dict(item.kk),
                "error": item.error,
                "plot": None if item.plot is None else item.plot.relative_to(out).as_posix(),
            }
            for item in items
        ],
    }
    # results.csv and results.json describe the same fits: both are replaced, or neither.
    paths = [out / "results.csv", out / "results.json"]
    if circuit == "auto":  # and the circuits tried, beside them
        paths.append(out / "candidates.csv")
    with atomic_paths(paths) as (csv, sidecar, *candidates):
        table.to_csv(csv, index=False)
        sidecar.write_text(json.dumps(_json_safe(document), indent=1), encoding="utf-8")
        done(1)
        if candidates:
            candidates_table(items).to_csv(candidates[0], index=False)
            done(1)


def _resolve_model(args: argparse.Namespace) -> tuple[str, Any]:
    if args.preset is None:
        return (args.circuit if args.circuit is not None else "auto"), None  # model_choice
    from echem.eis.roles import PRESETS

    preset = PRESETS[args.preset]  # argparse took only a preset's name
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
    problem = out_folder_problem(args.out)
    if problem is not None:
        report_failure("--out", ValueError(problem))
        return 2
    inputs, odd = collect_inputs(args.files, recursive=args.recursive, exclude=[args.out])
    for path, reason in odd:
        report_skipped(path, reason)
    with progress(len(inputs), "read", "file") as bar:
        items, unusable = load_spectra(inputs, args.format, bar.update)
    failed = sum(report_input_error(item, error) for item, error in unusable)
    read = f"{len(inputs) - len(unusable)} of {len(inputs)} files"
    if not items:
        print(f"echem fit: no impedance spectrum found in {len(inputs)} files; nothing written")
        return 1
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file in the way, no permission...
        report_failure(out, error)
        return 1
    if not args.no_plots:
        for item, reason in _plan_plots(items, out, args.plot_format):
            report_failure(f"{item.label} plot", ValueError(reason))
            failed += 1
    folders = {out, *(item.plot.parent for item in items if item.plot is not None)}
    for folder in folders:
        remove_stale_temporaries(folder)  # left by a run killed outright
    try:
        failed += _process(items, args, preset, circuit)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM: the workers have been ended...
        for folder in folders:  # ...one killed (after the grace) may have left a plot's
            remove_stale_temporaries(folder)
        raise
    except (ImportError, OSError) as error:  # dask missing, scheduler unreachable
        report_failure("--dask" if args.dask else "--jobs", error)
        return 2
    try:
        with progress(3 if circuit == "auto" else 2, "write", "table") as bar:
            _write_outputs(items, args, circuit, bar.update)
    except OSError as error:  # output folder not writable, disk full...
        report_failure(out, error)
        return 1
    fitted = sum(item.result is not None for item in items)
    print(f"echem fit: {fitted} of {len(items)} spectra fitted from {read} -> {out}")
    if failed or any(item.error for item in items):
        return 1
    return 0
