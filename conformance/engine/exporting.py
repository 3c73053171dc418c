"""Export running: validate the candidate's export file of one task, and what it means.

The file is streamed by :func:`conformance.exports.validate_export` (with ``--jobs N``,
every claimed file first side by side in worker processes, once); the standard's
cross-export rules are applied with the other files and the API's total; then each issue
becomes a failure (deduplicated per cause: check, kind, the field without its record index
and the broken constraint, with exact counts and capped examples)
or, when reading stopped early, an error on what could not be checked.

An exception from validation is never lost: one raised here is an error result on every
check of the export (:class:`conformance.engine.run.Run` makes it so); one from the worker
processes that validate the files side by side (``--jobs N``) is an error result on every
check of every export of that batch, naming it (none of them was verified).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.engine.binding import Router, export_rule_of, export_rules_for
from conformance.engine.budget import Budget, BudgetExhausted
from conformance.engine.collect import Collector, redact_message
from conformance.engine.config import RunConfig
from conformance.engine.exchange import Redactor
from conformance.engine.plan import Task
from conformance.exports import (
    DeadlinePassed,
    ExportReport,
    Selection,
    Severity,
    apply_rules,
    export_rules,
    open_regular,
    validate_export,
    validate_many,
)
from conformance.i18n import msg
from conformance.results import CheckResult, Failure
from conformance.validation import keyword_location

__all__ = ["ExportFile", "ExportRunner"]

# Reading stopped, or the rule could not be judged: an error on the check, not a failure.
FATAL_KINDS = frozenset(
    {"unreadable", "missing-file", "not-a-file", "total-unavailable", "count-unknown"}
    # sealed (issue 15 item 5): the run's pattern budget spent is the suite's bound, an error
    | {"pattern-timeout"}
)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportFile:
    """What results.json records of one export file the run read."""

    path: str
    sha256: str | None
    records: int
    format: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "records": self.records,
            "format": self.format,
        }


class ExportRunner:
    """Validates the claimed export files, one task at a time."""

    def __init__(
        self,
        config: RunConfig,
        collector: Collector,
        redactor: Redactor,
        api_total: Callable[[Any], int | str],
        progress: Callable[[str], Progress] | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.config = config
        self.budget = budget or Budget(None)  # waits: --max-duration bounds reading too
        self.standard = config.standard
        self.claim = config.claim
        self.collector = collector
        self.redactor = redactor
        self.api_total = api_total  # the API's answer for a total_from rule
        self.progress = progress  # a progress callback per task target
        self.rules = export_rules(config.standard)
        self.router = Router(config.standard, config.schemas)
        self.files: dict[str, ExportFile] = {}  # by export name, as read
        self._ahead: dict[str, ExportReport] = {}  # validated side by side (--jobs)
        self._ahead_done = False
        self._ahead_names: set[str] = set()  # the exports of that batch
        self.ahead_failure: str | None = None  # why side-by-side validation raised
        self._ahead_out_of_time = False  # the run's budget ended during it
        # --exact-only: no acceptor is offered records (exports/_paths.py); None: the default
        self._paths = Selection(frozenset(), "--exact-only") if config.exact_only else None

    def run(self, task: Task) -> list[CheckResult]:
        spec = task.export
        assert spec is not None
        target = task.target
        entries = self.collector.entries(task.expected)
        if not self.collector.active(entries):
            return self.collector.results(target, entries)
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
                    i18n={
                        "title": msg("export.not_provided.title"),
                        "message": msg(
                            "export.not_provided",
                            export=repr(spec.name),
                            standard=self.standard.ref,
                        ),
                    },
                )
            return self.collector.results(target, entries)
        if self.config.jobs > 1 and not self._ahead_done:
            self._validate_ahead()
        if self._ahead_out_of_time and spec.name in self._ahead_names:
            return self._out_of_time(target, entries)
        if self.ahead_failure is not None and spec.name in self._ahead_names:
            message = msg(
                "error.side_by_side_raised",
                jobs=self.config.jobs,
                detail=self.redactor.text(self.ahead_failure),
            )
            for entry in entries.values():
                entry.error(message, internal=True)
            return self.collector.results(target, entries)
        report = self._ahead.pop(spec.name, None)
        if report is None:
            try:
                # waits (issue 15 item 3): the budget is checked as the file is read (at
                # every progress tick); what was not read is not verified, an error
                self.budget.check()
                report = validate_export(
                    spec,
                    path,
                    max_per_type=self.config.max_errors_per_type,
                    progress=self._guarded(target),
                    jobs=self.config.jobs,
                    deadline=self.budget.deadline,  # --jobs N: the workers' results too
                    paths=self._paths,
                )
            except (BudgetExhausted, DeadlinePassed):
                return self._out_of_time(target, entries)
        rules = self.rules.get(spec.name)
        if rules is not None:
            files = {
                e.name: (e, self.claim.exports[e.name])
                for e in self.standard.exports
                if e.name in self.claim.exports
            }
            cap = self.config.max_errors_per_type
            apply_rules(spec, report, rules, files, self.api_total, cap)
        self.files[spec.name] = ExportFile(
            str(path), file_sha256(path, self.budget), report.records, spec.format
        )
        clause_ids = {
            check: [e.clause for e in entries.values() if e.check == check]
            for check in {e.check for e in entries.values()}
        }
        seen = {
            "schemas": [] if spec.format == "xml" else [spec.schema_path.resolve().as_uri()],
            "formats": set(spec.field_formats.values()),
            "export_rules": export_rules_for(spec.format, report.rules),
        }
        for entry in entries.values():
            exercised = self.router.exercised(entry.clause, {**seen, "check": entry.check})
            entry.examined = report.records if exercised else 0
            for issue in report.issues_for(entry.check):
                rule = export_rule_of(issue.kind, issue.severity.value)
                bound = rule is not None and any(
                    self.router.binds_rule(c, rule) for c in clause_ids[entry.check]
                )
                # a rule a clause binds fails at that clause's level, whatever the
                # reader's own severity; an unbound warning stays in the evidence
                if issue.severity is not Severity.ERROR and not bound:
                    continue
                context = self._context(spec, entry.check, issue, rule)
                if entry.clause not in self.router.route(clause_ids[entry.check], context):
                    continue  # a more specific clause of this export takes it
                if issue.kind in FATAL_KINDS:
                    at = msg("export.at", location=issue.location(), issue=issue.msg())
                    entry.errors.append(redact_message(at, self.redactor))
                    continue
                # one failure per cause: kind, field (no record index) and constraint
                key = "|".join((entry.check, target, issue.kind, *issue.cause))
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
                        i18n={
                            "title": msg(
                                "export.title",
                                name=msg(f"{issue.msg().id}.title"),
                                kind=issue.kind,
                            ),
                            "message": redact_message(
                                msg("export.at", location=issue.location(), issue=issue.msg()),
                                self.redactor,
                            ),
                        },
                    )
                    failure.count = max(1, report.cause_counts[issue.cause_key()])
                examples = failure.evidence["examples"]
                examples.append(issue_dict(issue, self.redactor))
            if entry.examined == 0 and not entry.errors and not entry.failures and exercised:
                entry.examined = 1  # an empty but readable file was examined
            stopped = not report.complete and not report.counts[("export_records", "empty-file")]
            if stopped and not entry.failures:
                # What was not read was not checked: never a pass, for export_records too
                # (its clause that names why fails; the others verified nothing).
                entry.errors.append(
                    msg("error.export_not_verified", file=path.name, records=report.records)
                )
        evidence = {
            "file": str(path),
            "records": report.records,
            "validation_path": report.validation_path,  # which fast paths, or exact and why
            "counts": {f"{c}:{k}": n for (c, k), n in sorted(report.counts.items())},
            "capped": sorted(f"{c}:{k}" for c, k in report.capped),
            "warnings": [
                issue_dict(i, self.redactor)
                for i in report.issues
                if i.severity is not Severity.ERROR
            ][:20],
        }
        return self.collector.results(target, entries, evidence)

    def _out_of_time(self, target: str, entries: Any) -> list[CheckResult]:
        """The run's budget ended before the file was read to its end: errors, not passes."""
        exhausted = BudgetExhausted(
            msg("error.run_budget", seconds=f"{self.budget.max_duration_s or 0:g}")
        )
        for entry in entries.values():
            entry.error(exhausted.msg)
        return self.collector.results(target, entries)

    def _guarded(self, target: str) -> Progress:
        """The task's progress callback, which first stops the reading once the budget is spent."""
        shown = self.progress(target) if self.progress else None

        def progress(done: int, total: int) -> None:
            self.budget.check()
            if shown is not None:
                shown(done, total)

        return progress

    def _context(self, spec: Any, check: str, issue: Any, rule: str | None) -> dict[str, Any]:
        """What an export issue is about, for binding it to the most specific clause."""
        context: dict[str, Any] = {"check": check}
        if rule is not None:
            context["export_rule"] = rule
        kind, _, fmt = issue.kind.partition(":")
        if kind == "format" and fmt:
            context["format"] = fmt
        if issue.schema_path and spec.format != "xml":
            tokens = [
                t.replace("~1", "/").replace("~0", "~") for t in issue.schema_path.split("/")[1:]
            ]
            root = spec.schema_path.resolve().as_uri()
            location = keyword_location(self.config.schemas, root, tokens, wrapped=False)
            if location is not None:
                context["schema"] = location
        return context

    def _validate_ahead(self) -> None:
        """--jobs N: validate every export file of the claim side by side, once.

        When that raises (a reader's exception, a worker that died or whose exception could
        not travel back), nothing is taken from it: :attr:`ahead_failure` says why, and
        every export of the batch is an error.
        """
        self._ahead_done = True
        names = [e.name for e in self.standard.exports if e.name in self.claim.exports]
        items = [(self.standard.export(n), Path(self.claim.exports[n])) for n in names]
        if len(items) < 2:
            return
        self._ahead_names = set(names)
        try:
            reports = validate_many(
                items,
                max_per_type=self.config.max_errors_per_type,
                jobs=self.config.jobs,
                deadline=self.budget.deadline,
                paths=self._paths,
            )
        except DeadlinePassed:
            self._ahead_out_of_time = True
            return
        except Exception as exc:
            self.ahead_failure = self.redactor.text(f"{type(exc).__name__}: {exc}")
            return
        self._ahead.update(zip(names, reports, strict=True))


def issue_dict(issue: Any, redactor: Redactor) -> dict[str, Any]:
    data = {
        "kind": issue.kind,
        "severity": issue.severity.value,
        "location": issue.location(),
        "message": redactor.text(issue.message),
        "i18n": {"message": redact_message(issue.msg(), redactor).as_dict()},
    }
    for name in ("line", "row", "xpath", "byte_offset", "pointer", "schema_path", "value"):
        value = getattr(issue, name, None)
        if value not in (None, ""):
            data[name] = redactor.text(value) if isinstance(value, str) else value
    return data


def file_sha256(path: Path, budget: Budget | None = None) -> str | None:
    """The file's digest; None when it cannot be read, is not a regular file (a FIFO would
    block the run, ``/dev/zero`` never ends: neither is ever opened), or the run's budget
    ends first."""
    try:
        digest = hashlib.sha256()
        with open_regular(Path(path)) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                if budget is not None and budget.remaining() == 0.0:
                    return None
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None
