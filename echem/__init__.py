"""echem: turn raw electrochemistry files into fitted, physically labelled numbers.

>>> import echem
>>> df = echem.read("peis.mpr")                       # any supported instrument file
>>> for sweep in echem.eis.spectra(df):
...     result = echem.eis.fit(sweep, "R0-p(R1,CPE1)-p(R2,CPE2)")
...     print(result.arcs)

Subpackages (imported on first use): :mod:`echem.io`, :mod:`echem.eis`,
:mod:`echem.coulometry`, :mod:`echem.ct`, :mod:`echem.plot`, :mod:`echem.constants`.
"""

from __future__ import annotations

import importlib
from typing import Any

from echem.errors import (
    CircuitError,
    DataError,
    EchemError,
    EchemWarning,
    FitError,
    ParseError,
    TruncatedDataWarning,
    UnsupportedFormatError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "read",
    "formats",
    "EchemError",
    "ParseError",
    "UnsupportedFormatError",
    "CircuitError",
    "DataError",
    "FitError",
    "EchemWarning",
    "TruncatedDataWarning",
    "io",
    "eis",
    "coulometry",
    "ct",
    "plot",
    "constants",
]

_SUBMODULES = frozenset({"io", "eis", "coulometry", "ct", "plot", "constants"})


def read(path: Any, format: str | None = None) -> Any:
    """Read an instrument file into the canonical tidy frame (see :func:`echem.io.read`)."""
    from echem.io import read as _read

    return _read(path, format=format)


def formats() -> Any:
    """The supported file formats as a table (see :func:`echem.io.formats`)."""
    from echem.io import formats as _formats

    return _formats()


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)
