"""Circuit grammar, parameters, compiled impedance (against impedance.py and analytic results).

impedance.py's circuit strings (``CustomCircuit`` docstring): elements joined by ``-`` in series,
``p(a,b,...)`` in parallel, each element a type "appended with an integer (e.g. R0) or an
underscore and an integer (e.g. CPE_1)". Random valid circuits are compared with
``CustomCircuit(...).predict`` for the same parameters; malformed strings must raise
:class:`echem.CircuitError` with the position of the problem, never anything else.
"""

from __future__ import annotations

import math
import pickle
import warnings
from dataclasses import replace
from decimal import Decimal, getcontext

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import echem
from echem.eis.capacitance import apex_frequency, cpe_q_from_capacitance, effective_capacitance
from echem.eis.circuit import (
    MAX_DEPTH,
    Circuit,
    CircuitParameter,
    ElementNode,
    Parallel,
    Series,
    render,
)
from echem.eis.elements import ELEMENTS, Element, ElementKind, ParameterSpec, Quantity
from echem.eis.roles import DEFAULT_ROLES, assign_role, ranked_roles

FREQ_HZ = np.logspace(6.5, -1, 70)


#: circuit -> parameter values (impedance.py order).
COMPOSED = {
    "R0-p(R1,CPE1)-p(R2,CPE2)": [12.0, 150.0, 2e-8, 0.92, 900.0, 3e-5, 0.81],
    "R0-p(R1,C1)-p(R2-Wo1,C2)": [5.0, 80.0, 1e-7, 40.0, 60.0, 2.0, 1e-4],
    "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)": [3.0, 50, 1e-9, 0.95, 300, 1e-7, 0.85, 2e3, 1e-4, 0.7],
    "p(R1,p(R2,C2)-L1)": [100.0, 40.0, 1e-6, 1e-5],
    "L0-R0-p(R1,CPE1)-Ws1": [2e-7, 8.0, 100.0, 1e-6, 0.9, 50.0, 0.3],
    "R0-p(R1,G1)-La0": [10.0, 200.0, 30.0, 1e-3, 1e-6, 0.8],
    "R0-p(R1-W1,CPE1)": [4.0, 60.0, 25.0, 1e-5, 0.88],
    "p(R0,C0,L0)-Wo1": [10.0, 1e-6, 1e-3, 20.0, 0.5],
    "R1": [42.0],
    "CPE9": [1e-6, 0.8],
}


def impedance_py(text: str, params: list[float], freq_Hz: np.ndarray = FREQ_HZ) -> np.ndarray:
    circuits = pytest.importorskip("impedance.models.circuits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = circuits.CustomCircuit(text, initial_guess=list(params))
        return np.asarray(model.predict(freq_Hz, use_initial=True))


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(actual - expected) / np.abs(expected)))


@pytest.mark.parametrize("text", list(COMPOSED))
def test_composed_circuits_agree_with_impedance_py(text: str) -> None:
    params = COMPOSED[text]
    circuit = Circuit(text)
    assert len(circuit.param_names) == len(params)
    z = circuit.impedance(FREQ_HZ, params)
    assert z.shape == FREQ_HZ.shape and np.iscomplexobj(z)
    assert relative_error(z, impedance_py(text, params)) < 1e-10


def test_compiled_function_takes_omega_and_matches_impedance() -> None:
    circuit = Circuit("R0-p(R1,CPE1)-p(R2,CPE2)")
    f = circuit.compile()
    assert f is circuit.compile()  # built once
    params = np.array(COMPOSED[circuit.text])
    np.testing.assert_array_equal(
        f(params, 2 * np.pi * FREQ_HZ), circuit.impedance(FREQ_HZ, params)
    )


def test_compiled_function_broadcasts_over_parameter_sets() -> None:
    circuit = Circuit("R0-p(R1,CPE1)-p(R2-Wo1,C2)")
    rng = np.random.default_rng(3)
    sets = np.array([[5, 80, 1e-7, 0.9, 40, 60, 2.0, 1e-4]] * 4, dtype=float).T
    sets *= rng.uniform(0.5, 1.0, size=sets.shape)
    omega = 2 * np.pi * FREQ_HZ
    table = circuit.compile()(sets, omega)
    assert table.shape == (4, FREQ_HZ.size)
    for k in range(4):
        np.testing.assert_allclose(
            table[k], circuit.compile()(sets[:, k], omega), rtol=1e-13, atol=0
        )


def test_three_dimensional_parameters_broadcast_as_given() -> None:
    circuit = Circuit("R0-p(R1,CPE1)")
    sets = np.array([[10.0, 100.0, 1e-6, 0.9], [20.0, 50.0, 1e-5, 0.7]])  # (k, n_params)
    omega = 2 * np.pi * FREQ_HZ
    f = circuit.compile()
    np.testing.assert_array_equal(f(sets.T[..., None], omega), f(sets.T, omega))
    assert f(sets.T, omega).shape == (2, FREQ_HZ.size)


def test_resistor_only_circuit_still_returns_one_value_per_frequency() -> None:
    circuit = Circuit("R0-p(R1,R2)")
    z = circuit.impedance(FREQ_HZ, [1.0, 2.0, 2.0])
    np.testing.assert_allclose(z, np.full(FREQ_HZ.shape, 2.0 + 0j))
    table = circuit.compile()(np.array([[1.0, 3.0], [2.0, 2.0], [2.0, 2.0]]), 2 * np.pi * FREQ_HZ)
    np.testing.assert_allclose(table, [[2.0] * 70, [4.0] * 70])


def test_wrong_number_of_values_is_a_circuit_error() -> None:
    circuit = Circuit("R0-p(R1,C1)")
    with pytest.raises(echem.CircuitError, match="3 parameters"):
        circuit.impedance(FREQ_HZ, [1.0, 2.0])
    with pytest.raises(echem.CircuitError):
        circuit.compile()(np.ones(4), FREQ_HZ)
    with pytest.raises(echem.CircuitError):
        circuit.impedance(FREQ_HZ, ["a", 1, 2])


def test_rc_apex_is_at_one_over_two_pi_rc() -> None:
    R, C = 250.0, 4e-6
    f0 = 1 / (2 * np.pi * R * C)
    circuit = Circuit("p(R1,C1)")
    np.testing.assert_allclose(circuit.impedance([f0], [R, C]), [R / 2 - 0.5j * R], rtol=1e-14)
    freq = f0 * np.logspace(-2, 2, 4001)
    z = circuit.impedance(freq, [R, C])
    assert abs(freq[np.argmax(-z.imag)] / f0 - 1) < 1e-3


def test_cpe_apex_frequency() -> None:
    """R∥CPE apex at f0 = 1/(2π (RQ)^(1/n)) (GUIDE §6)."""
    R, Q, n = 1e3, 2e-6, 0.8
    f0 = 1 / (2 * np.pi * (R * Q) ** (1 / n))
    freq = f0 * np.logspace(-1, 1, 4001)
    z = Circuit("p(R1,CPE1)").impedance(freq, [R, Q, n])
    assert abs(freq[np.argmax(-z.imag)] / f0 - 1) < 2e-3


def test_low_frequency_limit_is_the_sum_of_resistances() -> None:
    circuit = Circuit("R0-p(R1,CPE1)-p(R2,C2)-p(R3-Ws1,CPE3)")
    params = {
        "R0": 7,
        "R1": 30,
        "CPE1_Q": 1e-6,
        "CPE1_n": 0.9,
        "R2": 300,
        "C2": 1e-5,
        "R3": 2e3,
        "Ws1_R": 500,
        "Ws1_tau": 0.1,
        "CPE3_Q": 1e-4,
        "CPE3_n": 0.85,
    }
    z0 = circuit.impedance([1e-12], params)
    np.testing.assert_allclose(z0.real, 7 + 30 + 300 + 2e3 + 500, rtol=1e-6)
    assert abs(z0.imag[0]) < 1e-3
    # and the high-frequency limit is the series resistance
    np.testing.assert_allclose(circuit.impedance([1e12], params).real, 7.0, rtol=1e-4)


def test_series_and_parallel_compose_as_sums_of_impedances_and_admittances() -> None:
    omega = 2 * np.pi * FREQ_HZ
    zr = ELEMENTS["R"].impedance(omega, 10.0)
    zc = ELEMENTS["C"].impedance(omega, 1e-6)
    zw = ELEMENTS["Wo"].impedance(omega, 5.0, 0.2)
    expected = zr + 1 / (1 / zc + 1 / (zr + zw))
    z = Circuit("R0-p(C1,R1-Wo1)").impedance(FREQ_HZ, [10.0, 1e-6, 10.0, 5.0, 0.2])
    np.testing.assert_allclose(z, expected, rtol=1e-13)


def test_tree_and_parameters() -> None:
    circuit = Circuit(" R0 - p( R1 , CPE1 ) - p(R2 - Wo1, C2) ")
    assert circuit.text == str(circuit) == "R0-p(R1,CPE1)-p(R2-Wo1,C2)"
    assert circuit.tree == Series(
        (
            ElementNode("R", "R0"),
            Parallel((ElementNode("R", "R1"), ElementNode("CPE", "CPE1"))),
            Parallel(
                (Series((ElementNode("R", "R2"), ElementNode("Wo", "Wo1"))), ElementNode("C", "C2"))
            ),
        )
    )
    assert [e.name for e in circuit.elements] == ["R0", "R1", "CPE1", "R2", "Wo1", "C2"]
    assert [e.position for e in circuit.elements] == [1, 9, 14, 25, 30, 35]
    assert circuit.param_names == ("R0", "R1", "CPE1_Q", "CPE1_n", "R2", "Wo1_R", "Wo1_tau", "C2")
    cpe_n = circuit.parameters[3]
    assert cpe_n == CircuitParameter(
        "CPE1_n",
        "CPE1",
        "CPE",
        "n",
        "",
        0.0,
        1.0,
        0.9,
        False,
        Quantity.EXPONENT,
        ElementKind.CAPACITIVE,
    )
    assert circuit.parameters[5].unit == "Ω" and circuit.parameters[6].unit == "s"
    assert circuit.parameter("CPE1_0").symbol == "Q"


def test_parameter_names_of_every_kind() -> None:
    circuit = Circuit("R1-C1-L1-CPE1-W1-Wo1-Ws1-G1-La1")
    assert circuit.param_names == (
        "R1",
        "C1",
        "L1",
        "CPE1_Q",
        "CPE1_n",
        "W1",
        "Wo1_R",
        "Wo1_tau",
        "Ws1_R",
        "Ws1_tau",
        "G1_R",
        "G1_tau",
        "La1_L",
        "La1_alpha",
    )


def test_impedance_py_aliases() -> None:
    circuit = Circuit("R0-p(R1,CPE1)-Wo1")
    assert circuit.canonical_name("CPE1_0") == "CPE1_Q"
    assert circuit.canonical_name("CPE1_1") == "CPE1_n"
    assert circuit.canonical_name("Wo1_1") == "Wo1_tau"
    assert circuit.canonical_name("R1") == "R1"
    assert circuit.canonical_name("CPE1_n") == "CPE1_n"
    for bad in ("CPE1_2", "R1_0", "CPE2_Q", "cpe1_q", "", "CPE1"):
        with pytest.raises(echem.CircuitError, match="no parameter"):
            circuit.canonical_name(bad)
    by_alias = {"R0": 1.0, "R1": 10.0, "CPE1_0": 1e-5, "CPE1_1": 0.8, "Wo1_0": 3.0, "Wo1_1": 0.5}
    by_name = {"R0": 1.0, "R1": 10.0, "CPE1_Q": 1e-5, "CPE1_n": 0.8, "Wo1_R": 3.0, "Wo1_tau": 0.5}
    vector = [1.0, 10.0, 1e-5, 0.8, 3.0, 0.5]
    z = circuit.impedance(FREQ_HZ, vector)
    np.testing.assert_array_equal(circuit.impedance(FREQ_HZ, by_alias), z)
    np.testing.assert_array_equal(circuit.impedance(FREQ_HZ, by_name), z)
    np.testing.assert_array_equal(circuit.values(by_alias), vector)


def test_bad_mappings() -> None:
    circuit = Circuit("R0-p(R1,CPE1)")
    with pytest.raises(echem.CircuitError, match="missing values for CPE1_n"):
        circuit.impedance(FREQ_HZ, {"R0": 1, "R1": 2, "CPE1_Q": 1e-6})
    with pytest.raises(echem.CircuitError, match="given twice"):
        circuit.values({"R0": 1, "R1": 2, "CPE1_Q": 1e-6, "CPE1_0": 1e-6, "CPE1_n": 1})
    with pytest.raises(echem.CircuitError, match="no parameter 'R7'"):
        circuit.values({"R0": 1, "R1": 2, "CPE1_Q": 1e-6, "CPE1_n": 1, "R7": 3})
    with pytest.raises(echem.CircuitError, match="not a number"):
        circuit.values({"R0": "x", "R1": 2, "CPE1_Q": 1e-6, "CPE1_n": 1})


def test_equality_hash_and_repr() -> None:
    a, b = Circuit("R0-p(R1,C1)"), Circuit(" R0 -p(R1 ,C1)")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Circuit("R0-p(C1,R1)")
    assert Circuit(a) == a
    assert repr(a) == "Circuit('R0-p(R1,C1)')"
    with pytest.raises(AttributeError):
        a.text = "R9"  # type: ignore[misc]


def test_describe_lists_parameters_with_units() -> None:
    lines = Circuit("R0-p(R1,CPE1)").describe().splitlines()
    assert lines[0] == "Circuit R0-p(R1,CPE1)"
    assert len(lines) == 5
    assert lines[3].split()[:2] == ["CPE1_Q", "F"]
    assert "Ω" in lines[1] and "constant phase element" in lines[4]


def test_pickle_round_trip_keeps_only_the_text() -> None:
    circuit = Circuit("R0-p(R1,CPE1)-p(R2-Wo1,C2)")
    circuit.compile()
    payload = pickle.dumps(circuit)
    assert len(payload) < 200  # no tree, no closures
    clone = pickle.loads(payload)
    assert clone == circuit and clone.tree == circuit.tree
    assert clone.param_names == circuit.param_names
    params = (
        COMPOSED["R0-p(R1,C1)-p(R2-Wo1,C2)"][:3] + [0.9] + COMPOSED["R0-p(R1,C1)-p(R2-Wo1,C2)"][3:]
    )
    np.testing.assert_array_equal(
        clone.impedance(FREQ_HZ, params), circuit.impedance(FREQ_HZ, params)
    )


def test_exported_from_echem_eis() -> None:
    import echem.eis

    assert echem.eis.Circuit is Circuit
    assert echem.eis.ELEMENTS is ELEMENTS


def test_single_branch_parallel_is_rejected_like_impedance_py() -> None:
    with pytest.raises(echem.CircuitError, match="at least two branches") as info:
        Circuit("R0-p(R1)")
    assert info.value.position == 3


BAD = [
    ("", 0, "empty circuit"),
    ("   ", 3, "empty circuit"),
    ("R1-", 2, "dangling '-'"),
    ("R1 - ", 3, "dangling '-'"),
    ("-R1", 0, "expected an element"),
    ("p(R1-,C1)", 4, "dangling '-'"),
    ("X1", 0, "unknown element type 'X'"),
    ("R0-r1", 3, "did you mean 'R'"),
    ("R0-Cpe1", 3, "did you mean 'CPE'"),
    ("R0-Q1", 3, "unknown element type 'Q'"),
    ("R0-P(R1,C1)", 3, "lowercase 'p('"),
    ("R", 1, "needs a number"),
    ("R0-p(R1,CPE)", 11, "needs a number"),
    ("R0-R0", 3, "duplicate element name 'R0'"),
    ("p(R1,C1)-p(R1,C2)", 11, "duplicate element name 'R1'"),
    ("p(R1,C1", 1, "unclosed '('"),
    ("R0-p(R1,p(R2,C2)", 4, "unclosed '('"),
    ("R1)", 2, "unmatched ')'"),
    ("p(R1,C1))", 8, "unmatched ')'"),
    ("p()", 0, "empty parallel"),
    ("R0-p( )", 3, "empty parallel"),
    ("p(R1)", 0, "at least two branches"),
    ("p(,R1)", 2, "empty branch"),
    ("p(R1,)", 5, "empty branch"),
    ("p(R1,,C1)", 5, "empty branch"),
    ("R1+R2", 2, "unexpected character '+'"),
    ("R1_0", 2, "unexpected character '_'"),
    ("R1-C1;", 5, "unexpected character ';'"),
    ("R1 R2", 3, "joined by '-'"),
    ("R1C1", 2, "joined by '-'"),
    ("p(R1,C1)p(R2,C2)", 8, "joined by '-'"),
    ("(R1-R2)", 0, "'(' must follow 'p'"),
    ("R1(C1)", 2, "'(' must follow 'p'"),
    ("p", 1, "expected '(' after 'p'"),
    ("R0-p R1", 5, "expected '(' after 'p'"),
    ("R0,R1", 2, "',' outside a parallel block"),
    ("R 1", 1, "needs a number"),
    ("R1-Ω", 3, "unexpected character 'Ω'"),
    ("R١", 1, "needs a number"),  # Arabic-Indic digit is not a number here
]


@pytest.mark.parametrize(("text", "position", "message"), BAD)
def test_parser_errors_point_at_the_problem(text: str, position: int, message: str) -> None:
    with pytest.raises(echem.CircuitError) as info:
        Circuit(text)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.position == position, str(error)
    assert error.circuit == text
    assert message in str(error)


def test_nesting_depth_is_limited_without_recursion_error() -> None:
    ok = "".join(f"p(R{i}," for i in range(MAX_DEPTH)) + "C0" + ")" * MAX_DEPTH
    assert len(Circuit(ok).elements) == MAX_DEPTH + 1
    deep = "".join(f"p(R{i}," for i in range(5000)) + "C0" + ")" * 5000
    with pytest.raises(echem.CircuitError, match="nested deeper") as info:
        Circuit(deep)
    assert deep[info.value.position] == "p"


def test_non_string_is_a_circuit_error() -> None:
    with pytest.raises(echem.CircuitError):
        Circuit(42)  # type: ignore[arg-type]


KINDS = sorted(ELEMENTS)


@st.composite
def trees(draw: st.DrawFn, depth: int = 3) -> object:
    """Random valid trees (before naming): Series never directly inside Series."""

    def node(level: int, in_series: bool) -> object:
        options = ["element"]
        if level > 0:
            options.append("parallel")
            if not in_series:
                options.append("series")
        choice = draw(st.sampled_from(options))
        if choice == "element":
            return draw(st.sampled_from(KINDS))
        size = draw(st.integers(2, 3))
        if choice == "series":
            return ("s", [node(level - 1, True) for _ in range(size)])
        return ("p", [node(level - 1, False) for _ in range(size)])

    return node(depth, False)


def name_tree(raw: object, counter: list[int]) -> object:
    if isinstance(raw, str):
        counter[0] += 1
        return ElementNode(raw, f"{raw}{counter[0]}")
    tag, children = raw  # type: ignore[misc]
    named = tuple(name_tree(child, counter) for child in children)
    return Series(named) if tag == "s" else Parallel(named)


def spaced(text: str, draw: st.DrawFn) -> str:
    """Insert random whitespace around punctuation."""
    out = []
    for char in text:
        if char in "-,()":
            out.append(
                draw(st.sampled_from(["", " ", "  ", "\t"]))
                + char
                + draw(st.sampled_from(["", " "]))
            )
        else:
            out.append(char)
    return "".join(out)


@settings(max_examples=150, deadline=None)
@given(raw=trees(), data=st.data())
def test_render_then_parse_gives_the_same_tree(raw: object, data: st.DataObject) -> None:
    tree = name_tree(raw, [0])
    text = render(tree)
    circuit = Circuit(spaced(text, data.draw))
    assert circuit.tree == tree
    assert circuit.text == text
    assert Circuit(text) == circuit
    n = len(circuit.param_names)
    assert n == sum(len(ELEMENTS[e.type].parameters) for e in circuit.elements)
    values = np.array([p.default for p in circuit.parameters])
    with np.errstate(all="ignore"):
        z = circuit.impedance(np.array([1e-2, 1e3]), values)
    assert z.shape == (2,)


ALPHABET = st.sampled_from(
    list("RCLPEWosGapCPE0123456789-,() _+\tΩ") + ["CPE", "Wo", "La", "p(", "R1", ","]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=20).map("".join))
def test_random_grammar_like_strings_raise_only_circuit_errors(text: str) -> None:
    try:
        circuit = Circuit(text)
    except echem.CircuitError as error:
        assert error.position is not None and 0 <= error.position <= len(text)
    else:
        assert Circuit(circuit.text) == circuit


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_arbitrary_text_raises_only_circuit_errors(text: str) -> None:
    try:
        Circuit(text)
    except echem.CircuitError as error:
        assert error.position is not None and 0 <= error.position <= len(text)


SHORT_FREQ_HZ = np.logspace(6.5, -1.5, 25)


def impedance_py_short(
    text: str, params: list[float], freq_Hz: np.ndarray = SHORT_FREQ_HZ
) -> np.ndarray:
    circuits = pytest.importorskip("impedance.models.circuits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = circuits.CustomCircuit(text, initial_guess=[float(p) for p in params])
        return np.asarray(model.predict(freq_Hz, use_initial=True))


UNDERSCORED = {
    "R_1": [42.0],
    "CPE_1": [1e-6, 0.8],
    "R_0-p(R_1,CPE_1)": [10.0, 200.0, 3e-6, 0.85],
    "R0-p(R_1,C_1)-p(R2-Wo_2,CPE2)": [5.0, 80.0, 1e-7, 40.0, 60.0, 2.0, 1e-4, 0.9],
    "R_01-Ws_3-G_4-La_5": [1.0, 20.0, 0.3, 30.0, 1e-3, 1e-6, 0.8],
    "R1-R_1": [1.0, 2.0],  # different names, as in impedance.py
}


@pytest.mark.parametrize("text", list(UNDERSCORED))
def test_underscore_names_are_accepted_and_agree_with_impedance_py(text: str) -> None:
    params = UNDERSCORED[text]
    circuit = Circuit(text)
    assert circuit.text == text
    z = circuit.impedance(SHORT_FREQ_HZ, params)
    np.testing.assert_allclose(z, impedance_py_short(text, params), rtol=1e-12, atol=0)


def test_underscore_names_keep_their_underscore_in_parameter_names_and_aliases() -> None:
    circuit = Circuit("R_0-p(R_1,CPE_1)-Wo_2")
    assert circuit.param_names == ("R_0", "R_1", "CPE_1_Q", "CPE_1_n", "Wo_2_R", "Wo_2_tau")
    # impedance.py's own names for the same parameters (get_param_names) are aliases
    names, _ = _impedance_py_names("R_0-p(R_1,CPE_1)-Wo_2")
    assert [circuit.canonical_name(name) for name in names] == list(circuit.param_names)
    values = dict(zip(names, [1.0, 2.0, 3e-6, 0.9, 4.0, 5.0], strict=True))
    np.testing.assert_array_equal(circuit.values(values), [1.0, 2.0, 3e-6, 0.9, 4.0, 5.0])


def _impedance_py_names(text: str) -> tuple[list[str], list[str]]:
    circuits = pytest.importorskip("impedance.models.circuits")
    n = len(Circuit(text).param_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return circuits.CustomCircuit(text, initial_guess=[1.0] * n).get_param_names()


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("R_", 2, "needs a number"),
        ("R0-CPE_", 7, "needs a number"),
        ("R__1", 2, "needs a number"),
        ("R_ 1", 2, "needs a number"),
        ("R_1_2", 3, "unexpected character '_'"),  # impedance.py fails on it too
        ("_R1", 0, "unexpected character '_'"),
        ("R_1-R_1", 4, "duplicate element name 'R_1'"),
        ("p(R_1,C1)-p(R_1,C2)", 12, "duplicate element name 'R_1'"),
        ("R_١", 2, "needs a number"),  # an Arabic-Indic digit is not a number here
    ],
)
def test_bad_underscore_names_point_at_the_problem(text: str, position: int, message: str) -> None:
    with pytest.raises(echem.CircuitError) as info:
        Circuit(text)
    assert info.value.position == position, str(info.value)
    assert message in str(info.value)


#: Kind -> strategies of its parameter values, in table order (realistic decades).
_LOG = {
    "Ω": (-1.0, 5.0),
    "F": (-12.0, -2.0),
    "F s^(n-1)": (-12.0, -2.0),
    "H": (-9.0, -4.0),
    "Ω^(1/α) s": (-9.0, -4.0),
    "Ω s^-1/2": (-1.0, 4.0),
    "s": (-6.0, 3.0),
}


def _parameter_values(kind: str) -> st.SearchStrategy[list[float]]:
    parts = []
    for spec in ELEMENTS[kind].parameters:
        if spec.log:
            low, high = _LOG[spec.unit]
            parts.append(st.floats(low, high).map(lambda x: 10.0**x))
        else:  # exponents
            parts.append(st.floats(0.5, 1.0))
    return st.tuples(*parts).map(list)


@st.composite
def circuits_with_values(draw: st.DrawFn) -> tuple[str, list[float]]:
    """A random valid circuit text (names R1 or R_1 style) and values in its parameter order."""
    counter = [0]
    values: list[float] = []

    def node(level: int, in_series: bool) -> object:
        options = ["element"]
        if level > 0:
            options.append("parallel")
            if not in_series:
                options.append("series")
        choice = draw(st.sampled_from(options))
        if choice == "element":
            kind = draw(st.sampled_from(sorted(ELEMENTS)))
            counter[0] += 1
            separator = draw(st.sampled_from(["", "_"]))
            values.extend(draw(_parameter_values(kind)))
            return ElementNode(kind, f"{kind}{separator}{counter[0]}")
        size = draw(st.integers(2, 3))
        if choice == "series":
            return Series(tuple(node(level - 1, True) for _ in range(size)))
        return Parallel(tuple(node(level - 1, False) for _ in range(size)))

    tree = node(3, False)
    return render(tree), values


@settings(max_examples=150, deadline=None)
@given(circuits_with_values())
def test_random_circuits_agree_with_impedance_py(case: tuple[str, list[float]]) -> None:
    text, values = case
    circuit = Circuit(text)
    assert circuit.text == text
    with np.errstate(all="ignore"):
        ours = circuit.impedance(SHORT_FREQ_HZ, values)
        theirs = impedance_py_short(text, values)
    finite = np.isfinite(theirs) & (theirs != 0)
    assume(finite.any())
    np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(theirs))
    relative = np.abs(ours[finite] - theirs[finite]) / np.abs(theirs[finite])
    assert relative.max() <= 1e-12, (text, values, relative.max())


_SEEDS = [
    "R0-p(R1,C1)-p(R2-W2,CPE2)",
    "R_0-p(R_1,CPE_1)",
    "p(R1,p(R2,C2)-L1)",
    "L0-R0-p(R1,CPE1)-Ws1",
    "R0-p(R1,G1)-La0",
    "p(R0,C0,L0)-Wo1",
]


_CHARS = list("RCLPEWosGap0123456789-,()_ \t") + ["–", "Ｒ", "\u00a0", "\u200b", "é", "1̃"]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid circuit with 1-3 characters deleted, inserted or replaced."""
    text = draw(st.sampled_from(_SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["delete", "insert", "replace"]))
        char = draw(st.sampled_from(_CHARS))
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + char + text[i:]
        else:
            text = text[:i] + char + text[i + 1 :]
    return text


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_mutated_circuits_parse_like_impedance_py_or_raise_a_positioned_circuit_error(
    text: str,
) -> None:
    try:
        circuit = Circuit(text)
    except echem.CircuitError as error:
        assert error.circuit == text
        assert error.position is not None and 0 <= error.position <= len(text)
        assert str(error).splitlines()[-1].rstrip().endswith("^")
        return
    # whatever echem accepts, impedance.py accepts too, with the same impedance
    values = [0.5] * len(circuit.param_names)
    with np.errstate(all="ignore"):
        ours = circuit.impedance(SHORT_FREQ_HZ, values)
    if " " not in text and "\t" not in text:  # impedance.py removes spaces only
        np.testing.assert_allclose(ours, impedance_py_short(text, values), rtol=1e-12, atol=0)
    assert Circuit(circuit.text) == circuit


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("R1–C1", 2, "unexpected character '–'"),  # en dash
        ("R1−C1", 2, "unexpected character '−'"),  # minus sign
        ("Ｒ1-C1", 0, "unexpected character 'Ｒ'"),  # full-width R
        ("R1-C１", 4, "needs a number"),  # full-width digit
        ("R1\u00a0-C1", 2, "unexpected character '\\xa0'"),  # no-break space
        ("R1-\u200bC1", 3, "unexpected character '\\u200b'"),  # zero-width space
        ("R1-Cé1", 4, "needs a number"),
        ("R1-p(R2,C2", 4, "unclosed '('"),
        ("R1-p(R2,p(R3,C3)", 4, "unclosed '('"),
        ("R1-p(R2,C2))-C3", 11, "unmatched ')'"),
        ("R1-p(R2)-C3", 3, "at least two branches"),
        ("R1-p(p(R2,C2))", 3, "at least two branches"),
        ("R1-p()", 3, "empty parallel"),
        ("R1-", 2, "dangling '-'"),
        ("R1-p(R2,C2)-", 11, "dangling '-'"),
        ("R1-p(R2-,C2)", 7, "dangling '-'"),
        ("", 0, "empty circuit"),
        ("\t\n ", 3, "empty circuit"),
        ("R1-Gs1", 3, "unknown element type 'Gs'"),  # impedance.py elements echem lacks
        ("R1-Zarc1", 3, "unknown element type 'Zarc'"),
        ("R1-TLMQ1", 3, "unknown element type 'TLMQ'"),
        ("R1-K1", 3, "unknown element type 'K'"),
        ("R1-T1", 3, "unknown element type 'T'"),
        ("R1-wo1", 3, "did you mean 'Wo'"),
        ("CPE1-CPE1", 5, "duplicate element name 'CPE1'"),
        ("R1-p(R2,p(C3,R1))", 13, "duplicate element name 'R1'"),
        ("R0,p(R1,C1)", 2, "',' outside a parallel block"),  # impedance.py's bare ','
        ("1R0", 0, "unexpected character '1'"),
        ("R0-eval(1)", 3, "unknown element type 'eval'"),
        ("__import__('os')", 0, "unexpected character '_'"),
    ],
)
def test_malformed_strings_name_the_position(text: str, position: int, message: str) -> None:
    with pytest.raises(echem.CircuitError) as info:
        Circuit(text)
    assert info.value.position == position, str(info.value)
    assert message in str(info.value), str(info.value)
    assert info.value.circuit == text


@pytest.mark.parametrize("value", [None, b"R1", 1.5, ["R1"]])
def test_non_text_is_a_circuit_error(value: object) -> None:
    with pytest.raises(echem.CircuitError, match="a circuit is a string"):
        Circuit(value)  # type: ignore[arg-type]


getcontext().prec = 40


def _hsu_mansfeld_reference(Q: float, n: float, R: float) -> float:
    """C = (RQ)^(1/n) / R (Hsu & Mansfeld, Corrosion 2001, 57, 747) in 40-digit decimals."""
    RQ = Decimal(R) * Decimal(Q)
    return float((RQ.ln() / Decimal(n)).exp() / Decimal(R))


def _brug_reference(Q: float, n: float, Re: float, Rt: float) -> float:
    """C = Q^(1/n) (1/Re + 1/Rt)^((n-1)/n) (Brug et al., J. Electroanal. Chem. 1984, 176, 275)."""
    nd = Decimal(n)
    conductance = Decimal(1) / Decimal(Re) + Decimal(1) / Decimal(Rt)
    return float((Decimal(Q).ln() / nd + conductance.ln() * (nd - 1) / nd).exp())


_R = st.floats(-1.0, 7.0).map(lambda x: 10.0**x)


_Q = st.floats(-12.0, -2.0).map(lambda x: 10.0**x)


_N = st.floats(0.6, 1.0)


@settings(max_examples=200, deadline=None)
@given(Q=_Q, n=_N, R=_R, Re=_R)
def test_effective_capacitance_against_decimal_arithmetic(
    Q: float, n: float, R: float, Re: float
) -> None:
    hm = effective_capacitance(Q, n, R)
    assert math.isclose(hm, _hsu_mansfeld_reference(Q, n, R), rel_tol=1e-12)
    brug = effective_capacitance(Q, n, R, method="brug", R_series_ohm=Re)
    assert math.isclose(brug, _brug_reference(Q, n, Re, R), rel_tol=1e-12)


@pytest.mark.parametrize(
    ("R", "Q", "n"), [(100.0, 1e-8, 0.9), (2e3, 3e-5, 0.75), (5.0, 1e-11, 1.0)]
)
def test_hsu_mansfeld_capacitance_is_one_over_r_omega_at_the_numerical_apex(
    R: float, Q: float, n: float
) -> None:
    """Independent of the formula: the apex of -Z'' of R∥CPE, found numerically, is at 1/(R C)."""
    from scipy.optimize import minimize_scalar

    circuit = Circuit("p(R1,CPE1)")
    compiled = circuit.compile()
    values = np.array([R, Q, n])

    def minus_imag(log_omega: float) -> float:
        return float(compiled(values, np.array([10.0**log_omega]))[0].imag)  # -(-Z'')

    guess = -math.log10(R * Q) / n
    found = minimize_scalar(minus_imag, bracket=(guess - 2, guess + 2), tol=1e-12)
    omega_apex = 10.0**found.x
    assert math.isclose(effective_capacitance(Q, n, R), 1 / (R * omega_apex), rel_tol=1e-6)
    assert math.isclose(apex_frequency(R, Q, n), omega_apex / (2 * math.pi), rel_tol=1e-6)


@settings(max_examples=100, deadline=None)
@given(Q=_Q, R=_R, Re=_R)
def test_cpe_with_n_one_gives_q_exactly(Q: float, R: float, Re: float) -> None:
    assert effective_capacitance(Q, 1.0, R) == Q
    assert effective_capacitance(Q, 1.0, R, method="brug", R_series_ohm=Re) == Q
    assert effective_capacitance(Q, 1.0, None, method="brug", R_series_ohm=Re) == Q
    assert cpe_q_from_capacitance(Q, 1.0, R) == Q


def test_brug_needs_a_positive_charge_transfer_resistance() -> None:
    """A negative or zero R_t (a bad fit) gives NaN, as Hsu-Mansfeld does for a bad R.

    1/R_e + 1/R_t with R_t = -R_e is 0, and 0^((n-1)/n) gave an infinite capacitance; other
    negative R_t gave finite, meaningless numbers.
    """
    for Rt in (-10.0, -5.0, -1e6, 0.0, -0.0, np.nan):
        assert np.isnan(effective_capacitance(1e-6, 0.8, Rt, method="brug", R_series_ohm=10.0)), Rt
        assert np.isnan(effective_capacitance(1e-6, 0.8, Rt)), Rt
    blocking = effective_capacitance(1e-6, 0.8, np.inf, method="brug", R_series_ohm=10.0)
    assert math.isclose(blocking, 1e-6 ** (1 / 0.8) * 10.0 ** (0.2 / 0.8), rel_tol=1e-14)
    both = effective_capacitance(
        1e-6, 0.8, np.array([100.0, -100.0]), method="brug", R_series_ohm=10.0
    )
    assert np.isfinite(both[0]) and np.isnan(both[1])


@pytest.mark.parametrize("bad", [np.nan, -1e-6, 0.0])
def test_bad_q_or_n_gives_nan(bad: float) -> None:
    assert np.isnan(effective_capacitance(bad, 0.9, 100.0))
    assert np.isnan(effective_capacitance(1e-6, bad, 100.0))
    assert np.isnan(effective_capacitance(1e-6, 0.9, 100.0, method="brug", R_series_ohm=bad))
    assert np.isnan(effective_capacitance(1e-6, 1.01, 100.0))


def test_bounds_are_inside_their_ranges() -> None:
    for role in DEFAULT_ROLES:
        assert role.name in (assign_role(role.low_F)[0], *assign_role(role.low_F)[1])
        assert role.name in (assign_role(role.high_F)[0], *assign_role(role.high_F)[1])
    lowest, highest = DEFAULT_ROLES[0].low_F, DEFAULT_ROLES[-1].high_F
    assert assign_role(np.nextafter(lowest, 0)) == (None, ())
    assert assign_role(np.nextafter(highest, 1)) == (None, ())


@pytest.mark.parametrize(
    ("C_F", "expected"),
    [
        (1e-11, ("R_bulk", ("R_gb",))),  # 1 decade from R_bulk's centre, 1.5 from R_gb's
        (1e-9, ("R_gb", ("R_int",))),
        (1e-7, ("R_int", ("R_ct",))),
        (1e-4, ("R_ct", ("R_reaction",))),  # 1.5 decades from both centres: listed first wins
        (1e-1, ("R_reaction", ())),
    ],
)
def test_capacitance_exactly_on_a_default_boundary(C_F: float, expected: tuple) -> None:
    assert assign_role(C_F) == expected


@settings(max_examples=200, deadline=None)
@given(
    low=st.floats(-13.0, -3.0).map(lambda x: 10.0**x),
    ratio=st.floats(0.05, 3.0).map(lambda x: 10.0**x),
)
def test_a_tie_on_a_shared_bound_goes_to_the_role_listed_first(low: float, ratio: float) -> None:
    """Two ranges of equal logarithmic width sharing a bound: C on that bound is equally far
    from both centres; the winner is the first role of the table, not a rounding error."""
    bound, high = low * ratio, low * ratio * ratio
    assume(low < bound < high)
    assert assign_role(bound, {"A": (low, bound), "B": (bound, high)}) == ("A", ("B",))
    assert assign_role(bound, {"B": (bound, high), "A": (low, bound)}) == ("B", ("A",))
    assert [r.name for r in ranked_roles(bound, {"A": (low, bound), "B": (bound, high)})] == [
        "A",
        "B",
    ]


@pytest.mark.parametrize("C_F", [np.nan, -1e-8, 0.0, -0.0, np.inf, -np.inf, 1e-20, 10.0])
def test_capacitance_without_a_role(C_F: float) -> None:
    assert assign_role(C_F) == (None, ())
    assert ranked_roles(C_F) == ()


class _Result:
    """The part of a FitResult that arcs() reads."""

    def __init__(self, circuit: str, values: dict[str, float]):
        self.circuit = circuit
        self.values = values
        self.stderr = {name: np.nan for name in values}


@pytest.mark.parametrize(
    ("circuit", "values"),
    [
        ("R0-p(R1,C1)", {"R0": 1.0, "R1": 100.0, "C1": -1e-8}),
        ("R0-p(R1,C1)", {"R0": 1.0, "R1": 100.0, "C1": np.nan}),
        ("R0-p(R1,CPE1)", {"R0": 1.0, "R1": -100.0, "CPE1_Q": 1e-8, "CPE1_n": 0.9}),
        ("R0-p(R1,CPE1)", {"R0": 1.0, "R1": 100.0, "CPE1_Q": 1e-8, "CPE1_n": np.nan}),
        ("R0-p(R1,CPE1)", {"R0": 1.0, "R1": 100.0, "CPE1_Q": 0.0, "CPE1_n": 0.9}),
    ],
)
def test_an_arc_without_a_capacitance_is_not_called_diffusion_like(
    circuit: str, values: dict[str, float]
) -> None:
    from echem.eis.arc_table import arcs

    row = arcs(_Result(circuit, values)).iloc[0]
    assert np.isnan(row["C_F"]) and row["role"] is None
    assert "diffusion" not in row["description"]
    assert row["description"].startswith("no effective capacitance")


def test_a_diffusion_like_cpe_is_still_called_so() -> None:
    from echem.eis.arc_table import arcs

    values = {"R0": 1.0, "R1": 100.0, "CPE1_Q": 1e-8, "CPE1_n": 0.5}
    row = arcs(_Result("R0-p(R1,CPE1)", values)).iloc[0]
    assert row["description"] == "diffusion-like (no effective capacitance)"


def test_an_arc_from_a_cpe_with_n_one_has_c_equal_to_q() -> None:
    from echem.eis.arc_table import arcs

    values = {"R0": 1.0, "R_1": 100.0, "CPE_1_Q": 1.234e-8, "CPE_1_n": 1.0}
    for method in ("hsu-mansfeld", "brug"):
        row = arcs(_Result("R0-p(R_1,CPE_1)", values), method=method).iloc[0]
        assert row["C_F"] == 1.234e-8
        assert row["resistor"] == "R_1" and row["role"] == "R_int"


# --- structure: arcs, series resistors, tails, worked out once ------------------------------


def test_structure_of_a_randles_circuit() -> None:
    circuit = Circuit("L0-R0-p(R1,CPE1)-p(R2-Wo1,C2)-CPE3")
    s = circuit.structure
    assert circuit.structure is s  # computed once, when parsed
    assert [(a.resistor, a.capacitor, a.diffusion) for a in s.arcs] == [
        ("R1", "CPE1", ()),
        ("R2", "C2", ("Wo1",)),
    ]
    assert [a.text for a in s.arcs] == ["p(R1,CPE1)", "p(R2-Wo1,C2)"]
    names = circuit.param_names
    assert [names[i] for i in s.arcs[0].slots] == ["R1", "CPE1_Q", "CPE1_n"]
    assert [names[i] for i in s.arcs[1].slots] == ["R2", "C2"]
    assert [a.text for a in s.simple_arcs] == ["p(R1,CPE1)"]
    assert s.series_resistors == ("R0",) and s.tails == ("CPE3",) and s.inductors == ("L0",)
    assert not s.only_resistors_and_simple_arcs
    assert Circuit("R0-p(CPE1,R1)-R2").structure.only_resistors_and_simple_arcs


def test_structure_finds_nested_arcs_and_skips_other_blocks() -> None:
    s = Circuit("R0-p(R1,p(R2,C2))-p(R3,L3)-p(R4,C4,R5)").structure
    assert [(a.resistor, a.top_level) for a in s.arcs] == [("R2", False)]
    assert len(s.blocks) == 3 and s.simple_arcs == ()


def _resistor_with_kind(kind: ElementKind) -> Element:
    return Element(
        "Rx",
        kind,
        "a resistor under another name",
        (ParameterSpec("", "Ω", 0.0, np.inf, 100.0, True, Quantity.RESISTANCE),),
        ELEMENTS["R"].impedance,
        "test",
        admittance=ELEMENTS["R"].admittance,
        frequency_dependent=False,
    )


def test_a_users_own_element_without_touching_the_table() -> None:
    """Circuit(text, elements=...): a new element type for this circuit only; the structure
    reads its kind (a resistive Rx forms arcs like R), the global table stays as it was."""
    before = dict(ELEMENTS)
    circuit = Circuit("Rx0-p(Rx1,CPE1)", elements=[_resistor_with_kind(ElementKind.RESISTIVE)])
    assert ELEMENTS == before and "Rx" not in ELEMENTS
    assert circuit.param_names == ("Rx0", "Rx1", "CPE1_Q", "CPE1_n")
    assert circuit.structure.series_resistors == ("Rx0",)
    assert [a.resistor for a in circuit.structure.arcs] == ["Rx1"]
    values = [10.0, 100.0, 1e-6, 0.9]
    np.testing.assert_allclose(
        circuit.impedance(FREQ_HZ, values),
        Circuit("R0-p(R1,CPE1)").impedance(FREQ_HZ, values),
        rtol=1e-14,
    )
    assert pickle.loads(pickle.dumps(circuit)) == circuit
    assert circuit != Circuit(
        "Rx0-p(Rx1,CPE1)", elements=[_resistor_with_kind(ElementKind.INDUCTIVE)]
    )
    with pytest.raises(echem.CircuitError, match="unknown element type 'Rx'"):
        Circuit("Rx0-p(Rx1,CPE1)")
    inductive = Circuit(
        "Rx0-p(Rx1,CPE1)", elements={"Rx": _resistor_with_kind(ElementKind.INDUCTIVE)}
    )
    assert inductive.structure.arcs == () and inductive.structure.inductors == ("Rx0",)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("not an element", "Element rows"),
        (replace(_resistor_with_kind(ElementKind.RESISTIVE), type="R_x"), "ASCII letters"),
        (replace(_resistor_with_kind(ElementKind.RESISTIVE), type="p"), "ASCII letters"),
        (replace(_resistor_with_kind(ElementKind.CAPACITIVE)), "capacitance"),
    ],
)
def test_unusable_element_rows_are_refused(row, match) -> None:
    with pytest.raises(echem.CircuitError, match=match):
        Circuit("R0", elements=[row])
