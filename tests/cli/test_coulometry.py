"""``echem coulometry``: summary, CT table, atomic CSV outputs, one-line failures."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import FIXTURES, real

from echem.cli import main

OPERANDO = FIXTURES / "operando"
CP = OPERANDO / "li3ps4_plating_02_CP_C01.mpt"
CT = OPERANDO / "ct_li_volume.csv"


def test_summary_with_ct_and_outputs(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["coulometry", str(CP), "--area", "0.785", "--ct", str(CT), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "cathodic" in text
    assert "short circuit: at 11520 s (3.2 h)" in text
    assert "12.41" in text  # um of Li over 0.785 cm2 up to the short
    assert "gaps: 0" in text and "instrument charge" in text
    assert "Li3PS4 + 8 Li -> 4 Li2S + Li3P" in text
    written = sorted(p.name for p in out.iterdir())
    stem = CP.name
    assert written == sorted(
        f"{stem}_{name}.csv"
        for name in ("charge_steps", "gaps", "cumulative_charge", "ct_comparison")
    )
    steps = pd.read_csv(out / f"{stem}_charge_steps.csv")
    assert steps["charge_C"].iloc[0] == pytest.approx(-0.628e-3 * 11520, rel=1e-3)
    comparison = pd.read_csv(out / f"{stem}_ct_comparison.csv")
    assert len(comparison) == 7 and comparison["ct_to_theory"].iloc[-1] == pytest.approx(
        0.8, rel=0.035
    )
    cumulative = pd.read_csv(out / f"{stem}_cumulative_charge.csv")
    assert list(cumulative.columns) == ["time_s", "cumulative_charge_C"]


def test_area_defaults_to_the_header_and_short_can_be_ignored(capsys):
    assert main(["coulometry", str(CP), "--no-stop-at-short"]) == 0
    text = capsys.readouterr().out
    assert "electrode area 0.785 cm2" in text
    assert "integrated up to" not in text


def test_real_file_with_gaps(capsys):
    path = real("biologic/cp.issue_149.mpt")
    assert main(["coulometry", str(path), "--area", "1"]) == 0
    assert "gaps: 3" in capsys.readouterr().out


def test_bad_inputs_fail_with_one_stderr_line(tmp_path, capsys):
    bad = tmp_path / "bad.mpt"
    bad.write_text("not an instrument file\n")
    assert main(["coulometry", str(bad), "--area", "1"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "bad.mpt" in captured.err
    bad_ct = tmp_path / "ct.csv"
    bad_ct.write_text("time_h,volume_um3\n1,2\n")  # no time reference
    out = tmp_path / "out"
    assert main(["coulometry", str(CP), "--ct", str(bad_ct), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1 and "ct.csv" in captured.err
    assert not out.exists()  # nothing written when the command fails
    with pytest.raises(SystemExit) as exit_:  # a usage error (was exit 1, the file blamed)
        main(["coulometry", str(CP), "--area", "-1"])
    assert exit_.value.code == 2 and "--area" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("relative", "area"),
    [
        ("biologic/gcpl.issue_230.mpr", "0.001"),  # said 'the header does not state it'
        ("biologic/gcpl.issue_226.I.mpr", "1.131"),  # 113.1 mm²: info showed 113.1
    ],
)
def test_info_and_coulometry_state_the_same_header_area(capsys, relative, area):
    """echem info showed 0.001 for gcpl.issue_230.mpr (unit 'usually cm²') while echem
    coulometry said the header does not state it; 113.1 mm² was shown as 113.1."""
    path = real(relative)
    assert main(["info", str(path)]) == 0
    info = capsys.readouterr().out
    shown = next(line.split(None, 1)[1] for line in info.splitlines() if "area" in line)
    assert shown.startswith(f"{area} cm²")
    assert main(["coulometry", str(path)]) == 0
    assert f"electrode area {area} cm2 (from the file's header" in capsys.readouterr().out


def test_an_area_argument_says_where_it_comes_from(capsys):
    assert main(["coulometry", str(CP), "--area", "0.5"]) == 0
    assert "electrode area 0.5 cm2 (--area)" in capsys.readouterr().out
