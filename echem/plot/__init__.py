"""Figures for impedance spectra, fits and operando series (matplotlib, imported lazily).

Every function accepts ``ax=`` (draw into existing axes) and returns what it drew
into (Axes, a pair of Axes, or a Figure), so figures compose in notebooks and scripts.

Impedance: :func:`nyquist`, :func:`bode`, :func:`residuals`, :func:`fit_report`.
Operando: :func:`voltage` (seed Fig. 2a), :func:`ct_comparison` (Fig. 2d),
:func:`series` (Fig. 3c). :func:`save` writes a figure atomically and closes it.
"""

from __future__ import annotations

from echem._lazy import lazy_exports

#: Public name -> module under ``echem.plot`` that defines it.
_EXPORTS: dict[str, str] = {
    "nyquist": "impedance",
    "bode": "impedance",
    "residuals": "impedance",
    "fit_report": "impedance",
    "drt": "relaxation",
    "voltage": "operando",
    "series": "operando",
    "ct_comparison": "operando",
    "save": "_figure",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
