"""CH Instruments text export (``.txt``: A.C. Impedance, CV, i-t, ...).

Layout: the date line (``Feb. 20, 2020   15:55:08``), the technique name
(``A.C. Impedance``), ``Key: value`` lines (File, Data Source, Instrument Model,
Header, Note), ``Name (unit) = value`` settings, then the comma-separated column
header (``Freq/Hz, Z'/ohm, Z"/ohm, Z/ohm, Phase/deg``), a blank line and the rows.
Z" keeps its sign (negative on capacitive arcs).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from echem.errors import ParseError
from echem.io import Format
from echem.io._schema import build_frame
from echem.io._text import iso_datetime, read_start, safe_sniff, split_lines, unique_names
from echem.io._text_table import TableLayout, read_table

__all__ = ["FORMATS", "read_chi"]

_ALIASES: dict[str, list[tuple[str, float]]] = {
    "time_s": [("Time/sec", 1.0), ("Time/s", 1.0), ("T/s", 1.0)],
    "voltage_V": [("Potential/V", 1.0), ("E/V", 1.0)],
    "current_A": [("Current/A", 1.0), ("i/A", 1.0)],
    "charge_C": [("Charge/C", 1.0)],
    "freq_Hz": [("Freq/Hz", 1.0)],
    "z_real_ohm": [("Z'/ohm", 1.0)],
    "z_imag_ohm": [('Z"/ohm', 1.0), ("Z''/ohm", 1.0)],
}
_SOURCES = frozenset(name for aliases in _ALIASES.values() for name, _ in aliases)

#: Technique line -> technique.
_TECHNIQUES: dict[str, str] = {
    "a.c. impedance": "eis",
    "impedance - time": "eis",
    "cyclic voltammetry": "cyclic_voltammetry",
    "linear sweep voltammetry": "linear_sweep",
    "amperometric i-t curve": "potentiostatic",
    "chronoamperometry": "potentiostatic",
    "chronopotentiometry": "galvanostatic",
    "open circuit potential - time": "ocv",
}

_DATE = re.compile(r"^[A-Z][a-z]{2,4}\.? +\d{1,2}, +\d{4} +\d{1,2}:\d{2}:\d{2}\s*$")


def read_chi(path: str | Path) -> pd.DataFrame:
    """Read a CH Instruments text export into the canonical tidy frame.

    Raises
    ------
    echem.ParseError
        Not a CHI export (no date line / column header), or a malformed row.
    """
    path = Path(path)
    start = read_start(path)
    lines = start.lines
    if not _DATE.match(lines[0].text.strip() + " "):
        raise ParseError("not a CH Instruments export (first line is not a date)", path, line=1)
    header = next((i for i, ln in enumerate(lines) if i > 0 and _is_column_header(ln.text)), None)
    if header is None:
        raise ParseError(
            "no column header (e.g. 'Freq/Hz, Z'/ohm, ...')", path, line=lines[-1].number
        )
    metadata: dict[str, Any] = {"date": lines[0].text.strip()}
    technique_line = lines[1].text.strip() if len(lines) > 1 else ""
    metadata["technique"] = technique_line
    for line in lines[2:header]:
        text = line.text.strip()
        if not text:
            continue
        if " = " in text:
            key, _, value = text.partition(" = ")
            metadata[key.strip()] = _number(value.strip())
        elif ":" in text:
            key, _, value = text.partition(":")
            metadata[key.strip()] = value.strip()
        else:
            metadata[text] = True
    if "Instrument Model" in metadata:
        metadata["instrument"] = metadata["Instrument Model"]
    names = unique_names(_fields(lines[header].text))
    layout = TableLayout(
        names=names,
        split=_fields,
        separator=",",
        required=[n for n in names if n in _SOURCES],
    )
    raw = read_table(start, header + 1, layout)
    start_time = iso_datetime(lines[0].text.strip(), ("%b %d, %Y %H:%M:%S",))
    technique = _TECHNIQUES.get(technique_line.lower(), "unknown")
    return build_frame(
        raw,
        _ALIASES,
        format="chinstruments",
        technique=technique,
        source=path.name,
        start_time=start_time,
        metadata=metadata,
    )


def _fields(text: str) -> list[str]:
    return [field.strip() for field in text.split(",")]


#: A header line "Key: value" (File:, Header:, Note:...) or a setting "Name (unit) = value".
_METADATA_LINE = re.compile(r"^\s*[A-Za-z][\w .()-]*:(\s|$)|\s=\s")


def _is_column_header(text: str) -> bool:
    """``Freq/Hz, Z'/ohm, ...``: comma separated, the first name with a unit after ``/``,
    not a number, and not a ``Key: value`` line (a Header or Note such as ``Li/Li3PS4/Li,
    0.8 mA/cm2`` was taken for the column header and the file could not be read)."""
    return (
        "," in text
        and "/" in text.split(",")[0]
        and not re.match(r"\s*[-+.\d]", text)
        and not _METADATA_LINE.match(text)
    )


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def _looks_like_chi(text: str) -> bool:
    lines = split_lines(text)
    return (
        len(lines) > 4
        and bool(_DATE.match(lines[0].strip() + " "))
        and any(ln.startswith(("File:", "Instrument Model:", "Data Source:")) for ln in lines[2:8])
    )


FORMATS: tuple[Format, ...] = (
    Format(
        name="chinstruments",
        description="CH Instruments text export (A.C. Impedance, CV, i-t...)",
        extensions=(".txt",),
        sniff=safe_sniff(_looks_like_chi),
        reader=read_chi,
    ),
)
