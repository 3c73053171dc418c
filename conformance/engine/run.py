"""Planning and executing a run: one task per operation and per export.

Each task returns one :class:`CheckResult` per (clause, check) it serves, so every
result traces to a clause of the standard.  Hypothesis drives generation with a seed
derived from the run's seed and the task's target, so a task replays the same
requests whatever order or process it runs in.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Unsatisfiable

from conformance.candidate import Candidate, Claim
from conformance.checks import Problem, api_checks
from conformance.engine._hypothesis import seed_only_generation
from conformance.engine.cases import (
    NEGOTIATION_CHECKS,
    boundary_cases,
    case_strategy,
    example_case,
    invalid_case_strategy,
    negotiation_cases,
)
from conformance.engine.events import Event, Listener, TaskFinished, TaskStarted
from conformance.engine.exchange import Exchange, Redactor, RequestCase, build_request
from conformance.engine.http import Client, Limits, TransportError, probe
from conformance.engine.openapi import Operation, load_operations
from conformance.engine.scenario import ScenarioBudgetExceeded, ScenarioContext
from conformance.errors import StandardError
from conformance.regex_validator import start_run_budget
from conformance.results import CheckResult, Failure, Outcome
from conformance.standards.model import Clause, ExportSpec, Level, Standard, Verification
from conformance.validation import SchemaSet, schema_set

EXPORT_CHECKS = ("export_records", "export_encoding", "export_unique_keys")
MAX_LATENCY_SAMPLES = 1000
MAX_SHRINK_PER_OPERATION = 5
TIMING_CHECK = "response_time"
SHRINK_BUDGET = 80  # requests spent shrinking one failure
# Checks that need a response: a timeout or a refused connection is an error on them.
TRANSPORT_CHECKS = frozenset({"status_code_documented", "not_a_server_error"})


class BudgetExhausted(Exception):
    """The run's time budget is spent; what is left is reported as not done."""


# A candidate that stops answering would otherwise cost every planned request a full
# timeout (hundreds per operation): after this many transport errors in a row, the
# operation stops, and what is left of it is reported as not done.
MAX_TRANSPORT_ERRORS_IN_A_ROW = 3


SKIP_NOT_CLAIMED = "optional (MAY) clause not claimed by the candidate"


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def new_seed() -> int:
    return secrets.randbelow(2**31)


@dataclass(frozen=True)
class RunConfig:
    standard: Standard
    candidate: Candidate
    seed: int
    run_id: str
    reports_dir: Path
    max_examples: int = 20
    limits: Limits = field(default_factory=Limits)
    base_url: str | None = None  # overrides the candidate's
    max_errors_per_type: int = 100
    max_duration_s: float | None = None  # time budget for the whole run
    workers: int = 1


@dataclass(frozen=True)
class Task:
    kind: str  # "api" or "export"
    target: str
    operation: Operation | None = None
    export: ExportSpec | None = None


@dataclass
class _Entry:
    """Accumulates what one check saw for one clause on one target."""

    clause: str
    check: str
    examined: int = 0
    failures: dict[str, Failure] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class Run:
    """The state of one run of one standard against one candidate."""

    def __init__(self, config: RunConfig, listeners: Iterable[Listener] = ()) -> None:
        self.config = config
        self.standard = config.standard
        self.candidate = config.candidate
        self.claim: Claim = config.candidate.claim(config.standard.ref)
        self.schemas: SchemaSet = schema_set(config.standard.folder)
        self.base_url = config.base_url or config.candidate.base_url
        self.listeners = list(listeners)
        self.results: list[CheckResult] = []
        self._done: dict[str, list[CheckResult]] = {}
        self.prefetched = False
        self._lock = threading.Lock()
        self.request_digests: dict[str, str] = {}
        self.latencies_ms: dict[str, list[float]] = {}  # per operation, bounded
        self.export_files: dict[str, dict[str, Any]] = {}
        self.export_jobs = 1  # processes per export file (--jobs)
        self._prevalidated: dict[str, Any] = {}  # export reports made ahead, side by side
        self._prevalidated_all = False
        # a progress display per export file (the pytest plugin sets one for the terminal)
        self.export_progress: Callable[[str], Callable[[int, int], None]] | None = None
        self.unreachable: str | None = None
        self.started_at = datetime.now(UTC)
        auth = config.candidate.auth
        self._secret = auth.secret() if auth else ""
        self.auth_headers = auth.headers(self._secret) if auth else {}
        self.redactor = Redactor([self._secret], auth.shell_headers() if auth else {})
        self.client = Client(config.limits)
        self.operations: list[Operation] = []
        self.error_envelope_uri: str | None = None
        if config.standard.openapi_path is not None:
            self.operations = load_operations(self.schemas, config.standard.openapi_path)
            self.error_envelope_uri = error_envelope_uri(self.schemas, config.standard.openapi_path)
        self.deadline = time.monotonic() + config.max_duration_s if config.max_duration_s else None
        # sealed (issue 15 item 5): all the run's regular-expression searches, bounded together
        start_run_budget(config.max_duration_s)

    # -- planning -------------------------------------------------------------------

    def tasks(self) -> list[Task]:
        tasks = [Task("api", op.target, operation=op) for op in self.operations]
        tasks += [Task("export", f"export {e.name}", export=e) for e in self.standard.exports]
        return tasks

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def preflight(self) -> str | None:
        """None when the candidate accepts a TCP connection, else why not."""
        if not self.operations:
            return None
        if not self.base_url:
            self.unreachable = "candidate.yaml has no base_url and none was given"
            return self.unreachable
        # refused, or (https) a certificate the trusted CAs do not sign
        self.unreachable = probe(self.base_url, self.config.limits)
        return self.unreachable

    def _clause_skip(self, clause: Clause) -> str | None:
        if clause.verification is Verification.MANUAL:
            return "manual clause: verified by a reviewer's attestation"
        if clause.level is Level.MAY and clause.id not in self.claim.implements:
            return SKIP_NOT_CLAIMED
        return None

    # -- execution ------------------------------------------------------------------

    def prefetch(self, tasks: list[Task], workers: int) -> None:
        """Run API tasks in parallel threads ahead of their items; execute() then returns them.

        Each task's requests depend only on the run seed and its target, so the requests sent
        are the same as in a sequential run.
        """
        from concurrent.futures import ThreadPoolExecutor

        pending = [t for t in tasks if t.kind == "api" and t.target not in self._done]
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for task, results in zip(
                pending, pool.map(self._execute_uncached, pending), strict=True
            ):
                self._done[task.target] = results

    def execute(self, task: Task) -> list[CheckResult]:
        results = self._done.pop(task.target, None)
        if results is None:
            results = self._execute_uncached(task)
        with self._lock:
            self.results.extend(results)
        return results

    def _execute_uncached(self, task: Task) -> list[CheckResult]:
        self.emit(TaskStarted(task.target))
        started = time.monotonic()
        if task.operation is not None:
            results = self._run_operation(task.operation)
        else:
            assert task.export is not None
            results = self._run_export(task.export)
        duration = time.monotonic() - started
        for result in results:
            result.duration_s = duration / max(len(results), 1)
        self.emit(TaskFinished(task.target, tuple(results), duration))
        return results

    def _entries(
        self, clause_ids: Iterable[str], check_ids: Iterable[str]
    ) -> dict[tuple[str, str], _Entry]:
        checks = list(check_ids)
        entries: dict[tuple[str, str], _Entry] = {}
        for clause_id in clause_ids:
            if clause_id not in self.standard.clause_ids:
                continue  # lint reports unknown clause ids
            clause = self.standard.clause(clause_id)
            for check in checks:
                if clause.verified_by(check):
                    entries[(clause_id, check)] = _Entry(clause_id, check)
        return entries

    def _finish(
        self,
        target: str,
        entries: dict[tuple[str, str], _Entry],
        evidence: dict[str, Any] | None = None,
    ) -> list[CheckResult]:
        results = []
        for entry in entries.values():
            clause = self.standard.clause(entry.clause)
            skip = self._clause_skip(clause)
            failures = sorted(entry.failures.values(), key=lambda f: -f.count)
            if skip is not None:
                outcome, message, failures = Outcome.SKIP, skip, []
            elif entry.errors:
                outcome, message = Outcome.ERROR, entry.errors[0]
            elif failures:
                total = sum(f.count for f in failures)
                outcome = Outcome.FAIL
                message = (
                    f"{len(failures)} distinct failure(s), {total} occurrence(s): "
                    f"{failures[0].message}"
                )
            elif entry.examined == 0:
                outcome, message = (
                    Outcome.SKIP,
                    "not exercised: no response or record reached this check",
                )
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
                )
            )
        return results

    def _task_seed(self, target: str) -> int:
        return (self.config.seed + zlib.crc32(target.encode("utf-8"))) % (2**32)

    def _scenario_ids(self, op: Operation) -> list[str]:
        from conformance.checks.scenarios import SCENARIOS

        return [cid for cid, (_, applies) in SCENARIOS.items() if applies(op, self.operations)]

    def _run_operation(self, op: Operation) -> list[CheckResult]:
        from conformance.checks.scenarios import SCENARIOS

        checks = api_checks()
        scenario_ids = self._scenario_ids(op)
        entries = self._entries(op.all_clauses(), [c.id for c in checks] + scenario_ids)
        if not entries:
            return []
        active = [
            e for e in entries.values() if self._clause_skip(self.standard.clause(e.clause)) is None
        ]
        if not active:
            return self._finish(op.target, entries)
        if self.unreachable:
            for entry in entries.values():
                entry.errors.append(f"candidate unreachable: {self.unreachable}")
            return self._finish(op.target, entries)
        digest = hashlib.sha256()
        errors_in_a_row = [0]

        def send(
            target: Operation,
            case: RequestCase,
            method: str | None = None,
            auth: dict[str, str] | None = None,
        ) -> Exchange | None:
            self._check_budget()
            headers = self.auth_headers if auth is None else auth
            request = build_request(self.base_url or "", target, case, headers, method)
            digest.update(request.method.encode() + b" " + request.url.encode() + b"\n")
            digest.update((request.body or b"") + b"\n")
            try:
                response = self.client.send(request)
            except TransportError as exc:
                message = f"{exc.kind}: {exc} ({request.method} {self.redactor.text(request.url)})"
                for entry in entries.values():
                    if entry.check in TRANSPORT_CHECKS and len(entry.errors) < 5:
                        entry.errors.append(message)
                errors_in_a_row[0] += 1
                if errors_in_a_row[0] >= MAX_TRANSPORT_ERRORS_IN_A_ROW:
                    raise BudgetExhausted(
                        f"{op.target} stopped: {errors_in_a_row[0]} requests in a row got no "
                        f"complete response (last: {message})"
                    ) from None
                return None
            errors_in_a_row[0] = 0
            samples = self.latencies_ms.setdefault(op.target, [])
            if len(samples) < MAX_LATENCY_SAMPLES:
                samples.append(round(response.elapsed_s * 1000, 2))
            return Exchange(
                target,
                case,
                request,
                response,
                self.schemas,
                error_envelope_uri=self.error_envelope_uri,
            )

        first_seen: dict[str, bool] = {}  # failure key -> found by a valid (True) request

        def execute(
            case: RequestCase, probe: str | None = None, auth: dict[str, str] | None = None
        ) -> None:
            exchange = send(op, case, auth=auth)
            if exchange is None:
                return
            if probe is not None:
                exchange.probe = probe
                exchange.expected_status = 401
            elif case.mutation is not None:
                exchange.expected_status = 400
            for key in self._check_exchange(exchange, checks, entries):
                # Timing depends on the machine's load, not on the request: shrinking a slow
                # response would only make the requests sent depend on the load too.
                timing = key.startswith(f"{TIMING_CHECK}|")
                if case.source == "generated" and key not in first_seen and not timing:
                    first_seen[key] = case.mutation is None

        example = example_case(op)
        try:
            if example is not None:
                execute(example)
                if op.secured and self.candidate.auth is not None:
                    wrong = self.candidate.auth.headers("wrong-credentials-for-probe")
                    execute(example, "no credentials", {})
                    execute(example, "wrong credentials", wrong)
                # realservers hook: content negotiation probes, where a clause names their checks
                if any(e.check in NEGOTIATION_CHECKS for e in entries.values()):
                    for case in negotiation_cases(op, example):
                        execute(case)
            needs_path = any(p.location == "path" for p in op.parameters)
            if example is not None or not needs_path:
                base = example or RequestCase(source="boundary")
                for case in boundary_cases(op, self.schemas, base):
                    execute(case)
            for problem in (
                self._explore(op, execute, valid=True),
                self._explore(op, execute, valid=False),
            ):
                if problem:
                    for entry in entries.values():
                        entry.errors.append(problem)
            if first_seen:
                self._shrink(op, first_seen, send, checks, entries)
            for check_id in scenario_ids:
                targets = [e for e in entries.values() if e.check == check_id]
                if not targets:
                    continue
                self._run_scenario(op, SCENARIOS[check_id][0], targets, example, send)
        except BudgetExhausted as exc:
            for entry in entries.values():
                entry.errors.append(str(exc))
        self.request_digests[op.target] = digest.hexdigest()
        return self._finish(op.target, entries)

    def _check_budget(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise BudgetExhausted(f"run time budget of {self.config.max_duration_s:.0f}s exhausted")

    def _run_scenario(
        self,
        op: Operation,
        func: Callable[[ScenarioContext], Iterable[Problem]],
        targets: list[_Entry],
        example: RequestCase | None,
        send: Callable[..., Exchange | None],
    ) -> None:
        last: list[Exchange] = []

        def tracked(target: Operation, case: RequestCase, method: str | None) -> Exchange | None:
            exchange = send(target, case, method)
            if exchange is not None:
                last[:] = [exchange]
            return exchange

        ctx = ScenarioContext(op, self.operations, example, tracked)
        try:
            problems = list(func(ctx))
        except BudgetExhausted:
            raise
        except ScenarioBudgetExceeded as exc:
            for entry in targets:
                entry.errors.append(f"scenario stopped: {exc}")
            return
        for entry in targets:
            entry.examined += 1
        evidence = last[0].evidence(self.redactor) if last else {}
        for problem in problems:
            for entry in targets:
                self._add_failure(entry, op.target, problem, evidence)

    def _explore(
        self, op: Operation, execute: Callable[[RequestCase], None], *, valid: bool
    ) -> str | None:
        if self.config.max_examples <= 0:
            return None
        try:
            if valid:
                strategy = case_strategy(op, self.schemas)
            else:
                maybe = invalid_case_strategy(op, self.schemas)
                if maybe is None:
                    return None
                strategy = maybe
        except Exception as exc:  # a standard the generator cannot serve
            return f"cannot generate requests for {op.target}: {exc}"

        @settings(
            max_examples=self.config.max_examples,
            database=None,
            deadline=None,
            derandomize=False,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
            report_multiple_bugs=False,
        )
        @hypothesis_seed(self._task_seed(op.target + ("" if valid else "#invalid")))
        @given(strategy)
        def explore(case: RequestCase) -> None:
            execute(case)

        try:
            with seed_only_generation():
                explore()
        except BudgetExhausted:
            raise
        except Unsatisfiable as exc:
            if not valid:
                # realservers hook: every invalid value the generator drew reads as valid on
                # the wire (an unconstrained string): no invalid request exists to send
                return None
            return f"request generation failed for {op.target}: {type(exc).__name__}: {exc}"
        except Exception as exc:
            return f"request generation failed for {op.target}: {type(exc).__name__}: {exc}"
        return None

    def _problems(
        self, exchange: Exchange, checks: list[Any], entries: dict[tuple[str, str], _Entry]
    ) -> list[tuple[list[_Entry], Problem]]:
        """What every applicable check finds in one exchange, with the entries it reports to."""
        op = exchange.operation
        spec = op.response_for(exchange.response.status)
        clause_ids = list(op.clauses) + list(spec.clauses if spec else ())
        if exchange.expected_status is not None:
            # a probe or an invalid request also serves the clauses of the response it
            # should have got, so a wrong answer is reported against them
            expected = op.response_for(exchange.expected_status)
            clause_ids += [c for c in (expected.clauses if expected else ()) if c not in clause_ids]
        found: list[tuple[list[_Entry], Problem]] = []
        for check in checks:
            if check.applies is not None and not check.applies(exchange):
                continue
            targets = [entries[(c, check.id)] for c in clause_ids if (c, check.id) in entries]
            if not targets:
                continue
            for entry in targets:
                entry.examined += 1
            try:
                found.extend((targets, problem) for problem in check.func(exchange))
            except StandardError as exc:  # the standard's fault (a runaway pattern): an error
                for entry in targets:
                    if str(exc) not in entry.errors and len(entry.errors) < 5:
                        entry.errors.append(str(exc))
        return found

    def _check_exchange(
        self, exchange: Exchange, checks: list[Any], entries: dict[tuple[str, str], _Entry]
    ) -> list[str]:
        """Record what the checks find; return the failure keys seen."""
        evidence: dict[str, Any] | None = None
        keys = []
        for targets, problem in self._problems(exchange, checks, entries):
            if evidence is None:
                evidence = exchange.evidence(self.redactor)
            for entry in targets:
                keys.append(self._add_failure(entry, exchange.operation.target, problem, evidence))
        return keys

    def _shrink(
        self,
        op: Operation,
        first_seen: dict[str, bool],
        send: Callable[..., Exchange | None],
        checks: list[Any],
        entries: dict[tuple[str, str], _Entry],
    ) -> None:
        """Replace each failure's evidence by a minimal request that still shows it.

        Hypothesis searches (with a seed derived from the run's) for a request that
        reproduces the failure, then shrinks it; the request budget per failure is bounded.
        """
        from hypothesis import find
        from hypothesis.errors import NoSuchExample

        for key, valid in list(first_seen.items())[:MAX_SHRINK_PER_OPERATION]:
            strategy = (
                case_strategy(op, self.schemas)
                if valid
                else invalid_case_strategy(op, self.schemas)
            )
            if strategy is None:
                continue
            budget = [SHRINK_BUDGET]
            smallest: list[tuple[Exchange, str]] = []

            def reproduces(
                case: RequestCase,
                key: str = key,
                budget: list[int] = budget,
                smallest: list[tuple[Exchange, str]] = smallest,
            ) -> bool:
                if budget[0] <= 0:
                    return False
                budget[0] -= 1
                exchange = send(op, case)
                if exchange is None:
                    return False
                if case.mutation is not None:
                    exchange.expected_status = 400
                scratch = {k: _Entry(e.clause, e.check) for k, e in entries.items()}
                for targets, problem in self._problems(exchange, checks, scratch):
                    if _failure_key(targets[0].check, op.target, problem) == key:
                        smallest[:] = [(exchange, problem.message)]
                        return True
                return False

            try:
                with seed_only_generation():
                    find(
                        strategy,
                        reproduces,
                        settings=settings(
                            max_examples=max(self.config.max_examples, 10),
                            database=None,
                            deadline=None,
                            phases=[Phase.generate, Phase.shrink],
                            suppress_health_check=list(HealthCheck),
                        ),
                        random=random.Random(self._task_seed(f"{op.target}#shrink#{key}")),  # noqa: S311
                    )
            except (NoSuchExample, Unsatisfiable):
                continue
            except BudgetExhausted:
                raise
            except Exception:  # noqa: S110 - a stateful candidate makes shrinking flaky: keep the best so far
                pass
            if not smallest:
                continue
            exchange, message = smallest[0]
            evidence = exchange.evidence(self.redactor)
            evidence["shrunk"] = True
            for entry in entries.values():
                failure = entry.failures.get(key)
                if failure is not None:
                    failure.evidence = evidence
                    failure.message = self.redactor.text(message)

    def _add_failure(
        self, entry: _Entry, target: str, problem: Problem, evidence: dict[str, Any]
    ) -> str:
        key = _failure_key(entry.check, target, problem)
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

    def _run_export(self, spec: ExportSpec) -> list[CheckResult]:
        from conformance.exports import Severity, validate_export

        target = f"export {spec.name}"
        check_ids = [c for c in EXPORT_CHECKS if c != "export_unique_keys" or spec.key]
        from conformance.exports import apply_rules, export_rules

        rules = export_rules(self.standard).get(spec.name)
        check_ids += list(rules.checks) if rules is not None else []
        entries = self._entries(spec.clauses, check_ids)
        active = [
            e for e in entries.values() if self._clause_skip(self.standard.clause(e.clause)) is None
        ]
        if not active:
            return self._finish(target, entries)
        path = self.claim.exports.get(spec.name)
        if path is None:
            for entry in entries.values():
                entry.failures["missing"] = Failure(
                    title="Export not provided",
                    message=(
                        f"candidate.yaml names no file for export={spec.name!r} "
                        f"of {self.standard.ref}"
                    ),
                    check=entry.check,
                    target=target,
                    dedup_key="missing-export",
                    severity=self.standard.clause(entry.clause).level.value,
                )
            return self._finish(target, entries)
        report = self._prevalidated.pop(spec.name, None)
        if report is None and self.export_jobs > 1 and not self._prevalidated_all:
            self._prevalidate_exports()
            report = self._prevalidated.pop(spec.name, None)
        if report is None:
            progress = self.export_progress(spec.name) if self.export_progress else None
            report = validate_export(
                spec,
                path,
                max_per_type=self.config.max_errors_per_type,
                progress=progress,
                jobs=self.export_jobs,
            )
        if rules is not None:
            files = {
                e.name: (e, self.claim.exports[e.name])
                for e in self.standard.exports
                if e.name in self.claim.exports
            }
            cap = self.config.max_errors_per_type
            apply_rules(spec, report, rules, files, self._export_total, cap)
        self.export_files[spec.name] = {
            "path": str(path),
            "sha256": _file_sha256(path),
            "records": report.records,
            "format": spec.format,
        }
        fatal_kinds = {"unreadable", "missing-file", "not-a-file", "total-unavailable"}
        fatal_kinds.add("count-unknown")
        fatal_kinds.add("pattern-timeout")  # sealed (issue 15 item 5): the suite's bound, an error
        for entry in entries.values():
            entry.examined = report.records
            for issue in report.issues_for(entry.check):
                if issue.severity is not Severity.ERROR:
                    continue
                if issue.kind in fatal_kinds:
                    entry.errors.append(f"{issue.location()}: {issue.message}")
                    continue
                key = f"{entry.check}|{target}|{issue.kind}"
                failure = entry.failures.get(key)
                if failure is None:
                    failure = entry.failures[key] = Failure(
                        title=f"{issue.kind}",
                        message=self.redactor.text(f"{issue.location()}: {issue.message}"),
                        check=entry.check,
                        target=target,
                        dedup_key=hashlib.sha256(key.encode()).hexdigest()[:16],
                        severity=self.standard.clause(entry.clause).level.value,
                        location=issue.location(),
                        pointer=issue.pointer or None,
                        schema_path=issue.schema_path or None,
                        evidence={"examples": []},
                        count=0,
                    )
                    failure.count = report.counts[(entry.check, issue.kind)]
                examples = failure.evidence["examples"]
                examples.append(_issue_dict(issue, self.redactor))
            if entry.examined == 0 and not entry.errors and not entry.failures:
                entry.examined = 1  # an empty but readable file was examined
            stopped = not report.complete and not report.counts[("export_records", "empty-file")]
            if stopped and entry.check != "export_records" and not entry.failures:
                # What was not read was not checked: never a pass (export_records says why).
                entry.errors.append(
                    f"not verified: reading {path.name} stopped after {report.records} "
                    "records (see export_records); expected the whole file read"
                )
        evidence = {
            "file": str(path),
            "records": report.records,
            "counts": {f"{c}:{k}": n for (c, k), n in sorted(report.counts.items())},
            "capped": sorted(f"{c}:{k}" for c, k in report.capped),
            "warnings": [
                _issue_dict(i, self.redactor)
                for i in report.issues
                if i.severity is not Severity.ERROR
            ][:20],
        }
        return self._finish(target, entries, evidence)

    def _prevalidate_exports(self) -> None:
        """--jobs N: validate every export file of the claim side by side, once."""
        from conformance.exports import validate_many

        self._prevalidated_all = True
        names = [e.name for e in self.standard.exports if e.name in self.claim.exports]
        items = [(self.standard.export(n), Path(self.claim.exports[n])) for n in names]
        if len(items) < 2:
            return
        reports = validate_many(
            items, max_per_type=self.config.max_errors_per_type, jobs=self.export_jobs
        )
        self._prevalidated.update(zip(names, reports, strict=True))

    def _export_total(self, rule: Any) -> int | str:
        """The integer at ``rule.pointer`` of ``rule.operation``'s answer to its example
        request, sent once with the candidate's credentials; else why not (a message)."""
        import json as _json

        op = next((o for o in self.operations if o.operation_id == rule.operation), None)
        if op is None:
            return f"no operation {rule.operation!r} in the API"
        if self.unreachable:
            return f"candidate unreachable: {self.unreachable}"
        case = example_case(op)
        if case is None:
            return f"operation {rule.operation} has no example request to send"
        # required parameters only: an optional filter would narrow the total
        optional = {p.name for p in op.parameters if not p.required and p.location == "query"}
        case = replace(case, query={k: v for k, v in case.query.items() if k not in optional})
        request = build_request(self.base_url or "", op, case, self.auth_headers)
        try:
            response = self.client.send(request)
        except TransportError as exc:
            return self.redactor.text(f"{exc.kind}: {exc}")
        if response.status != 200:
            return f"{request.method} {self.redactor.text(request.url)} answered {response.status}"
        try:
            value: Any = _json.loads(response.body)
            for token in rule.pointer.lstrip("/").split("/") if rule.pointer else []:
                token = token.replace("~1", "/").replace("~0", "~")
                value = value[int(token)] if isinstance(value, list) else value[token]
        except (ValueError, KeyError, IndexError, TypeError):
            return f"the answer has no {rule.pointer} (expected a JSON body with an integer there)"
        if type(value) is not int:
            return f"{rule.pointer} is {value!r}, expected an integer"
        return value


def _failure_key(check: str, target: str, problem: Problem) -> str:
    """Same check, operation and cause: one failure, counted."""
    return f"{check}|{target}|{problem.cause}"


def error_envelope_uri(schemas: SchemaSet, openapi_path: Path) -> str | None:
    """The schema the standard declares for every error body (``x-error-envelope``)."""
    from urllib.parse import urljoin

    declared = schemas.document(openapi_path).data.get("x-error-envelope")
    base = schemas.uri(openapi_path)
    if isinstance(declared, dict) and isinstance(declared.get("$ref"), str) and len(declared) == 1:
        ref: str = declared["$ref"]
        return base + ref if ref.startswith("#") else urljoin(base, ref)
    if isinstance(declared, dict):
        return f"{base}#/x-error-envelope"
    return None


def _issue_dict(issue: Any, redactor: Redactor) -> dict[str, Any]:
    data = {
        "kind": issue.kind,
        "severity": issue.severity.value,
        "location": issue.location(),
        "message": redactor.text(issue.message),
    }
    for name in ("line", "row", "xpath", "byte_offset", "pointer", "schema_path", "value"):
        value = getattr(issue, name, None)
        if value not in (None, ""):
            data[name] = redactor.text(value) if isinstance(value, str) else value
    return data


def _file_sha256(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None
