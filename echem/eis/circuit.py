"""Equivalent circuits written as text: ``"R0-p(R1,CPE1)-p(R2-Wo1,C2)"``.

Grammar (impedance.py's, Murbach et al., J. Open Source Softw. 2020, 5, 2349)::

    circuit  := series END
    series   := term ("-" term)*            elements joined by "-" are in series
    term     := ELEMENT | "p" "(" series ("," series)+ ")"      parallel, nestable
    ELEMENT  := TYPE ["_"] NUMBER           e.g. R0, CPE1, Wo2, CPE_1 (TYPE a row of ELEMENTS)

NUMBER is one or more ASCII digits; the optional underscore is impedance.py's documented
``CPE_1`` style (its parameters are then ``CPE_1_Q``, ``CPE_1_n``, aliases ``CPE_1_0``...).

Whitespace is allowed between tokens (not inside an element name). A parallel block needs at
least two branches: ``p(R1)`` is rejected (impedance.py fails on it too). Element names must be
unique. Every error is an :class:`echem.CircuitError` whose ``position`` is the 0-based index
of the offending character in the text.

The text is tokenised, then parsed by recursive descent into a frozen tree of
:class:`ElementNode`, :class:`Series` and :class:`Parallel`; no ``eval``/``exec`` anywhere.
:meth:`Circuit.compile` turns the tree into one vectorised function built from closures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import CircuitError
from ._tokens import Token, tokenize
from ._tree import ElementNode, Node, Parallel, Series, render
from .elements import ELEMENTS, Element, ElementKind, Quantity, element_table
from .structure import Structure, describe

__all__ = [
    "ElementNode",
    "Series",
    "Parallel",
    "Node",
    "CircuitParameter",
    "Circuit",
    "render",
    "MAX_DEPTH",
]

#: Deepest nesting of parallel blocks accepted (guards the recursive parser).
MAX_DEPTH = 64


@dataclass(frozen=True)
class CircuitParameter:
    """One fit parameter of a circuit.

    Attributes
    ----------
    name
        Canonical name: ``"R1"`` for one-parameter elements, else ``"CPE1_Q"``, ``"CPE1_n"``...
    element
        Name of the element it belongs to (``"CPE1"``).
    type
        Element type (``"CPE"``).
    symbol
        Parameter symbol within the element (``""`` for one-parameter elements).
    unit, lower, upper, default, log, quantity
        From :class:`echem.eis.elements.ParameterSpec`.
    kind
        What the element does (:class:`echem.eis.elements.ElementKind`).
    """

    name: str
    element: str
    type: str
    symbol: str
    unit: str
    lower: float
    upper: float
    default: float
    log: bool
    quantity: Quantity = Quantity.RESISTANCE
    kind: ElementKind = ElementKind.RESISTIVE


# --- parser -----------------------------------------------------------------------------------


class _Parser:
    """Recursive-descent parser over the token list of one circuit text."""

    def __init__(self, text: str, table: Mapping[str, Element]):
        self.text = text
        self.tokens = tokenize(text, table)
        self.i = 0
        self.names: dict[str, int] = {}

    def error(self, message: str, position: int) -> CircuitError:
        return CircuitError(message, self.text, position)

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def parse(self) -> Node:
        if self.token.type == "end":
            raise self.error("empty circuit", self.token.position)
        node = self.series(depth=0)
        tok = self.token
        if tok.type == "rparen":
            raise self.error("unmatched ')'", tok.position)
        if tok.type == "comma":
            raise self.error("',' outside a parallel block p(...)", tok.position)
        if tok.type != "end":  # pragma: no cover - series() stops only on the tokens above
            raise self.error(f"unexpected {tok.text!r}", tok.position)
        return node

    def series(self, depth: int) -> Node:
        children = [self.term(depth)]
        while True:
            tok = self.token
            if tok.type == "dash":
                self.i += 1
                if self.token.type in ("end", "comma", "rparen"):
                    raise self.error("dangling '-': it must join two elements", tok.position)
                children.append(self.term(depth))
            elif tok.type in ("element", "parallel"):
                raise self.error(
                    f"unexpected {tok.text!r}: elements in series are joined by '-'", tok.position
                )
            elif tok.type == "lparen":
                raise self.error("'(' must follow 'p' (parallel block)", tok.position)
            else:
                break
        return children[0] if len(children) == 1 else Series(tuple(children))

    def term(self, depth: int) -> Node:
        tok = self.token
        if tok.type == "element":
            self.i += 1
            if tok.text in self.names:
                raise self.error(
                    f"duplicate element name {tok.text!r} (first at position {self.names[tok.text]})",
                    tok.position,
                )
            self.names[tok.text] = tok.position
            return ElementNode(tok.element_type, tok.text, tok.position)
        if tok.type == "parallel":
            return self.parallel(depth + 1)
        if tok.type == "end":
            raise self.error("expected an element or 'p(' here", tok.position)
        if tok.type == "lparen":
            raise self.error("'(' must follow 'p' (parallel block)", tok.position)
        raise self.error(f"expected an element or 'p(', found {tok.text!r}", tok.position)

    def parallel(self, depth: int) -> Node:
        start = self.token  # the "p"
        if depth > MAX_DEPTH:
            raise self.error(f"parallel blocks nested deeper than {MAX_DEPTH}", start.position)
        self.i += 1
        opening = self.token
        if opening.type != "lparen":  # pragma: no cover - the tokenizer only emits 'p' before '('
            raise self.error("expected '(' after 'p'", opening.position)
        self.i += 1
        if self.token.type == "rparen":
            raise self.error("empty parallel block 'p()'", start.position)
        children = []
        while True:
            tok = self.token
            if tok.type == "comma":
                raise self.error("empty branch in parallel block", tok.position)
            if tok.type == "rparen":
                raise self.error("empty branch in parallel block", tok.position)
            if tok.type == "end":
                raise self.error("unclosed '(' of parallel block", opening.position)
            children.append(self.series(depth))
            tok = self.token
            if tok.type == "comma":
                self.i += 1
                continue
            if tok.type == "rparen":
                self.i += 1
                break
            raise self.error("unclosed '(' of parallel block", opening.position)
        if len(children) < 2:
            raise self.error("a parallel block needs at least two branches", start.position)
        return Parallel(tuple(children))


# --- compilation -------------------------------------------------------------------------------

_Fn = Callable[[np.ndarray, np.ndarray], Any]


def _leaf(fn: Callable[..., Any], start: int, count: int) -> _Fn:
    if count == 1:
        return lambda p, w: fn(w, p[start])
    if count == 2:
        return lambda p, w: fn(w, p[start], p[start + 1])
    stop = start + count
    return lambda p, w: fn(w, *p[start:stop])  # pragma: no cover - no 3-parameter element yet


def _constant_leaf(start: int, admittance: bool) -> _Fn:
    """Frequency-independent leaf (a resistor): keep it a scalar (or (k, 1) column)."""
    if admittance:
        return lambda p, w: 1.0 / p[start]
    return lambda p, w: p[start]


def _sum(terms: list[_Fn]) -> _Fn:
    if len(terms) == 2:
        a, b = terms
        return lambda p, w: a(p, w) + b(p, w)
    first, rest = terms[0], tuple(terms[1:])

    def total(p: np.ndarray, w: np.ndarray) -> Any:
        z = first(p, w)
        for term in rest:
            z = z + term(p, w)
        return z

    return total


def _reciprocal(fn: _Fn) -> _Fn:
    return lambda p, w: 1.0 / fn(p, w)


class _Compiler:
    def __init__(self, table: Mapping[str, Element]) -> None:
        self.index = 0
        self.table = table

    def impedance(self, node: Node) -> _Fn:
        if isinstance(node, ElementNode):
            return self._element(node, admittance=False)
        if isinstance(node, Series):
            return _sum([self.impedance(child) for child in node.children])
        return _reciprocal(self.admittance(node))

    def admittance(self, node: Node) -> _Fn:
        if isinstance(node, ElementNode):
            return self._element(node, admittance=True)
        if isinstance(node, Parallel):
            return _sum([self.admittance(child) for child in node.children])
        return _reciprocal(self.impedance(node))

    def _element(self, node: ElementNode, admittance: bool) -> _Fn:
        element = self.table[node.type]
        start, count = self.index, len(element.parameters)
        self.index += count
        if not element.frequency_dependent and count == 1:
            return _constant_leaf(start, admittance)
        if admittance:
            if element.admittance is not None:
                return _leaf(element.admittance, start, count)
            return _reciprocal(_leaf(element.impedance, start, count))
        return _leaf(element.impedance, start, count)


def _frequency_dependent(node: Node, table: Mapping[str, Element]) -> bool:
    if isinstance(node, ElementNode):
        return table[node.type].frequency_dependent
    return any(_frequency_dependent(child, table) for child in node.children)


# --- the circuit -------------------------------------------------------------------------------


class Circuit:
    """An equivalent circuit parsed from text (immutable, hashable, picklable).

    Parameters
    ----------
    text
        Circuit string, e.g. ``"R0-p(R1,CPE1)-p(R2,CPE2)"`` (see the module docstring).
    elements
        Elements of your own for this circuit, as :class:`~echem.eis.elements.Element` rows
        (or a mapping type -> row); they join (or replace rows of) the default table
        :data:`~echem.eis.elements.ELEMENTS`, which is never changed.

    Raises
    ------
    echem.CircuitError
        When the text is malformed (``error.position`` is the 0-based index of the problem)
        or an element row is unusable.

    Examples
    --------
    >>> c = Circuit("R0-p(R1,CPE1)")
    >>> c.param_names
    ('R0', 'R1', 'CPE1_Q', 'CPE1_n')
    >>> z = c.impedance([1e3, 1.0], [10, 100, 1e-6, 0.9])
    """

    __slots__ = (
        "_text",
        "_tree",
        "_elements",
        "_parameters",
        "_names",
        "_lookup",
        "_compiled",
        "_table",
        "_extra",
        "_structure",
    )

    def __init__(
        self,
        text: str | Circuit,
        elements: Mapping[str, Element] | Sequence[Element] | None = None,
    ):
        extra: tuple[Element, ...] = ()
        if isinstance(text, Circuit):
            extra = text._extra
            text = text.text
        if not isinstance(text, str):
            raise CircuitError(f"a circuit is a string, not {type(text).__name__}")
        if elements is not None:
            rows = elements.values() if isinstance(elements, Mapping) else elements
            extra = extra + tuple(rows)
        table = element_table(extra) if extra else ELEMENTS
        tree = _Parser(text, table).parse()
        nodes = tuple(_walk(tree))
        used = {node.type for node in nodes}
        extra = tuple(e for e in extra if e.type in used)  # only what this circuit uses
        parameters = tuple(_parameters(nodes, table))
        lookup: dict[str, str] = {p.name: p.name for p in parameters}
        for element in nodes:
            specs = table[element.type].parameters
            if len(specs) > 1:  # impedance.py's names: CPE1_0, CPE1_1
                for i, spec in enumerate(specs):
                    lookup[f"{element.name}_{i}"] = f"{element.name}_{spec.symbol}"
        setter = object.__setattr__
        setter(self, "_text", render(tree))
        setter(self, "_tree", tree)
        setter(self, "_elements", nodes)
        setter(self, "_parameters", parameters)
        setter(self, "_names", tuple(p.name for p in parameters))
        setter(self, "_lookup", lookup)
        setter(self, "_compiled", None)
        setter(self, "_table", table)
        setter(self, "_extra", extra)
        setter(self, "_structure", describe(tree, table, parameters))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Circuit is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Circuit is immutable")

    # pickling: only the text (and the caller's own elements) travel; the tree, the structure
    # and the compiled function are rebuilt on load.
    def __reduce__(self) -> tuple[type[Circuit], tuple[Any, ...]]:
        if self._extra:
            return (Circuit, (self._text, self._extra))
        return (Circuit, (self._text,))

    # --- structure ----------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """Normalised text (no whitespace)."""
        return self._text

    @property
    def tree(self) -> Node:
        """Parse tree: an :class:`ElementNode`, :class:`Series` or :class:`Parallel`."""
        return self._tree

    @property
    def elements(self) -> tuple[ElementNode, ...]:
        """Elements in order of appearance."""
        return self._elements

    @property
    def table(self) -> Mapping[str, Element]:
        """The element table this circuit was parsed with (type -> :class:`Element`)."""
        return self._table

    def element(self, name: str) -> Element:
        """The table row (:class:`~echem.eis.elements.Element`) of the element named ``name``."""
        for node in self._elements:
            if node.name == name:
                return self._table[node.type]
        raise CircuitError(f"no element {name!r} in circuit {self._text!r}")

    @property
    def structure(self) -> Structure:
        """Arcs, series resistors, tails and inductors (:mod:`echem.eis.structure`), worked
        out once when the circuit is parsed."""
        return self._structure

    @property
    def parameters(self) -> tuple[CircuitParameter, ...]:
        """Parameters in order: elements in order of appearance, each in its table order."""
        return self._parameters

    @property
    def param_names(self) -> tuple[str, ...]:
        """Canonical parameter names, in the order of :attr:`parameters`."""
        return self._names

    def canonical_name(self, name: str) -> str:
        """Canonical parameter name for ``name`` (a canonical name or an impedance.py alias).

        ``"CPE1_0"`` -> ``"CPE1_Q"``, ``"CPE1_1"`` -> ``"CPE1_n"``, ``"R1"`` -> ``"R1"``.

        Raises
        ------
        echem.CircuitError
            When the circuit has no such parameter.
        """
        try:
            return self._lookup[name]
        except (KeyError, TypeError):
            raise CircuitError(
                f"no parameter {name!r} in circuit {self._text!r}; parameters are {', '.join(self._names)}"
            ) from None

    def parameter(self, name: str) -> CircuitParameter:
        """The :class:`CircuitParameter` named ``name`` (aliases accepted)."""
        return self._parameters[self._names.index(self.canonical_name(name))]

    def values(self, params: Sequence[float] | Mapping[str, float] | np.ndarray) -> np.ndarray:
        """Parameter vector in :attr:`param_names` order from a sequence or a name mapping.

        A mapping must give every parameter exactly once (canonical names or aliases).
        """
        n = len(self._names)
        if isinstance(params, Mapping):
            vector = np.full(n, np.nan)
            given: dict[str, str] = {}
            for key, value in params.items():
                name = self.canonical_name(key)
                if name in given:
                    raise CircuitError(
                        f"parameter {name!r} given twice ({given[name]!r} and {key!r})"
                    )
                given[name] = key
                vector[self._names.index(name)] = _as_float(value, key)
            missing = [name for name in self._names if name not in given]
            if missing:
                raise CircuitError(
                    f"missing values for {', '.join(missing)} in circuit {self._text!r}"
                )
            return vector
        try:
            vector = np.asarray(params, dtype=float)
        except (TypeError, ValueError):
            raise CircuitError(f"parameter values must be numbers, got {params!r}") from None
        if vector.shape != (n,):
            raise CircuitError(
                f"circuit {self._text!r} has {n} parameters ({', '.join(self._names)}), "
                f"got values of shape {vector.shape}"
            )
        return vector

    # --- evaluation ---------------------------------------------------------------------------

    def impedance(
        self,
        freq_Hz: Sequence[float] | np.ndarray | float,
        params: Sequence[float] | Mapping[str, float],
    ) -> np.ndarray:
        """Complex impedance (Ω) at the frequencies ``freq_Hz`` (Hz).

        Parameters
        ----------
        freq_Hz
            Frequencies in Hz (any shape).
        params
            Values in :attr:`param_names` order, or a mapping by name (aliases accepted).

        Returns
        -------
        numpy.ndarray
            Complex Z = Z' + jZ'' with the shape of ``freq_Hz``; Z'' < 0 on capacitive arcs.
        """
        omega = 2 * np.pi * np.asarray(freq_Hz, dtype=float)
        return self.compile()(self.values(params), omega)

    def compile(self) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """One vectorised function ``f(params, omega) -> complex ndarray``, built once.

        ``params`` is the vector of parameter values in :attr:`param_names` order, ``omega`` the
        angular frequencies ω = 2πf in rad/s (1-D). The function is a composition of closures
        made from the tree once (series = sum of impedances, parallel = reciprocal of the sum of
        admittances); a call does no tree walk and no string handling.

        ``params`` may also be 2-D, of shape ``(n_params, k)``: the ``k`` parameter sets are
        evaluated at once and the result has shape ``(k, len(omega))`` (useful for multi-start).
        With 3 or more dimensions, ``params[i]`` is used as it is and must broadcast against
        ``omega`` itself (e.g. shape ``(n_params, k, 1)`` also gives ``(k, len(omega))``).

        The function is cached: repeated calls return the same object.
        """
        compiled = self._compiled
        if compiled is None:
            compiled = _compile(self._tree, len(self._names), self._text, self._table)
            object.__setattr__(self, "_compiled", compiled)
        return compiled

    # --- text ---------------------------------------------------------------------------------

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Circuit({self._text!r})"

    def describe(self) -> str:
        """Multi-line listing: the circuit and each parameter with its unit, bounds and default."""
        lines = [f"Circuit {self._text}"]
        width = max((len(n) for n in self._names), default=0)
        for p in self._parameters:
            element = self._table[p.type]
            unit = p.unit or "-"
            lines.append(
                f"  {p.name:<{width}}  {unit:<12} [{p.lower:g}, {p.upper:g}]  default {p.default:g}"
                f"  ({element.description}{', log' if p.log else ''})"
            )
        return "\n".join(lines)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Circuit):
            return self._text == other._text and self._extra == other._extra
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Circuit", self._text, self._extra))


def _as_float(value: object, key: str) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CircuitError(f"value of {key!r} is not a number: {value!r}") from None


def _walk(node: Node) -> Iterator[ElementNode]:
    if isinstance(node, ElementNode):
        yield node
    else:
        for child in node.children:
            yield from _walk(child)


def _parameters(
    elements: Sequence[ElementNode], table: Mapping[str, Element]
) -> Iterator[CircuitParameter]:
    for element in elements:
        row = table[element.type]
        specs = row.parameters
        for spec in specs:
            name = element.name if len(specs) == 1 else f"{element.name}_{spec.symbol}"
            yield CircuitParameter(
                name,
                element.name,
                element.type,
                spec.symbol,
                spec.unit,
                spec.lower,
                spec.upper,
                spec.default,
                spec.log,
                spec.quantity,
                row.kind,
            )


def _compile(
    tree: Node, n_params: int, text: str, table: Mapping[str, Element]
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    root = _Compiler(table).impedance(tree)
    constant = not _frequency_dependent(tree, table)

    def impedance(params: np.ndarray, omega: np.ndarray) -> np.ndarray:
        p = np.asarray(params, dtype=float)
        w = np.asarray(omega, dtype=float)
        if p.ndim == 0 or p.shape[0] != n_params:
            raise CircuitError(
                f"circuit {text!r} takes {n_params} parameters, got an array of shape {p.shape}"
            )
        if p.ndim == 2:
            p = p[:, :, np.newaxis]
        z = root(p, w)
        if constant:
            z = z + 0j * w
        return z

    impedance.__doc__ = f"Impedance (Ω) of {text} at angular frequencies omega (rad/s)."
    return impedance
