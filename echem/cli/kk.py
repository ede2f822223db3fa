"""``echem kk``: Lin-KK validity test of every impedance sweep of every file.

Prints one line per sweep: file, sweep, points, M, μ, RMS and largest residual (%), trend (%),
verdict.
With ``--out DIR`` also writes ``DIR/<file stem>_kk.csv`` per file: one row per point with the
measured and KK-model impedance and the relative residuals (written atomically).
A file that cannot be read is reported in one line on stderr and the others go on; the exit code
is 1 when any file failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from echem.cli._command import Command, atomic_path, report_failure

__all__ = ["COMMAND", "kk_file"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="instrument files")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="write CSVs here")
    parser.add_argument("--c", type=float, default=0.85, help="mu cut-off (default 0.85)")
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="largest accepted relative residual (default 0.02)",
    )
    parser.add_argument("--max-M", type=int, default=None, help="largest number of RC elements")


def kk_file(
    path: Path, *, c: float = 0.85, threshold: float | None = None, max_M: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lin-KK of every sweep of one file: (summary, one row per sweep; points, one row per point).

    Raises
    ------
    echem.EchemError (ValueError)
        The file cannot be read, has no impedance sweep, or a sweep is unusable.
    """
    import echem
    from echem.eis.kk import lin_kk
    from echem.eis.sweeps import spectra
    from echem.errors import DataError

    sweeps = spectra(echem.read(path))
    if not sweeps:
        raise DataError(f"{path}: no impedance sweep in the file")
    summary, points = [], []
    for position, frame in enumerate(sweeps):
        sweep = int(frame.attrs.get("sweep", position))
        data = frame[["freq_Hz", "z_real_ohm", "z_imag_ohm"]].apply(pd.to_numeric, errors="coerce")
        data = data.dropna()
        freq = data["freq_Hz"].to_numpy(float)
        z = data["z_real_ohm"].to_numpy(float) + 1j * data["z_imag_ohm"].to_numpy(float)
        try:
            result = lin_kk(freq, z, c=c, threshold=threshold, max_M=max_M)
        except DataError as error:
            raise DataError(f"{path}: sweep {sweep}: {error}") from None
        summary.append(
            {
                "file": str(path),
                "sweep": sweep,
                "points": freq.size,
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
                }
            )
        )
    return pd.DataFrame(summary), pd.concat(points, ignore_index=True)


def _line(row: pd.Series) -> str:
    verdict = "valid" if row["valid"] else "NOT valid"
    return (
        f"{row['file']}\tsweep {row['sweep']}\t{row['points']} points\tM={row['M']}\t"
        f"mu={row['mu']:.3f}\trms residual={100 * row['rms_residual']:.2f} %\t"
        f"max residual={100 * row['max_residual']:.2f} %\t"
        f"trend={100 * row['trend']:.2f} %\t{verdict}"
    )


def run(args: argparse.Namespace) -> int:
    failed = False
    for path in args.files:
        try:
            summary, points = kk_file(path, c=args.c, threshold=args.threshold, max_M=args.max_M)
            if args.out is not None:
                with atomic_path(Path(args.out) / f"{Path(path).stem}_kk.csv") as temporary:
                    points.to_csv(temporary, index=False)
        except (ValueError, OSError) as error:
            report_failure(path, error)
            failed = True
            continue
        for _, row in summary.iterrows():
            print(_line(row))
        sys.stdout.flush()
    return 1 if failed else 0


COMMAND = Command(
    name="kk",
    help="Lin-KK validity test of every impedance sweep",
    description=(
        "Lin-KK (Schönleber et al. 2014) test of every EIS sweep of every file: number of RC "
        "elements M, mu, largest relative residual, trend and verdict."
    ),
    add_arguments=add_arguments,
    run=run,
)
