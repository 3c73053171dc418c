"""Open objects (no ``additionalProperties``) keep the fast paths, and report exactly what
the exact checker alone reports.

Most published schemas leave their objects open: a member the schema does not name may hold
anything, nested as deep as the file likes. The typed path reads such records with msgspec
skipping those members; a line whose record leaves members out is read whole for names given
twice, and one that may nest past the exact checker's bound goes to it. The block path
counts the brackets of each line of such a schema. Every file here is validated by default
and with ``paths=()`` (the exact checker alone); the reports must be identical.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pytest

from conformance.exports import validate_export
from conformance.exports._fast import build_fast_validator
from conformance.exports._readers import MAX_DEPTH
from conformance.exports._validate import DEFERRED_LINES
from conformance.validation import schema_validator
from tests.test_exports import make_spec

RECORDS = "export_records"
OPEN_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://standards.example.gov.cn/open/1.0/record.schema.json",
    "type": "object",
    "required": ["id", "name", "holder"],
    "properties": {
        "id": {"type": "string", "pattern": "^R[0-9]{6}$"},
        "name": {"type": "string", "minLength": 2},
        "mobile": {"type": "string", "format": "cn-mobile"},
        "holder": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"type": "string", "enum": ["person", "org"]}},
        },
    },
}


def _summary(report: Any) -> tuple[Any, ...]:
    issues = [
        (i.check, i.kind, i.line, i.pointer, i.value, i.message, i.byte_offset)
        for i in report.issues
    ]
    return report.records, dict(report.counts), issues


def _record(i: int) -> dict[str, Any]:
    return {"id": f"R{i:06d}", "name": f"Holder {i}", "holder": {"kind": "person"}}


def _line(i: int) -> str:
    """A record, most valid, some with members the schema does not name (deep ones too),
    some with a name given twice or a wrong value."""
    record = _record(i)
    text = json.dumps(record, ensure_ascii=False)
    if i % 7 == 1:
        record["note"] = f"free text {i}"
        record["holder"]["since"] = {"year": 2000 + i % 20, "tags": ["a", "b"]}
        text = json.dumps(record, ensure_ascii=False)
    elif i % 97 == 3:  # an unknown member nested past the exact checker's bound
        deep = "[" * (MAX_DEPTH + 20) + "]" * (MAX_DEPTH + 20)
        text = text[:-1] + f', "deep": {deep}}}'
    elif i % 89 == 5:  # nested objects, deep but within bounds for msgspec too
        deep = '{"a": ' * (MAX_DEPTH - 10) + "1" + "}" * (MAX_DEPTH - 10)
        text = text[:-1] + f', "deep": {deep}}}'
    elif i % 53 == 7:  # an unknown member given twice
        text = text[:-1] + ', "extra": 1, "extra": 2}'
    elif i % 59 == 9:  # a known member given twice
        text = text[:-1] + ', "name": "Second Name"}'
    elif i % 61 == 11:
        text = text.replace('"person"', '"nobody"')
    elif i % 67 == 13:
        record["mobile"] = "12345"
        text = json.dumps(record, ensure_ascii=False)
    return text


def _deep_lines(count: int) -> list[int]:
    """The lines :func:`_line` nests past the bound (the first matching case wins)."""
    return [i for i in range(count) if i % 7 != 1 and i % 97 == 3]


def _compare(tmp_path: Path, schema: dict[str, Any], lines: list[str]) -> Any:
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema, key=("id",))
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    default = validate_export(spec, path, max_per_type=10_000)
    exact = validate_export(spec, path, paths=(), max_per_type=10_000)
    assert _summary(default) == _summary(exact)
    return default


def _typed_and_found(report: Any, kinds: tuple[str, ...], typed: int = 2000) -> None:
    """The typed path took more than ``typed`` records, and each kind of fault was found."""
    assert "(typed)" in report.validation_path
    assert report.paths["typed"] > typed, report.paths
    for kind in kinds:
        assert report.counts[(RECORDS, kind)] > 0, report.counts


def test_open_objects_take_the_typed_path_and_report_as_the_exact_checker(
    tmp_path: Path,
) -> None:
    report = _compare(tmp_path, OPEN_SCHEMA, [_line(i) for i in range(3000)])
    assert "(typed)" in report.validation_path  # the path under test took records
    counts = report.counts
    assert counts[(RECORDS, "too-deep")] == len(_deep_lines(3000))
    twice = [i for i in range(3000) if i % 53 == 7 or (i % 59 == 9 and i % 53 != 7)]
    twice = [i for i in twice if i % 7 != 1 and i % 97 != 3 and i % 89 != 5]
    assert counts[(RECORDS, "duplicate-member")] == len(twice)
    assert counts[(RECORDS, "enum")] > 0
    assert counts[(RECORDS, "format:cn-mobile")] > 0


def test_a_typed_chunk_with_a_deep_free_member_goes_to_the_next_acceptor(
    tmp_path: Path,
) -> None:
    """Every line holds a free member; one is nested past MAX_DEPTH: reported as too deep,
    never accepted as valid."""
    lines = []
    for i in range(400):
        record = _record(i)
        record["free"] = {"n": i}
        lines.append(json.dumps(record))
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    lines[150] = lines[150][:-1] + f', "deep": {deep}}}'
    report = _compare(tmp_path, OPEN_SCHEMA, lines)
    assert report.counts[(RECORDS, "too-deep")] == 1
    assert [i.line for i in report.issues if i.kind == "too-deep"] == [151]


def test_the_records_own_pattern_properties_leave_other_members_to_the_block_path(
    tmp_path: Path,
) -> None:
    """The record's own ``patternProperties``: lines holding only the members it names take
    the typed path; the others (an ``x-`` member, members the schema leaves free, deep
    ones) go to the block path, which counts brackets."""
    schema = {**OPEN_SCHEMA, "patternProperties": {"^x-": {"type": "string"}}}
    lines = [_line(i) for i in range(2000)]
    lines[10] = lines[10][:-1] + ', "x-code": 5}'
    report = _compare(tmp_path, schema, lines)
    assert "(blocks)" in report.validation_path
    assert "(typed)" in report.validation_path
    assert report.counts[(RECORDS, "too-deep")] == len(_deep_lines(2000))


def test_a_line_deferred_twice_in_one_block_is_reported_once(tmp_path: Path) -> None:
    """More refused lines in one block than a flush holds: a name given twice in a refused
    line is reported once, in line order (a flush in the middle of a block reported it
    twice and out of order)."""
    schema = {**OPEN_SCHEMA, "additionalProperties": False}
    count = DEFERRED_LINES * 3
    lines = []
    for i in range(count):
        text = json.dumps({**_record(i), "unexpected": i})  # every line refused
        if i % 10 == 0:
            text = text[:-1] + ', "twice": 1, "twice": 2}'
        lines.append(text)
    report = _compare(tmp_path, schema, lines)
    duplicates = [i.line for i in report.issues if i.kind == "duplicate-member"]
    assert duplicates == [i + 1 for i in range(0, count, 10)]


def test_csv_under_an_open_schema_keeps_the_column_checks(tmp_path: Path) -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "string", "pattern": "^R[0-9]{6}$"},
            "name": {"type": "string", "minLength": 2},
            "mobile": {"type": "string", "format": "cn-mobile"},
        },
    }
    spec = make_spec(tmp_path / "std", "csv", schema=schema, key=("id",))
    rows = ["id,name,mobile"]
    for i in range(500):
        mobile = "12345" if i % 50 == 3 else "13800138000"
        name = "x" if i % 70 == 5 else f"Name {i}"
        rows.append(f"R{i:06d},{name},{mobile}")
    path = tmp_path / "records.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    default = validate_export(spec, path)
    exact = validate_export(spec, path, paths=())
    assert _summary(default) == _summary(exact)
    assert "(columns)" in default.validation_path
    assert default.counts[(RECORDS, "format:cn-mobile")] == 10


# ---------------------------------------------------------------- other published idioms

NULLABLE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id"],
    "unevaluatedProperties": False,
    "$defs": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}},
    "properties": {
        "id": {"type": "string", "pattern": "^R[0-9]{6}$"},
        "mobile": {"anyOf": [{"type": "string", "format": "cn-mobile"}, {"type": "null"}]},
        "country": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/code"}]},
        "level": {"anyOf": [{"type": "string", "enum": ["low", "high"]}, {"type": "null"}]},
        "version": {"oneOf": [{"type": "string", "const": "v1"}, {"type": "null"}]},
        "score": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
        "ratio": {"anyOf": [{"type": "number", "minimum": 0, "maximum": 100}, {"type": "null"}]},
        "weight": {"type": ["null", "number"], "exclusiveMinimum": 0},
    },
}


def _nullable_line(i: int) -> str:
    record: dict[str, Any] = {"id": f"R{i:06d}"}
    choices: dict[str, list[Any]] = {
        "mobile": ["13800138000", None, "12345", 7],
        "country": ["CHN", None, "cn", 1],
        "level": ["low", None, "mid", False],
        "version": ["v1", None, "v2", []],
        "score": [3, None, -1, "3"],
        "ratio": [12.5, None, 150, "7"],
        "weight": [2, None, 0, "1"],
    }
    for n, (name, values) in enumerate(choices.items()):
        pick = (i // (n + 1)) % 11
        if pick < 6:
            record[name] = values[0]
        elif pick < 9:
            record[name] = values[1]
        elif i % 13 == n:  # a wrong value now and then, of the right type or not
            record[name] = values[2 + (i % 2)]
    if i % 41 == 0:
        record["unexpected"] = True
    return json.dumps(record)


def test_nullable_leaves_and_unevaluated_properties_keep_the_typed_path(
    tmp_path: Path,
) -> None:
    """``anyOf``/``oneOf`` of a leaf and null (the idiom of generated schemas) and a root
    closed by ``unevaluatedProperties: false``: typed, and reported as the exact checker."""
    report = _compare(tmp_path, NULLABLE_SCHEMA, [_nullable_line(i) for i in range(3000)])
    assert "(typed)" in report.validation_path
    counts = report.counts
    assert counts[(RECORDS, "unevaluatedProperties")] == len(range(0, 3000, 41))
    for kind in ("anyOf", "oneOf", "exclusiveMinimum", "type"):  # each kind of fault found
        assert counts[(RECORDS, kind)] > 0


def test_a_nullable_reference_in_another_file_is_reported_as_the_exact_checker_does(
    tmp_path: Path,
) -> None:
    """An ``anyOf`` of a ``$ref`` and null, inside an object of a second schema file (the
    ``$ref`` relative to that file): its errors are reported as the exact checker reports
    them."""
    spec = make_spec(tmp_path / "std", "jsonl", key=("id",), schema={})
    common = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://standards.example.gov.cn/open/1.0/defs/common.schema.json",
        "$defs": {
            "mobile": {"type": "string", "format": "cn-mobile"},
            "holder": {
                "type": "object",
                "properties": {"m": {"anyOf": [{"$ref": "#/$defs/mobile"}, {"type": "null"}]}},
            },
        },
    }
    (spec.schema_path.parent / "defs").mkdir()
    (spec.schema_path.parent / "defs" / "common.schema.json").write_text(json.dumps(common))
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://standards.example.gov.cn/open/1.0/record.schema.json",
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "holder": {"$ref": "defs/common.schema.json#/$defs/holder"},
        },
    }
    spec.schema_path.write_text(json.dumps(schema))
    mobiles = ["13800138000", None, "12345"]
    lines = [json.dumps({"id": f"R{i}", "holder": {"m": mobiles[i % 3]}}) for i in range(300)]
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    default = validate_export(spec, path)
    exact = validate_export(spec, path, paths=())
    assert _summary(default) == _summary(exact)
    assert default.counts[(RECORDS, "anyOf")] == 100
    # worded by the error locator (no branch holds: python-jsonschema's own words, without
    # descending into the branches from the wrong base), not by a whole-record run
    slow = schema_validator(spec.schema_path)
    fast = build_fast_validator(spec.schema_path, spec.schema_path.parent, slow, 50)
    assert fast is not None
    assert fast.locator is not None
    bad = {"id": "R2", "holder": {"m": "12345"}}
    located = fast.locator.errors(bad)
    assert located is not None
    assert [(e.message, list(e.absolute_path), list(e.absolute_schema_path)) for e in located] == [
        (e.message, list(e.absolute_path), list(e.absolute_schema_path))
        for e in slow.iter_errors(bad)
    ]


def _nullable_row(i: int, holes: bool = True) -> str:
    """A CSV row under NULLABLE_SCHEMA's columns: most cells valid, some empty (``holes``),
    now and then a wrong one (a cell never holds a null: only an empty cell may read as
    one)."""
    cells = {
        "mobile": ["13800138000", "", "12345"],
        "country": ["CHN", "", "cn"],
        "level": ["low", "", "mid"],
        "version": ["v1", "", "v2"],
        "score": ["3", "", "-1"],
        "ratio": ["12.5", "", "150"],
        "weight": ["2", "", "0"],
    }
    row = [f"R{i:06d}"]
    for n, values in enumerate(cells.values()):
        pick = (i // (n + 1)) % 11
        hole = values[1] if holes else values[0]
        row.append(values[0] if pick < 6 else hole if pick < 9 or i % 13 != n else values[2])
    return ",".join(row)


@pytest.mark.parametrize("empty", ["absent", "null", "empty-string"])
def test_csv_reads_the_nullable_idiom_with_its_column_checks(
    tmp_path: Path, empty: Literal["null", "empty-string", "absent"]
) -> None:
    """The columns of ``anyOf``/``oneOf`` of a leaf and null keep the CSV column checks,
    whatever an empty cell reads as, and report what the exact checker alone reports (an
    empty cell read as "" is a wrong value of most leaves: no such cell then)."""
    spec = make_spec(tmp_path / "std", "csv", schema=NULLABLE_SCHEMA, key=("id",), empty=empty)
    header = "id,mobile,country,level,version,score,ratio,weight"
    rows = [_nullable_row(i, holes=empty != "empty-string") for i in range(2000)]
    path = tmp_path / "records.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    default = validate_export(spec, path)
    exact = validate_export(spec, path, paths=())
    assert _summary(default) == _summary(exact)
    assert default.paths["columns"] > 1500, default.validation_path
    for kind in ("anyOf", "oneOf", "exclusiveMinimum"):  # each kind of fault found
        assert default.counts[(RECORDS, kind)] > 0


NULLABLE_OBJECTS: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "holder"],
    "additionalProperties": False,
    "$defs": {
        "holder": {
            "type": "object",
            "required": ["kind"],
            "properties": {
                "kind": {"type": "string", "enum": ["person", "org"]},
                "mobile": {"type": "string", "format": "cn-mobile"},
                "uscc": {"type": "string", "format": "cn-uscc"},
            },
            "oneOf": [{"required": ["mobile"]}, {"required": ["uscc"]}],
        },
    },
    "properties": {
        "id": {"type": "string", "pattern": "^R[0-9]{6}$"},
        "holder": {"anyOf": [{"$ref": "#/$defs/holder"}, {"type": "null"}]},
        "agent": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/holder"}]},
        "tags": {
            "anyOf": [
                {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2,8}$"}},
                {"type": "null"},
            ]
        },
    },
}


def _nullable_object_line(i: int) -> str:
    holders: list[Any] = [
        {"kind": "person", "mobile": "13800138000"},
        None,
        {"kind": "org", "uscc": "91110000600037341L"},
        {"kind": "person", "mobile": "12345"},  # a wrong value inside
        {"kind": "nobody", "mobile": "13800138000"},  # not in the enum
        {"kind": "org"},  # neither mobile nor uscc: the oneOf inside
        "somebody",  # neither an object nor null
    ]
    record: dict[str, Any] = {"id": f"R{i:06d}", "holder": holders[0 if i % 5 else i // 5 % 7]}
    if i % 3 == 0:
        record["agent"] = holders[(i // 3) % 7] if i % 9 == 0 else None
    if i % 4 == 1:
        record["tags"] = None if i % 8 == 1 else ["ab", "cd" if i % 24 != 5 else "C!"]
    return json.dumps(record)


def test_nullable_objects_and_arrays_keep_the_typed_path(tmp_path: Path) -> None:
    """``anyOf``/``oneOf`` of an object (or an array) and null: typed, its columns and
    presence rules checked where it is not null, and reported as the exact checker."""
    report = _compare(tmp_path, NULLABLE_OBJECTS, [_nullable_object_line(i) for i in range(3000)])
    _typed_and_found(report, ("anyOf", "oneOf"))  # faults inside the objects and arrays


UNIQUE_AND_NOT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "name"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^R[0-9]{6}$"},
        "name": {"type": "string", "not": {"enum": ["", "N/A"]}},
        "code": {"type": "string", "pattern": "^[A-Z0-9]{4}$", "not": {"pattern": "^0+$"}},
        "tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}},
        "ranks": {"type": "array", "uniqueItems": True, "items": {"type": "integer"}},
        "kinds": {"type": "array", "uniqueItems": True, "items": {"enum": ["a", "b", "c"]}},
    },
}


def _unique_and_not_line(i: int) -> str:
    record: dict[str, Any] = {
        "id": f"R{i:06d}",
        "name": ["Ann", "", "N/A", "Bo"][i % 4 if i % 7 == 0 else 0],
    }
    if i % 3:
        record["code"] = ["AB12", "0000", "ab12"][i % 3 if i % 11 == 0 else 0]
    if i % 2:
        record["tags"] = [["x", "y"], ["x", "x"], []][i % 3 if i % 13 == 0 else 0]
    if i % 5:
        record["ranks"] = [[1, 2, 3], [2, 2], [1, True]][i % 3 if i % 17 == 0 else 0]
    if i % 4:
        record["kinds"] = [["a", "b"], ["c", "c"]][1 if i % 19 == 0 else 0]
    return json.dumps(record)


def test_unique_items_of_scalars_and_a_plain_not_keep_the_typed_path(tmp_path: Path) -> None:
    """``uniqueItems`` over strings, integers or an enum, and ``not`` holding no reference
    or format: typed (the lists themselves a column), and reported as the exact checker."""
    lines = [_unique_and_not_line(i) for i in range(3000)]
    report = _compare(tmp_path, UNIQUE_AND_NOT, lines)
    _typed_and_found(report, ("uniqueItems", "not"))


ROOT_CONDITIONS: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "kind"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^R[0-9]{6}$"},
        "kind": {"type": "string", "enum": ["person", "org", "other"]},
        "mobile": {"type": "string", "format": "cn-mobile"},
        "uscc": {"type": "string", "format": "cn-uscc"},
    },
    "if": {"properties": {"kind": {"const": "org"}}, "required": ["kind"]},
    "then": {"required": ["uscc"], "properties": {"mobile": False}},
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "person"}}, "required": ["kind"]},
            "then": {"required": ["mobile"]},
        }
    ],
}


def _root_condition_line(i: int) -> str:
    records: list[dict[str, Any]] = [
        {"kind": "person", "mobile": "13800138000"},
        {"kind": "org", "uscc": "91110000600037341L"},
        {"kind": "other"},
        {"kind": "org"},  # then: uscc required
        {"kind": "org", "uscc": "91110000600037341L", "mobile": "13800138000"},  # forbidden
        {"kind": "person"},  # then: mobile required
        {"kind": "person", "mobile": "12345"},  # a wrong value
        {"kind": "nobody", "mobile": "13800138000"},  # no such kind
    ]
    pick = i % 3 if i % 7 else 3 + (i // 7) % 5
    return json.dumps({"id": f"R{i:06d}", **records[pick]})


def test_root_if_then_on_a_tag_keeps_the_typed_path(tmp_path: Path) -> None:
    """``if``/``then`` on the record's own tag, alone or in ``allOf``: the records are
    tag-selected variants, typed (keyed by a property every variant holds), and reported
    as the exact checker reports them."""
    lines = [_root_condition_line(i) for i in range(3000)]
    report = _compare(tmp_path, ROOT_CONDITIONS, lines)
    _typed_and_found(report, ("required", "false", "format:cn-mobile", "enum"))
