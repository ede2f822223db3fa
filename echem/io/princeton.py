"""Princeton Applied Research files: VersaStudio ``.par`` and Parstat text exports.

VersaStudio ``.par``: sections ``<Name> ... </Name>`` of ``key=value`` lines
(Application, Instrument, Experiment, Action0..n, Graph..., DockingLayout XML) and
data sections ``<Segment1>`` with ``Definition=Segment #, Point #, E(V), I(A), Elapsed
Time(s), ..., Frequency(Hz), ..., Z Real, Z Imag, ...`` followed by comma-separated
rows. Every section's ``key=value`` pairs go to ``metadata[section]``. ``Z Imag``
keeps its sign. Several segments are concatenated (``Segment #`` tells them apart).

Parstat text: a tab-separated header ``Potential (V)  Current (A)  Elapsed Time (s)
Frequency (Hz)  Zre (ohms)  Zim (ohms)  |Vac| (V)  |Iac| (A)`` and rows. Rows with
frequency 0 are not impedance points (e.g. the galvanostatic record before the EIS
sweep in the example file): their ``freq_Hz``/``z_*`` are NaN, the original columns
keep the zeros, and the technique is ``mixed`` when both kinds of rows are present.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import ParseError, TruncatedDataWarning
from echem.io import Format
from echem.io._caller import warn
from echem.io._schema import build_frame
from echem.io._text import (
    iso_datetime,
    numeric_table,
    read_lines_and_end,
    read_start,
    safe_sniff,
    unique_names,
)
from echem.io._text_table import TableLayout, read_table

__all__ = ["FORMATS", "read_par", "read_parstat"]

_PAR_ALIASES: dict[str, list[tuple[str, float]]] = {
    "time_s": [("Elapsed Time(s)", 1.0)],
    "voltage_V": [("E(V)", 1.0)],
    "current_A": [("I(A)", 1.0)],
    "freq_Hz": [("Frequency(Hz)", 1.0)],
    "z_real_ohm": [("Z Real", 1.0)],
    "z_imag_ohm": [("Z Imag", 1.0)],
}
_PARSTAT_ALIASES: dict[str, list[tuple[str, float]]] = {
    "time_s": [("Elapsed Time (s)", 1.0)],
    "voltage_V": [("Potential (V)", 1.0)],
    "current_A": [("Current (A)", 1.0)],
    "freq_Hz": [("Frequency (Hz)", 1.0)],
    "z_real_ohm": [("Zre (ohms)", 1.0)],
    "z_imag_ohm": [("Zim (ohms)", 1.0)],
}

#: VersaStudio action name (lower case, substring) -> technique.
_PAR_TECHNIQUES: tuple[tuple[str, str], ...] = (
    ("eis", "eis"),
    ("impedance", "eis"),
    ("cyclic voltammetry", "cyclic_voltammetry"),
    ("linear sweep", "linear_sweep"),
    ("open circuit", "ocv"),
    ("potentiostatic", "potentiostatic"),
    ("chronoamperometry", "potentiostatic"),
    ("galvanostatic", "galvanostatic"),
    ("chronopotentiometry", "galvanostatic"),
)

_SECTION = re.compile(r"<(/?)([A-Za-z][\w ]*)>$")


def _sources(aliases: dict[str, list[tuple[str, float]]]) -> frozenset[str]:
    return frozenset(name for candidates in aliases.values() for name, _ in candidates)


def _eis_mask(frame: pd.DataFrame) -> np.ndarray:
    """Rows that are impedance points: finite positive frequency."""
    freq = frame["freq_Hz"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(freq) & (freq > 0)


def _blank_non_eis(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """NaN frequency and impedance on rows that are not impedance points."""
    if "freq_Hz" not in frame.columns:
        return frame, 0
    mask = _eis_mask(frame)
    for name in ("freq_Hz", "z_real_ohm", "z_imag_ohm"):
        if name in frame.columns:
            values = frame[name].to_numpy(dtype=float, copy=True)
            values[~mask] = np.nan
            frame[name] = values
    return frame, int(mask.sum())


def _technique_from_rows(n_eis: int, n_rows: int, fallback: str) -> str:
    if n_rows and n_eis == n_rows:
        return "eis"
    if n_eis:
        return "mixed"
    return fallback


def read_par(path: str | Path) -> pd.DataFrame:
    """Read a VersaStudio ``.par`` file into the canonical tidy frame.

    Raises
    ------
    echem.ParseError
        Not a ``.par`` file, no ``<Segment>`` with data, or a malformed row.
    """
    path = Path(path)
    lines, terminated = read_lines_and_end(path)
    if lines[0].text.strip() != "<Application>":
        raise ParseError(
            "not a VersaStudio .par file (first line is not <Application>)", path, line=1
        )
    metadata: dict[str, Any] = {}
    segments: list[tuple[str, list[str], list[tuple[int, list[str]]], int]] = []
    section: str | None = None
    section_line = 0
    values: dict[str, Any] = {}
    names: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for line in lines:
        text = line.text.strip()
        match = _SECTION.match(text)
        if match and not match.group(1) and section is None:
            section, section_line, values, names, rows = match.group(2), line.number, {}, None, []
            continue
        if match and match.group(1):
            if section is None or match.group(2) != section:
                if section == "DockingLayout" or section is None:
                    continue
                raise ParseError(f"</{match.group(2)}> closes <{section}>", path, line=line.number)
            if names is not None:
                segments.append((section, names, rows, section_line))
            metadata[section] = values
            section = None
            continue
        if section is None or section == "DockingLayout" or not text:
            continue
        if names is not None:
            rows.append((line.number, [t.strip() for t in text.split(",")]))
            continue
        key, sep, value = text.partition("=")
        if not sep:
            continue
        if key == "Definition" and section.startswith("Segment"):
            names = [n.strip() for n in value.split(",")]
            continue
        values[key.strip()] = value.strip()
    if section is not None and section != "DockingLayout":
        # A file cut inside a section: keep what was read (a truncated segment).
        if names is not None:
            if rows and not terminated and rows[-1][0] == lines[-1].number:
                _warn_cut_row(path, section, rows[-1][0])
                rows = rows[:-1]
            segments.append((section, names, rows, section_line))
        metadata[section] = values
        metadata["truncated"] = True
    if not segments:
        raise ParseError("no <Segment> with a Definition= line", path, line=lines[-1].number)

    frames = []
    for name, definition, seg_rows, first_line in segments:
        width = max((len(tokens) for _, tokens in seg_rows), default=len(definition))
        # VersaStudio writes one more name than values ("..., AC Amplitude, 0").
        if width > len(definition):
            raise ParseError(
                f"{name}: rows have {width} fields, the Definition {len(definition)} names",
                path,
                line=first_line,
            )
        columns = unique_names(definition[:width])
        frames.append(
            numeric_table(
                seg_rows,
                columns,
                path,
                required=[c for c in columns if c in _sources(_PAR_ALIASES)],
            )
        )
    raw = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    application = metadata.get("Application", {})
    instrument = metadata.get("Instrument", {})
    experiment = metadata.get("Experiment", {})
    actions = [
        v.get("Name", "")
        for k, v in metadata.items()
        if k.startswith("Action") and isinstance(v, dict) and k != "Action0"
    ]
    fallback = "unknown"
    for action in actions:
        for needle, technique in _PAR_TECHNIQUES:
            if needle in action.lower():
                fallback = technique
                break
        if fallback != "unknown":
            break
    metadata.update(
        software="VersaStudio" if application.get("Name") is None else application.get("Name"),
        software_version=application.get("Version"),
        instrument=" ".join(filter(None, (instrument.get("Type"), instrument.get("Model"))))
        or None,
        serial_number=instrument.get("SN"),
        actions=actions,
    )
    area = metadata.get("Action0", {}).get("Working Electrode Area (cm2)")
    try:
        metadata["area_cm2"] = float(area) if area is not None else None
    except ValueError:
        metadata["area_cm2"] = area
    when = f"{experiment.get('DateAcquired', '')} {experiment.get('TimeAcquired', '')}".strip()
    start_time = (
        iso_datetime(
            when, ("%A, %B %d, %Y %I:%M:%S %p", "%B %d, %Y %I:%M:%S %p", "%A, %B %d, %Y %H:%M:%S")
        )
        if when
        else None
    )
    frame = build_frame(
        raw,
        _PAR_ALIASES,
        format="versastudio",
        technique=fallback,
        source=path.name,
        start_time=start_time,
        metadata=metadata,
    )
    frame, n_eis = _blank_non_eis(frame)
    frame.attrs["technique"] = _technique_from_rows(n_eis, len(frame), fallback)
    return frame


def _warn_cut_row(path: Path, section: str, line: int) -> None:
    """Warn that the data line a file ends in (inside ``<section>``) was left out."""
    warn(
        f"{path}, line {line}: the file ends inside <{section}> in the middle of a data line"
        " (file truncated or still being written); that line is left out",
        TruncatedDataWarning,
    )


def read_parstat(path: str | Path) -> pd.DataFrame:
    """Read a Parstat tab-separated text export into the canonical tidy frame.

    Raises
    ------
    echem.ParseError
        No recognisable header, or a malformed row (naming the line).
    """
    path = Path(path)
    start = read_start(path)
    header = _fields(start.lines[0].text)
    if "Frequency (Hz)" not in header or "Zre (ohms)" not in header:
        raise ParseError(
            "not a Parstat export (no 'Frequency (Hz)'/'Zre (ohms)' header)", path, line=1
        )
    names = unique_names(header)
    layout = TableLayout(
        names=names,
        split=_row_fields,
        separator="\t",
        required=[n for n in names if n in _sources(_PARSTAT_ALIASES)],
    )
    raw = read_table(start, 1, layout)
    frame = build_frame(
        raw,
        _PARSTAT_ALIASES,
        format="parstat",
        technique="unknown",
        source=path.name,
        metadata={"instrument": "Parstat"},
    )
    frame, n_eis = _blank_non_eis(frame)
    frame.attrs["technique"] = _technique_from_rows(n_eis, len(frame), "unknown")
    frame.attrs["metadata"]["eis_rows"] = n_eis
    return frame


def _fields(text: str) -> list[str]:
    """Tab-separated names, without the empty ones trailing tabs leave."""
    fields = _row_fields(text)
    while fields and fields[-1] == "":
        fields.pop()
    return fields


def _row_fields(text: str) -> list[str]:
    """Tab-separated values (Parstat ends each row with a tab: the empty field after
    it is dropped by the table, as are any beyond the names)."""
    return [f.strip() for f in text.split("\t")]


def _looks_like_par(text: str) -> bool:
    return text.lstrip("\ufeff").lstrip().startswith("<Application>") and (
        "<Segment" in text or "VersaStudio" in text or "<Instrument>" in text
    )


def _looks_like_parstat(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return "\t" in first and "Frequency (Hz)" in first and "Zre (ohms)" in first


FORMATS: tuple[Format, ...] = (
    Format(
        name="versastudio",
        description="Princeton Applied Research VersaStudio data file (.par)",
        extensions=(".par",),
        sniff=safe_sniff(_looks_like_par),
        reader=read_par,
    ),
    Format(
        name="parstat",
        description="Princeton Applied Research Parstat text export (tab separated)",
        extensions=(".txt",),
        sniff=safe_sniff(_looks_like_parstat),
        reader=read_parstat,
    ),
)
