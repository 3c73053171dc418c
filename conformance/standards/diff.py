"""``conformance standards diff``: what changed between two versions of a standard, and whether
it breaks.

The diff covers the clauses, the OpenAPI operations (:mod:`._diff_openapi`: parameters and
their serialization, request bodies, responses, status codes, media types and headers,
security, deprecation and sunset, webhooks, and the extensions the engine reads), the exports'
manifest entries, every schema behind them: JSON Schema (API bodies, parameters, JSON/CSV
record schemas) and XSD (XML records), and the documentation of all of these.  Each change
carries a stable rule id (:data:`RULES`, listed in ``docs/breaking-change-rules.md``), a
classification, the smallest version bump it needs, a location in both versions, a bilingual
message, the clauses it touches and a stable id.  Renderings: :mod:`._diff_output`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from conformance.standards._diff_docs import (
    SCHEMA_DOC_KEYS,
    describe,
    doc_differences,
    xsd_documentation,
)
from conformance.standards._diff_model import (
    RULES,
    Bump,
    Change,
    Classification,
    Loc,
    Rule,
    Sense,
)
from conformance.standards._diff_openapi import ApiDiffer, standard_date, union
from conformance.standards._diff_output import render_text
from conformance.standards._diff_schema import SchemaDiffer, Side, canonical
from conformance.standards._documents import Document, join_pointer, load_document
from conformance.standards.model import Binding, Clause, ExportSpec, Level, Standard
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
DOC_HEADING = ("仅文档变更", "Documentation-only changes")


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

    def documentation_only(self) -> bool:
        """Whether every change is to documentation (a patch bump)."""
        return bool(self.changes) and all(c.spec.group == "docs" for c in self.changes)

    def sections(self) -> list[tuple[tuple[str, str], list[Change]]]:
        """(heading, changes) to show, in order: breaking, possibly breaking, compatible,
        documentation only; empty sections left out."""
        found = []
        for classification in _SEVERITY_ORDER:
            changes = [
                c
                for c in self.by_classification(classification)
                if c.spec.group != "docs" or classification is not Classification.COMPATIBLE
            ]
            if changes:
                found.append((HEADINGS[classification], changes))
        docs = [
            c
            for c in self.changes
            if c.spec.group == "docs" and c.classification is Classification.COMPATIBLE
        ]
        if docs:
            found.append((DOC_HEADING, docs))
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": DIFF_FORMAT,
            "old": _version_dict(self.old),
            "new": _version_dict(self.new),
            "summary": self.counts(),
            "required_bump": self.required_bump().value,
            "documentation_only": self.documentation_only(),
            "changes": [c.as_dict() for c in self.changes],
        }


def _version_dict(standard: Standard) -> dict[str, Any]:
    return {
        "ref": standard.ref,
        "digest": standard.digest,
        "status": standard.status.value,
        "extends": standard.extends,
    }


def diff_standards(
    old: Standard,
    new: Standard,
    *,
    today: dt.date | None = None,
    notice_days: int = 0,
) -> StandardDiff:
    """Every change from ``old`` to ``new``, breaking ones first.

    ``today``: the date a draft version (one without ``dates.effective`` or
    ``dates.published``) is judged at, for sunset dates (default: today, UTC).
    ``notice_days``: a deprecation notice period to require on top of the one the standard's
    OpenAPI document sets (``x-deprecation-notice-days``).
    """
    differ = _Differ(old, new, today or dt.datetime.now(dt.UTC).date(), notice_days)
    differ.run()
    order = {c: i for i, c in enumerate(_SEVERITY_ORDER)}
    groups = {"clauses": 0, "api": 1, "exports": 2, "schemas": 3, "docs": 4}
    changes = sorted(
        differ.changes.values(),
        key=lambda c: (order[c.classification], groups[c.spec.group], c.subject_en, c.path),
    )
    for change in changes:
        change.clauses = differ.clauses_of(change)
    return StandardDiff(old, new, changes)


def _text_of(text: Any) -> str:
    return " ".join(str(text).split())


# Which checks a change of each rule family concerns: its clauses are those of the site
# (an operation, a response, an export) that these checks verify, when there are any.
_RULE_CHECKS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("operation-security-", "security-"), ("auth_enforced",)),
    (
        ("parameter-", "path-parameter-", "request-", "input-"),
        ("valid_input_accepted", "invalid_input_rejected"),
    ),
    (("response-status-", "response-success-status-"), ("status_code_documented",)),
    (("response-media-type-schema-",), ("response_schema",)),
    (("response-media-type-",), ("content_type_documented",)),
    (("response-header-", "response-required-header-"), ("response_headers",)),
    (("response-time-budget-",), ("response_time",)),
    (("filter-",), ("filters",)),
    (("pagination-",), ("pagination",)),
)


def _rule_checks(rule: str) -> tuple[str, ...]:
    for prefixes, checks in _RULE_CHECKS:
        if rule.startswith(prefixes):
            return checks
    return ()


class _Differ(ApiDiffer):
    def __init__(self, old: Standard, new: Standard, today: dt.date, notice_days: int) -> None:
        self.old_std = old
        self.new_std = new
        self.old = Side(old.folder, SchemaSet(old.folder))
        self.new = Side(new.folder, SchemaSet(new.folder))
        self.changes: dict[tuple[str, str, str, str], Change] = {}
        self.schemas = SchemaDiffer(self.old, self.new, self.emit)
        self.old_manifest = _manifest(old)
        self.new_manifest = _manifest(new)
        # the date the new version is judged at: when it takes effect, else today
        self.release_date = standard_date(new) or today
        self.notice_override = max(0, notice_days)
        self.notice = self.notice_override
        self.old_doc: Any = {}
        self.new_doc: Any = {}
        # what the old version has that a binding can name (kind -> values), when asked
        self._old_targets: dict[str, set[str]] | None = None
        # usage site (subject) -> (clauses that apply there, checks the site concerns)
        self.sites: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def site(
        self, subject: tuple[str, str], clauses: Any, checks: tuple[str, ...] = ()
    ) -> tuple[str, str]:
        """Record which clauses apply at a usage site; returns the subject."""
        known = self.sites.get(subject[1])
        if known is not None:
            clauses = union(known[0], clauses)
            checks = checks or known[1]
        self.sites[subject[1]] = (union(clauses), checks)
        return subject

    def clauses_of(self, change: Change) -> list[str]:
        """The standard's clauses a change touches: those of its usage sites, narrowed to the
        ones verified by the checks the change concerns (when any clause is)."""
        if change.rule.endswith(("-clause-added", "-clause-removed")):
            return [change.detail]  # the clause newly applied, or no longer applied
        found: dict[str, None] = {}
        for name in (change.subject_en, *change.used_by):
            clauses, checks = self.sites.get(name, ((), ()))
            checks = checks or _rule_checks(change.rule)
            narrowed = [c for c in clauses if checks and self._verifies(c, checks)]
            found.update(dict.fromkeys(narrowed or clauses))
        return list(found)

    def _verifies(self, clause_id: str, checks: tuple[str, ...]) -> bool:
        for standard in (self.new_std, self.old_std):
            if clause_id in standard.clause_ids:
                clause = standard.clause(clause_id)
                return any(clause.verified_by(check) for check in checks)
        return False

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
        self._documentation()

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
            subject = self.site((f"条款 {clause_id}", f"clause {clause_id}"), (clause_id,))
            if clause_id not in old:
                rule = "clause-added-must" if clause.level is Level.MUST else "clause-added"
                self.add(rule, subject, *locs(clause_id), f"{clause.level.value}")
                continue
            self._clause_pair(old[clause_id], clause, subject, locs(clause_id))
        for clause_id, clause in old.items():
            if clause_id not in new:
                subject = self.site((f"条款 {clause_id}", f"clause {clause_id}"), (clause_id,))
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
        self._binds(old, new, subject)
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

    def _binds(self, old: Clause, new: Clause, subject: tuple[str, str]) -> None:
        """Bindings added, removed or changed on a clause (docs/breaking-change-rules.md,
        "Clause bindings"): they move the blame for a finding from one clause to another."""
        before = list(dict.fromkeys(old.binds))[:MAX_BINDINGS]
        after = list(dict.fromkeys(new.binds))[:MAX_BINDINGS]
        removed = [b for b in before if b not in after]
        added = [b for b in after if b not in before]
        if not removed and not added:
            return

        def old_loc(binding: Binding) -> Loc:
            return self._binding_loc(self.old_manifest, old.id, binding)

        def new_loc(binding: Binding) -> Loc:
            return self._binding_loc(self.new_manifest, new.id, binding)

        old_clause = self._clause_loc(self.old_manifest, old.id, "standard.yaml")
        new_clause = self._clause_loc(self.new_manifest, new.id, "standard.yaml")
        if not before:  # every finding of its checks, then only what the bindings match
            for binding in added:
                self.add("clause-bound", subject, old_clause, new_loc(binding), _shown(binding))
            return
        if not after:  # the reverse: every finding of its checks again
            for binding in removed:
                self.add("clause-unbound", subject, old_loc(binding), new_clause, _shown(binding))
            return
        # a binding replaced by one of the same kinds (another schema location, another
        # status...): paired in the order written
        for binding in list(removed):
            kinds = tuple(k for k, _ in binding.kinds)
            other = next((b for b in added if tuple(k for k, _ in b.kinds) == kinds), None)
            if other is None:
                continue
            removed.remove(binding)
            added.remove(other)
            detail = f"{_shown(binding)} → {_shown(other)}"
            self.add("clause-binding-changed", subject, old_loc(binding), new_loc(other), detail)
        rule = "clause-binding-added-must" if new.level is Level.MUST else "clause-binding-added"
        for binding in added:
            # a binding to what the old version did not have matches none of its findings
            fresh = not self._in_old_version(binding)
            self.add(
                "clause-binding-added-new-target" if fresh else rule,
                subject,
                old_clause,
                new_loc(binding),
                _shown(binding),
            )
        for binding in removed:
            self.add(
                "clause-binding-removed", subject, old_loc(binding), new_clause, _shown(binding)
            )

    def _in_old_version(self, binding: Binding) -> bool:
        """Whether every operation, parameter, status and schema location a binding names was
        in the old version (checks, formats and export rules are the suite's own: always)."""
        if self._old_targets is None:
            self._old_targets = self._targets_of_old()
        for kind, value in binding.kinds:
            if kind == "schema":
                path, _, fragment = value.partition("#")
                target = (self.old_std.folder / path).resolve()
                if not target.is_relative_to(self.old_std.folder.resolve()):
                    return False
                try:
                    self.old.schemas.lookup(f"{self.old.schemas.uri(target)}#{fragment}")
                except Exception:  # no such file or pointer in the old version
                    return False
            elif kind in self._old_targets and value not in self._old_targets[kind]:
                return False
        return True

    def _targets_of_old(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {"operation": set(), "parameter": set(), "status": set()}
        if self.old_std.openapi_path is None:
            return found
        from conformance.standards._diff_openapi import _operations

        try:
            operations = _operations(self.old, self.old_std.openapi_path)
        except Exception:  # an unreadable old API: every target counts as known (cautious)
            return {}
        for op in operations:
            found["operation"].add(op.operation_id)
            found["parameter"].update(p.name for p in op.parameters)
            found["status"].update(r.status for r in op.responses)
            if op.body is not None and op.body.schema_uri is not None:
                found["parameter"].update(self._body_members(op.body.schema_uri))
        return found

    def _body_members(self, uri: str) -> set[str]:
        """The top-level members of a request body's schema (a parameter binding names them)."""
        try:
            body, _ = self.old.schemas.lookup(uri)
            for _ in range(8):  # a top-level $ref chain, bounded
                if not (isinstance(body, dict) and isinstance(body.get("$ref"), str)):
                    break
                uri = urljoin(uri, body["$ref"])
                body, _ = self.old.schemas.lookup(uri)
        except Exception:  # an unresolvable body: lint reports it
            return set()
        if isinstance(body, dict) and isinstance(body.get("properties"), dict):
            return {str(name) for name in body["properties"]}
        return set()

    def _binding_loc(self, manifest: Document | None, clause_id: str, binding: Binding) -> Loc:
        clause = self._clause_loc(manifest, clause_id, "standard.yaml")
        if manifest is None or clause.pointer is None:
            return clause
        raw = manifest.data["requirements"][int(clause.pointer.rsplit("/", 1)[1])].get("binds")
        for index, item in enumerate(raw if isinstance(raw, list) else []):
            if isinstance(item, dict) and Binding.from_dict(item) == binding:
                pointer = f"{clause.pointer}/binds/{index}"
                return Loc(clause.file, pointer, None, manifest.line(pointer) or clause.line)
        return clause

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
            clauses = union(new[name].clauses, old[name].clauses if name in old else ())
            subject = self.site((f"导出 {name}", f"export {name}"), clauses)
            new_loc = self._export_loc(self.new_manifest, name)
            if name not in old:
                self.add("export-added", subject, None, new_loc, new[name].format)
                continue
            old_loc = self._export_loc(self.old_manifest, name)
            self._export(old[name], new[name], subject, old_loc, new_loc)
        for name in old:
            if name not in new:
                subject = self.site((f"导出 {name}", f"export {name}"), old[name].clauses)
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
        if old.root != new.root:
            detail = f"{_root_text(old)} → {_root_text(new)}"
            self.add("export-root-changed", subject, at(o_loc, "root"), at(n_loc, "root"), detail)
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
        site = self.site(
            (f"导出 {new.name} 记录", f"export {new.name} record"), union(old.clauses, new.clauses)
        )
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

    # -- documentation ------------------------------------------------------------------
    def _documentation(self) -> None:
        self._manifest_docs()
        skip = {self.old_std.manifest_path.resolve(), self.new_std.manifest_path.resolve()}
        for standard in (self.old_std, self.new_std):
            if standard.openapi_path is not None:
                skip.add(standard.openapi_path.resolve())
            for export in standard.exports:
                skip.update(p.resolve() for p in export.examples)
        old_files = _files(self.old_std.folder)
        new_files = _files(self.new_std.folder)
        for rel in sorted(old_files.keys() & new_files.keys())[:MAX_DOC_FILES]:
            old_path, new_path = old_files[rel], new_files[rel]
            if old_path in skip or new_path in skip:
                continue
            if rel.endswith(".xsd"):
                self._xsd_docs(rel, old_path, new_path)
            elif rel.endswith((".json", ".yaml", ".yml")):
                self._schema_docs(rel, old_path, new_path)

    def _manifest_docs(self) -> None:
        if self.old_manifest is None or self.new_manifest is None:
            return
        old, new = self.old_manifest.data, self.new_manifest.data
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        subject = ("标准", "standard")
        for key in ("title", "summary", "owner"):
            if canonical(old.get(key)) != canonical(new.get(key)):
                self.add(
                    "standard-doc-changed",
                    subject,
                    Loc("standard.yaml", f"/{key}", None, self.old_manifest.line(f"/{key}")),
                    Loc("standard.yaml", f"/{key}", None, self.new_manifest.line(f"/{key}")),
                    key,
                )
        old_exports = {e.name: e for e in self.old_std.exports}
        for export in self.new_std.exports:
            before = old_exports.get(export.name)
            if before is not None and before.title != export.title:
                o_loc = self._export_loc(self.old_manifest, export.name)
                n_loc = self._export_loc(self.new_manifest, export.name)
                subject = self.site(
                    (f"导出 {export.name}", f"export {export.name}"), export.clauses
                )
                self.add("standard-doc-changed", subject, o_loc, n_loc, "title")

    def _schema_docs(self, rel: str, old_path: Path, new_path: Path) -> None:
        try:
            old = self.old.schemas.document(old_path).data
            new = self.new.schemas.document(new_path).data
        except Exception:  # not a document this version reads; lint reports broken ones
            return
        if not (_schema_like(old) and _schema_like(new)):
            return
        pointers = doc_differences(old, new, SCHEMA_DOC_KEYS)
        if not pointers:
            return
        group = _common_parent(pointers)
        subject = (f"模式 {rel}", f"schema {rel}")
        self.add(
            "schema-doc-changed",
            subject,
            self.old.loc(self.old.schemas.uri(old_path) + "#" + group),
            self.new.loc(self.new.schemas.uri(new_path) + "#" + group),
            describe(pointers, group),
        )

    def _xsd_docs(self, rel: str, old_path: Path, new_path: Path) -> None:
        from conformance.standards._diff_xsd import XsdDocument

        try:
            old_doc = XsdDocument(old_path, self.old.folder)
            new_doc = XsdDocument(new_path, self.new.folder)
        except Exception:  # lint reports XSDs that do not parse
            return
        old, new = xsd_documentation(old_doc.tree), xsd_documentation(new_doc.tree)
        changed = sorted(k for k in old.keys() | new.keys() if _text_at(old, k) != _text_at(new, k))
        if not changed:
            return
        first = changed[0]
        o_loc = old_doc.loc(old[first][0]) if first in old else Loc(rel)
        n_loc = new_doc.loc(new[first][0]) if first in new else Loc(rel)
        detail = ", ".join(changed[:5]) + (f" (+{len(changed) - 5})" if len(changed) > 5 else "")
        self.add("schema-doc-changed", (f"模式 {rel}", f"schema {rel}"), o_loc, n_loc, detail)


MAX_DOC_FILES = 500
MAX_BINDINGS = 200  # bindings of one clause compared


def _shown(binding: Binding) -> str:
    """A binding as written in standard.yaml: {operation: getCase, status: 404}."""
    return "{" + ", ".join(f"{kind}: {value}" for kind, value in binding.kinds) + "}"


_SCHEMA_KEYS = frozenset(
    {"$schema", "type", "properties", "$defs", "definitions", "allOf", "anyOf", "oneOf", "$ref"}
)


def _schema_like(data: Any) -> bool:
    return isinstance(data, dict) and bool(_SCHEMA_KEYS & set(data))


def _files(folder: Path) -> dict[str, Path]:
    """Regular files of a version folder by relative POSIX path (bounded)."""
    found: dict[str, Path] = {}
    root = folder.resolve()
    for path in sorted(root.rglob("*"))[: MAX_DOC_FILES * 4]:
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(root).as_posix()] = path.resolve()
    return found


def _common_parent(pointers: list[str]) -> str:
    parts = [p.split("/")[1:] for p in pointers]
    common: list[str] = []
    for tokens in zip(*parts, strict=False):
        if len(set(tokens)) != 1:
            break
        common.append(tokens[0])
    if len(common) == min(len(p) for p in parts):
        common = common[:-1]  # a parent, not the documentation keyword itself
    return "".join("/" + t for t in common)


def _text_at(found: dict[str, tuple[Any, str]], key: str) -> str | None:
    return found[key][1] if key in found else None


def _manifest(standard: Standard) -> Document | None:
    """The manifest in the version folder: for a profile, the effective (merged) one, so that
    its pointers are those every other location of the diff is relative to (mapped back to
    the files users wrote by ``profiles.source_location``)."""
    try:
        return load_document(standard.folder / "standard.yaml")
    except Exception:  # the standard loaded, so this only fails if it changed on disk
        return None


def _root_text(spec: ExportSpec) -> str:
    """An export's declared ``root``, as a diff's detail shows it."""
    root = spec.root
    parts = [
        f"{name}={value!r}"
        for name, value in (
            ("element", root.element),
            ("namespace", root.namespace),
            ("count", root.count),
        )
        if value is not None
    ]
    return "{" + ", ".join(parts) + "}" if parts else "-"
