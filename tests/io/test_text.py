"""echem.io._text: how a last line without a line break is judged (cut_reason,
value_shape). A number cut short must never be taken for a whole one; a whole one is
kept only where the rows before show how the column is written."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from echem.io._text import cut_reason, value_shape

#: printf formats of writers that write every value of a column alike.
FIXED = ["%.4E", "%.6e", "%.3f", "%.15E", "%.1f", "%.2E"]

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


def _rows(texts: list[str], separator: str, ending: str = "") -> list[tuple[list[str], str]]:
    """Rows of two fields (an index, then the value), as cut_reason takes them."""
    rows = []
    for index, text in enumerate(texts):
        line = f"{index}{separator}{text}{ending}"
        rows.append(
            (line.rstrip(separator).split(separator) if ending else [str(index), text], line)
        )
    return rows


@settings(max_examples=80, deadline=None)
@given(
    fmt=st.sampled_from(FIXED),
    numbers=st.lists(values, min_size=2, max_size=30),
    decimal_comma=st.booleans(),
    data=st.data(),
)
def test_a_fixed_format_value_is_whole_and_every_cut_of_it_is_seen(
    fmt, numbers, decimal_comma, data
):
    texts = [fmt % v for v in numbers]
    if decimal_comma:
        texts = [t.replace(".", ",") for t in texts]
    separator = ";" if decimal_comma else ","
    rows = _rows(texts, separator)
    before, last = rows[:-1], rows[-1]
    assert cut_reason(last, before, 2, decimal_comma=decimal_comma) is None
    cut = data.draw(st.integers(min_value=0, max_value=len(texts[-1]) - 1))
    short = texts[-1][:cut]
    line = last[1][: len(last[1]) - len(texts[-1]) + cut]
    fields = line.split(separator)
    reason = cut_reason((fields, line), before, 2, decimal_comma=decimal_comma)
    assert reason is not None, (texts[-1], short)


@settings(max_examples=40, deadline=None)
@given(numbers=st.lists(values, min_size=3, max_size=30), data=st.data())
def test_free_format_values_are_never_shown_whole(numbers, data):
    """repr-like numbers (varying digits): neither the whole value nor a cut of it can
    be told apart, so neither is trusted."""
    texts = [repr(v) for v in numbers]
    rows = _rows(texts, ",")
    shapes = {value_shape(t) for t in texts[:-1]}
    if len(shapes) == 1:
        return  # by chance written alike: the fixed-format test's case
    cut = data.draw(st.integers(min_value=1, max_value=len(texts[-1])))
    line = rows[-1][1][: len(rows[-1][1]) - len(texts[-1]) + cut]
    reason = cut_reason((line.split(","), line), rows[:-1], 2)
    assert reason is not None and "cannot be shown whole" in reason


def test_rows_ending_with_their_separator():
    """Parstat ends every row with a tab: a last row ending with it is whole; without
    it, or with fewer tabs (a value lost after a tab), it is cut."""
    texts = ["0.180029697072623", "0.18455017297942", "0.189851548048946"]
    rows = _rows(texts, "\t", ending="\t")
    whole = rows[-1]
    assert cut_reason(whole, rows[:-1], 2) is None
    line = whole[1][:-1]
    assert "ends with '\\t'" in cut_reason((line.split("\t"), line), rows[:-1], 2)
    line = "2\t"  # the value lost, the tab before it kept
    assert cut_reason((["2", ""], line), rows[:-1], 2) is not None


@pytest.mark.parametrize(
    ("last", "before", "expected"),
    [
        (["1", "2"], [(["1", "2", "3"], "1,2,3")], "it has 2 of the 3 fields"),
        (["1", "2", "3", "4"], [(["1", "2", "3"], "1,2,3")], None),  # wider: the table's error
        (["1", "2", "3"], [], "no whole row before it"),
        (["7", "8", "9"], [(["1", "2", "3"], "1,2,3"), (["4", "5", "6"], "4,5,6")], None),
        (["7", "8", "1"], [(["1", "2", "31"], "1,2,31"), (["4", "5", "62"], "4,5,62")], "unlike"),
        (["7", "8", "..."], [(["1", "2", "..."], "1,2,..."), (["4", "5", "..."], "4,5,...")], None),
        (
            ["7", "8", ".."],
            [(["1", "2", "..."], "1,2,..."), (["4", "5", "..."], "4,5,...")],
            "unlike",
        ),
    ],
)
def test_cut_reason_cases(last, before, expected):
    reason = cut_reason((last, ",".join(last)), before, 3)
    if expected is None:
        assert reason is None
    else:
        assert expected in reason


@pytest.mark.parametrize(
    ("token", "decimal_comma", "shape"),
    [
        ("1.0157E-02", False, ("number", 4, 2)),
        ("1.0157E-0", False, ("number", 4, 1)),
        ("1.0157E-", False, ("number", 4, 0)),
        ("1.0157", False, ("number", 4, -1)),
        ("-70.", False, ("number", 0, -1)),
        ("-70", False, ("integer", 2, -1)),
        ("-7,41E-05", True, ("number", 2, 2)),
        ("-7,41E-05", False, ("text", 9, -1)),
        ("-7.41E-05", True, ("text", 9, -1)),
        ("-", False, ("text", 1, -1)),
        ("nan", False, ("text", 3, -1)),
        ("", False, ("text", 0, -1)),
        ("1.5d3", False, ("number", 1, 1)),
    ],
)
def test_value_shape(token, decimal_comma, shape):
    assert value_shape(token, decimal_comma) == shape
