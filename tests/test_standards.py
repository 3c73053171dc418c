"""Standards as data: loading, digests, listing, lint of the samples and of broken standards."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conformance.errors import StandardError, StandardNotFound, UsageError
from conformance.lint import lint_folder
from conformance.standards.loader import (
    StandardsRepository,
    content_digest,
    load_standard,
    parse_ref,
)
from tests.conftest import ROOT, run_cli

DATA = Path(__file__).parent / "data"
MINIMAL = DATA / "minimal" / "test.minimal" / "1.0.0"
SAMPLES = sorted(p.parent for p in (ROOT / "standards").glob("*/*/standard.yaml"))


def test_the_sample_versions_exist() -> None:
    names = {f"{p.parent.name}@{p.name}" for p in SAMPLES}
    assert names == {
        "gov.e-licence@1.0.0",
        "gov.e-licence@1.1.0",
        "gov.e-licence.zj@1.0.0",  # a provincial profile of gov.e-licence@1.1.0
        "gov.data-catalogue@1.0.0",
        "gov.service-case@1.0.0",
        "gov.service-case@2.0.0",  # 1.0.0 with the case life cycle as a state model
        "gov.service-hall@1.0.0",  # every paging and filter kind (issue 18)
    }


@pytest.mark.parametrize("folder", SAMPLES, ids=lambda p: f"{p.parent.name}@{p.name}")
def test_sample_standards_lint_clean(folder: Path) -> None:
    issues = lint_folder(folder)
    assert [i.format() for i in issues if i.severity == "error"] == []


def test_minimal_standard_lints_clean() -> None:
    assert [i.format() for i in lint_folder(MINIMAL)] == []


# (case folder, rule id, file name, line or pointer fragment expected in the message)
BROKEN = [
    ("malformed-yaml", "manifest-parse", "standard.yaml", ":6"),
    ("missing-field", "manifest-schema", "standard.yaml", "'status' is a required property"),
    ("duplicate-clause", "clause-duplicate", "standard.yaml", "/requirements/1/id"),
    ("ref-missing", "ref-missing", "openapi.yaml", "/content/application~1json/schema/$ref"),
    ("ref-url", "ref-url", "openapi.yaml", ":16"),
    ("path-outside", "path-outside", "standard.yaml", "/exports/0/schema"),
    ("unknown-format", "format-unknown", "person.schema.json", "/properties/id_number/format"),
    ("example-invalid", "example-invalid", "person.schema.json", "/examples/0"),
    ("unserved-clause", "clause-unserved", "standard.yaml", "/requirements/1"),
    ("yaml-tag", "manifest-parse", "standard.yaml", ":7"),
    ("bad-export-example", "example-invalid", "standard.yaml", "/exports/0/examples/0"),
]


@pytest.mark.parametrize(("case", "rule", "filename", "where"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_standard_is_located(case: str, rule: str, filename: str, where: str) -> None:
    folder = DATA / "broken" / case / "test.minimal" / "1.0.0"
    issues = [i for i in lint_folder(folder) if i.rule == rule]
    assert issues, [i.format() for i in lint_folder(folder)]
    text = issues[0].format()
    assert filename in text
    assert where in text


WARNED = {"unknown-format"}  # a format outside the registry is an annotation: a warning


@pytest.mark.parametrize("case", [b[0] for b in BROKEN if b[0] not in WARNED])
def test_lint_cli_exits_1_without_traceback(case: str) -> None:
    result = run_cli("standards", "lint", str(DATA / "broken" / case))
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.out + result.err
    assert "error(s)" in result.out


def test_unknown_format_is_a_warning_naming_the_schema_location() -> None:
    result = run_cli("standards", "lint", str(DATA / "broken" / "unknown-format"))
    assert result.code == 0, result.out + result.err
    assert "0 error(s), 1 warning(s)" in result.out
    assert "person.schema.json:9 at /properties/id_number/format: warning:" in result.out
    assert "format='cn-id-numbr'" in result.out
    assert "annotation" in result.out


def test_lint_cli_clean_on_samples() -> None:
    result = run_cli("standards", "lint")
    assert result.code == 0, result.out
    assert "7 standard version(s) linted: 0 error(s)" in result.out


def test_load_standard_reads_the_model() -> None:
    standard = load_standard(MINIMAL)
    assert standard.ref == "test.minimal@1.0.0"
    assert [c.id for c in standard.clauses] == ["MIN-API-001", "MIN-EXP-001"]
    assert standard.exports[0].key == ("id",)
    assert standard.openapi_path == MINIMAL / "openapi.yaml"
    assert standard.dates["published"] == "2026-01-01"  # a string, not a date object


def test_digest_is_stable_and_changes_with_any_byte(tmp_path: Path) -> None:
    copy = tmp_path / "test.minimal" / "1.0.0"
    shutil.copytree(MINIMAL, copy)
    assert content_digest(copy) == content_digest(MINIMAL)
    assert content_digest(copy).startswith("sha256:")
    example = copy / "examples" / "people.jsonl"
    example.write_bytes(example.read_bytes() + b" ")
    assert content_digest(copy) != content_digest(MINIMAL)
    (copy / "extra.txt").write_text("x")
    changed = content_digest(copy)
    (copy / "extra.txt").rename(copy / "extra2.txt")
    assert content_digest(copy) != changed  # renaming a file changes the digest too


def test_digest_ignores_lifecycle_fields_only(tmp_path: Path) -> None:
    copy = tmp_path / "test.minimal" / "1.0.0"
    shutil.copytree(MINIMAL, copy)
    manifest = copy / "standard.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text.replace("status: published", "status: deprecated").replace(
            "effective: '2026-01-01'}", "effective: '2026-01-01', sunset: '2030-01-01'}"
        ),
        encoding="utf-8",
    )
    assert "deprecated" in manifest.read_text(encoding="utf-8")
    assert content_digest(copy) == content_digest(MINIMAL)
    manifest.write_text(text.replace("Export records match", "Exported records match"), "utf-8")
    assert content_digest(copy) != content_digest(MINIMAL)


def test_digest_refuses_symlinks(tmp_path: Path) -> None:
    copy = tmp_path / "v"
    shutil.copytree(MINIMAL, copy)
    (copy / "link.json").symlink_to(tmp_path)
    with pytest.raises(StandardError, match="symbolic links"):
        content_digest(copy)


def test_repository_lists_and_finds(tmp_path: Path) -> None:
    repo = StandardsRepository([DATA / "minimal"])
    assert [(i, v) for i, v, _ in repo.versions()] == [("test.minimal", "1.0.0")]
    assert repo.load("test.minimal@1.0.0").id == "test.minimal"
    with pytest.raises(StandardNotFound, match=r"known versions of test.minimal: 1.0.0"):
        repo.folder("test.minimal@9.9.9")
    with pytest.raises(StandardNotFound, match="no standard with id='nope'"):
        repo.folder("nope@1.0.0")


@pytest.mark.parametrize("ref", ["gov.e-licence", "gov.e-licence@", "@1.0.0", "Gov@1.0.0"])
def test_parse_ref_rejects_malformed(ref: str) -> None:
    with pytest.raises(UsageError, match="ID@VERSION"):
        parse_ref(ref)


def test_show_prints_digest() -> None:
    result = run_cli("standards", "show", "gov.e-licence@1.1.0")
    assert result.code == 0, result.err
    digest = load_standard(ROOT / "standards" / "gov.e-licence" / "1.1.0").digest
    assert digest in result.out
    assert "LIC-API-006" in result.out


def test_show_unknown_version_exits_2() -> None:
    result = run_cli("standards", "show", "gov.e-licence@9.0.0")
    assert result.code == 2
    assert "known versions of gov.e-licence: 1.0.0, 1.1.0" in result.err
    assert "Traceback" not in result.err


def test_list_shows_all_samples() -> None:
    result = run_cli("standards", "list")
    assert result.code == 0
    for ref in ("gov.e-licence@1.0.0", "gov.e-licence@1.1.0", "gov.data-catalogue@1.0.0"):
        assert ref in result.out
    assert "INVALID" not in result.out
