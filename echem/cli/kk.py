"""``echem kk PATH...``: Lin-KK validity test of every impedance sweep of every file.

Prints one line per sweep (tab-separated): file, sweep (0-based, as :func:`echem.eis.spectra`
numbers them), points, M, μ, RMS and largest relative residual (%), trend (%), verdict.
The test is :func:`echem.eis.lin_kk` (Schönleber, Klotz & Ivers-Tiffée, Electrochim. Acta 131
(2014) 20).

With ``--out DIR`` also writes ``DIR/<file name>_kk.csv`` per file (``peis.mpr_kk.csv``: the
whole name, as every echem output, so that twins such as ``peis.mpr`` and ``peis.mpt`` never
collide): one row per point with the measured and KK-model impedance (Ω) and the relative
residuals, written atomically. A file found in a folder named on the command line writes
``DIR/<path relative to that folder>_kk.csv`` (``cell1/peis.mpr_kk.csv``). Two inputs with
the same name from different folders named themselves would write the same output: the
second fails alone.

A folder stands for every file in it (``-r``: in its subfolders too); there, a file that no
format reads or that holds no impedance sweep is named in one line as skipped, without
failing the command. A file that cannot be read or holds no impedance sweep is reported in
one line on stderr and the others go on; so is a single sweep that cannot be tested (e.g. an interrupted last sweep
with fewer than 5 points), the file's other sweeps being printed and written. The exit code is
1 when anything failed, 2 for a usage error (bad option value).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from echem.cli._command import (
    Input,
    add_format_option,
    add_inputs_argument,
    atomic_path,
    collect_inputs,
    impedance_sweeps,
    number_type,
    out_folder_problem,
    report_failure,
    report_input_error,
    report_skipped,
    shown_path,
)

__all__ = ["DESCRIPTION", "KKFile", "POINT_COLUMNS", "add_arguments", "kk_file", "line", "run"]

#: Columns of the per-point table, in order.
POINT_COLUMNS: tuple[str, ...] = (
    "sweep",
    "freq_Hz",
    "z_real_ohm",
    "z_imag_ohm",
    "z_fit_real_ohm",
    "z_fit_imag_ohm",
    "residual_real",
    "residual_imag",
)


@dataclass(frozen=True)
class KKFile:
    """Lin-KK of every sweep of one file.

    Attributes
    ----------
    summary
        One row per tested sweep: file, sweep, points, left_out (rows of the sweep whose
        frequency or impedance is not a finite number: not tested), M, mu, rms_residual,
        max_residual, trend (relative, dimensionless), valid.
    points
        One row per point of the tested sweeps (:data:`POINT_COLUMNS`; impedances in Ω,
        residuals relative to |Z|).
    failures
        (sweep, error) for each sweep that could not be tested.
    """

    summary: pd.DataFrame
    points: pd.DataFrame
    failures: list[tuple[int, ValueError]] = field(default_factory=list)


def kk_file(
    path: Path,
    *,
    c: float = 0.85,
    threshold: float | None = None,
    max_M: int | None = None,
    format: str | None = None,
) -> KKFile:
    """Lin-KK test of every impedance sweep of one file.

    Parameters
    ----------
    path
        An instrument file (any format :func:`echem.read` knows).
    c, threshold, max_M
        Passed to :func:`echem.eis.lin_kk` (μ cut-off; residual scale, default 0.02; largest
        number of RC elements).
    format
        Force the input format.

    Returns
    -------
    KKFile
        Sweeps are split by :func:`echem.eis.spectra`; rows whose frequency or impedance is
        not a finite number are left out of a sweep before the test.

    Raises
    ------
    echem.EchemError (ValueError)
        The file cannot be read, has no impedance sweep (:class:`NoImpedanceSweep`, a
        :class:`echem.DataError`), or none of its sweeps can be tested (the error names the
        first failing sweep).
    OSError
        The file cannot be opened.
    """
    from echem.eis.kk import lin_kk
    from echem.eis.sweeps import impedance_points
    from echem.errors import DataError

    sweeps = impedance_sweeps(path, format)
    summary, points, failures = [], [], []
    for position, frame in enumerate(sweeps):
        sweep = int(frame.attrs.get("sweep", position))
        freq, z, left_out = impedance_points(frame)
        try:
            result = lin_kk(freq, z, c=c, threshold=threshold, max_M=max_M)
        except DataError as error:
            failures.append((sweep, error))
            continue
        summary.append(
            {
                "file": shown_path(path),
                "sweep": sweep,
                "points": freq.size,
                "left_out": left_out,
                "M": result.M,
                "mu": result.mu,
                "rms_residual": result.rms_residual,
                "max_residual": result.max_residual,
                "trend": result.trend,
                "valid": result.valid,
            }
        )
        points.append(
            pd.DataFrame(
                {
                    "sweep": sweep,
                    "freq_Hz": freq,
                    "z_real_ohm": z.real,
                    "z_imag_ohm": z.imag,
                    "z_fit_real_ohm": result.z_fit.real,
                    "z_fit_imag_ohm": result.z_fit.imag,
                    "residual_real": result.residuals_real,
                    "residual_imag": result.residuals_imag,
                },
                columns=list(POINT_COLUMNS),
            )
        )
    if not summary:
        sweep, error = failures[0]
        raise DataError(f"sweep {sweep}: {error}")
    return KKFile(pd.DataFrame(summary), pd.concat(points, ignore_index=True), failures)


def line(row: pd.Series) -> str:
    """The printed line of one sweep (a row of :attr:`KKFile.summary`)."""
    verdict = "valid" if row["valid"] else "NOT valid"
    return (
        f"{row['file']}\tsweep {row['sweep']}\t{row['points']} points\tM={row['M']}\t"
        f"mu={row['mu']:.3f}\trms residual={100 * row['rms_residual']:.2f} %\t"
        f"max residual={100 * row['max_residual']:.2f} %\t"
        f"trend={100 * row['trend']:.2f} %\t{verdict}"
        + (f"\t({row['left_out']} points left out: not a finite number)" if row["left_out"] else "")
    )


def _positive(kind: type[float] | type[int]) -> Callable[[str], float]:
    """argparse ``type``: a finite number > 0 of the given kind (else a usage error, exit 2)."""
    return number_type(
        lambda value: math.isfinite(value) and value > 0, "a finite positive number", kind
    )


#: ``--c``: a number from 0 to 1, as :func:`echem.eis.kk.lin_kk` takes its mu cut-off.
_fraction = number_type(lambda value: 0.0 <= value <= 1.0, "a number from 0 to 1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``echem kk``."""
    add_inputs_argument(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="write DIR/<file name>_kk.csv per file",
    )
    parser.add_argument(
        "--c", type=_fraction, default=0.85, help="mu cut-off, from 0 to 1 (default 0.85)"
    )
    parser.add_argument(
        "--threshold",
        type=_positive(float),
        default=None,
        help="residual scale of the verdict: RMS and trend within half of it (default 0.02)",
    )
    parser.add_argument(
        "--max-M",
        type=_positive(int),
        default=None,
        help="largest number of RC elements (default: 5 per decade)",
    )
    add_format_option(parser)


def _output_path(out_dir: Path, item: Input, claimed: set[Path]) -> Path:
    """``out_dir/<input name>_kk.csv`` (:attr:`Input.name`: the file name, or the path
    relative to the folder it was found in).

    Raises
    ------
    echem.EchemError
        Another input of this run already wrote that name (same file name in two folders).
    """
    from echem.errors import EchemError

    target = out_dir / f"{item.name}_kk.csv"
    if target.resolve() in claimed:
        raise EchemError(f"output {target} was already written for another input of this run")
    return target


def run(args: argparse.Namespace) -> int:
    """Run ``echem kk``; 0 when every sweep of every file was tested, else 1."""
    problem = out_folder_problem(args.out)
    if problem is not None:
        report_failure("--out", ValueError(problem))
        return 2
    inputs, skipped = collect_inputs(
        args.files, recursive=args.recursive, exclude=[args.out] if args.out else []
    )
    for path, reason in skipped:
        report_skipped(path, reason)
    failed = not inputs
    claimed: set[Path] = set()
    for item in inputs:
        try:
            result = kk_file(
                item.path, c=args.c, threshold=args.threshold, max_M=args.max_M, format=args.format
            )
            if args.out is not None:
                target = _output_path(Path(args.out), item, claimed)
                with atomic_path(target) as temporary:
                    result.points.to_csv(temporary, index=False)
                claimed.add(target.resolve())
        except (ValueError, OSError) as error:
            failed |= report_input_error(item, error)
            continue
        for _, row in result.summary.iterrows():
            print(line(row))
        sys.stdout.flush()
        for sweep, error in result.failures:
            report_failure(f"{item.path}: sweep {sweep}", error)
            failed = True
    return 1 if failed else 0


#: The text of ``echem kk --help``.
DESCRIPTION = (
    "Lin-KK (Schönleber et al. 2014) test of every EIS sweep of every file: number of RC "
    "elements M, mu, relative residuals, trend and verdict, one line per sweep. A folder "
    "stands for the files in it (-r: in its subfolders too); there, a file that no format "
    "reads or that holds no impedance sweep is named as skipped, without failing the command."
)
