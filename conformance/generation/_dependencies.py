"""Inter-parameter dependencies: constraints between an operation's parameters that no
single parameter's schema can state (a box's minimum below its maximum, an end date after
a start date, two parameters that exclude each other).

A standard declares them on an operation as ``x-dependencies``, a list of rules in the
spirit of IDL, the Inter-parameter Dependency Language published for REST API testing::

    x-dependencies:
      - requires: {if: end, then: [start]}      # IF end THEN start
      - requires: {if: format == csv, then: [delimiter]}
      - or: [name, id_number]                   # at least one
      - onlyOne: [licence_id, holder_id]        # exactly one
      - allOrNone: [lat, lon]                   # all or none
      - zeroOrOne: [scopes, roles]              # at most one
      - relation: start < end                   # when both are given
      - relation: bbox/0 < bbox/2               # items of an array parameter

A name is a parameter of the operation (any location), optionally followed by ``/`` and
array indexes or member names into its value. A relation compares numbers as numbers,
RFC 3339 dates and date-times as instants (a date is its day's start in UTC, a leap second
the end of its minute), and other text as text; it holds when either side is absent. This
module reads the rules (:func:`parse_dependencies`, with a JSON pointer and a message for
every malformed one) and judges a set of present values (:meth:`Dependency.holds`); the
engine draws requests that satisfy them, and breaks them one at a time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = [
    "DEPENDENCY_KINDS",
    "Dependency",
    "Ref",
    "compare",
    "parse_dependencies",
    "violated",
]

DEPENDENCY_KINDS = ("requires", "or", "onlyOne", "allOrNone", "zeroOrOne", "relation")
OPERATORS = ("<=", ">=", "==", "!=", "<", ">")
_RELATION = re.compile(r"^\s*(\S+)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_NAME = re.compile(r"^[^\s=<>!]+$")
_CONDITION = re.compile(r"^\s*([^\s=<>!]+)\s*==\s*(.+?)\s*$")


def _literal(text: str) -> Any:
    """A condition's value: JSON (a number, true, a quoted string) or else the bare text."""
    try:
        return json.loads(text)
    except ValueError:
        return text.strip("'")


@dataclass(frozen=True)
class Ref:
    """A parameter, or a place inside its value (``bbox/0``)."""

    name: str
    path: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Ref:
        name, *path = text.split("/")
        return cls(name, tuple(path))

    def __str__(self) -> str:
        return "/".join((self.name, *self.path))

    def get(self, values: Mapping[str, Any]) -> Any:
        """The value this names among ``values`` (present parameters), or LookupError."""
        if self.name not in values:
            raise LookupError(self.name)
        value = values[self.name]
        for token in self.path:
            if isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            elif isinstance(value, dict) and token in value:
                value = value[token]
            else:
                raise LookupError(str(self))
        return value


@dataclass(frozen=True)
class Dependency:
    """One declared rule; ``index`` is its place in the operation's list."""

    kind: str
    names: tuple[str, ...] = ()  # the parameters whose presence the rule is about
    condition: tuple[str, Any] | None = None  # requires: (name, value) or (name, _ANY)
    left: Ref | None = None
    operator: str = ""
    right: Ref | float | None = None
    index: int = 0

    @property
    def presence_only(self) -> bool:
        """For ``requires``: whether its condition is a parameter's presence alone."""
        return self.condition is None or self.condition[1] is _ANY

    @property
    def sides(self) -> tuple[Ref, ...]:
        """For ``relation``: the sides that name parameters."""
        return tuple(s for s in (self.left, self.right) if isinstance(s, Ref))

    @property
    def parameters(self) -> tuple[str, ...]:
        """Every parameter the rule mentions."""
        found = list(self.names)
        if self.condition is not None:
            found.insert(0, self.condition[0])
        found += [side.name for side in self.sides]
        return tuple(dict.fromkeys(found))

    def text(self) -> str:
        """The rule written as IDL writes it."""
        if self.kind == "relation":
            return f"{self.left} {self.operator} {self.right}"
        if self.kind == "requires":
            assert self.condition is not None
            name, value = self.condition
            when = name if value is _ANY else f"{name}=={value!r}"
            return f"IF {when} THEN {' AND '.join(self.names)}"
        head = self.kind[0].upper() + self.kind[1:]
        return f"{head}({', '.join(self.names)})"

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Whether the rule holds for these present parameters (name -> value)."""
        present = [n for n in self.names if n in values]
        if self.kind == "or":
            return bool(present)
        if self.kind == "onlyOne":
            return len(present) == 1
        if self.kind == "allOrNone":
            return len(present) in (0, len(self.names))
        if self.kind == "zeroOrOne":
            return len(present) <= 1
        if self.kind == "requires":
            return not self.applies(values) or len(present) == len(self.names)
        assert self.left is not None
        try:
            left = self.left.get(values)
            right = self.right.get(values) if isinstance(self.right, Ref) else self.right
        except LookupError:
            return True  # a relation binds only when both sides are given
        result = compare(left, self.operator, right)
        return True if result is None else result

    def applies(self, values: Mapping[str, Any]) -> bool:
        """For ``requires``: whether its condition is met."""
        assert self.condition is not None
        name, expected = self.condition
        if name not in values:
            return False
        return expected is _ANY or values[name] == expected


_ANY: Any = object()  # a condition on presence alone


def _comparable(value: Any) -> Any:
    """A value relations can order: numbers as they are, dates and date-times as instants."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if not isinstance(value, str):
        return None
    if _DATE.match(value):
        try:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        except ValueError:
            return None
    found = _DATE_TIME.match(value)
    if found:
        day, hour, minute, second, fraction, offset = found.groups()
        leap = second == "60"
        text = f"{day}T{hour}:{minute}:{'59' if leap else second}{fraction or ''}"
        zone = "+00:00" if offset in ("Z", "z") else offset
        try:
            instant = datetime.fromisoformat(text + zone)
        except ValueError:
            return None
        # a leap second is the last instant of its minute
        return instant + timedelta(microseconds=999_999) if leap else instant
    if _NUMBER.match(value):
        return float(value)
    return value


def compare(left: Any, operator: str, right: Any) -> bool | None:
    """``left operator right``, or None when the two cannot be ordered together."""
    a, b = _comparable(left), _comparable(right)
    if a is None or b is None:
        return None
    kinds = {type(a) is str, type(b) is str}
    dated = {isinstance(a, datetime), isinstance(b, datetime)}
    if len(kinds) > 1 or len(dated) > 1:
        return None
    try:
        result = {
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
            "==": a == b,
            "!=": a != b,
        }[operator]
    except TypeError:
        return None
    return bool(result)


def violated(dependencies: Sequence[Dependency], values: Mapping[str, Any]) -> list[Dependency]:
    """The rules these present parameters break."""
    return [d for d in dependencies if not d.holds(values)]


def _names(raw: Any, pointer: str, minimum: int, errors: list[tuple[str, str]]) -> tuple[str, ...]:
    if (
        not isinstance(raw, list)
        or len(raw) < minimum
        or not all(isinstance(n, str) and n for n in raw)
    ):
        errors.append((pointer, f"expected a list of at least {minimum} parameter names"))
        return ()
    if len(set(raw)) != len(raw):
        errors.append((pointer, "a parameter is named twice"))
        return ()
    return tuple(raw)


def _one(raw: Any, index: int, pointer: str, errors: list[tuple[str, str]]) -> Dependency | None:
    if not isinstance(raw, dict) or len(raw) != 1:
        errors.append(
            (pointer, f"a rule is a mapping with one key, one of: {', '.join(DEPENDENCY_KINDS)}")
        )
        return None
    ((kind, body),) = raw.items()
    where = f"{pointer}/{kind}"
    if kind not in DEPENDENCY_KINDS:
        errors.append(
            (where, f"unknown rule {kind!r}; expected one of: {', '.join(DEPENDENCY_KINDS)}")
        )
        return None
    if kind in ("or", "onlyOne", "allOrNone", "zeroOrOne"):
        names = _names(body, where, 2, errors)
        return Dependency(kind, names, index=index) if names else None
    if kind == "requires":
        if not isinstance(body, dict) or set(body) != {"if", "then"}:
            errors.append((where, "expected {if: NAME or 'NAME == VALUE', then: [NAMES]}"))
            return None
        when = body["if"]
        condition: tuple[str, Any]
        found = _CONDITION.match(when) if isinstance(when, str) else None
        if found:
            condition = (found[1], _literal(found[2]))
        elif isinstance(when, str) and _NAME.match(when):
            condition = (when, _ANY)
        else:
            errors.append((f"{where}/if", "expected a parameter name or 'NAME == VALUE'"))
            return None
        names = _names(body["then"], f"{where}/then", 1, errors)
        if condition[0] in names:
            errors.append((f"{where}/then", f"{condition[0]!r} cannot require itself"))
            return None
        return Dependency(kind, names, condition, index=index) if names else None
    if not isinstance(body, str) or not (found := _RELATION.match(body)):
        errors.append(
            (where, f"expected 'LEFT OP RIGHT' with OP one of {' '.join(OPERATORS)}, e.g. 'a < b'")
        )
        return None
    left_text, operator, right_text = found.groups()
    right: Ref | float = float(right_text) if _NUMBER.match(right_text) else Ref.parse(right_text)
    return Dependency(kind, left=Ref.parse(left_text), operator=operator, right=right, index=index)


def parse_dependencies(raw: Any) -> tuple[list[Dependency], list[tuple[str, str]]]:
    """The rules of an ``x-dependencies`` value, and (JSON pointer below it, message) for
    each malformed one (a malformed rule is left out)."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [("", "x-dependencies is a list of rules")]
    errors: list[tuple[str, str]] = []
    found = [_one(item, i, f"/{i}", errors) for i, item in enumerate(raw)]
    return [d for d in found if d is not None], errors
