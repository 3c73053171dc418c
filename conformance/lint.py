"""``conformance standards lint``: every problem in a standard version folder, located.

Each rule has a stable id.  Lint never touches the network: ``$ref``s are checked to
stay inside the folder before any validator is allowed to follow them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import regex
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree

from conformance._lint_lifecycle import lint_lifecycle
from conformance.checks import all_checks
from conformance.errors import Location, StandardError, UsageError
from conformance.exports import Severity, lint_rules, validate_export
from conformance.formats import FORMATS
from conformance.generation import UnsatisfiableSchema, from_schema
from conformance.regex_validator import PROBE_TIMEOUT_S, PatternTimeout, find_runaway
from conformance.results import LintIssue
from conformance.standards._documents import Document, join_pointer, load_document
from conformance.standards.loader import (
    MANIFEST,
    StandardsRepository,
    content_digest,
    duplicate_clause_errors,
    load_standard,
    manifest_errors,
)
from conformance.standards.model import Standard, Verification
from conformance.standards.operations import Operation, load_operations
from conformance.validation import SchemaSet

__all__ = ["LintIssue", "lint_folder", "lint_paths", "lint_standard"]

API_CORE_CHECKS = ("status_code_documented", "content_type_documented", "response_schema")
EXPORT_CORE_CHECKS = ("export_records", "export_encoding")
# Keywords whose values are instance data, not schemas: never walked for keywords.
_DATA_KEYWORDS = frozenset({"example", "examples", "enum", "const", "default"})
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
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
        for spec in standard.exports:
            if spec.format == "xml":
                self._xsd(spec.schema_path, spec.record_element or "", doc, standard)
        if standard.openapi_path is not None and not ref_errors:
            self.current = standard.openapi_path
            self._openapi(standard.openapi_path)
        if not ref_errors:
            for path in documents:
                self.current = path
                self._satisfiable(path)
                self._examples(path)
            self.current = manifest
            self._export_examples(standard, doc)
        self.current = manifest
        self._clauses(standard, doc)
        self._export_rules(standard, doc)
        return self.issues

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
        """Check every $ref of every reachable document; add newly reached documents to roots."""
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
            for pointer, node in _walk(doc.data):
                ref = node.get("$ref")
                if not isinstance(ref, str):
                    continue
                where = doc.location(join_pointer(pointer, "$ref"))
                file_part, _, fragment = ref.partition("#")
                if _URL.match(ref):
                    self.add(
                        "ref-url", f"$ref={ref!r} names a URL; refs must stay in the folder", where
                    )
                    errors += 1
                    continue
                target = (path.parent / unquote(file_part)).resolve() if file_part else path
                if not target.is_relative_to(self.folder):
                    self.add("ref-outside", f"$ref={ref!r} leaves the version folder", where)
                    errors += 1
                    continue
                if not target.is_file():
                    self.add(
                        "ref-missing", f"$ref={ref!r}: file {file_part!r} does not exist", where
                    )
                    errors += 1
                    continue
                if target.suffix not in (".json", ".yaml", ".yml"):
                    self.add("ref-type", f"$ref={ref!r}: expected a .json or .yaml file", where)
                    errors += 1
                    continue
                try:
                    target_doc = self.schemas.document(target)
                except StandardError as exc:
                    self._parse_issue(exc)
                    errors += 1
                    continue
                if _pointer_value(target_doc.data, fragment) is _NOT_FOUND:
                    self.add("ref-pointer", f"$ref={ref!r}: pointer {fragment!r} not found", where)
                    errors += 1
                if target not in roots:
                    roots.append(target)
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
                    f"format={fmt!r} is not known; expected one of: {', '.join(FORMATS)}",
                    doc.location(join_pointer(pointer, "format")),
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
                probe = find_runaway(pattern)
                if probe is not None:
                    self.add(
                        "pattern-backtracking",
                        f"pattern={pattern!r} backtracks catastrophically: searching "
                        f"{probe!r} ({len(probe)} characters) took more than "
                        f"{PROBE_TIMEOUT_S:g}s; validation and generation would stall on "
                        "such values. Rewrite it without nested or overlapping repetition",
                        doc.location(join_pointer(pointer, *where.split("/", 1))),
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
        validator = spec_validator(doc.data, base_uri=path.as_uri())
        for error in validator.iter_errors():
            pointer = join_pointer("", *error.absolute_path)
            self.add(
                "openapi-invalid",
                f"not a valid OpenAPI {version} document: {error.message}",
                doc.location(pointer),
            )

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

    def _export_examples(self, standard: Standard, manifest: Document) -> None:
        for index, spec in enumerate(standard.exports):
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

    def _xsd(self, path: Path, record_element: str, manifest: Document, standard: Standard) -> None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        try:
            tree = etree.parse(str(path), parser)
            etree.XMLSchema(tree)
        except etree.XMLSyntaxError as exc:
            self.add("xsd-invalid", f"not well-formed XML: {exc.msg}", Location(path, exc.lineno))
            return
        except etree.XMLSchemaParseError as exc:
            entry = exc.error_log.last_error if exc.error_log else None
            line = entry.line if entry is not None else None
            self.add("xsd-invalid", f"not a valid XSD: {exc}", Location(path, line))
            return
        xs = "{http://www.w3.org/2001/XMLSchema}"
        globals_ = {e.get("name") for e in tree.getroot().findall(f"{xs}element")}
        if record_element not in globals_:
            self.add(
                "xsd-record-element",
                f"record_element={record_element!r} is not a global element of {path.name}; "
                "per-record validation needs it declared at the top level",
                Location(path, 1),
            )

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
        for index, clause in enumerate(standard.clauses):
            if clause.verification is Verification.AUTOMATED and clause.id not in named:
                self.add(
                    "clause-unserved",
                    f"automated clause {clause.id} is served by no operation, response or export",
                    manifest.location(f"/requirements/{index}"),
                )

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


def _looks_like_schema(node: dict[str, Any]) -> bool:
    return "examples" in node and isinstance(node.get("examples"), list)


def lint_folder(folder: Path) -> list[LintIssue]:
    """Every problem in one standard version folder."""
    return _Linter(folder).run()


def lint_standard(
    standard: Standard, schemas: SchemaSet, operations: Sequence[Operation] | None = None
) -> list[LintIssue]:
    """Every problem in a standard a run has loaded already (its schema set and, when they
    could be read, its operations): the same issues as :func:`lint_folder` of its folder,
    without loading anything twice."""
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


def lint_paths(
    paths: Sequence[Path], standards_dirs: Sequence[Path] | None = None
) -> tuple[list[LintIssue], int]:
    if paths:
        folders = [f for p in paths for f in _expand(p)]
    else:
        folders = [folder for _, _, folder in StandardsRepository(standards_dirs).versions()]
    issues = [issue for folder in folders for issue in lint_folder(folder)]
    return issues, len(folders)
