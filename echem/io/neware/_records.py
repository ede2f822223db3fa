"""Fixed-size binary records: a layout is a table of fields, decoded by one numpy view.

A :class:`Layout` names the fields of one record kind (offset, little-endian numpy type,
and how a raw value becomes a value in the unit of its column name). :func:`view` lays
a layout over a buffer without copying; :func:`scaled` turns the raw fields into the
columns of the layout. Bytes no field covers are listed by :func:`undecoded_nonzero`,
so that a file holding something echem does not decode says so in its metadata instead
of dropping it unseen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "Field",
    "Layout",
    "as_bytes",
    "calendar_seconds",
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


def scaled(
    records: np.ndarray, layout: Layout, multiplier: np.ndarray | float | None = None
) -> dict[str, np.ndarray]:
    """The layout's columns from ``records``, each in the unit its name states.

    Counters and codes (:data:`WHOLE`) stay integers (int64); quantities become float64.
    ``multiplier`` is the current-range multiplier per record (or one value), required
    when a field's scale is :data:`RANGE` or :data:`RANGE_PER_HOUR`.
    """
    columns: dict[str, np.ndarray] = {}
    for f in layout.fields:
        raw = records[f.name]
        if f.scale == 1.0:
            whole = raw.dtype.kind in "iu" and f.name in WHOLE
            columns[f.name] = raw.astype(np.int64 if whole else np.float64)
            continue
        if isinstance(f.scale, str):
            if multiplier is None:
                raise ValueError(f"{layout.name}: {f.name} needs the current-range multiplier")
            factor = multiplier if f.scale == RANGE else np.divide(multiplier, 3600.0)
            columns[f.name] = raw.astype(np.float64) * factor
        else:
            columns[f.name] = raw.astype(np.float64) * f.scale
    return columns


def undecoded_nonzero(
    rows: np.ndarray, layout: Layout, ignore: Iterable[tuple[int, int]] = ()
) -> list[str]:
    """Byte ranges of the record (``"23-30"``) that no field covers yet hold a non-zero
    byte in some record. ``rows`` are the records as bytes (shape ``(n, itemsize)``,
    uint8); ``ignore`` lists (start, stop) ranges with a known meaning (a checksum)."""
    if rows.size == 0:
        return []
    covered = np.zeros(layout.itemsize, dtype=bool)
    for f in layout.fields:
        covered[f.offset : f.offset + np.dtype(f.dtype).itemsize] = True
    for start, stop in ignore:
        covered[start:stop] = True
    if covered.all():
        return []
    busy = (rows[:, ~covered] != 0).any(axis=0)
    positions = np.flatnonzero(~covered)[busy]
    return _ranges(positions.tolist())


def as_bytes(buffer: bytes | memoryview, layout: Layout, offset: int, count: int) -> np.ndarray:
    """``count`` records from byte ``offset`` as a ``(count, itemsize)`` uint8 view."""
    return np.frombuffer(
        buffer, dtype=np.uint8, count=count * layout.itemsize, offset=offset
    ).reshape(count, layout.itemsize)


def _ranges(positions: list[int]) -> list[str]:
    """``[3, 4, 5, 9] -> ["3-5", "9"]``."""
    out: list[str] = []
    start = previous = None
    for p in positions:
        if start is None:
            start = previous = p
        elif p == previous + 1:
            previous = p
        else:
            out.append(f"{start}-{previous}" if previous != start else f"{start}")
            start = previous = p
    if start is not None:
        out.append(f"{start}-{previous}" if previous != start else f"{start}")
    return out


def calendar_seconds(records: np.ndarray) -> np.ndarray:
    """Seconds since 1970-01-01 of the records' calendar fields (``_year`` .. ``_second``)
    read as written, without a time zone; NaN where they are not a valid date."""
    parts = pd.DataFrame(
        {unit: records[f"_{unit}"] for unit in ("year", "month", "day", "hour", "minute", "second")}
    )
    moments = pd.to_datetime(parts, errors="coerce")
    seconds = (moments - pd.Timestamp("1970-01-01")).dt.total_seconds()
    return seconds.to_numpy(dtype=np.float64, na_value=np.nan)
