"""The roll-up rule: from check results to clause statuses to a verdict.

- A clause's status is the worst of its results: error, then fail, then pass; a clause
  with only skipped results is skipped; a manual clause awaits attestation.
- The verdict is ``pass`` when every MUST clause passes (a manual MUST clause needs an
  attestation).  A SHOULD clause that fails or errs is a warning.  MAY is informational.
  An error is never a pass.

One implementation serves a live run (:func:`decide`, from a Standard and CheckResults)
and a finished one (:func:`decide_from_results`, from a results.json dictionary), so
merged shards and reviewed runs roll up exactly as the run itself did.

- An automated MUST clause that **no result verified** (every result skipped: not
  exercised, or not verified, with the reason) fails the verdict, or makes it
  ``inconclusive`` when the standard's policy says so (``policy.unverified_must``); a
  failure anywhere still makes it ``fail``.
- Two questions, two answers: the **automated outcome** (:attr:`Verdict.automated`, what
  a vendor's CI gates on and what the exit code says) leaves manual MUST clauses that await
  a reviewer's attestation aside and lists them (:attr:`Verdict.pending`); the
  **certification verdict** (:attr:`Verdict.verdict`) waits for those attestations, and
  ``certify`` issues a certificate only on it.
- An **internal error** (a check, scenario, reader or worker of the suite raised) makes the
  run not conform whatever the clause's level: what should have been verified was not.
- A run is **complete** when it has a result for every (clause, check, target) its plan
  owed (results.json's ``plan``); a run missing any, or with no plan at all, does not
  conform, whatever its other results say (:func:`missing_results`).

A reviewer's :class:`Review` (waivers and attestations, applied as of a date) enters the
same roll-up through :func:`evaluate`:

- an unexpired waiver (matching by clause and/or check, optionally target) turns each
  *failed* result it matches into a waived one; errors and skips are never waived;
- a clause whose failures are all waived is ``waived``; a manual clause with an
  attestation is ``attested``; both count as passing in the verdict;
- a waiver past its expiry date stops applying (reported as expired); an unexpired waiver
  that matches no failed result is reported as stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from conformance.errors import ExitCode
from conformance.i18n import Message, en, msg
from conformance.results import CheckResult, Outcome
from conformance.standards.model import Standard

AWAITING = "awaiting-attestation"
INCONCLUSIVE = "inconclusive"
POLICY_FAIL = "fail"
WAIVED = "waived"
ATTESTED = "attested"
# worst first: a clause's status is the first of these that any of its results has
_STATUS_ORDER = (Outcome.ERROR.value, Outcome.FAIL.value, WAIVED, Outcome.PASS.value)


@dataclass(frozen=True)
class ClauseInfo:
    id: str
    level: str  # MUST, SHOULD, MAY
    verification: str  # automated, manual


@dataclass(frozen=True)
class ResultRef:
    """What the roll-up needs of one check result."""

    id: str
    clause: str
    check: str
    target: str
    status: str  # pass, fail, skip, error
    internal: bool = False  # an error because the suite raised: the run cannot conform


@dataclass(frozen=True)
class Waiver:
    """An approved exception: failed results it matches count as waived until it expires."""

    id: str
    reason: str
    approved_by: str
    expires: date  # the last day on which it applies
    clause: str | None = None
    check: str | None = None
    target: str | None = None

    def matches(self, result: ResultRef) -> bool:
        return (
            (self.clause is None or self.clause == result.clause)
            and (self.check is None or self.check == result.check)
            and (self.target is None or self.target == result.target)
        )

    def expired(self, as_of: date) -> bool:
        return self.expires < as_of

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "reason": self.reason,
            "approved_by": self.approved_by,
            "expires": self.expires.isoformat(),
        }
        for name in ("clause", "check", "target"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Waiver:
        return cls(
            id=str(data["id"]),
            reason=str(data["reason"]),
            approved_by=str(data["approved_by"]),
            expires=date.fromisoformat(str(data["expires"])),
            clause=data.get("clause"),
            check=data.get("check"),
            target=data.get("target"),
        )


@dataclass(frozen=True)
class Attestation:
    """A reviewer's statement that a manual clause is met, with the evidence seen."""

    clause: str
    reviewer: str
    evidence: str
    date: date

    def as_dict(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "reviewer": self.reviewer,
            "evidence": self.evidence,
            "date": self.date.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Attestation:
        return cls(
            clause=str(data["clause"]),
            reviewer=str(data["reviewer"]),
            evidence=str(data["evidence"]),
            date=date.fromisoformat(str(data["date"])),
        )


@dataclass(frozen=True)
class Review:
    """Waivers and attestations applied to a run, as of a date (expiry is judged on it)."""

    as_of: date
    waivers: tuple[Waiver, ...] = ()
    attestations: tuple[Attestation, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "waivers": [w.as_dict() for w in self.waivers],
            "attestations": [a.as_dict() for a in self.attestations],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Review:
        return cls(
            as_of=date.fromisoformat(str(data["as_of"])),
            waivers=tuple(Waiver.from_dict(w) for w in data.get("waivers", ())),
            attestations=tuple(Attestation.from_dict(a) for a in data.get("attestations", ())),
        )


@dataclass
class Verdict:
    verdict: str  # "pass", "fail" or "inconclusive": certification (attestations included)
    reasons: list[str] = field(default_factory=list)  # why not pass
    warnings: list[str] = field(default_factory=list)  # SHOULD clauses not met
    clause_status: dict[str, str] = field(default_factory=dict)
    waived: dict[str, str] = field(default_factory=dict)  # result id -> waiver id
    waiver_states: dict[str, str] = field(default_factory=dict)  # id -> active|expired|stale
    attested: dict[str, Attestation] = field(default_factory=dict)  # clause id -> attestation
    notes: list[str] = field(default_factory=list)  # what the review changed or ignored
    # The catalog messages of reasons, warnings and notes, in the same order.
    messages: dict[str, list[Message]] = field(
        default_factory=lambda: {"reasons": [], "warnings": [], "notes": []}
    )
    # The automated outcome: as ``verdict`` with attestations still awaited left aside
    # ("" until evaluate fills it: then the same as ``verdict``).
    automated: str = ""
    pending: list[str] = field(default_factory=list)  # MUST clauses awaiting attestation

    def say(self, kind: str, message: Message) -> None:
        """Add a reason, warning or note: its English text and its catalog message."""
        getattr(self, kind).append(en(message))
        self.messages[kind].append(message)

    def say_first(self, kind: str, message: Message) -> None:
        """Put a reason, warning or note before the others (its text and its message)."""
        getattr(self, kind).insert(0, en(message))
        self.messages[kind].insert(0, message)

    def i18n(self) -> dict[str, list[dict[str, Any]]]:
        """results.json's ``i18n``: the messages of the reasons and the clause warnings."""
        return {k: [m.as_dict() for m in self.messages[k]] for k in ("reasons", "warnings")}


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
            statuses[clause.id] = next((s for s in _STATUS_ORDER if s in seen), Outcome.SKIP.value)
    return statuses


def roll_up(
    clauses: Iterable[ClauseInfo],
    statuses: Mapping[str, str],
    unverified_must: str = POLICY_FAIL,
    *,
    pending_ok: bool = False,
) -> Verdict:
    """The verdict from clause statuses; ``unverified_must``: the standard's policy for a
    MUST clause no result verified (``fail`` or ``inconclusive``); ``pending_ok``: a MUST
    clause awaiting attestation does not count (the automated outcome)."""
    verdict = Verdict("pass", clause_status=dict(statuses))
    inconclusive = False
    for clause in clauses:
        status = statuses[clause.id]
        if status in (Outcome.PASS.value, "waived", "attested"):
            continue
        if clause.level == "MUST":
            if status == AWAITING:
                verdict.pending.append(clause.id)
                if not pending_ok:
                    verdict.say("reasons", msg("verdict.must_awaiting", clause=clause.id))
            elif status == Outcome.SKIP.value and unverified_must == INCONCLUSIVE:
                inconclusive = True
                verdict.say("reasons", msg("verdict.must_inconclusive", clause=clause.id))
            elif status == Outcome.SKIP.value:
                verdict.say("reasons", msg("verdict.must_not_exercised", clause=clause.id))
            else:
                said = msg("verdict.must_status", clause=clause.id, status=msg(f"status.{status}"))
                verdict.say("reasons", said)
        elif clause.level == "SHOULD" and status in (Outcome.FAIL.value, Outcome.ERROR.value):
            said = msg("verdict.should_status", clause=clause.id, status=msg(f"status.{status}"))
            verdict.say("warnings", said)
    failing = [
        c
        for c in clauses
        if c.level == "MUST"
        and statuses[c.id] not in (Outcome.PASS.value, "waived", "attested", Outcome.SKIP.value)
        and not (pending_ok and statuses[c.id] == AWAITING)
    ]
    if failing or (verdict.reasons and not inconclusive):
        verdict.verdict = "fail"
    elif verdict.reasons:
        verdict.verdict = INCONCLUSIVE
    return verdict


MAX_MISSING_SHOWN = 3
NO_PLAN = "(no plan)"  # stands for every result of a results.json that records no plan


def incomplete_message(missing: Sequence[str]) -> Message:
    """The verdict's reason for a run without all its planned results, as a catalog message."""
    if list(missing) == [NO_PLAN]:
        return msg("verdict.incomplete_no_plan")
    shown = ", ".join(missing[:MAX_MISSING_SHOWN])
    hidden = len(missing) - MAX_MISSING_SHOWN
    if hidden > 0:
        return msg("verdict.incomplete_more", count=len(missing), shown=shown, more=hidden)
    return msg("verdict.incomplete", count=len(missing), shown=shown)


def incomplete_reason(missing: Sequence[str]) -> str:
    """The verdict's reason for a run without all its planned results (English)."""
    return en(incomplete_message(missing))


def missing_results(data: Mapping[str, Any]) -> list[str]:
    """The planned result ids a results.json dictionary lacks (``[NO_PLAN]``: no plan)."""
    plan = data.get("plan")
    if not isinstance(plan, list):
        return [NO_PLAN]
    present = {r.get("id") for r in data.get("results", []) if isinstance(r, Mapping)}
    expected = [
        rid for task in plan if isinstance(task, Mapping) for rid in task.get("results", [])
    ]
    return [rid for rid in expected if rid not in present]


def exit_code_for(verdict: Verdict, unreachable: str | None) -> ExitCode:
    """A run's exit code: 3 when the candidate was unreachable, else 0 if its automated
    outcome passes (attestations may still be pending: certification waits for them), 1."""
    if unreachable:
        return ExitCode.UNREACHABLE
    outcome = verdict.automated or verdict.verdict
    return ExitCode.CONFORMS if outcome == "pass" else ExitCode.DOES_NOT_CONFORM


def evaluate(
    clauses: Iterable[ClauseInfo],
    results: Iterable[ResultRef],
    review: Review | None = None,
    missing: Sequence[str] = (),
    unverified_must: str = POLICY_FAIL,
) -> Verdict:
    """The one roll-up: clause levels and verification, result statuses, a review,
    ``missing``: the planned results the run does not have (any makes it fail), and the
    standard's policy for a MUST clause nothing verified."""
    clauses = list(clauses)
    results = list(results)
    known = {c.id: c for c in clauses}
    waived: dict[str, str] = {}
    states: dict[str, str] = {}
    notes: list[Message] = []
    attested: dict[str, Attestation] = {}
    if review is not None:
        for waiver in review.waivers:
            if waiver.expired(review.as_of):
                states[waiver.id] = "expired"
                notes.append(
                    msg("verdict.waiver_expired", waiver=waiver.id, date=waiver.expires.isoformat())
                )
                continue
            matched = [r for r in results if r.status == Outcome.FAIL.value and waiver.matches(r)]
            for result in matched:
                waived.setdefault(result.id, waiver.id)
            states[waiver.id] = "active" if matched else "stale"
            if not matched:
                notes.append(msg("verdict.waiver_stale", waiver=waiver.id))
        for attestation in review.attestations:
            clause = known.get(attestation.clause)
            if clause is None or clause.verification != "manual":
                notes.append(msg("verdict.attestation_ignored", clause=attestation.clause))
                continue
            attested.setdefault(attestation.clause, attestation)
    statuses = clause_statuses(
        clauses, ((r.clause, WAIVED if r.id in waived else r.status) for r in results)
    )
    for clause_id in attested:
        statuses[clause_id] = ATTESTED
    verdict = roll_up(clauses, statuses, unverified_must)
    automated = roll_up(clauses, statuses, unverified_must, pending_ok=True)
    crashed = [r for r in results if r.internal and r.status == Outcome.ERROR.value]
    if crashed:
        if len(crashed) > 1:
            said = msg("verdict.internal_errors", result=crashed[0].id, more=len(crashed) - 1)
        else:
            said = msg("verdict.internal_error", result=crashed[0].id)
        verdict.say_first("reasons", said)
        verdict.verdict = automated.verdict = "fail"
    if missing:
        verdict.say_first("reasons", incomplete_message(missing))
        verdict.verdict = automated.verdict = "fail"
    verdict.automated = automated.verdict
    verdict.waived = waived
    verdict.waiver_states = states
    verdict.attested = attested
    for note in notes:
        verdict.say("notes", note)
    return verdict


def decide(
    standard: Standard,
    results: Iterable[CheckResult],
    review: Review | None = None,
    *,
    expected: Iterable[str] | None = None,
) -> Verdict:
    """The verdict of a live run; ``expected``: the result ids its plan owed (None: not
    checked, for a caller that judges results on their own)."""
    results = list(results)
    clauses = [ClauseInfo(c.id, c.level.value, c.verification.value) for c in standard.clauses]
    refs = [
        ResultRef(r.id, r.clause, r.check, r.target, r.outcome.value, r.internal) for r in results
    ]
    present = {r.id for r in results}
    missing = [rid for rid in expected or () if rid not in present]
    return evaluate(clauses, refs, review, missing, standard.unverified_must)


def decide_from_results(data: Mapping[str, Any], review: Review | None = None) -> Verdict:
    """The verdict of a results.json dictionary, recomputed from its results.

    A reviewed dictionary (results.reviewed.json) carries its review; it is applied again
    unless another one is given.
    """
    clauses = [ClauseInfo(c["id"], c["level"], c["verification"]) for c in data["clauses"]]
    refs = (
        ResultRef(
            r["id"], r["clause"], r["check"], r["target"], r["status"], r.get("internal") is True
        )
        for r in data["results"]
    )
    if review is None and data.get("review"):
        review = Review.from_dict(data["review"])
    policy = data.get("policy")
    declared = policy.get("unverified_must") if isinstance(policy, Mapping) else None
    unverified_must = str(declared or POLICY_FAIL)
    return evaluate(clauses, refs, review, missing_results(data), unverified_must)
