"""``echem kk``: one verdict per sweep, equal to ``echem.eis.lin_kk`` called directly."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, real

import echem
from echem.cli import kk, main
from echem.eis import lin_kk, spectra

PEIS_FIXTURE = FIXTURES / "operando" / "li3ps4_plating_03_PEIS_C01.mpt"
EIS_NOISE_REL = 0.005  # fixtures/make_fixtures.py: complex Gaussian noise of 0.5 % of |Z|

LINE = re.compile(
    r"^(?P<file>[^\t]+)\tsweep (?P<sweep>\d+)\t(?P<points>\d+) points\tM=(?P<M>\d+)\t"
    r"mu=(?P<mu>\S+)\trms residual=(?P<rms>\S+) %\tmax residual=(?P<max>\S+) %\t"
    r"trend=(?P<trend>\S+) %\t(?P<verdict>valid|NOT valid)$"
)


def _lines(out: str) -> list[dict[str, str]]:
    parsed = [LINE.match(line) for line in out.splitlines()]
    assert all(parsed), out
    return [match.groupdict() for match in parsed]


def _fixture_sweeps(path: Path) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """(freq, Z) per sweep, read from the .mpt text without echem: EC-Lab numbers the loops
    of the PEIS technique in ``cycle number`` (1..7)."""
    lines = path.read_text(encoding="latin-1").splitlines()
    n_header = int(re.search(r"Nb header lines\s*:\s*(\d+)", lines[1]).group(1))
    names = lines[n_header - 1].rstrip("\t").split("\t")
    table = np.array(
        [[float(v) for v in line.split("\t")[: len(names)]] for line in lines[n_header:]]
    )
    column = {name: table[:, i] for i, name in enumerate(names)}
    sweeps = {}
    for cycle in np.unique(column["cycle number"]):
        rows = column["cycle number"] == cycle
        z = column["Re(Z)/Ohm"][rows] - 1j * column["-Im(Z)/Ohm"][rows]
        sweeps[int(cycle) - 1] = (column["freq/Hz"][rows], z)
    return sweeps


def _assert_line_matches(line: dict[str, str], result) -> None:
    assert int(line["points"]) == result.freq_Hz.size
    assert int(line["M"]) == result.M
    assert line["mu"] == f"{result.mu:.3f}"
    assert line["rms"] == f"{100 * result.rms_residual:.2f}"
    assert line["max"] == f"{100 * result.max_residual:.2f}"
    assert line["trend"] == f"{100 * result.trend:.2f}"
    assert line["verdict"] == ("valid" if result.valid else "NOT valid")


def test_fixture_sweeps_match_lin_kk_on_the_file_text(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["kk", str(PEIS_FIXTURE), "--out", str(out)]) == 0
    lines = _lines(capsys.readouterr().out)
    sweeps = _fixture_sweeps(PEIS_FIXTURE)
    assert [int(line["sweep"]) for line in lines] == sorted(sweeps) == list(range(7))
    for line in lines:
        assert line["file"] == str(PEIS_FIXTURE)
        freq, z = sweeps[int(line["sweep"])]
        result = lin_kk(freq, z)
        _assert_line_matches(line, result)
        # Data generated from a KK-consistent model plus 0.5 % noise: valid, residuals at the
        # noise level.
        assert line["verdict"] == "valid"
        assert 0.5 * EIS_NOISE_REL < result.rms_residual < 1.5 * EIS_NOISE_REL

    points = pd.read_csv(out / f"{PEIS_FIXTURE.name}_kk.csv")
    assert list(points.columns) == list(kk.POINT_COLUMNS)
    assert sorted(points["sweep"].unique()) == list(range(7))
    freq, z = sweeps[3]
    part = points[points["sweep"] == 3]
    np.testing.assert_array_equal(part["freq_Hz"], freq)
    np.testing.assert_array_equal(part["z_real_ohm"], z.real)
    np.testing.assert_array_equal(part["z_imag_ohm"], z.imag)
    fit = part["z_fit_real_ohm"].to_numpy() + 1j * part["z_fit_imag_ohm"].to_numpy()
    np.testing.assert_allclose(fit, lin_kk(freq, z).z_fit, rtol=1e-12)
    np.testing.assert_allclose(part["residual_real"], ((z - fit) / np.abs(z)).real, atol=1e-15)
    np.testing.assert_allclose(part["residual_imag"], ((z - fit) / np.abs(z)).imag, atol=1e-15)


def test_real_multi_sweep_file_one_line_per_sweep(capsys):
    path = real("biologic/peis.issue_149.mpr")  # four sweeps
    nyquist = real("gamry-dta/exampleDataGamryABORT.DTA")  # aborted run: not KK-consistent
    assert main(["kk", str(path), str(nyquist)]) == 0
    lines = _lines(capsys.readouterr().out)
    expected = [(path, s) for s in spectra(echem.read(path))] + [
        (nyquist, s) for s in spectra(echem.read(nyquist))
    ]
    assert len(lines) == len(expected) == 5
    for line, (source, sweep) in zip(lines, expected, strict=True):
        assert line["file"] == str(source) and int(line["sweep"]) == sweep.attrs["sweep"]
        z = sweep["z_real_ohm"].to_numpy() + 1j * sweep["z_imag_ohm"].to_numpy()
        _assert_line_matches(line, lin_kk(sweep["freq_Hz"].to_numpy(), z))
    assert [line["verdict"] for line in lines] == ["valid"] * 4 + ["NOT valid"]
    # Options reach lin_kk: a tighter threshold turns the file's verdicts NOT valid.
    assert main(["kk", str(path), "--threshold", "0.0005", "--max-M", "8"]) == 0
    lines = _lines(capsys.readouterr().out)
    assert all(int(line["M"]) <= 8 for line in lines)
    assert [line["verdict"] for line in lines] == ["NOT valid"] * 4


def test_interrupted_last_sweep_is_reported_and_the_others_kept(tmp_path, capsys):
    """EC-Lab stopped 3 points into the 7th sweep: six verdicts, one stderr line, exit 1."""
    lines = PEIS_FIXTURE.read_text(encoding="latin-1").splitlines(keepends=True)
    n_header = int(re.search(r"Nb header lines\s*:\s*(\d+)", lines[1]).group(1))
    stopped = tmp_path / "stopped.mpt"
    stopped.write_text("".join(lines[: n_header + 6 * 76 + 3]), encoding="latin-1")
    out = tmp_path / "out"
    assert main(["kk", str(stopped), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert [int(line["sweep"]) for line in _lines(captured.out)] == list(range(6))
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and str(stopped) in err[0] and "sweep 6" in err[0]
    assert "at least 5 points" in err[0]
    points = pd.read_csv(out / f"{stopped.name}_kk.csv")
    assert sorted(points["sweep"].unique()) == list(range(6)) and len(points) == 6 * 76


def test_bad_files_one_line_each_the_good_one_goes_on(tmp_path, capsys):
    good = real("biologic/peis.issue_149.mpr")
    broken = tmp_path / "broken.mpr"
    broken.write_bytes(good.read_bytes()[:15000])
    no_eis = real("biologic/cp.mpr")
    out = tmp_path / "out"
    code = main(["kk", str(broken), str(no_eis), str(good), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err
    err = captured.err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("echem: ") for line in err)
    assert str(broken) in err[0] and str(no_eis) in err[1] and "freq_Hz" in err[1]
    assert {line["file"] for line in _lines(captured.out)} == {str(good)}
    assert sorted(p.name for p in out.iterdir()) == ["peis.issue_149.mpr_kk.csv"]


def test_twins_get_their_own_csv(tmp_path, capsys):
    mpr, mpt = real("biologic/peis.mpr"), real("biologic/peis.mpt")
    out = tmp_path / "out"
    assert main(["kk", str(mpr), str(mpt), str(mpr), "--out", str(out)]) == 0
    assert len(_lines(capsys.readouterr().out)) == 2  # a file named twice is tested once
    assert sorted(p.name for p in out.iterdir()) == ["peis.mpr_kk.csv", "peis.mpt_kk.csv"]
    for name, source in (("peis.mpr_kk.csv", mpr), ("peis.mpt_kk.csv", mpt)):
        sweep = spectra(echem.read(source))[0]
        np.testing.assert_array_equal(pd.read_csv(out / name)["z_real_ohm"], sweep["z_real_ohm"])
    # The same file name in two folders: the second one cannot be named, it fails alone.
    copies = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        copies.append(tmp_path / folder / "x.csv")
        copies[-1].write_bytes(real("csv/exampleData.csv").read_bytes())
    out = tmp_path / "out2"
    assert main(["kk", *map(str, copies), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and str(copies[1]) in err[0]
    assert sorted(p.name for p in out.iterdir()) == ["x.csv_kk.csv"]


def test_a_failing_write_leaves_no_csv(tmp_path, capsys, monkeypatch):
    path = real("biologic/peis.mpr")
    out = tmp_path / "out"
    original = pd.DataFrame.to_csv

    def half_then_fail(frame, target, *args, **kwargs):
        Path(target).write_text(original(frame, None, *args, **kwargs)[:200])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    assert main(["kk", str(path), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # no verdict printed for a file whose output failed
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "No space left" in err[0]
    assert list(out.iterdir()) == []  # neither the CSV nor its temporary file
    # An --out that is a regular file: one usage line, before any input is read.
    monkeypatch.undo()
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["kk", str(path), "--out", str(blocker)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"echem: --out: {blocker} is a file, not a folder"
    ]


@pytest.mark.parametrize(
    "option", [["--max-M", "0"], ["--c", "-1"], ["--threshold", "abc"], ["--format", "nope"]]
)
def test_bad_option_values_are_usage_errors(option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["kk", str(PEIS_FIXTURE), *option])
    assert exit_info.value.code == 2
    assert option[0] in capsys.readouterr().err


def test_a_folder_tests_every_impedance_file_and_skips_the_others(tmp_path, capsys):
    """kk DIR: every file of the folder (-r: of its subfolders), one 'skipped' line for a
    file without sweep; outputs named after the path in the folder."""
    import shutil

    data = tmp_path / "data"
    (data / "cell2").mkdir(parents=True)
    shutil.copyfile(PEIS_FIXTURE, data / "peis.mpt")
    shutil.copyfile(PEIS_FIXTURE, data / "cell2" / "peis.mpt")  # same name, another folder
    shutil.copyfile(FIXTURES / "operando" / "li3ps4_plating_02_CP_C01.mpt", data / "cp.mpt")
    (data / "README.md").write_text("notes\n")
    out = tmp_path / "out"
    assert main(["kk", str(data), "-r", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"echem: skipped {data / 'cp.mpt'}: no impedance sweep"]
    files = [line["file"] for line in _lines(captured.out)]
    assert sorted(set(files)) == sorted({str(data / "peis.mpt"), str(data / "cell2" / "peis.mpt")})
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.csv"))
    assert written == ["cell2/peis.mpt_kk.csv", "peis.mpt_kk.csv"]
    # named on the command line, a file without sweep is a failure
    assert main(["kk", str(data / "cp.mpt")]) == 1


def test_a_file_name_that_is_not_utf8_is_tested_and_shown_escaped(tmp_path, capsys):
    """pandas' string column refused the name: the file failed with "'utf-8' codec can't
    encode character '\\udce9'"."""
    import os
    import shutil

    name = os.fsdecode(b"peis \xe9\xff.mpt")
    try:
        shutil.copyfile(PEIS_FIXTURE, tmp_path / name)
    except (OSError, UnicodeError):
        pytest.skip("the file system takes only valid UTF-8 names")
    out = tmp_path / "out"
    assert main(["kk", str(tmp_path / name), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    rows = _lines(captured.out)
    assert {row["file"] for row in rows} == {f"{tmp_path}/peis \\xe9\\xff.mpt"}
    assert len(rows) == len(spectra(echem.read(PEIS_FIXTURE)))
    assert (out / f"{name}_kk.csv").exists()
