"""The ``echem`` command.

Each subcommand lives in its own module under ``echem.cli`` and exports ``COMMAND``,
a :class:`Command` row; :func:`main` builds the argument parser from that table.
"""

from __future__ import annotations

import argparse
import importlib
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``echem`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "_run"):
        parser.print_help(sys.stderr)
        return 2
    return int(args._run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
