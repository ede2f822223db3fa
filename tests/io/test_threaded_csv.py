"""The threaded numeric-block parse equals one serial ``read_csv`` call, or declines."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import real_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import echem
from echem.io import _threaded_csv, biologic_mpt
from echem.io._threaded_csv import read_numeric_block, usable_threads

NAMES = ["a", "b", "c"]
OPTIONS = {"sep": "\t", "header": None, "names": NAMES, "index_col": False, "engine": "c"}


def serial(path: Path, start: int = 0, **options) -> pd.DataFrame:
    with open(path, "rb") as handle:
        handle.seek(start)
        return pd.read_csv(handle, **{**OPTIONS, **options})


def threaded(path: Path, start: int = 0, **options) -> pd.DataFrame | None:
    return read_numeric_block(
        path,
        start,
        path.stat().st_size,
        {**OPTIONS, **options},
        threads=2,
        min_bytes=0,
        piece_bytes=16,
    )


def assert_same(frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert list(frame.dtypes) == list(expected.dtypes)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "block.txt"
    path.write_bytes(text.encode("latin-1"))
    return path


def test_numbers_join_exactly_across_pieces(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rows = [f"{k}\t{x:.15E}\t{k % 3 == 0}" for k, x in enumerate(rng.normal(size=500))]
    path = write(tmp_path, "\r\n".join(rows) + "\r\n")
    frame = threaded(path)
    assert frame is not None
    assert_same(frame, serial(path))
    assert frame.dtypes.tolist() == [np.int64, np.float64, np.bool_]
    assert frame["a"].tolist() == list(range(500))


def test_decimal_commas_and_a_byte_offset(tmp_path: Path) -> None:
    preamble = "header line\n\nNb header lines : 3\n"
    rows = "".join(f"{k}\t{k / 7:.7f}\t-{k},5\n".replace(".", ",") for k in range(300))
    path = write(tmp_path, preamble + rows)
    start = len(preamble)
    frame = threaded(path, start, decimal=",")
    assert frame is not None
    assert_same(frame, serial(path, start, decimal=","))
    assert frame["c"].iloc[3] == -3.5


@pytest.mark.parametrize(
    "text, why",
    [
        ("1\t2\t3\n" * 200 + "1\t2\t3\t4\n" + "1\t2\t3\n" * 200, "a line with too many fields"),
        ("1\t2\tx\n" * 400, "a text column"),
        ("1\t2\t3\n" * 400 + "1\t2\t3.5\n" * 400, "int in one piece, float in another"),
        ('1\t2\t"3"\n' * 400, "a quoted field"),
        ("1\t2\t3\r" * 400, "no line feed to cut at"),
    ],
)
def test_declines_what_a_serial_read_could_type_or_report_differently(
    tmp_path: Path, text: str, why: str
) -> None:
    path = write(tmp_path, text)
    assert threaded(path) is None, why


@pytest.mark.filterwarnings("ignore::pandas.errors.ParserWarning")
def test_a_line_made_the_index_by_read_csv_is_not_dropped(tmp_path: Path) -> None:
    """Default ``index_col``: lines with one field more than the names make the first
    column the index (of the serial read and of every piece)."""
    path = write(tmp_path, "".join(f"{k % 25}\t4\t5\t6\n" for k in range(100)))
    expected = serial(path, index_col=None)
    assert expected.index.tolist() == [k % 25 for k in range(100)]
    assert threaded(path, index_col=None) is None
    frame = threaded(path)  # index_col=False: the 4th field is dropped, as serially
    assert frame is not None
    assert_same(frame, serial(path))


def assert_declined_on_any_thread_count(path: Path, case: object) -> None:
    """The threaded parse of the whole file, cut into pieces as small as can be, declines
    (None: the caller reads serially) whatever the number of threads."""
    size = path.stat().st_size
    for threads in range(2, 5):
        frame = read_numeric_block(
            path, 0, size, OPTIONS, threads=threads, min_bytes=0, piece_bytes=1
        )
        assert frame is None, (case, threads)


def test_a_byte_order_mark_inside_the_range_stays_text(tmp_path: Path) -> None:
    """read_csv drops a BOM only at the start of its input: a piece must not start at one."""
    for bom_line in range(1, 24):
        lines = ["1\t2\t3"] * 24
        lines[bom_line] = "\ufeff4\t5\t6"
        path = tmp_path / "bom.txt"
        path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
        expected = serial(path)
        assert expected["a"].dtype == object or expected["a"].dtype == "str"
        assert_declined_on_any_thread_count(path, bom_line)


def test_a_row_too_wide_at_a_cut_is_refused_as_serially(tmp_path: Path) -> None:
    """read_csv does not check the width of its first row: a piece starting at a row
    with a 4th field would drop it where the serial read reports the line."""
    for wide_line in range(1, 24):
        lines = ["1\t2\t3"] * 24
        lines[wide_line] = "4\t5\t6\t7"
        path = write(tmp_path, "\n".join(lines) + "\n")
        with pytest.raises(pd.errors.ParserError, match=f"line {wide_line + 1}, saw 4"):
            serial(path)
        assert_declined_on_any_thread_count(path, wide_line)


def test_a_quote_in_a_column_left_out_is_refused(tmp_path: Path) -> None:
    """Serially a quoted field joins two lines even in a column ``usecols`` leaves out."""
    options = {**OPTIONS, "names": [*NAMES, "x"], "usecols": NAMES}
    rows = "1\t2\t3\t\n" * 100
    path = write(tmp_path, rows + '4\t5\t6\t"q\n7\t8\t9\tq"\n' + rows)
    assert len(serial(path, **options)) == 201
    assert threaded(path, **options) is None
    path = write(tmp_path, rows + rows)
    frame = threaded(path, **options)
    assert frame is not None
    assert_same(frame, serial(path, **options))


def test_declines_options_acting_on_the_whole_source(tmp_path: Path) -> None:
    path = write(tmp_path, "1\t2\t3\n" * 400)
    for option in ({"skiprows": 1}, {"nrows": 300}, {"skipfooter": 1}, {"comment": "#"}):
        assert threaded(path, **option) is None, option


def test_declines_small_ranges_and_one_thread(tmp_path: Path) -> None:
    path = write(tmp_path, "1\t2\t3\n" * 1000)
    size = path.stat().st_size
    assert read_numeric_block(path, 0, size, OPTIONS, threads=2, min_bytes=size + 1) is None
    assert read_numeric_block(path, 0, size, OPTIONS, threads=1, min_bytes=0) is None
    joined = read_numeric_block(path, 0, size, OPTIONS, threads=2, min_bytes=0, piece_bytes=16)
    assert joined is not None and joined.shape == (1000, 3)


def test_a_range_ending_before_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "1\t2\t3\n" * 300 + "9\t9\t9.")
    end = path.stat().st_size - len("9\t9\t9.")
    frame = read_numeric_block(path, 0, end, OPTIONS, threads=3, min_bytes=0, piece_bytes=16)
    assert frame is not None
    assert frame.shape == (300, 3) and frame.dtypes.tolist() == [np.int64] * 3


def test_usable_threads_follows_pandas_option_when_it_exists() -> None:
    assert 1 <= usable_threads() <= max(6, 1)
    try:
        with pd.option_context("mode.max_threads", 1):
            assert usable_threads() == 1
    except (KeyError, pd.errors.OptionError):
        pytest.skip(f"pandas {pd.__version__} has no mode.max_threads option")


_fields = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(lambda x: f"{x:.6E}"),
    st.just(""),
    st.just("nan"),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(_fields, min_size=3, max_size=3), min_size=1, max_size=60),
    pieces=st.integers(2, 8),
    blank=st.booleans(),
)
def test_never_differs_from_a_serial_read(
    tmp_path: Path, rows: list[list[str]], pieces: int, blank: bool
) -> None:
    lines = ["\t".join(row) for row in rows]
    if blank:
        lines.insert(len(lines) // 2, "")
    path = write(tmp_path, "\n".join(lines) + "\n")
    frame = read_numeric_block(
        path, 0, path.stat().st_size, OPTIONS, threads=pieces, min_bytes=0, piece_bytes=1
    )
    if frame is not None:
        assert_same(frame, serial(path))


#: pandas < 3 reads .mpt with float_precision="round_trip", converted under the GIL:
#: the threaded path declines there and the serial one runs.
THREADS_ARE_USED = biologic_mpt._FLOAT_PRECISION is None


@pytest.mark.parametrize("path", real_files("**/*.mpt"), ids=lambda p: p.name)
def test_real_mpt_files_read_the_same_on_threads(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every real .mpt, its data block cut into 512-byte pieces, gives the frame (or the
    error) of the serial read."""

    def read(file: Path) -> pd.DataFrame | str:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", echem.TruncatedDataWarning)
                return echem.read(file, format="biologic-mpt")
        except echem.ParseError as error:
            return str(error)

    monkeypatch.setattr(biologic_mpt, "read_numeric_block", lambda *a, **k: None)
    expected = read(path)
    used: list[bool] = []

    def small_pieces(*args, **kwargs):
        frame = _threaded_csv.read_numeric_block(*args, threads=2, min_bytes=0, piece_bytes=512)
        used.append(frame is not None)
        return frame

    monkeypatch.setattr(biologic_mpt, "read_numeric_block", small_pieces)
    got = read(path)
    if isinstance(expected, str):
        assert got == expected
        return
    assert_same(got, expected)
    assert got.attrs == expected.attrs
    if path.stat().st_size > 100_000:  # large files: the threaded path really ran
        assert used == [THREADS_ARE_USED]


def test_large_generated_mpt_takes_the_threaded_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = "EC-Lab ASCII FILE\nNb header lines : 4\n\ntime/s\tEwe/V\t<I>/mA\t(Q-Qo)/mA.h\t\n"
    rows = "".join(
        f"{k * 0.5:.15E}\t{3 + k * 1e-6:.7E}\t{0.8:.15E}\t{k * 1.1e-4:.15E}\t\n"
        for k in range(60_000)
    )
    path = tmp_path / "large.mpt"
    path.write_text(header + rows, encoding="latin-1")
    assert path.stat().st_size > _threaded_csv.MIN_BYTES
    calls: list[bool] = []

    def spy(*args, **kwargs):
        frame = _threaded_csv.read_numeric_block(*args, threads=2, **kwargs)
        calls.append(frame is not None)
        return frame

    monkeypatch.setattr(biologic_mpt, "read_numeric_block", spy)
    frame = echem.read(path)
    assert calls == [THREADS_ARE_USED]
    assert len(frame) == 60_000
    assert frame["time_s"].iloc[-1] == 59_999 * 0.5
    np.testing.assert_allclose(frame["current_A"].to_numpy(), 8e-4, rtol=0, atol=0)
    assert frame["charge_C"].iloc[10] == pytest.approx(10 * 1.1e-4 * 3.6, rel=1e-15)


def test_byte_range_reads_exactly_its_bytes(tmp_path: Path) -> None:
    from echem.io._byte_range import ByteRange

    path = tmp_path / "bytes.bin"
    data = bytes(range(256)) * 40
    path.write_bytes(data)
    with ByteRange(path, 100, 5000) as stream:
        parts = [stream.read(1000) for _ in range(6)]
    assert b"".join(parts) == data[100:5000] and parts[-1] == b""
    with ByteRange(path, 50, 40) as stream:  # an inverted range is empty
        assert stream.read() == b"" and stream.readinto(bytearray(8)) == 0
    with ByteRange(path, 7, 10_000_000) as stream:  # past the end: what the file has
        assert stream.read() == data[7:]
    with ByteRange(path, 10, 20) as stream, io.BufferedReader(stream) as buffered:
        assert buffered.readline() == data[10:11]  # byte 10 is "\n"
        assert buffered.read() == data[11:20]
    text = "t/s\tµ/V\n1\t2\n".encode("latin-1")
    path.write_bytes(b"skip me\n" + text)
    with ByteRange(path, 8, 8 + len(text)) as stream:
        frame = pd.read_csv(stream, sep="\t", encoding="latin-1")
    assert list(frame.columns) == ["t/s", "µ/V"] and frame.iloc[0].tolist() == [1, 2]


def test_declines_round_trip_precision_and_any_failing_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "1\t2\t3.5\n" * 400)
    assert threaded(path, float_precision="round_trip") is None  # GIL-bound in pandas
    assert threaded(path) is not None

    def warn_as_error(*args, **kwargs):
        raise pd.errors.ParserWarning("a warning turned into an error")

    monkeypatch.setattr(_threaded_csv.pd, "read_csv", warn_as_error)
    assert threaded(path) is None


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_byte_range_of_a_missing_file_raises_cleanly(tmp_path: Path) -> None:
    import gc

    from echem.io._byte_range import ByteRange

    with pytest.raises(FileNotFoundError):
        ByteRange(tmp_path / "missing", 0, 10)
    gc.collect()  # its __del__ (close) must not fail on the file it never opened
