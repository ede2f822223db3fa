"""Effective capacitance of R∥CPE arcs, apex frequencies and ionic conductivity.

Formulas (GUIDE §6):

* CPE: Z = 1/(Q (jω)^n), Q in F s^(n−1). R∥CPE apex: f0 = 1/(2π (RQ)^(1/n)); R∥C: f0 = 1/(2π R C).
* Hsu & Mansfeld, Corrosion 57 (2001) 747 ("normal" distribution of time constants, e.g. films and
  interphases): C = (RQ)^(1/n) / R = Q^(1/n) R^((1−n)/n), with R the arc's own resistance.
* Brug et al., J. Electroanal. Chem. 176 (1984) 275 ("surface" distribution, e.g. a double layer
  on a rough electrode): C = Q^(1/n) (1/R_e + 1/R_t)^((n−1)/n), R_e the series (electrolyte)
  resistance and R_t the arc's resistance; the blocking limit (R_t → ∞) is Q^(1/n) R_e^((1−n)/n).
* Both differ by up to ~2× at n = 0.8 (Hirschorn et al., Electrochim. Acta 55 (2010) 6218): say
  which one is reported.
* Below n ≈ 0.6 a CPE describes diffusion-like behaviour rather than a distributed capacitor and an
  effective capacitance is not meaningful: :func:`effective_capacitance` returns NaN there.

The arcs table of a fit lives in :mod:`echem.eis.arc_table` (``echem.eis.arcs``).
"""

from __future__ import annotations

import numpy as np

from echem.errors import DataError

__all__ = [
    "METHODS",
    "MIN_CPE_EXPONENT",
    "effective_capacitance",
    "cpe_q_from_capacitance",
    "apex_frequency",
    "conductivity",
]

#: Effective-capacitance methods: name -> reference.
METHODS: dict[str, str] = {
    "hsu-mansfeld": "Hsu & Mansfeld, Corrosion 57 (2001) 747",
    "brug": "Brug et al., J. Electroanal. Chem. 176 (1984) 275",
}

#: Below this CPE exponent no effective capacitance is reported (diffusion-like element).
MIN_CPE_EXPONENT: float = 0.6


def _check_method(method: str) -> str:
    key = method.lower().replace("_", "-").replace(" ", "-")
    if key in ("hsu", "hm", "hsu-mansfeld"):
        return "hsu-mansfeld"
    if key == "brug":
        return "brug"
    raise DataError(f"unknown capacitance method {method!r}; use one of {sorted(METHODS)}")


def effective_capacitance(
    Q: float | np.ndarray,
    n: float | np.ndarray,
    R_ohm: float | np.ndarray | None = None,
    *,
    method: str = "hsu-mansfeld",
    R_series_ohm: float | np.ndarray | None = None,
    min_n: float = MIN_CPE_EXPONENT,
) -> float | np.ndarray:
    """Effective capacitance of a CPE, F.

    Parameters
    ----------
    Q
        CPE coefficient, F s^(n−1).
    n
        CPE exponent (1 = ideal capacitor).
    R_ohm
        Resistance in parallel with the CPE, Ω (Hsu-Mansfeld needs it; Brug uses it as R_t, and
        ``None`` or ``inf`` gives Brug's blocking-electrode limit).
    method
        ``"hsu-mansfeld"`` (default) or ``"brug"``.
    R_series_ohm
        Series (electrolyte) resistance R_e, Ω, for Brug.
    min_n
        Exponents below this give NaN (diffusion-like; see module docstring).

    Returns
    -------
    float or ndarray
        C_eff in F (NaN where n < min_n or n > 1, or where Q, R_ohm or R_series_ohm is not
        positive or is NaN).
    """
    method = _check_method(method)
    Q = np.asarray(Q, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method == "hsu-mansfeld":
            if R_ohm is None:
                raise DataError("Hsu-Mansfeld effective capacitance needs the arc resistance R_ohm")
            R = np.asarray(R_ohm, dtype=float)
            C = Q ** (1.0 / n) * R ** ((1.0 - n) / n)
            ok = (Q > 0) & (R > 0)
        else:
            if R_series_ohm is None:
                raise DataError(
                    "Brug effective capacitance needs the series resistance R_series_ohm"
                )
            Re = np.asarray(R_series_ohm, dtype=float)
            Rt = np.inf if R_ohm is None else np.asarray(R_ohm, dtype=float)
            conductance = 1.0 / Re + 1.0 / Rt
            C = Q ** (1.0 / n) * conductance ** ((n - 1.0) / n)
            ok = (Q > 0) & (Re > 0) & (Rt > 0) & np.isfinite(conductance)
        C = np.where(ok & (n >= min_n) & (n <= 1.0 + 1e-12), C, np.nan)
    return float(C) if C.ndim == 0 else C


def cpe_q_from_capacitance(
    C_F: float | np.ndarray,
    n: float | np.ndarray,
    R_ohm: float | np.ndarray | None = None,
    *,
    method: str = "hsu-mansfeld",
    R_series_ohm: float | np.ndarray | None = None,
) -> float | np.ndarray:
    """Inverse of :func:`effective_capacitance`: the CPE Q, F s^(n−1), giving C_eff = C_F.

    Hsu-Mansfeld: Q = C^n R^(n−1). Brug: Q = C^n (1/R_e + 1/R_t)^(1−n). Used to design synthetic
    spectra from a target capacitance.
    """
    method = _check_method(method)
    C = np.asarray(C_F, dtype=float)
    n = np.asarray(n, dtype=float)
    if method == "hsu-mansfeld":
        if R_ohm is None:
            raise DataError("Hsu-Mansfeld needs the arc resistance R_ohm")
        Q = C**n * np.asarray(R_ohm, dtype=float) ** (n - 1.0)
    else:
        if R_series_ohm is None:
            raise DataError("Brug needs the series resistance R_series_ohm")
        Rt = np.inf if R_ohm is None else np.asarray(R_ohm, dtype=float)
        Q = C**n * (1.0 / np.asarray(R_series_ohm, dtype=float) + 1.0 / Rt) ** (1.0 - n)
    return float(Q) if Q.ndim == 0 else Q


def apex_frequency(
    R_ohm: float | np.ndarray, Q: float | np.ndarray, n: float | np.ndarray = 1.0
) -> float | np.ndarray:
    """Apex (characteristic) frequency of an R∥CPE arc, Hz: f0 = 1/(2π (RQ)^(1/n)).

    With n = 1, Q is a capacitance and this is 1/(2π R C).
    """
    R = np.asarray(R_ohm, dtype=float)
    Q = np.asarray(Q, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        f0 = 1.0 / (2 * np.pi * (R * Q) ** (1.0 / n))
        f0 = np.where((R > 0) & (Q > 0) & (n > 0), f0, np.nan)
    return float(f0) if f0.ndim == 0 else f0


def conductivity(
    R_ohm: float | np.ndarray, thickness_cm: float, area_cm2: float
) -> float | np.ndarray:
    """Ionic conductivity from a bulk resistance, S/cm: σ = L / (R · A).

    Parameters
    ----------
    R_ohm
        Resistance, Ω.
    thickness_cm
        Sample thickness L, cm.
    area_cm2
        Electrode area A, cm².
    """
    if thickness_cm <= 0 or area_cm2 <= 0:
        raise DataError(
            f"thickness_cm and area_cm2 must be positive (got {thickness_cm}, {area_cm2})"
        )
    R = np.asarray(R_ohm, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(R > 0, thickness_cm / (R * area_cm2), np.nan)
    return float(sigma) if sigma.ndim == 0 else sigma
