"""Write files completely or not at all: temporary names beside the targets, then renames.

:func:`atomic_path` writes one file; :func:`atomic_paths` writes a set of files (e.g. a
table and its JSON sidecar) of which either every one or none is replaced.

A temporary is named ``.<target name>.<host>-<pid>.<random>.tmp`` (``.bak`` for the copy of
a target kept while a set is replaced): a writer that is interrupted (an exception,
Ctrl-C, SIGTERM handled as an exception) removes its own, and one killed outright
(SIGKILL, a power cut) leaves files whose writer is known, which
:func:`remove_stale_temporaries` removes at the next run.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_paths", "remove_stale_temporaries"]


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


#: Suffixes of the files this module writes beside a target before renaming them.
_SUFFIXES: tuple[str, ...] = (".tmp", ".bak")

#: ``.<target>.<host>-<pid>.<random><suffix>``: who wrote a temporary (mkstemp's random part
#: is 8 characters of ``[a-z0-9_]``).
_TEMPORARY_NAME = re.compile(
    r"^\..+\.(?P<host>[A-Za-z0-9-]*)-(?P<pid>[0-9]+)\.[a-z0-9_]{8}(?:"
    + "|".join(re.escape(suffix) for suffix in _SUFFIXES)
    + ")$"
)


def _host() -> str:
    """This machine's name as it goes into a temporary's name (letters, digits, ``-``)."""
    return re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname().split(".")[0])


def _temporary(target: Path, suffix: str = ".tmp") -> Path:
    """A new empty private file beside ``target`` (its folder is created if needed), named
    after the target, this host and this process."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{target.name}.{_host()}-{os.getpid()}.", suffix=suffix, dir=target.parent
    )
    os.close(handle)
    return Path(name)


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (POSIX)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporaries that writers killed outright left in ``folder``.

    A file is removed when its name is one :func:`atomic_paths` gives (``.<target>.<host>-
    <pid>.<random>.tmp`` or ``.bak``), it was written on this host, and its process is no
    longer running; the temporaries of a run still going on, or written on other hosts
    (a shared folder), are left alone. Nothing happens outside POSIX systems.

    Parameters
    ----------
    folder
        The folder to clean (not its subfolders); a folder that does not exist is fine.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) would signal on Windows
        return []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    host = _host()
    removed = []
    for entry in entries:
        match = _TEMPORARY_NAME.match(entry.name)
        if match is None or match["host"] != host or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or _running(pid):
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:  # removed meanwhile by another cleaner
            continue
        removed.append(Path(entry.path))
    return removed


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
