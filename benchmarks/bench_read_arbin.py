"""Read-speed benchmark of the Arbin .res reader against the parsers a user has for it.

Each row reads ``Channel_Normal_Table`` into a pandas DataFrame (``echem.read`` reads
every other table, the metadata and the canonical columns too):

* ``echem.read``: echem's own Jet 4 decoder (:mod:`echem.io._access`), the whole frame;
* ``echem table``: the same decoder, only ``Channel_Normal_Table`` then
  ``pandas.DataFrame`` (what the other rows do);
* ``mdb-export+read_csv``: mdbtools' ``mdb-export`` (a C program, apt-installed, not
  pip-installable) piped into ``pandas.read_csv`` -- what cellpy and pandas-access do;
* ``res2sqlite+read_sql``: galvani's ``res2sqlite`` (reference.json's reference parser:
  mdb-export into a SQLite file) then ``pandas.read_sql`` of the table;
* ``access-parser``: the pure-Python ``access_parser.AccessParser`` then
  ``pandas.DataFrame``;
* ``pandas-access``: ``pandas_access.read_table`` (mdb-export underneath).

A parser that is not installed (or fails) is reported, not timed. Ratios are echem's time
over each parser's, from the same run (calls interleaved, medians). Target: ``echem.read``
<= 1.5x the fastest reference parser.

``--scale N`` also times a copy of the real file whose normal table is N times as long
(its data pages appended N - 1 times, with ``Data_Point`` and ``Test_Time`` continued and
the table definition's row count updated; written to a temporary folder), the size of a
long cycling run.

Usage: ``python benchmarks/bench_read_arbin.py [--repeats R] [--scale N]`` (run
``pip install access-parser pandas-access`` into a ``--target`` folder on ``PYTHONPATH``
and ``apt-get install mdbtools`` to time those; none of them is an echem dependency).
"""

from __future__ import annotations

import argparse
import importlib
import io
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from bench_read import _interleaved_medians, _steady_allocator

import echem
from echem.io._access import PAGE_SIZE, AccessDatabase
from echem.io.arbin import NORMAL_TABLE

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real" / "arbin"
FILE = REAL / "20160805_test001_45_cc_01.res"
TARGET = 1.5


def _echem_table(path: Path) -> pd.DataFrame:
    return pd.DataFrame(AccessDatabase.open(path).read_table(NORMAL_TABLE))


def _mdb_export(path: Path) -> pd.DataFrame:
    text = subprocess.run(
        ["mdb-export", str(path), NORMAL_TABLE], capture_output=True, check=True
    ).stdout
    return pd.read_csv(io.BytesIO(text))


def _res2sqlite(path: Path, folder: Path) -> Callable[[], pd.DataFrame]:
    import contextlib
    import sqlite3

    from galvani import res2sqlite

    target = folder / "res2sqlite.sqlite"

    def read() -> pd.DataFrame:
        target.unlink(missing_ok=True)
        with contextlib.redirect_stdout(io.StringIO()):  # it prints each table's name
            res2sqlite.convert_arbin_to_sqlite(str(path), str(target))
        with contextlib.closing(sqlite3.connect(target)) as connection:
            return pd.read_sql(f"SELECT * FROM {NORMAL_TABLE}", connection)

    return read


def _access_parser(path: Path) -> Callable[[], pd.DataFrame]:
    access_parser = importlib.import_module("access_parser")
    return lambda: pd.DataFrame(access_parser.AccessParser(str(path)).parse_table(NORMAL_TABLE))


def _pandas_access(path: Path) -> Callable[[], pd.DataFrame]:
    pandas_access = importlib.import_module("pandas_access")
    return lambda: pandas_access.read_table(str(path), NORMAL_TABLE)


def _candidates(path: Path, folder: Path) -> dict[str, Callable[[], object] | str]:
    """Name -> reader, or the reason it cannot run here."""
    found: dict[str, Callable[[], object] | str] = {}
    mdbtools = shutil.which("mdb-export") is not None
    found["mdb-export+read_csv"] = (
        (lambda: _mdb_export(path)) if mdbtools else "mdbtools not installed"
    )
    found["res2sqlite+read_sql"] = _res2sqlite(path, folder) if mdbtools else "needs mdbtools"
    for name, make in (("access-parser", _access_parser), ("pandas-access", _pandas_access)):
        try:
            reader = make(path)
            reader()  # a parser that fails on this file is reported, not timed
        except ImportError:
            found[name] = "not installed"
        except Exception as error:  # noqa: BLE001 - any failure of a third-party parser
            found[name] = f"fails: {type(error).__name__}: {str(error)[:70]}"
        else:
            found[name] = reader
    return found


def _scaled_copy(path: Path, copies: int, folder: Path) -> Path:
    """The file with its normal table's data pages appended ``copies - 1`` times,
    Data_Point and Test_Time continued, and the TDEF's row count multiplied."""
    raw = bytearray(path.read_bytes())
    database = AccessDatabase(bytes(raw), path)
    table = database.table_def(NORMAL_TABLE)
    offsets = {column.name: column.fixed_offset for column in table.columns}
    frame = _echem_table(path)
    points, span = int(frame["Data_Point"].max()), float(frame["Test_Time"].max())
    pages = [
        p
        for p in range(len(raw) // PAGE_SIZE)
        if raw[p * PAGE_SIZE] == 1
        and int.from_bytes(raw[p * PAGE_SIZE + 4 : p * PAGE_SIZE + 8], "little") == table.page
    ]
    appended = bytearray()
    for k in range(1, copies):
        for page in pages:
            block = bytearray(raw[page * PAGE_SIZE : (page + 1) * PAGE_SIZE])
            count = int.from_bytes(block[12:14], "little")
            for row in range(count):
                start = int.from_bytes(block[14 + 2 * row : 16 + 2 * row], "little") & 0x1FFF
                at = start + 2 + offsets["Data_Point"]
                value = int.from_bytes(block[at : at + 4], "little") + k * points
                block[at : at + 4] = value.to_bytes(4, "little")
                at = start + 2 + offsets["Test_Time"]
                time_s = np.frombuffer(bytes(block[at : at + 8]), "<f8")[0] + k * span
                block[at : at + 8] = np.float64(time_s).tobytes()
            appended += block
    declared = table.page * PAGE_SIZE + 0x10
    raw[declared : declared + 4] = (table.declared_rows * copies).to_bytes(4, "little")
    first_new = len(raw) // PAGE_SIZE
    owned = pages + list(range(first_new, first_new + len(appended) // PAGE_SIZE))
    raw += appended
    _point_usage_map_at(raw, table.page, owned)
    target = folder / f"{path.stem}_x{copies}.res"
    target.write_bytes(bytes(raw))
    return target


def _point_usage_map_at(raw: bytearray, tdef_page: int, owned: list[int]) -> None:
    """Make the table's page usage map (mdbtools reads the table's pages from it) list
    ``owned``: a new map page (type 0x05: 4-byte header, then one bit per page) appended
    to ``raw``, and the map row (the TDEF's ``used_pages`` pointer at 0x37) made a type 1
    map pointing at it (HACKING.md, "Page Usage Maps")."""
    pointer = int.from_bytes(
        raw[tdef_page * PAGE_SIZE + 0x37 : tdef_page * PAGE_SIZE + 0x3B], "little"
    )
    page, row = pointer >> 8, pointer & 0xFF
    base = page * PAGE_SIZE
    start = int.from_bytes(raw[base + 14 + 2 * row : base + 16 + 2 * row], "little") & 0x1FFF
    stop = (
        PAGE_SIZE
        if row == 0
        else int.from_bytes(raw[base + 12 + 2 * row : base + 14 + 2 * row], "little") & 0x1FFF
    )
    map_page = len(raw) // PAGE_SIZE
    bitmap = np.zeros((PAGE_SIZE - 4) * 8, dtype=bool)
    bitmap[owned] = True
    raw += b"\x05\x01\x00\x00" + np.packbits(bitmap, bitorder="little").tobytes()
    entry = b"\x01" + map_page.to_bytes(4, "little")
    raw[base + start : base + stop] = entry + bytes(stop - start - len(entry))


def bench(path: Path, repeats: int, folder: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", echem.EchemWarning)
        rows = len(echem.read(path))
    readers: dict[str, Callable[[], object] | str] = {
        "echem.read": lambda: echem.read(path),
        "echem table": lambda: _echem_table(path),
        **_candidates(path, folder),
    }
    timed = {name: reader for name, reader in readers.items() if callable(reader)}
    medians = dict(zip(timed, _interleaved_medians(list(timed.values()), repeats), strict=True))
    ours = medians["echem.read"]
    references = {n: t for n, t in medians.items() if not n.startswith("echem")}
    print(f"\n{path.name}: {path.stat().st_size / 1e6:.1f} MB, {rows} data points")
    print(f"  {'reader':22s} {'ms':>9s} {'echem.read / it':>16s}")
    for name, reader in readers.items():
        if name in medians:
            print(f"  {name:22s} {medians[name] * 1e3:9.2f} {ours / medians[name]:16.2f}")
        else:
            print(f"  {name:22s} {'-':>9s} {reader}")
    if references:
        fastest = min(references, key=references.get)
        ratio = ours / references[fastest]
        verdict = "ok" if ratio <= TARGET else "SLOW"
        print(
            f"  echem.read / fastest reference ({fastest}): {ratio:.2f} (target <= {TARGET}) {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--scale", type=int, default=20, help="normal table repeated (1: off)")
    parser.add_argument("--default-malloc", action="store_true")
    args = parser.parse_args()
    if not FILE.exists():
        raise SystemExit(f"{FILE} not found (the ../shared folder is absent)")
    steady = not args.default_malloc and _steady_allocator()
    print(f"allocator: {'glibc mallopt, freed memory kept' if steady else 'default'}")
    with tempfile.TemporaryDirectory() as folder:
        bench(FILE, args.repeats, Path(folder))
        if args.scale > 1:
            scaled = _scaled_copy(FILE, args.scale, Path(folder))
            bench(scaled, max(3, args.repeats // 5), Path(folder))


if __name__ == "__main__":
    main()
