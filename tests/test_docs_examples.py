"""The examples a reviewer starts from: docs/waivers.yaml, docs/attestations.yaml, and the
reference candidate's --help listing its faults (an unknown fault is refused); the
examples' table against their answer keys, and the standards README against lint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conformance.checks import all_checks
from conformance.review import _validator, load_attestations, load_waivers
from conformance.standards._documents import load_document
from conformance.standards.loader import StandardsRepository
from fixtures.reference_candidate.server import fault_catalogue

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SERVER = ROOT / "fixtures" / "reference_candidate" / "server.py"


def test_waivers_example_is_valid_and_names_real_clauses_and_checks() -> None:
    path = DOCS / "waivers.yaml"
    data = load_document(path).data
    assert not list(_validator("waivers.schema.json").iter_errors(data))
    waivers, _, _ = load_waivers(path)  # the loader `conformance review` uses
    assert len(waivers) >= 3
    assert path.read_text(encoding="utf-8").count("\n#") >= 5  # commented for a reader
    standard = StandardsRepository().load(data["standard"])
    checks = {c.id for c in all_checks()}
    for waiver in waivers:
        assert waiver.clause is None or waiver.clause in standard.clause_ids, waiver
        assert waiver.check is None or waiver.check in checks, waiver
    # the three ways to scope a waiver are each shown
    assert {(w.clause is not None, w.check is not None) for w in waivers} == {
        (True, True),
        (True, False),
        (False, True),
    }


def test_attestations_example_is_valid_and_attests_manual_clauses() -> None:
    path = DOCS / "attestations.yaml"
    data = load_document(path).data
    assert not list(_validator("attestations.schema.json").iter_errors(data))
    attestations, _, _ = load_attestations(path)
    assert attestations
    assert path.read_text(encoding="utf-8").count("\n#") >= 5
    standard = StandardsRepository().load(data["standard"])
    for attestation in attestations:
        assert standard.clause(attestation.clause).verification.value == "manual"


def _server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SERVER), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "REFERENCE_CANDIDATE_TOKEN": "t"},
        cwd=ROOT,
    )


def test_reference_candidate_help_lists_every_fault() -> None:
    done = _server("--help")
    assert done.returncode == 0, done.stderr
    faults = fault_catalogue()
    assert len(faults) >= 17
    for name, text in faults.items():
        assert f"  {name}  " in done.stdout, name
        assert text in done.stdout, name


def test_reference_candidate_refuses_an_unknown_fault_in_one_line() -> None:
    done = _server("--fault", "wrong-date-format", "--fault", "no-such-fault", "--port", "0")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "fault='no-such-fault'" in lines[0]
    assert "wrong-date-format" in lines[0]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_the_examples_table_counts_what_the_answer_keys_confirm() -> None:
    # examples/README.md's table: "N (M the suite can see)" or "N", per the answer key
    examples = ROOT / "examples"
    rows = {}
    for line in (examples / "README.md").read_text("utf-8").splitlines():
        if line.startswith("| [") and "](" in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].split("]")[0].lstrip("[")] = cells[-1]
    assert set(rows) == {"jupyterhub", "matrix-synapse"}, rows
    for name, cell in rows.items():
        data = load_document(examples / name / "answer-key.yaml").data
        deviations = data["deviations"]
        seen = sum(1 for d in deviations if d.get("detectable", True))
        expected = str(len(deviations))
        if seen != len(deviations):
            expected += f" ({seen} the suite can see)"
        assert cell == expected, (name, cell, expected)


def test_the_standards_readme_words_an_unknown_format_as_lint_does() -> None:
    text = " ".join((ROOT / "standards" / "README.md").read_text("utf-8").split())
    said = text[text.index("an unknown format name is") :][:80]
    assert "a lint warning, `format-unknown`" in said, said
