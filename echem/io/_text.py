"""Shared helpers of the text readers: decoding, line splitting, number parsing.

Every helper reports bad input as :class:`echem.ParseError` naming the file and the
1-based line, so that readers never leak ``UnicodeDecodeError``, ``IndexError`` or
``ValueError`` from ``float()``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from echem.errors import ParseError, TruncatedDataWarning

__all__ = [
    "Line",
    "read_lines",
    "read_lines_and_end",
    "data_rows",
    "number_shape",
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


@dataclass(frozen=True)
class Line:
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


def read_lines_and_end(
    path: str | Path, encodings: Sequence[str] = _FALLBACK_ENCODINGS
) -> tuple[list[Line], bool]:
    """Like :func:`read_lines`, and whether the file ends with a line break.

    The flag comes from the same bytes as the lines: a file that does not end with a
    line break may have been cut inside its last line (see :func:`data_rows`).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ParseError(f"cannot read the file ({error.strerror or error})", path) from None
    if not data:
        raise ParseError("the file is empty", path, offset=0)
    text = decode(data, path, encodings)
    lines = split_lines(text)
    if lines and lines[-1] == "":
        lines.pop()
    terminated = text.endswith(("\n", "\r"))
    return [Line(number, text) for number, text in enumerate(lines, start=1)], terminated


_NUMBER_SHAPE = re.compile(r"[-+]?\d*(?P<point>\.(?P<decimals>\d*))?(?:[eEdD][-+]?(?P<exp>\d*))?")


def number_shape(token: str) -> tuple[int, int] | None:
    """How a number is written: (digits after the point or -1 without a point, exponent
    digits or -1 without an exponent); None when the token is not written as a number."""
    match = _NUMBER_SHAPE.fullmatch(token.strip())
    if match is None or not token.strip():
        return None
    decimals = len(match.group("decimals")) if match.group("point") else -1
    exponent = len(match.group("exp")) if match.group("exp") is not None else -1
    return decimals, exponent


def data_rows(
    lines: Sequence[Line],
    split: Callable[[str], Sequence[str]],
    terminated: bool,
    path: str | Path,
    *,
    lookback: int = 3,
) -> list[tuple[int, Sequence[str]]]:
    """``(line number, fields)`` of every non-blank line, the last one left out when it
    looks cut inside its last value.

    A file copied only in part, or still being written, can end inside its last line:
    ``1.0157E-02`` cut to ``1.0157E-0`` still reads as a number (1.0157, a factor 100
    off). Instruments end every line with a line break, so a cut is looked for only
    when the file does not end with one, and only where the rows before show how the
    writer writes: the ``lookback`` rows before the last all end with the same
    separator and the last row does not (Parstat ends each row with a tab), or their
    last values are all written alike (same digits after the point, same exponent
    digits) and the last row's differs. Such a row is left out with a
    :class:`~echem.errors.TruncatedDataWarning` naming its line, as the BioLogic .mpt,
    Gamry and VersaStudio readers do. Fewer fields than the header are reported by
    the table itself; a cut that leaves a value written like the others (free-format
    numbers) cannot be seen.

    Parameters
    ----------
    lines
        The data lines of the file, in order (blank ones are skipped).
    split
        A line's text -> its fields.
    terminated
        Whether the file ends with a line break (see :func:`read_lines_and_end`).
    path
        File name for the warning.
    lookback
        How many rows before the last must agree to be evidence.
    """
    body = [line for line in lines if line.text.strip()]
    rows = [(line.number, split(line.text)) for line in body]
    if terminated or len(rows) <= lookback:
        return rows
    number, last = rows[-1]
    before = [tokens for _, tokens in rows[-1 - lookback : -1]]
    if not last or any(len(tokens) != len(last) for tokens in before):
        return rows
    texts = [line.text for line in body]
    endings = {text.rstrip(" ")[-1:] for text in texts[-1 - lookback : -1]}
    ending = endings.pop() if len(endings) == 1 else ""
    reason = None
    if ending in ("\t", ",", ";") and not texts[-1].rstrip(" ").endswith(ending):
        reason = f"the rows before end with {ending!r}, this one does not"
    else:
        shapes = {number_shape(tokens[-1]) for tokens in before}
        shape = shapes.pop() if len(shapes) == 1 else None
        if shape is not None and number_shape(last[-1]) != shape:
            reason = f"its last value {last[-1].strip()[:30]!r} is written unlike the rows before"
    if reason is None:
        return rows
    warnings.warn(
        f"{path}, line {number}: the last data line is cut short (no line break at the "
        f"end of the file; {reason}); left out",
        TruncatedDataWarning,
        stacklevel=3,
    )
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
