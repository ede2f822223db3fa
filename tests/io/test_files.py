"""echem.io._files: only regular files are read; devices, FIFOs and folders are refused
before they are opened (echem.read on a link to /dev/zero grew to 2.9 GB and ended in
MemoryError; a FIFO named .mpt blocked forever)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import echem
from echem.io._files import require_regular_file

#: Reads each path given on the command line; prints {path: "ok" | "ParseError: ..." |
#: "<other error>"} as JSON. Run in a child process with a time and memory limit, so
#: that a regression (a read that blocks or never ends) fails the test instead of
#: hanging or exhausting the machine.
_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
import echem
from echem.io.delimited import read_delimited
results = {}
for path in sys.argv[1:]:
    for name, read in (("read", echem.read), ("csv", read_delimited), ("forced", None)):
        try:
            if read is None:
                echem.read(path, format="csv")
            else:
                read(path)
            outcome = "read"
        except echem.ParseError as error:
            outcome = f"ParseError: {error}"
        except BaseException as error:
            outcome = f"{type(error).__name__}: {error}"
        results[f"{path} {name}"] = outcome
print(json.dumps(results))
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_devices_and_fifos_are_refused_before_they_are_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "run.mpt"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(fifo), str(zero), str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results = json.loads(child.stdout.splitlines()[-1])
    for name, kind in ((fifo, "a FIFO"), (zero, "a character device"), (folder, "a directory")):
        for how in ("read", "csv", "forced"):
            outcome = results[f"{name} {how}"]
            assert outcome.startswith(f"ParseError: {name}: not a regular file: {kind}"), outcome
    assert "(/dev/zero, through a symbolic link)" in results[f"{zero} read"]


def test_require_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"x")
    assert require_regular_file(path).st_size == 1
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    assert require_regular_file(link).st_size == 1  # a link to a regular file is one
    with pytest.raises(FileNotFoundError):
        require_regular_file(tmp_path / "missing.csv")
    with pytest.raises(echem.ParseError, match="a directory") as caught:
        require_regular_file(tmp_path)
    assert caught.value.path == str(tmp_path)
