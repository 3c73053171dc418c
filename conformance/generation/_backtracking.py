"""Static detection of super-linear backtracking in a pattern (ReDoS), with a witness.

A backtracking engine (``regex``, ``re``, ECMA-262 engines) tries the ways a pattern can match
one after the other; when a text has many ways to be matched up to a point where the match
then fails, it tries them all.  The number of ways is the *ambiguity* of the pattern's
automaton, and it is decided without running anything (Weideman et al., "Analyzing matching
time behavior of backtracking regular expression matchers by using ambiguity of NFA", 2016):

- **exponential** when some state can loop back to itself along two different paths reading
  the same text: ``(a|a)+``, ``(\\w+\\s?)*``, ``(\\d+)+``.  Each round of the loop doubles the
  ways (nested quantifiers, overlapping alternations under a quantifier);
- **polynomial** of degree k when k loops follow each other and one text can go round the
  first, lead from it to the next, and go round that one: ``[a-z]+[a-z0-9]*@``, ``\\s+$``
  searched anywhere in a value (the search tries every start, a loop of its own).

Both only cost time when the match can then fail: a pattern that accepts wherever the loop
stops (``(a|a)+`` unanchored at its end) never backtracks into it, and is not reported.

The automaton is the position automaton (Glushkov) of the pattern, built over ``re``'s parse
tree after :func:`conformance.generation._regex.translate` has rewritten ``regex``-only
classes (``\\p{Han}``) into exact code point ranges.  Unlike the textbook construction it keeps
*how many ways* each transition exists (``(a+)+`` has two ``a`` to ``a`` transitions: the
inner loop and the outer one), which is what a backtracking engine explores.  Counted
repetitions with a small optional part (``{2,6}``) are expanded; larger ones are treated as
unbounded (their cost grows with the count like a loop's).  Backreferences and lookarounds are
read as matching the empty string (an approximation: both are rare in standards).

The analysis is bounded: a pattern whose automaton is too large to analyse is not reported.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from conformance.generation._regex import (
    PatternError,
    _category,
    _complement,
    _intersect,
    _normalise,
    translate,
)

__all__ = ["Backtracking", "backtracking"]

sre_p: Any = importlib.import_module("re._parser")
sre_c: Any = importlib.import_module("re._constants")

Interval = tuple[int, int]
Chars = tuple[Interval, ...]
EOI = 0x110000  # "end of input": what ``$`` and ``\Z`` read
_END: Chars = ((EOI, EOI),)
_ALL: Chars = ((0, 0x10FFFF),)
MAX_POSITIONS = 400  # beyond this the pattern is not analysed
MAX_STEPS = 400_000  # product-automaton states explored per pattern
_MANDATORY_COPIES = 6  # x{17} is read as x{6}: fixed copies add no loop
_OPTIONAL_COPIES = 10  # x{2,6} is expanded; x{2,50} is read as x{2,}
_NICE = "a0A _-.@,:/!中"


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Backtracking:
    """A pattern that backtracks super-linearly, and a text that shows it."""

    kind: str  # "exponential" or "polynomial"
    degree: int  # the polynomial's degree (2: quadratic); 0 for exponential
    prefix: str
    pump: str
    suffix: str

    def witness(self, repeats: int = 8) -> str:
        return self.prefix + self.pump * repeats + self.suffix

    def describe(self) -> str:
        """English: what grows, and with which text."""
        shown = repr(self.prefix + self.pump * 3)[:-1] + "…" + repr(self.suffix)[1:]
        if self.kind == "exponential":
            growth = "exponentially (each repetition doubles the ways to match)"
        else:
            name = {2: "quadratically", 3: "cubically"}.get(self.degree, f"as n^{self.degree}")
            growth = f"{name} (about n^{self.degree} steps for n repetitions)"
        return f"matching time grows {growth} with values such as {shown}, {self.pump!r} repeated"


@dataclass
class _Frag:
    first: Counter[int] = field(default_factory=Counter)
    last: Counter[int] = field(default_factory=Counter)
    null: int = 0  # ways to match the empty string (capped at 2)


def _cap(n: int) -> int:
    return min(n, 2)


class _Automaton:
    """Positions (char sets), counted transitions between them, and the final positions."""

    def __init__(self) -> None:
        self.chars: list[Chars] = []
        self.follow: Counter[tuple[int, int]] = Counter()

    def position(self, chars: Chars) -> _Frag:
        if len(self.chars) >= MAX_POSITIONS:
            raise _TooLarge
        self.chars.append(chars)
        index = len(self.chars) - 1
        return _Frag(Counter({index: 1}), Counter({index: 1}), 0)

    def link(self, last: Counter[int], first: Counter[int]) -> None:
        for p, m in last.items():
            for q, n in first.items():
                self.follow[(p, q)] += m * n

    # --- the parse tree -------------------------------------------------------------

    def seq(self, items: Iterable[tuple[Any, Any]], flags: int) -> _Frag:
        frag = _Frag(null=1)
        for op, av in items:
            frag = self.concat(frag, self.item(op, av, flags))
        return frag

    def concat(self, a: _Frag, b: _Frag) -> _Frag:
        self.link(a.last, b.first)
        first = a.first + Counter({p: n * a.null for p, n in b.first.items()})
        last = b.last + Counter({p: n * b.null for p, n in a.last.items()})
        return _Frag(first, last, _cap(a.null * b.null))

    def alt(self, frags: list[_Frag]) -> _Frag:
        first: Counter[int] = Counter()
        last: Counter[int] = Counter()
        for frag in frags:
            first += frag.first
            last += frag.last
        return _Frag(first, last, _cap(sum(f.null for f in frags)))

    def star(self, body: _Frag) -> _Frag:
        self.link(body.last, body.first)  # another round of the loop
        return _Frag(Counter(body.first), Counter(body.last), 1)

    def repeat(self, sub: Any, low: int, high: int, flags: int) -> _Frag:
        frag = _Frag(null=1)
        for _ in range(min(low, _MANDATORY_COPIES)):
            frag = self.concat(frag, self.seq(sub, flags))
        if high == sre_c.MAXREPEAT or high - low > _OPTIONAL_COPIES:
            if low == 0:
                return self.concat(frag, self.star(self.seq(sub, flags)))
            body = self.seq(sub, flags)  # x{2,} is x x x*: one more copy, looping
            return self.concat(frag, self.plus(body))
        optional = _Frag(null=1)  # x{0,3} as (x(x(x)?)?)?: one way per count
        for _ in range(high - low):
            optional = self.alt([_Frag(null=1), self.concat(self.seq(sub, flags), optional)])
        return self.concat(frag, optional)

    def plus(self, body: _Frag) -> _Frag:
        self.link(body.last, body.first)
        return body

    def item(self, op: Any, av: Any, flags: int) -> _Frag:
        if op is sre_c.LITERAL:
            return self.position(_literal(av, flags))
        if op is sre_c.NOT_LITERAL:
            return self.position(_complement(_literal(av, flags)))
        if op is sre_c.ANY:
            dotall = flags & re.DOTALL
            return self.position(_ALL if dotall else _complement(((10, 10),)))
        if op is sre_c.IN:
            return self.position(_char_class(av, flags))
        if op is sre_c.BRANCH:
            return self.alt([self.seq(branch, flags) for branch in av[1]])
        if op is sre_c.SUBPATTERN:
            _, add, remove, sub = av
            return self.seq(sub, (flags | add) & ~remove)
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            low, high, sub = av
            return self.repeat(sub, low, high, flags)
        if op is sre_c.POSSESSIVE_REPEAT or op is sre_c.ATOMIC_GROUP:
            # no backtracking into it: one opaque step over the characters it may read
            sub = av[2] if op is sre_c.POSSESSIVE_REPEAT else av
            return self.position(_reads(sub, flags) or _ALL)
        if op is sre_c.AT:
            if av in (sre_c.AT_END, sre_c.AT_END_STRING):
                return self.position(_END)
            return _Frag(null=1)
        if op is sre_c.GROUPREF_EXISTS:
            _, yes, no = av
            return self.alt([self.seq(yes, flags), self.seq(no, flags) if no else _Frag(null=1)])
        return _Frag(null=1)  # lookarounds, backreferences: read as empty


def _literal(code: int, flags: int) -> Chars:
    if flags & re.IGNORECASE:
        char = chr(code)
        return _normalise([(ord(c), ord(c)) for c in {char, char.lower(), char.upper()}])
    return ((code, code),)


def _char_class(items: Any, flags: int) -> Chars:
    intervals: list[Interval] = []
    negate = False
    for op, av in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            intervals.extend(_literal(av, flags))
        elif op is sre_c.RANGE:
            intervals.append((av[0], av[1]))
            if flags & re.IGNORECASE:
                intervals += _case_ranges(av[0], av[1])
        elif op is sre_c.CATEGORY:
            intervals.extend(_category(av, flags, exact=True))
        else:
            raise PatternError(f"unsupported character class item {op}")
    return _complement(intervals) if negate else _normalise(intervals)


def _case_ranges(low: int, high: int) -> list[Interval]:
    out = []
    for lo, hi, shift in ((0x61, 0x7A, -32), (0x41, 0x5A, 32)):
        a, b = max(low, lo), min(high, hi)
        if a <= b:
            out.append((a + shift, b + shift))
    return out


def _reads(items: Any, flags: int) -> Chars:
    """Every character a subpattern may read (for an opaque atomic step)."""
    automaton = _Automaton()
    automaton.seq(items, flags)
    return _normalise([i for chars in automaton.chars for i in chars if i != (EOI, EOI)])


# --- analysis ---------------------------------------------------------------------------


class _Graph:
    def __init__(self, automaton: _Automaton, start: _Frag, final: Counter[int]) -> None:
        self.chars = automaton.chars
        self.out: dict[int, list[tuple[int, int]]] = {}
        for (p, q), n in automaton.follow.items():
            self.out.setdefault(p, []).append((q, n))
        self.start = start.first
        self.final = set(final)
        self._meet: dict[tuple[int, int], Chars] = {}

    def meet(self, a: int, b: int) -> Chars:
        key = (a, b) if a <= b else (b, a)
        found = self._meet.get(key)
        if found is None:
            found = self._meet[key] = _intersect(self.chars[a], self.chars[b])
        return found

    def successors(self, p: int) -> list[tuple[int, int]]:
        return self.out.get(p, [])

    def components(self) -> list[set[int]]:
        """Strongly connected components with a loop (iterative Tarjan)."""
        index: dict[int, int] = {}
        low: dict[int, int] = {}
        on_stack: set[int] = set()
        stack: list[int] = []
        found: list[set[int]] = []
        counter = 0
        for root in range(len(self.chars)):
            if root in index:
                continue
            work: list[tuple[int, Iterator[tuple[int, int]]]] = [
                (root, iter(self.successors(root)))
            ]
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack.add(root)
            while work:
                node, edges = work[-1]
                advanced = False
                for child, _ in edges:
                    if child not in index:
                        index[child] = low[child] = counter
                        counter += 1
                        stack.append(child)
                        on_stack.add(child)
                        work.append((child, iter(self.successors(child))))
                        advanced = True
                        break
                    if child in on_stack:
                        low[node] = min(low[node], index[child])
                if advanced:
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    looping = len(component) > 1 or any(q == node for q, _ in self.successors(node))
                    if looping:
                        found.append(component)
        return found

    def path_to(self, target: int) -> str | None:
        """A shortest text leading from the start to ``target``."""
        seen = {p: _char(self.chars[p]) for p in self.start}
        queue = deque(self.start)
        parents: dict[int, int | None] = dict.fromkeys(self.start)
        while queue:
            p = queue.popleft()
            if p == target:
                text = []
                node: int | None = p
                while node is not None:
                    text.append(seen[node])
                    node = parents[node]
                return "".join(reversed(text))
            for q, _ in self.successors(p):
                if q not in parents:
                    parents[q] = p
                    seen[q] = _char(self.chars[q])
                    queue.append(q)
        return None

    def failing(self, states: Iterable[int]) -> str | None:
        """A character (or the end) after which none of ``states`` can go on, and none of
        them accepts: the match fails there and the engine backtracks."""
        states = list(states)
        if any(p in self.final for p in states):
            return None
        taken = [i for p in states for q, _ in self.successors(p) for i in self.chars[q]]
        free = _complement(taken) if taken else _ALL
        if not free:
            return None
        # then the shortest way on to a match, so that an engine's required-literal shortcut
        # (no '@' in the value: no match possible) does not skip the backtracking
        return _char(free, _FAILING) + (self.completion(states) or "")

    def completion(self, states: list[int]) -> str | None:
        """A shortest text from one of ``states`` to a match."""
        parents: dict[int, tuple[int, str] | None] = dict.fromkeys(states)
        queue = deque(states)
        while queue:
            p = queue.popleft()
            if p in self.final:
                return _text(parents, p)
            for q, _ in self.successors(p):
                if q not in parents:
                    chars = self.chars[q]
                    parents[q] = (p, "" if chars == _END else _char(chars))
                    queue.append(q)
        return None


_FAILING = "!#~% a0"


@lru_cache(maxsize=4096)
def _char(chars: Chars, preferred: str = _NICE) -> str:
    for c in preferred:
        if _intersect(chars, ((ord(c), ord(c)),)):
            return c
    for lo, hi in chars:
        for code in range(lo, min(hi, lo + 200) + 1):
            if code != EOI and chr(code).isprintable():
                return chr(code)
    return "" if chars[0][0] == EOI else chr(chars[0][0])


class _Budget:
    def __init__(self) -> None:
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _TooLarge


def _exponential(graph: _Graph, component: set[int], budget: _Budget) -> tuple[int, str] | None:
    """A state of ``component`` and a text that loops it back along two paths."""
    for p in component:
        for q, n in graph.successors(p):
            if q in component and n > 1:  # two ways for the same step, on a loop
                back = _loop_text(graph, q, p, component)
                if back is not None:
                    return q, back + _char(graph.chars[q])
    # two different paths: in the product of the loop with itself, from a diagonal pair
    # (q, q) back to it, through a pair of different states on the way
    for start in sorted(component):
        origin = (start, start, False)
        parents: dict[tuple[int, int, bool], tuple[Any, str] | None] = {origin: None}
        queue = deque([origin])
        while queue:
            node = queue.popleft()
            budget.step()
            a, b, apart = node
            for a2, _ in graph.successors(a):
                if a2 not in component:
                    continue
                for b2, _ in graph.successors(b):
                    if b2 not in component:
                        continue
                    common = graph.meet(a2, b2)
                    if not common or common == _END:
                        continue
                    following = (a2, b2, apart or a2 != b2)
                    if following == (start, start, True):
                        return start, _text(parents, node) + _char(common)
                    if following not in parents:
                        parents[following] = (node, _char(common))
                        queue.append(following)
    return None


def _text(parents: dict[Any, Any], node: Any) -> str:
    text = []
    while parents[node] is not None:
        node, char = parents[node]
        text.append(char)
    return "".join(reversed(text))


def _loop_text(graph: _Graph, start: int, end: int, within: set[int]) -> str | None:
    """A text leading from ``start`` to ``end`` inside ``within`` ('' when they are one)."""
    parents: dict[int, tuple[int, str] | None] = {start: None}
    queue = deque([start])
    while queue:
        p = queue.popleft()
        if p == end:
            return _text(parents, p)
        for q, _ in graph.successors(p):
            if q in within and q not in parents and graph.chars[q] != _END:
                parents[q] = (p, _char(graph.chars[q]))
                queue.append(q)
    return None


def _polynomial(
    graph: _Graph, first: set[int], second: set[int], budget: _Budget
) -> tuple[int, str] | None:
    """p in ``first``, q in ``second`` and a text w with p -w-> p, p -w-> q, q -w-> q."""
    for p in sorted(first):
        for q in sorted(second):
            origin = (p, p, q)
            parents: dict[tuple[int, int, int], tuple[Any, str] | None] = {origin: None}
            queue = deque([origin])
            while queue:
                triple = queue.popleft()
                budget.step()
                x, y, z = triple
                for x2, _ in graph.successors(x):
                    if x2 not in first:
                        continue
                    for z2, _ in graph.successors(z):
                        if z2 not in second:
                            continue
                        common = graph.meet(x2, z2)
                        if not common or common == _END:
                            continue
                        for y2, _ in graph.successors(y):
                            shared = _intersect(common, graph.chars[y2])
                            if not shared:
                                continue
                            following = (x2, y2, z2)
                            if following == (p, q, q):
                                return p, _text(parents, triple) + _char(shared)
                            if following not in parents:
                                parents[following] = (triple, _char(shared))
                                queue.append(following)
    return None


@lru_cache(maxsize=1024)
def backtracking(pattern: str) -> Backtracking | None:
    """How ``pattern`` (searched anywhere in a value, ``regex`` semantics) backtracks
    super-linearly, or None when it does not (or cannot be analysed)."""
    try:
        parsed = sre_p.parse(translate(pattern))
    except (PatternError, re.error, RecursionError):
        return None
    try:
        return _analyse(parsed)
    except (_TooLarge, PatternError, RecursionError):
        return None


def _anchored(parsed: Any) -> bool:
    items = list(parsed)
    return bool(items) and items[0] in (
        (sre_c.AT, sre_c.AT_BEGINNING_STRING),
        (sre_c.AT, sre_c.AT_BEGINNING),
    )


def _analyse(parsed: Any) -> Backtracking | None:
    automaton = _Automaton()
    flags = parsed.state.flags
    body = automaton.seq(parsed, flags)
    searched: int | None = None
    if not _anchored(parsed):  # a search tries every start: a loop over any character first
        scan = automaton.star(automaton.position(_ALL))
        searched = next(iter(scan.first))
        start = _Frag(Counter({searched: 1}) + body.first, body.last, body.null)
        automaton.link(scan.last, body.first)
    else:
        start = body
    graph = _Graph(automaton, start, body.last)
    budget = _Budget()
    loops = graph.components()
    for component in loops:
        if searched in component:
            continue
        found = _exponential(graph, component, budget)
        if found is None:
            continue
        state, pump = found
        suffix = graph.failing(component)
        prefix = graph.path_to(state)
        if suffix is not None and prefix is not None:
            return Backtracking("exponential", 0, prefix, pump, suffix)
    # polynomial: chains of loops that one text can go round in turn
    best: Backtracking | None = None
    degree: dict[int, int] = {}
    for j, second in enumerate(loops):  # Tarjan lists a component after those it reaches
        for i in range(j + 1, len(loops)):
            first = loops[i]
            found = _polynomial(graph, first, second, budget)
            if found is None:
                continue
            suffix = graph.failing(second if searched in first else first | second)
            if suffix is None:
                continue
            d = degree.get(j, 1) + 1
            degree[i] = max(degree.get(i, 1), d)
            state, pump = found
            prefix = graph.path_to(state)
            if prefix is None:
                continue
            if best is None or degree[i] > best.degree:
                prefix = "" if searched in first else prefix
                best = Backtracking("polynomial", degree[i], prefix, pump, suffix)
    return best
