"""Figures for impedance spectra, fits and operando series (matplotlib, imported lazily).

Every function accepts ``ax=`` (draw into existing axes) and returns what it drew
into (Axes, a pair of Axes, or a Figure), so figures compose in notebooks and scripts.

Impedance: :func:`nyquist`, :func:`bode`, :func:`residuals`, :func:`fit_report`.
Operando: :func:`voltage` (seed Fig. 2a), :func:`ct_comparison` (Fig. 2d),
:func:`series` (Fig. 3c). :func:`save` writes a figure atomically and closes it.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> module under ``echem.plot`` that defines it.
_EXPORTS: dict[str, str] = {
    "nyquist": "impedance",
    "bode": "impedance",
    "residuals": "impedance",
    "fit_report": "impedance",
    "voltage": "operando",
    "series": "operando",
    "ct_comparison": "operando",
    "save": "_figure",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
