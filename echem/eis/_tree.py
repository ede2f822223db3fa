"""The parse tree of a circuit: elements, series and parallel nodes (see :mod:`echem.eis.circuit`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ElementNode", "Series", "Parallel", "Node", "render"]


@dataclass(frozen=True)
class ElementNode:
    """One element of a circuit.

    ``type`` is the element type (``"CPE"``), a row of the circuit's element table.
    ``position`` (0-based index of the name in the text) is informative only: it takes no part
    in comparisons, so trees parsed from differently spaced texts compare equal.
    """

    type: str
    name: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Series:
    """Children in series (two or more; never directly containing another Series)."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Parallel:
    """Children in parallel (two or more)."""

    children: tuple[Node, ...]


Node = ElementNode | Series | Parallel


def render(node: Node) -> str:
    """Normalised text of a tree: no spaces, ``-`` for series, ``p(a,b)`` for parallel."""
    if isinstance(node, ElementNode):
        return node.name
    if isinstance(node, Series):
        return "-".join(render(child) for child in node.children)
    return "p(" + ",".join(render(child) for child in node.children) + ")"
