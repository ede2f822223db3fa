"""Zahner Thales .ism / .isw readers (echem/io/zahner.py).

The real files against reference.json (zahner_analysis 26.42: its rows run from the lowest
to the highest frequency, ours in file order, so its first is our last); the layout
checked by writing every read field back and getting the original bytes; the companion
``_c.txt`` header (present, absent, disagreeing, given to echem.read); unset 1980 dates;
files built here in the same layout (a sweep that starts mid-range, technique of an .isw);
damaged copies (every cut inside the data is a ParseError with its offset; bit flips read
or raise ParseError).
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import REAL_DATA, real, real_files

import echem
from echem.io import SNIFF_BYTES, registry
from echem.io.zahner import ISM_STRINGS, ISW_STRINGS, MAGIC, read_ism, read_isw

PEIS = "zahner/02_peis_ocv.ism"
GEIS = "zahner/geis-100ma.ism"
ISW = "zahner/21-cp-625ma-5min.isw"
COMPANION = "zahner/21-cp-625ma-5min_c.txt"
#: reference.json's tolerance for binary vs binary.
RTOL = 1e-6


def _reference(relative: str) -> dict:
    data = json.loads((REAL_DATA / "reference.json").read_text(encoding="utf-8"))
    return data[relative]["reference"]


def _check(values: np.ndarray, stats: dict, *, reversed_order: bool = False) -> None:
    first, last = (values[-1], values[0]) if reversed_order else (values[0], values[-1])
    np.testing.assert_allclose(first, stats["first"], rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(last, stats["last"], rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(values.min(), stats["min"], rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(values.max(), stats["max"], rtol=RTOL, atol=1e-15)


def _zstring(text: str) -> bytes:
    raw = text.swapcase().encode("latin-1")
    return len(raw).to_bytes(2, "big", signed=True) + raw


def _be(values, dtype=">f8") -> bytes:
    return np.asarray(values, dtype=np.float64).astype(dtype).tobytes()


def _ism_bytes(columns: dict, metadata: dict, n: int, version: int | None = None) -> bytes:
    """An .ism laid out as the reader's docstring says, from a frame's columns."""
    head = (version if version is not None else 0xFFFFFFFE).to_bytes(6, "big", signed=True)
    out = head + (n - 1).to_bytes(6, "big", signed=True)
    for name in ("frequency/Hz", "impedance/Ohm", "phase/rad", "timestamp/s"):
        out += _be(columns[name])
    out += np.asarray(columns["significance"]).astype(">i2").tobytes()
    out += b"".join(_zstring(metadata[name]) for name in ISM_STRINGS)
    out += int(metadata["acquisition_flag"]).to_bytes(2, "big", signed=True)
    out += _be(metadata["k_values"])
    if "Voltage/V" in columns:
        out += _be(np.column_stack((columns["Voltage/V"], columns["Current/A"])).ravel())
    return out


def _isw_bytes(columns: dict, metadata: dict, n: int) -> bytes:
    out = int(metadata["file_version"]).to_bytes(6, "big", signed=True)
    out += int(metadata["header_field_6"]).to_bytes(6, "big", signed=True)
    out += (n - 1).to_bytes(6, "big", signed=True)
    records = np.column_stack([columns[name] for name in ("voltage/mV", "current/mA", "time/ms")])
    out += _be(records.ravel())
    out += b"".join(_zstring(metadata[name]) for name in ISW_STRINGS)
    return out + bytes.fromhex(metadata["tail_hex"])


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", echem.EchemWarning)
        yield


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("relative", [PEIS, GEIS])
def test_ism_matches_zahner_analysis(relative):
    path = real(relative)
    df = echem.read(path)
    reference = _reference(relative)
    [table] = reference["tables"]
    assert len(df) == table["rows"]
    assert df.attrs["format"] == "zahner-ism" and df.attrs["technique"] == "eis"
    assert df.attrs["source"] == path.name
    stats = table["stats"]
    # zahner_analysis lists low -> high frequency; the files (and echem) high -> low
    assert (np.diff(df["freq_Hz"]) < 0).all()
    _check(df["freq_Hz"].to_numpy(), stats["frequency/Hz"], reversed_order=True)
    _check(df["z_real_ohm"].to_numpy(), stats["Zreal/Ohm"], reversed_order=True)
    _check(df["z_imag_ohm"].to_numpy(), stats["Zimag/Ohm"], reversed_order=True)
    start = reference["meta"]["start"].replace(" ", "T")
    assert df.attrs["start_time"] == start
    assert df["time_s"].iloc[0] == 0.0 and (np.diff(df["time_s"]) > 0).all()


def test_ism_z_sign_modulus_and_phase():
    df = echem.read(real(PEIS))
    z = df["z_real_ohm"] + 1j * df["z_imag_ohm"]
    np.testing.assert_allclose(np.abs(z), df["impedance/Ohm"], rtol=1e-12)
    np.testing.assert_allclose(np.angle(z), df["phase/rad"], rtol=1e-12)
    low = df["freq_Hz"] < 10
    assert (df.loc[low, "z_imag_ohm"] < 0).all()  # capacitive: Z'' < 0
    assert df.attrs["metadata"]["units"]["phase/rad"] == "rad"


@pytest.mark.parametrize(
    ("relative", "control", "voltage", "current"),
    [
        (PEIS, "potentiostatic", -0.2686, 5.13e-5),  # OCV, header: -0.2685V, 29.714uA
        (GEIS, "galvanostatic", 1.4353, 0.09992),  # 100 mA, header: 99.916mA, 1.4430V
    ],
)
def test_ism_tracks_metadata_and_strings(relative, control, voltage, current):
    df = echem.read(real(relative))
    metadata = df.attrs["metadata"]
    assert metadata["control"] == control
    assert df["voltage_V"].iloc[0] == pytest.approx(voltage, rel=1e-3)
    assert df["current_A"].iloc[0] == pytest.approx(current, rel=1e-2)
    assert df["voltage_V"].tolist() == df["Voltage/V"].tolist()
    assert set(ISM_STRINGS) <= set(metadata)
    assert len(metadata["k_values"]) == 32
    assert metadata["file_version"] == 0xFFFFFFFE
    assert df["significance"].between(0, 1000).all()


def test_ism_header_strings_are_case_swapped_back():
    metadata = echem.read(real(GEIS)).attrs["metadata"]
    assert metadata["system"] == "MEA13"
    assert metadata["current"] == "99.916mA, Ampl: 5mA"
    assert metadata["date"] == "020725"
    assert metadata["time_window"] == "15:05:00 - 15:06:55"


@pytest.mark.parametrize("relative", [PEIS, GEIS])
def test_ism_every_byte_is_accounted_for(relative):
    """Writing back every field read gives the original file, byte for byte."""
    path = real(relative)
    df = echem.read(path)
    rebuilt = _ism_bytes({c: df[c].to_numpy() for c in df.columns}, df.attrs["metadata"], len(df))
    assert rebuilt == path.read_bytes()


def test_isw_matches_zahner_analysis_and_its_bytes():
    path = real(ISW)
    df = echem.read(path)
    [table] = _reference(ISW)["tables"]
    assert len(df) == table["rows"] == 301
    assert df.attrs["format"] == "zahner-isw"
    assert df.attrs["technique"] == "galvanostatic"
    _check(df["time_s"].to_numpy(), table["stats"]["time/s"])
    _check(df["voltage_V"].to_numpy(), table["stats"]["voltage/V"])
    _check(df["current_A"].to_numpy(), table["stats"]["current/A"])
    np.testing.assert_array_equal(df["voltage_V"], df["voltage/mV"] * 1e-3)
    assert df.attrs["metadata"]["units"] == {
        "voltage/mV": "mV",
        "current/mA": "mA",
        "time/ms": "ms",
    }
    rebuilt = _isw_bytes({c: df[c].to_numpy() for c in df.columns}, df.attrs["metadata"], len(df))
    assert rebuilt == path.read_bytes()


def test_isw_header_start_time_and_companion():
    df = echem.read(real(ISW))
    metadata = df.attrs["metadata"]
    assert df.attrs["start_time"] == "2025-07-02T12:56:56"
    assert metadata["system"] == "MEA6-ID3"
    assert metadata["date"] == "JUL,02.2025"
    assert metadata["comment_1"] == "21-cp-625mA-5min"
    companion = metadata["companion_header"]
    assert companion["file"] == "21-cp-625ma-5min_c.txt"
    assert companion["text"] == real(COMPANION).read_bytes().decode("latin-1")  # CRLF kept
    assert companion["system"] == metadata["system"]
    assert companion["temperature"] == "0.0+-0.3C"
    assert companion["time_window"] == "12:56:56 - 13:01:57"
    assert companion["comments"] == ["21-cp-625mA-5min"]


def test_isw_without_its_companion_reads_the_same(tmp_path):
    alone = tmp_path / "21-cp-625ma-5min.isw"
    shutil.copy(real(ISW), alone)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = echem.read(alone)
    original = echem.read(real(ISW))
    assert df.equals(original)
    assert "companion_header" not in df.attrs["metadata"]
    assert df.attrs["start_time"] == original.attrs["start_time"]


def test_companion_that_disagrees_warns_and_the_isw_wins(tmp_path):
    shutil.copy(real(ISW), tmp_path / "run.isw")
    text = real(COMPANION).read_text(encoding="latin-1").replace("MEA6-ID3", "MEA7")
    (tmp_path / "run_C.TXT").write_text(text, encoding="latin-1")
    with pytest.warns(echem.EchemWarning, match=r"disagrees .* system 'MEA7' vs 'MEA6-ID3'"):
        df = echem.read(tmp_path / "run.isw")
    assert df.attrs["metadata"]["system"] == "MEA6-ID3"
    assert df.attrs["metadata"]["companion_header"]["file"] == "run_C.TXT"


def test_the_companion_header_given_to_read_points_to_its_isw(tmp_path):
    with pytest.raises(echem.ParseError, match=r"beside 21-cp-625ma-5min\.isw") as info:
        echem.read(real(COMPANION))
    assert "not beside" not in str(info.value)
    # not a data file: the echem commands leave it out of a folder (one line, exit 0)
    assert isinstance(info.value, echem.UnsupportedFormatError)
    lonely = tmp_path / "x_c.txt"
    shutil.copy(real(COMPANION), lonely)
    with pytest.raises(echem.ParseError, match=r"x\.isw is not beside it"):
        echem.read(lonely)
    with pytest.raises(echem.ParseError, match="text header"):
        echem.read(lonely, format="zahner-isw")


def test_sniffing_claims_each_file_and_nothing_else():
    expected = {PEIS: "zahner-ism", GEIS: "zahner-ism", ISW: "zahner-isw", COMPANION: "zahner-isw"}
    for relative, name in expected.items():
        head = real(relative).read_bytes()[:SNIFF_BYTES]
        assert [f.name for f in registry() if f.sniff(head)] == [name], relative
    ours = [f for f in registry() if f.name.startswith("zahner")]
    for other in real_files("*/*"):
        if other.parent.name != "zahner":
            head = other.read_bytes()[:SNIFF_BYTES]
            assert not any(f.sniff(head) for f in ours), other.name


@pytest.mark.parametrize("relative", [PEIS, GEIS])
def test_spectra_split_and_fit_runs(relative):
    df = echem.read(real(relative))
    sweeps = echem.eis.spectra(df)
    assert [len(s) for s in sweeps] == [len(df)]
    result = echem.eis.fit(sweeps[0], "R0-p(R1,CPE1)")
    assert math.isfinite(result.chisqr)


# --------------------------------------------------------------------------- built files


def _real_ism_parts(relative: str = PEIS):
    df = echem.read(real(relative))
    return {c: df[c].to_numpy() for c in df.columns}, dict(df.attrs["metadata"]), len(df)


def test_unset_clock_gives_no_start_time(tmp_path):
    columns, metadata, n = _real_ism_parts()
    columns["timestamp/s"] = np.zeros(n)
    metadata["date"] = "010180"
    path = tmp_path / "unset.ism"
    path.write_bytes(_ism_bytes(columns, metadata, n))
    df = echem.read(path)
    assert df.attrs["start_time"] is None
    assert df.attrs["metadata"]["start_timestamp_s"] == 0.0
    assert df.attrs["metadata"]["date"] == "010180"
    assert "time_s" not in df.columns  # no clock: no time axis either
    # without time stamps, the date string and the window's first time give the start
    metadata["date"] = "020125"
    path.write_bytes(_ism_bytes(columns, metadata, n))
    assert echem.read(path).attrs["start_time"] == "2025-01-02T09:19:48"


def test_isw_unset_date_gives_no_start_time(tmp_path):
    raw = real(ISW).read_bytes().replace(b"jul,02.2025", b"jan,01.1980")
    path = tmp_path / "unset.isw"
    path.write_bytes(raw)
    df = echem.read(path)
    assert df.attrs["start_time"] is None
    assert df.attrs["metadata"]["date"] == "JAN,01.1980"


def test_sweep_starting_mid_range_keeps_every_point(tmp_path):
    """Thales starts at 1 kHz, goes up to 100 kHz, then down to 1 Hz: zahner_analysis
    leaves out the first part; echem keeps all points and spectra() splits there."""
    up = np.logspace(3, 5, 5)
    down = np.logspace(4.8, 0, 11)
    freq = np.concatenate((up, down))
    n = freq.size
    modulus = 10 + 100 / (1 + freq / 100)
    phase = -np.arctan(freq / 1000)
    stamps = 1.4e9 + np.arange(n, dtype=float)
    metadata = dict.fromkeys(ISM_STRINGS, "")
    metadata.update(acquisition_flag=0, k_values=np.zeros(32))
    columns = {
        "frequency/Hz": freq,
        "impedance/Ohm": modulus,
        "phase/rad": phase,
        "timestamp/s": stamps,
        "significance": np.full(n, 1000),
    }
    path = tmp_path / "overlap.ism"
    path.write_bytes(_ism_bytes(columns, metadata, n))
    df = echem.read(path)
    assert df["freq_Hz"].tolist() == freq.tolist()
    np.testing.assert_array_equal(df["z_real_ohm"], modulus * np.cos(phase))
    np.testing.assert_array_equal(df["z_imag_ohm"], modulus * np.sin(phase))
    assert "voltage_V" not in df.columns  # flag 0: no acquisition tracks
    assert [len(s) for s in echem.eis.spectra(df)] == [5, 11]


@pytest.mark.parametrize(
    ("voltage", "current", "technique"),
    [
        ([1.0, 1.1, 1.2], [5.0, 5.0, 5.0], "galvanostatic"),
        ([1.0, 1.1, 1.2], [0.0, 0.0, 0.0], "ocv"),
        ([1.0, 1.0, 1.0], [5.0, 4.0, 3.0], "potentiostatic"),
        ([1.0, 1.1, 1.2], [5.0, 4.0, 3.0], "unknown"),
    ],
)
def test_isw_technique_from_the_quantity_held(tmp_path, voltage, current, technique):
    metadata = dict.fromkeys(ISW_STRINGS, "")
    metadata.update(file_version=0xFFFFFFFE, header_field_6=14, tail_hex="")
    columns = {"voltage/mV": voltage, "current/mA": current, "time/ms": [0.0, 1.0, 2.0]}
    path = tmp_path / "series.isw"
    path.write_bytes(_isw_bytes(columns, metadata, 3))
    df = echem.read(path)
    assert df.attrs["technique"] == technique
    np.testing.assert_array_equal(df["current_A"], np.array(current) * 1e-3)
    assert df.attrs["start_time"] is None  # empty date string


def test_bytes_after_the_known_layout_warn_and_are_kept(tmp_path):
    path = tmp_path / "longer.ism"
    path.write_bytes(real(PEIS).read_bytes() + b"\x01\x02\x03")
    with pytest.warns(echem.EchemWarning, match="3 bytes after the known layout .* tracks"):
        df = echem.read(path)
    assert df.attrs["metadata"]["unread_bytes"]["hex"] == "010203"
    original = echem.read(real(PEIS))
    assert "voltage_V" not in df.columns and "Voltage/V" not in df.columns
    assert df.equals(original.drop(columns=["voltage_V", "current_A", "Voltage/V", "Current/A"]))


def test_content_before_the_tracks_never_shifts_them(tmp_path):
    """16 bytes more between the k-values and the tracks (another version's field, or a
    damaged string length that moved every later field): the tracks would be read 16
    bytes early, other numbers; they are not read at all, with a warning."""
    path = real(GEIS)
    raw = path.read_bytes()
    tracks_at = len(raw) - 16 * len(echem.read(path))
    shifted = tmp_path / "shifted.ism"
    shifted.write_bytes(raw[:tracks_at] + bytes(range(16)) + raw[tracks_at:])
    with pytest.warns(echem.EchemWarning, match="16 bytes after .* voltage/current tracks"):
        df = echem.read(shifted)
    assert "voltage_V" not in df.columns and "Voltage/V" not in df.columns
    assert df["z_real_ohm"].equals(echem.read(path)["z_real_ohm"])


# --------------------------------------------------------------------------- damaged input


def _data_end(relative: str, raw: bytes) -> int:
    if relative.endswith(".ism"):
        return 12 + 34 * (int.from_bytes(raw[6:12], "big") + 1)
    return 18 + 24 * (int.from_bytes(raw[12:18], "big") + 1)


_SAME = {
    ".ism": ("freq_Hz", "z_real_ohm", "z_imag_ohm", "time_s", "significance"),
    ".isw": ("time_s", "voltage_V", "current_A"),
}


@pytest.mark.parametrize("relative", [PEIS, GEIS, ISW])
def test_truncated_copies(tmp_path, relative):
    """Cut inside the data: a ParseError with the offset. Cut in the header strings
    after it: the same numbers, with a TruncatedDataWarning saying what was not read (a
    cut in the .isw's uninterpreted settings after its strings cannot be seen: the
    numbers are the same)."""
    raw = real(relative).read_bytes()
    original = echem.read(real(relative))
    end = _data_end(relative, raw)
    strings_end = len(raw) - original.attrs["metadata"].get("tail_length", 0)
    target = tmp_path / ("cut" + Path(relative).suffix)
    rng = random.Random(len(raw))
    cuts = {1, 5, 6, 11, 12, 17, 18, end - 1, end, end + 1, strings_end, len(raw) - 1}
    cuts |= {rng.randrange(1, len(raw)) for _ in range(20)}
    for cut in sorted(c for c in cuts if 0 < c < len(raw)):
        target.write_bytes(raw[:cut])
        if cut < end:
            with pytest.raises(echem.ParseError) as info:
                echem.read(target)
            assert info.value.offset is not None and info.value.path == str(target)
            continue
        if cut < strings_end:
            with pytest.warns(echem.TruncatedDataWarning, match="ends inside"):
                df = echem.read(target)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                df = echem.read(target)
        assert len(df) == len(original)
        for column in _SAME[target.suffix]:
            assert df[column].equals(original[column]), (cut, column)


@pytest.mark.parametrize("relative", [PEIS, GEIS, ISW])
def test_bit_flipped_copies_read_or_raise_parse_errors(tmp_path, relative):
    raw = real(relative).read_bytes()
    target = tmp_path / ("flip" + Path(relative).suffix)
    rng = random.Random(7 * len(raw))
    for _ in range(60):
        data = bytearray(raw)
        for _flip in range(rng.choice((1, 1, 3))):
            at = rng.randrange(len(data))
            data[at] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(data))
        try:
            with _quiet():
                warnings.simplefilter("error", RuntimeWarning)  # no numpy warning either
                df = echem.read(target)
        except echem.ParseError as error:
            assert error.path == str(target)
            assert error.offset is not None or error.line is not None or "tried" in str(error)
            continue
        assert len(df) >= 1


@pytest.mark.parametrize("suffix", [".ism", ".isw"])
@pytest.mark.parametrize(
    "content",
    [
        b"",
        MAGIC,
        MAGIC + b"\x00" * 6,
        MAGIC + b"\xff" * 12,  # negative point count
        MAGIC + b"\x00\x00\x7f\xff\xff\xff" * 2 + b"\x00" * 40,  # billions of points
        bytes(range(256)) * 4,
    ],
)
def test_hostile_files_are_parse_errors(tmp_path, suffix, content):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    reader = read_ism if suffix == ".ism" else read_isw
    with pytest.raises(echem.ParseError) as info:
        reader(path)
    assert info.value.path == str(path) and info.value.offset is not None


_COUNT_AT = {".ism": 6, ".isw": 12}


def _with_count(raw: bytes, at: int, count: int) -> bytes:
    return raw[:at] + (count - 1).to_bytes(6, "big", signed=True) + raw[at + 6 :]


@pytest.mark.parametrize("relative", [PEIS, GEIS, ISW])
def test_a_damaged_point_count_is_a_parse_error(tmp_path, relative):
    """Every bit flip of the count field, and counts one or two off: the points would be
    read at other offsets (an .ism's |Z| from its frequencies, an .isw's last records
    dropped or read from its header): a ParseError at the count, never such numbers.
    Before: n - 1 read with a warning that only the header was not read, and some counts
    (geis 40, isw 314) read garbage with no warning or a warning of unread bytes."""
    raw = real(relative).read_bytes()
    suffix = Path(relative).suffix
    at = _COUNT_AT[suffix]
    n = int.from_bytes(raw[at : at + 6], "big") + 1
    reader = read_ism if suffix == ".ism" else read_isw
    target = tmp_path / ("count" + suffix)
    variants = {_with_count(raw, at, count) for count in (n - 2, n - 1, n + 1, n + 2)}
    for position in range(at, at + 6):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[position] ^= 1 << bit
            variants.add(bytes(flipped))
    for data in variants:
        target.write_bytes(data)
        with pytest.raises(echem.ParseError) as info:
            reader(target)
        assert info.value.offset in (at, len(data)), str(info.value)  # the count, or the end


def test_a_count_one_short_names_the_count_the_header_follows(tmp_path):
    raw = real(ISW).read_bytes()
    path = tmp_path / "short.isw"
    path.write_bytes(_with_count(raw, 12, 300))
    with pytest.raises(
        echem.ParseError, match="declares 300 points, but its header strings follow 301"
    ):
        read_isw(path)


def test_a_signalling_nan_in_an_isw_record_stays_a_nan_without_numpy_warnings(tmp_path):
    raw = bytearray(real(ISW).read_bytes())
    at = 18 + 24 * 100  # record 100's voltage
    raw[at : at + 8] = bytes.fromhex("7ff4000000000000")  # a signalling NaN
    path = tmp_path / "snan.isw"
    path.write_bytes(bytes(raw))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = read_isw(path)
    assert math.isnan(df["voltage_V"].iloc[100]) and math.isnan(df["voltage/mV"].iloc[100])
    assert df["voltage_V"].drop(index=100).notna().all()


def test_the_companion_is_found_without_listing_the_folder(tmp_path, monkeypatch):
    """Before: every .isw read without an exact-case ``_c.txt`` listed its folder (17.7 ms a
    read in a folder of 3,000 files, 1.4 ms now): reading the folder took quadratic time."""
    shutil.copy(real(ISW), tmp_path / "run.isw")
    shutil.copy(real(COMPANION), tmp_path / "run_C.txt")

    def no_listing(self):
        raise AssertionError(f"{self} listed")

    monkeypatch.setattr(Path, "iterdir", no_listing)
    assert read_isw(tmp_path / "run.isw").attrs["metadata"]["companion_header"]["file"] == (
        "run_C.txt"
    )
    (tmp_path / "run_C.txt").unlink()
    assert "companion_header" not in read_isw(tmp_path / "run.isw").attrs["metadata"]


@pytest.mark.parametrize("relative", [PEIS, ISW])
def test_another_version_field_warns_and_names_it(tmp_path, relative):
    """Before: a version field other than 00 00 ff ff ff fe read without a word."""
    raw = bytearray(real(relative).read_bytes())
    raw[5] ^= 0x01
    path = tmp_path / ("version" + Path(relative).suffix)
    path.write_bytes(bytes(raw))
    with pytest.warns(echem.EchemWarning, match="version field 00 00 ff ff ff ff"):
        df = echem.read(path)
    original = echem.read(real(relative))
    assert df.equals(original)
    assert df.attrs["metadata"]["file_version"] == 0xFFFFFFFF


@pytest.mark.parametrize("reader", [read_ism, read_isw])
def test_a_fifo_is_refused_without_waiting(tmp_path, reader):
    """The Zahner readers read the file's bytes with their own helper, which did not refuse a
    FIFO: read_ism/read_isw on a named pipe waited forever for a writer."""
    import os

    fifo = tmp_path / "pipe.ism"
    os.mkfifo(fifo)
    with pytest.raises(echem.ParseError, match="not a regular file"):
        reader(fifo)
