"""What may be read as an instrument file: regular files only.

A device or a pipe given in place of a file must be refused before it is opened:
``/dev/zero`` reads without end (echem grew to 2.9 GB and ended in ``MemoryError``),
and opening a FIFO blocks until a writer comes, which may be never.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from echem.errors import ParseError

__all__ = ["require_regular_file"]

#: ``stat`` test -> what such a file is, in words.
_NOT_REGULAR: tuple[tuple[object, str], ...] = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def require_regular_file(path: str | os.PathLike[str]) -> os.stat_result:
    """The ``stat`` of ``path`` (symbolic links followed) when it is a regular file.

    Parameters
    ----------
    path
        The file to be read.

    Returns
    -------
    os.stat_result
        Its status (``st_size`` in bytes).

    Raises
    ------
    echem.ParseError
        ``path`` (or what a symbolic link points to) is a directory, a device, a FIFO
        or a socket; the message says which, and where a link leads.
    FileNotFoundError
        ``path`` does not exist (or is a link to nothing).
    """
    info = os.stat(path)
    if stat.S_ISREG(info.st_mode):
        return info
    kind = next(
        (name for test, name in _NOT_REGULAR if test(info.st_mode)),  # type: ignore[operator]
        "not a regular file",
    )
    via = f" ({os.path.realpath(path)}, through a symbolic link)" if Path(path).is_symlink() else ""
    raise ParseError(f"not a regular file: {kind}{via}; echem reads regular files only", path)
