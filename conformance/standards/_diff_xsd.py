"""Comparing the record element of two XSDs (XML exports), located by XPath.

The record element's content is flattened into named child elements and attributes, with
their effective occurrence bounds (an element inside a choice is optional), and paired by
name; simple types are reduced to a built-in base and the facets of their restriction chain.
XML content models are closed, so a new element is a property added to a closed schema.
Records are what a candidate emits: every rule is reported in the output direction.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from conformance.standards._diff_model import Change, Loc
from conformance.standards._diff_regex import compare_pattern_sets

XS_NS = "http://www.w3.org/2001/XMLSchema"
XS = "{" + XS_NS + "}"
MAX_DEPTH = 32

# narrower built-in type -> the next wider one
_BUILTIN_PARENT = {
    "byte": "short",
    "short": "int",
    "int": "long",
    "long": "integer",
    "unsignedByte": "unsignedShort",
    "unsignedShort": "unsignedInt",
    "unsignedInt": "unsignedLong",
    "unsignedLong": "nonNegativeInteger",
    "positiveInteger": "nonNegativeInteger",
    "nonNegativeInteger": "integer",
    "negativeInteger": "nonPositiveInteger",
    "nonPositiveInteger": "integer",
    "integer": "decimal",
    "token": "normalizedString",
    "normalizedString": "string",
    "language": "token",
    "NMTOKEN": "token",
    "Name": "token",
}
_FACET_BOUNDS = {
    "minLength": True,
    "minInclusive": True,
    "minExclusive": True,
    "maxLength": False,
    "maxInclusive": False,
    "maxExclusive": False,
    "totalDigits": False,
    "fractionDigits": False,
}


def _ancestors(builtin: str) -> list[str]:
    chain = [builtin]
    while chain[-1] in _BUILTIN_PARENT:
        chain.append(_BUILTIN_PARENT[chain[-1]])
    return chain


class XsdDocument:
    def __init__(self, path: Path, folder: Path) -> None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        self.path = path
        self.rel = path.relative_to(folder).as_posix()
        self.tree = etree.parse(str(path), parser)
        root = self.tree.getroot()
        self.tns = root.get("targetNamespace")
        self.elements = {e.get("name"): e for e in root.findall(f"{XS}element")}
        self.complex = {e.get("name"): e for e in root.findall(f"{XS}complexType")}
        self.simple = {e.get("name"): e for e in root.findall(f"{XS}simpleType")}

    def loc(self, node: Any) -> Loc:
        return Loc(self.rel, None, xpath(node), node.sourceline)

    def qname(self, node: Any, value: str) -> tuple[str | None, str]:
        prefix, _, local = value.rpartition(":")
        return node.nsmap.get(prefix or None), local

    def named_type(self, node: Any, value: str) -> tuple[str, Any]:
        """("builtin", name), ("simple", node) or ("complex", node) for a type QName."""
        namespace, local = self.qname(node, value)
        if namespace == XS_NS:
            return "builtin", local
        if local in self.complex:
            return "complex", self.complex[local]
        if local in self.simple:
            return "simple", self.simple[local]
        return "builtin", "anyType"


def xpath(node: Any) -> str:
    parts = []
    while node is not None and isinstance(node.tag, str):
        local = etree.QName(node).localname
        name, ref = node.get("name"), node.get("ref")
        if name:
            step = f"xs:{local}[@name='{name}']"
        elif ref:
            step = f"xs:{local}[@ref='{ref}']"
        else:
            parent = node.getparent()
            same = [c for c in parent if c.tag == node.tag] if parent is not None else [node]
            step = f"xs:{local}" + (f"[{same.index(node) + 1}]" if len(same) > 1 else "")
        parts.append(step)
        node = node.getparent()
    return "/" + "/".join(reversed(parts))


@dataclass
class _Simple:
    base: str
    enum: list[str] | None = None
    patterns: list[str] = field(default_factory=list)  # one per derivation step, ANDed
    facets: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name -> (value, node)
    enum_node: Any = None
    pattern_node: Any = None


@dataclass
class _Particle:
    name: str
    decl: Any  # the xs:element declaration (local, or the global one a ref names)
    site: Any  # where it appears in the content model (the local xs:element)
    min: float
    max: float


def _occurs(node: Any, name: str, default: float = 1) -> float:
    value = node.get(name)
    if value is None:
        return default
    return math.inf if value == "unbounded" else float(value)


@dataclass
class XsdDiffer:
    old: XsdDocument
    new: XsdDocument
    emit: Callable[[Change], Change]
    subject: tuple[str, str]
    _seen: set[tuple[int, int]] = field(default_factory=set)

    def compare_record(self, old_name: str, new_name: str) -> None:
        old = self.old.elements.get(old_name)
        new = self.new.elements.get(new_name)
        if old is None or new is None:
            return
        self._element(old, new, new_name, 0)

    def _change(self, kind: str, path: str, old: Any, new: Any, detail: str = "") -> None:
        self.emit(
            Change(
                rule=f"output-{kind}",
                subject_zh=self.subject[0],
                subject_en=self.subject[1],
                detail=detail,
                old=self.old.loc(old) if old is not None else None,
                new=self.new.loc(new) if new is not None else None,
                path=path,
            )
        )

    def _type_of(self, doc: XsdDocument, decl: Any) -> tuple[str, Any]:
        if decl.get("type"):
            return doc.named_type(decl, decl.get("type"))
        inline = decl.find(f"{XS}complexType")
        if inline is not None:
            return "complex", inline
        inline = decl.find(f"{XS}simpleType")
        if inline is not None:
            return "simple", inline
        return "builtin", "anyType"

    def _element(self, old: Any, new: Any, path: str, depth: int) -> None:
        key = (id(old), id(new))
        if key in self._seen or depth > MAX_DEPTH:
            return
        self._seen.add(key)
        old_nil, new_nil = old.get("nillable") == "true", new.get("nillable") == "true"
        if old_nil != new_nil:
            self._change("nullable-added" if new_nil else "nullable-removed", path, old, new)
        old_type = self._type_of(self.old, old)
        new_type = self._type_of(self.new, new)
        if old_type[0] == "complex" and new_type[0] == "complex":
            self._complex(old_type[1], new_type[1], path, depth)
        elif old_type[0] != "complex" and new_type[0] != "complex":
            self._simple(
                self._flatten(self.old, old_type), self._flatten(self.new, new_type), path, old, new
            )
        else:
            self._change("type-changed", path, old, new, f"{old_type[0]} → {new_type[0]}")

    # -- simple types -------------------------------------------------------------------

    def _flatten(self, doc: XsdDocument, typ: tuple[str, Any]) -> _Simple:
        kind, node = typ
        if kind == "builtin":
            return _Simple(str(node))
        steps: list[Any] = []
        base_name = "anySimpleType"
        for _ in range(MAX_DEPTH):
            restriction = node.find(f"{XS}restriction")
            if restriction is None:
                break  # list and union types: compared by their facets only
            steps.append(restriction)
            base = restriction.get("base")
            if base is None:
                inline = restriction.find(f"{XS}simpleType")
                if inline is None:
                    break
                node = inline
                continue
            base_kind, base_node = doc.named_type(restriction, base)
            if base_kind != "simple":
                base_name = str(base_node)
                break
            node = base_node
        result = _Simple(base_name)
        for restriction in steps:  # most derived first: the first facet seen wins
            enums = restriction.findall(f"{XS}enumeration")
            if enums and result.enum is None:
                result.enum = [e.get("value", "") for e in enums]
                result.enum_node = restriction
            patterns = [p.get("value", "") for p in restriction.findall(f"{XS}pattern")]
            if patterns:
                joined = patterns[0] if len(patterns) == 1 else "|".join(f"({p})" for p in patterns)
                result.patterns.append(joined)
                if result.pattern_node is None:
                    result.pattern_node = restriction
            for facet in _FACET_BOUNDS:
                element = restriction.find(f"{XS}{facet}")
                if element is not None and facet not in result.facets:
                    result.facets[facet] = (element.get("value", ""), element)
            length = restriction.find(f"{XS}length")
            if length is not None:
                for facet in ("minLength", "maxLength"):
                    result.facets.setdefault(facet, (length.get("value", ""), length))
        return result

    def _simple(self, old: _Simple, new: _Simple, path: str, old_at: Any, new_at: Any) -> None:
        if old.base != new.base:
            if old.base in _ancestors(new.base):
                kind = "type-narrowed"
            elif new.base in _ancestors(old.base):
                kind = "type-widened"
            else:
                kind = "type-changed"
            self._change(kind, path, old_at, new_at, f"xs:{old.base} → xs:{new.base}")
        if old.enum != new.enum:
            o_at = old.enum_node if old.enum_node is not None else old_at
            n_at = new.enum_node if new.enum_node is not None else new_at
            if old.enum is None:
                self._change("enum-added", path, o_at, n_at, ", ".join(new.enum or []))
            elif new.enum is None:
                self._change("enum-removed", path, o_at, n_at, ", ".join(old.enum))
            else:
                added = [v for v in new.enum if v not in old.enum]
                removed = [v for v in old.enum if v not in new.enum]
                if added:
                    self._change("enum-value-added", path, o_at, n_at, ", ".join(added))
                if removed:
                    self._change("enum-value-removed", path, o_at, n_at, ", ".join(removed))
        if old.patterns != new.patterns:
            o_at = old.pattern_node if old.pattern_node is not None else old_at
            n_at = new.pattern_node if new.pattern_node is not None else new_at
            detail = f"{' & '.join(old.patterns) or '-'} → {' & '.join(new.patterns) or '-'}"
            if not old.patterns:
                self._change("pattern-added", path, o_at, n_at, detail)
            elif not new.patterns:
                self._change("pattern-removed", path, o_at, n_at, detail)
            else:
                relation = compare_pattern_sets(old.patterns, new.patterns)
                if relation != "equal":
                    kind = {
                        "narrowed": "pattern-narrowed",
                        "widened": "pattern-widened",
                        "changed": "pattern-changed",
                    }.get(relation, "pattern-unproven")
                    self._change(kind, path, o_at, n_at, detail)
        for facet, lower in _FACET_BOUNDS.items():
            old_value = old.facets.get(facet)
            new_value = new.facets.get(facet)
            if (old_value and old_value[0]) == (new_value and new_value[0]):
                continue
            if old_value is None:
                tightened = True
            elif new_value is None:
                tightened = False
            else:
                a, b = _orderable(old_value[0]), _orderable(new_value[0])
                tightened = bool(b > a if lower else b < a)
            self._change(
                "constraint-tightened" if tightened else "constraint-relaxed",
                path,
                old_value[1] if old_value else old_at,
                new_value[1] if new_value else new_at,
                f"{facet} {old_value[0] if old_value else '-'} → "
                f"{new_value[0] if new_value else '-'}",
            )

    # -- complex types ------------------------------------------------------------------

    def _content(
        self, doc: XsdDocument, ctype: Any, depth: int = 0
    ) -> tuple[list[_Particle], list[Any], list[str]]:
        """Child elements (flattened), attributes, and the compositors met, in order."""
        particles: list[_Particle] = []
        attributes: list[Any] = []
        shape: list[str] = []
        container = ctype
        for wrapper in ("complexContent", "simpleContent"):
            inner = ctype.find(f"{XS}{wrapper}")
            if inner is not None:
                derivation = inner.find(f"{XS}extension")
                if derivation is None:
                    derivation = inner.find(f"{XS}restriction")
                if derivation is not None:
                    base = derivation.get("base")
                    if derivation.tag == f"{XS}extension" and base and depth < MAX_DEPTH:
                        kind, node = doc.named_type(derivation, base)
                        if kind == "complex":
                            base_particles, base_attrs, base_shape = self._content(
                                doc, node, depth + 1
                            )
                            particles += base_particles
                            attributes += base_attrs
                            shape += base_shape
                    container = derivation
        for child in container:
            if child.tag in (f"{XS}sequence", f"{XS}choice", f"{XS}all"):
                self._particles(doc, child, 1, 1, particles, shape, depth)
            elif child.tag == f"{XS}attribute":
                attributes.append(child)
        return particles, attributes, shape

    def _particles(
        self,
        doc: XsdDocument,
        group: Any,
        min_factor: float,
        max_factor: float,
        out: list[_Particle],
        shape: list[str],
        depth: int,
    ) -> None:
        local = etree.QName(group).localname
        shape.append(local)
        low = _occurs(group, "minOccurs") * min_factor
        high = _occurs(group, "maxOccurs") * max_factor
        for item in group:
            if not isinstance(item.tag, str):
                continue
            in_choice = local == "choice"
            if item.tag == f"{XS}element":
                decl = item
                name = item.get("name")
                if item.get("ref"):
                    _, name = doc.qname(item, item.get("ref"))
                    decl = doc.elements.get(name, item)
                item_min = 0 if in_choice else _occurs(item, "minOccurs") * low
                out.append(
                    _Particle(name or "?", decl, item, item_min, _occurs(item, "maxOccurs") * high)
                )
            elif item.tag in (f"{XS}sequence", f"{XS}choice", f"{XS}all") and depth < MAX_DEPTH:
                self._particles(doc, item, 0 if in_choice else low, high, out, shape, depth + 1)
            elif item.tag == f"{XS}any":
                shape.append("any")

    def _complex(self, old: Any, new: Any, path: str, depth: int) -> None:
        key = (id(old), id(new))
        if key in self._seen:
            return
        self._seen.add(key)
        old_parts, old_attrs, old_shape = self._content(self.old, old)
        new_parts, new_attrs, new_shape = self._content(self.new, new)
        if old_shape != new_shape:
            self._change(
                "keyword-changed",
                path,
                old,
                new,
                f"content model {'/'.join(old_shape)} → {'/'.join(new_shape)}",
            )
        old_by = {p.name: p for p in old_parts}
        new_by = {p.name: p for p in new_parts}
        common_old = [p.name for p in old_parts if p.name in new_by]
        common_new = [p.name for p in new_parts if p.name in old_by]
        if common_old != common_new and "sequence" in new_shape:
            self._change(
                "element-order-changed",
                path,
                old,
                new,
                f"{', '.join(common_old)} → {', '.join(common_new)}",
            )
        for part in new_parts:
            if part.name not in old_by:
                self._change("property-added-closed", f"{path}/{part.name}", old, part.site)
                if part.min >= 1:
                    self._change("required-added", f"{path}/{part.name}", old, part.site)
        for part in old_parts:
            if part.name not in new_by:
                self._change("property-removed-closed", f"{path}/{part.name}", part.site, new)
                if part.min >= 1:
                    self._change("required-removed", f"{path}/{part.name}", part.site, new)
        for name in common_new:
            o, n = old_by[name], new_by[name]
            where = f"{path}/{name}"
            self._occurs_change(o, n, where)
            self._element(o.decl, n.decl, where, depth + 1)
        self._attributes(old_attrs, new_attrs, path)

    def _occurs_change(self, o: _Particle, n: _Particle, path: str) -> None:
        if o.min != n.min:
            if o.min == 0:
                kind = "required-added"
            elif n.min == 0:
                kind = "required-removed"
            else:
                kind = "constraint-tightened" if n.min > o.min else "constraint-relaxed"
            self._change(kind, path, o.site, n.site, f"minOccurs {_num(o.min)} → {_num(n.min)}")
        if o.max != n.max:
            kind = "constraint-tightened" if n.max < o.max else "constraint-relaxed"
            self._change(kind, path, o.site, n.site, f"maxOccurs {_num(o.max)} → {_num(n.max)}")

    def _attributes(self, old: list[Any], new: list[Any], path: str) -> None:
        old_by = {a.get("name") or a.get("ref"): a for a in old}
        new_by = {a.get("name") or a.get("ref"): a for a in new}
        for name, attr in new_by.items():
            where = f"{path}/@{name}"
            if name not in old_by:
                self._change("property-added-closed", where, None, attr)
                if attr.get("use") == "required":
                    self._change("required-added", where, None, attr)
                continue
            before = old_by[name]
            if (before.get("use") == "required") != (attr.get("use") == "required"):
                kind = "required-added" if attr.get("use") == "required" else "required-removed"
                self._change(kind, where, before, attr)
            old_type = (
                self.old.named_type(before, before.get("type"))
                if before.get("type")
                else ("builtin", "string")
            )
            new_type = (
                self.new.named_type(attr, attr.get("type"))
                if attr.get("type")
                else ("builtin", "string")
            )
            if old_type[0] != "complex" and new_type[0] != "complex":
                self._simple(
                    self._flatten(self.old, old_type),
                    self._flatten(self.new, new_type),
                    where,
                    before,
                    attr,
                )
        for name, attr in old_by.items():
            if name not in new_by:
                self._change("property-removed-closed", f"{path}/@{name}", attr, None)
                if attr.get("use") == "required":
                    self._change("required-removed", f"{path}/@{name}", attr, None)


def _num(value: float) -> str:
    return "unbounded" if math.isinf(value) else str(int(value))


def _orderable(value: str) -> Any:
    try:
        return float(value)
    except ValueError:
        return value  # dates and times in their lexical form compare in order
