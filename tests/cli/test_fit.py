"""``echem fit``: every sweep of every file fitted; CSV, JSON and PNG outputs; bad files named."""

from __future__ import annotations

import json
import shutil
import sys

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


def test_fit_bad_circuit_is_one_line(tmp_path, capsys):
    code = main(["fit", str(PEIS_FIXTURE), "--circuit", "R0-p(R1", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.iterdir())


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
