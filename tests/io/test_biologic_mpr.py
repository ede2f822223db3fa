"""BioLogic .mpr edge cases of the record layout and of the chunked copy (``_gather``).

Files are built from a real .mpr (``ocv.issue_149.mpr``: settings, LOG and loop modules
kept) with a new data module: chosen column IDs, layout (version 0 with uint8 or uint16
IDs, version 2, version 3) and records (random bytes, so that a row or a field read from
the wrong place shows). The reference is independent of the reader: galvani's
``VMPdata_dtype_from_colIDs`` (or a numpy record dtype written here) over the same bytes.
"""

from __future__ import annotations

import itertools
import struct
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import real, real_files
from galvani import BioLogic as galvani_biologic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from echem.errors import EchemWarning, ParseError
from echem.io import biologic_mpr
from echem.io.biologic_mpr import read_mpr

MPR_FILES = real_files("biologic/*.mpr")

#: (where the column IDs start, their struct code, where the records start) per layout,
#: as galvani 0.5 and EC-Lab write them (written out here, not taken from the reader).
LAYOUTS: Mapping[str, tuple[int, int, str, int]] = {
    # name: (version, IDs at, struct code, records at)
    "v0-uint8": (0, 5, "B", 100),
    "v0-uint16": (0, 6, "H", 1007),
    "v2": (2, 5, "H", 405),
    "v3": (3, 5, "H", 406),
}
FLAGS = galvani_biologic.VMPdata_colID_flag_map
#: A GCPL-like record: flags, Ns (u2), time (f8), control (f4, a view), Ewe (f4 -> f8),
#: <I> (f8), Ece (f4, a view), (Q-Qo) (f8), I Range (u2, a view), half cycle (u4),
#: P/W (f4, a view): copied and view runs alternate.
MIXED_IDS = [1, 2, 3, 21, 31, 65, 131, 4, 5, 6, 11, 9, 13, 39, 212, 70]


def _data_module(layout: str, column_ids: Sequence[int], body: bytes, n_points: int) -> bytes:
    version, ids_at, code, records_at = LAYOUTS[layout]
    head = bytearray(records_at)
    struct.pack_into("<IB", head, 0, n_points, len(column_ids))
    struct.pack_into(f"<{len(column_ids)}{code}", head, ids_at, *column_ids)
    return bytes(head) + body


def _with_data_module(template: Path, content: bytes, version: int, folder: Path) -> Path:
    """A copy of ``template`` whose data module is ``content`` (header length and
    version patched; every other module as it was)."""
    raw = template.read_bytes()
    modules = biologic_mpr._read_modules(memoryview(raw), template)
    data = biologic_mpr._the_module(modules, b"VMP data", template)
    v2 = struct.Struct("<10s25sIIII8s")
    if raw[data.offset - v2.size + 35 : data.offset - v2.size + 39] == b"\xff" * 4:
        layout, length_field, version_field = v2, 3, 4
    else:
        layout, length_field, version_field = struct.Struct("<10s25sII8s"), 2, 3
    header_at = data.offset - layout.size
    fields = list(layout.unpack_from(raw, header_at))
    fields[length_field] = len(content)
    fields[version_field] = version
    path = folder / f"built{len(list(folder.iterdir()))}.mpr"
    path.write_bytes(
        raw[:header_at] + layout.pack(*fields) + content + raw[data.offset + data.length :]
    )
    return path


def _build(
    folder: Path,
    column_ids: Sequence[int],
    n_points: int,
    layout: str = "v3",
    record_dtype: np.dtype | None = None,
    seed: int = 0,
) -> tuple[Path, np.ndarray]:
    """A file with ``n_points`` random records of ``column_ids``; and those records as
    a numpy record array (galvani's dtype unless ``record_dtype`` is given)."""
    dtype = record_dtype or galvani_biologic.VMPdata_dtype_from_colIDs(column_ids)[0]
    body = np.random.default_rng(seed).integers(0, 256, n_points * dtype.itemsize, np.uint8)
    content = _data_module(layout, column_ids, body.tobytes(), n_points)
    path = _with_data_module(
        real("biologic/ocv.issue_149.mpr"), content, LAYOUTS[layout][0], folder
    )
    return path, np.frombuffer(body.tobytes(), dtype=dtype)


def _assert_originals(frame: pd.DataFrame, records: np.ndarray, column_ids: Sequence[int]) -> None:
    """Every record field and flag of ``records`` is the frame's column of that name,
    values (bit for bit, NaN payloads aside) and native dtype (float32 fields feeding a
    canonical column are float64)."""
    for name in records.dtype.names:
        if name == "flags":
            continue
        expected = records[name].astype(records.dtype[name].newbyteorder("="))
        column = frame[name].to_numpy()
        assert column.dtype.isnative, name
        if column.dtype != expected.dtype:
            assert (expected.dtype, column.dtype) == (np.float32, np.float64), name
        with np.errstate(invalid="ignore"):  # random bytes: signalling NaNs warn when cast
            widened = expected.astype(column.dtype)
        np.testing.assert_array_equal(column, widened, err_msg=name)
    for column_id in column_ids:
        if column_id in FLAGS:
            flag, mask, _ = FLAGS[column_id]
            shift = (mask & -mask).bit_length() - 1
            expected = (records["flags"] & mask) >> shift
            np.testing.assert_array_equal(frame[flag].to_numpy(), expected, err_msg=flag)
            assert frame[flag].dtype == np.uint8


def _assert_separate(frame: pd.DataFrame) -> None:
    """No two columns share memory, and a write to one column changes no other (column
    ``j`` is set to ``j + 1`` in column order: a write reaching another column leaves
    the wrong number in the one written first)."""
    arrays = [frame.iloc[:, j].to_numpy() for j in range(frame.shape[1])]
    for (i, a), (j, b) in itertools.combinations(enumerate(arrays), 2):
        assert not np.shares_memory(a, b), (frame.columns[i], frame.columns[j])
    for j, array in enumerate(arrays):
        frame.iloc[:, j] = np.full(len(frame), j + 1, dtype=array.dtype)
    for j in range(frame.shape[1]):
        assert (frame.iloc[:, j].to_numpy() == j + 1).all(), frame.columns[j]


# --- record counts around the chunk size --------------------------------------------


CHUNK_ROWS = 4


@pytest.mark.parametrize("n_points", [0, 1, 3, 4, 5, 8, 9, 4 * CHUNK_ROWS + 1])
def test_record_counts_around_the_chunk_rows(n_points: int, tmp_path: Path, monkeypatch) -> None:
    """0, 1, k x chunk rows and one more: every field and flag of every record, canonical
    columns from them (independent arithmetic), the derived cycle number, no shared
    memory."""
    dtype = galvani_biologic.VMPdata_dtype_from_colIDs(MIXED_IDS)[0]
    monkeypatch.setattr(biologic_mpr, "_CHUNK_BYTES", CHUNK_ROWS * dtype.itemsize + 1)
    path, records = _build(tmp_path, MIXED_IDS, n_points, seed=n_points)
    frame = read_mpr(path)
    assert len(frame) == n_points
    _assert_originals(frame, records, MIXED_IDS)
    np.testing.assert_array_equal(frame["time_s"], records["time/s"])
    np.testing.assert_array_equal(frame["voltage_V"], records["Ewe/V"].astype(np.float64))
    np.testing.assert_array_equal(frame["current_A"], records["<I>/mA"] * 1e-3)
    np.testing.assert_array_equal(frame["charge_C"], records["(Q-Qo)/mA.h"] * 3.6)
    np.testing.assert_array_equal(frame["step"], records["Ns"].astype(np.int64))
    np.testing.assert_array_equal(frame["cycle"], records["half cycle"].astype(np.int64) // 2)
    np.testing.assert_array_equal(frame["cycle number"], records["half cycle"] // 2)
    assert frame["cycle"].dtype == np.int64 and frame["step"].dtype == np.int64
    for name in ("time_s", "voltage_V", "current_A", "charge_C", "Ewe/V", "cycle number"):
        assert frame[name].dtype == np.float64, name
    assert frame.attrs["metadata"]["column_ids"] == MIXED_IDS
    _assert_separate(frame)


def test_chunk_rows_do_not_change_the_frame(tmp_path: Path, monkeypatch) -> None:
    """One chunk, chunks of one record, and chunks smaller than one record give one frame."""
    path, _ = _build(tmp_path, MIXED_IDS, 37, seed=5)
    whole = read_mpr(path)
    for chunk_bytes in (1, 57, 3 * 57 - 1):
        monkeypatch.setattr(biologic_mpr, "_CHUNK_BYTES", chunk_bytes)
        pd.testing.assert_frame_equal(read_mpr(path), whole, check_exact=True)


# --- layouts, repeated IDs, missing columns -----------------------------------------


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_data_module_layout(layout: str, tmp_path: Path) -> None:
    """uint8 IDs (version 0, byte 5 non-zero), uint16 IDs at byte 6 (version 0), version 2
    and 3: the same records read the same, wherever the IDs and records start."""
    ids = [1, 3, 131, 4, 6, 8, 13, 39, 212, 70]  # all below 256: the uint8 layout holds them
    path, records = _build(tmp_path, ids, 11, layout=layout, seed=1)
    frame = read_mpr(path)
    assert frame.attrs["metadata"]["version"] == LAYOUTS[layout][0]
    assert frame.attrs["metadata"]["column_ids"] == ids
    _assert_originals(frame, records, ids)
    np.testing.assert_array_equal(frame["current_A"], records["I/mA"].astype(np.float64) * 1e-3)
    _assert_separate(frame)


def test_repeated_column_ids_are_numbered(tmp_path: Path) -> None:
    """IDs repeated, or two IDs of one name (77 and 174 are both <Ewe>/V; 11 and 76 both
    <I>/mA, f8 and f4): 'name 2', 'name 3'... in record order, as galvani names them; the
    canonical column comes from the first; the others keep their binary dtype."""
    ids = [1, 3, 4, 174, 174, 4, 77, 11, 76]
    path, records = _build(tmp_path, ids, 6, seed=2)
    with pytest.warns(EchemWarning, match=r"ID 174 \('<Ewe>/V'\) as columns 4 and 5"):
        frame = read_mpr(path)
    names = ["<Ewe>/V", "<Ewe>/V 2", "time/s 2", "<Ewe>/V 3", "<I>/mA", "<I>/mA 2"]
    assert [c for c in frame.columns if c in names] == names
    assert frame["<Ewe>/V 2"].dtype == np.float32 and frame["<Ewe>/V 3"].dtype == np.float32
    assert frame["<I>/mA 2"].dtype == np.float32  # not a canonical source: kept as stored
    _assert_originals(frame, records, ids)
    np.testing.assert_array_equal(frame["voltage_V"], records["<Ewe>/V"].astype(np.float64))
    np.testing.assert_array_equal(frame["current_A"], records["<I>/mA"] * 1e-3)
    np.testing.assert_array_equal(frame["time_s"], records["time/s"])
    _assert_separate(frame)


@pytest.mark.parametrize(
    ("ids", "canonical"),
    [
        ([174], ["voltage_V"]),  # no flags, no time
        ([6, 8], ["voltage_V", "current_A"]),
        ([7, 13, 6], ["voltage_V", "charge_C"]),  # dq without time: no <I>/mA
        ([4, 7], ["time_s", "current_A"]),  # dq with time, no flags: <I>/mA derived
        ([1, 2, 174], ["voltage_V"]),  # flags only before the one field
    ],
)
def test_without_time_or_flags(ids: list[int], canonical: list[str], tmp_path: Path) -> None:
    path, records = _build(tmp_path, ids, 9, seed=3)
    frame = read_mpr(path)
    assert [c for c in frame.columns if c.endswith(("_s", "_V", "_A", "_C"))] == canonical
    _assert_originals(frame, records, ids)
    if 7 in ids and 4 in ids:
        time, dq = records["time/s"], records["dq/mA.h"]
        with np.errstate(all="ignore"):
            step = np.diff(time)
            expected = np.where(np.isfinite(step) & (step != 0), dq[1:] * 3600.0 / step, 0.0)
        np.testing.assert_array_equal(frame["<I>/mA"].to_numpy()[1:], expected)
        assert frame["<I>/mA"].iloc[0] == 0.0
    else:
        assert "<I>/mA" not in frame.columns
    _assert_separate(frame)


# --- impedance -----------------------------------------------------------------------


def test_polar_impedance_gives_re_and_minus_im(tmp_path: Path) -> None:
    """|Z| and Phase(Z) without Re(Z)/-Im(Z) (Modulo Bat EIS): Re(Z) = |Z| cos(phase),
    -Im(Z) = -|Z| sin(phase); z_imag_ohm = Im(Z) = |Z| sin(phase)."""
    ids = [32, 36, 35, 4]
    dtype = np.dtype(
        [("freq/Hz", "<f4"), ("|Z|/Ohm", "<f4"), ("Phase(Z)/deg", "<f4"), ("time/s", "<f8")]
    )
    rng = np.random.default_rng(4)
    records = np.zeros(25, dtype)
    records["freq/Hz"] = np.geomspace(1e5, 0.1, 25)
    records["|Z|/Ohm"] = rng.uniform(1, 1000, 25)
    records["Phase(Z)/deg"] = rng.uniform(-90, 90, 25)
    records["time/s"] = np.arange(25.0)
    content = _data_module("v3", ids, records.tobytes(), 25)
    path = _with_data_module(real("biologic/ocv.issue_149.mpr"), content, 3, tmp_path)
    frame = read_mpr(path)
    modulus = records["|Z|/Ohm"].astype(np.float64)
    phase = np.deg2rad(records["Phase(Z)/deg"].astype(np.float64))
    np.testing.assert_allclose(frame["z_real_ohm"], modulus * np.cos(phase), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(frame["z_imag_ohm"], modulus * np.sin(phase), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(frame["z_imag_ohm"], -frame["-Im(Z)/Ohm"].astype(np.float64))
    np.testing.assert_array_equal(frame["freq_Hz"], records["freq/Hz"].astype(np.float64))
    assert frame.attrs["metadata"]["derived_columns"] == ["Re(Z)/Ohm", "-Im(Z)/Ohm"]
    assert frame.attrs["technique"] == "ocv"  # the template's settings module says OCV
    _assert_separate(frame)


def test_polar_rule_matches_a_real_eis_file() -> None:
    """peis.mpr stores Re(Z), -Im(Z), |Z| and Phase(Z): the rule above reproduces them."""
    frame = read_mpr(real("biologic/peis.mpr"))
    modulus = frame["|Z|/Ohm"].to_numpy(np.float64)
    phase = np.deg2rad(frame["Phase(Z)/deg"].to_numpy(np.float64))
    scale = 1e-5 * modulus.max()
    np.testing.assert_allclose(frame["z_real_ohm"], modulus * np.cos(phase), rtol=1e-4, atol=scale)
    np.testing.assert_allclose(frame["z_imag_ohm"], modulus * np.sin(phase), rtol=1e-4, atol=scale)


# --- byte order ------------------------------------------------------------------------


def test_big_endian_fields_are_read_in_native_order(tmp_path: Path, monkeypatch) -> None:
    """No known column ID is big-endian; if a table entry were, the field is read with
    its byte order and handed over native (canonical sources, flags and views alike)."""
    big = {
        4: ("time/s", ">f8"),
        174: ("<Ewe>/V", ">f4"),
        131: ("Ns", ">u2"),
        39: ("I Range", ">u2"),
        70: ("P/W", ">f4"),
        212: ("half cycle", ">u4"),
    }
    monkeypatch.setattr(biologic_mpr, "EXTRA_COLUMNS", {**biologic_mpr.EXTRA_COLUMNS, **big})
    ids = [1, 3, 131, 4, 174, 39, 70, 212]
    dtype = np.dtype([("flags", "u1")] + [(big[i][0], big[i][1]) for i in ids if i not in FLAGS])
    path, records = _build(tmp_path, ids, 13, record_dtype=dtype, seed=6)
    frame = read_mpr(path)
    _assert_originals(frame, records, ids)
    np.testing.assert_array_equal(frame["step"], records["Ns"].astype(np.int64))
    np.testing.assert_array_equal(frame["cycle"], records["half cycle"].astype(np.int64) // 2)
    _assert_separate(frame)


# --- real files --------------------------------------------------------------------------


@pytest.mark.parametrize("path", MPR_FILES, ids=lambda p: p.name)
def test_real_file_columns_are_separate(path: Path) -> None:
    try:
        frame = read_mpr(path)
    except ParseError:
        return
    _assert_separate(frame)


@pytest.mark.parametrize(("layout", "n_columns"), [("v0-uint8", 96), ("v2", 201), ("v3", 201)])
def test_column_ids_running_into_the_records_are_an_error(
    layout: str, n_columns: int, tmp_path: Path
) -> None:
    """Room for 95 uint8 IDs (bytes 5-99) or 200 uint16 IDs (bytes 5-404) before the
    records: a larger count (a corrupt byte 4) read IDs out of the first record, and a
    record whose first bytes looked like IDs gave a frame (96 time columns here)."""
    version, ids_at, code, records_at = LAYOUTS[layout]
    size = struct.calcsize(code)
    n_points = 3
    body = bytearray(np.arange(n_points * n_columns, dtype="<f8").tobytes())
    fit = (records_at - ids_at) // size
    struct.pack_into(f"<{n_columns - fit}{code}", body, 0, *[4] * (n_columns - fit))
    content = bytearray(_data_module(layout, [4] * fit, bytes(body), n_points))
    content[4] = n_columns
    path = _with_data_module(real("biologic/ocv.issue_149.mpr"), bytes(content), version, tmp_path)
    with pytest.raises(ParseError, match="run into the records") as caught:
        read_mpr(path)
    data = biologic_mpr._the_module(
        biologic_mpr._read_modules(memoryview(path.read_bytes()), path), b"VMP data", path
    )
    assert caught.value.offset == data.offset + 4


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_unknown_column_id_is_reported_at_its_own_byte(layout: str, tmp_path: Path) -> None:
    """The 4th of 5 IDs is unknown (10): the error names that ID's offset in the file, not
    the offset of the first ID."""
    version, ids_at, code, _ = LAYOUTS[layout]
    ids = [1, 4, 174, 10, 6]
    content = _data_module(layout, ids, b"", 0)
    path = _with_data_module(real("biologic/ocv.issue_149.mpr"), content, version, tmp_path)
    data = biologic_mpr._the_module(
        biologic_mpr._read_modules(memoryview(path.read_bytes()), path), b"VMP data", path
    )
    with pytest.raises(ParseError, match="unknown column ID 10 ") as caught:
        read_mpr(path)
    at = data.offset + ids_at + 3 * struct.calcsize(code)
    assert caught.value.offset == at
    assert path.read_bytes()[at] == 10


#: Column IDs whose name and dtype galvani and echem agree on (441 is renamed by echem).
KNOWN_IDS = sorted(
    set(galvani_biologic.VMPdata_colID_dtype_map) - set(biologic_mpr.EXTRA_COLUMNS) | set(FLAGS)
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(st.sampled_from(KNOWN_IDS), min_size=1, max_size=12),
    n_points=st.integers(0, 12),
    chunk_rows=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_any_known_column_ids(
    ids: list[int], n_points: int, chunk_rows: int, seed: int, tmp_path_factory, monkeypatch
) -> None:
    """Any sequence of known IDs (flags anywhere, repeats, any order), any record count
    and chunk size: galvani's record layout over the same bytes, columns separate."""
    dtype = galvani_biologic.VMPdata_dtype_from_colIDs(ids)[0]
    monkeypatch.setattr(biologic_mpr, "_CHUNK_BYTES", chunk_rows * dtype.itemsize)
    path, records = _build(tmp_path_factory.mktemp("ids"), ids, n_points, seed=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_mpr(path)
    repeated = any(issubclass(w.category, EchemWarning) for w in caught)
    assert repeated == (len(set(ids)) < len(ids))
    assert len(frame) == n_points
    _assert_originals(frame, records, ids)
    _assert_separate(frame)


@pytest.mark.parametrize("layout", ["v0-uint8", "v2"])
def test_damaged_small_layouts_raise_parse_errors_only(layout: str, tmp_path: Path) -> None:
    """Layouts no real file's mutation test covers: the file cut at every byte from the
    data module's header on, and every byte of that header and of the IDs set to 0, 1,
    0x7F, 0xFF or flipped, either reads or raises ParseError with an offset in the file."""
    ids = [1, 3, 131, 4, 6, 8, 13, 39, 212, 70]
    path, _ = _build(tmp_path, ids, 3, layout=layout, seed=7)
    raw = path.read_bytes()
    data = biologic_mpr._the_module(
        biologic_mpr._read_modules(memoryview(raw), path), b"VMP data", path
    )
    header_at = data.offset - 6 - struct.calcsize("<10s25sIIII8s")  # MODULE + v2 header
    damaged = tmp_path / "damaged.mpr"

    def check(content: bytes) -> None:
        damaged.write_bytes(content)
        try:
            read_mpr(damaged)
        except ParseError as error:
            assert error.offset is not None and 0 <= error.offset <= len(content), error

    _, ids_at, code, records_at = LAYOUTS[layout]
    ids_end = data.offset + ids_at + len(ids) * struct.calcsize(code)
    itemsize = (data.length - records_at) // 3
    boundaries = [data.offset + records_at + k * itemsize for k in range(4)]
    cuts = set(range(header_at, ids_end + 2)) | {b + d for b in boundaries for d in (-1, 0, 1)}
    for cut in sorted(cuts - {len(raw)}):
        check(raw[:cut])
    for at in range(header_at, ids_end):
        for value in {0, 1, 0x7F, 0xFF, raw[at] ^ 0x10} - {raw[at]}:
            check(raw[:at] + bytes([value]) + raw[at + 1 :])


def test_polar_impedance_is_derived_in_float64() -> None:
    """mb.issue_223 stores |Z| and Phase(Z) as float32: Re(Z) and -Im(Z) are computed
    from them in float64 (they feed z_real_ohm and z_imag_ohm), not in float32."""
    frame = read_mpr(real("biologic/mb.issue_223.mpr"))
    assert frame["|Z|/Ohm"].dtype == np.float32
    modulus = frame["|Z|/Ohm"].to_numpy().astype(np.float64)
    phase = np.radians(frame["Phase(Z)/deg"].to_numpy().astype(np.float64))
    assert frame["Re(Z)/Ohm"].dtype == np.float64
    np.testing.assert_array_equal(frame["Re(Z)/Ohm"], modulus * np.cos(phase))
    np.testing.assert_array_equal(frame["z_imag_ohm"], modulus * np.sin(phase))


def test_a_signalling_nan_widened_to_float64_reads_as_nan_without_a_warning(tmp_path) -> None:
    """gcpl.issue_228 stores Ewe/V as float32 (widened to float64 for voltage_V): a
    signalling NaN there is a NaN, with no numpy 'invalid value' warning on the way."""
    import warnings

    source = real("biologic/gcpl.issue_228.mpr")
    raw = bytearray(source.read_bytes())
    modules = biologic_mpr._read_modules(memoryview(bytes(raw)), source)
    data = biologic_mpr._the_module(modules, b"VMP data", source)
    records = biologic_mpr._data_records(data, source)
    run = next(run for run in records.runs if "Ewe/V" in run.names)
    assert run.dtype == np.float32 and run.convert_to == np.float64
    at = data.offset + records.offset + run.offset + 4 * run.names.index("Ewe/V")
    raw[at : at + 4] = struct.pack("<I", 0x7FA00000)  # float32 signalling NaN, first record
    path = tmp_path / source.name
    path.write_bytes(bytes(raw))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = read_mpr(path)
    assert np.isnan(frame["voltage_V"].iloc[0]) and np.isnan(frame["Ewe/V"].iloc[0])
    assert frame["voltage_V"].iloc[1:].equals(read_mpr(source)["voltage_V"].iloc[1:])


@pytest.mark.parametrize(("index", "new_id", "hidden"), [(0, 33, "freq/Hz"), (6, 76, "<Ewe>/V")])
def test_a_column_id_changed_into_another_of_the_file_is_told(tmp_path, index, new_id, hidden):
    """One damaged byte of ``zir.mpr``'s column IDs made ``freq/Hz`` (32) a second
    ``|Ewe|/V`` (33): the frequencies were read as '|Ewe|/V 2' and freq_Hz was gone, with
    no word (the record size is the same, so nothing else shows it)."""
    source = real("biologic/zir.mpr")
    raw = bytearray(source.read_bytes())
    ids = read_mpr(source).attrs["metadata"]["column_ids"]
    data = biologic_mpr._the_module(
        biologic_mpr._read_modules(memoryview(bytes(raw)), source), b"VMP data", source
    )
    at = data.offset + 5 + 2 * index  # version 2: uint16 IDs from byte 5
    assert struct.unpack_from("<H", raw, at)[0] == ids[index]
    struct.pack_into("<H", raw, at, new_id)
    path = tmp_path / "zir.mpr"
    path.write_bytes(bytes(raw))
    with pytest.warns(EchemWarning, match=rf"lists column ID {new_id} .*\b{at}\b"):
        frame = read_mpr(path)
    assert hidden not in frame.columns


@pytest.mark.parametrize("name", [b"VMP Set", b"VMP LOG"])
def test_a_module_present_twice_is_told(tmp_path, name):
    """A second settings or LOG module (a spliced or damaged file) was passed over in
    silence: the first was read, whatever the second said."""
    source = real("biologic/ocv.issue_149.mpr")
    raw = source.read_bytes()
    module = biologic_mpr._the_module(
        biologic_mpr._read_modules(memoryview(raw), source), name, source
    )
    start = raw.rindex(b"MODULE", 0, module.offset)
    path = tmp_path / "twice.mpr"
    path.write_bytes(raw + raw[start : module.offset + module.length])
    with pytest.warns(EchemWarning, match=rf"2 '{name.decode()}' modules .*the first is read"):
        frame = read_mpr(path)
    assert frame.equals(read_mpr(source))
