"""Gamry .DTA edge cases: hand-made variants of the real files, checked against an
independent parse of the text the test writes (tab split, float of each field)."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest
from conftest import real

import echem
from echem.eis import spectra
from echem.errors import EchemWarning, TruncatedDataWarning

GOOD = "gamry-dta/exampleDataGamry.DTA"
ABORT = "gamry-dta/exampleDataGamryABORT.DTA"


def _lines(name: str) -> list[str]:
    """The real file's lines (LF, no final empty line): UTF-8, else latin-1 text."""
    data = real(name).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.split("\n")[:-1]


def _at(lines: list[str], tag: str) -> int:
    return next(i for i, line in enumerate(lines) if line.split("\t")[0] == tag)


def _write(
    tmp_path, lines: list[str], *, end: str = "\n", encoding: str = "latin-1", name: str = "x.DTA"
):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + end).encode(encoding))
    return path


def _read(path):
    """echem.read failing on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return echem.read(path)


def _rows(lines: list[str], table: str) -> tuple[list[str], list[list[float]]]:
    """Independent parse of a table: header names and float rows."""
    start = _at(lines, table)
    names = lines[start + 1].split("\t")[1:]
    rows = []
    for line in lines[start + 3 :]:
        if not line.startswith("\t"):
            break
        rows.append(
            [
                float(t.replace(",", ".")) if t[:1] in "-0123456789" else t
                for t in line.split("\t")[1:]
            ]
        )
    return names, rows


def _column(lines, table, column):
    names, rows = _rows(lines, table)
    return np.array([row[names.index(column)] for row in rows], dtype=float)


def test_real_files_read_without_warning_and_match_independent_parse():
    for name in (GOOD, ABORT):
        lines = _lines(name)
        df = _read(real(name))
        assert np.array_equal(df["z_imag_ohm"], _column(lines, "ZCURVE", "Zimag"))
        assert (df["z_imag_ohm"] < 0).all()  # capacitive: Z'' keeps its negative sign
        assert np.array_equal(df["current_A"], _column(lines, "ZCURVE", "Idc"))
        ocv = df.attrs["tables"]["OCVCURVE"]  # the pre-EIS OCV curve stays reachable
        assert np.array_equal(ocv["voltage_V"], _column(lines, "OCVCURVE", "Vf"))
        assert np.array_equal(ocv["time_s"], _column(lines, "OCVCURVE", "T"))
        assert len(spectra(df)) == 1 and len(spectra(df)[0]) == len(df)


def test_milliamps_in_the_units_line_become_amperes(tmp_path):
    lines = _lines(GOOD)
    z = _at(lines, "ZCURVE")
    units = lines[z + 2].split("\t")
    names = lines[z + 1].split("\t")
    units[names.index("Idc")] = "mA"
    units[names.index("Freq")] = "kHz"
    lines[z + 2] = "\t".join(units)
    df = _read(_write(tmp_path, lines))
    idc = _column(lines, "ZCURVE", "Idc")
    assert np.allclose(df["current_A"], idc * 1e-3, rtol=1e-15, atol=0)
    assert np.array_equal(df["Idc"], idc)  # the original column keeps the file's numbers
    assert np.allclose(df["freq_Hz"], _column(lines, "ZCURVE", "Freq") * 1e3, rtol=1e-15)
    assert df.attrs["metadata"]["units"]["Idc"] == "mA"


def test_latin1_micro_sign_in_the_units_line(tmp_path):
    lines = _lines(GOOD)
    z = _at(lines, "ZCURVE")
    lines[z + 2] = lines[z + 2].replace("\tA\t", "\tµA\t")
    for encoding in ("latin-1", "utf-8"):
        df = _read(_write(tmp_path, lines, encoding=encoding, name=f"{encoding}.DTA"))
        assert df.attrs["metadata"]["units"]["Idc"] == "µA"
        assert np.allclose(df["current_A"], _column(lines, "ZCURVE", "Idc") * 1e-6, rtol=1e-15)
        assert df.attrs["metadata"]["units"]["Zphz"] == "°"


def test_unknown_unit_of_a_canonical_column_warns(tmp_path):
    lines = _lines(GOOD)
    z = _at(lines, "ZCURVE")
    lines[z + 2] = lines[z + 2].replace("\tA\t", "\tbits\t")
    with pytest.warns(EchemWarning, match="'Idc' is in 'bits'"):
        df = echem.read(_write(tmp_path, lines))
    assert np.array_equal(df["current_A"], _column(lines, "ZCURVE", "Idc"))


def test_decimal_commas(tmp_path):
    """Gamry writes the Windows locale's decimal separator (gamry-parser issue #12)."""
    lines = _lines(GOOD)
    comma = [
        line.replace(".", ",") if line.startswith("\t") or "QUANT" in line else line
        for line in lines
    ]
    df = _read(_write(tmp_path, comma))
    plain = echem.read(real(GOOD))
    assert np.array_equal(df["z_real_ohm"], plain["z_real_ohm"])
    assert np.array_equal(
        df.attrs["tables"]["OCVCURVE"]["voltage_V"], plain.attrs["tables"]["OCVCURVE"]["voltage_V"]
    )
    assert df.attrs["metadata"]["FREQINIT"] == 200000.0
    assert df.attrs["metadata"]["DELAY"] == [True, 100.0, 0.0]


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_line_ends_and_bom(tmp_path, end):
    lines = _lines(ABORT)
    plain = echem.read(real(ABORT))
    for prefix in ("", "\ufeff"):
        text = prefix + end.join(lines) + end
        path = tmp_path / "b.DTA"
        path.write_bytes(text.encode("utf-8"))  # the ABORT file is UTF-8 already
        df = _read(path)
        assert (
            df.equals(plain) and df.attrs["metadata"]["units"] == plain.attrs["metadata"]["units"]
        )
        assert list(df.attrs["tables"]) == ["OCVCURVE", "FRACURVE"]


def test_tables_in_unusual_order(tmp_path):
    lines = _lines(GOOD)
    o, z = _at(lines, "OCVCURVE"), _at(lines, "ZCURVE")
    ocv = lines[o : o + 3 + 387]
    moved = lines[:o] + lines[o + 3 + 387 :] + ocv
    df = _read(_write(tmp_path, moved))
    assert df.attrs["technique"] == "eis" and len(df) == 72
    assert np.array_equal(
        df.attrs["tables"]["OCVCURVE"]["voltage_V"], _column(lines, "OCVCURVE", "Vf")
    )
    assert z > o


def test_header_key_without_value_is_none(tmp_path):
    """'AREA<TAB>QUANT' used to give AREA == area_cm2 == 'QUANT' (the TYPE as the value)."""
    lines = _lines(GOOD)
    lines[_at(lines, "AREA")] = "AREA\tQUANT"
    lines[_at(lines, "TITLE")] = "TITLE\tLABEL\t\tTest &Identifier"
    meta = _read(_write(tmp_path, lines)).attrs["metadata"]
    assert meta["AREA"] is None and meta["area_cm2"] is None and meta["TITLE"] is None
    assert meta["TAG"] == "EISPOT"


def test_notes_count_that_is_not_a_row_count(tmp_path):
    """'NOTES NOTES -1e400' leaked an OverflowError (int of -inf)."""
    lines = _lines(GOOD)
    n = _at(lines, "NOTES")
    lines[n] = "NOTES\tNOTES\t-1e400\t&Notes..."
    with pytest.warns(EchemWarning, match="indented line"):  # the note lines are left over
        df = echem.read(_write(tmp_path, lines))
    assert len(df) == 72


def test_row_without_its_leading_tab_is_an_error(tmp_path):
    """It ended the table there: the 62 rows after it were dropped without a word."""
    lines = _lines(GOOD)
    z = _at(lines, "ZCURVE")
    lines[z + 13] = lines[z + 13][1:]
    with pytest.raises(echem.ParseError, match=rf"line {z + 14}:.*leading tab"):
        echem.read(_write(tmp_path, lines))


def test_indented_lines_outside_a_table_warn(tmp_path):
    lines = _lines(GOOD)
    lines.insert(_at(lines, "PSTATMODEL"), "\tstray\t1")
    with pytest.warns(EchemWarning, match="1 indented line"):
        echem.read(_write(tmp_path, lines))


@pytest.mark.parametrize("cut", [1, 4, 12, 30, 60])
def test_last_row_cut_short_is_left_out_with_a_warning(tmp_path, cut):
    """An aborted or still-written EIS file ending inside its last row: the whole file
    was a ParseError (or, cut right after a tab, a NaN IERange)."""
    lines = _lines(GOOD)
    full = echem.read(real(GOOD))
    text = "\n".join(lines)
    path = tmp_path / "cut.DTA"
    path.write_bytes(text[: len(text) - cut].encode("latin-1"))
    with pytest.warns(TruncatedDataWarning, match=rf"line {len(lines)}: the last data line"):
        df = echem.read(path)
    assert df.equals(full.iloc[:71])


def test_complete_last_row_without_final_newline_is_kept(tmp_path):
    lines = _lines(GOOD)
    df = _read(_write(tmp_path, lines, end=""))
    assert len(df) == 72 and df["IERange"].iloc[-1] == 7


def test_table_cut_before_its_declared_rows_warns(tmp_path):
    """A file ending inside OCVCURVE (387 rows declared): 47 rows read without notice."""
    lines = _lines(GOOD)
    o = _at(lines, "OCVCURVE")
    with pytest.warns(TruncatedDataWarning, match="OCVCURVE declares 387 rows, 47 read"):
        df = echem.read(_write(tmp_path, lines[: o + 3 + 47]))
    assert len(df) == 47 and df.attrs["technique"] == "ocv"
    assert np.array_equal(df["voltage_V"], _column(lines, "OCVCURVE", "Vf")[:47])


def test_table_header_without_rows(tmp_path):
    lines = _lines(GOOD)
    z = _at(lines, "ZCURVE")
    df = _read(_write(tmp_path, lines[: z + 3]))
    assert len(df) == 0 and "freq_Hz" in df.columns and spectra(df) == []
    assert len(df.attrs["tables"]["OCVCURVE"]) == 387


def test_table_without_units_line_keeps_its_first_row(tmp_path):
    lines = _lines(GOOD)
    z = _at(lines, "ZCURVE")
    del lines[z + 2]
    df = _read(_write(tmp_path, lines))
    assert len(df) == 72 and df["freq_Hz"].iloc[0] == 200015.6


@pytest.mark.parametrize("extra", [True, False])
def test_extra_or_missing_field_in_a_middle_row(tmp_path, extra):
    lines = _lines(GOOD)
    z = _at(lines, "ZCURVE")
    row = z + 10
    lines[row] = lines[row] + "\t5" if extra else lines[row].rsplit("\t", 1)[0]
    with pytest.raises(echem.ParseError, match=rf"line {row + 1}: expected 11 fields"):
        echem.read(_write(tmp_path, lines))


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("1.#INF", np.inf),
        ("-1.#INF00", -np.inf),
        ("-1.#IND", np.nan),
        ("1.#QNAN0", np.nan),
        ("nan", np.nan),
    ],
)
def test_msvc_special_values(tmp_path, token, expected):
    lines = _lines(GOOD)
    z = _at(lines, "ZCURVE")
    fields = lines[z + 5].split("\t")
    fields[4] = token  # Zreal
    fields[6] = token  # Zsig, not a canonical source: must stay numeric too
    lines[z + 5] = "\t".join(fields)
    df = _read(_write(tmp_path, lines))
    got = df["z_real_ohm"].iloc[2]
    assert (np.isnan(got) and np.isnan(expected)) or got == expected
    assert df["Zsig"].dtype == np.float64


def test_duplicate_table_names_are_both_kept(tmp_path):
    lines = _lines(ABORT)
    f = _at(lines, "FRACURVE")
    lines += lines[f:]
    df = _read(_write(tmp_path, lines, encoding="utf-8"))
    assert list(df.attrs["tables"]) == ["OCVCURVE", "FRACURVE", "FRACURVE.2"]
    assert df.attrs["tables"]["FRACURVE.2"].equals(df.attrs["tables"]["FRACURVE"])


def test_random_mutations_raise_only_parse_errors(tmp_path):
    rng = random.Random(20261130)
    sources = [real(GOOD).read_bytes(), real(ABORT).read_bytes()]
    path = tmp_path / "m.DTA"
    for _ in range(150):
        data = bytearray(rng.choice(sources))
        lines = bytes(data).split(b"\n")
        j = rng.randrange(len(lines))
        kind = rng.randrange(4)
        if kind == 0:
            fields = lines[j].split(b"\t")
            fields[rng.randrange(len(fields))] = rng.choice(
                [b"", b"x", b"1.#INF", b"nan", b"\xb5A", b"TABLE", b"NOTES", b"-1e400", b"7,5"]
            )
            lines[j] = b"\t".join(fields)
        elif kind == 1:
            del lines[j]
        elif kind == 2:
            lines[j] = lines[j].replace(b"\t", b"", 1)
        else:
            lines = lines[:j] + [lines[j][: rng.randrange(len(lines[j]) + 1)]]
        path.write_bytes(b"\n".join(lines))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EchemWarning)
                df = echem.read(path, format="gamry-dta")
        except echem.ParseError:
            continue
        if "freq_Hz" in df.columns:
            spectra(df)
