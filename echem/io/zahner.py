"""Zahner Thales binary files: ``.ism`` impedance spectra and ``.isw`` time series.

Both start with the same 6-byte field, ``00 00 FF FF FF FE`` in every file seen (another
value warns, and the file is read by this layout: its header strings check it); numbers
are big-endian: ``I6`` a signed 48-bit integer, ``F8`` an IEEE double, ``I2`` a signed
16-bit integer; a string is an ``I2`` length and that many bytes, stored with the case
of every letter swapped (``mea6-id3`` is ``MEA6-ID3``: the ``_c.txt`` companion header
of the ``.isw`` here prints them swapped back). Layouts from Zahner's own reader
(zahner_analysis 26.42, ``ism_import.py`` / ``isw_import.py`` / ``thales_file_utils.py``,
MIT) and checked on the files here byte for byte (every byte of both ``.ism`` files is
accounted for).

``.ism`` (EIS)::

    I6 version | I6 n - 1 | F8[n] frequency/Hz | F8[n] |Z|/Ohm | F8[n] phase/rad
    | F8[n] time stamp (s since 1980-01-01, local time) | I2[n] significance (0..1000)
    | 12 strings: date (DDMMYY), system, voltage, current, temperature, time window,
      comment 1..4, electrode area, serial quantities
    | I2 acquisition flag | F8[32] k-values
    | if flag > 256 and int(k[27]) & 32768: n x (F8 voltage/V, F8 current/A)

Z = |Z| e^(j phase): Z'' keeps the file's sign (negative on a capacitive arc). Rows stay
in file order (the order measured, 200 kHz first here); zahner_analysis returns them
from the lowest to the highest frequency and leaves out the points before the highest
frequency when a sweep starts in the middle (Thales measures the upper part twice):
echem keeps every point, and :func:`echem.eis.spectra` splits such a file where the
frequency turns. ``time_s`` is the time stamp minus the earliest one, ``start_time``
that earliest time stamp; ``voltage_V`` and ``current_A`` the acquisition tracks (the
DC voltage and current at each point). The k-values are kept as they are, uninterpreted
(zahner_analysis takes ``k[25] / 1000`` as the amplitude: 0.005 in both files here,
while the PEIS file's own header string says ``Ampl: 10mV``).

``.isw`` (polarisation: time series)::

    I6 version | I6 (unknown; 14 here) | I6 n - 1
    | n x (F8 voltage/mV, F8 current/mA, F8 time/ms)
    | strings: system, control, temperature, date (MON,DD.YYYY), time window,
      comment 1..4 | further content (settings; kept as hex in ``metadata["tail_hex"]``)

The units follow zahner_analysis (/1000 to V, A, s) and physics: 1500.4 -> 1.5004 V for
an MEA at 625 mA (its GEIS at 100 mA here reads 1.443 V), 625 -> 0.625 A as the file
name ``21-cp-625ma-5min`` says, 0 ... 300000 ms -> 300 s, the 5 min between the 12:56:56
and 13:01:57 of its time window. The start time is the date with the window's first time.
Thales writes the same header as text beside the file, ``<name>_c.txt``; when it is
there it is read into ``metadata["companion_header"]`` (the ``.isw`` reads the same without
it) and a disagreement with the ``.isw``'s own strings warns. That text file given to
:func:`echem.read` is an :class:`echem.UnsupportedFormatError` (a ParseError: not a data
file) pointing to its ``.isw``; the ``echem`` commands leave it out of a folder in a line.

Unset dates: a time stamp of 0 (1980-01-01 00:00, Thales' epoch) or a date string of
1980-01-01 is what Thales writes when the clock was not set: ``start_time`` is None and
the raw value stays in the metadata (``start_timestamp_s``, ``date``).

Technique: ``.ism`` is ``eis`` (``metadata["control"]`` is potentiostatic or
galvanostatic by which header string states the amplitude). ``.isw`` says nothing of
its control mode: the technique is ``galvanostatic`` when the current is exactly
constant and the voltage is not (``ocv`` if that current is 0), ``potentiostatic`` for
the reverse, else ``unknown``.

Damage: a file too short for the points it declares is a :class:`echem.ParseError` with
the byte offset. The header strings after the points are the check of the point count
(every number's offset follows from it): when they are not where the count ends the
points (text, the date in its format), a count that differs in one byte of its field and
ends the points where they are shows a damaged count, and points that hold no spectrum
(a frequency not above 0, a |Z| below 0, a phase beyond ±π) or no time series (times not
rising from 0) show misplaced numbers: both are a :class:`echem.ParseError` at the count.
Otherwise a header block after the data that is cut short or does not follow the layout
is read as far as it goes, with a :class:`echem.TruncatedDataWarning` (cut) or
:class:`echem.EchemWarning` (other layout) saying what was not read. The ``.ism``
voltage/current tracks are read only when the fields before them end exactly where the
tracks fill the file (a damaged string length would shift them).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import EchemWarning, ParseError, TruncatedDataWarning, UnsupportedFormatError
from echem.io import Format
from echem.io._caller import warn
from echem.io._schema import CANONICAL, ColumnBlocks, build_frame
from echem.io._text import decode, read_bytes, split_lines

__all__ = ["FORMATS", "read_ism", "read_isw", "sniff_ism", "sniff_isw"]

#: The first 6 bytes of every .ism and .isw seen (the version field).
MAGIC = b"\x00\x00\xff\xff\xff\xfe"
#: Thales' time stamps count seconds from this moment (local time).
EPOCH = datetime(1980, 1, 1)

#: Names of the 12 strings after an .ism spectrum, in file order.
ISM_STRINGS: tuple[str, ...] = (
    "date",
    "system",
    "voltage",
    "current",
    "temperature",
    "time_window",
    "comment_1",
    "comment_2",
    "comment_3",
    "comment_4",
    "electrode_area",
    "serial_quantities",
)
#: Names of the strings after an .isw time series, in file order (the labels of the
#: ``_c.txt`` header: System, Control, Temperature, Time, then the window and comments).
ISW_STRINGS: tuple[str, ...] = (
    "system",
    "control",
    "temperature",
    "date",
    "time_window",
    "comment_1",
    "comment_2",
    "comment_3",
    "comment_4",
)
#: .ism columns: name of each of the four F8 arrays, in file order.
ISM_ARRAYS: tuple[str, ...] = ("frequency/Hz", "impedance/Ohm", "phase/rad", "timestamp/s")
#: .isw columns: the three F8 fields of a record, in file order, and their factor to SI.
ISW_FIELDS: tuple[tuple[str, str, float], ...] = (
    ("voltage/mV", "voltage_V", 1e-3),
    ("current/mA", "current_A", 1e-3),
    ("time/ms", "time_s", 1e-3),
)
#: Labels of the ``_c.txt`` companion header -> the .isw string they repeat.
COMPANION_LABELS: dict[str, str] = {
    "system": "system",
    "control": "control",
    "temperature": "temperature",
    "time": "date",
}

_K_VALUES = 32
#: The largest phase in rad (a little above π: rounding).
_PI = math.pi * (1 + 1e-12)
_ACQ_FLAG_MIN = 256
_ACQ_BIT = 32768
_TAIL_HEX_MAX = 4096
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_ISM_DATE = re.compile(r"^\s*(\d{2})(\d{2})(\d{2})\s*$")
_ISW_DATE = re.compile(r"^\s*([A-Za-z]{3}),\s*(\d{1,2})\.(\d{4})\s*$")
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2}):(\d{2})\s*-\s*\d{1,2}:\d{2}:\d{2}\s*$")
_COMPANION_FIRST = "zahner polarization file"
#: The companion header's name after the .isw's stem, in the cases looked for.
_COMPANION_SUFFIXES = ("_c.txt", "_C.TXT", "_C.txt", "_c.TXT")


# --------------------------------------------------------------------------- sniffing


def sniff_ism(head: bytes) -> bool:
    """The Thales magic, then a positive point count and a plausible first frequency."""
    if len(head) < 20 or not head.startswith(MAGIC):
        return False
    count = int.from_bytes(head[6:12], "big", signed=True)
    first = float(np.frombuffer(head, ">f8", 1, 12)[0])
    return count >= 0 and math.isfinite(first) and 1e-7 <= first <= 1e9


def sniff_isw(head: bytes) -> bool:
    """An .isw (the magic, a point count where an .ism has its first frequency, and a
    first record with a finite, non-negative time), or its ``_c.txt`` text header."""
    if _is_companion(head):
        return True
    if len(head) < 42 or not head.startswith(MAGIC) or sniff_ism(head):
        return False
    count = int.from_bytes(head[12:18], "big", signed=True)
    first_time = float(np.frombuffer(head, ">f8", 1, 34)[0])
    return 0 <= count < 2**40 and math.isfinite(first_time) and first_time >= 0


def _is_companion(head: bytes) -> bool:
    return head[:64].decode("latin-1").strip().lower().startswith(_COMPANION_FIRST)


# --------------------------------------------------------------------------- shared


@dataclass
class _Cursor:
    """Reads the big-endian fields after the data block, recording where it stopped."""

    data: bytes
    at: int
    path: Path
    problem: str | None = None
    cut: bool = False

    def _need(self, size: int, what: str) -> bool:
        if self.problem is not None:
            return False
        if self.at + size > len(self.data):
            self.problem = f"the file ends inside the {what} (byte {self.at})"
            self.cut = True
            return False
        return True

    def string(self, what: str) -> str | None:
        """One string (I2 length, bytes with the case swapped back); None on a problem."""
        if not self._need(2, what):
            return None
        length = int.from_bytes(self.data[self.at : self.at + 2], "big", signed=True)
        if length < 0:
            self.problem = f"the {what} has a negative length {length} (byte {self.at})"
            return None
        if not self._need(2 + length, what):
            return None
        raw = self.data[self.at + 2 : self.at + 2 + length]
        self.at += 2 + length
        return raw.decode("latin-1").swapcase()

    def integer(self, what: str) -> int | None:
        if not self._need(2, what):
            return None
        value = int.from_bytes(self.data[self.at : self.at + 2], "big", signed=True)
        self.at += 2
        return value

    def doubles(self, count: int, what: str) -> np.ndarray | None:
        if not self._need(8 * count, what):
            return None
        values = np.frombuffer(self.data, ">f8", count, self.at).astype(np.float64)
        self.at += 8 * count
        return values

    def report(self, kind: str) -> None:
        """Warn once about where the header block stopped being readable."""
        if self.problem is None:
            return
        category = TruncatedDataWarning if self.cut else EchemWarning
        warn(
            f"{self.path}: {self.problem}: {kind} from there on not read "
            "(a file cut short, or a layout of another Thales version)",
            category,
        )


def _strings(cursor: _Cursor, names: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in names:
        value = cursor.string(name.replace("_", " ") + " string")
        if value is None:
            break
        found[name] = value
    return found


def _check_version(data: bytes, path: Path) -> None:
    """Warn when the version field is not the one of every file seen (read all the same:
    the header strings, where the layout puts them, check it)."""
    if not data.startswith(MAGIC):
        warn(
            f"{path}: version field {data[:6].hex(' ')} (bytes 0-5), not the "
            f"{MAGIC.hex(' ')} of every Thales file seen: read by the layout of those",
            EchemWarning,
        )


def _i6(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 6], "big", signed=True)


def _points(data: bytes, at: int, header: int, record: int, path: Path, kind: str) -> int:
    """The declared number of points, checked against the file's size."""
    if len(data) < header:
        raise ParseError(
            f"{len(data)} bytes: too short for the {header}-byte header of a Zahner {kind}",
            path,
            offset=len(data),
        )
    count = _i6(data, at) + 1
    if count < 1:
        raise ParseError(f"declares {count} points (not a Zahner {kind}?)", path, offset=at)
    needed = header + record * count
    if needed > len(data):
        raise ParseError(
            f"declares {count} points ({record} bytes each from byte {header}, to byte "
            f"{needed}) but the file ends at byte {len(data)}: cut short, or not a Zahner "
            f"{kind}",
            path,
            offset=len(data),
        )
    return count


def _check_count(
    data: bytes, path: Path, at: int, header: int, record: int, fits: Any, kind: str
) -> None:
    """Called when the strings after the declared points do not parse: a ParseError if
    they do where a count that differs from the declared one in one byte of its field
    (``at``: its offset) would end the points (``fits(offset)``: the strings parse
    there): the count is damaged, and every number read by it would be misplaced."""
    field = data[at : at + 6]
    declared = _i6(data, at) + 1
    for position in range(6):
        for value in range(256):
            if value == field[position]:
                continue
            other = int.from_bytes(
                field[:position] + bytes((value,)) + field[position + 1 :], "big", signed=True
            )
            end = header + record * (other + 1)
            if other >= 0 and end <= len(data) and fits(end):
                raise ParseError(
                    f"declares {declared} points, but its header strings follow "
                    f"{other + 1} points (at byte {end}): a damaged point count (bytes "
                    f"{at}-{at + 5}), not a Zahner {kind} to read by it",
                    path,
                    offset=at,
                )


def _misplaced(n: int, what: str, kind: str) -> str:
    return (
        f"the {n} declared points hold {what}, and the header strings do not follow them: "
        f"a damaged point count, or not a Zahner {kind}"
    )


def _strings_fit(
    data: bytes, path: Path, at: int, names: tuple[str, ...], date: re.Pattern[str]
) -> bool:
    """Whether every string of ``names`` parses from ``at``, printable, the date one
    matching ``date``."""
    cursor = _Cursor(data, at, path)
    strings = _strings(cursor, names)
    return (
        cursor.problem is None
        and all(
            char.isprintable() or char in "\t\r\n" for text in strings.values() for char in text
        )
        and date.match(strings["date"]) is not None
    )


def _moment(day: int, month: int, year: int, clock: tuple[int, int, int]) -> datetime | None:
    try:
        return datetime(year, month, day, *clock)
    except ValueError:
        return None


def _window_start(window: str | None) -> tuple[int, int, int]:
    """(hour, minute, second) at which a ``HH:MM:SS - HH:MM:SS`` window opens; 0:00:00
    when there is no window."""
    match = _WINDOW.match(window or "")
    if match is None:
        return (0, 0, 0)
    hour, minute, second = (int(group) for group in match.groups())
    return (hour, minute, second)


def _iso_unless_unset(moment: datetime | None) -> str | None:
    """ISO 8601, or None for Thales' unset clock (1980-01-01) and impossible dates."""
    if moment is None or moment.date() == EPOCH.date():
        return None
    return moment.isoformat()


# --------------------------------------------------------------------------- .ism


def read_ism(path: str | Path) -> pd.DataFrame:
    """Read a Zahner Thales ``.ism`` impedance spectrum into the canonical tidy frame.

    Parameters
    ----------
    path
        The ``.ism`` file.

    Returns
    -------
    pandas.DataFrame
        ``time_s`` [s] (from the earliest point), ``voltage_V`` [V] and ``current_A``
        [A] (the acquisition tracks, when the file has them), ``freq_Hz`` [Hz],
        ``z_real_ohm``, ``z_imag_ohm`` [Ohm]; then the file's arrays (``frequency/Hz``,
        ``impedance/Ohm``, ``phase/rad``, ``timestamp/s``, ``significance``,
        ``Voltage/V``, ``Current/A``), rows in file order. ``metadata``: the header
        strings, the k-values, ``control``, ``start_timestamp_s`` (raw).

    Raises
    ------
    echem.ParseError
        Shorter than its declared points (with the byte offset).
    """
    path = Path(path)
    data = read_bytes(path)
    n = _points(data, 6, 12, 34, path, ".ism")
    _check_version(data, path)
    arrays = np.frombuffer(data, ">f8", 4 * n, 12).reshape(4, n).astype(np.float64)
    significance = np.frombuffer(data, ">i2", n, 12 + 32 * n).astype(np.int16)
    freq, modulus, phase, stamps = arrays
    cursor = _Cursor(data, 12 + 34 * n, path)
    strings = _strings(cursor, ISM_STRINGS)
    fits = _ism_fits(data, path)
    if not fits(12 + 34 * n):
        _check_count(data, path, 6, 12, 34, fits, ".ism")
        with np.errstate(invalid="ignore"):
            spectrum = (freq > 0).all() and (modulus >= 0).all() and (abs(phase) <= _PI).all()
        if not spectrum:
            what = "no spectrum (a frequency not above 0, a |Z| below 0 or a phase beyond ±π)"
            raise ParseError(_misplaced(n, what, ".ism"), path, offset=6)
    flag = cursor.integer("acquisition flag")
    k_values = cursor.doubles(_K_VALUES, "k-values")
    tracks = None
    if flag is not None and k_values is not None and _has_tracks(flag, k_values[27]):
        tracks = cursor.doubles(2 * n, "voltage/current tracks")
    cursor.report("the metadata and any voltage/current tracks")
    metadata: dict[str, Any] = {
        "file_version": _i6(data, 0),
        **strings,
        "acquisition_flag": flag,
        "k_values": None if k_values is None else k_values.tolist(),
        "control": _control(strings),
    }
    if cursor.problem is None and cursor.at < len(data):
        _unread(path, data, cursor.at, metadata, tracks is not None)
        tracks = None  # the fields do not add up to the file: where they are is uncertain

    valid = np.isfinite(stamps) & (stamps > 0)
    start_stamp = float(stamps[valid].min()) if valid.all() else None
    metadata["start_timestamp_s"] = float(stamps.min())
    if start_stamp is not None:
        start_time = _iso_unless_unset(_from_stamp(start_stamp))
    else:
        start_time = _ism_date(strings)
    with np.errstate(invalid="ignore", over="ignore"):  # a damaged phase (inf) gives NaN
        real = modulus * np.cos(phase)
        imag = modulus * np.sin(phase)
    blocks: list[tuple[tuple[str, ...], np.ndarray]] = [
        (("z_real_ohm", "z_imag_ohm"), np.vstack((real, imag))),
        (ISM_ARRAYS, arrays),
        (("significance",), significance.reshape(1, n)),
    ]
    aliases: dict[str, list[tuple[str, float]]] = {
        "freq_Hz": [("frequency/Hz", 1.0)],
        "z_real_ohm": [("z_real_ohm", 1.0)],
        "z_imag_ohm": [("z_imag_ohm", 1.0)],
    }
    if start_stamp is not None:
        blocks.insert(0, (("time_s",), (stamps - start_stamp).reshape(1, n)))
        aliases["time_s"] = [("time_s", 1.0)]
    if tracks is not None:
        blocks.append((("Voltage/V", "Current/A"), tracks.reshape(n, 2).T))
        aliases["voltage_V"] = [("Voltage/V", 1.0)]
        aliases["current_A"] = [("Current/A", 1.0)]
    metadata["units"] = _units(blocks)
    return build_frame(
        ColumnBlocks(tuple(blocks), n),
        aliases,
        format="zahner-ism",
        technique="eis",
        source=path.name,
        start_time=start_time,
        metadata=metadata,
    )


def _ism_fits(data: bytes, path: Path) -> Any:
    """``fits(offset)`` for :func:`_check_count`: the 12 strings, the flag and k-values."""

    def fits(at: int) -> bool:
        if not _strings_fit(data, path, at, ISM_STRINGS, _ISM_DATE):
            return False
        cursor = _Cursor(data, at, path)
        _strings(cursor, ISM_STRINGS)
        return cursor.integer("flag") is not None and cursor.doubles(_K_VALUES, "k") is not None

    return fits


def _has_tracks(flag: int, k27: float) -> bool:
    """Whether voltage/current tracks follow the k-values (zahner_analysis' rule)."""
    return flag > _ACQ_FLAG_MIN and math.isfinite(k27) and (int(k27) & _ACQ_BIT) == _ACQ_BIT


def _control(strings: dict[str, str]) -> str | None:
    """Which quantity the amplitude was set on, from the header strings."""
    if "ampl" in strings.get("voltage", "").lower():
        return "potentiostatic"
    if "ampl" in strings.get("current", "").lower():
        return "galvanostatic"
    return None


def _from_stamp(seconds: float) -> datetime | None:
    try:
        return EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None


def _ism_date(strings: dict[str, str]) -> str | None:
    """Start from the DDMMYY date and the window's first time (no valid time stamps)."""
    match = _ISM_DATE.match(strings.get("date", ""))
    if match is None:
        return None
    day, month, year = (int(g) for g in match.groups())
    year += 2000 if year < 70 else 1900  # two digits: 1970-2069, as zahner_analysis
    return _iso_unless_unset(_moment(day, month, year, _window_start(strings.get("time_window"))))


def _unread(path: Path, data: bytes, at: int, metadata: dict[str, Any], tracks: bool) -> None:
    """Bytes after the known layout: kept (hex) in the metadata, with a warning. The
    voltage/current tracks are then not read: a damaged string length shifts them, and
    only a layout that ends exactly at the end of the file places them for certain."""
    rest = data[at:]
    metadata["unread_bytes"] = {"offset": at, "length": len(rest)}
    if len(rest) <= _TAIL_HEX_MAX:
        metadata["unread_bytes"]["hex"] = rest.hex()
    lost = " and the voltage/current tracks (their position is uncertain)" if tracks else ""
    warn(
        f"{path}, byte {at}: {len(rest)} bytes after the known layout were not read "
        f"(kept in metadata['unread_bytes']){lost}",
        EchemWarning,
    )


def _units(blocks: list[tuple[tuple[str, ...], np.ndarray]]) -> dict[str, str]:
    """The file's columns -> unit, from their ``name/unit`` names ("" for none)."""
    names = [name for block_names, _ in blocks for name in block_names if name not in CANONICAL]
    return {name: name.split("/", 1)[1] if "/" in name else "" for name in names}


# --------------------------------------------------------------------------- .isw


def read_isw(path: str | Path) -> pd.DataFrame:
    """Read a Zahner Thales ``.isw`` time series into the canonical tidy frame.

    Parameters
    ----------
    path
        The ``.isw`` file; its ``<name>_c.txt`` header beside it is read when present.

    Returns
    -------
    pandas.DataFrame
        ``time_s`` [s], ``voltage_V`` [V], ``current_A`` [A], then the file's fields
        (``voltage/mV``, ``current/mA``, ``time/ms``) as it holds them. ``metadata``:
        the header strings, ``companion_header`` (when the ``_c.txt`` is there),
        ``tail_hex`` (the settings after the strings, not interpreted).

    Raises
    ------
    echem.ParseError
        Shorter than its declared points (with the byte offset); given the ``_c.txt``
        header instead of the ``.isw``: :class:`echem.UnsupportedFormatError`.
    """
    path = Path(path)
    data = read_bytes(path)
    if _is_companion(data):
        raise UnsupportedFormatError(_companion_message(path), path)
    n = _points(data, 12, 18, 24, path, ".isw")
    _check_version(data, path)
    records = np.frombuffer(data, ">f8", 3 * n, 18).reshape(n, 3).T.astype(np.float64)
    cursor = _Cursor(data, 18 + 24 * n, path)
    strings = _strings(cursor, ISW_STRINGS)
    fits = lambda at: _strings_fit(data, path, at, ISW_STRINGS, _ISW_DATE)  # noqa: E731
    if not fits(18 + 24 * n):
        _check_count(data, path, 12, 18, 24, fits, ".isw")
        with np.errstate(invalid="ignore"):
            series = records[2, 0] >= 0 and (np.diff(records[2]) >= 0).all()
        if not series:
            what = "no time series (times not rising from 0 or above)"
            raise ParseError(_misplaced(n, what, ".isw"), path, offset=12)
    cursor.report("the header strings")
    metadata: dict[str, Any] = {
        "file_version": _i6(data, 0),
        "header_field_6": _i6(data, 6),
        **strings,
    }
    if cursor.problem is None:
        rest = data[cursor.at :]
        metadata["tail_hex"] = rest[:_TAIL_HEX_MAX].hex()
        metadata["tail_length"] = len(rest)
    companion = _companion(path, strings)
    if companion is not None:
        metadata["companion_header"] = companion
    start_time = _isw_start(strings if "date" in strings or companion is None else companion)
    names = tuple(name for name, _, _ in ISW_FIELDS)
    metadata["units"] = {name: name.split("/", 1)[1] for name in names}
    with np.errstate(invalid="ignore"):  # a signalling NaN in the file stays a NaN
        frame = build_frame(
            ColumnBlocks(((names, records),), n),
            {canonical: [(name, factor)] for name, canonical, factor in ISW_FIELDS},
            format="zahner-isw",
            technique=_isw_technique(records[1], records[0]),
            source=path.name,
            start_time=start_time,
            metadata=metadata,
        )
    return frame


def _companion_message(path: Path) -> str:
    stem = re.sub(r"_c$", "", path.stem, flags=re.IGNORECASE)
    data_file = path.with_name(f"{stem}.isw")
    where = "" if data_file.exists() else f" ({data_file.name} is not beside it)"
    return (
        f"this is the text header Zahner Thales writes beside {data_file.name}, not a data "
        f"file: read {data_file.name}, whose reader attaches this header{where}"
    )


def _companion_path(path: Path) -> Path | None:
    """``<name>_c.txt`` beside ``<name>.isw`` (``_c.txt``, ``_C.TXT``, ``_C.txt`` or
    ``_c.TXT``), None if absent. Looked up by name, not by listing the folder: a folder of
    thousands of files would be listed once per file read."""
    for suffix in _COMPANION_SUFFIXES:
        candidate = path.with_name(path.stem + suffix)
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            continue
    return None


def _companion(path: Path, strings: dict[str, str]) -> dict[str, Any] | None:
    """The ``_c.txt`` header as a dict (labelled lines, time window, comments), checked
    against the .isw's own strings; None when there is none."""
    companion_path = _companion_path(path)
    if companion_path is None:
        return None
    try:
        text = decode(companion_path.read_bytes(), companion_path)
    except (OSError, ParseError) as error:
        warn(
            f"{companion_path}: the header beside {path.name} cannot be read ({error}); "
            "the .isw's own header strings are used",
            EchemWarning,
        )
        return None
    lines = [line.strip() for line in split_lines(text)]
    parsed: dict[str, Any] = {"file": companion_path.name, "text": text}
    comments: list[str] = []
    for line in lines[1:]:
        label, colon, value = line.partition(":")
        key = COMPANION_LABELS.get(label.strip().lower())
        if colon and key is not None and key not in parsed:
            parsed[key] = value.strip()
        elif _WINDOW.match(line) and "time_window" not in parsed:
            parsed["time_window"] = line
        elif line:
            comments.append(line)
    parsed["comments"] = comments
    if not lines or lines[0].lower() != _COMPANION_FIRST:
        warn(
            f"{companion_path}: does not start with 'ZAHNER polarization file'; read as "
            f"the header of {path.name} all the same",
            EchemWarning,
        )
    _check_companion(path, parsed, strings)
    return parsed


def _check_companion(path: Path, companion: dict[str, Any], strings: dict[str, str]) -> None:
    own_comments = [strings[k] for k in ISW_STRINGS if k.startswith("comment") and strings.get(k)]
    pairs = [
        (key, companion.get(key), strings.get(key))
        for key in (*COMPANION_LABELS.values(), "time_window")
    ]
    pairs.append(("comments", companion["comments"], own_comments if strings else None))
    differ = [
        f"{key} {theirs!r} vs {ours!r}"
        for key, theirs, ours in pairs
        if theirs is not None and ours is not None and theirs != ours
    ]
    if differ:
        warn(
            f"{path}: its header beside it ({companion['file']}) disagrees with the .isw "
            f"on {'; '.join(differ)} (the .isw's own strings are used)",
            EchemWarning,
        )


def _isw_start(strings: dict[str, Any]) -> str | None:
    """Start time from ``MON,DD.YYYY`` and the window's first time."""
    match = _ISW_DATE.match(str(strings.get("date", "")))
    if match is None or match.group(1).upper() not in _MONTHS:
        return None
    month = _MONTHS.index(match.group(1).upper()) + 1
    clock = _window_start(strings.get("time_window"))
    return _iso_unless_unset(_moment(int(match.group(2)), month, int(match.group(3)), clock))


def _isw_technique(current: np.ndarray, voltage: np.ndarray) -> str:
    """Which quantity was held: the one exactly constant while the other is not."""
    if current.size < 2:
        return "unknown"
    current_fixed = bool(np.all(current == current[0]))
    voltage_fixed = bool(np.all(voltage == voltage[0]))
    if current_fixed and not voltage_fixed:
        return "ocv" if current[0] == 0 else "galvanostatic"
    if voltage_fixed and not current_fixed:
        return "potentiostatic"
    return "unknown"


FORMATS: tuple[Format, ...] = (
    Format(
        name="zahner-ism",
        description="Zahner Thales impedance spectrum (.ism, binary)",
        extensions=(".ism",),
        sniff=sniff_ism,
        reader=read_ism,
    ),
    Format(
        name="zahner-isw",
        description="Zahner Thales time series (.isw, binary; its _c.txt header beside it)",
        extensions=(".isw",),
        sniff=sniff_isw,
        reader=read_isw,
    ),
)
