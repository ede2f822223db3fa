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


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_temporaries_name_their_host_and_process_and_only_dead_ones_are_removed(tmp_path):
    from echem import _atomic

    mine = _atomic._temporary(tmp_path / "plot.png")
    host = _atomic._host()
    assert mine.name.startswith(f".plot.png.{host}-{os.getpid()}.") and mine.name.endswith(".tmp")
    dead = _dead_pid()
    stale = tmp_path / f".plot.png.{host}-{dead}.abc_1234.tmp"
    stale_backup = tmp_path / f".table.csv.{host}-{dead}.zz99zz99.bak"
    elsewhere = tmp_path / f".plot.png.otherhost-{dead}.abcd1234.tmp"  # a shared folder
    parent = tmp_path / f".plot.png.{host}-{os.getppid()}.abcd1234.tmp"  # still running
    unknown = tmp_path / ".plot.png.abcd1234.tmp"  # no writer in the name
    data = tmp_path / f"plot.png.{host}-{dead}.abcd1234.tmp"  # not hidden: not ours
    for path in (stale, stale_backup, elsewhere, parent, unknown, data):
        path.write_text("half")
    removed = _atomic.remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([stale, stale_backup])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (mine, elsewhere, parent, unknown, data)
    )
    assert _atomic.remove_stale_temporaries(tmp_path / "missing") == []
