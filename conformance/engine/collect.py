"""Result collection: what each check saw for each clause, turned into one result each.

A task (one operation, one export) opens an :class:`Entry` per (clause, check) pair it
serves; probing and export validation count what each entry examined and add its failures
(deduplicated by check, target and cause) and errors; :meth:`Collector.results` then gives
one :class:`CheckResult` per entry, in the entries' order.  :meth:`Collector.crashed` gives
the results of a task that raised: an error on every entry, never a pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.candidate import Claim
from conformance.checks import Problem
from conformance.engine.exchange import Redactor
from conformance.results import CheckResult, Failure, Outcome
from conformance.standards.model import Clause, Level, Standard, Verification

__all__ = ["SKIP_NOT_CLAIMED", "Collector", "Entries", "Entry", "failure_key"]

SKIP_NOT_CLAIMED = "optional (MAY) clause not claimed by the candidate"
SKIP_MANUAL = "manual clause: verified by a reviewer's attestation"
NOT_EXERCISED = "not exercised: no response or record reached this check"
MAX_ERRORS_PER_ENTRY = 5


@dataclass
class Entry:
    """Accumulates what one check saw for one clause on one target."""

    clause: str
    check: str
    examined: int = 0
    failures: dict[str, Failure] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    internal: bool = False  # the suite raised while checking: never a pass, never conforms

    def error(self, message: str, *, internal: bool = False) -> None:
        """Record an error (at most a few, each once); ``internal``: the suite raised."""
        if internal and not self.internal:
            self.internal = True
            self.errors.insert(0, message)  # the message shown: the suite's own failure
            del self.errors[MAX_ERRORS_PER_ENTRY:]
        elif message not in self.errors and len(self.errors) < MAX_ERRORS_PER_ENTRY:
            self.errors.append(message)


Entries = dict[tuple[str, str], Entry]


def failure_key(check: str, target: str, problem: Problem) -> str:
    """Same check, operation and cause: one failure, counted."""
    return f"{check}|{target}|{problem.cause}"


class Collector:
    """Turns entries into results, for one standard and one candidate's claim."""

    def __init__(self, standard: Standard, claim: Claim, redactor: Redactor) -> None:
        self.standard = standard
        self.claim = claim
        self.redactor = redactor

    def entries(self, pairs: Iterable[tuple[str, str]]) -> Entries:
        """One entry per planned (clause, check) pair, in plan order."""
        return {(clause, check): Entry(clause, check) for clause, check in pairs}

    def skip_reason(self, clause: Clause) -> str | None:
        """Why a clause is not checked in this run, or None when it is."""
        if clause.verification is Verification.MANUAL:
            return SKIP_MANUAL
        if clause.level is Level.MAY and clause.id not in self.claim.implements:
            return SKIP_NOT_CLAIMED
        return None

    def active(self, entries: Entries) -> bool:
        """Whether any entry's clause is checked in this run."""
        return any(
            self.skip_reason(self.standard.clause(e.clause)) is None for e in entries.values()
        )

    def add_failure(
        self, entry: Entry, target: str, problem: Problem, evidence: dict[str, Any]
    ) -> str:
        """Count ``problem`` on ``entry``; return its failure key."""
        key = failure_key(entry.check, target, problem)
        existing = entry.failures.get(key)
        if existing is not None:
            existing.count += 1
            # keep the smallest example as the evidence to show
            if len(str(evidence)) < len(str(existing.evidence)):
                existing.evidence = evidence
                existing.message = self.redactor.text(problem.message)
            return key
        entry.failures[key] = Failure(
            title=problem.title,
            message=self.redactor.text(problem.message),
            check=entry.check,
            target=target,
            dedup_key=hashlib.sha256(key.encode()).hexdigest()[:16],
            severity=self.standard.clause(entry.clause).level.value,
            pointer=problem.pointer,
            schema_path=problem.schema_path,
            evidence=evidence,
        )
        return key

    def results(
        self, target: str, entries: Entries, evidence: Mapping[str, Any] | None = None
    ) -> list[CheckResult]:
        """One result per entry: skip, error, fail, not exercised (a skip) or pass."""
        results = []
        for entry in entries.values():
            clause = self.standard.clause(entry.clause)
            skip = self.skip_reason(clause)
            failures = sorted(entry.failures.values(), key=lambda f: -f.count)
            if skip is not None:
                outcome, message, failures = Outcome.SKIP, skip, []
            elif entry.errors or entry.internal:
                outcome, message = Outcome.ERROR, entry.errors[0]
            elif failures:
                total = sum(f.count for f in failures)
                outcome = Outcome.FAIL
                message = (
                    f"{len(failures)} distinct failure(s), {total} occurrence(s): "
                    f"{failures[0].message}"
                )
            elif entry.examined == 0:
                outcome, message = Outcome.SKIP, NOT_EXERCISED
            else:
                outcome, message = Outcome.PASS, f"{entry.examined} examined, no failure"
            results.append(
                CheckResult(
                    clause=entry.clause,
                    check=entry.check,
                    target=target,
                    outcome=outcome,
                    message=message,
                    examined=entry.examined,
                    failures=failures,
                    evidence=dict(evidence or {}),
                    internal=entry.internal and skip is None,
                )
            )
        return results

    def crashed(
        self, target: str, pairs: Iterable[tuple[str, str]], exc: BaseException
    ) -> list[CheckResult]:
        """The results of a task that raised: every planned result an error naming why.

        A clause the run does not check (manual, an unclaimed MAY) stays skipped.
        """
        message = self.redactor.text(
            f"internal error while checking {target}: {type(exc).__name__}: {exc}"
        )
        entries = self.entries(pairs)
        for entry in entries.values():
            entry.error(message, internal=True)
        return self.results(target, entries)
