"""Issue 17 item 4: the default paths report exactly what the exact checker alone reports,
on record schemas nobody chose by hand.

Hypothesis draws a record schema from the constructs published schemas use (root ``$id``,
``$anchor``, ``$ref`` into ``$defs`` and into a second schema file of the folder, by
relative path and by its ``$id`` URL, ``oneOf``/``anyOf``/``allOf``/``not``, a leaf or
null (``anyOf``/``oneOf`` with ``{"type": "null"}``),
``if``/``then``/``else``, ``dependentRequired`` (and, on closed objects of plain leaves, the
presence-only ``oneOf``/``anyOf``/``allOf``/``not``/``dependentRequired``,
``minProperties``/``maxProperties``, ``propertyNames``, conditionals and ``oneOf``
branches testing a leaf's value, a ``oneOf`` of object shapes by ``$ref``, the tag
tests with an ``else`` and the composition of a base by ``allOf`` the typed paths check),
``patternProperties``,
``unevaluatedProperties``, ``const``, nested arrays of objects, every registered format,
and members no msgspec type says: a map by ``patternProperties``, ``oneOf``/``anyOf`` of
objects, ``{}``, ``multipleOf``, ``prefixItems``, ``if``/``then``/``else``) and
a file of records, each valid-looking or carrying one fault (a value of the wrong format,
type, range or enum, a missing or extra member). The file is validated twice: by default
(typed, block and column fast paths, whatever the schema allows) and with ``paths=()``
(no registered acceptor: the exact checker alone); the reports must be identical:
records, exact counts, and every issue with its location and wording, in order. JSON Lines,
JSON and CSV draw JSON schemas; XML draws the XSD (a record element of drawn children and an
attribute, ``field_formats`` from the format registry) and files of records each valid or
spoiled once, and compares the batch and compiled paths with lxml alone the same way.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.exports import validate_export
from conformance.formats import FORMATS
from conformance.standards.model import ExportFormat, ExportSpec, Text
from tests.test_exports import make_spec

DRAWN = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
FORMAT_NAMES = sorted(FORMATS)
PUBLISHED = "https://standards.example.gov.cn/drawn/1.0/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
# Where the second schema file lives, relative to the record schema (and to PUBLISHED).
COMMON = ["common.schema.json", "defs/common.schema.json"]


def _summary(report: Any) -> tuple[Any, ...]:
    issues = [
        (i.check, i.kind, i.line, i.row, i.xpath, i.pointer, i.value, i.message)
        for i in report.issues
    ]
    return report.records, dict(report.counts), issues


# ---------------------------------------------------------------- drawn schemas


@st.composite
def _leaf(draw: Any, csv_only: bool) -> tuple[dict[str, Any], st.SearchStrategy[Any]]:
    """A leaf schema and a strategy of values for it (valid-looking and faulty alike)."""
    kinds = ["format", "pattern", "enum", "const", "integer", "number", "length"]
    kind = draw(st.sampled_from(kinds))
    if csv_only and kind in ("integer", "number"):
        kind = "length"
    if kind == "format":
        fmt = FORMATS[draw(st.sampled_from(FORMAT_NAMES))]
        values = st.one_of(fmt.valid(), fmt.valid(), fmt.invalid())
        return {"type": "string", "format": fmt.name}, values
    if kind == "pattern":
        return {"type": "string", "pattern": "^[A-Z]{2}[0-9]{3}$"}, st.from_regex(
            r"[A-Z]{2}[0-9]{3}|[a-z]{2}[0-9]{2}", fullmatch=True
        )
    if kind == "enum":
        return {"enum": ["valid", "revoked"]}, st.sampled_from(["valid", "revoked", "x"])
    if kind == "const":
        return {"const": "v2"}, st.sampled_from(["v2", "v2", "v3"])
    if kind == "integer":
        return {"type": "integer", "minimum": 0, "maximum": 99}, st.one_of(
            st.integers(-5, 120), st.just("7")
        )
    if kind == "number":
        return {"type": "number", "minimum": 0, "exclusiveMaximum": 99.5}, st.one_of(
            st.floats(-5, 120, allow_nan=False), st.integers(-5, 120), st.just("7")
        )
    return {"type": "string", "minLength": 2, "maxLength": 6}, st.text(
        alphabet="ab中", min_size=1, max_size=8
    )


@st.composite
def _schema(
    draw: Any, csv_only: bool
) -> tuple[dict[str, Any], dict[str, Any], tuple[str, dict[str, Any]]]:
    """(record schema, {property: value strategy}, (the second schema file, its ``$defs``)).

    The second file (``COMMON``, beside the record schema or in a subfolder) declares its own
    ``$id``; the record schema names its defs by relative path, by that ``$id`` URL, or by
    an anchor, and a def there may itself ``$ref`` one of its neighbours.
    """
    names = draw(st.lists(st.sampled_from(list("abcdefgh")), min_size=2, max_size=6, unique=True))
    plain = draw(st.integers(0, 2)) == 0  # a closed object of plain leaves: the typed path
    properties: dict[str, Any] = {}
    values: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    common: dict[str, Any] = {}
    where = draw(st.sampled_from(COMMON))
    for name in names:
        leaf, strategy = draw(_leaf(csv_only))
        # "nullable": the idiom of generated schemas (in CSV, null is an empty cell)
        ways = ["plain", "ref", "anchor", "oneOf", "anyOf", "not", "allOf", "file", "url"]
        typed_ways = ["plain", "plain", "ref", "file", "url", "nullable"]
        ways.append("nullable")
        how = draw(st.sampled_from(typed_ways if plain else ways))
        if how in ("file", "url"):  # a def of the second file
            if draw(st.booleans()):
                common[f"{name}_base"] = leaf
                leaf = {"$ref": f"#/$defs/{name}_base"}
            target = where if how == "file" else f"{PUBLISHED}{where}"
            if not plain and draw(st.booleans()):
                common[name] = {"$anchor": f"c{name}", **leaf}
                leaf = {"$ref": f"{target}#c{name}"}
            else:
                common[name] = leaf
                leaf = {"$ref": f"{target}#/$defs/{name}"}
        elif how == "ref":
            defs[name] = leaf
            leaf = {"$ref": f"#/$defs/{name}"}
        elif how == "anchor":
            defs[name] = {"$anchor": f"t{name}", **leaf}
            leaf = {"$ref": f"#t{name}"}
        elif how == "oneOf":
            leaf = {"oneOf": [leaf, {"const": "n/a"}]}
            strategy = st.one_of(strategy, st.just("n/a"))
        elif how == "anyOf":
            leaf = {"anyOf": [leaf, {"type": "string", "maxLength": 1}]}
        elif how == "nullable":
            if draw(st.booleans()):
                defs[name] = leaf
                leaf = {"$ref": f"#/$defs/{name}"}
            branches = [leaf, {"type": "null"}]
            leaf = {draw(st.sampled_from(["anyOf", "oneOf"])): draw(st.permutations(branches))}
            strategy = st.one_of(strategy, st.none())
        elif how == "not":
            leaf = {"type": "string", "not": leaf}
        elif how == "allOf":
            leaf = {"allOf": [leaf, {"type": "string"}]} if not csv_only else leaf
        properties[name] = leaf
        values[name] = strategy
    if not csv_only and draw(st.booleans()):  # an array of objects (typed too)
        item, strategy = draw(_leaf(False))
        element = {"type": "object", "properties": {"v": item}, "required": ["v"]}
        objects = st.fixed_dictionaries({"v": strategy})
        if draw(st.booleans()):  # each object, or null
            element = {draw(st.sampled_from(["anyOf", "oneOf"])): [element, {"type": "null"}]}
            objects = st.one_of(objects, st.none())
        properties["items"] = {"type": "array", "items": element}
        values["items"] = st.lists(objects, max_size=3)
        if draw(st.booleans()):  # the array, or null
            properties["items"] = {"anyOf": [properties["items"], {"type": "null"}]}
            values["items"] = st.one_of(values["items"], st.none())
    if not csv_only and draw(st.booleans()):  # a member no msgspec type says: checked whole
        properties["m"], values["m"] = draw(_opaque_member())
    if not csv_only and draw(st.booleans()):  # an array of leaves, maybe each one once
        item, strategy = draw(_leaf(False))
        properties["list"] = {"type": "array", "items": item}
        if draw(st.booleans()):
            properties["list"]["uniqueItems"] = True
        values["list"] = st.lists(strategy, max_size=4)
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "type": "object",
        "properties": properties,
        "required": draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names))),
    }
    if draw(st.booleans()):
        schema = {"$id": f"{PUBLISHED}record.schema.json", **schema}
    if defs:
        schema["$defs"] = defs
    if plain:
        schema["required"] = ["id", *schema["required"]]
        schema["additionalProperties"] = False
        if len(names) >= 2 and draw(st.booleans()):
            schema.update(draw(_presence_keywords(names)))
        if draw(st.integers(0, 3)) == 0:  # the names of its members
            schema["propertyNames"] = draw(
                st.sampled_from(
                    [{"maxLength": 2}, {"pattern": "^[a-z]+$"}, {"not": {"const": names[-1]}}]
                )
            )
        elif not csv_only and len(names) >= 2 and draw(st.booleans()):  # tag tests
            properties["kind"] = {"enum": ["a", "b", "c"]}
            values["kind"] = st.sampled_from(["a", "b", "c", "x"])
            schema["required"].append("kind")
            schema["if"] = {"properties": {"kind": {"const": draw(st.sampled_from("ad"))}}}
            schema["then"] = {"required": [names[0]]}
            schema["else"] = draw(
                st.sampled_from([{"properties": {names[0]: False}}, {"required": [names[1]]}])
            )
        elif not csv_only and len(names) >= 2 and draw(st.booleans()):  # tests of values
            test = draw(st.sampled_from(_VALUE_TESTS))
            if draw(st.booleans()):
                schema["if"] = {"properties": {names[0]: test}}
                schema["then"] = {"required": [names[1]]}
                schema["else"] = {"properties": {names[1]: draw(st.sampled_from(_VALUE_TESTS))}}
            else:  # record shapes told apart by a value
                shape = {"properties": {names[0]: test}, "required": [names[0]]}
                schema["oneOf"] = [shape, {"required": [names[1]]}]
        elif len(names) >= 3 and draw(st.booleans()):  # one of two shapes, by reference
            for number, name in enumerate(names[:2]):
                schema.setdefault("$defs", {})[f"shape{number}"] = {
                    "type": "object",
                    "properties": {name: properties.pop(name)},
                    "required": [name],
                }
            schema["required"] = [n for n in schema["required"] if n not in names[:2]]
            schema["oneOf"] = [{"$ref": "#/$defs/shape0"}, {"$ref": "#/$defs/shape1"}]
            del schema["additionalProperties"]
            schema["unevaluatedProperties"] = False
        if "allOf" not in schema and "unevaluatedProperties" not in schema and draw(st.booleans()):
            # composed of a base by reference, closed by unevaluatedProperties
            base = names[: draw(st.integers(1, len(names)))]
            schema.setdefault("$defs", {})["base"] = {
                "type": "object",
                "properties": {name: properties.pop(name) for name in base},
                "required": [name for name in schema["required"] if name in base],
            }
            schema["required"] = [name for name in schema["required"] if name not in base]
            schema["allOf"] = [{"$ref": "#/$defs/base"}]
            del schema["additionalProperties"]
            schema["unevaluatedProperties"] = False
        return schema, values, (where, common)
    closing = draw(st.sampled_from(["open", "additional", "unevaluated"]))
    if closing == "additional":
        schema["additionalProperties"] = False
    elif closing == "unevaluated":
        schema["unevaluatedProperties"] = False
    if not csv_only and draw(st.booleans()):
        schema["patternProperties"] = {"^x-": {"type": "string"}}
    if not csv_only and draw(st.integers(0, 3)) == 0:  # a member no record may hold
        properties["legacy"] = False
        values["legacy"] = st.just(1)
    if len(names) >= 2 and draw(st.booleans()):
        schema["dependentRequired"] = {names[0]: [names[1]]}
    if len(names) >= 2 and draw(st.booleans()):
        schema["if"] = {"properties": {names[0]: {"const": "v2"}}, "required": [names[0]]}
        schema["then"] = {"required": [names[1]]}
        schema["else"] = {"properties": {names[1]: {"type": "string"}}}
    return schema, values, (where, common)


# What a conditional or a branch tests a leaf's value against.
_VALUE_TESTS = [
    {"maxLength": 3},
    {"pattern": "^[0-9]"},
    {"type": "string"},
    {"minimum": 1},
    {"const": "v2"},
    False,
]


# JSON values of every kind, integers beyond 64 bits and nesting past the records' bound
# among them (the typed path leaves those to the others: orjson reads them otherwise)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text("ab中@.", max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("xyz"), inner),
    max_leaves=6,
)
_DEEP = st.integers(190, 205).map(lambda n: json.loads("[" * n + "]" * n))


@st.composite
def _opaque_member(draw: Any) -> tuple[dict[str, Any], st.SearchStrategy[Any]]:
    """A member whose schema no msgspec type says (the typed path checks it whole with
    jsonschema-rs), and a strategy of values for it, valid-looking and faulty alike."""
    kind = draw(st.sampled_from(["map", "shapes", "any", "multiple", "pair", "conditional"]))
    if kind == "map":  # names by language
        schema = {
            "type": "object",
            "patternProperties": {"^[a-z]{2}$": {"type": "string", "maxLength": 4}},
            "additionalProperties": draw(st.sampled_from([False, {"type": "integer"}])),
        }
        names = st.sampled_from(["zh", "en", "xyz"])
        return schema, st.dictionaries(names, st.one_of(st.text("ab", max_size=6), _JSON))
    if kind == "shapes":  # one of two objects, told apart by their members
        email = {
            "type": "object",
            "required": ["email"],
            "properties": {"email": {"format": "email"}},
        }
        phone = {
            "type": "object",
            "required": ["phone"],
            "properties": {"phone": {"format": "cn-mobile"}},
        }
        values = st.one_of(
            st.fixed_dictionaries({"email": FORMATS["email"].valid()}),
            st.fixed_dictionaries({"phone": st.one_of(FORMATS["cn-mobile"].valid(), st.just("1"))}),
            st.just({"email": "a@b.cn", "phone": "13800138000"}),
            _JSON,
        )
        return {draw(st.sampled_from(["oneOf", "anyOf"])): [email, phone]}, values
    if kind == "any":
        return {}, st.one_of(_JSON, _DEEP)
    if kind == "multiple":
        return {"type": "number", "multipleOf": 0.5}, st.one_of(
            st.integers(-(2**66), 2**66), st.floats(-10, 10, allow_nan=False), st.just("1")
        )
    if kind == "pair":
        schema = {"type": "array", "prefixItems": [{"type": "number"}, {"type": "string"}]}
        if draw(st.booleans()):
            schema["items"] = False
        return schema, st.lists(st.one_of(st.integers(), st.text("ab", max_size=2)), max_size=3)
    schema = {  # conditional, with an else
        "type": "object",
        "properties": {"kind": {"enum": ["cn", "other"]}, "code": {"type": "string"}},
        "if": {"properties": {"kind": {"const": "cn"}}, "required": ["kind"]},
        "then": {"properties": {"code": {"format": "cn-postcode"}}},
        "else": {"properties": {"code": {"maxLength": 3}}},
    }
    values = st.fixed_dictionaries(
        {"kind": st.sampled_from(["cn", "other", "x"])},
        optional={"code": st.one_of(FORMATS["cn-postcode"].valid(), st.just("ab"))},
    )
    return schema, values


@st.composite
def _presence_keywords(draw: Any, names: list[str]) -> dict[str, Any]:
    """Keywords saying only which properties a record holds, as published schemas write
    them (one of an identity document's numbers, say): the typed paths check them."""
    first, *others = names
    second = others[: draw(st.integers(1, 2))]
    words = ["oneOf", "anyOf", "allOf", "not", "dependentRequired", "minProperties"]
    word = draw(st.sampled_from([*words, "maxProperties"]))
    if word in ("minProperties", "maxProperties"):  # counted members (with or without id)
        return {word: draw(st.integers(1, len(names) + 1))}
    if word == "dependentRequired":
        return {word: {first: second}}
    if word == "not":
        return {word: {"required": [first, *second]}}
    branch: dict[str, Any] = {"required": second}
    if draw(st.booleans()):
        branch["not"] = {"required": [first]}
    return {word: [{"required": [first]}, branch]}


@st.composite
def _records(draw: Any, values: dict[str, Any], csv_only: bool) -> list[dict[str, Any]]:
    records = []
    gaps = draw(st.sampled_from([1, 4]))  # in ten, how often a member is absent
    for number in range(draw(st.integers(1, 60))):
        record = {"id": f"R{number:04d}"}
        for name, strategy in values.items():
            if draw(st.integers(0, 9)) < gaps:
                continue  # absent
            value = draw(strategy)
            # (a NUL would make the CSV file binary: refused before any record)
            if csv_only:
                value = "" if value is None else str(value).replace("\x00", "")
            record[name] = value
        if not csv_only and draw(st.integers(0, 19)) == 0:
            record[draw(st.sampled_from(["x-note", "zz"]))] = draw(st.sampled_from(["t", 1]))
        records.append(record)
    return records


def _text(fmt: ExportFormat, records: list[dict[str, Any]], header: list[str]) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if fmt == "json":
        return "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def _same_report(fmt: ExportFormat, draw: Any) -> None:
    csv_only = fmt == "csv"
    schema, values, (where, common) = draw(_schema(csv_only))
    schema["properties"]["id"] = {"type": "string"}
    records = draw(_records(values, csv_only))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name) / "std"
        empty = draw(st.sampled_from(["absent", "null", "empty-string"])) if csv_only else "absent"
        spec = make_spec(folder, fmt, schema=schema, key=("id",), empty=empty)
        if common:
            (folder / where).parent.mkdir(exist_ok=True)
            second = {"$schema": DRAFT, "$id": f"{PUBLISHED}{where}", "$defs": common}
            (folder / where).write_text(json.dumps(second), encoding="utf-8")
        path = Path(name) / f"r.{fmt}"
        # (the schema's order, or "id" first: a csv-header warning, the records as before)
        header = [*values, "id"] if csv_only and draw(st.booleans()) else ["id", *values]
        path.write_text(_text(fmt, records, header), encoding="utf-8")
        default = validate_export(spec, path)
        exact = validate_export(spec, path, paths=())
        # (a file refused before any record, e.g. for a NUL byte, names no path)
        assert exact.validation_path.startswith("exact") or not exact.validation_path
        assert _summary(default) == _summary(exact), (default.validation_path, schema)


@DRAWN
@given(st.data())
def test_drawn_jsonl_schemas_report_what_the_exact_checker_reports(data: Any) -> None:
    _same_report("jsonl", data.draw)


@DRAWN
@given(st.data())
def test_drawn_json_schemas_report_what_the_exact_checker_reports(data: Any) -> None:
    _same_report("json", data.draw)


@DRAWN
@given(st.data())
def test_drawn_csv_schemas_report_what_the_exact_checker_reports(data: Any) -> None:
    _same_report("csv", data.draw)


# ---------------------------------------------------------------- drawn XSDs

XML_NS = "urn:example:drawn"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_NAMES = ["No", "Name", "名称", "Code", "Issued", "Amount", "Item", "Note", "Holder"]


# XSD patterns (some the compiled path follows, some it leaves to lxml) and Python
# expressions drawing text they match.
_XSD_PATTERNS = [
    ("[A-Z]{2}\\d{3}", r"[A-Z]{2}[0-9]{3}"),
    ("(GB|DB)[0-9]{2}(-[0-9]+)?", r"(GB|DB)[0-9]{2}(-[0-9]{1,3})?"),
    ("[^a-z]{1,4}", r"[A-Z0-9中 ]{1,4}"),
    ("\\p{Lu}\\d+", r"[A-Z][0-9]{1,3}"),
]


class _Raw(str):
    """Text written into the record as it is (a CDATA section, a character reference)."""


@dataclass
class _XLeaf:
    name: str
    declaration: str  # the xs:element, without its occurrence attributes
    valid: st.SearchStrategy[str]
    invalid: st.SearchStrategy[str] | None
    base: str = "string"
    low: int = 1
    high: int = 1  # 0: unbounded
    fmt: str | None = None  # a field_formats entry names it


@dataclass
class _XGroup:
    name: str
    children: list[_XLeaf | _XGroup]
    choice: bool = False
    named: bool = False
    low: int = 1
    high: int = 1


@dataclass
class _XModel:
    children: list[_XLeaf | _XGroup]
    attribute: tuple[str, bool, st.SearchStrategy[str], st.SearchStrategy[str]] | None
    types: list[str] = field(default_factory=list)  # top-level named types
    root_declared: bool = False
    formats: dict[str, str] = field(default_factory=dict)  # field_formats


def _simple_kind(draw: Any, kind: str) -> tuple[str, str, Any, Any, str | None]:
    """(base, facets, valid values, faulty values, registered format) of one leaf kind."""
    if kind == "string":
        return "string", "", st.text(alphabet="ab中 &<>'\"", max_size=6), None, None
    if kind == "pattern":
        xsd, python = draw(st.sampled_from(_XSD_PATTERNS))
        return (
            "string",
            f'<xs:pattern value="{xsd}"/>',
            st.from_regex(python, fullmatch=True),
            st.sampled_from(["ab123", "AB1234", "", " AB123", "GB-1", "中"]),
            None,
        )
    if kind == "enum":
        facets = "".join(f'<xs:enumeration value="{v}"/>' for v in ("valid", "revoked", "R&amp;D"))
        return (
            "string",
            facets,
            st.sampled_from(["valid", "revoked", "R&D"]),
            st.sampled_from(["x", "Valid", "valid "]),
            None,
        )
    if kind == "length":
        if draw(st.booleans()):
            valid = st.text(alphabet="ab中 ", min_size=2, max_size=6)
            bad = st.one_of(
                st.text(alphabet="ab", max_size=1), st.text("ab", min_size=7, max_size=9)
            )
            return "string", '<xs:minLength value="2"/><xs:maxLength value="6"/>', valid, bad, None
        valid = st.text(alphabet="ab中", min_size=5, max_size=5)
        bad = st.text(alphabet="ab中", min_size=3, max_size=7).filter(lambda t: len(t) != 5)
        return "string", '<xs:length value="5"/>', valid, bad, None
    if kind == "integer":
        facets = '<xs:minInclusive value="0"/><xs:maxInclusive value="99"/>'
        valid = st.one_of(st.integers(0, 99).map(str), st.sampled_from([" 7 ", "+5", "007"]))
        return "integer", facets, valid, st.sampled_from(["-5", "120", "x", "1.5", ""]), None
    if kind == "decimal":
        facets = '<xs:minInclusive value="-10.5"/><xs:maxInclusive value="1000"/>'
        valid = st.one_of(
            st.decimals(min_value=-10.5, max_value=1000, places=2).map(str),
            st.sampled_from(["-10.5", "1000", "0.0", ".5"]),
        )
        return "decimal", facets, valid, st.sampled_from(["1e3", "1000.01", "abc", "-11"]), None
    if kind == "date":
        valid = st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat)
        bad = st.sampled_from(["2024-02-30", "2024-1-01", "0000-01-01", "20240101"])
        return "date", "", valid, bad, "date" if draw(st.booleans()) else None
    if kind == "dateTime":
        checked = "date-time" if draw(st.booleans()) else None
        valid = st.builds(
            lambda moment, zone: moment.isoformat(timespec="seconds") + zone,
            st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)),
            # (the registry's date-time wants a zone, the XSD's dateTime does not)
            st.sampled_from(["Z", "+08:00"] if checked else ["", "Z", "+08:00"]),
        )
        bad = st.sampled_from(["2024-01-01 10:00:00", "2024-01-01T24:00:01", "2024-01-01"])
        return "dateTime", "", valid, bad, checked
    fmt = FORMATS[draw(st.sampled_from(FORMAT_NAMES))]
    return "string", "", fmt.valid(), fmt.invalid(), fmt.name


@st.composite
def _xleaf(draw: Any, name: str, model: _XModel, path: str) -> _XLeaf:
    kinds = ["string", "pattern", "enum", "length", "integer", "decimal", "date", "dateTime"]
    base, facets, valid, invalid, fmt = _simple_kind(
        draw, draw(st.sampled_from([*kinds, "format"]))
    )
    if not facets:
        declaration = f'<xs:element name="{name}" type="xs:{base}"'
    elif draw(st.booleans()):  # a named simple type
        model.types.append(
            f'<xs:simpleType name="T{name}"><xs:restriction base="xs:{base}">{facets}'
            "</xs:restriction></xs:simpleType>"
        )
        declaration = f'<xs:element name="{name}" type="T{name}"'
    else:
        declaration = (
            f'<xs:element name="{name}"><xs:simpleType><xs:restriction base="xs:{base}">'
            f"{facets}</xs:restriction></xs:simpleType></xs:element>"
        )
    if fmt is not None:
        model.formats[path] = fmt
    low, high = draw(_occurs())
    return _XLeaf(name, declaration, valid, invalid, base, low, high, fmt)


def _occurs() -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(st.sampled_from([0, 1, 1]), st.sampled_from([1, 1, 1, 2, 0]))


@st.composite
def _xmodel(draw: Any) -> _XModel:
    model = _XModel([], None)
    plain = draw(st.integers(0, 2)) == 0  # what the compiled path may take
    names = draw(st.lists(st.sampled_from(_XML_NAMES), min_size=1, max_size=5, unique=True))
    for name in names:
        if draw(st.integers(0, 3)) == 0:  # a nested complex type
            group = _XGroup(name, [], choice=draw(st.integers(0, 3)) == 0)
            group.named = draw(st.booleans())
            group.low, group.high = draw(_occurs())
            for index in range(draw(st.integers(1, 3))):
                child = f"{name}{index}"
                group.children.append(draw(_xleaf(child, model, f"{name}/{child}")))
            model.children.append(group)
        else:
            model.children.append(draw(_xleaf(name, model, name)))
    if plain:  # strings and dates, no attribute; now and then each at most once
        once = draw(st.booleans())
        for node in _xnodes(model.children):
            node.high = 1 if once else node.high
        model.children = [n for n in model.children if _plain(n)]
        kept = {p for p in model.formats if p.split("/")[0] in {n.name for n in model.children}}
        model.formats = {p: f for p, f in model.formats.items() if p in kept}
    elif draw(st.booleans()):
        required = draw(st.booleans())
        model.attribute = (
            "status" if required else "seq",
            required,
            st.sampled_from(["1", "42", " 3"]),
            st.sampled_from(["-1", "x", ""]),
        )
    model.root_declared = draw(st.booleans())
    return model


def _xnodes(nodes: list[_XLeaf | _XGroup]) -> Iterator[_XLeaf | _XGroup]:
    for node in nodes:
        yield node
        if isinstance(node, _XGroup):
            yield from _xnodes(node.children)


def _plain(node: _XLeaf | _XGroup) -> bool:
    if isinstance(node, _XGroup):
        return all(_plain(child) for child in node.children)
    return node.base in ("string", "date", "dateTime")


def _occurs_text(low: int, high: int) -> str:
    text = ' minOccurs="0"' if low == 0 else ""
    if high != 1:
        text += f' maxOccurs="{high or "unbounded"}"'
    return text


def _declaration(node: _XLeaf | _XGroup, types: list[str]) -> str:
    occurs = _occurs_text(node.low, node.high)
    if isinstance(node, _XLeaf):
        if node.declaration.endswith("</xs:element>"):
            head, _, rest = node.declaration.partition(">")
            return f"{head}{occurs}>{rest}"
        return f"{node.declaration}{occurs}/>"
    particle = "xs:choice" if node.choice else "xs:sequence"
    content = "".join(_declaration(child, types) for child in node.children)
    body = f"<{particle}>{content}</{particle}>"
    if node.named:
        types.append(f'<xs:complexType name="C{node.name}">{body}</xs:complexType>')
        return f'<xs:element name="{node.name}" type="C{node.name}"{occurs}/>'
    return (
        f'<xs:element name="{node.name}"{occurs}>'
        f"<xs:complexType>{body}</xs:complexType></xs:element>"
    )


def _xsd_text(model: _XModel) -> str:
    types = list(model.types)
    content = '<xs:element name="Id" type="xs:string"/>' + "".join(
        _declaration(node, types) for node in model.children
    )
    attribute = ""
    if model.attribute is not None:
        name, required, _valid, _bad = model.attribute
        use = ' use="required"' if required else ""
        attribute = f'<xs:attribute name="{name}" type="xs:positiveInteger"{use}/>'
    root = (
        '<xs:element name="Recs"><xs:complexType><xs:sequence>'
        '<xs:element ref="Rec" minOccurs="0" maxOccurs="unbounded"/>'
        "</xs:sequence></xs:complexType></xs:element>\n"
        if model.root_declared
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{XML_NS}"\n'
        f'           xmlns="{XML_NS}" elementFormDefault="qualified">\n{root}'
        f'<xs:element name="Rec"><xs:complexType><xs:sequence>{content}</xs:sequence>'
        f"{attribute}</xs:complexType></xs:element>\n" + "\n".join(types) + "\n</xs:schema>\n"
    )


# A record: a list of (element name, text or child list); a name of None is raw markup.
_XItems = list[tuple[str | None, Any]]


def _xinstance(draw: Any, nodes: list[_XLeaf | _XGroup], choice: bool = False) -> _XItems:
    items: _XItems = []
    if choice:
        nodes = [draw(st.sampled_from(nodes))]
    for node in nodes:
        count = 0 if node.low == 0 and draw(st.integers(0, 3)) == 0 else 1
        if count and node.high != 1:
            count = draw(st.integers(1, 2 if node.high == 2 else 3))
        for _ in range(count):
            if isinstance(node, _XLeaf):
                items.append((node.name, draw(node.valid)))
            else:
                items.append((node.name, _xinstance(draw, node.children, node.choice)))
    return items


def _leaf_slots(
    items: _XItems, nodes: list[_XLeaf | _XGroup]
) -> Iterator[tuple[_XItems, int, _XLeaf]]:
    by_name = {node.name: node for node in nodes}
    for index, (name, value) in enumerate(items):
        node = by_name.get(name or "")
        if isinstance(node, _XLeaf) and node.invalid is not None:
            yield items, index, node
        elif isinstance(node, _XGroup) and isinstance(value, list):
            yield from _leaf_slots(value, node.children)


def _all_slots(items: _XItems) -> Iterator[tuple[_XItems, int]]:
    for index, (_name, value) in enumerate(items):
        yield items, index
        if isinstance(value, list):
            yield from _all_slots(value)


def _xfault(draw: Any, model: _XModel, items: _XItems, attrs: dict[str, str]) -> str | None:
    """Spoil the record in one way (or write it unplainly); the key fault is the file's."""
    kind = draw(
        st.sampled_from(
            ["value", "missing", "extra", "repeat", "order", "attr", "key", "ns", "raw", "cdata"]
        )
    )
    slots = list(_all_slots(items))
    if kind == "value" and (leaves := list(_leaf_slots(items, model.children))):
        where, index, leaf = draw(st.sampled_from(leaves))
        assert leaf.invalid is not None
        where[index] = (leaf.name, draw(leaf.invalid))
    elif kind == "missing":
        where, index = draw(st.sampled_from(slots))
        del where[index]
    elif kind == "extra":
        where, index = draw(st.sampled_from(slots))
        where.insert(index + draw(st.integers(0, 1)), ("Zz", "t"))
    elif kind == "repeat":
        where, index = draw(st.sampled_from(slots))
        where.insert(index, where[index])
    elif kind == "order" and len(items) >= 2:
        index = draw(st.integers(0, len(items) - 2))
        items[index], items[index + 1] = items[index + 1], items[index]
    elif kind == "attr":
        if model.attribute is not None and draw(st.booleans()):
            name, _required, _valid, bad = model.attribute
            if draw(st.booleans()):
                attrs[name] = draw(bad)
            else:
                attrs.pop(name, None)
        else:
            attrs["zz"] = "1"
    elif kind == "raw":  # valid, but not plain: a comment, a character reference
        where, index = draw(st.sampled_from(slots))
        where.insert(index, (None, draw(st.sampled_from(["<!-- c -->", "<?pi x?>"]))))
    elif kind == "cdata":
        where, index = draw(st.sampled_from(slots))
        name, value = where[index]
        if isinstance(value, str):
            text = "<![CDATA[" + value.replace("]]>", "") + "]]>"
            where[index] = (name, _Raw(text if draw(st.booleans()) else "&#65;" + escape(value)))
    elif kind in ("key", "ns"):
        return kind
    return None


def _xml_text(value: str) -> str:
    return _XML_ILLEGAL.sub("", value)


def _write_items(items: _XItems, pretty: str) -> str:
    out = []
    for name, value in items:
        if name is None:
            out.append(value)
        elif isinstance(value, list):
            out.append(f"<{name}>{pretty}{_write_items(value, pretty)}</{name}>")
        elif isinstance(value, _Raw):
            out.append(f"<{name}>{value}</{name}>")
        else:
            out.append(f"<{name}>{escape(_xml_text(value))}</{name}>")
    return pretty.join(out)


@st.composite
def _xml_file(draw: Any, model: _XModel) -> str:
    pretty = draw(st.sampled_from(["", "\n    ", " "]))
    records = []
    last = "R0000"
    # (now and then more than one batch of BATCH_RECORDS)
    count = draw(st.integers(1, 40)) if draw(st.integers(0, 9)) else draw(st.integers(250, 300))
    for number in range(count):
        key = f"R{number:04d}"
        items: _XItems = [("Id", key), *_xinstance(draw, model.children)]
        attrs: dict[str, str] = {}
        if model.attribute is not None:
            name, required, valid, _bad = model.attribute
            if required or draw(st.booleans()):
                attrs[name] = draw(valid)
        namespace = ""
        if draw(st.integers(0, 3)) == 0:
            fault = _xfault(draw, model, items, attrs)
            if fault == "key":
                items[0] = ("Id", draw(st.sampled_from([last, ""])))
            elif fault == "ns":
                namespace = ' xmlns="urn:example:other"'
        last = key
        shown = "".join(f" {k}={quoteattr(_xml_text(v))}" for k, v in attrs.items())
        body = _write_items(items, pretty)
        records.append(f"  <Rec{namespace}{shown}>{pretty}{body}{pretty}</Rec>\n")
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<Recs xmlns="{XML_NS}">\n'
    return f"{head}{''.join(records)}</Recs>\n"


@settings(DRAWN, max_examples=50)  # (an XSD example costs a tenth of a JSON one)
@given(st.data())
def test_drawn_xsds_report_what_the_exact_checker_reports(data: Any) -> None:
    model = data.draw(_xmodel())
    xsd = _xsd_text(model)
    text = data.draw(_xml_file(model))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name) / "std"
        folder.mkdir()
        schema_path = folder / "record.xsd"
        schema_path.write_text(xsd, encoding="utf-8")
        spec = ExportSpec(
            name="records",
            title=Text("记录", "Records"),
            format="xml",
            schema_path=schema_path,
            clauses=("LIC-EXP-001",),
            key=("Id",),
            record_element="Rec",
            field_formats=dict(model.formats),
        )
        path = Path(name) / "r.xml"
        path.write_text(text, encoding="utf-8")
        default = validate_export(spec, path)
        exact = validate_export(spec, path, paths=())
        assert exact.validation_path.startswith("exact")
        assert _summary(default) == _summary(exact), (default.validation_path, xsd, text)
