"""Issue 17 item 4: the default paths report exactly what the exact checker alone reports,
on record schemas nobody chose by hand.

Hypothesis draws a record schema from the constructs published schemas use (root ``$id``,
``$anchor``, ``$ref`` into ``$defs``, ``oneOf``/``anyOf``/``allOf``/``not``,
``if``/``then``/``else``, ``dependentRequired``, ``patternProperties``,
``unevaluatedProperties``, ``const``, nested arrays of objects, every registered format) and
a file of records, each valid-looking or carrying one fault (a value of the wrong format,
type, range or enum, a missing or extra member). The file is validated twice: by default
(typed, block and column fast paths, whatever the schema allows) and with ``paths=()``
(no registered acceptor: the exact checker alone); the reports must be identical:
records, exact counts, and every issue with its location and wording, in order. JSON Lines,
JSON and CSV draw schemas; XML compares an XSD export's batch and compiled paths on drawn
records the same way.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.exports import validate_export
from conformance.formats import FORMATS
from conformance.standards.model import ExportFormat
from tests.test_exports import make_spec, xml_doc

DRAWN = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
FORMAT_NAMES = sorted(FORMATS)
PUBLISHED = "https://standards.example.gov.cn/drawn/1.0/"


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
    kind = draw(st.sampled_from(["format", "pattern", "enum", "const", "integer", "length"]))
    if csv_only and kind == "integer":
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
    return {"type": "string", "minLength": 2, "maxLength": 6}, st.text(
        alphabet="ab中", min_size=1, max_size=8
    )


@st.composite
def _schema(draw: Any, csv_only: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(record schema, {property: value strategy})."""
    names = draw(st.lists(st.sampled_from(list("abcdefgh")), min_size=2, max_size=6, unique=True))
    plain = draw(st.integers(0, 2)) == 0  # a closed object of plain leaves: the typed path
    properties: dict[str, Any] = {}
    values: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    for name in names:
        leaf, strategy = draw(_leaf(csv_only))
        ways = ["plain", "ref", "anchor", "oneOf", "anyOf", "not", "allOf"]
        how = "plain" if plain else draw(st.sampled_from(ways))
        if how == "ref":
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
        elif how == "not":
            leaf = {"type": "string", "not": leaf}
        elif how == "allOf":
            leaf = {"allOf": [leaf, {"type": "string"}]} if not csv_only else leaf
        properties[name] = leaf
        values[name] = strategy
    if not csv_only and not plain and draw(st.booleans()):
        item, strategy = draw(_leaf(False))
        properties["items"] = {
            "type": "array",
            "items": {"type": "object", "properties": {"v": item}, "required": ["v"]},
        }
        values["items"] = st.lists(st.fixed_dictionaries({"v": strategy}), max_size=3)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
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
        return schema, values
    closing = draw(st.sampled_from(["open", "additional", "unevaluated"]))
    if closing == "additional":
        schema["additionalProperties"] = False
    elif closing == "unevaluated":
        schema["unevaluatedProperties"] = False
    if not csv_only and draw(st.booleans()):
        schema["patternProperties"] = {"^x-": {"type": "string"}}
    if len(names) >= 2 and draw(st.booleans()):
        schema["dependentRequired"] = {names[0]: [names[1]]}
    if len(names) >= 2 and draw(st.booleans()):
        schema["if"] = {"properties": {names[0]: {"const": "v2"}}, "required": [names[0]]}
        schema["then"] = {"required": [names[1]]}
        schema["else"] = {"properties": {names[1]: {"type": "string"}}}
    return schema, values


@st.composite
def _records(draw: Any, values: dict[str, Any], csv_only: bool) -> list[dict[str, Any]]:
    records = []
    for number in range(draw(st.integers(1, 60))):
        record = {"id": f"R{number:04d}"}
        for name, strategy in values.items():
            if draw(st.integers(0, 9)) == 0:
                continue  # absent
            value = draw(strategy)
            # (a NUL would make the CSV file binary: refused before any record)
            record[name] = str(value).replace("\x00", "") if csv_only else value
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
    schema, values = draw(_schema(csv_only))
    schema["properties"]["id"] = {"type": "string"}
    records = draw(_records(values, csv_only))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name) / "std"
        spec = make_spec(folder, fmt, schema=schema, key=("id",))
        path = Path(name) / f"r.{fmt}"
        header = ["id", *values] if csv_only else []
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


@DRAWN
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["L0001", "L0002", "L0003", "", "L 4"]),
            st.sampled_from(["持证人", "", "a&amp;b"]),
            st.one_of(FORMATS["cn-id-number"].valid(), FORMATS["cn-id-number"].invalid()),
            st.sampled_from(["1", "12", "-3", "x", ""]),
        ),
        min_size=1,
        max_size=300,
    )
)
def test_drawn_xml_records_report_what_the_exact_checker_reports(
    rows: list[tuple[str, str, str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as name:
        spec = make_spec(Path(name) / "std", "xml")
        path = Path(name) / "r.xml"
        path.write_text(xml_doc(rows), encoding="utf-8")
        default = validate_export(spec, path)
        exact = validate_export(spec, path, paths=())
        assert exact.validation_path.startswith("exact")
        assert _summary(default) == _summary(exact)
