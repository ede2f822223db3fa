"""echem.read's dispatch (echem/io/__init__.py): the format is decided from the start
of a file, and a text file's data is read from disk once."""

from __future__ import annotations

import builtins
import io
from pathlib import Path

import numpy as np
import pytest

import echem
from echem.io._text import START_BYTES


class _Counting:
    """A binary file that adds the bytes read through it to ``counter[0]``."""

    def __init__(self, handle, counter: list[int]) -> None:
        self._handle, self._counter = handle, counter

    def read(self, *args):
        data = self._handle.read(*args)
        self._counter[0] += len(data or b"")
        return data

    def readinto(self, buffer):
        count = self._handle.readinto(buffer)
        self._counter[0] += count or 0
        return count

    def readline(self, *args):
        data = self._handle.readline(*args)
        self._counter[0] += len(data)
        return data

    def __iter__(self):
        return iter(self.readline, b"")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()

    def __getattr__(self, name):
        return getattr(self._handle, name)


@pytest.mark.parametrize("suffix", [".txt", ".csv"])
def test_a_text_file_is_read_from_disk_once(tmp_path, monkeypatch, suffix):
    """As .txt, no sniffer claims a generic table: every .txt format is tried by its
    extension. Each refused it only after reading and parsing the whole file (a 16.6 MB
    file read at 6.1x pandas' time); now each reads its start only."""
    rng = np.random.default_rng(3)
    cells = [[f"{v:.15G}" for v in row] for row in rng.normal(size=(60_000, 3))]
    rows = np.array(cells, dtype=float)
    text = "Time (s);Potential (V);Current (A)\r\n" + "".join(
        ";".join(row).replace(".", ",") + "\r\n" for row in cells
    )
    path = tmp_path / f"generic{suffix}"
    path.write_text(text, encoding="utf-8")
    size = path.stat().st_size
    counter = [0]
    real_open = builtins.open

    def counting_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        same = isinstance(file, (str, Path)) and Path(file) == path and "b" in mode
        return _Counting(handle, counter) if same else handle

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    frame = echem.read(path)
    monkeypatch.undo()
    np.testing.assert_array_equal(frame["current_A"], rows[:, 2])
    assert frame.attrs["format"] == "csv"
    # the data once; the start of the file once per format tried, and its end once
    assert counter[0] <= size + 8 * START_BYTES, (counter[0], size)


def test_a_forced_format_is_refused_on_a_device_too(tmp_path):
    with pytest.raises(echem.ParseError, match="not a regular file: a directory"):
        echem.read(tmp_path, format="csv")
    with pytest.raises(echem.UnsupportedFormatError, match="unknown format"):
        echem.read(tmp_path, format="no-such-format")
