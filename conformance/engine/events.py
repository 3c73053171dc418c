"""Typed events the engine emits; the CLI, the pytest plugin and reporters consume them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conformance.results import CheckResult


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    seed: int
    standard: str
    digest: str
    candidate: str
    tasks: int


@dataclass(frozen=True)
class TaskStarted:
    target: str


@dataclass(frozen=True)
class TaskFinished:
    target: str
    results: tuple[CheckResult, ...]
    duration_s: float


@dataclass(frozen=True)
class RunFinished:
    verdict: str
    exit_code: int


Event = RunStarted | TaskStarted | TaskFinished | RunFinished
Listener = Callable[[Event], None]
