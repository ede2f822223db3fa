"""Where missing Li went: the reductive decomposition of the electrolyte, as bookkeeping.

Li that the charge says was plated but CT does not see may have reduced the solid
electrolyte instead. For Li3PS4 (GUIDE §4)::

    Li3PS4 + 8 Li -> 4 Li2S + Li3P

For a missing Li volume dV: n_Li = dV rho_Li / M_Li; electrolyte consumed n_Li / 8 mol;
the products occupy about 1.413 dV, the electrolyte consumed about 0.926 dV, so the
products take about 1.53 times the electrolyte they replace (the seed paper's "~1.5x").

The reaction is a table (:class:`Reaction` of :class:`Species`); every density and molar
mass can be overridden by species name, and the values used are echoed in the result
together with the assumption (the share of the missing Li that went into the reaction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from echem.constants import (
    FARADAY_C_PER_MOL,
    LI2S_DENSITY_G_PER_CM3,
    LI2S_MOLAR_MASS_G_PER_MOL,
    LI3P_DENSITY_G_PER_CM3,
    LI3P_MOLAR_MASS_G_PER_MOL,
    LI3PS4_GLASS_DENSITY_G_PER_CM3,
    LI3PS4_MOLAR_MASS_G_PER_MOL,
    LI_DENSITY_G_PER_CM3,
    LI_MOLAR_MASS_G_PER_MOL,
)
from echem.errors import DataError

__all__ = ["Species", "Reaction", "LI3PS4_REDUCTION", "Decomposition", "decomposition"]


@dataclass(frozen=True)
class Species:
    """One species of a reaction: name, stoichiometric coefficient, M (g/mol), rho (g/cm^3)."""

    name: str
    coefficient: float
    molar_mass: float
    density: float


@dataclass(frozen=True)
class Reaction:
    """``electrolyte + li_per_formula Li -> products`` (coefficients per formula unit)."""

    electrolyte: Species
    li_per_formula: float
    products: tuple[Species, ...]

    def equation(self) -> str:
        """The reaction as text, e.g. ``Li3PS4 + 8 Li -> 4 Li2S + Li3P``."""

        def term(s: Species) -> str:
            return s.name if s.coefficient == 1 else f"{s.coefficient:g} {s.name}"

        products = " + ".join(term(p) for p in self.products)
        return f"{term(self.electrolyte)} + {self.li_per_formula:g} Li -> {products}"


#: Li3PS4 + 8 Li -> 4 Li2S + Li3P with the glass density of Li3PS4 (gamma phase: 1.93).
LI3PS4_REDUCTION = Reaction(
    electrolyte=Species("Li3PS4", 1.0, LI3PS4_MOLAR_MASS_G_PER_MOL, LI3PS4_GLASS_DENSITY_G_PER_CM3),
    li_per_formula=8.0,
    products=(
        Species("Li2S", 4.0, LI2S_MOLAR_MASS_G_PER_MOL, LI2S_DENSITY_G_PER_CM3),
        Species("Li3P", 1.0, LI3P_MOLAR_MASS_G_PER_MOL, LI3P_DENSITY_G_PER_CM3),
    ),
)


@dataclass(frozen=True)
class Decomposition:
    """The bookkeeping of :func:`decomposition` (scalars, or arrays for array input).

    Attributes
    ----------
    missing_li_cm3
        Missing Li volume as given, cm^3.
    reacted_li_cm3
        Li volume assumed to have reacted: max(missing, 0) x ``fraction_reacted``, cm^3.
    li_mol
        Moles of Li reacted.
    charge_C
        Charge that Li carried, C (n_Li F).
    electrolyte_consumed_mol, electrolyte_consumed_cm3
        Electrolyte reduced: n_Li / li_per_formula mol, and its volume, cm^3.
    product_volumes_cm3
        Volume of each product, cm^3, by name.
    products_cm3
        Total product volume, cm^3.
    volume_ratio
        Products / electrolyte consumed (about 1.53 for Li3PS4).
    equation
        The reaction.
    parameters
        Everything assumed: per species coefficient, molar mass and density, the Li
        constants, the Faraday constant and ``fraction_reacted``.
    """

    missing_li_cm3: Any
    reacted_li_cm3: Any
    li_mol: Any
    charge_C: Any
    electrolyte_consumed_mol: Any
    electrolyte_consumed_cm3: Any
    product_volumes_cm3: dict[str, Any]
    products_cm3: Any
    volume_ratio: float
    equation: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """A few lines: the reaction, the assumption, and the numbers (scalar input)."""
        p = self.parameters
        lines = [
            f"{self.equation}; assumed: {100 * p['fraction_reacted']:g} % of the missing Li"
            " went into this reaction",
            "densities (g/cm3): "
            + ", ".join(f"{name} {v['density']:g}" for name, v in p["species"].items()),
            f"missing Li {np.asarray(self.missing_li_cm3)} cm3 -> {np.asarray(self.li_mol)} mol"
            f" Li ({np.asarray(self.charge_C)} C)",
            f"electrolyte consumed {np.asarray(self.electrolyte_consumed_mol)} mol,"
            f" {np.asarray(self.electrolyte_consumed_cm3)} cm3; products"
            f" {np.asarray(self.products_cm3)} cm3 (x{self.volume_ratio:.3f} the electrolyte)",
        ]
        return "\n".join(lines)


def decomposition(
    missing_li_cm3: Any,
    reaction: Reaction = LI3PS4_REDUCTION,
    *,
    densities: Mapping[str, float] | None = None,
    molar_masses: Mapping[str, float] | None = None,
    fraction_reacted: float = 1.0,
    faraday: float = FARADAY_C_PER_MOL,
) -> Decomposition:
    """Electrolyte consumed and products formed by the missing Li (GUIDE §4).

    Parameters
    ----------
    missing_li_cm3
        Missing Li volume, cm^3 (theory - CT; scalar or array). Negative values (CT above
        theory) count as no missing Li.
    reaction
        The reaction table; :data:`LI3PS4_REDUCTION` by default.
    densities, molar_masses
        Overrides by species name (``"Li"``, ``"Li3PS4"``, ``"Li2S"``, ``"Li3P"``), g cm^-3
        and g mol^-1; e.g. ``densities={"Li3PS4": 1.93}`` for the gamma phase.
    fraction_reacted
        Share of the missing Li assumed to have gone into the reaction (1 = all of it).
    faraday
        C mol^-1.

    Returns
    -------
    Decomposition

    Examples
    --------
    >>> d = decomposition(1.0)
    >>> round(d.products_cm3, 3), round(d.electrolyte_consumed_cm3, 3), round(d.volume_ratio, 2)
    (1.413, 0.926, 1.53)
    """
    densities = dict(densities or {})
    molar_masses = dict(molar_masses or {})
    known = {"Li", reaction.electrolyte.name, *(p.name for p in reaction.products)}
    unknown = (set(densities) | set(molar_masses)) - known
    if unknown:
        raise DataError(f"unknown species {sorted(unknown)}; the reaction has {sorted(known)}")
    if not 0 <= fraction_reacted <= 1:
        raise DataError(f"fraction_reacted must be within [0, 1], got {fraction_reacted}")

    def resolved(s: Species) -> Species:
        return replace(
            s,
            density=float(densities.get(s.name, s.density)),
            molar_mass=float(molar_masses.get(s.name, s.molar_mass)),
        )

    electrolyte = resolved(reaction.electrolyte)
    products = tuple(resolved(p) for p in reaction.products)
    li_density = float(densities.get("Li", LI_DENSITY_G_PER_CM3))
    li_molar_mass = float(molar_masses.get("Li", LI_MOLAR_MASS_G_PER_MOL))
    for s in (electrolyte, *products):
        if s.density <= 0 or s.molar_mass <= 0:
            raise DataError(f"{s.name}: density and molar mass must be positive")

    missing = np.asarray(missing_li_cm3, dtype=float)
    reacted = np.clip(missing, 0.0, None) * fraction_reacted
    li_mol = reacted * li_density / li_molar_mass
    formula_units = li_mol / reaction.li_per_formula
    electrolyte_cm3 = (
        formula_units * electrolyte.coefficient * electrolyte.molar_mass / electrolyte.density
    )
    product_volumes = {
        p.name: _scalar(formula_units * p.coefficient * p.molar_mass / p.density) for p in products
    }
    products_cm3 = sum(formula_units * p.coefficient * p.molar_mass / p.density for p in products)
    per_formula_products = sum(p.coefficient * p.molar_mass / p.density for p in products)
    per_formula_electrolyte = electrolyte.coefficient * electrolyte.molar_mass / electrolyte.density
    species = {
        s.name: {"coefficient": s.coefficient, "molar_mass": s.molar_mass, "density": s.density}
        for s in (electrolyte, *products)
    }
    species["Li"] = {
        "coefficient": reaction.li_per_formula,
        "molar_mass": li_molar_mass,
        "density": li_density,
    }
    return Decomposition(
        missing_li_cm3=_scalar(missing),
        reacted_li_cm3=_scalar(reacted),
        li_mol=_scalar(li_mol),
        charge_C=_scalar(li_mol * faraday),
        electrolyte_consumed_mol=_scalar(formula_units * electrolyte.coefficient),
        electrolyte_consumed_cm3=_scalar(electrolyte_cm3),
        product_volumes_cm3=product_volumes,
        products_cm3=_scalar(products_cm3),
        volume_ratio=per_formula_products / per_formula_electrolyte,
        equation=Reaction(electrolyte, reaction.li_per_formula, products).equation(),
        parameters={
            "species": species,
            "fraction_reacted": fraction_reacted,
            "faraday_C_per_mol": faraday,
            "assumption": f"{100 * fraction_reacted:g} % of the missing Li reacted as "
            + Reaction(electrolyte, reaction.li_per_formula, products).equation(),
        },
    )


def _scalar(value: Any) -> Any:
    """A Python float for 0-d input, the array otherwise."""
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array
