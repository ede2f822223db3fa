"""Units written in column headers and units lines, and their factors to echem's units.

One table for every text reader (CSV headers such as ``Freq (kHz)``, Gamry's units
line): a unit is looked up as written, then in lower case where that is unambiguous
("Sec", "OHM" and "KOhm" are found; "mhz" could be mHz or MHz and "mohm" mOhm or MOhm,
so those must be written exactly).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["UNITS", "QUANTITY_OF", "find_unit"]

#: Unit text -> (quantity, factor to echem's unit of that quantity: Hz, Ω, Ω cm², s, V,
#: A, C).
UNITS: Mapping[str, tuple[str, float]] = {
    "Hz": ("freq", 1.0),
    "kHz": ("freq", 1e3),
    "MHz": ("freq", 1e6),
    "mHz": ("freq", 1e-3),
    "Ohm": ("ohm", 1.0),
    "ohm": ("ohm", 1.0),
    "Ω": ("ohm", 1.0),
    "ohms": ("ohm", 1.0),
    "Ohms": ("ohm", 1.0),
    "kOhm": ("ohm", 1e3),
    "kohm": ("ohm", 1e3),
    "kΩ": ("ohm", 1e3),
    "MOhm": ("ohm", 1e6),
    "Mohm": ("ohm", 1e6),
    "MΩ": ("ohm", 1e6),
    "mOhm": ("ohm", 1e-3),
    "mohm": ("ohm", 1e-3),
    "mΩ": ("ohm", 1e-3),
    "Ohm cm2": ("ohm_area", 1.0),
    "Ohm.cm2": ("ohm_area", 1.0),
    "Ohm cm²": ("ohm_area", 1.0),
    "s": ("time", 1.0),
    "sec": ("time", 1.0),
    "ms": ("time", 1e-3),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "hr": ("time", 3600.0),
    "V": ("volt", 1.0),
    "mV": ("volt", 1e-3),
    "µV": ("volt", 1e-6),
    "μV": ("volt", 1e-6),
    "uV": ("volt", 1e-6),
    "A": ("amp", 1.0),
    "mA": ("amp", 1e-3),
    "uA": ("amp", 1e-6),
    "µA": ("amp", 1e-6),
    "μA": ("amp", 1e-6),
    "nA": ("amp", 1e-9),
    "pA": ("amp", 1e-12),
    "C": ("coulomb", 1.0),
    "mC": ("coulomb", 1e-3),
    "µC": ("coulomb", 1e-6),
    "μC": ("coulomb", 1e-6),
    "uC": ("coulomb", 1e-6),
    "nC": ("coulomb", 1e-9),
    "mAh": ("coulomb", 3.6),
    "mA.h": ("coulomb", 3.6),
    "Ah": ("coulomb", 3600.0),
}

#: Canonical column -> the quantity its unit must have.
QUANTITY_OF: Mapping[str, str] = {
    "freq_Hz": "freq",
    "z_real_ohm": "ohm",
    "z_imag_ohm": "ohm",
    "time_s": "time",
    "voltage_V": "volt",
    "current_A": "amp",
    "charge_C": "coulomb",
}

#: Lower-case unit text -> (quantity, factor), only where the lower case is unambiguous.
_UNITS_LOWER: Mapping[str, tuple[str, float]] = {
    lower: value
    for lower, value in ((unit.lower(), value) for unit, value in UNITS.items())
    if all(v == value for u, v in UNITS.items() if u.lower() == lower)
}


def find_unit(text: str) -> tuple[str, float] | None:
    """(quantity, factor to echem's unit) of a unit as written, else of its lower case
    where that is unambiguous; None for a unit not in :data:`UNITS`."""
    text = text.strip()
    return UNITS.get(text) or _UNITS_LOWER.get(text.lower())
