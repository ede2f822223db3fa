"""impedance.py interop (echem.eis.interop): a fit as a CustomCircuit, a CustomCircuit as input.

impedance.py is the independent reference: its ``CustomCircuit.predict`` evaluates the exported
model with its own element functions.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import echem
from echem.eis.elements import ELEMENTS
from echem.eis.interop import from_impedance_py, impedance_py_names, to_impedance_py

circuits = pytest.importorskip("impedance.models.circuits")

FREQ = np.logspace(6, -1, 50)
TRUE = {"R0": 20.0, "R1": 300.0, "CPE1_Q": 2e-7, "CPE1_n": 0.85, "Wo1_R": 150.0, "Wo1_tau": 4.0}
CIRCUIT = "R0-p(R1,CPE1)-Wo1"


def spectrum() -> np.ndarray:
    values = [TRUE[name] for name in echem.eis.Circuit(CIRCUIT).param_names]
    return echem.eis.Circuit(CIRCUIT).impedance(FREQ, values)


def test_parameter_names_follow_impedance_py_positions():
    assert impedance_py_names(echem.eis.Circuit(CIRCUIT)) == {
        "R0": "R0",
        "R1": "R1",
        "CPE1_Q": "CPE1_0",
        "CPE1_n": "CPE1_1",
        "Wo1_R": "Wo1_0",
        "Wo1_tau": "Wo1_1",
    }


def test_a_fit_exported_to_impedance_py_predicts_what_echem_predicts():
    result = echem.eis.fit(FREQ, spectrum(), CIRCUIT)
    model = to_impedance_py(result)
    assert isinstance(model, circuits.CustomCircuit)
    assert model.circuit == CIRCUIT
    np.testing.assert_allclose(model.predict(FREQ), result.predict(FREQ), rtol=1e-12)
    np.testing.assert_allclose(model.parameters_, list(result.values.values()), rtol=0)
    np.testing.assert_allclose(model.conf_, list(result.stderr.values()), rtol=0, equal_nan=True)
    np.testing.assert_allclose(model.predict(FREQ), spectrum(), rtol=1e-6)  # the truth


def test_fixed_parameters_become_constants():
    result = echem.eis.fit(FREQ, spectrum(), CIRCUIT, fixed={"R0": 20.0, "CPE1_n": 0.85})
    model = to_impedance_py(result)
    assert model.constants == {"R0": 20.0, "CPE1_1": 0.85}
    assert len(model.parameters_) == 4
    np.testing.assert_allclose(model.predict(FREQ), result.predict(FREQ), rtol=1e-12)


def test_a_custom_circuit_is_read_with_its_guess_and_constants():
    model = circuits.CustomCircuit(
        CIRCUIT, initial_guess=[250.0, 1e-7, 0.9, 100.0, 1.0], constants={"R0": 20.0}
    )
    read = from_impedance_py(model)
    assert read.circuit.text == CIRCUIT
    assert read.fixed == {"R0": 20.0}
    assert read.initial == {
        "R1": 250.0,
        "CPE1_Q": 1e-7,
        "CPE1_n": 0.9,
        "Wo1_R": 100.0,
        "Wo1_tau": 1.0,
    }


def test_fit_takes_an_impedance_py_model_in_place_of_a_circuit():
    model = circuits.CustomCircuit(
        CIRCUIT, initial_guess=[250.0, 1e-7, 0.9, 100.0, 1.0], constants={"R0": 20.0}
    )
    result = echem.eis.fit(FREQ, spectrum(), model)
    assert result.circuit.text == CIRCUIT
    assert result.fixed == ("R0",)
    assert result.values["R0"] == 20.0
    for name, value in TRUE.items():
        assert result.values[name] == pytest.approx(value, rel=1e-5)
    table = echem.eis.fit_many([(FREQ, spectrum())], model, progress=False)
    assert table.loc[0, "R1"] == pytest.approx(300.0, rel=1e-5)
    assert table.loc[0, "R0"] == 20.0


def test_a_fitted_model_starts_from_its_fitted_values_and_a_bad_guess_is_refused():
    model = circuits.CustomCircuit("R0-p(R1,C1)", initial_guess=[10.0, 100.0, 1e-6])
    model.parameters_ = np.array([20.0, 300.0, 2e-6])
    assert from_impedance_py(model).initial == {"R0": 20.0, "R1": 300.0, "C1": 2e-6}
    wrong = circuits.CustomCircuit("R0-p(R1,C1)", initial_guess=[10.0, 100.0, 1e-6])
    wrong.initial_guess = [10.0, 100.0]  # impedance.py checks the length only when built
    with pytest.raises(echem.FitError, match="2 values for the 3 free parameters"):
        from_impedance_py(wrong)


EVERY_ELEMENT = {  # every element type impedance.py and echem share, one circuit each
    "R0-p(R1,C1)": [10.0, 100.0, 1e-6],
    "p(R1,C1)-R0": [100.0, 1e-6, 10.0],  # impedance.py's order: as written
    "L0-R0-p(R1,CPE1)-W1": [1e-6, 10.0, 100.0, 1e-6, 0.8, 50.0],
    "R0-p(R1-Wo1,CPE1)": [10.0, 100.0, 50.0, 2.0, 1e-6, 0.8],
    "R0-p(R1,CPE_1)-Ws1": [10.0, 100.0, 1e-6, 0.8, 50.0, 2.0],
    "La1-R0-p(R1,p(G1,C1))": [1e-6, 0.8, 10.0, 100.0, 50.0, 2e-3, 1e-7],
}


@pytest.mark.parametrize("text", sorted(EVERY_ELEMENT))
def test_every_element_exports_and_reads_back_exactly(text):
    circuit = echem.eis.Circuit(text)
    values = dict(zip(circuit.param_names, EVERY_ELEMENT[text], strict=True))
    z = circuit.impedance(FREQ, values)
    fixed = {circuit.param_names[-1]: values[circuit.param_names[-1]]}
    result = echem.eis.fit(FREQ, z, text, initial=values, fixed=fixed, multistart=False)
    model = to_impedance_py(result)
    assert model.constants == {impedance_py_names(circuit)[name]: v for name, v in fixed.items()}
    np.testing.assert_allclose(model.predict(FREQ), result.predict(FREQ), rtol=1e-13, atol=0)
    read = from_impedance_py(model)
    assert read.circuit == result.circuit
    assert {**read.initial, **read.fixed} == result.values  # exactly
    assert read.fixed == fixed


def test_fit_takes_a_model_after_a_frame_or_a_tuple():
    # the README's fit(spectrum, model): a frame or a (freq, z) tuple, then the model; it was
    # "fit(df, circuit): give the circuit second" and "no circuit given"
    model = circuits.CustomCircuit(
        CIRCUIT, initial_guess=[250.0, 1e-7, 0.9, 100.0, 1.0], constants={"R0": 20.0}
    )
    z = spectrum()
    frame = pd.DataFrame({"freq_Hz": FREQ, "z_real_ohm": z.real, "z_imag_ohm": z.imag})
    for result in (echem.eis.fit(frame, model), echem.eis.fit((FREQ, z), model)):
        assert result.fixed == ("R0",)
        assert result.values["R1"] == pytest.approx(300.0, rel=1e-5)


def test_a_model_constant_named_in_fixed_keeps_its_value():
    # fixed=["R0"] fixes R0 at its initial value: the model's constant gives it; it was
    # "fixed parameter 'R0' has no value"
    model = circuits.CustomCircuit(
        CIRCUIT, initial_guess=[250.0, 1e-7, 0.9, 100.0, 1.0], constants={"R0": 20.0}
    )
    result = echem.eis.fit(FREQ, spectrum(), model, fixed=["R0", "CPE1_n"])
    assert result.values["R0"] == 20.0
    assert result.values["CPE1_n"] == 0.9
    assert set(result.fixed) == {"R0", "CPE1_n"}


def test_a_circuit_with_an_element_of_ones_own_is_not_exported():
    # a C of one's own (Z = 1/(2 j w C)) exported as impedance.py's C predicted 77 % off the
    # fit, with no error; a new type failed inside impedance.py with a ValueError
    half = dataclasses.replace(
        ELEMENTS["C"],
        impedance=lambda w, c: 1 / (2j * w * c),
        admittance=lambda w, c: 2j * w * c,
    )
    own = dataclasses.replace(ELEMENTS["R"], type="X")
    for text, rows in (("R0-p(R1,C1)", [half]), ("R0-p(X1,C1)", [own])):
        circuit = echem.eis.Circuit(text, elements=rows)
        result = echem.eis.fit(FREQ, circuit.impedance(FREQ, [10.0, 100.0, 1e-6]), circuit)
        with pytest.raises(echem.CircuitError, match="of your own"):
            to_impedance_py(result)


def test_a_model_impedance_py_loaded_with_its_fit_as_the_guess(tmp_path):
    # impedance.py's load(fitted_as_initial=True) leaves initial_guess a numpy array: reading
    # it raised "The truth value of an array ... is ambiguous"
    fitted = circuits.CustomCircuit("R0-p(R1,C1)", initial_guess=[10.0, 100.0, 1e-6])
    fitted.parameters_ = np.array([20.0, 300.0, 2e-6])
    fitted.conf_ = np.array([0.1, 1.0, 1e-8])
    fitted.save(tmp_path / "model.json")
    loaded = circuits.CustomCircuit()
    loaded.load(tmp_path / "model.json", fitted_as_initial=True)
    assert isinstance(loaded.initial_guess, np.ndarray)
    assert from_impedance_py(loaded).initial == {"R0": 20.0, "R1": 300.0, "C1": 2e-6}


def test_a_constant_named_twice_or_not_a_number_is_refused():
    # CPE1_1 and CPE1_n both given: the last silently won (0.7 fitted as n, 0.9 dropped)
    model = circuits.CustomCircuit(
        CIRCUIT, initial_guess=[20.0, 250.0, 1e-7, 100.0, 1.0], constants={"CPE1_1": 0.9}
    )
    model.constants["CPE1_n"] = 0.7
    with pytest.raises(echem.FitError, match="CPE1_n twice .'CPE1_1' and 'CPE1_n'."):
        from_impedance_py(model)
    model.constants = {"CPE1_1": "0.9x"}
    with pytest.raises(echem.FitError, match="constant 'CPE1_1' is not a number"):
        from_impedance_py(model)
