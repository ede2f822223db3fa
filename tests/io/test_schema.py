"""The block path of ``build_frame`` (mappings of numeric arrays, ``ColumnBlocks``) and the
.mpr frame built on it.

The block path must give the frame of the general path (``pandas.DataFrame`` of a dict)
exactly: values, dtypes, column order and the column Index's dtype. The .mpr frame must
hold galvani's values for every column galvani reads, and its canonical columns must not
share memory with the original columns (a write to one never shows in the other).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REAL_DATA, real, real_files
from galvani import BioLogic as galvani_biologic
from reference import echem_name

from echem.io import _schema as schema
from echem.io._schema import ColumnBlocks, _as_index, _column_index, build_frame
from echem.io.biologic_mpr import read_mpr

ALIASES = {
    "time_s": [("time/s", 1.0)],
    "voltage_V": [("Ewe/V", 1.0), ("<Ewe>/V", 1.0)],
    "current_A": [("I/mA", 1e-3)],
    "charge_C": [("(Q-Qo)/mA.h", 3.6)],
    "cycle": [("cycle number", 1.0)],
    "step": [("Ns", 1.0)],
    "z_imag_ohm": [("-Im(Z)/Ohm", -1.0)],
}
ATTRS = {"format": "test", "technique": "unknown", "source": "x", "metadata": {"a": [1]}}


def _both_paths(columns: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(block path, general path) frames of the same columns."""
    fast = build_frame(columns, ALIASES, **ATTRS)
    general = build_frame(pd.DataFrame(columns), ALIASES, **ATTRS)
    return fast, general


def _assert_same(fast: pd.DataFrame, general: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(fast, general, check_exact=True)
    pd.testing.assert_index_equal(fast.columns, general.columns, exact=True)
    assert fast.attrs == general.attrs


@pytest.mark.parametrize(
    ("cycle", "expected_dtype"),
    [
        (np.array([0.0, 1.0, 1.0, 2.0]), np.int64),
        (np.array([0.0, 1.5, 1.0, 2.0]), np.float64),  # not whole
        (np.array([0.0, np.nan, 1.0, 2.0]), np.float64),
        (np.array([0.0, np.inf, 1.0, 2.0]), np.float64),
        (np.array([0.0, 2.0**53, 1.0, 2.0]), np.float64),  # not exact as int64 -> float
        (np.array([-0.0, -(2.0**53) + 1, 1.0, 2.0]), np.int64),
        (np.array([0, 1, 1, 2], dtype=np.uint32), np.int64),
        (np.array([0, 1, 1, 2], dtype=np.int8), np.int64),
        (np.array([0, 1, 1, 2**60], dtype=np.int64), np.float64),  # via float, as before
        (np.array([True, False, True, True]), np.int64),
    ],
)
def test_block_path_equals_general_path(cycle: np.ndarray, expected_dtype: type) -> None:
    rng = np.random.default_rng(3)
    columns = {
        "time/s": np.cumsum(rng.random(4)),
        "Ewe/V": rng.random(4).astype(np.float32),
        "I/mA": rng.normal(size=4),
        "(Q-Qo)/mA.h": rng.normal(size=4),
        "cycle number": cycle,
        "Ns": np.array([0, 1, 1, 2], dtype=np.uint16),
        "-Im(Z)/Ohm": rng.normal(size=4).astype(np.float32),
        "flag": np.array([1, 0, 1, 1], dtype=np.uint8),
    }
    fast, general = _both_paths(columns)
    _assert_same(fast, general)
    assert fast["cycle"].dtype == expected_dtype
    assert fast["step"].dtype == np.int64
    np.testing.assert_array_equal(fast["current_A"], columns["I/mA"] * 1e-3)
    np.testing.assert_array_equal(fast["z_imag_ohm"], -columns["-Im(Z)/Ohm"].astype(np.float64))
    assert list(fast.columns[:7]) == [
        "time_s",
        "voltage_V",
        "current_A",
        "charge_C",
        "cycle",
        "step",
        "z_imag_ohm",
    ]


def test_block_path_edge_cases() -> None:
    # an original already named canonically is not repeated; no rows; no canonical column
    for columns in (
        {"time/s": np.arange(3.0), "step": np.arange(3.0), "x": np.ones(3, np.float32)},
        {"time/s": np.empty(0), "Ns": np.empty(0, np.uint16)},
        {"a": np.arange(2), "b": np.arange(2.0)},
        {},
    ):
        _assert_same(*_both_paths(columns))


def test_general_path_kept_for_text_and_unequal_lengths() -> None:
    text = {"time/s": np.arange(2.0), "note": np.array(["a", "b"], dtype=object)}
    frame = build_frame(text, ALIASES, **ATTRS)
    assert frame["note"].tolist() == ["a", "b"]
    assert str(frame["note"].dtype) == str(pd.DataFrame(text)["note"].dtype)
    with pytest.raises(ValueError, match="unequal lengths"):
        build_frame({"a": np.arange(2), "b": np.arange(3)}, ALIASES, **ATTRS)


def test_originals_are_not_copied_and_canonical_columns_are_independent() -> None:
    time = np.arange(5.0)
    frame = build_frame({"time/s": time, "v": np.ones(5)}, ALIASES, **ATTRS)
    assert np.shares_memory(frame["time/s"].to_numpy(), time)
    assert not np.shares_memory(frame["time_s"].to_numpy(), time)


@pytest.mark.parametrize("route", ["mapping", "mapping, pandas < 3", "DataFrame"])
def test_general_path_canonical_columns_are_new_writable_arrays(monkeypatch, route) -> None:
    """A canonical column taken at factor 1 is a copy on every path: writing it neither
    fails (a DataFrame's columns are read-only arrays under copy-on-write) nor changes
    the original column (an alias of the same array)."""
    columns = {"time/s": np.arange(5.0), "cycle number": np.array([0.0, 0.5, 1.0, 1.0, 2.0])}
    if route == "mapping, pandas < 3":
        monkeypatch.setattr(schema, "create_dataframe_from_blocks", None)
    raw = pd.DataFrame(columns) if route == "DataFrame" else columns
    frame = build_frame(raw, ALIASES, **ATTRS)
    frame.loc[1, "time_s"] = -1.0
    frame.loc[1, "cycle"] = -1.0
    assert frame["time/s"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert frame["cycle number"].tolist() == [0.0, 0.5, 1.0, 1.0, 2.0]
    assert frame["time_s"].tolist() == [0.0, -1.0, 2.0, 3.0, 4.0]
    assert frame["cycle"].tolist() == [0.0, -1.0, 1.0, 1.0, 2.0]


def test_column_blocks_equal_the_mapping_of_their_rows() -> None:
    records = np.zeros(6, dtype=[("t", "<f8"), ("a", "<f4"), ("b", "<f4"), ("Ns", "<u2")])
    records["t"] = np.arange(6) * 0.5
    records["a"] = np.arange(6) / 3
    records["b"] = -np.arange(6)
    records["Ns"] = [0, 0, 1, 1, 2, 2]
    pair = np.ndarray(
        (2, 6), np.float32, buffer=records, offset=8, strides=(4, records.itemsize)
    )  # strided view of fields a and b
    blocks = ColumnBlocks(
        (
            (("time/s",), records["t"].reshape(1, 6)),
            (("a", "b"), pair),
            (("Ns",), records["Ns"].reshape(1, 6)),
        ),
        6,
    )
    fast = build_frame(blocks, ALIASES, **ATTRS)
    expected = build_frame(
        {
            name: records[field]
            for name, field in [("time/s", "t"), ("a", "a"), ("b", "b"), ("Ns", "Ns")]
        },
        ALIASES,
        **ATTRS,
    )
    _assert_same(fast, expected)
    assert np.shares_memory(fast["b"].to_numpy(), records)


def test_column_blocks_whole_hint_gives_the_checked_result() -> None:
    cycles = np.array([0.0, 0.0, 1.0, 3.0])
    hinted = ColumnBlocks(
        ((("cycle number",), cycles.reshape(1, 4)),), 4, frozenset({"cycle number"})
    )
    plain = ColumnBlocks(((("cycle number",), cycles.reshape(1, 4)),), 4)
    _assert_same(build_frame(hinted, ALIASES, **ATTRS), build_frame(plain, ALIASES, **ATTRS))
    assert build_frame(hinted, ALIASES, **ATTRS)["cycle"].dtype == np.int64


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        (((("a",), np.zeros((1, 3))), (("a",), np.zeros((1, 3)))), "repeated"),
        (((("a", "b"), np.zeros((1, 3))),), "shape"),
        (((("a",), np.zeros(3)),), "shape"),
        (((("a",), np.array([["x", "y", "z"]], dtype=object)),), "dtype"),
        (((("a",), np.zeros((1, 3), dtype=np.float16)),), "dtype"),
        (((("a",), np.zeros((1, 3), dtype=">f8")),), "dtype"),
    ],
)
def test_column_blocks_are_checked(blocks: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_frame(ColumnBlocks(blocks, 3), ALIASES, **ATTRS)


def test_as_index_edges() -> None:
    assert _as_index(np.empty(0)).dtype == np.int64
    assert _as_index(np.array([-0.0, 4.0])).tolist() == [0, 4]
    for values in ([1.0, np.nan], [1.0, -np.inf], [2.0**53], [-(2.0**53)], [0.25]):
        array = np.array(values)
        assert _as_index(array) is array


def test_fast_column_index_equals_pandas_index() -> None:
    names = ["time_s", "Cs/µF", "|Ewe|/V", "", "THD I/% 2"]
    pd.testing.assert_index_equal(_column_index(names), pd.Index(names), exact=True)


GALVANI_READABLE = []
for _path in real_files("biologic/*.mpr"):
    try:
        # galvani leaves the file open when it fails: hand it one we close.
        with warnings.catch_warnings(), open(_path, "rb") as _handle:
            warnings.simplefilter("ignore")
            galvani_biologic.MPRfile(_handle)
    except Exception:  # galvani 0.5 cannot read it (newer column IDs, no LOG module...)
        continue
    GALVANI_READABLE.append(_path)


@pytest.mark.parametrize("path", GALVANI_READABLE, ids=lambda p: p.name)
def test_mpr_columns_equal_galvani(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = galvani_biologic.MPRfile(str(path))
    records = reference.data
    frame = read_mpr(path)
    fields = [name for name in records.dtype.names if name != "flags"]
    assert fields, path
    relative = path.relative_to(REAL_DATA).as_posix()
    for name in fields:
        # where echem names a column otherwise, after the .mpt twins (tests/reference.py):
        # ID 441 "<Ecv>/V" is "<Ece>/V"; ID 6 of BT-Lab's BCD is "Ecell/V"
        in_frame = echem_name(relative, "galvani.MPRfile", name)
        np.testing.assert_array_equal(
            frame[in_frame].to_numpy(dtype=np.float64), records[name].astype(np.float64)
        )
    np.testing.assert_array_equal(frame["time_s"], records["time/s"])
    assert set(reference.flags_dict) <= set(frame.columns)
    for name in reference.flags_dict:  # galvani's masks; mode as 0..3, the others 0/1
        flag = reference.get_flag(name)
        if flag.dtype == bool:
            np.testing.assert_array_equal(frame[name].to_numpy() == 1, flag)
            assert set(np.unique(frame[name])) <= {0, 1}
        else:
            np.testing.assert_array_equal(frame[name], flag)


def test_mpr_canonical_columns_are_independent_of_the_originals() -> None:
    frame = read_mpr(real("biologic/gcpl.issue_228.mpr"))
    before = frame["time/s"].iloc[1]
    frame.loc[1, "time_s"] = -1.0
    assert frame["time/s"].iloc[1] == before
    frame.loc[2, "(Q-Qo)/mA.h"] = 123.0
    assert frame["charge_C"].iloc[2] != 123.0 * 3.6
    again = read_mpr(real("biologic/gcpl.issue_228.mpr"))  # a fresh buffer per read
    assert again["time_s"].iloc[1] == before


def test_without_create_dataframe_from_blocks_the_frame_is_the_same(monkeypatch) -> None:
    """pandas < 3 lacks pandas.api.internals.create_dataframe_from_blocks: general path."""
    path = real("biologic/gcpl.issue_228.mpr")
    fast = read_mpr(path)
    monkeypatch.setattr(schema, "create_dataframe_from_blocks", None)
    general = read_mpr(path)
    _assert_same(fast, general)
    assert list(fast["step"].unique()) == list(general["step"].unique())


@pytest.mark.parametrize("path", real_files("biologic/*.mpr"), ids=lambda p: p.name)
def test_mpr_read_in_small_chunks_is_the_same_frame(path: Path, monkeypatch) -> None:
    """The copied runs (flags, float64 conversions, canonical and derived sources) are
    gathered a chunk of rows at a time; 997 bytes of records per chunk (a few rows,
    the last chunk shorter) give the frame of one chunk for the whole file."""
    from echem.io import biologic_mpr

    try:
        whole = read_mpr(path)
    except ValueError:  # the deliberately broken file: covered in test_biologic
        return
    monkeypatch.setattr(biologic_mpr, "_CHUNK_BYTES", 997)
    chunked = read_mpr(path)
    _assert_same(chunked, whole)
    assert chunked.attrs == whole.attrs
    for name in chunked.columns.intersection(biologic_mpr._COMPUTED_FROM):
        values = chunked[name].to_numpy()
        assert values.flags.c_contiguous, name  # gathered, not a strided view
        others = [n for n in chunked.columns if n != name]
        assert not any(np.shares_memory(values, chunked[n].to_numpy()) for n in others), name
