"""``echem convert FILE... --to csv|parquet [--out DIR]``: tidy frames to open formats.

For ``peis.mpr`` it writes ``peis.csv`` (or ``peis.parquet``) and ``peis.json`` (the
attrs: format, technique, source, start_time, metadata, plus the columns with their
units), and ``peis.<TABLE>.csv`` for each secondary table (Gamry's ``OCVCURVE``...).
Every output is written atomically (complete or absent). Outputs go beside the input
unless ``--out DIR`` is given.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem import __version__
from echem.cli._command import Command, atomic_path, report_failure
from echem.errors import EchemError

__all__ = ["COMMAND", "convert_file", "json_safe"]


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise EchemError("--to parquet needs pyarrow (pip install pyarrow)") from None
    table = frame.copy()
    table.columns = [str(c) for c in table.columns]
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = table[column].astype("string")
    table.to_parquet(path, index=False)


#: Output kind -> (extension, writer).
WRITERS: dict[str, tuple[str, Callable[[pd.DataFrame, Path], None]]] = {
    "csv": (".csv", _write_csv),
    "parquet": (".parquet", _write_parquet),
}


def json_safe(value: Any) -> Any:
    """Metadata made JSON-serialisable: numpy scalars to Python, NaN/inf to None,
    datetimes to ISO text, frames left out (written as their own files)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items() if not isinstance(v, pd.DataFrame)}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _sidecar(frame: pd.DataFrame, source: Path, outputs: dict[str, str]) -> dict[str, Any]:
    from echem.io._schema import CANONICAL

    attrs = {k: v for k, v in frame.attrs.items() if k != "tables"}
    return {
        "echem_version": __version__,
        "input": str(source),
        **json_safe(attrs),
        "rows": len(frame),
        "columns": {str(c): CANONICAL.get(str(c)) for c in frame.columns},
        "outputs": outputs,
    }


def _readable(path: Path) -> None:
    """Give a temporary file (created 0600 by mkstemp) the usual permissions (0666 & ~umask)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def _table_suffix(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)


def convert_file(path: Path, kind: str, out_dir: Path | None, *, format: str | None = None,
                 claimed: set[Path] | None = None) -> list[Path]:
    """Read one file and write its tidy frame, tables and JSON sidecar.

    Returns the written paths. Raises ``ValueError`` (incl. :class:`echem.ParseError`)
    or ``OSError`` on failure; nothing is left half-written.
    """
    from echem.io import read

    extension, writer = WRITERS[kind]
    frame = read(path, format=format)
    directory = out_dir if out_dir is not None else path.parent
    stem = directory / path.stem
    main = stem.with_name(stem.name + extension)
    sidecar = stem.with_name(stem.name + ".json")
    tables = frame.attrs.get("tables") or {}
    targets = {main: frame}
    for name, table in tables.items():
        targets[stem.with_name(f"{stem.name}.{_table_suffix(name)}{extension}")] = table
    claimed = claimed if claimed is not None else set()
    clash = [p for p in (*targets, sidecar) if p.resolve() in claimed]
    if clash:
        raise EchemError(f"output {clash[0]} was already written for another input in this run")
    for target, table in targets.items():
        plain = table.copy()
        plain.attrs = {}
        with atomic_path(target) as temporary:
            writer(plain, temporary)
            _readable(temporary)
    outputs = {"data": main.name, **{name: _target_name(stem, name, extension) for name in tables}}
    with atomic_path(sidecar) as temporary:
        temporary.write_text(
            json.dumps(_sidecar(frame, path, outputs), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        _readable(temporary)
    written = [*targets, sidecar]
    claimed.update(p.resolve() for p in written)
    return written


def _target_name(stem: Path, name: str, extension: str) -> str:
    return f"{stem.name}.{_table_suffix(name)}{extension}"


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="instrument files to convert")
    parser.add_argument("--to", required=True, choices=sorted(WRITERS), help="output format")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default: beside each input)")
    parser.add_argument("--format", default=None, help="force the input format")


def _run(args: argparse.Namespace) -> int:
    failed = False
    claimed: set[Path] = set()
    for name in args.files:
        path = Path(name)
        try:
            written = convert_file(path, args.to, args.out, format=args.format, claimed=claimed)
        except (ValueError, OSError) as error:
            report_failure(path, error)
            failed = True
            continue
        print(f"{path} -> {', '.join(str(p) for p in written)}")
    return 1 if failed else 0


COMMAND = Command(
    name="convert",
    help="write tidy frames as CSV or Parquet with a JSON metadata sidecar",
    add_arguments=_add_arguments,
    run=_run,
)
