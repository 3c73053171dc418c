"""The diff of two standard versions: one pair of versions per rule, and the real samples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance.standards.diff import RULES, Classification, diff_standards, render_text
from conformance.standards.loader import StandardsRepository, load_standard
from tests.conftest import run_cli
from tests.diffcases import BASE, Case, load_cases, make_pair, make_version

ROOT = Path(__file__).resolve().parents[1]
CASES = load_cases()


def test_every_rule_has_a_pair_of_versions() -> None:
    covered = {case.rule for case in CASES}
    assert sorted(set(RULES) - covered) == []
    assert sorted(covered - set(RULES)) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule + ("-reverse" if c.reverse else ""))
def test_rule(case: Case, tmp_path: Path) -> None:
    old, new = make_pair(tmp_path, case)
    diff = diff_standards(load_standard(old), load_standard(new))
    found = [c for c in diff.changes if c.rule == case.rule]
    assert found, f"{case.rule} not reported; got {[c.rule for c in diff.changes]}"
    # nothing else: a renamed path parameter is not also a removal, a range not a removal...
    assert {c.rule for c in diff.changes} <= {case.rule, *case.also}, diff.changes
    change = found[0]
    rule = RULES[case.rule]
    if not case.also:
        assert diff.required_bump() is rule.bump
    assert change.classification is rule.classification
    assert change.as_dict()["classification"] == rule.classification.value
    # bilingual, and located in both versions where the thing exists in both
    assert change.message_zh()
    assert change.message_en()
    assert change.message_zh() != change.message_en()
    located = [loc for loc in (change.old, change.new) if loc is not None]
    assert located, change
    if not case.rule.startswith(("clause-", "export-", "api-")):
        assert case.file in {loc.file for loc in located}, (case.file, located)
    if case.file.endswith(".xsd"):
        assert all(loc.xpath and loc.xpath.startswith("/xs:schema") for loc in located)
        if case.xpath:
            assert case.xpath in {loc.xpath for loc in located}
    elif case.file.endswith(".json") or case.file == "openapi.yaml":
        assert all(loc.pointer is not None for loc in located)
    assert all(loc.line is None or loc.line >= 1 for loc in located)


def test_identical_versions_have_no_changes(tmp_path: Path) -> None:
    old = make_version(tmp_path, "1.0.0")
    new = make_version(tmp_path, "1.0.1")
    diff = diff_standards(load_standard(old), load_standard(new))
    assert diff.changes == []
    assert diff.required_bump().value == "none"
    assert "无变更 / No changes" in render_text(diff)


def test_a_shared_schema_change_is_reported_once_with_every_use(tmp_path: Path) -> None:
    case = Case(
        "output-enum-value-added",
        "schemas/out.schema.json",
        ({"op": "add", "path": "/properties/status/enum/-", "value": "d"},),
    )
    old, new = make_pair(tmp_path, case)
    diff = diff_standards(load_standard(old), load_standard(new))
    found = [c for c in diff.changes if c.rule == "output-enum-value-added"]
    assert len(found) == 1
    uses = {found[0].subject_en, *found[0].used_by}
    assert "export things-jsonl record" in uses
    assert "GET /things response 200 application/json" in uses
    assert found[0].new is not None
    assert found[0].new.pointer == "/properties/status/enum"


def test_a_ref_that_leaves_the_folder_is_not_followed(tmp_path: Path) -> None:
    old, new = make_pair(tmp_path, Case("none"))
    outside = tmp_path / "outside.json"
    outside.write_text('{"type": "integer"}', encoding="utf-8")
    schema = new / "schemas" / "out.schema.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["properties"]["count"] = {"$ref": "../../../outside.json"}
    schema.write_text(json.dumps(data), encoding="utf-8")
    diff = diff_standards(load_standard(old), load_standard(new))
    assert all("outside" not in json.dumps(c.as_dict()) for c in diff.changes)


def test_real_e_licence_minor_version_is_compatible_only() -> None:
    repository = StandardsRepository([ROOT / "standards"])
    diff = diff_standards(
        repository.load("gov.e-licence@1.0.0"), repository.load("gov.e-licence@1.1.0")
    )
    assert diff.changes, "1.1.0 adds an operation, a parameter and a clause"
    assert {c.classification for c in diff.changes} == {Classification.COMPATIBLE}
    rules = {c.rule for c in diff.changes}
    assert {"operation-added", "parameter-added-optional", "clause-added"} <= rules
    assert diff.required_bump().value == "minor"


def test_diff_cli_text_and_json() -> None:
    result = run_cli("standards", "diff", "gov.e-licence@1.0.0", "gov.e-licence@1.1.0")
    assert result.code == 0, result.err
    assert "兼容变更 / Compatible changes" in result.out
    assert "[operation-added]" in result.out
    assert "new gov.e-licence@1.1.0: openapi.yaml:" in result.out
    assert "Smallest bump needed: minor" in result.out
    result = run_cli(
        "standards", "diff", "gov.e-licence@1.0.0", "gov.e-licence@1.1.0", "--format", "json"
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["summary"] == {
        "breaking": 0,
        "possibly-breaking": 0,
        "compatible": len(data["changes"]),
    }
    change = data["changes"][0]
    assert set(change) >= {"rule", "classification", "message", "old", "new", "bump"}
    assert set(change["message"]) == {"zh-CN", "en"}


def test_diff_cli_fails_on_breaking_and_compares_with_previous(tmp_path: Path) -> None:
    case = Case(
        "output-enum-value-added",
        "schemas/out.schema.json",
        ({"op": "add", "path": "/properties/status/enum/-", "value": "d"},),
    )
    old, new = make_pair(tmp_path, case)
    result = run_cli("standards", "diff", str(old), str(new), "--fail-on", "breaking")
    assert result.code == 1, result.out + result.err
    assert "破坏性变更 / Breaking changes" in result.out
    result = run_cli("standards", "diff", "--previous", str(new / "schemas" / "out.schema.json"))
    assert result.code == 0, result.err
    assert "test.diff@1.0.0 → test.diff@2.0.0" in result.out
    result = run_cli("standards", "diff", "--previous", str(old), "--format", "json")
    assert json.loads(result.out)["diffs"] == []


def test_diff_cli_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    result = run_cli("standards", "diff", "gov.e-licence@9.9.9", "gov.e-licence@1.1.0")
    assert result.code == 2
    assert "not found" in result.err
    assert "Traceback" not in result.err
    result = run_cli("standards", "diff", str(tmp_path), "gov.e-licence@1.1.0")
    assert result.code == 2
    assert "not inside a standard version folder" in result.err
    result = run_cli("standards", "diff", "gov.e-licence@1.1.0")
    assert result.code == 2
    assert "expected two versions" in result.err


def test_base_fixture_lints_clean() -> None:
    """Clean but for three notes: its number with ``multipleOf`` (which the diff rules
    compare), its ``anyOf`` of two types and its open object forbidding a member it does
    not name are members its JSON Lines export's typed path checks whole."""
    from conformance.lint import lint_folder

    issues = lint_folder(BASE)
    notes = [i for i in issues if i.rule == "export-member-checked-whole"]
    assert [i.format() for i in issues if i not in notes] == []
    assert {i.severity for i in notes} == {"info"}
    assert len(notes) == 3
    assert "at /score: a number leaf with ['multipleOf']" in notes[0].message
    assert "at /alt: leaf keywords ['anyOf']" in notes[1].message
    assert "at /cond: a rule on 'x', a member the open object does not name" in notes[2].message


def test_rules_are_documented() -> None:
    text = (ROOT / "docs" / "breaking-change-rules.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", text, flags=re.M))
    assert documented == set(RULES)
    for rule in RULES.values():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{rule.id}` |"))
        assert f"| {rule.classification.value} |" in row
