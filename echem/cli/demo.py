"""``echem demo``: the seed workflow on the bundled operando dataset (see :mod:`echem.demo`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from echem.cli._command import report_failure

__all__ = ["DESCRIPTION", "add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, default=Path("echem-demo"), help="output folder (default echem-demo)"
    )


def run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from echem.demo import FIGURES, run_demo

    try:
        result = run_demo(args.out)
    except (ValueError, OSError) as error:
        report_failure(args.out, error)
        return 1
    print(result.summary())
    written = [*FIGURES.values(), *result.tables]
    print(f"wrote {len(written)} files to {args.out}: {', '.join(sorted(written))}")
    return 0


#: The text of ``echem demo --help``.
DESCRIPTION = (
    "Read the bundled operando dataset (plating record, impedance sweeps, CT volumes), fit "
    "the impedance series, detect the short circuit, integrate the charge, compare with CT, "
    "and write fig2a_voltage.png, fig2d_ct_volume.png, fig3c_resistances.png and CSV tables."
)
