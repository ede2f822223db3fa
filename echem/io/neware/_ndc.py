"""The ``.ndc`` members of a Neware ``.ndax`` archive: paged, bit-masked record files.

Layout (fastnda 1.3.1 ``fastnda/_ndc/``, NewareNDA 2026.6.11 ``NewareNDAx.py``; checked on
the real files of NDC versions 2, 14, 16 and 17):

* byte 0 the **file type** (1 main data, 5 auxiliary channel, 7 steps, 18 run
  information; 3, 9 and 16 hold channel settings, the event log and "es" records, which
  echem lists but does not decode), byte 2 the **NDC version**;
* the file is a sequence of pages (512 bytes up to version 4, 4096 bytes from version 5);
  the first page is the file header. Each data page: byte 0 the page type, u16 at byte 2
  the number of records in it, from byte 4 a bit mask of the used record slots
  (bit i of byte i // 8, least significant first), the records from byte 5 (512-byte
  pages) or 132 (4096-byte pages), as many whole records as fit before the page's last
  byte. echem checks each page's count against its bit mask.

Records without an index field are numbered by slot (1-based, over all slots of all
pages): the main data, auxiliary and run-information files of one archive share that
numbering. Version 7 (main and auxiliary files) and 15 (main) declare their columns in
the file header (column codes from byte 13; for 15 a record size at byte 516 and
(code, type, position) items from byte 520).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from echem.errors import ParseError
from echem.io.neware._records import RANGE, RANGE_PER_HOUR, Layout
from echem.io.neware._records import Field as F

__all__ = ["MAIN", "AUX", "STEPS", "RUNINFO", "NdcKind", "Pages", "ndc_kind", "page_records"]

MAIN, AUX, STEPS, RUNINFO = 1, 5, 7, 18
#: File types echem knows but does not decode: channel settings, event log, "es" records.
NOT_DECODED = {3: "auxiliary settings", 9: "event log", 16: "es records"}

_D = (("_year", "<u2"), ("_month", "u1"), ("_day", "u1"), ("_hour", "u1"), ("_minute", "u1"))


def _date(at: int) -> tuple[F, ...]:
    """Calendar fields year (u16) .. second (u8) from ``at``."""
    fields = [F(name, dtype, at + i + (1 if i else 0)) for i, (name, dtype) in enumerate(_D)]
    return (*fields, F("_second", "u1", at + 6))


def _full_record(name: str, size: int, start: int, pad_after_type: int, verified: bool) -> Layout:
    """Main records of versions 1-5: everything in one record (index at ``start``)."""
    at = start + 10 + pad_after_type  # step time after index, cycle, step index, type, padding
    return Layout(
        name,
        size,
        (
            F("_id", "u1", 0),
            F("index", "<u4", start),
            F("cycle_count_file", "<u4", start + 4),
            F("step_index", "u1", start + 8),
            F("step_type", "u1", start + 9),
            F("step_time_s", "<u8", at, 1e-3),
            F("voltage_V", "<i4", at + 8, 1e-4),
            F("current_mA", "<i4", at + 12, RANGE),
            F("charge_capacity_mAh", "<i8", at + 20, RANGE_PER_HOUR),
            F("discharge_capacity_mAh", "<i8", at + 28, RANGE_PER_HOUR),
            F("charge_energy_mWh", "<i8", at + 36, RANGE_PER_HOUR),
            F("discharge_energy_mWh", "<i8", at + 44, RANGE_PER_HOUR),
            *_date(at + 52),
            F("current_range", "<i4", at + 59),
        ),
        verified,
    )


def _aux_record(name: str, size: int, start: int, verified: bool) -> Layout:
    """Auxiliary records of versions 1-5 (index at ``start``; the channel number at byte 3
    when the record has room for it before the index)."""
    channel = (F("_channel", "u1", 3),) if start >= 8 else ()
    return Layout(
        name,
        size,
        (
            F("_id", "u1", 0),
            *channel,
            F("index", "<u4", start),
            F("voltage_V", "<i4", start + 23, 1e-4),
            F("temperature_degC", "<i2", start + 33, 0.1),
            F("temperature_setpoint_degC", "<i2", start + 35, 0.1),
        ),
        verified,
    )


def _vi(name: str, volt_scale: float, current_scale: float, verified: bool) -> Layout:
    """Main records of versions 8-17: float32 voltage and current only."""
    return Layout(
        name,
        8,
        (F("voltage_V", "<f4", 0, volt_scale), F("current_mA", "<f4", 4, current_scale)),
        verified,
    )


def _runinfo(name: str, size: int, pad: int, ms: bool, to_mah: float, ms_signed: bool = False):
    """Run-information records: step time (ms), capacities and energies (``to_mah``
    converts the stored unit: 1000 for Ah/Wh, 1/3600 for mA s/mW s), the logging
    interval (ms), Unix time (s, plus ms from version 11), the step number, the index."""
    at = 21 + pad  # after the four floats and ``pad`` unknown bytes
    fields = [
        F("step_time_s", "<u4", 0, 1e-3),
        F("charge_capacity_mAh", "<f4", 5, to_mah),
        F("discharge_capacity_mAh", "<f4", 9, to_mah),
        F("charge_energy_mWh", "<f4", 13, to_mah),
        F("discharge_energy_mWh", "<f4", 17, to_mah),
        F("_dt_ms", "<i4", at),
        F("_unix_s", "<u4", at + 4),
        F("_step", "<u4", at + 8),
        F("index", "<u4", at + 12),
    ]
    if ms:
        fields.append(F("_unix_ms", "<i2" if ms_signed else "<u2", at + 16))
    return Layout(name, size, tuple(fields))


_STEPS6 = Layout(
    "steps (versions 6-14)",
    37,
    (F("cycle_count_file", "<u4", 0), F("step_index", "<u4", 4), F("step_type", "u1", 24)),
)
_STEPS14 = Layout(
    "steps (version 14)",
    37,
    (*_STEPS6.fields, F("_index", "<u4", 33)),
    verified=True,
)
_STEPS16 = Layout(
    "steps (versions 16-17)",
    100,
    (
        F("cycle_count_file", "<u4", 0),
        F("step_index", "<u4", 4),
        F("step_type", "u1", 24),
        F("_index", "<u4", 33),
    ),
    verified=True,
)
_MAIN6 = Layout(
    "main (version 6)",
    38,
    (
        F("step_time_s", "<u4", 0, 1e-3),
        F("voltage_V", "<f4", 5),
        F("current_mA", "<f4", 9, 1000.0),
        F("charge_capacity_mAh", "<f4", 13, 1000.0),
        F("discharge_capacity_mAh", "<f4", 17, 1000.0),
        F("charge_energy_mWh", "<f4", 21, 1000.0),
        F("discharge_energy_mWh", "<f4", 25, 1000.0),
        F("_unix_s", "<u4", 30),
        F("_step", "<u4", 34),
    ),
)
_AUX_FLOAT = Layout("auxiliary float (versions 6-17)", 4, (F("value", "<f4", 0),))
_AUX65_11 = Layout(
    "auxiliary 0x65 (versions 9-13)",
    7,
    (F("_id", "u1", 0), F("voltage_V", "<f4", 1, 1e-4), F("temperature_degC", "<i2", 5, 0.1)),
)
_AUX65_16 = Layout(
    "auxiliary 0x65 (version 16)",
    7,
    (F("_id", "u1", 0), F("voltage_V", "<f4", 1, 1e-4), F("temperature_degC", "<i2", 5, 0.1)),
    verified=True,
)
_AUX74_11 = Layout(
    "auxiliary 0x74 (versions 9-13)",
    88,
    (
        F("_id", "u1", 0),
        F("index", "<u4", 1),
        F("_channel", "u1", 5),
        F("temperature_degC", "<i2", 35, 0.1),
    ),
)


@dataclass(frozen=True)
class NdcKind:
    """How one (version, file type) stores its records: the layout (None when the file
    header declares it, or ``by_first_id`` picks it), the page size, where records
    start in a page, and the layouts told apart by the first record's identifier byte."""

    layout: Layout | None
    page: int = 4096
    start: int = 132
    by_first_id: tuple[tuple[int, Layout], ...] = ()


_SMALL = {"page": 512, "start": 5}
#: (NDC version, file type) -> records (fastnda 1.3.1 ``_NDC_READERS``).
_KINDS: dict[tuple[int, int], NdcKind] = {
    (1, MAIN): NdcKind(_full_record("main (versions 1, 3)", 83, 8, 2, False), **_SMALL),
    (3, MAIN): NdcKind(_full_record("main (versions 1, 3)", 83, 8, 2, False), **_SMALL),
    (2, MAIN): NdcKind(_full_record("main (versions 2, 4)", 94, 8, 5, True), **_SMALL),
    (4, MAIN): NdcKind(_full_record("main (versions 2, 4)", 94, 8, 5, False), **_SMALL),
    (2, AUX): NdcKind(_aux_record("auxiliary (versions 2, 4)", 94, 8, True), **_SMALL),
    (4, AUX): NdcKind(_aux_record("auxiliary (versions 2, 4)", 94, 8, False), **_SMALL),
    (5, MAIN): NdcKind(_full_record("main (version 5)", 87, 1, 5, False)),
    (5, AUX): NdcKind(_aux_record("auxiliary (version 5)", 87, 1, False)),
    (6, MAIN): NdcKind(_MAIN6),
    (6, AUX): NdcKind(_AUX_FLOAT),
    (6, STEPS): NdcKind(_STEPS6),
    (7, MAIN): NdcKind(None),
    (7, AUX): NdcKind(None),
    (8, MAIN): NdcKind(_vi("main (version 8)", 1.0, 1000.0, False)),
    (8, AUX): NdcKind(_AUX_FLOAT),
    (8, STEPS): NdcKind(_STEPS6),
    (8, RUNINFO): NdcKind(_runinfo("run info (version 8)", 42, 5, False, 1000.0)),
    (9, MAIN): NdcKind(_vi("main (versions 9, 11, 13)", 1e-4, 1.0, False)),
    (9, AUX): NdcKind(None, by_first_id=((0x65, _AUX65_11), (0x74, _AUX74_11))),
    (9, STEPS): NdcKind(_STEPS6),
    (9, RUNINFO): NdcKind(_runinfo("run info (version 9)", 45, 8, False, 1 / 3600)),
    (11, MAIN): NdcKind(_vi("main (versions 9, 11, 13)", 1e-4, 1.0, False)),
    (11, AUX): NdcKind(None, by_first_id=((0x65, _AUX65_11), (0x74, _AUX74_11))),
    (11, STEPS): NdcKind(_STEPS6),
    (11, RUNINFO): NdcKind(_runinfo("run info (version 11)", 47, 8, True, 1 / 3600)),
    (12, MAIN): NdcKind(_vi("main (version 12)", 1.0, 1000.0, False)),
    (12, AUX): NdcKind(_AUX_FLOAT),
    (12, STEPS): NdcKind(_STEPS6),
    (12, RUNINFO): NdcKind(_runinfo("run info (version 12)", 47, 8, True, 1000.0)),
    (13, MAIN): NdcKind(_vi("main (versions 9, 11, 13)", 1e-4, 1.0, False)),
    (13, AUX): NdcKind(None, by_first_id=((0x65, _AUX65_11), (0x74, _AUX74_11))),
    (13, STEPS): NdcKind(_STEPS6),
    (13, RUNINFO): NdcKind(_runinfo("run info (version 13)", 55, 8, True, 1 / 3600)),
    (14, MAIN): NdcKind(_vi("main (versions 14, 17)", 1.0, 1000.0, True)),
    (14, AUX): NdcKind(Layout(_AUX_FLOAT.name, 4, _AUX_FLOAT.fields, verified=True)),
    (14, STEPS): NdcKind(_STEPS14),
    (14, RUNINFO): NdcKind(_runinfo("run info (version 14)", 55, 8, True, 1000.0, True)),
    (15, MAIN): NdcKind(None),
    (16, MAIN): NdcKind(_vi("main (version 16)", 1e-4, 1.0, True)),
    (16, AUX): NdcKind(None, by_first_id=((0x65, _AUX65_16),)),
    (16, STEPS): NdcKind(_STEPS16),
    (16, RUNINFO): NdcKind(_runinfo("run info (version 16)", 100, 8, True, 1 / 3600)),
    (17, MAIN): NdcKind(_vi("main (versions 14, 17)", 1.0, 1000.0, True)),
    (17, AUX): NdcKind(Layout(_AUX_FLOAT.name, 4, _AUX_FLOAT.fields, verified=True)),
    (17, STEPS): NdcKind(_STEPS16),
    (17, RUNINFO): NdcKind(_runinfo("run info (version 17)", 100, 8, True, 1000.0)),
}
#: Layouts checked by echem on the real files (the run-info layouts of 14, 16 and 17).
_VERIFIED_RUNINFO = frozenset({14, 16, 17})


def known_versions() -> list[int]:
    """Every NDC version echem reads the main data file of."""
    return sorted({version for version, filetype in _KINDS if filetype == MAIN})


def ndc_kind(version: int, filetype: int) -> NdcKind | None:
    """How (version, file type) stores its records (None when echem does not know)."""
    return _KINDS.get((version, filetype))


def verified(version: int, filetype: int, layout: Layout) -> bool:
    """True when echem checked this layout against a real file."""
    return layout.verified or (filetype == RUNINFO and version in _VERIFIED_RUNINFO)


def layout_of(buf: bytes, version: int, filetype: int, kind: NdcKind, name: str) -> Layout:
    """The record layout of one .ndc member (from the table, the first record's
    identifier, or the column declaration in the file header)."""
    if kind.layout is not None:
        return kind.layout
    if kind.by_first_id:
        counts = [int.from_bytes(buf[at + 2 : at + 4], "little") for at in _pages(buf, kind)]
        if not any(counts):  # no record (a channel that has not logged yet): any layout
            return kind.by_first_id[0][1]
        first = buf[kind.page + kind.start] if len(buf) > kind.page + kind.start else None
        for identifier, layout in kind.by_first_id:
            if first == identifier:
                return layout
        raise ParseError(
            f"{name}: unknown auxiliary record kind {first!r} for NDC version {version}",
            offset=kind.page + kind.start,
        )
    if version == 7:
        return _declared_7(buf, name)
    return _declared_15(buf, name)


def _pages(buf: bytes, kind: NdcKind) -> range:
    """Byte offsets of the data pages (every page after the header page)."""
    return range(kind.page, len(buf) - kind.page + 1, kind.page)


class Pages(NamedTuple):
    """The used records of an .ndc file: decoded, their 1-based slot numbers, and as
    bytes (shape ``(n, itemsize)``)."""

    records: np.ndarray
    slots: np.ndarray
    rows: np.ndarray


def page_records(buf: bytes, layout: Layout, kind: NdcKind, name: str) -> Pages:
    """The used records of an .ndc file and their 1-based slot numbers.

    Raises
    ------
    echem.ParseError
        The file is not a whole number of pages, or a page's record count disagrees with
        its bit mask (a damaged page).
    """
    page, start = kind.page, kind.start
    if len(buf) % page:
        raise ParseError(
            f"{name}: {len(buf)} bytes is not a whole number of {page}-byte pages",
            offset=len(buf) - len(buf) % page,
        )
    n_pages = len(buf) // page - 1
    slots = (page - start - 1) // layout.itemsize
    if n_pages <= 0 or slots <= 0:
        empty = np.empty((0, layout.itemsize), dtype=np.uint8)
        return Pages(np.empty(0, dtype=layout.dtype), np.empty(0, dtype=np.int64), empty)
    pages = np.frombuffer(buf, dtype=np.uint8, offset=page).reshape(n_pages, page)
    mask_bytes = -(-slots // 8)
    if 4 + mask_bytes > start:
        raise ParseError(f"{name}: {slots} record slots do not fit the page's bit mask")
    used = np.unpackbits(pages[:, 4 : 4 + mask_bytes], axis=1, bitorder="little")[:, :slots]
    counts = pages[:, 2].astype(np.int64) | (pages[:, 3].astype(np.int64) << 8)
    wrong = np.flatnonzero(counts != used.sum(axis=1))
    if wrong.size:
        p = int(wrong[0])
        raise ParseError(
            f"{name}: page {p + 1} says it holds {counts[p]} records, its bit mask"
            f" {int(used[p].sum())}: the file is damaged",
            offset=(p + 1) * page,
        )
    body = np.ascontiguousarray(pages[:, start : start + slots * layout.itemsize])
    rows = body.reshape(-1, layout.itemsize)
    flat = used.reshape(-1).astype(bool)
    chosen = np.ascontiguousarray(rows[flat])
    records = chosen.view(layout.dtype).reshape(-1)
    return Pages(records, np.flatnonzero(flat).astype(np.int64) + 1, chosen)


# --- layouts declared in the file header ---------------------------------------------------
#: NDC version 7 column code -> fields (name, type) it occupies, in order.
_CODES_7: dict[int, tuple[tuple[str, str, float | str], ...]] = {
    1: (("_flag", "u1", 1.0),),
    6: (("index", "<u4", 1.0),),
    7: (("cycle_count_file", "<u4", 1.0),),
    8: (("step_index", "u1", 1.0),),
    9: (("step_type", "u1", 1.0),),
    10: (("_step_changes", "u1", 1.0),),
    11: (("_work_type", "<u4", 1.0),),
    12: (("step_time_s", "<u8", 1e-3),),
    13: (("voltage_V", "<i4", 1e-4),),
    14: (("current_mA", "<i4", 1.0),),
    15: (("_internal_resistance", "<u2", 1.0),),
    16: (("temperature_degC", "<i2", 0.1),),
    17: (("charge_capacity_mAh", "<i8", 1 / 3600),),
    18: (("discharge_capacity_mAh", "<i8", 1 / 3600),),
    19: (("charge_energy_mWh", "<i8", 1 / 3600),),
    20: (("discharge_energy_mWh", "<i8", 1 / 3600),),
    21: tuple((n, t, 1.0) for n, t in (*_D, ("_second", "u1"))),
    28: (("_step_range", "<u4", 1.0),),
    29: (("total_time_s", "<u8", 1e-3),),
    51: (("_total_capacity", "<u8", 1.0),),
    52: (("_total_energy", "<u8", 1.0),),
    53: (("_unix_ms", "<u2", 1.0),),
}


def _declared_7(buf: bytes, name: str) -> Layout:
    """NDC 7: column codes (i32, up to 40, 0-terminated) from byte 13 of the header."""
    if len(buf) < 13 + 160:
        raise ParseError(f"{name}: header too short for its column list", offset=13)
    codes = np.frombuffer(buf, dtype="<i4", count=40, offset=13).tolist()
    fields: list[F] = []
    at = 0
    for position, code in enumerate(codes):
        if code == 0:
            break
        entry = _CODES_7.get(code)
        if entry is None:
            raise ParseError(
                f"{name}: unknown column code {code} in the NDC version 7 header",
                offset=13 + 4 * position,
            )
        for field_name, dtype, scale in entry:
            fields.append(F(field_name, dtype, at, scale))
            at += np.dtype(dtype).itemsize
    if not fields:
        raise ParseError(f"{name}: the NDC version 7 header declares no column", offset=13)
    return Layout("declared (version 7)", at, tuple(fields))


#: NDC 15 fixed record prefix, then the declared items (axis type -> fields).
_PREFIX_15 = (
    F("step_index", "u1", 2),
    F("step_type", "u1", 3),
    F("index", "<u4", 8),
    F("_total_s", "<u4", 12),
    F("_total_ns", "<u4", 16),
    F("current_mA", "<f4", 20),
    F("voltage_V", "<f4", 24),
    F("_capacity_mAs", "<f4", 28),
    F("_energy_mWs", "<f4", 32),
)
_ITEMS_15: dict[int, tuple[tuple[str, str], ...]] = {
    15: (("_unix_s", "<u4"), ("_unix_ns", "<u4")),
    65: (("_step_s", "<u4"), ("_step_ns", "<u4")),
    5: (("_charge_capacity_mAs", "<f4"),),
    6: (("_discharge_capacity_mAs", "<f4"),),
    8: (("_charge_energy_mWs", "<f4"),),
    9: (("_discharge_energy_mWs", "<f4"),),
}
_ITEM_15 = np.dtype([("axis", "<i4"), ("value_type", "u1"), ("position", "<i4")])


def _declared_15(buf: bytes, name: str) -> Layout:
    """NDC 15 (BTS 9): record size (u32) at byte 516, items from byte 520."""
    if len(buf) < 520 + 300 * _ITEM_15.itemsize:
        raise ParseError(f"{name}: header too short for its column declaration", offset=516)
    size = int.from_bytes(buf[516:520], "little")
    items = np.frombuffer(buf, dtype=_ITEM_15, count=300, offset=520)
    ends = np.flatnonzero((items["axis"] == 0) & (items["value_type"] == 0))
    items = items[: ends[0] if ends.size else items.size]
    fields = list(_PREFIX_15)
    for axis, position in zip(items["axis"].tolist(), items["position"].tolist(), strict=True):
        at = position
        for field_name, dtype in _ITEMS_15.get(axis, ()):
            fields.append(F(field_name, dtype, at))
            at += np.dtype(dtype).itemsize
    try:
        return Layout("declared (version 15)", size, tuple(fields))
    except ValueError as error:
        raise ParseError(f"{name}: {error}", offset=516) from None


#: BTS 9 (NDC 15) step-type codes that differ from BTS 8's.
STEP_TYPES_15 = {21: 27, 22: 26}


def member_error(path: Path, error: ParseError) -> ParseError:
    """``error`` (raised without a path, naming the member) with the archive's path."""
    return ParseError(error.reason, path, offset=error.offset)
