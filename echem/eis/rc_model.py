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
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .circuit import Circuit, ElementNode, Parallel, Series

__all__ = ["rc_series_model"]

ModelJac = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def _terms(circuit: Circuit) -> list[tuple[str, list[int]]] | None:
    """[(kind, parameter slots)] with kind "R", "RC" ([R, C]) or "RCPE" ([R, Q, n]); None if other."""
    index = {(p.element, p.symbol): i for i, p in enumerate(circuit.parameters)}
    top = circuit.tree.children if isinstance(circuit.tree, Series) else (circuit.tree,)
    terms: list[tuple[str, list[int]]] = []
    for node in top:
        if isinstance(node, ElementNode) and node.kind == "R":
            terms.append(("R", [index[(node.name, "")]]))
            continue
        if not (isinstance(node, Parallel) and len(node.children) == 2):
            return None
        if not all(isinstance(e, ElementNode) for e in node.children):
            return None
        kinds = sorted(e.kind for e in node.children)
        if kinds not in (["C", "R"], ["CPE", "R"]):
            return None
        r = next(e for e in node.children if e.kind == "R")
        cap = next(e for e in node.children if e.kind != "R")
        if cap.kind == "C":
            terms.append(("RC", [index[(r.name, "")], index[(cap.name, "")]]))
        else:
            terms.append(("RCPE", [index[(r.name, "")], index[(cap.name, "Q")], index[(cap.name, "n")]]))
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
        impedance (K, F) in Ω and its derivatives (K, F, n_parameters).
    """
    terms = _terms(circuit)
    if terms is None:
        return None
    omega = np.asarray(omega, dtype=float)
    s = 1j * omega
    ln_s = np.log(omega) + 0.5j * np.pi
    n_all = len(circuit.param_names)

    def model_jac(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.atleast_2d(np.asarray(p, dtype=float))
        k = len(p)
        z = np.zeros((k, len(omega)), dtype=complex)
        dz = np.zeros((k, len(omega), n_all), dtype=complex)
        for kind, slots in terms:
            r = p[:, slots[0], None]
            if kind == "R":
                z += r
                dz[:, :, slots[0]] = 1.0
                continue
            if kind == "RC":
                rcs = r * p[:, slots[1], None] * s
                d2 = (1 + rcs) ** 2
                z += r / (1 + rcs)
                dz[:, :, slots[0]] = 1 / d2
                dz[:, :, slots[1]] = -(r**2) * s / d2
                continue
            q, n = p[:, slots[1], None], p[:, slots[2], None]
            s_n = np.exp(n * ln_s)  # s**n, principal branch
            d = 1 + r * q * s_n
            d2 = d**2
            z += r / d
            dz[:, :, slots[0]] = 1 / d2
            dz[:, :, slots[1]] = -(r**2) * s_n / d2
            dz[:, :, slots[2]] = -(r**2) * q * s_n * ln_s / d2
        return z, dz

    return model_jac
