"""Read-only decoding of Microsoft Access databases (Jet 4 and ACE pages), table by table.

Arbin's ``.res`` result files are such databases. This module knows the database
format only; what the tables mean is :mod:`echem.io.arbin`'s business.

Layout (the format description of the mdbtools project, ``HACKING.md``, "Jet4" parts;
every structure below is checked when read, so that a damaged file is a
:class:`echem.ParseError` naming the byte, never a wrong number):

* The file is a sequence of 4096-byte pages; page 0 starts ``00 01 00 00`` then
  ``Standard Jet DB`` (Jet 4, Access 2000-2003 ``.mdb``) or ``Standard ACE DB``
  (ACE, Access 2007+ ``.accdb``); the byte at 0x14 is the version (0 Jet 3, whose
  2048-byte pages are not read here: a ParseError naming it; 1 Jet 4; 2-6 ACE 12-17).
  Bytes 0x18-0x97 are RC4-scrambled with a fixed key; unscrambled, the u32 at 0x3E is
  the key of an "encoded" database's pages (each RC4-scrambled: refused, by name).
* The first byte of a page is its type: 0x01 data, 0x02 table definition (TDEF).
* A TDEF page: ``next_pg`` (u32 at 0x04, a continuation page whose bytes after its
  8-byte header follow on), row count (u32 at 0x10), ``max_cols`` (u16 at 0x29),
  ``num_var_cols`` (0x2B), ``num_cols`` (0x2D), ``num_real_idx`` (u32 at 0x33); from
  0x3F, 12 bytes per real index, then 25 bytes per column (type at +0, column number
  at +5, variable-column index at +7, precision and scale of a Decimal at +11 and +12,
  flags at +15 (0x01: fixed length), fixed offset at +21, length at +23), then the
  column names (u16 byte count, UTF-16-LE).
* The catalog is the table ``MSysObjects`` whose TDEF is page 2: a row of ``Type`` 1 is
  a table, ``Id & 0xFFFFFF`` its TDEF page; ``Flags & 0x80000002`` marks system tables.
* A table's data pages are those its usage map lists (TDEF u32 at 0x37: page << 8 |
  row of the row holding it): type 0, u32 first page then a bit per page; type 1, u32
  numbers of map pages (type 0x05), each a bit per page after its 4-byte header. A page
  that names the table as owner but is not in its map is free (not the table's).
* A data page: owner TDEF page (u32 at 0x04), row count (u16 at 0x0C), then one u16
  offset per row (0x8000: deleted; 0x4000: the row holds a 4-byte pointer, row number in
  the low byte and page above it, to where the row now lives; low 13 bits: the row's
  start). Rows fill the page from its end: row ``i`` ends where row ``i - 1`` starts.
  Jackcess deletes a row by setting 0xC000, and flags a moved row's new place 0x8000
  (read through its pointer only). (mdbtools 1.0's code takes 0x4000 for "deleted": its
  mdb-export skips both of those but prints a row flagged 0x8000 alone; issue 378.)
* A row: u16 column count, the fixed-length columns (at ``2 + fixed offset``), the
  variable-length ones; then, read from the row's end backwards: the null mask
  (``(count + 7) // 8`` bytes, bit ``n`` for column number ``n``, 1 = not null; a
  Yes/No column's value *is* its bit), u16 number of variable columns ``v``, ``v`` u16
  offsets (variable column 0 nearest), and u16 ``eod`` (end of the variable data).
  A table without variable columns has neither offsets, ``v`` nor ``eod``.
* Text: UTF-16-LE, or "compressed" when it starts ``FF FE``: then one byte per
  character, a zero byte switching to two-byte characters and back. Memo and OLE values
  are a 12-byte header (length with two flag bits: 0x80 the value follows inline, 0x40
  it is one row of a long-value (``LVAL``) page, neither a chain of such rows each
  starting with the pointer to the next) and the value.

Every row read is checked: its span lies inside its page after the offset table, its
length is exactly what its column count, fixed columns and null mask (and, with
variable columns, its offset table) make. A flipped byte in the structure therefore
raises :class:`echem.ParseError`; bytes inside a stored number cannot be checked (the
format has no checksums) and read as they are. A table whose rows do not number what
its definition declares is read with an :class:`echem.EchemWarning` (a file not closed
properly, or copied while being written, has a stale count: mdbtools issue 120).

A file cut short (copied while a test was being written) is read as far as it goes: a
partial last page is left out, and the rows on the pages a table's usage map lists past
the end are missing, each with an :class:`echem.TruncatedDataWarning`; a structure
pointing past the end raises :class:`PastEndError` (a ParseError), which a caller may
take as "this table is not in the file".
"""

from __future__ import annotations

import decimal
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from echem.errors import EchemWarning, ParseError, TruncatedDataWarning
from echem.io._caller import warn
from echem.io._files import require_regular_file

__all__ = [
    "PAGE_SIZE",
    "MAGICS",
    "ColumnDef",
    "TableDef",
    "AccessDatabase",
    "PastEndError",
    "is_access_database",
    "ole_dates",
]

PAGE_SIZE = 4096
#: Bytes 4.. of page 0, per engine.
MAGICS: Mapping[bytes, str] = {b"Standard Jet DB\x00": "Jet", b"Standard ACE DB\x00": "ACE"}
_SIGNATURE = b"\x00\x01\x00\x00"
#: Version byte (page 0, 0x14) -> engine and Access release.
_VERSIONS: Mapping[int, str] = {
    1: "Jet 4 (Access 2000-2003)",
    2: "ACE 12 (Access 2007)",
    3: "ACE 14 (Access 2010)",
    4: "ACE 15 (Access 2013)",
    5: "ACE 16 (Access 2016)",
    6: "ACE 17 (Access 2019)",
}
_VERSION_OFFSET = 0x14
#: Page 0 bytes [0x18, 0x98) are RC4-scrambled with a fixed key (mdbtools' file.c);
#: unscrambled, the u32 at 0x3E is the key of an encoded database's pages (0: plain).
_HEADER_SCRAMBLED = (0x18, 0x98)
_HEADER_KEY = bytes((0xC7, 0xDA, 0x39, 0x6B))
_ENCODING_KEY = 0x3E - 0x18

_DATA_PAGE = 0x01
_TDEF_PAGE = 0x02
_MAP_PAGE = 0x05
#: Pages one usage-map page (type 1 maps) covers: a bit each after its 4-byte header.
_PAGES_PER_MAP_PAGE = (PAGE_SIZE - 4) * 8
_CATALOG_PAGE = 2
_LVAL_OWNER = int.from_bytes(b"LVAL", "little")

# Data pages
_DATA_OWNER = 0x04
_DATA_ROW_COUNT = 0x0C
_DATA_OFFSETS = 0x0E
_MAX_ROWS_PER_PAGE = (PAGE_SIZE - _DATA_OFFSETS) // 2
_DELETED = 0x8000
_LOOKUP = 0x4000
_OFFSET_MASK = 0x1FFF

# TDEF pages
_TDEF_HEADER = 8
_TDEF_NEXT = 0x04
_TDEF_ROWS = 0x10
_TDEF_MAX_COLS = 0x29
_TDEF_VAR_COLS = 0x2B
_TDEF_COLS = 0x2D
_TDEF_REAL_INDEXES = 0x33
_TDEF_USAGE_MAP = 0x37
_TDEF_FIRST_INDEX = 0x3F
_REAL_INDEX_SIZE = 12
_COLUMN_SIZE = 25
_MAX_COLUMNS = 255  # Access allows 255 columns a table
_MAX_INDEXES = 64

_COLUMN_FIELDS = struct.Struct("<BIHHHHHBBIHH")  # type, ?, number, var index, ..., offset, length
_FIXED_FLAG = 0x01
_SYSTEM_FLAGS = 0x80000002
_TABLE_OBJECT = 1

# Column types (HACKING.md, "Column Types")
_BOOL, _BYTE, _INT, _LONG, _MONEY, _FLOAT, _DOUBLE, _DATETIME = range(1, 9)
_BINARY, _TEXT, _OLE, _MEMO = 0x09, 0x0A, 0x0B, 0x0C
_GUID, _NUMERIC, _COMPLEX = 0x0F, 0x10, 0x12

#: Fixed-length numeric types -> (stored dtype, Access name).
_NUMERIC_TYPES: Mapping[int, tuple[str, str]] = {
    _BYTE: ("u1", "Byte"),
    _INT: ("<i2", "Integer"),
    _LONG: ("<i4", "Long Integer"),
    _MONEY: ("<i8", "Currency"),
    _FLOAT: ("<f4", "Single"),
    _DOUBLE: ("<f8", "Double"),
    _DATETIME: ("<f8", "Date/Time"),
    _COMPLEX: ("<i4", "Complex"),
}
_TYPE_NAMES: Mapping[int, str] = {
    _BOOL: "Yes/No",
    _BINARY: "Binary",
    _TEXT: "Text",
    _OLE: "OLE Object",
    _MEMO: "Memo",
    _GUID: "Replication ID",
    _NUMERIC: "Decimal",
    **{code: name for code, (_, name) in _NUMERIC_TYPES.items()},
}
#: Currency is stored as an integer count of 1/10000 (divided, not multiplied by 1e-4,
#: which is inexact: 999999 * 1e-4 is 99.99990000000001).
_MONEY_UNITS = 10_000
#: A Decimal: a sign byte (0x80 negative), then the magnitude as four u32 little-endian
#: words, the most significant first, to be divided by 10**scale.
_DECIMAL_SIZE = 17
#: Enough digits for any 128-bit magnitude: no rounding.
_EXACT = decimal.Context(prec=40)

#: OLE Automation dates count days from this instant (local time, no zone).
_OLE_EPOCH = np.datetime64("1899-12-30T00:00:00", "ms")
_MS_PER_DAY = 86_400_000

# Memo/OLE headers
_MEMO_HEADER = 12
_MEMO_INLINE = 0x80000000
_MEMO_ONE_ROW = 0x40000000
_MEMO_LENGTH = 0x3FFFFFFF
_MAX_LVAL_ROWS = 1 << 20


def is_access_database(head: bytes) -> bool:
    """True when ``head`` (the file's first bytes) starts like a Jet 4/ACE database."""
    return head[:4] == _SIGNATURE and head[4:20] in MAGICS


def _rc4(key: bytes, data: bytes) -> bytes:
    """RC4 (Rivest's stream cipher; its own inverse)."""
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) & 0xFF
        state[i], state[j] = state[j], state[i]
    out = bytearray(len(data))
    i = j = 0
    for n, byte in enumerate(data):
        i = (i + 1) & 0xFF
        j = (j + state[i]) & 0xFF
        state[i], state[j] = state[j], state[i]
        out[n] = byte ^ state[(state[i] + state[j]) & 0xFF]
    return bytes(out)


def _encoding_key(head: bytes) -> int:
    """The page-encoding key of a Jet 4/ACE database (0: its pages are plain)."""
    start, stop = _HEADER_SCRAMBLED
    header = _rc4(_HEADER_KEY, head[start:stop])
    return int.from_bytes(header[_ENCODING_KEY : _ENCODING_KEY + 4], "little")


def ole_dates(days: np.ndarray) -> np.ndarray:
    """OLE Automation dates (days since 1899-12-30, the fraction the time of day) as
    ``datetime64[ms]``, rounded to the millisecond; NaN is NaT.

    Before the epoch the day count is negative but the time of day still counts forward
    (-1.25 is 1899-12-29 06:00), as Microsoft's ``VariantTimeToSystemTime`` reads it.
    """
    days = np.asarray(days, dtype=np.float64)
    whole = np.trunc(days)
    span = whole + np.abs(days - whole)
    finite = np.isfinite(span) & (np.abs(span) < 3e6)  # within datetime64[ms] comfortably
    milliseconds = np.where(finite, np.rint(span * _MS_PER_DAY), 0).astype(np.int64)
    result = _OLE_EPOCH + milliseconds.astype("timedelta64[ms]")
    result[~finite] = np.datetime64("NaT")
    return result


class PastEndError(ParseError):
    """A structure points at a page past the end of the file: the file was cut short
    (copied while being written) or the pointer is damaged."""


@dataclass(frozen=True)
class ColumnDef:
    """One column of a table definition.

    Attributes
    ----------
    name
        Column name.
    type_code
        Access column type (``HACKING.md``: 0x04 Long Integer, 0x07 Double, 0x0A Text...).
    number
        Column number: its bit in a row's null mask.
    var_index
        Position among the variable-length columns (variable columns only).
    fixed_offset
        Byte offset after the row's 2-byte column count (fixed columns only).
    length
        Stored length in bytes (fixed columns).
    fixed
        True for fixed-length columns.
    scale
        Decimal digits after the point of a Decimal column (byte 12 of the column's
        definition; byte 11 is its precision: Jackcess's ``JetFormat``, mdbtools'
        ``mdb_numeric_to_string``).
    """

    name: str
    type_code: int
    number: int
    var_index: int
    fixed_offset: int
    length: int
    fixed: bool
    scale: int = 0

    @property
    def type_name(self) -> str:
        """Access's name of the column type (``"Double"``, ``"Text"``...)."""
        return _TYPE_NAMES.get(self.type_code, f"type 0x{self.type_code:02X}")


@dataclass(frozen=True)
class TableDef:
    """A table definition (TDEF): name, page, declared rows and columns in column order."""

    name: str
    page: int
    declared_rows: int
    max_columns: int
    n_var: int
    columns: tuple[ColumnDef, ...]
    usage_map: int = 0  # pointer (page << 8 | row) to the row holding the usage map


@dataclass(frozen=True)
class _Rows:
    """Where the rows of one table are: absolute byte spans ``[start, stop)``, column counts."""

    start: np.ndarray  # int64 absolute offsets
    stop: np.ndarray
    n_columns: np.ndarray  # int64


class AccessDatabase:
    """A Jet 4/ACE database held in memory, read table by table.

    Parameters
    ----------
    data
        The whole file.
    path
        The file, for error messages.

    Raises
    ------
    echem.ParseError
        Not a Jet 4/ACE database, a Jet 3 one, a size that is not whole pages (a cut
        copy), or a damaged catalog.
    """

    def __init__(self, data: bytes, path: Path) -> None:
        self.path = path
        head = data[:PAGE_SIZE]
        if not is_access_database(head):
            raise ParseError("not a Microsoft Access (Jet/ACE) database", path, offset=0)
        version = head[_VERSION_OFFSET] if len(head) > _VERSION_OFFSET else None
        if version == 0:
            raise ParseError(
                "a Jet 3 (Access 97) database: echem reads Jet 4 and ACE ones only",
                path,
                offset=_VERSION_OFFSET,
            )
        if version not in _VERSIONS:
            raise ParseError(
                f"unknown Access database version byte {version!r}", path, offset=_VERSION_OFFSET
            )
        if len(data) < 3 * PAGE_SIZE:
            raise ParseError(
                f"the file is {len(data)} bytes, too short to hold the catalog (pages 0-2 "
                f"of {PAGE_SIZE} bytes): cut short or damaged",
                path,
                offset=len(data),
            )
        cut = len(data) % PAGE_SIZE
        if cut:
            warn(
                f"{path}: the file ends {cut} bytes into page {len(data) // PAGE_SIZE}, "
                f"not at a whole number of {PAGE_SIZE}-byte pages: cut short (copied while "
                "being written?); that page is left out",
                TruncatedDataWarning,
            )
            data = data[: len(data) - cut]
        if _encoding_key(head):
            raise ParseError(
                "an encoded Access database (its pages are RC4-scrambled: Access's 'Encode "
                "Database'): echem does not decode it; decode it in Access first",
                path,
                offset=_HEADER_SCRAMBLED[0] + _ENCODING_KEY,
            )
        self.version = _VERSIONS[version]
        self.engine = MAGICS[head[4:20]]
        self._data = data
        self._bytes = np.frombuffer(data, dtype=np.uint8)
        self.n_pages = len(data) // PAGE_SIZE
        pages = self._bytes.reshape(self.n_pages, PAGE_SIZE)
        self._page_types = pages[:, 0]
        self._owners = pages[:, _DATA_OWNER : _DATA_OWNER + 4].copy().view("<u4").ravel()
        self._words = np.frombuffer(data, dtype="<u2").reshape(self.n_pages, PAGE_SIZE // 2)
        self._definitions: dict[str, TableDef] = {}
        catalog = self.table_def_at(_CATALOG_PAGE, "MSysObjects")
        self._tables = self._read_catalog(catalog)

    @classmethod
    def open(cls, path: str | Path) -> AccessDatabase:
        """Read ``path`` whole and open it (a device, FIFO or folder is refused first:
        :func:`echem.io._files.require_regular_file`)."""
        path = Path(path)
        require_regular_file(path)
        return cls(path.read_bytes(), path)

    # -- catalog ---------------------------------------------------------------------

    def table_names(self) -> list[str]:
        """Names of the user tables (not the ``MSys`` system tables), in catalog order."""
        return list(self._tables)

    def table_def(self, name: str) -> TableDef:
        """The definition of the user table ``name`` (ParseError naming the tables if absent)."""
        if name not in self._tables:
            raise ParseError(
                f"no table {name!r} in the database (tables: {', '.join(self._tables)})",
                self.path,
            )
        if name not in self._definitions:
            self._definitions[name] = self.table_def_at(self._tables[name], name)
        return self._definitions[name]

    def _read_catalog(self, catalog: TableDef) -> dict[str, int]:
        columns = self.read_rows(catalog, ("Id", "Name", "Type", "Flags"))
        tables: dict[str, int] = {}
        for object_id, name, kind, flags in zip(
            columns["Id"], columns["Name"], columns["Type"], columns["Flags"], strict=True
        ):
            if kind != _TABLE_OBJECT or not isinstance(name, str) or _is_nan(object_id):
                continue
            if name.startswith("MSys") or (not _is_nan(flags) and int(flags) & _SYSTEM_FLAGS):
                continue
            tables[name] = int(object_id) & 0xFFFFFF
        return tables

    # -- table definitions -----------------------------------------------------------

    def _page_bytes(self, page: int) -> bytes:
        return self._data[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]

    def _check_page(self, page: int, kind: int, what: str, at: int | None = None) -> None:
        if page >= self.n_pages:
            raise PastEndError(
                f"{what}: page {page} is past the end of the file ({self.n_pages} pages): "
                "the file is cut short (copied while being written?) or damaged",
                self.path,
                offset=self.n_pages * PAGE_SIZE if at is None else at,
            )
        if page <= 0:
            raise ParseError(f"{what}: page {page}: damaged pointer", self.path, offset=at)
        if self._page_types[page] != kind:
            raise ParseError(
                f"{what}: page {page} is of type 0x{self._page_types[page]:02X}, not 0x{kind:02X}",
                self.path,
                offset=page * PAGE_SIZE,
            )

    def table_def_at(self, page: int, name: str) -> TableDef:
        """Parse the table definition starting on ``page`` (continuation pages followed)."""
        what = f"table {name}"
        self._check_page(page, _TDEF_PAGE, f"{what} definition")
        buffer = bytearray(self._page_bytes(page))
        seen = {page}
        following = struct.unpack_from("<I", buffer, _TDEF_NEXT)[0]
        while following:
            if following in seen:
                raise ParseError(
                    f"{what}: its definition pages loop back to page {following}",
                    self.path,
                    offset=page * PAGE_SIZE + _TDEF_NEXT,
                )
            self._check_page(following, _TDEF_PAGE, f"{what} definition (continued)")
            seen.add(following)
            more = self._page_bytes(following)
            buffer += more[_TDEF_HEADER:]
            following = struct.unpack_from("<I", more, _TDEF_NEXT)[0]
        return self._parse_tdef(bytes(buffer), page, name)

    def _parse_tdef(self, buffer: bytes, page: int, name: str) -> TableDef:
        at = page * PAGE_SIZE
        declared = struct.unpack_from("<I", buffer, _TDEF_ROWS)[0]
        max_columns, n_var, n_columns = struct.unpack_from("<HHH", buffer, _TDEF_MAX_COLS)
        real_indexes = struct.unpack_from("<I", buffer, _TDEF_REAL_INDEXES)[0]
        if not (0 < n_columns <= _MAX_COLUMNS and n_var <= n_columns <= max_columns):
            raise ParseError(
                f"table {name}: definition declares {n_columns} columns ({n_var} variable, "
                f"{max_columns} at most): damaged",
                self.path,
                offset=at + _TDEF_COLS,
            )
        if real_indexes > _MAX_INDEXES:
            raise ParseError(
                f"table {name}: definition declares {real_indexes} indexes: damaged",
                self.path,
                offset=at + _TDEF_REAL_INDEXES,
            )
        position = _TDEF_FIRST_INDEX + _REAL_INDEX_SIZE * real_indexes
        fields = []
        for _ in range(n_columns):
            _need(buffer, position, _COLUMN_SIZE, f"table {name}: column definitions", self, at)
            fields.append(_COLUMN_FIELDS.unpack_from(buffer, position))
            position += _COLUMN_SIZE
        names = []
        for _ in range(n_columns):
            _need(buffer, position, 2, f"table {name}: column names", self, at)
            size = struct.unpack_from("<H", buffer, position)[0]
            _need(buffer, position + 2, size, f"table {name}: column names", self, at)
            raw = buffer[position + 2 : position + 2 + size]
            if size % 2:
                raise ParseError(
                    f"table {name}: a column name of odd byte length {size}",
                    self.path,
                    offset=at + position if position < PAGE_SIZE else None,
                )
            names.append(raw.decode("utf-16-le", "surrogatepass"))
            position += 2 + size
        columns = []
        for column_name, (kind, _, number, var_index, _, misc, _, flags, *_, offset, length) in zip(
            names, fields, strict=True
        ):
            columns.append(
                ColumnDef(
                    name=column_name,
                    type_code=kind,
                    number=number,
                    var_index=var_index,
                    fixed_offset=offset,
                    length=length,
                    fixed=bool(flags & _FIXED_FLAG),
                    scale=misc >> 8,
                )
            )
        columns.sort(key=lambda column: column.number)
        numbers = [column.number for column in columns]
        if len(set(numbers)) != len(numbers) or numbers[-1] >= max_columns:
            raise ParseError(
                f"table {name}: column numbers {numbers} repeat or exceed {max_columns}",
                self.path,
                offset=at + _TDEF_FIRST_INDEX,
            )
        if len({column.name for column in columns}) != len(columns):
            raise ParseError(f"table {name}: repeated column names", self.path, offset=at)
        var_indexes = sorted(column.var_index for column in columns if not column.fixed)
        if len(set(var_indexes)) != len(var_indexes) or (
            var_indexes and var_indexes[-1] >= max_columns
        ):
            raise ParseError(
                f"table {name}: variable-column positions {var_indexes} repeat or are out of range",
                self.path,
                offset=at + _TDEF_FIRST_INDEX,
            )
        for column in columns:
            if column.fixed and column.type_code != _BOOL:
                if column.fixed_offset + column.length > PAGE_SIZE:
                    raise ParseError(
                        f"table {name}: column {column.name} at offset {column.fixed_offset} "
                        f"of length {column.length} does not fit a row",
                        self.path,
                        offset=at,
                    )
                dtype = _NUMERIC_TYPES.get(column.type_code, (None,))[0]
                if dtype is not None and np.dtype(dtype).itemsize != column.length:
                    raise ParseError(
                        f"table {name}: column {column.name} ({column.type_name}) has "
                        f"length {column.length}, not {np.dtype(dtype).itemsize}",
                        self.path,
                        offset=at,
                    )
        _check_fixed_layout(name, columns, self.path, at)
        return TableDef(
            name=name,
            page=page,
            usage_map=struct.unpack_from("<I", buffer, _TDEF_USAGE_MAP)[0],
            declared_rows=declared,
            max_columns=max_columns,
            n_var=sum(not column.fixed for column in columns),
            columns=tuple(columns),
        )

    # -- rows ------------------------------------------------------------------------

    def read_table(self, name: str, columns: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Every row of the user table ``name``: column name -> numpy array.

        Integers and floats keep their stored width (Byte uint8, Integer int16, Long
        Integer int32, Single float32, Double float64) unless a value is null, when the
        column is float64 with NaN; Currency is float64 (stored 1/10000 units);
        Date/Time is ``datetime64[ms]`` (:func:`ole_dates`); Yes/No is bool; Text and
        Memo are ``str`` (None for null), Binary and OLE ``bytes``, Replication ID the
        GUID text, Decimal ``decimal.Decimal`` (exact), in object arrays.
        """
        return self.read_rows(self.table_def(name), columns)

    def read_rows(self, table: TableDef, names: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The rows of ``table`` (see :meth:`read_table`); ``names`` limits the columns."""
        rows = self._locate_rows(table)
        chosen = table.columns if names is None else _select(table, names, self.path)
        null_masks = self._null_mask_bits(rows, chosen)
        stored = [c for c in chosen if c.fixed and c.type_code != _BOOL]
        low = min((c.fixed_offset for c in stored), default=0)
        high = max((c.fixed_offset + c.length for c in stored), default=0)
        block = self._gather(rows.start + 2 + low, high - low)
        var_values = self._variable_values(table, rows, chosen)
        out: dict[str, Any] = {}
        for column in chosen:
            present = null_masks[column.number]
            if column.type_code == _BOOL:
                out[column.name] = present
            elif column.fixed:
                at = column.fixed_offset - low
                raw = np.ascontiguousarray(block[:, at : at + column.length])
                out[column.name] = self._fixed_values(table, column, raw, present)
            else:
                out[column.name] = var_values[column.name]
        return out

    def _gather(self, starts: np.ndarray, width: int) -> np.ndarray:
        """The ``width`` bytes from each of ``starts``, as an (n, width) uint8 array (a
        chunk of rows at a time: the index array stays small). Indices past the file are
        clipped: such bytes belong to columns a short row does not have (null)."""
        out = np.empty((starts.size, width), dtype=np.uint8)
        if not width or not starts.size:
            return out
        columns = np.arange(width, dtype=np.intp)
        chunk = max(1, (1 << 20) // width)
        for first in range(0, starts.size, chunk):
            part = starts[first : first + chunk].astype(np.intp)
            np.take(
                self._bytes, part[:, None] + columns, out=out[first : first + chunk], mode="clip"
            )
        return out

    def _table_pages(self, table: TableDef) -> tuple[np.ndarray, int]:
        """The data pages of ``table``, ascending, from its usage map (what Access, mdbtools
        and Jackcess read), and how many pages the map lists past the end of the file.

        Type 0 map: u8 0, u32 first page, then a bit per page from it. Type 1: u8 1,
        then u32 numbers of map pages (type 0x05), the ``k``-th a bit per page (after its
        4-byte header) for pages ``k * 32736`` on (HACKING.md, "Page Usage Maps"). A page
        the map lists that is not a data page of this table is skipped, as mdbtools does
        (it holds none of the table's rows); a data page of the table that the map does
        not list is a free page (its rows deleted, or the table's before it was dropped)."""
        what = f"table {table.name}: usage map"
        at = table.page * PAGE_SIZE + _TDEF_USAGE_MAP
        page, row = table.usage_map >> 8, table.usage_map & 0xFF
        self._check_page(page, _DATA_PAGE, what, at=at)
        start, stop, _ = self._row_span(page, row, what, at)
        kind = self._data[start]
        if kind == 0 and stop - start >= 5:
            first = int.from_bytes(self._data[start + 1 : start + 5], "little")
            bits = np.unpackbits(self._bytes[start + 5 : stop], bitorder="little")
            listed = first + np.flatnonzero(bits).astype(np.int64)
            past_end = int(np.count_nonzero(listed >= self.n_pages))
        elif kind == 1:
            map_pages = np.frombuffer(self._data, "<u4", (stop - start - 1) // 4, start + 1)
            parts, past_end = [], 0
            for k, map_page in enumerate(map_pages.tolist()):
                if not map_page:
                    continue
                if map_page >= self.n_pages:
                    past_end += 1  # (at least) the pages it maps are unknown
                    continue
                self._check_page(map_page, _MAP_PAGE, what, at=start)
                first = map_page * PAGE_SIZE + 4
                bits = np.unpackbits(self._bytes[first : first + PAGE_SIZE - 4], bitorder="little")
                parts.append(k * _PAGES_PER_MAP_PAGE + np.flatnonzero(bits).astype(np.int64))
            listed = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            past_end += int(np.count_nonzero(listed >= self.n_pages))
        else:
            raise ParseError(
                f"{what}: a map of type {kind} ({stop - start} bytes): damaged",
                self.path,
                offset=start,
            )
        listed = np.unique(listed[listed < self.n_pages])
        mine = (self._page_types[listed] == _DATA_PAGE) & (self._owners[listed] == table.page)
        return listed[mine], past_end

    def _told_row_count(
        self, table: TableDef, found: int, past_end: int, moved_past: int = 0
    ) -> None:
        """Warn that the rows read are not the rows the definition declares."""
        if past_end or moved_past:
            where = " and ".join(
                text
                for count, text in (
                    (past_end, f"{past_end} of its data pages"),
                    (moved_past, f"{moved_past} of its rows (moved there)"),
                )
                if count
            )
            warn(
                f"{self.path}: table {table.name}: {where} lie past the end of the file "
                f"({self.n_pages} pages): the file is cut short (copied while being "
                f"written?); the {found} rows it holds are read, of {table.declared_rows} "
                "declared",
                TruncatedDataWarning,
            )
        else:
            warn(
                f"{self.path}: table {table.name}: its definition declares "
                f"{table.declared_rows} rows, its data pages hold {found}, which are read "
                "(a file not closed properly, copied while being written, or damaged)",
                EchemWarning,
            )

    def _locate_rows(self, table: TableDef) -> _Rows:
        """Spans and column counts of the live rows of ``table``, in page and row order,
        each checked; a count other than the definition's is told."""
        pages, past_end = self._table_pages(table)
        moved_past = 0
        counts = self._words[pages, _DATA_ROW_COUNT // 2].astype(np.int64)
        if np.any(counts > _MAX_ROWS_PER_PAGE):
            bad = int(pages[np.argmax(counts > _MAX_ROWS_PER_PAGE)])
            raise ParseError(
                f"table {table.name}: data page {bad} claims {int(counts.max())} rows",
                self.path,
                offset=bad * PAGE_SIZE + _DATA_ROW_COUNT,
            )
        width = int(counts.max()) if counts.size else 0
        first = _DATA_OFFSETS // 2
        offsets = self._words[pages, first : first + width].astype(np.int64)
        present = np.arange(width) < counts[:, None]
        earlier = np.empty_like(offsets)
        earlier[:, :1] = PAGE_SIZE
        earlier[:, 1:] = offsets[:, :-1] & _OFFSET_MASK
        raw = offsets[present]
        page_of = np.repeat(pages, counts)
        index_in_page = np.broadcast_to(np.arange(width), offsets.shape)[present]
        start = raw & _OFFSET_MASK
        stop = earlier[present]
        header_end = np.repeat(_DATA_OFFSETS + 2 * counts, counts)
        live = (raw & _DELETED) == 0
        self._check_spans(table, page_of, index_in_page, start, stop, header_end, live)
        base = page_of * PAGE_SIZE
        start_abs = base + start
        stop_abs = base + stop
        lookup = np.flatnonzero(live & ((raw & _LOOKUP) != 0))
        if lookup.size:
            targets = self._follow_lookups(table, start_abs[lookup], stop_abs[lookup])
            found = np.array([span is not None for span in targets], dtype=bool)
            live[lookup[~found]] = False  # moved past the end of a cut file
            moved_past = int(np.count_nonzero(~found))
            lookup, targets = lookup[found], [span for span in targets if span is not None]
            start_abs[lookup] = [span[0] for span in targets]
            stop_abs[lookup] = [span[1] for span in targets]
            moved = {span[2] for span in targets}
            # A row moved elsewhere is read through its pointer only (never twice).
            key = page_of * PAGE_SIZE + index_in_page
            live &= ~np.isin(key, np.fromiter(moved, dtype=np.int64, count=len(moved)))
            live[lookup] = True
        start_abs = start_abs[live]
        stop_abs = stop_abs[live]
        if moved_past or start_abs.size != table.declared_rows:
            self._told_row_count(table, int(start_abs.size), past_end, moved_past)
        n_columns = self._u16(start_abs)
        bad = (n_columns < 1) | (n_columns > table.max_columns)
        if bad.any():
            where = int(start_abs[np.argmax(bad)])
            raise ParseError(
                f"table {table.name}: a row claims {int(n_columns[np.argmax(bad)])} columns "
                f"(the table has at most {table.max_columns})",
                self.path,
                offset=where,
            )
        rows = _Rows(start=start_abs, stop=stop_abs, n_columns=n_columns)
        self._check_lengths(table, rows)
        return rows

    def _check_spans(
        self,
        table: TableDef,
        page_of: np.ndarray,
        index_in_page: np.ndarray,
        start: np.ndarray,
        stop: np.ndarray,
        header_end: np.ndarray,
        live: np.ndarray,
    ) -> None:
        bad = live & ((start < header_end) | (start >= stop) | (stop > PAGE_SIZE))
        if bad.any():
            at = int(np.argmax(bad))
            page = int(page_of[at])
            raise ParseError(
                f"table {table.name}: row {int(index_in_page[at])} of page {page} spans bytes "
                f"{int(start[at])}-{int(stop[at])} of its page: damaged row offset table",
                self.path,
                offset=page * PAGE_SIZE + _DATA_OFFSETS + 2 * int(index_in_page[at]),
            )

    def _follow_lookups(
        self, table: TableDef, starts: np.ndarray, stops: np.ndarray
    ) -> list[tuple[int, int, int] | None]:
        """(start, stop, page * PAGE_SIZE + row) of the rows that lookup rows point to;
        None for a row moved to a page past the end of a cut file."""
        targets = []
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
            if stop - start < 4:
                raise ParseError(
                    f"table {table.name}: a moved-row pointer of {stop - start} bytes",
                    self.path,
                    offset=start,
                )
            pointer = int.from_bytes(self._data[start : start + 4], "little")
            page, row = pointer >> 8, pointer & 0xFF
            what = f"table {table.name}: moved row (pointer at byte {start})"
            if page >= self.n_pages:
                targets.append(None)
                continue
            self._check_page(page, _DATA_PAGE, what, at=start)
            if self._owners[page] != table.page:
                raise ParseError(
                    f"{what}: page {page} belongs to another table", self.path, offset=start
                )
            # The row moved to is marked deleted (0x8000: Jackcess's updateRow) so that a
            # scan of its page skips it: it is read through the pointer only.
            target_start, target_stop, _ = self._row_span(page, row, what, start)
            targets.append((target_start, target_stop, page * PAGE_SIZE + row))
        return targets

    def _row_span(self, page: int, row: int, what: str, at: int) -> tuple[int, int, int]:
        """Absolute [start, stop) and flags of row ``row`` of data page ``page``."""
        count = int(self._words[page, _DATA_ROW_COUNT // 2])
        if not row < count <= _MAX_ROWS_PER_PAGE:
            raise ParseError(
                f"{what}: row {row} of page {page}, which has {count} rows",
                self.path,
                offset=at,
            )
        raw = int(self._words[page, _DATA_OFFSETS // 2 + row])
        start = raw & _OFFSET_MASK
        stop = (
            PAGE_SIZE
            if row == 0
            else int(self._words[page, _DATA_OFFSETS // 2 + row - 1]) & _OFFSET_MASK
        )
        if not _DATA_OFFSETS + 2 * count <= start < stop <= PAGE_SIZE:
            raise ParseError(
                f"{what}: row {row} of page {page} spans bytes {start}-{stop}: damaged",
                self.path,
                offset=page * PAGE_SIZE + _DATA_OFFSETS + 2 * row,
            )
        return page * PAGE_SIZE + start, page * PAGE_SIZE + stop, raw & ~_OFFSET_MASK

    def _u16(self, offsets: np.ndarray) -> np.ndarray:
        data = self._bytes
        return data[offsets].astype(np.int64) | (data[offsets + 1].astype(np.int64) << 8)

    def _fixed_end(self, table: TableDef, n_columns: np.ndarray) -> np.ndarray:
        """Length of the fixed-column area of rows with ``n_columns`` columns."""
        counts, inverse = np.unique(n_columns, return_inverse=True)
        ends = np.array(
            [
                max(
                    (
                        column.fixed_offset + column.length
                        for column in table.columns
                        if column.fixed and column.type_code != _BOOL and column.number < count
                    ),
                    default=0,
                )
                for count in counts.tolist()
            ],
            dtype=np.int64,
        )
        return ends[inverse.ravel()]

    def _check_lengths(self, table: TableDef, rows: _Rows) -> None:
        """Each row is exactly its column count, fixed columns, (variable part) and null
        mask long: a shifted row offset shows here."""
        mask_size = (rows.n_columns + 7) // 8
        fixed_end = self._fixed_end(table, rows.n_columns)
        length = rows.stop - rows.start
        if table.n_var == 0:
            bad = length != 2 + fixed_end + mask_size
        else:
            trailer = length - mask_size - 2
            ok = trailer >= 2 + fixed_end
            n_var = np.where(ok, self._u16(rows.start + np.where(ok, trailer, 0)), 0)
            eod_at = trailer - 2 * (n_var + 1)
            ok &= (n_var <= table.max_columns) & (eod_at >= 2 + fixed_end)
            eod = np.where(ok, self._u16(rows.start + np.where(ok, eod_at, 0)), 0)
            bad = ~ok | (eod < 2 + fixed_end) | (eod > eod_at)
        if bad.any():
            at = int(np.argmax(bad))
            raise ParseError(
                f"table {table.name}: a row of {int(length[at])} bytes does not match its "
                f"{int(rows.n_columns[at])} columns: damaged",
                self.path,
                offset=int(rows.start[at]),
            )

    def _null_mask_bits(self, rows: _Rows, columns: tuple[ColumnDef, ...]) -> dict[int, np.ndarray]:
        """Column number -> bool array, True where the row has a value (for a Yes/No
        column: where it is Yes)."""
        mask_size = (rows.n_columns + 7) // 8
        widest = max((column.number // 8 + 1 for column in columns), default=0)
        masks = self._gather(rows.stop - mask_size, widest)
        bits = {}
        for column in columns:
            inside = column.number < rows.n_columns  # then its byte is inside the mask
            bit = (masks[:, column.number // 8] >> (column.number % 8)) & 1
            bits[column.number] = inside & (bit == 1)
        return bits

    def _fixed_values(
        self, table: TableDef, column: ColumnDef, raw: np.ndarray, present: np.ndarray
    ) -> np.ndarray:
        """A fixed-length column from its stored bytes (an (n, length) uint8 array)."""
        numeric = _NUMERIC_TYPES.get(column.type_code)
        if numeric is None:
            return self._fixed_objects(table, column, raw, present)
        return _numbers(raw.view(numeric[0]).reshape(-1), present, column.type_code)

    def _fixed_objects(
        self, table: TableDef, column: ColumnDef, raw: np.ndarray, present: np.ndarray
    ) -> np.ndarray:
        values = np.empty(raw.shape[0], dtype=object)
        if column.type_code == _GUID and column.length == 16:
            for i in np.flatnonzero(present).tolist():
                values[i] = "{" + str(uuid.UUID(bytes_le=raw[i].tobytes())).upper() + "}"
            return values
        if column.type_code == _NUMERIC and column.length == _DECIMAL_SIZE:
            for i in np.flatnonzero(present).tolist():
                values[i] = _decimal(raw[i].tobytes(), column.scale)
            return values
        warn(
            f"{self.path}: table {table.name}, column {column.name} is of type "
            f"{column.type_name}, which echem does not decode; its stored bytes are kept",
            EchemWarning,
        )
        for i in np.flatnonzero(present).tolist():
            values[i] = raw[i].tobytes()
        return values

    def _variable_values(
        self, table: TableDef, rows: _Rows, columns: tuple[ColumnDef, ...]
    ) -> dict[str, np.ndarray]:
        """The variable-length columns, decoded a row at a time (tables with them are
        the small ones); a number stored in a variable-length column (Access does so in
        some system tables) becomes a numeric array as a fixed one would."""
        wanted = [column for column in columns if not column.fixed]
        if not wanted:
            return {}
        out = {column.name: np.empty(rows.start.size, dtype=object) for column in wanted}
        self._fill_variable(table, rows, wanted, out)
        for column in wanted:
            numeric = _NUMERIC_TYPES.get(column.type_code)
            if numeric is not None:
                values = out[column.name]
                present = np.array([value is not None for value in values], dtype=bool)
                stored = np.zeros(values.size, dtype=numeric[0])
                stored[present] = values[present].tolist()
                out[column.name] = _numbers(stored, present, column.type_code)
        return out

    def _fill_variable(
        self, table: TableDef, rows: _Rows, wanted: list[ColumnDef], out: dict[str, np.ndarray]
    ) -> None:
        fixed_end = self._fixed_end(table, rows.n_columns)
        data = self._data
        lost: dict[str, int] = {}  # column -> long values past the end of a cut file
        for i, (start, stop, n_columns, fixed) in enumerate(
            zip(
                rows.start.tolist(),
                rows.stop.tolist(),
                rows.n_columns.tolist(),
                fixed_end.tolist(),
                strict=True,
            )
        ):
            mask_size = (n_columns + 7) // 8
            mask = data[stop - mask_size : stop]
            trailer = stop - mask_size - 2
            n_var = struct.unpack_from("<H", data, trailer)[0]
            bounds = struct.unpack_from(f"<{n_var + 1}H", data, trailer - 2 * (n_var + 1))[::-1]
            # bounds: offsets of variable columns 0..n_var-1, then eod
            previous = 2 + fixed
            for bound in bounds:
                if bound < previous:
                    raise ParseError(
                        f"table {table.name}: variable-column offsets {list(bounds)} of a row "
                        "decrease or overlap its fixed columns: damaged",
                        self.path,
                        offset=start,
                    )
                previous = bound
            for column in wanted:
                number = column.number
                if (
                    number >= n_columns
                    or column.var_index >= n_var
                    or not (mask[number // 8] >> (number % 8)) & 1
                ):
                    continue
                piece = data[
                    start + bounds[column.var_index] : start + bounds[column.var_index + 1]
                ]
                try:
                    out[column.name][i] = self._decode_variable(table, column, piece, start)
                except PastEndError:
                    lost[column.name] = lost.get(column.name, 0) + 1
        for name, count in lost.items():
            warn(
                f"{self.path}: table {table.name}, column {name}: {count} long value(s) lie "
                f"past the end of the file ({self.n_pages} pages): the file is cut short "
                "(copied while being written?); they read as null",
                TruncatedDataWarning,
            )

    def _decode_variable(self, table: TableDef, column: ColumnDef, piece: bytes, at: int) -> Any:
        what = f"table {table.name}, column {column.name}"
        numeric = _NUMERIC_TYPES.get(column.type_code)
        if numeric is not None:
            dtype = np.dtype(numeric[0])
            if len(piece) != dtype.itemsize:
                raise ParseError(
                    f"{what}: a {column.type_name} of {len(piece)} bytes", self.path, offset=at
                )
            return np.frombuffer(piece, dtype=dtype)[0].item()
        if column.type_code == _TEXT:
            return _text(piece, what, self.path, at)
        if column.type_code == _BINARY:
            return piece
        if column.type_code in (_MEMO, _OLE):
            value = self._long_value(piece, what, at)
            return _text(value, what, self.path, at) if column.type_code == _MEMO else value
        warn(
            f"{self.path}: {what} is of type {column.type_name}, which echem does not "
            "decode; its stored bytes are kept",
            EchemWarning,
        )
        return piece

    def _long_value(self, header: bytes, what: str, at: int) -> bytes:
        """The bytes of a Memo/OLE value from its 12-byte header (and LVAL rows)."""
        if len(header) < _MEMO_HEADER:
            raise ParseError(
                f"{what}: a long-value header of {len(header)} bytes", self.path, offset=at
            )
        word, pointer = struct.unpack_from("<II", header, 0)
        length = word & _MEMO_LENGTH
        if word & _MEMO_INLINE:
            value = header[_MEMO_HEADER : _MEMO_HEADER + length]
            if len(value) != length:
                raise ParseError(
                    f"{what}: an inline value of {length} bytes holds {len(value)}",
                    self.path,
                    offset=at,
                )
            return value
        if word & _MEMO_ONE_ROW:
            start, stop = self._lval_row(pointer, what, at)
            if stop - start < length:
                raise ParseError(
                    f"{what}: a long value of {length} bytes in a row of {stop - start}",
                    self.path,
                    offset=start,
                )
            return self._data[start : start + length]
        parts: list[bytes] = []
        collected = 0
        seen: set[int] = set()
        while collected < length:
            if pointer == 0 or pointer in seen or len(seen) > _MAX_LVAL_ROWS:
                raise ParseError(
                    f"{what}: a long value of {length} bytes ends after {collected}",
                    self.path,
                    offset=at,
                )
            seen.add(pointer)
            start, stop = self._lval_row(pointer, what, at)
            if stop - start < 4:
                raise ParseError(f"{what}: a long-value row too short", self.path, offset=start)
            pointer = int.from_bytes(self._data[start : start + 4], "little")
            part = self._data[start + 4 : stop]
            parts.append(part)
            collected += len(part)
        return b"".join(parts)[:length]

    def _lval_row(self, pointer: int, what: str, at: int) -> tuple[int, int]:
        page, row = pointer >> 8, pointer & 0xFF
        self._check_page(page, _DATA_PAGE, f"{what}: long value", at=at)
        if self._owners[page] != _LVAL_OWNER:
            raise ParseError(
                f"{what}: long value on page {page}, which is not a long-value page",
                self.path,
                offset=page * PAGE_SIZE,
            )
        start, stop, _ = self._row_span(page, row, f"{what}: long value", at)
        return start, stop


def _numbers(stored: np.ndarray, present: np.ndarray, type_code: int) -> np.ndarray:
    """A numeric column from its stored values: Date/Time as ``datetime64[ms]`` (NaT
    where null), Currency scaled to float64, others in their stored width, or float64
    with NaN when a value is null."""
    if type_code == _DATETIME:
        dates = ole_dates(stored)
        dates[~present] = np.datetime64("NaT")
        return dates
    values = stored / _MONEY_UNITS if type_code == _MONEY else stored
    values = values.astype(values.dtype.newbyteorder("="), copy=False)
    if present.all():
        return values
    filled = values.astype(np.float64)
    filled[~present] = np.nan
    return filled


def _decimal(stored: bytes, scale: int) -> decimal.Decimal:
    """A Decimal column's value, exactly (see ``_DECIMAL_SIZE``)."""
    magnitude = 0
    for word in struct.unpack_from("<4I", stored, 1):
        magnitude = (magnitude << 32) | word
    value = decimal.Decimal(magnitude).scaleb(-scale, context=_EXACT)
    return value.copy_negate() if stored[0] & 0x80 else value


def _check_fixed_layout(name: str, columns: list[ColumnDef], path: Path, at: int) -> None:
    """Fixed-length columns never share bytes (a deleted column keeps its place, a new
    one goes after the others): an overlap is a damaged definition."""
    stored = sorted(
        (c.fixed_offset, c.fixed_offset + c.length, c.name)
        for c in columns
        if c.fixed and c.type_code != _BOOL
    )
    for (_, end, first), (start, _, second) in zip(stored, stored[1:], strict=False):
        if start < end:
            raise ParseError(
                f"table {name}: columns {first} and {second} overlap in the row: damaged "
                "definition",
                path,
                offset=at,
            )


def _select(table: TableDef, names: tuple[str, ...], path: Path) -> tuple[ColumnDef, ...]:
    by_name = {column.name: column for column in table.columns}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise ParseError(
            f"table {table.name} has no column {', '.join(missing)} (it has {', '.join(by_name)})",
            path,
        )
    return tuple(by_name[name] for name in names)


def _need(buffer: bytes, position: int, size: int, what: str, db: AccessDatabase, at: int) -> None:
    if position + size > len(buffer):
        raise ParseError(f"{what} run past the definition's pages: damaged", db.path, offset=at)


def _is_nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _text(raw: bytes, what: str, path: Path, at: int) -> str:
    """A Jet 4 text value: UTF-16-LE, or "compressed" (``FF FE``, then one byte per
    character, a zero byte switching between one- and two-byte characters)."""
    if raw[:2] == b"\xff\xfe":
        units = bytearray()
        wide = False
        position = 2
        while position < len(raw):
            if raw[position] == 0:
                wide = not wide
                position += 1
            elif wide:
                units += raw[position : position + 2]
                position += 2
            else:
                units += bytes((raw[position], 0))
                position += 1
        raw = bytes(units)
    if len(raw) % 2:
        raise ParseError(f"{what}: text of odd byte length {len(raw)}", path, offset=at)
    return raw.decode("utf-16-le", "surrogatepass")
