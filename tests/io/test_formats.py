"""Non-BioLogic readers on the real instrument files (impedance.py's example data).

Values are checked against the text of the files (first/last rows, row counts) and
the EIS rows against impedance.py 1.7.1's own readers, freq and Z to 1e-12 relative.
impedance.py's readers agree with ours on every one of these files; the differences
are in what they drop: they return freq/Z only, readParstat discards the galvanostatic
record, readGamry the OCV curve and the table after an aborted run (we keep them).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import real, real_files
from impedance import preprocessing

import echem
from echem.io import SNIFF_BYTES, registry
from echem.io.delimited import read_delimited, recognise_column

#: (real file, our format name, impedance.py instrument name, EIS rows)
CASES = [
    ("gamry-dta/exampleDataGamry.DTA", "gamry-dta", "gamry", 72),
    ("gamry-dta/exampleDataGamryABORT.DTA", "gamry-dta", "gamry", 72),
    ("autolab/exampleDataAutolab.txt", "autolab", "autolab", 41),
    ("chinstruments/exampleDataCHInstruments.txt", "chinstruments", "chinstruments", 73),
    ("csv/exampleData.csv", "csv", None, 66),
    ("parstat/exampleDataParstat.txt", "parstat", "parstat", 31),
    ("powersuite/exampleDataPowersuite.txt", "powersuite", "powersuite", 30),
    ("versastudio/exampleDataVersaStudio.par", "versastudio", "versastudio", 61),
    ("zplot/Circuit1_EIS_1.z", "zplot", "zplot", 48),
    ("zplot/Circuit2_EIS_1.z", "zplot", "zplot", 56),
    ("zplot/Circuit3_EIS_1.z", "zplot", "zplot", 53),
    ("zplot/exampleDataZPlot.z", "zplot", "zplot", 21),
    ("zplot/exampleDataZPlot_noComments.z", "zplot", "zplot", 31),
]
IDS = [case[0].split("/")[-1] for case in CASES]


@pytest.mark.parametrize(("relative", "name", "instrument", "n_eis"), CASES, ids=IDS)
def test_eis_rows_equal_impedance_py(relative, name, instrument, n_eis):
    path = real(relative)
    df = echem.read(path)
    assert df.attrs["format"] == name
    assert df.attrs["source"] == path.name
    sweeps = echem.eis.spectra(df)
    assert len(sweeps) == 1
    sweep = sweeps[0]
    assert len(sweep) == n_eis
    freq, z = preprocessing.readFile(str(path), instrument=instrument)
    np.testing.assert_allclose(sweep["freq_Hz"].to_numpy(), freq, rtol=1e-12, atol=0)
    np.testing.assert_allclose(sweep["z_real_ohm"].to_numpy(), z.real, rtol=1e-12, atol=0)
    np.testing.assert_allclose(sweep["z_imag_ohm"].to_numpy(), z.imag, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("relative", "name", "instrument", "n_eis"), CASES, ids=IDS)
def test_sniffing_picks_the_format_and_forcing_agrees(relative, name, instrument, n_eis):
    path = real(relative)
    head = path.read_bytes()[:SNIFF_BYTES]
    claimed = [f.name for f in registry() if f.sniff(head)]
    assert claimed[0] == name
    # Only the generic delimited reader (last in order) may also accept a tab table.
    assert set(claimed[1:]) <= {"csv"}
    assert echem.read(path, format=name).equals(echem.read(path))


def test_no_reader_of_ours_claims_biologic_files():
    ours = {
        "gamry-dta",
        "zplot",
        "autolab",
        "chinstruments",
        "versastudio",
        "parstat",
        "powersuite",
        "csv",
    }
    files = real_files("biologic*/*.mp?")
    if not files:
        pytest.skip("no BioLogic files")
    for path in files:
        head = path.read_bytes()[:SNIFF_BYTES]
        assert not [f.name for f in registry() if f.name in ours and f.sniff(head)], path


def _row(df, index, columns):
    return [df[c].iloc[index] for c in columns]


CANON = ["time_s", "freq_Hz", "z_real_ohm", "z_imag_ohm"]


def test_gamry_eis_frame_ocv_table_and_metadata():
    df = echem.read(real("gamry-dta/exampleDataGamry.DTA"))
    assert df.attrs["technique"] == "eis"
    assert len(df) == 72
    # "	0	1	200015.6	825.8584	-1367.239	1	1597.306	-58.86662	-5.89286E-006	-0.3413299	9"
    assert _row(df, 0, CANON + ["current_A", "voltage_V"]) == [
        1.0,
        200015.6,
        825.8584,
        -1367.239,
        -5.89286e-06,
        -0.3413299,
    ]
    assert _row(df, -1, CANON) == [861.0, 0.0158898, 17007.49, -6635.557]
    assert list(df.columns[:6]) == [
        "time_s",
        "voltage_V",
        "current_A",
        "freq_Hz",
        "z_real_ohm",
        "z_imag_ohm",
    ]
    assert {"Pt", "Zsig", "Zmod", "Zphz", "IERange"} <= set(df.columns)
    ocv = df.attrs["tables"]["OCVCURVE"]
    assert len(ocv) == 387
    assert _row(ocv, 0, ["time_s", "voltage_V", "Vm"]) == [0.258333, -0.346699, -0.346699]
    assert _row(ocv, -1, ["time_s", "voltage_V", "Over"]) == [99.975, -0.29198, "..........a"]
    meta = df.attrs["metadata"]
    assert df.attrs["start_time"] == "2018-04-23T16:43:15"
    assert meta["TAG"] == "EISPOT" and meta["TITLE"] == "Potentiostatic EIS"
    assert meta["instrument"] == "REF3000-34128"
    assert meta["area_cm2"] == 1.0 and meta["FREQINIT"] == 200000.0
    assert meta["DELAY"] == [True, 100.0, 0.0]
    assert meta["notes"] == "-50mV +5.66X10^-4 D8"
    assert meta["software_version"] == "7.05"
    assert meta["aborted"] is False
    assert meta["units"]["Freq"] == "Hz" and meta["units"]["Zreal"] == "ohm"


def test_gamry_aborted_run_keeps_measured_points_and_later_table():
    df = echem.read(real("gamry-dta/exampleDataGamryABORT.DTA"))
    assert df.attrs["metadata"]["aborted"] is True
    assert df.attrs["start_time"] == "2020-03-18T16:54:44"
    assert len(df) == 72
    assert _row(df, -1, CANON) == [861.0, 0.0158898, 17007.49, -6635.557]
    tables = df.attrs["tables"]
    assert list(tables) == ["OCVCURVE", "FRACURVE"]
    assert len(tables["OCVCURVE"]) == 39 and len(tables["FRACURVE"]) == 128
    fra = tables["FRACURVE"]
    assert _row(fra, 0, ["time_s", "voltage_V", "current_A"]) == [20.1455, 2.9765e-4, 6.72654e-08]


def test_gamry_frames_concatenate_despite_tables_in_attrs():
    """pandas compares attrs with == on concat; a dict of frames would raise there."""
    df = echem.read(real("gamry-dta/exampleDataGamry.DTA"))
    both = pd.concat([df, df.copy()])
    assert len(both) == 144
    assert both.attrs["tables"]["OCVCURVE"].equals(df.attrs["tables"]["OCVCURVE"])


def test_zplot_with_comments_metadata_and_rows():
    df = echem.read(real("zplot/exampleDataZPlot.z"))
    # header says 56 planned points; the sweep stopped after 21
    assert len(df) == 21 and df.attrs["metadata"]["Data Points"] == "56"
    assert _row(df, 0, CANON) == [2.67, 3.0e5, 147.77, -11.335]
    assert _row(df, -1, CANON) == [19.98, 3.0e3, 613.68, -137.13]
    meta = df.attrs["metadata"]
    assert meta["software_version"] == "3.2c"
    assert meta["Experiment"]["vs Freq-Initial"] == "300000"
    assert meta["Pstat/Gstat"]["Error Beep"] == "1" and meta["Analyzer"]["Error Beep"] == "0"
    assert meta["area_cm2"] == 1.0
    assert df.attrs["start_time"] == "2018-10-12T11:04:34"
    assert list(df.columns[4:]) == [
        "Freq(Hz)",
        "Ampl",
        "Bias",
        "Time(Sec)",
        "Z'(a)",
        "Z''(b)",
        "GD",
        "Err",
        "Range",
    ]


def test_zplot_without_comments():
    df = echem.read(real("zplot/exampleDataZPlot_noComments.z"))
    assert len(df) == 31
    assert _row(df, 0, CANON) == [2.58, 3.0e5, 642.62, -85.821]
    assert _row(df, -1, CANON) == [28.91, 300.0, 1305.3, -195.01]
    meta = df.attrs["metadata"]
    assert meta["software_version"] == "3.2c" and meta["Data Points"] == "79"
    assert "1.7 sccm CO, 1.50 sccm CO2, 800 C" in meta["comments"]
    assert df.attrs["start_time"] == "2019-12-17T16:24:35"


def test_autolab():
    df = echem.read(real("autolab/exampleDataAutolab.txt"))
    assert len(df) == 41
    assert _row(df, 0, ["freq_Hz", "z_real_ohm", "z_imag_ohm"]) == [
        10000.0,
        0.013785863964281,
        0.007191946305823,
    ]
    assert _row(df, -1, ["freq_Hz", "z_real_ohm", "z_imag_ohm"]) == [
        0.1,
        0.0345697771923854,
        -0.00390292888845954,
    ]
    assert "Freq (Hz)" in df.columns
    assert df.attrs["metadata"]["software_version"] == "1.1"


def test_chinstruments():
    df = echem.read(real("chinstruments/exampleDataCHInstruments.txt"))
    assert len(df) == 73 and df.attrs["technique"] == "eis"
    assert _row(df, 0, ["freq_Hz", "z_real_ohm", "z_imag_ohm", "Phase/deg"]) == [
        9.961e4,
        98.91,
        -2.748,
        -1.6,
    ]
    assert _row(df, -1, ["freq_Hz", "z_real_ohm", "z_imag_ohm"]) == [0.1, 5685.0, -15860.0]
    meta = df.attrs["metadata"]
    assert meta["instrument"] == "CHI660E"
    assert meta["Amplitude (V)"] == 0.025 and meta["High Frequency (Hz)"] == 2e6
    assert df.attrs["start_time"] == "2020-02-20T15:55:08"


def test_parstat_mixed_record_keeps_both_parts():
    df = echem.read(real("parstat/exampleDataParstat.txt"))
    assert df.attrs["technique"] == "mixed"
    assert len(df) == 812  # 781 galvanostatic rows + 31 impedance points
    assert df["freq_Hz"].isna().sum() == 781 and df["z_real_ohm"].isna().sum() == 781
    assert (df["Frequency (Hz)"].iloc[:781] == 0).all()  # original column untouched
    assert _row(df, 0, ["voltage_V", "current_A", "time_s"]) == [
        3.49322700500488,
        -0.149962306022644,
        10.0,
    ]
    assert _row(df, 781, ["time_s", "freq_Hz", "z_real_ohm", "z_imag_ohm"]) == [
        7639.602,
        10000.0,
        -0.00049816280376104,
        0.0175143479976367,
    ]
    assert _row(df, -1, ["freq_Hz", "z_imag_ohm"]) == [10.0, -0.00399791080333837]
    sweep = echem.eis.spectra(df)[0]
    assert sweep.attrs["time_s"] == 7639.602


def test_versastudio():
    df = echem.read(real("versastudio/exampleDataVersaStudio.par"))
    assert len(df) == 61 and df.attrs["technique"] == "eis"
    assert _row(df, 0, ["time_s", "current_A", "freq_Hz", "z_real_ohm", "z_imag_ohm"]) == [
        1.812,
        -3.282372e-06,
        1.0e5,
        55.31571,
        4.575431,
    ]
    assert _row(df, -1, ["time_s", "freq_Hz", "z_real_ohm", "z_imag_ohm"]) == [
        1575.401,
        0.02154435,
        1516.313,
        -122.8279,
    ]
    assert df.columns[-1] == "AC Amplitude"  # the Definition's stray trailing "0" dropped
    meta = df.attrs["metadata"]
    assert meta["software_version"] == "2.52.3.0" and meta["serial_number"] == "16334007"
    assert meta["instrument"] == "VersaSTAT4 -400" and meta["area_cm2"] == 1.0
    assert meta["Action1"]["Start Frequency (Hz)"] == "100000"
    assert df.attrs["start_time"] == "2018-07-19T09:40:30"


def test_powersuite():
    df = echem.read(real("powersuite/exampleDataPowersuite.txt"))
    assert len(df) == 30
    assert _row(df, 0, ["freq_Hz", "z_real_ohm", "z_imag_ohm"]) == [0.1, 423929.46, -49014.063]
    assert _row(df, -1, ["freq_Hz", "z_real_ohm", "z_imag_ohm"]) == [2e6, -470.54113, -1397.7358]


def test_headerless_csv():
    df = echem.read(real("csv/exampleData.csv"))
    assert list(df.columns) == ["freq_Hz", "z_real_ohm", "z_imag_ohm"]
    assert len(df) == 66
    assert df["freq_Hz"].iloc[0] == 3.162299999999999833e-03
    assert df["z_imag_ohm"].iloc[-1] == 1.015747456493823649e-02


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("freq/Hz,Z' (Ohm),-Z''/Ohm\n1000,10,3\n100,20,-4\n", [[1000, 10, -3], [100, 20, 4]]),
        (
            "Frequency (kHz);Zreal (kOhm);Zimag (kOhm)\n1,5;0,25;-0,5\n0,1;1;-2\n",
            [[1500, 250, -500], [100, 1000, -2000]],
        ),
        ("f\tZ_real\t-Z_imag (Ohm)\ttime/min\n10\t1\t2\t1\n", [[10, 1, -2]]),
        (
            "# saved by impedance.py\n# freq,Re(Z),Im(Z)\n5.0,1.0,-1.0\n4.0,2.0,-2.0\n",
            [[5, 1, -1], [4, 2, -2]],
        ),
        ('"freq [Hz]","Z\' [mOhm]","Z\'\' [mOhm]"\n2,1000,-500\n', [[2, 1, -0.5]]),
    ],
    ids=[
        "units-minus",
        "semicolon-decimal-comma-kilo",
        "tab-underscores",
        "savetxt-header",
        "quoted-brackets",
    ],
)
def test_headered_csv_variants(tmp_path, text, expected):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    df = echem.read(path)
    assert df.attrs["format"] == "csv" and df.attrs["technique"] == "eis"
    got = df[["freq_Hz", "z_real_ohm", "z_imag_ohm"]].to_numpy()
    np.testing.assert_allclose(got, np.array(expected, dtype=float), rtol=1e-15)


def test_csv_time_unit_and_comments(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("# cell A\nfreq/Hz,Z'/Ohm,Z''/Ohm,time/min\n10,1,2,1.5\n", encoding="utf-8")
    df = echem.read(path)
    assert df["time_s"].iloc[0] == 90.0
    assert df.attrs["metadata"]["comments"] == ["cell A"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("freq/Hz", ("freq_Hz", 1.0)),
        ("-Z''/Ohm", ("z_imag_ohm", -1.0)),
        ("Z' (Ohm)", ("z_real_ohm", 1.0)),
        ("Zimag", ("z_imag_ohm", 1.0)),
        ("I/mA", ("current_A", 1e-3)),
        ("Ewe/V", ("voltage_V", 1.0)),
        ("freq/Ohm", None),
        ("-time/s", None),
        ("colour", None),
    ],
)
def test_recognise_column(name, expected):
    assert recognise_column(name) == expected


def test_csv_without_known_columns_reads_with_a_warning_naming_them(tmp_path):
    """A table that yields no canonical column says so (it was a ParseError; a table
    with one recognised column among unknown ones read with no word)."""
    path = tmp_path / "x.csv"
    path.write_text("alpha,beta\n1,2\n3,4\n", encoding="utf-8")
    with pytest.warns(echem.EchemWarning, match=r"line 1: no column .*\['alpha', 'beta'\]"):
        frame = read_delimited(path)
    assert list(frame.columns) == ["alpha", "beta"]
    np.testing.assert_array_equal(frame.to_numpy(), [[1.0, 2.0], [3.0, 4.0]])
    assert frame.attrs["technique"] == "unknown"


def test_bad_number_names_file_and_line(tmp_path):
    source = real("zplot/exampleDataZPlot.z").read_text(encoding="utf-8").split("\n")
    source[129] = source[129].replace("1.5898E+02", "1.58x8E+02")
    path = tmp_path / "bad.z"
    path.write_text("\n".join(source), encoding="utf-8")
    with pytest.raises(echem.ParseError) as info:
        echem.read(path)
    assert info.value.line == 130 and info.value.path == str(path)
    assert "bad.z, line 130" in str(info.value)


def test_utf16_with_bom_reads_like_the_original(tmp_path):
    original = real("gamry-dta/exampleDataGamry.DTA")
    path = tmp_path / "u16.DTA"
    path.write_bytes(original.read_bytes().decode("latin-1").encode("utf-16"))
    assert echem.read(path).equals(echem.read(original))


def test_formats_table_lists_ours():
    names = set(echem.formats()["name"])
    assert {
        "gamry-dta",
        "zplot",
        "autolab",
        "chinstruments",
        "versastudio",
        "parstat",
        "powersuite",
        "csv",
    } <= names
    assert math.isfinite(len(names))
