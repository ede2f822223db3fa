"""BioLogic EC-Lab and BT-Lab files: the format rows of .mpr (binary) and .mpt (text).

The readers live in :mod:`echem.io.biologic_mpr` and :mod:`echem.io.biologic_mpt`;
their shared tables (extra column IDs, technique names, canonical aliases) in
:mod:`echem.io._biologic_columns`.
"""

from __future__ import annotations

from echem.io import Format
from echem.io.biologic_mpr import read_mpr, sniff_mpr
from echem.io.biologic_mpt import read_mpt, sniff_mpt

__all__ = ["FORMATS"]

FORMATS: tuple[Format, ...] = (
    Format(
        name="biologic-mpr",
        description="BioLogic EC-Lab binary data file (.mpr)",
        extensions=(".mpr",),
        sniff=sniff_mpr,
        reader=read_mpr,
    ),
    Format(
        name="biologic-mpt",
        description=(
            "BioLogic EC-Lab/BT-Lab text export (.mpt; latin-1 or UTF-8, point or comma decimals)"
        ),
        extensions=(".mpt",),
        sniff=sniff_mpt,
        reader=read_mpt,
    ),
)
