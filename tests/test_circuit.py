"""Circuit grammar, parameters, compiled impedance (against impedance.py and analytic results)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import echem
from echem.eis.circuit import (
    MAX_DEPTH,
    Circuit,
    CircuitParameter,
    ElementNode,
    Parallel,
    Series,
    render,
)
from echem.eis.elements import ELEMENTS

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


# --- agreement with impedance.py --------------------------------------------------------------


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


# --- analytic checks --------------------------------------------------------------------------


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


# --- structure, names, aliases ----------------------------------------------------------------


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
    assert cpe_n == CircuitParameter("CPE1_n", "CPE1", "CPE", "n", "", 0.0, 1.0, 0.9, False)
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


# --- parser errors ----------------------------------------------------------------------------

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


# --- property-based: round trip of random trees, random text ----------------------------------

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
    assert n == sum(len(ELEMENTS[e.kind].parameters) for e in circuit.elements)
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
