"""impedance.py interop (echem.eis.interop): a fit as a CustomCircuit, a CustomCircuit as input.

impedance.py is the independent reference: its ``CustomCircuit.predict`` evaluates the exported
model with its own element functions.
"""

from __future__ import annotations

import numpy as np
import pytest

import echem
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
