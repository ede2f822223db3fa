"""``echem fit``: every sweep of every file fitted; CSV, JSON and PNG outputs; bad files named."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, real

from echem.cli import main

CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)"
PEIS_FIXTURE = FIXTURES / "operando" / "li3ps4_plating_03_PEIS_C01.mpt"

sys.path.insert(0, str(FIXTURES))
import make_fixtures as truth  # noqa: E402  (the generator's analytic model: independent of echem)


def test_fit_real_file_with_a_truncated_one_in_the_batch(tmp_path, capsys):
    good = real("biologic/peis.issue_149.mpr")
    bad = tmp_path / "broken.mpr"
    bad.write_bytes(good.read_bytes()[:15000])
    out = tmp_path / "out"

    code = main(
        ["fit", str(good), str(bad), "--circuit", CIRCUIT, "--jobs", "2", "--out", str(out)]
    )

    assert code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    bad_lines = [line for line in err.splitlines() if "broken.mpr" in line]
    assert len(bad_lines) == 1 and bad_lines[0].startswith("echem: ")

    table = pd.read_csv(out / "results.csv")
    assert list(table["sweep"]) == [0, 1, 2, 3]  # the file holds four sweeps
    assert set(table["file"]) == {str(good)}
    assert table["success"].all() and table["error"].isna().all()
    for name in ("R0", "R1", "CPE1_Q", "CPE1_n", "R2", "CPE2_Q", "CPE2_n"):
        assert name in table and f"{name}_stderr" in table
    # R0 + R1 + R2 is the low-frequency end of the data, R0 near its high-frequency end.
    from echem import read
    from echem.eis import spectra

    sweep0 = spectra(read(good))[0]
    hf = sweep0.loc[sweep0["freq_Hz"].idxmax(), "z_real_ohm"]
    assert table.loc[0, "R0"] == pytest.approx(hf, rel=0.1)
    assert table.loc[0, "time_s"] == pytest.approx(sweep0["time_s"].iloc[0])
    assert {"CPE1_C_F", "CPE2_C_F", "CPE1_role", "CPE2_role", "CPE1_f0_Hz"} <= set(table.columns)

    document = json.loads((out / "results.json").read_text())
    assert document["circuit"] == CIRCUIT
    from echem.eis import FitResult

    reloaded = FitResult.from_dict(document["spectra"][2]["result"])
    assert reloaded.values["R2"] == pytest.approx(table.loc[2, "R2"], rel=1e-9)
    freq = sweep0["freq_Hz"].to_numpy()
    assert np.all(np.isfinite(reloaded.predict(freq)))

    plots = sorted((out / "plots").iterdir())
    assert [p.name for p in plots] == [f"peis.issue_149.mpr_sweep{k}.png" for k in range(4)]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in plots)
    assert not list(out.rglob("*.tmp"))


def test_fit_preset_in_two_processes_recovers_the_generator(tmp_path, capsys):
    copy = tmp_path / PEIS_FIXTURE.name
    shutil.copyfile(PEIS_FIXTURE, copy)
    out = tmp_path / "out"
    code = main(
        [
            "fit",
            str(copy),
            "--preset",
            "li-sse-symmetric",
            "--jobs",
            "2",
            "--kk",
            "--no-plots",
            "--f-min",
            "0.5",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out / "results.csv")
    assert len(table) == len(truth.EIS_TIMES_H)
    document = json.loads((out / "results.json").read_text())
    used = np.array(document["spectra"][0]["result"]["freq_Hz"])
    assert used.min() >= 0.5 and used.max() == pytest.approx(3e6)
    assert document["spectra"][0]["kk"]["valid"] is True
    hours = table["time_s"].to_numpy() / 3600.0
    np.testing.assert_allclose(hours, truth.EIS_TIMES_H, atol=1e-6)
    np.testing.assert_allclose(table["R0"], truth.R0_OHM, rtol=0.02)
    np.testing.assert_allclose(table["R1"], truth.r_int_ohm(hours), rtol=0.03)
    np.testing.assert_allclose(table["R2"], truth.r_ct_ohm(hours), rtol=0.03)
    assert list(table["CPE1_role"]) == ["R_int"] * len(table)
    assert list(table["CPE2_role"]) == ["R_ct"] * len(table)
    np.testing.assert_allclose(table["CPE1_C_F"], truth.C_INT_F, rtol=0.15)
    np.testing.assert_allclose(table["CPE2_C_F"], truth.C_CT_F, rtol=0.15)
    assert table["kk_valid"].all()
    assert not (out / "plots").exists()


def _caret_column(lines: list[str]) -> int:
    """Index, in the quoted circuit line, of the character the caret line points at."""
    quote, caret = lines[-2], lines[-1]
    assert caret.strip() == "^" and quote.startswith("  ") and caret.startswith("  ")
    return caret.index("^") - 2


@pytest.mark.parametrize(
    ("circuit", "shown", "at"),
    [
        ("R0-p(R1", "R0-p(R1", "("),  # unclosed parallel block
        ("R0-p(R1,CPX1)", "R0-p(R1,CPX1)", "C"),  # unknown element type
        ("R0-\tp(R1,\nCPX1)", "R0- p(R1, CPX1)", "C"),  # a tab and a newline shown as spaces
    ],
)
def test_fit_bad_circuit_has_a_caret_under_the_character(tmp_path, capsys, circuit, shown, at):
    """The caret stood on the same line as the message, pointing at nothing (issue 15)."""
    code = main(["fit", str(PEIS_FIXTURE), "--circuit", circuit, "--out", str(tmp_path)])
    lines = capsys.readouterr().err.splitlines()
    assert code == 2
    assert len(lines) == 3 and "Traceback" not in "".join(lines)
    assert lines[0].startswith("echem: --circuit: ") and "at position" in lines[0]
    assert lines[1] == f"  {shown}"
    assert shown[_caret_column(lines)] == at
    assert not list(tmp_path.iterdir())


def test_fit_circuit_of_a_million_characters_is_quoted_in_a_short_window(tmp_path, capsys):
    """Refused quickly, but the message echoed all 2 MB of it (issue 11)."""
    import time

    circuit = "R0-p(R1,CPE1)-" + "R" * 1_000_000
    start = time.perf_counter()
    code = main(["fit", str(PEIS_FIXTURE), "--circuit", circuit, "--out", str(tmp_path)])
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    assert code == 2 and elapsed < 5.0
    assert len(err) < 400, err
    lines = err.splitlines()
    assert "1000000 characters" in lines[0]
    assert lines[1].startswith("  R0-p(R1,CPE1)-RRR") and lines[1].endswith("…")
    assert lines[1][2:][_caret_column(lines)] == "R"  # the first R of the run
    assert _caret_column(lines) == len("R0-p(R1,CPE1)-")


def test_fit_on_a_dask_scheduler(tmp_path, capsys):
    distributed = pytest.importorskip("dask.distributed")
    out = tmp_path / "out"
    with distributed.LocalCluster(
        n_workers=1, processes=False, threads_per_worker=1, dashboard_address=":0"
    ) as cluster:
        code = main(
            [
                "fit",
                str(PEIS_FIXTURE),
                "--circuit",
                CIRCUIT,
                "--dask",
                cluster.scheduler_address,
                "--no-plots",
                "--out",
                str(out),
            ]
        )
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out / "results.csv")
    hours = table["time_s"].to_numpy() / 3600.0
    np.testing.assert_allclose(table["R2"], truth.r_ct_ohm(hours), rtol=0.03)


def test_fit_jobs_must_be_positive(tmp_path, capsys):
    assert (
        main(
            ["fit", str(PEIS_FIXTURE), "--circuit", CIRCUIT, "--jobs", "0", "--out", str(tmp_path)]
        )
        == 2
    )
    assert "--jobs" in capsys.readouterr().err


def test_weighting_choices_match_the_fit():
    from echem.cli.fit import WEIGHTING_NAMES
    from echem.eis.weighting import WEIGHTINGS

    assert set(WEIGHTING_NAMES) == set(WEIGHTINGS)


# ---------------------------------------------------------------------------------------------
# folders, --format, --help, outputs of runs that fit nothing


def _write_spectra(folder, names, points=30):
    """Exact R0 + R1 || C1 spectra (R0 = 10 Ohm, R1 = 100 + 10 k Ohm, C1 = 1 uF for the k-th
    name), headerless ``freq, Z', Z''`` CSV (impedance.py's layout); the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    freq = np.logspace(5, -1, points)
    paths = []
    for k, name in enumerate(names):
        r1 = 100.0 + 10.0 * k
        z = 10.0 + r1 / (1 + 1j * 2 * np.pi * freq * r1 * 1e-6)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savetxt(path, np.column_stack([freq, z.real, z.imag]), delimiter=",", fmt="%.12e")
        paths.append(path)
    return paths


RC = "R0-p(R1,C1)"


def _fit(tmp_path, capsys, *arguments):
    out = tmp_path / "out"
    code = main(["fit", *map(str, arguments), "--circuit", RC, "--out", str(out)])
    captured = capsys.readouterr()
    return code, out, captured.out, captured.err.splitlines()


def test_fit_a_folder_reads_every_file_it_can_and_names_the_others(tmp_path, capsys):
    data = tmp_path / "data"
    _write_spectra(data, ["s1.csv", "s2.csv", "s10.csv", "sub/s3.csv"])
    (data / "README.md").write_text("# my cell\n")  # not data: left out quietly
    (data / "photo.tif").write_bytes(bytes(range(256)))  # no format reads it
    (data / "cp.csv").write_text("time/s,Ewe/V,I/mA\n0,1.0,0.1\n1,1.1,0.1\n")  # no sweep
    code, out, stdout, err = _fit(tmp_path, capsys, data, "--no-plots")
    assert code == 0, err
    assert sorted(err) == [
        f"echem: skipped {data / 'cp.csv'}: no impedance sweep",
        f"echem: skipped {data / 'photo.tif'}: no format echem reads (echem info FILE says why)",
    ]
    table = pd.read_csv(out / "results.csv")
    assert [Path(f).name for f in table["file"]] == ["s1.csv", "s2.csv", "s10.csv"]
    np.testing.assert_allclose(table["R1"], [100.0, 110.0, 120.0], rtol=1e-6)
    assert stdout.strip().endswith(f"3 of 3 spectra fitted from 3 of 5 files -> {out}")

    code, out, _, err = _fit(tmp_path, capsys, data, "-r")
    assert code == 0, err
    document = json.loads((out / "results.json").read_text())
    assert [s["plot"] for s in document["spectra"]] == [
        "plots/s1.csv_sweep0.png",
        "plots/s2.csv_sweep0.png",
        "plots/s10.csv_sweep0.png",
        "plots/sub/s3.csv_sweep0.png",
    ]
    assert all((out / s["plot"]).read_bytes()[:4] == b"\x89PNG" for s in document["spectra"])


def test_files_of_the_same_name_in_subfolders_keep_their_own_plots(tmp_path, capsys):
    a, b = tmp_path / "cells" / "a", tmp_path / "cells" / "b"
    _write_spectra(a, ["peis.csv"])
    _write_spectra(b, ["x.csv", "peis.csv"])  # another R1 than a/peis.csv
    code, out, _, err = _fit(tmp_path, capsys, tmp_path / "cells", "-r")
    assert code == 0, err
    plots = sorted(p.relative_to(out / "plots").as_posix() for p in out.rglob("*.png"))
    assert plots == ["a/peis.csv_sweep0.png", "b/peis.csv_sweep0.png", "b/x.csv_sweep0.png"]
    first, second = (out / "plots" / f / "peis.csv_sweep0.png" for f in "ab")
    assert first.read_bytes() != second.read_bytes()
    # Named themselves, the two share a name: the second one's plot fails alone, named.
    code, out, _, err = _fit(tmp_path / "named", capsys, a / "peis.csv", b / "peis.csv")
    assert code == 1
    assert len(err) == 1 and str(b / "peis.csv") in err[0] and "already written" in err[0]
    assert len(pd.read_csv(out / "results.csv")) == 2
    assert [p.name for p in (out / "plots").iterdir()] == ["peis.csv_sweep0.png"]


def test_fit_that_finds_nothing_announces_no_output_folder(tmp_path, capsys):
    """It printed '-> echem-fit' for a folder it never wrote (issue 15)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cp.csv").write_text("time/s,Ewe/V\n0,1.0\n1,1.1\n")
    code, out, stdout, err = _fit(tmp_path, capsys, tmp_path / "data")
    assert code == 1
    assert "nothing written" in stdout and "->" not in stdout
    assert not out.exists()
    assert err == [f"echem: skipped {tmp_path / 'data' / 'cp.csv'}: no impedance sweep"]


def test_fit_format_option_forces_the_reader(tmp_path, capsys):
    (path,) = _write_spectra(tmp_path, ["spectrum.dat"])
    code, out, _, err = _fit(tmp_path, capsys, path, "--format", "csv", "--no-plots")
    assert code == 0, err
    assert pd.read_csv(out / "results.csv")["R1"].iloc[0] == pytest.approx(100.0, rel=1e-6)
    code, _, _, err = _fit(tmp_path, capsys, path, "--format", "zplot", "--no-plots")
    assert code == 1 and len(err) == 1 and "spectrum.dat" in err[0]
    with pytest.raises(SystemExit) as exit_:
        main(["fit", str(path), "--circuit", RC, "--format", "bogus"])
    assert exit_.value.code == 2 and "unknown format 'bogus'" in capsys.readouterr().err


def test_fit_help_lists_the_presets_by_name_with_what_they_mean(capsys):
    """--help pointed at a Python object, echem.eis.roles.PRESETS (issue 15)."""
    from echem.eis.roles import PRESETS

    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = capsys.readouterr().out
    assert "echem.eis.roles" not in text
    for name, preset in PRESETS.items():
        assert f"  {name}: {preset.circuit}" in text
        assert " ".join(text.split()).count(" ".join(preset.description.split())) == 1
    with pytest.raises(SystemExit) as exit_:
        main(["fit", str(PEIS_FIXTURE), "--preset", "no-such-preset"])
    assert exit_.value.code == 2 and "li-sse-symmetric" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# plots: file names shown literally, figures reused, jobs 2 alike jobs 1


@pytest.mark.parametrize("name", ["a$^$b.csv", "$\\alpha$ cell.csv"])
def test_a_dollar_in_a_file_name_is_shown_literally(tmp_path, capsys, name):
    """'a$^$b.z' made the title fail in mathtext and the run exit 1 (issue 11)."""
    import matplotlib.cbook

    from echem.cli._batch import literal_text

    (path,) = _write_spectra(tmp_path / "data", [name])
    code, out, _, err = _fit(tmp_path, capsys, path)
    assert code == 0, err
    assert (out / "plots" / f"{name}_sweep0.png").read_bytes()[:4] == b"\x89PNG"
    shown = literal_text(f"{name} sweep 0")
    assert not matplotlib.cbook.is_math_text(shown)  # matplotlib's rule: plain text...
    assert shown.replace(r"\$", "$") == f"{name} sweep 0"  # ...that it shows as written


def test_two_jobs_give_the_same_numbers_and_pictures_as_one(tmp_path, capsys):
    """Each worker draws its chunks into its own reused figure; jobs 1 draws all of them into
    one: the same fits and byte-identical PNGs either way."""
    data = tmp_path / "data"
    _write_spectra(data, [f"s{k}.csv" for k in range(4)])
    outputs = {}
    for jobs in ("1", "2"):
        code, out, _, err = _fit(tmp_path / jobs, capsys, data, "--jobs", jobs, "--kk")
        assert code == 0, err
        outputs[jobs] = out
    one, two = (pd.read_csv(outputs[j] / "results.csv") for j in ("1", "2"))
    pd.testing.assert_frame_equal(one, two)
    np.testing.assert_allclose(one["R1"], 100.0 + 10.0 * np.arange(4), rtol=1e-6)
    for png in sorted((outputs["1"] / "plots").iterdir()):
        assert png.read_bytes() == (outputs["2"] / "plots" / png.name).read_bytes(), png.name


# ---------------------------------------------------------------------------------------------
# ending: SIGTERM, temporaries of killed runs


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_sigterm_ends_the_workers_and_leaves_no_temporary(tmp_path):
    """SIGTERM to 'echem fit --jobs 2' left both workers orphaned and running (issue 11)."""
    import signal
    import subprocess
    import time

    data = tmp_path / "data"
    _write_spectra(data, [f"s{k}.csv" for k in range(60)])
    out = tmp_path / "out"
    command = [sys.executable, "-m", "echem", "fit", str(data), "--circuit", RC]
    process = subprocess.Popen(
        [*command, "--jobs", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            workers = _children(process.pid)
            if len(workers) >= 2 and list((out / "plots").glob("*.png")):
                break  # both workers are up and plotting
            time.sleep(0.05)
        assert len(workers) >= 2 and process.poll() is None, "the run ended before the signal"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
        assert process.returncode == 128 + signal.SIGTERM
        assert err.strip().splitlines()[-1] == "echem: terminated"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_running(pid) for pid in workers):
            time.sleep(0.05)
        assert not [pid for pid in workers if _running(pid)]
        assert not [p.name for p in out.rglob("*") if p.name.startswith(".")]
        assert not (out / "results.csv").exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in _children(process.pid):
            os.kill(pid, signal.SIGKILL)


def test_terminated_while_plotting_leaves_no_temporary(tmp_path, capsys, monkeypatch):
    import matplotlib.figure

    from echem.cli._command import Terminated

    data = tmp_path / "data"
    _write_spectra(data, ["s1.csv", "s2.csv"])
    real_savefig = matplotlib.figure.Figure.savefig

    def killed_halfway(self, path, *args, **kwargs):
        real_savefig(self, path, *args, **kwargs)  # the temporary holds a whole PNG...
        raise Terminated(15)  # ...when SIGTERM arrives, before the rename

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", killed_halfway)
    code = main(["fit", str(data), "--circuit", RC, "--out", str(tmp_path / "out")])
    assert code == 143
    assert capsys.readouterr().err.strip() == "echem: terminated"
    assert [p.name for p in (tmp_path / "out").rglob("*") if p.is_file()] == []


def test_temporaries_of_a_killed_run_are_removed_by_the_next(tmp_path, capsys):
    """A kill during plotting left hidden plots/.*.png.*.tmp files behind (issue 11)."""
    import subprocess

    from echem._atomic import _temporary

    (path,) = _write_spectra(tmp_path / "data", ["s1.csv"])
    out = tmp_path / "out"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    leftovers = []
    for folder in (out, out / "plots"):
        temporary = _temporary(folder / "s1.csv_sweep0.png")  # named after this process...
        killed = temporary.with_name(
            temporary.name.replace(f"-{os.getpid()}.", f"-{dead.stdout.strip()}.")
        )
        temporary.rename(killed)  # ...now after a process that is gone
        leftovers.append(killed)
    ours = _temporary(out / "plots" / "other.png")  # a writer still running: kept
    code, _, _, err = _fit(tmp_path, capsys, path)
    assert code == 0, err
    assert not any(p.exists() for p in leftovers)
    assert ours.exists()
    assert sorted(p.name for p in (out / "plots").iterdir()) == sorted(
        [ours.name, "s1.csv_sweep0.png"]
    )


def test_fit_without_a_circuit_chooses_one_and_writes_the_candidates(tmp_path, capsys):
    copy = tmp_path / PEIS_FIXTURE.name
    shutil.copyfile(PEIS_FIXTURE, copy)
    out = tmp_path / "out"
    code = main(["fit", str(copy), "--no-plots", "--f-min", "0.5", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out / "results.csv")
    candidates = pd.read_csv(out / "candidates.csv")
    # the generator's two R||CPE arcs in series with R0, found in every sweep
    assert list(table["circuit"]) == [CIRCUIT] * len(truth.EIS_TIMES_H)
    hours = table["time_s"].to_numpy() / 3600.0
    np.testing.assert_allclose(table["R1"], truth.r_int_ohm(hours), rtol=0.03)
    np.testing.assert_allclose(table["R2"], truth.r_ct_ohm(hours), rtol=0.03)
    assert table["ok"].all()
    # one chosen candidate per sweep, the circuit of its row in results.csv
    assert list(candidates.columns[:3]) == ["file", "sweep", "circuit"]
    chosen = candidates[candidates["chosen"]]
    assert list(chosen["sweep"]) == list(table["sweep"])
    assert list(chosen["circuit"]) == list(table["circuit"])
    assert chosen["reason"].str.startswith("chosen: ").all()
    assert (candidates.groupby("sweep").size() >= 2).all()  # a smaller or larger one was tried
    document = json.loads((out / "results.json").read_text())
    assert document["circuit"] == "auto"
    assert document["spectra"][0]["result"]["choice"].startswith(CIRCUIT + " chosen from")


def test_a_given_circuit_writes_no_candidates(tmp_path, capsys):
    copy = tmp_path / PEIS_FIXTURE.name
    shutil.copyfile(PEIS_FIXTURE, copy)
    out = tmp_path / "out"
    code = main(["fit", str(copy), "--circuit", CIRCUIT, "--no-plots", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert (out / "results.csv").exists() and not (out / "candidates.csv").exists()
    assert set(pd.read_csv(out / "results.csv")["circuit"]) == {CIRCUIT}
    with pytest.raises(SystemExit):  # still one or the other
        main(["fit", str(copy), "--circuit", CIRCUIT, "--preset", "li-sse-symmetric"])


# ---------------------------------------------------------------------------------------------
# --plot-format, --dpi


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (PNG spec, section 11.2.2)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _well_formed(path: Path) -> None:
    """The file is a whole PNG, SVG or PDF (by its extension)."""
    import xml.etree.ElementTree as ElementTree

    data = path.read_bytes()
    if path.suffix == ".png":
        _png_size(data)
        assert data.endswith(b"IEND\xaeB`\x82")  # the closing chunk and its CRC
    elif path.suffix == ".svg":
        root = ElementTree.fromstring(data)  # raises on a cut or malformed file
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    else:
        assert path.suffix == ".pdf" and data.startswith(b"%PDF-")
        assert data.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("plot_format", ["svg", "pdf", "png"])
def test_plot_format_writes_well_formed_files_of_that_type(tmp_path, capsys, plot_format):
    data = tmp_path / "data"
    _write_spectra(data, ["s1.csv", "a$b ü.csv"])
    code, out, _, err = _fit(tmp_path, capsys, data, "--plot-format", plot_format)
    assert code == 0 and err == []  # nothing on stderr (fontTools warned on every PDF)
    document = json.loads((out / "results.json").read_text())
    plots = [out / s["plot"] for s in document["spectra"]]
    assert sorted(p.name for p in plots) == [
        f"a$b ü.csv_sweep0.{plot_format}",
        f"s1.csv_sweep0.{plot_format}",
    ]
    assert sorted((out / "plots").iterdir()) == sorted(plots)
    for plot in plots:
        _well_formed(plot)


def test_dpi_sets_the_resolution_of_pngs(tmp_path, capsys):
    (path,) = _write_spectra(tmp_path / "data", ["s1.csv"])
    sizes = {}
    for dpi in ("50", "100"):
        code, out, _, err = _fit(tmp_path / dpi, capsys, path, "--dpi", dpi, "--jobs", "1")
        assert code == 0, err
        sizes[dpi] = _png_size((out / "plots" / "s1.csv_sweep0.png").read_bytes())
    (w50, h50), (w100, h100) = sizes["50"], sizes["100"]
    assert abs(w100 - 2 * w50) <= 1 and abs(h100 - 2 * h50) <= 1


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--dpi", "0", "must be from 1 to 1200"),
        ("--dpi", "-72", "must be from 1 to 1200"),
        ("--dpi", "1e9", "not a number"),
        ("--dpi", "300.5", "not a number"),
        ("--dpi", "100000", "must be from 1 to 1200"),
        ("--plot-format", "jpg", "invalid choice: 'jpg'"),
        ("--plot-format", "PDF", "invalid choice: 'PDF'"),
    ],
)
def test_bad_plot_format_or_dpi_is_a_usage_error(tmp_path, capsys, option, value, says):
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "fit",
                str(PEIS_FIXTURE),
                "--circuit",
                RC,
                f"{option}={value}",
                "--out",
                str(tmp_path / "o"),
            ]
        )
    assert exit_.value.code == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_pdf_plots_leave_stderr_empty_in_a_real_process(tmp_path):
    """fontTools, embedding fonts in each PDF, printed "'created' timestamp seems very low"
    twice per plot on stderr (pytest's own log handler hides it in-process)."""
    import subprocess

    (path,) = _write_spectra(tmp_path / "data", ["s1.csv"])
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "echem", "fit", str(path), "--circuit", RC, "--out", str(out)]
        + ["--plot-format", "pdf"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == ""
    _well_formed(out / "plots" / "s1.csv_sweep0.pdf")


def _undecodable(folder: Path) -> str:
    """A file name whose bytes are Latin-1, not UTF-8 (as Python sees it: lone surrogates);
    skips where the file system refuses such names."""
    folder.mkdir(parents=True, exist_ok=True)
    name = os.fsdecode(b"cell \xe9\xff.csv")
    try:
        (folder / name).touch()
    except (OSError, UnicodeError):
        pytest.skip("the file system takes only valid UTF-8 names")
    return name


def test_a_file_name_that_is_not_utf8_is_fitted_and_shown_escaped(tmp_path, capsys):
    """It ended in a traceback (pandas' string column refused the name) after a plot failure
    for every spectrum (the title's font refused it)."""
    data = tmp_path / "data"
    name = _undecodable(data)
    _write_spectra(data, [name])
    code, out, _, err = _fit(tmp_path, capsys, data, "--kk")
    assert code == 0 and err == []
    shown = f"{data}/cell \\xe9\\xff.csv"
    table = pd.read_csv(out / "results.csv")
    assert list(table["file"]) == [shown]
    assert table.loc[0, "R1"] == pytest.approx(100.0, rel=1e-6)
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert document["spectra"][0]["file"] == shown
    _well_formed(out / document["spectra"][0]["plot"])
    assert (out / "plots" / f"{name}_sweep0.png").exists()  # named as the input is


def test_interrupted_run_removes_the_temporaries_of_its_ended_workers(
    tmp_path, capsys, monkeypatch
):
    """Ctrl-C to 'echem fit --jobs 2' could leave a plots/.*.png.*.tmp behind: a worker that
    did not unwind within the grace is killed while writing, and nothing removed its file."""
    import subprocess

    import echem.cli._batch
    from echem._atomic import _temporary

    (path,) = _write_spectra(tmp_path / "data", ["s1.csv"])
    out = tmp_path / "out"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    left = []

    def worker_killed_while_writing(*_args, **_kwargs):
        temporary = _temporary(out / "plots" / "s1.csv_sweep0.png")
        killed = temporary.with_name(
            temporary.name.replace(f"-{os.getpid()}.", f"-{dead.stdout.strip()}.")
        )
        temporary.rename(killed)
        left.append(killed)
        raise KeyboardInterrupt

    monkeypatch.setattr(echem.cli._batch, "run_tasks", worker_killed_while_writing)
    assert main(["fit", str(path), "--circuit", RC, "--out", str(out)]) == 130
    assert capsys.readouterr().err.strip() == "echem: interrupted"
    assert left and not left[0].exists()
    assert [p for p in out.rglob("*") if p.is_file()] == []


# ---------------------------------------------------------------------------------------------
# results.csv is the Python API's table; the progress bar covers every stage


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_results_csv_has_the_columns_and_numbers_of_fit_series(tmp_path, capsys, jobs):
    """With --preset it lacked R_int_ohm/R_ct_ohm and the per-face columns that fit_series
    gives (issue 15): now every column of the API's table but its Python objects."""
    from echem import read
    from echem.eis import fit_series, spectra

    out = tmp_path / "out"
    options = ["--preset", "li-sse-symmetric", "--kk", "--no-plots", "--jobs", jobs]
    code = main(["fit", str(PEIS_FIXTURE), *options, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    cli = pd.read_csv(out / "results.csv")
    api = fit_series(spectra(read(PEIS_FIXTURE)), "li-sse-symmetric", kk=True)
    assert set(cli.columns) - {"file", "circuit"} == set(api.columns) - {"start", "result"}
    for role in ("R_int", "R_ct"):
        for column in (f"{role}_ohm", f"{role}_face_ohm", f"{role}_C_F", f"{role}_face_C_F"):
            np.testing.assert_allclose(cli[column], api[column], rtol=1e-5)
    np.testing.assert_allclose(cli["R_bulk_ohm"], api["R_bulk_ohm"], rtol=1e-5)
    # R_int_face is half of R_int in a symmetric cell (two faces in series)
    np.testing.assert_allclose(cli["R_int_face_ohm"], cli["R_int_ohm"] / 2, rtol=1e-12)


def test_the_progress_bar_covers_reading_fitting_and_plotting(tmp_path, capsys, monkeypatch):
    """The bar covered only the fitting (issue 15): one bar per stage, each run to its end
    (the writing of 1,000 results takes seconds)."""
    from contextlib import contextmanager

    import echem.cli.fit

    bars = []

    @contextmanager
    def recorded(total, description, unit):
        bar = {"total": total, "stage": description, "done": 0}
        bars.append(bar)

        class Bar:
            def update(self, n=1):
                bar["done"] += n

        yield Bar()

    monkeypatch.setattr(echem.cli.fit, "progress", recorded)
    data = tmp_path / "data"
    _write_spectra(data, [f"s{k}.csv" for k in range(3)])
    (data / "junk.bin").write_bytes(bytes(range(256)))
    code, out, _, err = _fit(tmp_path, capsys, data)
    assert code == 0, err
    assert [(b["stage"], b["total"], b["done"]) for b in bars] == [
        ("read", 4, 4),
        ("fit + plot", 3, 3),
        ("write", 2, 2),  # the results table, then the CSV and JSON files
    ]


def test_a_line_break_in_a_file_name_stays_on_one_line(tmp_path, capsys):
    """A name holding a line break split its 'skipped' line in two (a second line that
    looked like a report of its own); shown as \\n now, as in results.csv."""
    data = tmp_path / "data"
    _write_spectra(data, ["two\nlines.csv"])
    (data / "junk\nfile.bin").write_bytes(bytes(range(256)))
    code, out, _, err = _fit(tmp_path, capsys, data, "--no-plots")
    assert code == 0
    assert err == [
        f"echem: skipped {data}/junk\\nfile.bin: no format echem reads (echem info FILE says why)"
    ]
    assert list(pd.read_csv(out / "results.csv")["file"]) == [f"{data}/two\\nlines.csv"]


def test_jobs_beyond_the_cores_or_the_spectra_start_no_more_workers(tmp_path, capsys, monkeypatch):
    """--jobs 64 started up to 64 processes (each with its interpreter, matplotlib and a
    figure: gigabytes) on a 2-core machine, and --jobs 8 started a pool for one spectrum."""
    import echem.cli._batch

    pools = []
    real_pool = echem.cli._batch.local_pool

    def recorded(jobs, *args, **kwargs):
        pools.append(jobs)
        return real_pool(jobs, *args, **kwargs)

    monkeypatch.setattr(echem.cli._batch, "local_pool", recorded)
    monkeypatch.setattr(echem.cli._batch, "usable_cores", lambda: 2)
    data = tmp_path / "data"
    paths = _write_spectra(data, ["s1.csv", "s2.csv", "s3.csv"])
    code, out, _, err = _fit(tmp_path, capsys, data, "--jobs", "64", "--no-plots")
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv(out / "results.csv")["R1"], [100, 110, 120], rtol=1e-6)
    code, _, _, err = _fit(tmp_path / "one", capsys, paths[0], "--jobs", "8", "--no-plots")
    assert code == 0, err
    assert pools == [2]  # two workers for three spectra on two cores; none for one spectrum


def test_sigterm_while_a_worker_starts_ends_it_without_a_traceback(monkeypatch):
    """SIGTERM arriving while a worker ran its initializer was logged by the pool as
    'Exception in initializer' with a traceback ending in '_WorkerEnd: 143' on the user's
    terminal (the likely source of such a traceback, seen once in about 20 SIGTERMs to
    --jobs 2 under load)."""
    import signal
    import threading

    from echem.cli import _batch

    class Exited(Exception):
        pass

    def exit_(code):
        raise Exited(code)

    def signal_arrives(self):
        _batch._end_worker(signal.SIGTERM, None)

    handlers = {}
    monkeypatch.setattr(
        signal, "signal", lambda number, handler: handlers.update({number: handler})
    )
    monkeypatch.setattr(threading.Thread, "start", signal_arrives)
    monkeypatch.setattr(_batch.os, "_exit", exit_)
    monkeypatch.setattr(_batch, "_worker_pipeline", None)
    with pytest.raises(Exited) as exited:
        _batch._start_worker(os.getpid(), _batch.Settings(RC))
    assert exited.value.args == (128 + signal.SIGTERM,)
    assert handlers[signal.SIGTERM] is _batch._end_worker


def test_a_spectrum_that_could_not_be_fitted_has_the_row_fit_many_gives(tmp_path, capsys):
    """Its row had only file, sweep, time and error: success and ok were empty (NaN, not
    False) and its circuit unnamed, where fit_many gives NaN parameters, success False."""
    from echem.eis import fit_many

    data = tmp_path / "data"
    _write_spectra(data, ["good.csv"])
    _write_spectra(data / "few", ["two.csv"], points=2)  # 2 points, 3 free parameters
    code, out, _, err = _fit(tmp_path, capsys, data / "good.csv", data / "few" / "two.csv")
    assert code == 1 and len(err) == 1 and "two.csv" in err[0]
    table = pd.read_csv(out / "results.csv")
    assert table["success"].dtype == bool and list(table["success"]) == [True, False]
    assert list(table["ok"]) == [True, False]
    assert list(table["circuit"]) == [RC, RC]
    assert table.loc[1, ["R0", "R1", "C1"]].isna().all()
    api = fit_many(
        [pd.read_csv(data / "few" / "two.csv", names=["freq_Hz", "z_real_ohm", "z_imag_ohm"])], RC
    )
    assert set(api.columns) - {"result", "error"} <= set(table.columns)
    assert not api.loc[0, "success"] and not api.loc[0, "ok"]
