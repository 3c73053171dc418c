"""One defect, one clause; no vacuous pass; distinct causes; export rules at their clause's
level (issue 14 items 3, 4, 5 and 9).

Routing is tested on the sample standards as loaded; the end-to-end tests run the engine
in-process against the reference candidate on real loopback servers.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.engine.binding import (
    EXPORT_RULE_CHECKS,
    EXPORT_RULES,
    Router,
    export_rule_of,
    parameter_of,
)
from conformance.engine.run import Run
from conformance.engine.verdict import (
    Attestation,
    ClauseInfo,
    ResultRef,
    Review,
    evaluate,
    exit_code_for,
)
from conformance.errors import ExitCode
from conformance.lint import lint_folder
from conformance.reporting.results_json import build_results
from conformance.results import CheckResult, Outcome
from conformance.session import RunOptions, prepare
from conformance.standards.loader import load_standard
from conformance.standards.operations import load_operations
from conformance.validation import keyword_location, schema_set
from tests.conftest import FIXTURE, TOKEN_ENV

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "conformance" / "schemas"
LICENCE_DIR = ROOT / "standards" / "gov.e-licence" / "1.1.0"
LICENCE = "gov.e-licence@1.1.0"
CASES = "gov.service-case@1.0.0"


@pytest.fixture(scope="module")
def licence() -> tuple[Any, Any, Router]:
    standard = load_standard(LICENCE_DIR)
    schemas = schema_set(standard.folder)
    return standard, schemas, Router(standard, schemas)


def _list_schema(standard: Any, schemas: Any) -> str:
    assert standard.openapi_path is not None
    ops = load_operations(schemas, standard.openapi_path)
    op = next(o for o in ops if o.operation_id == "listLicences")
    spec = op.response_for(200)
    assert spec is not None
    return str(next(iter(spec.content.values())))


def _errors_at(schemas: Any, uri: str, instance: Any) -> list[tuple[str, dict[str, str]]]:
    found = []
    for error in schemas.validator_for(uri).iter_errors(instance):
        location = keyword_location(schemas, uri, error.absolute_schema_path)
        assert location is not None
        context = {"check": "response_schema", "schema": location}
        if error.validator == "format":
            context["format"] = error.validator_value
        found.append((location, context))
    return found


def _record() -> dict[str, Any]:
    line = (LICENCE_DIR / "examples" / "licences.jsonl").read_text("utf-8").splitlines()[0]
    record: dict[str, Any] = json.loads(line)
    return record


LIST_CLAUSES = ["LIC-API-003", "LIC-API-004", "LIC-API-006", "LIC-API-007"]


def test_a_keyword_reached_through_references_is_located_where_it_is_written(
    licence: tuple[Any, Any, Router],
) -> None:
    standard, schemas, _ = licence
    uri = _list_schema(standard, schemas)
    record = _record()
    record["issue_date"] = "2024/03/15"
    found = _errors_at(schemas, uri, {"items": [record], "total": 1, "page": 1, "page_size": 20})
    assert [loc.rsplit("/1.1.0/", 1)[1] for loc, _ in found] == [
        "schemas/licence.schema.json#/properties/issue_date/format"
    ]


@pytest.mark.parametrize(
    ("change", "clause"),
    [
        (lambda r, page: r.update(issue_date="2024/03/15"), "LIC-API-006"),  # format: date
        (lambda r, page: page.update(total="120"), "LIC-API-003"),  # the page's schema
        (lambda r, page: r.update(name=""), "LIC-API-004"),  # the record's schema
        (lambda r, page: r.update(division_code="33010"), "LIC-API-007"),  # its location
    ],
)
def test_a_finding_goes_to_the_most_specific_clause_only(
    licence: tuple[Any, Any, Router], change: Callable[..., None], clause: str
) -> None:
    standard, schemas, router = licence
    uri = _list_schema(standard, schemas)
    record = _record()
    page: dict[str, Any] = {"items": [record], "total": 1, "page": 1, "page_size": 20}
    change(record, page)
    found = _errors_at(schemas, uri, page)
    assert found
    assert {c for _, context in found for c in router.route(LIST_CLAUSES, context)} == {clause}


def test_a_bad_check_character_fails_the_format_clause_not_every_clause(
    licence: tuple[Any, Any, Router],
) -> None:
    _, _, router = licence
    context = {
        "check": "response_schema",
        "schema": (LICENCE_DIR / "schemas" / "licence.schema.json").resolve().as_uri()
        + "#/$defs/idNumber/format",
        "format": "cn-id-number",
    }
    assert router.route([*LIST_CLAUSES, "LIC-API-002"], context) == ["LIC-API-007"]


def test_a_finding_no_bound_clause_matches_is_never_lost(
    licence: tuple[Any, Any, Router],
) -> None:
    _, _, router = licence
    context = {"check": "response_schema", "schema": "file:///elsewhere.json#/type"}
    assert router.route(["LIC-API-004", "LIC-API-006"], context) == [
        "LIC-API-004",
        "LIC-API-006",
    ]
    # an unbound clause takes it where bound ones do not match
    assert router.route(["LIC-API-001", "LIC-API-006"], {"check": "x"}) == ["LIC-API-001"]


def test_the_broken_parameter_is_read_from_the_mutation() -> None:
    assert parameter_of("query:page_size:maximum") == "page_size"
    assert parameter_of("body:/holder_id_number:pattern") == "holder_id_number"
    assert parameter_of("body:unknown") is None
    assert parameter_of(None) is None


def test_a_bound_clause_is_exercised_only_where_its_binding_could_be_checked(
    licence: tuple[Any, Any, Router],
) -> None:
    standard, schemas, router = licence
    page = _list_schema(standard, schemas)
    assert standard.openapi_path is not None
    error = standard.openapi_path.resolve().as_uri() + "#/components/schemas/Error"
    # the licence page reaches cn-id-number (through the records); the error body does not
    assert router.exercised("LIC-API-007", {"check": "response_schema", "schemas": [page]})
    assert not router.exercised("LIC-API-007", {"check": "response_schema", "schemas": [error]})
    assert router.exercised("LIC-API-002", {"check": "response_schema", "schemas": [error]})
    assert router.exercised("LIC-API-001", {"check": "status_code_documented"})  # unbound


# -- the roll-up: not verified, inconclusive, automated outcome vs certification ------------

CLAUSES = [
    ClauseInfo("A-001", "MUST", "automated"),
    ClauseInfo("A-002", "MUST", "automated"),
    ClauseInfo("M-001", "MUST", "manual"),
]


def _ref(clause: str, status: str) -> ResultRef:
    return ResultRef(f"{clause}::c::t", clause, "c", "t", status)


def test_an_unverified_must_clause_is_inconclusive_by_the_standards_policy() -> None:
    clauses = CLAUSES[:2]
    results = [_ref("A-001", "pass"), _ref("A-002", "skip")]
    assert evaluate(clauses, results).verdict == "fail"  # the default policy
    verdict = evaluate(clauses, results, unverified_must="inconclusive")
    assert verdict.verdict == "inconclusive"
    assert "A-002 was not verified" in verdict.reasons[0]
    assert exit_code_for(verdict, None) is ExitCode.DOES_NOT_CONFORM
    # a real failure still fails, whatever the policy
    failing = [_ref("A-001", "fail"), _ref("A-002", "skip")]
    assert evaluate(clauses, failing, unverified_must="inconclusive").verdict == "fail"


def test_automated_outcome_passes_while_certification_awaits_attestation() -> None:
    results = [_ref("A-001", "pass"), _ref("A-002", "pass"), _ref("M-001", "skip")]
    verdict = evaluate(CLAUSES, results)
    assert verdict.verdict == "fail"  # certification waits
    assert verdict.automated == "pass"
    assert verdict.pending == ["M-001"]
    assert exit_code_for(verdict, None) is ExitCode.CONFORMS  # what a vendor's CI gates on
    attested = Review(
        as_of=date(2026, 1, 1),
        attestations=(Attestation("M-001", "reviewer", "seen", date(2026, 1, 1)),),
    )
    certified = evaluate(CLAUSES, results, attested)
    assert certified.verdict == "pass"
    assert certified.pending == []
    # an automated failure is not hidden by the pending attestation
    broken = [_ref("A-001", "fail"), _ref("A-002", "pass"), _ref("M-001", "skip")]
    assert evaluate(CLAUSES, broken).automated == "fail"


# -- distinct causes ----------------------------------------------------------------------


def test_a_rejection_is_keyed_on_the_cause_the_candidate_states() -> None:
    from conformance.checks.api import stated_cause

    class _Case:
        body = None

        def __init__(self, query: dict[str, Any]) -> None:
            self.query = query
            self.path_params: dict[str, Any] = {}
            self.headers: dict[str, Any] = {}
            self.cookies: dict[str, Any] = {}

    class _Exchange:
        def __init__(self, query: dict[str, Any], body: Any) -> None:
            self.case = _Case(query)
            self.body = body

        def json(self) -> Any:
            return self.body

    sent = {"bbox": "1,2,3,4", "datetime": "2024-01-01T00:00:60Z"}
    bbox = stated_cause(_Exchange(sent, {"code": "BAD", "message": "invalid bbox: 1,2,3,4"}))  # type: ignore[arg-type]
    when = stated_cause(_Exchange(sent, {"code": "BAD", "message": "datetime is invalid"}))  # type: ignore[arg-type]
    assert bbox == ("param:bbox", ["bbox"])
    assert when == ("param:datetime", ["datetime"])
    # the same refusal with other values is the same cause
    one = stated_cause(_Exchange({}, {"code": "X", "message": "limit 10 exceeded for 'a'"}))  # type: ignore[arg-type]
    two = stated_cause(_Exchange({}, {"code": "X", "message": "limit 99 exceeded for 'b'"}))  # type: ignore[arg-type]
    assert one == two


# -- end to end: one fault, one MUST clause ----------------------------------------------


@pytest.fixture
def engine(
    monkeypatch: pytest.MonkeyPatch, token: str, tmp_path: Path
) -> Callable[..., list[CheckResult]]:
    monkeypatch.setenv(TOKEN_ENV, token)

    def run(standard: str, url: str) -> list[CheckResult]:
        config = prepare(
            RunOptions(
                standard=standard,
                candidate=FIXTURE / "candidate.yaml",
                seed=11,
                reports_dir=tmp_path,
                max_examples=10,
                base_url=url,
            )
        )
        return list(Run(config).run().results)

    return run


MUST = {
    LICENCE: {c.id for c in load_standard(LICENCE_DIR).clauses if c.level.value == "MUST"},
    CASES: {
        c.id
        for c in load_standard(ROOT / "standards" / "gov.service-case" / "1.0.0").clauses
        if c.level.value == "MUST"
    },
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "standard", "clause"),
    [
        ("bad-id-check-char", LICENCE, "LIC-API-007"),
        ("wrong-date-format", LICENCE, "LIC-API-006"),
        ("envelope-missing-field", LICENCE, "LIC-API-002"),
        ("non-ascii-500", LICENCE, "LIC-API-001"),
        ("case-wrong-status-enum", CASES, "CASE-API-005"),
    ],
)
def test_one_fault_fails_one_must_clause(
    fault: str,
    standard: str,
    clause: str,
    faulty_server: Callable[..., str],
    engine: Callable[..., list[CheckResult]],
) -> None:
    results = engine(standard, faulty_server(fault))
    failed = {r.clause for r in results if r.outcome is Outcome.FAIL and r.clause in MUST[standard]}
    assert failed == {clause}


@pytest.mark.slow
def test_a_body_in_an_undocumented_media_type_leaves_its_schema_not_verified(
    faulty_server: Callable[..., str], engine: Callable[..., list[CheckResult]]
) -> None:
    results = engine(LICENCE, faulty_server("wrong-content-type"))
    by_id = {r.id: r for r in results}
    content_type = by_id["LIC-API-001::content_type_documented::GET /licences/{licence_id}"]
    assert content_type.outcome is Outcome.FAIL
    record = by_id["LIC-API-004::response_schema::GET /licences/{licence_id}"]
    # every 200 came as text/html: its schema was never checked, so never a pass
    assert record.outcome is Outcome.SKIP
    assert record.message.startswith("not verified:")
    assert "text/html" in record.message


# -- export rules take their level from their clause -----------------------------------------

MANIFEST = """\
id: test.exports
version: 1.0.0
title: {zh-CN: 测试, en: Test}
summary: {zh-CN: 测试, en: Test}
status: published
dates: {published: '2026-01-01', effective: '2026-01-01'}
owner: {name: {zh-CN: 测试, en: Test}}
%(policy)s
requirements:
  - id: T-EXP-001
    level: MUST
    verification: automated
    checks: [export_records]
    text: {zh-CN: 记录, en: Records}
  - id: T-EXP-002
    level: MUST
    verification: automated
    checks: [export_encoding]
    text: {zh-CN: 编码, en: Encoding}
  - id: T-EXP-003
    level: %(level)s
    verification: automated
    checks: [export_encoding]
    %(binds)s
    text: {zh-CN: 无 BOM, en: No BOM}
exports:
  - name: things
    title: {zh-CN: 测试, en: Test}
    format: jsonl
    schema: schemas/thing.schema.json
    clauses: [T-EXP-001, T-EXP-002, T-EXP-003]
"""


def _export_run(
    tmp_path: Path, level: str, binds: str, policy: str = ""
) -> tuple[list[CheckResult], str]:
    folder = tmp_path / "standards" / "test.exports" / "1.0.0"
    (folder / "schemas").mkdir(parents=True)
    manifest = MANIFEST % {"level": level, "binds": binds, "policy": policy}
    (folder / "standard.yaml").write_text(manifest, "utf-8")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"id": {"type": "integer"}},
    }
    (folder / "schemas" / "thing.schema.json").write_text(json.dumps(schema), "utf-8")
    data = tmp_path / "things.jsonl"
    data.write_bytes(b'\xef\xbb\xbf{"id": 1}\n{"id": 2}\n')
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        textwrap.dedent(
            f"""\
            identity: {{vendor: v, system: s, version: '1'}}
            claims:
              - standard: test.exports@1.0.0
                exports: {{things: {data}}}
            """
        ),
        "utf-8",
    )
    config = prepare(
        RunOptions(
            standard="test.exports@1.0.0",
            candidate=candidate,
            standards_dirs=(tmp_path / "standards",),
            reports_dir=tmp_path / "reports",
            seed=1,
        )
    )
    outcome = Run(config).run()
    data = build_results(outcome)
    jsonschema.validate(data, json.loads((SCHEMAS / "results.schema.json").read_text("utf-8")))
    assert data["policy"] == {"unverified_must": "inconclusive" if policy else "fail"}
    assert data["automated"]["verdict"] == outcome.verdict.automated
    return list(outcome.results), outcome.verdict.verdict


def test_a_bom_fails_the_clause_bound_to_it_at_its_level(tmp_path: Path) -> None:
    results, verdict = _export_run(tmp_path, "MUST", "binds: [{export_rule: bom}]")
    failed = {(r.clause, r.check) for r in results if r.outcome is Outcome.FAIL}
    assert failed == {("T-EXP-003", "export_encoding")}  # only the bound clause
    assert verdict == "fail"


def test_a_bom_bound_to_a_should_clause_is_a_warning(tmp_path: Path) -> None:
    results, verdict = _export_run(tmp_path, "SHOULD", "binds: [{export_rule: bom}]")
    failed = {r.clause for r in results if r.outcome is Outcome.FAIL}
    assert failed == {"T-EXP-003"}
    assert verdict == "pass"  # a SHOULD clause's failure is a warning


def test_an_unbound_bom_keeps_the_readers_severity(tmp_path: Path) -> None:
    results, verdict = _export_run(tmp_path, "MUST", "")
    assert not [r for r in results if r.outcome is Outcome.FAIL]
    warnings = [r.evidence["warnings"] for r in results if r.evidence.get("warnings")]
    assert any(w["kind"] == "bom" for found in warnings for w in found)
    assert verdict == "pass"


def test_a_must_clause_nothing_could_verify_makes_the_run_inconclusive(tmp_path: Path) -> None:
    # an XML declaration rule on a JSON Lines export: nothing there can verify it
    policy = "policy: {unverified_must: inconclusive}"
    results, verdict = _export_run(
        tmp_path, "MUST", "binds: [{export_rule: xml-declaration}]", policy
    )
    bound = [r for r in results if r.clause == "T-EXP-003"]
    assert [r.outcome for r in bound] == [Outcome.SKIP]
    assert verdict == "inconclusive"


def test_export_rules_are_named_for_their_issue_kinds() -> None:
    assert export_rule_of("truncated-last-line", "warning") == "final-newline"
    assert export_rule_of("csv-header", "warning") == "csv-column-order"
    assert export_rule_of("csv-header", "error") is None  # a missing column is the schema's
    assert export_rule_of("doctype-entities") == "doctype"


# -- lint -----------------------------------------------------------------------------


def test_lint_refuses_a_binding_that_names_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "test.exports" / "1.0.0"
    (folder / "schemas").mkdir(parents=True)
    binds = (
        "binds: [{export_rule: no-such-rule}, {format: no-such-format}, "
        "{schema: 'schemas/thing.schema.json#/nowhere'}, {check: export_records}]"
    )
    manifest = MANIFEST % {"level": "MUST", "binds": binds, "policy": ""}
    (folder / "standard.yaml").write_text(manifest, "utf-8")
    (folder / "schemas" / "thing.schema.json").write_text('{"type": "object"}', "utf-8")
    issues = [i for i in lint_folder(folder) if i.rule.startswith("binding-")]
    rules = sorted(i.rule for i in issues)
    assert rules == ["binding-check-unused"] + ["binding-unknown"] * 3, issues
    assert all("/requirements/2/binds/" in str(i.location) for i in issues)


@pytest.mark.parametrize(
    ("binds", "refused"),
    [
        ("binds: [{export_rule: xml-root}]", True),  # an export_records rule
        ("binds: [{export_rule: doctype}]", True),
        ("binds: [{export_rule: bom}]", False),  # export_encoding: the clause's own check
        ("binds: [{export_rule: xml-declaration}]", False),
    ],
)
def test_lint_refuses_an_export_rule_of_a_check_the_clause_lacks(
    tmp_path: Path, binds: str, refused: bool
) -> None:
    # T-EXP-003 is verified by export_encoding alone: a rule reported under export_records
    # can never reach it, a binding silently inert before
    folder = tmp_path / "test.exports" / "1.0.0"
    (folder / "schemas").mkdir(parents=True)
    manifest = MANIFEST % {"level": "MUST", "binds": binds, "policy": ""}
    (folder / "standard.yaml").write_text(manifest, "utf-8")
    (folder / "schemas" / "thing.schema.json").write_text('{"type": "object"}', "utf-8")
    issues = [i for i in lint_folder(folder) if i.rule == "binding-check-unused"]
    if not refused:
        assert issues == []
        return
    [issue] = issues
    assert issue.severity == "error"
    assert "T-EXP-003" in issue.message
    assert "'export_records'" in issue.message
    where = str(issue.location)
    line = manifest.splitlines().index("    " + binds) + 1
    assert f"standard.yaml:{line}" in where, where
    assert "/requirements/2/binds/0" in where, where


def test_every_export_rule_names_its_check() -> None:
    assert set(EXPORT_RULE_CHECKS) == set(EXPORT_RULES)
    assert set(EXPORT_RULE_CHECKS.values()) <= {"export_records", "export_encoding"}


def test_the_sample_standards_bind_cleanly() -> None:
    for folder in sorted((ROOT / "standards").glob("*/*/standard.yaml")):
        issues = [i for i in lint_folder(folder.parent) if i.rule.startswith("binding-")]
        assert issues == [], folder


EXPORTS = FIXTURE / "exports" / "gov.data-catalogue"


@pytest.mark.parametrize(
    ("field", "value", "clauses"),
    [
        ("publish_date", "2024/03/15", {"CAT-EXP-006"}),  # format: date
        # a wrong check character; that code is in no provider list either (a second defect)
        ("provider_code", "91330106MA2H7Q4K0X", {"CAT-EXP-003", "CAT-EXP-011"}),
        ("open_type", "half-open", {"CAT-EXP-005"}),  # a code value not listed
        ("resource_name", "", {"CAT-EXP-001"}),  # the record's schema, unbound clause
    ],
)
def test_a_bad_export_field_fails_the_clause_bound_to_it(
    tmp_path: Path, field: str, value: str, clauses: set[str]
) -> None:
    records = json.loads((EXPORTS / "catalogue.json").read_text("utf-8"))
    records[0][field] = value
    broken = tmp_path / "catalogue.json"
    broken.write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", "utf-8")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        textwrap.dedent(
            f"""\
            identity: {{vendor: v, system: s, version: '1'}}
            claims:
              - standard: gov.data-catalogue@1.0.0
                implements: [CAT-EXP-010]
                exports:
                  catalogue-json: {broken}
                  catalogue-xml: {EXPORTS / "catalogue.xml"}
                  providers-json: {EXPORTS / "providers.json"}
            """
        ),
        "utf-8",
    )
    config = prepare(
        RunOptions(
            standard="gov.data-catalogue@1.0.0",
            candidate=candidate,
            reports_dir=tmp_path / "reports",
            seed=1,
        )
    )
    results = Run(config).run().results
    failed = {r.clause for r in results if r.outcome is Outcome.FAIL}
    assert failed == clauses


def test_the_summary_says_the_automated_outcome_and_the_pending_attestations(
    tmp_path: Path,
) -> None:
    from conformance.reporting.terminal import summary_lines
    from tests.review_data import FAILING, make_results, make_standard

    data = make_results(make_standard(tmp_path / "standards"), FAILING)
    data["automated"] = {"verdict": "pass", "pending_attestations": ["T-OPS-001"]}
    en = "\n".join(line for line, _ in summary_lines(data, lang="en"))
    assert "automated checks: PASS (exit 0)" in en
    assert "attestation of: T-OPS-001" in en
    # certification waits, but nothing automated failed: not "does not conform"
    assert "verdict: NOT YET CERTIFIABLE" in en
    assert "DOES NOT CONFORM" not in en
    zh_waiting = "\n".join(line for line, _ in summary_lines(data))
    assert "结论：尚不能认证" in zh_waiting
    data["automated"] = {"verdict": "fail", "pending_attestations": ["T-OPS-001"]}
    en = "\n".join(line for line, _ in summary_lines(data, lang="en"))
    assert "verdict: DOES NOT CONFORM" in en  # an automated failure as well
    data["verdict"] = "inconclusive"
    zh = "\n".join(line for line, _ in summary_lines(data))
    assert "结论：无法判定" in zh
