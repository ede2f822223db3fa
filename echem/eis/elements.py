"""The table of equivalent-circuit elements.

Every element is one row of :data:`ELEMENTS`: its parameters (symbol, unit, default value and
bounds, whether the parameter is searched in log space) and its impedance function. The
formulas, the order of the parameters and the sign conventions are those of impedance.py 1.7.1
(``impedance/models/circuits/elements.py``, Murbach et al., J. Open Source Softw. 2020, 5,
2349), so predictions agree with that package to rounding error.

All functions take the *angular* frequency ω = 2πf in rad/s first, as a numpy array, then the
parameters as floats or arrays that broadcast against ``omega`` (``Circuit.compile`` relies on
this to evaluate several parameter sets at once). They return complex impedance in Ω, with
Z = Z' + jZ'' and Z'' negative for capacitive behaviour.

Parameter names in a circuit: a one-parameter element is named by the element itself (``R1``,
``C2``, ``W0``); a multi-parameter element by ``<element>_<symbol>`` (``CPE1_Q``, ``CPE1_n``,
``Wo1_R``, ``Wo1_tau``, ``G1_R``, ``G1_tau``, ``La1_L``, ``La1_alpha``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

__all__ = ["ElementKind", "Quantity", "ParameterSpec", "Element", "ELEMENTS", "element_table"]

_INF = math.inf
_HALF_PI = 0.5 * math.pi


class ElementKind(StrEnum):
    """What an element does in a circuit; the other modules read this instead of its name.

    - ``resistive``: a frequency-independent resistance (R).
    - ``capacitive``: admittance Y = Q (jω)^n with parameters (Q[, n]), n = 1 when there is no
      exponent (C, CPE). In parallel with a resistance it forms an arc; in series at the top of
      a circuit it is a blocking (capacitive) tail.
    - ``diffusive``: a diffusion impedance (W, Wo, Ws, G): a low-frequency tail.
    - ``inductive``: an inductance (L, La): Z'' > 0 at high frequency.
    """

    RESISTIVE = "resistive"
    CAPACITIVE = "capacitive"
    DIFFUSIVE = "diffusive"
    INDUCTIVE = "inductive"


class Quantity(StrEnum):
    """What a parameter measures (how initial values are read off a spectrum)."""

    RESISTANCE = "resistance"  # Ω
    CAPACITANCE = "capacitance"  # C in F, or CPE Q in F s^(n-1)
    EXPONENT = "exponent"  # CPE n, La alpha (dimensionless, 0..1)
    TIME_CONSTANT = "time_constant"  # s
    WARBURG = "warburg"  # Warburg coefficient, Ω s^-1/2
    INDUCTANCE = "inductance"  # H (or Ω^(1/α) s)


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of an element.

    Attributes
    ----------
    symbol
        ``""`` for one-parameter elements (the parameter is named after the element), else the
        physical symbol (``"Q"``, ``"n"``, ``"R"``, ``"tau"``...).
    unit
        Unit of the parameter (``""`` for dimensionless exponents).
    lower, upper
        Default bounds, physically sensible (resistances >= 0, 0 < n <= 1...).
    default
        A generic starting value, used when nothing better is known.
    log
        True for a positive quantity spanning decades, best searched in log space.
    quantity
        What the parameter measures (:class:`Quantity`).
    """

    symbol: str
    unit: str
    lower: float
    upper: float
    default: float
    log: bool
    quantity: Quantity


@dataclass(frozen=True)
class Element:
    """One type of circuit element (a row of :data:`ELEMENTS`).

    Attributes
    ----------
    type
        The type letters used in circuit strings (``"R"``, ``"CPE"``, ``"Wo"``...): ASCII
        letters only, not ``"p"`` (the parallel block).
    kind
        What the element does (:class:`ElementKind`): resistive, capacitive, diffusive or
        inductive. A capacitive element must have the admittance Q (jω)^n with parameters
        (capacitance[, exponent]) (the arcs, their effective capacitance and the analytic
        Jacobian rely on it).
    description
        Plain-words name.
    parameters
        The parameters, in impedance.py's order.
    impedance
        ``impedance(omega_rad_s, *params) -> complex ndarray``, Ω.
    reference
        Source of the formula.
    admittance
        ``admittance(omega_rad_s, *params) -> complex ndarray`` (S), when a form cheaper or more
        robust than ``1/impedance`` exists; used inside parallel blocks.
    frequency_dependent
        False when the impedance does not depend on ω (a resistor); the compiled circuit then
        keeps the value a scalar.
    """

    type: str
    kind: ElementKind
    description: str
    parameters: tuple[ParameterSpec, ...]
    impedance: Callable[..., np.ndarray]
    reference: str
    admittance: Callable[..., np.ndarray] | None = None
    frequency_dependent: bool = True


# --- impedance functions ----------------------------------------------------------------------


def resistor(omega: np.ndarray, R: float) -> np.ndarray:
    """Resistor, Z = R (Ω). Ohm's law; impedance.py ``R``."""
    return R + 0j * omega


def resistor_admittance(omega: np.ndarray, R: float) -> np.ndarray:
    """Resistor admittance, Y = 1/R (S)."""
    return 1.0 / R + 0j * omega


def capacitor(omega: np.ndarray, C: float) -> np.ndarray:
    """Ideal capacitor, Z = 1/(jωC) (Ω), C in F. impedance.py ``C``."""
    return 1.0 / (1j * omega * C)


def capacitor_admittance(omega: np.ndarray, C: float) -> np.ndarray:
    """Ideal capacitor admittance, Y = jωC (S)."""
    return 1j * omega * C


def inductor(omega: np.ndarray, L: float) -> np.ndarray:
    """Ideal inductor, Z = jωL (Ω), L in H. impedance.py ``L``."""
    return 1j * omega * L


def cpe(omega: np.ndarray, Q: float, n: float) -> np.ndarray:
    """Constant phase element, Z = 1/(Q (jω)^n) (Ω).

    Q in F s^(n-1) (= Ω⁻¹ sⁿ), 0 < n <= 1 (n = 1: capacitor). (jω)^n is evaluated as
    ωⁿ e^(jπn/2), valid for ω >= 0. Brug et al., J. Electroanal. Chem. 1984, 176, 275;
    impedance.py ``CPE`` (p[0] = Q, p[1] = alpha = n).
    """
    return 1.0 / cpe_admittance(omega, Q, n)


def cpe_admittance(omega: np.ndarray, Q: float, n: float) -> np.ndarray:
    """Constant phase element admittance, Y = Q (jω)^n = Q ωⁿ e^(jπn/2) (S)."""
    return (Q * np.exp(1j * _HALF_PI * n)) * omega**n


def warburg(omega: np.ndarray, A: float) -> np.ndarray:
    """Semi-infinite Warburg element, Z = A_W (1 - j)/√ω (Ω), A_W in Ω s^-1/2.

    Warburg, Ann. Phys. 1899, 67, 493; Lasia, *Electrochemical Impedance Spectroscopy and its
    Applications* (Springer 2014), §4.5; impedance.py ``W``.
    """
    return A * (1 - 1j) / np.sqrt(omega)


def warburg_open(omega: np.ndarray, R: float, tau: float) -> np.ndarray:
    """Open (finite-space, reflective boundary) Warburg, Z = R coth(√(jωτ))/√(jωτ) (Ω).

    R in Ω, τ = L²/D in s; as ω → 0, Z → R/3 + R/(jωτ) (R/3 in series with a capacitance
    τ/R). Lasia (2014), §4.6; impedance.py ``Wo`` (p[0] = Z0, p[1] = tau).
    """
    s = np.sqrt(1j * omega * tau)
    return R / (s * np.tanh(s))


def warburg_short(omega: np.ndarray, R: float, tau: float) -> np.ndarray:
    """Short (finite-length, transmissive boundary) Warburg, Z = R tanh(√(jωτ))/√(jωτ) (Ω).

    R in Ω (the ω→0 limit of Z), τ = L²/D in s. Lasia (2014), §4.6; impedance.py
    ``Ws`` (p[0] = Z0, p[1] = tau).
    """
    s = np.sqrt(1j * omega * tau)
    return R * np.tanh(s) / s


def gerischer(omega: np.ndarray, R: float, tau: float) -> np.ndarray:
    """Gerischer element, Z = R/√(1 + jωτ) (Ω).

    R in Ω (the ω→0 limit), τ in s. Lu, Kreller & Adler, J. Electrochem. Soc. 2009, 156, B513;
    impedance.py ``G`` (p[0] = R_G, p[1] = t_G).
    """
    return R / np.sqrt(1 + 1j * omega * tau)


def cpe_inductor(omega: np.ndarray, L: float, alpha: float) -> np.ndarray:
    """Modified (constant-phase) inductance, Z = (jωL)^α (Ω), impedance.py's convention.

    Note that impedance.py raises the product L·jω to α (BioLogic EC-Lab Application Note 42
    writes L_a (jω)^α instead); we follow impedance.py for compatibility, so L is in
    Ω^(1/α) s (= H when α = 1). Evaluated as (ωL)^α e^(jπα/2) for ω, L >= 0. impedance.py ``La``
    (p[0] = L, p[1] = alpha).
    """
    return (L**alpha * np.exp(1j * _HALF_PI * alpha)) * omega**alpha


# --- the table ---------------------------------------------------------------------------------


def _positive(symbol: str, unit: str, default: float, quantity: Quantity) -> ParameterSpec:
    return ParameterSpec(symbol, unit, 0.0, _INF, default, True, quantity)


def _exponent(symbol: str, default: float) -> ParameterSpec:
    return ParameterSpec(symbol, "", 0.0, 1.0, default, False, Quantity.EXPONENT)


_IMPEDANCE_PY = "impedance.py 1.7.1, impedance/models/circuits/elements.py"

_R, _C, _D, _L = (
    ElementKind.RESISTIVE,
    ElementKind.CAPACITIVE,
    ElementKind.DIFFUSIVE,
    ElementKind.INDUCTIVE,
)
_OHM, _FARAD, _TAU = Quantity.RESISTANCE, Quantity.CAPACITANCE, Quantity.TIME_CONSTANT

#: Element type (the letters of an element name) -> :class:`Element`. Read-only by
#: convention: a circuit with an element of its own takes it as ``Circuit(text, elements=...)``.
ELEMENTS: dict[str, Element] = {
    e.type: e
    for e in (
        Element(
            "R",
            _R,
            "resistor",
            (_positive("", "Ω", 100.0, _OHM),),
            resistor,
            f"Ohm's law; {_IMPEDANCE_PY} (R)",
            admittance=resistor_admittance,
            frequency_dependent=False,
        ),
        Element(
            "C",
            _C,
            "capacitor",
            (_positive("", "F", 1e-6, _FARAD),),
            capacitor,
            f"Z = 1/(jωC); {_IMPEDANCE_PY} (C)",
            admittance=capacitor_admittance,
        ),
        Element(
            "L",
            _L,
            "inductor",
            (_positive("", "H", 1e-7, Quantity.INDUCTANCE),),
            inductor,
            f"Z = jωL; {_IMPEDANCE_PY} (L)",
        ),
        Element(
            "CPE",
            _C,
            "constant phase element",
            (_positive("Q", "F s^(n-1)", 1e-6, _FARAD), _exponent("n", 0.9)),
            cpe,
            f"Z = 1/(Q (jω)^n); Brug et al., J. Electroanal. Chem. 1984, 176, 275; {_IMPEDANCE_PY} (CPE)",
            admittance=cpe_admittance,
        ),
        Element(
            "W",
            _D,
            "semi-infinite Warburg",
            (_positive("", "Ω s^-1/2", 100.0, Quantity.WARBURG),),
            warburg,
            f"Z = A (1 - j)/√ω; Lasia, EIS and its Applications (2014) §4.5; {_IMPEDANCE_PY} (W)",
        ),
        Element(
            "Wo",
            _D,
            "open (finite-space) Warburg",
            (_positive("R", "Ω", 100.0, _OHM), _positive("tau", "s", 1.0, _TAU)),
            warburg_open,
            f"Z = R coth(√(jωτ))/√(jωτ); Lasia (2014) §4.6; {_IMPEDANCE_PY} (Wo)",
        ),
        Element(
            "Ws",
            _D,
            "short (finite-length) Warburg",
            (_positive("R", "Ω", 100.0, _OHM), _positive("tau", "s", 1.0, _TAU)),
            warburg_short,
            f"Z = R tanh(√(jωτ))/√(jωτ); Lasia (2014) §4.6; {_IMPEDANCE_PY} (Ws)",
        ),
        Element(
            "G",
            _D,
            "Gerischer element",
            (_positive("R", "Ω", 100.0, _OHM), _positive("tau", "s", 1e-3, _TAU)),
            gerischer,
            f"Z = R/√(1 + jωτ); Lu, Kreller & Adler, J. Electrochem. Soc. 2009, 156, B513; {_IMPEDANCE_PY} (G)",
        ),
        Element(
            "La",
            _L,
            "constant-phase inductor",
            (_positive("L", "Ω^(1/α) s", 1e-7, Quantity.INDUCTANCE), _exponent("alpha", 0.9)),
            cpe_inductor,
            f"Z = (jωL)^α (impedance.py convention); BioLogic EC-Lab Application Note 42; {_IMPEDANCE_PY} (La)",
        ),
    )
}


_TYPE_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def element_table(
    extra: Mapping[str, Element] | Iterable[Element] | None = None,
) -> dict[str, Element]:
    """:data:`ELEMENTS` with the rows of ``extra`` added (or replacing rows of the same type).

    Parameters
    ----------
    extra
        Elements of the caller's own, as :class:`Element` rows or a mapping type -> row.

    Returns
    -------
    dict
        A new table (``ELEMENTS`` itself is never changed).

    Raises
    ------
    echem.CircuitError
        A row that is not an :class:`Element`, a type that is not plain ASCII letters (or is
        ``"p"``), a mapping key that differs from its row's type, or a capacitive element
        whose parameters are not (capacitance[, exponent]).
    """
    from ..errors import CircuitError

    table = dict(ELEMENTS)
    if extra is None:
        return table
    rows = list(extra.items()) if isinstance(extra, Mapping) else [(None, e) for e in extra]
    for key, element in rows:
        if not isinstance(element, Element):
            raise CircuitError(f"elements: expected Element rows, got {type(element).__name__}")
        if key is not None and key != element.type:
            raise CircuitError(
                f"elements: key {key!r} differs from the row's type {element.type!r}"
            )
        if not element.type or element.type == "p" or not set(element.type) <= _TYPE_LETTERS:
            raise CircuitError(
                f"element type {element.type!r}: use ASCII letters only (and not 'p', the parallel block)"
            )
        quantities = tuple(spec.quantity for spec in element.parameters)
        if element.kind is ElementKind.CAPACITIVE and quantities not in (
            (Quantity.CAPACITANCE,),
            (Quantity.CAPACITANCE, Quantity.EXPONENT),
        ):
            raise CircuitError(
                f"element {element.type!r}: a capacitive element has the parameters "
                "(capacitance[, exponent]) of Y = Q (jω)^n"
            )
        table[element.type] = element
    return table
