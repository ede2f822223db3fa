"""Shared helpers of the text readers: decoding, line splitting, number parsing, and
the test of a last line without a line break (:func:`cut_reason`).

Every helper reports bad input as :class:`echem.ParseError` naming the file and the
1-based line, so that readers never leak ``UnicodeDecodeError``, ``IndexError`` or
``ValueError`` from ``float()``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from echem.errors import ParseError, TruncatedDataWarning
from echem.io._caller import warn
from echem.io._files import require_regular_file

__all__ = [
    "Line",
    "TextStart",
    "read_start",
    "read_lines",
    "read_lines_and_end",
    "numbered_lines",
    "data_rows",
    "fit_width",
    "value_shape",
    "cut_reason",
    "warn_cut",
    "decode",
    "head_text",
    "parse_float",
    "numeric_table",
    "columns_to_frame",
]

#: Encodings tried in order when a file has no byte-order mark. cp1252 (Windows) before
#: latin-1: both accept almost every byte, latin-1 accepts all, so decoding never fails
#: once NUL bytes (binary content) have been rejected.
_FALLBACK_ENCODINGS: tuple[str, ...] = ("utf-8", "cp1252", "latin-1")

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


class Line(NamedTuple):
    """One line of a text file: its 1-based number and its text (no line terminator)."""

    number: int
    text: str


def decode(data: bytes, path: str | Path, encodings: Sequence[str] = _FALLBACK_ENCODINGS) -> str:
    """Decode the bytes of a text file.

    A byte-order mark selects UTF-8/UTF-16; otherwise ``encodings`` are tried in order.
    NUL bytes outside UTF-16 mean binary content and raise :class:`ParseError` with the
    byte offset (a text reader must not silently parse a binary file).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as error:
                raise ParseError(
                    f"not valid {encoding} text despite its byte-order mark ({error.reason})",
                    path,
                    offset=len(bom) + error.start,
                ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseError("binary content (NUL byte) in a text file", path, offset=nul)
    last: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            last = error
    assert last is not None
    raise ParseError(
        f"cannot decode the file as text ({', '.join(encodings)})", path, offset=last.start
    )


def split_lines(text: str) -> list[str]:
    """Split on LF (stripping any CRs before it: CRLF and the CR CR LF some Windows tools
    write); a file with CRs only (classic Mac) is split on CR."""
    if "\n" not in text and "\r" in text:
        return text.split("\r")
    return [line.rstrip("\r") for line in text.split("\n")]


def read_lines(path: str | Path, encodings: Sequence[str] = _FALLBACK_ENCODINGS) -> list[Line]:
    """Read a text file as numbered lines (a final empty line after the last LF is dropped)."""
    return read_lines_and_end(path, encodings)[0]


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a regular file (:class:`ParseError` for a device, a FIFO, an
    unreadable or an empty file)."""
    path = Path(path)
    require_regular_file(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ParseError(f"cannot read the file ({error.strerror or error})", path) from None
    if not data:
        raise ParseError("the file is empty", path, offset=0)
    return data


def read_lines_and_end(
    path: str | Path, encodings: Sequence[str] = _FALLBACK_ENCODINGS
) -> tuple[list[Line], bool]:
    """Like :func:`read_lines`, and whether the file ends with a line break.

    The flag comes from the same bytes as the lines: a file that does not end with a
    line break may have been cut inside its last line (see :func:`cut_reason`).
    """
    path = Path(path)
    text = decode(read_bytes(path), path, encodings)
    return numbered_lines(text), text.endswith(("\n", "\r"))


def numbered_lines(text: str, first: int = 1) -> list[Line]:
    """The lines of ``text`` numbered from ``first`` (no line ends; a final empty line
    after the last line break dropped)."""
    lines = split_lines(text)
    if lines and lines[-1] == "":
        lines.pop()
    return [Line(number, line) for number, line in enumerate(lines, start=first)]


#: Bytes of a file :func:`read_start` reads: every header of the text formats fits.
START_BYTES = 1 << 16


@dataclass(frozen=True)
class TextStart:
    """The start of a text file, read once: its first lines and where they are.

    Attributes
    ----------
    path
        The file.
    lines
        The complete lines of :attr:`data`, decoded and numbered from 1 (every line
        of the file when :attr:`whole`).
    offsets
        Byte offset in the file of each line of :attr:`lines`; None when the file is
        held as text only (UTF-16, or lines ending in CR alone: read whole).
    data
        The bytes read (the whole file when :attr:`whole`).
    size
        The file's size in bytes when it was opened.
    whole
        Whether :attr:`lines` are all the lines of the file.
    terminated
        Whether the file ends with a line break (meaningful when :attr:`whole`).
    lines_end
        Byte offset just after the last of :attr:`lines` (and its line break).
    """

    path: Path
    lines: list[Line]
    offsets: list[int] | None
    data: bytes
    size: int
    whole: bool
    terminated: bool
    lines_end: int


def read_start(path: str | Path, encodings: Sequence[str] = _FALLBACK_ENCODINGS) -> TextStart:
    """The first :data:`START_BYTES` of a text file as numbered lines with byte offsets.

    A reader checks its header on these lines before it reads the data, so that a
    file of another format is refused without being read whole; the data block is
    then read once (see :mod:`echem.io._text_table`). UTF-16 files and files whose
    lines end in CR alone are read whole, as text (``offsets`` None).

    Raises
    ------
    echem.ParseError
        Not a regular file, unreadable, empty, binary or undecodable.
    """
    path = Path(path)
    size = require_regular_file(path).st_size
    try:
        with open(path, "rb") as handle:
            data = handle.read(START_BYTES)
            whole = len(data) < START_BYTES or not handle.read(1)
            if whole and data:
                size = len(data)
    except OSError as error:
        raise ParseError(f"cannot read the file ({error.strerror or error})", path) from None
    if not data:
        raise ParseError("the file is empty", path, offset=0)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\n" not in data and b"\r" in data):
        data = read_bytes(path)
        text = decode(data, path, encodings)
        lines = numbered_lines(text)
        return TextStart(path, lines, None, data, len(data), True, _ends_line(data), len(data))
    complete = data if whole else data[: data.rfind(b"\n") + 1]
    if not complete:  # a first line longer than START_BYTES
        complete, whole = read_bytes(path), True
        data, size = complete, len(complete)
    text = decode(complete, path, encodings)
    texts = text.split("\n")
    chunks = complete.split(b"\n")
    offsets, at = [], 0
    for chunk in chunks:
        offsets.append(at)
        at += len(chunk) + 1
    if texts[-1] == "":  # after the last line break
        texts.pop()
        offsets.pop()
    lines = [Line(n, line.rstrip("\r")) for n, line in enumerate(texts, start=1)]
    return TextStart(path, lines, offsets, data, size, whole, _ends_line(data), len(complete))


def _ends_line(data: bytes) -> bool:
    return data.endswith((b"\n", b"\r"))


_NUMBER_SHAPE = re.compile(
    r"[-+]?(?P<int>\d*)(?P<point>[.,](?P<decimals>\d*))?(?:[eEdD][-+]?(?P<exp>\d*))?"
)


def value_shape(token: str, decimal_comma: bool = False) -> tuple[str, int, int]:
    """How a value is written, to compare the last row of a file with the rows before.

    A number: ``("number", decimals, exponent digits)`` (-1 for no point / no
    exponent); an integer: ``("integer", digits, -1)``; anything else: ``("text",
    length, -1)``. A number cut short is written otherwise than it was whole: it
    loses decimals, exponent digits, its point or (an integer) digits.
    """
    text = token.strip()
    match = _NUMBER_SHAPE.fullmatch(text) if text else None
    if match is None or not (match.group("int") or match.group("decimals")):
        return ("text", len(text), -1)
    point = match.group("point")
    if point is not None and (point[0] == ",") != decimal_comma:
        return ("text", len(text), -1)
    exponent = match.group("exp")
    if point is None and exponent is None:
        return ("integer", len(match.group("int")), -1)
    decimals = len(match.group("decimals")) if point is not None else -1
    return ("number", decimals, -1 if exponent is None else len(exponent))


#: Rows before the last whose values show how the writer writes a column.
SAMPLE_ROWS = 100
#: Separators a writer may end every row with (Parstat ends each row with a tab).
_ROW_ENDINGS = ("\t", ",", ";")

Row = tuple[Sequence[str], str]
"""A data row: its fields and the text of its line."""


def cut_reason(
    last: Row, before: Sequence[Row], width: int, *, decimal_comma: bool = False
) -> str | None:
    """Why the last row of a file that does not end with a line break cannot be
    trusted, or None when it is shown whole.

    Instruments end every line with a line break: a last line without one may have
    been cut anywhere (a copy cut short, a run still being written), and a number cut
    short is still a number (``-713.75358`` cut to ``-7`` reads -7.0). The row is
    shown whole when it has all ``width`` fields and either ends, as every row before
    does, with a separator after its last value, or its last value is written as that
    column is in
    every row before (same decimals and exponent digits; an integer with as many
    digits; text as long). It is shown cut when it lacks fields, lacks that final
    separator, or its last value is written otherwise; when the rows before write the
    column in varying ways (free-format numbers) nothing shows it whole, and it cannot
    be trusted either.

    Parameters
    ----------
    last
        The last row: its fields and its line's text.
    before
        Rows before it (at most :data:`SAMPLE_ROWS` are looked at).
    width
        How many fields a whole row has (the column names).
    decimal_comma
        Numbers are written ``1,5``.

    Returns
    -------
    str or None
        The reason, for a :class:`~echem.errors.TruncatedDataWarning` (the row is then
        left out); None when the row is whole, or has more fields than ``width`` (an
        error the table reports).
    """
    fields, text = last
    if len(fields) < width:
        return f"it has {len(fields)} of the {width} fields"
    if len(fields) > width:
        return None
    sample = [row for row in before[-SAMPLE_ROWS:] if len(row[0]) >= width]
    if not sample:
        return "no whole row before it shows how its last value is written"
    endings = {row_text.rstrip(" ")[-1:] for _, row_text in sample}
    if len(endings) == 1 and (ending := endings.pop()) in _ROW_ENDINGS:
        counts = {row_text.count(ending) for _, row_text in sample}
        if text.rstrip(" ").endswith(ending) and counts == {text.count(ending)}:
            return None
        return f"every row before ends with {ending!r} after its last value, this one does not"
    value = fields[width - 1].strip()
    shapes = {value_shape(row[width - 1], decimal_comma) for row, _ in sample}
    if len(shapes) > 1:
        return (
            f"its last value {value[:30]!r} cannot be shown whole: the {len(sample)} rows "
            "before write that column with varying digits"
        )
    if value_shape(value, decimal_comma) != shapes.pop():
        example = sample[-1][0][width - 1].strip()
        return f"its last value {value[:30]!r} is written unlike the rows before ({example[:30]!r})"
    return None


def warn_cut(path: str | Path, line: int, reason: str) -> None:
    """The :class:`~echem.errors.TruncatedDataWarning` for a last data line left out
    (``reason`` from :func:`cut_reason`)."""
    warn(
        f"{path}, line {line}: the last data line is cut short or cannot be shown whole,"
        f" left out: the file ends inside it (no line break after it) and {reason}"
        " (a copy interrupted, a run still being written; if the file is complete,"
        " end it with a line break)",
        TruncatedDataWarning,
    )


def fit_width(fields: list[str], width: int) -> list[str]:
    """``fields`` without the empty ones beyond ``width`` (a row ending with its
    separator)."""
    while len(fields) > width and not fields[-1].strip():
        fields.pop()
    return fields


def data_rows(
    lines: Sequence[Line],
    split: Callable[[str], Sequence[str]],
    terminated: bool,
    path: str | Path,
    *,
    width: int,
    decimal_comma: bool = False,
) -> list[tuple[int, Sequence[str]]]:
    """``(line number, fields)`` of every non-blank line, the last one left out with a
    :class:`~echem.errors.TruncatedDataWarning` when the file ends inside it without
    showing it whole (see :func:`cut_reason`).

    Parameters
    ----------
    lines
        The data lines of the file, in order (blank ones are skipped).
    split
        A line's text -> its fields (empty fields beyond ``width`` are dropped).
    terminated
        Whether the file ends with a line break after the last of ``lines``.
    path
        File name for the warning.
    width
        Fields of a whole row (the column names).
    decimal_comma
        Numbers are written ``1,5``.
    """
    body = [line for line in lines if line.text.strip()]
    rows = [(line.number, fit_width(list(split(line.text)), width)) for line in body]
    if terminated or not rows:
        return rows
    sample = [(fields, line.text) for (_, fields), line in zip(rows[:-1], body[:-1], strict=True)]
    reason = cut_reason((rows[-1][1], body[-1].text), sample, width, decimal_comma=decimal_comma)
    if reason is None:
        return rows
    warn_cut(path, rows[-1][0], reason)
    return rows[:-1]


def head_text(head: bytes) -> str | None:
    """Decode the first bytes of a file for sniffing; None when it looks binary.

    The head may end inside a multi-byte character; that is tolerated.
    """
    try:
        for bom, encoding in _BOMS:
            if head.startswith(bom):
                return head[len(bom) :].decode(encoding, errors="ignore")
        if b"\x00" in head:
            return None
        return head.decode("utf-8", errors="strict")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:
            return head[: error.start].decode("utf-8", errors="ignore")
        return head.decode("latin-1")
    except Exception:  # noqa: BLE001 - sniffers never raise
        return None


def parse_float(token: str, path: str | Path, line: int, *, decimal_comma: bool = False) -> float:
    """A number from a text token, or :class:`ParseError` naming file and line."""
    text = token.strip()
    if decimal_comma:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise ParseError(
            f"expected a number, found {token.strip()[:40]!r}", path, line=line
        ) from None


def _to_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def numeric_table(
    rows: Sequence[tuple[int, Sequence[str]]],
    names: Sequence[str],
    path: str | Path,
    *,
    required: Sequence[str] = (),
    decimal_comma: bool = False,
    blank: float = math.nan,
) -> pd.DataFrame:
    """Turn tokenised rows into a frame: numeric columns as floats, others as strings.

    Parameters
    ----------
    rows
        ``(line number, tokens)`` per data row; every row must have ``len(names)`` tokens.
    names
        Column names.
    path
        File name for error messages.
    required
        Columns that must be numeric in every row (the ones canonical columns come
        from); a non-number or an empty cell there raises :class:`ParseError` at its
        line (an empty cell would otherwise become a NaN that drops the row from
        ``spectra`` without notice).
    decimal_comma
        Read ``1,5`` as 1.5.
    blank
        Value of an empty cell in a numeric column that is not ``required``.
    """
    width = len(names)
    for number, tokens in rows:
        if len(tokens) != width:
            raise ParseError(f"expected {width} fields, found {len(tokens)}", path, line=number)
    columns: dict[str, object] = {}
    for index, name in enumerate(names):
        texts = [tokens[index].strip() for _, tokens in rows]
        if decimal_comma:
            texts = [text.replace(",", ".") for text in texts]
        values = np.empty(len(texts), dtype=float)
        bad = -1
        for position, text in enumerate(texts):
            if not text:
                if name in required:
                    raise ParseError(
                        f"column {name!r}: empty value (expected a number)",
                        path,
                        line=rows[position][0],
                    )
                values[position] = blank
                continue
            value = _to_float(text)
            if value is None:
                bad = position
                break
            values[position] = value
        if bad < 0:
            columns[name] = values
        elif name in required:
            raise ParseError(
                f"column {name!r}: expected a number, found {texts[bad][:40]!r}",
                path,
                line=rows[bad][0],
            )
        else:
            columns[name] = pd.array([tokens[index].strip() for _, tokens in rows], dtype=object)
    return columns_to_frame(columns, len(rows))


def columns_to_frame(columns: dict[str, object], length: int) -> pd.DataFrame:
    """A frame from a dict of equal-length columns (keeps an empty frame's length)."""
    return pd.DataFrame(columns, index=pd.RangeIndex(length))


def unique_names(names: Sequence[str]) -> list[str]:
    """Column names made unique by suffixing repeats with ``.1``, ``.2`` (pandas style);
    empty names become ``column N``."""
    seen: dict[str, int] = {}
    result = []
    for position, raw in enumerate(names, start=1):
        name = raw.strip() or f"column {position}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        result.append(name)
    return result


def safe_sniff(test: Callable[[str], bool]) -> Callable[[bytes], bool]:
    """Wrap a text test into a ``sniff(head) -> bool`` that decodes and never raises."""

    def sniff(head: bytes) -> bool:
        try:
            text = head_text(head)
            return text is not None and bool(test(text))
        except Exception:  # noqa: BLE001 - a sniffer must never raise
            return False

    return sniff


def iso_datetime(text: str, formats: Sequence[str]) -> str | None:
    """ISO 8601 from a date/time string tried against ``datetime.strptime`` formats;
    None when none matches (the raw text stays in the metadata)."""
    from datetime import datetime

    cleaned = " ".join(text.replace(".", " ").split()) if text else ""
    for candidate in (text.strip(), cleaned):
        for fmt in formats:
            try:
                return datetime.strptime(candidate, fmt).isoformat()
            except ValueError:
                continue
    return None
