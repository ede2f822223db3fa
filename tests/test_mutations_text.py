"""Damaged copies of every real text file of the non-BioLogic formats, and generated bodies.

A damaged file must either read (a frame that spectra() accepts) or raise
echem.ParseError; never IndexError/KeyError/UnicodeDecodeError/pandas errors.
Generated ZPlot and CSV bodies must round-trip their numbers exactly.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import echem
from echem.eis import spectra
from tests.conftest import REAL_DATA, real

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
    lines = real("chinstruments/exampleDataCHInstruments.txt").read_text().split("\n")
    path = tmp_path / "cut.txt"
    path.write_text("\n".join(lines[:30]) + "\n" + lines[30][:12], encoding="utf-8")
    with pytest.raises(echem.ParseError) as info:
        echem.read(path)
    assert info.value.line == 31


# --- generated bodies -------------------------------------------------------------------

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
