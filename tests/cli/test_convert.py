"""``echem convert``: CSV / Parquet round trips of real files, JSON sidecar, naming, atomicity."""

from __future__ import annotations

import json
import math
import re
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import real, real_files

import echem
from echem.cli import convert, main
from echem.io._schema import CANONICAL


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    plain = pd.DataFrame(frame, copy=False)
    plain.columns = [str(c) for c in plain.columns]
    return plain


def _strict_json(path) -> dict:
    def no_constants(name: str) -> None:
        raise AssertionError(f"{path} holds {name}, not strict JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)


def test_parquet_round_trip_is_exact_with_dtypes(tmp_path, capsys):
    mpr = real("biologic/peis.issue_149.mpr")  # float32 / integer original columns, 4 sweeps
    gamry = real("gamry-dta/exampleDataGamry.DTA")  # a secondary table with text columns
    out = tmp_path / "out"
    assert main(["convert", str(mpr), str(gamry), "--to", "parquet", "--out", str(out)]) == 0
    assert capsys.readouterr().err == ""
    for path in (mpr, gamry):
        frame = echem.read(path)
        back = pd.read_parquet(out / f"{path.name}.parquet")
        pd.testing.assert_frame_equal(back, _plain(frame), check_dtype=True)
        for column in CANONICAL:
            if column in frame:
                assert back[column].dtype == frame[column].dtype
        assert back["time_s"].dtype == np.float64
    assert pd.read_parquet(out / f"{mpr.name}.parquet")["cycle"].dtype == np.int64
    # The data file carries the attrs, nested metadata included.
    attrs = pd.read_parquet(out / f"{gamry.name}.parquet").attrs
    assert attrs["format"] == "gamry-dta" and attrs["technique"] == "eis"
    assert attrs["metadata"]["PSTAT"] == "REF3000-34128" and attrs["metadata"]["AREA"] == 1.0
    ocv = echem.read(gamry).attrs["tables"]["OCVCURVE"]
    back = pd.read_parquet(out / f"{gamry.name}.OCVCURVE.parquet")
    pd.testing.assert_frame_equal(back, _plain(ocv), check_dtype=False)
    assert len(back) == 387  # "OCVCURVE TABLE 387" in the file


def test_parquet_writer_takes_attrs_that_are_not_json(tmp_path):
    """pandas serialises attrs into Parquet with json.dumps: nested frames, NaN or bytes in the
    metadata must neither warn nor raise."""
    frame = echem.read(real("gamry-dta/exampleDataGamry.DTA"))  # attrs["tables"] holds frames
    frame.attrs["metadata"] = {**frame.attrs["metadata"], "nan": np.nan, "raw": b"\x00"}
    target = tmp_path / "x.parquet"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        convert.WRITERS["parquet"][1](frame, target)
    back = pd.read_parquet(target)
    pd.testing.assert_frame_equal(back, _plain(frame))
    assert back.attrs["metadata"]["nan"] is None and back.attrs["metadata"]["raw"] == "00"
    assert "tables" not in back.attrs  # written as files of their own by echem convert


def test_csv_keeps_every_column_and_the_file_values(tmp_path):
    path = real("biologic/peis.mpt")
    out = tmp_path / "out"
    assert main(["convert", str(path), "--to", "csv", "--out", str(out)]) == 0
    frame = echem.read(path)
    back = pd.read_csv(out / "peis.mpt.csv")
    assert list(back.columns) == [str(c) for c in frame.columns]
    for column in frame.columns:
        np.testing.assert_allclose(
            back[column].to_numpy(float), frame[column].to_numpy(float), rtol=1e-15, atol=0
        )
    # Independently of echem: the original columns hold the numbers written in the .mpt text.
    lines = path.read_text(encoding="latin-1").splitlines()
    n_header = int(re.search(r"Nb header lines\s*:\s*(\d+)", lines[1]).group(1))
    names = lines[n_header - 1].rstrip("\t").split("\t")
    rows = [line.split("\t") for line in lines[n_header:] if line.strip()]
    for name in ("freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm", "time/s"):
        text = np.array([float(row[names.index(name)]) for row in rows])
        np.testing.assert_array_equal(back[name].to_numpy(float), text)
    np.testing.assert_array_equal(back["z_imag_ohm"], -back["-Im(Z)/Ohm"])
    np.testing.assert_array_equal(back["freq_Hz"], back["freq/Hz"])


def test_sidecar_holds_the_nested_metadata(tmp_path):
    mpr = real("biologic/peis.mpr")
    gamry = real("gamry-dta/exampleDataGamryABORT.DTA")
    out = tmp_path / "out"
    assert main(["convert", str(mpr), str(gamry), "--to", "csv", "--out", str(out)]) == 0

    document = _strict_json(out / "peis.mpr.json")
    frame = echem.read(mpr)
    assert document["format"] == "biologic-mpr" and document["technique"] == "eis"
    assert document["rows"] == len(frame) == 32
    assert document["start_time"] == frame.attrs["start_time"]
    assert document["columns"]["freq_Hz"] == "Hz" and document["columns"]["freq/Hz"] is None
    assert list(document["columns"]) == [str(c) for c in frame.columns]
    metadata = frame.attrs["metadata"]
    assert document["metadata"]["technique_code"] == metadata["technique_code"] == 29
    assert document["metadata"]["modules"] == json.loads(json.dumps(metadata["modules"]))
    assert [m["name"] for m in document["metadata"]["modules"]][:2] == ["VMP Set", "VMP data"]
    assert document["outputs"] == {"data": "peis.mpr.csv", "tables": {}}

    document = _strict_json(out / "exampleDataGamryABORT.DTA.json")
    tables = echem.read(gamry).attrs["tables"]
    assert document["metadata"]["aborted"] is True
    assert document["metadata"]["units"]["Zreal"] == "ohm"
    assert document["outputs"]["tables"] == {
        name: {"file": f"exampleDataGamryABORT.DTA.{name}.csv", "rows": len(table)}
        for name, table in tables.items()
    }
    for name, table in tables.items():
        back = pd.read_csv(out / f"exampleDataGamryABORT.DTA.{name}.csv")
        assert back.shape == table.shape


def test_json_safe_values():
    stamp = pd.Timestamp("2024-03-14T09:12:05")
    value = {
        1: np.float32(0.5),
        "nan": float("nan"),
        "inf": np.float64(np.inf),
        "when": stamp,
        "nat": np.datetime64("NaT"),
        "na": pd.NA,
        "raw": b"\x01\xff",
        "array": np.arange(3, dtype=np.int16),
        "nested": {"tuple": (1, np.int64(2)), "table": pd.DataFrame({"a": [1]})},
        "listed frame": [pd.DataFrame({"a": [1, 2]})],
    }
    assert convert.json_safe(value) == {
        "1": 0.5,
        "nan": None,
        "inf": None,
        "when": "2024-03-14T09:12:05",
        "nat": None,
        "na": None,
        "raw": "01ff",
        "array": [0, 1, 2],
        "nested": {"tuple": [1, 2]},
        "listed frame": ["<DataFrame of 2 rows>"],
    }
    json.dumps(convert.json_safe(value), allow_nan=False)


def test_twins_never_collide_and_the_input_is_never_overwritten(tmp_path, capsys):
    mpr, mpt = real("biologic/peis.mpr"), real("biologic/peis.mpt")
    out = tmp_path / "out"
    assert main(["convert", str(mpr), str(mpt), str(mpr), "--to", "csv", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "peis.mpr.csv",
        "peis.mpr.json",
        "peis.mpt.csv",
        "peis.mpt.json",
    ]
    assert len(capsys.readouterr().out.splitlines()) == 2  # a file named twice: converted once
    # A CSV input converted to CSV beside itself: the input stays as it was.
    source = tmp_path / "data.csv"
    shutil.copyfile(real("csv/exampleData.csv"), source)
    before = source.read_bytes()
    assert main(["convert", str(source), "--to", "csv"]) == 0
    assert source.read_bytes() == before
    back = pd.read_csv(tmp_path / "data.csv.csv")
    raw = np.loadtxt(source, delimiter=",")
    np.testing.assert_array_equal(back[["freq_Hz", "z_real_ohm", "z_imag_ohm"]].to_numpy(), raw)


def test_same_name_from_two_folders_fails_the_second(tmp_path, capsys):
    source = real("csv/exampleData.csv")
    first, second = tmp_path / "a" / "x.csv", tmp_path / "b" / "x.csv"
    for path in (first, second):
        path.parent.mkdir()
        shutil.copyfile(source, path)
    out = tmp_path / "out"
    assert main(["convert", str(first), str(second), "--to", "csv", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and str(second) in lines[0] and "x.csv.csv" in lines[0]
    assert captured.out.startswith(f"{first} -> ")
    assert sorted(p.name for p in out.iterdir()) == ["x.csv.csv", "x.csv.json"]


def test_existing_outputs_are_replaced(tmp_path):
    path = real("zplot/exampleDataZPlot.z")
    out = tmp_path / "out"
    out.mkdir()
    (out / "exampleDataZPlot.z.csv").write_text("stale\n")
    assert main(["convert", str(path), "--to", "csv", "--out", str(out)]) == 0
    back = pd.read_csv(out / "exampleDataZPlot.z.csv")
    assert len(back) == len(echem.read(path)) == 21


def test_truncated_file_in_a_batch(tmp_path, capsys):
    good = real("biologic/peis.mpr")
    bad = tmp_path / "broken.mpr"
    bad.write_bytes(good.read_bytes()[:10000])
    out = tmp_path / "out"
    assert main(["convert", str(bad), str(good), "--to", "parquet", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("echem: ") and str(bad) in lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["peis.mpr.json", "peis.mpr.parquet"]


def test_a_failing_write_leaves_no_output_at_all(tmp_path, capsys, monkeypatch):
    """The table write fails after the data file was written in full: nothing may remain."""
    gamry = real("gamry-dta/exampleDataGamry.DTA")
    zplot = real("zplot/exampleDataZPlot.z")
    calls = []

    def failing_writer(frame: pd.DataFrame, path) -> None:
        calls.append(path)
        if len(calls) == 2:  # the OCVCURVE table of the Gamry file: half written, then fails
            path.write_text(frame.to_csv(index=False)[:100])
            raise OSError(28, "No space left on device")
        frame.to_csv(path, index=False)

    monkeypatch.setitem(convert.WRITERS, "csv", (".csv", failing_writer, lambda: None))
    out = tmp_path / "out"
    assert main(["convert", str(gamry), str(zplot), "--to", "csv", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and str(gamry) in lines[0] and "No space left" in lines[0]
    # Neither the completed data file, nor the sidecar, nor any temporary file of the Gamry
    # input is left; the next input is converted.
    assert sorted(p.name for p in out.iterdir()) == [
        "exampleDataZPlot.z.csv",
        "exampleDataZPlot.z.json",
    ]
    assert not any(path.exists() for path in calls[:2])


def test_missing_pyarrow_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setitem(
        convert.WRITERS,
        "parquet",
        (".parquet", convert.WRITERS["parquet"][1], lambda: "needs pyarrow"),
    )
    assert main(["convert", "whatever.mpr", "--to", "parquet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--to parquet" in err and "pyarrow" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["convert", "whatever.mpr", "--to", "xlsx"])
    assert exit_info.value.code == 2


def test_float_formatting_round_trips_exactly(tmp_path):
    """CSV floats are written in shortest round-trip form: no digit is lost."""
    path = real("biologic/cp.mpr")
    out = tmp_path / "out"
    assert main(["convert", str(path), "--to", "csv", "--out", str(out)]) == 0
    frame = echem.read(path)
    back = pd.read_csv(out / "cp.mpr.csv")
    for column in ("time_s", "voltage_V", "current_A"):
        original = frame[column].to_numpy(float)
        assert np.array_equal(back[column].to_numpy(float), original, equal_nan=True)
        assert not math.isnan(original[0])


def test_a_folder_is_converted_file_by_file_keeping_its_layout_below_out(tmp_path, capsys):
    from conftest import FIXTURES

    peis = FIXTURES / "operando" / "li3ps4_plating_03_PEIS_C01.mpt"
    data = tmp_path / "data"
    (data / "cell2").mkdir(parents=True)
    shutil.copyfile(peis, data / "peis.mpt")
    shutil.copyfile(peis, data / "cell2" / "peis.mpt")
    (data / "junk.bin").write_bytes(bytes(range(256)))
    out = tmp_path / "out"
    assert main(["convert", str(data), "-r", "--to", "csv", "--out", str(out)]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"echem: skipped {data / 'junk.bin'}: no format echem reads (echem info FILE says why)"
    ]
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["cell2/peis.mpt.csv", "cell2/peis.mpt.json", "peis.mpt.csv", "peis.mpt.json"]
    # Beside the inputs, a second run does not convert the first run's outputs again.
    assert main(["convert", str(data), "--to", "csv"]) == 0
    capsys.readouterr()
    assert main(["convert", str(data), "--to", "csv"]) == 0
    assert sorted(p.name for p in data.iterdir() if p.is_file()) == [
        "junk.bin",
        "peis.mpt",
        "peis.mpt.csv",
        "peis.mpt.json",
    ]


def test_a_file_name_that_is_not_utf8_is_converted_and_shown_escaped(tmp_path, capsys):
    """Its sidecar could not be written (the name's lone surrogates are not UTF-8): the file
    failed with "'utf-8' codec can't encode character '\\udce9'"."""
    import os

    from conftest import FIXTURES

    data = tmp_path / "data"
    data.mkdir()
    name = os.fsdecode(b"peis \xe9\xff.mpt")  # Latin-1 bytes, as an old share names files
    try:
        shutil.copyfile(FIXTURES / "operando" / "li3ps4_plating_03_PEIS_C01.mpt", data / name)
    except (OSError, UnicodeError):
        pytest.skip("the file system takes only valid UTF-8 names")
    for _ in range(2):  # the second run does not read the first one's outputs
        assert main(["convert", str(data), "--to", "csv"]) == 0
        out, err = capsys.readouterr()
        assert err == "" and out.startswith(f"{data}/peis \\xe9\\xff.mpt -> ")
    assert sorted(p.name for p in data.iterdir()) == [name, f"{name}.csv", f"{name}.json"]
    sidecar = _strict_json(data / f"{name}.json")
    assert sidecar["input"] == f"{data}/peis \\xe9\\xff.mpt"
    assert sidecar["outputs"]["data"] == "peis \\xe9\\xff.mpt.csv"
    frame = pd.read_csv(data / f"{name}.csv")
    assert len(frame) == len(echem.read(data / name))


def _smallest_real_file_of_each_format() -> list:
    """The smallest real file of each format echem reads (the format decided by echem.read
    itself, so a format added to ../shared is covered with no test edit)."""
    smallest: dict[str, object] = {}
    for path in real_files("**/*"):
        if not path.is_file():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                name = echem.read(path).attrs["format"]
            except echem.EchemError:
                continue
        if name not in smallest or path.stat().st_size < smallest[name].stat().st_size:
            smallest[name] = path
    return [smallest[name] for name in sorted(smallest)]


@pytest.mark.filterwarnings("ignore::echem.EchemWarning")
@pytest.mark.parametrize("path", _smallest_real_file_of_each_format(), ids=lambda p: p.name)
def test_every_format_round_trips_through_parquet_and_csv(tmp_path, path):
    """echem convert keeps every column and value of each format (issue 14): Parquet exactly
    with its dtypes, CSV to the last digit of each float."""
    frame = _plain(echem.read(path))
    out = tmp_path / "out"
    for to in ("parquet", "csv"):
        assert main(["convert", str(path), "--to", to, "--out", str(out)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / f"{path.name}.parquet"), frame)
    back = pd.read_csv(out / f"{path.name}.csv")
    assert back.columns.tolist() == frame.columns.tolist()
    for column in frame.columns:
        ours = frame[column]
        if pd.api.types.is_numeric_dtype(ours) and not pd.api.types.is_bool_dtype(ours):
            dtype = ours.dtype if ours.dtype == np.float32 else float  # float32 written shortest
            np.testing.assert_array_equal(back[column].to_numpy(dtype), ours.to_numpy(dtype))
