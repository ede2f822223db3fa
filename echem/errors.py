"""The exception hierarchy of echem.

Every exception echem raises on bad input subclasses :class:`ValueError`, so that
``except ValueError`` in user code keeps working, and :class:`EchemError`, so that
``except echem.EchemError`` catches everything echem itself reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike

__all__ = [
    "EchemError",
    "ParseError",
    "UnsupportedFormatError",
    "CircuitError",
    "FitError",
    "DataError",
]


class EchemError(ValueError):
    """Base class of every error echem raises on bad input."""


class ParseError(EchemError):
    """A file could not be read.

    Parameters
    ----------
    message
        What is wrong, in words a user can act on.
    path
        The file being read.
    line
        1-based line number in a text file, when known.
    offset
        0-based byte offset in a binary file, when known.
    """

    def __init__(
        self,
        message: str,
        path: str | PathLike[str] | None = None,
        *,
        line: int | None = None,
        offset: int | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.offset = offset
        self.reason = message
        where = []
        if self.path is not None:
            where.append(self.path)
        if line is not None:
            where.append(f"line {line}")
        if offset is not None:
            where.append(f"byte {offset}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class UnsupportedFormatError(ParseError):
    """No known format could read the file; ``tried`` lists the formats attempted."""

    def __init__(
        self,
        message: str,
        path: str | PathLike[str] | None = None,
        *,
        tried: Iterable[str] = (),
    ) -> None:
        self.tried = list(tried)
        if self.tried:
            message = f"{message} (tried: {', '.join(self.tried)})"
        super().__init__(message, path)


class CircuitError(EchemError):
    """A circuit string is malformed; ``position`` is the 0-based index of the problem."""

    def __init__(self, message: str, circuit: str | None = None, position: int | None = None):
        self.circuit = circuit
        self.position = position
        text = message
        if circuit is not None and position is not None:
            text = f"{message} at position {position}\n  {circuit}\n  {' ' * position}^"
        elif circuit is not None:
            text = f"{message}: {circuit!r}"
        super().__init__(text)


class DataError(EchemError):
    """Numeric input that cannot be used (NaN, too few points, bad frequencies...)."""


class FitError(EchemError):
    """A fit could not be carried out."""


class EchemWarning(UserWarning):
    """Base class of echem's warnings: the input was used, but something in it was off."""


class TruncatedDataWarning(EchemWarning):
    """The last record of a file was cut short (a file still being written, a copy
    interrupted) and was left out; the message names the file and line."""
