"""Compile: the schemas applying to one place in an instance, merged keyword by keyword.

Two tables drive it, in the style of python-jsonschema's keyword functions:

- :data:`APPLICATORS` flatten a schema: ``$ref`` and ``allOf`` add their subschemas to the
  conjunction; ``anyOf``, ``oneOf``, ``if`` and ``dependentSchemas`` add the branch chosen so
  far, or leave an open :class:`~conformance.generation._model.Branch` to choose later;
- :data:`KEYWORDS` fold each assertion of each flattened schema into one :class:`Merge`
  (bounds, lengths, patterns, item and property sources...), one function per keyword.

Each table is applied in its own order (not the schema's key order), so that a node, and
with it every draw, is the same whatever order a schema's keys were written in.  What
cannot be merged statically (``not``, "exactly one" of ``oneOf``, ``uniqueItems``...) marks
the node to be checked per value; :mod:`conformance.generation._analyse` finishes the node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from referencing.exceptions import Unresolvable

from conformance.formats import Format
from conformance.generation._model import (
    JSON_TYPES,
    ArraySource,
    Bound,
    Branch,
    Node,
    ObjSource,
    Part,
    PartKey,
    UnsatisfiableSchema,
    UnsupportedSchema,
    count,
    is_number,
    json_equal,
    min_opt,
    types_of,
)
from conformance.generation._regex import PatternError, regex_generator
from conformance.regex_validator import PROBE_TIMEOUT_S, find_runaway

__all__ = [
    "APPLICATORS",
    "CHECKED_KEYWORDS",
    "KEYWORDS",
    "Merge",
    "check_patterns",
    "merge",
    "resolve",
]

Choices = Mapping[tuple[Any, ...], Any]

# Keywords a value is checked against after it is drawn (they are not built in).
CHECKED_KEYWORDS = frozenset(
    {
        "not",
        "oneOf",
        "if",
        "uniqueItems",
        "contains",
        "unevaluatedProperties",
        "unevaluatedItems",
        "propertyNames",
        "multipleOf",
        "patternProperties",
        "dependentSchemas",
        "dependentRequired",
        "minProperties",
        "maxProperties",
    }
)


def resolve(part: Part, ref: str) -> Part:
    """The part a ``$ref`` names, with the resolver of where it lives."""
    try:
        resolved = part.resolver.lookup(ref)
    except Unresolvable as exc:
        raise UnsupportedSchema(f"{part.where()}: cannot resolve $ref {ref!r}: {exc}") from None
    fragment = ref.partition("#")[2]
    return Part(resolved.contents, resolved.resolver, fragment)


# -- the patterns, refused up front --------------------------------------------------------

_ONE: tuple[str, ...] = (
    *("additionalProperties", "unevaluatedProperties", "unevaluatedItems", "items"),
    *("contains", "propertyNames", "not", "if", "then", "else"),
)
_MANY = ("prefixItems", "allOf", "anyOf", "oneOf")
_NAMED = ("properties", "patternProperties", "$defs", "dependentSchemas")


def check_patterns(part: Part, seen: set[PartKey]) -> None:
    """Refuse, up front, patterns that ``regex`` cannot compile or we cannot walk."""
    schema = part.schema
    if not isinstance(schema, Mapping) or part.key in seen:
        return
    seen.add(part.key)
    patterns = [("pattern", schema["pattern"])] if isinstance(schema.get("pattern"), str) else []
    patterns += [("patternProperties", p) for p in schema.get("patternProperties", {})]
    for keyword, pattern in patterns:
        try:
            regex_generator(pattern)
        except PatternError as exc:
            raise UnsupportedSchema(f"{part.child(keyword).where()}: {exc}") from None
        runaway = find_runaway(pattern)
        if runaway is not None:
            # Refused before any draw: a search timing out half way through a draw would
            # make Hypothesis' replay of that draw depend on the machine's load.
            raise UnsupportedSchema(
                f"{part.child(keyword).where()}: pattern {pattern!r} backtracks "
                f"catastrophically (searching {len(runaway)} characters took more than "
                f"{PROBE_TIMEOUT_S:g}s)"
            )
    children = [part.child(k) for k in _ONE if k in schema]
    children += [part.child(k, i) for k in _MANY for i in range(len(schema.get(k, ())))]
    children += [part.child(k, n) for k in _NAMED for n in schema.get(k, {})]
    if isinstance(schema.get("$ref"), str):
        children.append(resolve(part, schema["$ref"]))
    for child in children:
        check_patterns(child, seen)


# -- flattening: the applicators -------------------------------------------------------------


@dataclass
class Flat:
    """What flattening collects before the assertions are merged."""

    choices: Choices
    flat: list[tuple[Part, frozenset[PartKey]]] = field(default_factory=list)
    seen: set[PartKey] = field(default_factory=set)
    false_at: list[Part] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    owners: dict[tuple[Any, ...], Part] = field(default_factory=dict)
    required: dict[str, None] = field(default_factory=dict)
    forbidden: dict[str, None] = field(default_factory=dict)
    needs_check: bool = False


Applicator = Callable[[Flat, Part, frozenset[PartKey]], None]


def flatten(acc: Flat, part: Part, scope: frozenset[PartKey]) -> None:
    """Add ``part`` and what its applicators bring to the conjunction."""
    schema = part.schema
    if schema is True:
        return
    if schema is False:
        acc.false_at.append(part)
        return
    if not isinstance(schema, Mapping):
        raise UnsupportedSchema(f"{part.where()}: a schema must be an object or a boolean")
    key = part.key
    if key in acc.seen:  # A and A is A: also ends $ref cycles that do not nest
        return
    acc.seen.add(key)
    scope = scope | {key}
    acc.flat.append((part, scope))
    if CHECKED_KEYWORDS & schema.keys():
        acc.needs_check = True
    if "$dynamicRef" in schema:
        raise UnsupportedSchema(f"{part.where()}: $dynamicRef is not supported")
    for keywords, apply in APPLICATORS:
        if any(keyword in schema for keyword in keywords):
            apply(acc, part, scope)


def _ref(acc: Flat, part: Part, scope: frozenset[PartKey]) -> None:
    if isinstance(part.schema.get("$ref"), str):
        flatten(acc, resolve(part, part.schema["$ref"]), scope)


def _all_of(acc: Flat, part: Part, scope: frozenset[PartKey]) -> None:
    for index in range(len(part.schema.get("allOf", ()))):
        flatten(acc, part.child("allOf", index), scope)


def _choice_of(keyword: str) -> Applicator:
    def choose(acc: Flat, part: Part, scope: frozenset[PartKey]) -> None:
        ident = (part.key, keyword)
        if ident in acc.choices:
            acc.owners[ident] = part
            flatten(acc, part.child(keyword, acc.choices[ident]), scope)
        else:
            options = tuple(range(len(part.schema[keyword])))
            acc.branches.append(Branch(ident, options, part))

    return choose


def _if(acc: Flat, part: Part, scope: frozenset[PartKey]) -> None:
    schema = part.schema
    if "if" not in schema or not ("then" in schema or "else" in schema):
        return
    ident = (part.key, "if")
    choice = acc.choices.get(ident)
    if choice is not None:
        acc.owners[ident] = part
    if choice == "then":
        flatten(acc, part.child("if"), scope)
        if "then" in schema:
            flatten(acc, part.child("then"), scope)
    elif choice == "else":
        if "else" in schema:
            flatten(acc, part.child("else"), scope)
    else:
        acc.branches.append(Branch(ident, ("then", "else"), part))


def _dependent_schemas(acc: Flat, part: Part, scope: frozenset[PartKey]) -> None:
    for name in part.schema.get("dependentSchemas", {}):
        dep: tuple[Any, ...] = (part.key, "dependentSchemas", name)
        choice = acc.choices.get(dep)
        if choice is not None:
            acc.owners[dep] = part
        if choice == "present":
            acc.required[name] = None
            flatten(acc, part.child("dependentSchemas", name), scope)
        elif choice == "absent":
            acc.forbidden[name] = None
        else:
            acc.branches.append(Branch(dep, ("present", "absent"), part))


APPLICATORS: tuple[tuple[tuple[str, ...], Applicator], ...] = (
    (("$ref",), _ref),
    (("allOf",), _all_of),
    (("anyOf",), _choice_of("anyOf")),
    (("oneOf",), _choice_of("oneOf")),
    (("if",), _if),
    (("dependentSchemas",), _dependent_schemas),
)


# -- merging: the assertions -------------------------------------------------------------------


@dataclass
class Merge:
    """The node being compiled, and what its keywords collected so far."""

    node: Node
    formats: Mapping[str, Format]
    required: dict[str, None]
    types: set[str] = field(default_factory=lambda: set(JSON_TYPES))
    declared: set[str] = field(default_factory=lambda: set(JSON_TYPES))
    types_where: str = ""
    lowers: list[Bound] = field(default_factory=list)
    uppers: list[Bound] = field(default_factory=list)
    multiples: list[tuple[int | float, str]] = field(default_factory=list)
    patterns: list[tuple[str, str]] = field(default_factory=list)
    formats_used: list[tuple[str, str]] = field(default_factory=list)
    obj_sources: list[ObjSource] = field(default_factory=list)
    array_sources: list[ArraySource] = field(default_factory=list)
    contains: list[tuple[Part, int, int | None]] = field(default_factory=list)
    dep_required: dict[str, dict[str, None]] = field(default_factory=dict)
    nots: list[Part] = field(default_factory=list)
    names: list[Part] = field(default_factory=list)
    uneval_props: list[tuple[Part, PartKey]] = field(default_factory=list)
    uneval_items: list[tuple[Part, PartKey]] = field(default_factory=list)
    min_len_where: str = ""
    max_len_where: str = ""


Keyword = Callable[[Merge, Part, frozenset[PartKey]], None]


def _intersect(current: list[Any] | None, values: list[Any]) -> list[Any]:
    if current is None:
        out: list[Any] = []
        for v in values:
            if not any(json_equal(v, o) for o in out):
                out.append(v)
        return out
    return [v for v in current if any(json_equal(v, o) for o in values)]


def type_(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    m.types &= types_of(part.schema["type"])
    m.declared &= types_of(part.schema["type"])
    m.types_where = m.types_where or part.where()


def const(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    m.node.enum = _intersect(m.node.enum, [part.schema["const"]])
    m.node.enum_where = part.where()
    m.node.enum_keywords += ("const",)


def enum(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    if isinstance(part.schema.get("enum"), list):
        m.node.enum = _intersect(m.node.enum, part.schema["enum"])
        m.node.enum_where = part.where()
        m.node.enum_keywords += ("enum",)


def _bound(keyword: str, *, exclusive: bool, lower: bool) -> Keyword:
    def bound(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
        value = part.schema.get(keyword)
        if is_number(value):
            into = m.lowers if lower else m.uppers
            into.append(Bound(value, exclusive, keyword, part.where()))

    return bound


def multiple_of(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    value = part.schema.get("multipleOf")
    if is_number(value) and value > 0:
        m.multiples.append((value, part.where()))


def min_length(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    value = count(part.schema, "minLength")
    if value is not None and value > m.node.min_length:
        m.node.min_length, m.min_len_where = value, part.where()


def max_length(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    value = count(part.schema, "maxLength")
    if value is not None and (m.node.max_length is None or value < m.node.max_length):
        m.node.max_length, m.max_len_where = value, part.where()


def pattern(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    if isinstance(part.schema.get("pattern"), str):
        m.patterns.append((part.schema["pattern"], part.where()))


def format_(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    name = part.schema.get("format")
    if isinstance(name, str) and name in m.formats:
        m.formats_used.append((name, part.where()))


def min_items(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    m.node.min_items = max(m.node.min_items, count(part.schema, "minItems") or 0)


def max_items(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    m.node.max_items = min_opt(m.node.max_items, count(part.schema, "maxItems"))


def unique_items(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    if part.schema.get("uniqueItems") is True:
        m.node.unique = True


def items(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    """``prefixItems`` and ``items`` of one schema: one source of item schemas."""
    schema = part.schema
    prefix = tuple(part.child("prefixItems", i) for i in range(len(schema.get("prefixItems", ()))))
    rest = part.child("items") if "items" in schema else None
    m.array_sources.append(ArraySource(prefix, rest, scope))


def contains(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    low = count(part.schema, "minContains")
    low = 1 if low is None else low
    m.contains.append((part.child("contains"), low, count(part.schema, "maxContains")))


def unevaluated_items(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    m.uneval_items.append((part.child("unevaluatedItems"), part.key))


def properties(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    """``properties``, ``patternProperties`` and ``additionalProperties`` of one schema."""
    schema = part.schema
    props = {k: part.child("properties", k) for k in schema.get("properties", {})}
    pats = tuple(
        (p, part.child("patternProperties", p)) for p in schema.get("patternProperties", {})
    )
    additional = part.child("additionalProperties") if "additionalProperties" in schema else None
    m.obj_sources.append(ObjSource(props, pats, additional, scope))


def required(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    for name in part.schema.get("required", ()):
        m.required[name] = None


def dependent_required(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    for name, deps in part.schema.get("dependentRequired", {}).items():
        m.dep_required.setdefault(name, {}).update(dict.fromkeys(deps))


def min_properties(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    m.node.min_props = max(m.node.min_props, count(part.schema, "minProperties") or 0)


def max_properties(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    m.node.max_props = min_opt(m.node.max_props, count(part.schema, "maxProperties"))


def property_names(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    m.names.append(part.child("propertyNames"))


def unevaluated_properties(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    m.uneval_props.append((part.child("unevaluatedProperties"), part.key))


def not_(m: Merge, part: Part, scope: frozenset[PartKey]) -> None:
    m.nots.append(part.child("not"))
    negated = part.schema["not"]
    if isinstance(negated, Mapping) and set(negated) == {"type"}:
        # not {type: X} is common enough to build in rather than filter.
        removed = types_of(negated["type"])
        if "number" not in removed:
            removed.discard("integer")
        m.types -= removed
        m.declared -= removed


# In this order for every flattened schema (the order of the merged node's lists).
KEYWORDS: tuple[tuple[tuple[str, ...], Keyword], ...] = (
    (("type",), type_),
    (("const",), const),
    (("enum",), enum),
    (("minimum",), _bound("minimum", exclusive=False, lower=True)),
    (("exclusiveMinimum",), _bound("exclusiveMinimum", exclusive=True, lower=True)),
    (("maximum",), _bound("maximum", exclusive=False, lower=False)),
    (("exclusiveMaximum",), _bound("exclusiveMaximum", exclusive=True, lower=False)),
    (("multipleOf",), multiple_of),
    (("minLength",), min_length),
    (("maxLength",), max_length),
    (("pattern",), pattern),
    (("format",), format_),
    (("minItems",), min_items),
    (("maxItems",), max_items),
    (("uniqueItems",), unique_items),
    (("prefixItems", "items"), items),
    (("contains",), contains),
    (("unevaluatedItems",), unevaluated_items),
    (("properties", "patternProperties", "additionalProperties"), properties),
    (("required",), required),
    (("dependentRequired",), dependent_required),
    (("minProperties",), min_properties),
    (("maxProperties",), max_properties),
    (("propertyNames",), property_names),
    (("unevaluatedProperties",), unevaluated_properties),
    (("not",), not_),
)


def merge(
    parts: tuple[Part, ...], choices: Choices, lenient: bool, formats: Mapping[str, Format]
) -> Merge:
    """The conjunction of ``parts`` under ``choices``, merged (raises UnsatisfiableSchema
    when a part is ``false``).  The node's ``nots``, enum members and types are still to be
    decided (:meth:`conformance.generation._analyse.Analyser.node`)."""
    acc = Flat(choices)
    for part in parts:
        flatten(acc, part, frozenset())
    node = Node(parts=parts, choices=choices, branches=tuple(acc.branches), owners=acc.owners)
    node.needs_check = acc.needs_check
    node.lenient = lenient
    if acc.false_at:
        raise UnsatisfiableSchema(f"{acc.false_at[0].where()}: the schema is false")
    m = Merge(node, formats, dict(acc.required))
    for part, scope in acc.flat:
        for keywords, fold in KEYWORDS:
            if any(keyword in part.schema for keyword in keywords):
                fold(m, part, scope)
    node.declared_types = frozenset(m.declared)
    node.lower = max(m.lowers, key=lambda b: (b.value, b.exclusive), default=None)
    node.upper = min(m.uppers, key=lambda b: (b.value, not b.exclusive), default=None)
    node.multiples = tuple(m.multiples)
    node.patterns = tuple(m.patterns)
    node.formats = tuple(m.formats_used)
    node.length_where = (m.min_len_where, m.max_len_where)
    node.array_sources = tuple(m.array_sources)
    node.contains = tuple(m.contains)
    node.unevaluated_items = tuple(m.uneval_items)
    node.obj_sources = tuple(m.obj_sources)
    node.required = tuple(m.required)
    node.forbidden = tuple(acc.forbidden)
    node.dependent_required = {k: tuple(v) for k, v in m.dep_required.items()}
    node.property_names = tuple(m.names)
    node.unevaluated_props = tuple(m.uneval_props)
    return m
