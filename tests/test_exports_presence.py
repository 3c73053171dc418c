"""Presence rules on the typed paths: an object schema's ``oneOf``/``anyOf``/``allOf``/``not``
and ``if``/``then``/``else`` of required properties, its ``dependentRequired`` and its
``dependentSchemas`` of such are checked over whole blocks (typed
JSON Lines records, CSV columns), exactly: a record is accepted when the exact checker finds
nothing, refused (and left to it) otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from conformance.exports import RECORDS, validate_export
from conformance.exports._typed import (
    _failures,
    _presence_masks,
    _rule_failures,
    build_csv_checks,
    build_typed_records,
)
from tests.test_exports import make_spec

RULES = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
NAMES = ["a", "b", "c", "d"]
# "z" is no property of the closed object: a branch requiring it never holds
_required = st.lists(st.sampled_from([*NAMES, "z"]), max_size=3)
_PRESENCE_LEAVES = st.one_of(
    st.builds(lambda names: {"required": names}, _required),
    st.just({}),
    st.booleans(),
    st.builds(lambda n: {"minProperties": n}, st.integers(0, 5)),
    st.builds(lambda n: {"maxProperties": n}, st.integers(0, 5)),
)


def _combined(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(lambda xs: {"oneOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"anyOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"allOf": xs}, st.lists(inner, min_size=1, max_size=2)),
        st.builds(lambda x: {"not": x}, inner),
        st.builds(lambda c, t, e: {"if": c, "then": t, "else": e}, inner, inner, inner),
        st.builds(lambda c, t: {"if": c, "then": t}, inner, inner),
        st.builds(
            lambda xs, names: {"oneOf": xs, "required": names},
            st.lists(inner, min_size=1, max_size=2),
            _required,
        ),
    )


_presence: st.SearchStrategy[Any] = st.recursive(_PRESENCE_LEAVES, _combined, max_leaves=6)
# what a present property's value is: tests of a value (the typed path's value tests)
_VALUE_SCHEMAS = [
    {"const": "x"},
    {"enum": ["x", "zzz"]},
    {"maxLength": 1},
    {"pattern": "^y"},
    {"not": {"const": "yy"}},
    {"$ref": "#/$defs/short"},
    {"anyOf": [{"maxLength": 1}, {"const": "zzz"}]},  # (no column: jsonschema-rs itself)
    False,
    True,
]
_valued: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        _PRESENCE_LEAVES,
        st.builds(
            lambda name, schema, required: {"properties": {name: schema}, **required},
            st.sampled_from(NAMES),
            st.sampled_from(_VALUE_SCHEMAS),
            st.sampled_from([{}, {"required": ["a"]}]),
        ),
    ),
    _combined,
    max_leaves=6,
)
_dependent = st.dictionaries(st.sampled_from([*NAMES, "z"]), _required, max_size=2)


@st.composite
def _rule_keywords(draw: st.DrawFn) -> dict[str, Any]:
    """The presence keywords of an object schema (at least one)."""
    keywords: dict[str, Any] = {}
    for word in ("oneOf", "anyOf", "allOf"):
        if draw(st.booleans()):
            keywords[word] = draw(st.lists(_presence, min_size=1, max_size=3))
    if draw(st.booleans()):
        keywords["not"] = draw(_presence)
    if draw(st.booleans()):
        names = st.sampled_from([*NAMES, "z"])
        keywords["dependentSchemas"] = draw(st.dictionaries(names, _presence, max_size=2))
    if not keywords or draw(st.booleans()):
        keywords["dependentRequired"] = draw(_dependent)
    return keywords


def _object(keywords: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": {name: {"type": "string"} for name in NAMES},
        **keywords,
    }


_holdings = st.lists(st.sets(st.sampled_from(NAMES)), min_size=1, max_size=12)


def _accepted(schema: dict[str, Any], folder: Path, records: list[Any]) -> list[bool]:
    path = folder / "p.schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    typed = build_typed_records(path, folder, None)
    assert typed is not None, schema  # presence rules keep the typed path
    lines = [json.dumps(record).encode() for record in records]
    _, refused = typed.accepted(lines)
    # again: a value test most values failed asks its negation now, to the same end
    assert typed.accepted(lines)[1] == refused
    return [index not in refused for index in range(len(lines))]


def test_presence_rules_on_records_accept_exactly_what_the_schema_accepts(
    tmp_path: Path,
) -> None:
    seen = {"accepted": 0, "refused": 0}

    @RULES
    @given(_rule_keywords(), st.lists(st.sampled_from(NAMES), max_size=1), _holdings)
    def exact(keywords: dict[str, Any], required: list[str], holdings: list[set[str]]) -> None:
        schema = _object(keywords, required)
        records = [dict.fromkeys(sorted(held), "x") for held in holdings]
        valid = [Draft202012Validator(schema).is_valid(r) for r in records]
        assert _accepted(schema, tmp_path, records) == valid, (schema, records)
        seen["accepted"] += valid.count(True)
        seen["refused"] += valid.count(False)

    exact()
    assert seen["accepted"] > 100
    assert seen["refused"] > 100


def test_rules_testing_values_accept_exactly_what_the_schema_accepts(tmp_path: Path) -> None:
    """Conditionals and branches that test a present property's value (an ``if`` on a
    value, a ``oneOf`` of record shapes told apart by a value, ``then`` holding a value
    to more) keep the typed path and accept exactly what the schema accepts."""
    seen = {"accepted": 0, "refused": 0}
    values = st.dictionaries(st.sampled_from(NAMES), st.sampled_from(["x", "yy", "zzz"]))

    @RULES
    @given(
        st.sampled_from(["oneOf", "anyOf", "allOf", "not"]),
        st.lists(_valued, min_size=1, max_size=3),
        st.lists(values, min_size=1, max_size=12),
    )
    def exact(word: str, parts: list[Any], records: list[dict[str, str]]) -> None:
        schema = _object({word: parts[0] if word == "not" else parts}, [])
        schema["$defs"] = {"short": {"maxLength": 2}}
        valid = [Draft202012Validator(schema).is_valid(r) for r in records]
        assert _accepted(schema, tmp_path, records) == valid, (schema, records)
        seen["accepted"] += valid.count(True)
        seen["refused"] += valid.count(False)

    exact()
    assert seen["accepted"] > 100
    assert seen["refused"] > 100


@st.composite
def _shape(draw: st.DrawFn) -> dict[str, Any]:
    """An object shape over NAMES: properties (each a string held to more, maybe), the
    names it requires, open or closed."""
    named = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    leaf = st.sampled_from([{"type": "string"}, {"maxLength": 1}, {"const": "yy"}, {}])
    shape: dict[str, Any] = {
        "type": "object",
        "properties": {name: draw(leaf) for name in named},
        "required": draw(st.lists(st.sampled_from(named), max_size=2, unique=True)),
    }
    if draw(st.booleans()):
        shape["additionalProperties"] = False
    return shape


def test_records_of_one_of_several_shapes_accept_exactly_what_the_schema_accepts(
    tmp_path: Path,
) -> None:
    """An object that is one (``oneOf``) or some (``anyOf``) of several object shapes,
    each by ``$ref``, the object open, closed or closed by ``unevaluatedProperties``:
    one object of every shape's members and a rule of branches; where the typed path
    takes it, it accepts exactly what the schema accepts."""
    seen = {"typed": 0, "accepted": 0, "refused": 0}
    values = st.dictionaries(
        st.sampled_from([*NAMES, "e"]), st.sampled_from(["x", "yy", "zzz"]), max_size=3
    )

    @RULES
    @given(
        st.sampled_from(["oneOf", "anyOf"]),
        st.lists(_shape(), min_size=1, max_size=3),
        st.sampled_from(["open", "closed", "unevaluated"]),
        st.lists(values, min_size=1, max_size=12),
    )
    def exact(word: str, shapes: list[Any], closing: str, records: list[dict[str, str]]) -> None:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            word: [{"$ref": f"#/$defs/s{i}"} for i in range(len(shapes))],
            "$defs": {f"s{i}": shape for i, shape in enumerate(shapes)},
        }
        if closing == "closed":
            schema["additionalProperties"] = False
        elif closing == "unevaluated":
            schema["unevaluatedProperties"] = False
        path = tmp_path / "p.schema.json"
        path.write_text(json.dumps(schema), encoding="utf-8")
        typed = build_typed_records(path, tmp_path, None)
        if typed is None:
            return
        seen["typed"] += 1
        lines = [json.dumps(record).encode() for record in records]
        _, refused = typed.accepted(lines)
        valid = [Draft202012Validator(schema).is_valid(r) for r in records]
        # the typed path takes only valid records; it may leave some to the next path
        # (members an open object skips) but takes every valid one of a closed object
        taken = [index not in refused for index in range(len(lines))]
        assert not any(t and not v for t, v in zip(taken, valid, strict=True)), (schema, records)
        if closing != "open" or all(s.get("additionalProperties") is False for s in shapes):
            assert taken == valid, (schema, records)
        seen["accepted"] += taken.count(True)
        seen["refused"] += valid.count(False)

    exact()
    assert seen["typed"] > 150
    assert seen["accepted"] > 100
    assert seen["refused"] > 100


def test_presence_rules_of_nested_objects_accept_exactly_what_the_schema_accepts(
    tmp_path: Path,
) -> None:
    valued = st.builds(lambda parts: {"anyOf": parts}, st.lists(_valued, min_size=1, max_size=2))

    @RULES
    @given(
        st.one_of(_rule_keywords(), valued),
        st.lists(st.lists(st.sets(st.sampled_from(NAMES)), max_size=3), min_size=1, max_size=6),
        st.lists(st.one_of(st.none(), st.sets(st.sampled_from(NAMES))), min_size=6, max_size=6),
    )
    def exact(
        keywords: dict[str, Any], items: list[list[set[str]]], subs: list[set[str] | None]
    ) -> None:
        inner = _object(keywords, [])
        schema = {
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "items": {"type": "array", "items": inner},
                "sub": inner,
            },
        }
        schema["$defs"] = {"short": {"maxLength": 2}}  # (value tests by $ref)
        records: list[dict[str, Any]] = []
        for number, (held_items, sub) in enumerate(zip(items, subs, strict=False)):
            record: dict[str, Any] = {
                "id": f"r{number}",
                "items": [dict.fromkeys(sorted(held), "x") for held in held_items],
            }
            if sub is not None:
                record["sub"] = dict.fromkeys(sorted(sub), "y")
            records.append(record)
        valid = [Draft202012Validator(schema).is_valid(r) for r in records]
        assert _accepted(schema, tmp_path, records) == valid, (schema, records)

    exact()


@pytest.mark.parametrize("header", [NAMES, ["d", "a", "c"]])
def test_presence_rules_on_csv_columns_refuse_exactly_what_the_schema_refuses(
    tmp_path: Path, header: list[str]
) -> None:
    @RULES
    @given(_rule_keywords(), _holdings)
    def exact(keywords: dict[str, Any], holdings: list[set[str]]) -> None:
        schema = _object(keywords, [])
        path = tmp_path / "c.schema.json"
        path.write_text(json.dumps(schema), encoding="utf-8")
        checks = build_csv_checks(path, tmp_path, header, "absent", ())
        assert checks is not None, schema
        rows = [["x" if name in held else "" for name in header] for held in holdings]
        refused, _ = checks.refused(rows)
        records = [{name: "x" for name in header if name in held} for held in holdings]
        invalid = {i for i, r in enumerate(records) if not Draft202012Validator(schema).is_valid(r)}
        assert refused == invalid, (schema, rows)

    exact()


@pytest.mark.parametrize(
    "keywords",
    [
        {"oneOf": [{"required": ["a"]}, {"patternProperties": {"^a": {"const": "x"}}}]},
        {"anyOf": [{"required": ["a"]}, {"type": "string"}]},
        {"not": {"required": ["a"], "propertyNames": {"maxLength": 2}}},
        {"dependentRequired": {"a": "b"}},
        {"oneOf": []},
        {"allOf": [{"if": {"propertyNames": {"maxLength": 1}}, "then": {"required": ["b"]}}]},
    ],
)
def test_rules_beyond_presence_get_no_typed_path(tmp_path: Path, keywords: dict[str, Any]) -> None:
    path = tmp_path / "x.schema.json"
    path.write_text(json.dumps(_object(keywords, [])), encoding="utf-8")
    assert build_typed_records(path, tmp_path, None) is None


# ---------------------------------------------------------------- through validate_export

RESIDENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name"],
    "properties": {
        "id": {"type": "string", "pattern": "^R[0-9]{4}$"},
        "name": {"type": "string", "minLength": 1},
        "id_number": {"type": "string", "format": "cn-id-number"},
        "passport": {"type": "string", "pattern": "^[EG][0-9]{8}$"},
        "country": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "guardian": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "phone": {"type": "string", "format": "cn-mobile"},
                "email": {"type": "string", "format": "email"},
            },
            "anyOf": [{"required": ["phone"]}, {"required": ["email"]}],
            "dependentRequired": {"email": ["name"]},
        },
        "visits": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"at": {"type": "string"}, "by": {"type": "string"}},
                "oneOf": [{"required": ["at"]}, {"required": ["by"], "not": {"required": ["at"]}}],
            },
        },
    },
    "oneOf": [{"required": ["id_number"]}, {"required": ["passport", "country"]}],
}


def _resident(number: int) -> dict[str, Any]:
    record: dict[str, Any] = {"id": f"R{number:04d}", "name": f"居民{number}"}
    if number % 3:
        record["id_number"] = "11010519491231002X"
    else:
        record["passport"], record["country"] = "E12345678", "USA"
    if number % 5 == 0:
        record["guardian"] = {"phone": "13800138000"}
    if number % 7 == 0:
        record["visits"] = [{"at": "2024-01-01"}, {"by": "clerk"}]
    faults: list[dict[str, Any]] = [
        {"id_number": None},  # (an id_number of null: present, the wrong type)
        {"passport": "E12345678", "country": "USA"},  # both branches
        {"passport": "E12345678"},  # one branch in part (with id_number: the other)
        {"guardian": {"name": "x"}},  # neither phone nor email
        {"guardian": {"email": "a@b.cn"}},  # email without name
        {"visits": [{"at": "1", "by": "2"}]},  # both (the second branch forbids "at")
        {"visits": [{"by": "2"}, {}]},  # the second item holds neither
    ]
    if number % 23 == 5:
        record.update(faults[(number // 23) % len(faults)])
    if number % 29 == 4:  # neither branch
        record.pop("id_number", None)
        record.pop("passport", None)
    if number % 31 == 6:  # one branch in part, the other absent
        record.pop("id_number", None)
        record.pop("country", None)
        record["passport"] = "G12345678"
    return record


def test_presence_rules_keep_the_typed_path_and_report_what_the_exact_checker_does(
    tmp_path: Path,
) -> None:
    spec = make_spec(tmp_path / "std", "jsonl", schema=RESIDENT)
    path = tmp_path / "r.jsonl"
    lines = [json.dumps(_resident(n), ensure_ascii=False) for n in range(1, 3001)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    default = validate_export(spec, path)
    assert default.paths["typed"] > 2500, default.paths
    exact = validate_export(spec, path, paths=())
    assert exact.validation_path.startswith("exact")

    def summary(report: Any) -> tuple[Any, ...]:
        issues = [(i.check, i.kind, i.line, i.pointer, i.message) for i in report.issues]
        return report.records, dict(report.counts), issues

    assert summary(default) == summary(exact)
    counts = dict(exact.counts)
    # every kind of fault was found: neither, both, a part, nested and in arrays
    assert counts[(RECORDS, "oneOf")] > 200
    assert counts[(RECORDS, "anyOf")] >= 1
    assert counts[(RECORDS, "dependentRequired")] >= 1
    lines_with = {i.line for i in exact.issues}
    for number in (29 * 10 + 4, 31 * 10 + 6, 23 * 1 + 5):  # neither, a part, both
        assert number in lines_with, number


@st.composite
def _rules(draw: st.DrawFn) -> Any:
    """A presence rule over the attributes of NAMES and two value tests (see
    _presence_rule)."""
    leaf = st.one_of(
        st.booleans(),
        st.sampled_from(NAMES).map(lambda name: ("has", name)),
        st.sampled_from([0, 1]).map(lambda n: ("ok", n)),
    )
    return draw(
        st.recursive(
            leaf,
            lambda inner: st.one_of(
                st.tuples(st.just("not"), st.tuples(inner)),
                st.tuples(
                    st.sampled_from(["all", "any", "one"]),
                    st.lists(inner, min_size=1, max_size=4).map(tuple),
                ),
                st.tuples(
                    st.just("count"),
                    st.lists(inner, min_size=1, max_size=4).map(tuple),
                    st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 4))),
                ),
            ),
            max_leaves=10,
        )
    )


def test_a_rule_written_as_one_comprehension_refuses_what_its_masks_refuse() -> None:
    """The generated comprehension (the typed path's form) and the masks combined (the
    form of a rule too deep to write so, and of CSV cells) refuse the same objects."""
    struct = msgspec.defstruct(
        "Held", [(name, str | msgspec.UnsetType, msgspec.UNSET) for name in NAMES]
    )

    @RULES
    @given(_rules(), _holdings, st.data())
    def same(rule: Any, holdings: list[set[str]], data: st.DataObject) -> None:
        objects = [struct(**dict.fromkeys(sorted(held), "x")) for held in holdings]
        tests = st.lists(st.booleans(), min_size=len(objects), max_size=len(objects))
        oks = [data.draw(tests), data.draw(tests)]
        failing = _rule_failures(rule)
        assert failing is not None
        masks = _presence_masks(rule)

        def present(key: Any) -> Any:
            return masks[key](objects) if isinstance(key, str) else iter(oks[key[1]])

        assert failing(objects, oks) == _failures(rule, present, len(objects)), rule

    same()


def test_a_rule_too_deep_to_write_is_combined_from_its_masks() -> None:
    rule: Any = ("has", "a")
    for _ in range(40):
        rule = ("not", (rule,))
    assert _rule_failures(rule) is None


def test_a_wide_rule_is_written_flat_and_decides_as_the_schema_does(tmp_path: Path) -> None:
    """A ``oneOf`` of hundreds of branches is one flat expression (a long sum would nest as
    deep as it is wide, past what Python compiles), and the typed path still says exactly
    what the schema says."""
    wide = ("one", tuple(("has", f"p{i}") for i in range(3000)))
    assert _rule_failures(wide) is not None
    names = [f"p{i}" for i in range(400)]
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: {"type": "string"} for name in names},
        "oneOf": [{"required": [name]} for name in names],
    }
    records: list[dict[str, Any]] = [{"p7": "x"}, {}, {"p1": "x", "p399": "y"}, {"p399": "z"}]
    valid = [Draft202012Validator(schema).is_valid(record) for record in records]
    assert valid == [True, False, False, True]
    assert _accepted(schema, tmp_path, records) == valid


def test_a_records_own_conditional_on_presence_is_a_presence_rule(tmp_path: Path) -> None:
    """``if`` a USCC is given ``then`` a legal representative is required, ``else`` an ID
    number and no representative: checked over whole blocks, reported as the exact
    checker reports."""
    schema = _object(
        {
            "if": {"required": ["a"]},
            "then": {"required": ["b"]},
            "else": {"required": ["c"], "not": {"required": ["b"]}},
        },
        [],
    )
    holdings = [{"a", "b"}, {"a"}, {"c"}, set(), {"b", "c"}, {"a", "b", "d"}]
    records = [dict.fromkeys(sorted(held), "x") for held in holdings]
    assert _accepted(schema, tmp_path, records) == [True, False, True, False, False, True]
    spec = make_spec(tmp_path / "std", "jsonl", schema={**schema, "required": ["id"]})
    spec.schema_path.write_text(
        json.dumps({**schema, "properties": {**schema["properties"], "id": {"type": "string"}}}),
        encoding="utf-8",
    )
    data = tmp_path / "r.jsonl"
    lines = [json.dumps({"id": f"R{n}-{i}", **r}) for n in range(20) for i, r in enumerate(records)]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    default, exact = validate_export(spec, data), validate_export(spec, data, paths=())
    assert default.paths.get("typed") == 20 * 3
    assert [(i.line, i.message) for i in default.issues] == [
        (i.line, i.message) for i in exact.issues
    ]
