"""Typed fast paths: JSON Lines records parsed and checked by msgspec, CSV rows a column at a time.

The record schema, when it stays within a plain subset, is translated into msgspec types
(``Struct`` classes, with ``forbid_unknown_fields`` where the object is closed, tagged
unions, ``Literal`` enums, length and range constraints, ``datetime.date``, a leaf or null).
Leaf values msgspec cannot check exactly
(patterns, formats, check characters) become *columns*: the values of a block, gathered per
leaf, checked by one jsonschema-rs call per block against a copy of the leaf schema, and
their check characters by arithmetic over all of them at once
(``conformance.formats._check_characters``).

CSV rows of string columns need no parsing: when the record schema is an object of leaf
properties naming every column, each column of a block of rows is checked the same way, and
records are built only for the rows a column refuses.

Soundness is the rule: a line the typed path accepts is a line the fast path (orjson,
jsonschema-rs and the check-character sites) accepts, with the same key. Any line it refuses
goes that way, so errors are found and worded exactly as before. A schema outside the subset
gets no typed path (:class:`NoTypedPath`); lines with a surrogate escape never take it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import compress, repeat
from keyword import iskeyword
from operator import add, and_, attrgetter, is_not, ne, not_, or_, truth
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import jsonschema_rs
import msgspec
import orjson
from msgspec.structs import astuple

from conformance.exports._fast import (
    EXACT_PATTERNS,
    NoFastPath,
    _add_pattern,
    _copy,
    _DepthBound,
    _Documents,
    _exact_formats,
    _self_contained,
    _today_year,
    _used_formats,
    cached_format_check,
    format_patterns,
)
from conformance.exports._readers import (
    MAX_DEPTH,
    Numbers,
    columns_of,
    convert_cell,
    convert_column,
    json_numbers,
)
from conformance.formats import FORMATS
from conformance.formats._check_characters import (
    CHECK_CHARACTERS,
    CODE_WIDTH,
    WRONG_CHECK_CHARACTERS,
)

__all__ = [
    "CsvColumnChecks",
    "NoTypedPath",
    "TypedRecords",
    "build_csv_checks",
    "build_typed_records",
    "typed_path_survey",
]

_Built = TypeVar("_Built")

# Lines holding a surrogate escape: msgspec and orjson may disagree on them.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")

_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$defs",  # definitions apply only where a $ref names them
        "definitions",
    }
)
# Keywords of a leaf schema msgspec checks exactly by itself.
_NATIVE_LEAF = frozenset({"type", "enum", "const", "minLength", "maxLength", "minimum", "maximum"})
# Keywords a leaf column may hold: jsonschema-rs checks them on the value alone.
_COLUMN_LEAF = _NATIVE_LEAF | {
    "pattern",
    "format",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
}


def _type_members(kind: Any) -> tuple[Any, ...] | None:
    """msgspec's description of each type a value of ``kind`` may have (a union's
    members, or the type itself); None for a type msgspec does not describe."""
    try:
        info = msgspec.inspect.type_info(kind)
    except (TypeError, ValueError):
        return None
    return tuple(info.types) if isinstance(info, msgspec.inspect.UnionType) else (info,)


def _json_scalars(kind: Any) -> bool:
    """Whether values of the msgspec type ``kind`` are always JSON scalars as Python reads
    them (str, int, float, bool or None): not structs, lists, dates or other objects."""
    members = _type_members(kind)
    return members is not None and all(isinstance(m, _SCALAR_INFOS) for m in members)


def _strings_or_null(kind: Any) -> bool:
    """Whether values of the msgspec type ``kind`` are strings, dates or None alone (two
    such equal by == are the same JSON: no ``1 == 1.0 == True``)."""
    members = _type_members(kind)
    return members is not None and all(
        isinstance(m, msgspec.inspect.StrType | msgspec.inspect.NoneType | msgspec.inspect.DateType)
        or (
            isinstance(m, msgspec.inspect.LiteralType) and all(isinstance(v, str) for v in m.values)
        )
        for m in members
    )


_SCALAR_INFOS = (
    msgspec.inspect.StrType,
    msgspec.inspect.IntType,
    msgspec.inspect.FloatType,
    msgspec.inspect.BoolType,
    msgspec.inspect.NoneType,
    msgspec.inspect.LiteralType,
)


def _beyond_column(node: dict[str, Any]) -> set[str]:
    """The keywords of a leaf schema no column can check: those beyond ``_COLUMN_LEAF``,
    and ``not`` unless its subschema holds no reference, format or ``multipleOf`` (then
    jsonschema-rs checks it on the value alone, as python-jsonschema does)."""
    extra = set(node) - _ANNOTATIONS - _COLUMN_LEAF
    if "not" in extra and _self_contained(node["not"]) and not _uses(node["not"], _LOOSE_IN_NOT):
        extra.discard("not")
    return extra


_LOOSE_IN_NOT = frozenset({"format", "multipleOf"})


def _uses(node: Any, keywords: frozenset[str], depth: int = 0) -> bool:
    """Whether a subschema uses one of ``keywords`` at any depth (deeper than
    ``_MAX_DEPTH``: assumed so)."""
    if depth > _MAX_DEPTH:
        return True
    if isinstance(node, dict):
        return bool(keywords & node.keys()) or any(
            _uses(value, keywords, depth + 1) for value in node.values()
        )
    if isinstance(node, list):
        return any(_uses(value, keywords, depth + 1) for value in node)
    return False


# The constraints msgspec's Meta says exactly, per type: keyword to Meta option.
_META_OPTIONS: dict[str, dict[str, str]] = {
    "string": {"minLength": "min_length", "maxLength": "max_length"},
    "integer": {"minimum": "ge", "maximum": "le"},
}
_SCALAR_TYPES: dict[str, Any] = {"string": str, "integer": int, "boolean": bool, "null": None}
# The bounds of a ``number`` msgspec checks on a float: keyword to Meta option.
_NUMBER_META = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
}
_EXACT_FLOAT = 2**53
# msgspec's refusals of a member of the record that prove it invalid, and of a required
# member absent (exactly these wordings: anything else is not taken as proof)
_ROOT_VALUE_ERROR = re.compile(
    r"(?:Invalid enum value '.*'|Expected `str` of length [<>]= [0-9]+)"
    r" - at `\$\.([A-Za-z_][A-Za-z0-9_]*)`",
    re.DOTALL,
)
_ROOT_MISSING = re.compile(r"Object missing required field `([A-Za-z_][A-Za-z0-9_]*)`")
_ROOT_DATE_ERROR = re.compile(r"Invalid RFC3339 encoded date - at `\$\.([A-Za-z_][A-Za-z0-9_]*)`")
_MAX_DEPTH = 16
_MAX_RULE_NODES = 10_000  # the nodes of a presence rule the typed path reads

# ---------------------------------------------------------------- check characters, in arrays

CHECKED_WIDTH = CODE_WIDTH  # both codes with a check character are 18 characters long


class NoTypedPath(Exception):
    """The record schema uses something the typed path does not translate exactly."""

    # the members from the record down to where (an array's items: "*"), added on the way out
    where: tuple[str, ...] = ()

    def inside(self, step: str) -> NoTypedPath:
        self.where = (step, *self.where)
        return self


class _Lazy:
    """A jsonschema-rs validator built at its first use."""

    __slots__ = ("_build", "_built")

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._built: Any = None

    def _validator(self) -> Any:
        if self._built is None:
            self._built = self._build()
        return self._built

    def is_valid(self, values: Any) -> bool:
        return bool(self._validator().is_valid(values))

    def iter_errors(self, values: Any) -> Any:
        return self._validator().iter_errors(values)


@dataclass
class _Column:
    """The values at one leaf of the record, checked a block at a time."""

    validator: Any  # jsonschema-rs, of an array of the leaf's values
    # the rows (of 18 bytes each, joined) whose check character is wrong
    wrong_check: Callable[[bytes], list[int]] | None
    strings_only: bool  # the leaf admits strings alone (no null beside them)
    # a number leaf of type and bounds only: whether numbers read at once all satisfy it
    # (False: the validator decides, and names the values it refuses)
    within: Callable[[Numbers], bool] | None = None
    # a value it refuses makes the record certainly invalid: a string leaf whose format (if
    # any) is checked exactly here as on the fast path (no subset pattern a rescue widens)
    certain: bool = False
    # else, for a leaf whose format stands as a subset pattern: the format's exact check
    # (a string it refuses makes the record certainly invalid too)
    exact: Callable[[str], bool] | None = None
    # a string-or-null leaf (the nullable idiom): its values are strings and None
    or_null: bool = False
    # a member whose schema no msgspec type says (:meth:`_Translator.opaque`): its values
    # as msgspec read them (``Any``), checked whole by jsonschema-rs
    opaque: bool = False
    # for such a member whose schema bounds no nesting: the containers a value may nest
    # (more brackets than that: refused, the exact checker measures the line); None when
    # every value the schema accepts nests within MAX_DEPTH where the member is
    depth_left: int | None = None


@dataclass
class _PresenceCheck:
    """The objects at one place of the records and the rule saying which of their
    properties they hold (:func:`_presence_rule`, its keys attribute names)."""

    # (the objects, their record indices or None if every record's); None: the records
    gather: Callable[[list[Any]], tuple[list[Any], Sequence[int] | None]] | None
    rule: _Rule
    # per attribute the rule names: the objects holding it (a generated comprehension
    # measured twice as fast as mapping an attrgetter)
    masks: dict[str, Callable[[list[Any]], list[bool]]]
    # the indices of the objects the rule refuses, the rule one generated comprehension
    # of the objects and the value tests' masks (None for a rule too large to write so:
    # the masks combined)
    failing: Callable[[list[Any], list[list[bool]]], list[int]] | None = None
    # the rule's ("ok", n) parts: whether a property's value, if present, satisfies a schema
    tests: list[_ValueTest] = field(default_factory=list)

    def failures(self, records: list[Any]) -> set[int]:
        """Indices (into ``records``) of the records holding an object the rule refuses,
        or one whose value a test cannot tell (the next path decides)."""
        objects, where = (records, None) if self.gather is None else self.gather(records)
        oks: list[list[bool]] = []
        unsure: list[int] = []
        for test in self.tests:
            oks.append(test.held(objects, unsure))
        if self.failing is not None:
            failed = self.failing(objects, oks)
        else:
            masks = self.masks

            def present(key: Any) -> Any:
                return masks[key](objects) if isinstance(key, str) else oks[key[1]]

            failed = _failures(self.rule, present, len(objects))
        failed.extend(unsure)
        return set(failed) if where is None else {where[i] for i in failed}


@dataclass
class _ValueTest:
    """Whether an object's property, when present, satisfies a schema: the ``if`` of a
    conditional, a ``oneOf`` branch's member, over a block's objects at once (one
    jsonschema-rs call, or set membership for strings)."""

    value: Callable[[Any], Any]  # the property's value of an object (UNSET: absent)
    # of an array of the values: ``items`` the schema, and ``items`` its negation (asked
    # instead while most values fail: jsonschema-rs words each error it yields)
    validator: Any
    negated: Any = None
    strings: frozenset[str] | None = None  # a const or enum of strings: membership alone
    outside: bool = False  # with ``strings``: the schema is their ``not``
    numbers: bool = False  # the values may be numbers jsonschema-rs may read otherwise
    multiple: bool = False  # the schema holds multipleOf (an integer and its float differ)
    dates: bool = False  # the values may be dates msgspec read (tested as their text)
    distinct: bool = False  # values equal by == are equal JSON (strings, null: no 1 == True)
    flipped: bool = False  # the last block's values mostly failed: ask ``negated``
    # a leaf whose format is exact as a column checks it (a pattern, check characters by
    # arithmetic over the block): asked instead of ``validator``; ``text``: values are
    # strings alone
    column: _Column | None = None
    text: bool = False

    def held(self, objects: list[Any], unsure: list[int]) -> list[bool]:
        """Per object, whether its value (if present) satisfies the schema; appends to
        ``unsure`` the indices of those whose value only the next path can tell (a float
        msgspec read from an integer past 2^53 or under ``multipleOf``, an integer beyond
        64 bits)."""
        values = list(map(self.value, objects))
        if self.dates:  # msgspec reads only the text its isoformat writes (YYYY-MM-DD)
            values = [v.isoformat() if v.__class__ is dt.date else v for v in values]
        if self.strings is not None:
            strings = self.strings
            if self.outside:
                return [
                    v is UNSET_VALUE or v.__class__ is not str or v not in strings for v in values
                ]
            return [v is UNSET_VALUE or (v.__class__ is str and v in strings) for v in values]
        present = [i for i, v in enumerate(values) if v is not UNSET_VALUE]
        held = [True] * len(values)
        if not present:
            return held
        checked = [values[i] for i in present]
        if self.numbers:
            plain = partial(_plain_value, self.multiple)
            doubtful = [i for i, v in zip(present, checked, strict=True) if not plain(v)]
            if doubtful:
                unsure.extend(doubtful)
                kept = list(map(plain, checked))
                present = list(compress(present, kept))
                checked = list(compress(checked, kept))
        # values told apart by == alone repeat (codes, categories): each tested once
        tested = list(dict.fromkeys(checked)) if self.distinct else checked
        if 2 * len(tested) > len(checked):
            tested = checked
        failed = self.failing(tested)
        if failed is None:  # not told value by value: the next path decides
            unsure.extend(present)
            return held
        self.flipped = self.negated is not None and 2 * len(failed) > len(tested)
        if tested is checked:
            for position in failed:
                held[present[position]] = False
        elif failed:
            bad = {tested[position] for position in failed}
            for index, value in zip(present, checked, strict=True):
                if value in bad:
                    held[index] = False
        return held

    def failing(self, values: list[Any]) -> set[int] | None:
        """The positions of the values the schema refuses (one jsonschema-rs call), or
        None when an error names no value."""
        if self.column is not None:
            bad: set[int] = set()
            return bad if _check_column(self.column, values, None, bad, self.text) else None
        if not self.flipped:
            return {error.instance_path[0] for error in self.validator.iter_errors(values)}
        failed = set(range(len(values)))  # an error of the negation: a value it accepts
        for error in self.negated.iter_errors(values):
            failed.discard(error.instance_path[0])
        return failed


UNSET_VALUE = msgspec.UNSET


def _plain_value(multiple: bool, value: Any) -> bool:
    """Whether jsonschema-rs gives the scalar msgspec read the verdict python-jsonschema
    gives the one the exact path reads: not a number of magnitude 2^53 or more (msgspec
    makes a float of an integer where the type says number, and rounds it there;
    jsonschema-rs compares a large integer with a float bound as a float), nor any number
    under ``multipleOf`` (the two divide otherwise: 8 is a multiple of 1e-5 in one, not
    in the other)."""
    kind = value.__class__
    if kind is float or kind is int:
        return not multiple and -_EXACT_FLOAT < value < _EXACT_FLOAT
    return True


_RULE_DEPTH = 24  # a rule nested deeper is combined from masks (no deep expression)


def _rule_expression(rule: _Rule, depth: int = 0) -> str | None:
    """A Python expression of the object ``o``, True exactly when ``rule`` holds for it
    (every part a bool); None past ``_RULE_DEPTH``."""
    if isinstance(rule, bool):
        return repr(rule)
    if depth > _RULE_DEPTH:
        return None
    kind, parts = rule[0], rule[1]
    if kind == "has":
        if not parts.isidentifier() or iskeyword(parts):
            return None
        return f"(o.{parts} is not UNSET)"
    if kind == "ok":
        return f"ok[{int(parts)}][i]"
    written = [_rule_expression(part, depth + 1) for part in parts]
    inner = [part for part in written if part is not None]
    if len(inner) < len(written) or not inner:
        return None
    if kind == "count":  # bools add as 0 and 1
        least, most = rule[2]
        total = f"({' + '.join(inner)})"
        return f"({least} <= {total})" if most is None else f"({least} <= {total} <= {most})"
    if kind == "not":
        return f"(not {inner[0]})"
    if kind == "one":  # exactly one holds: of two, they differ (a tuple: no deep nesting)
        if len(inner) == 2:
            return f"({inner[0]} != {inner[1]})"
        return f"(({', '.join(inner)},).count(True) == 1)"
    joint = " and " if kind == "all" else " or "
    return f"({joint.join(inner)})"


def _rule_failures(rule: _Rule) -> Callable[[list[Any], list[list[bool]]], list[int]] | None:
    """The indices of the objects of a list ``rule`` refuses (``ok``: the value tests'
    masks), compiled from generated source (measured at 0.6 of the time of combining
    masks), or None."""
    expression = _rule_expression(rule)
    if expression is None:
        return None
    namespace: dict[str, Any] = {"UNSET": msgspec.UNSET}
    source = (
        "def failing(objects, ok):\n"
        f"    return [i for i, o in enumerate(objects) if not {expression}]\n"
    )
    try:
        exec(source, namespace)  # noqa: S102 - generated from checked identifiers
    except (RecursionError, MemoryError, SyntaxError):  # too large to compile: the masks
        return None
    failing: Callable[[list[Any], list[list[bool]]], list[int]] = namespace["failing"]
    return failing


def _presence_masks(rule: _Rule) -> dict[str, Callable[[list[Any]], list[bool]]]:
    """For each attribute ``rule`` names (checked identifiers): whether each object of a
    list holds it, compiled from generated source."""
    names: list[str] = []
    pending = [rule]
    for _ in range(_MAX_RULE_NODES):
        if not pending:
            break
        node = pending.pop()
        if isinstance(node, bool):
            continue
        kind, parts = node[0], node[1]
        if kind == "has":
            names.append(parts)
        elif kind != "ok":
            pending.extend(parts)
    else:
        raise NoTypedPath("a presence rule too large")
    masks = {}
    for name in dict.fromkeys(names):
        if not name.isidentifier():
            raise NoTypedPath("an attribute that is not an identifier")
        namespace: dict[str, Any] = {"UNSET": msgspec.UNSET}
        source = f"def mask(objects):\n    return [o.{name} is not UNSET for o in objects]\n"
        exec(source, namespace)  # noqa: S102 - generated from checked identifiers
        masks[name] = namespace["mask"]
    return masks


@dataclass
class TypedRecords:
    """``accepted(lines)``: the decoded lines the typed path accepts, and the refused ones."""

    decode: Callable[[bytes], Any]
    columns: list[_Column]
    # per column: (the values at its leaf, their record indices or None if every record's)
    gathers: list[Callable[[list[Any]], tuple[list[Any], Sequence[int] | None]]]
    key: Callable[[Any], Any] | None
    key_optional: bool = False  # a record may lack it (msgspec.UNSET)
    key_text: bool = False  # every record holds it, a string (hashed without a type check)
    # the members the records hold, counted without encoding them (flat records only)
    members: Callable[[list[Any]], int] | None = None
    # the ``"`` bytes of the records written without a backslash (:func:`quote_counter`)
    quotes: Callable[[list[Any], Sequence[Sequence[Any]] | None], int] | None = None
    # the records as JSON again: each present member once (UNSET ones are left out)
    encode: Callable[[Any], bytes] = msgspec.json.Encoder().encode
    # the objects whose properties' presence a rule constrains (a oneOf of required ones)
    presence: list[_PresenceCheck] = field(default_factory=list)
    # a record of one untagged struct: its members' names, and those it requires (what
    # msgspec's refusal of a line names there may make the record certainly invalid)
    root_names: frozenset[str] = frozenset()
    root_required: frozenset[str] = frozenset()
    # those whose type is a date (a string of format ``date``, or null)
    root_dates: frozenset[str] = frozenset()
    # an object type is open: a line may hold members its record leaves out, nested as
    # deep as msgspec reads (past the exact checker's bound: the caller counts brackets)
    open: bool = False

    def accepted(
        self, lines: Sequence[bytes], certain: list[int] | None = None
    ) -> tuple[list[Any], list[int]]:
        """(records accepted, in order; indices of the lines refused, ascending).
        ``certain``: extended with the indices of refused lines no acceptor can take (a
        value a certain column refuses: the fast path's validator refuses the record too)."""
        records, refused, _ = self.take(lines, certain)
        return records, refused

    def take(
        self, lines: Sequence[bytes], certain: list[int] | None = None, quotes: bool = False
    ) -> tuple[list[Any], list[int], int | None]:
        """:meth:`accepted`, and with ``quotes`` (and a :attr:`quotes` counter) the
        ``"`` bytes of the records accepted (:func:`quote_counter`), else None."""
        decode = self.decode
        records: list[Any] = []
        refused: list[int] = []
        rest = iter(lines)  # the failing line is consumed: decoding goes on after it
        for _ in range(len(lines) + 1):
            try:
                # extend keeps what was decoded before a failing line
                records.extend(map(decode, rest))
                break
            except ValueError as exc:  # msgspec's errors, and invalid UTF-8
                index = len(records) + len(refused)  # the lines read before it
                refused.append(index)
                if certain is not None and self.root_names and self._surely(exc, lines[index]):
                    certain.append(index)
        sure: set[int] = set()
        gathered = [gather(records) for gather in self.gathers] if records else []
        bad = self._column_failures(records, gathered, sure)
        for check in self.presence:
            bad.update(check.failures(records))
        counter = self.quotes if quotes else None
        count = None
        if counter is not None:  # the columns' lengths count their optional members
            count = counter(records, [values for values, _ in gathered] if gathered else None)
        if not bad:
            return records, refused, count
        failed = sorted(bad)
        if counter is not None and count is not None:
            count -= counter([records[index] for index in failed], None)
        for index in reversed(failed):  # a few, in place: no pass over every record
            del records[index]
        if certain is not None and sure:
            certain.extend(_line_indices(sorted(sure), refused))
            certain.sort()
        return records, sorted(_line_indices(failed, refused) + refused), count

    def _surely(self, exc: ValueError, raw: bytes) -> bool:
        """Whether msgspec's refusal of ``raw`` proves the record invalid: a member of the
        record given once (its name without an escape, written once in the line: msgspec
        checks the first of a name given twice, the other parsers keep the last) whose
        string is not in its ``enum`` or of a wrong length, or a required one absent."""
        if not isinstance(exc, msgspec.ValidationError) or b"\\" in raw:
            return False
        message = str(exc)
        found = _ROOT_VALUE_ERROR.fullmatch(message)
        if found is not None:
            name = found.group(1)
            return name in self.root_names and raw.count(b'"%s"' % name.encode()) == 1
        found = _ROOT_MISSING.fullmatch(message)
        if found is not None:
            name = found.group(1)
            return name in self.root_required and raw.find(b'"%s"' % name.encode()) < 0
        found = _ROOT_DATE_ERROR.fullmatch(message)
        if found is not None and found.group(1) in self.root_dates:
            name = found.group(1)
            if raw.count(b'"%s"' % name.encode()) != 1:
                return False
            try:
                value = orjson.loads(raw)  # NaN or a huge integer: refused, so not sure
            except orjson.JSONDecodeError:
                return False
            text = value.get(name) if isinstance(value, dict) else None
            return isinstance(text, str) and not _exact_date(text)
        return False

    def _column_failures(
        self,
        records: list[Any],
        gathered: list[tuple[list[Any], Sequence[int] | None]],
        sure: set[int],
    ) -> set[int]:
        """Indices (into ``records``) of the records a column refuses (``gathered``: each
        column's values); those a certain column refuses (:attr:`_Column.certain`) are
        added to ``sure`` too."""
        if not self.columns or not records:
            return set()
        bad: set[int] = set()
        for column, (values, where) in zip(self.columns, gathered, strict=True):
            if not _check_column(column, values, where, bad, sure=sure):
                sure.clear()
                return set(range(len(records)))
        return bad


def _line_indices(indices: list[int], refused: list[int]) -> list[int]:
    """The line index of each of the decoded records at ``indices`` (ascending), the lines
    at ``refused`` (ascending) not decoded: one walk over both."""
    lines: list[int] = []
    skipped = 0
    for index in indices:
        while skipped < len(refused) and refused[skipped] <= index + skipped:
            skipped += 1
        lines.append(index + skipped)
    return lines


def _check_column(
    column: _Column,
    values: Sequence[Any],
    where: Sequence[int] | None,
    bad: set[int],
    strings: bool = True,
    sure: set[int] | None = None,
) -> bool:
    """Add to ``bad`` the records (``where[i]``, or ``i``) whose value the leaf refuses;
    False when an error is not about one value (the caller refuses every record).
    ``strings``: False when a value may be other than a string though the leaf says not.
    ``sure``: given, and the column certain, the records added to ``bad`` are added to it
    too (not those refused only because a block's values are not what patterns promise)."""
    if column.opaque:
        values, where = _vouched(column, values, where, bad)
    # one column at a time: a block with a bad value rarely has one in every column, and
    # listing errors costs twice a yes/no answer
    found: set[int] = set() if sure is not None and column.certain else bad
    # (an opaque member's errors at once: listing them costs what a yes/no answer costs
    # over values that large, and a block of them seldom has none wrong)
    if column.opaque or not column.validator.is_valid(values):
        exact = column.exact if sure is not None else None
        for error in column.validator.iter_errors(values):
            path = list(error.instance_path)
            if not path or not isinstance(path[0], int):
                return False
            record = where[path[0]] if where is not None else path[0]
            found.add(record)
            if exact is not None and sure is not None and record not in sure:
                value = values[path[0]]
                if type(value) is str and not exact(value):  # off the format itself
                    sure.add(record)
    if column.wrong_check is not None and values:
        if strings and column.or_null and not column.strings_only:
            if None in values:  # the strings alone, in C-level loops (null has no check)
                held = list(map(is_not, values, repeat(None)))
                rows = where if where is not None else range(len(values))
                values, where = list(compress(values, held)), list(compress(rows, held))
        else:
            strings = strings and column.strings_only
        if found is not bad and not _check_characters(column, values, where, found, strings):
            bad.update(found)  # some refused only as a block: none is certain
            return True
        if found is bad:
            _check_characters(column, values, where, bad, strings)
    if found is not bad:
        assert sure is not None
        bad.update(found)
        sure.update(found)
    return True


def _vouched(
    column: _Column, values: Sequence[Any], where: Sequence[int] | None, bad: set[int]
) -> tuple[Sequence[Any], Sequence[int] | None]:
    """The values of an opaque column it may answer for, and their records; the records
    of the others are added to ``bad``: an integer beyond 64 bits (msgspec reads it
    exactly, orjson and so the fast path as a float) or, where the schema bounds no
    nesting, more brackets than ``depth_left``. orjson encodes neither such integer nor a
    value past its depth limit, so one call vouches for a whole block of plain values."""
    dumps = orjson.dumps
    try:  # the block at once: its brackets (those in strings too) bound every value's
        whole = dumps(values)
    except (orjson.JSONEncodeError, TypeError):
        pass  # one of them: found below
    else:
        left = column.depth_left
        if left is None or whole.count(b"{") + whole.count(b"[") - 1 <= left:
            return values, where
    kept: list[int] = []
    for index, value in enumerate(values):
        try:
            text = dumps(value)
        except (orjson.JSONEncodeError, TypeError):
            continue
        if column.depth_left is None or (text.count(b"{") + text.count(b"[") <= column.depth_left):
            kept.append(index)
    if len(kept) == len(values):
        return values, where
    rows = where if where is not None else range(len(values))
    bad.update(set(rows) - {rows[index] for index in kept})
    return [values[index] for index in kept], [rows[index] for index in kept]


def _check_characters(
    column: _Column,
    values: Sequence[Any],
    where: Sequence[int] | None,
    bad: set[int],
    strings: bool,
) -> bool:
    """Add to ``bad`` the records whose value has a wrong check character; False when
    every record not yet bad was added, the values not being what the patterns promise.

    The values of records not yet bad matched their format's pattern: 18 ASCII characters
    each, so the block's values form one array and the arithmetic runs over all at once.
    """
    assert column.wrong_check is not None
    rows = where if where is not None else range(len(values))
    if strings and set(map(len, values)) == {CHECKED_WIDTH}:
        # Every value at once, when each is 18 characters and all are ASCII (so the rows
        # line up): a value of a bad record may not be a code, but a wrong answer about it
        # only names a record already bad.
        data = "".join(values).encode()
        if len(data) == CHECKED_WIDTH * len(values):
            _mark_wrong(column.wrong_check, data, rows, bad)
            return True
    kept = [type(value) is str and row not in bad for value, row in zip(values, rows, strict=True)]
    values = list(compress(values, kept))
    rows = list(compress(rows, kept))
    data = "".join(values).encode()
    if len(data) != CHECKED_WIDTH * len(values):  # not what the patterns promise: refuse all
        bad.update(rows)
        return False
    _mark_wrong(column.wrong_check, data, rows, bad)
    return True


def _mark_wrong(
    wrong_check: Callable[[bytes], list[int]], data: bytes, rows: Sequence[int], bad: set[int]
) -> None:
    for index in wrong_check(data):
        bad.add(rows[index])


def build_typed_records(
    schema_path: Path, folder: Path, key_field: str | None, documents: _Documents | None = None
) -> TypedRecords | None:
    """The typed path for a record schema, or None when it cannot be exact. ``documents``:
    the schema's, already read (:func:`conformance.exports._fast.load_documents`)."""

    def build() -> TypedRecords:
        read = documents if documents is not None else _Documents(schema_path, folder)
        return _Translator(read, key_field).build()

    return _translated(build)


def typed_path_refusal(schema_path: Path, folder: Path, key_field: str | None) -> str | None:
    """Why JSON Lines records of a schema with a fast path get no typed path (the member
    and the construct), or None when they get one."""
    return typed_path_survey(schema_path, folder, key_field)[0]


def typed_path_survey(
    schema_path: Path, folder: Path, key_field: str | None
) -> tuple[str | None, list[str]]:
    """(:func:`typed_path_refusal`; the members of the records the typed path checks whole
    with jsonschema-rs, no msgspec type saying them, each as where it is and why), from one
    translation: ``(why, [])`` when there is no typed path."""
    try:
        translator = _Translator(_Documents(schema_path, folder), key_field)
        translator.build()
    except NoTypedPath as exc:
        return (f"at /{_pointer(exc.where)}: {exc}" if exc.where else f"at the record: {exc}"), []
    except NoFastPath as exc:
        return str(exc), []
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        return f"the schema could not be translated ({type(exc).__name__}: {exc})", []
    except Exception as exc:  # msgspec or jsonschema-rs refusing what was built
        return f"msgspec or jsonschema-rs refuses the translation: {exc}", []
    # (a member of tag-selected variants is checked in each: named once)
    return None, list(dict.fromkeys(why for _, _, why in translator.opaque_members))


def _pointer(steps: Sequence[str]) -> str:
    """Members from the record down as a JSON pointer (without its leading ``/``)."""
    return "/".join(step.replace("~", "~0").replace("/", "~1") for step in steps)


@dataclass
class CsvColumnChecks:
    """The rows of a CSV file with string columns, checked a column at a time.

    A row is valid when every required column has a cell (``empty`` = "absent") and every
    cell, as the record holds it (absent, None or "" when empty), satisfies its property's
    leaf schema: exactly what validating the record built from the row says, when the
    record schema is a closed object of leaf properties and the header names only them.
    """

    columns: list[tuple[int, _Column]]  # (cell index, its property's checks)
    required: list[int]  # cell indices of required properties
    empty: str
    key: tuple[int, ...]  # cell indices of the key's fields, in key order (): no key
    # cell indices of number columns whose check gives a float the verdict it gives the
    # integer of the same value (type and bounds of magnitude at most 2^53 only)
    floats: frozenset[int] = frozenset()
    # which properties the record must hold beside the required ones (a oneOf of required
    # properties, say): a presence rule over cell indices (:func:`_presence_rule`)
    presence: _Rule = True
    # empty "absent" only: per cell index of a column whose cells stay strings and need no
    # check character, its checks of the cells as read ("" an absent property: refused if
    # the property is required, else passed), so no hole is searched or left out first
    whole: dict[int, _Column] = field(default_factory=dict)
    # converted columns whose last block had an empty cell (read at once, it would fail)
    holed: set[int] = field(default_factory=set)

    def refused(
        self, rows: Sequence[Sequence[str]], typed: Sequence[tuple[int, str, tuple[str, ...]]] = ()
    ) -> tuple[set[int], list[Sequence[Any]]]:
        """Indices of the rows whose record is (or may be) invalid, and the columns.
        ``typed``: the (index, name, types) of the columns the reader converts."""
        cells: list[Sequence[Any]] = columns_of(rows)
        kinds = {index: types for index, _, types in typed}
        bad = self._presence_failures(cells, len(rows)) if self.presence is not True else set()
        absent = self.empty == "absent"
        # the columns checked whole: their cells as read, holes and all
        whole = {i: c for i, c in self.whole.items() if i not in kinds} if absent else {}
        if absent:
            for index in self.required:
                if index not in whole and "" in cells[index]:
                    bad.update(i for i, cell in enumerate(cells[index]) if not cell)
        for index, checks in self.columns:
            column = cells[index]
            if index in whole:
                if not _check_column(whole[index], column, None, bad):
                    return set(range(len(rows))), cells
                continue
            types = kinds.get(index)
            if types is not None and index not in self.holed:
                # numbers read at once mean no cell is empty: no search for one
                numbers = json_numbers(column, types)
                if numbers is not None:
                    if checks.within is not None and checks.within(numbers):
                        continue  # every value satisfies the leaf
                    if not _check_column(checks, numbers.values, None, bad, False):
                        return set(range(len(rows))), cells
                    continue
            values: Sequence[Any] = column
            where: Sequence[int] | None = None
            strings = True
            if "" in column:
                if types is not None:
                    self.holed.add(index)
                if absent:
                    kept = list(map(bool, column))
                    values = list(compress(column, kept))
                    where = list(compress(range(len(column)), kept))
                elif self.empty == "null":
                    values = [cell if cell else None for cell in column]
                    strings = False
            if types is not None:  # converted as the reader converts the record's cells
                strings = False
                if values is column or where is not None:
                    tried = values is column and index not in self.holed  # above, failed
                    if values is column:
                        self.holed.discard(index)
                    numbers = None if tried else json_numbers(values, types)
                    if numbers is None:
                        values = convert_column(values, types, index in self.floats, True)
                    elif checks.within is not None and checks.within(numbers):
                        continue  # every value satisfies the leaf
                    else:
                        values = numbers.values
                else:
                    values = [convert_cell(v, types) if v else v for v in values]
            if not _check_column(checks, values, where, bad, strings):
                return set(range(len(rows))), cells
        for key in self.key:
            key_types = kinds.get(key)
            if key_types is not None:
                # keys as the records hold them (1 and "1" differ; big integers hash as floats)
                key_cells = cells[key]
                cells[key] = tuple(
                    convert_column(key_cells, key_types, key in self.floats)
                    if "" not in key_cells
                    else [convert_cell(v, key_types) if v else v for v in key_cells]
                )
        return bad, cells

    def _presence_failures(self, cells: list[Sequence[Any]], count: int) -> set[int]:
        """The rows whose record does not hold the properties the presence rule says."""
        absent = self.empty == "absent"  # an empty cell is an absent property

        def present(index: int) -> Any:  # a column without an empty cell: every row has it
            column = cells[index]
            return map(truth, column) if absent and "" in column else True

        return set(_failures(self.presence, present, count))

    def keys(self, cells: list[Sequence[Any]]) -> list[Sequence[Any]]:
        """The key of every row that has one, as the record holds it: one sequence of
        values per key field (row by row, all as long)."""
        assert self.key
        found: list[Sequence[Any]] = [cells[index] for index in self.key]
        holes = ["" in column for column in found]  # == "": a converted 0 is no hole
        if self.empty == "empty-string" or not any(holes):
            return found
        # "" is the empty cell: a converted key may be 0, which is a key
        if self.empty == "null":
            return [
                [None if cell == "" else cell for cell in column] if hole else column
                for column, hole in zip(found, holes, strict=True)
            ]
        # absent: a row lacking a key field has no key (its record is refused already)
        kept = [all(cell != "" for cell in row) for row in zip(*found, strict=True)]
        return [list(compress(column, kept)) for column in found]


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
# integers and floats of less than this magnitude compare exactly anywhere (2^53 + 1, read
# as a float, rounds to 2^53 itself)
_EXACT = 2**53


def _within(leaf: dict[str, Any]) -> Callable[[Numbers], bool] | None:
    """For a leaf of ``type`` integer or number and bounds alone: whether numbers read at
    once (:func:`json_numbers`: ints and floats, no bool) all satisfy it, from their least
    and greatest; None for any other leaf."""
    kind = leaf.get("type")
    if kind not in ("integer", "number") or set(leaf) - _ANNOTATIONS - {"type", *_BOUNDS}:
        return None
    bounds = [leaf.get(name) for name in _BOUNDS]
    if any(b is not None and (type(b) not in (int, float) or not abs(b) < _EXACT) for b in bounds):
        return None
    minimum, maximum, above, below = bounds
    integer = kind == "integer"

    def within(numbers: Numbers) -> bool:
        low, high = numbers.low, numbers.high
        return (
            (numbers.integers or not integer)
            and low > -_EXACT
            and high < _EXACT
            and (minimum is None or low >= minimum)
            and (maximum is None or high <= maximum)
            and (above is None or low > above)
            and (below is None or high < below)
        )

    return within


def build_csv_checks(
    schema_path: Path, folder: Path, header: list[str], empty: str, key: tuple[str, ...]
) -> CsvColumnChecks | None:
    """Column checks for rows under ``header``, or None when they cannot be exact;
    ``key``: the key's fields (one or more; (): no key)."""
    return _translated(
        lambda: _Translator(_Documents(schema_path, folder), None).csv(header, empty, key)
    )


def _translated(build: Callable[[], _Built]) -> _Built | None:
    try:
        return build()
    except (NoTypedPath, NoFastPath, ValueError, KeyError, TypeError, RecursionError):
        return None
    except Exception:  # msgspec or jsonschema-rs refusing what was built: no typed path
        return None


# A step from a value to a value inside it: ("attr", name, "" or "optional"), a variant
# test ("is", class name, ""), each item ("each", "", "") or a value not null ("some", "", "").
_Step = tuple[str, str, str]


class _Translator:
    def __init__(self, documents: _Documents, key_field: str | None) -> None:
        self.documents = documents
        self.key_field = key_field
        self.patterns = format_patterns(_today_year())
        # (path, leaf, format whose check characters are left, whether certain, the format
        # its subset pattern stands for: _Column)
        self.columns: list[
            tuple[tuple[_Step, ...], dict[str, Any], str | None, bool, str | None]
        ] = []
        self.classes: dict[str, Any] = {}  # variant class names used by the gather code
        self.left_formats: set[str] = set()
        self.count = 0
        self.nested = False  # an array somewhere (a nested object counts as a struct)
        self.open = False  # an object type admitting members it does not name
        # (where the objects are, their presence rule) for objects with one
        self.presence: list[tuple[tuple[_Step, ...], _Rule, list[_ValueTest]]] = []
        # one compiled validator per distinct leaf (two uri fields compile their pattern
        # once: a 2 KB pattern costs jsonschema-rs about 0.9 ms)
        self._validators: dict[tuple[str, bool], Any] = {}
        # members checked whole (:meth:`opaque`): (path, column, where and why no type
        # says them); the members from the record down to the one being translated
        self.opaque_members: list[tuple[tuple[_Step, ...], _Column, str]] = []
        self.trail: list[str] = []
        # what their validators share (:meth:`opaque_setting`); False: not read yet
        self._opaque_setting: tuple[str | None, Any, dict[str, Any] | None] | bool | None = False

    def build(self) -> TypedRecords:
        root_uri = self.documents.root_uri
        root = self.documents.data[root_uri]
        record_type = self.translate(root_uri, root, (), 0, top=True)
        decoder = msgspec.json.Decoder(record_type)
        # records of one struct, or of tag-selected variants (each a struct)
        variants = get_args(record_type) if get_origin(record_type) is Union else (record_type,)
        hints = msgspec.structs.fields(variants[0])
        key = None
        key_optional = key_text = False
        if self.key_field is not None:
            name = self.python_name(self.key_field)
            if any(name not in getattr(v, "__struct_fields__", ()) for v in variants):
                raise NoTypedPath("the key is not a property of every record")
            key = attrgetter(name)
            _, root = self.concrete(root_uri, root)
            key_optional = self.key_field not in (root.get("required") or [])
            key_text = not key_optional and all(
                any(f.name == name and f.type is str for f in msgspec.structs.fields(v))
                for v in variants
            )
        formats = _exact_formats(self.left_formats) or None
        columns: list[_Column] = []
        for _, leaf, check_format, certain, subset in self.columns:
            column = self.column(leaf, check_format, formats, certain=certain)
            if subset is not None and column.strings_only:
                column.exact = cached_format_check(FORMATS[subset])
            columns.append(column)
        gathers = [self.gather(path) for path, _, _, _, _ in self.columns]
        columns.extend(column for _, column, _ in self.opaque_members)
        gathers.extend(self.gather(path) for path, _, _ in self.opaque_members)
        members = None
        # one struct of leaves: a member a field. Counted so when a field may hold a number
        # (encoded, it costs more than joining the texts); records of strings, dates and
        # enums encode faster than their texts join (and less a pass for unset fields).
        if self.count == 1 and not self.nested and any(_may_hold_number(f.type) for f in hints):
            texts = [attrgetter(f.name) for f in hints if _may_hold_text(f.type)]
            members = partial(_flat_members, len(hints), texts)
        presence = [
            _PresenceCheck(
                self.gather(path) if path else None,
                rule,
                _presence_masks(rule),
                _rule_failures(rule),
                tests,
            )
            for path, rule, tests in self.presence
        ]
        root_names: frozenset[str] = frozenset()
        root_required: frozenset[str] = frozenset()
        root_dates: frozenset[str] = frozenset()
        if len(variants) == 1 and record_type.__struct_config__.tag_field is None:
            root_names = frozenset(f.encode_name for f in hints)
            root_required = frozenset(f.encode_name for f in hints if f.required)
            root_dates = frozenset(
                f.encode_name for f in hints if dt.date in (f.type, *_members(f.type))
            )
        return TypedRecords(
            decoder.decode,
            columns,
            gathers,
            key,
            key_optional,
            key_text=key_text,
            members=members,
            quotes=quote_counter(record_type, [path for path, *_ in self.columns]),
            presence=presence,
            root_names=root_names,
            root_required=root_required,
            root_dates=root_dates,
            open=self.open,
        )

    def csv(self, header: list[str], empty: str, key_fields: tuple[str, ...]) -> CsvColumnChecks:
        uri, root = self.concrete(
            self.documents.root_uri, self.documents.data[self.documents.root_uri]
        )
        if not isinstance(root, dict) or root.get("type") != "object":
            raise NoTypedPath("records are not objects")
        root = _named_members_only(self.composed(uri, root))
        if "propertyNames" in root:  # a row's record holds only the header's names
            root = self.names_admitted({**root, "additionalProperties": False})
        # open or closed alike: the header names only properties (checked below)
        properties, required = _closed_object(
            root, allow_tags=False, allow_presence=True, allow_open=True
        )
        presence = _presence_rule(
            {k: root[k] for k in _PRESENCE_KEYWORDS if k in root},
            lambda name: ("has", header.index(name)) if name in header else False,
            members=list(properties),  # (the record holds the header's alone)
        )
        if len(set(header)) != len(header) or not set(header) <= set(properties):
            raise NoTypedPath("a column no property names")
        if not set(required) <= set(header):
            raise NoTypedPath("a required property no column holds")
        columns = []
        formats: set[str] = set()
        nodes: dict[str, Any] = {}
        for index, name in enumerate(header):
            node_uri, node = self.concrete(uri, properties[name])
            if isinstance(node, dict) and (leaf := self.nullable_branch(node_uri, node)):
                # a cell is null only where empty cells read as null: elsewhere the leaf
                # alone says what the idiom says of every value a cell gives
                node = leaf if empty != "null" else self.nullable_leaf(node_uri, node)
            nodes[name] = node
            if not isinstance(node, dict) or _beyond_column(node):
                raise NoTypedPath(f"property {name!r} is not a leaf")
            leaf, check_format, left = self.column_leaf(node)
            formats |= left
            columns.append((index, leaf, check_format))
        exact = _exact_formats(formats) or None
        # a column checked whole needs its own checks only if the reader converts its
        # cells: built then (a format's pattern may take a millisecond to compile)
        wholes = {index for index, _, fmt in columns if empty == "absent" and fmt is None}
        checks = [
            (index, self.column(leaf, fmt, exact, lazy=index in wholes))
            for index, leaf, fmt in columns
        ]
        if not set(key_fields) <= set(header):
            raise NoTypedPath("no column holds the key")
        key = tuple(header.index(name) for name in key_fields)
        floats = frozenset(
            index for index, name in enumerate(header) if self.float_safe(nodes[name])
        )
        required_cells = [header.index(n) for n in required]
        # a cell as read: a string, "" an absent property (a converted column's cells are
        # never checked so, nor a check character's: it needs the values alone)
        whole: dict[int, _Column] = {}
        if empty == "absent":
            for index, leaf, fmt in columns:
                if fmt is None:
                    cell = (
                        {"minLength": 1, "allOf": [leaf]}
                        if index in required_cells
                        else {"anyOf": [{"maxLength": 0}, leaf]}
                    )
                    whole[index] = self.column(cell, None, exact)
        return CsvColumnChecks(checks, required_cells, empty, key, floats, presence, whole)

    def column_leaf(self, node: dict[str, Any]) -> tuple[dict[str, Any], str | None, set[str]]:
        """A copy of a leaf schema with formats as patterns where exact, the format whose
        check characters are left to check, and the formats left as callbacks."""
        leaf = _copy(node)
        check_format = None
        left = set()
        fmt = leaf.get("format")
        if isinstance(fmt, str):
            if fmt in CHECK_CHARACTERS:
                check_format = fmt
                _add_pattern(leaf, self.patterns[fmt])
            elif fmt in self.patterns:
                _add_pattern(leaf, self.patterns[fmt])
            else:
                left.add(fmt)
        return leaf, check_format, left

    def column(
        self,
        leaf: dict[str, Any],
        check_format: str | None,
        formats: dict[str, Any] | None,
        lazy: bool = False,
        certain: bool = False,
    ) -> _Column:
        build = partial(
            jsonschema_rs.validator_for,
            {"type": "array", "items": leaf},
            validate_formats=True,
            formats=formats,
            offline=True,
        )
        try:
            same = (json.dumps(leaf, sort_keys=True), lazy)
        except (TypeError, ValueError):
            same = None
        validator = self._validators.get(same) if same is not None else None
        if validator is None:
            validator = _Lazy(build) if lazy else build()
            if same is not None:
                self._validators[same] = validator
        check = WRONG_CHECK_CHARACTERS[check_format] if check_format is not None else None
        kind = leaf.get("type")
        strings = kind == "string"
        # a string-or-null leaf refuses a value as surely (null it takes, or its enum says)
        or_null = kind in (["string", "null"], ["null", "string"])
        certain = certain and (strings or or_null)
        return _Column(validator, check, strings, _within(leaf), certain, or_null=or_null)

    # ------------------------------------------------------------ schema to types

    def concrete(self, uri: str, node: Any) -> tuple[str, Any]:
        """Follow a node that is only a ``$ref`` (and annotations) to what it names."""
        for _ in range(_MAX_DEPTH):
            if not (isinstance(node, dict) and "$ref" in node):
                return uri, node
            if set(node) - _ANNOTATIONS - {"$ref"}:
                raise NoTypedPath("$ref beside other keywords")
            uri, _, node = self.documents.resolve(uri, node["$ref"])
        raise NoTypedPath("$ref chain too long")

    def translate(
        self, uri: str, node: Any, path: tuple[_Step, ...], depth: int, top: bool = False
    ) -> Any:
        if depth > _MAX_DEPTH:
            raise NoTypedPath("too deep")
        uri, node = self.concrete(uri, node)
        if not isinstance(node, dict):
            raise NoTypedPath("boolean schema")
        other = self.nullable_other(uri, node)
        if other is not None and not top and other[1].get("type") in ("object", "array"):
            # an object or array, or null: what is inside is gathered where it is not null
            inside = self.translate(*other, (*path, ("some", "", "")), depth + 1)
            return Union[inside, None]  # noqa: UP007 - a runtime union
        node = self.nullable_leaf(uri, node) or node
        node = self.leaf_all_of(uri, node)
        if node.get("type") == "object":
            return self.object_type(uri, node, path, depth)
        if top:
            raise NoTypedPath("records are not objects")
        if node.get("type") == "array":
            return self.array_type(uri, node, path, depth)
        return self.leaf_type(node, path)

    def leaf_all_of(self, uri: str, node: dict[str, Any]) -> dict[str, Any]:
        """A leaf whose ``allOf`` holds leaves (a ``$ref`` to one, say) as one leaf of their
        keywords together (:func:`_all_of`); any other node as it is."""
        members = node.get("allOf")
        if not isinstance(members, list) or not members:
            return node
        try:
            parts = [self.concrete(uri, member)[1] for member in members]
        except NoTypedPath:
            return node
        merged = _all_of([{k: v for k, v in node.items() if k != "allOf"}, *parts])
        return node if "allOf" in merged else merged

    def nullable_leaf(self, uri: str, node: dict[str, Any]) -> dict[str, Any] | None:
        """``anyOf`` or ``oneOf`` of a scalar leaf (or a ``$ref`` to one) and ``{"type":
        "null"}``, the nullable idiom of generated schemas, as that leaf with null added to
        its type (and to its ``enum`` or ``const``): the same values either way (the leaf
        declares a type other than null, so no value matches both branches, and its other
        keywords say nothing of null). None for any other node."""
        leaf = self.nullable_branch(uri, node)
        if leaf is None:
            return None
        merged = {**leaf, "type": [leaf["type"], "null"]}
        if "const" in merged:
            merged["enum"] = [merged.pop("const"), None]
        elif isinstance(merged.get("enum"), list):
            merged["enum"] = [*merged["enum"], None]
        return merged

    def nullable_branch(self, uri: str, node: dict[str, Any]) -> dict[str, Any] | None:
        """The scalar leaf of a nullable idiom (:meth:`nullable_leaf`), or None: what the
        idiom says of every value but null."""
        other = self.nullable_other(uri, node)
        if other is None:
            return None
        leaf = other[1]
        if _beyond_column(leaf):
            return None
        declared = leaf.get("type")
        if declared not in (*_SCALAR_TYPES, "number") or declared == "null":
            return None
        return leaf

    def nullable_other(self, uri: str, node: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """``anyOf`` or ``oneOf`` of ``{"type": "null"}`` and one other schema: that schema
        (a ``$ref`` followed) and the URI it is read from; None for any other node. The two
        say the same of every value but null when the other declares a type but null."""
        keywords = set(node) - _ANNOTATIONS
        if keywords not in ({"anyOf"}, {"oneOf"}):
            return None
        branches = node[keywords.pop()]
        if not isinstance(branches, list) or len(branches) != 2:
            return None
        nulls = [
            index
            for index, branch in enumerate(branches)
            if isinstance(branch, dict)
            and set(branch) - _ANNOTATIONS == {"type"}
            and branch["type"] == "null"
        ]
        if len(nulls) != 1:
            return None
        other_uri, other = self.concrete(uri, branches[1 - nulls[0]])
        return (other_uri, other) if isinstance(other, dict) else None

    def array_type(
        self, uri: str, node: dict[str, Any], path: tuple[_Step, ...], depth: int
    ) -> Any:
        """``list`` of the items' type, its lengths as msgspec's Meta; the items' columns
        are gathered through every element (a path step ``each``)."""
        self.nested = True
        keywords = set(node) - _ANNOTATIONS
        if (
            keywords - {"type", "items", "minItems", "maxItems", "uniqueItems"}
            or "items" not in node
        ):
            raise NoTypedPath(f"array keywords {sorted(keywords)}")
        meta: dict[str, Any] = {}
        for keyword, option in (("minItems", "min_length"), ("maxItems", "max_length")):
            if keyword in node:
                if not _plain_int(node[keyword]) or node[keyword] < 0:
                    raise NoTypedPath(f"{keyword} is not a count")
                meta[option] = node[keyword]
        self.trail.append("*")
        try:
            items = self.translate(uri, node["items"], (*path, ("each", "", "")), depth + 1)
        except NoTypedPath as exc:
            raise exc.inside("*") from None
        finally:
            self.trail.pop()
        if node.get("uniqueItems", False) is not False:
            # the lists themselves a column: jsonschema-rs tells repeats of JSON scalars
            # (not of structs, nor of dates msgspec made of strings)
            if node["uniqueItems"] is not True or not _json_scalars(items):
                raise NoTypedPath("uniqueItems over items other than JSON scalars")
            self.columns.append((path, {"uniqueItems": True}, None, False, None))
        kind = list[items]  # type: ignore[valid-type]
        return Annotated[kind, msgspec.Meta(**meta)] if meta else kind

    def object_type(
        self, uri: str, node: dict[str, Any], path: tuple[_Step, ...], depth: int
    ) -> Any:
        node = self.composed(uri, node)
        if not path or node.get("properties"):  # (a map, naming none, is checked whole)
            node = _named_members_only(node)
        node = self.names_admitted(self.shapes(uri, node))
        if {"if", "then", "else"} & node.keys():  # one more member of allOf, said alone
            if "if" not in node:
                raise NoTypedPath("then or else without if")
            test = {k: node[k] for k in ("if", "then", "else") if k in node}
            members = node.get("allOf", [])
            if not isinstance(members, list):
                raise NoTypedPath("allOf is not a list")
            node = {k: v for k, v in node.items() if k not in ("if", "then", "else")}
            node["allOf"] = [*members, test]
        properties, required = _closed_object(
            node, allow_tags=True, allow_presence=True, allow_open=True
        )
        # an open object: its other members hold anything (msgspec skips them), so only a
        # line's depth is left to bound (:attr:`TypedRecords.open`)
        closed = _closes(node)
        self.open = self.open or not closed
        words = [k for k in _PRESENCE_KEYWORDS if k in node]
        members = node.get("allOf")
        branches = None
        if (
            words == ["allOf"]
            and isinstance(members, list)
            and any(isinstance(m, dict) and _tag_shaped(m.get("if")) for m in members)
        ):
            try:  # tag-selected variants, else a rule testing the tag's values
                tag, branches = self.tagged(uri, node, properties, set(required))
            except NoTypedPath:
                branches = None
        if branches is None:
            return self.ruled(uri, node, properties, set(required), path, depth, closed)
        variants = []
        first = len(self.columns)
        for value, (extra, forbidden, held) in branches.items():
            fields = {
                k: _all_of([v, *held[k]]) if k in held else v
                for k, v in properties.items()
                if k != tag and k not in forbidden
            }
            variants.append(
                self.struct(uri, fields, set(required) | extra, (tag, value), path, depth, closed)
            )
        self.share_columns(first, len(variants), len(path))
        return Union[tuple(variants)]  # noqa: UP007 - a runtime union of classes

    def ruled(
        self,
        uri: str,
        node: dict[str, Any],
        properties: dict[str, Any],
        required: set[str],
        path: tuple[_Step, ...],
        depth: int,
        closed: bool,
    ) -> Any:
        """The struct of an object whose presence keywords (and conditionals and branches
        testing its leaves' values) are one rule checked over the block's objects at this
        place (:func:`_presence_rule`)."""

        def known(name: str) -> _Rule:
            if name in required:
                return True
            if name in properties:
                return ("has", self.python_name(name))
            if closed:
                return False
            # msgspec skips the members an open object does not name: none to tell
            raise NoTypedPath(f"a rule on {name!r}, a member the open object does not name")

        tests: list[tuple[str, Any]] = []

        def tested(name: str, schema: Any) -> _Rule:
            tests.append((name, schema))
            return ("ok", len(tests) - 1)

        words = {k: node[k] for k in _PRESENCE_KEYWORDS if k in node}
        counted = list(properties) if closed else None
        rule = _presence_rule(words, known, members=counted, tested=tested)
        cls = self.struct(uri, properties, required, None, path, depth, closed)
        if rule is not True:  # checked over the block's objects at this place
            types = {f.encode_name: f.type for f in msgspec.structs.fields(cls)}
            value_tests = [self.value_test(uri, name, schema, types) for name, schema in tests]
            self.presence.append((path, rule, value_tests))
        return cls

    def value_test(self, uri: str, name: str, schema: Any, types: dict[str, Any]) -> _ValueTest:
        """The test that a property's value (of the msgspec type ``types[name]``, or
        absent) satisfies ``schema``, as jsonschema-rs checks it on the fast path."""
        kind = types[name]
        plain = [kind]
        if get_origin(kind) is Union:  # an optional property: its type, or unset
            plain = [k for k in get_args(kind) if k is not msgspec.UnsetType]
        dates = any(k is dt.date or dt.date in get_args(k) for k in plain)
        scalars = [k for k in plain if k is not dt.date]
        # a member checked whole (Any) holds what orjson reads, or its column refuses it
        whole = plain == [Any]
        if not whole and not _json_scalars(_union(scalars) if scalars else str):
            raise NoTypedPath(f"a rule on the value of {name!r}, not a JSON scalar")
        value = attrgetter(self.python_name(name))
        try:
            _, target = self.concrete(uri, schema)
        except NoTypedPath:
            target = None
        inner = target  # (the schema itself, or what its not names)
        outside = isinstance(target, dict) and set(target) - _ANNOTATIONS == {"not"}
        if outside:
            assert isinstance(target, dict)
            try:
                _, inner = self.concrete(uri, target["not"])
            except NoTypedPath:
                inner = None
        if isinstance(inner, dict) and set(inner) - _ANNOTATIONS in ({"const"}, {"enum"}):
            options = [inner["const"]] if "const" in inner else inner["enum"]
            if isinstance(options, list) and all(isinstance(o, str) for o in options):
                strings = frozenset(options)
                return _ValueTest(value, None, None, strings, outside, dates=dates)
        numbers = not whole and any(_may_hold_number(k) for k in plain)
        multiple = _uses(schema, frozenset({"multipleOf", "$ref"}))
        distinct = not whole and _strings_or_null(_union(plain))
        fmt = target.get("format") if isinstance(target, dict) else None
        # a format whose pattern is only a subset would fail values the format accepts
        subset = isinstance(fmt, str) and fmt in self.patterns and fmt not in CHECK_CHARACTERS
        if (
            isinstance(target, dict)
            and not _beyond_column(target)
            and not (subset and fmt not in EXACT_PATTERNS)
        ):
            leaf, check_format, left = self.column_leaf(target)
            column = self.column(leaf, check_format, _exact_formats(left) or None)
            text = not whole and all(k is str or k is dt.date for k in plain)
            return _ValueTest(
                value,
                None,
                numbers=numbers,
                multiple=multiple,
                dates=dates,
                distinct=distinct,
                column=column,
                text=text,
            )
        accepts, refuses = (
            self.shared_validator({"type": "array", "items": items})
            for items in (_copy(schema), {"not": _copy(schema)})
        )
        return _ValueTest(value, accepts, refuses, None, False, numbers, multiple, dates, distinct)

    def share_columns(self, first: int, count: int, at: int) -> None:
        """One column for a leaf every one of ``count`` variants holds alike (the same
        schema, required or not in each): gathered over all the records at once, not once
        per variant. ``first``: the variants' first column; ``at``: where in a column's
        path the variant step (``is``) is."""
        groups: dict[str, list[int]] = {}
        for index in range(first, len(self.columns)):
            path, leaf, check_format, certain, subset = self.columns[index]
            if len(path) <= at or path[at][0] != "is":
                continue
            try:
                key = json.dumps(
                    [path[:at], path[at + 1 :], leaf, check_format, certain, subset],
                    sort_keys=True,
                )
            except (TypeError, ValueError):
                continue
            groups.setdefault(key, []).append(index)
        shared = {group[0]: group for group in groups.values() if len(group) == count}
        if not shared:
            return
        dropped = {index for group in shared.values() for index in group[1:]}
        kept = []
        for index, column in enumerate(self.columns):
            if index in shared:
                path = column[0]
                column = (path[:at] + path[at + 1 :], *column[1:])
            if index not in dropped:
                kept.append(column)
        self.columns[:] = kept

    def composed(self, uri: str, node: dict[str, Any]) -> dict[str, Any]:
        """An object schema whose ``allOf`` composes it of object schemas (a ``$ref`` to a
        base, say) as one object schema: their properties (a name in two held to both) and
        required names together; ``allOf`` keeps its other members (tag tests, presence
        keywords). The node itself when nothing composes, or when the node's own
        ``additionalProperties`` would forbid a member's property (left as written)."""
        members = node.get("allOf")
        if not isinstance(members, list) or not members:
            return node
        kept: list[Any] = []
        parts: list[dict[str, Any]] = []
        for member in members:
            try:
                _, target = self.concrete(uri, member)
            except NoTypedPath:
                target = None
            if _composable(target):
                parts.append(target)
            else:
                kept.append(member)
        if not parts:
            return node
        own = node.get("properties") or {}
        if not isinstance(own, dict):
            return node
        closed = node.get("additionalProperties", True) is not True
        properties = dict(own)
        required = list(node.get("required") or [])
        for part in parts:
            for name, sub in (part.get("properties") or {}).items():
                if closed and name not in own:
                    return node  # forbidden by the node itself: as written
                properties[name] = _all_of([properties[name], sub]) if name in properties else sub
            required.extend(n for n in part.get("required") or [] if n not in required)
        merged = {k: v for k, v in node.items() if k != "allOf"}
        merged["properties"], merged["required"] = properties, required
        if kept:
            merged["allOf"] = kept
        return merged

    def tagged(
        self, uri: str, node: dict[str, Any], properties: dict[str, Any], required: set[str]
    ) -> tuple[str, dict[str, _Variant]]:
        """The tag property and, per tag value, (extra required, forbidden, the schemas a
        property is held to besides its own) of a schema whose ``allOf`` is ``if tag ==
        value then ... else ...``, each branch requiring, forbidding or constraining
        properties (``then`` for the value, ``else`` for every other one)."""
        tag = None
        tests: list[tuple[str, _Variant, _Variant]] = []
        for member in node["allOf"]:
            keys = set(member) - _ANNOTATIONS if isinstance(member, dict) else set()
            if "if" not in keys or not keys <= {"if", "then", "else"}:
                raise NoTypedPath("allOf other than if/then/else on a tag")
            name, value = self.tag_test(member["if"])
            if tag not in (None, name):
                raise NoTypedPath("tests on two tags")
            tag = name
            then, otherwise = (_branch(member.get(k, True)) for k in ("then", "else"))
            tests.append((value, then, otherwise))
        if tag is None or tag not in required or tag == self.key_field:
            raise NoTypedPath("the tag is optional, or the key")
        _, tag_schema = self.concrete(uri, properties[tag])
        values = tag_schema.get("enum") if isinstance(tag_schema, dict) else None
        if (
            not isinstance(values, list)
            or set(tag_schema) - _ANNOTATIONS - {"enum", "type"}
            or tag_schema.get("type", "string") != "string"
            or not all(isinstance(v, str) for v in values)
        ):
            raise NoTypedPath("the tag is not an enum of strings")
        branches: dict[str, _Variant] = {}
        for value in values:  # (a test on a value the enum leaves out is never true)
            extra: set[str] = set()
            forbidden: set[str] = set()
            held: dict[str, list[Any]] = {}
            for tested, then, otherwise in tests:
                more, less, schemas = then if value == tested else otherwise
                extra |= more
                forbidden |= less
                for name, schema in schemas.items():
                    held.setdefault(name, []).append(schema)
            if not (extra | held.keys()) <= set(properties) or (extra | required) & forbidden:
                raise NoTypedPath("then or else requires what it forbids, or names no property")
            if tag in held:
                raise NoTypedPath("then or else constrains the tag")
            branches[value] = (extra, forbidden, held)
        return tag, branches

    @staticmethod
    def tag_test(condition: Any) -> tuple[str, str]:
        """(property, string) of an ``if`` testing one property against a string
        ``const`` (``required`` naming it, or left out: the tag is a required property)."""
        if not (
            isinstance(condition, dict)
            and set(condition) - _ANNOTATIONS in ({"properties", "required"}, {"properties"})
            and isinstance(condition["properties"], dict)
            and len(condition["properties"]) == 1
        ):
            raise NoTypedPath("if other than a tag test")
        ((name, test),) = condition["properties"].items()
        if condition.get("required", [name]) != [name] or not (
            isinstance(test, dict) and set(test) == {"const"} and isinstance(test["const"], str)
        ):
            raise NoTypedPath("if other than a tag test")
        return name, test["const"]

    def struct(
        self,
        uri: str,
        properties: dict[str, Any],
        required: set[str],
        tag: tuple[str, str] | None,
        path: tuple[_Step, ...],
        depth: int,
        closed: bool = True,
    ) -> Any:
        self.count += 1
        class_name = f"T{self.count}"
        if tag is not None:
            path = (*path, ("is", class_name, ""))
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        rename: dict[str, str] = {}
        for name, sub in properties.items():
            python = self.python_name(name)
            rename[python] = name
            sub_path = (*path, ("attr", python, "" if name in required else "optional"))
            state = self.state()
            self.trail.append(name)
            try:
                kind = self.translate(uri, sub, sub_path, depth + 1)
            except NoTypedPath as exc:
                self.restore(state)
                kind = self.opaque(uri, sub, sub_path, name, exc)
            finally:
                self.trail.pop()
            if name in required:
                fields.append((python, kind))
            else:
                fields.append((python, Union[kind, msgspec.UnsetType], msgspec.UNSET))  # noqa: UP007
        options: dict[str, Any] = {"forbid_unknown_fields": closed, "kw_only": True, "gc": False}
        if tag is not None:
            options["tag_field"], options["tag"] = tag
        cls = msgspec.defstruct(class_name, fields, rename=rename, **options)
        self.classes[class_name] = cls
        return cls

    def shapes(self, uri: str, node: dict[str, Any]) -> dict[str, Any]:
        """An object that is one (``oneOf``) or some (``anyOf``) of several object shapes
        (a person or a company, each by ``$ref``, told apart by which members it holds or
        by their values, not by a tag) as one object of every shape's members, and each
        shape a branch saying which it requires and forbids and what their values are
        (:func:`_presence_rule`, value tests). A member the shapes that admit it hold to
        one schema is typed by it; one they hold to different schemas is checked whole
        and tested per branch. The node itself when a member is not such a shape, or
        the object cannot be closed where a shape is (msgspec skips unnamed members)."""
        words = [w for w in ("oneOf", "anyOf") if w in node]
        if len(words) != 1 or not isinstance(node[words[0]], list) or not node[words[0]]:
            return node
        (word,) = words
        shapes: list[dict[str, Any]] = []
        for member in node[word]:
            try:
                _, target = self.concrete(uri, member)
            except NoTypedPath:
                return node
            if not _shape(target):
                return node
            shapes.append(target)
        own = node.get("properties") or {}
        if not isinstance(own, dict) or not any(shape.get("properties") for shape in shapes):
            return node
        closed = node.get("additionalProperties") is False
        # unevaluatedProperties: a member is the object's own or a valid shape's
        unevaluated = node.get("unevaluatedProperties") is False and not closed
        shut = [shape.get("additionalProperties", True) is False for shape in shapes]
        if not (closed or unevaluated or all(shut)) and any(shut):
            return node  # an open object: a closed shape refuses members none names
        properties = dict(own)
        fixed: set[str] = set()  # members typed by the one schema every shape holds them to
        if not closed:
            for shape in shapes:
                for name in shape.get("properties", {}):
                    if name in properties:
                        continue
                    held = [
                        s["properties"][name] for s in shapes if name in s.get("properties", {})
                    ]
                    free = not unevaluated and any(
                        name not in s.get("properties", {}) and not lid
                        for s, lid in zip(shapes, shut, strict=True)
                    )
                    if not free and all(_same(h, held[0]) for h in held):
                        properties[name] = held[0]
                        fixed.add(name)
                    else:  # checked whole as any of them, and per branch exactly
                        properties[name] = {} if free else {"anyOf": held}
        branches: list[dict[str, Any]] = []
        for shape, lid in zip(shapes, shut, strict=True):
            named = shape.get("properties", {})
            tests: dict[str, Any] = {
                name: schema
                for name, schema in named.items()
                if name in properties
                and name not in fixed
                and not (name in own and _same(own[name], schema))
            }
            if lid:
                tests.update({name: False for name in properties if name not in named})
            branch: dict[str, Any] = {"properties": tests}
            if shape.get("required"):
                branch["required"] = shape["required"]
            branches.append(branch)
        merged = {k: v for k, v in node.items() if k not in (word, "unevaluatedProperties")}
        merged["properties"], merged[word] = properties, branches
        if unevaluated:  # a member not the object's own: a valid shape names it
            evaluated = [
                {
                    "if": {"required": [name]},
                    "then": {
                        "anyOf": [
                            branch
                            for branch, shape in zip(branches, shapes, strict=True)
                            if name in shape.get("properties", {})
                        ]
                    },
                }
                for name in properties
                if name not in own
            ]
            if evaluated:
                members = merged.get("allOf", [])
                if not isinstance(members, list):
                    return node
                merged["allOf"] = [*members, *evaluated]
        if closed or unevaluated or all(shut):
            merged["additionalProperties"] = False
        return merged

    def names_admitted(self, node: dict[str, Any]) -> dict[str, Any]:
        """A closed object schema's ``propertyNames`` said by its properties alone: those
        whose name it refuses are left out (no object may hold them: msgspec refuses an
        unknown member), each name checked once here by jsonschema-rs as the fast path
        checks it. The node itself without ``propertyNames``."""
        if "propertyNames" not in node:
            return node
        names = node["propertyNames"]
        rest = {k: v for k, v in node.items() if k != "propertyNames"}
        if names is True:
            return rest
        if not _closes(node):
            raise NoTypedPath("propertyNames of an open object")
        properties = node.get("properties") or {}
        if not isinstance(properties, dict):
            raise NoTypedPath("malformed properties")
        validator = self.shared_validator(_copy(names))
        refused = {name for name in properties if not validator.is_valid(name)}
        required = node.get("required") or []
        if isinstance(required, list) and refused & set(required):
            raise NoTypedPath("propertyNames refuses a required property")
        rest["properties"] = {k: v for k, v in properties.items() if k not in refused}
        return rest

    def shared_validator(self, schema: Any) -> Any:
        """jsonschema-rs for ``schema`` (a copy: its ``$schema`` is set) with what the
        typed path's own validators share: the documents' draft, a registry of every
        document, the exact format callbacks (:meth:`opaque_setting`). NoTypedPath when
        the documents declare different drafts or jsonschema-rs refuses the schema."""
        setting = self.opaque_setting()
        if setting is None:
            raise NoTypedPath("documents of different drafts")
        draft, registry, formats = setting
        if isinstance(schema, dict) and draft is not None:
            schema["$schema"] = draft
        try:
            return jsonschema_rs.validator_for(
                schema, registry=registry, validate_formats=True, formats=formats, offline=True
            )
        except Exception:  # jsonschema-rs refusing it: the fast path decides
            raise NoTypedPath("a schema jsonschema-rs cannot read") from None

    def python_name(self, name: str) -> str:
        return "f_" + name.encode().hex()

    def state(self) -> tuple[int, int, int, bool, bool, frozenset[str]]:
        """What translating a member adds to, to undo when it cannot be typed."""
        return (
            len(self.columns),
            len(self.presence),
            len(self.opaque_members),
            self.nested,
            self.open,
            frozenset(self.left_formats),
        )

    def restore(self, state: tuple[int, int, int, bool, bool, frozenset[str]]) -> None:
        columns, presence, opaque, self.nested, self.open, left = state
        del self.columns[columns:], self.presence[presence:], self.opaque_members[opaque:]
        self.left_formats = set(left)

    def opaque_setting(self) -> tuple[str | None, Any, dict[str, Any] | None] | None:
        """(the draft, the registry of every document, the exact format callbacks) the
        opaque members' validators share, read once; None when the documents declare
        different drafts (one declaring none reads as the default draft)."""
        if self._opaque_setting is False:
            drafts = {
                data.get("$schema") if isinstance(data, dict) else None
                for data in self.documents.data.values()
            }
            self._opaque_setting = None
            if len(drafts) == 1:
                self._opaque_setting = (
                    drafts.pop(),
                    jsonschema_rs.Registry(list(self.documents.data.items())),
                    _exact_formats(_used_formats(self.documents.data)) or None,
                )
        assert not isinstance(self._opaque_setting, bool)
        return self._opaque_setting

    def opaque(
        self, uri: str, node: Any, path: tuple[_Step, ...], name: str, exc: NoTypedPath
    ) -> Any:
        """``Any`` for a member whose schema no msgspec type says (``patternProperties``,
        ``if``/``else``, a ``oneOf`` of objects, ``{}``, ...): msgspec reads its value as
        JSON, and jsonschema-rs checks the block's values of it at once against the member's
        schema as published (formats by their exact callbacks), so the rest of the record
        keeps its types. A member's schema says the same of its value wherever the record
        is (no dynamic reference: the fast path has none). Not for the record's key, nor
        when the documents declare different drafts: ``exc`` is raised then."""
        if name == self.key_field and all(step[0] == "is" for step in path[:-1]):
            raise exc.inside(name) from None
        try:
            validator = self.shared_validator({"type": "array", "items": _copy(node)})
        except NoTypedPath:
            raise exc.inside(name) from None
        # the containers around the value: an object per member step, an array per item
        around = sum(step[0] in ("attr", "each") for step in path)
        bound = _DepthBound(self.documents).of(uri, f"/opaque/{len(self.opaque_members)}", node)
        left = None if around + bound <= MAX_DEPTH else MAX_DEPTH - around
        column = _Column(validator, None, False, opaque=True, depth_left=left)
        where = _pointer((*self.trail, *exc.where))
        self.opaque_members.append((path, column, f"at /{where}: {exc}"))
        self.nested = True  # a value may hold members: the colons are counted encoded
        return Any

    def leaf_type(self, node: dict[str, Any], path: tuple[_Step, ...]) -> Any:
        beyond = _beyond_column(node)
        if beyond:
            raise NoTypedPath(f"leaf keywords {sorted(beyond)}")
        declared = node.get("type")
        types = [declared] if isinstance(declared, str) else declared
        enum = node.get("enum", [node["const"]] if "const" in node else None)
        if types is None:
            if not (isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum)):
                raise NoTypedPath("a leaf of any type")
            types = ["string"]
        if types in (["number"], ["number", "null"], ["null", "number"]):
            number = self.number(node) if enum is None else None
            if number is not None:  # null: no bound applies to it
                return number if types == ["number"] else Union[number, None]  # noqa: UP007
        if not isinstance(types, list) or not types or any(t not in _SCALAR_TYPES for t in types):
            if isinstance(types, list) and "number" in types:
                extra = sorted(set(node) - _ANNOTATIONS - {"type"})
                raise NoTypedPath(
                    f"a number leaf with {extra} (typed: bounds of magnitude at most 2^53)"
                )
            raise NoTypedPath(f"leaf type {declared!r}")
        key = (
            self.key_field is not None
            and len(path) == 1
            and path[0][1] == self.python_name(self.key_field)
        )
        native = self.native(node, types, enum, key)
        if native is not None:
            return native
        self.add_column(node, path)
        return _union([_SCALAR_TYPES[t] for t in types])

    def native(self, node: dict[str, Any], types: list[str], enum: Any, key: bool) -> Any | None:
        """The msgspec type checking ``node`` exactly by itself, or None."""
        keywords = set(node) - _ANNOTATIONS
        if enum is not None:
            if keywords - {"type", "enum", "const"} or ("enum" in node and "const" in node):
                return None
            if not (isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum)):
                return None
            if "string" not in types:
                raise NoTypedPath("an enum no value of the type satisfies")
            # Literal of the strings; any null allowed by the type is not in the enum
            return Literal[tuple(enum)]
        if (
            node.get("format") == "date"
            and not key
            and keywords <= {"type", "format"}
            and set(types) <= {"string", "null"}
            and "string" in types
        ):
            return _union([dt.date, *([None] if "null" in types else [])])
        options = _META_OPTIONS.get(types[0], {}) if len(types) == 1 else {}
        if keywords - {"type"} - options.keys():
            return None
        meta: dict[str, Any] = {}
        for keyword in keywords & options.keys():
            if not _plain_int(node[keyword]):
                return None
            meta[options[keyword]] = node[keyword]
        base = _union([_SCALAR_TYPES[t] for t in types])
        return Annotated[base, msgspec.Meta(**meta)] if meta else base

    def float_safe(self, node: Any) -> bool:
        """Whether a column's check gives a float the verdict it gives the same integer."""
        if not isinstance(node, dict) or node.get("type") != "number":
            return False
        return self.number(node) is not None

    def number(self, node: dict[str, Any]) -> Any | None:
        """A ``number`` leaf with plain bounds as msgspec's ``float``, or None.

        msgspec reads any JSON number into a float (an integer too): exact for the type,
        and for bounds of magnitude less than 2^53: rounding is monotonic, so a value
        above such a bound never rounds to below it, or to it (2^53 + 1 rounds to 2^53).
        A number too large for a float is refused by msgspec, and goes the exact way."""
        keywords = set(node) - _ANNOTATIONS - {"type"}
        if keywords - _NUMBER_META.keys():
            return None
        meta: dict[str, Any] = {}
        for keyword in keywords:
            bound = node[keyword]
            if type(bound) not in (int, float) or not abs(bound) < _EXACT_FLOAT:
                return None
            meta[_NUMBER_META[keyword]] = bound
        return Annotated[float, msgspec.Meta(**meta)] if meta else float

    def add_column(self, node: dict[str, Any], path: tuple[_Step, ...]) -> None:
        leaf, check_format, left = self.column_leaf(node)
        self.left_formats |= left
        # a subset pattern stands for the format: the fast path may rescue what it refuses,
        # so a value it refuses does not make the record certainly invalid
        fmt = node.get("format")
        subset = isinstance(fmt, str) and fmt in self.patterns and check_format is None
        certain = not (subset and fmt not in EXACT_PATTERNS)
        self.columns.append((path, leaf, check_format, certain, None if certain else fmt))

    # ------------------------------------------------------------ gather code

    def gather(
        self, path: tuple[_Step, ...]
    ) -> Callable[[list[Any]], tuple[list[Any], Sequence[int] | None]]:
        """A function returning (values at ``path``, their record indices or None when
        every record has one), compiled from generated source. The indices are computed
        only when asked for (a column refusing a value): the accepting path builds none."""
        namespace: dict[str, Any] = {"UNSET": msgspec.UNSET, "Where": _Where}
        namespace.update(self.classes)
        exec(_gather_source(path), namespace)  # noqa: S102 - from checked identifiers
        gather: Callable[[list[Any]], tuple[list[Any], Sequence[int] | None]]
        gather = namespace["gather"]
        return gather


class _Where(Sequence[int]):
    """The record index of each gathered value, computed at the first look."""

    def __init__(self, indices: Callable[[list[Any]], list[int]], records: list[Any]) -> None:
        self.indices = indices
        self.records: list[Any] | None = records
        self.found: list[int] = []

    def _all(self) -> list[int]:
        if self.records is not None:
            self.found = self.indices(self.records)
            self.records = None
        return self.found

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())


def _gather_source(path: tuple[_Step, ...]) -> str:
    """Source of ``gather``: a comprehension over the records (a ``for`` per array on the
    path, an ``if`` per optional member or variant test), the indices a second one, run
    only when asked for (:class:`_Where`)."""
    value, clauses, depth = "r", [], 0
    for kind, name, how in path:
        if kind == "is":
            clauses.append(f"if type({value}) is {name}")
        elif kind == "some":  # an object or array, or null
            depth += 1
            clauses.append(f"if (v{depth} := {value}) is not None")
            value = f"v{depth}"
        elif kind == "each":
            depth += 1
            clauses.append(f"for v{depth} in {value}")
            value = f"v{depth}"
        else:
            value = f"{value}.{name}"
            if how == "optional":
                depth += 1
                clauses.append(f"if (v{depth} := {value}) is not UNSET")
                value = f"v{depth}"
    if not clauses:
        return f"def gather(records):\n    return [{value} for r in records], None\n"
    body = " ".join(clauses)
    return (
        "def indices(records):\n"
        f"    return [i for i, r in enumerate(records) {body}]\n"
        "def gather(records):\n"
        f"    return [{value} for r in records {body}], Where(indices, records)\n"
    )


def _flat_members(width: int, texts: Sequence[Callable[[Any], Any]], records: list[Any]) -> int:
    """The colons of flat records encoded: one a member (their fields, less those left
    unset), and those inside their strings (``str`` of any other leaf value, a number, a
    date, None or UNSET, holds none)."""
    unset = sum(map(tuple.count, map(astuple, records), repeat(msgspec.UNSET)))
    inside = sum("".join(map(str, map(get, records))).count(":") for get in texts)
    return width * len(records) - unset + inside


# How a value of a msgspec type is written in JSON: always a string, never one, or either
# (told per value); None for a type the quote count does not cover (maps, variants, lists
# of lists).
_STRING_KINDS = (
    msgspec.inspect.StrType,
    msgspec.inspect.DateType,  # strict decoding reads these from strings only
    msgspec.inspect.DateTimeType,
    msgspec.inspect.TimeType,
    msgspec.inspect.UUIDType,
)
# the Python types of the values of those kinds
_STRING_VALUES = frozenset({str, dt.date, dt.datetime, dt.time, uuid.UUID})
_OTHER_KINDS = (
    msgspec.inspect.IntType,
    msgspec.inspect.FloatType,
    msgspec.inspect.BoolType,
    msgspec.inspect.NoneType,
)


def _string_kind(info: Any) -> str | None:
    """How a leaf type's values are written: "string", "other" or "either"."""
    if isinstance(info, _STRING_KINDS):
        return "string"
    if isinstance(info, _OTHER_KINDS):
        return "other"
    if isinstance(info, msgspec.inspect.LiteralType):
        texts = {isinstance(value, str) for value in info.values}
        return "either" if len(texts) > 1 else "string" if texts == {True} else "other"
    if isinstance(info, msgspec.inspect.UnionType):
        kinds = {_string_kind(member) for member in info.types}
        if None in kinds:
            return None
        return kinds.pop() if len(kinds) == 1 else "either"
    return None


def _quote_source(
    info: Any, objects: str, lines: list[str], depth: int, counted: Mapping[str, int]
) -> bool:
    """Add to ``lines`` the statements adding to ``n`` the quotes of the objects (of struct
    type ``info``) listed in the variable ``objects``; False for a type not covered.
    ``counted``: for optional members of these objects, the index in ``g`` of a list as
    long as the objects holding that member (a column gathered from them)."""
    if (
        not isinstance(info, msgspec.inspect.StructType)
        or info.tag_field is not None
        or info.array_like
        or depth > _MAX_DEPTH
    ):
        return False
    defaults = {entry.name: entry.default for entry in msgspec.structs.fields(info.cls)}
    every = 0  # the quotes of the members every object writes the same way
    for member in info.fields:
        name = member.name
        if not name.isidentifier() or iskeyword(name):
            return False
        if not member.required and defaults.get(name) is not msgspec.UNSET:
            return False  # absent and default would encode alike: presence unknown
        kind = member.type
        if isinstance(kind, msgspec.inspect.AnyType):  # an opaque member: encoded again
            held = f"a{len(lines) + 1}"  # (its strings and names as in a line without "\\")
            if member.required:
                lines.append(f"{held} = [o.{name} for o in {objects}]")
            else:
                lines.append(f"{held} = [v for o in {objects} if (v := o.{name}) is not UNSET]")
            lines.append(f"n += 2 * len({held}) + encode({held}).count(QUOTE)")
            continue
        if isinstance(kind, msgspec.inspect.StructType):
            inner = f"o{len(lines) + 1}"  # a name no other list of objects has
            if member.required:
                lines.append(f"{inner} = [o.{name} for o in {objects}]")
            else:
                lines.append(f"{inner} = [v for o in {objects} if (v := o.{name}) is not UNSET]")
            lines.append(f"n += 2 * len({inner})")
            if not _quote_source(kind, inner, lines, depth + 1, {}):
                return False
            continue
        if isinstance(kind, msgspec.inspect.ListType):
            if not _list_quote_source(kind.item_type, name, member.required, objects, lines, depth):
                return False
            continue
        how = _string_kind(kind)
        if how is None:
            return False
        quotes = 4 if how == "string" else 2  # the name's, and the value's if a string
        if member.required:
            every += quotes
        elif name in counted:  # a gathered column's length, if given
            lines.append(
                f"n += {quotes} * (len(g[{counted[name]}]) if g is not None else "
                f"len({objects}) - len([0 for o in {objects} if o.{name} is UNSET]))"
            )
        else:
            lines.append(
                f"n += {quotes} * (len({objects}) - "
                f"len([0 for o in {objects} if o.{name} is UNSET]))"
            )
        if how == "either":
            each = f"len([0 for o in {objects} if type(o.{name}) in STRING_VALUES])"
            if name in counted and _string_or_null(kind):  # the column's strings: not None
                at = counted[name]
                each = f"(len(g[{at}]) - g[{at}].count(None) if g is not None else {each})"
            lines.append(f"n += 2 * {each}")
    if every:
        lines.append(f"n += {every} * len({objects})")
    return True


def _string_or_null(info: Any) -> bool:
    """Whether a member of msgspec type ``info`` holds a string or null, nothing else."""
    if not isinstance(info, msgspec.inspect.UnionType):
        return False
    kinds = [isinstance(member, msgspec.inspect.NoneType) for member in info.types]
    strings = [isinstance(member, _STRING_KINDS) for member in info.types]
    return kinds.count(True) == 1 and all(map(or_, kinds, strings))


def _list_quote_source(
    item: Any, name: str, required: bool, objects: str, lines: list[str], depth: int
) -> bool:
    """:func:`_quote_source` for a member holding a list: its name's quotes, then its
    items' (strings, or objects of a struct type, counted over all the lists at once)."""
    lists = f"l{len(lines) + 1}"  # a name no other list has
    if required:
        lines.append(f"{lists} = [o.{name} for o in {objects}]")
    else:
        lines.append(f"{lists} = [v for o in {objects} if (v := o.{name}) is not UNSET]")
    lines.append(f"n += 2 * len({lists})")
    if isinstance(item, msgspec.inspect.StructType):
        inner = f"o{len(lines) + 1}"
        lines.append(f"{inner} = [i for v in {lists} for i in v]")
        return _quote_source(item, inner, lines, depth + 1, {})
    how = _string_kind(item)
    if how == "string":
        lines.append(f"n += 2 * sum(map(len, {lists}))")
    elif how == "either":
        lines.append(f"n += 2 * len([0 for v in {lists} for i in v if type(i) in STRING_VALUES])")
    return how is not None


def quote_counter(
    record_type: Any, columns: Sequence[tuple[_Step, ...]] = ()
) -> Callable[[list[Any], Sequence[Sequence[Any]] | None], int] | None:
    """``quotes(records, lengths)``: the ``"`` bytes of records of ``record_type`` written
    as JSON without a backslash (each member once), counted from their types and which
    members are present; None for types it does not cover (maps, variants, a tag, a list
    of lists). ``columns``: the paths of the gathered columns; ``lengths`` (or None): for each,
    the values of its member in the records holding it, when that column was gathered from
    these records (an optional member, or which values of a string-or-null one are strings,
    then cost no pass over them).

    Without a backslash every ``"`` of a line opens or closes a string: two for each
    member's name and two for each string value. A line that repeats a member name (the
    decoder keeps one) or holds a member the type ignores has more than its record
    counts, so equal counts prove neither (:func:`_strict_lines`), without a look at any
    value.
    """
    try:
        info = msgspec.inspect.type_info(record_type)
    except (TypeError, ValueError):
        return None
    counted: dict[str, int] = {}  # root leaf columns: each a list of the values present
    for index, path in enumerate(columns):
        if len(path) == 1 and path[0][0] == "attr":
            counted.setdefault(path[0][1], index)
    lines: list[str] = []
    if not _quote_source(info, "o0", lines, 0, counted):
        return None
    body = "\n    ".join(["n = 0", *lines, "return n"])
    namespace: dict[str, Any] = {
        "UNSET": msgspec.UNSET,
        "STRING_VALUES": _STRING_VALUES,
        "encode": msgspec.json.Encoder().encode,
        "QUOTE": b'"',
    }
    exec(f"def quotes(o0, g):\n    {body}\n", namespace)  # noqa: S102 - checked identifiers
    counter: Callable[[list[Any], Sequence[Sequence[Any]] | None], int] = namespace["quotes"]
    return counter


def _members(kind: Any) -> tuple[Any, ...]:
    """The types a union (or an optional member's union with UNSET) is made of."""
    found: list[Any] = []
    for arg in get_args(kind):
        found.extend([arg, *_members(arg)])
    return tuple(found)


def _exact_date(text: str) -> bool:
    """Whether ``text`` is a ``date`` as the exact checker's format says."""
    return FORMATS["date"].check(text) is None


def _may_hold_number(kind: Any) -> bool:
    """Whether a field of this type may hold a number (int or float, not bool)."""
    if kind is int or kind is float:
        return True
    return any(_may_hold_number(arg) for arg in get_args(kind))


def _may_hold_text(kind: Any) -> bool:
    """Whether a field of this type may hold a string (str, or a Literal of strings)."""
    if kind is str or get_origin(kind) is Literal:
        return True
    return any(_may_hold_text(arg) for arg in get_args(kind))


# Keywords of an object schema that, their members presence-only, say only which of its
# properties are present (besides ``required``).
_PRESENCE_KEYWORDS = (
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "dependentRequired",
    "dependentSchemas",
    "minProperties",
    "maxProperties",
)

# A presence rule: whether an object holds the properties a schema requires. True, False,
# ("has", key) (the property ``key`` names is present), ("not", (rule,)), ("all" | "any" |
# "one", (rule, ...)): every, at least one, exactly one of the rules holds, ("count",
# (rule, ...), (least, most)): at least ``least`` and (unless None) at most ``most`` hold,
# or ("ok", n): the value test n holds (:class:`_ValueTest`).
_Rule = Any


def _presence_rule(
    node: Any,
    known: Callable[[str], _Rule],
    depth: int = 0,
    members: Sequence[str] | None = None,
    tested: Callable[[str, Any], _Rule] | None = None,
) -> _Rule:
    """The presence rule of a schema that says only which properties an object holds
    and, with ``tested``, what a present one's value is: ``required``, ``properties``,
    ``oneOf``/``anyOf``/``allOf``/``not`` and ``if``/``then``/``else`` of such schemas,
    ``dependentRequired``, ``dependentSchemas`` of such schemas, and
    ``minProperties``/``maxProperties`` of an object holding only ``members`` (None: it
    may hold others, uncounted) (NoTypedPath for anything else).
    ``known(name)``: True for a property every object holds, False for one none may hold,
    else ("has", key); ``tested(name, schema)``: the rule that the property's value
    satisfies ``schema`` (NoTypedPath where no test can tell)."""
    if isinstance(node, bool):
        return node
    if depth > _MAX_DEPTH or not isinstance(node, dict):
        raise NoTypedPath("presence other than required properties")
    keywords = set(node) - _ANNOTATIONS
    allowed = {"required", "type", "if", "then", "else", *_PRESENCE_KEYWORDS}
    if tested is not None:
        allowed.add("properties")
    if keywords - allowed or node.get("type", "object") != "object":
        raise NoTypedPath("presence other than required properties")

    def inner(sub: Any) -> _Rule:
        return _presence_rule(sub, known, depth + 1, members, tested)

    rules: list[_Rule] = [known(name) for name in _names(node.get("required", []))]
    values = node.get("properties", {})
    if not isinstance(values, dict):
        raise NoTypedPath("malformed properties")
    for name, sub in values.items():  # absent, or present with a value as it says
        present = known(name)
        if present is False or sub is True:
            continue
        assert tested is not None  # (properties are allowed with it alone)
        test = False if sub is False else tested(name, sub)
        rules.append(_rule("any", [_rule("not", [present]), test]))
    for keyword, kind in (("allOf", "all"), ("anyOf", "any"), ("oneOf", "one")):
        if keyword in node:
            parts = node[keyword]
            if not isinstance(parts, list) or not parts:
                raise NoTypedPath(f"{keyword} is not a list of schemas")
            rules.append(_rule(kind, [inner(m) for m in parts]))
    if "not" in node:
        rules.append(_rule("not", [inner(node["not"])]))
    if "minProperties" in node or "maxProperties" in node:
        least, most = node.get("minProperties", 0), node.get("maxProperties")
        if not all(_plain_int(b) and b >= 0 for b in (least, most) if b is not None):
            raise NoTypedPath("minProperties or maxProperties is not a count")
        if members is None:
            raise NoTypedPath("minProperties or maxProperties of an open object")
        rules.append(_count([known(name) for name in members], least, most))
    if "if" in node:  # (then and else without if say nothing)
        condition = inner(node["if"])
        then, otherwise = (inner(node.get(k, True)) for k in ("then", "else"))
        held = _rule("all", [condition, then])
        rules.append(_rule("any", [held, _rule("all", [_rule("not", [condition]), otherwise])]))
    dependent = node.get("dependentRequired", {})
    if not isinstance(dependent, dict):
        raise NoTypedPath("dependentRequired is not an object")
    for name, needed in dependent.items():  # absent, or present with what it needs
        needs = _rule("all", [known(n) for n in _names(needed)])
        rules.append(_rule("any", [_rule("not", [known(name)]), needs]))
    schemas = node.get("dependentSchemas", {})
    if not isinstance(schemas, dict):
        raise NoTypedPath("dependentSchemas is not an object")
    for name, sub in schemas.items():  # absent, or present and the rest as it says
        needs = inner(sub)
        rules.append(_rule("any", [_rule("not", [known(name)]), needs]))
    return _rule("all", rules)


def _names(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise NoTypedPath("required is not a list of names")
    return list(dict.fromkeys(value))


def _rule(kind: str, rules: list[_Rule]) -> _Rule:
    """The rule of ``kind`` over ``rules``, its constants folded away."""
    if kind == "not":
        (rule,) = rules
        if isinstance(rule, bool):
            return not rule
        return rule[1][0] if rule[0] == "not" else ("not", (rule,))
    variable = tuple(rule for rule in rules if not isinstance(rule, bool))
    true = sum(rule is True for rule in rules)
    if kind == "one":
        if true:  # one holds: none of the others may
            return _rule("all", [_rule("not", [rule]) for rule in variable]) if true == 1 else False
        return variable[0] if len(variable) == 1 else ("one", variable) if variable else False
    if (kind == "all" and False in rules) or (kind == "any" and true):
        return kind == "any"
    if len(variable) == 1:
        return variable[0]
    return (kind, variable) if variable else kind == "all"


def _count(rules: list[_Rule], least: int, most: int | None) -> _Rule:
    """The rule that at least ``least`` and at most ``most`` (None: any number) of
    ``rules`` hold, its constants folded away."""
    variable = tuple(rule for rule in rules if not isinstance(rule, bool))
    true = sum(rule is True for rule in rules)
    least -= true
    most = None if most is None else most - true
    if (most is not None and most < 0) or least > len(variable):
        return False
    least = max(least, 0)
    if most is not None and most >= len(variable):
        most = None
    if not least and most is None:
        return True
    return ("count", variable, (least, most))


def _holding(rule: _Rule, present: Callable[[Any], Any], count: int) -> Any:
    """Per object (of ``count``), whether ``rule`` holds: an iterable of bools (consumed
    once), or one bool for all. ``present(key)``: per object, whether it holds the property
    (a fresh iterable), or one bool. C-level loops chained over whole columns, with no list
    between them, for CSV cells and typed records alike."""
    if isinstance(rule, bool):
        return rule
    kind, parts = rule[0], rule[1]
    if kind == "has":
        return present(parts)
    if kind == "ok":
        return present(rule)
    values = [_holding(part, present, count) for part in parts]
    columns = [value for value in values if not isinstance(value, bool)]
    constants = [value for value in values if isinstance(value, bool)]
    if kind == "count":  # the columns holding, less the constants holding, in the range
        least, most = rule[2]
        least, most = least - sum(constants), None if most is None else most - sum(constants)
        if not columns:
            return least <= 0 and (most is None or most >= 0)
        held = columns[0]
        for column in columns[1:]:
            held = map(add, held, column)
        return map(partial(_in_range, least, most), held)
    if kind == "not":
        return not values[0] if constants else map(not_, values[0])
    if kind == "one":  # the columns holding must be 1 less the constants holding
        wanted = 1 - sum(constants)
        if wanted < 0 or not columns:
            return wanted == 0
        if wanted == 1 and len(columns) == 2:  # one of two: they differ
            return map(ne, *columns)
        held = columns[0] if len(columns) == 1 else map(add, *columns[:2])
        for column in columns[2:]:
            held = map(add, held, column)
        return map(wanted.__eq__, held)
    every = kind == "all"  # else "any"
    if (not every) in constants:  # a constant deciding: False for all, True for any
        return not every
    if not columns:
        return every
    combine = and_ if every else or_
    result = columns[0]
    for column in columns[1:]:
        result = map(combine, result, column)
    return result


def _in_range(least: int, most: int | None, count: int) -> bool:
    return least <= count and (most is None or count <= most)


def _failures(rule: _Rule, present: Callable[[Any], Any], count: int) -> list[int]:
    """The indices (of ``count`` objects) of those where ``rule`` does not hold."""
    holds = _holding(rule, present, count)
    if isinstance(holds, bool):
        return [] if holds else list(range(count))
    return list(compress(range(count), map(not_, holds)))


def _tag_shaped(condition: Any) -> bool:
    """Whether an ``if`` tests a property's value (a tag test, :meth:`_Translator.tag_test`),
    not only which properties are present (a presence rule)."""
    return (
        isinstance(condition, dict)
        and isinstance(condition.get("properties"), dict)
        and any(
            isinstance(test, dict) and "const" in test for test in condition["properties"].values()
        )
    )


def _shape(node: Any) -> bool:
    """Whether a ``oneOf``/``anyOf`` member is an object shape: properties, required
    names and ``additionalProperties`` true or false alone (:meth:`_Translator.shapes`)."""
    if not isinstance(node, dict):
        return False
    keywords = set(node) - _ANNOTATIONS
    return (
        keywords <= {"type", "properties", "required", "additionalProperties"}
        and node.get("type", "object") == "object"
        and (
            node.get("additionalProperties", True) is True or node["additionalProperties"] is False
        )
        and isinstance(node.get("properties", {}), dict)
        and isinstance(node.get("required", []), list)
        and all(isinstance(name, str) for name in node.get("required", []))
    )


def _composable(node: Any) -> bool:
    """Whether an ``allOf`` member is an object schema of properties and required names
    alone, leaving other members free (:meth:`_Translator.composed`)."""
    if not isinstance(node, dict) or "properties" not in node:
        return False  # (one requiring names alone is a presence rule: _presence_rule)
    keywords = set(node) - _ANNOTATIONS
    return (
        keywords <= {"type", "properties", "required", "additionalProperties"}
        and node.get("type", "object") == "object"
        and node.get("additionalProperties", True) is True
        and isinstance(node.get("properties", {}), dict)
        and isinstance(node.get("required", []), list)
        and all(isinstance(name, str) for name in node.get("required", []))
    )


def _named_members_only(node: dict[str, Any]) -> dict[str, Any]:
    """An object schema constraining members it does not name (``patternProperties``, an
    ``additionalProperties`` schema) as one admitting only those it names, each held to
    the patterns its name matches too: the same of every object holding no other member.
    Objects holding others are refused by msgspec (an unknown field) and go to the next
    path. The node itself when it names every member it admits, or constrains none. For
    the record and objects naming their members, whose others (extensions, say) are few:
    a map, naming none, is checked whole (:meth:`_Translator.opaque`)."""
    patterns = node.get("patternProperties")
    other = node.get("additionalProperties", True)
    if patterns is None and (other is True or other is False):
        return node
    if not isinstance(patterns, dict | None) or not isinstance(other, bool | dict):
        raise NoTypedPath("malformed patternProperties or additionalProperties")
    properties = node.get("properties") or {}
    if not isinstance(properties, dict):
        raise NoTypedPath("malformed object schema")
    named: dict[str, Any] = {}
    for name, sub in properties.items():
        matching = []
        for pattern, held in (patterns or {}).items():
            try:  # (the fast path exists: each pattern means in Python what it means in ECMA)
                found = re.search(pattern, name) is not None
            except (re.error, TypeError, OverflowError):
                raise NoTypedPath(f"patternProperties {pattern!r} does not compile") from None
            if found:
                matching.append(held)
        named[name] = _all_of([sub, *matching]) if matching else sub
    closed = {k: v for k, v in node.items() if k != "patternProperties"}
    closed["properties"] = named
    closed["additionalProperties"] = False
    return closed


def _same(first: Any, second: Any) -> bool:
    """Whether two schemas (or keyword values) are the same JSON: not by ``==``, which
    takes ``true`` for ``1`` and ``0`` for ``false``."""
    try:
        return json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    except (TypeError, ValueError):
        return False


def _all_of(schemas: list[Any]) -> Any:
    """One schema meaning what all of ``schemas`` mean: their keywords together when each
    is a leaf keyword (each says its own thing of the value alone) and no two say
    different things by one keyword, else ``allOf``."""
    merged: dict[str, Any] = {}
    for schema in schemas:
        if schema is True:
            continue
        if not isinstance(schema, dict) or set(schema) - _ANNOTATIONS - _COLUMN_LEAF:
            return {"allOf": schemas}
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            if keyword in merged and not _same(merged[keyword], value):
                return {"allOf": schemas}
            merged[keyword] = value
    return merged


# a tag value's variant: (required besides, forbidden, {property: schemas it is held to})
_Variant = tuple[set[str], set[str], dict[str, Any]]


def _branch(node: Any) -> _Variant:
    """(required, forbidden, constrained) properties of a ``then`` or ``else`` that says
    only which properties are required, which are forbidden (``false``) and what schema a
    present one is held to besides its own; NoTypedPath otherwise."""
    if node is True:
        return set(), set(), {}
    if not isinstance(node, dict) or set(node) - _ANNOTATIONS - {"required", "properties"}:
        raise NoTypedPath("then or else other than required, forbidden and held properties")
    members = node.get("properties", {})
    if not isinstance(members, dict):
        raise NoTypedPath("malformed then or else")
    forbidden = {name for name, schema in members.items() if schema is False}
    held = {name: schema for name, schema in members.items() if schema is not False}
    return set(_names(node.get("required", []))), forbidden, held


def _closed_object(
    node: dict[str, Any], allow_tags: bool, allow_presence: bool = False, allow_open: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """(properties, required) of an object schema that says nothing else, is closed (or,
    if ``allow_open``, leaves other members free: no ``additionalProperties`` or ``true``)
    and requires only properties it names (``allOf`` of tag tests too, if ``allow_tags``;
    keywords saying which properties are present, if ``allow_presence``: see
    :func:`_presence_rule`)."""
    allowed = {"type", "properties", "required", "additionalProperties"}
    if node.get("unevaluatedProperties") is False:
        allowed.add("unevaluatedProperties")
    if allow_tags:
        allowed.add("allOf")
    if allow_presence:
        allowed.update(_PRESENCE_KEYWORDS)
    extra = node.get("additionalProperties", True if allow_open else None)
    if set(node) - _ANNOTATIONS - allowed or not (_closes(node) or (allow_open and extra is True)):
        raise NoTypedPath("object beyond properties, required and closed")
    properties = node.get("properties") or {}
    required = node.get("required") or []
    if not isinstance(properties, dict) or not isinstance(required, list):
        raise NoTypedPath("malformed object schema")
    if not set(required) <= set(properties):
        raise NoTypedPath("a required property no record may have")
    return properties, required


def _closes(node: dict[str, Any]) -> bool:
    """Whether an object schema of the typed subset admits no member its ``properties`` do
    not name: ``additionalProperties: false``, or ``unevaluatedProperties: false`` (the
    same there: its other keywords, ``required`` tests and tag tests on named properties,
    evaluate no property ``properties`` does not)."""
    return node.get("additionalProperties") is False or (
        node.get("unevaluatedProperties") is False and "additionalProperties" not in node
    )


def _plain_int(value: Any) -> bool:
    return type(value) is int


def _union(kinds: list[Any]) -> Any:
    if len(kinds) == 1:
        return kinds[0]
    return Union[tuple(kinds)]  # noqa: UP007 - built at run time
