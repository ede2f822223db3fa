"""``echem info FILE...``: what a file holds (format, technique, rows, sweeps, metadata).

For each file a block like::

    peis.mpt
      format      biologic-mpt
      technique   eis (Potentio Electrochemical Impedance Spectroscopy)
      rows        32
      columns     38: time_s, voltage_V, current_A, ...
      time        448.157 – 464.257 s (16.1 s)
      EIS         1 sweep, 1.00006 – 199998 Hz
      start time  2021-03-02T16:17:59.000
      instrument  SP-240 (SN 0200)
      software    EC-Lab 11.33
      area        0.001 cm²

A file that cannot be read is reported in one line on stderr and the others go on; the exit
code is 1 when any file failed, 2 for a usage error (e.g. an unknown ``--format``).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from echem.cli._command import (
    add_format_option,
    add_inputs_argument,
    collect_inputs,
    report_input_error,
    report_skipped,
    shown_path,
)
from echem.io.area import electrode_area

__all__ = ["DESCRIPTION", "KEY_METADATA", "add_arguments", "describe", "run", "summary"]

#: Label -> metadata keys to look for, each with the template that prints its value (the
#: first key present with a non-empty value wins; keys are matched case-insensitively).
#: Readers store parsed numbers under ``*_cm2`` keys; the raw header text comes after them.
KEY_METADATA: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "instrument",
        (
            ("instrument", "{}"),
            ("Device", "{}"),  # BioLogic .mpt
            ("Instrument Model", "{}"),
            ("PSTAT", "{}"),  # Gamry
            ("device_serial", "BioLogic, SN {}"),  # BioLogic .mpr
        ),
    ),
    (
        "software",
        (
            ("software_version", "{}"),
            ("software", "{}"),
            ("ec_lab_version", "EC-Lab {}"),
        ),
    ),
    ("aborted", (("aborted", "{}"),)),
)

#: Metadata keys naming the instrument's own technique, shown after ``attrs["technique"]``.
_TECHNIQUE_NAMES: tuple[str, ...] = ("technique", "TITLE", "actions", "Experiment Type")

#: (threshold in s, unit, seconds per unit) for printing a duration, largest first.
_DURATION_UNITS: tuple[tuple[float, str, float], ...] = (
    (2 * 86400.0, "d", 86400.0),
    (2 * 3600.0, "h", 3600.0),
    (2 * 60.0, "min", 60.0),
    (0.0, "s", 1.0),
)

#: At most this many column names are listed.
_MAX_COLUMNS_SHOWN = 12


def _span(values: pd.Series) -> tuple[float, float] | None:
    """(min, max) of the finite values of a column, None when there is none."""
    array = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    array = array[np.isfinite(array)]
    if not array.size:
        return None
    return float(array.min()), float(array.max())


def _present(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, tuple, dict)):
        return len(value) > 0
    return True


def _lookup(metadata: Mapping[str, Any], key: str) -> Any:
    """The value of ``key`` in ``metadata`` (case-insensitive), None when absent."""
    if key in metadata:
        return metadata[key]
    lowered = key.lower()
    for name, value in metadata.items():
        if str(name).lower() == lowered:
            return value
    return None


def _key_fact(metadata: Mapping[str, Any], keys: tuple[tuple[str, str], ...]) -> str | None:
    """The first present key of a :data:`KEY_METADATA` row, printed by its template."""
    for key, template in keys:
        value = _lookup(metadata, key)
        if not _present(value):
            continue
        if isinstance(value, np.generic):
            value = value.item()
        try:
            return template.format(value)
        except (ValueError, TypeError):  # e.g. "{:g}" given text
            return str(value)
    return None


def _technique_name(metadata: Mapping[str, Any]) -> str | None:
    for key in _TECHNIQUE_NAMES:
        value = _lookup(metadata, key)
        if isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value))
        if _present(value):
            return str(value)
    return None


def summary(df: pd.DataFrame) -> dict[str, Any]:
    """The facts ``echem info`` prints, as a dict.

    Parameters
    ----------
    df
        A tidy frame from :func:`echem.read`.

    Returns
    -------
    dict
        ``format``, ``technique`` (``df.attrs``), ``technique_name`` (the instrument's own name
        for it, or None), ``rows``, ``columns`` (list of names), ``time_s`` ((min, max) in s, or
        None), ``sweeps`` (number of EIS sweeps, None without ``freq_Hz``), ``freq_Hz`` ((min,
        max) in Hz over the sweeps, or None), ``start_time``; ``tables`` ({name: rows}) when the
        file has secondary tables; each :data:`KEY_METADATA` label found (printed text); and
        ``area`` when :func:`echem.io.area.electrode_area` finds one in the header.
    """
    from echem.eis.sweeps import spectra

    attrs = df.attrs
    metadata = attrs.get("metadata")
    if not isinstance(metadata, Mapping):
        metadata = {}
    facts: dict[str, Any] = {
        "format": attrs.get("format"),
        "technique": attrs.get("technique"),
        "technique_name": _technique_name(metadata),
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
        facts["tables"] = {str(name): len(frame) for name, frame in tables.items()}
    for label, keys in KEY_METADATA:
        text = _key_fact(metadata, keys)
        if text is not None:
            facts[label] = text
    area = electrode_area(df)  # the one rule of echem.io.area, as echem coulometry uses
    if area.cm2 is not None:
        facts["area"] = str(area)
    return facts


def _duration(seconds: float) -> str:
    for threshold, unit, scale in _DURATION_UNITS:
        if seconds >= threshold:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"  # pragma: no cover - the last threshold is 0


def _range(span: tuple[float, float] | None, unit: str, *, duration: bool = False) -> str:
    """``low – high unit`` (one value when they coincide; ``-`` for None)."""
    if span is None:
        return "-"
    low, high = span
    if math.isclose(low, high):
        return f"{low:g} {unit}"
    text = f"{low:g} – {high:g} {unit}"
    return f"{text} ({_duration(high - low)})" if duration else text


def describe(path: str, df: pd.DataFrame) -> str:
    """The text block ``echem info`` prints for one file (no trailing newline).

    Parameters
    ----------
    path
        The name to head the block with.
    df
        The file's tidy frame (:func:`echem.read`).
    """
    facts = summary(df)
    lines = [str(path)]

    def add(label: str, text: str) -> None:
        lines.append(f"  {label:<11} {text}")

    add("format", str(facts["format"]))
    technique = str(facts["technique"])
    if facts["technique_name"]:
        technique += f" ({facts['technique_name']})"
    add("technique", technique)
    add("rows", str(facts["rows"]))
    columns = facts["columns"]
    shown = ", ".join(columns[:_MAX_COLUMNS_SHOWN])
    if len(columns) > _MAX_COLUMNS_SHOWN:
        shown += f", … (+{len(columns) - _MAX_COLUMNS_SHOWN})"
    add("columns", f"{len(columns)}: {shown}")
    add("time", _range(facts["time_s"], "s", duration=True))
    if facts["sweeps"] is not None:
        plural = "s" if facts["sweeps"] != 1 else ""
        add("EIS", f"{facts['sweeps']} sweep{plural}, {_range(facts['freq_Hz'], 'Hz')}")
    if facts["start_time"]:
        add("start time", str(facts["start_time"]))
    for label, _ in KEY_METADATA:
        if label in facts:
            add(label, facts[label])
    if "area" in facts:
        add("area", facts["area"])
    if "tables" in facts:
        add("tables", ", ".join(f"{n} ({r} rows)" for n, r in facts["tables"].items()))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_inputs_argument(parser, "instrument files to describe")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    from echem.io import read

    inputs, skipped = collect_inputs(args.files, recursive=args.recursive)
    for path, reason in skipped:
        report_skipped(path, reason)
    failed = not inputs
    printed = False
    for item in inputs:
        try:
            text = describe(shown_path(item.path), read(item.path, format=args.format))
        except (ValueError, OSError) as error:
            failed |= report_input_error(item, error)
            continue
        if printed:
            print()
        print(text, flush=True)
        printed = True
    return 1 if failed else 0


#: The text of ``echem info --help``.
DESCRIPTION = (
    "Describe each file: format, technique, rows, columns, time span, EIS sweeps and "
    "key metadata (instrument, software, electrode area). A file that cannot be read is "
    "named in one line on stderr and the others go on; exit code 1 if any failed. In a "
    "folder, every file is tried (subfolders too with -r): one that no format reads is "
    "named in one line as skipped, without failing the command."
)
