"""Edge cases of the text readers (ZPlot, Autolab, CH Instruments, VersaStudio, Parstat,
PowerSuite, delimited CSV) on hand-made variants of the real files.

Values are checked against an independent parse written here and, where impedance.py
has a reader for the format, against what impedance.py returns.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import real

import echem
from echem.eis import spectra
from echem.errors import TruncatedDataWarning

#: name -> (real file, format, field separator of the data rows)
FILES = {
    "zplot": ("zplot/exampleDataZPlot.z", "zplot", "\t"),
    "zplotw": ("zplot/exampleDataZPlot_noComments.z", "zplot", ","),
    "autolab": ("autolab/exampleDataAutolab.txt", "autolab", ","),
    "chi": ("chinstruments/exampleDataCHInstruments.txt", "chinstruments", ","),
    "parstat": ("parstat/exampleDataParstat.txt", "parstat", "\t"),
    "powersuite": ("powersuite/exampleDataPowersuite.txt", "powersuite", "\t"),
    "csv": ("csv/exampleData.csv", "csv", ","),
    "versastudio": ("versastudio/exampleDataVersaStudio.par", "versastudio", ","),
}
CANONICAL_Z = ["freq_Hz", "z_real_ohm", "z_imag_ohm"]


def _text(relative: str) -> str:
    return real(relative).read_bytes().decode("utf-8-sig")


def _data_line_indices(lines: list[str], separator: str) -> list[int]:
    """Indices of the numeric data rows (every field a number or empty, as many fields as
    the last such row: not ZPlotW's null-configuration line)."""
    found = []
    for index, line in enumerate(lines):
        fields = [f.strip() for f in line.rstrip("\r").split(separator)]
        if len(fields) < 3:
            continue
        try:
            [float(f) for f in fields if f]
        except ValueError:
            continue
        found.append((index, len(fields)))
    return [index for index, width in found if width == found[-1][1]]


def _independent(relative: str, separator: str, columns: tuple[int, int, int]) -> np.ndarray:
    """freq, Z', Z'' of every data row, parsed here without echem."""
    lines = _text(relative).split("\n")
    rows = []
    for index in _data_line_indices(lines, separator):
        fields = [f.strip() for f in lines[index].rstrip("\r").split(separator)]
        rows.append([float(fields[c]) for c in columns])
    return np.array(rows)


# --- values: independent parse and impedance.py -------------------------------------------

INDEPENDENT = {
    # name: (columns of freq, Z', Z'' in a data row)
    "zplot": (0, 4, 5),
    "zplotw": (0, 4, 5),
    "autolab": (0, 4, 5),
    "chi": (0, 1, 2),
    "powersuite": (0, 1, 2),
    "csv": (0, 1, 2),
    "versastudio": (9, 14, 15),
}


@pytest.mark.parametrize("name", sorted(INDEPENDENT))
def test_impedance_columns_equal_an_independent_parse(name):
    relative, format, separator = FILES[name]
    if name == "versastudio":  # data rows only inside <Segment1>
        text = _text(relative)
        start = text.index("<Segment1>")
        block = text[start : text.index("</Segment1>")].split("\n")
        rows = [
            [float(f) for f in line.split(",")]
            for line in block[
                block.index(next(b for b in block if b.startswith("Definition"))) + 1 :
            ]
            if line.strip()
        ]
        expected = np.array(rows)[:, list(INDEPENDENT[name])]
    else:
        expected = _independent(relative, separator, INDEPENDENT[name])
    frame = echem.read(real(relative))
    assert frame.attrs["format"] == format
    np.testing.assert_array_equal(frame[CANONICAL_Z].to_numpy(), expected)
    assert frame.attrs["technique"] == "eis"


IMPEDANCE_PY = {
    "zplot": "zplot",
    "zplotw": "zplot",
    "autolab": "autolab",
    "chi": "chinstruments",
    "powersuite": "powersuite",
    "versastudio": "versastudio",
    "parstat": "parstat",
    "csv": None,
}


@pytest.mark.parametrize("name", sorted(IMPEDANCE_PY))
def test_impedance_columns_equal_impedance_py(name):
    preprocessing = pytest.importorskip("impedance.preprocessing")
    relative = FILES[name][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        freq, z = preprocessing.readFile(str(real(relative)), instrument=IMPEDANCE_PY[name])
    frame = echem.read(real(relative))
    eis = frame[np.isfinite(frame["freq_Hz"].to_numpy())]
    np.testing.assert_array_equal(eis["freq_Hz"].to_numpy(), freq)
    np.testing.assert_array_equal(eis["z_real_ohm"].to_numpy(), z.real)
    # impedance.py keeps Z'' as stored, like echem (negative on the capacitive arc)
    np.testing.assert_array_equal(eis["z_imag_ohm"].to_numpy(), z.imag)


def test_parstat_spectra_is_the_sweep_after_the_galvanostatic_record():
    relative = FILES["parstat"][0]
    lines = _text(relative).split("\n")
    rows = np.array(
        [[float(f) for f in line.rstrip("\t\r").split("\t")] for line in lines[1:] if line.strip()]
    )
    eis_rows = rows[rows[:, 3] > 0]
    frame = echem.read(real(relative))
    assert frame.attrs["technique"] == "mixed"
    assert len(frame) == len(rows) and frame.attrs["metadata"]["eis_rows"] == len(eis_rows)
    sweeps = spectra(frame)
    assert len(sweeps) == 1
    sweep = sweeps[0]
    np.testing.assert_array_equal(sweep[CANONICAL_Z].to_numpy(), eis_rows[:, [3, 4, 5]])
    np.testing.assert_array_equal(sweep["time_s"].to_numpy(), eis_rows[:, 2])
    assert sweep.attrs["time_s"] == eis_rows[0, 2]
    # the galvanostatic rows keep V, I, t and have no impedance
    galvanostatic = frame[frame["freq_Hz"].isna()]
    assert len(galvanostatic) == len(rows) - len(eis_rows)
    np.testing.assert_array_equal(galvanostatic["current_A"].to_numpy(), rows[rows[:, 3] == 0, 1])


# --- an empty cell in a canonical column ------------------------------------------------


@pytest.mark.parametrize(
    "name", ["zplot", "zplotw", "autolab", "chi", "parstat", "powersuite", "csv"]
)
@pytest.mark.parametrize("column", [0, 1, 2])
def test_empty_cell_in_a_canonical_column_is_an_error(tmp_path, name, column):
    """It read as NaN without notice (and spectra() then dropped the row)."""
    relative, format, separator = FILES[name]
    lines = _text(relative).split("\n")
    index = _data_line_indices(lines, separator)[-3]
    fields = lines[index].split(separator)
    fields[{**INDEPENDENT, "parstat": (3, 4, 5)}[name][column]] = ""
    lines[index] = separator.join(fields)
    path = tmp_path / real(relative).name
    path.write_text("\n".join(lines), encoding="utf-8")
    # a trailing separator is dropped from CSV rows, so an empty last field is a short row
    with pytest.raises(echem.ParseError, match="empty value|expected 3 fields") as info:
        echem.read(path)
    assert info.value.line == index + 1


# --- a file cut inside its last value --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cut"),
    [
        ("csv", 1),  # 1.015747456493823649e-02 -> ...e-0: read as 1.0157, a factor 100 off
        ("csv", 5),  # 1.01574745649382364: digits lost
        ("chi", 1),  # phase -70.3 -> -70.
        ("chi", 3),  # phase -70.3 -> -7
        ("parstat", 4),  # |Iac| 0.180029697072623 -> 0.1800296970726 (rows end with a tab)
    ],
)
def test_last_value_cut_short_is_left_out_with_a_warning(tmp_path, name, cut):
    """As in the .mpt, Gamry and VersaStudio readers: the cut row is dropped and named,
    every other row reads as in the whole file."""
    relative = FILES[name][0]
    data = real(relative).read_bytes().rstrip(b"\r\n")
    path = tmp_path / real(relative).name
    path.write_bytes(data[:-cut])
    line = data.count(b"\n") + 1
    with pytest.warns(TruncatedDataWarning, match=rf"line {line}: the last data line is cut"):
        frame = echem.read(path)
    full = echem.read(real(relative))
    assert len(frame) == len(full) - 1
    assert frame.equals(full.iloc[: len(frame)])


@pytest.mark.parametrize("name", ["zplot", "zplotw", "autolab", "chi", "parstat", "csv"])
def test_complete_last_line_without_line_break_reads_as_the_file(tmp_path, name):
    """Its last value is written as in every row before (same decimals and exponent
    digits, or Parstat's final tab): shown whole, kept."""
    relative = FILES[name][0]
    path = tmp_path / real(relative).name
    path.write_bytes(real(relative).read_bytes().rstrip(b"\r\n"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert echem.read(path).equals(echem.read(real(relative)))


def test_free_format_last_line_without_line_break_cannot_be_shown_whole(tmp_path):
    """PowerSuite writes 8 significant digits, trailing zeros dropped: -1397.7358 may be
    whole or cut from -1397.73581, as -7 (read -7.0) was cut from -713.75358. With no
    line break after it, such a line is left out with a warning saying why."""
    source = real(FILES["powersuite"][0])
    data = source.read_bytes().rstrip(b"\r\n")
    path = tmp_path / source.name
    full = echem.read(source)
    for cut in (0, data.index(b"-713.75358") + 2 - len(data)):
        path.write_bytes(data[: len(data) + cut] if cut else data)
        with pytest.warns(TruncatedDataWarning, match="cannot be shown whole: the .* varying"):
            frame = echem.read(path)
        assert frame.equals(full.iloc[: len(frame)])
        assert len(frame) == len(full) - (1 if not cut else 2)


@pytest.mark.parametrize("cut", [1, 2, 5, 30, 200])
def test_par_cut_inside_a_segment_leaves_the_cut_line_out_with_a_warning(tmp_path, cut):
    """VersaStudio writes </Segment1> and more sections after the data: a file ending
    inside a data line is certainly cut. '...,21,0.02' cut by 2 read 0.0 for 0.02."""
    source = real(FILES["versastudio"][0])
    data = source.read_bytes()
    end = data.index(b"</Segment1>")
    path = tmp_path / "cut.par"
    path.write_bytes(data[: end - cut])
    with pytest.warns(TruncatedDataWarning, match=r"cut\.par, line \d+: the file ends inside"):
        frame = echem.read(path)
    full = echem.read(source)
    assert frame.attrs["metadata"]["truncated"] is True
    kept_rows = data[: end - cut].count(b"\n") - data[:end].count(b"\n") + len(full)
    assert len(frame) == kept_rows
    assert frame.equals(full.iloc[: len(frame)])


def test_par_cut_after_a_whole_data_line_keeps_every_row(tmp_path):
    source = real(FILES["versastudio"][0])
    data = source.read_bytes()
    path = tmp_path / "cut.par"
    path.write_bytes(data[: data.index(b"</Segment1>")])
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedDataWarning)
        frame = echem.read(path)
    assert frame.equals(echem.read(source))
    assert frame.attrs["metadata"]["truncated"] is True


# --- CSV dialects ---------------------------------------------------------------------


def test_csv_extra_field_in_the_first_rows_names_its_line(tmp_path):
    """It said 'cannot find a consistent separator' at line 1."""
    lines = _text(FILES["csv"][0]).split("\n")
    lines[10] += ",5"
    path = tmp_path / "extra.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(echem.ParseError, match="expected 3 fields") as info:
        echem.read(path)
    assert info.value.line == 11


@pytest.mark.parametrize(
    ("separator", "decimal", "newline", "bom"),
    [
        (";", ",", "\r\n", True),
        ("\t", ",", "\n", False),
        (";", ".", "\r\n", False),
        (" ", ".", "\n", True),
    ],
)
def test_csv_dialects_read_the_same_numbers(tmp_path, separator, decimal, newline, bom):
    text = _text(FILES["csv"][0])
    expected = _independent(FILES["csv"][0], ",", (0, 1, 2))
    body = newline.join(
        separator.join(field.replace(".", decimal) for field in line.split(","))
        for line in text.split("\n")
        if line
    )
    path = tmp_path / "dialect.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (body + newline).encode())
    frame = echem.read(path)
    assert frame.attrs["format"] == "csv"
    np.testing.assert_array_equal(frame[CANONICAL_Z].to_numpy(), expected)


# --- sniffing ---------------------------------------------------------------------------


def _line_end_variants(data: bytes) -> dict[str, bytes]:
    lf = data.replace(b"\r", b"")
    return {
        "lf": lf,
        "crlf": lf.replace(b"\n", b"\r\n"),
        "cr": lf.replace(b"\n", b"\r"),
        "bom": b"\xef\xbb\xbf" + data.removeprefix(b"\xef\xbb\xbf"),
        "no-bom": data.removeprefix(b"\xef\xbb\xbf"),
    }


@pytest.mark.parametrize("name", sorted(FILES))
def test_content_decides_the_format_whatever_the_line_ends(tmp_path, name):
    """CR-only CHI and PowerSuite exports were not recognised by content (sniffers split
    on LF only): CHI was read only thanks to '.txt', PowerSuite was read as 'csv'."""
    relative, format, _ = FILES[name]
    expected = echem.read(real(relative))
    for kind, data in _line_end_variants(real(relative).read_bytes()).items():
        path = tmp_path / f"{kind}.dat"  # an extension that does not point at the format
        path.write_bytes(data)
        frame = echem.read(path)
        assert frame.attrs["format"] == format, kind
        np.testing.assert_array_equal(
            frame[CANONICAL_Z].to_numpy(), expected[CANONICAL_Z].to_numpy()
        )


def test_unrecognised_txt_says_why_each_txt_format_refused_it(tmp_path):
    """A headerless CSV saved as .txt with a typo in row 6 (no sniffer claims it) gave
    only 'no known format recognises this file'; the CSV reader's line is now named."""
    lines = _text(FILES["csv"][0]).split("\n")
    lines[5] = "1,abc,2"
    path = tmp_path / "typo.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(echem.UnsupportedFormatError) as info:
        echem.read(path)
    assert "csv: line 6: column 'z_real_ohm': expected a number, found 'abc'" in str(info.value)
    assert "autolab: line 1:" in str(info.value)
    path.rename(path.with_suffix(".csv"))
    with pytest.raises(echem.ParseError, match="expected a number") as info:
        echem.read(path.with_suffix(".csv"))
    assert info.value.line == 6


def test_csv_units_in_another_case_and_double_prime_are_recognised(tmp_path):
    """'Time (Sec)' (ZView's name), 'Z' (OHM)', 'KOhm' and the double-prime character
    'Z″' were not recognised: no time_s, no z_imag_ohm, technique 'unknown'. Units whose
    lower case is ambiguous (mHz/MHz, mOhm/MOhm) still have to be written exactly."""
    expected = _independent(FILES["csv"][0], ",", (0, 1, 2))
    body = "\n".join(f"{i},{line}" for i, line in enumerate(_text(FILES["csv"][0]).split()))
    path = tmp_path / "cased.csv"
    path.write_text(
        "Time (Sec),Frequency (hz),Z\u2032 (OHM),-Z\u2033 (KOhm)\n" + body + "\n", encoding="utf-8"
    )
    frame = echem.read(path)
    assert frame.attrs["technique"] == "eis"
    np.testing.assert_array_equal(frame["time_s"].to_numpy(), np.arange(len(expected)))
    np.testing.assert_array_equal(
        frame[CANONICAL_Z].to_numpy(), expected * np.array([1.0, 1.0, -1e3])
    )
    from echem.io.delimited import recognise_column

    assert recognise_column("Frequency (mhz)") is None
    assert recognise_column("Zreal (mOhm)") == ("z_real_ohm", 1e-3)
    assert recognise_column("Zreal (MOhm)") == ("z_real_ohm", 1e6)


@pytest.mark.parametrize(
    ("old", "new", "key", "value"),
    [
        ("Header: \n", "Header: Li/Li3PS4/Li, 0.8 mA/cm2\n", "Header", "Li/Li3PS4/Li, 0.8 mA/cm2"),
        ("Note: \n", "Note: 1 M LiPF6 in EC/DMC, 25 C\n", "Note", "1 M LiPF6 in EC/DMC, 25 C"),
        ("File: c:\\[REDACTED]", "File: C:/data/run1,a.bin", "File", "C:/data/run1,a.bin"),
    ],
)
def test_chi_header_or_note_with_slash_and_comma_is_not_the_column_header(
    tmp_path, old, new, key, value
):
    """A Header/Note/File line with '/' before a ',' was taken for the column header:
    ParseError 'expected 2 fields, found 1' on the next line, the file unreadable."""
    relative = FILES["chi"][0]
    text = _text(relative)
    assert old in text
    path = tmp_path / "chi.txt"
    path.write_text(text.replace(old, new), encoding="utf-8")
    frame = echem.read(path)
    assert frame.equals(echem.read(real(relative)))
    assert frame.attrs["metadata"][key] == value


def test_zplot_user_comment_starting_with_begin_opens_no_section(tmp_path):
    """A user comment 'Begin cycling: 3 cycles' opened a metadata section that swallowed
    the rest of the header: 'End User Comments' no longer matched, Experiment/Information
    were filed under it and area_cm2 (Information's Surface Area) was lost."""
    relative = FILES["zplot"][0]
    old = "  Begin User Comments:        0\n  End User Comments:          0\n"
    text = _text(relative)
    assert old in text
    comments = ["Begin cycling: 3 cycles", "End cycling: 3", "Date: cell built 01-01-2018"]
    path = tmp_path / "comments.z"
    path.write_text(
        text.replace(old, old.replace("  End", "".join(f"  {c}\n" for c in comments) + "  End")),
        encoding="utf-8",
    )
    frame = echem.read(path)
    full = echem.read(real(relative))
    assert frame.equals(full)
    metadata = frame.attrs["metadata"]
    assert metadata["User Comments"] == {"lines": comments}
    assert metadata["area_cm2"] == full.attrs["metadata"]["area_cm2"] == 1.0
    assert metadata["Experiment"] == full.attrs["metadata"]["Experiment"]
    assert frame.attrs["start_time"] == full.attrs["start_time"]
