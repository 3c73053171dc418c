"""Which clause a finding is blamed on: the most specific binding that covers it.

A clause names what it is about with ``binds`` (standards/README.md, "Binding a clause"):
an operation, a parameter, a response status, a schema location, a format, an export rule
or a check, alone or together.  A finding carries its context (the check, the operation,
the status, the parameter or body member a request broke, the failing keyword's schema
location and format, the export rule); among the clauses named where it was found whose
checks include the finding's check:

- a clause without ``binds`` matches every finding with specificity 0;
- a bound clause matches a finding when one of its bindings matches it, with that binding's
  specificity (the sum of its kinds' weights, a schema location adding its depth);
- the finding goes to the clauses of the highest specificity; when no clause matches (every
  one is bound elsewhere), to all of them, so a finding is never lost.

A bound clause is *exercised* by an exchange only when one of its bindings could have been
checked there (the format or schema location is reachable from the schema the body was
validated against, the parameter was sent, ...): a clause nothing exercised never passes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

from conformance.standards.model import BINDING_WEIGHTS, Binding, Clause, Standard
from conformance.validation import SchemaSet

__all__ = [
    "EXPORT_RULES",
    "EXPORT_RULE_CHECKS",
    "Router",
    "export_rule_of",
    "parameter_of",
    "status_matches",
]

# The export rules a clause can bind (``binds: [{export_rule: NAME}]``): name -> (the
# formats it applies to, the issue kinds of the readers it covers).  Unbound, a rule keeps
# the reader's own severity; bound, it fails at the level of the clause bound to it.
EXPORT_RULES: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "final-newline": (
        frozenset({"jsonl", "json", "csv", "xml"}),
        frozenset({"truncated-last-line"}),
    ),
    "bom": (frozenset({"jsonl", "json", "csv", "xml"}), frozenset({"bom"})),
    "line-endings": (frozenset({"jsonl", "json", "csv", "xml"}), frozenset({"mixed-line-endings"})),
    "mixed-encoding": (frozenset({"jsonl", "json", "csv", "xml"}), frozenset({"mixed-encoding"})),
    "gzip-name": (frozenset({"jsonl", "json", "csv", "xml"}), frozenset({"not-compressed"})),
    "csv-column-order": (frozenset({"csv"}), frozenset({"csv-column-order"})),
    "csv-formula-cell": (frozenset({"csv"}), frozenset({"formula-cell"})),
    "xml-declaration": (frozenset({"xml"}), frozenset({"xml-declaration"})),
    "doctype": (frozenset({"xml"}), frozenset({"doctype-external", "doctype-entities"})),
    "xml-root": (frozenset({"xml"}), frozenset({"xml-root"})),
    "xml-count": (frozenset({"xml"}), frozenset({"xml-count"})),
}
# The check each export rule's issues are reported under: a clause binding a rule must
# be verified by that check, or the binding can never match (lint: binding-check-unused).
EXPORT_RULE_CHECKS: Mapping[str, str] = {
    "final-newline": "export_encoding",
    "bom": "export_encoding",
    "line-endings": "export_encoding",
    "mixed-encoding": "export_encoding",
    "gzip-name": "export_encoding",
    "csv-column-order": "export_records",
    "csv-formula-cell": "export_records",
    "xml-declaration": "export_encoding",
    "doctype": "export_records",
    "xml-root": "export_records",
    "xml-count": "export_records",
}
# Rules checked only where the standard declares them (or its XSD names the root): a file
# is checked for them when its reader says it applied them (``ExportReport.rules``).
DECLARED_RULES = frozenset({"xml-root", "xml-count"})


def export_rule_of(kind: str, severity: str = "error") -> str | None:
    """The bindable export rule an export issue of ``kind`` belongs to, if any.  The CSV
    header's column order is the ``csv-header`` kind the reader reports as a warning."""
    if kind == "csv-header" and severity == "warning":
        kind = "csv-column-order"
    return next((name for name, (_, kinds) in EXPORT_RULES.items() if kind in kinds), None)


def export_rules_for(export_format: str, declared: Iterable[str] = ()) -> frozenset[str]:
    """The export rules a file of ``export_format`` is checked for; of the rules checked
    only where the standard declares them, those in ``declared``."""
    return frozenset(
        n
        for n, (formats, _) in EXPORT_RULES.items()
        if export_format in formats and (n not in DECLARED_RULES or n in declared)
    )


MAX_REACH_NODES = 100_000  # a schema graph walked for reachability, bounded


def status_matches(pattern: str, status: str | int | None) -> bool:
    """Whether a binding's ``status`` (``404``, ``4XX``, ``default``) covers ``status``."""
    if status is None:
        return False
    status = str(status)
    pattern = pattern.upper()
    if pattern == "DEFAULT":
        return True
    if pattern.endswith("XX"):
        return status[:1] == pattern[:1]
    return pattern == status


def parameter_of(mutation_kind: str | None) -> str | None:
    """The parameter or top-level body member an invalid request broke, from its kind
    (``query:page_size:maximum``, ``body:/holder/id_number:pattern``, ``body:unknown``)."""
    if not mutation_kind:
        return None
    part, _, rest = mutation_kind.partition(":")
    if part == "body":
        pointer, _, _ = rest.rpartition(":")
        if pointer.startswith("/"):
            first = pointer[1:].split("/", 1)[0]
            return first.replace("~1", "/").replace("~0", "~") or None
        return None
    name, _, _ = rest.rpartition(":")
    return name or None


def _within(location: str, scope: str) -> bool:
    """Whether the schema location ``location`` lies at or below ``scope``."""
    loc_uri, loc_frag = urldefrag(location)
    scope_uri, scope_frag = urldefrag(scope)
    if loc_uri != scope_uri:
        return False
    scope_frag = scope_frag.rstrip("/")
    return loc_frag == scope_frag or loc_frag.startswith(scope_frag + "/")


class Router:
    """Routes findings to clauses for one standard; safe across threads."""

    def __init__(self, standard: Standard, schemas: SchemaSet | None) -> None:
        self.standard = standard
        self.schemas = schemas
        self._clauses = {c.id: c for c in standard.clauses}
        self._scopes: dict[str, str] = {}
        self._reach: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._covers: dict[tuple[str, str, str], bool] = {}
        self._lock = threading.Lock()

    # -- schema locations -------------------------------------------------------------

    def scope(self, value: str) -> str:
        """A binding's ``schema`` (``schemas/x.json#/$defs/A``) as an absolute location."""
        found = self._scopes.get(value)
        if found is None:
            path, _, fragment = value.partition("#")
            if self.schemas is not None:
                uri = self.schemas.uri(self.standard.folder / path)
            else:
                uri = (self.standard.folder / path).resolve().as_uri()
            found = self._scopes[value] = f"{uri}#{fragment}"
        return found

    def reach(self, root: str) -> tuple[frozenset[str], frozenset[str]]:
        """Every schema location and format reachable from the schema at ``root`` (refs
        followed), for "was this binding's location or format checked here"."""
        with self._lock:
            cached = self._reach.get(root)
        if cached is not None:
            return cached
        locations: set[str] = set()
        formats: set[str] = set()
        if self.schemas is not None:
            self._walk(root, locations, formats)
        result = (frozenset(locations), frozenset(formats))
        with self._lock:
            self._reach[root] = result
        return result

    def _walk(self, root: str, locations: set[str], formats: set[str]) -> None:
        assert self.schemas is not None
        pending = [root]
        budget = MAX_REACH_NODES
        while pending and budget > 0:
            uri = pending.pop()
            if uri in locations:
                continue
            locations.add(uri)
            try:
                contents, _ = self.schemas.lookup(uri)
            except Exception:  # noqa: S112 - an unresolvable ref: lint reports it
                continue
            base, fragment = urldefrag(uri)
            stack: list[tuple[Any, str]] = [(contents, fragment)]
            while stack and budget > 0:
                node, pointer = stack.pop()
                budget -= 1
                if isinstance(node, dict):
                    locations.add(f"{base}#{pointer}")
                    if isinstance(node.get("format"), str):
                        formats.add(node["format"])
                    for key in ("$ref", "$dynamicRef"):
                        if isinstance(node.get(key), str):
                            pending.append(urljoin(base, node[key]))
                    for key, value in node.items():
                        if isinstance(value, dict | list) and key not in ("enum", "const"):
                            token = str(key).replace("~", "~0").replace("/", "~1")
                            stack.append((value, f"{pointer}/{token}"))
                elif isinstance(node, list):
                    stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(node))

    def covers(self, root: str, kind: str, value: str) -> bool:
        """Whether the schema at ``root`` reaches the binding's schema location or format."""
        key = (root, kind, value)
        found = self._covers.get(key)
        if found is None:
            locations, formats = self.reach(root)
            if kind == "format":
                found = value in formats
            else:
                scope = self.scope(value)
                found = any(_within(loc, scope) for loc in locations)
            self._covers[key] = found
        return found

    # -- matching -----------------------------------------------------------------------

    def specificity(self, binding: Binding, context: Mapping[str, Any]) -> int | None:
        """How specifically ``binding`` covers a finding with ``context``; None: it does not."""
        score = 0
        for kind, value in binding.kinds:
            found = context.get(kind)
            if kind == "status":
                if not status_matches(value, found):
                    return None
            elif kind == "schema":
                if not isinstance(found, str) or not _within(found, self.scope(value)):
                    return None
                score += urldefrag(self.scope(value))[1].count("/")
            elif found != value:
                return None
            score += BINDING_WEIGHTS[kind]
        return score

    def clause_score(self, clause: Clause, context: Mapping[str, Any]) -> int | None:
        if not clause.binds:
            return 0
        scores = [self.specificity(b, context) for b in clause.binds]
        matched = [s for s in scores if s is not None]
        return max(matched) if matched else None

    def binds_rule(self, clause_id: str, rule: str) -> bool:
        """Whether the clause binds the export rule ``rule``."""
        clause = self._clauses.get(clause_id)
        return clause is not None and any(b.get("export_rule") == rule for b in clause.binds)

    def route(self, clause_ids: Iterable[str], context: Mapping[str, Any]) -> list[str]:
        """The clauses among ``clause_ids`` a finding with ``context`` is blamed on."""
        ids = list(clause_ids)
        scored = {}
        for clause_id in ids:
            clause = self._clauses.get(clause_id)
            if clause is None:
                continue
            score = self.clause_score(clause, context)
            if score is not None:
                scored[clause_id] = score
        if not scored:
            return ids
        best = max(scored.values())
        return [c for c in ids if scored.get(c) == best]

    def exercised(self, clause_id: str, context: Mapping[str, Any]) -> bool:
        """Whether an exchange (or file) with ``context`` could show a finding that one of
        the clause's bindings matches.  ``context`` holds ``check``, ``operation``,
        ``status``, ``parameters`` (names sent), ``schemas`` (the roots validated) and
        ``export_rules`` (the rules a reader applied), each where known."""
        clause = self._clauses.get(clause_id)
        if clause is None or not clause.binds:
            return True
        return any(self._could_match(b, context) for b in clause.binds)

    def _could_match(self, binding: Binding, context: Mapping[str, Any]) -> bool:
        roots: Iterable[str] = context.get("schemas") or ()
        for kind, value in binding.kinds:
            if kind == "status":
                if not status_matches(value, context.get("status")):
                    return False
            elif kind == "parameter":
                if value not in (context.get("parameters") or ()):
                    return False
            elif kind == "format" and value in (context.get("formats") or ()):
                continue  # an XML field format, checked on every record
            elif kind in ("schema", "format"):
                if not any(self.covers(root, kind, value) for root in roots):
                    return False
            elif kind == "export_rule":
                if value not in (context.get("export_rules") or ()):
                    return False
            elif context.get(kind) != value:
                return False
        return True
