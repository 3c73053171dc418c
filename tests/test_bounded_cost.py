"""Bounded cost for standards and patterns (issue 15, item 5).

- A YAML or JSON document is bounded by its node count and nesting as well as its bytes: an
  8.3 MB ``standard.yaml`` of tiny nodes (under the 8 MiB byte cap) took 110 s and 3 GB to
  refuse; a scan of parser events now refuses it, located, before anything is built.
- The regular-expression work of a whole run is bounded, not only each search: a pattern that
  backtracks polynomially stays under the per-search limit on each long value and used to run
  past ``--max-duration``; once the run's budget is spent every further pattern check is an
  error naming its pattern, never a pass.

Times and peak memory of the refusals are measured in ``bench/hostile_standards.py``; the
generous bounds here only turn a hang or a blow-up into a failure.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conformance import regex_validator
from conformance.engine.run import Run
from conformance.errors import StandardError
from conformance.exports import validate_export
from conformance.lint import lint_folder
from conformance.regex_validator import PatternBudgetSpent, RegexValidator, find_runaway
from conformance.results import Outcome
from conformance.session import RunOptions, prepare
from conformance.standards import _documents
from conformance.standards._documents import MAX_DOCUMENT_NODES, load_document
from conformance.standards.loader import load_standard
from tests.conftest import OWN_PEAK_KIB, ROOT, json_answering

MINIMAL = ROOT / "tests" / "data" / "minimal" / "test.minimal" / "1.0.0"
POLYNOMIAL = "^[a-z]+[a-z0-9]*@x$"  # quadratic in the regex engine on "aaaa…!"
LONG = "a" * 4000 + "!@x"  # about 0.1 s a search on an idle machine


def _copy(root: Path) -> Path:
    folder = root / "test.minimal" / "1.0.0"
    shutil.copytree(MINIMAL, folder)
    return folder


# ---------------------------------------------------------------- documents


def _tiny_nodes(manifest: Path, size: int) -> int:
    """Pad ``manifest`` to ``size`` bytes with one-key mappings; return the padding's line."""
    base = manifest.read_text(encoding="utf-8")
    line = "  - {k: 1}\n"
    manifest.write_text(
        base + "x-pad:\n" + line * ((size - len(base) - 8) // len(line)), encoding="utf-8"
    )
    return base.count("\n") + 1


MEASURED_LINT = (
    "import sys, json\n" + OWN_PEAK_KIB + "from conformance.lint import lint_folder\n"
    "from pathlib import Path\n"
    "issues = lint_folder(Path(sys.argv[1]))\n"
    "print(json.dumps({'issues': [[i.rule, i.message, i.location.line] for i in issues],"
    " 'peak_kib': own_peak_kib()}))\n"
)


def test_a_manifest_of_tiny_nodes_under_the_byte_cap_is_refused_cheaply(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    manifest = folder / "standard.yaml"
    first = _tiny_nodes(manifest, 8_300_000)
    assert manifest.stat().st_size < _documents.MAX_DOCUMENT_BYTES
    done = subprocess.run(
        [sys.executable, "-c", MEASURED_LINT, str(folder)],
        capture_output=True,
        text=True,
        timeout=300,  # a hang, not a speed: the bench measures the time
        check=True,
    )
    result = json.loads(done.stdout)
    [(rule, message, line)] = result["issues"]
    assert rule == "manifest-parse"
    assert f"more than {MAX_DOCUMENT_NODES} nodes" in message
    # located where the bound was crossed: about a quarter of a million nodes into the padding
    assert first < line < first + MAX_DOCUMENT_NODES
    assert result["peak_kib"] < 400 * 1024  # was 3 GB; the bench gives the figure


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_the_node_bound_is_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    monkeypatch.setattr(_documents, "MAX_DOCUMENT_NODES", 1000)
    path = tmp_path / f"doc{suffix}"
    # YAML's nodes: the root mapping, its key, the list and the list's items
    for items, refused in ((997, False), (998, True)):
        path.write_text(json.dumps({"a": list(range(items))}), encoding="utf-8")
        if refused:
            with pytest.raises(StandardError, match="more than 1000 nodes"):
                load_document(path)
        else:
            assert len(load_document(path).data["a"]) == items


def test_block_nesting_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("".join(f"{'  ' * i}k{i}:\n" for i in range(100)) + "  " * 100 + "v\n")
    with pytest.raises(StandardError, match="nested more than 64 levels") as refused:
        load_document(path)
    assert refused.value.location is not None
    assert refused.value.location.line == 65


def test_documents_read_as_before(tmp_path: Path) -> None:
    """libyaml's composer gives the same data, lines and duplicate-key refusal."""
    path = tmp_path / "doc.yaml"
    path.write_text("a: 2026-01-15\nb:\n  - x\n  - {c: 1}\n", encoding="utf-8")
    doc = load_document(path)
    assert doc.data == {"a": "2026-01-15", "b": ["x", {"c": 1}]}
    assert (doc.line("/b/1/c"), doc.line("/a")) == (4, 1)
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(StandardError, match="duplicate key 'a'"):
        load_document(path)


# ---------------------------------------------------------------- the run's pattern budget


def test_a_spent_budget_turns_pattern_checks_into_errors_naming_the_pattern() -> None:
    regex_validator.start_run_budget(0.3)
    validator = RegexValidator({"type": "string", "pattern": POLYNOMIAL})
    spent: PatternBudgetSpent | None = None
    for _ in range(10_000):  # about 0.1 s each: the budget is gone long before
        try:
            list(validator.iter_errors(LONG))
        except PatternBudgetSpent as exc:
            spent = exc
            break
    assert spent is not None
    assert repr(POLYNOMIAL) in str(spent)
    assert "pattern budget of 0.3s is spent" in str(spent)
    # from then on nothing is a pass, not even a short valid value
    with pytest.raises(PatternBudgetSpent):
        validator.is_valid("ab@x")
    # probes carry their own bound: lint and generation still judge patterns
    assert find_runaway("^(a|a)+$") is not None
    regex_validator.end_run_budget()
    assert validator.is_valid("ab@x")


def test_the_budget_is_the_smaller_of_its_own_and_the_run_time_budget() -> None:
    assert regex_validator.start_run_budget(None).limit == regex_validator.RUN_PATTERN_BUDGET_S
    assert regex_validator.start_run_budget(2.0).limit == 2.0
    assert regex_validator.start_run_budget(10_000).limit == regex_validator.RUN_PATTERN_BUDGET_S
    regex_validator.start_run_budget(4.0)
    assert regex_validator.budget_share(4) == pytest.approx(1.0, abs=0.01)


def _polynomial_standard(root: Path) -> Path:
    folder = _copy(root)
    path = folder / "schemas" / "person.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["name"] = {"type": "string", "pattern": POLYNOMIAL}
    schema["examples"][0]["name"] = "ab@x"
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
    people = folder / "examples" / "people.jsonl"
    rows = [json.loads(line) for line in people.read_text(encoding="utf-8").splitlines()]
    people.write_text(
        "".join(json.dumps({**row, "name": "ab@x"}) + "\n" for row in rows), encoding="utf-8"
    )
    return folder


@pytest.fixture
def long_values_candidate() -> Iterator[str]:
    """A loopback candidate answering every GET with a person whose name is LONG."""
    body = {"id": "P001", "name": LONG, "id_number": "11010519491231002X", "born": "1949-12-31"}
    with json_answering(json.dumps(body).encode()) as url:
        yield url


def test_a_run_spends_its_pattern_budget_then_reports_errors_not_passes(
    tmp_path: Path, long_values_candidate: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regex_validator, "RUN_PATTERN_BUDGET_S", 0.5)
    folder = _polynomial_standard(tmp_path / "standards")
    export = tmp_path / "people.jsonl"
    person = {"id": "P001", "id_number": "11010519491231002X", "born": "1949-12-31"}
    export.write_text(
        "".join(json.dumps({**person, "id": f"P{n:03d}", "name": LONG}) + "\n" for n in range(500))
    )
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        yaml.safe_dump(
            {
                "identity": {"vendor": "v", "system": "slow-patterns", "version": "1"},
                "base_url": long_values_candidate,
                "claims": [{"standard": "test.minimal@1.0.0", "exports": {"people": str(export)}}],
            }
        ),
        encoding="utf-8",
    )
    options = RunOptions(
        standard="test.minimal@1.0.0",
        candidate=candidate,
        seed=1,
        reports_dir=tmp_path / "reports",
        max_examples=10,
        standards_dirs=(folder.parents[1],),
    )
    outcome = Run(prepare(options)).run()  # lint passes: the pattern is only polynomial
    schema = [r for r in outcome.results if r.check == "response_schema"]
    assert [r.outcome for r in schema] == [Outcome.ERROR]
    # the first error named: the pattern being searched when the budget ran out, or any
    # searched later (generation checks its own patterns too)
    assert "pattern budget of 0.5s is spent" in schema[0].message
    assert "pattern='^" in schema[0].message
    records = [r for r in outcome.results if r.check == "export_records"]
    assert [r.outcome for r in records] == [Outcome.ERROR]
    assert "pattern budget" in records[0].message
    assert not [r for r in outcome.results if r.outcome is Outcome.PASS and "schema" in r.check]


def test_export_validation_alone_is_bounded_by_the_budget_it_is_given(tmp_path: Path) -> None:
    folder = _polynomial_standard(tmp_path)
    spec = load_standard(folder).exports[0]
    export = tmp_path / "people.jsonl"
    person = {"id": "P001", "id_number": "11010519491231002X", "born": "1949-12-31"}
    export.write_text(
        "".join(json.dumps({**person, "id": f"P{n:03d}", "name": LONG}) + "\n" for n in range(500))
    )
    regex_validator.start_run_budget(0.3)
    report = validate_export(spec, export)
    stopped = [i for i in report.issues if i.kind == "pattern-timeout"]
    assert len(stopped) == 1
    assert "pattern budget" in stopped[0].message
    assert "person.schema.json" in stopped[0].message
    assert report.complete is False
    # lint judges the standard, not a run: a spent budget does not make a pattern runaway
    assert [i for i in lint_folder(folder) if i.severity == "error"] == []
