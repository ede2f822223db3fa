"""The ``echem`` command at its edges: bad options, outputs that cannot be written, failures
and interruptions in the middle of writing, the same file twice, closed stdout, ``-m``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REAL_DATA, requires_real

import echem._atomic
from echem.cli import main

PEIS = REAL_DATA / "biologic/peis.issue_149.mpt"  # 4 sweeps of 21 points
CP = REAL_DATA / "biologic/cp.mpr"
GAMRY = REAL_DATA / "gamry-dta/exampleDataGamry.DTA"  # a data table and an OCVCURVE table
#: Tests that read them are skipped, saying so, when they are absent.
needs_peis = requires_real("biologic/peis.issue_149.mpt")
needs_cp = requires_real("biologic/cp.mpr")
needs_gamry = requires_real("gamry-dta/exampleDataGamry.DTA")
CIRCUIT = "R0-p(R1,C1)"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# echem._atomic.atomic_paths ------------------------------------------------------------


def test_a_failed_rename_restores_the_targets_already_replaced(tmp_path):
    (tmp_path / "a.csv").write_text("old a\n")
    (tmp_path / "b.json").mkdir()  # os.replace onto a folder fails
    with (
        pytest.raises(OSError),
        echem._atomic.atomic_paths(
            [tmp_path / "a.csv", tmp_path / "new.csv", tmp_path / "b.json"]
        ) as temporaries,
    ):
        for temporary in temporaries:
            temporary.write_text("new\n")
    assert (tmp_path / "a.csv").read_text() == "old a\n"
    assert not (tmp_path / "new.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.json"]


def test_all_targets_replaced_on_success(tmp_path):
    (tmp_path / "a.csv").write_text("old\n")
    with echem._atomic.atomic_paths([tmp_path / "a.csv", tmp_path / "sub" / "b.csv"]) as (a, b):
        a.write_text("A\n")
        b.write_text("B\n")
    assert (tmp_path / "a.csv").read_text() == "A\n"
    assert (tmp_path / "sub" / "b.csv").read_text() == "B\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "sub"]


# python -m echem, closed stdout, Ctrl-C --------------------------------------------------


@needs_peis
def test_python_dash_m_echem_runs_the_command():
    done = subprocess.run(
        [sys.executable, "-m", "echem", "info", str(PEIS)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == str(PEIS)
    assert "  rows        84" in done.stdout


class _ClosedPipe:
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@needs_peis
def test_stdout_closed_by_its_reader_is_no_traceback(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["info", str(PEIS)]) == 141
    assert "Traceback" not in capsys.readouterr().err


@needs_gamry
def test_ctrl_c_while_writing_leaves_the_old_outputs(tmp_path, monkeypatch, capsys):
    assert main(["convert", str(GAMRY), "--to", "csv", "--out", str(tmp_path)]) == 0
    before = _snapshot(tmp_path)

    def interrupted(self, path, *args, **kwargs):
        Path(path).write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", interrupted)
    assert main(["convert", str(GAMRY), "--to", "csv", "--out", str(tmp_path)]) == 130
    assert capsys.readouterr().err.strip() == "echem: interrupted"
    assert _snapshot(tmp_path) == before  # no temporary left, nothing replaced


# convert -----------------------------------------------------------------------------------


@needs_gamry
def test_convert_replaces_no_output_when_the_sidecar_cannot_be_renamed(tmp_path, capsys):
    (tmp_path / "exampleDataGamry.DTA.json").mkdir()
    (tmp_path / "exampleDataGamry.DTA.csv").write_text("old\n")
    assert main(["convert", str(GAMRY), "--to", "csv", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "exampleDataGamry.DTA" in err[0]
    assert (tmp_path / "exampleDataGamry.DTA.csv").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "exampleDataGamry.DTA.csv",
        "exampleDataGamry.DTA.json",
    ]


# fit ---------------------------------------------------------------------------------------


@needs_peis
def test_fit_the_same_file_twice_fits_it_once(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["fit", str(PEIS), str(PEIS), "--circuit", CIRCUIT, "--out", str(out), "--no-plots"]
    assert main(args) == 0
    assert "4 of 4 spectra fitted from 1 of 1 files" in capsys.readouterr().out
    assert list(pd.read_csv(out / "results.csv")["sweep"]) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--circuit", CIRCUIT, "--weighting", "bogus"], "--weighting"),
        (["--circuit", CIRCUIT, "--f-min", "nan"], "--f-min"),
        (["--circuit", CIRCUIT, "--f-min", "-1"], "--f-min"),
        (["--circuit", CIRCUIT, "--f-min", "100", "--f-max", "10"], "--f-min"),
        (["--circuit", ""], "--circuit"),
    ],
)
def test_fit_bad_option_is_one_usage_line(tmp_path, capsys, options, named):
    try:
        code = main(["fit", str(PEIS), *options, "--out", str(tmp_path / "o"), "--no-plots"])
    except SystemExit as exit_:  # argparse's usage error
        code = exit_.code
    assert code == 2
    lines = capsys.readouterr().err.splitlines()
    assert not any("Traceback" in line for line in lines)
    # argparse names the option on its last line; echem's own check on its first (a circuit
    # error then quotes the circuit with a caret on two more lines)
    assert named in lines[-1] or lines[0].startswith(f"echem: {named}: ")
    assert not (tmp_path / "o").exists()


@needs_peis
def test_fit_output_folder_that_cannot_be_made_names_the_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = blocker / "out"
    assert main(["fit", str(PEIS), "--circuit", CIRCUIT, "--out", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"echem: --out: {blocker} is a file, not a folder (to hold {out})"]


@pytest.mark.parametrize(
    "command",
    [
        ["fit", "--circuit", "R0-p(R1,C1)"],
        ["kk"],
        ["convert", "--to", "csv"],
        ["coulometry", "--area", "1"],
    ],
)
def test_an_out_that_is_a_file_is_one_usage_error_before_any_input_is_read(
    tmp_path, capsys, monkeypatch, command
):
    """It was a failure (exit 1) per input, each named as if the input were at fault
    ('echem: a.mpt: [Errno 17] File exists: results.csv'), after every input was read."""
    import echem.io

    blocker = tmp_path / "results.csv"
    blocker.write_text("keep me\n")
    read = []
    monkeypatch.setattr(echem.io, "read", lambda *a, **k: read.append(a) or 1 / 0)
    name, *options = command
    code = main([name, str(tmp_path / "a.mpt"), *options, "--out", str(blocker)])
    assert code == 2 and read == []
    assert capsys.readouterr().err.splitlines() == [
        f"echem: --out: {blocker} is a file, not a folder"
    ]
    assert blocker.read_text() == "keep me\n"


@needs_peis
def test_fit_results_csv_and_json_are_replaced_together(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    args = ["fit", str(PEIS), "--circuit", CIRCUIT, "--out", str(out), "--no-plots"]
    assert main(args) == 0
    before = _snapshot(out)

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)  # results.json, after results.csv
    assert main([*args[:3], "R0-p(R1,CPE1)", *args[4:]]) == 1
    assert _snapshot(out) == before
    assert json.loads(before["results.json"])["circuit"] == CIRCUIT


# kk and coulometry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--threshold", "inf"], "finite"),
        (["--c", "inf"], "from 0 to 1"),
        (["--c", "nan"], "from 0 to 1"),
        (["--c", "1.5"], "from 0 to 1"),  # mu never exceeds 1: lin_kk refuses it per sweep
        (["--c", "-0.1"], "from 0 to 1"),
    ],
)
def test_kk_option_out_of_range_is_a_usage_error(capsys, option, message):
    with pytest.raises(SystemExit) as exit_:
        main(["kk", str(PEIS), *option])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@needs_peis
def test_kk_c_of_one_is_accepted(capsys):
    assert main(["kk", str(PEIS), "--c", "1"]) in (0, 1)  # a verdict, not a usage error
    assert "sweep" in capsys.readouterr().out


@pytest.mark.parametrize(
    "option",
    [
        ["--area", "nan"],
        ["--area", "inf"],
        ["--area", "1", "--scan-duration", "nan"],
        ["--area", "1", "--imaged-area", "inf"],
        ["--area", "0"],  # was a failure of the file (exit 1), as if the file were at fault
        ["--area", "-1"],
        ["--area", "1", "--imaged-area", "0"],
    ],
)
def test_coulometry_non_finite_number_is_a_usage_error(capsys, option):
    with pytest.raises(SystemExit) as exit_:
        main(["coulometry", str(CP), *option])
    assert exit_.value.code == 2
    assert "finite" in capsys.readouterr().err


@needs_cp
def test_coulometry_tables_are_written_all_or_none(tmp_path, capsys):
    (tmp_path / "cp.mpr_gaps.csv").mkdir()  # the second table cannot be renamed
    assert main(["coulometry", str(CP), "--area", "1", "--out", str(tmp_path)]) == 1
    assert "cp.mpr_gaps.csv" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cp.mpr_gaps.csv"]


# every command ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["info", "convert", "fit", "kk", "coulometry", "demo"])
def test_help_of_every_command(capsys, command):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: echem {command}")


def test_kk_tells_of_points_left_out_for_a_non_finite_value(tmp_path, capsys):
    """An 'inf' impedance in a CSV sweep: the sweep is tested without it (it failed as a
    whole before), and the printed line and the summary say how many points were left out."""
    freq = np.logspace(5, -1, 31)
    z = 10 + 100 / (1 + 1j * 2 * np.pi * freq * 100 * 1e-5)
    rows = [f"{f:.10e},{v.real:.10e},{v.imag:.10e}" for f, v in zip(freq, z, strict=True)]
    rows[10] = f"{freq[10]:.10e},inf,{z[10].imag:.10e}"
    path = tmp_path / "randles.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["kk", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\t30 points\t" in out and out.rstrip().endswith(
        "valid\t(1 points left out: not a finite number)"
    )
    from echem.cli.kk import kk_file

    assert kk_file(path).summary["left_out"].tolist() == [1]


# echem --help ------------------------------------------------------------------------------


def test_help_imports_no_command_module_nor_pandas():
    """'echem --help' took 0.9 s: every command module was imported, each importing pandas.
    The command table is built from names and help texts; a module is imported when its
    command runs (issue 15)."""
    code = (
        "import sys\n"
        "from echem.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as exit_:\n"
        "    assert exit_.code == 0\n"
        "heavy = ('pandas', 'numpy', 'matplotlib', 'scipy', 'lmfit', 'echem.io')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy\n"
        "             or m.startswith('echem.cli.') and m != 'echem.cli._command'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert "fit " in done.stdout and "coulometry" in done.stdout  # every command listed


def test_every_command_row_has_its_module():
    import importlib

    from echem.cli import COMMANDS

    for row in COMMANDS:
        module = importlib.import_module(f"echem.cli.{row.module}")
        assert callable(module.add_arguments) and callable(module.run), row.name
        assert module.DESCRIPTION, row.name


@pytest.mark.parametrize(
    "command",
    [
        ["info"],
        ["kk"],
        ["convert", "--to", "csv"],
        ["fit", "--circuit", "R0-p(R1,CPE1)-p(R2,CPE2)", "--no-plots"],
        ["coulometry", "--area", "1"],
    ],
)
def test_a_warning_about_a_file_is_one_line(tmp_path, capsys, command):
    """A file cut inside its last line gave Python's two-line warning, headed by a path inside
    echem and followed by a line of its code, among the one-line reports of the other files."""
    from conftest import FIXTURES

    source = (FIXTURES / "operando" / "li3ps4_plating_03_PEIS_C01.mpt").read_bytes()
    cut = tmp_path / "cut.mpt"
    cut.write_bytes(source[: source.rindex(b"\n", 0, len(source) // 2) + 10])  # mid-line
    name, *options = command
    out = [] if name == "info" else ["--out", str(tmp_path / "o")]
    main([name, str(cut), *options, *out])
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"echem: warning: {cut}, line ")
    assert "left out" in err[0]
