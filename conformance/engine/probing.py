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
import threading
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
from conformance.checks import problem as make_problem
from conformance.checks.scenarios import SCENARIOS
from conformance.engine._hypothesis import seed_only_generation
from conformance.engine.binding import Router, parameter_of
from conformance.engine.budget import Budget, BudgetExhausted
from conformance.engine.cases import (
    NEGOTIATION_CHECKS,
    body_cases,
    boundary_cases,
    case_strategy,
    example_case,
    header_sendable,
    invalid_case_strategy,
    negotiation_cases,
)
from conformance.engine.collect import Collector, Entries, Entry, failure_key, redact_message
from conformance.engine.config import RunConfig
from conformance.engine.exchange import (
    Exchange,
    Redactor,
    RequestCase,
    build_request,
    request_evidence,
)
from conformance.engine.http import Client, HttpRequest, TransportError, probe
from conformance.engine.media import best_match
from conformance.engine.plan import Task
from conformance.engine.scenario import ScenarioBudgetExceeded, ScenarioContext
from conformance.errors import ConformanceError, StandardError
from conformance.i18n import Message, en, msg
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
INVALID_CHECK = "invalid_input_rejected"
# Values harvested from the candidate's answers, per collection and member name (bounded).
MAX_HARVESTED = 20
# Valid requests drawn (from the task's seed) to pick the body the body probes break.
BODY_SAMPLES = 12

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
        self.router = Router(config.standard, config.schemas)
        self.operations = list(config.operations)
        self.base_url = config.target_url
        self.client = Client(config.limits, budget.remaining)  # waits: within --max-duration
        self.auth_headers = auth_headers
        self.error_envelope_uri: str | None = None
        if config.standard.openapi_path is not None:
            self.error_envelope_uri = error_envelope_uri(self.schemas, config.standard.openapi_path)
        self.unreachable: str | None = None
        self.request_digests: dict[str, str] = {}  # per operation: sha256 of what was sent
        self.latencies_ms: dict[str, list[float]] = {}  # per operation, bounded
        # Ids the candidate's list and create answers named: collection path -> member
        # name -> values. Read across tasks only when tasks run one after another, so the
        # same seed sends the same requests.
        self.harvested: dict[str, dict[str, list[Any]]] = {}
        self._harvest_lock = threading.Lock()
        # Operations stopped after MAX_TRANSPORT_ERRORS_IN_A_ROW: nothing more is sent to
        # them in this run (an export's total would otherwise replay the example, a 4th).
        self.stopped: dict[str, str] = {}

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

        Each finding goes to the most specific clause bound to it (engine/binding); an
        entry counts the exchange as examined only when its clause's bindings could be
        checked there and the check could verify its assertion (else the reason is kept).
        A check that raises is an error on its entries (naming the check and the
        exception), never a pass; the other checks still read the exchange.
        """
        op = exchange.operation
        spec = op.response_for(exchange.response.status)
        clause_ids = list(op.clauses) + list(spec.clauses if spec else ())
        if exchange.expected_status is not None:
            # a probe or an invalid request also serves the clauses of the response it
            # should have got, so a wrong answer is reported against them
            expected = op.response_for(exchange.expected_status)
            clause_ids += [c for c in (expected.clauses if expected else ()) if c not in clause_ids]
        parameter = parameter_of(exchange.case.mutation_kind)
        context: dict[str, Any] = {
            "operation": op.operation_id,
            "status": str(exchange.response.status),
        }
        if parameter is not None:
            context["parameter"] = parameter
        found: list[tuple[list[Entry], Problem]] = []
        for check in checks:
            if check.applies is not None and not check.applies(exchange):
                continue
            targets = [entries[(c, check.id)] for c in clause_ids if (c, check.id) in entries]
            if not targets:
                continue
            assert check.func is not None
            try:
                problems = list(check.func(exchange))
            except StandardError as exc:  # the standard's fault (a runaway pattern): an error
                for entry in targets:
                    entry.error(msg("error.standard", detail=str(exc)))
                continue
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
                continue
            unverified = [p for p in problems if p.unverified]
            seen = {**context, "check": check.id, **self._seen(check.id, exchange)}
            for entry in targets:
                if unverified:
                    reason = unverified[0].msg or msg("text", text=unverified[0].message)
                    entry.not_verified(redact_message(reason, self.redactor))
                elif self.router.exercised(entry.clause, seen):
                    entry.examined += 1
            for found_problem in problems:
                if found_problem.unverified:
                    continue
                deferred = found_problem.defer_to
                if deferred is not None and any((c, deferred) in entries for c in clause_ids):
                    continue  # the same defect, blamed on that check's clause
                where = {**context, "check": check.id, **dict(found_problem.binding)}
                chosen = set(self.router.route([e.clause for e in targets], where))
                found.append(([e for e in targets if e.clause in chosen], found_problem))
        return found

    def _seen(self, check_id: str, exchange: Exchange) -> dict[str, Any]:
        """What an exchange let ``check_id`` verify: the schemas its body was validated
        against and the parameters sent (engine/binding decides what a clause needs)."""
        case = exchange.case
        sent = {*case.path_params, *case.query, *case.headers, *case.cookies}
        if isinstance(case.body, dict):
            sent |= set(case.body)
        roots: list[str] = []
        spec = exchange.operation.response_for(exchange.response.status)
        actual = exchange.response.media_type
        if check_id == "response_schema" and spec is not None and actual is not None:
            key = best_match(actual, spec.content)
            if key is not None and spec.content[key] is not None:
                roots.append(str(spec.content[key]))
        if check_id == "error_envelope" and exchange.error_envelope_uri is not None:
            roots.append(exchange.error_envelope_uri)
        return {"parameters": sent, "schemas": roots}

    def record(self, exchange: Exchange, checks: list[Check], entries: Entries) -> list[str]:
        """Record what the checks find; return the failure keys seen."""
        evidence: dict[str, Any] | None = None
        keys = []
        for targets, problem in self.problems(exchange, checks, entries):
            if evidence is None:
                evidence = exchange.evidence(self.redactor)
            for entry in targets:
                key = self.collector.add_failure(
                    entry, exchange.operation.target, problem, evidence
                )
                if not problem.advisory:  # an advisory is not shrunk: it decides nothing
                    keys.append(key)
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
        if op.target in self.stopped:
            return self.stopped[op.target]
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
        self.stop: Message | None = None  # why this operation stopped, once it has
        self.first_seen: dict[str, bool] = {}  # failure key -> found by a valid (True) request
        self.known: dict[str, list[Any]] = {}  # path parameter -> values of existing records
        self.harvested: dict[str, dict[str, list[Any]]] = {}  # this task's own

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
            self.known = self.existing_values()
            # body probes once per operation, from the example and from a body drawn from
            # the seed: caught on every seed, with or without a documented example
            bases = [c for c in (example, self.sample_valid()) if c is not None]
            for case in body_cases(op, prober.schemas, bases):
                self.execute(case)
            for failed in (self.explore(valid=True), self.explore(valid=False)):
                if failed:
                    for entry in self.entries.values():
                        entry.errors.append(failed)  # every entry: generation failed for all
            if self.first_seen:
                self.shrink()
            for check_id in self.task.scenarios:
                targets = [e for e in self.entries.values() if e.check == check_id]
                if targets:
                    self.scenario(check_id, targets, example)
        except BudgetExhausted as exc:
            for entry in self.entries.values():
                if entry.check == TIMING_CHECK and entry.failures:
                    continue  # a request over the time bound fails it: that stands
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
        if self.stop is not None:
            # stopped: nothing more is sent, not even the failing example Hypothesis
            # replays after the stop (it made a 4th request of "3 in a row")
            raise BudgetExhausted(self.stop)
        headers = prober.auth_headers if auth is None else auth
        request = build_request(prober.base_url or "", target, case, headers, method)
        given = {name.lower() for name in headers}  # the profile's credentials, sent as given
        drawn = (v for k, v in request.headers.items() if k.lower() not in given)
        if not all(header_sendable(v) or v == "" for v in drawn):
            # the HTTP client refuses such a value: the suite's limit, never the candidate's
            # fault, so nothing is sent and nothing is recorded against it
            return None
        self.digest.update(request.method.encode() + b" " + request.url.encode() + b"\n")
        self.digest.update((request.body or b"") + b"\n")
        try:
            response = prober.client.send(request)
        except TransportError as exc:
            if exc.kind == "timeout":
                self.over_time_bound(target, case, request)
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
                stop = msg(
                    "error.stopped_in_a_row",
                    target=self.op.target,
                    count=self.errors_in_a_row,
                    last=message,
                )
                prober.stopped[self.op.target] = en(stop)
                self.stop = stop
                raise BudgetExhausted(stop) from None
            return None
        self.errors_in_a_row = 0
        prober.latency(self.op.target, response.elapsed_s)
        exchange = Exchange(
            target,
            case,
            request,
            response,
            prober.schemas,
            error_envelope_uri=prober.error_envelope_uri,
        )
        self.harvest(exchange)
        return exchange

    def over_time_bound(self, target: Operation, case: RequestCase, request: HttpRequest) -> None:
        """A request that got no answer within the request timeout, on an operation whose
        time bound (``x-response-time-ms``) is shorter: the bound is exceeded, a failure
        of its clause (every seed sends the example), not only an error elsewhere."""
        bound = target.extensions.get("x-response-time-ms")
        if target is not self.op or isinstance(bound, bool) or not isinstance(bound, (int, float)):
            return
        timeout_ms = self.prober.config.limits.timeout_s * 1000
        if timeout_ms <= bound:
            return  # the client gave up before the bound passed: nothing is known
        timing = [e for e in self.entries.values() if e.check == TIMING_CHECK]
        own = [e for e in timing if e.clause in target.clauses] or timing
        if not own:
            return
        found = make_problem(
            "problem.slow_timeout",
            cause="over-budget:timeout",
            budget=f"{bound:.0f}",
            timeout=f"{timeout_ms:.0f}",
        )
        evidence = request_evidence(case, request, self.prober.redactor)
        for entry in own:
            entry.examined += 1
            self.prober.collector.add_failure(entry, target.target, found, evidence)

    # -- records that exist --------------------------------------------------------

    def harvest(self, exchange: Exchange) -> None:
        """Keep the members of a 2xx JSON answer (a list's items, a created record) and
        the last segment of its Location, as values that name records that exist."""
        if not 200 <= exchange.response.status < 300:
            return
        path = exchange.operation.path
        if path.endswith("}"):
            path = path.rsplit("/", 1)[0]  # one record's answer names its collection's ids
        found: dict[str, list[Any]] = {}
        location = exchange.response.headers.get("Location")
        if location:
            found["\0location"] = [location.rstrip("/").rsplit("/", 1)[-1].split("?")[0]]
        try:
            body = exchange.json() if exchange.response.body else None
        except ValueError:
            body = None
        records = body if isinstance(body, list) else [body]
        if isinstance(body, dict):
            records += [i for v in body.values() if isinstance(v, list) for i in v]
        for record in records[:100]:
            if isinstance(record, dict):
                for key, value in record.items():
                    if isinstance(value, (str, int)) and not isinstance(value, bool):
                        found.setdefault(str(key), []).append(value)
        if not found:
            return
        stores = [self.harvested]
        if self.prober.config.workers <= 1:
            stores.append(self.prober.harvested)
        with self.prober._harvest_lock:
            for store in stores:
                members = store.setdefault(path, {})
                for key, values in found.items():
                    kept = members.setdefault(key, [])
                    for value in values:
                        if value not in kept and len(kept) < MAX_HARVESTED:
                            kept.append(value)

    def existing_values(self) -> dict[str, list[Any]]:
        """For each path parameter, values harvested from its collection's answers (the
        member of its name, else ``id``, else one its name ends with; a Location's last
        segment) that are valid for it."""
        prober = self.prober
        store = prober.harvested if prober.config.workers <= 1 else self.harvested
        known: dict[str, list[Any]] = {}
        segments = self.op.path.split("/")
        with prober._harvest_lock:
            for index, segment in enumerate(segments):
                if not (segment.startswith("{") and segment.endswith("}")):
                    continue
                name = segment[1:-1]
                parameter = next(
                    (p for p in self.op.parameters if p.location == "path" and p.name == name),
                    None,
                )
                members = store.get("/".join(segments[:index]), {})
                if parameter is None or parameter.schema_uri is None or not members:
                    continue
                keys = [name, "id"] + [
                    k for k in members if len(k) > 1 and name.lower().endswith(k.lower())
                ]
                values = [v for k in dict.fromkeys(keys) for v in members.get(k, [])]
                values += members.get("\0location", [])
                validator = prober.schemas.validator_for(parameter.schema_uri)
                valid = [v for v in dict.fromkeys(values) if validator.is_valid(v)]
                if valid:
                    known[name] = valid[:MAX_HARVESTED]
        return known

    def sample_valid(self) -> RequestCase | None:
        """A valid request with a body, drawn from the task's seed: of a few draws, one that
        names records that exist, with the largest body (optional members and nested
        objects are there to break)."""
        op, prober = self.op, self.prober
        if op.body is None or op.body.schema_uri is None:
            return None
        drawn: list[RequestCase] = []
        try:
            strategy = case_strategy(op, prober.schemas, self.known)
        except Exception:
            return None

        @settings(
            max_examples=BODY_SAMPLES,
            database=None,
            deadline=None,
            derandomize=False,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @hypothesis_seed(prober.task_seed(op.target + "#body"))
        @given(strategy)
        def draw(case: RequestCase) -> None:
            if case.has_body:
                drawn.append(case)

        try:
            with seed_only_generation():
                draw()
        except Exception:
            return None
        if not drawn:
            return None
        known = self.known

        def rank(case: RequestCase) -> tuple[int, int]:
            # a record that exists first (a probe on a missing one may only get 404), then
            # the largest body
            existing = sum(1 for k, v in case.path_params.items() if v in known.get(k, ()))
            return existing, len(json.dumps(case.body, sort_keys=True, default=str))

        return max(drawn, key=rank)

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
                strategy = case_strategy(op, prober.schemas, self.known)
            else:
                maybe = invalid_case_strategy(op, prober.schemas, self.known)
                if maybe is None:
                    self.no_invalid_request()
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
                self.no_invalid_request()
                return None
            return _generation_failed(op.target, exc)
        except Exception as exc:
            return _generation_failed(op.target, exc)
        return None

    def no_invalid_request(self) -> None:
        """No request breaking one constraint exists (every parameter takes any text):
        the invalid-input check skips with that reason, unless a probe reached it."""
        for entry in self.entries.values():
            if entry.check == INVALID_CHECK:
                entry.not_exercised = msg("result.no_invalid_request", target=self.op.target)

    def shrink(self) -> None:
        """Replace each failure's evidence by a minimal request that still shows it.

        Hypothesis searches (with a seed derived from the run's) for a request that
        reproduces the failure, then shrinks it; the request budget per failure is bounded.
        """
        op, prober = self.op, self.prober
        for key, valid in list(self.first_seen.items())[:MAX_SHRINK_PER_OPERATION]:
            strategy = (
                case_strategy(op, prober.schemas, self.known)
                if valid
                else invalid_case_strategy(op, prober.schemas, self.known)
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
        context = {"check": check_id, "operation": self.op.operation_id}
        for problem in problems:
            where = {**context, **dict(problem.binding)}
            chosen = set(self.prober.router.route([e.clause for e in targets], where))
            for entry in targets:
                if entry.clause in chosen:
                    self.prober.collector.add_failure(entry, self.op.target, problem, evidence)


def _generation_failed(target: str, exc: BaseException) -> Message:
    return msg("error.generation_failed", target=target, type=type(exc).__name__, detail=str(exc))
