"""Metrohm Autolab exports: FRA impedance (``"Z60W Data File"``) and NOVA column exports.

FRA (``autolab``): Autolab's FRA software exports impedance in the ZPlot-compatible
``Z60W`` layout: a first line ``"Z60W Data File: Version 1.1"`` (often with a UTF-8
byte-order mark), quoted comment lines, the null-configuration line, the planned point
count, the quoted column header (``Freq (Hz)  Ampl  Bias  Time(Sec)  Z'(a)  Z''(b)  GD
Err  Range``) and comma-separated rows. Z'' keeps its sign (negative on capacitive
arcs). Parsing is shared with :mod:`echem.io.zplot`.

NOVA (``autolab-nova``): NOVA's "Export ASCII data" writes the data grid of a plot as a
table, one header line of ``Name (unit)`` columns, comma-, tab- or semicolon-separated
(semicolon with decimal commas under a European Windows locale), no other header.
Column names, as NOVA 2 writes them and as public parsers of its exports expect them
(ixdat's ``readers/autolab.py``: ``WE(1).Potential (V)``, ``WE(1).Current (A)``,
``Time (s)``; the ``eisr`` R package's ``openNOVA`` for NOVA 2.1.3 impedance exports,
``Index;Frequency (Hz);Z' (Ω);-Z'' (Ω);Z (Ω);-Phase (°);Time (s)``; a CV export's
``Potential applied (V), Time (s), WE(1).Current (A), WE(1).Potential (V), Scan,
Index, Q+, Q-``):

* voltammetry and chrono methods: ``Potential applied (V)`` (the set point of the
  staircase: kept under its name, *not* ``voltage_V``), ``Time (s)``,
  ``WE(1).Current (A)``, ``WE(1).Potential (V)`` (the measured potential of the first
  working electrode: ``voltage_V``), ``WE(1).Charge (C)``, ``Scan`` (the CV cycle:
  ``cycle``), ``Index``, ``Q+``, ``Q-``, ``Corrected time (s)``; ``WE(2).…`` is a
  second working electrode and keeps its name;
* impedance (FRA32M): ``Index``, ``Frequency (Hz)``, ``Z' (Ω)``, ``-Z'' (Ω)`` (-Z'':
  flipped into ``z_imag_ohm``), ``Z (Ω)`` (the modulus), ``-Phase (°)``, ``Time (s)``.

Names are recognised by :func:`echem.io.delimited.recognise_column` (units converted,
a leading minus flipped), plus ``Scan``. The table is read by
:func:`echem.io.delimited.read_columns`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from echem.errors import ParseError
from echem.io import Format
from echem.io._text import read_start, safe_sniff
from echem.io.delimited import header_names, read_columns, recognise_column
from echem.io.zplot import read_zplotw_layout

__all__ = ["FORMATS", "read_autolab", "read_nova", "recognise_nova_column"]


def read_autolab(path: str | Path) -> pd.DataFrame:
    """Read an Autolab ``Z60W`` text export into the canonical tidy frame.

    Raises
    ------
    echem.ParseError
        Not a Z60W file, or a malformed row (naming the line).
    """
    path = Path(path)
    start = read_start(path)
    if not start.lines[0].text.strip().strip('"').startswith("Z60W Data File"):
        raise ParseError("not an Autolab Z60W file (first line)", path, line=1)
    frame = read_zplotw_layout(start, format="autolab")
    frame.attrs["metadata"].setdefault("instrument", "Autolab (FRA, Z60W export)")
    return frame


def _looks_like_z60w(text: str) -> bool:
    return text.lstrip("\ufeff").split("\n", 1)[0].strip().strip('"').startswith("Z60W Data File")


#: NOVA column names -> (canonical column, factor) beyond those every delimited table
#: shares (:func:`echem.io.delimited.recognise_column`).
_NOVA_COLUMNS: dict[str, tuple[str, float]] = {"Scan": ("cycle", 1.0)}
#: A quantity of one of NOVA's working electrodes: ``WE(1).Current (A)``.
_ELECTRODE_COLUMN = re.compile(r"^WE\(\d+\)\.")
#: Names that, in a header, are NOVA's own.
_NOVA_SIGNATURES = frozenset({"Potential applied (V)", "Corrected time (s)"})
#: The columns of a NOVA impedance export that no other writer names so together.
_NOVA_IMPEDANCE = frozenset({"Frequency (Hz)", "-Z'' (Ω)", "-Phase (°)"})


def recognise_nova_column(name: str) -> tuple[str, float] | None:
    """The canonical column a NOVA header name stands for, with its factor; None for
    a name that is not one (``Potential applied (V)``, ``WE(2).Current (A)``, ...)."""
    return _NOVA_COLUMNS.get(name.strip()) or recognise_column(name)


def _is_nova_header(names: list[str]) -> bool:
    """A header with a ``WE(n).`` column, a NOVA-only name, or NOVA's impedance set."""
    return (
        any(_ELECTRODE_COLUMN.match(name) for name in names)
        or bool(_NOVA_SIGNATURES.intersection(names))
        or _NOVA_IMPEDANCE <= set(names)
    )


def read_nova(path: str | Path) -> pd.DataFrame:
    """Read an Autolab NOVA column export (comma, tab or semicolon separated) into the
    canonical tidy frame.

    Returns
    -------
    pandas.DataFrame
        ``time_s`` [s] from ``Time (s)``, ``voltage_V`` [V] from ``WE(1).Potential (V)``,
        ``current_A`` [A] from ``WE(1).Current (A)``, ``charge_C`` [C], ``cycle`` from
        ``Scan``, ``freq_Hz``, ``z_real_ohm``, ``z_imag_ohm`` (= -``-Z'' (Ω)``), then
        every column under its NOVA name; ``attrs["format"]`` is ``"autolab-nova"``,
        ``technique`` ``eis`` for an impedance export, else ``unknown`` (the export
        does not name its method).

    Raises
    ------
    echem.ParseError
        The header names no NOVA column, or a malformed row (naming the line).
    """
    path = Path(path)
    start = read_start(path)
    names = header_names("\n".join(line.text for line in start.lines[:50]))
    if not _is_nova_header(names):
        raise ParseError(
            "not an Autolab NOVA export (no WE(1).… column, 'Potential applied (V)' or"
            " NOVA's impedance columns in the header)",
            path,
            line=1,
        )
    return read_columns(
        path,
        format="autolab-nova",
        recognise=recognise_nova_column,
        metadata={"software": "Autolab NOVA", "instrument": "Metrohm Autolab"},
        start=start,
    )


def _looks_like_nova(text: str) -> bool:
    return _is_nova_header(header_names(text))


FORMATS: tuple[Format, ...] = (
    Format(
        name="autolab",
        description="Metrohm Autolab FRA impedance export (Z60W text)",
        extensions=(".txt", ".z60"),
        sniff=safe_sniff(_looks_like_z60w),
        reader=read_autolab,
    ),
    Format(
        name="autolab-nova",
        description="Metrohm Autolab NOVA column export (comma, tab or semicolon text)",
        extensions=(),  # recognised by its header only: .txt and .csv files fall to csv
        sniff=safe_sniff(_looks_like_nova),
        reader=read_nova,
    ),
)
