"""The typed path of JSON Lines records (msgspec) accepts only what the slow path accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.exports import RECORDS, UNIQUE_KEYS, validate_export
from conformance.exports._fast import build_fast_validator
from conformance.exports._typed import build_typed_records
from conformance.formats import FORMATS
from conformance.standards.loader import load_standard
from conformance.validation import schema_validator
from tests.conftest import SetReadLimits
from tests.test_exports import make_spec
from tests.test_exports_fast import LICENCE, _licence_records, _spec_of_rows

SCHEMA = LICENCE / "schemas" / "licence.schema.json"
CHECKS = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


def _taken(typed: Any, lines: list[bytes]) -> tuple[list[tuple[int, Any]], int]:
    """(line index, record) of each line the typed path accepts; how many it refused."""
    accepted, refused = typed.accepted(lines)
    taken = [i for i in range(len(lines)) if i not in refused]
    return list(zip(taken, accepted, strict=True)), len(refused)


def test_the_licence_schema_gets_a_typed_path_with_its_columns() -> None:
    typed = build_typed_records(SCHEMA, LICENCE, "licence_id")
    assert typed is not None
    checked = sorted(c.wrong_check.__name__ for c in typed.columns if c.wrong_check is not None)
    # holder.id_number, holder.uscc and issuer.uscc carry check characters
    assert checked == ["id_numbers_wrong", "usccs_wrong", "usccs_wrong"]
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in _licence_records()]
    accepted, refused = typed.accepted(lines)
    assert refused == []
    assert len(accepted) == len(lines)
    assert [typed.key(r) for r in accepted] == [r["licence_id"] for r in _licence_records()]


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        ["person", "organisation", "valid", "BL", "2024-02-29", "2023-02-29", "", "x" * 101]
    ),
    st.sampled_from(["2024-01-01 00:00:00+08:00", "2024-01-01T00:00:00+0800"]),
    st.sampled_from(["2024-01-01T23:59:60Z", "330106198803150027", "91330106MA2H7Q4K08"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
PLACES = [
    (),
    ("holder",),
    ("issuer",),
]
NAMES = [
    "licence_id",
    "licence_type",
    "name",
    "holder",
    "issuer",
    "division_code",
    "issue_date",
    "valid_until",
    "status",
    "updated_at",
    "type",
    "id_number",
    "uscc",
    "extra",
]


@st.composite
def mutated_lines(draw: st.DrawFn) -> bytes:
    """A licence record, changed in a few places, written in one of several spellings."""
    record = json.loads(json.dumps(draw(st.sampled_from(_licence_records()))))
    for _ in range(draw(st.integers(0, 3))):
        place = record
        for step in draw(st.sampled_from(PLACES)):
            place = place.get(step) if isinstance(place, dict) else None
        if not isinstance(place, dict):
            continue
        name = draw(st.sampled_from(NAMES))
        if draw(st.booleans()):
            place.pop(name, None)
        else:
            place[name] = draw(values)
    spelling = draw(st.sampled_from(["plain", "ascii", "duplicate", "float", "spaces"]))
    if spelling == "ascii":
        return json.dumps(record).encode()
    text = json.dumps(record, ensure_ascii=False)
    if spelling == "duplicate" and record:
        name = draw(st.sampled_from(sorted(record)))
        other = json.dumps(draw(values), ensure_ascii=False)
        first = draw(st.booleans())
        pair = f'"{name}": {other}'
        text = "{" + pair + ", " + text[1:] if first else text[:-1] + ", " + pair + "}"
    elif spelling == "float":
        text = text.replace(": 0", ": 0.0", 1)
    elif spelling == "spaces":
        text = " " + text.replace(", ", " ,\t") + " \r"
    return text.encode()


def test_typed_path_accepts_only_what_python_jsonschema_accepts() -> None:
    typed = build_typed_records(SCHEMA, LICENCE, "licence_id")
    fast = build_fast_validator(SCHEMA, LICENCE)
    assert typed is not None
    assert fast is not None
    slow = schema_validator(SCHEMA)
    outcomes = {"accepted": 0, "refused": 0}

    @CHECKS
    @given(st.lists(mutated_lines(), min_size=1, max_size=6))
    def sound(lines: list[bytes]) -> None:
        taken, refused = _taken(typed, lines)
        for index, record in taken:
            value = orjson.loads(lines[index])  # the fast path parses what msgspec took
            assert fast.check(value), lines[index]
            assert not list(slow.iter_errors(value)), lines[index]
            assert typed.key(record) == value["licence_id"]
        outcomes["accepted"] += len(taken)
        outcomes["refused"] += refused

    sound()
    assert outcomes["accepted"] > 50
    assert outcomes["refused"] > 50


def test_typed_path_refuses_lines_the_parsers_disagree_on() -> None:
    typed = build_typed_records(SCHEMA, LICENCE, "licence_id")
    assert typed is not None
    good = json.dumps(_licence_records()[0], ensure_ascii=False)
    lines = [
        good.encode(),
        good.replace('"name": "', '"name": "\\ud800', 1).encode(),  # lone surrogate
        good.replace('"name": "', '"name": "\xff', 1).encode("latin-1", "replace"),
        good.encode()[:-1],  # truncated
        b"",
        good.replace('"name": "', '"name": "\x01', 1).encode(),  # control character
    ]
    accepted, refused = typed.accepted(lines)
    assert len(accepted) == 1
    assert refused == [1, 2, 3, 4, 5]


def test_msgspec_dates_accept_only_what_the_date_format_accepts() -> None:
    import datetime as dt

    decode = msgspec.json.Decoder(dt.date).decode

    @CHECKS
    @given(
        st.one_of(
            FORMATS["date"].valid(),
            FORMATS["date"].invalid(),
            st.text("0123456789-+T: Z", max_size=12),
        )
    )
    def agree(text: str) -> None:
        try:
            date = decode(json.dumps(text).encode())
        except msgspec.ValidationError:
            return
        assert FORMATS["date"].check(text) is None, text
        assert date.isoformat() == text  # (a rule tests a date's value as this text)

    agree()


def _write(tmp_path: Path, name: str, schema: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "schema",
    [
        {  # the names of the record's own members
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "propertyNames": {"maxLength": 3},
        },
        {  # a conditional on a nested object's members
            "type": "object",
            "properties": {"a": {"type": "object"}, "b": {"type": "string"}},
            "if": {"properties": {"a": {"required": ["x"]}}},
            "then": {"required": ["b"]},
        },
        {"type": "array"},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["b"],
            "properties": {"a": {"type": "string"}},
        },
    ],
)
def test_records_beyond_the_subset_get_no_typed_path(
    tmp_path: Path, schema: dict[str, Any]
) -> None:
    path = _write(tmp_path, "s.schema.json", schema)
    assert build_typed_records(path, tmp_path, None) is None


# Members no msgspec type says: each is read as JSON and checked whole by jsonschema-rs
# (an opaque column), the rest of the record keeps its types. (value, valid?) pairs.
OPAQUE_MEMBERS: list[tuple[dict[str, Any], list[tuple[Any, bool]]]] = [
    (
        {"type": "number", "multipleOf": 0.5},
        [(1.5, True), (2, True), (1.25, False), ("1", False)],
    ),
    (
        {"type": "number", "maximum": 2**60},  # past exact floats
        [(2**59, True), (2**61, False), (1.5, True)],
    ),
    (  # unique objects (unique strings, numbers or enums are typed)
        {"type": "array", "items": {"type": "object"}, "uniqueItems": True},
        [([{"a": 1}, {"a": 2}], True), ([{"a": 1}, {"a": 1}], False), ([1], False)],
    ),
    (  # unique dates: msgspec reads them as date objects
        {"type": "array", "items": {"type": "string", "format": "date"}, "uniqueItems": True},
        [(["2024-01-01", "2024-01-02"], True), (["2024-01-01"] * 2, False), (["x"], False)],
    ),
    (  # a not naming a format: the format's own check decides, as on the exact path
        {"type": "string", "not": {"format": "email"}},
        [("plain", True), ("a@b.cn", False), (3, False)],
    ),
    (
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        [("s", True), (3, True), (1.5, False), (None, False)],
    ),
    ({}, [(None, True), ({"deep": [1, [2]]}, True), ("s", True)]),
    (  # a map of names by language
        {
            "type": "object",
            "patternProperties": {"^[a-z]{2}$": {"type": "string", "maxLength": 4}},
            "additionalProperties": False,
        },
        [({"zh": "名", "en": "name"}, True), ({"zhx": "x"}, False), ({"en": "names"}, False)],
    ),
    (  # an object of one of two shapes, told apart by their members
        {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["email"],
                    "properties": {"email": {"format": "email"}},
                },
                {
                    "type": "object",
                    "required": ["phone"],
                    "properties": {"phone": {"format": "cn-mobile"}},
                },
            ]
        },
        [({"email": "a@b.cn"}, True), ({"phone": "13800138000"}, True), ({"phone": "1"}, False)],
    ),
    (  # a conditional on a nested object's member
        {
            "type": "object",
            "properties": {
                "place": {"type": "object", "properties": {"country": {"type": "string"}}},
                "code": {"type": "string"},
            },
            "if": {"properties": {"place": {"properties": {"country": {"const": "CN"}}}}},
            "then": {"properties": {"code": {"format": "cn-postcode"}}},
        },
        [
            ({"place": {"country": "CN"}, "code": "100000"}, True),
            ({"place": {"country": "CN"}, "code": "x"}, False),
            ({"place": {"country": "US"}, "code": "x"}, True),
        ],
    ),
    (  # a pair
        {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "maxItems": 2},
        [([116.4, 39.9], True), ([1, 2, 3], False), (["a", 1], False)],
    ),
    (  # a value given by reference beside a keyword of its own
        {"$ref": "#/$defs/code", "maxLength": 4},
        [("AB12", True), ("AB123", False), ("ab", False)],
    ),
]


@pytest.mark.parametrize(("member", "cases"), OPAQUE_MEMBERS)
def test_members_beyond_the_subset_are_checked_whole_and_exactly(
    tmp_path: Path, member: dict[str, Any], cases: list[tuple[Any, bool]]
) -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "n": {"type": "integer"}, "a": member},
        "$defs": {"code": {"type": "string", "pattern": "^[A-Z]+[0-9]*$"}},
    }
    path = _write(tmp_path, "s.schema.json", schema)
    typed = build_typed_records(path, tmp_path, "id")
    assert typed is not None
    assert [column.opaque for column in typed.columns] == [True]
    lines = [json.dumps({"id": f"R{i}", "n": i, "a": v}).encode() for i, (v, _) in enumerate(cases)]
    accepted, refused = typed.accepted(lines)
    assert refused == [i for i, (_, valid) in enumerate(cases) if not valid]
    assert len(accepted) == sum(valid for _, valid in cases)
    # and the whole validation, by default and by the exact checker alone
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema, key=("id",))
    export = tmp_path / "r.jsonl"
    export.write_bytes(b"\n".join(lines * 3) + b"\n")
    default, exact = validate_export(spec, export), validate_export(spec, export, paths=())
    assert default.paths.get("typed") == 3 * len(accepted)
    assert [(i.line, i.pointer, i.message) for i in default.issues] == [
        (i.line, i.pointer, i.message) for i in exact.issues
    ]
    assert default.counts == exact.counts


@pytest.mark.parametrize(
    ("member", "good", "value"),
    [
        ({}, 1, 2**70),  # beyond 64 bits: orjson (the fast path) reads a float
        ({"type": "array", "prefixItems": [{"multipleOf": 3}]}, [3], [2**64 + 2]),
        ({}, [[1]], json.loads("[" * 250 + "]" * 250)),  # past the records' depth bound
        (  # 201 deep with the record and the member
            {"type": "object", "patternProperties": {"^x$": {}}},
            {"x": [1]},
            {"x": json.loads("[" * 199 + "]" * 199)},
        ),
    ],
)
def test_opaque_members_leave_what_orjson_reads_otherwise_to_the_other_paths(
    tmp_path: Path, member: dict[str, Any], good: Any, value: Any
) -> None:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"id": {"type": "string"}, "a": member},
    }
    path = _write(tmp_path, "s.schema.json", schema)
    typed = build_typed_records(path, tmp_path, "id")
    assert typed is not None
    lines = [json.dumps({"id": f"R{i}", "a": v}).encode() for i, v in enumerate([good, value])]
    assert typed.accepted(lines)[1] == [1]
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema, key=("id",))
    export = tmp_path / "r.jsonl"
    export.write_bytes(b"\n".join(lines) + b"\n")
    default, exact = validate_export(spec, export), validate_export(spec, export, paths=())
    assert [(i.line, i.pointer, i.message) for i in default.issues] == [
        (i.line, i.pointer, i.message) for i in exact.issues
    ]
    assert default.counts == exact.counts


def test_typed_path_reports_exactly_what_the_other_paths_report(tmp_path: Path) -> None:
    spec = load_standard(LICENCE).export("licences-jsonl")
    base = _licence_records()
    lines = []
    for number in range(3000):
        record = json.loads(json.dumps(base[number % len(base)]))
        record["licence_id"] = f"BL-2020-{number:06d}"
        if number % 37 == 0:
            record["status"] = "cancelled"
        if number % 53 == 0 and record["holder"]["type"] == "person":
            record["holder"]["id_number"] = record["holder"]["id_number"][:17] + "0"
        if number % 59 == 0:
            record["issuer"]["uscc"] = record["issuer"]["uscc"][:17] + "Z"
        if number % 61 == 0:
            record["updated_at"] = record["updated_at"].replace("T", " ")
        if number % 67 == 0:
            record["holder"]["uscc"] = "91110000600037341L"  # forbidden beside id_number?
        lines.append(json.dumps(record, ensure_ascii=number % 97 == 0))
    lines[5] = lines[4]  # a duplicate key
    lines[300] = "[" * 300 + "]" * 300  # too deep
    lines[301] = "{not json"
    lines[302] = ""  # blank
    lines[400] = json.dumps({**json.loads(lines[400]), "licence_id": ["unhashable"]})
    lines[500] = lines[500] + "\r"  # one CRLF line among LF lines
    lines[600] = lines[600].replace('"name": "', '"name": "\\udc00', 1)  # a lone surrogate
    lines[700] = lines[700][:-1] + ', "name": ""}'  # a duplicate property, the last one invalid
    lines[800] = lines[800].replace('"licence_type": "', '"licence_type": 1, "x": "', 1)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    data = data.replace(b'"BL-2020-000900"', b'"BL-2020-000900\xff"')  # invalid UTF-8
    path = tmp_path / "l.jsonl"
    path.write_bytes(data)

    taken: list[Any] = []

    def summary(paths: tuple[str, ...] | None = None) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        taken.append(report.paths)
        issues = [
            (i.check, i.kind, i.line, i.byte_offset, i.pointer, i.message) for i in report.issues
        ]
        return report.records, dict(report.counts), issues

    typed = summary()
    assert taken[-1]["typed"] > 0, taken  # the typed path really ran
    assert typed == summary(("blocks", "records"))  # orjson and jsonschema-rs a block at a time
    assert taken[-1]["blocks"] > 0, taken
    assert typed == summary(("records",))  # line by line
    assert set(taken[-1]) == {"records"}
    assert typed == summary(())  # the exact checker alone
    records, counts, _ = typed
    assert records == 2999
    assert counts[(RECORDS, "enum")] >= len(range(0, 3000, 37))
    assert counts[(UNIQUE_KEYS, "duplicate-key")] == 1


GENERAL = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z]{1,4}$"},
        "kind": {"enum": ["a", "b"]},
        "n": {"type": "integer", "minimum": 0, "maximum": 10},
        "flag": {"type": "boolean"},
        "code": {"type": ["string", "null"], "format": "cn-uscc"},
        "when": {"type": ["string", "null"], "format": "date"},
        "name": {"type": "string", "minLength": 2, "maxLength": 3},
        "sub": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "p": {"type": "string", "format": "cn-id-number"},
                "q": {"const": "x"},
            },
        },
    },
}
CANDIDATES: dict[str, list[Any]] = {
    "id": ["ab", "abcde", "", "AB", 1, None],
    "kind": ["a", "b", "c", None],
    "n": [0, 10, 11, -1, 1.0, 5.5, True, "1", 2**65],
    "flag": [True, False, 0, "true"],
    "code": ["91110000600037341L", "91110000600037341M", None, "", 5],
    "when": ["2024-02-29", "2023-02-29", None, "2024-1-1"],
    "name": ["ab", "abc", "a", "abcd", "\U0001f600\U0001f600", None],
    "sub": [
        {},
        {"p": "11010519491231002X"},
        {"p": "110105194912310021"},
        {"q": "x"},
        {"q": "y"},
        {"p": None},
        {"r": 1},
        [],
        None,
    ],
}


def _drawn_records(
    candidates: dict[str, list[Any]], most: int
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of 1 to 8 records, each member one of its candidates (the first, valid, most
    often: index 0 is drawn by itself and again by pick % len)."""
    return st.lists(
        st.dictionaries(
            st.sampled_from(sorted(candidates)),
            st.one_of(st.just(0), st.integers(0, most)),
            max_size=len(candidates),
        ).map(
            lambda picks: {
                name: candidates[name][pick % len(candidates[name])] for name, pick in picks.items()
            }
        ),
        min_size=1,
        max_size=8,
    )


def test_typed_path_of_a_general_schema_is_sound(tmp_path: Path) -> None:
    path = _write(tmp_path, "g.schema.json", GENERAL)
    typed = build_typed_records(path, tmp_path, "id")
    assert typed is not None
    assert typed.key_optional
    assert len(typed.columns) == 3  # id (pattern), code (check character), sub.p
    slow = schema_validator(path)
    seen = {"accepted": 0, "refused": 0}

    @CHECKS
    @given(_drawn_records(CANDIDATES, 8))
    def sound(records: list[dict[str, Any]]) -> None:
        lines = [json.dumps(r, ensure_ascii=False).encode() for r in records]
        taken, refused = _taken(typed, lines)
        for index, record in taken:
            assert not list(slow.iter_errors(records[index])), records[index]
            key = typed.key(record)
            assert key == records[index].get("id", msgspec.UNSET)
        seen["accepted"] += len(taken)
        seen["refused"] += refused

    sound()
    assert seen["accepted"] > 20
    assert seen["refused"] > 20


NESTED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "lines"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z]{1,4}$"},
        "rate": {"type": "number", "minimum": 0, "maximum": 100},
        "score": {"type": "number", "exclusiveMinimum": -1.5},
        "tags": {"type": "array", "maxItems": 2, "items": {"enum": ["a", "b"]}},
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["sku"],
                "properties": {
                    "sku": {"type": "string", "pattern": "^[A-Z]{2}$"},
                    "who": {"type": "string", "format": "cn-id-number"},
                    "price": {"type": "number", "minimum": 0},
                    "codes": {"type": "array", "items": {"type": "string", "pattern": "^c"}},
                },
            },
        },
    },
}
NESTED_CANDIDATES: dict[str, list[Any]] = {
    "id": ["ab", "abcde", 1],
    "rate": [50, 0, 100, 100.5, -0.0, 1e-300, 1e400, 2**65, True, "5", None],
    "score": [0.5, -1.5, -1, -2, 10**30],
    "tags": [["a"], [], ["a", "b", "a"], ["c"], "a", [None]],
    "lines": [
        [{"sku": "AB"}],
        [{"sku": "AB", "codes": ["c1", "c2"]}, {"sku": "CD", "who": "11010519491231002X"}],
        [],
        [{"sku": "ab"}],
        [{"sku": "AB"}, {"sku": "AB", "who": "110105194912310021"}],
        [{"sku": "AB", "codes": ["c1", "x"]}],
        [{"sku": "AB", "price": -1}, {"sku": "AB", "price": 1.5}],
        [{"sku": "AB", "extra": 1}],
        [{"who": "11010519491231002X"}],
        {"sku": "AB"},
    ],
}


def test_typed_path_of_numbers_and_nested_arrays_is_sound(tmp_path: Path) -> None:
    path = _write(tmp_path, "n.schema.json", NESTED)
    typed = build_typed_records(path, tmp_path, "id")
    assert typed is not None
    assert len(typed.columns) == 4  # id, lines[].sku, lines[].who, lines[].codes[]
    slow = schema_validator(path)
    seen = {"accepted": 0, "refused": 0}

    @CHECKS
    @given(_drawn_records(NESTED_CANDIDATES, 10))
    def sound(records: list[dict[str, Any]]) -> None:
        lines = [json.dumps(r, ensure_ascii=False).encode() for r in records]
        taken, refused = _taken(typed, lines)
        for index, _record in taken:
            assert not list(slow.iter_errors(records[index])), records[index]
        seen["accepted"] += len(taken)
        seen["refused"] += refused
        bad = [i for i, r in enumerate(records) if list(slow.iter_errors(r))]
        assert not {i for i, _ in taken} & set(bad)

    sound()
    assert seen["accepted"] > 20
    assert seen["refused"] > 20


def test_check_characters_stay_aligned_when_bad_values_have_other_lengths() -> None:
    typed = build_typed_records(SCHEMA, LICENCE, "licence_id")
    assert typed is not None
    organisation = next(r for r in _licence_records() if r["holder"]["type"] == "organisation")
    good = organisation["issuer"]["uscc"]
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    lines = []
    for uscc in (good, good[:17], wrong, good + "0", good):
        record = json.loads(json.dumps(organisation))
        record["issuer"]["uscc"] = uscc
        lines.append(json.dumps(record, ensure_ascii=False).encode())
    accepted, refused = typed.accepted(lines)
    assert refused == [1, 2, 3]  # 17 + 19 characters add up, the wrong one in between is found
    assert len(accepted) == 2


ROW_REQUIRED = ["id", "holder_id", "status"]
ROW_PROPERTIES = {
    "id": {"type": "string", "pattern": "^R[0-9]{5}$"},
    "holder_id": {"type": "string", "format": "cn-id-number"},
    "status": {"enum": ["valid", "expired"]},
    "code": {"type": ["string", "null"], "format": "cn-uscc"},
    "when": {"type": "string", "format": "date"},
    "note": {"type": ["string", "null"], "maxLength": 8},
}


def _row_lines() -> list[str]:
    good_id, bad_id = "11010519491231002X", "110105194912310021"
    good_code, bad_code = "91110000600037341L", "91110000600037341M"
    lines = ["id,holder_id,status,code,when,note"]
    for n in range(1, 2601):
        holder = bad_id if n % 53 == 0 else good_id
        holder = "" if n % 71 == 0 else holder  # required: absent, null or "" by mode
        holder = holder[:17] if n % 89 == 0 else holder  # 17 characters
        code = bad_code if n % 59 == 0 else good_code
        code = "" if n % 7 == 0 else code
        code = code + "0" if n % 83 == 0 else code  # 19 characters
        status = "cancelled" if n % 37 == 0 else "valid"
        when = "2023-02-29" if n % 61 == 0 else "2024-02-29"
        when = "" if n % 11 == 0 else when
        note = "" if n % 5 == 0 else ("x" * 9 if n % 67 == 0 else f"n{n}")
        lines.append(f"R{n:05d},{holder},{status},{code},{when},{note}")
    lines[700] = lines[699]  # a duplicate key
    lines[800] = "R00800,,valid"  # too few cells
    lines[900] = 'R00900,11010519491231002X,valid,,,"quoted"'  # a quoted cell: the line path
    lines[1000] = "R01000,11010519491231002X,valid,,,=1+1"  # a formula
    lines[1100:1100] = ["", ""]  # blank lines
    lines[1500] = "R1500,11010519491231002X,valid,,,x"  # the id's pattern
    return lines


@pytest.mark.parametrize("empty", ["absent", "null", "empty-string"])
def test_csv_columns_report_exactly_what_records_report(
    tmp_path: Path, limits: SetReadLimits, empty: str
) -> None:

    spec = _spec_of_rows(tmp_path, ROW_REQUIRED, ROW_PROPERTIES, empty)
    path = tmp_path / "rows.csv"
    path.write_bytes(("\n".join(_row_lines()) + "\n").encode("utf-8"))
    limits(csv_block_bytes=4096)  # blocks without the quoted line

    taken: list[Any] = []

    def summary(paths: tuple[str, ...] | None = None) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        taken.append(report.paths)
        issues = [(i.check, i.kind, i.line, i.row, i.pointer, i.message) for i in report.issues]
        return report.records, dict(report.counts), issues

    columns = summary()
    assert taken[-1]["columns"] > 0  # the column checks really ran
    assert columns == summary(("records", "csv-blocks"))  # records built, checked by jsonschema-rs
    assert not taken[-1]["columns"]
    assert columns == summary(("records",))  # the line path
    assert set(taken[-1]) == {"records"}
    assert columns == summary(())  # the exact checker alone
    records, counts, _ = columns
    assert records == 2600
    assert counts[(RECORDS, "enum")] == len(range(37, 2601, 37))
    assert counts[(UNIQUE_KEYS, "duplicate-key")] == 1
    assert counts[(RECORDS, "format:cn-id-number")] >= len(range(53, 2601, 53)) - 2


ONE_OF_ROW = {
    "id": {"type": "string", "pattern": "^R[0-9]{5}$"},
    "id_number": {"type": "string", "format": "cn-id-number"},
    "passport": {"type": "string", "pattern": "^[EG][0-9]{8}$"},
    "country": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "count": {"type": "integer", "minimum": 0},
    "rate": {"type": "number", "minimum": -100, "maximum": 100},
    "share": {"type": "number", "multipleOf": 0.5},
}


def _one_of_lines() -> list[str]:
    lines = ["id,id_number,passport,country,count,rate,share"]
    for number in range(1, 2601):
        person = number % 3 != 0
        cells = [
            f"R{number:05d}",
            "11010519491231002X" if person else "",
            "" if person else "E12345678",
            "" if person else "USA",
            str(number),
            f"-{number % 100}.5" if number % 4 else str(number % 100),
            f"{number % 7}.5" if number % 2 else str(number % 7),
        ]
        if number % 41 == 0:
            cells[2], cells[3] = "E00000001", "GBR"  # both branches
        if number % 43 == 0:
            cells[1] = cells[2] = ""  # neither
        if number % 47 == 0:
            cells[4] = "-3"  # a negative count (a signed number, not a formula)
        if number % 53 == 0:
            cells[5] = "100.25"
        if number % 59 == 0:
            cells[6] = "0.25"  # not a multiple of 0.5
        if number % 61 == 0:
            cells[4] = "1.0"  # not an integer cell
        if number % 67 == 0:
            cells[5] = "1e999"  # a float() of it is infinite
        if number % 71 == 0:
            cells[4] = "=1+1"  # a formula
        lines.append(",".join(cells))
    return lines


@pytest.mark.parametrize("empty", ["absent", "null"])
def test_csv_columns_of_numbers_and_a_oneof_report_exactly_what_records_report(
    tmp_path: Path, limits: SetReadLimits, empty: str
) -> None:
    spec = _spec_of_rows(tmp_path, ["id"], ONE_OF_ROW, empty)
    schema = json.loads(spec.schema_path.read_text(encoding="utf-8"))
    schema["oneOf"] = [{"required": ["id_number"]}, {"required": ["passport", "country"]}]
    spec.schema_path.write_text(json.dumps(schema), encoding="utf-8")
    path = tmp_path / "rows.csv"
    path.write_bytes(("\n".join(_one_of_lines()) + "\n").encode("utf-8"))
    limits(csv_block_bytes=4096)

    taken: list[Any] = []

    def summary(paths: tuple[str, ...] | None = None) -> tuple[Any, ...]:
        report = validate_export(spec, path, paths=paths)
        taken.append(report.paths)
        issues = [(i.check, i.kind, i.line, i.row, i.pointer, i.message) for i in report.issues]
        return report.records, dict(report.counts), issues

    columns = summary()
    assert taken[-1]["csv-blocks"] > 0  # clean blocks, offered to the column checks
    if empty == "absent":  # (null cells: the columns refuse every row, the exact path decides)
        assert taken[-1]["columns"] > 0  # the column checks really took rows
    assert columns == summary(("records", "csv-blocks"))  # records built, checked by jsonschema-rs
    assert not taken[-1]["columns"]
    assert columns == summary(("records",))  # the line path
    assert not taken[-1]["columns"]
    assert not taken[-1]["csv-blocks"]
    records, counts, _ = columns
    assert records == 2600
    assert counts[(RECORDS, "oneOf")] > 80  # both branches, or neither
    assert counts[(RECORDS, "formula-cell")] == len(range(71, 2601, 71))


def test_flat_typed_records_count_members_without_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conformance.exports import EXACT_ONLY_ENV
    from tests.test_exports import make_spec

    flat = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "n": {"type": "number", "minimum": 0},
            "t": {"type": ["string", "null"]},
        },
    }
    path = _write(tmp_path, "f.schema.json", flat)
    typed = build_typed_records(path, tmp_path, "id")
    assert typed is not None
    assert typed.members is not None
    lines = [f'{{"id": "r{i}", "n": {i}.5, "t": "12:00"}}' for i in range(3000)]
    lines[10] = '{"id": "r10", "n": 1, "n": -1}'  # the last one kept by the fast parsers
    lines[20] = '{"id": "r20", "t": null, "t": "x"}'
    lines[30] = '{"id": "r30", "n": 2}'
    data = tmp_path / "f.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = make_spec(tmp_path / "spec", "jsonl", schema=flat)

    def summary() -> tuple[Any, ...]:
        report = validate_export(spec, data)
        return report.records, dict(report.counts), [(i.kind, i.line) for i in report.issues]

    default = summary()
    monkeypatch.setenv(EXACT_ONLY_ENV, "1")
    assert default == summary()
    assert ("duplicate-member", 11) in default[2] or any(line == 11 for _, line in default[2])
    assert any(line == 21 for _, line in default[2])


NESTED_COLUMNS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id"],
    "properties": {
        "id": {"type": "string", "pattern": "^r[0-9]+$"},
        "a": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["code"],
                        "properties": {
                            "code": {"type": "string", "pattern": "^[A-Z]{2}$"},
                            "note": {"type": "string", "pattern": "^n"},
                        },
                    },
                }
            },
        },
    },
}


def test_typed_columns_name_the_record_of_a_bad_value_deep_in_arrays(tmp_path: Path) -> None:
    """A column gathered through an optional object and an array names the record each
    value came from (the indices are computed only when a value is refused)."""
    path = _write(tmp_path, "n.schema.json", NESTED_COLUMNS)
    typed = build_typed_records(path, tmp_path, "id")
    assert typed is not None
    records: list[dict[str, Any]] = []
    for i in range(40):
        record: dict[str, Any] = {"id": f"r{i}"}
        if i % 3:  # some records lack "a", some have no items, some several
            items = [{"code": "AB"} for _ in range(i % 4)]
            if i % 5 == 0 and items:
                items[-1]["note"] = "n1"
            record["a"] = {"items": items} if i % 7 else {}
        records.append(record)
    records[19]["a"]["items"][1]["code"] = "bad"  # the second item of record 19
    records[23]["a"]["items"][0]["note"] = "x"  # an optional leaf, first item of record 23
    records[38]["id"] = "q38"
    lines = [json.dumps(r).encode() for r in records]
    accepted, refused = typed.accepted(lines)
    assert refused == [19, 23, 38]
    assert [typed.key(r) for r in accepted] == [
        r["id"] for i, r in enumerate(records) if i not in (19, 23, 38)
    ]
    accepted, refused = typed.accepted(lines[:19] + lines[20:23] + lines[24:38])
    assert refused == []


def test_a_member_repeated_in_a_nested_object_or_array_item_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conformance.exports import EXACT_ONLY_ENV
    from tests.test_exports import make_spec

    lines = [
        json.dumps({"id": f"r{i}", "a": {"items": [{"code": "AB"}, {"code": "CD"}]}})
        for i in range(600)
    ]
    lines[100] = '{"id": "r100", "a": {"items": [{"code": "AB"}, {"code": "ZZ", "code": "CD"}]}}'
    lines[200] = '{"id": "r200", "a": {"items": [], "items": [{"code": "AB"}]}}'
    lines[300] = '{"id": "r300", "a": {"items": [{"code": "AB", "note": "n", "note": "n"}]}}'
    lines[400] = '{"id": "r400", "id": "r400", "a": {}}'
    data = tmp_path / "n.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = make_spec(tmp_path / "spec", "jsonl", schema=NESTED_COLUMNS)

    def summary() -> tuple[Any, ...]:
        report = validate_export(spec, data)
        issues = sorted((i.kind, i.line) for i in report.issues)
        return report.records, dict(report.counts), issues, dict(report.paths)

    default = summary()
    assert default[3].get("typed", 0) > 500  # the typed path took the clean lines
    assert [line for kind, line in default[2] if kind == "duplicate-member"] == [
        101,
        201,
        301,
        401,
    ]
    monkeypatch.setenv(EXACT_ONLY_ENV, "1")
    assert default[:3] == summary()[:3]


def test_a_member_repeated_inside_an_opaque_member_is_found(tmp_path: Path) -> None:
    """An opaque member's value is counted again from its encoding: a name given twice in
    it shows in the line's quotes (no backslash) or colons (one), as in typed members."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "names": {"type": "object", "patternProperties": {"^[a-z]{2}$": {"type": "string"}}},
        },
    }
    lines = [json.dumps({"id": f"r{i}", "names": {"zh": "名", "en": "n"}}) for i in range(600)]
    lines[100] = '{"id": "r100", "names": {"zh": "名", "zh": "n"}}'
    lines[200] = '{"id": "r200", "names": {"en": "a\\"b", "en": "n"}}'  # escaped: colons
    lines[300] = '{"id": "r300", "names": {"en": {"x": 1, "x": 1}}}'  # refused there too
    data = tmp_path / "n.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = make_spec(tmp_path / "spec", "jsonl", schema=schema)
    default, exact = validate_export(spec, data), validate_export(spec, data, paths=())
    assert default.paths.get("typed", 0) > 500
    duplicates = [i.line for i in default.issues if i.kind == "duplicate-member"]
    assert duplicates == [101, 201, 301]
    assert [(i.kind, i.line, i.message) for i in default.issues] == [
        (i.kind, i.line, i.message) for i in exact.issues
    ]


def _taken_and_valid(
    tmp_path: Path, schema: dict[str, Any], records: list[dict[str, Any]]
) -> tuple[set[int], set[int]]:
    """The records (by index, each keyed ``id``) the typed path takes, and those the
    exact checker accepts (the schema must get a typed path)."""
    path = _write(tmp_path, "s.schema.json", schema)
    typed = build_typed_records(path, tmp_path, "id")
    assert typed is not None
    lines = [json.dumps({"id": f"R{i}", **r}).encode() for i, r in enumerate(records)]
    _, refused = typed.accepted(lines)
    exact = schema_validator(path)
    valid = {i for i, line in enumerate(lines) if exact.is_valid(json.loads(line))}
    return set(range(len(lines))) - set(refused), valid


def _reports_alike(tmp_path: Path, schema: dict[str, Any], records: list[dict[str, Any]]) -> Any:
    """The default report on 30 copies of ``records`` (keyed ``id``), after asserting it
    is the exact checker's alone: issues in order, and counts."""
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema)
    data = tmp_path / "r.jsonl"
    numbered = [
        json.dumps({"id": f"R{n}-{i}", **record})
        for n in range(30)
        for i, record in enumerate(records)
    ]
    data.write_text("\n".join(numbered) + "\n", encoding="utf-8")
    default, alone = validate_export(spec, data), validate_export(spec, data, paths=())
    assert [(i.line, i.message) for i in default.issues] == [
        (i.line, i.message) for i in alone.issues
    ]
    assert default.counts == alone.counts
    return default


def _holder_schema(condition: dict[str, Any], otherwise: dict[str, Any] | None) -> dict[str, Any]:
    """A licence holder: a company (a USCC, no ID number) or a person or other (an ID
    number), other holders with a note too: tag tests with and without ``else``."""
    test: dict[str, Any] = {"if": condition, "then": {"required": ["uscc"]}}
    test["then"]["properties"] = {"id_number": False}
    if otherwise is not None:
        test["else"] = otherwise
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "holder_type"],
        "properties": {
            "id": {"type": "string"},
            "holder_type": {"enum": ["person", "company", "other"]},
            "uscc": {"type": "string", "format": "cn-uscc"},
            "id_number": {"type": "string", "format": "cn-id-number"},
            "note": {"type": "string"},
        },
        **test,
        "allOf": [
            {
                "if": {"properties": {"holder_type": {"const": "other"}}},
                "then": {"required": ["note"]},
            }
        ],
    }


HOLDERS = [
    {"holder_type": "company", "uscc": "91110000600037341L"},
    {"holder_type": "company", "id_number": "11010519491231002X"},
    {"holder_type": "person", "id_number": "11010519491231002X"},
    {"holder_type": "person"},
    {"holder_type": "other", "id_number": "11010519491231002X"},
    {"holder_type": "other", "id_number": "11010519491231002X", "note": "n"},
    {},
    {"holder_type": "company", "uscc": "91110000600037341L", "id_number": "11010519491231002X"},
    {"holder_type": "person", "uscc": "91110000600037341L", "id_number": "11010519491231002X"},
]


@pytest.mark.parametrize(
    ("condition", "otherwise"),
    [
        ({"properties": {"holder_type": {"const": "company"}}}, {"required": ["id_number"]}),
        (
            {"properties": {"holder_type": {"const": "company"}}, "required": ["holder_type"]},
            {"required": ["id_number"], "properties": {"uscc": False}},
        ),
        ({"properties": {"holder_type": {"const": "company"}}}, None),
    ],
)
def test_tag_tests_with_an_else_take_the_typed_path_and_report_exactly(
    tmp_path: Path, condition: dict[str, Any], otherwise: dict[str, Any] | None
) -> None:
    """``if`` the tag is a value ``then`` some properties are required or forbidden,
    ``else`` others: each tag value a variant; an ``if`` without ``required`` is the same
    test (the tag is required)."""
    schema = _holder_schema(condition, otherwise)
    taken, valid = _taken_and_valid(tmp_path, schema, HOLDERS)
    assert taken == valid
    default = _reports_alike(tmp_path, schema, HOLDERS)
    assert default.paths.get("typed", 0) == 30 * len(taken)


@pytest.mark.parametrize(
    ("otherwise", "typed_expected"),
    [
        ({"minProperties": 4}, True),  # no variant says it: one rule over the block
        ({"patternProperties": {"^x": False}}, False),
    ],
)
def test_an_else_saying_more_than_which_properties_is_a_rule_or_leaves_the_record_untyped(
    tmp_path: Path, otherwise: dict[str, Any], typed_expected: bool
) -> None:
    schema = _holder_schema({"properties": {"holder_type": {"const": "company"}}}, otherwise)
    path = _write(tmp_path, "s.schema.json", schema)
    assert (build_typed_records(path, tmp_path, "id") is not None) is typed_expected
    default = _reports_alike(tmp_path, schema, HOLDERS)
    assert (default.paths.get("typed", 0) > 0) is typed_expected


def test_tag_tests_holding_properties_to_more_keep_the_typed_path(tmp_path: Path) -> None:
    """``then`` and ``else`` may hold a present property to a schema besides its own (a
    postcode of six digits in China, of at most ten characters elsewhere): each tag
    value's variant checks its own; objects naming their members keep them typed though
    they admit others by pattern (an order line's ``x-`` members: the next path's)."""
    line = {
        "type": "object",
        "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": False,
    }
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "country"],
        "properties": {
            "id": {"type": "string"},
            "country": {"enum": ["CN", "HK", "US"]},
            "postcode": {"type": "string"},
            "phone": {"type": "string"},
            "lines": {"type": "array", "items": line},
        },
        "if": {"properties": {"country": {"const": "CN"}}},
        "then": {
            "properties": {"postcode": {"pattern": "^[0-9]{6}$"}, "phone": {"format": "cn-mobile"}}
        },
        "else": {"properties": {"postcode": {"maxLength": 10}}},
    }
    records = [
        {"country": "CN", "postcode": "100000", "phone": "13800138000"},
        {"country": "CN", "postcode": "10000"},
        {"country": "US", "postcode": "10000-1234"},
        {"country": "US", "postcode": "10000-1234-99"},
        {"country": "CN", "phone": "123"},
        {"country": "HK", "phone": "123", "lines": [{"sku": "a", "qty": 1}]},
        {"country": "HK", "lines": [{"sku": "a", "qty": 1, "x-note": "n"}]},
        {"country": "HK", "lines": [{"sku": "a", "qty": 1, "x-note": 5}]},
    ]
    path = _write(tmp_path, "s.schema.json", schema)
    typed = build_typed_records(path, tmp_path, "id")
    assert typed is not None
    assert not [column for column in typed.columns if column.opaque]
    lines = [json.dumps({"id": f"R{i}", **r}).encode() for i, r in enumerate(records)]
    _, refused = typed.accepted(lines)
    assert refused == [1, 3, 4, 6, 7]  # 6: valid, an x- member (the block path's)
    default = _reports_alike(tmp_path, schema, records)
    assert default.paths == {"typed": 30 * 3, "blocks": 30}


@pytest.mark.parametrize(
    "others",
    [
        {"patternProperties": {"^x-": {"type": "string", "maxLength": 3}}},
        {"patternProperties": {"^x-": {"maxLength": 3}}, "additionalProperties": False},
        {"additionalProperties": {"type": "integer"}},
        {"patternProperties": {"^n": {"minLength": 2}}, "unevaluatedProperties": False},
    ],
)
def test_members_by_pattern_or_other_members_constrained_keep_the_typed_path(
    tmp_path: Path, others: dict[str, Any]
) -> None:
    """The record constrains members it does not name: records holding only named ones
    take the typed path (a named member held to the patterns its name matches too), the
    others go on to the next path; the report is the exact checker's either way."""
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "x-code": {}},
        **others,
    }
    records = [
        {"name": "ab"},
        {"name": "a"},
        {"x-code": "abcd"},
        {"x-code": 7},
        {"x-other": "ab"},
        {"x-other": 5},
        {"zz": 1},
    ]
    taken, valid = _taken_and_valid(tmp_path, schema, records)
    assert {0, 1, 3} & taken <= valid  # taken only if valid
    assert taken <= valid
    assert not taken & {4, 5, 6}  # members it does not name: the next path's
    default = _reports_alike(tmp_path, schema, records)
    assert default.paths.get("typed", 0) >= 30


BASE = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "created": {"type": "string", "format": "date-time"}},
    "required": ["id", "created"],
}


@pytest.mark.parametrize(
    ("composed", "typed_expected"),
    [
        (  # the 2020-12 idiom: a base by reference, closed by unevaluatedProperties
            {
                "allOf": [{"$ref": "#/$defs/base"}],
                "properties": {"name": {"type": "string", "maxLength": 3}},
                "required": ["name"],
                "unevaluatedProperties": False,
            },
            True,
        ),
        (  # open, a name held by two members
            {
                "allOf": [{"$ref": "#/$defs/base"}, {"properties": {"name": {"minLength": 2}}}],
                "properties": {"name": {"type": "string", "maxLength": 3}},
            },
            True,
        ),
        (  # closed by the record itself: the base's members are forbidden there
            {
                "allOf": [{"$ref": "#/$defs/base"}],
                "properties": {"name": {"type": "string"}},
                "additionalProperties": False,
            },
            False,
        ),
        (  # closed by the record, naming the base's members too
            {
                "allOf": [{"$ref": "#/$defs/base"}],
                "properties": {"id": True, "created": True, "name": {"type": "string"}},
                "additionalProperties": False,
            },
            True,
        ),
    ],
)
def test_a_record_composed_of_a_base_by_allof_keeps_the_typed_path(
    tmp_path: Path, composed: dict[str, Any], typed_expected: bool
) -> None:
    schema = {"type": "object", "$defs": {"base": BASE}, **composed}
    path = _write(tmp_path, "s.schema.json", schema)
    assert (build_typed_records(path, tmp_path, "id") is not None) is typed_expected
    stamp = "2024-01-01T00:00:00Z"
    records = [
        {"created": stamp, "name": "ab"},
        {"name": "ab"},
        {"created": "x", "name": "ab"},
        {"created": stamp, "name": "abcd"},
        {"created": stamp, "name": "a"},
        {"created": stamp},
        {"created": stamp, "name": "ab", "zz": 1},
    ]
    default = _reports_alike(tmp_path, schema, records)
    assert (default.paths.get("typed", 0) > 0) is typed_expected


def test_a_leaf_every_variant_holds_alike_is_one_column(tmp_path: Path) -> None:
    """Tag-selected variants: a leaf each holds with the same schema is gathered and
    checked once over all the records, not once per variant; one held to more in a
    variant stays a column of each."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "kind", "code"],
        "properties": {
            "id": {"type": "string"},
            "kind": {"enum": ["a", "b", "c"]},
            "code": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{2}$"},
            "note": {"type": "string", "pattern": "^n"},
        },
        "if": {"properties": {"kind": {"const": "a"}}},
        "then": {"properties": {"note": {"maxLength": 3}}},
    }
    path = _write(tmp_path, "s.schema.json", schema)
    typed = build_typed_records(path, tmp_path, "id")
    assert typed is not None
    # code once; note in each of the three variants (a holds it to more: not alike)
    assert len(typed.columns) == 1 + 3
    records = [
        {"kind": "a", "code": "AB12", "note": "n1"},
        {"kind": "b", "code": "AB1"},
        {"kind": "c", "code": "AB12", "note": "nnnnn"},
        {"kind": "a", "code": "AB12", "note": "nnnnn"},
        {"kind": "b", "code": "ab12", "note": "x"},
    ]
    lines = [json.dumps({"id": f"R{i}", **r}).encode() for i, r in enumerate(records)]
    assert typed.accepted(lines)[1] == [1, 3, 4]
    default = _reports_alike(tmp_path, schema, records)
    assert default.paths.get("typed") == 30 * 2


@pytest.mark.parametrize(
    "counted",
    [
        {"minProperties": 3},
        {"maxProperties": 3},
        {"minProperties": 2, "maxProperties": 3},
        {"oneOf": [{"maxProperties": 2}, {"required": ["c"], "minProperties": 4}]},
        {"additionalProperties": {"type": "string"}, "maxProperties": 3},  # closed by pattern
    ],
)
def test_counts_of_members_keep_the_typed_path(tmp_path: Path, counted: dict[str, Any]) -> None:
    """``minProperties``/``maxProperties`` of an object naming every member it admits
    count its present members over a block: the record keeps the typed path, and the
    report is the exact checker's."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "a": {"type": "string"},
            "b": {"type": "integer"},
            "c": {"type": "string"},
        },
        **counted,
    }
    records = [
        {},
        {"a": "x"},
        {"a": "x", "b": 1},
        {"a": "x", "b": 1, "c": "y"},
        {"b": 1, "c": "y"},
        {"c": "y"},
        {"a": "x", "b": "not a number", "c": "y"},
    ]
    taken, valid = _taken_and_valid(tmp_path, schema, records)
    assert taken == valid  # all valid ones typed
    default = _reports_alike(tmp_path, schema, records)
    assert default.paths.get("typed") == 30 * len(valid)


def test_counts_of_an_open_objects_members_leave_it_untyped(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"id": {"type": "string"}}, "minProperties": 2}
    path = _write(tmp_path, "s.schema.json", schema)
    assert build_typed_records(path, tmp_path, "id") is None
    default = _reports_alike(tmp_path, schema, [{}, {"x": 1}])
    assert "typed" not in default.paths


@pytest.mark.parametrize(
    "names",
    [
        {"pattern": "^[a-z_]+$"},
        {"maxLength": 4},
        {"$ref": "#/$defs/name"},
        {"not": {"enum": ["legacy_code"]}},
    ],
)
def test_property_names_of_a_closed_object_keep_the_typed_path(
    tmp_path: Path, names: dict[str, Any]
) -> None:
    """``propertyNames`` of an object naming every member it admits: each name is checked
    once when the schema is translated; a member whose name it refuses is one no record
    may hold (refused by msgspec as an unknown member, then worded by the exact checker)."""
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "Code": {"type": "string"},
            "legacy_code": {"type": "string"},
        },
        "patternProperties": {"^x_": {"type": "string"}},
        "additionalProperties": False,
        "propertyNames": names,
        "$defs": {"name": {"type": "string", "pattern": "^[a-z_]{1,4}$"}},
    }
    records = [
        {"name": "ab"},
        {"Code": "C1"},
        {"legacy_code": "L"},
        {"x_y": "v"},
        {"name": 3},
        {},
    ]
    taken, valid = _taken_and_valid(tmp_path, schema, records)
    assert taken <= valid
    assert valid - {3} <= taken  # x_y: the next path's
    default = _reports_alike(tmp_path, schema, records)
    assert default.paths.get("typed") == 30 * len(valid - {3})


def test_property_names_refusing_a_required_member_leave_the_record_untyped(
    tmp_path: Path,
) -> None:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "Name"],
        "properties": {"id": {"type": "string"}, "Name": {"type": "string"}},
        "propertyNames": {"pattern": "^[a-z]+$"},
    }
    path = _write(tmp_path, "s.schema.json", schema)
    assert build_typed_records(path, tmp_path, "id") is None
    _reports_alike(tmp_path, schema, [{"Name": "n"}, {}])


@pytest.mark.parametrize("empty", ["absent", "null"])
@pytest.mark.parametrize(
    "more",
    [
        {"minProperties": 5, "maxProperties": 6},
        {"anyOf": [{"maxProperties": 5}, {"required": ["passport"], "minProperties": 7}]},
        {"propertyNames": {"maxLength": 9}},  # a name it refuses, no column holds
    ],
)
def test_csv_columns_count_a_rows_members_as_its_record_holds_them(
    tmp_path: Path, limits: SetReadLimits, empty: str, more: dict[str, Any]
) -> None:
    spec = _spec_of_rows(tmp_path, ["id"], ONE_OF_ROW, empty)
    schema = json.loads(spec.schema_path.read_text(encoding="utf-8"))
    schema["properties"]["a_long_name"] = {"type": "string"}
    schema.update(more)
    spec.schema_path.write_text(json.dumps(schema), encoding="utf-8")
    path = tmp_path / "rows.csv"
    path.write_bytes(("\n".join(_one_of_lines()) + "\n").encode("utf-8"))
    limits(csv_block_bytes=4096)
    default = validate_export(spec, path)
    alone = validate_export(spec, path, paths=("records",))
    assert [(i.row, i.pointer, i.message) for i in default.issues] == [
        (i.row, i.pointer, i.message) for i in alone.issues
    ]
    assert default.counts == alone.counts
    if empty == "absent":
        assert default.paths.get("columns", 0) > 0


ADDRESS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "country"],
    "properties": {
        "id": {"type": "string"},
        "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "postcode": {"type": "string"},
        "region": {"type": "string"},
        "level": {"type": "integer"},
        "rate": {"type": "number"},
    },
}


@pytest.mark.parametrize(
    "rule",
    [
        {  # a tag test on a free string (no enum): a rule testing its values
            "if": {"properties": {"country": {"const": "CN"}}},
            "then": {
                "required": ["postcode"],
                "properties": {"postcode": {"pattern": "^[0-9]{6}$"}},
            },
            "else": {"properties": {"region": {"maxLength": 3}}},
        },
        {  # a oneOf of record shapes told apart by values, not by a tag
            "oneOf": [
                {"properties": {"country": {"const": "CN"}}, "required": ["postcode"]},
                {"properties": {"country": {"not": {"const": "CN"}}}, "required": ["region"]},
            ]
        },
        {  # an if on a number's range, beside a presence keyword
            "if": {"properties": {"level": {"minimum": 3}}, "required": ["level"]},
            "then": {"required": ["region"]},
            "dependentRequired": {"postcode": ["region"]},
        },
        {  # an if on a format (a column's pattern; its check by the exact callback)
            "if": {"properties": {"postcode": {"format": "cn-postcode"}}, "required": ["postcode"]},
            "then": {"required": ["region"]},
            "else": {"properties": {"level": {"anyOf": [{"maximum": 1}, {"const": 9}]}}},
        },
        {  # an if on a number (msgspec reads it as a float: 2^53 or more is the next path's)
            "if": {"properties": {"rate": {"exclusiveMaximum": 0.5}}, "required": ["rate"]},
            "then": {"properties": {"region": False}},
        },
    ],
)
def test_conditionals_on_values_keep_the_typed_path(tmp_path: Path, rule: dict[str, Any]) -> None:
    """Conditionals and branches testing a leaf's value are one rule over the block: a
    test of the values (one jsonschema-rs call, or set membership), the records it
    accepts typed, the report the exact checker's alone."""
    schema = {**ADDRESS, **rule}
    records: list[dict[str, Any]] = [
        {"country": "CN", "postcode": "100000"},
        {"country": "CN", "postcode": "1000"},
        {"country": "CN"},
        {"country": "US", "region": "CAL"},
        {"country": "US", "region": "CALI"},
        {"country": "US"},
        {"country": "CN", "postcode": "100000", "region": "BJ"},
        {"country": "US", "level": 4},
        {"country": "US", "level": 2, "postcode": "1"},
        {"country": "US", "rate": 0.25, "region": "A"},
        {"country": "US", "rate": 1, "region": "A"},
        {"country": "US", "rate": 2**60, "region": "A"},
        {"country": "us"},
    ]
    taken, valid = _taken_and_valid(tmp_path, schema, records)
    assert taken <= valid
    assert valid - taken <= {11}  # a float past 2^53: the next path decides
    default = _reports_alike(tmp_path, schema, records)
    assert default.paths.get("typed") == 30 * len(taken)


def test_a_value_test_mostly_failing_asks_its_negation_and_says_the_same(
    tmp_path: Path,
) -> None:
    """While most values of a block fail a test, the next block asks the test's negation
    (jsonschema-rs words every error it yields, so the fewer the cheaper): the same
    records are accepted either way."""
    schema = {
        **ADDRESS,
        "if": {
            "properties": {"region": {"anyOf": [{"maxLength": 2}, {"const": "X"}]}},
            "required": ["region"],
        },
        "then": {"required": ["postcode"]},
        "oneOf": [
            {"properties": {"country": {"not": {"const": "CN"}}}},
            {"required": ["level"]},
        ],
    }
    path = _write(tmp_path, "s.schema.json", schema)
    typed = build_typed_records(path, tmp_path, "id")
    assert typed is not None
    (check,) = typed.presence
    test = next(t for t in check.tests if t.strings is None)
    records = [{"country": "US", "region": "CALIFORNIA"}] * 8 + [
        {"country": "US", "region": "CA"},
        {"country": "US", "region": "CA", "postcode": "1"},
        {"country": "CN", "region": "BEIJING"},
        {"country": "CN", "region": "BEIJING", "level": 1},
    ]
    lines = [json.dumps({"id": f"R{i}", **r}).encode() for i, r in enumerate(records)]
    exact = schema_validator(path)
    invalid = [i for i, line in enumerate(lines) if not exact.is_valid(json.loads(line))]
    assert not test.flipped
    assert typed.accepted(lines)[1] == invalid == [8, 10]
    assert test.flipped  # most regions were long: the negation is asked next
    assert typed.accepted(lines)[1] == invalid
    assert typed.accepted(lines[8:10] * 3)[1] == [0, 2, 4]
    assert not test.flipped


PERSON = {
    "type": "object",
    "properties": {
        "id_number": {"type": "string", "format": "cn-id-number"},
        "name": {"type": "string", "maxLength": 4},
    },
    "required": ["id_number"],
}
COMPANY = {
    "type": "object",
    "properties": {
        "uscc": {"type": "string", "format": "cn-uscc"},
        "name": {"type": "string"},
    },
    "required": ["uscc"],
}


@pytest.mark.parametrize(
    ("holder", "typed_expected"),
    [
        ({"oneOf": [{"$ref": "#/$defs/person"}, {"$ref": "#/$defs/company"}]}, True),
        ({"anyOf": [{"$ref": "#/$defs/person"}, {"$ref": "#/$defs/company"}]}, True),
        (  # the 2020-12 idiom: closed by unevaluatedProperties
            {
                "oneOf": [{"$ref": "#/$defs/person"}, {"$ref": "#/$defs/company"}],
                "unevaluatedProperties": False,
            },
            True,
        ),
        (  # closed shapes: each forbids the other's members
            {"oneOf": [{"$ref": "#/$defs/closed_person"}, {"$ref": "#/$defs/closed_company"}]},
            True,
        ),
        (  # an open record, one shape closed: msgspec skips what that shape refuses
            {"oneOf": [{"$ref": "#/$defs/closed_person"}, {"$ref": "#/$defs/company"}]},
            False,
        ),
    ],
)
def test_a_record_of_one_of_several_shapes_keeps_the_typed_path(
    tmp_path: Path, holder: dict[str, Any], typed_expected: bool
) -> None:
    """A licence holder that is a person or a company, each shape by ``$ref`` and told
    apart by the members it holds (no tag): one object of both shapes' members (the
    name, held to different schemas, checked whole and tested per shape), the report
    the exact checker's alone."""
    closed = {"id": {"type": "string"}}
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}},
        **holder,
        "$defs": {
            "person": PERSON,
            "company": COMPANY,
            "closed_person": {
                **PERSON,
                "properties": {**PERSON["properties"], **closed},
                "additionalProperties": False,
            },
            "closed_company": {
                **COMPANY,
                "properties": {**COMPANY["properties"], **closed},
                "additionalProperties": False,
            },
        },
    }
    path = _write(tmp_path, "s.schema.json", schema)
    assert (build_typed_records(path, tmp_path, "id") is not None) is typed_expected
    person, company = "11010519491231002X", "91350100M000100Y43"
    records: list[dict[str, Any]] = [
        {"id_number": person, "name": "张三"},
        {"id_number": person, "name": "欧阳长名字"},
        {"uscc": company, "name": "福州市某某有限公司"},
        {"uscc": company[:-1] + "0"},
        {"id_number": person, "uscc": company},
        {},
        {"uscc": company, "note": "x"},
    ]
    default = _reports_alike(tmp_path, schema, records)
    assert (default.paths.get("typed", 0) > 0) is typed_expected


def _closed(properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id"],
        "additionalProperties": False,
        "properties": {"id": {"type": "string"}, **properties},
        **more,
    }


SHAPE_A = {
    "properties": {"id": {"type": "string"}, "x": {"const": True}},
    "additionalProperties": False,
}
SHAPE_B = {
    "properties": {"id": {"type": "string"}, "x": {"const": 1}, "b": {"type": "string"}},
    "required": ["b"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("schema", "line"),
    [
        (  # the test inside a not, on a value no set membership says
            _closed(
                {"a": {"type": "string"}, "b": {"type": "string"}},
                **{"if": {"properties": {"a": {"not": {"maxLength": 2}}}}},
                then={"required": ["b"]},
            ),
            b'{"id":"1","a":"xyz"}',
        ),
        (  # propertyNames over the members shapes add
            {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string"}},
                "unevaluatedProperties": False,
                "propertyNames": {"maxLength": 4},
                "oneOf": [{"$ref": "#/$defs/A"}],
                "$defs": {"A": {"properties": {"longname": {"type": "string"}}}},
            },
            b'{"id":"1","longname":"x"}',
        ),
        (  # 2^53 + 1: msgspec's float is 2^53
            _closed(
                {"r": {"type": "number"}, "b": {"type": "string"}},
                **{"if": {"properties": {"r": {"maximum": 9007199254740992}}}},
                **{"else": {"required": ["b"]}},
            ),
            b'{"id":"1","r":9007199254740993}',
        ),
        (  # 2^62 + 1 against a float bound of 2^62
            _closed(
                {"n": {"type": "integer"}, "b": {"type": "string"}},
                **{"if": {"properties": {"n": {"maximum": 4.611686018427388e18}}}},
                **{"else": {"required": ["b"]}},
            ),
            b'{"id":"1","n":4611686018427387905}',
        ),
        (  # true is not 1: the shapes hold x to different schemas
            {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string"}},
                "oneOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}],
                "$defs": {"A": SHAPE_A, "B": SHAPE_B},
            },
            b'{"id":"1","x":true,"b":"q"}',
        ),
        (  # 0 is not false
            _closed(
                {"x": {"const": 0}},
                anyOf=[{"$ref": "#/$defs/A"}],
                **{"$defs": {"A": {"properties": {"x": {"const": False}}}}},
            ),
            b'{"id":"1","x":0}',
        ),
        (  # a leaf's number bound of 2^53
            _closed({"r": {"type": "number", "maximum": 9007199254740992}}),
            b'{"id":"1","r":9007199254740993}',
        ),
        (  # an allOf of leaves: const true and const 1 are two things
            _closed({"x": {"allOf": [{"const": True}, {"const": 1}]}}),
            b'{"id":"1","x":true}',
        ),
    ],
)
def test_the_typed_path_takes_no_record_the_exact_checker_refuses_at_the_edges(
    tmp_path: Path, schema: dict[str, Any], line: bytes
) -> None:
    """Edges a review found: negated value tests, member names of shapes, floats msgspec
    rounds, large integers against float bounds, ``true`` against ``1``."""
    path = _write(tmp_path, "s.schema.json", schema)
    assert not schema_validator(path).is_valid(json.loads(line))
    typed = build_typed_records(path, tmp_path, "id")
    if typed is not None:
        assert typed.accepted([line])[1] == [0]
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema, key=("id",))
    data = tmp_path / "r.jsonl"
    data.write_bytes(line + b"\n")
    default, alone = validate_export(spec, data), validate_export(spec, data, paths=())
    assert [(i.line, i.message) for i in default.issues] == [
        (i.line, i.message) for i in alone.issues
    ]
    assert default.issues


@pytest.mark.parametrize(
    ("leaf", "values"),
    [
        ({"type": "number", "multipleOf": 0.01}, ["19.99", "0.07", "0.075", "12", "1e308"]),
        ({"type": "integer", "multipleOf": 1e-5}, ["8", "9", "-3"]),
        (
            {"type": "integer", "maximum": 4.611686018427388e18},
            ["4611686018427387904", "4611686018427387905"],
        ),
        (
            {"type": "number", "minimum": -9007199254740992},
            ["-9007199254740993", "-9007199254740992"],
        ),
    ],
)
def test_numbers_at_the_edges_are_reported_alike_on_every_path(
    tmp_path: Path, leaf: dict[str, Any], values: list[str]
) -> None:
    """Money to the cent (``multipleOf: 0.01``) is checked exactly on every path:
    19.99 is a multiple of 0.01 (python-jsonschema's float division says not, so the
    exact checker decides on the numbers as written, as jsonschema-rs does); integers
    past 2^53 against float bounds are compared exactly."""
    schema = _closed({"n": leaf})
    spec = make_spec(tmp_path / "std", "jsonl", schema=schema, key=("id",))
    data = tmp_path / "r.jsonl"
    lines = [f'{{"id":"R{i}-{j}","n":{v}}}' for i in range(40) for j, v in enumerate(values)]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    default, alone = validate_export(spec, data), validate_export(spec, data, paths=())
    blocks = validate_export(spec, data, paths=("records", "blocks"))
    expected = [(i.line, i.message) for i in alone.issues]
    assert [(i.line, i.message) for i in default.issues] == expected
    assert [(i.line, i.message) for i in blocks.issues] == expected


def test_the_exact_checker_reads_multiple_of_on_the_numbers_as_written() -> None:
    """19.99 is a multiple of 0.01 and 8 of 1e-5 (python-jsonschema's float division
    says not); 0.075 is not a multiple of 0.01, worded as python-jsonschema words it."""
    from conformance.regex_validator import RegexValidator

    cents = RegexValidator({"multipleOf": 0.01})
    assert [cents.is_valid(v) for v in (19.99, 0.07, 12, 1e308, 0.075, 0.001)] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    assert [e.message for e in cents.iter_errors(0.075)] == ["0.075 is not a multiple of 0.01"]
    assert RegexValidator({"multipleOf": 1e-5}).is_valid(8)
    assert not RegexValidator({"multipleOf": 2}).is_valid(3)
