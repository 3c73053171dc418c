"""Analyse: what a compiled node can hold, and the nodes of its parts.

:class:`Analyser` owns the nodes: :meth:`Analyser.node` compiles the conjunction of some
parts (:func:`conformance.generation._compile.merge`), then decides what the merge left
open: which ``not``s still exclude something, which enum members satisfy every part, which
types survive their constraints (and why the others do not, for
:class:`~conformance.generation._model.UnsatisfiableSchema`).  It also answers the questions
drawing asks: the schemas of a property or an item, the options of an open choice, the
numeric steps, whether a value validates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from conformance.formats import Format
from conformance.generation._compile import merge
from conformance.generation._model import (
    JSON_TYPES,
    ArraySource,
    Branch,
    Node,
    ObjSource,
    Part,
    PartKey,
    UnsatisfiableSchema,
    UnsupportedSchema,
    ceil,
    exact,
    floor,
    min_opt,
)
from conformance.generation._regex import INF, PatternError, regex_generator
from conformance.regex_validator import make_validator, pattern_search

__all__ = ["Analyser"]


class Analyser:
    """The nodes of one schema, compiled once each, and what they can hold."""

    def __init__(self, root: Part, formats: Mapping[str, Format], checker: Any) -> None:
        self.root = root
        self.formats = formats
        self.checker = checker
        self._nodes: dict[Any, Node] = {}
        self._compiling: set[Any] = set()
        self._validators: dict[PartKey, Any] = {}
        self.root_validator = make_validator(root.schema, root.resolver, checker)

    def root_node(self) -> Node:
        node = self.node((self.root,))
        for branch in node.branches:
            if not self.options(node, branch):
                raise UnsatisfiableSchema(
                    f"{self.root.where()}: no branch of {branch.ident[1]} can be satisfied"
                )
        return node

    def node(
        self,
        parts: Sequence[Part],
        choices: Mapping[tuple[Any, ...], Any] = {},
        *,
        lenient: bool = False,
    ) -> Node:
        """The node of the conjunction of ``parts``; raises :class:`UnsatisfiableSchema`.

        ``lenient`` keeps enum members that fail the parts as a whole: mutations build
        values that deliberately satisfy more than the parts allow (both oneOf branches).
        """
        cache_key = (frozenset(p.key for p in parts), frozenset(choices.items()), lenient)
        found = self._nodes.get(cache_key)
        if found is None:
            if cache_key in self._compiling:
                # Only 'not' / 'oneOf' analysis re-enters; callers treat this as "unsure".
                raise UnsupportedSchema(f"{parts[0].where()}: the schema refers to itself in place")
            self._compiling.add(cache_key)
            try:
                found = self._finish(tuple(parts), dict(choices), lenient)
            finally:
                self._compiling.discard(cache_key)
            self._nodes[cache_key] = found
        return found

    def _finish(
        self, parts: tuple[Part, ...], choices: dict[tuple[Any, ...], Any], lenient: bool
    ) -> Node:
        m = merge(parts, choices, lenient, self.formats)
        node = m.node
        node.nots = tuple(self.live_nots(m.nots))
        if len(m.patterns) + len(m.formats_used) > 1:
            node.needs_check = True
        if node.enum is not None:
            # The enum is the whole story; keep the members that satisfy every part.
            node.enum_values = [v for v in node.enum if lenient or self.satisfies(node, v)]
            if not node.enum_values:
                raise UnsatisfiableSchema(
                    f"{node.enum_where or parts[0].where()}: no enum/const value satisfies "
                    "the other constraints"
                )
            node.types = ()
            return node
        reasons: list[str] = []
        types = m.types
        if not types:
            reasons.append(f"{m.types_where}: the type constraints exclude every type")
        types = self.viable(node, types, reasons)
        if not types:
            where = parts[0].where() if parts else "#"
            raise UnsatisfiableSchema(
                "; ".join(reasons) if reasons else f"{where}: no value satisfies the schema"
            )
        node.types = tuple(t for t in JSON_TYPES if t in types)
        return node

    def live_nots(self, nots: list[Part]) -> list[Part]:
        """The ``not`` subschemas that exclude something; raise if one excludes everything."""
        live = []
        for part in nots:
            try:
                negated = self.node((part,))
            except UnsatisfiableSchema:
                continue  # not <nothing> is always true
            except UnsupportedSchema:
                live.append(part)
                continue
            if self.accepts_all(negated):
                raise UnsatisfiableSchema(f"{part.where()}: 'not' of a schema accepting anything")
            live.append(part)
        return live

    def accepts_all(self, node: Node, depth: int = 0) -> bool:
        """True when the node certainly accepts every instance (conservative: False if unsure)."""
        if depth > 6 or node.enum is not None or set(node.types) != set(JSON_TYPES):
            return False
        if (
            node.lower
            or node.upper
            or node.multiples
            or node.min_length
            or node.max_length is not None
            or node.patterns
            or node.formats
            or node.min_items
            or node.max_items is not None
            or node.unique
            or node.required
            or node.forbidden
            or node.min_props
            or node.max_props is not None
            or node.nots
            or any(deps for deps in node.dependent_required.values())
            or any(least > 0 or most is not None for _, least, most in node.contains)
        ):
            return False
        subs = [p for src in node.obj_sources for p in src.props.values()]
        subs += [p for src in node.obj_sources for _, p in src.patterns]
        subs += [src.additional for src in node.obj_sources if src.additional is not None]
        subs += [p for src in node.array_sources for p in src.prefix]
        subs += [src.items for src in node.array_sources if src.items is not None]
        subs += [p for p, _ in node.unevaluated_props] + [p for p, _ in node.unevaluated_items]
        subs += list(node.property_names)
        if not all(self._part_accepts_all(p, depth) for p in subs):
            return False
        for branch in node.branches:
            owner, kind = branch.owner, branch.ident[1]
            if kind in ("anyOf", "oneOf"):
                verdicts = [
                    self._part_accepts_all(owner.child(kind, i), depth, unsat=None)
                    for i in branch.options
                ]
                everything = verdicts.count(True)
                if kind == "anyOf" and not everything:
                    return False
                if kind == "oneOf" and (everything != 1 or verdicts.count(False)):
                    return False
            elif kind == "if":
                for keyword in ("then", "else"):
                    if keyword in owner.schema and not self._part_accepts_all(
                        owner.child(keyword), depth
                    ):
                        return False
            elif not self._part_accepts_all(
                owner.child("dependentSchemas", branch.ident[2]), depth
            ):
                return False
        return True

    def _part_accepts_all(self, part: Part, depth: int, unsat: bool | None = False) -> bool | None:
        if part.schema is True:
            return True
        try:
            node = self.node((part,))
        except UnsatisfiableSchema:
            return unsat
        except UnsupportedSchema:
            return False
        return self.accepts_all(node, depth + 1)

    def viable(self, node: Node, types: set[str], reasons: list[str]) -> set[str]:
        """Drop the types whose constraints conflict, saying why."""
        types = set(types)
        if types & {"integer", "number"}:
            why = self._number_conflict(node, integer="number" not in types)
            if why:
                reasons.append(why)
                types -= {"integer", "number"}
        if "string" in types:
            why = self._string_conflict(node)
            if why:
                reasons.append(why)
                types.discard("string")
        if "array" in types:
            cap = self.array_cap(node)
            top = min_opt(node.max_items, cap)
            need = max([node.min_items] + [low for _, low, _ in node.contains])
            hopeless = [
                p.where()
                for p, low, high in node.contains
                if low > 0 and (p.schema is False or (high is not None and low > high))
            ]
            if hopeless:
                reasons.append(f"{hopeless[0]}: no array can meet 'contains' here")
                types.discard("array")
            elif top is not None and need > top:
                reasons.append(
                    f"{node.parts[0].where()}: an array needs at least {need} items "
                    f"but may have at most {top}"
                )
                types.discard("array")
        if "object" in types:
            why = self._object_conflict(node)
            if why:
                reasons.append(why)
                types.discard("object")
        return types

    def _number_conflict(self, node: Node, *, integer: bool) -> str | None:
        low, high = node.lower, node.upper
        if (
            low
            and high
            and (
                low.value > high.value
                or (low.value == high.value and (low.exclusive or high.exclusive))
            )
        ):
            return (
                f"{high.where}: {low.keyword} {low.value} (at {low.where}) leaves no room "
                f"below {high.keyword} {high.value}"
            )
        if integer or node.multiples:
            span = self.multiple_range(node, integer=integer)
            if span is not None and span[0] > span[1]:
                bound = low or high
                where = node.multiples[0][1] if node.multiples else bound.where if bound else "#"
                kind = "integer" if integer else "multiple"
                return f"{where}: no {kind} value lies within the numeric bounds"
        return None

    def _string_conflict(self, node: Node) -> str | None:
        if node.max_length is not None and node.min_length > node.max_length:
            return (
                f"{node.length_where[1]}: maxLength {node.max_length} is less than "
                f"minLength {node.min_length} (at {node.length_where[0]})"
            )
        for pattern, where in node.patterns:
            try:
                gen = regex_generator(pattern)
            except PatternError as exc:
                raise UnsupportedSchema(f"{where}: {exc}") from None
            if node.max_length is not None and gen.min_len > node.max_length:
                return (
                    f"{where}: pattern {pattern!r} needs at least {gen.min_len} characters "
                    f"but maxLength is {node.max_length}"
                )
        return None

    def _object_conflict(self, node: Node) -> str | None:
        where = node.parts[0].where() if node.parts else "#"
        clash = [k for k in node.required if k in node.forbidden]
        if clash:
            return f"{where}: property {clash[0]!r} is both required and excluded"
        for name in node.required:
            parts = self.key_parts(node, name)
            if parts is None:
                return f"{where}: required property {name!r} is not allowed by the schema"
            try:
                self.node(parts)
            except UnsatisfiableSchema as exc:
                return f"required property {name!r}: {exc}"
            except UnsupportedSchema:
                continue  # a recursive definition: decided while drawing
        if node.max_props is not None:
            if len(node.required) > node.max_props:
                return (
                    f"{where}: {len(node.required)} required properties exceed "
                    f"maxProperties {node.max_props}"
                )
            if node.min_props > node.max_props:
                return f"{where}: minProperties {node.min_props} > maxProperties {node.max_props}"
        return None

    # --- numeric helpers ------------------------------------------------------------------

    def multiple_range(self, node: Node, *, integer: bool) -> tuple[int, int] | None:
        """Range of k such that k * step lies within the bounds (None: unbounded)."""
        step = self.step(node, integer=integer)
        low, high = node.lower, node.upper
        if low is None or high is None:
            return None
        k_low = Fraction(low.value) / step
        k_high = Fraction(high.value) / step
        first = floor(k_low) + 1 if low.exclusive else ceil(k_low)
        last = ceil(k_high) - 1 if high.exclusive else floor(k_high)
        return first, last

    def step(self, node: Node, *, integer: bool) -> Fraction:
        """The smallest positive exact step every multipleOf (and integrality) divides."""
        numerators = [1] if integer else []
        denominators: list[int] = []
        for value, _ in node.multiples:
            fraction = exact(value)
            numerators.append(fraction.numerator)
            denominators.append(1 if integer else fraction.denominator)
        if not numerators:
            return Fraction(1)
        return Fraction(math.lcm(*numerators), math.gcd(*denominators) if denominators else 1)

    # --- validation helpers ---------------------------------------------------------------

    def validator(self, part: Part) -> Any:
        found = self._validators.get(part.key)
        if found is None:
            found = make_validator(part.schema, part.resolver, self.checker)
            self._validators[part.key] = found
        return found

    def satisfies(self, node: Node, value: Any) -> bool:
        return all(self.validator(p).is_valid(value) for p in node.parts)

    def valid(self, value: Any) -> bool:
        return bool(self.root_validator.is_valid(value))

    # --- object and array helpers ---------------------------------------------------------

    def key_parts(self, node: Node, name: str) -> tuple[Part, ...] | None:
        """The schemas a property called ``name`` must satisfy; None if it is not allowed."""
        if name in node.key_cache:
            return node.key_cache[name]
        out: list[Part] = []
        evaluated: list[ObjSource] = []
        for src in node.obj_sources:
            matched = False
            if name in src.props:
                out.append(src.props[name])
                matched = True
            for pattern, part in src.patterns:
                if pattern_search(pattern, name, remember=False):
                    out.append(part)
                    matched = True
            if not matched and src.additional is not None:
                out.append(src.additional)
                matched = True
            if matched:
                evaluated.append(src)
        for part, owner in node.unevaluated_props:
            if not any(owner in src.scope for src in evaluated):
                out.append(part)
        result: tuple[Part, ...] | None = tuple(p for p in out if p.schema is not True)
        if name in node.forbidden or any(p.schema is False for p in out):
            result = None
        node.key_cache[name] = result
        return result

    def index_parts(self, node: Node, index: int) -> tuple[Part, ...] | None:
        """The schemas the array item at ``index`` must satisfy; None if not allowed."""
        if index in node.index_cache:
            return node.index_cache[index]
        out: list[Part] = []
        covered: list[ArraySource] = []
        for src in node.array_sources:
            if index < len(src.prefix):
                out.append(src.prefix[index])
                covered.append(src)
            elif src.items is not None:
                out.append(src.items)
                covered.append(src)
        for part, owner in node.unevaluated_items:
            if not any(owner in src.scope for src in covered):
                out.append(part)
        result: tuple[Part, ...] | None = tuple(p for p in out if p.schema is not True)
        if any(p.schema is False for p in out):
            result = None
        node.index_cache[index] = result
        return result

    def array_cap(self, node: Node) -> int | None:
        """The first index no item may take (``items: false`` and friends), if any."""
        if node.array_cap is None:
            limit = max([len(s.prefix) for s in node.array_sources] + [0]) + 1
            node.array_cap = next(
                (i for i in range(limit) if self.index_parts(node, i) is None), INF
            )
        return None if node.array_cap >= INF else node.array_cap

    def options(self, node: Node, branch: Branch) -> list[Node]:
        """The satisfiable nodes reached by each option of an open choice."""
        index = node.branches.index(branch)
        if index not in node.options_cache:
            found: list[Node] = []
            options = branch.options
            if branch.ident[1] == "oneOf":
                # Options accepting everything would match alongside any other option.
                total = [
                    self._part_accepts_all(branch.owner.child("oneOf", i), 0, unsat=None)
                    for i in options
                ]
                if total.count(True) > 1:
                    options = ()
                elif total.count(True) == 1:
                    options = (options[total.index(True)],)
            for option in options:
                try:
                    choices = {**node.choices, branch.ident: option}
                    found.append(self.node(node.parts, choices, lenient=node.lenient))
                except UnsatisfiableSchema:
                    continue
            node.options_cache[index] = found
        return node.options_cache[index]
