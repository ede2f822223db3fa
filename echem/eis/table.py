"""One fit, one table row: the columns of :func:`fit_many`, :func:`fit_series` and ``echem fit``.

Every table of fits is built from :func:`result_row`, so a column means the same thing (and has
the same name) in the Python API and in the CLI's ``results.csv``:

- per parameter ``p``: ``p`` (value), ``p_stderr``, ``p_determined``
  (:mod:`echem.eis.verdict`);
- ``chisqr``, ``redchi``, ``success`` (lmfit's convergence flag, see :class:`FitResult`),
  ``ok`` (the verdict) and ``problems`` (its sentences joined by ``"; "``, "" when ok);
- with a Lin-KK check: ``kk_valid``, ``kk_M``, ``kk_mu``, ``kk_rms_residual``,
  ``kk_max_residual``, ``kk_pseudo_chisqr`` (and ``kk_error`` when the check could not run);
- per arc, keyed by its capacitive element ``E`` (``CPE1``): ``E_C_F`` (effective capacitance),
  ``E_f0_Hz`` (apex frequency), ``E_in_window``, ``E_determined`` (the arc is pinned down:
  :mod:`echem.eis.arc_table`), ``E_role`` (empty unless pinned down; across a series the
  arc's label, so that it names the role columns that hold the arc), ``E_C_method``;
- per role ``r`` (``R_int``; across a series the arc's label, :mod:`echem.eis.tracking`):
  ``r_determined`` (False in a row where no arc of that role is pinned down: its other
  columns are then NaN), ``r_ohm``, ``r_stderr_ohm``, ``r_C_F`` (its effective capacitance);
  with an area ``r_ohm_cm2``; in a symmetric cell ``r_face_ohm``, ``r_face_C_F``; series roles
  of a preset (``R_bulk_ohm``, ``R_bulk_stderr_ohm``) and ``sigma_S_cm`` (from R_bulk, with
  thickness and area).

:func:`finish_table` fills ``r_determined`` with False where a row lacks the role.

Renamed columns
---------------
In echem 0.1.0 the capacitances of roles were ``r_F`` and ``r_face_F`` (``R_int_F``: a column
named like a resistance that held a capacitance). They are ``r_C_F`` and ``r_face_C_F`` now.
For one release the old names stay readable from the table of :func:`echem.eis.fit_series`:
it is a :class:`ResultTable`, a :class:`pandas.DataFrame` whose ``table["R_int_F"]``,
``table[["time_s", "R_int_F"]]``, ``table.get("R_int_F")`` and ``table.R_int_F`` return the
renamed column with a :class:`RenamedColumnWarning` (a :class:`FutureWarning`), one per
look-up, attributed to the line that made it. Only these look-ups (and ``table.loc[:, "R_int_F"]``,
which pandas makes through them) are redirected (``"R_int_F" in table``, ``sort_values``,
``groupby(...)["R_int_F"]``, ``drop`` and the other methods see the new names only),
the old names are not columns (nothing is stored twice, CSV files carry the new names), and
every pandas operation works as on a DataFrame. Subclassing (pandas' documented
``_constructor`` mechanism) is the least bad way: a DataFrame has no hook for aliases, and a
duplicated column could not warn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, EchemWarning
from .capacitance import conductivity
from .circuit import Circuit
from .tracking import pinned_down

__all__ = [
    "result_row",
    "failed_row",
    "finish_table",
    "kk_columns",
    "KK_COLUMNS",
    "ResultTable",
    "RenamedColumnWarning",
]

#: Lin-KK columns: column -> attribute of :class:`echem.eis.kk.KKResult`.
KK_COLUMNS: dict[str, str] = {
    "kk_valid": "valid",
    "kk_M": "M",
    "kk_mu": "mu",
    "kk_rms_residual": "rms_residual",
    "kk_max_residual": "max_residual",
    "kk_pseudo_chisqr": "pseudo_chisqr",
}

#: Arc columns copied per arc as ``<element>_<column>``.
ARC_COLUMNS: tuple[str, ...] = ("C_F", "f0_Hz", "in_window", "determined", "role", "C_method")


def kk_columns(kk: Any) -> dict[str, Any]:
    """The Lin-KK columns of a :class:`~echem.eis.kk.KKResult`, or of a failed check.

    ``kk`` is the result, or the message (str) of the error that stopped the check: then
    ``kk_valid`` is False, the numbers NaN and ``kk_error`` the message.
    """
    if isinstance(kk, str):
        row: dict[str, Any] = dict.fromkeys(KK_COLUMNS, np.nan)
        row["kk_valid"] = False
        row["kk_error"] = kk
        return row
    row = {column: getattr(kk, attribute) for column, attribute in KK_COLUMNS.items()}
    row["kk_valid"] = bool(row["kk_valid"])
    return row


#: Separator of the problem sentences in the ``problems`` column.
PROBLEM_SEPARATOR = "; "


def _parameter_columns(circuit: Circuit, result: Any) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in circuit.param_names:
        row[name] = result.values.get(name, np.nan) if result is not None else np.nan
        row[f"{name}_stderr"] = result.stderr.get(name, np.nan) if result is not None else np.nan
        row[f"{name}_determined"] = (
            bool(result.determined.get(name, False)) if result is not None else False
        )
    return row


def _arc_columns(arcs: pd.DataFrame, labels: Mapping[str, str] | None) -> dict[str, Any]:
    """Per arc ``<element>_<column>``; with ``labels`` (a series) ``<element>_role`` is the
    arc's label across the series, the name of its ``<role>_*`` columns (None: no label)."""
    row: dict[str, Any] = {}
    for _, arc in arcs.iterrows():
        for column in ARC_COLUMNS:
            if column in arc.index:
                row[f"{arc['element']}_{column}"] = arc[column]
        if labels is not None:
            row[f"{arc['element']}_role"] = labels.get(arc["element"])
    return row


#: The columns of an arcs table that the role columns are made from.
ROLE_SOURCE_COLUMNS: tuple[str, ...] = (
    "element", "role", "in_window", "determined", "R_ohm", "R_stderr_ohm", "C_F",
)  # fmt: skip


def _role_columns(arcs: pd.DataFrame, labels: Mapping[str, str] | None) -> dict[str, Any]:
    missing = [column for column in ROLE_SOURCE_COLUMNS if column not in arcs.columns]
    if missing and not arcs.empty:
        raise DataError(f"arcs table lacks columns {missing}")
    row: dict[str, Any] = {}
    for _, arc in arcs.iterrows():
        role = arc["role"] if labels is None else labels.get(arc["element"])
        if role is None or pd.isna(role) or not pinned_down(arc):
            continue
        row[f"{role}_determined"] = True
        row[f"{role}_ohm"] = arc["R_ohm"]
        row[f"{role}_stderr_ohm"] = arc["R_stderr_ohm"]
        row[f"{role}_C_F"] = arc["C_F"]
        if "ASR_ohm_cm2" in arc:
            row[f"{role}_ohm_cm2"] = arc["ASR_ohm_cm2"]
        if "R_face_ohm" in arc:
            row[f"{role}_face_ohm"] = arc["R_face_ohm"]
            row[f"{role}_face_C_F"] = arc["C_face_F"]
    return row


def result_row(
    result: Any,
    *,
    arcs: pd.DataFrame | None = None,
    kk: Any = None,
    series_roles: Mapping[str, str] | None = None,
    area_cm2: float | None = None,
    thickness_cm: float | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The table row of one fit (module docstring for the columns).

    Parameters
    ----------
    result
        The :class:`~echem.eis.FitResult`.
    arcs
        Its arcs table (:func:`echem.eis.arc_table.arcs`, with the caller's roles and
        options); None: ``result.arcs`` (default roles).
    kk
        A :class:`~echem.eis.kk.KKResult`, the message of a failed check, or None (no
        Lin-KK columns).
    series_roles
        Element name -> role for elements outside the arcs (a preset's ``{"R0": "R_bulk"}``).
    area_cm2, thickness_cm
        Electrode area and sample thickness: ``sigma_S_cm`` from R_bulk when both are given.
    labels
        Capacitive element -> label of the arc across a series (:func:`echem.eis.tracking.
        track_arcs`); None: the roles of ``arcs``. Either way only arcs the spectrum pins down
        (``in_window`` and ``determined``) fill role columns.

    Raises
    ------
    DataError
        ``arcs`` lacks a column the role columns are made from (:data:`ROLE_SOURCE_COLUMNS`).
    """
    row = _parameter_columns(result.circuit, result)
    row.update(
        chisqr=result.chisqr,
        redchi=result.redchi,
        success=bool(result.success),
        ok=bool(result.ok),
        problems=PROBLEM_SEPARATOR.join(result.problems),
    )
    if kk is not None:
        row.update(kk_columns(kk))
    arcs = result.arcs if arcs is None else arcs
    row.update(_arc_columns(arcs, labels))
    row.update(_role_columns(arcs, labels))
    for element, role in (series_roles or {}).items():
        determined = bool(result.determined.get(element, False))
        row[f"{role}_determined"] = determined
        row[f"{role}_ohm"] = result.values.get(element, np.nan) if determined else np.nan
        row[f"{role}_stderr_ohm"] = result.stderr.get(element, np.nan) if determined else np.nan
    if thickness_cm is not None and area_cm2 is not None and "R_bulk_ohm" in row:
        row["sigma_S_cm"] = conductivity(row["R_bulk_ohm"], thickness_cm, area_cm2)
    return row


def failed_row(circuit: Circuit | None) -> dict[str, Any]:
    """The row of a spectrum that could not be fitted: NaN parameters, ``success`` False."""
    row = _parameter_columns(circuit, None) if circuit is not None else {}
    row.update(chisqr=np.nan, redchi=np.nan, success=False, ok=False, problems="")
    return row


def finish_table(table: pd.DataFrame) -> pd.DataFrame:
    """``<role>_determined`` False (not NaN) in the rows that lack that role; in place."""
    for column in table.columns:
        if str(column).endswith("_determined"):
            table[column] = table[column].astype(object).where(table[column].notna(), False)
            table[column] = table[column].astype(bool)
    return table


class RenamedColumnWarning(EchemWarning, FutureWarning):
    """A column was read under its old name (module docstring, "Renamed columns")."""


def _renamed(name: str) -> str | None:
    """The new name of a renamed capacitance column (``R_int_F`` -> ``R_int_C_F``), else None."""
    if name.endswith("_F") and not name.endswith("_C_F"):
        return name[: -len("_F")] + "_C_F"
    return None


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside this module and pandas: the user's line
    that read the old name, however deep the look-up (``table[...]``, ``table.get``,
    ``table.R_int_F``, ``table.loc[:, ...]``). A fixed level named a line of pandas or of the
    caller's caller."""
    import sys

    level, frame = 2, sys._getframe(2)  # 2: the caller of _redirect's caller's warn
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module != __name__ and module != "pandas" and not module.startswith("pandas."):
            break
        frame = frame.f_back
        level += 1
    return level


class ResultTable(pd.DataFrame):
    """A :class:`pandas.DataFrame` that still reads renamed columns under their old names.

    ``table["R_int_F"]`` (and lists of names, ``table.get(...)``, ``table.R_int_F``) returns
    ``table["R_int_C_F"]`` with a :class:`RenamedColumnWarning`; see the module docstring.
    """

    @property
    def _constructor(self) -> type[ResultTable]:
        return ResultTable

    def _redirect(self, key: Any) -> Any:
        if isinstance(key, str) and key not in self.columns:
            new = _renamed(key)
            if new is not None and new in self.columns:
                import warnings

                warnings.warn(
                    f"column {key!r} is now {new!r} (a capacitance, in F); the old name will "
                    "stop working in the next release",
                    RenamedColumnWarning,
                    stacklevel=_caller_level(),
                )
                return new
        return key

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            key = self._redirect(key)
        elif isinstance(key, list) and all(isinstance(k, str) for k in key):
            key = [self._redirect(k) for k in key]
        return super().__getitem__(key)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):
            new = self._redirect(name)
            if new != name:
                return super().__getitem__(new)
        return super().__getattr__(name)
