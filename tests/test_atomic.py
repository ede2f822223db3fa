"""echem._atomic.atomic_path: complete or nothing, ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from echem._atomic import atomic_path


def test_written_file_has_umask_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        with atomic_path(tmp_path / "out" / "table.csv") as temporary:
            temporary.write_text("a,b\n1,2\n")
    finally:
        os.umask(old)
    target = tmp_path / "out" / "table.csv"
    assert target.read_text() == "a,b\n1,2\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["table.csv"]


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
