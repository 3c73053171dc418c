"""Cross-record rules: references between exports, record counts, the API's total; lint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.exports import (
    RECORD_COUNT,
    REFERENCES,
    ExportRules,
    TotalFrom,
    apply_rules,
    export_rules,
    validate_export,
)
from conformance.exports._rules import Reference
from conformance.lint import lint_folder
from conformance.standards.loader import load_standard
from tests.conftest import ROOT, TOKEN_ENV, run_cli

CATALOGUE = ROOT / "standards" / "gov.data-catalogue" / "1.0.0"
LICENCE = ROOT / "standards" / "gov.e-licence" / "1.1.0"
FIXTURE_EXPORTS = ROOT / "fixtures" / "reference_candidate" / "exports"


def _files(tmp_path: Path, providers: list[dict[str, Any]], catalogue: list[dict[str, Any]]) -> Any:
    standard = load_standard(CATALOGUE)
    provider_path = tmp_path / "providers.json"
    provider_path.write_text(json.dumps(providers, ensure_ascii=False), encoding="utf-8")
    catalogue_path = tmp_path / "catalogue.json"
    catalogue_path.write_text(json.dumps(catalogue, ensure_ascii=False, indent=1), "utf-8")
    files = {
        "providers-json": (standard.export("providers-json"), provider_path),
        "catalogue-json": (standard.export("catalogue-json"), catalogue_path),
    }
    return standard, files


def _sample(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        (FIXTURE_EXPORTS / "gov.data-catalogue" / name).read_text(encoding="utf-8")
    )
    return data


def test_rules_are_read_from_the_manifest() -> None:
    rules = export_rules(load_standard(CATALOGUE))
    assert rules["catalogue-json"].references[0] == Reference(
        "provider_code", "providers-json", "provider_code"
    )
    assert rules["catalogue-xml"].checks == (REFERENCES,)
    assert "providers-json" not in rules


def test_missing_references_are_located_and_counted(tmp_path: Path) -> None:
    providers = _sample("providers.json")
    catalogue = _sample("catalogue.json")
    known = {p["provider_code"] for p in providers}
    dropped = catalogue[4]["provider_code"]
    providers = [p for p in providers if p["provider_code"] != dropped]
    expected = sum(1 for r in catalogue if r["provider_code"] == dropped)
    assert dropped in known
    assert expected >= 1
    catalogue[7]["related_resource_codes"] = ["109001001/999999"]
    standard, files = _files(tmp_path, providers, catalogue)
    spec, path = files["catalogue-json"]
    rules = export_rules(standard)["catalogue-json"]
    report = validate_export(spec, path)
    apply_rules(spec, report, rules, files, None, cap=100)
    assert report.counts[(REFERENCES, "missing-reference")] == expected + 1
    assert report.failed(REFERENCES)
    first = next(i for i in report.issues if i.check == REFERENCES)
    assert first.pointer == "/provider_code"
    assert dropped in first.message
    assert first.line is not None
    lines = path.read_text(encoding="utf-8").splitlines()
    assert dropped in "\n".join(lines[first.line - 1 : first.line + 12])
    related = [i for i in report.issues if "999999" in i.message]
    assert len(related) == 1
    assert related[0].pointer == "/related_resource_codes"


def test_reference_to_an_export_not_provided_fails(tmp_path: Path) -> None:
    _standard, files = _files(tmp_path, _sample("providers.json"), _sample("catalogue.json"))
    spec, path = files.pop("catalogue-json")
    report = validate_export(spec, path)
    rules = ExportRules(references=(Reference("provider_code", "providers-json", "provider_code"),))
    apply_rules(spec, report, rules, {}, None, cap=100)
    issue = next(i for i in report.issues if i.check == REFERENCES)
    assert issue.kind == "reference-unavailable"
    assert "providers-json" in issue.message


def test_record_count_bounds_and_total(tmp_path: Path) -> None:
    _standard, files = _files(tmp_path, _sample("providers.json"), _sample("catalogue.json"))
    spec, path = files["catalogue-json"]
    count = len(_sample("catalogue.json"))

    def check(rules: ExportRules, total: Any = None) -> set[str]:
        report = validate_export(spec, path)
        apply_rules(spec, report, rules, files, total, cap=100)
        return {i.kind for i in report.issues if i.check == RECORD_COUNT}

    assert check(ExportRules(min_records=1, max_records=count)) == set()
    assert check(ExportRules(min_records=count + 1)) == {"too-few-records"}
    assert check(ExportRules(max_records=count - 1)) == {"too-many-records"}
    total = TotalFrom("listResources", "/total")
    assert check(ExportRules(total_from=total), lambda rule: count) == set()
    assert check(ExportRules(total_from=total), lambda rule: count + 3) == {"count-differs"}
    assert check(ExportRules(total_from=total), lambda rule: "answered 500") == {
        "total-unavailable"
    }


def _copy_standard(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "standards" / source.parent.name / source.name
    shutil.copytree(source, target)
    return target


def _edit_manifest(folder: Path, change: Any) -> None:
    manifest = folder / "standard.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    change(data)
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def test_lint_refuses_unknown_exports_and_operations(tmp_path: Path) -> None:
    folder = _copy_standard(CATALOGUE, tmp_path)

    def change(data: dict[str, Any]) -> None:
        data["exports"][0]["references"][0]["export"] = "nowhere"
        data["exports"][0]["total_from"] = {"operation": "listThings", "pointer": "/total"}
        data["exports"][0]["records"] = {"min": 5, "max": 2}

    _edit_manifest(folder, change)
    rules = {i.rule: i for i in lint_folder(folder)}
    assert "nowhere" in rules["reference-export-unknown"].message
    assert rules["reference-export-unknown"].location.line is not None
    assert "listThings" in rules["total-operation-unknown"].message
    assert "records-range" in rules


def _licence_with_total(tmp_path: Path) -> Path:
    folder = _copy_standard(LICENCE, tmp_path)

    def change(data: dict[str, Any]) -> None:
        data["requirements"].append(
            {
                "id": "LIC-EXP-005",
                "level": "MUST",
                "verification": "automated",
                "checks": ["export_record_count"],
                "text": {
                    "zh-CN": "导出文件的记录数须与证照列表接口返回的 total 一致。",
                    "en": "An export holds as many records as the licence list's total.",
                },
            }
        )
        for export in data["exports"]:
            export["total_from"] = {"operation": "listLicences", "pointer": "/total"}
            export["clauses"].append("LIC-EXP-005")

    _edit_manifest(folder, change)
    assert [i for i in lint_folder(folder) if i.severity == "error"] == []
    return folder


def _candidate(tmp_path: Path, jsonl: Path) -> Path:
    xml = FIXTURE_EXPORTS / "gov.e-licence" / "licences.xml"
    path = tmp_path / "candidate.yaml"
    profile = {
        "identity": {"vendor": "测试", "system": "rules", "version": "1.0.0"},
        "base_url": "http://127.0.0.1:9",
        "auth": {"scheme": "bearer", "token_env": TOKEN_ENV},
        "claims": [
            {
                "standard": "gov.e-licence@1.1.0",
                "exports": {"licences-jsonl": str(jsonl), "licences-xml": str(xml)},
            }
        ],
    }
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.slow
def test_total_from_compares_with_the_api(tmp_path: Path, reference_url: str, token: str) -> None:
    _licence_with_total(tmp_path)
    full = FIXTURE_EXPORTS / "gov.e-licence" / "licences.jsonl"
    short = tmp_path / "short.jsonl"
    short.write_text("".join(full.read_text(encoding="utf-8").splitlines(True)[1:]), "utf-8")
    outcomes = {}
    for name, jsonl in (("full", full), ("short", short)):
        (tmp_path / name).mkdir()
        done = run_cli(
            "run",
            "--candidate",
            str(_candidate(tmp_path / name, jsonl)),
            "--standards-dir",
            str(tmp_path / "standards"),
            "--base-url",
            reference_url,
            "--max-examples",
            "0",
            "--reports-dir",
            str(tmp_path / "reports"),
            "--run-id",
            name,
            env={TOKEN_ENV: token},
        )
        data = json.loads((tmp_path / "reports" / name / "results.json").read_text("utf-8"))
        outcomes[name] = (done.code, data)
    code, data = outcomes["full"]
    counted = [r for r in data["results"] if r["check"] == "export_record_count"]
    assert {r["status"] for r in counted} == {"pass"}
    assert len(counted) == 2
    code, data = outcomes["short"]
    assert code == 1
    failed = next(
        r for r in data["results"] if r["check"] == "export_record_count" and "jsonl" in r["target"]
    )
    assert failed["status"] == "fail"
    message = failed["failures"][0]["message"]
    assert "listLicences" in message
    assert "/total=" in message
    assert token not in json.dumps(data)
