"""Impedance spectroscopy: sweeps, circuits, fitting, validation and interpretation.

Public names are imported from their modules on first use, so that importing
:mod:`echem.eis` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> module under ``echem.eis`` that defines it.
_EXPORTS: dict[str, str] = {
    "spectra": "sweeps",
    "fit": "fitting",
    "fit_many": "fitting",
    "FitResult": "fitting",
    "Circuit": "circuit",
    "ELEMENTS": "elements",
    "lin_kk": "kk",
    "KKResult": "kk",
    "fit_series": "series",
    "conductivity": "capacitance",
    "effective_capacitance": "capacitance",
    "assign_role": "roles",
    "DEFAULT_ROLES": "roles",
    "PRESETS": "roles",
    "arcs": "capacitance",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
