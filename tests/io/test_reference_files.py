"""Every real file with an entry in reference.json, read by echem and compared with the
reference parser's values (``tests/reference.py``): rows; first, last, min and max of
time, voltage, current, charge, frequency, Z' and Z'' in SI units; every column the
file names kept under its name. A file added to ../shared/data/real with its entry is
checked with no edit here.

A format echem does not read yet is a strict xfail, one row of :data:`NOT_READ_YET`:
the day a reader lands, the test fails until its row is removed. An entry without a
reference table (a file that is not data: Zahner's ``_c.txt`` header beside its
``.isw``) must be refused with a ParseError, not read as a table.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import REAL_DATA, SKIP_REASON, real
from reference import (
    CANONICAL_OF,
    FILE_NAMED,
    IMPEDANCE_ONLY,
    SORTED_BY,
    Reference,
    canonical_stats,
    echem_name,
    reference_entries,
    tolerance,
)

import echem

#: Folder (format family) -> the format echem does not read yet.
NOT_READ_YET: dict[str, str] = {}

#: Files that must be refused although a parser reads them as a plain table, and why.
REFUSED: dict[str, str] = {
    # impedance.py's deliberately broken export: an EIS technique without its
    # frequency column (its rows have 18 values under 17 names)
    "biologic-mpt/exampleDataBioLogic_MissingFreq.mpt": "freq/Hz",
}

ENTRIES = reference_entries()
#: The statistics compared, from reference.json.
STATISTICS = ("first", "last", "min", "max")


def _case(file: str) -> object:
    folder = next((f for f in NOT_READ_YET if file.startswith(f)), None)
    if folder is None or ENTRIES[file] is None:
        return file
    reason = f"echem does not read {NOT_READ_YET[folder]} yet"
    return pytest.param(file, marks=pytest.mark.xfail(strict=True, reason=reason))


DATA_FILES = [_case(f) for f, ref in ENTRIES.items() if ref is not None and f not in REFUSED]
NOT_DATA = [f for f, ref in ENTRIES.items() if ref is None or f in REFUSED]


def _read(file: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", echem.EchemWarning)
        return echem.read(real(file))


@pytest.mark.parametrize("file", DATA_FILES)
def test_rows_and_key_columns_match_the_reference(file: str) -> None:
    reference = ENTRIES[file]
    assert isinstance(reference, Reference)
    frame = _read(file)
    if reference.parser in IMPEDANCE_ONLY:
        frame = frame[frame["freq_Hz"].notna()]
    assert len(frame) == reference.rows, f"rows vs {reference.parser}"
    order = SORTED_BY.get(reference.parser)
    if order in frame.columns:
        frame = frame.sort_values(order, kind="stable")
    rtol = tolerance()
    compared = canonical_stats(reference)
    assert compared or reference.rows == 0, f"no column of {reference.parser} is mapped"
    for canonical, (column, expected) in compared.items():
        assert canonical in frame.columns, f"{reference.parser}'s {column!r} has no {canonical}"
        values = frame[canonical].to_numpy(dtype=float)
        got = _statistics(values)
        scale = max((abs(v) for v in expected.values() if math.isfinite(v)), default=0.0)
        for name in STATISTICS:
            want = expected[name]
            message = f"{canonical} {name} vs {reference.parser}'s {column!r}"
            if math.isnan(want):
                assert math.isnan(got[name]), message
            else:
                assert got[name] == pytest.approx(want, rel=rtol, abs=rtol * scale), message


@pytest.mark.parametrize("file", DATA_FILES)
def test_every_column_the_file_names_is_kept(file: str) -> None:
    reference = ENTRIES[file]
    assert isinstance(reference, Reference)
    if reference.parser not in FILE_NAMED:
        pytest.skip(f"{reference.parser} renames the file's columns")
    frame = _read(file)
    missing = [
        column
        for column in reference.columns
        if echem_name(file, reference.parser, column) not in frame.columns
    ]
    assert not missing, f"columns of {reference.parser} absent from echem's frame"


@pytest.mark.parametrize("file", NOT_DATA)
def test_a_file_that_is_not_data_is_refused(file: str) -> None:
    with pytest.raises(echem.ParseError, match=REFUSED.get(file)):
        echem.read(real(file))


def test_every_reference_parser_is_mapped() -> None:
    """A parser new to reference.json needs its row in CANONICAL_OF (or FILE_NAMED)."""
    parsers = {ref.parser for ref in ENTRIES.values() if ref is not None}
    assert parsers <= set(CANONICAL_OF) | FILE_NAMED


def test_every_real_file_has_a_reference_entry() -> None:
    if not ENTRIES:
        pytest.skip(SKIP_REASON)
    on_disk = {
        path.relative_to(REAL_DATA).as_posix()
        for path in REAL_DATA.rglob("*")
        if path.is_file() and path.parent != REAL_DATA
    }
    assert sorted(on_disk - set(ENTRIES)) == []


def _statistics(values: np.ndarray) -> dict[str, float]:
    """first, last (NaN kept), min, max (NaN ignored) of a column, as reference.json."""
    finite = values[~np.isnan(values)]
    if values.size == 0:
        return dict.fromkeys(STATISTICS, math.nan)
    return {
        "first": float(values[0]),
        "last": float(values[-1]),
        "min": float(finite.min()) if finite.size else math.nan,
        "max": float(finite.max()) if finite.size else math.nan,
    }


def test_statistics_follow_reference_json() -> None:
    """NaN: kept for first/last, ignored for min/max (reference.json's _about)."""
    stats = _statistics(np.array([np.nan, 3.0, -1.0, np.nan]))
    assert math.isnan(stats["first"]) and math.isnan(stats["last"])
    assert (stats["min"], stats["max"]) == (-1.0, 3.0)


def test_unit_conversion_and_sign_of_the_mapping() -> None:
    """-Im(Z) flips sign (min and max swap), mA becomes A, mA.h becomes C."""
    stats = {
        "-Im(Z)/Ohm": {"first": 5.0, "last": -1.0, "min": -1.0, "max": 7.0},
        "I/mA": {"first": 2.0, "last": 1.0, "min": 0.5, "max": 2.0},
        "(Q-Qo)/mA.h": {"first": 0.0, "last": 1.0, "min": 0.0, "max": 1.0},
    }
    reference = Reference("x.mpt", "pandas (EC-Lab text)", 3, tuple(stats), stats)
    found = canonical_stats(reference)
    assert found["z_imag_ohm"] == ("-Im(Z)/Ohm", {"first": -5, "last": 1, "min": -7, "max": 1})
    assert found["current_A"][1] == pytest.approx(
        {"first": 2e-3, "last": 1e-3, "min": 5e-4, "max": 2e-3}
    )
    assert found["charge_C"][1]["last"] == pytest.approx(3.6)
