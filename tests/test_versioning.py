"""Versioning enforced by lint: a version's bump must be at least what its diff needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.lint import lint_folder
from conformance.standards.versioning import Version, bump_between, previous_release
from tests.conftest import run_cli
from tests.diffcases import Case, apply, make_version

ROOT = Path(__file__).resolve().parents[1]

BREAKING = Case(
    "output-enum-value-added",
    "schemas/out.schema.json",
    ({"op": "add", "path": "/properties/status/enum/-", "value": "d"},),
)
POSSIBLY = Case(
    "input-pattern-unproven",
    "schemas/in.schema.json",
    ({"op": "replace", "path": "/properties/id/pattern", "value": "^(?=A)[A-Z]{2}[0-9]{4}$"},),
)
ADDITION = Case(
    "clause-added",
    "standard.yaml",
    (
        {
            "op": "add",
            "path": "/requirements/-",
            "value": {
                "id": "DIF-OPS-002",
                "level": "MAY",
                "verification": "manual",
                "text": {"zh-CN": "新条款。", "en": "A new clause."},
            },
        },
    ),
)
EDITORIAL = Case(
    "clause-text-changed",
    "standard.yaml",
    ({"op": "replace", "path": "/requirements/0/text/en", "value": "Reworded."},),
)


def _versions(root: Path, old: str, new: str, case: Case) -> Path:
    make_version(root, old)
    folder = make_version(root, new)
    apply(folder, case.file, case.patch)
    return folder


def _rules(folder: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for issue in lint_folder(folder):
        if issue.rule in ("export-block-path", "export-member-checked-whole"):
            continue  # the fixture's multipleOf and anyOf, checked whole: not version rules
        found.setdefault(f"{issue.rule}:{issue.severity}", []).append(issue.format())
    return found


@pytest.mark.parametrize(
    ("old", "new", "case", "expected"),
    [
        ("1.0.0", "1.1.0", BREAKING, {"version-bump:error"}),
        ("1.0.0", "2.0.0", BREAKING, set()),
        ("1.0.0", "1.0.1", ADDITION, {"version-bump:error"}),
        ("1.0.0", "1.1.0", ADDITION, set()),
        ("1.0.0", "1.0.1", EDITORIAL, set()),
        ("1.0.0", "1.0.1", POSSIBLY, {"version-bump:error"}),
        ("1.0.0", "1.1.0", POSSIBLY, {"version-bump-review:warning"}),
        ("1.0.0", "2.0.0", POSSIBLY, set()),
        # before 1.0.0 every need shifts down one level
        ("0.1.0", "0.1.1", BREAKING, {"version-bump:error"}),
        ("0.1.0", "0.2.0", BREAKING, set()),
        ("0.1.0", "0.1.1", ADDITION, set()),
        # a pre-release is compared with the latest release before it
        ("1.0.0", "2.0.0-rc.1", BREAKING, set()),
        ("1.0.0", "1.1.0-rc.1", BREAKING, {"version-bump:error"}),
    ],
    ids=lambda v: v.rule if isinstance(v, Case) else str(v),
)
def test_bump_rules(tmp_path: Path, old: str, new: str, case: Case, expected: set[str]) -> None:
    folder = _versions(tmp_path, old, new, case)
    found = _rules(folder)
    assert set(found) == expected, found
    for line in found.get("version-bump:error", []):
        assert "/version" in line
        assert case.rule in line
        assert f"conformance standards diff test.diff@{old} test.diff@{new}" in line


def test_message_names_the_bump_needed(tmp_path: Path) -> None:
    folder = _versions(tmp_path, "1.0.0", "1.1.0", BREAKING)
    (message,) = _rules(folder)["version-bump:error"]
    assert "is a minor bump over 1.0.0, but the changes since need a major bump" in message
    assert "standard.yaml:3 at /version" in message  # line 1 is a comment


def test_previous_release_skips_pre_releases(tmp_path: Path) -> None:
    make_version(tmp_path, "1.0.0")
    make_version(tmp_path, "2.0.0-rc.1")
    release = make_version(tmp_path, "2.0.0")
    previous = previous_release(release)
    assert previous is not None
    assert previous.name == "1.0.0"
    assert previous_release(tmp_path / "test.diff" / "1.0.0") is None


def test_version_arithmetic() -> None:
    parse = Version.parse
    assert bump_between(parse("1.2.3"), parse("2.0.0")).value == "major"  # type: ignore[arg-type]
    assert bump_between(parse("1.2.3"), parse("1.3.0")).value == "minor"  # type: ignore[arg-type]
    assert bump_between(parse("1.2.3"), parse("1.2.4")).value == "patch"  # type: ignore[arg-type]
    assert Version.parse("1.2") is None


def test_sample_minor_bump_is_accepted() -> None:
    issues = lint_folder(ROOT / "standards" / "gov.e-licence" / "1.1.0")
    assert [i.format() for i in issues if i.rule.startswith("version-bump")] == []


def test_lint_cli_fails_on_a_missing_major_bump(tmp_path: Path) -> None:
    folder = _versions(tmp_path, "1.0.0", "1.1.0", BREAKING)
    result = run_cli("standards", "lint", str(folder))
    assert result.code == 1
    assert "[version-bump]" in result.out
    result = run_cli(
        "standards",
        "lint-changed",
        str(folder / "schemas" / "out.schema.json"),
        str(tmp_path / "README.md"),
    )
    assert result.code == 1
    assert "[version-bump]" in result.out
    assert "1 standard version(s) linted" in result.out
    result = run_cli("standards", "lint-changed", str(tmp_path / "README.md"))
    assert result.code == 0
    assert "no standard version" in result.out
