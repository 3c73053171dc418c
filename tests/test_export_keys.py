"""Key handling lives in one place (``exports/_keys.py``): the unique-key check and the
cross-export reference check agree whichever format holds the records (JSON Lines, JSON,
CSV, XML) and whichever validation path reads them (the fast paths or the exact one)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.exports import (
    REFERENCES,
    UNIQUE_KEYS,
    ExportReport,
    ExportRules,
    apply_rules,
    validate_export,
)
from conformance.exports._keys import (
    KeyHashes,
    hash_key_rows,
    hash_keys,
    key_hash,
    key_token,
    single_hash,
)
from conformance.exports._rules import Reference
from conformance.standards.model import CsvOptions, ExportFormat, ExportSpec, Text

FORMATS: tuple[ExportFormat, ...] = ("jsonl", "json", "csv", "xml")
PATHS = ("all", "exact")  # every registered acceptor, or the exact checker alone

_STRING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["code", "ref"],
    "properties": {"code": {"type": "string"}, "ref": {"type": "string"}},
    "additionalProperties": False,
}
_INTEGER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["code", "ref"],
    "properties": {"code": {"type": "integer"}, "ref": {"type": "integer"}},
    "additionalProperties": False,
}
_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:example:items"
           xmlns="urn:example:items" elementFormDefault="qualified">
  <xs:element name="Item">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="code" type="xs:string"/>
        <xs:element name="ref" type="xs:string"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


def _spec(
    folder: Path,
    name: str,
    fmt: ExportFormat,
    schema: dict[str, Any],
    key: tuple[str, ...] = ("code",),
    empty: str = "absent",
) -> ExportSpec:
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "xml":
        schema_path = folder / f"{name}.xsd"
        schema_path.write_text(_XSD, encoding="utf-8")
    else:
        schema_path = folder / f"{name}.schema.json"
        schema_path.write_text(json.dumps(schema), encoding="utf-8")
    return ExportSpec(
        name=name,
        title=Text("条目", "Items"),
        format=fmt,
        schema_path=schema_path,
        clauses=("KEY-001",),
        key=key,
        record_element="Item" if fmt == "xml" else None,
        csv=CsvOptions(empty=empty),  # type: ignore[arg-type]
    )


def _write(path: Path, fmt: ExportFormat, records: list[dict[str, Any]]) -> Path:
    if fmt == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    elif fmt == "json":
        text = json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["code", "ref"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        text = out.getvalue()
    else:
        body = "".join(
            f"  <Item><code>{r['code']}</code><ref>{r['ref']}</ref></Item>\n" for r in records
        )
        head = '<?xml version="1.0" encoding="UTF-8"?>\n<Items xmlns="urn:example:items">\n'
        text = f"{head}{body}</Items>\n"
    path.write_text(text, encoding="utf-8")
    return path


def _validate(spec: ExportSpec, path: Path, paths: str) -> ExportReport:
    return validate_export(spec, path, paths=() if paths == "exact" else None)


def _duplicates(report: ExportReport) -> tuple[int, list[str]]:
    issues = [i for i in report.issues if i.check == UNIQUE_KEYS]
    assert all(i.kind == "duplicate-key" for i in issues), issues
    return report.counts[(UNIQUE_KEYS, "duplicate-key")], sorted(str(i.value) for i in issues)


def _string_records(count: int) -> list[dict[str, Any]]:
    records = [{"code": f"C{i:05d}", "ref": ""} for i in range(count)]
    records[40]["code"] = records[3]["code"]  # a duplicate early, in the first block
    records[count - 1]["code"] = records[200]["code"]  # and one in the last
    records[count - 2]["code"] = records[200]["code"]  # seen three times
    for i, record in enumerate(records):
        record["ref"] = records[(i * 7) % count]["code"]
    records[17]["ref"] = "C99999"  # names no record
    records[count - 5]["ref"] = "c00001"  # case counts: names no record
    return records


@pytest.mark.parametrize("paths", PATHS)
def test_unique_keys_agree_across_formats(tmp_path: Path, paths: str) -> None:
    records = _string_records(600)
    found = {}
    for fmt in FORMATS:
        spec = _spec(tmp_path / fmt, "items", fmt, _STRING_SCHEMA)
        report = _validate(spec, _write(tmp_path / f"items.{fmt}", fmt, records), paths)
        assert report.records == len(records), (fmt, report.issues[:3])
        if paths == "exact":
            assert not report.paths, report.paths
            assert report.validation_path == "exact (paths=none)"
        else:  # the acceptors really took records (what they took is named)
            assert sum(report.paths.values()) >= len(records) - 3, (fmt, report.paths)
            assert not report.validation_path.startswith("exact"), report.validation_path
        found[fmt] = _duplicates(report)
    assert found["jsonl"][0] == 3
    assert all(value == found["jsonl"] for value in found.values()), found


@pytest.mark.parametrize("paths", PATHS)
def test_references_agree_across_formats(tmp_path: Path, paths: str) -> None:
    records = _string_records(300)
    counts: dict[tuple[str, str], list[str]] = {}
    for target_fmt in FORMATS:
        target = _spec(tmp_path / f"t-{target_fmt}", "targets", target_fmt, _STRING_SCHEMA)
        target_path = _write(tmp_path / f"targets.{target_fmt}", target_fmt, records)
        for fmt in FORMATS:
            spec = _spec(tmp_path / f"s-{fmt}", "items", fmt, _STRING_SCHEMA)
            path = _write(tmp_path / f"items.{fmt}", fmt, records)
            report = _validate(spec, path, paths)
            files = {"targets": (target, target_path), "items": (spec, path)}
            rules = ExportRules(references=(Reference("ref", "targets", "code"),))
            apply_rules(spec, report, rules, files, None, cap=100)
            missing = [i.value or "" for i in report.issues if i.check == REFERENCES]
            counts[(target_fmt, fmt)] = sorted(missing)
    assert counts[("jsonl", "jsonl")] == ["'C99999'", "'c00001'"]
    assert all(value == counts[("jsonl", "jsonl")] for value in counts.values()), counts


BIG = 2**64  # beyond 64 bits: orjson reads a float, Python's json and msgspec an int


def _integer_records(count: int) -> list[dict[str, Any]]:
    records = [{"code": i, "ref": 0} for i in range(count)]
    records[10]["code"] = BIG
    records[20]["code"] = BIG + 1  # the same number once read as orjson reads it
    records[30]["code"] = -(2**63) - 1
    records[count - 1]["code"] = -(2**63) - 2
    records[50]["code"] = records[5]["code"]
    for i, record in enumerate(records):
        record["ref"] = records[(i * 7) % count]["code"]
    records[60]["ref"] = BIG  # names the record with BIG + 1 too (same token)
    records[70]["ref"] = count + 100  # names no record
    return records


@pytest.mark.parametrize("paths", PATHS)
def test_number_keys_agree_across_formats_and_paths(tmp_path: Path, paths: str) -> None:
    """Integers beyond 64 bits are compared as the float orjson reads, whichever reader
    read them (the token and the hash normalise alike): one answer for every format."""
    records = _integer_records(400)
    found = {}
    missing = {}
    for fmt in ("jsonl", "json", "csv"):
        spec = _spec(tmp_path / fmt, "items", fmt, _INTEGER_SCHEMA)
        path = _write(tmp_path / f"items.{fmt}", fmt, records)
        report = _validate(spec, path, paths)
        assert report.records == len(records), (fmt, report.issues[:3])
        found[fmt] = _duplicates(report)[0]
        rules = ExportRules(references=(Reference("ref", "items", "code"),))
        apply_rules(spec, report, rules, {"items": (spec, path)}, None, cap=100)
        missing[fmt] = sorted(str(i.value) for i in report.issues if i.check == REFERENCES)
    assert found == {"jsonl": 3, "json": 3, "csv": 3}, found
    assert missing == {fmt: ["500"] for fmt in missing}, missing


def test_one_hash_for_every_reader() -> None:
    """The hash and the token of a key come from one place and normalise alike."""
    assert single_hash(BIG + 1) == single_hash(float(BIG)) == key_hash([BIG + 1])
    assert key_token([BIG + 1]) == key_token([float(BIG)])
    assert hash_keys(["a", 1, BIG + 1]) == [single_hash("a"), single_hash(1), single_hash(BIG)]
    assert single_hash("a") == key_hash(["a"])
    with pytest.raises(TypeError):
        hash_keys([[1]])
    hashes = KeyHashes()
    hashes.extend([BIG, BIG + 1, "x"])
    hashes.add([float(BIG)])
    assert hashes.candidates() == frozenset({single_hash(BIG)})


def test_the_registry_names_every_path_and_refuses_unknown_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``paths=`` is the public seam that chooses the acceptors: an unknown name, or a path
    without the one it builds on, is refused by name; ``()`` is the exact checker alone."""
    from conformance.exports import EXACT_ONLY_ENV, VALIDATION_PATHS

    names = [path.name for path in VALIDATION_PATHS]
    assert names == ["typed", "blocks", "columns", "records", "compiled", "batches", "csv-blocks"]
    spec = _spec(tmp_path / "jsonl", "items", "jsonl", _STRING_SCHEMA)
    path = _write(tmp_path / "items.jsonl", "jsonl", _string_records(300))
    with pytest.raises(ValueError, match="'fastest'"):
        validate_export(spec, path, paths=("fastest",))
    with pytest.raises(ValueError, match="'typed' builds on 'records'"):
        validate_export(spec, path, paths=("typed",))
    only = validate_export(spec, path, paths=("records",))
    assert set(only.paths) == {"records"}
    assert only.validation_path == (
        f"accepted by jsonschema-rs (records) {only.paths['records']}; "
        "the exact checker decides the rest (paths=records)"
    )
    exact = validate_export(spec, path, paths=())
    assert exact.validation_path == "exact (paths=none)"
    assert _duplicates(exact) == _duplicates(only)
    monkeypatch.setenv(EXACT_ONLY_ENV, "1")
    by_env = validate_export(spec, path)
    assert by_env.validation_path == f"exact ({EXACT_ONLY_ENV}=1)"
    assert not by_env.paths
    assert validate_export(spec, path, paths=("records",)).paths  # the argument wins


@pytest.mark.parametrize("paths", ["all", "exact"])
def test_a_zero_key_is_a_key_on_every_csv_path(tmp_path: Path, paths: str) -> None:
    """A number key column converted a column at a time keeps 0 (falsy, but a key) and
    compares keys as the records hold them: 0 twice is one duplicate, on every path."""
    records: list[dict[str, Any]] = [{"code": i % 300, "ref": 0} for i in range(400)]
    records.append({"code": "", "ref": 0})  # an empty key cell: the column has a hole
    spec = _spec(tmp_path / "zero", "items", "csv", _INTEGER_SCHEMA)
    report = _validate(spec, _write(tmp_path / "items.csv", "csv", records), paths)
    assert report.records == 401
    count, values = _duplicates(report)
    assert count == 100
    assert "code=0" in values


# ---------------------------------------------------------------- keys of several fields

PAIR = ("code", "ref")


def _placed(report: ExportReport) -> list[tuple[str, str, int | None, int | None]]:
    """The duplicates reported, with their wording (both places) and location."""
    return [
        (str(i.value), i.message, i.line, i.row) for i in report.issues if i.check == UNIQUE_KEYS
    ]


def _pair_records(count: int) -> list[dict[str, Any]]:
    records = [{"code": f"C{i // 3:04d}", "ref": f"R{i % 3}"} for i in range(count)]
    records[40] = dict(records[3])  # a duplicate pair early
    records[count - 1] = dict(records[200])  # one in the last window
    records[count - 2] = dict(records[200])  # seen three times
    records[60] = {"code": records[6]["code"], "ref": "R9"}  # one field alike: no duplicate
    records[70] = {"code": "R0", "ref": "C0000"}  # the fields swapped: no duplicate
    return records


@pytest.mark.parametrize("paths", PATHS)
def test_multi_field_keys_agree_across_formats_and_paths(tmp_path: Path, paths: str) -> None:
    """A key of two fields finds the same duplicates (values, both places) in every format
    and on every path; the CSV column path hashes it a column-tuple at a time."""
    records = _pair_records(600)
    found = {}
    for fmt in FORMATS:
        spec = _spec(tmp_path / fmt, "items", fmt, _STRING_SCHEMA, key=PAIR)
        path = _write(tmp_path / f"items.{fmt}", fmt, records)
        report = _validate(spec, path, paths)
        assert report.records == len(records), (fmt, report.issues[:3])
        if paths == "all" and fmt == "csv":  # the columns took the rows, keys and all
            assert report.paths.get("columns", 0) >= len(records) - 3, report.paths
        exact = _validate(spec, path, "exact")
        assert _placed(report) == _placed(exact), fmt
        found[fmt] = _duplicates(report)
    assert found["jsonl"][0] == 3
    assert "code='C0001', ref='R0'" in found["jsonl"][1]
    assert all(value == found["jsonl"] for value in found.values()), found


def _number_pair_records(count: int) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = [{"code": i, "ref": i % 7} for i in range(count)]
    records[10] = {"code": BIG, "ref": 1}
    records[20] = {"code": BIG + 1, "ref": 1}  # the same key as orjson reads it
    records[30] = {"code": BIG + 1, "ref": 2}  # another ref: no duplicate
    records[40] = {"code": 0, "ref": 0}  # 0 twice (falsy, but a key)
    records[50] = {"code": 3, "ref": 5}  # (3, 5) against (5, 3): no duplicate
    records[51] = {"code": 5, "ref": 3}
    records[count - 1] = {"code": -(2**63) - 1, "ref": 4}
    records[count - 2] = {"code": -(2**63) - 1, "ref": 4}
    return records


@pytest.mark.parametrize("paths", PATHS)
def test_multi_field_number_keys_agree_across_formats_and_paths(tmp_path: Path, paths: str) -> None:
    """Number fields of a key are compared as the records hold them, big integers as the
    float orjson reads, whichever reader and path read them."""
    records = _number_pair_records(400)
    found = {}
    for fmt in ("jsonl", "json", "csv"):
        spec = _spec(tmp_path / fmt, "items", fmt, _INTEGER_SCHEMA, key=PAIR)
        path = _write(tmp_path / f"items.{fmt}", fmt, records)
        report = _validate(spec, path, paths)
        assert report.records == len(records), (fmt, report.issues[:3])
        if paths == "all" and fmt == "csv":
            assert report.paths.get("columns", 0) >= len(records) - 3, report.paths
        assert _placed(report) == _placed(_validate(spec, path, "exact")), fmt
        found[fmt] = _duplicates(report)
    # the counts agree (a big integer is shown as its reader read it: orjson a float)
    assert {fmt: count for fmt, (count, _) in found.items()} == dict.fromkeys(found, 3), found
    assert all("code=0, ref=0" in values for _, values in found.values()), found


_LOOSE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["code", "ref"],
    "properties": {"code": {"type": "string"}, "ref": {"type": ["integer", "string"]}},
    "additionalProperties": False,
}


@pytest.mark.parametrize("empty", ["absent", "null", "empty-string"])
def test_csv_multi_field_keys_with_empty_cells_agree_on_both_paths(
    tmp_path: Path, empty: str
) -> None:
    """Empty key cells (absent, null or "" as the CSV options say), a number field that is
    an integer in some rows and text in others ("01" is not 1): the column path reports
    exactly what the exact path reports."""
    rows = [{"code": f"C{i % 150}", "ref": i // 150} for i in range(450)]
    rows[5] = {"code": "", "ref": 1}
    rows[6] = {"code": "", "ref": 1}  # the same empty code twice
    rows[7] = {"code": "C7", "ref": ""}
    rows[8] = {"code": "C7", "ref": ""}
    rows[9] = {"code": "C1", "ref": "01"}  # text, not the integer 1 of row 151
    rows[10] = {"code": "C1", "ref": "01"}
    rows[11] = {"code": "C2", "ref": str(BIG + 1)}
    rows[12] = {"code": "C2", "ref": str(BIG)}  # as orjson reads it: the same key
    spec = _spec(tmp_path / empty, "items", "csv", _LOOSE_SCHEMA, key=PAIR, empty=empty)
    path = _write(tmp_path / "items.csv", "csv", rows)
    fast = _validate(spec, path, "all")
    exact = _validate(spec, path, "exact")
    assert fast.paths.get("columns", 0) > 0, fast.paths
    assert _placed(fast) == _placed(exact)
    count, values = _duplicates(exact)
    assert "code='C1', ref='01'" in values
    assert "code='C1', ref=1" not in values  # row 151's key is seen once
    keyed_empty = {"absent": 0, "null": 2, "empty-string": 2}[empty]
    assert count == 2 + keyed_empty, values


def test_multi_field_hashes_come_from_one_place() -> None:
    """A key of several fields hashes as the tuple of its values (big integers as orjson
    reads them), a column-tuple at a time or a record at a time alike; the token tells
    apart what only collides (1, 1.0, True and "1")."""
    columns: list[list[Any]] = [["a", "a", "a", "a", "a"], [1, BIG + 1, 1.0, True, "1"]]
    assert hash_key_rows(columns) == [key_hash(list(row)) for row in zip(*columns, strict=True)]
    assert key_hash(["a", BIG + 1]) == key_hash(["a", float(BIG)])
    assert key_token(["a", BIG + 1]) == key_token(["a", float(BIG)])
    assert key_hash(["a", 1]) == key_hash(["a", 1.0]) == key_hash(["a", True])
    tokens = {key_token(["a", value]) for value in (1, 1.0, True, "1")}
    assert len(tokens) == 4
    assert key_token(["a", "b"]) != key_token(["b", "a"])
    assert key_hash(["a", [1]]) == hash(key_token(["a", [1]]))  # unhashable: its token
    with pytest.raises(TypeError):
        hash_key_rows([["a"], [[1]]])
    assert hash_key_rows([["a", "b"]]) == [single_hash("a"), single_hash("b")]
