"""API probing: every request of one operation's task, and what the checks find in the answers.

For one operation, in this order: the documented example, then the same request without
credentials and with a wrong token (a secured operation); boundary and body probes;
Hypothesis-generated valid and invalid requests (seeded from the run's seed and the
operation, so that a task replays the same requests in any order or thread); shrinking each
failure to a minimal request; then the declared scenarios.  Each answer becomes an
:class:`Exchange` that every applicable API check reads; what they find goes to the task's
entries (:mod:`conformance.engine.collect`).

A check or a scenario that raises is an error on its own results, never a pass, and the
rest of the task goes on.
"""

from __future__ import annotations

import hashlib
import json
import random
import zlib
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import NoSuchExample, Unsatisfiable

from conformance.checks import Check, Problem, api_checks
from conformance.checks.scenarios import SCENARIOS
from conformance.engine._hypothesis import seed_only_generation
from conformance.engine.budget import Budget, BudgetExhausted
from conformance.engine.cases import (
    NEGOTIATION_CHECKS,
    boundary_cases,
    case_strategy,
    example_case,
    invalid_case_strategy,
    negotiation_cases,
)
from conformance.engine.collect import Collector, Entries, Entry, failure_key
from conformance.engine.config import RunConfig
from conformance.engine.exchange import Exchange, Redactor, RequestCase, build_request
from conformance.engine.http import Client, TransportError, probe
from conformance.engine.plan import Task
from conformance.engine.scenario import ScenarioBudgetExceeded, ScenarioContext
from conformance.errors import ConformanceError, StandardError
from conformance.i18n import Message, msg
from conformance.results import CheckResult
from conformance.standards.model import ExportSpec
from conformance.standards.operations import Operation
from conformance.validation import SchemaSet

__all__ = ["ApiProber", "error_envelope_uri"]

MAX_LATENCY_SAMPLES = 1000
MAX_SHRINK_PER_OPERATION = 5
TIMING_CHECK = "response_time"
SHRINK_BUDGET = 80  # requests spent shrinking one failure
# Checks that need a response: a timeout or a refused connection is an error on them.
TRANSPORT_CHECKS = frozenset({"status_code_documented", "not_a_server_error"})
# A candidate that stops answering would otherwise cost every planned request a full
# timeout (hundreds per operation): after this many transport errors in a row, the
# operation stops, and what is left of it is reported as not done.
MAX_TRANSPORT_ERRORS_IN_A_ROW = 3

Send = Callable[..., Exchange | None]


def error_envelope_uri(schemas: SchemaSet, openapi_path: Path) -> str | None:
    """The schema the standard declares for every error body (``x-error-envelope``)."""
    declared = schemas.document(openapi_path).data.get("x-error-envelope")
    base = schemas.uri(openapi_path)
    if isinstance(declared, dict) and isinstance(declared.get("$ref"), str) and len(declared) == 1:
        ref: str = declared["$ref"]
        return base + ref if ref.startswith("#") else urljoin(base, ref)
    if isinstance(declared, dict):
        return f"{base}#/x-error-envelope"
    return None


class ApiProber:
    """Probes the candidate's API, one operation (task) at a time; safe across threads."""

    def __init__(
        self,
        config: RunConfig,
        collector: Collector,
        redactor: Redactor,
        budget: Budget,
        auth_headers: dict[str, str],
    ) -> None:
        self.config = config
        self.collector = collector
        self.redactor = redactor
        self.budget = budget
        self.schemas = config.schemas
        self.operations = list(config.operations)
        self.base_url = config.target_url
        self.client = Client(config.limits)
        self.auth_headers = auth_headers
        self.error_envelope_uri: str | None = None
        if config.standard.openapi_path is not None:
            self.error_envelope_uri = error_envelope_uri(self.schemas, config.standard.openapi_path)
        self.unreachable: str | None = None
        self.request_digests: dict[str, str] = {}  # per operation: sha256 of what was sent
        self.latencies_ms: dict[str, list[float]] = {}  # per operation, bounded

    def export_files(self) -> dict[str, tuple[ExportSpec, Path]]:
        """The candidate's export files of this standard, by export name."""
        standard = self.config.standard
        try:
            claimed = self.config.candidate.claim(standard.ref).exports
        except ConformanceError:
            return {}
        return {s.name: (s, claimed[s.name]) for s in standard.exports if s.name in claimed}

    def preflight(self) -> str | None:
        """None when the candidate accepts a TCP connection (or there is no API), else why not."""
        if not self.operations:
            return None
        if not self.base_url:
            self.unreachable = "candidate.yaml has no base_url and none was given"
            return self.unreachable
        # refused, or (https) a certificate the trusted CAs do not sign
        self.unreachable = probe(self.base_url, self.config.limits)
        return self.unreachable

    def task_seed(self, target: str) -> int:
        return (self.config.seed + zlib.crc32(target.encode("utf-8"))) % (2**32)

    def run(self, task: Task) -> list[CheckResult]:
        """Every request of one operation's task, and one result per planned pair."""
        assert task.operation is not None
        entries = self.collector.entries(task.expected)
        if not entries or not self.collector.active(entries):
            return self.collector.results(task.target, entries)
        if self.unreachable:
            for entry in entries.values():
                entry.error(msg("error.unreachable", reason=self.unreachable))
            return self.collector.results(task.target, entries)
        probe = _OperationProbe(self, task, entries)
        probe.run()
        self.request_digests[task.target] = probe.digest.hexdigest()
        return self.collector.results(task.target, entries)

    # -- what every exchange goes through ---------------------------------------------

    def problems(
        self, exchange: Exchange, checks: list[Check], entries: Entries
    ) -> list[tuple[list[Entry], Problem]]:
        """What every applicable check finds in one exchange, with the entries it reports to.

        A check that raises is an error on its entries (naming the check and the exception),
        never a pass; the other checks still read the exchange.
        """
        op = exchange.operation
        spec = op.response_for(exchange.response.status)
        clause_ids = list(op.clauses) + list(spec.clauses if spec else ())
        if exchange.expected_status is not None:
            # a probe or an invalid request also serves the clauses of the response it
            # should have got, so a wrong answer is reported against them
            expected = op.response_for(exchange.expected_status)
            clause_ids += [c for c in (expected.clauses if expected else ()) if c not in clause_ids]
        found: list[tuple[list[Entry], Problem]] = []
        for check in checks:
            if check.applies is not None and not check.applies(exchange):
                continue
            targets = [entries[(c, check.id)] for c in clause_ids if (c, check.id) in entries]
            if not targets:
                continue
            for entry in targets:
                entry.examined += 1
            assert check.func is not None
            try:
                found.extend((targets, problem) for problem in check.func(exchange))
            except StandardError as exc:  # the standard's fault (a runaway pattern): an error
                for entry in targets:
                    entry.error(msg("error.standard", detail=str(exc)))
            except Exception as exc:  # a check that crashed: an error, never a pass
                message = msg(
                    "error.check_raised",
                    check=check.id,
                    type=type(exc).__name__,
                    detail=self.redactor.text(str(exc)),
                    method=exchange.request.method,
                    url=self.redactor.text(exchange.request.url),
                )
                for entry in targets:
                    entry.error(message, internal=True)
        return found

    def record(self, exchange: Exchange, checks: list[Check], entries: Entries) -> list[str]:
        """Record what the checks find; return the failure keys seen."""
        evidence: dict[str, Any] | None = None
        keys = []
        for targets, problem in self.problems(exchange, checks, entries):
            if evidence is None:
                evidence = exchange.evidence(self.redactor)
            for entry in targets:
                keys.append(
                    self.collector.add_failure(entry, exchange.operation.target, problem, evidence)
                )
        return keys

    def latency(self, target: str, elapsed_s: float) -> None:
        samples = self.latencies_ms.setdefault(target, [])
        if len(samples) < MAX_LATENCY_SAMPLES:
            samples.append(round(elapsed_s * 1000, 2))

    # -- the API total an export's record count is compared with ----------------------

    def export_total(self, rule: Any) -> int | str:
        """The integer at ``rule.pointer`` of ``rule.operation``'s answer to its example
        request, sent once with the candidate's credentials; else why not (a message)."""
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
            value: Any = json.loads(response.body)
            for token in rule.pointer.lstrip("/").split("/") if rule.pointer else []:
                token = token.replace("~1", "/").replace("~0", "~")
                value = value[int(token)] if isinstance(value, list) else value[token]
        except (ValueError, KeyError, IndexError, TypeError):
            return f"the answer has no {rule.pointer} (expected a JSON body with an integer there)"
        if type(value) is not int:
            return f"{rule.pointer} is {value!r}, expected an integer"
        return value


class _OperationProbe:
    """The requests of one operation's task, with its own digest and failure bookkeeping."""

    def __init__(self, prober: ApiProber, task: Task, entries: Entries) -> None:
        assert task.operation is not None
        self.prober = prober
        self.op: Operation = task.operation
        self.task = task
        self.entries = entries
        self.checks = api_checks()
        self.digest = hashlib.sha256()
        self.errors_in_a_row = 0
        self.first_seen: dict[str, bool] = {}  # failure key -> found by a valid (True) request

    def run(self) -> None:
        op, prober = self.op, self.prober
        example = example_case(op)
        try:
            if example is not None:
                self.execute(example)
                auth = prober.config.candidate.auth
                if op.secured and auth is not None:
                    wrong = auth.headers("wrong-credentials-for-probe")
                    self.execute(example, "no credentials", {})
                    self.execute(example, "wrong credentials", wrong)
                # content negotiation probes, where a clause names their checks
                if any(e.check in NEGOTIATION_CHECKS for e in self.entries.values()):
                    for case in negotiation_cases(op, example):
                        self.execute(case)
            needs_path = any(p.location == "path" for p in op.parameters)
            if example is not None or not needs_path:
                base = example or RequestCase(source="boundary")
                for case in boundary_cases(op, prober.schemas, base):
                    self.execute(case)
            for problem in (self.explore(valid=True), self.explore(valid=False)):
                if problem:
                    for entry in self.entries.values():
                        entry.errors.append(problem)  # every entry: generation failed for all
            if self.first_seen:
                self.shrink()
            for check_id in self.task.scenarios:
                targets = [e for e in self.entries.values() if e.check == check_id]
                if targets:
                    self.scenario(check_id, targets, example)
        except BudgetExhausted as exc:
            for entry in self.entries.values():
                entry.errors.append(exc.msg)

    def send(
        self,
        target: Operation,
        case: RequestCase,
        method: str | None = None,
        auth: dict[str, str] | None = None,
    ) -> Exchange | None:
        prober = self.prober
        prober.budget.check()
        headers = prober.auth_headers if auth is None else auth
        request = build_request(prober.base_url or "", target, case, headers, method)
        self.digest.update(request.method.encode() + b" " + request.url.encode() + b"\n")
        self.digest.update((request.body or b"") + b"\n")
        try:
            response = prober.client.send(request)
        except TransportError as exc:
            message = msg(
                "error.transport",
                kind=exc.kind,
                detail=prober.redactor.text(str(exc)),
                method=request.method,
                url=prober.redactor.text(request.url),
            )
            for entry in self.entries.values():
                if entry.check in TRANSPORT_CHECKS and len(entry.errors) < 5:
                    entry.errors.append(message)
            self.errors_in_a_row += 1
            if self.errors_in_a_row >= MAX_TRANSPORT_ERRORS_IN_A_ROW:
                raise BudgetExhausted(
                    msg(
                        "error.stopped_in_a_row",
                        target=self.op.target,
                        count=self.errors_in_a_row,
                        last=message,
                    )
                ) from None
            return None
        self.errors_in_a_row = 0
        prober.latency(self.op.target, response.elapsed_s)
        return Exchange(
            target,
            case,
            request,
            response,
            prober.schemas,
            error_envelope_uri=prober.error_envelope_uri,
        )

    def execute(
        self, case: RequestCase, probe: str | None = None, auth: dict[str, str] | None = None
    ) -> None:
        exchange = self.send(self.op, case, auth=auth)
        if exchange is None:
            return
        if probe is not None:
            exchange.probe = probe
            exchange.expected_status = 401
        elif case.mutation is not None:
            exchange.expected_status = 400
        for key in self.prober.record(exchange, self.checks, self.entries):
            # Timing depends on the machine's load, not on the request: shrinking a slow
            # response would only make the requests sent depend on the load too.
            timing = key.startswith(f"{TIMING_CHECK}|")
            if case.source == "generated" and key not in self.first_seen and not timing:
                self.first_seen[key] = case.mutation is None

    def explore(self, *, valid: bool) -> Message | None:
        """Hypothesis-generated requests; a message when generation itself failed."""
        op, prober = self.op, self.prober
        if prober.config.max_examples <= 0:
            return None
        try:
            if valid:
                strategy = case_strategy(op, prober.schemas)
            else:
                maybe = invalid_case_strategy(op, prober.schemas)
                if maybe is None:
                    return None
                strategy = maybe
        except Exception as exc:  # a standard the generator cannot serve
            return msg("error.cannot_generate", target=op.target, detail=str(exc))

        @settings(
            max_examples=prober.config.max_examples,
            database=None,
            deadline=None,
            derandomize=False,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
            report_multiple_bugs=False,
        )
        @hypothesis_seed(prober.task_seed(op.target + ("" if valid else "#invalid")))
        @given(strategy)
        def explore(case: RequestCase) -> None:
            self.execute(case)

        try:
            with seed_only_generation():
                explore()
        except BudgetExhausted:
            raise
        except Unsatisfiable as exc:
            if not valid:
                # every invalid value the generator drew reads as valid on the wire (an
                # unconstrained string): no invalid request exists to send
                return None
            return _generation_failed(op.target, exc)
        except Exception as exc:
            return _generation_failed(op.target, exc)
        return None

    def shrink(self) -> None:
        """Replace each failure's evidence by a minimal request that still shows it.

        Hypothesis searches (with a seed derived from the run's) for a request that
        reproduces the failure, then shrinks it; the request budget per failure is bounded.
        """
        op, prober = self.op, self.prober
        for key, valid in list(self.first_seen.items())[:MAX_SHRINK_PER_OPERATION]:
            strategy = (
                case_strategy(op, prober.schemas)
                if valid
                else invalid_case_strategy(op, prober.schemas)
            )
            if strategy is None:
                continue
            budget = [SHRINK_BUDGET]
            smallest: list[tuple[Exchange, Problem]] = []

            def reproduces(
                case: RequestCase,
                key: str = key,
                budget: list[int] = budget,
                smallest: list[tuple[Exchange, Problem]] = smallest,
            ) -> bool:
                if budget[0] <= 0:
                    return False
                budget[0] -= 1
                exchange = self.send(op, case)
                if exchange is None:
                    return False
                if case.mutation is not None:
                    exchange.expected_status = 400
                scratch = {k: Entry(e.clause, e.check) for k, e in self.entries.items()}
                for targets, problem in prober.problems(exchange, self.checks, scratch):
                    if failure_key(targets[0].check, op.target, problem) == key:
                        smallest[:] = [(exchange, problem)]
                        return True
                return False

            try:
                with seed_only_generation():
                    find(
                        strategy,
                        reproduces,
                        settings=settings(
                            max_examples=max(prober.config.max_examples, 10),
                            database=None,
                            deadline=None,
                            phases=[Phase.generate, Phase.shrink],
                            suppress_health_check=list(HealthCheck),
                        ),
                        random=random.Random(prober.task_seed(f"{op.target}#shrink#{key}")),  # noqa: S311
                    )
            except (NoSuchExample, Unsatisfiable):
                continue
            except BudgetExhausted:
                raise
            except Exception:  # noqa: S110 - a stateful candidate makes shrinking flaky: keep the best so far
                pass
            if not smallest:
                continue
            exchange, found = smallest[0]
            evidence = exchange.evidence(prober.redactor)
            evidence["shrunk"] = True
            for entry in self.entries.values():
                failure = entry.failures.get(key)
                if failure is not None:
                    failure.evidence = evidence
                    failure.message = prober.redactor.text(found.message)
                    failure.i18n = prober.collector.problem_i18n(found)

    def scenario(self, check_id: str, targets: list[Entry], example: RequestCase | None) -> None:
        """One declared scenario; one that raises is an error on its results."""
        func = SCENARIOS[check_id][0]
        last: list[Exchange] = []

        def tracked(target: Operation, case: RequestCase, method: str | None) -> Exchange | None:
            exchange = self.send(target, case, method)
            if exchange is not None:
                last[:] = [exchange]
            return exchange

        ctx = ScenarioContext(self.op, self.prober.operations, example, tracked)
        ctx.seed = self.prober.task_seed(f"{self.op.target}#scenario#{check_id}")
        ctx.max_examples = self.prober.config.max_examples
        ctx.base_url = self.prober.base_url or ""
        ctx.exports = self.prober.export_files()
        try:
            problems: Iterable[Problem] = list(func(ctx))
        except BudgetExhausted:
            raise
        except ScenarioBudgetExceeded as exc:
            for entry in targets:
                entry.errors.append(msg("error.scenario_stopped", limit=exc.limit))
            return
        except Exception as exc:  # a scenario that crashed: an error, never a pass
            message = msg(
                "error.scenario_raised",
                check=check_id,
                type=type(exc).__name__,
                detail=self.prober.redactor.text(str(exc)),
            )
            for entry in targets:
                entry.error(message, internal=True)
            return
        for entry in targets:
            entry.examined += 1
        evidence = last[0].evidence(self.prober.redactor) if last else {}
        if ctx.steps:  # a conversation: every step, one curl each, replayable from the seed
            evidence["steps"] = [step.evidence(self.prober.redactor)["curl"] for step in ctx.steps]
            evidence["seed"] = self.prober.config.seed
        for problem in problems:
            for entry in targets:
                self.prober.collector.add_failure(entry, self.op.target, problem, evidence)


def _generation_failed(target: str, exc: BaseException) -> Message:
    return msg("error.generation_failed", target=target, type=type(exc).__name__, detail=str(exc))
