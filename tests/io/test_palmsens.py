"""PalmSens .pssession reader (echem/io/palmsens.py).

The real session (PSTrace 5.9, one potentiostatic EIS measurement) against reference.json
(stdlib json on the UTF-16 text, and pyimpspec 5.1.3 for the sign of Z''), the unit
evidence (µA by the unit type, not A by the symbol), start time, metadata; sessions built
here in PSTrace's structure for what the real file lacks (several measurements, a
chronoamperometry with µA/µC, curves, unknown units); damaged and hostile variants.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import random
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from conftest import REAL_DATA, real, real_files

import echem
from echem.io import SNIFF_BYTES, registry
from echem.io._schema import CANONICAL, build_frame
from echem.io.palmsens import read_pssession, sniff_pssession

FILE = "palmsens/11_PEIS_700mV.pssession"
#: reference.json's stated tolerance for binary-exact values (JSON text printed in full).
RTOL = 1e-6


def _session() -> dict:
    """The real session's JSON, read independently (stdlib json, as reference.json)."""
    text = real(FILE).read_bytes().decode("utf-16")
    return json.loads(text[: text.rfind("}") + 1])


def _reference() -> dict:
    path = REAL_DATA / "reference.json"
    return json.loads(path.read_text(encoding="utf-8"))[FILE]


def _write(folder: Path, document: dict, name: str = "s.pssession", encoding="utf-16") -> Path:
    """A session written as PSTrace does: BOM, UTF-16-LE JSON, one trailing U+FEFF."""
    text = json.dumps(document, ensure_ascii=False)
    path = folder / name
    if encoding == "utf-16":
        path.write_bytes(b"\xff\xfe" + (text + "\ufeff").encode("utf-16-le"))
    else:
        path.write_bytes(text.encode(encoding))
    return path


def _read_quietly(path: Path, **kwargs):
    """read_pssession, which must not warn (an EchemWarning fails the test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", echem.EchemWarning)
        return read_pssession(path, **kwargs)


def _check(values: np.ndarray, stats: dict, sign: float = 1.0) -> None:
    low, high = sorted((sign * stats["min"], sign * stats["max"]))
    np.testing.assert_allclose(values[0], sign * stats["first"], rtol=RTOL, atol=0)
    np.testing.assert_allclose(values[-1], sign * stats["last"], rtol=RTOL, atol=0)
    np.testing.assert_allclose(np.nanmin(values), low, rtol=RTOL, atol=0)
    np.testing.assert_allclose(np.nanmax(values), high, rtol=RTOL, atol=0)


# --------------------------------------------------------------------------- real file


def test_real_session_matches_reference_values():
    path = real(FILE)
    df = _read_quietly(path)
    reference = _reference()
    table = reference["reference"]["tables"][0]
    stats = table["stats"]
    assert len(df) == table["rows"] == 64
    assert df.attrs["format"] == "palmsens-pssession"
    assert df.attrs["technique"] == "eis"
    assert df.attrs["source"] == path.name
    _check(df["freq_Hz"].to_numpy(), stats["Frequency [Hertz: Hz]"])
    _check(df["z_real_ohm"].to_numpy(), stats["ZRe [ZRe: \u2126]"])
    _check(df["z_imag_ohm"].to_numpy(), stats["ZIm [ZIm: \u2126]"], sign=-1.0)
    _check(df["time_s"].to_numpy(), stats["time [Time: s]"])
    _check(df["voltage_V"].to_numpy(), stats["mEdc [Volt: V]"])
    # pyimpspec, an independent parser, for the sign convention of Z''
    pyimpspec = reference["parsers"]["pyimpspec.parse_data"]["tables"][0]["stats"]
    _check(df["z_imag_ohm"].to_numpy(), pyimpspec["imag/Ohm"])
    _check(df["z_real_ohm"].to_numpy(), pyimpspec["real/Ohm"])
    # every original column is kept as the file holds it (Idc in µA, as reference.json)
    for column, key in [
        ("Idc", "Idc [MicroAmpere: A]"),
        ("potential", "potential [Volt: V]"),
        ("Phase", "Phase [Phase: °]"),
        ("YIm", "YIm [YIm: S]"),
        ("Capacitance''", "Capacitance'' [FahradImaginary: F]"),
    ]:
        _check(df[column].to_numpy(), stats[key])
    originals = {name.split(" [")[0] for name in table["columns"]}
    assert originals <= set(df.columns)


def test_real_session_values_are_exactly_the_json_numbers():
    df = _read_quietly(real(FILE))
    arrays = {a["Description"]: a for a in _session()["Measurements"][0]["DataSet"]["Values"]}
    for column in ("Frequency", "ZRe", "ZIm", "Iac", "Eac", "mEdc", "ymean"):
        expected = [v["V"] for v in arrays[column]["DataValues"]]
        assert df[column].tolist() == expected
    assert df["freq_Hz"].tolist() == [v["V"] for v in arrays["Frequency"]["DataValues"]]
    assert df["z_imag_ohm"].tolist() == [-v["V"] for v in arrays["ZIm"]["DataValues"]]
    assert df["Idc current range"].tolist() == [v["C"] for v in arrays["Idc"]["DataValues"]]
    assert df["Idc status"].tolist() == [v["S"] for v in arrays["Idc"]["DataValues"]]
    assert df["debugtext text"].tolist() == [v["T"] for v in arrays["debugtext"]["DataValues"]]


def test_units_follow_the_unit_type_not_the_symbol():
    """Iac's unit type is MicroAmpere, its symbol 'A': |Z| = Eac / Iac holds with µA."""
    df = _read_quietly(real(FILE))
    units = df.attrs["metadata"]["units"]
    assert units["Iac"] == "µA" and units["Idc"] == "in range"  # see the next test
    assert units["Frequency"] == "Hz" and units["ZRe"] == "Ohm" and units["Eac"] == "V"
    high = df["freq_Hz"] >= 3.0
    modulus = df.loc[high, "Z"].to_numpy()
    eac_over_iac = (df.loc[high, "Eac"] / (df.loc[high, "Iac"] * 1e-6)).to_numpy()
    np.testing.assert_allclose(eac_over_iac, modulus, rtol=5e-3)
    assert not np.allclose(df.loc[high, "Eac"] / df.loc[high, "Iac"], modulus, rtol=0.5)
    # |Z| of the file is the modulus of (Z', Z'')
    z = df["z_real_ohm"] + 1j * df["z_imag_ohm"]
    np.testing.assert_allclose(np.abs(z), df["Z"], rtol=1e-9)


def test_z_imag_is_negative_on_the_capacitive_arc():
    df = _read_quietly(real(FILE))
    low = df["freq_Hz"] < 100
    assert (df.loc[low, "z_imag_ohm"] < 0).all()
    # the file's phase is -phase: Z'' = |Z| sin(phase) with phase = -Phase
    phase = -np.deg2rad(df["Phase"])
    np.testing.assert_allclose(df["z_imag_ohm"], df["Z"] * np.sin(phase), rtol=1e-6, atol=1e-9)


def test_dc_current_of_the_eis_run_is_decoded_from_in_range():
    """PSTrace 5.9 stores Idc of an EIS run 'in range' (µA times the full scale of its
    range in µA, as PalmSens' SDK says): the stored values change tenfold at each of the
    three range changes at 0.700 V, value / full scale stays within -364.6 to -367.9 µA."""
    df = _read_quietly(real(FILE))
    ranges = df["Idc current range"].to_numpy()
    assert sorted(set(ranges)) == [5, 6, 7]
    full_scale_uA = 10.0 ** (ranges - 3)  # IRANGE_MIN=0 is 1e-3 µA, IRANGE_MAX=7 is 1e4 µA
    np.testing.assert_array_equal(df["current_A"], df["Idc"] / full_scale_uA * 1e-6)
    current_uA = df["current_A"].to_numpy() * 1e6
    assert -368.0 < current_uA.min() and current_uA.max() < -364.5
    assert df["Idc"].abs().max() / df["Idc"].abs().min() > 99  # the stored values: not µA
    assert df.attrs["metadata"]["units"]["Idc"] == "in range"
    params = df.attrs["metadata"]["method_parameters"]
    assert (params["IRANGE_MIN"], params["IRANGE_MIN_F"]) == (0, -3)
    assert (params["IRANGE_MAX"], params["IRANGE_MAX_F"]) == (7, 4)


#: From PalmSens' test session eis_3ch_4scan_5freq.pssession (PSTrace 5.11, palmsens-sdk,
#: BSD-3): its dummy cell at three DC potentials, 20 Hz (|Z| = 10.58 kOhm, the DC limit),
#: the 10 µA range (code 4): mEdc / V and the stored Idc (µA x 10 µA).
DUMMY_MEDC = [0.20216, 0.40406, 0.60391]
DUMMY_IDC = [188.9947, 377.92364, 566.92448]
DUMMY_Z = [10587.5, 10587.8, 10574.6]
DUMMY_METHOD = (
    "#PSTrace, Version=5.11.1006.19013\r\nMETHOD_ID=eis\r\n"
    "IRANGE_MIN_F=0.0000000E+000\r\nIRANGE_MAX_F=3.6989999E+000\r\n"
    "IRANGE_START_F=4.0000000E+000\r\nIRANGE_MIN=3\r\nIRANGE_MAX=7\r\nIRANGE_START=7\r\n"
)


def _dummy_eis(core_version="5.11.1006.0", method=DUMMY_METHOD, code=4) -> dict:
    """An EIS session laid out as PSTrace 5.11 writes it, with the dummy cell's numbers."""
    arrays = [
        _array("Idc", "DataArrayCurrents", 2, "MicroAmpere", "A", "Current", DUMMY_IDC, C=code),
        _array("Frequency", "DataArray", 5, "Hertz", "Hz", "Frequency", [20.0] * 3),
        _array("Z", "DataArray", 10, "Z", "\u03a9", "Z", DUMMY_Z),
        _array("miDC", "DataArrayCurrents", 36, "MicroAmpere", "A", "Current", DUMMY_IDC, C=4),
        _array("mEdc", "DataArray", 33, "Volt", "V", "Potential", DUMMY_MEDC),
    ]
    measurement = {
        "Title": "Impedance Spectroscopy",
        "DataSet": {"Type": "PalmSens.Data.DataSetEIS", "Values": arrays},
        "Method": method,
    }
    return {"Type": "PalmSens.DataFiles.SessionFile", "CoreVersion": core_version,
            "Measurements": [measurement]}  # fmt: skip


def test_dc_current_in_range_obeys_ohms_law_on_palmsens_dummy_cell(tmp_path):
    """Decoded (value / 10 µA) the DC current is mEdc / R_dc within 1.2 %; read as µA it
    would be ten times too large. The method's IRANGE_MAX_F=3.699 (a 5 mA limit) is served
    by code 7's 10 mA range, as IRANGE_START (7, 4) says: the ladder still holds."""
    df = _read_quietly(_write(tmp_path, _dummy_eis()))
    np.testing.assert_allclose(df["current_A"], np.array(DUMMY_IDC) / 10 * 1e-6, rtol=1e-15)
    ohm = np.array(DUMMY_MEDC) / np.array(DUMMY_Z)
    np.testing.assert_allclose(df["current_A"], ohm, rtol=0.012)
    assert df["miDC"].tolist() == df["Idc"].tolist() == DUMMY_IDC  # as the file holds them
    units = df.attrs["metadata"]["units"]
    assert units["Idc"] == units["miDC"] == "in range" and units["mEdc"] == "V"


def test_dc_current_of_pstrace_5_7_is_microampere(tmp_path):
    """PSTrace 5.7 sessions store µA (their values run on smoothly across range changes)."""
    df = _read_quietly(_write(tmp_path, _dummy_eis(core_version="5.7.2001.19388")))
    np.testing.assert_array_equal(df["current_A"], np.array(DUMMY_IDC) * 1e-6)
    assert df.attrs["metadata"]["units"]["Idc"] == "µA"


@pytest.mark.parametrize(
    ("core_version", "method", "code", "why"),
    [
        ("5.8.1710.17549", DUMMY_METHOD, 4, "PSTrace 5.8.1710.17549 may store it as µA or"),
        ("5.0.802.2", DUMMY_METHOD, 4, "PSTrace 5.0.802.2 may store it"),  # no EIS seen
        (None, DUMMY_METHOD, 4, "PSTrace None may store it"),
        ("5.11.1", "METHOD_ID=eis\r\nIRANGE_MIN=3\r\nIRANGE_MAX=7\r\n", 4, "full scale"),
        ("5.11.1", DUMMY_METHOD.replace("IRANGE_MIN_F=0", "IRANGE_MIN_F=2"), 4, "full scale"),
        ("5.11.1", DUMMY_METHOD, 4.5, "whole current-range codes"),  # not a code
        ("5.11.1", DUMMY_METHOD, 9, "whole current-range codes"),  # beyond IRANGE_MAX
        ("5.11.1", DUMMY_METHOD, "4", "whole current-range codes"),  # text
    ],
)
def test_dc_current_of_unknown_storage_or_ranges_gives_no_current(
    tmp_path, core_version, method, code, why
):
    with pytest.warns(echem.EchemWarning, match=f"'Idc' is the DC current .*{why}"):
        df = read_pssession(_write(tmp_path, _dummy_eis(core_version, method, code)))
    assert "current_A" not in df.columns and df["Idc"].tolist() == DUMMY_IDC
    assert df.attrs["metadata"]["units"]["Idc"] != "µA"


def test_start_time_metadata_and_method_text():
    session = _session()
    item = session["Measurements"][0]
    df = _read_quietly(real(FILE))
    local = datetime(1, 1, 1) + timedelta(microseconds=item["TimeStamp"] // 10)
    assert local.isoformat() == "2025-07-17T10:37:24.601551"
    assert df.attrs["start_time"] == "2025-07-17T10:37:24.601551+02:00"
    metadata = df.attrs["metadata"]
    assert metadata["method"] == item["Method"] == session["MethodForMeasurement"]
    assert "session_method" not in metadata  # the same text: stored once
    assert "METHOD_ID=eis" in metadata["method"]
    assert metadata["method_parameters"]["METHOD_ID"] == "eis"
    assert metadata["method_parameters"]["MIN_FREQ"] == 0.1
    assert metadata["method_parameters"]["MAX_FREQ"] == 2e5
    assert metadata["method_parameters"]["N_FREQ"] == len(df)
    assert metadata["device_serial"] == "PS4A22B003626"
    assert metadata["instrument"] == "PalmSens, SN PS4A22B003626"
    assert metadata["core_version"] == session["CoreVersion"] == "5.9.4515.26368"
    assert metadata["timestamp_ticks"] == item["TimeStamp"]
    assert metadata["technique"] == "Impedance Spectroscopy"
    # the EIS plot object repeats the DataSet: listed, not a second table
    assert metadata["eis_data"][0]["data"] == "the measurement's DataSet"
    assert metadata["eis_data"][0]["Title"] == "Fixed at 64 freqs"
    assert metadata["curves"] == []
    assert len(df.attrs["tables"]) == 0
    [listed] = metadata["measurements"]
    assert listed == {
        "index": 0,
        "title": "Impedance Spectroscopy",
        "technique": "eis",
        "rows": 64,
        "start_time": df.attrs["start_time"],
        "table": None,
        "further_tables": [],
    }


def test_spectra_split_and_fit_runs():
    df = _read_quietly(real(FILE))
    sweeps = echem.eis.spectra(df)
    assert [len(s) for s in sweeps] == [64]
    result = echem.eis.fit(sweeps[0], "R0-p(R1,CPE1)")
    assert result.values["R0"] == pytest.approx(df["z_real_ohm"].iloc[0], rel=0.1)
    assert math.isfinite(result.chisqr)


def test_sniffing_claims_the_session_and_nothing_else():
    path = real(FILE)
    head = path.read_bytes()[:SNIFF_BYTES]
    assert [f.name for f in registry() if f.sniff(head)] == ["palmsens-pssession"]
    for other in real_files("*/*"):
        if other.suffix != ".pssession":
            assert not sniff_pssession(other.read_bytes()[:SNIFF_BYTES]), other.name
    forced = echem.read(path, format="palmsens-pssession")
    assert forced.equals(_read_quietly(path))


# --------------------------------------------------------------------------- built sessions


def _array(description, kind, array_type, unit, symbol, quantity, values, **extra):
    return {
        "Type": f"PalmSens.Data.{kind}",
        "ArrayType": array_type,
        "Description": description,
        "DataValueType": "PalmSens.Data.GenericValue",
        "Unit": {"Type": f"PalmSens.Units.{unit}", "S": symbol, "Q": quantity, "A": ""},
        "DataValues": [{"V": v, **extra} for v in values],
    }


CA_TIME = [0.0, 0.5, 1.0, 1.5, 2.0]
CA_POTENTIAL = [0.2] * 5
CA_CURRENT_UA = [12.5, 10.25, 9.0, 8.5, 8.25]
CA_CHARGE_UC = [0.0, 5.6875, 10.5, 14.875, 19.0625]
CA_METHOD = "#PSTrace\r\nMETHOD_ID=ca\r\nIRANGE_MIN=3\r\nIRANGE_MIN_F=0\r\nIRANGE_MAX=5\r\nIRANGE_MAX_F=2\r\n"


def _ca(curve_current=None) -> dict:
    """A chronoamperometry measurement as PSTrace lays it out (µA, µC by unit type)."""
    time = _array("time", "DataArrayTime", 0, "Time", "s", "Time", CA_TIME)
    current = _array(
        "current", "DataArrayCurrents", 2, "MicroAmpere", "A", "Current", CA_CURRENT_UA, C=4, S=0
    )
    curve_y = copy.deepcopy(current)
    if curve_current is not None:
        curve_y["DataValues"] = [{"V": v} for v in curve_current]
    return {
        "Title": "Chronoamperometry",
        "TimeStamp": 638883454446015517 + 10**10,
        "UTCTimeStamp": 638883382446015517 + 10**10,
        "DeviceUsed": 9,
        "DeviceSerial": "PS4A22B003626",
        "DeviceFW": "1.7",
        "Type": "x",
        "DataSet": {
            "Type": "PalmSens.Data.DataSetCommon",
            "Values": [
                time,
                _array(
                    "potential", "DataArrayPotentials", 1, "Volt", "V", "Potential", CA_POTENTIAL
                ),
                current,
                _array("charge", "DataArrayCharge", 3, "MicroCoulomb", "C", "Charge", CA_CHARGE_UC),
            ],
        },
        "Method": CA_METHOD,
        "Curves": [
            {"Title": "CA i vs t", "XAxisDataArray": copy.deepcopy(time), "YAxisDataArray": curve_y}
        ],
        "EISDataList": [],
    }


def _two_measurements() -> dict:
    document = _session()
    document["Measurements"].append(_ca())
    return document


def test_several_measurements_eis_frame_and_every_other_in_tables(tmp_path):
    path = _write(tmp_path, _two_measurements())
    df = _read_quietly(path)
    assert df.attrs["technique"] == "eis" and len(df) == 64
    name = "measurement 1: Chronoamperometry"
    assert list(df.attrs["tables"]) == [name]
    ca = df.attrs["tables"][name]
    assert ca.attrs["technique"] == "potentiostatic"
    assert ca.attrs["format"] == "palmsens-pssession"
    assert ca["time_s"].tolist() == CA_TIME
    assert ca["voltage_V"].tolist() == CA_POTENTIAL
    np.testing.assert_array_equal(ca["current_A"], np.array(CA_CURRENT_UA) * 1e-6)
    np.testing.assert_array_equal(ca["charge_C"], np.array(CA_CHARGE_UC) * 1e-6)
    assert ca["current"].tolist() == CA_CURRENT_UA  # the original column, in µA
    assert ca.attrs["metadata"]["units"]["charge"] == "µC"
    # the curve repeats DataSet arrays: listed with the columns it repeats
    assert ca.attrs["metadata"]["curves"] == [
        {"title": "CA i vs t", "XAxisDataArray": "time", "YAxisDataArray": "current"}
    ]
    listing = df.attrs["metadata"]["measurements"]
    assert [(m["index"], m["technique"], m["rows"], m["table"]) for m in listing] == [
        (0, "eis", 64, None),
        (1, "potentiostatic", 5, name),
    ]
    assert listing[1]["start_time"] == "2025-07-17T10:54:04.601551+02:00"  # 1e10 ticks later


def test_measurement_argument_picks_the_frame(tmp_path):
    path = _write(tmp_path, _two_measurements())
    ca = _read_quietly(path, measurement=np.int64(1))  # numpy's integers are indices too
    assert ca.attrs["technique"] == "potentiostatic" and len(ca) == 5
    assert list(ca.attrs["tables"]) == ["measurement 0: Impedance Spectroscopy"]
    assert len(ca.attrs["tables"]["measurement 0: Impedance Spectroscopy"]) == 64
    for bad in (2, -1, "1", True, 1.0):
        with pytest.raises(echem.ParseError, match="measurement"):
            _read_quietly(path, measurement=bad)


def test_a_curve_with_other_values_is_a_table_of_its_own(tmp_path):
    document = _session()
    document["Measurements"] = [_ca(curve_current=[1.0, 2.0, 3.0, 4.0, 5.0])]
    df = read_pssession(_write(tmp_path, document))
    [name] = df.attrs["tables"]
    assert name == "measurement 0: Chronoamperometry, curve 0: CA i vs t"
    curve = df.attrs["tables"][name]
    np.testing.assert_array_equal(curve["current_A"], np.array([1.0, 2.0, 3.0, 4.0, 5.0]) * 1e-6)
    assert df.attrs["metadata"]["curves"][0]["XAxisDataArray"] == "time"
    assert df.attrs["metadata"]["curves"][0]["table"] == name


def test_arrays_of_another_length_form_a_further_table(tmp_path):
    document = _session()
    ca = _ca()
    ca["DataSet"]["Values"].append(
        _array("extra", "DataArray", 20, "Volt", "V", "Potential", [1.0, 2.0])
    )
    document["Measurements"] = [ca]
    df = read_pssession(_write(tmp_path, document))
    assert len(df) == 5
    further = df.attrs["tables"]["measurement 0: Chronoamperometry (2 points)"]
    assert further["extra"].tolist() == [1.0, 2.0]
    assert df.attrs["metadata"]["measurements"][0]["further_tables"] == [
        "measurement 0: Chronoamperometry (2 points)"
    ]


def test_current_within_its_range_is_kept(tmp_path):
    document = _session()
    ca = _ca()
    # range code 4 is 10 µA by the method's ladder (3 -> 1 µA): 12.5 µA is within 10x
    document["Measurements"] = [ca]
    df = read_pssession(_write(tmp_path, document))
    assert df["current_A"].notna().all()
    ca["DataSet"]["Values"][2]["DataValues"][0]["V"] = 250.0  # 25x the 10 µA range
    with pytest.warns(echem.EchemWarning, match="1 of 5 'current' readings"):
        df = read_pssession(_write(tmp_path, document))
    assert math.isnan(df["current_A"].iloc[0]) and df["current"].iloc[0] == 250.0
    assert df["current_A"].iloc[1:].tolist() == [v * 1e-6 for v in CA_CURRENT_UA[1:]]


def test_time_and_charge_are_found_by_their_class_too(tmp_path):
    document = _session()
    ca = _ca()
    for array in ca["DataSet"]["Values"]:
        del array["ArrayType"]
    document["Measurements"] = [ca]
    df = read_pssession(_write(tmp_path, document))
    assert df["time_s"].tolist() == CA_TIME
    np.testing.assert_array_equal(df["charge_C"], np.array(CA_CHARGE_UC) * 1e-6)
    # without a code, a current by its quantity; not in an EIS run (Iac is a current too)
    np.testing.assert_array_equal(df["current_A"], np.array(CA_CURRENT_UA) * 1e-6)
    eis = _dummy_eis()
    values = eis["Measurements"][0]["DataSet"]["Values"]
    values[3] = _array("Iac", "DataArrayCurrents", 9, "MicroAmpere", "A", "Current", [1.0] * 3)
    for array in values:
        del array["ArrayType"]
    df = _read_quietly(_write(tmp_path, eis))
    assert "current_A" not in df.columns and df["Iac"].tolist() == [1.0] * 3


def test_unknown_unit_type_gives_no_canonical_column(tmp_path):
    document = _session()
    ca = _ca()
    ca["DataSet"]["Values"][2]["Unit"]["Type"] = "PalmSens.Units.Furlong"
    document["Measurements"] = [ca]
    with pytest.warns(echem.EchemWarning, match="no current_A"):
        df = read_pssession(_write(tmp_path, document))
    assert "current_A" not in df.columns and df["current"].tolist() == CA_CURRENT_UA


@pytest.mark.parametrize(("quantity", "sign"), [("-Z''", -1.0), ("Z''", 1.0), ("?", None)])
def test_sign_of_the_imaginary_part_follows_its_quantity(tmp_path, quantity, sign):
    document = _session()
    arrays = document["Measurements"][0]["DataSet"]["Values"]
    zim = next(a for a in arrays if a["Description"] == "ZIm")
    zim["Unit"]["Q"] = quantity
    values = np.array([v["V"] for v in zim["DataValues"]])
    path = _write(tmp_path, document)
    if sign is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = read_pssession(path)
        assert any("no z_imag_ohm" in str(w.message) for w in caught)
        assert "z_imag_ohm" not in df.columns
    else:
        df = _read_quietly(path)
        np.testing.assert_array_equal(df["z_imag_ohm"], sign * values)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16", "utf-16-be"])
def test_other_encodings_read_alike(tmp_path, encoding):
    original = _read_quietly(real(FILE))
    path = _write(tmp_path, _session(), encoding=encoding)
    assert sniff_pssession(path.read_bytes()[:SNIFF_BYTES])
    df = echem.read(path)
    assert df.equals(original)
    same = json.dumps(df.attrs["metadata"], sort_keys=True)  # EOCP=NaN: NaN != NaN in dicts
    assert same == json.dumps(original.attrs["metadata"], sort_keys=True)


def test_missing_time_stamp_gives_no_start_time(tmp_path):
    document = _session()
    document["Measurements"][0]["TimeStamp"] = 0
    assert _read_quietly(_write(tmp_path, document)).attrs["start_time"] is None
    document["Measurements"][0]["TimeStamp"] = 638883454446015517
    del document["Measurements"][0]["UTCTimeStamp"]  # local time without offset
    assert _read_quietly(_write(tmp_path, document)).attrs["start_time"] == (
        "2025-07-17T10:37:24.601551"
    )


# --------------------------------------------------------------------------- damaged input


@contextlib.contextmanager
def _quiet():
    """Damaged files may read with warnings; only exceptions matter here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", echem.EchemWarning)
        yield


def _read_or_parse_error(path: Path) -> None:
    """A read, or a ParseError naming the file and where (byte offset or key); nothing else."""
    try:
        with _quiet():
            echem.read(path)
    except echem.ParseError as error:
        assert error.path == str(path)
        assert error.offset is not None or "[" in error.reason or "no " in error.reason


def test_truncated_copies_raise_parse_errors_with_offsets(tmp_path):
    raw = real(FILE).read_bytes()
    rng = random.Random(14)
    cuts = {1, 2, 3, 4, 100, 1001, len(raw) // 2, len(raw) - 4, len(raw) - 3}
    cuts |= {rng.randrange(2, len(raw) - 4) for _ in range(25)}
    target = tmp_path / "cut.pssession"
    for cut in sorted(cuts):
        target.write_bytes(raw[:cut])
        with pytest.raises(echem.ParseError) as info:
            read_pssession(target)
        assert info.value.path == str(target)
        assert info.value.offset is not None and 0 <= info.value.offset <= cut, cut


def test_bit_flipped_copies_read_or_raise_parse_errors(tmp_path):
    raw = real(FILE).read_bytes()
    rng = random.Random(1414)
    target = tmp_path / "flip.pssession"
    for _ in range(40):
        data = bytearray(raw)
        at = rng.randrange(len(data))
        data[at] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(data))
        _read_or_parse_error(target)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\xff\xfe" + "not json".encode("utf-16-le"), "not valid JSON"),
        (b"\xff\xfe{\x00\x00\xd8}\x00", "not valid UTF-16"),  # a lone surrogate
        (b"\xff\xfe{\x00\x22", "not valid UTF-16"),  # an odd byte count
        (b"\xff\xfe" + "[1, 2]".encode("utf-16-le"), "not an object"),
        (
            b"\xff\xfe" + '{"Type": "PalmSens.DataFiles.SessionFile"}'.encode("utf-16-le"),
            "no 'Measurements'",
        ),
        (b"\xff\xfe" + '{"Measurements": []}'.encode("utf-16-le"), "no measurement"),
        (b"\xff\xfe" + '{"Measurements": {}}'.encode("utf-16-le"), "Measurements: expected a list"),
        (b"\xff\xfe" + ("[" * 100_000).encode("utf-16-le"), "JSON"),
        (b"", "empty"),
    ],
)
def test_hostile_content_is_a_parse_error(tmp_path, content, match):
    path = tmp_path / "bad.pssession"
    path.write_bytes(content)
    with pytest.raises(echem.ParseError, match=match) as info:
        read_pssession(path)
    assert str(path) in str(info.value)


def _delete(path_keys):
    def mutate(document):
        target = document
        for key in path_keys[:-1]:
            target = target[key]
        del target[path_keys[-1]]

    return mutate


def _set(path_keys, value):
    def mutate(document):
        target = document
        for key in path_keys[:-1]:
            target = target[key]
        target[path_keys[-1]] = value

    return mutate


VALUES = ["Measurements", 0, "DataSet", "Values"]


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (_delete(["Measurements", 0, "DataSet"]), r"Measurements\[0\]: no 'DataSet'"),
        (
            _delete(["Measurements", 0, "DataSet", "Values"]),
            r"Measurements\[0\]\.DataSet: no 'Values'",
        ),
        (_delete([*VALUES, 3, "DataValues"]), r"Values\[3\]: no 'DataValues'"),
        (_delete([*VALUES, 3, "Unit"]), r"Values\[3\]: no 'Unit'"),
        (_delete([*VALUES, 3, "DataValues", 5, "V"]), r"Values\[3\]\.DataValues\[5\]: no value"),
        (
            _set([*VALUES, 3, "DataValues", 5, "V"], "abc"),
            r"DataValues\[5\]\.V: 'abc' is not a number",
        ),
        (  # numpy would read true as 1.0
            _set([*VALUES, 3, "DataValues", 5, "V"], True),
            r"DataValues\[5\]\.V: True is not a number",
        ),
        (_set([*VALUES, 3, "DataValues", 5], 7), r"DataValues\[5\]: no value"),
        (
            _set([*VALUES, 3, "DataValues"], None),
            r"Values\[3\]\.DataValues: expected a list, found null",
        ),
        (_set(["Measurements", 0], "x"), r"Measurements\[0\]: expected an object, found text"),
        (_set(["Measurements", 0, "Curves"], 3), r"Curves: expected a list"),
    ],
)
def test_missing_or_mistyped_keys_name_the_key(tmp_path, mutate, match):
    document = _session()
    mutate(document)
    with pytest.raises(echem.ParseError, match=match):
        _read_or_raise(_write(tmp_path, document))


def _read_or_raise(path):
    with _quiet():
        return read_pssession(path)


@pytest.mark.parametrize("change", ["other field", "field missing"])
def test_values_with_other_fields_than_the_first(tmp_path, change):
    """Fields are the union over all values; a value without one has NaN there (a value
    with as many fields as the first but another one, or with fewer fields)."""
    document = _session()
    ca = _ca()
    entries = ca["DataSet"]["Values"][2]["DataValues"]
    if change == "other field":
        entries[1] = {"V": entries[1]["V"], "C": 4, "X": 1.5}
    else:
        del entries[1]["S"]
    document["Measurements"] = [ca]
    df = read_pssession(_write(tmp_path, document))
    status = df["current status"].to_numpy(dtype=float)
    np.testing.assert_array_equal(status, [0, np.nan, 0, 0, 0])
    assert df["current current range"].tolist() == [4] * 5
    if change == "other field":
        extra = df["current X"].to_numpy(dtype=float)
        np.testing.assert_array_equal(extra, [np.nan, 1.5, np.nan, np.nan, np.nan])


def test_null_values_are_missing_values(tmp_path):
    document = _session()
    _set([*VALUES, 3, "DataValues", 5, "V"], None)(document)
    df = _read_or_raise(_write(tmp_path, document))
    assert math.isnan(df["freq_Hz"].iloc[5]) and math.isnan(df["Frequency"].iloc[5])


def _lower_keys(value):
    """A session as PSTrace 5.0-5.8 writes it: every key in lower case."""
    if isinstance(value, dict):
        return {key.lower(): _lower_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lower_keys(item) for item in value]
    return value


def test_sessions_with_lower_case_keys_read_alike(tmp_path):
    """PSTrace before 5.9 writes ``measurements``, ``datavalues``, ``v`` (PalmSens' own
    example sessions, e.g. PSTrace 5.7's): read as the same session, not refused."""
    original = _read_quietly(real(FILE))
    path = _write(tmp_path, _lower_keys(_session()))
    df = _read_quietly(path)
    assert df.equals(original)
    assert df.attrs["start_time"] == original.attrs["start_time"]
    assert df.attrs["metadata"]["method"] == original.attrs["metadata"]["method"]
    assert df.attrs["metadata"]["units"] == original.attrs["metadata"]["units"]


def test_data_in_curves_only_with_no_array_type(tmp_path):
    """PSTrace 5.0 (PalmSens' PSDiffPulse.pssession): an empty DataSet, the data in a
    curve whose arrays have no ArrayType (5.8: -1): the curve is the measurement's table,
    its canonical columns found by their unit's quantity."""
    ca = _ca()
    ca["DataSet"]["Values"] = []
    curve = ca["Curves"][0]
    del curve["XAxisDataArray"]["ArrayType"]
    curve["YAxisDataArray"]["ArrayType"] = -1
    ca["Title"] = "Differential Pulse Voltammetry"
    document = {"Type": "PalmSens.DataFiles.SessionFile", "CoreVersion": "5.0.802.2"}
    document["Measurements"] = [ca]
    df = _read_quietly(_write(tmp_path, _lower_keys(document)))
    assert df["time_s"].tolist() == CA_TIME
    np.testing.assert_array_equal(df["current_A"], np.array(CA_CURRENT_UA) * 1e-6)
    assert df["current"].tolist() == CA_CURRENT_UA
    assert len(df.attrs["tables"]) == 0 and df.attrs["metadata"]["measurements"][0]["rows"] == 5


def test_text_columns_as_blocks_make_the_frame_of_the_general_path():
    """The reader passes every column as its own block, text ones too (build_frame's block
    path); the frame is the one pandas makes of a dict of the same columns."""
    df = _read_quietly(real(FILE))
    originals = {name: df[name].to_numpy() for name in df.columns if name not in CANONICAL}
    originals["debugtext text"] = np.array(df["debugtext text"].tolist(), dtype=object)
    aliases = {name: [(name, 1.0)] for name in df.columns if name in CANONICAL}
    general = build_frame(
        {**{name: df[name].to_numpy() for name in aliases}, **originals},
        aliases,
        format="x",
        technique="eis",
        source="x",
    )
    assert str(df["debugtext text"].dtype) == "str"
    assert list(general.columns) == list(df.columns)
    assert (general.dtypes == df.dtypes).all() and general.equals(df)


CV_SCANS = {  # scan number -> (potential / V, current / µA), as PSTrace writes a CV
    1: ([-0.4, -0.2, 0.0, 0.2], [-5.5, -2.0, 3.5, 9.0]),
    2: ([-0.4, -0.2, 0.0], [-8.25, -3.0, 2.5]),
    3: ([-0.4, -0.2, 0.0], [-8.5, -3.25, 2.25]),
}


def _cv(channel: str = "") -> dict:
    """A CV of three scans laid out as PSTrace 5.11 writes one (PalmSens' CV example.pssession
    and cv_3scan.pssession): ``time`` as long as the first scan, per scan ``scanN`` a
    potential, a current (µA) and a charge (µC) one point longer, and a curve per scan."""
    values = [_array("time", "DataArrayTime", 0, "Time", "s", "Time", [0.0, 0.05, 0.1, 0.15])]
    curves = []
    for number, (potential, current) in CV_SCANS.items():
        name = f"scan{number}{channel}"
        e = _array(name, "DataArrayPotentials", 1, "Volt", "V", "Potential", potential, S=0, R=7)
        i = _array(name, "DataArrayCurrents", 2, "MicroAmpere", "A", "Current", current, C=4, S=0)
        charge = list(np.cumsum([0.0, *current]))
        q = _array(name, "DataArrayCharge", 3, "MicroCoulomb", "C", "Charge", charge)
        values += [e, i, q]
        curves.append(
            {"Title": f"Scan {number}", "XAxisDataArray": copy.deepcopy(e), "YAxisDataArray": i}
        )
    method = "METHOD_ID=cv\r\nIRANGE_MIN=0\r\nIRANGE_MIN_F=-3\r\nIRANGE_MAX=7\r\nIRANGE_MAX_F=4\r\n"
    measurement = {
        "Title": "Cyclic Voltammetry",
        "DataSet": {"Type": "PalmSens.Data.DataSetCommon", "Values": values},
        "Method": method,
        "Curves": curves,
    }
    return {"CoreVersion": "5.11.1006.0", "Measurements": [measurement]}


@pytest.mark.parametrize("channel", ["", "channel1"])
def test_a_cv_of_several_scans_is_one_table_with_the_scan_number_in_cycle(tmp_path, channel):
    """Before: each scan's potential and current were two arrays of one type in the same
    table, so the frame had no voltage_V nor current_A (a warning), or only scan 1's."""
    df = _read_quietly(_write(tmp_path, _cv(channel)))
    assert df.attrs["technique"] == "cyclic_voltammetry"
    lengths = [len(e) for e, _ in CV_SCANS.values()]
    assert df["cycle"].tolist() == np.repeat(list(CV_SCANS), lengths).tolist()
    assert df["voltage_V"].tolist() == [v for e, _ in CV_SCANS.values() for v in e]
    currents = np.array([v for _, i in CV_SCANS.values() for v in i])
    np.testing.assert_array_equal(df["current_A"], currents * 1e-6)
    assert df["Current"].tolist() == currents.tolist()  # as the file holds them (µA)
    assert df["Current current range"].tolist() == [4] * len(df)
    assert "time_s" not in df.columns and "charge_C" not in df.columns
    tables = df.attrs["tables"]
    label = "measurement 0: Cyclic Voltammetry"
    assert tables[f"{label}, beside the scans"]["time_s"].tolist() == [0.0, 0.05, 0.1, 0.15]
    charge = tables[f"{label}, scan2{channel} (4 points)"]["charge_C"]
    np.testing.assert_allclose(charge, np.cumsum([0.0, *CV_SCANS[2][1]]) * 1e-6)
    curves = df.attrs["metadata"]["curves"]
    assert [c["XAxisDataArray"] for c in curves] == [f"Potential (cycle {n})" for n in CV_SCANS]
    assert [c["YAxisDataArray"] for c in curves] == [f"Current (cycle {n})" for n in CV_SCANS]


def test_a_fifo_is_refused_without_waiting(tmp_path):
    """read_pssession read the bytes with its own copy of the shared helper, without its
    check: on a named pipe it waited forever for a writer."""
    import os

    fifo = tmp_path / "pipe.pssession"
    os.mkfifo(fifo)
    with pytest.raises(echem.ParseError, match="not a regular file"):
        read_pssession(fifo)
