"""Neware BTS ``.ndax`` files: a ZIP archive of ``.ndc`` record files and XML descriptions.

Members (fastnda 1.3.1 ``fastnda/ndax.py``, NewareNDA 2026.6.11 ``NewareNDAx.py``; checked
on the real files of NDC versions 2, 14, 16 and 17):

* ``data.ndc``: the main records (:mod:`echem.io.neware._ndc` for the page layout).
  NDC versions 1-5 hold every quantity in one record; version 6 voltage, current, step
  time, capacities, energies, Unix time and the step number; versions 8-17 only voltage
  and current, the rest being in
* ``data_runInfo.ndc``: step time, capacities, energies, Unix time, logging interval
  (the time since the record before) and step number, written for *some* records
  only: at each step start and where the interval changes (or after a run of records).
  For the records between, the time is the last run-information time plus the logging
  interval per record (what the entries imply: checked where the next entry says it,
  :func:`_check_intervals`), and capacity and energy add current x interval (and
  voltage x current x interval), an estimate, as BTSDA, fastnda and NewareNDA fill
  them; the column ``interpolated`` is True on those rows;
* ``data_step.ndc``: one record per step (the file's cycle counter, the plan's step
  ID, the step type; from version 14 the index of the step's first record, against
  which the steps the run information gives the records are checked), in step order;
* auxiliary channels, one file each (``data_AUX_<channel>_<x>_<y>.ndc``,
  ``data_<n>.ndc``, ``<...>_<n>.ndc``), matched to the ``Aux`` entries of
  ``TestInfo.xml`` by real channel number or auxiliary ID (else in order); a channel
  that stores one float per record is named by its ``ChlType`` (103 temperature...);
* ``VersionInfo.xml`` (server, client, firmware versions), ``TestInfo.xml`` (device,
  unit, channel, test ID, barcode, start and end, current range, auxiliary channels),
  ``Step.xml`` (the step plan; values as stored: time in ms, voltage in 0.1 mV,
  current in mA), ``EditStep.xml``: all in ``metadata["xml"]``, the usual facts also at
  the top of ``metadata``; ``data_log.ndc``, ``data_es.ndc`` and ``data_Aux.ndc`` are
  listed in ``metadata["members_not_decoded"]``.

The archive's CRC-32s protect every member: a damaged archive is a
:class:`echem.ParseError`.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import EchemWarning, ParseError
from echem.io._files import require_regular_file
from echem.io.neware import _frame, _ndc, _steps
from echem.io.neware._records import (
    Layout,
    calendar_seconds,
    match_index,
    scaled,
    undecoded_nonzero,
)

__all__ = ["read_ndax", "looks_like_ndax"]

_ZIP_MAGIC = b"PK\x03\x04"
#: Member names that only a Neware archive holds.
_NEWARE_MEMBERS = (b"data.ndc", b"TestInfo.xml", b"VersionInfo.xml", b"Step.xml", b"_runInfo.ndc")
_DATA_ID, _AUX_IDS = 0x55, frozenset({0x65, 0x74})

#: TestInfo ``ChlType`` of an auxiliary channel storing one float per record -> (quantity
#: column, factor to its unit) (fastnda 1.3.1 ``AUX_CHL_MAP``, ``AUX_CHL_SCALE_MAP``).
_CHANNEL_TYPES: dict[int, tuple[str, float]] = {
    102: ("voltage_V", 1.0),
    103: ("temperature_degC", 1.0),
    104: ("current_mA", 1000.0),
    105: ("voltage_V", 1.0),
    106: ("temperature_degC", 1.0),
    107: ("current_mA", 1000.0),
    108: ("clamp_temperature_degC", 1.0),
    109: ("clamp_weight_kg", 1.0),
    110: ("clamp_air_pressure_kPa", 1.0),
    111: ("leader_temperature_degC", 1.0),
    112: ("red_temperature_degC", 1.0),
    113: ("humidity", 1.0),
    114: ("thickness_mm", 1.0),
    115: ("flow", 1.0),
    116: ("voc", 1.0),
    117: ("pressure_bar", 1.0),
    118: ("force_N", 1.0),
    335: ("temperature_setpoint_degC", 1.0),
    345: ("humidity_percent", 1.0),
}
_AUX_NAME = re.compile(r"data_AUX_(\d+)_(\d+)_(\d+)\.ndc$", re.IGNORECASE)
_AUX_NUMBER = re.compile(r"_(\d+)\.ndc$", re.IGNORECASE)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9_.-]+)["']""")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def looks_like_ndax(head: bytes) -> bool:
    """A ZIP archive whose first members have Neware's member names."""
    return head.startswith(_ZIP_MAGIC) and any(name in head for name in _NEWARE_MEMBERS)


def read_ndax(path: str | Path) -> pd.DataFrame:
    """Read a Neware ``.ndax`` archive (NDC versions 1-9, 11-17).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`echem.io.neware.read_nda` (``time_s`` [s], ``voltage_V``
        [V], ``current_A`` [A], ``charge_C`` [C], ``energy_J`` [J], ``temperature_degC``,
        ``cycle``, ``step``, then the original columns), plus ``interpolated`` where
        the archive's run information covers only some records (see the module
        docstring) and one column per auxiliary quantity (``aux1_temperature_degC``...).
        ``attrs["metadata"]`` holds the NDC version, the XML members (versions, test
        information, step plan) and a summary of them.

    Raises
    ------
    echem.ParseError
        Not a ZIP archive, a damaged member (CRC), no ``data.ndc``, an NDC version echem
        does not know (the message names it), a damaged page, run information or steps
        that do not match the records.
    """
    path = Path(path)
    members = _members(path)
    metadata: dict[str, Any] = {}
    xml = {name: _xml(name, data, path) for name, data in members.items() if name.endswith(".xml")}
    metadata.update(_summary(xml))
    ndc = {name: data for name, data in members.items() if name.lower().endswith(".ndc")}
    if "data.ndc" not in ndc:
        raise ParseError(
            f"no data.ndc member in the archive (members: {sorted(members)})", path, offset=0
        )
    by_type = _by_type(ndc, path, metadata)
    main = by_type[_ndc.MAIN]
    version = main[1]
    metadata["ndc_version"] = version
    columns, start_kind = _main_columns(main, path, metadata)
    if "step_type" not in columns:  # versions 8-17: run information and steps carry the rest
        _runinfo_columns(columns, by_type, version, path, metadata)
    aux = by_type.get("aux", [])
    if aux:
        _aux_columns(columns, aux, xml, path, metadata)
    start_time = _start_time(columns, start_kind, metadata)
    metadata["xml"] = xml
    return _frame.build(
        columns,
        path=path,
        format=_frame.FORMAT_NDAX,
        start_time=start_time,
        metadata=metadata,
    )


# --- archive and members -------------------------------------------------------------------
def _members(path: Path) -> dict[str, bytes]:
    """Every .xml member and every .ndc member of a file type echem decodes, read whole
    (each checked against its CRC-32); of the other .ndc members the first 4 bytes."""
    require_regular_file(path)  # a FIFO would block zipfile's first read
    try:
        with zipfile.ZipFile(path) as archive:
            out: dict[str, bytes] = {}
            seen: dict[str, zipfile.ZipInfo] = {}
            for info in archive.infolist():
                name = info.filename
                if info.is_dir() or not name.lower().endswith((".ndc", ".xml")):
                    continue
                first = seen.setdefault(name, info)
                if first is not info:  # one name twice: which one is the data?
                    if (first.CRC, first.file_size) != (info.CRC, info.file_size):
                        raise ParseError(
                            f"the archive holds two different members named {name}",
                            path,
                            offset=info.header_offset,
                        )
                    continue
                if name.lower().endswith(".ndc"):
                    with archive.open(info) as member:
                        head = member.read(4)
                    if len(head) == 4 and head[0] in _ndc.NOT_DECODED:
                        out[name] = head
                        continue
                out[name] = archive.read(info)
            return out
    except ParseError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        raise ParseError(f"not a readable .ndax (ZIP) archive: {error}", path, offset=0) from None
    except (ValueError, OSError, KeyError) as error:  # damaged header fields
        raise ParseError(f"damaged .ndax (ZIP) archive: {error}", path, offset=0) from None


def _by_type(ndc: dict[str, bytes], path: Path, metadata: dict[str, Any]) -> dict[Any, Any]:
    """.ndc members by file type: (name, version, bytes) for the main, steps and run
    information files, a list of them for auxiliary channels; the rest listed."""
    found: dict[Any, Any] = {}
    not_decoded = []
    for name, data in ndc.items():
        if len(data) < 3:
            raise ParseError(f"{name}: member too short ({len(data)} bytes)", path, offset=0)
        filetype, version = data[0], data[2]
        entry = (name, version, data)
        if name == "data.ndc":
            if filetype != _ndc.MAIN:
                raise ParseError(
                    f"data.ndc has file type {filetype}, not {_ndc.MAIN} (main records)",
                    path,
                    offset=0,
                )
            found[_ndc.MAIN] = entry
        elif filetype == _ndc.AUX:
            found.setdefault("aux", []).append(entry)
        elif filetype in (_ndc.STEPS, _ndc.RUNINFO) and filetype not in found:
            found[filetype] = entry
        else:
            what = _ndc.NOT_DECODED.get(filetype, f"file type {filetype}")
            not_decoded.append(f"{name} ({what}, NDC version {version})")
    if not_decoded:
        metadata["members_not_decoded"] = sorted(not_decoded)
    return found


def _kind_and_layout(
    entry: tuple[str, int, bytes], filetype: int, path: Path, metadata: dict[str, Any]
) -> tuple[_ndc.NdcKind, Layout]:
    name, version, data = entry
    kind = _ndc.ndc_kind(version, filetype)
    if kind is None:
        known = ", ".join(str(v) for v in _ndc.known_versions())
        raise ParseError(
            f"{name}: NDC version {version} (file type {filetype}) is not supported (echem reads"
            f" the NDC versions {known})",
            path,
            offset=2,
        )
    try:
        layout = _ndc.layout_of(data, version, filetype, kind, name)
    except ParseError as error:
        raise _ndc.member_error(path, error) from None
    if not _ndc.verified(version, filetype, layout):
        unverified = metadata.setdefault("unverified_layouts", [])
        unverified.append(f"{name}: {layout.name}")
        warnings.warn(
            f"{path}: {name} (NDC version {version}) is read with the record layout documented"
            " by the public parsers (fastnda, NewareNDA); echem has not checked it against a"
            " real file of this version",
            EchemWarning,
            stacklevel=4,
        )
    return kind, layout


def _records(
    entry: tuple[str, int, bytes], filetype: int, path: Path, metadata: dict[str, Any]
) -> tuple[_ndc.Pages, Layout]:
    kind, layout = _kind_and_layout(entry, filetype, path, metadata)
    try:
        pages = _ndc.page_records(entry[2], layout, kind, entry[0])
    except ParseError as error:
        raise _ndc.member_error(path, error) from None
    return pages, layout


# --- main records --------------------------------------------------------------------------
def _main_columns(
    entry: tuple[str, int, bytes], path: Path, metadata: dict[str, Any]
) -> tuple[dict[str, np.ndarray], str]:
    """Columns of data.ndc and how its records tell time (``"unix"``, ``"calendar"``,
    ``"none"``)."""
    (records, slots, rows), layout = _records(entry, _ndc.MAIN, path, metadata)
    metadata["record_layout"] = layout.name
    if layout.has("_id"):
        strict = _ndc.verified(entry[1], _ndc.MAIN, layout)
        _check_ids(records["_id"], {_DATA_ID}, entry[0], path, strict)
    multiplier = None
    if layout.has("current_range"):
        multiplier = _steps.range_multiplier(records["current_range"])
    columns = {
        k: v for k, v in scaled(records, layout, multiplier).items() if not k.startswith("_")
    }
    undecoded = undecoded_nonzero(rows, layout)
    if undecoded:
        metadata["undecoded_record_bytes"] = {"data.ndc": undecoded}
    if "index" not in columns:
        columns["index"] = slots
    if "cycle_count_file" in columns:
        columns["cycle_count_file"] = columns["cycle_count_file"] + 1
    kind = "none"
    if layout.has("_year"):
        columns["unix_time_s"] = calendar_seconds(records)
        kind = "calendar"
        if layout.has("_unix_ms"):
            columns["unix_time_s"] = columns["unix_time_s"] + records["_unix_ms"] / 1000
    elif layout.has("_unix_s"):
        columns["unix_time_s"] = records["_unix_s"].astype(np.float64)
        if layout.has("_unix_ns"):
            columns["unix_time_s"] = columns["unix_time_s"] + records["_unix_ns"] * 1e-9
        kind = "unix"
    if layout.has("_total_s"):  # version 15
        columns["total_time_s"] = records["_total_s"] + records["_total_ns"] * 1e-9
        _bts9_columns(columns, records)
    if "step_type" in columns and "step_count" not in columns:
        counters = [columns["step_index"]]
        if "cycle_count_file" in columns:
            counters.append(columns["cycle_count_file"])
        columns["step_count"] = _steps.step_numbers(*counters)
    if layout.has("_step"):  # version 6: the step number, steps in data_step.ndc
        columns["_step"] = records["_step"].astype(np.int64)
    return columns, kind


def _bts9_columns(columns: dict[str, np.ndarray], records: np.ndarray) -> None:
    """NDC 15 (BTS 9): step types renumbered to BTS 8's, capacity and energy split by
    sign, step time from the test time where the file does not store it."""
    codes = columns["step_type"]
    for old, new in _ndc.STEP_TYPES_15.items():
        codes = np.where(codes == old, new, codes)
    columns["step_type"] = codes
    names = records.dtype.names
    for quantity, unit in (("capacity", "mAh"), ("energy", "mWh")):
        stored = "mAs" if quantity == "capacity" else "mWs"
        charge, discharge = f"_charge_{quantity}_{stored}", f"_discharge_{quantity}_{stored}"
        if charge in names and discharge in names:
            columns[f"charge_{quantity}_{unit}"] = np.abs(records[charge]) / 3600
            columns[f"discharge_{quantity}_{unit}"] = np.abs(records[discharge]) / 3600
        else:
            value = records[f"_{quantity}_{stored}"].astype(np.float64) / 3600
            columns[f"charge_{quantity}_{unit}"] = np.clip(value, 0, None)
            columns[f"discharge_{quantity}_{unit}"] = np.clip(-value, 0, None)
    if "_step_s" in names:
        columns["step_time_s"] = records["_step_s"] + records["_step_ns"] * 1e-9
    else:
        step = _steps.step_numbers(columns["step_index"])
        columns["step_time_s"] = _steps.step_time(columns["total_time_s"], step)


def _check_ids(ids: np.ndarray, allowed: set[int], name: str, path: Path, strict: bool) -> None:
    """Every record's identifier byte is one of ``allowed``: else an error where the
    layout is verified (a damaged record), a warning where it is known from the public
    parsers only (their readers do not check it)."""
    bad = np.flatnonzero(~np.isin(ids, list(allowed)))
    if bad.size:
        message = (
            f"{name}: record {int(bad[0]) + 1} has the identifier {int(ids[bad[0]]):#04x},"
            f" expected {', '.join(f'{a:#04x}' for a in sorted(allowed))}"
            f" ({bad.size} such record(s))"
        )
        if strict:
            raise ParseError(f"{message}: the file is damaged", path)
        warnings.warn(f"{path}: {message}", EchemWarning, stacklevel=4)


def _runinfo_columns(
    columns: dict[str, np.ndarray],
    by_type: dict[Any, Any],
    version: int,
    path: Path,
    metadata: dict[str, Any],
) -> None:
    """Times, capacities, energies, steps and cycles of the records from the run
    information (interpolated between its records) and the step table."""
    if "_step" in columns:  # version 6: everything but the step table is in data.ndc
        step_numbers = columns.pop("_step")
    else:
        if _ndc.RUNINFO not in by_type:
            raise ParseError(
                f"no data_runInfo.ndc member: the NDC version {version} records hold no time",
                path,
                offset=0,
            )
        step_numbers = _interpolate(columns, by_type[_ndc.RUNINFO], path, metadata)
    if _ndc.STEPS not in by_type:
        raise ParseError(
            f"no data_step.ndc member: the NDC version {version} records have no step types",
            path,
            offset=0,
        )
    (steps, _, _), _ = _records(by_type[_ndc.STEPS], _ndc.STEPS, path, metadata)
    if step_numbers.size and (step_numbers.min() < 1 or step_numbers.max() > steps.size):
        raise ParseError(
            f"data_step.ndc holds steps 1-{steps.size}, the records name steps"
            f" {int(step_numbers.min())}-{int(step_numbers.max())}: the archive is"
            " incomplete or damaged",
            path,
            offset=0,
        )
    if "_index" in steps.dtype.names:
        _check_step_ranges(columns["index"], step_numbers, steps["_index"], path)
    row = step_numbers - 1
    columns["step_count"] = step_numbers
    columns["cycle_count_file"] = steps["cycle_count_file"].astype(np.int64)[row] + 1
    columns["step_index"] = steps["step_index"].astype(np.int64)[row]
    columns["step_type"] = steps["step_type"].astype(np.int64)[row]


def _check_step_ranges(
    index: np.ndarray, step_numbers: np.ndarray, first_index: np.ndarray, path: Path
) -> None:
    """Each record lies in the step the run information gives it: from the step's first
    record (its index in data_step.ndc) up to the next step's first record. A run-information
    entry lost or damaged at a step's start would otherwise carry the step before (its
    number, type, and capacity counting on) over the records of the next."""
    if not step_numbers.size:
        return
    first = first_index.astype(np.int64)
    end = np.iinfo(np.int64).max
    row = step_numbers - 1
    low = first[row]
    high = np.r_[first[1:], end][row]
    high = np.where(high > low, high, end)  # a step not started yet: no bound
    outside = np.flatnonzero((index < low) | (index >= high))
    if outside.size:
        at = int(outside[0])
        step = int(step_numbers[at])
        bound = "" if high[at] == end else f" to {int(high[at]) - 1}"
        raise ParseError(
            f"record {int(index[at])}: the run information puts it in step {step}, which"
            f" data_step.ndc says holds records {int(low[at])}{bound} ({outside.size}"
            " record(s) disagree): the archive is damaged",
            path,
            offset=0,
        )


def _interpolate(
    columns: dict[str, np.ndarray],
    entry: tuple[str, int, bytes],
    path: Path,
    metadata: dict[str, Any],
) -> np.ndarray:
    """Fill step time, Unix time, capacities and energies of every record from the run
    information; return each record's step number. Adds ``interpolated``."""
    (records, _, _), layout = _records(entry, _ndc.RUNINFO, path, metadata)
    index = records["index"].astype(np.int64)
    keep = np.r_[True, index[1:] != index[:-1]] if index.size else np.empty(0, dtype=bool)
    if not keep.all():
        metadata["run_info_repeated"] = int((~keep).sum())
        records, index = records[keep], index[keep]
    data_index = columns["index"]
    rows, matched = match_index(data_index, index)
    if not matched.all():
        unmatched = int((~matched).sum())
        metadata["run_info_without_record"] = unmatched
        warnings.warn(
            f"{path}: {unmatched} data_runInfo.ndc entr{'y' if unmatched == 1 else 'ies'} (first"
            f" for record index {int(index[~matched][0])}) match no record of data.ndc; left"
            " out (records missing from the archive)",
            EchemWarning,
            stacklevel=4,
        )
        records, rows = records[matched], rows[matched]
    n = data_index.size
    if n and (rows.size == 0 or rows[0] != 0):
        first = int(data_index[0])
        raise ParseError(
            f"data_runInfo.ndc has no entry for the first record (index {first}): the archive"
            " is damaged",
            path,
            offset=0,
        )
    if rows.size > 1 and np.any(np.diff(rows) <= 0):
        raise ParseError("data_runInfo.ndc entries are out of order: the archive is damaged", path)
    _check_intervals(records, rows, path, metadata)
    anchor = np.zeros(n, dtype=bool)
    anchor[rows] = True
    governing = np.cumsum(anchor) - 1  # the run-information entry each record follows
    values = scaled(records, layout)
    dt = (records["_dt_ms"] * 1e-3)[governing]
    dt[anchor] = 0.0
    current = columns["current_mA"]
    voltage = columns["voltage_V"]

    def filled(at_anchor: np.ndarray, increments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total = np.cumsum(increments)
        since = total - total[rows][governing]
        return at_anchor[governing] + since, since

    columns["step_time_s"], _ = filled(values["step_time_s"], dt)
    unix = records["_unix_s"].astype(np.float64)
    if layout.has("_unix_ms"):
        unix = unix + records["_unix_ms"] / 1000
    columns["unix_time_s"], _ = filled(unix, dt)
    for quantity, increments in (
        ("capacity_mAh", dt * current / 3600),
        ("energy_mWh", dt * voltage * current / 3600),
    ):
        charge = np.abs(values[f"charge_{quantity}"])
        discharge = np.abs(values[f"discharge_{quantity}"])
        _, since = filled(np.zeros(rows.size), increments)
        columns[f"charge_{quantity}"] = charge[governing] + np.clip(since, 0, None)
        columns[f"discharge_{quantity}"] = discharge[governing] - np.clip(since, None, 0)
    columns["interpolated"] = ~anchor
    return records["_step"].astype(np.int64)[governing]  # the file's step number


def _check_intervals(
    records: np.ndarray, rows: np.ndarray, path: Path, metadata: dict[str, Any]
) -> None:
    """Check what the filling assumes: an entry's logging interval is the time since the
    record before it, and the records after it follow at that interval until the next
    entry (written where the interval changes). So, within a step, an entry's step time
    is the one before plus that entry's interval per record between them, the last
    interval being the new entry's own (exact in ms on every real file; not at a step's
    first entry, whose interval counts from the step before). Disagreement is warned:
    the times filled in between would not be the file's."""
    if rows.size < 3:
        return
    time_ms = records["step_time_s"].astype(np.int64)  # stored in ms
    interval = records["_dt_ms"].astype(np.int64)
    step = records["_step"].astype(np.int64)
    opens = np.r_[True, step[1:] != step[:-1]]
    expected = time_ms[:-1] + interval[:-1] * (np.diff(rows) - 1) + interval[1:]
    checked = ~opens[1:] & ~opens[:-1]
    wrong = np.flatnonzero(checked & (time_ms[1:] != expected))
    if not wrong.size:
        return
    at = int(wrong[0]) + 1
    metadata["run_info_interval_mismatches"] = int(wrong.size)
    warnings.warn(
        f"{path}: data_runInfo.ndc: at {wrong.size} of {int(checked.sum())} entries the step"
        " time is not the entry before's plus the logging interval per record (first at"
        f" record index {int(records['index'][at])}: {time_ms[at] / 1000:g} s stored,"
        f" {expected[at - 1] / 1000:g} s expected); the times, capacities and energies"
        " filled in between entries there may not be the file's",
        EchemWarning,
        stacklevel=5,
    )


# --- auxiliary channels --------------------------------------------------------------------
def _aux_columns(
    columns: dict[str, np.ndarray],
    entries: list[tuple[str, int, bytes]],
    xml: dict[str, Any],
    path: Path,
    metadata: dict[str, Any],
) -> None:
    """One column per auxiliary quantity, matched to the records by index."""
    channels = _aux_channels(xml)
    ordered = sorted(entries, key=lambda e: _name_numbers(e[0]))
    assigned = _assign(ordered, channels)
    all_zero: list[str] = []
    without_values: list[str] = []
    for (name, version, data), channel in zip(ordered, assigned, strict=True):
        (records, slots, _), layout = _records((name, version, data), _ndc.AUX, path, metadata)
        if layout.has("_id"):
            strict = _ndc.verified(version, _ndc.AUX, layout)
            _check_ids(records["_id"], set(_AUX_IDS), name, path, strict)
        values = {k: v for k, v in scaled(records, layout).items() if not k.startswith("_")}
        index = values.pop("index", slots)
        aux_id = channel.get("AuxID", str(-(ordered.index((name, version, data)) + 1)))
        if "value" in values:
            chl_type = _int(channel.get("ChlType"))
            quantity, factor = _CHANNEL_TYPES.get(chl_type, (f"channel_type_{chl_type}", 1.0))
            if chl_type not in _CHANNEL_TYPES:
                metadata.setdefault("auxiliary_unknown_types", []).append(
                    f"{name}: ChlType {chl_type} (unit unknown, values as stored)"
                )
            values = {quantity: values.pop("value") * factor}
        for quantity, column in values.items():
            label = f"aux{aux_id}_{quantity}"
            merged = _by_index(columns["index"], index, column, label, path)
            finite = merged[np.isfinite(merged)]
            if np.any(finite != 0):
                columns[label] = merged
            else:  # a quantity the channel does not measure, or no value yet
                (all_zero if finite.size else without_values).append(label)
    if all_zero:
        metadata["auxiliary_all_zero"] = all_zero
    if without_values:
        metadata["auxiliary_without_values"] = without_values


def _by_index(
    data_index: np.ndarray, index: np.ndarray, values: np.ndarray, label: str, path: Path
) -> np.ndarray:
    if index.size == data_index.size and np.array_equal(index, data_index):
        return values.astype(np.float64)
    out = np.full(data_index.size, np.nan)
    rows, inside = match_index(data_index, index)
    if not inside.all():
        warnings.warn(
            f"{path}: {int((~inside).sum())} {label} value(s) match no record; left out",
            EchemWarning,
            stacklevel=4,
        )
    out[rows[inside]] = values[inside]
    return out


def _aux_channels(xml: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``Aux<n>`` entries of TestInfo.xml, in order."""
    info = xml.get("TestInfo.xml", {}).get("config", {}).get("TestInfo", {})
    keys = sorted((k for k in info if re.fullmatch(r"Aux\d+", k)), key=lambda k: int(k[3:]))
    return [info[k] for k in keys if isinstance(info[k], dict)]


def _name_numbers(name: str) -> tuple[int, ...]:
    found = _AUX_NAME.search(name)
    if found:
        return tuple(int(g) for g in found.groups())
    number = _AUX_NUMBER.search(name)
    return (int(number.group(1)), 0, 0) if number else (1 << 30, 0, 0)


def _assign(
    entries: list[tuple[str, int, bytes]], channels: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The TestInfo entry of each auxiliary file: by real channel number
    (``data_AUX_<real>_..``), by auxiliary ID (``.._<n>.ndc``), else in order."""
    out = []
    for position, (name, _, _) in enumerate(entries):
        found = _AUX_NAME.search(name)
        number = _AUX_NUMBER.search(name)
        match = []
        if found:
            match = [c for c in channels if c.get("RealChlID") == found.group(1)]
        elif number:
            match = [c for c in channels if c.get("AuxID") == number.group(1)]
        if len(match) == 1:
            out.append(match[0])
        elif len(channels) == len(entries):
            out.append(channels[position])
        else:
            out.append({})
    return out


def _int(text: Any) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


# --- XML members ---------------------------------------------------------------------------
def _xml(name: str, data: bytes, path: Path) -> dict[str, Any]:
    """An XML member as nested dicts (attributes and children; repeated tags a list)."""
    declared = _ENCODING.match(data)
    encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if encoding in ("gb2312", "gbk"):
        encoding = "gb18030"  # their superset
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    try:
        root = ElementTree.fromstring(_DECLARATION.sub("", text, count=1))
    except ElementTree.ParseError as error:
        warnings.warn(
            f"{path}: {name} is not well-formed XML ({error}); its metadata is left out",
            EchemWarning,
            stacklevel=4,
        )
        return {"not_read": f"malformed XML: {error}"}
    return {root.tag: _element(root)} if root.tag != "root" else _element(root)


def _element(element: ElementTree.Element) -> dict[str, Any]:
    out: dict[str, Any] = dict(element.attrib)
    for child in element:
        value = _element(child)
        if child.tag in out:
            previous = out[child.tag]
            out[child.tag] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[child.tag] = value
    text = (element.text or "").strip()
    if text:
        out["text"] = text
    return out


#: Summary key -> (member, path of elements, attribute).
_SUMMARY = {
    "server_version": ("VersionInfo.xml", ("config", "ZwjVersion"), "SvrVer"),
    "client_version": ("VersionInfo.xml", ("config", "ZwjVersion"), "CurrClientVer"),
    "control_unit_version": ("VersionInfo.xml", ("config", "ZwjVersion"), "ZwjVersion"),
    "tester_version": ("VersionInfo.xml", ("config", "ZwjVersion"), "MainXwjVer"),
    "device_type": ("TestInfo.xml", ("config", "TestInfo"), "DevType"),
    "device_id": ("TestInfo.xml", ("config", "TestInfo"), "DevID"),
    "unit_id": ("TestInfo.xml", ("config", "TestInfo"), "UnitID"),
    "channel_id": ("TestInfo.xml", ("config", "TestInfo"), "ChlID"),
    "test_id": ("TestInfo.xml", ("config", "TestInfo"), "TestID"),
    "barcode": ("TestInfo.xml", ("config", "TestInfo"), "Barcode"),
    "remarks": ("TestInfo.xml", ("config", "TestInfo"), "Remark"),
    "step_file": ("TestInfo.xml", ("config", "TestInfo"), "StepName"),
    "current_range_mA": ("TestInfo.xml", ("config", "TestInfo"), "CurrRange"),
    "test_start_local": ("TestInfo.xml", ("config", "TestInfo"), "StartTime"),
    "test_end_local": ("TestInfo.xml", ("config", "TestInfo"), "EndTime"),
    "creator": ("Step.xml", ("config", "Head_Info", "Creator"), "Value"),
}


def _summary(xml: dict[str, Any]) -> dict[str, Any]:
    """The usual facts of the XML members, and the step plan."""
    out: dict[str, Any] = {}
    for key, (member, where, attribute) in _SUMMARY.items():
        node: Any = xml.get(member, {})
        for tag in where:
            node = node.get(tag, {}) if isinstance(node, dict) else {}
        value = node.get(attribute) if isinstance(node, dict) else None
        if value not in (None, ""):
            out[key] = _iso(value) if key.startswith("test_") and key != "test_id" else value
    where = ", ".join(
        f"{label} {out[key]}"
        for label, key in (("device", "device_id"), ("unit", "unit_id"), ("channel", "channel_id"))
        if key in out
    )
    out["instrument"] = f"Neware BTS ({where})" if where else "Neware BTS"
    version = out.get("client_version") or out.get("server_version")
    if version:
        out["software_version"] = version
    plan = xml.get("Step.xml", {}).get("config", {}).get("Step_Info", {})
    steps = []
    for key, step in plan.items() if isinstance(plan, dict) else ():
        if re.fullmatch(r"Step\d+", key) and isinstance(step, dict):
            code = _int(step.get("Step_Type"))
            name = _steps.STEP_TYPES[code].name if code in _steps.STEP_TYPES else f"type {code}"
            steps.append({"step_id": _int(step.get("Step_ID")), "step_type": name, **step})
    if steps:
        out["step_plan"] = steps
    return out


def _iso(text: str) -> str:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").isoformat()
    except ValueError:
        return text


def _start_time(columns: dict[str, np.ndarray], kind: str, metadata: dict[str, Any]) -> str | None:
    """The first record's time: Unix time as UTC, a calendar field as written; else the
    test start of TestInfo.xml (a local wall clock)."""
    unix = columns.get("unix_time_s")
    if unix is not None and unix.size and np.isfinite(unix[0]) and unix[0] > 0:
        metadata["record_time"] = (
            "calendar date and time (local wall clock)" if kind == "calendar" else "Unix time (UTC)"
        )
        if kind == "calendar":
            return _frame.iso_from_wall_clock(float(unix[0]))
        return _frame.iso_from_unix(float(unix[0]))
    start = metadata.get("test_start_local")
    return start if isinstance(start, str) and "T" in start else None
