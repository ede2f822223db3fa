"""BioLogic EC-Lab and BT-Lab .mpt (text export) reader.

Layout: ``EC-Lab ASCII FILE`` (``BT-Lab ASCII FILE`` from BT-Lab), ``Nb header lines :
N``, header lines, the tab-separated column line (line N), then the numeric block. Some
exports (EIS especially) have no header block and start with the column line. The
encoding is latin-1 (``µ``, ``²`` as single bytes), or UTF-8 in newer BT-Lab exports
(MANIFEST.md of the real data; where a re-save lost a degree sign the file holds
U+FFFD, kept as read): a header and column line that decode as UTF-8 and hold a
non-ASCII character are UTF-8, anything else latin-1 (a latin-1 ``µ`` or ``°`` alone is
never valid UTF-8). The decimal separator follows the Windows locale
(``mb.issue_95.de.mpt`` uses commas), detected on the first data line.

The column line must look like one: tab-separated, with at least one column name
EC-Lab writes (``time/s``, ``Ewe/V``, ``freq/Hz``...), not numbers. A ``Nb header
lines`` off by a few lines, or a file that is no EC-Lab/BT-Lab export forced with
``format="biologic-mpt"``, is a :class:`echem.ParseError` naming the line (and, for
the header count, the line the column names are on), not a frame whose column names
are data values. A file that ends inside its column line (no line end, and the last
name not followed by EC-Lab's trailing tab) is refused too. One cut just after a tab
cannot be told from a header-only export, which EC-Lab ends so (``wait.mpt``): such a
file reads as no rows, with a :class:`echem.TruncatedDataWarning` saying that its
columns may not be all.

EC-Lab often ends an export without a final line break, so the last data line may be
whole without one, or cut anywhere (a copy interrupted, a run still being written). It
is read when it shows itself whole, else left out with a
:class:`echem.TruncatedDataWarning` naming its line and saying why
(:func:`_start_of_cut_last_line`). EC-Lab writes every column of a file in one format
(``%.7E`` or ``%.15E`` with a three-digit exponent, or integers; checked on every real
.mpt), so a number cut short is written otherwise: the last line must have the field
count of the line before it and its last value the digits of that column in the rows
before (the rule of every echem text reader, :func:`echem.io._text.cut_reason`; rows
that write it with varying digits show nothing, and the line is left out). The only
data line must have a whole row's fields and a last value that is a real number
with EC-Lab's three-digit exponent (which a cut shortens first) or is followed by a tab.

The data block is numbers only: a value that is not a number (a garbage line ``abc``)
or a line with fewer values than the rows around it (a line cut or damaged inside the
data) is a :class:`echem.ParseError` naming its line, never a text column or a row of
NaN.

The header is parsed here line by line; the numeric block goes to
``pandas.read_csv(engine="c")``, on several threads when it is large
(:mod:`echem.io._threaded_csv`), so reading costs about what pandas costs.

An impedance technique (header) without a ``freq/Hz`` column is refused with a
:class:`echem.ParseError` naming the column: EC-Lab always writes it, so its absence
means a damaged or hand-edited export, and the rows cannot be trusted to line up
with the column names (``exampleDataBioLogic_MissingFreq.mpt`` has 18 values per row
under 17 names).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from echem.errors import ParseError, TruncatedDataWarning
from echem.io._biologic_columns import (
    CANONICAL_ALIASES,
    IMPEDANCE_FREQUENCY_COLUMN,
    TECHNIQUE_KINDS,
    technique_kind,
)
from echem.io._byte_range import ByteRange
from echem.io._caller import warn
from echem.io._files import require_regular_file
from echem.io._schema import build_frame
from echem.io._text import SAMPLE_ROWS, cut_reason, warn_cut
from echem.io._threaded_csv import first_row_width, read_numeric_block

__all__ = ["MAGIC", "MAGICS", "sniff_mpt", "read_mpt", "parse_header", "MptHeader"]

#: First line of every EC-Lab text export with a header block.
MAGIC = b"EC-Lab ASCII FILE"
#: First lines of the exports with a header block: EC-Lab's, and BT-Lab's (BioLogic's
#: battery-cycler software; the same layout).
MAGICS: tuple[bytes, ...] = (MAGIC, b"BT-Lab ASCII FILE")
#: UTF-8 byte order mark an editor may put before the first line: not part of it.
_UTF8_BOM = b"\xef\xbb\xbf"
#: Byte-order marks of UTF-16 text, which no EC-Lab/BT-Lab export is.
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

#: Original columns that canonical columns are made from.
_CANONICAL_SOURCES = frozenset(
    original for aliases in CANONICAL_ALIASES.values() for original, _ in aliases
)
#: Column names that identify a header-less BioLogic export (tab-separated first line).
_SIGNATURE_COLUMNS = frozenset(
    {
        "freq/Hz",
        "Re(Z)/Ohm",
        "-Im(Z)/Ohm",
        "|Z|/Ohm",
        "Phase(Z)/deg",
        "time/s",
        "Ewe/V",
        "<Ewe>/V",
        "<Ewe/V>",
        "I/mA",
        "<I>/mA",
        "control/V/mA",
        "ox/red",
        "cycle number",
        "(Q-Qo)/mA.h",
    }
)

#: EC-Lab column names without a unit (most are ``quantity/unit``: ``time/s``, ``Ewe/V``,
#: ``Im(Conductivity)/mS/cm``).
_NAMES_WITHOUT_UNIT = frozenset(
    {"mode", "error", "Ns", "cycle number", "half cycle", "z cycle", "x", "I Range"}
    | {"counter inc.", "control changes", "Ns changes", "Tan(Delta)", "Re(M)", "Im(M)", "|M|"}
)
#: Characters no EC-Lab column name holds, and header lines (``key : value``, the
#: parameter table's ``tR (h:m:s)``) or other formats' first lines (CSV) do.
_NOT_IN_NAMES = re.compile(r"[:,;]")
#: Longest header or column line read (bytes): EC-Lab's are below 2 kB (81 columns).
_MAX_HEADER_LINE = 1 << 20
#: Lines looked at beyond a wrong column line for the real one (for the error message).
_COLUMN_LINE_SEARCH = 20
#: A field that is a number (decimal point or comma), for telling data from names.
_NUMBER = re.compile(r"[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?")

_NB_HEADER = re.compile(r"^Nb header lines\s*:\s*(\d+)\s*$")
_VERSION = re.compile(r"\b(EC|BT)-Lab for windows v(\S+)", re.IGNORECASE)
_QUANTITY = re.compile(r"^\s*([-+]?\d+(?:[.,]\d*)?(?:[eE][-+]?\d+)?)\s*(\S*)")
_START_KEY = "Acquisition started on"
#: Where the dates of an absolute-time export are kept (``time/s`` becomes seconds).
_ABSOLUTE_TIMES = "time/s (absolute)"
_DATE_FORMATS = ("%m/%d/%Y %H:%M:%S.%f", "%m/%d/%Y %H:%M:%S", "%m/%d/%y %H:%M:%S.%f")
_AREA_UNITS: Mapping[str, float] = {"cm²": 1.0, "mm²": 1e-2, "m²": 1e4, "µm²": 1e-8}
_MASS_UNITS: Mapping[str, float] = {"g": 1.0, "mg": 1e-3, "µg": 1e-6, "kg": 1e3}
#: Width of the columns of EC-Lab's technique-parameter table.
_PARAMETER_WIDTH = 20
#: Bytes at the end of a file looked at for a last line cut short.
_TAIL_BYTES = 65536
#: A real number as EC-Lab writes every one (``%.7E`` or ``%.15E`` with a three-digit
#: exponent: ``-6.4485784E-002``, ``4.320298865059699E+004``). A cut shortens the
#: exponent first, so a value of this shape is whole.
_EC_LAB_REAL = re.compile(r"[-+]?\d[.,]\d+E[-+]\d{3}")


#: pandas < 3's default C float parser can be one unit in the last place off (about 10 % of
#: EC-Lab's 7-digit values); its exact "round_trip" parser is ~3x slower there. pandas >= 3
#: parses exactly by default (and deprecates the option).
_FLOAT_PRECISION: str | None = "round_trip" if int(pd.__version__.split(".", 1)[0]) < 3 else None


def sniff_mpt(head: bytes) -> bool:
    """True for an EC-Lab text export: the magic line, or a first line of BioLogic columns."""
    try:
        head = head.removeprefix(_UTF8_BOM)
        if head.startswith(MAGICS):
            return True
        first = head.split(b"\n", 1)[0].decode("latin-1").rstrip("\r")
        names = set(first.split("\t"))
        return "\t" in first and len(names & _SIGNATURE_COLUMNS) >= 2
    except Exception:  # a sniffer never raises
        return False


class MptHeader:
    """What the lines before the numeric block say.

    Attributes
    ----------
    columns
        Column names of the numeric block (trailing empty names dropped).
    columns_line
        1-based line number of the column line.
    columns_ended
        Whether a line break follows the column line (False: the file ends in it).
    row_widths
        The field counts a whole data row may have: one per column name, or, where
        EC-Lab left a name blank (``peis.issue_225.with_ece.mpt``: ``Rwe-ce/Ohm``, a
        blank name, ``Ewe-Ece/V``; 61 values under 63 names on every row), one per name
        before the blank one.
    data_offset
        Byte offset of the first data line.
    techniques
        EC-Lab technique names in the header, in order.
    metadata
        ``key : value`` lines (indented lines as ``parent/key``), ``parameters`` (the
        fixed-width technique table, name -> value or list of values, one per linked
        sequence, blank cells kept as ""), ``notes`` (other lines), and the derived
        ``software`` ("EC-Lab 11.50", "BT-Lab 1.79"), ``ec_lab_version``,
        ``electrode_area_cm2``, ``characteristic_mass_g`` when present.
    start_time
        ISO 8601 ``Acquisition started on``, or None.
    """

    def __init__(self) -> None:
        self.columns: list[str] = []
        self.columns_line = 1
        self.columns_ended = True
        self.row_widths: tuple[int, ...] = ()
        self.data_offset = 0
        self.techniques: list[str] = []
        self.metadata: dict[str, Any] = {}
        self.start_time: str | None = None


def parse_header(handle: IO[bytes], path: Path) -> MptHeader:
    """Parse the header block and the column line of an open .mpt file.

    Parameters
    ----------
    handle
        Binary file object at offset 0; left at the first data line.
    path
        For error messages.

    Raises
    ------
    echem.ParseError
        Bad ``Nb header lines``, file ending inside the header, empty column line,
        bare-CR line ends.
    """
    header = MptHeader()
    first = _header_line(handle, path, 1)
    if not first:
        raise ParseError("the file is empty", path, line=1)
    if first.startswith(_UTF16_BOMS):
        raise ParseError(
            "UTF-16 text (a byte-order mark): EC-Lab and BT-Lab write latin-1 or UTF-8 "
            "(an export re-saved as 'Unicode'? save it as ANSI or UTF-8)",
            path,
            line=1,
        )
    _refuse_bare_cr(first, path, 1)
    first = first.removeprefix(_UTF8_BOM)
    raw_lines: list[bytes] = []
    has_magic = first.startswith(MAGICS)
    if has_magic:
        second = _header_line(handle, path, 2).decode("latin-1").strip()
        match = _NB_HEADER.match(second)
        if match is None:
            raise ParseError(f"expected 'Nb header lines : N', found {second[:60]!r}", path, line=2)
        n_header = int(match.group(1))
        if n_header < 3:
            raise ParseError(f"'Nb header lines' is {n_header}, at least 3 expected", path, line=2)
        for number in range(3, n_header):
            raw = _header_line(handle, path, number)
            if not raw:
                raise ParseError(
                    f"the file ends inside the header ({n_header} lines announced)",
                    path,
                    line=number,
                )
            raw_lines.append(raw)
        column_bytes = _header_line(handle, path, n_header)
        header.columns_line = n_header
        if not column_bytes:
            raise ParseError("the file ends before the column line", path, line=n_header)
    else:
        column_bytes = first
    _refuse_bare_cr(column_bytes, path, header.columns_line)
    header.data_offset = handle.tell()
    encoding = _text_encoding([*raw_lines, column_bytes])
    lines = [raw.decode(encoding).rstrip("\r\n") for raw in raw_lines]
    _check_column_line(header, column_bytes, has_magic, lines, handle, path, encoding)
    header.columns_ended = column_bytes.endswith((b"\n", b"\r"))
    header.columns = _column_names(column_bytes.decode(encoding), path, header.columns_line)
    header.row_widths = _row_widths(column_bytes.decode(encoding))
    _read_header_lines(lines, header)
    header.metadata["encoding"] = encoding
    return header


def _header_line(handle: IO[bytes], path: Path, number: int) -> bytes:
    """Line ``number`` of the header (or the column line), with its line end: a
    :class:`echem.ParseError` if it is longer than :data:`_MAX_HEADER_LINE` (no EC-Lab
    header line is; a large file without line breaks would be read whole)."""
    raw = handle.readline(_MAX_HEADER_LINE + 1)
    if len(raw) > _MAX_HEADER_LINE:
        raise ParseError(
            f"a header line longer than {_MAX_HEADER_LINE} bytes: not an EC-Lab/BT-Lab text export",
            path,
            line=number,
        )
    return raw


def _text_encoding(raw_lines: list[bytes]) -> str:
    """ "utf-8" when the bytes decode as UTF-8 and hold a non-ASCII character (newer
    BT-Lab exports), else "latin-1" (EC-Lab's; also for plain ASCII)."""
    text = b"".join(raw_lines)
    if text.isascii():
        return "latin-1"
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _is_column_line(text: str) -> bool:
    """Whether a line (without its line end) is a line of EC-Lab column names: tab-
    separated (EC-Lab ends it with a tab), not all numbers, no name holding ``:``, ``,``
    or ``;``, and one shaped as EC-Lab names its columns (``quantity/unit``, or a name
    EC-Lab writes without a unit)."""
    if "\t" not in text:
        return False
    stripped = [name.strip() for name in text.split("\t") if name.strip()]
    if not stripped or all(_NUMBER.fullmatch(name) for name in stripped):
        return False
    if any(_NOT_IN_NAMES.search(name) for name in stripped):
        return False
    return any("/" in name or name in _NAMES_WITHOUT_UNIT for name in stripped)


def _check_column_line(
    header: MptHeader,
    raw: bytes,
    has_magic: bool,
    lines: list[str],
    handle: IO[bytes],
    path: Path,
    encoding: str,
) -> None:
    """Refuse a column line that is none (see the module docstring), or one the file
    ends inside of; the handle is left where it was when the line passes."""
    number = header.columns_line
    text = raw.decode(encoding).rstrip("\r\n")
    if (
        not has_magic
        and not raw.endswith((b"\n", b"\t"))
        and any(m.startswith(raw.strip()) for m in MAGICS)
    ):
        raise ParseError(
            f"the file ends inside its first line {text!r} (a cut EC-Lab/BT-Lab export)",
            path,
            line=1,
        )
    cut = not raw.endswith((b"\n", b"\r", b"\t"))
    if cut and has_magic:
        raise ParseError(
            "the file ends inside the column line (cut short: no line end, and no tab "
            "after the last name)",
            path,
            line=number,
        )
    if not _is_column_line(text):
        shown = text.strip()[:60]
        if not has_magic:
            raise ParseError(
                "not an EC-Lab/BT-Lab text export: line 1 is neither 'EC-Lab ASCII FILE' "
                f"nor 'BT-Lab ASCII FILE' nor a tab-separated line of EC-Lab column names "
                f"({shown!r})",
                path,
                line=1,
            )
        found = _real_column_line(lines, handle, number, encoding)
        hint = f"; the column names are on line {found}" if found is not None else ""
        raise ParseError(
            f"'Nb header lines : {number}' makes line {number} the column line, but it "
            f"holds no EC-Lab column names ({shown!r}){hint}",
            path,
            line=number,
        )
    numbers = [name.strip() for name in text.split("\t") if _NUMBER.fullmatch(name.strip())]
    if numbers:
        shown = ", ".join(repr(value) for value in numbers[:3])
        raise ParseError(
            f"the column line holds {len(numbers)} number(s) among its names ({shown}...): "
            "data joined to it (a line break lost?); EC-Lab names no column by a number",
            path,
            line=number,
        )
    if cut:
        raise ParseError(
            "the file ends inside the column line (cut short: no line end, and no tab "
            "after the last name)",
            path,
            line=number,
        )


def _real_column_line(
    lines: list[str], handle: IO[bytes], number: int, encoding: str
) -> int | None:
    """Line number of the column line near a wrong one (line ``number``): among the
    header lines before it (``lines`` are lines 3 to ``number - 1``), else among the
    next lines of ``handle``; None when none is found."""
    for index in range(len(lines) - 1, -1, -1):
        if _is_column_line(lines[index]):
            return index + 3
    for offset in range(1, _COLUMN_LINE_SEARCH + 1):
        raw = handle.readline(_MAX_HEADER_LINE)
        if not raw:
            break
        if _is_column_line(raw.decode(encoding, errors="replace").rstrip("\r\n")):
            return number + offset
    return None


def _refuse_bare_cr(line: bytes, path: Path, number: int) -> None:
    """Raise :class:`echem.ParseError` if ``line`` (line ``number``, read up to a LF)
    holds a CR before its end: it is several lines with bare-CR ends, read as one."""
    if b"\r" in line.rstrip(b"\r\n"):
        raise ParseError(
            "lines end in a bare CR (classic Mac OS line ends); EC-Lab writes CRLF: "
            "convert the line ends to LF or CRLF",
            path,
            line=number,
        )


def _column_names(text: str, path: Path, line: int) -> list[str]:
    names = text.rstrip("\r\n").split("\t")
    while names and not names[-1].strip():
        names.pop()
    if not names:
        raise ParseError("the column line is empty", path, line=line)
    unique: list[str] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        name = name.strip() or f"column {index + 1}"
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    return unique


def _row_widths(text: str) -> tuple[int, ...]:
    """The field counts of a whole data row under the column line ``text`` (see
    :attr:`MptHeader.row_widths`)."""
    names = text.rstrip("\r\n").split("\t")
    while names and not names[-1].strip():
        names.pop()
    blank = next((i for i, name in enumerate(names) if not name.strip()), None)
    return (len(names),) if blank is None else (blank, len(names))


def _read_header_lines(lines: list[str], header: MptHeader) -> None:
    metadata = header.metadata
    parameters: dict[str, Any] = {}
    notes: list[str] = []
    parent = ""
    in_table = False
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped in TECHNIQUE_KINDS:
            header.techniques.append(stripped)
            continue
        if " : " in line or stripped.endswith(" :"):
            separator = " : " if " : " in stripped else " :"
            key, _, value = stripped.partition(separator)
            key, value = key.strip(), value.strip()
            if line.startswith(("\t", " ")) and parent:
                key = f"{parent}/{key}"
            elif not value:
                parent = key
            else:
                parent = ""
            _add(metadata, key, value)
            continue
        if _is_parameter_line(line, in_table):
            in_table = True
            values = [
                line[i : i + _PARAMETER_WIDTH].strip()
                for i in range(_PARAMETER_WIDTH, len(line), _PARAMETER_WIDTH)
            ]
            while values and not values[-1]:
                values.pop()
            parameters[line[:_PARAMETER_WIDTH].strip()] = values[0] if len(values) == 1 else values
            continue
        notes.append(stripped)
    first = next((line.strip() for line in lines if line.strip()), "")
    if not header.techniques and first and first in notes:
        # EC-Lab writes the technique name first; one echem does not know is kept
        # (its kind is "unknown", or "eis" when the file has a freq/Hz column)
        notes.remove(first)
        header.techniques.append(first)
    if parameters:
        metadata["parameters"] = parameters
    if notes:
        metadata["notes"] = notes
    if header.techniques:
        metadata["technique"] = (
            header.techniques[0] if len(header.techniques) == 1 else list(header.techniques)
        )
    for note in notes:
        version = _VERSION.search(note)
        if version:
            metadata["software"] = f"{version.group(1).upper()}-Lab {version.group(2)}"
            if version.group(1).upper() == "EC":
                metadata["ec_lab_version"] = version.group(2)
            break
    _derive(metadata, "Electrode surface area", "electrode_area_cm2", _AREA_UNITS)
    _derive(metadata, "Characteristic mass", "characteristic_mass_g", _MASS_UNITS)
    started = metadata.get(_START_KEY)
    if isinstance(started, str):
        header.start_time = _iso_time(started)


def _is_parameter_line(line: str, in_table: bool) -> bool:
    """A row of EC-Lab's fixed-width parameter table (name padded to 20 characters).

    The first row must show the padding (two spaces before column 20); once the table
    has started, one space is enough (19-character names).
    """
    if line.startswith((" ", "\t")) or not line[:_PARAMETER_WIDTH].strip():
        return False
    padding = "  " if not in_table else " "
    return len(line) >= _PARAMETER_WIDTH and line[:_PARAMETER_WIDTH].endswith(padding)


def _add(metadata: dict[str, Any], key: str, value: str) -> None:
    if key not in metadata:
        metadata[key] = value
    elif isinstance(metadata[key], list):
        metadata[key].append(value)
    else:
        metadata[key] = [metadata[key], value]


def _derive(metadata: dict[str, Any], key: str, new_key: str, units: Mapping[str, float]) -> None:
    """``new_key`` = the quantity of ``metadata[key]`` converted with ``units``."""
    text = metadata.get(key)
    if not isinstance(text, str):
        return
    match = _QUANTITY.match(text)
    if match is None or match.group(2) not in units:
        return
    metadata[new_key] = float(match.group(1).replace(",", ".")) * units[match.group(2)]


def _iso_time(text: str) -> str | None:
    for date_format in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), date_format).isoformat(timespec="milliseconds")
        except ValueError:
            continue
    return None


def _technique(header: MptHeader) -> str:
    kind = technique_kind(header.techniques)
    if kind != "unknown":
        return kind
    if IMPEDANCE_FREQUENCY_COLUMN in header.columns:
        return "eis"
    return "unknown"


def read_mpt(path: Path) -> pd.DataFrame:
    """Read a BioLogic .mpt text export into the canonical frame.

    Parameters
    ----------
    path
        The .mpt file.

    Returns
    -------
    pandas.DataFrame
        Canonical columns (``time_s`` [s], ``voltage_V`` [V] from ``Ewe/V``,
        ``<Ewe>/V`` or ``<Ewe/V>``, ``current_A`` [A] from ``I/mA`` or ``<I>/mA`` (the
        set point ``control/mA`` as a last resort), ``charge_C`` [C] from ``(Q-Qo)``,
        ``cycle``, ``step``, ``freq_Hz``, ``z_real_ohm``, ``z_imag_ohm`` =
        -``-Im(Z)/Ohm``), then every column under its EC-Lab name. ``attrs``:
        ``format`` "biologic-mpt", ``technique`` (from the header's technique name;
        ``eis`` or ``unknown`` for header-less exports), ``start_time``
        (``Acquisition started on``), ``metadata`` (see :class:`MptHeader`).

    Raises
    ------
    echem.ParseError
        Malformed header or data (file and line named); an impedance technique
        without ``freq/Hz``.
    """
    path = Path(path)
    require_regular_file(path)  # before opening: a FIFO would block, /dev/zero never end
    with open(path, "rb") as handle:
        header = parse_header(handle, path)
        technique = _technique(header)
        if technique == "eis" and IMPEDANCE_FREQUENCY_COLUMN not in header.columns:
            raise ParseError(
                f"the header names an impedance technique but the column line has no "
                f"{IMPEDANCE_FREQUENCY_COLUMN!r} column",
                path,
                line=header.columns_line,
            )
        if not header.columns_ended:
            _warn_unverifiable_column_line(path, header)
        cut = _start_of_cut_last_line(handle, header.data_offset, header)
        # the size the check saw (it leaves the handle there): a size taken before it
        # could end inside a row the instrument completed in between
        end = handle.tell()
        if cut is not None:
            end, reason = cut
            line = header.columns_line + 1 + _line_ends(handle, header.data_offset, end)
            warn_cut(path, line, reason)
        skipped, first_data = _first_data_line(handle, header.data_offset, end)
        _refuse_bare_cr(first_data, path, header.columns_line + 1 + skipped)
        width = first_row_width(handle, header.data_offset, end, b"\t")
        table = _numeric_block(
            first_data,
            header,
            path,
            end=end,
            line=header.columns_line + 1 + skipped,
            width=width,
        )
    _absolute_times_to_seconds(table, header)
    _check_numeric(table, header, path, end)
    as_read = table.drop(columns=_ABSOLUTE_TIMES) if _ABSOLUTE_TIMES in table else table
    _check_rows_whole(as_read, header, path, end, first_data)
    return build_frame(
        table,
        CANONICAL_ALIASES,
        format="biologic-mpt",
        technique=technique,
        source=path.name,
        start_time=header.start_time,
        metadata=header.metadata,
    )


def _numeric_block(
    first_data: bytes, header: MptHeader, path: Path, *, end: int, line: int, width: int
) -> pd.DataFrame:
    """The data lines (bytes ``header.data_offset`` to ``end`` of ``path``: not a byte
    beyond, even if the file has grown since) as a frame, through ``pandas.read_csv``:
    on several threads for a large block (:mod:`echem.io._threaded_csv`), else in one
    call. ``first_data`` is the first data line that is not blank, line ``line``;
    ``width`` the field count of the first row ``read_csv`` reads.

    Fields beyond the named columns (rows ending in a tab) are read as unnamed columns,
    then dropped if empty: ``read_csv`` would drop them unread (``usecols``), a value
    there with them, or accept rows as wide as its first row only with a warning."""
    names = header.columns
    if not first_data.strip():
        return pd.DataFrame({name: np.empty(0) for name in names})
    fields = first_data.rstrip(b"\r\n").split(b"\t")
    extra = [f"\x00unnamed {i}" for i in range(max(len(fields), width) - len(names))]
    if any(f.strip() for f in fields[len(names) :]):
        raise ParseError(
            f"{len(fields)} values but the column line names {len(names)} columns",
            path,
            line=line,
        )
    options: dict[str, Any] = {
        "sep": "\t",
        "header": None,
        "names": names + extra,
        "index_col": False,
        "decimal": "," if b"," in first_data else ".",
        "quoting": csv.QUOTE_NONE,  # EC-Lab quotes nothing: '"1"' is no number
        "engine": "c",
        "float_precision": _FLOAT_PRECISION,
    }
    table = read_numeric_block(path, header.data_offset, end, options)
    if table is None:
        table = _read_serially(path, header, end, options)
    return _without_empty_extra_columns(table, extra, path, header, end)


def _read_serially(
    path: Path, header: MptHeader, end: int, options: dict[str, Any]
) -> pd.DataFrame:
    """The data lines in one ``read_csv`` call; its errors as :class:`echem.ParseError`."""
    first_line = header.columns_line + 1
    # The numeric block is ASCII: utf-8 lets the C parser skip the Python codec (~15 %
    # faster); latin-1 is the fallback for the odd non-ASCII byte (never a decode error).
    for encoding in ("utf-8", "latin-1"):
        try:
            with ByteRange(path, header.data_offset, end) as block:
                return pd.read_csv(block, encoding=encoding, **options)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, ValueError, OverflowError) as error:
            reason = " ".join(str(error).split())
            where = re.search(r"line (\d+)", reason)
            raise ParseError(
                f"malformed data: {reason}",
                path,
                line=first_line + int(where.group(1)) - 1 if where else first_line,
            ) from None
    raise ParseError("undecodable data block", path, line=first_line)  # pragma: no cover


def _without_empty_extra_columns(
    table: pd.DataFrame, extra: list[str], path: Path, header: MptHeader, end: int
) -> pd.DataFrame:
    """``table`` without the ``extra`` columns (fields beyond the named ones), which
    must be empty: else :class:`echem.ParseError` naming the first line with a value."""
    if not extra:
        return table
    filled = np.zeros(len(table), dtype=bool)
    for name in extra:
        filled |= _has_value(table[name])
    if filled.any():
        row = int(np.flatnonzero(filled)[0])
        raise ParseError(
            f"a value in field {len(header.columns) + 1} or beyond, but the column line "
            f"names {len(header.columns)} columns",
            path,
            line=_line_of_row(path, header.data_offset, end, row) + header.columns_line,
        )
    return table.drop(columns=extra)


def _has_value(column: pd.Series) -> np.ndarray:
    """Rows of ``column`` holding a value (not NaN, not only spaces), as booleans."""
    present = column.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(column):
        return present
    return present & column.astype(str).str.strip().ne("").to_numpy()


def _line_of_row(path: Path, start: int, end: int, row: int) -> int:
    """1-based line, counted from ``start``, of row ``row`` (0-based) that ``read_csv``
    reads from bytes ``[start, end)``: it skips empty lines and lines of spaces."""
    with open(path, "rb") as handle:
        handle.seek(start)
        number = 0
        while handle.tell() < end:
            line = handle.readline(end - handle.tell())
            number += 1
            if line.rstrip(b"\r\n").strip(b" "):
                row -= 1
                if row < 0:
                    break
    return number


def _first_data_line(handle: IO[bytes], start: int, end: int) -> tuple[int, bytes]:
    """The first line of bytes ``[start, end)`` with more than white space and tabs
    (b"" if there is none), after how many blank lines: it sets the decimal separator
    and the field count."""
    handle.seek(start)
    skipped = 0
    while handle.tell() < end:
        line = handle.readline(end - handle.tell())
        if line.strip():
            return skipped, line
        skipped += 1
    return skipped, b""


def _line_ends(handle: IO[bytes], start: int, end: int) -> int:
    """Line ends (LF) in bytes ``[start, end)``, counted a megabyte at a time."""
    handle.seek(start)
    feeds = 0
    left = end - start
    while left > 0:
        chunk = handle.read(min(left, 2**20))
        if not chunk:
            break
        left -= len(chunk)
        feeds += chunk.count(b"\n")
    return feeds


def _start_of_cut_last_line(
    handle: IO[bytes], data_offset: int, header: MptHeader
) -> tuple[int, str] | None:
    """Byte offset of the last data line, and why, if the file ends inside it or
    without showing it whole; else None.

    EC-Lab ends its exports without a final line break, so a missing one proves
    nothing; but it writes every column of a file in one format (``%.7E``, ``%.15E``
    with a three-digit exponent, or integers: checked on every real .mpt), so a value
    cut short is written otherwise. The last line, without a line break, is whole when
    (:func:`echem.io._text.cut_reason`, the rule of every text reader) it has the field
    count of the data line before it and its last value is written as that column is
    in the rows before (up to :data:`echem.io._text.SAMPLE_ROWS`, blank lines skipped).
    The only data line is judged by :func:`_only_row_cut_reason`. Leaves ``handle`` at
    the end of the bytes it looked at.
    """
    size = handle.seek(0, io.SEEK_END)
    start = max(data_offset, size - _TAIL_BYTES)
    handle.seek(start)
    tail = handle.read()
    if not tail or tail.endswith((b"\n", b"\r")):
        return None
    lines = tail.splitlines()
    if not lines[-1].strip():  # spaces or tabs after the last newline: no row is cut
        return None
    last_at = start + len(tail) - len(lines[-1])
    # a tail starting inside the data may start inside a line: that one is not compared
    earlier = lines[1 if start > data_offset else 0 : -1]
    before = [line for line in earlier if line.strip()][-SAMPLE_ROWS:]
    if not before and start > data_offset:  # a line longer than the tail looked at
        return None
    decimal_comma = any(b"," in line for line in (*before, lines[-1]))
    last = _row(lines[-1])
    if before:
        rows = [_row(line) for line in before]
        reason = cut_reason(last, rows, len(rows[-1][0]), decimal_comma=decimal_comma)
    else:
        reason = _only_row_cut_reason(last, header.row_widths)
    return None if reason is None else (last_at, reason)


def _row(line: bytes) -> tuple[list[str], str]:
    """A data line as :func:`echem.io._text.cut_reason` takes it: its fields (trailing
    empty ones dropped) and its text."""
    text = line.decode("latin-1")
    return text.rstrip("\t").split("\t"), text


def _only_row_cut_reason(row: tuple[list[str], str], widths: tuple[int, ...]) -> str | None:
    """Why the only data line of a file, without a line break, cannot be trusted, or
    None when it shows itself whole.

    No row before it shows how its columns are written, so it must show it alone: as
    many fields as a whole row (``widths``, :attr:`MptHeader.row_widths`), and a
    separator after its last value or a last value written as EC-Lab writes real
    numbers (:data:`_EC_LAB_REAL`: a cut shortens the three-digit exponent first).
    ``4.2044960E+001`` cut to ``4.20449`` or to ``4``, or a line cut just after a whole
    value (``1.0019531E+004\\t1.0407059E+005``: 2 of 37 fields) is not whole; neither
    is an integer last value (``14`` may be ``1`` cut short).
    """
    fields, text = row
    if len(fields) > max(widths):
        return None  # a value beyond the named columns: the table reports its line
    if len(fields) not in widths:
        return f"it has {len(fields)} of the {max(widths)} fields the column line names"
    value = fields[-1].strip()
    if text.endswith("\t") or _EC_LAB_REAL.fullmatch(value):
        return None
    return (
        f"its last value {value[:30]!r} cannot be shown whole: no row before it shows how "
        "that column is written, and it is not a real number with EC-Lab's three-digit "
        "exponent"
    )


def _warn_unverifiable_column_line(path: Path, header: MptHeader) -> None:
    """The :class:`~echem.errors.TruncatedDataWarning` of a file that ends in its column
    line: EC-Lab ends a header-only export (``wait.mpt``) after the column line's
    trailing tab, with no line break, just as a copy cut after any of its tabs ends."""
    warn(
        f"{path}, line {header.columns_line}: the file ends with its column line (no line "
        "break after it, no data): a column line cut just after a tab cannot be told from "
        f"a whole one, so the {len(header.columns)} columns read may not be all of them",
        TruncatedDataWarning,
    )


def _fields(line: bytes) -> list[bytes]:
    """The tab-separated fields of a data line, trailing empty ones dropped."""
    return line.rstrip(b"\t").split(b"\t")


def _absolute_times_to_seconds(table: pd.DataFrame, header: MptHeader) -> None:
    """EC-Lab can export ``time/s`` as dates (``07/19/2024 16:53:36.5000``, month first).

    Such a column becomes seconds from its first row (in place; the dates are kept as
    ``time/s (absolute)``), and its first row is the start time when the header gives
    none. Anything else is left for :func:`_check_numeric` to report.
    """
    column = table.get("time/s")
    if column is None or pd.api.types.is_numeric_dtype(column) or len(column) == 0:
        return
    moments = pd.to_datetime(column, format="%m/%d/%Y %H:%M:%S.%f", errors="coerce")
    if moments.isna().any():
        return
    position = table.columns.get_loc("time/s")
    table.insert(position + 1, _ABSOLUTE_TIMES, column)
    table["time/s"] = (moments - moments.iloc[0]).dt.total_seconds().to_numpy()
    header.metadata["absolute_times"] = True
    if header.start_time is None:
        header.start_time = moments.iloc[0].isoformat(timespec="milliseconds")


def _check_numeric(table: pd.DataFrame, header: MptHeader, path: Path, end: int) -> None:
    """Every column of the data block must be numeric (the dates of an absolute-time
    export, kept as ``time/s (absolute)``, aside): name the first line holding a value
    that is not a number (``end``: where the data read ends)."""
    for name in table.columns:
        column = table[name]
        if name == _ABSOLUTE_TIMES or pd.api.types.is_numeric_dtype(column):
            continue
        numbers = pd.to_numeric(column, errors="coerce")
        bad = np.flatnonzero(numbers.isna().to_numpy() & column.notna().to_numpy())
        if bad.size:
            row, what = int(bad[0]), "non-numeric value"
        else:  # numbers all, but read as text: integers beyond 64 bits
            row, what = int(np.argmax(numbers.abs().to_numpy())), "integer out of range"
        raise ParseError(
            f"{what} {str(column.iloc[row])[:40]!r} in column {name!r}",
            path,
            line=header.columns_line + _line_of_row(path, header.data_offset, end, row),
        )


def _check_rows_whole(
    table: pd.DataFrame, header: MptHeader, path: Path, end: int, first_data: bytes
) -> None:
    """A data line with fewer values than the others (a line damaged or cut inside the
    data; ``read_csv`` fills the missing values with NaN), or with an empty field where
    a canonical column comes from (``3.1\t\t1.0``: a NaN ``voltage_V`` that
    :func:`echem.eis.spectra` and the charge count would pass over), is a
    :class:`echem.ParseError` naming it; EC-Lab writes neither.

    The width is the wider of the first data line and the last row. The candidates are
    the rows with a NaN in the width's last column or in a canonical column's source;
    their lines' fields are looked at (a NaN written as such is a value; a line of tabs
    and spaces is a blank line, left as the row of NaN ``read_csv`` makes of it).
    ``table`` has the columns of the file (not the dates
    :func:`_absolute_times_to_seconds` adds)."""
    if not first_data.strip() or len(table) == 0:
        return
    # the wider of the first line and the last row: a short first line is caught too
    filled = np.flatnonzero(table.iloc[-1].notna().to_numpy())
    width = max(len(_fields(first_data.rstrip(b"\r\n"))), int(filled[-1]) + 1 if filled.size else 0)
    width = min(width, table.shape[1])
    sources = [i for i, name in enumerate(table.columns[:width]) if name in _CANONICAL_SOURCES]
    missing = table.iloc[:, width - 1].isna().to_numpy()
    for index in sources:
        missing = missing | table.iloc[:, index].isna().to_numpy()
    candidates = np.flatnonzero(missing)
    if candidates.size == 0:
        return
    for row, number, line in _lines_of_rows(path, header.data_offset, end, candidates):
        if not line.strip():  # tabs and spaces only: a blank line, read as a row of NaN
            continue
        fields = _fields(line.rstrip(b"\r\n"))
        if len(fields) < width:
            raise ParseError(
                f"{len(fields)} value(s) where the data lines have {width} (a line damaged "
                f"or cut inside the data, row {row + 1})",
                path,
                line=header.columns_line + number,
            )
        empty = next((i for i in sources if not fields[i].strip()), None)
        if empty is not None:
            raise ParseError(
                f"no value in column {table.columns[empty]!r} (an empty field, row "
                f"{row + 1}; EC-Lab writes a number in every field)",
                path,
                line=header.columns_line + number,
            )


def _lines_of_rows(
    path: Path, start: int, end: int, rows: np.ndarray
) -> list[tuple[int, int, bytes]]:
    """(row, 1-based line counted from ``start``, the line's bytes) of the sorted
    ``rows`` that ``read_csv`` reads from bytes ``[start, end)`` (it skips empty lines
    and lines of spaces), in one pass."""
    found: list[tuple[int, int, bytes]] = []
    wanted = iter(int(row) for row in rows)
    target = next(wanted, None)
    with open(path, "rb") as handle:
        handle.seek(start)
        number = row = 0
        while target is not None and handle.tell() < end:
            line = handle.readline(end - handle.tell())
            number += 1
            if not line.rstrip(b"\r\n").strip(b" "):
                continue
            if row == target:
                found.append((row, number, line))
                target = next(wanted, None)
            row += 1
    return found
