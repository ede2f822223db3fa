"""Figures for impedance spectra, fits and operando series (matplotlib, imported lazily).

Every function accepts ``ax=`` (draw into existing axes) and returns what it drew
into (Axes, a pair of Axes, or a Figure), so figures compose in notebooks and scripts.

Impedance: :func:`nyquist`, :func:`bode`, :func:`residuals`, :func:`fit_report`,
:func:`drt`; with ``area_cm2=`` impedance is drawn area-specific, in Ω·cm².
Operando: :func:`voltage` (seed Fig. 2a), :func:`ct_comparison` (Fig. 2d),
:func:`series` (Fig. 3c; Ω·cm² when the area is known).
:func:`save` writes a figure atomically in the format of its file's extension (PNG, SVG,
PDF, ...; ``dpi=``, 300 by default) and closes it.

All share one style (:mod:`echem.plot._style`): sized for journal columns, the Okabe–Ito
colour-blind-safe palette with a marker and line style per series (readable in grey print),
labels as quantity / unit with subscripts.
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
