"""Arbin .res reader (echem/io/arbin.py) and the Access decoder under it (echem/io/_access.py).

The real file (cellpy's test cell, 2016) is compared with galvani's res2sqlite (mdbtools
1.0) values in reference.json, table by table (rows; first/last/min/max of each column),
with every value of every table against ``mdb-export`` where mdbtools is installed, and
with independent facts: Arbin's capacity counters against the integrated current (the
coulometry cross-check), galvani's per-cycle capacity sums, the start date in the file
name. Damaged copies (cut, bit-flipped, renamed tables, a second test) must raise
ParseError, warn, or read the values the file holds.

What the real file does not have (auxiliary inputs, several tests and channels, deleted
and moved rows, usage maps of type 1, long values, Decimal/Currency/GUID columns, 255
columns, ACE layouts) is tested on databases written by tests/jet4_writer.py, a small
Jet 4 writer that shares no code with echem's decoder and is itself checked against
mdb-export.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import warnings
from decimal import Decimal
from pathlib import Path

import jet4_writer as jet
import numpy as np
import pandas as pd
import pytest
from conftest import real
from reference import REFERENCE_JSON, tolerance

import echem
from echem.io._access import PAGE_SIZE, AccessDatabase, _text, is_access_database, ole_dates
from echem.io.arbin import _aux_columns, list_tests, read_res

FILE = "arbin/20160805_test001_45_cc_01.res"
#: Tables of galvani's res2sqlite that are not in the file: its own per-cycle sums and
#: SQLite's statistics table.
DERIVED_BY_RES2SQLITE = {"Capacity_Sum_Table", "sqlite_stat1"}
#: Non-empty tables besides Channel_Normal_Table.
OTHER_TABLES = [
    "Channel_Statistic_Table",
    "Event_Table",
    "Global_Table",
    "Resume_Table",
    "Version_Table",
]


@pytest.fixture(scope="module")
def path() -> Path:
    return real(FILE)


@pytest.fixture(scope="module")
def frame(path: Path) -> pd.DataFrame:
    return echem.read(path)


@pytest.fixture(scope="module")
def reference_tables(path: Path) -> dict[str, dict]:
    document = json.loads(REFERENCE_JSON.read_text())
    tables = document[FILE]["reference"]["tables"]
    return {table["name"]: table for table in tables}


def _stats(values: np.ndarray) -> dict[str, float]:
    values = np.asarray(values, dtype=np.float64)
    finite = values[~np.isnan(values)]
    return {
        "first": values[0],
        "last": values[-1],
        "min": finite.min(),
        "max": finite.max(),
    }


def _assert_stats(values: np.ndarray, expected: dict[str, float], what: str) -> None:
    got = _stats(values)
    rtol = tolerance()
    scale = max(abs(v) for v in expected.values() if v is not None)
    for name, want in expected.items():
        assert got[name] == pytest.approx(want, rel=rtol, abs=rtol * scale), f"{what} {name}"


# -- values against res2sqlite, mdb-export and independent facts ------------------------


def test_format_is_sniffed_from_the_jet_magic(path: Path, frame: pd.DataFrame) -> None:
    head = path.read_bytes()[:8192]
    assert is_access_database(head)
    assert head[4:19] == b"Standard Jet DB"
    assert frame.attrs["format"] == "arbin-res"
    assert frame.attrs["source"] == path.name


def test_normal_table_rows_and_every_column_match_res2sqlite(
    frame: pd.DataFrame, reference_tables: dict[str, dict]
) -> None:
    reference = reference_tables["Channel_Normal_Table"]
    assert len(frame) == reference["rows"] == 10261
    originals = [c for c in frame.columns if c not in echem.io._schema.CANONICAL]
    assert originals == reference["columns"]
    assert set(reference["stats"]) >= {"Test_Time", "Voltage", "Current", "Charge_Capacity"}
    for column, expected in reference["stats"].items():
        _assert_stats(frame[column].to_numpy(), expected, column)


@pytest.mark.parametrize("name", OTHER_TABLES)
def test_other_tables_match_res2sqlite(
    frame: pd.DataFrame, reference_tables: dict[str, dict], name: str
) -> None:
    table = frame.attrs["tables"][name]
    reference = reference_tables[name]
    assert len(table) == reference["rows"]
    assert list(table.columns) == reference["columns"]
    for column, expected in reference["stats"].items():
        _assert_stats(table[column].to_numpy(), expected, f"{name}.{column}")


def test_tables_res2sqlite_has_are_read_or_listed_empty(
    frame: pd.DataFrame, reference_tables: dict[str, dict]
) -> None:
    tables = frame.attrs["tables"]
    empty = frame.attrs["metadata"]["empty_tables"]
    assert sorted(tables) == sorted(OTHER_TABLES)
    for name, reference in reference_tables.items():
        if name in DERIVED_BY_RES2SQLITE or name == "Channel_Normal_Table":
            continue
        if reference["rows"]:
            assert name in tables
        else:
            assert name in empty
    assert "Auxiliary_Table" in empty and "Smart_Battery_Data_Table" in empty


def test_capacity_sums_match_res2sqlite(
    frame: pd.DataFrame, reference_tables: dict[str, dict]
) -> None:
    """galvani's Capacity_Sum_Table: for each cycle, the sum of the earlier cycles' largest
    counter values, recomputed from echem's frame."""
    reference = reference_tables["Capacity_Sum_Table"]
    counters = ["Charge_Capacity", "Discharge_Capacity", "Charge_Energy", "Discharge_Energy"]
    per_cycle = frame.groupby("Cycle_Index")[counters].max()
    sums = per_cycle.cumsum().shift(1, fill_value=0.0)
    assert len(sums) == reference["rows"]
    for counter in counters:
        _assert_stats(sums[counter].to_numpy(), reference["stats"][f"{counter}_Sum"], counter)


@pytest.mark.skipif(shutil.which("mdb-export") is None, reason="mdbtools is not installed")
@pytest.mark.parametrize("name", ["Channel_Normal_Table", *OTHER_TABLES])
def test_every_value_matches_mdb_export(path: Path, frame: pd.DataFrame, name: str) -> None:
    text = subprocess.run(
        ["mdb-export", str(path), name], capture_output=True, check=True
    ).stdout.decode()
    expected = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])
    got = frame if name == "Channel_Normal_Table" else frame.attrs["tables"][name]
    assert len(got) == len(expected)
    for column in expected.columns:
        numeric = pd.api.types.is_numeric_dtype
        if not (numeric(expected[column]) and numeric(got[column])):
            # mdb-export writes an empty text and a null alike
            want = ["" if isinstance(v, float) else str(v) for v in expected[column]]
            assert [str(v) for v in got[column]] == want, column
        else:
            # mdb-export prints a Single with 8 and a Double with 16 significant digits
            np.testing.assert_allclose(
                got[column].to_numpy(dtype=float),
                expected[column].to_numpy(dtype=float),
                rtol=1e-7,
                atol=0,
                err_msg=column,
            )


def test_canonical_columns_in_si_units(frame: pd.DataFrame) -> None:
    assert list(frame.columns[:7]) == [
        "time_s",
        "voltage_V",
        "current_A",
        "charge_C",
        "energy_J",
        "cycle",
        "step",
    ]
    assert "temperature_degC" not in frame  # no auxiliary input in this file
    np.testing.assert_array_equal(frame["time_s"], frame["Test_Time"])
    np.testing.assert_array_equal(frame["voltage_V"], frame["Voltage"].astype(float))
    np.testing.assert_array_equal(frame["current_A"], frame["Current"].astype(float))
    net_ah = frame["Charge_Capacity"] - frame["Discharge_Capacity"]
    np.testing.assert_allclose(frame["charge_C"], net_ah * 3600.0, rtol=1e-15)
    net_wh = frame["Charge_Energy"] - frame["Discharge_Energy"]
    np.testing.assert_allclose(frame["energy_J"], net_wh * 3600.0, rtol=1e-15)
    # 1 mAh = 3.6 C: the first discharge of cycle 1 counted 1.755094 mAh
    first_discharge = frame[(frame["cycle"] == 1) & (frame["step"] == 3)]
    assert first_discharge["charge_C"].iloc[-1] == pytest.approx(-1.755093529421e-3 * 3600)


def test_current_sign_is_arbins_positive_on_charge(frame: pd.DataFrame) -> None:
    """Where the current flows, it is positive exactly when the charge counter grows and
    negative when the discharge counter does (the silicon electrode delithiates, voltage
    rising, on charge)."""
    same_run = (frame["cycle"].diff() == 0) & (frame["step"].diff() == 0)
    flowing = same_run & (frame["current_A"].abs() > 1e-5)
    charge_grows = frame["Charge_Capacity"].diff() > 0
    discharge_grows = frame["Discharge_Capacity"].diff() > 0
    positive = frame["current_A"] > 0
    assert flowing.sum() > 8000
    assert (charge_grows[flowing] == positive[flowing]).all()
    assert (discharge_grows[flowing] == ~positive[flowing]).all()
    voltage_change = frame["voltage_V"].diff()[flowing]
    assert (voltage_change[positive[flowing]] > 0).mean() > 0.9
    assert (voltage_change[~positive[flowing]] < 0).mean() > 0.9


def test_instrument_charge_agrees_with_the_integrated_current(frame: pd.DataFrame) -> None:
    """echem.coulometry's cross-check: in every run the counters' change matches the
    trapezoid integral of the current within the sampling bound, and the total within
    0.3 % (the sign of charge_C follows the current)."""
    result = echem.coulometry.integrate(frame)
    steps = result.steps
    assert result.has_instrument_charge
    assert (steps["difference_C"].abs() <= steps["sampling_bound_C"] + 1e-12).all()
    assert result.instrument_total_C == pytest.approx(result.total_C, rel=3e-3)
    flipped = frame.copy()
    flipped["charge_C"] = -flipped["charge_C"]
    wrong = echem.coulometry.integrate(flipped).steps
    assert (wrong["difference_C"].abs() > wrong["sampling_bound_C"]).any()


def test_cycle_and_step_indices(frame: pd.DataFrame) -> None:
    assert frame["cycle"].dtype == np.int64 and frame["step"].dtype == np.int64
    np.testing.assert_array_equal(frame["cycle"], frame["Cycle_Index"])
    np.testing.assert_array_equal(frame["step"], frame["Step_Index"])
    assert frame["cycle"].min() == 1 and frame["cycle"].max() == 18
    assert (frame["cycle"].diff().dropna() >= 0).all()
    # steps 1-8 in cycles 1-3, then the schedule's loop of steps 10-15
    assert sorted(frame["step"].unique()) == [*range(1, 9), *range(10, 16)]
    assert (frame["Data_Point"].diff().dropna() == 1).all()


def test_start_time_is_the_local_start_in_the_file_name(path: Path, frame: pd.DataFrame) -> None:
    start = frame.attrs["start_time"]
    assert start == "2016-08-05T16:16:23"
    assert start[:10].replace("-", "") == path.name[:8]
    # the first point is logged 300 s (Test_Time) after the start (DateTime, whole seconds)
    first = ole_dates(frame["DateTime"].to_numpy()[:1])[0] - np.datetime64(start)
    assert abs(first / np.timedelta64(1, "s") - frame["Test_Time"].iloc[0]) < 1.0
    events = frame.attrs["tables"]["Event_Table"]
    assert events["Event_Describe"].tolist() == ["Test start", "Test end"]
    assert events["DateTime"].iloc[0] == frame.attrs["metadata"]["Start_DateTime"]


def test_ole_dates_before_and_after_the_epoch() -> None:
    days = np.array([0.0, 1.5, -1.25, 42587.67804398148, np.nan])
    expected = np.array(
        ["1899-12-30T00:00", "1899-12-31T12:00", "1899-12-29T06:00", "2016-08-05T16:16:23", "NaT"],
        dtype="datetime64[ms]",
    )
    np.testing.assert_array_equal(ole_dates(days), expected)


def test_metadata_names_the_test_and_the_channel(frame: pd.DataFrame) -> None:
    metadata = frame.attrs["metadata"]
    assert metadata["test_id"] == 1
    assert metadata["test_name"] == "20160805_sic006_45_cc_01-01-003"
    assert metadata["channel"] == 3
    assert metadata["schedule"] == "SiNODE\\24h_rest_3cyc_C20_100cyc_c10_MR.sdu"
    assert metadata["software_version"] == "4.32 Build: 130904"
    assert metadata["instrument"] == "Arbin, SN 176075"
    assert metadata["creator"] == "hfa"
    assert metadata["mass_g"] == pytest.approx(0.00085283798)
    assert metadata["Specific_Capacity"] == pytest.approx(3.579)  # Si: 3579 mAh/g
    assert metadata["file_version"] == "Results File 5.26"
    assert metadata["database"].startswith("Jet 4")
    assert metadata["units"]["Charge_Capacity"] == "Ah"
    assert metadata["tests"] == [
        {
            "Test_ID": 1,
            "Test_Name": "20160805_sic006_45_cc_01-01-003",
            "Channel_Index": 3,
            "start": "2016-08-05T16:16:23",
            "data_points": 10261,
        }
    ]
    # the .res records no control mode (its Step_Index only): CC, CV or rest is not
    # guessed from the current (it was 'galvanostatic' whatever the schedule)
    assert frame.attrs["technique"] == "unknown"
    assert "no control mode" in metadata["technique_note"]


def test_statistics_table_points_at_the_end_of_each_cycle(frame: pd.DataFrame) -> None:
    """Each Channel_Statistic_Table row is the last data point of a cycle, and its
    Vmax_On_Cycle is that cycle's largest voltage (at least the largest logged one)."""
    statistics = frame.attrs["tables"]["Channel_Statistic_Table"]
    by_point = frame.set_index("Data_Point")
    cycles = by_point.loc[statistics["Data_Point"], "cycle"].to_numpy()
    np.testing.assert_array_equal(cycles, np.arange(1, 18))
    largest = frame.groupby("cycle")["Voltage"].max().loc[cycles].to_numpy()
    assert (statistics["Vmax_On_Cycle"].to_numpy() >= largest).all()
    np.testing.assert_allclose(statistics["Vmax_On_Cycle"], largest, rtol=1e-3)


def test_list_tests_names_the_file_tests(path: Path) -> None:
    table = list_tests(path)
    assert table.to_dict("records") == [
        {
            "Test_ID": 1,
            "Test_Name": "20160805_sic006_45_cc_01-01-003",
            "Channel_Index": 3,
            "start": "2016-08-05T16:16:23",
            "data_points": 10261,
        }
    ]


def test_test_and_channel_choices(path: Path, frame: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(read_res(path, test=1), frame)
    pd.testing.assert_frame_equal(read_res(path, channel=3), frame)
    with pytest.raises(echem.ParseError, match="no test with Test_ID 2.*Test_ID 1"):
        read_res(path, test=2)
    with pytest.raises(echem.ParseError, match="0 tests on channel 4"):
        read_res(path, channel=4)
    with pytest.raises(echem.ParseError, match="not both"):
        read_res(path, test=1, channel=3)


# -- Access's own tables: moved rows, numbers in variable columns, long values ----------

#: MSysAccessStorage as mdb-export 1.0 lists it (Id, Name, ParentId, Type), sorted by Id:
#: six of its rows were moved to other pages (0x4000 pointers) and its numbers are
#: stored as variable-length columns.
ACCESS_STORAGE = [
    (1, "MSysAccessStorage_ROOT", 1, 1),
    (2, "MSysAccessStorage_SCRATCH", 2, 1),
    (3, "PropData", 1, 2),
    (4, "Forms", 1, 1),
    (5, "Reports", 1, 1),
    (6, "Modules", 1, 1),
    (7, "Scripts", 1, 1),
    (8, "VBA", 1, 1),
    (9, "Cmdbars", 1, 1),
    (10, "DataAccessPages", 1, 1),
    (11, "Databases", 1, 1),
    (12, "0", 11, 1),
    (13, "Blob", 12, 2),
    (14, "CustomGroups", 1, 1),
    (15, "ImExSpecs", 1, 1),
    (16, "VBAProject", 8, 1),
    (17, "VBA", 16, 1),
    (24, "\x03DirData", 11, 2),
    (25, "AcessVBAData", 8, 2),
    (26, "_VBA_PROJECT", 17, 2),
    (27, "dir", 17, 2),
    (28, "PROJECTwm", 16, 2),
    (29, "PROJECT", 16, 2),
]


def _system_table(database: AccessDatabase, name: str) -> dict:
    catalog = database.read_rows(database.table_def_at(2, "MSysObjects"))
    (object_id,) = [i for i, n in zip(catalog["Id"], catalog["Name"], strict=True) if n == name]
    return database.read_rows(database.table_def_at(int(object_id) & 0xFFFFFF, name))


def test_moved_rows_are_read_once_where_they_now_live(path: Path) -> None:
    table = _system_table(AccessDatabase.open(path), "MSysAccessStorage")
    rows = sorted(zip(table["Id"], table["Name"], table["ParentId"], table["Type"], strict=True))
    assert rows == ACCESS_STORAGE
    assert table["Id"].dtype == np.int32


def test_long_values_are_whole(path: Path) -> None:
    """MSysObjects' LvProp (OLE, in long-value pages): Jet 4 property blobs, 'MR2\\0' then
    chunks each starting with its own u32 length -- they must add up exactly."""
    catalog = AccessDatabase.open(path).read_rows(
        AccessDatabase.open(path).table_def_at(2, "MSysObjects")
    )
    blobs = [value for value in catalog["LvProp"] if value is not None]
    assert len(blobs) == 21 and max(map(len, blobs)) > 2000
    for blob in blobs:
        assert blob[:4] == b"MR2\x00"
        at = 4
        while at < len(blob):
            at += int.from_bytes(blob[at : at + 4], "little")
        assert at == len(blob)


def test_compressed_and_wide_text() -> None:
    """Jet 4 text: UTF-16-LE, or FF FE then one byte per character, a zero byte
    switching to two-byte characters and back."""
    wide = "Ω–µ".encode("utf-16-le")
    assert _text("Li₃PS₄".encode("utf-16-le"), "t", Path("x"), 0) == "Li₃PS₄"
    assert _text(b"\xff\xfeab\x00" + wide + b"\x00cd", "t", Path("x"), 0) == "abΩ–µcd"
    assert _text(b"\xff\xfe", "t", Path("x"), 0) == ""
    with pytest.raises(echem.ParseError, match="odd byte length"):
        _text(b"\xff\xfea\x00\x41", "t", Path("x"), 0)


# -- files with several tests, other databases, damaged copies --------------------------


def _row_starts(raw: bytes, table: str) -> list[int]:
    """Absolute offsets of the rows of ``table``, found from the data pages as
    mdbtools' HACKING.md describes them (independently of echem's decoder)."""
    tdef = AccessDatabase(raw, Path("x")).table_def(table).page
    starts = []
    for page in range(len(raw) // PAGE_SIZE):
        base = page * PAGE_SIZE
        if raw[base] != 1 or int.from_bytes(raw[base + 4 : base + 8], "little") != tdef:
            continue
        count = int.from_bytes(raw[base + 12 : base + 14], "little")
        for row in range(count):
            offset = int.from_bytes(raw[base + 14 + 2 * row : base + 16 + 2 * row], "little")
            if not offset & 0xC000:
                starts.append(base + (offset & 0x1FFF))
    return starts


def _two_tests(path: Path, tmp_path: Path) -> Path:
    """The real file with the Test_ID (first fixed column) of its last 1000 data points
    set to 2: a file holding two tests."""
    raw = bytearray(path.read_bytes())
    starts = sorted(_row_starts(bytes(raw), "Channel_Normal_Table"))
    points = {s: int.from_bytes(raw[s + 6 : s + 10], "little") for s in starts}
    for start in starts:
        if points[start] > 10261 - 1000:
            raw[start + 2 : start + 6] = (2).to_bytes(4, "little")
    target = tmp_path / "two_tests.res"
    target.write_bytes(bytes(raw))
    return target


def test_a_file_with_two_tests_is_never_mixed(
    path: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    two = _two_tests(path, tmp_path)
    with pytest.raises(echem.ParseError, match=r"2 tests: Test_ID 1 .*Test_ID 2 .*test=") as error:
        echem.read(two)
    assert "9261 data points" in str(error.value) and "1000 data points" in str(error.value)
    first, second = read_res(two, test=1), read_res(two, test=2)
    assert (len(first), len(second)) == (9261, 1000)
    assert (first["Test_ID"] == 1).all() and (second["Test_ID"] == 2).all()
    np.testing.assert_array_equal(first["time_s"], frame["time_s"][:9261])
    np.testing.assert_array_equal(second["time_s"], frame["time_s"][9261:])
    assert read_res(two, channel=3)["Test_ID"].unique().tolist() == [1]
    assert second.attrs["metadata"].get("test_name") is None  # test 2 has no Global_Table row
    assert "Channel_Statistic_Table" in second.attrs["metadata"]["empty_tables"]
    assert len(first.attrs["tables"]["Channel_Statistic_Table"]) == 17


def _renamed_table(path: Path, tmp_path: Path) -> Path:
    """The real file with the catalog's name of Channel_Normal_Table changed."""
    raw = bytearray(path.read_bytes())
    old = "Channel_Normal_Table".encode("utf-16-le")
    new = "Channel_Normal_Tablf".encode("utf-16-le")
    count = 0
    for page in range(len(raw) // PAGE_SIZE):
        base = page * PAGE_SIZE
        if raw[base] == 1 and int.from_bytes(raw[base + 4 : base + 8], "little") == 2:
            chunk = bytes(raw[base : base + PAGE_SIZE])
            count += chunk.count(old)
            raw[base : base + PAGE_SIZE] = chunk.replace(old, new)
    assert count >= 1
    target = tmp_path / "renamed.res"
    target.write_bytes(bytes(raw))
    return target


def test_an_access_database_without_arbin_tables_is_refused(path: Path, tmp_path: Path) -> None:
    renamed = _renamed_table(path, tmp_path)
    assert "Channel_Normal_Tablf" in AccessDatabase.open(renamed).table_names()
    with pytest.raises(echem.ParseError, match="not an Arbin .res.*Channel_Normal_Tablf"):
        echem.read(renamed)


def test_a_fifo_or_folder_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "live.res"
    os.mkfifo(fifo)  # opening it would wait for a writer forever
    with pytest.raises(echem.ParseError, match="FIFO"):
        read_res(fifo)
    with pytest.raises(echem.ParseError, match="directory"):
        read_res(tmp_path)


def test_other_files_are_refused(path: Path, tmp_path: Path) -> None:
    raw = path.read_bytes()
    jet3 = tmp_path / "jet3.res"
    jet3.write_bytes(raw[:0x14] + b"\x00" + raw[0x15:])
    with pytest.raises(echem.ParseError, match="Jet 3"):
        read_res(jet3)
    text = tmp_path / "notes.res"
    text.write_text("not a database\n")
    with pytest.raises(echem.ParseError, match="not a Microsoft Access"):
        echem.read(text)
    with pytest.raises(echem.ParseError, match="not a Microsoft Access"):
        read_res(text)


def _retyped(path: Path, tmp_path: Path, column: str, type_code: int) -> Path:
    """The real file with the type byte of ``column`` in the normal table's definition
    (25-byte entries after 12 bytes per index from 0x3F; HACKING.md) replaced."""
    raw = bytearray(path.read_bytes())
    table = AccessDatabase(bytes(raw), path).table_def("Channel_Normal_Table")
    number = next(c.number for c in table.columns if c.name == column)
    base = table.page * PAGE_SIZE
    indexes = int.from_bytes(raw[base + 0x33 : base + 0x37], "little")
    entries = base + 0x3F + 12 * indexes
    (entry,) = [
        entries + 25 * i
        for i in range(len(table.columns))
        if int.from_bytes(raw[entries + 25 * i + 5 : entries + 25 * i + 7], "little") == number
    ]
    raw[entry] = type_code
    target = tmp_path / f"retyped_{type_code}.res"
    target.write_bytes(bytes(raw))
    return target


@pytest.mark.parametrize(
    ("column", "type_code", "kind"),
    [("dV/dt", 0x04, "Long Integer"), ("Test_Time", 0x05, "Currency"), ("Test_ID", 0x06, "Single")],
)
def test_a_column_of_another_type_is_refused(
    path: Path, tmp_path: Path, column: str, type_code: int, kind: str
) -> None:
    """One flipped bit turns a Single into a Long Integer (or a Double into Currency) of
    the same width: every value would read as another number."""
    retyped = _retyped(path, tmp_path, column, type_code)
    with pytest.raises(echem.ParseError, match=f"{column} is of type {kind}"):
        echem.read(retyped)


def _read_or_parse_error(target: Path) -> pd.DataFrame | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", echem.EchemWarning)
            return read_res(target)
    except echem.EchemWarning:
        return None  # told
    except echem.ParseError as error:
        assert error.path == str(target)
        return None


def test_cut_copies_read_what_they_hold_with_a_warning_or_are_refused(
    path: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    """A copy cut short (a test still being written, a download cut) is read as far as
    it goes with a TruncatedDataWarning, its rows exactly the full file's at the same
    data points; cut before the catalog or the Global/normal tables' definitions, it is
    a ParseError naming the byte; a cut at a page boundary that drops only pages echem
    does not read (Access's own, at the end) reads the same frame. Before: every cut
    was refused."""
    raw = path.read_bytes()
    rng = np.random.default_rng(14)
    cuts = {1, 20, 4095, PAGE_SIZE, 2 * PAGE_SIZE, 3 * PAGE_SIZE + 1, len(raw) // 2}
    cuts |= {len(raw) - PAGE_SIZE, len(raw) - 1}
    cuts |= {int(c) for c in rng.integers(1, len(raw), 12)}
    cuts |= {PAGE_SIZE * int(c) for c in rng.integers(3, len(raw) // PAGE_SIZE, 6)}
    target = tmp_path / "cut.res"
    outcomes = {"refused": 0, "partial": 0, "whole": 0}
    for cut in sorted(cuts):
        target.write_bytes(raw[:cut])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                got = read_res(target)
            except echem.ParseError as error:
                assert error.offset is not None or "holds no test" in str(error), str(error)
                outcomes["refused"] += 1
                continue
        told = any(issubclass(w.category, echem.TruncatedDataWarning) for w in caught)
        if len(got) < len(frame):
            assert told, f"cut at {cut}: {len(got)} rows, no TruncatedDataWarning"
            outcomes["partial"] += 1
        else:
            outcomes["whole"] += 1
        lost = got.attrs["metadata"].get("tables_not_read", {})
        assert told == (cut % PAGE_SIZE != 0 or len(got) < len(frame) or bool(lost)), cut
        assert sorted(got.attrs["tables"]) == sorted(set(frame.attrs["tables"]) - set(lost))
        same = frame[frame["Data_Point"].isin(got["Data_Point"])].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, same)
    assert outcomes["refused"] >= 4 and outcomes["partial"] >= 10 and outcomes["whole"] >= 1


def test_a_file_cut_inside_the_normal_table_reads_the_pages_it_holds(
    path: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    """Cut after 150 of the normal table's pages: its rows on those pages (counted
    independently, HACKING.md's row offset tables) are read, the tables past the end are
    named as not read."""
    raw = path.read_bytes()
    cut = 150 * PAGE_SIZE + 1234
    expected = [s for s in _row_starts(raw, "Channel_Normal_Table") if s < 150 * PAGE_SIZE]
    target = tmp_path / "cut.res"
    target.write_bytes(raw[:cut])
    with pytest.warns(echem.TruncatedDataWarning) as caught:
        got = read_res(target)
    messages = " | ".join(str(w.message) for w in caught)
    assert "ends 1234 bytes into page 150" in messages
    assert f"the {len(expected)} rows it holds are read, of 10261 declared" in messages
    assert len(got) == len(expected) == 4720
    pd.testing.assert_frame_equal(got, frame.iloc[: len(got)])
    assert "Channel_Statistic_Table" in got.attrs["metadata"]["tables_not_read"]


def _structural_offsets(raw: bytes) -> list[int]:
    """Bytes whose damage would misplace rows or misread columns: the normal table's
    definition (column types, offsets, lengths, names) and usage map, page types and
    owners, row counts and offset tables of the data pages, and each row's column count
    and null mask (sampled)."""
    offsets: list[int] = []
    starts = _row_starts(raw, "Channel_Normal_Table")
    definition = AccessDatabase(raw, Path("x")).table_def("Channel_Normal_Table").page
    offsets += range(definition * PAGE_SIZE, definition * PAGE_SIZE + 1500, 53)
    pointer = int.from_bytes(raw[definition * PAGE_SIZE + 0x37 :][:4], "little")
    base = (pointer >> 8) * PAGE_SIZE
    row = pointer & 0xFF
    usage_map = base + (int.from_bytes(raw[base + 14 + 2 * row :][:2], "little") & 0x1FFF)
    offsets += [usage_map + k for k in (0, 1, 2, 5, 6, 9, 20, 36, 37)]
    for page in range(0, len(raw) // PAGE_SIZE, 61):
        base = page * PAGE_SIZE
        offsets += [base, base + 4, base + 12, base + 14]
    for start in starts[::2500]:
        offsets += [start, start + 1, start + 95, start + 97]  # count, null mask
    return offsets


def test_bit_flips_raise_warn_or_change_one_stored_value(
    path: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    """A flipped bit gives a ParseError, a warning, or a frame with the same columns that
    differs from the undamaged one in at most one data point (a flipped bit inside a
    stored number cannot be seen: the format has no checksums) -- never rows lost, moved
    or mixed, nor a column renamed or decoded as another type, silently."""
    raw = path.read_bytes()
    rng = np.random.default_rng(2016)
    offsets = _structural_offsets(raw) + [int(o) for o in rng.integers(0, len(raw), 12)]
    undamaged = frame.to_numpy(dtype=np.float64)
    target = tmp_path / "flipped.res"
    outcomes = {"refused or told": 0, "read": 0}
    for offset in offsets:
        damaged = bytearray(raw)
        damaged[offset] ^= 1 << int(rng.integers(0, 8))
        target.write_bytes(bytes(damaged))
        got = _read_or_parse_error(target)
        if got is None:
            outcomes["refused or told"] += 1
            continue
        outcomes["read"] += 1
        assert got.shape == frame.shape, f"byte {offset}"
        assert list(got.columns) == list(frame.columns), f"byte {offset}"
        for column in frame.columns:  # a column with a null value (a flipped null-mask
            was, now = frame[column].dtype, got[column].dtype  # bit) is float64 with NaN
            assert now == was or (was.kind in "iuf" and now == np.float64), f"byte {offset}"
        values = got.to_numpy(dtype=np.float64)
        same = (values == undamaged) | (np.isnan(values) & np.isnan(undamaged))
        rows = np.flatnonzero(~same.all(axis=1))
        assert rows.size <= 1, f"byte {offset}: rows {rows[:5]} differ"
    assert outcomes["refused or told"] > 10 and outcomes["read"] > 10


# -- auxiliary inputs (no real file has them: Arbin's layout, built by hand) -------------


def test_auxiliary_inputs_become_columns_aligned_by_data_point() -> None:
    aux = {
        "Test_ID": np.array([1, 1, 1, 1, 1]),
        "Data_Point": np.array([3, 1, 2, 1, 3]),
        "Auxiliary_Index": np.array([1, 1, 1, 2, 2]),
        "Data_Type": np.array([1, 1, 1, 0, 0]),
        "X": np.array([25.5, 25.0, 25.25, 0.1, 0.3], dtype=np.float32),
    }
    aux_global = {
        "Channel_Index": np.array([3, 3]),
        "Auxiliary_Index": np.array([1, 2]),
        "Data_Type": np.array([1, 0]),
        "Nickname": np.array(["T1", "V2"], dtype=object),
        "Unit": np.array(["C", "V"], dtype=object),
    }
    points = np.array([1, 2, 3])
    columns, temperature = _aux_columns(aux, aux_global, points, Path("x.res"))
    assert temperature == "Aux_Temperature_1"
    np.testing.assert_array_equal(columns["Aux_Temperature_1"][0], [25.0, 25.25, 25.5])
    assert columns["Aux_Temperature_1"][1] == "C"
    np.testing.assert_allclose(columns["Aux_Voltage_2"][0], [0.1, np.nan, 0.3], rtol=1e-7)
    assert columns["Aux_Voltage_2"][1] == "V"
    fahrenheit = dict(aux_global, Unit=np.array(["F", "V"], dtype=object))
    _, temperature = _aux_columns(aux, fahrenheit, points, Path("x.res"))
    assert temperature is None  # never relabelled as degC
    with pytest.warns(echem.EchemWarning, match="data points the normal table does not have"):
        _aux_columns(aux, aux_global, np.array([1, 2]), Path("x.res"))


# -- synthetic databases (tests/jet4_writer.py, independent of echem's decoder) ---------

NORMAL_COLUMNS = [
    jet.Column("Test_ID", jet.LONG),
    jet.Column("Data_Point", jet.LONG),
    jet.Column("Test_Time", jet.DOUBLE),
    jet.Column("Step_Time", jet.DOUBLE),
    jet.Column("DateTime", jet.DOUBLE),
    jet.Column("Step_Index", jet.INT),
    jet.Column("Cycle_Index", jet.INT),
    jet.Column("Is_FC_Data", jet.BYTE),
    jet.Column("Current", jet.FLOAT),
    jet.Column("Voltage", jet.FLOAT),
    jet.Column("Charge_Capacity", jet.DOUBLE),
    jet.Column("Discharge_Capacity", jet.DOUBLE),
    jet.Column("Charge_Energy", jet.DOUBLE),
    jet.Column("Discharge_Energy", jet.DOUBLE),
    jet.Column("dV/dt", jet.FLOAT),
    jet.Column("Internal_Resistance", jet.FLOAT),
]
GLOBAL_COLUMNS = [
    jet.Column("Test_ID", jet.LONG),
    jet.Column("Test_Name", jet.TEXT, compressed=True),
    jet.Column("Channel_Index", jet.INT),
    jet.Column("Start_DateTime", jet.DOUBLE),
    jet.Column("Creator", jet.TEXT, compressed=True),
    jet.Column("Comments", jet.MEMO, compressed=True),
    jet.Column("Schedule_File_Name", jet.TEXT, compressed=True),
    jet.Column("Log_Aux_Data_Flag", jet.BOOL),
    jet.Column("Serial_Number", jet.TEXT),
    jet.Column("MASS", jet.FLOAT),
]
AUX_COLUMNS = [
    jet.Column("Test_ID", jet.LONG),
    jet.Column("Data_Point", jet.LONG),
    jet.Column("Auxiliary_Index", jet.INT),
    jet.Column("Data_Type", jet.INT),
    jet.Column("X", jet.FLOAT),
    jet.Column("dX/dt", jet.FLOAT),
]
AUX_GLOBAL_COLUMNS = [
    jet.Column("Channel_Index", jet.INT),
    jet.Column("Auxiliary_Index", jet.INT),
    jet.Column("Data_Type", jet.INT),
    jet.Column("Nickname", jet.TEXT),
    jet.Column("Unit", jet.TEXT),
]
#: 2016-08-05 16:16:23 as an OLE Automation date.
START = 42587.67804398148


def _normal_rows(test_id: int, points: int, first_point: int = 1) -> list[list]:
    """A constant-current charge at 0.5 mA from 3.0 V: values exact in float32, the
    counters the integral of the current (Ah, Wh)."""
    rows = []
    for k in range(points):
        t = 10.0 * k
        current, voltage = 5e-4, 3.0 + k / 64
        charge = current * t / 3600
        rows.append(
            [test_id, first_point + k, t, t, START + t / 86400, 1, 1, 0, current, voltage]
            + [charge, 0.0, charge * 3.5, 0.0, 1 / 1024, 0.5]
        )
    return rows


def _arbin_file(
    tmp_path: Path,
    tests: tuple[tuple[int, int, int], ...] = ((1, 3, 40),),
    *,
    aux: list[list] | None = None,
    aux_global: list[list] | None = None,
    name: str = "synthetic.res",
    interleave: bool = True,
    **normal: object,
) -> Path:
    """An Arbin-shaped Jet 4 database: one Global_Table row per (Test_ID, channel,
    points), the normal table's rows of each test (several data pages), optionally
    auxiliary rows; ``normal`` passes layout options to the normal table."""
    global_rows = [
        [test_id, f"cell_{test_id}", channel, START, "r5", (f"test {test_id} " * 80, "chain")]
        + ["LiCoO2_CC.sdu", True, "176075", 0.00125]
        for test_id, channel, _ in tests
    ]
    normal_rows = [row for t, _, n in tests for row in _normal_rows(t, n)]
    tables = [
        jet.Table(
            "Version_Table", [jet.Column("Version_Schema_Field", jet.TEXT)], [["Results File 5.26"]]
        ),
        jet.Table("Global_Table", GLOBAL_COLUMNS, global_rows),
        jet.Table("Channel_Normal_Table", NORMAL_COLUMNS, normal_rows, rows_per_page=9, **normal),
        jet.Table("Auxiliary_Table", AUX_COLUMNS, aux or [], rows_per_page=13),
        jet.Table("Aux_Global_Data_Table", AUX_GLOBAL_COLUMNS, aux_global or []),
    ]
    target = tmp_path / name
    target.write_bytes(jet.database(tables, interleave=interleave))
    return target


@pytest.mark.skipif(shutil.which("mdb-export") is None, reason="mdbtools is not installed")
def test_the_test_writer_writes_what_mdb_export_reads(tmp_path: Path) -> None:
    """The synthetic databases below are what mdbtools reads too (rows, values, text,
    long values, a Yes/No): the writer and echem's reader cannot share a mistake."""
    aux = [[1, p, 0, 1, 25.0 + p / 8, 0.125] for p in range(1, 41)]
    path = _arbin_file(tmp_path, aux=aux, aux_global=[[3, 0, 1, "T1", "C"]])
    for table, width in (("Channel_Normal_Table", 16), ("Auxiliary_Table", 6)):
        text = subprocess.run(["mdb-export", str(path), table], capture_output=True, check=True)
        exported = pd.read_csv(io.StringIO(text.stdout.decode()))
        assert exported.shape == ((40, width))
    exported = pd.read_csv(
        io.StringIO(
            subprocess.run(
                ["mdb-export", str(path), "Channel_Normal_Table"], capture_output=True
            ).stdout.decode()
        )
    )
    np.testing.assert_allclose(exported.to_numpy(float), np.array(_normal_rows(1, 40)), rtol=1e-7)
    text = subprocess.run(["mdb-export", str(path), "Global_Table"], capture_output=True)
    (row,) = pd.read_csv(io.StringIO(text.stdout.decode())).to_dict("records")
    assert row["Test_Name"] == "cell_1" and row["Comments"] == "test 1 " * 80
    assert row["Log_Aux_Data_Flag"] == 1 and row["Serial_Number"] == 176075


@pytest.mark.parametrize("unit", ["F", "C"])
def test_aux_units_are_read_where_the_channel_numbers_differ(tmp_path: Path, unit: str) -> None:
    """MITS Pro numbers Aux_Global_Data_Table's channel apart from Global_Table's (cellpy's
    aux_multi_x.res: 0 vs 1; aux_one_x_dx.res: 30 vs 31). The table was dropped as
    'empty', its units unread, and a Fahrenheit input became temperature_degC."""
    aux = [[1, p, 0, 1, 77.0 + p / 8, 0.125] for p in range(1, 41)]
    path = _arbin_file(tmp_path, ((1, 1, 40),), aux=aux, aux_global=[[0, 0, 1, "T1", unit]])
    frame = read_res(path)
    assert "Aux_Global_Data_Table" not in frame.attrs["metadata"]["empty_tables"]
    assert frame.attrs["tables"]["Aux_Global_Data_Table"]["Unit"].tolist() == [unit]
    assert frame.attrs["metadata"]["units"]["Aux_Temperature_0"] == unit
    np.testing.assert_array_equal(frame["Aux_Temperature_0"], [77.0 + p / 8 for p in range(1, 41)])
    if unit == "F":
        assert "temperature_degC" not in frame  # never relabelled as degC
    else:
        np.testing.assert_array_equal(frame["temperature_degC"], frame["Aux_Temperature_0"])


def test_aux_rows_without_their_keys_are_told_not_a_bare_error(tmp_path: Path) -> None:
    """A null Auxiliary_Index, Data_Type or Data_Point (the row cannot be placed) raised
    a bare ValueError ('cannot convert float NaN to integer')."""
    aux = [[1, p, 0, 1, 25.0 + p / 8, 0.125] for p in range(1, 41)]
    aux[5][3] = None
    aux[6][2] = None
    aux[7][1] = None
    path = _arbin_file(tmp_path, aux=aux, aux_global=[[3, 0, 1, "T1", "C"]])
    with pytest.warns(
        echem.EchemWarning,
        match="3 Auxiliary_Table row.*no Data_Point, Auxiliary_Index or Data_Type",
    ):
        frame = read_res(path)
    expected = [np.nan if p in (6, 7, 8) else 25.0 + p / 8 for p in range(1, 41)]
    np.testing.assert_array_equal(frame["Aux_Temperature_0"], expected)
    assert len(frame.attrs["tables"]["Auxiliary_Table"]) == 40
    renamed = dict(frame.attrs["tables"]["Auxiliary_Table"])
    renamed["Auxiliary_Indx"] = renamed.pop("Auxiliary_Index")
    with pytest.warns(echem.EchemWarning, match="has no Auxiliary_Index column"):
        assert _aux_columns(renamed, None, np.arange(1, 41), path) == ({}, None)


@pytest.mark.parametrize("usage_map_type", [0, 1])
def test_pages_come_from_the_usage_map(tmp_path: Path, usage_map_type: int) -> None:
    """The normal table's pages are those its usage map lists (both map types; pages
    interleaved with the aux table's, as a live file has them): live rows left on a page
    the table owns but its map does not list (a freed page) are not the table's. Before,
    every page naming the table as owner was read: such a file was refused ('declares
    40 rows, its data pages hold 43')."""
    stale = _normal_rows(1, 3, first_point=1000)
    aux = [[1, p, 0, 1, 25.0 + p / 8, 0.125] for p in range(1, 41)]
    path = _arbin_file(tmp_path, aux=aux, stale=stale, usage_map_type=usage_map_type)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = read_res(path)
    assert frame["Data_Point"].tolist() == list(range(1, 41))
    np.testing.assert_array_equal(frame["time_s"], [10.0 * k for k in range(40)])
    np.testing.assert_array_equal(frame["voltage_V"], [3.0 + k / 64 for k in range(40)])


def test_a_row_count_other_than_declared_is_read_and_told(tmp_path: Path) -> None:
    """A definition's row count that does not match the rows (a file not closed
    properly: mdbtools issue 120; a copy made while the test ran) warns and reads the
    rows; it was refused."""
    path = _arbin_file(tmp_path, declared=45)
    with pytest.warns(echem.EchemWarning, match="declares 45 rows, its data pages hold 40"):
        frame = read_res(path)
    assert frame["Data_Point"].tolist() == list(range(1, 41))


@pytest.mark.parametrize("deleted_flags", [0xC000, 0x8000])
def test_deleted_moved_and_short_rows(tmp_path: Path, deleted_flags: int) -> None:
    """Rows flagged deleted (0xC000 as Access/Jackcess delete a row; 0x8000 alone, which
    mdb-export 1.0 prints as data: its code takes 0x4000 for 'deleted') are not data;
    rows moved to another page (0x4000 pointer, the row flagged 0x8000 where it now
    lives) are read once; a row written before the last two columns were added has them
    null."""
    deleted = _normal_rows(1, 2, first_point=500)
    path = _arbin_file(
        tmp_path,
        deleted=deleted,
        deleted_flags=deleted_flags,
        moved=[5, 17, 39],
        short_rows={8: 14},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = read_res(path)
    expected = pd.DataFrame(_normal_rows(1, 40), columns=[c.name for c in NORMAL_COLUMNS])
    expected.loc[8, ["dV/dt", "Internal_Resistance"]] = np.nan
    got = frame[expected.columns].astype(float)
    pd.testing.assert_frame_equal(got, expected.astype(float), check_dtype=False)
    assert frame["Data_Point"].dtype == np.int32


def test_two_tests_on_two_channels(tmp_path: Path) -> None:
    """Two tests (Global_Table rows on channels 3 and 7) with their points on interleaved
    pages: never mixed; each read whole by test= or channel=, with its own metadata."""
    path = _arbin_file(tmp_path, ((1, 3, 40), (2, 7, 25)))
    with pytest.raises(echem.ParseError, match=r"2 tests: Test_ID 1 'cell_1' on channel 3 \(40"):
        read_res(path)
    for test_id, channel, points in ((1, 3, 40), (2, 7, 25)):
        frame = read_res(path, channel=channel)
        pd.testing.assert_frame_equal(frame, read_res(path, test=test_id))
        assert frame["Test_ID"].unique().tolist() == [test_id]
        assert frame["Data_Point"].tolist() == list(range(1, points + 1))
        metadata = frame.attrs["metadata"]
        assert (metadata["test_name"], metadata["channel"]) == (f"cell_{test_id}", channel)
        assert metadata["comments"] == f"test {test_id} " * 80  # a memo in long-value rows
        assert metadata["Log_Aux_Data_Flag"] is True
        assert metadata["mass_g"] == pytest.approx(0.00125, rel=1e-7)  # a Single
        assert frame.attrs["tables"]["Global_Table"]["Test_ID"].tolist() == [test_id]
    assert list_tests(path)["data_points"].tolist() == [40, 25]


DECIMALS = [
    Decimal("-1234.5678"),
    Decimal("0.0001"),
    Decimal("79228162514264.3375935439503"),  # 28 digits
    None,
    Decimal("0"),
]


def test_decimal_currency_guid_and_dates_decode_exactly(tmp_path: Path) -> None:
    """Decimal (sign byte, four u32 words most significant first, scale in byte 12 of
    the column definition) as exact decimal.Decimal (it was kept as raw bytes with a
    warning); Currency to the double nearest its 1/10000 count; GUID text; Date/Time to
    the millisecond. The same values mdb-export reads where mdbtools is installed."""
    columns = [
        jet.Column("D", jet.NUMERIC, precision=28, scale=13),
        jet.Column("M", jet.MONEY),
        jet.Column("G", jet.GUID),
        jet.Column("T", jet.DATETIME),
    ]
    guid = "{6F9619FF-8B86-D011-B42D-00C04FC964FF}"
    rows = [[d, Decimal("99.9999"), guid, START] for d in DECIMALS]
    rows[3][1:] = [None, None, None]
    target = tmp_path / "types.mdb"
    target.write_bytes(jet.database([jet.Table("Types", columns, rows)]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = AccessDatabase.open(target).read_table("Types")
    assert table["D"].tolist() == DECIMALS
    assert str(table["D"][0]) == "-1234.5678000000000"  # the column's 13 digits
    np.testing.assert_array_equal(table["M"], [99.9999, 99.9999, 99.9999, np.nan, 99.9999])
    assert table["G"].tolist() == [guid, guid, guid, None, guid]
    assert str(table["T"][0]) == "2016-08-05T16:16:23.000" and np.isnat(table["T"][3])
    if shutil.which("mdb-export"):
        text = subprocess.run(["mdb-export", str(target), "Types"], capture_output=True)
        exported = pd.read_csv(io.StringIO(text.stdout.decode()), dtype=str)
        assert [Decimal(v) for v in exported["D"].dropna()] == [
            d for d in DECIMALS if d is not None
        ]


def test_an_encoded_database_is_refused_by_name(path: Path, tmp_path: Path) -> None:
    """Access's 'Encode Database' RC4-scrambles every page with the key at 0x3E of the
    (scrambled) header; echem read the key's pages as if plain."""
    raw = bytearray(path.read_bytes())
    header = bytearray(jet.rc4(jet.HEADER_KEY, bytes(raw[0x18:0x98])))
    assert header[0x3E - 0x18 : 0x3E - 0x18 + 4] == bytes(4)  # the real file is plain
    header[0x3E - 0x18 : 0x3E - 0x18 + 4] = (0x2A5F3C1D).to_bytes(4, "little")
    raw[0x18:0x98] = jet.rc4(jet.HEADER_KEY, bytes(header))
    target = tmp_path / "encoded.res"
    target.write_bytes(bytes(raw))
    with pytest.raises(echem.ParseError, match="encoded Access database") as error:
        read_res(target)
    assert error.value.offset == 0x3E


def test_mits_pro_7_columns_are_known_and_others_warn(tmp_path: Path) -> None:
    """The columns MITS Pro 7 adds to the normal table (cellpy's aux_one_x_dx.res,
    'Results File 20171213') are kept without a warning (each read warned 'not among
    those echem knows'); a name echem does not know still warns."""
    extra = [
        jet.Column("PulseStageIndex", jet.LONG),
        jet.Column("PulseStageTime", jet.FLOAT),
        jet.Column("ACR", jet.FLOAT),
        *(jet.Column(f"TC_Counter{k}", jet.LONG) for k in range(1, 5)),
    ]
    rows = [row + [2, 0.5, 0.25, 1, 2, 3, 4] for row in _normal_rows(1, 40)]
    table = jet.Table("Channel_Normal_Table", NORMAL_COLUMNS + extra, rows)
    global_table = jet.Table("Global_Table", GLOBAL_COLUMNS[:4], [[1, "cell", 3, START]])
    target = tmp_path / "mits7.res"
    target.write_bytes(jet.database([global_table, table]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = read_res(target)
    assert frame["ACR"].tolist() == [0.25] * 40 and frame["TC_Counter4"].tolist() == [4] * 40
    renamed = jet.Table(
        "Channel_Normal_Table",
        NORMAL_COLUMNS + [jet.Column("Foo", jet.LONG)],
        [row[:16] + [7] for row in rows],
    )
    target.write_bytes(jet.database([global_table, renamed]))
    with pytest.warns(echem.EchemWarning, match="'Foo' are not among those echem knows"):
        assert read_res(target)["Foo"].tolist() == [7] * 40


def test_a_test_described_twice_in_global_table_is_told(tmp_path: Path) -> None:
    """Two Global_Table rows for one Test_ID: the metadata (name, channel, start) is
    the first row's, said so (it was taken silently)."""
    path = _arbin_file(tmp_path, ((1, 3, 40), (1, 7, 0)))
    with pytest.warns(echem.EchemWarning, match="several rows for Test_ID 1"):
        frame = read_res(path)
    assert frame.attrs["metadata"]["channel"] == 3
    assert frame.attrs["tables"]["Global_Table"]["Channel_Index"].tolist() == [3, 7]


def test_a_row_moved_past_the_end_of_a_cut_copy_is_missing_and_told(tmp_path: Path) -> None:
    """A copy cut before the page a moved row now lives on: that row is missing, with a
    TruncatedDataWarning, the others read (it refused the whole table: 'moved row:
    page N is past the end of the file')."""
    path = _arbin_file(tmp_path, moved=[2], interleave=False)
    whole = read_res(path)
    raw = path.read_bytes()
    tdef = AccessDatabase(raw, path).table_def("Channel_Normal_Table").page
    moved_to = [
        page
        for page in range(len(raw) // PAGE_SIZE)
        if raw[page * PAGE_SIZE] == 1
        and int.from_bytes(raw[page * PAGE_SIZE + 4 : page * PAGE_SIZE + 8], "little") == tdef
        and any(
            int.from_bytes(
                raw[page * PAGE_SIZE + 14 + 2 * r : page * PAGE_SIZE + 16 + 2 * r], "little"
            )
            & 0xC000
            == 0x8000
            for r in range(
                int.from_bytes(raw[page * PAGE_SIZE + 12 : page * PAGE_SIZE + 14], "little")
            )
        )
    ]
    (page,) = moved_to
    cut = tmp_path / "cut.res"
    cut.write_bytes(raw[: page * PAGE_SIZE])
    with pytest.warns(echem.TruncatedDataWarning) as caught:
        frame = read_res(cut)
    told = " | ".join(str(w.message) for w in caught)
    assert "Channel_Normal_Table: 1 of its data pages and 1 of its rows (moved there)" in told
    assert "column Comments: 1 long value(s) lie past the end" in told
    assert 3 not in frame["Data_Point"].tolist() and len(frame) >= 30
    # the Global_Table row is read, its memo (in long-value pages past the end) null
    assert frame.attrs["metadata"]["test_name"] == "cell_1"
    assert frame.attrs["metadata"]["comments"] is None
    expected = whole[whole["Data_Point"].isin(frame["Data_Point"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, expected)


@pytest.mark.parametrize(("version", "engine"), [(1, b"Jet"), (2, b"ACE"), (5, b"ACE")])
def test_a_table_of_255_columns_over_continued_definition_pages(
    tmp_path: Path, version: int, engine: bytes
) -> None:
    """255 columns (Access's most; every fourth a text, some null): a definition that
    runs over three pages, a 32-byte null mask, column numbers past 127; Jet 4 and ACE
    (Access 2007, 2016) lay them out alike. Values as written, and as mdb-export reads."""
    columns = [
        jet.Column(f"c{k:03d}", jet.TEXT if k % 4 == 3 else jet.DOUBLE, compressed=k % 8 == 3)
        for k in range(255)
    ]
    rows = [
        [
            None if (k + r) % 17 == 0 else (f"v{k}-{r}" if k % 4 == 3 else k + r / 4)
            for k in range(255)
        ]
        for r in range(12)
    ]
    target = tmp_path / "wide.accdb"
    target.write_bytes(
        jet.database(
            [jet.Table("Wide", columns, rows, rows_per_page=5)], version=version, engine=engine
        )
    )
    assert len(target.read_bytes()) // PAGE_SIZE > 3
    database = AccessDatabase.open(target)
    assert database.engine == engine.decode() and database.table_names() == ["Wide"]
    table = database.read_table("Wide")
    for k, column in enumerate(columns):
        got = [None if isinstance(v, float) and v != v else v for v in table[column.name].tolist()]
        assert got == [row[k] for row in rows], column.name
    if shutil.which("mdb-export"):
        text = subprocess.run(["mdb-export", str(target), "Wide"], capture_output=True)
        exported = pd.read_csv(io.StringIO(text.stdout.decode()))
        assert exported.shape == (12, 255)
        np.testing.assert_array_equal(exported["c254"], table["c254"])
        assert exported["c251"].fillna("").tolist() == [v or "" for v in table["c251"]]


def test_rows_of_other_tables_without_a_test_are_told(tmp_path: Path) -> None:
    """An Auxiliary_Table row with a null Test_ID belongs to no test: it was left out of
    attrs['tables'] silently."""
    aux = [[1, p, 0, 1, 25.0 + p / 8, 0.125] for p in range(1, 41)]
    aux[3][0] = None
    path = _arbin_file(tmp_path, aux=aux, aux_global=[[3, 0, 1, "T1", "C"]])
    with pytest.warns(echem.EchemWarning, match="1 row.* of Auxiliary_Table have no Test_ID"):
        frame = read_res(path)
    assert len(frame.attrs["tables"]["Auxiliary_Table"]) == 39
    assert np.isnan(frame["temperature_degC"][3]) and frame["temperature_degC"].notna().sum() == 39


def test_long_values_inline_in_one_row_or_chained(tmp_path: Path) -> None:
    """Memo and OLE values: inline (0x80), in one long-value row (0x40), or a chain of
    rows over several LVAL pages each starting with the pointer to the next; compressed
    (FF FE, one byte a character) or UTF-16; empty and null. A chain that loops or ends
    short is a ParseError naming the table and column."""
    columns = [jet.Column("Id", jet.LONG), jet.Column("Note", jet.MEMO, compressed=True)]
    columns.append(jet.Column("Blob", jet.OLE))
    notes = ["", "short", "Li₃PS₄ | Ω " * 40, "x" * 3000, "ünïcödé " * 500, None]
    blob = bytes(range(256)) * 9
    rows = [
        [k, None if note is None else (note, how), None if note is None else (blob[: 97 * k], how)]
        for k, (note, how) in enumerate(
            zip(notes, ["inline", "inline", "one", "chain", "chain", "one"], strict=True)
        )
    ]
    target = tmp_path / "memo.mdb"
    target.write_bytes(jet.database([jet.Table("Memos", columns, rows)]))
    table = AccessDatabase.open(target).read_table("Memos")
    assert table["Note"].tolist() == notes
    assert table["Blob"].tolist() == [blob[: 97 * k] for k in range(5)] + [None]
    raw = bytearray(target.read_bytes())
    lval = int.from_bytes(b"LVAL", "little")
    pages = [
        p
        for p in range(len(raw) // PAGE_SIZE)
        if raw[p * PAGE_SIZE] == 1
        and int.from_bytes(raw[p * PAGE_SIZE + 4 :][:4], "little") == lval
    ]
    rows = {
        p: p * PAGE_SIZE + (int.from_bytes(raw[p * PAGE_SIZE + 14 :][:2], "little") & 0x1FFF)
        for p in pages
    }
    # a chain's rows start with the pointer (page << 8 | row 0) to the next: loop one back
    # onto itself, or end one early (pointer 0) -- a value must be whole
    links = [p for p in pages if int.from_bytes(raw[rows[p] :][:4], "little") >> 8 in pages]
    assert len(links) >= 4
    for pointer, message in ((links[0] << 8, "ends after"), (0, "ends after")):
        damaged = bytearray(raw)
        damaged[rows[links[0]] : rows[links[0]] + 4] = pointer.to_bytes(4, "little")
        target.write_bytes(bytes(damaged))
        with pytest.raises(echem.ParseError, match=f"table Memos, column (Note|Blob).*{message}"):
            AccessDatabase.open(target).read_table("Memos")


def test_an_unset_start_is_no_start_time(tmp_path: Path) -> None:
    """Start_DateTime 0 (unset) read as a start on 1899-12-30."""
    target = tmp_path / "unset.res"
    global_table = jet.Table("Global_Table", GLOBAL_COLUMNS[:4], [[1, "cell", 3, 0.0]])
    normal = jet.Table("Channel_Normal_Table", NORMAL_COLUMNS, _normal_rows(1, 5))
    target.write_bytes(jet.database([global_table, normal]))
    frame = read_res(target)
    assert frame.attrs["start_time"] is None
    assert frame.attrs["metadata"]["Start_DateTime"] == 0.0  # the stored value is kept
    assert list_tests(target)["start"].tolist() == [None]
