"""The roll-up rule, case by case."""

from __future__ import annotations

import pytest

from conformance.engine.verdict import AWAITING, ClauseInfo, clause_statuses, roll_up

MUST = ClauseInfo("A-001", "MUST", "automated")
SHOULD = ClauseInfo("A-002", "SHOULD", "automated")
MAY = ClauseInfo("A-003", "MAY", "automated")
MANUAL_MUST = ClauseInfo("A-004", "MUST", "manual")
MANUAL_SHOULD = ClauseInfo("A-005", "SHOULD", "manual")


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ({"pass", "skip"}, "pass"),
        ({"pass", "fail"}, "fail"),
        ({"pass", "error"}, "error"),
        ({"fail", "error"}, "error"),
        ({"skip"}, "skip"),
        (set(), "skip"),
    ],
)
def test_clause_status_is_the_worst_result(outcomes: set[str], expected: str) -> None:
    assert clause_statuses([MUST], [("A-001", o) for o in outcomes]) == {"A-001": expected}


def test_manual_clause_awaits_attestation_whatever_ran() -> None:
    assert clause_statuses([MANUAL_MUST], [("A-004", "pass")]) == {"A-004": AWAITING}


def test_pass_when_every_must_passes_should_failure_is_a_warning() -> None:
    clauses = [MUST, SHOULD, MAY, MANUAL_SHOULD]
    verdict = roll_up(
        clauses, {"A-001": "pass", "A-002": "fail", "A-003": "fail", "A-005": AWAITING}
    )
    assert verdict.verdict == "pass"
    assert verdict.warnings == ["SHOULD clause A-002: fail"]
    assert verdict.reasons == []


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("fail", "MUST clause A-001: fail"),
        ("error", "MUST clause A-001: error"),  # an error is never a pass
        ("skip", "MUST clause A-001 was not exercised by any check"),
    ],
)
def test_must_not_passing_fails_the_verdict(status: str, reason: str) -> None:
    verdict = roll_up([MUST], {"A-001": status})
    assert verdict.verdict == "fail"
    assert verdict.reasons == [reason]


def test_manual_must_without_attestation_fails() -> None:
    verdict = roll_up([MANUAL_MUST], {"A-004": AWAITING})
    assert verdict.verdict == "fail"
    assert "awaits a reviewer's attestation" in verdict.reasons[0]
