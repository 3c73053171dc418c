"""Hypothesis strategies from JSON Schema 2020-12: valid values, and single-fault invalid ones.

``from_schema`` draws values that validate (formats enforced, patterns with ``regex``
semantics); ``invalid_from_schema`` draws :class:`Mutation`\\ s: a valid value with exactly
one constraint broken, saying which keyword and where. Both accept a ``referencing``
resolver so ``$ref``\\ s to sibling files of a standard resolve.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from referencing._core import Resolver

from conformance.formats import Format
from conformance.generation._mutate import Mutation, can_break, mutations
from conformance.generation._schema import Builder, UnsatisfiableSchema, UnsupportedSchema

__all__ = [
    "Mutation",
    "UnsatisfiableSchema",
    "UnsupportedSchema",
    "from_schema",
    "invalid_from_schema",
]


@st.composite
def _values(draw: Any, builder: Builder) -> Any:
    return builder.draw_value(draw, builder.root_node())


def from_schema(
    schema: Mapping[str, Any] | bool,
    *,
    resolver: Resolver[Any] | None = None,
    formats: Mapping[str, Format] | None = None,
) -> SearchStrategy[Any]:
    """Values that validate against ``schema`` (Draft 2020-12, every format enforced).

    ``resolver`` resolves ``$ref`` (relative files and ``#/`` pointers); without one only
    references inside ``schema`` resolve. Raises :class:`UnsatisfiableSchema` when no value
    can validate and :class:`UnsupportedSchema` for what the generator cannot build.
    """
    builder = Builder(schema, resolver, formats)
    builder.root_node()  # raise now, not at the first draw
    return _values(builder).filter(builder.valid)


def invalid_from_schema(
    schema: Mapping[str, Any] | bool,
    *,
    resolver: Resolver[Any] | None = None,
    formats: Mapping[str, Format] | None = None,
) -> SearchStrategy[Mutation]:
    """Single-fault invalid values: each fails validation because of one constraint.

    ``st.nothing()`` when every value satisfies the schema (``true``, ``{}``); raises like
    :func:`from_schema` when the schema is unsatisfiable or unsupported.
    """
    builder = Builder(schema, resolver, formats)
    root = builder.root_node()
    if not can_break(builder, root):
        return st.nothing()
    return mutations(builder)
