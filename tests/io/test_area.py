"""echem.io.area: where an electrode area comes from (argument, then header with its unit)."""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

import numpy as np
import pytest
from conftest import real, real_files

import echem
from echem.errors import DataError
from echem.io import biologic_mpr
from echem.io.area import ElectrodeArea, electrode_area


def _attrs(format: str, **metadata: object) -> dict[str, object]:
    return {"format": format, "metadata": metadata}


def test_the_argument_wins_over_the_header():
    area = electrode_area(_attrs("gamry-dta", area_cm2=1.0), 0.785)
    assert area == ElectrodeArea(0.785, "argument")


@pytest.mark.parametrize("bad", [0, -1.0, math.nan, math.inf, "x", True])
def test_an_argument_that_is_no_area_is_refused(bad):
    with pytest.raises(DataError, match="area_cm2"):
        electrode_area(_attrs("gamry-dta"), bad)


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"electrode_area_cm2": 1.131, "area_cm2": 2.0}, (1.131, "electrode_area_cm2")),
        ({"area_cm2": 2.0}, (2.0, "area_cm2")),
        ({"electrode_area_cm2": 0.0, "area_cm2": 2.0}, (2.0, "area_cm2")),
        ({"electrode_area_cm2": 0.0}, (None, None)),  # EC-Lab's empty field: 0.000 cm²
        ({"area_cm2": math.nan}, (None, None)),
        ({"area_cm2": -1.0}, (None, None)),
        ({"area_cm2": True}, (None, None)),
        ({"area_cm2": "1 cm2"}, (None, None)),  # text: the reader did not convert it
        ({"area_cm2": np.float32(0.5)}, (0.5, "area_cm2")),  # was passed over: no float
        ({"area_cm2": np.int64(2)}, (2.0, "area_cm2")),
        ({"area_cm2": np.bool_(True)}, (None, None)),
        ({"electrode_area": 113.1}, (None, None)),  # a number without its unit: no guess
        ({}, (None, None)),
    ],
)
def test_the_header_area_is_read_only_with_its_unit(metadata, expected):
    area = electrode_area(_attrs("gamry-dta", **metadata))
    assert (area.cm2, area.key) == expected
    assert area.cm2 is None or type(area.cm2) is float
    assert area.source == ("header" if expected[0] is not None else "none")


def test_ec_labs_default_area_is_used_with_a_note():
    area = electrode_area(_attrs("biologic-mpr", electrode_area_cm2=0.001))
    assert area.cm2 == 0.001
    assert area.note == "EC-Lab's default value: check that it was set"
    assert str(area) == "0.001 cm² (EC-Lab's default value: check that it was set)"
    assert electrode_area(_attrs("gamry-dta", area_cm2=0.001)).note is None


@pytest.mark.parametrize(
    ("relative", "cm2"),
    [
        ("biologic/peis.issue_225.with_ece.mpt", 1.131),  # "113.100 mm²"
        ("biologic/peis.issue_225.with_ece.mpr", 1.131),  # 113.1, unit code 3
        ("biologic/cv.issue_149.mpt", 0.196),  # "0,196 cm²"
        ("biologic/gcpl.issue_230.mpr", 0.001),  # no twin: unit code 2, EC-Lab's default
        ("biologic/ca.issue_149.mpt", None),  # "0,000 cm²"
        ("gamry-dta/exampleDataGamry.DTA", 1.0),  # AREA ... &Area (cm^2)
    ],
)
def test_real_headers(relative, cm2):
    area = echem.coulometry.electrode_area(echem.read(real(relative)))
    assert area.cm2 == (pytest.approx(cm2, rel=1e-12) if cm2 is not None else None)


def test_an_mpr_area_unit_code_echem_does_not_know_leaves_the_area_unknown(tmp_path):
    """113.1 with an unknown unit code is not read as cm² (it was shown as 113.1 '(unit
    as set in EC-Lab, usually cm²)' by echem info)."""
    source = real("biologic/peis.issue_225.with_ece.mpr")
    raw = bytearray(source.read_bytes())
    modules = biologic_mpr._read_modules(memoryview(bytes(raw)), source)
    payload = next(m.offset for m in modules if m.name == b"VMP Set")
    assert raw[payload + 0x250] == 3  # mm²
    raw[payload + 0x250] = 7
    path = tmp_path / "unit.mpr"
    path.write_bytes(bytes(raw))
    metadata = biologic_mpr.read_mpr(path).attrs["metadata"]
    assert metadata["electrode_area"] == pytest.approx(113.1, rel=1e-7)
    assert metadata["electrode_area_unit"] == "unknown (code 7)"
    assert "electrode_area_cm2" not in metadata
    assert electrode_area(echem.read(path)).cm2 is None


# --- every real file: the area echem finds is the one the file states --------------------
def _number(text: bytes) -> float:
    return float(text.replace(b",", b"."))


def _mpt_statement(raw: bytes) -> float | None:
    """EC-Lab's ``Electrode surface area : 113.100 mm²`` (cp1252 or UTF-8 superscript)."""
    found = re.search(rb"Electrode surface area : ([-+\d.,]+) (cm|mm)(?:\xb2|\xc2\xb2)", raw)
    if found is None:
        return None
    return _number(found.group(1)) * {b"cm": 1.0, b"mm": 1e-2}[found.group(2)]


#: Suffix -> the area (cm²) a file of that kind states, read off its bytes here, or None.
STATED: dict[str, Any] = {
    ".mpt": _mpt_statement,
    ".dta": lambda raw: _first(rb"\nAREA\tQUANT\t([^\t]+)\t&?Area \(cm\^2\)", raw),
    ".z": lambda raw: _first(rb"Surface Area:\s*([-+\d.eE]+)", raw),
    ".par": lambda raw: _first(rb"Working Electrode Area \(cm2\)=([-+\d.eE]+)", raw),
    ".pssession": lambda raw: _first(rb"AREA=([-+\d.eE]+)", raw.decode("utf-16").encode()),
}


def _first(pattern: bytes, raw: bytes) -> float | None:
    found = re.search(pattern, raw)
    return None if found is None else _number(found.group(1))


def _stated_cm2(path) -> float | None:
    """What the file says, by the table above; an .mpr by its .mpt twin; 0 states nothing."""
    suffix = path.suffix.lower()
    if suffix == ".mpr":
        twin = path.with_suffix(".mpt")
        value = _mpt_statement(twin.read_bytes()) if twin.exists() else None
    else:
        read = STATED.get(suffix)
        value = None if read is None else read(path.read_bytes())
    return value if value is not None and value > 0 else None


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in real_files("**/*.*")
        if p.suffix.lower() not in (".md", ".json") and not p.name.endswith("_c.txt")
    ],
    ids=lambda p: p.name,
)
def test_every_real_file_gives_the_area_it_states(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            frame = echem.read(path)
        except echem.ParseError:
            pytest.skip("echem refuses this file (its reader's tests say why)")
    stated = _stated_cm2(path)
    found = electrode_area(frame)
    if path.suffix.lower() == ".mpr" and stated is None:  # no twin that states one
        assert found.cm2 is None or (math.isfinite(found.cm2) and found.cm2 > 0)
    else:
        assert found.cm2 == (None if stated is None else pytest.approx(stated, rel=1e-6))
    assert str(echem.coulometry.electrode_area(frame)) == str(found)
