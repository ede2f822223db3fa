"""Metrohm Autolab FRA impedance export (``"Z60W Data File"`` text).

Autolab's FRA software exports impedance in the ZPlot-compatible ``Z60W`` layout: a
first line ``"Z60W Data File: Version 1.1"`` (often with a UTF-8 byte-order mark),
quoted comment lines, the null-configuration line, the planned point count, the quoted
column header (``Freq (Hz)  Ampl  Bias  Time(Sec)  Z'(a)  Z''(b)  GD  Err  Range``) and
comma-separated rows. Z'' keeps its sign (negative on capacitive arcs). Parsing is
shared with :mod:`echem.io.zplot`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from echem.errors import ParseError
from echem.io import Format
from echem.io._text import read_lines_and_end, safe_sniff
from echem.io.zplot import read_zplotw_layout

__all__ = ["FORMATS", "read_autolab"]


def read_autolab(path: str | Path) -> pd.DataFrame:
    """Read an Autolab ``Z60W`` text export into the canonical tidy frame.

    Raises
    ------
    echem.ParseError
        Not a Z60W file, or a malformed row (naming the line).
    """
    path = Path(path)
    lines, terminated = read_lines_and_end(path)
    if not lines[0].text.strip().strip('"').startswith("Z60W Data File"):
        raise ParseError("not an Autolab Z60W file (first line)", path, line=1)
    frame = read_zplotw_layout(path, lines, format="autolab", terminated=terminated)
    frame.attrs["metadata"].setdefault("instrument", "Autolab (FRA, Z60W export)")
    return frame


def _looks_like_z60w(text: str) -> bool:
    return text.lstrip("\ufeff").split("\n", 1)[0].strip().strip('"').startswith("Z60W Data File")


FORMATS: tuple[Format, ...] = (
    Format(
        name="autolab",
        description="Metrohm Autolab FRA impedance export (Z60W text)",
        extensions=(".txt", ".z60"),
        sniff=safe_sniff(_looks_like_z60w),
        reader=read_autolab,
    ),
)
