"""Tables shared by the BioLogic readers: extra .mpr column IDs, technique names, aliases.

Everything here is data, consumed by :mod:`echem.io.biologic_mpr` and
:mod:`echem.io.biologic_mpt`; nothing is mutated at run time.

Column IDs of the .mpr data module
----------------------------------
galvani 0.5 (``galvani.BioLogic.VMPdata_colID_dtype_map``) knows most IDs. What it lacks
(and a few names it gets wrong) is in :data:`EXTRA_COLUMNS`, learned by reading the
binary of the real files in ``../shared/data/real/biologic`` beside their ``.mpt`` twins
exported by EC-Lab from the same experiment (same column order, same values):

* EC-Lab >= 11.50 writes column IDs as little-endian uint16 at byte 6 of the data
  module (galvani keeps only the low byte, which is why IDs such as 182, 215 or 185
  looked unknown: they are 438, 471 and 441, which galvani's own table has).
* 880 ``Energy we/W.h`` (float64): ``mb.issue_223`` - the .mpt twin has that column at
  the same position; the record size (77 bytes) leaves exactly 8 bytes for it.
* 883 / 884 (float64 each): ``gcpl.issue_230`` (no .mpt twin). The record size
  (113 bytes) leaves 16 bytes for the two. They follow ``Energy charge/discharge`` and
  hold the same values in that file (Ece is ~0 there); named ``Energy ce charge/W.h``
  and ``Energy ce discharge/W.h`` after the naming of EC-Lab 11.62 (documented by the
  yadg project, whose table lists them as 115/116, the low bytes of 883/884).
* 441 is ``<Ece>/V`` in the .mpt twins of ``cp.mpr`` and ``lsv.issue_195.mpr``
  (galvani calls it ``<Ecv>/V``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from echem.io._schema import Alias

__all__ = [
    "EXTRA_COLUMNS",
    "SETTINGS_TECHNIQUES",
    "TECHNIQUE_KINDS",
    "TECHNIQUE_COLUMN_NAMES",
    "CANONICAL_ALIASES",
    "IMPEDANCE_FREQUENCY_COLUMN",
    "technique_kind",
]

#: Column ID -> (name, numpy dtype) for IDs galvani 0.5 lacks or misnames (see module doc).
EXTRA_COLUMNS: Mapping[int, tuple[str, str]] = MappingProxyType(
    {
        441: ("<Ece>/V", "<f4"),
        880: ("Energy we/W.h", "<f8"),
        883: ("Energy ce charge/W.h", "<f8"),
        884: ("Energy ce discharge/W.h", "<f8"),
    }
)

#: First byte of the .mpr settings module -> EC-Lab/BT-Lab technique name, as EC-Lab
#: writes it on the technique line of the .mpt export. Learned from the .mpt twins of
#: the real files (``../shared/data/real/biologic``); the codes are those of the yadg
#: project's table (github.com/dgbowl/yadg, ``extractors/eclab/techniques.py``,
#: ``technique_params_dtypes``), which also lists 0x16 (MP) and 0x30 (CV):
#:
#: * 0x33 ``cva.issue_202``, 0x75 ``cov.issue_185``, 0x76 ``coc.issue_185``: the twin's
#:   technique line.
#: * 0x77 ``gcpl.pr_182.2``: its twin's header is 3 lines (no technique line); yadg reads
#:   its parameters with GCPL's layout, and they decode to a GCPL protocol (``Set I/C``
#:   I, C / N; ``EM (V)`` 0.005 and 2.0; ``goto Ns'``, ``nc cycles``); its columns are
#:   GCPL's (``control/V/mA``, ``dq/mA.h``, ``half cycle``). A GCPL variant, named as
#:   GCPL; ``attrs["metadata"]["technique_code"]`` keeps the code.
#: * 0x88 ``bcd.issue_241`` (BT-Lab 1.79).
SETTINGS_TECHNIQUES: Mapping[int, str] = MappingProxyType(
    {
        0x04: "Galvanostatic Cycling with Potential Limitation",
        0x06: "Cyclic Voltammetry",
        0x0B: "Open Circuit Voltage",
        0x16: "Modular Potentio",
        0x18: "Chronoamperometry / Chronocoulometry",
        0x19: "Chronopotentiometry",
        0x1C: "Wait",
        0x1D: "Potentio Electrochemical Impedance Spectroscopy",
        0x1E: "Galvano Electrochemical Impedance Spectroscopy",
        0x30: "Cyclic Voltammetry",
        0x32: "IR compensation (PEIS)",
        0x33: "Cyclic Voltammetry Advanced",
        0x6C: "Linear Sweep Voltammetry",
        0x75: "Constant Voltage",
        0x76: "Constant Current",
        0x77: "Galvanostatic Cycling with Potential Limitation",
        0x7F: "Modulo Bat",
        0x88: "Battery Capacity Determination",
    }
)

#: EC-Lab technique name -> echem technique (``df.attrs["technique"]``).
#: Modulo Bat chains CC, CV, rest and EIS sequences freely, Modular Potentio potential
#: steps, sweeps and rests: ``mixed``. Wait records the cell at rest, like OCV. ZIR
#: (IR compensation by PEIS) measures one impedance point: ``eis``. Battery Capacity
#: Determination (BT-Lab) discharges at constant current: ``galvanostatic``.
TECHNIQUE_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "Potentio Electrochemical Impedance Spectroscopy": "eis",
        "Galvano Electrochemical Impedance Spectroscopy": "eis",
        "Staircase Potentio Electrochemical Impedance Spectroscopy": "eis",
        "Staircase Galvano Electrochemical Impedance Spectroscopy": "eis",
        "IR compensation (PEIS)": "eis",
        "Galvanostatic Cycling with Potential Limitation": "galvanostatic",
        "Chronopotentiometry": "galvanostatic",
        "Battery Capacity Determination": "galvanostatic",
        "Constant Current": "galvanostatic",
        "Chronoamperometry / Chronocoulometry": "potentiostatic",
        "Chronoamperometry": "potentiostatic",
        "Constant Voltage": "potentiostatic",
        "Potentiostatic Cycling with Galvanostatic Acceleration": "potentiostatic",
        "Open Circuit Voltage": "ocv",
        "Wait": "ocv",
        "Cyclic Voltammetry": "cyclic_voltammetry",
        "Cyclic Voltammetry Advanced": "cyclic_voltammetry",
        "Modular Potentio": "mixed",
        "Linear Sweep Voltammetry": "linear_sweep",
        "Modulo Bat": "mixed",
    }
)

#: EC-Lab technique name -> {column ID: name} where the technique gives an ID another
#: name: BT-Lab's Battery Capacity Determination records the cell voltage under ID 6
#: (``Ewe/V`` elsewhere), exported as ``Ecell/V`` (``bcd.issue_241.mpt``, the twin of
#: ``bcd.issue_241.mpr``; the yadg project's ``technique_dependent_ids``, yadg#242).
TECHNIQUE_COLUMN_NAMES: Mapping[str, Mapping[int, str]] = MappingProxyType(
    {"Battery Capacity Determination": MappingProxyType({6: "Ecell/V"})}
)

#: The column an impedance technique must have.
IMPEDANCE_FREQUENCY_COLUMN = "freq/Hz"

#: mA.h -> C (GUIDE section 3: 1 mAh = 3.6 C).
_MAH_TO_C = 3.6

#: Canonical column -> original BioLogic columns, best first, with the unit factor.
#: ``charge_C`` is the cumulative charge since the start of the experiment,
#: ``(Q-Qo)``; the per-half-cycle ``Q charge/discharge`` and the per-point ``dq``
#: restart and are kept under their own names only. ``control/mA`` (the set point)
#: is the current only when no measured current column exists.
CANONICAL_ALIASES: Mapping[str, tuple[Alias, ...]] = MappingProxyType(
    {
        "time_s": (("time/s", 1.0),),
        "voltage_V": (
            ("Ewe/V", 1.0),
            ("<Ewe>/V", 1.0),
            ("<Ewe/V>", 1.0),
            ("Ecell/V", 1.0),
        ),
        "current_A": (
            ("I/mA", 1e-3),
            ("<I>/mA", 1e-3),
            ("<I/mA>", 1e-3),
            ("control/mA", 1e-3),
        ),
        "charge_C": (("(Q-Qo)/mA.h", _MAH_TO_C), ("(Q-Qo)/C", 1.0)),
        "cycle": (("cycle number", 1.0),),
        "step": (("Ns", 1.0),),
        "freq_Hz": ((IMPEDANCE_FREQUENCY_COLUMN, 1.0),),
        "z_real_ohm": (("Re(Z)/Ohm", 1.0),),
        "z_imag_ohm": (("-Im(Z)/Ohm", -1.0),),
    }
)


def technique_kind(names: list[str]) -> str:
    """echem technique of a file from the EC-Lab technique names it lists.

    Parameters
    ----------
    names
        EC-Lab technique names, in file order (linked experiments list several).

    Returns
    -------
    str
        One of :data:`echem.io._schema.TECHNIQUES`: the common kind, ``mixed`` when
        the linked techniques differ, ``unknown`` when none is recognised.
    """
    kinds = {TECHNIQUE_KINDS.get(name, "unknown") for name in names}
    if not kinds:
        return "unknown"
    if len(kinds) == 1:
        return kinds.pop()
    return "mixed"
