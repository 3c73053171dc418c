"""The typed outcome of a finished run: what every report is built from.

:meth:`conformance.engine.run.Run.finish` makes one and hands it to listeners in
:class:`~conformance.engine.events.RunFinished`; results.json is its serialised form
(:func:`conformance.reporting.results_json.build_results`), and JUnit, the HTML report and
the terminal summary read that.  Nothing downstream reads the engine's working state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from conformance.engine.config import RunConfig
from conformance.engine.exporting import ExportFile
from conformance.engine.plan import Task
from conformance.engine.verdict import Verdict
from conformance.errors import ExitCode
from conformance.results import CheckResult

__all__ = ["RunOutcome"]


@dataclass(frozen=True, eq=False)
class RunOutcome:
    config: RunConfig
    plan: tuple[Task, ...]  # the tasks this run owed results for, in order
    results: tuple[CheckResult, ...]  # in plan order
    started_at: datetime
    finished_at: datetime
    verdict: Verdict  # completeness included: a missing result is a reason
    exit_code: ExitCode
    missing: tuple[str, ...] = ()  # ids of planned results the run does not have
    unreachable: str | None = None  # why the candidate accepted no connection
    request_digests: Mapping[str, str] = field(default_factory=dict)  # per operation
    latencies_ms: Mapping[str, list[float]] = field(default_factory=dict)  # per operation
    exports: Mapping[str, ExportFile] = field(default_factory=dict)  # by export name

    @property
    def complete(self) -> bool:
        return not self.missing
