"""The README stays true: its quick start is what CI runs, and its API tour runs and says the truth."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    install_and_demo, install_and_test = (block.strip() for block in _blocks("bash")[:2])
    assert "\n" not in install_and_demo and "\n" not in install_and_test
    assert "echem demo" in install_and_demo and "pip install ." in install_and_demo
    assert "pytest" in install_and_test and '".[test]"' in install_and_test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci.splitlines()


def test_cli_reference_lists_every_command():
    from echem.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in commands:
        assert f"`echem {name}" in README, name


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_api_tour_runs_and_its_comments_are_right(capsys):
    matplotlib.use("Agg")
    (tour,) = [block for block in _blocks("python") if "import echem" in block]
    namespace: dict = {}
    exec(compile(tour, "README.md", "exec"), namespace)  # noqa: S102 (our own README)
    assert namespace["peis"].attrs["format"] == "biologic-mpt"
    assert len(namespace["sweeps"]) == 7
    arcs = namespace["result"].arcs
    assert arcs["role"].tolist() == ["R_int", "R_ct"]
    assert arcs["R_ohm"].round(2).tolist() == pytest.approx([29.92, 249.54], abs=0.01)
    assert namespace["result"].ok and namespace["result"].problems == ()
    three = namespace["three"]
    assert not three.ok
    assert three.problems[0] == "R3 = 3.097 Ω is not determined: stderr 252 % of its value"
    assert three.problems[1].startswith(
        "CPE3_Q = 0.003484 F s^(n-1) is not determined: stderr 206 % of its value even at 100 mHz"
    )
    assert three.problems[2].startswith("CPE3_n = 1 is not determined: stderr 53.3 %")
    assert three.arcs["role"].iloc[:2].tolist() == ["R_int", "R_ct"]
    assert three.arcs["role"].isna().iloc[2]
    relax = namespace["relax"]
    assert relax.peaks["R_ohm"].round(1).tolist() == [29.7, 252.3]
    assert "R = 29.72 Ohm (10.5 %)" in relax.summary()
    auto = namespace["auto"]
    assert str(auto.circuit) == "R0-p(R1,CPE1)-p(R2,CPE2)" and auto.ok
    assert auto.candidates["chosen"].sum() == 1
    assert namespace["series"]["ok"].all()
    assert namespace["t_short_s"] == pytest.approx(11520, abs=60)
    assert namespace["q_C"] == pytest.approx(-7.234, abs=0.001)
    thickness = namespace["echem"].coulometry.li_thickness_um(abs(namespace["q_C"]), area_cm2=0.785)
    assert thickness == pytest.approx(12.41, abs=0.01)
    assert namespace["kk"].valid
    import matplotlib.pyplot as plt

    plt.close("all")
