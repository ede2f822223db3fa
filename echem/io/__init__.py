"""Reading instrument files: the format registry, sniffing, and :func:`read`.

Each instrument family lives in its own module and exports ``FORMATS``, a tuple of
:class:`Format` rows. The registry below is the concatenation of those tables, so
adding a format is adding a row, not a branch.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from echem.errors import ParseError, UnsupportedFormatError
from echem.io._files import require_regular_file

__all__ = ["Format", "read", "formats", "registry", "SNIFF_BYTES"]

#: How many leading bytes of a file the sniffers see.
SNIFF_BYTES = 8192

#: Modules under ``echem.io`` that contribute ``FORMATS``; their order is the sniffing order.
_FORMAT_MODULES: tuple[str, ...] = (
    "biologic",
    "palmsens",
    "zahner",
    "gamry",
    "arbin",
    "neware",
    "zplot",
    "autolab",
    "chinstruments",
    "princeton",
    "powersuite",
    "delimited",
)


@dataclass(frozen=True)
class Format:
    """One row of the format table.

    Attributes
    ----------
    name
        Short identifier accepted by ``read(..., format=name)``.
    description
        Instrument and file kind, for ``formats()`` and ``echem info``.
    extensions
        Lower-case file extensions including the dot (``".mpr"``), used when
        sniffing is inconclusive.
    sniff
        ``sniff(head) -> bool`` given the first :data:`SNIFF_BYTES` bytes: True when the
        content is recognisably this format. Must never raise.
    reader
        ``reader(path) -> DataFrame``; raises :class:`echem.ParseError` on bad input.
    """

    name: str
    description: str
    extensions: tuple[str, ...]
    sniff: Callable[[bytes], bool]
    reader: Callable[[Path], pd.DataFrame]


@functools.cache
def registry() -> tuple[Format, ...]:
    """Every known format, in sniffing order (an immutable table, built once)."""
    rows: list[Format] = []
    for module_name in _FORMAT_MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        rows.extend(module.FORMATS)
    return tuple(rows)


def formats() -> pd.DataFrame:
    """The supported formats as a table (name, description, extensions)."""
    return pd.DataFrame(
        [
            {"name": f.name, "description": f.description, "extensions": " ".join(f.extensions)}
            for f in registry()
        ]
    )


def read(path: str | os.PathLike[str], format: str | None = None) -> pd.DataFrame:
    """Read an instrument file into the canonical tidy frame.

    The format is recognised from the content first (magic bytes, header lines: the
    first :data:`SNIFF_BYTES` bytes), from the file extension second; ``format=``
    forces one (see :func:`formats`). Only regular files are read (a link is followed):
    a device, a FIFO or a folder is refused before it is opened. Tried by extension,
    a text format refuses a file of another format from its start alone, so a text
    file's data is read from disk once (:mod:`echem.io._text_table`).

    Parameters
    ----------
    path
        The file to read.
    format
        Name of a format from :func:`formats`, to skip sniffing.

    Returns
    -------
    pandas.DataFrame
        Canonical columns (``time_s`` [s], ``voltage_V`` [V], ``current_A`` [A],
        ``charge_C`` [C], ``cycle``, ``step``, ``freq_Hz`` [Hz], ``z_real_ohm`` [Ohm],
        ``z_imag_ohm`` [Ohm], those the file provides) followed by every original
        column; ``df.attrs`` holds ``format``, ``technique``, ``source``,
        ``start_time`` and ``metadata``.

    Raises
    ------
    echem.ParseError
        The file is recognised but malformed (the message names file and line/offset),
        or is not a regular file (the message says what it is).
    echem.UnsupportedFormatError
        No format recognises the file; the message lists those tried.
    FileNotFoundError
        No such file.
    """
    path = Path(path)
    table = registry()
    by_name = {f.name: f for f in table}
    if format is not None and format not in by_name:
        raise UnsupportedFormatError(f"unknown format {format!r}", path, tried=sorted(by_name))
    require_regular_file(path)  # before opening: a FIFO blocks, /dev/zero never ends
    if format is not None:
        return by_name[format].reader(path)

    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        raise ParseError("the file is empty", path, offset=0)

    sniffed = next((f for f in table if f.sniff(head)), None)
    if sniffed is not None:
        return sniffed.reader(path)

    suffix = path.suffix.lower()
    by_extension = [f for f in table if suffix in f.extensions]
    errors: list[ParseError] = []
    for candidate in by_extension:
        try:
            return candidate.reader(path)
        except ParseError as error:
            errors.append(error)
    if len(errors) == 1:
        raise errors[0]
    tried = [f.name for f in table]
    message = "no known format recognises this file"
    if errors:
        # Say why each format of the extension refused it: a malformed file of one of
        # them (a CSV with a typo in row 6) must not read as an unknown format only.
        reasons = "; ".join(
            f"{candidate.name}: {_where(error)}{error.reason}"
            for candidate, error in zip(by_extension, errors, strict=True)
        )
        message = f"{message} ({suffix} files: {reasons})"
    raise UnsupportedFormatError(message, path, tried=tried)


def _where(error: ParseError) -> str:
    """``"line N: "`` / ``"byte N: "`` of an error, empty when it has neither."""
    if error.line is not None:
        return f"line {error.line}: "
    if error.offset is not None:
        return f"byte {error.offset}: "
    return ""
