"""Streaming export validation: real files under tmp_path, tiny schemas written here."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import pytest

from conformance.exports import (
    ENCODING,
    MAX_DEPTH,
    RECORD_LIMIT,
    RECORDS,
    UNIQUE_KEYS,
    ExportIssue,
    ExportReport,
    Severity,
    validate_export,
)
from conformance.formats._check_characters import id_check_char
from conformance.standards.model import CsvOptions, ExportFormat, ExportSpec, Text
from tests.conftest import SetReadLimits


def id_number(seq: int) -> str:
    """A valid citizen ID number (address 110105, born 1949-12-31) with sequence ``seq``."""
    first17 = f"11010519491231{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def wrong_check(value: str) -> str:
    return value[:-1] + ("0" if value[-1] != "0" else "1")


RECORD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "name", "holder_id"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string", "minLength": 1},
        "holder_id": {"type": "string", "format": "cn-id-number"},
        "count": {"type": "integer"},
        "score": {"type": ["number", "null"]},
        "active": {"type": "boolean"},
        "note": {"type": "string"},
    },
    "additionalProperties": False,
}

XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:example:lic"
           xmlns="urn:example:lic" elementFormDefault="qualified">
  <xs:element name="Licence">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="No" type="xs:string"/>
        <xs:element name="Holder">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="Name" type="xs:string"/>
              <xs:element name="IdNumber" type="xs:string"/>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:element name="Count" type="xs:integer"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


def make_spec(
    folder: Path,
    fmt: ExportFormat,
    *,
    encoding: str = "utf-8",
    key: tuple[str, ...] = ("id",),
    empty: Literal["null", "empty-string", "absent"] = "absent",
    schema: dict[str, Any] | None = None,
) -> ExportSpec:
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "xml":
        schema_path = folder / "licence.xsd"
        schema_path.write_text(XSD, encoding="utf-8")
    else:
        schema_path = folder / "record.schema.json"
        schema_path.write_text(json.dumps(schema or RECORD_SCHEMA), encoding="utf-8")
    return ExportSpec(
        name="licences",
        title=Text("证照", "Licences"),
        format=fmt,
        schema_path=schema_path,
        clauses=("LIC-EXP-001",),
        encoding=encoding,
        key=("No",) if fmt == "xml" else key,
        record_element="Licence" if fmt == "xml" else None,
        field_formats={"Holder/IdNumber": "cn-id-number"} if fmt == "xml" else {},
        csv=CsvOptions(empty=empty),
    )


def rec(i: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"id": f"L{i:04d}", "name": f"持证人{i}", "holder_id": id_number(i)}
    record.update(changes)
    return record


def jsonl(records: list[dict[str, Any]], newline: str = "\n") -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + newline for r in records)


def xml_doc(records: list[tuple[str, str, str, str]], encoding: str = "UTF-8") -> str:
    body = "".join(
        f"  <Licence><No>{no}</No><Holder><Name>{name}</Name><IdNumber>{idn}</IdNumber>"
        f"</Holder><Count>{count}</Count></Licence>\n"
        for no, name, idn, count in records
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<Licences xmlns="urn:example:lic">\n{body}</Licences>\n'
    )


def xml_rows(n: int) -> list[tuple[str, str, str, str]]:
    return [(f"L{i:04d}", f"持证人{i}", id_number(i), str(i)) for i in range(1, n + 1)]


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    data = content if isinstance(content, bytes) else content.encode(encoding)
    path.write_bytes(data)
    return path


def only(report: ExportReport, check: str, kind: str) -> ExportIssue:
    found = [i for i in report.issues if i.check == check and i.kind == kind]
    assert len(found) == 1, (kind, report.issues)
    return found[0]


def kinds(report: ExportReport) -> set[tuple[str, str]]:
    return set(report.counts)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "std"


# ---------------------------------------------------------------- valid files


def test_valid_jsonl(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    path = write(tmp_path / "l.jsonl", jsonl([rec(i, count=i, score=None) for i in range(1, 8)]))
    report = validate_export(spec, path)
    assert report.records == 7
    assert report.issues == []
    assert report.passed
    assert report.complete
    assert report.bytes_read == path.stat().st_size


def test_valid_json_array_pretty_printed(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "json")
    text = json.dumps([rec(i, score=1.5) for i in range(1, 6)], ensure_ascii=False, indent=2)
    report = validate_export(spec, write(tmp_path / "a.json", text))
    assert report.records == 5
    assert report.issues == []


def test_valid_empty_json_array(folder: Path, tmp_path: Path) -> None:
    report = validate_export(make_spec(folder, "json"), write(tmp_path / "a.json", " [ ]\n"))
    assert report.records == 0
    assert report.issues == []


def test_valid_csv_with_types(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "csv")
    rows = ["id,name,holder_id,count,score,active"]
    rows += [f"L{i},名{i},{id_number(i)},{i},{i}.5,true" for i in range(1, 5)]
    rows.append(f'L9,"Wang, ""Jr.""",{id_number(9)},-3,1e3,false')
    report = validate_export(spec, write(tmp_path / "a.csv", "\r\n".join(rows) + "\r\n"))
    assert report.records == 5
    assert report.issues == []


def test_valid_xml(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "xml")
    report = validate_export(spec, write(tmp_path / "a.xml", xml_doc(xml_rows(12))))
    assert report.records == 12
    assert report.issues == []
    assert report.passed


# ---------------------------------------------------------------- record defects


def test_jsonl_defects_located(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    bad_id = wrong_check(id_number(3))
    records = [rec(1), rec(2, count="7"), rec(3, holder_id=bad_id), {"id": "L0004", "name": "x"}]
    report = validate_export(spec, write(tmp_path / "l.jsonl", jsonl(records)))
    assert report.records == 4
    type_issue = only(report, RECORDS, "type")
    assert (type_issue.line, type_issue.pointer) == (2, "/count")
    assert type_issue.schema_path == "/properties/count/type"
    assert type_issue.value == "'7'"
    assert type_issue.location() == f"{tmp_path / 'l.jsonl'}:2"
    fmt = only(report, RECORDS, "format:cn-id-number")
    assert (fmt.line, fmt.pointer, fmt.schema_path) == (
        3,
        "/holder_id",
        "/properties/holder_id/format",
    )
    assert bad_id in fmt.message
    assert "check character" in fmt.message
    missing = only(report, RECORDS, "required")
    assert (missing.line, missing.pointer, missing.schema_path) == (4, "", "/required")
    assert "holder_id" in missing.message
    assert report.failed(RECORDS)
    assert not report.failed(ENCODING)
    assert not report.failed(UNIQUE_KEYS)


def test_every_error_of_a_record_is_reported(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    record = rec(1, count="x", active="yes", extra=1)
    report = validate_export(spec, write(tmp_path / "l.jsonl", jsonl([record])))
    assert report.counts[(RECORDS, "type")] == 2
    assert report.counts[(RECORDS, "additionalProperties")] == 1


def test_json_array_defects_have_lines_across_chunks(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "json")
    records = [rec(i, note="n" * 60) for i in range(1, 4001)]
    records[3499]["count"] = "oops"  # record 3500
    text = json.dumps(records, ensure_ascii=False, indent=1)
    assert len(text.encode()) > 2 * 256 * 1024  # spans several decoder chunks
    lines = text.split("\n")
    expected = next(n for n, ln in enumerate(lines, 1) if '"count": "oops"' in ln)
    report = validate_export(spec, write(tmp_path / "a.json", text))
    assert report.records == 4000
    issue = only(report, RECORDS, "type")
    assert issue.pointer == "/count"
    assert issue.line == expected - 5  # the record's first line: "{" five lines above
    assert lines[issue.line - 1].strip() == "{"


def test_csv_defects_located(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "csv")
    rows = [
        "id,name,holder_id,count,active",
        f"L1,甲,{id_number(1)},1,true",
        f"L2,乙,{wrong_check(id_number(2))},2,true",
        f"L3,丙,{id_number(3)},three,maybe",
    ]
    report = validate_export(spec, write(tmp_path / "a.csv", "\n".join(rows) + "\n"))
    assert report.records == 3
    fmt = only(report, RECORDS, "format:cn-id-number")
    assert (fmt.row, fmt.line, fmt.pointer) == (2, 3, "/holder_id")
    assert fmt.location() == f"{tmp_path / 'a.csv'} row 2"
    types = [i for i in report.issues if i.kind == "type"]
    assert sorted((i.row, i.pointer, i.value) for i in types) == [
        (3, "/active", "'maybe'"),
        (3, "/count", "'three'"),
    ]


def test_csv_multiline_cell_keeps_row_and_line(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "csv")
    text = (
        "id,name,holder_id,note\r\n"
        f'L1,甲,{id_number(1)},"first line\nsecond line"\r\n'
        f"L2,,{id_number(2)},x\r\n"
    )
    report = validate_export(spec, write(tmp_path / "a.csv", text))
    assert report.records == 2
    issue = only(report, RECORDS, "required")  # empty name cell, "absent" mode
    assert (issue.row, issue.line) == (2, 4)
    assert (ENCODING, "mixed-line-endings") not in report.counts  # the LF is inside a cell


@pytest.mark.parametrize(
    ("empty", "expected"),
    [
        ("null", {("type", "/name")}),  # None is not a string
        ("empty-string", {("minLength", "/name")}),  # "" is too short
        ("absent", {("required", "")}),  # name missing
    ],
)
def test_csv_empty_cell_modes(
    folder: Path, tmp_path: Path, empty: Literal["null", "empty-string", "absent"], expected: Any
) -> None:
    spec = make_spec(folder, "csv", empty=empty)
    text = f"id,name,holder_id,score\nL1,,{id_number(1)},\n"
    report = validate_export(spec, write(tmp_path / "a.csv", text))
    # score is ["number", "null"]: its empty cell only passes as null or absent.
    found = {(i.kind, i.pointer) for i in report.issues}
    if empty == "empty-string":
        expected = expected | {("type", "/score")}
    assert found == expected


def test_csv_header_problems(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "csv")
    text = f"name,id,colour\nx,L1,red\n{id_number(1)},L2,blue\n"
    report = validate_export(spec, write(tmp_path / "a.csv", text))
    header = [i for i in report.issues if i.kind == "csv-header"]
    by_severity = {(i.severity, i.message.split(";")[0].split(":")[0]) for i in header}
    assert (Severity.ERROR, "required column 'holder_id' is missing from the header") in by_severity
    assert (Severity.ERROR, "unknown column 'colour'") in by_severity
    order = [i for i in header if i.severity is Severity.WARNING]
    assert len(order) == 1
    assert "different order" in order[0].message
    assert all(i.row == 0 and i.line == 1 for i in header)
    assert report.records == 2


def test_csv_header_order_alone_is_a_warning(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "csv")
    text = f"holder_id,name,id\n{id_number(1)},甲,L1\n"
    report = validate_export(spec, write(tmp_path / "a.csv", text))
    issue = only(report, RECORDS, "csv-header")
    assert issue.severity is Severity.WARNING
    assert not report.failed(RECORDS)


def test_csv_open_schema_allows_unknown_columns(folder: Path, tmp_path: Path) -> None:
    schema = {**RECORD_SCHEMA, "additionalProperties": True}
    spec = make_spec(folder, "csv", schema=schema)
    text = f"id,name,holder_id,colour\nL1,甲,{id_number(1)},red\n"
    assert validate_export(spec, write(tmp_path / "a.csv", text)).issues == []


def test_csv_row_length_and_quote_errors(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "csv")
    text = f'id,name,holder_id\nL1,甲,{id_number(1)},extra\nL2,"bad"x,{id_number(2)}\n'
    report = validate_export(spec, write(tmp_path / "a.csv", text))
    row_issue = only(report, RECORDS, "csv-row")
    assert row_issue.row == 1
    parse = only(report, RECORDS, "parse")
    assert parse.line == 3
    assert report.records == 2


def test_xml_defects_located(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "xml")
    rows = xml_rows(20)
    rows[16] = (rows[16][0], rows[16][1], wrong_check(rows[16][2]), rows[16][3])
    rows[4] = (rows[4][0], rows[4][1], rows[4][2], "five")
    report = validate_export(spec, write(tmp_path / "a.xml", xml_doc(rows)))
    assert report.records == 20
    fmt = only(report, RECORDS, "format:cn-id-number")
    assert fmt.xpath == "/Licences/Licence[17]/Holder/IdNumber"
    assert fmt.line == 19  # declaration, root, then one record per line
    assert fmt.location() == f"{tmp_path / 'a.xml'}:19 /Licences/Licence[17]/Holder/IdNumber"
    xsd = only(report, RECORDS, "xsd")
    assert xsd.xpath == "/Licences/Licence[5]/Count"
    assert xsd.line == 7
    assert "five" in xsd.message


def test_xml_record_not_declared_globally(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "xml")
    spec = ExportSpec(**{**spec.__dict__, "record_element": "Holder"})
    report = validate_export(spec, write(tmp_path / "a.xml", xml_doc(xml_rows(3))))
    issue = only(report, RECORDS, "schema")
    assert "global" in issue.message
    assert report.counts[(RECORDS, "schema")] == 1


def test_xml_doctype_entities_flagged_not_expanded(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "xml")
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 8))
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE Licences [<!ENTITY l0 "ha">{laughs}]>\n'
        '<Licences xmlns="urn:example:lic"><Licence><No>&l7;</No></Licence></Licences>\n'
    )
    report = validate_export(spec, write(tmp_path / "a.xml", text))
    issue = only(report, RECORDS, "doctype-entities")
    assert issue.line == 2
    assert report.records == 0
    assert not report.complete
    assert "ha" not in "".join(i.message for i in report.issues)


def test_xml_doctype_entities_after_a_long_prolog(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "xml")
    comment = "<!--" + "c" * (1024 * 1024 + 100) + "-->\n"
    text = xml_doc(xml_rows(2)).replace(
        "<Licences", f'{comment}<!DOCTYPE Licences [<!ENTITY e "MARKER-VALUE">]>\n<Licences'
    )
    text = text.replace("<No>L0001</No>", "<No>L0001&e;</No>")
    report = validate_export(spec, write(tmp_path / "a.xml", text))
    assert only(report, RECORDS, "doctype-entities").severity is Severity.ERROR
    assert report.records == 0
    assert "MARKER-VALUE" not in "".join(i.message for i in report.issues)


def test_xml_not_well_formed_mid_file(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "xml")
    text = xml_doc(xml_rows(4)).replace("<No>L0003</No>", "<No>L0003</Nope>")
    report = validate_export(spec, write(tmp_path / "a.xml", text))
    issue = only(report, RECORDS, "parse")
    assert issue.line == 5
    assert report.records == 2


@pytest.mark.parametrize("layout", ["one-per-line", "one-line", "indented"])
@pytest.mark.parametrize(
    "defect",
    [
        ("<Name>持证人7</Name>", "<Name>持证&人7</Name>"),  # recoverable in libxml2 2.14
        ("<No>L0007</No>", "<No>L0007</Nope>"),  # mismatched tag
        ("<Name>持证人7</Name>", "<Name>持证<人7</Name>"),  # bad start tag
        ("<Licence><No>L0007", '<Licence a="1" a="2"><No>L0007'),  # attribute twice
    ],
)
def test_xml_records_before_a_syntax_error_are_read_and_checked(
    folder: Path, tmp_path: Path, layout: str, defect: tuple[str, str]
) -> None:
    """Whatever the lxml version (CI runs the lowest and the newest), the records before the
    broken one are counted and their findings kept; the broken one and those after are not."""
    spec = make_spec(folder, "xml")
    rows = xml_rows(9)
    wrong = rows[2][2][:-1] + ("0" if rows[2][2][-1] != "0" else "1")  # check character
    rows[2] = (rows[2][0], rows[2][1], wrong, "3")
    text = xml_doc(rows)
    if layout == "one-line":
        text = text.replace("\n  <Licence>", "<Licence>")
    elif layout == "indented":
        text = text.replace("<Holder>", "\n    <Holder>").replace("</Holder>", "</Holder>\n  ")
    broken = text.replace(defect[0], defect[1])
    assert broken != text
    report = validate_export(spec, write(tmp_path / "a.xml", broken))
    assert report.records == 6
    assert report.counts[(RECORDS, "format:cn-id-number")] == 1  # record 3, before the error
    assert report.counts[(RECORDS, "parse")] == 1
    assert not report.complete


def test_xml_record_too_large_stops_bounded(
    folder: Path, tmp_path: Path, limits: SetReadLimits
) -> None:
    limits(record_bytes=64 * 1024)
    spec = make_spec(folder, "xml")
    rows = xml_rows(3)
    rows[1] = (rows[1][0], "名" * 200_000, rows[1][2], rows[1][3])
    report = validate_export(spec, write(tmp_path / "a.xml", xml_doc(rows)))
    assert report.counts[(RECORDS, "record-too-large")] == 1
    assert report.records == 1
    assert not report.complete


# ---------------------------------------------------------------- encoding


def test_invalid_utf8_bytes_located_and_later_records_checked(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    good = jsonl([rec(1)]).encode()
    line2 = jsonl([rec(2, name="AB")]).encode().replace(b"AB", b"A\xff\xfeB")
    line3 = jsonl([rec(3, count="x")]).encode()
    report = validate_export(spec, write(tmp_path / "l.jsonl", good + line2 + line3))
    issue = only(report, ENCODING, "invalid-bytes")
    assert issue.line == 2
    assert issue.byte_offset == len(good) + line2.index(b"\xff")
    assert issue.severity is Severity.ERROR
    assert report.failed(ENCODING)
    assert only(report, RECORDS, "type").line == 3  # decoding went on
    assert report.records == 3


def test_invalid_bytes_in_chunked_json_across_chunks(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "json")
    records = [rec(i, note="x" * 100) for i in range(1, 3001)]
    data = json.dumps(records, ensure_ascii=False, indent=1).encode()
    target = data.index(b'"L2500"')
    data = data[: target + 2] + b"\xc3" + data[target + 3 :]  # a lone lead byte
    report = validate_export(spec, write(tmp_path / "a.json", data))
    issue = only(report, ENCODING, "invalid-bytes")
    assert issue.byte_offset == target + 2
    assert issue.line == data.count(b"\n", 0, target) + 1
    assert report.records == 3000


def test_gb18030_declared_passes_and_utf8_declared_fails(folder: Path, tmp_path: Path) -> None:
    records = [rec(i, name=f"张三丰{i}号𠀀") for i in range(1, 4)]  # U+20000 needs GB 18030
    data = jsonl(records).encode("gb18030")
    path = write(tmp_path / "l.jsonl", data)
    ok = validate_export(make_spec(folder / "gb", "jsonl", encoding="gb18030"), path)
    assert ok.issues == []
    assert ok.records == 3
    bad = validate_export(make_spec(folder / "u8", "jsonl", encoding="utf-8"), path)
    assert bad.counts[(ENCODING, "invalid-bytes")] == 3  # first bad sequence of each line
    first = next(i for i in bad.issues if i.kind == "invalid-bytes")
    assert first.line == 1
    assert first.byte_offset == data.index("张".encode("gb18030"))


def test_gb18030_xml_with_declaration(folder: Path, tmp_path: Path) -> None:
    text = xml_doc(xml_rows(5), encoding="GB18030")
    path = write(tmp_path / "a.xml", text, encoding="gb18030")
    ok = validate_export(make_spec(folder / "gb", "xml", encoding="gb18030"), path)
    assert ok.issues == []
    assert ok.records == 5
    bad = validate_export(make_spec(folder / "u8", "xml"), path)
    assert bad.counts[(ENCODING, "invalid-bytes")] == 5
    assert bad.counts[(ENCODING, "xml-declaration")] == 1
    assert bad.records == 5  # replacement characters let parsing go on


def test_gb18030_xml_needs_its_declaration(folder: Path, tmp_path: Path) -> None:
    text = xml_doc(xml_rows(2)).split("\n", 1)[1]  # no XML declaration
    path = write(tmp_path / "a.xml", text, encoding="gb18030")
    report = validate_export(make_spec(folder, "xml", encoding="gb18030"), path)
    assert 'encoding="GB18030"' in only(report, ENCODING, "xml-declaration").message
    assert report.records == 2


def test_utf8_bom_in_a_gb18030_file_is_an_error(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl", encoding="gb18030")
    data = "\ufeff".encode() + jsonl([rec(1)]).encode("gb18030")
    report = validate_export(spec, write(tmp_path / "l.jsonl", data))
    assert only(report, ENCODING, "bom").severity is Severity.ERROR
    own = "\ufeff".encode("gb18030") + jsonl([rec(1)]).encode("gb18030")
    report = validate_export(spec, write(tmp_path / "own.jsonl", own))
    assert only(report, ENCODING, "bom").severity is Severity.WARNING
    assert report.issues_for(RECORDS) == []


def test_bom_is_a_warning_and_stripped(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    path = write(tmp_path / "l.jsonl", b"\xef\xbb\xbf" + jsonl([rec(1), rec(2)]).encode())
    report = validate_export(spec, path)
    issue = only(report, ENCODING, "bom")
    assert issue.severity is Severity.WARNING
    assert report.records == 2
    assert len(report.issues) == 1
    assert not report.failed(ENCODING)


def test_mixed_line_endings_warning(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    text = jsonl([rec(1), rec(2)], "\r\n") + jsonl([rec(3)], "\n") + jsonl([rec(4)], "\r\n")
    report = validate_export(spec, write(tmp_path / "l.jsonl", text))
    issue = only(report, ENCODING, "mixed-line-endings")
    assert issue.severity is Severity.WARNING
    assert issue.line == 3
    assert "3 CRLF and 1 LF" in issue.message
    assert not report.failed(ENCODING)


def test_mixed_line_endings_in_json_array(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "json")
    text = "[\r\n" + json.dumps(rec(1)) + ",\r\n" + json.dumps(rec(2)) + "\n]\r\n"
    report = validate_export(spec, write(tmp_path / "a.json", text))
    assert only(report, ENCODING, "mixed-line-endings").line == 3
    assert report.records == 2


def test_truncated_last_line(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    complete = jsonl([rec(1)])
    report = validate_export(spec, write(tmp_path / "l.jsonl", complete + json.dumps(rec(2))))
    issue = only(report, ENCODING, "truncated-last-line")
    assert (issue.severity, issue.line) == (Severity.WARNING, 2)
    assert report.records == 2
    assert not report.failed(RECORDS)
    cut = complete + json.dumps(rec(2))[:-9]
    report = validate_export(spec, write(tmp_path / "cut.jsonl", cut))
    assert only(report, ENCODING, "truncated-last-line").line == 2
    assert only(report, RECORDS, "parse").line == 2


def test_single_cut_jsonl_record_is_a_parse_error(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    report = validate_export(spec, write(tmp_path / "l.jsonl", json.dumps(rec(1))[:-5]))
    assert only(report, RECORDS, "parse").line == 1
    assert only(report, ENCODING, "truncated-last-line").line == 1
    assert report.records == 1
    report = validate_export(spec, write(tmp_path / "w.jsonl", "just some words\n"))
    assert only(report, RECORDS, "wrong-format").line == 1
    assert report.records == 0


def test_truncated_last_csv_row(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "csv")
    text = f"id,name,holder_id\nL1,甲,{id_number(1)}"
    report = validate_export(spec, write(tmp_path / "a.csv", text))
    assert only(report, ENCODING, "truncated-last-line").line == 2
    assert report.records == 1


def test_undeclarable_encoding_is_reported(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl", encoding="latin-1")
    report = validate_export(spec, write(tmp_path / "l.jsonl", jsonl([rec(1)])))
    assert only(report, ENCODING, "unknown-encoding").severity is Severity.ERROR


# ---------------------------------------------------------------- keys and caps


def test_duplicate_keys_name_both_places(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    records = [rec(1), rec(2), rec(3), rec(2, name="again")]
    report = validate_export(spec, write(tmp_path / "l.jsonl", jsonl(records)))
    issue = only(report, UNIQUE_KEYS, "duplicate-key")
    assert issue.line == 4
    assert "line 4" in issue.message
    assert "first at line 2" in issue.message
    assert "id='L0002'" in issue.message
    assert report.failed(UNIQUE_KEYS)
    assert not report.failed(RECORDS)


def test_duplicate_composite_and_long_keys(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl", key=("id", "note"))
    long_note = "长" * 100  # hashed, not stored
    records = [rec(1, note=long_note), rec(1, note="short"), rec(1, note=long_note)]
    report = validate_export(spec, write(tmp_path / "l.jsonl", jsonl(records)))
    issue = only(report, UNIQUE_KEYS, "duplicate-key")
    assert issue.line == 3
    assert "first at line 1" in issue.message


def test_duplicate_keys_csv_and_xml(folder: Path, tmp_path: Path) -> None:
    csv_spec = make_spec(folder / "c", "csv")
    text = f"id,name,holder_id\nL1,a,{id_number(1)}\nL2,b,{id_number(2)}\nL1,c,{id_number(3)}\n"
    issue = only(
        validate_export(csv_spec, write(tmp_path / "a.csv", text)), UNIQUE_KEYS, "duplicate-key"
    )
    assert issue.row == 3
    assert "first at row 1" in issue.message
    xml_spec = make_spec(folder / "x", "xml")
    rows = xml_rows(5)
    rows[3] = (rows[0][0], *rows[3][1:])
    report = validate_export(xml_spec, write(tmp_path / "a.xml", xml_doc(rows)))
    issue = only(report, UNIQUE_KEYS, "duplicate-key")
    assert issue.xpath == "/Licences/Licence[4]"
    assert "first at /Licences/Licence[1]" in issue.message


def test_counts_exact_beyond_the_cap(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    records = [rec(i, count="x") for i in range(1, 251)]
    report = validate_export(spec, write(tmp_path / "l.jsonl", jsonl(records)), max_per_type=100)
    assert report.counts[(RECORDS, "type")] == 250
    assert len(report.issues_for(RECORDS)) == 100
    assert (RECORDS, "type") in report.capped
    assert report.issues_for(RECORDS)[-1].line == 100
    assert report.failed(RECORDS)


def test_errors_per_record_are_bounded(folder: Path, tmp_path: Path) -> None:
    schema = {"type": "object", "additionalProperties": {"type": "integer"}}
    spec = make_spec(folder, "jsonl", key=(), schema=schema)
    record = {f"f{i}": "x" for i in range(80)}
    report = validate_export(spec, write(tmp_path / "l.jsonl", jsonl([record])))
    assert report.counts[(RECORDS, "type")] == 50
    assert only(report, RECORDS, "more-errors").severity is Severity.WARNING


# ---------------------------------------------------------------- bad files


def test_empty_file(folder: Path, tmp_path: Path) -> None:
    formats: tuple[ExportFormat, ...] = ("jsonl", "json", "csv", "xml")
    for fmt in formats:
        spec = make_spec(folder / fmt, fmt)
        for content in ("", "\n  \n"):
            report = validate_export(spec, write(tmp_path / f"e.{fmt}", content))
            assert only(report, RECORDS, "empty-file").severity is Severity.ERROR, fmt
            assert report.records == 0


def test_directory_and_missing_file(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    for path, kind in ((tmp_path, "not-a-file"), (tmp_path / "missing.jsonl", "unreadable")):
        report = validate_export(spec, path)
        issue = only(report, RECORDS, kind)
        assert str(path) in issue.message
        assert not report.complete
        assert report.failed(RECORDS)


def test_non_json_file_is_wrong_format(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    text = "id,name,holder_id\n" + "L1,a,b\n" * 500
    report = validate_export(spec, write(tmp_path / "l.jsonl", text))
    assert sum(report.counts.values()) == 1
    assert only(report, RECORDS, "wrong-format").line == 1
    assert not report.complete
    pretty = json.dumps([rec(1)], indent=2)
    report = validate_export(spec, write(tmp_path / "p.jsonl", pretty))
    assert sum(report.counts.values()) == 1
    assert (RECORDS, "wrong-format") in report.counts
    json_spec = make_spec(folder / "j", "json")
    report = validate_export(json_spec, write(tmp_path / "a.json", "<html>hi</html>"))
    assert "not JSON" in only(report, RECORDS, "wrong-format").message


def test_first_bad_jsonl_line_followed_by_good_is_a_parse_error(
    folder: Path, tmp_path: Path
) -> None:
    spec = make_spec(folder, "jsonl")
    text = '{"id": "L1", oops}\n' + jsonl([rec(2)]) + "\n" + jsonl([rec(3)])
    report = validate_export(spec, write(tmp_path / "l.jsonl", text))
    assert only(report, RECORDS, "parse").line == 1
    assert only(report, RECORDS, "blank-line").line == 3
    assert report.records == 3


def test_binary_file_is_wrong_format(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "csv")
    report = validate_export(spec, write(tmp_path / "a.csv", b"PK\x03\x04\x00\x00binary"))
    assert "NUL" in only(report, RECORDS, "wrong-format").message


def test_json_not_an_array(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "json")
    report = validate_export(spec, write(tmp_path / "a.json", json.dumps({"items": [rec(1)]})))
    issue = only(report, RECORDS, "wrong-format")
    assert "JSON object" in issue.message
    assert "array" in issue.message
    report = validate_export(spec, write(tmp_path / "b.json", '"text"'))
    assert "scalar" in only(report, RECORDS, "wrong-format").message


def test_json_array_syntax_errors(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "json")
    cases = {
        "[\n" + json.dumps(rec(1)) + ",\n]\n": 3,  # trailing comma
        "[\n" + json.dumps(rec(1)) + "\n" + json.dumps(rec(2)) + "]": 3,  # missing comma
        "[\n" + json.dumps(rec(1)) + ",\n" + json.dumps(rec(2))[:-4]: 3,  # cut short
        "[\n" + json.dumps(rec(1)) + "]\n]": 3,  # data after the end
        "[\n" + json.dumps(rec(1)) + ',\n{"id": NaN}]': 3,  # not JSON
    }
    for index, (text, line) in enumerate(cases.items()):
        report = validate_export(spec, write(tmp_path / f"{index}.json", text))
        assert only(report, RECORDS, "parse").line == line, text
        assert report.complete is (index == 3), text  # only trailing data is read past


def test_deep_nesting_is_an_error_not_a_crash(folder: Path, tmp_path: Path) -> None:
    schema = {"type": ["object", "array"]}
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    very_deep = "[" * 100_000 + "]" * 100_000
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    spec = make_spec(folder, "jsonl", key=(), schema=schema)
    text = "\n".join([ok, deep, very_deep, '{"s": "' + "[" * 500 + '"}']) + "\n"
    report = validate_export(spec, write(tmp_path / "l.jsonl", text))
    assert report.counts[(RECORDS, "too-deep")] == 2
    assert sorted(i.line or 0 for i in report.issues) == [2, 3]
    json_spec = make_spec(folder / "j", "json", key=(), schema=schema)
    text = "[" + ",\n".join([ok, deep, very_deep, "{}"]) + "]"
    report = validate_export(json_spec, write(tmp_path / "a.json", text))
    assert report.counts[(RECORDS, "too-deep")] == 2
    assert report.records == 4


def test_oversized_jsonl_line_is_skipped(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    huge = json.dumps(rec(2, note="x" * (RECORD_LIMIT + 10)))
    text = jsonl([rec(1)]) + huge + "\n" + jsonl([rec(3, count="x")])
    report = validate_export(spec, write(tmp_path / "l.jsonl", text))
    assert only(report, RECORDS, "record-too-large").line == 2
    assert only(report, RECORDS, "type").line == 3
    assert report.records == 3


@pytest.mark.parametrize("extra", [10, 600_000])  # parsed then refused / skipped unparsed
def test_oversized_json_record_is_skipped(folder: Path, tmp_path: Path, extra: int) -> None:
    spec = make_spec(folder, "json")
    big = {"nested": [{"s": 'q"\\' * 10}, "y" * (RECORD_LIMIT + extra)]}
    records = [rec(1), rec(2, note=big), rec(3, count="x")]
    text = "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n"
    report = validate_export(spec, write(tmp_path / "a.json", text))
    assert only(report, RECORDS, "record-too-large").line == 3
    assert only(report, RECORDS, "type").line == 4
    assert report.records == 3


def test_unusable_schema_is_reported(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl", schema={"type": 12})
    report = validate_export(spec, write(tmp_path / "l.jsonl", jsonl([rec(1)])))
    assert only(report, RECORDS, "schema").severity is Severity.ERROR
    assert not report.complete


def test_unusable_xml_settings_are_reported(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "xml")
    path = write(tmp_path / "a.xml", xml_doc(xml_rows(1)))
    bad_format = ExportSpec(**{**spec.__dict__, "field_formats": {"Holder/IdNumber": "nope"}})
    assert "'nope'" in only(validate_export(bad_format, path), RECORDS, "schema").message
    spec.schema_path.write_text("<xs:schema", encoding="utf-8")
    report = validate_export(spec, path)
    assert "licence.xsd" in only(report, RECORDS, "schema").message
    unknown = ExportSpec(**{**spec.__dict__, "format": "yaml"})
    assert only(validate_export(unknown, path), RECORDS, "wrong-format").severity is Severity.ERROR


def test_fifo_is_unreadable_without_blocking(folder: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    report = validate_export(make_spec(folder, "jsonl"), fifo)
    assert "a FIFO (named pipe), not a regular file" in only(report, RECORDS, "not-a-file").message


def test_progress_is_reported(folder: Path, tmp_path: Path) -> None:
    spec = make_spec(folder, "jsonl")
    path = write(tmp_path / "l.jsonl", jsonl([rec(i) for i in range(1, 50)]))
    calls: list[tuple[int, int]] = []
    validate_export(spec, path, progress=lambda done, total: calls.append((done, total)))
    size = path.stat().st_size
    assert calls
    assert calls[-1] == (size, size)
    assert all(done <= total == size for done, total in calls)


def test_issue_location_texts() -> None:
    def issue(**where: Any) -> ExportIssue:
        return ExportIssue(RECORDS, "type", Severity.ERROR, "m", file="f", **where)

    assert issue(line=3).location() == "f:3"
    assert issue(row=12, line=13).location() == "f row 12"
    assert issue(xpath="/A/B[2]", line=4).location() == "f:4 /A/B[2]"  # line and place
    assert issue(xpath="/A/B[2]").location() == "f /A/B[2]"  # no line known
    assert issue(byte_offset=9).location() == "f byte 9"
