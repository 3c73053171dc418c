"""Comparing two JSON Schemas (2020-12) keyword by keyword, following ``$ref`` in each folder.

The comparison is structural: it pairs the schemas that sit at the same place in the
instance (the same property, the array items, the same ``allOf`` branch), and reports each
difference as a rule of :mod:`._diff_model`, in the direction of the usage site (input or
output).  ``$ref``s are resolved with each version's :class:`SchemaSet`, so they never leave
the version folder.  Every walk is bounded in depth and in nodes visited.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

from conformance.standards._diff_model import Change, Loc
from conformance.standards._diff_regex import compare_patterns
from conformance.standards._documents import escape_pointer_token
from conformance.validation import SchemaSet

MAX_DEPTH = 64
MAX_NODES = 20_000

ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$anchor",
        "$dynamicAnchor",
        "$comment",
        "$defs",
        "definitions",
        "$vocabulary",
        "title",
        "description",
        "examples",
        "example",
        "deprecated",
        "readOnly",
        "writeOnly",
        "discriminator",
        "externalDocs",
    }
)
# Not in ANNOTATIONS, so a change is at least possibly breaking: contentMediaType,
# contentEncoding and contentSchema (how a string's content is encoded: a consumer decodes it)
# and OpenAPI's ``xml`` (element names and wrapping: the XML body on the wire).
_LOWER_BOUNDS = (
    "minLength",
    "minimum",
    "exclusiveMinimum",
    "minItems",
    "minProperties",
    "minContains",
)
_UPPER_BOUNDS = (
    "maxLength",
    "maximum",
    "exclusiveMaximum",
    "maxItems",
    "maxProperties",
    "maxContains",
)
EXTENSIBLE_ENUM = "x-extensible-enum"
_HANDLED = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "unevaluatedProperties",
        "pattern",
        "format",
        "items",
        "allOf",
        "anyOf",
        "oneOf",
        "default",
        "uniqueItems",
        "multipleOf",
        *_LOWER_BOUNDS,
        *_UPPER_BOUNDS,
    }
)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def short(value: Any, limit: int = 80) -> str:
    text = canonical(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Side:
    """One version: its folder and its schema set."""

    folder: Path
    schemas: SchemaSet

    def loc(self, uri: str) -> Loc | None:
        file_uri, _, fragment = uri.partition("#")
        path = self.schemas.path_of(file_uri)
        if path is None:
            return None
        pointer = unquote(fragment) if fragment.startswith("/") or not fragment else None
        line = None
        try:
            line = self.schemas.document(path).line(pointer or "")
        except Exception:  # a location is best effort; the change is still reported
            line = None
        return Loc(path.relative_to(self.folder).as_posix(), pointer, None, line)

    def resolve(self, node: Any, uri: str) -> tuple[Any, str] | None:
        """Follow a ``$ref`` that has no assertion siblings; None when it cannot resolve."""
        for _ in range(32):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node, uri
            if any(k not in ANNOTATIONS and k != "$ref" for k in node):
                return node, uri
            target = ref_uri(node, uri)
            try:
                node, _ = self.schemas.lookup(target)
            except Exception:  # referencing raises several types; lint reports bad refs
                return None
            uri = target
        return None


def _base(uri: str, node: Any) -> str:
    base = uri.split("#", 1)[0]
    if isinstance(node, dict) and isinstance(node.get("$id"), str):
        base = urljoin(base, node["$id"]).split("#", 1)[0]
    return base


def ref_uri(node: dict[str, Any], uri: str) -> str:
    ref = str(node["$ref"])
    full = uri.split("#", 1)[0] + ref if ref.startswith("#") else urljoin(_base(uri, node), ref)
    return full if "#" in full else full + "#"


def child(uri: str, *tokens: str | int) -> str:
    return uri + "".join("/" + escape_pointer_token(t) for t in tokens)


def _at(
    o: dict[str, Any], o_uri: str, n: dict[str, Any], n_uri: str, keyword: str
) -> tuple[str, str]:
    """Where a keyword is in each version: at the keyword, or at its schema when absent."""
    return (
        child(o_uri, keyword) if keyword in o else o_uri,
        child(n_uri, keyword) if keyword in n else n_uri,
    )


def _types(node: dict[str, Any]) -> set[str] | None:
    value = node.get("type")
    if value is None:
        return None
    return {value} if isinstance(value, str) else {str(v) for v in value}


def _subset(a: set[str], b: set[str]) -> bool:
    return all(t in b or (t == "integer" and "number" in b) for t in a)


def _enum(node: dict[str, Any]) -> dict[str, Any] | None:
    if "const" in node:
        return {canonical(node["const"]): node["const"]}
    if isinstance(node.get("enum"), list):
        return {canonical(v): v for v in node["enum"]}
    return None


def _closed(node: dict[str, Any]) -> bool:
    return node.get("additionalProperties") is False or node.get("unevaluatedProperties") is False


def _null_branch(branches: list[Any]) -> int | None:
    for index, branch in enumerate(branches):
        if isinstance(branch, dict) and branch.get("type") == "null" and len(branch) == 1:
            return index
    return None


@dataclass
class SchemaDiffer:
    """Compares schema pairs of two versions; ``emit`` receives every change found."""

    old: Side
    new: Side
    emit: Callable[[Change], Change]
    _memo: dict[tuple[str, str, str], list[Change]] = field(default_factory=dict)
    _active: list[list[Change]] = field(default_factory=list)
    _nodes: int = 0

    def compare(
        self, old_uri: str, new_uri: str, direction: str, subject: tuple[str, str], path: str = ""
    ) -> None:
        """Compare the schemas two URIs name, at a usage site of ``direction``."""
        old = self.old.resolve({"$ref": old_uri}, old_uri)
        new = self.new.resolve({"$ref": new_uri}, new_uri)
        if old is None or new is None:
            return
        self._pair(old[0], old[1], new[0], new[1], direction, subject, path, 0)

    # -- plumbing ---------------------------------------------------------------------

    def _change(
        self,
        kind: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
        old: str | None,
        new: str | None,
        detail: str = "",
    ) -> None:
        change = self.emit(
            Change(
                rule=f"{direction}-{kind}",
                subject_zh=subject[0],
                subject_en=subject[1],
                detail=detail,
                old=self.old.loc(old) if old else None,
                new=self.new.loc(new) if new else None,
                path=path or "/",
            )
        )
        for collected in self._active:
            collected.append(change)

    def _pair(
        self,
        o: Any,
        o_uri: str,
        n: Any,
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
        depth: int,
    ) -> None:
        resolved_o = self.old.resolve(o, o_uri)
        resolved_n = self.new.resolve(n, n_uri)
        if resolved_o is None or resolved_n is None:
            return
        o, o_uri = resolved_o
        n, n_uri = resolved_n
        key = (o_uri, n_uri, direction)
        if key in self._memo:
            for change in self._memo[key]:
                name = subject[1]
                if name != change.subject_en and name not in change.used_by:
                    change.used_by.append(name)
            return
        self._nodes += 1
        if depth > MAX_DEPTH or self._nodes > MAX_NODES:
            self._change("keyword-changed", direction, subject, path, o_uri, n_uri, "too deep")
            return
        collected: list[Change] = []
        self._memo[key] = collected  # also stops cycles: a pair in progress is not re-entered
        self._active.append(collected)
        try:
            self._keywords(o, o_uri, n, n_uri, direction, subject, path, depth)
        finally:
            self._active.pop()

    def _keywords(
        self,
        o: Any,
        o_uri: str,
        n: Any,
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
        depth: int,
    ) -> None:
        o = {} if o is True else ({"not": {}} if o is False else o)
        n = {} if n is True else ({"not": {}} if n is False else n)
        if not isinstance(o, dict) or not isinstance(n, dict):
            return
        self._flags(o, o_uri, n, n_uri, direction, subject, path)
        text = canonical(_assertions(o))
        if text == canonical(_assertions(n)) and '"$ref"' not in text:
            return  # identical constraints (annotations aside), and no refs to follow
        args = (direction, subject, path)
        self._ref(o, o_uri, n, n_uri, direction, subject, path, depth)
        self._type(o, o_uri, n, n_uri, *args)
        self._enum(o, o_uri, n, n_uri, *args)
        self._bounds(o, o_uri, n, n_uri, *args)
        self._pattern(o, o_uri, n, n_uri, *args)
        self._format(o, o_uri, n, n_uri, *args)
        self._object(o, o_uri, n, n_uri, direction, subject, path, depth)
        if "items" in o or "items" in n:
            self._sub("items", o, o_uri, n, n_uri, direction, subject, f"{path}/*", depth)
        self._combinators(o, o_uri, n, n_uri, direction, subject, path, depth)
        if "default" in o and "default" in n and canonical(o["default"]) != canonical(n["default"]):
            self._change(
                "default-changed",
                *args,
                child(o_uri, "default"),
                child(n_uri, "default"),
                f"{short(o['default'])} → {short(n['default'])}",
            )
        for keyword in sorted((set(o) | set(n)) - _HANDLED - ANNOTATIONS):
            if keyword.startswith("x-"):
                continue
            if canonical(o.get(keyword)) != canonical(n.get(keyword)):
                self._change(
                    "keyword-changed",
                    *args,
                    *_at(o, o_uri, n, n_uri, keyword),
                    keyword,
                )

    def _flags(
        self,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
    ) -> None:
        """Annotations with an effect: readOnly (requests), writeOnly (responses),
        deprecated, and x-extensible-enum (the known values of an open set)."""
        args = (direction, subject, path)
        flag = {"input": "readOnly", "output": "writeOnly"}[direction]
        kind = {"input": "read-only", "output": "write-only"}[direction]
        if (o.get(flag) is True) != (n.get(flag) is True):
            suffix = "added" if n.get(flag) is True else "removed"
            self._change(f"{kind}-{suffix}", *args, *_at(o, o_uri, n, n_uri, flag), flag)
        if (o.get("deprecated") is True) != (n.get("deprecated") is True):
            rule = "deprecated" if n.get("deprecated") is True else "reactivated"
            self._change(rule, *args, *_at(o, o_uri, n, n_uri, "deprecated"))
        old_values = o.get(EXTENSIBLE_ENUM)
        new_values = n.get(EXTENSIBLE_ENUM)
        if isinstance(old_values, list) and isinstance(new_values, list):
            old_keys = {canonical(v): v for v in old_values}
            new_keys = {canonical(v): v for v in new_values}
            where = _at(o, o_uri, n, n_uri, EXTENSIBLE_ENUM)
            added = [short(v) for k, v in new_keys.items() if k not in old_keys]
            removed = [short(v) for k, v in old_keys.items() if k not in new_keys]
            if added:
                self._change("extensible-enum-value-added", *args, *where, ", ".join(added))
            if removed:
                self._change("extensible-enum-value-removed", *args, *where, ", ".join(removed))

    def _sub(
        self,
        keyword: str,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
        depth: int,
    ) -> None:
        self._pair(
            o.get(keyword, True),
            child(o_uri, keyword) if keyword in o else o_uri,
            n.get(keyword, True),
            child(n_uri, keyword) if keyword in n else n_uri,
            direction,
            subject,
            path,
            depth + 1,
        )

    # -- keywords ---------------------------------------------------------------------

    def _ref(
        self,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
        depth: int,
    ) -> None:
        """A ``$ref`` beside other assertions acts as one more ``allOf`` branch."""
        has_o, has_n = isinstance(o.get("$ref"), str), isinstance(n.get("$ref"), str)
        if has_o and has_n:
            old_target, new_target = ref_uri(o, o_uri), ref_uri(n, n_uri)
            self._pair(
                {"$ref": old_target},
                old_target,
                {"$ref": new_target},
                new_target,
                direction,
                subject,
                path,
                depth + 1,
            )
        elif has_n:
            self._change("all-of-added", direction, subject, path, o_uri, child(n_uri, "$ref"))
        elif has_o:
            self._change("all-of-removed", direction, subject, path, child(o_uri, "$ref"), n_uri)

    def _type(
        self,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
    ) -> None:
        old, new = _types(o), _types(n)
        if old == new:
            return
        where = _at(o, o_uri, n, n_uri, "type")
        detail = f"{sorted(old) if old else 'any'} → {sorted(new) if new else 'any'}"
        if old is None:
            self._change("type-narrowed", direction, subject, path, *where, detail)
            return
        if new is None:
            self._change("type-widened", direction, subject, path, *where, detail)
            return
        if (old ^ new) == {"null"}:
            kind = "nullable-added" if "null" in new else "nullable-removed"
            self._change(kind, direction, subject, path, *where, detail)
            return
        null_added = "null" in new and "null" not in old
        null_removed = "null" in old and "null" not in new
        old_core, new_core = old - {"null"}, new - {"null"}
        if null_added:
            self._change("nullable-added", direction, subject, path, *where, detail)
        if null_removed:
            self._change("nullable-removed", direction, subject, path, *where, detail)
        if old_core == new_core:
            return
        if _subset(old_core, new_core):
            kind = "type-widened"
        elif _subset(new_core, old_core):
            kind = "type-narrowed"
        else:
            kind = "type-changed"
        self._change(kind, direction, subject, path, *where, detail)

    def _enum(
        self,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
    ) -> None:
        old, new = _enum(o), _enum(n)
        if old == new or (old is not None and new is not None and old.keys() == new.keys()):
            return

        def where(node: dict[str, Any], uri: str) -> str:
            for keyword in ("enum", "const"):
                if keyword in node:
                    return child(uri, keyword)
            return uri

        locations = where(o, o_uri), where(n, n_uri)
        if old is None:
            detail = ", ".join(short(v) for v in (new or {}).values())
            self._change("enum-added", direction, subject, path, *locations, detail)
            return
        if new is None:
            detail = ", ".join(short(v) for v in old.values())
            self._change("enum-removed", direction, subject, path, *locations, detail)
            return
        added = [v for k, v in new.items() if k not in old]
        removed = [v for k, v in old.items() if k not in new]
        if added:
            detail = ", ".join(short(v) for v in added)
            self._change("enum-value-added", direction, subject, path, *locations, detail)
        if removed:
            detail = ", ".join(short(v) for v in removed)
            self._change("enum-value-removed", direction, subject, path, *locations, detail)

    def _bounds(
        self,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
    ) -> None:
        for keyword, lower in [(k, True) for k in _LOWER_BOUNDS] + [
            (k, False) for k in _UPPER_BOUNDS
        ]:
            old, new = o.get(keyword), n.get(keyword)
            if old == new or not _number(old, new):
                continue
            if old is None:
                tightened = True
            elif new is None:
                tightened = False
            else:
                tightened = new > old if lower else new < old
            self._change(
                "constraint-tightened" if tightened else "constraint-relaxed",
                direction,
                subject,
                path,
                *_at(o, o_uri, n, n_uri, keyword),
                f"{keyword} {_text(old)} → {_text(new)}",
            )
        old_unique, new_unique = bool(o.get("uniqueItems")), bool(n.get("uniqueItems"))
        if old_unique != new_unique:
            self._change(
                "constraint-tightened" if new_unique else "constraint-relaxed",
                direction,
                subject,
                path,
                *_at(o, o_uri, n, n_uri, "uniqueItems"),
                f"uniqueItems {old_unique} → {new_unique}",
            )
        old_multiple, new_multiple = o.get("multipleOf"), n.get("multipleOf")
        if old_multiple != new_multiple and _number(old_multiple, new_multiple):
            kind = "keyword-changed"
            if old_multiple is None or (new_multiple and _divides(old_multiple, new_multiple)):
                kind = "constraint-tightened"
            elif new_multiple is None or _divides(new_multiple, old_multiple):
                kind = "constraint-relaxed"
            self._change(
                kind,
                direction,
                subject,
                path,
                *_at(o, o_uri, n, n_uri, "multipleOf"),
                f"multipleOf {_text(old_multiple)} → {_text(new_multiple)}",
            )

    def _pattern(
        self,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
    ) -> None:
        old, new = o.get("pattern"), n.get("pattern")
        if old == new:
            return
        locations = _at(o, o_uri, n, n_uri, "pattern")
        detail = f"{old!r} → {new!r}" if old and new else repr(old or new)
        if not isinstance(old, str):
            self._change("pattern-added", direction, subject, path, *locations, detail)
        elif not isinstance(new, str):
            self._change("pattern-removed", direction, subject, path, *locations, detail)
        else:
            relation = compare_patterns(old, new)
            if relation != "equal":
                kind = {
                    "narrowed": "pattern-narrowed",
                    "widened": "pattern-widened",
                    "changed": "pattern-changed",
                }.get(relation, "pattern-unproven")
                self._change(kind, direction, subject, path, *locations, detail)

    def _format(
        self,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
    ) -> None:
        old, new = o.get("format"), n.get("format")
        if old == new:
            return
        kind = "format-added" if old is None else "format-removed" if new is None else None
        self._change(
            kind or "format-changed",
            direction,
            subject,
            path,
            *_at(o, o_uri, n, n_uri, "format"),
            f"{old or '-'} → {new or '-'}",
        )

    def _object(
        self,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
        depth: int,
    ) -> None:
        old_props: dict[str, Any] = o["properties"] if isinstance(o.get("properties"), dict) else {}
        new_props: dict[str, Any] = n["properties"] if isinstance(n.get("properties"), dict) else {}
        for name in old_props.keys() & new_props.keys():
            self._pair(
                old_props[name],
                child(o_uri, "properties", name),
                new_props[name],
                child(n_uri, "properties", name),
                direction,
                subject,
                f"{path}/{name}",
                depth + 1,
            )
        for name in sorted(new_props.keys() - old_props.keys()):
            kind = "property-added-closed" if _closed(o) else "property-added-open"
            self._change(
                kind, direction, subject, f"{path}/{name}", o_uri, child(n_uri, "properties", name)
            )
        for name in sorted(old_props.keys() - new_props.keys()):
            kind = "property-removed-closed" if _closed(n) else "property-removed-open"
            self._change(
                kind, direction, subject, f"{path}/{name}", child(o_uri, "properties", name), n_uri
            )
        old_req = self._effective_required(self.old, o, old_props, o_uri, direction)
        new_req = self._effective_required(self.new, n, new_props, n_uri, direction)
        for name, kind in [(x, "required-added") for x in sorted(new_req - old_req)] + [
            (x, "required-removed") for x in sorted(old_req - new_req)
        ]:
            self._change(
                kind,
                direction,
                subject,
                f"{path}/{name}",
                *_at(o, o_uri, n, n_uri, "required"),
                name,
            )
        if _closed(o) != _closed(n):
            keyword = (
                "additionalProperties"
                if "additionalProperties" in (o if _closed(o) else n)
                else "unevaluatedProperties"
            )
            self._change(
                "additional-properties-opened" if _closed(o) else "additional-properties-closed",
                direction,
                subject,
                path,
                *_at(o, o_uri, n, n_uri, keyword),
            )
        elif isinstance(o.get("additionalProperties"), dict) or isinstance(
            n.get("additionalProperties"), dict
        ):
            self._sub(
                "additionalProperties", o, o_uri, n, n_uri, direction, subject, f"{path}/*", depth
            )

    @staticmethod
    def _effective_required(
        side: Side, node: dict[str, Any], props: dict[str, Any], uri: str, direction: str
    ) -> set[str]:
        """Required properties as they bind this direction: a readOnly property is not
        required in a request, a writeOnly one not in a response."""
        flag = "readOnly" if direction == "input" else "writeOnly"
        required = {str(x) for x in node.get("required") or ()}
        for name in list(required):
            if name not in props:
                continue
            resolved = side.resolve(props[name], child(uri, "properties", name))
            if resolved is not None and isinstance(resolved[0], dict) and resolved[0].get(flag):
                required.discard(name)
        return required

    def _combinators(
        self,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        direction: str,
        subject: tuple[str, str],
        path: str,
        depth: int,
    ) -> None:
        for keyword in ("allOf", "anyOf", "oneOf"):
            old = list(o.get(keyword) or [])
            new = list(n.get(keyword) or [])
            if canonical(old) == canonical(new):
                if keyword in o and keyword in n:
                    for index, _ in enumerate(old):  # identical text, refs may differ
                        self._pair(
                            old[index],
                            child(o_uri, keyword, index),
                            new[index],
                            child(n_uri, keyword, index),
                            direction,
                            subject,
                            path,
                            depth + 1,
                        )
                continue
            if keyword != "allOf":
                old_null, new_null = _null_branch(old), _null_branch(new)
                if (old_null is None) != (new_null is None):
                    kind = "nullable-added" if new_null is not None else "nullable-removed"
                    self._change(kind, direction, subject, path, o_uri, n_uri, keyword)
                    old = [b for i, b in enumerate(old) if i != old_null]
                    new = [b for i, b in enumerate(new) if i != new_null]
                    if len(old) == len(new) == 1:  # X|null against X: compare X with X
                        self._pair(
                            old[0],
                            child(o_uri, keyword, 0 if old_null != 0 else 1)
                            if keyword in o
                            else o_uri,
                            new[0],
                            child(n_uri, keyword, 0 if new_null != 0 else 1)
                            if keyword in n
                            else n_uri,
                            direction,
                            subject,
                            path,
                            depth + 1,
                        )
                        continue
            self._branches(keyword, o, o_uri, n, n_uri, old, new, direction, subject, path, depth)

    def _branches(
        self,
        keyword: str,
        o: dict[str, Any],
        o_uri: str,
        n: dict[str, Any],
        n_uri: str,
        old: list[Any],
        new: list[Any],
        direction: str,
        subject: tuple[str, str],
        path: str,
        depth: int,
    ) -> None:
        if len(old) == len(new):
            for index, _ in enumerate(old):
                self._pair(
                    old[index],
                    child(o_uri, keyword, index),
                    new[index],
                    child(n_uri, keyword, index),
                    direction,
                    subject,
                    path,
                    depth + 1,
                )
            return
        if keyword == "oneOf" or ((not old or not new) and keyword == "anyOf"):
            self._change(
                "keyword-changed",
                direction,
                subject,
                path,
                *_at(o, o_uri, n, n_uri, keyword),
                keyword,
            )
            return
        old_keys = [canonical(b) for b in old]
        new_keys = [canonical(b) for b in new]
        added = [i for i, k in enumerate(new_keys) if k not in old_keys]
        removed = [i for i, k in enumerate(old_keys) if k not in new_keys]
        more, fewer = (
            ("all-of-added", "all-of-removed")
            if keyword == "allOf"
            else ("any-of-added", "any-of-removed")
        )
        for index in added:
            self._change(
                more, direction, subject, path, o_uri, child(n_uri, keyword, index), keyword
            )
        for index in removed:
            self._change(
                fewer, direction, subject, path, child(o_uri, keyword, index), n_uri, keyword
            )


def _assertions(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in ANNOTATIONS and not k.startswith("x-")}


def _number(*values: Any) -> bool:
    return all(
        v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values
    )


def _divides(small: float, large: float) -> bool:
    if small == 0:
        return False
    ratio = large / small
    return abs(ratio - round(ratio)) < 1e-9


def _text(value: Any) -> str:
    return "-" if value is None else str(value)


def iter_changes(changes: dict[tuple[str, str, str, str], Change]) -> Iterator[Change]:
    yield from changes.values()
