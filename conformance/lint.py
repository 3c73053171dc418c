"""``conformance standards lint``: every problem in a standard version folder, located.

Each rule has a stable id.  Lint never touches the network: ``$ref``s are checked to
stay inside the folder before any validator is allowed to follow them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence, Set
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

import regex
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from conformance._lint_lifecycle import lint_lifecycle
from conformance.checks import all_checks
from conformance.engine.binding import EXPORT_RULE_CHECKS, EXPORT_RULES
from conformance.errors import Location, StandardError, UsageError
from conformance.exports import (
    Severity,
    fast_path_refusal,
    lint_rules,
    typed_path_survey,
    validate_export,
)
from conformance.formats import FORMATS
from conformance.generation import UnsatisfiableSchema, backtracking, from_schema
from conformance.regex_validator import (
    PROBE_TIMEOUT_S,
    PatternTimeout,
    find_runaway,
    outside_any_run,
)
from conformance.results import LintIssue
from conformance.standards._documents import Document, join_pointer, load_data, load_document
from conformance.standards.loader import (
    MANIFEST,
    StandardsRepository,
    content_digest,
    duplicate_clause_errors,
    load_standard,
    manifest_errors,
)
from conformance.standards.model import ExportSpec, Standard, Verification
from conformance.standards.operations import Operation, load_operations
from conformance.standards.seal import XS, load_xsd, resolve_in_folder, version_folder, xsd_closure
from conformance.validation import SchemaSet

__all__ = ["LintIssue", "lint_folder", "lint_paths", "lint_standard", "lint_summary"]

API_CORE_CHECKS = ("status_code_documented", "content_type_documented", "response_schema")
EXPORT_CORE_CHECKS = ("export_records", "export_encoding")
# Keywords whose values are instance data, not schemas: never walked for keywords.
_DATA_KEYWORDS = frozenset({"example", "examples", "enum", "const", "default"})
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# XSD regular expressions that Python reads differently (class subtraction, \i \c, and
# ^ $, plain characters in XSD): such patterns are left to the timing probe.
_XSD_ONLY = re.compile(r"-\[|\\[iIcC]|[\^$]")
_SCHEMA_URI = re.compile(r"file://(?P<path>[^#\s]+)#(?P<pointer>[^\s:)]*)")


def _issue(rule: str, error: StandardError) -> LintIssue:
    return LintIssue(rule, error.message, error.location or Location("?"))


def _walk(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping in a document, skipping instance data under example-like keywords."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            if key in _DATA_KEYWORDS and not (key == "examples" and isinstance(value, dict)):
                continue
            yield from _walk(value, join_pointer(pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, join_pointer(pointer, index))


_NOT_FOUND: Any = object()


def _pointer_value(data: Any, pointer: str) -> Any:
    """The value at a JSON pointer (URI-escaped or not), or _NOT_FOUND."""
    for token in pointer.lstrip("/").split("/") if pointer else []:
        token = unquote(token).replace("~1", "/").replace("~0", "~")
        if isinstance(data, dict) and token in data:
            data = data[token]
        elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return _NOT_FOUND
    return data


def _references(node: Any, base: str, pointer: str = "") -> Iterator[tuple[str, str, str, str]]:
    """``(pointer, keyword, reference, base URI)`` of every ``$ref`` and ``$dynamicRef``,
    each with the base it resolves against (the document's URI and any ``$id`` above it,
    as JSON Schema 2020-12 says).  A ``$id`` yields itself as ``("", "$id", "", uri)``, so
    that callers can tell the resources a document embeds."""
    if isinstance(node, dict):
        declared = node.get("$id")
        if isinstance(declared, str):
            base = urljoin(base, declared)
            yield pointer, "$id", "", base.partition("#")[0]
        for keyword in ("$ref", "$dynamicRef"):
            if isinstance(node.get(keyword), str):
                yield pointer, keyword, node[keyword], base
        for key, value in node.items():
            if key in _DATA_KEYWORDS and not (key == "examples" and isinstance(value, dict)):
                continue
            yield from _references(value, base, join_pointer(pointer, key))
    elif isinstance(node, list):
        for position, value in enumerate(node):
            yield from _references(value, base, join_pointer(pointer, position))


def _fragment_found(data: Any, fragment: str) -> bool:
    """A JSON pointer fragment names a value; a plain-name fragment a ``$anchor``."""
    if not fragment or fragment.startswith("/"):
        return _pointer_value(data, fragment) is not _NOT_FOUND
    name = unquote(fragment)
    return any(
        node.get("$anchor") == name or node.get("$dynamicAnchor") == name for _, node in _walk(data)
    )


class _Linter:
    def __init__(
        self,
        folder: Path,
        schemas: SchemaSet | None = None,
        standard: Standard | None = None,
        operations: Sequence[Operation] | None = None,
    ) -> None:
        self.folder = folder.resolve()
        self.issues: list[LintIssue] = []
        self.schemas = schemas if schemas is not None else SchemaSet(self.folder)
        self.standard = standard  # loaded already by the caller, or None
        self._operations = list(operations) if operations is not None else None
        self.current: Path = self.folder / MANIFEST  # the document being checked

    def add(self, rule: str, message: str, location: Location, severity: str = "error") -> None:
        self.issues.append(LintIssue(rule, message, location, severity))

    def run(self) -> list[LintIssue]:
        try:
            return self._run()
        except RecursionError:
            # Documents are depth-capped at load; a chain of thousands of $refs can still
            # nest a schema beyond what validators and generators can walk.
            self.add(
                "schema-too-deep",
                "schemas nest (through $ref) too deeply to validate or generate from: the "
                "recursion limit was reached; flatten the chain of references",
                Location(self.current),
            )
        except StandardError as exc:  # a document that failed to load in a later step
            self._parse_issue(exc)
        return self.issues

    def _parse_issue(self, exc: StandardError) -> None:
        issue = _issue("document-parse", exc)
        if issue not in self.issues:  # one document may be reached by several $refs
            self.issues.append(issue)

    def _run(self) -> list[LintIssue]:
        manifest = self.folder / MANIFEST
        try:
            doc = self.schemas.document(manifest)
        except StandardError as exc:
            self.issues.append(_issue("manifest-parse", exc))
            return self.issues
        structural = [_issue("manifest-schema", e) for e in manifest_errors(doc)]
        structural += [_issue("clause-duplicate", e) for e in duplicate_clause_errors(doc)]
        self.issues += structural
        if structural:
            return self.issues
        self._folder_name(doc)
        try:
            content_digest(self.folder)
        except StandardError as exc:
            self.issues.append(_issue("path-symlink", exc))
            return self.issues  # loading would only refuse the same link again
        # versioning and dates; a profile in full
        if lint_lifecycle(self.folder, self.issues, lint_folder, self.standard):
            return self.issues
        try:
            standard = self.standard or load_standard(self.folder)
        except StandardError as exc:
            rule = "path-outside" if "leaves" in exc.message else "path-missing"
            self.issues.append(_issue(rule, exc))
            return self.issues
        documents = self._documents(standard)
        ref_errors = self._refs(documents)
        parsed = [d for d in documents if not any(i.location.path == d for i in self.issues)]
        for path in parsed:
            self.current = path
            self._schemas_valid(standard, path)
        unusable = {  # exports whose XSD lint refuses: their examples say nothing more
            spec.name
            for spec in standard.exports
            if spec.format == "xml"
            and not self._xsd(spec.schema_path, spec.record_element or "", doc, standard)
        }
        if standard.openapi_path is not None and not ref_errors:
            self.current = standard.openapi_path
            self._openapi(standard.openapi_path)
            self._behaviour(standard)
        if not ref_errors:
            for path in documents:
                self.current = path
                self._satisfiable(path)
                self._examples(path)
            if standard.openapi_path is not None:
                self.current = standard.openapi_path
                self._generatable(standard.openapi_path)
                self._dependencies(standard.openapi_path)
            self.current = manifest
            self._export_examples(standard, doc, unusable)
        self.current = manifest
        self._clauses(standard, doc)
        self._export_rules(standard, doc)
        if not ref_errors:
            self._export_paths(standard, doc)
        return self.issues

    def _export_paths(self, standard: Standard, manifest: Document) -> None:
        """A JSON export whose record schema the fast path cannot mirror: say where and
        what it costs (every record through the exact validator alone)."""
        for index, spec in enumerate(standard.exports):
            if spec.format == "xml":
                continue
            folder = version_folder(spec.schema_path)
            reason = fast_path_refusal(spec.schema_path, folder)
            if reason is None:
                self._typed_path(spec, index, folder, manifest)
                continue
            self.add(
                "export-slow-path",
                f"export {spec.name}: record schema {spec.schema_path.name} gets no fast "
                f"path: {reason}; every record is then validated by python-jsonschema "
                "alone, one Python call per record and per value (tens of times slower "
                "on large exports); expected only constructs the fast path mirrors",
                manifest.location(f"/exports/{index}/schema"),
                severity="warning",
            )

    def _typed_path(self, spec: ExportSpec, index: int, folder: Path, manifest: Document) -> None:
        """A JSON Lines export whose records the typed path cannot read: say where and why
        (each record is then parsed whole and checked by jsonschema-rs, a block at a time)."""
        if spec.format != "jsonl" or len(spec.key) > 1:
            return  # the typed path reads JSON Lines keyed by one field at most
        key = spec.key[0] if spec.key else None
        reason, members = typed_path_survey(spec.schema_path, folder, key)
        if reason is None:
            for member in members:
                self.add(
                    "export-member-checked-whole",
                    f"export {spec.name}: a member of the JSON Lines records of "
                    f"{spec.schema_path.name} is read as JSON and checked whole by "
                    f"jsonschema-rs, a block at a time ({member}); the rest of each record "
                    "keeps the typed path's columns",
                    manifest.location(f"/exports/{index}/schema"),
                    severity="info",
                )
            return
        self.add(
            "export-block-path",
            f"export {spec.name}: JSON Lines records of {spec.schema_path.name} get no typed "
            f"path ({reason}); each record is then parsed whole and checked by jsonschema-rs, "
            "slower than the typed path's columns; expected only constructs the typed path "
            "reads (ARCHITECTURE.md lists them)",
            manifest.location(f"/exports/{index}/schema"),
            severity="warning",
        )

    def operations(self, standard: Standard) -> list[Operation]:
        """The standard's operations, read once (raises StandardError when they cannot be)."""
        if self._operations is None:
            assert standard.openapi_path is not None
            self._operations = load_operations(self.schemas, standard.openapi_path)
        return self._operations

    def _export_rules(self, standard: Standard, manifest: Document) -> None:
        """Cross-record rules of exports: referenced exports and operations exist."""
        operation_ids: set[str] = set()
        if standard.openapi_path is not None:
            with suppress(StandardError):  # reported by the operation checks
                operation_ids = {op.operation_id for op in self.operations(standard)}
        self.issues += lint_rules(standard, manifest, operation_ids)

    def _folder_name(self, doc: Document) -> None:
        data = doc.data
        if (self.folder.parent.name, self.folder.name) != (data["id"], data["version"]):
            self.add(
                "folder-name",
                f"folder is {self.folder.parent.name}/{self.folder.name}, expected "
                f"{data['id']}/{data['version']} (standards/<id>/<version>/)",
                doc.location("/version"),
            )

    def _documents(self, standard: Standard) -> list[Path]:
        roots = [s.schema_path for s in standard.exports if s.format != "xml"]
        if standard.openapi_path is not None:
            roots.insert(0, standard.openapi_path)
        return list(dict.fromkeys(roots))

    def _refs(self, roots: list[Path]) -> int:
        """Check every $ref of every reachable document; add newly reached documents to roots.

        A reference is resolved as the validators resolve it: against the document's URI
        and the ``$id``s above it, percent-decoded, through the file system.  It must name
        a file inside the folder, directly or by the ``$id`` that file declares.
        """
        errors = 0
        index = 0
        while index < len(roots):
            path = roots[index]
            index += 1
            try:
                doc = self.schemas.document(path)
            except StandardError as exc:
                self._parse_issue(exc)
                errors += 1
                continue
            found_here = list(_references(doc.data, self.schemas.uri(path)))
            embedded = {uri for _, keyword, _, uri in found_here if keyword == "$id"}
            for pointer, keyword, ref, base in found_here:
                if keyword == "$id":
                    continue
                where = doc.location(join_pointer(pointer, keyword))
                target = resolve_in_folder(self.folder, base, ref)
                found = target.path
                if found is None and target.outside:
                    found = self.schemas.declared_ids().get(target.uri)
                    if found is None and target.uri in embedded:
                        continue  # a resource this document declares itself
                if found is None:
                    rule = "ref-missing" if not target.outside else "ref-outside"
                    if target.outside and _URL.match(ref):
                        rule = "ref-url"
                    hint = (
                        ""
                        if rule == "ref-missing"
                        else "; refs must stay in the folder: a relative path, or the $id "
                        "of a document inside it"
                    )
                    self.add(rule, f"{keyword}={ref!r} {target.reason}{hint}", where)
                    errors += 1
                    continue
                if found.suffix not in (".json", ".yaml", ".yml"):
                    self.add(
                        "ref-type", f"{keyword}={ref!r}: expected a .json or .yaml file", where
                    )
                    errors += 1
                    continue
                try:
                    target_doc = self.schemas.document(found)
                except StandardError as exc:
                    self._parse_issue(exc)
                    errors += 1
                    continue
                fragment = ref.partition("#")[2]
                if not _fragment_found(target_doc.data, fragment):
                    what = "pointer" if fragment.startswith("/") else "anchor"
                    self.add(
                        "ref-pointer", f"{keyword}={ref!r}: {what} {fragment!r} not found", where
                    )
                    errors += 1
                if found not in roots:
                    roots.append(found)
        return errors

    def _schema_pointers(self, path: Path) -> Iterator[str]:
        """Pointers of the schema objects in a document (the document itself for a schema file)."""
        data = self.schemas.document(path).data
        if not (isinstance(data, dict) and "openapi" in data):
            yield ""
            return
        for name in (data.get("components") or {}).get("schemas") or {}:
            yield join_pointer("", "components", "schemas", name)
        for pointer, node in _walk(data):
            if "/components/schemas" in pointer:
                continue
            schema = node.get("schema")
            if isinstance(schema, (dict, bool)):
                yield join_pointer(pointer, "schema")

    def _subschema(self, path: Path, pointer: str) -> Any:
        return _pointer_value(self.schemas.document(path).data, pointer)

    def _schemas_valid(self, standard: Standard, path: Path) -> None:
        doc = self.schemas.document(path)
        for pointer in self._schema_pointers(path):
            schema = self._subschema(path, pointer)
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                inner = join_pointer(pointer, *exc.path)
                self.add(
                    "schema-invalid",
                    f"not a valid JSON Schema 2020-12: {exc.message}",
                    doc.location(inner),
                )
        for pointer, node in _walk(doc.data):
            fmt = node.get("format")
            if isinstance(fmt, str) and fmt not in FORMATS:
                self.add(
                    "format-unknown",
                    f"format={fmt!r} is not in the suite's format registry, so it is an "
                    "annotation: no value is ever checked against it; expected one of: "
                    f"{', '.join(FORMATS)} (or a pattern that says the same)",
                    doc.location(join_pointer(pointer, "format")),
                    severity="warning",
                )
            patterns = [("pattern", node.get("pattern"))]
            patterns += [(f"patternProperties/{k}", k) for k in node.get("patternProperties") or {}]
            for where, pattern in patterns:
                if not isinstance(pattern, str):
                    continue
                try:
                    regex.compile(pattern)
                except regex.error as exc:
                    self.add(
                        "pattern-invalid",
                        f"pattern={pattern!r} does not compile: {exc}",
                        doc.location(f"{pointer}/{where}"),
                    )
                    continue
                self._backtracking(
                    pattern, doc.location(join_pointer(pointer, *where.split("/", 1)))
                )

    def _backtracking(self, pattern: str, where: Location, *, unbounded: bool = False) -> None:
        """A pattern whose matching time grows super-linearly with the value: exponential
        (nested or overlapping repetition) is an error, polynomial a warning (the run's
        pattern budget bounds it), or an error too where nothing bounds it (``unbounded``:
        XSD patterns, which libxml2 evaluates).  Static analysis first; the timing probe
        catches what the analysis cannot read (backreferences, lookarounds)."""
        found = backtracking(pattern)
        if found is not None and found.kind == "exponential":
            self.add(
                "pattern-backtracking",
                f"pattern={pattern!r} backtracks catastrophically: {found.describe()}; "
                "validation and generation would stall on such values. Rewrite it without "
                "nested or overlapping repetition",
                where,
            )
            return
        probe = find_runaway(pattern)
        if probe is not None:
            self.add(
                "pattern-backtracking",
                f"pattern={pattern!r} backtracks catastrophically: searching {probe!r} "
                f"({len(probe)} characters) took more than {PROBE_TIMEOUT_S:g}s; validation "
                "and generation would stall on such values. Rewrite it without nested or "
                "overlapping repetition",
                where,
            )
        elif found is not None and unbounded:
            self.add(
                "pattern-backtracking",
                f"pattern={pattern!r} backtracks polynomially: {found.describe()}; libxml2 "
                "checks XSD patterns with no time bound (a value of a megabyte would take "
                "hours). Rewrite it so that neighbouring repetitions cannot match the same "
                "characters",
                where,
            )
        elif found is not None:
            self.add(
                "pattern-polynomial",
                f"pattern={pattern!r} backtracks polynomially: {found.describe()}; a long "
                "value costs seconds to check and the run's pattern budget may run out "
                "(its checks then end as errors). Rewrite it so that neighbouring "
                "repetitions cannot match the same characters",
                where,
                severity="warning",
            )

    def _openapi(self, path: Path) -> None:
        from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

        doc = load_document(path)  # as written: a 3.0 document is validated before normalising
        version = str(doc.data.get("openapi", ""))
        if version.startswith("3.1."):
            spec_validator: Any = OpenAPIV31SpecValidator
        elif version.startswith("3.0."):
            spec_validator = OpenAPIV30SpecValidator
        else:
            self.add(
                "openapi-version",
                f"openapi={version!r}, expected 3.1.x (or 3.0.x, normalised at load)",
                doc.location("/openapi"),
            )
            return
        sealed = type(
            spec_validator.__name__,
            (spec_validator,),
            {"resolver_handlers": _SealedHandlers(self._sealed_read)},
        )
        validator = sealed(doc.data, base_uri=path.as_uri())
        for error in validator.iter_errors():
            pointer = join_pointer("", *error.absolute_path)
            self.add(
                "openapi-invalid",
                f"not a valid OpenAPI {version} document: {error.message}",
                doc.location(pointer),
            )

    def _behaviour(self, standard: Standard) -> None:
        """Behaviour declarations (x-pagination, x-filters, x-item, x-state-model) are usable."""
        from conformance.checks.behaviour import declaration_issues

        assert standard.openapi_path is not None
        try:
            operations = self.operations(standard)
            doc = self.schemas.document(standard.openapi_path)
        except StandardError:
            return  # the document's own findings say why
        exports = [spec.name for spec in standard.exports]
        for rule, message, pointer in declaration_issues(operations, exports):
            self.add(rule, message, doc.location(pointer))

    def _sealed_read(self, uri: str) -> Any:
        """What openapi-spec-validator may read: documents of the folder, as written."""
        path = self.schemas.path_of(uri)
        if path is None:
            raise StandardError(f"uri={uri!r} is not a document of the version folder")
        return load_data(path)

    def _satisfiable(self, path: Path) -> None:
        """Schemas no value can satisfy: generation has nothing to draw, every response fails."""
        doc = self.schemas.document(path)
        pointers = list(self._schema_pointers(path))
        if not pointers or pointers == [""]:
            defs = doc.data.get("$defs") if isinstance(doc.data, dict) else None
            pointers += [join_pointer("", "$defs", name) for name in defs or {}]
        for pointer in pointers:
            uri = f"{self.schemas.uri(path)}#{pointer}"
            try:
                from_schema({"$ref": uri}, resolver=self.schemas.registry.resolver())
            except UnsatisfiableSchema as exc:
                message, location = self._located(str(exc), doc.location(pointer))
                issue = LintIssue(
                    "schema-unsatisfiable", f"no value can satisfy this schema: {message}", location
                )
                if issue not in self.issues:
                    self.issues.append(issue)
            except RecursionError:
                raise  # reported by run() as schema-too-deep
            except Exception:  # noqa: S112 - what generation cannot build is not lint's to judge
                continue

    def _generatable(self, openapi: Path) -> None:
        """Request schemas (parameters, bodies) hold nothing the generator cannot draw: a run
        would otherwise fail half way through drawing, after requests were sent."""
        from conformance.engine.openapi import load_operations
        from conformance.generation import unsupported

        try:
            operations = load_operations(self.schemas, openapi)
        except StandardError:
            return  # reported by the operation checks
        uris = [p.schema_uri for op in operations for p in op.parameters]
        uris += [op.body.schema_uri for op in operations if op.body is not None]
        for uri in dict.fromkeys(u for u in uris if u):
            schema, resolver = self.schemas.lookup(uri)
            for problem in unsupported(schema, resolver, unquote(uri.partition("#")[2])):
                location = self._uri_location(problem.where, openapi)
                issue = LintIssue(
                    "schema-unsupported",
                    f"requests cannot be generated from this schema: {problem.message}",
                    location,
                )
                if issue not in self.issues:
                    self.issues.append(issue)

    def _dependencies(self, openapi: Path) -> None:
        """``x-dependencies`` (inter-parameter dependencies): each rule well formed, naming
        parameters of its operation, satisfiable, and kept by the operation's example."""
        from conformance.engine.cases import example_case, present_values
        from conformance.generation import parse_dependencies, violated

        try:
            operations = load_operations(self.schemas, openapi)
        except StandardError:
            return  # reported by the operation checks
        doc = self.schemas.document(openapi)
        places = [("", doc.data)] + [
            (op.pointer, _pointer_value(doc.data, op.pointer)) for op in operations
        ]
        for pointer, node in places:
            if isinstance(node, dict) and not isinstance(node.get("x-inputs-complete", True), bool):
                self.add(
                    "inputs-complete-invalid",
                    "x-inputs-complete is true or false",
                    doc.location(join_pointer(pointer, "x-inputs-complete")),
                )
        for op in operations:
            raw = op.extensions.get("x-dependencies")
            if raw is None:
                continue
            at = join_pointer(op.pointer, "x-dependencies")
            rules, errors = parse_dependencies(raw)
            for pointer, message in errors:
                self.add(
                    "dependency-invalid",
                    f"x-dependencies of {op.operation_id}: {message}",
                    doc.location(at + pointer),
                )
            declared = {p.name: p for p in op.parameters}
            for rule in rules:
                where = doc.location(join_pointer(at, str(rule.index)))
                unknown = [n for n in rule.parameters if n not in declared]
                if unknown:
                    self.add(
                        "dependency-unknown-parameter",
                        f"x-dependencies of {op.operation_id}: {rule.text()} names "
                        f"{', '.join(map(repr, unknown))}, not a parameter of the operation",
                        where,
                    )
                    continue
                required = [n for n in rule.names if declared[n].required]
                if rule.kind in ("onlyOne", "zeroOrOne") and len(required) > 1:
                    self.add(
                        "dependency-unsatisfiable",
                        f"x-dependencies of {op.operation_id}: {rule.text()} can never hold: "
                        f"{', '.join(required)} are all required",
                        where,
                    )
            example = example_case(op)
            if example is not None and not errors:
                for rule in violated(rules, present_values(example)):
                    self.add(
                        "dependency-example",
                        f"the example request of {op.operation_id} breaks its dependency "
                        f"{rule.text()}",
                        doc.location(join_pointer(at, str(rule.index))),
                    )

    def _uri_location(self, where: str, fallback: Path) -> Location:
        """A file URI with a JSON pointer fragment, as a located place in the folder."""
        file_part, _, fragment = where.partition("#")
        path = self.schemas.path_of(file_part) if file_part else None
        pointer = unquote(fragment)
        if path is None:
            return Location(fallback, None, pointer)
        return self.schemas.document(path).location(pointer)

    def _located(self, message: str, fallback: Location) -> tuple[str, Location]:
        """The message with file URIs made relative, and the innermost place it names."""
        found = list(_SCHEMA_URI.finditer(message))
        location = fallback
        if found:
            path = Path(unquote(found[-1]["path"]))
            pointer = unquote(found[-1]["pointer"])
            if path.resolve().is_relative_to(self.folder) and path.is_file():
                location = self.schemas.document(path).location(pointer)
        prefix = self.folder.as_uri() + "/"
        return message.replace(prefix, ""), location

    def _examples(self, path: Path) -> None:
        doc = self.schemas.document(path)
        is_openapi = isinstance(doc.data, dict) and "openapi" in doc.data
        schema_pointers = set(self._schema_pointers(path))
        for pointer, node in _walk(doc.data):
            examples: list[tuple[str, Any]] = []
            target_schema: str | None = None
            if pointer in schema_pointers or (not is_openapi and _looks_like_schema(node)):
                target_schema = pointer
                raw = node.get("examples")
                if isinstance(raw, list):
                    examples = [
                        (join_pointer(pointer, "examples", i), v) for i, v in enumerate(raw)
                    ]
                if is_openapi and "example" in node:
                    examples.append((join_pointer(pointer, "example"), node["example"]))
            elif is_openapi and isinstance(node.get("schema"), (dict, bool)):
                target_schema = join_pointer(pointer, "schema")
                if "example" in node:
                    examples.append((join_pointer(pointer, "example"), node["example"]))
                for name, value in (
                    (node.get("examples") or {}).items()
                    if isinstance(node.get("examples"), dict)
                    else ()
                ):
                    if isinstance(value, dict) and "value" in value:
                        examples.append(
                            (join_pointer(pointer, "examples", name, "value"), value["value"])
                        )
            if target_schema is None or not examples:
                continue
            validator = self.schemas.validator_at(path, target_schema)
            for where, value in examples:
                try:
                    errors = list(validator.iter_errors(value))
                except PatternTimeout as exc:
                    location = exc.location or doc.location(where)
                    if not any(
                        i.rule == "pattern-backtracking" and i.location == location
                        for i in self.issues
                    ):  # the probe may have found it already
                        self.add(
                            "pattern-backtracking",
                            f"{exc.message} (validating the example at {where})",
                            location,
                        )
                    continue
                for error in errors:
                    inner = join_pointer("", *error.absolute_path)
                    self.add(
                        "example-invalid",
                        f"example does not validate at {inner or '/'}: {error.message[:200]}",
                        doc.location(where),
                    )

    def _export_examples(
        self, standard: Standard, manifest: Document, unusable: Set[str] = frozenset()
    ) -> None:
        for index, spec in enumerate(standard.exports):
            if spec.name in unusable:
                continue
            for number, example in enumerate(spec.examples):
                where = manifest.location(f"/exports/{index}/examples/{number}")
                try:
                    report = validate_export(spec, example, max_per_type=5)
                except Exception as exc:  # the suite's reader raised: not checked, say so
                    self.add(
                        "example-unchecked",
                        f"export example {example.name} could not be validated: the suite "
                        f"raised {type(exc).__name__}: {exc}",
                        where,
                    )
                    continue
                for issue in report.issues:
                    if issue.severity is Severity.ERROR:
                        self.add(
                            "example-invalid",
                            f"export example {example.name}: {issue.location()}: {issue.message}",
                            where,
                        )

    def _xsd(self, path: Path, record_element: str, manifest: Document, standard: Standard) -> bool:
        """The XSD and every file it includes or imports: inside the folder, compiling, with
        the record element global.  False when the XSD cannot be used at all."""
        try:
            trees, refused = xsd_closure(path, self.folder)
        except StandardError as exc:
            self.issues.append(_issue("xsd-invalid", exc))
            return False
        for reference, target in refused:
            if not target.outside:
                rule, hint = "ref-missing", ""
            else:
                rule = "ref-url" if _URL.match(reference.location) else "ref-outside"
                hint = (
                    "; schema locations must stay in the folder: a relative path to a copy "
                    "of the schema inside it"
                )
            self.add(rule, f"{reference.describe()} {target.reason}{hint}", reference.where)
        if refused:
            return False
        try:
            load_xsd(path, self.folder)
        except StandardError as exc:
            self.issues.append(_issue("xsd-invalid", exc))
            return False
        for file, tree in trees.items():
            for facet in tree.getroot().iter(f"{XS}pattern"):
                value = facet.get("value")
                if isinstance(value, str) and not _XSD_ONLY.search(value):
                    # an XSD pattern matches the whole value: anchored at both ends
                    where = Location(file, facet.sourceline)
                    self._backtracking(f"^(?:{value})$", where, unbounded=True)
        globals_ = {
            element.get("name")
            for tree in trees.values()
            for element in tree.getroot().findall(f"{XS}element")
        }
        if record_element not in globals_:
            self.add(
                "xsd-record-element",
                f"record_element={record_element!r} is not a global element of {path.name}; "
                "per-record validation needs it declared at the top level",
                Location(path, 1),
            )
        return True

    def _clauses(self, standard: Standard, manifest: Document) -> None:
        known_checks = {c.id for c in all_checks()}
        for index, clause in enumerate(standard.clauses):
            for check in clause.checks:
                if check not in known_checks:
                    self.add(
                        "clause-check-unknown",
                        f"clause {clause.id} names check={check!r}; "
                        f"known: {', '.join(sorted(known_checks))}",
                        manifest.location(f"/requirements/{index}/checks"),
                    )
        named: set[str] = set()
        defined = standard.clause_ids
        operations: list[Operation] = []
        if standard.openapi_path is not None:
            openapi = self.schemas.document(standard.openapi_path)
            try:
                operations = self.operations(standard)
            except StandardError as exc:
                self.issues.append(_issue("openapi-invalid", exc))
                operations = []
            for op in operations:
                where = openapi.location(op.pointer)
                clause_ids = op.all_clauses()
                named.update(clause_ids)
                for clause_id in clause_ids:
                    if clause_id not in defined:
                        self.add(
                            "clause-unknown",
                            f"{op.target} names clause {clause_id}, not in standard.yaml",
                            where,
                        )
                if not op.clauses:
                    self.add("operation-no-clauses", f"{op.target} has no x-clauses", where)
                self._coverage(standard, op.target, clause_ids, API_CORE_CHECKS, where)
        for index, spec in enumerate(standard.exports):
            where = manifest.location(f"/exports/{index}/clauses")
            named.update(spec.clauses)
            for clause_id in spec.clauses:
                if clause_id not in defined:
                    self.add(
                        "clause-unknown",
                        f"export {spec.name} names clause {clause_id}, not defined",
                        where,
                    )
            wanted = EXPORT_CORE_CHECKS + (("export_unique_keys",) if spec.key else ())
            self._coverage(standard, f"export {spec.name}", spec.clauses, wanted, where)
            for path, fmt in spec.field_formats.items():
                if fmt not in FORMATS:
                    self.add(
                        "format-unknown",
                        f"field_formats[{path!r}]={fmt!r} is not known; "
                        f"expected one of: {', '.join(FORMATS)}",
                        manifest.location(f"/exports/{index}/field_formats"),
                    )
        self._bindings(standard, manifest, known_checks, operations)
        for index, clause in enumerate(standard.clauses):
            if clause.verification is Verification.AUTOMATED and clause.id not in named:
                self.add(
                    "clause-unserved",
                    f"automated clause {clause.id} is served by no operation, response or export",
                    manifest.location(f"/requirements/{index}"),
                )

    def _bindings(
        self,
        standard: Standard,
        manifest: Document,
        known_checks: set[str],
        operations: list[Operation],
    ) -> None:
        """Every binding names something the standard has (``binding-unknown``), and a
        bound check is one the clause is verified by (``binding-check-unused``)."""
        op_ids = {op.operation_id for op in operations}
        names = {p.name for op in operations for p in op.parameters}
        for op in operations:
            if op.body is not None and op.body.schema_uri is not None:
                try:
                    body, _ = self.schemas.lookup(op.body.schema_uri)
                    for _ in range(8):  # a top-level $ref chain, bounded
                        if not (isinstance(body, dict) and isinstance(body.get("$ref"), str)):
                            break
                        body, _ = self.schemas.lookup(urljoin(op.body.schema_uri, body["$ref"]))
                    if isinstance(body, dict) and isinstance(body.get("properties"), dict):
                        names |= set(body["properties"])
                except Exception:  # noqa: S110 - an unresolvable body: reported elsewhere
                    pass
        for index, clause in enumerate(standard.clauses):
            for number, binding in enumerate(clause.binds):
                where = manifest.location(f"/requirements/{index}/binds/{number}")
                for kind, value in binding.kinds:
                    problem = self._binding_problem(
                        standard, kind, value, known_checks, op_ids, names
                    )
                    if problem is not None:
                        self.add("binding-unknown", f"clause {clause.id}: {problem}", where)
                    elif kind == "check" and not clause.verified_by(value):
                        self.add(
                            "binding-check-unused",
                            f"clause {clause.id} binds check={value!r}, not among its checks "
                            f"({', '.join(clause.checks)}): the binding can never match",
                            where,
                        )
                    elif kind == "export_rule" and not clause.verified_by(
                        EXPORT_RULE_CHECKS[value]
                    ):
                        self.add(
                            "binding-check-unused",
                            f"clause {clause.id} binds export_rule={value!r}, whose findings "
                            f"are of check {EXPORT_RULE_CHECKS[value]!r}, not among its checks "
                            f"({', '.join(clause.checks)}): the binding can never match",
                            where,
                        )

    def _binding_problem(
        self,
        standard: Standard,
        kind: str,
        value: str,
        known_checks: set[str],
        op_ids: set[str],
        names: set[str],
    ) -> str | None:
        """Why a binding's ``kind: value`` names nothing the standard has, or None."""
        if kind == "check" and value not in known_checks:
            return f"check={value!r} is not a check of the suite"
        if kind == "operation" and value not in op_ids:
            return f"operation={value!r} is no operationId of the API"
        if kind == "parameter" and value not in names:
            return f"parameter={value!r} is no parameter or top-level body member of the API"
        if kind == "format" and value not in FORMATS:
            return f"format={value!r} is not known; expected one of: {', '.join(FORMATS)}"
        if kind == "export_rule" and value not in EXPORT_RULES:
            return f"export_rule={value!r} is not known; expected one of: {', '.join(EXPORT_RULES)}"
        if kind == "schema":
            path, _, fragment = value.partition("#")
            target = (standard.folder / path).resolve()
            try:
                target.relative_to(standard.folder.resolve())
            except ValueError:
                return f"schema={value!r} leaves the version folder"
            if not target.is_file():
                return f"schema={value!r}: no file {path!r} in the version folder"
            try:
                self.schemas.lookup(f"{self.schemas.uri(target)}#{fragment}")
            except Exception:
                return f"schema={value!r}: no {fragment!r} in {path}"
        return None

    def _coverage(
        self,
        standard: Standard,
        target: str,
        clause_ids: Sequence[str],
        wanted: Sequence[str],
        where: Location,
    ) -> None:
        clauses = [standard.clause(c) for c in clause_ids if c in standard.clause_ids]
        for check in wanted:
            if not any(c.verified_by(check) for c in clauses):
                self.add(
                    "check-uncovered",
                    f"{target}: no clause named here is verified by check {check}; "
                    "its results would trace to no clause",
                    where,
                )


class _SealedHandlers(dict[str, Any]):
    """openapi-spec-validator's resolver handlers, one per URI scheme; its retriever opens
    any scheme it has no handler for itself, so this mapping has one for every scheme."""

    def __init__(self, read: Callable[[str], Any]) -> None:
        super().__init__()
        self.read = read

    def __contains__(self, scheme: object) -> bool:
        return True

    def __getitem__(self, scheme: str) -> Any:
        return self.read

    def get(self, scheme: str, default: Any = None) -> Any:
        return self.read


def _looks_like_schema(node: dict[str, Any]) -> bool:
    return "examples" in node and isinstance(node.get("examples"), list)


def lint_folder(folder: Path) -> list[LintIssue]:
    """Every problem in one standard version folder."""
    with outside_any_run():
        return _Linter(folder).run()


def lint_standard(
    standard: Standard, schemas: SchemaSet, operations: Sequence[Operation] | None = None
) -> list[LintIssue]:
    """Every problem in a standard a run has loaded already (its schema set and, when they
    could be read, its operations): the same issues as :func:`lint_folder` of its folder,
    without loading anything twice."""
    with outside_any_run():
        return _Linter(standard.folder, schemas, standard, operations).run()


def _expand(path: Path) -> list[Path]:
    if path.is_file() and path.name == MANIFEST:
        return [path.parent]
    if path.is_dir():
        if (path / MANIFEST).is_file():
            return [path]
        found = sorted(
            {m.parent for m in path.glob(f"*/{MANIFEST}")}
            | {m.parent for m in path.glob(f"*/*/{MANIFEST}")}
        )
        if found:
            return found
        raise UsageError(f"path={str(path)!r} holds no {MANIFEST} (looked two levels down)")
    raise UsageError(f"path={str(path)!r} does not exist or is not a standard folder")


def lint_summary(issues: Sequence[LintIssue], linted: int) -> str:
    """The last line of ``standards lint``: errors, warnings, and notes when there are any
    (a note, such as a reviewed version bump, is neither)."""
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = sum(1 for i in issues if i.severity == "warning")
    notes = len(issues) - errors - warnings
    return f"{linted} standard version(s) linted: {errors} error(s), {warnings} warning(s)" + (
        f", {notes} note(s)" if notes else ""
    )


def lint_paths(
    paths: Sequence[Path], standards_dirs: Sequence[Path] | None = None
) -> tuple[list[LintIssue], int]:
    if paths:
        folders = [f for p in paths for f in _expand(p)]
    else:
        folders = [folder for _, _, folder in StandardsRepository(standards_dirs).versions()]
    issues = [issue for folder in folders for issue in lint_folder(folder)]
    return issues, len(folders)
