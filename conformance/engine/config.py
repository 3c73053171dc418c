"""The prepared configuration of one run: what the engine is handed, checked and loaded once.

Both front doors make it the same way, with :func:`conformance.session.prepare` from their
own options (``conformance run``'s arguments, ``pytest --standard``'s options): the standard
loaded, linted and its operations read once, the candidate profile checked, the secret's
variable read, the seed and the run id fixed.  The engine reads no option and no file to
find out what to do; everything is here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from conformance.candidate import Candidate, Claim
from conformance.engine.http import Limits
from conformance.errors import UsageError
from conformance.standards.model import Standard
from conformance.standards.operations import Operation
from conformance.validation import SchemaSet

__all__ = ["RunConfig", "Shard", "new_run_id", "new_seed"]


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def new_seed() -> int:
    return secrets.randbelow(2**31)


@dataclass(frozen=True)
class Shard:
    """``--shard I/N``: the run's tasks whose index mod N is I - 1."""

    index: int  # 1 to count
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise UsageError(f"shard={self}: expected I/N with 1 <= I <= N, e.g. 2/4")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, number: int) -> bool:
        """Whether the run's task number ``number`` (from 0) belongs to this shard."""
        return number % self.count == self.index - 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, _, count = text.partition("/")
        if not (index.isdigit() and count.isdigit()):
            raise UsageError(f"shard={text!r}: expected I/N with 1 <= I <= N, e.g. 2/4")
        return cls(int(index), int(count))


@dataclass(frozen=True, eq=False)
class RunConfig:
    """One run of one standard against one candidate, ready to execute."""

    standard: Standard
    candidate: Candidate
    schemas: SchemaSet  # the standard's version folder as one registry, built once
    operations: tuple[Operation, ...]  # of the standard's OpenAPI document, read once
    seed: int
    run_id: str
    reports_dir: Path
    max_examples: int = 20
    limits: Limits = field(default_factory=Limits)
    base_url: str | None = None  # overrides the candidate's
    max_errors_per_type: int = 100
    max_duration_s: float | None = None  # time budget for the whole run
    workers: int = 1  # threads probing operations side by side
    jobs: int = 1  # processes validating export files side by side
    exact_only: bool = False  # --exact-only: export records by the exact checker alone
    shard: Shard | None = None

    @property
    def claim(self) -> Claim:
        return self.candidate.claim(self.standard.ref)

    @property
    def target_url(self) -> str | None:
        """Where requests go: ``--base-url``, else the candidate profile's ``base_url``."""
        return self.base_url or self.candidate.base_url

    @property
    def run_dir(self) -> Path:
        return self.reports_dir / self.run_id
