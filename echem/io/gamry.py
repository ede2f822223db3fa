"""Gamry Framework ``.DTA`` files (EIS, OCV, CV, chronoamperometry...).

Layout: ``EXPLAIN`` then one tagged line per setting, ``NAME<TAB>TYPE<TAB>VALUE<TAB>
DESCRIPTION`` (TYPE is LABEL, QUANT, IQUANT, POTEN, TOGGLE, SELECTOR, TWOPARAM, PSTAT,
NOTES...). A ``NAME<TAB>TABLE[<TAB>count]`` line opens a table: a tab-indented header
line, a tab-indented units line, then tab-indented rows. A file may hold several
tables: a potentiostatic EIS file has ``OCVCURVE`` (open-circuit potential before the
sweep) then ``ZCURVE`` (the sweep); an aborted run has ``EXPERIMENTABORTED TOGGLE T``
and may be followed by further tables (``FRACURVE``).

The returned frame is the main table (``ZCURVE`` for EIS, else ``CURVE``/``CURVE1..n``
concatenated with a ``cycle`` index, else the largest table). Every other table is
in ``df.attrs["tables"][name]`` as its own tidy frame (same canonical columns), e.g.
``df.attrs["tables"]["OCVCURVE"]``. ``metadata`` holds every tagged value by its tag,
plus ``instrument``, ``software_version``, ``area_cm2``, ``notes``, ``aborted`` and
``units`` (column -> unit of the main table).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from echem.errors import ParseError
from echem.io import Format
from echem.io._schema import build_frame
from echem.io._tables import Tables
from echem.io._text import Line, iso_datetime, numeric_table, read_lines, safe_sniff, unique_names

__all__ = ["FORMATS", "read_dta"]

#: Canonical column -> (original column, factor) candidates, shared by every table.
_ALIASES: dict[str, list[tuple[str, float]]] = {
    "time_s": [("Time", 1.0), ("T", 1.0)],
    "voltage_V": [("Vf", 1.0), ("Vdc", 1.0), ("V", 1.0)],
    "current_A": [("Im", 1.0), ("Idc", 1.0), ("I", 1.0)],
    "charge_C": [("Q", 1.0)],
    "freq_Hz": [("Freq", 1.0)],
    "z_real_ohm": [("Zreal", 1.0)],
    "z_imag_ohm": [("Zimag", 1.0)],
}

#: Gamry experiment TAG -> technique.
_TECHNIQUES: dict[str, str] = {
    "EISPOT": "eis",
    "EISGALV": "eis",
    "EISMON": "eis",
    "CV": "cyclic_voltammetry",
    "CORPOT": "ocv",
    "CHRONOA": "potentiostatic",
    "CHRONOP": "galvanostatic",
    "LSV": "linear_sweep",
    "POTENTIOSTATIC": "potentiostatic",
    "GALVANOSTATIC": "galvanostatic",
}

_NUMERIC_TYPES = frozenset({"QUANT", "IQUANT", "POTEN"})
_CURVE = re.compile(r"CURVE(\d*)$")


def _value(kind: str, fields: list[str]) -> Any:
    """The value of a tagged line, typed by its TYPE field."""
    if not fields:
        return None
    if kind in _NUMERIC_TYPES:
        try:
            return float(fields[0])
        except ValueError:
            return fields[0]
    if kind == "TOGGLE":
        return fields[0].strip().upper() == "T"
    if kind == "TWOPARAM":
        values: list[Any] = [fields[0].strip().upper() == "T"]
        for text in fields[1:3]:
            try:
                values.append(float(text))
            except ValueError:
                values.append(text)
        return values
    return fields[0]


def _table(name: str, lines: list[Line], start: int, path: Path) -> tuple[pd.DataFrame, dict, int]:
    """Parse the table whose ``NAME TABLE`` line is ``lines[start]``.

    Returns the raw frame, the column units and the index of the first line after it.
    """
    header = lines[start + 1] if start + 1 < len(lines) else None
    units = lines[start + 2] if start + 2 < len(lines) else None
    if header is None or not header.text.startswith("\t"):
        raise ParseError(f"table {name}: expected a tab-indented header line", path,
                         line=lines[start].number + 1)
    names = unique_names(header.text.split("\t")[1:])
    unit_row = units.text.split("\t")[1:] if units is not None and units.text.startswith("\t") else []
    index = start + 3 if unit_row else start + 2
    rows = []
    while index < len(lines) and lines[index].text.startswith("\t"):
        tokens = lines[index].text.split("\t")[1:]
        while len(tokens) > len(names) and tokens[-1].strip() == "":
            tokens.pop()
        rows.append((lines[index].number, tokens))
        index += 1
    required = [n for n in names if n in {a for al in _ALIASES.values() for a, _ in al}]
    raw = numeric_table(rows, names, path, required=required)
    unit_map = {n: (unit_row[i].strip() if i < len(unit_row) else "") for i, n in enumerate(names)}
    return raw, unit_map, index


def _tidy(raw: pd.DataFrame, technique: str, source: str, start_time: str | None,
          metadata: dict) -> pd.DataFrame:
    return build_frame(raw, _ALIASES, format="gamry-dta", technique=technique, source=source,
                       start_time=start_time, metadata=metadata)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _start_time(metadata: dict) -> str | None:
    date, time = metadata.get("DATE"), metadata.get("TIME")
    if not isinstance(date, str):
        return None
    text = f"{date} {time}" if isinstance(time, str) else date
    return iso_datetime(text, ("%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S",
                               "%m/%d/%Y", "%d.%m.%Y %H:%M:%S"))


def read_dta(path: str | Path) -> pd.DataFrame:
    """Read a Gamry ``.DTA`` file into the canonical tidy frame.

    Parameters
    ----------
    path
        The ``.DTA`` file (latin-1/cp1252 text, tab separated).

    Returns
    -------
    pandas.DataFrame
        The main table (see the module docstring); ``attrs["tables"]`` holds the others.

    Raises
    ------
    echem.ParseError
        Not a Gamry file, a malformed table row (naming the line), or no table at all.
    """
    path = Path(path)
    lines = read_lines(path, encodings=("utf-8", "cp1252", "latin-1"))
    first = next((ln for ln in lines if ln.text.strip()), None)
    if first is None or first.text.strip() != "EXPLAIN":
        raise ParseError("not a Gamry .DTA file (first line is not EXPLAIN)", path,
                         line=first.number if first else 1)
    metadata: dict[str, Any] = {}
    raw_tables: dict[str, tuple[pd.DataFrame, dict]] = {}
    notes: list[str] = []
    index = 1 if lines[0].text.strip() == "EXPLAIN" else lines.index(first) + 1
    while index < len(lines):
        line = lines[index]
        if not line.text.strip():
            index += 1
            continue
        fields = line.text.split("\t")
        tag = fields[0].strip()
        kind = fields[1].strip() if len(fields) > 1 else ""
        if kind == "TABLE":
            raw, units, index = _table(tag, lines, index, path)
            name, suffix = tag, 1
            while name in raw_tables:
                suffix += 1
                name = f"{tag}.{suffix}"
            raw_tables[name] = (raw, units)
            continue
        if kind == "NOTES":
            count = 0
            try:
                count = int(float(fields[2]))
            except (IndexError, ValueError):
                count = 0
            block = []
            index += 1
            while len(block) < count and index < len(lines) and lines[index].text.startswith("\t"):
                block.append(lines[index].text[1:])
                index += 1
            metadata[tag] = "\n".join(block).strip()
            notes.append(metadata[tag])
            continue
        if tag and not line.text.startswith("\t"):
            # "TAG<TAB>EISPOT" has no TYPE field: its second field is the value.
            metadata[tag] = _value(kind, fields[2:]) if len(fields) > 2 else kind or None
        index += 1

    if not raw_tables:
        raise ParseError("no data table (… TABLE line) in the Gamry file", path,
                         line=lines[-1].number)
    main_name = _main_table(raw_tables)
    experiment = metadata.get("TAG")
    technique = _TECHNIQUES.get(str(experiment).upper(), "unknown")
    if main_name == "ZCURVE":
        technique = "eis"
    metadata.update(
        experiment=experiment,
        instrument=metadata.get("PSTAT") or metadata.get("PSTATSECTION"),
        software_version=_text_or_none(metadata.get("FRAMEWORKVERSION")),
        area_cm2=metadata.get("AREA"),
        notes="\n".join(notes) if notes else None,
        aborted=bool(metadata.get("EXPERIMENTABORTED", False)),
    )
    start_time = _start_time(metadata)
    source = path.name

    curves = sorted(
        (n for n in raw_tables if _CURVE.fullmatch(n) and n != "ZCURVE" and "." not in n),
        key=lambda n: int(_CURVE.fullmatch(n).group(1) or 0),  # type: ignore[union-attr]
    )
    if main_name in curves and len(curves) > 1:
        parts = []
        for cycle, name in enumerate(curves):
            part = raw_tables[name][0].copy()
            part.insert(0, "cycle", cycle)
            parts.append(part)
        main_raw = pd.concat(parts, ignore_index=True)
        consumed = set(curves)
    else:
        main_raw = raw_tables[main_name][0]
        consumed = {main_name}
    others = {
        name: _tidy(raw, "ocv" if name.startswith("OCV") else "unknown", source, start_time,
                    {"units": units})
        for name, (raw, units) in raw_tables.items()
        if name not in consumed
    }
    metadata["units"] = raw_tables[main_name][1]
    aliases_cycle = dict(_ALIASES)
    frame = build_frame(main_raw, {**aliases_cycle, "cycle": [("cycle", 1.0)]}, format="gamry-dta",
                        technique=technique, source=source, start_time=start_time,
                        metadata=metadata)
    frame.attrs["tables"] = Tables(others)
    return frame


def _main_table(tables: dict[str, tuple[pd.DataFrame, dict]]) -> str:
    """ZCURVE if present, else the first CURVE/CURVEn, else the largest table."""
    if "ZCURVE" in tables:
        return "ZCURVE"
    for name in tables:
        if _CURVE.fullmatch(name) and name != "OCVCURVE":
            return name
    return max(tables, key=lambda n: len(tables[n][0]))


def _looks_like_dta(text: str) -> bool:
    lines = text.lstrip().splitlines()
    return bool(lines) and lines[0].strip() == "EXPLAIN" and any(
        ln.startswith("TAG\t") for ln in lines[1:5]
    )


FORMATS: tuple[Format, ...] = (
    Format(
        name="gamry-dta",
        description="Gamry Framework data file (.DTA: EIS, OCV, CV, chrono...)",
        extensions=(".dta",),
        sniff=safe_sniff(_looks_like_dta),
        reader=read_dta,
    ),
)
