"""Read-speed benchmark of the BioLogic readers against the reference libraries.

* .mpr: ``echem.read`` (canonical DataFrame included) vs ``galvani.BioLogic.MPRfile``
  alone (numpy record array, no DataFrame) on the largest real .mpr files galvani 0.5 can
  read. Target: echem <= 1.3x galvani. Printed beside it, from the same run:
  ``galvani+DataFrame`` (``pandas.DataFrame(MPRfile(path).data)``), ``frame``: the least
  pandas needs to assemble echem's frame from arrays that already exist
  (:func:`pandas.api.internals.create_dataframe_from_blocks`, one block per dtype, no
  copy, column labels included), and ``floor``: reading the file's bytes plus ``frame`` -
  what any reader returning that frame costs at best, before parsing a module or
  computing a single canonical column. Then the largest of them with its records
  repeated ``--mpr-scale`` times (30: ~17 MB, the size of a long cycling run) and cut to
  its first 10 records (both made by the benchmark), to show fixed cost and per-row cost
  apart.
* .mpt: a generated 1,000,000-row EC-Lab export (written to a temporary folder) read with
  ``echem.read`` vs ``pandas.read_csv(engine="c")`` on the same numeric block (column line
  and data only, in a file of its own). Target: echem <= 1.5x pandas. Run for point and
  comma decimals.
* generic text: a generated semicolon-separated, decimal-comma table (``--text-mb``,
  default 16.6 MB, a header line then ``Time (s);Potential (V);Current (A);Charge
  (C);Cycle`` rows as .NET writes numbers) read with ``echem.read`` as ``.txt`` (no
  sniffer claims it: every ``.txt`` format is tried by extension, the generic table
  reader last) and as ``.csv``, vs ``pandas.read_csv(sep=";", decimal=",")`` on the
  same file, in the same run. Target: echem <= 1.5x pandas.

Warm calls (one untimed call each first), interleaved (A, B, C, A, B, C...) so that cache,
allocator and machine-load effects weigh on all alike; medians of many repeats. The
machine is shared, so run it when it is quiet.

Allocator: with glibc's default settings every buffer above ~128 kB may be returned to the
kernel when freed and page-faulted in again (zeroed) at the next call; on this machine
that adds 0.3-1 ms per call to *both* readers of a 600 kB file, depending on the call
order, and the ratios swing from 1.2x to 3x between runs. By default the benchmark
therefore asks glibc (``mallopt``) to keep freed memory in the heap, so that the figures
are the readers' own work and reproducible; ``--default-malloc`` keeps glibc's default.

Usage: ``python benchmarks/bench_read.py [--rows N] [--repeats R] [--mpr-repeats R]
[--skip-mpt] [--skip-text] [--only-text] [--text-mb MB] [--default-malloc]``.
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import struct
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from galvani import BioLogic as galvani_biologic

try:  # public since pandas 3.0 (pyproject allows >= 2.0): without it, no assembly floor
    from pandas.api.internals import create_dataframe_from_blocks
except ImportError:
    create_dataframe_from_blocks = None

import echem
from echem.io import biologic_mpr
from echem.io._threaded_csv import usable_threads

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real" / "biologic"
MPR_TARGET = 1.3
MPT_TARGET = 1.5
TEXT_TARGET = 1.5

_PARAMETERS = (
    ("Ns", "0", "1"),
    ("Set I/C", "I", "I"),
    ("Is", "0{d}800", "-0{d}800"),
    ("unit Is", "mA", "mA"),
)
_HEADER = (
    "EC-Lab ASCII FILE\nNb header lines : {n}\n\n"
    "Galvanostatic Cycling with Potential Limitation\n\n"
    "Run on channel : 1 (SN 1234)\nUser : bench\n"
    "Acquisition started on : 01/10/2024 11:02:29.886\nDevice : VMP3 (SN 0858)\n"
    "EC-Lab for windows v11.50 (software)\nElectrode surface area : 1{d}130 cm\xb2\n"
    "Characteristic mass : 5{d}544 mg\nCycle Definition : Charge/Discharge alternance\n"
    + "".join("".join(cell.ljust(20) for cell in row) + "\n" for row in _PARAMETERS)
)
_COLUMNS = (
    "mode\tox/red\terror\tcontrol changes\tNs changes\tcounter inc.\tNs\ttime/s\t"
    "control/V/mA\tEwe/V\t<I>/mA\tdq/mA.h\t(Q-Qo)/mA.h\tcycle number\t"
)


def _steady_allocator() -> bool:
    """Ask glibc to keep freed memory (no ``munmap``/trim between calls); False when the
    C library is not glibc or refuses."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    return bool(
        libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold, 1 << 30)
    )


def pandas_threads() -> str:
    """pandas' ``mode.max_threads`` (None: its default) or "1" where the option does not
    exist (pandas before 3.1 parses on one thread)."""
    try:
        threads = pd.get_option("mode.max_threads")
    except (KeyError, pd.errors.OptionError):
        return "1"
    return "min(CPUs, 6) (mode.max_threads unset)" if threads is None else str(threads)


def _interleaved_medians(functions: Sequence[Callable[[], object]], repeats: int) -> list[float]:
    """Median seconds of each function, calls interleaved (A, B, A, B...) so that the
    allocator and cache state (and the shared machine's load) weigh on all alike."""
    times: list[list[float]] = [[] for _ in functions]
    for function in functions:
        function()  # warm-up
    for _ in range(repeats):
        for slot, function in enumerate(functions):
            start = time.perf_counter()
            function()
            times[slot].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def _numeric_block(rows: int, decimal: str) -> str:
    """EC-Lab-formatted rows: a 10,000-row block repeated (formatting 1e6 rows is slow)."""
    block_rows = min(rows, 10_000)
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.uniform(0.5, 1.5, block_rows))
    ewe = 3.0 + 0.5 * np.sin(t / 500.0)
    current = np.where((t // 3600) % 2 == 0, 0.8, -0.8) + rng.normal(0, 1e-4, block_rows)
    lines = []
    for k in range(block_rows):
        lines.append(
            f"1\t{k % 2}\t0\t0\t0\t0\t{k % 2}\t{t[k]:.15E}\t{0.8:.7E}\t{ewe[k]:.7E}\t"
            f"{current[k]:.15E}\t{current[k] / 3600:.15E}\t{t[k] * 2e-4:.15E}\t"
            f"{1 + k // 5000:.15E}"
        )
    block = "\n".join(lines) + "\n"
    if decimal == ",":
        block = block.replace(".", ",")
    repeats, rest = divmod(rows, block_rows)
    return block * repeats + "".join(block.splitlines(keepends=True)[:rest])


def bench_mpt(rows: int, repeats: int) -> list[tuple[str, float, float, float | None]]:
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for decimal in (".", ","):
            data = _numeric_block(rows, decimal)
            header = _HEADER.format(n=_HEADER.count("\n") + 1, d=decimal)
            full = Path(folder) / f"bench{'_comma' if decimal == ',' else ''}.mpt"
            full.write_bytes((header + _COLUMNS + "\n" + data).encode("latin-1"))
            block = Path(folder) / "block.txt"
            block.write_bytes((_COLUMNS + "\n" + data).encode("latin-1"))
            frame = echem.read(full)
            assert len(frame) == rows, len(frame)
            ours, reference = _interleaved_medians(
                [
                    lambda f=full: echem.read(f),
                    lambda b=block, d=decimal: pd.read_csv(b, sep="\t", engine="c", decimal=d),
                ],
                repeats,
            )
            results.append((f"{rows:,}-row .mpt, decimal '{decimal}'", ours, reference, None))
    return results


def _generic_table(megabytes: float) -> bytes:
    """A semicolon-separated, decimal-comma table of about ``megabytes`` MB: a cycling
    record (time, potential, current, charge, cycle), numbers as .NET writes them
    ("G15"), CR LF line ends."""
    rng = np.random.default_rng(1)
    block_rows = 10_000
    t = np.cumsum(rng.uniform(0.5, 1.5, block_rows))
    potential = 3.0 + 0.5 * np.sin(t / 500.0)
    current = np.where((t // 3600) % 2 == 0, 1e-3, -1e-3) + rng.normal(0, 1e-6, block_rows)
    charge = np.cumsum(current)
    cycle = 1 + (t // 7200)
    block = "".join(
        f"{a:.15G};{b:.15G};{c:.15G};{d:.15G};{int(e)}\r\n".replace(".", ",")
        for a, b, c, d, e in zip(t, potential, current, charge, cycle, strict=True)
    ).encode()
    header = b"Time (s);Potential (V);Current (A);Charge (C);Cycle\r\n"
    lines = block.splitlines(keepends=True)
    whole, rest = divmod(round(megabytes * 1e6) - len(header), len(block))
    tail = b"".join(lines[: round(rest / len(block) * len(lines))])
    return header + block * whole + tail


def bench_generic_text(megabytes: float, repeats: int) -> list[tuple[str, float, float, None]]:
    """echem.read of the generic table as .txt and as .csv vs pandas.read_csv."""
    with tempfile.TemporaryDirectory() as folder:
        data = _generic_table(megabytes)
        txt, csv = Path(folder) / "generic.txt", Path(folder) / "generic.csv"
        txt.write_bytes(data)
        csv.write_bytes(data)
        frame = echem.read(txt)
        reference = pd.read_csv(csv, sep=";", decimal=",")
        assert len(frame) == len(reference) and echem.read(csv).equals(frame)
        np.testing.assert_array_equal(
            frame["current_A"].to_numpy(), reference["Current (A)"].to_numpy()
        )
        as_txt, as_csv, ours_reference = _interleaved_medians(
            [
                lambda: echem.read(txt),
                lambda: echem.read(csv),
                lambda: pd.read_csv(csv, sep=";", decimal=","),
            ],
            repeats,
        )
    shown = f"{len(data) / 1e6:.1f} MB ; decimal-comma"
    return [
        (f"{shown} as .txt", as_txt, ours_reference, None),
        (f"{shown} as .csv", as_csv, ours_reference, None),
    ]


def _galvani_frame(path: Path) -> pd.DataFrame:
    return pd.DataFrame(galvani_biologic.MPRfile(str(path)).data)


def _assembly_floor(frame: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    """The cheapest public way to assemble ``frame`` again from its (existing) columns:
    one contiguous 2-D block per dtype, made beforehand, and the column labels."""
    columns = [frame[name].to_numpy() for name in frame.columns]
    by_dtype: dict[np.dtype, list[int]] = {}
    for position, values in enumerate(columns):
        by_dtype.setdefault(values.dtype, []).append(position)
    blocks = [
        (np.stack([columns[p] for p in positions]), np.array(positions, dtype=np.intp))
        for positions in by_dtype.values()
    ]
    names = list(frame.columns)
    n_rows = len(frame)
    return lambda: create_dataframe_from_blocks(blocks, pd.RangeIndex(n_rows), pd.Index(names))


def _resized_copy(path: Path, n_records: int, folder: Path) -> Path:
    """A copy of a real .mpr whose data module holds ``n_records`` records: its own
    repeated, or the first of them (record count and module length patched; every other
    module as it was)."""
    raw = path.read_bytes()
    modules = biologic_mpr._read_modules(memoryview(raw), path)
    data = biologic_mpr._the_module(modules, b"VMP data", path)
    records = biologic_mpr._data_records(data, path)
    v2 = biologic_mpr._HEADER_V2
    header_at = data.offset - v2.size
    if raw[header_at + 35 : header_at + 39] == biologic_mpr._V2_MARK:
        layout, length_field = v2, 3
    else:
        layout, length_field = biologic_mpr._HEADER_V1, 2
        header_at = data.offset - layout.size
    fields = list(layout.unpack_from(raw, header_at))
    body_at = data.offset + records.offset
    body = raw[body_at : body_at + records.n_points * records.itemsize]
    new_body = (body * -(-n_records // records.n_points))[: n_records * records.itemsize]
    fields[length_field] += len(new_body) - len(body)
    preamble = bytearray(raw[data.offset : body_at])
    struct.pack_into("<I", preamble, 0, n_records)
    if n_records < records.n_points:
        resized = folder / f"{path.stem}.first{n_records}.mpr"
    else:
        resized = folder / f"{path.stem}.x{n_records / records.n_points:g}.mpr"
    resized.write_bytes(
        raw[:header_at] + layout.pack(*fields) + preamble + new_body + raw[body_at + len(body) :]
    )
    original, copy = echem.read(path), echem.read(resized)
    assert len(copy) == n_records
    shared = min(n_records, len(original))
    assert copy.iloc[:shared].equals(original.iloc[:shared])  # the file's own records
    return resized


def bench_mpr(
    repeats: int, count: int = 3, scale: int = 30
) -> list[tuple[str, float, float, float, float | None, float | None]]:
    readable = []
    for path in sorted(REAL.glob("*.mpr"), key=lambda p: p.stat().st_size, reverse=True):
        try:
            galvani_biologic.MPRfile(str(path))
        except Exception:  # galvani 0.5 cannot read it: not a fair comparison
            continue
        readable.append(path)
        if len(readable) == count:
            break
    results = []
    with tempfile.TemporaryDirectory() as folder:
        made = []
        if readable:  # the largest file with 10 records (fixed cost) and scaled up
            n_points = len(echem.read(readable[0]))
            made.append(_resized_copy(readable[0], min(10, n_points), Path(folder)))
            if scale > 1:  # at the size of a long run (per-row cost)
                made.append(_resized_copy(readable[0], scale * n_points, Path(folder)))
        for path in readable + made:
            large = path.stat().st_size > 10**7  # fewer repeats
            results.append(_bench_one_mpr(path, max(10, repeats // 10) if large else repeats))
    return results


def _bench_one_mpr(
    path: Path, repeats: int
) -> tuple[str, float, float, float, float | None, float | None]:
    """echem, galvani, galvani + DataFrame, and the assembly floor on one file."""
    frame = echem.read(path)
    functions: list[Callable[[], object]] = [
        lambda p=path: echem.read(p),
        lambda p=path: galvani_biologic.MPRfile(str(p)),
        lambda p=path: _galvani_frame(p),
    ]
    if create_dataframe_from_blocks is not None:
        functions += [_assembly_floor(frame), path.read_bytes]
    ours, reference, with_frame, *floor_parts = _interleaved_medians(functions, repeats)
    assembly, floor = None, None
    if floor_parts:
        assembly, read_bytes = floor_parts
        floor = read_bytes + assembly
    size = path.stat().st_size
    shown = f"{size // 1000} kB" if size < 10**7 else f"{size / 1e6:.0f} MB"
    name = f"{path.name} ({shown}, {frame.shape[1]} cols)"
    return name, ours, reference, with_frame, assembly, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5, help=".mpt repeats")
    parser.add_argument("--mpr-repeats", type=int, default=300)
    parser.add_argument(
        "--mpr-scale", type=int, default=30, help="records of the largest .mpr repeated (1: off)"
    )
    parser.add_argument("--skip-mpt", action="store_true")
    parser.add_argument("--skip-text", action="store_true")
    parser.add_argument("--only-text", action="store_true", help="the generic text case only")
    parser.add_argument("--text-mb", type=float, default=16.6, help="size of the text case")
    parser.add_argument("--text-repeats", type=int, default=9)
    parser.add_argument("--default-malloc", action="store_true")
    args = parser.parse_args()
    if args.only_text:
        args.skip_mpt, args.mpr_repeats = True, 0
    steady = not args.default_malloc and _steady_allocator()
    print(f"allocator: {'glibc mallopt, freed memory kept' if steady else 'default'}")
    print(f"threads for a large numeric block: echem {usable_threads()}, pandas {pandas_threads()}")
    mpr = REAL.exists() and args.mpr_repeats > 0
    rows = [
        (*result, MPR_TARGET)
        for result in (bench_mpr(args.mpr_repeats, scale=args.mpr_scale) if mpr else [])
    ]
    if not args.skip_mpt:
        mpt = bench_mpt(args.rows, args.repeats)
        rows += [(*result, None, None, MPT_TARGET) for result in mpt]
    if not args.skip_text:
        text = bench_generic_text(args.text_mb, args.text_repeats)
        rows += [(*result, None, None, TEXT_TARGET) for result in text]
    print(
        f"{'case':44s} {'echem ms':>9s} {'ref ms':>8s} {'ratio':>6s} {'target':>7s}"
        f" {'ref+DataFrame':>14s} {'ratio':>6s} {'frame ms':>9s} {'floor ms':>9s} {'ratio':>6s}"
    )
    for name, ours, reference, with_frame, assembly, floor, target in rows:
        ratio = ours / reference
        flag = "ok" if ratio <= target else "SLOW"
        extra = ""
        if with_frame is not None:
            extra += f" {with_frame * 1e3:14.3f} {ours / with_frame:6.2f}"
        if floor is not None:
            extra += f" {assembly * 1e3:9.3f} {floor * 1e3:9.3f} {floor / reference:6.2f}"
        print(
            f"{name:44s} {ours * 1e3:9.3f} {reference * 1e3:8.3f} {ratio:6.2f} "
            f"{'<=' + str(target):>7s}{extra}  {flag}"
        )
    print(
        "ref: galvani.BioLogic.MPRfile (numpy records, no DataFrame) for .mpr, "
        "pandas.read_csv(engine='c') on the numeric block for .mpt, pandas.read_csv(sep=';',"
        " decimal=',') on the generic text;\n"
        "ref+DataFrame: MPRfile then pandas.DataFrame(records), ratio = echem / it;\n"
        "frame: assembling echem's frame from ready-made blocks (labels included); floor: "
        "Path.read_bytes + frame, ratio = floor / ref\n(the least any reader returning that "
        "frame costs, before parsing modules or computing canonical columns)."
    )


if __name__ == "__main__":
    main()
