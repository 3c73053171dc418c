"""Cross-record rules a standard declares on an export, beyond one file's records.

- ``references: [{field, export, key}]``: every value of ``field`` in this export exists as
  the ``key`` of a record of the other export (check ``export_references``);
- ``records: {min, max}``: the number of records (check ``export_record_count``);
- ``total_from: {operation, pointer}``: the number of records equals the integer the API
  answers at ``pointer`` (check ``export_record_count``; the engine calls the operation).

The rules are read from the manifest (``standard.yaml``) here, so the standards model stays
as it is; lint checks them with :func:`lint_rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.exports._keys import key_token
from conformance.exports._model import ExportReport, Sink, clip
from conformance.standards._documents import Document, load_document
from conformance.standards.model import ExportSpec, Standard

REFERENCES = "export_references"
RECORD_COUNT = "export_record_count"
RULE_CHECKS = (REFERENCES, RECORD_COUNT)
MAX_REFERENCE_KEYS = 5_000_000  # distinct keys held for a reference check


@dataclass(frozen=True)
class Reference:
    field: str
    export: str
    key: str


@dataclass(frozen=True)
class TotalFrom:
    operation: str
    pointer: str


@dataclass(frozen=True)
class ExportRules:
    references: tuple[Reference, ...] = ()
    min_records: int | None = None
    max_records: int | None = None
    total_from: TotalFrom | None = None

    @property
    def checks(self) -> tuple[str, ...]:
        found = []
        if self.references:
            found.append(REFERENCES)
        if self.min_records is not None or self.max_records is not None or self.total_from:
            found.append(RECORD_COUNT)
        return tuple(found)


def _manifest(standard: Standard) -> Document:
    # The folder's manifest: for a profile, the effective one, with the base's exports merged.
    return load_document(standard.folder / "standard.yaml")


def export_rules(standard: Standard) -> dict[str, ExportRules]:
    """The rules of each export of ``standard`` (exports without rules are left out)."""
    return rules_from(_manifest(standard).data)


def rules_from(data: Any) -> dict[str, ExportRules]:
    rules: dict[str, ExportRules] = {}
    exports = data.get("exports") if isinstance(data, dict) else None
    for raw in exports if isinstance(exports, list) else []:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            continue
        references = tuple(
            Reference(str(r["field"]), str(r["export"]), str(r["key"]))
            for r in raw.get("references") or []
            if isinstance(r, dict) and {"field", "export", "key"} <= r.keys()
        )
        bounds = raw.get("records")
        records: dict[str, Any] = bounds if isinstance(bounds, dict) else {}
        total = raw.get("total_from")
        total_from = (
            TotalFrom(str(total["operation"]), str(total["pointer"]))
            if isinstance(total, dict) and {"operation", "pointer"} <= total.keys()
            else None
        )
        found = ExportRules(references, records.get("min"), records.get("max"), total_from)
        if found.checks:
            rules[raw["name"]] = found
    return rules


# ---------------------------------------------------------------- reading field values


def _steps(field: str) -> tuple[str, ...]:
    return tuple(step for step in field.strip("/").split("/") if step)


def _json_values(value: Any, steps: tuple[str, ...]) -> Iterator[Any]:
    """Values at a path of property names (arrays on the way are walked item by item)."""
    if not steps:
        if isinstance(value, list):
            yield from value
        else:
            yield value
        return
    if isinstance(value, dict):
        if steps[0] in value:
            yield from _json_values(value[steps[0]], steps[1:])
    elif isinstance(value, list):
        for item in value:
            yield from _json_values(item, steps)


def field_values(spec: ExportSpec, path: Path, field: str) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Every value of ``field`` in the export file, with where it is (streamed)."""
    from conformance.exports._validate import visit_records

    steps = _steps(field)
    for record in visit_records(spec, path):
        if spec.format == "xml":
            element = record.element
            for node, xpath in _xml_fields(element, steps, record.xpath):
                yield node.text or "", {"line": record.line, "xpath": xpath}
        else:
            where = {"line": record.line, "row": record.row, "pointer": "/" + "/".join(steps)}
            for value in _json_values(record.value, steps):
                yield value, where


def _xml_fields(element: Any, steps: tuple[str, ...], xpath: str) -> Iterator[tuple[Any, str]]:
    from conformance.exports._validate import _find_fields

    yield from _find_fields(element, steps, xpath)


def _token(value: Any) -> str:
    """The comparison token of a referenced value, as the unique-key check compares keys."""
    return key_token([value])


# ---------------------------------------------------------------- applying the rules


TotalFetcher = Callable[[TotalFrom], "int | str"]


def apply_rules(
    spec: ExportSpec,
    report: ExportReport,
    rules: ExportRules,
    files: dict[str, tuple[ExportSpec, Path]],
    total: TotalFetcher | None,
    cap: int,
) -> None:
    """Add the rules' findings to ``report`` (issues counted exactly, listed up to ``cap``)."""
    sink = Sink(report, cap)
    for reference in rules.references:
        _check_reference(spec, report.path, reference, files, sink)
    if rules.checks and RECORD_COUNT in rules.checks:
        _check_count(report, rules, total, sink)


def _check_reference(
    spec: ExportSpec,
    path: Path,
    reference: Reference,
    files: dict[str, tuple[ExportSpec, Path]],
    sink: Sink,
) -> None:
    target = files.get(reference.export)
    if target is None:
        sink.add(
            REFERENCES,
            "reference-unavailable",
            f"references export={reference.export!r}, which the candidate did not provide; "
            f"expected its file to check {reference.field} against its {reference.key}",
            params={"export": reference.export, "field": reference.field, "key": reference.key},
        )
        return
    target_spec, target_path = target
    keys: set[str] = set()
    for value, _where in field_values(target_spec, target_path, reference.key):
        if value is None:
            continue
        keys.add(_token(value))
        if len(keys) > MAX_REFERENCE_KEYS:
            sink.add(
                REFERENCES,
                "reference-too-large",
                f"export {reference.export} has more than {MAX_REFERENCE_KEYS} distinct "
                f"{reference.key} values; expected fewer (reference not checked)",
                params={"export": reference.export, "key": reference.key},
            )
            return
    for value, where in field_values(spec, path, reference.field):
        if value is None or _token(value) in keys:
            continue
        sink.add(
            REFERENCES,
            "missing-reference",
            f"{reference.field}={clip(repr(value), 60)} is not the {reference.key} of any "
            f"record of export {reference.export} ({target_path.name}); expected every "
            f"{reference.field} to name one",
            value=repr(value),
            params={"export": reference.export, "field": reference.field, "key": reference.key},
            **where,
        )


def _check_count(
    report: ExportReport, rules: ExportRules, total: TotalFetcher | None, sink: Sink
) -> None:
    count = report.records
    if not report.complete:
        sink.add(
            RECORD_COUNT,
            "count-unknown",
            f"the file could not be read to the end ({count} records read); "
            "the record count cannot be checked",
            params={"count": count},
        )
        return
    if rules.min_records is not None and count < rules.min_records:
        sink.add(
            RECORD_COUNT,
            "too-few-records",
            f"file has {count} records; expected at least {rules.min_records}",
            params={"count": count, "limit": rules.min_records},
        )
    if rules.max_records is not None and count > rules.max_records:
        sink.add(
            RECORD_COUNT,
            "too-many-records",
            f"file has {count} records; expected at most {rules.max_records}",
            params={"count": count, "limit": rules.max_records},
        )
    if rules.total_from is not None:
        answer = total(rules.total_from) if total is not None else "the API was not called"
        if isinstance(answer, str):
            sink.add(
                RECORD_COUNT,
                "total-unavailable",
                f"cannot compare the record count with {rules.total_from.operation} "
                f"{rules.total_from.pointer}: {answer}",
            )
        elif answer != count:
            sink.add(
                RECORD_COUNT,
                "count-differs",
                f"file has {count} records but {rules.total_from.operation} answers "
                f"{rules.total_from.pointer}={answer}; expected the same number",
                value=str(answer),
                params={
                    "count": count,
                    "operation": rules.total_from.operation,
                    "pointer": rules.total_from.pointer,
                },
            )


# ---------------------------------------------------------------- lint


def lint_rules(standard: Standard, manifest: Document, operation_ids: set[str]) -> list[Any]:
    """Lint findings for the rules: unknown exports, operations, fields of XML exports."""
    from conformance.results import LintIssue  # the values layer (seam: was conformance.lint)

    issues: list[LintIssue] = []
    names = {spec.name for spec in standard.exports}
    raw_exports = manifest.data.get("exports") or []
    for index, raw in enumerate(raw_exports):
        if not isinstance(raw, dict):
            continue
        for number, ref in enumerate(raw.get("references") or []):
            where = manifest.location(f"/exports/{index}/references/{number}")
            if not isinstance(ref, dict):
                continue
            if ref.get("export") not in names:
                issues.append(
                    LintIssue(
                        "reference-export-unknown",
                        f"export {raw.get('name')} references export={ref.get('export')!r}, "
                        "not an export of this standard; expected one of: "
                        + ", ".join(sorted(names)),
                        where,
                    )
                )
        bounds = raw.get("records")
        if (
            isinstance(bounds, dict)
            and isinstance(bounds.get("min"), int)
            and isinstance(bounds.get("max"), int)
            and bounds["max"] < bounds["min"]
        ):
            issues.append(
                LintIssue(
                    "records-range",
                    f"export {raw.get('name')}: records max={bounds['max']} is below "
                    f"min={bounds['min']}",
                    manifest.location(f"/exports/{index}/records"),
                )
            )
        total = raw.get("total_from")
        if isinstance(total, dict) and total.get("operation") not in operation_ids:
            known = ", ".join(sorted(operation_ids)) or "(the standard has no operations)"
            issues.append(
                LintIssue(
                    "total-operation-unknown",
                    f"export {raw.get('name')}: total_from names operation="
                    f"{total.get('operation')!r}, not an operationId of the API; expected one "
                    f"of: {known}",
                    manifest.location(f"/exports/{index}/total_from/operation"),
                )
            )
    return issues
