"""What the generator cannot draw, found before anything is drawn.

:class:`~conformance.generation.Builder` compiles a schema lazily: a ``$dynamicRef`` three
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

from conformance.generation._regex import PatternError, regex_generator
from conformance.generation._schema import Builder, Part, UnsupportedSchema

__all__ = ["Unsupported", "refuse_unsupported", "unsupported"]

# Keywords whose values are schemas (one, a list, or a mapping of them), as the builder reads.
_ONE = Builder._ONE
_MANY = Builder._MANY
_NAMED = Builder._NAMED
_LIMIT = 20_000  # subschemas walked per schema


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
        from referencing.jsonschema import DRAFT202012

        resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
        pointer = ""
    stack = [Part(schema, resolver, pointer)]
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
        if part.key in seen:
            continue
        seen.add(part.key)
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
            stack.append(Part(resolved.contents, resolved.resolver, ref.partition("#")[2]))
    return found


def _pattern(part: Part, keyword: str, pattern: str, found: list[Unsupported]) -> None:
    try:
        regex_generator(pattern)
    except PatternError as exc:
        where = f"{part.where()}/{keyword}"
        found.append(Unsupported(where, f"the request generator cannot draw values: {exc}"))


def refuse_unsupported(schema: Mapping[str, Any] | bool, resolver: Resolver[Any]) -> None:
    """Raise :class:`UnsupportedSchema` naming the first construct :func:`unsupported`
    finds: for a run being prepared, before any request is sent."""
    problems = unsupported(schema, resolver)
    if problems:
        raise UnsupportedSchema(str(problems[0]))
