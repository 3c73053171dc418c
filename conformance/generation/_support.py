"""What the generator cannot draw, found before anything is drawn.

The generator's builder compiles a schema lazily: a ``$dynamicRef`` three
levels below the root, or a subschema that is neither an object nor a boolean, is met only when
a draw reaches it, after a run has sent requests.  :func:`unsupported` walks everything the
generator could reach (subschemas, ``$ref`` targets in any file) once and lists each such
construct with its location, so that lint reports them and a run refuses them when it is
prepared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from referencing._core import Resolver
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from conformance.generation._regex import PatternError, regex_generator

__all__ = ["Unsupported", "refuse_unsupported", "unsupported"]

# Keywords whose values are schemas: one, a list of them, or a mapping of names to them.
_ONE = (
    *("additionalProperties", "unevaluatedProperties", "unevaluatedItems", "items"),
    *("contains", "propertyNames", "not", "if", "then", "else"),
)
_MANY = ("prefixItems", "allOf", "anyOf", "oneOf")
_NAMED = ("properties", "patternProperties", "$defs", "dependentSchemas")
_LIMIT = 20_000  # subschemas walked per schema


def _token(key: str | int) -> str:
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class _Place:
    """A subschema, the resolver its refs resolve against, and its pointer there."""

    schema: Any
    resolver: Resolver[Any]
    pointer: str

    def where(self) -> str:
        return f"{getattr(self.resolver, '_base_uri', '')}#{self.pointer}"

    def child(self, *keys: str | int) -> _Place:
        target = self.schema
        for key in keys:
            target = target[key]
        resolver, pointer = self.resolver, self.pointer + "".join(map(_token, keys))
        if isinstance(target, Mapping) and isinstance(target.get("$id"), str):
            resolver = resolver.in_subresource(DRAFT202012.create_resource(target))
            pointer = ""
        return _Place(target, resolver, pointer)


@dataclass(frozen=True)
class Unsupported:
    """A construct the generator cannot draw, and where (a URI with a JSON pointer)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def unsupported(
    schema: Mapping[str, Any] | bool, resolver: Resolver[Any], pointer: str = ""
) -> list[Unsupported]:
    """Every construct reachable from ``schema`` that generation would refuse mid-draw.

    ``pointer``: where ``schema`` is in the document ``resolver`` is based at, so that the
    locations found are pointers in that document."""
    found: list[Unsupported] = []
    if isinstance(schema, Mapping) and isinstance(schema.get("$id"), str):
        resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
        pointer = ""
    stack = [_Place(schema, resolver, pointer)]
    seen: set[tuple[int, str]] = set()
    while stack and len(seen) < _LIMIT:
        part = stack.pop()
        node = part.schema
        if isinstance(node, bool):
            continue
        if not isinstance(node, Mapping):
            found.append(
                Unsupported(
                    part.where(),
                    f"a schema must be an object or a boolean, not {type(node).__name__}",
                )
            )
            continue
        key = (id(node), str(getattr(part.resolver, "_base_uri", "")))
        if key in seen:
            continue
        seen.add(key)
        for keyword in ("$dynamicRef", "$recursiveRef"):
            if keyword in node:
                found.append(
                    Unsupported(
                        f"{part.where()}/{keyword}",
                        f"{keyword}={node[keyword]!r}: the request generator cannot draw "
                        "values for dynamic references; expected a $ref",
                    )
                )
        for keyword in ("pattern",):
            if isinstance(node.get(keyword), str):
                _pattern(part, keyword, node[keyword], found)
        for name in node.get("patternProperties") or {}:
            if isinstance(name, str):
                _pattern(part, "patternProperties", name, found)
        stack.extend(part.child(k) for k in _ONE if k in node)
        for keyword in _MANY:
            values = node.get(keyword)
            if isinstance(values, list):
                stack.extend(part.child(keyword, i) for i in range(len(values)))
        for keyword in _NAMED:
            values = node.get(keyword)
            if isinstance(values, Mapping):
                stack.extend(part.child(keyword, name) for name in values)
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                resolved = part.resolver.lookup(ref)
            except Unresolvable as exc:
                found.append(
                    Unsupported(f"{part.where()}/$ref", f"$ref={ref!r} does not resolve: {exc}")
                )
                continue
            target = _Place(resolved.contents, resolved.resolver, ref.partition("#")[2])
            stack.append(target)
    return found


def _pattern(part: _Place, keyword: str, pattern: str, found: list[Unsupported]) -> None:
    try:
        regex_generator(pattern)
    except PatternError as exc:
        where = f"{part.where()}/{keyword}"
        found.append(Unsupported(where, f"the request generator cannot draw values: {exc}"))


def refuse_unsupported(schema: Mapping[str, Any] | bool, resolver: Resolver[Any]) -> None:
    """Raise :class:`UnsupportedSchema` naming the first construct :func:`unsupported`
    finds: for a run being prepared, before any request is sent."""
    from conformance.generation import UnsupportedSchema

    problems = unsupported(schema, resolver)
    if problems:
        raise UnsupportedSchema(str(problems[0]))
