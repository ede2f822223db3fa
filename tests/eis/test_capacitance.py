"""Effective capacitance, apex frequency, conductivity and role assignment."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from echem.eis.arc_table import arcs
from echem.eis.capacitance import (
    apex_frequency,
    conductivity,
    cpe_q_from_capacitance,
    effective_capacitance,
)
from echem.eis.circuit import Circuit
from echem.eis.roles import DEFAULT_ROLES, PRESETS, Role, as_roles, assign_role, roles_table
from echem.errors import DataError


def test_hsu_mansfeld_matches_hand_calculation():
    # C = Q^(1/n) R^((1-n)/n) with Q = 1e-5, n = 0.8, R = 100: 1e-5^1.25 * 100^0.25
    expected = (1e-5) ** 1.25 * 100**0.25
    assert effective_capacitance(1e-5, 0.8, 100) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(1.778279e-6, rel=1e-6)


@pytest.mark.parametrize("R, Q, n", [(200, 3e-8, 0.9), (1500, 4e-5, 0.85), (10, 1e-3, 0.7)])
def test_hsu_mansfeld_capacitance_reproduces_the_apex_frequency(R, Q, n):
    """Independent identity: an R∥C with C = C_eff has the same apex as the R∥CPE."""
    C = effective_capacitance(Q, n, R)
    assert apex_frequency(R, Q, n) == pytest.approx(1 / (2 * np.pi * R * C), rel=1e-10)
    # and the apex really is where -Z'' of R∥CPE peaks
    f = np.geomspace(1e-4, 1e9, 200001)
    z = R / (1 + R * Q * (2j * np.pi * f) ** n)
    assert f[np.argmax(-z.imag)] == pytest.approx(apex_frequency(R, Q, n), rel=1e-3)


def test_pure_capacitor_limit():
    assert effective_capacitance(2e-6, 1.0, 123.0) == pytest.approx(2e-6)
    assert effective_capacitance(2e-6, 1.0, 123.0, method="brug", R_series_ohm=7) == pytest.approx(
        2e-6
    )
    assert apex_frequency(100, 1e-6) == pytest.approx(1 / (2 * np.pi * 1e-4))


def test_brug_formula_and_blocking_limit():
    Q, n, Re, Rt = 2e-5, 0.8, 20.0, 1000.0
    expected = Q ** (1 / n) * (1 / Re + 1 / Rt) ** ((n - 1) / n)
    assert effective_capacitance(Q, n, Rt, method="brug", R_series_ohm=Re) == pytest.approx(
        expected
    )
    blocking = Q ** (1 / n) * Re ** ((1 - n) / n)
    assert effective_capacitance(Q, n, None, method="brug", R_series_ohm=Re) == pytest.approx(
        blocking
    )
    assert effective_capacitance(Q, n, np.inf, method="brug", R_series_ohm=Re) == pytest.approx(
        blocking
    )
    # Hirschorn et al.: the two differ a lot at n = 0.8
    hm = effective_capacitance(Q, n, Rt)
    assert hm / expected > 2


@pytest.mark.parametrize("method", ["hsu-mansfeld", "brug"])
def test_q_from_capacitance_inverts(method):
    n = np.array([0.7, 0.85, 0.95])
    R = np.array([50.0, 1500.0, 2e5])
    Q = cpe_q_from_capacitance(1e-8, n, R, method=method, R_series_ohm=25.0)
    back = effective_capacitance(Q, n, R, method=method, R_series_ohm=25.0)
    assert np.allclose(back, 1e-8, rtol=1e-12)


def test_diffusion_like_exponent_gives_nan():
    assert np.isnan(effective_capacitance(1e-3, 0.5, 100.0))
    assert np.isnan(effective_capacitance(1e-3, 0.59, 100.0))
    assert np.isfinite(effective_capacitance(1e-3, 0.6, 100.0))
    assert np.isfinite(effective_capacitance(1e-3, 0.5, 100.0, min_n=0.4))


def test_bad_method_and_missing_resistances():
    with pytest.raises(DataError):
        effective_capacitance(1e-6, 0.9, 10, method="magic")
    with pytest.raises(DataError):
        effective_capacitance(1e-6, 0.9, None)
    with pytest.raises(DataError):
        effective_capacitance(1e-6, 0.9, 10, method="brug")


def test_conductivity_of_the_seed_electrolyte():
    # Li3PS4, sigma 5.0e-4 S/cm: a 1 mm pellet of 1 cm2 has R = 0.1 / 5e-4 = 200 ohm
    assert conductivity(200.0, 0.1, 1.0) == pytest.approx(5.0e-4)
    assert np.allclose(conductivity(np.array([100.0, 400.0]), 0.05, 0.5), [1e-3, 2.5e-4])
    with pytest.raises(DataError):
        conductivity(100.0, 0.0, 1.0)


@pytest.mark.parametrize("C_F", np.geomspace(2.5e-9, 8e-8, 12))
def test_default_table_names_interphase_around_1e_8(C_F):
    assert assign_role(C_F)[0] == "R_int"


@pytest.mark.parametrize("C_F", np.geomspace(2e-7, 8e-5, 12))
def test_default_table_names_charge_transfer_around_1e_5(C_F):
    assert assign_role(C_F)[0] == "R_ct"


def test_overlap_goes_to_nearest_logarithmic_centre_with_candidates():
    # 3e-9 F lies in R_gb (1e-11..1e-8, centre 3.2e-10) and R_int (1e-9..1e-7, centre 1e-8)
    assert assign_role(3e-9) == ("R_int", ("R_gb",))
    assert assign_role(1.2e-9) == ("R_gb", ("R_int",))
    assert assign_role(1e-12) == ("R_bulk", ())
    assert assign_role(1e-3) == ("R_reaction", ())
    assert assign_role(1e-20) == (None, ())
    assert assign_role(float("nan")) == (None, ())


def test_roles_can_be_overridden_or_replaced():
    custom = {"R_sei": (1e-9, 1e-6, "SEI"), "R_dl": (1e-6, 1e-3)}
    assert assign_role(1e-8, custom) == ("R_sei", ())
    assert assign_role(1e-5, custom) == ("R_dl", ())
    assert assign_role(1e-8, {"R_int": (1e-9, 1e-7), "R_ct": (1e-7, 1e-4)})[0] == "R_int"
    # a DataFrame round trip, edited
    table = roles_table()
    assert list(table["name"]) == ["R_bulk", "R_gb", "R_int", "R_ct", "R_reaction"]
    table.loc[table["name"] == "R_int", "high_F"] = 1e-5  # centre now 1e-7
    assert assign_role(3e-7, table) == ("R_int", ("R_ct",))
    assert assign_role(3e-7) == ("R_ct", ())  # the default is untouched
    # preset by name
    assert [r.name for r in as_roles("li-sse-symmetric")] == ["R_int", "R_ct"]
    assert assign_role(1e-11, "li-sse-symmetric") == (None, ())


def test_bad_role_tables_raise():
    with pytest.raises(DataError):
        Role("x", 1e-6, 1e-9)
    with pytest.raises(DataError):
        as_roles({"x": (1.0,)})
    with pytest.raises(DataError):
        as_roles("no-such-preset")
    with pytest.raises(DataError):
        as_roles(pd.DataFrame({"name": ["a"]}))


def test_default_table_and_presets_are_read_only():
    assert isinstance(DEFAULT_ROLES, tuple)
    with pytest.raises(TypeError):
        PRESETS["x"] = None  # type: ignore[index]
    preset = PRESETS["li-sse-symmetric"]
    assert preset.circuit == "R0-p(R1,CPE1)-p(R2,CPE2)"
    assert preset.series_roles["R0"] == "R_bulk"
    assert preset.symmetric


# --- the arcs table -------------------------------------------------------------------------
# A unit test of arcs() needs only a circuit and parameter values: a stand-in result with the
# FitResult attributes arcs() reads (circuit, values, stderr). The end-to-end path through the
# real fit is in tests/test_series.py.


def _result(circuit: str, values: dict, stderr: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        circuit=Circuit(circuit),
        values=values,
        stderr=stderr or {name: 0.01 * value for name, value in values.items()},
    )


def _seed_values() -> dict:
    return {
        "R0": 25.0,
        "R1": 200.0,
        "CPE1_Q": cpe_q_from_capacitance(1e-8, 0.9, 200.0),
        "CPE1_n": 0.9,
        "R2": 1500.0,
        "CPE2_Q": cpe_q_from_capacitance(1e-5, 0.85, 1500.0),
        "CPE2_n": 0.85,
    }


def test_arcs_sorted_by_apex_frequency_with_capacitance_and_roles():
    # the low-frequency arc is written first: the table must still start with the fast one
    table = arcs(_result("R0-p(R2,CPE2)-p(R1,CPE1)", _seed_values()))
    assert list(table["resistor"]) == ["R1", "R2"]
    assert list(table["element"]) == ["CPE1", "CPE2"]
    assert list(table["role"]) == ["R_int", "R_ct"]
    assert np.allclose(table["C_F"], [1e-8, 1e-5], rtol=1e-10)
    assert np.allclose(table["f0_Hz"], 1 / (2 * np.pi * np.array([200 * 1e-8, 1500 * 1e-5])))
    assert np.allclose(table["R_ohm"], [200, 1500])
    assert np.allclose(table["R_stderr_ohm"], [2.0, 15.0])
    assert np.allclose(table["n"], [0.9, 0.85])
    assert (table["R_series_ohm"] == 25.0).all()
    assert (table["C_method"] == "hsu-mansfeld").all()
    assert "interphase" in table["description"].iloc[0]
    assert "charge transfer" in table["description"].iloc[1]
    assert table.attrs["series_resistors"] == ("R0",)


def test_arcs_with_brug_use_the_series_resistance():
    values = _seed_values()
    table = arcs(_result("R0-p(R1,CPE1)-p(R2,CPE2)", values), method="brug")
    expected = effective_capacitance(
        values["CPE2_Q"], 0.85, 1500.0, method="brug", R_series_ohm=25.0
    )
    assert table["C_F"].iloc[1] == pytest.approx(expected, rel=1e-12)
    assert (table["C_method"] == "brug").all()
    # without a series resistor Brug has no R_e: no capacitance
    no_series = arcs(
        _result("p(R1,CPE1)", {"R1": 10.0, "CPE1_Q": 1e-6, "CPE1_n": 0.9}), method="brug"
    )
    assert np.isnan(no_series["R_series_ohm"].iloc[0]) and np.isnan(no_series["C_F"].iloc[0])


def test_pure_capacitor_randles_branch_and_diffusion_like_cpe():
    values = {
        "R0": 5.0, "R1": 100.0, "C1": 2e-9,
        "R2": 300.0, "W2": 50.0, "CPE2_Q": 3e-5, "CPE2_n": 0.9,
        "R3": 1e4, "CPE3_Q": 1e-3, "CPE3_n": 0.5,
    }  # fmt: skip
    table = arcs(_result("R0-p(R1,C1)-p(R2-W2,CPE2)-p(R3,CPE3)", values))
    by_element = table.set_index("element")
    assert by_element.loc["C1", "C_F"] == 2e-9
    assert by_element.loc["C1", "n"] == 1.0 and by_element.loc["C1", "C_method"] == "C"
    assert by_element.loc["C1", "f0_Hz"] == pytest.approx(1 / (2 * np.pi * 100 * 2e-9))
    assert by_element.loc["CPE2", "resistor"] == "R2"
    assert "W2" in by_element.loc["CPE2", "description"]
    assert by_element.loc["CPE2", "C_F"] == pytest.approx(effective_capacitance(3e-5, 0.9, 300.0))
    assert np.isnan(by_element.loc["CPE3", "C_F"])
    assert pd.isna(by_element.loc["CPE3", "role"])
    assert by_element.loc["CPE3", "C_method"].startswith("none")
    assert list(table["element"]) == ["C1", "CPE2", "CPE3"]  # by f0, highest first


def test_not_arcs_are_left_out():
    values = {"R0": 1.0, "R1": 2.0, "L1": 1e-6, "R2": 3.0, "C2": 1e-6, "C3": 1e-6}
    table = arcs(_result("R0-p(R1,L1)-p(R2,C2,C3)", values))
    assert table.empty and "role" in table.columns


def test_area_symmetric_cell_and_cell_constant():
    values = _seed_values()
    table = arcs(_result("R0-p(R1,CPE1)-p(R2,CPE2)", values), area_cm2=2.0, symmetric=True)
    assert np.allclose(table["ASR_ohm_cm2"], [400, 3000])
    assert np.allclose(table["C_per_area_F_cm2"], [0.5e-8, 0.5e-5])
    assert np.allclose(table["R_face_ohm"], [100, 750])
    assert np.allclose(table["C_face_F"], [2e-8, 2e-5])
    assert np.allclose(table["ASR_face_ohm_cm2"], [200, 1500])
    # the preset is a symmetric cell: per-face values come by themselves
    preset = arcs(_result(PRESETS["li-sse-symmetric"].circuit, values), roles="li-sse-symmetric")
    assert "R_face_ohm" in preset and preset.attrs["series_roles"] == {"R0": "R_bulk"}
    # ISW's table is for l/A = 1 cm^-1: a 1.5 mm, 1 cm2 pellet scales C by 0.15 for the lookup
    result = _result("R0-p(R1,CPE1)-p(R2,CPE2)", values)
    plain = arcs(result, thickness_cm=0.15, area_cm2=1.0)
    assert list(plain["role"]) == ["R_int", "R_ct"]  # not normalised unless asked
    scaled = arcs(result, thickness_cm=0.15, area_cm2=1.0, normalise_cell_constant=True)
    assert np.allclose(scaled["C_lookup_F"], [1.5e-9, 1.5e-6])
    assert np.allclose(scaled["C_F"], [1e-8, 1e-5])
    assert list(scaled["role"]) == ["R_gb", "R_ct"]
    assert scaled["role_candidates"].iloc[0] == ("R_int",)
    with pytest.raises(DataError):
        arcs(result, thickness_cm=0.15, normalise_cell_constant=True)


def test_bulk_roles_are_not_per_face():
    values = {"R0": 1.0, "R1": 500.0, "C1": 1e-12}
    table = arcs(_result("R0-p(R1,C1)", values), symmetric=True)
    assert table["role"].iloc[0] == "R_bulk"
    assert np.isnan(table["R_face_ohm"].iloc[0]) and np.isnan(table["C_face_F"].iloc[0])


def test_two_arcs_never_share_a_role():
    values = {"R1": 100.0, "C1": 1e-8, "R2": 1000.0, "C2": 3e-9}
    table = arcs(_result("p(R1,C1)-p(R2,C2)", values)).set_index("element")
    assert table.loc["C1", "role"] == "R_int"  # nearer the R_int centre, keeps it
    assert table.loc["C2", "role"] == "R_gb"  # takes its next candidate
    values = {"R1": 100.0, "C1": 1e-8, "R2": 1000.0, "C2": 2e-8}
    table = arcs(_result("p(R1,C1)-p(R2,C2)", values)).set_index("element")
    assert table.loc["C1", "role"] == "R_int"
    assert table.loc["C2", "role"] == "R_int_2"
    assert "interphase" in table.loc["C2", "description"]


def test_custom_roles_reach_the_arcs_table():
    roles = {"R_sei": (1e-9, 1e-7, "SEI"), "R_dl": (1e-7, 1e-4, "double layer")}
    table = arcs(_result("R0-p(R1,CPE1)-p(R2,CPE2)", _seed_values()), roles=roles)
    assert list(table["role"]) == ["R_sei", "R_dl"]
    assert list(table["description"]) == ["SEI", "double layer"]


def test_arcs_is_importable_from_eis():
    import echem.eis

    result = _result("R0-p(R1,CPE1)-p(R2,CPE2)", _seed_values())
    assert arcs(result).equals(echem.eis.arcs(result))
