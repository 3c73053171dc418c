"""The generator's model: parts of schemas, the merged nodes they compile to, and helpers.

:mod:`conformance.generation._compile` merges the schemas applying to one place in an
instance into a :class:`Node`, keyword by keyword; :mod:`conformance.generation._analyse`
decides what a node can hold; :mod:`conformance.generation._draw` draws values from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st
from referencing._core import Resolver
from referencing.jsonschema import DRAFT202012

from conformance.errors import ConformanceError

__all__ = [
    "JSON_TYPES",
    "SCALARS",
    "ArraySource",
    "Bound",
    "Branch",
    "Draw",
    "Node",
    "ObjSource",
    "Part",
    "PartKey",
    "Path",
    "TraceEntry",
    "UnsatisfiableSchema",
    "UnsupportedSchema",
    "canonical_json",
    "constrained_types",
    "json_equal",
    "json_key",
    "pointer_of",
]

Draw = Callable[[st.SearchStrategy[Any]], Any]
Path = tuple[str | int, ...]
PartKey = tuple[int, str]

JSON_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
SCALARS = ("null", "boolean", "integer", "number", "string")

# Past SOFT_DEPTH levels, or inside a schema already entered once on the way down (recursion),
# values get only required properties and minimum array lengths.
SOFT_DEPTH = 8
HARD_DEPTH = 12  # deeper than this: give up (a required property recursing forever)
ARRAY_EXTRA = 3  # items beyond minItems
EXTRA_KEYS = 2  # undeclared properties added when the schema allows them
ATTEMPTS = 3  # retries of a node whose filter-only keywords rejected a value
BRANCH_STEPS = 32  # open choices resolved per node at most
NUMBER_SPAN = 1_000_000  # default width of a numeric range with a missing bound

EXTRA_KEY_PATTERN = r"^(?:[a-z][a-z0-9_]{0,9}|\p{Han}{2,4})$"


class UnsatisfiableSchema(ConformanceError, ValueError):
    """No value can satisfy the schema (``false``, ``minimum > maximum``...)."""


class UnsupportedSchema(ConformanceError, ValueError):
    """The schema uses something the generator cannot build: ``$dynamicRef``, an unresolvable
    ``$ref``, a pattern ``regex`` cannot compile or the generator cannot walk."""


def pointer_of(path: Sequence[str | int]) -> str:
    """The JSON pointer (RFC 6901) of a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def json_key(value: Any) -> Any:
    """A hashable key equal for JSON-equal values (1 == 1.0, but True != 1)."""
    if isinstance(value, bool) or value is None:
        return ("b", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer():
            return ("n", int(value))
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list | tuple):
        return ("a", tuple(json_key(v) for v in value))
    if isinstance(value, Mapping):
        return ("o", frozenset((k, json_key(v)) for k, v in value.items()))
    return ("?", repr(value))


def json_equal(a: Any, b: Any) -> bool:
    return bool(json_key(a) == json_key(b))


def base_uri(resolver: Resolver[Any]) -> str:
    # referencing exposes the base URI only as the attrs field behind ``base_uri=``.
    return str(getattr(resolver, "_base_uri", ""))


@dataclass(frozen=True, eq=False)
class Part:
    """One (sub)schema together with the resolver its ``$ref``s resolve against."""

    schema: Any
    resolver: Resolver[Any]
    pointer: str

    @property
    def key(self) -> PartKey:
        return (id(self.schema), base_uri(self.resolver))

    def where(self) -> str:
        return f"{base_uri(self.resolver)}#{self.pointer}"

    def child(self, *tokens: str | int) -> Part:
        target = self.schema
        for token in tokens:
            target = target[token]
        resolver = self.resolver
        pointer = self.pointer + pointer_of(tokens)
        if isinstance(target, Mapping) and isinstance(target.get("$id"), str):
            resolver = resolver.in_subresource(DRAFT202012.create_resource(target))
            pointer = ""
        return Part(target, resolver, pointer)


@dataclass(frozen=True)
class ObjSource:
    """The properties, patternProperties and additionalProperties of one schema."""

    props: Mapping[str, Part]
    patterns: tuple[tuple[str, Part], ...]
    additional: Part | None
    scope: frozenset[PartKey]


@dataclass(frozen=True)
class ArraySource:
    """The prefixItems and items of one schema."""

    prefix: tuple[Part, ...]
    items: Part | None
    scope: frozenset[PartKey]


@dataclass(frozen=True)
class Branch:
    """An open choice: anyOf, oneOf, if (then or else), a dependentSchemas (present or not)."""

    ident: tuple[Any, ...]  # (owner key, keyword[, property name])
    options: tuple[Any, ...]
    owner: Part


@dataclass(frozen=True)
class Bound:
    value: int | float
    exclusive: bool
    keyword: str
    where: str


@dataclass
class Node:
    """The merged constraints of the schemas applying to one place in an instance."""

    parts: tuple[Part, ...]
    choices: Mapping[tuple[Any, ...], Any]
    types: tuple[str, ...] = ()
    declared_types: frozenset[str] = frozenset(JSON_TYPES)  # as the type keywords say
    enum: list[Any] | None = None
    enum_where: str = ""
    enum_keywords: tuple[str, ...] = ()
    # numbers
    lower: Bound | None = None
    upper: Bound | None = None
    multiples: tuple[tuple[int | float, str], ...] = ()
    # strings
    min_length: int = 0
    max_length: int | None = None
    length_where: tuple[str, str] = ("", "")
    patterns: tuple[tuple[str, str], ...] = ()
    formats: tuple[tuple[str, str], ...] = ()
    # arrays
    min_items: int = 0
    max_items: int | None = None
    unique: bool = False
    array_sources: tuple[ArraySource, ...] = ()
    contains: tuple[tuple[Part, int, int | None], ...] = ()
    unevaluated_items: tuple[tuple[Part, PartKey], ...] = ()
    # objects
    obj_sources: tuple[ObjSource, ...] = ()
    required: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    dependent_required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    min_props: int = 0
    max_props: int | None = None
    property_names: tuple[Part, ...] = ()
    unevaluated_props: tuple[tuple[Part, PartKey], ...] = ()
    nots: tuple[Part, ...] = ()
    # control
    branches: tuple[Branch, ...] = ()
    owners: Mapping[tuple[Any, ...], Part] = field(default_factory=dict)
    needs_check: bool = False
    lenient: bool = False  # see Analyser.node
    # caches filled lazily
    enum_values: list[Any] | None = None
    key_cache: dict[str, tuple[Part, ...] | None] = field(default_factory=dict)
    index_cache: dict[int, tuple[Part, ...] | None] = field(default_factory=dict)
    array_cap: int | None = None
    options_cache: dict[int, list[Node]] = field(default_factory=dict)


@dataclass(frozen=True)
class TraceEntry:
    """A generated value and the node it was made for (used to build mutations)."""

    path: Path
    node: Node
    value: Any


def types_of(value: Any) -> set[str]:
    names = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
    out = {t for t in names if t in JSON_TYPES}
    if "number" in out:
        out.add("integer")
    return out


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_multiple(value: int | float, of: int | float) -> bool:
    """python-jsonschema's own ``multipleOf`` arithmetic, so generation agrees with it."""
    if isinstance(of, float):
        quotient = value / of
        try:
            return int(quotient) == quotient
        except OverflowError:
            return (Fraction(value) / Fraction(of)).denominator == 1
    return not value % of


def exact(value: int | float) -> Fraction:
    # Decimal literal semantics for schema numbers: 0.1 means one tenth.
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def ceil(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


def floor(value: Fraction) -> int:
    return value.numerator // value.denominator


def constrained_types(node: Node) -> set[str]:
    """The types the node constrains beyond their own type."""
    if set(node.types) != set(JSON_TYPES) or node.nots:
        return set(JSON_TYPES)
    out: set[str] = set()
    if node.lower or node.upper or node.multiples:
        out |= {"integer", "number"}
    if node.min_length or node.max_length is not None or node.patterns or node.formats:
        out.add("string")
    if (
        node.array_sources
        or node.min_items
        or node.max_items is not None
        or node.unique
        or node.contains
        or node.unevaluated_items
    ):
        out.add("array")
    if (
        node.obj_sources
        or node.required
        or node.forbidden
        or node.dependent_required
        or node.min_props
        or node.max_props is not None
        or node.property_names
        or node.unevaluated_props
    ):
        out.add("object")
    return out


def count(schema: Mapping[str, Any], keyword: str) -> int | None:
    """A non-negative integer keyword value (2.0 counts as 2, as JSON Schema says)."""
    value = schema.get(keyword)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value >= 0 and float(value).is_integer() else None


def min_opt(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def canonical_json(value: Any) -> str:
    """Stable text of a JSON value, for descriptions."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)[:80]
