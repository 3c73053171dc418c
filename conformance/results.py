"""Values shared by every layer: check outcomes and results, failures, lint issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from conformance.errors import Location
from conformance.i18n import Message

__all__ = ["CheckResult", "Failure", "LintIssue", "Outcome"]


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


@dataclass
class Failure:
    """One distinct problem, with how often it was seen.

    Two observations with the same ``dedup_key`` (check, target and cause) are one
    failure with a count; the smallest example seen is kept as evidence.
    """

    title: str
    message: str
    check: str
    target: str
    dedup_key: str
    severity: str = "error"
    location: str | None = None  # file:line, row, XPath
    pointer: str | None = None  # JSON pointer in the instance
    schema_path: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    count: int = 1
    # Catalog messages of ``title`` and ``message`` (results.json keeps both forms).
    i18n: dict[str, Message] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "title": self.title,
            "message": self.message,
            "check": self.check,
            "target": self.target,
            "dedup_key": self.dedup_key,
            "severity": self.severity,
            "count": self.count,
        }
        for name in ("location", "pointer", "schema_path"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.evidence:
            data["evidence"] = self.evidence
        if self.i18n:
            data["i18n"] = {k: m.as_dict() for k, m in self.i18n.items()}
        return data


@dataclass
class CheckResult:
    """The result of one check, on one target (an operation or an export), for one clause."""

    clause: str
    check: str
    target: str
    outcome: Outcome
    message: str
    examined: int = 0  # responses or records looked at
    failures: list[Failure] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    msg: Message | None = None  # the catalog message of ``message``
    # An error because the suite itself raised (a check, a scenario, a reader, a worker):
    # the clause could not be verified, so the run cannot conform, whatever its level.
    internal: bool = False

    @property
    def id(self) -> str:
        return f"{self.clause}::{self.check}::{self.target}"

    def as_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "clause": self.clause,
            "check": self.check,
            "target": self.target,
            "status": self.outcome.value,
            "message": self.message,
            "examined": self.examined,
            "duration_s": round(self.duration_s, 4),
            "failures": [f.as_dict() for f in self.failures],
            "evidence": self.evidence,
        }
        if self.msg is not None:
            data["i18n"] = {"message": self.msg.as_dict()}
        if self.internal:
            data["internal"] = True
        return data


@dataclass(frozen=True)
class LintIssue:
    """One problem lint found in a standard version folder, located, with its rule id."""

    rule: str
    message: str
    location: Location
    severity: str = "error"  # or "warning", or "info" (a note: neither)

    def format(self) -> str:
        return f"{self.location}: {self.severity}: {self.message} [{self.rule}]"
