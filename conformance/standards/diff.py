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

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.standards._diff_api import (
    Lifecycle,
    Requirement,
    anonymous,
    describe_scheme,
    lifecycle,
    match_media,
    parse_date,
    path_renames,
    requirements,
    scheme_summary,
    serialization_differs,
    serialization_text,
)
from conformance.standards._diff_api import (
    notice_days as document_notice_days,
)
from conformance.standards._diff_docs import (
    OPENAPI_DOC_KEYS,
    SCHEMA_DOC_KEYS,
    describe,
    doc_differences,
    group_of,
    strip_docs,
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
from conformance.standards._diff_output import render_text
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
# extensions with rules of their own (the engine's, and the sunset date)
_ENGINE_EXTENSIONS = ("x-clauses", "x-response-time-ms", "x-filters", "x-pagination", "x-sunset")
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


def _norm_path(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _text_of(text: Any) -> str:
    return " ".join(str(text).split())


def _union(*groups: Any) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(str(x) for x in group or ()))
    return tuple(seen)


def _x_clauses(response: Any) -> tuple[str, ...]:
    value = response.get("x-clauses") if isinstance(response, dict) else None
    return tuple(str(x) for x in value) if isinstance(value, list) else ()


def _param_required(param: dict[str, Any]) -> bool:
    return param.get("in") == "path" or param.get("required") is True


def _no_docs(value: Any) -> str:
    """A value's canonical text with its documentation keywords left out."""
    return canonical(strip_docs(value, OPENAPI_DOC_KEYS))


def _alternatives(alternatives: list[Requirement]) -> str:
    if not alternatives:
        return "none"
    return " | ".join(_requirement(a) or "anonymous" for a in alternatives)


def _requirement(requirement: Requirement) -> str:
    return " + ".join(
        name + (f" [{' '.join(scopes)}]" if scopes else "")
        for name, scopes in sorted(requirement.items())
    )


def _standard_date(standard: Standard) -> dt.date | None:
    """The date a version takes effect (else its publication date)."""
    for key in ("effective", "published"):
        found = parse_date(standard.dates.get(key))
        if found is not None:
            return found
    return None


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


class _Differ:
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
        self.release_date = _standard_date(new) or today
        self.notice_override = max(0, notice_days)
        self.notice = self.notice_override
        self.old_doc: Any = {}
        self.new_doc: Any = {}
        # usage site (subject) -> (clauses that apply there, checks the site concerns)
        self.sites: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def site(
        self, subject: tuple[str, str], clauses: Any, checks: tuple[str, ...] = ()
    ) -> tuple[str, str]:
        """Record which clauses apply at a usage site; returns the subject."""
        known = self.sites.get(subject[1])
        if known is not None:
            clauses = _union(known[0], clauses)
            checks = checks or known[1]
        self.sites[subject[1]] = (_union(clauses), checks)
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
        self.old_doc = self.old.schemas.document(old_path).data
        self.new_doc = self.new.schemas.document(new_path).data
        self.notice = max(document_notice_days(self.new_doc), self.notice_override)
        for key, op in new_ops.items():
            if key not in old_ops:
                subject = self.site((f"接口 {op.target}", op.target), op.all_clauses())
                self.add("operation-added", subject, None, self.new.loc(f"{new_uri}#{op.pointer}"))
        for key, op in old_ops.items():
            if key not in new_ops:
                subject = self.site((f"接口 {op.target}", op.target), op.all_clauses())
                o_uri = f"{old_uri}#{op.pointer}"
                state = lifecycle(self._raw(self.old, o_uri))
                rule = self._removal("operation", state)
                self.add(rule, subject, self.old.loc(o_uri), None, state.describe())
                continue
            self._operation(op, new_ops[key], old_uri, new_uri)
        self._webhooks(old_uri, new_uri)
        self._api_docs(old_path, new_path, old_ops, new_ops)

    def _file_loc(self, side: Side, path: Path | None) -> Loc | None:
        if path is None:
            return None
        return side.loc(side.schemas.uri(path) + "#")

    def _operation(self, old: Any, new: Any, old_doc: str, new_doc: str) -> None:
        o_uri, n_uri = f"{old_doc}#{old.pointer}", f"{new_doc}#{new.pointer}"
        o_loc, n_loc = self.old.loc(o_uri), self.new.loc(n_uri)
        clauses = _union(old.all_clauses(), new.all_clauses())
        subject = self.site((f"接口 {new.target}", new.target), clauses)
        old_raw = self._raw(self.old, o_uri) or {}
        new_raw = self._raw(self.new, n_uri) or {}
        if old.operation_id != new.operation_id:
            detail = f"{old.operation_id} → {new.operation_id}"
            self.add("operation-id-changed", subject, o_loc, n_loc, detail)
        old_clauses, new_clauses = set(old.all_clauses()), set(new.all_clauses())
        for clause_id in sorted(new_clauses - old_clauses):
            self.add("operation-clause-added", subject, o_loc, n_loc, clause_id)
        for clause_id in sorted(old_clauses - new_clauses):
            self.add("operation-clause-removed", subject, o_loc, n_loc, clause_id)
        self._deprecation(
            "operation", lifecycle(old_raw), lifecycle(new_raw), subject, o_loc, n_loc
        )
        self._security(old_raw, new_raw, o_uri, n_uri, subject)
        op_clauses = _union(old.clauses, new.clauses)
        self._parameters(old, new, o_uri, n_uri, op_clauses)
        self._request_body(new, old_raw, new_raw, o_uri, n_uri, op_clauses)
        self._responses(new, old_raw, new_raw, o_uri, n_uri, op_clauses)
        self._extensions(old, new, o_loc, n_loc, subject)
        if _no_docs(old_raw.get("callbacks")) != _no_docs(new_raw.get("callbacks")):
            self.add(
                "callback-changed",
                subject,
                *self._pair_locs(o_uri, n_uri, "callbacks", old_raw, new_raw),
            )

    def _pair_locs(
        self, o_uri: str, n_uri: str, key: str, old: dict[str, Any], new: dict[str, Any]
    ) -> tuple[Loc | None, Loc | None]:
        return (
            self.old.loc(child(o_uri, key) if key in old else o_uri),
            self.new.loc(child(n_uri, key) if key in new else n_uri),
        )

    # -- deprecation and sunset -----------------------------------------------------------

    def _deprecation(
        self,
        what: str,
        old: Lifecycle,
        new: Lifecycle,
        subject: tuple[str, str],
        o_loc: Loc | None,
        n_loc: Loc | None,
    ) -> None:
        detail = f"{old.describe()} → {new.describe()}"
        if not old.deprecated and new.deprecated:
            rule = f"{what}-sunset-too-soon" if self._short_notice(new) else f"{what}-deprecated"
        elif old.deprecated and not new.deprecated:
            rule = f"{what}-reactivated"
        elif old.deprecated and new.deprecated and old.sunset != new.sunset:
            if new.sunset is None or (old.sunset is not None and new.sunset < old.sunset):
                rule = f"{what}-sunset-earlier"
            elif self._short_notice(new):
                rule = f"{what}-sunset-too-soon"
            else:
                rule = f"{what}-sunset-later"
        else:
            return
        if self.notice and rule.endswith("too-soon"):
            detail += f"; notice {self.notice} days from {self.release_date.isoformat()}"
        self.add(rule, subject, o_loc, n_loc, detail)

    def _short_notice(self, state: Lifecycle) -> bool:
        """Whether a deprecation gives less notice than the standard requires."""
        if not self.notice:
            return False
        if state.sunset is None:
            return True
        return (state.sunset - self.release_date).days < self.notice

    def _removal(self, what: str, old: Lifecycle) -> str:
        """The rule for removing an operation or parameter, given its state before."""
        if not old.deprecated:
            return f"{what}-removed"
        if old.sunset is not None:
            passed = old.sunset <= self.release_date
        elif not self.notice:
            passed = True  # deprecated without a sunset, and no notice period required
        else:
            announced = _standard_date(self.old_std)
            passed = announced is not None and ((self.release_date - announced).days >= self.notice)
        return f"{what}-removed-after-deprecation" if passed else f"{what}-removed-before-sunset"

    # -- security -------------------------------------------------------------------------

    def _effective_security(
        self, raw: dict[str, Any], uri: str, document: Any, doc_uri: str
    ) -> tuple[list[Requirement] | None, str]:
        if "security" in raw:
            return requirements(raw["security"]), child(uri, "security")
        if isinstance(document, dict) and "security" in document:
            return requirements(document["security"]), doc_uri.split("#", 1)[0] + "#/security"
        return [], uri

    def _security(
        self,
        old_raw: dict[str, Any],
        new_raw: dict[str, Any],
        o_uri: str,
        n_uri: str,
        subject: tuple[str, str],
    ) -> None:
        old, o_at = self._effective_security(old_raw, o_uri, self.old_doc, o_uri)
        new, n_at = self._effective_security(new_raw, n_uri, self.new_doc, n_uri)
        if old is None or new is None:
            return  # malformed: lint reports it
        o_loc, n_loc = self.old.loc(o_at), self.new.loc(n_at)
        old_anonymous, new_anonymous = anonymous(old), anonymous(new)
        if old_anonymous != new_anonymous:
            rule = "operation-security-removed" if new_anonymous else "operation-security-added"
            self.add(rule, subject, o_loc, n_loc, f"{_alternatives(old)} → {_alternatives(new)}")
            return
        old_by = {frozenset(a): a for a in old if a}
        new_by = {frozenset(a): a for a in new if a}
        for names in sorted(new_by.keys() - old_by.keys(), key=sorted):
            self.add(
                "security-requirement-added", subject, o_loc, n_loc, _requirement(new_by[names])
            )
        for names in sorted(old_by.keys() - new_by.keys(), key=sorted):
            self.add(
                "security-requirement-removed", subject, o_loc, n_loc, _requirement(old_by[names])
            )
        for names in sorted(old_by.keys() & new_by.keys(), key=sorted):
            for scheme in sorted(names):
                before, after = set(old_by[names][scheme]), set(new_by[names][scheme])
                if after - before:
                    detail = f"{scheme}: " + ", ".join(sorted(after - before))
                    self.add("security-scopes-added", subject, o_loc, n_loc, detail)
                if before - after:
                    detail = f"{scheme}: " + ", ".join(sorted(before - after))
                    self.add("security-scopes-removed", subject, o_loc, n_loc, detail)
        used = {s for a in old for s in a} & {s for a in new for s in a}
        for scheme in sorted(used):
            self._scheme(scheme, subject)

    def _scheme(self, name: str, subject: tuple[str, str]) -> None:
        pointer = join_pointer("/components/securitySchemes", name)
        old_uri = self.old.schemas.uri(self.old_std.openapi_path or Path()) + "#" + pointer
        new_uri = self.new.schemas.uri(self.new_std.openapi_path or Path()) + "#" + pointer
        old_resolved = self.old.resolve(self._raw(self.old, old_uri), old_uri)
        new_resolved = self.new.resolve(self._raw(self.new, new_uri), new_uri)
        if old_resolved is None or new_resolved is None:
            return
        before, after = scheme_summary(old_resolved[0]), scheme_summary(new_resolved[0])
        if canonical(before) != canonical(after):
            detail = f"{name}: {describe_scheme(before)} → {describe_scheme(after)}"
            self.add(
                "security-scheme-changed",
                subject,
                self.old.loc(old_resolved[1]),
                self.new.loc(new_resolved[1]),
                detail,
            )

    # -- parameters -----------------------------------------------------------------------

    def _raw_parameters(
        self, side: Side, op_uri: str
    ) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
        """The parameters of an operation and its path item, by (name, in), $refs followed."""
        found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        item_uri = op_uri.rsplit("/", 1)[0]
        for source_uri in (child(item_uri, "parameters"), child(op_uri, "parameters")):
            listed = self._raw(side, source_uri)
            if not isinstance(listed, list):
                continue
            for index, raw in enumerate(listed):
                resolved = side.resolve(raw, child(source_uri, index))
                if resolved is None or not isinstance(resolved[0], dict):
                    continue
                obj, uri = resolved
                if isinstance(obj.get("name"), str) and isinstance(obj.get("in"), str):
                    found[(obj["name"], obj["in"])] = (obj, uri)
        return found

    def _parameters(
        self, old: Any, new: Any, o_uri: str, n_uri: str, clauses: tuple[str, ...]
    ) -> None:
        old_params = self._raw_parameters(self.old, o_uri)
        new_params = self._raw_parameters(self.new, n_uri)
        renames = path_renames(old.path, new.path)
        # old path parameters under their new names: a renamed one is the same parameter
        paired = {
            (renames.get(name, name) if where == "path" else name, where): (name, value)
            for (name, where), value in old_params.items()
        }

        def where_of(name: str, location: str) -> tuple[str, str]:
            return self.site(
                (
                    f"接口 {new.target} 参数 {name}（{location}）",
                    f"{new.target} parameter {name} ({location})",
                ),
                clauses,
            )

        for (name, location), (param, uri) in new_params.items():
            where = where_of(name, location)
            if (name, location) not in paired:
                rule = (
                    "parameter-added-required"
                    if _param_required(param)
                    else "parameter-added-optional"
                )
                self.add(rule, where, None, self.new.loc(uri))
                continue
            old_name, (before, before_uri) = paired[(name, location)]
            self._parameter(old_name, before, before_uri, param, uri, where)
        for (name, location), (param, uri) in old_params.items():
            if (renames.get(name, name) if location == "path" else name, location) in new_params:
                continue
            where = where_of(name, location)
            state = lifecycle(param)
            rule = self._removal("parameter", state)
            self.add(
                rule, where, self.old.loc(uri), None, state.describe() if state.deprecated else ""
            )

    def _parameter(
        self,
        old_name: str,
        before: dict[str, Any],
        before_uri: str,
        param: dict[str, Any],
        uri: str,
        where: tuple[str, str],
    ) -> None:
        o_loc, n_loc = self.old.loc(before_uri), self.new.loc(uri)
        if old_name != param["name"]:
            self.add("path-parameter-renamed", where, o_loc, n_loc, f"{old_name} → {param['name']}")
        old_required, new_required = _param_required(before), _param_required(param)
        if old_required != new_required:
            rule = "parameter-required-added" if new_required else "parameter-required-removed"
            self.add(rule, where, o_loc, n_loc)
        old_schema = self._param_schema(self.old, before, before_uri)
        new_schema = self._param_schema(self.new, param, uri)
        if serialization_differs(
            before,
            old_schema[0] if old_schema else None,
            param,
            new_schema[0] if new_schema else None,
        ):
            detail = f"{serialization_text(before)} → {serialization_text(param)}"
            self.add("parameter-serialization-changed", where, o_loc, n_loc, detail)
        if param.get("in") == "query":
            old_reserved, new_reserved = (
                before.get("allowReserved") is True,
                param.get("allowReserved") is True,
            )
            if old_reserved != new_reserved:
                rule = (
                    "parameter-allow-reserved-added"
                    if new_reserved
                    else "parameter-allow-reserved-removed"
                )
                self.add(rule, where, o_loc, n_loc)
        self._deprecation("parameter", lifecycle(before), lifecycle(param), where, o_loc, n_loc)
        if old_schema and new_schema:
            self.schemas.compare(old_schema[1], new_schema[1], "input", where)

    def _param_schema(self, side: Side, param: dict[str, Any], uri: str) -> tuple[Any, str] | None:
        """A parameter's schema (resolved) and its URI, from ``schema`` or ``content``."""
        if "schema" in param:
            schema_uri = child(uri, "schema")
        elif isinstance(param.get("content"), dict) and param["content"]:
            media, media_obj = next(iter(param["content"].items()))
            if not isinstance(media_obj, dict) or "schema" not in media_obj:
                return None
            schema_uri = child(uri, "content", media, "schema")
        else:
            return None
        resolved = side.resolve({"$ref": schema_uri}, schema_uri)
        return (resolved[0], schema_uri) if resolved else None

    # -- request bodies and responses -------------------------------------------------------

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
        self,
        new: Any,
        old_raw: dict[str, Any],
        new_raw: dict[str, Any],
        o_uri: str,
        n_uri: str,
        clauses: tuple[str, ...],
    ) -> None:
        old_body, new_body = old_raw.get("requestBody"), new_raw.get("requestBody")
        if old_body is None and new_body is None:
            return
        where = self.site((f"接口 {new.target} 请求体", f"{new.target} request body"), clauses)
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
        self._media_types("request", "input", old_media, new_media, where, o_loc, n_loc, clauses)

    def _media_types(
        self,
        kind: str,
        direction: str,
        old_media: dict[str, str],
        new_media: dict[str, str],
        where: tuple[str, str],
        o_loc: Loc | None,
        n_loc: Loc | None,
        clauses: tuple[str, ...],
        checks: tuple[str, ...] = (),
    ) -> None:
        """Media types of a request body or response: pairs, ranges, schemas."""
        pairs, added, removed = match_media(list(old_media), list(new_media))
        for media in added:
            self.add(f"{kind}-media-type-added", where, o_loc, n_loc, media)
        for media in removed:
            self.add(f"{kind}-media-type-removed", where, o_loc, n_loc, media)
        for pair in pairs:
            detail = pair.new if pair.old == pair.new else f"{pair.old} → {pair.new}"
            if pair.relation == "parameters":
                self.add(f"{kind}-media-type-parameters-changed", where, o_loc, n_loc, detail)
            elif pair.relation in ("widened", "narrowed"):
                self.add(f"{kind}-media-type-{pair.relation}", where, o_loc, n_loc, detail)
            old_schema, new_schema = old_media[pair.old], new_media[pair.new]
            if bool(old_schema) != bool(new_schema):
                rule = f"{kind}-media-type-schema-{'added' if new_schema else 'removed'}"
                self.add(
                    rule,
                    where,
                    self.old.loc(old_schema) if old_schema else o_loc,
                    self.new.loc(new_schema) if new_schema else n_loc,
                    pair.new,
                )
            elif old_schema and new_schema:
                site = self.site(
                    (f"{where[0]} {pair.new}", f"{where[1]} {pair.new}"), clauses, checks
                )
                self.schemas.compare(old_schema, new_schema, direction, site)

    def _responses(
        self,
        new: Any,
        old_raw: dict[str, Any],
        new_raw: dict[str, Any],
        o_uri: str,
        n_uri: str,
        clauses: tuple[str, ...],
    ) -> None:
        old_responses = old_raw.get("responses") or {}
        new_responses = new_raw.get("responses") or {}
        for status in sorted(set(old_responses) | set(new_responses)):
            status_clauses = _union(
                clauses,
                _x_clauses(old_responses.get(status)),
                _x_clauses(new_responses.get(status)),
            )
            where = self.site(
                (f"接口 {new.target} 响应 {status}", f"{new.target} response {status}"),
                status_clauses,
            )
            o_status_uri = child(o_uri, "responses", status)
            n_status_uri = child(n_uri, "responses", status)
            if status not in old_responses:
                self.add("response-status-added", where, None, self.new.loc(n_status_uri), status)
                continue
            if status not in new_responses:
                success = status.startswith("2") or status.upper() == "2XX"
                rule = "response-success-status-removed" if success else "response-status-removed"
                self.add(rule, where, self.old.loc(o_status_uri), None, status)
                continue
            old_media, old_obj, old_obj_uri = self._content(
                self.old, old_responses[status], o_status_uri
            )
            new_media, new_obj, new_obj_uri = self._content(
                self.new, new_responses[status], n_status_uri
            )
            o_loc, n_loc = self.old.loc(old_obj_uri), self.new.loc(new_obj_uri)
            checks = (
                ("response_schema",)
                if status.startswith("2")
                else ("response_schema", "error_envelope")
            )
            self._media_types(
                "response",
                "output",
                old_media,
                new_media,
                where,
                o_loc,
                n_loc,
                status_clauses,
                checks,
            )
            self._headers(old_obj, old_obj_uri, new_obj, new_obj_uri, where, status_clauses)

    def _headers(
        self,
        old_obj: dict[str, Any],
        old_uri: str,
        new_obj: dict[str, Any],
        new_uri: str,
        where: tuple[str, str],
        clauses: tuple[str, ...],
    ) -> None:
        def headers(
            side: Side, obj: dict[str, Any], uri: str
        ) -> dict[str, tuple[dict[str, Any], str]]:
            found: dict[str, tuple[dict[str, Any], str]] = {}
            raw = obj.get("headers") if isinstance(obj.get("headers"), dict) else {}
            for name, header in (raw or {}).items():
                resolved = side.resolve(header, child(uri, "headers", name))
                if resolved is not None and isinstance(resolved[0], dict):
                    found[str(name).lower()] = resolved
            return found

        old_headers = headers(self.old, old_obj, old_uri)
        new_headers = headers(self.new, new_obj, new_uri)
        o_loc, n_loc = self.old.loc(old_uri), self.new.loc(new_uri)
        for name in sorted(new_headers.keys() - old_headers.keys()):
            self.add(
                "response-header-added", where, o_loc, self.new.loc(new_headers[name][1]), name
            )
        for name in sorted(old_headers.keys() - new_headers.keys()):
            required = old_headers[name][0].get("required") is True
            rule = "response-required-header-removed" if required else "response-header-removed"
            self.add(rule, where, self.old.loc(old_headers[name][1]), n_loc, name)
        for name in sorted(old_headers.keys() & new_headers.keys()):
            (before, before_uri), (after, after_uri) = old_headers[name], new_headers[name]
            if (before.get("required") is True) != (after.get("required") is True):
                rule = (
                    "response-header-made-required"
                    if after.get("required") is True
                    else "response-header-made-optional"
                )
                self.add(rule, where, self.old.loc(before_uri), self.new.loc(after_uri), name)
            if "schema" in before and "schema" in after:
                site = self.site(
                    (f"{where[0]} 头部 {name}", f"{where[1]} header {name}"),
                    clauses,
                    ("response_headers",),
                )
                self.schemas.compare(
                    child(before_uri, "schema"), child(after_uri, "schema"), "output", site
                )

    def _webhooks(self, old_uri: str, new_uri: str) -> None:
        old_hooks = self.old_doc.get("webhooks") if isinstance(self.old_doc, dict) else None
        new_hooks = self.new_doc.get("webhooks") if isinstance(self.new_doc, dict) else None
        old_hooks = old_hooks if isinstance(old_hooks, dict) else {}
        new_hooks = new_hooks if isinstance(new_hooks, dict) else {}
        for name in sorted(set(old_hooks) | set(new_hooks), key=str):
            subject = (f"webhook {name}", f"webhook {name}")
            o_loc = (
                self.old.loc(child(old_uri + "#", "webhooks", name)) if name in old_hooks else None
            )
            n_loc = (
                self.new.loc(child(new_uri + "#", "webhooks", name)) if name in new_hooks else None
            )
            if name not in old_hooks:
                self.add("webhook-added", subject, None, n_loc)
            elif name not in new_hooks:
                self.add("webhook-removed", subject, o_loc, None)
            elif _no_docs(old_hooks[name]) != _no_docs(new_hooks[name]):
                self.add("webhook-changed", subject, o_loc, n_loc)

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
            clauses = _union(new[name].clauses, old[name].clauses if name in old else ())
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
            (f"导出 {new.name} 记录", f"export {new.name} record"), _union(old.clauses, new.clauses)
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

    def _api_docs(self, old_path: Path, new_path: Path, old_ops: Any, new_ops: Any) -> None:
        """Summaries, descriptions, examples, titles and tags of the OpenAPI document."""
        targets = {op.pointer: op for op in (*old_ops.values(), *new_ops.values())}
        pointers = doc_differences(self.old_doc, self.new_doc, OPENAPI_DOC_KEYS)
        old_uri = self.old.schemas.uri(old_path) + "#"
        new_uri = self.new.schemas.uri(new_path) + "#"
        for group, found in _grouped(pointers).items():
            op = targets.get(group)
            if op is not None:
                subject = self.site((f"接口 {op.target}", op.target), op.all_clauses())
            else:
                subject = (f"接口文档 {group or '/'}", f"API document {group or '/'}")
            self.add(
                "api-doc-changed",
                subject,
                self.old.loc(old_uri + group),
                self.new.loc(new_uri + group),
                describe(found, group),
            )

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


def _grouped(pointers: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for pointer in pointers:
        groups.setdefault(group_of(pointer), []).append(pointer)
    return groups


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
