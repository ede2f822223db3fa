"""``echem convert PATH... --to csv|parquet [--out DIR]``: tidy frames to open formats.

Outputs are named after the whole input file name, so that twins such as ``peis.mpr`` and
``peis.mpt`` (or an input ``data.csv`` converted to CSV) never overwrite each other or the
input. For ``peis.mpr`` and ``--to csv``:

``peis.mpr.csv``
    The tidy frame: canonical columns (``time_s``, ``voltage_V``... in SI units) first, then
    every original column under its original name.
``peis.mpr.<TABLE>.csv``
    Each secondary table of the file (Gamry's ``OCVCURVE``...).
``peis.mpr.json``
    The sidecar: ``df.attrs`` (format, technique, source, start_time and the whole nested
    ``metadata``, made JSON-safe), the row count, the columns with their units, and the names
    of the files written.

Parquet (``--to parquet``) needs pyarrow, the optional extra ``echem[parquet]``; it keeps the
column dtypes exactly (float64 canonical columns, int64 cycle/step, the file's own float32 or
integer columns) and carries the attrs too (``pd.read_parquet(...).attrs``). CSV values are
written with pandas' shortest round-trip representation.

The outputs of one input are written to temporary files and renamed into place only when all
of them are complete, so a failure leaves neither a half-written file nor a partial set.
Existing outputs of an earlier run are replaced. Within one run, an output that would
overwrite an input or another input's output (e.g. ``a/peis.mpr`` and ``b/peis.mpr`` with
the same ``--out``) fails that input instead. Outputs go beside the input unless ``--out DIR``
is given.

A folder stands for every file in it (``-r``: in its subfolders too; hidden files, documents,
images and the outputs of an earlier ``echem convert`` listed in their sidecars are left out);
there, a file that no format reads is named in one line as skipped, without failing the
command. With ``--out DIR``, the files of a folder keep their place below it
(``DIR/cell1/peis.mpr.csv`` for ``cell1/peis.mpr``).
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem import __version__
from echem._atomic import atomic_paths
from echem.cli._command import (
    add_format_option,
    add_inputs_argument,
    collect_inputs,
    out_folder_problem,
    report_failure,
    report_input_error,
    report_skipped,
    shown_path,
    shown_text,
)
from echem.errors import EchemError

__all__ = [
    "DESCRIPTION",
    "WRITERS",
    "add_arguments",
    "convert_file",
    "json_safe",
    "output_paths",
    "run",
]


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV with a header line and no index (floats in shortest round-trip form)."""
    frame.to_csv(path, index=False)


def _parquet_column(values: pd.Series) -> pd.Series:
    """A column Parquet can store: object columns of numbers become numbers, other object
    columns (text, mixed) become text."""
    if values.dtype != object:
        return values
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("floating", "integer", "mixed-integer-float"):
        return pd.to_numeric(values)
    if kind in ("boolean", "empty"):
        return values
    return values.astype("string")


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Parquet through pyarrow, column dtypes kept (object columns as in :func:`_parquet_column`)
    and ``frame.attrs`` stored JSON-safe in the file's metadata (``pd.read_parquet`` restores
    them as ``attrs``)."""
    table = pd.DataFrame(
        {str(name): _parquet_column(frame[name]) for name in frame.columns}, copy=False
    )
    # pandas stores attrs in the file as JSON (read back by read_parquet); they must be
    # JSON-safe, else pandas warns and json.dumps raises TypeError.
    table.attrs = json_safe({k: v for k, v in frame.attrs.items() if k != "tables"})
    table.to_parquet(path, index=False, engine="pyarrow")


def _pyarrow_missing() -> str | None:
    """Why ``--to parquet`` cannot work here, or None when pyarrow is importable."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        return "needs pyarrow: pip install 'echem[parquet]'"
    return None


#: Output kind -> (file extension, writer, why it is unavailable or None).
WRITERS: dict[str, tuple[str, Callable[[pd.DataFrame, Path], None], Callable[[], str | None]]] = {
    "csv": (".csv", _write_csv, lambda: None),
    "parquet": (".parquet", _write_parquet, _pyarrow_missing),
}


def json_safe(value: Any) -> Any:
    """Nested metadata made JSON-serialisable (strict JSON: no NaN).

    Mappings get text keys and lose their frame values (tables are written as their own
    files); lists, tuples and sets become lists; numpy scalars and arrays become Python
    values; NaN, infinities, ``pd.NA`` and ``NaT`` become None; dates and times become
    ISO 8601 text; bytes become hex text; text keeps undecodable bytes of a file name as
    ``\\xff`` escapes (:func:`~echem.cli._command.shown_text`); a frame or series met
    elsewhere becomes a short description; anything else becomes ``str(value)``.
    """
    if isinstance(value, Mapping):
        return {
            str(k): json_safe(v)
            for k, v in value.items()
            if not isinstance(v, (pd.DataFrame, pd.Series))
        }
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return f"<{type(value).__name__} of {len(value)} rows>"
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return None if np.isnat(value) else str(value)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str):
        return shown_text(value)  # a file name's undecodable bytes as \xff escapes
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return str(value)


def _table_suffix(name: str) -> str:
    """A table name made safe for a file name (runs of other characters become ``_``)."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "table"


def output_paths(
    path: Path, kind: str, out_dir: Path | None, table_names: list[str] | tuple[str, ...] = ()
) -> tuple[Path, dict[str, Path], Path]:
    """Where the outputs of one input go: (data file, {table name: file}, JSON sidecar).

    Parameters
    ----------
    path
        The input file.
    kind
        A key of :data:`WRITERS` (``"csv"`` or ``"parquet"``).
    out_dir
        Output folder; None for the input's folder.
    table_names
        Names of the secondary tables (``df.attrs["tables"]``).
    """
    extension = WRITERS[kind][0]
    directory = out_dir if out_dir is not None else path.parent
    base = path.name
    data = directory / f"{base}{extension}"
    tables: dict[str, Path] = {}
    used = {data.name}
    for name in table_names:
        suffix = _table_suffix(str(name))
        candidate = f"{base}.{suffix}{extension}"
        number = 2
        while candidate in used:  # two names that sanitise alike
            candidate = f"{base}.{suffix}_{number}{extension}"
            number += 1
        used.add(candidate)
        tables[name] = directory / candidate
    return data, tables, directory / f"{base}.json"


def _sidecar(
    frame: pd.DataFrame, source: Path, data: Path, tables: Mapping[str, Path]
) -> dict[str, Any]:
    from echem.io._schema import CANONICAL

    attrs = {k: v for k, v in frame.attrs.items() if k != "tables"}
    frames = frame.attrs.get("tables") or {}
    return {
        "echem_version": __version__,
        "input": shown_path(source),
        **json_safe(attrs),
        "rows": len(frame),
        "columns": {str(c): CANONICAL.get(str(c)) for c in frame.columns},
        "outputs": json_safe(  # names made from the input's: undecodable bytes escaped
            {
                "data": data.name,
                "tables": {
                    str(name): {"file": target.name, "rows": len(frames[name])}
                    for name, target in tables.items()
                },
            }
        ),
    }


def convert_file(
    path: Path,
    kind: str,
    out_dir: Path | None = None,
    *,
    format: str | None = None,
    claimed: set[Path] | None = None,
) -> list[Path]:
    """Read one file and write its tidy frame, secondary tables and JSON sidecar.

    Parameters
    ----------
    path
        The instrument file.
    kind
        ``"csv"`` or ``"parquet"`` (a key of :data:`WRITERS`).
    out_dir
        Output folder (created if needed); None writes beside the input.
    format
        Force the input format (see :func:`echem.formats`).
    claimed
        Resolved paths this run must not overwrite (its inputs and outputs so far); the paths
        written are added to it.

    Returns
    -------
    list of pathlib.Path
        The files written: data, tables, sidecar (see :func:`output_paths`).

    Raises
    ------
    ValueError
        The file cannot be read (:class:`echem.ParseError`...), or an output would overwrite a
        claimed path (:class:`echem.EchemError`).
    OSError
        An output cannot be written. Nothing is left behind: the outputs are renamed into
        place only once every one of them is complete.
    """
    from echem.io import read

    writer = WRITERS[kind][1]
    frame = read(path, format=format)
    tables = frame.attrs.get("tables") or {}
    data, table_paths, sidecar = output_paths(path, kind, out_dir, list(tables))
    targets: dict[Path, pd.DataFrame] = {data: frame}
    targets.update({table_paths[name]: tables[name] for name in tables})
    claimed = claimed if claimed is not None else set()
    for target in (*targets, sidecar):
        if target.resolve() in claimed:
            raise EchemError(
                f"output {target} would overwrite an input or another input's output of this run"
            )
    document = _sidecar(frame, path, data, table_paths)
    # Every output is completed under a temporary name; they are renamed into place together
    # (the sidecar last), or none is if any write or rename fails.
    with atomic_paths([*targets, sidecar]) as temporaries:
        *table_temporaries, sidecar_temporary = temporaries
        for table, temporary in zip(targets.values(), table_temporaries, strict=True):
            plain = pd.DataFrame(table, copy=False)  # a view without attrs (never deep-copied)
            if table is frame:  # the data file carries the attrs (Parquet keeps them)
                plain.attrs = {k: v for k, v in document.items() if k in frame.attrs}
            writer(plain, temporary)
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
        sidecar_temporary.write_text(text + "\n", encoding="utf-8")
    written = [*targets, sidecar]
    claimed.update(p.resolve() for p in written)
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_inputs_argument(parser, "instrument files to convert")
    parser.add_argument("--to", required=True, choices=sorted(WRITERS), help="output format")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: beside each input)",
    )
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    unavailable = WRITERS[args.to][2]()
    if unavailable is not None:
        report_failure(f"--to {args.to}", EchemError(unavailable))
        return 2
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
    claimed: set[Path] = {item.path.resolve() for item in inputs}
    for item in inputs:
        out_dir = None if args.out is None else args.out / item.name.parent
        try:
            written = convert_file(item.path, args.to, out_dir, format=args.format, claimed=claimed)
        except (ValueError, OSError) as error:
            failed |= report_input_error(item, error)
            continue
        shown = ", ".join(shown_path(p) for p in written)
        print(f"{shown_path(item.path)} -> {shown}", flush=True)
    return 1 if failed else 0


#: The text of ``echem convert --help``.
DESCRIPTION = (
    "Write each file's tidy frame (canonical SI columns first, then the original columns) "
    "as FILE.csv or FILE.parquet, its secondary tables as FILE.<TABLE>.csv, and its "
    "metadata as FILE.json, beside the input or in --out DIR. Each output is written "
    "completely or not at all; a file that fails is named in one line on stderr and the "
    "others go on (exit code 1). A folder stands for the files in it (-r: in its subfolders "
    "too); there, a file that no format reads is named as skipped, without failing."
)
