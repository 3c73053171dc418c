"""Typed events the engine emits while a run goes on; front doors and displays listen.

In order: one :class:`RunStarted`; per task a :class:`TaskStarted`, any number of
:class:`TaskProgress` (an export file being read) and one :class:`TaskFinished`; then one
:class:`RunFinished` carrying the run's typed outcome, from which every report is built.
With ``--workers N`` the tasks of several operations overlap, each in its own thread, so a
listener may be called from several threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.results import CheckResult

if TYPE_CHECKING:
    from conformance.engine.outcome import RunOutcome

__all__ = [
    "Event",
    "Listener",
    "RunFinished",
    "RunStarted",
    "TaskFinished",
    "TaskProgress",
    "TaskStarted",
]


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    seed: int
    standard: str  # ID@VERSION
    digest: str  # the standard's content digest
    candidate: str  # "system version"
    base_url: str | None
    targets: tuple[str, ...]  # the tasks of this run (this shard's), in order
    unreachable: str | None  # why the candidate accepts no connection, when it does not
    shard: str | None = None  # "I/N"


@dataclass(frozen=True)
class TaskStarted:
    target: str


@dataclass(frozen=True)
class TaskProgress:
    """Bytes of an export file read so far, of ``total``."""

    target: str
    done: int
    total: int


@dataclass(frozen=True)
class TaskFinished:
    target: str
    results: tuple[CheckResult, ...]
    duration_s: float


@dataclass(frozen=True)
class RunFinished:
    outcome: RunOutcome


Event = RunStarted | TaskStarted | TaskProgress | TaskFinished | RunFinished
Listener = Callable[[Event], None]
