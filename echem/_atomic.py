"""Write files completely or not at all: temporary names beside the targets, then renames.

:func:`atomic_path` writes one file; :func:`atomic_paths` writes a set of files (e.g. a
table and its JSON sidecar) of which either every one or none is replaced.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_paths"]


def _current_umask() -> int:
    """The process umask, read without changing it where the system tells it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0)  # pragma: no cover - systems without /proc/self/status
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def _flush_to_disk(path: Path) -> None:
    """Ask the system to put ``path``'s content on disk before it is renamed: after a
    power cut a renamed file is then whole, not empty."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    except OSError:  # pragma: no cover - file systems that cannot sync
        pass
    finally:
        os.close(handle)


def _temporary(target: Path, suffix: str = ".tmp") -> Path:
    """A new empty private file beside ``target`` (its folder is created if needed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(handle)
    return Path(name)


def _backup(target: Path) -> Path | None:
    """A hard link (else a copy) of an existing ``target`` beside it; None when there is none."""
    if not os.path.lexists(target) or target.is_dir():
        return None
    backup = _temporary(target, ".bak")
    backup.unlink()
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:
        import shutil

        shutil.copy2(target, backup, follow_symlinks=False)
    return backup


def _commit(pairs: Sequence[tuple[Path, Path]]) -> None:
    """Rename each temporary onto its target; if one rename fails, undo the earlier ones."""
    done: list[tuple[Path, Path | None]] = []
    try:
        for position, (temporary, target) in enumerate(pairs):
            # The last rename needs no backup: if it fails, it changed nothing.
            backup = _backup(target) if position < len(pairs) - 1 else None
            try:
                os.replace(temporary, target)
            except BaseException:
                if backup is not None:
                    backup.unlink(missing_ok=True)
                raise
            done.append((target, backup))
    except BaseException:
        for target, backup in reversed(done):
            if backup is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(backup, target)
        raise
    for _, backup in done:
        if backup is not None:
            backup.unlink(missing_ok=True)


@contextmanager
def atomic_paths(targets: Sequence[str | os.PathLike[str]]) -> Iterator[list[Path]]:
    """Yield one temporary path beside each target; rename them all onto the targets on success.

    If the body raises, the temporary files are removed and no target is touched. If a
    rename fails (e.g. a target is a folder), the targets already renamed are restored
    (their old content, or removed when they did not exist), so the set is replaced
    completely or not at all. The finished files get the permissions an ordinary
    ``open(target, "w")`` would give them (0666 masked by the umask).

    Parameters
    ----------
    targets
        The files to write (their folders are created if needed).
    """
    paths = [Path(target) for target in targets]
    temporaries: list[Path] = []
    try:
        for target in paths:
            temporaries.append(_temporary(target))
        yield list(temporaries)
        mode = 0o666 & ~_current_umask()
        for temporary in temporaries:
            os.chmod(temporary, mode)
            _flush_to_disk(temporary)
        _commit(list(zip(temporaries, paths, strict=True)))
    except BaseException:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    If the body raises, the temporary file is removed and ``target`` is untouched, so an
    output is written completely or not at all. The finished file gets the permissions an
    ordinary ``open(target, "w")`` would give it (0666 masked by the umask), not the 0600
    of the private temporary file.
    """
    with atomic_paths([target]) as (temporary,):
        yield temporary
