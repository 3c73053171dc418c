"""Consistency between an export and the API: two views of one resource agree.

``x-export-view`` on the operation that reads one item names an export of the standard,
the export field holding the key (``export_key``), the operation's path parameter taking it
(``param``) and the fields both views carry (``fields``: export field to JSON pointer in the
API's item). The first records of the candidate's export file are each read back through the
API and compared field by field (a CSV cell as text against the API value as text; JSON
values as they are).

The file is read only as far as those records, bounded in bytes; what it holds beyond them
is the export checks' business, not this one's.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.checks._registry import Problem, problem
from conformance.checks.behaviour._common import body_of, get
from conformance.checks.scenarios import scenario
from conformance.engine.exchange import RequestCase
from conformance.engine.openapi import Operation
from conformance.engine.scenario import ScenarioContext

__all__ = ["export_view", "first_records"]

RECORDS_COMPARED = 5
MAX_READ_BYTES = 1 << 20


def _applies(op: Operation, operations: list[Operation]) -> bool:
    return isinstance(op.extensions.get("x-export-view"), dict)


def first_records(path: Path, fmt: str, encoding: str, delimiter: str, count: int) -> list[Any]:
    """At most ``count`` records from the start of an export file (bounded read)."""
    with path.open("rb") as handle:
        data = handle.read(MAX_READ_BYTES)
    text = data.decode(encoding, errors="replace")
    if fmt == "csv":
        rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
        out: list[Any] = []
        for row in rows:
            if len(out) >= count:
                break
            out.append(dict(row))
        return out
    if fmt == "jsonl":
        lines = [line for line in text.splitlines() if line.strip()]
        # the last line may be cut by the bound: only whole lines before it count
        whole = lines[:-1] if len(data) == MAX_READ_BYTES else lines
        return [json.loads(line) for line in whole[:count]]
    if fmt == "json":
        decoder = json.JSONDecoder()
        start = text.index("[") + 1
        records: list[Any] = []
        while len(records) < count:
            while start < len(text) and text[start] in " \t\r\n,":
                start += 1
            if start >= len(text) or text[start] == "]":
                break
            value, start = decoder.raw_decode(text, start)
            records.append(value)
        return records
    return []  # XML: not compared


def _same(exported: Any, api: Any, fmt: str) -> bool:
    if fmt == "csv":
        shown = "" if api is None else api if isinstance(api, str) else json.dumps(api)
        return str(exported) == shown
    return bool(exported == api)


@scenario("export_view", "Export and API agree", _applies)
def export_view(ctx: ScenarioContext) -> Iterator[Problem]:
    """A record of the export equals the API's item with the same key (x-export-view)."""
    declared = ctx.operation.extensions["x-export-view"]
    source = ctx.exports.get(str(declared.get("export", "")))
    if source is None:
        return  # the candidate claims no such export file: nothing to compare
    spec, path = source
    try:
        records = first_records(
            path, spec.format, spec.encoding, spec.csv.delimiter, RECORDS_COMPARED
        )
    except (OSError, ValueError) as exc:
        yield problem("problem.export_unreadable", cause="export-unreadable", detail=str(exc))
        return
    fields: dict[str, str] = dict(declared.get("fields") or {})
    for number, record in enumerate(records, start=1):
        key = record.get(str(declared["export_key"])) if isinstance(record, dict) else None
        if key in (None, ""):
            continue
        case = RequestCase({str(declared["param"]): key}, source="scenario")
        exchange = ctx.send(case, ctx.operation)
        item = body_of(exchange)
        if item is None:
            status = exchange.response.status if exchange is not None else "-"
            yield problem(
                "problem.exported_not_in_api", cause="exported-missing", id=repr(key), status=status
            )
            return
        for name, pointer in fields.items():
            exported, api = record.get(name), get(item, pointer)
            if not _same(exported, api, spec.format):
                yield problem(
                    "problem.export_view_mismatch",
                    cause=f"export-view:{name}",
                    id=repr(key),
                    record=number,
                    field=name,
                    exported=repr(exported)[:200],
                    at=pointer,
                    api=repr(api)[:200],
                )
                return
