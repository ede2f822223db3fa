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
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["ParameterSpec", "Element", "ELEMENTS"]

_INF = math.inf
_HALF_PI = 0.5 * math.pi


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
    """

    symbol: str
    unit: str
    lower: float
    upper: float
    default: float
    log: bool


@dataclass(frozen=True)
class Element:
    """One kind of circuit element (a row of :data:`ELEMENTS`).

    Attributes
    ----------
    kind
        The type letters used in circuit strings (``"R"``, ``"CPE"``, ``"Wo"``...).
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

    kind: str
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


def _positive(symbol: str, unit: str, default: float) -> ParameterSpec:
    return ParameterSpec(symbol, unit, 0.0, _INF, default, True)


def _exponent(symbol: str, default: float) -> ParameterSpec:
    return ParameterSpec(symbol, "", 0.0, 1.0, default, False)


_IMPEDANCE_PY = "impedance.py 1.7.1, impedance/models/circuits/elements.py"

#: Element kind (the letters of an element name) -> :class:`Element`.
ELEMENTS: dict[str, Element] = {
    e.kind: e
    for e in (
        Element(
            "R",
            "resistor",
            (_positive("", "Ω", 100.0),),
            resistor,
            f"Ohm's law; {_IMPEDANCE_PY} (R)",
            admittance=resistor_admittance,
            frequency_dependent=False,
        ),
        Element(
            "C",
            "capacitor",
            (_positive("", "F", 1e-6),),
            capacitor,
            f"Z = 1/(jωC); {_IMPEDANCE_PY} (C)",
            admittance=capacitor_admittance,
        ),
        Element(
            "L",
            "inductor",
            (_positive("", "H", 1e-7),),
            inductor,
            f"Z = jωL; {_IMPEDANCE_PY} (L)",
        ),
        Element(
            "CPE",
            "constant phase element",
            (_positive("Q", "F s^(n-1)", 1e-6), _exponent("n", 0.9)),
            cpe,
            f"Z = 1/(Q (jω)^n); Brug et al., J. Electroanal. Chem. 1984, 176, 275; {_IMPEDANCE_PY} (CPE)",
            admittance=cpe_admittance,
        ),
        Element(
            "W",
            "semi-infinite Warburg",
            (_positive("", "Ω s^-1/2", 100.0),),
            warburg,
            f"Z = A (1 - j)/√ω; Lasia, EIS and its Applications (2014) §4.5; {_IMPEDANCE_PY} (W)",
        ),
        Element(
            "Wo",
            "open (finite-space) Warburg",
            (_positive("R", "Ω", 100.0), _positive("tau", "s", 1.0)),
            warburg_open,
            f"Z = R coth(√(jωτ))/√(jωτ); Lasia (2014) §4.6; {_IMPEDANCE_PY} (Wo)",
        ),
        Element(
            "Ws",
            "short (finite-length) Warburg",
            (_positive("R", "Ω", 100.0), _positive("tau", "s", 1.0)),
            warburg_short,
            f"Z = R tanh(√(jωτ))/√(jωτ); Lasia (2014) §4.6; {_IMPEDANCE_PY} (Ws)",
        ),
        Element(
            "G",
            "Gerischer element",
            (_positive("R", "Ω", 100.0), _positive("tau", "s", 1e-3)),
            gerischer,
            f"Z = R/√(1 + jωτ); Lu, Kreller & Adler, J. Electrochem. Soc. 2009, 156, B513; {_IMPEDANCE_PY} (G)",
        ),
        Element(
            "La",
            "constant-phase inductor",
            (_positive("L", "Ω^(1/α) s", 1e-7), _exponent("alpha", 0.9)),
            cpe_inductor,
            f"Z = (jωL)^α (impedance.py convention); BioLogic EC-Lab Application Note 42; {_IMPEDANCE_PY} (La)",
        ),
    )
}
