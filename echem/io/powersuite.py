"""Princeton Applied Research PowerSuite impedance text export.

A tab-separated header ``Frequency  Zre  Zimg`` (names may carry leading spaces) and
rows of frequency [Hz], Z' [Ohm] and Z'' [Ohm] (sign kept: negative on capacitive
arcs). Lines end in CR CR LF in files written by PowerSuite; blank lines are skipped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from echem.errors import ParseError
from echem.io import Format
from echem.io._schema import build_frame
from echem.io._text import read_start, safe_sniff, split_lines, unique_names
from echem.io._text_table import TableLayout, read_table

__all__ = ["FORMATS", "read_powersuite"]

_ALIASES: dict[str, list[tuple[str, float]]] = {
    "freq_Hz": [("Frequency", 1.0)],
    "z_real_ohm": [("Zre", 1.0)],
    "z_imag_ohm": [("Zimg", 1.0)],
}


def _header(text: str) -> list[str]:
    return [name.strip() for name in text.split("\t")]


def read_powersuite(path: str | Path) -> pd.DataFrame:
    """Read a PowerSuite impedance text export into the canonical tidy frame.

    Raises
    ------
    echem.ParseError
        No ``Frequency Zre Zimg`` header, or a malformed row (naming the line).
    """
    path = Path(path)
    start = read_start(path)
    names = _header(start.lines[0].text)
    if names[:3] != ["Frequency", "Zre", "Zimg"]:
        raise ParseError(
            "not a PowerSuite export (header is not 'Frequency Zre Zimg')", path, line=1
        )
    layout = TableLayout(
        names=unique_names(names),
        split=_header,
        separator="\t",
        required=["Frequency", "Zre", "Zimg"],
    )
    raw = read_table(start, 1, layout)
    return build_frame(
        raw,
        _ALIASES,
        format="powersuite",
        technique="eis",
        source=path.name,
        metadata={"software": "PowerSuite"},
    )


def _looks_like_powersuite(text: str) -> bool:
    return _header(split_lines(text.lstrip("\ufeff"))[0])[:3] == ["Frequency", "Zre", "Zimg"]


FORMATS: tuple[Format, ...] = (
    Format(
        name="powersuite",
        description="Princeton Applied Research PowerSuite impedance text export",
        extensions=(".txt",),
        sniff=safe_sniff(_looks_like_powersuite),
        reader=read_powersuite,
    ),
)
