"""The suite against real open-source servers we did not write, graded by answer keys.

For each example of examples/ (JupyterHub, Matrix Synapse): a fresh server from its own
virtualenv, a run of the suite with the example's standard, and every failure compared
with the example's answer-key.yaml (deviations confirmed by hand). No failure or error may
be unexplained (a false positive), and every deviation the key says each seed finds must be
found with the right evidence.  .ci/run installs the servers; elsewhere a missing server
skips, as examples/README.md says.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
EXAMPLES = ROOT / "examples"
SERVERS = ("jupyterhub", "matrix-synapse")
# One seed each in CI keeps the run short; CONFORMANCE_EXAMPLE_SEEDS="1 2 3" widens it.
SEEDS = [int(s) for s in os.environ.get("CONFORMANCE_EXAMPLE_SEEDS", "1").split()]


def _evaluate_module() -> Any:
    sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location("examples_evaluate", EXAMPLES / "evaluate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


evaluate = _evaluate_module()


def _require(name: str) -> None:
    from harness import ServerMissing, venv_python

    try:
        venv_python(name)
    except ServerMissing as exc:
        if os.environ.get("CI"):  # .ci/run installs both servers: there it is a failure
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", SERVERS)
def test_verdicts_match_the_answer_key(name: str, seed: int, tmp_path: Path) -> None:
    _require(name)
    _, deviations = evaluate.load_key(EXAMPLES / name / "answer-key.yaml")
    results = evaluate.run_seed(name, seed, 20, tmp_path)
    report = evaluate.compare(results, deviations, seed)
    summary = evaluate.render(name, [report], deviations)
    assert results["seed"] == seed
    assert report.false_positives == [], summary
    assert report.errors == [], summary
    assert report.missed == [], summary
    assert report.found, summary  # the key is not vacuous: deviations were found


def test_the_comparison_flags_what_the_key_does_not_explain() -> None:
    """compare() itself: an unexplained failure is a false positive; a deviation found on
    every seed that is absent is missed; one found sometimes is not."""
    key = evaluate.Deviation(
        "D1",
        "x",
        "MUST",
        "always",
        (evaluate.Expectation("C-1", "response_schema", "GET /a*", "^at /b: "),),
    )
    sometimes = evaluate.Deviation(
        "D2", "y", "SHOULD", "sometimes", (evaluate.Expectation("C-2", "x", "*", "z"),)
    )

    def result(message: str, target: str = "GET /a") -> dict[str, Any]:
        failure = {"message": message, "count": 1, "evidence": {}}
        return {
            "clause": "C-1",
            "check": "response_schema",
            "target": target,
            "status": "fail",
            "message": message,
            "failures": [failure],
        }

    base = {"verdict": "fail", "requests_sha256": "0"}
    found = evaluate.compare({**base, "results": [result("at /b: None")]}, [key, sometimes], 1)
    assert (found.found, found.missed, found.false_positives) == (["D1"], [], [])
    other = evaluate.compare({**base, "results": [result("at /c: None")]}, [key, sometimes], 1)
    assert other.missed == ["D1"]
    assert len(other.false_positives) == 1
    elsewhere = evaluate.compare({**base, "results": [result("at /b: None", "POST /z")]}, [key], 1)
    assert elsewhere.missed == ["D1"]
    assert len(elsewhere.false_positives) == 1


@pytest.mark.parametrize("name", SERVERS)
def test_example_standards_lint_clean(name: str) -> None:
    """The examples' standards are kept out of standards/ but lint clean on their own."""
    from conformance.lint import lint_folder

    (folder,) = (EXAMPLES / name / "standards").glob("*/*")
    assert [issue.format() for issue in lint_folder(folder)] == []
    key = evaluate.load_key(EXAMPLES / name / "answer-key.yaml")[0]
    assert key["standard"] == f"{folder.parent.name}@{folder.name}"
