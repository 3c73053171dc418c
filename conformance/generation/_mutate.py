"""Single-fault invalid values: a valid value with exactly one constraint broken.

A valid value is drawn together with a trace of the node each part of it was made for.
Every traced place offers the mutations its constraints allow (remove a required property,
step just past a bound, truncate below ``minLength``, swap in a near-valid invalid format
value, add an undeclared property to a closed object...). Mutations are tried in a drawn
order until one is accepted: the mutated whole value must fail validation, and every error
must be the chosen keyword at the chosen place (an ``anyOf`` / ``oneOf`` error counts when
its sub-errors include it), so the fault is the only one.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from conformance.generation._model import (
    JSON_TYPES,
    Draw,
    Node,
    Path,
    TraceEntry,
    UnsatisfiableSchema,
    json_equal,
    pointer_of,
)
from conformance.generation._regex import regex_generator
from conformance.generation._schema import Builder
from conformance.regex_validator import error_keyword, pattern_search

__all__ = ["Mutation", "can_break", "mutations"]

TRIES = 12  # mutations tried per example before the example is rejected
GROW_LIMIT = 8  # items or properties added at most to break maxItems / maxProperties


@dataclass(frozen=True)
class Mutation:
    """An invalid instance and the one constraint it breaks."""

    value: Any  # the invalid instance
    pointer: str  # JSON pointer of the broken place in the instance ("" = root)
    keyword: str  # the constraint broken, e.g. "required", "maxLength", "format"
    description: str  # e.g. "removed required property 'holder'"


# (path of the broken place, new value at the traced place, keywords accepted, description)
# and optionally a keyword to report. No keywords accepted means "whatever single keyword
# fails": used where the failing keyword depends on the schema (a forbidden property).
_Outcome = tuple[Any, ...]
_Thunk = Callable[[Draw], _Outcome | None]


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _replace(root: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(root, list):
        out_list = list(root)
        out_list[int(head)] = _replace(root[int(head)], rest, new)
        return out_list
    out = dict(root)
    out[str(head)] = _replace(root[str(head)], rest, new)
    return out


def _wrong_type_values(node: Node, value: Any) -> list[tuple[str, Any]]:
    """Values of types the type keywords refuse, the realistic mix-ups first."""
    allowed = set(node.declared_types)
    out: list[tuple[str, Any]] = []
    if "string" not in allowed:
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append(("string", str(value)))
        else:
            out.append(("string", "1"))
    if "integer" not in allowed:
        out.append(("integer", 7))
    elif "number" not in allowed:
        out.append(("number", 1.5))
    if "boolean" not in allowed:
        out.append(("boolean", True))
    if "null" not in allowed:
        out.append(("null", None))
    if "array" not in allowed:
        out.append(("array", []))
    if "object" not in allowed:
        out.append(("object", {}))
    return out


def _describe_types(node: Node) -> str:
    types = node.declared_types
    names = [t for t in JSON_TYPES if t in types and not (t == "integer" and "number" in types)]
    return " or ".join(names)


def _off_enum(node: Node) -> list[Any]:
    """Values near the enum members that are not members (same type where possible)."""
    assert node.enum is not None
    out: list[Any] = []
    for member in node.enum[:4]:
        if isinstance(member, bool):
            out.append(not member)
        elif isinstance(member, int | float):
            out.extend([member + 1, member - 1])
        elif isinstance(member, str):
            out.extend([member + "X", member.swapcase(), member[:-1]])
        elif isinstance(member, list):
            out.extend([[*member, 0], member[:-1]])
        elif isinstance(member, dict):
            out.append({**member, "extra": 1})
        else:
            out.extend(["null", 0])
    out.extend(["unexpected", 0, None])
    return [v for v in out if not any(json_equal(v, m) for m in node.enum)]


def _pick(draw: Draw, options: list[Any]) -> Any:
    return options[0] if len(options) == 1 else options[draw(st.integers(0, len(options) - 1))]


@dataclass(frozen=True)
class _Bound:
    fn: Callable[[Draw, Any], _Outcome | None]
    arg: Any

    def __call__(self, draw: Draw) -> _Outcome | None:
        return self.fn(draw, self.arg)


def _kind(thunk: _Thunk) -> str:
    """The mutation kind of an offer (the mutator's name), to draw kinds evenly."""
    return getattr(thunk.fn if isinstance(thunk, _Bound) else thunk, "__name__", "?")


class _Mutator:
    """Offers the mutations of one traced place."""

    def __init__(self, builder: Builder, entry: TraceEntry) -> None:
        self.b = builder
        self.entry = entry
        self.node = entry.node
        self.value = entry.value
        self.path = entry.path

    def thunks(self) -> list[_Thunk]:
        node, value = self.node, self.value
        out: list[_Thunk] = []
        if node.enum is not None:
            out.append(self.enum)
        else:
            if node.declared_types != set(JSON_TYPES):
                out.append(self.type)
            dropped = [t for t in JSON_TYPES if t in node.declared_types and t not in node.types]
            out.extend(self._bind(self.dropped_type, t) for t in dropped)
        if isinstance(value, str):
            if node.min_length > 0:
                out.append(self.min_length)
            if node.max_length is not None:
                out.append(self.max_length)
            out.extend(self._bind(self.pattern, p) for p, _ in node.patterns)
            out.extend(self._bind(self.format, f) for f, _ in node.formats)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if node.lower is not None:
                out.append(self.lower)
            if node.upper is not None:
                out.append(self.upper)
            if node.multiples:
                out.append(self.multiple)
        elif isinstance(value, list):
            out.extend(self._array_thunks())
        elif isinstance(value, dict):
            out.extend(self._object_thunks())
        out.extend(self._bind(self.negated, i) for i in range(len(node.nots)))
        out.extend(self._bind(self.one_of_twice, i) for i in node.owners if i[1] == "oneOf")
        out.extend(
            self._bind(self.if_flip, i)
            for i in node.owners
            if i[1] == "if" and node.choices[i] == "else"
        )
        return out

    @staticmethod
    def _bind(fn: Callable[[Draw, Any], _Outcome | None], arg: Any) -> _Thunk:
        return _Bound(fn, arg)

    # --- any type -------------------------------------------------------------------------

    def type(self, draw: Draw) -> _Outcome | None:
        kind, wrong = _pick(draw, _wrong_type_values(self.node, self.value))
        return (
            self.path,
            wrong,
            ("type",),
            f"{kind} {_short(wrong)} where {_describe_types(self.node)} is expected",
        )

    def dropped_type(self, draw: Draw, kind: str) -> _Outcome | None:
        """A value of a type the schema names but whose other constraints cannot be met
        (``contains: false`` leaves no valid array): the simplest one breaks them."""
        simple: dict[str, Any] = {
            "null": None,
            "boolean": False,
            "integer": 0,
            "number": 0.5,
            "string": "",
            "array": [],
            "object": {},
        }
        wrong = simple[kind]
        return self.path, wrong, (), f"{_short(wrong)}: no {kind} can satisfy this schema"

    def enum(self, draw: Draw) -> _Outcome | None:
        options = _off_enum(self.node)
        if not options:
            return None
        wrong = _pick(draw, options)
        keywords = tuple(dict.fromkeys(self.node.enum_keywords)) or ("enum",)
        allowed = ", ".join(_short(v) for v in (self.node.enum or [])[:5])
        return self.path, wrong, keywords, f"{_short(wrong)} is not one of {allowed}"

    def negated(self, draw: Draw, index: int) -> _Outcome | None:
        part = self.node.nots[index]
        try:
            child = self.b.node((part,))
        except UnsatisfiableSchema:
            return None
        wrong = self.b.draw_value(draw, child, len(self.path) + 1)
        return self.path, wrong, ("not",), f"{_short(wrong)} matches the schema under 'not'"

    # --- strings --------------------------------------------------------------------------

    def min_length(self, draw: Draw) -> _Outcome | None:
        size = self.node.min_length - 1
        wrong = self.value[:size]
        return (
            self.path,
            wrong,
            ("minLength",),
            f"{len(wrong)} characters, minLength is {self.node.min_length}",
        )

    def max_length(self, draw: Draw) -> _Outcome | None:
        limit = self.node.max_length
        assert limit is not None
        fill = _pick(draw, [self.value[-1:] or "x", "x", "中"])
        wrong = self.value + fill * (limit + 1 - len(self.value))
        return (
            self.path,
            wrong,
            ("maxLength",),
            f"{len(wrong)} characters, maxLength is {limit}",
        )

    def pattern(self, draw: Draw, pattern: str) -> _Outcome | None:
        text: str = self.value
        size = max(len(text), 1)
        candidates = [c * size for c in "#Z0a中 -"]
        if text:
            candidates += ["#" + text[1:], text[:-1] + "#", "中" + text[1:], text + "#", "#" + text]
        fitting = [
            c
            for c in dict.fromkeys(candidates)
            if not pattern_search(pattern, c, remember=False)
            and self._string_fits(c, skip_pattern=pattern)
        ]
        if not fitting:
            return None
        wrong = _pick(draw, fitting)
        return self.path, wrong, ("pattern",), f"{_short(wrong)} does not match {pattern!r}"

    def format(self, draw: Draw, name: str) -> _Outcome | None:
        fmt = self.b.formats[name]
        for _ in range(3):
            wrong = draw(self.b.format_strategy(name, valid=False))
            reason = fmt.check(wrong)
            if reason is not None and self._string_fits(wrong, skip_format=name):
                return self.path, wrong, ("format",), f"{name} {_short(wrong)}: {reason}"
        return None

    def _string_fits(
        self, text: str, *, skip_pattern: str | None = None, skip_format: str | None = None
    ) -> bool:
        node = self.node
        if len(text) < node.min_length:
            return False
        if node.max_length is not None and len(text) > node.max_length:
            return False
        for pattern, _ in node.patterns:
            if pattern != skip_pattern and not pattern_search(pattern, text, remember=False):
                return False
        return all(
            name == skip_format or self.b.formats[name].check(text) is None
            for name, _ in node.formats
        )

    # --- numbers --------------------------------------------------------------------------

    def _integral(self) -> bool:
        return "number" not in self.node.types

    def _as_number(self, exact: Any) -> int | float:
        return int(exact) if exact.denominator == 1 else float(exact)

    def lower(self, draw: Draw) -> _Outcome | None:
        bound = self.node.lower
        assert bound is not None
        return self._past(draw, bound.value, bound.exclusive, bound.keyword, below=True)

    def upper(self, draw: Draw) -> _Outcome | None:
        bound = self.node.upper
        assert bound is not None
        return self._past(draw, bound.value, bound.exclusive, bound.keyword, below=False)

    def _past(
        self, draw: Draw, limit: int | float, exclusive: bool, keyword: str, *, below: bool
    ) -> _Outcome | None:
        integral = self._integral()
        candidates: list[int | float] = []
        if integral or self.node.multiples:
            step = self.b.step(self.node, integer=integral)
            k = Fraction(limit) / step
            if below:
                index = (
                    k.numerator // k.denominator
                    if exclusive
                    else -((-k.numerator) // k.denominator) - 1
                )
            else:
                index = (
                    -((-k.numerator) // k.denominator)
                    if exclusive
                    else k.numerator // k.denominator + 1
                )
            candidates.append(self._as_number(index * step))
        elif exclusive:
            candidates.append(limit)
        else:
            direction = -math.inf if below else math.inf
            candidates += [
                limit - 1 if below else limit + 1,
                math.nextafter(float(limit), direction),
            ]
        wrong = _pick(draw, candidates)
        relation = "below" if below else "above"
        if exclusive:
            relation = "at or " + relation
        return self.path, wrong, (keyword,), f"{_short(wrong)} is {relation} {keyword} {limit}"

    def multiple(self, draw: Draw) -> _Outcome | None:
        value = self.value
        of = self.node.multiples[0][0]
        if self._integral():
            candidates: list[int | float] = [value + 1, value - 1] if of != 1 else []
        else:
            candidates = [value + of / 2, value - of / 2]
        if not candidates:
            return None
        wrong = _pick(draw, candidates)
        return self.path, wrong, ("multipleOf",), f"{_short(wrong)} is not a multiple of {of}"

    # --- arrays ---------------------------------------------------------------------------

    def _array_thunks(self) -> list[_Thunk]:
        node, value = self.node, self.value
        out: list[_Thunk] = []
        if node.min_items > 0 and len(value) >= node.min_items:
            out.append(self.min_items)
        if node.max_items is not None and node.max_items + 1 - len(value) <= GROW_LIMIT:
            out.append(self.max_items)
        if node.unique and value:
            out.append(self.unique)
        out.extend(self._bind(self.contains, i) for i in range(len(node.contains)))
        if self.b.array_cap(node) is not None:
            out.append(self.closed_items)
        if node.max_items is None or len(value) < node.max_items:
            out.append(self.bad_item)
        return out

    def min_items(self, draw: Draw) -> _Outcome | None:
        wrong = self.value[: self.node.min_items - 1]
        return (
            self.path,
            wrong,
            ("minItems",),
            f"{len(wrong)} items, minItems is {self.node.min_items}",
        )

    def _grow(self, draw: Draw, target: int) -> list[Any] | None:
        out = list(self.value)
        for index in range(len(out), target):
            if out and not self.node.unique:
                out.append(copy.deepcopy(out[-1]))
                continue
            parts = self.b.index_parts(self.node, index)
            if parts is None:
                return None
            try:
                child = self.b.node(parts)
            except UnsatisfiableSchema:
                return None
            out.append(self.b.draw_value(draw, child, len(self.path) + 1))
        return out

    def max_items(self, draw: Draw) -> _Outcome | None:
        limit = self.node.max_items
        assert limit is not None
        wrong = self._grow(draw, limit + 1)
        if wrong is None:
            return None
        return self.path, wrong, ("maxItems",), f"{len(wrong)} items, maxItems is {limit}"

    def unique(self, draw: Draw) -> _Outcome | None:
        value = self.value
        if len(value) >= 2:
            wrong = [value[0], copy.deepcopy(value[0]), *value[2:]]
        else:
            wrong = [value[0], copy.deepcopy(value[0])]
        return self.path, wrong, ("uniqueItems",), f"item {_short(value[0])} appears twice"

    def contains(self, draw: Draw, index: int) -> _Outcome | None:
        part, least, most = self.node.contains[index]
        check = self.b.validator(part)
        matching = [i for i, item in enumerate(self.value) if check.is_valid(item)]
        if most is not None and (least < 1 or draw(st.booleans())):
            missing = most + 1 - len(matching)
            if missing > GROW_LIMIT or (self.node.unique and missing > 1):
                return None
            if matching:
                item = self.value[matching[0]]
            else:
                parts = self.b.index_parts(self.node, len(self.value))
                if parts is None:
                    return None
                try:
                    child = self.b.node((*parts, part))
                except UnsatisfiableSchema:
                    return None
                item = self.b.draw_value(draw, child, len(self.path) + 1)
            wrong = self.value + [copy.deepcopy(item) for _ in range(missing)]
            return (
                self.path,
                wrong,
                ("maxContains",),
                f"{most + 1} items match 'contains', maxContains is {most}",
            )
        if least < 1 or not matching:
            return None
        wrong = [item for i, item in enumerate(self.value) if i not in matching]
        return self.path, wrong, ("contains", "minContains"), "no item matches 'contains'"

    def closed_items(self, draw: Draw) -> _Outcome | None:
        cap = self.b.array_cap(self.node)
        if cap is None or cap - len(self.value) > GROW_LIMIT:
            return None
        grown = self._grow(draw, cap)
        if grown is None:
            return None
        index = cap
        keywords = ("unevaluatedItems",)
        broken: Path = self.path
        for src in self.node.array_sources:
            if index < len(src.prefix) and src.prefix[index].schema is False:
                keywords, broken = ("false",), (*self.path, index)
                break
            if index >= len(src.prefix) and src.items is not None and src.items.schema is False:
                keywords = ("items",)
                break
        wrong = [*grown, copy.deepcopy(grown[-1]) if grown else "x"]
        return broken, wrong, keywords, f"item {index} is beyond the items allowed"

    def bad_item(self, draw: Draw) -> _Outcome | None:
        index = len(self.value)
        parts = self.b.index_parts(self.node, index)
        if not parts:
            return None
        try:
            child = self.b.node(parts)
        except UnsatisfiableSchema:
            return None
        return self._bad_child(draw, child, index)

    def _bad_child(self, draw: Draw, child: Node, key: str | int) -> _Outcome | None:
        """Add a new item or property whose value has the wrong type (or is off the enum)."""
        if child.enum is not None:
            options = _off_enum(child)
            keywords = tuple(dict.fromkeys(child.enum_keywords)) or ("enum",)
            what = "not one of the allowed values"
        elif set(child.types) != set(JSON_TYPES):
            options = [v for _, v in _wrong_type_values(child, None)]
            keywords = ("type",)
            what = f"where {_describe_types(child)} is expected"
        else:
            return None
        if not options:
            return None
        wrong = _pick(draw, options)
        if isinstance(key, int):
            new: Any = [*self.value, wrong]
            label = f"added item {key}"
        else:
            new = {**self.value, key: wrong}
            label = f"added property {key!r}"
        return (*self.path, key), new, keywords, f"{label}: {_short(wrong)} {what}"

    # --- objects --------------------------------------------------------------------------

    def _object_thunks(self) -> list[_Thunk]:
        node, value = self.node, self.value
        out: list[_Thunk] = [self._bind(self.drop_required, k) for k in node.required if k in value]
        out.append(self.closed)
        impossible = [
            k
            for k in dict.fromkeys(
                [*node.forbidden, *(k for s in node.obj_sources for k in s.props)]
            )
            if k not in value and self._unsatisfiable_key(k)
        ]
        out.extend(self._bind(self.forbidden, k) for k in impossible)
        if node.property_names:
            out.append(self.property_name)
        if node.min_props > 0 and len(value) >= node.min_props:
            out.append(self.min_props)
        if node.max_props is not None and node.max_props + 1 - len(value) <= GROW_LIMIT:
            out.append(self.max_props)
        for name, deps in node.dependent_required.items():
            out.append(self._bind(self.dependent, (name, deps)))
        declared = [k for src in node.obj_sources for k in src.props]
        absent = [k for k in dict.fromkeys(declared) if k not in value]
        if absent and (node.max_props is None or len(value) < node.max_props):
            out.append(self._bind(self.bad_property, absent))
        return out

    def drop_required(self, draw: Draw, name: str) -> _Outcome | None:
        wrong = {k: v for k, v in self.value.items() if k != name}
        return self.path, wrong, ("required",), f"removed required property {name!r}"

    def forbidden(self, draw: Draw, name: str) -> _Outcome | None:
        """Add a property the schema excludes (dependentSchemas, a 'not', a false schema)."""
        wrong = {**self.value, name: "x"}
        return self.path, wrong, (), f"added property {name!r}, which the schema excludes"

    def closed(self, draw: Draw) -> _Outcome | None:
        node = self.node
        names = ["unexpected", "extra_field", "x_unknown", "未定义字段"]
        names += [k for src in node.obj_sources for k in src.props]
        names += [
            regex_generator(p).draw(draw)
            for src in node.obj_sources
            for p, part in src.patterns
            if part.schema is False
        ]
        for name in dict.fromkeys(names):
            if name in self.value or self.b.key_parts(node, name) is not None:
                continue
            keyword = self._closed_by(name)
            if keyword is None:
                continue
            if keyword == "false":
                wrong = {**self.value, name: "x"}
                return (
                    (*self.path, name),
                    wrong,
                    (keyword,),
                    f"added property {name!r}, never allowed",
                )
            wrong = {**self.value, name: "x"}
            return self.path, wrong, (keyword,), f"added undeclared property {name!r}"
        return None

    def _unsatisfiable_key(self, name: str) -> bool:
        if name in self.node.forbidden:
            return True
        parts = self.b.key_parts(self.node, name)
        if parts is None:
            return False  # closed() names the keyword
        try:
            self.b.node(parts)
        except UnsatisfiableSchema:
            return True
        return False

    def _closed_by(self, name: str) -> str | None:
        """Which keyword refuses a new property ``name`` (``false`` for a false subschema)."""
        evaluated = []
        for src in self.node.obj_sources:
            declared = [src.props[name]] if name in src.props else []
            declared += [
                part for p, part in src.patterns if pattern_search(p, name, remember=False)
            ]
            if any(part.schema is False for part in declared):
                return "false"
            matched = bool(declared)
            if not matched and src.additional is not None:
                if src.additional.schema is False:
                    return "additionalProperties"
                matched = True
            if matched:
                evaluated.append(src)
        for part, owner in self.node.unevaluated_props:
            if part.schema is False and not any(owner in src.scope for src in evaluated):
                return "unevaluatedProperties"
        return None

    def property_name(self, draw: Draw) -> _Outcome | None:
        """Add a property whose name breaks ``propertyNames``."""
        node = self.node
        names = ["a", "ab", "abcdefghijklmnop", "1", "foo", "bar", "x-y", "名称", "Ab C"]
        names += [k + "X" for k in self.value]
        for name in dict.fromkeys(names):
            if name in self.value or self.b.key_parts(node, name) is None:
                continue
            if all(self.b.validator(p).is_valid(name) for p in node.property_names):
                continue
            parts = self.b.key_parts(node, name)
            try:
                child = self.b.node(parts or ())
            except UnsatisfiableSchema:
                continue
            wrong = {**self.value, name: self.b.draw_value(draw, child, len(self.path) + 1)}
            description = f"added property {name!r}, a name propertyNames refuses"
            return self.path, wrong, (), description, "propertyNames"
        return None

    def if_flip(self, draw: Draw, ident: tuple[Any, ...]) -> _Outcome | None:
        """A value meeting the ``if`` of an if/then whose ``then`` it then fails."""
        owner = self.node.owners[ident]
        try:
            # Everything else still holds (the 'else' branch too), 'if' now holds as well.
            flipped = self.b.node(
                (*self.node.parts, owner.child("if")), self.node.choices, lenient=True
            )
        except UnsatisfiableSchema:
            return None
        settled = self.b.settle(draw, flipped)
        wrong = self.b.draw_unchecked(draw, settled, len(self.path), self.path, None)
        return self.path, wrong, (), f"{_short(wrong)} meets 'if', so 'then' applies, and breaks it"

    def one_of_twice(self, draw: Draw, ident: tuple[Any, ...]) -> _Outcome | None:
        """A value matching two branches of a ``oneOf`` at once."""
        owner = self.node.owners[ident]
        chosen = self.node.choices[ident]
        others = [j for j in range(len(owner.schema["oneOf"])) if j != chosen]
        if not others:
            return None
        other = _pick(draw, others)
        try:
            both = self.b.node(
                (*self.node.parts, owner.child("oneOf", other)), self.node.choices, lenient=True
            )
        except UnsatisfiableSchema:
            return None
        settled = self.b.settle(draw, both)
        wrong = self.b.draw_unchecked(draw, settled, len(self.path), self.path, None)
        return (
            self.path,
            wrong,
            ("oneOf",),
            f"{_short(wrong)} matches both oneOf branches {chosen} and {other}",
        )

    def min_props(self, draw: Draw) -> _Outcome | None:
        target = self.node.min_props - 1
        wrong = dict(self.value)
        for name in reversed(list(wrong)):
            if len(wrong) <= target:
                break
            if name not in self.node.required:
                del wrong[name]
        if len(wrong) > target:
            return None
        return (
            self.path,
            wrong,
            ("minProperties",),
            f"{len(wrong)} properties, minProperties is {self.node.min_props}",
        )

    def max_props(self, draw: Draw) -> _Outcome | None:
        limit = self.node.max_props
        assert limit is not None
        wrong = dict(self.value)
        declared = [k for src in self.node.obj_sources for k in src.props]
        for _ in range(GROW_LIMIT + 4):
            if len(wrong) > limit:
                break
            name = next((k for k in declared if k not in wrong), None)
            if name is None:
                name = self.b.extra_key(draw, self.node, len(self.path))
            if name is None or name in wrong:
                continue
            parts = self.b.key_parts(self.node, name)
            if parts is None:
                continue
            try:
                child = self.b.node(parts)
            except UnsatisfiableSchema:
                continue
            wrong[name] = self.b.draw_value(draw, child, len(self.path) + 1)
        if len(wrong) <= limit:
            return None
        return (
            self.path,
            wrong,
            ("maxProperties",),
            f"{len(wrong)} properties, maxProperties is {limit}",
        )

    def dependent(self, draw: Draw, item: tuple[str, tuple[str, ...]]) -> _Outcome | None:
        name, deps = item
        value = self.value
        if name in value:
            removable = [d for d in deps if d in value and d not in self.node.required]
            if not removable:
                return None
            dep = _pick(draw, removable)
            wrong = {k: v for k, v in value.items() if k != dep}
            return (
                self.path,
                wrong,
                ("dependentRequired",),
                f"removed {dep!r}, which {name!r} requires",
            )
        missing = [d for d in deps if d not in value]
        parts = self.b.key_parts(self.node, name)
        if not missing or parts is None:
            return None
        try:
            child = self.b.node(parts)
        except UnsatisfiableSchema:
            return None
        wrong = {**value, name: self.b.draw_value(draw, child, len(self.path) + 1)}
        return (
            self.path,
            wrong,
            ("dependentRequired",),
            f"added {name!r} without {missing[0]!r}, which it requires",
        )

    def bad_property(self, draw: Draw, absent: list[str]) -> _Outcome | None:
        name = _pick(draw, absent)
        parts = self.b.key_parts(self.node, name)
        if not parts:
            return None
        try:
            child = self.b.node(parts)
        except UnsatisfiableSchema:
            return None
        return self._bad_child(draw, child, name)


def _matches(error: Any, keywords: tuple[str, ...], pointer: str) -> bool:
    at = pointer_of(list(error.absolute_path))
    keyword = error_keyword(error)
    if keyword in keywords and at == pointer:
        return True
    if keyword == "false" == keywords[0] and pointer.rpartition("/")[0] == at:
        # a false subschema reached with no step of its own (a property name's, say)
        # reports at the object holding what it refused
        return True
    if keyword in ("anyOf", "oneOf") and error.context:
        return any(_matches(e, keywords, pointer) for e in error.context)
    if keyword in ("unevaluatedProperties", "unevaluatedItems") and pointer.startswith(at + "/"):
        # These report at the parent: accept when the broken child is the one reported.
        child = pointer[len(at) + 1 :].split("/")[0].replace("~1", "/").replace("~0", "~")
        return keyword == "unevaluatedItems" or f"{child!r} was" in error.message
    return False


def _accepted(
    builder: Builder, value: Any, keywords: tuple[str, ...], pointer: str
) -> tuple[str, str] | None:
    """(keyword, pointer) of the single fault in ``value``, or None if it is not single."""
    errors = list(builder.root_validator.iter_errors(value))
    if not errors:
        return None
    if keywords:
        ok = all(_matches(e, keywords, pointer) for e in errors)
        return (keywords[0], pointer) if ok else None
    # Any one keyword will do, as long as every error is that keyword at one place.
    faults = {(error_keyword(e), pointer_of(list(e.absolute_path))) for e in errors}
    if len(faults) != 1:
        return None
    keyword, at = faults.pop()
    return keyword, pointer if pointer.startswith(at) else at


@st.composite
def mutations(draw: Draw, builder: Builder) -> Mutation:
    """A strategy of :class:`Mutation` for the schema compiled in ``builder``."""
    root = builder.root_node()
    trace: list[TraceEntry] = []
    value = builder.draw_value(draw, root, 0, (), trace, constrained=True)
    # Offers grouped by kind, kinds drawn evenly: otherwise the many places that each
    # offer a type mix-up would crowd out the rarer, more telling faults.
    offers: dict[str, list[tuple[_Thunk, Path]]] = {}
    for entry in trace:
        for thunk in _Mutator(builder, entry).thunks():
            offers.setdefault(_kind(thunk), []).append((thunk, entry.path))
    for _ in range(TRIES):
        if not offers:
            break
        kinds = list(offers)
        kind = kinds[draw(st.integers(0, len(kinds) - 1))] if len(kinds) > 1 else kinds[0]
        group = offers[kind]
        thunk, path = group.pop(draw(st.integers(0, len(group) - 1)) if len(group) > 1 else 0)
        if not group:
            del offers[kind]
        outcome = thunk(draw)
        if outcome is None:
            continue
        broken, new, keywords, description, *label = outcome
        mutated = _replace(value, path, new)
        pointer = pointer_of(broken)
        found = _accepted(builder, mutated, keywords, pointer)
        if found is not None:
            return Mutation(mutated, found[1], label[0] if label else found[0], description)
    reject()


def can_break(builder: Builder, node: Node) -> bool:
    """Whether a mutation can exist: False when every value satisfies the schema (``true``,
    ``{}``, ``{"items": true}``...), so the strategy is ``nothing()`` rather than failing."""
    return not builder.accepts_all(node)
