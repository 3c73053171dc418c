"""The lifecycle: new versions, status and dates, refusing drafts, changelogs, and CI hooks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.lint import lint_folder
from conformance.standards.loader import content_digest
from tests.conftest import FIXTURE, run_cli
from tests.diffcases import apply, make_version

ROOT = Path(__file__).resolve().parents[1]
STANDARDS = ROOT / "standards"
CATALOGUE = STANDARDS / "gov.data-catalogue" / "1.0.0"


def _catalogue_root(tmp_path: Path) -> Path:
    root = tmp_path / "standards"
    shutil.copytree(CATALOGUE, root / "gov.data-catalogue" / "1.0.0")
    return root


def _set(manifest: Path, **values: object) -> None:
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data.update(values)
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def _candidate(tmp_path: Path, ref: str) -> Path:
    exports = FIXTURE / "exports" / "gov.data-catalogue"
    path = tmp_path / "candidate.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "identity": {"vendor": "t", "system": "t", "version": "1"},
                "claims": [
                    {
                        "standard": ref,
                        "implements": ["CAT-EXP-010"],
                        "exports": {
                            "catalogue-json": str(exports / "catalogue.json"),
                            "catalogue-xml": str(exports / "catalogue.xml"),
                            "providers-json": str(exports / "providers.json"),
                        },
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


# -- new-version ---------------------------------------------------------------------------


def test_new_version_scaffolds_a_draft_and_never_overwrites(tmp_path: Path) -> None:
    root = tmp_path / "standards"
    shutil.copytree(STANDARDS / "gov.e-licence" / "1.1.0", root / "gov.e-licence" / "1.1.0")
    source = root / "gov.e-licence" / "1.1.0"
    before = content_digest(source)
    result = run_cli(
        "standards", "new-version", "gov.e-licence", "--from", "1.1.0", "--standards-dir", str(root)
    )
    assert result.code == 0, result.err
    created = root / "gov.e-licence" / "1.2.0"
    assert f"created {created}" in result.out
    manifest = yaml.safe_load((created / "standard.yaml").read_text(encoding="utf-8"))
    assert (manifest["version"], manifest["status"], manifest["dates"]) == ("1.2.0", "draft", {})
    openapi = yaml.safe_load((created / "openapi.yaml").read_text(encoding="utf-8"))
    assert openapi["info"]["version"] == "1.2.0"
    text = (created / "standard.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Electronic licence")  # comments and layout are kept
    assert content_digest(source) == before
    assert [i.format() for i in lint_folder(created)] == []
    again = run_cli(
        "standards", "new-version", "gov.e-licence", "--from", "1.1.0", "--standards-dir", str(root)
    )
    assert again.code == 2
    assert "already exists; it is never overwritten" in again.err
    assert "Traceback" not in again.err
    major = run_cli(
        "standards",
        "new-version",
        "gov.e-licence",
        "--from",
        "1.1.0",
        "--bump",
        "major",
        "--standards-dir",
        str(root),
    )
    assert major.code == 0, major.err
    assert (root / "gov.e-licence" / "2.0.0" / "standard.yaml").is_file()
    assert sorted(p.name for p in (root / "gov.e-licence").iterdir()) == ["1.1.0", "1.2.0", "2.0.0"]


# -- status and dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "dates", "message"),
    [
        ("deprecated", {"published": "2026-01-01"}, "needs dates.deprecated"),
        ("retired", {"published": "2026-01-01", "deprecated": "2026-02-01"}, "needs dates.sunset"),
        ("published", {"effective": "2026-01-01"}, "needs dates.published"),
        (
            "retired",
            {"published": "2026-01-01", "deprecated": "2026-05-01", "sunset": "2026-03-01"},
            "dates.sunset=2026-03-01 is before dates.deprecated=2026-05-01",
        ),
    ],
)
def test_lifecycle_dates(tmp_path: Path, status: str, dates: dict[str, str], message: str) -> None:
    folder = make_version(tmp_path, "1.0.0")
    _set(folder / "standard.yaml", status=status, dates=dates)
    issues = [i for i in lint_folder(folder) if i.rule == "lifecycle-dates"]
    assert any(message in i.message and i.severity == "error" for i in issues), issues


@pytest.mark.slow
@pytest.mark.parametrize("status", ["draft", "retired"])
def test_run_refuses_draft_and_retired_unless_forced(tmp_path: Path, status: str) -> None:
    root = _catalogue_root(tmp_path)
    dates = {"published": "2025-01-01", "sunset": "2026-01-01"} if status == "retired" else {}
    _set(root / "gov.data-catalogue" / "1.0.0" / "standard.yaml", status=status, dates=dates)
    candidate = _candidate(tmp_path, "gov.data-catalogue@1.0.0")
    reports = tmp_path / "reports"
    args = (
        "run",
        "--candidate",
        str(candidate),
        "--standards-dir",
        str(root),
        "--reports-dir",
        str(reports),
        "--run-id",
        "r",
    )
    refused = run_cli(*args)
    assert refused.code == 2
    expected = "is a draft" if status == "draft" else "was retired on 2026-01-01"
    assert f"gov.data-catalogue@1.0.0 {expected}: certification against it is refused" in (
        refused.err
    )
    assert "pass --force" in refused.err
    assert "Traceback" not in refused.err
    assert not reports.exists()
    forced = run_cli(*args, "--force")
    assert forced.code == 0, forced.out + forced.err
    data = json.loads((reports / "r" / "results.json").read_text(encoding="utf-8"))
    assert data["standard"]["forced"] is True
    assert data["standard"]["status"] == status
    assert any(w.startswith("强制运行 / forced run:") for w in data["warnings"])


@pytest.mark.slow
def test_a_deprecated_version_runs_with_a_warning(tmp_path: Path) -> None:
    root = _catalogue_root(tmp_path)
    _set(
        root / "gov.data-catalogue" / "1.0.0" / "standard.yaml",
        status="deprecated",
        dates={"published": "2025-01-01", "deprecated": "2026-06-01", "sunset": "2027-06-01"},
    )
    reports = tmp_path / "reports"
    result = run_cli(
        "run",
        "--candidate",
        str(_candidate(tmp_path, "gov.data-catalogue@1.0.0")),
        "--standards-dir",
        str(root),
        "--reports-dir",
        str(reports),
        "--run-id",
        "r",
    )
    assert result.code == 0, result.out + result.err
    data = json.loads((reports / "r" / "results.json").read_text(encoding="utf-8"))
    assert data["standard"]["forced"] is False
    assert data["conforms_to"] == ["gov.data-catalogue@1.0.0"]
    (warning,) = [w for w in data["warnings"] if "deprecated" in w]
    assert "已于 2026-06-01 废止" in warning
    assert "retired on 2027-06-01" in warning


# -- changelog -----------------------------------------------------------------------------


def test_changelog_is_generated_bilingual_and_outside_version_folders(tmp_path: Path) -> None:
    make_version(tmp_path, "1.0.0")
    breaking = make_version(tmp_path, "2.0.0")
    apply(
        breaking,
        "schemas/out.schema.json",
        ({"op": "add", "path": "/properties/status/enum/-", "value": "d"},),
    )
    digests = {p.name: content_digest(p) for p in (tmp_path / "test.diff").iterdir()}
    result = run_cli("standards", "changelog", "test.diff", "--standards-dir", str(tmp_path))
    assert result.code == 0, result.err
    path = tmp_path / "test.diff" / "CHANGELOG.md"
    text = path.read_text(encoding="utf-8")
    assert text.index("## 2.0.0") < text.index("## 1.0.0")
    assert "### 破坏性变更 / Breaking changes" in text
    assert "`output-enum-value-added`" in text
    assert "首个版本。 / First version." in text
    assert {
        p.name: content_digest(p) for p in (tmp_path / "test.diff").iterdir() if p.is_dir()
    } == digests
    check = run_cli(
        "standards", "changelog", "test.diff", "--check", "--standards-dir", str(tmp_path)
    )
    assert check.code == 0, check.out
    apply(
        breaking,
        "standard.yaml",
        ({"op": "replace", "path": "/requirements/0/text/en", "value": "Reworded."},),
    )
    check = run_cli(
        "standards", "changelog", "test.diff", "--check", "--standards-dir", str(tmp_path)
    )
    assert check.code == 1
    assert "out of date" in check.out


def test_changelog_never_replaces_a_hand_written_file(tmp_path: Path) -> None:
    make_version(tmp_path, "1.0.0")
    path = tmp_path / "test.diff" / "CHANGELOG.md"
    path.write_text("# written by hand\n", encoding="utf-8")
    result = run_cli("standards", "changelog", "test.diff", "--standards-dir", str(tmp_path))
    assert result.code == 2
    assert "was not generated by this command" in result.err
    assert path.read_text(encoding="utf-8") == "# written by hand\n"
    forced = run_cli(
        "standards", "changelog", "test.diff", "--force", "--standards-dir", str(tmp_path)
    )
    assert forced.code == 0, forced.err


@pytest.mark.parametrize(
    "standard_id", ["gov.e-licence", "gov.e-licence.zj", "gov.data-catalogue", "gov.service-case"]
)
def test_sample_changelogs_are_up_to_date(standard_id: str) -> None:
    result = run_cli(
        "standards", "changelog", standard_id, "--check", "--standards-dir", str(STANDARDS)
    )
    assert result.code == 0, result.out + result.err


# -- CI ------------------------------------------------------------------------------------


def test_pre_commit_hooks_run_on_changed_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"standards-lint-changed", "standards-diff-previous"}
    changed = ["standards/gov.e-licence/1.1.0/openapi.yaml", "standards/README.md"]
    for hook in hooks:
        assert re.search(hook["files"], changed[0])
        assert hook["language"] == "python"
        command, *args = hook["entry"].split()
        assert command == "conformance"
        result = run_cli(*args, *changed)
        assert result.code == 0, (hook["id"], result.out, result.err)
    result = run_cli("standards", "diff", "--previous", "--fail-on", "never", *changed)
    assert "gov.e-licence@1.0.0 → gov.e-licence@1.1.0" in result.out


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_ci_template_steps_catch_a_missing_major_bump_and_an_edited_release(
    tmp_path: Path,
) -> None:
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "standards-repo-ci.yml").read_text("utf-8"))
    steps = {s.get("name"): s.get("run") for s in workflow["jobs"]["standards"]["steps"]}
    repo = tmp_path / "repo"
    make_version(repo / "standards", "1.0.0")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "1.0.0")
    base = _git(repo, "rev-parse", "HEAD")
    new = make_version(repo / "standards", "1.1.0")
    apply(
        new,
        "schemas/out.schema.json",
        ({"op": "add", "path": "/properties/status/enum/-", "value": "d"},),
    )
    released = repo / "standards" / "test.diff" / "1.0.0" / "schemas" / "row.schema.json"
    released.write_text(
        released.read_text(encoding="utf-8").replace('"id"]', '"id", "count"]'), encoding="utf-8"
    )
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "1.1.0")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "conformance"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m conformance "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    github_env = tmp_path / "github.env"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "GITHUB_ENV": str(github_env),
        "CONFORMANCE_STANDARDS_PATH": "standards",
    }

    def step(name: str) -> subprocess.CompletedProcess[str]:
        script = steps[name].replace(
            "${{ github.event.pull_request.base.sha || github.event.before }}", base
        )
        for line in github_env.read_text().splitlines() if github_env.exists() else []:
            key, _, value = line.partition("=")
            env[key] = value
        return subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert step("Changed files").returncode == 0
    lint = step("Lint the changed standard versions")
    assert lint.returncode != 0
    assert "[version-bump]" in lint.stdout
    diff = step("Diff against the previous release")
    assert diff.returncode == 0, diff.stderr
    assert "output-enum-value-added" in diff.stdout
    assert json.loads((repo / "diff.json").read_text())["diffs"][0]["summary"]["breaking"] >= 1
    frozen = step("Published versions are not edited")
    assert frozen.returncode != 0
    assert "standards/test.diff/1.0.0 was published" in frozen.stdout
    changelog = step("Changelogs are up to date")
    assert changelog.returncode != 0  # no CHANGELOG.md yet
    assert "out of date" in changelog.stdout
