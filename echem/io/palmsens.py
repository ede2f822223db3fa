"""PalmSens PSTrace session files (``.pssession``): every measurement of a session.

Layout
------
PSTrace (here PSTrace 5.9, ``CoreVersion`` 5.9.4515) saves a session as JSON text in
UTF-16 (little-endian, with a byte-order mark), followed by one more U+FEFF that is not
part of the JSON::

    {"Type": "PalmSens.DataFiles.SessionFile", "CoreVersion": "5.9...",
     "MethodForMeasurement": <method script>,
     "Measurements": [
       {"Title": "Impedance Spectroscopy",
        "TimeStamp": <local time>, "UTCTimeStamp": <UTC>,    (.NET ticks: 100 ns since 0001-01-01)
        "DeviceUsed": 9, "DeviceSerial": "PS4...", "DeviceFW": "...", "Type": ...,
        "DataSet": {"Type": "PalmSens.Data.DataSetEIS", "Values": [array, ...]},
        "Method": <method script>, "Curves": [curve, ...], "EISDataList": [eis, ...]}]}

    array = {"Type": "PalmSens.Data.DataArrayCurrents", "ArrayType": 2, "Description": "Idc",
             "DataValueType": "PalmSens.Data.CurrentReading",
             "Unit": {"Type": "PalmSens.Units.MicroAmpere", "S": "A", "Q": "Current", "A": "i"},
             "DataValues": [{"V": -36627.19, "C": 5, "S": 0}, ...]}
    curve = {"Title": ..., "XAxisDataArray": array, "YAxisDataArray": array, ...}
    eis   = {"Title": ..., "DataSet": {...}, "ScanType": ..., "FreqType": ..., ...}

PSTrace 5.0 to 5.8 write the same structure with every key in lower case
(``measurements``, ``datavalues``, ``v``: PalmSens' example sessions of PSTrace 5.0, 5.7
and 5.8 in github.com/PalmSens/palmsens-sdk); they are read alike.

The method script is ``KEY=VALUE`` lines with ``#`` comments (``METHOD_ID=eis``,
``MIN_FREQ=1.000E-001``...). ``ArrayType`` numbers the quantity of an array (PalmSens'
``DataArrayType``: 0 time, 1 potential, 2 current, 3 charge, 5 frequency, 6 phase, 7 Z',
8 Z'', 9 Iac, 10 |Z|, 11-13 Y, 14-16 capacitance, 33 measured DC potential ``mEdc``,
34 ``Eac``); each value may carry a status ``S``, a current range ``C`` or potential
range ``R`` code, or a text ``T``. Sources: the files themselves, and the public readers
of pyimpspec 5.1 (``pssession.py``), nomad-chemical-energy and proespm, which agree on
this structure.

What is read
------------
* Each measurement's ``DataSet`` is one table: a column per array, named by its
  ``Description`` (with its quantity when two arrays share a description), holding the
  values as the file holds them; a value's extra fields are columns of their own
  (``Idc status``, ``Idc current range``, ``potential potential range``,
  ``debugtext text``). Arrays of another length than the first array form a further
  table. ``metadata["units"]`` gives the unit of every column.
* A CV of several scans names every array of a scan ``scanN`` (``scanNchannelM``): the
  scans are one table, one after the other, ``cycle`` their number N (as Gamry's
  ``CURVE1..n``), their columns named by quantity (``Potential``, ``Current``,
  ``Current status``, ``Charge``...; NaN in the rows of a scan without one). ``time``
  times one scan only (its length is the first scan's): it is a further table, and the
  scans' frame has no ``time_s``. A scan's arrays of another length than its potential
  (PSTrace's charge has one point more) are a further table, one per scan.
* ``Curves`` and ``EISDataList`` are PSTrace's plot objects; they repeat arrays of the
  ``DataSet``. Those that do are listed in ``metadata["curves"]`` /
  ``metadata["eis_data"]``; any that holds other values becomes a table of its own. A
  measurement whose ``DataSet`` holds no array (sessions of PSTrace 5.0 to 5.8 may keep
  the data in the curves only) has its first curve as its table. Arrays without an
  ``ArrayType`` (those curves; -1 in 5.8) make canonical columns by their unit's quantity
  (``Potential``, ``Current``, ...; a current not in an EIS run, where ``Iac`` is one too).
* The frame is one measurement: ``measurement=`` (0-based) in :func:`read_pssession`,
  by default the first EIS measurement, else the first. Every other measurement is in
  ``attrs["tables"]`` as ``"measurement N: Title"`` (a tidy frame with its own attrs);
  ``metadata["measurements"]`` lists them all and where each went. Nothing is dropped.

Units (the trap)
----------------
The unit's ``Type`` carries the SI prefix; its symbol ``S`` does not: currents are
``{"Type": "PalmSens.Units.MicroAmpere", "S": "A"}``. The values follow the *type*. In
``11_PEIS_700mV.pssession`` the AC current ``Iac`` is 87.14 at 200 kHz, where ``Eac``
is 9.492 mV and |Z| 108.63 Ohm: read as µA, Eac/Iac = 108.9 Ohm (as A: 1.09e-4 Ohm), and
Eac/Iac matches the file's |Z| within 0.3 % at every frequency from 200 kHz down to 3 Hz.
Frequencies (Hertz) run from 200 kHz to 0.1 Hz, as the method's ``MAX_FREQ`` and
``MIN_FREQ`` say. Charges (``MicroCoulomb``, symbol ``C``) follow the same rule.
Canonical columns are converted by the factor of the unit type (µA -> A: 1e-6); an
array whose unit type is not known here gets no canonical column (an
:class:`echem.EchemWarning` says so) and keeps its values under its own name.

``ZIm`` has the quantity ``-Z''``: it holds -Z'' (positive on a capacitive arc;
pyimpspec negates it too), so ``z_imag_ohm`` is its negative (Z = Z' + jZ'').

Current ranges
--------------
A current reading carries its current-range code ``C``. The method script states codes
with the current they allow as a power of ten in µA (``IRANGE_MIN=0`` with
``IRANGE_MIN_F=-3``: 1 nA; ``IRANGE_MAX=7`` with ``IRANGE_MAX_F=4``: 10 mA;
``IRANGE_START``); a limit between decades (``IRANGE_MAX_F=3.699``: 5 mA) is served by
the range of the next decade. When every stated code lies on one ladder of decades, the
full scale of each code is known.

The DC current of an EIS run
----------------------------
``Idc`` (ArrayType 2) and ``miDC`` (36) of an EIS measurement are not stored in µA by
PSTrace 5.9 and later, whatever their unit says: PalmSens' SDK documents that "for
(m)iDC in EIS measurements the array value is 'in range' instead of µA for backwards
compatibility reasons" (pypalmsens 1.6, ``CurrentArray``). The stored value is the
current in µA times the full scale of its range in µA: divided by the full scale it
gives the current. Evidence: PalmSens' test session ``eis_3ch_4scan_5freq.pssession``
(PSTrace 5.11, its dummy cell, 10.57-10.59 kOhm at DC by its own 20 Hz impedance) holds
566.92, 377.92 and 188.99 on the 10 µA range at 0.604, 0.404 and 0.202 V: 56.69, 37.79,
18.90 µA, within 1.1 % of Ohm's law (57.11, 38.16, 19.09 µA), where the stored numbers
read as µA would be ten times too large; in ``11_PEIS_700mV.pssession`` (PSTrace 5.9,
a rotating disk at 0.700 V) the stored values change tenfold at each of the three range
changes, while value / full scale stays between -364.6 and -367.9 µA. Sessions of PSTrace
5.7 store µA (PalmSens' 5.7 examples: the values run on smoothly across range changes).
So ``current_A`` is value / full scale (µA -> A) for PSTrace 5.9 and later, the value
for 5.7; for another version (no EIS run of 5.0 to 5.6 or 5.8 was seen), or without the
range codes and their full scales, an EIS run has no ``current_A`` (an
:class:`echem.EchemWarning` says why). The DC current is not bounded by its range
(PSTrace offsets the DC part to measure the AC part on a small range: 56.69 µA on the
10 µA range above). ``metadata["units"]`` names such an array's unit ``in range``; the
column keeps the values as the file holds them.

Other current readings larger than 10 times the full scale of their own range cannot
have been measured (an instrument saturates at a few times full scale): they are left
out of ``current_A`` (NaN; the column is left out if no reading remains) with an
:class:`echem.EchemWarning`, and kept as read under their own name.

Start time: ``TimeStamp`` (local) with the offset to ``UTCTimeStamp``, as ISO 8601
(``2025-07-17T10:37:24.601551+02:00``); a missing or zero time stamp gives None, a
missing ``UTCTimeStamp`` the local time without offset. The wall-clock part is local time,
as the readers of formats that store no offset give it; the offset makes it an instant
(``pandas.Timestamp(start_time).tz_localize(None)`` is the local time alone).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import numbers
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import EchemWarning, ParseError
from echem.io import Format
from echem.io._caller import warn
from echem.io._schema import ColumnBlocks, build_frame
from echem.io._tables import Tables
from echem.io._text import read_bytes, unique_names

__all__ = ["FORMATS", "read_pssession", "sniff_pssession"]

#: SI prefixes in PalmSens unit type names (``MicroAmpere``): name -> (symbol, factor).
_PREFIXES: dict[str, tuple[str, float]] = {
    "Pico": ("p", 1e-12),
    "Nano": ("n", 1e-9),
    "Micro": ("µ", 1e-6),
    "Milli": ("m", 1e-3),
    "Kilo": ("k", 1e3),
    "Mega": ("M", 1e6),
    "": ("", 1.0),
}
#: Base units in PalmSens unit type names: name -> (symbol, quantity).
_BASES: dict[str, tuple[str, str]] = {
    "Ampere": ("A", "amp"),
    "Coulomb": ("C", "coulomb"),
    "Volt": ("V", "volt"),
    "Hertz": ("Hz", "freq"),
    "Ohm": ("Ohm", "ohm"),
    "Second": ("s", "time"),
    "Farad": ("F", "farad"),
    "Siemens": ("S", "siemens"),
}
#: Unit type names without a prefix: name -> (symbol, quantity); factor 1.
_PLAIN_UNITS: dict[str, tuple[str, str]] = {
    "Time": ("s", "time"),
    "ZRe": ("Ohm", "ohm"),
    "ZIm": ("Ohm", "ohm"),
    "Z": ("Ohm", "ohm"),
    "Phase": ("deg", "angle"),
    "Y": ("S", "siemens"),
    "YRe": ("S", "siemens"),
    "YIm": ("S", "siemens"),
    "FahradReal": ("F", "farad"),
    "FahradImaginary": ("F", "farad"),
}

#: Canonical column -> (the arrays it comes from, in order of preference: an ArrayType
#: code or an array class; quantity of its unit). Potential: the measured DC potential
#: (33, ``mEdc`` of an EIS run) before the potential array (1, the applied DC potential
#: of an EIS run); current: ``Idc`` (2), then ``miDC`` (36) of an EIS run. Time and
#: charge are also found by their classes (nomad's reader takes them so), the others by
#: code only (``Iac`` is a ``DataArrayCurrents`` too).
_CANONICAL: dict[str, tuple[tuple[int | str, ...], str]] = {
    "time_s": ((0, "PalmSens.Data.DataArrayTime"), "time"),
    "voltage_V": ((33, 1), "volt"),
    "current_A": ((2, 36), "amp"),
    "charge_C": ((3, "PalmSens.Data.DataArrayCharge"), "coulomb"),
    "freq_Hz": ((5,), "freq"),
    "z_real_ohm": ((7,), "ohm"),
    "z_imag_ohm": ((8,), "ohm"),
}
#: Canonical column -> (quantity ``Unit.Q``, also in an EIS run) by which an array that
#: has no ArrayType (PSTrace 5.0 curves; -1 in 5.8) is found when none is by code or class.
#: Not a current in an EIS run: ``Iac`` is a current too.
_BY_QUANTITY: dict[str, tuple[str, bool]] = {
    "time_s": ("Time", True),
    "voltage_V": ("Potential", True),
    "current_A": ("Current", False),
    "charge_C": ("Charge", True),
    "freq_Hz": ("Frequency", True),
}
#: Quantity (``Unit.Q``) of the imaginary-part array -> sign that makes it Z''.
_IMAGINARY_SIGN: dict[str, float] = {"-Z''": -1.0, "Z''": 1.0}

#: Description of the arrays of one scan of a CV (``scan2``, ``scan2channel1``): its number.
_SCAN = re.compile(r"scan(\d+)(?:channel\d+)?$", re.IGNORECASE)
#: Canonical ``cycle``: the scan number of a stacked CV (see ``_scan_tables``).
_CYCLE = "cycle"

#: Extra field of a data value -> column suffix.
_EXTRA_FIELDS: dict[str, str] = {
    "S": "status",
    "C": "current range",
    "R": "potential range",
    "T": "text",
}

#: ``METHOD_ID`` of the method script -> technique.
_METHOD_TECHNIQUES: dict[str, str] = {
    "eis": "eis",
    "cv": "cyclic_voltammetry",
    "lsv": "linear_sweep",
    "ca": "potentiostatic",
    "cp": "galvanostatic",
    "ocp": "ocv",
}
#: Measurement ``Title`` -> technique, when the method names none we know.
_TITLE_TECHNIQUES: dict[str, str] = {
    "impedance spectroscopy": "eis",
    "cyclic voltammetry": "cyclic_voltammetry",
    "linear sweep voltammetry": "linear_sweep",
    "chronoamperometry": "potentiostatic",
    "chronopotentiometry": "galvanostatic",
    "open circuit potentiometry": "ocv",
}

#: A current reading above this many times the full scale of its range is not a measurement.
_OVER_RANGE = 10.0
#: ArrayType codes of the DC current of an EIS run (``Idc``, ``miDC``).
_EIS_DC_CURRENT = frozenset({2, 36})
#: How PSTrace stores the DC current of an EIS run, by the (major, minor) CoreVersion of
#: the session: (first, last, storage); see the module docstring. Other versions: unknown.
_EIS_DC_STORAGE: tuple[tuple[tuple[int, int], tuple[int, int], str], ...] = (
    ((5, 7), (5, 7), "µA"),
    ((5, 9), (999, 999), "in range"),
)
#: The method's current-range statements: (code key, log10 of its limit in µA).
_RANGE_KEYS: tuple[tuple[str, str], ...] = (
    ("IRANGE_MIN", "IRANGE_MIN_F"),
    ("IRANGE_MAX", "IRANGE_MAX_F"),
    ("IRANGE_START", "IRANGE_START_F"),
)
#: ``metadata["units"]`` of a DC current stored "in range".
_IN_RANGE_UNIT = "in range"
#: .NET ``DateTime.Ticks`` count 100 ns from 0001-01-01.
_TICKS_EPOCH = datetime(1, 1, 1)
_TICKS_PER_MICROSECOND = 10
#: Keys of a session as PSTrace 5.9 and later write them; 5.0 to 5.8 write them in lower
#: case (``measurements``, ``datavalues``, ``v``), as in PalmSens' own example sessions.
_KEYS: dict[str, str] = {
    key.lower(): key
    for key in (
        "Type", "CoreVersion", "MethodForMeasurement", "Measurements", "Title", "TimeStamp",
        "UTCTimeStamp", "DeviceUsed", "DeviceSerial", "DeviceFW", "DataSet", "Method",
        "Curves", "EISDataList", "Values", "ArrayType", "Description", "DataValueType",
        "Unit", "DataValues", "V", "C", "S", "R", "T", "Q", "A", "Hidden",
        "XAxisDataArray", "YAxisDataArray", "ScanType", "FreqType", "CDC", "FitValues",
    )
}  # fmt: skip
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xef\xbb\xbf", "utf-8"),
)


@dataclass
class _Array:
    """One PalmSens data array, its values as the file holds them."""

    where: str
    description: str
    array_type: int | None
    kind: str  # the array's class, e.g. PalmSens.Data.DataArrayCurrents
    quantity: str
    unit: str
    unit_quantity: str | None
    factor: float | None
    values: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    ranges: np.ndarray | None = None  # the "C" codes of current readings


@dataclass
class _Table:
    """A table of arrays: column name -> values, units and the arrays behind them."""

    name: str
    columns: dict[str, np.ndarray]
    units: dict[str, str]
    arrays: dict[str, _Array]


def sniff_pssession(head: bytes) -> bool:
    """True for the start of a PalmSens session: JSON whose first object names a
    ``PalmSens.`` type (UTF-16 with or without byte-order mark, or UTF-8)."""
    try:
        text = _decode_head(head)
        return text is not None and text.lstrip().startswith("{") and '"PalmSens.' in text
    except Exception:  # noqa: BLE001 - a sniffer must never raise
        return False


def _decode_head(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            body = head[len(bom) :]
            if encoding.startswith("utf-16"):
                body = body[: len(body) // 2 * 2]
            return body.decode(encoding, errors="ignore")[:2048]
    if len(head) >= 2 and head[1:2] == b"\x00" and head[:1] != b"\x00":
        return head[: len(head) // 2 * 2].decode("utf-16-le", errors="ignore")[:2048]
    if len(head) >= 2 and head[:1] == b"\x00" and head[1:2] != b"\x00":
        return head[: len(head) // 2 * 2].decode("utf-16-be", errors="ignore")[:2048]
    if b"\x00" in head:
        return None
    return head.decode("utf-8", errors="ignore")[:2048]


def read_pssession(path: str | Path, measurement: int | None = None) -> pd.DataFrame:
    """Read a PalmSens ``.pssession`` file into the canonical tidy frame.

    Parameters
    ----------
    path
        The session file (UTF-16 JSON written by PSTrace).
    measurement
        0-based index of the measurement to return as the frame; None for the first
        EIS measurement, else the first. The others are in ``attrs["tables"]``.

    Returns
    -------
    pandas.DataFrame
        Canonical columns (``time_s`` [s], ``voltage_V`` [V], ``current_A`` [A],
        ``charge_C`` [C], ``freq_Hz`` [Hz], ``z_real_ohm``, ``z_imag_ohm`` [Ohm], those
        the measurement has), then every array under its own name as the file holds it
        (``metadata["units"]`` gives their units). ``attrs["tables"]``: the other
        measurements and any further table (see the module docstring);
        ``metadata``: the method script (``method``) and its parameters
        (``method_parameters``), device, time stamps, ``measurements`` (the listing).

    Raises
    ------
    echem.ParseError
        Not UTF-16/UTF-8 text, not JSON (with the byte offset), a missing or mistyped
        key (named by its path, e.g. ``Measurements[0].DataSet.Values[3].DataValues``),
        no measurement, or ``measurement`` out of range.

    Warns
    -----
    echem.EchemWarning
        An array of an unknown unit type or sign that would have made a canonical
        column; current readings beyond their range (see the module docstring).
    """
    path = Path(path)
    document = _document(path)
    measurements = _required(document, "Measurements", list, "the session", path)
    if not measurements:
        raise ParseError("the session holds no measurement ('Measurements' is empty)", path)
    session = {
        "session_type": document.get("Type"),
        "core_version": document.get("CoreVersion"),
        "software_version": _text(document.get("CoreVersion"), "PSTrace core {}"),
    }
    session_method = document.get("MethodForMeasurement")
    read = [
        _measurement(item, index, path, session, session_method)
        for index, item in enumerate(measurements)
    ]
    if measurement is None:
        chosen = next((m for m in read if m.technique == "eis"), read[0]).index
    elif _is_index(measurement) and 0 <= measurement < len(read):  # type: ignore[operator]
        chosen = int(measurement)  # type: ignore[arg-type]
    else:
        raise ParseError(
            f"measurement={measurement!r}: the session has {len(read)} measurement(s) "
            f"(0 to {len(read) - 1})",
            path,
        )
    main = read[chosen]
    frame = main.frames[0][1]
    others: dict[str, pd.DataFrame] = {}
    listing = []
    for item in read:
        names = [name for name, _ in item.frames]
        listing.append(
            {
                "index": item.index,
                "title": item.title,
                "technique": item.technique,
                "rows": len(item.frames[0][1]),
                "start_time": item.frames[0][1].attrs["start_time"],
                "table": None if item.index == chosen else names[0],
                "further_tables": names[1:],
            }
        )
        frames = item.frames if item.index != chosen else item.frames[1:]
        others.update(frames)
    frame.attrs["metadata"]["measurements"] = listing
    frame.attrs["tables"] = Tables(others)
    return frame


def _is_index(value: Any) -> bool:
    """A whole number (an int, numpy's included), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclass
class _Measurement:
    index: int
    title: str
    technique: str
    frames: list[tuple[str, pd.DataFrame]]


def _document(path: Path) -> dict[str, Any]:
    """The session's JSON object (the text after the JSON, PSTrace's U+FEFF, ignored)."""
    data = read_bytes(path)
    text, encoding, skipped = _decode(data, path)
    text = text.rstrip("\ufeff\x00 \t\r\n")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        offset = skipped + len(text[: error.pos].encode(encoding))
        raise ParseError(
            f"not valid JSON ({error.msg}): a damaged or cut .pssession", path, offset=offset
        ) from None
    except RecursionError:
        raise ParseError("JSON nested too deeply to be a .pssession", path) from None
    if not isinstance(document, dict):
        raise ParseError(
            f"not a PalmSens session (the JSON is a {type(document).__name__}, not an object)",
            path,
            offset=skipped,
        )
    if "Measurements" not in document and "measurements" in document:
        document = json.loads(text, object_hook=_camel_case)  # PSTrace 5.0-5.8 keys
    return document


def _camel_case(obj: dict[str, Any]) -> dict[str, Any]:
    """A JSON object of a lower-case session with the keys this reader uses as
    PSTrace 5.9+ spells them (``datavalues`` -> ``DataValues``); other keys unchanged."""
    return {_KEYS.get(key, key): value for key, value in obj.items()}


def _decode(data: bytes, path: Path) -> tuple[str, str, int]:
    """(text, its encoding without BOM, bytes before it): UTF-16 as PSTrace writes it."""
    encoding, skipped = "utf-8", 0
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, skipped = name, len(bom)
            break
    else:
        if len(data) >= 2 and data[1] == 0 and data[0] != 0:
            encoding = "utf-16-le"
        elif len(data) >= 2 and data[0] == 0 and data[1] != 0:
            encoding = "utf-16-be"
    try:
        return data[skipped:].decode(encoding), encoding, skipped
    except UnicodeDecodeError as error:
        raise ParseError(
            f"not valid {encoding.upper()} text ({error.reason}): a damaged or cut .pssession",
            path,
            offset=skipped + error.start,
        ) from None


def _expect(value: Any, kind: type, where: str, path: Path) -> Any:
    """``value``, checked to be a ``kind``; ParseError naming where it is."""
    if not isinstance(value, kind):
        raise ParseError(f"{where}: expected {_KIND_NAMES[kind]}, found {_kind(value)}", path)
    return value


def _required(obj: Any, key: str, kind: type, where: str, path: Path) -> Any:
    """``obj[key]``, checked to be a ``kind``; ParseError naming the key's path."""
    _expect(obj, dict, where, path)
    if key not in obj:
        raise ParseError(f"{where}: no {key!r} key", path)
    return _expect(obj[key], kind, _join(where, key), path)


#: JSON value types as the error messages name them.
_KIND_NAMES: dict[type, str] = {
    dict: "an object",
    list: "a list",
    str: "text",
    type(None): "null",
    bool: "true/false",
    int: "a number",
    float: "a number",
}


def _kind(value: Any) -> str:
    return _KIND_NAMES.get(type(value), f"a {type(value).__name__}")


def _join(where: str, key: str) -> str:
    return key if where == "the session" else f"{where}.{key}"


def _text(value: Any, template: str = "{}") -> str | None:
    return None if value is None or value == "" else template.format(value)


def _measurement(
    item: Any, index: int, path: Path, session: dict[str, Any], session_method: Any
) -> _Measurement:
    """Every table of one measurement, as tidy frames (the DataSet's first)."""
    where = f"Measurements[{index}]"
    _expect(item, dict, where, path)
    title = str(item.get("Title") or f"measurement {index}")
    label = f"measurement {index}: {title}"
    dataset = _required(item, "DataSet", dict, where, path)
    values = _required(dataset, "Values", list, f"{where}.DataSet", path)
    arrays = [
        _array(array, f"{where}.DataSet.Values[{position}]", path)
        for position, array in enumerate(values)
    ]
    method = item.get("Method")
    method_text = method if isinstance(method, str) else None
    parameters = _method_parameters(method_text)
    technique = _technique(parameters, title, dataset.get("Type"))
    start_time = _start_time(item.get("TimeStamp"), item.get("UTCTimeStamp"))
    metadata: dict[str, Any] = {
        **session,
        "measurement_index": index,
        "title": title,
        "technique": title,
        "instrument": _text(item.get("DeviceSerial"), "PalmSens, SN {}"),
        "device_used": item.get("DeviceUsed"),
        "device_serial": item.get("DeviceSerial"),
        "device_firmware": item.get("DeviceFW"),
        "measurement_type": item.get("Type"),
        "dataset_type": dataset.get("Type"),
        "timestamp_ticks": item.get("TimeStamp"),
        "utc_timestamp_ticks": item.get("UTCTimeStamp"),
        "method": method_text,
        "method_parameters": parameters,
    }
    if isinstance(session_method, str) and session_method != method_text:
        metadata["session_method"] = session_method
    tables, names = _scan_tables(arrays, label)
    if not tables:
        tables = _tables(arrays, label)
    names.update({id(a): column for table in tables for column, a in table.arrays.items()})
    metadata["curves"], extra = _curves(item, where, label, names, arrays, path)
    metadata["eis_data"], extra_eis = _eis_data(item, where, label, values, path)
    if not arrays:  # PSTrace 5.0-5.8 may keep a measurement's data in its curves only
        tables = tables[1:]
    tables += extra + extra_eis
    if not tables:
        tables = [_Table(label, {}, {}, {})]
    core_version = session["core_version"]
    eis_dc = (_eis_dc_storage(core_version), core_version) if technique == "eis" else None
    frames = []
    for number, table in enumerate(tables):
        frame_metadata = dict(metadata) if number == 0 else {"measurement_index": index}
        frame_metadata["units"] = table.units
        frame = _frame(table, technique, path, start_time, frame_metadata, parameters, eis_dc)
        frames.append((table.name, frame))
    return _Measurement(index, title, technique, frames)


def _array(obj: Any, where: str, path: Path) -> _Array:
    """One data array: values as read, extra fields, unit and its factor to SI."""
    data_values = _required(obj, "DataValues", list, where, path)
    unit = _required(obj, "Unit", dict, where, path)
    unit_type = str(unit.get("Type") or "")
    symbol = str(unit.get("S") or "")
    text, quantity, factor = _unit(unit_type, symbol)
    description = obj.get("Description")
    array_type = obj.get("ArrayType")
    array = _Array(
        where=where,
        description=description.strip() if isinstance(description, str) else "",
        array_type=array_type if type(array_type) is int and array_type >= 0 else None,
        kind=str(obj.get("Type") or ""),
        quantity=str(unit.get("Q") or ""),
        unit=text,
        unit_quantity=quantity,
        factor=factor,
        values=_values(data_values, f"{where}.DataValues", path),
    )
    for key, raw in _extras(data_values).items():
        column = _field_values(raw)
        array.extras[key] = column
        if key == "C" and column.dtype.kind in "if":
            array.ranges = column.astype(np.float64)
    return array


def _values(data_values: list, where: str, path: Path) -> np.ndarray:
    """The ``V`` of every data value as float64 (JSON null -> NaN)."""
    try:
        raw = [entry["V"] for entry in data_values]
    except (KeyError, TypeError):
        position = next(
            i
            for i, entry in enumerate(data_values)
            if not isinstance(entry, dict) or "V" not in entry
        )
        raise ParseError(f"{where}[{position}]: no value ('V')", path) from None
    try:
        if bool in set(map(type, raw)):  # JSON true/false: numpy would make it 1.0/0.0
            raise TypeError
        return np.array(raw, dtype=np.float64)
    except (TypeError, ValueError):
        position = next(i for i, value in enumerate(raw) if not _is_number(value))
        raise ParseError(
            f"{where}[{position}].V: {raw[position]!r} is not a number", path
        ) from None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if value is None or isinstance(value, (int, float)):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _extras(data_values: list[dict]) -> dict[str, list]:
    """The fields of the data values other than ``V``: field -> one value per data value
    (None where a data value lacks it)."""
    if not data_values:
        return {}
    first = data_values[0]
    if sum(map(len, data_values)) == len(first) * len(data_values):
        try:  # every value has as many fields as the first: the same ones, or a KeyError
            return {key: [entry[key] for entry in data_values] for key in first if key != "V"}
        except KeyError:
            pass
    return {key: [entry.get(key) for entry in data_values] for key in _extra_keys(data_values)}


def _extra_keys(data_values: list[dict]) -> list[str]:
    """The fields of the data values other than ``V``: the first value's in its order,
    then any others (sorted)."""
    keys = set().union(*data_values) if data_values else set()
    keys.discard("V")
    first = [key for key in data_values[0] if key in keys] if data_values else []
    return first + sorted(keys.difference(first))


def _field_values(column: list) -> np.ndarray:
    """An extra field's values: integers, floats (None -> NaN) or booleans as such,
    anything else (text) as objects."""
    with contextlib.suppress(TypeError, ValueError, OverflowError):
        if column and isinstance(column[0], str):
            raise TypeError  # text: straight to objects (not a fixed-width str array)
        values = np.array(column)
        if values.ndim == 1 and values.dtype.kind in "biuf":
            return values
        if values.dtype.kind == "O" and all(
            value is None or isinstance(value, (int, float)) for value in column
        ):
            return np.array(column, dtype=np.float64)
    result = np.empty(len(column), dtype=object)
    result[:] = column
    return result


def _unit(unit_type: str, symbol: str) -> tuple[str, str | None, float | None]:
    """(unit text, quantity, factor to SI) of a ``PalmSens.Units.*`` type name; the
    quantity and factor are None for a type not known here (text: the file's symbol)."""
    name = unit_type.rsplit(".", 1)[-1]
    if name in _PLAIN_UNITS:
        text, quantity = _PLAIN_UNITS[name]
        return text, quantity, 1.0
    if name == "FixedUnit":
        return symbol, None, None
    for prefix, (prefix_symbol, factor) in _PREFIXES.items():
        base = name[len(prefix) :] if name.startswith(prefix) else None
        if base in _BASES:
            base_symbol, quantity = _BASES[base]
            return prefix_symbol + base_symbol, quantity, factor
    return symbol, None, None


def _tables(arrays: list[_Array], label: str) -> list[_Table]:
    """The DataSet's arrays as tables: those as long as the first array, then one table
    per other length (in order of first appearance)."""
    if not arrays:
        return [_Table(label, {}, {}, {})]
    groups: dict[int, list[_Array]] = {}
    for array in arrays:
        groups.setdefault(len(array.values), []).append(array)
    tables = []
    for number, (length, members) in enumerate(groups.items()):
        name = label if number == 0 else f"{label} ({length} points)"
        tables.append(_table(name, members))
    return tables


def _scan_tables(arrays: list[_Array], label: str) -> tuple[list[_Table], dict[int, str]]:
    """The tables of a DataSet of several scans (``scan1``, ``scan2channel1``...: PSTrace
    names every array of a scan so): one table of the scans one after the other, with
    their number in ``cycle`` and their columns named by quantity (``Potential``,
    ``Current status``...); then the other arrays (``time``, which times one scan) as
    :func:`_tables` makes them; then, scan by scan, its arrays of another length than its
    potential (PSTrace's charge has one point more).
    ([], {}) unless there are two scans or more whose columns have the same units;
    the dict: id(array of a scan) -> its column and cycle in the first table."""
    scans: dict[str, list[_Array]] = {}
    for array in arrays:
        if array.array_type != 0 and _SCAN.match(array.description):
            scans.setdefault(array.description, []).append(array)
    if len(scans) < 2:
        return [], {}
    parts: list[tuple[int, _Table]] = []
    names: dict[int, str] = {}
    apart: list[_Table] = []
    for description, members in scans.items():
        potential = next((a for a in members if a.array_type == 1), members[0])
        own = [a for a in members if len(a.values) == len(potential.values)]
        others = [a for a in members if len(a.values) != len(potential.values)]
        if others:
            apart += _tables(others, f"{label}, {description} ({len(others[0].values)} points)")
        renamed = [dataclasses.replace(a, description=a.quantity or a.description) for a in own]
        table = _table(f"{label}, {description}", renamed)
        number = int(_SCAN.match(description).group(1))  # type: ignore[union-attr]
        parts.append((number, table))
        columns = {id(a): column for column, a in table.arrays.items()}
        for original, copy in zip(own, renamed, strict=True):
            names[id(original)] = f"{columns[id(copy)]} (cycle {number})"
    units: dict[str, str] = {}
    for _, table in parts:
        for column, unit in table.units.items():
            if units.setdefault(column, unit) != unit:
                return [], {}
    scanned = {id(a) for members in scans.values() for a in members}
    rest = [a for a in arrays if id(a) not in scanned]
    beside = _tables(rest, f"{label}, beside the scans") if rest else []
    return [_stack(label, parts, units), *beside, *apart], names


def _stack(label: str, parts: list[tuple[int, _Table]], units: dict[str, str]) -> _Table:
    """Tables of scans one after the other, ``cycle`` their number; a column that a scan
    does not have is NaN in its rows."""
    lengths = [len(next(iter(table.columns.values()))) for _, table in parts]
    numbers = np.array([number for number, _ in parts], dtype=np.int64)
    columns: dict[str, np.ndarray] = {_CYCLE: np.repeat(numbers, lengths)}
    arrays: dict[str, _Array] = {}
    for column in units:
        columns[column] = np.concatenate(
            [
                table.columns[column] if column in table.columns else np.full(length, np.nan)
                for (_, table), length in zip(parts, lengths, strict=True)
            ]
        )
        sources = [table.arrays.get(column) for _, table in parts]
        present = [array for array in sources if array is not None]
        if present:
            ranges = [None if array is None else array.ranges for array in sources]
            whole = all(r is not None for r in ranges)
            arrays[column] = dataclasses.replace(
                present[0],
                values=columns[column],
                extras={},
                ranges=np.concatenate(ranges) if whole else None,  # type: ignore[arg-type]
            )
    return _Table(label, columns, {_CYCLE: "", **units}, arrays)


def _table(name: str, arrays: list[_Array]) -> _Table:
    """Columns named by description (with the quantity where descriptions repeat)."""
    descriptions = [a.description or a.quantity or "array" for a in arrays]
    repeated = {d for d in descriptions if descriptions.count(d) > 1}
    bases = [
        f"{d} {a.quantity}" if d in repeated and a.quantity else d
        for d, a in zip(descriptions, arrays, strict=True)
    ]
    names = unique_names(bases)
    columns: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    by_name: dict[str, _Array] = {}
    for column, array in zip(names, arrays, strict=True):
        columns[column] = array.values
        units[column] = array.unit
        by_name[column] = array
        for key, values in array.extras.items():
            extra = f"{column} {_EXTRA_FIELDS.get(key, key)}"
            while extra in columns:
                extra += "'"
            columns[extra] = values
            units[extra] = ""
    return _Table(name, columns, units, by_name)


def _same(raw: Any, arrays: list[_Array]) -> _Array | None:
    """The array of ``arrays`` that ``raw`` (a curve's axis) repeats: same array type and
    the same values; None when there is none."""
    if not isinstance(raw, dict) or not isinstance(raw.get("DataValues"), list):
        return None
    entries = raw["DataValues"]
    candidates = [
        a for a in arrays if len(a.values) == len(entries) and a.array_type == raw.get("ArrayType")
    ]
    description = str(raw.get("Description") or "").strip()  # the same one first
    candidates.sort(key=lambda a: a.description != description)
    if not candidates:
        return None
    try:
        values = np.array([entry["V"] for entry in entries], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        return None
    return next((a for a in candidates if np.array_equal(values, a.values, equal_nan=True)), None)


def _curves(
    item: dict, where: str, label: str, names: dict[int, str], arrays: list[_Array], path: Path
) -> tuple[list[dict[str, Any]], list[_Table]]:
    """The measurement's curves: listed (with the DataSet columns they repeat) when they
    repeat DataSet arrays, tables of their own when not. ``names``: id(array) -> column."""
    curves = item.get("Curves")
    if curves is None:
        return [], []
    _expect(curves, list, f"{where}.Curves", path)
    listing, tables = [], []
    for number, curve in enumerate(curves):
        at = f"{where}.Curves[{number}]"
        _expect(curve, dict, at, path)
        title = str(curve.get("Title") or f"curve {number}")
        entry: dict[str, Any] = {"title": title}
        axes = {}
        for axis in ("XAxisDataArray", "YAxisDataArray"):
            raw = curve.get(axis)
            if raw is None:
                continue
            same = _same(raw, arrays)
            if same is not None:
                entry[axis] = names[id(same)]
            else:
                axes[axis] = _array(raw, f"{at}.{axis}", path)
        if axes:
            name = f"{label}, curve {number}: {title}"
            entry["table"] = name
            tables.extend(_tables(list(axes.values()), name))
        listing.append(entry)
    return listing, tables


def _eis_data(
    item: dict, where: str, label: str, values: list, path: Path
) -> tuple[list[dict[str, Any]], list[_Table]]:
    """The EIS plot objects: listed when their DataSet is the measurement's, else tables."""
    entries = item.get("EISDataList")
    if entries is None:
        return [], []
    _expect(entries, list, f"{where}.EISDataList", path)
    listing, tables = [], []
    for number, entry in enumerate(entries):
        at = f"{where}.EISDataList[{number}]"
        _expect(entry, dict, at, path)
        title = str(entry.get("Title") or f"EIS data {number}")
        summary = {
            key: entry.get(key) for key in ("Title", "ScanType", "FreqType", "CDC", "FitValues")
        }
        dataset = entry.get("DataSet")
        if dataset is None:
            summary["data"] = None
        elif isinstance(dataset, dict) and dataset.get("Values") == values:
            summary["data"] = "the measurement's DataSet"
        else:
            own = _required(entry, "DataSet", dict, at, path)
            arrays = [
                _array(array, f"{at}.DataSet.Values[{position}]", path)
                for position, array in enumerate(
                    _required(own, "Values", list, f"{at}.DataSet", path)
                )
            ]
            name = f"{label}, EIS data {number}: {title}"
            summary["data"] = name
            tables.extend(_tables(arrays, name))
        listing.append(summary)
    return listing, tables


def _method_parameters(text: str | None) -> dict[str, Any]:
    """``KEY=VALUE`` lines of a method script: numbers as float, the rest as text."""
    parameters: dict[str, Any] = {}
    for line in (text or "").splitlines():
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key.isidentifier():  # a comment (#...) or another line
            continue
        try:
            parameters[key] = float(value)
        except ValueError:
            parameters[key] = value
    return parameters


def _technique(parameters: dict[str, Any], title: str, dataset_type: Any) -> str:
    method_id = str(parameters.get("METHOD_ID", "")).strip().lower()
    if method_id in _METHOD_TECHNIQUES:
        return _METHOD_TECHNIQUES[method_id]
    if title.strip().lower() in _TITLE_TECHNIQUES:
        return _TITLE_TECHNIQUES[title.strip().lower()]
    if isinstance(dataset_type, str) and dataset_type.endswith("DataSetEIS"):
        return "eis"
    return "unknown"


def _ticks(value: Any) -> datetime | None:
    """A .NET tick count as a datetime; None when absent, not positive or out of range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        return None
    try:
        return _TICKS_EPOCH + timedelta(microseconds=int(value) // _TICKS_PER_MICROSECOND)
    except (OverflowError, ValueError):
        return None


def _start_time(local: Any, utc: Any) -> str | None:
    """ISO 8601 local start time, with its offset from UTC when both stamps are valid."""
    moment, universal = _ticks(local), _ticks(utc)
    if moment is None:
        return None
    if universal is not None:
        offset = moment - universal
        whole_minutes = offset % timedelta(minutes=1) == timedelta(0)
        if whole_minutes and abs(offset) <= timedelta(hours=14):
            return moment.replace(tzinfo=timezone(offset)).isoformat()
    return moment.isoformat()


def _aliases(table: _Table, path: Path, eis: bool) -> dict[str, list[tuple[str, float]]]:
    """Canonical column -> [(column, factor)] for the arrays of a table (of an EIS run)."""
    aliases: dict[str, list[tuple[str, float]]] = {}
    for canonical, (sources, quantity) in _CANONICAL.items():
        by_quantity, also_in_eis = _BY_QUANTITY.get(canonical, (None, False))
        if by_quantity is not None and (also_in_eis or not eis):
            sources = (*sources, ("quantity", by_quantity))
        for source in sources:
            found = [(n, a) for n, a in table.arrays.items() if _is(a, source)]
            if not found:
                continue
            if len(found) > 1:
                warn(
                    f"{path}: {table.name}: {len(found)} arrays of type {source} "
                    f"({', '.join(n for n, _ in found)}): no {canonical} (they are kept as "
                    "they are)",
                    EchemWarning,
                )
                break
            column, array = found[0]
            factor = _factor(canonical, array, quantity)
            if factor is None:
                warn(
                    f"{path}: {table.name}: column {column!r} has the unit type "
                    f"{array.unit!r} (quantity {array.quantity!r}), not known as {quantity}: "
                    f"no {canonical} (the column is kept as it is)",
                    EchemWarning,
                )
            else:
                aliases[canonical] = [(column, factor)]
            break
    return aliases


def _is(array: _Array, source: int | str | tuple[str, str]) -> bool:
    """Whether ``array`` is of ``source``: an ArrayType code, an array class, or
    (``"quantity"``, its unit's quantity) for an array without ArrayType."""
    if isinstance(source, tuple):
        return array.array_type is None and array.quantity == source[1]
    return array.array_type == source if isinstance(source, int) else array.kind == source


def _factor(canonical: str, array: _Array, quantity: str) -> float | None:
    if array.unit_quantity != quantity or array.factor is None:
        return None
    if canonical == "z_imag_ohm":
        sign = _IMAGINARY_SIGN.get(array.quantity)
        return None if sign is None else sign * array.factor
    return array.factor


def _full_scale_uA(ranges: np.ndarray | None, parameters: dict[str, Any]) -> np.ndarray | None:
    """The full scale in µA of each reading's current-range code (NaN where a reading has
    none), by the method's ladder; None when the ladder is not known or a code is not a
    whole number between the lowest and highest code the method states."""
    ladder = _range_ladder(parameters)
    if ranges is None or ladder is None:
        return None
    offset, low, high = ladder
    known = ranges[np.isfinite(ranges)]
    if ((known != np.round(known)) | (known < low) | (known > high)).any():
        return None
    return 10.0 ** (ranges + offset)


def _range_ladder(parameters: dict[str, Any]) -> tuple[int, int, int] | None:
    """(log10 of the full scale in µA of current-range code 0, so that code ``c`` has
    that + ``c``; the lowest and highest code stated), when the method's stated codes (at
    least two different ones) lie on one ladder of decades; else None. A limit between
    decades is served by the next decade up."""
    offsets, codes = set(), set()
    for code_key, limit_key in _RANGE_KEYS:
        try:
            code, limit = float(parameters[code_key]), float(parameters[limit_key])
        except (KeyError, TypeError, ValueError):
            continue
        if not (math.isfinite(code) and math.isfinite(limit)) or code != int(code):
            continue
        nearest = round(limit)
        decade = nearest if abs(limit - nearest) < 1e-3 else math.ceil(limit)
        offsets.add(decade - int(code))
        codes.add(int(code))
    if len(offsets) != 1 or len(codes) < 2:
        return None
    return offsets.pop(), min(codes), max(codes)


def _version(text: Any) -> tuple[int, int] | None:
    """(major, minor) of a version text such as ``5.9.4515.26368``; None if it is not one."""
    parts = str(text).split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def _eis_dc_storage(core_version: Any) -> str | None:
    """How a session of this CoreVersion stores the DC current of an EIS run."""
    version = _version(core_version)
    if version is None:
        return None
    return next((how for low, high, how in _EIS_DC_STORAGE if low <= version <= high), None)


def _current(
    table: _Table,
    aliases: dict[str, list[tuple[str, float]]],
    parameters: dict[str, Any],
    eis_dc: tuple[str | None, Any] | None,
    path: Path,
) -> tuple[dict[str, np.ndarray], dict[str, list[tuple[str, float]]]]:
    """The columns and aliases to build a table's frame from, ``current_A`` as the
    module docstring says: the DC current of an EIS run (``eis_dc``: its storage and the
    session's CoreVersion; None for another technique) decoded by its storage, other
    readings beyond 10x the full scale of their range left out (NaN there, or no
    ``current_A`` when none remains); a warning says what is left out."""
    if "current_A" not in aliases:
        return table.columns, aliases
    [(column, factor)] = aliases["current_A"]
    array = table.arrays[column]
    full_scale_uA = _full_scale_uA(array.ranges, parameters)
    others = {name: found for name, found in aliases.items() if name != "current_A"}
    if eis_dc is not None and array.array_type in _EIS_DC_CURRENT:
        storage, core_version = eis_dc
        if storage == "µA":
            return table.columns, aliases
        why = None
        if storage is None:
            why = (
                f"PSTrace {core_version} may store it as µA or 'in range' (µA times the "
                "full scale of its range, PSTrace 5.9 and later)"
            )
        elif array.unit != "µA" or full_scale_uA is None:
            why = (
                "it is stored 'in range' (µA times the full scale of its range), and the "
                "full scale of its range codes is not known (the method's IRANGE_* "
                "statements, whole current-range codes C between them and the unit µA "
                "are needed)"
            )
        if why is not None:
            warn(
                f"{path}: {table.name}: {column!r} is the DC current of an EIS run; {why}: "
                f"no current_A (kept as read in {column!r})",
                EchemWarning,
            )
            return table.columns, others
        with np.errstate(invalid="ignore", over="ignore"):
            current = array.values / full_scale_uA * factor
        return {"current_A": current, **table.columns}, {
            **others,
            "current_A": [("current_A", 1.0)],  # a canonical name: not repeated
        }
    if full_scale_uA is None:
        return table.columns, aliases
    full_scale_A = full_scale_uA * 1e-6
    current = array.values * factor
    with np.errstate(invalid="ignore"):
        ratio = np.abs(current) / full_scale_A
        beyond = ratio > _OVER_RANGE
    if not beyond.any():
        return table.columns, aliases
    count = int(beyond.sum())
    warn(
        f"{path}: {table.name}: {count} of {len(current)} {column!r} readings exceed "
        f"{_OVER_RANGE:g} times the full scale of their current range (up to "
        f"{ratio[beyond].max():.0f} times): not measured currents, left out of "
        f"current_A (kept as read in {column!r})",
        EchemWarning,
    )
    if count == len(current):
        return table.columns, others
    current[beyond] = np.nan
    return {"current_A": current, **table.columns}, {**others, "current_A": [("current_A", 1.0)]}


def _frame(
    table: _Table,
    technique: str,
    path: Path,
    start_time: str | None,
    metadata: dict[str, Any],
    parameters: dict[str, Any],
    eis_dc: tuple[str | None, Any] | None,
) -> pd.DataFrame:
    """One table's tidy frame; ``eis_dc``: see :func:`_current`."""
    aliases = _aliases(table, path, technique == "eis")
    if _CYCLE in table.columns:  # the scans of a CV, one after the other
        aliases[_CYCLE] = [(_CYCLE, 1.0)]
    columns, aliases = _current(table, aliases, parameters, eis_dc, path)
    if eis_dc is not None and eis_dc[0] != "µA":
        unit = _IN_RANGE_UNIT if eis_dc[0] is not None else f"µA or {_IN_RANGE_UNIT}"
        dc = [name for name, array in table.arrays.items() if array.array_type in _EIS_DC_CURRENT]
        metadata["units"] = {**metadata["units"], **dict.fromkeys(dc, unit)}
    n_rows = len(next(iter(columns.values()))) if columns else 0
    blocks = tuple(((name,), values.reshape(1, n_rows)) for name, values in columns.items())
    return build_frame(
        ColumnBlocks(blocks, n_rows, objects=True),  # each column its own block, text too
        aliases,
        format="palmsens-pssession",
        technique=technique,
        source=path.name,
        start_time=start_time,
        metadata=metadata,
    )


FORMATS: tuple[Format, ...] = (
    Format(
        name="palmsens-pssession",
        description="PalmSens PSTrace session (.pssession: UTF-16 JSON; EIS, CV, CA, ...)",
        extensions=(".pssession",),
        sniff=sniff_pssession,
        reader=read_pssession,
    ),
)
