"""Scribner ZPlot/ZView ``.z`` files, in both layouts.

* ``ZPLOT2 ASCII``: ``Key: value`` header lines, nested in ``Begin X`` / ``End X``
  sections, the tab-separated column header, ``End Comments``, then tab-separated rows.
* ``"ZPlotW Data File: Version ..."`` (no comment block): a few quoted lines, the
  null-configuration line, the planned point count, the quoted column header
  (names separated by 2+ spaces), then comma-separated rows. Autolab's FRA exports the
  same layout under ``"Z60W Data File"`` (see :mod:`echem.io.autolab`).

Columns: ``Freq(Hz) Ampl Bias Time(Sec) Z'(a) Z''(b) GD Err Range``; Z'' keeps its sign
(negative on capacitive arcs). The header's "Data Points" is the planned count; a
sweep stopped early has fewer rows (kept as ``metadata["Data Points"]``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from echem.errors import ParseError
from echem.io import Format
from echem.io._schema import build_frame
from echem.io._text import TextStart, iso_datetime, read_start, safe_sniff, unique_names
from echem.io._text_table import TableLayout, read_table

__all__ = ["FORMATS", "read_z", "read_zplotw_layout", "ALIASES"]

#: Canonical column -> candidates (original name, factor).
ALIASES: dict[str, list[tuple[str, float]]] = {
    "time_s": [("Time(Sec)", 1.0), ("Time (Sec)", 1.0)],
    "freq_Hz": [("Freq(Hz)", 1.0), ("Freq (Hz)", 1.0)],
    "z_real_ohm": [("Z'(a)", 1.0)],
    "z_imag_ohm": [("Z''(b)", 1.0)],
}
_REQUIRED = ("Freq(Hz)", "Freq (Hz)", "Z'(a)", "Z''(b)")
_DATE_FORMATS = ("%m-%d-%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%d-%m-%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")


def _split_row(text: str) -> list[str]:
    """Data fields: tab separated (ZPLOT2) or comma separated (ZPlotW, Autolab)."""
    if "\t" in text:
        fields = text.split("\t")
    else:
        fields = text.split(",")
    while fields and not fields[-1].strip():
        fields.pop()
    return [f.strip() for f in fields]


def _split_header(text: str) -> list[str]:
    """Column names: tab separated, or separated by two or more spaces inside quotes."""
    text = text.strip().strip('"')
    if "\t" in text:
        parts = text.split("\t")
    else:
        parts = re.split(r"\s{2,}", text.strip())
    return [p.strip() for p in parts if p.strip()]


def _frame(
    names: list[str],
    start: TextStart,
    first: int,
    *,
    format: str,
    metadata: dict,
    start_time: str | None,
) -> pd.DataFrame:
    """The frame of the rows from ``start.lines[first]`` on, under ``names``."""
    path = start.path
    names = unique_names(names)
    sample = next((ln for ln in start.lines[first:] if ln.text.strip()), None)
    if sample is not None and len(_split_row(sample.text)) != len(names):
        # A header split into more/less names than the data has fields.
        raise ParseError(
            f"the column header has {len(names)} names but the data "
            f"{len(_split_row(sample.text))} fields",
            path,
            line=sample.number,
        )
    layout = TableLayout(
        names=names,
        split=_split_row,
        separator="\t" if sample is not None and "\t" in sample.text else ",",
        required=[n for n in names if n in _REQUIRED],
    )
    raw = read_table(start, first, layout)
    if not any(n in raw for n in ("Freq(Hz)", "Freq (Hz)")):
        raise ParseError("no Freq(Hz) column in the header", path, line=first)
    return build_frame(
        raw,
        ALIASES,
        format=format,
        technique="eis",
        source=path.name,
        start_time=start_time,
        metadata=metadata,
    )


def _read_zplot2(start: TextStart) -> pd.DataFrame:
    """The ``ZPLOT2 ASCII`` layout (header with comments)."""
    lines, path = start.lines, start.path
    end = next((i for i, ln in enumerate(lines) if ln.text.strip() == "End Comments"), None)
    if end is None:
        raise ParseError("no 'End Comments' line in a ZPLOT2 file", path, line=lines[-1].number)
    if end < 2:
        raise ParseError("no column header before 'End Comments'", path, line=lines[end].number)
    metadata: dict[str, Any] = {"software": lines[0].text.strip()}
    stack: list[tuple[str, dict[str, Any]]] = []
    current: dict[str, Any] = metadata
    for line in lines[1 : end - 1]:
        text = line.text.strip()
        if not text:
            continue
        key, sep, value = text.partition(":")
        key, value = key.strip(), value.strip()
        in_comments = bool(stack) and stack[-1][0] == "User Comments"
        if key.startswith("End ") and stack and key[4:] == stack[-1][0]:
            current = stack.pop()[1]
        elif in_comments:
            # free text: a comment such as "Begin cycling: 3" opens no section
            current.setdefault("lines", []).append(line.text.strip())
        elif key.startswith("Begin "):
            section: dict[str, Any] = {}
            if value and value != "0":
                section["id"] = value
            current[key[6:]] = section
            stack.append((key[6:], current))
            current = section
        else:
            current[key] = value if sep else ""
    if "Measured Data, ZPlot" in metadata:
        metadata["software_version"] = metadata["Measured Data, ZPlot"]
    info = metadata.get("Information", {})
    if isinstance(info, dict) and "Surface Area" in info:
        metadata["area_cm2"] = _number(info["Surface Area"])
    when = f"{metadata.get('Date', '')} {metadata.get('Time', '')}".strip()
    start_time = iso_datetime(when, _DATE_FORMATS) if when else None
    names = _split_header(lines[end - 1].text)
    return _frame(names, start, end + 1, format="zplot", metadata=metadata, start_time=start_time)


def _number(text: Any) -> Any:
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def read_zplotw_layout(start: TextStart, *, format: str) -> pd.DataFrame:
    """The ``"ZPlotW/Z60W Data File"`` layout: quoted header lines then the data.

    The column header is the first line whose first name starts with ``Freq``.
    """
    lines, path = start.lines, start.path
    header = next(
        (
            i
            for i, ln in enumerate(lines)
            if ln.text.strip().strip('"').strip().startswith("Freq")
            and ("Z'" in ln.text or "Z''" in ln.text)
        ),
        None,
    )
    if header is None:
        raise ParseError("no column header line starting with 'Freq'", path, line=lines[-1].number)
    metadata: dict[str, Any] = {}
    free: list[str] = []
    for position, line in enumerate(lines[:header]):
        text = line.text.strip().strip('"').strip()
        if position == 0:
            metadata["software"] = text
            match = re.search(r"Version\s*(\S+)", text)
            if match:
                metadata["software_version"] = match.group(1)
            continue
        if not text:
            continue
        if position == header - 1 and re.fullmatch(r"\d+", text):
            metadata["Data Points"] = text
        elif position == header - 2 and re.fullmatch(r"[-+0-9.eE,\s]+", text):
            metadata["Null Configuration"] = text
        elif text.startswith("Date:"):
            for key, value in re.findall(r"(\w+):\s*(\S+)", text):
                metadata[key] = value
        elif text.startswith("Sweep "):
            metadata["Experiment Type"] = text
        elif ":" in text:
            key, _, value = text.partition(":")
            metadata[key.strip()] = value.strip()
        else:
            free.append(text)
    if free:
        metadata["comments"] = free
    when = f"{metadata.get('Date', '')} {metadata.get('Time', '')}".strip()
    start_time = iso_datetime(when, _DATE_FORMATS) if when else None
    names = _split_header(lines[header].text)
    return _frame(names, start, header + 1, format=format, metadata=metadata, start_time=start_time)


def read_z(path: str | Path) -> pd.DataFrame:
    """Read a ZPlot ``.z`` file (either layout) into the canonical tidy frame.

    Raises
    ------
    echem.ParseError
        Not a ZPlot file, or a malformed row (naming the line).
    """
    start = read_start(path)
    first = start.lines[0].text.strip()
    if first.startswith("ZPLOT2 ASCII"):
        return _read_zplot2(start)
    if first.strip('"').startswith("ZPlotW Data File"):
        return read_zplotw_layout(start, format="zplot")
    raise ParseError(
        "not a ZPlot file (first line is neither ZPLOT2 ASCII nor ZPlotW)", start.path, line=1
    )


def _looks_like_z(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    return first.startswith("ZPLOT2 ASCII") or first.strip('"').startswith("ZPlotW Data File")


FORMATS: tuple[Format, ...] = (
    Format(
        name="zplot",
        description="Scribner ZPlot/ZView impedance file (.z, with or without comments)",
        extensions=(".z",),
        sniff=safe_sniff(_looks_like_z),
        reader=read_z,
    ),
)
