"""The row type of the CLI command table and helpers every command shares.

This module is imported by ``echem --help``: it imports nothing heavy (no numpy, pandas or
matplotlib) at module level.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from echem._atomic import atomic_path
from echem.errors import DataError, UnsupportedFormatError

__all__ = [
    "Command",
    "Input",
    "NoImpedanceSweep",
    "SKIPPED_ERRORS",
    "Terminated",
    "report_failure",
    "report_input_error",
    "report_skipped",
    "shown_path",
    "shown_text",
    "atomic_path",
    "add_format_option",
    "add_inputs_argument",
    "out_folder_problem",
    "collect_inputs",
    "distinct_files",
    "impedance_sweeps",
    "number_type",
    "progress",
    "NOT_DATA_SUFFIXES",
]


@dataclass(frozen=True)
class Command:
    """One ``echem`` subcommand: a row of :data:`echem.cli.COMMANDS`.

    The module ``echem.cli.<module>`` is imported only when the command runs (or its own
    ``--help`` is asked for), so that ``echem --help`` stays fast. It defines
    ``add_arguments(parser)``, ``run(args)`` (the exit code: 0 when every input succeeded,
    1 when any failed) and ``DESCRIPTION`` (the text of ``echem <name> --help``).
    """

    name: str
    help: str
    module: str


class Terminated(KeyboardInterrupt):
    """The process was asked to end (SIGTERM, SIGHUP): handled like Ctrl-C (outputs being
    written are left as they were, worker processes are ended), exit code 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def shown_path(path: str | os.PathLike[str]) -> str:
    r"""A path as text that any table, JSON file, plot title or terminal line takes.

    A file name that is not valid UTF-8 (bytes of another encoding, Latin-1 ``\xff``, on a
    Linux disk) comes from the system with lone surrogates, which pandas' string columns,
    UTF-8 files and fonts refuse; its undecodable bytes are shown as ``\xff`` escapes
    instead, and control characters (a line break in a name) as ``\n``, ``\x01``... Any
    other path is unchanged. See :func:`shown_text`.
    """
    return shown_text(os.fspath(path))


#: Control characters (C0 and DEL) -> their escapes, for :func:`shown_text`.
_CONTROL_ESCAPES: dict[int, str] = {
    code: chr(code).encode("unicode_escape").decode("ascii") for code in [*range(32), 127]
}


def shown_text(text: str) -> str:
    r"""``text`` that can be written as UTF-8 on one line: lone surrogates (undecodable bytes
    of a file name or header kept by Python's ``surrogateescape``) as ``\xff`` escapes and
    control characters as ``\n``, ``\t``, ``\x01``...; any other text is unchanged."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that stands for no byte
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.translate(_CONTROL_ESCAPES)


def report_failure(path: str | os.PathLike[str], error: BaseException) -> None:
    """Print one line naming a file (or option) that failed and why (no traceback).

    A circuit error keeps its quote of the circuit and the caret under the character at
    fault, on the two lines after it. Names are shown as :func:`shown_path` shows them.
    """
    from echem.errors import CircuitError, ParseError

    if isinstance(error, CircuitError) and error.position is not None:
        print(f"echem: {shown_path(path)}: {error}", file=sys.stderr)
        return
    if isinstance(error, ParseError) and error.path is not None:
        # The error names the file (and line/offset) itself.
        message = shown_text(" ".join(str(error).split()))
        print(f"echem: {message}", file=sys.stderr)
        return
    message = shown_text(" ".join(str(error).split())) or type(error).__name__
    print(f"echem: {shown_path(path)}: {message}", file=sys.stderr)


def report_skipped(path: str | os.PathLike[str], reason: str) -> None:
    """Print one line naming a file found in a folder that is left out, and why."""
    print(f"echem: skipped {shown_path(path)}: {reason}", file=sys.stderr)


class NoImpedanceSweep(DataError):
    """A file holds no impedance sweep (``fit`` and ``kk`` skip it when found in a folder)."""


def impedance_sweeps(path: str | os.PathLike[str], format: str | None = None) -> list[Any]:
    """The impedance sweeps of a file (:func:`echem.eis.spectra` of :func:`echem.read`).

    Raises
    ------
    NoImpedanceSweep
        The file holds none (no frequency column, or no row with a positive frequency).
    echem.ParseError, OSError
        The file cannot be read.
    """
    from echem.eis.sweeps import spectra
    from echem.io import read

    frame = read(path, format=format)
    if "freq_Hz" not in frame.columns:
        technique = frame.attrs.get("technique", "unknown")
        raise NoImpedanceSweep(f"no impedance sweep in the file (no freq_Hz column; {technique})")
    sweeps = spectra(frame)
    if not sweeps:
        raise NoImpedanceSweep("no impedance sweep in the file (no row with a positive frequency)")
    return sweeps


#: Errors that leave out a file found in a folder (one line, not a failure), with the reason
#: printed; the same error for a file named on the command line is a failure.
SKIPPED_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (UnsupportedFormatError, "no format echem reads (echem info FILE says why)"),
    (NoImpedanceSweep, "no impedance sweep"),
)


def report_input_error(item: Input, error: BaseException) -> bool:
    """Report why an input could not be used, in one line; True when it is a failure.

    A file found in a folder whose error is one of :data:`SKIPPED_ERRORS` is skipped (not a
    failure); any other error, or any error of a file named on the command line, is one.
    """
    if item.in_folder:
        for kind, reason in SKIPPED_ERRORS:
            if isinstance(error, kind):
                report_skipped(item.path, reason)
                return False
    report_failure(item.path, error)
    return True


def _format_name(name: str) -> str:
    """argparse ``type`` of ``--format``: a registered format name (else a usage error)."""
    from echem.io import registry

    names = sorted(row.name for row in registry())
    if name not in names:
        raise argparse.ArgumentTypeError(f"unknown format {name!r} (formats: {', '.join(names)})")
    return name


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--format NAME`` (force the input format; an unknown name is a usage error, exit 2).

    Shared by the commands that read instrument files.
    """
    parser.add_argument(
        "--format",
        type=_format_name,
        default=None,
        metavar="NAME",
        help="force the input format (default: detected; see echem.formats())",
    )


def add_inputs_argument(parser: argparse.ArgumentParser, what: str = "instrument files") -> None:
    """Add the ``PATH...`` positional (files and folders) and ``-r/--recursive``.

    Shared by the commands that take many files (info, convert, fit, kk); the paths go
    through :func:`collect_inputs`.
    """
    parser.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="PATH",
        help=f"{what}, or folders: every file in them is tried (see -r)",
    )
    parser.add_argument(
        "-r",
        "--recursive",
        action="store_true",
        help="also read the files in the subfolders of a folder",
    )


#: Files of these types in a folder are never instrument data: they are left out quietly.
#: A file of any other type is tried; one that no format reads is named in one line.
NOT_DATA_SUFFIXES: dict[str, str] = {
    ".md": "text document",
    ".rst": "text document",
    ".pdf": "document",
    ".doc": "document",
    ".docx": "document",
    ".png": "image (echem's plots)",
    ".svg": "image (echem's plots)",
    ".jpg": "image",
    ".jpeg": "image",
    ".json": "JSON (echem's sidecars and results)",
    ".py": "script",
    ".ipynb": "notebook",
    ".mps": "EC-Lab settings",
    ".mpl": "EC-Lab log",
    ".mgr": "EC-Lab graph settings",
}


@dataclass(frozen=True)
class Input:
    """A file to read, as the command line gave it or as found in a folder.

    Attributes
    ----------
    path
        The file.
    name
        What its outputs are named after: the path relative to the folder given on the
        command line (``cell1/peis.mpr``), or the file name for a file given itself.
    in_folder
        True when found in a folder: a file no format reads (or, for ``fit`` and ``kk``,
        that holds no impedance sweep) is then skipped with a line, not a failure.
    """

    path: Path
    name: PurePath
    in_folder: bool = False


def _natural_key(path: PurePath) -> list[Any]:
    """Sort key putting ``sweep2`` before ``sweep10`` (numbers compared as numbers)."""
    return [
        [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", piece)]
        for piece in path.parts
    ]


def _echem_outputs(folder: Path, names: Iterable[str]) -> set[str]:
    """Names of the files in ``folder`` that ``echem convert`` wrote (listed by its JSON
    sidecars), so that converting or fitting the folder again does not read them."""
    written: set[str] = set()
    for name in names:
        if not name.endswith(".json"):
            continue
        try:
            if (folder / name).stat().st_size > 4_000_000:
                continue
            document = json.loads((folder / name).read_text(encoding="utf-8"))
            outputs = document["outputs"]
            if "echem_version" not in document:
                continue
            written.add(str(outputs["data"]))
            written.update(str(table["file"]) for table in outputs.get("tables", {}).values())
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return written


def _folder_files(
    folder: Path, recursive: bool, exclude: set[Path]
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files to try in ``folder`` (sorted naturally) and those left out with a reason.

    Hidden files and folders, folders in ``exclude`` (an output folder), the suffixes of
    :data:`NOT_DATA_SUFFIXES` and echem's own outputs are left out quietly; entries that
    are not regular files (FIFOs, devices, broken links) are left out with a reason.
    Links to folders are followed (data often lives on another disk), each folder once: a
    link to a folder already read (a loop, or a second way to the same folder) is left out
    with a reason.
    """
    found: list[Path] = []
    odd: list[tuple[Path, str]] = []
    read = {folder.resolve()}
    for root, dirs, names in os.walk(folder, followlinks=True):
        here = Path(root)
        kept = []
        for name in sorted(dirs) if recursive else ():
            real = (here / name).resolve()
            if name.startswith(".") or real in exclude:
                continue
            if real in read:
                odd.append((here / name, "a link to a folder already read"))
                continue
            read.add(real)
            kept.append(name)
        dirs[:] = kept
        written = _echem_outputs(here, names)
        for name in names:
            if name.startswith(".") or shown_text(name) in written:  # as sidecars hold it
                continue
            if Path(name).suffix.lower() in NOT_DATA_SUFFIXES:
                continue
            path = here / name
            if path.is_file():
                found.append(path)
            else:
                odd.append((path, "not a regular file"))
    return found, odd


def _file_identity(path: Path) -> Any:
    """What makes two paths the same file: its device and inode (hard links and links too),
    else (a file that cannot be looked at) its resolved path."""
    try:
        status = path.stat()
    except (OSError, ValueError):
        return path.resolve()
    return (status.st_dev, status.st_ino)


def collect_inputs(
    paths: Sequence[str | os.PathLike[str]],
    *,
    recursive: bool = False,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> tuple[list[Input], list[tuple[Path, str]]]:
    """The files named on the command line, with the files found in the folders named.

    Parameters
    ----------
    paths
        Files and folders, in command-line order. A file named twice (overlapping globs, a
        file also found in a folder, a link or hard link to a file already named) comes
        once, first where it first appears.
    recursive
        Also take the files of the folders' subfolders (hidden ones excepted).
    exclude
        Folders whose files are never taken (the command's own output folder).

    Returns
    -------
    (inputs, skipped)
        The files to read (those of a folder in natural order: ``2`` before ``10``), and the
        entries of folders left out with the reason (not regular files, or a folder that
        has no file to read).
    """
    excluded = {Path(folder).resolve() for folder in exclude}
    unique: dict[Any, Input] = {}
    skipped: list[tuple[Path, str]] = []
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            unique.setdefault(_file_identity(path), Input(path, PurePath(path.name)))
            continue
        files, odd = _folder_files(path, recursive, excluded)
        skipped += odd
        if not files and not odd:
            hint = "" if recursive else " (use -r for its subfolders)"
            skipped.append((path, f"no file to read in this folder{hint}"))
        for file in sorted(files, key=lambda f: _natural_key(f.relative_to(path))):
            unique.setdefault(_file_identity(file), Input(file, file.relative_to(path), True))
    return list(unique.values()), skipped


def distinct_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The command-line files in order, each once (overlapping globs name a file twice)."""
    unique: dict[Path, Path] = {}
    for path in paths:
        unique.setdefault(Path(path).resolve(), Path(path))
    return list(unique.values())


def out_folder_problem(out: str | os.PathLike[str] | None) -> str | None:
    """Why ``out`` cannot be an output folder (it, or a folder it would be made in, is a file),
    None when it can or is not given.

    Checked before any input is read, so that ``--out results.csv`` is one usage error
    (exit 2) instead of a failure per input after the whole batch was read.
    """
    if out is None:
        return None
    path = Path(out)
    for place in (path, *path.parents):
        if place.is_dir():
            return None
        if place.exists() or place.is_symlink():
            what = "" if place == path else f" (to hold {path})"
            return f"{place} is a file, not a folder{what}"
    return None


def number_type(
    accept: Callable[[float], bool], must_be: str, kind: type[float] | type[int] = float
) -> Callable[[str], float]:
    """An argparse ``type``: the text as ``kind`` when ``accept`` takes it, else a usage
    error (exit 2) saying what it ``must_be``.

    Parameters
    ----------
    accept
        Whether a value is allowed (give NaN and infinities a thought: ``nan > 0`` is False
        but ``not nan < 0`` is True).
    must_be
        The rule, as in "must be {must_be}, got ...".
    kind
        ``float`` or ``int`` (``int("2.5")`` is "not a number").
    """

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {must_be}, got {text}")
        return value

    return parse


class _NoBar:
    """What :func:`progress` gives when no bar is shown."""

    def update(self, n: int = 1) -> None:
        pass


@contextmanager
def progress(total: int, description: str, unit: str) -> Iterator[Any]:
    """A progress bar on stderr for one stage of a command (``.update(n)`` after n items).

    Shown only when stderr is a terminal (quiet in pipes and logs) and tqdm is installed.
    """
    if not sys.stderr.isatty():
        yield _NoBar()
        return
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        yield _NoBar()
        return
    bar = tqdm(total=total, desc=description, unit=unit, leave=False, file=sys.stderr)
    try:
        yield bar
    finally:
        bar.close()
