r"""Analytic impedance and Jacobian of series circuits of resistors and R||C, R||CPE blocks.

The workhorse circuits of battery EIS (``R0-p(R1,CPE1)-p(R2,CPE2)...``) are resistors and
parallel blocks in series. For them the fit's Jacobian is exact and cheap, so
:func:`echem.eis.fit` uses it instead of forward differences (one evaluation per start
instead of one per parameter). With :math:`s = j\omega`:

- resistor: :math:`Z = R`, :math:`\partial Z/\partial R = 1`;
- ``p(R,CPE)``: :math:`Z = R/D`, :math:`D = 1 + RQs^n` (CPE :math:`Z = 1/(Qs^n)`, as in
  :mod:`echem.eis.elements`), :math:`\partial Z/\partial R = 1/D^2`,
  :math:`\partial Z/\partial Q = -R^2 s^n/D^2`,
  :math:`\partial Z/\partial n = -R^2 Q s^n \ln s/D^2` with :math:`\ln s = \ln\omega + j\pi/2`;
- ``p(R,C)``: :math:`D = 1 + RCs`, :math:`\partial Z/\partial R = 1/D^2`,
  :math:`\partial Z/\partial C = -R^2 s/D^2`.

The impedances repeat the formulas of :mod:`echem.eis.elements` because the derivatives share
their intermediate terms; ``tests/eis/test_fitting.py`` checks Z against :meth:`Circuit.impedance`
and dZ/dp against finite differences. Which nodes are resistors and simple arcs is read from the
circuit's :attr:`~echem.eis.circuit.Circuit.structure`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .circuit import Circuit

__all__ = ["rc_series_model"]

ModelJac = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def _terms(circuit: Circuit) -> list[tuple[str, list[int]]] | None:
    """[(kind, parameter slots)] in circuit order, kind "R", "RC" ([R, C]) or "RCPE" ([R, Q, n]);
    None unless every top-level node is a resistor or a simple arc."""
    structure = circuit.structure
    if not structure.only_resistors_and_simple_arcs:
        return None
    arcs = {id(arc.block): arc for arc in structure.simple_arcs}
    names = circuit.param_names
    terms: list[tuple[str, list[int]]] = []
    for node in structure.top:
        arc = arcs.get(id(node))
        if arc is None:
            terms.append(("R", [names.index(node.name)]))
        else:
            terms.append(("RC" if arc.exponent is None else "RCPE", arc.slots))
    return terms


def rc_series_model(circuit: Circuit, omega: np.ndarray) -> ModelJac | None:
    """``model_jac(P) -> (Z, dZ/dp)`` for ``circuit``, or None when it is not of this form.

    Parameters
    ----------
    circuit
        The circuit: resistors, ``p(R,C)`` and ``p(R,CPE)`` blocks in series.
    omega
        Angular frequencies, rad/s, shape (F,).

    Returns
    -------
    callable or None
        ``model_jac(P)`` with ``P`` (K, n_parameters) natural parameter sets returning the
        impedance (K, F) in Ω and its derivatives (K, n_parameters, F).
    """
    terms = _terms(circuit)
    if terms is None:
        return None
    omega = np.asarray(omega, dtype=float)
    s = 1j * omega
    ln_omega = np.log(omega)
    ln_s = ln_omega + 0.5j * np.pi
    n_all = len(circuit.param_names)

    def model_jac(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.atleast_2d(np.asarray(p, dtype=float))
        k = len(p)
        z = np.zeros((k, len(omega)), dtype=complex)
        dz = np.zeros((k, n_all, len(omega)), dtype=complex)
        for kind, slots in terms:
            r = p[:, slots[0], None]
            if kind == "R":
                z += r
                dz[:, slots[0]] = 1.0
                continue
            if kind == "RC":
                s_n = s  # jω
            else:
                n = p[:, slots[2], None]
                # (jω)^n = ω^n e^{jπn/2} (principal branch): a real power and a phase per set
                s_n = np.exp(n * ln_omega) * np.exp(0.5j * np.pi * n)
            x = (r * p[:, slots[1], None]) * s_n  # jωRC or RQ(jω)^n
            inv = 1.0 / (1.0 + x)
            inv2 = inv * inv
            z += r * inv
            dz[:, slots[0]] = inv2
            dz_cap = -(r * r) * s_n * inv2  # ∂Z/∂C = -R² jω/D², ∂Z/∂Q = -R² (jω)^n/D²
            dz[:, slots[1]] = dz_cap
            if kind == "RCPE":
                dz[:, slots[2]] = dz_cap * p[:, slots[1], None] * ln_s  # -R² Q (jω)^n ln(jω)/D²
        return z, dz

    return model_jac
