"""The exception hierarchy of echem.

Every exception echem raises on bad input subclasses :class:`ValueError`, so that
``except ValueError`` in user code keeps working, and :class:`EchemError`, so that
``except echem.EchemError`` catches everything echem itself reports.
"""

from __future__ import annotations

import re
import unicodedata
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


#: Characters of a circuit quoted each side of the position of its error.
_QUOTE_SIDE = 30
#: A quoted name (``'...'``, no spaces) in an error message longer than this is shortened.
_QUOTE_MAX = 40
_LONG_QUOTE = re.compile(f"'([^'\\s]{{{_QUOTE_MAX + 1},}})'")


def _columns(char: str) -> int:
    """Terminal columns a character takes: 2 for wide (CJK, full-width), 0 for a combining
    mark, else 1."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def circuit_excerpt(circuit: str, position: int, side: int = _QUOTE_SIDE) -> tuple[str, str]:
    """The text around ``position`` and the caret line pointing at it.

    At most ``side`` characters are quoted each side (``…`` marks a cut); characters that do
    not print (tab, newline, no-break and zero-width spaces) are shown as spaces, and wide
    characters count two columns, so that the caret stands under the character at
    ``position`` (after the text's end when ``position == len(circuit)``).

    Returns
    -------
    (text, caret)
        Two lines to print one under the other.
    """
    start = max(0, position - side)
    end = min(len(circuit), position + side + 1)
    shown = "".join(c if c.isprintable() else " " for c in circuit[start:end])
    head = "…" if start > 0 else ""
    tail = "…" if end < len(circuit) else ""
    indent = sum(_columns(c) for c in head + shown[: position - start])
    return f"{head}{shown}{tail}", " " * indent + "^"


def _short_repr(text: str) -> str:
    """``repr(text)``, cut after :data:`_QUOTE_MAX` // 2 characters when it is longer than
    :data:`_QUOTE_MAX` (with the length told)."""
    if len(text) <= _QUOTE_MAX:
        return repr(text)
    head = repr(text[: _QUOTE_MAX // 2])
    return f"{head[:-1]}…{head[-1]} ({len(text)} characters)"


def _shorten_quotes(message: str) -> str:
    """``message`` with every quoted name (no spaces) longer than :data:`_QUOTE_MAX`
    characters cut (a misspelt element name of a million letters is not echoed whole)."""
    return _LONG_QUOTE.sub(lambda match: _short_repr(match.group(1)), message)


class CircuitError(EchemError):
    """A circuit string is malformed; ``position`` is the 0-based index of the problem.

    The message quotes the circuit around the position on a line of its own with a caret
    under the character at fault (:func:`circuit_excerpt`: at most 30 characters each side,
    so that a megabyte of text is never echoed whole); ``reason`` is the message without
    the quote.
    """

    def __init__(self, message: str, circuit: str | None = None, position: int | None = None):
        self.circuit = circuit
        self.position = position
        self.reason = _shorten_quotes(message)
        text = self.reason
        if circuit is not None and position is not None:
            line, caret = circuit_excerpt(circuit, position)
            text = f"{self.reason} at position {position}:\n  {line}\n  {caret}"
        elif circuit is not None:
            text = f"{self.reason}: {_short_repr(circuit)}"
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
