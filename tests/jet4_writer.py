"""A tiny writer of Microsoft Access (Jet 4) databases, for tests of echem's reader.

Written from the mdbtools format description (``HACKING.md``: page header, table
definition, data page and row layouts, usage maps, long values) and independent of
:mod:`echem.io._access`: it shares no code with the reader it tests. Where mdbtools is
installed, the tests check that ``mdb-export`` reads what this writer meant to write, so
that the writer and the reader cannot share a misunderstanding unnoticed.

It writes what a test needs to attack a reader with: rows spread over several data pages
(optionally interleaved with other tables' pages, as a live cycler file has them), usage
maps of both types, deleted rows (row offset flags 0xC000, as Jackcess deletes a row, or
0x8000 alone), rows moved to another page (0x4000: the old place holds a pointer; the new
row is flagged 0x8000 so that a scan skips it, as Jackcess's updateRow writes it), rows
written before columns were added (fewer columns than the table has), compressed text
(``FF FE``), memo values inline, in one long-value row or in a chain of them, and every
fixed type (Currency, Decimal, GUID, Date/Time...). Not written: indexes (none
declared), properties.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

PAGE = 4096

# Column types (HACKING.md, "Column Types")
BOOL, BYTE, INT, LONG, MONEY, FLOAT, DOUBLE, DATETIME = range(1, 9)
BINARY, TEXT, OLE, MEMO, GUID, NUMERIC = 0x09, 0x0A, 0x0B, 0x0C, 0x0F, 0x10
FIXED_SIZES = {
    BYTE: 1,
    INT: 2,
    LONG: 4,
    MONEY: 8,
    FLOAT: 4,
    DOUBLE: 8,
    DATETIME: 8,
    GUID: 16,
    NUMERIC: 17,
}
_PACK = {BYTE: "<B", INT: "<h", LONG: "<i", FLOAT: "<f", DOUBLE: "<d", DATETIME: "<d"}

DELETED, MOVED = 0x8000, 0x4000


@dataclass
class Column:
    """One column; ``number`` and the fixed offset / variable index are given by the
    table (in order), unless a test sets them."""

    name: str
    type: int
    precision: int = 18
    scale: int = 0
    compressed: bool = False

    @property
    def fixed(self) -> bool:
        return self.type in FIXED_SIZES or self.type == BOOL

    @property
    def size(self) -> int:
        return FIXED_SIZES.get(self.type, 0)


@dataclass
class Table:
    """A user table: columns, rows (lists of values, None for null) and layout options.

    ``rows_per_page`` caps the rows of a data page; ``short_rows`` maps a row index to
    the number of columns that row was written with; ``deleted`` lists extra rows
    (values) written flagged deleted; ``moved`` lists indices of rows stored elsewhere
    behind a pointer; ``declared`` overrides the row count in the definition;
    ``stale`` lists rows (values) left, live, on a page the table owns that its usage
    map does not list (a freed page, or a dropped table's whose definition page was
    reused).
    """

    name: str
    columns: list[Column]
    rows: list[list[Any]]
    rows_per_page: int = 1000
    short_rows: dict[int, int] = field(default_factory=dict)
    deleted: list[list[Any]] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    declared: int | None = None
    stale: list[list[Any]] = field(default_factory=list)
    deleted_flags: int = DELETED | MOVED  # as Jackcess deletes a row (TableImpl.deleteRow)
    usage_map_type: int = 0
    system: bool = False


def rc4(key: bytes, data: bytes) -> bytes:
    """RC4 (the header of a Jet 4 page 0 is scrambled with it)."""
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) & 255
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) & 255
        j = (j + state[i]) & 255
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) & 255])
    return bytes(out)


HEADER_KEY = bytes([0xC7, 0xDA, 0x39, 0x6B])


def header_page(version: int = 1, db_key: int = 0, engine: bytes = b"Jet") -> bytes:
    """Page 0: signature, engine name, version byte at 0x14, then the 128 bytes from 0x18
    RC4-scrambled with the fixed key (holding the code page at 0x3C and the encoding key
    at 0x3E)."""
    page = bytearray(PAGE)
    page[0:4] = b"\x00\x01\x00\x00"
    page[4:20] = b"Standard " + engine + b" DB\x00"
    page[0x14] = version
    plain = bytearray(128)
    struct.pack_into("<HI", plain, 0x3C - 0x18, 1252, db_key)
    page[0x18 : 0x18 + 128] = rc4(HEADER_KEY, bytes(plain))
    return bytes(page)


def _text_bytes(value: str, compressed: bool) -> bytes:
    if compressed and all(0 < ord(c) < 256 for c in value):
        return b"\xff\xfe" + value.encode("latin-1")
    return value.encode("utf-16-le")


def _numeric_bytes(value: Decimal, scale: int) -> bytes:
    magnitude = int(abs(value).scaleb(scale).to_integral_value())
    words = [(magnitude >> (32 * k)) & 0xFFFFFFFF for k in (3, 2, 1, 0)]
    return bytes([0x80 if value < 0 else 0]) + struct.pack("<4I", *words)


def _fixed_bytes(column: Column, value: Any) -> bytes:
    if column.type in _PACK:
        return struct.pack(_PACK[column.type], value)
    if column.type == MONEY:
        return struct.pack("<q", int(Decimal(value).scaleb(4).to_integral_value()))
    if column.type == GUID:
        return uuid.UUID(value).bytes_le
    if column.type == NUMERIC:
        return _numeric_bytes(Decimal(value), column.scale)
    raise ValueError(column.type)


class Database:
    """Pages in the making; :meth:`build` returns the file."""

    def __init__(self, version: int = 1, engine: bytes = b"Jet") -> None:
        self.pages: list[bytearray | bytes] = [header_page(version, engine=engine)]
        self.pages.append(self._data_page(0))  # page 1: (global usage map; unused here)
        self.long_values: list[tuple[int, bytes]] = []

    # -- pages -----------------------------------------------------------------------

    @staticmethod
    def _data_page(owner: int) -> bytearray:
        page = bytearray(PAGE)
        page[0:2] = b"\x01\x01"
        struct.pack_into("<I", page, 4, owner)
        struct.pack_into("<H", page, 2, PAGE - 14)
        return page

    def new_page(self, page: bytearray | bytes | None = None) -> int:
        self.pages.append(page if page is not None else bytearray(PAGE))
        return len(self.pages) - 1

    @staticmethod
    def add_row(page: bytearray, row: bytes, flags: int = 0) -> int | None:
        """Put ``row`` on ``page`` (rows fill from the end); its row number, or None when
        it does not fit."""
        count = struct.unpack_from("<H", page, 12)[0]
        end = PAGE if count == 0 else struct.unpack_from("<H", page, 14 + 2 * (count - 1))[0]
        end &= 0x1FFF
        start = end - len(row)
        if start < 14 + 2 * (count + 1) or count >= 255:
            return None
        page[start:end] = row
        struct.pack_into("<H", page, 14 + 2 * count, start | flags)
        struct.pack_into("<H", page, 12, count + 1)
        struct.pack_into("<H", page, 2, start - (14 + 2 * (count + 1)))
        return count

    # -- long values -----------------------------------------------------------------

    def _lval_page(self) -> int:
        return self.new_page(self._data_page(int.from_bytes(b"LVAL", "little")))

    def memo(self, data: bytes, how: str) -> bytes:
        """The 12-byte memo/OLE header (and value): ``inline``, ``one`` LVAL row, or
        ``chain`` of LVAL rows of at most 1000 bytes each."""
        if how == "inline":
            return struct.pack("<III", len(data) | 0x80000000, 0, 0) + data
        if how == "one":
            page = self._lval_page()
            row = self.add_row(self.pages[page], data)
            assert row is not None
            return struct.pack("<III", len(data) | 0x40000000, (page << 8) | row, 0)
        pieces = [data[i : i + 1000] for i in range(0, len(data), 1000)] or [b""]
        pointer = 0
        for piece in reversed(pieces):  # last first: each row points at the next
            page = self._lval_page()
            row = self.add_row(self.pages[page], struct.pack("<I", pointer) + piece)
            assert row is not None
            pointer = (page << 8) | row
        return struct.pack("<III", len(data), pointer, 0)

    # -- rows ------------------------------------------------------------------------

    def row(self, table: Table, values: list[Any], n_columns: int | None = None) -> bytes:
        """A Jet 4 row: u16 column count, fixed columns, variable data, then (tables with
        variable columns) eod and the variable offsets backwards, their count, and the
        null mask (1 = has a value; a Yes/No value is its bit)."""
        columns = table.columns
        n_columns = len(columns) if n_columns is None else n_columns
        layout = column_layout(columns)
        fixed_len = max(  # the fixed columns the row has (a row written before columns
            # were added has the shorter layout of its time)
            (
                o + c.size
                for c, (n, o, _) in zip(columns, layout, strict=True)
                if c.size and n < n_columns
            ),
            default=0,
        )
        body = bytearray(2 + fixed_len)
        struct.pack_into("<H", body, 0, n_columns)
        mask = bytearray((n_columns + 7) // 8)
        var_offsets = []
        for column, (number, offset, _), value in zip(columns, layout, values, strict=True):
            if number >= n_columns:
                continue
            if column.type == BOOL:
                if value:
                    mask[number // 8] |= 1 << (number % 8)
                continue
            if column.fixed:
                if value is not None:
                    body[2 + offset : 2 + offset + column.size] = _fixed_bytes(column, value)
                    mask[number // 8] |= 1 << (number % 8)
                continue
            var_offsets.append(len(body))
            if value is not None:
                mask[number // 8] |= 1 << (number % 8)
                if column.type == TEXT:
                    body += _text_bytes(value, column.compressed)
                elif column.type in (MEMO, OLE):
                    data = (
                        _text_bytes(value[0], column.compressed)
                        if column.type == MEMO
                        else value[0]
                    )
                    body += self.memo(data, value[1])
                elif column.type == BINARY:
                    body += value
                else:
                    body += _fixed_bytes(column, value)
        n_var = sum(
            not c.fixed for c, (n, _, _) in zip(columns, layout, strict=True) if n < n_columns
        )
        if any(not c.fixed for c in columns):
            trailer = struct.pack("<H", len(body))  # eod
            trailer += b"".join(struct.pack("<H", o) for o in reversed(var_offsets[:n_var]))
            trailer += struct.pack("<H", n_var)
            body += trailer
        return bytes(body + mask)

    # -- tables ----------------------------------------------------------------------

    def add_table(
        self, table: Table, page: int, data_pages: list[int], map_page: int | None = None
    ) -> None:
        """Fill the table's data pages (already allocated) and write its definition at
        ``page`` and its usage map on ``map_page`` (a new page when None)."""
        rows = [self.row(table, v, table.short_rows.get(i)) for i, v in enumerate(table.rows)]
        placed: list[tuple[int, int]] = []
        queue = list(data_pages)
        current = queue.pop(0)
        on_page = 0

        def put(row: bytes, flags: int = 0) -> tuple[int, int]:
            nonlocal current, on_page
            while True:
                if on_page < table.rows_per_page:
                    number = self.add_row(self.pages[current], row, flags)
                    if number is not None:
                        on_page += 1
                        return current, number
                if not queue:
                    raise ValueError(f"table {table.name}: not enough data pages")
                current, on_page = queue.pop(0), 0

        moved_targets = {}
        for index, row in enumerate(rows):
            if index in table.moved:
                placed.append(put(b"\x00\x00\x00\x00", MOVED))  # pointer filled below
                moved_targets[index] = len(placed) - 1
            else:
                placed.append(put(row))
            if index == len(rows) // 2:
                for extra in table.deleted:
                    put(self.row(table, extra), table.deleted_flags)
        for index, slot in moved_targets.items():
            target_page, target_row = put(rows[index], DELETED)
            page_number, row_number = placed[slot]
            start = struct.unpack_from("<H", self.pages[page_number], 14 + 2 * row_number)[0]
            struct.pack_into(
                "<I", self.pages[page_number], start & 0x1FFF, (target_page << 8) | target_row
            )
        used = sorted({p for p, _ in placed} | set(data_pages[: data_pages.index(current) + 1]))
        if table.stale:
            stale = self.new_page(self._data_page(page))
            for values in table.stale:
                assert self.add_row(self.pages[stale], self.row(table, values)) is not None
        self._write_tdef(table, page, used, map_page)

    def _usage_map(self, kind: int, pages: list[int]) -> bytes:
        if kind == 0:
            first = min(pages, default=0)
            bits = bytearray(max(64, (max(pages, default=0) - first) // 8 + 1))
            for p in pages:
                bits[(p - first) // 8] |= 1 << ((p - first) % 8)
            return b"\x00" + struct.pack("<I", first) + bytes(bits)
        per_map = (PAGE - 4) * 8
        map_pages = []
        for k in range(max(pages, default=0) // per_map + 1):
            bitmap = bytearray(PAGE)
            bitmap[0:4] = b"\x05\x01\x00\x00"
            for p in pages:
                if p // per_map == k:
                    bitmap[4 + (p % per_map) // 8] |= 1 << (p % 8)
            map_pages.append(self.new_page(bitmap))
        return b"\x01" + b"".join(struct.pack("<I", p) for p in map_pages)

    def _write_tdef(self, table: Table, page: int, used: list[int], map_page: int | None) -> None:
        if map_page is None:
            map_page = self.new_page(self._data_page(0))
        used_row = self.add_row(self.pages[map_page], self._usage_map(table.usage_map_type, used))
        free_row = self.add_row(self.pages[map_page], self._usage_map(0, []))
        columns = table.columns
        layout = column_layout(columns)
        n_var = sum(not c.fixed for c in columns)
        body = bytearray(0x3F)
        body[0:2] = b"\x02\x01"
        declared = len(table.rows) if table.declared is None else table.declared
        struct.pack_into("<I", body, 0x10, declared)
        body[0x28] = 0x53
        struct.pack_into("<HHH", body, 0x29, len(columns), n_var, len(columns))
        struct.pack_into("<II", body, 0x2F, 0, 0)  # indexes, real indexes
        struct.pack_into("<I", body, 0x37, (map_page << 8) | used_row)
        struct.pack_into("<I", body, 0x3B, (map_page << 8) | free_row)
        for column, (number, offset, var_index) in zip(columns, layout, strict=True):
            entry = bytearray(25)
            entry[0] = column.type
            struct.pack_into("<HHH", entry, 5, number, var_index, number)
            if column.type in (NUMERIC, MONEY, FLOAT, DOUBLE):
                entry[11], entry[12] = column.precision, column.scale
            entry[15] = 0x01 if column.fixed else 0x02
            entry[16] = 0x01 if column.compressed else 0
            struct.pack_into("<HH", entry, 21, offset, column.size)
            body += entry
        for column in columns:
            name = column.name.encode("utf-16-le")
            body += struct.pack("<H", len(name)) + name
        chunks = [bytes(body[:PAGE])]
        rest = bytes(body[PAGE:])
        while rest:
            chunks.append(rest[: PAGE - 8])
            rest = rest[PAGE - 8 :]
        pages = [page] + [self.new_page() for _ in chunks[1:]]
        for k, (number, chunk) in enumerate(zip(pages, chunks, strict=True)):
            out = bytearray(PAGE)
            if k == 0:
                out[: len(chunk)] = chunk
            else:
                out[0:2] = b"\x02\x01"
                out[8 : 8 + len(chunk)] = chunk
            if k + 1 < len(pages):
                struct.pack_into("<I", out, 4, pages[k + 1])
            self.pages[number] = out

    def build(self) -> bytes:
        return b"".join(bytes(p) for p in self.pages)


def column_layout(columns: list[Column]) -> list[tuple[int, int, int]]:
    """(column number, fixed offset, variable index) of each column, in order."""
    layout = []
    offset = var_index = 0
    for number, column in enumerate(columns):
        if column.fixed:
            layout.append((number, offset, 0))
            offset += column.size
        else:
            layout.append((number, 0, var_index))
            var_index += 1
    return layout


CATALOG_COLUMNS = [
    Column("Id", LONG),
    Column("ParentId", LONG),
    Column("Name", TEXT),
    Column("Type", INT),
    Column("Flags", LONG),
    Column("LvProp", OLE),
]


def database(
    tables: list[Table], *, interleave: bool = False, version: int = 1, engine: bytes = b"Jet"
) -> bytes:
    """A Jet 4 (or ACE, ``version`` 2+) database holding ``tables``: page 2 the catalog
    (MSysObjects), then each table's definition and data pages (the tables' data pages
    taken in turn when ``interleave``, as a cycler writing several tables at once has
    them)."""
    db = Database(version, engine)
    catalog_page = db.new_page()
    catalog_data = db.new_page(db._data_page(catalog_page))
    catalog_map = db.new_page(db._data_page(0))
    tdefs = [db.new_page() for _ in tables]
    maps = [db.new_page(db._data_page(0)) for _ in tables]  # as Access: beside the TDEFs
    needs = []
    for table in tables:
        per_page = max(1, min(table.rows_per_page, 3500 // max(1, _row_size(db, table))))
        stored = len(table.rows) + len(table.deleted) + len(table.moved)
        needs.append(stored // per_page + 2)
    data_pages: list[list[int]] = [[] for _ in tables]
    if interleave:
        for _ in range(max(needs, default=0)):
            for k in range(len(tables)):
                if len(data_pages[k]) < needs[k]:
                    data_pages[k].append(db.new_page(db._data_page(tdefs[k])))
    else:
        for k in range(len(tables)):
            data_pages[k] = [db.new_page(db._data_page(tdefs[k])) for _ in range(needs[k])]
    for table, tdef, pages, map_page in zip(tables, tdefs, data_pages, maps, strict=True):
        db.add_table(table, tdef, pages, map_page)
    catalog = Table(
        "MSysObjects",
        CATALOG_COLUMNS,
        [
            [tdef | 0x00000000, 0x0F000001, table.name, 1, 0x80000002 if table.system else 0, None]
            for table, tdef in zip(tables, tdefs, strict=True)
        ],
    )
    db.add_table(catalog, catalog_page, [catalog_data], catalog_map)
    return db.build()


def _row_size(db: Database, table: Table) -> int:
    if not table.rows:
        return 16
    probe = Database()
    return max(len(probe.row(table, values)) for values in table.rows[:50])
