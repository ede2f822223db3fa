"""BioLogic EC-Lab .mpr (binary "modular file") reader, on galvani's building blocks.

The file is ``MPR_MAGIC`` followed by modules (``VMP Set``, ``VMP data``, ``VMP LOG``,
``VMP loop``, ``VMP ExtDev``...). galvani 0.5 walks the modules
(:func:`galvani.BioLogic.read_VMP_modules`) and knows most column IDs
(``VMPdata_colID_dtype_map``, ``VMPdata_colID_flag_map``); its ``MPRfile`` class,
however, stops on column IDs of newer EC-Lab versions and on files without a LOG
module. This module lays out the data module itself from galvani's tables merged
(read-only, in a :class:`collections.ChainMap`) with echem's own
:data:`echem.io._biologic_columns.EXTRA_COLUMNS`; galvani's module-level dicts are
never modified.

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

import io
from collections import ChainMap
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from galvani import BioLogic as galvani_biologic

from echem.errors import ParseError
from echem.io._biologic_columns import (
    CANONICAL_ALIASES,
    EXTRA_COLUMNS,
    SETTINGS_TECHNIQUES,
    technique_kind,
)
from echem.io._schema import build_frame

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
#: Where the OLE start timestamp may sit in the LOG module (galvani's four candidates),
#: and the plausible range of OLE days (galvani's: years 2009 to 2036).
_LOG_TIMESTAMP_OFFSETS = (465, 469, 473, 585)
_OLE_DAYS_RANGE = (40000.0, 50000.0)
_OLE_EPOCH = datetime(1899, 12, 30)
#: Original columns that canonical columns are made from.
_CANONICAL_SOURCES = frozenset(
    original for aliases in CANONICAL_ALIASES.values() for original, _ in aliases
)


def column_table() -> Mapping[int, tuple[str, str]]:
    """Column ID -> (name, numpy dtype): echem's extra IDs over galvani's map (read-only view)."""
    return ChainMap(dict(EXTRA_COLUMNS), galvani_biologic.VMPdata_colID_dtype_map)


def sniff_mpr(head: bytes) -> bool:
    """True when ``head`` starts with the BioLogic modular-file magic."""
    return head.startswith(MAGIC)


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
        binary's dtypes are kept, e.g. float32, uint16), then
        the columns EC-Lab's export derives when the binary lacks them (listed in
        ``attrs["metadata"]["derived_columns"]``, see :func:`_add_derived_columns`).
        Canonical columns are float64 (int64 for cycle and step). ``attrs["metadata"]`` holds
        the data-module version, column IDs, modules, settings, LOG strings and loop
        indices.

    Raises
    ------
    echem.ParseError
        Malformed or truncated file (message names the file and byte offset).
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw.startswith(MAGIC):
        raise ParseError("not a BioLogic .mpr file (magic bytes missing)", path, offset=0)
    full_magic = galvani_biologic.MPR_MAGIC
    if raw[: len(full_magic)] != full_magic:
        mismatch = next(
            (i for i, (a, b) in enumerate(zip(raw, full_magic, strict=False)) if a != b),
            min(len(raw), len(full_magic)),
        )
        raise ParseError("corrupt or truncated file header", path, offset=mismatch)
    modules = _read_modules(raw, path)
    data_module = _the_module(modules, b"VMP data", path)
    settings = _optional_module(modules, b"VMP Set")
    log = _optional_module(modules, b"VMP LOG")
    loop = _optional_module(modules, b"VMP loop")

    column_ids, records = _data_records(data_module, path)
    columns = _columns_from_records(records, column_ids)
    derived = _add_derived_columns(columns)

    metadata: dict[str, Any] = {
        "version": int(data_module["version"]),
        "column_ids": [int(c) for c in column_ids],
        "modules": [_module_summary(m) for m in modules],
        "derived_columns": derived,
    }
    names: list[str] = []
    if settings is not None:
        metadata.update(_settings_metadata(settings["data"]))
        if metadata.get("technique") is not None:
            names.append(metadata["technique"])
    if log is not None:
        metadata.update(_pascal_strings(log["data"], _LOG_STRINGS))
    if loop is not None:
        metadata["loop_indices"] = _loop_indices(loop["data"])

    technique = technique_kind(names)
    if technique == "unknown" and "freq/Hz" in columns:
        technique = "eis"
    return build_frame(
        columns,
        CANONICAL_ALIASES,
        format="biologic-mpr",
        technique=technique,
        source=path.name,
        start_time=_start_time(settings, log),
        metadata=metadata,
    )


def _read_modules(raw: bytes, path: Path) -> list[dict[str, Any]]:
    """Every module of the file (galvani's walker), errors turned into ParseError."""
    handle = io.BytesIO(raw)
    handle.seek(len(galvani_biologic.MPR_MAGIC))
    modules: list[dict[str, Any]] = []
    try:
        for module in galvani_biologic.read_VMP_modules(handle):
            modules.append(module)
    except (OSError, ValueError) as error:
        reason = " ".join(str(error).split())
        raise ParseError(
            f"corrupt or truncated module after {len(modules)} complete module(s): {reason}",
            path,
            offset=handle.tell(),
        ) from None
    return modules


def _short_name(module: Mapping[str, Any]) -> bytes:
    return bytes(module["shortname"]).strip()


def _the_module(modules: list[dict[str, Any]], name: bytes, path: Path) -> dict[str, Any]:
    found = [m for m in modules if _short_name(m) == name]
    if len(found) != 1:
        raise ParseError(
            f"expected one {name.decode()!r} module, found {len(found)}",
            path,
            offset=len(galvani_biologic.MPR_MAGIC),
        )
    return found[0]


def _optional_module(modules: list[dict[str, Any]], name: bytes) -> dict[str, Any] | None:
    found = [m for m in modules if _short_name(m) == name]
    return found[0] if found else None


def _module_summary(module: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": _short_name(module).decode("latin-1"),
        "long_name": bytes(module["longname"]).strip().decode("latin-1"),
        "version": int(module["version"]),
        "length": int(module["length"]),
        "date": bytes(module["date"]).decode("latin-1"),
        "offset": int(module["offset"]),
    }


def _layout(data: bytes, version: int) -> str | None:
    if version == 0:
        return "v0-uint8" if data[5] else "v0-uint16"
    return {2: "v2", 3: "v3"}.get(version)


def _data_records(module: Mapping[str, Any], path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Column IDs and the record array of the data module."""
    data: bytes = module["data"]
    start = int(module["offset"])
    version = int(module["version"])
    if len(data) < 6:
        raise ParseError("data module too short for its header", path, offset=start)
    layout = _layout(data, version)
    if layout is None:
        raise ParseError(f"unsupported data-module version {version}", path, offset=start)
    ids_at, id_dtype, records_at = _LAYOUTS[layout]
    n_points = int(np.frombuffer(data, "<u4", count=1)[0])
    n_columns = data[4]
    id_size = np.dtype(id_dtype).itemsize
    if len(data) < max(records_at, ids_at + n_columns * id_size):
        raise ParseError(
            f"data module ({layout}) ends before its records start", path, offset=start + len(data)
        )
    if n_columns == 0:
        raise ParseError("the data module declares no columns", path, offset=start + 4)
    column_ids = np.frombuffer(data, id_dtype, count=n_columns, offset=ids_at).astype(np.int64)
    dtype = _record_dtype(column_ids, path, start + ids_at)
    needed = n_points * dtype.itemsize
    available = len(data) - records_at
    if available != needed:
        # galvani requires the same: the records fill the module exactly
        problem = "truncated" if available < needed else "longer than its records"
        raise ParseError(
            f"data module {problem}: {n_points} records of {dtype.itemsize} bytes announced, "
            f"{available} bytes present",
            path,
            offset=start + min(len(data), records_at + needed),
        )
    # a writable copy of the records: the frame's columns are views of it
    records = np.frombuffer(
        bytearray(data[records_at : records_at + needed]), dtype, count=n_points
    )
    return column_ids, records


def _record_dtype(column_ids: np.ndarray, path: Path, offset: int) -> np.dtype:
    """numpy record dtype from the column IDs (flags packed in one byte, as galvani does)."""
    table = column_table()
    flag_table = galvani_biologic.VMPdata_colID_flag_map
    fields: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    for index, column_id in enumerate(column_ids.tolist()):
        if column_id in flag_table:
            if "flags" not in counts:
                counts["flags"] = 1
                fields.append(("flags", "u1"))
            continue
        if column_id not in table:
            previous = fields[-1][0] if fields else "(none)"
            raise ParseError(
                f"unknown column ID {column_id} (column {index + 1}, after {previous!r}); "
                "add it to echem.io._biologic_columns.EXTRA_COLUMNS",
                path,
                offset=offset,
            )
        name, field_dtype = table[column_id]
        counts[name] = counts.get(name, 0) + 1
        fields.append((name if counts[name] == 1 else f"{name} {counts[name]}", field_dtype))
    return np.dtype(fields)


def _columns_from_records(records: np.ndarray, column_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Original columns as views of the records (the binary's dtypes), flags expanded.

    The packed flag byte becomes ``mode``, ``ox/red``, ``error``... (uint8 each), as in
    the .mpt export. Columns that feed a canonical column are converted to float64 so
    that the canonical columns are float64 whatever the binary width.
    """
    flag_table = galvani_biologic.VMPdata_colID_flag_map
    columns: dict[str, np.ndarray] = {}
    for name in records.dtype.names or ():
        values = records[name]
        if name == "flags":
            for column_id in column_ids.tolist():
                if column_id in flag_table:
                    flag_name, mask, _ = flag_table[column_id]
                    shift = (int(mask) & -int(mask)).bit_length() - 1
                    columns[flag_name] = (values & mask) >> shift
        elif name in _CANONICAL_SOURCES and values.dtype.kind == "f":
            columns[name] = values.astype(np.float64)
        else:
            columns[name] = values
    return columns


def _add_derived_columns(columns: dict[str, np.ndarray]) -> list[str]:
    """Add the columns EC-Lab's .mpt export computes when the binary lacks them.

    * ``<I>/mA`` = ``dq/mA.h`` x 3600 / (t_k - t_(k-1)), 0 on the first row and where
      the time step is 0 (GCPL files record the charge increment, not the current;
      this reproduces the twin .mpt files to 1e-16 mA).
    * ``Re(Z)/Ohm`` = |Z| cos(phase), ``-Im(Z)/Ohm`` = -|Z| sin(phase) from
      ``|Z|/Ohm`` and ``Phase(Z)/deg`` (Modulo Bat EIS sequences).
    * ``cycle number`` = ``half cycle`` // 2 (equal to the exported column in all eight
      real twins that have ``half cycle``: GCPL, CP, CA, MB, BCD).

    Returns the names of the added columns (``columns`` is extended in place).
    """
    added: list[str] = []
    has = set(columns)
    if not has & {"I/mA", "<I>/mA"} and {"dq/mA.h", "time/s"} <= has:
        increment = columns["dq/mA.h"] * 3600.0
        step = np.diff(columns["time/s"], prepend=np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            current = np.where(np.isfinite(step) & (step != 0), increment / step, 0.0)
        columns["<I>/mA"] = current
        added.append("<I>/mA")
    if "cycle number" not in has and "half cycle" in has:
        columns["cycle number"] = (columns["half cycle"] // 2).astype(np.float64)
        added.append("cycle number")
    if "Re(Z)/Ohm" not in has and {"|Z|/Ohm", "Phase(Z)/deg"} <= has:
        modulus = columns["|Z|/Ohm"]
        phase = np.deg2rad(columns["Phase(Z)/deg"])
        columns["Re(Z)/Ohm"] = modulus * np.cos(phase)
        columns["-Im(Z)/Ohm"] = -modulus * np.sin(phase)
        added.extend(["Re(Z)/Ohm", "-Im(Z)/Ohm"])
    return added


def _pascal_strings(data: bytes, offsets: Mapping[str, int]) -> dict[str, str]:
    """Length-prefixed latin-1 strings at the given offsets (skipped when out of range)."""
    strings: dict[str, str] = {}
    for key, at in offsets.items():
        if at < len(data):
            length = data[at]
            strings[key] = data[at + 1 : at + 1 + length].decode("latin-1").strip()
    return strings


def _settings_metadata(data: bytes) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if data:
        code = data[0]
        metadata["technique_code"] = code
        metadata["technique"] = SETTINGS_TECHNIQUES.get(code)
    metadata.update(_pascal_strings(data, _SETTINGS_STRINGS))
    for key, at in _SETTINGS_FLOATS.items():
        if at + 4 <= len(data):
            metadata[key] = float(np.frombuffer(data, "<f4", count=1, offset=at)[0])
    if "electrode_area" in metadata:
        metadata["electrode_area_unit"] = "as set in EC-Lab (cm2 unless changed; not decoded)"
    return metadata


def _loop_indices(data: bytes) -> list[int]:
    """Row index where each loop starts (galvani's reading of the loop module)."""
    usable = (len(data) - 4) // 4
    if usable <= 0:
        return []
    indices = np.trim_zeros(np.frombuffer(data, "<u4", count=usable, offset=4), "b")
    return [int(i) for i in indices]


def _start_time(settings: Mapping[str, Any] | None, log: Mapping[str, Any] | None) -> str | None:
    """ISO 8601 start: the LOG module's OLE timestamp, else the settings date (day only)."""
    if log is not None:
        data: bytes = log["data"]
        for at in _LOG_TIMESTAMP_OFFSETS:
            if at + 8 <= len(data):
                days = float(np.frombuffer(data, "<f8", count=1, offset=at)[0])
                if _OLE_DAYS_RANGE[0] < days < _OLE_DAYS_RANGE[1]:
                    moment = _OLE_EPOCH + timedelta(milliseconds=round(days * 86_400_000))
                    return moment.isoformat(timespec="milliseconds")
    if settings is not None:
        try:
            return galvani_biologic.parse_BioLogic_date(bytes(settings["date"])).isoformat()
        except (ValueError, UnicodeDecodeError):
            return None
    return None
