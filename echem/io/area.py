"""The electrode area of a record: one rule for the API and every command.

Where the area comes from, in this order:

1. the caller's value (``area_cm2=``, ``--area``), which must be finite and > 0;
2. the file's header, as its reader stored it in ``attrs["metadata"]`` *converted to
   cm² with the unit the header states*: ``electrode_area_cm2`` (BioLogic .mpt
   ``Electrode surface area : 113.100 mm²``; BioLogic .mpr, from the settings value and
   its unit code), ``area_cm2`` (Gamry ``AREA`` in cm², VersaStudio ``Working Electrode
   Area (cm2)``, ZPlot ``Surface Area``). A header value that is 0, negative or not
   finite states no area (EC-Lab writes ``0.000 cm²`` when the field is left empty);
3. nothing else. A number whose unit the header does not give, or gives unreadably
   (a BioLogic .mpr unit code echem does not know, a UTF-8 ``cm\\ufffd``), is not used:
   the area is then unknown, never guessed.

A header area equal to the value the instrument software fills in by itself
(:data:`SOFTWARE_DEFAULTS_CM2`: EC-Lab and BT-Lab start every settings file with
``Electrode surface area : 0.001 cm²``) is used, as the file states it, with a note
saying so: it usually means the field was never set.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from echem._checks import checked_number

__all__ = ["AREA_KEYS", "SOFTWARE_DEFAULTS_CM2", "ElectrodeArea", "electrode_area"]

#: Metadata keys holding an area the reader converted to cm², best first.
AREA_KEYS: tuple[str, ...] = ("electrode_area_cm2", "area_cm2")

#: Format -> (software, the area in cm² it writes in a settings file nobody edited).
#: EC-Lab/BT-Lab: ``Electrode surface area : 0.001 cm²`` (with ``Characteristic mass :
#: 0.001 g``) in fresh settings; 18 of the 39 BioLogic .mpr of ../shared/data/real state it.
SOFTWARE_DEFAULTS_CM2: Mapping[str, tuple[str, float]] = {
    "biologic-mpr": ("EC-Lab's", 0.001),
    "biologic-mpt": ("EC-Lab's", 0.001),
}


@dataclass(frozen=True)
class ElectrodeArea:
    """An electrode area and where it comes from.

    Attributes
    ----------
    cm2
        The area, cm² (None when neither the caller nor the header gives one).
    source
        ``"argument"``, ``"header"`` or ``"none"``.
    key
        The metadata key read (``"header"`` only).
    note
        What the user should know about the value (e.g. the software's default), or None.
    """

    cm2: float | None
    source: str
    key: str | None = None
    note: str | None = None

    def __str__(self) -> str:
        if self.cm2 is None:
            text = "not stated"
        else:
            text = f"{self.cm2:g} cm²"
        return f"{text} ({self.note})" if self.note else text


def electrode_area(
    frame: pd.DataFrame | Mapping[str, Any], area_cm2: float | None = None
) -> ElectrodeArea:
    """The electrode area of a record, by the rule of the module docstring.

    Parameters
    ----------
    frame
        A frame from :func:`echem.read`, or its ``attrs`` (a mapping with ``format``
        and ``metadata``).
    area_cm2
        The caller's area, cm²; wins over the header.

    Returns
    -------
    ElectrodeArea
        ``cm2`` None when no area is known.

    Raises
    ------
    echem.errors.DataError
        ``area_cm2`` is not a finite number > 0 (a ``ValueError``).
    """
    if area_cm2 is not None:
        value = checked_number(
            area_cm2, "area_cm2", accept=lambda a: a > 0, must_be="finite and > 0", unit="cm²"
        )
        return ElectrodeArea(value, "argument")
    attrs = frame.attrs if isinstance(frame, pd.DataFrame) else frame
    metadata = attrs.get("metadata")
    if not isinstance(metadata, Mapping):
        return ElectrodeArea(None, "none")
    for key in AREA_KEYS:
        value = metadata.get(key)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            continue  # numpy scalars are Real too (np.float32 is no float: it was passed over)
        if not (math.isfinite(value) and value > 0):
            continue
        software, default = SOFTWARE_DEFAULTS_CM2.get(str(attrs.get("format")), ("", math.nan))
        note = None
        if math.isclose(value, default, rel_tol=1e-6):
            note = f"{software} default value: check that it was set"
        return ElectrodeArea(float(value), "header", key, note)
    return ElectrodeArea(None, "none")
