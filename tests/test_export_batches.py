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
from conformance.exports._readers import XmlRecord
from conformance.exports._typed import build_typed_records
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


XML_NS = "urn:example:batches"
XML_XSD = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:b="{XML_NS}"
           targetNamespace="{XML_NS}" elementFormDefault="qualified">
  <xs:element name="Licences"><xs:complexType><xs:sequence>
    <xs:element ref="b:Licence" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="Licence"><xs:complexType><xs:sequence>
    <xs:element name="No" type="xs:string"/>
    <xs:element name="Name" type="xs:string"/>
    <xs:element name="IdNumber" type="xs:string"/>
    <xs:element name="Count" type="xs:integer"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""


def _xml_spec(folder: Path) -> Any:
    from conformance.standards.model import ExportSpec, Text

    folder.mkdir(parents=True, exist_ok=True)
    schema_path = folder / "licence.xsd"
    schema_path.write_text(XML_XSD, encoding="utf-8")
    return ExportSpec(
        name="licences",
        title=Text("证照", "Licences"),
        format="xml",
        schema_path=schema_path,
        clauses=("LIC-EXP-001",),
        key=("No",),
        record_element="Licence",
        field_formats={"IdNumber": "cn-id-number"},
    )


def _xml_file(folder: Path, count: int, comment_at: int | None = None) -> Path:
    lines = []
    for i, record in enumerate(_records(count)):
        name = f"<Name>{record['name']}</Name>" if "name" in record else ""
        number = "x" if i % 41 == 3 else str(i)  # not an integer
        body = f"<No>{record['id']}</No>{name}<IdNumber>{record['holder_id']}</IdNumber>"
        lines.append(f"  <Licence>{body}<Count>{number}</Count></Licence>\n")
    lines[200] = lines[200].replace("\n", "") + lines[201]  # two records on one line
    lines[201] = ""
    if comment_at is not None:  # the compiled path stops reading there: lxml reads the rest
        lines[comment_at] = "  <!-- a comment -->\n" + lines[comment_at]
    path = folder / "r.xml"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Licences xmlns="{XML_NS}">\n'
        + "".join(lines)
        + "</Licences>\n",
        encoding="utf-8",
    )
    return path


def _xml_summary(report: Any) -> tuple[Any, ...]:
    issues = [(i.check, i.kind, i.line, i.xpath, i.message) for i in report.issues]
    return report.records, dict(report.counts), issues


@pytest.mark.parametrize("comment_at", [None, 700])
def test_xml_records_are_batches_an_acceptor_is_asked_about(
    tmp_path: Path, comment_at: int | None
) -> None:
    """Record texts the compiled path finds, then record elements lxml reads (after the
    compiled path stopped): each record asked about once, in file order."""
    spec = _xml_spec(tmp_path / "std")
    path = _xml_file(tmp_path, 1500, comment_at)
    kinds: list[type] = []
    seen: list[Batch] = []

    def nothing(batch: Batch) -> Sequence[int]:
        seen.append(batch)  # placed once the reading is over: a batch keeps its places
        kinds.extend({type(item) for item in batch.items})
        return range(len(batch))

    names = [path.name for path in VALIDATION_PATHS]
    probed = validate_export(spec, path, paths=[*names, Acceptor("probe", nothing)])
    default = validate_export(spec, path)
    exact = validate_export(spec, path, paths=())

    places = [batch.place(index) for batch in seen for index in range(len(batch))]
    assert _xml_summary(probed) == _xml_summary(default) == _xml_summary(exact)
    assert exact.records == 1500
    assert exact.counts[(RECORDS, "format:cn-id-number")] == len(range(0, 1500, 37))
    assert exact.counts[(RECORDS, "xsd")] >= len(range(5, 1500, 53)) + len(range(3, 1500, 41))
    assert default.paths["compiled"] > 0
    assert default.paths["batches"] > 0
    assert probed.paths["probe"] == 0
    assert sum(probed.paths.values()) == sum(default.paths.values())
    # every record once, in file order, at its own line and XPath
    lines = [3 + i - (i > 200) + (comment_at is not None and i >= comment_at) for i in range(1500)]
    assert [place.line for place in places] == lines
    assert [place.xpath for place in places] == [f"/Licences/Licence[{i}]" for i in range(1, 1501)]
    # the texts the compiled path found, then (once it stopped) lxml's elements
    assert kinds[0] is str
    assert (kinds[-1] is XmlRecord) == (comment_at is not None)


@pytest.mark.parametrize("offered", [["batches"], ["compiled", "batches"]])
def test_what_an_acceptor_refuses_of_xml_records_the_exact_checker_reports(
    tmp_path: Path, offered: list[str]
) -> None:
    """Asked about lxml's record elements, or about the record texts the compiled path
    finds: what the probe accepts is taken, what it refuses reported as always."""
    spec = _xml_spec(tmp_path / "std")
    path = _xml_file(tmp_path, 600)

    def odd_lines(batch: Batch) -> Sequence[int]:
        return [i for i in range(len(batch)) if (batch.place(i).line or 0) % 2 == 0]

    taken = validate_export(spec, path, paths=[*offered, Acceptor("odd", odd_lines)])
    exact = validate_export(spec, path, paths=())
    assert taken.paths["odd"] > 0
    assert taken.paths["compiled"] > 0 if "compiled" in offered else "compiled" not in taken.paths

    def refused(report: Any) -> list[tuple[str, int]]:
        return [
            (i.kind, i.line)
            for i in report.issues
            if i.check == RECORDS and i.line is not None and i.line % 2 == 0
        ]

    assert refused(taken) == refused(exact)
    assert refused(exact), "the seeded faults fall on even lines too"
    assert len(refused(taken)) < len([i for i in exact.issues if i.check == RECORDS])


def test_decide_sends_what_an_acceptor_knows_invalid_straight_to_the_exact_step() -> None:
    """``Batch.certain``: the records an acceptor refused knowing them invalid skip the
    later acceptors and reach the exact step with the others it leaves, in block order."""
    from conformance.exports._batch import decide
    from conformance.exports._keys import MISSING

    lines = [b"a", b"b", b"c", b"d", b"e", b"f"]
    asked: list[list[bytes]] = []

    def first(batch: Batch) -> Sequence[int]:
        asked.append(list(batch.items))
        batch.certain = [2, 4]  # "c" and "e": refused, certainly
        return [1, 2, 4, 5]

    def second(batch: Batch) -> Sequence[int]:
        asked.append(list(batch.items))
        batch.values = [f"value of {item.decode()}" for item in batch.items]
        return [0, 1]  # accepts nothing

    got: list[tuple[list[bytes], list[Any], list[int]]] = []  # items, values, line numbers

    def exact(batch: Batch) -> int:
        got.append(
            (
                list(batch.items),
                list(batch.values or ()),
                [batch.place(i).line or 0 for i in range(len(batch))],
            )
        )
        return len(batch)

    assert decide(Batch(lines, 10), [first, second], exact) == 6
    assert asked == [lines, [b"b", b"f"]]  # "c" and "e" not asked again
    items, values, numbers = got[0]
    assert items == [b"b", b"c", b"e", b"f"]
    assert values == ["value of b", MISSING, MISSING, "value of f"]
    assert numbers == [12, 13, 15, 16]

    # every record certain: no later acceptor asked, all to the exact step
    asked.clear()
    got.clear()

    def every(batch: Batch) -> Sequence[int]:
        batch.certain = range(len(batch))
        return range(len(batch))

    assert decide(Batch(lines, 0), [every, second], exact) == 6
    assert asked == []
    assert got[0][0] == lines


CERTAIN_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "code", "mail", "gender", "holder_id"],
    "properties": {
        "id": {"type": "string"},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "mail": {"type": "string", "format": "email"},
        "gender": {"enum": ["F", "M"]},
        "holder_id": {"type": "string", "format": "cn-id-number"},
    },
}


def test_the_typed_path_skips_later_acceptors_only_for_records_surely_invalid(
    tmp_path: Path,
) -> None:
    """A value a column checks exactly (a pattern, a check character) refused, or msgspec
    refusing a member given once (not in its enum) or a required one absent: the record
    goes straight to the exact step, worded as ``paths=()`` words it, at its own line and
    byte. A record the typed path refuses though valid (a mailbox outside the email
    pattern, a member name given twice whose first value msgspec refuses and whose last
    is valid) is still taken by a later acceptor, as ``report.paths`` shows."""
    from tests.test_exports import id_number

    spec = make_spec(tmp_path / "std", "jsonl", schema=CERTAIN_SCHEMA)
    count = 3000
    lines = []
    for i in range(count):
        record = {
            "id": f"L{i:05d}",
            "code": "ABC",
            "mail": f"u{i}@example.com",
            "gender": "F",
            "holder_id": id_number(i + 1),
        }
        seed = i % 97
        if seed == 10:
            record["code"] = "abc"  # the pattern: certainly invalid
        elif seed == 20:
            record["holder_id"] = "110101199003070000"  # a wrong check character: certain
        elif seed == 30:
            record["mail"] = f"用户{i}@example.com"  # valid, outside the email pattern
        elif seed == 40:
            record["mail"] = "not-an-email"  # invalid, refused by the email pattern
        elif seed == 60:
            record["gender"] = "X"  # not in the enum, the member given once: certain
        elif seed == 70:
            del record["code"]  # required: certain
        line = json.dumps(record, ensure_ascii=False)
        if seed == 50:  # a member name twice: the first value bad, the last one valid
            line = line[:-1] + ', "gender": "X", "gender": "M"}'
            line = line.replace('"gender": "F", ', "")
        lines.append(line)
    path = tmp_path / "r.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))

    def seeded(seed: int) -> int:
        return len(range(seed, count, 97))

    default = validate_export(spec, path)
    exact = validate_export(spec, path, paths=())

    def summary(report: Any) -> tuple[Any, ...]:
        issues = [
            (i.check, i.kind, i.line, i.byte_offset, i.pointer, i.schema_path, i.message)
            for i in report.issues
        ]
        return report.records, dict(report.counts), dict(report.cause_counts), issues

    assert summary(default) == summary(exact)
    assert exact.counts[(RECORDS, "pattern")] == seeded(10)
    assert exact.counts[(RECORDS, "format:cn-id-number")] == seeded(20)
    assert exact.counts[(RECORDS, "format:email")] == seeded(40)
    assert exact.counts[(RECORDS, "duplicate-member")] == seeded(50)
    assert exact.counts[(RECORDS, "enum")] == seeded(60)
    assert exact.counts[(RECORDS, "required")] == seeded(70)
    text = path.read_bytes()
    starts = [0, *(i + 1 for i, byte in enumerate(text) if byte == 0x0A)]
    located = [i for i in default.issues if i.check == RECORDS and i.kind == "pattern"]
    assert len(located) == seeded(10)
    assert [i.byte_offset for i in located] == [starts[(i.line or 0) - 1] for i in located]
    # the valid records the typed path refused: taken by a later acceptor, not the exact step
    # (the first record, read before the blocks, is offered to ``typed`` too)
    assert default.paths["blocks"] == seeded(30) + seeded(50), default.paths
    assert "records" not in default.paths, default.paths
    invalid = seeded(10) + seeded(20) + seeded(40) + seeded(60) + seeded(70)
    assert sum(default.paths.values()) == count - invalid, default.paths
    assert default.paths["typed"] > count * 0.9, default.paths


DATED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "mail", "born"],
    "properties": {
        "id": {"type": "string"},
        "mail": {"type": "string", "format": "email"},
        "born": {"type": "string", "format": "date"},
    },
}


def test_a_value_off_its_format_itself_is_certain_one_off_a_subset_pattern_is_not(
    tmp_path: Path,
) -> None:
    """The typed path marks certain a mailbox its pattern refuses when the email format
    refuses it too, and a date msgspec refuses when the date format does too; a valid one
    either refuses (a Unicode mailbox, the year 0000, which Python's dates lack) is left
    to a later acceptor, and so is a name given twice."""
    schema = tmp_path / "d.schema.json"
    schema.write_text(json.dumps(DATED_SCHEMA), encoding="utf-8")
    typed = build_typed_records(schema, tmp_path, "id")
    assert typed is not None
    rows = [
        ("a@example.com", "2024-02-29"),  # 0 valid
        ("not-an-email", "2024-01-01"),  # 1 certain: no '@'
        ("用户@example.com", "2024-01-01"),  # 2 valid, outside the pattern
        ("a@example.com", "2023-02-30"),  # 3 certain: no such date
        ("a@example.com", "0000-01-01"),  # 4 valid, msgspec refuses it
        ("a@b", "2024-01-01"),  # 5 certain: a domain without a dot
    ]
    lines = [
        json.dumps({"id": f"r{i}", "mail": mail, "born": born}, ensure_ascii=False).encode()
        for i, (mail, born) in enumerate(rows)
    ]
    lines.append(b'{"id": "r6", "mail": "a@example.com", "born": "x", "born": "2024-01-01"}')
    certain: list[int] = []
    _, refused = typed.accepted(lines, certain)
    assert refused == [1, 2, 3, 4, 5, 6]
    assert certain == [1, 3, 5]

    spec = make_spec(tmp_path / "std", "jsonl", schema=DATED_SCHEMA)
    body = [
        json.dumps({"id": f"q{i}", "mail": "a@example.com", "born": "2024-01-01"})
        for i in range(300)
    ]
    body[100:100] = [line.decode() for line in lines]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    default = validate_export(spec, path)
    exact = validate_export(spec, path, paths=())
    assert [(i.kind, i.line) for i in default.issues] == [(i.kind, i.line) for i in exact.issues]
    assert sorted((i.kind, i.line) for i in default.issues) == [
        ("duplicate-member", 107),
        ("format:date", 104),
        ("format:email", 102),
        ("format:email", 106),
    ]
    # the valid ones the typed path refused: taken by the blocks (compiled then)
    assert default.paths["blocks"] == 3, default.paths


def test_a_string_or_null_column_refuses_as_surely_as_a_string_one(tmp_path: Path) -> None:
    """A value of the nullable idiom's column (a pattern, a check character) refused makes
    the record certainly invalid, as in a string column; a null there is valid."""
    from tests.test_exports import id_number

    schema = tmp_path / "n.schema.json"
    schema.write_text(
        json.dumps(
            {
                "type": "object",
                "unevaluatedProperties": False,
                "required": ["id"],
                "properties": {
                    "id": {"type": "string"},
                    "code": {
                        "anyOf": [{"type": "string", "pattern": "^[A-Z]{3}$"}, {"type": "null"}]
                    },
                    "holder": {"type": ["string", "null"], "format": "cn-id-number"},
                },
            }
        ),
        encoding="utf-8",
    )
    typed = build_typed_records(schema, tmp_path, "id")
    assert typed is not None
    good = id_number(7)
    rows = [
        ("ABC", good),  # 0 valid
        (None, None),  # 1 valid: nulls
        ("abc", good),  # 2 certain: the pattern
        ("ABC", good[:17] + ("0" if good[17] != "0" else "1")),  # 3 certain: check character
        (None, "12345"),  # 4 certain: no ID number
    ]
    lines = [
        json.dumps({"id": f"r{i}", "code": code, "holder": holder}).encode()
        for i, (code, holder) in enumerate(rows)
    ]
    certain: list[int] = []
    _, refused = typed.accepted(lines, certain)
    assert refused == [2, 3, 4]
    assert certain == [2, 3, 4]
