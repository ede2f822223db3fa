"""Arbin MITS Pro result files (``.res``): a Microsoft Access (Jet 4) database.

The database (decoded by :mod:`echem.io._access`, no Access driver or mdbtools needed)
holds one row per test in ``Global_Table`` (name, channel, start, schedule, software,
tester serial, mass...) and one row per logged point in ``Channel_Normal_Table``
(``Test_ID``, ``Data_Point``, ``Test_Time``/``Step_Time`` [s], ``DateTime``, ``Step_Index``,
``Cycle_Index``, ``Current`` [A], ``Voltage`` [V], ``Charge_Capacity`` and
``Discharge_Capacity`` [Ah], ``Charge_Energy`` and ``Discharge_Energy`` [Wh], ``dV/dt``
[V/s], ``Internal_Resistance`` [Ohm], ...; newer versions add columns, all kept), per-cycle
values in ``Channel_Statistic_Table``, auxiliary inputs in ``Auxiliary_Table``
(``Data_Type`` 0 a voltage, 1 a temperature) described by ``Aux_Global_Data_Table``
(nickname, unit), events in ``Event_Table``, the channel's last state in
``Resume_Table`` and ``Results File <version>`` in ``Version_Table``.

The frame is the normal table of one test, ordered by ``Data_Point`` (Arbin does not keep
its pages in data-point order), with:

* ``time_s`` = ``Test_Time``, ``voltage_V`` = ``Voltage``, ``current_A`` = ``Current``,
  sign as Arbin records it: positive while charging (``Charge_Capacity`` grows), negative
  while discharging; for a half cell with the studied electrode as working electrode
  (this file: silicon against Li) charging is the anodic (delithiation) direction, so the
  sign is the IUPAC one of echem's frame;
* ``charge_C`` = (``Charge_Capacity`` - ``Discharge_Capacity``) x 3600 and ``energy_J`` =
  (``Charge_Energy`` - ``Discharge_Energy``) x 3600: the net charge (energy) the
  instrument counted since the start of the cycle. Arbin resets both counters when
  ``Cycle_Index`` changes, at a step boundary, where :mod:`echem.coulometry` never
  integrates, so its cross-check with the integrated current holds run by run;
* ``cycle`` = ``Cycle_Index``, ``step`` = ``Step_Index``;
* the auxiliary inputs as columns ``Aux_<kind>_<Auxiliary_Index>`` (``Aux_Voltage_1``,
  ``Aux_Temperature_2``...; ``..._dX/dt`` beside them when the file has the derivative),
  and ``temperature_degC`` from the first temperature input whose unit is Celsius (or
  unrecorded: Arbin logs thermocouples in °C);
* every original column under its own name.

``attrs["tables"]`` holds every other table with rows (``Channel_Statistic_Table``,
``Event_Table``, ``Global_Table``, ``Resume_Table``, ``Auxiliary_Table``, ...), rows of
other tests left out; the names of empty tables are in ``metadata["empty_tables"]``. A
copy cut short (a test still running) reads as far as it goes, with a
:class:`echem.TruncatedDataWarning`; the tables it ends before are named, with why, in
``metadata["tables_not_read"]``.
``metadata`` holds the test's ``Global_Table`` row under Arbin's column names plus
``test_id``, ``test_name``, ``channel``, ``schedule``, ``instrument``,
``software_version``, ``mass_g`` (``MASS``, g), ``file_version``, ``tests`` (every test of
the file) and ``units``. ``start_time`` is ``Start_DateTime``, an OLE Automation date
(days since 1899-12-30) in the tester's local time: ISO 8601 without a zone, which the
file does not record.

``attrs["technique"]`` is ``"unknown"``: the file records no control mode for its steps
(``metadata["technique_note"]``).

A file with several tests (``Test_ID``) is never mixed: :func:`read_res` takes
``test=`` (a ``Test_ID``) or ``channel=`` (a ``Channel_Index``), and reading such a file
without either raises :class:`echem.ParseError` listing the tests.

References: the mdbtools format description (``HACKING.md``) for the database; cellpy's
Arbin loader and galvani's ``res2sqlite`` for the table and column names.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import EchemWarning, ParseError, TruncatedDataWarning
from echem.io import Format
from echem.io._access import AccessDatabase, PastEndError, is_access_database, ole_dates
from echem.io._caller import warn
from echem.io._schema import build_frame
from echem.io._tables import Tables

__all__ = ["FORMATS", "read_res", "list_tests"]

NORMAL_TABLE = "Channel_Normal_Table"
GLOBAL_TABLE = "Global_Table"
AUX_TABLE = "Auxiliary_Table"
AUX_GLOBAL_TABLE = "Aux_Global_Data_Table"
VERSION_TABLE = "Version_Table"
#: Tables every Arbin result file has.
REQUIRED_TABLES = (GLOBAL_TABLE, NORMAL_TABLE)

#: ``attrs["technique"]``: a .res records no control mode (constant current, voltage,
#: power, rest...) for its steps, only their indices; the schedule file that holds them
#: is not in it. A cycler test is most often a mix, and telling CC from CV from the
#: logged current would be a guess (a CV step's current can be flat, a CC step's ends at
#: a voltage limit): so "unknown", with the reason in ``metadata["technique_note"]``.
TECHNIQUE = "unknown"
TECHNIQUE_NOTE = (
    "the .res records no control mode for its steps (constant current, voltage, power, "
    "rest); the schedule (metadata['schedule']) holds them"
)

#: Seconds per hour: Ah -> C and Wh -> J.
_SECONDS_PER_HOUR = 3600.0

#: Channel_Normal_Table columns Arbin writes (this file's; cellpy's list for other MITS Pro
#: versions) and the Access types each may have. A known column of another type is a
#: damaged table definition (a flipped type byte would turn every value into another
#: number); an unknown name warns (a newer version, or a damaged name).
_INTEGER_TYPES = frozenset({"Byte", "Integer", "Long Integer"})
_REAL_TYPES = frozenset({"Single", "Double"})
_NORMAL_COLUMNS: Mapping[str, frozenset[str]] = {
    "Test_ID": _INTEGER_TYPES,
    "Data_Point": _INTEGER_TYPES,
    "Test_Time": _REAL_TYPES,
    "Step_Time": _REAL_TYPES,
    "Sub_Step_Time": _REAL_TYPES,
    "DateTime": _REAL_TYPES,
    "Step_Index": _INTEGER_TYPES,
    "Sub_Step_Index": _INTEGER_TYPES,
    "Cycle_Index": _INTEGER_TYPES,
    "Is_FC_Data": _INTEGER_TYPES | {"Yes/No"},
    "Current": _REAL_TYPES,
    "Voltage": _REAL_TYPES,
    "Reference_Voltage": _REAL_TYPES,
    "Charge_Capacity": _REAL_TYPES,
    "Discharge_Capacity": _REAL_TYPES,
    "Charge_Energy": _REAL_TYPES,
    "Discharge_Energy": _REAL_TYPES,
    "dV/dt": _REAL_TYPES,
    "Internal_Resistance": _REAL_TYPES,
    "AC_Impedance": _REAL_TYPES,
    "ACI_Phase_Angle": _REAL_TYPES,
    "Reference_AC_Impedance": _REAL_TYPES,
    "Reference_ACI_Phase_Angle": _REAL_TYPES,
    "Frequency": _REAL_TYPES,
    "Amplitude": _REAL_TYPES,
    # MITS Pro 7 ("Results File 20171213": cellpy's aux_one_x_dx.res)
    "PulseStageIndex": _INTEGER_TYPES,
    "PulseStageTime": _REAL_TYPES,
    "ACR": _REAL_TYPES,
    "TC_Counter1": _INTEGER_TYPES,
    "TC_Counter2": _INTEGER_TYPES,
    "TC_Counter3": _INTEGER_TYPES,
    "TC_Counter4": _INTEGER_TYPES,
}
#: Other tables' columns echem computes with, and the Access types they may have.
_OTHER_COLUMNS: Mapping[str, Mapping[str, frozenset[str]]] = {
    GLOBAL_TABLE: {"Start_DateTime": _REAL_TYPES, "MASS": _REAL_TYPES},
    AUX_TABLE: {"X": _REAL_TYPES, "dX/dt": _REAL_TYPES, "dX_dt": _REAL_TYPES},
}
#: Columns that key rows to a test, point, channel or input, in whichever table: they
#: must hold integers (a damaged type would drop or misplace the rows).
_KEY_COLUMNS = (
    "Test_ID",
    "Data_Point",
    "Channel_Index",
    "Cycle_Index",
    "Step_Index",
    "Auxiliary_Index",
    "Data_Type",
)
#: Of the normal table's columns, the ones every Arbin version writes.
_REQUIRED_COLUMNS = (
    "Test_ID",
    "Data_Point",
    "Test_Time",
    "Step_Index",
    "Cycle_Index",
    "Current",
    "Voltage",
)

#: Canonical column -> (counter up, counter down, factor): canonical = (up - down) * factor.
_NET_COUNTERS: Mapping[str, tuple[str, str, float]] = {
    "charge_C": ("Charge_Capacity", "Discharge_Capacity", _SECONDS_PER_HOUR),
    "energy_J": ("Charge_Energy", "Discharge_Energy", _SECONDS_PER_HOUR),
}

#: Canonical column -> (original column, factor) candidates.
_ALIASES: Mapping[str, list[tuple[str, float]]] = {
    "time_s": [("Test_Time", 1.0)],
    "voltage_V": [("Voltage", 1.0)],
    "current_A": [("Current", 1.0)],
    "charge_C": [("charge_C", 1.0)],
    "energy_J": [("energy_J", 1.0)],
    "cycle": [("Cycle_Index", 1.0)],
    "step": [("Step_Index", 1.0)],
}

#: Units of Arbin's columns (normal, statistic, global and resume tables).
UNITS: Mapping[str, str] = {
    "Test_Time": "s",
    "Step_Time": "s",
    "DateTime": "days since 1899-12-30 (OLE Automation date, tester's local time)",
    "Start_DateTime": "days since 1899-12-30 (OLE Automation date, tester's local time)",
    "Current": "A",
    "Voltage": "V",
    "Charge_Capacity": "Ah",
    "Discharge_Capacity": "Ah",
    "Charge_Energy": "Wh",
    "Discharge_Energy": "Wh",
    "dV/dt": "V/s",
    "Internal_Resistance": "Ohm",
    "Vmax_On_Cycle": "V",
    "Charge_Time": "s",
    "Discharge_Time": "s",
    "MASS": "g",
    "Specific_Capacity": "Ah/g",
}

#: Auxiliary_Table columns that place a value: its data point, its input, its kind.
_AUX_KEYS = ("Data_Point", "Auxiliary_Index", "Data_Type")
#: Auxiliary ``Data_Type`` -> the quantity in column names (Arbin: 0 voltage, 1 temperature).
_AUX_KINDS: Mapping[int, str] = {0: "Voltage", 1: "Temperature"}
_TEMPERATURE_KIND = 1
#: Units Arbin writes for a Celsius temperature (``Aux_Global_Data_Table.Unit``).
_CELSIUS = frozenset({"c", "°c", "degc", "deg c", "celsius"})

#: Global_Table column -> metadata key of the common facts.
_GLOBAL_FACTS: Mapping[str, str] = {
    "Test_ID": "test_id",
    "Test_Name": "test_name",
    "Channel_Index": "channel",
    "Schedule_File_Name": "schedule",
    "Software_Version": "software_version",
    "Creator": "creator",
    "Comments": "comments",
    "MASS": "mass_g",
}


def list_tests(path: str | Path) -> pd.DataFrame:
    """The tests of a ``.res`` file: ``Test_ID``, ``Test_Name``, ``Channel_Index``,
    start (ISO 8601, local time) and the number of data points of each.

    Parameters
    ----------
    path
        The ``.res`` file.
    """
    path = Path(path)
    database = _open(path)
    global_rows = _global_rows(database, path)
    points = database.read_table(NORMAL_TABLE, ("Test_ID",))["Test_ID"]
    return _test_table(global_rows, points)


def read_res(
    path: str | Path, *, test: int | None = None, channel: int | None = None
) -> pd.DataFrame:
    """Read an Arbin ``.res`` file into the canonical tidy frame (see the module docstring).

    Parameters
    ----------
    path
        The ``.res`` file.
    test
        The ``Test_ID`` to read, for a file with several tests.
    channel
        The ``Channel_Index`` whose test to read (instead of ``test``).

    Returns
    -------
    pandas.DataFrame
        One row per data point of the test, ordered by ``Data_Point``;
        ``attrs["tables"]`` holds the other tables.

    Raises
    ------
    echem.ParseError
        Not an Arbin result file (an Access database without ``Global_Table`` and
        ``Channel_Normal_Table``), a damaged or cut database, several tests and neither
        ``test`` nor ``channel``, or a test/channel the file does not hold.
    """
    path = Path(path)
    database = _open(path)
    unread: dict[str, str] = {}
    global_rows = _global_rows(database, path, unread)
    normal = database.read_table(NORMAL_TABLE)
    _require_keys(normal, NORMAL_TABLE, ("Test_ID", "Data_Point"), path)
    table_of_tests = _test_table(global_rows, normal["Test_ID"])
    test_id = _choose_test(table_of_tests, test, channel, path)
    raw = _ordered(_test_rows(normal, test_id), path)
    global_row = _global_row(global_rows, test_id)

    tables, empty = _other_tables(database, test_id, unread, path)
    units = {name: unit for name, unit in UNITS.items() if name in raw or name in global_row}
    aux = tables.get(AUX_TABLE)
    aux_columns, temperature = (
        _aux_columns(aux, tables.get(AUX_GLOBAL_TABLE), raw["Data_Point"], path)
        if aux is not None
        else ({}, None)
    )
    for name, (values, unit) in aux_columns.items():
        raw[name] = values
        units[name] = unit
    for canonical, (up, down, factor) in _NET_COUNTERS.items():
        if up in raw and down in raw:
            raw[canonical] = (
                np.asarray(raw[up], dtype=np.float64) - np.asarray(raw[down], dtype=np.float64)
            ) * factor
    aliases = dict(_ALIASES)
    if temperature is not None:
        aliases["temperature_degC"] = [(temperature, 1.0)]

    metadata = _metadata(global_row, database, tables, table_of_tests, empty, units)
    if unread:
        metadata["tables_not_read"] = unread
    frame = build_frame(
        raw,
        aliases,
        format="arbin-res",
        technique=TECHNIQUE,
        source=path.name,
        start_time=_start_time(global_row.get("Start_DateTime")),
        metadata=metadata,
    )
    frame.attrs["tables"] = Tables(
        {
            name: build_frame(
                pd.DataFrame(table),
                {},
                format="arbin-res",
                technique="unknown",
                source=path.name,
                metadata={"units": {c: UNITS[c] for c in table if c in UNITS}},
            )
            for name, table in tables.items()
        }
    )
    return frame


def _open(path: Path) -> AccessDatabase:
    database = AccessDatabase.open(path)
    missing = [name for name in REQUIRED_TABLES if name not in database.table_names()]
    if missing:
        raise ParseError(
            f"an Access database without Arbin's {' and '.join(missing)}: not an Arbin "
            f".res result file (its tables: {', '.join(database.table_names()) or 'none'})",
            path,
        )
    for name in database.table_names():
        try:
            _check_types(database, name, path)
        except PastEndError:
            if name == NORMAL_TABLE:
                raise  # the others are told of when read
    _check_normal_columns(database, path)
    return database


def _check_types(database: AccessDatabase, table: str, path: Path) -> None:
    """Key columns hold integers, and the columns echem computes with have a type
    Arbin writes: another type is a damaged definition (a flipped type byte)."""
    known = {
        **_OTHER_COLUMNS.get(table, {}),
        **{key: _INTEGER_TYPES for key in _KEY_COLUMNS},
        **(_NORMAL_COLUMNS if table == NORMAL_TABLE else {}),
    }
    for column in database.table_def(table).columns:
        allowed = known.get(column.name)
        if allowed is not None and column.type_name not in allowed:
            raise ParseError(
                f"{table}.{column.name} is of type {column.type_name}, not one of "
                f"{', '.join(sorted(allowed))}: a damaged table definition",
                path,
            )


def _check_normal_columns(database: AccessDatabase, path: Path) -> None:
    """The normal table has Arbin's key columns (their types: :func:`_check_types`); an
    unknown column warns."""
    types = {c.name: c.type_name for c in database.table_def(NORMAL_TABLE).columns}
    absent = [name for name in _REQUIRED_COLUMNS if name not in types]
    if absent:
        raise ParseError(
            f"{NORMAL_TABLE} has no {', '.join(absent)} column (it has {', '.join(types)}): "
            "a damaged table definition",
            path,
        )
    unknown = [name for name in types if name not in _NORMAL_COLUMNS]
    if unknown:
        warn(
            f"{path}: {NORMAL_TABLE} column(s) {', '.join(map(repr, unknown))} are not "
            "among those echem knows from Arbin (a newer MITS Pro version, or a damaged "
            "name); kept as they are",
            EchemWarning,
        )


def _test_table(global_rows: pd.DataFrame, points: np.ndarray) -> pd.DataFrame:
    """One row per test found in Global_Table or in the normal table's Test_ID."""
    ids, counts = np.unique(np.asarray(points), return_counts=True)
    rows = {int(i): int(n) for i, n in zip(ids.tolist(), counts.tolist(), strict=True)}
    described = global_rows.set_index("Test_ID", drop=False) if "Test_ID" in global_rows else None
    every = sorted(
        set(rows) | ({int(i) for i in described.index} if described is not None else set())
    )
    records = []
    for test_id in every:
        record: dict[str, Any] = {"Test_ID": test_id}
        if described is not None and test_id in described.index:
            row = described.loc[[test_id]].iloc[0]
            for column in ("Test_Name", "Channel_Index"):
                if column in row:
                    record[column] = _python(row[column])
            record["start"] = _start_time(row.get("Start_DateTime"))
        record["data_points"] = rows.get(test_id, 0)
        records.append(record)
    return pd.DataFrame(records)


def _choose_test(table: pd.DataFrame, test: int | None, channel: int | None, path: Path) -> int:
    listing = "; ".join(
        f"Test_ID {r.Test_ID}"
        + (f" {r.Test_Name!r}" if "Test_Name" in table and isinstance(r.Test_Name, str) else "")
        + (f" on channel {r.Channel_Index}" if "Channel_Index" in table else "")
        + f" ({r.data_points} data points)"
        for r in table.itertuples()
    )
    if test is not None and channel is not None:
        raise ParseError("give test= or channel=, not both", path)
    if test is not None:
        if test not in set(table["Test_ID"].tolist()):
            raise ParseError(f"no test with Test_ID {test} (the file holds: {listing})", path)
        return int(test)
    if channel is not None:
        if "Channel_Index" not in table:
            raise ParseError(f"no channel {channel}: the tests name no channel ({listing})", path)
        chosen = table.loc[table["Channel_Index"] == channel, "Test_ID"].tolist()
        if len(chosen) != 1:
            raise ParseError(
                f"{len(chosen)} tests on channel {channel}"
                + (": choose one with test=" if chosen else "")
                + f" (the file holds: {listing})",
                path,
            )
        return int(chosen[0])
    if len(table) == 1:
        return int(table["Test_ID"].iloc[0])
    if table.empty:
        raise ParseError("the file holds no test (Global_Table and the data are empty)", path)
    raise ParseError(
        f"the file holds {len(table)} tests: {listing}; read one with "
        "echem.io.arbin.read_res(path, test=<Test_ID>) or channel=<Channel_Index>",
        path,
    )


def _test_rows(table: Mapping[str, np.ndarray], test_id: int) -> dict[str, np.ndarray]:
    keep = np.asarray(table["Test_ID"]) == test_id
    if keep.all():
        return dict(table)
    return {name: np.asarray(values)[keep] for name, values in table.items()}


def _require_keys(
    table: Mapping[str, np.ndarray], name: str, keys: tuple[str, ...], path: Path
) -> None:
    """Every row of ``table`` has its ``keys`` (a row without its test or data point
    cannot be placed)."""
    for key in keys:
        values = np.asarray(table[key]) if key in table else None
        if values is None:
            raise ParseError(f"{name} has no {key} column", path)
        if values.dtype.kind == "f" and np.isnan(values).any():
            raise ParseError(
                f"{int(np.isnan(values).sum())} row(s) of {name} have no {key}: damaged", path
            )


def _global_rows(
    database: AccessDatabase, path: Path, unread: dict[str, str] | None = None
) -> pd.DataFrame:
    """Global_Table (no rows, with a TruncatedDataWarning and its reason in ``unread``,
    when a cut file ends before it)."""
    try:
        table = database.read_table(GLOBAL_TABLE)
    except PastEndError as error:
        warn(f"{error}; the tests' names, channels and start are unknown", TruncatedDataWarning)
        if unread is not None:
            unread[GLOBAL_TABLE] = error.reason
        return pd.DataFrame()
    _require_keys(table, GLOBAL_TABLE, ("Test_ID",), path)
    ids, counts = np.unique(np.asarray(table["Test_ID"]), return_counts=True)
    if (counts > 1).any():
        warn(
            f"{path}: {GLOBAL_TABLE} has several rows for Test_ID "
            f"{', '.join(str(i) for i in ids[counts > 1].tolist())}: a test's metadata is "
            f"its first row's (every row is in attrs['tables']['{GLOBAL_TABLE}'])",
            EchemWarning,
        )
    return pd.DataFrame(table)


def _ordered(table: dict[str, np.ndarray], path: Path) -> dict[str, np.ndarray]:
    """Rows by ``Data_Point`` (stable sort, when not already in order). A repeated data
    point, or a ``Test_Time`` that goes back in data-point order, warns: Arbin numbers its
    points in time order, so either means a damaged file."""
    points = np.asarray(table["Data_Point"])
    if points.size > 1 and not bool(np.all(points[1:] >= points[:-1])):
        order = np.argsort(points, kind="stable")
        table = {name: np.asarray(values)[order] for name, values in table.items()}
        points = points[order]
    repeated = int(np.count_nonzero(points[1:] == points[:-1]))
    if repeated:
        warn(
            f"{path}: {repeated} Data_Point value(s) of {NORMAL_TABLE} repeat: damaged file?",
            EchemWarning,
        )
    if "Test_Time" in table:
        times = np.asarray(table["Test_Time"], dtype=np.float64)
        back = np.flatnonzero(times[1:] < times[:-1])
        if back.size:
            warn(
                f"{path}: Test_Time goes back {back.size} time(s) in Data_Point order (first "
                f"after Data_Point {points[back[0]]}): damaged file?",
                EchemWarning,
            )
    return table


def _global_row(global_rows: pd.DataFrame, test_id: int) -> dict[str, Any]:
    if "Test_ID" not in global_rows:
        return {}
    rows = global_rows.loc[global_rows["Test_ID"] == test_id]
    if rows.empty:
        return {}
    return {name: _python(value) for name, value in rows.iloc[0].items()}


def _python(value: Any) -> Any:
    """A plain Python value (numpy scalars unwrapped, NaN/NaT None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _start_time(days: Any) -> str | None:
    """ISO 8601 (local time, no zone) of an OLE Automation date, None when absent or
    unset (0: the OLE epoch, 1899-12-30, is no start a cycler recorded)."""
    if days is None or isinstance(days, str) or days == 0:
        return None
    instant = ole_dates(np.array([days], dtype=np.float64))[0]
    if np.isnat(instant):
        return None
    text = str(instant)
    return text[:-4] if text.endswith(".000") else text


def _other_tables(
    database: AccessDatabase, test_id: int, unread: dict[str, str], path: Path
) -> tuple[dict[str, dict[str, np.ndarray]], list[str]]:
    """Every user table but the normal one, restricted to the test where it has a
    ``Test_ID``; (tables with rows, names of empty ones). A table keyed by channel only
    (``Aux_Global_Data_Table``) is kept whole: MITS Pro numbers its ``Channel_Index``
    apart from ``Global_Table``'s (0 there for channel 1, 30 for 31, in cellpy's files).
    A table whose pages lie past the end of a cut file is warned of and named, with why,
    in ``unread``."""
    tables: dict[str, dict[str, np.ndarray]] = {}
    empty: list[str] = []
    for name in database.table_names():
        if name == NORMAL_TABLE or name in unread:
            continue
        try:
            table = database.read_table(name)
        except PastEndError as error:
            warn(f"{error}; table {name} is not read", TruncatedDataWarning)
            unread[name] = error.reason
            continue
        if "Test_ID" in table:
            keys = np.asarray(table["Test_ID"])
            if keys.dtype.kind == "f" and np.isnan(keys).any():
                warn(
                    f"{path}: {int(np.isnan(keys).sum())} row(s) of {name} have no Test_ID "
                    "(null): they belong to no test and are left out of attrs['tables']",
                    EchemWarning,
                )
            table = _test_rows(table, test_id)
        n_rows = len(next(iter(table.values()))) if table else 0
        if n_rows:
            tables[name] = table
        else:
            empty.append(name)
    return tables, empty


def _aux_columns(
    aux: Mapping[str, np.ndarray],
    aux_global: Mapping[str, np.ndarray] | None,
    data_points: np.ndarray,
    path: Path,
) -> tuple[dict[str, tuple[np.ndarray, str]], str | None]:
    """The auxiliary inputs as columns aligned with the data points.

    Returns ``{column: (values, unit)}`` and the name of the column ``temperature_degC``
    comes from (None without a Celsius temperature input). A value logged at a data
    point the normal table does not have, or twice at one, or a row without its data
    point, input or kind, warns (the Auxiliary_Table in ``attrs["tables"]`` keeps every
    row).
    """
    absent = [name for name in (*_AUX_KEYS, "X") if name not in aux]
    if absent:
        warn(
            f"{path}: {AUX_TABLE} has no {', '.join(absent)} column: its values are not "
            f"made columns (kept in attrs['tables']['{AUX_TABLE}'])",
            EchemWarning,
        )
        return {}, None
    keys = [np.asarray(aux[name]) for name in _AUX_KEYS]
    placed = np.ones(keys[0].size, dtype=bool)
    for values in keys:
        if values.dtype.kind == "f":
            placed &= ~np.isnan(values)
    if not placed.all():
        warn(
            f"{path}: {int((~placed).sum())} {AUX_TABLE} row(s) have no "
            f"{', '.join(_AUX_KEYS[:-1])} or {_AUX_KEYS[-1]} and cannot be placed: left out "
            f"of the Aux_ columns (kept in attrs['tables']['{AUX_TABLE}'])",
            EchemWarning,
        )
    points, indexes, kinds = (values[placed].astype(np.int64) for values in keys)
    aux = {name: np.asarray(values)[placed] for name, values in aux.items()}
    units = _aux_units(aux_global)
    order = np.argsort(data_points, kind="stable")
    sorted_points = np.asarray(data_points)[order]
    columns: dict[str, tuple[np.ndarray, str]] = {}
    temperature = None
    for kind, index in sorted({(int(k), int(i)) for k, i in zip(kinds, indexes, strict=True)}):
        label = f"Aux_{_AUX_KINDS.get(kind, f'Type{kind}')}_{index}"
        mine = (kinds == kind) & (indexes == index)
        where = np.searchsorted(sorted_points, points[mine])
        found = where < sorted_points.size
        found[found] = sorted_points[where[found]] == points[mine][found]
        if not found.all():
            warn(
                f"{path}: {int((~found).sum())} {label} value(s) at data points the normal "
                f"table does not have (kept in attrs['tables']['{AUX_TABLE}'])",
                EchemWarning,
            )
        rows = order[where[found]]
        if np.unique(rows).size != rows.size:
            warn(
                f"{path}: {label} logged more than once at some data points; the last is "
                "in the column (every row is in attrs['tables'])",
                EchemWarning,
            )
        unit = units.get((kind, index))
        for source, suffix in (("X", ""), ("dX/dt", "_dX/dt"), ("dX_dt", "_dX/dt")):
            if source not in aux or f"{label}{suffix}" in columns:
                continue
            values = np.full(sorted_points.size, np.nan)
            values[rows] = np.asarray(aux[source], dtype=np.float64)[mine][found]
            shown = unit if unit is not None else "unrecorded"
            columns[f"{label}{suffix}"] = (values, f"{shown}/s" if suffix else shown)
        if (
            kind == _TEMPERATURE_KIND
            and temperature is None
            and (unit is None or unit.strip().lower() in _CELSIUS)
        ):
            temperature = label
    return columns, temperature


def _aux_units(aux_global: Mapping[str, np.ndarray] | None) -> dict[tuple[int, int], str]:
    """(Data_Type, Auxiliary_Index) -> the unit Aux_Global_Data_Table records.

    Its ``Channel_Index`` cannot be matched with ``Global_Table``'s (MITS Pro numbers the
    two apart), so an input's unit is the one every channel of the table gives it; where
    channels disagree, the unit names them all (and is no Celsius)."""
    if aux_global is None or not {"Data_Type", "Auxiliary_Index", "Unit"} <= set(aux_global):
        return {}
    found: dict[tuple[int, int], set[str]] = {}
    for kind, index, unit in zip(
        aux_global["Data_Type"], aux_global["Auxiliary_Index"], aux_global["Unit"], strict=True
    ):
        if isinstance(unit, str) and not (_is_missing(kind) or _is_missing(index)):
            found.setdefault((int(kind), int(index)), set()).add(unit)
    return {
        key: units.pop()
        if len(units) == 1
        else f"one of {', '.join(sorted(units))} (Aux_Global_Data_Table's channels differ)"
        for key, units in found.items()
    }


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _metadata(
    global_row: dict[str, Any],
    database: AccessDatabase,
    tables: Mapping[str, Mapping[str, np.ndarray]],
    table_of_tests: pd.DataFrame,
    empty: list[str],
    units: dict[str, str],
) -> dict[str, Any]:
    metadata: dict[str, Any] = dict(global_row)
    for column, key in _GLOBAL_FACTS.items():
        if column in global_row:
            metadata[key] = global_row[column]
    serial = global_row.get("Serial_Number")
    metadata["instrument"] = f"Arbin, SN {serial}" if serial else "Arbin"
    version = tables.get(VERSION_TABLE, {}).get("Version_Schema_Field")
    if version is not None and len(version):
        metadata["file_version"] = version[0]
    metadata["database"] = database.version
    metadata["tests"] = table_of_tests.to_dict("records")
    metadata["empty_tables"] = empty
    metadata["units"] = units
    metadata["current_sign"] = (
        "as Arbin records it: positive while charging (Charge_Capacity grows), "
        "negative while discharging"
    )
    metadata["time_zone"] = "tester's local time (the file records no zone)"
    metadata["technique_note"] = TECHNIQUE_NOTE
    return metadata


def _sniff(head: bytes) -> bool:
    return is_access_database(head)


FORMATS: tuple[Format, ...] = (
    Format(
        name="arbin-res",
        description="Arbin MITS Pro result file (.res, an MS Access database)",
        extensions=(".res",),
        sniff=_sniff,
        reader=read_res,
    ),
)
