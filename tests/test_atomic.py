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


def test_every_file_is_synced_before_any_rename(tmp_path, monkeypatch):
    """After a power cut, a renamed output must hold its content: each temporary file is
    fsynced before the first rename."""
    from echem import _atomic

    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(_atomic.os, "fsync", lambda fd: events.append("sync") or real_fsync(fd))
    monkeypatch.setattr(
        _atomic.os, "replace", lambda a, b: events.append("rename") or real_replace(a, b)
    )
    targets = [tmp_path / "a.csv", tmp_path / "a.json"]
    with _atomic.atomic_paths(targets) as paths:
        for path in paths:
            path.write_text("x")
    assert events == ["sync", "sync", "rename", "rename"]
    assert [t.read_text() for t in targets] == ["x", "x"]
