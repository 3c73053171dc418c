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
from conformance.i18n import Message, en, msg
from conformance.results import CheckResult, Failure, Outcome
from conformance.standards.model import Clause, Level, Standard, Verification

__all__ = ["SKIP_NOT_CLAIMED", "Collector", "Entries", "Entry", "failure_key", "redact_message"]

SKIP_NOT_CLAIMED = "optional (MAY) clause not claimed by the candidate"
SKIP_MANUAL = "manual clause: verified by a reviewer's attestation"
MAX_ERRORS_PER_ENTRY = 5
MAX_ADVISORIES = 10
# The severity of a finding reported beside a result, below its clause's level.
ADVISORY = "advisory"
# Catalog messages of skip reasons, keyed by their English text.
SKIP_MESSAGES = {
    SKIP_NOT_CLAIMED: msg("result.skip_not_claimed"),
    SKIP_MANUAL: msg("result.skip_manual"),
}


@dataclass
class Entry:
    """Accumulates what one check saw for one clause on one target."""

    clause: str
    check: str
    examined: int = 0
    failures: dict[str, Failure] = field(default_factory=dict)
    errors: list[Message] = field(default_factory=list)  # worded by the catalog
    internal: bool = False  # the suite raised while checking: never a pass, never conforms
    # Why nothing reached this check, when that is known (no invalid request exists):
    # the skip says so instead of the generic "not exercised".
    not_exercised: Message | None = None
    # Findings at a lower severity than the clause (Problem.advisory): shown beside the
    # result, never its failure; an exchange that gave one verified nothing.
    advisories: dict[str, Failure] = field(default_factory=dict)
    advised: int = 0
    # Why a check could not verify its assertion on what it saw (an undocumented media
    # type, no schema): a clause with nothing examined is "not verified" with these.
    unverified: list[Message] = field(default_factory=list)

    def not_verified(self, reason: Message) -> None:
        """Keep a reason (a few, each once) why what was seen did not verify the clause."""
        if reason not in self.unverified and len(self.unverified) < MAX_ERRORS_PER_ENTRY:
            self.unverified.append(reason)

    def error(self, message: Message, *, internal: bool = False) -> None:
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
        book = entry.failures
        if problem.advisory:
            entry.advised += 1
            book = entry.advisories
        existing = book.get(key)
        if existing is not None:
            existing.count += 1
            # keep the smallest example as the evidence to show
            if len(str(evidence)) < len(str(existing.evidence)):
                existing.evidence = evidence
                existing.message = self.redactor.text(problem.message)
                existing.i18n = self.problem_i18n(problem)
            return key
        book[key] = Failure(
            title=problem.title,
            message=self.redactor.text(problem.message),
            check=entry.check,
            target=target,
            dedup_key=hashlib.sha256(key.encode()).hexdigest()[:16],
            severity=ADVISORY
            if problem.advisory
            else self.standard.clause(entry.clause).level.value,
            pointer=problem.pointer,
            schema_path=problem.schema_path,
            evidence=evidence,
            i18n=self.problem_i18n(problem),
        )
        return key

    def problem_i18n(self, problem: Problem) -> dict[str, Message]:
        """A failure's catalog title and message (secrets redacted in its parameters)."""
        if problem.msg is None:
            return {}
        title = msg(f"{problem.msg.id}.title")
        return {"title": title, "message": redact_message(problem.msg, self.redactor)}

    def results(
        self, target: str, entries: Entries, evidence: Mapping[str, Any] | None = None
    ) -> list[CheckResult]:
        """One result per entry: skip, error, fail, not exercised (a skip) or pass."""
        results = []
        for entry in entries.values():
            clause = self.standard.clause(entry.clause)
            skip = self.skip_reason(clause)
            failures = sorted(entry.failures.values(), key=lambda f: -f.count)
            said: Message
            if skip is not None:
                outcome, failures = Outcome.SKIP, []
                said = SKIP_MESSAGES.get(skip, msg("result.skip", reason=skip))
            elif entry.errors or entry.internal:
                outcome, said = Outcome.ERROR, entry.errors[0]
            elif failures:
                total = sum(f.count for f in failures)
                outcome = Outcome.FAIL
                first = failures[0].i18n.get("message") or msg("text", text=failures[0].message)
                said = msg("result.fail", distinct=len(failures), total=total, first=first)
            elif entry.examined == 0 and entry.unverified:
                outcome, said = Outcome.SKIP, msg("result.not_verified", reason=entry.unverified[0])
            elif entry.examined == 0:
                outcome, said = Outcome.SKIP, entry.not_exercised or msg("result.not_exercised")
            elif entry.advisories and entry.examined <= entry.advised:
                # every exchange it examined gave an advisory: it verified nothing
                outcome = Outcome.SKIP
                said = msg("result.only_advisories", count=entry.advised)
            else:
                outcome, said = Outcome.PASS, msg("result.pass", examined=entry.examined)
            message = en(said)
            results.append(
                CheckResult(
                    clause=entry.clause,
                    check=entry.check,
                    target=target,
                    outcome=outcome,
                    message=message,
                    msg=said,
                    examined=entry.examined,
                    failures=failures,
                    evidence=_with_advisories(evidence, entry),
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
        message = msg(
            "error.internal",
            target=target,
            type=type(exc).__name__,
            detail=self.redactor.text(str(exc)),
        )
        entries = self.entries(pairs)
        for entry in entries.values():
            entry.error(message, internal=True)
        return self.results(target, entries)


def _with_advisories(evidence: Mapping[str, Any] | None, entry: Entry) -> dict[str, Any]:
    """The result's evidence, with its advisories (most frequent first, bounded)."""
    data = dict(evidence or {})
    if entry.advisories:
        ranked = sorted(entry.advisories.values(), key=lambda f: -f.count)
        data["advisories"] = [f.as_dict() for f in ranked[:MAX_ADVISORIES]]
    return data


def redact_message(message: Message, redactor: Redactor) -> Message:
    """The message with every secret replaced in its text parameters, nested ones too."""
    params = {
        k: redact_message(v, redactor)
        if isinstance(v, Message)
        else redactor.text(v)
        if isinstance(v, str)
        else v
        for k, v in message.params.items()
    }
    return Message(message.id, params)
