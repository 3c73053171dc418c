"""Deciding whether one pattern's language contains another's, with finite automata.

JSON Schema patterns are unanchored ECMA-262 regular expressions (``^``/``$`` anchor them);
XSD patterns always match the whole value.  Both are turned into finite-state machines with
``greenery`` and compared exactly.  Patterns it cannot read (look-arounds, back-references,
Unicode properties) or that would build large machines are reported as undecided, never
guessed.
"""

from __future__ import annotations

import re
from typing import Literal

Relation = Literal["equal", "narrowed", "widened", "changed", "unknown"]

MAX_PATTERN_LENGTH = 300
MAX_REPEAT = 64  # {m,n} bounds above this make machines too large to build quickly
MAX_EXPANDED = 120  # atoms after expanding counted repeats (nested repeats multiply)
_REPEAT = re.compile(r"\{(\d+)(?:,(\d*))?\}")


def _unanchored(pattern: str) -> str | None:
    """A whole-value regex equivalent to a JSON Schema (search) pattern, or None."""
    body = pattern
    start = body.startswith("^")
    if start:
        body = body[1:]
    end = body.endswith("$") and not body.endswith("\\$")
    if end:
        body = body[:-1]
    # anchors anywhere else (inside alternations, say) are beyond this translation
    stripped = re.sub(r"\\.|\[(?:\\.|[^\]])*\]", "", body)
    if "^" in stripped or "$" in stripped:
        return None
    if "|" in stripped:
        body = f"(?:{body})"
    return ("" if start else ".*") + body + ("" if end else ".*")


def _expanded_size(regex: str) -> int:
    """About how many atoms the regex has once counted repeats are written out."""
    stack: list[int] = [0]
    last = 0  # size of the last atom or group, which a quantifier repeats
    index = 0
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 2
            last = 1
            stack[-1] += 1
            continue
        if char == "[":
            end = index + 1
            while end < len(regex) and regex[end] != "]":
                end += 2 if regex[end] == "\\" else 1
            index = end + 1
            last = 1
            stack[-1] += 1
            continue
        if char == "(":
            stack.append(0)
        elif char == ")" and len(stack) > 1:
            last = stack.pop()
            stack[-1] += last
        elif char == "{":
            match = _REPEAT.match(regex, index)
            if match:
                high = int(match.group(2) or match.group(1))
                stack[-1] += last * (max(high, 1) - 1)
                last *= max(high, 1)
                index = match.end()
                continue
            stack[-1] += 1
        elif char not in "|*+?^$":
            last = 1
            stack[-1] += 1
        index += 1
    return sum(stack)


def _fsm(regex: str) -> object | None:
    if len(regex) > MAX_PATTERN_LENGTH:
        return None
    bounds = [int(n) for pair in _REPEAT.findall(regex) for n in pair if n]
    if any(n > MAX_REPEAT for n in bounds) or _expanded_size(regex) > MAX_EXPANDED:
        return None
    try:
        from greenery import parse

        machine: object = parse(regex.replace("(?:", "(")).to_fsm()
        return machine
    except Exception:  # greenery raises its own parse errors for unsupported syntax
        return None


def compare_patterns(old: str, new: str, *, anchored: bool = False) -> Relation:
    """How the set of values ``new`` matches relates to the set ``old`` matches."""
    if old == new:
        return "equal"
    old_rx = old if anchored else _unanchored(old)
    new_rx = new if anchored else _unanchored(new)
    if old_rx is None or new_rx is None:
        return "unknown"
    return compare_fsms(_fsm(old_rx), _fsm(new_rx))


def compare_pattern_sets(old: list[str], new: list[str]) -> Relation:
    """XSD: the values of a type match every step's patterns (and any one within a step)."""
    if old == new:
        return "equal"
    return compare_fsms(_intersection(old), _intersection(new))


def _intersection(patterns: list[str]) -> object | None:
    machine: object | None = None
    for step in patterns:
        fsm = _fsm(step)
        if fsm is None:
            return None
        machine = fsm if machine is None else machine & fsm  # type: ignore[operator]
    return machine


def compare_fsms(old: object | None, new: object | None) -> Relation:
    if old is None or new is None:
        return "unknown"
    try:
        sub = bool(new.issubset(old))  # type: ignore[attr-defined]
        sup = bool(old.issubset(new))  # type: ignore[attr-defined]
    except Exception:
        return "unknown"
    if sub and sup:
        return "equal"
    if sub:
        return "narrowed"
    if sup:
        return "widened"
    return "changed"
