"""Neware battery cyclers (BTS 7, 8 and 9): ``.nda`` record files and ``.ndax`` archives.

echem decodes both itself, from the file layouts documented by the public parsers fastnda
(Empa, BSD-3-Clause) and NewareNDA (SES AI), checked on real files (``.nda`` versions 8
and 22; ``.ndax`` with NDC versions 2, 14, 16 and 17) against both parsers' output. The
frame (see :func:`read_nda` and :func:`read_ndax`):

* ``time_s`` [s]: test time (step time plus the durations of the steps before);
* ``voltage_V`` [V], ``current_A`` [A]: as the cycler records them, the current
  positive while charging (anodic at the cell's positive electrode);
* ``charge_C`` [C], ``energy_J`` [J]: the cycler's counters, charge minus discharge,
  restarting at 0 with each step (within a step, increments equal the charge passed,
  which is what :func:`echem.coulometry.charge` cross-checks its integral against);
* ``temperature_degC``: the first auxiliary temperature channel; every auxiliary quantity
  also as ``aux<ID>_<quantity>``;
* ``cycle``: BTSDA's "charge first" cycle count (the cycle counter stored in the file,
  which counts the plan's loops, is ``cycle_count_file``); ``step``: the running step
  number; ``step_index`` the plan's step ID, ``step_type`` its type (``CC_Chg``...);
* the original columns, in the units of their names (mA, mAh, mWh, s), Unix time
  ``unix_time_s``; ``attrs["start_time"]`` the first record's time.

A file version echem does not know is an :class:`echem.ParseError` naming it; versions
known only from the public parsers' documentation read with an :class:`echem.EchemWarning`.
"""

from __future__ import annotations

from echem.io import Format
from echem.io.neware.nda import MAGIC, read_nda
from echem.io.neware.ndax import looks_like_ndax, read_ndax

__all__ = ["FORMATS", "read_nda", "read_ndax"]


def _looks_like_nda(head: bytes) -> bool:
    return head.startswith(MAGIC)


FORMATS: tuple[Format, ...] = (
    Format(
        name="neware-nda",
        description="Neware BTS record file (.nda, versions 1-29, 129, 130)",
        extensions=(".nda",),
        sniff=_looks_like_nda,
        reader=read_nda,
    ),
    Format(
        name="neware-ndax",
        description="Neware BTS archive (.ndax, NDC versions 1-17)",
        extensions=(".ndax",),
        sniff=looks_like_ndax,
        reader=read_ndax,
    ),
)
