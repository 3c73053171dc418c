"""Profiles: `extends: base@version`, inheriting the base and only narrowing it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from conformance.lint import lint_folder
from conformance.standards.diff import diff_standards
from conformance.standards.loader import StandardsRepository, content_digest, load_standard
from tests.conftest import FIXTURE, TOKEN_ENV, run_cli

ROOT = Path(__file__).resolve().parents[1]
STANDARDS = ROOT / "standards"
PROFILE = STANDARDS / "gov.e-licence.zj" / "1.0.0"
BASE = STANDARDS / "gov.e-licence" / "1.1.0"


def _root(tmp_path: Path) -> Path:
    """A standards root with the base and the sample profile, to change copies of them."""
    root = tmp_path / "standards"
    shutil.copytree(BASE, root / "gov.e-licence" / "1.1.0")
    shutil.copytree(PROFILE, root / "gov.e-licence.zj" / "1.0.0")
    return root


def _edit_json(path: Path, change: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _edit_yaml(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _errors(folder: Path) -> list[str]:
    return [i.format() for i in lint_folder(folder) if i.severity == "error"]


def test_sample_profile_inherits_and_narrows() -> None:
    profile = StandardsRepository([STANDARDS]).load("gov.e-licence.zj@1.0.0")
    base = load_standard(BASE)
    assert profile.extends == "gov.e-licence@1.1.0"
    assert profile.manifest_path == PROFILE / "standard.yaml"
    assert profile.digest == content_digest(PROFILE, base_digest=base.digest)
    assert profile.digest != content_digest(PROFILE)  # the base's files are sealed in too
    ids = [c.id for c in profile.clauses]
    assert ids[: len(base.clauses)] == [c.id for c in base.clauses]
    assert ids[len(base.clauses) :] == ["ZJ-LIC-001", "ZJ-LIC-002"]
    assert profile.openapi_path is not None  # the base's API, inherited
    record = json.loads(profile.export("licences-jsonl").schema_path.read_text(encoding="utf-8"))
    assert record["properties"]["division_code"]["pattern"] == "^33[0-9]{4}$"
    assert "ZJ-LIC-001" in profile.export("licences-xml").clauses


def test_sample_profile_lints_clean_and_only_narrows() -> None:
    assert [i.format() for i in lint_folder(PROFILE)] == []
    diff = diff_standards(load_standard(BASE), load_standard(PROFILE))
    assert all(c.spec.profile_ok for c in diff.changes)
    narrowed = [c for c in diff.changes if c.rule == "output-pattern-narrowed"]
    assert {c.new.file for c in narrowed if c.new} == {
        "schemas/licence.schema.json",
        "schemas/licences.xsd",
    }


def test_a_widening_profile_fails_lint_at_the_profile_file(tmp_path: Path) -> None:
    root = _root(tmp_path)
    profile = root / "gov.e-licence.zj" / "1.0.0"
    schema = profile / "schemas" / "licence.schema.json"
    _edit_json(schema, lambda d: d["$defs"]["status"]["enum"].append("cancelled"))
    errors = _errors(profile)
    widening = [e for e in errors if "[profile-not-narrowing]" in e]
    assert widening, errors
    assert any("output-enum-value-added" in e for e in widening)
    assert all(str(schema) in e for e in widening if "output-enum-value-added" in e)


def test_a_profile_may_not_change_what_a_candidate_accepts(tmp_path: Path) -> None:
    root = _root(tmp_path)
    profile = root / "gov.e-licence.zj" / "1.0.0"
    request = profile / "schemas" / "verify-request.schema.json"
    shutil.copyfile(BASE / "schemas" / "verify-request.schema.json", request)
    _edit_json(request, lambda d: d["properties"].update(channel={"type": "string"}))
    errors = _errors(profile)
    assert any("input-property-added-closed" in e and str(request) in e for e in errors), errors


def test_a_profile_may_strengthen_but_not_weaken_a_clause(tmp_path: Path) -> None:
    root = _root(tmp_path)
    profile = root / "gov.e-licence.zj" / "1.0.0"
    manifest = profile / "standard.yaml"
    base_clauses = yaml.safe_load((BASE / "standard.yaml").read_text(encoding="utf-8"))[
        "requirements"
    ]
    should = next(dict(c) for c in base_clauses if c["level"] == "SHOULD")
    _edit_yaml(manifest, lambda d: d["requirements"].append({**should, "level": "MUST"}))
    assert _errors(profile) == []
    must = next(dict(c) for c in base_clauses if c["id"] == "LIC-API-002")
    _edit_yaml(manifest, lambda d: d["requirements"].append({**must, "level": "SHOULD"}))
    errors = _errors(profile)
    assert any("clause-level-lowered" in e and "LIC-API-002" in e for e in errors), errors
    assert all(str(manifest) in e for e in errors)


def test_inherited_examples_are_checked_against_narrowed_schemas(tmp_path: Path) -> None:
    root = _root(tmp_path)
    profile = root / "gov.e-licence.zj" / "1.0.0"
    (profile / "examples" / "licences.jsonl").unlink()  # now the base's national examples
    errors = _errors(profile)
    national = str(root / "gov.e-licence" / "1.1.0" / "examples" / "licences.jsonl")
    inherited = [e for e in errors if national in e]
    assert inherited, errors
    assert all("[example-invalid]" in e and "'^33[0-9]{4}$'" in e for e in inherited)
    assert all("conformance-profiles-" not in e for e in errors)


def test_a_missing_base_or_a_loop_is_a_clear_lint_error(tmp_path: Path) -> None:
    root = _root(tmp_path)
    profile = root / "gov.e-licence.zj" / "1.0.0"
    manifest = profile / "standard.yaml"
    _edit_yaml(manifest, lambda d: d.update(extends="gov.e-licence@9.9.9"))
    (error,) = _errors(profile)
    assert "[profile-base-missing]" in error
    assert "/extends" in error
    assert "known versions of gov.e-licence:" in error
    other = root / "gov.e-licence.other" / "1.0.0"
    shutil.copytree(profile, other)
    _edit_yaml(
        other / "standard.yaml",
        lambda d: d.update(id="gov.e-licence.other", extends="gov.e-licence.zj@1.0.0"),
    )
    _edit_yaml(manifest, lambda d: d.update(extends="gov.e-licence.other@1.0.0"))
    errors = _errors(profile)
    assert any("extends loops" in e for e in errors), errors


def test_a_profile_chain_is_loaded(tmp_path: Path) -> None:
    root = _root(tmp_path)
    city = root / "gov.e-licence.zj.hz" / "1.0.0"
    city.mkdir(parents=True)
    (city / "standard.yaml").write_text(
        (PROFILE / "standard.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    _edit_yaml(
        city / "standard.yaml",
        lambda d: d.update(
            id="gov.e-licence.zj.hz",
            extends="gov.e-licence.zj@1.0.0",
            requirements=[
                {
                    "id": "HZ-LIC-001",
                    "level": "MAY",
                    "verification": "manual",
                    "text": {"zh-CN": "杭州补充条款。", "en": "A Hangzhou clause."},
                }
            ],
        ),
    )
    _edit_yaml(city / "standard.yaml", lambda d: d.pop("exports"))
    assert _errors(city) == []
    from conformance.standards.versioning import extends_chain

    standard = load_standard(city)
    assert extends_chain(standard) == [
        "gov.e-licence.zj.hz@1.0.0",
        "gov.e-licence.zj@1.0.0",
        "gov.e-licence@1.1.0",
    ]
    assert "ZJ-LIC-001" in standard.clause_ids
    assert "HZ-LIC-001" in standard.clause_ids


@pytest.mark.slow
def test_a_candidate_conforming_to_a_profile_conforms_to_its_base(tmp_path: Path) -> None:
    root = tmp_path / "standards"
    shutil.copytree(STANDARDS / "gov.data-catalogue", root / "gov.data-catalogue")
    profile = root / "gov.data-catalogue.zj" / "1.0.0"
    profile.mkdir(parents=True)
    (profile / "standard.yaml").write_text(
        "id: gov.data-catalogue.zj\nversion: 1.0.0\nextends: gov.data-catalogue@1.0.0\n"
        "title: {zh-CN: 目录实施细则, en: Catalogue profile}\n"
        "summary: {zh-CN: 测试用实施细则。, en: A test profile.}\n"
        "status: published\ndates: {published: '2026-06-01', effective: '2026-06-01'}\n"
        "owner: {name: {zh-CN: 测试组, en: Test team}}\n"
        "requirements:\n  - id: ZJC-OPS-001\n    level: SHOULD\n    verification: manual\n"
        "    text: {zh-CN: 宜每日同步。, en: Should synchronise daily.}\n",
        encoding="utf-8",
    )
    exports = FIXTURE / "exports" / "gov.data-catalogue"
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        yaml.safe_dump(
            {
                "identity": {"vendor": "t", "system": "t", "version": "1"},
                "claims": [
                    {
                        "standard": "gov.data-catalogue.zj@1.0.0",
                        "implements": ["CAT-EXP-010"],
                        "exports": {
                            name: str(exports / file)
                            for name, file in (
                                ("catalogue-json", "catalogue.json"),
                                ("catalogue-xml", "catalogue.xml"),
                                ("providers-json", "providers.json"),
                            )
                        },
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    result = run_cli(
        "run",
        "--candidate",
        str(candidate),
        "--standards-dir",
        str(root),
        "--reports-dir",
        str(reports),
        "--run-id",
        "profile",
    )
    assert result.code == 0, result.out + result.err
    data = json.loads((reports / "profile" / "results.json").read_text(encoding="utf-8"))
    assert data["conforms_to"] == ["gov.data-catalogue.zj@1.0.0", "gov.data-catalogue@1.0.0"]
    assert data["standard"]["extends"] == {
        "ref": "gov.data-catalogue@1.0.0",
        "digest": content_digest(root / "gov.data-catalogue" / "1.0.0"),
    }
    base_digest = content_digest(root / "gov.data-catalogue" / "1.0.0")
    assert data["standard"]["digest"] == content_digest(profile, base_digest=base_digest)
    assert data["standard"]["forced"] is False


@pytest.mark.slow
def test_the_national_reference_candidate_does_not_conform_to_the_zhejiang_profile(
    tmp_path: Path, reference_url: str, token: str
) -> None:
    claim = {
        "standard": "gov.e-licence.zj@1.0.0",
        "implements": ["LIC-API-008"],
        "exports": {
            "licences-jsonl": str(FIXTURE / "exports" / "gov.e-licence" / "licences.jsonl"),
            "licences-xml": str(FIXTURE / "exports" / "gov.e-licence" / "licences.xml"),
        },
    }
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        yaml.safe_dump(
            {
                "identity": {"vendor": "t", "system": "reference", "version": "1"},
                "base_url": reference_url,
                "auth": {"scheme": "bearer", "token_env": TOKEN_ENV},
                "claims": [claim],
            }
        ),
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    result = run_cli(
        "run",
        "--candidate",
        str(candidate),
        "--reports-dir",
        str(reports),
        "--run-id",
        "zj",
        "--max-examples",
        "2",
        env={TOKEN_ENV: token},
    )
    assert result.code == 1, result.out + result.err
    data = json.loads((reports / "zj" / "results.json").read_text(encoding="utf-8"))
    assert data["conforms_to"] == []
    failed = {r["clause"] for r in data["results"] if r["status"] == "fail"}
    assert "ZJ-LIC-001" in failed
    messages = json.dumps(data["results"], ensure_ascii=False)
    assert "division_code" in messages
    assert token not in (reports / "zj" / "results.json").read_text(encoding="utf-8")


def test_a_change_to_a_base_file_changes_the_profiles_digest(tmp_path: Path) -> None:
    root = tmp_path / "standards"
    shutil.copytree(STANDARDS / "gov.e-licence", root / "gov.e-licence")
    shutil.copytree(PROFILE.parent, root / PROFILE.parent.name)
    before = StandardsRepository([root]).load("gov.e-licence.zj@1.0.0").digest
    base_folder = root / "gov.e-licence" / "1.1.0"
    openapi = next(
        p
        for p in sorted(base_folder.rglob("*"))
        if p.suffix in {".yaml", ".json"} and p.name != "standard.yaml"
    )
    openapi.write_bytes(openapi.read_bytes() + b"\n")  # any byte of any file the profile loads
    after = StandardsRepository([root]).load("gov.e-licence.zj@1.0.0").digest
    assert after != before
    assert content_digest(root / PROFILE.parent.name / "1.0.0", base_digest=None) == content_digest(
        PROFILE
    )
