"""Follow arcs through a series of spectra and give each one label for the whole series.

In an operando series the arcs change: they grow, shrink, and may cross in time constant. A
circuit numbers its like blocks by time constant (block 1 = highest apex frequency), so the
block that models a given arc changes when two arcs cross, and a role looked up per spectrum
from the capacitance alone flips when two arcs sit near the same range. :func:`track_arcs`
follows each arc by continuity instead:

1. every arc the spectrum pins down (``in_window`` and ``determined`` in its arcs table) is a
   point (log10 τ, log10 C) with τ = 1/(2π f0) and C = τ/R (the Hsu-Mansfeld capacitance,
   defined for any n);
2. the arcs of each spectrum are assigned to the tracks built so far by the assignment that
   minimises the summed distance to each track's last point (Hungarian method,
   :func:`scipy.optimize.linear_sum_assignment`; Kuhn, Naval Res. Logist. Q. 2 (1955) 83),
   where starting a new track costs :data:`MAX_STEP_DECADES` and a pair farther apart than
   that cannot be made (gating, as in multi-target tracking). The least summed distance over
   pairs alone gave an arc 0.1 decade from its track to another track 0.9 away, so that an
   arc appearing 1.4 decades beyond could take its track (0.9 + 1.4 < 0.1 + 2.4): the labels
   moved to other arcs. A track that misses a spectrum (the arc was not determined there)
   waits with its last point;
3. each track is named after the role most of its arcs have from their capacitance
   (:mod:`echem.eis.roles`; a role numbered in its spectrum, ``R_ct_2``, counts as ``R_ct``,
   a role of the table, named in the arcs table's ``attrs["roles"]``, as itself: a user's
   ``arc_1`` was counted, and labelled, as ``arc``); tracks sharing a role are numbered by their median time constant
   (shortest first: ``R_ct``, ``R_ct_2``), once for the whole series, so the numbering never
   swaps between neighbouring spectra. Tracks seen in fewer than half as many spectra as the
   longest of their role (an arc fitted to noise in one spectrum) are numbered after the
   persistent ones, so a passing sliver does not take a persistent arc's name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ..errors import DataError

__all__ = ["ARC_COLUMNS", "MAX_STEP_DECADES", "pinned_down", "track_arcs"]

#: The columns of an arcs table (:func:`echem.eis.arc_table.arcs`) tracking reads.
ARC_COLUMNS: tuple[str, ...] = ("element", "R_ohm", "f0_Hz", "in_window", "determined", "role")

#: Largest distance (decades, in the (log τ, log C) plane) an arc moves between two spectra
#: and still counts as the same arc.
MAX_STEP_DECADES: float = 1.5


@dataclass
class _Track:
    last: np.ndarray
    members: dict[int, str] = field(default_factory=dict)  # spectrum -> element
    roles: list[str] = field(default_factory=list)
    log_tau: list[float] = field(default_factory=list)


def _points(arcs: pd.DataFrame | None) -> list[tuple[str, np.ndarray, str | None]]:
    """(element, (log10 τ, log10 C), role base name) of the pinned-down arcs of one spectrum."""
    if arcs is None or arcs.empty:
        return []
    missing = [column for column in ARC_COLUMNS if column not in arcs.columns]
    if missing:  # without in_window and determined every arc would count as pinned down
        raise DataError(f"arcs table lacks columns {missing}")
    known = frozenset(arcs.attrs.get("roles", ()))
    out = []
    for _, arc in arcs.iterrows():
        if not pinned_down(arc):
            continue
        f0, r = float(arc["f0_Hz"]), float(arc["R_ohm"])
        if not (np.isfinite(f0) and f0 > 0 and np.isfinite(r) and r > 0):
            continue
        tau = 1.0 / (2 * np.pi * f0)
        role = arc.get("role")
        base = None if role is None or pd.isna(role) else _base(str(role), known)
        out.append((str(arc["element"]), np.log10([tau, tau / r]), base))
    return out


def pinned_down(arc: pd.Series) -> bool:
    """The arc (a row of an arcs table) is ``in_window`` and ``determined``: both flags True
    (a NaN, left by a table that lacked the column, is not, though bool(nan) is)."""
    return all(
        isinstance(arc[flag], bool | np.bool_) and bool(arc[flag])
        for flag in ("in_window", "determined")
    )


def _base(role: str, known: frozenset[str] = frozenset()) -> str:
    """``R_ct_2`` -> ``R_ct`` (the numbering suffix of a repeated role); a role of the table
    (``known``) is its own base, whatever its name ends with."""
    if role in known:
        return role
    head, _, tail = role.rpartition("_")
    return head if head and tail.isdigit() else role


def track_arcs(tables: Sequence[pd.DataFrame | None]) -> list[dict[str, str]]:
    """Labels of the arcs of every spectrum of a series (module docstring).

    Parameters
    ----------
    tables
        The arcs table (:func:`echem.eis.arc_table.arcs`) of each spectrum, in time order;
        None for a spectrum that could not be fitted.

    Returns
    -------
    list of dict
        Per spectrum: capacitive element name (``"CPE2"``) -> label (``"R_ct"``), for the
        arcs that spectrum pins down and whose track has a role.

    Raises
    ------
    DataError
        A table lacks one of :data:`ARC_COLUMNS`.
    """
    tracks: list[_Track] = []
    for k, table in enumerate(tables):
        points = _points(table)
        if not points:
            continue
        open_tracks = list(range(len(tracks)))
        matched: dict[int, int] = {}
        if open_tracks:
            distance = np.array(
                [
                    [float(np.linalg.norm(p - tracks[t].last)) for t in open_tracks]
                    for _, p, _ in points
                ]
            )
            # one "new track" column per arc at the cost of the longest step: an arc joins a
            # track only where that lowers the sum, and never one farther than the step
            cost = np.where(distance <= MAX_STEP_DECADES, distance, np.inf)
            new = np.full((len(points), len(points)), np.inf)
            np.fill_diagonal(new, MAX_STEP_DECADES)
            rows, cols = linear_sum_assignment(np.hstack([cost, new]))
            for i, j in zip(rows, cols, strict=True):
                if j < len(open_tracks):
                    matched[int(i)] = open_tracks[int(j)]
        for i, (element, point, role) in enumerate(points):
            if i in matched:
                track = tracks[matched[i]]
            else:
                track = _Track(point)
                tracks.append(track)
            track.last = point
            track.members[k] = element
            track.log_tau.append(float(point[0]))
            if role is not None:
                track.roles.append(role)
    named: dict[str, list[_Track]] = {}
    for track in tracks:
        if track.roles:
            role = Counter(track.roles).most_common(1)[0][0]
            named.setdefault(role, []).append(track)
    labels: list[dict[str, str]] = [{} for _ in tables]
    for role, group in named.items():
        longest = max(len(t.members) for t in group)
        group.sort(key=lambda t: (2 * len(t.members) < longest, float(np.median(t.log_tau))))
        for number, track in enumerate(group, start=1):
            label = role if number == 1 else f"{role}_{number}"
            for k, element in track.members.items():
                labels[k][element] = label
    return labels
