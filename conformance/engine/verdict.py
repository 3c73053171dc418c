"""The roll-up rule: from check results to clause statuses to a verdict.

- A clause's status is the worst of its results: error, then fail, then pass; a clause
  with only skipped results is skipped; a manual clause awaits attestation.
- The verdict is ``pass`` when every MUST clause passes (a manual MUST clause needs an
  attestation).  A SHOULD clause that fails or errs is a warning.  MAY is informational.
  An error is never a pass.

One implementation serves a live run (:func:`decide`, from a Standard and CheckResults)
and a finished one (:func:`decide_from_results`, from a results.json dictionary), so
merged shards and reviewed runs roll up exactly as the run itself did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.results import CheckResult, Outcome
from conformance.standards.model import Standard

AWAITING = "awaiting-attestation"


@dataclass(frozen=True)
class ClauseInfo:
    id: str
    level: str  # MUST, SHOULD, MAY
    verification: str  # automated, manual


@dataclass
class Verdict:
    verdict: str  # "pass" or "fail"
    reasons: list[str] = field(default_factory=list)  # why not pass
    warnings: list[str] = field(default_factory=list)  # SHOULD clauses not met
    clause_status: dict[str, str] = field(default_factory=dict)


def clause_statuses(
    clauses: Iterable[ClauseInfo], outcomes: Iterable[tuple[str, str]]
) -> dict[str, str]:
    """Status per clause from (clause id, outcome value) pairs."""
    clauses = list(clauses)
    by_clause: dict[str, set[str]] = {c.id: set() for c in clauses}
    for clause_id, outcome in outcomes:
        by_clause.setdefault(clause_id, set()).add(outcome)
    statuses = {}
    for clause in clauses:
        seen = by_clause[clause.id]
        if clause.verification == "manual":
            statuses[clause.id] = AWAITING
        else:
            for status in (Outcome.ERROR, Outcome.FAIL, Outcome.PASS, Outcome.SKIP):
                if status.value in seen or status is Outcome.SKIP:
                    statuses[clause.id] = status.value
                    break
    return statuses


def roll_up(clauses: Iterable[ClauseInfo], statuses: Mapping[str, str]) -> Verdict:
    verdict = Verdict("pass", clause_status=dict(statuses))
    for clause in clauses:
        status = statuses[clause.id]
        if status in (Outcome.PASS.value, "waived", "attested"):
            continue
        if clause.level == "MUST":
            if status == AWAITING:
                verdict.reasons.append(f"MUST clause {clause.id} awaits a reviewer's attestation")
            elif status == Outcome.SKIP.value:
                verdict.reasons.append(f"MUST clause {clause.id} was not exercised by any check")
            else:
                verdict.reasons.append(f"MUST clause {clause.id}: {status}")
        elif clause.level == "SHOULD" and status in (Outcome.FAIL.value, Outcome.ERROR.value):
            verdict.warnings.append(f"SHOULD clause {clause.id}: {status}")
    if verdict.reasons:
        verdict.verdict = "fail"
    return verdict


def decide(standard: Standard, results: Iterable[CheckResult]) -> Verdict:
    clauses = [ClauseInfo(c.id, c.level.value, c.verification.value) for c in standard.clauses]
    statuses = clause_statuses(clauses, ((r.clause, r.outcome.value) for r in results))
    return roll_up(clauses, statuses)


def decide_from_results(data: Mapping[str, Any]) -> Verdict:
    """The verdict of a results.json dictionary, recomputed from its results."""
    clauses = [ClauseInfo(c["id"], c["level"], c["verification"]) for c in data["clauses"]]
    statuses = clause_statuses(clauses, ((r["clause"], r["status"]) for r in data["results"]))
    return roll_up(clauses, statuses)
