"""Draw: values built to satisfy a node, from Hypothesis draws only.

For a node: settle its open choices (a drawn option of each anyOf, oneOf, if,
dependentSchemas), pick a type, build a value of it within the merged constraints (numbers
as multiples within the bounds, the bounds themselves often; strings from their format or
pattern; arrays and objects from the schemas of each item and property), and check the
keywords that are not built in, retrying a few times.  Only Hypothesis draws are used (no
``random``, no clock, no set iteration order), so a seeded run replays exactly.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from conformance.generation._analyse import Analyser
from conformance.generation._model import (
    ARRAY_EXTRA,
    ATTEMPTS,
    BRANCH_STEPS,
    EXTRA_KEY_PATTERN,
    EXTRA_KEYS,
    HARD_DEPTH,
    NUMBER_SPAN,
    SCALARS,
    SOFT_DEPTH,
    Draw,
    Node,
    Part,
    Path,
    TraceEntry,
    UnsatisfiableSchema,
    ceil,
    constrained_types,
    floor,
    is_multiple,
    json_key,
    min_opt,
)
from conformance.generation._regex import INF, RegexGenerator, regex_generator, text_sampler
from conformance.regex_validator import pattern_search

__all__ = ["Drawer"]


class Drawer:
    """Draws values for the nodes of one :class:`Analyser`."""

    def __init__(self, analyser: Analyser) -> None:
        self.a = analyser
        self._stack: list[int] = []  # ids of the (unsettled) nodes being drawn, outermost first
        self._strategies: dict[str, st.SearchStrategy[str]] = {}

    def format_strategy(self, name: str, *, valid: bool = True) -> st.SearchStrategy[str]:
        cache_key = f"{'+' if valid else '-'}{name}"
        found = self._strategies.get(cache_key)
        if found is None:
            fmt = self.a.formats[name]
            found = fmt.valid() if valid else fmt.invalid()
            self._strategies[cache_key] = found
        return found

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
            if not node.needs_check or self.a.satisfies(node, value):
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
            found = self.a.options(node, node.branches[0])
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
            first = floor(k) + 1 if low.exclusive else ceil(k)
        if high is not None:
            k = Fraction(high.value) / step
            last = ceil(k) - 1 if high.exclusive else floor(k)
        span = max(1, floor(Fraction(NUMBER_SPAN) / step))
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
        step = self.a.step(node, integer=True)
        for _ in range(ATTEMPTS):
            # A decimal multipleOf (0.1) is checked in binary floating point, like
            # python-jsonschema does, which refuses some exact multiples: draw again.
            value = int(self._k_range(node, step, draw) * step)
            if all(is_multiple(value, m) for m, _ in node.multiples):
                return value
        reject()

    def _draw_number(self, draw: Draw, node: Node) -> int | float:
        if node.multiples:
            step = self.a.step(node, integer=False)
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
            span = self.a.multiple_range(node, integer=True)
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
            if name != skip_format and self.a.formats[name].check(text) is not None:
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
        top = min_opt(node.max_items, self.a.array_cap(node))
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
            parts = self.a.index_parts(node, index)
            if parts is None:
                reject()
            try:
                child = self.a.node(parts + tuple(extra.get(index, ())))
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
        return self.a.key_parts(node, "extra_field") is not None

    def extra_key(self, draw: Draw, node: Node, depth: int) -> str | None:
        """A new property name the schema allows, or None after a few attempts."""
        for _ in range(ATTEMPTS):
            if node.property_names:
                try:
                    names = self.a.node(node.property_names)
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
                    name = regex_generator(EXTRA_KEY_PATTERN).draw(draw)
            if self.a.key_parts(node, name) is not None:
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
            if k not in keys and self.a.key_parts(node, k) is not None
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
                    if self.a.key_parts(node, dep) is not None:
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
            parts = self.a.key_parts(node, name)
            if parts is None:
                reject()
            try:
                child = self.a.node(parts)
            except UnsatisfiableSchema:
                reject()
            out[name] = self.draw_value(draw, child, depth + 1, (*path, name), trace)
        return out
