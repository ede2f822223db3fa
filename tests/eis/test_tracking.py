"""track_arcs: arcs followed through a series by (log tau, log C), one label each (no fitting here:
arcs tables written by hand, so every case is exact)."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
