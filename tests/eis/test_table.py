"""ResultTable and the rows of fit tables (echem.eis.table): a DataFrame that still reads the
renamed capacitance columns (R_int_F -> R_int_C_F) with one warning per look-up, attributed to
the line that made it, and otherwise behaves as a DataFrame (no fitting here: tables by hand)."""

from __future__ import annotations

import copy
import io
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from echem.eis import FitResult
from echem.eis.circuit import Circuit
from echem.eis.table import RenamedColumnWarning, ResultTable, result_row

HERE = __file__


def table() -> ResultTable:
    return ResultTable(
        {
            "time_s": [0.0, 1.0, 2.0, 3.0],
            "sweep": [0, 1, 2, 3],
            "R_int_ohm": [1.0, 2.0, 3.0, 4.0],
            "R_int_C_F": [1e-8, 2e-8, 3e-8, 4e-8],
            "cell": ["a", "a", "b", "b"],
        }
    )


def renamed_warnings(read) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read()
    return [w for w in caught if issubclass(w.category, RenamedColumnWarning)]


@pytest.mark.parametrize(
    "read",
    [
        lambda t: t["R_int_F"],
        lambda t: t[["time_s", "R_int_F"]],
        lambda t: t.get("R_int_F"),
        lambda t: t.R_int_F,
        lambda t: t.loc[:, "R_int_F"],
    ],
    ids=["getitem", "list", "get", "attribute", "loc"],
)
def test_an_old_name_warns_once_at_the_line_that_reads_it(read):
    """The warning pointed at the caller's caller (stacklevel 4 from __getitem__ and
    __getattr__: a line of pytest here) or into pandas (.loc); now at the reading line."""
    t = table()
    caught = renamed_warnings(lambda: read(t))
    assert len(caught) == 1
    assert (caught[0].filename, caught[0].lineno) == (HERE, read.__code__.co_firstlineno)
    assert "'R_int_F' is now 'R_int_C_F'" in str(caught[0].message)
    with pytest.warns(RenamedColumnWarning):
        out = read(t)
    values = out.iloc[:, -1] if isinstance(out, pd.DataFrame) else out
    assert np.array_equal(values.to_numpy(), t["R_int_C_F"].to_numpy())


def test_new_names_and_other_look_ups_do_not_warn():
    t = table()
    assert renamed_warnings(lambda: t["R_int_C_F"]) == []
    assert renamed_warnings(lambda: "R_int_F" in t) == []
    assert "R_int_F" not in t
    with pytest.raises(KeyError):
        t["R_nothing_F"]
    with pytest.raises(AttributeError):
        _ = t.R_nothing_F


@pytest.mark.parametrize(
    "operation",
    [
        lambda t: t.copy(),
        lambda t: copy.deepcopy(t),
        lambda t: pickle.loads(pickle.dumps(t)),
        lambda t: pd.concat([t, t], ignore_index=True),
        lambda t: t[1:3],
        lambda t: t[t["time_s"] > 0],
        lambda t: t.iloc[:2],
        lambda t: t.query("time_s > 0"),
        lambda t: t.assign(extra=1.0),
        lambda t: t.merge(t[["sweep", "cell"]], on="sweep"),
        lambda t: t.groupby("cell").sum(numeric_only=True),
        lambda t: t.set_index("time_s"),
    ],
    ids=[
        "copy",
        "deepcopy",
        "pickle",
        "concat",
        "slice",
        "mask",
        "iloc",
        "query",
        "assign",
        "merge",
        "groupby",
        "set_index",
    ],  # fmt: skip
)
def test_derived_tables_stay_result_tables_that_read_old_names(operation):
    derived = operation(table())
    assert isinstance(derived, ResultTable)
    assert len(renamed_warnings(lambda: derived["R_int_F"])) == 1
    with pytest.warns(RenamedColumnWarning):
        old = derived["R_int_F"]
    pd.testing.assert_series_equal(old, derived["R_int_C_F"])


def test_pickle_round_trip_is_equal():
    t = table()
    back = pickle.loads(pickle.dumps(t))
    pd.testing.assert_frame_equal(back, t)


def test_csv_carries_the_new_names_only():
    text = io.StringIO()
    table().to_csv(text, index=False)
    header = text.getvalue().splitlines()[0].split(",")
    assert header == ["time_s", "sweep", "R_int_ohm", "R_int_C_F", "cell"]


def test_a_row_of_a_series_is_a_series():
    row = table().iloc[0]
    assert isinstance(row, pd.Series) and row["R_int_C_F"] == 1e-8


def hand_result() -> FitResult:
    """A FitResult written by hand (no fitting): two arcs inside 3 MHz-0.1 Hz, all determined."""
    circuit = Circuit("R0-p(R1,CPE1)-p(R2,CPE2)")
    values = dict(
        zip(circuit.param_names, [20.0, 500.0, 1e-8, 0.9, 2000.0, 1e-5, 0.8], strict=True)
    )
    freq = np.logspace(np.log10(3e6), -1, 40)
    names = list(values)
    return FitResult(
        circuit=circuit,
        freq_Hz=freq,
        z=circuit.impedance(freq, values),
        values=values,
        stderr={name: 0.01 * value for name, value in values.items()},
        correl=pd.DataFrame(np.eye(len(names)), index=names, columns=names),
        chisqr=1.0,
        redchi=1.0,
        aic=0.0,
        bic=0.0,
        nfev=1,
        success=True,
        message="",
        weighting="modulus",
        determined=dict.fromkeys(names, True),
        reasons=dict.fromkeys(names, ""),
    )


def test_in_a_series_an_arcs_role_column_is_its_label_and_names_its_role_columns():
    """Across a series the role columns follow the tracked label, but <element>_role kept the
    spectrum's own role: CPE1_role read "R_int" while R_int_ohm held CPE2's resistance."""
    result = hand_result()
    arcs = result.arcs
    assert list(arcs["role"]) == ["R_int", "R_ct"]  # the spectrum's own roles
    row = result_row(result, arcs=arcs, labels={"CPE1": "R_ct", "CPE2": "R_int"})
    assert row["CPE1_role"] == "R_ct" and row["R_ct_ohm"] == result.values["R1"]
    assert row["CPE2_role"] == "R_int" and row["R_int_ohm"] == result.values["R2"]
    unlabelled = result_row(result, arcs=arcs, labels={"CPE2": "R_ct"})
    assert unlabelled["CPE1_role"] is None and "R_int_ohm" not in unlabelled
    alone = result_row(result, arcs=arcs)  # no series: the spectrum's roles
    assert alone["CPE1_role"] == "R_int" and alone["R_int_ohm"] == result.values["R1"]


def test_an_arcs_table_without_its_flags_is_refused_and_a_nan_flag_gives_no_role_columns():
    """An arcs table lacking 'determined' raised a bare KeyError; one whose flag is NaN (a
    table concatenated with one that lacked it) filled R_int_* as determined (bool(nan))."""
    from echem.errors import DataError

    result = hand_result()
    arcs = result.arcs
    for column in ("determined", "in_window", "R_stderr_ohm"):
        with pytest.raises(DataError, match=f"arcs table lacks columns \\['{column}'\\]"):
            result_row(result, arcs=arcs.drop(columns=column))
    row = result_row(result, arcs=arcs.assign(determined=[np.nan, True]))
    assert "R_int_ohm" not in row and "R_int_determined" not in row
    assert row["R_ct_determined"] and row["R_ct_ohm"] == result.values["R2"]
