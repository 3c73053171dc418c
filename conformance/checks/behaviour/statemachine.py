"""Stateful testing: the declared state model (or the OpenAPI links) as a Hypothesis state machine.

``x-state-model`` on an operation declares a resource's life: the operation that creates it
(and where the new id is in its answer), the one that reads it, optionally the list that
shows it and the one that deletes it, where its state is, the initial state, the transition
operation (the parameter naming the resource, where the target state goes in the body, the
status a forbidden transition is refused with) and the allowed transitions. Without one, a
POST whose answer links (OpenAPI ``links``) to a GET of what it created gives a smaller model:
create and read back.

A :class:`~hypothesis.stateful.RuleBasedStateMachine` creates resources, reads them, moves
them through allowed and forbidden transitions, lists and deletes them, and after every step
compares what the candidate says with the model. A failure is shrunk by Hypothesis to the
shortest sequence of calls; the same seed replays it, and the report shows one curl per step.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from conformance.checks._registry import Problem, problem
from conformance.checks.behaviour._common import body_of, get, item_key
from conformance.checks.behaviour.paging import walk
from conformance.checks.scenarios import scenario
from conformance.engine._hypothesis import seed_only_generation
from conformance.engine.exchange import Exchange, RequestCase
from conformance.engine.openapi import Operation
from conformance.engine.scenario import ScenarioContext

if TYPE_CHECKING:  # Hypothesis is imported when a state machine runs, not with the checks:
    # the pytest door loads the checks before Hypothesis' own pytest plugin may import it.
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine

__all__ = ["model_of", "state_model"]

# Requests one state-machine scenario may send (every example, shrinking included).
STATE_BUDGET = 1500
STEPS = 8
MIN_EXAMPLES = 10
MAX_EXAMPLES = 40
LIST_PAGES = 10


def _links_model(op: Operation, operations: list[Operation]) -> dict[str, Any] | None:
    """create and read back, from a POST's link to a GET of what it created."""
    if op.method != "POST":
        return None
    for response in op.responses:
        for link in (response.links or {}).values():
            target = next(
                (o for o in operations if o.operation_id == link.get("operationId")), None
            )
            if target is None or target.method != "GET":
                continue
            for param, expression in (link.get("parameters") or {}).items():
                if isinstance(expression, str) and expression.startswith("$response.body#"):
                    return {
                        "create": {
                            "operationId": op.operation_id,
                            "id": expression.split("#", 1)[1],
                        },
                        "read": {"operationId": target.operation_id, "param": param},
                    }
    return None


def model_of(op: Operation, operations: list[Operation]) -> dict[str, Any] | None:
    """The state model this operation carries (declared, or from links where none is)."""
    declared = op.extensions.get("x-state-model")
    if isinstance(declared, dict):
        return declared
    if any(isinstance(o.extensions.get("x-state-model"), dict) for o in operations):
        return None  # declared elsewhere: the declaration wins
    return _links_model(op, operations)


def _applies(op: Operation, operations: list[Operation]) -> bool:
    return model_of(op, operations) is not None


class _OutOfBudget(BaseException):
    """The scenario's requests are spent: stop Hypothesis (shrinking included) at once.

    A BaseException so that Hypothesis does not take it for a failure to shrink."""


class _Found(AssertionError):
    """What a step found; Hypothesis shrinks the sequence that raises it."""

    def __init__(self, found: Problem) -> None:
        super().__init__(found.message)
        self.found = found


def _set(document: Any, pointer: str, value: Any) -> Any:
    """A copy of ``document`` with ``value`` at ``pointer`` (objects created on the way)."""
    import copy

    document = copy.deepcopy(document) if isinstance(document, dict) else {}
    node = document
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]
    for token in tokens[:-1]:
        node = node.setdefault(token, {})
    node[tokens[-1]] = value
    return document


class _Model:
    """The declaration, resolved against the operations."""

    def __init__(self, ctx: ScenarioContext, spec: dict[str, Any]) -> None:
        from conformance.engine.cases import example_case

        def op(part: str) -> Operation | None:
            entry = spec.get(part)
            if not isinstance(entry, dict):
                return None
            found = ctx.operation_by_id(str(entry.get("operationId", ctx.operation.operation_id)))
            return found

        self.spec = spec
        self.create = op("create")
        self.read = op("read")
        self.list = op("list")
        self.delete = op("delete")
        self.transition = op("transition")
        self.id_pointer = str(spec["create"]["id"])
        self.state = spec.get("state")
        self.initial = spec.get("initial")
        self.allowed: dict[str, list[str]] = {
            str(k): [str(s) for s in v] for k, v in (spec.get("transitions") or {}).items()
        }
        self.states = sorted(set(self.allowed) | {s for v in self.allowed.values() for s in v})
        create_example = example_case(self.create) if self.create else None
        self.create_body = create_example.body if create_example else None
        self.create_case = create_example or RequestCase(source="scenario")
        transition_example = example_case(self.transition) if self.transition else None
        self.transition_body = transition_example.body if transition_example else {}
        self.transition_spec = spec.get("transition") or {}
        self.refused = int(self.transition_spec.get("refused", 409))
        self.gone = int((spec.get("delete") or {}).get("gone", 404))

    def param(self, part: str) -> str:
        return str((self.spec.get(part) or {}).get("param", ""))


def _machine(
    ctx: ScenarioContext,
    model: _Model,
    runs: list[Any],
    found_log: list[tuple[Problem, list[Exchange]]],
) -> type[RuleBasedStateMachine]:
    """A state machine class over this candidate and model."""
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        Bundle,
        RuleBasedStateMachine,
        consumes,
        multiple,
        precondition,
        rule,
    )

    def fail(self: Any, found: Problem) -> NoReturn:
        found_log.append((found, list(self.steps)))
        raise _Found(found)

    def send(operation: Operation, case: RequestCase, steps: list[Exchange]) -> Exchange | None:
        if ctx.sent + 2 + LIST_PAGES > ctx.limit:
            raise _OutOfBudget
        exchange = ctx.send(case, operation)
        if exchange is not None:
            steps.append(exchange)
        return exchange

    resources = Bundle("resources")
    namespace: dict[str, Any] = {"resources": resources}

    def init(self: Any) -> None:
        RuleBasedStateMachine.__init__(self)
        self.states = {}
        self.steps = []
        runs.append(self)

    namespace["__init__"] = init

    def read_state(self: Any, rid: str) -> tuple[Exchange | None, Any]:
        assert model.read is not None
        case = RequestCase({model.param("read"): rid}, source="scenario")
        exchange = send(model.read, case, self.steps)
        return exchange, body_of(exchange)

    @rule(target=resources)
    def create(self: Any) -> Any:
        assert model.create is not None
        case = RequestCase(
            dict(model.create_case.path_params),
            dict(model.create_case.query),
            dict(model.create_case.headers),
            model.create_body,
            source="scenario",
        )
        exchange = send(model.create, case, self.steps)
        body = body_of(exchange)
        rid = get(body, model.id_pointer) if body is not None else None
        if not isinstance(rid, (str, int)) or isinstance(rid, bool):
            return multiple()
        state = get(body, model.state) if model.state else None
        if model.state and model.initial is not None and state != model.initial:
            fail(
                self,
                problem(
                    "problem.state_mismatch",
                    cause="state-mismatch:create",
                    step="create",
                    expected=repr(model.initial),
                    actual=repr(state),
                ),
            )
        self.states[rid] = model.initial
        return rid

    namespace["create"] = create

    @rule(rid=resources)
    def read(self: Any, rid: Any) -> None:
        exchange, body = read_state(self, rid)
        if exchange is None:
            return
        if not 200 <= exchange.response.status < 300:
            fail(
                self,
                problem(
                    "problem.created_unreadable",
                    cause=f"unreadable:{exchange.response.status}",
                    id=repr(rid),
                    status=exchange.response.status,
                ),
            )
        if model.state:
            actual = get(body, model.state)
            if actual != self.states.get(rid):
                fail(
                    self,
                    problem(
                        "problem.state_mismatch",
                        cause="state-mismatch:read",
                        step="read",
                        expected=repr(self.states.get(rid)),
                        actual=repr(actual),
                    ),
                )

    if model.read is not None:
        namespace["read"] = read

    def transition_case(rid: Any, target: str) -> RequestCase:
        pointer = str(model.transition_spec.get("target", "/to"))
        body = _set(model.transition_body, pointer, target)
        return RequestCase({model.param("transition"): rid}, body=body, source="scenario")

    @rule(rid=resources, data=st.data())
    def allowed(self: Any, rid: Any, data: st.DataObject) -> None:
        assert model.transition is not None
        targets = model.allowed.get(str(self.states.get(rid)), [])
        if not targets:
            return
        target = data.draw(st.sampled_from(targets), label="to")
        current = self.states.get(rid)
        exchange = send(model.transition, transition_case(rid, target), self.steps)
        if exchange is None:
            return
        if not 200 <= exchange.response.status < 300:
            fail(
                self,
                problem(
                    "problem.allowed_transition_refused",
                    cause=f"allowed-refused:{exchange.response.status}",
                    source=repr(current),
                    target=repr(target),
                    status=exchange.response.status,
                ),
            )
        self.states[rid] = target
        if model.state:
            actual = get(body_of(exchange), model.state)
            if actual != target:
                fail(
                    self,
                    problem(
                        "problem.state_mismatch",
                        cause="state-mismatch:transition",
                        step="transition",
                        expected=repr(target),
                        actual=repr(actual),
                    ),
                )

    @rule(rid=resources, data=st.data())
    def forbidden(self: Any, rid: Any, data: st.DataObject) -> None:
        assert model.transition is not None
        current = self.states.get(rid)
        targets = [s for s in model.states if s not in model.allowed.get(str(current), [])]
        if not targets:
            return
        target = data.draw(st.sampled_from(targets), label="to")
        exchange = send(model.transition, transition_case(rid, target), self.steps)
        if exchange is None:
            return
        if exchange.response.status != model.refused:
            fail(
                self,
                problem(
                    "problem.forbidden_transition_accepted",
                    cause=f"forbidden-accepted:{exchange.response.status}",
                    source=repr(current),
                    target=repr(target),
                    status=exchange.response.status,
                    expected=model.refused,
                ),
            )
        if model.read is not None and model.state:
            after, body = read_state(self, rid)
            if after is not None and 200 <= after.response.status < 300:
                actual = get(body, model.state)
                if actual != current:
                    fail(
                        self,
                        problem(
                            "problem.state_changed_by_refusal",
                            cause="refused-but-changed",
                            source=repr(current),
                            target=repr(target),
                            actual=repr(actual),
                        ),
                    )

    if model.transition is not None and model.allowed:
        namespace["allowed"] = allowed
        namespace["forbidden"] = forbidden

    def listed_ids(self: Any) -> set[str] | None:
        """Every id the list shows, or None when the page budget ends first."""
        assert model.list is not None
        spec = model.list.extensions.get("x-pagination")
        if not isinstance(spec, dict):
            return None
        size = int(spec.get("max_size", 20))
        if ctx.sent + LIST_PAGES + 2 > ctx.limit:
            raise _OutOfBudget
        result = walk(ctx, model.list, spec, size, RequestCase(source="scenario"), LIST_PAGES)
        if not result.complete:
            return None
        if result.pages:
            self.steps.append(result.pages[-1].exchange)
        return {item_key(get(item, model.id_pointer)) for item in result.items}

    @rule(rid=resources)
    def listed(self: Any, rid: Any) -> None:
        ids = listed_ids(self)
        if ids is not None and item_key(rid) not in ids:
            fail(self, problem("problem.created_not_listed", cause="not-listed", id=repr(rid)))

    if model.list is not None:
        namespace["listed"] = listed

    @precondition(lambda self: bool(self.states))
    @rule(rid=consumes(resources))
    def delete(self: Any, rid: Any) -> None:
        assert model.delete is not None
        exchange = send(
            model.delete, RequestCase({model.param("delete"): rid}, source="scenario"), self.steps
        )
        if exchange is None or not 200 <= exchange.response.status < 300:
            return
        self.states.pop(rid, None)
        if model.read is not None:
            after, _ = read_state(self, rid)
            if after is not None and after.response.status != model.gone:
                fail(
                    self,
                    problem(
                        "problem.deleted_still_readable",
                        cause=f"deleted-readable:{after.response.status}",
                        id=repr(rid),
                        status=after.response.status,
                        expected=model.gone,
                    ),
                )
        if model.list is not None:
            ids = listed_ids(self)
            if ids is not None and item_key(rid) in ids:
                fail(
                    self,
                    problem("problem.deleted_still_listed", cause="deleted-listed", id=repr(rid)),
                )

    if model.delete is not None:
        namespace["delete"] = delete

    return type("StateModel", (RuleBasedStateMachine,), namespace)


@scenario("state_model", "Declared state model holds", _applies)
def state_model(ctx: ScenarioContext) -> Iterator[Problem]:
    """Created resources are readable and listed; allowed moves work, forbidden ones are refused
    and change nothing; deleted ones are gone (a Hypothesis state machine, shrunk, replayable)."""
    from hypothesis import HealthCheck, Phase, Verbosity, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.stateful import get_state_machine_test

    spec = model_of(ctx.operation, ctx.operations)
    if spec is None:
        return
    model = _Model(ctx, spec)
    if model.create is None:
        return
    ctx.limit = STATE_BUDGET
    runs: list[Any] = []
    found_log: list[tuple[Problem, list[Exchange]]] = []
    machine = _machine(ctx, model, runs, found_log)
    test = get_state_machine_test(
        machine,
        settings=settings(
            max_examples=max(MIN_EXAMPLES, min(ctx.max_examples, MAX_EXAMPLES)),
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            print_blob=False,
            verbosity=Verbosity.quiet,
        ),
    )
    try:
        with seed_only_generation():
            hypothesis_seed(ctx.seed)(test)()
    except _Found as exc:  # shrunk: the final replay is the last machine
        ctx.steps[:] = runs[-1].steps if runs else []
        yield exc.found
        return
    except _OutOfBudget:
        pass  # what was found so far (the shortest), if anything
    except Exception:  # Flaky (a stateful candidate): what was found so far
        if not found_log:
            raise
    if found_log:
        shortest, steps = min(found_log, key=lambda entry: len(entry[1]))
        ctx.steps[:] = steps
        yield shortest
