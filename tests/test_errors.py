"""echem.errors: the circuit error quotes a short window of the circuit with a caret under the
character at fault."""

from __future__ import annotations

import time

import pytest

from echem.errors import CircuitError, circuit_excerpt


def _pointed(error: CircuitError) -> str:
    """The character of the quoted line that the caret line points at."""
    *_, quote, caret = str(error).splitlines()
    assert quote.startswith("  ") and caret.startswith("  ") and caret.strip() == "^"
    return quote[caret.index("^")]


@pytest.mark.parametrize(
    ("circuit", "position", "pointed"),
    [
        ("R0-p(R1,CPX1)", 8, "C"),
        ("R0-\tp(R1,\nCPX1)", 10, "C"),  # tab and newline shown as one space each
        ("R0-p(R1,C1)-Ω", 12, "Ω"),
        ("R1\u00a0-C1", 2, " "),  # the no-break space itself, shown as a space
    ],
)
def test_the_caret_stands_under_the_character(circuit, position, pointed):
    """It stood on the message's line, pointing at nothing, once the message was printed on
    one line (issue 15); the quote now has lines of its own."""
    error = CircuitError("bad", circuit, position)
    assert str(error).splitlines()[0] == f"bad at position {position}:"
    assert _pointed(error) == pointed
    assert error.reason == "bad" and error.circuit == circuit and error.position == position


def test_wide_characters_count_two_columns():
    text, caret = circuit_excerpt("Ｒ1-C1x", 5)
    assert text == "Ｒ1-C1x"
    assert caret == " " * 6 + "^"  # Ｒ takes two columns on a terminal


def test_a_caret_after_the_end_points_past_the_last_character():
    error = CircuitError("dangling '-'", "R1-", 3)
    *_, quote, caret = str(error).splitlines()
    assert quote == "  R1-" and caret == "     ^"


def test_a_million_characters_are_quoted_in_a_short_window():
    """A 1e6-character circuit was refused quickly, but its error echoed all 2 MB of it
    (issue 11): both the quote and quoted names in the message are cut."""
    long_name = "R" * 1_000_000
    circuit = f"R0-p(R1,C1)-{long_name}-C2"
    start = time.perf_counter()
    error = CircuitError(f"unknown element type {long_name!r}; known types: R, C", circuit, 12)
    message = str(error)
    assert time.perf_counter() - start < 1.0
    assert len(message) < 300
    assert "'RRRRRRRRRRRRRRRRRRRR…' (1000000 characters); known types: R, C" in message
    quote = message.splitlines()[1]
    assert quote.startswith("  R0-p(R1,C1)-RRR") and quote.endswith("…")
    assert _pointed(error) == "R"
    middle = CircuitError("x", circuit, 500_000)
    assert middle.__str__().splitlines()[1].startswith("  …RRR")
    without_position = CircuitError("unparsable", circuit)
    assert len(str(without_position)) < 200 and f"{len(circuit)} characters" in str(
        without_position
    )
