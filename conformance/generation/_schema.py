"""JSON Schema 2020-12 -> Hypothesis strategies of values that validate.

A schema is compiled into :class:`Node` objects: each node is the conjunction of the schemas
that apply to one place in an instance (the schema itself, everything reached through
``$ref`` and ``allOf``, and the branches chosen so far of ``anyOf`` / ``oneOf`` / ``if`` /
``dependentSchemas``), with their constraints merged per JSON type. Generation draws a
branch for each open choice, then a type, then a value built to satisfy the merged
constraints. Keywords that cannot be built in (``not``, the "exactly one" of ``oneOf``,
``uniqueItems``, ``maxContains``...) are checked per node with a few retries, and the whole
value is finally checked with a cached validator, so nothing invalid is ever produced.

Only Hypothesis draws are used (no ``random``, no clock, no set iteration order), so a
seeded run replays exactly.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import jsonschema
from hypothesis import reject
from hypothesis import strategies as st
from jsonschema.exceptions import FormatError
from referencing import Registry
from referencing._core import Resolver
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from conformance.errors import ConformanceError
from conformance.formats import FORMATS, Format, format_checker
from conformance.generation._regex import (
    INF,
    PatternError,
    RegexGenerator,
    regex_generator,
    text_sampler,
)
from conformance.regex_validator import (
    PROBE_TIMEOUT_S,
    find_runaway,
    make_validator,
    pattern_search,
)

__all__ = [
    "Builder",
    "Node",
    "Part",
    "TraceEntry",
    "UnsatisfiableSchema",
    "UnsupportedSchema",
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

_EXTRA_KEY = r"^(?:[a-z][a-z0-9_]{0,9}|\p{Han}{2,4})$"


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


def _base_uri(resolver: Resolver[Any]) -> str:
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
        return (id(self.schema), _base_uri(self.resolver))

    def where(self) -> str:
        return f"{_base_uri(self.resolver)}#{self.pointer}"

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
class _ObjSource:
    props: Mapping[str, Part]
    patterns: tuple[tuple[str, Part], ...]
    additional: Part | None
    scope: frozenset[PartKey]


@dataclass(frozen=True)
class _ArraySource:
    prefix: tuple[Part, ...]
    items: Part | None
    scope: frozenset[PartKey]


@dataclass(frozen=True)
class _Branch:
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
class _Acc:
    """What flattening collects before the constraints are merged."""

    flat: list[tuple[Part, frozenset[PartKey]]] = field(default_factory=list)
    seen: set[PartKey] = field(default_factory=set)
    false_at: list[Part] = field(default_factory=list)
    branches: list[_Branch] = field(default_factory=list)
    owners: dict[tuple[Any, ...], Part] = field(default_factory=dict)
    required: dict[str, None] = field(default_factory=dict)
    forbidden: dict[str, None] = field(default_factory=dict)
    needs_check: bool = False


_CHECKED_KEYWORDS = frozenset(
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
    array_sources: tuple[_ArraySource, ...] = ()
    contains: tuple[tuple[Part, int, int | None], ...] = ()
    unevaluated_items: tuple[tuple[Part, PartKey], ...] = ()
    # objects
    obj_sources: tuple[_ObjSource, ...] = ()
    required: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    dependent_required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    min_props: int = 0
    max_props: int | None = None
    property_names: tuple[Part, ...] = ()
    unevaluated_props: tuple[tuple[Part, PartKey], ...] = ()
    nots: tuple[Part, ...] = ()
    # control
    branches: tuple[_Branch, ...] = ()
    owners: Mapping[tuple[Any, ...], Part] = field(default_factory=dict)
    needs_check: bool = False
    lenient: bool = False  # see Builder.node
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


def _types_of(value: Any) -> set[str]:
    names = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
    out = {t for t in names if t in JSON_TYPES}
    if "number" in out:
        out.add("integer")
    return out


def _number(value: Any) -> bool:
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


def _exact(value: int | float) -> Fraction:
    # Decimal literal semantics for schema numbers: 0.1 means one tenth.
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _ceil(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


def _floor(value: Fraction) -> int:
    return value.numerator // value.denominator


class Builder:
    """Compiles a schema into nodes and draws values from them; one per ``from_schema``."""

    def __init__(
        self,
        schema: Mapping[str, Any] | bool,
        resolver: Resolver[Any] | None,
        formats: Mapping[str, Format] | None,
    ) -> None:
        if not isinstance(schema, Mapping | bool):
            raise UnsupportedSchema(f"#: a schema must be an object or a boolean, not {schema!r}")
        self.formats: Mapping[str, Format] = FORMATS if formats is None else formats
        self.checker = (
            format_checker() if formats is None or formats is FORMATS else _checker_for(formats)
        )
        if resolver is None:
            resolver = Registry().resolver_with_root(DRAFT202012.create_resource(schema))
        elif isinstance(schema, Mapping) and isinstance(schema.get("$id"), str):
            resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
        self.root = Part(schema, resolver, "")
        self._nodes: dict[Any, Node] = {}
        self._compiling: set[Any] = set()
        self._stack: list[int] = []  # ids of the (unsettled) nodes being drawn, outermost first
        self._validators: dict[PartKey, Any] = {}
        self._strategies: dict[str, st.SearchStrategy[str]] = {}
        self.root_validator = make_validator(schema, resolver, self.checker)
        self._check_patterns(self.root, set())

    def __repr__(self) -> str:
        # Hypothesis shows strategy arguments; keep the schema short there.
        return f"<schema {canonical_json(self.root.schema)}>"

    # --- compilation --------------------------------------------------------------------

    _ONE: tuple[str, ...] = (
        *("additionalProperties", "unevaluatedProperties", "unevaluatedItems", "items"),
        *("contains", "propertyNames", "not", "if", "then", "else"),
    )
    _MANY = ("prefixItems", "allOf", "anyOf", "oneOf")
    _NAMED = ("properties", "patternProperties", "$defs", "dependentSchemas")

    def _check_patterns(self, part: Part, seen: set[PartKey]) -> None:
        """Refuse, up front, patterns that ``regex`` cannot compile or we cannot walk."""
        schema = part.schema
        if not isinstance(schema, Mapping) or part.key in seen:
            return
        seen.add(part.key)
        patterns = (
            [("pattern", schema["pattern"])] if isinstance(schema.get("pattern"), str) else []
        )
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
        children = [part.child(k) for k in self._ONE if k in schema]
        children += [part.child(k, i) for k in self._MANY for i in range(len(schema.get(k, ())))]
        children += [part.child(k, n) for k in self._NAMED for n in schema.get(k, {})]
        if isinstance(schema.get("$ref"), str):
            children.append(self.resolve(part, schema["$ref"]))
        for child in children:
            self._check_patterns(child, seen)

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
                found = self._compile(tuple(parts), dict(choices), lenient)
            finally:
                self._compiling.discard(cache_key)
            self._nodes[cache_key] = found
        return found

    def resolve(self, part: Part, ref: str) -> Part:
        try:
            resolved = part.resolver.lookup(ref)
        except Unresolvable as exc:
            raise UnsupportedSchema(f"{part.where()}: cannot resolve $ref {ref!r}: {exc}") from None
        fragment = ref.partition("#")[2]
        return Part(resolved.contents, resolved.resolver, fragment)

    def _flatten(
        self,
        part: Part,
        scope: frozenset[PartKey],
        acc: _Acc,
        choices: Mapping[tuple[Any, ...], Any],
    ) -> None:
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
        if _CHECKED_KEYWORDS & schema.keys():
            acc.needs_check = True
        if "$dynamicRef" in schema:
            raise UnsupportedSchema(f"{part.where()}: $dynamicRef is not supported")
        if isinstance(schema.get("$ref"), str):
            self._flatten(self.resolve(part, schema["$ref"]), scope, acc, choices)
        for index in range(len(schema.get("allOf", ()))):
            self._flatten(part.child("allOf", index), scope, acc, choices)
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                ident = (key, keyword)
                if ident in choices:
                    acc.owners[ident] = part
                    self._flatten(part.child(keyword, choices[ident]), scope, acc, choices)
                else:
                    options = tuple(range(len(schema[keyword])))
                    acc.branches.append(_Branch(ident, options, part))
        if "if" in schema and ("then" in schema or "else" in schema):
            ident = (key, "if")
            choice = choices.get(ident)
            if choice is not None:
                acc.owners[ident] = part
            if choice == "then":
                self._flatten(part.child("if"), scope, acc, choices)
                if "then" in schema:
                    self._flatten(part.child("then"), scope, acc, choices)
            elif choice == "else":
                if "else" in schema:
                    self._flatten(part.child("else"), scope, acc, choices)
            else:
                acc.branches.append(_Branch(ident, ("then", "else"), part))
        for name in schema.get("dependentSchemas", {}):
            dep: tuple[Any, ...] = (key, "dependentSchemas", name)
            choice = choices.get(dep)
            if choice is not None:
                acc.owners[dep] = part
            if choice == "present":
                acc.required[name] = None
                self._flatten(part.child("dependentSchemas", name), scope, acc, choices)
            elif choice == "absent":
                acc.forbidden[name] = None
            else:
                acc.branches.append(_Branch(dep, ("present", "absent"), part))

    def _compile(
        self, parts: tuple[Part, ...], choices: dict[tuple[Any, ...], Any], lenient: bool
    ) -> Node:
        acc = _Acc()
        for part in parts:
            self._flatten(part, frozenset(), acc, choices)
        node = Node(parts=parts, choices=choices, branches=tuple(acc.branches), owners=acc.owners)
        node.needs_check = acc.needs_check
        node.lenient = lenient
        if acc.false_at:
            raise UnsatisfiableSchema(f"{acc.false_at[0].where()}: the schema is false")
        types = set(JSON_TYPES)
        declared = set(JSON_TYPES)
        types_where = ""
        lowers: list[Bound] = []
        uppers: list[Bound] = []
        multiples: list[tuple[int | float, str]] = []
        patterns: list[tuple[str, str]] = []
        formats: list[tuple[str, str]] = []
        obj_sources: list[_ObjSource] = []
        array_sources: list[_ArraySource] = []
        contains: list[tuple[Part, int, int | None]] = []
        dep_required: dict[str, dict[str, None]] = {}
        nots: list[Part] = []
        names: list[Part] = []
        uneval_props: list[tuple[Part, PartKey]] = []
        uneval_items: list[tuple[Part, PartKey]] = []
        required = dict(acc.required)
        min_len_where = max_len_where = ""
        for part, scope in acc.flat:
            s = part.schema
            where = part.where()
            if "type" in s:
                types &= _types_of(s["type"])
                declared &= _types_of(s["type"])
                types_where = types_where or where
            if "const" in s:
                node.enum = self._intersect(node.enum, [s["const"]])
                node.enum_where = where
                node.enum_keywords += ("const",)
            if isinstance(s.get("enum"), list):
                node.enum = self._intersect(node.enum, s["enum"])
                node.enum_where = where
                node.enum_keywords += ("enum",)
            for keyword, exclusive, into in (
                ("minimum", False, lowers),
                ("exclusiveMinimum", True, lowers),
                ("maximum", False, uppers),
                ("exclusiveMaximum", True, uppers),
            ):
                if _number(s.get(keyword)):
                    into.append(Bound(s[keyword], exclusive, keyword, where))
            if _number(s.get("multipleOf")) and s["multipleOf"] > 0:
                multiples.append((s["multipleOf"], where))
            min_length, max_length = _count(s, "minLength"), _count(s, "maxLength")
            if min_length is not None and min_length > node.min_length:
                node.min_length, min_len_where = min_length, where
            if max_length is not None and (node.max_length is None or max_length < node.max_length):
                node.max_length, max_len_where = max_length, where
            if isinstance(s.get("pattern"), str):
                patterns.append((s["pattern"], where))
            if isinstance(s.get("format"), str) and s["format"] in self.formats:
                formats.append((s["format"], where))
            # arrays
            node.min_items = max(node.min_items, _count(s, "minItems") or 0)
            node.max_items = _min_opt(node.max_items, _count(s, "maxItems"))
            if s.get("uniqueItems") is True:
                node.unique = True
            if "prefixItems" in s or "items" in s:
                prefix = tuple(
                    part.child("prefixItems", i) for i in range(len(s.get("prefixItems", ())))
                )
                items = part.child("items") if "items" in s else None
                array_sources.append(_ArraySource(prefix, items, scope))
            if "contains" in s:
                low = _count(s, "minContains")
                low = 1 if low is None else low
                contains.append((part.child("contains"), low, _count(s, "maxContains")))
            if "unevaluatedItems" in s:
                uneval_items.append((part.child("unevaluatedItems"), part.key))
            # objects
            if "properties" in s or "patternProperties" in s or "additionalProperties" in s:
                props = {k: part.child("properties", k) for k in s.get("properties", {})}
                pats = tuple(
                    (p, part.child("patternProperties", p)) for p in s.get("patternProperties", {})
                )
                additional = (
                    part.child("additionalProperties") if "additionalProperties" in s else None
                )
                obj_sources.append(_ObjSource(props, pats, additional, scope))
            for name in s.get("required", ()):
                required[name] = None
            for name, deps in s.get("dependentRequired", {}).items():
                dep_required.setdefault(name, {}).update(dict.fromkeys(deps))
            node.min_props = max(node.min_props, _count(s, "minProperties") or 0)
            node.max_props = _min_opt(node.max_props, _count(s, "maxProperties"))
            if "propertyNames" in s:
                names.append(part.child("propertyNames"))
            if "unevaluatedProperties" in s:
                uneval_props.append((part.child("unevaluatedProperties"), part.key))
            if "not" in s:
                nots.append(part.child("not"))
                negated = s["not"]
                if isinstance(negated, Mapping) and set(negated) == {"type"}:
                    # not {type: X} is common enough to build in rather than filter.
                    removed = _types_of(negated["type"])
                    if "number" not in removed:
                        removed.discard("integer")
                    types -= removed
                    declared -= removed
        node.declared_types = frozenset(declared)
        node.lower = max(lowers, key=lambda b: (b.value, b.exclusive), default=None)
        node.upper = min(uppers, key=lambda b: (b.value, not b.exclusive), default=None)
        node.multiples = tuple(multiples)
        node.patterns = tuple(patterns)
        node.formats = tuple(formats)
        node.length_where = (min_len_where, max_len_where)
        node.array_sources = tuple(array_sources)
        node.contains = tuple(contains)
        node.unevaluated_items = tuple(uneval_items)
        node.obj_sources = tuple(obj_sources)
        node.required = tuple(required)
        node.forbidden = tuple(acc.forbidden)
        node.dependent_required = {k: tuple(v) for k, v in dep_required.items()}
        node.property_names = tuple(names)
        node.unevaluated_props = tuple(uneval_props)
        node.nots = tuple(self._live_nots(nots))
        if len(patterns) + len(formats) > 1:
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
        if not types:
            reasons.append(f"{types_where}: the type constraints exclude every type")
        types = self._viable(node, types, reasons)
        if not types:
            where = parts[0].where() if parts else "#"
            raise UnsatisfiableSchema(
                "; ".join(reasons) if reasons else f"{where}: no value satisfies the schema"
            )
        node.types = tuple(t for t in JSON_TYPES if t in types)
        return node

    def _live_nots(self, nots: list[Part]) -> list[Part]:
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

    def _intersect(self, current: list[Any] | None, values: list[Any]) -> list[Any]:
        if current is None:
            out: list[Any] = []
            for v in values:
                if not any(json_equal(v, o) for o in out):
                    out.append(v)
            return out
        return [v for v in current if any(json_equal(v, o) for o in values)]

    def _viable(self, node: Node, types: set[str], reasons: list[str]) -> set[str]:
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
            top = _min_opt(node.max_items, cap)
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
        first = _floor(k_low) + 1 if low.exclusive else _ceil(k_low)
        last = _ceil(k_high) - 1 if high.exclusive else _floor(k_high)
        return first, last

    def step(self, node: Node, *, integer: bool) -> Fraction:
        """The smallest positive exact step every multipleOf (and integrality) divides."""
        numerators = [1] if integer else []
        denominators: list[int] = []
        for value, _ in node.multiples:
            exact = _exact(value)
            numerators.append(exact.numerator)
            denominators.append(1 if integer else exact.denominator)
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
        evaluated: list[_ObjSource] = []
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
        covered: list[_ArraySource] = []
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

    def options(self, node: Node, branch: _Branch) -> list[Node]:
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

    def format_strategy(self, name: str, *, valid: bool = True) -> st.SearchStrategy[str]:
        cache_key = f"{'+' if valid else '-'}{name}"
        found = self._strategies.get(cache_key)
        if found is None:
            fmt = self.formats[name]
            found = fmt.valid() if valid else fmt.invalid()
            self._strategies[cache_key] = found
        return found

    # --- drawing --------------------------------------------------------------------------

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
        """One value satisfying ``node`` (rejects the example when it cannot find one).

        ``constrained`` prefers the types the node says something about, so a mutation has
        something to break (``{"minLength": 2}`` yields a string rather than ``null``).
        """
        if depth > HARD_DEPTH:
            reject()
        # Values traced for mutations favour constrained types everywhere: more to break.
        constrained = constrained or trace is not None
        self._stack.append(id(node))
        try:
            return self._draw_settled(draw, node, depth, path, trace, constrained)
        finally:
            self._stack.pop()

    def _deep(self, node: Node, depth: int) -> bool:
        # The stack top is the node being drawn (before its choices were settled).
        current = self._stack[-1] if self._stack else id(node)
        return depth >= SOFT_DEPTH or self._stack.count(current) > 2

    def _draw_settled(
        self,
        draw: Draw,
        node: Node,
        depth: int,
        path: Path,
        trace: list[TraceEntry] | None,
        constrained: bool,
    ) -> Any:
        node = self.settle(draw, node)
        attempts = ATTEMPTS if node.needs_check else 1
        for _ in range(attempts):
            local: list[TraceEntry] | None = [] if trace is not None else None
            value = self.draw_unchecked(draw, node, depth, path, local, constrained=constrained)
            if not node.needs_check or self.satisfies(node, value):
                if trace is not None and local is not None:
                    trace.extend(local)
                    trace.append(TraceEntry(path, node, value))
                return value
        reject()

    def settle(self, draw: Draw, node: Node) -> Node:
        """Resolve every open choice (anyOf, oneOf, if, dependentSchemas) by drawing."""
        for _ in range(BRANCH_STEPS):
            if not node.branches:
                return node
            found = self.options(node, node.branches[0])
            if not found:
                reject()
            node = found[draw(st.integers(0, len(found) - 1))] if len(found) > 1 else found[0]
        reject()

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
        if node.enum_values is not None:
            return copy.deepcopy(draw(st.sampled_from(node.enum_values)))
        types = [t for t in node.types if not (t == "integer" and "number" in node.types)]
        if constrained:
            types = [t for t in types if t in constrained_types(node)] or types
        if self._deep(node, depth) and any(t in SCALARS for t in types):
            types = [t for t in types if t in SCALARS]
        kind = draw(st.sampled_from(types)) if len(types) > 1 else types[0]
        if kind == "null":
            return None
        if kind == "boolean":
            return draw(st.booleans())
        if kind == "integer":
            return self._draw_integer(draw, node)
        if kind == "number":
            return self._draw_number(draw, node)
        if kind == "string":
            return self._draw_string(draw, node)
        if kind == "array":
            return self._draw_array(draw, node, depth, path, trace)
        return self._draw_object(draw, node, depth, path, trace)

    def _k_range(self, node: Node, step: Fraction, draw: Draw) -> int:
        low, high = node.lower, node.upper
        first = last = None
        if low is not None:
            k = Fraction(low.value) / step
            first = _floor(k) + 1 if low.exclusive else _ceil(k)
        if high is not None:
            k = Fraction(high.value) / step
            last = _ceil(k) - 1 if high.exclusive else _floor(k)
        span = max(1, _floor(Fraction(NUMBER_SPAN) / step))
        if first is None and last is None:
            first, last = -span, span
        elif first is None:
            assert last is not None
            first = min(last, 0) - span
        elif last is None:
            last = max(first, 0) + span
        if first > last:
            reject()
        edges = [k for k, b in ((first, low), (last, high)) if b is not None]
        if edges and first < last:
            # The exact bounds turn up often: that is where implementations slip.
            return int(draw(st.one_of(st.integers(first, last), st.sampled_from(edges))))
        return int(draw(st.integers(first, last)))

    def _draw_integer(self, draw: Draw, node: Node) -> int:
        step = self.step(node, integer=True)
        for _ in range(ATTEMPTS):
            # A decimal multipleOf (0.1) is checked in binary floating point, like
            # python-jsonschema does, which refuses some exact multiples: draw again.
            value = int(self._k_range(node, step, draw) * step)
            if all(is_multiple(value, m) for m, _ in node.multiples):
                return value
        reject()

    def _draw_number(self, draw: Draw, node: Node) -> int | float:
        if node.multiples:
            step = self.step(node, integer=False)
            for _ in range(ATTEMPTS):
                k = self._k_range(node, step, draw)
                exact = k * step
                value: int | float = int(exact) if exact.denominator == 1 else float(exact)
                if all(is_multiple(value, m) for m, _ in node.multiples):
                    return value
                value = k * float(step)
                if all(is_multiple(value, m) for m, _ in node.multiples):
                    return value
            reject()
        if draw(st.integers(0, 2)) == 0:
            span = self.multiple_range(node, integer=True)
            if span is None or span[0] <= span[1]:
                return self._draw_integer(draw, node)
        low, high = node.lower, node.upper
        lo = float(low.value) if low else None
        hi = float(high.value) if high else None
        if lo is None:
            lo = min(hi if hi is not None else 0.0, 0.0) - NUMBER_SPAN
        if hi is None:
            hi = max(lo, 0.0) + NUMBER_SPAN
        floats = st.floats(
            min_value=lo,
            max_value=hi,
            exclude_min=bool(low and low.exclusive),
            exclude_max=bool(high and high.exclusive),
            allow_nan=False,
            allow_infinity=False,
        )
        edges = [b.value for b in (low, high) if b is not None and not b.exclusive]
        if edges:
            floats = st.one_of(floats, st.sampled_from(edges))
        return draw(floats)  # type: ignore[no-any-return]

    def _length(self, draw: Draw, low: int, high: int | None) -> int:
        top = low + 12 if high is None else min(high, low + 12)
        edges = [low] + ([high] if high is not None and high != low else [])
        return int(draw(st.one_of(st.integers(low, top), st.sampled_from(edges))))

    def free_text(self, draw: Draw, low: int, high: int | None) -> str:
        length = self._length(draw, low, high)
        sampler = text_sampler()
        if length <= 32:
            return "".join(sampler.draw(draw) for _ in range(length))
        chunk = "".join(sampler.draw(draw) for _ in range(16))
        return (chunk * (length // 16 + 1))[:length]

    def string_ok(self, node: Node, text: str, *, skip_format: str | None = None) -> bool:
        if len(text) < node.min_length:
            return False
        if node.max_length is not None and len(text) > node.max_length:
            return False
        for pattern, _ in node.patterns:
            if not pattern_search(pattern, text, remember=False):
                return False
        for name, _ in node.formats:
            if name != skip_format and self.formats[name].check(text) is not None:
                return False
        return True

    def _draw_string(self, draw: Draw, node: Node) -> str:
        high = INF if node.max_length is None else node.max_length
        for _ in range(ATTEMPTS):
            if node.formats:
                name = node.formats[0][0]
                text = str(draw(self.format_strategy(name)))
            elif node.patterns:
                gen: RegexGenerator = regex_generator(node.patterns[0][0])
                text = str(gen.draw(draw, node.min_length, high))
            else:
                text = self.free_text(draw, node.min_length, node.max_length)
            if self.string_ok(node, text):
                return text
        reject()

    def _draw_array(
        self, draw: Draw, node: Node, depth: int, path: Path, trace: list[TraceEntry] | None
    ) -> list[Any]:
        top = _min_opt(node.max_items, self.array_cap(node))
        low = max([node.min_items] + [min(c, top or c) for _, c, _ in node.contains])
        soft = low if self._deep(node, depth) else low + ARRAY_EXTRA
        high = soft if top is None else min(top, soft)
        edges = [low] + ([top] if top is not None and top != low and top <= low + 8 else [])
        length = int(draw(st.one_of(st.integers(low, max(low, high)), st.sampled_from(edges))))
        extra: dict[int, list[Part]] = {}
        for part, least, most in node.contains:
            cap = length if most is None else min(most, length)
            want = least if least >= cap else draw(st.integers(least, cap))
            if want:
                order = draw(st.permutations(range(length)))
                for index in order[:want]:
                    extra.setdefault(index, []).append(part)
        out: list[Any] = []
        seen: set[Any] = set()
        for index in range(length):
            parts = self.index_parts(node, index)
            if parts is None:
                reject()
            try:
                child = self.node(parts + tuple(extra.get(index, ())))
            except UnsatisfiableSchema:
                reject()
            for _ in range(ATTEMPTS if node.unique else 1):
                value = self.draw_value(draw, child, depth + 1, (*path, index), trace)
                if not node.unique or json_key(value) not in seen:
                    break
            else:
                reject()
            seen.add(json_key(value))
            out.append(value)
        return out

    def open_keys(self, node: Node) -> bool:
        """Whether undeclared property names may be added."""
        if node.property_names or any(src.patterns for src in node.obj_sources):
            return True
        return self.key_parts(node, "extra_field") is not None

    def extra_key(self, draw: Draw, node: Node, depth: int) -> str | None:
        """A new property name the schema allows, or None after a few attempts."""
        for _ in range(ATTEMPTS):
            if node.property_names:
                try:
                    names = self.node(node.property_names)
                except UnsatisfiableSchema:
                    return None
                if "string" not in names.types and names.enum_values is None:
                    return None
                name = self.draw_value(draw, names, depth + 1)
                if not isinstance(name, str):
                    continue
            else:
                patterns = [p for src in node.obj_sources for p, _ in src.patterns]
                if patterns and draw(st.booleans()):
                    name = regex_generator(draw(st.sampled_from(patterns))).draw(draw)
                else:
                    name = regex_generator(_EXTRA_KEY).draw(draw)
            if self.key_parts(node, name) is not None:
                return name
        return None

    def _draw_object(
        self, draw: Draw, node: Node, depth: int, path: Path, trace: list[TraceEntry] | None
    ) -> dict[str, Any]:
        shallow = not self._deep(node, depth)
        keys: dict[str, None] = dict.fromkeys(node.required)
        declared = [k for src in node.obj_sources for k in src.props]
        optional = [
            k
            for k in dict.fromkeys(declared)
            if k not in keys and self.key_parts(node, k) is not None
        ]
        for name in optional:
            if shallow and draw(st.booleans()):
                keys[name] = None
        for name in optional:
            if len(keys) >= node.min_props:
                break
            keys[name] = None
        extras = 0
        if shallow and self.open_keys(node):
            extras = draw(st.sampled_from((0, 0, 1, EXTRA_KEYS)))
        for _ in range(max(node.min_props - len(keys), extras)):
            extra = self.extra_key(draw, node, depth)
            if extra is not None:
                keys[extra] = None
        # dependentRequired: a present key brings its dependencies (or goes, if optional).
        for _ in range(len(keys) + len(node.dependent_required) + 1):
            changed = False
            for name in list(keys):
                for dep in node.dependent_required.get(name, ()):
                    if dep in keys:
                        continue
                    if self.key_parts(node, dep) is not None:
                        keys[dep] = None
                    elif name in node.required:
                        reject()
                    else:
                        del keys[name]
                    changed = True
                    break
            if not changed:
                break
        if node.max_props is not None and len(keys) > node.max_props:
            needed = set(node.required)
            for name in reversed(list(keys)):
                if len(keys) <= node.max_props:
                    break
                if name not in needed:
                    del keys[name]
        if len(keys) < node.min_props or (
            node.max_props is not None and len(keys) > node.max_props
        ):
            reject()
        out: dict[str, Any] = {}
        for name in keys:
            parts = self.key_parts(node, name)
            if parts is None:
                reject()
            try:
                child = self.node(parts)
            except UnsatisfiableSchema:
                reject()
            out[name] = self.draw_value(draw, child, depth + 1, (*path, name), trace)
        return out


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


def _count(schema: Mapping[str, Any], keyword: str) -> int | None:
    """A non-negative integer keyword value (2.0 counts as 2, as JSON Schema says)."""
    value = schema.get(keyword)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value >= 0 and float(value).is_integer() else None


def _min_opt(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


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


def canonical_json(value: Any) -> str:
    """Stable text of a JSON value, for descriptions."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)[:80]
