"""``conformance standards diff``: what changed between two versions of a standard, and whether
it breaks.

The diff covers the clauses, the OpenAPI operations (parameters, request bodies, responses,
their status codes and media types, security, and the extensions the engine reads), the
exports' manifest entries, and every schema behind them: JSON Schema (API bodies, parameters,
JSON/CSV record schemas) and XSD (XML records).  Each change carries a stable rule id
(:data:`RULES`, listed in ``docs/breaking-change-rules.md``), a classification, the smallest
version bump it needs, a location in both versions, and a bilingual message.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.standards._diff_model import (
    RULES,
    Bump,
    Change,
    Classification,
    Loc,
    Rule,
    Sense,
)
from conformance.standards._diff_schema import SchemaDiffer, Side, canonical, child, short
from conformance.standards._documents import Document, join_pointer, load_document
from conformance.standards.model import Clause, ExportSpec, Level, Standard
from conformance.validation import SchemaSet

__all__ = [
    "RULES",
    "Bump",
    "Change",
    "Classification",
    "Loc",
    "Rule",
    "Sense",
    "StandardDiff",
    "diff_standards",
    "render_text",
]

DIFF_FORMAT = 1
_LEVEL_RANK = {Level.MAY: 0, Level.SHOULD: 1, Level.MUST: 2}
_ENGINE_EXTENSIONS = ("x-clauses", "x-response-time-ms", "x-filters", "x-pagination")
_SEVERITY_ORDER = (
    Classification.BREAKING,
    Classification.POSSIBLY_BREAKING,
    Classification.COMPATIBLE,
)
HEADINGS = {
    Classification.BREAKING: ("破坏性变更", "Breaking changes"),
    Classification.POSSIBLY_BREAKING: ("可能破坏的变更", "Possibly breaking changes"),
    Classification.COMPATIBLE: ("兼容变更", "Compatible changes"),
}


@dataclass
class StandardDiff:
    old: Standard
    new: Standard
    changes: list[Change] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counter = Counter(c.classification.value for c in self.changes)
        return {c.value: counter.get(c.value, 0) for c in _SEVERITY_ORDER}

    def required_bump(self) -> Bump:
        """The smallest bump the changes need (possibly-breaking ones: major, to be safe)."""
        bump = Bump.NONE
        for change in self.changes:
            if change.spec.bump.rank > bump.rank:
                bump = change.spec.bump
        return bump

    def by_classification(self, classification: Classification) -> list[Change]:
        return [c for c in self.changes if c.classification is classification]

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": DIFF_FORMAT,
            "old": _version_dict(self.old),
            "new": _version_dict(self.new),
            "summary": self.counts(),
            "required_bump": self.required_bump().value,
            "changes": [c.as_dict() for c in self.changes],
        }


def _version_dict(standard: Standard) -> dict[str, Any]:
    return {
        "ref": standard.ref,
        "digest": standard.digest,
        "status": standard.status.value,
        "extends": standard.extends,
    }


def diff_standards(old: Standard, new: Standard) -> StandardDiff:
    """Every change from ``old`` to ``new``, breaking ones first."""
    differ = _Differ(old, new)
    differ.run()
    order = {c: i for i, c in enumerate(_SEVERITY_ORDER)}
    groups = {"clauses": 0, "api": 1, "exports": 2, "schemas": 3}
    changes = sorted(
        differ.changes.values(),
        key=lambda c: (order[c.classification], groups[c.spec.group], c.subject_en, c.path),
    )
    return StandardDiff(old, new, changes)


def _norm_path(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _text_of(text: Any) -> str:
    return " ".join(str(text).split())


class _Differ:
    def __init__(self, old: Standard, new: Standard) -> None:
        self.old_std = old
        self.new_std = new
        self.old = Side(old.folder, SchemaSet(old.folder))
        self.new = Side(new.folder, SchemaSet(new.folder))
        self.changes: dict[tuple[str, str, str, str], Change] = {}
        self.schemas = SchemaDiffer(self.old, self.new, self.emit)
        self.old_manifest = _manifest(old)
        self.new_manifest = _manifest(new)

    def emit(self, change: Change) -> Change:
        existing = self.changes.get(change.key())
        if existing is None:
            self.changes[change.key()] = change
            return change
        for name in (change.subject_en, *change.used_by):
            if name != existing.subject_en and name not in existing.used_by:
                existing.used_by.append(name)
        return existing

    def add(
        self,
        rule: str,
        subject: tuple[str, str],
        old: Loc | None,
        new: Loc | None,
        detail: str = "",
    ) -> None:
        assert rule in RULES, rule
        self.emit(Change(rule, subject[0], subject[1], detail, old, new))

    def run(self) -> None:
        self._clauses()
        self._api()
        self._exports()

    # -- clauses ------------------------------------------------------------------------

    def _clause_loc(self, manifest: Document | None, clause_id: str, rel: str) -> Loc:
        if manifest is not None:
            for index, raw in enumerate(manifest.data.get("requirements") or []):
                if isinstance(raw, dict) and raw.get("id") == clause_id:
                    pointer = f"/requirements/{index}"
                    return Loc(rel, pointer, None, manifest.line(pointer))
        return Loc(rel)

    def _clauses(self) -> None:
        old = {c.id: c for c in self.old_std.clauses}
        new = {c.id: c for c in self.new_std.clauses}
        rel = "standard.yaml"

        def locs(clause_id: str) -> tuple[Loc | None, Loc | None]:
            return (
                self._clause_loc(self.old_manifest, clause_id, rel) if clause_id in old else None,
                self._clause_loc(self.new_manifest, clause_id, rel) if clause_id in new else None,
            )

        for clause_id, clause in new.items():
            subject = (f"条款 {clause_id}", f"clause {clause_id}")
            if clause_id not in old:
                rule = "clause-added-must" if clause.level is Level.MUST else "clause-added"
                self.add(rule, subject, *locs(clause_id), f"{clause.level.value}")
                continue
            self._clause_pair(old[clause_id], clause, subject, locs(clause_id))
        for clause_id, clause in old.items():
            if clause_id not in new:
                subject = (f"条款 {clause_id}", f"clause {clause_id}")
                self.add("clause-removed", subject, *locs(clause_id), clause.level.value)

    def _clause_pair(
        self,
        old: Clause,
        new: Clause,
        subject: tuple[str, str],
        locs: tuple[Loc | None, Loc | None],
    ) -> None:
        if old.level is not new.level:
            detail = f"{old.level.value} → {new.level.value}"
            if _LEVEL_RANK[new.level] > _LEVEL_RANK[old.level]:
                raised = "clause-level-raised-to-must" if new.level is Level.MUST else None
                self.add(raised or "clause-level-raised", subject, *locs, detail)
            else:
                self.add("clause-level-lowered", subject, *locs, detail)
        if old.verification is not new.verification:
            detail = f"{old.verification.value} → {new.verification.value}"
            self.add("clause-verification-changed", subject, *locs, detail)
        if (_text_of(old.text.zh), _text_of(old.text.en)) != (
            _text_of(new.text.zh),
            _text_of(new.text.en),
        ):
            self.add("clause-text-changed", subject, *locs)
        old_checks, new_checks = set(old.checks), set(new.checks)
        if old_checks == new_checks:
            return
        # an empty list means every check where the clause is named
        if not old_checks:
            self.add(
                "clause-checks-removed", subject, *locs, "all → " + ", ".join(sorted(new_checks))
            )
        elif not new_checks:
            self.add(
                "clause-checks-added", subject, *locs, ", ".join(sorted(old_checks)) + " → all"
            )
        else:
            if new_checks - old_checks:
                detail = ", ".join(sorted(new_checks - old_checks))
                self.add("clause-checks-added", subject, *locs, detail)
            if old_checks - new_checks:
                detail = ", ".join(sorted(old_checks - new_checks))
                self.add("clause-checks-removed", subject, *locs, detail)

    # -- API ----------------------------------------------------------------------------

    def _api(self) -> None:
        from conformance.engine.openapi import load_operations

        old_path, new_path = self.old_std.openapi_path, self.new_std.openapi_path
        subject = ("接口定义", "API definition")
        if old_path is None and new_path is None:
            return
        if old_path is None or new_path is None:
            rule = "api-added" if old_path is None else "api-removed"
            self.add(
                rule,
                subject,
                self._file_loc(self.old, old_path),
                self._file_loc(self.new, new_path),
            )
            return
        old_ops = {
            (o.method, _norm_path(o.path)): o for o in load_operations(self.old.schemas, old_path)
        }
        new_ops = {
            (o.method, _norm_path(o.path)): o for o in load_operations(self.new.schemas, new_path)
        }
        old_uri, new_uri = self.old.schemas.uri(old_path), self.new.schemas.uri(new_path)
        for key, op in new_ops.items():
            if key not in old_ops:
                subject = (f"接口 {op.target}", op.target)
                self.add("operation-added", subject, None, self.new.loc(f"{new_uri}#{op.pointer}"))
        for key, op in old_ops.items():
            if key not in new_ops:
                subject = (f"接口 {op.target}", op.target)
                self.add(
                    "operation-removed", subject, self.old.loc(f"{old_uri}#{op.pointer}"), None
                )
                continue
            self._operation(op, new_ops[key], old_uri, new_uri)

    def _file_loc(self, side: Side, path: Path | None) -> Loc | None:
        if path is None:
            return None
        return side.loc(side.schemas.uri(path) + "#")

    def _operation(self, old: Any, new: Any, old_doc: str, new_doc: str) -> None:
        o_uri, n_uri = f"{old_doc}#{old.pointer}", f"{new_doc}#{new.pointer}"
        o_loc, n_loc = self.old.loc(o_uri), self.new.loc(n_uri)
        subject = (f"接口 {new.target}", new.target)
        if old.operation_id != new.operation_id:
            detail = f"{old.operation_id} → {new.operation_id}"
            self.add("operation-id-changed", subject, o_loc, n_loc, detail)
        old_clauses, new_clauses = set(old.all_clauses()), set(new.all_clauses())
        for clause_id in sorted(new_clauses - old_clauses):
            self.add("operation-clause-added", subject, o_loc, n_loc, clause_id)
        for clause_id in sorted(old_clauses - new_clauses):
            self.add("operation-clause-removed", subject, o_loc, n_loc, clause_id)
        if old.secured != new.secured:
            rule = "operation-security-added" if new.secured else "operation-security-removed"
            self.add(rule, subject, o_loc, n_loc)
        self._parameters(old, new, subject)
        self._request_body(old, new, o_uri, n_uri, subject)
        self._responses(old, new, o_uri, n_uri)
        self._extensions(old, new, o_loc, n_loc, subject)

    def _parameters(self, old: Any, new: Any, subject: tuple[str, str]) -> None:
        old_params = {(p.name, p.location): p for p in old.parameters}
        new_params = {(p.name, p.location): p for p in new.parameters}

        def loc(side: Side, param: Any) -> Loc | None:
            uri = param.schema_uri[: -len("/schema")] if param.schema_uri else None
            return side.loc(uri) if uri else None

        for key, param in new_params.items():
            where = (
                f"接口 {new.target} 参数 {param.name}（{param.location}）",
                f"{new.target} parameter {param.name} ({param.location})",
            )
            if key not in old_params:
                rule = "parameter-added-required" if param.required else "parameter-added-optional"
                self.add(rule, where, None, loc(self.new, param))
                continue
            before = old_params[key]
            if before.required != param.required:
                rule = (
                    "parameter-required-added" if param.required else "parameter-required-removed"
                )
                self.add(rule, where, loc(self.old, before), loc(self.new, param))
            if before.schema_uri and param.schema_uri:
                self.schemas.compare(before.schema_uri, param.schema_uri, "input", where)
        for key, param in old_params.items():
            if key not in new_params:
                where = (
                    f"接口 {new.target} 参数 {param.name}（{param.location}）",
                    f"{new.target} parameter {param.name} ({param.location})",
                )
                self.add("parameter-removed", where, loc(self.old, param), None)
        del subject

    def _content(self, side: Side, node: Any, uri: str) -> tuple[dict[str, str], Any, str]:
        """The media type -> schema URI map of a request body or response, after $refs."""
        resolved = side.resolve(node, uri)
        if resolved is None or not isinstance(resolved[0], dict):
            return {}, {}, uri
        obj, obj_uri = resolved
        content = obj.get("content") if isinstance(obj.get("content"), dict) else {}
        media: dict[str, str] = {}
        for name, media_obj in (content or {}).items():
            media_uri = child(obj_uri, "content", name)
            if isinstance(media_obj, dict) and "schema" in media_obj:
                media[name] = child(media_uri, "schema")
            else:
                media[name] = ""
        return media, obj, obj_uri

    def _raw(self, side: Side, uri: str) -> Any:
        try:
            contents, _ = side.schemas.lookup(uri)
        except Exception:  # lint reports unresolvable documents
            return None
        return contents

    def _request_body(
        self, old: Any, new: Any, o_uri: str, n_uri: str, subject: tuple[str, str]
    ) -> None:
        old_raw = self._raw(self.old, o_uri) or {}
        new_raw = self._raw(self.new, n_uri) or {}
        old_body, new_body = old_raw.get("requestBody"), new_raw.get("requestBody")
        if old_body is None and new_body is None:
            return
        where = (f"接口 {new.target} 请求体", f"{new.target} request body")
        o_body_uri, n_body_uri = child(o_uri, "requestBody"), child(n_uri, "requestBody")
        if old_body is None or new_body is None:
            if old_body is None:
                required = bool((self._content(self.new, new_body, n_body_uri)[1]).get("required"))
                rule = "request-body-added-required" if required else "request-body-added-optional"
                self.add(rule, where, None, self.new.loc(n_body_uri))
            else:
                self.add("request-body-removed", where, self.old.loc(o_body_uri), None)
            return
        old_media, old_obj, old_obj_uri = self._content(self.old, old_body, o_body_uri)
        new_media, new_obj, new_obj_uri = self._content(self.new, new_body, n_body_uri)
        o_loc, n_loc = self.old.loc(old_obj_uri), self.new.loc(new_obj_uri)
        if bool(old_obj.get("required")) != bool(new_obj.get("required")):
            rule = (
                "request-body-required-added"
                if new_obj.get("required")
                else "request-body-required-removed"
            )
            self.add(rule, where, o_loc, n_loc)
        for media in sorted(new_media.keys() - old_media.keys()):
            self.add("request-media-type-added", where, o_loc, n_loc, media)
        for media in sorted(old_media.keys() - new_media.keys()):
            self.add("request-media-type-removed", where, o_loc, n_loc, media)
        for media in sorted(old_media.keys() & new_media.keys()):
            if old_media[media] and new_media[media]:
                site = (f"{where[0]} {media}", f"{where[1]} {media}")
                self.schemas.compare(old_media[media], new_media[media], "input", site)
        del subject

    def _responses(self, old: Any, new: Any, o_uri: str, n_uri: str) -> None:
        old_raw = (self._raw(self.old, o_uri) or {}).get("responses") or {}
        new_raw = (self._raw(self.new, n_uri) or {}).get("responses") or {}
        for status in sorted(set(old_raw) | set(new_raw)):
            where = (f"接口 {new.target} 响应 {status}", f"{new.target} response {status}")
            o_status_uri = child(o_uri, "responses", status)
            n_status_uri = child(n_uri, "responses", status)
            if status not in old_raw:
                self.add("response-status-added", where, None, self.new.loc(n_status_uri), status)
                continue
            if status not in new_raw:
                success = status.startswith("2") or status.upper() == "2XX"
                rule = "response-success-status-removed" if success else "response-status-removed"
                self.add(rule, where, self.old.loc(o_status_uri), None, status)
                continue
            old_media, old_obj, old_obj_uri = self._content(self.old, old_raw[status], o_status_uri)
            new_media, new_obj, new_obj_uri = self._content(self.new, new_raw[status], n_status_uri)
            o_loc, n_loc = self.old.loc(old_obj_uri), self.new.loc(new_obj_uri)
            for media in sorted(new_media.keys() - old_media.keys()):
                self.add("response-media-type-added", where, o_loc, n_loc, media)
            for media in sorted(old_media.keys() - new_media.keys()):
                self.add("response-media-type-removed", where, o_loc, n_loc, media)
            for media in sorted(old_media.keys() & new_media.keys()):
                if old_media[media] and new_media[media]:
                    site = (f"{where[0]} {media}", f"{where[1]} {media}")
                    self.schemas.compare(old_media[media], new_media[media], "output", site)
            old_headers = {k.lower() for k in (old_obj.get("headers") or {})}
            new_headers = {k.lower() for k in (new_obj.get("headers") or {})}
            for name in sorted(new_headers - old_headers):
                self.add("response-header-added", where, o_loc, n_loc, name)
            for name in sorted(old_headers - new_headers):
                self.add("response-header-removed", where, o_loc, n_loc, name)

    def _extensions(
        self, old: Any, new: Any, o_loc: Loc | None, n_loc: Loc | None, subject: tuple[str, str]
    ) -> None:
        old_ext, new_ext = old.extensions, new.extensions
        old_budget = old_ext.get("x-response-time-ms")
        new_budget = new_ext.get("x-response-time-ms")
        if old_budget != new_budget:
            tightened = new_budget is not None and (
                old_budget is None or float(new_budget) < float(old_budget)
            )
            rule = "response-time-budget-tightened" if tightened else "response-time-budget-relaxed"
            self.add(rule, subject, o_loc, n_loc, f"{old_budget or '-'} → {new_budget or '-'} ms")
        old_filters = _filters(old_ext.get("x-filters"))
        new_filters = _filters(new_ext.get("x-filters"))
        for name in sorted(new_filters.keys() - old_filters.keys()):
            self.add("filter-added", subject, o_loc, n_loc, name)
        for name in sorted(old_filters.keys() - new_filters.keys()):
            self.add("filter-removed", subject, o_loc, n_loc, name)
        for name in sorted(old_filters.keys() & new_filters.keys()):
            if old_filters[name] != new_filters[name]:
                self.add("filter-removed", subject, o_loc, n_loc, f"{name} (field changed)")
        if canonical(old_ext.get("x-pagination")) != canonical(new_ext.get("x-pagination")):
            detail = f"{short(old_ext.get('x-pagination'))} → {short(new_ext.get('x-pagination'))}"
            self.add("pagination-changed", subject, o_loc, n_loc, detail)
        for name in sorted(set(old_ext) | set(new_ext)):
            if name in _ENGINE_EXTENSIONS:
                continue
            if canonical(old_ext.get(name)) != canonical(new_ext.get(name)):
                self.add("extension-changed", subject, o_loc, n_loc, name)

    # -- exports ------------------------------------------------------------------------

    def _export_loc(self, manifest: Document | None, name: str) -> Loc:
        if manifest is not None:
            for index, raw in enumerate(manifest.data.get("exports") or []):
                if isinstance(raw, dict) and raw.get("name") == name:
                    pointer = f"/exports/{index}"
                    return Loc("standard.yaml", pointer, None, manifest.line(pointer))
        return Loc("standard.yaml")

    def _exports(self) -> None:
        old = {e.name: e for e in self.old_std.exports}
        new = {e.name: e for e in self.new_std.exports}
        for name in new:
            subject = (f"导出 {name}", f"export {name}")
            new_loc = self._export_loc(self.new_manifest, name)
            if name not in old:
                self.add("export-added", subject, None, new_loc, new[name].format)
                continue
            old_loc = self._export_loc(self.old_manifest, name)
            self._export(old[name], new[name], subject, old_loc, new_loc)
        for name in old:
            if name not in new:
                subject = (f"导出 {name}", f"export {name}")
                loc = self._export_loc(self.old_manifest, name)
                self.add("export-removed", subject, loc, None, old[name].format)

    def _export(
        self,
        old: ExportSpec,
        new: ExportSpec,
        subject: tuple[str, str],
        o_loc: Loc,
        n_loc: Loc,
    ) -> None:
        def at(loc: Loc, key: str) -> Loc:
            return Loc(loc.file, join_pointer(loc.pointer or "", key), None, loc.line)

        if old.format != new.format:
            detail = f"{old.format} → {new.format}"
            self.add(
                "export-format-changed", subject, at(o_loc, "format"), at(n_loc, "format"), detail
            )
        if old.encoding != new.encoding:
            detail = f"{old.encoding} → {new.encoding}"
            self.add(
                "export-encoding-changed",
                subject,
                at(o_loc, "encoding"),
                at(n_loc, "encoding"),
                detail,
            )
        if old.record_element != new.record_element:
            detail = f"{old.record_element} → {new.record_element}"
            self.add("export-record-element-changed", subject, o_loc, n_loc, detail)
        if old.format == new.format == "csv" and old.csv != new.csv:
            detail = f"{old.csv} → {new.csv}"
            self.add("export-csv-changed", subject, at(o_loc, "csv"), at(n_loc, "csv"), detail)
        self._key(old, new, subject, at(o_loc, "key"), at(n_loc, "key"))
        old_formats, new_formats = dict(old.field_formats), dict(new.field_formats)
        for path in sorted(set(old_formats) | set(new_formats)):
            before, after = old_formats.get(path), new_formats.get(path)
            if before == after:
                continue
            rule = (
                "export-field-format-added"
                if before is None
                else "export-field-format-removed"
                if after is None
                else "export-field-format-changed"
            )
            detail = f"{path}: {before or '-'} → {after or '-'}"
            self.add(rule, subject, at(o_loc, "field_formats"), at(n_loc, "field_formats"), detail)
        for clause_id in sorted(set(new.clauses) - set(old.clauses)):
            self.add("export-clause-added", subject, o_loc, n_loc, clause_id)
        for clause_id in sorted(set(old.clauses) - set(new.clauses)):
            self.add("export-clause-removed", subject, o_loc, n_loc, clause_id)
        site = (f"导出 {new.name} 记录", f"export {new.name} record")
        if old.format == "xml" and new.format == "xml":
            self._xsd(old, new, site)
        elif old.format != "xml" and new.format != "xml":
            self.schemas.compare(
                self.old.schemas.uri(old.schema_path) + "#",
                self.new.schemas.uri(new.schema_path) + "#",
                "output",
                site,
            )

    def _key(
        self, old: ExportSpec, new: ExportSpec, subject: tuple[str, str], o: Loc, n: Loc
    ) -> None:
        before, after = set(old.key), set(new.key)
        if before == after:
            return
        detail = f"{', '.join(old.key) or '-'} → {', '.join(new.key) or '-'}"
        if not before:
            rule = "export-key-added"
        elif not after:
            rule = "export-key-removed"
        elif after < before:
            rule = "export-key-narrowed"
        elif after > before:
            rule = "export-key-widened"
        else:
            rule = "export-key-changed"
        self.add(rule, subject, o, n, detail)

    def _xsd(self, old: ExportSpec, new: ExportSpec, site: tuple[str, str]) -> None:
        from conformance.standards._diff_xsd import XsdDiffer, XsdDocument

        try:
            old_doc = XsdDocument(old.schema_path, self.old.folder)
            new_doc = XsdDocument(new.schema_path, self.new.folder)
        except Exception:  # lint reports XSDs that do not parse
            return
        differ = XsdDiffer(old_doc, new_doc, self.emit, site)
        differ.compare_record(old.record_element or "", new.record_element or "")


def _filters(value: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in value or []:
        if isinstance(item, dict) and isinstance(item.get("param"), str):
            found[item["param"]] = str(item.get("field"))
    return found


def _manifest(standard: Standard) -> Document | None:
    try:
        return load_document(standard.manifest_path)
    except Exception:  # the standard loaded, so this only fails if it changed on disk
        return None


# -- rendering ------------------------------------------------------------------------------


def render_text(diff: StandardDiff, *, bump_made: str | None = None) -> str:
    """The diff for a terminal: zh-CN first, then English, one change per block."""
    lines = [f"{diff.old.ref} → {diff.new.ref}"]
    lines.append(f"  {diff.old.digest}")
    lines.append(f"  {diff.new.digest}")
    counts = diff.counts()
    lines.append(
        f"破坏性 {counts['breaking']} · 可能破坏 {counts['possibly-breaking']} · "
        f"兼容 {counts['compatible']} / breaking {counts['breaking']}, possibly breaking "
        f"{counts['possibly-breaking']}, compatible {counts['compatible']}"
    )
    for classification in _SEVERITY_ORDER:
        changes = diff.by_classification(classification)
        if not changes:
            continue
        zh, en = HEADINGS[classification]
        lines.append("")
        lines.append(f"{zh} / {en} ({len(changes)})")
        for change in changes:
            lines.append(f"  - [{change.rule}] {change.message_zh()}")
            lines.append(f"    {change.message_en()}")
            if change.old is not None:
                lines.append(f"    old {diff.old.ref}: {change.old}")
            if change.new is not None:
                lines.append(f"    new {diff.new.ref}: {change.new}")
            if change.used_by:
                lines.append(f"    also used by: {', '.join(change.used_by)}")
    if not diff.changes:
        lines.append("")
        lines.append("无变更 / No changes")
    lines.append("")
    required = diff.required_bump().value
    made = f"；实际 {bump_made} / made: {bump_made}" if bump_made else ""
    lines.append(f"所需最小版本升级 / Smallest bump needed: {required}{made}")
    return "\n".join(lines)
