"""Tokenizer of circuit strings (see :mod:`echem.eis.circuit` for the grammar)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import CircuitError
from .elements import ELEMENTS, Element

__all__ = ["Token", "tokenize"]

_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_WHITESPACE = frozenset(" \t\r\n")
_PUNCTUATION = {"(": "lparen", ")": "rparen", ",": "comma", "-": "dash"}


@dataclass(frozen=True)
class Token:
    """One token: ``type`` is element, parallel, lparen, rparen, comma, dash or end.

    ``position`` is the 0-based index of its first character; ``element_type`` is the element
    type (``"CPE"`` for ``"CPE1"``) of element tokens, else ``""``.
    """

    type: str
    text: str
    position: int
    element_type: str = ""


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WHITESPACE:
        i += 1
    return i


def _unknown_type(
    text: str, letters: str, start: int, table: Mapping[str, Element]
) -> CircuitError:
    known = ", ".join(table)
    hint = " (parallel blocks are written with a lowercase 'p(')" if letters == "P" else ""
    for kind in table:
        if kind.lower() == letters.lower():
            hint = f" (did you mean {kind!r}?)"
    return CircuitError(
        f"unknown element type {letters!r}{hint}; known types: {known}", text, start
    )


def tokenize(text: str, table: Mapping[str, Element] = ELEMENTS) -> list[Token]:
    """Split a circuit string into tokens, ending with an ``end`` token.

    ``table`` is the element table whose types are known (default :data:`ELEMENTS`).

    Raises
    ------
    echem.CircuitError
        On a character that cannot start a token, an unknown element type or an element name
        without its number, with the 0-based position of the problem.
    """
    tokens: list[Token] = []
    i = _skip_space(text, 0)
    n = len(text)
    while i < n:
        char = text[i]
        if char in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[char], char, i))
            i += 1
        elif char in _LETTERS:
            start = i
            while i < n and text[i] in _LETTERS:
                i += 1
            letters = text[start:i]
            number_start = i
            if i < n and text[i] == "_":  # impedance.py's documented "CPE_1" style
                i += 1
            digits_start = i
            while i < n and text[i] in _DIGITS:
                i += 1
            digits = text[digits_start:i]
            if letters == "p" and i == number_start:
                after = _skip_space(text, i)
                if after < n and text[after] == "(":
                    tokens.append(Token("parallel", "p", start))
                    i = after
                    continue
                raise CircuitError("expected '(' after 'p' (parallel block)", text, after)
            if letters not in table:
                raise _unknown_type(text, letters, start, table)
            if not digits:
                raise CircuitError(
                    f"element {letters!r} needs a number (e.g. {letters}1 or {letters}_1)",
                    text,
                    digits_start,
                )
            tokens.append(Token("element", text[start:i], start, letters))
        elif char in _WHITESPACE:
            pass
        else:
            raise CircuitError(f"unexpected character {char!r}", text, i)
        i = _skip_space(text, i)
    tokens.append(Token("end", "", n))
    return tokens
