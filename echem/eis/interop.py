"""impedance.py interop: a fit as a ``CustomCircuit``, a ``CustomCircuit`` as a fit's inputs.

Users who come from impedance.py (Murbach et al., J. Open Source Softw. 5 (2020) 2349) can
hand echem the model they built there, and take echem's result back to it:

- :func:`to_impedance_py` makes a ``impedance.models.circuits.CustomCircuit`` carrying the
  fitted values (``parameters_``, ``conf_``) and the fixed ones (``constants``), so that its
  ``predict`` and ``plot`` reproduce echem's fit;
- :func:`from_impedance_py` reads a ``CustomCircuit`` (fitted or not) into echem's circuit,
  starting values and fixed values; :func:`echem.eis.fit` and :func:`echem.eis.fit_many`
  accept such a model in place of a circuit string.

impedance.py names the parameters of multi-parameter elements by position (``CPE1_0`` is Q,
``CPE1_1`` is n) and lists them, like echem, element by element in the order the circuit
string gives. It is an optional dependency (extra ``echem[impedance]``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from echem._optional import require
from echem.errors import CircuitError, FitError

from .circuit import Circuit
from .elements import ELEMENTS

if TYPE_CHECKING:  # pragma: no cover
    from .result import FitResult

__all__ = ["ImpedancePyModel", "from_impedance_py", "is_impedance_py", "to_impedance_py"]


@dataclass(frozen=True)
class ImpedancePyModel:
    """What an impedance.py model says, in echem's terms.

    Attributes
    ----------
    circuit
        The circuit.
    initial
        Canonical parameter name -> starting value: the fitted ``parameters_`` when the model
        was fitted, else its ``initial_guess``.
    fixed
        Canonical parameter name -> value, from ``constants``.
    """

    circuit: Circuit
    initial: dict[str, float]
    fixed: dict[str, float]


def is_impedance_py(model: Any) -> bool:
    """True for an impedance.py circuit model (``CustomCircuit``, ``Randles``, ...)."""
    return not isinstance(model, str | Circuit) and all(
        hasattr(model, attribute) for attribute in ("circuit", "initial_guess", "constants")
    )


def impedance_py_names(circuit: Circuit) -> dict[str, str]:
    """echem's canonical parameter name -> impedance.py's (``CPE1_Q`` -> ``CPE1_0``)."""
    names: dict[str, str] = {}
    position: dict[str, int] = {}
    for parameter in circuit.parameters:
        index = position.get(parameter.element, 0)
        position[parameter.element] = index + 1
        several = len(circuit.element(parameter.element).parameters) > 1
        names[parameter.name] = f"{parameter.element}_{index}" if several else parameter.name
    return names


def to_impedance_py(result: FitResult) -> Any:
    """The fit as an impedance.py ``CustomCircuit`` with the fitted values.

    Parameters
    ----------
    result
        An echem fit.

    Returns
    -------
    impedance.models.circuits.CustomCircuit
        ``circuit`` is echem's circuit text; ``constants`` the fixed parameters (impedance.py
        names); ``initial_guess`` and ``parameters_`` the fitted free values and ``conf_``
        their standard errors (Ω, F s^(n-1), ... as echem's), in impedance.py's order.

    Raises
    ------
    echem._optional.MissingDependencyError
        impedance.py is not installed (``pip install 'echem[impedance]'``).
    echem.CircuitError
        The circuit has an element of the caller's own (``Circuit(text, elements=...)``):
        impedance.py would evaluate its own element of that name, or none.
    """
    own = sorted(
        {node.type for node in result.circuit.elements}
        - {t for t, row in ELEMENTS.items() if result.circuit.table.get(t) is row}
    )
    if own:
        raise CircuitError(
            f"{result.circuit.text!r} has element type(s) of your own ({', '.join(own)}): "
            "impedance.py knows only its own elements, so its model would not be this fit"
        )
    circuits = require("impedance.models.circuits", "impedance", "exporting a fit to impedance.py")
    aliases = impedance_py_names(result.circuit)
    fixed = set(result.fixed)
    free = [name for name in result.circuit.param_names if name not in fixed]
    model = circuits.CustomCircuit(
        circuit=result.circuit.text,
        initial_guess=[float(result.values[name]) for name in free],
        constants={
            aliases[name]: float(result.values[name])
            for name in result.circuit.param_names
            if name in fixed
        },
    )
    model.parameters_ = np.array([result.values[name] for name in free], dtype=float)
    model.conf_ = np.array([result.stderr.get(name, np.nan) for name in free], dtype=float)
    return model


def from_impedance_py(model: Any) -> ImpedancePyModel:
    """An impedance.py model's circuit, starting values and constants, in echem's names.

    Parameters
    ----------
    model
        An impedance.py circuit model (``CustomCircuit`` or a predefined one such as
        ``Randles``), fitted or not.

    Returns
    -------
    ImpedancePyModel

    Raises
    ------
    echem.CircuitError
        The circuit string is not one echem reads, or ``constants`` names no parameter of it.
    echem.FitError
        ``initial_guess`` (or ``parameters_``) does not give one value per free parameter,
        a value is not a number, or ``constants`` names a parameter twice (``CPE1_1`` and
        ``CPE1_n``).
    """
    circuit = Circuit(str(model.circuit))
    fixed: dict[str, float] = {}
    named: dict[str, str] = {}
    for name, value in dict(model.constants or {}).items():
        canonical = circuit.canonical_name(name)
        if canonical in named:  # CPE1_1 and CPE1_n: one would silently win
            raise FitError(
                f"the impedance.py model's constants give {canonical} twice "
                f"({named[canonical]!r} and {name!r})"
            )
        try:
            fixed[canonical], named[canonical] = float(value), name
        except (TypeError, ValueError):
            raise FitError(
                f"the impedance.py constant {name!r} is not a number: {value!r}"
            ) from None
    free = [name for name in circuit.param_names if name not in fixed]
    fitted = getattr(model, "parameters_", None)
    given = fitted if fitted is not None else model.initial_guess  # a list, or an array
    values = [] if given is None else list(np.ravel(np.asarray(given, dtype=object)))
    if values and len(values) != len(free):
        raise FitError(
            f"the impedance.py model gives {len(values)} values for the {len(free)} free "
            f"parameters of {circuit.text!r} ({', '.join(free)})"
        )
    try:
        initial = {name: float(value) for name, value in zip(free, values, strict=False)}
    except (TypeError, ValueError):
        raise FitError(
            f"the impedance.py model's values for {', '.join(free)} are not all numbers: {values!r}"
        ) from None
    return ImpedancePyModel(circuit=circuit, initial=initial, fixed=fixed)


def merged_inputs(
    model: Any,
    initial: Mapping[str, float] | None,
    fixed: Mapping[str, float] | Iterable[str] | None,
) -> tuple[Circuit, dict[str, float], Mapping[str, float] | Iterable[str] | None]:
    """A fit's circuit, ``initial`` and ``fixed`` from an impedance.py model and the caller's.

    The caller's ``initial`` values win over the model's; the model's constants are fixed
    unless the caller passes ``fixed`` (which then replaces them, the constants' values
    staying the start of those no longer fixed, and the values of names in ``fixed``).
    """
    read = from_impedance_py(model)
    start = {
        **read.fixed,
        **read.initial,
        **{read.circuit.canonical_name(k): float(v) for k, v in (initial or {}).items()},
    }
    if fixed is None:
        start.update(read.fixed)
        return read.circuit, start, dict(read.fixed) or None
    return read.circuit, start, fixed
