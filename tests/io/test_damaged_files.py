"""Damaged copies of real files, every reader: only echem.ParseError (or a successful read).

BioLogic: every real .mpr and .mpt is truncated at sampled offsets (inside the header, at and
around each module boundary, inside the data module, one byte short) and bit-flipped at
seeded random positions; empty and random files with each extension are also read.
A hypothesis test round-trips generated .mpt files (header or not, point or comma).

Other text formats: damaged copies of every real text file, and generated bodies. A damaged file must either read (a frame that spectra() accepts) or raise
echem.ParseError; never IndexError/KeyError/UnicodeDecodeError/pandas errors.
Generated ZPlot and CSV bodies must round-trip their numbers exactly.
"""

from __future__ import annotations

import random
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REAL_DATA, real, real_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import echem
from echem.eis import spectra
from echem.io import _text_table
from echem.io.biologic_mpr import read_mpr
from echem.io.biologic_mpt import read_mpt

# Damaged files may legitimately read with a warning (a cut last line left out, stray
# lines skipped; tested where each reader is); here only exceptions matter.
pytestmark = pytest.mark.filterwarnings("ignore::echem.EchemWarning")


MPR_FILES = real_files("biologic/*.mpr")


MPT_FILES = real_files("biologic*/*.mpt")


#: Large files get fewer mutations (each read parses the whole file).
_LARGE = 400_000


def _read_or_parse_error(path: Path) -> None:
    """Read ``path``; a ParseError is fine, any other exception fails the test."""
    try:
        echem.read(path)
    except echem.ParseError as error:
        assert error.path is not None
        assert error.line is not None or error.offset is not None or "tried" in str(error)


def _cut_points(raw: bytes, rng: np.random.Generator) -> list[int]:
    """Header offsets, module boundaries +-1, random data offsets, one byte short."""
    size = len(raw)
    points = {1, 10, 22, 40, 60, 100, 300, size // 2, size - 1}
    at = raw.find(b"MODULE")
    while at >= 0:
        points.update({at, at + 3, at + 6, at + 40, at + 70})
        at = raw.find(b"MODULE", at + 1)
    count = 3 if size > _LARGE else 8
    points.update(int(p) for p in rng.integers(1, size, count))
    return sorted(p for p in points if 0 < p < size)


@pytest.mark.parametrize("path", MPR_FILES + MPT_FILES, ids=lambda p: p.name)
def test_truncations(path: Path, tmp_path: Path) -> None:
    raw = path.read_bytes()
    rng = np.random.default_rng(zlib.crc32(path.name.encode()))
    target = tmp_path / path.name
    for cut in _cut_points(raw, rng):
        target.write_bytes(raw[:cut])
        _read_or_parse_error(target)


@pytest.mark.parametrize("path", MPR_FILES + MPT_FILES, ids=lambda p: p.name)
def test_bit_flips(path: Path, tmp_path: Path) -> None:
    raw = path.read_bytes()
    rng = np.random.default_rng(zlib.crc32(path.name.encode()) + 1)
    target = tmp_path / path.name
    count = 4 if len(raw) > _LARGE else 12
    # half the flips in the first 2 kB (magic, module headers, .mpt header), half anywhere
    positions = np.concatenate(
        [rng.integers(0, min(len(raw), 2048), count // 2), rng.integers(0, len(raw), count // 2)]
    )
    for position in positions.tolist():
        damaged = bytearray(raw)
        damaged[position] ^= 1 << int(rng.integers(0, 8))
        target.write_bytes(bytes(damaged))
        _read_or_parse_error(target)


def test_mpr_module_and_column_headers_flipped(tmp_path: Path) -> None:
    """Every byte of the data-module header of one file, flipped in turn."""
    if not MPR_FILES:
        pytest.skip("real data absent")
    raw = next(p for p in MPR_FILES if p.name == "ocv.issue_149.mpr").read_bytes()
    start = raw.index(b"VMP data") - len(b"MODULE")
    target = tmp_path / "flip.mpr"
    for position in range(start, start + 80):
        damaged = bytearray(raw)
        damaged[position] ^= 0xFF
        target.write_bytes(bytes(damaged))
        try:
            read_mpr(target)
        except echem.ParseError as error:
            assert error.offset is not None


@pytest.mark.parametrize("suffix", [".mpr", ".mpt"])
def test_empty_and_random_files(suffix: str, tmp_path: Path) -> None:
    target = tmp_path / f"noise{suffix}"
    target.write_bytes(b"")
    with pytest.raises(echem.ParseError):
        echem.read(target)
    reader = read_mpr if suffix == ".mpr" else read_mpt
    with pytest.raises(echem.ParseError):
        reader(target)
    rng = np.random.default_rng(11)
    for size in (1, 7, 64, 1000, 20000):
        target.write_bytes(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
        _read_or_parse_error(target)
        try:
            reader(target)
        except echem.ParseError:
            pass
    # the magic followed by noise
    for magic in (b"BIO-LOGIC MODULAR FILE\x1a", b"EC-Lab ASCII FILE\r\n"):
        target.write_bytes(magic + rng.integers(0, 256, 500, dtype=np.uint8).tobytes())
        _read_or_parse_error(target)


_NAMES = (
    "time/s",
    "Ewe/V",
    "<Ewe>/V",
    "I/mA",
    "<I>/mA",
    "control/mA",
    "(Q-Qo)/mA.h",
    "cycle number",
    "Ns",
    "freq/Hz",
    "Re(Z)/Ohm",
    "-Im(Z)/Ohm",
    "Cs/µF",
    "Energy charge/W.h",
)


_INDEX_COLUMNS = {"cycle number": "cycle", "Ns": "step"}


_INDEX = st.integers(min_value=0, max_value=10**6).map(float)


_FINITE = st.floats(
    allow_nan=False, allow_infinity=False, width=64, min_value=-1e30, max_value=1e30
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    names=st.lists(st.sampled_from(_NAMES), min_size=1, max_size=8, unique=True),
    rows=st.integers(min_value=1, max_value=6),
    data=st.data(),
    comma=st.booleans(),
    with_header=st.booleans(),
    header_lines=st.lists(
        st.tuples(
            st.text("abcdefghij XYZ_()", min_size=1, max_size=15).map(str.strip).filter(bool),
            st.text("0123456789.,abc µ²", max_size=15),
        ),
        max_size=5,
    ),
)
def test_generated_mpt_round_trips(
    tmp_path: Path, names, rows, data, comma, with_header, header_lines
) -> None:
    values = np.array(
        [
            [data.draw(_INDEX if name in _INDEX_COLUMNS else _FINITE) for name in names]
            for _ in range(rows)
        ],
        dtype=np.float64,
    )
    if "freq/Hz" not in names and ("Re(Z)/Ohm" in names or "-Im(Z)/Ohm" in names):
        names = [*names, "freq/Hz"]
        values = np.column_stack([values, np.ones(rows)])
    text_rows = []
    for row in values:
        cells = [f"{v:.17E}" for v in row]
        if comma:
            cells = [c.replace(".", ",") for c in cells]
        text_rows.append("\t".join(cells))
    body = "\t".join(names) + "\t\r\n" + "\r\n".join(text_rows) + "\r\n"
    if with_header:
        header = ["", "Open Circuit Voltage", ""] + [f"{k} : {v}" for k, v in header_lines]
        head = f"EC-Lab ASCII FILE\r\nNb header lines : {len(header) + 3}\r\n"
        content = head + "\r\n".join(header) + "\r\n" + body
    else:
        content = body
    path = tmp_path / "generated.mpt"
    path.write_bytes(content.encode("latin-1"))
    frame = echem.read(path)
    assert frame.attrs["format"] == "biologic-mpt"
    for index, name in enumerate(names):
        np.testing.assert_array_equal(frame[name].to_numpy(dtype=float), values[:, index])
    if "time/s" in names:
        np.testing.assert_array_equal(frame["time_s"], values[:, names.index("time/s")])
    if "-Im(Z)/Ohm" in names:
        np.testing.assert_array_equal(frame["z_imag_ohm"], -values[:, names.index("-Im(Z)/Ohm")])
    for original, canonical in _INDEX_COLUMNS.items():
        if original in names:
            expected = values[:, names.index(original)].astype(np.int64)
            np.testing.assert_array_equal(frame[canonical].to_numpy(), expected)
    if with_header:
        for key, value in header_lines:
            stored = frame.attrs["metadata"][key]
            assert value.strip() == stored or value.strip() in stored
    assert isinstance(frame, pd.DataFrame)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("n_columns", b"\x00", "no columns"),
        ("n_points", b"\x05\x00\x00\x00", "longer than its records"),
        ("n_points", b"\xff\xff\xff\x7f", "truncated"),
    ],
)
def test_inconsistent_data_module_counts(
    field: str, value: bytes, message: str, tmp_path: Path
) -> None:
    if not MPR_FILES:
        pytest.skip("real data absent")
    raw = bytearray(next(p for p in MPR_FILES if p.name == "ocv.issue_149.mpr").read_bytes())
    payload = raw.index(b"VMP data") - len(b"MODULE") + 6 + 59  # v2 module header: 59 bytes
    at = payload + (4 if field == "n_columns" else 0)
    raw[at : at + len(value)] = value
    target = tmp_path / "counts.mpr"
    target.write_bytes(bytes(raw))
    with pytest.raises(echem.ParseError, match=message) as caught:
        read_mpr(target)
    assert caught.value.offset is not None and caught.value.offset >= payload


# Damaged files may legitimately read with a warning (a cut last line left out, stray
# lines skipped; tested where each reader is); here only exceptions matter.
pytestmark = pytest.mark.filterwarnings("ignore::echem.EchemWarning")


#: Folder -> format name, for the forced-format reads.
FOLDERS = {
    "autolab": "autolab",
    "chinstruments": "chinstruments",
    "csv": "csv",
    "gamry-dta": "gamry-dta",
    "parstat": "parstat",
    "powersuite": "powersuite",
    "versastudio": "versastudio",
    "zplot": "zplot",
}


FILES = (
    sorted(
        str(p.relative_to(REAL_DATA)) for folder in FOLDERS for p in (REAL_DATA / folder).glob("*")
    )
    if REAL_DATA.exists()
    else []
)


def _mutants(data: bytes, rng: random.Random):
    lines = data.split(b"\n")
    for _ in range(4):
        yield "truncate-line", b"\n".join(lines[: rng.randrange(len(lines))])
    for _ in range(4):
        yield "truncate-byte", data[: rng.randrange(len(data))]
    for _ in range(8):
        flipped = bytearray(data)
        index = rng.randrange(len(flipped))
        flipped[index] ^= 1 << rng.randrange(8)
        yield "bit-flip", bytes(flipped)
    for _ in range(4):
        noisy = bytearray(data)
        index = rng.randrange(len(noisy))
        noisy[index : index + 5] = bytes(rng.randrange(256) for _ in range(5))
        yield "random-bytes", bytes(noisy)
    yield "empty", b""
    yield "binary-junk", bytes(rng.randrange(256) for _ in range(3000))
    yield "utf-16-no-bom", data.decode("latin-1").encode("utf-16-le")
    yield "utf-8-bom", b"\xef\xbb\xbf" + data
    yield "latin-1-in-numbers", data.replace(b"E", "\u00c9".encode("latin-1"), 3)
    yield "bad-utf-16-after-bom", b"\xff\xfe" + data[:101]


def _read_ok_or_parse_error(path, format=None):
    try:
        frame = echem.read(path, format=format)
    except echem.ParseError:
        return None
    assert isinstance(frame, pd.DataFrame)
    if "freq_Hz" in frame.columns:
        for sweep in spectra(frame):
            assert np.all(sweep["freq_Hz"].to_numpy() > 0)
    return frame


@pytest.mark.parametrize("relative", FILES)
def test_damaged_files_read_or_raise_parse_error(tmp_path, relative):
    path = real(relative)
    rng = random.Random(relative)  # reproducible per file
    target = tmp_path / path.name
    for kind, data in _mutants(path.read_bytes(), rng):
        target.write_bytes(data)
        for format in (None, FOLDERS[relative.split("/")[0]]):
            try:
                _read_ok_or_parse_error(target, format)
            except Exception as error:  # pragma: no cover - shows which mutant failed
                raise AssertionError(
                    f"{kind} ({format}): {type(error).__name__}: {error}"
                ) from error


def test_empty_and_truncated_errors_name_the_file(tmp_path):
    path = tmp_path / "empty.DTA"
    path.write_bytes(b"")
    with pytest.raises(echem.ParseError, match="empty"):
        echem.read(path, format="gamry-dta")
    header_only = real("gamry-dta/exampleDataGamry.DTA").read_bytes().split(b"OCVCURVE")[0]
    path.write_bytes(header_only)
    with pytest.raises(echem.ParseError, match="no data table") as info:
        echem.read(path)
    assert str(path) in str(info.value) and info.value.line is not None


def test_truncated_row_names_its_line(tmp_path):
    """One policy in every text reader: a last line cut short, the file ending there, is
    left out with a TruncatedDataWarning naming it (it was a ParseError in the CSV-family
    readers, a warning in .mpt, Gamry and VersaStudio); a short line in the middle of
    the data is a ParseError naming it."""
    source = real("chinstruments/exampleDataCHInstruments.txt")
    lines = source.read_text().split("\n")
    path = tmp_path / "cut.txt"
    path.write_text("\n".join(lines[:30]) + "\n" + lines[30][:12], encoding="utf-8")
    with pytest.warns(echem.TruncatedDataWarning, match=r"line 31: .*it has 2 of the 5 fields"):
        frame = echem.read(path)
    full = echem.read(source)
    rows_before = len(full) - (len(lines) - 1 - 30)  # the rows of lines 1 to 30
    assert len(frame) == rows_before and frame.equals(full.iloc[: len(frame)])
    path.write_text("\n".join([*lines[:30], lines[30][:12], *lines[31:]]), encoding="utf-8")
    with pytest.raises(echem.ParseError, match="expected 5 fields, found 2") as info:
        echem.read(path)
    assert info.value.line == 31


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


positive = st.floats(min_value=1e-6, max_value=1e7, allow_nan=False)


rows = st.lists(st.tuples(positive, finite, finite, finite), min_size=1, max_size=30)


ZPLOT_HEADER = (
    "ZPLOT2 ASCII\n  Measured Data, ZPlot:       3.2c\n  Date:                       01-02-2020\n"
    "  Time:                       03:04:05\n  Begin User Comments:        0\n  a free comment\n"
    "  End User Comments:          0\n  Data Points:                {n}\n"
    "  Freq(Hz)\tAmpl\tBias\tTime(Sec)\tZ'(a)\tZ''(b)\tGD\tErr\tRange\nEnd Comments\n"
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows)
def test_zplot_body_round_trips(tmp_path, rows):
    body = "".join(
        f"{f!r}\t1.0000E-02\t0.0000E+00\t{t!r}\t{zr!r}\t{zi!r}\t0.0000E+00\t0\t3\n"
        for f, zr, zi, t in rows
    )
    path = tmp_path / "gen.z"
    path.write_text(ZPLOT_HEADER.format(n=len(rows)) + body, encoding="utf-8")
    df = echem.read(path)
    expected = np.array([[f, t, zr, zi] for f, zr, zi, t in rows])
    np.testing.assert_array_equal(
        df[["freq_Hz", "time_s", "z_real_ohm", "z_imag_ohm"]].to_numpy(), expected
    )
    assert df.attrs["metadata"]["User Comments"]["lines"] == ["a free comment"]
    assert df.attrs["start_time"] == "2020-01-02T03:04:05"


DIALECTS = st.sampled_from([(",", "."), (";", "."), (";", ","), ("\t", "."), ("\t", ",")])


NAMES = st.sampled_from(
    [
        (("freq/Hz", 1.0), ("Z'/Ohm", 1.0), ("-Z''/Ohm", -1.0)),
        (("Frequency (kHz)", 1e3), ("Zreal (kOhm)", 1e3), ("Zimag (kOhm)", 1e3)),
        (("f [Hz]", 1.0), ("Re(Z) [mOhm]", 1e-3), ("-Im(Z) [mOhm]", -1e-3)),
        (None, None, None),
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows, dialect=DIALECTS, names=NAMES)
def test_csv_body_round_trips(tmp_path, rows, dialect, names):
    separator, decimal = dialect
    if names[0] is None and separator != ",":
        names = (("freq", 1.0), ("zreal", 1.0), ("zimag", 1.0))

    def number(value: float) -> str:
        return repr(value).replace(".", decimal)

    lines = [] if names[0] is None else [separator.join(n for n, _ in names)]
    lines += [separator.join(number(v) for v in (f, zr, zi)) for f, zr, zi, _ in rows]
    path = tmp_path / "gen.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    df = echem.read(path, format="csv")
    factors = [1.0, 1.0, 1.0] if names[0] is None else [factor for _, factor in names]
    expected = np.array([[f, zr, zi] for f, zr, zi, _ in rows]) * np.array(factors)
    np.testing.assert_array_equal(df[["freq_Hz", "z_real_ohm", "z_imag_ohm"]].to_numpy(), expected)


# --- every cut of the last two lines of every text file ----------------------------------
#
# A file cut short (a copy interrupted, a run still being written) must never read a row
# with another number than the file holds, in silence, nor turn a numeric column into
# text: the last row is either read exactly, or left out with a TruncatedDataWarning,
# or the file is refused with a ParseError naming the line.

NOVA = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "nova").glob("*.txt"))


def _decimal_comma_variants(data: bytes, name: str) -> list[tuple[str, bytes]]:
    """Semicolon and tab separated, decimal-comma copies of a comma-separated file."""
    text = data.decode("utf-8-sig")
    return [
        (f"{name}[; ,]", text.replace(",", ";").replace(".", ",").encode()),
        (f"{name}[tab ,]", text.replace(",", "\t").replace(".", ",").encode()),
        (
            f"{name}[; , crlf]",
            text.replace(",", ";").replace(".", ",").replace("\n", "\r\n").encode(),
        ),
    ]


def _nova_from_autolab(data: bytes) -> bytes:
    """The real Autolab FRA spectrum as a NOVA impedance export (semicolons, decimal
    commas), its numbers written with the real file's digits."""
    rows = [
        line.split(",")
        for line in data.decode("utf-8-sig").splitlines()
        if line[:1].isdigit() and line.count(",") == 8
    ]
    lines = ["Index;Frequency (Hz);Z' (Ω);-Z'' (Ω);Time (s)"]
    for index, row in enumerate(rows, start=1):
        imag = row[5][1:] if row[5].startswith("-") else "-" + row[5]
        fields = [str(index), row[0], row[4], imag, row[3]]
        lines.append(";".join(field.replace(".", ",") for field in fields))
    return ("\r\n".join(lines) + "\r\n").encode()


def _cut_sources() -> list[tuple[str, bytes]]:
    """(name, bytes) of every text file to cut: the real files of the text formats, their
    decimal-comma variants, and the NOVA fixtures."""
    sources = []
    for relative in FILES:
        data = (REAL_DATA / relative).read_bytes()
        sources.append((Path(relative).name, data))
        if relative.startswith("csv/"):
            sources += _decimal_comma_variants(data, Path(relative).name)
        if relative.startswith("autolab/"):
            sources.append((f"{Path(relative).name}[nova ; ,]", _nova_from_autolab(data)))
    return sources + [(path.name, path.read_bytes()) for path in NOVA]


def _start_of_line_before(data: bytes, end: int) -> int:
    """Offset of the start of the last line of ``data[:end]`` (line ends stripped)."""
    body = data[:end].rstrip(b"\r\n")
    return max(body.rfind(b"\n"), body.rfind(b"\r")) + 1


def _read_recording(path: Path) -> tuple[object, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return echem.read(path), caught
        except echem.ParseError as error:
            return error, caught


def _verdict(frame, caught, full, before: int, partial: bytes) -> str:
    """How a read of a cut file relates to the whole file's frame ``full``: "ok" or the
    fault. ``before``: rows read when the file ends just before the cut line;
    ``partial``: what is left of the cut line."""
    if isinstance(frame, echem.ParseError):
        return "ok" if frame.line is not None else "ParseError without a line"
    for name, table in (frame.attrs.get("tables") or {}).items():
        fault = _verdict(table, caught, full.attrs["tables"][name], len(table), partial)
        if fault != "ok":
            return f"table {name}: {fault}"
    warned = any(issubclass(w.category, echem.TruncatedDataWarning) for w in caught)
    if list(frame.columns) != list(full.columns) or len(frame) > len(full):
        return "other columns or rows than the whole file"
    reference = full.iloc[: len(frame)]
    if list(frame.dtypes) != list(reference.dtypes):
        return "a column turned into text"
    if not frame.equals(reference):
        return "a value differs" + (" (with a warning)" if warned else " IN SILENCE")
    if len(frame) in (len(full), before + 1) or warned or not partial.strip():
        return "ok"
    return "a row left out without a warning"


def _last_lines_cut_points(data: bytes, sample: int) -> list[int]:
    """Where to cut: every byte of the last value, the bytes at and after every
    separator of the last two lines (a cut there drops a whole field or leaves it
    empty), their first and last bytes, and ``sample`` more bytes of the two lines
    (seeded)."""
    last = _start_of_line_before(data, len(data))
    second = _start_of_line_before(data, last)
    separators = [i for i in range(second, len(data)) if data[i : i + 1] in b",;\t"]
    points = {second, last - 1, last, len(data) - 1}
    points.update(range(max(separators[-1] if separators else last, last), len(data)))
    points.update(i + d for i in separators for d in (0, 1))
    rng = random.Random(len(data))
    points.update(rng.sample(range(second, len(data)), min(sample, len(data) - second)))
    return sorted(p for p in points if second <= p < len(data))


def _fuzz_cuts(name: str, data: bytes, folder: Path, sample: int) -> dict[str, list[int]]:
    """Fault -> cut offsets, over the cut points of ``data`` (saved as ``name``)."""
    path = folder / name.split("[")[0]
    if "[" in name:
        path = path.with_suffix(".txt")
    path.write_bytes(data)
    full, _ = _read_recording(path)
    assert isinstance(full, pd.DataFrame), full
    rows_before = {}
    faults: dict[str, list[int]] = {}
    for cut in _last_lines_cut_points(data, sample):
        start = _start_of_line_before(data + b"\n", cut + 1) if cut else 0
        if start not in rows_before:
            path.write_bytes(data[:start])
            frame, _ = _read_recording(path)
            rows_before[start] = len(frame) if isinstance(frame, pd.DataFrame) else -1
        path.write_bytes(data[:cut])
        frame, caught = _read_recording(path)
        fault = _verdict(frame, caught, full, rows_before[start], data[start:cut])
        if fault != "ok":
            faults.setdefault(fault, []).append(cut)
    return faults


CUT_SOURCES = _cut_sources() if REAL_DATA.exists() else [(p.name, p.read_bytes()) for p in NOVA]


@pytest.mark.parametrize(("name", "data"), CUT_SOURCES, ids=[n for n, _ in CUT_SOURCES])
def test_a_cut_last_line_never_reads_another_number(tmp_path: Path, name: str, data: bytes):
    """74 of 41,761 such cuts read another number in silence (PowerSuite ``-713.75358``
    cut to ``-7``: -7.0; a decimal-comma ``-7,41E-05`` cut to ``-7,``: -7.0, and one byte
    earlier the column turned to text); a cut that dropped whole fields was a
    ParseError in the CSV-family readers."""
    assert _fuzz_cuts(name, data, tmp_path, sample=12) == {}


#: Gamry and VersaStudio files are parsed in Python whatever their size.
TABLE_SOURCES = [(n, d) for n, d in CUT_SOURCES if not n.endswith((".DTA", ".par"))]


@pytest.mark.parametrize(("name", "data"), TABLE_SOURCES, ids=[n for n, _ in TABLE_SOURCES])
def test_a_cut_last_line_never_reads_another_number_through_pandas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, data: bytes
):
    """The same, each file read as a large one is (its end looked at, its rows parsed
    by pandas)."""
    monkeypatch.setattr(_text_table, "PANDAS_MIN_BYTES", 0)
    assert _fuzz_cuts(name, data, tmp_path, sample=4) == {}
