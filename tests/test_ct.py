"""CT tables, label stacks (synthetic TIFFs written here), depth profiles, compare_ct.
Edge cases: non-finite and impossible inputs, truncated and mislabelled stacks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import tifffile
from conftest import FIXTURES

import echem
from echem.ct import compare_ct, depth_profile, phase_volume, read_stack, read_volumes
from echem.ct_stack import LabelStack, as_voxel_size
from echem.errors import DataError, EchemWarning, ParseError, TruncatedDataWarning

CT_TABLE = FIXTURES / "operando" / "ct_li_volume.csv"


OPERANDO_CP = FIXTURES / "operando" / "li3ps4_plating_02_CP_C01.mpt"


F, M_LI, RHO_LI = 96485.33212, 6.94, 0.534


# --- time-volume tables ------------------------------------------------------------------
def test_read_volumes_fixture_units_reference_and_metadata():
    table = read_volumes(CT_TABLE)
    assert table["time_s"].tolist() == pytest.approx(
        [h * 3600 for h in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.2)]
    )
    assert table["volume_cm3"].to_numpy() == pytest.approx(table["li_volume_um3"] * 1e-12)
    assert table.attrs["time_reference"] == "start"
    assert table.attrs["metadata"]["imaged_area_cm2"] == 0.0025
    assert table.attrs["metadata"]["voxel_size_um"] == 0.5
    assert "voxel_count" in table.columns  # original columns kept
    # voxel count x 0.125 um^3 is the volume (GUIDE §5)
    assert table["li_volume_um3"].to_numpy() == pytest.approx(table["voxel_count"] * 0.125)


def test_read_volumes_moves_times_to_the_scan_middle_with_a_duration():
    table = read_volumes(CT_TABLE, scan_duration_s=600.0, align_to="middle")
    assert table.attrs["time_reference"] == "middle"
    assert table["time_s"].iloc[0] == pytest.approx(1800.0 + 300.0)
    assert table["scan_start_s"].iloc[0] == pytest.approx(1800.0)
    assert table["scan_end_s"].iloc[0] == pytest.approx(2400.0)
    with pytest.raises(DataError, match="duration"):
        read_volumes(CT_TABLE, align_to="end")


def test_read_volumes_units_delimiters_and_per_row_durations(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text(
        "# time_reference: end\n# scan_duration_min: 10\n"
        "time_min;void_volume_mm3;label\n30;0.002;a\n60;0.004;b\n"
    )
    table = read_volumes(path)
    assert table["time_s"].tolist() == [1800.0, 3600.0]
    assert table["volume_cm3"].tolist() == pytest.approx([2e-6, 4e-6])
    assert table["scan_start_s"].tolist() == [1200.0, 3000.0]
    assert table["label"].tolist() == ["a", "b"]
    rows = tmp_path / "rows.csv"
    rows.write_text("time_h,volume_um3,scan_duration_s\n1,5,100\n2,6,200\n")
    table = read_volumes(rows, time_reference="middle", align_to="start")
    assert table["time_s"].tolist() == [3600.0 - 50.0, 7200.0 - 100.0]


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("time_h,volume_um3\n1,2\n", DataError, "start, middle or end"),
        ("# time_reference: start\ntime_h,volume_um3\n1,2\n2,x\n", ParseError, "line 4"),
        ("# time_reference: start\ntime_h,area_um2\n1,2\n", ParseError, "volume column"),
        ("# time_reference: start\ntime,volume_um3\n1,2\n", ParseError, "time column"),
        ("# time_reference: start\ntime_h,a_volume_um3,b_volume_um3\n1,2,3\n", ParseError, "2 "),
        ("# time_reference: start\ntime_h,volume_um3\n1,2,3\n", ParseError, "line 3"),
        ("# time_reference: start\ntime_h,volume_um3\n", ParseError, "no data"),
        ("# time_reference: start\ntime_h,volume_um3\n1,-2\n", ParseError, "negative"),
    ],
)
def test_read_volumes_errors_name_the_problem(tmp_path, text, error, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(error, match=match):
        read_volumes(path)


def test_read_volumes_choose_among_volume_columns_and_binary_input(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("# time_reference: start\ntime_h,a_volume_um3,b_volume_um3\n1,2,3\n")
    assert read_volumes(path, volume_column="b_volume_um3")["volume_cm3"].iloc[0] == 3e-12
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"time_h,volume_um3\n\xff\xfe\x00\n")
    with pytest.raises(ParseError, match="byte"):
        read_volumes(binary)


# --- label stacks --------------------------------------------------------------------------
def labelled(shape=(6, 8, 10), seed=0):
    return np.random.default_rng(seed).integers(0, 4, size=shape, dtype=np.uint8)


def test_imagej_stack_with_anisotropic_voxels(tmp_path):
    labels = labelled()
    path = tmp_path / "ij.tif"
    # x 0.5 um, y 0.25 um (pixels per unit), z spacing 2 um
    tifffile.imwrite(
        path, labels, imagej=True, resolution=(2.0, 4.0), metadata={"spacing": 2.0, "unit": "um"}
    )
    stack = read_stack(path)
    assert stack.shape == labels.shape and stack.dtype == np.uint8
    assert stack.voxel_size_um == pytest.approx((2.0, 0.25, 0.5))
    assert stack.voxel_size_source == "imagej"
    for label in range(4):
        expected = np.count_nonzero(labels == label) * 2.0 * 0.25 * 0.5
        assert phase_volume(stack, label) == pytest.approx(expected, rel=1e-15)
    assert phase_volume(path, [1, 2]) == pytest.approx(
        np.count_nonzero((labels == 1) | (labels == 2)) * 0.25
    )
    pages = list(stack.pages())
    assert len(pages) == labels.shape[0] and np.array_equal(np.stack(pages), labels)
    assert len(stack) == 6 and np.array_equal(np.stack(list(stack)), labels)
    assert np.array_equal(stack[2], labels[2]) and np.array_equal(stack[-1], labels[-1])
    with pytest.raises(IndexError):
        stack[6]
    # overriding the metadata: a number is isotropic, a tuple is (z, y, x)
    assert phase_volume(stack, 3, voxel_size_um=1.0) == np.count_nonzero(labels == 3)
    assert read_stack(path, voxel_size_um=(1, 2, 3)).voxel_size_um == (1.0, 2.0, 3.0)


def test_ome_stack_units_and_big_endian(tmp_path):
    labels = labelled((5, 7, 9), seed=1).astype(np.uint16) * 1000
    path = tmp_path / "s.ome.tif"
    tifffile.imwrite(
        path,
        labels,
        ome=True,
        byteorder=">",
        metadata={
            "axes": "ZYX",
            "PhysicalSizeX": 0.5,
            "PhysicalSizeXUnit": "µm",
            "PhysicalSizeY": 500.0,
            "PhysicalSizeYUnit": "nm",
            "PhysicalSizeZ": 0.001,
            "PhysicalSizeZUnit": "mm",
        },
    )
    stack = read_stack(path)
    assert stack.voxel_size_source == "ome"
    assert stack.voxel_size_um == pytest.approx((1.0, 0.5, 0.5))
    assert phase_volume(stack, 2000) == pytest.approx(np.count_nonzero(labels == 2000) * 0.25)
    assert np.array_equal(np.stack(list(stack.pages())), labels)


def test_plain_and_compressed_stacks_read_page_by_page(tmp_path):
    labels = labelled((7, 5, 6), seed=2)
    plain = tmp_path / "plain.tif"
    tifffile.imwrite(plain, labels, photometric="minisblack")
    stack = read_stack(plain)
    assert stack.voxel_size_um is None
    with pytest.raises(DataError, match="voxel size"):
        phase_volume(stack, 1)
    assert phase_volume(stack, 1, voxel_size_um=0.5) == np.count_nonzero(labels == 1) * 0.125
    compressed = tmp_path / "zlib.tif"
    tifffile.imwrite(compressed, labels, photometric="minisblack", compression="zlib")
    zstack = read_stack(compressed, voxel_size_um=0.5)
    assert zstack._data_offset is None  # not contiguous: the page-wise path
    assert np.array_equal(zstack[3], labels[3])
    for block_bytes in (1, 10**9):  # one page per block, or everything at once
        assert phase_volume(zstack, 1, block_bytes=block_bytes) == pytest.approx(
            np.count_nonzero(labels == 1) * 0.125
        )
        assert phase_volume(stack, 1, 0.5, block_bytes=block_bytes) == pytest.approx(
            np.count_nonzero(labels == 1) * 0.125
        )
    centimetre = tmp_path / "cm.tif"
    tifffile.imwrite(
        centimetre,
        labels,
        photometric="minisblack",
        resolution=(2e4, 2e4),
        resolutionunit="CENTIMETER",
    )
    cm_stack = read_stack(centimetre)
    assert cm_stack.voxel_size_um is None  # no z spacing in plain TIFF tags
    assert cm_stack.metadata["pixel_size_um"] == pytest.approx((0.5, 0.5))


def test_single_page_and_in_memory_stacks(tmp_path):
    page = labelled((1, 6, 6), seed=3)[0]
    path = tmp_path / "page.tif"
    tifffile.imwrite(path, page)
    assert read_stack(path).shape == (1, 6, 6)
    assert phase_volume(page, 2, voxel_size_um=2.0) == np.count_nonzero(page == 2) * 8.0
    stack = LabelStack.from_array(labelled(), voxel_size_um=(1, 1, 2))
    assert phase_volume(stack, 0) == np.count_nonzero(labelled() == 0) * 2.0


def test_binary_stack_of_packed_bits(tmp_path):
    mask = np.random.default_rng(5).random((5, 9, 13)) > 0.5
    path = tmp_path / "mask.tif"
    tifffile.imwrite(path, mask)  # 1 bit per voxel
    stack = read_stack(path, voxel_size_um=0.5)
    assert phase_volume(stack, True) == np.count_nonzero(mask) * 0.125
    assert depth_profile(stack, True, axis=0)["fraction"].tolist() == pytest.approx(
        mask.mean(axis=(1, 2)).tolist()
    )


def test_bad_stacks_raise_parse_errors(tmp_path):
    text = tmp_path / "not.tif"
    text.write_text("hello")
    with pytest.raises(ParseError, match="not.tif"):
        read_stack(text)
    rgb = tmp_path / "rgb.tif"
    tifffile.imwrite(rgb, np.zeros((4, 4, 3), np.uint8), photometric="rgb")
    with pytest.raises(ParseError, match="samples"):
        read_stack(rgb)
    cut = tmp_path / "cut.tif"
    tifffile.imwrite(cut, labelled((20, 64, 64)), photometric="minisblack")
    cut.write_bytes(cut.read_bytes()[: 20 * 64 * 64 // 2])
    with pytest.raises(ParseError):
        phase_volume(read_stack(cut, voxel_size_um=1), 1)
    with pytest.raises(DataError):
        LabelStack.from_array(np.zeros((2, 2, 2, 2)))
    with pytest.raises(DataError):
        phase_volume(labelled(), 1, voxel_size_um=(1, 2))


# --- depth profiles --------------------------------------------------------------------------
def test_depth_profile_exact_on_a_constructed_stack(tmp_path):
    # 10 slices of 4 x 5 voxels; slice k holds k voxels of label 1 (of 20).
    stack = np.zeros((10, 4, 5), np.uint8)
    for k in range(10):
        stack.reshape(10, -1)[k, :k] = 1
    path = tmp_path / "d.tif"
    tifffile.imwrite(
        path, stack, imagej=True, resolution=(1.0, 2.0), metadata={"spacing": 2.0, "unit": "micron"}
    )
    profile = depth_profile(path, 1, axis="z", bin_um=4.0, block_bytes=40)
    assert profile["depth_um"].tolist() == [0.0, 4.0, 8.0, 12.0, 16.0]
    assert profile["fraction"].tolist() == pytest.approx(
        [(2 * j + 2 * j + 1) / 40 for j in range(5)]
    )
    assert profile["slab_volume_um3"].tolist() == pytest.approx([40 * 2 * 0.5 * 1.0] * 5)
    assert profile["phase_volume_um3"].sum() == pytest.approx(phase_volume(path, 1))
    # one slab per voxel when bin_um is None; reverse measures from the far face
    single = depth_profile(path, 1, axis=0)
    assert single["fraction"].tolist() == pytest.approx([k / 20 for k in range(10)])
    backwards = depth_profile(path, 1, axis=0, origin=20.0, reverse=True)
    assert backwards["fraction"].tolist() == pytest.approx([k / 20 for k in range(9, -1, -1)])
    assert backwards["depth_um"].tolist() == pytest.approx([2.0 * k for k in range(10)])


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_depth_profile_partial_overlaps_match_a_brute_force_count(axis):
    labels = labelled((6, 7, 8), seed=4)
    size = (2.0, 1.0, 0.5)
    origin, bin_um = 0.8, 1.4
    profile = depth_profile(labels, 2, size, axis=axis, bin_um=bin_um, origin=origin, ignore=0)
    # brute force: split each voxel along the axis into 10 sub-voxels, bin their centres
    sub = np.repeat(labels, 10, axis=axis)
    step = size[axis] / 10
    centres = (np.arange(sub.shape[axis]) + 0.5) * step - origin
    slab = np.floor(centres / bin_um).astype(int)
    other = tuple(a for a in range(3) if a != axis)
    phase = np.count_nonzero(sub == 2, axis=other)
    total = np.count_nonzero(sub != 0, axis=other)
    expected = pd.DataFrame({"slab": slab, "phase": phase, "total": total}).groupby("slab").sum()
    expected = expected[expected["total"] > 0]
    assert profile["depth_um"].to_numpy() == pytest.approx(expected.index.to_numpy() * bin_um)
    assert profile["fraction"].to_numpy() == pytest.approx(
        (expected["phase"] / expected["total"]).to_numpy(), rel=1e-12
    )
    voxel = size[0] * size[1] * size[2]
    assert profile["phase_volume_um3"].to_numpy() == pytest.approx(
        expected["phase"].to_numpy() / 10 * voxel
    )


def test_depth_profile_bad_arguments():
    with pytest.raises(DataError):
        depth_profile(labelled(), 1, 1.0, axis="w")
    with pytest.raises(DataError):
        depth_profile(labelled(), 1, 1.0, axis=0, bin_um=0.0)


# --- Faradaic vs CT volume ---------------------------------------------------------------------
def test_compare_ct_on_the_operando_fixture():
    cp = echem.read(OPERANDO_CP)
    table = compare_ct(cp, read_volumes(CT_TABLE), area_cm2=0.785)
    assert table.attrs["basis_area_cm2"] == 0.0025  # from the CT table's metadata
    assert table.attrs["short_circuit_s"] == pytest.approx(11520.0)
    # the generator made CT = theory x these fractions x (1 + 1 % noise)
    fractions = [0.28, 0.31, 0.35, 0.44, 0.57, 0.72, 0.80]
    assert table["ct_to_theory"].to_numpy() == pytest.approx(fractions, rel=0.035)
    # theory at 3.2 h: 0.8 mA cm^-2 -> 12.41 um, i.e. 12.41e-4 cm x 0.0025 cm^2
    last = table.iloc[-1]
    assert last["theory_thickness_um"] == pytest.approx(12.41, abs=0.02)
    assert last["theory_volume_cm3"] == pytest.approx(12.41e-4 * 0.0025, rel=2e-3)
    expected_theory = np.abs(table["charge_C"]) * M_LI / (F * RHO_LI) * 0.0025 / 0.785
    assert table["theory_volume_cm3"].to_numpy() == pytest.approx(expected_theory, rel=1e-12)
    missing = table["theory_volume_cm3"] - table["ct_volume_cm3"]
    assert table["missing_volume_cm3"].to_numpy() == pytest.approx(missing, rel=1e-12)
    assert table["products_cm3"].to_numpy() == pytest.approx(1.41306 * missing, rel=1e-4)
    assert table["electrolyte_consumed_cm3"].to_numpy() == pytest.approx(
        0.92597 * missing, rel=1e-4
    )
    assert table["missing_li_mol"].to_numpy() == pytest.approx(missing * RHO_LI / M_LI)
    assert table.attrs["decomposition_parameters"]["species"]["Li2S"]["density"] == 1.66
    # an explicit imaged area wins over the table's
    other = compare_ct(cp, CT_TABLE, area_cm2=0.785, imaged_area_cm2=0.005)
    assert other["theory_volume_cm3"].to_numpy() == pytest.approx(
        2 * table["theory_volume_cm3"].to_numpy()
    )


def test_compare_ct_synthetic_whole_electrode_basis_and_out_of_record_times():
    t = np.arange(0.0, 7200.0 + 1, 60.0)
    cp = pd.DataFrame({"time_s": t, "current_A": np.full(t.size, -1e-3)})
    ct = pd.DataFrame({"time_s": [3600.0, 7200.0, 9999.0], "volume_cm3": [1e-4, 3e-4, 3e-4]})
    with pytest.warns(EchemWarning, match="9999"):  # outside the record: told, not extrapolated
        table = compare_ct(cp, ct, area_cm2=2.0)
    assert table.attrs["basis"] == "electrode area"
    assert table["charge_C"].iloc[:2].tolist() == pytest.approx([-3.6, -7.2])
    theory = np.array([3.6, 7.2]) * M_LI / (F * RHO_LI)
    assert table["theory_volume_cm3"].iloc[:2].to_numpy() == pytest.approx(theory)
    assert table["ct_to_theory"].iloc[:2].to_numpy() == pytest.approx([1e-4, 3e-4] / theory)
    assert table["theory_thickness_um"].iloc[1] == pytest.approx(theory[1] / 2.0 * 1e4)
    assert np.isnan(table["charge_C"].iloc[2])  # after the record: unknown, not extrapolated
    # CT above theory: no missing Li to account for
    with pytest.warns(EchemWarning, match="3600"):  # more Li imaged than charge explains
        above = compare_ct(
            cp, pd.DataFrame({"time_s": [3600.0], "volume_cm3": [1e-2]}), area_cm2=2.0
        )
    assert above["missing_volume_cm3"].iloc[0] < 0 and above["products_cm3"].iloc[0] == 0.0
    with pytest.raises(DataError):
        compare_ct(cp, ct, area_cm2=0.0)
    with pytest.raises(DataError):
        compare_ct(cp, ct.rename(columns={"volume_cm3": "v"}), area_cm2=1.0)


F, M_LI, RHO_LI = 96485.33212, 6.94, 0.534  # GUIDE §3, written out independently


HEAD = "# time_reference: start\n"


def _csv(tmp_path, text, name="v.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _record(current_a=-1e-3, end_s=7200.0):
    t = np.arange(0.0, end_s + 1, 60.0)
    return pd.DataFrame({"time_s": t, "current_A": np.full(t.size, current_a)})


def _tif(tmp_path, name, array, **kwargs):
    path = tmp_path / name
    tifffile.imwrite(path, array, photometric="minisblack", **kwargs)
    return path


# --- tables -------------------------------------------------------------------------------
@pytest.mark.parametrize("duration", [float("nan"), float("inf"), -1.0, "ten", None])
def test_scan_duration_argument_must_be_finite_and_non_negative(tmp_path, duration):
    path = _csv(tmp_path, HEAD + "time_h,volume_um3\n1,2\n")
    if duration is None:
        assert "scan_start_s" not in read_volumes(path).columns
        return
    with pytest.raises(DataError, match="scan_duration_s"):
        read_volumes(path, scan_duration_s=duration)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("# scan_duration_s: nan\ntime_h,volume_um3\n1,2\n", "scan_duration_s"),
        ("# scan_duration_min: -5\ntime_h,volume_um3\n1,2\n", "scan_duration_min"),
        ("# scan_duration_s: ten\ntime_h,volume_um3\n1,2\n", "scan_duration_s"),
        ("time_h,volume_um3,scan_duration_s\n1,2,-5\n", "line 3.*negative"),
        ("time_h,volume_um3,scan_duration_s\n1,2,\n", "line 3.*not a number"),
        ("time_h,volume_um3,scan_duration_s\n1,2,inf\n", "line 3.*finite"),
        ("time_h,volume_um3\n1,nan\n", "line 3.*finite"),
        ("time_h,volume_um3\n1,2\n2,inf\n", "line 4.*finite"),
        ("time_h,volume_um3\nnan,2\n", "line 3.*finite"),
        ("time_h,volume_um3\n1,2\n2,-1\n", "line 4.*negative"),
    ],
)
def test_non_finite_or_negative_table_values_are_parse_errors(tmp_path, text, match):
    with pytest.raises(ParseError, match=match):
        read_volumes(_csv(tmp_path, HEAD + text))


@pytest.mark.parametrize(
    ("unit", "cm3"),
    [("um3", 1e-12), ("µm3", 1e-12), ("μm3", 1e-12), ("mm3", 1e-3), ("nm3", 1e-21), ("cm3", 1)],
)
def test_volume_units_including_both_micro_signs(tmp_path, unit, cm3):
    table = read_volumes(_csv(tmp_path, HEAD + f"time_min,li_volume_{unit}\n30,250\n"))
    assert table["time_s"].tolist() == [1800.0]
    assert table["volume_cm3"].iloc[0] == pytest.approx(250 * cm3, rel=1e-15)


def test_a_voxel_count_alone_is_not_taken_for_a_volume(tmp_path):
    path = _csv(tmp_path, HEAD + "# voxel_size_um: 0.5\ntime_h,voxel_count\n1,8\n")
    with pytest.raises(ParseError, match="volume column"):
        read_volumes(path)


def test_duplicate_times_warn_and_unsorted_times_keep_their_rows(tmp_path):
    duplicated = _csv(tmp_path, HEAD + "time_h,volume_um3\n1,1\n2,5\n1,2\n")
    with pytest.warns(EchemWarning, match="share a time.*line"):
        table = read_volumes(duplicated)
    assert table["volume_cm3"].tolist() == pytest.approx([1e-12, 5e-12, 2e-12])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = read_volumes(_csv(tmp_path, HEAD + "time_h,volume_um3\n2,3\n1,1\n", "u.csv"))
    assert table["time_s"].tolist() == [7200.0, 3600.0]


def test_align_to_that_is_not_text_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="align_to"):
        read_volumes(_csv(tmp_path, HEAD + "time_h,volume_um3\n1,1\n"), align_to=3)


# --- compare_ct ---------------------------------------------------------------------------
def test_compare_ct_against_an_independent_computation():
    # -1 mA for 1 h and 2 h on 2 cm2, CT imaged 0.01 cm2; rows out of order on purpose
    ct = pd.DataFrame({"time_s": [7200.0, 3600.0], "volume_cm3": [1e-6, 3e-7]})
    table = compare_ct(_record(), ct, area_cm2=2.0, imaged_area_cm2=0.01)
    charge = np.array([7.2, 3.6])
    theory = charge * M_LI / (F * RHO_LI) * 0.01 / 2.0
    assert table["charge_C"].to_numpy() == pytest.approx(-charge, rel=1e-12)
    assert table["theory_volume_cm3"].to_numpy() == pytest.approx(theory, rel=1e-12)
    assert table["ct_to_theory"].to_numpy() == pytest.approx([1e-6, 3e-7] / theory, rel=1e-12)
    missing = theory - [1e-6, 3e-7]
    assert table["missing_volume_cm3"].to_numpy() == pytest.approx(missing, rel=1e-12)
    li_mol = missing * RHO_LI / M_LI
    assert table["missing_li_mol"].to_numpy() == pytest.approx(li_mol, rel=1e-12)
    assert table["missing_charge_C"].to_numpy() == pytest.approx(li_mol * F, rel=1e-12)
    # Li3PS4 + 8 Li -> 4 Li2S + Li3P
    assert table["electrolyte_consumed_cm3"].to_numpy() == pytest.approx(
        li_mol / 8 * 180.03 / 1.87, rel=1e-12
    )
    assert table["products_cm3"].to_numpy() == pytest.approx(
        li_mol / 8 * (4 * 45.94 / 1.66 + 51.79 / 1.43), rel=1e-12
    )
    assert table["theory_thickness_um"].to_numpy() == pytest.approx(theory / 0.01 * 1e4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"area_cm2": float("nan")},
        {"area_cm2": float("inf")},
        {"area_cm2": -1.0},
        {"area_cm2": "two"},
        {"area_cm2": 1.0, "imaged_area_cm2": float("nan")},
        {"area_cm2": 1.0, "imaged_area_cm2": float("inf")},
        {"area_cm2": 1.0, "imaged_area_cm2": 0.0},
        {"area_cm2": 1.0, "time_offset_s": float("nan")},
    ],
)
def test_compare_ct_rejects_non_finite_areas_and_offsets(kwargs):
    ct = pd.DataFrame({"time_s": [3600.0], "volume_cm3": [1e-6]})
    with pytest.raises(DataError):
        compare_ct(_record(), ct, **kwargs)


def test_compare_ct_rejects_a_nan_imaged_area_from_the_table_metadata():
    ct = pd.DataFrame({"time_s": [3600.0], "volume_cm3": [1e-6]})
    ct.attrs["metadata"] = {"imaged_area_cm2": float("nan")}
    with pytest.raises(DataError, match="CT table metadata"):
        compare_ct(_record(), ct, area_cm2=1.0)


@pytest.mark.parametrize(
    ("column", "value"),
    [("volume_cm3", np.nan), ("volume_cm3", -1e-6), ("volume_cm3", np.inf), ("time_s", np.nan)],
)
def test_compare_ct_rejects_nan_or_negative_table_values(column, value):
    ct = pd.DataFrame({"time_s": [3600.0, 7200.0], "volume_cm3": [1e-6, 2e-6]})
    ct.loc[1, column] = value
    with pytest.raises(DataError, match=f"{column}.*rows \\[1\\]"):
        compare_ct(_record(), ct, area_cm2=1.0)


@pytest.mark.parametrize("time_s", [-10.0, 7200.5, 1e6])
def test_ct_times_outside_the_record_warn_and_are_not_extrapolated(time_s):
    ct = pd.DataFrame({"time_s": [3600.0, time_s], "volume_cm3": [1e-6, 1e-6]})
    with pytest.warns(EchemWarning, match="outside the record"):
        table = compare_ct(_record(), ct, area_cm2=1.0)
    assert table["charge_C"].iloc[0] == pytest.approx(-3.6)
    assert np.isnan(table["charge_C"].iloc[1])
    assert np.isnan(table["missing_charge_C"].iloc[1])


def test_ct_times_at_the_record_ends_and_time_offset_do_not_warn():
    ct = pd.DataFrame({"time_s": [0.0, 7200.0], "volume_cm3": [0.0, 1e-6]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = compare_ct(_record(), ct, area_cm2=1.0)
        shifted = compare_ct(
            _record(), ct.assign(time_s=[-100.0, 7100.0]), area_cm2=1.0, time_offset_s=100.0
        )
    assert table["charge_C"].tolist() == pytest.approx([0.0, -7.2])
    assert shifted["charge_C"].tolist() == pytest.approx([0.0, -7.2])


def test_ct_above_theory_warns_and_counts_no_side_reaction():
    theory = 3.6 * M_LI / (F * RHO_LI)
    ct = pd.DataFrame({"time_s": [3600.0, 7200.0], "volume_cm3": [1.5 * theory, 1e-6]})
    with pytest.warns(EchemWarning, match=r"\(\[3600.0\] s\) the CT volume exceeds"):
        table = compare_ct(_record(), ct, area_cm2=1.0)
    assert table["missing_volume_cm3"].iloc[0] == pytest.approx(-0.5 * theory)
    assert table["ct_to_theory"].iloc[0] == pytest.approx(1.5)
    assert table["missing_charge_C"].iloc[0] == 0.0 and table["products_cm3"].iloc[0] == 0.0
    assert table["missing_charge_C"].iloc[1] > 0


def test_imaged_area_larger_than_the_electrode_warns():
    ct = pd.DataFrame({"time_s": [3600.0], "volume_cm3": [1e-6]})
    with pytest.warns(EchemWarning, match="larger than the electrode"):
        compare_ct(_record(), ct, area_cm2=1.0, imaged_area_cm2=2.0)


# --- stacks -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dtype", "label"), [(np.uint8, 3), (np.uint16, 3000), (np.float32, 2.5), (np.int16, -7)]
)
def test_phase_volume_of_dtypes_against_a_direct_count(tmp_path, dtype, label):
    rng = np.random.default_rng(1)
    data = np.zeros((4, 6, 5), dtype=dtype)
    mask = rng.random(data.shape) < 0.3
    data[mask] = label
    path = _tif(tmp_path, "s.tif", data)
    size = (2.0, 0.5, 0.25)  # anisotropic (z, y, x)
    expected = int(mask.sum()) * 2.0 * 0.5 * 0.25
    assert phase_volume(path, label, size, block_bytes=1) == pytest.approx(expected, rel=1e-15)


def test_bool_stack_one_slice_and_all_zero_mask(tmp_path):
    mask = np.zeros((1, 4, 5), dtype=bool)
    mask[0, :2, :3] = True
    path = _tif(tmp_path, "b.tif", mask)
    assert read_stack(path).shape == (1, 4, 5)
    assert phase_volume(path, True, 0.5) == pytest.approx(6 * 0.125)
    assert phase_volume(path, 1, 0.5) == pytest.approx(6 * 0.125)
    assert phase_volume(path, 0, 0.5) == pytest.approx(14 * 0.125)
    zeros = _tif(tmp_path, "z.tif", np.zeros((3, 4, 4), np.uint8))
    assert phase_volume(zeros, 1, 0.5) == 0.0
    profile = depth_profile(zeros, 1, 0.5)
    assert profile["fraction"].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("dtype", "label", "match"),
    [
        (np.uint8, 259, "uint8"),
        (np.uint8, -1, "uint8"),
        (np.uint8, 2.5, "uint8"),
        (np.uint16, 70000, "uint16"),
        (np.uint8, float("nan"), "finite"),
        (np.float32, float("nan"), "finite"),
        (bool, 2, "boolean"),
        (np.uint8, "1", "number"),
        (np.uint8, [], "no label"),
        (np.uint8, [1, 300], "uint8"),
    ],
)
def test_labels_the_stack_cannot_hold_are_errors_not_zero_volumes(dtype, label, match):
    stack = np.ones((2, 3, 3), dtype=dtype)
    with pytest.raises(DataError, match=match):
        phase_volume(stack, label, 1.0)
    with pytest.raises(DataError, match=match):
        depth_profile(stack, label, 1.0)


def test_imagej_anisotropic_voxels_and_missing_voxel_size(tmp_path):
    data = np.ones((3, 4, 4), np.uint8)
    path = _tif(
        tmp_path,
        "ij.tif",
        data,
        imagej=True,
        resolution=(1 / 0.5, 1 / 0.25),
        metadata={"spacing": 2.0, "unit": "um"},
    )
    stack = read_stack(path)
    assert stack.voxel_size_um == pytest.approx((2.0, 0.25, 0.5))  # resolution is (x, y)
    assert phase_volume(stack, 1) == pytest.approx(48 * 2.0 * 0.5 * 0.25)
    bare = _tif(tmp_path, "bare.tif", data)
    assert read_stack(bare).voxel_size_um is None
    with pytest.raises(DataError, match="no voxel size"):
        phase_volume(bare, 1)
    assert phase_volume(bare, 1, (1.0, 2.0, 3.0)) == pytest.approx(48 * 6.0)


@pytest.mark.parametrize("spacing", [float("nan"), -1.0, 0.0])
def test_unusable_imagej_spacing_is_unknown_with_a_warning(tmp_path, spacing):
    path = _tif(
        tmp_path,
        "ij.tif",
        np.ones((3, 4, 4), np.uint8),
        imagej=True,
        resolution=(2, 2),
        metadata={"spacing": spacing, "unit": "um"},
    )
    with pytest.warns(EchemWarning, match="not positive and finite"):
        stack = read_stack(path)
    assert stack.voxel_size_um is None
    with pytest.raises(DataError, match="no voxel size"):
        phase_volume(stack, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given = read_stack(path, voxel_size_um=0.5)
    assert given.voxel_size_um == (0.5, 0.5, 0.5)


@pytest.mark.parametrize("size_x", [-0.5, float("nan"), "abc"])
def test_unusable_ome_sizes_are_unknown_and_overridable(tmp_path, size_x):
    path = _tif(
        tmp_path,
        "o.ome.tif",
        np.ones((3, 4, 4), np.uint8),
        metadata={
            "axes": "ZYX",
            "PhysicalSizeX": size_x,
            "PhysicalSizeY": 0.5,
            "PhysicalSizeZ": 0.5,
        },
    )
    with pytest.warns(EchemWarning, match="ome metadata"):
        assert read_stack(path).voxel_size_um is None
    assert read_stack(path, voxel_size_um=(1, 2, 3)).voxel_size_um == (1.0, 2.0, 3.0)


@pytest.mark.parametrize("size", ["abc", (1, None, 1), (1, 2), 0, float("nan"), None])
def test_bad_voxel_sizes_are_data_errors(size):
    if size is None:
        with pytest.raises(DataError):
            phase_volume(np.ones((2, 2, 2), np.uint8), 1, None)
        return
    with pytest.raises(DataError, match="voxel size"):
        as_voxel_size(size)


@pytest.mark.parametrize(
    "kwargs", [{"origin": float("nan")}, {"bin_um": float("inf")}, {"axis": True}]
)
def test_depth_profile_rejects_non_finite_geometry(kwargs):
    with pytest.raises(DataError):
        depth_profile(np.ones((2, 3, 3), np.uint8), 1, 0.5, **kwargs)


# --- stacks cut short (a copy that did not finish) -----------------------------------------
CUT_STACK_WRITERS = {
    "imagej": {"imagej": True},
    "ome": {"ome": True, "metadata": {"axes": "ZYX"}},
    "shaped": {},
    "bigtiff": {"bigtiff": True, "metadata": None},
    "plain": {"metadata": None},
    "zlib": {"compression": "zlib", "metadata": None},
}


def _cut_stack(tmp_path, kind: str, keep: float = 0.6):
    """A 64 x 64 x 64 stack of label 2, written as ``kind``, cut to ``keep`` of its bytes."""
    path = tmp_path / f"{kind}.tif"
    tifffile.imwrite(path, np.full((64, 64, 64), 2, np.uint8), **CUT_STACK_WRITERS[kind])
    whole = phase_volume(path, 2, voxel_size_um=1)
    with tifffile.TiffFile(path) as tif:
        offset = tif.series[0].dataoffset  # contiguous data: page k ends at offset + (k+1) 4096
    cut = int(path.stat().st_size * keep)
    path.write_bytes(path.read_bytes()[:cut])
    held = None if offset is None else (cut - offset) // (64 * 64)
    return path, whole, held


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kind", sorted(CUT_STACK_WRITERS))
def test_a_cut_stack_is_a_parse_error_naming_the_first_missing_page(tmp_path, kind):
    path, whole, held = _cut_stack(tmp_path, kind)
    assert whole == 64**3  # the intact file: every voxel
    with pytest.raises(ParseError) as caught:
        phase_volume(path, 2, voxel_size_um=1)
    assert str(path) in str(caught.value)
    if kind in ("imagej", "shaped"):  # the metadata declares 64 pages
        assert 30 < held < 64
        told = f"declares 64 pages, it holds {held} complete ones; page {held} (counted from 0)"
        assert told in str(caught.value)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kind", ["imagej", "shaped"])
def test_a_cut_stack_can_be_read_as_its_complete_pages_when_asked(tmp_path, kind):
    path, _, held = _cut_stack(tmp_path, kind)
    with pytest.warns(TruncatedDataWarning, match=f"holds {held} complete ones"):
        stack = read_stack(path, voxel_size_um=1, allow_truncated=True)
    assert stack.shape == (held, 64, 64)
    assert stack.metadata["truncated"] == {"pages_declared": 64, "pages": held}
    assert phase_volume(stack, 2) == held * 64 * 64


@pytest.mark.parametrize("kind", sorted(CUT_STACK_WRITERS))
def test_an_intact_stack_reads_without_a_warning(tmp_path, kind):
    path = tmp_path / f"{kind}.tif"
    tifffile.imwrite(path, np.full((5, 8, 8), 2, np.uint8), **CUT_STACK_WRITERS[kind])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stack = read_stack(path, voxel_size_um=1)
    assert stack.shape == (5, 8, 8)
    assert "truncated" not in stack.metadata


def _ifd_end(path, index: int) -> int:
    """Byte just after page ``index``'s directory (its entries and next-offset) in a classic
    TIFF: the out-of-line tag values (strip offsets, byte counts) of tifffile's pages follow."""
    with tifffile.TiffFile(path) as tif:
        offset = tif.pages[index].offset
    data = path.read_bytes()
    entries = int.from_bytes(data[offset : offset + 2], "little")
    return offset + 2 + 12 * entries + 4


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_page_whose_strip_offsets_are_cut_off_is_not_counted_complete(tmp_path):
    # pages of 4 strips, data first and the directories after it: a cut through page 1's
    # strip-offset array left its directory whole, so the page counted as complete, and
    # tifffile filled three of its four strips with zeros (120 voxels of 256 read, no error)
    path = tmp_path / "strips.tif"
    tifffile.imwrite(path, np.full((8, 16, 16), 2, np.uint8), rowsperstrip=4, metadata=None)
    cut = _ifd_end(path, 1)
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(ParseError, match="first missing"):
        phase_volume(path, 2, voxel_size_um=1)
    with pytest.warns(TruncatedDataWarning, match="page 1 .counted from 0. is the first missing"):
        stack = read_stack(path, voxel_size_um=1, allow_truncated=True)
    assert stack.shape == (1, 16, 16)
    assert phase_volume(stack, 2) == 16 * 16


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kind", ["zlib", "rows", "bigtiff"])
def test_every_cut_is_an_error_or_the_count_of_complete_pages(tmp_path, kind):
    # every 7th cut: a ParseError or the whole volume (a cut through the last directory's
    # out-of-line values leaves every page's data), and when asked for, the complete pages
    # exactly; before, zlib.error / struct.error / RuntimeError escaped
    writers = {**CUT_STACK_WRITERS, "rows": {"rowsperstrip": 4, "metadata": None}}
    whole = tmp_path / f"{kind}.tif"
    labels = np.random.default_rng(0).integers(0, 3, (8, 16, 16)).astype(np.uint8)
    per_page = (labels == 2).sum(axis=(1, 2))
    tifffile.imwrite(whole, labels, **writers[kind])
    data = whole.read_bytes()
    path = tmp_path / "cut.tif"
    for cut in range(8, len(data), 7):
        path.write_bytes(data[:cut])
        try:
            assert phase_volume(path, 2, voxel_size_um=1) == per_page.sum(), cut
        except ParseError as error:
            assert "cut.tif" in str(error)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TruncatedDataWarning)
                stack = read_stack(path, voxel_size_um=1, allow_truncated=True)
                volume = phase_volume(stack, 2)
        except ParseError:
            continue
        assert volume == per_page[: stack.shape[0]].sum(), cut


@pytest.mark.parametrize("declared", [14, 99])
def test_an_imagej_stack_declaring_more_pages_than_its_data_hold(tmp_path, declared):
    # 10 whole pages of 16 x 16, the description edited to declare more (same length); the
    # directories of pages 1-9 follow the data, and were counted as 5 more pages of data:
    # 14 declared read 10 pages silently, 99 declared named page 15 the first missing and,
    # asked for, read the directories' bytes as labels (2569 voxels of label 2 for 2560)
    path = tmp_path / "declared.tif"
    tifffile.imwrite(path, np.full((10, 16, 16), 2, np.uint8), imagej=True)
    data = path.read_bytes()
    assert data.count(b"images=10") == 1
    path.write_bytes(data.replace(b"images=10", f"images={declared}".encode()))
    told = f"declares {declared} pages, it holds 10 complete ones; page 10 (counted from 0)"
    with pytest.raises(ParseError, match=told.replace("(", r"\(").replace(")", r"\)")):
        read_stack(path, voxel_size_um=1)
    with pytest.warns(TruncatedDataWarning, match="holds 10 complete ones"):
        stack = read_stack(path, voxel_size_um=1, allow_truncated=True)
    assert stack.shape == (10, 16, 16)
    assert phase_volume(stack, 2) == 10 * 16 * 16
    assert phase_volume(stack, 0) == 0


def _directories_first(path, stack: np.ndarray) -> int:
    """A classic little-endian TIFF written by hand: every page's directory first (one strip
    per page, uncompressed), then the pages' data, contiguous. Returns the data offset."""
    depth, rows, columns = stack.shape
    ifd_bytes = 2 + 12 * 8 + 4
    data_at = 8 + depth * ifd_bytes
    out = bytearray(b"II*\x00" + (8).to_bytes(4, "little"))
    for k in range(depth):
        following = 8 + (k + 1) * ifd_bytes if k + 1 < depth else 0
        tags = [  # (tag, type 3 SHORT / 4 LONG, value)
            (256, 4, columns),
            (257, 4, rows),
            (258, 3, 8),
            (259, 3, 1),
            (262, 3, 1),
            (273, 4, data_at + k * rows * columns),
            (278, 4, rows),
            (279, 4, rows * columns),
        ]
        out += (8).to_bytes(2, "little")
        for tag, kind, value in tags:
            out += tag.to_bytes(2, "little") + kind.to_bytes(2, "little")
            out += (1).to_bytes(4, "little") + value.to_bytes(4, "little")
        out += following.to_bytes(4, "little")
    path.write_bytes(bytes(out) + stack.tobytes())
    return data_at


def test_a_stack_with_its_directories_first_cut_in_its_data_keeps_its_complete_pages(tmp_path):
    # nothing declares the page count and the directory chain is whole: the cut showed only
    # on reading ("file ends inside page 3"), even with allow_truncated=True
    path = tmp_path / "first.tif"
    data_at = _directories_first(path, np.full((6, 8, 8), 2, np.uint8))
    assert phase_volume(path, 2, voxel_size_um=1) == 6 * 64
    path.write_bytes(path.read_bytes()[: data_at + 3 * 64 + 10])
    with pytest.raises(ParseError, match=r"6 pages, 3 of them complete; page 3 \(counted from 0\)"):
        read_stack(path, voxel_size_um=1)
    with pytest.warns(TruncatedDataWarning, match="3 of them complete"):
        stack = read_stack(path, voxel_size_um=1, allow_truncated=True)
    assert stack.shape == (3, 8, 8)
    assert phase_volume(stack, 2) == 3 * 64


def test_a_file_of_several_series_says_which_it_reads(tmp_path):
    # pages of two shapes: tifffile makes two series; the first (one page) was read alone
    # with no word, a third of the labels counted
    path = tmp_path / "two.tif"
    tifffile.imwrite(path, np.full((1, 8, 9), 2, np.uint8), metadata=None)
    tifffile.imwrite(path, np.full((2, 8, 8), 2, np.uint8), metadata=None, append=True)
    with pytest.warns(EchemWarning, match=r"2 image series \(0: 8 x 9, 1: 2 x 8 x 8\)"):
        assert phase_volume(path, 2, voxel_size_um=1) == 72
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_stack(path, series=1, voxel_size_um=1).shape == (2, 8, 8)
        assert read_stack(path, series=0, voxel_size_um=1).shape == (1, 8, 9)
    with pytest.raises(ParseError, match="no image series 2"):
        read_stack(path, series=2)


@pytest.mark.parametrize("kind", ["plain", "shaped"])
def test_bit_flips_in_the_first_directory_are_errors_warnings_or_the_right_count(tmp_path, kind):
    # flipped bits in the header and the first page's directory: a width of 0 read as an
    # empty stack (0 voxels), a width of 17 split the pages into two series of which the
    # first was counted alone; TypeError and ZeroDivisionError escaped from tifffile
    labels = np.random.default_rng(1).integers(0, 3, (5, 8, 8)).astype(np.uint8)
    whole = tmp_path / "whole.tif"
    tifffile.imwrite(whole, labels, **CUT_STACK_WRITERS[kind])
    data = whole.read_bytes()
    path = tmp_path / "flipped.tif"
    with tifffile.TiffFile(whole) as tif:
        assert tif.series[0].shape == labels.shape
        moved = tif.pages[0].tags["StripOffsets"].valueoffset  # a flip there moves the data
    for at in [i for i in range(min(130, len(data))) if not 0 <= i - moved < 4]:
        for mask in (0x01, 0x80):
            flipped = bytearray(data)
            flipped[at] ^= mask
            path.write_bytes(bytes(flipped))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    volume = phase_volume(path, 2, voxel_size_um=1)
                except (ParseError, DataError):
                    continue
            warned = any(issubclass(w.category, EchemWarning) for w in caught)
            assert warned or volume == (labels == 2).sum(), (at, mask, volume)


def test_a_fifo_of_volumes_is_refused_without_waiting(tmp_path):
    """read_volumes read the CSV with Path.read_bytes: a named pipe waited forever."""
    import os

    fifo = tmp_path / "volumes.csv"
    os.mkfifo(fifo)
    with pytest.raises(echem.ParseError, match="not a regular file"):
        echem.ct.read_volumes(fifo)
