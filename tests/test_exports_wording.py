"""The fixed and per-error costs cut outside the acceptors change no finding: the schema
check jsonschema-rs answers first, the error locator's format callbacks, refused records."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema_specifications import REGISTRY

from conformance.exports import RECORDS, validate_export
from conformance.exports._fast import (
    META_2020_12,
    METASCHEMA_FORMATS,
    _used_formats,
    build_fast_validator,
    surely_valid_schema,
)
from conformance.validation import schema_validator
from tests.test_exports import RECORD_SCHEMA, id_number, jsonl, make_spec, rec, write


def _formats(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("format"), str):
                found.add(item["format"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def test_metaschema_formats_are_those_the_2020_12_vocabularies_name() -> None:
    meta = REGISTRY.contents(META_2020_12)
    named = _formats(meta)
    for vocabulary in meta["allOf"]:
        named |= _formats(REGISTRY.contents(urljoin(META_2020_12, vocabulary["$ref"])))
    assert named == METASCHEMA_FORMATS


BAD_SCHEMAS: list[Any] = [
    {"type": 12},
    {"properties": {"a": {"minLength": -1}}},
    {"type": "object", "properties": {"a": {"type": "string", "pattern": "\\p{Han}+"}}},
    {"patternProperties": {"(": {"type": "string"}}},
    {"$defs": {"x": {"pattern": "[a-"}}},
]


@pytest.mark.parametrize("schema", BAD_SCHEMAS)
def test_a_schema_check_characterises_bad_schemas_as_python_jsonschema(schema: Any) -> None:
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema(schema)
    assert not surely_valid_schema(schema, Draft202012Validator)


@pytest.mark.parametrize(
    "schema",
    [
        {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{}]},  # another dialect
        {"$schema": "https://example.com/meta", "type": "object"},
        {"minimum": object()},  # nothing JSON holds
    ],
)
def test_schemas_jsonschema_rs_cannot_answer_for_go_to_python_jsonschema(schema: Any) -> None:
    assert not surely_valid_schema(schema, Draft202012Validator)


def test_a_valid_schema_skips_python_jsonschema() -> None:
    schema = {**RECORD_SCHEMA, "patternProperties": {"^x-[a-z]+$": {"type": "string"}}}
    Draft202012Validator.check_schema(schema)
    assert surely_valid_schema(schema, Draft202012Validator)


@pytest.mark.parametrize("schema", BAD_SCHEMAS)
def test_an_unusable_schema_is_worded_by_python_jsonschema(
    schema: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema)
    path = write(tmp_path / "l.jsonl", jsonl([rec(1)]))
    with pytest.raises(SchemaError) as raised:
        schema_validator(spec.schema_path).check_schema(schema)
    first = str(raised.value.message).strip().splitlines()[0]
    found = [i for i in validate_export(spec, path).issues if i.kind == "schema"]
    assert [i.message for i in found] == [
        f"record schema {spec.schema_path.name} is unusable: {first}"[:400]
    ]


def test_used_formats_reach_every_document() -> None:
    documents = {
        "file:///a.json": {"properties": {"x": {"$ref": "b.json#/$defs/y"}, "format": {}}},
        "file:///b.json": {"$defs": {"y": {"format": "cn-mobile"}, "z": [{"format": "date"}]}},
    }
    assert _used_formats(documents) == {"cn-mobile", "date"}


def test_located_errors_in_a_referenced_document_keep_their_format(tmp_path: Path) -> None:
    """A format named only in another document still has its exact callback: the record's
    two errors are both found, as the exact path finds them."""
    folder = tmp_path / "std"
    spec = make_spec(folder, "jsonl")
    (folder / "parts.schema.json").write_text(
        json.dumps({"$defs": {"holder": {"type": "string", "format": "cn-id-number"}}}),
        encoding="utf-8",
    )
    schema = json.loads(spec.schema_path.read_text(encoding="utf-8"))
    schema["properties"]["holder_id"] = {"$ref": "parts.schema.json#/$defs/holder"}
    spec.schema_path.write_text(json.dumps(schema), encoding="utf-8")
    wrong = id_number(3)[:-1] + ("0" if id_number(3)[-1] != "0" else "1")
    records = [rec(1), rec(2, holder_id=wrong, count="x"), rec(3)]
    path = write(tmp_path / "l.jsonl", jsonl(records))

    def seen(paths: Any) -> list[tuple[Any, ...]]:
        report = validate_export(spec, path, paths=paths)
        return [(i.kind, i.line, i.pointer, i.message) for i in report.issues]

    found = seen(None)
    assert found == seen(())
    assert {kind for kind, *_ in found} == {"format:cn-id-number", "type"}


@pytest.mark.parametrize("cap", [2, 100])
def test_errors_at_the_same_places_in_many_records_are_worded_each(
    tmp_path: Path, cap: int
) -> None:
    """The error locator remembers where each keyword's errors are worded, never what: every
    record's own values, paths and counts, as the exact path reports them."""
    spec = make_spec(tmp_path / "std", "jsonl")
    wrong = [id_number(i)[:-1] + ("0" if id_number(i)[-1] != "0" else "1") for i in range(40)]
    records = []
    for i in range(1, 120):
        changes: dict[str, Any] = {}
        if i % 3 == 0:
            changes["holder_id"] = wrong[i % 40]
        if i % 4 == 0:
            changes["count"] = f"c{i}"
        if i % 5 == 0:
            changes["name"] = ""
        if i % 7 == 0:
            changes["extra"] = i  # additionalProperties: the whole-record wording
        records.append(rec(i, **changes))
    path = write(tmp_path / "l.jsonl", jsonl(records))

    found = _seen(spec, path, None, cap)
    assert found == _seen(spec, path, (), cap)
    assert found[1][(RECORDS, "type")] == 119 // 4


def _seen(spec: Any, path: Path, paths: Any, cap: int) -> tuple[Any, ...]:
    """Everything a report says about the records: issues, counts and cause counts."""
    report = validate_export(spec, path, paths=paths, max_per_type=cap)
    issues = [
        (i.kind, i.line, i.pointer, i.schema_path, i.value, i.message, i.params, i.cause)
        for i in report.issues
    ]
    return issues, dict(report.counts), dict(report.cause_counts)


NESTED = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        "holder": {"$ref": "#/$defs/holder"},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "meta": {
            "type": "object",
            "patternProperties": {"^x-": {"type": "string"}},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
    "$defs": {
        "holder": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "additionalProperties": False,
        }
    },
}


def _extra_members(i: int) -> dict[str, Any]:
    record: dict[str, Any] = {"id": f"R{i}", "holder": {"name": "n"}}
    if i % 2:
        record["other"] = i  # the root's additionalProperties: false
    if i % 3 == 0:
        record["holder"] = {"name": "n", "age": i, "/~odd": 1}  # through a $ref
    if i % 5 == 0:
        record["tags"] = {"a": i}  # a subschema: the whole-record wording
    if i % 7 == 0:
        record["meta"] = {"x-a": "v", "y": 1}  # with patternProperties: whole record too
    if i % 11 == 0:
        record["id"] = i  # and a type error besides
    return record


def test_members_additional_properties_refuse_are_worded_as_the_exact_path(
    tmp_path: Path,
) -> None:
    spec = make_spec(tmp_path / "std", "jsonl", schema=NESTED)
    path = write(tmp_path / "l.jsonl", jsonl([_extra_members(i) for i in range(1, 80)]))

    found = _seen(spec, path, None, 5)
    assert found == _seen(spec, path, (), 5)
    assert found[1][(RECORDS, "additionalProperties")] > 40


def test_the_locator_words_a_false_additional_properties_itself(tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "std", "jsonl", schema=NESTED)
    slow = schema_validator(spec.schema_path)
    fast = build_fast_validator(spec.schema_path, spec.schema_path.parent, slow, 20)
    assert fast is not None
    assert fast.locator is not None
    locator = fast.locator

    def wording(errors: Any) -> list[tuple[Any, ...]]:
        return sorted(
            (e.validator, tuple(e.absolute_path), tuple(e.absolute_schema_path), e.message)
            for e in errors
        )

    worded = 0
    for i in range(1, 80):
        value = _extra_members(i)
        errors = locator.errors(value)
        if errors is not None:
            worded += 1
            assert wording(errors) == wording(slow.iter_errors(value)), value
        elif (i % 2 or i % 3 == 0) and i % 5 and i % 7:  # an extra member, and neither a
            # subschema nor patternProperties broken
            pytest.fail(f"record {i} left to the whole-record wording: {value}")
    assert worded > 30


def test_a_pattern_re_warns_about_is_left_to_python_jsonschema(tmp_path: Path) -> None:
    """Warnings are errors here (as pytest runs): ``re``'s FutureWarning on a nested set
    stops python-jsonschema's check, and the export says so, as before."""
    schema = {"type": "object", "properties": {"id": {"type": "string", "pattern": "[[a]"}}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        re.purge()  # the warning comes with a compilation, not from re's cache
        assert not surely_valid_schema(schema, Draft202012Validator)
        spec = make_spec(tmp_path / "std", "jsonl", schema=schema)
        re.purge()
        found = [
            i.message for i in validate_export(spec, write(tmp_path / "l.jsonl", "{}\n")).issues
        ]
    assert len(found) == 1
    assert "is unusable: Possible nested set" in found[0]


_SCALARS = st.one_of(
    st.integers(-3, 3),
    st.floats(-2, 2, allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(
        [
            "string",
            "object",
            "[a-",
            "^a+$",
            "(?P<x>a)",
            "\\d",
            "#/$defs/a",
            "a",
            META_2020_12,
            "date",
            "1a",
            "#x",
            "\\p{Han}",
        ]
    ),
)


def _schemas() -> st.SearchStrategy[Any]:
    """Schemas mostly well-formed, with a wrong value here and there (half of them pass)."""
    names = st.lists(st.sampled_from(["a", "b", "^x", "a"]), max_size=3)

    def members(schema: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        by_keyword: dict[str, st.SearchStrategy[Any]] = {
            "type": st.sampled_from(["string", "object", "integer", "strin"]),
            "pattern": st.sampled_from(["^a+$", "\\d", "[a-", "(?P<x>a)", "\\p{Han}"]),
            "minLength": st.sampled_from([0, 2, 1.0, -1, 1.5]),
            "required": names,
            "properties": st.dictionaries(st.sampled_from(["a", "b"]), schema, max_size=2),
            "patternProperties": st.dictionaries(
                st.sampled_from(["^a", "[", "\\w+"]), schema, max_size=2
            ),
            "items": schema,
            "anyOf": st.lists(schema, max_size=2),
            "$defs": st.dictionaries(st.sampled_from(["a", "b"]), schema, max_size=2),
            "$ref": st.sampled_from(["#/$defs/a", "#", "a b"]),
            "$anchor": st.sampled_from(["x", "1a"]),
            "$schema": st.sampled_from([META_2020_12, "http://json-schema.org/draft-07/schema#"]),
            "enum": st.lists(_SCALARS, max_size=3),
            "format": st.sampled_from(["date", "cn-mobile", 5]),
            "dependentRequired": st.dictionaries(st.sampled_from(["a"]), names, max_size=1),
            "x-extra": _SCALARS,
        }
        return st.sampled_from(sorted(by_keyword)).flatmap(
            lambda k: (
                st.tuples(st.just(k), st.one_of(by_keyword[k], _SCALARS))
                if k in ("type", "minLength", "items")  # sometimes a wrong kind of value
                else st.tuples(st.just(k), by_keyword[k])
            )
        )

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(st.booleans(), st.lists(members(inner), max_size=4).map(dict))

    return st.lists(members(st.recursive(st.just({}), extend, max_leaves=8)), max_size=5).map(dict)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(_schemas())
def test_a_schema_jsonschema_rs_vouches_for_passes_python_jsonschema(schema: Any) -> None:
    if surely_valid_schema(schema, Draft202012Validator):
        Draft202012Validator.check_schema(schema)


def test_a_false_schema_is_reported_as_false(tmp_path: Path) -> None:
    """python-jsonschema names no keyword for a false schema (its ``validator`` is None) and
    leaves out the member it was reached through: the finding's kind is ``false``, its
    catalog message ``schema.false``, and it names the member, on every path."""
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "legacy": False},
    }
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema)
    lines = [{"id": f"R{i}", **({"legacy": 1} if i % 50 == 7 else {})} for i in range(400)]
    path = write(tmp_path / "records.jsonl", jsonl(lines))
    for paths in (None, ()):
        report = validate_export(spec, path, paths=paths)
        found = [issue for issue in report.issues if issue.check == RECORDS]
        assert len(found) == 8
        assert {issue.kind for issue in found} == {"false"}
        assert {issue.params["schema"].id for issue in found} == {"schema.false"}
        assert {(issue.pointer, issue.schema_path) for issue in found} == {
            ("/legacy", "/properties/legacy")
        }
