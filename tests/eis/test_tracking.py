"""track_arcs: arcs followed through a series by (log tau, log C), one label each (no fitting here:
arcs tables written by hand, so every case is exact)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from echem.eis.tracking import track_arcs


def table(*arcs: tuple[str, float, float, str | None, bool]) -> pd.DataFrame:
    """Arcs table rows (element, R_ohm, C_F, role, pinned down)."""
    rows = []
    for element, r, c, role, pinned in arcs:
        tau = r * c
        rows.append(
            {
                "element": element,
                "R_ohm": r,
                "f0_Hz": 1 / (2 * np.pi * tau),
                "role": role,
                "in_window": pinned,
                "determined": pinned,
            }
        )
    return pd.DataFrame(rows)


def test_crossing_arcs_keep_their_labels_though_their_blocks_and_roles_swap():
    """A (C 1e-6 F) grows, B (C 1e-5 F) shrinks; their time constants cross. The circuit's
    blocks are numbered by time constant (CPE1 = faster) and the capacitance-only roles of each
    spectrum alternate: the labels must follow A and B."""
    r_a, r_b = np.geomspace(100, 3000, 6), np.geomspace(300, 10, 6)
    tables = []
    for k in range(6):
        a = ("A", r_a[k], 1e-6, "R_ct" if k % 2 else "R_ct_2", True)
        b = ("B", r_b[k], 1e-5, "R_ct_2" if k % 2 else "R_ct", True)
        fast, slow = sorted([a, b], key=lambda arc: arc[1] * arc[2])
        tables.append(table(("CPE1", *fast[1:]), ("CPE2", *slow[1:])))
    labels = track_arcs(tables)
    label_of_a = set()
    for k, found in enumerate(labels):
        for element, label in found.items():
            row = tables[k].set_index("element").loc[element]
            is_a = np.isclose(row["R_ohm"], r_a[k])
            if is_a:
                label_of_a.add(label)
    assert len(label_of_a) == 1
    assert all(set(found.values()) == {"R_ct", "R_ct_2"} for found in labels)


def test_a_track_waits_through_a_spectrum_where_its_arc_is_not_determined():
    tables = [
        table(("CPE1", 100.0, 1e-8, "R_int", True), ("CPE2", 1000.0, 1e-5, "R_ct", True)),
        table(("CPE1", 110.0, 1e-8, "R_int", True), ("CPE2", 5.0, 3e-3, None, False)),
        table(("CPE1", 120.0, 1e-8, "R_int", True), ("CPE2", 900.0, 1e-5, "R_ct", True)),
    ]
    labels = track_arcs(tables)
    assert labels == [
        {"CPE1": "R_int", "CPE2": "R_ct"},
        {"CPE1": "R_int"},
        {"CPE1": "R_int", "CPE2": "R_ct"},
    ]


def test_same_role_numbered_by_time_constant_and_a_passing_sliver_comes_last():
    tables = [
        table(("CPE1", 10.0, 2e-6, "R_ct", True), ("CPE2", 1000.0, 2e-5, "R_ct_2", True)),
        table(("CPE1", 11.0, 2e-6, "R_ct_2", True), ("CPE2", 990.0, 2e-5, "R_ct", True)),
        table(
            ("CPE1", 0.01, 1e-6, "R_ct_3", True),  # a sliver, seen once, fastest of all
            ("CPE2", 12.0, 2e-6, "R_ct", True),
            ("CPE3", 980.0, 2e-5, "R_ct_2", True),
        ),
    ]
    labels = track_arcs(tables)
    assert labels[0] == {"CPE1": "R_ct", "CPE2": "R_ct_2"}
    assert labels[1] == {"CPE1": "R_ct", "CPE2": "R_ct_2"}
    assert labels[2] == {"CPE1": "R_ct_3", "CPE2": "R_ct", "CPE3": "R_ct_2"}


def test_a_jump_beyond_the_limit_starts_a_new_track_and_unfitted_spectra_are_skipped():
    tables = [
        table(("CPE1", 100.0, 1e-8, "R_int", True)),
        None,
        table(("CPE1", 100.0, 1e-4, "R_ct", True)),  # 4 decades away in C: another arc
    ]
    assert track_arcs(tables) == [{"CPE1": "R_int"}, {}, {"CPE1": "R_ct"}]


def test_an_arc_appearing_mid_series_gets_its_own_label_for_the_whole_series():
    """R_int stays; the 1e-5 F arc is seen in every spectrum; a 3e-7 F arc appears at the
    third spectrum and stays. Each label follows one arc, and the numbering of the two R_ct
    arcs (by time constant, once for the series) is the same in every spectrum."""
    tables = [
        table(("CPE1", 100.0, 1e-8, "R_int", True), ("CPE2", 1000.0, 1e-5, "R_ct", True)),
        table(("CPE1", 110.0, 1e-8, "R_int", True), ("CPE2", 900.0, 1e-5, "R_ct", True)),
        table(
            ("CPE1", 120.0, 1e-8, "R_int", True),
            ("CPE2", 50.0, 3e-7, "R_ct", True),
            ("CPE3", 800.0, 1e-5, "R_ct_2", True),
        ),
        table(("CPE1", 60.0, 3e-7, "R_ct", True), ("CPE2", 700.0, 1e-5, "R_ct_2", True)),
        table(("CPE1", 70.0, 3e-7, "R_ct", True), ("CPE2", 600.0, 1e-5, "R_ct_2", True)),
    ]
    labels = track_arcs(tables)
    by_capacitance: dict[float, set[str]] = {}
    for found, frame in zip(labels, tables, strict=True):
        for _, arc in frame.iterrows():
            c = round(float(1 / (2 * np.pi * arc["f0_Hz"]) / arc["R_ohm"]), 15)
            by_capacitance.setdefault(c, set()).add(found[arc["element"]])
    assert all(len(names) == 1 for names in by_capacitance.values()), by_capacitance
    assert by_capacitance[1e-8] == {"R_int"}
    assert {next(iter(v)) for v in by_capacitance.values()} == {"R_int", "R_ct", "R_ct_2"}


def test_three_arcs_of_one_role_crossing_keep_one_label_each():
    """A grows, B stays, C shrinks: their time constants cross twice and the blocks they sit in
    (numbered by time constant) change; the per-spectrum role numbers are scrambled."""
    r_a, r_c = np.geomspace(10, 1000, 7), np.geomspace(1000, 10, 7)
    truth = []
    tables = []
    for k in range(7):
        arcs = sorted(
            [("A", r_a[k], 1e-6), ("B", 100.0, 3e-6), ("C", r_c[k], 1e-5)],
            key=lambda arc: arc[1] * arc[2],
        )
        names = ["R_ct", "R_ct_2", "R_ct_3"]
        tables.append(
            table(
                *[
                    (f"CPE{j + 1}", r, c, names[(j + k) % 3], True)
                    for j, (_, r, c) in enumerate(arcs)
                ]
            )
        )
        truth.append({f"CPE{j + 1}": arc[0] for j, arc in enumerate(arcs)})
    labels = track_arcs(tables)
    label_of: dict[str, set[str]] = {}
    for found, who in zip(labels, truth, strict=True):
        for element, label in found.items():
            label_of.setdefault(who[element], set()).add(label)
    assert label_of == {"A": {"R_ct"}, "B": {"R_ct_2"}, "C": {"R_ct_3"}}


def test_a_series_of_one_spectrum_and_series_without_arcs():
    assert track_arcs([table(("CPE1", 100.0, 1e-8, "R_int", True))]) == [{"CPE1": "R_int"}]
    assert track_arcs([]) == []
    assert track_arcs([None, pd.DataFrame()]) == [{}, {}]
    assert track_arcs([table(("CPE1", 100.0, 1e-8, None, True))]) == [{}]  # no role, no label


def arcs_of(values: dict[str, tuple[float, float]], roles) -> pd.DataFrame:
    """The arcs table echem makes (arc_table.arcs, roles looked up there) of a hand-written
    FitResult-like spectrum: element -> (R_ohm, C_F) of ideal R||C arcs, all determined."""
    from types import SimpleNamespace

    from echem.eis.arc_table import arcs
    from echem.eis.circuit import Circuit

    text = "R0-" + "-".join(f"p(R{k},C{k})" for k in range(1, len(values) + 1))
    numbers = {"R0": 10.0}
    for k, (r, c) in enumerate(values.values(), start=1):
        numbers |= {f"R{k}": r, f"C{k}": c}
    result = SimpleNamespace(
        circuit=Circuit(text),
        values=numbers,
        stderr={name: 0.01 * value for name, value in numbers.items()},
        freq_Hz=np.logspace(7, -3, 50),
    )
    return arcs(result, roles=roles)


def test_a_role_whose_name_ends_in_a_number_keeps_its_name():
    """A user's roles named arc_1 and arc_2: the track of arc_1 was labelled 'arc' (read as
    the first of a numbered role), and a third arc of arc_2's range is still numbered."""
    roles = {"arc_1": (1e-9, 1e-7), "arc_2": (1e-7, 1e-4)}
    tables = [arcs_of({"A": (100.0, 1e-8), "B": (1000.0, 1e-5)}, roles) for _ in range(3)]
    assert track_arcs(tables) == [{"C1": "arc_1", "C2": "arc_2"}] * 3
    three = {"A": (100.0, 1e-8), "B": (1000.0, 1e-5), "D": (100.0, 1e-6)}
    tables = [arcs_of(three, roles) for _ in range(2)]
    assert set(tables[0]["role"]) == {"arc_1", "arc_2", "arc_2_2"}
    # D (C3, tau 1e-4 s) and B (C2, 1e-2 s) share arc_2: numbered by time constant
    assert track_arcs(tables) == [{"C1": "arc_1", "C3": "arc_2", "C2": "arc_2_2"}] * 2


def test_a_table_without_the_pinned_down_flags_is_refused_and_a_missing_flag_is_not_true():
    """A table lacking in_window/determined had every arc counted as pinned down (labelled);
    one lacking f0_Hz raised a bare KeyError. A NaN flag (a table concatenated with one that
    lacked the column) counted as True (bool(nan))."""
    from echem.errors import DataError

    full = table(("CPE1", 100.0, 1e-8, "R_int", True))
    for column in ("in_window", "determined", "f0_Hz", "role"):
        with pytest.raises(DataError, match=f"arcs table lacks columns \\['{column}'\\]"):
            track_arcs([full.drop(columns=column)])
    assert track_arcs([full.assign(determined=np.nan)]) == [{}]
    assert track_arcs([full.assign(determined=np.True_)]) == [{"CPE1": "R_int"}]


def test_an_arc_joins_the_track_it_is_next_to_when_another_arc_starts_a_new_one():
    """Tracks A (tau 1e-4 s) and B (1e-3 s), both 1e-6 F. Next spectrum: B moved 0.1 decade
    (tau 7.9e-4 s) and a new arc appears at tau 2.5e-2 s (1.4 decades beyond B, 2.4 beyond
    A); A is not determined there. The least summed distance over pairs only (0.9 + 1.4 <
    0.1 + 2.4) gave B's arc to A and the new arc to B: B's arc took A's label. Starting a
    track costs the longest step (1.5): B's arc stays B's, the new arc is new."""
    first = table(("CPE1", 100.0, 1e-6, "R_ct", True), ("CPE2", 1000.0, 1e-6, "R_ct", True))
    second = table(
        ("CPE1", 100.0, 1e-6, "R_ct", False),
        ("CPE2", 790.0, 1e-6, "R_ct", True),
        ("CPE3", 25000.0, 1e-6, "R_ct", True),
    )
    labels = track_arcs([first, second])
    assert labels[1]["CPE2"] == labels[0]["CPE2"]
    assert labels[1]["CPE3"] not in labels[0].values()
