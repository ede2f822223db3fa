"""The ``echem`` command.

The subcommands are the rows of :data:`COMMANDS`; each lives in its own module under
``echem.cli`` (``add_arguments``, ``run``, ``DESCRIPTION``), imported only when that
command runs, so that ``echem --help`` imports neither pandas nor matplotlib.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from echem import __version__
from echem.cli._command import Command, Terminated

__all__ = ["main", "build_parser", "Command", "COMMANDS"]

#: The subcommands, in help order.
COMMANDS: tuple[Command, ...] = (
    Command(
        "info",
        "describe instrument files: format, technique, rows, time span, EIS sweeps, metadata",
        "info",
    ),
    Command(
        "convert", "write tidy frames as CSV or Parquet with a JSON metadata sidecar", "convert"
    ),
    Command("fit", "fit an equivalent circuit to every impedance sweep of every file", "fit"),
    Command("kk", "Lin-KK validity test of every impedance sweep", "kk"),
    Command("demo", "run the Li/Li3PS4/Li operando workflow on the bundled dataset", "demo"),
    Command(
        "coulometry",
        "charge passed, short circuit, Li volume and thickness; compare with CT volumes",
        "coulometry",
    ),
)

#: Signals that end the command like Ctrl-C does (exit code 128 + signal number).
_ENDING_SIGNALS: tuple[str, ...] = ("SIGTERM", "SIGHUP")


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv``: the first argument that is not an option (the
    top-level options, ``--help`` and ``--version``, take no value)."""
    for argument in argv:
        if argument == "--":
            return None
        if not argument.startswith("-"):
            return argument
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every subcommand listed, with the arguments of ``command`` only.

    Parameters
    ----------
    command
        The subcommand to parse (its module is imported to add its arguments); None lists
        the subcommands without importing any of their modules.
    """
    parser = argparse.ArgumentParser(
        prog="echem",
        description="Turn raw electrochemistry files into fitted, physically labelled numbers.",
    )
    parser.add_argument("--version", action="version", version=f"echem {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for row in COMMANDS:
        if row.name != command:
            sub.add_parser(row.name, help=row.help, description=row.help)
            continue
        module = importlib.import_module(f"{__name__}.{row.module}")
        description = (module.DESCRIPTION or row.help).replace("``", "")  # rst -> plain
        command_parser = sub.add_parser(
            row.name,
            help=row.help,
            description=description,
            formatter_class=getattr(module, "FORMATTER", argparse.HelpFormatter),
        )
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
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


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def _ending_signals_raise() -> Iterator[None]:
    """While the command runs, SIGTERM and SIGHUP raise :class:`Terminated` in the main
    thread, so that outputs being written are cleaned up and worker processes ended (by
    default the process would die on the spot, leaving its workers running)."""
    numbers = [getattr(signal, name) for name in _ENDING_SIGNALS if hasattr(signal, name)]
    try:
        previous = {number: signal.signal(number, _raise_terminated) for number in numbers}
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _show_warning_in_one_line(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """``warnings.showwarning`` while a command runs: an echem warning (a file cut short, a
    value left out...) is one ``echem: warning: ...`` line on stderr, naming the file as its
    message does, like the lines of failures; other warnings are shown as Python shows them."""
    from echem.errors import EchemWarning

    if not issubclass(category, EchemWarning):
        stream = file if file is not None else sys.stderr
        stream.write(warnings.formatwarning(message, category, filename, lineno, line))  # type: ignore[attr-defined]
        return
    text = " ".join(str(message).split()) or category.__name__
    print(f"echem: warning: {text}", file=sys.stderr)


@contextmanager
def _warnings_in_one_line() -> Iterator[None]:
    """Show echem's warnings as one line each while the command runs (worker processes
    forked meanwhile inherit it)."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning_in_one_line
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``echem`` console script; returns the exit code.

    0 when everything succeeded, 1 when any input failed, 2 for a usage error, 130 when
    interrupted (Ctrl-C) and 128 + the signal number when ended by SIGTERM or SIGHUP
    (outputs being written are left as they were, worker processes end with the command),
    141 when stdout was closed by its reader.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_chosen_command(argv))
    args = parser.parse_args(argv)
    if not hasattr(args, "_run"):
        parser.print_help(sys.stderr)
        return 2
    try:
        with _ending_signals_raise(), _warnings_in_one_line():
            return int(args._run(args) or 0)
    except Terminated as ended:
        print("echem: terminated", file=sys.stderr)
        return 128 + ended.signum
    except KeyboardInterrupt:
        print("echem: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _closed_stdout()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
