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

Canonical columns are converted from the unit on the table's units line (``mA`` -> A,
``kHz`` -> Hz...; Gamry itself writes SI units). Numbers may use decimal commas (Gamry
writes the Windows locale's separator) and MSVC's ``1.#INF``/``-1.#IND`` spellings.
A last row with no line break after it (the file cut short, or still being written) is
kept only when it is shown whole: all its fields, its last value written as that column
is in the rows before (:func:`echem.io._text.cut_reason`); else it is left out with a
:class:`echem.TruncatedDataWarning` naming it. A table with another number of rows than
its ``TABLE`` line declares warns too (a file cut at a line end). Indented lines outside
a table warn; a table row that lost its leading tab is a :class:`echem.ParseError`.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from echem.errors import EchemWarning, ParseError, TruncatedDataWarning
from echem.io import Format
from echem.io._schema import build_frame
from echem.io._tables import Tables
from echem.io._text import (
    Line,
    cut_reason,
    fit_width,
    iso_datetime,
    numeric_table,
    read_lines_and_end,
    safe_sniff,
    unique_names,
    warn_cut,
)
from echem.io._units import QUANTITY_OF, find_unit

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
#: TYPE fields of tagged lines: ``TAG<TAB>TYPE`` with nothing after it has no value
#: (``TAG<TAB>EISPOT``, the one line without a TYPE, has its value second).
_TYPES = _NUMERIC_TYPES | {
    "LABEL",
    "TOGGLE",
    "TWOPARAM",
    "SELECTOR",
    "PSTAT",
    "NOTES",
    "TABLE",
    "ONEPARAM",
    "IQUANTPARAM",
    "POTENPARAM",
    "OUTPUT",
    "PATH",
}
_CURVE = re.compile(r"CURVE(\d*)$")
#: Infinities and NaNs as the Microsoft C runtime prints them (``1.#INF00``, ``-1.#IND``).
_MSVC_SPECIAL = re.compile(r"([+-]?)1\.#(INF|IND|QNAN|SNAN)\d*")


def _unit_factor(canonical: str, unit: str) -> float | None:
    """Factor from a units-line entry to the canonical column's unit (its first word:
    "V vs. Ref." is V; see :func:`echem.io._units.find_unit`); 1 for no unit, None for
    a unit that is unknown or of another quantity."""
    if not unit.strip():
        return 1.0
    found = find_unit(unit.split()[0])
    return found[1] if found is not None and found[0] == QUANTITY_OF[canonical] else None


def _number(text: str) -> float | None:
    """A number written with a decimal point or (Gamry under a European locale) a
    decimal comma; None when ``text`` is not one."""
    text = text.strip()
    for candidate in (text, text.replace(",", ".") if text.count(",") == 1 else None):
        if candidate is None:
            continue
        try:
            return float(candidate)
        except ValueError:
            continue
    return None


def _value(kind: str, fields: list[str]) -> Any:
    """The value of a tagged line, typed by its TYPE field (None when it has none)."""
    if not fields or not fields[0].strip():
        return None
    if kind in _NUMERIC_TYPES:
        number = _number(fields[0])
        return fields[0] if number is None else number
    if kind == "TOGGLE":
        return fields[0].strip().upper() == "T"
    if kind == "TWOPARAM":
        values: list[Any] = [fields[0].strip().upper() == "T"]
        for text in fields[1:3]:
            number = _number(text)
            values.append(text if number is None else number)
        return values
    return fields[0]


def _declared_rows(fields: list[str]) -> int | None:
    """The row count of a ``NAME<TAB>TABLE<TAB>count`` line, None when absent."""
    if len(fields) < 3:
        return None
    text = fields[2].strip()
    return int(text) if text.isdigit() else None


def _table(
    name: str, lines: list[Line], start: int, path: Path, ends_with_newline: bool
) -> tuple[pd.DataFrame, dict, int]:
    """Parse the table whose ``NAME TABLE`` line is ``lines[start]``.

    Returns the raw frame, the column units and the index of the first line after it.
    The last row of the file, with no line break after it, is left out with a
    :class:`TruncatedDataWarning` unless it is shown whole; fewer rows than the
    ``TABLE`` line declares warn.
    """
    header = lines[start + 1] if start + 1 < len(lines) else None
    units = lines[start + 2] if start + 2 < len(lines) else None
    if header is None or not header.text.startswith("\t"):
        raise ParseError(
            f"table {name}: expected a tab-indented header line", path, line=lines[start].number + 1
        )
    names = unique_names(header.text.split("\t")[1:])
    unit_row = (
        units.text.split("\t")[1:] if units is not None and units.text.startswith("\t") else []
    )
    filled = [text for text in unit_row if text.strip()]
    if filled and all(_number(text) is not None for text in filled):
        unit_row = []  # a data row: this table has no units line
    index = start + 3 if unit_row else start + 2
    rows, texts = [], []
    while index < len(lines) and lines[index].text.startswith("\t"):
        tokens = fit_width(lines[index].text.split("\t")[1:], len(names))
        rows.append((lines[index].number, tokens))
        texts.append(lines[index].text)
        index += 1
    required = [n for n in names if n in {a for al in _ALIASES.values() for a, _ in al}]
    decimal_comma = _decimal_comma(rows, names, required)
    if rows and index == len(lines) and not ends_with_newline:
        reason = cut_reason(
            (rows[-1][1], texts[-1]),
            [(tokens, text) for (_, tokens), text in zip(rows[:-1], texts, strict=False)],
            len(names),
            decimal_comma=decimal_comma,
        )
        if reason is not None:
            warn_cut(path, rows[-1][0], reason)
            rows.pop()
    rows = [(number, [_special(t) for t in tokens]) for number, tokens in rows]
    declared = _declared_rows(lines[start].text.split("\t"))
    if declared is not None and declared != len(rows):
        warnings.warn(
            f"{path}, line {lines[start].number}: table {name} declares {declared} "
            f"rows, {len(rows)} read",
            TruncatedDataWarning if index == len(lines) and len(rows) < declared else EchemWarning,
            stacklevel=3,
        )
    raw = numeric_table(rows, names, path, required=required, decimal_comma=decimal_comma)
    unit_map = {n: (unit_row[i].strip() if i < len(unit_row) else "") for i, n in enumerate(names)}
    return raw, unit_map, index


def _special(token: str) -> str:
    """``token``, or ``inf``/``-inf``/``nan`` for an MSVC-printed special value."""
    match = _MSVC_SPECIAL.fullmatch(token.strip()) if "#" in token else None
    if match is None:
        return token
    return f"{match.group(1)}inf" if match.group(2) == "INF" else "nan"


def _decimal_comma(
    rows: list[tuple[int, list[str]]], names: list[str], required: list[str]
) -> bool:
    """Whether the numbers of a table use decimal commas (Gamry writes the Windows
    locale's separator): some canonical-source value has a comma and none has a point."""
    columns = [i for i, name in enumerate(names) if name in required]
    texts = [tokens[i] for _, tokens in rows for i in columns if i < len(tokens)]
    return any("," in t for t in texts) and not any("." in t for t in texts)


def _unit_aliases(units: dict[str, str], path: Path) -> dict[str, list[tuple[str, float]]]:
    """:data:`_ALIASES` reduced to the column each canonical one comes from, with the
    factor from that column's unit (``units``: column -> unit) to the canonical unit.

    A unit that is not one of the canonical column's kind (e.g. ``bits`` for a current)
    warns and the values are taken as they are.
    """
    aliases: dict[str, list[tuple[str, float]]] = {}
    for canonical, candidates in _ALIASES.items():
        present = [(original, factor) for original, factor in candidates if original in units]
        if not present:
            continue
        original, factor = present[0]
        scale = _unit_factor(canonical, units[original])
        if scale is None:
            warnings.warn(
                f"{path}: column {original!r} is in {units[original]!r}, not a unit "
                f"of {canonical}; its values are taken as they are",
                EchemWarning,
                stacklevel=4,
            )
            scale = 1.0
        aliases[canonical] = [(original, factor * scale)]
    return aliases


def _tidy(
    raw: pd.DataFrame,
    units: dict[str, str],
    technique: str,
    source: str,
    start_time: str | None,
    metadata: dict,
    path: Path,
) -> pd.DataFrame:
    return build_frame(
        raw,
        _unit_aliases(units, path),
        format="gamry-dta",
        technique=technique,
        source=source,
        start_time=start_time,
        metadata=metadata,
    )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _start_time(metadata: dict) -> str | None:
    date, time = metadata.get("DATE"), metadata.get("TIME")
    if not isinstance(date, str):
        return None
    text = f"{date} {time}" if isinstance(time, str) else date
    return iso_datetime(
        text,
        (
            "%m/%d/%Y %H:%M:%S",
            "%d/%m/%Y %H:%M:%S",
            "%Y-%m-%d %H:%M:%S",
            "%m/%d/%Y",
            "%d.%m.%Y %H:%M:%S",
        ),
    )


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
    lines, ends_with_newline = read_lines_and_end(path, encodings=("utf-8", "cp1252", "latin-1"))
    first = next((ln for ln in lines if ln.text.strip()), None)
    if first is None or first.text.strip() != "EXPLAIN":
        raise ParseError(
            "not a Gamry .DTA file (first line is not EXPLAIN)",
            path,
            line=first.number if first else 1,
        )
    metadata, raw_tables, notes = _parse(lines, lines.index(first) + 1, path, ends_with_newline)
    if not raw_tables:
        raise ParseError(
            "no data table (… TABLE line) in the Gamry file", path, line=lines[-1].number
        )
    main_name = _main_table(raw_tables)
    experiment = metadata.get("TAG")
    technique = _TECHNIQUES.get(str(experiment).upper(), "unknown")
    if main_name == "ZCURVE":
        technique = "eis"
    elif main_name.startswith("OCV"):  # e.g. an EIS run that ended before its sweep
        technique = "ocv"
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
        name: _tidy(
            raw,
            units,
            "ocv" if name.startswith("OCV") else "unknown",
            source,
            start_time,
            {"units": units},
            path,
        )
        for name, (raw, units) in raw_tables.items()
        if name not in consumed
    }
    units = raw_tables[main_name][1]
    _check_same_units([raw_tables[name][1] for name in sorted(consumed)], path)
    metadata["units"] = units
    aliases = {**_unit_aliases(units, path), "cycle": [("cycle", 1.0)]}
    frame = build_frame(
        main_raw,
        aliases,
        format="gamry-dta",
        technique=technique,
        source=source,
        start_time=start_time,
        metadata=metadata,
    )
    frame.attrs["tables"] = Tables(others)
    return frame


def _parse(
    lines: list[Line], index: int, path: Path, ends_with_newline: bool
) -> tuple[dict[str, Any], dict[str, tuple[pd.DataFrame, dict]], list[str]]:
    """Tagged values, tables (name -> raw frame, units) and notes, from ``lines[index:]``.

    A line that is not a tagged line and not inside a table or notes block is an error
    when it looks like a table row that lost its leading tab (the rows after it would be
    skipped), and an :class:`EchemWarning` when indented (it is skipped).
    """
    metadata: dict[str, Any] = {}
    raw_tables: dict[str, tuple[pd.DataFrame, dict]] = {}
    notes: list[str] = []
    stray: list[int] = []
    while index < len(lines):
        line = lines[index]
        if not line.text.strip():
            index += 1
            continue
        fields = line.text.split("\t")
        tag = fields[0].strip()
        kind = fields[1].strip() if len(fields) > 1 else ""
        if kind == "TABLE":
            raw, units, index = _table(tag, lines, index, path, ends_with_newline)
            name, suffix = tag, 1
            while name in raw_tables:
                suffix += 1
                name = f"{tag}.{suffix}"
            raw_tables[name] = (raw, units)
            continue
        if kind == "NOTES":
            index = _notes(tag, fields, lines, index, metadata, notes)
            continue
        if not tag:
            stray.append(line.number)
        elif _number(tag) is not None:
            raise ParseError(
                f"a line starting with the number {tag[:20]!r}: a table row "
                "without its leading tab, or not a Gamry tagged line",
                path,
                line=line.number,
            )
        elif kind in _TYPES or len(fields) > 2:
            metadata[tag] = _value(kind, fields[2:])
        else:  # "TAG<TAB>EISPOT" has no TYPE field: its second field is the value.
            metadata[tag] = kind or None
        index += 1
    if stray:
        shown = ", ".join(map(str, stray[:5])) + (", ..." if len(stray) > 5 else "")
        warnings.warn(
            f"{path}: {len(stray)} indented line(s) outside any table or notes "
            f"block skipped (line {shown})",
            EchemWarning,
            stacklevel=3,
        )
    return metadata, raw_tables, notes


def _notes(
    tag: str,
    fields: list[str],
    lines: list[Line],
    index: int,
    metadata: dict[str, Any],
    notes: list[str],
) -> int:
    """Read the ``TAG<TAB>NOTES<TAB>count`` block at ``lines[index]``; the next index."""
    count = _declared_rows(fields) or 0
    block = []
    index += 1
    while len(block) < count and index < len(lines) and lines[index].text.startswith("\t"):
        block.append(lines[index].text[1:])
        index += 1
    metadata[tag] = "\n".join(block).strip()
    notes.append(metadata[tag])
    return index


def _check_same_units(unit_maps: list[dict[str, str]], path: Path) -> None:
    """Concatenated CURVE tables must give their common columns the same units."""
    first = unit_maps[0]
    for other in unit_maps[1:]:
        for column, unit in other.items():
            if column in first and first[column] != unit:
                raise ParseError(
                    f"column {column!r} is in {first[column]!r} in one CURVE table "
                    f"and {unit!r} in another",
                    path,
                )


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
    return (
        bool(lines)
        and lines[0].strip() == "EXPLAIN"
        and any(ln.startswith("TAG\t") for ln in lines[1:5])
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
