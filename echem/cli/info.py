"""``echem info FILE...``: what a file holds (format, technique, rows, sweeps, metadata)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from echem.cli._command import Command, report_failure

__all__ = ["COMMAND", "describe", "summary"]

#: Label -> metadata keys to look for (first present wins), for the "key metadata" lines.
_KEY_METADATA: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("instrument", ("instrument", "Instrument Model", "device", "PSTAT")),
    ("software", ("software_version", "software", "ec_lab_version", "version")),
    ("area", ("area_cm2", "electrode_surface_area_cm2", "Electrode surface area", "AREA")),
    ("aborted", ("aborted",)),
)


def _span(values: pd.Series) -> tuple[float, float] | None:
    array = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    array = array[np.isfinite(array)]
    if not array.size:
        return None
    return float(array.min()), float(array.max())


def _find(metadata: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {str(k).lower(): v for k, v in metadata.items()}
    for key in keys:
        value = lowered.get(key.lower())
        if value not in (None, "", [], {}):
            return value
    return None


def _format_value(label: str, value: Any) -> str:
    if label == "area" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g} cm²"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def summary(df: pd.DataFrame) -> dict[str, Any]:
    """The facts ``echem info`` prints, as a dict (JSON-safe values).

    Keys: format, technique, rows, columns, time_s (min, max) or None, sweeps,
    freq_Hz (min, max) or None, start_time, tables, and the key metadata
    (instrument, software, area, aborted) when known.
    """
    from echem.eis.sweeps import spectra

    attrs = df.attrs
    facts: dict[str, Any] = {
        "format": attrs.get("format"),
        "technique": attrs.get("technique"),
        "rows": len(df),
        "columns": [str(c) for c in df.columns],
        "time_s": _span(df["time_s"]) if "time_s" in df.columns else None,
        "sweeps": None,
        "freq_Hz": None,
        "start_time": attrs.get("start_time"),
    }
    if "freq_Hz" in df.columns:
        sweeps = spectra(df)
        facts["sweeps"] = len(sweeps)
        if sweeps:
            facts["freq_Hz"] = _span(pd.concat([s["freq_Hz"] for s in sweeps]))
    tables = attrs.get("tables")
    if isinstance(tables, Mapping) and tables:
        facts["tables"] = {name: len(frame) for name, frame in tables.items()}
    metadata = attrs.get("metadata") or {}
    if isinstance(metadata, Mapping):
        for label, keys in _KEY_METADATA:
            value = _find(metadata, keys)
            if value is not None and not (label == "aborted" and value is False):
                facts[label] = value
    return facts


def _range(span: tuple[float, float] | None, unit: str) -> str:
    if span is None:
        return "-"
    low, high = span
    if math.isclose(low, high):
        return f"{low:g} {unit}"
    return f"{low:g} – {high:g} {unit}"


def describe(path: str, df: pd.DataFrame) -> str:
    """The text block printed for one file."""
    facts = summary(df)
    lines = [str(path)]

    def add(label: str, text: str) -> None:
        lines.append(f"  {label:<11} {text}")

    add("format", str(facts["format"]))
    add("technique", str(facts["technique"]))
    add("rows", str(facts["rows"]))
    columns = facts["columns"]
    shown = ", ".join(columns[:12]) + (f", … (+{len(columns) - 12})" if len(columns) > 12 else "")
    add("columns", f"{len(columns)}: {shown}")
    add("time", _range(facts["time_s"], "s"))
    if facts["sweeps"] is not None:
        add("EIS", f"{facts['sweeps']} sweep{'s' if facts['sweeps'] != 1 else ''}, "
                   f"{_range(facts['freq_Hz'], 'Hz')}")
    if facts["start_time"]:
        add("start time", str(facts["start_time"]))
    for label, _ in _KEY_METADATA:
        if label in facts:
            add(label, _format_value(label, facts[label]))
    if "tables" in facts:
        add("tables", ", ".join(f"{n} ({r} rows)" for n, r in facts["tables"].items()))
    return "\n".join(lines)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="instrument files to describe")
    parser.add_argument("--format", default=None,
                        help="force a format (see `python -c 'import echem; print(echem.formats())'`)")


def _run(args: argparse.Namespace) -> int:
    from echem.io import read

    failed = False
    for index, path in enumerate(args.files):
        try:
            text = describe(path, read(path, format=args.format))
        except (ValueError, OSError) as error:
            report_failure(path, error)
            failed = True
            continue
        if index:
            print()
        print(text)
    return 1 if failed else 0


COMMAND = Command(
    name="info",
    help="describe instrument files: format, technique, rows, EIS sweeps, metadata",
    add_arguments=_add_arguments,
    run=_run,
)
