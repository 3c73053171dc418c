"""Lint finds what would cost or break a run before it starts (issue 15 item 5, issue 14 item 10).

- Patterns with super-linear backtracking, by static analysis of the pattern's automaton
  (``conformance.generation.backtracking``): exponential ones (nested quantifiers, overlapping
  alternations under a quantifier) are errors, polynomial ones warnings; each names the file,
  line and pointer (or the XSD line), with a value that shows it.
- A ``format`` outside the suite's registry is an annotation: a warning at its location.
- A request schema holding what the generator cannot draw (``$dynamicRef`` below the root) is
  an error at its location, so a run is refused when it is prepared, before any request.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml

from conformance.generation import (
    UnsupportedSchema,
    backtracking,
    refuse_unsupported,
    unsupported,
)
from conformance.lint import LintIssue, lint_folder
from conformance.regex_validator import find_runaway
from conformance.validation import SchemaSet
from tests.conftest import ROOT, run_cli
from tests.published_shapes import published_e_licence

MINIMAL = ROOT / "tests" / "data" / "minimal" / "test.minimal" / "1.0.0"

# (pattern, expected kind, polynomial degree); published patterns among them: the OWASP
# examples of evil patterns, and the semver.org, RFC 5322, Kubernetes and base64 ones
PATTERNS: list[tuple[str, str | None, int]] = [
    (r"^(a|a)+$", "exponential", 0),
    (r"^(\w+\s?)*$", "exponential", 0),
    (r"^(\d+)+x$", "exponential", 0),
    (r"^(a*)*b$", "exponential", 0),
    (r"^(?:a|b|ab)*c$", "exponential", 0),
    (r"^([a-z0-9]+-?)+[a-z0-9]$", "exponential", 0),
    (r"^(([a-z])+.)+[A-Z]([a-z])+$", "exponential", 0),
    (r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}"
     r"(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$", "exponential", 0),
    (r"^x-(\p{Han}|\p{Han})+$", "exponential", 0),
    (r"^[a-z]+[a-z0-9]*@x$", "polynomial", 2),
    (r"^\d+\d+\d+x$", "polynomial", 3),
    (r"\s+$", "polynomial", 2),  # searched: every start is tried
    (r"\d+\.\d+", "polynomial", 2),
    (r"^\S+@\S+\.\S+$", "polynomial", 3),
    (r"^(a|a)+", None, 0),  # accepts wherever the loop stops: never backtracks into it
    (r"^(a|ab)*c$", None, 0),  # unambiguous
    (r"^(?>a+)+b$", None, 0),  # atomic: no way back in
    (r"[0-9]+", None, 0),
    (r"^P[0-9]{3}$", None, 0),
    (r"^[0-9]{17}[0-9X]$", None, 0),
    (r"^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$", None, 0),
    (r"^\p{Han}{2,20}$", None, 0),
    (r"^[\w.+-]+@[\w-]+\.[\w.-]+$", None, 0),
    (r"^(\d{1,3}\.){3}\d{1,3}$", None, 0),
    (r"^(\d+\.)*\d+$", None, 0),
    (r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", None, 0),
    (r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-]"
     r"[0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
     r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$", None, 0),
    (r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$", None, 0),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "kind", "degree"), PATTERNS, ids=[p[0] for p in PATTERNS])
def test_backtracking_is_classified_with_a_witness(
    pattern: str, kind: str | None, degree: int
) -> None:
    found = backtracking(pattern)
    if kind is None:
        assert found is None, found
        return
    assert found is not None
    assert (found.kind, found.degree) == (kind, degree)
    # the witness goes round the loop, then fails: the case where every way is tried
    assert regex.search(pattern, found.witness(3), timeout=10) is None
    assert found.pump
    assert repr(found.pump) in found.describe()


def test_every_pattern_of_the_sample_standards_is_linear() -> None:
    patterns = set()
    for document in (ROOT / "standards").rglob("*"):
        if document.suffix in (".json", ".yaml"):
            text = document.read_text(encoding="utf-8")
            patterns |= set(regex.findall(r'"pattern":\s*"((?:[^"\\]|\\.)*)"', text))
            patterns |= set(regex.findall(r"pattern:\s*'([^']*)'", text))
    assert len(patterns) > 5
    assert [p for p in patterns if backtracking(json.loads(f'"{p}"')) is not None] == []


# ---------------------------------------------------------------- lint


def _copy(root: Path) -> Path:
    folder = root / "test.minimal" / "1.0.0"
    shutil.copytree(MINIMAL, folder)
    return folder


def _set_pattern(folder: Path, pattern: str) -> tuple[Path, int]:
    """The name property gets ``pattern`` (examples follow); return the file and its line."""
    path = folder / "schemas" / "person.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["name"] = {"type": "string", "pattern": pattern}
    schema["examples"][0]["name"] = "ab@x"
    text = json.dumps(schema, ensure_ascii=False, indent=1)
    path.write_text(text, encoding="utf-8")
    people = folder / "examples" / "people.jsonl"
    rows = [json.loads(line) for line in people.read_text(encoding="utf-8").splitlines()]
    people.write_text("".join(json.dumps({**r, "name": "ab@x"}) + "\n" for r in rows))
    line = next(
        n for n, row in enumerate(text.splitlines(), 1) if '"pattern"' in row and "x$" in row
    )
    return path, line


def _only(issues: list[LintIssue], rule: str) -> LintIssue:
    found = [i for i in issues if i.rule == rule]
    assert len(found) == 1, [i.format() for i in issues]
    return found[0]


def test_an_exponential_pattern_the_timing_probe_misses_is_a_lint_error(tmp_path: Path) -> None:
    pattern = r"^(\d+)+x$"  # the regex engine is quadratic here on 65 characters
    assert find_runaway(pattern) is None
    path, line = _set_pattern(_copy(tmp_path), pattern)
    issue = _only(lint_folder(path.parents[1]), "pattern-backtracking")
    assert issue.severity == "error"
    assert (issue.location.path, issue.location.pointer) == (path, "/properties/name/pattern")
    assert issue.location.line == line
    assert "exponentially" in issue.message
    assert "'0000" in issue.message


def test_a_polynomial_pattern_is_a_warning_with_a_witness(tmp_path: Path) -> None:
    path, _ = _set_pattern(_copy(tmp_path), r"^[a-z]+[a-z0-9]*@x$")
    issues = lint_folder(path.parents[1])
    assert [i for i in issues if i.severity == "error"] == []
    issue = _only(issues, "pattern-polynomial")
    assert issue.severity == "warning"
    assert issue.location.pointer == "/properties/name/pattern"
    assert "quadratically" in issue.message
    assert "!@x'" in issue.message


def test_xsd_patterns_are_analysed_at_their_line(tmp_path: Path) -> None:
    folder = published_e_licence(tmp_path / "standards")
    codes = folder / "schemas" / "common" / "licence-types.xsd"
    text = codes.read_text(encoding="utf-8")
    text = text.replace('value="[0-9]{6}"', 'value="([0-9]+)+"', 1)  # DivisionCodeType
    codes.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "([0-9]+)+" in row)
    issue = _only(lint_folder(folder), "pattern-backtracking")
    assert (issue.location.path, issue.location.line) == (codes, line)
    assert "^(?:([0-9]+)+)$" in issue.message
    # polynomial is an error too in an XSD: libxml2 checks its patterns with no time bound
    # (a 8,003-character value of this one took 11.7 s in export validation, quadratically)
    codes.write_text(text.replace("([0-9]+)+", "[a-z]+[a-z0-9]*@x"), encoding="utf-8")
    issue = _only(lint_folder(folder), "pattern-backtracking")
    assert (issue.location.path, issue.location.line, issue.severity) == (codes, line, "error")
    assert "quadratically" in issue.message
    assert "libxml2" in issue.message


def test_an_unknown_format_in_an_openapi_parameter_is_a_located_warning(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "openapi.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["paths"]["/people/{id}"]["get"]["parameters"][0]["schema"]["format"] = "int64"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    issues = lint_folder(folder)
    assert [i for i in issues if i.severity == "error"] == []
    issue = _only(issues, "format-unknown")
    assert issue.severity == "warning"
    assert issue.location.path == path
    assert issue.location.pointer == "/paths/~1people~1{id}/get/parameters/0/schema/format"
    assert issue.location.line is not None
    assert "format='int64'" in issue.message
    assert "annotation" in issue.message


# ---------------------------------------------------------------- what generation cannot draw


def _dynamic_body(folder: Path, where: str) -> Path:
    """A request body (or the 200 response) whose schema has a $dynamicRef two levels down."""
    path = folder / "openapi.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema = {
        "$defs": {"node": {"$dynamicAnchor": "node", "type": "object"}},
        "type": "object",
        "properties": {"tree": {"type": "array", "items": {"$dynamicRef": "#node"}}},
    }
    operation = data["paths"]["/people/{id}"]["get"]
    if where == "request":
        data["paths"]["/people/{id}"]["put"] = {
            "operationId": "putPerson",
            "x-clauses": ["MIN-API-001"],
            "parameters": operation["parameters"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "responses": operation["responses"],
        }
    else:
        operation["responses"]["200"]["content"]["application/json"]["schema"] = schema
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_dynamic_ref_below_a_request_body_is_a_located_lint_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = _dynamic_body(folder, "request")
    issue = _only(lint_folder(folder), "schema-unsupported")
    assert issue.severity == "error"
    assert issue.location.path == path
    assert issue.location.pointer == (
        "/paths/~1people~1{id}/put/requestBody/content/application~1json/schema"
        "/properties/tree/items/$dynamicRef"
    )
    assert issue.location.line is not None
    assert "$dynamicRef='#node'" in issue.message


def test_dynamic_ref_in_a_response_is_validated_not_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _dynamic_body(folder, "response")
    assert [i for i in lint_folder(folder) if i.rule == "schema-unsupported"] == []


def test_unsupported_lists_every_construct_with_its_location(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "schemas" / "tree.json").write_text(
        json.dumps({"properties": {"x": {"$dynamicRef": "#a"}, "y": {"pattern": r"\X"}}})
    )
    schemas = SchemaSet(folder)
    schema, resolver = schemas.lookup((folder / "schemas" / "tree.json").as_uri() + "#")
    found = sorted(str(u) for u in unsupported(schema, resolver))
    assert len(found) == 2
    assert found[0].endswith("tree.json#/properties/x/$dynamicRef: $dynamicRef='#a': the "
                              "request generator cannot draw values for dynamic references; "
                              "expected a $ref")  # fmt: skip
    assert "tree.json#/properties/y/pattern" in found[1]
    with pytest.raises(UnsupportedSchema, match=r"tree.json#/properties/[xy]/"):
        refuse_unsupported(schema, resolver)  # what a run being prepared calls


class _Counting(BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def counting_candidate() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Counting,), {"hits": hits}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_run_is_refused_when_prepared_not_half_way_through_drawing(
    tmp_path: Path, counting_candidate: tuple[str, list[str]]
) -> None:
    url, hits = counting_candidate
    folder = _copy(tmp_path / "standards")
    _dynamic_body(folder, "request")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        yaml.safe_dump(
            {
                "identity": {"vendor": "v", "system": "s", "version": "1"},
                "base_url": url,
                "claims": [{"standard": "test.minimal@1.0.0"}],
            }
        )
    )
    result = run_cli(
        "run",
        "--standard",
        "test.minimal@1.0.0",
        "--standards-dir",
        str(tmp_path / "standards"),
        "--candidate",
        str(candidate),
        "--reports-dir",
        str(tmp_path / "reports"),
    )
    assert result.code == 2, result.out + result.err
    assert "[schema-unsupported]" in result.err
    assert "$dynamicRef" in result.err
    assert "Traceback" not in result.err
    assert hits == []


def test_a_json_lines_member_the_typed_path_checks_whole_is_a_located_note(
    tmp_path: Path,
) -> None:
    """A member the typed path does not translate (a number with ``multipleOf``, inside an
    array's objects) is checked whole by jsonschema-rs, the rest of the record keeps its
    columns: lint notes it (info), naming the export's schema line, the member from the
    record down and the construct. The published shapes lint clean."""
    folder = published_e_licence(tmp_path / "standards")
    rules = {"export-block-path", "export-member-checked-whole"}
    assert [i.rule for i in lint_folder(folder) if i.rule in rules] == []
    schema = folder / "schemas" / "licence.schema.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["properties"]["fees"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"amount": {"type": "number", "minimum": 0, "multipleOf": 0.01}},
        },
    }
    schema.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    issues = lint_folder(folder)
    assert [i.rule for i in issues if i.rule == "export-block-path"] == []
    issue = _only(issues, "export-member-checked-whole")
    assert issue.severity == "info"
    assert issue.location.pointer == "/exports/0/schema"
    assert issue.location.line is not None
    assert "licences-jsonl" in issue.message
    assert "at /fees/*/amount: a number leaf with ['minimum', 'multipleOf']" in issue.message


def test_a_json_lines_schema_the_typed_path_cannot_read_is_a_located_warning(
    tmp_path: Path,
) -> None:
    """A record schema with a fast path but a record-level construct the typed path does
    not translate (a conditional on a nested object's member): lint names the export's
    schema line, where and the construct."""
    folder = published_e_licence(tmp_path / "standards")
    schema = folder / "schemas" / "licence.schema.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["if"] = {"properties": {"holder": {"required": ["id_number"]}}}
    data["then"] = {"required": ["holder"]}
    schema.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    issue = _only(lint_folder(folder), "export-block-path")
    assert issue.severity == "warning"
    assert issue.location.pointer == "/exports/0/schema"
    assert issue.location.line is not None
    assert "licences-jsonl" in issue.message
    assert "at the record: a rule on the value of 'holder', not a JSON scalar" in issue.message
