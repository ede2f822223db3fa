"""BioLogic readers on the real EC-Lab files (../shared/data/real/biologic*).

Binary/text comparison rule (``test_mpr_equals_its_mpt_twin``): EC-Lab prints float32
columns with 8 significant digits and float64 ones with 16, so the text holds the
binary's values to ~1e-7 relative. We compare with ``rtol=2e-4`` plus an absolute
floor of ``1e-6 x max|column|``: values near zero (a current crossing 0, the first
``(Q-Qo)``) carry the absolute rounding of their neighbours, not a relative one.
Integer columns (cycle, step) must be equal.
"""

from __future__ import annotations

import os
import re
import struct
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import real, real_files
from galvani import BioLogic as galvani_biologic

import echem
import echem.io.biologic
from echem.io.biologic_mpr import read_mpr
from echem.io.biologic_mpt import read_mpt, sniff_mpt

MPR_FILES = real_files("biologic/*.mpr")
MPT_FILES = [p for p in real_files("biologic*/*.mpt") if "MissingFreq" not in p.name]
TWINS = [p for p in MPR_FILES if p.with_suffix(".mpt").exists()]
CANONICAL = (
    "time_s",
    "voltage_V",
    "current_A",
    "charge_C",
    "cycle",
    "step",
    "freq_Hz",
    "z_real_ohm",
    "z_imag_ohm",
)

HARMONICS = re.compile(r"^(THD|NSD|NSR) |^\|(Ewe|I|Ece) h\d")

#: File-name prefix -> expected technique (the prefixes name the EC-Lab technique).
TECHNIQUE_BY_PREFIX = {
    "bcd": "galvanostatic",
    "ca": "potentiostatic",
    "coc": "galvanostatic",
    "cov": "potentiostatic",
    "cp": "galvanostatic",
    "cv": "cyclic_voltammetry",
    "cva": "cyclic_voltammetry",
    "gcpl": "galvanostatic",
    "geis": "eis",
    "lsv": "linear_sweep",
    "mb": "mixed",
    "ocv": "ocv",
    "peis": "eis",
    "vsp_ocv_with": "ocv",
    "vsp_ocv_wo": "ocv",
    "vsp_peis_with": "eis",
    "wait": "ocv",
    "zir": "eis",
    "exampleDataBioLogic": "eis",
}
#: Text exports with a 3-line header (no technique line) and no impedance columns: the
#: text alone does not say the technique.
WITHOUT_TECHNIQUE_LINE = {"gcpl.pr_182.1.mpt", "gcpl.pr_182.2.mpt", "vsp_ocv_with.mpt"}


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _simple_mpt(path: Path, rows: int = 3) -> tuple[list[str], np.ndarray]:
    """Independent parse: column names and the first rows, straight from the text."""
    lines = path.read_bytes().decode("latin-1").splitlines()
    start = 0
    if lines[0].startswith("EC-Lab ASCII FILE"):
        start = int(lines[1].split(":")[1]) - 1
    names = [n for n in lines[start].split("\t") if n]
    values = [
        [float(v.replace(",", ".")) for v in line.split("\t")[: len(names)]]
        for line in lines[start + 1 : start + 1 + rows]
    ]
    return names, np.array(values)


@pytest.mark.parametrize("path", MPR_FILES + MPT_FILES, ids=_ids(MPR_FILES + MPT_FILES))
def test_every_real_file_reads(path: Path) -> None:
    frame = echem.read(path)
    kind = "biologic-mpr" if path.suffix == ".mpr" else "biologic-mpt"
    assert frame.attrs["format"] == kind
    assert frame.attrs["source"] == path.name
    present = [c for c in CANONICAL if c in frame.columns]
    assert present[:2] == ["time_s", "voltage_V"] or "freq_Hz" in present
    assert list(frame.columns[: len(present)]) == present  # canonical columns first
    for column in present:
        assert frame[column].dtype.kind in "fi"
    if path.name.split(".")[0] != "wait":  # wait.mpr, wait.mpt, wait.old.mpt: no points
        assert len(frame) > 0
        assert np.all(np.diff(frame["time_s"].to_numpy()) >= 0)
    prefix = path.name.split(".")[0].split("_")[0]
    expected = TECHNIQUE_BY_PREFIX.get(prefix) or TECHNIQUE_BY_PREFIX[path.stem.split(".")[0]]
    if path.name in WITHOUT_TECHNIQUE_LINE:
        expected = "unknown"
    assert frame.attrs["technique"] == expected


@pytest.mark.parametrize("mpr", TWINS, ids=_ids(TWINS))
def test_mpr_equals_its_mpt_twin(mpr: Path) -> None:
    binary = read_mpr(mpr)
    text = read_mpt(mpr.with_suffix(".mpt"))
    assert len(binary) == len(text)
    shared = [c for c in CANONICAL if c in binary.columns and c in text.columns]
    assert {"time_s", "voltage_V"} <= set(shared) or "freq_Hz" in shared
    # the binary yields every canonical column the export has (some derived like EC-Lab)
    assert [c for c in CANONICAL if c in binary.columns] == [
        c for c in CANONICAL if c in text.columns
    ]
    for column in shared:
        b = binary[column].to_numpy(dtype=float)
        t = text[column].to_numpy(dtype=float)
        if column in ("cycle", "step"):
            np.testing.assert_array_equal(b, t, err_msg=column)
            continue
        floor = 1e-6 * max(np.max(np.abs(t), initial=0.0), 1e-30)
        np.testing.assert_allclose(b, t, rtol=2e-4, atol=floor, err_msg=column)
    # every original .mpr column that the .mpt also has agrees too, except the
    # harmonic analysis (THD/NSD/NSR, |Ewe hN|, |I hN|), which the export blanks (-1 or 0)
    # on the rows where EC-Lab deems it invalid
    for column in binary.columns:
        if HARMONICS.match(column):
            continue
        if column in text.columns and column not in CANONICAL:
            b = binary[column].to_numpy(dtype=float)
            t = text[column].to_numpy(dtype=float)
            floor = 1e-6 * max(np.max(np.abs(t), initial=0.0), 1e-30)
            np.testing.assert_allclose(b, t, rtol=2e-4, atol=floor, err_msg=column)


@pytest.mark.parametrize("mpr", TWINS, ids=_ids(TWINS))
def test_mpr_start_time_matches_mpt(mpr: Path) -> None:
    text = read_mpt(mpr.with_suffix(".mpt"))
    binary = read_mpr(mpr)
    if text.attrs["start_time"] is None:  # header-less export
        assert binary.attrs["start_time"] is not None
        return
    assert binary.attrs["start_time"] == text.attrs["start_time"]


def test_decimal_comma_export_equals_point_export() -> None:
    point = echem.read(real("biologic/mb.issue_95.mpt"))
    comma = echem.read(real("biologic/mb.issue_95.de.mpt"))
    pd.testing.assert_frame_equal(point, comma, check_exact=True)
    names, values = _simple_mpt(real("biologic/mb.issue_95.de.mpt"))
    assert comma["voltage_V"].iloc[0] == values[0, names.index("Ewe/V")]


@pytest.mark.parametrize(
    "relative",
    [
        "biologic/peis.mpt",
        "biologic/gcpl.issue_211.mpt",
        "biologic/cv.issue_149.mpt",
        "biologic/vsp_peis_with.mpt",
        "biologic-mpt/exampleDataBioLogic.mpt",
    ],
)
def test_first_rows_match_an_independent_parse(relative: str) -> None:
    path = real(relative)
    names, values = _simple_mpt(path)
    frame = echem.read(path)
    column = {name: values[:, i] for i, name in enumerate(names)}
    np.testing.assert_array_equal(frame["time_s"].to_numpy()[:3], column["time/s"])
    for name in names:
        np.testing.assert_array_equal(frame[name].to_numpy(dtype=float)[:3], column[name])
    if "freq/Hz" in column:
        np.testing.assert_array_equal(frame["z_imag_ohm"].to_numpy()[:3], -column["-Im(Z)/Ohm"])
        np.testing.assert_array_equal(frame["z_real_ohm"].to_numpy()[:3], column["Re(Z)/Ohm"])
    current = next(n for n in ("I/mA", "<I>/mA") if n in column)
    np.testing.assert_allclose(
        frame["current_A"].to_numpy()[:3], column[current] * 1e-3, rtol=1e-15
    )
    if "(Q-Qo)/mA.h" in column:
        np.testing.assert_allclose(
            frame["charge_C"].to_numpy()[:3], column["(Q-Qo)/mA.h"] * 3.6, rtol=1e-15
        )


def test_mpr_first_records_match_struct_unpacking() -> None:
    """ocv.issue_149.mpr: IDs (1, 3, 4, 174) -> flag byte, time f8, <Ewe> f4 = 13 bytes."""
    path = real("biologic/ocv.issue_149.mpr")
    raw = path.read_bytes()
    data_at = raw.index(b"VMP data") - len(b"MODULE")
    header = galvani_biologic.VMPmodule_hdr_v2
    payload = data_at + len(b"MODULE") + header.itemsize
    assert raw[payload + 4] == 4  # four column IDs
    records = payload + 1007
    frame = read_mpr(path)
    for row in range(3):
        flags, time, ewe = struct.unpack_from("<Bdf", raw, records + 13 * row)
        assert frame["time_s"].iloc[row] == time
        assert frame["voltage_V"].iloc[row] == np.float32(ewe)
        assert frame["mode"].iloc[row] == flags & 0x03
        assert frame["error"].iloc[row] == (flags & 0x08) >> 3


def test_column_ids_galvani_lacks_are_read() -> None:
    energy = read_mpr(real("biologic/mb.issue_223.mpr"))
    twin = read_mpt(real("biologic/mb.issue_223.mpt"))
    np.testing.assert_allclose(energy["Energy we/W.h"], twin["Energy we/W.h"], rtol=1e-12)
    cycling = read_mpr(real("biologic/gcpl.issue_230.mpr"))
    assert cycling.attrs["metadata"]["column_ids"][19:21] == [883, 884]
    assert cycling["Energy ce charge/W.h"].max() == pytest.approx(0.0286, abs=1e-3)
    cv = read_mpr(real("biologic/cv.issue_149.mpr"))
    twin = read_mpt(real("biologic/cv.issue_149.mpt"))
    np.testing.assert_allclose(cv["step time/s"], twin["step time/s"], rtol=1e-12)


def test_galvani_tables_are_not_mutated() -> None:
    before = dict(galvani_biologic.VMPdata_colID_dtype_map)
    read_mpr(real("biologic/gcpl.issue_230.mpr"))
    assert galvani_biologic.VMPdata_colID_dtype_map == before
    assert 880 not in galvani_biologic.VMPdata_colID_dtype_map


def test_header_metadata() -> None:
    peis = echem.read(real("biologic/peis.issue_225.with_ece.mpt"))
    meta = peis.attrs["metadata"]
    assert meta["technique"] == "Potentio Electrochemical Impedance Spectroscopy"
    assert meta["electrode_area_cm2"] == pytest.approx(1.131)  # 113.100 mm2
    assert meta["characteristic_mass_g"] == pytest.approx(1.39e-3)
    assert meta["ec_lab_version"] == "11.61"
    assert meta["parameters"]["Va (mV)"] == "10.0"
    assert meta["Saved on/File"] == "peis_ecell_ewe_with_ece_record_C02.mpr"
    assert peis.attrs["start_time"] == "2025-08-01T11:42:36.840"
    cv = echem.read(real("biologic/cv.issue_149.mpt"))
    assert cv.attrs["metadata"]["electrode_area_cm2"] == pytest.approx(0.196)  # "0,196 cm2"
    binary = echem.read(real("biologic/peis.issue_225.with_ece.mpr")).attrs["metadata"]
    assert binary["technique"] == "Potentio Electrochemical Impedance Spectroscopy"
    assert binary["electrode_area"] == pytest.approx(113.1)
    assert binary["electrode_material"] == "PFPMAm-co-TEGDMA (3%)"
    assert binary["ec_lab_version"] == "11.61"
    assert binary["version"] == 0


def test_mpr_without_log_module_dates_from_settings() -> None:
    frame = read_mpr(real("biologic/gcpl.pr_182.1.mpr"))
    assert frame.attrs["start_time"] == "2024-05-07"
    assert frame.attrs["technique"] == "galvanostatic"


def test_missing_frequency_column_is_a_parse_error() -> None:
    path = real("biologic-mpt/exampleDataBioLogic_MissingFreq.mpt")
    with pytest.raises(echem.ParseError, match=r"freq/Hz") as caught:
        echem.read(path)
    assert caught.value.line == 61
    assert caught.value.path == str(path)


def test_truncated_mpr_names_file_and_offset(tmp_path: Path) -> None:
    raw = real("biologic/peis.mpr").read_bytes()
    cut = tmp_path / "cut.mpr"
    cut.write_bytes(raw[:5000])
    with pytest.raises(echem.ParseError) as caught:
        echem.read(cut)
    assert caught.value.offset is not None and 0 < caught.value.offset <= 5000
    assert "cut.mpr" in str(caught.value)


def test_unknown_column_id_is_a_parse_error(tmp_path: Path) -> None:
    raw = bytearray(real("biologic/ocv.issue_149.mpr").read_bytes())
    payload = (
        raw.index(b"VMP data") - len(b"MODULE") + 6 + galvani_biologic.VMPmodule_hdr_v2.itemsize
    )
    raw[payload + 6 + 2 * 3 : payload + 6 + 2 * 4] = struct.pack("<H", 999)
    path = tmp_path / "unknown.mpr"
    path.write_bytes(bytes(raw))
    with pytest.raises(echem.ParseError, match="unknown column ID 999"):
        echem.read(path)


def test_sniffers() -> None:
    mpr, mpt = echem.io.biologic.FORMATS
    assert mpr.sniff(b"BIO-LOGIC MODULAR FILE\x1a   ")
    assert mpt.sniff(b"EC-Lab ASCII FILE\r\nNb header lines : 3\r\n")
    assert mpt.sniff(b"freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\r\n1\t2\t3\r\n")
    assert not mpt.sniff(b"freq,Re,Im\n1,2,3\n")
    assert not mpr.sniff(b"") and not sniff_mpt(b"")
    rng = np.random.default_rng(7)
    for _ in range(200):
        head = rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8).tobytes()
        assert mpr.sniff(head) in (True, False)
        assert mpt.sniff(head) in (True, False)


def test_headerless_mpt_with_trailing_tabs(tmp_path: Path) -> None:
    path = tmp_path / "plain.mpt"
    path.write_bytes(
        b"freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\t\r\n1000\t1,5\t-0,25\t\r\n10\t2,5\t0,75\t\r\n"
    )
    frame = echem.read(path)
    assert frame.attrs["technique"] == "eis"
    np.testing.assert_array_equal(frame["freq_Hz"], [1000.0, 10.0])
    np.testing.assert_array_equal(frame["z_imag_ohm"], [0.25, -0.75])
    assert list(frame.columns) == [
        "freq_Hz",
        "z_real_ohm",
        "z_imag_ohm",
        "freq/Hz",
        "Re(Z)/Ohm",
        "-Im(Z)/Ohm",
    ]


def test_ragged_mpt_row_is_a_parse_error_with_line(tmp_path: Path) -> None:
    path = tmp_path / "ragged.mpt"
    path.write_bytes(
        b"EC-Lab ASCII FILE\r\nNb header lines : 4\r\n\r\ntime/s\tEwe/V\r\n"
        b"0\t1\r\n1\t2\r\n2\t3\t4\t5\r\n"
    )
    with pytest.raises(echem.ParseError) as caught:
        echem.read(path)
    assert caught.value.line == 7


def test_text_in_a_canonical_column_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "text.mpt"
    path.write_bytes(
        b"EC-Lab ASCII FILE\r\nNb header lines : 4\r\n\r\ntime/s\tEwe/V\r\n0\t1\r\n1\toops\r\n"
    )
    with pytest.raises(echem.ParseError, match="oops") as caught:
        echem.read(path)
    assert caught.value.line == 6


def test_absolute_time_column_becomes_seconds(tmp_path: Path) -> None:
    path = tmp_path / "dates.mpt"
    path.write_bytes(
        b"time/s\tEwe/V\tI/mA\r\n07/19/2024 16:53:36.5000\t3.1\t0.5\r\n"
        b"07/19/2024 16:53:38.0000\t3.2\t0.5\r\n07/20/2024 16:53:36.5000\t3.3\t0.5\r\n"
    )
    frame = echem.read(path)
    np.testing.assert_allclose(frame["time_s"], [0.0, 1.5, 86400.0])
    assert frame.attrs["start_time"] == "2024-07-19T16:53:36.500"
    assert frame["time/s (absolute)"].iloc[2] == "07/20/2024 16:53:36.5000"


def test_version0_uint8_layout(tmp_path: Path) -> None:
    """The older version-0 layout (uint8 IDs from byte 5, records at 100), rebuilt from a
    real file in the newer layout (uint16 IDs from byte 6, records at 1007)."""
    source = real("biologic/ocv.issue_149.mpr")
    raw = source.read_bytes()
    module = raw.index(b"VMP data") - len(b"MODULE")
    header_size = galvani_biologic.VMPmodule_hdr_v2.itemsize
    assert raw[module + 6 + 35 : module + 6 + 39] == b"\xff\xff\xff\xff"  # v2 module header
    (length,) = struct.unpack_from("<I", raw, module + 6 + 39)
    payload = module + 6 + header_size
    data = raw[payload : payload + length]
    n_columns = data[4]
    ids = struct.unpack_from(f"<{n_columns}H", data, 6)
    rebuilt = data[:5] + bytes(ids) + bytes(100 - 5 - n_columns) + data[1007:]
    out = bytearray(raw[:payload]) + rebuilt + raw[payload + length :]
    struct.pack_into("<I", out, module + 6 + 39, len(rebuilt))
    path = tmp_path / "old.mpr"
    path.write_bytes(bytes(out))
    old = read_mpr(path)
    new = read_mpr(source)
    pd.testing.assert_frame_equal(old, new, check_exact=True)
    assert ids == (1, 3, 4, 174)


def test_parameter_table_keeps_sequence_alignment() -> None:
    meta = echem.read(real("biologic/mb.issue_95.mpt")).attrs["metadata"]
    table = meta["parameters"]
    assert table["Ns"] == ["0", "1", "2"]
    assert table["ctrl_type"] == ["Rest", "CC", "CC"]
    assert table["ctrl1_val"] == ["", "100.000", "5.000"]  # no value for the rest sequence
    assert "Command interpretor v11.40 (firmware)" in meta["notes"]
    assert meta["software"] == "EC-Lab 11.43"
    bcd = echem.read(real("biologic/bcd.issue_241.mpt")).attrs["metadata"]
    assert bcd["software"] == "BT-Lab 1.79" and "ec_lab_version" not in bcd


@pytest.mark.parametrize(
    ("voltage", "current", "current_factor"),
    [
        ("<Ewe/V>", "<I>/mA", 1e-3),
        ("Ewe/V", "I/mA", 1e-3),
        ("<Ewe>/V", "control/mA", 1e-3),  # the set point, when no measured current exists
    ],
)
def test_column_naming_variants(
    tmp_path: Path, voltage: str, current: str, current_factor: float
) -> None:
    path = tmp_path / "variant.mpt"
    text = f"time/s\t{voltage}\t{current}\t(Q-Qo)/C\tNs\n0\t3.25\t-0.8\t0\t0\n10\t3.5\t0.8\t-0.008\t1\n"
    path.write_bytes(text.encode("latin-1"))
    frame = echem.read(path)
    np.testing.assert_array_equal(frame["voltage_V"], [3.25, 3.5])
    np.testing.assert_allclose(frame["current_A"], np.array([-0.8, 0.8]) * current_factor)
    np.testing.assert_array_equal(frame["charge_C"], [0.0, -0.008])  # already in C
    assert frame["step"].dtype == np.int64


def test_measured_current_wins_over_control(tmp_path: Path) -> None:
    path = tmp_path / "both.mpt"
    path.write_bytes(b"time/s\tEwe/V\tcontrol/mA\tI/mA\n0\t3\t1.0\t0.998\n")
    assert echem.read(path)["current_A"].iloc[0] == pytest.approx(0.998e-3, rel=1e-15)


def test_unknown_technique_name_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "power.mpt"
    path.write_bytes(
        b"EC-Lab ASCII FILE\r\nNb header lines : 6\r\n\r\nConstant Power Wobble\r\n"
        b"User : me\r\ntime/s\tEwe/V\tI/mA\r\n0\t3\t1\r\n"
    )
    frame = echem.read(path)
    assert frame.attrs["technique"] == "unknown"
    assert frame.attrs["metadata"]["technique"] == "Constant Power Wobble"
    assert "notes" not in frame.attrs["metadata"]


def test_headerless_mpt_with_a_byte_order_mark(tmp_path: Path) -> None:
    """A UTF-8 BOM before a header-less export's column line is not part of the first
    column's name (it was: ``ï»¿freq/Hz``, so no ``freq_Hz``, technique "unknown", and
    the file was sniffed as CSV)."""
    text = b"freq/Hz\tRe(Z)/Ohm\tfoo\r\n1000\t1.5\t3\r\n10\t2.5\t4\r\n"
    assert sniff_mpt(b"\xef\xbb\xbf" + text)
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text)
    frame = echem.read(path)
    assert frame.attrs["format"] == "biologic-mpt"
    assert frame.attrs["technique"] == "eis"
    assert list(frame.columns) == ["freq_Hz", "z_real_ohm", "freq/Hz", "Re(Z)/Ohm", "foo"]
    np.testing.assert_array_equal(frame["freq_Hz"], [1000.0, 10.0])


def test_too_many_values_after_blank_lines_names_their_line(tmp_path: Path) -> None:
    """Blank lines after the column line: the error names the first data line (line 4),
    not the line after the column line (a blank one)."""
    path = tmp_path / "wide.mpt"
    path.write_bytes(b"time/s\tEwe/V\r\n\r\n  \r\n0\t1\t2\r\n1\t2\t3\r\n")
    with pytest.raises(echem.ParseError, match="3 values") as caught:
        echem.read(path, format="biologic-mpt")
    assert caught.value.line == 4


@pytest.mark.parametrize(
    "body, line",
    [
        (b"1\t2\t3\t\r\n4\t5\t6\t7\r\n8\t9\t10\t\r\n", 3),  # trailing tabs, a 4th value
        (b"1\t2\t3\t\r\n4\t5\t6\t\t8\r\n", 3),  # a 5th value
        (b"1\t2\t3\t\r\n\r\n4\t5\t6\tx\r\n", 4),  # text, after a blank line
        (b"\t\t\t\r\n1\t2\t3\r\n4\t5\t6\t7\r\n", 4),  # a row of tabs first
    ],
    ids=["4th value", "5th value", "text", "tab row first"],
)
def test_a_value_beyond_the_named_columns_is_a_parse_error(
    tmp_path: Path, body: bytes, line: int
) -> None:
    """Rows ending in a tab (the first data row wider than the column line) made the
    extra fields a dropped column: a value there was lost silently (or with a pandas
    ParserWarning only), where rows without the tab raise 'Expected n fields'."""
    path = tmp_path / "wide.mpt"
    path.write_bytes(b"time/s\tEwe/V\t<I>/mA\r\n" + body)
    with pytest.raises(echem.ParseError, match="column line names 3|Expected 4 fields") as caught:
        echem.read(path, format="biologic-mpt")
    assert caught.value.line == line


def test_empty_fields_beyond_the_named_columns_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "tabs.mpt"
    path.write_bytes(b"time/s\tEwe/V\r\n0\t1\t\r\n1\t2\t \r\n2\t3\r\n")
    frame = echem.read(path, format="biologic-mpt")
    assert list(frame.columns) == ["time_s", "voltage_V", "time/s", "Ewe/V"]
    assert frame["voltage_V"].tolist() == [1.0, 2.0, 3.0]


def test_text_in_a_canonical_column_after_blank_lines_names_its_line(tmp_path: Path) -> None:
    """Blank lines (skipped by read_csv) before the bad row: it is line 5, not 3."""
    path = tmp_path / "text.mpt"
    path.write_bytes(b"time/s\tEwe/V\r\n\r\n  \r\n0\t1\r\n1\toops\r\n")
    with pytest.raises(echem.ParseError, match="oops") as caught:
        echem.read(path, format="biologic-mpt")
    assert caught.value.line == 5


@pytest.mark.parametrize(
    ("name", "code", "technique", "kind"),
    [
        ("coc.issue_185", 0x76, "Constant Current", "galvanostatic"),
        ("cov.issue_185", 0x75, "Constant Voltage", "potentiostatic"),
        ("cva.issue_202", 0x33, "Cyclic Voltammetry Advanced", "cyclic_voltammetry"),
        ("gcpl.pr_182.2", 0x77, "Galvanostatic Cycling with Potential Limitation", "galvanostatic"),
        ("gcpl.pr_182.1", 0x04, "Galvanostatic Cycling with Potential Limitation", "galvanostatic"),
        ("bcd.issue_241", 0x88, "Battery Capacity Determination", "galvanostatic"),
        ("mb.issue_95", 0x7F, "Modulo Bat", "mixed"),
        ("zir", 0x32, "IR compensation (PEIS)", "eis"),
        ("wait", 0x1C, "Wait", "ocv"),
        ("vsp_ocv_with", 0x0B, "Open Circuit Voltage", "ocv"),
    ],
)
def test_settings_technique_code_names_the_vendor_technique(
    name: str, code: int, technique: str, kind: str
) -> None:
    """The .mpr settings module's first byte names the technique as the .mpt twin's
    technique line does (where the twin has one); the vendor name stays in metadata."""
    binary = read_mpr(real(f"biologic/{name}.mpr"))
    meta = binary.attrs["metadata"]
    assert (meta["technique_code"], meta["technique"]) == (code, technique)
    assert binary.attrs["technique"] == kind
    twin = read_mpt(real(f"biologic/{name}.mpt"))
    if "technique" in twin.attrs["metadata"]:
        assert twin.attrs["metadata"]["technique"] == technique
        assert twin.attrs["technique"] == kind


def test_every_settings_technique_has_a_kind() -> None:
    from echem.io._biologic_columns import SETTINGS_TECHNIQUES, TECHNIQUE_KINDS
    from echem.io._schema import TECHNIQUES

    assert set(SETTINGS_TECHNIQUES.values()) <= set(TECHNIQUE_KINDS)
    assert set(TECHNIQUE_KINDS.values()) <= set(TECHNIQUES)


def test_external_device_inputs_are_in_metadata() -> None:
    """vsp_ocv_with.mpr: a force sensor and a thermocouple on the VSP's analog inputs."""
    frame = read_mpr(real("biologic/vsp_ocv_with.mpr"))
    inputs = frame.attrs["metadata"]["external_device"]
    assert inputs["Analog IN 1"] == {
        "quantity": "Force/N",
        "max_V": 10.0,
        "min_V": 0.0,
        "max": 1100.0,
        "min": 0.0,
    }
    assert inputs["Analog IN 2"]["quantity"] == "Temperatur/°C"
    assert inputs["Analog IN 2"]["max"] == 150.0
    # the columns hold the converted values (above the 10 V input range)
    assert frame["Analog IN 1/V"].iloc[0] == pytest.approx(162.97272, rel=1e-6)


def test_bt_lab_bcd_names_the_cell_voltage_as_its_export() -> None:
    """BT-Lab's BCD records the cell voltage under column ID 6, which is Ewe/V in other
    techniques: the .mpr column is named Ecell/V, as in its .mpt twin (was Ewe/V)."""
    binary = read_mpr(real("biologic/bcd.issue_241.mpr"))
    text = read_mpt(real("biologic/bcd.issue_241.mpt"))
    assert 6 in binary.attrs["metadata"]["column_ids"]
    assert "Ecell/V" in binary.columns and "Ewe/V" not in binary.columns
    np.testing.assert_allclose(binary["Ecell/V"], text["Ecell/V"], rtol=1e-7)
    np.testing.assert_array_equal(binary["voltage_V"], binary["Ecell/V"].astype(float))


@pytest.mark.parametrize("mpr", TWINS, ids=_ids(TWINS))
def test_mpr_area_and_mass_in_the_units_of_the_mpt_twin(mpr: Path) -> None:
    """The settings' area and characteristic mass are stored in the unit the user chose
    (cm² or mm², g or mg; codes at bytes 0x250/0x251): converted, they equal the export's."""
    binary = read_mpr(mpr).attrs["metadata"]
    text = read_mpt(mpr.with_suffix(".mpt")).attrs["metadata"]
    if "Electrode surface area" not in text:  # 3-line header: nothing to compare with
        pytest.skip("the export has no settings block")
    assert binary["electrode_area_cm2"] == pytest.approx(text["electrode_area_cm2"], rel=1e-12)
    assert binary["characteristic_mass_g"] == pytest.approx(
        text["characteristic_mass_g"], rel=1e-12
    )
    unit = text["Electrode surface area"].split()[-1]
    assert binary["electrode_area_unit"] == unit


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("reader", [read_mpt, read_mpr], ids=["read_mpt", "read_mpr"])
def test_a_fifo_given_to_a_reader_is_refused_not_waited_on(tmp_path: Path, reader) -> None:
    """``echem.read`` refused a FIFO, but ``read_mpt``/``read_mpr`` called directly
    opened it and waited for a writer, forever. If the reader blocks, the test opens the
    FIFO's write end (the blocked open returns, reading nothing) and fails."""
    fifo = tmp_path / "run.mpt"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            reader(fifo)
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            outcome.append(error)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(10)
    blocked = worker.is_alive()
    if blocked:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # release the reader
        worker.join(10)
    assert not blocked, f"{reader.__name__} waited on a FIFO"
    assert isinstance(outcome[0], echem.ParseError), outcome
    assert "not a regular file: a FIFO" in str(outcome[0])
