"""echem.cli._command: the files a command gets from its paths (files and folders), and the
line that reports an input it cannot use."""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePath

import pytest

from echem.cli._command import (
    Input,
    NoImpedanceSweep,
    collect_inputs,
    progress,
    report_input_error,
)
from echem.errors import ParseError, UnsupportedFormatError


def _touch(folder: Path, *names: str) -> None:
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")


def _names(inputs: list[Input]) -> list[str]:
    return [item.name.as_posix() for item in inputs]


def test_a_folder_gives_its_files_in_natural_order_without_non_data(tmp_path):
    _touch(
        tmp_path,
        "s10.mpr",
        "s2.mpr",
        "S1.mpt",
        "README.md",
        "notes.txt",
        ".hidden.mpr",
        "fit.png",
        "peis.mps",
        "sub/s3.mpr",
        ".git/config",
    )
    inputs, skipped = collect_inputs([tmp_path])
    assert _names(inputs) == ["notes.txt", "S1.mpt", "s2.mpr", "s10.mpr"]
    assert all(item.in_folder and item.path == tmp_path / item.name for item in inputs)
    assert skipped == []
    recursive, _ = collect_inputs([tmp_path], recursive=True)
    assert _names(recursive) == ["notes.txt", "S1.mpt", "s2.mpr", "s10.mpr", "sub/s3.mpr"]


def test_files_named_themselves_come_first_once_and_are_not_in_a_folder(tmp_path):
    _touch(tmp_path, "a.mpr", "b.mpr")
    inputs, _ = collect_inputs([tmp_path / "b.mpr", tmp_path, tmp_path / "b.mpr"])
    assert _names(inputs) == ["b.mpr", "a.mpr"]
    assert [item.in_folder for item in inputs] == [False, True]
    missing, _ = collect_inputs([tmp_path / "nope.mpr"])  # reading it will say why
    assert missing == [Input(tmp_path / "nope.mpr", PurePath("nope.mpr"))]


def test_the_output_folder_and_convert_outputs_are_left_out(tmp_path):
    _touch(tmp_path, "peis.mpr", "peis.mpr.csv", "peis.mpr.OCV.csv", "own.csv", "out/results.csv")
    sidecar = {
        "echem_version": "0.1.0",
        "outputs": {"data": "peis.mpr.csv", "tables": {"OCV": {"file": "peis.mpr.OCV.csv"}}},
    }
    (tmp_path / "peis.mpr.json").write_text(json.dumps(sidecar))
    (tmp_path / "own.json").write_text('{"outputs": {"data": "own.csv"}}')  # not echem's
    inputs, _ = collect_inputs([tmp_path], recursive=True, exclude=[tmp_path / "out"])
    assert _names(inputs) == ["own.csv", "peis.mpr"]


def test_a_folder_with_nothing_to_read_and_odd_entries_are_reported(tmp_path):
    (tmp_path / "empty").mkdir()
    _touch(tmp_path, "empty/README.md", "empty/sub/a.mpr")
    inputs, skipped = collect_inputs([tmp_path / "empty"])
    assert inputs == []
    assert skipped == [
        (tmp_path / "empty", "no file to read in this folder (use -r for its subfolders)")
    ]
    os.mkfifo(tmp_path / "pipe.mpt")
    (tmp_path / "dangling.mpr").symlink_to(tmp_path / "gone")
    _, odd = collect_inputs([tmp_path])
    assert sorted((p.name, reason) for p, reason in odd) == [
        ("dangling.mpr", "not a regular file"),
        ("pipe.mpt", "not a regular file"),
    ]


@pytest.mark.parametrize(
    ("error", "in_folder", "failure", "line"),
    [
        (
            UnsupportedFormatError("no known format", "d/x.txt"),
            True,
            False,
            "skipped d/x.txt: no format",
        ),
        (
            NoImpedanceSweep("no impedance sweep"),
            True,
            False,
            "skipped d/x.txt: no impedance sweep",
        ),
        (ParseError("cut short", "d/x.txt", line=3), True, True, "d/x.txt, line 3: cut short"),
        (UnsupportedFormatError("no known format", "d/x.txt"), False, True, "no known format"),
        (NoImpedanceSweep("no impedance sweep"), False, True, "d/x.txt: no impedance sweep"),
    ],
)
def test_an_unusable_file_in_a_folder_is_skipped_and_one_named_is_a_failure(
    capsys, error, in_folder, failure, line
):
    item = Input(Path("d/x.txt"), PurePath("x.txt"), in_folder)
    assert report_input_error(item, error) is failure
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("echem: ") and line in err[0]


def test_progress_is_quiet_off_a_terminal(capsys):
    with progress(3, "fit", "spectrum") as bar:
        bar.update(3)
    assert capsys.readouterr().err == ""


def test_links_to_folders_are_followed_once_and_loops_end(tmp_path):
    """A linked folder under -r was left out in silence (its files never read); each folder
    is now read once, and a link back to one already read is named."""
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    _touch(data, "a.csv", "sub/b.csv")
    _touch(elsewhere, "c.csv")
    (data / "linked").symlink_to(elsewhere)  # data on another disk
    (data / "twice").symlink_to(elsewhere)  # a second way to it
    (data / "sub" / "loop").symlink_to(data)  # back up: a loop
    (elsewhere / "up").symlink_to(data)  # a loop through the linked folder
    inputs, skipped = collect_inputs([data], recursive=True)
    assert _names(inputs) == ["a.csv", "linked/c.csv", "sub/b.csv"]
    assert sorted((p.relative_to(data).as_posix(), why) for p, why in skipped) == [
        ("linked/up", "a link to a folder already read"),
        ("sub/loop", "a link to a folder already read"),
        ("twice", "a link to a folder already read"),
    ]
    inputs, skipped = collect_inputs([data])  # without -r, no subfolder
    assert _names(inputs) == ["a.csv"] and skipped == []


def test_a_hard_link_to_a_file_already_named_comes_once(tmp_path):
    """A hard link (a second name of the same file) was fitted, converted and plotted twice,
    as if it were another measurement."""
    _touch(tmp_path, "a.mpr", "b.mpr")
    os.link(tmp_path / "a.mpr", tmp_path / "a copy.mpr")
    (tmp_path / "c.mpr").symlink_to(tmp_path / "b.mpr")
    inputs, _ = collect_inputs([tmp_path / "a copy.mpr", tmp_path])
    assert _names(inputs) == ["a copy.mpr", "b.mpr"]
    assert not inputs[0].in_folder
