"""Neware BTS ``.nda`` files: a 2 kB header, then fixed-size records.

Layout (little-endian), as documented by the public parsers fastnda 1.3.1 (Empa,
BSD-3-Clause, ``fastnda/nda.py``, ``fastnda/nda_meta.py``) and NewareNDA 2026.6.11 (SES AI,
``NewareNDA/NewareNDA.py``), and checked here on the real files of versions 8 and 22:

* bytes 0-5 ``NEWARE``, 6-13 a date (``20151015``), byte 14 the **file version**;
* BTS 7/8 files (versions 1-29): u32 pairs (begin, length) at byte 24 (test-info
  records), 64 (data records; length 0: to the end of the file) and 72 (auxiliary
  records); the channel's current range (i32) 26 bytes into the block at u32[16];
  the active mass (u32, µg) at byte 80, 144 (version 8) or 152 (versions 9-29);
* BTS 9 files (versions 129, 130): u64 (begin, length) of the data block at byte 82,
  possibly a chain of 1 kB ``NEWARE`` headers from byte 1024, one per data block; the
  record version (u16) at byte 16 decides the record struct.

Each record starts with an identifier byte: 0x55 (or 0 in the oldest versions) a data
row, 0x65 an auxiliary-channel row, 0xAA and 0xFF status records (step start/end, file
start/end; counted in ``metadata["status_records"]``, not rows). Where the record
carries a CRC-32 (versions 5-8, verified: zlib's CRC-32 of the record with its last
four bytes zeroed), every record is checked, so a damaged record is an error, not a
wrong number. Currents, capacities and energies are integers scaled by the current
range's multiplier (:func:`echem.io.neware._steps.range_multiplier`), voltages in
0.1 mV; capacities and energies in mA s and mW s.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import EchemWarning, ParseError, TruncatedDataWarning
from echem.io._text import read_bytes
from echem.io.neware import _frame, _steps
from echem.io.neware._records import RANGE_PER_HOUR as RH
from echem.io.neware._records import Field as F
from echem.io.neware._records import (
    Layout,
    as_bytes,
    calendar_seconds,
    crc32_rows,
    match_index,
    scaled,
    undecoded_nonzero,
    view,
)

__all__ = ["read_nda", "MAGIC", "nda_version"]

MAGIC = b"NEWARE"
_HEADER = 2048
_VERSION_AT = 14
_DATA_ID, _AUX_ID = 0x55, 0x65
#: Identifiers of status records seen in real files (step start/end, file start/end).
_STATUS_IDS = frozenset({0xAA, 0xFF})


@dataclass(frozen=True)
class NdaKind:
    """How one group of file versions stores its records.

    ``layout`` the data record; ``data_ids`` the identifiers of data rows (None: the
    record has no identifier, rows with index 0 are empty); ``aux`` the auxiliary record
    (identifier 0x65) when auxiliary channels have their own records; ``aux_block``
    True when those records are in the block at header byte 72, False when mixed with the
    data; ``crc_at`` the offset of the record's CRC-32 when it has one, ``crc_verified``
    True when echem saw that CRC on real files (then always checked); ``cycle_base`` what the stored cycle counter starts from (0 or 1; None: renumbered
    from 1 at each change); ``step_type_map`` codes of an old numbering -> today's;
    ``find`` bytes that open the first data record when the header's pointer is not
    used; ``signed_by_step`` True when capacity and energy are stored unsigned (the sign
    follows the step: + charge, - discharge, else the current's sign).
    """

    layout: Layout
    data_ids: frozenset[int] | None = frozenset({_DATA_ID})
    aux: Layout | None = None
    aux_block: bool = True
    crc_at: int | None = None
    crc_verified: bool = False
    cycle_base: int | None = 0
    step_type_map: dict[int, int] = field(default_factory=dict)
    find: bytes | None = None
    signed_by_step: bool = True


def _nda(name: str, itemsize: int, *fields: F, verified: bool = False) -> Layout:
    return Layout(name, itemsize, fields, verified)


# --- record layouts (offsets from fastnda 1.3.1 nda.py; names and units echem's) ----------
_NDA1 = _nda(
    "nda 1",
    38,
    F("index", "<u4", 0),
    F("cycle_count_file", "<u4", 4),
    F("step_index", "u1", 8),
    F("step_type", "u1", 9),
    F("step_time_s", "<u4", 10),
    F("voltage_V", "<i4", 14, 1e-4),
    F("current_mA", "<i4", 18, "range"),
    F("capacity_mAh", "<i8", 30, RH),
)
_NDA2 = _nda(
    "nda 2",
    39,
    F("_id", "u1", 0),
    F("cycle_count_file", "<u4", 5),
    F("step_type", "u1", 9),
    F("step_index", "u1", 10),
    F("step_time_s", "<u4", 11),
    F("voltage_V", "<i4", 15, 1e-4),
    F("current_mA", "<i4", 19, "range"),
    F("capacity_mAh", "<i8", 31, RH),
)
_NDA3 = _nda(
    "nda 3-4",
    43,
    F("_id", "u1", 0),
    F("index", "<u4", 1),
    F("cycle_count_file", "<u4", 5),
    F("step_index", "u1", 9),
    F("step_type", "u1", 10),
    F("step_time_s", "<u4", 11),
    F("voltage_V", "<i4", 15, 1e-4),
    F("current_mA", "<i4", 19, "range"),
    F("capacity_mAh", "<i8", 31, RH),
)
_NDA5 = _nda(
    "nda 5-8",
    59,
    F("_id", "u1", 0),
    F("index", "<u4", 1),
    F("cycle_count_file", "<u4", 5),
    F("step_index", "u1", 9),
    F("step_type", "u1", 10),
    F("step_time_s", "<u4", 11),
    F("voltage_V", "<i4", 15, 1e-4),
    F("current_mA", "<i4", 19, "range"),
    F("capacity_mAh", "<i8", 31, RH),
    F("energy_mWh", "<i8", 39, RH),
    F("unix_time_s", "<u8", 47),
    verified=True,
)
_NDA9 = _nda(
    "nda 9",
    60,
    F("_id", "u1", 0),
    F("index", "<u4", 2),
    F("cycle_count_file", "<u4", 6),
    F("step_index", "u1", 10),
    F("step_type", "u1", 11),
    F("step_time_s", "<u4", 12),
    F("voltage_V", "<i4", 16, 1e-4),
    F("current_mA", "<i4", 20, "range"),
    F("capacity_mAh", "<i8", 32, RH),
    F("energy_mWh", "<i8", 40, RH),
    F("unix_time_s", "<u8", 48),
)
_NDA10 = _nda(
    "nda 10",
    64,
    F("_id", "u1", 0),
    F("index", "<u4", 2),
    F("cycle_count_file", "<u4", 6),
    F("step_index", "u1", 10),
    F("step_type", "u1", 11),
    F("step_time_s", "<u8", 12),
    F("voltage_V", "<i4", 20, 1e-4),
    F("current_mA", "<i4", 24, "range"),
    F("capacity_mAh", "<i8", 36, RH),
    F("energy_mWh", "<i8", 44, RH),
    F("unix_time_s", "<u8", 52),
)
_NDA11 = _nda(
    "nda 11-13, 15, 18",
    69,
    F("_id", "u1", 0),
    F("index", "<u4", 2),
    F("cycle_count_file", "<u4", 6),
    F("step_index", "<u2", 10),
    F("step_type", "u1", 12),
    F("step_time_s", "<u8", 13, 1e-3),
    F("voltage_V", "<i4", 21, 1e-4),
    F("current_mA", "<i4", 25, "range"),
    F("capacity_mAh", "<i8", 37, RH),
    F("energy_mWh", "<i8", 45, RH),
    F("unix_time_s", "<u8", 53),
    F("current_range", "<i4", 61),
)
_NDA11_AUX = _nda(
    "nda 11 auxiliary",
    69,
    F("_id", "u1", 0),
    F("_channel", "u1", 1),
    F("index", "<u4", 2),
    F("voltage_V", "<i4", 21, 1e-4),
    F("temperature_degC", "<i2", 33, 0.1),
)
_NDA14 = _nda(
    "nda 14, 16, 17, 20, 22-24",
    86,
    F("_id", "u1", 0),
    F("index", "<u4", 2),
    F("cycle_count_file", "<u4", 6),
    F("step_index", "<u2", 10),
    F("step_type", "u1", 12),
    F("_step_counter", "u1", 13),
    F("step_time_s", "<u8", 14, 1e-3),
    F("voltage_V", "<i4", 22, 1e-4),
    F("current_mA", "<i4", 26, "range"),
    F("charge_capacity_mAh", "<i8", 38, RH),
    F("discharge_capacity_mAh", "<i8", 46, RH),
    F("charge_energy_mWh", "<i8", 54, RH),
    F("discharge_energy_mWh", "<i8", 62, RH),
    F("unix_time_s", "<u8", 70),
    F("current_range", "<i4", 78),
    verified=True,
)
_NDA14_AUX = _nda(
    "nda 14-29 auxiliary",
    86,
    F("_id", "u1", 0),
    F("_channel", "u1", 1),
    F("index", "<u4", 2),
    F("voltage_V", "<i4", 22, 1e-4),
    F("temperature_degC", "<i2", 34, 0.1),
)
_NDA19 = _nda(
    "nda 19",
    68,
    F("_id", "u1", 0),
    F("index", "<u4", 8),
    F("cycle_count_file", "<u4", 12),
    F("step_index", "<u2", 16),
    F("step_type", "u1", 18),
    F("step_time_s", "<u4", 24),
    F("voltage_V", "<i4", 28, 1e-4),
    F("current_mA", "<i4", 32, "range"),
    F("charge_capacity_mAh", "<i4", 44, RH),
    F("discharge_capacity_mAh", "<i4", 48, RH),
    F("charge_energy_mWh", "<i4", 52, RH),
    F("discharge_energy_mWh", "<i4", 56, RH),
    F("unix_time_s", "<u4", 60),
)
_NDA25 = replace(_NDA11, name="nda 25, 27", itemsize=70)  # nda 11's fields, one byte more
_NDA29 = _nda(
    "nda 26, 28, 29",
    86,
    F("_id", "u1", 0),
    F("index", "<u4", 2),
    F("cycle_count_file", "<u4", 6),
    F("step_index", "<u2", 10),
    F("step_type", "u1", 12),
    F("_step_counter", "u1", 13),
    F("step_time_s", "<u8", 14, 1e-3),
    F("voltage_V", "<i4", 22, 1e-4),
    F("current_mA", "<i4", 26, "range"),
    F("charge_capacity_mAh", "<i8", 38, RH),
    F("discharge_capacity_mAh", "<i8", 46, RH),
    F("charge_energy_mWh", "<i8", 54, RH),
    F("discharge_energy_mWh", "<i8", 62, RH),
    F("_year", "<u2", 70),
    F("_month", "u1", 72),
    F("_day", "u1", 73),
    F("_hour", "u1", 74),
    F("_minute", "u1", 75),
    F("_second", "u1", 76),
    F("current_range", "<i4", 78),
)

#: File version -> how its records are stored (fastnda 1.3.1 ``_NDA_READERS``; version 21
#: is documented by neither parser).
_V1_29: dict[int, NdaKind] = {
    1: NdaKind(_NDA1, data_ids=None, cycle_base=None, step_type_map={2: 3, 4: 2, 5: 4}),
    2: NdaKind(_NDA2, data_ids=frozenset({0}), cycle_base=None),
    **dict.fromkeys(
        (3, 4), NdaKind(_NDA3, data_ids=frozenset({0, _DATA_ID}), crc_at=39, cycle_base=None)
    ),
    **dict.fromkeys(
        (5, 7), NdaKind(_NDA5, data_ids=frozenset({0, _DATA_ID}), crc_at=55, crc_verified=True)
    ),
    **dict.fromkeys(
        (6, 8),
        NdaKind(
            _NDA5, data_ids=frozenset({0, _DATA_ID}), crc_at=55, crc_verified=True, cycle_base=1
        ),
    ),
    9: NdaKind(_NDA9, crc_at=56),
    10: NdaKind(_NDA10, crc_at=60, cycle_base=None),
    **dict.fromkeys((11, 12, 13, 15, 18), NdaKind(_NDA11, aux=_NDA11_AUX, crc_at=65)),
    **dict.fromkeys(
        (14, 16, 17, 20, 22, 23, 24), NdaKind(_NDA14, aux=_NDA14_AUX, signed_by_step=False)
    ),
    19: NdaKind(_NDA19, crc_at=64, signed_by_step=False),
    **dict.fromkeys((25, 27), NdaKind(_NDA25, crc_at=66, cycle_base=None)),
    **dict.fromkeys(
        (26, 28, 29),
        NdaKind(
            _NDA29,
            aux=_NDA14_AUX,
            aux_block=False,
            find=b"\x55\x00\x01\x00\x00\x00",
            signed_by_step=False,
        ),
    ),
}
_BTS9_VERSIONS = frozenset({129, 130})


def nda_version(head: bytes) -> int | None:
    """The file version of an .nda header (None when it is not one)."""
    if len(head) <= _VERSION_AT or not head.startswith(MAGIC):
        return None
    return head[_VERSION_AT]


def known_versions() -> list[int]:
    """Every .nda file version echem reads."""
    return sorted([*_V1_29, *_BTS9_VERSIONS])


def read_nda(path: str | Path) -> pd.DataFrame:
    """Read a Neware ``.nda`` file (versions 1-20, 22-29, 129, 130).

    Returns
    -------
    pandas.DataFrame
        ``time_s`` [s] (test time: step time plus the earlier steps' durations),
        ``voltage_V`` [V], ``current_A`` [A] (positive charging, as Neware records it),
        ``charge_C`` [C] (the instrument's capacity counter, charge minus discharge,
        restarting at 0 with each step), ``energy_J`` [J], ``temperature_degC`` (first
        auxiliary temperature channel, if any), ``cycle`` (BTSDA's charge-first cycle),
        ``step`` (running step number); then the original columns (``index``,
        ``step_index``, ``step_type``, ``unix_time_s``, ``current_mA``, ``capacity_mAh``,
        ...). ``attrs["start_time"]`` is the first record's time (UTC) where records carry
        one, else the header's test start (local wall clock); ``attrs["metadata"]``
        holds the file version, server version, test information (creator, barcode,
        remarks...), active mass and what was counted but not decoded.

    Raises
    ------
    echem.ParseError
        Not an .nda file, a version echem does not know (the message names it), a
        header pointing outside the file, a record failing its checksum, an unknown
        record identifier, or record indices going backwards.
    """
    path = Path(path)
    raw = read_bytes(path)  # not mapped: a file cut while mapped would kill the process
    version = nda_version(raw[:16])
    if version is None:
        if raw.startswith(MAGIC):
            raise ParseError(f"header cut short: {len(raw)} bytes", path, offset=len(raw))
        raise ParseError("not a Neware .nda file (no NEWARE magic bytes)", path, offset=0)
    if version in _BTS9_VERSIONS:
        from echem.io.neware.bts9 import read_bts9

        return read_bts9(raw, path, version)
    kind = _V1_29.get(version)
    if kind is None:
        raise ParseError(
            f"Neware .nda file version {version} is not supported (echem reads versions "
            f"{_version_list()})",
            path,
            offset=_VERSION_AT,
        )
    if len(raw) < _HEADER:
        raise ParseError(
            f"header cut short: {len(raw)} bytes, a version-{version} header has {_HEADER}",
            path,
            offset=len(raw),
        )
    metadata: dict[str, Any] = {"nda_version": version, "record_layout": kind.layout.name}
    metadata.update(_header_metadata(raw, version))
    if not kind.layout.verified:
        _warn_unverified(path, f".nda version {version}", metadata)
    begin, stop = _data_span(raw, kind, path)
    records, ids, tail = _records(raw, kind.layout, begin, stop)
    if tail:
        warnings.warn(
            f"{path}: the last record is cut short ({tail} of {kind.layout.itemsize} bytes"
            f" at byte {stop - tail}) and was left out",
            TruncatedDataWarning,
            stacklevel=2,
        )
    if kind.crc_at is not None:
        _check_crc(raw, begin, records.size, kind, path, metadata)
    data_mask = _classify(records, ids, kind, path, begin, metadata)
    fixed_range = _fixed_range(raw, path)
    columns, counter = _columns(records, data_mask, kind, fixed_range, path)
    offsets = begin + np.flatnonzero(data_mask) * kind.layout.itemsize
    _check_index(columns, offsets, path)
    _check_steps(columns, counter, kind, offsets, path)
    metadata["record_time"] = (
        "calendar date and time (local wall clock)"
        if kind.layout.has("_year")
        else "Unix time (UTC)"
        if kind.layout.has("unix_time_s")
        else "none (step times only)"
    )
    undecoded = undecoded_nonzero(
        as_bytes(raw, kind.layout, begin, records.size),
        kind.layout,
        ignore=[(kind.crc_at, kind.crc_at + 4)] if kind.crc_at is not None else [],
        only=None if data_mask.all() else data_mask,
    )
    if undecoded:
        metadata["undecoded_record_bytes"] = undecoded
    aux_records = _aux_records(raw, kind, records, ids, path, metadata)
    if aux_records is not None:
        all_zero = _merge_aux(columns, aux_records, path)
        if all_zero:
            metadata["auxiliary_all_zero"] = all_zero
    start_time = _start_time(columns, metadata)
    return _frame.build(
        columns,
        path=path,
        format=_frame.FORMAT_NDA,
        start_time=start_time,
        metadata=metadata,
    )


def _version_list() -> str:
    versions = known_versions()
    return ", ".join(str(v) for v in versions)


def _warn_unverified(path: Path, what: str, metadata: dict[str, Any]) -> None:
    metadata["layout_verified"] = False
    warnings.warn(
        f"{path}: {what} is read with the record layout documented by the public parsers "
        "(fastnda, NewareNDA); echem has not checked it against a real file of this version",
        EchemWarning,
        stacklevel=3,
    )


def _u32(raw: bytes, at: int) -> int:
    return int.from_bytes(raw[at : at + 4], "little")


def _data_span(raw: bytes, kind: NdaKind, path: Path) -> tuple[int, int]:
    """[begin, stop) of the data records (length 0 in the header: up to the auxiliary
    block or the end of the file). Bytes after them that no block claims are told with a
    warning (a header not updated while the test went on, or a damaged length)."""
    size = len(raw)
    if kind.find is not None:
        begin = raw.find(kind.find, _HEADER)
        if begin < 0:
            raise ParseError("no data record found (file holds no records?)", path, offset=_HEADER)
        return begin, size
    begin, length = _u32(raw, 64), _u32(raw, 68)
    if not _HEADER <= begin <= size:
        raise ParseError(
            f"the header places the data records at byte {begin}, outside the file ({size} bytes)",
            path,
            offset=64,
        )
    aux_begin, aux_length = (_u32(raw, 72), _u32(raw, 76)) if kind.aux_block else (0, 0)
    aux = (aux_begin, aux_begin + aux_length) if kind.aux and aux_length else None
    if length == 0:
        stop = aux[0] if aux is not None and begin <= aux[0] <= size else size
        _warn_unread(raw, kind, stop, aux, path)
        return begin, stop
    stop = begin + length
    if stop > size:
        warnings.warn(
            f"{path}: the header announces {length} bytes of records from byte {begin};"
            f" the file ends {stop - size} bytes short (cut or still being written)",
            TruncatedDataWarning,
            stacklevel=3,
        )
        return begin, size
    _warn_unread(raw, kind, stop, aux, path)
    return begin, stop


def _warn_unread(
    raw: bytes, kind: NdaKind, stop: int, aux: tuple[int, int] | None, path: Path
) -> None:
    """Warn when bytes after the data records (outside the auxiliary block) hold
    something: whole records there that open with a data identifier are counted."""
    parts = [(stop, len(raw))]
    if aux is not None and aux[0] >= stop:
        parts = [(stop, aux[0]), (aux[1], len(raw))]
    parts = [(a, b) for a, b in parts if b > a and any(raw[a:b])]
    if not parts:
        return
    size = kind.layout.itemsize
    first, last = parts[0]
    openings = np.frombuffer(raw, np.uint8, count=(last - first) // size * size, offset=first)
    records = int(np.isin(openings[::size], list(kind.data_ids or ())).sum())
    unread = sum(b - a for a, b in parts)
    warnings.warn(
        f"{path}: {unread} bytes after the data records the header announces (from byte"
        f" {first}) were not read; {records} of them would be whole records opening with a"
        " data identifier (a header not updated while the test went on, or a damaged"
        " length)",
        EchemWarning,
        stacklevel=4,
    )


def _records(
    raw: bytes, layout: Layout, begin: int, stop: int
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """The whole records in [begin, stop), their identifier bytes, and the length of a
    cut last record (0 when none)."""
    count, tail = divmod(stop - begin, layout.itemsize)
    records = view(raw, layout, begin, count)
    ids = records["_id"] if layout.has("_id") else None
    return records, ids, tail


def _check_crc(
    raw: bytes, begin: int, count: int, kind: NdaKind, path: Path, metadata: dict[str, Any]
) -> None:
    """Check each record's CRC-32 (zlib's, over the record with the CRC field zeroed).

    Layouts whose CRC echem verified on real files are always checked; for the others
    the check applies when the first record's CRC matches (a file whose field holds
    something else reads unchecked, said in the metadata).
    """
    size, at = kind.layout.itemsize, kind.crc_at
    rows = as_bytes(raw, kind.layout, begin, count)
    computed = crc32_rows(rows, (at, at + 4))
    stored = np.ascontiguousarray(rows[:, at : at + 4]).view("<u4").ravel()
    bad = np.flatnonzero(computed != stored)
    checked = count > 0 and (bad.size == 0 or bad[0] > 0 or kind.crc_verified)
    if bad.size and checked:
        row = int(bad[0])
        raise ParseError(
            f"record {row + 1} fails its CRC-32 check (stored {int(stored[row]):#010x},"
            f" computed {int(computed[row]):#010x}): the file is damaged",
            path,
            offset=begin + row * size,
        )
    metadata["record_checksums"] = "checked" if checked else "not a CRC-32: not checked"


def _classify(
    records: np.ndarray,
    ids: np.ndarray | None,
    kind: NdaKind,
    path: Path,
    begin: int,
    metadata: dict[str, Any],
) -> np.ndarray:
    """Mask of the data records; status records are counted, an unknown identifier is an
    error (a damaged record must not silently vanish)."""
    if ids is None or kind.data_ids is None:  # no identifier: empty slots have index 0
        return records["index"] != 0
    data = (
        np.isin(ids, list(kind.data_ids))
        if len(kind.data_ids) > 1
        else ids == next(iter(kind.data_ids))
    )
    if data.all():
        return data
    other = ids[~data]
    values, counts = np.unique(other, return_counts=True)
    known = set(_STATUS_IDS) | ({_AUX_ID} if kind.aux is not None and not kind.aux_block else set())
    unknown = [int(v) for v in values if int(v) not in known]
    if unknown:
        first = int(np.flatnonzero(np.isin(ids, unknown))[0])
        message = (
            f"record {first + 1} has the unknown identifier {unknown[0]:#04x}"
            f" ({len(unknown)} unknown identifier(s) in the file)"
        )
        if kind.layout.verified:
            raise ParseError(message, path, offset=begin + first * kind.layout.itemsize)
        warnings.warn(f"{path}: {message}; such records are left out", EchemWarning, stacklevel=3)
    status = {f"{int(v):#04x}": int(c) for v, c in zip(values, counts, strict=True) if v != _AUX_ID}
    if status:
        metadata["status_records"] = status
    return data


def _fixed_range(raw: bytes, path: Path) -> int:
    """The channel's current range from the header (used where a record has none)."""
    block = _u32(raw, 16)
    at = block + 26
    if at + 4 > len(raw):
        raise ParseError(
            f"the header's channel block (byte {block}) lies outside the file", path, offset=16
        )
    return int.from_bytes(raw[at : at + 4], "little", signed=True)


def _columns(
    records: np.ndarray, data: np.ndarray, kind: NdaKind, fixed_range: int, path: Path
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Named columns in V, mA, mAh, mWh, s of the data records (mask ``data``), and the
    records' step counter where they have one."""
    layout = kind.layout
    every = bool(data.all())

    def pick(values: np.ndarray) -> np.ndarray:
        return values if every else values[data]

    if layout.has("current_range"):
        ranges = records["current_range"].astype(np.int64)
        _steps.check_ranges(pick(ranges), path, "records")
        if (pick(ranges) == 0).any():
            _steps.check_ranges(fixed_range, path, "header")
        ranges = np.where(ranges == 0, fixed_range, ranges)
    else:
        _steps.check_ranges(fixed_range, path, "header")
        ranges = np.int64(fixed_range)
    # every record converted, then the data rows taken from each column: selecting rows
    # of a structured array with gaps is several times slower
    columns = {
        name: pick(values)
        for name, values in scaled(records, layout, _steps.range_multiplier(ranges)).items()
    }
    codes = columns["step_type"]
    if kind.step_type_map:
        remap = np.arange(256)
        for old, new in kind.step_type_map.items():
            remap[old] = new
        columns["step_type"] = codes = remap[codes]
    if "index" not in columns:
        columns["index"] = np.arange(1, codes.size + 1, dtype=np.int64)
    cycle = columns.get("cycle_count_file")
    if cycle is not None:
        if kind.cycle_base is None:
            columns["cycle_count_file"] = _steps.step_numbers(cycle)
        elif kind.cycle_base == 0:
            columns["cycle_count_file"] = cycle + 1
    if kind.signed_by_step:
        sign = _steps.directions(codes).astype(np.float64)
        sign = np.where(sign == 0, np.sign(columns["current_mA"]), sign)
        for name in ("capacity_mAh", "energy_mWh"):
            if name in columns:
                columns[name] = np.abs(columns[name]) * sign
    counter = pick(records["_step_counter"]) if layout.has("_step_counter") else None
    counters = [columns["step_index"], columns["cycle_count_file"]]
    if counter is not None:
        counters.append(counter)
    columns["step_count"] = _steps.step_numbers(*counters)
    if layout.has("_year"):
        columns["unix_time_s"] = pick(calendar_seconds(records))
    return columns, counter


def _check_index(columns: dict[str, np.ndarray], offsets: np.ndarray, path: Path) -> None:
    """Record indices must increase (a damaged index is an error, not a reordered row)."""
    index = columns["index"]
    if index.size < 2:
        return
    steps = np.diff(index)
    backwards = np.flatnonzero(steps <= 0)
    if backwards.size:
        row = int(backwards[0]) + 1
        raise ParseError(
            f"record index goes from {int(index[row - 1])} to {int(index[row])}: records out of"
            " order, repeated or damaged",
            path,
            offset=int(offsets[row]),
        )
    jumps = np.flatnonzero(steps > 1)
    if jumps.size:
        row = int(jumps[0]) + 1
        warnings.warn(
            f"{path}: record index jumps from {int(index[row - 1])} to {int(index[row])}"
            f" (byte {int(offsets[row])}); {jumps.size} gap(s) in the record numbering",
            EchemWarning,
            stacklevel=3,
        )


#: Counters that only grow within a step, where charge and discharge are stored apart.
_SPLIT_COUNTERS = (
    "charge_capacity_mAh",
    "discharge_capacity_mAh",
    "charge_energy_mWh",
    "discharge_energy_mWh",
)


def _check_steps(
    columns: dict[str, np.ndarray],
    counter: np.ndarray | None,
    kind: NdaKind,
    offsets: np.ndarray,
    path: Path,
) -> None:
    """Consistency a record's neighbours vouch for, where no checksum does.

    Where the record counts steps (``_step_counter``, versions 14-29), the counter moves
    where the plan's step index or the file's cycle does, and the step type changes only
    there; the counter may also move alone where the step time starts over (a step
    jumped to or run again: fastnda counts such a move as a new step too), which is told
    with a warning. Within a step, the step time and the separate charge and discharge
    counters (capacity, energy) never go back. A record breaking any of these is damaged
    (an error naming its byte offset); Unix time going backwards is told with a warning
    (a clock set back).
    """
    n = columns["index"].size
    if n < 2:
        return
    if counter is not None:
        moved = counter[1:] != counter[:-1]
        changed = {
            name: columns[name][1:] != columns[name][:-1]
            for name in ("step_index", "cycle_count_file", "step_type")
        }
        # a new step: the counter moves, and the plan's step index or the cycle with it
        plan = changed["step_index"] | changed["cycle_count_file"]
        time = columns["step_time_s"]
        again = moved & ~plan & ((time[1:] < time[:-1]) | (time[1:] == 0))
        if again.any():
            row = int(np.flatnonzero(again)[0]) + 1
            warnings.warn(
                f"{path}: the step counter moves without the plan's step or cycle at"
                f" {int(again.sum())} record(s) (first: record {int(columns['index'][row])},"
                f" byte {int(offsets[row])}) where the step time starts over: read as new"
                " steps (a step jumped to or run again)",
                EchemWarning,
                stacklevel=3,
            )
        wrong = np.flatnonzero(((plan != moved) & ~again) | (changed["step_type"] & ~moved))
        if wrong.size:
            row = int(wrong[0]) + 1
            what = ", ".join(
                f"{name} {int(columns[name][row - 1])} -> {int(columns[name][row])}"
                for name in changed
            )
            raise ParseError(
                f"record {int(columns['index'][row])}: the step counter"
                f" ({int(counter[row - 1])} -> {int(counter[row])}) disagrees with {what}:"
                " the record is damaged",
                path,
                offset=int(offsets[row]),
            )
    same_step = columns["step_count"][1:] == columns["step_count"][:-1]
    counters = ["step_time_s"] + [name for name in _SPLIT_COUNTERS if kind.layout.has(name)]
    for name in counters:
        values = columns[name]
        back = np.flatnonzero(same_step & (values[1:] < values[:-1]))
        if back.size:
            row = int(back[0]) + 1
            raise ParseError(
                f"record {int(columns['index'][row])}: {name} goes back from"
                f" {columns[name][row - 1]:g} to {columns[name][row]:g} within a step: the record"
                " is damaged",
                path,
                offset=int(offsets[row]),
            )
    unix = columns.get("unix_time_s")
    if unix is not None:
        back = np.flatnonzero(np.diff(unix) < 0)
        if back.size:
            row = int(back[0]) + 1
            warnings.warn(
                f"{path}: the Unix time goes backwards at record {int(columns['index'][row])}"
                f" (byte {int(offsets[row])}; {back.size} time(s)): a clock set back, or damage;"
                " time_s (step times) is not affected",
                EchemWarning,
                stacklevel=3,
            )


def _aux_records(
    raw: bytes,
    kind: NdaKind,
    records: np.ndarray,
    ids: np.ndarray | None,
    path: Path,
    metadata: dict[str, Any],
) -> np.ndarray | None:
    """Auxiliary-channel records (identifier 0x65), from their block or the data stream."""
    if kind.aux is None:
        return None
    layout = kind.aux
    if not kind.aux_block:
        if ids is None or not (ids == _AUX_ID).any():
            return None
        raw_rows = records.view(np.uint8).reshape(records.size, kind.layout.itemsize)
        chosen = np.ascontiguousarray(raw_rows[ids == _AUX_ID])
        return chosen.view(layout.dtype).ravel()
    begin, length = _u32(raw, 72), _u32(raw, 76)
    if length == 0:
        return None
    if begin + length > len(raw):
        raise ParseError(
            f"the header places {length} bytes of auxiliary records at byte {begin}, beyond"
            f" the end of the file ({len(raw)} bytes)",
            path,
            offset=72,
        )
    count = length // layout.itemsize
    aux = view(raw, layout, begin, count)
    mask = aux["_id"] == _AUX_ID
    if not mask.all():
        metadata["auxiliary_records_skipped"] = int((~mask).sum())
    return aux[mask]


def _merge_aux(columns: dict[str, np.ndarray], aux: np.ndarray, path: Path) -> list[str]:
    """Auxiliary channels as ``aux<N>_voltage_V`` / ``aux<N>_temperature_degC`` columns,
    matched to the data rows by record index (NaN where a channel has no value); the
    names of those left out because every value is 0 (a quantity the channel does not
    measure) are returned."""
    all_zero = []
    index = columns["index"]
    channels = np.unique(aux["_channel"])
    for channel in channels.tolist():
        rows = aux[aux["_channel"] == channel]
        where, inside = match_index(index, rows["index"])
        if not inside.all():
            warnings.warn(
                f"{path}: {int((~inside).sum())} auxiliary record(s) of channel {channel} match"
                " no data record; left out",
                EchemWarning,
                stacklevel=3,
            )
        for quantity, factor in (("voltage_V", 1e-4), ("temperature_degC", 0.1)):
            values = np.full(index.size, np.nan)
            values[where[inside]] = rows[quantity][inside].astype(np.float64) * factor
            if np.any(values[np.isfinite(values)] != 0):
                columns[f"aux{channel}_{quantity}"] = values
            else:
                all_zero.append(f"aux{channel}_{quantity}")
    return all_zero


# --- header: versions and test information -------------------------------------------------
#: (first version, byte offset) of the active mass (u32, µg).
_ACTIVE_MASS_AT = ((9, 152), (8, 144), (1, 80))
#: (first version, record size, {name: (offset, length)}) of the test-information record.
_TEST_INFO = (
    (29, 503, {"start": (37, 20), "creator": (77, 60), "serial": (137, 90), "remarks": (227, 100),
               "barcode": (343, 40), "test_name": (383, 60), "step_name": (443, 60)}),
    (17, 383, {"start": (37, 20), "creator": (77, 60), "serial": (137, 90), "remarks": (227, 100),
               "barcode": (343, 40)}),
    (11, 327, {"start": (37, 20), "creator": (77, 60), "serial": (137, 90), "remarks": (227, 100)}),
    (1, 211, {"start": (36, 20), "creator": (76, 15), "serial": (91, 20), "remarks": (111, 100)}),
)  # fmt: skip
_START_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y.%m.%d %H:%M:%S")


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("gb18030", errors="replace").strip()


def _header_metadata(raw: bytes, version: int) -> dict[str, Any]:
    """File date, server version, active mass and the test-information record."""
    meta: dict[str, Any] = {"instrument": "Neware BTS", "file_date": _text(raw[6:14])}
    server = raw.find(b"BTSServer", 0, 65536)
    if server >= 0:
        meta["server_version"] = _text(raw[server : server + 50])
        meta["client_version"] = _text(raw[server + 100 : server + 150])
    else:
        xwj = raw.find(b"BTS_XWJ", 0, 1024)
        if xwj >= 0:
            meta["server_version"] = _text(raw[xwj:1024])
    version_text = meta.get("client_version") or meta.get("server_version")
    if version_text:
        meta["software_version"] = version_text
    at = next(offset for first, offset in _ACTIVE_MASS_AT if version >= first)
    meta["active_mass_mg"] = _u32(raw, at) / 1000
    size, fields = next((s, f) for first, s, f in _TEST_INFO if version >= first)
    begin, length = _u32(raw, 24), _u32(raw, 28)
    count = length // size if begin and length else 0
    if count and begin + count * size <= len(raw):
        record = raw[begin + (count - 1) * size : begin + count * size]
        info = {name: _text(record[o : o + n]) for name, (o, n) in fields.items()}
        meta["test_info"] = {name: value for name, value in info.items() if value}
    return meta


def _header_start(metadata: dict[str, Any]) -> str | None:
    text = metadata.get("test_info", {}).get("start")
    for fmt in _START_FORMATS:
        try:
            return datetime.strptime(text or "", fmt).isoformat()
        except ValueError:
            continue
    return None


def _start_time(columns: dict[str, np.ndarray], metadata: dict[str, Any]) -> str | None:
    """The first record's time: Unix time as UTC, a calendar field as written; else the
    header's test start (a local wall clock)."""
    header = _header_start(metadata)
    if header is not None:
        metadata["test_start_local"] = header
    unix = columns.get("unix_time_s")
    if unix is not None and unix.size and unix[0] > 0:
        if metadata["record_time"].startswith("calendar"):
            return _frame.iso_from_wall_clock(float(unix[0]))
        return _frame.iso_from_unix(float(unix[0]))
    return header
