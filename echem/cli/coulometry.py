"""``echem coulometry FILE --area CM2 [--ct volumes.csv] [--imaged-area CM2] [--out DIR]``.

Prints the charge passed (magnitude and direction), the short-circuit time, the Li
equivalent (moles, volume, thickness), logging gaps and the cross-check against the
instrument's charge column; with ``--ct``, the Faradaic vs CT volume table. With
``--out``, writes ``<file name>_charge_steps.csv``, ``<file name>_gaps.csv``,
``<file name>_cumulative_charge.csv`` (and ``<file name>_ct_comparison.csv``), each
atomically (the whole input name, e.g. ``cp.mpr_gaps.csv``, as every echem output).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from echem._atomic import atomic_paths
from echem.cli._command import (
    add_format_option,
    number_type,
    out_folder_problem,
    report_failure,
)
from echem.io.area import ElectrodeArea, electrode_area

__all__ = ["DESCRIPTION", "add_arguments", "run", "electrode_area_cm2"]


def electrode_area_cm2(df: pd.DataFrame) -> float | None:
    """The electrode area the file's header states, cm^2 (None when it does not): the
    rule of :func:`echem.io.area.electrode_area`."""
    return electrode_area(df).cm2


#: A finite number (NaN or infinity is a usage error, exit 2).
_finite = number_type(math.isfinite, "a finite number")

#: An area, cm^2: a finite number > 0 (else a usage error, exit 2; 0 or a negative area was
#: a failure of the file, exit 1, as if the file were at fault).
_area = number_type(lambda value: math.isfinite(value) and value > 0, "a finite number > 0")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="galvanostatic record (any supported format)")
    parser.add_argument(
        "--area",
        type=_area,
        default=None,
        metavar="CM2",
        help="electrode area, cm^2 (default: the area in the file's header, if any)",
    )
    parser.add_argument("--ct", default=None, metavar="CSV", help="CT time-volume table")
    parser.add_argument(
        "--imaged-area",
        type=_area,
        default=None,
        metavar="CM2",
        help="area CT imaged, cm^2 (default: the table's imaged_area_cm2, else --area)",
    )
    parser.add_argument(
        "--ct-time-reference",
        choices=("start", "middle", "end"),
        default=None,
        help="what the CT times stand for (default: the table's '# time_reference')",
    )
    parser.add_argument(
        "--scan-duration", type=_finite, default=None, metavar="S", help="CT scan duration, s"
    )
    parser.add_argument(
        "--no-stop-at-short",
        action="store_true",
        help="integrate past a detected short circuit (default: stop there)",
    )
    add_format_option(parser)
    parser.add_argument("--out", default=None, metavar="DIR", help="write CSV tables here")


def _write_tables(tables: Mapping[str, pd.DataFrame], out: Path, prefix: str) -> None:
    """``out/<prefix>_<name>.csv`` per table, all replaced together or none."""
    targets = [out / f"{prefix}_{name}.csv" for name in tables]
    with atomic_paths(targets) as temporaries:
        for frame, temporary in zip(tables.values(), temporaries, strict=True):
            frame.to_csv(temporary, index=False)


def run(args: argparse.Namespace) -> int:
    from echem.coulometry import cumulative_charge, integrate
    from echem.ct import compare_ct, read_volumes
    from echem.io import read

    problem = out_folder_problem(args.out)
    if problem is not None:
        report_failure("--out", ValueError(problem))
        return 2
    try:
        df = read(args.file, format=args.format)
    except (ValueError, OSError) as error:
        report_failure(args.file, error)
        return 1
    try:
        if args.area is not None and not (math.isfinite(args.area) and args.area > 0):
            raise ValueError(f"--area must be a finite positive number, got {args.area:g}")
        stated = electrode_area(df, args.area)
        if stated.cm2 is None:
            raise ValueError("no electrode area: pass --area CM2 (the header does not state it)")
        area = stated.cm2
        result = integrate(df, stop_at_short=not args.no_stop_at_short)
        cumulative = pd.DataFrame(
            {"time_s": df["time_s"], "cumulative_charge_C": cumulative_charge(df)}
        )
    except (ValueError, OSError) as error:
        report_failure(args.file, error)
        return 1
    comparison = None
    if args.ct is not None:
        try:
            volumes = read_volumes(
                args.ct,
                time_reference=args.ct_time_reference,
                scan_duration_s=args.scan_duration,
            )
            comparison = compare_ct(
                df,
                volumes,
                area_cm2=area,
                imaged_area_cm2=args.imaged_area,
                stop_at_short=not args.no_stop_at_short,
            )
        except (ValueError, OSError) as error:
            report_failure(args.ct, error)
            return 1
    print(f"{args.file}: electrode area {area:g} cm2 ({_area_origin(stated)})")
    print(result.summary(area))
    if comparison is not None:
        print(_comparison_text(comparison))
    if args.out is not None:
        out = Path(args.out)
        prefix = Path(args.file).name
        tables: dict[str, Any] = {
            "charge_steps": result.steps,
            "gaps": result.gaps,
            "cumulative_charge": cumulative,
        }
        if comparison is not None:
            tables["ct_comparison"] = comparison
        try:
            _write_tables(tables, out, prefix)
        except OSError as error:
            report_failure(out, error)
            return 1
        print(f"wrote {len(tables)} tables to {out}")
    return 0


def _area_origin(area: ElectrodeArea) -> str:
    """Where the area comes from, in words, with its note."""
    origin = "--area" if area.source == "argument" else "from the file's header"
    return f"{origin}; {area.note}" if area.note else origin


def _comparison_text(table: pd.DataFrame) -> str:
    lines = [
        f"CT vs Faradaic Li volume (basis {table.attrs['basis_area_cm2']:g} cm2,"
        f" {table.attrs['basis']}; {table.attrs['reaction']},"
        f" products/electrolyte x{table.attrs['volume_ratio']:.3f}):",
        "  time_h   charge_C   theory_um3       ct_um3  ct/theory  products_um3",
    ]
    for row in table.itertuples():
        lines.append(
            f"  {row.time_h:6.3f} {row.charge_C:10.5g} {row.theory_volume_cm3 * 1e12:12.6g}"
            f" {row.ct_volume_cm3 * 1e12:12.6g} {row.ct_to_theory:10.3f}"
            f" {row.products_cm3 * 1e12:13.6g}"
        )
    return "\n".join(lines)


#: The text of ``echem coulometry --help``.
DESCRIPTION = __doc__.split("\n\n", 1)[1] if __doc__ else None
