"""What a circuit is made of: its arcs, its series elements, its tails (worked out once).

:class:`Circuit` builds one :class:`Structure` when it is parsed; the initial guess
(:mod:`echem.eis.guess`), the analytic model (:mod:`echem.eis.rc_model`), the numbering of
like arcs and the arcs table (:mod:`echem.eis.arc_table`) all read it. Everything here is
decided by the element *kinds* of the element table (:class:`echem.eis.elements.ElementKind`),
never by element names.

What counts as an arc
---------------------
A parallel node of exactly two branches, one a capacitive element (C, CPE: admittance
Q (jω)^n) and the other

* a resistive element: ``p(R1,CPE1)`` (a *simple* arc: the RC model's blocks), or
* a series of exactly one resistive element plus only diffusive ones (a Randles branch
  ``p(R2-Wo1,C2)``: the charge-transfer resistance with the double-layer capacitance).

Arcs are found anywhere in the tree (``top_level`` tells those in series at the top).
Anything else (``p(R,L)``, three branches, nested parallels) is not an arc; its parameters
are still fitted.

At the top level (elements in series with everything else):

* resistive elements are the high-frequency intercept (``series_resistors``);
* capacitive and diffusive elements are low-frequency *tails* (a blocking capacitance, a
  diffusion impedance);
* inductive elements are the high-frequency inductance (``inductors``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._tree import ElementNode, Node, Parallel, Series, render
from .elements import Element, ElementKind, Quantity

__all__ = ["ArcSpec", "Structure", "describe"]


@dataclass(frozen=True)
class ArcSpec:
    """One arc of a circuit: a resistance in parallel with a capacitive element.

    Attributes
    ----------
    block
        The parallel node.
    resistor, capacitor
        Element names of the resistance and of the capacitive element (``"R1"``, ``"CPE1"``).
    resistor_type, capacitor_type
        Their element types (``"R"``, ``"CPE"``).
    diffusion
        Diffusive elements in series with the resistance (a Randles branch), else ``()``.
    top_level
        True when the arc is in series at the top of the circuit.
    resistance, capacitance
        Indices in ``circuit.param_names`` of R and of Q (or C).
    exponent
        Index of the CPE exponent n; None for an ideal capacitor (n = 1).
    """

    block: Node
    resistor: str
    capacitor: str
    resistor_type: str
    capacitor_type: str
    diffusion: tuple[str, ...]
    top_level: bool
    resistance: int
    capacitance: int
    exponent: int | None

    @property
    def simple(self) -> bool:
        """A plain R ∥ C or R ∥ CPE (no diffusion element in the branch)."""
        return not self.diffusion

    @property
    def slots(self) -> list[int]:
        """Parameter indices [R, C] or [R, Q, n]."""
        if self.exponent is None:
            return [self.resistance, self.capacitance]
        return [self.resistance, self.capacitance, self.exponent]

    @property
    def signature(self) -> tuple[str, str]:
        """(resistor type, capacitor type): arcs with the same signature are interchangeable."""
        return (self.resistor_type, self.capacitor_type)

    @property
    def text(self) -> str:
        """The arc as circuit text, e.g. ``p(R1,CPE1)``."""
        return render(self.block)


@dataclass(frozen=True)
class Structure:
    """The parts of a circuit (module docstring).

    Attributes
    ----------
    top
        The nodes in series at the top of the circuit (the whole tree when it is not a series).
    arcs
        Every arc, in order of appearance.
    blocks
        The parallel nodes at the top level (arcs or not), in order: what the initial guess
        matches to the arcs it sees in the data.
    series_resistors
        Resistive elements at the top level: the high-frequency intercept.
    tails
        Capacitive and diffusive elements at the top level: low-frequency tails.
    inductors
        Inductive elements at the top level.
    """

    top: tuple[Node, ...]
    arcs: tuple[ArcSpec, ...]
    blocks: tuple[Node, ...]
    series_resistors: tuple[str, ...]
    tails: tuple[str, ...]
    inductors: tuple[str, ...]

    @property
    def simple_arcs(self) -> tuple[ArcSpec, ...]:
        """The top-level p(R,C)/p(R,CPE) arcs, in circuit order (the blocks the RC model,
        the numbering of like arcs and the arc moves of the search handle)."""
        return tuple(a for a in self.arcs if a.top_level and a.simple)

    @property
    def only_resistors_and_simple_arcs(self) -> bool:
        """Every top-level node is a resistor or a simple arc (the analytic Jacobian applies)."""
        simple = {id(a.block) for a in self.simple_arcs}
        resistors = set(self.series_resistors)
        return all(
            id(node) in simple or getattr(node, "name", None) in resistors for node in self.top
        )


def describe(
    tree: Node,
    table: Mapping[str, Element],
    parameters: Sequence[Any],
) -> Structure:
    """The :class:`Structure` of a parsed circuit tree (called once by :class:`Circuit`).

    Parameters
    ----------
    tree
        The parse tree.
    table
        The element table the circuit was parsed with (type -> :class:`Element`).
    parameters
        The circuit's parameters (:class:`~echem.eis.circuit.CircuitParameter`, with
        ``element`` and ``symbol``), in order: to find parameter indices.
    """
    index = {(p.element, p.symbol): i for i, p in enumerate(parameters)}
    by_element: dict[str, list[int]] = {}
    for i, p in enumerate(parameters):
        by_element.setdefault(p.element, []).append(i)

    def kind(node: Node) -> ElementKind | None:
        return table[node.type].kind if isinstance(node, ElementNode) else None

    def is_resistor(node: Node) -> bool:
        if kind(node) is not ElementKind.RESISTIVE:
            return False
        specs = table[node.type].parameters
        return len(specs) == 1 and specs[0].quantity is Quantity.RESISTANCE

    def arc_of(node: Node, top_level: bool) -> ArcSpec | None:
        if not isinstance(node, Parallel) or len(node.children) != 2:
            return None
        capacitive = [c for c in node.children if kind(c) is ElementKind.CAPACITIVE]
        if len(capacitive) != 1:
            return None
        cap = capacitive[0]
        other = node.children[1] if node.children[0] is cap else node.children[0]
        if is_resistor(other):
            resistor, diffusion = other, ()
        elif isinstance(other, Series) and all(isinstance(c, ElementNode) for c in other.children):
            resistors = [c for c in other.children if is_resistor(c)]
            rest = [c for c in other.children if not is_resistor(c)]
            if len(resistors) != 1 or not rest:
                return None
            if not all(kind(c) is ElementKind.DIFFUSIVE for c in rest):
                return None
            resistor, diffusion = resistors[0], tuple(c.name for c in rest)
        else:
            return None
        cap_slots = by_element[cap.name]
        exponent = None
        if len(cap_slots) == 2:
            exponent = cap_slots[1]
        return ArcSpec(
            block=node,
            resistor=resistor.name,
            capacitor=cap.name,
            resistor_type=resistor.type,
            capacitor_type=cap.type,
            diffusion=diffusion,
            top_level=top_level,
            resistance=index[(resistor.name, "")],
            capacitance=cap_slots[0],
            exponent=exponent,
        )

    top = tuple(tree.children) if isinstance(tree, Series) else (tree,)
    arcs: list[ArcSpec] = []

    def walk(node: Node, top_level: bool) -> None:
        arc = arc_of(node, top_level)
        if arc is not None:
            arcs.append(arc)
            return
        for child in getattr(node, "children", ()):
            walk(child, False)

    for node in top:
        walk(node, True)

    def top_elements(wanted: Callable[[ElementNode], bool]) -> tuple[str, ...]:
        return tuple(n.name for n in top if isinstance(n, ElementNode) and wanted(n))

    return Structure(
        top=top,
        arcs=tuple(arcs),
        blocks=tuple(n for n in top if isinstance(n, Parallel)),
        series_resistors=top_elements(is_resistor),
        tails=top_elements(lambda n: kind(n) in (ElementKind.CAPACITIVE, ElementKind.DIFFUSIVE)),
        inductors=top_elements(lambda n: kind(n) is ElementKind.INDUCTIVE),
    )
