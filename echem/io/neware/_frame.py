"""The tidy frame of a Neware record: derived columns, canonical aliases, attrs.

Both readers (.nda, .ndax) decode their records into the same named columns (units in
the names, as the public parser fastnda names them): ``index``, ``voltage_V``,
``current_mA``, ``step_time_s``, ``unix_time_s``, ``step_index`` (the plan's step ID),
``step_type`` (code), the file's cycle counter, capacities and energies in mAh and mWh,
``aux<N>_<quantity>`` for auxiliary channels. :func:`build` adds what follows from them
and assembles the frame.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import ParseError
from echem.io._schema import build_frame
from echem.io.neware import _steps

__all__ = ["build", "iso_from_unix", "FORMAT_NDA", "FORMAT_NDAX"]

FORMAT_NDA = "neware-nda"
FORMAT_NDAX = "neware-ndax"

#: Canonical column -> original column and factor to SI (mA -> A, mAh -> C, mWh -> J).
_ALIASES: dict[str, list[tuple[str, float]]] = {
    "time_s": [("total_time_s", 1.0)],
    "voltage_V": [("voltage_V", 1.0)],
    "current_A": [("current_mA", 1e-3)],
    "charge_C": [("capacity_mAh", 3.6)],
    "energy_J": [("energy_mWh", 3.6)],
    "cycle": [("cycle_count", 1.0)],
    "step": [("step_count", 1.0)],
}

#: Order of the original columns (those present); auxiliary channels and anything else
#: follow in the order decoded.
_ORDER = (
    "index",
    "cycle_count",
    "step_count",
    "step_index",
    "step_type",
    "step_time_s",
    "total_time_s",
    "unix_time_s",
    "voltage_V",
    "current_mA",
    "capacity_mAh",
    "energy_mWh",
    "charge_capacity_mAh",
    "discharge_capacity_mAh",
    "charge_energy_mWh",
    "discharge_energy_mWh",
    "cycle_count_file",
    "current_range",
)

_AUX_TEMPERATURE = re.compile(r"^aux(-?\d+)_temperature_degC$")
#: Columns every reader must have decoded (with a step time or a test time).
_REQUIRED = ("index", "voltage_V", "current_mA", "step_type", "step_index")


def build(
    columns: dict[str, np.ndarray],
    *,
    path: Path,
    format: str,
    start_time: str | None,
    metadata: Mapping[str, Any],
) -> pd.DataFrame:
    """The tidy frame of decoded Neware columns.

    Adds ``step_count`` (when the reader did not), ``total_time_s`` (when the file has no
    test time), ``capacity_mAh``/``energy_mWh`` (charge minus discharge: signed, positive
    while charging, restarting at 0 with each step, as the instrument counts them),
    ``cycle_count`` (BTSDA's charge-first cycle) and ``step_type`` as names; then the
    canonical columns (:data:`_ALIASES`; ``temperature_degC`` from the first auxiliary
    temperature channel).
    """
    missing = [name for name in _REQUIRED if name not in columns]
    if "step_time_s" not in columns and "total_time_s" not in columns:
        missing.append("step_time_s")
    if missing:
        raise ParseError(
            f"the records hold no {', '.join(missing)}: not a layout echem can read", path
        )
    codes = columns.pop("step_type")
    if "step_count" not in columns:
        counters = [columns["step_index"]]
        if "cycle_count_file" in columns:
            counters.append(columns["cycle_count_file"])
        columns["step_count"] = _steps.step_numbers(*counters)
    if "total_time_s" not in columns:
        columns["total_time_s"] = _steps.total_time(columns["step_time_s"], columns["step_count"])
    for net, charge, discharge in (
        ("capacity_mAh", "charge_capacity_mAh", "discharge_capacity_mAh"),
        ("energy_mWh", "charge_energy_mWh", "discharge_energy_mWh"),
    ):
        if net not in columns and charge in columns:
            columns[net] = columns[charge] - columns[discharge]
    present = _steps.present_codes(codes)
    columns["cycle_count"] = _steps.cycle_numbers(codes, columns["step_count"])
    columns["step_type"] = _steps.step_type_column(codes, present, path)
    ordered = {name: columns[name] for name in _ORDER if name in columns}
    ordered.update((name, values) for name, values in columns.items() if name not in ordered)
    aliases = dict(_ALIASES)
    temperatures = sorted(
        (int(m.group(1)), name) for name in ordered if (m := _AUX_TEMPERATURE.match(name))
    )
    aliases["temperature_degC"] = [("temperature_degC", 1.0)] + [
        (name, 1.0) for _, name in temperatures
    ]
    # numbers through build_frame's block path; the one text column inserted after
    names = list(ordered)
    step_type = ordered.pop("step_type")
    frame = build_frame(
        ordered,
        aliases,
        format=format,
        technique=_steps.technique(present),
        source=path.name,
        start_time=start_time,
        metadata=metadata,
    )
    before = names[names.index("step_type") - 1]
    frame.insert(frame.columns.get_loc(before) + 1, "step_type", step_type)
    return frame


def iso_from_unix(seconds: float) -> str | None:
    """ISO 8601 (UTC, with its offset) of a Unix time in s; None when not finite or out
    of the calendar's range."""
    if not np.isfinite(seconds):
        return None
    try:
        moment = datetime.fromtimestamp(float(seconds), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="milliseconds")


def iso_from_wall_clock(seconds: float) -> str | None:
    """ISO 8601 without offset of a calendar date stored as seconds since 1970 (a wall
    clock of unknown zone, as .ndc version 1-5 records store it)."""
    text = iso_from_unix(seconds)
    return None if text is None else text.removesuffix("+00:00")
