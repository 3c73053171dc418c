"""Hypothesis strategies from JSON Schema 2020-12: valid values, and single-fault invalid ones.

:func:`from_schema` draws values that validate (every format in
:data:`conformance.formats.FORMATS` enforced, patterns with ``regex`` semantics);
:func:`invalid_from_schema` draws :class:`Mutation`\\ s: a valid value with exactly one
constraint broken, saying which keyword broke and where. Both take a ``referencing`` resolver
so ``$ref``\\ s to sibling files of a standard resolve.

Supported keywords: ``type`` (also arrays of types and ``"null"``), ``enum``, ``const``,
``properties``, ``required``, ``additionalProperties`` (boolean or schema),
``patternProperties``, ``unevaluatedProperties`` (false or schema, seeing through ``allOf``,
``$ref``, ``anyOf`` / ``oneOf`` branches, ``if`` / ``then`` / ``else`` and
``dependentSchemas``), ``dependentRequired``, ``dependentSchemas``, ``propertyNames``,
``minProperties`` / ``maxProperties``, ``items``, ``prefixItems``, ``unevaluatedItems``,
``minItems`` / ``maxItems``, ``uniqueItems``, ``contains`` / ``minContains`` /
``maxContains``, ``minLength`` / ``maxLength`` (code points), ``pattern`` (see
:mod:`conformance.generation._regex` for the regular expression subset), ``minimum`` /
``maximum`` / ``exclusiveMinimum`` / ``exclusiveMaximum``, ``multipleOf`` (integers and
decimals, with python-jsonschema's float arithmetic), ``format`` (names outside the format
registry are annotations), ``$ref`` (``#/`` pointers, anchors, ``$id``-scoped and relative
file references through the resolver; recursion is depth-bounded), ``$defs``, ``allOf``
(merged), ``anyOf`` / ``oneOf`` (a drawn branch, then exactly-one filtering), ``not``,
``if`` / ``then`` / ``else`` and boolean schemas. Annotations (``title``, ``examples``,
``contentMediaType``...) are ignored.

Not supported: ``$dynamicRef`` and references the resolver cannot resolve
(:class:`UnsupportedSchema`); :func:`unsupported` lists every such construct a schema can
reach, before anything is drawn. Schemas whose valid values are rare among those the merged
constraints produce (deeply nested ``not`` of annotation-collecting keywords) may fail
Hypothesis' filter health check. Unsatisfiable schemas raise :class:`UnsatisfiableSchema`
when the conflict is visible in one place (``false``, ``minimum > maximum``, a required
property no value can fill, no satisfiable ``anyOf`` branch...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from referencing._core import Resolver

from conformance.formats import Format
from conformance.generation._backtracking import Backtracking, backtracking
from conformance.generation._dependencies import (
    Dependency,
    Ref,
    compare,
    parse_dependencies,
    violated,
)
from conformance.generation._model import UnsatisfiableSchema, UnsupportedSchema
from conformance.generation._mutate import Mutation, can_break, mutations
from conformance.generation._schema import Builder
from conformance.generation._support import Unsupported, refuse_unsupported, unsupported

__all__ = [
    "Backtracking",
    "Dependency",
    "Mutation",
    "Ref",
    "UnsatisfiableSchema",
    "Unsupported",
    "UnsupportedSchema",
    "backtracking",
    "compare",
    "from_schema",
    "invalid_from_schema",
    "parse_dependencies",
    "refuse_unsupported",
    "unsupported",
    "violated",
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
