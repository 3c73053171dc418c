"""One pipeline (issue 17 item 3): readers yield Batches; acceptors may only accept.

Through the public ``paths=`` seam only: a caller's :class:`Acceptor` is asked about every
batch before the registered acceptors. One that accepts nothing sees every record of the
file, each once, in file order, at its own line, and leaves every finding and count as the
default paths and the exact checker alone report them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from conformance.exports import (
    RECORDS,
    VALIDATION_PATHS,
    Acceptor,
    Batch,
    Place,
    validate_export,
)
from tests.test_exports import make_spec, rec

pytestmark = pytest.mark.filterwarnings("error")


def _records(count: int) -> list[dict[str, Any]]:
    records = [rec(i) for i in range(count)]
    for i in range(0, count, 37):
        records[i]["holder_id"] = "110101199003070000"  # a wrong check character
    for i in range(5, count, 53):
        del records[i]["name"]  # required
    records[7] = dict(records[6])  # a duplicate key
    return records


def _write(folder: Path, fmt: str, records: list[dict[str, Any]]) -> Path:
    if fmt == "jsonl":
        lines = [json.dumps(r, ensure_ascii=False) for r in records]
        lines[100] = "{not json"
        lines[101] = ""  # blank
        lines[102] = "[" * 300 + "]" * 300  # too deep
        lines[103] = lines[103][:-1] + ', "id": "X"}'  # a member name given twice
        path = folder / "r.jsonl"
        path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    elif fmt == "json":
        path = folder / "r.json"
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        header = ["id", "name", "holder_id"]
        rows = [",".join(header)]
        rows += [",".join(str(r.get(name, "")) for name in header) for r in records]
        path = folder / "r.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _summary(report: Any) -> tuple[Any, ...]:
    issues = [(i.check, i.kind, i.line, i.row, i.pointer, i.message) for i in report.issues]
    return report.records, dict(report.counts), issues


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_an_acceptor_that_accepts_nothing_sees_every_batch_and_changes_no_finding(
    tmp_path: Path, fmt: str
) -> None:
    spec = make_spec(tmp_path / "std", fmt)  # type: ignore[arg-type]
    path = _write(tmp_path, fmt, _records(1500))
    seen: list[Any] = []
    places: list[Place] = []

    def nothing(batch: Batch) -> Sequence[int]:
        seen.append(batch)
        places.extend(batch.place(index) for index in range(len(batch)))
        return range(len(batch))

    probe = Acceptor("probe", nothing)
    names = [path.name for path in VALIDATION_PATHS]
    probed = validate_export(spec, path, paths=[*names, probe])
    default = validate_export(spec, path)
    exact = validate_export(spec, path, paths=())

    assert seen, "the probe was asked about no batch"
    assert all(isinstance(batch, Batch) for batch in seen)
    assert _summary(probed) == _summary(default) == _summary(exact)
    assert exact.counts[(RECORDS, "required")] == len(range(5, 1500, 53))  # seeded, found
    assert probed.paths["probe"] == 0  # it accepted nothing
    assert sum(probed.paths.values()) == sum(default.paths.values())  # the others took as many
    # every record once, in file order, where it is
    where = [(place.row if fmt == "csv" else place.line) or 0 for place in places]
    assert where == sorted(where)
    assert len(set(where)) == len(where)
    if fmt == "jsonl":  # every line after the first record, the blank and broken ones too
        assert where == list(range(2, 1501))
        text = path.read_bytes()
        starts = [0, *(i + 1 for i, byte in enumerate(text) if byte == 0x0A)][1:1500]
        assert [place.byte_offset for place in places] == starts
    elif fmt == "csv":
        assert where == list(range(1, 1501))
        assert [place.line for place in places] == list(range(2, 1502))
    else:
        assert len(where) == 1500


def test_what_an_acceptor_refuses_the_exact_checker_reports(tmp_path: Path) -> None:
    """With ``paths=[probe]`` alone, the probe is the only acceptor: what it accepts is
    taken, and what it refuses the exact checker reports as it reports it alone."""
    spec = make_spec(tmp_path / "std", "jsonl")
    path = _write(tmp_path, "jsonl", _records(400))

    def odd_lines(batch: Batch) -> Sequence[int]:
        return [i for i in range(len(batch)) if (batch.place(i).line or 0) % 2 == 0]

    taken = validate_export(spec, path, paths=[Acceptor("odd", odd_lines)])
    exact = validate_export(spec, path, paths=())
    assert taken.paths["odd"] > 0
    # what the probe refused (even lines) is reported exactly as the exact checker reports
    # it (keys aside: the records a caller's acceptor takes are not keyed)

    def refused(report: Any) -> list[tuple[str, int]]:
        return [
            (i.kind, i.line)
            for i in report.issues
            if i.check == RECORDS and i.line is not None and i.line % 2 == 0
        ]

    assert refused(taken) == refused(exact)
    assert refused(exact), "the seeded faults fall on even lines too"
    assert len(refused(taken)) < len([i for i in exact.issues if i.check == RECORDS])
