"""Parse a large block of delimited numbers with ``pandas.read_csv`` on several threads.

pandas' C parser releases the GIL while it tokenises text and converts numbers, so
byte ranges of one file, cut at line ends, can be parsed side by side and their columns
joined. pandas 3.1 does this itself for a *path* whose preamble has no blank line; an
EC-Lab export has blank lines in its header and is read from its data offset, so it
would be parsed on one thread, about twice as slowly on two cores.

:func:`read_numeric_block` returns a frame only when it is provably the one a single
``read_csv`` call over the same bytes returns: every piece parsed, and every column of
one plain numeric dtype (bool, integer or float) in every piece. Values are converted
one field at a time either way, so they are identical. Quoting is switched off in the
pieces (a quoted line end could straddle a cut), so a quote character anywhere is
refused. In every other case (a parse error, text columns, dtypes
that differ between pieces, too little data or a single usable CPU) it returns None and
the caller reads serially, which also gives the serial error messages and line numbers.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem.io._byte_range import ByteRange

try:  # public since pandas 3.0
    from pandas.api.internals import create_dataframe_from_blocks
except ImportError:  # pragma: no cover - older pandas: pandas.DataFrame of a dict
    create_dataframe_from_blocks = None

__all__ = [
    "MIN_BYTES",
    "MIN_PIECE_BYTES",
    "first_row_width",
    "read_numeric_block",
    "usable_threads",
]

#: Below this many bytes one thread is as fast (thread start-up and the join dominate).
MIN_BYTES = 4 * 2**20
#: Smallest piece worth a thread of its own.
MIN_PIECE_BYTES = 2**20
#: Default ceiling on threads (pandas' own default for its parallel read_csv).
_MAX_DEFAULT_THREADS = 6
#: ``read_csv`` options that act on a whole source, not on each line.
_PER_SOURCE_OPTIONS = ("skiprows", "skipfooter", "nrows", "comment", "chunksize", "iterator")
#: Skipped by ``read_csv`` at the start of its input only: never cut before one.
_UTF8_BOM = b"\xef\xbb\xbf"


def usable_threads() -> int:
    """Threads for a parallel parse: pandas' ``mode.max_threads`` option when it exists
    and is set, else the CPUs this process may run on (affinity), at most 6."""
    try:
        configured = pd.get_option("mode.max_threads")
    except (KeyError, pd.errors.OptionError):  # pandas without the option
        configured = None
    if configured is not None:
        return max(1, int(configured))
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        available = os.cpu_count() or 1
    return max(1, min(available, _MAX_DEFAULT_THREADS))


def read_numeric_block(
    path: Path,
    start: int,
    end: int,
    read_csv_options: dict[str, Any],
    *,
    threads: int | None = None,
    min_bytes: int = MIN_BYTES,
    piece_bytes: int = MIN_PIECE_BYTES,
) -> pd.DataFrame | None:
    """Bytes ``[start, end)`` of a file (whole lines of delimited numbers) as a frame,
    parsed on several threads; None where that cannot be shown to equal a serial read.

    Parameters
    ----------
    path
        The file.
    start, end
        Byte range of the data: ``start`` at the beginning of a line, ``end`` at the end
        of one (or of the file).
    read_csv_options
        Keyword arguments of :func:`pandas.read_csv` for the block, without the source;
        they must name the columns (``header=None, names=...``) and set
        ``index_col=False`` (else None: a piece whose first line has one field more
        than the names would make its first column the index). ``quoting`` is set to
        :data:`csv.QUOTE_NONE` and ``encoding`` to utf-8 in the pieces.
    threads
        Threads to use (default :func:`usable_threads`).
    min_bytes
        Smallest range parsed in parallel.
    piece_bytes
        Smallest piece: the range is cut into ``2 * threads`` pieces at most, none
        (but the last) smaller than this.

    Returns
    -------
    pandas.DataFrame or None
        The frame (RangeIndex, columns as ``read_csv`` names them, one block per
        dtype), or None: range below ``min_bytes``, one thread, fewer than two pieces,
        a piece that fails to parse or holds a quote character, a piece starting at a
        row wider than the serial read accepts, or a column not of one plain numeric
        dtype in all pieces.
    """
    threads = usable_threads() if threads is None else threads
    size = end - start
    if read_csv_options.get("index_col") is not False:  # a piece could take an index
        return None
    if any(read_csv_options.get(name) for name in _PER_SOURCE_OPTIONS):
        return None  # each piece would skip rows, stop early or end a line at a comment
    if read_csv_options.get("float_precision") == "round_trip":
        return None  # pandas converts these under the GIL: threads would only add work
    if threads < 2 or size < max(min_bytes, 2 * piece_bytes, 1):
        return None
    cuts = _line_starts(path, start, end, min(2 * threads, size // max(piece_bytes, 1)))
    if len(cuts) < 3 or _a_piece_could_accept_a_wider_row(path, cuts, read_csv_options):
        return None
    options = {**read_csv_options, "quoting": csv.QUOTE_NONE, "encoding": "utf-8"}
    quote = str(read_csv_options.get("quotechar", '"')).encode()

    def parse(bounds: tuple[int, int]) -> pd.DataFrame | None:
        with _RangeWatchingFor(quote, path, *bounds) as source:
            try:
                frame = pd.read_csv(source, **options)
            except Exception:  # noqa: BLE001 - any failure (a warning made an error too)
                return None  # means: read serially, which raises what is really wrong
            # a quote, even in a column usecols leaves out, can join lines serially
            return None if source.seen else frame

    with ThreadPoolExecutor(min(threads, len(cuts) - 1)) as pool:
        pieces = list(pool.map(parse, pairwise(cuts)))
        if any(piece is None for piece in pieces):
            return None
        return _join(pieces, pool, threads)


class _RangeWatchingFor(ByteRange):
    """A :class:`ByteRange` noting in ``seen`` whether ``byte`` was among the bytes read."""

    def __init__(self, byte: bytes, path: Path, start: int, end: int) -> None:
        super().__init__(path, start, end)
        self._byte = byte
        self.seen = False

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.seen = self.seen or self._byte in data
        return data

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        self.seen = self.seen or self._byte in bytes(memoryview(buffer).cast("B")[:count])
        return count


def _line_starts(path: Path, start: int, end: int, pieces: int) -> list[int]:
    """``start``, the starts of the lines nearest to ``pieces - 1`` equally spaced
    points of ``(start, end)``, and ``end``: the bounds of up to ``pieces`` pieces."""
    cuts = [start]
    with open(path, "rb") as handle:
        for k in range(1, pieces):
            target = start + (end - start) * k // pieces
            if target <= cuts[-1]:
                continue
            handle.seek(target - 1)  # the byte before: a line starting at target is kept
            handle.readline()
            position = handle.tell()
            if position >= end:
                break
            if handle.read(len(_UTF8_BOM)) == _UTF8_BOM:  # read_csv drops it from a start
                continue
            if position > cuts[-1]:
                cuts.append(position)
    cuts.append(end)
    return cuts


def _a_piece_could_accept_a_wider_row(
    path: Path, cuts: Sequence[int], options: dict[str, Any]
) -> bool:
    """True if a piece could parse a row the serial read refuses.

    Without ``usecols``, ``read_csv`` never checks the field count of the first row of
    its input and refuses a later row with more fields than the names or that first
    row; a piece starting at a wider row would drop its extra fields with a warning
    where the serial read stops with "Expected n fields in line ...".
    """
    if options.get("usecols") is not None:  # no field count is checked then
        return False
    separator = options.get("sep", options.get("delimiter", ","))
    names = options.get("names")
    if not isinstance(separator, str) or len(separator) != 1 or names is None:
        return True
    sep = separator.encode()
    with open(path, "rb") as handle:
        widths = [first_row_width(handle, start, end, sep) for start, end in pairwise(cuts)]
    limit = max(len(names), widths[0])
    return any(width > limit for width in widths[1:])


def first_row_width(handle: Any, start: int, end: int, sep: bytes) -> int:
    """Fields of the first row of bytes ``[start, end)`` that ``read_csv`` would not skip
    as blank (rows end at CR, LF or CR LF; 0 if there is none)."""
    handle.seek(start)
    while handle.tell() < end:
        line = handle.readline()
        line = line[: max(0, len(line) - (handle.tell() - end))]
        for row in line.rstrip(b"\n").split(b"\r"):
            if sep in row or row.strip(b" \t"):  # read_csv skips spaces-only rows
                return row.count(sep) + 1
    return 0


def _join(
    pieces: Sequence[pd.DataFrame], pool: ThreadPoolExecutor, threads: int
) -> pd.DataFrame | None:
    """The pieces one under the other, or None if a column is not of one plain numeric
    dtype in every piece (a serial read could then type it differently)."""
    first = pieces[0]
    dtypes = list(first.dtypes)
    if not all(isinstance(d, np.dtype) and d.kind in "biuf" for d in dtypes):
        return None
    for piece in pieces[1:]:
        if list(piece.dtypes) != dtypes or not piece.columns.equals(first.columns):
            return None
    lengths = [len(piece) for piece in pieces]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    n_rows = int(offsets[-1])
    positions: dict[np.dtype, list[int]] = {}
    for position, dtype in enumerate(dtypes):
        positions.setdefault(dtype, []).append(position)
    blocks = {dtype: np.empty((len(at), n_rows), dtype=dtype) for dtype, at in positions.items()}
    copies = [
        (blocks[dtype][row], int(offsets[k]), piece.iloc[:, position].to_numpy())
        for dtype, at in positions.items()
        for row, position in enumerate(at)
        for k, piece in enumerate(pieces)
    ]
    # numpy releases the GIL for large copies: share them out between the threads
    list(pool.map(_copy_all, [copies[k::threads] for k in range(threads)]))
    index = pd.RangeIndex(n_rows)
    if create_dataframe_from_blocks is None:  # pragma: no cover - pandas < 3
        columns = {
            first.columns[position]: blocks[dtype][row]
            for dtype, at in positions.items()
            for row, position in enumerate(at)
        }
        return pd.DataFrame(columns, index=index, columns=first.columns, copy=False)
    return create_dataframe_from_blocks(
        [(blocks[dtype], np.array(at, dtype=np.intp)) for dtype, at in positions.items()],
        index,
        first.columns,
    )


def _copy_all(copies: Sequence[tuple[np.ndarray, int, np.ndarray]]) -> None:
    for target, offset, values in copies:
        target[offset : offset + len(values)] = values
