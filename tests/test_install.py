"""The wheel installs in a fresh virtualenv with its sample standards and reference candidate:
the demo and the README's examples work in an empty folder, with no clone (issue 13, item 4)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml

from conformance.standards.loader import content_digest
from tests.conftest import FIXTURE, ROOT, TOKEN_ENV
from tests.packaging import fresh_venv, vendor_profile

pytestmark = [pytest.mark.slow, pytest.mark.packaging]

SAMPLES = "conformance/_samples"
REFS = [
    "gov.data-catalogue@1.0.0",
    "gov.e-licence@1.0.0",
    "gov.e-licence@1.1.0",
    "gov.e-licence.zj@1.0.0",
    "gov.service-case@1.0.0",
    "gov.service-case@2.0.0",
    "gov.service-hall@1.0.0",
]


def _files(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_wheel_carries_the_samples_git_keeps_once(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    standards = _files(ROOT / "standards")
    assert {f"{SAMPLES}/standards/{name}" for name in standards} <= names
    candidate = _files(FIXTURE)
    assert {f"{SAMPLES}/fixtures/reference_candidate/{name}" for name in candidate} <= names
    assert f"{SAMPLES}/fixtures/__init__.py" in names
    assert "conformance/schemas/standard.schema.json" in names
    # nothing else of the checkout: no tests, no top-level fixtures package
    assert not [n for n in names if n.startswith(("tests/", "fixtures/", "standards/"))]
    # the repository keeps the samples once, at its root
    assert not (ROOT / SAMPLES).exists()


def test_readme_examples_from_a_wheel_in_an_empty_folder(
    wheel: Path, tmp_path: Path, reference_url: str, token: str
) -> None:
    venv = fresh_venv(tmp_path / "venv", wheel)
    empty = tmp_path / "empty"
    empty.mkdir()

    def cli(*args: str) -> str:
        done = venv.run("conformance", *args, cwd=empty, **{TOKEN_ENV: token})
        assert done.returncode == 0, f"conformance {' '.join(args)}:\n{done.stdout}{done.stderr}"
        assert "Traceback" not in done.stderr
        return done.stdout

    listed = cli("standards", "list")
    assert "lookup order (first match wins)" in listed
    rows = [line for line in listed.splitlines() if "@" in line.split("\t")[0]]
    assert [row.split("\t")[0] for row in rows] == REFS
    assert all(row.endswith("from package data") for row in rows), rows
    shown = cli("standards", "show", "gov.e-licence@1.1.0")
    digest = content_digest(ROOT / "standards" / "gov.e-licence" / "1.1.0")
    assert f"digest:  {digest}" in shown  # the same standard as the checkout's
    assert "site-packages/conformance/_samples/standards" in shown
    assert "0 error(s)" in cli("standards", "lint")
    assert "response_schema" in cli("checks", "list", "--standard", "gov.e-licence@1.1.0")
    assert "cn-uscc" in cli("formats", "list")

    demo = cli("demo", "--max-examples", "3", "--seed", "5")
    assert demo.count(" conforms") == 5, demo  # one per claim of the bundled candidate
    runs = sorted((empty / "reports").glob("*/results.json"))
    assert len(runs) == 5

    # a vendor's candidate.yaml, through both front doors
    packaged = venv.folder.glob(f"lib/python*/site-packages/{SAMPLES}/fixtures/reference_candidate")
    exports = next(packaged) / "exports" / "gov.e-licence"
    profile = vendor_profile(reference_url, TOKEN_ENV, exports)
    (empty / "candidate.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), "utf-8")
    args = ("--standard", "gov.e-licence@1.1.0", "--candidate", "candidate.yaml")
    cli("keygen", "--out", "keys", "--name", "runner-2026")
    cli(
        "run", *args, "--seed", "7", "--max-examples", "3", "--reports-dir", "vendor",
        "--runner-key", "keys/runner-2026.key.pem",
    )  # fmt: skip
    plugin = venv.run(
        "pytest", *args, "--seed", "7", "--max-examples", "3", "--reports-dir", "plugin", "-q",
        cwd=empty, **{TOKEN_ENV: token},
    )  # fmt: skip
    assert plugin.returncode == 0, plugin.stdout + plugin.stderr
    for folder in ("vendor", "plugin"):
        (results,) = (empty / folder).glob("*/results.json")
        data = json.loads(results.read_text(encoding="utf-8"))
        assert data["verdict"] == "pass"
        assert data["seed"] == 7

    # the reviewer's commands, on the attested run
    (run_dir,) = (empty / "vendor").glob("*/")
    cli("keygen", "--out", "keys", "--name", "reviewer-2026")
    cli(
        "certify", str(run_dir), "--key", "keys/reviewer-2026.key.pem", "--issuer", "省数据局",
        "--trust-runner", "keys/runner-2026.pub.pem",
    )  # fmt: skip
    cli("verify", str(run_dir / "certificate.json"), "--trust", "keys/reviewer-2026.pub.pem")
