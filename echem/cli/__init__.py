"""The ``echem`` command.

Each subcommand lives in its own module under ``echem.cli`` and exports ``COMMAND``,
a :class:`Command` row; :func:`main` builds the argument parser from that table.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from echem import __version__
from echem.cli._command import Command

__all__ = ["main", "Command"]

#: Modules under ``echem.cli`` that contribute a ``COMMAND``, in help order.
_COMMAND_MODULES: tuple[str, ...] = (
    "info",
    "convert",
    "fit",
    "kk",
    "demo",
    "coulometry",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="echem",
        description="Turn raw electrochemistry files into fitted, physically labelled numbers.",
    )
    parser.add_argument("--version", action="version", version=f"echem {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMAND_MODULES:
        command: Command = importlib.import_module(f"{__name__}.{module_name}").COMMAND
        description = (command.description or command.help).replace("``", "")  # rst -> plain
        command_parser = sub.add_parser(command.name, help=command.help, description=description)
        command.add_arguments(command_parser)
        command_parser.set_defaults(_run=command.run)
    return parser


def _closed_stdout() -> int:
    """Exit code after the reader of stdout went away (``echem info *.mpr | head``).

    Later writes to stdout (and the interpreter's final flush) go to the null device, so
    that no traceback follows; 141 is what a shell reports for a command ended by SIGPIPE.
    """
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
        pass
    return 141


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``echem`` console script; returns the exit code.

    0 when everything succeeded, 1 when any input failed, 2 for a usage error, 130 when
    interrupted (Ctrl-C; outputs being written are left as they were), 141 when stdout was
    closed by its reader.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "_run"):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("echem: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _closed_stdout()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
