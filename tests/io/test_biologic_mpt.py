"""A BioLogic .mpt cut inside its last line (a copy interrupted, a run still being written)."""

from __future__ import annotations

import random
import tracemalloc
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import real, real_files

import echem
from echem.errors import TruncatedDataWarning
from echem.io import biologic_mpt

NAMES = ["peis.mpt", "mb.issue_95.de.mpt", "cp.mpt"]


@pytest.mark.parametrize("name", NAMES)
def test_whole_file_reads_without_warning(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedDataWarning)
        echem.read(real(f"biologic/{name}"))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("cut", [1, 3, 5, 12, 40])
def test_cut_last_line_is_left_out_with_a_warning(tmp_path, name, cut):
    """Every kept row equals the intact file's; the cut one (which could read as a wrong
    number: ``-6.4485784E-0`` is -6.45, not -0.0645) is dropped and named."""
    source = real(f"biologic/{name}")
    full = echem.read(source)
    data = source.read_bytes()
    assert not data.endswith(b"\n")  # EC-Lab wrote these without a final newline
    copy = tmp_path / name
    copy.write_bytes(data[: len(data) - cut])
    with pytest.warns(TruncatedDataWarning, match=rf"{name}, line \d+: the last data line"):
        cut_frame = echem.read(copy)
    assert len(cut_frame) == len(full) - 1
    kept = full.iloc[: len(cut_frame)]
    assert cut_frame.dtypes.equals(kept.dtypes)
    assert cut_frame.equals(kept)


def test_complete_last_line_with_final_newline_is_kept(tmp_path):
    source = real("biologic/peis.mpt")
    copy = tmp_path / "peis.mpt"
    copy.write_bytes(source.read_bytes() + b"\r\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedDataWarning)
        assert len(echem.read(copy)) == len(echem.read(source))


@pytest.mark.parametrize("large", [False, True], ids=["serial", "threaded"])
def test_rows_appended_while_reading_are_not_read(tmp_path, monkeypatch, large):
    """A run still being written: what EC-Lab appends after the last-line check (here a
    half-written line) is outside the range read, on the serial and the threaded path."""
    from echem.io import _threaded_csv, biologic_mpt

    source = real("biologic/cp.mpt")
    copy = tmp_path / "growing.mpt"
    data = source.read_bytes()
    assert not data.endswith(b"\n")
    copy.write_bytes(data)
    expected = echem.read(source)
    check = biologic_mpt._start_of_cut_last_line

    def check_then_grow(handle, *args):
        answer = check(handle, *args)
        with open(copy, "ab") as writer:
            writer.write(b"\r\n" + data.splitlines()[-1][:9])  # the next row, cut short
        return answer

    monkeypatch.setattr(biologic_mpt, "_start_of_cut_last_line", check_then_grow)
    if large:
        monkeypatch.setattr(
            biologic_mpt,
            "read_numeric_block",
            lambda *a, **k: _threaded_csv.read_numeric_block(
                *a, threads=2, min_bytes=0, piece_bytes=4096
            ),
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedDataWarning)
        frame = echem.read(copy)
    assert frame.equals(expected)
    assert copy.stat().st_size > len(data)


@pytest.mark.parametrize("missing", [3, 9])
def test_row_completed_between_size_and_last_line_check_is_read_whole(
    tmp_path, monkeypatch, missing
):
    """The instrument finishes the row being written just before the last-line check:
    the range read ends where the check looked, not inside that row (``-8.5542`` for
    ``-8.5542145E+000``, with no warning)."""
    from echem.io import biologic_mpt

    source = real("biologic/cp.mpt")
    data = source.read_bytes()
    copy = tmp_path / "growing.mpt"
    copy.write_bytes(data[:-missing])
    expected = echem.read(source)
    check = biologic_mpt._start_of_cut_last_line

    def finish_row_then_check(handle, *args):
        with open(copy, "ab") as writer:
            writer.write(data[-missing:])
        return check(handle, *args)

    monkeypatch.setattr(biologic_mpt, "_start_of_cut_last_line", finish_row_then_check)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedDataWarning)
        frame = echem.read(copy)
    assert frame.equals(expected)


HEADERLESS = "time/s\tEwe/V\t<I>/mA\n"
ROWS = (
    "1.000000E+000\t3.1000000E+000\t8.0000000E-001\n2.000000E+000\t3.2000000E+000\t8.0000000E-001"
)


def test_the_only_data_line_cut_is_left_out(tmp_path):
    path = tmp_path / "one.mpt"
    path.write_text(HEADERLESS + "1.000000E+000\t3.10000")  # two fields of three
    with pytest.warns(TruncatedDataWarning, match=r"one.mpt, line 2: the last data line"):
        frame = echem.read(path, format="biologic-mpt")
    assert len(frame) == 0 and list(frame.columns[-3:]) == ["time/s", "Ewe/V", "<I>/mA"]


def test_the_only_data_line_whole_is_kept(tmp_path):
    path = tmp_path / "one.mpt"
    path.write_text(HEADERLESS + ROWS.splitlines()[0])  # no final newline, as EC-Lab
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedDataWarning)
        frame = echem.read(path, format="biologic-mpt")
    assert frame["voltage_V"].tolist() == [3.1]


def test_cut_line_is_named_in_a_file_with_crlf_line_ends(tmp_path):
    path = tmp_path / "crlf.mpt"
    path.write_bytes((HEADERLESS + ROWS + "\n3.000000E+000\t3.3").replace("\n", "\r\n").encode())
    with pytest.warns(TruncatedDataWarning, match=r"crlf.mpt, line 4: the last data line"):
        frame = echem.read(path, format="biologic-mpt")
    assert frame["time_s"].tolist() == [1.0, 2.0]


@pytest.mark.parametrize("magic", [False, True], ids=["headerless", "EC-Lab header"])
def test_bare_cr_line_ends_are_refused_not_read_as_one_line(tmp_path, magic):
    """Read by lines, a bare-CR file is one line: its data became column names, silently."""
    top = "EC-Lab ASCII FILE\nNb header lines : 3\n\n" if magic else ""
    path = tmp_path / "cr.mpt"
    path.write_bytes((top + HEADERLESS + ROWS).replace("\n", "\r").encode())
    with pytest.raises(echem.ParseError, match=r"cr.mpt, line 1: .*bare CR"):
        echem.read(path, format="biologic-mpt")


@pytest.mark.parametrize("blank", ["\n", "\t\t\n", "  \n\n"])
def test_blank_lines_after_the_column_line_do_not_hide_the_data(tmp_path, blank):
    path = tmp_path / "blank.mpt"
    path.write_text(HEADERLESS + blank + ROWS.replace(".", ","))  # decimal commas
    frame = echem.read(path, format="biologic-mpt")
    rows = frame.dropna(subset=["time_s"])  # a tab-only line is a row of NaN, as pandas reads it
    assert rows["time_s"].tolist() == [1.0, 2.0]
    assert rows["current_A"].tolist() == [8e-4, 8e-4]


@pytest.mark.parametrize("blank", ["\n", "\r\n", "  \n\n"])
def test_the_only_data_line_cut_after_blank_lines_is_left_out(tmp_path, blank):
    """Blank lines between the column line and the only data line: it is still the only
    one (it was compared with a blank line and read, ``<I>/mA`` NaN, silently)."""
    path = tmp_path / "one.mpt"
    path.write_text(HEADERLESS + blank + "1.000000E+000\t3.10000")
    line = 2 + blank.count("\n")
    with pytest.warns(TruncatedDataWarning, match=rf"one.mpt, line {line}: the last data line"):
        frame = echem.read(path, format="biologic-mpt")
    assert len(frame) == 0


@pytest.mark.parametrize("cut", [3, 20])
def test_a_cut_line_after_a_blank_line_is_compared_with_the_last_data_line(tmp_path, cut):
    """A blank line before the cut one: the data line above it shows the cut (it raised
    a ParseError on ``8.0000000E-``, or read ``<I>/mA`` as NaN, silently)."""
    first, second = ROWS.splitlines()
    path = tmp_path / "gap.mpt"
    path.write_text(HEADERLESS + first + "\n\n" + second[:-cut])
    with pytest.warns(TruncatedDataWarning, match=r"gap.mpt, line 4: the last data line"):
        frame = echem.read(path, format="biologic-mpt")
    assert frame["time_s"].tolist() == [1.0]


@pytest.mark.parametrize(
    "top",
    [
        "EC-Lab ASCII FILE\nNb header lines : 4\n\n",
        "EC-Lab ASCII FILE\r\nNb header lines : 4\r\n\r\n",
    ],
    ids=["LF header", "CRLF header"],
)
def test_bare_cr_line_ends_after_the_first_line_are_refused(tmp_path, top):
    """Bare CRs from the column line on: its readline ran to the end of the file, so the
    data became column names and the frame had 0 rows, silently."""
    path = tmp_path / "cr.mpt"
    path.write_bytes((top + (HEADERLESS + ROWS).replace("\n", "\r")).encode())
    with pytest.raises(echem.ParseError, match=r"cr.mpt, line 4: .*bare CR"):
        echem.read(path, format="biologic-mpt")


def test_bare_cr_line_ends_in_the_data_are_refused(tmp_path):
    path = tmp_path / "cr.mpt"
    path.write_bytes((HEADERLESS + "\n" + ROWS.replace("\n", "\r") + "\r").encode())
    with pytest.raises(echem.ParseError, match=r"cr.mpt, line 3: .*bare CR"):
        echem.read(path, format="biologic-mpt")


def test_the_only_data_line_whole_is_kept_where_rows_are_narrower_than_the_names(tmp_path):
    """EC-Lab writes 61 values under 63 names in ``peis.issue_225.with_ece.mpt``: its
    first row alone, complete but without a final newline (as EC-Lab ends files), was
    left out as cut for having fewer fields than names."""
    source = real("biologic/peis.issue_225.with_ece.mpt")
    full = echem.read(source)
    data = source.read_bytes()
    with open(source, "rb") as handle:
        header_end = biologic_mpt.parse_header(handle, source).data_offset
    first_row = data[header_end:].split(b"\n", 1)[0].rstrip(b"\r")
    copy = tmp_path / "one_row.mpt"
    copy.write_bytes(data[:header_end] + first_row)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedDataWarning)
        frame = echem.read(copy)
    assert frame.equals(full.iloc[:1])
    copy.write_bytes(data[:header_end] + first_row[:-3])  # cut inside its last value
    with pytest.warns(TruncatedDataWarning, match="the last data line"):
        assert len(echem.read(copy)) == 0
    copy.write_bytes(data[:header_end] + first_row[: first_row.rindex(b"\t") + 1])
    with pytest.warns(TruncatedDataWarning, match="the last data line"):  # after a tab
        assert len(echem.read(copy)) == 0


@pytest.mark.parametrize("cut", [1, 2, 3, 4])
def test_the_only_data_line_cut_inside_an_exponent_is_left_out(tmp_path, cut):
    """``zir.mpt`` has one data line with every field: cut to ``4.2044960E+0`` its last
    value read as 4.2 instead of 42.0, silently (only the field count was looked at)."""
    source = real("biologic/zir.mpt")
    data = source.read_bytes()
    assert data.endswith(b"4.2044960E+001")
    copy = tmp_path / "zir.mpt"
    copy.write_bytes(data[:-cut])
    with pytest.warns(TruncatedDataWarning, match=r"zir.mpt, line 51: the last data line"):
        frame = echem.read(copy)
    assert len(frame) == 0


@pytest.mark.parametrize(
    ("kept", "read_before"),
    [
        (b"4.20449", "4.20449, silently"),
        (b"4", "4.0, silently"),
        (b"4.", "4.0, silently"),
        (b"", "35 columns of NaN and I Range as float, silently"),
    ],
)
def test_the_only_data_line_cut_inside_its_last_mantissa_is_left_out(tmp_path, kept, read_before):
    """``zir.mpt``'s one row cut inside the mantissa of its last value, or just after a
    tab: no row before shows how the column is written, but EC-Lab writes every real
    number with a three-digit exponent, which a cut shortens first."""
    data = real("biologic/zir.mpt").read_bytes()
    row_at = data.rindex(b"\n") + 1
    copy = tmp_path / "zir.mpt"
    if kept:
        copy.write_bytes(data[: data.rindex(b"\t") + 1] + kept)
    else:  # just after the second value: 2 fields of 37, the last one whole
        copy.write_bytes(data[: data.index(b"\t", data.index(b"\t", row_at) + 1)])
    with pytest.warns(TruncatedDataWarning, match=r"zir.mpt, line 51: the last data line"):
        frame = echem.read(copy)
    assert len(frame) == 0, read_before


@pytest.mark.parametrize("ending", ["\t", ""])
def test_the_only_data_line_ending_in_an_integer_is_shown_whole_by_a_tab_only(tmp_path, ending):
    """``12`` may be ``123`` cut short: an integer last value of the only row, without a
    tab after it, cannot be shown whole (left out, saying so); with one it is read."""
    path = tmp_path / "one.mpt"
    path.write_text("time/s\tEwe/V\tcycle number\t\n1.000000E+000\t3.1000000E+000\t12" + ending)
    if ending:
        with warnings.catch_warnings():
            warnings.simplefilter("error", TruncatedDataWarning)
            assert echem.read(path, format="biologic-mpt")["cycle number"].tolist() == [12]
    else:
        with pytest.warns(TruncatedDataWarning, match="cannot be shown whole"):
            assert len(echem.read(path, format="biologic-mpt")) == 0


@pytest.mark.parametrize(
    ("last", "kept"),
    [("2.5000000E+000", True), ("2.50000", False), ("3", False), ("25", False)],
)
def test_a_last_value_written_unlike_its_column_is_left_out(tmp_path, last, kept):
    """With rows before it, the last value must be written as that column is in them
    (EC-Lab writes each column of a file in one format)."""
    path = tmp_path / "rows.mpt"
    rows = "".join(f"{t}.000000E+000\t3.1000000E+000\t1.2500000E+000\n" for t in range(3))
    path.write_text(f"time/s\tEwe/V\t<I>/mA\t\n{rows}3.000000E+000\t3.1000000E+000\t{last}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = echem.read(path, format="biologic-mpt")
    assert len(frame) == (4 if kept else 3)
    assert any(issubclass(w.category, TruncatedDataWarning) for w in caught) == (not kept)
    if kept:
        assert frame["current_A"].iloc[-1] == 2.5e-3


@pytest.mark.parametrize("end", ["\n\t\t", "\n  ", "\r\n\t"])
def test_white_space_after_the_last_newline_is_not_a_cut_row(tmp_path, end):
    path = tmp_path / "end.mpt"
    path.write_text(HEADERLESS + ROWS + end)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedDataWarning)
        frame = echem.read(path, format="biologic-mpt")
    assert frame["time_s"].dropna().tolist() == [1.0, 2.0]
    assert frame["voltage_V"].dropna().tolist() == [3.1, 3.2]


# --- damaged inside: no text column, no row of NaN, no empty frame ------------------------
def _with_line(source: bytes, after: int, line: bytes) -> bytes:
    """``source`` with ``line`` inserted after its line ``after`` (1-based)."""
    lines = source.split(b"\n")
    return b"\n".join([*lines[:after], line, *lines[after:]])


@pytest.mark.parametrize("garbage", [b"abc", b"abc\r", b"3\tx\t1.0\r"])
def test_a_garbage_line_inside_the_data_is_a_parse_error_naming_it(tmp_path, garbage):
    """``abc`` inside the data made the first column ('mode') text and a row of NaN,
    silently (only canonical columns were checked)."""
    source = real("biologic/ocv.mpt").read_bytes()  # header of 53 lines, 602 rows
    path = tmp_path / "garbage.mpt"
    path.write_bytes(_with_line(source, 60, garbage))
    with pytest.raises(echem.ParseError, match="non-numeric value") as caught:
        echem.read(path)
    assert caught.value.line == 61


@pytest.mark.parametrize("short", [b"3", b"3\t0\r", b"3\t0\t5.1\r"])
def test_a_line_with_fewer_values_inside_the_data_is_a_parse_error(tmp_path, short):
    """A numeric line with fewer values than the others was a row of NaN, silently."""
    source = real("biologic/ocv.mpt").read_bytes()  # 4 values a line
    path = tmp_path / "short.mpt"
    path.write_bytes(_with_line(source, 100, short))
    with pytest.raises(echem.ParseError, match="where the data lines have 4") as caught:
        echem.read(path)
    assert caught.value.line == 101


@pytest.mark.parametrize(
    ("row", "column"), [(b"1\t0\t\t5.1E-001", "time/s"), (b"1\t0\t5.0E+001\t ", "Ewe/V")]
)
def test_an_empty_field_in_a_canonical_column_is_a_parse_error(tmp_path, row, column):
    """``1\t0\t\t5.1E-001`` read as a row whose time was NaN, silently (a row that
    spectra() and the charge count pass over; the other text readers refuse it)."""
    source = real("biologic/ocv.mpt").read_bytes()  # mode, error, time/s, Ewe/V
    path = tmp_path / "empty.mpt"
    path.write_bytes(_with_line(source, 100, row))
    match = f"(no value|non-numeric value ' ') in column '{column}'"
    with pytest.raises(echem.ParseError, match=match) as caught:
        echem.read(path)
    assert caught.value.line == 101


@pytest.mark.parametrize("value", [b'"1"', b'"1'])
def test_a_quoted_value_is_no_number(tmp_path, value):
    """``"1"`` read as 1 on the serial path (pandas' quoting), and a lone quote joined
    the lines up to the next quote; EC-Lab quotes nothing."""
    source = real("biologic/ocv.mpt").read_bytes()
    path = tmp_path / "quoted.mpt"
    path.write_bytes(_with_line(source, 60, value + b"\t0\t5.0E+001\t5.1E-001"))
    with pytest.raises(echem.ParseError, match="non-numeric value") as caught:
        echem.read(path)
    assert caught.value.line == 61


def test_an_integer_beyond_64_bits_is_named(tmp_path):
    """It was refused, but as "non-numeric value '3'" on the first data line."""
    source = real("biologic/ocv.mpt").read_bytes()
    path = tmp_path / "big.mpt"
    path.write_bytes(_with_line(source, 60, b"99999999999999999999999\t0\t5.0E+001\t5.1E-001"))
    with pytest.raises(echem.ParseError, match="integer out of range '9+' in column 'mode'") as e:
        echem.read(path)
    assert e.value.line == 61


def test_a_short_line_in_an_absolute_time_export_names_the_file_width(tmp_path):
    """The dates column kept beside time/s was counted: '2 value(s) where the data lines
    have 4' for a file of 3 columns."""
    rows = [f"07/19/2024 16:53:3{i}.5000\t3.1000000E+000\t1.0000000E+000" for i in range(5)]
    rows[2] = rows[2].rsplit("\t", 1)[0]
    path = tmp_path / "absolute.mpt"
    path.write_text("time/s\tEwe/V\tI/mA\t\n" + "\n".join(rows) + "\n")
    with pytest.raises(echem.ParseError, match="2 value.s. where the data lines have 3") as e:
        echem.read(path, format="biologic-mpt")
    assert e.value.line == 4


def test_a_short_first_data_line_is_a_parse_error(tmp_path):
    source = real("biologic/ocv.mpt").read_bytes()
    path = tmp_path / "first.mpt"
    path.write_bytes(_with_line(source, 53, b"3\t0\r"))
    with pytest.raises(echem.ParseError, match="2 value.s. where the data lines have 4") as caught:
        echem.read(path)
    assert caught.value.line == 54


def test_a_nan_written_as_such_is_no_short_line(tmp_path):
    path = tmp_path / "nan.mpt"
    path.write_bytes(b"time/s\tEwe/V\tI/mA\t\r\n0\t3.1\t1\t\r\n1\t3.2\tNaN\t\r\n2\t3.3\t1\t\r\n")
    frame = echem.read(path, format="biologic-mpt")
    assert frame["current_A"].isna().tolist() == [False, True, False]


@pytest.mark.parametrize("keep", [1, 8, 15, 20])  # in "mode\terror\ttime/s\tEwe/V\t"
def test_a_file_cut_inside_its_column_line_is_a_parse_error(tmp_path, keep):
    """It gave a frame of 0 rows, with the cut name as a column."""
    source = real("biologic/ocv.mpt").read_bytes()
    column_line_at = source.index(b"mode\t")
    path = tmp_path / "cut.mpt"
    path.write_bytes(source[: column_line_at + keep])
    with pytest.raises(echem.ParseError, match="ends inside the column line") as caught:
        echem.read(path)
    assert caught.value.line == 53


@pytest.mark.parametrize("name", ["wait.mpt", "wait.old.mpt"])
def test_a_header_only_export_ending_at_its_column_line_reads_as_no_rows(name):
    """wait.mpt ends after its column line's trailing tab, with no line end: 0 rows, and
    a warning that the columns cannot be shown all there (a copy cut just after the tab
    of ``P/W`` ends the same way: it read 6 columns of 8, silently)."""
    with pytest.warns(TruncatedDataWarning, match=rf"{name}, line \d+: the file ends with its"):
        frame = echem.read(real(f"biologic/{name}"))
    assert len(frame) == 0
    assert list(frame.columns[3:]) == "mode error time/s Ewe/V I/mA Ece/V P/W Ewe-Ece/V".split()


@pytest.mark.parametrize("cut", [1, 5, 11])
def test_a_header_only_export_cut_just_after_a_tab_warns(tmp_path, cut):
    source = real("biologic/wait.mpt").read_bytes()
    tab = source.rstrip(b"\t").rfind(b"\t", 0, len(source) - cut) + 1
    path = tmp_path / "wait.mpt"
    path.write_bytes(source[:tab])
    with pytest.warns(TruncatedDataWarning, match="may not be all of them"):
        frame = echem.read(path)
    assert len(frame) == 0 and len(frame.columns) < 3 + 8  # time_s, voltage_V, current_A


@pytest.mark.parametrize("size", range(1, 18))
def test_a_file_cut_inside_its_first_line_is_a_parse_error(tmp_path, size):
    """The 3-byte ``EC-`` gave an empty frame with a column named 'EC-'."""
    path = tmp_path / "cut.mpt"
    path.write_bytes(b"EC-Lab ASCII FILE"[:size])
    with pytest.raises(echem.ParseError) as caught:
        echem.read(path)
    assert caught.value.line in (1, 2)


@pytest.mark.parametrize("off_by", [-3, -2, -1, 1, 2, 3])
def test_a_wrong_header_line_count_is_a_parse_error_naming_the_column_line(tmp_path, off_by):
    """'Nb header lines' off by a few gave a frame whose column names were data values
    (too many) or an 'Expected 1 fields' error (too few)."""
    source = real("biologic/ocv.mpt").read_bytes()
    assert b"Nb header lines : 53 " in source
    path = tmp_path / "count.mpt"
    path.write_bytes(
        source.replace(b"Nb header lines : 53", b"Nb header lines : %d" % (53 + off_by))
    )
    with pytest.raises(echem.ParseError, match="the column names are on line 53") as caught:
        echem.read(path)
    assert caught.value.line == 53 + off_by


@pytest.mark.parametrize("top", [b"", b"EC-Lab ASCII FILE\r\nNb header lines : 9\r\n\r\n"])
def test_a_header_line_without_end_is_not_read_whole(tmp_path, top):
    """A large file without line breaks named .mpt was read whole into memory (its first
    line, or a header line) before being refused."""
    path = tmp_path / "noise.mpt"
    path.write_bytes(top + b"x" * (32 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(echem.ParseError, match="a header line longer than") as caught:
            biologic_mpt.read_mpt(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.line == (4 if top else 1)
    assert peak < 8 << 20


@pytest.mark.parametrize("joint", [b"\x8a", b" ", b"\t"])
def test_data_joined_to_the_column_line_is_a_parse_error(tmp_path, joint):
    """The line break after the column line damaged (``\n`` to ``\x8a``): the first data
    line's values became 28 more column names and its row was gone, in silence."""
    source = real("biologic/coc.issue_185.mpt").read_bytes()
    at = source.index(b"P/W\t\n") + len(b"P/W\t")
    path = tmp_path / "joined.mpt"
    path.write_bytes(source[:at] + joint + source[at + 1 :])
    with pytest.raises(echem.ParseError, match="number.s. among its names") as caught:
        echem.read(path)
    assert caught.value.line == 56


# --- BT-Lab exports, and files that are no export ---------------------------------------
def _bt_lab(source: bytes, encoding: str = "latin-1") -> bytes:
    """An EC-Lab export rewritten as BT-Lab writes it: first line, and the encoding."""
    text = source.decode("latin-1").replace("EC-Lab ASCII FILE", "BT-Lab ASCII FILE", 1)
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
def test_a_bt_lab_export_reads_as_its_ec_lab_twin(tmp_path, encoding):
    """'BT-Lab ASCII FILE' was refused (no format recognised it; forced, it gave
    'Expected 1 fields in line 10'). Newer BT-Lab exports are UTF-8: µ is two bytes."""
    source = real("biologic/bcd.issue_241.mpt")  # BT-Lab 1.79, µF in a column name
    path = tmp_path / "bcd.mpt"
    path.write_bytes(_bt_lab(source.read_bytes(), encoding))
    assert biologic_mpt.sniff_mpt(path.read_bytes()[:64])
    frame = echem.read(path)
    twin = echem.read(source)
    assert frame.attrs["format"] == "biologic-mpt"
    assert frame.attrs["metadata"]["encoding"] == encoding
    assert list(frame.columns) == list(twin.columns)
    assert "Capacitance charge/µF" in frame.columns
    pd.testing.assert_frame_equal(frame, twin, check_exact=True)
    assert frame.attrs["metadata"]["software"] == "BT-Lab 1.79"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_export_is_refused_saying_so(tmp_path, encoding):
    """An export re-saved as UTF-16 was 'not an EC-Lab/BT-Lab text export'."""
    text = real("biologic/ocv.mpt").read_bytes().decode("latin-1")
    path = tmp_path / "utf16.mpt"
    path.write_bytes(
        ("\ufeff" + text).encode(encoding) if encoding.endswith("be") else text.encode(encoding)
    )
    with pytest.raises(echem.ParseError, match="UTF-16 text") as caught:
        echem.read(path)
    assert caught.value.line == 1


def test_a_lost_degree_sign_in_a_utf8_export_is_kept_as_read(tmp_path):
    """MANIFEST.md: re-saved BT-Lab exports hold U+FFFD where a degree sign was lost."""
    text = (
        "BT-Lab ASCII FILE\r\nNb header lines : 5\r\n\r\nComments : cell at 25\ufffdC, µ\r\n"
        "time/s\tEcell/V\tI/mA\t\r\n0\t3.1\t1\t\r\n"
    )
    path = tmp_path / "lost.mpt"
    path.write_bytes(text.encode("utf-8"))
    meta = echem.read(path).attrs["metadata"]
    assert meta["Comments"] == "cell at 25\ufffdC, µ"
    assert meta["encoding"] == "utf-8"


@pytest.mark.parametrize(
    "relative",
    [
        "csv/exampleData.csv",
        "gamry-dta/exampleDataGamry.DTA",
        "zplot/exampleDataZPlot.z",
        "autolab/exampleDataAutolab.txt",
        "chinstruments/exampleDataCHInstruments.txt",
    ],
)
def test_forcing_biologic_mpt_on_another_format_says_so(relative):
    """It said 'Expected 1 fields in line 10' (the first line taken for column names)."""
    with pytest.raises(echem.ParseError, match="not an EC-Lab/BT-Lab text export") as caught:
        echem.read(real(relative), format="biologic-mpt")
    assert caught.value.line == 1


# --- every cut of the last two lines of every real .mpt ----------------------------------
#
# A copy cut short (interrupted, or a run still being written) ends anywhere. Read, it must
# give the whole file's rows and numbers, the cut row left out with a TruncatedDataWarning
# (or the file refused with a ParseError naming the line); never a number or a column type
# that differs from the whole file's, nor fewer columns, in silence. The exhaustive run
# (every byte of the last two lines of every real .mpt) is benchmarks/fuzz_mpt_cuts.py.

#: Real .mpt files that read (``exampleDataBioLogic_MissingFreq.mpt`` is refused whole).
CUT_FILES = [p for p in real_files("biologic*/*.mpt") if "MissingFreq" not in p.name]
#: Cut at every byte of their last two lines in the test too (one data row, or none).
EVERY_CUT = ("zir.mpt", "wait.mpt", "wait.old.mpt")
#: Data lines kept (with the header) of a file cut in the test: the rows the last-line
#: check compares the last one with, and few enough that a read takes milliseconds.
KEPT_ROWS = 40


def line_start(data: bytes, end: int) -> int:
    """Offset where the last line of ``data[:end]`` starts (its line end ignored)."""
    return data[:end].rstrip(b"\r\n").rfind(b"\n") + 1


def last_two_lines(data: bytes) -> range:
    """Every cut point (file length) inside the last two lines of ``data``."""
    return range(line_start(data, line_start(data, len(data))), len(data))


def sampled_cuts(data: bytes, sample: int = 3) -> list[int]:
    """Cut points of the last two lines: the first and last bytes of each line, every
    byte of the last value from its exponent on (``E``, sign, digits) and ``sample``
    bytes of its mantissa, and ``sample`` tabs (the cut at, and just after, each) and
    ``sample`` other bytes of the two lines, drawn with a seed."""
    span = last_two_lines(data)
    last = line_start(data, len(data))
    value = max(data.rfind(b"\t") + 1, last)
    exponent = max(data.rfind(b"E"), value)
    tabs = [i for i in span if data[i : i + 1] == b"\t"]
    rng = random.Random(len(data))
    points = {span.start, last - 1, last, len(data) - 1, *range(exponent, len(data))}
    points.update(rng.sample(range(value, exponent + 1), min(sample, exponent + 1 - value)))
    points.update(t + d for t in rng.sample(tabs, min(sample, len(tabs))) for d in (0, 1))
    points.update(rng.sample(span, min(sample, len(span))))
    return sorted(p for p in points if p in span)


def shortened(path: Path) -> bytes:
    """The file's header and its last :data:`KEPT_ROWS` data lines."""
    data = path.read_bytes()
    with open(path, "rb") as handle:
        start = biologic_mpt.parse_header(handle, path).data_offset
    body = data[start:]
    keep = body.split(b"\n")[-KEPT_ROWS:]
    return data[:start] + b"\n".join(keep)


def _read_recording(path: Path) -> tuple[object, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return biologic_mpt.read_mpt(path), caught
        except Exception as error:  # noqa: BLE001 - a stray exception is a verdict
            return error, caught


def cut_verdict(
    frame: object, caught: list, full: pd.DataFrame, before: int, partial: bytes
) -> str:
    """How the read of a cut copy relates to the whole file's frame ``full``: a verdict
    starting with "ok" or the fault. ``before``: rows read when the file ends just
    before the cut line (the cut line read whole gives one more); ``partial``: what is
    left of the cut line."""
    if isinstance(frame, echem.ParseError):
        return "ok: ParseError" if frame.line is not None else "ParseError without a line"
    if isinstance(frame, Exception):
        return f"stray {type(frame).__name__}"
    assert isinstance(frame, pd.DataFrame)
    warned = any(issubclass(w.category, TruncatedDataWarning) for w in caught)
    if list(frame.columns) != list(full.columns) or len(frame) > len(full):
        if warned and len(frame) == 0:
            return "ok: warned (no rows, columns unverifiable)"
        return "other columns or rows" + (" (warned)" if warned else " in silence")
    reference = full.iloc[: len(frame)]
    if len(frame) and list(frame.dtypes) != list(reference.dtypes):
        return "a column's type changed"
    if len(frame) and not frame.equals(reference):
        return "a value differs" + (" (warned)" if warned else " in silence")
    if len(frame) == len(full) or (len(frame) == before + 1 and not warned):
        return "ok: read whole"
    if warned:
        return "ok: warned"
    if not partial.strip():
        return "ok: nothing of the cut line left"
    return "a row left out without a warning"


def fuzz_cuts(name: str, data: bytes, folder: Path, cuts) -> dict[str, list[int]]:
    """Verdict -> cut points, over ``cuts`` of ``data`` (written as ``folder/name``)."""
    path = folder / name
    path.write_bytes(data)
    full, _ = _read_recording(path)
    assert isinstance(full, pd.DataFrame), full
    with open(path, "rb") as handle:
        data_at = biologic_mpt.parse_header(handle, path).data_offset
    rows_before: dict[int, int] = {}  # line start -> non-blank data lines before it
    verdicts: dict[str, list[int]] = {}
    for cut in cuts:
        start = line_start(data + b"\n", cut + 1)  # of the line the cut is in
        if start not in rows_before:
            lines = data[data_at:start].splitlines()
            rows_before[start] = sum(1 for line in lines if line.strip())
        path.write_bytes(data[:cut])
        frame, caught = _read_recording(path)
        verdict = cut_verdict(frame, caught, full, rows_before[start], data[start:cut])
        verdicts.setdefault(verdict, []).append(cut)
    return verdicts


def _faults(verdicts: dict[str, list[int]]) -> dict[str, list[int]]:
    return {verdict: cuts for verdict, cuts in verdicts.items() if not verdict.startswith("ok")}


@pytest.mark.parametrize("path", CUT_FILES, ids=lambda p: p.name)
def test_every_real_file_reads_its_last_line_without_a_warning(path):
    """EC-Lab ends these exports without a line break: the rule for such a last line
    must keep every one of them (a row per non-blank data line, the last one too)."""
    data = path.read_bytes()
    with open(path, "rb") as handle:
        start = biologic_mpt.parse_header(handle, path).data_offset
    rows = sum(1 for line in data[start:].splitlines() if line.strip())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = biologic_mpt.read_mpt(path)
    truncated = [w for w in caught if issubclass(w.category, TruncatedDataWarning)]
    assert len(frame) == rows
    assert [str(w.message) for w in truncated if "its column line" not in str(w.message)] == []
    assert bool(truncated) == (rows == 0)  # wait.mpt, wait.old.mpt: the column line


@pytest.mark.parametrize("path", CUT_FILES, ids=lambda p: p.name)
def test_a_cut_in_the_last_two_lines_never_reads_another_number(tmp_path, path):
    """Sampled cut points of each real file (its header and last rows). 37 cuts of
    ``zir.mpt``'s one data row read another number in silence (``4.2044960E+001`` cut to
    ``4.20449``: 4.20449; cut to ``…E+004\\t1``, ``Re(Z)`` 1.0 and 35 columns of NaN), 519
    turned a column's type (``I Range`` to float); 50 cuts of a column line just after a
    tab read fewer columns in silence."""
    data = shortened(path)
    cuts = last_two_lines(data) if path.name in EVERY_CUT else sampled_cuts(data)
    assert _faults(fuzz_cuts(path.name, data, tmp_path, cuts)) == {}
