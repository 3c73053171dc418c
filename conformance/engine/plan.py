"""The plan of a run: one task per operation and one per export, each with the results it owes.

A task's ``expected`` pairs are the (clause, check) pairs it serves: every check a clause
named on the operation (or its responses) or the export is verified by, scenarios included
where they apply.  Each pair gives exactly one result, so the plan says in advance which
results a complete run has; :mod:`conformance.engine.verdict` refuses a run that lacks any.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from conformance.checks import api_checks
from conformance.checks.scenarios import SCENARIOS
from conformance.engine.config import RunConfig
from conformance.exports import export_rules
from conformance.standards.model import ExportSpec, Standard
from conformance.standards.operations import Operation

__all__ = ["EXPORT_CHECKS", "Task", "plan"]

EXPORT_CHECKS = ("export_records", "export_encoding", "export_unique_keys")


@dataclass(frozen=True)
class Task:
    """One unit of work: probe one operation, or validate one export file."""

    kind: Literal["api", "export"]
    target: str  # "GET /licences", "export licences-jsonl"
    operation: Operation | None = None
    export: ExportSpec | None = None
    scenarios: tuple[str, ...] = ()  # scenario checks that apply to the operation
    expected: tuple[tuple[str, str], ...] = ()  # (clause, check): one result each

    @property
    def expected_ids(self) -> list[str]:
        """The ids of the results this task owes (``CheckResult.id``)."""
        return [f"{clause}::{check}::{self.target}" for clause, check in self.expected]


def _pairs(
    standard: Standard, clause_ids: Iterable[str], check_ids: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    pairs = []
    for clause_id in clause_ids:
        if clause_id not in standard.clause_ids:
            continue  # lint reports unknown clause ids
        clause = standard.clause(clause_id)
        pairs += [(clause_id, check) for check in check_ids if clause.verified_by(check)]
    return tuple(dict.fromkeys(pairs))


def api_task(standard: Standard, op: Operation, operations: list[Operation]) -> Task:
    scenarios = tuple(cid for cid, (_, applies) in SCENARIOS.items() if applies(op, operations))
    check_ids = [c.id for c in api_checks()] + list(scenarios)
    return Task(
        "api",
        op.target,
        operation=op,
        scenarios=scenarios,
        expected=_pairs(standard, op.all_clauses(), check_ids),
    )


def export_task(standard: Standard, spec: ExportSpec) -> Task:
    check_ids = [c for c in EXPORT_CHECKS if c != "export_unique_keys" or spec.key]
    rules = export_rules(standard).get(spec.name)
    check_ids += list(rules.checks) if rules is not None else []
    return Task(
        "export",
        f"export {spec.name}",
        export=spec,
        expected=_pairs(standard, spec.clauses, check_ids),
    )


def plan(config: RunConfig) -> list[Task]:
    """Every task of the run in order (operations, then exports), this shard's only."""
    operations = list(config.operations)
    tasks = [api_task(config.standard, op, operations) for op in operations]
    tasks += [export_task(config.standard, spec) for spec in config.standard.exports]
    if config.shard is not None:
        tasks = [task for number, task in enumerate(tasks) if config.shard.holds(number)]
    return tasks
