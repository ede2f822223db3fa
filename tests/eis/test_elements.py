"""The element table: formulas against impedance.py 1.7.1 and against analytic limits."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from echem.eis.elements import ELEMENTS, Element

impedance_elements = pytest.importorskip("impedance.models.circuits.elements")

FREQ_HZ = np.logspace(-3, 7, 91)
OMEGA = 2 * np.pi * FREQ_HZ

#: Parameter sets per element kind (impedance.py order), including boundary exponents.
CASES = {
    "R": [(0.0,), (12.5,), (3.3e6,)],
    "C": [(1e-12,), (2.2e-6,), (0.5,)],
    "L": [(1e-9,), (3.1e-6,)],
    "CPE": [(1e-6, 0.9), (3.3e-9, 1.0), (2e-4, 0.5), (1e-5, 0.05)],
    "W": [(1.0,), (250.0,)],
    "Wo": [(100.0, 1.0), (5.0, 1e-4), (1e3, 30.0)],
    "Ws": [(100.0, 1.0), (5.0, 1e-4), (1e3, 30.0)],
    "G": [(100.0, 1e-3), (7.0, 10.0)],
    "La": [(1e-6, 0.9), (3e-7, 1.0), (1e-3, 0.4)],
}


def reference(kind: str, params: tuple[float, ...], freq_Hz: np.ndarray = FREQ_HZ) -> np.ndarray:
    """impedance.py's own element function (it wants a list of floats)."""
    return np.asarray(impedance_elements.circuit_elements[kind](list(params), list(freq_Hz)))


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-10) -> None:
    """Relative agreement measured on |Z| (components may cross zero)."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    error = np.abs(actual - expected) / np.abs(expected)
    assert np.max(error) <= rtol, f"max relative error {np.max(error):.3g}"


def test_table_has_every_required_kind() -> None:
    assert set(ELEMENTS) == {"R", "C", "L", "CPE", "W", "Wo", "Ws", "G", "La"}
    assert set(CASES) == set(ELEMENTS)


@pytest.mark.parametrize("kind", sorted(ELEMENTS))
def test_rows_are_consistent(kind: str) -> None:
    element = ELEMENTS[kind]
    assert isinstance(element, Element)
    assert element.type == kind
    assert element.description and element.reference
    assert "impedance.py" in element.reference
    specs = element.parameters
    # same number of parameters as impedance.py, in its order
    assert len(specs) == impedance_elements.circuit_elements[kind].num_params
    if len(specs) == 1:
        assert specs[0].symbol == ""
    else:
        symbols = [s.symbol for s in specs]
        assert all(symbols) and len(set(symbols)) == len(symbols)
    for spec in specs:
        assert spec.lower < spec.default < spec.upper
        if spec.log:
            assert spec.lower >= 0 and spec.upper == math.inf
        else:  # exponents: 0 < n <= 1
            assert (spec.lower, spec.upper) == (0.0, 1.0) and spec.unit == ""


def test_symbols_follow_the_physics() -> None:
    symbols = {k: tuple(s.symbol for s in e.parameters) for k, e in ELEMENTS.items()}
    assert symbols["CPE"] == ("Q", "n")
    assert symbols["Wo"] == symbols["Ws"] == symbols["G"] == ("R", "tau")
    assert symbols["La"] == ("L", "alpha")
    units = {k: tuple(s.unit for s in e.parameters) for k, e in ELEMENTS.items()}
    assert units["R"] == ("Ω",) and units["C"] == ("F",) and units["L"] == ("H",)
    assert units["CPE"] == ("F s^(n-1)", "")
    assert units["Wo"] == ("Ω", "s")


@pytest.mark.parametrize(("kind", "params"), [(k, p) for k, cases in CASES.items() for p in cases])
def test_agrees_with_impedance_py(kind: str, params: tuple[float, ...]) -> None:
    if kind == "R" and params[0] == 0.0:
        assert np.all(ELEMENTS["R"].impedance(OMEGA, 0.0) == 0)
        return
    assert_close(ELEMENTS[kind].impedance(OMEGA, *params), reference(kind, params))


@pytest.mark.parametrize(("kind", "params"), [(k, p) for k, cases in CASES.items() for p in cases])
def test_admittance_is_reciprocal_impedance(kind: str, params: tuple[float, ...]) -> None:
    element = ELEMENTS[kind]
    if element.admittance is None or (kind == "R" and params[0] == 0.0):
        return
    product = element.admittance(OMEGA, *params) * element.impedance(OMEGA, *params)
    np.testing.assert_allclose(product, 1.0, rtol=1e-13, atol=0)


@pytest.mark.parametrize("kind", sorted(ELEMENTS))
def test_returns_complex_array_shaped_like_omega(kind: str) -> None:
    element = ELEMENTS[kind]
    z = element.impedance(OMEGA, *CASES[kind][0])
    assert z.shape == OMEGA.shape and np.iscomplexobj(z)


@pytest.mark.parametrize("kind", sorted(ELEMENTS))
def test_parameters_broadcast_as_columns(kind: str) -> None:
    """Columns of k parameter sets against a row of frequencies give a (k, m) table."""
    cases = CASES[kind]
    columns = [np.array([case[i] for case in cases])[:, None] for i in range(len(cases[0]))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # R = 0 admittance
        table = ELEMENTS[kind].impedance(OMEGA, *columns)
        assert table.shape == (len(cases), OMEGA.size)
        for row, case in zip(table, cases, strict=True):
            np.testing.assert_allclose(
                row, ELEMENTS[kind].impedance(OMEGA, *case), rtol=1e-14, atol=0
            )


# --- analytic checks, independent of impedance.py ---------------------------------------------


def test_cpe_with_n_one_is_a_capacitor() -> None:
    np.testing.assert_allclose(
        ELEMENTS["CPE"].impedance(OMEGA, 2e-6, 1.0),
        ELEMENTS["C"].impedance(OMEGA, 2e-6),
        rtol=1e-14,
    )


def test_cpe_phase_is_minus_n_times_90_degrees() -> None:
    for n in (0.3, 0.75, 0.9):
        z = ELEMENTS["CPE"].impedance(OMEGA, 1e-6, n)
        np.testing.assert_allclose(np.angle(z), -n * np.pi / 2, rtol=1e-12)
        np.testing.assert_allclose(np.abs(z), 1 / (1e-6 * OMEGA**n), rtol=1e-12)


def test_capacitor_and_inductor() -> None:
    np.testing.assert_allclose(ELEMENTS["C"].impedance(np.array([1e3]), 1e-6), [-1e3j], rtol=1e-15)
    np.testing.assert_allclose(ELEMENTS["L"].impedance(np.array([1e3]), 1e-6), [1e-3j], rtol=1e-15)


def test_warburg_has_45_degree_phase_and_slope() -> None:
    z = ELEMENTS["W"].impedance(OMEGA, 30.0)
    np.testing.assert_allclose(z.real, -z.imag, rtol=1e-14)
    np.testing.assert_allclose(z.real * np.sqrt(OMEGA), 30.0, rtol=1e-14)


def test_finite_warburg_limits() -> None:
    R, tau = 80.0, 2.0
    low = np.array([1e-7])
    # short (transmissive): Z -> R at low frequency; semi-infinite 45° behaviour at high frequency
    np.testing.assert_allclose(ELEMENTS["Ws"].impedance(low, R, tau), [R], rtol=1e-6)
    # open (reflective): Z -> R/3 + R/(j ω τ)
    z_open = ELEMENTS["Wo"].impedance(low, R, tau)
    np.testing.assert_allclose(z_open.real, R / 3, rtol=1e-6)
    np.testing.assert_allclose(z_open.imag, -R / (low * tau), rtol=1e-6)
    high = np.array([1e6])
    for kind in ("Wo", "Ws"):
        z = ELEMENTS[kind].impedance(high, R, tau)
        np.testing.assert_allclose(z, R * (1 - 1j) / np.sqrt(2 * high * tau), rtol=1e-9)


def test_gerischer_limits() -> None:
    np.testing.assert_allclose(
        ELEMENTS["G"].impedance(np.array([1e-9]), 50.0, 1e-3), [50.0], rtol=1e-9
    )
    # at ω τ = 1: Z = R / sqrt(1 + j)
    np.testing.assert_allclose(
        ELEMENTS["G"].impedance(np.array([1e3]), 50.0, 1e-3), [50.0 / np.sqrt(1 + 1j)], rtol=1e-14
    )


def test_cpe_inductor_follows_impedance_py_convention() -> None:
    """La: Z = (jωL)^α; α = 1 is an inductor."""
    np.testing.assert_allclose(
        ELEMENTS["La"].impedance(OMEGA, 3e-7, 1.0), ELEMENTS["L"].impedance(OMEGA, 3e-7), rtol=1e-14
    )
    z = ELEMENTS["La"].impedance(np.array([1e4]), 1e-5, 0.5)
    np.testing.assert_allclose(z, [np.sqrt(1j * 1e4 * 1e-5)], rtol=1e-14)
