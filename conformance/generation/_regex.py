"""Strings that match a regular expression with ``regex`` package semantics.

Hypothesis' ``st.from_regex`` only knows the standard-library ``re`` and has no control over
the length of what it makes. Here a pattern is first rewritten into ``re`` syntax: every
Unicode property class (``\\p{Han}``, ``\\P{L}``, ``\\pN``, ``\\p{Script=Han}``) and POSIX class
(``[[:alpha:]]``) is replaced by its exact code point ranges, computed once by ``regex`` itself
over all of Unicode, so the rewrite matches exactly what ``regex`` matches. The rewritten
pattern is parsed with ``re``'s parser and walked by a generator that steers repetition counts
towards a wanted length window (``minLength`` / ``maxLength``).

Supported: literals, classes (ranges, negation, ``\\d \\w \\s`` and their negations, property
and POSIX classes), ``.``, alternation, groups, backreferences, conditional groups, greedy /
lazy / possessive repeats, atomic groups. Anchors, ``\\b`` and lookarounds are zero-width:
the generator ignores them and every result is re-checked with ``regex`` (a few attempts,
then the example is rejected). Anything else ``re`` cannot parse after the rewrite
(fuzzy matching, ``\\X``, V1 set operations...) raises :class:`PatternError`.

Generation is conservative where engines disagree: ``\\d`` yields ASCII digits, ``\\w`` ASCII
word characters and ``\\s`` ASCII white space (subsets of what ``regex`` accepts, and what
ECMA-262 engines accept too), while negated classes avoid the full Unicode class.
"""

from __future__ import annotations

import bisect
import importlib
import re
import sys
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import regex
from hypothesis import strategies as st

from conformance.regex_validator import pattern_search

__all__ = [
    "CharSampler",
    "PatternError",
    "RegexGenerator",
    "regex_generator",
    "text_sampler",
    "translate",
]

# re's parser is private API (moved from sre_parse in 3.11) and has no type stubs.
sre_p: Any = importlib.import_module("re._parser")
sre_c: Any = importlib.import_module("re._constants")

Draw = Callable[[st.SearchStrategy[Any]], Any]
Interval = tuple[int, int]  # inclusive code point range

_MAX = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)
_LITTLE = sys.byteorder == "little"
INF = 1 << 30  # "unbounded" length
# Repeats without an upper bound stop this many times past their minimum unless a length
# window asks for more: keeps generated strings short.
_SOFT_REPEAT = 4


class PatternError(ValueError):
    """A pattern that does not compile with ``regex`` or uses syntax the generator lacks."""


# --- code point interval arithmetic -------------------------------------------------------


def _normalise(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    merged: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def _complement(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    start = 0
    for lo, hi in _normalise(intervals):
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= _MAX:
        out.append((start, _MAX))
    return _without_surrogates(out)


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _without_surrogates(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    # Lone surrogates cannot be encoded as UTF-8, so no JSON document carries them.
    return _intersect(_normalise(intervals), ((0, _SURROGATES[0] - 1), (_SURROGATES[1] + 1, _MAX)))


def _size(intervals: Sequence[Interval]) -> int:
    return sum(hi - lo + 1 for lo, hi in intervals)


def _code_points(low: int, high: int) -> str:
    """The characters ``low`` .. ``high - 1`` as one string, built without one object per
    character (joining 1.1 million one-character strings held about 90 MB at once)."""
    return array("I", range(low, high)).tobytes().decode("utf-32-le" if _LITTLE else "utf-32-be")


@cache
def _all_characters() -> tuple[str, str]:
    return _code_points(0, _SURROGATES[0]), _code_points(_SURROGATES[1] + 1, _MAX + 1)


def _ranges_matching(pattern: Any) -> tuple[Interval, ...]:
    """Code point ranges of a compiled ``X+`` pattern where X matches one character."""
    low, high = _all_characters()
    found = [(m.start(), m.end() - 1) for m in pattern.finditer(low)]
    offset = _SURROGATES[1] + 1
    found += [(m.start() + offset, m.end() - 1 + offset) for m in pattern.finditer(high)]
    return _normalise(found)


@lru_cache(maxsize=256)
def regex_class_ranges(atom: str) -> tuple[Interval, ...]:
    """Exact ranges of a one-character ``regex`` class such as ``\\p{Han}`` or ``[[:alpha:]]``."""
    try:
        compiled = regex.compile(f"(?:{atom})+")
    except regex.error as exc:
        raise PatternError(f"unknown character class {atom!r}: {exc}") from None
    return _ranges_matching(compiled)


@lru_cache(maxsize=32)
def _re_category_ranges(escape: str, flags: int) -> tuple[Interval, ...]:
    return _ranges_matching(re.compile(f"{escape}+", flags & re.ASCII))


@cache
def _assigned() -> tuple[Interval, ...]:
    # Printable, assigned, not private use: what the "anything" bucket draws from.
    return regex_class_ranges(r"[^\p{Cn}\p{Co}\p{Cs}\p{Cc}]")


# --- pattern rewrite: regex syntax -> re syntax -------------------------------------------


def _escape_cp(cp: int) -> str:
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _ranges_text(intervals: Sequence[Interval], atom: str) -> str:
    if not intervals:
        raise PatternError(f"character class {atom!r} matches nothing")
    return "".join(
        _escape_cp(lo) if lo == hi else f"{_escape_cp(lo)}-{_escape_cp(hi)}" for lo, hi in intervals
    )


def translate(pattern: str) -> str:
    """Rewrite ``regex``-only property / POSIX classes in ``pattern`` into ``re`` ranges."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_first = False  # just after "[" or "[^", where "]" is a literal
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            if pattern[i + 1] in "pP":
                if i + 2 < n and pattern[i + 2] == "{":
                    close = pattern.find("}", i + 3)
                    if close < 0:
                        raise PatternError(f"unterminated property class in {pattern!r}")
                    atom, i = pattern[i : close + 1], close + 1
                else:
                    atom, i = pattern[i : i + 3], i + 3
                body = _ranges_text(regex_class_ranges(atom), atom)
                out.append(body if in_class else f"[{body}]")
            else:
                out.append(pattern[i : i + 2])
                i += 2
            class_first = False
            continue
        if in_class:
            if c == "[" and pattern.startswith("[:", i):
                close = pattern.find(":]", i + 2)
                if close > 0:
                    atom = f"[{pattern[i : close + 2]}]"
                    out.append(_ranges_text(regex_class_ranges(atom), atom))
                    i = close + 2
                    class_first = False
                    continue
            if c == "]" and not class_first:
                in_class = False
            out.append(c)
            class_first = False
            i += 1
            continue
        out.append(c)
        i += 1
        if c == "[":
            in_class = class_first = True
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
    return "".join(out)


# --- character sampling -------------------------------------------------------------------

# Zones drawn from in preference to the raw class, with weights: mostly ASCII and common CJK,
# some Latin, Greek / Cyrillic and CJK punctuation, and a bucket of any assigned character
# (which reaches the supplementary planes, e.g. U+20000, a 2-unit UTF-16 character).
_ZONES: tuple[tuple[Interval, int], ...] = (
    ((0x20, 0x7E), 8),
    ((0x4E00, 0x9FFF), 4),
    ((0xA0, 0x24F), 1),
    ((0x370, 0x4FF), 1),
    ((0x3000, 0x303F), 1),
    ((0xFF01, 0xFF5E), 1),
)
_ANY_WEIGHT = 1


@dataclass(frozen=True)
class _Bucket:
    intervals: tuple[Interval, ...]
    cumulative: tuple[int, ...]

    @staticmethod
    def of(intervals: tuple[Interval, ...]) -> _Bucket:
        total, cumulative = 0, []
        for lo, hi in intervals:
            total += hi - lo + 1
            cumulative.append(total)
        return _Bucket(intervals, tuple(cumulative))

    def pick(self, index: int) -> str:
        at = bisect.bisect_right(self.cumulative, index)
        lo = self.intervals[at][0]
        before = self.cumulative[at - 1] if at else 0
        return chr(lo + index - before)


class CharSampler:
    """Draws single characters from a set of code points, favouring realistic zones.

    The zone tables (which need every assigned character's ranges, built by scanning all of
    Unicode once) are built at the first draw: checking a pattern (lint, a run's start, an
    export-only run) never builds them.
    """

    def __init__(self, intervals: Sequence[Interval]) -> None:
        self.intervals = _without_surrogates(intervals)
        if not self.intervals:
            raise PatternError("character class matches no encodable character")
        self._single = chr(self.intervals[0][0]) if _size(self.intervals) == 1 else None
        self._tables: tuple[tuple[_Bucket, ...], tuple[int, ...]] | None = None

    def _build(self) -> tuple[tuple[_Bucket, ...], tuple[int, ...]]:
        buckets: list[_Bucket] = []
        weights: list[int] = []
        for zone, weight in _ZONES:
            part = _intersect(_intersect(self.intervals, (zone,)), _assigned())
            if part:
                buckets.append(_Bucket.of(part))
                weights.append(weight)
        anything = _intersect(self.intervals, _assigned()) or self.intervals
        buckets.append(_Bucket.of(anything))
        weights.append(_ANY_WEIGHT)
        # One entry per weight unit; sampled_from shrinks towards the first (ASCII) bucket.
        choices = tuple(i for i, w in enumerate(weights) for _ in range(w))
        self._tables = (tuple(buckets), choices)  # the same whichever thread builds it
        return self._tables

    def __contains__(self, char: str) -> bool:
        cp = ord(char)
        at = bisect.bisect_right(self.intervals, (cp, _MAX + 1)) - 1
        return at >= 0 and self.intervals[at][0] <= cp <= self.intervals[at][1]

    def draw(self, draw: Draw) -> str:
        if self._single is not None:
            return self._single
        buckets, choices = self._tables or self._build()
        bucket = buckets[draw(st.sampled_from(choices))]
        return bucket.pick(draw(st.integers(0, bucket.cumulative[-1] - 1)))


@cache
def text_sampler() -> CharSampler:
    """Characters for free text: printable ASCII, CJK and other assigned characters."""
    return CharSampler(_intersect(_assigned(), ((0x20, _MAX),)))


# --- generator over re's parse tree -------------------------------------------------------


@dataclass
class _Node:
    lo: int = 0
    hi: int = 0


@dataclass
class _Lit(_Node):
    text: str = ""


@dataclass
class _Chars(_Node):
    sampler: CharSampler | None = None


@dataclass
class _Seq(_Node):
    items: list[_Node] = field(default_factory=list)
    suffix_lo: list[int] = field(default_factory=list)
    suffix_hi: list[int] = field(default_factory=list)


@dataclass
class _Alt(_Node):
    options: list[_Node] = field(default_factory=list)


@dataclass
class _Repeat(_Node):
    item: _Node = field(default_factory=_Node)
    min: int = 0
    max: int = INF


@dataclass
class _Group(_Node):
    index: int | None = None
    item: _Node = field(default_factory=_Node)


@dataclass
class _Backref(_Node):
    index: int = 0


@dataclass
class _Cond(_Node):
    index: int = 0
    yes: _Node = field(default_factory=_Node)
    no: _Node = field(default_factory=_Node)


def _add(a: int, b: int) -> int:
    return min(INF, a + b)


def _mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else min(INF, a * b)


class _Builder:
    def __init__(self) -> None:
        self.groups: dict[int, _Node] = {}

    def seq(self, data: Any, flags: int) -> _Seq:
        items = [self.op(op, av, flags) for op, av in data]
        suffix_lo, suffix_hi = [0] * (len(items) + 1), [0] * (len(items) + 1)
        for k in range(len(items) - 1, -1, -1):
            suffix_lo[k] = _add(suffix_lo[k + 1], items[k].lo)
            suffix_hi[k] = _add(suffix_hi[k + 1], items[k].hi)
        return _Seq(suffix_lo[0], suffix_hi[0], items, suffix_lo, suffix_hi)

    def op(self, op: Any, av: Any, flags: int) -> _Node:
        if op is sre_c.LITERAL:
            return _Lit(1, 1, chr(av))
        if op is sre_c.NOT_LITERAL:
            return _Chars(1, 1, CharSampler(_complement([(av, av)])))
        if op is sre_c.ANY:
            dotall = flags & re.DOTALL
            return _Chars(1, 1, CharSampler(_complement([] if dotall else [(10, 10)])))
        if op is sre_c.IN:
            return _Chars(1, 1, CharSampler(self.char_class(av, flags)))
        if op is sre_c.BRANCH:
            options: list[_Node] = [self.seq(sub, flags) for sub in av[1]]
            return _Alt(min(o.lo for o in options), max(o.hi for o in options), options)
        if op is sre_c.SUBPATTERN:
            group, add_flags, del_flags, sub = av
            inner = self.seq(sub, (flags | add_flags) & ~del_flags)
            if group is not None:
                self.groups[group] = inner
            return _Group(inner.lo, inner.hi, group, inner)
        if op is sre_c.ATOMIC_GROUP:
            return self.seq(av, flags)
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            low, high, sub = av
            item = self.seq(sub, flags)
            top = INF if high is sre_c.MAXREPEAT else int(high)
            return _Repeat(_mul(item.lo, low), _mul(item.hi, top), item, low, top)
        if op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
            return _Node(0, 0)
        if op is sre_c.GROUPREF:
            target = self.groups.get(av)
            return _Backref(target.lo if target else 0, target.hi if target else INF, av)
        if op is sre_c.GROUPREF_EXISTS:
            index, yes, no = av
            yes_node = self.seq(yes, flags)
            no_node = self.seq(no, flags) if no is not None else _Seq(0, 0)
            return _Cond(
                min(yes_node.lo, no_node.lo), max(yes_node.hi, no_node.hi), index, yes_node, no_node
            )
        raise PatternError(f"unsupported regular expression construct {op}")

    def char_class(self, items: Any, flags: int) -> tuple[Interval, ...]:
        intervals: list[Interval] = []
        negate = False
        for op, av in items:
            if op is sre_c.NEGATE:
                negate = True
            elif op is sre_c.LITERAL:
                intervals.append((av, av))
            elif op is sre_c.RANGE:
                intervals.append((av[0], av[1]))
            elif op is sre_c.CATEGORY:
                intervals.extend(_category(av, flags, exact=negate))
            else:
                raise PatternError(f"unsupported character class item {op}")
        # A negated class must avoid every character the real class holds, so categories
        # inside it are taken exactly; in a positive class a conservative subset is enough.
        return _complement(intervals) if negate else _normalise(intervals)


_ASCII_CATEGORY: dict[str, tuple[Interval, ...]] = {
    "d": ((0x30, 0x39),),
    "w": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)),
    "s": ((0x09, 0x0D), (0x20, 0x20)),
}


def _category(cat: Any, flags: int, *, exact: bool) -> tuple[Interval, ...]:
    name = str(cat).removeprefix("CATEGORY_").lower()  # e.g. "digit", "not_word"
    letter = {"digit": "d", "word": "w", "space": "s"}.get(name.removeprefix("not_"))
    if letter is None:
        raise PatternError(f"unsupported character category {cat}")
    if name.startswith("not_"):
        return _complement(_re_category_ranges(f"\\{letter}", flags))
    return _re_category_ranges(f"\\{letter}", flags) if exact else _ASCII_CATEGORY[letter]


class RegexGenerator:
    """Generates strings matching one pattern (``regex`` semantics), steering their length."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        try:
            self.compiled = regex.compile(pattern)
        except regex.error as exc:
            raise PatternError(f"pattern {pattern!r} does not compile: {exc}") from None
        translated = translate(pattern)
        try:
            parsed = sre_p.parse(translated)
        except re.error as exc:
            raise PatternError(
                f"pattern {pattern!r} uses syntax the generator does not support: {exc}"
            ) from None
        self._root = _Builder().seq(parsed.data, parsed.state.flags)
        self.min_len, self.max_len = self._root.lo, self._root.hi

    def matches(self, text: str) -> bool:
        return pattern_search(self.pattern, text, remember=False)

    def draw(self, draw: Draw, lo: int = 0, hi: int = INF) -> str:
        """One candidate (not yet checked against lookarounds or the length window)."""
        groups: dict[int, str] = {}
        return self._gen(draw, self._root, lo, hi, groups)

    def _gen(self, draw: Draw, node: _Node, lo: int, hi: int, groups: dict[int, str]) -> str:
        if isinstance(node, _Lit):
            return node.text
        if isinstance(node, _Chars):
            assert node.sampler is not None
            return node.sampler.draw(draw)
        if isinstance(node, _Seq):
            return self._gen_seq(draw, node, lo, hi, groups)
        if isinstance(node, _Alt):
            fitting = [o for o in node.options if o.lo <= hi and o.hi >= lo] or node.options
            option = fitting[draw(st.integers(0, len(fitting) - 1))]
            return self._gen(draw, option, lo, hi, groups)
        if isinstance(node, _Repeat):
            return self._gen_repeat(draw, node, lo, hi, groups)
        if isinstance(node, _Group):
            text = self._gen(draw, node.item, lo, hi, groups)
            if node.index is not None:
                groups[node.index] = text
            return text
        if isinstance(node, _Backref):
            return groups.get(node.index, "")
        if isinstance(node, _Cond):
            branch = node.yes if node.index in groups else node.no
            return self._gen(draw, branch, lo, hi, groups)
        return ""  # zero-width

    def _gen_seq(self, draw: Draw, node: _Seq, lo: int, hi: int, groups: dict[int, str]) -> str:
        out: list[str] = []
        used = 0
        for k, item in enumerate(node.items):
            want_lo = max(item.lo, lo - used - node.suffix_hi[k + 1])
            want_hi = min(item.hi, hi - used - node.suffix_lo[k + 1])
            if want_lo > want_hi:
                want_lo, want_hi = item.lo, item.hi
            text = self._gen(draw, item, want_lo, want_hi, groups)
            out.append(text)
            used += len(text)
        return "".join(out)

    def _gen_repeat(
        self, draw: Draw, node: _Repeat, lo: int, hi: int, groups: dict[int, str]
    ) -> str:
        a, b = node.item.lo, node.item.hi
        count_lo = node.min
        if b > 0 and lo > 0:
            count_lo = max(count_lo, -(-lo // b))
        count_hi = node.max
        if a > 0 and hi < INF:
            count_hi = min(count_hi, hi // a)
        if count_lo > count_hi:
            count_lo, count_hi = node.min, min(node.max, node.min + _SOFT_REPEAT)
        count_hi = min(count_hi, max(count_lo, node.min + _SOFT_REPEAT))
        if count_hi > count_lo:
            # The exact boundaries come up often: they are where implementations break.
            count = draw(
                st.one_of(
                    st.integers(count_lo, count_hi),
                    st.sampled_from((count_lo, count_hi)),
                )
            )
        else:
            count = count_lo
        out: list[str] = []
        used = 0
        for k in range(count):
            rest = count - k - 1
            want_lo = max(a, lo - used - _mul(rest, b))
            want_hi = min(b, hi - used - _mul(rest, a))
            if want_lo > want_hi:
                want_lo, want_hi = a, b
            text = self._gen(draw, node.item, want_lo, want_hi, groups)
            out.append(text)
            used += len(text)
        return "".join(out)


@lru_cache(maxsize=512)
def regex_generator(pattern: str) -> RegexGenerator:
    """A cached :class:`RegexGenerator`; raises :class:`PatternError`."""
    return RegexGenerator(pattern)
