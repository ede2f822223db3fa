"""Edge cases of CT volumes (tables, TIFF stacks) and of the charge comparison."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import tifffile

from echem.ct import compare_ct, depth_profile, phase_volume, read_stack, read_volumes
from echem.ct_stack import as_voxel_size
from echem.errors import DataError, EchemWarning, ParseError

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
