"""BioLogic EC-Lab .mpr (binary "modular file") reader, on galvani's building blocks.

The file is ``MPR_MAGIC`` followed by modules (``VMP Set``, ``VMP data``, ``VMP LOG``,
``VMP loop``, ``VMP ExtDev``...). galvani 0.5 knows the module headers
(``VMPmodule_hdr_v1``/``_v2``) and most column IDs (``VMPdata_colID_dtype_map``,
``VMPdata_colID_flag_map``); its ``MPRfile`` class, however, stops on column IDs of
newer EC-Lab versions and on files without a LOG module. This module walks the modules
as galvani's ``read_VMP_modules`` does, but on one buffer holding the whole file (module
data are views, not copies), and lays out the data module itself from galvani's tables
and echem's own :data:`echem.io._biologic_columns.EXTRA_COLUMNS` (looked up, never
merged into galvani's module-level dicts).

Speed: the frame is assembled from blocks (:class:`echem.io._schema.ColumnBlocks`):
runs of consecutive record fields of one dtype are strided 2-D views of the buffer (no
copy), except the runs later work reads (the flag byte, float32 fields feeding canonical
columns, which become float64, and the sources of canonical and derived columns): those
are copied out in one pass over the records, a cache-sized chunk of rows at a time, so
that a file larger than the CPU caches is read from memory once, not once per column.
The flag byte is expanded into one uint8 block; the canonical columns are computed by
:func:`echem.io._schema.build_frame` into one float64 and one int64 block.

Data-module layouts (``version``; where the column IDs and the records start):

=================  ===============================  ============
version            column IDs                       records at
=================  ===============================  ============
0, byte 5 != 0     uint8 from byte 5                byte 100
0, byte 5 == 0     little-endian uint16 from byte 6 byte 1007
2                  little-endian uint16 from byte 5 byte 405
3                  little-endian uint16 from byte 5 byte 406
=================  ===============================  ============

Settings offsets (technique code at byte 0, pascal strings and float32 values) follow
the yadg project's table (github.com/dgbowl/yadg, ``extractors/eclab/mpr_columns.py``),
checked against the .mpt twins of the real files.
"""

from __future__ import annotations

import os
import struct
from collections import ChainMap
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from galvani import BioLogic as galvani_biologic

from echem.errors import EchemWarning, ParseError
from echem.io._biologic_columns import (
    CANONICAL_ALIASES,
    EXTRA_COLUMNS,
    SETTINGS_TECHNIQUES,
    TECHNIQUE_COLUMN_NAMES,
    technique_kind,
)
from echem.io._caller import warn
from echem.io._files import require_regular_file
from echem.io._schema import ColumnBlocks, build_frame

__all__ = ["MAGIC", "sniff_mpr", "read_mpr", "column_table"]

#: What every .mpr file starts with (galvani's ``MPR_MAGIC`` is this, padded).
MAGIC = b"BIO-LOGIC MODULAR FILE"

#: (first column-ID byte, column-ID dtype, records offset) per data-module layout.
_LAYOUTS: Mapping[str, tuple[int, str, int]] = {
    "v0-uint8": (5, "u1", 100),
    "v0-uint16": (6, "<u2", 1007),
    "v2": (5, "<u2", 405),
    "v3": (5, "<u2", 406),
}

#: Byte offsets of settings in the ``VMP Set`` module (yadg's table).
_SETTINGS_STRINGS: Mapping[str, int] = {
    "comments": 0x0007,
    "electrode_material": 0x011E,
    "electrolyte": 0x01C0,
    "reference_electrode": 0x0215,
}
_SETTINGS_FLOATS: Mapping[str, int] = {
    "active_material_mass": 0x0107,
    "electrode_area": 0x0211,
    "characteristic_mass": 0x024C,
    "battery_capacity": 0x025C,
}
#: Unit codes of two settings floats, bytes 0x250 and 0x251 of the ``VMP Set`` module,
#: learned from the .mpt twins (none documents them): the electrode area's (2 in the 27
#: twins whose export says cm², 3 in the 5 that say mm²) and the characteristic mass's
#: (1: g in 24 twins, 2: mg in 8). Code -> (unit, factor to cm² or g); any other code
#: leaves the unit unknown and the value unconverted (never guessed).
_SETTINGS_UNITS: Mapping[str, tuple[int, str, Mapping[int, tuple[str, float]]]] = {
    "electrode_area": (0x0250, "cm2", {2: ("cm²", 1.0), 3: ("mm²", 1e-2)}),
    "characteristic_mass": (0x0251, "g", {1: ("g", 1.0), 2: ("mg", 1e-3)}),
}
#: Pascal strings in the ``VMP LOG`` module (yadg's table).
_LOG_STRINGS: Mapping[str, int] = {
    "saved_as": 0x0251,
    "host": 0x0351,
    "address": 0x0384,
    "ec_lab_version": 0x03B7,
    "server_version": 0x03BE,
    "interpreter_version": 0x03C5,
    "device_serial": 0x03CF,
}
#: External-device module (``VMP ExtDev``, e.g. a force sensor and a thermocouple on a
#: VSP's analog inputs): per input, the offset of its pascal-string name (the quantity
#: and unit EC-Lab converts the voltage to, e.g. ``Force/N``), then four float32 from
#: 0x1C bytes further: the voltage range and the converted range (yadg's ``extdev_dtypes``;
#: checked on ``vsp_ocv_with.mpr``: Force/N 0-10 V -> 0-1100, Temperatur/°C 0-10 V -> 0-150).
_EXTDEV_INPUTS: Mapping[str, int] = {"Analog IN 1": 0x36, "Analog IN 2": 0x63}
_EXTDEV_RANGE_AT = 0x1C
_EXTDEV_RANGE = ("max_V", "min_V", "max", "min")
#: Where the OLE start timestamp may sit in the LOG module (galvani's four candidates),
#: and the plausible range of OLE days (galvani's: years 2009 to 2036).
_LOG_TIMESTAMP_OFFSETS = (465, 469, 473, 585)
_OLE_DAYS_RANGE = (40000.0, 50000.0)
_OLE_EPOCH = datetime(1899, 12, 30)
#: Module headers after ``MODULE`` (galvani's ``VMPmodule_hdr_v1`` / ``_v2`` layouts):
#: short name, long name, [max length,] length, version, [unknown,] date.
_MODULE_MAGIC = b"MODULE"
_HEADER_V1 = struct.Struct("<10s25sII8s")
_HEADER_V2 = struct.Struct("<10s25sIIII8s")
#: Bytes 35-39 of the header are all 0xFF in the v2 layout (EC-Lab >= 11.50).
_V2_MARK = b"\xff\xff\xff\xff"
_FLOAT64 = np.dtype(np.float64)
#: Rule of a ``cycle number`` derived from integer half cycles (whole numbers).
_HALF_CYCLES = "integer half cycle // 2"
#: Original columns that canonical columns are made from.
_CANONICAL_SOURCES = frozenset(
    original for aliases in CANONICAL_ALIASES.values() for original, _ in aliases
)
#: Original columns that derived columns are made from (see :func:`_derived_columns`).
_DERIVED_SOURCES = frozenset({"dq/mA.h", "time/s", "half cycle", "|Z|/Ohm", "Phase(Z)/deg"})
#: Record fields copied out of the records (contiguous) because later work reads them.
_COMPUTED_FROM = _CANONICAL_SOURCES | _DERIVED_SOURCES
#: Records copied per chunk by :func:`_gather`: about a CPU's L2 cache.
_CHUNK_BYTES = 1 << 20


def column_table() -> Mapping[int, tuple[str, str]]:
    """Column ID -> (name, numpy dtype): echem's extra IDs over galvani's map (read-only view)."""
    return ChainMap(dict(EXTRA_COLUMNS), galvani_biologic.VMPdata_colID_dtype_map)


def sniff_mpr(head: bytes) -> bool:
    """True when ``head`` starts with the BioLogic modular-file magic."""
    return head.startswith(MAGIC)


class _Module(NamedTuple):
    """One module of the file; ``data`` is a view of the file's bytes."""

    name: bytes
    long_name: bytes
    version: int
    length: int
    date: bytes
    offset: int
    data: memoryview


class _Run(NamedTuple):
    """Consecutive record fields of one dtype: one block of the frame."""

    names: list[str]
    dtype: np.dtype
    offset: int  # of the first field in the record
    convert_to: np.dtype | None  # None: the block is a view of the records


class _Records(NamedTuple):
    """The data module's records: ``n_points`` records of ``itemsize`` bytes in
    ``buffer`` from byte ``offset`` on, their fields grouped in runs."""

    column_ids: list[int]
    runs: list[_Run]
    itemsize: int
    n_points: int
    buffer: memoryview
    offset: int


def read_mpr(path: Path) -> pd.DataFrame:
    """Read a BioLogic .mpr file into the canonical frame.

    Parameters
    ----------
    path
        The .mpr file.

    Returns
    -------
    pandas.DataFrame
        Canonical columns (``time_s`` [s], ``voltage_V`` [V], ``current_A`` [A] from
        mA, ``charge_C`` [C] from ``(Q-Qo)``, ``cycle``, ``step`` (``Ns``),
        ``freq_Hz``, ``z_real_ohm``, ``z_imag_ohm`` = -``-Im(Z)/Ohm``), then every
        column of the data module under its EC-Lab name (the packed flag byte is
        expanded into ``mode``, ``ox/red``, ``error``... as in the .mpt export; the
        binary's dtypes are kept, e.g. float32, uint16, except that float columns
        feeding a canonical column are float64), then
        the columns EC-Lab's export derives when the binary lacks them (listed in
        ``attrs["metadata"]["derived_columns"]``, see :func:`_derived_columns`).
        Canonical columns are float64 (int64 for cycle and step). ``attrs["metadata"]`` holds
        the data-module version, column IDs, modules, settings (``technique_code`` and
        the vendor's ``technique`` name), LOG strings, loop indices and the external
        device's analog inputs (``external_device``).

    Raises
    ------
    echem.ParseError
        Malformed or truncated file (message names the file and byte offset).

    Notes
    -----
    The file is read once into a private buffer. Original columns that canonical or
    derived columns are made from (time, potential, charge, half cycle, ``Ns``...),
    float64 conversions, flags, derived and canonical columns are new contiguous
    arrays; the other original columns are views of the records (strided, no copy; the
    frame keeps the buffer, about the file's size, alive). No two columns share memory.
    """
    path = Path(path)
    raw = _read_file(path)
    if raw[: len(MAGIC)] != MAGIC:
        raise ParseError("not a BioLogic .mpr file (magic bytes missing)", path, offset=0)
    full_magic = galvani_biologic.MPR_MAGIC
    if raw[: len(full_magic)] != full_magic:
        head = bytes(raw[: len(full_magic)])
        mismatch = next(
            (i for i, (a, b) in enumerate(zip(head, full_magic, strict=False)) if a != b),
            min(len(raw), len(full_magic)),
        )
        raise ParseError("corrupt or truncated file header", path, offset=mismatch)
    modules = _read_modules(raw, path)
    data_module = _the_module(modules, b"VMP data", path)
    settings = _optional_module(modules, b"VMP Set", path)
    log = _optional_module(modules, b"VMP LOG", path)
    loop = _optional_module(modules, b"VMP loop", path)
    external = _optional_module(modules, b"VMP ExtDev", path)

    settings_metadata = _settings_metadata(settings.data) if settings is not None else {}
    vendor_technique = settings_metadata.get("technique")
    records = _data_records(
        data_module, path, renamed=TECHNIQUE_COLUMN_NAMES.get(vendor_technique or "", {})
    )
    blocks = _column_blocks(records)
    columns = _ColumnLookup(blocks)
    derived = _derived_columns(columns)
    for name, values, _ in derived:
        _put_column(blocks, name, values)

    metadata: dict[str, Any] = {
        "version": data_module.version,
        "column_ids": records.column_ids,
        "modules": [_module_summary(m) for m in modules],
        "derived_columns": [name for name, _, _ in derived],
    }
    metadata.update(settings_metadata)
    names = [vendor_technique] if vendor_technique is not None else []
    if log is not None:
        metadata.update(_pascal_strings(log.data, _LOG_STRINGS))
    if loop is not None:
        metadata["loop_indices"] = _loop_indices(loop.data)
    if external is not None:
        metadata["external_device"] = _external_device(external.data)

    technique = technique_kind(names)
    if technique == "unknown" and "freq/Hz" in columns:
        technique = "eis"
    whole = frozenset(name for name, _, rule in derived if rule == _HALF_CYCLES)
    return build_frame(
        ColumnBlocks(tuple(blocks), records.n_points, whole),
        CANONICAL_ALIASES,
        format="biologic-mpr",
        technique=technique,
        source=path.name,
        start_time=_start_time(settings, log),
        metadata=metadata,
    )


class _ColumnLookup(Mapping[str, np.ndarray]):
    """Read-only name -> 1-D column view over blocks (a row view made on access only)."""

    def __init__(self, blocks: list[tuple[tuple[str, ...], np.ndarray]]) -> None:
        self._where = {
            name: (array, row) for names, array in blocks for row, name in enumerate(names)
        }

    def __getitem__(self, name: str) -> np.ndarray:
        array, row = self._where[name]
        return array[row]

    def __contains__(self, name: object) -> bool:
        return name in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


def _read_file(path: Path) -> memoryview:
    """The whole file in a new writable buffer (one read into uninitialised memory, no
    intermediate copy); a device, a FIFO or a folder is refused before it is opened."""
    require_regular_file(path)
    with open(path, "rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        view = memoryview(np.empty(size, dtype=np.uint8))
        filled = 0
        while filled < size:
            count = handle.readinto(view[filled:])
            if not count:
                break
            filled += count
    return view[:filled]  # shorter if the file shrank while being read


def _read_modules(raw: memoryview, path: Path) -> list[_Module]:
    """Every module of the file (the walk of galvani's ``read_VMP_modules``, on the
    buffer: module data are views, not copies), errors turned into ParseError."""
    modules: list[_Module] = []
    size = len(raw)
    at = len(galvani_biologic.MPR_MAGIC)
    while at < size:
        reason, failed_at = None, size
        header_at = at + len(_MODULE_MAGIC)
        if raw[at:header_at] != _MODULE_MAGIC:
            found = bytes(raw[at:header_at])
            reason = f"Found {found!r}, expecting start of new VMP MODULE"
            failed_at = min(header_at, size)
        elif size - header_at < _HEADER_V1.size:
            reason = "Unexpected end of file while reading module header"
        else:
            v2 = raw[header_at + 35 : header_at + 39] == _V2_MARK
            layout = _HEADER_V2 if v2 else _HEADER_V1
            if size - header_at < layout.size:
                reason = "Unexpected end of file while reading module header"
            else:
                fields = layout.unpack_from(raw, header_at)
                if v2:
                    name, long_name, _, length, version, _, date = fields
                else:
                    name, long_name, length, version, date = fields
                offset = header_at + layout.size
                if size - offset < length:
                    shown = long_name.rstrip(b"\0")
                    reason = (
                        f"Unexpected end of file while reading data current module: "
                        f"{shown!r} length read: {size - offset} length expected: {length}"
                    )
                else:
                    modules.append(
                        _Module(
                            name.rstrip(b"\0").strip(),
                            long_name.rstrip(b"\0").strip(),
                            version,
                            length,
                            date.rstrip(b"\0"),
                            offset,
                            raw[offset : offset + length],
                        )
                    )
                    at = offset + length
                    continue
        reason = " ".join(str(reason).split())
        raise ParseError(
            f"corrupt or truncated module after {len(modules)} complete module(s): {reason}",
            path,
            offset=failed_at,
        )
    return modules


def _the_module(modules: list[_Module], name: bytes, path: Path) -> _Module:
    found = [m for m in modules if m.name == name]
    if len(found) != 1:
        raise ParseError(
            f"expected one {name.decode()!r} module, found {len(found)}",
            path,
            offset=len(galvani_biologic.MPR_MAGIC),
        )
    return found[0]


def _optional_module(modules: list[_Module], name: bytes, path: Path) -> _Module | None:
    """The module called ``name``, or None; the first, with an :class:`EchemWarning`,
    when the file has several (no real file has: a damaged or spliced file)."""
    found = [m for m in modules if m.name == name]
    if len(found) > 1:
        offsets = ", ".join(str(m.offset) for m in found)
        warn(
            f"{path}: {len(found)} {name.decode()!r} modules (data at bytes {offsets}); "
            "EC-Lab writes one: the first is read",
            EchemWarning,
        )
    return found[0] if found else None


def _module_summary(module: _Module) -> dict[str, Any]:
    return {
        "name": module.name.decode("latin-1"),
        "long_name": module.long_name.decode("latin-1"),
        "version": module.version,
        "length": module.length,
        "date": module.date.decode("latin-1"),
        "offset": module.offset,
    }


def _layout(data: memoryview, version: int) -> str | None:
    if version == 0:
        return "v0-uint8" if data[5] else "v0-uint16"
    return {2: "v2", 3: "v3"}.get(version)


def _data_records(
    module: _Module, path: Path, *, renamed: Mapping[int, str] | None = None
) -> _Records:
    """Column IDs and layout of the records of the data module (checked to fill it);
    ``renamed``: column ID -> name where the technique names an ID otherwise."""
    data = module.data
    start = module.offset
    version = module.version
    if len(data) < 6:
        raise ParseError("data module too short for its header", path, offset=start)
    layout = _layout(data, version)
    if layout is None:
        raise ParseError(f"unsupported data-module version {version}", path, offset=start)
    ids_at, id_dtype, records_at = _LAYOUTS[layout]
    n_points, n_columns = struct.unpack_from("<IB", data, 0)
    id_size = 1 if id_dtype == "u1" else 2
    if len(data) < max(records_at, ids_at + n_columns * id_size):
        raise ParseError(
            f"data module ({layout}) ends before its records start", path, offset=start + len(data)
        )
    if n_columns == 0:
        raise ParseError("the data module declares no columns", path, offset=start + 4)
    if ids_at + n_columns * id_size > records_at:
        # the layout has room for (records_at - ids_at) // id_size IDs: more would be
        # read from the records themselves (a corrupt count, not a wider file)
        raise ParseError(
            f"data module ({layout}) declares {n_columns} columns: their IDs would run "
            f"into the records at byte {records_at} of the module",
            path,
            offset=start + 4,
        )
    id_format = f"<{n_columns}{'B' if id_size == 1 else 'H'}"
    column_ids = list(struct.unpack_from(id_format, data, ids_at))
    runs, itemsize = _record_runs(column_ids, path, start + ids_at, id_size, renamed or {})
    needed = n_points * itemsize
    available = len(data) - records_at
    if available != needed:
        # galvani requires the same: the records fill the module exactly
        problem = "truncated" if available < needed else "longer than its records"
        raise ParseError(
            f"data module {problem}: {n_points} records of {itemsize} bytes announced, "
            f"{available} bytes present",
            path,
            offset=start + min(len(data), records_at + needed),
        )
    _warn_repeated_ids(column_ids, path, start + ids_at, id_size)
    return _Records(column_ids, runs, itemsize, n_points, data, records_at)


def _warn_repeated_ids(column_ids: list[int], path: Path, offset: int, id_size: int) -> None:
    """An :class:`echem.EchemWarning` for column IDs the data module lists more than once.

    No real file does (EC-Lab records a quantity once); one damaged byte does it, turning
    an ID into another of the same width: ``freq/Hz`` (32) read as a second ``|Ewe|/V``
    (33), or the ``error`` flag (3) as a second ``mode`` (1), which hid it. galvani reads
    repeats, numbering them ``name 2``...; so does echem, saying so. ``offset``: the file
    offset of the first ID, ``id_size`` the bytes of one.
    """
    table = column_table()
    flags = galvani_biologic.VMPdata_colID_flag_map
    seen: dict[int, int] = {}
    repeats: list[str] = []
    for index, column_id in enumerate(column_ids):
        if column_id in seen:
            name = flags[column_id][0] if column_id in flags else table[column_id][0]
            first = seen[column_id]
            repeats.append(
                f"{column_id} ({name!r}) as columns {first + 1} and {index + 1} (bytes "
                f"{offset + first * id_size} and {offset + index * id_size})"
            )
        seen.setdefault(column_id, index)
    if repeats:
        warn(
            f"{path}: the data module lists column ID {'; '.join(repeats)}: EC-Lab lists "
            "each once, so the file may be damaged (one ID changed into another); a "
            "repeated column is read as '<name> 2', a repeated flag once",
            EchemWarning,
        )


def _record_runs(
    column_ids: list[int], path: Path, offset: int, id_size: int, renamed: Mapping[int, str]
) -> tuple[list[_Run], int]:
    """The record layout from the column IDs, as galvani's ``VMPdata_dtype_from_colIDs``
    lays it out (flags packed in one byte at the first flag ID, a repeated name
    numbered ``name 2``...), fields grouped in runs; and the record size in bytes.

    Float fields that feed a canonical column are converted to float64 (so that the
    canonical columns are float64 whatever the binary width), non-native byte orders
    to native; runs join consecutive fields of one dtype and one conversion. ``offset``
    is the file offset of the first column ID, ``id_size`` the bytes of one (an unknown
    ID is reported at its own offset); ``renamed`` gives IDs the technique names
    otherwise (:data:`echem.io._biologic_columns.TECHNIQUE_COLUMN_NAMES`).
    """
    extra = EXTRA_COLUMNS
    known = galvani_biologic.VMPdata_colID_dtype_map
    flag_table = galvani_biologic.VMPdata_colID_flag_map
    runs: list[_Run] = []
    counts: dict[str, int] = {}
    at = 0
    last = "(none)"
    for index, column_id in enumerate(column_ids):
        if column_id in flag_table:
            if "flags" not in counts:
                counts["flags"] = 1
                runs.append(_Run(["flags"], np.dtype(np.uint8), at, None))
                at += 1
                last = "flags"
            continue
        entry = extra.get(column_id) or known.get(column_id)
        if entry is None:
            raise ParseError(
                f"unknown column ID {column_id} (column {index + 1}, after {last!r}); "
                "add it to echem.io._biologic_columns.EXTRA_COLUMNS",
                path,
                offset=offset + index * id_size,
            )
        base_name, field_format = entry
        base_name = renamed.get(column_id, base_name)
        count = counts[base_name] = counts.get(base_name, 0) + 1
        name = last = base_name if count == 1 else f"{base_name} {count}"
        dtype = np.dtype(field_format)
        convert_to = None
        if name in _CANONICAL_SOURCES and dtype.kind == "f" and dtype.itemsize != 8:
            convert_to = _FLOAT64
        elif not dtype.isnative:
            convert_to = dtype.newbyteorder("=")
        previous = runs[-1] if runs else None
        if (
            previous is not None
            and previous.names[0] != "flags"
            and previous.dtype == dtype
            and (previous.convert_to is None) == (convert_to is None)  # dtype == None is f8
            and (convert_to is None or previous.convert_to == convert_to)
            and at == previous.offset + len(previous.names) * dtype.itemsize
        ):
            previous.names.append(name)
        else:
            runs.append(_Run([name], dtype, at, convert_to))
        at += dtype.itemsize
    return runs, at


def _column_blocks(records: _Records) -> list[tuple[tuple[str, ...], np.ndarray]]:
    """Original columns as 2-D blocks, in record order (see :class:`ColumnBlocks`).

    Runs that later work reads (the flag byte, runs converted to float64, and the
    sources of canonical and derived columns, :data:`_COMPUTED_FROM`) are copied into
    new contiguous blocks, all of them in one pass over the records, a cache-sized
    chunk of rows at a time (:func:`_gather`); every other run is a strided view of the
    records (the file buffer is this call's own, writable copy). The packed flag byte
    becomes ``mode``, ``ox/red``, ``error``... (uint8, one new block), as in the .mpt
    export.
    """
    n_points = records.n_points
    views: list[np.ndarray] = []
    for names, dtype, at, _ in records.runs:
        shape = (len(names), n_points)
        if n_points == 0:  # numpy refuses an offset at the end of the buffer
            views.append(np.empty(shape, dtype))
        else:
            views.append(
                np.ndarray(
                    shape,
                    dtype,
                    buffer=records.buffer,
                    offset=records.offset + at,
                    strides=(dtype.itemsize, records.itemsize),
                )
            )
    copied = [
        index
        for index, run in enumerate(records.runs)
        if run.convert_to is not None
        or run.names[0] == "flags"
        or not _COMPUTED_FROM.isdisjoint(run.names)
    ]
    copies = _gather([views[index] for index in copied], records, copied)
    blocks: list[tuple[tuple[str, ...], np.ndarray]] = []
    for index, (run, view) in enumerate(zip(records.runs, views, strict=True)):
        block = copies.get(index, view)
        if run.names[0] == "flags":
            blocks.append(_expanded_flags(block[0], records.column_ids))
        else:
            blocks.append((tuple(run.names), block))
    return blocks


def _gather(
    views: list[np.ndarray], records: _Records, indices: list[int]
) -> dict[int, np.ndarray]:
    """Contiguous copies of strided record views (converted to each run's
    ``convert_to``), keyed by run index.

    Each strided pass over the records reads every cache line of the buffer: on a
    record buffer larger than the CPU caches, copying run after run costs one pass
    over memory each. Copying all runs a chunk of rows at a time (``_CHUNK_BYTES`` of
    records) reads the records from memory once.
    """
    targets = []
    for index, view in zip(indices, views, strict=True):
        dtype = records.runs[index].convert_to or view.dtype
        targets.append(np.empty(view.shape, dtype))
    n_points = records.n_points
    rows = max(1, _CHUNK_BYTES // max(records.itemsize, 1))
    with np.errstate(invalid="ignore"):  # a signalling NaN stays NaN: nothing to warn of
        for start in range(0, n_points, rows):
            stop = min(n_points, start + rows)
            for target, view in zip(targets, views, strict=True):
                target[:, start:stop] = view[:, start:stop]
    return dict(zip(indices, targets, strict=True))


def _put_column(
    blocks: list[tuple[tuple[str, ...], np.ndarray]], name: str, values: np.ndarray
) -> None:
    """Append a column, or replace the column of that name where it stands (its block
    split into one block per row)."""
    for index, (names, array) in enumerate(blocks):
        if name in names:
            rows = [((n,), array[row : row + 1]) for row, n in enumerate(names)]
            rows[names.index(name)] = ((name,), values.reshape(1, -1))
            blocks[index : index + 1] = rows
            return
    blocks.append(((name,), values.reshape(1, -1)))


def _expanded_flags(flags: np.ndarray, column_ids: list[int]) -> tuple[tuple[str, ...], np.ndarray]:
    """The flag byte split into its columns (galvani's masks), one uint8 row each."""
    flag_table = galvani_biologic.VMPdata_colID_flag_map
    masks: dict[str, int] = {}
    for column_id in column_ids:
        if column_id in flag_table:
            flag_name, mask, _ = flag_table[column_id]
            masks[flag_name] = int(mask)
    mask_array = np.array(list(masks.values()), dtype=np.uint8)[:, np.newaxis]
    shifts = np.array([(m & -m).bit_length() - 1 for m in masks.values()], np.uint8)
    flags = flags[np.newaxis, :]
    expanded = np.bitwise_and(flags, mask_array)
    np.right_shift(expanded, shifts[:, np.newaxis], out=expanded)
    return tuple(masks), expanded


def _derived_columns(columns: Mapping[str, np.ndarray]) -> list[tuple[str, np.ndarray, str]]:
    """The columns EC-Lab's .mpt export computes when the binary lacks them.

    * ``<I>/mA`` = ``dq/mA.h`` x 3600 / (t_k - t_(k-1)), 0 on the first row and where
      the time step is 0 or not finite (GCPL files record the charge increment, not the
      current; this reproduces the twin .mpt files to 1e-16 mA).
    * ``Re(Z)/Ohm`` = |Z| cos(phase), ``-Im(Z)/Ohm`` = -|Z| sin(phase) from
      ``|Z|/Ohm`` and ``Phase(Z)/deg`` (Modulo Bat EIS sequences), in float64 (they
      feed canonical columns) whatever the binary's width.
    * ``cycle number`` = ``half cycle`` // 2 (equal to the exported column in all eight
      real twins that have ``half cycle``: GCPL, CP, CA, MB, BCD); float64, as exported.

    Returns (name, values, rule) of the added columns, in that order; ``rule`` is
    :data:`_HALF_CYCLES` for a cycle number made from integer half cycles (whole
    numbers below 2**32).
    """
    added: list[tuple[str, np.ndarray, str]] = []
    has = columns.keys()
    if "I/mA" not in has and "<I>/mA" not in has and "dq/mA.h" in has and "time/s" in has:
        increment = columns["dq/mA.h"] * 3600.0
        time = np.ascontiguousarray(columns["time/s"])
        step = np.empty(len(time), dtype=np.result_type(time.dtype, np.float64))
        step[:1] = np.nan
        np.subtract(time[1:], time[:-1], out=step[1:])
        valid = np.isfinite(step)
        valid &= step != 0
        current = np.zeros(len(time), dtype=np.result_type(increment.dtype, step.dtype))
        np.divide(increment, step, out=current, where=valid)
        added.append(("<I>/mA", current, "dq"))
    if "cycle number" not in has and "half cycle" in has:
        half_cycles = columns["half cycle"]
        exact = half_cycles.dtype.kind in "iu" and half_cycles.dtype.itemsize <= 4
        cycles = np.empty(len(half_cycles), dtype=np.float64)  # // in its own dtype
        np.floor_divide(half_cycles, 2, out=cycles)
        added.append(("cycle number", cycles, _HALF_CYCLES if exact else "half cycle"))
    if "Re(Z)/Ohm" not in has and "|Z|/Ohm" in has and "Phase(Z)/deg" in has:
        modulus = columns["|Z|/Ohm"].astype(np.float64)  # float32 in the binary
        phase = np.deg2rad(columns["Phase(Z)/deg"], dtype=np.float64)
        added.append(("Re(Z)/Ohm", modulus * np.cos(phase), "polar"))
        added.append(("-Im(Z)/Ohm", -modulus * np.sin(phase), "polar"))
    return added


def _pascal_strings(data: memoryview, offsets: Mapping[str, int]) -> dict[str, str]:
    """Length-prefixed latin-1 strings at the given offsets (skipped when out of range)."""
    strings: dict[str, str] = {}
    for key, at in offsets.items():
        if at < len(data):
            length = data[at]
            strings[key] = str(data[at + 1 : at + 1 + length], "latin-1").strip()
    return strings


def _settings_metadata(data: memoryview) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if data:
        code = data[0]
        metadata["technique_code"] = code
        metadata["technique"] = SETTINGS_TECHNIQUES.get(code)
    metadata.update(_pascal_strings(data, _SETTINGS_STRINGS))
    for key, at in _SETTINGS_FLOATS.items():
        if at + 4 <= len(data):
            metadata[key] = struct.unpack_from("<f", data, at)[0]
    for key, (at, si_unit, units) in _SETTINGS_UNITS.items():
        if key not in metadata or at >= len(data):
            continue
        code = data[at]
        if code not in units:
            metadata[f"{key}_unit"] = f"unknown (code {code})"
            continue
        unit, factor = units[code]
        metadata[f"{key}_unit"] = unit
        # the float32 as EC-Lab prints it (0.001, not 0.0010000000474974513), then in SI
        metadata[f"{key}_{si_unit}"] = float(str(np.float32(metadata[key]))) * factor
    return metadata


def _external_device(data: memoryview) -> dict[str, dict[str, Any]]:
    """The analog inputs of the ``VMP ExtDev`` module: name (quantity/unit) and ranges.

    An input whose bytes the module does not hold is left out.
    """
    inputs: dict[str, dict[str, Any]] = {}
    for name, at in _EXTDEV_INPUTS.items():
        ranges_at = at + _EXTDEV_RANGE_AT
        if ranges_at + 4 * len(_EXTDEV_RANGE) > len(data):
            continue
        entry: dict[str, Any] = _pascal_strings(data, {"quantity": at})
        values = struct.unpack_from(f"<{len(_EXTDEV_RANGE)}f", data, ranges_at)
        entry.update(zip(_EXTDEV_RANGE, values, strict=True))
        inputs[name] = entry
    return inputs


def _loop_indices(data: memoryview) -> list[int]:
    """Row index where each loop starts (galvani's reading of the loop module)."""
    usable = (len(data) - 4) // 4
    if usable <= 0:
        return []
    indices = np.trim_zeros(np.frombuffer(data, "<u4", count=usable, offset=4), "b")
    return indices.tolist()


def _start_time(settings: _Module | None, log: _Module | None) -> str | None:
    """ISO 8601 start: the LOG module's OLE timestamp, else the settings date (day only)."""
    if log is not None:
        data = log.data
        for at in _LOG_TIMESTAMP_OFFSETS:
            if at + 8 <= len(data):
                days = struct.unpack_from("<d", data, at)[0]
                if _OLE_DAYS_RANGE[0] < days < _OLE_DAYS_RANGE[1]:
                    moment = _OLE_EPOCH + timedelta(milliseconds=round(days * 86_400_000))
                    return moment.isoformat(timespec="milliseconds")
    if settings is not None:
        try:
            return galvani_biologic.parse_BioLogic_date(settings.date).isoformat()
        except (ValueError, UnicodeDecodeError):
            return None
    return None
