"""The fast path of record validation: jsonschema-rs plus compiled check-character sites.

(The check-character arithmetic itself lives in ``conformance.formats._check_characters``.)

A record is first checked by :class:`FastValidator`, which only answers *valid or not*:

- jsonschema-rs validates a copy of the record schema in which every ``format`` the suite
  can express as a regular expression is replaced by an anchored ``pattern`` that accepts only
  values the format's own ``check`` accepts (exactly, or a safe subset: a leap second, a birth
  date in the current year, fall back);
- ``cn-id-number`` and ``cn-uscc`` get a pattern for their structure, and their check
  characters are verified in Python at the places ("sites") the schema puts them
  unconditionally (reached through ``properties``, ``items``, ``prefixItems``, ``allOf`` and
  ``$ref`` only), by arithmetic that needs no per-character loop;
- any other format (or one under a conditional keyword) stays a ``format`` checked by the
  project's own function as a jsonschema-rs callback.

A record the patterns refuse only because a value lies outside a subset pattern (an A-label
hostname, a UTF-8 mailbox, an IPvFuture literal, a leap second) is asked again, before the
slow path, of a second jsonschema-rs validator (``FastValidator.rescue``) in which each such
pattern is ``anyOf: [pattern, format]``: the subset in Rust, the format's exact check (a
callback) only for the values the subset refuses. Both branches accept only what the format
accepts and together all of it, so that validator is exact wherever the schema puts the
format; a record with any other error is refused by it too and goes to the slow path.

When the fast path says *valid*, python-jsonschema would find no error either; when it says
*invalid*, the caller runs python-jsonschema (the slow path) for the located, detailed errors,
so error output is exactly what it always was. A schema the fast path cannot mirror safely
(an embedded ``$id``, dynamic references, regular expressions whose meaning differs between
Python and ECMA-262) gets no fast path at all; a root ``$id`` and ``$anchor``s keep it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from functools import cache, partial
from itertools import compress, repeat
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin

import jsonschema_rs

from conformance.formats._check_characters import (
    CHECK_CHARACTERS,
    CHECK_EXPRESSIONS,
    CHECK_NAMESPACE,
    CODE_WIDTH,
    WRONG_CHECK_CHARACTERS,
)
from conformance.formats._common import DURATION_REGEX
from conformance.formats._net import HOSTNAME_LDH_REGEX, IPV4_REGEX, IPV6_REGEX
from conformance.standards._documents import load_data

__all__ = [
    "EXACT_ONLY_ENV",
    "ErrorLocator",
    "FastValidator",
    "build_fast_validator",
    "exact_only",
    "fast_path_refusal",
    "surely_valid_schema",
]

_MAX_DEPTH = 64  # schema nesting followed when looking for sites
_MAX_DOCUMENTS = 256

# ---------------------------------------------------------------- format patterns

_Y = "[0-9]{4}"
_MD = (
    "(?:(?:0[1-9]|1[0-2]){sep}(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2]){sep}(?:29|30)"
    "|(?:0[13578]|1[02]){sep}31)"
)
_MD_COMMON = _MD.format(sep="-")
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_DATE = f"(?:{_Y}-{_MD_COMMON}|{_LEAP_YEAR}-02-29)"
# Leap seconds (ss = 60) depend on the offset: they take the slow path.
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?"
_OFFSET = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
_PROVINCES = "(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])"
_USCC_CHAR = "[0-9A-HJ-NP-RTUW-Y]"


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _birth_dates(last_year: int) -> str:
    """YYYYMMDD from 1900 through ``last_year`` (calendar-exact), as one alternation."""
    years = range(1900, last_year + 1)
    md = _MD.format(sep="")
    leap = [year for year in years if _leap(year)]  # none before 1904
    return f"(?:{_years(years)}{md}|{_years(leap)}0229)" if leap else f"(?:{_years(years)}{md})"


def _years(years: Iterable[int]) -> str:
    """Four-digit ``years`` as a pattern grouped by century and decade ("19(?:0[48]|...)"):
    the same strings as a flat alternation of them, compiled by jsonschema-rs in a third of
    the time (each run compiles the ID-number pattern two or three times)."""
    decades: dict[str, dict[str, list[str]]] = {}
    for year in years:
        text = f"{year:04d}"
        decades.setdefault(text[:2], {}).setdefault(text[2], []).append(text[3])
    centuries = []
    for century, by_tens in decades.items():
        tens_of: dict[str, list[str]] = {}  # decades alike in their years: one class
        for tens, units in by_tens.items():
            tens_of.setdefault(_digit_class(units), []).append(tens)
        inner = "|".join(_digit_class(tens) + units for units, tens in tens_of.items())
        centuries.append(f"{century}(?:{inner})")
    if not centuries:
        raise ValueError("no years to match")
    return "(?:" + "|".join(centuries) + ")"


def _digit_class(digits: list[str]) -> str:
    """One of ``digits`` (ascending, distinct): a digit alone, or a class with runs as ranges."""
    if len(digits) == 1:
        return digits[0]
    runs: list[list[int]] = []
    for digit in map(int, digits):
        if runs and digit == runs[-1][1] + 1:
            runs[-1][1] = digit
        else:
            runs.append([digit, digit])
    parts = (
        f"{lo}-{hi}" if hi > lo + 1 else f"{lo}{hi}" if hi > lo else f"{lo}" for lo, hi in runs
    )
    return "[" + "".join(parts) + "]"


_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LDH = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# RFC 3986 character classes (unreserved, sub-delims, percent-escapes) for the uri pattern
_PCT = "%[0-9A-Fa-f]{2}"
_PCHAR = f"(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@]|{_PCT})"
_PATH_CHARS = f"(?:{_PCHAR}|/)*"
_QUERY_CHARS = f"(?:{_PCHAR}|[/?])*"
_AUTHORITY = (
    f"(?:(?:[A-Za-z0-9\\-._~!$&'()*+,;=:]|{_PCT})*@)?"
    f"(?:\\[{IPV6_REGEX}\\]|(?:[A-Za-z0-9\\-._~!$&'()*+,;=]|{_PCT})*)(?::[0-9]*)?"
)


def format_patterns(today_year: int) -> dict[str, str]:
    """Anchored ECMA-262 patterns accepting only values each format's check accepts.

    ``cn-id-number`` and ``cn-uscc`` patterns cover the structure only: the check character
    is verified separately (``conformance.formats._check_characters``). Birth dates
    stop at the end of last year (China time), so "not in the future" holds whatever the day.
    """
    return dict(_format_patterns(today_year))  # a copy: the caller may change it


@cache
def _format_patterns(today_year: int) -> dict[str, str]:
    # made once a year value (a run asks for them about ten times; the birth dates
    # alternation alone costs 0.1 ms)
    return {
        "date": f"^{_DATE}$",
        "date-time": f"^{_DATE}[Tt]{_TIME}{_OFFSET}$",
        "cn-division-code": f"^{_PROVINCES}[0-9]{{4}}$",
        "cn-mobile": "^1[3-9][0-9]{9}$",
        "cn-postcode": "^[0-8][0-9]{5}$",
        "uuid": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        "ipv4": f"^{IPV4_REGEX}$",
        "ipv6": f"^{IPV6_REGEX}$",
        "duration": f"^{DURATION_REGEX}$",
        # LDH labels only: a name with an A-label (xn--) falls back to the exact check
        "hostname": f"^{HOSTNAME_LDH_REGEX}$",
        "cn-id-number": f"^{_PROVINCES}[0-9]{{4}}{_birth_dates(today_year - 1)}[0-9]{{3}}[0-9X]$",
        "cn-uscc": f"^[1-9ANY]{_USCC_CHAR}[0-9]{{6}}{_USCC_CHAR}{{10}}$",
        # an absolute URI (an IPvFuture literal falls back to the exact check). A path
        # without authority must not start with "//": said without a lookahead, which would
        # put jsonschema-rs's regex on its backtracking engine (about 25 times slower)
        "uri": f"^[A-Za-z][A-Za-z0-9+.-]*:(?://{_AUTHORITY}(?:/{_PATH_CHARS})?"
        f"|(?:{_PCHAR}{_PATH_CHARS}|/(?:{_PCHAR}{_PATH_CHARS})?)?)"
        f"(?:\\?{_QUERY_CHARS})?(?:#{_QUERY_CHARS})?$",
        # the common mailbox: ASCII dot-atom, a dotted LDH domain whose last label starts
        # with a letter (quoted parts, literals and U-labels fall back to the exact check)
        "email": f"^(?=[^@]{{1,64}}@)(?=.{{1,254}}$){_ATOM}(?:\\.{_ATOM})*@"
        f"(?:{_LDH}\\.)+[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?$",
    }


# The formats whose pattern accepts exactly what the format accepts: only these may stand
# for their format where a schema applies it conditionally (under not, oneOf, if...): a
# pattern that accepts less would turn a `not` around.
EXACT_PATTERNS = frozenset(
    {"date", "cn-division-code", "cn-mobile", "cn-postcode", "uuid", "ipv4", "ipv6", "duration"}
)


def _today_year() -> int:
    return datetime.now(UTC).astimezone(timezone(timedelta(hours=8))).year


# ---------------------------------------------------------------- schema analysis

# Keywords whose value is one schema / a list of schemas / a map of schemas (2020-12).
_ONE: tuple[str, ...] = (
    "additionalProperties",
    "contains",
    "if",
    "then",
    "else",
    "not",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "items",
)
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions")
# ($id and $anchor are normalised away when a document is read: see _Documents.)
_UNSUPPORTED = frozenset(
    {"$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor"}
)
# Regex syntax whose meaning differs between Python's re (the slow path) and ECMA-262.
# A non-capturing group "(?:" means the same in both; any other "(?" (inline flags, named
# groups, lookarounds) is refused.
_UNSAFE_REGEX = re.compile(r"\\[dDwWsSbBAZzGpPN]|\(\?(?!:)|\\[0-9]")

Step = str | int | tuple[int]  # property name; array index; (start,) = every item from start


class NoFastPath(Exception):
    """The schema uses something the fast path cannot mirror exactly."""


@dataclass
class _Node:
    """A format-bearing schema object, where it is, and the instance paths that reach it."""

    uri: str
    pointer: str
    format: str
    paths: set[tuple[Step, ...]] = field(default_factory=set)
    conditional: bool = False


class _Documents:
    """The record schema's documents, loaded from inside the version folder only.

    Published schemas name themselves by a canonical URL (a root ``$id``), refer to each
    other relative to it and name subschemas by ``$anchor``. Each document is read once and
    normalised: its root ``$id`` becomes an alias of its file, its anchors pointers, and
    every ``$ref`` the absolute ``file:`` URI and JSON pointer it resolves to. So jsonschema-rs,
    the site analysis and the typed translation all see plain file-and-pointer references,
    meaning exactly what the published ones mean. An ``$id`` below a document's root (an
    embedded resource) and dynamic references still get no fast path.
    """

    def __init__(self, root: Path, folder: Path) -> None:
        self.folder = folder.resolve()
        self.root_uri = root.resolve().as_uri()
        self.data: dict[str, Any] = {}
        self.ids: dict[str, str] = {}  # a document's absolute $id -> its file URI
        self.bases: dict[str, str] = {}  # a file URI -> the $id its references resolve by
        self.anchors: dict[str, dict[str, str]] = {}  # file URI -> {anchor: pointer}
        # (id of a schema object, keyword) -> a float bound as written, where it is now
        # the integer it equals (jsonschema-rs compares integers with floats as floats)
        self.written: dict[tuple[int, str], float] = {}
        self.indexed = False
        self.load(self.root_uri)
        self.normalise()

    def load(self, uri: str) -> Any:
        if uri in self.data:
            return self.data[uri]
        if len(self.data) >= _MAX_DOCUMENTS or not uri.startswith("file://"):
            raise NoFastPath(f"$ref to {uri}")
        path = Path(unquote(uri[len("file://") :])).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            raise NoFastPath(f"$ref outside the folder: {uri}")
        data = _copy(load_data(path))
        if isinstance(data, dict) and isinstance(data.get("$id"), str):
            base = urldefrag(urljoin(uri, data.pop("$id")))[0]
            self.bases[uri] = base
            self.ids.setdefault(base, uri)
        self.anchors[uri] = _take_anchors(data)
        self.data[uri] = data
        return data

    def _index_folder(self) -> None:
        """The root ``$id`` of every JSON document of the folder (for references by URL to
        documents not read yet)."""
        if self.indexed:
            return
        self.indexed = True
        for count, path in enumerate(sorted(self.folder.rglob("*.json"))):
            if count >= _MAX_DOCUMENTS:
                break
            try:
                data = load_data(path)
            except Exception:  # not a schema: nothing to index
                data = None
            if isinstance(data, dict) and isinstance(data.get("$id"), str):
                uri = path.resolve().as_uri()
                self.ids.setdefault(urldefrag(urljoin(uri, data["$id"]))[0], uri)

    def resolve(self, base: str, ref: str) -> tuple[str, str, Any]:
        target = urljoin(self.bases.get(base, base), ref)
        document, fragment = urldefrag(target)
        uri = self.ids.get(document)
        if uri is None and not document.startswith("file://"):
            self._index_folder()
            uri = self.ids.get(document)
        node = self.load(uri or document)
        uri = uri or document
        name = unquote(fragment)
        if name and not name.startswith("/"):  # an anchor
            if name not in self.anchors.get(uri, {}):
                raise NoFastPath(f"$ref {ref} names no anchor")
            name = self.anchors[uri][name]
        pointer = name
        for token in pointer.lstrip("/").split("/") if pointer else []:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise NoFastPath(f"$ref {ref} names nothing")
        return uri, pointer, node

    def normalise(self) -> None:
        """Every ``$ref`` of every document read, as the file URI and pointer it names."""
        done: set[str] = set()
        while len(done) < len(self.data):
            uri = next(u for u in self.data if u not in done)
            done.add(uri)
            for node in _schema_objects(self.data[uri]):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    target, pointer, _ = self.resolve(uri, ref)
                    node["$ref"] = f"{target}#{quote(pointer, safe=_POINTER_SAFE)}"
                for keyword in _BOUND_KEYWORDS & node.keys():
                    # jsonschema-rs compares an integer with a float bound as floats
                    # (2^62 + 1 <= 4.611686018427388e18); python-jsonschema, exactly
                    bound = node[keyword]
                    if type(bound) is float and bound.is_integer() and abs(bound) < 2**63:
                        node[keyword] = int(bound)
                        self.written[(id(node), keyword)] = bound
            self.bases.pop(uri, None)  # its references are absolute now


_POINTER_SAFE = "/~!$&'()*+,;=:@"
_BOUND_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})


def _schema_objects(root: Any) -> Iterator[dict[str, Any]]:
    """Every schema object of a document (schema positions only: a property named "$id"
    is a name, not a keyword), without recursion."""
    stack = [(root, "")]
    seen = 0
    while stack:
        node, pointer = stack.pop()
        if not isinstance(node, dict):
            continue
        seen += 1
        if seen > 100_000:
            raise NoFastPath("schema too large to analyse")
        yield node
        stack.extend((sub, sub_pointer) for _, sub_pointer, sub in _subschemas(node, pointer))


def _take_anchors(data: Any) -> dict[str, str]:
    """Remove the ``$anchor``s of a document; {anchor: JSON pointer}. An embedded ``$id``
    (a resource inside the document) is refused."""
    anchors: dict[str, str] = {}
    stack = [(data, "")]
    while stack:
        node, pointer = stack.pop()
        if not isinstance(node, dict):
            continue
        if pointer and "$id" in node:
            raise NoFastPath(f"an embedded resource ($id) at #{pointer} (not mirrored)")
        anchor = node.pop("$anchor", None)
        if isinstance(anchor, str):
            anchors[anchor] = pointer
        stack.extend((sub, sub_pointer) for _, sub_pointer, sub in _subschemas(node, pointer))
    return anchors


def _subschemas(node: dict[str, Any], pointer: str) -> Iterator[tuple[str, str, Any]]:
    """(keyword, pointer, subschema) of every schema-valued keyword of ``node``."""
    for keyword in _ONE:
        if keyword in node:
            yield keyword, f"{pointer}/{keyword}", node[keyword]
    for keyword in _LIST:
        value = node.get(keyword)
        if isinstance(value, list):
            for index, sub in enumerate(value):
                yield keyword, f"{pointer}/{keyword}/{index}", sub
    for keyword in _MAP:
        value = node.get(keyword)
        if isinstance(value, dict):
            for name, sub in value.items():
                escaped = str(name).replace("~", "~0").replace("/", "~1")
                yield f"{keyword}:{name}", f"{pointer}/{keyword}/{escaped}", sub


class _Analysis:
    def __init__(self, documents: _Documents) -> None:
        self.documents = documents
        self.nodes: dict[tuple[str, str], _Node] = {}
        self.seen: set[tuple[str, str, tuple[Step, ...], bool]] = set()

    def walk(
        self,
        uri: str,
        pointer: str,
        node: Any,
        path: tuple[Step, ...],
        conditional: bool,
        stack: tuple[tuple[str, str], ...],
    ) -> None:
        if not isinstance(node, dict):
            return
        here = (uri, pointer)
        if here in stack or len(stack) > _MAX_DEPTH:
            conditional = True  # recursive schema: paths are unbounded
            if (uri, pointer, (), True) in self.seen:
                return
            path = ()
        key = (uri, pointer, path, conditional)
        if key in self.seen:
            return
        self.seen.add(key)
        stack = (*stack, here)
        if _UNSUPPORTED & node.keys():
            used = ", ".join(sorted(_UNSUPPORTED & node.keys()))
            raise NoFastPath(f"{used} at {uri}#{pointer} (dynamic references are not mirrored)")
        pattern = node.get("pattern")
        if isinstance(pattern, str) and _UNSAFE_REGEX.search(pattern):
            raise NoFastPath(
                f"pattern {pattern!r} at {uri}#{pointer} means different things in Python and "
                "ECMA-262"
            )
        for name in node.get("patternProperties") or {}:
            if _UNSAFE_REGEX.search(str(name)):
                raise NoFastPath(
                    f"patternProperties {name!r} at {uri}#{pointer} means different things in "
                    "Python and ECMA-262"
                )
        fmt = node.get("format")
        if isinstance(fmt, str):
            entry = self.nodes.setdefault(here, _Node(uri, pointer, fmt))
            entry.conditional |= conditional
            if not conditional:
                entry.paths.add(path)
        ref = node.get("$ref")
        if isinstance(ref, str):
            target_uri, target_pointer, target = self.documents.resolve(uri, ref)
            self.walk(target_uri, target_pointer, target, path, conditional, stack)
        prefix = node.get("prefixItems")
        start = len(prefix) if isinstance(prefix, list) else 0
        for keyword, sub_pointer, sub in _subschemas(node, pointer):
            if keyword.startswith(("$defs:", "definitions:")):
                continue  # definitions apply only where a $ref names them
            if keyword.startswith("properties:"):
                step: Step = keyword.split(":", 1)[1]
                self.walk(uri, sub_pointer, sub, (*path, step), conditional, stack)
            elif keyword == "items":
                self.walk(uri, sub_pointer, sub, (*path, (start,)), conditional, stack)
            elif keyword == "prefixItems":
                index = int(sub_pointer.rsplit("/", 1)[1])
                self.walk(uri, sub_pointer, sub, (*path, index), conditional, stack)
            elif keyword == "allOf":
                self.walk(uri, sub_pointer, sub, path, conditional, stack)
            else:  # applies depending on the instance: formats there stay callbacks
                self.walk(uri, sub_pointer, sub, path, True, stack)


_UNBOUNDED = 1 << 30
_SCALARS = frozenset({"string", "number", "integer", "boolean", "null"})


def _value_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_value_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_value_depth(v) for v in value), default=0)
    return 0


class _DepthBound:
    """An upper bound of the container nesting of any value a schema accepts."""

    def __init__(self, documents: _Documents) -> None:
        self.documents = documents
        self.active: set[tuple[str, str]] = set()

    def of(self, uri: str, pointer: str, node: Any) -> int:
        if node is False:
            return 0
        if not isinstance(node, dict):
            return _UNBOUNDED
        here = (uri, pointer)
        if here in self.active or len(self.active) > _MAX_DEPTH:
            return _UNBOUNDED  # recursive: no bound
        self.active.add(here)
        try:
            return self._of(uri, pointer, node)
        finally:
            self.active.discard(here)

    def _of(self, uri: str, pointer: str, node: dict[str, Any]) -> int:
        bounds = [self._own(uri, pointer, node)]
        ref = node.get("$ref")
        if isinstance(ref, str):
            target_uri, target_pointer, target = self.documents.resolve(uri, ref)
            bounds.append(self.of(target_uri, target_pointer, target))
        for index, member in enumerate(node.get("allOf") or []):
            bounds.append(self.of(uri, f"{pointer}/allOf/{index}", member))
        for keyword in ("anyOf", "oneOf"):
            members = node.get(keyword)
            if isinstance(members, list) and members:
                bounds.append(
                    max(self.of(uri, f"{pointer}/{keyword}/{i}", m) for i, m in enumerate(members))
                )
        return min(bounds)

    def _own(self, uri: str, pointer: str, node: dict[str, Any]) -> int:
        if "const" in node:
            return _value_depth(node["const"])
        if isinstance(node.get("enum"), list):
            return max((_value_depth(v) for v in node["enum"]), default=0)
        declared = node.get("type")
        types = {declared} if isinstance(declared, str) else set(declared or ())
        if not types:
            types = {"object", "array", *_SCALARS}
        depth = 0
        if "object" in types:
            # a member's value is held to its property's schema, to every pattern its name
            # matches, or else to additionalProperties: the deepest of them bounds it
            children = [
                self.of(uri, f"{pointer}/{keyword}/{name}", sub)
                for keyword in ("properties", "patternProperties")
                for name, sub in _members_of(node.get(keyword)).items()
            ]
            other = node.get("additionalProperties", True)
            # unevaluatedProperties false closes it too, unless a subschema applied in
            # place evaluates members of its own (their bound is not this node's)
            closed = node.get("unevaluatedProperties", True) is False and not (
                _IN_PLACE & node.keys()
            )
            if isinstance(other, dict):
                children.append(self.of(uri, f"{pointer}/additionalProperties", other))
            elif other is not False and not closed:
                children.append(_UNBOUNDED)
            depth = max(depth, 1 + max(children, default=0))
        if "array" in types:
            items = node.get("items", True)
            children = [self.of(uri, f"{pointer}/items", items)]
            for index, sub in enumerate(node.get("prefixItems") or []):
                children.append(self.of(uri, f"{pointer}/prefixItems/{index}", sub))
            depth = max(depth, 1 + max(children))
        return min(depth, _UNBOUNDED)


_IN_PLACE = frozenset(
    {"$ref", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas"}
)


def _members_of(value: Any) -> dict[str, Any]:
    """``properties`` or ``patternProperties`` as a mapping ({} when malformed)."""
    return value if isinstance(value, dict) else {}


def _node_at(data: Any, pointer: str) -> Any:
    for token in pointer.lstrip("/").split("/") if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        data = data[int(token)] if isinstance(data, list) else data[token]
    return data


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _add_pattern(node: dict[str, Any], pattern: str) -> None:
    del node["format"]
    if "pattern" not in node:
        node["pattern"] = pattern
    else:
        node["allOf"] = [*node.get("allOf", []), {"pattern": pattern}]


def _add_exact_pattern(node: dict[str, Any], pattern: str, fmt: str) -> None:
    """The format of ``node`` as its subset pattern, or else its exact check (a callback):
    what the format accepts, exactly, the callback called only for values off the pattern."""
    del node["format"]
    node["allOf"] = [*node.get("allOf", []), {"anyOf": [{"pattern": pattern}, {"format": fmt}]}]


# ---------------------------------------------------------------- site code


_UNPLACED = object()  # an ErrorLocator place not looked up yet
_CACHE_LIMIT = 4096  # values remembered as valid per format (issuer codes repeat a lot)


def _site_source(sites: dict[tuple[Step, ...], str]) -> str:
    """Python source of ``def sites_ok(v0)``: False when a check character is wrong.

    It is called only for values jsonschema-rs accepted, whose site values therefore match
    their format's pattern. Values found valid are remembered (bounded), so a code that
    repeats costs a set lookup.
    """
    lines = ["def sites_ok(v0):"]
    tree: dict[Any, Any] = {}
    for path, fmt in sorted(sites.items(), key=repr):
        node = tree
        for step in path:
            node = node.setdefault(step, {})
        node.setdefault(None, []).append(fmt)
    caches = iter(range(len(sites)))

    def emit(node: dict[Any, Any], var: int, indent: str) -> None:
        name = f"v{var}"
        for fmt in node.get(None, []):
            index = next(caches)
            test = CHECK_EXPRESSIONS[fmt].format(v=name)
            lines.append(f"{indent}if type({name}) is str and {name} not in OK{index}:")
            lines.append(f"{indent}    if not ({test}): return False")
            lines.append(f"{indent}    if len(OK{index}) < LIMIT: OK{index}.add({name})")
        children = [(step, child) for step, child in node.items() if step is not None]
        keys = [(step, child) for step, child in children if isinstance(step, str)]
        if keys:
            lines.append(f"{indent}if type({name}) is dict:")
        for step, child in keys:
            sub = f"v{var + 1}"
            lines.append(f"{indent}    {sub} = {name}.get({step!r})")
            emit(child, var + 1, indent + "    ")
        for step, child in children:
            sub = f"v{var + 1}"
            if isinstance(step, int):
                lines.append(f"{indent}if type({name}) is list and len({name}) > {step}:")
                lines.append(f"{indent}    {sub} = {name}[{step}]")
                emit(child, var + 1, indent + "    ")
            elif isinstance(step, tuple):
                lines.append(f"{indent}if type({name}) is list:")
                lines.append(f"{indent}    for {sub} in {name}[{step[0]}:]:")
                emit(child, var + 1, indent + "        ")

    emit(tree, 0, "    ")
    lines.append("    return True")
    return "\n".join(lines) + "\n"


def _column_source(path: tuple[Step, ...]) -> str:
    """Python source of ``def gather(values)``: the strings at one site of a list of values,
    and the index of the value each comes from (several, through arrays), reached as
    :func:`_site_source` reaches them."""
    lines = [
        "def gather(values):",
        "    found = []",
        "    where = []",
        "    for index, v0 in enumerate(values):",
    ]
    indent, var = "        ", 0
    for step in path:
        name, sub = f"v{var}", f"v{var + 1}"
        if isinstance(step, str):
            lines.append(f"{indent}if type({name}) is dict:")
            lines.append(f"{indent}    {sub} = {name}.get({step!r})")
            indent += "    "
        elif isinstance(step, int):
            lines.append(f"{indent}if type({name}) is list and len({name}) > {step}:")
            lines.append(f"{indent}    {sub} = {name}[{step}]")
            indent += "    "
        else:
            lines.append(f"{indent}if type({name}) is list:")
            lines.append(f"{indent}    for {sub} in {name}[{step[0]}:]:")
            indent += "        "
        var += 1
    lines.append(f"{indent}if type(v{var}) is str:")
    lines.append(f"{indent}    found.append(v{var})")
    lines.append(f"{indent}    where.append(index)")
    lines.append("    return found, where")
    return "\n".join(lines) + "\n"


@dataclass
class _SiteColumns:
    """``sites_ok`` over a list of values at once: per site, its strings gathered from every
    value, their check characters found wrong by arithmetic over all of them together
    (``WRONG_CHECK_CHARACTERS``), instead of one generated test per value.

    The values given are ones jsonschema-rs accepted, so each string at a site matched its
    format's pattern: 18 ASCII characters. When that is not so (it never should be), the
    values go one at a time through ``sites_ok``. A wrong answer could only refuse, never
    accept: the batch forms count a row that is no code at all as wrong.
    """

    gathers: list[tuple[Callable[[list[Any]], tuple[list[str], list[int]]], str]]
    one: Callable[[Any], bool]  # ``sites_ok``

    def __call__(self, values: list[Any]) -> list[bool]:
        ok = [True] * len(values)
        for gather, fmt in self.gathers:
            found, where = gather(values)
            if not found:
                continue
            try:
                data = "".join(found).encode("ascii")
            except UnicodeEncodeError:
                return list(map(self.one, values))
            if len(data) != CODE_WIDTH * len(found):
                return list(map(self.one, values))
            for row in WRONG_CHECK_CHARACTERS[fmt](data):
                ok[where[row]] = False
        return ok


def _member_column(
    name: str, generic: Callable[[list[Any]], tuple[list[str], list[int]]], values: list[Any]
) -> tuple[list[str], list[int]]:
    """``gather`` of a site that is a member of the top value, in C-level loops.

    The members that are not strings, or empty strings, are left out: a site's value in a
    value jsonschema-rs accepted matched an 18-character pattern. A value that is not an
    object, or a member neither a string nor falsy, takes the generic gather instead.
    """
    try:
        column = list(map(dict.get, values, repeat(name)))
    except TypeError:  # a value that is not an object
        return generic(values)
    found: list[Any] = list(compress(column, column))
    if not all(map(str.__instancecheck__, found)):
        return generic(values)
    return found, list(compress(range(len(column)), column))


def _site_columns(
    sites: dict[tuple[Step, ...], str], sites_ok: Callable[[Any], bool]
) -> _SiteColumns:
    gathers = []
    for path, fmt in sorted(sites.items(), key=repr):
        namespace: dict[str, Any] = {}
        exec(_column_source(path), namespace)  # noqa: S102 - generated from repr()'d names
        gather = namespace["gather"]
        if len(path) == 1 and isinstance(path[0], str):
            gather = partial(_member_column, path[0], gather)
        gathers.append((gather, fmt))
    return _SiteColumns(gathers, sites_ok)


def _site_namespace(sites: dict[tuple[Step, ...], str]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"LIMIT": _CACHE_LIMIT, **CHECK_NAMESPACE}
    for index in range(len(sites)):
        namespace[f"OK{index}"] = set()
    return namespace


def _always(_value: Any) -> bool:
    return True


def _never(_value: Any) -> bool:
    return False


# ---------------------------------------------------------------- the validator


@dataclass
class FastValidator:
    """``check(record)``: True only when the slow path would report no error for it."""

    is_valid: Callable[[Any], bool]
    sites_ok: Callable[[Any], bool]
    sites: dict[tuple[Step, ...], str]
    max_depth: int = _UNBOUNDED  # no valid record nests deeper than this
    locator: ErrorLocator | None = None
    # For a record ``is_valid`` refuses: the same schema with each subset pattern widened to
    # its format's exact check (None when every pattern is exact). ``sites_ok`` still applies.
    rescue: Callable[[Any], bool] | None = None
    # ``sites_ok`` of each value of a list, the check characters a site at a time (None:
    # ``sites_ok`` value by value)
    sites_many: Callable[[list[Any]], list[bool]] | None = None

    def sites_ok_each(self, values: list[Any]) -> list[bool]:
        """``sites_ok`` of each of ``values`` (ones ``is_valid`` or ``rescue`` accepted)."""
        if self.sites_many is not None:
            return self.sites_many(values)
        return list(map(self.sites_ok, values))

    def check(self, value: Any) -> bool:
        if self.is_valid(value):
            return self.sites_ok(value)
        return self.rescue is not None and self.rescue(value) and self.sites_ok(value)

    def materialized(self) -> FastValidator | None:
        """This validator with its deferred validators (:class:`_Deferred`) compiled now,
        for paths that call them on every record; None when jsonschema-rs refuses one."""
        compiled: dict[str, Any] = {}
        for name in ("is_valid", "rescue"):
            part = getattr(self, name)
            if isinstance(part, _Deferred):
                try:
                    compiled[name] = part.build()
                except Exception:  # jsonschema-rs refusing the schema: no fast path
                    return None
        return replace(self, **compiled) if compiled else self


class _Deferred:
    """A jsonschema-rs validator's ``is_valid``, compiled at its first call: the typed path
    asks it only about records it refused but is not sure of (often none). Should
    jsonschema-rs refuse the schema then, every value is refused: the exact path decides."""

    __slots__ = ("_build", "_call")

    def __init__(self, build: Callable[[], Callable[[Any], bool]]) -> None:
        self._build = build
        self._call: Callable[[Any], bool] | None = None

    def build(self) -> Callable[[Any], bool]:
        if self._call is None:
            self._call = self._build()
        return self._call

    def __call__(self, value: Any) -> bool:
        call = self._call
        if call is None:
            try:
                call = self.build()
            except Exception:  # the schema refused: refuse every value (only accept)
                call = self._call = _never
        return call(value)


# Keywords worded here only where :meth:`ErrorLocator._place` says so: ``additionalProperties``
# when false, ``anyOf``/``oneOf`` whose branches name no other schema (the nullable idiom
# ``anyOf: [leaf, {"type": "null"}]``): python-jsonschema's function descends into the
# branches with the instance alone, as a whole-record validation does there.
_BRANCHES = frozenset({"anyOf", "oneOf"})
# jsonschema-rs's kinds of a branch error where no branch holds
_NO_BRANCH_HOLDS = frozenset({"AnyOf", "OneOfNotValid"})
_PLACED_KEYWORDS = _BRANCHES | {"additionalProperties"}
_REFERENCES = frozenset({"$ref", "$dynamicRef", "$recursiveRef", "$id", "$anchor"})


def _self_contained(branches: Any, depth: int = 0) -> bool:
    """Whether ``branches`` (a subschema or a list of them) hold no reference and no
    identifier at any depth (up to ``_MAX_DEPTH``): then they validate alike from any base."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(branches, list):
        return all(_self_contained(branch, depth + 1) for branch in branches)
    if isinstance(branches, dict):
        if _REFERENCES & branches.keys():
            return False
        return all(_self_contained(value, depth + 1) for value in branches.values())
    return True


# Keywords whose python-jsonschema function looks at the instance alone: given the schema
# object and the value, it yields exactly the errors a whole-record validation yields there.
_LEAF_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "pattern",
        "format",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "required",
        "minProperties",
        "maxProperties",
        "dependentRequired",
    }
)


class ErrorLocator:
    """The located errors of an invalid record, found by jsonschema-rs, worded by python-jsonschema.

    jsonschema-rs (every format an exact callback) finds where each error is: the instance
    path, the path through the schema and the keyword's own location. The keyword's
    python-jsonschema function is then applied to that value and that schema object alone,
    so message, keyword, value and paths are what a whole-record python-jsonschema run
    reports, at a small part of its cost. ``errors`` answers None, and the caller validates
    the whole record with python-jsonschema, whenever that equivalence is not certain: an
    error under an applicator (``anyOf``, ``not``, ``unevaluatedProperties``...), a format
    the project does not define, more errors than ``limit``, or no error at all.
    """

    def __init__(
        self,
        exact: Any,
        documents: dict[str, Any],
        wording: Any,
        limit: int,
        build: Callable[[], Any] | None = None,
        written: Mapping[tuple[int, str], Any] | None = None,
    ) -> None:
        # the jsonschema-rs validator, or ``build`` making it at the first record (if it
        # refuses the schema, ``errors`` answers None: python-jsonschema words every record)
        self.exact = exact
        self._build = build
        self.documents = documents
        # bounds as the documents wrote them, where normalising changed them (its words)
        self.written = written or {}
        self.wording = wording  # the python-jsonschema validator (formats included)
        self.limit = limit
        self.keywords: Mapping[str, Any] = wording.VALIDATORS
        from jsonschema.exceptions import ValidationError

        from conformance.formats import FORMATS

        self.formats = frozenset(FORMATS)
        self._error = ValidationError
        # (keyword location, evaluation path) -> where its errors are worded, or None
        self._places: dict[tuple[str, tuple[Any, ...]], Any] = {}

    def errors(self, value: Any) -> list[Any] | None:
        if self.exact is None:
            if self._build is None:
                return None
            build, self._build = self._build, None
            try:
                self.exact = build()
            except Exception:  # jsonschema-rs refusing the schema: no locator
                return None
        # (keyword location, instance path) -> (evaluation path, jsonschema-rs's kind)
        groups: dict[tuple[str, tuple[Any, ...]], tuple[tuple[Any, ...], str]] = {}
        leaf = _LEAF_KEYWORDS
        limit = self.limit
        for error in self.exact.iter_errors(value):
            tokens = tuple(error.evaluation_path)
            if not tokens or (tokens[-1] not in leaf and tokens[-1] not in _PLACED_KEYWORDS):
                return None  # (a leaf only in some places: see _place)
            where = (error.absolute_keyword_location, tuple(error.instance_path))
            if where not in groups:
                groups[where] = (tokens, type(error.kind).__name__)
                if len(groups) > limit:
                    return None
        if not groups:
            return None
        found: list[Any] = []
        for (location, instance_path), (tokens, kind) in groups.items():
            produced = self._worded(location, instance_path, tokens, value, kind)
            if not produced:
                return None
            found.extend(produced)
        return found if len(found) <= limit else None

    def _worded(
        self,
        location: str,
        instance_path: tuple[Any, ...],
        tokens: tuple[Any, ...],
        value: Any,
        kind: str = "",
    ) -> list[Any] | None:
        place = self._places.get((location, tokens), _UNPLACED)
        if place is _UNPLACED:
            place = self._place(location, tokens)
            if len(self._places) >= _CACHE_LIMIT:
                self._places.clear()
            self._places[(location, tokens)] = place
        if place is None:
            return None
        node, keyword, schema_path, contained = place
        instance = value
        for step in instance_path:
            instance = instance[step]
        expected = self.written.get((id(node), keyword), node[keyword])
        if keyword in _BRANCHES and kind in _NO_BRANCH_HOLDS:
            # python-jsonschema's one error, its words, when no branch holds (it would
            # descend into each branch for the errors it keeps as context, unread here)
            errors = [self._error(f"{instance!r} is not valid under any of the given schemas")]
        elif not contained:
            return None  # a ``$ref`` in a branch resolves from its own document
        else:
            errors = list(self.keywords[keyword](self.wording, expected, instance, node))
        for error in errors:
            error._set(validator=keyword, validator_value=expected, instance=instance, schema=node)
            error.path.extend(instance_path)
            error.schema_path.extend(schema_path)
        return errors

    def _place(
        self, location: str, tokens: tuple[Any, ...]
    ) -> tuple[dict[str, Any], str, list[Any], bool] | None:
        """The schema object, keyword and python-jsonschema schema path of an error at the
        keyword ``location`` reached by ``tokens``, and whether its subschemas validate
        alike from any base (no reference or identifier in them); None when it cannot be
        worded here (the same for every record: the caller remembers it)."""
        uri, _, fragment = location.partition("#")
        node = self.documents.get(uri)
        pointer = [t.replace("~1", "/").replace("~0", "~") for t in unquote(fragment).split("/")]
        for token in pointer[1:-1]:
            if isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            elif isinstance(node, dict) and token in node:
                node = node[token]
            else:
                return None
        keyword = pointer[-1]
        if not isinstance(node, dict) or keyword not in node or keyword != tokens[-1]:
            return None
        if keyword == "format" and node[keyword] not in self.formats:
            return None
        contained = keyword not in _BRANCHES or _self_contained(node[keyword])
        if keyword == "additionalProperties" and (
            node[keyword] is not False or "patternProperties" in node
        ):
            # false names each member no ``properties`` name (a subschema descends, and
            # ``patternProperties`` would ask both regex engines to agree)
            return None
        return node, keyword, [t for t in tokens if t != "$ref"], contained


# The Draft 2020-12 meta-schema (python-jsonschema's ``check_schema`` uses it whatever the
# schema's ``$schema``) and the formats its vocabularies name (a test reads them again).
META_2020_12 = "https://json-schema.org/draft/2020-12/schema"
METASCHEMA_FORMATS = frozenset({"regex", "uri", "uri-reference"})
MAX_SCHEMA_NODES = 200_000  # nodes walked for patterns; past this, python-jsonschema decides


def surely_valid_schema(schema: Any, validator_class: Any) -> bool:
    """Whether ``validator_class.check_schema(schema)`` surely passes: True only when
    jsonschema-rs finds ``schema`` valid against the same meta-schema and every format that
    python-jsonschema's check asserts holds (today only ``regex``: each ``pattern`` and
    ``patternProperties`` name compiles with ``re``, as python-jsonschema compiles it).
    False means "not sure": the caller runs ``check_schema``, which words any error; so an
    invalid schema is reported exactly as before, at a tenth of the cost for a valid one.
    """
    from jsonschema.validators import validator_for

    if not isinstance(schema, dict) or schema.get("$schema", META_2020_12) != META_2020_12:
        return False  # another dialect (or none jsonschema-rs would pick alike)
    meta = validator_class.META_SCHEMA
    if not isinstance(meta, dict) or meta.get("$schema") != META_2020_12:
        return False
    checker = validator_for(meta, default=validator_class).FORMAT_CHECKER
    if not (METASCHEMA_FORMATS & set(checker.checkers)) <= {"regex"}:
        return False  # a format only python-jsonschema would assert (a uri checker installed)
    try:
        if not jsonschema_rs.meta.is_valid(schema):
            return False
    except Exception:  # a value JSON cannot hold (YAML dates...): python-jsonschema decides
        return False
    return _patterns_compile(schema)


def _patterns_compile(schema: Any) -> bool:
    """Whether every ``pattern`` string and ``patternProperties`` name anywhere in
    ``schema`` compiles with ``re`` (anywhere: more than the meta-schema checks, never less)."""
    stack = [schema]
    walked = 0
    while stack:
        walked += 1
        if walked > MAX_SCHEMA_NODES:
            return False
        node = stack.pop()
        if isinstance(node, dict):
            texts = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
            named = node.get("patternProperties")
            if isinstance(named, dict):
                texts.extend(name for name in named if isinstance(name, str))
            for text in texts:
                try:
                    re.compile(text)
                except Exception:  # re.error, or a warning raised as an error: python decides
                    return False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def _used_formats(documents: dict[str, Any]) -> set[str]:
    """Every string a ``format`` member holds anywhere in ``documents`` (more than the
    formats the schema applies, never fewer): the only format callbacks a validator of
    these documents can call."""
    found: set[str] = set()
    stack: list[Any] = list(documents.values())
    while stack:  # bounded: the documents are finite trees (loaded JSON/YAML)
        node = stack.pop()
        if isinstance(node, dict):
            value = node.get("format")
            if isinstance(value, str):
                found.add(value)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _exact_formats(names: set[str] | None = None) -> dict[str, Callable[[str], bool]]:
    """jsonschema-rs format callbacks answering exactly as the exact checker: each format
    of the registry by its own check, and any other name in ``names`` (``time``,
    ``json-pointer``, a vendor's own) as not asserted. Left to jsonschema-rs, those would
    be checked by its own definitions: under ``not`` or in a ``oneOf``, a value refused
    there makes a record valid that the exact checker refuses."""
    from conformance.formats import FORMATS

    callbacks = {
        name: _format_callback(fmt)
        for name, fmt in FORMATS.items()
        if names is None or name in names
    }
    callbacks.update((name, _always) for name in names or () if name not in FORMATS)
    return callbacks


def _format_callback(fmt: Any) -> Callable[[str], bool]:
    """A jsonschema-rs format callback (its values are Unicode: no lone surrogate): where
    the format's pattern is the format (a property test proves it), jsonschema-rs's regex
    answers alone, with no Python frame; else :func:`cached_format_check`."""
    pattern_text = format_patterns(_today_year()).get(fmt.name)
    exact = fmt.name in EXACT_PATTERNS and fmt.name not in CHECK_CHARACTERS
    if exact and pattern_text and "(?!" not in pattern_text:
        return _native_match(pattern_text)
    return cached_format_check(fmt)


EXACT_ONLY_ENV = "CONFORMANCE_EXACT_ONLY"


def exact_only() -> bool:
    """Whether ``CONFORMANCE_EXACT_ONLY=1`` asks for the exact path alone (tests, debugging):
    no fast, typed, column, batch or compiled path; the exact checker decides every record."""
    return os.environ.get(EXACT_ONLY_ENV, "").strip().lower() in ("1", "true", "yes")


def fast_path_refusal(schema_path: Path, folder: Path) -> str | None:
    """Why a record schema gets no fast path (where in the schema, what), or None."""
    try:
        _build(schema_path, folder, None, 0)
    except NoFastPath as exc:
        return str(exc)
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        return f"the schema could not be mirrored ({type(exc).__name__}: {exc})"
    except Exception as exc:  # jsonschema-rs refusing the schema
        return f"jsonschema-rs refuses the schema: {exc}"
    return None


def load_documents(schema_path: Path, folder: Path) -> _Documents | None:
    """The record schema's documents, read once for the builders that take them; None
    when they cannot be (each builder then reads them and says why)."""
    try:
        return _Documents(schema_path, folder)
    except Exception:  # the builders read them again, and report why
        return None


def build_fast_validator(
    schema_path: Path,
    folder: Path,
    wording: Any = None,
    limit: int = 0,
    documents: _Documents | None = None,
    defer: bool = False,
) -> FastValidator | None:
    """The fast validator for a record schema, or None when it cannot be exact.

    Given ``wording`` (the python-jsonschema validator of the same schema), it carries an
    :class:`ErrorLocator` too, for records of at most ``limit`` errors. ``documents``: the
    schema's, already read (:func:`load_documents`); only read here. ``defer``: its
    jsonschema-rs validators are compiled at their first call (:class:`_Deferred`; see
    :meth:`FastValidator.materialized`).
    """
    try:
        return _build(schema_path, folder, wording, limit, documents, defer)
    except (NoFastPath, ValueError, KeyError, TypeError, RecursionError):
        return None
    except Exception:  # jsonschema-rs refusing the schema: the slow path reports it
        return None


def _build(
    schema_path: Path,
    folder: Path,
    wording: Any,
    limit: int,
    documents: _Documents | None = None,
    defer: bool = False,
) -> FastValidator:
    if documents is None:
        documents = _Documents(schema_path, folder)
    root_uri = documents.root_uri
    analysis = _Analysis(documents)
    analysis.walk(root_uri, "", documents.data[root_uri], (), False, ())
    patterns = format_patterns(_today_year())
    copies = {uri: _copy(data) for uri, data in documents.data.items()}
    widened = {uri: _copy(data) for uri, data in documents.data.items()}  # for ``rescue``
    subsets: set[str] = set()  # formats whose pattern stands for them, accepting a subset
    sites: dict[tuple[Step, ...], str] = {}
    for (uri, pointer), entry in analysis.nodes.items():
        node = _node_at(copies[uri], pointer)
        if entry.format in CHECK_CHARACTERS:
            if entry.conditional:
                continue  # stays a format, checked by the exact callback
            _add_pattern(node, patterns[entry.format])
            _add_pattern(_node_at(widened[uri], pointer), patterns[entry.format])
            for path in entry.paths:
                sites[path] = entry.format
        elif entry.format in patterns and (not entry.conditional or entry.format in EXACT_PATTERNS):
            _add_pattern(node, patterns[entry.format])
            if entry.format in EXACT_PATTERNS:
                _add_pattern(_node_at(widened[uri], pointer), patterns[entry.format])
            else:
                _add_exact_pattern(
                    _node_at(widened[uri], pointer), patterns[entry.format], entry.format
                )
                subsets.add(entry.format)
    root = copies[root_uri]
    if not isinstance(root, (dict, bool)):
        raise NoFastPath("record schema is not a schema")
    left = {
        e.format
        for e in analysis.nodes.values()
        if e.conditional or e.format not in patterns  # conditional: a callback stays
    }

    def is_valid() -> Callable[[Any], bool]:
        checks: Callable[[Any], bool] = _validator(copies, root_uri, left).is_valid
        return checks

    def rescuing() -> Callable[[Any], bool]:
        checks: Callable[[Any], bool] = _validator(widened, root_uri, left | subsets).is_valid
        return checks

    valid: Callable[[Any], bool] = _Deferred(is_valid) if defer else is_valid()
    rescue: Callable[[Any], bool] | None = None
    if subsets:
        rescue = _Deferred(rescuing) if defer else rescuing()
    if sites:
        namespace = _site_namespace(sites)
        exec(_site_source(sites), namespace)  # noqa: S102 - generated from repr()'d names
        sites_ok: Callable[[Any], bool] = namespace["sites_ok"]
        sites_many: Callable[[list[Any]], list[bool]] | None = _site_columns(sites, sites_ok)
    else:
        sites_ok = _always
        sites_many = None
    depth = _DepthBound(documents).of(root_uri, "", documents.data[root_uri])
    locator = _locator(documents, wording, limit) if wording is not None else None
    return FastValidator(valid, sites_ok, sites, depth, locator, rescue, sites_many)


def _validator(documents: dict[str, Any], root_uri: str, callbacks: set[str]) -> Any:
    """jsonschema-rs for the (mirrored) documents, ``callbacks`` the formats checked exactly."""
    return jsonschema_rs.validator_for(
        documents[root_uri],
        registry=jsonschema_rs.Registry(
            [(uri, data) for uri, data in documents.items() if uri != root_uri]
        ),
        base_uri=root_uri,
        validate_formats=True,
        formats=_exact_formats(callbacks) or None,
        offline=True,
    )


def _locator(documents: _Documents, wording: Any, limit: int) -> ErrorLocator:
    """An error locator over the original documents, every format an exact callback;
    its validator is compiled at the first invalid record (a valid file needs none)."""
    root_uri = documents.root_uri

    def build() -> Any:
        return jsonschema_rs.validator_for(
            documents.data[root_uri],
            registry=jsonschema_rs.Registry(
                [(uri, data) for uri, data in documents.data.items() if uri != root_uri]
            ),
            base_uri=root_uri,
            validate_formats=True,
            # the formats the documents name: compiling the others' patterns costs ms
            formats=_exact_formats(_used_formats(documents.data)) or None,
            offline=True,
        )

    return ErrorLocator(
        None, documents.data, wording, limit, build=build, written=documents.written
    )


def cached_format_check(fmt: Any) -> Callable[[str], bool]:
    """A fast exact predicate for one format's values (XML fields, located errors), cached.

    The pattern (compiled for Python: the patterns use no syntax whose meaning differs) and
    the check character decide when they accept; anything else asks the format itself.
    """
    pattern_text = format_patterns(_today_year()).get(fmt.name)
    extra = CHECK_CHARACTERS.get(fmt.name)
    valid: set[str] = set()
    check = fmt.check
    # compiled at the first value: a validator carries every format, most never used
    fullmatch: Callable[[str], object] | None = None

    def ok(value: str) -> bool:
        nonlocal fullmatch
        if value in valid:
            return True
        if fullmatch is None:
            fullmatch = _pattern_match(pattern_text) if pattern_text else _never
        if fullmatch(value) and (extra is None or extra(value)):
            good = True
        else:
            good = check(value) is None
        if good and len(valid) < _CACHE_LIMIT:
            valid.add(value)
        return good

    return ok


@cache
def _pattern_match(pattern_text: str) -> Callable[[str], object]:
    """A full-match predicate for an anchored format pattern: jsonschema-rs's regex (the
    engine the fast validator runs the same patterns on) unless the pattern holds a negative
    lookahead, which puts that engine on backtracking; Python's re for a string jsonschema-rs
    cannot take (a lone surrogate). Measured per value (an https URI, a mailbox, a
    date-time): 0.18, 0.19, 0.13 µs against Python's re 1.7, 0.42, 0.24."""
    if "(?!" in pattern_text:
        return re.compile(pattern_text[1:-1]).fullmatch
    native = jsonschema_rs.validator_for({"pattern": pattern_text}).is_valid

    def match(value: str) -> object:
        try:
            return native(value)
        except UnicodeEncodeError:
            return re.compile(pattern_text[1:-1]).fullmatch(value)

    return match


@cache
def _native_match(pattern_text: str) -> Callable[[str], bool]:
    """jsonschema-rs's full match of an anchored pattern, for Unicode strings only (a lone
    surrogate raises UnicodeEncodeError)."""
    matcher: Callable[[str], bool] = jsonschema_rs.validator_for({"pattern": pattern_text}).is_valid
    return matcher


def _none(_value: str) -> None:
    return None


def format_batch_check(fmt: Any) -> Callable[[list[str]], set[str]]:
    """The values of a batch the format refuses, in C-level loops over the values not seen
    before: pattern and check character first, then the format itself for what they refuse
    (it may accept what its pattern does not)."""
    pattern_text = format_patterns(_today_year()).get(fmt.name)
    fullmatch = re.compile(pattern_text[1:-1]).fullmatch if pattern_text else None
    wrong_rows = WRONG_CHECK_CHARACTERS.get(fmt.name)
    check = cached_format_check(fmt)
    seen: set[str] = set()

    def refused(values: list[str]) -> set[str]:
        fresh = list(set(values).difference(seen))
        good = list(compress(fresh, map(fullmatch, fresh))) if fullmatch is not None else []
        return settle_batch(fresh, good, wrong_rows, check, seen)

    return refused


def settle_batch(
    fresh: list[str],
    good: list[str],
    wrong_rows: Callable[[bytes], list[int]] | None,
    check: Callable[[str], bool],
    seen: set[str],
) -> set[str]:
    """The values of ``fresh`` the format refuses, given ``good``, those its pattern took:
    their check characters a batch at once, then the format itself for what is left (it
    may accept what its pattern does not); remembers the valid ones in ``seen``."""
    if wrong_rows is not None and good:  # 18 ASCII characters each: the pattern says so
        wrong = set(wrong_rows("".join(good).encode()))
        if wrong:
            good = [value for row, value in enumerate(good) if row not in wrong]
    bad = set(fresh).difference(good)
    if bad:
        bad = {value for value in bad if not check(value)}
    if len(seen) + len(fresh) <= _CACHE_LIMIT:
        seen.update(fresh)
        seen.difference_update(bad)
    return bad
