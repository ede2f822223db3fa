"""Impedance spectroscopy: sweeps, circuits, fitting, validation and interpretation.

Public names are imported from their modules on first use, so that importing
:mod:`echem.eis` stays cheap.
"""

from __future__ import annotations

from echem._lazy import lazy_exports

#: Public name -> module under ``echem.eis`` that defines it.
_EXPORTS: dict[str, str] = {
    "spectra": "sweeps",
    "fit": "fitting",
    "fit_many": "batch",
    "FitResult": "fitting",
    "Circuit": "circuit",
    "ELEMENTS": "elements",
    "lin_kk": "kk",
    "KKResult": "kk",
    "drt": "relaxation",
    "DRTResult": "relaxation",
    "fit_series": "series",
    "conductivity": "capacitance",
    "effective_capacitance": "capacitance",
    "assign_role": "roles",
    "DEFAULT_ROLES": "roles",
    "PRESETS": "roles",
    "arcs": "arc_table",
    "ElementKind": "elements",
    "to_impedance_py": "interop",
    "from_impedance_py": "interop",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
