"""Neware BTS 9 ``.nda`` files (file versions 129 and 130).

Layout as documented by fastnda 1.3.1 (``fastnda/nda.py``: ``_bts9_data_blocks``,
``_read_bts9_2``, ``_read_bts9_19``) and NewareNDA 2026.6.11 (``_read_nda_130``); no
real BTS 9 file is in echem's test data, so every read says so with an
:class:`echem.EchemWarning`:

* u16 record version at byte 16: 2 and 3 use an 88-byte record, 19 and 42 a record of
  52, 56 or 60 bytes (the length is not stored: it is the one known length at whose
  multiples every record opens with the first record's identifier);
* u64 (begin, length) of the data block at byte 82; begin 0 with a ``NEWARE`` header at
  byte 1024 means a chain of 1 kB headers, each with its block at +82 and a pointer to
  the next header (u64 begin + length at +242);
* record version 2/3: identifier 0x55 at byte 4, step time and Unix time in µs,
  float32 voltage (V), current (mA), charge/discharge capacity (mA s) and energy
  (mW s); record version 19/42: identifier at byte 0, test time and Unix time in s + ns,
  float32 current, voltage, one signed capacity and energy (mA s, mW s; negative while
  discharging), the cycle counter, and in the 56- and 60-byte records a temperature.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import ParseError
from echem.io.neware import _frame, _steps
from echem.io.neware._records import Field as F
from echem.io.neware._records import Layout, scaled, view

__all__ = ["read_bts9"]

_RECORD_VERSION_AT = 16
_IDENTIFIER = 0x55
_BTS_VERSION = re.compile(rb"\d+(?:\.[\dA-Za-z]+){4,}")

_V2 = Layout(
    "BTS 9 record version 2-3",
    88,
    (
        F("_id", "u1", 4),
        F("step_index", "u1", 9),
        F("step_type", "u1", 10),
        F("index", "<u4", 16),
        F("step_time_s", "<u8", 28, 1e-6),
        F("voltage_V", "<f4", 36),
        F("current_mA", "<f4", 40),
        F("charge_capacity_mAh", "<f4", 52, 1 / 3600),
        F("charge_energy_mWh", "<f4", 56, 1 / 3600),
        F("discharge_capacity_mAh", "<f4", 60, 1 / 3600),
        F("discharge_energy_mWh", "<f4", 64, 1 / 3600),
        F("unix_time_s", "<u8", 68, 1e-6),
    ),
)
_HEAD19 = (
    F("_id", "<u2", 0),
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
_V19: dict[int, Layout] = {
    52: Layout(
        "BTS 9 record version 19 (52 bytes)",
        52,
        (
            *_HEAD19,
            F("cycle_count_file", "<u4", 36),
            F("_unix_s", "<u4", 44),
            F("_unix_ns", "<u4", 48),
        ),
    ),
    56: Layout(
        "BTS 9 record version 19 (56 bytes)",
        56,
        (
            *_HEAD19,
            F("cycle_count_file", "<u4", 36),
            F("_unix_s", "<u4", 44),
            F("_unix_ns", "<u4", 48),
            F("aux1_temperature_degC", "<f4", 52),
        ),
    ),
    60: Layout(
        "BTS 9 record version 19 (60 bytes)",
        60,
        (
            *_HEAD19,
            F("_unix_s", "<u4", 36),
            F("_unix_ns", "<u4", 40),
            F("aux1_temperature_degC", "<f4", 48),
            F("cycle_count_file", "<u4", 52),
        ),
    ),
}
#: Record version -> {record length: layout}.
_RECORD_VERSIONS: dict[int, dict[int, Layout]] = {2: {88: _V2}, 3: {88: _V2}, 19: _V19, 42: _V19}


def read_bts9(raw: bytes, path: Path, version: int) -> pd.DataFrame:
    """Read a BTS 9 .nda file held in ``raw`` (see the module docstring)."""
    from echem.io.neware.nda import _warn_unverified

    record_version = int.from_bytes(raw[_RECORD_VERSION_AT : _RECORD_VERSION_AT + 2], "little")
    layouts = _RECORD_VERSIONS.get(record_version)
    if layouts is None:
        raise ParseError(
            f"Neware .nda version {version} with BTS 9 record version {record_version} is not"
            f" supported (echem reads record versions {sorted(_RECORD_VERSIONS)})",
            path,
            offset=_RECORD_VERSION_AT,
        )
    blocks = _blocks(raw, path)
    layout = _layout(raw, blocks, layouts, path)
    metadata: dict[str, Any] = {
        "nda_version": version,
        "bts9_record_version": record_version,
        "record_layout": layout.name,
        "record_time": "Unix time (UTC)",
    }
    found = _BTS_VERSION.search(raw, 0, 65536)
    if found:
        metadata["bts_version"] = found.group().decode("ascii", errors="replace")
    _warn_unverified(path, f".nda version {version} (BTS 9)", metadata)
    id_field = layout.fields[0]
    pieces = []
    for begin, length in blocks:
        records = view(raw, layout, begin, length // layout.itemsize)
        pieces.append(records[records[id_field.name] == _identifier(raw, blocks, layout)])
    data = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
    columns = {k: v for k, v in scaled(data, layout).items() if not k.startswith("_")}
    if layout is _V2:
        for name in ("charge", "discharge"):
            for quantity in ("capacity_mAh", "energy_mWh"):
                key = f"{name}_{quantity}"
                columns[key] = np.abs(columns[key])  # stored with or without a sign
    else:
        capacity = data["_capacity_mAs"].astype(np.float64) / 3600
        energy = data["_energy_mWs"].astype(np.float64) / 3600
        columns["charge_capacity_mAh"] = np.clip(capacity, 0, None)
        columns["discharge_capacity_mAh"] = np.clip(-capacity, 0, None)
        columns["charge_energy_mWh"] = np.clip(energy, 0, None)
        columns["discharge_energy_mWh"] = np.clip(-energy, 0, None)
        columns["total_time_s"] = data["_total_s"] + data["_total_ns"] * 1e-9
        columns["unix_time_s"] = data["_unix_s"] + data["_unix_ns"] * 1e-9
        columns["cycle_count_file"] = columns["cycle_count_file"] + 1
        step = _steps.step_numbers(columns["step_index"])
        columns["step_count"] = step
        columns["step_time_s"] = _steps.step_time(columns["total_time_s"], step)
    unix = columns["unix_time_s"]
    start = _frame.iso_from_unix(float(unix[0])) if unix.size else None
    return _frame.build(
        columns, path=path, format=_frame.FORMAT_NDA, start_time=start, metadata=metadata
    )


def _u64(raw: bytes, at: int) -> int:
    return int.from_bytes(raw[at : at + 8], "little")


def _blocks(raw: bytes, path: Path) -> list[tuple[int, int]]:
    """(begin, length) of every data block, checked to lie inside the file."""
    begin, length = _u64(raw, 82), _u64(raw, 90)
    if begin != 0 or raw[1024:1030] != b"NEWARE":
        blocks = [(begin, length)]
    else:
        blocks, head, seen = [], 1024, set()
        while head not in seen and raw[head : head + 6] == b"NEWARE":
            seen.add(head)
            block = (_u64(raw, head + 82), _u64(raw, head + 90))
            if block[1]:
                blocks.append(block)
            head = _u64(raw, head + 242) + _u64(raw, head + 250)
    if not blocks:
        raise ParseError("the BTS 9 header chain holds no data block", path, offset=1024)
    for begin, length in blocks:
        if begin < 1024 or begin + length > len(raw) or length == 0:
            raise ParseError(
                f"a data block of {length} bytes at byte {begin} lies outside the file"
                f" ({len(raw)} bytes)",
                path,
                offset=begin,
            )
    return blocks


def _identifier(raw: bytes, blocks: list[tuple[int, int]], layout: Layout) -> int:
    field = layout.fields[0]
    begin = blocks[0][0] + field.offset
    return int.from_bytes(raw[begin : begin + np.dtype(field.dtype).itemsize], "little")


def _layout(
    raw: bytes, blocks: list[tuple[int, int]], layouts: dict[int, Layout], path: Path
) -> Layout:
    """The one known record length at whose multiples every record (of the first 64 in
    each block) opens with the first record's identifier, and which divides every block."""
    fits = []
    for size, layout in layouts.items():
        field = layout.fields[0]
        width = np.dtype(field.dtype).itemsize
        first = raw[blocks[0][0] + field.offset : blocks[0][0] + field.offset + width]
        if first[:1] != bytes([_IDENTIFIER]):
            continue
        ok = all(length % size == 0 for _, length in blocks)
        for begin, length in blocks:
            for row in range(min(length // size, 64)):
                at = begin + row * size + field.offset
                ok = ok and raw[at : at + width] == first
        if ok:
            fits.append(layout)
    if len(fits) != 1:
        raise ParseError(
            f"cannot tell the BTS 9 record length: {len(fits)} of the known lengths"
            f" {sorted(layouts)} fit the data block",
            path,
            offset=blocks[0][0],
        )
    return fits[0]
