"""The data block of a text file: its rows read once, its last line checked for a cut.

Every text reader of echem but Gamry's and VersaStudio's has the same shape: a
header the reader parses from the start of the file (:func:`echem.io._text.read_start`),
then rows of delimited values to the end of the file. :func:`read_table` reads those
rows:

1. The end of the file is looked at first (its last ~64 kB): a last line without a
   line break after it is kept only when it is shown whole
   (:func:`echem.io._text.cut_reason`), else left out with a
   :class:`~echem.errors.TruncatedDataWarning` naming it; the rows are read up to it
   and not a byte further, even if the file grows meanwhile.
2. The rows are parsed by ``pandas.read_csv`` (its C parser; on several threads for a
   large block, :mod:`echem.io._threaded_csv`), reading each byte once. Its frame is
   used only when it is provably the one echem's own parse gives: every column
   numeric, no empty or missing value, no line wider than the names, no warning.
   pandas >= 3 converts numbers exactly as Python's ``float`` does.
3. Otherwise (a text column, an empty cell, a malformed line) the rows are parsed in
   Python (:func:`echem.io._text.data_rows`, :func:`echem.io._text.numeric_table`),
   which keeps text columns as text and names the line of any error.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import ParseError
from echem.io._byte_range import ByteRange
from echem.io._text import (
    SAMPLE_ROWS,
    Line,
    TextStart,
    cut_reason,
    data_rows,
    decode,
    fit_width,
    numbered_lines,
    numeric_table,
    warn_cut,
)
from echem.io._threaded_csv import read_numeric_block

__all__ = ["TableLayout", "read_table"]

#: Bytes at the end of a file looked at for a cut last line (and the rows before it).
TAIL_BYTES = 1 << 16
#: Files smaller than this are parsed in Python (``read_csv``'s fixed cost, ~1 ms, is
#: more than a small file's parse; measured on the real files, Python is faster up to
#: ~10 kB, pandas beyond ~30 kB).
PANDAS_MIN_BYTES = 1 << 14
#: pandas < 3's default C float parser can be one unit in the last place off; its exact
#: "round_trip" parser is then needed. pandas >= 3 parses exactly by default.
_FLOAT_PRECISION: str | None = "round_trip" if int(pd.__version__.split(".", 1)[0]) < 3 else None


def _never(text: str) -> bool:
    return False


@dataclass(frozen=True)
class TableLayout:
    """How the rows of a text table are written.

    Attributes
    ----------
    names
        Column names (unique), one per field of a whole row.
    split
        A line's text -> its fields, stripped (echem's own parse; empty fields beyond
        ``names`` are dropped after it).
    separator
        The field separator for ``read_csv``; None for runs of whitespace.
    decimal_comma
        Numbers are written ``1,5``.
    required
        Columns that must hold a number in every row (those canonical columns come
        from): anything else there is a :class:`~echem.errors.ParseError` at its line.
    quoted
        Fields may be enclosed in double quotes (``split`` strips them).
    skip
        Lines that are not rows (besides blank ones), e.g. ``#`` comments.
    """

    names: Sequence[str]
    split: Callable[[str], list[str]]
    separator: str | None
    decimal_comma: bool = False
    required: Sequence[str] = ()
    quoted: bool = False
    skip: Callable[[str], bool] = field(default=_never)


def read_table(start: TextStart, first: int, layout: TableLayout) -> dict[str, np.ndarray]:
    """The rows of a text file from line ``start.lines[first]`` to its end, as columns
    named ``layout.names``: numeric (float64) or text.

    Parameters
    ----------
    start
        The start of the file (:func:`echem.io._text.read_start`).
    first
        Index in ``start.lines`` of the first line of the rows (``len(start.lines)``:
        the rows start after the lines read).
    layout
        How the rows are written.

    Returns
    -------
    dict of str to numpy.ndarray
        One array per name, in order: float64 where every value is a number, else the
        stripped texts (object); empty cells of numeric columns are NaN. (Arrays, not a
        frame: :func:`echem.io._schema.build_frame` then assembles the frame without
        copying them.)

    Raises
    ------
    echem.ParseError
        A row with another number of fields, or a value that is not a number in a
        required column (naming the line).
    """
    if start.offsets is None or (start.whole and len(start.data) < PANDAS_MIN_BYTES):
        # held as text, or small and already decoded: parsed in Python (faster there)
        lines = [line for line in start.lines[first:] if not layout.skip(line.text)]
        return _rows_in_python(lines, layout, start.path, terminated=start.terminated)
    if first < len(start.lines):
        offset, number = start.offsets[first], start.lines[first].number
    else:
        offset, number = start.lines_end, len(start.lines) + 1
    end = _end_of_trusted_rows(start, offset, number, layout)
    columns = _rows_by_pandas(start, first, offset, end, layout)
    if columns is not None:
        return columns
    block = _block(start, offset, end)
    nul = block.find(b"\x00")
    if nul >= 0:
        raise ParseError(
            "binary content (NUL byte) in a text file", start.path, offset=offset + nul
        )
    lines = [
        line
        for line in numbered_lines(decode(block, start.path), number)
        if not layout.skip(line.text)
    ]
    return _rows_in_python(lines, layout, start.path, terminated=True)


def _rows_in_python(
    lines: Sequence[Line], layout: TableLayout, path: Path, *, terminated: bool
) -> dict[str, np.ndarray]:
    rows = data_rows(
        lines,
        layout.split,
        terminated,
        path,
        width=len(layout.names),
        decimal_comma=layout.decimal_comma,
    )
    table = numeric_table(
        rows,
        layout.names,
        path,
        required=layout.required,
        decimal_comma=layout.decimal_comma,
        blank=math.nan,
    )
    return {name: table[name].to_numpy() for name in table.columns}


def _block(start: TextStart, offset: int, end: int) -> bytes:
    """Bytes ``[offset, end)`` of the file (from memory when it was read whole)."""
    if start.whole:
        return start.data[offset:end]
    with ByteRange(start.path, offset, end) as source:
        return source.read()


def _end_of_trusted_rows(start: TextStart, offset: int, number: int, layout: TableLayout) -> int:
    """Where the rows to read end: the file's end, or the start of its last line when
    that line has no line break after it and is not shown whole (then warned about).

    The size is the one seen here: rows an instrument appends later are not read.
    """
    if start.whole:
        size = len(start.data)
        tail_at = max(offset, size - TAIL_BYTES)
        tail = start.data[tail_at:]
    else:
        with open(start.path, "rb") as handle:
            size = handle.seek(0, io.SEEK_END)
            tail_at = max(offset, size - TAIL_BYTES)
            handle.seek(tail_at)
            tail = handle.read(size - tail_at)
    if not tail or tail.endswith((b"\n", b"\r")):
        return size
    chunks = tail.split(b"\n")
    last_at = size - len(chunks[-1])
    texts = [chunk.decode("latin-1").rstrip("\r") for chunk in chunks]
    if tail_at > offset:  # the tail may start inside a line: not a row to compare with
        texts = texts[1:]
    last = texts[-1]
    if not last.strip() or layout.skip(last):
        return size
    width = len(layout.names)
    before = []
    for text in reversed(texts[:-1]):
        if len(before) == SAMPLE_ROWS:
            break
        if text.strip() and not layout.skip(text):
            before.append((fit_width(layout.split(text), width), text))
    before.reverse()
    fields = fit_width(layout.split(last), width)
    reason = cut_reason((fields, last), before, width, decimal_comma=layout.decimal_comma)
    if reason is None:
        return size
    warn_cut(start.path, number + _count_line_breaks(start, offset, last_at), reason)
    return last_at


def _count_line_breaks(start: TextStart, offset: int, end: int) -> int:
    """LF bytes in ``[offset, end)`` of the file."""
    if start.whole:
        return start.data.count(b"\n", offset, end)
    count = 0
    with ByteRange(start.path, offset, end) as source:
        while chunk := source.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def _rows_by_pandas(
    start: TextStart, first: int, offset: int, end: int, layout: TableLayout
) -> dict[str, np.ndarray] | None:
    """The rows parsed by ``read_csv``, or None where that frame might differ from
    echem's own parse (see the module docstring)."""
    names = list(layout.names)
    first_row = next((line.text for line in start.lines[first:] if line.text.strip()), None)
    if end <= offset or first_row is None:
        return None
    fields = layout.split(first_row)
    if len(fields) > len(names) + 1 or (len(fields) > len(names) and fields[-1].strip()):
        return None  # read_csv would drop or misplace values: let echem's parse report it
    options: dict[str, Any] = {
        "sep": layout.separator if layout.separator is not None else r"\s+",
        "header": None,
        "names": names,
        "index_col": False,
        "decimal": "," if layout.decimal_comma else ".",
        # no NaN for an empty cell or a short line: the column turns to text, and so
        # to echem's own parse (also faster, ~25 %)
        "na_filter": False,
        "quoting": csv.QUOTE_MINIMAL if layout.quoted else csv.QUOTE_NONE,
        "engine": "c",
        "float_precision": _FLOAT_PRECISION,
    }
    table = None if start.whole else read_numeric_block(start.path, offset, end, options)
    if table is None:
        table = _read_csv_serially(start, offset, end, options)
    if table is None or list(table.columns) != names:
        return None
    columns = {}
    for name in names:
        values = table[name].to_numpy()
        if not isinstance(values.dtype, np.dtype) or values.dtype.kind not in "iuf":
            return None  # text: echem's own parse keeps it as it is written
        if values.dtype.kind == "f" and np.isnan(values).any():
            return None  # an empty cell, or a line with fewer fields
        columns[name] = values.astype(np.float64, copy=False)
    return columns


def _read_csv_serially(
    start: TextStart, offset: int, end: int, options: dict[str, Any]
) -> pd.DataFrame | None:
    """One ``read_csv`` call over bytes ``[offset, end)``; None on any error or warning."""
    source = (
        io.BytesIO(start.data[offset:end]) if start.whole else ByteRange(start.path, offset, end)
    )
    with source, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = pd.read_csv(source, encoding="utf-8", **options)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OverflowError):
            return None
    return None if caught else table
