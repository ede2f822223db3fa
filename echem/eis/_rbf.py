"""Gaussian radial-basis discretisation of a distribution of relaxation times (DRT).

The DRT γ(ln τ) (Ω) is written as a sum of Gaussians centred on a log-spaced grid,

.. math:: \\gamma(\\ln\\tau) = \\sum_m x_m\\, \\phi(\\ln\\tau - \\ln\\tau_m),
          \\qquad \\phi(u) = e^{-(\\varepsilon u)^2},

so that the impedance it describes, :math:`Z(\\omega) = \\int \\gamma(\\ln\\tau)/(1 + j\\omega\\tau)\\,
d\\ln\\tau`, is linear in the coefficients :math:`x_m` (Ω). This is the discretisation of
T. H. Wan, M. Saccoccio, C. Chen, F. Ciucci, "Influence of the discretization methods on the
distribution of relaxation times deconvolution", Electrochim. Acta 184 (2015) 483-499
(DRTtools), eqs. 13-20 and 38: the shape factor ε is set from the grid spacing Δ (in ln τ)
through the full width at half maximum of φ, FWHM = 2√(ln 2)/ε = Δ/``shape``.

The integrals of each basis function against the two kernels depend only on
:math:`s = \\ln(\\omega\\tau_m)`:

.. math:: A'_{nm} = \\int \\frac{\\phi(u)}{1 + e^{2(s + u)}}\\,du
                  = \\int \\phi(u)\\,\\frac{1 - \\tanh(s + u)}{2}\\,du, \\qquad
          A''_{nm} = -\\int \\frac{\\phi(u)}{2\\cosh(s + u)}\\,du,

evaluated here by Gauss-Hermite quadrature (the integrands are smooth, their poles lie at
Im u = ±π/2), and the roughness penalty :math:`\\int (d^k\\gamma/d(\\ln\\tau)^k)^2\\,d\\ln\\tau =
x^T M_k x` has the closed form

.. math:: (M_k)_{ab} = (-1)^k \\frac{d^{2k}}{dd^{2k}}\\left[\\sqrt{\\pi/2}\\,\\varepsilon^{-1}
          e^{-\\varepsilon^2 d^2/2}\\right] = \\sqrt{\\pi/2}\\,\\varepsilon^{2k-1}\\,
          (-1)^k\\,\\mathrm{He}_{2k}(\\varepsilon d)\\, e^{-\\varepsilon^2 d^2/2}

with :math:`d = \\ln\\tau_a - \\ln\\tau_b` and He the probabilists' Hermite polynomials
(the Gram matrix of the k-th derivatives of two Gaussians; Wan et al. eq. 38 integrate it
numerically).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import hermite, hermite_e

__all__ = ["epsilon", "impedance_matrices", "penalty_matrix", "basis", "reach"]

#: Gauss-Hermite nodes: the quadrature of the kernels is exact to ~1e-12 for the shape
#: factors used here (ε ≥ 1, i.e. at least 3 basis functions per decade; tests/eis).
_NODES, _WEIGHTS = hermite.hermgauss(32)
#: FWHM of exp(-u²) in u.
_FWHM_UNIT = 2.0 * math.sqrt(math.log(2.0))


def epsilon(spacing_ln: float, shape: float) -> float:
    """The shape factor ε (1/ln-unit) of Gaussians whose FWHM is ``spacing_ln / shape``.

    Parameters
    ----------
    spacing_ln
        Grid spacing in ln τ (e.g. ln 10 / 10 for ten functions per decade).
    shape
        DRTtools' "FWHM coefficient": 0.5 makes each Gaussian two grid steps wide at
        half maximum (Wan et al. 2015, sec. 2.3).
    """
    return shape * _FWHM_UNIT / spacing_ln


def impedance_matrices(
    omega: np.ndarray, ln_tau: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Real and imaginary parts (N × M) of the impedance of each unit-height basis function.

    Parameters
    ----------
    omega
        Angular frequencies, rad/s (N).
    ln_tau
        Centres of the Gaussians, ln(τ / s) (M).
    eps
        Shape factor (:func:`epsilon`).

    Returns
    -------
    a_real, a_imag
        Dimensionless; ``(a_real + 1j * a_imag) @ x`` is the impedance (Ω) of the DRT with
        coefficients ``x`` (Ω).
    """
    s = np.log(omega)[:, None] + np.asarray(ln_tau)[None, :]
    u = _NODES / eps
    t = s[:, :, None] + u
    w = _WEIGHTS / eps
    # |t| stays far below cosh's overflow (710): ln(ωτ) spans a few tens at most.
    a_real = 0.5 * (w.sum() - np.tanh(t) @ w)
    a_imag = -0.5 * ((1.0 / np.cosh(t)) @ w)
    return a_real, a_imag


def penalty_matrix(ln_tau: np.ndarray, eps: float, order: int) -> np.ndarray:
    """Gram matrix M (M × M) of the ``order``-th derivatives of the basis functions.

    ``x @ M @ x`` is ∫ (d^k γ / d(ln τ)^k)² d ln τ (Ω²) over the whole line (module doc).
    """
    d = eps * (np.asarray(ln_tau)[:, None] - np.asarray(ln_tau)[None, :])
    coefficients = np.zeros(2 * order + 1)
    coefficients[-1] = 1.0
    he = hermite_e.hermeval(d, coefficients)
    return (
        (-1.0) ** order
        * math.sqrt(math.pi / 2.0)
        * eps ** (2 * order - 1)
        * he
        * np.exp(-0.5 * d * d)
    )


def reach(eps: float, tolerance: float = 1e-10) -> float:
    """Distance in ln τ beyond which a basis function is below ``tolerance`` of its height."""
    return math.sqrt(-math.log(tolerance)) / eps


def basis(ln_tau_eval: np.ndarray, ln_tau: np.ndarray, eps: float) -> np.ndarray:
    """Values (K × M) of the basis functions at ``ln_tau_eval``; ``basis(...) @ x`` is γ (Ω)."""
    u = np.asarray(ln_tau_eval)[:, None] - np.asarray(ln_tau)[None, :]
    return np.exp(-((eps * u) ** 2))
