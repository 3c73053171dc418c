"""The roll-up rule: from check results to clause statuses to a verdict.

- A clause's status is the worst of its results: error, then fail, then pass; a clause
  with only skipped results is skipped; a manual clause awaits attestation.
- The verdict is ``pass`` when every MUST clause passes (a manual MUST clause needs an
  attestation, which this run does not have).  A SHOULD clause that fails or errs is a
  warning.  MAY is informational.  An error is never a pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from conformance.results import CheckResult, Outcome
from conformance.standards.model import Level, Standard, Verification

AWAITING = "awaiting-attestation"


@dataclass
class Verdict:
    verdict: str  # "pass" or "fail"
    reasons: list[str] = field(default_factory=list)  # why not pass
    warnings: list[str] = field(default_factory=list)  # SHOULD clauses not met
    clause_status: dict[str, str] = field(default_factory=dict)


def clause_statuses(standard: Standard, results: Iterable[CheckResult]) -> dict[str, str]:
    by_clause: dict[str, list[Outcome]] = {c.id: [] for c in standard.clauses}
    for result in results:
        by_clause.setdefault(result.clause, []).append(result.outcome)
    statuses = {}
    for clause in standard.clauses:
        outcomes = by_clause[clause.id]
        if clause.verification is Verification.MANUAL:
            statuses[clause.id] = AWAITING
        elif Outcome.ERROR in outcomes:
            statuses[clause.id] = Outcome.ERROR.value
        elif Outcome.FAIL in outcomes:
            statuses[clause.id] = Outcome.FAIL.value
        elif Outcome.PASS in outcomes:
            statuses[clause.id] = Outcome.PASS.value
        else:
            statuses[clause.id] = Outcome.SKIP.value
    return statuses


def decide(standard: Standard, results: Iterable[CheckResult]) -> Verdict:
    statuses = clause_statuses(standard, results)
    verdict = Verdict("pass", clause_status=statuses)
    for clause in standard.clauses:
        status = statuses[clause.id]
        if status == Outcome.PASS.value:
            continue
        if clause.level is Level.MUST:
            if status == AWAITING:
                verdict.reasons.append(f"MUST clause {clause.id} awaits a reviewer's attestation")
            elif status == Outcome.SKIP.value:
                verdict.reasons.append(f"MUST clause {clause.id} was not exercised by any check")
            else:
                verdict.reasons.append(f"MUST clause {clause.id}: {status}")
        elif clause.level is Level.SHOULD and status in (Outcome.FAIL.value, Outcome.ERROR.value):
            verdict.warnings.append(f"SHOULD clause {clause.id}: {status}")
    if verdict.reasons:
        verdict.verdict = "fail"
    return verdict
