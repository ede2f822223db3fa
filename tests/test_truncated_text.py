"""A BioLogic .mpt cut inside its last line (a copy interrupted, a run still being written)."""

from __future__ import annotations

import warnings

import pytest
from conftest import real

import echem
from echem.errors import TruncatedDataWarning

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

    def check_then_grow(handle):
        answer = check(handle)
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

    def finish_row_then_check(handle):
        with open(copy, "ab") as writer:
            writer.write(data[-missing:])
        return check(handle)

    monkeypatch.setattr(biologic_mpt, "_start_of_cut_last_line", finish_row_then_check)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedDataWarning)
        frame = echem.read(copy)
    assert frame.equals(expected)
