"""The row type of the CLI command table and helpers every command shares."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from echem._atomic import atomic_path

__all__ = [
    "Command",
    "report_failure",
    "atomic_path",
    "add_format_option",
    "distinct_files",
    "number_type",
]


@dataclass(frozen=True)
class Command:
    """One ``echem`` subcommand.

    ``run(args)`` returns the exit code: 0 when every input succeeded, 1 when any failed.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str | None = None


def report_failure(path: str | os.PathLike[str], error: BaseException) -> None:
    """Print one line naming a file that failed and why (no traceback)."""
    from echem.errors import ParseError

    if isinstance(error, ParseError) and error.path is not None:
        # The error names the file (and line/offset) itself.
        message = " ".join(str(error).split())
        print(f"echem: {message}", file=sys.stderr)
        return
    message = " ".join(str(error).split()) or type(error).__name__
    print(f"echem: {path}: {message}", file=sys.stderr)


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


def distinct_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The command-line files in order, each once (overlapping globs name a file twice)."""
    unique: dict[Path, Path] = {}
    for path in paths:
        unique.setdefault(Path(path).resolve(), Path(path))
    return list(unique.values())


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
