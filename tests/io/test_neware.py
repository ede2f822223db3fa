"""Neware .nda/.ndax reader (echem/io/neware/).

Real files (``../shared/data/real/neware``: .nda versions 8 and 22, .ndax with NDC versions
2, 14, 16, 17) against reference.json: fastnda 1.3.1 (every file: rows; first/last/min/max
of time, voltage, current, capacity, energy, temperature, Unix time, cycle, step) and
NewareNDA 2026.6.11 (the files it reads: its charge and discharge counters, auxiliary
channels). Independent facts: the coulometry cross-check (the instrument's capacity
counter against the integrated current), the step plan in Step.xml, the start time in
the XML. Damaged copies (cut, bit-flipped, each byte of a record) raise ParseError, warn,
or read the values the file holds. Synthetic files of every documented version, written
here from a transcription of the public parsers' layouts independent of echem's tables,
read back their values.
"""

from __future__ import annotations

import json
import random
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import real
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import REFERENCE_JSON, tolerance

import echem
from echem.io.neware import read_nda, read_ndax

NDA = ["neware/nda_v8.nda", "neware/nda_v22.nda"]
NDAX = [
    "neware/21_10_7_85.ndax",
    "neware/46_1_5_60_bts16.ndax",
    "neware/TESTCELL0001-Test_Data_Collection_Ndc17.ndax",
    "neware/nw4-120-1-6-53.ndax",
    "neware/scrubbed_ndc2.ndax",
]
FILES = NDA + NDAX

#: fastnda column -> (echem column, factor from fastnda's unit to echem's).
FASTNDA: dict[str, tuple[str, float]] = {
    "index": ("index", 1.0),
    "voltage_V": ("voltage_V", 1.0),
    "current_mA": ("current_A", 1e-3),
    "unix_time_s": ("unix_time_s", 1.0),
    "step_time_s": ("step_time_s", 1.0),
    "total_time_s": ("time_s", 1.0),
    "cycle_count": ("cycle", 1.0),
    "step_count": ("step", 1.0),
    "step_index": ("step_index", 1.0),
    "capacity_mAh": ("charge_C", 3.6),
    "energy_mWh": ("energy_J", 3.6),
    "aux1_voltage_V": ("aux1_voltage_V", 1.0),
    "aux1_temperature_degC": ("aux1_temperature_degC", 1.0),
    "aux1_temperature_setpoint_degC": ("aux1_temperature_setpoint_degC", 1.0),
}
#: NewareNDA column -> echem column (same units).
NEWARENDA: dict[str, str] = {
    "Index": "index",
    "Cycle": "cycle",
    "Step": "step",
    "Step_Index": "step_index",
    "Time": "step_time_s",
    "Voltage": "voltage_V",
    "Current(mA)": "current_mA",
    "Charge_Capacity(mAh)": "charge_capacity_mAh",
    "Discharge_Capacity(mAh)": "discharge_capacity_mAh",
    "Charge_Energy(mWh)": "charge_energy_mWh",
    "Discharge_Energy(mWh)": "discharge_energy_mWh",
    "V1": "aux1_voltage_V",
    "T1": "aux1_temperature_degC",
    "t1": "aux1_temperature_setpoint_degC",
}
STATISTICS = ("first", "last", "min", "max")


def _read(file: str) -> pd.DataFrame:
    return echem.read(real(file))


def _parsers(file: str) -> dict:
    real(file)  # skips when the real files are absent
    return json.loads(REFERENCE_JSON.read_text(encoding="utf-8"))[file]


def _stats(values: np.ndarray) -> dict[str, float]:
    finite = values[np.isfinite(values)]
    return {
        "first": float(values[0]),
        "last": float(values[-1]),
        "min": float(finite.min()),
        "max": float(finite.max()),
    }


def _assert_stats(frame: pd.DataFrame, column: str, factor: float, want: dict, label: str):
    rtol = tolerance()
    got = _stats(frame[column].to_numpy(dtype=float))
    scale = max(abs(float(v)) for v in want.values()) * abs(factor)
    for name in STATISTICS:
        expected = float(want[name]) * factor
        message = f"{column} {name} vs {label}"
        assert got[name] == pytest.approx(expected, rel=rtol, abs=rtol * scale), message


# --- real files against the reference parsers ----------------------------------------------
@pytest.mark.parametrize("file", FILES)
def test_every_column_matches_fastnda(file: str) -> None:
    entry = _parsers(file)["reference"]
    assert entry["parser"] == "fastnda.read"
    (table,) = entry["tables"]
    frame = _read(file)
    assert len(frame) == table["rows"]
    compared = set()
    for column, stats in table["stats"].items():
        target, factor = FASTNDA[column]
        _assert_stats(frame, target, factor, stats, f"fastnda's {column}")
        compared.add(column)
    # every numeric column fastnda gives is compared (step_type is text, checked below)
    assert compared == set(table["columns"]) - {"step_type"}


@pytest.mark.parametrize("file", FILES)
def test_counters_and_channels_match_newarenda(file: str) -> None:
    found = _parsers(file)["parsers"]["NewareNDA.read"]
    frame = _read(file)
    if not found["ok"]:  # .nda versions 8 and 22: NewareNDA reads neither
        assert "not yet supported" in found["error"]
        return
    (table,) = found["tables"]
    if table["rows"] != len(frame):
        # 21_10_7_85.ndax: NewareNDA takes a record of exactly 0 V for an empty slot; the
        # page's bit mask (and fastnda) count it
        assert file == "neware/21_10_7_85.ndax" and table["rows"] == len(frame) - 1
        assert frame.loc[frame["index"] == 133, "voltage_V"].tolist() == [0.0]
        return
    for column, stats in table["stats"].items():
        if column in NEWARENDA:
            _assert_stats(frame, NEWARENDA[column], 1.0, stats, f"NewareNDA's {column}")


@pytest.mark.parametrize("file", FILES)
def test_canonical_units_and_sign(file: str) -> None:
    frame = _read(file)
    assert np.allclose(frame["current_A"], frame["current_mA"] * 1e-3, rtol=0, atol=0)
    assert np.array_equal(frame["charge_C"], frame["capacity_mAh"] * 3.6)
    assert np.array_equal(frame["energy_J"], frame["energy_mWh"] * 3.6)
    assert np.array_equal(frame["time_s"], frame["total_time_s"])
    if "charge_capacity_mAh" in frame:  # else one signed counter (.nda versions 1-13, 25)
        net = frame["charge_capacity_mAh"] - frame["discharge_capacity_mAh"]
        assert np.array_equal(frame["capacity_mAh"], net)
    types = frame["step_type"].astype(str)
    charging, discharging = types.str.endswith("_Chg"), types.str.endswith("_DChg")
    # Neware records charging current as positive, its capacity counter with it
    assert (frame.loc[charging, "current_A"] >= 0).all()
    assert (frame.loc[discharging, "current_A"] <= 0).all()
    assert (frame.loc[charging, "charge_C"] >= 0).all()
    assert (frame.loc[discharging, "charge_C"] <= 0).all()
    assert (frame.loc[types == "Rest", "current_A"] == 0).all()
    assert frame.attrs["format"] == ("neware-nda" if file.endswith(".nda") else "neware-ndax")


def test_capacity_restarts_with_each_step() -> None:
    frame = _read("neware/TESTCELL0001-Test_Data_Collection_Ndc17.ndax")
    first_of_step = frame.groupby("step").head(1)
    assert (first_of_step["charge_C"] == 0).all()
    per_step = frame.groupby("step")["capacity_mAh"].agg(["min", "max"])
    # step plan: rest, 1 A charge 15 s, rest, 1 A discharge 15 s, rest -> 4.1667 mAh each
    assert per_step.loc[2, "max"] == pytest.approx(4.1665, abs=2e-4)
    assert per_step.loc[4, "min"] == pytest.approx(-4.1665, abs=2e-4)


def test_cycle_step_and_step_type() -> None:
    frame = _read("neware/nw4-120-1-6-53.ndax")
    # BTSDA's charge-first cycles (fastnda's and NewareNDA's default); the file's own
    # counter counts the loops of the plan
    assert (frame["cycle"].min(), frame["cycle"].max()) == (1, 160)
    assert (frame["cycle_count_file"].min(), frame["cycle_count_file"].max()) == (1, 150)
    assert frame["step"].is_monotonic_increasing and frame["step"].max() == 480
    assert set(frame["step_type"].astype(str)) == {"CC_Chg", "CV_Chg", "CC_DChg"}
    assert frame["cycle"].dtype == np.int64 and frame["step"].dtype == np.int64
    # a new cycle starts with each charge step after a discharge
    starts = frame.index[frame["cycle"].diff() == 1]
    assert (frame.loc[starts, "step_type"].astype(str) == "CC_Chg").all()
    assert (frame.loc[starts - 1, "step_type"].astype(str) == "CC_DChg").all()
    plan = frame.attrs["metadata"]["step_plan"]
    plan_types = {step["step_id"]: step["step_type"] for step in plan}
    recorded = frame.groupby("step_index")["step_type"].first().astype(str)
    assert all(plan_types[index] == kind for index, kind in recorded.items())
    assert frame.attrs["technique"] == "mixed"  # CV charging steps


@pytest.mark.parametrize(
    ("file", "technique"),
    [
        ("neware/21_10_7_85.ndax", "ocv"),
        ("neware/46_1_5_60_bts16.ndax", "galvanostatic"),
        ("neware/nda_v8.nda", "galvanostatic"),
        ("neware/scrubbed_ndc2.ndax", "mixed"),  # 'Control' steps
    ],
)
def test_technique(file: str, technique: str) -> None:
    assert _read(file).attrs["technique"] == technique


@pytest.mark.parametrize("file", FILES)
def test_start_time_is_the_first_record(file: str) -> None:
    frame = _read(file)
    first = _parsers(file)["reference"]["tables"][0]["stats"]["unix_time_s"]["first"]
    moment = datetime.fromtimestamp(first, tz=timezone.utc)
    if file.endswith("ndc2.ndax"):  # a calendar date in the records: a wall clock, as written
        assert frame.attrs["start_time"] == "2023-09-28T10:39:45.000"
        assert datetime.fromisoformat(frame.attrs["start_time"]).tzinfo is None
    else:
        assert datetime.fromisoformat(frame.attrs["start_time"]) == moment


def test_metadata_from_the_xml_members() -> None:
    meta = _read("neware/TESTCELL0001-Test_Data_Collection_Ndc17.ndax").attrs["metadata"]
    assert meta["barcode"] == "TESTCELL0001"
    assert (meta["device_id"], meta["unit_id"], meta["channel_id"]) == ("168", "0", "14")
    assert meta["server_version"] == "BTSServer(R3)-8.0.1.437 (2025.01.23)"
    assert meta["client_version"] == "BTS Client 8.0.1.492(2025.01.23)"
    assert meta["test_start_local"] == "2025-09-24T15:20:56"
    assert meta["ndc_version"] == 17
    assert [s["step_type"] for s in meta["step_plan"]] == [
        "Rest",
        "CC_Chg",
        "Rest",
        "CC_DChg",
        "Rest",
        "End",
    ]
    assert meta["xml"]["TestInfo.xml"]["config"]["TestInfo"]["Aux1"]["ChlType"] == "103"
    assert "data_log.ndc (event log, NDC version 17)" in meta["members_not_decoded"]


def test_metadata_of_the_nda_header() -> None:
    meta = _read("neware/nda_v8.nda").attrs["metadata"]
    assert meta["nda_version"] == 8
    assert meta["server_version"] == "BTS_XWJ_6.82_20081229"
    assert meta["test_start_local"] == "2015-09-16T12:08:41"
    assert meta["record_checksums"] == "checked"
    assert meta["status_records"] == {"0xff": 2}
    meta22 = _read("neware/nda_v22.nda").attrs["metadata"]
    assert meta22["active_mass_mg"] == 1.0 and meta22["status_records"] == {"0xaa": 7}


def test_auxiliary_channels_named_by_testinfo() -> None:
    bts16 = _read("neware/46_1_5_60_bts16.ndax")
    assert bts16["temperature_degC"].equals(bts16["aux1_temperature_degC"])
    assert bts16["temperature_degC"].between(23.3, 24.0).all()
    ndc17 = _read("neware/TESTCELL0001-Test_Data_Collection_Ndc17.ndax")
    assert "aux1_voltage_V" not in ndc17  # ChlType 103: one float, a temperature
    assert ndc17["temperature_degC"].iloc[0] == pytest.approx(27.463, abs=1e-3)


def test_run_information_fills_the_records_between() -> None:
    """NDC 14-17 store time and capacity for some records only; the others are the last
    stored value plus the logging interval and current x interval, flagged."""
    frame = _read("neware/nw4-120-1-6-53.ndax")
    stored = ~frame["interpolated"]
    assert stored.sum() == 4769 and stored.iloc[0]
    inside = frame[(frame["step"] == 1) & (frame["step_time_s"] < 100)]
    assert np.allclose(np.diff(inside["step_time_s"]), 10.0)  # Record Time 10 s in Step.xml
    row = inside.index[1]
    previous = inside.index[0]
    expected = frame.at[previous, "capacity_mAh"] + 10.0 * frame.at[row, "current_mA"] / 3600
    assert frame.at[row, "capacity_mAh"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("file", [f for f in FILES if "ndc2" not in f and "21_10" not in f])
def test_coulometry_cross_check_agrees_with_the_instrument(file: str) -> None:
    """Within each run the instrument's capacity increments sum to the integrated charge,
    within the trapezoid's sampling bound (nda_v22 aside: its counter runs at 10.40 mA
    while the current column reads 10.44-10.47 mA, 0.5 % apart: both as the file holds)."""
    frame = _read(file)
    result = echem.coulometry.integrate(frame)
    assert result.has_instrument_charge
    steps = result.steps[result.steps["n_points"] > 1]
    difference = steps["difference_C"].abs()
    if file.endswith("v22.nda"):
        assert (steps["relative_difference"].abs().fillna(0) < 0.008).all()
        last = steps.iloc[-1]
        assert last["instrument_charge_C"] == pytest.approx(108.04135 * 3.6, rel=1e-6)
        return
    allowed = steps["sampling_bound_C"] + 1e-6 * steps["charge_C"].abs() + 1e-9
    assert (difference <= allowed).all(), steps[difference > allowed]


# --- versions, sniffing, registry ----------------------------------------------------------
def test_formats_and_sniffing(tmp_path: Path) -> None:
    names = set(echem.formats()["name"])
    assert {"neware-nda", "neware-ndax"} <= names
    for file in ("neware/nda_v22.nda", "neware/46_1_5_60_bts16.ndax"):
        copy = tmp_path / "renamed.dat"
        copy.write_bytes(real(file).read_bytes())
        assert echem.read(copy).equals(_read(file))


@pytest.mark.parametrize("version", [0, 21, 31, 128, 200])
def test_an_unknown_nda_version_is_named(version: int, tmp_path: Path) -> None:
    raw = bytearray(real("neware/nda_v22.nda").read_bytes())
    raw[14] = version
    target = tmp_path / "x.nda"
    target.write_bytes(bytes(raw))
    with pytest.raises(echem.ParseError, match=rf"version {version} is not supported"):
        echem.read(target)


def _rezip(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
        for info in archive.infolist():
            out.writestr(info.filename, change(info.filename, archive.read(info)))


@pytest.mark.parametrize("version", [10, 18, 99])
def test_an_unknown_ndc_version_is_named(version: int, tmp_path: Path) -> None:
    def change(name: str, data: bytes) -> bytes:
        return data[:2] + bytes([version]) + data[3:] if name == "data.ndc" else data

    target = tmp_path / "x.ndax"
    _rezip(real("neware/46_1_5_60_bts16.ndax"), target, change)
    with pytest.raises(echem.ParseError, match=rf"NDC version {version} .*not supported"):
        echem.read(target)


def test_an_archive_without_data_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "x.ndax"
    with zipfile.ZipFile(target, "w") as out:
        out.writestr("TestInfo.xml", "<root/>")
    with pytest.raises(echem.ParseError, match="no data.ndc"):
        read_ndax(target)
    with pytest.raises(echem.ParseError, match="NEWARE"):
        read_nda(target)


# --- damaged copies ------------------------------------------------------------------------
#: Columns whose values an .nda record of versions 14-29 cannot vouch for (no checksum):
#: a flipped bit there changes that record's number and nothing else. Step and test time
#: may shift the test time of the records after the step's last record.
UNVERIFIABLE = {
    "voltage_V",
    "current_A",
    "current_mA",
    "charge_C",
    "energy_J",
    "capacity_mAh",
    "energy_mWh",
    "charge_capacity_mAh",
    "discharge_capacity_mAh",
    "charge_energy_mWh",
    "discharge_energy_mWh",
    "unix_time_s",
}
TIMES = {"time_s", "total_time_s", "step_time_s"}


def _outcome(path: Path) -> tuple[str, pd.DataFrame | None]:
    """("error", None), ("warned", frame) or ("read", frame); any other exception fails."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = echem.read(path)
        except echem.ParseError as error:
            assert error.path is not None
            return "error", None
    return ("warned" if caught else "read"), frame


def _changed(clean: pd.DataFrame, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Column -> rows whose value differs (NaN equal to NaN)."""
    assert list(frame.columns) == list(clean.columns) and len(frame) == len(clean)
    out = {}
    for column in clean.columns:
        a, b = clean[column], frame[column]
        if a.dtype.kind in "biuf":
            same = np.isclose(a.to_numpy(float), b.to_numpy(float), rtol=0, atol=0, equal_nan=True)
        else:
            same = (a.astype(str) == b.astype(str)).to_numpy()
        if not same.all():
            out[column] = np.flatnonzero(~same)
    return out


def _check_damaged(file: str, path: Path, clean: pd.DataFrame, flipped_at: int | None) -> None:
    kind, frame = _outcome(path)
    if kind != "read":
        return
    if frame.attrs["start_time"] != clean.attrs["start_time"] and flipped_at is not None:
        # only the first record's Unix time, unchecked in .nda 14-29, sets it
        assert file == "neware/nda_v22.nda"
    changed = _changed(clean, frame)
    if not changed:
        return
    # a silent change: only where no checksum covers the byte (.nda version 22), in one
    # record's unverifiable values (the test times after it may follow)
    assert file == "neware/nda_v22.nda", f"{path.name}: {sorted(changed)} changed silently"
    assert set(changed) <= UNVERIFIABLE | TIMES, sorted(changed)
    rows = {int(r) for c, r in changed.items() if c not in TIMES for r in r}
    assert len(rows) <= 1, rows


@pytest.mark.parametrize("file", FILES)
def test_cut_copies(file: str, tmp_path: Path) -> None:
    raw = real(file).read_bytes()
    clean = _read(file)
    rng = random.Random(zlib.crc32(file.encode()))
    cuts = {1, 6, 15, 100, 2047, 2048, len(raw) // 2, len(raw) - 1, len(raw) - 90}
    cuts |= {rng.randrange(1, len(raw)) for _ in range(10)}
    target = tmp_path / Path(file).name
    for cut in sorted(c for c in cuts if 0 < c < len(raw)):
        target.write_bytes(raw[:cut])
        kind, frame = _outcome(target)
        if kind == "read":  # a cut at a record boundary of an .nda without a length
            assert len(frame) < len(clean) or _changed(clean, frame) == {}
            assert file.endswith(".nda")
            assert frame.equals(clean.iloc[: len(frame)].reset_index(drop=True)) or len(frame) == 0


@pytest.mark.parametrize("file", FILES)
def test_bit_flipped_copies(file: str, tmp_path: Path) -> None:
    raw = real(file).read_bytes()
    clean = _read(file)
    rng = random.Random(zlib.crc32(file.encode()) + 1)
    target = tmp_path / Path(file).name
    positions = [rng.randrange(0, min(len(raw), 2048)) for _ in range(15)]
    positions += [rng.randrange(0, len(raw)) for _ in range(25)]
    for position in positions:
        damaged = bytearray(raw)
        damaged[position] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(damaged))
        _check_damaged(file, target, clean, position)


@pytest.mark.parametrize(
    ("file", "record"), [("neware/nda_v8.nda", 59), ("neware/nda_v22.nda", 86)]
)
def test_every_byte_of_a_record_flipped(file: str, record: int, tmp_path: Path) -> None:
    """Each byte of a data record in the middle of a step, its lowest and highest bit:
    a checksummed record (version 8) never reads differently; version 22 only in the
    values no reader can check."""
    raw = real(file).read_bytes()
    clean = _read(file)
    begin = int.from_bytes(raw[64:68], "little")
    start = begin + record * 5  # the 5th data record, inside the first step
    target = tmp_path / Path(file).name
    for position in range(start, start + record):
        for bit in (0, 7):
            damaged = bytearray(raw)
            damaged[position] ^= 1 << bit
            target.write_bytes(bytes(damaged))
            _check_damaged(file, target, clean, position)


def test_a_record_cut_short_is_left_out_with_a_warning(tmp_path: Path) -> None:
    raw = real("neware/nda_v22.nda").read_bytes()
    target = tmp_path / "cut.nda"
    target.write_bytes(raw[:-40])
    with pytest.warns(echem.TruncatedDataWarning, match="ends .* short|cut short"):
        frame = echem.read(target)
    clean = _read("neware/nda_v22.nda")
    assert len(frame) == len(clean) - 1
    assert frame.equals(clean.iloc[:-1])


@pytest.mark.parametrize("size", [0, 1, 6, 100, 3000])
def test_empty_and_noise(size: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(size)
    for prefix, suffix in ((b"NEWARE", ".nda"), (b"PK\x03\x04", ".ndax")):
        target = tmp_path / f"noise{suffix}"
        target.write_bytes(prefix + rng.integers(0, 256, size, dtype=np.uint8).tobytes())
        with pytest.raises(echem.ParseError):
            echem.read(target)


# --- synthetic files of every documented version ------------------------------------------
# Layouts transcribed for these tests from fastnda 1.3.1 (nda.py, _ndc/*.py) and NewareNDA
# 2026.6.11, independently of echem's tables: field -> (byte offset, struct code).
# Quantities in the file's units: voltage in 0.1 mV (integers) or V / 0.1 mV (floats),
# current and capacity integers times the range multiplier (range 1000: x 0.1 mA, mA s).
_NDA_LAYOUTS: dict[str, tuple[int, dict[str, tuple[int, str]]]] = {
    "1": (38, {"index": (0, "I"), "cycle": (4, "I"), "step_index": (8, "B"),
               "step_type": (9, "B"), "time_s": (10, "I"), "volt": (14, "i"),
               "curr": (18, "i"), "cap": (30, "q")}),
    "2": (39, {"id": (0, "B"), "cycle": (5, "I"), "step_type": (9, "B"),
               "step_index": (10, "B"), "time_s": (11, "I"), "volt": (15, "i"),
               "curr": (19, "i"), "cap": (31, "q")}),
    "3": (43, {"id": (0, "B"), "index": (1, "I"), "cycle": (5, "I"), "step_index": (9, "B"),
               "step_type": (10, "B"), "time_s": (11, "I"), "volt": (15, "i"),
               "curr": (19, "i"), "cap": (31, "q"), "crc": (39, "I")}),
    "5": (59, {"id": (0, "B"), "index": (1, "I"), "cycle": (5, "I"), "step_index": (9, "B"),
               "step_type": (10, "B"), "time_s": (11, "I"), "volt": (15, "i"),
               "curr": (19, "i"), "cap": (31, "q"), "energy": (39, "q"), "unix": (47, "Q"),
               "crc": (55, "I")}),
    "9": (60, {"id": (0, "B"), "index": (2, "I"), "cycle": (6, "I"), "step_index": (10, "B"),
               "step_type": (11, "B"), "time_s": (12, "I"), "volt": (16, "i"),
               "curr": (20, "i"), "cap": (32, "q"), "energy": (40, "q"), "unix": (48, "Q"),
               "crc": (56, "I")}),
    "10": (64, {"id": (0, "B"), "index": (2, "I"), "cycle": (6, "I"), "step_index": (10, "B"),
                "step_type": (11, "B"), "time_s": (12, "Q"), "volt": (20, "i"),
                "curr": (24, "i"), "cap": (36, "q"), "energy": (44, "q"), "unix": (52, "Q"),
                "crc": (60, "I")}),
    "11": (69, {"id": (0, "B"), "index": (2, "I"), "cycle": (6, "I"), "step_index": (10, "H"),
                "step_type": (12, "B"), "time_ms": (13, "Q"), "volt": (21, "i"),
                "curr": (25, "i"), "cap": (37, "q"), "energy": (45, "q"), "unix": (53, "Q"),
                "range": (61, "i"), "crc": (65, "I")}),
    "14": (86, {"id": (0, "B"), "index": (2, "I"), "cycle": (6, "I"), "step_index": (10, "H"),
                "step_type": (12, "B"), "counter": (13, "B"), "time_ms": (14, "Q"),
                "volt": (22, "i"), "curr": (26, "i"), "ccap": (38, "q"), "dcap": (46, "q"),
                "ceng": (54, "q"), "deng": (62, "q"), "unix": (70, "Q"), "range": (78, "i")}),
    "19": (68, {"id": (0, "B"), "index": (8, "I"), "cycle": (12, "I"), "step_index": (16, "H"),
                "step_type": (18, "B"), "time_s": (24, "I"), "volt": (28, "i"),
                "curr": (32, "i"), "ccap": (44, "i"), "dcap": (48, "i"), "ceng": (52, "i"),
                "deng": (56, "i"), "unix": (60, "I"), "crc": (64, "I")}),
    "25": (70, {"id": (0, "B"), "index": (2, "I"), "cycle": (6, "I"), "step_index": (10, "H"),
                "step_type": (12, "B"), "time_ms": (13, "Q"), "volt": (21, "i"),
                "curr": (25, "i"), "cap": (37, "q"), "energy": (45, "q"), "unix": (53, "Q"),
                "range": (61, "i"), "crc": (66, "I")}),
    "29": (86, {"id": (0, "B"), "index": (2, "I"), "cycle": (6, "I"), "step_index": (10, "H"),
                "step_type": (12, "B"), "counter": (13, "B"), "time_ms": (14, "Q"),
                "volt": (22, "i"), "curr": (26, "i"), "ccap": (38, "q"), "dcap": (46, "q"),
                "ceng": (54, "q"), "deng": (62, "q"), "date": (70, "HBBBBB"),
                "range": (78, "i")}),
}  # fmt: skip
_NDA_FAMILY = {
    **dict.fromkeys((1,), "1"),
    **dict.fromkeys((2,), "2"),
    **dict.fromkeys((3, 4), "3"),
    **dict.fromkeys((5, 6, 7, 8), "5"),
    **dict.fromkeys((9,), "9"),
    **dict.fromkeys((10,), "10"),
    **dict.fromkeys((11, 12, 13, 15, 18), "11"),
    **dict.fromkeys((14, 16, 17, 20, 22, 23, 24), "14"),
    **dict.fromkeys((19,), "19"),
    **dict.fromkeys((25, 27), "25"),
    **dict.fromkeys((26, 28, 29), "29"),
}
#: Versions echem checked on a real file (or that share a layout with one).
_VERIFIED_NDA = {5, 6, 7, 8, 14, 16, 17, 20, 22, 23, 24}

#: Three records: a rest, a 100 mA charge, a 50 mA discharge, each its own step.
_ROWS = [
    {"step": 1, "type": "Rest", "time": 0, "volt": 3.0, "curr": 0.0, "cap": 0.0, "eng": 0.0},
    {"step": 2, "type": "CC_Chg", "time": 10, "volt": 3.5, "curr": 100.0, "cap": 1.0, "eng": 3.5},
    {"step": 3, "type": "CC_DChg", "time": 20, "volt": 3.2, "curr": -50.0, "cap": 0.5, "eng": 1.6},
]  # fmt: skip
_CODES = {"Rest": 4, "CC_Chg": 1, "CC_DChg": 2}
_LEGACY_CODES = {"Rest": 5, "CC_Chg": 1, "CC_DChg": 4}  # .nda version 1
_UNIX0 = 1_700_000_000
_MULT = 0.1  # range 1000


def _put(record: bytearray, spec: tuple[int, str], *values: int | float) -> None:
    struct.pack_into("<" + spec[1], record, spec[0], *values)


def _nda_record(version: int, row: dict, index: int) -> bytes:
    size, fields = _NDA_LAYOUTS[_NDA_FAMILY[version]]
    record = bytearray(size)
    codes = _LEGACY_CODES if version == 1 else _CODES
    sign = -1 if row["curr"] < 0 else 1
    values = {
        "id": 0 if version in (2, 5, 6, 7, 8) else 0x55,
        "index": index,
        "cycle": 1 if version in (6, 8) else 0,
        "step_index": row["step"],
        "step_type": codes[row["type"]],
        "counter": row["step"],
        "time_s": row["time"],
        "time_ms": row["time"] * 1000,
        "volt": round(row["volt"] * 1e4),
        "curr": round(row["curr"] / _MULT),
        "cap": round(row["cap"] * 3600 / _MULT),
        "energy": round(row["eng"] * 3600 / _MULT),
        "ccap": round(row["cap"] * 3600 / _MULT) if sign > 0 else 0,
        "dcap": round(row["cap"] * 3600 / _MULT) if sign < 0 else 0,
        "ceng": round(row["eng"] * 3600 / _MULT) if sign > 0 else 0,
        "deng": round(row["eng"] * 3600 / _MULT) if sign < 0 else 0,
        "unix": _UNIX0 + row["time"],
        "range": 1000,
    }
    for name, spec in fields.items():
        if name == "date":
            moment = datetime.fromtimestamp(_UNIX0 + row["time"], tz=timezone.utc)
            parts = (moment.year, moment.month, moment.day, moment.hour, moment.minute)
            _put(record, spec, *parts, moment.second)
        elif name != "crc":
            _put(record, spec, values[name])
    if "crc" in fields:
        _put(record, fields["crc"], zlib.crc32(bytes(record)))
    return bytes(record)


def _nda_file(version: int, body: bytes, aux: bytes = b"") -> bytes:
    header = bytearray(2048)
    header[0:14] = b"NEWARE20250101"
    header[14] = version
    struct.pack_into("<I", header, 16, 1024)  # the channel block; its range at +26
    struct.pack_into("<i", header, 1024 + 26, 1000)
    struct.pack_into("<II", header, 64, 2048, len(body))
    struct.pack_into("<II", header, 72, 2048 + len(body), len(aux))
    return bytes(header) + body + aux


def _expect(frame: pd.DataFrame, *, energy: bool = True, times: tuple = (0, 10, 30)) -> None:
    assert frame["index"].tolist() == [1, 2, 3]
    assert frame["voltage_V"].to_numpy() == pytest.approx([3.0, 3.5, 3.2], rel=1e-6)
    assert frame["current_A"].to_numpy() == pytest.approx([0.0, 0.1, -0.05], rel=1e-6)
    assert frame["charge_C"].to_numpy() == pytest.approx([0.0, 3.6, -1.8], rel=1e-6)
    if energy:
        assert frame["energy_J"].to_numpy() == pytest.approx([0.0, 12.6, -5.76], rel=1e-6)
    assert frame["step_type"].astype(str).tolist() == ["Rest", "CC_Chg", "CC_DChg"]
    assert frame["step"].tolist() == [1, 2, 3] and frame["cycle"].tolist() == [1, 1, 1]
    assert frame["time_s"].to_numpy() == pytest.approx(times)


def _read_synthetic(path: Path, verified: bool) -> pd.DataFrame:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = echem.read(path)
    unverified = [w for w in caught if "not checked it against a real file" in str(w.message)]
    assert bool(unverified) is not verified, [str(w.message) for w in caught]
    assert not [w for w in caught if w not in unverified], [str(w.message) for w in caught]
    return frame


@pytest.mark.parametrize("version", sorted(_NDA_FAMILY))
def test_every_documented_nda_version(version: int, tmp_path: Path) -> None:
    body = b"".join(_nda_record(version, row, i + 1) for i, row in enumerate(_ROWS))
    target = tmp_path / f"v{version}.nda"
    target.write_bytes(_nda_file(version, body))
    frame = _read_synthetic(target, version in _VERIFIED_NDA)
    fields = _NDA_LAYOUTS[_NDA_FAMILY[version]][1]
    _expect(frame, energy="energy" in fields or "ceng" in fields)
    assert frame.attrs["metadata"]["nda_version"] == version
    assert frame["cycle_count_file"].tolist() == [1, 1, 1]
    if "unix" in fields or "date" in fields:
        assert frame["unix_time_s"].tolist() == [_UNIX0, _UNIX0 + 10, _UNIX0 + 20]
        start = datetime.fromisoformat(frame.attrs["start_time"])
        assert start.replace(tzinfo=timezone.utc).timestamp() == _UNIX0
    if "crc" in fields:  # a damaged record is caught where the layout has a CRC
        damaged = bytearray(target.read_bytes())
        damaged[2048 + len(body) // 3 * 2 - 5] ^= 0x10
        target.write_bytes(bytes(damaged))
        with pytest.raises(echem.ParseError, match="CRC-32"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", echem.EchemWarning)
                echem.read(target)


@pytest.mark.parametrize("version", [14, 29])
def test_nda_auxiliary_channels(version: int, tmp_path: Path) -> None:
    """Auxiliary records (identifier 0x65): version 14's in their own block, 29's among
    the data records; channel number at byte 1, voltage (0.1 mV) at 22, temperature
    (0.1 degC) at 34."""
    records = [_nda_record(version, row, i + 1) for i, row in enumerate(_ROWS)]
    aux = []
    for i in range(3):
        record = bytearray(86)
        struct.pack_into("<BBI", record, 0, 0x65, 2, i + 1)
        struct.pack_into("<i", record, 22, 12345 + i)
        struct.pack_into("<h", record, 34, 251 + i)
        aux.append(bytes(record))
    if version == 14:
        data = _nda_file(version, b"".join(records), b"".join(aux))
    else:
        data = _nda_file(
            version, b"".join(r for pair in zip(records, aux, strict=True) for r in pair)
        )
    target = tmp_path / f"aux{version}.nda"
    target.write_bytes(data)
    frame = _read_synthetic(target, version == 14)
    _expect(frame)
    assert frame["aux2_temperature_degC"].tolist() == pytest.approx([25.1, 25.2, 25.3])
    assert frame["temperature_degC"].equals(frame["aux2_temperature_degC"])
    assert frame["aux2_voltage_V"].tolist() == pytest.approx([1.2345, 1.2346, 1.2347])


def _bts9_file(record_version: int, records: list[bytes]) -> bytes:
    header = bytearray(2048)
    header[0:14] = b"NEWARE20250101"
    header[14] = 130
    struct.pack_into("<H", header, 16, record_version)
    body = b"".join(records)
    struct.pack_into("<QQ", header, 82, 2048, len(body))
    return bytes(header) + body


@pytest.mark.parametrize(
    ("record_version", "size"), [(2, 88), (3, 88), (19, 52), (19, 56), (42, 60)]
)
def test_bts9_nda(record_version: int, size: int, tmp_path: Path) -> None:
    records = []
    for i, row in enumerate(_ROWS):
        record = bytearray(size)
        sign = -1 if row["curr"] < 0 else 1
        cap, eng = row["cap"] * 3600, row["eng"] * 3600  # mA s, mW s
        if size == 88:
            struct.pack_into("<4sB", record, 0, b"\x01\x02\x03\x04", 0x55)
            struct.pack_into("<BB", record, 9, row["step"], _CODES[row["type"]])
            struct.pack_into("<I", record, 16, i + 1)
            struct.pack_into("<Qff", record, 28, row["time"] * 10**6, row["volt"], row["curr"])
            charge = (cap, eng) if sign > 0 else (0.0, 0.0)
            discharge = (cap, eng) if sign < 0 else (0.0, 0.0)
            struct.pack_into(
                "<ffffQ", record, 52, *charge, *discharge, (_UNIX0 + row["time"]) * 10**6
            )
        else:
            struct.pack_into("<HBB", record, 0, 0x55, row["step"], _CODES[row["type"]])
            total = [0, 10, 30][i]
            struct.pack_into(
                "<IIIffff",
                record,
                8,
                i + 1,
                total,
                0,
                row["curr"],
                row["volt"],
                sign * cap,
                sign * eng,
            )
            unix = (_UNIX0 + row["time"], 0)
            if size == 60:
                struct.pack_into("<IIIfI", record, 36, *unix, 0, 24.5, 0)
            else:
                struct.pack_into("<I", record, 36, 0)
                struct.pack_into("<II", record, 44, *unix)
                if size == 56:
                    struct.pack_into("<f", record, 52, 24.5)
        records.append(bytes(record))
    target = tmp_path / "bts9.nda"
    target.write_bytes(_bts9_file(record_version, records))
    frame = _read_synthetic(target, False)
    _expect(frame)
    assert frame.attrs["metadata"]["bts9_record_version"] == record_version
    if size in (56, 60):
        assert frame["temperature_degC"].tolist() == pytest.approx([24.5] * 3)


def test_bts9_unknown_record_version(tmp_path: Path) -> None:
    target = tmp_path / "bts9.nda"
    target.write_bytes(_bts9_file(7, [bytes(88)]))
    with pytest.raises(echem.ParseError, match="record version 7 is not supported"):
        echem.read(target)


# .ndc members: pages (512 bytes with records from byte 5 up to version 4, 4096 bytes
# from byte 132 after), a header page first; in each page byte 2-3 the record count and
# from byte 4 the bit mask of used slots.
def _ndc(filetype: int, version: int, records: list[bytes], header: bytes = b"") -> bytes:
    page, start = (512, 5) if version <= 4 else (4096, 132)
    size = len(records[0])
    per_page = (page - start - 1) // size
    head = bytearray(page)
    head[0], head[2] = filetype, version
    head[3 : 3 + len(header)] = header
    out = [bytes(head)]
    for first in range(0, len(records), per_page):
        chunk = records[first : first + per_page]
        body = bytearray(page)
        body[0] = filetype + 1
        struct.pack_into("<H", body, 2, len(chunk))
        for slot, record in enumerate(chunk):
            body[4 + slot // 8] |= 1 << (slot % 8)
            body[start + slot * size : start + (slot + 1) * size] = record
        out.append(bytes(body))
    return b"".join(out)


def _date(record: bytearray, at: int, seconds: int) -> None:
    moment = datetime.fromtimestamp(_UNIX0 + seconds, tz=timezone.utc)
    struct.pack_into("<HBBBBB", record, at, moment.year, moment.month, moment.day,
                     moment.hour, moment.minute, moment.second)  # fmt: skip


#: Full main records of NDC 1-5: (size, index at, step time at).
_FULL = {1: (83, 8, 20), 3: (83, 8, 20), 2: (94, 8, 23), 4: (94, 8, 23), 5: (87, 1, 16)}


def _full_ndc_record(version: int, row: dict, index: int) -> bytes:
    size, at, time_at = _FULL[version]
    record = bytearray(size)
    record[0] = 0x55
    struct.pack_into("<IIBB", record, at, index, 0, row["step"], _CODES[row["type"]])
    raw = round(row["cap"] * 3600 / _MULT), round(row["eng"] * 3600 / _MULT)
    charge = raw if row["curr"] >= 0 else (0, 0)
    discharge = raw if row["curr"] < 0 else (0, 0)
    struct.pack_into("<Qii", record, time_at, row["time"] * 1000, round(row["volt"] * 1e4),
                     round(row["curr"] / _MULT))  # fmt: skip
    struct.pack_into(
        "<qqqq", record, time_at + 20, charge[0], discharge[0], charge[1], discharge[1]
    )
    _date(record, time_at + 52, row["time"])
    struct.pack_into("<i", record, time_at + 59, 1000)
    return bytes(record)


_TESTINFO = (
    '<?xml version="1.0" encoding="GB2312"?><root><config><TestInfo Barcode="SYN" '
    'StartTime="2023-11-14 23:13:20">{aux}</TestInfo></config></root>'
)


def _ndax(path: Path, members: dict[str, bytes], aux: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("TestInfo.xml", _TESTINFO.format(aux=aux).encode("gb2312"))
        archive.writestr("Step.xml", b'<?xml version="1.0"?><root><config/></root>')
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_ndc_full_records(version: int, tmp_path: Path) -> None:
    records = [_full_ndc_record(version, row, i + 1) for i, row in enumerate(_ROWS)]
    members = {"data.ndc": _ndc(1, version, records)}
    if version in (2, 4, 5):  # auxiliary: index, voltage, temperature, set point
        aux_records = []
        size, at = (94, 8) if version != 5 else (87, 1)
        for i in range(3):
            record = bytearray(size)
            record[0] = 0x74
            struct.pack_into("<I", record, at, i + 1)
            struct.pack_into("<i", record, at + 23, 20000 + i)
            struct.pack_into("<hh", record, at + 33, 250 + i, 240)
            aux_records.append(bytes(record))
        members["data_1.ndc"] = _ndc(5, version, aux_records)
    path = _ndax(tmp_path / f"v{version}.ndax", members, '<Aux1 AuxID="1" ChlType="103"/>')
    frame = _read_synthetic(path, version == 2)
    _expect(frame)
    assert frame.attrs["metadata"]["ndc_version"] == version
    assert frame.attrs["start_time"] == "2023-11-14T22:13:20.000"  # the records' calendar
    if version in (2, 4, 5):
        assert frame["aux1_voltage_V"].tolist() == pytest.approx([2.0, 2.0001, 2.0002])
        assert frame["temperature_degC"].tolist() == pytest.approx([25.0, 25.1, 25.2])
        assert frame["aux1_temperature_setpoint_degC"].tolist() == pytest.approx([24.0] * 3)


def test_ndc_version_6(tmp_path: Path) -> None:
    main, steps = [], []
    for row in _ROWS:
        record = bytearray(38)
        sign = 1 if row["curr"] >= 0 else -1
        cap, eng = row["cap"] / 1000, row["eng"] / 1000  # Ah, Wh
        charge, discharge = ((cap, eng), (0, 0)) if sign > 0 else ((0, 0), (cap, eng))
        struct.pack_into("<I", record, 0, row["time"] * 1000)
        struct.pack_into("<ffffff", record, 5, row["volt"], row["curr"] / 1000, charge[0],
                         discharge[0], charge[1], discharge[1])  # fmt: skip
        struct.pack_into("<II", record, 30, _UNIX0 + row["time"], row["step"])
        main.append(bytes(record))
        step = bytearray(37)
        struct.pack_into("<II", step, 0, 0, row["step"])
        step[24] = _CODES[row["type"]]
        steps.append(bytes(step))
    members = {"data.ndc": _ndc(1, 6, main), "data_step.ndc": _ndc(7, 6, steps)}
    frame = _read_synthetic(_ndax(tmp_path / "v6.ndax", members), False)
    _expect(frame)
    assert frame["unix_time_s"].tolist() == [_UNIX0, _UNIX0 + 10, _UNIX0 + 20]


def test_ndc_version_7_declares_its_columns(tmp_path: Path) -> None:
    codes = [6, 7, 8, 9, 12, 13, 14, 17, 18, 19, 20, 21, 53]
    layout = "<IIBBQiiqqqqHBBBBBH"  # the fields those codes stand for, in order
    records = []
    for i, row in enumerate(_ROWS):
        raw = round(row["cap"] * 3600), round(row["eng"] * 3600)  # mA s, mW s
        charge = raw if row["curr"] >= 0 else (0, 0)
        discharge = raw if row["curr"] < 0 else (0, 0)
        moment = datetime.fromtimestamp(_UNIX0 + row["time"], tz=timezone.utc)
        records.append(
            struct.pack(
                layout,
                i + 1,
                0,
                row["step"],
                _CODES[row["type"]],
                row["time"] * 1000,
                round(row["volt"] * 1e4),
                round(row["curr"]),
                charge[0],
                discharge[0],
                charge[1],
                discharge[1],
                moment.year,
                moment.month,
                moment.day,
                moment.hour,
                moment.minute,
                moment.second,
                250,
            )  # fmt: skip
        )
    header = bytearray(200)
    struct.pack_into(f"<{len(codes)}i", header, 13 - 3, *codes)
    members = {"data.ndc": _ndc(1, 7, records, bytes(header))}
    frame = _read_synthetic(_ndax(tmp_path / "v7.ndax", members), False)
    _expect(frame)
    assert frame["unix_time_s"].tolist() == pytest.approx(
        [_UNIX0 + 0.25, _UNIX0 + 10.25, _UNIX0 + 20.25]
    )


def test_ndc_version_7_unknown_column_code(tmp_path: Path) -> None:
    header = bytearray(200)
    struct.pack_into("<3i", header, 10, 6, 99, 0)
    members = {"data.ndc": _ndc(1, 7, [bytes(8)], bytes(header))}
    with pytest.raises(echem.ParseError, match="unknown column code 99"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", echem.EchemWarning)
            echem.read(_ndax(tmp_path / "v7.ndax", members))


def test_ndc_version_15_declares_its_columns(tmp_path: Path) -> None:
    size = 64
    items = [(15, 1, 36), (65, 1, 44), (5, 1, 52), (6, 1, 56), (8, 1, 60)]
    header = bytearray(4000)
    struct.pack_into("<I", header, 516 - 3, size)
    for k, item in enumerate(items):
        struct.pack_into("<iBi", header, 520 - 3 + 9 * k, *item)
    records = []
    totals = [0, 10, 30]
    for i, row in enumerate(_ROWS):
        record = bytearray(size)
        sign = 1 if row["curr"] >= 0 else -1
        cap, eng = row["cap"] * 3600, row["eng"] * 3600
        struct.pack_into("<BB", record, 2, row["step"], _CODES[row["type"]])
        struct.pack_into("<IIIffff", record, 8, i + 1, totals[i], 0, row["curr"], row["volt"],
                         sign * cap, sign * eng)  # fmt: skip
        struct.pack_into("<IIII", record, 36, _UNIX0 + row["time"], 0, row["time"], 0)
        struct.pack_into("<fff", record, 52, cap if sign > 0 else 0.0, cap if sign < 0 else 0.0,
                         eng if sign > 0 else 0.0)  # fmt: skip
        records.append(bytes(record))
    members = {"data.ndc": _ndc(1, 15, records, bytes(header))}
    frame = _read_synthetic(_ndax(tmp_path / "v15.ndax", members), False)
    _expect(frame)
    assert frame["step_time_s"].tolist() == [0, 10, 20]


#: NDC 8-17 (main float32 voltage and current, run information, steps):
#: version -> (voltage unit in V, current unit in mA, run-info size, bytes between the
#: energies and the logging interval, ms field, capacity unit in mAh, step record size).
_SPLIT = {
    8: (1.0, 1000.0, 42, 5, False, 1000.0, 37),
    9: (1e-4, 1.0, 45, 8, False, 1 / 3600, 37),
    11: (1e-4, 1.0, 47, 8, True, 1 / 3600, 37),
    12: (1.0, 1000.0, 47, 8, True, 1000.0, 37),
    13: (1e-4, 1.0, 55, 8, True, 1 / 3600, 37),
    14: (1.0, 1000.0, 55, 8, True, 1000.0, 37),
    16: (1e-4, 1.0, 100, 8, True, 1 / 3600, 100),
    17: (1.0, 1000.0, 100, 8, True, 1000.0, 100),
}


@pytest.mark.parametrize("version", sorted(_SPLIT))
def test_ndc_run_information_versions(version: int, tmp_path: Path) -> None:
    """Four records: a rest, two of a 100 mA charge (the second without run information:
    10 s later, 100 mA x 10 s more), a discharge."""
    volt_unit, curr_unit, info_size, pad, has_ms, cap_unit, step_size = _SPLIT[version]
    rows = [_ROWS[0], _ROWS[1], _ROWS[1], _ROWS[2]]
    main = [struct.pack("<ff", r["volt"] / volt_unit, r["curr"] / curr_unit) for r in rows]
    infos = []
    for index, step, unix in ((1, 1, _UNIX0), (2, 2, _UNIX0 + 5), (4, 3, _UNIX0 + 20)):
        record = bytearray(info_size)
        struct.pack_into("<I", record, 0, 0)  # step time 0 ms: each entry opens its step
        if step == 2:  # 0.1 mAh charged already, in the version's unit
            struct.pack_into("<f", record, 5, 0.1 / cap_unit)
        struct.pack_into("<iIII", record, 21 + pad, 10000, unix, step, index)
        if has_ms:
            struct.pack_into("<H", record, 21 + pad + 16, 500)
        infos.append(bytes(record))
    steps = []
    for row in _ROWS:
        record = bytearray(step_size)
        struct.pack_into("<II", record, 0, 0, row["step"])
        record[24] = _CODES[row["type"]]
        steps.append(bytes(record))
    members = {
        "data.ndc": _ndc(1, version, main),
        "data_runInfo.ndc": _ndc(18, version, infos),
        "data_step.ndc": _ndc(7, version, steps),
    }
    if version in (8, 12, 14, 17):  # one float per record, named by ChlType
        members["data_AUX_7_1_1.ndc"] = _ndc(5, version, [struct.pack("<f", 30.5)] * 4)
        aux = '<Aux1 AuxID="3" RealChlID="7" ChlType="103"/>'
    else:  # 0x65 records: voltage (0.1 mV), temperature (0.1 degC)
        members["data_1.ndc"] = _ndc(5, version, [struct.pack("<Bfh", 0x65, 1e4, 305)] * 4)
        aux = '<Aux1 AuxID="1" ChlType="6"/>'
    path = _ndax(tmp_path / f"v{version}.ndax", members, aux)
    frame = _read_synthetic(path, version in (14, 16, 17))
    assert frame["index"].tolist() == [1, 2, 3, 4]
    assert frame["voltage_V"].to_numpy() == pytest.approx([3.0, 3.5, 3.5, 3.2], rel=1e-6)
    assert frame["current_mA"].to_numpy() == pytest.approx([0, 100, 100, -50], rel=1e-6)
    assert frame["step"].tolist() == [1, 2, 2, 3]
    assert frame["step_type"].astype(str).tolist() == ["Rest", "CC_Chg", "CC_Chg", "CC_DChg"]
    assert frame["interpolated"].tolist() == [False, False, True, False]
    assert frame["step_time_s"].tolist() == pytest.approx([0, 0, 10, 0])
    assert frame["time_s"].tolist() == pytest.approx([0, 0, 10, 10])
    ms = 0.5 if has_ms else 0.0
    assert frame["unix_time_s"].tolist() == pytest.approx(
        [_UNIX0 + ms, _UNIX0 + 5 + ms, _UNIX0 + 15 + ms, _UNIX0 + 20 + ms]
    )
    assert frame["capacity_mAh"].tolist() == pytest.approx([0, 0.1, 0.1 + 1000 / 3600, 0])
    assert frame["energy_mWh"].tolist() == pytest.approx([0, 0, 3500 / 3600, 0], rel=1e-6)
    temperature = [
        c for c in frame.columns if c.endswith("temperature_degC") and c != "temperature_degC"
    ]
    assert len(temperature) == 1 and frame[temperature[0]].tolist() == pytest.approx([30.5] * 4)
    assert temperature[0] == (
        "aux3_temperature_degC" if version in (8, 12, 14, 17) else "aux1_temperature_degC"
    )


def test_run_information_without_its_first_record_is_refused(tmp_path: Path) -> None:
    info = bytearray(55)
    struct.pack_into("<iIII", info, 29, 1000, _UNIX0, 1, 2)  # index 2 only
    step = bytearray(37)
    struct.pack_into("<II", step, 0, 0, 1)
    step[24] = 4
    members = {
        "data.ndc": _ndc(1, 14, [struct.pack("<ff", 3.0, 0.0)] * 2),
        "data_runInfo.ndc": _ndc(18, 14, [bytes(info)]),
        "data_step.ndc": _ndc(7, 14, [bytes(step)]),
    }
    with pytest.raises(echem.ParseError, match="no entry for the first record"):
        echem.read(_ndax(tmp_path / "x.ndax", members))


def test_a_page_count_that_disagrees_with_its_bit_mask_is_refused(tmp_path: Path) -> None:
    data = bytearray(_ndc(1, 14, [struct.pack("<ff", 3.0, 0.0)] * 3))
    data[4096 + 2] = 5  # says 5 records, the mask has 3
    with pytest.raises(echem.ParseError, match="page 1 says it holds 5 records"):
        echem.read(_ndax(tmp_path / "x.ndax", {"data.ndc": bytes(data)}))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    volts=st.lists(st.integers(-100_000, 100_000), min_size=1, max_size=30),
    current=st.integers(-(2**31), 2**31 - 1),
    current_range=st.sampled_from([-1000, -50, 1, 25, 500, 1000, 30000, 200000]),
)
def test_nda_v22_values_round_trip(
    volts: list[int], current: int, current_range: int, tmp_path: Path
) -> None:
    """Any voltage (0.1 mV integers) and current (range-scaled integer) of a version-22
    record reads back as written: V = raw x 1e-4, I = raw x the range's multiplier."""
    size, fields = _NDA_LAYOUTS["14"]
    multipliers = {
        -1000: 1e-2,
        -50: 1e-4,
        1: 1e-4,
        25: 1e-3,
        500: 1e-2,
        1000: 1e-1,
        30000: 1e-1,
        200000: 1e-1,
    }
    body = bytearray()
    for i, volt in enumerate(volts):
        record = bytearray(size)
        for name, value in (("id", 0x55), ("index", i + 1), ("step_index", 1), ("step_type", 4),
                            ("counter", 1), ("time_ms", 1000 * i), ("volt", volt), ("curr", current),
                            ("range", current_range)):  # fmt: skip
            _put(record, fields[name], value)
        body += record
    target = tmp_path / "h.nda"
    target.write_bytes(_nda_file(22, bytes(body)))
    frame = echem.read(target)
    assert frame["voltage_V"].to_numpy() == pytest.approx(
        np.array(volts) * 1e-4, rel=1e-12, abs=1e-15
    )
    assert frame["current_mA"].to_numpy() == pytest.approx(
        [current * multipliers[current_range]] * len(volts), rel=1e-12
    )


def test_an_undocumented_step_type_keeps_its_code(tmp_path: Path) -> None:
    raw = bytearray(real("neware/nda_v22.nda").read_bytes())
    begin, length = int.from_bytes(raw[64:68], "little"), int.from_bytes(raw[68:72], "little")
    for at in range(begin, begin + length, 86):
        if raw[at] == 0x55 and raw[at + 12] == 4:  # the rests become code 14
            raw[at + 12] = 14
    target = tmp_path / "x.nda"
    target.write_bytes(bytes(raw))
    with pytest.warns(echem.EchemWarning, match=r"undocumented Neware step-type code\(s\) \[14\]"):
        frame = echem.read(target)
    assert set(frame["step_type"].astype(str)) == {"type 14", "CC_Chg"}
    assert frame.attrs["technique"] == "mixed"


# --- hostile archives and files (review): members rebuilt with valid ZIP CRCs ---------------
def _archive(source: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(source) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _write_archive(target: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return target


def _ndc_rows(data: bytes, size: int) -> list[bytes]:
    """The used records of a 4096-byte-page .ndc member, in order (bit mask from byte 4,
    records from byte 132), read here independently of echem's decoder."""
    rows = []
    for at in range(4096, len(data), 4096):
        page = data[at : at + 4096]
        for slot in range((4096 - 132 - 1) // size):
            if page[4 + slot // 8] >> (slot % 8) & 1:
                rows.append(page[132 + slot * size : 132 + (slot + 1) * size])
    return rows


def _repaged(data: bytes, rows: list[bytes]) -> bytes:
    """An .ndc member of the same header holding ``rows``."""
    return _ndc(data[0], data[2], rows, data[3:4096])


def _caught(path: Path) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = echem.read(path)
    return frame, [str(w.message) for w in caught]


def test_an_archive_whose_data_holds_no_record_reads_empty(tmp_path: Path) -> None:
    """data.ndc with its header page only (no record written yet) while the run
    information and the auxiliary channel have entries: an empty frame, and the entries
    that match no record are told (was an IndexError)."""
    members = _archive(real("neware/46_1_5_60_bts16.ndax"))
    members["data.ndc"] = members["data.ndc"][:4096]
    frame, messages = _caught(_write_archive(tmp_path / "empty.ndax", members))
    assert len(frame) == 0 and "voltage_V" in frame
    assert frame.attrs["technique"] == "unknown"  # was "ocv": no step recorded at all
    assert any("25 data_runInfo.ndc entries" in m and "match no record" in m for m in messages)
    assert any("84 aux1_temperature_degC value(s) match no record" in m for m in messages)
    assert frame.attrs["metadata"]["run_info_without_record"] == 25


def test_an_nda_holding_only_auxiliary_records_reads_empty(tmp_path: Path) -> None:
    """A version-22 file whose data block holds a status record only, and whose auxiliary
    block holds three temperatures: no row, and the auxiliary records said to match no
    data record (was an IndexError)."""
    status = bytearray(86)
    status[0] = 0xAA
    aux = []
    for i in range(3):
        record = bytearray(86)
        struct.pack_into("<BBI", record, 0, 0x65, 2, i + 1)
        struct.pack_into("<h", record, 34, 251 + i)
        aux.append(bytes(record))
    target = tmp_path / "aux_only.nda"
    target.write_bytes(_nda_file(22, bytes(status), b"".join(aux)))
    frame, messages = _caught(target)
    assert len(frame) == 0 and frame.attrs["technique"] == "unknown"
    assert any("3 auxiliary record(s) of channel 2 match no data record" in m for m in messages)


def test_a_member_present_twice_with_different_contents_is_refused(tmp_path: Path) -> None:
    """A ZIP may hold one name twice; which data.ndc holds the records is then unknown
    (the last one was read silently). The same bytes twice read as once."""
    source = real("neware/46_1_5_60_bts16.ndax")
    members = _archive(source)
    target = _write_archive(tmp_path / "twice.ndax", members)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(target, "a") as archive:
            archive.writestr("data.ndc", members["data.ndc"][:4096])
    with pytest.raises(echem.ParseError, match="two different members named data.ndc") as error:
        echem.read(target)
    assert str(error.value).count(str(target)) == 1 and error.value.offset > 0
    same = _write_archive(tmp_path / "same.ndax", members)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with zipfile.ZipFile(same, "a") as archive:
            archive.writestr("data.ndc", members["data.ndc"])
    assert echem.read(same).equals(echem.read(source))


@pytest.mark.parametrize("damage", ["step start lost", "step number changed"])
def test_run_information_that_disagrees_with_the_step_table_is_refused(
    damage: str, tmp_path: Path
) -> None:
    """nw4 (NDC 14): run-information entries of 55 bytes, the step number (u32) at byte
    37 and the record index at 41; data_step.ndc gives each step's first record (u32 at
    byte 33: step 2 opens at record 540). Without the entry that opens step 2, record 540
    read as a third record of step 1 (CC_Chg, its capacity counting on); an entry whose
    step number is changed moves its records to another step. Both silently, before."""
    members = _archive(real("neware/nw4-120-1-6-53.ndax"))
    steps = _ndc_rows(members["data_step.ndc"], 37)
    assert [struct.unpack_from("<I", s, 33)[0] for s in steps[:3]] == [1, 540, 1651]
    info = _ndc_rows(members["data_runInfo.ndc"], 55)
    at = next(k for k, r in enumerate(info) if struct.unpack_from("<II", r, 37) == (2, 540))
    if damage == "step start lost":
        del info[at]
    else:  # the third entry of step 2 now says step 3
        record = bytearray(info[at + 2])
        struct.pack_into("<I", record, 37, 3)
        info[at + 2] = bytes(record)
    members["data_runInfo.ndc"] = _repaged(members["data_runInfo.ndc"], info)
    with pytest.raises(echem.ParseError, match=r"record \d+: the run information puts it in"):
        echem.read(_write_archive(tmp_path / "x.ndax", members))


def test_records_after_the_announced_length_are_told(tmp_path: Path) -> None:
    """nda_v22's header announces its record bytes (u32 at 68); records the file holds
    after them (a header not updated while the test went on, a damaged length) were
    left out silently. Zeros after the records (space not written yet) are no data."""
    raw = bytearray(real("neware/nda_v22.nda").read_bytes())
    length = int.from_bytes(raw[68:72], "little")
    raw[68:72] = (length - 3 * 86).to_bytes(4, "little")
    target = tmp_path / "short_length.nda"
    target.write_bytes(bytes(raw))
    with pytest.warns(echem.EchemWarning, match="258 bytes after the data records .* 3 of them"):
        frame = echem.read(target)
    assert frame.equals(_read("neware/nda_v22.nda").iloc[:-3])
    padded = tmp_path / "padded.nda"
    padded.write_bytes(real("neware/nda_v22.nda").read_bytes() + bytes(4 * 86))
    _, messages = _caught(padded)
    assert messages == []


def test_a_zero_data_length_stops_at_the_auxiliary_block(tmp_path: Path) -> None:
    """Length 0 means "up to the end"; with an auxiliary block after the data (version
    14-24), the data end where it begins (its records were read as data records and
    refused as an unknown identifier 0x65)."""
    records = [_nda_record(22, row, i + 1) for i, row in enumerate(_ROWS)]
    aux = bytearray(86)
    struct.pack_into("<BBI", aux, 0, 0x65, 2, 2)
    struct.pack_into("<h", aux, 34, 251)
    data = bytearray(_nda_file(22, b"".join(records), bytes(aux)))
    data[68:72] = bytes(4)
    target = tmp_path / "zero_length.nda"
    target.write_bytes(bytes(data))
    frame, messages = _caught(target)
    assert messages == []
    _expect(frame)
    assert frame["aux2_temperature_degC"].tolist() == pytest.approx(
        [np.nan, 25.1, np.nan], nan_ok=True
    )


def test_an_auxiliary_channel_without_records_does_not_refuse_the_file(tmp_path: Path) -> None:
    """bts16's auxiliary member (NDC 16: 0x65 records, the layout chosen by the first
    record's identifier) cut to its header page, a channel that has logged nothing: the
    file reads, the channel's quantities listed as without values (was a ParseError,
    "unknown auxiliary record kind None")."""
    members = _archive(real("neware/46_1_5_60_bts16.ndax"))
    members["data_1.ndc"] = members["data_1.ndc"][:4096]
    frame, messages = _caught(_write_archive(tmp_path / "no_aux.ndax", members))
    assert messages == []
    clean = _read("neware/46_1_5_60_bts16.ndax")
    assert frame.equals(
        clean.drop(columns=["temperature_degC", "aux1_voltage_V", "aux1_temperature_degC"])
    )
    without = frame.attrs["metadata"]["auxiliary_without_values"]
    assert without == ["aux1_voltage_V", "aux1_temperature_degC"]


def test_a_logging_interval_that_disagrees_with_the_stored_times_is_told(tmp_path: Path) -> None:
    """nw4's run information: step time (u32 ms) at byte 0, logging interval (i32 ms) at
    29, record index at 41. The entry of record 9 (80 s, 10 s since record 8) and the
    next one (record 16, 150 s): the records between are 10 s apart. With the entry's
    interval made 5 s the records 10-15 were filled 5 s apart, silently."""
    members = _archive(real("neware/nw4-120-1-6-53.ndax"))
    info = _ndc_rows(members["data_runInfo.ndc"], 55)
    at = next(k for k, r in enumerate(info) if struct.unpack_from("<I", r, 41)[0] == 9)
    assert struct.unpack_from("<I", info[at], 0)[0] == 80_000
    assert struct.unpack_from("<i", info[at], 29)[0] == 10_000
    record = bytearray(info[at])
    struct.pack_into("<i", record, 29, 5_000)
    info[at] = bytes(record)
    members["data_runInfo.ndc"] = _repaged(members["data_runInfo.ndc"], info)
    target = _write_archive(tmp_path / "interval.ndax", members)
    with pytest.warns(echem.EchemWarning, match=r"record index 9: 80 s stored, 75 s expected"):
        frame = echem.read(target)
    assert frame["step_time_s"].iloc[8:11].tolist() == pytest.approx([80, 85, 90])  # as filled
    assert frame.attrs["metadata"]["run_info_interval_mismatches"] == 2


def test_a_step_run_again_is_a_new_step_not_damage(tmp_path: Path) -> None:
    """nda_v22's records (86 bytes: step counter u8 at 13, step time u64 ms at 14, charge
    capacity at 38): from record 800 on, inside its third step, the counter moves and the
    step time and capacity start over, as where a step is jumped to or run again (fastnda
    counts the counter's moves as steps). Read as a fourth step, with a warning (was a
    ParseError: 'the record is damaged'). A counter moved in one record alone, the step
    time going on, stays an error."""
    raw = bytearray(real("neware/nda_v22.nda").read_bytes())
    begin, length = int.from_bytes(raw[64:68], "little"), int.from_bytes(raw[68:72], "little")
    data = [at for at in range(begin, begin + length, 86) if raw[at] == 0x55]
    first = data[799]
    time0, charge0 = struct.unpack_from("<Q", raw, first + 14)[0], raw[first + 38 : first + 46]
    charge0 = struct.unpack("<q", charge0)[0]
    restarted = bytearray(raw)
    for at in data[799:]:
        restarted[at + 13] += 1
        struct.pack_into(
            "<Q", restarted, at + 14, struct.unpack_from("<Q", raw, at + 14)[0] - time0
        )
        struct.pack_into(
            "<q", restarted, at + 38, struct.unpack_from("<q", raw, at + 38)[0] - charge0
        )
    target = tmp_path / "again.nda"
    target.write_bytes(bytes(restarted))
    with pytest.warns(echem.EchemWarning, match="record 800, .* read as new steps"):
        frame = echem.read(target)
    clean = _read("neware/nda_v22.nda")
    assert frame["step"].max() == clean["step"].max() + 1
    assert frame["step"].iloc[799] == frame["step"].iloc[798] + 1
    assert frame["step_time_s"].iloc[799] == 0 and frame["charge_C"].iloc[799] == 0
    assert frame["step_type"].iloc[799] == clean["step_type"].iloc[799]
    once = bytearray(raw)
    once[data[799] + 13] += 1
    target.write_bytes(bytes(once))
    with pytest.raises(echem.ParseError, match="step counter"):
        echem.read(target)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    size=st.integers(1, 90),
    n=st.integers(0, 12),
)
def test_record_crc32_equals_zlibs(data: st.DataObject, size: int, n: int) -> None:
    """The records' CRC-32s (computed from per-position tables, not one zlib call per
    record) are zlib's of each record with the CRC field zeroed."""
    from echem.io.neware._records import crc32_rows

    start = data.draw(st.integers(0, size))
    stop = data.draw(st.integers(start, size))
    body = data.draw(st.binary(min_size=n * size, max_size=n * size))
    rows = np.frombuffer(body, dtype=np.uint8).reshape(n, size)
    expected = []
    for row in rows:
        record = bytearray(row.tobytes())
        record[start:stop] = bytes(stop - start)
        expected.append(zlib.crc32(record))
    assert crc32_rows(rows, (start, stop)).tolist() == expected


@pytest.mark.parametrize("suffix", [".nda", ".ndax"])
def test_a_fifo_or_folder_is_a_parse_error(tmp_path, suffix):
    """read_nda read the bytes with Path.read_bytes: a named pipe waited forever for a writer
    and a folder raised a bare IsADirectoryError."""
    import os

    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)
    folder = tmp_path / f"folder{suffix}"
    folder.mkdir()
    reader = read_nda if suffix == ".nda" else read_ndax
    for path in (fifo, folder):
        with pytest.raises(echem.ParseError, match="not a regular file"):
            reader(path)
