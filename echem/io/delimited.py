"""Generic delimited text (CSV, semicolon or tab separated), with or without a header.

* Headerless files with three or more numeric columns are read as ``freq [Hz], Z'
  [Ohm], Z'' [Ohm]`` (impedance.py's ``readCSV`` convention, Z'' sign as stored).
* With a header, columns are recognised by name and unit, e.g. ``freq/Hz``,
  ``Frequency (kHz)``, ``Z' (Ohm)``, ``Re(Z)/Ohm``, ``Zreal``, ``-Z''/Ohm``,
  ``-Im(Z)/kOhm``, ``Zimag``, ``time/s``, ``Ewe/V``, ``I/mA``: a leading minus means
  the column stores -Z'' and is flipped, units are converted (kHz, kOhm, mA, min...).
  A last ``#`` comment line with the same number of fields as the data is taken as the
  header (numpy ``savetxt`` / impedance.py ``saveCSV`` write ``# freq,Re(Z),Im(Z)``);
  other ``#`` lines go to ``metadata["comments"]``.
* Separators ``,`` ``;`` tab or whitespace; decimal commas when the separator is ``;``
  or tab and numbers are written ``1,5``.
* A header that names no known column reads with every column under its own name and
  an :class:`~echem.errors.EchemWarning` naming them.
* The start of the file decides the dialect and the header; the rows are then read
  once (:func:`echem.io._text_table.read_table`: pandas' C parser where its frame is
  provably echem's own, a last line without a line break kept only when shown whole).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from echem.errors import EchemWarning, ParseError
from echem.io import Format
from echem.io._caller import warn
from echem.io._schema import build_frame
from echem.io._text import Line, TextStart, read_start, safe_sniff, split_lines, unique_names
from echem.io._text_table import TableLayout, read_table
from echem.io._units import find_unit

__all__ = [
    "FORMATS",
    "read_delimited",
    "read_columns",
    "recognise_column",
    "header_names",
    "Dialect",
]

#: Normalised base name -> canonical column; with the quantity its unit must have.
_BASES: dict[str, tuple[str, str]] = {
    **{b: ("freq_Hz", "freq") for b in ("freq", "frequency", "f", "fre", "freq(hz)")},
    **{
        b: ("z_real_ohm", "ohm")
        for b in (
            "z'",
            "zreal",
            "zre",
            "re(z)",
            "rez",
            "real(z)",
            "zr",
            "z_real",
            "real",
            "re",
            "z'(a)",
            "zprime",
            "z_re",
            "rez",
        )
    },
    **{
        b: ("z_imag_ohm", "ohm")
        for b in (
            "z''",
            'z"',
            "zimag",
            "zim",
            "zimg",
            "im(z)",
            "imz",
            "imag(z)",
            "zi",
            "z_imag",
            "imag",
            "im",
            "z''(b)",
            "zdoubleprime",
            "z_im",
        )
    },
    **{b: ("time_s", "time") for b in ("time", "t", "elapsedtime", "testtime")},
    **{
        b: ("voltage_V", "volt")
        for b in ("ewe", "e", "voltage", "potential", "u", "v", "ecell", "<ewe>", "ewe-ece")
    },
    **{b: ("current_A", "amp") for b in ("i", "current", "<i>")},
    **{b: ("charge_C", "coulomb") for b in ("q", "charge", "(q-qo)")},
    **{b: ("cycle", "") for b in ("cycle", "cyclenumber", "cycle_number", "sweep")},
}
_DEFAULT_UNIT = {
    "freq": 1.0,
    "ohm": 1.0,
    "time": 1.0,
    "volt": 1.0,
    "amp": 1.0,
    "coulomb": 1.0,
    "": 1.0,
}
_UNIT_SUFFIX = re.compile(
    r"^(?P<base>.*?)\s*(?:/\s*(?P<u1>[^/()\[\]]+?)|\(\s*(?P<u2>[^()]+?)\s*\)"
    r"|\[\s*(?P<u3>[^\[\]]+?)\s*\])\s*$"
)


#: Autolab NOVA's prefix of the quantities of the first working electrode
#: (``WE(1).Potential (V)``); ``WE(2)`` is a second electrode, not the cell's.
_FIRST_ELECTRODE = re.compile(r"^WE\(1\)\.", re.IGNORECASE)


def recognise_column(name: str) -> tuple[str, float] | None:
    """The canonical column a header name stands for, with the factor to its unit.

    ``"-Z''/Ohm"`` -> ``("z_imag_ohm", -1.0)``, ``"freq/kHz"`` -> ``("freq_Hz", 1e3)``,
    ``"Zreal"`` -> ``("z_real_ohm", 1.0)``, ``"WE(1).Current (A)"`` (Autolab NOVA: the
    first working electrode) -> ``("current_A", 1.0)``; None when not recognised or the
    unit does not fit the quantity (NOVA's set point ``"Potential applied (V)"`` is not
    the measured voltage: not recognised).
    """
    text = _FIRST_ELECTRODE.sub("", name.strip().strip('"').strip())
    sign = 1.0
    if text.startswith("-"):
        sign, text = -1.0, text[1:].strip()
    unit: tuple[str, float] | None = None
    match = _UNIT_SUFFIX.match(text)
    if match:
        candidate = (match.group("u1") or match.group("u2") or match.group("u3") or "").strip()
        unit = find_unit(candidate)
        if unit is not None:
            text = match.group("base")
    base = (
        re.sub(r"[\s_]+", "", text).lower().replace("’", "'").replace("″", "''").replace("′", "'")
    )
    if base not in _BASES:
        base = re.sub(r"[\s]+", "", text).lower()
        if base not in _BASES:
            return None
    canonical, quantity = _BASES[base]
    if unit is None:
        factor = _DEFAULT_UNIT[quantity]
    else:
        unit_quantity, factor = unit
        if unit_quantity != quantity:
            return None
    if sign < 0 and canonical != "z_imag_ohm":
        return None
    return canonical, sign * factor


@dataclass(frozen=True)
class Dialect:
    """How a delimited file is written."""

    delimiter: str | None  # None: runs of whitespace
    decimal_comma: bool


def _split(text: str, dialect: Dialect) -> list[str]:
    fields = text.split(dialect.delimiter) if dialect.delimiter else text.split()
    if dialect.delimiter and fields and fields[-1].strip() == "" and len(fields) > 1:
        fields = fields[:-1]
    return [f.strip().strip('"').strip() for f in fields]


def _is_number(token: str, decimal_comma: bool) -> bool:
    text = token.strip()
    if decimal_comma:
        text = text.replace(",", ".")
    try:
        float(text)
    except ValueError:
        return False
    return True


def _guess_dialect(samples: Sequence[str]) -> Dialect | None:
    """Pick the separator that splits the sample lines into the same 3+ fields."""
    for delimiter in ("\t", ";", ","):
        counts = {len(_split(s, Dialect(delimiter, False))) for s in samples}
        if len(counts) == 1 and counts.pop() >= 2:
            data = [s for s in samples if not _looks_like_header(s, delimiter)]
            decimal_comma = (
                delimiter != ","
                and any(re.search(r"\d,\d", s) for s in data)
                and not any(re.search(r"\d\.\d", s) for s in data)
            )
            return Dialect(delimiter, decimal_comma)
    counts = {len(s.split()) for s in samples}
    if len(counts) == 1 and counts.pop() >= 2:
        return Dialect(None, False)
    return None


def _raise_uneven_row(sample: Sequence[Line], path: Path) -> None:
    """When the first line splits into 2+ fields on a separator that every sample line
    holds, raise :class:`ParseError` at the first line with another field count (an
    extra or a missing value in the first rows, rather than no separator at all)."""
    for delimiter in ("\t", ";", ","):
        widths = [len(_split(line.text, Dialect(delimiter, False))) for line in sample]
        if widths[0] >= 2 and min(widths) >= 2:
            odd = next(i for i, width in enumerate(widths) if width != widths[0])
            raise ParseError(
                f"expected {widths[0]} fields (as on line {sample[0].number}), found {widths[odd]}",
                path,
                line=sample[odd].number,
            )


def _looks_like_header(text: str, delimiter: str | None) -> bool:
    fields = text.split(delimiter) if delimiter else text.split()
    return not all(_is_number(f, False) or _is_number(f, True) for f in fields if f.strip())


def _content(lines: Sequence[Line]) -> tuple[list[Line], list[Line]]:
    """(comment lines before the table, the non-empty non-comment lines)."""
    comments, body = [], []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        if text.startswith("#") and not body:
            comments.append(line)
        elif not text.startswith("#"):
            body.append(line)
    return comments, body


def read_delimited(path: str | Path) -> pd.DataFrame:
    """Read a delimited text table into the canonical tidy frame.

    A table whose header names no known column reads with every column under its own
    name and an :class:`~echem.errors.EchemWarning` naming them.

    Raises
    ------
    echem.ParseError
        No table, inconsistent rows, or non-numeric values in a recognised column.
    """
    return read_columns(path, format="csv", recognise=recognise_column)


def read_columns(
    path: str | Path,
    *,
    format: str,
    recognise: Callable[[str], tuple[str, float] | None],
    metadata: dict[str, object] | None = None,
    start: TextStart | None = None,
) -> pd.DataFrame:
    """Read a delimited table whose header names its columns (or impedance.py's
    headerless ``freq, Z', Z''``), recognising canonical columns with ``recognise``.

    Parameters
    ----------
    path
        The file.
    format
        ``attrs["format"]`` of the frame.
    recognise
        A header name -> (canonical column, factor to its unit), or None.
    metadata
        Entries put first in ``attrs["metadata"]``.
    start
        The start of the file when the caller has read it already.
    """
    path = Path(path)
    start = read_start(path) if start is None else start
    comments, body = _content(start.lines)
    if not body:
        raise ParseError(
            "no table rows (only comments or blank lines)", path, line=start.lines[-1].number
        )
    dialect = _guess_dialect([ln.text for ln in body[:20]] if len(body) > 1 else [body[0].text])
    if dialect is None:
        _raise_uneven_row(body[:20], path)
        raise ParseError(
            "cannot find a consistent separator (, ; tab or spaces)", path, line=body[0].number
        )
    first = _split(body[0].text, dialect)
    has_header = not all(_is_number(t, dialect.decimal_comma) for t in first if t)
    metadata = dict(metadata or {})
    if has_header:
        names, rows_from = first, body[0].number  # the line after the header
    else:
        names, rows_from = None, body[0].number - 1
        if comments:
            candidate = _split(comments[-1].text.lstrip("#").strip(), dialect)
            if len(candidate) == len(first) and any(recognise(c) for c in candidate):
                names = candidate
                comments = comments[:-1]
    if comments:
        metadata["comments"] = [c.text.lstrip("#").strip() for c in comments]
    width = len(first)
    if names is None:
        if width < 3:
            raise ParseError(
                "a headerless table needs 3 columns (freq, Z', Z'')", path, line=body[0].number
            )
        names = ["freq_Hz", "z_real_ohm", "z_imag_ohm"] + [
            f"column {i}" for i in range(4, width + 1)
        ]
        aliases = {
            "freq_Hz": [("freq_Hz", 1.0)],
            "z_real_ohm": [("z_real_ohm", 1.0)],
            "z_imag_ohm": [("z_imag_ohm", 1.0)],
        }
        metadata["header"] = None
    else:
        names = unique_names(names)
        aliases = {}
        for name in names:
            found = recognise(name)
            if found and found[0] not in aliases:
                aliases[found[0]] = [(name, found[1])]
        if not aliases:
            warn(
                f"{path}, line {body[0].number}: no column of the header is one echem knows"
                f" (e.g. freq/Hz, Z'/Ohm, time/s, Ewe/V, I/mA): {names}; every column is"
                " kept under its own name, with no canonical column",
                EchemWarning,
            )
        metadata["header"] = list(names)
    required = [original for candidates in aliases.values() for original, _ in candidates]
    layout = TableLayout(
        names=names,
        split=lambda text: _split(text, dialect),
        separator=dialect.delimiter,
        decimal_comma=dialect.decimal_comma,
        required=required,
        quoted=True,
        skip=_is_comment,
    )
    raw = read_table(start, min(rows_from, len(start.lines)), layout)
    metadata["delimiter"] = dialect.delimiter or "whitespace"
    metadata["decimal_comma"] = dialect.decimal_comma
    has_z = {"freq_Hz", "z_real_ohm", "z_imag_ohm"} <= set(aliases)
    return build_frame(
        raw,
        aliases,
        format=format,
        technique="eis" if has_z else "unknown",
        source=path.name,
        metadata=metadata,
    )


def _is_comment(text: str) -> bool:
    return text.lstrip().startswith("#")


def header_names(text: str) -> list[str]:
    """The names of the first line that is not blank or a ``#`` comment, split on the
    separator that splits it into most fields (tab, ``;`` or ``,``); [] for none."""
    line = next((ln for ln in split_lines(text) if ln.strip() and not _is_comment(ln)), "")
    counts = [(len(_split(line, Dialect(sep, False))), sep) for sep in ("\t", ";", ",")]
    width, separator = max(counts)
    return _split(line, Dialect(separator, False)) if width > 1 else []


def _looks_like_table(text: str) -> bool:
    """A header with recognised impedance columns, or 3+ numeric columns throughout."""
    lines = split_lines(text)
    if len(lines) > 1:
        lines = lines[:-1]  # the head may end mid-line
    comment_free = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")][:20]
    if not comment_free:
        return False
    dialect = _guess_dialect(comment_free)
    if dialect is None:
        return False
    first = _split(comment_free[0], dialect)
    if all(_is_number(t, dialect.decimal_comma) for t in first):
        return len(first) >= 3 and all(
            all(_is_number(t, dialect.decimal_comma) for t in _split(ln, dialect))
            for ln in comment_free[1:]
        )
    found = {hit[0] for hit in map(recognise_column, first) if hit}
    return "freq_Hz" in found and ("z_real_ohm" in found or "z_imag_ohm" in found)


FORMATS: tuple[Format, ...] = (
    Format(
        name="csv",
        description="Delimited text (CSV/TSV/semicolon): freq, Z', Z'' or named columns",
        extensions=(".csv", ".tsv", ".txt", ".dat"),
        sniff=safe_sniff(_looks_like_table),
        reader=read_delimited,
    ),
)
