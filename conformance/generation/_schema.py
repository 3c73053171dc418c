"""JSON Schema 2020-12 -> Hypothesis strategies of values that validate.

A schema is compiled into :class:`~conformance.generation._model.Node` objects: each node is
the conjunction of the schemas that apply to one place in an instance (the schema itself,
everything reached through ``$ref`` and ``allOf``, and the branches chosen so far of
``anyOf`` / ``oneOf`` / ``if`` / ``dependentSchemas``), with their constraints merged per
JSON type. Generation draws a branch for each open choice, then a type, then a value built
to satisfy the merged constraints. Keywords that cannot be built in (``not``, the "exactly
one" of ``oneOf``, ``uniqueItems``, ``maxContains``...) are checked per node with a few
retries, and the whole value is finally checked with a cached validator, so nothing invalid
is ever produced.

Three jobs, one module each: compile (:mod:`~conformance.generation._compile`, keyword by
keyword), analyse (:mod:`~conformance.generation._analyse`: what a node can hold) and draw
(:mod:`~conformance.generation._draw`).  :class:`Builder` puts them together for one schema;
mutations (:mod:`~conformance.generation._mutate`) use it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import jsonschema
from hypothesis import strategies as st
from jsonschema.exceptions import FormatError
from referencing import Registry
from referencing._core import Resolver
from referencing.jsonschema import DRAFT202012

from conformance.formats import FORMATS, Format, format_checker
from conformance.generation._analyse import Analyser
from conformance.generation._compile import check_patterns
from conformance.generation._draw import Drawer
from conformance.generation._model import (
    Draw,
    Node,
    Part,
    Path,
    TraceEntry,
    UnsupportedSchema,
    canonical_json,
)

__all__ = ["Builder"]


class Builder:
    """One schema's generator: its nodes (compiled and analysed once) and the drawing of values.

    ``formats``: the formats enforced (default: every format of :mod:`conformance.formats`).
    """

    def __init__(
        self,
        schema: Mapping[str, Any] | bool,
        resolver: Resolver[Any] | None,
        formats: Mapping[str, Format] | None,
    ) -> None:
        if not isinstance(schema, Mapping | bool):
            raise UnsupportedSchema(f"#: a schema must be an object or a boolean, not {schema!r}")
        self.formats: Mapping[str, Format] = FORMATS if formats is None else formats
        checker = (
            format_checker() if formats is None or formats is FORMATS else _checker_for(formats)
        )
        if resolver is None:
            resolver = Registry().resolver_with_root(DRAFT202012.create_resource(schema))
        elif isinstance(schema, Mapping) and isinstance(schema.get("$id"), str):
            resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
        self.root = Part(schema, resolver, "")
        self.analyser = Analyser(self.root, self.formats, checker)
        self.drawer = Drawer(self.analyser)
        self.root_validator = self.analyser.root_validator
        check_patterns(self.root, set())

    def __repr__(self) -> str:
        # Hypothesis shows strategy arguments; keep the schema short there.
        return f"<schema {canonical_json(self.root.schema)}>"

    # -- analysis -----------------------------------------------------------------------

    def root_node(self) -> Node:
        return self.analyser.root_node()

    def node(
        self,
        parts: Sequence[Part],
        choices: Mapping[tuple[Any, ...], Any] = {},
        *,
        lenient: bool = False,
    ) -> Node:
        return self.analyser.node(parts, choices, lenient=lenient)

    def accepts_all(self, node: Node, depth: int = 0) -> bool:
        return self.analyser.accepts_all(node, depth)

    def key_parts(self, node: Node, name: str) -> tuple[Part, ...] | None:
        return self.analyser.key_parts(node, name)

    def index_parts(self, node: Node, index: int) -> tuple[Part, ...] | None:
        return self.analyser.index_parts(node, index)

    def array_cap(self, node: Node) -> int | None:
        return self.analyser.array_cap(node)

    def step(self, node: Node, *, integer: bool) -> Fraction:
        return self.analyser.step(node, integer=integer)

    def validator(self, part: Part) -> Any:
        return self.analyser.validator(part)

    def valid(self, value: Any) -> bool:
        return self.analyser.valid(value)

    # -- drawing --------------------------------------------------------------------------

    def draw_value(
        self,
        draw: Draw,
        node: Node,
        depth: int = 0,
        path: Path = (),
        trace: list[TraceEntry] | None = None,
        *,
        constrained: bool = False,
    ) -> Any:
        return self.drawer.draw_value(draw, node, depth, path, trace, constrained=constrained)

    def draw_unchecked(
        self,
        draw: Draw,
        node: Node,
        depth: int,
        path: Path,
        trace: list[TraceEntry] | None,
        *,
        constrained: bool = False,
    ) -> Any:
        return self.drawer.draw_unchecked(draw, node, depth, path, trace, constrained=constrained)

    def settle(self, draw: Draw, node: Node) -> Node:
        return self.drawer.settle(draw, node)

    def extra_key(self, draw: Draw, node: Node, depth: int) -> str | None:
        return self.drawer.extra_key(draw, node, depth)

    def format_strategy(self, name: str, *, valid: bool = True) -> st.SearchStrategy[str]:
        return self.drawer.format_strategy(name, valid=valid)


def _checker_for(formats: Mapping[str, Format]) -> jsonschema.FormatChecker:
    """A FormatChecker enforcing exactly ``formats`` (non-strings pass, per JSON Schema)."""
    checker = jsonschema.FormatChecker(formats=())
    for name, fmt in formats.items():

        def check(instance: object, fmt: Format = fmt) -> bool:
            if not isinstance(instance, str):
                return True
            reason = fmt.check(instance)
            if reason is not None:
                raise FormatError(f"{instance!r} is not a valid {fmt.name!r}: {reason}")
            return True

        checker.checks(name, raises=FormatError)(check)
    return checker
