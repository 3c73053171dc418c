"""A version folder's review of its possibly-breaking changes (review.yaml): lint accepts a
minor bump whose every possibly-breaking change is reviewed, and refuses a review that is
malformed or reviews nothing, naming the file and the entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from conformance.lint import lint_folder
from conformance.standards.diff import Classification, diff_standards
from conformance.standards.loader import content_digest, load_standard
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "standards" / "gov.service-case"


def _versions(tmp_path: Path) -> tuple[Path, Path]:
    """gov.service-case 1.0.0, and its 2.0.0 as if it had been published as 1.1.0."""
    root = tmp_path / "standards" / "gov.service-case"
    old, new = root / "1.0.0", root / "1.1.0"
    shutil.copytree(CASES / "1.0.0", old)
    shutil.copytree(CASES / "2.0.0", new)
    manifest = new / "standard.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("version: 2.0.0", "version: 1.1.0", 1), "utf-8")
    return old, new


def _possibly(old: Path, new: Path) -> list[tuple[str, str]]:
    diff = diff_standards(load_standard(old), load_standard(new))
    return [
        (c.id, c.rule) for c in diff.changes if c.classification is Classification.POSSIBLY_BREAKING
    ]


def _review(folder: Path, entries: list[dict[str, str]]) -> Path:
    path = folder / "review.yaml"
    path.write_text(yaml.safe_dump({"accepted": entries}, allow_unicode=True), "utf-8")
    return path


def _issues(folder: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for issue in lint_folder(folder):
        found.setdefault(issue.rule, []).append(issue.format())
    return found


def test_a_minor_bump_warns_until_each_possibly_breaking_change_is_reviewed(
    tmp_path: Path,
) -> None:
    old, new = _versions(tmp_path)
    possibly = _possibly(old, new)
    assert sorted(rule for _, rule in possibly) == [
        "clause-added-must",
        "extension-changed",
        "extension-changed",
    ]
    issues = _issues(new)
    assert list(issues) == ["version-bump-review"], issues
    assert "review.yaml" in issues["version-bump-review"][0]
    # two of three reviewed: the warning names only the third
    entries = [
        {
            "id": change_id,
            "reason": f"checks what 1.0.0 already required ({rule})",
            "expires": "2027-12-31",
        }
        for change_id, rule in possibly
    ]
    _review(new, entries[:2])
    warning = _issues(new)["version-bump-review"]
    assert len(warning) == 1
    assert "1 possibly-breaking change(s) not reviewed, 2 reviewed in review.yaml" in warning[0]
    assert possibly[2][0] in warning[0]
    assert possibly[0][0] not in warning[0]
    # all three: an informational line naming the review, no warning
    review = _review(new, entries)
    issues = _issues(new)
    assert list(issues) == ["version-bump-reviewed"], issues
    line = issues["version-bump-reviewed"][0]
    assert ": info: " in line
    assert str(review) in line
    assert "checks what 1.0.0 already required" in line
    result = run_cli("standards", "lint", str(new))
    assert result.code == 0, result.out + result.err
    assert "0 error(s), 0 warning(s), 1 note(s)" in result.out


def test_the_review_is_sealed_into_the_digest(tmp_path: Path) -> None:
    old, new = _versions(tmp_path)
    before = content_digest(new)
    change_id, _ = _possibly(old, new)[0]
    _review(new, [{"id": change_id, "reason": "reviewed", "expires": "2027-12-31"}])
    assert content_digest(new) != before
    assert load_standard(new).digest == content_digest(new)


def test_a_malformed_review_is_an_error_naming_file_and_entry(tmp_path: Path) -> None:
    _, new = _versions(tmp_path)
    path = new / "review.yaml"
    path.write_text(
        'accepted:\n  - id: "66c2d6d3aa3a"\n    reason: fine\n    expires: 2027-12-31\n'
        "  - id: 12345\n    reason: a number, not an id\n    expires: 2027-12-31\n",
        encoding="utf-8",
    )
    issues = _issues(new)
    assert "version-review-invalid" in issues, issues
    error = issues["version-review-invalid"][0]
    assert f"{path}:5" in error
    assert "/accepted/1/id" in error
    assert ": error: " in error
    result = run_cli("standards", "lint", str(new))
    assert result.code == 1
    assert "Traceback" not in result.err
    # a malformed review reviews nothing: the warning stays
    assert "version-bump-review" in issues


def test_an_entry_that_reviews_nothing_is_an_error_at_its_line(tmp_path: Path) -> None:
    old, new = _versions(tmp_path)
    possibly = _possibly(old, new)
    diff = diff_standards(load_standard(old), load_standard(new))
    compatible = next(c for c in diff.changes if c.classification is Classification.COMPATIBLE)
    entries = [{"id": i, "reason": "reviewed", "expires": "2027-12-31"} for i, _ in possibly]
    entries.append({"id": compatible.id, "reason": "nothing to review", "expires": "2027-12-31"})
    entries.append(
        {"id": "0123456789ab", "reason": "a change of another diff", "expires": "2027-12-31"}
    )
    # expired before 1.1.0 takes effect (2027-01-01): it reviews nothing
    entries[0]["expires"] = "2026-12-31"
    path = _review(new, entries)
    issues = _issues(new)
    unused = issues["version-review-unused"]
    assert len(unused) == 3, unused
    text = "\n".join(unused)
    assert "compatible change" in text
    assert "0123456789ab" in text
    assert "expired on 2026-12-31" in text
    assert all(f"{path}:" in line for line in unused)
    # the expired entry's change is not reviewed: the warning names it
    assert possibly[0][0] in issues["version-bump-review"][0]


def test_a_major_bump_needs_no_review_and_a_new_version_does_not_inherit_it(
    tmp_path: Path,
) -> None:
    old, new = _versions(tmp_path)
    major = new.parent / "2.0.0"
    shutil.copytree(CASES / "2.0.0", major)
    shutil.rmtree(new)
    assert _issues(major) == {}
    change_id, _ = _possibly(old, major)[0]
    _review(major, [{"id": change_id, "reason": "reviewed anyway", "expires": "2027-12-31"}])
    assert _issues(major) == {}  # a review of a major bump is allowed, and checked
    result = run_cli(
        "standards",
        "new-version",
        "gov.service-case",
        "--from",
        "2.0.0",
        "--bump",
        "minor",
        "--standards-dir",
        str(tmp_path / "standards"),
    )
    assert result.code == 0, result.err
    assert (major.parent / "2.1.0" / "standard.yaml").is_file()
    assert not (major.parent / "2.1.0" / "review.yaml").exists()
