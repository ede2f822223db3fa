"""Fixed-size binary records: a layout is a table of fields, decoded by one numpy view.

A :class:`Layout` names the fields of one record kind (offset, little-endian numpy type,
and how a raw value becomes a value in the unit of its column name). :func:`view` lays
a layout over a buffer without copying; :func:`scaled` turns the raw fields into the
columns of the layout. Bytes no field covers are listed by :func:`undecoded_nonzero`,
so that a file holding something echem does not decode says so in its metadata instead
of dropping it unseen.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from echem.io._threaded_csv import usable_threads

__all__ = [
    "Field",
    "Layout",
    "as_bytes",
    "calendar_seconds",
    "crc32_rows",
    "match_index",
    "view",
    "scaled",
    "undecoded_nonzero",
]

#: ``Field.scale`` values that are not a number: the current-range multiplier of the record
#: (``"range"``) and the same divided by 3600 (``"range/h"``: mA s -> mAh, mW s -> mWh).
RANGE = "range"
RANGE_PER_HOUR = "range/h"
#: Integer fields kept as integers (int64); every other field becomes float64.
WHOLE = frozenset({"index", "step_index", "step_type", "cycle_count_file", "current_range"})


@dataclass(frozen=True)
class Field:
    """One field of a record.

    Attributes
    ----------
    name
        Column name (its unit is part of the name: ``voltage_V``, ``step_time_s``); a
        name starting with ``_`` is read but not kept as a column (an identifier byte,
        a raw current range, calendar parts of a date).
    dtype
        numpy type string, little-endian (``"<i4"``, ``"<f4"``, ``"u1"``).
    offset
        Byte offset in the record.
    scale
        Factor from the stored value to the column's unit, or :data:`RANGE` /
        :data:`RANGE_PER_HOUR` (the record's current-range multiplier, see
        :func:`echem.io.neware._steps.range_multiplier`).
    """

    name: str
    dtype: str
    offset: int
    scale: float | str = 1.0


@dataclass(frozen=True)
class Layout:
    """The record layout of one file version.

    Attributes
    ----------
    name
        Short name for messages and metadata (``"nda 5-8"``).
    itemsize
        Record length in bytes.
    fields
        The fields, any order.
    verified
        True when echem checked the layout against a real file (``../shared/data/real``);
        False for layouts known only from the public parsers' documentation and code.
    """

    name: str
    itemsize: int
    fields: tuple[Field, ...]
    verified: bool = False
    _dtype: np.dtype = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for f in self.fields:
            if f.offset < 0 or f.offset + np.dtype(f.dtype).itemsize > self.itemsize:
                raise ValueError(f"{self.name}: field {f.name} lies outside the record")
        dtype = np.dtype(
            {
                "names": [f.name for f in self.fields],
                "formats": [f.dtype for f in self.fields],
                "offsets": [f.offset for f in self.fields],
                "itemsize": self.itemsize,
            }
        )
        object.__setattr__(self, "_dtype", dtype)

    @property
    def dtype(self) -> np.dtype:
        """Structured numpy dtype of one record (fields at their offsets)."""
        return self._dtype

    def has(self, name: str) -> bool:
        return name in self._dtype.names


def view(buffer: bytes | memoryview, layout: Layout, offset: int, count: int) -> np.ndarray:
    """``count`` records of ``layout`` starting at byte ``offset`` (a read-only view)."""
    return np.frombuffer(buffer, dtype=layout.dtype, count=count, offset=offset)


#: Records converted per pass: all fields of one chunk are read while it is in cache.
CHUNK = 8192
#: Records per thread below which the conversion stays on one thread.
PARALLEL_RECORDS = 131072


def scaled(
    records: np.ndarray, layout: Layout, multiplier: np.ndarray | float | None = None
) -> dict[str, np.ndarray]:
    """The layout's public columns (names not starting with ``_``) from ``records``, each
    in the unit its name states.

    Counters and codes (:data:`WHOLE`) stay integers (int64); quantities become float64.
    ``multiplier`` is the current-range multiplier per record (or one value), required
    when a field's scale is :data:`RANGE` or :data:`RANGE_PER_HOUR`. The records are
    converted :data:`CHUNK` at a time, every field of a chunk before the next, so that a
    file larger than the CPU caches is read from memory once.
    """
    specs = []
    for f in layout.fields:
        if f.name.startswith("_"):
            continue
        if isinstance(f.scale, str):
            if multiplier is None:
                raise ValueError(f"{layout.name}: {f.name} needs the current-range multiplier")
            factor = multiplier if f.scale == RANGE else np.divide(multiplier, 3600.0)
            dtype = np.float64
        else:
            factor = f.scale
            whole = np.dtype(f.dtype).kind in "iu" and f.name in WHOLE and f.scale == 1.0
            dtype = np.int64 if whole else np.float64
        specs.append((f.name, factor, np.dtype(dtype)))
    # the columns of one type are the rows of one 2-D array: one large allocation (which
    # numpy asks the kernel to back with huge pages) instead of a page-faulted one each
    blocks = {
        dtype: np.empty((sum(d == dtype for *_, d in specs), records.size), dtype=dtype)
        for dtype in {d for *_, d in specs}
    }
    taken = dict.fromkeys(blocks, 0)
    jobs = []
    for name, factor, dtype in specs:
        jobs.append((name, factor, blocks[dtype][taken[dtype]]))
        taken[dtype] += 1

    def convert(first: int, last: int) -> None:
        for start in range(first, last, CHUNK):
            stop = min(start + CHUNK, last)
            chunk = records[start:stop]
            for name, factor, out in jobs:
                if isinstance(factor, np.ndarray) and factor.ndim:
                    np.multiply(chunk[name], factor[start:stop], out=out[start:stop])
                elif factor == 1.0:
                    out[start:stop] = chunk[name]
                else:
                    np.multiply(chunk[name], factor, out=out[start:stop])

    threads = min(usable_threads(), records.size // PARALLEL_RECORDS)
    if threads < 2:
        convert(0, records.size)
    else:  # numpy releases the GIL while it converts: one block of records per thread
        bounds = np.linspace(0, records.size, threads + 1).astype(int) // CHUNK * CHUNK
        bounds[-1] = records.size
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(convert, bounds[:-1].tolist(), bounds[1:].tolist()))
    return {name: out for name, _, out in jobs}


def undecoded_nonzero(
    rows: np.ndarray,
    layout: Layout,
    ignore: Iterable[tuple[int, int]] = (),
    only: np.ndarray | None = None,
) -> list[str]:
    """Byte ranges of the record (``"23-30"``: each run of bytes no field covers) that
    hold a non-zero byte in some record. ``rows`` are the records as bytes (shape
    ``(n, itemsize)``, uint8); ``only`` a mask of the records to look at; ``ignore``
    (start, stop) ranges with a known meaning (a checksum)."""
    if rows.size == 0:
        return []
    covered = np.zeros(layout.itemsize, dtype=bool)
    for f in layout.fields:
        covered[f.offset : f.offset + np.dtype(f.dtype).itemsize] = True
    for start, stop in ignore:
        covered[start:stop] = True
    edges = np.flatnonzero(np.diff(np.r_[1, covered.astype(np.int8), 1]))
    gaps = list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
    busy: set[tuple[int, int]] = set()
    for first in range(0, rows.shape[0], CHUNK):
        chunk = rows[first : first + CHUNK]
        for start, stop in gaps:
            if (start, stop) in busy:
                continue
            part = chunk[:, start:stop]
            if not part.any():  # the usual case: nothing there
                continue
            if only is None or (part.any(axis=1) & only[first : first + CHUNK]).any():
                busy.add((start, stop))
    return [f"{a}-{b - 1}" if b - 1 > a else f"{a}" for a, b in sorted(busy)]


def as_bytes(buffer: bytes | memoryview, layout: Layout, offset: int, count: int) -> np.ndarray:
    """``count`` records from byte ``offset`` as a ``(count, itemsize)`` uint8 view."""
    return np.frombuffer(
        buffer, dtype=np.uint8, count=count * layout.itemsize, offset=offset
    ).reshape(count, layout.itemsize)


def crc32_rows(rows: np.ndarray, zeroed: tuple[int, int]) -> np.ndarray:
    """zlib's CRC-32 of each row of ``rows`` (``(n, size)`` uint8) with the bytes
    ``zeroed`` (start, stop) taken as zeros, as uint32.

    CRC-32 is affine over GF(2): for messages of one length, crc(a ^ b) = crc(a) ^
    crc(b) ^ crc(0) (the property zlib's ``crc32_combine`` rests on). So a row's CRC is
    crc(0) xor, over its byte positions, a table entry of (position, byte value), each
    table entry itself the xor of the entries of the byte's set bits: 8 zlib calls per
    position build the tables, and the rows are checked with numpy lookups, not one zlib
    call each.
    """
    n, size = rows.shape
    zero = zlib.crc32(bytes(size))
    positions = [p for p in range(size) if not zeroed[0] <= p < zeroed[1]]
    single = bytearray(size)  # one set bit: the CRC's change for that bit
    bit_crc = np.empty((len(positions), 8), dtype=np.uint32)
    for row, position in enumerate(positions):
        for bit in range(8):
            single[position] = 1 << bit
            bit_crc[row, bit] = zlib.crc32(single) ^ zero
        single[position] = 0
    has_bit = (np.arange(256)[:, None] >> np.arange(8)) & 1 == 1  # (byte value, bit)
    tables = np.bitwise_xor.reduce(np.where(has_bit, bit_crc[:, None, :], 0), axis=2)
    tables = tables.astype(np.uint32)
    crc = np.full(n, zero, dtype=np.uint32)
    for start in range(0, n, CHUNK):  # a chunk of rows stays in cache over the positions
        chunk, out = rows[start : start + CHUNK], crc[start : start + CHUNK]
        for table, position in zip(tables, positions, strict=True):
            out ^= table[chunk[:, position]]
    return crc


def match_index(index: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``wanted`` stands in the increasing record ``index``: the row
    positions and a mask of those found (a value no record has, or any value when there
    are no records, is not found; its position is meaningless)."""
    rows = np.searchsorted(index, wanted)
    if index.size == 0:
        return rows, np.zeros(np.shape(wanted), dtype=bool)
    found = (rows < index.size) & (index[np.minimum(rows, index.size - 1)] == wanted)
    return rows, found


def calendar_seconds(records: np.ndarray) -> np.ndarray:
    """Seconds since 1970-01-01 of the records' calendar fields (``_year`` .. ``_second``)
    read as written, without a time zone; NaN where they are not a valid date."""
    year = records["_year"].astype(np.int64)
    month, day = records["_month"].astype(np.int64), records["_day"].astype(np.int64)
    hour, minute = records["_hour"].astype(np.int64), records["_minute"].astype(np.int64)
    second = records["_second"].astype(np.int64)
    valid = (year >= 1970) & (year < 2200) & (month >= 1) & (month <= 12) & (day >= 1)
    valid &= (hour < 24) & (minute < 60) & (second < 60)
    months = (np.where(valid, year, 1970) - 1970) * 12 + np.where(valid, month, 1) - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    days = first + (np.where(valid, day, 1) - 1)
    valid &= days.astype("datetime64[M]") == months.astype("datetime64[M]")  # a real day
    seconds = days.astype(np.int64) * 86400 + hour * 3600 + minute * 60 + second
    return np.where(valid, seconds.astype(np.float64), np.nan)
