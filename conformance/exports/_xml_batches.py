"""Whole-batch XML checks: one XSD call per batch, one XPath per field for formats and keys.

A batch's records sit in a wrapper (a copy of their parent). The wrapper is validated once;
the records libxml2 names in its errors, the *suspects*, are then validated one by one by the
record-by-record code, so every XSD issue is the one it always was. The other records are
valid, and in a plain XSD (one namespace, no wildcards) validity fixes the namespace of every
element: after the first batch that holds a field, the field's values are read by a compiled,
namespaced XPath (about 0.2 µs a value; a local-name() XPath costs six times that, a Python
walk more). A value whose format check fails sends its record to the record-by-record code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, cast

from lxml import etree

from conformance.exports._keys import KeyHashes
from conformance.exports._readers import XmlRecord
from conformance.formats._check_characters import WRONG_CHECK_CHARACTERS
from conformance.standards.model import ExportSpec

XS_NS = "http://www.w3.org/2001/XMLSchema"
XS = f"{{{XS_NS}}}"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_NOT_NIL = "[not(@xsi:nil='true' or @xsi:nil='1')]"
# One step of a libxml2 node path: an optional prefix, a name or *, an optional [index].
SEGMENT = re.compile(r"(?:[^:/\[\]]+:)?([^:/\[\]]+)(?:\[(\d+)\])?")
# XSD constructs under which one local name may come in more than one namespace.
_NOT_PLAIN = frozenset(
    f"{XS}{name}" for name in ("any", "import", "include", "redefine", "override")
)


def batch_format_check(fmt: Any) -> Callable[[list[str]], set[str]]:
    """``format_batch_check`` with its pattern run by jsonschema-rs, over all the fresh values
    of a batch at once: a linear regex engine (about 0.15 µs a uri, where Python's ``re``
    backtracks through the authority for several µs). The pattern and what follows it are
    the same: a value it refuses is judged by the format itself."""
    from conformance.exports._fast import (
        _today_year,
        cached_format_check,
        format_batch_check,
        format_patterns,
        settle_batch,
    )

    pattern_text = format_patterns(_today_year()).get(fmt.name)
    if pattern_text is None:
        return format_batch_check(fmt)
    import jsonschema_rs

    items = {"type": "string", "pattern": pattern_text}
    validator = jsonschema_rs.validator_for({"type": "array", "items": items})
    fallback = format_batch_check(fmt)
    wrong_rows = WRONG_CHECK_CHARACTERS.get(fmt.name)
    check = cached_format_check(fmt)
    seen: set[str] = set()

    def refused(values: list[str]) -> set[str]:
        fresh = list(set(values).difference(seen))
        try:
            if validator.is_valid(fresh):
                good = fresh
            else:
                failing = set()
                for error in validator.iter_errors(fresh):
                    path = list(error.instance_path)
                    if not path or not isinstance(path[0], int):
                        return fallback(values)
                    failing.add(path[0])
                good = [value for index, value in enumerate(fresh) if index not in failing]
        except ValueError:  # a value Rust cannot hold: Python's re judges the batch
            return fallback(values)
        return settle_batch(fresh, good, wrong_rows, check, seen)

    return refused


def xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ', "\'", '.join(f"'{p}'" for p in text.split("'")) + ")"


def _local_path(steps: Iterable[str]) -> str:
    return "/".join(f"*[local-name()={xpath_literal(step)}]" for step in steps)


class _Field:
    """One record-relative path of elements, read by XPath from the wrapper."""

    def __init__(self, steps: tuple[str, ...], suffix: str) -> None:
        self.steps = steps  # local names, the record element first
        self.suffix = suffix
        self.local = etree.XPath(_local_path(steps) + suffix, namespaces={"xsi": XSI})
        self.learned: etree.XPath | None = None

    def elements(self, wrapper: etree._Element, learn: bool) -> list[etree._Element]:
        if self.learned is not None:
            return cast(list[etree._Element], self.learned(wrapper))
        found = cast(list[etree._Element], self.local(wrapper))
        if learn and found:
            self.learned = self._namespaced(found[0])
        return found

    def _namespaced(self, element: etree._Element) -> etree.XPath:
        """The same path with the namespaces this (valid) element and its ancestors have."""
        tags: list[str] = []
        node: etree._Element | None = element
        for _ in self.steps:
            assert node is not None  # the local path matched: every ancestor exists
            tags.append(str(node.tag))
            node = node.getparent()
        namespaces = {"xsi": XSI}
        parts = []
        for index, tag in enumerate(reversed(tags)):
            uri, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
            if uri:
                namespaces[f"n{index}"] = uri
                parts.append(f"n{index}:{local}")
            else:
                parts.append(local)
        return etree.XPath("/".join(parts) + self.suffix, namespaces=namespaces)


class XmlBatches:
    """The batch checks of one XML export (see the module docstring)."""

    def __init__(
        self,
        record_element: str,
        fields: list[tuple[tuple[str, ...], Callable[[list[str]], set[str]]]],
        key_name: str | None,
        parent_ok: Callable[[str], bool],
        plain: bool,
        nillable: bool,
        record_tag: str,
    ) -> None:
        self.parent_ok = parent_ok
        self.record_tag = record_tag  # the global record element's qualified name
        self.plain = plain
        nil = _NOT_NIL if nillable or not plain else ""
        self.fields = [
            (_Field((record_element, *steps), nil), refused) for steps, refused in fields
        ]
        self.key = _Field((record_element, key_name), "[1]") if key_name else None

    @classmethod
    def build(
        cls,
        spec: ExportSpec,
        root: etree._Element,
        formats: list[tuple[str, tuple[str, ...], Any]],
        key_name: str | None,
    ) -> XmlBatches | None:
        """The batch checks for the XSD whose document root is ``root``."""
        fields = [(steps, batch_format_check(fmt)) for _path, steps, fmt in formats]
        plain = not any(
            node.tag in _NOT_PLAIN or "substitutionGroup" in node.attrib or "form" in node.attrib
            for node in root.iter(etree.Element)
        )
        nillable = any(node.get("nillable") in ("true", "1") for node in root.iter(f"{XS}element"))
        record = spec.record_element or ""
        namespace = root.get("targetNamespace")
        tag = f"{{{namespace}}}{record}" if namespace else record
        parents = _batch_parents(root, record)
        return cls(record, fields, key_name, parents, plain, nillable, tag)

    def suspects(
        self, schema: etree.XMLSchema, wrapper: etree._Element, batch: list[XmlRecord]
    ) -> list[XmlRecord] | None:
        """The records of the batch named in its XSD errors (none when it is valid); None when
        the batch cannot be validated whole, or an error names no single record."""
        if not self.parent_ok(str(wrapper.tag)):
            return None
        try:
            if schema.validate(wrapper):
                return []
        except etree.XMLSchemaValidateError:  # e.g. a node libxml2 cannot validate
            return None  # the records are validated one by one, each error located
        found: set[int] = set()
        same_tags: bool | None = None
        for entry in cast(Iterable[Any], schema.error_log):  # the stubs omit __iter__
            segments = str(entry.path or "").strip("/").split("/")
            match = SEGMENT.fullmatch(segments[1]) if len(segments) > 1 else None
            if match is None:
                return None  # the wrapper itself, or a path not understood
            index = int(match.group(2) or 1)
            if not 0 < index <= len(batch):
                return None
            if len(segments) == 2 and batch[index - 1].element.tag != self.record_tag:
                # not a record the wrapper's content allows: libxml2 skips its later siblings
                return None
            if match.group(1) != "*":  # indexed among same-named siblings, not all of them
                if same_tags is None:
                    same_tags = len({record.element.tag for record in batch}) == 1
                if not same_tags:
                    return None
            found.add(index - 1)
        return [batch[index] for index in sorted(found)]

    def valid_records(
        self, wrapper: etree._Element, hashes: KeyHashes | None, count: int
    ) -> tuple[set[int], bool]:
        """For a wrapper holding only XSD-valid records (``count`` of them): the ids of the
        record elements with a field whose format check fails, and whether every record's
        key was hashed (False: the caller keys them one by one)."""
        owners: set[int] = set()
        for field, refused in self.fields:
            elements = field.elements(wrapper, self.plain)
            texts = [element.text or "" for element in elements]
            bad = refused(texts)
            if not bad:
                continue
            depth = len(field.steps) - 1
            for element, text in zip(elements, texts, strict=True):
                if text in bad:
                    record: etree._Element | None = element
                    for _ in range(depth):
                        record = record.getparent() if record is not None else None
                    if record is not None:
                        owners.add(id(record))
        if hashes is None or self.key is None:
            return owners, False
        keys = self.key.elements(wrapper, self.plain)
        if len(keys) != count:  # a record without the key: the one-by-one code skips it
            return owners, False
        hashes.add_texts([element.text or "" for element in keys])
        return owners, True


def global_element_names(root: etree._Element) -> frozenset[str]:
    """Local names of the elements the XSD whose document root is ``root`` declares globally."""
    return frozenset(str(e.get("name")) for e in root.findall(f"{XS}element") if e.get("name"))


def _batch_parents(root: etree._Element, record: str) -> Callable[[str], bool]:
    """Which parent tags the XSD declares globally with the record element by reference.

    Validating such a parent validates each record child as the global record element, so a
    batch's errors are those of its records. Only a parent whose content is the record and
    nothing else, any number of times, qualifies: any other content error would make libxml2
    skip the records after it. Anything less plain (wildcards, groups, derivation, a local
    element of the record's name) keeps record-by-record validation.
    """
    namespace = root.get("targetNamespace")
    types = {t.get("name"): t for t in root.findall(f"{XS}complexType")}
    allowed: set[str] = set()
    for element in root.findall(f"{XS}element"):
        name = element.get("name")
        if not name or name == record:
            continue
        body = element.find(f"{XS}complexType")
        if body is None and element.get("type"):
            body = types.get(str(element.get("type")).rpartition(":")[2])
        if body is None:
            continue
        nodes = list(body.iter())
        if any(
            isinstance(n.tag, str)
            and n.tag
            in (f"{XS}any", f"{XS}group", f"{XS}extension", f"{XS}restriction", f"{XS}anyAttribute")
            for n in nodes
        ):
            continue
        particles = [n for n in nodes if n.tag == f"{XS}element"]
        if len(particles) != 1 or particles[0].get("maxOccurs") != "unbounded":
            continue
        for ref in (n for n in particles if n.get("ref")):
            prefix, _, local = str(ref.get("ref")).rpartition(":")
            uri = ref.nsmap.get(prefix or None) if prefix else ref.nsmap.get(None)
            if local == record and uri == namespace:
                allowed.add(f"{{{namespace}}}{name}" if namespace else name)
    return allowed.__contains__


def expected_root(spec: ExportSpec, xsd: etree._Element | None) -> tuple[str, str] | None:
    """The document element an XML export must have: (local name, namespace URI, "" for
    none), as the manifest's ``root`` declares it or, where it does not, as the XSD whose
    document root is ``xsd`` says unambiguously; None when neither says.

    The XSD says it when exactly one of its global elements, other than the record
    element, holds the record element (by reference, in its own type or in the named type
    it has): an XSD that declares no such element, or several, leaves the root unchecked.
    """
    declared = spec.root
    namespace = declared.namespace
    if namespace is None and xsd is not None:
        namespace = str(xsd.get("targetNamespace") or "")
    if declared.element is not None:
        return declared.element, namespace or ""
    if xsd is None or not spec.record_element:
        return None
    record = spec.record_element
    others = [e for e in xsd.findall(f"{XS}element") if e.get("name") and e.get("name") != record]
    types = {t.get("name"): t for t in xsd.findall(f"{XS}complexType")}

    def holds_record(element: etree._Element) -> bool:
        bodies = [element]
        named = types.get(str(element.get("type") or "").rpartition(":")[2])
        if named is not None:
            bodies.append(named)
        return any(
            str(node.get("ref") or "").rpartition(":")[2] == record
            for body in bodies
            for node in body.iter(f"{XS}element")
        )

    holders = [e for e in others if holds_record(e)]
    if len(holders) != 1:
        return None
    return str(holders[0].get("name")), namespace or ""
