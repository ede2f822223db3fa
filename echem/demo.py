"""The seed workflow on the bundled operando dataset (``echem demo`` and notebook 02).

A Li/Li3PS4/Li symmetric cell plated at 0.8 mA cm^-2 until it shorts (synthetic data written
by ``fixtures/make_fixtures.py``, shipped as package data in ``echem/data/operando``):

1. read the chronopotentiometry record and the impedance sweeps (BioLogic ``.mpt``);
2. fit ``R0-p(R1,CPE1)-p(R2,CPE2)`` to every sweep (:func:`echem.eis.fit_series`), name the
   arcs from their effective capacitance (R_int ~1e-8 F, R_ct ~1e-5 F) and Lin-KK check them;
3. integrate the plating charge up to the detected short circuit and convert it to a Li volume;
4. compare that volume with the CT volumes (scaled to the imaged area);
5. draw the analogues of the seed's Fig. 2a (voltage), Fig. 2d (CT vs theory) and Fig. 3c (arc
   resistances, area-specific: Ω·cm²), and write the tables as CSV.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DATA_FILES",
    "CIRCUIT",
    "PRESET",
    "FIGURES",
    "DemoResult",
    "data_dir",
    "run_demo",
]

#: The bundled files, by role.
DATA_FILES: dict[str, str] = {
    "plating": "li3ps4_plating_02_CP_C01.mpt",
    "impedance": "li3ps4_plating_03_PEIS_C01.mpt",
    "ct": "ct_li_volume.csv",
}

#: Preset (circuit and arc roles) of the seed cell, see :data:`echem.eis.roles.PRESETS`.
PRESET = "li-sse-symmetric"
CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)"

#: Figure files written by :func:`run_demo` (as PNG; another format keeps the name and
#: changes the extension), named after the seed paper's panels.
FIGURES: dict[str, str] = {
    "voltage": "fig2a_voltage.png",
    "ct": "fig2d_ct_volume.png",
    "resistances": "fig3c_resistances.png",
}

#: The cell, as figure titles write it (subscripts by mathtext).
CELL = "Li | Li$_3$PS$_4$ | Li"

#: Titles of the figures; ``{current}`` is the current density, mA cm⁻².
TITLES: dict[str, str] = {
    "voltage": CELL + ", plating at {current:.1f} mA·cm$^{{-2}}$",
    "ct": "Li plated in the CT field of view",
    "resistances": CELL + ", resistances of the arcs",
}


def data_dir() -> Path:
    """Folder of the bundled operando dataset (package data; the source tree's fixtures/ otherwise)."""
    packaged = Path(str(importlib.resources.files("echem") / "data" / "operando"))
    if all((packaged / name).is_file() for name in DATA_FILES.values()):
        return packaged
    source_tree = Path(__file__).resolve().parents[1] / "fixtures" / "operando"
    if all((source_tree / name).is_file() for name in DATA_FILES.values()):
        return source_tree
    from echem.errors import DataError

    raise DataError(
        f"the demo dataset is missing from {packaged}; run fixtures/make_fixtures.py "
        "in the source tree and reinstall"
    )


@dataclass
class DemoResult:
    """Everything the demo computed; tables are pandas frames, figures are file paths."""

    area_cm2: float
    current_density_mA_cm2: float
    plating: pd.DataFrame = field(repr=False)
    spectra: list[pd.DataFrame] = field(repr=False)
    resistances: pd.DataFrame
    short_circuit_s: float | None
    charge_C: float
    theory_volume_um3: float
    ct: pd.DataFrame
    figures: dict[str, Path] = field(default_factory=dict)
    tables: dict[str, Path] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A short human-readable account of the results."""
        return "\n".join(self.lines)


def _series_line(table: pd.DataFrame, role: str) -> str:
    column = f"{role}_ohm"
    if column not in table or table[column].notna().sum() == 0:
        return f"{role}: not found"
    values = table[column].to_numpy(dtype=float)
    hours = table["time_s"].to_numpy(dtype=float) / 3600.0
    first, last = np.flatnonzero(np.isfinite(values))[[0, -1]]
    capacitance = table.get(f"{role}_C_F")
    c_text = ""
    if capacitance is not None and np.isfinite(capacitance).any():
        c_text = f" (C_eff ~ {float(np.nanmedian(capacitance)):.1e} F)"
    return (
        f"{role}{c_text}: {values[first]:.1f} Ohm at {hours[first]:.1f} h -> "
        f"{values[last]:.1f} Ohm at {hours[last]:.1f} h"
    )


def fit_impedance(sweeps: list[pd.DataFrame], area_cm2: float | None = None) -> pd.DataFrame:
    """Fit the seed preset to every sweep, with Lin-KK and arc roles (see :func:`fit_series`);
    with the electrode area (cm²), the area-specific resistances too (``R_x_ohm_cm2``)."""
    from echem.eis import fit_series

    return fit_series(sweeps, PRESET, kk=True, area_cm2=area_cm2)


def plating_charge(plating: pd.DataFrame) -> Any:
    """Charge integrated up to the detected short circuit (:func:`echem.coulometry.integrate`)."""
    from echem.coulometry import integrate

    return integrate(plating, stop_at_short=True)


def compare_with_ct(plating: pd.DataFrame, ct_path: Path, area_cm2: float) -> pd.DataFrame:
    """CT Li volumes against the Faradaic volume over the imaged area (seed Fig. 2d).

    See :func:`echem.ct.compare_ct`: the charge stops at the short circuit, the theory is
    scaled to the imaged area given in the CT table, the shortfall is booked as Li3PS4
    reduction (Li3PS4 + 8 Li -> 4 Li2S + Li3P).
    """
    from echem.ct import compare_ct

    return compare_ct(plating, ct_path, area_cm2=area_cm2)


def run_demo(
    out: str | Path | None = "echem-demo",
    *,
    data: str | Path | None = None,
    figure_format: str = "png",
    dpi: float = 300,
) -> DemoResult:
    """Run the seed workflow on the bundled dataset; write figures and tables into ``out``.

    Parameters
    ----------
    out
        Output folder (created); None computes without writing anything.
    data
        Folder holding the three files of :data:`DATA_FILES` (default :func:`data_dir`).
    figure_format
        File type of the figures, any matplotlib writes (``png``, ``svg``, ``pdf``, ...).
    dpi
        Resolution of raster figures, dots per inch.

    Returns
    -------
    DemoResult
        Tables, the short-circuit time, charge and theoretical volume, written paths, and
        the summary lines.
    """
    import echem
    from echem.coulometry import li_thickness_um, li_volume
    from echem.eis import spectra
    from echem.io.area import electrode_area

    folder = Path(data) if data is not None else data_dir()
    plating = echem.read(folder / DATA_FILES["plating"])
    sweeps = spectra(echem.read(folder / DATA_FILES["impedance"]))
    area = electrode_area(plating)  # the one rule: the header with its unit, never a guess
    if area.cm2 is None:
        from echem.errors import DataError

        raise DataError(f"{DATA_FILES['plating']}: no electrode area in the header")
    area_cm2 = area.cm2

    resistances = fit_impedance(sweeps, area_cm2)
    counted = plating_charge(plating)
    ct = compare_with_ct(plating, folder / DATA_FILES["ct"], area_cm2)

    short_s = counted.short_circuit_s
    current_density = abs(float(np.nanmedian(plating["current_A"]))) * 1e3 / area_cm2
    volume_um3 = float(li_volume(counted.total_C)) * 1e12
    lines = [
        f"echem demo: Li/Li3PS4/Li symmetric cell, {current_density:.2f} mA cm^-2 over "
        f"{area_cm2:g} cm^2 (data: {folder})",
        "short circuit: "
        + ("none detected" if short_s is None else f"at {short_s / 3600.0:.2f} h"),
        f"charge to the short: {abs(counted.total_C):.4g} C ({abs(counted.total_C) / 3.6:.4g} mAh,"
        f" {counted.direction}) -> Li {li_thickness_um(counted.total_C, area_cm2):.2f} um",
    ]
    fitted = resistances["result"].notna().sum() if "result" in resistances else len(resistances)
    kk_valid = int(resistances.get("kk_valid", pd.Series(dtype=bool)).fillna(False).sum())
    lines.append(f"EIS: {fitted} of {len(sweeps)} sweeps fitted, Lin-KK valid {kk_valid}")
    lines += [_series_line(resistances, role) for role in ("R_int", "R_ct")]
    lines += _ct_lines(ct)

    result = DemoResult(
        area_cm2=area_cm2,
        current_density_mA_cm2=current_density,
        plating=plating,
        spectra=sweeps,
        resistances=resistances,
        short_circuit_s=short_s,
        charge_C=float(counted.total_C),
        theory_volume_um3=volume_um3,
        ct=ct,
        lines=lines,
    )
    if out is not None:
        _write(result, Path(out), figure_format, dpi)
    return result


def _ct_lines(ct: pd.DataFrame) -> list[str]:
    parts = [
        f"{100 * ratio:.0f} % at {hours:.1f} h"
        for hours, ratio in zip(ct["time_h"], ct["ct_to_theory"], strict=True)
    ]
    last = ct.iloc[-1]
    return [
        "CT / theory Li volume: " + ", ".join(parts),
        f"missing Li at {last['time_h']:.1f} h: {last['missing_volume_cm3'] * 1e12:.3g} um^3 "
        f"-> if all reduced Li3PS4: {last['electrolyte_consumed_cm3'] * 1e12:.3g} um^3 "
        f"electrolyte consumed, {last['products_cm3'] * 1e12:.3g} um^3 of Li2S + Li3P",
    ]


def figures(result: DemoResult) -> dict[str, Any]:
    """The demo's figures (key of :data:`FIGURES` -> matplotlib Figure), titled."""
    from echem.plot import ct_comparison, series, voltage
    from echem.plot._style import styled

    axes = {
        "voltage": voltage(result.plating, short_circuit=result.short_circuit_s),
        "ct": ct_comparison(result.ct),
        "resistances": series(result.resistances, area_cm2=result.area_cm2),
    }
    with styled():
        for key, ax in axes.items():
            ax.set_title(TITLES[key].format(current=result.current_density_mA_cm2))
    return {key: ax.figure for key, ax in axes.items()}


def _write(result: DemoResult, out: Path, figure_format: str, dpi: float) -> None:
    from echem.cli._command import atomic_path
    from echem.plot import save

    out.mkdir(parents=True, exist_ok=True)
    suffix = "." + figure_format.lower().lstrip(".")
    for key, figure in figures(result).items():
        path = out / Path(FIGURES[key]).with_suffix(suffix)
        result.figures[key] = save(figure, path, dpi=dpi)
    tables = {
        "resistances.csv": result.resistances.drop(columns=["result"], errors="ignore"),
        "ct_comparison.csv": result.ct,
    }
    for name, table in tables.items():
        with atomic_path(out / name) as temporary:
            table.to_csv(temporary, index=False)
        result.tables[name] = out / name
    with atomic_path(out / "summary.txt") as temporary:
        temporary.write_text(result.summary() + "\n", encoding="utf-8")
    result.tables["summary.txt"] = out / "summary.txt"
