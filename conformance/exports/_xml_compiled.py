"""XML records taken without a parser: a plain XSD compiled into one regular expression.

For a plain XSD (one target namespace, local elements qualified, no attributes, no identity
constraints; content models of sequences and choices of elements occurring at most once;
simple types of string, date or dateTime restricted by enumerations, lengths and simple
patterns), the text of a valid record written plainly (no attributes, comments, CDATA or
references; the root's default namespace) is a regular language. The expression built here
is *sound*, not complete: a record it matches is well-formed and valid against the XSD;
anything it does not match is left to lxml, the way every record went before. A matched
record whose field formats all pass is *taken*: counted, its key hashed, and its text
replaced by as many newlines as it held, so lxml still sees every other record on its own
line, and the records it reports carry their true line and ordinal. The records found in a
chunk are a :class:`~conformance.exports._batch.Batch` (texts, places by line and XPath)
offered through ``decide()``: a caller's acceptors, then the compiled acceptor
(:meth:`RecordScanner._accept`); what they refuse stays in the text for lxml.

The scanner stops for the rest of the file (everything then goes to lxml) at anything it
does not follow between records: a comment, a processing instruction, another element, a
prefixed record, a record nesting a record, a DOCTYPE before the root.
"""

from __future__ import annotations

import math
import operator
import re
from array import array
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from itertools import accumulate, repeat
from typing import Any, cast

from lxml import etree

from conformance.exports._batch import Accept, Batch, Place, decide
from conformance.exports._fast import _DATE, _MD, _PROVINCES, _today_year, format_patterns
from conformance.exports._keys import KeyHashes
from conformance.exports._readers import record_limit
from conformance.exports._xml_batches import XS, XS_NS, batch_format_check
from conformance.formats._check_characters import WRONG_CHECK_CHARACTERS

_SPACE = "[ \t\r\n]*"
# Characters the text of a plain record may hold: no markup, reference, CR (the parser
# changes it) or "]" (so "]]>" cannot occur), and only characters XML allows.
_UNSAFE = "<&\\]\\r\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ufffe\\uffff"
_CHAR = f"[^{_UNSAFE}]"
_UNSAFE_CHARS = re.compile(f"[{_UNSAFE}]")
_XSD_DATE = f"(?!0000){_DATE}"  # XSD 1.0 has no year 0
_XSD_DATE_TIME = (
    f"{_XSD_DATE}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?"
    "(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
)
_BUILTIN = {
    "string": f"{_CHAR}*",
    "date": _XSD_DATE,
    "dateTime": _XSD_DATE_TIME,
    # numbers as written plainly (no blanks around them: those are left to lxml)
    "integer": "[+-]?[0-9]{1,30}",
    "decimal": "[+-]?(?:[0-9]{1,30}(?:\\.[0-9]{0,30})?|\\.[0-9]{1,30})",
}
_NUMERIC = frozenset({"integer", "decimal"})
_BOUNDS = {
    "minInclusive": operator.ge,
    "maxInclusive": operator.le,
    "minExclusive": operator.gt,
    "maxExclusive": operator.lt,
}
_PENDING_LIMIT = 1024 * 1024  # text held waiting for a record's end before giving up
_PROLOG_LIMIT = 64 * 1024
_ELEMENT_KEYS = frozenset({"name", "type", "minOccurs", "maxOccurs"})
_FACETS = frozenset({"enumeration", "pattern", "minLength", "maxLength", "length"})
_MAX_OCCURS = 10_000  # a larger bound than this is left to lxml (a regex repeat count)

# ---------------------------------------------------------------- formats in the expression

# Field formats written into the record's expression (``CompiledRecord.strict``), for
# Python's ``re``: each accepts only values its format accepts, none holding a character
# _CHAR refuses (no "&": the text of a value is then the value), with no capturing group.
# Runs are possessive and the authority's user part is looked ahead for, so a value costs
# one pass and a value they refuse no runaway backtracking (the expression is atomic too).
_PCT = "%[0-9A-Fa-f]{2}"
_URI_CHARS = "A-Za-z0-9\\-._~!$'()*+,;="  # unreserved and sub-delims, without "&"


def _chars(more: str) -> str:
    """Characters of the class ``_URI_CHARS + more`` and percent-escapes, any number."""
    return f"[{_URI_CHARS}{more}]*+(?:{_PCT}[{_URI_CHARS}{more}]*+)*+"


_EMAIL_ATOM = "[A-Za-z0-9!#$%'*+/=?^_`{|}~-]++"  # no "&"
_EMAIL_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMBEDDED_HANDWRITTEN = {
    # an absolute URI with an authority of a registered name, or none (IP literals,
    # "&" and anything else: the batch check)
    "uri": "[A-Za-z][A-Za-z0-9+.-]*+:"
    f"(?://(?:(?=[^@/?#<]*@){_chars(':')}@)?{_chars('')}(?::[0-9]*+)?(?:/{_chars(':@/')})?"
    f"|(?!//){_chars(':@/')})"
    f"(?:\\?{_chars(':@/?')})?(?:#{_chars(':@/?')})?",
    # the common mailbox of format_patterns: a dot-atom and a dotted LDH domain
    "email": f"(?=[^@<]{{1,64}}@)(?=[^<]{{1,254}}<){_EMAIL_ATOM}(?:\\.{_EMAIL_ATOM})*@"
    f"(?:{_EMAIL_LABEL}\\.)+[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?",
}
# The formats whose pattern (format_patterns: structure only for a check character) is
# plain ASCII with no markup character, lookahead, unescaped "$" or ".": the same text,
# unanchored, in Python's re.
_EMBEDDED_AS_IS = (
    "date",
    "date-time",
    "cn-division-code",
    "cn-mobile",
    "cn-postcode",
    "uuid",
    "cn-uscc",
)


def embedded_patterns(today_year: int) -> dict[str, str]:
    """Per format: a Python expression of a field's text taken with no further check but
    its check character (WRONG_CHECK_CHARACTERS), if it has one (see _EMBEDDED_HANDWRITTEN)."""
    patterns = format_patterns(today_year)
    embedded = {name: patterns[name][1:-1] for name in _EMBEDDED_AS_IS if name in patterns}
    embedded.update(_EMBEDDED_HANDWRITTEN)
    # The ID number's birth date as a tree of digits: an alternation of 126 years costs
    # Python's re a try per year.
    last = today_year - 1
    years = [str(year) for year in range(1900, last + 1)]
    leap = [year for year in years if _leap_year(int(year))]
    days = _MD.format(sep="")
    embedded["cn-id-number"] = (
        f"{_PROVINCES}[0-9]{{4}}(?:{_digit_tree(years)}{days}|{_digit_tree(leap)}0229)"
        "[0-9]{3}[0-9X]"
    )
    return embedded


def _leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _digit_tree(words: list[str]) -> str:
    """An expression matching exactly ``words`` (strings of digits, one length), as a tree:
    the digits leading to the same rest written as one class."""
    if not words or not words[0]:
        return ""
    rests: dict[str, list[str]] = {}
    for word in words:
        rests.setdefault(word[0], []).append(word[1:])
    by_rest: dict[str, list[str]] = {}
    for digit, rest in rests.items():
        by_rest.setdefault(_digit_tree(rest), []).append(digit)
    branches = [
        (digits[0] if len(digits) == 1 else f"[{''.join(digits)}]") + rest
        for rest, digits in by_rest.items()
    ]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


class _NotPlain(Exception):
    """The XSD uses something the compiled expression does not follow."""


# ---------------------------------------------------------------- XSD patterns


def _class_item(pattern: str, index: int) -> tuple[str, int]:
    """One character of a character class (escaped for Python), and the next index."""
    char = pattern[index]
    if char == "\\":
        if index + 1 >= len(pattern):
            raise _NotPlain("dangling escape")
        escaped = pattern[index + 1]
        if escaped == "d":
            return "0-9", index + 2
        if escaped in "nrt":
            raise _NotPlain("whitespace escape in a class")
        if escaped not in "\\|.-^?*+{}()[]":
            raise _NotPlain(f"escape \\{escaped}")
        return re.escape(escaped), index + 2
    if char in "[":
        raise _NotPlain("class subtraction or nesting")
    return re.escape(char), index + 1


def _class(pattern: str, index: int) -> tuple[str, int]:
    """A character class starting after "[": Python text restricted to plain characters."""
    negated = pattern.startswith("^", index)
    index += negated
    items: list[str] = []
    first = True
    while index < len(pattern) and (pattern[index] != "]" or first):
        first = False
        item, index = _class_item(pattern, index)
        if pattern.startswith("-", index) and not pattern.startswith("-]", index):
            high, index = _class_item(pattern, index + 1)
            if len(item) > 2 or len(high) > 2:
                raise _NotPlain("range over a class escape")
            low_char, high_char = item[-1], high[-1]
            if any(low_char <= c <= high_char for c in "<&]\r") or low_char < " ":
                raise _NotPlain("range over markup characters")
            items.append(f"{item}-{high}")
        else:
            if not negated and _UNSAFE_CHARS.match(item[-1]) and item != "0-9":
                raise _NotPlain("markup character in a class")
            items.append(item)
    if index >= len(pattern):
        raise _NotPlain("unclosed class")
    body = "".join(items)
    return (f"[^{body}{_UNSAFE}]" if negated else f"[{body}]"), index + 1


_QUANTIFIER = re.compile(r"[?*+]|\{[0-9]+(?:,[0-9]*)?\}")


def xsd_pattern(pattern: str) -> str:
    """A Python expression matching a subset of what an XSD pattern matches, none of it
    markup; no quantified group holding a quantifier (so no runaway backtracking)."""
    out: list[str] = []
    # per open group: (whether it holds a quantifier or an alternation)
    groups: list[bool] = [False]
    index = 0
    last_group_busy = False
    while index < len(pattern):
        char = pattern[index]
        quantifier = _QUANTIFIER.match(pattern, index)
        if quantifier:
            if out and out[-1] == ")" and last_group_busy and quantifier.group() != "?":
                raise _NotPlain("nested quantifier")  # only "at most once" cannot run away
            if pattern.startswith("?", quantifier.end()) or not out:
                raise _NotPlain("quantifier misplaced")
            out.append(quantifier.group())
            groups[-1] = True
            index = quantifier.end()
            continue
        last_group_busy = False
        if char == "\\":
            if index + 1 >= len(pattern):
                raise _NotPlain("dangling escape")
            escaped = pattern[index + 1]
            if escaped == "d":
                out.append("[0-9]")
            elif escaped in "\\|.-^?*+{}()[]$":
                out.append(re.escape(escaped))
            else:
                raise _NotPlain(f"escape \\{escaped}")
            index += 2
        elif char == "[":
            text, index = _class(pattern, index + 1)
            out.append(text)
        elif char == ".":
            out.append(_CHAR)
            index += 1
        elif char == "(":
            out.append("(?:")
            groups.append(False)
            index += 1
        elif char == ")":
            if len(groups) == 1:
                raise _NotPlain("unbalanced group")
            last_group_busy = groups.pop()
            groups[-1] = groups[-1] or last_group_busy
            out.append(")")
            index += 1
        elif char == "|":
            groups[-1] = True
            out.append("|")
            index += 1
        elif _UNSAFE_CHARS.match(char) or char in "]{}":
            raise _NotPlain(f"character {char!r} in a pattern")
        else:
            out.append(re.escape(char))
            index += 1
    if len(groups) != 1:
        raise _NotPlain("unbalanced group")
    return "".join(out)


# ---------------------------------------------------------------- the XSD compiler


class _Compiler:
    def __init__(
        self,
        root: etree._Element,
        wanted: dict[tuple[str, ...], str],
        embedded: dict[str, str] | None = None,
    ) -> None:
        # group name -> the expression its text must match (the strict expression)
        self.embedded = embedded or {}
        self.namespace = root.get("targetNamespace") or ""
        if not self.namespace or root.get("elementFormDefault") != "qualified":
            raise _NotPlain("local elements are not qualified in one target namespace")
        self.prefixes = {prefix: uri for prefix, uri in root.nsmap.items()}
        self.named: dict[tuple[str, str], etree._Element] = {}
        for node in root:
            if not isinstance(node.tag, str) or node.tag == f"{XS}annotation":
                continue
            if node.tag not in (f"{XS}element", f"{XS}complexType", f"{XS}simpleType"):
                raise _NotPlain(f"top-level {node.tag}")  # imports, groups, attributes...
            self.named[(node.tag, str(node.get("name")))] = node
        for node in root.iter(etree.Element):
            if node.tag in (f"{XS}unique", f"{XS}key", f"{XS}keyref"):
                raise _NotPlain("identity constraints")
        self.wanted = wanted  # record-relative path -> group name
        self.found: dict[tuple[str, ...], int] = {}
        self.bounds: list[tuple[Callable[[Decimal, Decimal], bool], Decimal]] = []
        self.bounded: dict[str, list[tuple[Callable[[Decimal, Decimal], bool], Decimal]]] = {}
        # The outermost repeated element being compiled (its run's group name), the local
        # names declared in it (how many times), and per run the fields read from its text:
        # (local name, the wanted group name or the bounds of a number).
        self.run: str | None = None
        self.run_names: dict[str, int] = {}
        self.runs: dict[str, list[tuple[str, str | list[Any]]]] = {}

    def record(self, name: str) -> str:
        declaration = self.named.get((f"{XS}element", name))
        if declaration is None:
            raise _NotPlain("no global record element")
        return self._element(declaration, ())

    def _qualified(self, value: str) -> tuple[str, str]:
        prefix, _, local = value.rpartition(":")
        uri = self.prefixes.get(prefix or None)
        if uri is None:
            raise _NotPlain(f"unknown prefix in {value!r}")
        return uri, local

    def _element(self, node: etree._Element, parent: tuple[str, ...]) -> str:
        if set(node.attrib) - _ELEMENT_KEYS:
            raise _NotPlain(f"element attributes {sorted(node.attrib)}")
        name = str(node.get("name"))
        path = (*parent, name)
        is_record = not parent
        if self.run is not None:
            self.run_names[name] = self.run_names.get(name, 0) + 1
        children = [c for c in node if isinstance(c.tag, str) and c.tag != f"{XS}annotation"]
        if node.get("type") is not None:
            if children:
                raise _NotPlain("type and content")
            uri, local = self._qualified(str(node.get("type")))
            self.bounds = []
            if uri == XS_NS:
                return self._simple_element(name, path, self._builtin(local), is_record)
            if uri != self.namespace:
                raise _NotPlain("foreign type")
            simple = self.named.get((f"{XS}simpleType", local))
            if simple is not None:
                return self._simple_element(name, path, self._simple(simple), is_record)
            complex_ = self.named.get((f"{XS}complexType", local))
            if complex_ is None:
                raise _NotPlain(f"unknown type {local!r}")
            return self._complex_element(name, path, complex_)
        if len(children) != 1:
            raise _NotPlain("element without one type")
        if children[0].tag == f"{XS}simpleType":
            self.bounds = []
            return self._simple_element(name, path, self._simple(children[0]), is_record)
        if children[0].tag == f"{XS}complexType":
            return self._complex_element(name, path, children[0])
        raise _NotPlain(f"element content {children[0].tag}")

    def _simple_element(self, name: str, path: tuple[str, ...], content: str, record: bool) -> str:
        if record:
            raise _NotPlain("simple record")
        tag = re.escape(name)
        group = self.wanted.get(path[1:])
        bounds, self.bounds = self.bounds, []
        if self.run is not None and (group is not None or bounds):
            # in a repeated element: read from the run's text, value by value (see _repeated)
            if group == "key" or (group is not None and bounds):
                raise _NotPlain("a key, or a field with bounds, in a repeated element")
            if group is not None:
                self.found[path[1:]] = self.found.get(path[1:], 0) + 1
            self.runs.setdefault(self.run, []).append((name, group if group else bounds))
            return f"<{tag}>{content}</{tag}>{_SPACE}"
        if group is not None:
            if bounds:
                raise _NotPlain("a field or key with bounds")
            self.found[path[1:]] = self.found.get(path[1:], 0) + 1
            subset = self.embedded.get(group)
            if subset is not None:  # the text matches it, and what the XSD says
                plain = content == _BUILTIN["string"]
                content = f"(?>{subset})" if plain else f"(?=(?>{subset})</){content}"
            content = f"(?P<{group}>{content})"
        elif bounds:  # a number with bounds: its group is compared after the match
            group = f"n{len(self.bounded)}"
            self.bounded[group] = bounds
            content = f"(?P<{group}>{content})"
        return f"<{tag}>{content}</{tag}>{_SPACE}"

    def _complex_element(self, name: str, path: tuple[str, ...], node: etree._Element) -> str:
        if set(node.attrib) - {"name"}:
            raise _NotPlain("complexType attributes (mixed, abstract...)")
        if path[1:] in self.wanted:
            raise _NotPlain("a field or key of complex content")
        children = [c for c in node if isinstance(c.tag, str) and c.tag != f"{XS}annotation"]
        if len(children) != 1:
            raise _NotPlain("complex content other than one particle")
        tag = re.escape(name)
        # the record's trailing blanks are a group: whether its line ends there
        trail = f"(?P<trail>{_SPACE})" if len(path) == 1 else _SPACE
        return f"<{tag}>{_SPACE}{self._particle(children[0], path)}</{tag}>{trail}"

    def _particle(self, node: etree._Element, path: tuple[str, ...]) -> str:
        low, high = node.get("minOccurs", "1"), node.get("maxOccurs", "1")
        if high != "1" or low not in ("0", "1"):
            return self._repeated(node, path, low, high)
        if node.tag == f"{XS}element":
            body = self._element(node, path)
        elif node.tag in (f"{XS}sequence", f"{XS}choice"):
            if set(node.attrib) - {"minOccurs", "maxOccurs"}:
                raise _NotPlain("particle attributes")
            parts = [
                self._particle(c, path)
                for c in node
                if isinstance(c.tag, str) and c.tag != f"{XS}annotation"
            ]
            if not parts:
                raise _NotPlain("empty particle")
            joiner = "" if node.tag == f"{XS}sequence" else "|"
            body = "(?:" + joiner.join(parts) + ")"
        else:
            raise _NotPlain(f"particle {node.tag}")
        return f"(?:{body})?" if low == "0" else body

    def _repeated(self, node: etree._Element, path: tuple[str, ...], low: str, high: str) -> str:
        """An element occurring ``low`` to ``high`` times: ``(?:<e>...</e>\\s*){low,high}``.

        Only an element repeats here: its text starts with its start tag, so an occurrence
        is never empty, and (the XSD's content models being deterministic) the expression
        splits a run of them one way only, with no runaway backtracking. A regular
        expression keeps only the last value of a repeated group, so the fields and bounded
        numbers inside the outermost repeated element are not groups: the whole run is
        one, and each such field's values are read from it by ``<name>([^<]*)</name>``,
        which finds exactly them when the name is declared once in the repeated element.
        """
        if node.tag != f"{XS}element":
            raise _NotPlain("a repeated sequence or choice")
        if not low.isdigit() or not (high.isdigit() or high == "unbounded"):
            raise _NotPlain("occurrence bounds")
        if int(low) > _MAX_OCCURS or (high != "unbounded" and int(high) > _MAX_OCCURS):
            raise _NotPlain("occurrence bounds too large")
        if high != "unbounded" and (int(high) < 1 or int(high) < int(low)):
            raise _NotPlain("occurrence bounds")
        count = f"{{{int(low)},}}" if high == "unbounded" else f"{{{int(low)},{int(high)}}}"
        if self.run is not None:  # nested: the outer run holds its text
            return f"(?:{self._element(node, path)}){count}"
        self.run = f"r{len(self.runs)}"
        self.runs[self.run] = []
        self.run_names = {}
        try:
            body = self._element(node, path)
        finally:
            run, self.run = self.run, None
        if not self.runs[run]:
            del self.runs[run]
            return f"(?:{body}){count}"
        if any(self.run_names[name] != 1 for name, _ in self.runs[run]):
            raise _NotPlain("a field's name declared twice in a repeated element")
        return f"(?P<{run}>(?:{body}){count})"

    def _builtin(self, local: str) -> str:
        if local not in _BUILTIN:
            raise _NotPlain(f"built-in type {local}")
        return _BUILTIN[local]

    def _simple(self, node: etree._Element) -> str:
        children = [c for c in node if isinstance(c.tag, str) and c.tag != f"{XS}annotation"]
        if set(node.attrib) - {"name"} or len(children) != 1:
            raise _NotPlain("simpleType form")
        restriction = children[0]
        if restriction.tag != f"{XS}restriction" or restriction.get("base") is None:
            raise _NotPlain("list or union")
        uri, base = self._qualified(str(restriction.get("base")))
        if uri != XS_NS or base not in _BUILTIN:
            raise _NotPlain("derived from a derived type")
        facets: dict[str, list[str]] = {}
        for facet in restriction:
            if not isinstance(facet.tag, str) or facet.tag == f"{XS}annotation":
                continue
            local = facet.tag.removeprefix(XS)
            if local in _BOUNDS and base in _NUMERIC and set(facet.attrib) == {"value"}:
                try:
                    self.bounds.append((_BOUNDS[local], Decimal(str(facet.get("value")))))
                except InvalidOperation:
                    raise _NotPlain(f"bound {facet.get('value')!r}") from None
                continue
            if local not in _FACETS or set(facet.attrib) != {"value"}:
                raise _NotPlain(f"facet {local}")
            facets.setdefault(local, []).append(str(facet.get("value")))
        checks: list[str] = []
        if facets.get("pattern"):
            alternatives = "|".join(xsd_pattern(p) for p in facets["pattern"])
            checks.append(f"(?=(?:{alternatives})</)")
        lengths = [facets.get(k, [None])[-1] for k in ("minLength", "maxLength", "length")]
        if base in _NUMERIC and (facets.get("pattern") or "enumeration" in facets):
            raise _NotPlain("a pattern or enumeration of numbers")
        if any(v is not None for v in lengths):
            if base != "string":
                raise _NotPlain("length of a date")
            low, high, exact = lengths
            low = exact if exact is not None else low or "0"
            high = exact if exact is not None else high or ""
            if not (low.isdigit() and (high == "" or high.isdigit())):
                raise _NotPlain("length not a number")
            checks.append(f"(?={_CHAR}{{{int(low)},{high}}}</)")
        core = _BUILTIN[base]
        if "enumeration" in facets:
            if base != "string":
                raise _NotPlain("enumerated dates")
            plain = [v for v in facets["enumeration"] if not _UNSAFE_CHARS.search(v)]
            core = "(?:" + "|".join(re.escape(v) for v in plain) + ")" if plain else "(?!)"
        return "".join(checks) + core


# ---------------------------------------------------------------- the compiled record


class CompiledRecord:
    """The expression of a plain, valid record, with a group per field and the key."""

    def __init__(
        self,
        expression: re.Pattern[str],
        fields: list[tuple[int, Callable[[list[str]], set[str]]]],
        key: int | None,
        name: str,
        namespace: str,
        runs: list[tuple[int, str, re.Pattern[str], Callable[[list[str]], set[str]]]],
        strict: re.Pattern[str] | None = None,
        strict_fields: list[tuple[int, Callable[[list[str]], set[str]]]] | None = None,
    ) -> None:
        self.expression = expression
        self.fields = fields  # (index in match.groups(), the format's batch check)
        # The same expression, its groups numbered alike, with the formats of
        # embedded_patterns written in: a record it matches needs only ``strict_fields``
        # checked (check characters, numbers' bounds, formats not written in).
        self.strict = strict
        self.strict_fields = fields if strict_fields is None else strict_fields
        # (index of a repeated element's run in match.groups(), a field's local name, the
        # expression finding its values in the run, the check of those values)
        self.runs = runs
        self.key = key
        self.name = name
        self.namespace = namespace


def compile_record(
    root: etree._Element,
    record: str,
    formats: list[tuple[str, tuple[str, ...], Any]],
    key: str | None,
) -> CompiledRecord | None:
    """The compiled record of a plain XSD (its document's root), or None (the XSD is not
    plain: lxml does it all)."""
    try:
        wanted = {steps: f"f{index}" for index, (_p, steps, _f) in enumerate(formats)}
        if len(wanted) != len(formats):
            return None  # two formats of one field: the record-by-record code checks both
        if key is not None:
            wanted.setdefault((key,), "key")
        compiler = _Compiler(root, wanted)
        expression = re.compile(compiler.record(record))
    except (_NotPlain, re.error, RecursionError):
        return None
    if any(count > 1 for count in compiler.found.values()):
        return None  # a path met twice: the record-by-record code checks every one
    groups = expression.groupindex  # name -> number; match.groups() is 0-based
    checks = {wanted[steps]: batch_format_check(fmt) for _path, steps, fmt in formats}
    fields = [(groups[group] - 1, check) for group, check in checks.items() if group in groups]
    bounded = [
        (groups[group] - 1, _bounds_check(bounds)) for group, bounds in compiler.bounded.items()
    ]
    fields += bounded
    strict, written = _strict(root, record, wanted, formats, expression)
    strict_fields = None
    if strict is not None:
        strict_fields = [
            (groups[group] - 1, check)
            for group, check in checks.items()
            if group in groups and group not in written
        ] + [
            (groups[group] - 1, _check_characters(wrong))
            for group, wrong in written.items()
            if group in groups and wrong is not None
        ]
        strict_fields += bounded
    runs = [
        (
            groups[run] - 1,
            name,
            re.compile(f"<{re.escape(name)}>([^<]*)</{re.escape(name)}>"),
            checks[read] if isinstance(read, str) else _bounds_check(read),
        )
        for run, reads in compiler.runs.items()
        for name, read in reads
    ]
    key_index = None
    if key is not None:
        if wanted[(key,)] not in groups:
            return None  # no key element: the one-by-one code knows what to do
        key_index = groups[wanted[(key,)]] - 1
    return CompiledRecord(
        expression,
        fields,
        key_index,
        record,
        compiler.namespace,
        runs,
        strict,
        strict_fields,
    )


def _strict(
    root: etree._Element,
    record: str,
    wanted: dict[tuple[str, ...], str],
    formats: list[tuple[str, tuple[str, ...], Any]],
    expression: re.Pattern[str],
) -> tuple[re.Pattern[str] | None, dict[str, Callable[[bytes], list[int]] | None]]:
    """The strict expression (see CompiledRecord), or None (no format to write in), and
    per group written in, the batch check of its check characters (None: no such)."""
    patterns = embedded_patterns(_today_year())
    embedded = {
        wanted[steps]: patterns[fmt.name] for _p, steps, fmt in formats if fmt.name in patterns
    }
    if not embedded:
        return None, {}
    try:
        strict = re.compile(_Compiler(root, wanted, embedded).record(record))
    except (_NotPlain, re.error, RecursionError):
        return None, {}
    if strict.groupindex != expression.groupindex or strict.groups != expression.groups:
        return None, {}
    # a group in a repeated element is not written in: its run is read and checked
    written = {group for group in embedded if group in expression.groupindex}
    names = {wanted[steps]: fmt.name for _p, steps, fmt in formats}
    return strict, {group: WRONG_CHECK_CHARACTERS.get(names[group]) for group in written}


def _check_characters(
    wrong_rows: Callable[[bytes], list[int]],
) -> Callable[[list[str]], set[str]]:
    """The values of a batch (each matched its format's structure: ASCII, one width) whose
    check character is wrong, the batch at once."""

    def refused(values: list[str]) -> set[str]:
        return {values[row] for row in wrong_rows("".join(values).encode())}

    return refused


def _bounds_check(
    bounds: list[tuple[Callable[[Decimal, Decimal], bool], Decimal]],
) -> Callable[[list[str]], set[str]]:
    """The values of a batch outside an XSD number's bounds (values the expression matched:
    plain integers or decimals of at most 61 digits), compared exactly as decimals. Floats
    decide first: a float of such a text is within 2^-52 of it, relatively, so a value whose
    float is inside every bound by more than _MARGIN (relative to the bound, or to 1) is
    inside it; only the others are compared as decimals."""
    lows = [float(b) + _MARGIN * max(1.0, abs(float(b))) for c, b in bounds if c in _LOWER]
    highs = [float(b) - _MARGIN * max(1.0, abs(float(b))) for c, b in bounds if c not in _LOWER]
    low, high = max(lows, default=-math.inf), min(highs, default=math.inf)

    def refused(values: list[str]) -> set[str]:
        distinct = set(values)
        near = [value for value in distinct if not low < float(value) < high]
        return {
            value
            for value in near
            if not all(compare(Decimal(value), bound) for compare, bound in bounds)
        }

    return refused


_LOWER = (operator.ge, operator.gt)
_MARGIN = 1e-9


def _runs_holding(runs: list[str | None], name: str, bad: set[str]) -> set[int]:
    """The indexes of the runs holding one of the ``bad`` values of the field ``name``. A
    run is whole elements with no "<" in their text, so ``<name>value</name>`` in the runs
    joined is an element of one run, never a seam between two."""
    starts = list(accumulate((len(run or "") for run in runs), initial=0))
    joined = "".join(run or "" for run in runs)
    found: set[int] = set()
    for value in bad:
        needle = f"<{name}>{value}</{name}>"
        at = joined.find(needle)
        while at >= 0:
            found.add(bisect_right(starts, at) - 1)
            at = joined.find(needle, at + len(needle))
    return found


def _refuse(
    matches: list[re.Match[str]],
    rows: list[int] | None,
    fields: list[tuple[int, Callable[[list[str]], set[str]]]],
    refused: set[int],
) -> None:
    """Add to ``refused`` the rows (indexes in ``matches``; None: all of them) with a field
    value its check refuses. Only the groups checked are read (a column at a time)."""
    chosen = matches if rows is None else [matches[row] for row in rows]
    for index, check in fields:
        values = list(map(_GROUP, chosen, repeat(index + 1)))
        present = values if None not in values else [v for v in values if v is not None]
        bad = check(present) if present else set()
        if bad:
            found = (i for i, value in enumerate(values) if value in bad)
            refused.update(found if rows is None else (rows[i] for i in found))


_GROUP = re.Match.group
_MATCH = operator.itemgetter(2)  # the match of a record found: (start, end, match)


# ---------------------------------------------------------------- the scanner


class _Texts:
    """The texts of the records found in a chunk, each sliced when asked (most never are)."""

    __slots__ = ("_found", "_text")

    def __init__(self, text: str, found: list[tuple[int, int, Any]]) -> None:
        self._text = text
        self._found = found

    def __len__(self) -> int:
        return len(self._found)

    def __getitem__(self, index: int) -> str:
        start, end, _match = self._found[index]
        return self._text[start:end]

    def __iter__(self) -> Iterator[str]:
        return (self._text[start:end] for start, end, _match in self._found)


class RecordScanner:
    """Takes the valid plain records out of the text lxml is given (see the module docstring).

    ``before`` holds, for each record left in the text at the root's level, how many records
    were taken before it (its ordinal among all records is its own count plus that); once
    the scanner has stopped, ``taken`` is final and counts for every later record.
    """

    def __init__(
        self, compiled: CompiledRecord, hashes: KeyHashes | None, callers: Sequence[Accept] = ()
    ) -> None:
        self.compiled = compiled
        self.hashes = hashes if compiled.key is not None else None
        self.taken = 0
        self.compiled_taken = 0  # of those, the records the compiled expression took
        self.seen = 0  # records found at the root's level, taken or left
        self.root = ""  # the root's XPath
        self.acceptors = [*callers, self._accept]
        self.before: deque[int] = deque()
        self.active = True
        self._line = 1  # line at the start of the text not passed yet
        self._fresh = False  # the text not passed yet starts a line (blanks aside)
        # start lines of the records taken from the last few chunks (lxml may yet stop
        # before them), and how many were taken before those
        self._recent: deque[array[int]] = deque()
        self._settled = 0
        name = re.escape(compiled.name)
        self._open = f"<{compiled.name}>"
        self._start = re.compile(
            f"<{name}(?:[ \t\r\n]+[^\\s=<>/\"']+[ \t\r\n]*=[ \t\r\n]*(?:\"[^\"<]*\"|'[^'<]*'))*"
            f"[ \t\r\n]*(/?)>"
        )
        self._close = re.compile(f"</{name}[ \t\r\n]*>")
        self._nested = re.compile(f"<!|<\\?|<(?:[^\\s<>/!?]+:)?{name}[\\s/>]")
        self._prolog = re.compile(
            "\\A(?:<\\?xml[^<>]*\\?>)?(?:[ \t\r\n]+|<!--(?:[^-]|-(?!-))*-->)*"
            "<[A-Za-z_][\\w.-]*((?:[ \t\r\n]+[^\\s=<>/\"']+[ \t\r\n]*=[ \t\r\n]*"
            "(?:\"[^\"<]*\"|'[^'<]*'))*)[ \t\r\n]*>"
        )
        self._default_ns = re.compile(
            "[ \t\r\n]xmlns[ \t\r\n]*=[ \t\r\n]*(?:\"([^\"<]*)\"|'([^'<]*)')"
        )
        self._space = re.compile("[ \t\r\n]*")

    def taken_before_line(self, line: int) -> int:
        """Records taken that start before ``line``: where lxml stopped, if it did."""
        return self._settled + sum(
            sum(1 for start in lines if start < line) for lines in self._recent
        )

    def chunks(self, source: Iterator[str]) -> Iterator[str]:
        """The text lxml is given: ``source`` with the taken records blanked."""
        pending = ""
        in_root = False
        for text in source:
            if not self.active:
                yield text
                continue
            pending += text
            if not in_root:
                pending, out, in_root = self._root(pending, final=False)
                if out:
                    yield out
                if not in_root:
                    continue
            out, pending = self._records(pending)
            if out:
                yield out
        if pending:
            yield pending
        self.active = False

    def _root(self, text: str, final: bool) -> tuple[str, str, bool]:
        """(text left, text to pass, inside the root): the root start tag must make the
        target namespace the default one, with no DOCTYPE before it."""
        match = self._prolog.match(text)
        if match is None:
            if len(text) > _PROLOG_LIMIT or final:
                self.active = False
                return "", text, False
            return text, "", False
        defaults = self._default_ns.findall(match.group(1))
        if len(defaults) != 1 or (defaults[0][0] or defaults[0][1]) != self.compiled.namespace:
            self.active = False
            return "", text, False
        self._line += text.count("\n", 0, match.end())
        self.root = "/" + text[text.rfind("<", 0, match.start(1)) + 1 : match.start(1)]
        return text[match.end() :], text[: match.end()], True

    def _stop(self, text: str, at: int, out: list[str]) -> tuple[str, str]:
        self.active = False
        out.append(text[at:])
        return "".join(out), ""

    def _records(self, text: str) -> tuple[str, str]:
        """(text to pass, text held for the next chunk)."""
        out: list[str] = []
        found: list[tuple[int, int, Any]] = []  # (start, end, match or None) in text order
        at = 0
        match_at = self.compiled.expression.match
        strict = self.compiled.strict
        strict_at = strict.match if strict is not None else None
        fresh = self._fresh
        limit = record_limit() // 4  # characters: may be over the limit in bytes
        first_at = strict_at if strict_at is not None else match_at
        append = found.append
        size = len(text)
        while True:
            if fresh:
                # The common case, in short: records matched one after the other, each
                # starting a line and ending one (the trail holds a newline), none at the
                # text's end or over the limit. Whatever else is the loop below's to do.
                record = first_at(text, at)
                while record is not None:
                    end = record.end()
                    if end == size or end - at > limit or "\n" not in record.group("trail"):
                        break
                    append((at, end, record))
                    at = end
                    record = first_at(text, at)
            space = self._space.match(text, at).end()  # type: ignore[union-attr]
            if space > at:
                fresh = fresh or "\n" in text[at:space]
            at = space
            fresh_at = fresh  # whether the text from here (held, if any) starts a line
            if at >= len(text):
                break
            if not text.startswith(self._open, at) and not self._start.match(text, at):
                if text.startswith("<", at) and len(text) - at < 256 and "<" not in text[at + 1 :]:
                    break  # a tag cut by the chunk's end: wait for the rest
                self._flush(text, found, out, at)
                return self._stop(text, at, out)
            record = None
            if text.startswith(self._open, at):
                record = strict_at(text, at) if strict_at is not None else None
                record = record or match_at(text, at)
            if record is not None:
                end = record.end()
                if end - at > limit:
                    self._flush(text, found, out, at)
                    return self._stop(text, at, out)  # lxml's reading reports it
                ends_line = "\n" in record.group("trail")
                if not ends_line and end == len(text):
                    break  # what follows the record is not here yet
                # A record sharing its line is left to lxml: lxml, stopping at a syntax
                # error, counts the records before the error's line only, and one taken
                # from that line would be lost.
                found.append((at, end, record if fresh and ends_line else None))
                fresh = ends_line
                at = end
                continue
            fresh = False  # another item: whatever follows it on its line shares it
            start = self._start.match(text, at)
            if start is None:
                if len(text) - at > _PENDING_LIMIT:
                    self._flush(text, found, out, at)
                    return self._stop(text, at, out)
                break  # the start tag is not all here yet
            if start.group(1):  # <Record/>: lxml's to judge
                found.append((at, start.end(), None))
                at = start.end()
                continue
            close = self._close.search(text, start.end())
            if close is None:
                if len(text) - at > _PENDING_LIMIT:
                    self._flush(text, found, out, at)
                    return self._stop(text, at, out)
                break  # the record is not all here yet
            if self._nested.search(text, start.end(), close.start()):
                self._flush(text, found, out, at)
                return self._stop(text, at, out)
            found.append((at, close.end(), None))
            at = close.end()
        self._fresh = fresh_at
        keep = self._flush(text, found, out, at)
        return "".join(out), text[keep:]

    def _accept(self, batch: Batch) -> Sequence[int]:
        """The compiled acceptor: of the records found, refuses those the expression did not
        match and those with a field value its check refuses; hashes the others' keys."""
        found: list[Any] = batch.values or []
        unmatched: list[int] = []  # the records the expression did not match (few)
        at = -1
        for _ in range(len(found)):
            try:
                at = found.index(None, at + 1)  # at C speed
            except ValueError:
                break
            unmatched.append(at)
        if len(unmatched) == len(found):
            return range(len(found))
        matches = [match for match in found if match is not None] if unmatched else found
        refused: set[int] = set()
        strict = self.compiled.strict
        lenient = [] if strict is None else [i for i, m in enumerate(matches) if m.re is not strict]
        if strict is None or len(lenient) == len(matches):
            _refuse(matches, None, self.compiled.fields, refused)
        elif not lenient:
            _refuse(matches, None, self.compiled.strict_fields, refused)
        else:
            _refuse(matches, lenient, self.compiled.fields, refused)
            rows = [i for i, m in enumerate(matches) if m.re is strict]
            _refuse(matches, rows, self.compiled.strict_fields, refused)
        for index, name, values_in, check in self.compiled.runs:
            runs = list(map(_GROUP, matches, repeat(index + 1)))
            present = values_in.findall("".join(run for run in runs if run))
            bad = check(present) if present else set()
            if bad:
                refused.update(_runs_holding(runs, name, bad))
        if self.hashes is not None and self.compiled.key is not None:
            keys = list(map(_GROUP, matches, repeat(self.compiled.key + 1)))
            if refused:
                keys = [key for i, key in enumerate(keys) if i not in refused]
            if None in keys:
                keys = [key for key in keys if key is not None]
            self.hashes.add_texts(keys)
        self.compiled_taken += len(matches) - len(refused)
        if not unmatched:
            return sorted(refused)
        left = set(unmatched)
        for index in sorted(refused):  # the index among the matches, then among all
            for skipped in unmatched:
                if skipped > index:
                    break
                index += 1
            left.add(index)
        return sorted(left)

    def _places(self, text: str, found: list[tuple[int, int, Any]]) -> Callable[[int], Place]:
        """Where each record found is: its start line and XPath (those lxml would give)."""
        line, seen, path = self._line, self.seen, f"{self.root}/{self.compiled.name}"
        starts: list[int] = []

        def where(at: int) -> Place:
            if not starts:
                done, number = 0, line
                for start, _end, _match in found:
                    number += text.count("\n", done, start)
                    starts.append(number)
                    done = start
            return Place(starts[at], xpath=f"{path}[{seen + at + 1}]")

        return where

    def _flush(self, text: str, found: list[tuple[int, int, Any]], out: list[str], at: int) -> int:
        """Pass the text before ``at``, taken records blanked; returns where it stopped.

        The records found are a :class:`Batch` (their texts; their matches as values, None
        where the expression did not match) offered to the acceptors (a caller's first, then
        :meth:`_accept`); what none accepts is left in the text, for lxml."""
        left: set[int] = set()
        if found:

            def leave(batch: Batch) -> int:
                left.update(batch.positions())
                return len(batch)

            batch = Batch(  # (``found`` is the batch's from here: a caller may keep it)
                cast(list[Any], _Texts(text, found)),  # a view: texts sliced when asked
                values=list(map(_MATCH, found)),
                where=self._places(text, found),
            )
            decide(batch, self.acceptors, leave)
            self.seen += len(found)
        done = 0
        line = self._line
        lines = array("I")
        for index, (start, end, _match) in enumerate(found):
            taken = index not in left
            out.append(text[done:start])
            line += text.count("\n", done, start)
            newlines = text.count("\n", start, end)
            if taken:
                out.append("\n" * newlines)
                lines.append(line)
                self.taken += 1
            else:
                out.append(text[start:end])
                self.before.append(self.taken)
            line += newlines
            done = end
        if done < at:
            out.append(text[done:at])
            line += text.count("\n", done, at)
            done = at
        self._line = line
        self._recent.append(lines)
        if len(self._recent) > 4:
            self._settled += len(self._recent.popleft())
        return done
