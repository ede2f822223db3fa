"""What third-party parsers make of the real files, in echem's terms.

``../shared/data/real/reference.json`` holds, for each real file, the output of one
*reference* parser (galvani, yadg, eclabfiles, fastnda, NewareNDA, res2sqlite,
gamry-parser, zahner_analysis, impedance.py, pyimpspec, pandas): its tables with their
rows, columns, and first/last/min/max of the key columns, in the parser's own column
names and units, and the tolerance to compare at (``_about``).

:data:`CANONICAL_OF` is the one table that turns a parser's column into an echem
canonical column (name and factor to SI); :data:`FILE_NAMED` lists the parsers whose
column names are the file's own (echem must keep each of them, :func:`echem_name`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from conftest import REAL_DATA

__all__ = [
    "CANONICAL_OF",
    "FILE_NAMED",
    "IMPEDANCE_ONLY",
    "REFERENCE_JSON",
    "SORTED_BY",
    "Reference",
    "canonical_stats",
    "echem_name",
    "reference_entries",
    "tolerance",
]

REFERENCE_JSON = REAL_DATA / "reference.json"

#: mA.h -> C (1 mAh = 3.6 C).
_MAH = 3.6

#: EC-Lab's column names (galvani, eclabfiles and a plain pandas reading of the export
#: keep them): the first present of each canonical column is compared.
_EC_LAB: Mapping[str, tuple[str, float]] = {
    "time/s": ("time_s", 1.0),
    "Ewe/V": ("voltage_V", 1.0),
    "<Ewe>/V": ("voltage_V", 1.0),
    "<Ewe/V>": ("voltage_V", 1.0),
    "Ecell/V": ("voltage_V", 1.0),
    "I/mA": ("current_A", 1e-3),
    "<I>/mA": ("current_A", 1e-3),
    "(Q-Qo)/mA.h": ("charge_C", _MAH),
    "(Q-Qo)/C": ("charge_C", 1.0),
    "freq/Hz": ("freq_Hz", 1.0),
    "Re(Z)/Ohm": ("z_real_ohm", 1.0),
    "-Im(Z)/Ohm": ("z_imag_ohm", -1.0),
}

#: Reference parser -> {its column name: (echem canonical column, factor to SI)}.
#: Ohm is written as yadg writes it (U+03A9, Greek capital omega) and as PalmSens does
#: (U+2126, the ohm sign).
#: Within a parser, the first column present for a canonical column is the one compared.
#: Signs: echem's Z'' is negative on a capacitive arc; ``-Im(Z)`` and PalmSens' ``ZIm``
#: (stored as -Z'', reference.json's note) flip. Left out on purpose: fastnda's
#: ``capacity_mAh``/``energy_mWh`` and NewareNDA's capacities (unsigned per step, not
#: the signed cumulative ``charge_C``), yadg's ``uts`` (a Unix time, not time since the
#: start), PalmSens' ``potential`` (the set point) and ``Idc`` (its unit is the
#: reader's question: the type says µA, the symbol A).
CANONICAL_OF: Mapping[str, Mapping[str, tuple[str, float]]] = {
    "galvani.MPRfile": _EC_LAB,
    "galvani.MPTfile": _EC_LAB,
    "eclabfiles.to_df": _EC_LAB,
    "pandas (EC-Lab text)": _EC_LAB,
    "yadg": {
        "time [s]": ("time_s", 1.0),
        "Ewe [V]": ("voltage_V", 1.0),
        "<Ewe> [V]": ("voltage_V", 1.0),
        "Ecell [V]": ("voltage_V", 1.0),
        "I [mA]": ("current_A", 1e-3),
        "<I> [mA]": ("current_A", 1e-3),
        "(Q-Qo) [mA·h]": ("charge_C", _MAH),
        "(Q-Qo) [C]": ("charge_C", 1.0),
        "freq [Hz]": ("freq_Hz", 1.0),
        "Re(Z) [\u03a9]": ("z_real_ohm", 1.0),
        "-Im(Z) [\u03a9]": ("z_imag_ohm", -1.0),
    },
    "impedance.preprocessing": {
        "freq/Hz": ("freq_Hz", 1.0),
        "Zreal/Ohm": ("z_real_ohm", 1.0),
        "Zimag/Ohm": ("z_imag_ohm", 1.0),
    },
    "pyimpspec.parse_data": {
        "frequency/Hz": ("freq_Hz", 1.0),
        "real/Ohm": ("z_real_ohm", 1.0),
        "imag/Ohm": ("z_imag_ohm", 1.0),
    },
    "zahner_analysis": {
        "time/s": ("time_s", 1.0),
        "voltage/V": ("voltage_V", 1.0),
        "current/A": ("current_A", 1.0),
        "frequency/Hz": ("freq_Hz", 1.0),
        "Zreal/Ohm": ("z_real_ohm", 1.0),
        "Zimag/Ohm": ("z_imag_ohm", 1.0),
    },
    "fastnda.read": {
        "total_time_s": ("time_s", 1.0),
        "voltage_V": ("voltage_V", 1.0),
        "current_mA": ("current_A", 1e-3),
    },
    "NewareNDA.read": {  # its "Time" is the step time, not the time since the start
        "Voltage": ("voltage_V", 1.0),
        "Current(mA)": ("current_A", 1e-3),
    },
    "galvani.res2sqlite": {
        "Test_Time": ("time_s", 1.0),
        "Voltage": ("voltage_V", 1.0),
        "Current": ("current_A", 1.0),
    },
    "gamry_parser": {
        "Time": ("time_s", 1.0),
        "Vdc": ("voltage_V", 1.0),
        "Idc": ("current_A", 1.0),
        "Freq": ("freq_Hz", 1.0),
        "Zreal": ("z_real_ohm", 1.0),
        "Zimag": ("z_imag_ohm", 1.0),
    },
    "json(stdlib) pssession": {
        "Frequency [Hertz: Hz]": ("freq_Hz", 1.0),
        "ZRe [ZRe: \u2126]": ("z_real_ohm", 1.0),
        "ZIm [ZIm: \u2126]": ("z_imag_ohm", -1.0),
    },
}

#: Parsers whose column names are the file's own: echem must keep every one of them.
FILE_NAMED = frozenset(
    {
        "galvani.MPRfile",
        "galvani.MPTfile",
        "pandas (EC-Lab text)",
        "pandas.read_csv (sniffed)",
        "galvani.res2sqlite",
    }
)

#: The table of a multi-table reference that echem's frame is (the others go to
#: ``attrs["tables"]`` or metadata): parser -> table name.
DATA_TABLE: Mapping[str, str] = {"galvani.res2sqlite": "Channel_Normal_Table"}

#: Reference parsers that return the impedance points only: they are compared with
#: echem's rows that have a frequency (``exampleDataParstat.txt``: a galvanostatic
#: record, then 31 impedance points; echem's frame holds all 812 rows).
IMPEDANCE_ONLY = frozenset({"impedance.preprocessing", "pyimpspec.parse_data"})

#: Reference parser -> the canonical column it sorts rows by (ascending), where the
#: frame has it; echem keeps the file's order. zahner_analysis returns .ism spectra from
#: the lowest frequency; the file holds them in measurement order (02_peis_ocv.ism:
#: 200 kHz as big-endian float64 at byte 12, 165.51 kHz at 20, ..., 0.1 Hz at 532).
SORTED_BY: Mapping[str, str] = {"zahner_analysis": "freq_Hz"}

#: (reference parser or file, the parser's column name) -> echem's name for it, where
#: they differ by design; any other name is compared with surrounding spaces stripped
#: (echem's .mpt reader strips them: ``gcpl.pr_182.2.mpt``'s `` Ecell/V``).
_RENAMED: Mapping[tuple[str, str], str] = {
    # galvani keeps EC-Lab's packed flag byte; echem splits it into mode, ox/red,
    # error, ... as EC-Lab's export does
    ("galvani.MPRfile", "flags"): "mode",
    # column ID 441: <Ece>/V in the .mpt twins of cp.mpr and lsv.issue_195.mpr
    ("galvani.MPRfile", "<Ecv>/V"): "<Ece>/V",
    # BT-Lab's BCD names ID 6 Ecell/V (its .mpt twin; yadg#242)
    ("biologic/bcd.issue_241.mpr", "Ewe/V"): "Ecell/V",
}


def echem_name(file: str, parser: str, column: str) -> str:
    """echem's name for a column the reference parser names ``column`` in ``file``."""
    return _RENAMED.get((file, column)) or _RENAMED.get((parser, column)) or column.strip()


@dataclass(frozen=True)
class Reference:
    """One file's reference: the parser and the table echem's frame is compared with."""

    file: str  # path relative to the real-data folder
    parser: str
    rows: int
    columns: tuple[str, ...]
    stats: Mapping[str, Mapping[str, float | None]]


@cache
def _document() -> dict[str, Any]:
    if not REFERENCE_JSON.exists():
        return {}
    return json.loads(REFERENCE_JSON.read_text(encoding="utf-8"))


def reference_entries() -> dict[str, Reference | None]:
    """Every file with an entry in reference.json -> its :class:`Reference` (None when
    the entry has no reference table: a file that is not data, e.g. a companion
    header). Empty when reference.json is absent."""
    entries: dict[str, Reference | None] = {}
    for file, entry in _document().items():
        if file.startswith("_"):
            continue
        reference = entry.get("reference")
        if reference is None:
            entries[file] = None
            continue
        parser = reference["parser"]
        tables = reference["tables"]
        wanted = DATA_TABLE.get(parser)
        table = next(t for t in tables if t["name"] == wanted) if wanted else _only(tables, file)
        entries[file] = Reference(
            file, parser, table["rows"], tuple(table["columns"]), table.get("stats", {})
        )
    return entries


def _only(tables: list[dict[str, Any]], file: str) -> dict[str, Any]:
    if len(tables) != 1:
        raise ValueError(f"{file}: {len(tables)} reference tables; name one in DATA_TABLE")
    return tables[0]


def tolerance() -> float:
    """Relative tolerance of reference.json's ``_about``: the one for a file compared
    with a reading of the same file ("binary vs binary"; a text file read by pandas
    and by echem gives the same digits). The looser text-vs-binary figure is for a
    text export against its binary twin, which this comparison never is."""
    about = _document().get("_about", {}).get("compare", "")
    match = re.search(r"rtol\s+([0-9.eE+-]+)\s+\(binary vs binary\)", about)
    if match is None:
        raise ValueError(f"no 'rtol ... (binary vs binary)' in reference.json _about: {about!r}")
    return float(match.group(1))


def canonical_stats(reference: Reference) -> dict[str, tuple[str, dict[str, float]]]:
    """The reference's statistics of echem's canonical columns, in SI units.

    Returns canonical column -> (the parser's column, {"first", "last", "min", "max"}),
    NaN where the reference gives null (a NaN value). A negative factor swaps min and max.
    """
    table = CANONICAL_OF.get(reference.parser, {})
    found: dict[str, tuple[str, dict[str, float]]] = {}
    for column, (canonical, factor) in table.items():
        if canonical in found or column not in reference.stats:
            continue
        raw = {k: math.nan if v is None else float(v) for k, v in reference.stats[column].items()}
        values = {k: raw[k] * factor for k in ("first", "last")}
        low, high = ("min", "max") if factor > 0 else ("max", "min")
        values["min"], values["max"] = raw[low] * factor, raw[high] * factor
        found[canonical] = (column, values)
    return found
