"""echem.io._text_table: the rows of a text table read by pandas equal echem's own
parse in every case where pandas' frame is used, and every other case falls back to
it (same frame, same error and line)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import real_files

import echem
from echem.io import _text_table, _threaded_csv

NOVA = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "nova").glob("*.txt"))
TEXT_FOLDERS = ("autolab", "chinstruments", "csv", "parstat", "powersuite", "zplot")
TEXT_FILES = [p for folder in TEXT_FOLDERS for p in real_files(f"{folder}/*")] + NOVA


def _read(path: Path, pandas_from: int) -> tuple:
    """("frame", frame, warnings) or ("error", line, reason), pandas used from
    ``pandas_from`` bytes on."""
    saved = _text_table.PANDAS_MIN_BYTES
    _text_table.PANDAS_MIN_BYTES = pandas_from
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                frame = echem.read(path)
            except echem.ParseError as error:
                return ("error", error.line, error.reason)
        return ("frame", frame, [str(w.message) for w in caught])
    finally:
        _text_table.PANDAS_MIN_BYTES = saved


def _same(a: tuple, b: tuple) -> None:
    assert a[0] == b[0], (a, b)
    if a[0] == "error":
        assert a == b
        return
    assert a[1].equals(b[1]) and list(a[1].dtypes) == list(b[1].dtypes)
    assert a[1].attrs == b[1].attrs
    assert a[2] == b[2]


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_every_text_file_reads_the_same_through_pandas(path: Path) -> None:
    _same(_read(path, 1 << 40), _read(path, 0))


CASES = {
    "decimal comma": "a (s);b (V)\n1,5;2\n3,25;-4E-05\n",
    "empty cell": "freq,Z',Z'',x\n1,2,3,\n4,5,6,7\n",
    "text column": "freq,Z',Z'',x\n1,2,3,abc\n4,5,6,7\n",
    "nan and inf": "freq,Z',Z'',x\n1,2,3,nan\n4,5,6,inf\n7,8,9,-Infinity\n",
    "quoted numbers": '"freq","Z\'","Z\'\'"\n"1","2","3"\n"4","5","6"\n',
    "comment line in the data": "freq,Z',Z''\n1,2,3\n# paused\n4,5,6\n",
    "trailing separators": "freq;Z';Z''\n1;2;3;\n4;5;6;\n",
    "two trailing separators": "freq;Z';Z''\n1;2;3;;\n4;5;6;;\n",
    "wider row in the middle": "freq,Z',Z''\n1,2,3\n4,5,6,7\n8,9,10\n",
    "wider first row": "freq,Z',Z''\n1,2,3,7\n4,5,6\n",
    "shorter row in the middle": "freq,Z',Z''\n1,2,3\n4,5\n8,9,10\n",
    "blank and white lines": "freq,Z',Z''\n1,2,3\n\n   \n\t\n4,5,6\n",
    "huge integer": "freq,Z',Z'',n\n1,2,3,123456789012345678901234567890\n4,5,6,1\n",
    "underscore digits": "freq,Z',Z'',n\n1,2,3,1_000\n4,5,6,1\n",
    "CR CR LF": "freq\tZ'\tZ''\r\r\n1\t2\t3\r\r\n4\t5\t6\r\r\n",
    "leading spaces": "freq, Z', Z''\n  1,  2,  3\n 4, 5, 6\n",
    "a point in a decimal-comma file": "a (s);b (V)\n1,5;2\n3.25;4\n2,5;1\n",
    "bad number in a required column": "freq,Z',Z''\n1,2,3\n4,x,6\n",
    "empty required cell": "freq,Z',Z''\n1,2,3\n4,,6\n",
    "booleans": "freq,Z',Z'',flag\n1,2,3,True\n4,5,6,False\n",
    "whitespace separated": "freq Z' Z''\n1 2 3\n  4   5 6\n",
    "headerless": "1,2,3\n4,5,6\n",
    "header only": "freq,Z',Z''\n",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("ending", ["", "\ufeff"])
def test_tricky_tables_read_the_same_through_pandas(tmp_path: Path, text: str, ending: str):
    path = tmp_path / "table.csv"
    path.write_text(ending + text, encoding="utf-8")
    _same(_read(path, 1 << 40), _read(path, 0))


def _large_table(tmp_path: Path, rows: int, bad_row: int | None = None) -> Path:
    rng = np.random.default_rng(5)
    values = rng.normal(size=(rows, 3)) * 10.0 ** rng.integers(-8, 8, size=(rows, 3))
    lines = ["Time (s);Potential (V);Current (A)"]
    lines += [";".join(f"{v:.15G}".replace(".", ",") for v in row) for row in values]
    if bad_row is not None:
        lines[bad_row] = lines[bad_row].replace(";", ";x", 1)
    path = tmp_path / "large.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_a_large_table_is_parsed_on_threads_as_in_python(tmp_path, monkeypatch):
    """Above 4 MB the rows are parsed on several threads (forced here on a smaller
    file): the same frame; and a bad value there gives the error (and line) of
    echem's own parse."""
    path = _large_table(tmp_path, 6_000)
    used = []
    original = _threaded_csv.read_numeric_block

    def spy(*args, **kwargs):  # as for a file above MIN_BYTES (4 MB), on 2 threads
        kwargs.update(threads=2, min_bytes=0, piece_bytes=1 << 14)
        used.append(original(*args, **kwargs))
        return used[-1]

    monkeypatch.setattr(_text_table, "read_numeric_block", spy)
    frame = _read(path, 0)
    assert used and used[0] is not None  # the threaded parse was used
    reference = pd.read_csv(path, sep=";", decimal=",")
    np.testing.assert_array_equal(frame[1]["current_A"], reference["Current (A)"])
    _same(_read(path, 1 << 40), frame)
    bad = _large_table(tmp_path, 6_000, bad_row=4_321)
    result = _read(bad, 0)
    assert result[0] == "error" and result[1] == 4_322
    assert "expected a number, found 'x" in result[2]


def test_a_large_file_cut_inside_its_last_value_is_read_up_to_it(tmp_path):
    """The end of a large file is looked at alone: a last value cut short is left out,
    named by its line, and nothing beyond the rows before it is read."""
    path = _large_table(tmp_path, 2_000)
    data = path.read_bytes()
    full = echem.read(path)
    path.write_bytes(data[:-4])  # the last value loses 2 characters and the line break
    kind, frame, caught = _read(path, 0)
    assert kind == "frame" and frame.equals(full.iloc[:-1])
    assert len(caught) == 1 and "line 2001: the last data line is cut short" in caught[0]
