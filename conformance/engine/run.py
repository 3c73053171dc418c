"""One run of one standard against one candidate: plan, execute, finish.

The engine's entry point for both front doors::

    run = Run(config, listeners)     # config: a prepared RunConfig (conformance.session)
    outcome = run.run()              # every task, in order; or, task by task (pytest):
    run.start(); run.execute(task) ...; outcome = run.finish()

Three jobs, each in its own module: API probing (:mod:`conformance.engine.probing`),
export running (:mod:`conformance.engine.exporting`) and result collection
(:mod:`conformance.engine.collect`); :mod:`conformance.engine.plan` says which results
each task owes.  This class sequences them and emits the typed events
(:mod:`conformance.engine.events`).

:meth:`Run.execute` never raises an ``Exception``: a task that raises (a reader, a check,
a worker process) gives an error result, with the exception's message, for every result it
owed.  :meth:`Run.finish` compares the results with the plan; a run missing any cannot
conform.  Each task's requests depend only on the run's seed and the task's target, so a
task replays the same requests whatever the order, thread or process it runs in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from conformance.engine.budget import Budget
from conformance.engine.collect import SKIP_NOT_CLAIMED, Collector
from conformance.engine.config import RunConfig, Shard, new_run_id, new_seed
from conformance.engine.events import (
    Event,
    Listener,
    RunFinished,
    RunStarted,
    TaskFinished,
    TaskProgress,
    TaskStarted,
)
from conformance.engine.exchange import Redactor
from conformance.engine.exporting import ExportRunner
from conformance.engine.outcome import RunOutcome
from conformance.engine.plan import Task, plan
from conformance.engine.probing import ApiProber
from conformance.engine.verdict import decide, exit_code_for
from conformance.errors import ExitCode
from conformance.redaction import registered
from conformance.regex_validator import start_run_budget
from conformance.results import CheckResult, Outcome

__all__ = [
    "SKIP_NOT_CLAIMED",
    "Run",
    "RunConfig",
    "RunOutcome",
    "Shard",
    "Task",
    "new_run_id",
    "new_seed",
]


class Run:
    """The state of one run; see the module docstring for its life cycle."""

    def __init__(self, config: RunConfig, listeners: Iterable[Listener] = ()) -> None:
        self.config = config
        self.listeners = list(listeners)
        auth = config.candidate.auth
        secret = auth.secret() if auth else ""
        # the run's secret and the process's others (key passphrases): issue 15 item 2
        self.redactor = Redactor([secret, *registered()], auth.shell_headers() if auth else {})
        self.collector = Collector(config.standard, config.claim, self.redactor)
        self.budget = Budget(config.max_duration_s)
        # sealed (issue 15 item 5): all the run's regular-expression searches, bounded together
        start_run_budget(config.max_duration_s)
        self.prober = ApiProber(
            config, self.collector, self.redactor, self.budget, auth.headers(secret) if auth else {}
        )
        self.exports = ExportRunner(
            config,
            self.collector,
            self.redactor,
            self.prober.export_total,
            self._progress,
            self.budget,
        )
        self.plan: tuple[Task, ...] = tuple(plan(config))
        self.started_at = datetime.now(UTC)
        self._started = False
        self._lock = threading.Lock()
        self._done: dict[str, list[CheckResult]] = {}  # by target, as executed
        self._ahead: dict[str, list[CheckResult]] = {}  # probed ahead by worker threads
        self._probed_ahead = False

    # -- life cycle -----------------------------------------------------------------

    def tasks(self) -> list[Task]:
        """The tasks of this run (this shard's), in order."""
        return list(self.plan)

    @property
    def unreachable(self) -> str | None:
        """Why the candidate accepts no connection (after :meth:`start`), or None."""
        return self.prober.unreachable

    def start(self) -> str | None:
        """Check that the candidate is reachable, then emit RunStarted (once).

        Returns why the candidate is unreachable, or None; an unreachable candidate's API
        results are errors, its exports are still validated.
        """
        if self._started:
            return self.unreachable
        self._started = True
        self.prober.preflight()
        config = self.config
        self.emit(
            RunStarted(
                run_id=config.run_id,
                seed=config.seed,
                standard=config.standard.ref,
                digest=config.standard.digest,
                candidate=f"{config.candidate.system} {config.candidate.version}",
                base_url=config.target_url,
                targets=tuple(task.target for task in self.plan),
                unreachable=self.unreachable,
                shard=str(config.shard) if config.shard else None,
            )
        )
        return self.unreachable

    def execute(self, task: Task) -> list[CheckResult]:
        """The results of one task (probed ahead with ``--workers N``); never raises."""
        self.start()
        with self._lock:
            results = self._ahead.pop(task.target, None)
        if results is None:
            results = self._execute(task)
        with self._lock:
            self._done[task.target] = results
        return results

    def run(self) -> RunOutcome:
        """Every task of the plan, in order, then :meth:`finish`."""
        self.start()
        if self.config.workers > 1:
            self.probe_ahead()
        for task in self.plan:
            self.execute(task)
        return self.finish()

    def probe_ahead(self) -> None:
        """Probe the API tasks in ``config.workers`` threads; :meth:`execute` returns them.

        Each task's requests depend only on the run's seed and its target, so the requests
        sent are those of a sequential run.  Only the first call probes.
        """
        self.start()
        if self._probed_ahead:
            return
        self._probed_ahead = True
        pending = [t for t in self.plan if t.kind == "api" and t.target not in self._done]
        with ThreadPoolExecutor(max_workers=max(1, self.config.workers)) as pool:
            for task, results in zip(pending, pool.map(self._execute, pending), strict=True):
                with self._lock:
                    self._ahead[task.target] = results

    def finish(self) -> RunOutcome:
        """The run's outcome (verdict, completeness, exit code); emits RunFinished."""
        config = self.config
        results = tuple(r for task in self.plan for r in self._done.get(task.target, ()))
        expected = [rid for task in self.plan for rid in task.expected_ids]
        present = {r.id for r in results}
        missing = tuple(rid for rid in expected if rid not in present)
        verdict = decide(config.standard, results, expected=expected)
        if config.shard is not None:
            # a slice's own code; the verdict is the merge's (conformance merge)
            bad = any(r.outcome in (Outcome.FAIL, Outcome.ERROR) for r in results) or missing
            code = (
                ExitCode.UNREACHABLE
                if self.unreachable
                else ExitCode.FAILED
                if bad
                else ExitCode.OK
            )
        else:
            code = exit_code_for(verdict, self.unreachable)
        outcome = RunOutcome(
            config=config,
            plan=self.plan,
            results=results,
            started_at=self.started_at,
            finished_at=datetime.now(UTC),
            verdict=verdict,
            exit_code=code,
            missing=missing,
            unreachable=self.unreachable,
            request_digests=dict(self.prober.request_digests),
            latencies_ms=dict(self.prober.latencies_ms),
            exports=dict(self.exports.files),
        )
        self.emit(RunFinished(outcome))
        return outcome

    # -- internals ------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def _progress(self, target: str) -> Callable[[int, int], None]:
        def progress(done: int, total: int) -> None:
            self.emit(TaskProgress(target, done, total))

        return progress

    def _execute(self, task: Task) -> list[CheckResult]:
        self.emit(TaskStarted(task.target))
        started = time.monotonic()
        try:
            if task.kind == "api":
                results = self.prober.run(task)
            else:
                results = self.exports.run(task)
                if self.exports.ahead_failure and results and task.export is not None:
                    note = (
                        f"validating the files side by side failed ({self.exports.ahead_failure})"
                    )
                    for result in results:
                        result.evidence.setdefault("jobs_fallback", note)
        except Exception as exc:  # whatever raised, the task's results are errors
            results = self.collector.crashed(task.target, task.expected, exc)
        duration = time.monotonic() - started
        for result in results:
            result.duration_s = duration / max(len(results), 1)
        self.emit(TaskFinished(task.target, tuple(results), duration))
        return results
