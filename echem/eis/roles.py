"""Physical roles of impedance arcs from their capacitance (Irvine, Sinclair & West).

Irvine, Sinclair & West, Adv. Mater. 2 (1990) 132, Table 1: for a cell constant l/A ≈ 1 cm⁻¹ the
capacitance of an arc tells which phenomenon it comes from. The table here is *data*: a tuple of
:class:`Role` rows that any function taking ``roles=`` accepts in its place, as

* a mapping ``{"R_int": (1e-9, 1e-7), "R_ct": (1e-7, 1e-4)}`` (name -> (low_F, high_F)
  or (low_F, high_F, description) or (low_F, high_F, description, per_face)),
* a sequence of :class:`Role`,
* a :class:`pandas.DataFrame` with columns ``name, low_F, high_F`` (and optionally
  ``description, per_face``), e.g. an edited copy of :func:`roles_table`,
* the name of a preset in :data:`PRESETS` (its roles are used).

Default table (:data:`DEFAULT_ROLES`; F, for l/A ≈ 1 cm⁻¹):

========== ============== =============================================================
role       range (F)      ISW phenomenon
========== ============== =============================================================
R_bulk     1e-13 – 1e-11  bulk (ISW: 1e-12; 1e-11 minor second phase)
R_gb       1e-11 – 1e-8   grain boundary
R_int      1e-9  – 1e-7   surface layer / interphase
R_ct       1e-7  – 1e-4   sample-electrode interface: double layer, charge transfer
R_reaction 1e-4  – 1e-1   electrochemical reaction (ISW: ~1e-4)
========== ============== =============================================================

ISW give 1e-7 – 1e-5 for the sample-electrode interface; the R_ct range is extended to 1e-4 so
that the seed paper's ~10 µF charge-transfer arc sits a decade inside it rather than on its edge.

Overlaps: among the ranges that contain C (bounds included), the one whose logarithmic centre
(√(low·high)) is nearest to C wins; the others are returned as candidates. Distances equal to
within :data:`TIE_DECADES` are a tie, won by the role listed first in the table (a capacitance
exactly on the shared bound of two ranges of equal logarithmic width, e.g. 1e-4 F between R_ct
and R_reaction, would otherwise be decided by rounding errors). A capacitance outside every range has no
role (``None``). With the defaults, ~1e-8 F is R_int (from 1.8e-9 to 1e-7 F) and ~1e-5 F is R_ct
(from 1e-7 to 1e-4 F).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cmp_to_key
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from echem.errors import DataError

__all__ = [
    "Role",
    "Preset",
    "DEFAULT_ROLES",
    "PRESETS",
    "RolesLike",
    "as_roles",
    "roles_table",
    "assign_role",
    "ranked_roles",
    "TIE_DECADES",
]

#: Two roles whose logarithmic centres are this close (in decades) to C are tied for it.
TIE_DECADES: float = 1e-9


@dataclass(frozen=True)
class Role:
    """One row of the role table.

    Attributes
    ----------
    name
        Role name, used in column names (``R_int`` -> ``R_int_ohm``, ``R_int_C_F``).
    low_F, high_F
        Capacitance range, F (for a cell constant l/A ≈ 1 cm⁻¹).
    description
        The phenomenon (Irvine, Sinclair & West 1990).
    per_face
        True for interface phenomena: in a symmetric cell each of the two faces has R/2 and 2C.
    """

    name: str
    low_F: float
    high_F: float
    description: str = ""
    per_face: bool = True

    def __post_init__(self) -> None:
        if not (0 < self.low_F < self.high_F):
            raise DataError(
                f"role {self.name!r}: need 0 < low_F < high_F, got ({self.low_F}, {self.high_F})"
            )

    @property
    def centre_F(self) -> float:
        """Logarithmic centre √(low·high), F."""
        return float(np.sqrt(self.low_F * self.high_F))

    def contains(self, C_F: float) -> bool:
        """True when low_F ≤ C_F ≤ high_F."""
        return bool(self.low_F <= C_F <= self.high_F)


ISW_REFERENCE = "Irvine, Sinclair & West, Adv. Mater. 2 (1990) 132"

#: Default role table (Irvine-Sinclair-West vocabulary); see the module docstring.
DEFAULT_ROLES: tuple[Role, ...] = (
    Role("R_bulk", 1e-13, 1e-11, "bulk (ionic conduction through the grains)", per_face=False),
    Role("R_gb", 1e-11, 1e-8, "grain boundary", per_face=False),
    Role("R_int", 1e-9, 1e-7, "surface layer / interphase (e.g. SEI on Li)", per_face=True),
    Role(
        "R_ct",
        1e-7,
        1e-4,
        "sample-electrode interface: double layer and charge transfer",
        per_face=True,
    ),
    Role("R_reaction", 1e-4, 1e-1, "electrochemical reaction", per_face=True),
)


@dataclass(frozen=True)
class Preset:
    """A named circuit with its role table and what its series elements mean.

    Attributes
    ----------
    name
        Preset key in :data:`PRESETS`.
    circuit
        Circuit text (impedance.py grammar).
    roles
        Role table used to name the arcs.
    series_roles
        Element name -> role for elements outside the arcs (e.g. ``R0`` -> ``R_bulk``).
    symmetric
        True for symmetric cells (per-face R/2 and 2C reported for interface roles).
    description
        What the preset models.
    """

    name: str
    circuit: str
    roles: tuple[Role, ...]
    series_roles: Mapping[str, str]
    symmetric: bool
    description: str


#: Named presets. ``li-sse-symmetric``: the seed experiment, a Li/Li3PS4/Li symmetric cell measured
#: from 3 MHz to 0.1 Hz. R0 is the electrolyte (its bulk arc lies above 3 MHz), then an interphase
#: arc (~1e-8 F, R_int) and a charge-transfer arc (~1e-5 F, R_ct).
PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        "li-sse-symmetric": Preset(
            name="li-sse-symmetric",
            circuit="R0-p(R1,CPE1)-p(R2,CPE2)",
            roles=tuple(role for role in DEFAULT_ROLES if role.name in ("R_int", "R_ct")),
            series_roles=MappingProxyType({"R0": "R_bulk"}),
            symmetric=True,
            description=(
                "Li | solid electrolyte | Li symmetric cell: R0 = electrolyte (bulk), "
                "then the interphase arc (R_int, ~1e-8 F) and the charge-transfer arc "
                "(R_ct, ~1e-5 F)"
            ),
        ),
    }
)

RolesLike = None | str | Mapping[str, Any] | Iterable[Role] | pd.DataFrame


def _role_from_mapping_item(name: str, value: Any) -> Role:
    if isinstance(value, Role):
        return value
    try:
        items = tuple(value)
    except TypeError:
        raise DataError(
            f"role {name!r}: expected (low_F, high_F[, description[, per_face]])"
        ) from None
    if not 2 <= len(items) <= 4:
        raise DataError(f"role {name!r}: expected (low_F, high_F[, description[, per_face]])")
    low, high = float(items[0]), float(items[1])
    description = str(items[2]) if len(items) > 2 else ""
    per_face = bool(items[3]) if len(items) > 3 else True
    return Role(str(name), low, high, description, per_face)


def as_roles(roles: RolesLike = None) -> tuple[Role, ...]:
    """Normalise any accepted ``roles=`` value (module docstring) to a tuple of :class:`Role`."""
    if roles is None:
        return DEFAULT_ROLES
    if isinstance(roles, str):
        if roles not in PRESETS:
            raise DataError(f"unknown role preset {roles!r}; presets: {sorted(PRESETS)}")
        return PRESETS[roles].roles
    if isinstance(roles, Preset):
        return roles.roles
    if isinstance(roles, pd.DataFrame):
        missing = {"name", "low_F", "high_F"} - set(roles.columns)
        if missing:
            raise DataError(f"roles table lacks columns {sorted(missing)}")
        return tuple(
            Role(
                str(row["name"]),
                float(row["low_F"]),
                float(row["high_F"]),
                str(row.get("description", "") or ""),
                bool(row.get("per_face", True)),
            )
            for _, row in roles.iterrows()
        )
    if isinstance(roles, Mapping):
        return tuple(_role_from_mapping_item(name, value) for name, value in roles.items())
    result = tuple(roles)
    if not all(isinstance(role, Role) for role in result):
        raise DataError("roles must be a mapping, a DataFrame, a preset name or Role rows")
    return result


def roles_table(roles: RolesLike = None) -> pd.DataFrame:
    """The role table as a DataFrame (a fresh copy: edit it and pass it back as ``roles=``)."""
    rows = as_roles(roles)
    return pd.DataFrame(
        {
            "name": [r.name for r in rows],
            "low_F": [r.low_F for r in rows],
            "high_F": [r.high_F for r in rows],
            "centre_F": [r.centre_F for r in rows],
            "description": [r.description for r in rows],
            "per_face": [r.per_face for r in rows],
        }
    )


def _closer(a: tuple[float, int, Role], b: tuple[float, int, Role]) -> int:
    """Order of two (distance in decades, table index, role): nearer first, ties by table order."""
    if abs(a[0] - b[0]) <= TIE_DECADES:
        return a[1] - b[1]
    return -1 if a[0] < b[0] else 1


def _ranked(C_F: float, roles: tuple[Role, ...]) -> list[Role]:
    """Roles containing C_F, nearest logarithmic centre first (ties: table order)."""
    if not np.isfinite(C_F) or C_F <= 0:
        return []
    inside = [
        (abs(float(np.log10(C_F / role.centre_F))), index, role)
        for index, role in enumerate(roles)
        if role.contains(C_F)
    ]
    return [role for _, _, role in sorted(inside, key=cmp_to_key(_closer))]


def assign_role(C_F: float, roles: RolesLike = None) -> tuple[str | None, tuple[str, ...]]:
    """Role of an arc from its capacitance.

    Parameters
    ----------
    C_F
        Capacitance, F (already normalised to l/A = 1 cm⁻¹ if you want ISW's convention).
    roles
        Role table (module docstring); default :data:`DEFAULT_ROLES`.

    Returns
    -------
    (role, candidates)
        The winning role name (None when no range contains C_F or C_F is NaN) and the names of
        the other roles whose range also contains C_F, nearest centre first.
    """
    ranked = _ranked(float(C_F), as_roles(roles))
    if not ranked:
        return None, ()
    return ranked[0].name, tuple(role.name for role in ranked[1:])


def ranked_roles(C_F: float, roles: RolesLike = None) -> tuple[Role, ...]:
    """All roles whose range contains C_F, nearest logarithmic centre first."""
    return tuple(_ranked(float(C_F), as_roles(roles)))
