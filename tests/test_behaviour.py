"""Behaviour scenarios against the real reference candidate: the state machine, paging of every
kind, filters of every kind, list and detail views (issue 18).

Each test starts the reference candidate on a loopback port with one fault (or none) and runs
the engine's tasks for the operations concerned, in process, as ``conformance run`` would.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.engine.run import Run
from conformance.results import CheckResult, Outcome
from conformance.session import RunOptions, prepare
from fixtures.reference_candidate.server import serve_in_thread
from tests.conftest import finishes

ROOT = Path(__file__).resolve().parents[1]
CANDIDATE = ROOT / "fixtures" / "reference_candidate" / "candidate.yaml"
TOKEN_ENV = "REFERENCE_CANDIDATE_TOKEN"
CASES = "gov.service-case@1.1.0"
TRANSITIONS = "POST /cases/{case_id}/transitions"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PORT = re.compile(r"127\.0\.0\.1:[0-9]+")


def run_tasks(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    standard: str,
    targets: set[str] | None,
    fault: str = "",
    seed: int = 1,
) -> list[CheckResult]:
    """Results of the api tasks of ``targets`` (all when None) against a fresh candidate."""
    token = secrets.token_urlsafe(16)
    monkeypatch.setenv(TOKEN_ENV, token)
    server, url = serve_in_thread(token=token, faults=frozenset({fault} - {""}))
    try:
        config = prepare(
            RunOptions(
                standard=standard,
                candidate=CANDIDATE,
                seed=seed,
                reports_dir=tmp_path,
                base_url=url,
                max_examples=10,
            )
        )
        run = Run(config)

        def work() -> list[CheckResult]:
            results: list[CheckResult] = []
            for task in run.tasks():
                if task.kind == "api" and (targets is None or task.target in targets):
                    results += run.execute(task)
            return results

        return finishes(work)
    finally:
        server.shutdown()
        server.server_close()


def results_of(results: list[CheckResult], check: str) -> list[CheckResult]:
    found = [r for r in results if r.check == check]
    assert found, f"no {check} result"
    return found


def messages(results: list[CheckResult]) -> Iterator[str]:
    for result in results:
        for failure in result.failures:
            yield failure.message


# ------------------------------------------------------------------ the state machine


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_forbidden_transition_accepted_is_caught_every_seed_and_shrunk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed: int
) -> None:
    results = run_tasks(
        monkeypatch, tmp_path, CASES, {TRANSITIONS}, "case-transition-unchecked", seed
    )
    [state] = results_of(results, "state_model")
    assert state.outcome is Outcome.FAIL
    assert state.clause == "CASE-API-007"
    [failure] = state.failures
    assert "forbidden transition" in failure.message
    # shrunk to the shortest conversation: create the case, then the forbidden move
    steps = failure.evidence["steps"]
    assert len(steps) == 2, steps
    assert re.search(r" -X POST http://127\.0\.0\.1:[0-9]+/cases ", steps[0]), steps[0]
    assert "/transitions" in steps[1]
    assert failure.evidence["seed"] == seed


def test_the_correct_candidate_keeps_the_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    results = run_tasks(monkeypatch, tmp_path, CASES, {TRANSITIONS})
    [state] = results_of(results, "state_model")
    assert state.outcome is Outcome.PASS, state.message


def test_a_created_case_that_is_not_readable_breaks_the_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    results = run_tasks(monkeypatch, tmp_path, CASES, {TRANSITIONS}, "case-created-not-readable", 3)
    [state] = results_of(results, "state_model")
    assert state.outcome is Outcome.FAIL
    assert any("just created" in m for m in messages([state]))


def test_the_same_seed_replays_the_same_conversation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def shape(seed: int) -> list[str]:
        results = run_tasks(
            monkeypatch, tmp_path, CASES, {TRANSITIONS}, "case-transition-unchecked", seed
        )
        [state] = results_of(results, "state_model")
        [failure] = state.failures
        steps = [UUID.sub("ID", PORT.sub("PORT", s)) for s in failure.evidence["steps"]]
        return [failure.message, *steps]

    first = shape(7)
    assert shape(7) == first
