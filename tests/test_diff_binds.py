"""Clause bindings in ``standards diff``: a real standard copied to a temporary folder, its
``binds`` edited, compared with the original, and the changes carried by every output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from conformance.standards.diff import RULES, Classification, diff_standards
from conformance.standards.loader import load_standard
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "standards" / "gov.service-case" / "1.0.0"
EXPECTED = {
    # the MUST clause of 409 answers also takes what its transitions' bodies break
    ("CASE-API-007", "clause-binding-added-must"),
    # the MUST clause of errors: 404 replaced by 422 (one binding changed)
    ("CASE-API-008", "clause-binding-changed"),
    # a binding of the MUST clause of creation dropped
    ("CASE-API-002", "clause-binding-removed"),
    # the SHOULD clause of response times, unbound until now
    ("CASE-API-011", "clause-bound"),
    # every export rule of the encoding clause unbound
    ("CASE-EXP-002", "clause-unbound"),
}


def _clause(data: dict[str, Any], clause_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in data["requirements"] if c["id"] == clause_id)
    return found


def _versions(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "gov.service-case" / "1.0.0"
    new = tmp_path / "gov.service-case" / "1.0.1"
    shutil.copytree(SOURCE, old)
    shutil.copytree(SOURCE, new)
    manifest = new / "standard.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["version"] = "1.0.1"
    _clause(data, "CASE-API-007")["binds"].append(
        {"schema": "schemas/case.schema.json#/properties/status"}
    )
    _clause(data, "CASE-API-008")["binds"][4] = {"status": "422"}
    _clause(data, "CASE-API-002")["binds"].remove({"check": "links_lifecycle"})
    _clause(data, "CASE-API-011")["binds"] = [{"check": "response_time"}]
    del _clause(data, "CASE-EXP-002")["binds"]
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return old, new


def test_binding_changes_are_classified_and_located(tmp_path: Path) -> None:
    old, new = _versions(tmp_path)
    diff = diff_standards(load_standard(old), load_standard(new))
    found = {(c.clauses[0], c.rule) for c in diff.changes}
    assert found == EXPECTED, [c.message_en() for c in diff.changes]
    unbound = [c for c in diff.changes if c.rule == "clause-unbound"]
    assert sorted(c.detail for c in unbound) == [
        "{export_rule: bom}",
        "{export_rule: final-newline}",
        "{export_rule: line-endings}",
        "{export_rule: mixed-encoding}",
    ]
    assert len({c.id for c in unbound}) == 4  # one change, and one id, per binding
    changed = next(c for c in diff.changes if c.rule == "clause-binding-changed")
    assert changed.detail == "{status: 404} → {status: 422}"
    assert changed.old is not None
    assert changed.new is not None
    assert changed.old.pointer == changed.new.pointer == "/requirements/7/binds/4"
    lines = (new / "standard.yaml").read_text(encoding="utf-8").splitlines()
    assert changed.new.line is not None
    assert "422" in lines[changed.new.line - 1]
    removed = next(c for c in diff.changes if c.rule == "clause-binding-removed")
    assert removed.old is not None
    assert removed.old.pointer == "/requirements/1/binds/2"
    assert removed.new is not None
    assert removed.new.pointer == "/requirements/1"
    # a SHOULD clause bound for the first time still moves blame: possibly breaking
    for change in diff.changes:
        assert change.classification is Classification.POSSIBLY_BREAKING, change.rule
    assert diff.required_bump().value == "major"


def test_binding_added_to_should_clause_is_compatible(tmp_path: Path) -> None:
    old, new = _versions(tmp_path)
    for folder, binds in ((old, [{"check": "response_time"}]), (new, None)):
        manifest = folder / "standard.yaml"
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        if binds is not None:
            _clause(data, "CASE-API-011")["binds"] = binds
        else:
            _clause(data, "CASE-API-011")["binds"].append({"operation": "listCases"})
        manifest.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    diff = diff_standards(load_standard(old), load_standard(new))
    rules = {c.clauses[0]: c.rule for c in diff.changes}
    assert rules["CASE-API-011"] == "clause-binding-added"
    assert RULES["clause-binding-added"].classification is Classification.COMPATIBLE
    # the same binding on a MUST clause is not
    assert rules["CASE-API-007"] == "clause-binding-added-must"


def test_binding_to_what_the_new_version_adds_is_compatible(tmp_path: Path) -> None:
    """gov.e-licence 1.1.0 binds its new status filter to LIC-API-003: no finding of 1.0.0
    could match it, so no blame moves."""
    old = load_standard(ROOT / "standards" / "gov.e-licence" / "1.0.0")
    new = load_standard(ROOT / "standards" / "gov.e-licence" / "1.1.0")
    diff = diff_standards(old, new)
    change = next(c for c in diff.changes if c.clauses == ["LIC-API-003"])
    assert change.rule == "clause-binding-added-new-target"
    assert change.detail == "{parameter: status}"
    assert change.classification is Classification.COMPATIBLE
    # the same binding where the parameter already existed is an ordinary addition
    old_copy = tmp_path / "gov.e-licence" / "1.0.0"
    shutil.copytree(new.folder, old_copy)
    manifest = old_copy / "standard.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["version"] = "1.0.0"
    _clause(data, "LIC-API-003")["binds"].remove({"parameter": "status"})
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    again = diff_standards(load_standard(old_copy), new)
    assert [c.rule for c in again.changes] == ["clause-binding-added-must"]


def test_every_output_carries_binding_changes(tmp_path: Path) -> None:
    old, new = _versions(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(
        "standards",
        "diff",
        str(old),
        str(new),
        "--format",
        "json",
        *(f"--report={kind}={out / kind}" for kind in ("text", "markdown", "junit", "github")),
        "--fail-on",
        "possibly-breaking",
    )
    assert result.code == 1, result.err  # possibly breaking: fails --fail-on possibly-breaking
    data = json.loads(result.out)
    changes = data["diffs"][0]["changes"] if "diffs" in data else data["changes"]
    by_rule = {c["rule"]: c for c in changes}
    assert set(by_rule) == {rule for _, rule in EXPECTED}
    changed = by_rule["clause-binding-changed"]
    assert changed["classification"] == "possibly-breaking"
    assert changed["clauses"] == ["CASE-API-008"]
    assert changed["new"]["pointer"] == "/requirements/7/binds/4"
    assert "条款绑定改变" in changed["message"]["zh-CN"]
    texts = {kind: (out / kind).read_text(encoding="utf-8") for kind in ("text", "markdown")}
    texts["github"] = (out / "github").read_text(encoding="utf-8")
    for kind, text in texts.items():
        for change in changes:
            assert change["rule"] in text, (kind, change["rule"])
            if kind != "github":
                assert change["id"] in text, (kind, change["id"])
    assert "{status: 404} → {status: 422}" in texts["text"]
    junit = etree.fromstring((out / "junit").read_bytes())
    cases = {c.get("classname", "") for c in junit.iter("testcase")}
    for change in changes:
        assert f"standards-diff.gov.service-case.{change['rule']}" in cases
    github = texts["github"].splitlines()
    annotated = [line for line in github if "clause-binding-changed" in line]
    assert annotated
    assert annotated[0].startswith("::")
    assert "standard.yaml" in annotated[0]
