"""``echem info``: format, technique, rows, time span, sweeps and metadata of real files.

Row counts and spans are checked against the file text itself (parsed here with plain
Python, independently of echem's readers) and against ``echem.read``'s frame.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, real

import echem
from echem.cli import main

PEIS_FIXTURE = FIXTURES / "operando" / "li3ps4_plating_03_PEIS_C01.mpt"


def _blocks(text: str) -> dict[str, dict[str, str]]:
    """The printed blocks as {file: {label: value}}."""
    blocks: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith("  "):
            current = blocks.setdefault(line, {})
            continue
        label, value = line[2:13].strip(), line[14:]
        current[label] = value
    return blocks


def _info(capsys, *paths: Path | str) -> tuple[int, dict[str, dict[str, str]], str]:
    code = main(["info", *map(str, paths)])
    captured = capsys.readouterr()
    return code, _blocks(captured.out), captured.err


# Independent row counts from the file text -------------------------------------------------


def _mpt_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Column names and data rows of an EC-Lab .mpt ("Nb header lines : N" counts the header,
    the column line being its last line)."""
    lines = path.read_text(encoding="latin-1").splitlines()
    n_header = int(re.search(r"Nb header lines\s*:\s*(\d+)", lines[1]).group(1))
    names = lines[n_header - 1].rstrip("\t").split("\t")
    rows = [line.split("\t") for line in lines[n_header:] if line.strip()]
    return names, rows


def _mpt_rows(path: Path) -> int:
    return len(_mpt_table(path)[1])


def _dta_rows(path: Path) -> int:
    """Points of a Gamry ZCURVE table: the lines after its two header lines."""
    lines = path.read_bytes().decode("latin-1").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ZCURVE\tTABLE")) + 3
    count = 0
    for line in lines[start:]:
        if not line.startswith("\t"):
            break
        count += 1
    return count


def _zplot_rows(path: Path) -> int:
    lines = path.read_text(encoding="latin-1").splitlines()
    start = lines.index("End Comments") + 1
    return sum(1 for line in lines[start:] if line.strip())


def _csv_rows(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def _twin_mpt_rows(path: Path) -> int:
    """A binary .mpr: its .mpt twin exported from the same experiment."""
    return _mpt_rows(path.with_suffix(".mpt"))


CASES = [
    # (real file, format, technique, independent row counter)
    ("biologic/peis.mpr", "biologic-mpr", "eis", _twin_mpt_rows),
    ("biologic/peis.mpt", "biologic-mpt", "eis", _mpt_rows),
    ("biologic/cp.mpr", "biologic-mpr", "galvanostatic", _twin_mpt_rows),
    ("biologic/ocv.issue_149.mpt", "biologic-mpt", "ocv", _mpt_rows),
    ("gamry-dta/exampleDataGamry.DTA", "gamry-dta", "eis", _dta_rows),
    ("zplot/exampleDataZPlot.z", "zplot", "eis", _zplot_rows),
    ("csv/exampleData.csv", "csv", "eis", _csv_rows),
]


def test_format_technique_rows_and_columns_of_real_files(capsys):
    paths = [real(relative) for relative, *_ in CASES]
    code, blocks, err = _info(capsys, *paths)
    assert code == 0 and err == ""
    assert list(blocks) == [str(p) for p in paths]  # one block per file, in order
    for path, (relative, format_name, technique, count_rows) in zip(paths, CASES, strict=True):
        block = blocks[str(path)]
        frame = echem.read(path)
        assert block["format"] == format_name, relative
        assert block["technique"].split(" (")[0] == technique, relative
        rows = count_rows(path)
        assert rows > 0
        assert block["rows"] == str(rows) == str(len(frame)), relative
        count, names = block["columns"].split(": ", 1)
        assert int(count) == frame.shape[1], relative
        assert names.split(", ")[:3] == [str(c) for c in frame.columns[:3]], relative


def test_time_span_and_metadata_from_the_mpt_text(capsys):
    path = real("biologic/peis.mpt")
    names, rows = _mpt_table(path)
    time = np.array([float(row[names.index("time/s")]) for row in rows])
    freq = np.array([float(row[names.index("freq/Hz")]) for row in rows])
    code, blocks, _ = _info(capsys, path)
    assert code == 0
    block = blocks[str(path)]
    duration = time.max() - time.min()
    assert block["time"] == f"{time.min():g} – {time.max():g} s ({duration:.3g} s)"
    assert block["EIS"] == f"1 sweep, {freq.min():g} – {freq.max():g} Hz"
    text = path.read_text(encoding="latin-1")
    device = re.search(r"Device\s*:\s*(.+?)\s*$", text, re.M).group(1)
    assert block["instrument"] == device == "SP-240 (SN 0200)"
    assert block["software"] == "EC-Lab 11.33"
    assert block["area"] == "0.001 cm² (EC-Lab's default value: check that it was set)"
    assert block["start time"].startswith("2021-03-02T16:17:59")
    assert block["technique"] == "eis (Potentio Electrochemical Impedance Spectroscopy)"


def test_gamry_tables_area_and_aborted(capsys):
    good = real("gamry-dta/exampleDataGamry.DTA")
    aborted = real("gamry-dta/exampleDataGamryABORT.DTA")
    code, blocks, _ = _info(capsys, good, aborted)
    assert code == 0
    text = good.read_bytes().decode("latin-1")
    ocv_rows = int(re.search(r"^OCVCURVE\tTABLE\t(\d+)", text, re.M).group(1))
    pstat = re.search(r"^PSTAT\t\w+\t(\S+)", text, re.M).group(1)
    assert blocks[str(good)]["tables"] == f"OCVCURVE ({ocv_rows} rows)" == "OCVCURVE (387 rows)"
    assert blocks[str(good)]["instrument"] == pstat
    assert blocks[str(good)]["area"] == "1 cm²"
    assert "aborted" not in blocks[str(good)]
    assert blocks[str(aborted)]["aborted"] == "True"
    assert blocks[str(aborted)]["tables"].startswith("OCVCURVE (")


def test_sweeps_of_multi_sweep_files(capsys):
    path = real("biologic/peis.issue_149.mpr")
    code, blocks, _ = _info(capsys, path, PEIS_FIXTURE)
    assert code == 0
    sweeps = echem.eis.spectra(echem.read(path))
    low = min(s["freq_Hz"].min() for s in sweeps)
    high = max(s["freq_Hz"].max() for s in sweeps)
    assert blocks[str(path)]["EIS"] == f"4 sweeps, {low:g} – {high:g} Hz"
    # The fixture generator writes 7 sweeps from 3 MHz to 0.1 Hz, one every 1800 s.
    fixture = blocks[str(PEIS_FIXTURE)]
    assert fixture["EIS"] == "7 sweeps, 0.1 – 3e+06 Hz"
    assert fixture["area"] == "0.785 cm²"
    assert fixture["rows"] == str(_mpt_rows(PEIS_FIXTURE))


def test_csv_without_time_has_no_span(capsys):
    path = real("csv/exampleData.csv")
    code, blocks, _ = _info(capsys, path)
    assert code == 0
    assert blocks[str(path)]["time"] == "-"
    assert blocks[str(path)]["columns"] == "3: freq_Hz, z_real_ohm, z_imag_ohm"


def test_bad_files_are_one_line_each_and_the_others_go_on(tmp_path, capsys):
    good = real("biologic/peis.mpr")
    truncated = tmp_path / "truncated.mpr"
    truncated.write_bytes(good.read_bytes()[:10000])
    missing = tmp_path / "missing.mpt"
    code = main(["info", str(truncated), str(good), str(missing)])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("echem: ") and str(truncated) in lines[0]
    assert lines[1].startswith("echem: ") and str(missing) in lines[1]
    # The good file is still described, and the output starts with it (no stray blank line).
    assert captured.out.startswith(f"{good}\n")
    assert _blocks(captured.out)[str(good)]["rows"] == str(_twin_mpt_rows(good))


def test_forced_and_unknown_formats(capsys):
    path = real("csv/exampleData.csv")
    assert main(["info", "--format", "csv", str(path)]) == 0
    assert _blocks(capsys.readouterr().out)[str(path)]["format"] == "csv"
    # Forcing the wrong reader fails that file (one line), exit 1.
    assert main(["info", "--format", "gamry-dta", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    # An unknown format name is a usage error (exit 2), like every echem command.
    with pytest.raises(SystemExit) as exit_info:
        main(["info", "--format", "nope", str(path)])
    assert exit_info.value.code == 2
    assert "unknown format 'nope'" in capsys.readouterr().err


def test_a_file_named_twice_is_described_once(capsys):
    path = real("biologic/peis.mpt")
    assert main(["info", str(path)]) == 0
    once = capsys.readouterr().out
    assert main(["info", str(path), str(path.parent / ".." / path.parent.name / path.name)]) == 0
    assert capsys.readouterr().out == once


def test_a_folder_describes_every_file_it_can_read(tmp_path, capsys):
    import shutil

    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    shutil.copyfile(PEIS_FIXTURE, data / "peis.mpt")
    shutil.copyfile(PEIS_FIXTURE, data / "sub" / "peis.mpt")
    (data / "junk.bin").write_bytes(bytes(range(256)))  # no format reads it
    (data / "notes.md").write_text("# notes\n")  # left out quietly
    code, blocks, err = _info(capsys, data)
    assert code == 0
    assert list(blocks) == [str(data / "peis.mpt")]
    assert blocks[str(data / "peis.mpt")]["format"] == "biologic-mpt"
    assert err.splitlines() == [
        f"echem: skipped {data / 'junk.bin'}: no format echem reads (echem info FILE says why)"
    ]
    code, blocks, _ = _info(capsys, data, "-r")
    assert code == 0 and list(blocks) == [str(data / "peis.mpt"), str(data / "sub" / "peis.mpt")]
    code, _, err = _info(capsys, data / "junk.bin")  # named itself: a failure, with the reason
    assert code == 1 and "no known format" in err


def test_a_file_name_that_is_not_utf8_is_described_escaped(tmp_path, capsys):
    """Its name, with the lone surrogates Python decodes undecodable bytes to, went to stdout
    as such (a UnicodeEncodeError where stdout is strict UTF-8)."""
    import os
    import shutil

    name = os.fsdecode(b"peis \xe9\xff.mpt")
    try:
        shutil.copyfile(FIXTURES / "operando" / "li3ps4_plating_03_PEIS_C01.mpt", tmp_path / name)
    except (OSError, UnicodeError):
        pytest.skip("the file system takes only valid UTF-8 names")
    code, blocks, err = _info(capsys, tmp_path)
    assert code == 0 and err == ""
    assert list(blocks) == [f"{tmp_path}/peis \\xe9\\xff.mpt"]
    assert blocks[f"{tmp_path}/peis \\xe9\\xff.mpt"]["format"] == "biologic-mpt"
